/* Unit tests for src/smtp: reply parsing, AUTH PLAIN, refused values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp.h"

static struct arena *A;

static int
setup(void **state)
{
	(void)state;
	A = arena_create("test", 4096, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_destroy(&A);
	return 0;
}

static void
test_reply_single_and_multi(void **state)
{
	const char *text;
	int code;

	(void)state;
	assert_int_equal(smtp_reply_parse(STRV_LIT("235 2.7.0 Authentication "
	                                           "successful\r\n"),
	                                  &code, A, &text),
	                 0);
	assert_int_equal(code, 235);
	assert_string_equal(text, "2.7.0 Authentication successful");
	assert_int_equal(smtp_reply_parse(STRV_LIT("250-first\r\n250-second\r\n"
	                                           "250 last\r\n"),
	                                  &code, A, &text),
	                 0);
	assert_int_equal(code, 250);
	assert_string_equal(text, "first\nsecond\nlast");
	assert_int_equal(smtp_reply_parse(STRV_LIT("334\n"), &code, A, &text),
	                 0);
	assert_int_equal(code, 334);
	assert_string_equal(text, "");
}

static void
test_reply_malformed(void **state)
{
	const char *text;
	int code;

	(void)state;
	/* Unfinished, mixed codes, no code, bad separator. */
	assert_int_equal(smtp_reply_parse(STRV_LIT("250-more\r\n"), &code, A,
	                                   &text),
	                 -1);
	assert_int_equal(smtp_reply_parse(STRV_LIT("250-a\r\n550 b\r\n"),
	                                  &code, A, &text),
	                 -1);
	assert_int_equal(smtp_reply_parse(STRV_LIT("hello\r\n"), &code, A,
	                                  &text),
	                 -1);
	assert_int_equal(smtp_reply_parse(STRV_LIT("250_x\r\n"), &code, A,
	                                  &text),
	                 -1);
	assert_int_equal(smtp_reply_parse(STRV_LIT(""), &code, A, &text), -1);
}

static void
test_auth_plain(void **state)
{
	(void)state;
	/* RFC 4616 section 4's example, without an authzid. */
	assert_string_equal(smtp_auth_plain("tim", "tanstaaftanstaaf", A),
	                    "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

static void
dom_init(struct config_domain *d)
{
	memset(d, 0, sizeof(*d));
	d->smtp_host = "127.0.0.1";
	d->smtp_port = 1; /* never reached: the values are refused first */
	d->smtp_secure = CONFIG_SECURE_NONE;
	d->relay_user = "";
	d->connect_timeout = 1;
	d->read_timeout = 1;
}

static void
test_injection_refused_before_connecting(void **state)
{
	struct config_domain d;
	const char *bad_rcpt[] = {"bob@example.test\r\nRCPT TO:<x@y>"};
	const char *good_rcpt[] = {"bob@example.test"};
	struct smtp_envelope env = {"alice@example.test", bad_rcpt, 1};
	struct smtp_failure f;
	struct perr err;

	(void)state;
	dom_init(&d);
	assert_int_equal(smtp_send(&d, NULL, &env, STRV_LIT("x"), A, &f, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	env.rcpt = good_rcpt;
	env.from = "alice@example.test>\r\nDATA";
	assert_int_equal(smtp_send(&d, NULL, &env, STRV_LIT("x"), A, &f, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	env.from = "alice@example.test";
	env.n_rcpt = 0;
	assert_int_equal(smtp_send(&d, NULL, &env, STRV_LIT("x"), A, &f, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
}

static void
test_connection_refused_is_tempfail(void **state)
{
	struct config_domain d;
	const char *rcpt[] = {"bob@example.test"};
	struct smtp_envelope env = {"alice@example.test", rcpt, 1};
	struct smtp_failure f;
	struct perr err;

	(void)state;
	dom_init(&d);
	assert_int_equal(smtp_send(&d, NULL, &env, STRV_LIT("x"), A, &f, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_string_equal(f.stage, "connect");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reply_single_and_multi),
	        cmocka_unit_test(test_reply_malformed),
	        cmocka_unit_test(test_auth_plain),
	        cmocka_unit_test(test_injection_refused_before_connecting),
	        cmocka_unit_test(test_connection_refused_is_tempfail),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
