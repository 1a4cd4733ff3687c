#include <string.h>

#include "core.h"
#include "banned.h"

static const char hex_digits[] = "0123456789abcdef";
static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
codec_hex_encode(struct arena *a, const void *p, size_t n)
{
	const unsigned char *in = p;
	char *out;
	size_t i;

	if (n > (SIZE_MAX - 1) / 2)
		return NULL;
	out = arena_alloc(a, n * 2 + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

/* One quantum: 1 to 3 bytes of in as 4 characters (padded) into out. */
static void
b64_quantum(const unsigned char *in, size_t n, char *out)
{
	uint32_t v = (uint32_t)in[0] << 16;

	if (n > 1)
		v |= (uint32_t)in[1] << 8;
	if (n > 2)
		v |= in[2];
	out[0] = b64_alphabet[v >> 18];
	out[1] = b64_alphabet[(v >> 12) & 63];
	out[2] = n > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
	out[3] = n > 2 ? b64_alphabet[v & 63] : '=';
}

char *
codec_base64_encode(struct arena *a, const void *p, size_t n)
{
	const unsigned char *in = p;
	size_t i, o = 0;
	char *out;

	if (n > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	out = arena_alloc(a, (n + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i += 3, o += 4)
		b64_quantum(in + i, n - i < 3 ? n - i : 3, out + o);
	out[o] = '\0';
	return out;
}

void
codec_base64_append_lines(struct sbuf *out, const void *p, size_t n,
                          size_t line_len)
{
	const unsigned char *in = p;
	size_t per_line = line_len / 4 * 3, i;
	char q[4];

	for (i = 0; i < n; i += 3) {
		b64_quantum(in + i, n - i < 3 ? n - i : 3, q);
		sbuf_append(out, q, 4);
		if ((i + 3) % per_line == 0 || i + 3 >= n)
			sbuf_append(out, "\r\n", 2);
	}
}

int
codec_base64_digit(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || (url && c == '-'))
		return 62;
	if (c == '/' || (url && c == '_'))
		return 63;
	return -1;
}

int
codec_base64_decode(struct strv in, struct arena *a, struct strv *out_r)
{
	unsigned char *out;
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	out = arena_alloc(a, in.len / 4 * 3 + 4);
	if (out == NULL)
		return -1;
	for (i = 0; i < in.len; i++) {
		char c = in.p[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=')
			break;
		v = codec_base64_digit((unsigned char)c, true);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	for (; i < in.len; i++) {
		char c = in.p[i];

		if (c != '=' && c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return -1;
	}
	out[o] = '\0';
	out_r->p = (const char *)out;
	out_r->len = o;
	return 0;
}

static int
hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
codec_hex_pair(const char *p)
{
	int hi = hex_digit((unsigned char)p[0]), lo;

	if (hi < 0 || (lo = hex_digit((unsigned char)p[1])) < 0)
		return -1;
	return hi << 4 | lo;
}
int
codec_url_decode(struct strv in, bool plus_is_space, struct arena *a,
                 struct strv *out_r)
{
	char *out;
	size_t i, o = 0;

	out = arena_alloc(a, in.len + 1);
	if (out == NULL)
		return -1;
	for (i = 0; i < in.len; i++) {
		char c = in.p[i];

		if (c == '%') {
			int v;

			if (in.len - i < 3 ||
			    (v = codec_hex_pair(in.p + i + 1)) < 0)
				return -1;
			out[o++] = (char)v;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			out[o++] = ' ';
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
	out_r->p = out;
	out_r->len = o;
	return 0;
}

const char *
codec_html_entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

void
codec_html_escape(struct sbuf *out, struct strv in)
{
	size_t i, run = 0;
	const char *ent;

	for (i = 0; i < in.len; i++) {
		ent = codec_html_entity(in.p[i]);
		if (ent == NULL)
			continue;
		sbuf_append(out, in.p + run, i - run);
		sbuf_append_cstr(out, ent);
		run = i + 1;
	}
	sbuf_append(out, in.p + run, in.len - run);
}

void
codec_json_string(struct sbuf *out, struct strv in)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0;

	sbuf_append_char(out, '"');
	while (i < in.len) {
		unsigned char c = (unsigned char)in.p[i];
		uint32_t cp;
		size_t n;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			/* Well-formed UTF-8 goes as it is; a bad byte is
			 * U+FFFD. */
			n = codec_utf8_decode(in.p + i, in.len - i, &cp);
			if (n > 0) {
				i += n;
				continue;
			}
		}
		sbuf_append(out, in.p + run, i - run);
		switch (c) {
		case '"':
			sbuf_append_cstr(out, "\\\"");
			break;
		case '\\':
			sbuf_append_cstr(out, "\\\\");
			break;
		case '\n':
			sbuf_append_cstr(out, "\\n");
			break;
		case '\r':
			sbuf_append_cstr(out, "\\r");
			break;
		case '\t':
			sbuf_append_cstr(out, "\\t");
			break;
		default:
			if (c >= 0x80) {
				sbuf_append_cstr(out, "\\ufffd");
			} else {
				char esc[6] = {'\\', 'u',         '0',
				               '0',  hex[c >> 4], hex[c & 15]};

				sbuf_append(out, esc, sizeof(esc));
			}
			break;
		}
		run = ++i;
	}
	sbuf_append(out, in.p + run, in.len - run);
	sbuf_append_char(out, '"');
}

void
codec_url_encode(struct sbuf *out, struct strv in)
{
	size_t i;

	for (i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			sbuf_append_char(out, (char)c);
		} else {
			char esc[3] = {'%', "0123456789ABCDEF"[c >> 4],
			               "0123456789ABCDEF"[c & 15]};

			sbuf_append(out, esc, 3);
		}
	}
}
