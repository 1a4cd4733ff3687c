/*
 * Header text to UTF-8: RFC 2047 encoded words and the charset policy for
 * header values (RFC 2231 parameters are in decode.c). Used by imap's
 * message rows and the message view.
 */
#include <string.h>

#include "mime.h"
#include "mime_private.h"
#include "core/banned.h"

/* Copy s into b as UTF-8, replacing invalid sequences and controls. */
static void
append_clean_utf8(struct sbuf *b, struct strv s)
{
	size_t i = 0;

	while (i < s.len) {
		unsigned char ch = (unsigned char)s.p[i];
		uint32_t cp;
		size_t n;

		if (ch < 0x80) {
			sbuf_append_char(b, ch < 0x20 || ch == 0x7f ? ' '
			                                            : (char)ch);
			i++;
			continue;
		}
		n = codec_utf8_decode(s.p + i, s.len - i, &cp);
		if (n != 0) {
			sbuf_append(b, s.p + i, n);
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
mime_header_text_to_utf8(struct strv charset, struct strv in, struct sbuf *b)
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
	if (!mime_header_text_to_utf8(cs, bytes, b))
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
mime_decode_header(struct strv raw, struct arena *a)
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
