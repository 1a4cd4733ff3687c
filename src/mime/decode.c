/*
 * Transfer encodings, format=flowed, RFC 2231 parameters and filenames.
 * All of it is tolerant by design: mail from broken mailers is still
 * mail the user wants to read.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "mime_private.h"
#include "core/banned.h"

enum mime_encoding
mime_encoding_parse(struct strv name)
{
	name = strv_trim(name);
	if (strv_eq_ci_ascii(name, STRV_LIT("base64")))
		return MIME_ENC_BASE64;
	if (strv_eq_ci_ascii(name, STRV_LIT("quoted-printable")))
		return MIME_ENC_QP;
	return MIME_ENC_IDENTITY;
}

/* Base64 digits of in into out (at most in.len / 4 * 3 + 3 bytes). */
static size_t
b64_run(unsigned *accp, unsigned *bitsp, struct strv in, unsigned char *out)
{
	size_t i, n = 0;
	unsigned acc = *accp, bits = *bitsp;

	for (i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];
		int v;

		if (c == '=') {
			/* Padding ends the quartet; a new block may follow. */
			acc = 0;
			bits = 0;
			continue;
		}
		v = codec_base64_digit(c, true);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*accp = acc;
	*bitsp = bits;
	return n;
}

static struct strv
base64_decode(struct strv in, struct arena *a)
{
	unsigned char *out = arena_alloc(a, in.len / 4 * 3 + 4);
	unsigned acc = 0, bits = 0;
	size_t n;

	if (out == NULL)
		return STRV_LIT("");
	n = b64_run(&acc, &bits, in, out);
	out[n] = '\0';
	return (struct strv){(const char *)out, n};
}

/*
 * Quoted-printable in into out (at most in.len bytes). Looks ahead only
 * to the end of a line, so whole lines can be decoded one run at a time.
 */
static size_t
qp_run(struct strv in, char *out)
{
	size_t i = 0, n = 0;
	int v;

	while (i < in.len) {
		char c = in.p[i];

		if (c == ' ' || c == '\t') {
			/* RFC 2045 6.7 (3): trailing whitespace is padding. */
			size_t j = i;

			while (j < in.len &&
			       (in.p[j] == ' ' || in.p[j] == '\t'))
				j++;
			if (j == in.len || in.p[j] == '\r' || in.p[j] == '\n') {
				i = j;
				continue;
			}
			memcpy(out + n, in.p + i, j - i);
			n += j - i;
			i = j;
			continue;
		}
		if (c != '=') {
			out[n++] = c;
			i++;
			continue;
		}
		/* Soft line break: '=' then optional whitespace, then EOL. */
		{
			size_t j = i + 1;

			while (j < in.len &&
			       (in.p[j] == ' ' || in.p[j] == '\t'))
				j++;
			if (j < in.len && in.p[j] == '\r')
				j++;
			if (j < in.len && in.p[j] == '\n') {
				i = j + 1;
				continue;
			}
			if (j == in.len) {
				i = j;
				continue;
			}
		}
		if (i + 2 < in.len && (v = codec_hex_pair(in.p + i + 1)) >= 0) {
			out[n++] = (char)v;
			i += 3;
			continue;
		}
		/* Malformed escape: keep it as it is. */
		out[n++] = '=';
		i++;
	}
	return n;
}

static struct strv
qp_decode(struct strv in, struct arena *a)
{
	char *out = arena_alloc(a, in.len + 1);
	size_t n;

	if (out == NULL)
		return STRV_LIT("");
	n = qp_run(in, out);
	out[n] = '\0';
	return (struct strv){out, n};
}

struct strv
mime_transfer_decode(enum mime_encoding enc, struct strv in, struct arena *a)
{
	switch (enc) {
	case MIME_ENC_BASE64:
		return base64_decode(in, a);
	case MIME_ENC_QP:
		return qp_decode(in, a);
	case MIME_ENC_IDENTITY:
		break;
	}
	return in;
}

/* ---- the same in pieces --------------------------------------------- */

/* A QP line longer than this is decoded without waiting for its end. */
#define QP_CARRY_MAX (256u * 1024)

void
mime_stream_init(struct mime_stream *st, enum mime_encoding enc)
{
	memset(st, 0, sizeof(*st));
	st->enc = enc;
	sbuf_init(&st->carry, NULL, 0, 0);
}

