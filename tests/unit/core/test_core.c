#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static void
test_arena_alloc_is_zeroed_and_aligned(void **state)
{
	struct arena *a = arena_create("t", 512, 0);
	unsigned char *p;
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		p = arena_alloc(a, (size_t)i * 7 + 1);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (int k = 0; k < i * 7 + 1; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xaa, (size_t)i * 7 + 1);
	}
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	arena_destroy(&a);
	assert_null(a);
}

static void
test_arena_limit_fails_cleanly(void **state)
{
	struct arena *a = arena_create("t", 256, 1000);

	(void)state;
	assert_non_null(arena_alloc(a, 600));
	assert_false(arena_hit_limit(a));
	assert_null(arena_alloc(a, 600));
	assert_true(arena_hit_limit(a));
	assert_null(arena_alloc_array(a, SIZE_MAX / 2, 4));
	arena_reset(a);
	assert_false(arena_hit_limit(a));
	assert_non_null(arena_alloc(a, 600));
	arena_destroy(&a);
}

static int defer_order[4];
static int defer_count;

static void
record_defer(void *arg)
{
	defer_order[defer_count++] = (int)(intptr_t)arg;
}

static void
test_arena_defers_run_newest_first(void **state)
{
	struct arena *a = arena_create("t", 256, 0);

	(void)state;
	defer_count = 0;
	arena_defer(a, record_defer, (void *)1);
	arena_defer(a, record_defer, (void *)2);
	arena_defer(a, record_defer, (void *)3);
	arena_reset(a);
	assert_int_equal(defer_count, 3);
	assert_int_equal(defer_order[0], 3);
	assert_int_equal(defer_order[2], 1);
	arena_defer(a, record_defer, (void *)4);
	arena_destroy(&a);
	assert_int_equal(defer_count, 4);
}

static void
test_arena_big_allocation_not_kept_after_reset(void **state)
{
	struct arena *a = arena_create("t", 1024, 0);
	char *p;

	(void)state;
	p = arena_alloc(a, 1 << 20);
	assert_non_null(p);
	p[(1 << 20) - 1] = 1;
	arena_reset(a);
	p = arena_alloc(a, 100);
	assert_non_null(p);
	assert_int_equal(arena_used(a), 112);
	arena_destroy(&a);
}

static void
test_sbuf_sticky_failure_keeps_prefix(void **state)
{
	struct arena *a = arena_create("t", 256, 0);
	struct sbuf b;

	(void)state;
	sbuf_init(&b, a, 0, 10);
	sbuf_append_cstr(&b, "hello");
	sbuf_printf(&b, "%d", 123);
	assert_true(sbuf_ok(&b));
	assert_string_equal(sbuf_cstr(&b), "hello123");
	sbuf_append_cstr(&b, "abc");
	assert_false(sbuf_ok(&b));
	sbuf_append_cstr(&b, "x");
	assert_string_equal(sbuf_cstr(&b), "hello123");
	assert_int_equal(b.len, 8);
	sbuf_reset(&b);
	assert_true(sbuf_ok(&b));
	sbuf_append_cstr(&b, "0123456789");
	assert_true(sbuf_ok(&b));
	arena_destroy(&a);
}

static void
test_sbuf_malloc_backed_grows(void **state)
{
	struct sbuf b;
	int i;

	(void)state;
	sbuf_init(&b, NULL, 0, 0);
	for (i = 0; i < 1000; i++)
		sbuf_append(&b, "abcdefghij", 10);
	assert_true(sbuf_ok(&b));
	assert_int_equal(b.len, 10000);
	assert_int_equal(sbuf_cstr(&b)[9999], 'j');
	sbuf_free(&b);
}

