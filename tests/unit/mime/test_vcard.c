/* Unit tests for src/mime/vcard.c: import of 2.1/3.0/4.0, export, round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

#include "../support/unit_arena.h"

static struct mime_vcard *
parse(const char *text, size_t *n_r, size_t *broken_r)
{
	struct mime_vcard *v;
	struct perr err = {0};

	assert_int_equal(mime_vcard_parse(strv_from_cstr(text), 100, A, &v, n_r,
	                                  broken_r, &err),
	                 0);
	return v;
}

static void
test_vcard30(void **state)
{
	size_t n, broken;
	struct mime_vcard *v;

	(void)state;
	v = parse("BEGIN:VCARD\r\n"
	          "VERSION:3.0\r\n"
	          "N:Doe;John;;Dr.;\r\n"
	          "FN:John Doe\r\n"
	          "ORG:Example\\, Inc.;Sales\r\n"
	          "item1.EMAIL;TYPE=INTERNET:john@work.example\r\n"
	          "EMAIL;TYPE=INTERNET,PREF:john@home.example\r\n"
	          "TEL;TYPE=CELL:+1 555 0100\r\n"
	          "NOTE:line one\\nline two\\; with \\\\ backslash\r\n"
	          "PHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\n"
	          "END:VCARD\r\n",
	          &n, &broken);
	assert_int_equal(n, 1);
	assert_int_equal(broken, 0);
	assert_string_equal(v[0].name, "John Doe");
	assert_string_equal(v[0].organization, "Example, Inc., Sales");
	assert_int_equal(v[0].n_emails, 2);
	/* The PREF one first. */
	assert_string_equal(v[0].emails[0], "john@home.example");
	assert_string_equal(v[0].emails[1], "john@work.example");
	assert_string_equal(v[0].phone, "+1 555 0100");
	assert_string_equal(v[0].notes,
	                    "line one\nline two; with \\ backslash");
}

static void
test_vcard40_folded_utf8(void **state)
{
	size_t n, broken;
	struct mime_vcard *v;

	(void)state;
	/* A fold may split a UTF-8 character; LF-only lines are fine too. */
	v = parse("BEGIN:VCARD\n"
	          "VERSION:4.0\n"
	          "FN:\xD0\x90\xD0\xBD\xD0\xBD\xD0\xB0 \xD0\x9F\xD0\xB5\xD1\n"
	          " \x82\xD1\x80\xD0\xBE\xD0\xB2\xD0\xB0\n"
	          "EMAIL;PREF=1:anna@example.ru\n"
	          "TEL;VALUE=uri:tel:+7-495-000\n"
	          "NOTE:a long note that\n"
	          "\t continues here\n"
	          "END:VCARD\n"
	          "BEGIN:VCARD\nVERSION:4.0\nN:Smith;Jane;;;\n"
	          "EMAIL:jane@example.org\nEND:VCARD\n",
	          &n, &broken);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "Анна Петрова");
	assert_string_equal(v[0].emails[0], "anna@example.ru");
	assert_string_equal(v[0].phone, "+7-495-000");
	assert_string_equal(v[0].notes, "a long note that continues here");
	/* No FN: the name comes from N. */
	assert_string_equal(v[1].name, "Jane Smith");
}

static void
test_vcard21_quoted_printable(void **state)
{
	size_t n, broken;
	struct mime_vcard *v;

	(void)state;
	v = parse("BEGIN:VCARD\r\n"
	          "VERSION:2.1\r\n"
	          "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=98=D0=B2=D0="
	          "\r\n"
	          "=B0=D0=BD\r\n"
	          "N;CHARSET=KOI8-R;QUOTED-PRINTABLE:=F0=C5=D4=D2=CF=D7;=E9=D7="
	          "C1=CE\r\n"
	          "EMAIL;INTERNET:ivan@example.ru\r\n"
	          "END:VCARD\r\n"
	          "BEGIN:VCARD\r\nVERSION:2.1\r\n"
	          "N;CHARSET=KOI8-R;QUOTED-PRINTABLE:=F0=C5=D4=D2=CF=D7;=E9=D7="
	          "C1=CE\r\n"
	          "END:VCARD\r\n",
	          &n, &broken);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "Иван");
	assert_string_equal(v[0].emails[0], "ivan@example.ru");
	assert_string_equal(v[1].name, "Иван Петров");
}

