/*
 * The MIME decoding path: the first line picks charset, transfer encoding
 * and format=flowed; the rest is the part's bytes. Also RFC 2231 values,
 * filename cleaning and the calendar summary on the same bytes. Asserts:
 * every output is valid UTF-8 without NUL, and cleaned filenames hold no
 * separator or control character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"

static void
check_utf8(const char *s)
{
	if (!codec_utf8_valid(strv_from_cstr(s)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct strv in = {(const char *)data, size}, head, body, dec;
	const char *cs, *name, *out;
	struct mime_param params[3];
	size_t i;
	bool flowed;

	if (a == NULL)
		a = arena_create("fuzz", 65536, 0);
	if (!strv_split_once(in, '\n', &head, &body))
		body = STRV_NULL;
	/* head: "<charset> <b|q|-> <f|d|->" */
	cs = strv_dup(a, (struct strv){head.p, strcspn(strv_dup(a, head), " ")});
	dec = mime_transfer_decode(
	        strchr(strv_dup(a, head), 'b') ? MIME_ENC_BASE64
	        : strchr(strv_dup(a, head), 'q') ? MIME_ENC_QP
	                                         : MIME_ENC_IDENTITY,
	        body, a);
	out = mime_to_utf8(strv_from_cstr(cs), dec, a);
	check_utf8(out);
	flowed = strstr(strv_dup(a, head), " f") != NULL ||
	         strstr(strv_dup(a, head), " d") != NULL;
	if (flowed) {
		struct strv f = mime_flowed_unwrap(
		        strv_from_cstr(out),
		        strstr(strv_dup(a, head), " d") != NULL, a);

		check_utf8(f.p);
	}
	params[0] = (struct mime_param){"filename*0*", strv_dup(a, body)};
	params[1] = (struct mime_param){"filename*1", cs};
	params[2] = (struct mime_param){"filename*", strv_dup(a, head)};
	name = mime_param_get(params, 2, "filename", a);
	if (name != NULL)
		check_utf8(name);
	name = mime_param_get(params + 2, 1, "filename", a);
	check_utf8(name);
	name = mime_filename_clean(strv_dup(a, body), NULL, a);
	check_utf8(name);
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '/' || name[i] == '\\' ||
		    (unsigned char)name[i] < 0x20 || name[i] == 0x7F)
			abort();
	check_utf8(mime_filename_ascii(name, a));
	out = mime_calendar_summary(body, a);
	if (out != NULL)
		check_utf8(out);
	arena_reset(a);
	return 0;
}
