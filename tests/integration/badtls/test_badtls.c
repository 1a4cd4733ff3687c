/*
 * The bad-TLS matrix: Petrel's IMAP, SMTP and ManageSieve clients against
 * a hostile server (badtls_server.py) that shows a self-signed, wrong-name,
 * expired or unknown-CA certificate, hides STARTTLS, or pipelines
 * plaintext after its STARTTLS answer. In every bad case the client must
 * fail with a clear error, quickly, before a single credential byte
 * reaches the server. The "good" case (a valid certificate) must log in:
 * it proves the server's credential counter sees a real login.
 *
 * BADTLS_SERVER is the script, BADTLS_DIR where the certificates go (the
 * build tree; made at test time by the openssl CLI, never committed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/core.h"
#include "imap/imap.h"
#include "sieve/sieve.h"
#include "smtp/smtp.h"
#include "core/banned.h"

#define USER "tlsuser@example.test"
#define PASSWORD "Zq7-badtls-secret-Pw"
/* Each case ends well within this (the client's timeouts are 5 s). */
#define CASE_MAX_SECONDS 12.0

static struct arena *A;
static const char *dir;
static const char *server;
static const char *python;

enum proto { P_IMAP, P_SMTP, P_SIEVE };

struct tcase {
	const char *mode; /* "ssl" or "starttls" */
	const char *name;
	const char *want; /* a piece of the error message; NULL: must work */
};

/*
 * The six bad cases of issue 14 in each protocol's STARTTLS mode, the four
 * certificate cases again with TLS from the first byte, and the good ones.
 */
