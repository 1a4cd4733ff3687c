/*
 * net - the TCP and TLS transport under libetpan.
 *
 * net_connect() opens a TCP connection (getaddrinfo, non-blocking connect
 * with a deadline, each address in turn), optionally runs a TLS handshake
 * with OpenSSL, and wraps the result in a libetpan mailstream whose low
 * driver is ours. mailimap, mailsmtp and plain mailstream code then run on
 * it unchanged. libetpan's own SSL layer (GnuTLS in Debian, which verifies
 * nothing) is never used.
 *
 * - Every read and write waits with poll() for at most io_timeout_ms: a dead
 *   server fails the call (libetpan then reports a stream error) instead of
 *   hanging a worker. net_stream_error() tells what happened.
 * - TLS is 1.2 or newer, sends SNI, verifies the chain against the system
 *   store (or ca_file) and the host name (or IP address). With verify off
 *   the handshake is accepted anyway and net_tls_info says why it would
 *   have failed.
 * - STARTTLS: the protocol module sends its command, reads the positive
 *   answer, then calls net_starttls(), which upgrades the stream in place.
 *   Plaintext the server sent after that answer is refused (it would be
 *   read as if it had come over TLS: the STARTTLS injection attack).
 * - Writes never raise SIGPIPE (send with MSG_NOSIGNAL, also under TLS).
 * - After any failed read or write, close the stream: a TLS write cut off
 *   by a timeout cannot be resumed. mailstream_cancel(s), from another
 *   thread, wakes a waiting read or write; the stream stays cancelled.
 * - IDLE: mailstream_setup_idle()/mailstream_wait_idle() work on our
 *   streams (the fd and the cancel pipe are exposed); check
 *   net_stream_has_pending() first, since TLS may hold decrypted bytes.
 *
 * The TLS handshake (implicit or STARTTLS) must finish within
 * io_timeout_ms.
 *
 * Thread-safety: a stream belongs to one thread at a time. One SSL_CTX per
 * (ca_file, verify) pair is built on first use and shared process-wide
 * (OpenSSL 3 contexts are safe to share; the cache has a mutex). After an
 * admin changes a CA file, net_tls_cache_flush() makes new connections
 * reload it.
 *
 * The driver ignores libetpan's own timeouts (mailimap_set_timeout and
 * friends, which are in whole seconds); net_stream_set_timeout() changes
 * ours.
 */
#ifndef PETREL_NET_H
#define PETREL_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <libetpan/mailstream.h>

#include "core/core.h"
#include "config/config.h"

#define NET_CONNECT_TIMEOUT_MS_DEFAULT 10000
#define NET_IO_TIMEOUT_MS_DEFAULT 30000

enum net_security {
	NET_PLAIN,        /* no TLS */
	NET_TLS_IMPLICIT, /* TLS from the first byte (IMAPS 993, SMTPS 465) */
	NET_STARTTLS,     /* plain now; the protocol calls net_starttls() */
};

struct net_target {
	const char *host; /* name, IPv4 or IPv6 literal ("[::1]" allowed) */
	uint16_t port;
	enum net_security sec;
	bool verify;         /* check chain and name; net_target_init: true */
	const char *ca_file; /* PEM bundle; NULL: the system store */
	/*
	 * Name sent as SNI and checked against the certificate. NULL: host,
	 * except that no SNI is sent for an IP literal (its address is
	 * checked against the certificate's IP SANs instead).
	 */
	const char *sni;
	int connect_timeout_ms; /* <= 0: NET_CONNECT_TIMEOUT_MS_DEFAULT */
	int io_timeout_ms;      /* <= 0: NET_IO_TIMEOUT_MS_DEFAULT */
	/* The domain's allow_insecure_auth (net_may_send_password()). */
	bool allow_insecure_auth;
};

/* Zero *t and set host, port, sec and verify = true. */
void net_target_init(struct net_target *t, const char *host, uint16_t port,
                     enum net_security sec) PT_NONNULL(1);

