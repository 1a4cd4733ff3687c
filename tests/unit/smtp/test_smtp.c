/* Unit tests for src/smtp: reply parsing, AUTH PLAIN, refused values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "smtp/smtp.h"

#include "../support/unit_arena.h"
#include "../support/fake_server.h"

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
	assert_int_equal(
	        smtp_reply_parse(STRV_LIT("250-more\r\n"), &code, A, &text),
	        -1);
	assert_int_equal(smtp_reply_parse(STRV_LIT("250-a\r\n550 b\r\n"), &code,
	                                  A, &text),
	                 -1);
	assert_int_equal(
	        smtp_reply_parse(STRV_LIT("hello\r\n"), &code, A, &text), -1);
	assert_int_equal(
	        smtp_reply_parse(STRV_LIT("250_x\r\n"), &code, A, &text), -1);
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

/*
 * A scripted server on 127.0.0.1: lines starting "S:" are sent, "C:" are
 * expected from the client (a prefix match), "X" stops answering. It
 * records whether the whole script ran.
 */
struct fake {
	int lfd;
	uint16_t port;
	const char *const *script;
	char got[8192]; /* everything the client sent */
	size_t got_len;
	bool done;
	pthread_t th;
};

static bool
read_line(int fd, struct fake *f, char *line, size_t max)
{
	size_t n = 0;
	char c;

	while (n + 1 < max && read(fd, &c, 1) == 1) {
		if (f->got_len + 1 < sizeof(f->got))
			f->got[f->got_len++] = c;
		if (c == '\n') {
			line[n] = '\0';
			return true;
		}
		if (c != '\r')
			line[n++] = c;
	}
	return false;
}

static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	char line[1024];
	size_t i;

	for (i = 0; fd >= 0 && f->script[i] != NULL; i++) {
		const char *s = f->script[i];

		if (s[0] == 'X') {
			sleep(2);
			break;
		}
		if (s[0] == 'S') {
			/* The client may be gone already (after QUIT). */
			if (send(fd, s + 2, strlen(s + 2), MSG_NOSIGNAL) < 0 ||
			    send(fd, "\r\n", 2, MSG_NOSIGNAL) < 0)
				break;
		} else if (!read_line(fd, f, line, sizeof(line)) ||
		           strncmp(line, s + 2, strlen(s + 2)) != 0) {
			break;
		}
	}
	f->done = f->script[i] == NULL;
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void
fake_start(struct fake *f, const char *const *script)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->script = script;
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->th, NULL, fake_run, f), 0);
}

static void
fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
}

static void
test_auth_login_multiline_and_dot_stuffing(void **state)
{
	static const char *const script[] = {
	        "S:220 fake ESMTP",
	        "C:EHLO ",
	        "S:250-fake greets you",
	        "S:250-SIZE 1000",
	        "S:250 AUTH LOGIN",
	        "C:AUTH LOGIN",
	        "S:334 VXNlcm5hbWU6",
	        "C:dXNlckBleGFtcGxlLnRlc3Q=", /* user@example.test */
	        "S:334 UGFzc3dvcmQ6",
	        "C:c2VjcmV0", /* secret */
	        "S:235 2.7.0 ok",
	        "C:MAIL FROM:<a@example.test> SIZE=",
	        "S:250 ok",
	        "C:RCPT TO:<b@example.test>",
	        "S:250 ok",
	        "C:DATA",
	        "S:354 go",
	        "C:Subject: x",
	        "C:",
	        "C:..dot line",
	        "C:.",
	        "S:250 2.0.0 queued",
	        "C:QUIT",
	        NULL,
	};
	struct config_domain d;
	const char *rcpt[] = {"b@example.test"};
	struct smtp_envelope env = {"a@example.test", rcpt, 1};
	struct smtp_login login = {"user@example.test", "secret"};
	struct smtp_failure f;
	struct fake fk;
	struct perr err;

	(void)state;
	fake_start(&fk, script);
	dom_init(&d);
	d.smtp_port = fk.port;
	d.smtp_auth = true;
	if (smtp_send(&d, &login, &env, STRV_LIT("Subject: x\n\n.dot line\n"),
	              A, &f, &err) != 0) {
		fake_stop(&fk);
		fail_msg("send: %s (%s); the server got: %.*s", err.msg,
		         f.stage, (int)fk.got_len, fk.got);
	}
	fake_stop(&fk);
	assert_true(fk.done);
}