static void
test_strv_helpers(void **state)
{
	struct strv l, r;

	(void)state;
	assert_true(strv_eq_ci_ascii(STRV_LIT("Content-Type"),
	                             STRV_LIT("content-type")));
	assert_false(strv_eq_ci_ascii(STRV_LIT("ab"), STRV_LIT("abc")));
	assert_true(strv_split_once(STRV_LIT("a=b=c"), '=', &l, &r));
	assert_true(strv_eq(l, STRV_LIT("a")));
	assert_true(strv_eq(r, STRV_LIT("b=c")));
	assert_false(strv_split_once(STRV_LIT("abc"), '=', &l, &r));
	assert_true(strv_eq(l, STRV_LIT("abc")));
	assert_int_equal(r.len, 0);
	assert_true(
	        strv_eq(strv_trim(STRV_LIT(" \t x y \r\n")), STRV_LIT("x y")));
	assert_int_equal(strv_find(STRV_LIT("hello world"), STRV_LIT("wor")),
	                 6);
	assert_int_equal(strv_find(STRV_LIT("hello"), STRV_LIT("x")), -1);
	assert_true(strv_has_ctl(STRV_LIT("a\r\nb"), true));
	assert_false(strv_has_ctl(STRV_LIT("a\tb"), true));
	assert_true(strv_has_ctl(STRV_LIT("a\tb"), false));
}

static void
test_parse_u64_rejects_garbage_and_overflow(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(pt_parse_u64(STRV_LIT("12345"), 100000, &v));
	assert_int_equal(v, 12345);
	assert_false(pt_parse_u64(STRV_LIT("12345"), 100, &v));
	assert_false(pt_parse_u64(STRV_LIT(""), 100, &v));
	assert_false(pt_parse_u64(STRV_LIT("-1"), 100, &v));
	assert_false(pt_parse_u64(STRV_LIT("1 "), 100, &v));
	assert_false(
	        pt_parse_u64(STRV_LIT("18446744073709551616"), UINT64_MAX, &v));
	assert_true(
	        pt_parse_u64(STRV_LIT("18446744073709551615"), UINT64_MAX, &v));
	assert_true(pt_parse_size(STRV_LIT("25M"), &v));
	assert_int_equal(v, 25 * 1024 * 1024);
	assert_true(pt_parse_size(STRV_LIT("2k"), &v));
	assert_int_equal(v, 2048);
	assert_false(pt_parse_size(STRV_LIT("M"), &v));
}

static void
test_strlcpy_reports_truncation(void **state)
{
	char buf[4];

	(void)state;
	assert_true(pt_strlcpy(buf, "abc", sizeof(buf)));
	assert_false(pt_strlcpy(buf, "abcd", sizeof(buf)));
	assert_string_equal(buf, "abc");
	assert_false(pt_snprintf_ok(buf, sizeof(buf), "%d", 12345));
	assert_true(pt_snprintf_ok(buf, sizeof(buf), "%d", 123));
}

