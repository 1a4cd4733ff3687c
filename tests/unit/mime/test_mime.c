/* Unit tests for src/mime: charsets, transfer encodings, flowed, 2231. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

#include "../support/unit_arena.h"

struct cs_case {
	const char *charset;
	const char *in; /* bytes */
	const char *utf8;
};

/* One vector per charset of issue 4 (and the aliases mail uses). */
static const struct cs_case cs_cases[] = {
        {"utf-8",
         "Gr\xC3\xBC\xC3\x9F"
         "e",
         "Grüße"},
        {"UTF8", "\xF0\x9F\x90\xA6", "🐦"},
        {"us-ascii", "plain", "plain"},
        {"iso-8859-1", "r\xE9union \xE0 c\xF4t\xE9", "réunion à côté"},
        {"latin1", "\x80 5", "€ 5"}, /* read as windows-1252 */
        {"iso-8859-2",
         "\xB3\xF3"
         "d\xBC",
         "łódź"},
        {"iso-8859-15", "\xA4 \xBD", "€ œ"},
        {"windows-1250", "\xB9\xE6", "ąć"},
        {"windows-1251", "\xD1\xF7\xB8\xF2", "Счёт"},
        {"cp1251", "\xE4\xE0", "да"},
        {"windows-1252", "\x93q\x94", "“q”"},
        {"koi8-r", "\xF3\xDE\xA3\xD4", "Счёт"},
        {"koi8-u", "\xA4\xA6", "єі"},
        {"iso-2022-jp", "\x1B$BEDCf\x1B(B", "田中"},
        {"shift_jis", "\x93\x63\x92\x86", "田中"},
        {"euc-jp", "\xC5\xC4\xC3\xE6", "田中"},
        {"gb2312", "\xC4\xE3\xBA\xC3", "你好"},
        {"gbk", "\x81\x40", "丂"},
        {"big5", "\xA7\x41\xA6\x6E", "你好"},
        {"ks_c_5601-1987", "\xC7\xD1", "한"},
        {"\"utf-8\"", "ok", "ok"},
};

static void
test_charsets_convert_every_listed_charset(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cs_cases) / sizeof(cs_cases[0]); i++) {
		const char *got =
		        mime_to_utf8(strv_from_cstr(cs_cases[i].charset),
		                     strv_from_cstr(cs_cases[i].in), A);

		if (strcmp(got, cs_cases[i].utf8) != 0)
			fail_msg("case %zu (%s): got '%s'", i,
			         cs_cases[i].charset, got);
	}
}

static void
test_charset_invalid_bytes_become_replacement(void **state)
{
	(void)state;
	assert_string_equal(mime_to_utf8(STRV_LIT("utf-8"),
	                                 STRV_LIT("a\xFF"
	                                          "b\xC3"),
	                                 A),
	                    "a\xEF\xBF\xBD"
	                    "b\xEF\xBF\xBD");
	assert_string_equal(
	        mime_to_utf8(STRV_LIT("shift_jis"), STRV_LIT("\x93"), A),
	        "\xEF\xBF\xBD");
	/* NUL never survives. */
	assert_string_equal(
	        mime_to_utf8(STRV_LIT("utf-8"), (struct strv){"a\0b", 3}, A),
	        "a\xEF\xBF\xBD"
	        "b");
}

static void
test_charset_unknown_or_lying_is_guessed(void **state)
{
	(void)state;
	assert_string_equal(mime_to_utf8(STRV_LIT("x-unknown-charset"),
	                                 STRV_LIT("caf\xC3\xA9"), A),
	                    "café");
	assert_string_equal(mime_to_utf8(STRV_LIT("x-unknown-charset"),
	                                 STRV_LIT("caf\xE9"), A),
	                    "café");
	assert_string_equal(mime_to_utf8(STRV_LIT("us-ascii"),
	                                 STRV_LIT("\xDD\xF2\xEE \xE0 \xED\xE5"),
	                                 A),
	                    "Это а не");
	assert_string_equal(
	        mime_to_utf8(STRV_LIT("bogus\r\nname"), STRV_LIT("x"), A), "x");
}

static void
test_base64_tolerates_garbage(void **state)
{
	struct strv r;

	(void)state;
	r = mime_transfer_decode(
	        MIME_ENC_BASE64,
	        STRV_LIT("SGVsbG8g!!!d29ybGQ=\n$$$ *\nSGVsbG8"), A);
	assert_int_equal(r.len, 16);
	assert_memory_equal(r.p, "Hello worldHello", 16);
	r = mime_transfer_decode(MIME_ENC_BASE64, STRV_LIT("YQ==YmM="), A);
	assert_string_equal(r.p, "abc");
	r = mime_transfer_decode(MIME_ENC_BASE64, STRV_LIT("===="), A);
	assert_int_equal(r.len, 0);
}

