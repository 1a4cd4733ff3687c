/*
 * src/mail/transfer.c: mboxrd quoting on the way out and unquoting on
 * the way in (round trips included), the names of messages in an export
 * zip, and the .eml plausibility check on hostile inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/mail.h"

struct got {
	struct arena *a;
	size_t n;
	const char *msg[8];
};

static int
collect(void *arg, size_t n, struct strv msg)
{
	struct got *g = arg;

	assert_int_equal(n, g->n);
	assert_true(g->n < 8);
	g->msg[g->n++] = strv_dup(g->a, msg);
	return 0;
}

static const char *
mbox_of(struct arena *a, const char *sender, time_t when, const char *raw)
{
	struct sbuf out;

	sbuf_init(&out, a, 256, 1 << 20);
	mail_mbox_append(&out, sender, when, strv_from_cstr(raw));
	assert_true(sbuf_ok(&out));
	return sbuf_cstr(&out);
}

static void
test_mbox_append_quotes_from_lines_and_drops_cr(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);

	(void)state;
	assert_string_equal(
	        mbox_of(a, "bob@example.test", 0,
	                "Subject: x\r\n\r\nFrom here\r\n>From there\r\n"
	                ">>From a\r\n>Fromage\r\n From x\r\nlast"),
	        "From bob@example.test Thu Jan  1 00:00:00 1970\n"
	        "Subject: x\n\n>From here\n>>From there\n>>>From a\n"
	        ">Fromage\n From x\nlast\n\n");
	/* A sender that would break the separator line is replaced. */
	assert_string_equal(mbox_of(a, "a b@c", 86400, "S: 1\r\n"),
	                    "From MAILER-DAEMON Fri Jan  2 00:00:00 1970\n"
	                    "S: 1\n\n");
	assert_string_equal(mbox_of(a, "", 0, "S: 1\n"),
	                    "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
	                    "S: 1\n\n");
	arena_destroy(&a);
}

static void
test_mbox_round_trip(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sbuf out;
	struct got g = {.a = a};
	struct perr err = {0};
	const char *m1 = "From: a@b\r\nSubject: one\r\n\r\nFrom me\r\n"
	                 ">From you\r\n\r\n";
	const char *m2 = "Subject: two\r\n\r\n>>From x\r\nbye\r\n";

	(void)state;
	sbuf_init(&out, a, 256, 1 << 20);
	mail_mbox_append(&out, "a@b", 1000, strv_from_cstr(m1));
	mail_mbox_append(&out, "c@d", 2000, strv_from_cstr(m2));
	assert_true(sbuf_ok(&out));
	assert_int_equal(mail_mbox_split(sbuf_view(&out), a, collect, &g, &err),
	                 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.msg[0], m1);
	assert_string_equal(g.msg[1], m2);
	arena_destroy(&a);
}

