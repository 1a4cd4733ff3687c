/*
 * Text helpers for message rows: the RFC 5256 base subject used by the
 * client-side sort, previews, dates. RFC 2047 decoding is mime's
 * (src/mime/header.c).
 */
#include <string.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "imap_text.h"
#include "mime/mime.h"
#include "core/banned.h"

/* The decoder is mime's; the row API keeps its name for its callers. */
const char *
imap_decode_header(struct strv raw, struct arena *a)
{
	return mime_decode_header(raw, a);
}

const char *
imap_make_preview(struct strv s, size_t max, struct arena *a)
{
	struct sbuf b;
	size_t i = 0, chars = 0;
	bool space = false;

	sbuf_init(&b, a, max * 2 + 8, max * 4 + 8);
	while (i < s.len && chars < max) {
		unsigned char ch = (unsigned char)s.p[i];
		size_t n = 1;

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' ||
		    ch == '\f' || ch == '\v') {
			space = b.len > 0;
			i++;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f) {
			i++;
			continue;
		}
		if (ch >= 0xf0)
			n = 4;
		else if (ch >= 0xe0)
			n = 3;
		else if (ch >= 0xc0)
			n = 2;
		if (i + n > s.len)
			break;
		if (space) {
			sbuf_append_char(&b, ' ');
			chars++;
			space = false;
			if (chars >= max)
				break;
		}
		sbuf_append(&b, s.p + i, n);
		chars++;
		i += n;
	}
	return sbuf_ok(&b) ? sbuf_cstr(&b) : "";
}

