/*
 * net: real sockets on 127.0.0.1 only. A throw-away CA and server
 * certificates are made with OpenSSL at group setup; a one-connection
 * server thread (plain, TLS, STARTTLS, silent, or a scripted IMAP server)
 * plays the other side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include <libetpan/libetpan.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/core.h"
#include "net/net.h"
#include "core/banned.h"

/* ---- certificates ------------------------------------------------------ */

struct cred {
	X509 *cert;
	EVP_PKEY *key;
};

static struct cred ca, good, selfsigned, wrongname;
static char tmpdir[64];
static char ca_path[128];
static long serial = 1;

static void
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

static void
make_cred(struct cred *out, const char *cn, const char *san,
          const struct cred *issuer, bool is_ca)
{
	X509_NAME *name;
	X509V3_CTX v3;
	X509 *x;

	out->key = EVP_EC_gen("P-256");
	assert_non_null(out->key);
	x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30));
	assert_int_equal(X509_set_pubkey(x, out->key), 1);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	                           (const unsigned char *)"Petrel Test", -1, -1,
	                           0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(
	        x, issuer != NULL ? X509_get_subject_name(issuer->cert) : name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer->cert : x, x, NULL, NULL,
	               0);
	add_ext(x, &v3, NID_subject_key_identifier, "hash");
	if (is_ca) {
		add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, &v3, NID_basic_constraints, "CA:FALSE");
		add_ext(x, &v3, NID_key_usage, "critical,digitalSignature");
		add_ext(x, &v3, NID_ext_key_usage, "serverAuth");
	}
	if (san != NULL)
		add_ext(x, &v3, NID_subject_alt_name, san);
	assert_true(X509_sign(x, issuer != NULL ? issuer->key : out->key,
	                      EVP_sha256()) > 0);
	out->cert = x;
}

static void
free_cred(struct cred *c)
{
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
	c->cert = NULL;
	c->key = NULL;
}

static int
group_setup(void **state)
{
	FILE *f;

	(void)state;
	assert_true(
	        pt_strlcpy(tmpdir, "/tmp/petrel-net-XXXXXX", sizeof(tmpdir)));
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	assert_true(
	        pt_snprintf_ok(ca_path, sizeof(ca_path), "%s/ca.pem", tmpdir));
	make_cred(&ca, "Petrel Test CA", NULL, NULL, true);
	make_cred(&good, "localhost", "DNS:localhost,IP:127.0.0.1", &ca, false);
	make_cred(&selfsigned, "localhost", "DNS:localhost,IP:127.0.0.1", NULL,
	          false);
	make_cred(&wrongname, "mail.example.org", "DNS:mail.example.org", &ca,
	          false);
	f = fopen(ca_path, "w");
	if (f == NULL)
		return -1;
	PEM_write_X509(f, ca.cert);
	fclose(f);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(ca_path);
	rmdir(tmpdir);
	free_cred(&ca);
	free_cred(&good);
	free_cred(&selfsigned);
	free_cred(&wrongname);
	net_global_cleanup();
	return 0;
}

/* ---- the server thread --------------------------------------------------- */

enum srv_mode {
	SRV_PLAIN,           /* greeting, echo one line */
	SRV_TLS,             /* the same under implicit TLS */
	SRV_STARTTLS,        /* plain greeting, STARTTLS, TLS greeting, echo */
	SRV_STARTTLS_INJECT, /* as above, with plaintext after the OK */
	SRV_SILENT,          /* accept and say nothing */
	SRV_LATE,            /* say one line after 150 ms */
	SRV_IMAP, /* scripted IMAP; TLS if cred, STARTTLS on request */
};

struct server {
	int lfd;
	uint16_t port;
	enum srv_mode mode;
	const struct cred *cred; /* TLS certificate (NULL: plain IMAP) */
	pthread_t thread;
	SSL_CTX *ctx;
	int fd;
	SSL *ssl;
	bool imaps; /* SRV_IMAP: TLS from the first byte */
	bool tls_ok;
	char got[256];
};

