/*
 * Modified UTF-7 for mailbox names (RFC 3501 5.1.3): printable ASCII
 * (0x20-0x7e) stands for itself except '&', written "&-"; everything else
 * is UTF-16 in modified base64 ('/' replaced by ',') between '&' and '-'.
 * The decoder is strict so that one UTF-8 name has exactly one wire form:
 * otherwise two different wire names could show as the same folder.
 */
#include <string.h>

#include "imap.h"
#include "core/banned.h"

static const char b64chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64val(unsigned char ch)
{
	const char *p;

	if (ch == '\0')
		return -1;
	p = memchr(b64chars, ch, 64);
	return p == NULL ? -1 : (int)(p - b64chars);
}

int
imap_mutf7_encode(struct strv in, struct arena *a, char **out_r,
                  struct perr *err)
{
	struct sbuf b;
	size_t i = 0;
	unsigned long bits = 0;
	unsigned nbits = 0;
	bool shifted = false;

	*out_r = NULL;
	sbuf_init(&b, a, in.len * 2 + 8, 64 * 1024);
	while (i < in.len) {
		uint32_t cp;
		size_t len = codec_utf8_decode(in.p + i, in.len - i, &cp);

		if (len == 0)
			return perr_set(err, a, PERR_INPUT,
			                "folder name is not valid UTF-8");
		i += len;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return perr_set(err, a, PERR_INPUT,
			                "folder name contains a control "
			                "character");
		if (cp < 0x80) {
			if (shifted) {
				if (nbits > 0)
					sbuf_append_char(
					        &b,
					        b64chars[(bits << (6 - nbits)) &
					                 0x3f]);
				sbuf_append_char(&b, '-');
				shifted = false;
				nbits = 0;
				bits = 0;
			}
			if (cp == '&')
				sbuf_append(&b, "&-", 2);
			else
				sbuf_append_char(&b, (char)cp);
			continue;
		}
		if (!shifted) {
			sbuf_append_char(&b, '&');
			shifted = true;
		}
		{
			unsigned long units[2];
			size_t nu = 1, u;

			if (cp >= 0x10000) {
				unsigned long v = (unsigned long)cp - 0x10000;

				units[0] = 0xd800 | (v >> 10);
				units[1] = 0xdc00 | (v & 0x3ff);
				nu = 2;
			} else {
				units[0] = (unsigned long)cp;
			}
			for (u = 0; u < nu; u++) {
				bits = (bits << 16) | units[u];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					sbuf_append_char(
					        &b, b64chars[(bits >> nbits) &
					                     0x3f]);
				}
				bits &= (1ul << nbits) - 1;
			}
		}
	}
	if (shifted) {
		if (nbits > 0)
			sbuf_append_char(
			        &b, b64chars[(bits << (6 - nbits)) & 0x3f]);
		sbuf_append_char(&b, '-');
	}
	if (!sbuf_ok(&b))
		return perr_set(err, a, PERR_LIMIT, "folder name too long");
	*out_r = (char *)sbuf_cstr(&b);
	return 0;
}

int
imap_mutf7_decode(struct strv in, struct arena *a, char **out_r,
                  struct perr *err)
{
	struct sbuf b;
	size_t i = 0;
	bool prev_shift_ended = false;

	*out_r = NULL;
	sbuf_init(&b, a, in.len * 2 + 8, 64 * 1024);
	while (i < in.len) {
		unsigned char ch = (unsigned char)in.p[i];
		unsigned long bits = 0, hi = 0;
		unsigned nbits = 0;
		size_t start;
		bool any = false;

		if (ch < 0x20 || ch > 0x7e)
			goto bad;
		if (ch != '&') {
			sbuf_append_char(&b, (char)ch);
			i++;
			prev_shift_ended = false;
			continue;
		}
		i++;
		if (i < in.len && in.p[i] == '-') {
			sbuf_append_char(&b, '&');
			i++;
			prev_shift_ended = false;
			continue;
		}
		/* RFC 3501: "&...-&...-" must have been one shift. */
		if (prev_shift_ended)
			goto bad;
		start = i;
		while (i < in.len && in.p[i] != '-') {
			int v = b64val((unsigned char)in.p[i]);

			if (v < 0)
				goto bad;
			bits = (bits << 6) | (unsigned long)v;
			nbits += 6;
			if (nbits >= 16) {
				unsigned long u;

				nbits -= 16;
				u = (bits >> nbits) & 0xffff;
				bits &= (1ul << nbits) - 1;
				if (hi != 0) {
					if (u < 0xdc00 || u > 0xdfff)
						goto bad;
					codec_utf8_put(
					        &b, (uint32_t)(0x10000 +
					                       ((hi - 0xd800)
					                        << 10) +
					                       (u - 0xdc00)));
					hi = 0;
				} else if (u >= 0xd800 && u <= 0xdbff) {
					hi = u;
				} else if (u >= 0xdc00 && u <= 0xdfff) {
					goto bad;
				} else if (u >= 0x20 && u <= 0x7e) {
					/* printable ASCII must not be encoded
					 */
					goto bad;
				} else if (u < 0x20 || u == 0x7f ||
				           (u >= 0x80 && u < 0xa0)) {
					goto bad;
				} else {
					codec_utf8_put(&b, (uint32_t)u);
				}
				any = true;
			}
			i++;
		}
		if (i >= in.len || i == start || !any || hi != 0)
			goto bad; /* unterminated, empty or half a pair */
		/* Leftover bits: fewer than 6, and zero (RFC 2152). */
		if (nbits >= 6 || bits != 0)
			goto bad;
		i++; /* '-' */
		prev_shift_ended = true;
	}
	if (!sbuf_ok(&b))
		return perr_set(err, a, PERR_LIMIT, "folder name too long");
	*out_r = (char *)sbuf_cstr(&b);
	return 0;
bad:
	return perr_set(err, a, PERR_INPUT,
	                "folder name is not valid modified UTF-7");
}
