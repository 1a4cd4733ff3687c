/*
 * A scripted server on 127.0.0.1 for unit tests of protocol clients (the
 * idea of smtpscript): "S:text" is sent with CRLF, "C:prefix" must be the
 * next line from the client (a prefix match, "C:" takes any line), "X"
 * stops answering for two seconds, "L:" sends bytes without a line end
 * until the client hangs up or 64 MiB went out (a server that never ends
 * its line). fsrv_stop() joins the thread; done tells whether the whole
 * script ran, got holds what the client sent.
 */
#ifndef PETREL_TEST_FAKE_SERVER_H
#define PETREL_TEST_FAKE_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fsrv {
	int lfd;
	uint16_t port;
	const char *const *script;
	char got[8192];
	size_t got_len;
	size_t endless_sent; /* bytes an "L:" step sent */
	bool done;
	pthread_t th;
};

static inline bool
fsrv_read_line(int fd, struct fsrv *f, char *line, size_t max)
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

static inline bool
fsrv_endless(int fd, struct fsrv *f)
{
	static char chunk[65536];

	memset(chunk, 'x', sizeof(chunk));
	while (f->endless_sent < (size_t)64 << 20) {
		ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		f->endless_sent += (size_t)n;
	}
	return true;
}

static inline void *
fsrv_run(void *arg)
{
	struct fsrv *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	char line[1024];
	size_t i;

	for (i = 0; fd >= 0 && f->script[i] != NULL; i++) {
		const char *s = f->script[i];

		if (s[0] == 'X') {
			sleep(2);
			break;
		}
		if (s[0] == 'L') {
			if (!fsrv_endless(fd, f))
				break;
		} else if (s[0] == 'S') {
			if (send(fd, s + 2, strlen(s + 2), MSG_NOSIGNAL) < 0 ||
			    send(fd, "\r\n", 2, MSG_NOSIGNAL) < 0)
				break;
		} else if (!fsrv_read_line(fd, f, line, sizeof(line)) ||
		           strncmp(line, s + 2, strlen(s + 2)) != 0) {
			break;
		}
	}
	f->done = f->script[i] == NULL;
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Listen on addr (an IPv4 literal; 127.0.0.2 is a host that Petrel does
 * not take for loopback, though Linux routes it locally). */
static inline void
fsrv_start_at(struct fsrv *f, const char *const *script, const char *addr)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->script = script;
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->th, NULL, fsrv_run, f), 0);
}

static inline void
fsrv_start(struct fsrv *f, const char *const *script)
{
	fsrv_start_at(f, script, "127.0.0.1");
}

static inline void
fsrv_stop(struct fsrv *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
}

#endif
