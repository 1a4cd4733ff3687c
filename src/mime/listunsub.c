/*
 * List-Unsubscribe (RFC 2369, RFC 8058) and mailto: URLs (RFC 6068).
 *
 * Both come from whoever sent the message, so they are read as hostile:
 * a bounded value, only http(s) and mailto schemes, printable ASCII
 * without spaces inside the brackets, and decoded mailto fields that can
 * never carry a line break into a header.
 */
#include <string.h>

#include "mime/mime.h"
#include "core/banned.h"

/* RFC 8058 3.1: the one key/value pair List-Unsubscribe-Post holds. */
#define ONE_CLICK "List-Unsubscribe=One-Click"

static bool
url_chars_ok(struct strv u)
{
	size_t i;

	if (u.len == 0 || u.len > MIME_UNSUB_MAX)
		return false;
	for (i = 0; i < u.len; i++) {
		unsigned char c = (unsigned char)u.p[i];

		/* RFC 3986 characters only: no controls, spaces, quotes,
		 * angle brackets or non-ASCII (a URL with those was never
		 * meant for a machine to follow). */
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == '\\')
			return false;
	}
	return true;
}

int
mime_list_unsubscribe_parse(struct strv value, struct strv post,
                            struct arena *a, struct mime_unsubscribe *r)
{
	size_t i = 0, n = 0;

	memset(r, 0, sizeof(*r));
	if (value.p == NULL || value.len > MIME_UNSUB_MAX ||
	    mime_has_crlf_nul(value) || strv_find_char(value, '<') < 0)
		return -1;
	while (i < value.len && n < MIME_UNSUB_MAX_URLS) {
		struct strv u;
		size_t start;

		while (i < value.len &&
		       (value.p[i] == ' ' || value.p[i] == '\t' ||
		        value.p[i] == ','))
			i++;
		if (i == value.len)
			break;
		if (value.p[i] != '<')
			break; /* RFC 2369 2: a comment or junk ends the list */
		start = ++i;
		while (i < value.len && value.p[i] != '>')
			i++;
		if (i == value.len)
			break; /* no closing bracket: the entry is cut */
		u = (struct strv){value.p + start, i - start};
		i++;
		n++;
		if (!url_chars_ok(u))
			continue;
		if (r->https == NULL &&
		    strv_starts_with_ci_ascii(u, STRV_LIT("https://")))
			r->https = strv_dup(a, u);
		else if (r->http == NULL &&
		         strv_starts_with_ci_ascii(u, STRV_LIT("http://")))
			r->http = strv_dup(a, u);
		else if (r->mailto == NULL &&
		         strv_starts_with_ci_ascii(u, STRV_LIT("mailto:")))
			r->mailto = strv_dup(a, u);
	}
	r->one_click = r->https != NULL && post.p != NULL &&
	               strv_eq(strv_trim(post), STRV_LIT(ONE_CLICK));
	return r->https != NULL || r->http != NULL || r->mailto != NULL;
}

/* ---- mailto: --------------------------------------------------------------
 */

/*
 * One %-decoded field. multiline: body, where CRLF, CR and LF become LF
 * and TAB stays; elsewhere any control character is refused.
 */
static int
field(struct strv raw, bool multiline, const char *what, struct arena *a,
      struct sbuf *out, struct perr *err)
{
	struct strv d;
	size_t i;

	if (codec_url_decode(raw, false, a, &d) != 0)
		return perr_set(err, a, PERR_INPUT,
		                "mailto: bad %%-escape in %s", what);
	if (!codec_utf8_valid(d))
		return perr_set(err, a, PERR_INPUT, "mailto: %s is not UTF-8",
		                what);
	for (i = 0; i < d.len; i++) {
		unsigned char c = (unsigned char)d.p[i];

		if (multiline && c == '\r') {
			if (i + 1 < d.len && d.p[i + 1] == '\n')
				i++;
			sbuf_append_char(out, '\n');
		} else if (multiline && (c == '\n' || c == '\t')) {
			sbuf_append_char(out, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			return perr_set(err, a, PERR_INPUT,
			                "mailto: control character in %s",
			                what);
		} else {
			sbuf_append_char(out, (char)c);
		}
	}
	return 0;
}

/* Append one address list to a "a, b" list. */
static int
addr_field(struct strv raw, const char *what, struct arena *a, struct sbuf *out,
           struct perr *err)
{
	if (raw.len == 0)
		return 0;
	if (out->len > 0)
		sbuf_append_cstr(out, ", ");
	return field(raw, false, what, a, out, err);
}

int
mime_mailto_parse(struct strv uri, struct arena *a, struct mime_mailto *r,
                  struct perr *err)
{
	struct sbuf to, cc, bcc, subject, body;
	struct strv path, query, pair, rest;
	struct sbuf *const bufs[] = {&to, &cc, &bcc, &subject, &body};
	size_t i;

	memset(r, 0, sizeof(*r));
	if (uri.p == NULL ||
	    !strv_starts_with_ci_ascii(uri, STRV_LIT("mailto:")))
		return perr_set(err, a, PERR_INPUT, "not a mailto: URL");
	if (uri.len > MIME_MAILTO_MAX)
		return perr_set(err, a, PERR_INPUT,
		                "mailto: URL longer than %d bytes",
		                MIME_MAILTO_MAX);
	for (i = 0; i < PT_NELEM(bufs); i++)
		sbuf_init(bufs[i], a, 64, MIME_MAILTO_MAX * 3);
	rest = (struct strv){uri.p + 7, uri.len - 7};
	/* Without a separator the whole is the left side, the right empty. */
	(void)strv_split_once(rest, '?', &path, &query);
	if (addr_field(path, "the address", a, &to, err) != 0)
		return -1;
	while (query.len > 0) {
		struct strv name, val;

		(void)strv_split_once(query, '&', &pair, &query);
		if (!strv_split_once(pair, '=', &name, &val))
			continue;
		if (strv_eq_ci_ascii(name, STRV_LIT("to"))) {
			if (addr_field(val, "to", a, &to, err) != 0)
				return -1;
		} else if (strv_eq_ci_ascii(name, STRV_LIT("cc"))) {
			if (addr_field(val, "cc", a, &cc, err) != 0)
				return -1;
		} else if (strv_eq_ci_ascii(name, STRV_LIT("bcc"))) {
			if (addr_field(val, "bcc", a, &bcc, err) != 0)
				return -1;
		} else if (strv_eq_ci_ascii(name, STRV_LIT("subject"))) {
			sbuf_reset(&subject);
			if (field(val, false, "the subject", a, &subject,
			          err) != 0)
				return -1;
		} else if (strv_eq_ci_ascii(name, STRV_LIT("body"))) {
			sbuf_reset(&body);
			if (field(val, true, "the body", a, &body, err) != 0)
				return -1;
		}
	}
	for (i = 0; i < PT_NELEM(bufs); i++)
		if (!sbuf_ok(bufs[i]))
			return perr_set(err, a, PERR_LIMIT,
			                "mailto: URL too long");
	r->to = sbuf_cstr(&to);
	r->cc = sbuf_cstr(&cc);
	r->bcc = sbuf_cstr(&bcc);
	r->subject = sbuf_cstr(&subject);
	r->body = sbuf_cstr(&body);
	return 0;
}
