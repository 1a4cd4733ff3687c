/*
 * UTF-8 decoding and encoding: the one decoder that the sanitizer, the
 * IMAP mailbox-name codec and the header decoders share.
 */
#include "core.h"
#include "banned.h"

size_t
codec_utf8_decode(const char *s, size_t n, uint32_t *cp_r)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len, i;
	uint32_t cp, min;

	if (n == 0)
		return 0;
	if (u[0] < 0x80) {
		*cp_r = u[0];
		return 1;
	}
	/* 0xc0/0xc1 and 0xf5.. can only start overlong or too-large forms. */
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		len = 2;
		cp = u[0] & 0x1fu;
		min = 0x80;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		len = 3;
		cp = u[0] & 0x0fu;
		min = 0x800;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		len = 4;
		cp = u[0] & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return len;
}

size_t
codec_utf8_next(const char *s, size_t n, uint32_t *cp_r)
{
	size_t len = codec_utf8_decode(s, n, cp_r);

	if (len != 0)
		return len;
	*cp_r = 0xfffd;
	return 1;
}

bool
codec_utf8_valid(struct strv s)
{
	size_t i = 0;
	uint32_t cp;

	while (i < s.len) {
		size_t len;

		/* The ASCII run is the common case: no call per byte. */
		if ((unsigned char)s.p[i] < 0x80) {
			i++;
			continue;
		}
		len = codec_utf8_decode(s.p + i, s.len - i, &cp);
		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

void
codec_utf8_put(struct sbuf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		sbuf_append_char(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		sbuf_append(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		sbuf_append(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		sbuf_append(b, u, 4);
	}
}

size_t
codec_utf8_cut(const char *s, size_t len, size_t max)
{
	if (max >= len)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}