static void
test_vcard_hostile(void **state)
{
	size_t n, broken, i;
	struct mime_vcard *v;
	struct perr err = {0};
	struct sbuf big;
	static const char *const junk[] = {
	        "",
	        "BEGIN:VCARD",
	        "END:VCARD\r\nEND:VCARD\r\n",
	        "BEGIN:VCARD\r\nFN\r\n:\r\n;;;:\r\nEMAIL;\"x:y\r\n",
	        "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:=\r\n",
	        "BEGIN:VCARD\r\nN:\\\r\nFN:\\\r\nEND:VCARD\r\n",
	        "BEGIN:VCARD\r\nFN:\x01\x02\x1b[31m\xff\xfe\r\nEND:VCARD\r\n",
	        " \r\n\t\r\n BEGIN:VCARD\r\n",
	};

	(void)state;
	for (i = 0; i < PT_NELEM(junk); i++) {
		v = parse(junk[i], &n, &broken);
		for (size_t k = 0; k < n; k++) {
			assert_true(
			        codec_utf8_valid(strv_from_cstr(v[k].name)));
			assert_false(
			        strv_has_ctl(strv_from_cstr(v[k].name), false));
		}
	}
	/* Control characters and bad UTF-8 are gone, the rest kept. */
	v = parse(junk[6], &n, &broken);
	assert_int_equal(n, 1);
	assert_non_null(strstr(v[0].name, "[31m"));
	/* Unterminated card: counted, not returned. */
	v = parse("BEGIN:VCARD\r\nFN:half\r\n", &n, &broken);
	assert_int_equal(n, 0);
	assert_int_equal(broken, 1);
	/* A nested AGENT card does not end the outer one. */
	v = parse("BEGIN:VCARD\r\nFN:Outer\r\nAGENT:BEGIN:VCARD\r\n"
	          "BEGIN:VCARD\r\nFN:Inner\r\nEND:VCARD\r\n"
	          "EMAIL:o@x.example\r\nEND:VCARD\r\n",
	          &n, &broken);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "Outer");
	assert_string_equal(v[0].emails[0], "o@x.example");
	/* A huge value is cut, not copied whole. */
	sbuf_init(&big, A, 1024, 1u << 20);
	sbuf_append_cstr(&big, "BEGIN:VCARD\r\nNOTE:");
	for (i = 0; i < 20000; i++)
		sbuf_append_cstr(&big, "\xD0\xAF");
	sbuf_append_cstr(&big, "\r\nEND:VCARD\r\n");
	v = parse(sbuf_cstr(&big), &n, &broken);
	assert_int_equal(n, 1);
	assert_true(strlen(v[0].notes) <= MIME_VCARD_MAX_VALUE);
	assert_true(codec_utf8_valid(strv_from_cstr(v[0].notes)));
	/* Too many cards: a clear limit error. */
	assert_int_equal(mime_vcard_parse(STRV_LIT("BEGIN:VCARD\nEND:VCARD\n"
	                                           "BEGIN:VCARD\nEND:VCARD\n"),
	                                  1, A, &v, &n, &broken, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
}

static void
test_vcard_write_escape_fold(void **state)
{
	struct mime_vcard c, *v;
	struct sbuf out;
	size_t n, broken;
	const char *s, *line;
	char name[256];

	(void)state;
	memset(&c, 0, sizeof(c));
	/* 40 Cyrillic letters: 80 octets, a fold must come inside. */
	name[0] = '\0';
	for (int i = 0; i < 40; i++)
		memcpy(name + i * 2, "\xD0\x96", 3);
	c.name = name;
	c.phone = "";
	c.organization = "A, B; C\\D";
	c.notes = "one\ntwo";
	c.emails[0] = "a@example.test";
	c.emails[1] = "b@example.test";
	c.n_emails = 2;
	sbuf_init(&out, A, 256, 1u << 20);
	mime_vcard_write(&c, &out);
	assert_true(sbuf_ok(&out));
	s = sbuf_cstr(&out);
	assert_non_null(strstr(s, "BEGIN:VCARD\r\nVERSION:4.0\r\n"));
	assert_non_null(strstr(s, "ORG:A\\, B\\; C\\\\D\r\n"));
	assert_non_null(strstr(s, "NOTE:one\\ntwo\r\n"));
	assert_non_null(strstr(s, "EMAIL;PREF=1:a@example.test\r\n"));
	assert_null(strstr(s, "TEL"));
	/* Every line at most 75 octets; continuations start with a space. */
	for (line = s; *line != '\0';) {
		const char *end = strstr(line, "\r\n");

		assert_non_null(end);
		assert_true(end - line <= 75);
		/* No line starts with a UTF-8 continuation byte after fold. */
		if (line[0] == ' ')
			assert_true(((unsigned char)line[1] & 0xC0) != 0x80);
		line = end + 2;
	}
	/* And it reads back the same. */
	v = parse(s, &n, &broken);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, name);
	assert_string_equal(v[0].organization, "A, B; C\\D");
	assert_string_equal(v[0].notes, "one\ntwo");
	assert_int_equal(v[0].n_emails, 2);
	assert_string_equal(v[0].emails[0], "a@example.test");
	assert_string_equal(v[0].emails[1], "b@example.test");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vcard30),
	        cmocka_unit_test(test_vcard40_folded_utf8),
	        cmocka_unit_test(test_vcard21_quoted_printable),
	        cmocka_unit_test(test_vcard_hostile),
	        cmocka_unit_test(test_vcard_write_escape_fold),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