static int
srv_write(struct server *s, const char *str)
{
	size_t len = strlen(str);

	if (s->ssl != NULL)
		return SSL_write(s->ssl, str, (int)len) == (int)len ? 0 : -1;
	return send(s->fd, str, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* One line without CRLF into buf; -1 at EOF or error. */
static int
srv_read_line(struct server *s, char *buf, size_t size)
{
	size_t n = 0;
	char c;
	int r;

	for (;;) {
		if (s->ssl != NULL)
			r = SSL_read(s->ssl, &c, 1);
		else
			r = (int)recv(s->fd, &c, 1, 0);
		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		if (c != '\r' && n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

static int
srv_tls(struct server *s)
{
	s->ssl = SSL_new(s->ctx);
	if (s->ssl == NULL)
		return -1;
	SSL_set_fd(s->ssl, s->fd);
	if (SSL_accept(s->ssl) != 1) {
		ERR_clear_error();
		return -1;
	}
	s->tls_ok = true;
	return 0;
}

static void
srv_drain(struct server *s)
{
	char buf[256];

	while (srv_read_line(s, buf, sizeof(buf)) == 0)
		;
}

static void
srv_echo(struct server *s, const char *greeting)
{
	char line[300];

	if (srv_write(s, greeting) < 0)
		return;
	if (srv_read_line(s, s->got, sizeof(s->got)) < 0)
		return;
	if (!pt_snprintf_ok(line, sizeof(line), "echo %s\r\n", s->got))
		return;
	if (srv_write(s, line) < 0)
		return;
	srv_drain(s);
}

static void
srv_imap(struct server *s)
{
	char line[256], out[512], *sp;
	const char *cmd;

	if (srv_write(s,
	              "* OK [CAPABILITY IMAP4rev1 STARTTLS] fake ready\r\n") <
	    0)
		return;
	while (srv_read_line(s, line, sizeof(line)) == 0) {
		sp = strchr(line, ' ');
		if (sp == NULL)
			return;
		*sp = '\0';
		cmd = sp + 1;
		if (strcmp(cmd, "CAPABILITY") == 0) {
			if (!pt_snprintf_ok(out, sizeof(out),
			                    "* CAPABILITY IMAP4rev1 IDLE%s\r\n"
			                    "%s OK done\r\n",
			                    s->ssl != NULL ? " TLSONLY" : "",
			                    line))
				return;
			srv_write(s, out);
		} else if (strcmp(cmd, "STARTTLS") == 0 && s->ssl == NULL) {
			if (!pt_snprintf_ok(out, sizeof(out),
			                    "%s OK begin TLS\r\n", line))
				return;
			srv_write(s, out);
			if (srv_tls(s) < 0)
				return;
		} else if (strcmp(cmd, "LOGOUT") == 0) {
			if (!pt_snprintf_ok(out, sizeof(out),
			                    "* BYE bye\r\n%s OK done\r\n",
			                    line))
				return;
			srv_write(s, out);
			return;
		} else {
			if (!pt_snprintf_ok(out, sizeof(out),
			                    "%s BAD unknown\r\n", line))
				return;
			srv_write(s, out);
		}
	}
}

static void *
srv_main(void *arg)
{
	struct server *s = arg;
	struct timeval tv = {.tv_sec = 5, .tv_usec = 0};
	struct pollfd pfd = {.fd = s->lfd, .events = POLLIN, .revents = 0};
	sigset_t set;
	char line[256];

	/* A client that hangs up makes SSL_write raise SIGPIPE here. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (poll(&pfd, 1, 5000) != 1)
		return NULL;
	s->fd = accept(s->lfd, NULL, NULL);
	if (s->fd < 0)
		return NULL;
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	switch (s->mode) {
	case SRV_PLAIN:
		srv_echo(s, "* OK plain greeting\r\n");
		break;
	case SRV_TLS:
		if (srv_tls(s) == 0)
			srv_echo(s, "* OK tls greeting\r\n");
		break;
	case SRV_STARTTLS:
	case SRV_STARTTLS_INJECT:
		if (srv_write(s, "* OK plain greeting\r\n") < 0 ||
		    srv_read_line(s, line, sizeof(line)) < 0 ||
		    strcmp(line, "a STARTTLS") != 0)
			break;
		if (srv_write(s,
		              s->mode == SRV_STARTTLS
		                      ? "a OK begin TLS\r\n"
		                      : "a OK begin TLS\r\n* OK injected\r\n") <
		    0)
			break;
		if (srv_tls(s) == 0)
			srv_echo(s, "* OK tls greeting\r\n");
		break;
	case SRV_SILENT:
		srv_drain(s);
		break;
	case SRV_LATE:
		usleep(150 * 1000);
		if (srv_write(s, "* 1 EXISTS\r\n") == 0)
			srv_drain(s);
		break;
	case SRV_IMAP:
		if (s->imaps && srv_tls(s) < 0)
			break;
		srv_imap(s);
		break;
	}
	if (s->ssl != NULL) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	close(s->fd);
	s->fd = -1;
	return NULL;
}

static int
listen_socket(int backlog, uint16_t *port_r)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port_r = ntohs(sin.sin_port);
	return fd;
}

static void
srv_start(struct server *s, enum srv_mode mode, const struct cred *cred)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->cred = cred;
	s->fd = -1;
	s->lfd = listen_socket(8, &s->port);
	if (cred != NULL) {
		s->ctx = SSL_CTX_new(TLS_server_method());
		assert_non_null(s->ctx);
		assert_int_equal(SSL_CTX_use_certificate(s->ctx, cred->cert),
		                 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, cred->key), 1);
	}
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

/* A TLS server that speaks nothing newer than TLS 1.1. */
static void
srv_start_old_tls(struct server *s, const struct cred *cred)
{
	memset(s, 0, sizeof(*s));
	s->mode = SRV_TLS;
	s->cred = cred;
	s->fd = -1;
	s->lfd = listen_socket(8, &s->port);
	s->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(s->ctx);
	SSL_CTX_set_security_level(s->ctx, 0);
	assert_int_equal(SSL_CTX_set_max_proto_version(s->ctx, TLS1_1_VERSION),
	                 1);
	assert_int_equal(SSL_CTX_use_certificate(s->ctx, cred->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, cred->key), 1);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

/* An IMAP server that speaks TLS from the start. */
static void
srv_start_imaps(struct server *s, const struct cred *cred)
{
	memset(s, 0, sizeof(*s));
	s->mode = SRV_IMAP;
	s->cred = cred;
	s->fd = -1;
	s->imaps = true;
	s->lfd = listen_socket(8, &s->port);
	s->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(s->ctx);
	assert_int_equal(SSL_CTX_use_certificate(s->ctx, cred->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, cred->key), 1);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void
srv_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
}

/* ---- client helpers ----------------------------------------------------- */

static struct arena *arena;

static int
setup(void **state)
{
	(void)state;
	arena = arena_create("test", 4096, 1 << 20);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_destroy(&arena);
	return 0;
}

static void
target(struct net_target *t, const char *host, uint16_t port,
       enum net_security sec)
{
	net_target_init(t, host, port, sec);
	t->connect_timeout_ms = 2000;
	t->io_timeout_ms = 2000;
}

static void
expect_line(mailstream *s, const char *want)
{
	MMAPString *buf = mmap_string_new("");
	char *line;

	assert_non_null(buf);
	line = mailstream_read_line_remove_eol(s, buf);
	assert_non_null(line);
	assert_string_equal(line, want);
	mmap_string_free(buf);
}

static void
send_line(mailstream *s, const char *line)
{
	assert_int_equal(mailstream_write(s, line, strlen(line)),
	                 (ssize_t)strlen(line));
	assert_int_equal(mailstream_flush(s), 0);
}

static void
expect_err(const struct perr *err, enum perr_kind kind, const char *part)
{
	assert_int_equal(err->kind, kind);
	assert_non_null(err->msg);
	if (getenv("NET_TEST_VERBOSE") != NULL)
		print_message("error: %s\n", err->msg);
	if (strstr(err->msg, part) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err->msg, part);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_value_is_safe_refuses_cr_lf_nul(void **state)
{
	(void)state;
	assert_true(net_value_is_safe(STRV_LIT("INBOX")));
	assert_true(net_value_is_safe(STRV_LIT("")));
	assert_true(net_value_is_safe(STRV_LIT("tab\there \"quoted\" ü")));
	assert_false(net_value_is_safe(STRV_LIT("a\r\nb LOGOUT")));
	assert_false(net_value_is_safe(STRV_LIT("a\nb")));
	assert_false(net_value_is_safe(STRV_LIT("a\rb")));
	assert_false(net_value_is_safe((struct strv){"a\0b", 3}));
	assert_false(net_value_is_safe(STRV_LIT("end\n")));
	assert_false(net_value_is_safe((struct strv){NULL, 2}));
	assert_true(net_cstr_is_safe("user@example.org"));
	assert_false(net_cstr_is_safe("user\r\n"));
	assert_false(net_cstr_is_safe(NULL));
}

static void
test_connect_refuses_bad_target(void **state)
{
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	target(&t, "", 143, NET_PLAIN);
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	target(&t, "127.0.0.1", 0, NET_PLAIN);
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	target(&t, "127.0.0.1\r\nQUIT", 143, NET_PLAIN);
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_null(s);
}

static void
test_plain_connect_reads_greeting(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_PLAIN, NULL);
	target(&t, "127.0.0.1", srv.port, NET_PLAIN);
	assert_int_equal(net_connect(&t, arena, &s, &info, &err), 0);
	assert_non_null(s);
	assert_false(info.tls);
	assert_true(net_stream_is_ours(s));
	assert_false(net_stream_is_tls(s));
	assert_null(mailstream_get_certificate_chain(s));
	expect_line(s, "* OK plain greeting");
	send_line(s, "hello\r\n");
	expect_line(s, "echo hello");
	net_close(&s);
	assert_null(s);
	srv_stop(&srv);
	assert_string_equal(srv.got, "hello");
}

static void
test_plain_connect_by_name_localhost(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	/* "localhost" may be ::1 first: that is refused, 127.0.0.1 is next. */
	srv_start(&srv, SRV_PLAIN, NULL);
	target(&t, "localhost", srv.port, NET_PLAIN);
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), 0);
	expect_line(s, "* OK plain greeting");
	send_line(s, "x\r\n");
	expect_line(s, "echo x");
	net_close(&s);
	srv_stop(&srv);
}

static void
test_tls_verified_with_ca_file(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	mailstream *s = NULL;
	carray *chain;

	(void)state;
	srv_start(&srv, SRV_TLS, &good);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = ca_path;
	if (net_connect(&t, arena, &s, &info, &err) < 0)
		fail_msg("connect: %s", err.msg);
	assert_true(info.tls);
	assert_true(info.verified);
	assert_false(info.verify_skipped);
	assert_null(info.verify_error);
	assert_non_null(info.version);
	assert_true(strcmp(info.version, "TLSv1.3") == 0 ||
	            strcmp(info.version, "TLSv1.2") == 0);
	assert_non_null(info.cipher);
	assert_non_null(strstr(info.subject, "CN=localhost"));
	assert_non_null(strstr(info.issuer, "CN=Petrel Test CA"));
	assert_non_null(info.not_after);
	assert_int_equal(strlen(info.not_after), 20);
	assert_true(info.not_after_unix > pt_now_unix() + 86400L * 29);
	assert_true(net_stream_is_tls(s));
	chain = mailstream_get_certificate_chain(s);
	assert_non_null(chain);
	assert_true(carray_count(chain) >= 1);
	mailstream_certificate_chain_free(chain);
	expect_line(s, "* OK tls greeting");
	send_line(s, "over tls\r\n");
	expect_line(s, "echo over tls");
	net_close(&s);
	srv_stop(&srv);
	assert_true(srv.tls_ok);
	assert_string_equal(srv.got, "over tls");
}

static void
test_tls_verified_by_host_name(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_TLS, &good);
	target(&t, "localhost", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = ca_path;
	if (net_connect(&t, arena, &s, &info, &err) < 0)
		fail_msg("connect: %s", err.msg);
	assert_true(info.verified);
	expect_line(s, "* OK tls greeting");
	net_close(&s);
	srv_stop(&srv);
}

static void
test_tls_self_signed_refused_when_verifying(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_TLS, &selfsigned);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	assert_int_equal(net_connect(&t, arena, &s, &info, &err), -1);
	assert_null(s);
	expect_err(&err, PERR_TEMPFAIL,
	           "certificate verify failed: self-signed certificate");
	assert_true(info.tls);
	assert_false(info.verified);
	assert_string_equal(info.verify_error, "self-signed certificate");
	srv_stop(&srv);
	/* The server never got to send its greeting over an accepted link. */
}

static void
test_tls_self_signed_accepted_without_verify(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_TLS, &selfsigned);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	t.verify = false;
	if (net_connect(&t, arena, &s, &info, &err) < 0)
		fail_msg("connect: %s", err.msg);
	assert_true(info.tls);
	assert_false(info.verified);
	assert_true(info.verify_skipped);
	assert_string_equal(info.verify_error, "self-signed certificate");
	expect_line(s, "* OK tls greeting");
	net_close(&s);
	srv_stop(&srv);
}

static void
test_tls_ca_signed_but_unknown_ca_refused(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	/* Our test CA is not in the system store. */
	srv_start(&srv, SRV_TLS, &good);
	target(&t, "localhost", srv.port, NET_TLS_IMPLICIT);
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	expect_err(&err, PERR_TEMPFAIL, "certificate verify failed: ");
	expect_err(&err, PERR_TEMPFAIL, "local issuer");
	srv_stop(&srv);
}

static void
test_tls_hostname_mismatch_refused(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_TLS, &wrongname);
	target(&t, "localhost", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = ca_path;
	assert_int_equal(net_connect(&t, arena, &s, &info, &err), -1);
	expect_err(&err, PERR_TEMPFAIL,
	           "certificate verify failed: hostname mismatch");
	srv_stop(&srv);

	/* The same certificate for an IP literal: the address is checked. */
	srv_start(&srv, SRV_TLS, &wrongname);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = ca_path;
	assert_int_equal(net_connect(&t, arena, &s, &info, &err), -1);
	expect_err(&err, PERR_TEMPFAIL, "IP address mismatch");
	srv_stop(&srv);
}

static void
test_tls_sni_names_the_certificate(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	/* Connect by address, verify against the configured name. */
	srv_start(&srv, SRV_TLS, &wrongname);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = ca_path;
	t.sni = "mail.example.org";
	if (net_connect(&t, arena, &s, &info, &err) < 0)
		fail_msg("connect: %s", err.msg);
	assert_true(info.verified);
	expect_line(s, "* OK tls greeting");
	net_close(&s);
	srv_stop(&srv);
}

static void
test_tls_missing_ca_file(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_TLS, &good);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = "/nonexistent/petrel-ca.pem";
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	expect_err(&err, PERR_TEMPFAIL, "cannot load CA file");
	srv_stop(&srv);
}

static void
test_tls_to_plain_server_fails_cleanly(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_PLAIN, NULL);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = ca_path;
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	expect_err(&err, PERR_TEMPFAIL, "TLS handshake with 127.0.0.1:");
	expect_err(&err, PERR_TEMPFAIL, "does not speak TLS");
	srv_stop(&srv);
}

static void
test_starttls_upgrades_plain_stream(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_STARTTLS, &good);
	target(&t, "localhost", srv.port, NET_STARTTLS);
	t.ca_file = ca_path;
	assert_int_equal(net_connect(&t, arena, &s, &info, &err), 0);
	assert_false(info.tls);
	expect_line(s, "* OK plain greeting");
	send_line(s, "a STARTTLS\r\n");
	expect_line(s, "a OK begin TLS");
	if (net_starttls(s, &t, arena, &info, &err) < 0)
		fail_msg("starttls: %s", err.msg);
	assert_true(info.tls);
	assert_true(info.verified);
	assert_true(net_stream_is_tls(s));
	expect_line(s, "* OK tls greeting");
	send_line(s, "secret\r\n");
	expect_line(s, "echo secret");
	/* A second upgrade is a bug in the caller. */
	assert_int_equal(net_starttls(s, &t, arena, NULL, &err), -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	net_close(&s);
	srv_stop(&srv);
	assert_true(srv.tls_ok);
	assert_string_equal(srv.got, "secret");
}

static void
test_starttls_refuses_injected_plaintext(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_STARTTLS_INJECT, &good);
	target(&t, "127.0.0.1", srv.port, NET_STARTTLS);
	t.ca_file = ca_path;
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), 0);
	expect_line(s, "* OK plain greeting");
	send_line(s, "a STARTTLS\r\n");
	expect_line(s, "a OK begin TLS");
	/* The injected line came in the same segment and is buffered. */
	assert_true(net_stream_has_pending(s));
	assert_int_equal(net_starttls(s, &t, arena, NULL, &err), -1);
	expect_err(&err, PERR_TEMPFAIL, "unexpected data after STARTTLS");
	assert_false(net_stream_is_tls(s));
	net_close(&s);
	srv_stop(&srv);
	assert_false(srv.tls_ok);
}

