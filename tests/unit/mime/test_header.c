/*
 * mime's header text decoding (src/mime/header.c). The full RFC 2047
 * case table runs through imap_decode_header() in tests/unit/imap; these
 * cases call mime directly, and check the charset policy for headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

#include "../support/unit_arena.h"

static void
test_decode_header_words(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
	        {"plain", "plain"},
	        {"=?UTF-8?B?0KHRh9C10YI=?=", "Счет"},
	        {"=?ISO-8859-1?Q?caf=E9?= ok", "café ok"},
	        {"=?utf-8?q?a?= \t\r\n =?utf-8?q?b?=", "ab"},
	        {"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"},
	        {"=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=", "café"},
	        {"=?x-unknown?Q?caf=E9?=", "caf\xef\xbf\xbd"},
	        {"a\x01"
	         "b",
	         "a b"},
	        {"=?utf-8?q?a b?=", "=?utf-8?q?a b?="},
	        {"", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		const char *got =
		        mime_decode_header(strv_from_cstr(cases[i].in), A);

		if (strcmp(got, cases[i].out) != 0)
			fail_msg("case %zu: '%s' -> '%s', want '%s'", i,
			         cases[i].in, got, cases[i].out);
	}
	assert_string_equal(mime_decode_header(STRV_NULL, A), "");
}

static void
test_header_text_charset_policy(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, A, 64, 1024);
	/* UTF-8: bad bytes become U+FFFD, controls a space. */
	assert_true(mime_header_text_to_utf8(STRV_LIT("utf-8"),
	                                     STRV_LIT("a\xff\tb"), &b));
	assert_string_equal(sbuf_cstr(&b), "a\xef\xbf\xbd b");
	sbuf_reset(&b);
	assert_true(mime_header_text_to_utf8(STRV_LIT("ISO-8859-1"),
	                                     STRV_LIT("caf\xe9"), &b));
	assert_string_equal(sbuf_cstr(&b), "café");
	/* Unknown or unsafe names are refused, appending nothing. */
	sbuf_reset(&b);
	assert_false(mime_header_text_to_utf8(STRV_LIT("x-no-such-charset"),
	                                      STRV_LIT("abc"), &b));
	assert_false(mime_header_text_to_utf8(STRV_LIT("../../etc/x"),
	                                      STRV_LIT("abc"), &b));
	assert_false(
	        mime_header_text_to_utf8(STRV_LIT(""), STRV_LIT("abc"), &b));
	assert_int_equal(b.len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode_header_words),
	        cmocka_unit_test(test_header_text_charset_policy),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