/* QP of the bytes of st->carry up to cut, appended to out. */
static void
qp_flush(struct mime_stream *st, size_t cut, struct sbuf *out)
{
	struct strv c = sbuf_view(&st->carry);
	char *tmp;

	if (cut == 0)
		return;
	tmp = pt_xmalloc(cut);
	sbuf_append(out, tmp, qp_run((struct strv){c.p, cut}, tmp));
	free(tmp);
	/* Keep the rest: no sbuf call drops a prefix, so move it here. */
	c = sbuf_view(&st->carry);
	memmove(st->carry.data, c.p + cut, c.len - cut);
	st->carry.len = c.len - cut;
}

void
mime_stream_feed(struct mime_stream *st, struct strv in, struct sbuf *out)
{
	switch (st->enc) {
	case MIME_ENC_BASE64: {
		unsigned char *tmp;

		if (in.len == 0)
			return;
		tmp = pt_xmalloc(in.len / 4 * 3 + 4);
		sbuf_append(out, tmp, b64_run(&st->acc, &st->bits, in, tmp));
		free(tmp);
		return;
	}
	case MIME_ENC_QP: {
		struct strv c;
		size_t cut;

		/* Whole lines only: the decoder looks ahead to a line end. */
		sbuf_append(&st->carry, in.p, in.len);
		c = sbuf_view(&st->carry);
		cut = c.len;
		while (cut > 0 && c.p[cut - 1] != '\n')
			cut--;
		if (cut == 0 && c.len > QP_CARRY_MAX) {
			/* No line end in sight: cut before a space or '='. */
			cut = c.len;
			while (cut > 0 &&
			       (c.p[cut - 1] == ' ' || c.p[cut - 1] == '\t' ||
			        c.p[cut - 1] == '=' ||
			        (cut >= 2 && c.p[cut - 2] == '=')))
				cut--;
			/* Nothing but spaces and '=': take it as it is. */
			if (cut == 0 && c.len > 2 * QP_CARRY_MAX)
				cut = c.len;
		}
		qp_flush(st, cut, out);
		return;
	}
	case MIME_ENC_IDENTITY:
		break;
	}
	sbuf_append(out, in.p, in.len);
}

void
mime_stream_finish(struct mime_stream *st, struct sbuf *out)
{
	if (st->enc == MIME_ENC_QP)
		qp_flush(st, st->carry.len, out);
	sbuf_free(&st->carry);
}

/* ---- format=flowed (RFC 3676) -------------------------------------- */

struct strv
mime_flowed_unwrap(struct strv text, bool delsp, struct arena *a)
{
	struct sbuf b;
	size_t pos = 0;
	size_t cur_depth = 0;
	bool open = false; /* the last line was soft-broken */

	sbuf_init(&b, a, text.len + 1, 0);
	while (pos < text.len) {
		size_t end = pos, next, depth = 0;
		struct strv line;
		bool flowed;

		while (end < text.len && text.p[end] != '\n')
			end++;
		next = end < text.len ? end + 1 : end;
		if (end > pos && text.p[end - 1] == '\r')
			end--;
		line = (struct strv){text.p + pos, end - pos};
		pos = next;
		while (depth < line.len && line.p[depth] == '>')
			depth++;
		line.p += depth;
		line.len -= depth;
		/* Space stuffing (4.4). */
		if (line.len > 0 && line.p[0] == ' ')
			line.p++, line.len--;
		flowed = line.len > 0 && line.p[line.len - 1] == ' ' &&
		         !strv_eq_cstr(line, "-- ");
		if (open && depth != cur_depth) {
			/* A quote depth change ends the paragraph (4.5). */
			sbuf_append_char(&b, '\n');
			open = false;
		}
		if (!open && depth > 0) {
			size_t k;

			for (k = 0; k < depth; k++)
				sbuf_append_char(&b, '>');
			sbuf_append_char(&b, ' ');
		}
		if (flowed && delsp)
			line.len--;
		sbuf_append_strv(&b, line);
		if (!flowed)
			sbuf_append_char(&b, '\n');
		open = flowed;
		cur_depth = depth;
	}
	if (open)
		sbuf_append_char(&b, '\n');
	return sbuf_view(&b);
}