static const struct tcase cases[] = {
        {"starttls", "good", NULL},
        {"starttls", "selfsigned", "self-signed"},
        {"starttls", "wronghost", "mismatch"},
        {"starttls", "expired", "expired"},
        {"starttls", "unknownca", "issuer"},
        {"starttls", "nostarttls", "does not offer STARTTLS"},
        {"starttls", "inject", "after"},
        /* Plaintext that comes after the answer meets the handshake. */
        {"starttls", "injectlate", "TLS"},
        {"ssl", "good", NULL},
        {"ssl", "selfsigned", "self-signed"},
        {"ssl", "wronghost", "mismatch"},
        {"ssl", "expired", "expired"},
        {"ssl", "unknownca", "issuer"},
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
setup(void **state)
{
	char cmd[4096];

	(void)state;
	A = arena_create("badtls", 64 * 1024, 0);
	dir = getenv("BADTLS_DIR");
	server = getenv("BADTLS_SERVER");
	python = getenv("BADTLS_PYTHON");
	if (python == NULL || python[0] == '\0')
		python = "python3";
	if (dir == NULL || server == NULL) {
		fprintf(stderr, "BADTLS_DIR and BADTLS_SERVER must be set\n");
		return -1;
	}
	if ((size_t)snprintf(cmd, sizeof(cmd), "'%s' '%s' certs '%s'", python,
	                     server, dir) >= sizeof(cmd) ||
	    system(cmd) != 0) {
		fprintf(stderr, "making the test certificates failed\n");
		return -1;
	}
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
dom_init(struct config_domain *d, enum proto p, const char *mode, unsigned port)
{
	enum config_secure sec = strcmp(mode, "ssl") == 0 ? CONFIG_SECURE_SSL
	                                                  : CONFIG_SECURE_TLS;

	memset(d, 0, sizeof(*d));
	d->name = "example.test";
	d->imap_host = d->smtp_host = d->sieve_host = "127.0.0.1";
	d->imap_port = d->smtp_port = d->sieve_port = port;
	d->imap_secure = p == P_IMAP ? sec : CONFIG_SECURE_NONE;
	d->smtp_secure = p == P_SMTP ? sec : CONFIG_SECURE_NONE;
	d->sieve_secure = p == P_SIEVE ? sec : CONFIG_SECURE_NONE;
	d->smtp_auth = true;
	d->sieve_use = true;
	d->verify_certificate = true;
	d->ca_file = arena_printf(A, "%s/ca.pem", dir);
	d->connect_timeout = 5;
	d->read_timeout = 5;
}

/* Connect and log in (and, for SMTP, send) as a web login would. */
static int
client(enum proto p, const struct config_domain *d, struct perr *err)
{
	int r = -1;

	if (p == P_IMAP) {
		struct imap_conn *c = NULL;

		r = imap_connect(d, A, &c, err);
		if (r == 0) {
			r = imap_login(c, USER, PASSWORD, err);
			imap_logout(c);
		}
		imap_conn_destroy(&c);
	} else if (p == P_SMTP) {
		static const char *const rcpt[] = {"bob@example.test"};
		struct smtp_envelope env = {USER, rcpt, 1};
		struct smtp_login login = {USER, PASSWORD};
		struct smtp_failure f;

		r = smtp_send(d, &login, &env,
		              strv_from_cstr("Subject: t\r\n\r\nbody\r\n"), A,
		              &f, err);
	} else {
		struct sieve_conn *c = NULL;

		r = sieve_connect(d, A, &c, err);
		if (r == 0)
			r = sieve_login(c, USER, PASSWORD, err);
		sieve_close(&c);
	}
	return r;
}

static void
run_case(enum proto p, const char *pname, const struct tcase *tc)
{
	char cmd[4096], line[256];
	struct config_domain d;
	struct perr err = {0};
	unsigned port = 0;
	long cred = -1;
	double t0, secs;
	FILE *srv;
	int r;

	if ((size_t)snprintf(cmd, sizeof(cmd), "'%s' '%s' serve '%s' %s %s %s",
	                     python, server, dir, pname, tc->mode,
	                     tc->name) >= sizeof(cmd))
		fail_msg("command too long");
	srv = popen(cmd, "r");
	assert_non_null(srv);
	if (fgets(line, sizeof(line), srv) == NULL ||
	    strncmp(line, "PORT ", 5) != 0 ||
	    (port = (unsigned)strtoul(line + 5, NULL, 10)) == 0 || port > 65535)
		fail_msg("%s %s %s: the server did not start", pname, tc->mode,
		         tc->name);
	dom_init(&d, p, tc->mode, port);
	t0 = now();
	r = client(p, &d, &err);
	secs = now() - t0;
	while (fgets(line, sizeof(line), srv) != NULL) {
		if (strncmp(line, "CRED ", 5) == 0)
			cred = strtol(line + 5, NULL, 10);
	}
	assert_int_equal(pclose(srv), 0);
	printf("%-5s %-8s %-10s -> %s (%.2f s, %ld credential bytes)\n", pname,
	       tc->mode, tc->name, r == 0 ? "logged in" : err.msg, secs, cred);
	if (secs > CASE_MAX_SECONDS)
		fail_msg("%s %s %s took %.1f s", pname, tc->mode, tc->name,
		         secs);
	if (tc->want == NULL) {
		if (r != 0)
			fail_msg("%s %s good: %s", pname, tc->mode, err.msg);
		/* The counter must see the real login, or it proves nothing. */
		assert_true(cred > 0);
		return;
	}
	if (r == 0)
		fail_msg("%s %s %s: the client went on", pname, tc->mode,
		         tc->name);
	assert_non_null(err.msg);
	if (strstr(err.msg, tc->want) == NULL)
		fail_msg("%s %s %s: unclear error \"%s\" (want \"%s\")", pname,
		         tc->mode, tc->name, err.msg, tc->want);
	assert_true(err.kind == PERR_TEMPFAIL || err.kind == PERR_REMOTE);
	if (cred != 0)
		fail_msg("%s %s %s: %ld credential bytes reached the server",
		         pname, tc->mode, tc->name, cred);
}

static void
run_all(enum proto p, const char *pname)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(p, pname, &cases[i]);
}

static void
test_imap(void **state)
{
	(void)state;
	run_all(P_IMAP, "imap");
}

static void
test_smtp(void **state)
{
	(void)state;
	run_all(P_SMTP, "smtp");
}

static void
test_sieve(void **state)
{
	(void)state;
	run_all(P_SIEVE, "sieve");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_imap),
	        cmocka_unit_test(test_smtp),
	        cmocka_unit_test(test_sieve),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
