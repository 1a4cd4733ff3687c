/*
 * smtp against the real Postfix of tests/harness/mailstack.py: submission
 * (STARTTLS + AUTH) and submissions (implicit TLS), delivered through LMTP
 * to Dovecot and read back over IMAP; refusals carry Postfix's own words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "imap/imap.h"
#include "smtp/smtp.h"
#include "stack.h"
#include "core/banned.h"

static struct arena *A;

static int
setup(void **state)
{
	(void)state;
	A = arena_create("itest", 64 * 1024, 0);
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
dom_init(struct config_domain *d, uint16_t port, enum config_secure sec)
{
	memset(d, 0, sizeof(*d));
	d->name = "example.test";
	d->imap_host = d->smtp_host = stack_get("MAILSTACK_HOST");
	d->imap_port = stack_port("IMAP_PORT");
	d->imap_secure = CONFIG_SECURE_NONE;
	d->smtp_port = port;
	d->smtp_secure = sec;
	d->smtp_auth = true;
	d->verify_certificate = true;
	d->ca_file = stack_get("CA_FILE");
	d->relay_user = "";
	d->relay_password = "";
	d->connect_timeout = 5;
	d->read_timeout = 30;
}

static const char *
message(const char *subject)
{
	return arena_printf(A,
	                    "From: alice@example.test\r\n"
	                    "To: bob@example.test\r\n"
	                    "Subject: %s\r\n"
	                    "Message-ID: <%s@itest>\r\n"
	                    "MIME-Version: 1.0\r\n\r\n"
	                    "line one\r\n.leading dot\r\n",
	                    subject, subject);
}

/* Wait for LMTP delivery: the UID of subject in bob's INBOX, or 0. */
static uint32_t
bob_has(const char *subject)
{
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct imap_list_query q = {0};
	struct imap_msg_page page;
	struct perr err;
	int i;

	dom_init(&d, 0, CONFIG_SECURE_NONE);
	if (imap_connect(&d, A, &c, &err) != 0 ||
	    imap_login(c, "bob@example.test",
	               stack_password("bob@example.test"), &err) != 0)
		fail_msg("imap: %s", err.msg);
	q.search = arena_printf(A, "subject:%s", subject);
	q.no_preview = true;
	for (i = 0; i < 100; i++) {
		if (imap_list_messages(c, "INBOX", &q, A, &page, &err) != 0)
			fail_msg("list: %s", err.msg);
		if (page.n > 0)
			break;
		usleep(100 * 1000);
		if (imap_noop(c, &err) != 0)
			fail_msg("noop: %s", err.msg);
	}
	imap_logout(c);
	imap_conn_destroy(&c);
	return page.n > 0 ? page.rows[0].uid : 0;
}

static int
send_one(uint16_t port, enum config_secure sec, const char *password,
         const char *rcpt, const char *subject, struct smtp_failure *f,
         struct perr *err)
{
	struct config_domain d;
	const char *rcpts[] = {rcpt};
	struct smtp_envelope env = {"alice@example.test", rcpts, 1};
	struct smtp_login login = {"alice@example.test", password};

	dom_init(&d, port, sec);
	return smtp_send(&d, &login, &env, strv_from_cstr(message(subject)), A,
	                 f, err);
}

/* The reply code a message starts with. */
static int
atoi_safe(const char *s)
{
	uint64_t v = 0;

	if (s == NULL || strlen(s) < 3 ||
	    !pt_parse_u64((struct strv){s, 3}, 999, &v))
		return -1;
	return (int)v;
}

static const char *
unique(const char *what)
{
	return arena_printf(A, "%s-%d-%ld", what, (int)getpid(),
	                    (long)pt_now_ms_monotonic());
}

static void
test_submission_starttls_auth(void **state)
{
	const char *subj = unique("starttls");
	struct smtp_failure f;
	struct perr err;

	(void)state;
	if (send_one(stack_port("SUBMISSION_PORT"), CONFIG_SECURE_TLS,
	             stack_password("alice@example.test"), "bob@example.test",
	             subj, &f, &err) != 0)
		fail_msg("send: %s (%s)", err.msg, f.stage);
	assert_true(bob_has(subj) > 0);
}