static void
test_qp_tolerates_garbage(void **state)
{
	struct strv r;

	(void)state;
	r = mime_transfer_decode(MIME_ENC_QP,
	                         STRV_LIT("Gr=C3=BC=c3=9Fe =\r\nsoft  \r\n"
	                                  "bad=ZZ end=\n=4"),
	                         A);
	assert_string_equal(r.p, "Grüße soft\r\nbad=ZZ end=4");
	assert_int_equal(mime_encoding_parse(STRV_LIT(" Quoted-Printable")),
	                 MIME_ENC_QP);
	assert_int_equal(mime_encoding_parse(STRV_LIT("8bit")),
	                 MIME_ENC_IDENTITY);
}

/* Decoding in pieces of every size gives what one call gives. */
static void
test_stream_decode_matches_whole(void **state)
{
	static const struct {
		enum mime_encoding enc;
		const char *in;
	} cases[] = {
	        {MIME_ENC_BASE64, "SGVsbG8g!!!d29ybGQ=\n$$$ *\nSGVsbG8"},
	        {MIME_ENC_BASE64, "YQ==YmM=\r\n4pyT8J+Qpg==\r\n"},
	        {MIME_ENC_QP, "Gr=C3=BC=c3=9Fe =\r\nsoft  \r\n"
	                      "bad=ZZ end=\n=4"},
	        {MIME_ENC_QP, "trail \t \r\n= \r\nx=3D=\r\n=e2=9c=93 \n"},
	        {MIME_ENC_IDENTITY, "as it is\r\n=3D\r\n"},
	};
	size_t i, piece, off;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		struct strv in = strv_from_cstr(cases[i].in);
		struct strv whole = mime_transfer_decode(cases[i].enc, in, A);

		for (piece = 1; piece <= in.len; piece++) {
			struct mime_stream st;
			struct sbuf out;

			sbuf_init(&out, A, 0, 0);
			mime_stream_init(&st, cases[i].enc);
			for (off = 0; off < in.len; off += piece) {
				size_t n = in.len - off < piece ? in.len - off
				                                : piece;

				mime_stream_feed(&st,
				                 (struct strv){in.p + off, n},
				                 &out);
			}
			mime_stream_finish(&st, &out);
			if (out.len != whole.len ||
			    memcmp(sbuf_view(&out).p, whole.p, whole.len) != 0)
				fail_msg("case %zu, pieces of %zu: '%.*s'", i,
				         piece, (int)out.len,
				         sbuf_view(&out).p);
		}
	}
}

/* A quoted-printable line without end is not held back for ever. */
static void
test_stream_qp_long_line(void **state)
{
	struct mime_stream st;
	struct sbuf out;
	char chunk[4096];
	size_t i, fed = 0;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	chunk[100] = ' ';
	chunk[sizeof(chunk) - 1] = '=';
	sbuf_init(&out, A, 0, 0);
	mime_stream_init(&st, MIME_ENC_QP);
	for (i = 0; i < 200; i++) {
		mime_stream_feed(&st, (struct strv){chunk, sizeof(chunk)},
		                 &out);
		fed += sizeof(chunk);
	}
	/* all but at most the last 256 KB are out before the end */
	assert_true(out.len > 0 && fed - out.len <= 256 * 1024 + 4096);
	mime_stream_finish(&st, &out);
	assert_true(out.len > fed - 200 * 3);
}

static void
test_flowed_unwraps_soft_breaks(void **state)
{
	struct strv r;

	(void)state;
	r = mime_flowed_unwrap(STRV_LIT("Hello \r\nworld\r\n>> quoted \r\n"
	                                ">> more\r\n \r\n-- \r\nsig\r\n"),
	                       false, A);
	assert_string_equal(r.p, "Hello world\n>> quoted more\n\n-- \nsig\n");
	r = mime_flowed_unwrap(STRV_LIT("abc \r\ndef\r\n"), true, A);
	assert_string_equal(r.p, "abcdef\n");
	/* A quote depth change ends the paragraph. */
	r = mime_flowed_unwrap(STRV_LIT("a \n> b\n"), false, A);
	assert_string_equal(r.p, "a \n> b\n");
}

static void
test_rfc2231_parameters(void **state)
{
	static const struct mime_param p1[] = {
	        {"name", "fallback.pdf"},
	        {"name*1*", "%20%D0%B3%D0%BE%D0%B4.pdf"},
	        {"name*0*", "utf-8''%D0%9E%D1%82%D1%87%D1%91%D1%82"},
	};
	static const struct mime_param p2[] = {
	        {"filename*", "iso-8859-1'fr'r%E9sum%E9.txt"},
	};
	static const struct mime_param p3[] = {
	        {"Filename", "plain.txt"},
	        {"charset", "utf-8"},
	};
	static const struct mime_param p4[] = {
	        {"title*0", "Part "},
	        {"title*1", "two"},
	        {"title*99", "ignored"},
	};

	(void)state;
	assert_string_equal(mime_param_get(p1, 3, "name", A), "Отчёт год.pdf");
	assert_string_equal(mime_param_get(p2, 1, "filename", A), "résumé.txt");
	assert_string_equal(mime_param_get(p3, 2, "filename", A), "plain.txt");
	assert_null(mime_param_get(p3, 2, "name", A));
	assert_string_equal(mime_param_get(p4, 3, "title", A), "Part two");
	assert_string_equal(mime_2231_decode(STRV_LIT("''a%2"), A), "a%2");
}

