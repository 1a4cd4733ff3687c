/*
 * The real FastCGI server: http_serve in a child process on a unix socket,
 * spoken to by a small FastCGI client written here and by cgi-fcgi.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "http/http.h"

/* ---- a tiny FastCGI client ------------------------------------------- */

enum {
	FCGI_BEGIN = 1,
	FCGI_END = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6
};

static void
record(struct sbuf *b, int type, const void *p, size_t n)
{
	unsigned char h[8] = {1,
	                      (unsigned char)type,
	                      0,
	                      1,
	                      (unsigned char)(n >> 8),
	                      (unsigned char)n,
	                      0,
	                      0};

	assert_true(n <= 65535);
	sbuf_append(b, h, 8);
	sbuf_append(b, p, n);
}

static void
nv_len(struct sbuf *b, size_t n)
{
	if (n < 128) {
		sbuf_append_char(b, (char)n);
	} else {
		unsigned char l[4] = {(unsigned char)(0x80 | (n >> 24)),
		                      (unsigned char)(n >> 16),
		                      (unsigned char)(n >> 8),
		                      (unsigned char)n};

		sbuf_append(b, l, 4);
	}
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = {10, 0};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(pt_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static void
fcgi_send(int fd, const char *const *params, struct strv body)
{
	static const unsigned char begin[8] = {0, 1, 0, 0, 0, 0, 0, 0};
	struct sbuf b, nv;
	size_t i, off;

	sbuf_init(&b, NULL, 0, 0);
	sbuf_init(&nv, NULL, 0, 0);
	record(&b, FCGI_BEGIN, begin, 8);
	for (i = 0; params[i] != NULL; i++) {
		const char *eq = strchr(params[i], '=');
		size_t kl = (size_t)(eq - params[i]), vl = strlen(eq + 1);

		nv_len(&nv, kl);
		nv_len(&nv, vl);
		sbuf_append(&nv, params[i], kl);
		sbuf_append(&nv, eq + 1, vl);
	}
	record(&b, FCGI_PARAMS, nv.data, nv.len);
	record(&b, FCGI_PARAMS, "", 0);
	for (off = 0; off < body.len; off += 65535) {
		size_t n = body.len - off > 65535 ? 65535 : body.len - off;

		record(&b, FCGI_STDIN, body.p + off, n);
	}
	record(&b, FCGI_STDIN, "", 0);
	assert_true(sbuf_ok(&b));
	send_all(fd, b.data, b.len);
	sbuf_free(&b);
	sbuf_free(&nv);
}

static int
read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* STDOUT into out; 0 once END_REQUEST arrived. */
static int
fcgi_recv(int fd, struct sbuf *out)
{
	unsigned char h[8], pad[256];
	char *content = malloc(65536);

	for (;;) {
		size_t n, padn;

		if (read_full(fd, h, 8) != 0)
			break;
		n = (size_t)h[4] << 8 | h[5];
		padn = h[6];
		if (read_full(fd, content, n) != 0 ||
		    read_full(fd, pad, padn) != 0)
			break;
		if (h[1] == FCGI_STDOUT)
			sbuf_append(out, content, n);
		if (h[1] == FCGI_END) {
			free(content);
			return 0;
		}
	}
	free(content);
	return -1;
}

static int
fcgi_request(const char *path, const char *const *params, struct strv body,
             struct sbuf *out)
{
	int fd = connect_unix(path), rc;

	if (fd < 0)
		return -1;
	fcgi_send(fd, params, body);
	rc = fcgi_recv(fd, out);
	close(fd);
	return rc;
}

/* ---- the server child ------------------------------------------------ */

struct srv {
	pid_t pid;
	char dir[64];
	char sock[128];
	int started_r, go_w, reload_r;
};

struct child_ctx {
	int started_w, go_r, reload_w;
};

static void
srv_handler(struct http_request *req, struct http_response *resp, void *ctx)
{
	struct child_ctx *c = ctx;
	char ch;

	if (strv_eq_cstr(req->path, "/slow")) {
		if (write(c->started_w, "S", 1) != 1 ||
		    read(c->go_r, &ch, 1) != 1)
			_exit(3);
	}
	sbuf_printf(&resp->body, "method=%s path=%s err=%d", req->method,
	            req->path.p, req->parse_error.kind);
	if (req->raw_body != NULL)
		sbuf_printf(&resp->body, " body=%llu",
		            (unsigned long long)req->raw_body->size);
	if (req->n_query > 0)
		sbuf_printf(&resp->body, " q0=%s", req->query[0].name.p);
}

static void
srv_reload(void *ctx)
{
	struct child_ctx *c = ctx;

	if (write(c->reload_w, "R", 1) != 1)
		_exit(4);
}

static void
srv_start(struct srv *s)
{
	int started[2], go[2], reload[2];
	int i;

	if (s->dir[0] == '\0') {
		memset(s, 0, sizeof(*s));
		assert_true(pt_strlcpy(s->dir, "/tmp/petrel-fcgi-XXXXXX",
		                       sizeof(s->dir)));
		assert_non_null(mkdtemp(s->dir));
	}
	assert_true(pt_snprintf_ok(s->sock, sizeof(s->sock), "%s/petrel.sock",
	                           s->dir));
	assert_int_equal(pipe(started), 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(reload), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		struct child_ctx c = {started[1], go[0], reload[1]};
		struct http_server_opts o;
		struct perr err;
		char listen[160];

		close(started[0]);
		close(go[1]);
		close(reload[0]);
		memset(&o, 0, sizeof(o));
		if (!pt_snprintf_ok(listen, sizeof(listen), "unix:%s", s->sock))
			_exit(5);
		o.listen = listen;
		o.threads = 3;
		http_limits_default(&o.limits);
		o.limits.spool_dir = s->dir;
		o.on_reload = srv_reload;
		o.ctx = &c;
		_exit(http_serve(&o, srv_handler, &err) == 0 ? 0 : 1);
	}
	close(started[1]);
	close(go[0]);
	close(reload[1]);
	s->started_r = started[0];
	s->go_w = go[1];
	s->reload_r = reload[0];
	/* Wait until it accepts (at most 10 s). */
	for (i = 0; i < 1000; i++) {
		int fd = connect_unix(s->sock);
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (fd >= 0) {
			close(fd);
			return;
		}
		nanosleep(&ts, NULL);
	}
	fail_msg("server did not start");
}

static int
srv_stop(struct srv *s)
{
	int status = -1;

	kill(s->pid, SIGTERM);
	assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
	close(s->started_r);
	close(s->go_w);
	close(s->reload_r);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
srv_cleanup(struct srv *s)
{
	unlink(s->sock);
	assert_int_equal(rmdir(s->dir), 0);
}

/* ---- tests ----------------------------------------------------------- */

static void
test_fastcgi_get_and_post(void **state)
{
	struct srv s = {0};
	struct sbuf out, big;
	struct stat st;
	const char *get[] = {"REQUEST_METHOD=GET",
	                     "REQUEST_URI=/inbox?admin_f0e5a5aa",
	                     "QUERY_STRING=admin_f0e5a5aa", NULL};
	const char *post[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/upload",
	                      "CONTENT_TYPE=application/octet-stream",
	                      "CONTENT_LENGTH=300000", NULL};
	const char *huge[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/upload",
	                      "CONTENT_TYPE=application/octet-stream",
	                      "CONTENT_LENGTH=99999999999", NULL};
	int i;

	(void)state;
	srv_start(&s);
	assert_int_equal(stat(s.sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	sbuf_init(&out, NULL, 0, 0);
	sbuf_init(&big, NULL, 0, 0);
	for (i = 0; i < 300000; i++)
		sbuf_append_char(&big, (char)('a' + i % 26));

	for (i = 0; i < 10; i++) {
		sbuf_reset(&out);
		assert_int_equal(fcgi_request(s.sock, get, STRV_LIT(""), &out),
		                 0);
		assert_true(strncmp(sbuf_cstr(&out), "Status: 200 OK\r\n",
		                    16) == 0);
		assert_non_null(
		        strstr(sbuf_cstr(&out), "X-Frame-Options: DENY\r\n"));
		assert_non_null(strstr(sbuf_cstr(&out),
		                       "method=GET path=/inbox err=0 "
		                       "q0=admin_f0e5a5aa"));
	}
	sbuf_reset(&out);
	assert_int_equal(fcgi_request(s.sock, post, sbuf_view(&big), &out), 0);
	assert_non_null(strstr(sbuf_cstr(&out), "err=0 body=300000"));
	/* 413 without reading: the server still answers */
	sbuf_reset(&out);
	assert_int_equal(fcgi_request(s.sock, huge, STRV_LIT("x"), &out), 0);
	assert_true(strncmp(sbuf_cstr(&out), "Status: 413 ", 12) == 0);

	/* SIGHUP reaches on_reload and the server keeps serving */
	{
		char c = 0;

		kill(s.pid, SIGHUP);
		assert_int_equal(read(s.reload_r, &c, 1), 1);
		assert_int_equal(c, 'R');
		sbuf_reset(&out);
		assert_int_equal(fcgi_request(s.sock, get, STRV_LIT(""), &out),
		                 0);
	}
	assert_int_equal(srv_stop(&s), 0);
	/* the socket file is gone */
	assert_int_not_equal(access(s.sock, F_OK), 0);
	srv_cleanup(&s);
	sbuf_free(&out);
	sbuf_free(&big);
}

static void
test_sigterm_finishes_in_flight_request_then_exits(void **state)
{
	struct srv s = {0};
	struct sbuf out;
	const char *slow[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/slow", NULL};
	int fd, status = -1;
	char c;
	struct timespec ts = {0, 100 * 1000 * 1000};

	(void)state;
	srv_start(&s);
	sbuf_init(&out, NULL, 0, 0);
	fd = connect_unix(s.sock);
	assert_true(fd >= 0);
	fcgi_send(fd, slow, STRV_LIT(""));
	/* the handler is running */
	assert_int_equal(read(s.started_r, &c, 1), 1);
	kill(s.pid, SIGTERM);
	/* Give the signal thread time to stop the listener; the server must
	 * still be alive, waiting for the request. */
	nanosleep(&ts, NULL);
	assert_int_equal(waitpid(s.pid, &status, WNOHANG), 0);
	assert_int_equal(write(s.go_w, "G", 1), 1);
	assert_int_equal(fcgi_recv(fd, &out), 0);
	close(fd);
	assert_true(strncmp(sbuf_cstr(&out), "Status: 200 OK\r\n", 16) == 0);
	assert_non_null(strstr(sbuf_cstr(&out), "path=/slow err=0"));
	assert_int_equal(waitpid(s.pid, &status, 0), s.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_not_equal(access(s.sock, F_OK), 0);
	assert_int_equal(connect_unix(s.sock), -1);
	close(s.started_r);
	close(s.go_w);
	close(s.reload_r);
	srv_cleanup(&s);
	sbuf_free(&out);
}

static void
test_cgi_fcgi_client(void **state)
{
	struct srv s = {0};
	int p[2], status;
	pid_t pid;
	char buf[8192];
	size_t got = 0;
	ssize_t r;

	(void)state;
	if (access("/usr/bin/cgi-fcgi", X_OK) != 0)
		skip();
	srv_start(&s);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *const argv[] = {"cgi-fcgi", "-bind", "-connect", s.sock,
		                      NULL};
		char *const envp[] = {"REQUEST_METHOD=GET",
		                      "REQUEST_URI=/via/cgi-fcgi?k",
		                      "QUERY_STRING=k", NULL};

		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		close(0);
		execve("/usr/bin/cgi-fcgi", argv, envp);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_non_null(strstr(buf, "Status: 200 OK"));
	assert_non_null(strstr(buf, "path=/via/cgi-fcgi err=0 q0=k"));
	assert_int_equal(srv_stop(&s), 0);
	srv_cleanup(&s);
}

static void
test_plain_cgi_request(void **state)
{
	int in[2], out[2], status;
	pid_t pid;
	char buf[8192];
	size_t got = 0;
	ssize_t r;

	(void)state;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct child_ctx c = {-1, -1, -1};
		struct http_limits l;
		struct perr err;

		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		clearenv();
		setenv("GATEWAY_INTERFACE", "CGI/1.1", 1);
		setenv("REQUEST_METHOD", "POST", 1);
		setenv("SCRIPT_NAME", "/cgi-bin/petrel", 1);
		setenv("PATH_INFO", "/api/x", 1);
		setenv("CONTENT_TYPE", "text/plain", 1);
		setenv("CONTENT_LENGTH", "5", 1);
		http_limits_default(&l);
		if (!http_is_cgi())
			_exit(2);
		_exit(http_serve_cgi(&l, srv_handler, &c, &err) == 0 ? 0 : 1);
	}
	close(in[0]);
	close(out[1]);
	assert_int_equal(write(in[1], "hello", 5), 5);
	close(in[1]);
	while ((r = read(out[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(out[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(strncmp(buf, "Status: 200 OK\r\n", 16) == 0);
	assert_non_null(strstr(buf, "method=POST path=/cgi-bin/petrel/api/x "
	                            "err=0 body=5"));
}

static int
serve_expect_error(const char *listen, const char *msg_part)
{
	struct http_server_opts o;
	struct perr err;
	pid_t pid;
	int status;

	/* In a child: http_serve changes the signal setup of its process. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		memset(&o, 0, sizeof(o));
		o.listen = listen;
		http_limits_default(&o.limits);
		if (http_serve(&o, srv_handler, &err) != -1)
			_exit(1);
		_exit(strstr(err.msg, msg_part) != NULL ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
test_listener_errors(void **state)
{
	char dir[] = "/tmp/petrel-fcgi-XXXXXX";
	char path[128], listen[160];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/plain", dir));
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_true(pt_snprintf_ok(listen, sizeof(listen), "unix:%s", path));
	assert_int_equal(serve_expect_error(listen, "not a socket"), 0);
	assert_int_equal(access(path, F_OK), 0); /* not removed */
	unlink(path);
	assert_int_equal(serve_expect_error("nonsense", "bad listen"), 0);
	assert_int_equal(serve_expect_error("", "no listen"), 0);
	assert_int_equal(serve_expect_error("unix:/nonexistent/dir/s", "bind"),
	                 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_stale_socket_is_replaced_and_live_one_refused(void **state)
{
	struct srv s = {0};
	struct sockaddr_un sun;
	struct sbuf out;
	const char *get[] = {"REQUEST_URI=/", NULL};
	char listen[160];
	int fd;

	(void)state;
	/* A socket file nobody listens on, as a crashed server leaves it. */
	assert_true(
	        pt_strlcpy(s.dir, "/tmp/petrel-fcgi-XXXXXX", sizeof(s.dir)));
	assert_non_null(mkdtemp(s.dir));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(pt_snprintf_ok(sun.sun_path, sizeof(sun.sun_path),
	                           "%s/petrel.sock", s.dir));
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(access(sun.sun_path, F_OK), 0);

	srv_start(&s);
	sbuf_init(&out, NULL, 0, 0);
	assert_int_equal(fcgi_request(s.sock, get, STRV_LIT(""), &out), 0);
	assert_true(strncmp(sbuf_cstr(&out), "Status: 200 OK\r\n", 16) == 0);
	/* a live socket is refused, and left alone */
	assert_true(pt_snprintf_ok(listen, sizeof(listen), "unix:%s", s.sock));
	assert_int_equal(serve_expect_error(listen, "in use"), 0);
	sbuf_reset(&out);
	assert_int_equal(fcgi_request(s.sock, get, STRV_LIT(""), &out), 0);
	assert_int_equal(srv_stop(&s), 0);
	srv_cleanup(&s);
	sbuf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fastcgi_get_and_post),
	        cmocka_unit_test(
	                test_sigterm_finishes_in_flight_request_then_exits),
	        cmocka_unit_test(test_cgi_fcgi_client),
	        cmocka_unit_test(test_plain_cgi_request),
	        cmocka_unit_test(test_listener_errors),
	        cmocka_unit_test(
	                test_stale_socket_is_replaced_and_live_one_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
