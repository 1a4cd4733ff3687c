/*
 * live against the real Dovecot of tests/harness/mailstack.py: a stream
 * gets `change` when mail is delivered, bad cookies get 401, 50 streams
 * of one session share one watcher and the server stays responsive, and
 * stopping the server closes every stream.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "config/config.h"
#include "imap/imap.h"
#include "live/live.h"
#include "session/session.h"
#include "store/store.h"
#include "stack.h"
#include "core/banned.h"

#define USER "alice@example.test"
#define SUBJECT "petrel-live-probe"
#define NSTREAMS 50
#define EVENT_WAIT_MS 15000

static struct arena *A;
static char dir[64];
static char sock_path[128];
static struct config *cfg;
static struct store *st;
static char *cookie;

static struct live_server *
start_server(void)
{
	struct live_opts o;
	struct live_server *s;
	struct perr err;

	memset(&o, 0, sizeof(o));
	o.listen = arena_printf(A, "unix:%s", sock_path);
	o.config = cfg;
	o.max_clients = 200;
	o.heartbeat_s = 2;
	o.grace_s = 1;
	s = live_server_start(&o, A, &err);
	if (s == NULL)
		fail_msg("live_server_start: %s", err.msg);
	return s;
}

static void
write_limits(unsigned per_session, unsigned per_user, unsigned watchers,
             unsigned check_s)
{
	const char *path = arena_printf(
	        A, "%s/_data_/_default_/configs/application.ini", dir);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f,
	        "[limits]\nlive_streams_per_session = %u\n"
	        "live_streams_per_user = %u\nlive_watchers_per_user = %u\n"
	        "live_session_check = %u\n",
	        per_session, per_user, watchers, check_s);
	fclose(f);
}

static char *
new_session(struct session **sess_r)
{
	struct session_opts so = {1800, 3600, false};
	struct perr err;
	char *c, *csrf;

	if (session_create(st, USER, strv_from_cstr(stack_password(USER)),
	                   "127.0.0.1", "itest", pt_now_unix(), &so, A, sess_r,
	                   &c, &csrf, &err) != 0)
		fail_msg("session: %s", err.msg);
	return c;
}

static int
setup(void **state)
{
	struct session_opts so = {1800, 3600, false};
	struct session *sess;
	struct perr err;
	char *csrf;
	const char *ini;
	FILE *f;

	(void)state;
	A = arena_create("itest", 64 * 1024, 0);
	assert_true(pt_strlcpy(dir, "/tmp/petrel-live-XXXXXX", sizeof(dir)));
	assert_non_null(mkdtemp(dir));
	assert_true(pt_snprintf_ok(sock_path, sizeof(sock_path),
	                           "%s/events.sock", dir));
	if (config_layout_create(dir, A, &err) != 0)
		fail_msg("layout: %s", err.msg);
	ini = arena_printf(A, "%s/_data_/_default_/domains/default.ini", dir);
	f = fopen(ini, "w");
	assert_non_null(f);
	fprintf(f,
	        "imap_host = \"%s\"\nimap_port = %u\nimap_secure = \"None\"\n",
	        stack_get("MAILSTACK_HOST"), stack_port("IMAP_PORT"));
	fclose(f);
	/*
	 * Room for the fifty-stream test; a session check every 5 s (the
	 * logout test tells the hook's prompt end from it).
	 */
	write_limits(50 + 14, 50 + 14, 5, 5);
	if (config_load(dir, NULL, NULL, &cfg, A, &err) != 0)
		fail_msg("config: %s", err.msg);
	if (cfg->default_domain->imap_port != stack_port("IMAP_PORT"))
		fail_msg("default.ini keys not understood");
	if (store_open(cfg->paths.db_path, &st, A, &err) != 0)
		fail_msg("store: %s", err.msg);
	if (session_create(st, USER, strv_from_cstr(stack_password(USER)),
	                   "127.0.0.1", "itest", pt_now_unix(), &so, A, &sess,
	                   &cookie, &csrf, &err) != 0)
		fail_msg("session: %s", err.msg);
	return 0;
}