static void
test_submissions_implicit_tls(void **state)
{
	const char *subj = unique("implicit");
	struct smtp_failure f;
	struct perr err;

	(void)state;
	if (send_one(stack_port("SUBMISSIONS_PORT"), CONFIG_SECURE_SSL,
	             stack_password("alice@example.test"), "bob@example.test",
	             subj, &f, &err) != 0)
		fail_msg("send: %s (%s)", err.msg, f.stage);
	assert_true(bob_has(subj) > 0);
}

static void
test_unknown_recipient_has_postfix_text(void **state)
{
	struct smtp_failure f;
	struct perr err;

	(void)state;
	assert_int_equal(
	        send_one(stack_port("SUBMISSION_PORT"), CONFIG_SECURE_TLS,
	                 stack_password("alice@example.test"),
	                 "nobody@example.test", unique("rej"), &f, &err),
	        -1);
	assert_int_equal(err.kind, PERR_REMOTE);
	assert_string_equal(f.stage, "RCPT TO");
	assert_string_equal(f.recipient, "nobody@example.test");
	assert_int_equal(f.code, 550);
	/* Postfix's own words, code first. */
	assert_non_null(strstr(err.msg, "550 5.1.1 <nobody@example.test>: "
	                                "Recipient address rejected"));
	assert_non_null(strstr(f.reply, "User unknown"));
}

static void
test_wrong_password_is_auth_failure(void **state)
{
	struct smtp_failure f;
	struct perr err;

	(void)state;
	assert_int_equal(send_one(stack_port("SUBMISSION_PORT"),
	                          CONFIG_SECURE_TLS, "wrong-password",
	                          "bob@example.test", unique("pw"), &f, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_REMOTE);
	assert_string_equal(f.stage, "AUTH");
	assert_int_equal(f.code, 535);
	assert_true(strncmp(err.msg, "535 ", 4) == 0);
}

static void
test_no_starttls_no_auth_offered(void **state)
{
	struct smtp_failure f;
	struct perr err;

	(void)state;
	/* Postfix offers AUTH on submission only after STARTTLS. */
	assert_int_equal(
	        send_one(stack_port("SUBMISSION_PORT"), CONFIG_SECURE_NONE,
	                 stack_password("alice@example.test"),
	                 "bob@example.test", unique("plain"), &f, &err),
	        -1);
	assert_string_equal(f.stage, "AUTH");
}

static void
test_relay_account_and_no_auth(void **state)
{
	struct config_domain d;
	const char *rcpts[] = {"bob@example.test"};
	struct smtp_envelope env = {"alice@example.test", rcpts, 1};
	const char *subj = unique("relay");
	struct smtp_failure f;
	struct perr err;

	(void)state;
	/* The fixed relay account: no user credentials needed. */
	dom_init(&d, stack_port("SUBMISSION_PORT"), CONFIG_SECURE_TLS);
	d.relay_user = "alice@example.test";
	d.relay_password = stack_password("alice@example.test");
	if (smtp_send(&d, NULL, &env, strv_from_cstr(message(subj)), A, &f,
	              &err) != 0)
		fail_msg("relay send: %s (%s)", err.msg, f.stage);
	assert_true(bob_has(subj) > 0);
	/* smtp_auth Off on a port that wants AUTH: Postfix's refusal. */
	d.relay_user = "";
	d.smtp_auth = false;
	assert_int_equal(smtp_send(&d, NULL, &env,
	                           strv_from_cstr(message(unique("noauth"))), A,
	                           &f, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_REMOTE);
	assert_true(f.code >= 500 && f.code < 600);
	assert_true(strcmp(f.stage, "MAIL FROM") == 0 ||
	            strcmp(f.stage, "RCPT TO") == 0);
	assert_int_equal(atoi_safe(err.msg), f.code);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_submission_starttls_auth),
	        cmocka_unit_test(test_submissions_implicit_tls),
	        cmocka_unit_test(test_unknown_recipient_has_postfix_text),
	        cmocka_unit_test(test_wrong_password_is_auth_failure),
	        cmocka_unit_test(test_no_starttls_no_auth_offered),
	        cmocka_unit_test(test_relay_account_and_no_auth),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