static void
test_starttls_with_bad_certificate_refused(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_STARTTLS, &selfsigned);
	target(&t, "127.0.0.1", srv.port, NET_STARTTLS);
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), 0);
	expect_line(s, "* OK plain greeting");
	send_line(s, "a STARTTLS\r\n");
	expect_line(s, "a OK begin TLS");
	assert_int_equal(net_starttls(s, &t, arena, NULL, &err), -1);
	expect_err(&err, PERR_TEMPFAIL, "self-signed certificate");
	net_close(&s);
	srv_stop(&srv);
}

static void
test_starttls_on_foreign_stream_refused(void **state)
{
	struct net_target t;
	struct perr err = {0};
	mailstream *s;
	int fds[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	s = mailstream_socket_open(fds[0]);
	assert_non_null(s);
	target(&t, "localhost", 1, NET_STARTTLS);
	assert_false(net_stream_is_ours(s));
	assert_int_equal(net_starttls(s, &t, arena, NULL, &err), -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	assert_null(net_stream_error(s));
	assert_int_equal(net_stream_fd(s), -1);
	mailstream_close(s);
	close(fds[1]);
}

static void
test_connect_refused_is_tempfail(void **state)
{
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;
	uint64_t start;
	uint16_t port;
	int fd;

	(void)state;
	/* Bound but not listening: the port is ours and answers RST. */
	fd = listen_socket(-1, &port);
	target(&t, "127.0.0.1", port, NET_PLAIN);
	start = pt_now_ms_monotonic();
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	assert_true(pt_now_ms_monotonic() - start < 1000);
	expect_err(&err, PERR_TEMPFAIL, "connection refused by 127.0.0.1:");
	assert_null(s);
	close(fd);
}

static void
test_silent_server_read_times_out(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;
	MMAPString *buf;
	uint64_t start, took;

	(void)state;
	srv_start(&srv, SRV_SILENT, NULL);
	target(&t, "127.0.0.1", srv.port, NET_PLAIN);
	t.io_timeout_ms = 300;
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), 0);
	buf = mmap_string_new("");
	start = pt_now_ms_monotonic();
	assert_null(mailstream_read_line(s, buf));
	took = pt_now_ms_monotonic() - start;
	assert_true(took >= 250);
	assert_true(took < 2000);
	assert_true(net_stream_timed_out(s));
	assert_non_null(strstr(net_stream_error(s),
	                       "timed out reading from 127.0.0.1:"));
	mmap_string_free(buf);
	net_close(&s);
	srv_stop(&srv);
}

