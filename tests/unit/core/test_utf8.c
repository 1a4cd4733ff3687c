/* core's one UTF-8 decoder and its helpers (src/core/utf8.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static size_t
dec(const char *s, uint32_t *cp_r)
{
	*cp_r = 0xdeadbeef;
	return codec_utf8_decode(s, strlen(s), cp_r);
}

static void
test_decode_well_formed(void **state)
{
	uint32_t cp;

	(void)state;
	assert_int_equal(dec("A", &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(dec("\xc3\xa9", &cp), 2); /* é */
	assert_int_equal(cp, 0xe9);
	assert_int_equal(dec("\xe2\x82\xac", &cp), 3); /* € */
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(dec("\xf0\x9d\x84\x9e", &cp), 4); /* 𝄞 */
	assert_int_equal(cp, 0x1d11e);
	assert_int_equal(dec("\xf4\x8f\xbf\xbf", &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	/* Only the first sequence is read. */
	assert_int_equal(dec("\xc3\xa9xyz", &cp), 2);
}

static void
test_decode_rejects_ill_formed(void **state)
{
	static const char *const bad[] = {
	        "\x80",             /* stray continuation */
	        "\xc0\xaf",         /* overlong '/' */
	        "\xc1\xbf",         /* overlong */
	        "\xe0\x80\xaf",     /* overlong, 3 bytes */
	        "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
	        "\xed\xa0\x80",     /* surrogate D800 */
	        "\xf4\x90\x80\x80", /* past U+10FFFF */
	        "\xf5\x80\x80\x80", /* lead byte never valid */
	        "\xff",
	        "\xe2\x82",     /* cut short */
	        "\xe2\x28\xa1", /* bad continuation */
	};
	size_t i;
	uint32_t cp;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++)
		assert_int_equal(dec(bad[i], &cp), 0);
	/* n bounds the read even when the bytes would go on. */
	assert_int_equal(codec_utf8_decode("\xe2\x82\xac", 2, &cp), 0);
	assert_int_equal(codec_utf8_decode("x", 0, &cp), 0);
}

static void
test_next_replaces_one_byte(void **state)
{
	uint32_t cp;

	(void)state;
	assert_int_equal(codec_utf8_next("\xff\x41", 2, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(codec_utf8_next("\xe2\x82", 2, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	/* A real U+FFFD is three bytes: callers can tell the two apart. */
	assert_int_equal(codec_utf8_next("\xef\xbf\xbd", 3, &cp), 3);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(codec_utf8_next("\xe2\x82\xac", 3, &cp), 3);
	assert_int_equal(cp, 0x20ac);
}

static void
test_cut_keeps_characters_whole(void **state)
{
	const char *s = "a\xe2\x82\xac"
	                "b"; /* a € b: 5 bytes */

	(void)state;
	assert_int_equal(codec_utf8_cut(s, 5, 10), 5);
	assert_int_equal(codec_utf8_cut(s, 5, 5), 5);
	assert_int_equal(codec_utf8_cut(s, 5, 4), 4);
	assert_int_equal(codec_utf8_cut(s, 5, 3), 1);
	assert_int_equal(codec_utf8_cut(s, 5, 2), 1);
	assert_int_equal(codec_utf8_cut(s, 5, 1), 1);
	assert_int_equal(codec_utf8_cut(s, 5, 0), 0);
	assert_int_equal(codec_utf8_cut("\x80\x80", 2, 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode_well_formed),
	        cmocka_unit_test(test_decode_rejects_ill_formed),
	        cmocka_unit_test(test_next_replaces_one_byte),
	        cmocka_unit_test(test_cut_keeps_characters_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