/* ---- RFC 2231 ------------------------------------------------------ */

/* Percent-decode (malformed escapes kept) into b. */
static void
pct_decode(struct strv v, struct sbuf *b)
{
	size_t i;
	int x;

	for (i = 0; i < v.len; i++) {
		if (v.p[i] == '%' && i + 2 < v.len &&
		    (x = codec_hex_pair(v.p + i + 1)) >= 0) {
			sbuf_append_char(b, (char)x);
			i += 2;
		} else {
			sbuf_append_char(b, v.p[i]);
		}
	}
}

/* Split "charset'lang'rest"; without two quotes the charset is empty. */
static struct strv
split_2231(struct strv v, struct strv *charset_r)
{
	ptrdiff_t q1 = strv_find_char(v, '\'');
	struct strv rest;
	ptrdiff_t q2;

	*charset_r = STRV_NULL;
	if (q1 < 0)
		return v;
	rest = (struct strv){v.p + q1 + 1, v.len - (size_t)q1 - 1};
	q2 = strv_find_char(rest, '\'');
	if (q2 < 0)
		return v;
	*charset_r = (struct strv){v.p, (size_t)q1};
	return (struct strv){rest.p + q2 + 1, rest.len - (size_t)q2 - 1};
}

const char *
mime_2231_decode(struct strv value, struct arena *a)
{
	struct strv cs, rest = split_2231(value, &cs);
	struct sbuf b;

	sbuf_init(&b, a, rest.len + 1, 0);
	pct_decode(rest, &b);
	return mime_to_utf8(cs.len > 0 ? cs : STRV_LIT("utf-8"), sbuf_view(&b),
	                    a);
}

#define MAX_CONTINUATIONS 64

const char *
mime_param_get(const struct mime_param *params, size_t n, const char *name,
               struct arena *a)
{
	size_t nlen = strlen(name), i, k;
	const char *plain = NULL;
	struct strv piece[MAX_CONTINUATIONS];
	bool piece_ext[MAX_CONTINUATIONS];
	bool any = false;
	struct strv charset = STRV_NULL;
	struct sbuf raw;

	memset(piece, 0, sizeof(piece));
	memset(piece_ext, 0, sizeof(piece_ext));
	for (i = 0; i < n; i++) {
		const char *pn = params[i].name;
		const char *v = params[i].value != NULL ? params[i].value : "";
		const char *rest;

		if (pn == NULL || strncasecmp(pn, name, nlen) != 0)
			continue;
		rest = pn + nlen;
		if (*rest == '\0') {
			if (plain == NULL)
				plain = v;
			continue;
		}
		if (*rest != '*')
			continue;
		rest++;
		if (*rest == '\0') {
			/* name*=charset'lang'value: complete by itself. */
			return mime_2231_decode(strv_from_cstr(v), a);
		}
		{
			uint64_t idx;
			size_t dl = strcspn(rest, "*");
			bool ext = rest[dl] == '*';

			if (rest[dl] != '\0' && !(ext && rest[dl + 1] == '\0'))
				continue;
			if (!pt_parse_u64((struct strv){rest, dl},
			                  MAX_CONTINUATIONS - 1, &idx))
				continue;
			if (piece[idx].p != NULL)
				continue;
			piece[idx] = strv_from_cstr(v);
			piece_ext[idx] = ext;
			any = true;
		}
	}
	if (!any)
		return plain != NULL ? arena_strdup(a, plain) : NULL;
	/* RFC 2231 3/4: only the first piece carries charset'lang'. */
	sbuf_init(&raw, a, 64, 0);
	for (k = 0; k < MAX_CONTINUATIONS && piece[k].p != NULL; k++) {
		struct strv v = piece[k];

		if (k == 0 && piece_ext[0])
			v = split_2231(v, &charset);
		if (piece_ext[k])
			pct_decode(v, &raw);
		else
			sbuf_append_strv(&raw, v);
	}
	return mime_to_utf8(charset, sbuf_view(&raw), a);
}

/* ---- filenames ----------------------------------------------------- */