static void
test_silent_tls_server_handshake_times_out(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;
	uint64_t start, took;

	(void)state;
	srv_start(&srv, SRV_SILENT, NULL);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	t.io_timeout_ms = 300;
	start = pt_now_ms_monotonic();
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	took = pt_now_ms_monotonic() - start;
	assert_true(took >= 250 && took < 2000);
	expect_err(&err, PERR_TEMPFAIL, "timed out in TLS handshake");
	srv_stop(&srv);
}

static void
test_connect_times_out_on_full_backlog(void **state)
{
	struct net_target t;
	struct perr err = {0};
	struct pollfd pfd;
	struct sockaddr_in sin;
	mailstream *s = NULL;
	uint64_t start, took;
	uint16_t port;
	int lfd, fill[16], nfill = 0, full = 0, i;

	(void)state;
	/*
	 * Linux drops SYNs for a listener whose accept queue is full, so a
	 * new connect stays in SYN-SENT: a connect timeout without leaving
	 * 127.0.0.0/8.
	 */
	lfd = listen_socket(0, &port);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (nfill < 16 && !full) {
		fill[nfill] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(fill[nfill] >= 0);
		(void)connect(fill[nfill], (struct sockaddr *)&sin,
		              sizeof(sin));
		pfd.fd = fill[nfill];
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) == 0)
			full = 1;
		nfill++;
	}
	if (!full) {
		for (i = 0; i < nfill; i++)
			close(fill[i]);
		close(lfd);
		skip();
	}
	target(&t, "127.0.0.1", port, NET_PLAIN);
	t.connect_timeout_ms = 300;
	start = pt_now_ms_monotonic();
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	took = pt_now_ms_monotonic() - start;
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
	expect_err(&err, PERR_TEMPFAIL, "timed out connecting to 127.0.0.1:");
	assert_true(took >= 250 && took < 2000);
}

