/*
 * Text helpers for message rows: RFC 2047 header decoding, the RFC 5256
 * base subject used by the client-side sort, previews, dates.
 */
#include <string.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "imap_text.h"
#include "mime/mime.h"
#include "core/banned.h"

/* Copy s into b as UTF-8, replacing invalid sequences and controls. */
static void
append_clean_utf8(struct sbuf *b, struct strv s)
{
	size_t i = 0;

	while (i < s.len) {
		unsigned char ch = (unsigned char)s.p[i];
		size_t n = 0, k;

		if (ch < 0x80) {
			sbuf_append_char(b, ch < 0x20 || ch == 0x7f ? ' '
			                                            : (char)ch);
			i++;
			continue;
		}
		if ((ch & 0xe0) == 0xc0)
			n = 2;
		else if ((ch & 0xf0) == 0xe0)
			n = 3;
		else if ((ch & 0xf8) == 0xf0)
			n = 4;
		if (n != 0 && i + n <= s.len &&
		    codec_utf8_valid((struct strv){s.p + i, n})) {
			for (k = 0; k < n; k++)
				sbuf_append_char(b, s.p[i + k]);
			i += n;
		} else {
			sbuf_append(b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
}

/*
 * RFC 2047 without libetpan. The benchmark of 2026-11-27 found libetpan's
 * mailmime_encoded_phrase_parse() to be a third of Petrel's CPU on a warm
 * message list: it runs charconv (iconv_open, a gconv dlopen, iconv_close)
 * for every word, even to turn "utf-8" into "utf-8". Here plain values are
 * checked and copied, encoded words are decoded in place, and the few
 * charsets that need iconv reuse one handle per charset and thread
 * (mime_iconv_append(), whose cache the message bodies share).
 */

#define CHARSET_NAME_MAX 40

/* A charset name worth asking iconv about (no paths, no options). */
static bool
charset_name_ok(struct strv cs)
{
	size_t i;

	if (cs.len == 0 || cs.len >= CHARSET_NAME_MAX)
		return false;
	for (i = 0; i < cs.len; i++) {
		unsigned char ch = (unsigned char)cs.p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.' || ch == ':' || ch == '+'))
			return false;
	}
	return true;
}

static bool
charset_is_utf8(struct strv cs)
{
	return strv_eq_ci_ascii(cs, STRV_LIT("utf-8")) ||
	       strv_eq_ci_ascii(cs, STRV_LIT("utf8")) ||
	       strv_eq_ci_ascii(cs, STRV_LIT("us-ascii")) ||
	       strv_eq_ci_ascii(cs, STRV_LIT("ascii"));
}

bool
imapt_charset_to_utf8(struct strv charset, struct strv in, struct sbuf *b)
{
	char name[CHARSET_NAME_MAX];
	struct sbuf tmp;
	bool known;

	if (charset_is_utf8(charset)) {
		append_clean_utf8(b, in);
		return true;
	}
	if (!charset_name_ok(charset))
		return false;
	memcpy(name, charset.p, charset.len);
	name[charset.len] = '\0';
	/* mime's per-thread iconv handles; controls become spaces here. */
	sbuf_init(&tmp, NULL, in.len * 2 + 16, 0);
	known = mime_iconv_append(name, in, &tmp);
	if (known)
		append_clean_utf8(b, sbuf_view(&tmp));
	sbuf_free(&tmp);
	return known;
}

/*
 * The bytes of an encoded word's text into out (at least text.len
 * bytes); returns their number. Lenient like libetpan: base64 skips
 * characters outside the alphabet and stops at '='; Q keeps a bad "=XY".
 */
static size_t
word_bytes(struct strv text, bool b64, char *out)
{
	size_t i, n = 0;

	if (b64) {
		unsigned acc = 0, bits = 0;

		for (i = 0; i < text.len && text.p[i] != '='; i++) {
			int v = codec_base64_digit((unsigned char)text.p[i],
			                           false);

			if (v < 0)
				continue;
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[n++] = (char)((acc >> bits) & 0xff);
			}
		}
		return n;
	}
	for (i = 0; i < text.len; i++) {
		char ch = text.p[i];
		int v;

		if (ch == '_') {
			out[n++] = ' ';
		} else if (ch == '=' && i + 2 < text.len &&
		           (v = codec_hex_pair(text.p + i + 1)) >= 0) {
			out[n++] = (char)v;
			i += 2;
		} else {
			out[n++] = ch;
		}
	}
	return n;
}

/*
 * One encoded word at s (RFC 2047 2.): "=?" charset "?" B|Q "?" text "?=".
 * The charset may carry an RFC 2231 "*language" (dropped); text runs to
 * the first "?=" and holds no white space. Returns the word's length, 0
 * if s does not start one.
 */
static size_t
parse_word(struct strv s, struct strv *charset_r, bool *b64_r,
           struct strv *text_r)
{
	size_t i = 2, cs_end, t0, k;

	if (s.len < 8 || s.p[0] != '=' || s.p[1] != '?')
		return 0;
	while (i < s.len && s.p[i] != '?' && s.p[i] != ' ' && s.p[i] != '\t' &&
	       s.p[i] != '\r' && s.p[i] != '\n')
		i++;
	if (i == 2 || i + 3 >= s.len || s.p[i] != '?' || s.p[i + 2] != '?')
		return 0;
	cs_end = i;
	switch (s.p[i + 1]) {
	case 'B':
	case 'b':
		*b64_r = true;
		break;
	case 'Q':
	case 'q':
		*b64_r = false;
		break;
	default:
		return 0;
	}
	t0 = i + 3;
	for (i = t0; i + 1 < s.len; i++) {
		if (s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == '\r' ||
		    s.p[i] == '\n')
			return 0;
		if (s.p[i] == '?' && s.p[i + 1] == '=')
			break;
	}
	if (i + 1 >= s.len)
		return 0;
	charset_r->p = s.p + 2;
	charset_r->len = cs_end - 2;
	for (k = 0; k < charset_r->len; k++) {
		if (charset_r->p[k] == '*') {
			charset_r->len = k;
			break;
		}
	}
	text_r->p = s.p + t0;
	text_r->len = i - t0;
	return i + 2;
}

static bool
is_lwsp(struct strv s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] != ' ' && s.p[i] != '\t' && s.p[i] != '\r' &&
		    s.p[i] != '\n')
			return false;
	}
	return true;
}

