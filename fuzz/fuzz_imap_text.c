/*
 * imap's pure text code: modified UTF-7 (decode then encode must give the
 * input back: the wire form is canonical; encode then decode likewise),
 * the search box parser (an accepted query never holds CR, LF or NUL in a
 * value), RFC 2047 decoding, base subject and previews (always valid
 * UTF-8).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap.h"
#include "core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *A;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv in;
	struct perr err;
	char *out = NULL, *back = NULL;
	struct imap_search s;
	size_t i;
	const char *t;

	if (A == NULL)
		A = arena_create("fuzz", 64 * 1024, 0);
	if (size == 0)
		return 0;
	in.p = (const char *)data + 1;
	in.len = size - 1;
	switch (data[0] % 4) {
	case 0:
		if (imap_mutf7_decode(in, A, &out, &err) == 0) {
			if (!codec_utf8_valid(strv_from_cstr(out)))
				abort();
			if (imap_mutf7_encode(strv_from_cstr(out), A, &back,
			                      &err) != 0 ||
			    !strv_eq(strv_from_cstr(back), in))
				abort();
		}
		break;
	case 1:
		if (imap_mutf7_encode(in, A, &out, &err) == 0) {
			if (imap_mutf7_decode(strv_from_cstr(out), A, &back,
			                      &err) != 0 ||
			    !strv_eq(strv_from_cstr(back), in))
				abort();
		}
		break;
	case 2:
		if (imap_search_parse(in, A, &s, &err) == 0) {
			for (i = 0; i < s.n; i++) {
				if (s.terms[i].value != NULL &&
				    strv_has_ctl(
				            strv_from_cstr(s.terms[i].value),
				            false))
					abort();
			}
		}
		break;
	default:
		t = imap_decode_header(in, A);
		if (!codec_utf8_valid(strv_from_cstr(t)))
			abort();
		t = imap_base_subject(t, A);
		if (!codec_utf8_valid(strv_from_cstr(t)))
			abort();
		t = imap_make_preview(in, IMAP_PREVIEW_MAX, A);
		(void)t;
		break;
	}
	arena_reset(A);
	return 0;
}