static void
test_codecs_round_trip(void **state)
{
	struct arena *a = arena_create("t", 1024, 0);
	struct strv out;
	static const struct {
		const char *plain, *b64;
	} cases[] = {
	        {"", ""},
	        {"f", "Zg=="},
	        {"fo", "Zm8="},
	        {"foo", "Zm9v"},
	        {"foob", "Zm9vYg=="},
	        {"fooba", "Zm9vYmE="},
	        {"foobar", "Zm9vYmFy"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		const char *enc = codec_base64_encode(a, cases[i].plain,
		                                      strlen(cases[i].plain));

		assert_string_equal(enc, cases[i].b64);
		assert_int_equal(
		        codec_base64_decode(strv_from_cstr(enc), a, &out), 0);
		assert_true(strv_eq_cstr(out, cases[i].plain));
	}
	assert_int_equal(codec_base64_decode(STRV_LIT("Zm9v\r\nYmFy"), a, &out),
	                 0);
	assert_true(strv_eq_cstr(out, "foobar"));
	assert_int_equal(codec_base64_decode(STRV_LIT("Zm9v!"), a, &out), -1);
	assert_int_equal(codec_base64_decode(STRV_LIT("Zg==Zg"), a, &out), -1);

	assert_string_equal(codec_hex_encode(a, "\x01\xab", 2), "01ab");

	assert_int_equal(
	        codec_url_decode(STRV_LIT("a+b%20c%2F"), true, a, &out), 0);
	assert_true(strv_eq_cstr(out, "a b c/"));
	assert_int_equal(codec_url_decode(STRV_LIT("a+b"), false, a, &out), 0);
	assert_true(strv_eq_cstr(out, "a+b"));
	assert_int_equal(codec_url_decode(STRV_LIT("%4"), true, a, &out), -1);
	assert_int_equal(codec_url_decode(STRV_LIT("%zz"), true, a, &out), -1);
	assert_int_equal(codec_url_decode(STRV_LIT("ab%"), true, a, &out), -1);
	arena_destroy(&a);
}

static void
test_codec_digits(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned c;

	(void)state;
	for (c = 0; c < 256; c++) {
		const char *at = c != 0 ? strchr(b64, (int)c) : NULL;
		int want = at != NULL ? (int)(at - b64) : -1;

		assert_int_equal(codec_base64_digit((unsigned char)c, false),
		                 want);
		if (c == '-')
			want = 62;
		else if (c == '_')
			want = 63;
		assert_int_equal(codec_base64_digit((unsigned char)c, true),
		                 want);
	}
	assert_int_equal(codec_hex_pair("00"), 0);
	assert_int_equal(codec_hex_pair("fF"), 255);
	assert_int_equal(codec_hex_pair("A9"), 0xa9);
	assert_int_equal(codec_hex_pair("9g"), -1);
	assert_int_equal(codec_hex_pair("g9"), -1);
	/* a non-digit first: the second byte (the NUL here) is not read */
	assert_int_equal(codec_hex_pair("="), -1);
	assert_int_equal(codec_hex_pair(" 1"), -1);
}

static void
test_codec_utf8_put(void **state)
{
	static const uint32_t cps[] = {0x41,   0x7f,    0x80,    0xe9,
	                               0x7ff,  0x800,   0x20ac,  0xfffd,
	                               0xffff, 0x10000, 0x1f600, 0x10ffff};
	struct arena *a = arena_create("t", 1024, 0);
	struct sbuf b;
	size_t i;

	(void)state;
	sbuf_init(&b, a, 0, 0);
	for (i = 0; i < PT_NELEM(cps); i++)
		codec_utf8_put(&b, cps[i]);
	assert_memory_equal(sbuf_cstr(&b),
	                    "A\x7f\xc2\x80\xc3\xa9\xdf\xbf\xe0\xa0\x80"
	                    "\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbf"
	                    "\xf0\x90\x80\x80\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
	                    b.len);
	assert_int_equal(b.len, 1 + 1 + 2 + 2 + 2 + 3 + 3 + 3 + 3 + 4 + 4 + 4);
	assert_true(codec_utf8_valid(sbuf_view(&b)));
	arena_destroy(&a);
}

static void
test_url_encode_escapes_reserved(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, NULL, 0, 0);
	codec_url_encode(&b, STRV_LIT("a b/ü~"));
	assert_string_equal(sbuf_cstr(&b), "a%20b%2F%C3%BC~");
	sbuf_free(&b);
}

static void
test_json_string_escapes_and_repairs(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, NULL, 0, 0);
	codec_json_string(&b, STRV_LIT(""));
	assert_string_equal(sbuf_cstr(&b), "\"\"");
	sbuf_reset(&b);
	/* Quotes, backslash, the named controls, another control and NUL. */
	codec_json_string(&b, (struct strv){"a\"b\\c\n\r\t\x01\x1f\0z", 12});
	assert_string_equal(sbuf_cstr(&b),
	                    "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\\u0000z\"");
	sbuf_reset(&b);
	/* UTF-8 as it is (2, 3 and 4 bytes), '/' and DEL untouched. */
	codec_json_string(
	        &b, STRV_LIT("\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80 </\x7f"));
	assert_string_equal(
	        sbuf_cstr(&b),
	        "\"\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80 </\x7f\"");
	sbuf_reset(&b);
	/* Bytes that are not UTF-8: a lone continuation, a cut sequence, an
	 * overlong '/', a surrogate; each bad byte one U+FFFD. */
	codec_json_string(&b, STRV_LIT("x\x80y\xe2\x82"));
	assert_string_equal(sbuf_cstr(&b), "\"x\\ufffdy\\ufffd\\ufffd\"");
	sbuf_reset(&b);
	codec_json_string(&b, STRV_LIT("\xc0\xaf\xed\xa0\x80"));
	assert_string_equal(sbuf_cstr(&b),
	                    "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	sbuf_free(&b);
}