static void
test_tls_older_than_1_2_refused(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start_old_tls(&srv, &good);
	target(&t, "127.0.0.1", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = ca_path;
	t.verify = false;
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), -1);
	expect_err(&err, PERR_TEMPFAIL, "does not offer TLS 1.2 or newer");
	assert_null(s);
	srv_stop(&srv);
	assert_false(srv.tls_ok);
}

struct canceller {
	mailstream *s;
	pthread_t thread;
};

static void *
cancel_main(void *arg)
{
	struct canceller *c = arg;

	usleep(100 * 1000);
	mailstream_cancel(c->s);
	return NULL;
}

static void
test_cancel_wakes_a_waiting_read(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	struct canceller cn;
	mailstream *s = NULL;
	MMAPString *buf;
	uint64_t start, took;

	(void)state;
	srv_start(&srv, SRV_SILENT, NULL);
	target(&t, "127.0.0.1", srv.port, NET_PLAIN);
	t.io_timeout_ms = 5000;
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), 0);
	cn.s = s;
	assert_int_equal(pthread_create(&cn.thread, NULL, cancel_main, &cn), 0);
	buf = mmap_string_new("");
	start = pt_now_ms_monotonic();
	assert_null(mailstream_read_line(s, buf));
	took = pt_now_ms_monotonic() - start;
	pthread_join(cn.thread, NULL);
	assert_true(took < 2000);
	assert_false(net_stream_timed_out(s));
	assert_non_null(strstr(net_stream_error(s), "cancelled"));
	/* Cancelled for good, and failing at once rather than blocking. */
	start = pt_now_ms_monotonic();
	assert_null(mailstream_read_line(s, buf));
	assert_true(pt_now_ms_monotonic() - start < 1000);
	mmap_string_free(buf);
	net_close(&s);
	srv_stop(&srv);
}

