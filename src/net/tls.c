/*
 * TLS with OpenSSL: the SSL_CTX cache, a socket BIO that never raises
 * SIGPIPE, the handshake with a deadline, and certificate checks.
 *
 * Verification: the SSL always runs with SSL_VERIFY_NONE, so the handshake
 * completes and OpenSSL records the chain and host-name result; we then
 * decide, before a single application byte is sent, whether to accept it.
 * That lets verify=false connections report what was wrong.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net.h"
#include "net_private.h"
#include "core/banned.h"

/* ---- SSL_CTX cache --------------------------------------------------- */

#define CTX_CACHE_MAX 16

struct ctx_entry {
	char *ca_file; /* NULL: system store */
	bool verify;
	SSL_CTX *ctx;
};

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctx_entry ctx_cache[CTX_CACHE_MAX];
static size_t ctx_count;

static bool
same_ca(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static SSL_CTX *
ctx_build(const char *ca_file, bool verify, struct arena *a, struct perr *err)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		perr_set(err, a, PERR_INTERNAL, "cannot create TLS context");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	SSL_CTX_set_options(ctx,
	                    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			SSL_CTX_free(ctx);
			perr_set(err, a, PERR_TEMPFAIL,
			         "cannot load CA file %s", ca_file);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		/* Without verification a missing store does not matter. */
		if (verify)
			goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	perr_set(err, a, PERR_INTERNAL, "cannot set up TLS context");
	return NULL;
}

/* A referenced SSL_CTX (SSL_CTX_free it), or NULL with err set. */
static SSL_CTX *
ctx_get(const char *ca_file, bool verify, struct arena *a, struct perr *err)
{
	SSL_CTX *ctx = NULL;
	size_t i;

	pthread_mutex_lock(&ctx_lock);
	for (i = 0; i < ctx_count; i++) {
		if (ctx_cache[i].verify == verify &&
		    same_ca(ctx_cache[i].ca_file, ca_file)) {
			ctx = ctx_cache[i].ctx;
			SSL_CTX_up_ref(ctx);
			break;
		}
	}
	pthread_mutex_unlock(&ctx_lock);
	if (ctx != NULL)
		return ctx;

	/* Built outside the lock: loading a CA bundle takes milliseconds. */
	ctx = ctx_build(ca_file, verify, a, err);
	if (ctx == NULL)
		return NULL;
	pthread_mutex_lock(&ctx_lock);
	for (i = 0; i < ctx_count; i++) {
		if (ctx_cache[i].verify == verify &&
		    same_ca(ctx_cache[i].ca_file, ca_file))
			break;
	}
	if (i == ctx_count && ctx_count < CTX_CACHE_MAX) {
		ctx_cache[i].ca_file =
		        ca_file != NULL ? pt_xstrdup(ca_file) : NULL;
		ctx_cache[i].verify = verify;
		ctx_cache[i].ctx = ctx;
		SSL_CTX_up_ref(ctx);
		ctx_count++;
	}
	/* Lost a race or the cache is full: this one is used once. */
	pthread_mutex_unlock(&ctx_lock);
	return ctx;
}

void
net_tls_cache_flush(void)
{
	size_t i;

	pthread_mutex_lock(&ctx_lock);
	for (i = 0; i < ctx_count; i++) {
		SSL_CTX_free(ctx_cache[i].ctx);
		free(ctx_cache[i].ca_file);
		memset(&ctx_cache[i], 0, sizeof(ctx_cache[i]));
	}
	ctx_count = 0;
	pthread_mutex_unlock(&ctx_lock);
}

/* ---- a socket BIO with send(MSG_NOSIGNAL) ----------------------------- */

static pthread_once_t bio_once = PTHREAD_ONCE_INIT;
static BIO_METHOD *bio_method;

static int
bio_write(BIO *b, const char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do {
		n = send(fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		BIO_set_retry_write(b);
	return (int)n;
}

static int
bio_read(BIO *b, char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do {
		n = recv(fd, buf, (size_t)len, MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		BIO_set_retry_read(b);
	if (n == 0)
		errno = 0; /* so SSL_ERROR_SYSCALL reads as EOF */
	return (int)n;
}

static int
bio_puts(BIO *b, const char *s)
{
	return bio_write(b, s, (int)strlen(s));
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
	case BIO_CTRL_DUP:
		return 1;
	default:
		return 0;
	}
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void
bio_method_init(void)
{
	bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
	                                  BIO_TYPE_DESCRIPTOR,
	                          "petrel socket");
	if (bio_method == NULL ||
	    BIO_meth_set_write(bio_method, bio_write) != 1 ||
	    BIO_meth_set_read(bio_method, bio_read) != 1 ||
	    BIO_meth_set_puts(bio_method, bio_puts) != 1 ||
	    BIO_meth_set_ctrl(bio_method, bio_ctrl) != 1 ||
	    BIO_meth_set_create(bio_method, bio_create) != 1)
		fatal("net: cannot create the socket BIO method");
}

static BIO *
bio_new_socket(int fd)
{
	BIO *b;

	pthread_once(&bio_once, bio_method_init);
	b = BIO_new(bio_method);
	if (b == NULL)
		fatal("out of memory");
	BIO_set_data(b, (void *)(intptr_t)fd);
	return b;
}

void
net_global_cleanup(void)
{
	net_tls_cache_flush();
	/* The BIO method stays: pthread_once cannot be re-armed. */
}

/* ---- certificate details ----------------------------------------------- */

static const char *
name_text(const X509_NAME *name, struct arena *a)
{
	BIO *mem;
	char *data;
	long len;
	const char *out;

	if (name == NULL)
		return NULL;
	mem = BIO_new(BIO_s_mem());
	if (mem == NULL)
		return NULL;
	if (X509_NAME_print_ex(mem, name, 0,
	                       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		BIO_free(mem);
		return NULL;
	}
	len = BIO_get_mem_data(mem, &data);
	out = len >= 0 ? arena_strndup(a, data, (size_t)len) : NULL;
	BIO_free(mem);
	return out;
}

static void
fill_time(const ASN1_TIME *t, struct arena *a, struct net_tls_info *info)
{
	struct tm tm;
	time_t when;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return;
	info->not_after = arena_printf(
	        a, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	when = timegm(&tm);
	info->not_after_unix = when == (time_t)-1 ? 0 : (int64_t)when;
}

static void
fill_info(SSL *ssl, X509 *peer, struct arena *a, struct net_tls_info *info)
{
	info->tls = true;
	info->version = SSL_get_version(ssl);
	info->cipher = SSL_get_cipher_name(ssl);
	if (peer != NULL) {
		info->subject = name_text(X509_get_subject_name(peer), a);
		info->issuer = name_text(X509_get_issuer_name(peer), a);
		fill_time(X509_get0_notAfter(peer), a, info);
	}
}

/* ---- handshake ---------------------------------------------------------- */

static int
set_names(SSL *ssl, const struct net_target *t, struct arena *a,
          struct perr *err)
{
	char host[NI_MAXHOST];
	const char *name;
	X509_VERIFY_PARAM *param = SSL_get0_param(ssl);

	name = t->sni != NULL ? t->sni : t->host;
	if (!net_host_unbracket(name, host, sizeof(host)))
		return perr_set(err, a, PERR_INPUT, "host name too long");
	if (net_host_is_ip(host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1)
			return perr_set(err, a, PERR_INPUT,
			                "invalid IP address %s", host);
		return 0;
	}
	/* RFC 6066: SNI carries host names only, never an address. */
	if (SSL_set_tlsext_host_name(ssl, host) != 1)
		return perr_set(err, a, PERR_INPUT,
		                "invalid TLS server name %s", host);
	X509_VERIFY_PARAM_set_hostflags(param,
	                                X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
		return perr_set(err, a, PERR_INPUT, "invalid host name %s",
		                host);
	return 0;
}

static int
handshake_error(struct net_conn *c, SSL *ssl, int r, struct arena *a,
                struct perr *err)
{
	unsigned long e;
	const char *reason, *hint;
	int se = SSL_get_error(ssl, r);

	if (se == SSL_ERROR_SYSCALL && errno != 0)
		return perr_set(err, a, PERR_TEMPFAIL,
		                "TLS handshake with %s failed: %s", c->peer,
		                strerror(errno));
	e = ERR_peek_last_error();
	if (e == 0)
		return perr_set(err, a, PERR_TEMPFAIL,
		                "TLS handshake with %s failed: connection "
		                "closed",
		                c->peer);
	reason = ERR_reason_error_string(e);
	if (reason == NULL)
		reason = "protocol error";
	switch (ERR_GET_REASON(e)) {
	case SSL_R_WRONG_VERSION_NUMBER:
		hint = "the port does not speak TLS";
		break;
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
		hint = "the server does not offer TLS 1.2 or newer";
		break;
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		hint = "the server closed the connection";
		break;
	default:
		return perr_set(err, a, PERR_TEMPFAIL,
		                "TLS handshake with %s failed: %s", c->peer,
		                reason);
	}
	return perr_set(err, a, PERR_TEMPFAIL,
	                "TLS handshake with %s failed: %s (%s)", c->peer, hint,
	                reason);
}

int
net_tls_handshake(struct net_conn *c, const struct net_target *t,
                  struct arena *a, struct net_tls_info *info_r,
                  struct perr *err)
{
	struct net_tls_info info;
	SSL_CTX *ctx;
	SSL *ssl;
	X509 *peer;
	uint64_t deadline;
	long vr;
	int r, se, w;

	memset(&info, 0, sizeof(info));
	ctx = ctx_get(t->ca_file, t->verify, a, err);
	if (ctx == NULL)
		return -1;
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL holds its own reference */
	if (ssl == NULL)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot create TLS "
		                "session");
	if (set_names(ssl, t, a, err) < 0)
		goto fail;
	SSL_set_bio(ssl, bio_new_socket(c->fd), bio_new_socket(c->fd));
	SSL_set_connect_state(ssl);

	deadline = pt_now_ms_monotonic() + (uint64_t)c->io_timeout_ms;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1)
			break;
		se = SSL_get_error(ssl, r);
		if (se != SSL_ERROR_WANT_READ && se != SSL_ERROR_WANT_WRITE) {
			handshake_error(c, ssl, r, a, err);
			goto fail;
		}
		w = net_wait_fd(c->fd,
		                se == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
		                deadline, c->cancel);
		if (w == 0) {
			perr_set(err, a, PERR_TEMPFAIL,
			         "timed out in TLS handshake with %s", c->peer);
			goto fail;
		}
		if (w < 0) {
			perr_set(err, a, PERR_TEMPFAIL,
			         "TLS handshake with %s failed: %s", c->peer,
			         strerror(errno));
			goto fail;
		}
	}

	peer = SSL_get0_peer_certificate(ssl);
	fill_info(ssl, peer, a, &info);
	vr = SSL_get_verify_result(ssl);
	if (peer == NULL)
		info.verify_error = "no certificate";
	else if (vr != X509_V_OK)
		info.verify_error = X509_verify_cert_error_string(vr);
	info.verified = info.verify_error == NULL;
	info.verify_skipped = !t->verify;
	if (t->verify && !info.verified) {
		perr_set(err, a, PERR_TEMPFAIL,
		         "certificate verify failed: %s (%s)",
		         info.verify_error, c->peer);
		goto fail_info;
	}
	c->ssl = ssl;
	if (info_r != NULL)
		*info_r = info;
	return 0;
fail_info:
	if (info_r != NULL)
		*info_r = info;
fail:
	SSL_free(ssl);
	return -1;
}
