/* Shared inside src/net only. */
#ifndef PETREL_NET_PRIVATE_H
#define PETREL_NET_PRIVATE_H

#include <openssl/ssl.h>

#include "net.h"

/* "host:port" with an IPv6 literal in brackets, for messages. */
#define NET_PEER_MAX 300
#define NET_ERROR_MAX 400

/*
 * libetpan exports these but does not install mailstream_cancel.h; the
 * prototypes are those of libetpan 1.9.4's src/data-types.
 */
struct mailstream_cancel;
struct mailstream_cancel *mailstream_cancel_new(void);
void mailstream_cancel_free(struct mailstream_cancel *cancel);
void mailstream_cancel_notify(struct mailstream_cancel *cancel);
void mailstream_cancel_ack(struct mailstream_cancel *cancel);
int mailstream_cancel_cancelled(struct mailstream_cancel *cancel);
int mailstream_cancel_get_fd(struct mailstream_cancel *cancel);

/* The data behind our mailstream_low. */
struct net_conn {
	int fd;
	SSL *ssl; /* NULL while plain */
	struct mailstream_cancel *cancel;
	int io_timeout_ms;
	bool timed_out;
	/* net_stream_set_line_limit(): 0 = none; bytes read since the last LF
	 */
	size_t line_max, line_run;
	/* net_stream_keep_error(): where drv_free copies error, or NULL */
	char *keep_error;
	size_t keep_error_size;
	const char *error; /* NULL, static, or error_buf */
	char error_buf[NET_ERROR_MAX];
	char peer[NET_PEER_MAX];
};

/* tcp.c */
/* Strip "[...]" from an IPv6 literal into buf; false if it does not fit. */
bool net_host_unbracket(const char *host, char *buf, size_t size);
bool net_host_is_ip(const char *host);
/* "host:port", "[v6]:port" for messages (truncated if need be). */
void net_format_peer(const char *host, uint16_t port, char *buf, size_t size);
/* Connected non-blocking socket, or -1 with err set. */
int net_tcp_connect(const char *host, uint16_t port, int timeout_ms,
                    struct arena *a, struct perr *err);
/*
 * Wait for events on fd (and the cancel fd when not NULL) until the
 * monotonic deadline. Returns 1 ready, 0 timeout, -1 error or cancelled.
 */
int net_wait_fd(int fd, short events, uint64_t deadline_ms,
                struct mailstream_cancel *cancel);

/* tls.c */
int net_tls_handshake(struct net_conn *c, const struct net_target *t,
                      struct arena *a, struct net_tls_info *info_r,
                      struct perr *err);

/* stream.c */
struct net_conn *net_conn_of(mailstream *s);
void net_conn_set_error(struct net_conn *c, const char *fmt, ...)
        PT_PRINTF(2, 3);

#endif