/* Valid UTF-8 without control characters: can be copied as it is. */
static bool
is_clean_utf8(struct strv s)
{
	size_t i;
	bool ascii = true;

	for (i = 0; i < s.len; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		if (ch < 0x20 || ch == 0x7f)
			return false;
		if (ch >= 0x80)
			ascii = false;
	}
	return ascii || codec_utf8_valid(s);
}

#define DECODE_MAX (64 * 1024)

/* The bytes of a run of encoded words in one charset, as UTF-8. */
static void
flush_words(struct sbuf *b, struct strv cs, struct strv bytes)
{
	if (bytes.len == 0)
		return;
	/* An unknown charset keeps the bytes, as libetpan did. */
	if (!imapt_charset_to_utf8(cs, bytes, b))
		append_clean_utf8(b, bytes);
}

/*
 * Adjacent encoded words of one charset are decoded to bytes first and
 * converted together: mailers fold long headers by cutting the encoded
 * text anywhere, also inside a multi-byte character ("=?UTF-8?B?0J7RgtE=?="
 * ends with the first byte of "ч"), and converting each word alone would
 * leave two U+FFFD where the character was. RFC 2047 6.2 forbids such
 * words but decoders in practice join them (as Thunderbird does).
 */
const char *
imap_decode_header(struct strv raw, struct arena *a)
{
	struct sbuf b;
	size_t i = 0, seg = 0, pend = 0;
	struct strv pend_cs = STRV_NULL;
	bool prev_word = false;
	char *bytes;

	if (raw.len == 0 || raw.p == NULL)
		return "";
	/* Fast path: most subjects, every address. */
	if (raw.len < DECODE_MAX && memmem(raw.p, raw.len, "=?", 2) == NULL &&
	    is_clean_utf8(raw)) {
		const char *s = arena_strndup(a, raw.p, raw.len);

		return s != NULL ? s : "";
	}
	sbuf_init(&b, a, raw.len + 16, DECODE_MAX);
	/* The words' bytes are never more than their text. */
	bytes = arena_alloc(a, raw.len + 1);
	if (bytes == NULL)
		return "";
	while (i < raw.len) {
		struct strv rest = {raw.p + i, raw.len - i};
		struct strv cs, text, between = {raw.p + seg, i - seg};
		size_t wlen;
		bool b64, joined;

		if (raw.p[i] != '=' ||
		    (wlen = parse_word(rest, &cs, &b64, &text)) == 0) {
			i++;
			continue;
		}
		/* RFC 2047 6.2: white space between two words is dropped. */
		joined = prev_word && is_lwsp(between);
		if (!joined || !strv_eq_ci_ascii(cs, pend_cs)) {
			flush_words(&b, pend_cs, (struct strv){bytes, pend});
			pend = 0;
			pend_cs = cs;
		}
		if (!joined)
			append_clean_utf8(&b, between);
		pend += word_bytes(text, b64, bytes + pend);
		i += wlen;
		seg = i;
		prev_word = true;
	}
	flush_words(&b, pend_cs, (struct strv){bytes, pend});
	append_clean_utf8(&b, (struct strv){raw.p + seg, raw.len - seg});
	return sbuf_ok(&b) ? sbuf_cstr(&b) : "";
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
