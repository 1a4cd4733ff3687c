/*
 * Our mailstream_low driver: a non-blocking socket, plain or under an
 * OpenSSL SSL, where every read and write waits at most io_timeout_ms.
 *
 * libetpan semantics kept: read returns > 0 bytes, 0 at a clean end of
 * stream, -1 on error or timeout; write returns the bytes taken (possibly
 * fewer) or -1; close closes the socket; free frees without closing (the
 * pattern libetpan's own STARTTLS code relies on); cancel wakes a waiting
 * read or write through the mailstream_cancel pipe, which IDLE also uses.
 * As in libetpan, a cancelled stream stays cancelled: close it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "net.h"
#include "net_private.h"
#include "core/banned.h"

static ssize_t drv_read(mailstream_low *s, void *buf, size_t count);
static ssize_t drv_write(mailstream_low *s, const void *buf, size_t count);
static int drv_close(mailstream_low *s);
static int drv_get_fd(mailstream_low *s);
static void drv_free(mailstream_low *s);
static void drv_cancel(mailstream_low *s);
static struct mailstream_cancel *drv_get_cancel(mailstream_low *s);
static carray *drv_get_certificate_chain(mailstream_low *s);

static mailstream_low_driver net_driver = {
        .mailstream_read = drv_read,
        .mailstream_write = drv_write,
        .mailstream_close = drv_close,
        .mailstream_get_fd = drv_get_fd,
        .mailstream_free = drv_free,
        .mailstream_cancel = drv_cancel,
        .mailstream_get_cancel = drv_get_cancel,
        .mailstream_get_certificate_chain = drv_get_certificate_chain,
        /* NULL idle hooks: libetpan then polls the fd and the cancel pipe. */
        .mailstream_setup_idle = NULL,
        .mailstream_unsetup_idle = NULL,
        .mailstream_interrupt_idle = NULL,
};

#define NET_STREAM_BUFFER 8192

void
net_conn_set_error(struct net_conn *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(c->error_buf, sizeof(c->error_buf), fmt, ap);
	va_end(ap);
	c->error = r < 0 ? "I/O error" : c->error_buf;
}

static void
set_timeout_error(struct net_conn *c, const char *what)
{
	c->timed_out = true;
	net_conn_set_error(c, "timed out %s %s", what, c->peer);
}

static void
set_errno_error(struct net_conn *c, const char *what, int e)
{
	if (e == ECANCELED)
		net_conn_set_error(c, "%s %s cancelled", what, c->peer);
	else
		net_conn_set_error(c, "error %s %s: %s", what, c->peer,
		                   strerror(e));
}

/* The first OpenSSL error on this thread's queue, or a fallback. */
static const char *
ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "protocol error";
}

static ssize_t
plain_read(struct net_conn *c, void *buf, size_t count)
{
	uint64_t deadline = pt_now_ms_monotonic() + (uint64_t)c->io_timeout_ms;
	ssize_t n;
	int r;

	for (;;) {
		n = recv(c->fd, buf, count, MSG_DONTWAIT);
		if (n > 0)
			return n;
		if (n == 0) {
			net_conn_set_error(c, "connection closed by %s",
			                   c->peer);
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			set_errno_error(c, "reading from", errno);
			return -1;
		}
		r = net_wait_fd(c->fd, POLLIN, deadline, c->cancel);
		if (r == 0) {
			set_timeout_error(c, "reading from");
			return -1;
		}
		if (r < 0) {
			set_errno_error(c, "reading from", errno);
			return -1;
		}
	}
}

static ssize_t
plain_write(struct net_conn *c, const void *buf, size_t count)
{
	uint64_t deadline = pt_now_ms_monotonic() + (uint64_t)c->io_timeout_ms;
	ssize_t n;
	int r;

	for (;;) {
		n = send(c->fd, buf, count, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			set_errno_error(c, "writing to", errno);
			return -1;
		}
		r = net_wait_fd(c->fd, POLLOUT, deadline, c->cancel);
		if (r == 0) {
			set_timeout_error(c, "writing to");
			return -1;
		}
		if (r < 0) {
			set_errno_error(c, "writing to", errno);
			return -1;
		}
	}
}

/*
 * Wait as OpenSSL asks after a WANT_READ/WANT_WRITE. Returns 0 to retry,
 * -1 with the error set.
 */
static int
tls_wait(struct net_conn *c, int ssl_err, uint64_t deadline, const char *what)
{
	short ev = ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
	int r;

	r = net_wait_fd(c->fd, ev, deadline, c->cancel);
	if (r == 0) {
		set_timeout_error(c, what);
		return -1;
	}
	if (r < 0) {
		set_errno_error(c, what, errno);
		return -1;
	}
	return 0;
}