static void
test_mbox_split_reads_plain_files_and_refuses_others(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct got g = {.a = a};
	struct perr err = {0};

	(void)state;
	/* mboxo-style, no final blank line, LF only. */
	assert_int_equal(
	        mail_mbox_split(STRV_LIT("From x Mon\nA: 1\n\nhi\n"
	                                 "From y Tue\nB: 2\n\n>From z"),
	                        a, collect, &g, &err),
	        0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.msg[0], "A: 1\r\n\r\nhi\r\n");
	assert_string_equal(g.msg[1], "B: 2\r\n\r\nFrom z\r\n");
	assert_int_equal(mail_mbox_split(STRV_LIT("Subject: not mbox\n"), a,
	                                 collect, &g, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	arena_destroy(&a);
}

static int
check(const char *s, size_t len, size_t max)
{
	struct perr err = {0};
	int rc = mail_eml_check((struct strv){s, len}, max, NULL, &err);

	return rc == 0 ? 0 : (int)err.kind;
}

#define CHECK(lit, max) check("" lit "", sizeof(lit) - 1, (max))

static void
test_eml_check_hostile_inputs(void **state)
{
	(void)state;
	assert_int_equal(CHECK("From: a@b\r\nSubject: x\r\n\r\nbody", 0), 0);
	assert_int_equal(CHECK("Subject: folded\r\n  more\r\n\r\n", 0), 0);
	/* Headers only, no body, LF line ends: still a message. */
	assert_int_equal(CHECK("Subject: x\n", 0), 0);
	assert_int_equal(CHECK("", 0), PERR_INPUT);
	assert_int_equal(CHECK("\r\n\r\nbody only", 0), PERR_INPUT);
	assert_int_equal(CHECK(" continued: first\r\n\r\n", 0), PERR_INPUT);
	assert_int_equal(CHECK("no colon here\r\n\r\n", 0), PERR_INPUT);
	assert_int_equal(CHECK(": empty name\r\n\r\n", 0), PERR_INPUT);
	assert_int_equal(CHECK("Bad Name: x\r\n\r\n", 0), PERR_INPUT);
	assert_int_equal(CHECK("Sub\x80ject: x\r\n\r\n", 0), PERR_INPUT);
	assert_int_equal(CHECK("Subject: a\0b\r\n\r\n", 0), PERR_INPUT);
	assert_int_equal(CHECK("Subject: x\r\n\r\nbody\0", 0), PERR_INPUT);
	assert_int_equal(CHECK("\x89PNG\r\n\x1a\n", 0), PERR_INPUT);
	assert_int_equal(CHECK("Subject: x\r\n\r\n12345", 10), PERR_LIMIT);
	assert_int_equal(CHECK("S: x\r\n\r\n", 10), 0);
}

static void
test_eml_header_unfolds_and_stops_at_the_body(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct strv m = STRV_LIT("Subject: a\r\nDATE: Mon, 2 Mar 2026\r\n"
	                         " 10:00:00 +0000\r\nX: y\r\n\r\nDate: no\r\n");

	(void)state;
	assert_string_equal(mail_eml_header(a, m, "date"),
	                    "Mon, 2 Mar 2026 10:00:00 +0000");
	assert_string_equal(mail_eml_header(a, m, "Subject"), "a");
	assert_null(
	        mail_eml_header(a, STRV_LIT("X: 1\n\nDate: body\n"), "Date"));
	assert_null(mail_eml_header(a, m, "Dat"));
	arena_destroy(&a);
}

static void
test_zip_entry_names_are_safe_and_unique(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	char longs[300];

	(void)state;
	assert_string_equal(mail_export_entry_name(a, "Hello", 7),
	                    "Hello (7).eml");
	assert_string_equal(mail_export_entry_name(a, "Hello", 8),
	                    "Hello (8).eml");
	assert_string_equal(mail_export_entry_name(a, "../../etc/passwd", 1),
	                    "_.._etc_passwd (1).eml");
	assert_string_equal(mail_export_entry_name(a, "a\\b:c*?\"<>|\r\n", 2),
	                    "a_b_c________ (2).eml");
	/* RIGHT-TO-LEFT OVERRIDE (U+202E) and an isolate (U+2066). */
	assert_string_equal(mail_export_entry_name(
	                            a, "inv\xe2\x80\xaegpj.exe\xe2\x81\xa6", 3),
	                    "inv_gpj.exe_ (3).eml");
	assert_string_equal(mail_export_entry_name(a, "\xff\xfe", 4),
	                    "__ (4).eml");
	assert_string_equal(mail_export_entry_name(a, " ... ", 5),
	                    "message (5).eml");
	assert_string_equal(mail_export_entry_name(a, NULL, 6),
	                    "message (6).eml");
	assert_string_equal(mail_export_entry_name(a, "Grüße", 9),
	                    "Grüße (9).eml");
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	assert_true(strlen(mail_export_entry_name(a, longs, 10)) <= 80 + 10);
	arena_destroy(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(
	                test_mbox_append_quotes_from_lines_and_drops_cr),
	        cmocka_unit_test(test_mbox_round_trip),
	        cmocka_unit_test(
	                test_mbox_split_reads_plain_files_and_refuses_others),
	        cmocka_unit_test(test_eml_check_hostile_inputs),
	        cmocka_unit_test(test_eml_header_unfolds_and_stops_at_the_body),
	        cmocka_unit_test(test_zip_entry_names_are_safe_and_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