/*
 * Whether a client may send a password over a connection to t: always
 * over TLS (SSL or STARTTLS), in clear only to a loopback host
 * (127.0.0.1, ::1, [::1], localhost: the name as configured, so a host
 * name that merely resolves to loopback does not count) or when the
 * domain set allow_insecure_auth = On. IMAP, SMTP and ManageSieve all ask
 * before authenticating.
 */
bool net_may_send_password(const struct net_target *t) PT_NONNULL(1);

/* A domain's imap_/smtp_/sieve_secure as the transport's mode. */
enum net_security net_security_of(enum config_secure s);

/*
 * net_target_init() for host:port with the mode of secure and the
 * domain's verify_certificate, ca_file ("" = system store) and timeouts:
 * what IMAP, SMTP and ManageSieve connections to dom's servers all use.
 * host and dom->ca_file are kept by reference.
 */
void net_target_for_domain(struct net_target *t,
                           const struct config_domain *dom, const char *host,
                           unsigned port, enum config_secure secure)
        PT_NONNULL(1, 2);

/*
 * What the admin's "test connection" shows. Strings are in the arena
 * passed to net_connect()/net_starttls() (or static).
 */
struct net_tls_info {
	bool tls;            /* false: the connection is plain */
	bool verified;       /* chain and name checks passed */
	bool verify_skipped; /* verify was off: failures were ignored */
	const char *version; /* "TLSv1.3" */
	const char *cipher;  /* "TLS_AES_256_GCM_SHA384" */
	const char *subject; /* RFC 2253: "CN=localhost,O=Petrel" */
	const char *issuer;
	const char *not_after;    /* "2030-01-31T12:00:00Z" */
	int64_t not_after_unix;   /* 0 if unknown */
	const char *verify_error; /* NULL when verified */
};

/*
 * Connect to t and return a mailstream (close it with net_close() or
 * mailstream_close(), or hand it to mailimap_connect() and friends, which
 * then own it, even when they fail). info_r may be NULL; for NET_PLAIN and
 * NET_STARTTLS it is filled with tls = false. Errors: PERR_INPUT for a bad
 * target (no host, port 0, a host or SNI with control characters),
 * PERR_TEMPFAIL for everything the network or the peer did ("connection refused
 * by host:port", "timed out connecting to host:port", "host not found: host",
 * "certificate verify failed: self-signed certificate", ...).
 */
int net_connect(const struct net_target *t, struct arena *a,
                mailstream **stream_r, struct net_tls_info *info_r,
                struct perr *err) PT_WARN_UNUSED PT_NONNULL(1, 2, 3);

/*
 * Upgrade a plain stream made by net_connect() to TLS, after the
 * protocol's STARTTLS command got its positive answer. Checks as
 * net_connect() does, with t's verify, ca_file and sni settings. Fails
 * (PERR_TEMPFAIL) if the server already sent more plaintext; the stream
 * must then be closed. PERR_INTERNAL if s is not ours or already TLS.
 */
int net_starttls(mailstream *s, const struct net_target *t, struct arena *a,
                 struct net_tls_info *info_r, struct perr *err) PT_WARN_UNUSED
        PT_NONNULL(1, 2, 3);

/* Close and free *sp (NULL-safe) and set it to NULL. */
void net_close(mailstream **sp);

/* True if s runs on our driver. */
bool net_stream_is_ours(mailstream *s);
/* True if s is ours and speaks TLS. */
bool net_stream_is_tls(mailstream *s);
/*
 * Fail reads on s once the server sent more than max bytes without a line
 * feed (0: no limit, the default): a server that never ends its line
 * then costs a bounded amount of memory, and net_stream_error() says
 * "line longer than N bytes from host:port". Counted on the bytes as they
 * arrive, so it also bounds a literal without line breaks: use it only
 * where the protocol has no long binary data (SMTP replies, greetings).
 * Setting it restarts the count.
 */