static void
test_html_escape_turns_the_five_specials_into_entities(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, NULL, 0, 0);
	codec_html_escape(&b,
	                  STRV_LIT("<a href=\"x\">Tom & Jerry's</a>\xc3\xbc"));
	assert_string_equal(sbuf_cstr(&b),
	                    "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s"
	                    "&lt;/a&gt;\xc3\xbc");
	codec_html_escape(&b, STRV_LIT(""));
	codec_html_escape(&b, STRV_LIT("&"));
	assert_true(sbuf_cstr(&b)[b.len - 1] == ';');
	assert_null(codec_html_entity('a'));
	assert_null(codec_html_entity('\0'));
	sbuf_free(&b);
}

static void
test_utf8_validation(void **state)
{
	(void)state;
	assert_true(codec_utf8_valid(STRV_LIT("plain ascii")));
	assert_true(codec_utf8_valid(STRV_LIT("Входящие €𝄞")));
	assert_false(codec_utf8_valid(STRV_LIT("\xc0\xaf"))); /* overlong */
	assert_false(
	        codec_utf8_valid(STRV_LIT("\xed\xa0\x80")));  /* surrogate */
	assert_false(codec_utf8_valid(STRV_LIT("\xe2\x82"))); /* truncated */
	assert_false(codec_utf8_valid(STRV_LIT("\xff")));
}

static void
test_perr_maps_kinds_to_status(void **state)
{
	struct arena *a = arena_create("t", 256, 0);
	struct perr err;

	(void)state;
	assert_int_equal(perr_set(&err, a, PERR_LIMIT, "too big: %d", 5), -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	assert_string_equal(err.msg, "too big: 5");
	assert_int_equal(perr_set(&err, NULL, PERR_INPUT, "x"), -1);
	assert_string_equal(err.msg, "invalid input");
	/* A full disk or quota is 507-worthy, other write errors are bugs. */
	assert_int_equal(perr_kind_of_errno(ENOSPC), PERR_NOSPACE);
	assert_int_equal(perr_kind_of_errno(EDQUOT), PERR_NOSPACE);
	assert_int_equal(perr_kind_of_errno(EIO), PERR_INTERNAL);
	arena_destroy(&a);
}

static void
test_random_hex_is_random(void **state)
{
	struct arena *a = arena_create("t", 256, 0);
	char *x, *y;

	(void)state;
	x = pt_random_hex(a, 16);
	y = pt_random_hex(a, 16);
	assert_int_equal(strlen(x), 32);
	assert_string_not_equal(x, y);
	assert_true(pt_memeq_const("abc", "abc", 3));
	assert_false(pt_memeq_const("abc", "abd", 3));
	arena_destroy(&a);
}

static void
test_sha256_hex(void **state)
{
	struct arena *a = arena_create("t", 1024, 0);

	(void)state;
	/* FIPS 180-2's "abc" vector, and the empty input. */
	assert_string_equal(pt_sha256_hex(a, "abc", 3),
	                    "ba7816bf8f01cfea414140de5dae2223"
	                    "b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(pt_sha256_hex(a, "", 0),
	                    "e3b0c44298fc1c149afbf4c8996fb924"
	                    "27ae41e4649b934ca495991b7852b855");
	arena_destroy(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_arena_alloc_is_zeroed_and_aligned),
	        cmocka_unit_test(test_arena_limit_fails_cleanly),
	        cmocka_unit_test(test_arena_defers_run_newest_first),
	        cmocka_unit_test(
	                test_arena_big_allocation_not_kept_after_reset),
	        cmocka_unit_test(test_sbuf_sticky_failure_keeps_prefix),
	        cmocka_unit_test(test_sbuf_malloc_backed_grows),
	        cmocka_unit_test(test_strv_helpers),
	        cmocka_unit_test(test_parse_u64_rejects_garbage_and_overflow),
	        cmocka_unit_test(test_strlcpy_reports_truncation),
	        cmocka_unit_test(test_codecs_round_trip),
	        cmocka_unit_test(test_codec_digits),
	        cmocka_unit_test(test_codec_utf8_put),
	        cmocka_unit_test(test_url_encode_escapes_reserved),
	        cmocka_unit_test(
	                test_html_escape_turns_the_five_specials_into_entities),
	        cmocka_unit_test(test_json_string_escapes_and_repairs),
	        cmocka_unit_test(test_utf8_validation),
	        cmocka_unit_test(test_perr_maps_kinds_to_status),
	        cmocka_unit_test(test_random_hex_is_random),
	        cmocka_unit_test(test_sha256_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