static bool
ci_prefix(const char *s, const char *p)
{
	return strv_starts_with_ci_ascii(strv_from_cstr(s), strv_from_cstr(p));
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP; returns length or 0. */
static size_t
blob_len(const char *s)
{
	size_t i = 1;

	if (s[0] != '[')
		return 0;
	while (s[i] != '\0' && s[i] != '[' && s[i] != ']')
		i++;
	if (s[i] != ']')
		return 0;
	i++;
	while (s[i] == ' ')
		i++;
	return i;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" */
static size_t
refwd_len(const char *s)
{
	size_t i;

	if (ci_prefix(s, "re"))
		i = 2;
	else if (ci_prefix(s, "fwd"))
		i = 3;
	else if (ci_prefix(s, "fw"))
		i = 2;
	else
		return 0;
	while (s[i] == ' ')
		i++;
	i += blob_len(s + i);
	if (s[i] != ':')
		return 0;
	return i + 1;
}

const char *
imap_base_subject(const char *subject, struct arena *a)
{
	struct sbuf b;
	char *s, *p;
	size_t len, n;
	bool changed;

	/* (1) collapse whitespace */
	sbuf_init(&b, a, strlen(subject) + 1, 64 * 1024);
	for (p = (char *)(uintptr_t)subject; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			if (b.len > 0 && b.data[b.len - 1] != ' ')
				sbuf_append_char(&b, ' ');
		} else {
			sbuf_append_char(&b, *p);
		}
	}
	if (!sbuf_ok(&b))
		return "";
	s = (char *)sbuf_cstr(&b);
	len = strlen(s);
	for (;;) {
		/* (2) trailing "(fwd)" and whitespace */
		do {
			changed = false;
			while (len > 0 && s[len - 1] == ' ')
				s[--len] = '\0';
			if (len >= 5 && ci_prefix(s + len - 5, "(fwd)")) {
				len -= 5;
				s[len] = '\0';
				changed = true;
			}
		} while (changed);
		/* (3) leaders: *subj-blob subj-refwd, or a lone blob */
		do {
			size_t bl = 0, k;

			changed = false;
			while (*s == ' ')
				s++, len--;
			k = 0;
			while ((n = blob_len(s + k)) > 0)
				k += n;
			if ((n = refwd_len(s + k)) > 0) {
				bl = k + n;
			} else if ((n = blob_len(s)) > 0 && s[n] != '\0') {
				bl = n;
			}
			if (bl > 0) {
				s += bl;
				len -= bl;
				changed = true;
			}
		} while (changed);
		/* (4) [fwd: ... ] */
		if (len >= 6 && ci_prefix(s, "[fwd:") && s[len - 1] == ']') {
			s += 5;
			len -= 6;
			s[len] = '\0';
			continue;
		}
		break;
	}
	return imapt_collate_key(s, a);
}

/* Latin-1 letters: base letter and combining mark (0 = none). */
static const struct {
	char base;
	uint16_t mark;
} latin1[64] = {
        {'A', 0x300}, {'A', 0x301}, {'A', 0x302}, {'A', 0x303}, {'A', 0x308},
        {'A', 0x30a}, {0, 0},       {'C', 0x327}, {'E', 0x300}, {'E', 0x301},
        {'E', 0x302}, {'E', 0x308}, {'I', 0x300}, {'I', 0x301}, {'I', 0x302},
        {'I', 0x308}, {0, 0},       {'N', 0x303}, {'O', 0x300}, {'O', 0x301},
        {'O', 0x302}, {'O', 0x303}, {'O', 0x308}, {0, 0},       {0, 0},
        {'U', 0x300}, {'U', 0x301}, {'U', 0x302}, {'U', 0x308}, {'Y', 0x301},
        {0, 0},       {0, 0},
};

/*
 * The comparison key of Dovecot's i;unicode-casemap (RFC 5051): title
 * case, then canonical decomposition, compared as bytes. Done here for
 * ASCII, Latin-1, Cyrillic and Greek, which covers the mail we sort on
 * the client side; other scripts keep their code points (still a total
 * order, but it may differ from the server's).
 */
const char *
imapt_collate_key(const char *s, struct arena *a)
{
	struct sbuf b;
	const unsigned char *p = (const unsigned char *)s;

	sbuf_init(&b, a, strlen(s) + 8, 128 * 1024);
	while (*p != '\0') {
		unsigned long cp;
		size_t n;

		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((*p & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
			cp = ((unsigned long)(*p & 0x1f) << 6) | (p[1] & 0x3f);
			n = 2;
		} else {
			sbuf_append_char(&b, (char)*p);
			p++;
			continue;
		}
		p += n;
		if (cp >= 'a' && cp <= 'z') {
			cp -= 0x20;
		} else if (cp >= 0xe0 && cp <= 0xfe && cp != 0xf7) {
			cp -= 0x20;
		} else if (cp == 0xff) {
			sbuf_append_char(&b, 'Y');
			codec_utf8_put(&b, 0x308);
			continue;
		} else if (cp == 0x401 || cp == 0x451) {
			codec_utf8_put(&b, 0x415);
			codec_utf8_put(&b, 0x308);
			continue;
		} else if (cp == 0x419 || cp == 0x439) {
			codec_utf8_put(&b, 0x418);
			codec_utf8_put(&b, 0x306);
			continue;
		} else if (cp >= 0x430 && cp <= 0x44f) {
			cp -= 0x20;
		} else if (cp >= 0x450 && cp <= 0x45f) {
			cp -= 0x50;
		} else if (cp == 0x3c2) {
			cp = 0x3a3;
		} else if (cp >= 0x3b1 && cp <= 0x3c9) {
			cp -= 0x20;
		}
		if (cp >= 0xc0 && cp <= 0xff && latin1[cp - 0xc0].base != 0) {
			sbuf_append_char(&b, latin1[cp - 0xc0].base);
			codec_utf8_put(&b, latin1[cp - 0xc0].mark);
			continue;
		}
		codec_utf8_put(&b, (uint32_t)cp);
	}
	return sbuf_ok(&b) ? sbuf_cstr(&b) : "";
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t
imapt_unix_time(int year, int month, int day, int hour, int min, int sec,
                int zone)
{
	int64_t t;
	int zabs = zone < 0 ? -zone : zone;
	int off = (zabs / 100) * 60 + zabs % 100;

	if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1)
		return 0;
	t = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 +
	    hour * 3600 + min * 60 + sec;
	return t - (zone < 0 ? -off : off) * 60;
}

int64_t
imapt_parse_date(const char *s)
{
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;
	int64_t t;

	if (s == NULL || *s == '\0')
		return 0;
	if (mailimf_date_time_parse(s, strlen(s), &idx, &dt) !=
	            MAILIMF_NO_ERROR ||
	    dt == NULL)
		return 0;
	t = imapt_unix_time(dt->dt_year < 100
	                            ? dt->dt_year +
	                                      (dt->dt_year < 50 ? 2000 : 1900)
	                            : dt->dt_year,
	                    dt->dt_month, dt->dt_day, dt->dt_hour, dt->dt_min,
	                    dt->dt_sec, dt->dt_zone);
	mailimf_date_time_free(dt);
	return t;
}

int64_t
imap_date_parse(const char *s)
{
	return imapt_parse_date(s);
}