static void
test_size_limit_and_multiline_refusal(void **state)
{
	static const char *const script[] = {
	        "S:220 fake ESMTP", "C:EHLO ", "S:250-fake",
	        "S:250 SIZE 10",    NULL,
	};
	static const char *const refuse[] = {
	        "S:220 fake ESMTP",
	        "C:EHLO ",
	        "S:250 fake",
	        "C:MAIL FROM:<a@example.test>",
	        "S:250 ok",
	        "C:RCPT TO:<b@example.test>",
	        "S:550-5.1.1 first line",
	        "S:550 5.1.1 second line",
	        NULL,
	};
	struct config_domain d;
	const char *rcpt[] = {"b@example.test"};
	struct smtp_envelope env = {"a@example.test", rcpt, 1};
	struct smtp_failure f;
	struct fake fk;
	struct perr err;

	(void)state;
	fake_start(&fk, script);
	dom_init(&d);
	d.smtp_port = fk.port;
	assert_int_equal(smtp_send(&d, NULL, &env,
	                           STRV_LIT("Subject: too big for ten\n"), A,
	                           &f, &err),
	                 -1);
	fake_stop(&fk);
	assert_int_equal(err.kind, PERR_LIMIT);
	fake_start(&fk, refuse);
	d.smtp_port = fk.port;
	assert_int_equal(
	        smtp_send(&d, NULL, &env, STRV_LIT("x\n"), A, &f, &err), -1);
	fake_stop(&fk);
	assert_true(fk.done);
	assert_int_equal(err.kind, PERR_REMOTE);
	assert_int_equal(f.code, 550);
	assert_string_equal(f.stage, "RCPT TO");
	assert_string_equal(f.recipient, "b@example.test");
	assert_non_null(strstr(err.msg, "550 5.1.1 first line"));
	assert_non_null(strstr(err.msg, "second line"));
}

static void
test_silent_server_times_out(void **state)
{
	static const char *const script[] = {"S:220 fake ESMTP", "C:EHLO ", "X",
	                                     NULL};
	struct config_domain d;
	const char *rcpt[] = {"b@example.test"};
	struct smtp_envelope env = {"a@example.test", rcpt, 1};
	struct smtp_failure f;
	struct fake fk;
	struct perr err;
	uint64_t t0 = pt_now_ms_monotonic();

	(void)state;
	fake_start(&fk, script);
	dom_init(&d);
	d.smtp_port = fk.port;
	assert_int_equal(
	        smtp_send(&d, NULL, &env, STRV_LIT("x\n"), A, &f, &err), -1);
	fake_stop(&fk);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_string_equal(f.stage, "EHLO");
	assert_non_null(strstr(err.msg, "timed out"));
	assert_true(pt_now_ms_monotonic() - t0 < 3000);
}

/*
 * A server that never ends its reply line: the client gives up after a
 * bounded number of bytes with a clear error, instead of buffering all
 * the server cares to send.
 */
static void
test_endless_reply_line_is_bounded(void **state)
{
	static const char *const script[] = {"L:", NULL};
	struct config_domain d;
	const char *rcpt[] = {"b@example.test"};
	struct smtp_envelope env = {"a@example.test", rcpt, 1};
	struct smtp_failure f;
	struct fsrv fk;
	struct perr err;

	(void)state;
	fsrv_start(&fk, script);
	dom_init(&d);
	d.smtp_port = fk.port;
	d.read_timeout = 5;
	assert_int_equal(
	        smtp_send(&d, NULL, &env, STRV_LIT("x\n"), A, &f, &err), -1);
	fsrv_stop(&fk);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	if (strstr(err.msg, "line longer than") == NULL)
		fail_msg("%s", err.msg);
	assert_true(fk.endless_sent < (size_t)4 << 20);
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
	        cmocka_unit_test(test_auth_login_multiline_and_dot_stuffing),
	        cmocka_unit_test(test_size_limit_and_multiline_refusal),
	        cmocka_unit_test(test_silent_server_times_out),
	        cmocka_unit_test(test_endless_reply_line_is_bounded),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