static void
test_wait_idle_sees_server_data(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;

	(void)state;
	srv_start(&srv, SRV_LATE, NULL);
	target(&t, "127.0.0.1", srv.port, NET_PLAIN);
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), 0);
	assert_false(net_stream_has_pending(s));
	assert_true(net_stream_fd(s) >= 0);
	assert_int_equal(mailstream_setup_idle(s), 0);
	assert_int_equal(mailstream_wait_idle(s, 3), MAILSTREAM_IDLE_HASDATA);
	mailstream_unsetup_idle(s);
	expect_line(s, "* 1 EXISTS");
	net_close(&s);
	srv_stop(&srv);
}

static bool
has_capability(mailimap *imap, struct mailimap_capability_data *caps,
               const char *name)
{
	clistiter *it;
	struct mailimap_capability *cap;

	(void)imap;
	for (it = clist_begin(caps->cap_list); it != NULL;
	     it = clist_next(it)) {
		cap = clist_content(it);
		if (cap->cap_type == MAILIMAP_CAPABILITY_NAME &&
		    cap->cap_data.cap_name != NULL &&
		    strcmp(cap->cap_data.cap_name, name) == 0)
			return true;
	}
	return false;
}

static void
test_mailimap_runs_over_tls_driver(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	struct mailimap_capability_data *caps = NULL;
	mailstream *s = NULL;
	mailimap *imap;

	(void)state;
	srv_start_imaps(&srv, &good);
	target(&t, "localhost", srv.port, NET_TLS_IMPLICIT);
	t.ca_file = ca_path;
	if (net_connect(&t, arena, &s, NULL, &err) < 0)
		fail_msg("connect: %s", err.msg);
	imap = mailimap_new(0, NULL);
	assert_non_null(imap);
	assert_int_equal(mailimap_connect(imap, s),
	                 MAILIMAP_NO_ERROR_NON_AUTHENTICATED);
	assert_int_equal(mailimap_capability(imap, &caps), MAILIMAP_NO_ERROR);
	assert_true(has_capability(imap, caps, "IDLE"));
	assert_true(has_capability(imap, caps, "TLSONLY"));
	mailimap_capability_data_free(caps);
	assert_int_equal(mailimap_logout(imap), MAILIMAP_NO_ERROR);
	mailimap_free(imap);
	srv_stop(&srv);
	assert_true(srv.tls_ok);
}