/*
 * UTF-8 length of the bidi control at p, or 0: U+202A-202E (embeddings,
 * overrides), U+2066-2069 (isolates), U+200E/200F (marks), U+061C (Arabic
 * letter mark). In a file name they only serve to disguise it: RLO turns
 * "invoice<RLO>fdp.exe" into what reads as "invoiceexe.pdf".
 */
size_t
mime_bidi_control_len(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	if (u[0] == 0xD8 && u[1] == 0x9C)
		return 2;
	if (u[0] != 0xE2)
		return 0;
	if (u[1] == 0x80 &&
	    ((u[2] >= 0xAA && u[2] <= 0xAE) || u[2] == 0x8E || u[2] == 0x8F))
		return 3;
	if (u[1] == 0x81 && u[2] >= 0xA6 && u[2] <= 0xA9)
		return 3;
	return 0;
}

const char *
mime_bidi_neutral(const char *s, struct arena *a)
{
	struct sbuf b;
	size_t i, n;

	sbuf_init(&b, a, strlen(s) + 1, 0);
	for (i = 0; s[i] != '\0'; i++) {
		n = mime_bidi_control_len(s + i);
		if (n > 0) {
			sbuf_append_char(&b, '_');
			i += n - 1;
		} else {
			sbuf_append_char(&b, s[i]);
		}
	}
	return sbuf_cstr(&b);
}

#define FILENAME_MAX_BYTES 200

const char *
mime_filename_clean(const char *name, const char *fallback, struct arena *a)
{
	struct sbuf b;
	const char *s, *utf;
	size_t i, start, end, len;
	char *out;

	if (name == NULL)
		name = "";
	/* Keep the last path component. */
	s = name;
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '/' || name[i] == '\\')
			s = name + i + 1;
	utf = mime_to_utf8(STRV_LIT("utf-8"), strv_from_cstr(s), a);
	sbuf_init(&b, a, strlen(utf) + 1, 0);
	for (i = 0; utf[i] != '\0'; i++) {
		unsigned char c = (unsigned char)utf[i];
		size_t bidi = mime_bidi_control_len(utf + i);

		if (bidi > 0) {
			sbuf_append_char(&b, '_');
			i += bidi - 1;
			continue;
		}
		/* C1 controls are U+0080..U+009F: C2 80..C2 9F in UTF-8. */
		if (c == 0xC2 && (unsigned char)utf[i + 1] >= 0x80 &&
		    (unsigned char)utf[i + 1] <= 0x9F) {
			sbuf_append_char(&b, '_');
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7F ||
		    strchr("*:<>?|\"", (char)c) != NULL)
			sbuf_append_char(&b, '_');
		else
			sbuf_append_char(&b, (char)c);
	}
	out = (char *)sbuf_cstr(&b);
	len = strlen(out);
	start = 0;
	while (start < len && (out[start] == '.' || out[start] == ' '))
		start++;
	end = len;
	while (end > start && (out[end - 1] == '.' || out[end - 1] == ' '))
		end--;
	if (end - start > FILENAME_MAX_BYTES) {
		/* Keep a short extension, cut the stem at a boundary. */
		const char *dot = NULL;
		size_t ext_len = 0, cut;

		for (i = end; i > start; i--)
			if (out[i - 1] == '.') {
				dot = out + i - 1;
				break;
			}
		if (dot != NULL && (size_t)(out + end - dot) <= 16)
			ext_len = (size_t)(out + end - dot);
		cut = start + codec_utf8_cut(out + start, end - start,
		                             FILENAME_MAX_BYTES - ext_len);
		memmove(out + cut, out + end - ext_len, ext_len);
		end = cut + ext_len;
	}
	if (end <= start)
		return arena_strdup(a,
		                    fallback != NULL ? fallback : "attachment");
	return arena_strndup(a, out + start, end - start);
}

const char *
mime_filename_ascii(const char *name, struct arena *a)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b, a, strlen(name) + 1, 0);
	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x80) {
			/* One '_' per character, not per byte. */
			if ((c & 0xC0) != 0x80)
				sbuf_append_char(&b, '_');
			continue;
		}
		if (c < 0x20 || c == 0x7F || c == '"' || c == '%' || c == ';' ||
		    c == '\\')
			sbuf_append_char(&b, '_');
		else
			sbuf_append_char(&b, (char)c);
	}
	return sbuf_cstr(&b);
}
