/*
 * URL checks for attribute values. The parser has already decoded
 * character references, so "&#106;avascript:" arrives as "javascript:";
 * what is left is what the URL standard strips before it reads the scheme:
 * leading/trailing C0 controls and spaces, and ASCII tab/LF/CR anywhere
 * ("jav\tascript:").
 */
#include <string.h>

#include "sanitize.h"
#include "sanitize_private.h"
#include "core/banned.h"

bool
cp_is_unstable(uint32_t cp)
{
	if (cp < 0x20)
		return cp != '\t' && cp != '\n' && cp != '\f' && cp != '\r';
	if (cp >= 0x7f && cp <= 0x9f)
		return true;
	if (cp >= 0xfdd0 && cp <= 0xfdef)
		return true;
	return (cp & 0xfffe) == 0xfffe;
}

static bool
is_c0_or_space(unsigned char c)
{
	return c <= 0x20;
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

enum url_kind
url_classify(struct strv raw, struct arena *a, struct strv *clean_r)
{
	struct strv s = raw;
	struct strv scheme;
	size_t i, n;
	char *buf;
	bool dirty = false;

	*clean_r = STRV_NULL;
	while (s.len > 0 && is_c0_or_space((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_c0_or_space((unsigned char)s.p[s.len - 1]))
		s.len--;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '\t' || s.p[i] == '\n' || s.p[i] == '\r')
			dirty = true;
	}
	if (dirty) {
		buf = arena_alloc(a, s.len + 1);
		if (buf == NULL)
			return URL_BAD;
		for (i = 0, n = 0; i < s.len; i++) {
			if (s.p[i] != '\t' && s.p[i] != '\n' && s.p[i] != '\r')
				buf[n++] = s.p[i];
		}
		s.p = buf;
		s.len = n;
	}
	if (s.len == 0 || !is_alpha((unsigned char)s.p[0]))
		return URL_BAD;
	/* RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	for (i = 1; i < s.len && s.p[i] != ':'; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' &&
		    c != '-' && c != '.')
			return URL_BAD;
	}
	if (i == s.len)
		return URL_BAD;
	scheme.p = s.p;
	scheme.len = i;
	*clean_r = s;
	if (strv_eq_ci_ascii(scheme, STRV_LIT("http")) ||
	    strv_eq_ci_ascii(scheme, STRV_LIT("https")))
		return URL_HTTP;
	if (strv_eq_ci_ascii(scheme, STRV_LIT("mailto")))
		return URL_MAILTO;
	if (strv_eq_ci_ascii(scheme, STRV_LIT("cid")))
		return URL_CID;
	*clean_r = STRV_NULL;
	return URL_BAD;
}

struct strv
url_host(struct strv url, struct arena *a)
{
	struct strv s;
	size_t i, start, end, at;
	char *h;

	if (strv_find_char(url, ':') < 0)
		return STRV_LIT("");
	s.p = url.p + strv_find_char(url, ':') + 1;
	s.len = url.len - (size_t)(s.p - url.p);
	/* Browsers accept any number of / and \ after http: */
	for (i = 0; i < s.len && (s.p[i] == '/' || s.p[i] == '\\'); i++)
		;
	start = i;
	for (end = start; end < s.len; end++) {
		char c = s.p[end];

		if (c == '/' || c == '\\' || c == '?' || c == '#')
			break;
	}
	for (at = end; at > start; at--) {
		if (s.p[at - 1] == '@') {
			start = at;
			break;
		}
	}
	for (i = start; i < end; i++) {
		if (s.p[i] == ':')
			break;
	}
	end = i;
	while (end > start && s.p[end - 1] == '.')
		end--;
	h = arena_alloc(a, end - start + 1);
	if (h == NULL)
		return STRV_LIT("");
	for (i = start; i < end; i++)
		h[i - start] = pt_ascii_tolower(s.p[i]);
	return (struct strv){h, end - start};
}

/*
 * A short list of hosts that serve nothing but open-tracking beacons. Not
 * meant to be complete: size-based detection catches most of the rest.
 */
static const char *const beacon_hosts[] = {
        "google-analytics.com", "doubleclick.net",   "mailtrack.io",
        "list-manage.com",      "mandrillapp.com",   "sendgrid.net",
        "mixpanel.com",         "pixel.wp.com",      "bat.bing.com",
        "hubspotemail.net",     "track.hubspot.com", "mailfoogae.appspot.com",
        "emltrk.com",           "bananatag.com",     "getnotify.com",
        "yesware.com",          "mailstat.us",       "pixel.mathtag.com",
        "pardot.com",
};

bool
url_host_is_beacon(struct strv host)
{
	size_t i;

	for (i = 0; i < PT_NELEM(beacon_hosts); i++) {
		struct strv b = strv_from_cstr(beacon_hosts[i]);

		if (host.len < b.len)
			continue;
		if (memcmp(host.p + host.len - b.len, b.p, b.len) != 0)
			continue;
		if (host.len == b.len || host.p[host.len - b.len - 1] == '.')
			return true;
	}
	return false;
}
