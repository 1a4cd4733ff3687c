/*
 * One request from parse to finish, and the two entry points that do not
 * need the FastCGI accept loop: in memory (tests, fuzzers) and plain CGI.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "http.h"
#include "http_private.h"
#include "core/banned.h"

int
http_run(const char *const *env, struct http_io *io,
         const struct http_limits *l, http_handler_fn *h, void *ctx,
         struct arena *a)
{
	struct http_request *req;
	struct http_response *resp;
	int rc;

	req = arena_new(a, struct http_request);
	resp = arena_new(a, struct http_response);
	if (req == NULL || resp == NULL) {
		static const char oom[] =
		        "Status: 500 Internal Server Error\r\n"
		        "Content-Type: text/plain\r\n\r\n";

		return io->write(io->ctx, oom, sizeof(oom) - 1);
	}
	http_request_parse(req, env, io, l, a);
	http_response_init(resp, a, l, io);
	resp->head = strcmp(req->method, "HEAD") == 0;
	log_set_context(req->id, req->remote_addr, NULL);
	h(req, resp, ctx);
	if (req->parse_error.kind != PERR_OK && resp->status < 400 &&
	    !resp->streaming) {
		/* A handler that ignored the error must not answer 200. */
		http_response_plain_error(
		        resp, http_status_of_error(req->parse_error.kind),
		        req->parse_error.msg != NULL ? req->parse_error.msg
		                                     : "bad request");
	}
	rc = http_response_finish(resp);
	/* The router logs every request (debug); this adds only the case
	 * it cannot see. */
	if (rc != 0)
		log_debug("%s %s -> %d (client gone)", req->method, req->path.p,
		          resp->status);
	log_set_context(NULL, NULL, NULL);
	return rc;
}

/* ---- memory ---------------------------------------------------------- */

struct mem_io {
	struct strv body;
	size_t off;
	struct sbuf *out;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem_io *m = ctx;
	size_t left = m->body.len - m->off;

	if (n > left)
		n = left;
	if (n > 0)
		memcpy(buf, m->body.p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static int
mem_write(void *ctx, const void *p, size_t n)
{
	struct mem_io *m = ctx;

	sbuf_append(m->out, p, n);
	return sbuf_ok(m->out) ? 0 : -1;
}

int
http_handle_memory(const char *const *env, struct strv body,
                   const struct http_limits *l, http_handler_fn *h, void *ctx,
                   struct arena *a, struct sbuf *raw_response_out)
{
	struct mem_io m = {body, 0, raw_response_out};
	struct http_io io;

	memset(&io, 0, sizeof(io));
	io.read = mem_read;
	io.write = mem_write;
	io.ctx = &m;
	return http_run(env, &io, l, h, ctx, a);
}

/* ---- CGI ------------------------------------------------------------- */

static ssize_t
fd_read(void *ctx, void *buf, size_t n)
{
	int fd = *(int *)ctx;
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static int
fd_write(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	return pt_write_all(STDOUT_FILENO, p, n);
}

bool
http_is_cgi(void)
{
	return FCGX_IsCGI() != 0;
}

extern char **environ;

int
http_serve_cgi(const struct http_limits *l, http_handler_fn *handler, void *ctx,
               struct perr *err)
{
	struct arena *a;
	struct http_io io;
	int in = STDIN_FILENO, rc;

	memset(&io, 0, sizeof(io));
	io.read = fd_read;
	io.write = fd_write;
	io.ctx = &in;
	a = arena_create("cgi-request", 64U << 10, l->arena_limit);
	rc = http_run((const char *const *)environ, &io, l, handler, ctx, a);
	arena_destroy(&a);
	if (rc != 0)
		return perr_set(err, NULL, PERR_INTERNAL,
		                "cannot write the CGI response");
	return 0;
}