static void
test_mailimap_starttls_then_net_starttls(void **state)
{
	struct server srv;
	struct net_target t;
	struct net_tls_info info;
	struct perr err = {0};
	struct mailimap_capability_data *caps = NULL;
	mailstream *s = NULL;
	mailimap *imap;

	(void)state;
	srv_start(&srv, SRV_IMAP, &good);
	target(&t, "127.0.0.1", srv.port, NET_STARTTLS);
	t.ca_file = ca_path;
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), 0);
	imap = mailimap_new(0, NULL);
	assert_int_equal(mailimap_connect(imap, s),
	                 MAILIMAP_NO_ERROR_NON_AUTHENTICATED);
	assert_int_equal(mailimap_starttls(imap), MAILIMAP_NO_ERROR);
	if (net_starttls(imap->imap_stream, &t, arena, &info, &err) < 0)
		fail_msg("starttls: %s", err.msg);
	assert_true(info.verified);
	assert_int_equal(mailimap_capability(imap, &caps), MAILIMAP_NO_ERROR);
	assert_true(has_capability(imap, caps, "TLSONLY"));
	mailimap_capability_data_free(caps);
	assert_int_equal(mailimap_logout(imap), MAILIMAP_NO_ERROR);
	mailimap_free(imap);
	srv_stop(&srv);
	assert_true(srv.tls_ok);
}