void net_stream_set_line_limit(mailstream *s, size_t max);
/*
 * When s is freed, copy its last error (net_stream_error(), or "") into
 * buf (size bytes, truncated; buf must outlive s): for a library that
 * closes the stream itself when a read fails (libetpan's
 * mailsmtp_connect()), so that the reason is not lost with it.
 */
void net_stream_keep_error(mailstream *s, char *buf, size_t size);
/* Change the per-read/write timeout of s (ms, > 0). */
void net_stream_set_timeout(mailstream *s, int io_timeout_ms);
/*
 * The reason the last read or write on s failed ("timed out reading from
 * host:port", "connection closed by host:port", ...), or NULL. Static or
 * owned by the stream: copy it before closing the stream.
 */
const char *net_stream_error(mailstream *s);
/* True if the last failure on s was a timeout. */
bool net_stream_timed_out(mailstream *s);
/*
 * True if bytes are already buffered (in libetpan or in the TLS layer), so
 * that poll() on the socket would not show them: check this before
 * waiting for the server (IMAP IDLE).
 */
bool net_stream_has_pending(mailstream *s);
/* The socket, for poll() by an IDLE watcher; -1 if closed. */
int net_stream_fd(mailstream *s);

/*
 * True if v can be sent inside a protocol command: it holds no CR, LF or
 * NUL. libetpan quotes strings but lets these through (and turns a bare LF
 * into CRLF), so every value that reaches IMAP, SMTP or ManageSieve from a
 * user or a config file must pass this first.
 */
bool net_value_is_safe(struct strv v);
/* The same for a C string; NULL is not safe. */
bool net_cstr_is_safe(const char *s);

/* Drop the cached SSL_CTXs; connections made later load CA files anew. */
void net_tls_cache_flush(void);
/* Free everything net keeps process-wide (at exit; for leak checkers). */
void net_global_cleanup(void);

/* ---- one HTTPS POST (RFC 8058 one-click unsubscribe) ------------------- */

struct sockaddr;

/*
 * False for addresses a URL from a message must not reach: 0/8, 10/8,
 * 127/8, 100.64/10, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16,
 * 198.18/15, 224/4 and above; ::, ::1, fc00::/7, fe80::/10, fec0::/10,
 * ff00::/8, 64:ff9b::/96, 2001:db8::/32, and v4-mapped forms of the v4
 * ones. Unknown families are not public.
 */
bool net_addr_is_public(const struct sockaddr *sa) PT_NONNULL(1);

struct net_https_post {
	const char *url;          /* https://host[:port]/path?query */
	struct strv body;         /* sent as is */
	const char *content_type; /* "application/x-www-form-urlencoded" */
	bool allow_private;       /* skip net_addr_is_public() (tests) */
	const char *ca_file;      /* NULL or "": the system store */
	int timeout_ms;           /* connect, handshake and each read/write */
	size_t max_response;      /* bytes of the answer read at most */
};

struct net_https_result {
	int status;           /* the HTTP status code */
	const char *location; /* a 3xx's Location (never followed), or NULL */
};

/*
 * POST p->body to p->url over TLS (verified against the URL's host name)
 * and read the status line. The host is resolved once; if any address is
 * not public (and !allow_private) nothing is sent (PERR_FORBIDDEN), else
 * the first address is connected to directly. Only Host, User-Agent,
 * Content-Type, Content-Length and Connection: close are sent: no
 * cookies, no credentials (a URL with user info is PERR_INPUT, as is
 * anything but https). Redirects are reported, never followed.
 * PERR_TEMPFAIL: resolution, connection, TLS or timeout; PERR_REMOTE: the
 * answer is not HTTP/1.x. Strings in a. getaddrinfo() itself is bounded
 * by the system resolver's timeouts, not by timeout_ms.
 */
int net_https_post(const struct net_https_post *p, struct arena *a,
                   struct net_https_result *r, struct perr *err) PT_WARN_UNUSED
        PT_NONNULL(1, 2, 3, 4);

#endif