/*
 * Bidi controls in a name reorder what the reader sees ("invoice" RLO
 * "fdp.exe" shows as "invoiceexe.pdf"): each one becomes '_'.
 */
static void
test_filename_bidi_controls_neutralised(void **state)
{
	static const char *const bidi[] = {
	        "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD",
	        "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8",
	        "\xE2\x81\xA9", "\xE2\x80\x8E", "\xE2\x80\x8F", "\xD8\x9C",
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bidi); i++) {
		char in[64];
		const char *out;

		assert_true(pt_snprintf_ok(in, sizeof(in), "invoice%sfdp.exe",
		                           bidi[i]));
		out = mime_filename_clean(in, NULL, A);
		if (strcmp(out, "invoice_fdp.exe") != 0)
			fail_msg("case %zu: %s", i, out);
	}
	/* Neighbours that are not controls stay. */
	assert_string_equal(mime_filename_clean("a\xE2\x80\x94"
	                                        "b\xD8\xA8.txt",
	                                        NULL, A),
	                    "a\xE2\x80\x94"
	                    "b\xD8\xA8.txt");
}

static void
test_filename_cleaning(void **state)
{
	(void)state;
	assert_string_equal(mime_filename_clean("../../etc/passwd", NULL, A),
	                    "passwd");
	assert_string_equal(mime_filename_clean("C:\\x\\evil.exe", NULL, A),
	                    "evil.exe");
	assert_string_equal(mime_filename_clean("a\r\nb\x01.txt", NULL, A),
	                    "a__b_.txt");
	assert_string_equal(mime_filename_clean("..hidden. ", NULL, A),
	                    "hidden");
	assert_string_equal(mime_filename_clean("...", "x.bin", A), "x.bin");
	assert_string_equal(mime_filename_clean("", NULL, A), "attachment");
	assert_string_equal(mime_filename_clean("a\xC2\x85"
	                                        "b",
	                                        NULL, A),
	                    "a_b");
	assert_string_equal(mime_filename_clean("q\"*?<>|:.pdf", NULL, A),
	                    "q_______.pdf");
	assert_string_equal(mime_filename_ascii("Отчёт \"1\";%.pdf", A),
	                    "_____ _1___.pdf");
	{
		char longname[600];
		const char *r;

		memset(longname, 'a', sizeof(longname));
		memcpy(longname + sizeof(longname) - 5, ".pdf", 5);
		r = mime_filename_clean(longname, NULL, A);
		assert_int_equal(strlen(r), 200);
		assert_string_equal(r + 196, ".pdf");
	}
}

static void
test_calendar_summary(void **state)
{
	const char *s;

	(void)state;
	s = mime_calendar_summary(
	        STRV_LIT("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
	                 "DTSTART;TZID=Europe/Berlin:20251020T140000\r\n"
	                 "DTEND:20251020T150000Z\r\nSUMMARY:Design\r\n  re"
	                 "view\\, final\r\nLOCATION:Room 1\r\n"
	                 "ORGANIZER;CN=\"Carol D\":mailto:carol@x.example\r\n"
	                 "END:VEVENT\r\nEND:VCALENDAR\r\n"),
	        A);
	assert_string_equal(s, "Event: Design review, final\n"
	                       "Start: 2025-10-20 14:00 (Europe/Berlin)\n"
	                       "End: 2025-10-20 15:00 UTC\n"
	                       "Location: Room 1\n"
	                       "Organizer: Carol D <carol@x.example>\n"
	                       "(Invitation)\n");
	assert_null(mime_calendar_summary(STRV_LIT("BEGIN:VCALENDAR\r\n"), A));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_charsets_convert_every_listed_charset),
	        cmocka_unit_test(test_charset_invalid_bytes_become_replacement),
	        cmocka_unit_test(test_charset_unknown_or_lying_is_guessed),
	        cmocka_unit_test(test_base64_tolerates_garbage),
	        cmocka_unit_test(test_qp_tolerates_garbage),
	        cmocka_unit_test(test_stream_decode_matches_whole),
	        cmocka_unit_test(test_stream_qp_long_line),
	        cmocka_unit_test(test_flowed_unwraps_soft_breaks),
	        cmocka_unit_test(test_rfc2231_parameters),
	        cmocka_unit_test(test_filename_cleaning),
	        cmocka_unit_test(test_filename_bidi_controls_neutralised),
	        cmocka_unit_test(test_calendar_summary),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