static void
test_mailimap_sees_stream_error_on_timeout(void **state)
{
	struct server srv;
	struct net_target t;
	struct perr err = {0};
	mailstream *s = NULL;
	mailimap *imap;

	(void)state;
	srv_start(&srv, SRV_SILENT, NULL);
	target(&t, "127.0.0.1", srv.port, NET_PLAIN);
	t.io_timeout_ms = 300;
	assert_int_equal(net_connect(&t, arena, &s, NULL, &err), 0);
	imap = mailimap_new(0, NULL);
	assert_int_equal(mailimap_connect(imap, s), MAILIMAP_ERROR_STREAM);
	assert_true(net_stream_timed_out(imap->imap_stream));
	assert_ptr_equal(imap->imap_stream, s);
	/* mailimap_connect keeps the stream even when it fails. */
	mailimap_free(imap);
	srv_stop(&srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_value_is_safe_refuses_cr_lf_nul),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	        T(test_connect_refuses_bad_target),
	        T(test_plain_connect_reads_greeting),
	        T(test_plain_connect_by_name_localhost),
	        T(test_tls_verified_with_ca_file),
	        T(test_tls_verified_by_host_name),
	        T(test_tls_self_signed_refused_when_verifying),
	        T(test_tls_self_signed_accepted_without_verify),
	        T(test_tls_ca_signed_but_unknown_ca_refused),
	        T(test_tls_hostname_mismatch_refused),
	        T(test_tls_sni_names_the_certificate),
	        T(test_tls_missing_ca_file),
	        T(test_tls_to_plain_server_fails_cleanly),
	        T(test_tls_older_than_1_2_refused),
	        T(test_cancel_wakes_a_waiting_read),
	        T(test_wait_idle_sees_server_data),
	        T(test_starttls_upgrades_plain_stream),
	        T(test_starttls_refuses_injected_plaintext),
	        T(test_starttls_with_bad_certificate_refused),
	        T(test_starttls_on_foreign_stream_refused),
	        T(test_connect_refused_is_tempfail),
	        T(test_silent_server_read_times_out),
	        T(test_silent_tls_server_handshake_times_out),
	        T(test_connect_times_out_on_full_backlog),
	        T(test_mailimap_runs_over_tls_driver),
	        T(test_mailimap_starttls_then_net_starttls),
	        T(test_mailimap_sees_stream_error_on_timeout),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