/*
 * One SSL_read_ex() into rbuf or, with wbuf, one SSL_write_ex() of wbuf,
 * waiting as OpenSSL asks until the I/O timeout. Returns the bytes moved,
 * 0 at a clean end of the peer's data (reading), -1 with the error set.
 */
static ssize_t
tls_io(struct net_conn *c, void *rbuf, const void *wbuf, size_t count)
{
	uint64_t deadline = pt_now_ms_monotonic() + (uint64_t)c->io_timeout_ms;
	const char *what = wbuf != NULL ? "writing to" : "reading from";
	size_t done;
	int r, e;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = wbuf != NULL ? SSL_write_ex(c->ssl, wbuf, count, &done)
		                 : SSL_read_ex(c->ssl, rbuf, count, &done);
		if (r == 1)
			return (ssize_t)done;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN && wbuf == NULL) {
			net_conn_set_error(c, "connection closed by %s",
			                   c->peer);
			return 0;
		}
		switch (e) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			/* Retried with the same arguments, as OpenSSL needs. */
			if (tls_wait(c, e, deadline, what) < 0)
				return -1;
			continue;
		case SSL_ERROR_SYSCALL:
			if (errno == EINTR)
				continue;
			if (errno != 0)
				set_errno_error(c, what, errno);
			else
				net_conn_set_error(c,
				                   "connection closed by "
				                   "%s without TLS close",
				                   c->peer);
			return -1;
		default: /* incl. ZERO_RETURN when writing: no clean end */
			net_conn_set_error(c, "TLS error %s %s: %s", what,
			                   c->peer, ssl_reason());
			return -1;
		}
	}
}

/* Count the bytes since the last LF; false once past c->line_max. */
static bool
line_within_limit(struct net_conn *c, const char *buf, size_t n)
{
	const char *lf;

	if (c->line_max == 0)
		return true;
	lf = memrchr(buf, '\n', n);
	if (lf != NULL)
		c->line_run = n - (size_t)(lf - buf) - 1;
	else
		c->line_run += n;
	if (c->line_run <= c->line_max)
		return true;
	net_conn_set_error(c, "line longer than %zu bytes from %s", c->line_max,
	                   c->peer);
	return false;
}

static ssize_t
drv_read(mailstream_low *s, void *buf, size_t count)
{
	struct net_conn *c = s->data;
	ssize_t n;

	if (c->fd < 0) {
		c->error = "read on a closed connection";
		return -1;
	}
	if (count == 0)
		return 0;
	if (mailstream_cancel_cancelled(c->cancel)) {
		/* Sticky; no ack: the pipe may be empty and ack would block. */
		set_errno_error(c, "reading from", ECANCELED);
		return -1;
	}
	if (c->line_max != 0 && c->line_run > c->line_max)
		return -1; /* sticky, as the error */
	c->timed_out = false;
	n = c->ssl != NULL ? tls_io(c, buf, NULL, count)
	                   : plain_read(c, buf, count);
	if (n > 0 && !line_within_limit(c, buf, (size_t)n))
		return -1;
	return n;
}

static ssize_t
drv_write(mailstream_low *s, const void *buf, size_t count)
{
	struct net_conn *c = s->data;

	if (c->fd < 0) {
		c->error = "write on a closed connection";
		return -1;
	}
	if (count == 0)
		return 0;
	if (mailstream_cancel_cancelled(c->cancel)) {
		/* Sticky; no ack: the pipe may be empty and ack would block. */
		set_errno_error(c, "writing to", ECANCELED);
		return -1;
	}
	c->timed_out = false;
	return c->ssl != NULL ? tls_io(c, NULL, buf, count)
	                      : plain_write(c, buf, count);
}