/* Remove the probe messages so other tests see alice's INBOX unchanged. */
static void
remove_probes(void)
{
	struct imap_list_query q = {
	        .limit = 500, .search = "subject:" SUBJECT, .no_preview = true};
	struct imap_msg_page page;
	struct imap_conn *c = NULL;
	struct perr err;
	uint32_t *uids;
	size_t i;

	if (imap_connect(cfg->default_domain, A, &c, &err) != 0 ||
	    imap_login(c, USER, stack_password(USER), &err) != 0 ||
	    imap_list_messages(c, "INBOX", &q, A, &page, &err) != 0) {
		imap_conn_destroy(&c);
		return;
	}
	uids = arena_new_array(A, uint32_t, page.n + 1);
	for (i = 0; i < page.n; i++)
		uids[i] = page.rows[i].uid;
	if (page.n > 0 &&
	    imap_delete_messages(c, "INBOX", uids, page.n, true, A, &err) != 0)
		print_message("cleanup: %s\n", err.msg);
	imap_logout(c);
	imap_conn_destroy(&c);
}

static int
teardown(void **state)
{
	char *cmd;

	(void)state;
	remove_probes();
	store_close(&st);
	config_unref(&cfg);
	cmd = arena_printf(A, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		print_message("cannot remove %s\n", dir);
	arena_destroy(&A);
	return 0;
}

static int
connect_sock(void)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(pt_strlcpy(sun.sun_path, sock_path, sizeof(sun.sun_path)));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		fail_msg("connect: %s", strerror(errno));
	return fd;
}

static void
send_all(int fd, const char *s)
{
	size_t n = strlen(s), off = 0;
	ssize_t r;

	while (off < n) {
		r = send(fd, s + off, n - off, MSG_NOSIGNAL);
		if (r <= 0)
			fail_msg("send: %s", strerror(errno));
		off += (size_t)r;
	}
}

/* One accumulating reader per socket. */
struct conn {
	int fd;
	char buf[16384];
	size_t len;
	bool eof;
};

static void
conn_open(struct conn *c, const char *cookie_value, const char *query)
{
	memset(c, 0, sizeof(*c));
	c->fd = connect_sock();
	send_all(c->fd, arena_printf(A,
	                             "GET /events%s HTTP/1.0\r\nHost: x\r\n"
	                             "Cookie: other=1; petrel_session=%s\r\n"
	                             "\r\n",
	                             query, cookie_value));
}

/* Read until needle shows up after *from (or EOF/timeout). */
static bool
conn_wait_for(struct conn *c, const char *needle, int timeout_ms)
{
	uint64_t end = pt_now_ms_monotonic() + (uint64_t)timeout_ms;
	struct pollfd pfd;
	ssize_t n;

	for (;;) {
		c->buf[c->len] = '\0';
		if (strstr(c->buf, needle) != NULL)
			return true;
		if (c->eof || pt_now_ms_monotonic() >= end)
			return false;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (c->len + 1 >= sizeof(c->buf)) {
			/* Keep the tail: events are short. */
			memmove(c->buf, c->buf + c->len / 2,
			        c->len - c->len / 2);
			c->len -= c->len / 2;
		}
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
		         0);
		if (n <= 0)
			c->eof = true;
		else
			c->len += (size_t)n;
	}
}

static bool
conn_wait_eof(struct conn *c, int timeout_ms)
{
	(void)conn_wait_for(c, "\x01never\x01", timeout_ms);
	return c->eof;
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
}

static void
deliver(void)
{
	char path[128];
	FILE *f;
	char *cmd;

	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/probe.eml", dir));
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
	        "From: probe@example.org\nTo: " USER "\nSubject: " SUBJECT
	        "\nMessage-ID: <%u.live@test>\n\nhello\n",
	        (unsigned)rand());
	fclose(f);
	cmd = arena_printf(A,
	                   "python3 '%s/tests/harness/mailstack.py' deliver "
	                   "--dir '%s' --to " USER " '%s' >/dev/null",
	                   getenv("PETREL_SOURCE_DIR"),
	                   getenv("PETREL_MAILSTACK_DIR"), path);
	if (system(cmd) != 0)
		fail_msg("deliver failed: %s", cmd);
}

