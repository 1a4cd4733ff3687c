/*
 * The FastCGI server: a listener, N worker threads each in its own
 * FCGX_Accept_r loop with its own arena, and the calling thread waiting
 * for signals.
 *
 * Stopping: FCGX_Accept_r blocks in accept(2), which no flag can
 * interrupt. On SIGTERM the signal thread sets `stopping`, calls
 * FCGX_ShutdownPending() and shutdown(2)s the listening socket; on Linux
 * that wakes every thread blocked in accept() on it with EINVAL, for unix
 * and TCP sockets alike, and libfcgi then returns -1. A worker busy with a
 * request finishes it and sees `stopping` before accepting again.
 *
 * Connections are never kept alive between requests (nginx's default,
 * fastcgi_keep_conn off): a worker idling on a kept connection would sit
 * in read(2) where shutdown of the listener cannot reach it.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "http.h"
#include "http_private.h"
#include "core/banned.h"

struct server {
	const struct http_server_opts *o;
	http_handler_fn *handler;
	int fd;
	atomic_bool stopping;
};

/*
 * Startup errors outlive http_serve and there is no arena yet: the message
 * goes into a per-thread buffer (the caller reports it and exits).
 */
static _Thread_local char serve_errbuf[512];

static int serve_fail(struct perr *err, const char *fmt, ...) PT_PRINTF(2, 3);

static int
serve_fail(struct perr *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(serve_errbuf, sizeof(serve_errbuf), fmt, ap);
	va_end(ap);
	perr_set(err, NULL, PERR_INTERNAL, "%s", serve_errbuf);
	if (err != NULL)
		err->msg = serve_errbuf;
	return -1;
}

/* ---- listener -------------------------------------------------------- */

static int
open_unix(const char *path, int backlog, struct perr *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (!pt_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)))
		return serve_fail(err, "unix socket path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return serve_fail(err, "socket: %s", strerror(errno));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			(void)close(fd);
			return serve_fail(err, "%s exists and is not a socket",
			                  path);
		}
		/* A socket someone still listens on is not stale. */
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			(void)close(fd);
			return serve_fail(err, "%s is in use by another server",
			                  path);
		}
		(void)unlink(path);
		(void)close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return serve_fail(err, "socket: %s", strerror(errno));
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		(void)close(fd);
		return serve_fail(err, "bind %s: %s", path, strerror(e));
	}
	/* Before listen(): nobody can connect while the mode is wider. */
	if (chmod(path, 0660) != 0 || listen(fd, backlog) != 0) {
		int e = errno;

		(void)close(fd);
		(void)unlink(path);
		return serve_fail(err, "listen %s: %s", path, strerror(e));
	}
	return fd;
}

static int
open_tcp(const char *spec, int backlog, struct perr *err)
{
	char host[256], port[16];
	const char *colon, *h = spec;
	size_t hlen;
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, one = 1, e = 0;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || end[1] != ':')
			return serve_fail(err, "bad listen address %s", spec);
		h = spec + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			return serve_fail(err,
			                  "bad listen address %s (want "
			                  "host:port or unix:/path)",
			                  spec);
		hlen = (size_t)(colon - spec);
	}
	if (hlen >= sizeof(host) || !pt_strlcpy(port, colon + 1, sizeof(port)))
		return serve_fail(err, "bad listen address %s", spec);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	/* ":9000" is loopback: a FastCGI port must never face the net. */
	if (hlen == 0 && !pt_strlcpy(host, "127.0.0.1", sizeof(host)))
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return serve_fail(err, "listen %s: %s", spec, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		                 sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		e = errno;
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return serve_fail(err, "listen %s: %s", spec, strerror(e));
	return fd;
}

static const char *
unix_path(const char *listen)
{
	return strncmp(listen, "unix:", 5) == 0 ? listen + 5 : NULL;
}

/* ---- workers --------------------------------------------------------- */

static ssize_t
fcgx_read(void *ctx, void *buf, size_t n)
{
	FCGX_Request *r = ctx;
	int got;

	if (n > INT_MAX)
		n = INT_MAX;
	got = FCGX_GetStr(buf, (int)n, r->in);
	return got < 0 ? -1 : (ssize_t)got;
}

static int
fcgx_write(void *ctx, const void *p, size_t n)
{
	FCGX_Request *r = ctx;
	const char *c = p;

	while (n > 0) {
		int chunk = n > (1U << 20) ? 1 << 20 : (int)n;

		if (FCGX_PutStr(c, chunk, r->out) != chunk)
			return -1;
		c += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

static void *
worker(void *arg)
{
	struct server *s = arg;
	const struct http_limits *l = &s->o->limits;
	struct arena *a;
	FCGX_Request req;

	a = arena_create("request", 64U << 10, l->arena_limit);
	if (FCGX_InitRequest(&req, s->fd, 0) != 0)
		fatal("FCGX_InitRequest failed");
	while (!atomic_load(&s->stopping)) {
		struct http_io io;

		if (FCGX_Accept_r(&req) < 0) {
			struct timespec ts = {0, 10 * 1000 * 1000};

			if (atomic_load(&s->stopping))
				break;
			/* EMFILE and friends: do not spin. */
			(void)nanosleep(&ts, NULL);
			continue;
		}
		memset(&io, 0, sizeof(io));
		io.read = fcgx_read;
		io.write = fcgx_write;
		io.ctx = &req;
		(void)http_run((const char *const *)req.envp, &io, l,
		               s->handler, s->o->ctx, a);
		req.keepConnection = 0;
		FCGX_Finish_r(&req);
		arena_reset(a);
	}
	FCGX_Free(&req, 1);
	arena_destroy(&a);
	return NULL;
}

/* ---- the server ------------------------------------------------------ */

int
http_serve(const struct http_server_opts *o, http_handler_fn *handler,
           struct perr *err)
{
	struct server s;
	pthread_t *threads;
	sigset_t set, old;
	struct sigaction sa;
	const char *upath;
	int i, nthreads, started = 0, backlog, sig = 0;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.handler = handler;
	atomic_init(&s.stopping, false);
	nthreads = o->threads > 0 ? o->threads : 4;
	if (nthreads > 1024)
		nthreads = 1024;
	backlog = o->backlog > 0 ? o->backlog : 128;
	if (o->listen == NULL || o->listen[0] == '\0')
		return serve_fail(err, "no listen address");

	/* A client that hangs up must cost an EPIPE, not the process. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (FCGX_Init() != 0)
		return serve_fail(err, "FCGX_Init failed");

	upath = unix_path(o->listen);
	s.fd = upath != NULL ? open_unix(upath, backlog, err)
	                     : open_tcp(o->listen, backlog, err);
	if (s.fd < 0)
		return -1;

	/* Workers inherit the mask: only this thread sees the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	threads = pt_xcalloc((size_t)nthreads, sizeof(*threads));
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], NULL, worker, &s) != 0)
			break;
		started++;
	}
	if (started == 0) {
		serve_fail(err, "cannot start worker threads");
	} else {
		log_info("http: serving on %s with %d threads", o->listen,
		         started);
		for (;;) {
			if (sigwait(&set, &sig) != 0)
				continue;
			if (sig != SIGHUP)
				break;
			log_info("http: SIGHUP, reloading");
			if (o->on_reload != NULL)
				o->on_reload(o->ctx);
		}
		log_info("http: signal %d, finishing requests", sig);
	}

	atomic_store(&s.stopping, true);
	FCGX_ShutdownPending();
	(void)shutdown(s.fd, SHUT_RDWR);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	(void)close(s.fd);
	if (upath != NULL)
		(void)unlink(upath);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started == 0 ? -1 : 0;
}