static int
drv_close(mailstream_low *s)
{
	struct net_conn *c = s->data;

	if (c->ssl != NULL && c->fd >= 0) {
		/* One non-blocking try at close_notify; never wait. */
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	if (c->fd >= 0)
		(void)close(c->fd);
	c->fd = -1;
	return 0;
}

static int
drv_get_fd(mailstream_low *s)
{
	struct net_conn *c = s->data;

	return c->fd;
}

static void
drv_free(mailstream_low *s)
{
	struct net_conn *c = s->data;

	if (c != NULL) {
		if (c->keep_error != NULL)
			(void)!pt_strlcpy(c->keep_error,
			                  c->error != NULL ? c->error : "",
			                  c->keep_error_size);
		SSL_free(c->ssl);
		if (c->cancel != NULL)
			mailstream_cancel_free(c->cancel);
		free(c);
	}
	s->data = NULL;
	free(s);
}

static void
drv_cancel(mailstream_low *s)
{
	struct net_conn *c = s->data;

	mailstream_cancel_notify(c->cancel);
}

static struct mailstream_cancel *
drv_get_cancel(mailstream_low *s)
{
	struct net_conn *c = s->data;

	return c->cancel;
}

static carray *
drv_get_certificate_chain(mailstream_low *s)
{
	struct net_conn *c = s->data;
	STACK_OF(X509) * chain;
	carray *out;
	MMAPString *str;
	unsigned char *der;
	int i, len;

	if (c->ssl == NULL)
		return NULL;
	chain = SSL_get_peer_cert_chain(c->ssl);
	if (chain == NULL)
		return NULL;
	out = carray_new(4);
	if (out == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(chain); i++) {
		der = NULL;
		len = i2d_X509(sk_X509_value(chain, i), &der);
		if (len < 0)
			continue;
		str = mmap_string_new_len((const char *)der, (size_t)len);
		OPENSSL_free(der);
		if (str == NULL)
			continue;
		if (carray_add(out, str, NULL) < 0)
			mmap_string_free(str);
	}
	return out;
}

struct net_conn *
net_conn_of(mailstream *s)
{
	mailstream_low *low;

	if (s == NULL)
		return NULL;
	low = mailstream_get_low(s);
	if (low == NULL || low->driver != &net_driver)
		return NULL;
	return low->data;
}

static mailstream *
stream_new(struct net_conn *c)
{
	mailstream_low *low;
	mailstream *s;

	low = mailstream_low_new(c, &net_driver);
	if (low == NULL)
		fatal("out of memory");
	s = mailstream_new(low, NET_STREAM_BUFFER);
	if (s == NULL)
		fatal("out of memory");
	return s;
}

void
net_target_init(struct net_target *t, const char *host, uint16_t port,
                enum net_security sec)
{
	memset(t, 0, sizeof(*t));
	t->host = host;
	t->port = port;
	t->sec = sec;
	t->verify = true;
}

enum net_security
net_security_of(enum config_secure s)
{
	switch (s) {
	case CONFIG_SECURE_SSL:
		return NET_TLS_IMPLICIT;
	case CONFIG_SECURE_TLS:
		return NET_STARTTLS;
	case CONFIG_SECURE_NONE:
	default:
		return NET_PLAIN;
	}
}

void
net_target_for_domain(struct net_target *t, const struct config_domain *dom,
                      const char *host, unsigned port,
                      enum config_secure secure)
{
	net_target_init(t, host, (uint16_t)port, net_security_of(secure));
	t->verify = dom->verify_certificate;
	t->ca_file = dom->ca_file != NULL && dom->ca_file[0] != '\0'
	                     ? dom->ca_file
	                     : NULL;
	t->connect_timeout_ms = (int)dom->connect_timeout * 1000;
	t->io_timeout_ms = (int)dom->read_timeout * 1000;
	t->allow_insecure_auth = dom->allow_insecure_auth;
}

bool
net_may_send_password(const struct net_target *t)
{
	static const char *const loopback[] = {"127.0.0.1", "::1", "[::1]",
	                                       "localhost"};
	size_t i;

	if (t->sec != NET_PLAIN || t->allow_insecure_auth)
		return true;
	for (i = 0; i < PT_NELEM(loopback); i++) {
		if (t->host != NULL && strcmp(t->host, loopback[i]) == 0)
			return true;
	}
	return false;
}

static int
check_target(const struct net_target *t, struct arena *a, struct perr *err)
{
	if (t->host == NULL || t->host[0] == '\0')
		return perr_set(err, a, PERR_INPUT, "no server host name");
	if (t->port == 0)
		return perr_set(err, a, PERR_INPUT, "no server port");
	if (!net_cstr_is_safe(t->host) ||
	    strv_has_ctl(strv_from_cstr(t->host), false) ||
	    strchr(t->host, ' ') != NULL)
		return perr_set(err, a, PERR_INPUT, "invalid host name");
	if (t->sni != NULL &&
	    (t->sni[0] == '\0' || strv_has_ctl(strv_from_cstr(t->sni), false)))
		return perr_set(err, a, PERR_INPUT, "invalid TLS server name");
	return 0;
}

int
net_connect(const struct net_target *t, struct arena *a, mailstream **stream_r,
            struct net_tls_info *info_r, struct perr *err)
{
	struct net_conn *c;
	mailstream *s;
	int fd;

	*stream_r = NULL;
	if (info_r != NULL)
		memset(info_r, 0, sizeof(*info_r));
	if (check_target(t, a, err) < 0)
		return -1;
	fd = net_tcp_connect(t->host, t->port,
	                     t->connect_timeout_ms > 0
	                             ? t->connect_timeout_ms
	                             : NET_CONNECT_TIMEOUT_MS_DEFAULT,
	                     a, err);
	if (fd < 0)
		return -1;
	c = pt_xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->io_timeout_ms = t->io_timeout_ms > 0 ? t->io_timeout_ms
	                                        : NET_IO_TIMEOUT_MS_DEFAULT;
	c->cancel = mailstream_cancel_new();
	if (c->cancel == NULL)
		fatal("out of memory");
	net_format_peer(t->host, t->port, c->peer, sizeof(c->peer));
	s = stream_new(c);
	if (t->sec == NET_TLS_IMPLICIT &&
	    net_tls_handshake(c, t, a, info_r, err) < 0) {
		mailstream_close(s);
		return -1;
	}
	*stream_r = s;
	return 0;
}

int
net_starttls(mailstream *s, const struct net_target *t, struct arena *a,
             struct net_tls_info *info_r, struct perr *err)
{
	struct net_conn *c = net_conn_of(s);

	if (info_r != NULL)
		memset(info_r, 0, sizeof(*info_r));
	if (c == NULL)
		return perr_set(err, a, PERR_INTERNAL,
		                "STARTTLS on a stream net did not open");
	if (c->ssl != NULL)
		return perr_set(err, a, PERR_INTERNAL,
		                "STARTTLS on a stream already using TLS");
	if (c->fd < 0)
		return perr_set(err, a, PERR_INTERNAL,
		                "STARTTLS on a closed stream");
	if (check_target(t, a, err) < 0)
		return -1;
	/*
	 * Anything still buffered was sent in plaintext after the server's
	 * answer to STARTTLS; reading it later as TLS-protected would let a
	 * man in the middle inject responses (CVE-2011-0411 and kin).
	 */
	if (s->read_buffer_len > 0)
		return perr_set(err, a, PERR_TEMPFAIL,
		                "%s sent unexpected data after STARTTLS",
		                c->peer);
	if (s->write_buffer_len > 0 && mailstream_flush(s) < 0)
		return perr_set(err, a, PERR_TEMPFAIL, "%s",
		                c->error != NULL ? c->error
		                                 : "write error before TLS");
	if (t->io_timeout_ms > 0)
		c->io_timeout_ms = t->io_timeout_ms;
	return net_tls_handshake(c, t, a, info_r, err);
}

void
net_close(mailstream **sp)
{
	if (*sp == NULL)
		return;
	mailstream_close(*sp);
	*sp = NULL;
}

bool
net_stream_is_ours(mailstream *s)
{
	return net_conn_of(s) != NULL;
}

bool
net_stream_is_tls(mailstream *s)
{
	struct net_conn *c = net_conn_of(s);

	return c != NULL && c->ssl != NULL;
}

void
net_stream_keep_error(mailstream *s, char *buf, size_t size)
{
	struct net_conn *c = net_conn_of(s);

	if (c != NULL && size > 0) {
		buf[0] = '\0';
		c->keep_error = buf;
		c->keep_error_size = size;
	}
}

void
net_stream_set_line_limit(mailstream *s, size_t max)
{
	struct net_conn *c = net_conn_of(s);

	if (c != NULL) {
		c->line_max = max;
		c->line_run = 0;
	}
}

void
net_stream_set_timeout(mailstream *s, int io_timeout_ms)
{
	struct net_conn *c = net_conn_of(s);

	if (c != NULL && io_timeout_ms > 0)
		c->io_timeout_ms = io_timeout_ms;
}

const char *
net_stream_error(mailstream *s)
{
	struct net_conn *c = net_conn_of(s);

	return c != NULL ? c->error : NULL;
}

bool
net_stream_timed_out(mailstream *s)
{
	struct net_conn *c = net_conn_of(s);

	return c != NULL && c->timed_out;
}

bool
net_stream_has_pending(mailstream *s)
{
	struct net_conn *c;

	if (s == NULL)
		return false;
	if (s->read_buffer_len > 0)
		return true;
	c = net_conn_of(s);
	return c != NULL && c->ssl != NULL && SSL_pending(c->ssl) > 0;
}

int
net_stream_fd(mailstream *s)
{
	struct net_conn *c = net_conn_of(s);

	return c != NULL ? c->fd : -1;
}

bool
net_value_is_safe(struct strv v)
{
	size_t i;

	if (v.len > 0 && v.p == NULL)
		return false;
	for (i = 0; i < v.len; i++) {
		if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == '\0')
			return false;
	}
	return true;
}

bool
net_cstr_is_safe(const char *s)
{
	/* A C string cannot hold NUL; only CR and LF are left to find. */
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}
