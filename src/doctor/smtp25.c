/*
 * Outgoing port 25: a plain TCP SMTP conversation (banner, EHLO, QUIT)
 * with a deadline on every step, so a provider's firewall that drops the
 * packets, or a filter that accepts the connection and never speaks, is
 * reported as blocked within seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doctor.h"
#include "core/banned.h"

#define LINE_MAX_BYTES 1000 /* RFC 5321 4.5.3.1.5: 512; be generous */
#define REPLY_MAX_LINES 100

struct conn {
	int fd;
	char buf[4096];
	size_t len;
	unsigned timeout_ms;
};

/* Connect with a deadline: 0, or -1 with errno (ETIMEDOUT on time). */
static int
connect_timeout(const char *addr, unsigned port, unsigned timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct pollfd pfd;
	int fd, soerr = 0;
	socklen_t el = sizeof(soerr);

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return errno = EINVAL, -1;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return errno = EINVAL, -1;
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	            0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return errno = e, -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, (int)timeout_ms) != 1) {
		close(fd);
		return errno = ETIMEDOUT, -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) != 0 ||
	    soerr != 0) {
		close(fd);
		return errno = soerr != 0 ? soerr : EIO, -1;
	}
	return fd;
}

/*
 * One line (without CRLF) into line; 0, or -1 with *why set. A line
 * longer than LINE_MAX_BYTES is an error, not a bigger buffer.
 */
static int
read_line(struct conn *c, char *line, size_t size, const char **why)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct pollfd pfd;
		ssize_t n;

		if (nl != NULL) {
			size_t l = (size_t)(nl - c->buf);
			size_t keep = l;

			if (keep > 0 && c->buf[keep - 1] == '\r')
				keep--;
			if (keep >= size) {
				*why = "a reply line was too long";
				return -1;
			}
			memcpy(line, c->buf, keep);
			line[keep] = '\0';
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return 0;
		}
		if (c->len >= LINE_MAX_BYTES || c->len == sizeof(c->buf)) {
			*why = "a reply line was too long";
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)c->timeout_ms) != 1) {
			*why = "timeout";
			return -1;
		}
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0) {
			*why = "the server closed the connection";
			return -1;
		}
		c->len += (size_t)n;
	}
}

/* A whole (multi-line) reply: its code and first line. */
static int
read_reply(struct conn *c, int *code_r, char *first, size_t size,
           const char **why)
{
	char line[LINE_MAX_BYTES + 1];
	unsigned i;

	for (i = 0; i < REPLY_MAX_LINES; i++) {
		if (read_line(c, line, sizeof(line), why) != 0)
			return -1;
		if (strlen(line) < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' ||
		    (line[3] != '\0' && line[3] != ' ' && line[3] != '-')) {
			*why = "the answer is not SMTP";
			if (!pt_strlcpy(first, line, size))
				first[0] = '\0';
			return -1;
		}
		if (i == 0 && !pt_strlcpy(first, line, size))
			first[0] = '\0';
		if (line[3] != '-') {
			*code_r = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			          (line[2] - '0');
			return 0;
		}
	}
	*why = "a reply had too many lines";
	return -1;
}

