/*
 * TCP: name resolution, non-blocking connect with a deadline, and the
 * poll() wait every read and write goes through.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "net_private.h"
#include "core/banned.h"

bool
net_host_unbracket(const char *host, char *buf, size_t size)
{
	size_t len = strlen(host);

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		if (len - 2 >= size)
			return false;
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		return true;
	}
	return pt_strlcpy(buf, host, size);
}

bool
net_host_is_ip(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char buf[NI_MAXHOST];

	if (!net_host_unbracket(host, buf, sizeof(buf)))
		return false;
	return inet_pton(AF_INET, buf, addr) == 1 ||
	       inet_pton(AF_INET6, buf, addr) == 1;
}

int
net_wait_fd(int fd, short events, uint64_t deadline_ms,
            struct mailstream_cancel *cancel)
{
	struct pollfd pfd[2];
	nfds_t n = 1;
	uint64_t now;
	int r;

	pfd[0].fd = fd;
	pfd[0].events = events;
	pfd[0].revents = 0;
	if (cancel != NULL) {
		pfd[1].fd = mailstream_cancel_get_fd(cancel);
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = 2;
	}
	for (;;) {
		now = pt_now_ms_monotonic();
		if (now >= deadline_ms)
			return 0;
		r = poll(pfd, n, (int)(deadline_ms - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (n == 2 && pfd[1].revents != 0) {
			mailstream_cancel_ack(cancel);
			errno = ECANCELED;
			return -1;
		}
		/* POLLERR/POLLHUP: let the read or write report it. */
		return 1;
	}
}

void
net_format_peer(const char *host, uint16_t port, char *buf, size_t size)
{
	bool v6 = strchr(host, ':') != NULL && host[0] != '[';

	/* A truncated name still serves in an error message. */
	if (!pt_snprintf_ok(buf, size, v6 ? "[%s]:%u" : "%s:%u", host,
	                    (unsigned)port))
		buf[size - 1] = '\0';
}

static void
set_socket_options(int fd)
{
	int one = 1;

	/* Commands are small and answered at once: do not wait for ACKs. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Pooled IMAP connections idle for minutes. */
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

/*
 * One attempt. Returns the connected socket, or -1 with *errno_r set
 * (ETIMEDOUT for the deadline).
 */
static int
connect_one(const struct addrinfo *ai, uint64_t deadline_ms, int *errno_r)
{
	socklen_t len;
	int fd, r, soerr;

	fd = socket(ai->ai_family,
	            ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            ai->ai_protocol);
	if (fd < 0) {
		*errno_r = errno;
		return -1;
	}
	do {
		r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		goto connected;
	if (errno != EINPROGRESS) {
		*errno_r = errno;
		goto fail;
	}
	r = net_wait_fd(fd, POLLOUT, deadline_ms, NULL);
	if (r <= 0) {
		*errno_r = r == 0 ? ETIMEDOUT : errno;
		goto fail;
	}
	soerr = 0;
	len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
		*errno_r = errno;
		goto fail;
	}
	if (soerr != 0) {
		*errno_r = soerr;
		goto fail;
	}
connected:
	set_socket_options(fd);
	return fd;
fail:
	(void)close(fd);
	return -1;
}

static int
resolve_error(int r, const char *host, const char *peer, struct arena *a,
              struct perr *err)
{
	switch (r) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
	case EAI_FAMILY:
		return perr_set(err, a, PERR_TEMPFAIL, "host not found: %s",
		                host);
	case EAI_AGAIN:
		return perr_set(err, a, PERR_TEMPFAIL,
		                "host not found: %s (temporary DNS failure)",
		                host);
	case EAI_SYSTEM:
		return perr_set(err, a, PERR_TEMPFAIL, "cannot resolve %s: %s",
		                peer, strerror(errno));
	default:
		return perr_set(err, a, PERR_TEMPFAIL, "cannot resolve %s: %s",
		                peer, gai_strerror(r));
	}
}

int
net_tcp_connect(const char *host, uint16_t port, int timeout_ms,
                struct arena *a, struct perr *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char name[NI_MAXHOST], service[8], peer[NET_PEER_MAX];
	uint64_t start, deadline, now, slice;
	size_t left;
	int r, fd = -1, last_errno = 0;

	net_format_peer(host, port, peer, sizeof(peer));
	if (!net_host_unbracket(host, name, sizeof(name)))
		return perr_set(err, a, PERR_INPUT, "host name too long");
	if (!pt_snprintf_ok(service, sizeof(service), "%u", (unsigned)port))
		return perr_set(err, a, PERR_INTERNAL, "bad port");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* No AI_ADDRCONFIG: it hides 127.0.0.1 on a host with only lo. */
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(name, service, &hints, &res);
	if (r != 0)
		return resolve_error(r, name, peer, a, err);

	left = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		left++;
	start = pt_now_ms_monotonic();
	deadline = start + (uint64_t)timeout_ms;
	for (ai = res; ai != NULL; ai = ai->ai_next, left--) {
		now = pt_now_ms_monotonic();
		if (now >= deadline) {
			last_errno = ETIMEDOUT;
			break;
		}
		/*
		 * Share what is left among the addresses still to try, so a
		 * black-holed IPv6 address cannot eat the IPv4 one's time.
		 */
		slice = (deadline - now) / left;
		if (slice < 250 && deadline - now > 250)
			slice = 250;
		fd = connect_one(ai, now + slice, &last_errno);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		return fd;
	switch (last_errno) {
	case ECONNREFUSED:
		return perr_set(err, a, PERR_TEMPFAIL,
		                "connection refused by %s", peer);
	case ETIMEDOUT:
		return perr_set(err, a, PERR_TEMPFAIL,
		                "timed out connecting to %s", peer);
	case ENETUNREACH:
	case EHOSTUNREACH:
		return perr_set(err, a, PERR_TEMPFAIL, "no route to %s", peer);
	default:
		return perr_set(err, a, PERR_TEMPFAIL,
		                "cannot connect to %s: %s", peer,
		                strerror(last_errno));
	}
}