static void
test_bad_cookie_gets_401(void **state)
{
	struct live_server *s = start_server();
	struct conn c;

	(void)state;
	conn_open(&c, "deadbeef.bogus", "");
	assert_true(conn_wait_for(&c, "\r\n\r\n", 5000));
	assert_true(strncmp(c.buf, "HTTP/1.1 401 ", 13) == 0);
	assert_true(conn_wait_eof(&c, 5000));
	conn_close(&c);

	/* No cookie at all. */
	memset(&c, 0, sizeof(c));
	c.fd = connect_sock();
	send_all(c.fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(conn_wait_for(&c, "\r\n\r\n", 5000));
	assert_true(strncmp(c.buf, "HTTP/1.1 401 ", 13) == 0);
	conn_close(&c);

	/* Not /events. */
	memset(&c, 0, sizeof(c));
	c.fd = connect_sock();
	send_all(c.fd, "GET /other HTTP/1.1\r\n\r\n");
	assert_true(conn_wait_for(&c, "\r\n\r\n", 5000));
	assert_true(strncmp(c.buf, "HTTP/1.1 404 ", 13) == 0);
	conn_close(&c);
	live_server_stop(&s);
}

static void
test_delivery_sends_change(void **state)
{
	struct live_server *s = start_server();
	struct conn c;

	(void)state;
	conn_open(&c, cookie, "?folder=INBOX");
	assert_true(conn_wait_for(&c, "\r\n\r\n", 5000));
	assert_true(strncmp(c.buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(c.buf, "Content-Type: text/event-stream"));
	assert_non_null(strstr(c.buf, "X-Accel-Buffering: no"));
	assert_non_null(strstr(c.buf, "Cache-Control: no-store"));
	if (!conn_wait_for(&c, "event: ready\ndata: {\"folder\":\"INBOX\"}",
	                   EVENT_WAIT_MS))
		fail_msg("no ready event: %s", c.buf);
	deliver();
	if (!conn_wait_for(&c, "event: change\ndata: {\"folder\":\"INBOX\"}",
	                   EVENT_WAIT_MS))
		fail_msg("no change event: %s", c.buf);
	/* Heartbeats flow (heartbeat_s = 2). */
	assert_true(conn_wait_for(&c, ": ping\n\n", 5000));
	conn_close(&c);
	live_server_stop(&s);
}

static void
test_fifty_streams_share_and_stay_responsive(void **state)
{
	struct live_server *s = start_server();
	struct conn *cs = calloc(NSTREAMS, sizeof(*cs));
	struct conn extra;
	struct live_stats stats;
	uint64_t t0;
	int i;

	(void)state;
	assert_non_null(cs);
	for (i = 0; i < NSTREAMS; i++)
		conn_open(&cs[i], cookie, "");
	for (i = 0; i < NSTREAMS; i++) {
		if (!conn_wait_for(&cs[i], "event: ready", EVENT_WAIT_MS))
			fail_msg("stream %d not ready: %s", i, cs[i].buf);
	}
	live_server_get_stats(s, &stats);
	assert_int_equal(stats.streams, NSTREAMS);
	assert_int_equal(stats.watchers, 1);

	/* Another stream and a refused one are answered promptly. */
	t0 = pt_now_ms_monotonic();
	conn_open(&extra, cookie, "?folder=INBOX");
	assert_true(conn_wait_for(&extra, "HTTP/1.1 200 OK", 2000));
	assert_true(pt_now_ms_monotonic() - t0 < 2000);
	conn_close(&extra);
	conn_open(&extra, "x.y", "");
	assert_true(conn_wait_for(&extra, "HTTP/1.1 401", 2000));
	conn_close(&extra);

	deliver();
	for (i = 0; i < NSTREAMS; i++) {
		if (!conn_wait_for(&cs[i], "event: change", EVENT_WAIT_MS))
			fail_msg("stream %d got no change", i);
	}
	/* Clients that go away are removed. */
	for (i = 0; i < NSTREAMS / 2; i++)
		conn_close(&cs[i]);
	t0 = pt_now_ms_monotonic();
	do {
		live_server_get_stats(s, &stats);
		if (stats.streams == NSTREAMS - NSTREAMS / 2)
			break;
		usleep(20 * 1000);
	} while (pt_now_ms_monotonic() - t0 < 5000);
	assert_int_equal(stats.streams, NSTREAMS - NSTREAMS / 2);
	for (i = NSTREAMS / 2; i < NSTREAMS; i++)
		conn_close(&cs[i]);
	/* The watcher ends after the grace period. */
	t0 = pt_now_ms_monotonic();
	do {
		live_server_get_stats(s, &stats);
		if (stats.watchers == 0 && stats.clients == 0)
			break;
		usleep(50 * 1000);
	} while (pt_now_ms_monotonic() - t0 < 10000);
	assert_int_equal(stats.watchers, 0);
	assert_int_equal(stats.clients, 0);
	free(cs);
	live_server_stop(&s);
}

static void
test_stop_closes_streams(void **state)
{
	struct live_server *s = start_server();
	struct conn cs[3];
	uint64_t t0;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		conn_open(&cs[i], cookie, i == 2 ? "?folder=Sent" : "");
		assert_true(conn_wait_for(&cs[i], "HTTP/1.1 200 OK", 5000));
	}
	assert_true(conn_wait_for(&cs[0], "event: ready", EVENT_WAIT_MS));
	t0 = pt_now_ms_monotonic();
	live_server_stop(&s);
	assert_true(pt_now_ms_monotonic() - t0 < 5000);
	for (i = 0; i < 3; i++) {
		assert_true(conn_wait_eof(&cs[i], 2000));
		conn_close(&cs[i]);
	}
	assert_int_equal(access(sock_path, F_OK), -1);
}

static void
test_missing_folder_fails_stream(void **state)
{
	struct live_server *s = start_server();
	struct conn c;

	(void)state;
	conn_open(&c, cookie, "?folder=No%20Such%20Folder");
	assert_true(conn_wait_for(&c, "HTTP/1.1 200 OK", 5000));
	if (!conn_wait_for(
	            &c, "event: failed\ndata: {\"folder\":\"No Such Folder\"}",
	            EVENT_WAIT_MS))
		fail_msg("no failed event: %s", c.buf);
	assert_true(conn_wait_eof(&c, 5000));
	conn_close(&c);
	live_server_stop(&s);
}

static unsigned
stat_watchers(struct live_server *s)
{
	struct live_stats stats;

	live_server_get_stats(s, &stats);
	return stats.watchers;
}

static void
wait_streams(struct live_server *s, unsigned n)
{
	struct live_stats stats;
	uint64_t t0 = pt_now_ms_monotonic();

	do {
		live_server_get_stats(s, &stats);
		if (stats.streams == n)
			return;
		usleep(20 * 1000);
	} while (pt_now_ms_monotonic() - t0 < 5000);
	fail_msg("%u streams, want %u", stats.streams, n);
}

static void
expect_status(struct conn *c, const char *status_line)
{
	if (!conn_wait_for(c, "\r\n\r\n", 5000))
		fail_msg("no answer");
	if (strncmp(c->buf, status_line, strlen(status_line)) != 0)
		fail_msg("want %s, got %s", status_line, c->buf);
}

/*
 * #14 finding 3: streams per session and per user and folders watched
 * per user are capped ([limits] live_*); "inbox" and "Inbox" are INBOX;
 * the user's sessions share one watcher per folder.
 */
static void
test_caps_and_shared_watchers(void **state)
{
	struct live_opts o;
	struct live_server *s;
	struct config *small = NULL;
	struct session *sess2;
	struct conn c[3], x, d1, d2;
	struct perr err;
	char *cookie2 = new_session(&sess2);
	int i;

	(void)state;
	write_limits(3, 4, 2, 5);
	if (config_load(dir, NULL, NULL, &small, A, &err) != 0)
		fail_msg("config: %s", err.msg);
	assert_int_equal(small->limits.live_streams_per_session, 3);
	memset(&o, 0, sizeof(o));
	o.listen = arena_printf(A, "unix:%s", sock_path);
	o.config = small;
	o.grace_s = 30; /* the idle watcher must still be there below */
	s = live_server_start(&o, A, &err);
	if (s == NULL)
		fail_msg("live_server_start: %s", err.msg);

	conn_open(&c[0], cookie, "?folder=inbox");
	conn_open(&c[1], cookie, "?folder=Inbox");
	conn_open(&c[2], cookie, "?folder=INBOX");
	for (i = 0; i < 3; i++) {
		expect_status(&c[i], "HTTP/1.1 200 ");
		if (!conn_wait_for(&c[i],
		                   "event: ready\ndata: {\"folder\":\"INBOX\"}",
		                   EVENT_WAIT_MS))
			fail_msg("stream %d: %s", i, c[i].buf);
	}
	assert_int_equal(stat_watchers(s), 1);
	/* A fourth stream of the session. */
	conn_open(&x, cookie, "?folder=Sent");
	expect_status(&x, "HTTP/1.1 429 ");
	assert_non_null(strstr(x.buf, "session"));
	conn_close(&x);

	/* Another session of the same user shares nothing but the caps. */
	conn_open(&d1, cookie2, "?folder=Sent");
	expect_status(&d1, "HTTP/1.1 200 ");
	assert_true(conn_wait_for(&d1, "event: ready", EVENT_WAIT_MS));
	assert_int_equal(stat_watchers(s), 2);
	conn_open(&x, cookie2, "?folder=INBOX");
	expect_status(&x, "HTTP/1.1 429 ");
	assert_non_null(strstr(x.buf, "user"));
	conn_close(&x);

	/* Room for streams again; INBOX of session 2 joins the watcher. */
	conn_close(&c[1]);
	conn_close(&c[2]);
	wait_streams(s, 2);
	conn_open(&d2, cookie2, "?folder=iNbOx");
	expect_status(&d2, "HTTP/1.1 200 ");
	assert_true(conn_wait_for(&d2, "event: ready", EVENT_WAIT_MS));
	assert_int_equal(stat_watchers(s), 2);
	/* A third folder: both watchers have streams. */
	conn_open(&x, cookie2, "?folder=Trash");
	expect_status(&x, "HTTP/1.1 429 ");
	assert_non_null(strstr(x.buf, "folders"));
	conn_close(&x);
	/* Sent's last stream left: its lingering watcher makes room. */
	conn_close(&d1);
	wait_streams(s, 2);
	conn_open(&x, cookie2, "?folder=Trash");
	expect_status(&x, "HTTP/1.1 200 ");
	conn_close(&x);

	conn_close(&c[0]);
	conn_close(&d2);
	live_server_stop(&s);
	config_unref(&small);
	write_limits(64, 64, 5, 5);
}

static int64_t
last_seen(const struct session *sess)
{
	struct store_stmt *q = NULL;
	struct perr err;
	int64_t v = -1;

	if (store_query(st, A, &err, &q,
	                "SELECT last_seen FROM sessions WHERE id_hash = ?", "t",
	                sess->id_hash) != 0)
		fail_msg("query: %s", err.msg);
	if (store_step(q, &err) == 1)
		v = store_col_int(q, 0);
	store_finish(&q);
	return v;
}

/*
 * #14 finding 4: a stream neither keeps its session alive nor outlives
 * it: logout ends it at once (the session hook), a row deleted behind
 * the process's back (another node, the CLI) within live_session_check.
 */
static void
test_streams_end_with_their_session(void **state)
{
	struct live_server *s = start_server();
	struct session *s1, *s2;
	char *k1 = new_session(&s1), *k2 = new_session(&s2);
	int64_t old = pt_now_unix() - 120;
	struct conn c1, c2;
	struct perr err;
	uint64_t t0;

	(void)state;
	if (store_exec(st, A, &err,
	               "UPDATE sessions SET last_seen = ? WHERE id_hash = ?",
	               "It", old, s1->id_hash) < 0)
		fail_msg("update: %s", err.msg);
	conn_open(&c1, k1, "");
	expect_status(&c1, "HTTP/1.1 200 ");
	assert_true(conn_wait_for(&c1, "event: ready", EVENT_WAIT_MS));
	/* Opening the stream did not refresh last_seen. */
	assert_int_equal(last_seen(s1), old);

	conn_open(&c2, k2, "?folder=Sent");
	expect_status(&c2, "HTTP/1.1 200 ");

	/* Logout (session_destroy) ends the stream within a moment. */
	t0 = pt_now_ms_monotonic();
	if (session_destroy(st, s1, A, &err) != 0)
		fail_msg("destroy: %s", err.msg);
	if (!conn_wait_eof(&c1, 2000))
		fail_msg("stream outlived logout");
	assert_true(pt_now_ms_monotonic() - t0 < 2000);
	conn_close(&c1);
	/* Reconnecting is refused. */
	conn_open(&c1, k1, "");
	expect_status(&c1, "HTTP/1.1 401 ");
	conn_close(&c1);

	/* No hook: the periodic check (5 s here) ends it. */
	if (store_exec(st, A, &err, "DELETE FROM sessions WHERE id_hash = ?",
	               "t", s2->id_hash) < 0)
		fail_msg("delete: %s", err.msg);
	if (!conn_wait_eof(&c2, 8000))
		fail_msg("stream outlived its deleted session");
	conn_close(&c2);
	live_server_stop(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bad_cookie_gets_401),
	        cmocka_unit_test(test_delivery_sends_change),
	        cmocka_unit_test(test_fifty_streams_share_and_stay_responsive),
	        cmocka_unit_test(test_stop_closes_streams),
	        cmocka_unit_test(test_missing_folder_fails_stream),
	        cmocka_unit_test(test_caps_and_shared_watchers),
	        cmocka_unit_test(test_streams_end_with_their_session),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