static int
send_line(struct conn *c, const char *s)
{
	size_t n = strlen(s), off = 0;

	while (off < n) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
		ssize_t w;

		if (poll(&pfd, 1, (int)c->timeout_ms) != 1)
			return -1;
		w = send(c->fd, s + off, n - off, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

void
doctor_smtp_try(const char *addr, unsigned port, const char *ehlo_name,
                unsigned timeout_ms, struct arena *a,
                struct doctor_smtp_result *res)
{
	uint64_t t0 = pt_now_ms_monotonic();
	struct conn c = {.fd = -1, .timeout_ms = timeout_ms};
	char first[LINE_MAX_BYTES + 1], cmd[300];
	const char *why = NULL;
	int code = 0;

	memset(res, 0, sizeof(*res));
	c.fd = connect_timeout(addr, port, timeout_ms);
	if (c.fd < 0) {
		int e = errno;

		res->outcome = DOCTOR_SMTP_BLOCKED;
		res->detail =
		        e == ETIMEDOUT
		                ? arena_printf(
		                          a,
		                          "no answer from %s port %u within "
		                          "%u ms (the packets are dropped)",
		                          addr, port, timeout_ms)
		        : e == ECONNREFUSED
		                ? arena_printf(
		                          a,
		                          "the connection to %s port %u was "
		                          "refused",
		                          addr, port)
		                : arena_printf(
		                          a, "cannot connect to %s port %u: %s",
		                          addr, port, strerror(e));
		goto out;
	}
	if (read_reply(&c, &code, first, sizeof(first), &why) != 0) {
		bool silent =
		        strcmp(why, "timeout") == 0 ||
		        strcmp(why, "the server closed the connection") == 0;

		res->outcome = silent ? DOCTOR_SMTP_BLOCKED : DOCTOR_SMTP_ERROR;
		res->detail =
		        silent ? arena_printf(
		                         a,
		                         "connected to %s port %u, but no "
		                         "SMTP greeting came (%s): something "
		                         "between here and there swallows "
		                         "port 25",
		                         addr, port, why)
		               : arena_printf(a, "%s port %u: %s", addr, port,
		                              why);
		goto out;
	}
	res->banner = arena_strdup(a, first);
	if (code != 220) {
		res->outcome = DOCTOR_SMTP_ERROR;
		res->detail =
		        arena_printf(a, "%s port %u greets with an error: %s",
		                     addr, port, first);
		goto out;
	}
	if (!pt_snprintf_ok(cmd, sizeof(cmd), "EHLO %s\r\n",
	                    ehlo_name != NULL && ehlo_name[0] != '\0'
	                            ? ehlo_name
	                            : "localhost") ||
	    send_line(&c, cmd) != 0 ||
	    read_reply(&c, &code, first, sizeof(first), &why) != 0) {
		res->outcome = DOCTOR_SMTP_ERROR;
		res->detail = arena_printf(
		        a, "%s port %u: EHLO got no answer%s%s", addr, port,
		        why != NULL ? ": " : "", why != NULL ? why : "");
		goto out;
	}
	if (code != 250) {
		res->outcome = DOCTOR_SMTP_ERROR;
		res->detail = arena_printf(a, "%s port %u refused EHLO: %s",
		                           addr, port, first);
		goto out;
	}
	(void)send_line(&c, "QUIT\r\n");
	(void)read_reply(&c, &code, first, sizeof(first), &why);
	res->outcome = DOCTOR_SMTP_REACHABLE;
	res->detail = arena_printf(a, "%s port %u answered: %s", addr, port,
	                           res->banner);
out:
	if (c.fd >= 0)
		close(c.fd);
	res->ms = (unsigned)(pt_now_ms_monotonic() - t0);
}

static const char why_port25[] =
        "Mail to other domains leaves this server on port 25. Many hosting "
        "providers block outgoing port 25; then every message to another "
        "server waits in the queue and bounces days later.";

void
doctor_check_port25(struct dns_resolver *dns, const char *test_domain,
                    unsigned port, unsigned timeout_s, const char *ehlo_name,
                    struct arena *a, struct doctor_report *rep)
{
	static const char title[] = "Outgoing port 25";
	struct doctor_smtp_result r;
	struct dns_answer mx, addr;
	struct perr err = {0};
	const char *host, *ip;
	char *fix;

	if (dns_query(dns, test_domain, DNS_MX, a, &mx, &err) != 0 ||
	    mx.status != DNS_FOUND) {
		doctor_add(rep, a, "port25", title, DOCTOR_WARNING, why_port25,
		           "Set [doctor] smtp_test_domain to a domain with an "
		           "MX record.",
		           "could not find the mail server of the test domain "
		           "%s: %s",
		           test_domain,
		           err.msg != NULL ? err.msg : "it has no MX record");
		return;
	}
	host = mx.rr[0].value;
	if (dns_query(dns, host, DNS_A, a, &addr, &err) != 0 ||
	    addr.status != DNS_FOUND) {
		perr_clear(&err);
		if (dns_query(dns, host, DNS_AAAA, a, &addr, &err) != 0 ||
		    addr.status != DNS_FOUND) {
			doctor_add(rep, a, "port25", title, DOCTOR_WARNING,
			           why_port25, NULL,
			           "the test domain's mail server %s has no "
			           "address%s%s",
			           host, err.msg != NULL ? ": " : "",
			           err.msg != NULL ? err.msg : "");
			return;
		}
	}
	ip = addr.rr[0].value;
	doctor_smtp_try(ip, port, ehlo_name, timeout_s * 1000, a, &r);
	switch (r.outcome) {
	case DOCTOR_SMTP_REACHABLE:
		doctor_add(rep, a, "port25", title, DOCTOR_OK, why_port25, NULL,
		           "reachable: %s (%s, MX of %s) in %u ms", r.detail,
		           host, test_domain, r.ms);
		break;
	case DOCTOR_SMTP_BLOCKED:
		fix = arena_printf(
		        a,
		        "Outgoing port 25 looks blocked. Ask your provider to "
		        "open it, or send through an SMTP relay: for every "
		        "domain at once, the admin panel's General page, "
		        "Default SMTP relay ([relay] host, port, secure, user "
		        "and password in application.ini); for one domain, its "
		        "SMTP server (host, port 587 with STARTTLS) and relay "
		        "account (relay_user, relay_password) in the admin "
		        "panel, Domains.");
		doctor_add(rep, a, "port25", title, DOCTOR_PROBLEM, why_port25,
		           fix, "blocked: %s (%s, MX of %s)", r.detail, host,
		           test_domain);
		break;
	case DOCTOR_SMTP_ERROR:
		doctor_add(rep, a, "port25", title, DOCTOR_WARNING, why_port25,
		           NULL, "SMTP error: %s (%s, MX of %s)", r.detail,
		           host, test_domain);
		break;
	}
}
