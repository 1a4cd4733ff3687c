/*
 * The event thread (clients, fan-out, timers) and the watcher threads
 * (one IMAP connection each). See live.h for the model.
 *
 * Ownership: the event thread alone creates, links, unlinks and frees
 * clients and watchers. A watcher thread reads its own immutable fields
 * and touches only w->stop, w->pending and w->exited, under s->lock; it
 * reports through s->wake (a pipe the event thread polls). The event
 * thread wakes a watcher through w->wake. Nothing does I/O under s->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "live.h"
#include "config/config.h"
#include "http/http.h"
#include "imap/imap.h"
#include "session/session.h"
#include "store/store.h"
#include "core/banned.h"

#define PEND_READY 0x1u
#define PEND_CHANGE 0x2u
#define PEND_FAILED 0x4u

#define RETRY_MS 5000        /* SSE "retry:" sent to browsers */
#define CLOSE_LINGER_MS 2000 /* wait for the peer's FIN after ours */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define OVERFLOW_SLOTS 64 /* sockets past max_clients, told 503 */
#define POLL_MAX_MS 5000

struct watcher {
	struct watcher *next;
	struct live_server *srv;
	/* immutable while the thread runs */
	char *key;    /* the session's user: shared by all their sessions */
	char *ukey;   /* the user lower-cased, for the per-user caps */
	char *folder; /* UTF-8, INBOX in capitals */
	char *login;  /* IMAP user name */
	char *password;
	size_t password_len;
	struct config *cfg; /* reference: dom points into it */
	const struct config_domain *dom;
	int wake[2]; /* event thread -> watcher */
	pthread_t thread;
	/* event thread only */
	unsigned nclients;
	uint64_t empty_since; /* ms; 0 while it has streams */
	bool stopping;        /* asked to stop or failed: no new streams */
	bool ready;           /* the folder is being watched */
	/* under srv->lock */
	bool stop;
	unsigned pending;
	bool exited;
};

enum client_state { CL_HEAD, CL_STREAM, CL_CLOSING, CL_DEAD };

struct client {
	struct client *next;
	int fd;
	enum client_state state;
	char *head; /* LIVE_HEAD_MAX bytes while in CL_HEAD */
	size_t head_len;
	char *out;
	size_t out_len, out_off, out_cap;
	uint64_t deadline; /* head timeout, linger end or stream end */
	uint64_t next_ping;
	struct watcher *w;
	/* CL_STREAM: whose stream, for the caps and the session recheck */
	char *sess_hash;
	char *ukey;
	uint64_t next_check; /* the session is looked up again then */
	unsigned check_ms;
	bool shut;     /* our side shut down (CL_CLOSING) */
	bool overflow; /* accepted past max_clients */
};

struct live_server {
	struct live_opts o;
	char *listen;
	char *unix_path; /* to unlink at stop; NULL for TCP */
	int listen_fd;
	int wake[2]; /* watchers and stop -> event thread */
	pthread_t thread;
	pthread_mutex_t lock;
	atomic_bool stop;
	atomic_bool recheck; /* sessions ended: check every stream now */
	atomic_uint n_clients, n_streams, n_watchers;
	/* event thread only */
	struct client *clients;
	struct watcher *watchers;
	unsigned overflow;
	struct store *store;
	struct arena *arena;
};

/* ---- small helpers ------------------------------------------------------- */

static void
poke(int fd)
{
	ssize_t r;

	/* A full pipe is already readable: the byte is not needed. */
	r = write(fd, "x", 1);
	(void)r;
}

static void
drain(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static uint64_t
now_ms(void)
{
	return pt_now_ms_monotonic();
}

/* ---- watcher thread ------------------------------------------------------ */

static bool
watcher_should_stop(struct watcher *w)
{
	bool stop;

	pthread_mutex_lock(&w->srv->lock);
	stop = w->stop;
	pthread_mutex_unlock(&w->srv->lock);
	return stop;
}

static void
watcher_post(struct watcher *w, unsigned bits)
{
	pthread_mutex_lock(&w->srv->lock);
	w->pending |= bits;
	pthread_mutex_unlock(&w->srv->lock);
	poke(w->srv->wake[1]);
}

/* Sleep ms, or less when woken. */
static void
watcher_sleep(struct watcher *w, int ms)
{
	struct pollfd pfd = {.fd = w->wake[0], .events = POLLIN};

	(void)poll(&pfd, 1, ms);
	drain(w->wake[0]);
}

static int
watcher_open(struct watcher *w, struct arena *a, struct imap_conn **c_r,
             struct perr *err)
{
	struct imap_mailbox_status st;
	struct imap_conn *c = NULL;

	if (imap_connect(w->dom, a, &c, err) != 0)
		return -1;
	if (imap_login(c, w->login, w->password, err) != 0 ||
	    imap_select(c, w->folder, true, &st, err) != 0) {
		/* err->msg lives in c: copy it before c goes. */
		err->msg = arena_strdup(a, err->msg != NULL ? err->msg : "");
		imap_conn_destroy(&c);
		return -1;
	}
	*c_r = c;
	return 0;
}

static void *
watcher_main(void *arg)
{
	struct watcher *w = arg;
	struct live_server *s = w->srv;
	struct arena *a = arena_create("live-watcher", 4096, 256 * 1024);
	struct imap_conn *c = NULL;
	struct perr err;
	int backoff = BACKOFF_MIN_MS, timeout, r;
	bool first = true, changed;

	while (!watcher_should_stop(w)) {
		arena_reset(a);
		perr_clear(&err);
		if (c == NULL) {
			if (watcher_open(w, a, &c, &err) != 0) {
				/* Retrying cannot fix these: tell the streams.
				 */
				if (err.kind == PERR_AUTH ||
				    err.kind == PERR_NOTFOUND ||
				    err.kind == PERR_INPUT) {
					log_info(
					        "live: cannot watch folder: %s",
					        err.msg);
					watcher_post(w, PEND_FAILED);
					break;
				}
				log_debug("live: IMAP connect failed, retry in "
				          "%d ms: %s",
				          backoff, err.msg);
				watcher_sleep(w, backoff);
				backoff = backoff * 2 > BACKOFF_MAX_MS
				                  ? BACKOFF_MAX_MS
				                  : backoff * 2;
				continue;
			}
			/* After a reconnect, changes may have been missed. */
			watcher_post(w, first ? PEND_READY
			                      : PEND_READY | PEND_CHANGE);
			first = false;
		}
		timeout = imap_has_cap(c, IMAP_CAP_IDLE)
		                  ? (int)s->o.idle_restart_s * 1000
		                  : (int)s->o.poll_s * 1000;
		r = imap_idle_wait(c, timeout, w->wake[0], &changed, &err);
		if (r < 0) {
			log_debug("live: IMAP wait failed: %s", err.msg);
			imap_conn_destroy(&c);
			/* A server that fails IDLE at once must not spin us. */
			watcher_sleep(w, backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
			                                       : backoff * 2;
			continue;
		}
		backoff = BACKOFF_MIN_MS;
		if (changed)
			watcher_post(w, PEND_CHANGE);
		if (r == 1)
			drain(w->wake[0]);
	}
	if (c != NULL) {
		imap_logout(c);
		imap_conn_destroy(&c);
	}
	arena_destroy(&a);
	pthread_mutex_lock(&s->lock);
	w->exited = true;
	pthread_mutex_unlock(&s->lock);
	poke(s->wake[1]);
	return NULL;
}

static void
watcher_free(struct watcher *w)
{
	if (w->password != NULL) {
		OPENSSL_cleanse(w->password, w->password_len);
		free(w->password);
	}
	free(w->key);
	free(w->ukey);
	free(w->folder);
	free(w->login);
	config_unref(&w->cfg);
	if (w->wake[0] >= 0)
		close(w->wake[0]);
	if (w->wake[1] >= 0)
		close(w->wake[1]);
	free(w);
}

static void
watcher_signal_stop(struct watcher *w)
{
	pthread_mutex_lock(&w->srv->lock);
	w->stop = true;
	pthread_mutex_unlock(&w->srv->lock);
	w->stopping = true;
	poke(w->wake[1]);
}

/* The user lower-cased: "Alice@x" and "alice@x" share one set of caps. */
static char *
user_key(const char *user)
{
	char *k = pt_xstrdup(user), *p;

	for (p = k; *p != '\0'; p++)
		*p = pt_ascii_tolower(*p);
	return k;
}

/*
 * A new watcher for the session's folder. The password is decrypted here,
 * once, and kept for reconnects until the watcher ends.
 */
static struct watcher *
watcher_create(struct live_server *s, struct config *cfg,
               const struct session *sess, const char *folder, struct perr *err)
{
	struct strv user, domain, email;
	const struct config_domain *dom;
	struct watcher *w;
	char *login;
	struct sbuf pw;
	struct arena *a = s->arena;

	if (config_login_split(cfg, strv_from_cstr(sess->user), a, &user,
	                       &domain, &email, err) != 0)
		return NULL;
	dom = config_domain_for(cfg, domain);
	if (dom->disabled) {
		perr_set(err, a, PERR_FORBIDDEN, "domain disabled");
		return NULL;
	}
	sbuf_init(&pw, NULL, 0, 4096);
	pw.secret = 1;
	if (session_password(sess, &pw, err) != 0) {
		sbuf_free(&pw);
		return NULL;
	}
	w = pt_xcalloc(1, sizeof(*w));
	w->srv = s;
	w->wake[0] = w->wake[1] = -1;
	w->password = pt_xstrndup(sbuf_cstr(&pw), pw.len);
	w->password_len = pw.len;
	sbuf_free(&pw);
	w->key = pt_xstrdup(sess->user);
	w->ukey = user_key(sess->user);
	w->folder = pt_xstrdup(folder);
	login = config_domain_login(dom, false, strv_from_cstr(sess->user), a);
	w->login = pt_xstrdup(login != NULL ? login : sess->user);
	w->cfg = config_ref(cfg);
	w->dom = dom;
	if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		perr_set(err, a, PERR_INTERNAL, "pipe: %s", strerror(errno));
		watcher_free(w);
		return NULL;
	}
	if (pthread_create(&w->thread, NULL, watcher_main, w) != 0) {
		perr_set(err, a, PERR_INTERNAL, "cannot start a watcher");
		watcher_free(w);
		return NULL;
	}
	w->next = s->watchers;
	s->watchers = w;
	atomic_fetch_add(&s->n_watchers, 1);
	return w;
}

static struct watcher *
watcher_find(struct live_server *s, const char *key, const char *folder)
{
	struct watcher *w;

	for (w = s->watchers; w != NULL; w = w->next) {
		if (!w->stopping && strcmp(w->key, key) == 0 &&
		    strcmp(w->folder, folder) == 0)
			return w;
	}
	return NULL;
}

/* ---- clients ------------------------------------------------------------- */

static void
client_detach(struct live_server *s, struct client *c)
{
	if (c->w == NULL)
		return;
	if (--c->w->nclients == 0)
		c->w->empty_since = now_ms();
	c->w = NULL;
	atomic_fetch_sub(&s->n_streams, 1);
}

static void
client_kill(struct live_server *s, struct client *c)
{
	if (c->state == CL_DEAD)
		return;
	client_detach(s, c);
	c->state = CL_DEAD;
}

/* Queue bytes; false (and the client is dropped) past LIVE_OUT_MAX. */
static bool
client_queue(struct live_server *s, struct client *c, struct strv data)
{
	size_t need;

	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	need = c->out_len + data.len;
	if (need > LIVE_OUT_MAX) {
		client_kill(s, c);
		return false;
	}
	if (need > c->out_cap) {
		c->out_cap = need < 1024 ? 1024 : need * 2;
		if (c->out_cap > LIVE_OUT_MAX)
			c->out_cap = LIVE_OUT_MAX;
		c->out = pt_xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, data.p, data.len);
	c->out_len += data.len;
	return true;
}

static void
client_flush(struct live_server *s, struct client *c)
{
	ssize_t n;

	while (c->state != CL_DEAD && c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else {
			/* EPIPE, ECONNRESET: the browser went away. */
			client_kill(s, c);
			return;
		}
	}
	if (c->state == CL_DEAD)
		return;
	c->out_off = c->out_len = 0;
	if (c->state == CL_CLOSING && !c->shut) {
		/* Lingering close: a close() with unread input would RST. */
		(void)shutdown(c->fd, SHUT_WR);
		c->shut = true;
	}
}

/* Stop streaming: send what is queued, then close (within the linger). */
static void
client_close_after_flush(struct live_server *s, struct client *c)
{
	client_detach(s, c);
	c->state = CL_CLOSING;
	c->deadline = now_ms() + CLOSE_LINGER_MS;
}

/* Answer with a plain-text error and close. */
static void
client_fail(struct live_server *s, struct client *c, int status,
            const char *text)
{
	struct sbuf b;

	free(c->head);
	c->head = NULL;
	client_close_after_flush(s, c);
	c->out_len = c->out_off = 0;
	sbuf_init(&b, s->arena, 256, 4096);
	live_format_error(&b, status, text);
	if (sbuf_ok(&b) && client_queue(s, c, sbuf_view(&b)))
		client_flush(s, c);
}

static void
client_event(struct live_server *s, struct client *c, const char *name)
{
	struct sbuf b;

	if (c->state != CL_STREAM)
		return;
	sbuf_init(&b, s->arena, 256, LIVE_FOLDER_MAX * 6 + 128);
	live_format_event(&b, name, c->w->folder);
	if (sbuf_ok(&b))
		(void)client_queue(s, c, sbuf_view(&b));
}

static struct config *
server_config(struct live_server *s)
{
	return s->o.config != NULL ? config_ref(s->o.config) : config_current();
}

/*
 * The caps of [limits]: streams per session and per user, folders watched
 * per user. *w_r gets the watcher the stream would share (NULL: a new one
 * is needed). False when a cap refuses the stream (answered with 429).
 */
static bool
within_caps(struct live_server *s, struct client *c, const struct config *cfg,
            const char *user, const char *folder, struct watcher **w_r)
{
	struct client *o;
	struct watcher *w, *idle = NULL;
	unsigned ns = 0, nu = 0, nw = 0;

	for (o = s->clients; o != NULL; o = o->next) {
		if (o == c || o->state != CL_STREAM)
			continue;
		if (strcmp(o->sess_hash, c->sess_hash) == 0)
			ns++;
		if (strcmp(o->ukey, c->ukey) == 0)
			nu++;
	}
	if (ns >= cfg->limits.live_streams_per_session) {
		client_fail(s, c, 429,
		            "too many live streams for this session");
		return false;
	}
	if (nu >= cfg->limits.live_streams_per_user) {
		client_fail(s, c, 429, "too many live streams for this user");
		return false;
	}
	*w_r = watcher_find(s, user, folder);
	if (*w_r != NULL)
		return true;
	for (w = s->watchers; w != NULL; w = w->next) {
		if (w->stopping || strcmp(w->ukey, c->ukey) != 0)
			continue;
		nw++;
		if (w->nclients == 0)
			idle = w;
	}
	/* A watcher lingering without streams makes room at once. */
	if (nw >= cfg->limits.live_watchers_per_user && idle != NULL) {
		watcher_signal_stop(idle);
		nw--;
	}
	if (nw >= cfg->limits.live_watchers_per_user) {
		client_fail(s, c, 429, "too many folders watched");
		return false;
	}
	return true;
}

static void
client_request(struct live_server *s, struct client *c, struct strv head)
{
	struct live_request req;
	struct session *sess = NULL;
	struct config *cfg = NULL;
	struct watcher *w;
	struct perr err;
	struct sbuf b;
	uint64_t now = now_ms(), life;
	int64_t left;

	arena_reset(s->arena);
	perr_clear(&err);
	if (live_parse_request(head, s->arena, &req, &err) != 0) {
		client_fail(s, c, http_status_of_error(err.kind), err.msg);
		return;
	}
	if (!req.has_cookie || req.cookie.len == 0) {
		client_fail(s, c, 401, "not signed in");
		return;
	}
	cfg = server_config(s);
	if (cfg == NULL) {
		client_fail(s, c, 503, "not configured");
		return;
	}
	if (s->store == NULL &&
	    store_open(cfg->paths.db_path, &s->store, s->arena, &err) != 0) {
		log_warn("live: cannot open the store: %s", err.msg);
		client_fail(s, c, 503, "try again later");
		goto out;
	}
	/*
	 * Peek, not load: EventSource reopens a stream by itself, and that
	 * must not count as the user being active (last_seen).
	 */
	if (session_peek(s->store, req.cookie, pt_now_unix(), s->arena, &sess,
	                 &err) != 0) {
		if (err.kind == PERR_AUTH) {
			client_fail(s, c, 401, "not signed in");
		} else {
			log_warn("live: session lookup failed: %s", err.msg);
			client_fail(s, c, 503, "try again later");
		}
		goto out;
	}
	c->sess_hash = pt_xstrdup(sess->id_hash);
	c->ukey = user_key(sess->user);
	if (!within_caps(s, c, cfg, sess->user, req.folder, &w))
		goto out;
	if (w == NULL)
		w = watcher_create(s, cfg, sess, req.folder, &err);
	if (w == NULL) {
		client_fail(s, c, http_status_of_error(err.kind),
		            "cannot watch");
		goto out;
	}
	free(c->head);
	c->head = NULL;
	c->w = w;
	c->check_ms = cfg->limits.live_session_check * 1000u;
	c->next_check = now + c->check_ms;
	w->nclients++;
	w->empty_since = 0;
	atomic_fetch_add(&s->n_streams, 1);
	c->state = CL_STREAM;
	c->next_ping = now + s->o.heartbeat_s * 1000ull;
	life = s->o.stream_max_s;
	left = sess->expires - pt_now_unix();
	if (left < 1)
		left = 1;
	if ((uint64_t)left < life)
		life = (uint64_t)left;
	c->deadline = now + life * 1000;
	sbuf_init(&b, s->arena, 256, 1024);
	live_format_stream_head(&b, RETRY_MS);
	if (sbuf_ok(&b) && client_queue(s, c, sbuf_view(&b)) && w->ready)
		client_event(s, c, "ready");
	client_flush(s, c);
out:
	config_unref(&cfg);
}

static void
client_read(struct live_server *s, struct client *c)
{
	char buf[512];
	ssize_t n;
	size_t len;

	if (c->state != CL_HEAD) {
		/* Nothing is expected: data is dropped, EOF ends the client. */
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			client_kill(s, c);
		return;
	}
	n = recv(c->fd, c->head + c->head_len, LIVE_HEAD_MAX - c->head_len,
	         MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_kill(s, c);
		return;
	}
	if (n < 0)
		return;
	c->head_len += (size_t)n;
	len = live_head_length((struct strv){c->head, c->head_len});
	if (len > 0)
		client_request(s, c, (struct strv){c->head, len});
	else if (c->head_len == LIVE_HEAD_MAX)
		client_fail(s, c, 431, "request head too large");
}

static void
client_accept(struct live_server *s)
{
	struct client *c;
	int fd;

	for (;;) {
		fd = accept4(s->listen_fd, NULL, NULL,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or EMFILE: poll will tell again */
		c = pt_xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->next = s->clients;
		s->clients = c;
		atomic_fetch_add(&s->n_clients, 1);
		if (atomic_load(&s->n_clients) > s->o.max_clients) {
			if (s->overflow >= OVERFLOW_SLOTS) {
				c->state = CL_DEAD;
				continue;
			}
			s->overflow++;
			c->overflow = true;
			client_fail(s, c, 503, "too many live streams");
			continue;
		}
		c->state = CL_HEAD;
		c->head = pt_xmalloc(LIVE_HEAD_MAX);
		c->deadline = now_ms() + LIVE_HEAD_TIMEOUT_MS;
	}
}

static void
clients_sweep(struct live_server *s)
{
	struct client **cp = &s->clients, *c;

	while ((c = *cp) != NULL) {
		if (c->state != CL_DEAD) {
			cp = &c->next;
			continue;
		}
		*cp = c->next;
		client_detach(s, c);
		if (c->overflow)
			s->overflow--;
		close(c->fd);
		free(c->head);
		free(c->out);
		free(c->sess_hash);
		free(c->ukey);
		free(c);
		atomic_fetch_sub(&s->n_clients, 1);
	}
}

/* ---- event thread -------------------------------------------------------- */

/* Hand what the watchers reported to their streams. */
static void
watchers_collect(struct live_server *s)
{
	struct watcher *w, **wp;
	struct client *c;
	unsigned pend;
	bool exited;

	for (w = s->watchers; w != NULL; w = w->next) {
		pthread_mutex_lock(&s->lock);
		pend = w->pending;
		w->pending = 0;
		pthread_mutex_unlock(&s->lock);
		if (pend == 0)
			continue;
		if (pend & PEND_READY)
			w->ready = true;
		if (pend & PEND_FAILED)
			w->stopping = true;
		for (c = s->clients; c != NULL; c = c->next) {
			if (c->w != w || c->state != CL_STREAM)
				continue;
			if (pend & PEND_READY)
				client_event(s, c, "ready");
			if (pend & PEND_CHANGE)
				client_event(s, c, "change");
			if (pend & PEND_FAILED) {
				client_event(s, c, "failed");
				client_close_after_flush(s, c);
			}
			client_flush(s, c);
		}
	}
	/* Join the watchers that ended (their threads are done). */
	wp = &s->watchers;
	while ((w = *wp) != NULL) {
		pthread_mutex_lock(&s->lock);
		exited = w->exited;
		pthread_mutex_unlock(&s->lock);
		if (!exited || w->nclients > 0) {
			wp = &w->next;
			continue;
		}
		*wp = w->next;
		pthread_join(w->thread, NULL);
		watcher_free(w);
		atomic_fetch_sub(&s->n_watchers, 1);
	}
}

/*
 * Is the stream's session still there? Logout and the admin's "end
 * session" delete the row; idle and absolute expiry count too. Only
 * reads: a stream must not keep its session alive. A store error keeps
 * the stream (the next check tries again).
 */
static void
check_session(struct live_server *s, struct client *c, uint64_t now)
{
	struct perr err;

	c->next_check = now + c->check_ms;
	arena_reset(s->arena);
	perr_clear(&err);
	if (session_alive(s->store, c->sess_hash, pt_now_unix(), s->arena,
	                  &err) == 0)
		return;
	if (err.kind != PERR_AUTH) {
		log_warn("live: session check failed: %s", err.msg);
		return;
	}
	/* EventSource reconnects, gets 401 and gives up. */
	client_close_after_flush(s, c);
	client_flush(s, c);
}

/* Timeouts, heartbeats, stream ends, watcher grace; next wake-up in ms. */
static int
run_timers(struct live_server *s, uint64_t now)
{
	static const struct strv ping = STRV_LIT(": ping\n\n");
	uint64_t next = now + POLL_MAX_MS;
	struct watcher *w;
	struct client *c;

	for (c = s->clients; c != NULL; c = c->next) {
		if (c->state == CL_DEAD)
			continue;
		if (c->deadline != 0 && now >= c->deadline) {
			if (c->state == CL_HEAD)
				client_fail(s, c, 408, "request timeout");
			else
				client_kill(s, c);
			continue;
		}
		if (c->state == CL_STREAM && now >= c->next_check) {
			check_session(s, c, now);
			if (c->state != CL_STREAM)
				continue;
		}
		if (c->state == CL_STREAM && now >= c->next_ping) {
			if (client_queue(s, c, ping))
				client_flush(s, c);
			c->next_ping = now + s->o.heartbeat_s * 1000ull;
		}
		if (c->deadline != 0 && c->deadline < next)
			next = c->deadline;
		if (c->state == CL_STREAM && c->next_ping < next)
			next = c->next_ping;
		if (c->state == CL_STREAM && c->next_check < next)
			next = c->next_check;
	}
	for (w = s->watchers; w != NULL; w = w->next) {
		if (w->stopping || w->nclients > 0)
			continue;
		if (now >= w->empty_since + s->o.grace_s * 1000ull)
			watcher_signal_stop(w);
		else if (w->empty_since + s->o.grace_s * 1000ull < next)
			next = w->empty_since + s->o.grace_s * 1000ull;
	}
	return next > now ? (int)(next - now) : 0;
}

static void
event_shutdown(struct live_server *s)
{
	struct watcher *w;
	struct client *c;

	for (c = s->clients; c != NULL; c = c->next)
		client_kill(s, c);
	clients_sweep(s);
	for (w = s->watchers; w != NULL; w = w->next)
		watcher_signal_stop(w);
	while ((w = s->watchers) != NULL) {
		s->watchers = w->next;
		pthread_join(w->thread, NULL);
		watcher_free(w);
		atomic_fetch_sub(&s->n_watchers, 1);
	}
	store_close(&s->store);
}

static void *
event_main(void *arg)
{
	struct live_server *s = arg;
	size_t cap = s->o.max_clients + OVERFLOW_SLOTS + 2, n, i;
	struct pollfd *pfd = pt_xcalloc(cap, sizeof(*pfd));
	struct client **map = pt_xcalloc(cap, sizeof(*map));
	struct client *c;
	int timeout, r;

	while (!atomic_load(&s->stop)) {
		if (atomic_exchange(&s->recheck, false)) {
			for (c = s->clients; c != NULL; c = c->next)
				c->next_check = 0;
		}
		timeout = run_timers(s, now_ms());
		clients_sweep(s);
		pfd[0] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		n = 2;
		for (c = s->clients; c != NULL && n < cap; c = c->next) {
			pfd[n].fd = c->fd;
			pfd[n].events = POLLIN;
			if (c->out_off < c->out_len)
				pfd[n].events |= POLLOUT;
			pfd[n].revents = 0;
			map[n++] = c;
		}
		r = poll(pfd, n, timeout);
		if (r < 0 && errno != EINTR) {
			log_error("live: poll: %s", strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		if (pfd[0].revents != 0) {
			drain(s->wake[0]);
			watchers_collect(s);
		}
		for (i = 2; i < n; i++) {
			c = map[i];
			if (c->state == CL_DEAD || pfd[i].revents == 0)
				continue;
			if (pfd[i].revents & POLLOUT)
				client_flush(s, c);
			if (c->state != CL_DEAD &&
			    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				client_read(s, c);
		}
		if (pfd[1].revents != 0)
			client_accept(s);
	}
	free(pfd);
	free(map);
	event_shutdown(s);
	return NULL;
}

/* ---- sessions ended elsewhere in the process --------------------------------
 */

/*
 * session_set_end_hook() target. The lock makes the server pointer safe
 * to use here while live_server_stop() clears it.
 */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static struct live_server *hook_server;

static void
on_session_end(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&hook_lock);
	if (hook_server != NULL) {
		atomic_store(&hook_server->recheck, true);
		poke(hook_server->wake[1]);
	}
	pthread_mutex_unlock(&hook_lock);
}

/* ---- listening ----------------------------------------------------------- */

static int
listen_unix(struct live_server *s, const char *path, struct arena *a,
            struct perr *err)
{
	struct sockaddr_un sun;
	struct stat st;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path != '/' ||
	    !pt_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)))
		return perr_set(err, a, PERR_INPUT,
		                "unix socket path must be absolute and short");
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return perr_set(err, a, PERR_INPUT,
			                "%s exists and is not a socket", path);
		(void)unlink(path); /* stale from an earlier run */
	}
	s->listen_fd =
	        socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 ||
	    bind(s->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		return perr_set(err, a, PERR_INTERNAL, "bind %s: %s", path,
		                strerror(errno));
	s->unix_path = pt_xstrdup(path);
	if (chmod(path, s->o.unix_mode) != 0)
		return perr_set(err, a, PERR_INTERNAL, "chmod %s: %s", path,
		                strerror(errno));
	return 0;
}

static int
listen_tcp(struct live_server *s, const char *spec, struct arena *a,
           struct perr *err)
{
	struct addrinfo hints, *res = NULL;
	char *host, *port;
	const char *colon = strrchr(spec, ':');
	int one = 1, r;

	if (colon == NULL || colon == spec || colon[1] == '\0')
		return perr_set(err, a, PERR_INPUT,
		                "listen: want unix:/path or host:port");
	host = arena_strndup(a, spec, (size_t)(colon - spec));
	port = arena_strdup(a, colon + 1);
	if (host == NULL || port == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		host++;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return perr_set(err, a, PERR_INPUT, "listen %s: %s", spec,
		                gai_strerror(r));
	s->listen_fd = socket(res->ai_family,
	                      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 ||
	    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	               sizeof(one)) != 0 ||
	    bind(s->listen_fd, res->ai_addr, res->ai_addrlen) != 0) {
		freeaddrinfo(res);
		return perr_set(err, a, PERR_INTERNAL, "bind %s: %s", spec,
		                strerror(errno));
	}
	freeaddrinfo(res);
	return 0;
}

static void
server_free(struct live_server *s)
{
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->unix_path != NULL)
		(void)unlink(s->unix_path);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	config_unref(&s->o.config);
	arena_destroy(&s->arena);
	pthread_mutex_destroy(&s->lock);
	free(s->unix_path);
	free(s->listen);
	free(s);
}

struct live_server *
live_server_start(const struct live_opts *o, struct arena *a, struct perr *err)
{
	struct live_server *s;
	int r;

	if (o->listen == NULL || *o->listen == '\0') {
		perr_set(err, a, PERR_INPUT, "no listen address");
		return NULL;
	}
	s = pt_xcalloc(1, sizeof(*s));
	s->o = *o;
	s->listen = pt_xstrdup(o->listen);
	s->o.listen = s->listen;
	s->o.config = o->config != NULL ? config_ref(o->config) : NULL;
	if (s->o.unix_mode == 0)
		s->o.unix_mode = 0660;
	if (s->o.max_clients == 0)
		s->o.max_clients = 512;
	if (s->o.heartbeat_s == 0)
		s->o.heartbeat_s = 25;
	if (s->o.idle_restart_s == 0)
		s->o.idle_restart_s = 25 * 60;
	if (s->o.poll_s == 0)
		s->o.poll_s = 20;
	if (s->o.grace_s == 0)
		s->o.grace_s = 10;
	if (s->o.stream_max_s == 0)
		s->o.stream_max_s = 600;
	s->listen_fd = s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->arena = arena_create("live", 16 * 1024, 1024 * 1024);

	if (strncmp(o->listen, "unix:", 5) == 0)
		r = listen_unix(s, o->listen + 5, a, err);
	else
		r = listen_tcp(s, o->listen, a, err);
	if (r == 0 && listen(s->listen_fd, 128) != 0)
		r = perr_set(err, a, PERR_INTERNAL, "listen: %s",
		             strerror(errno));
	if (r == 0 && pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) != 0)
		r = perr_set(err, a, PERR_INTERNAL, "pipe: %s",
		             strerror(errno));
	if (r == 0 && pthread_create(&s->thread, NULL, event_main, s) != 0)
		r = perr_set(err, a, PERR_INTERNAL,
		             "cannot start the event thread");
	if (r != 0) {
		server_free(s);
		return NULL;
	}
	pthread_mutex_lock(&hook_lock);
	hook_server = s;
	pthread_mutex_unlock(&hook_lock);
	session_set_end_hook(on_session_end, NULL);
	return s;
}

void
live_server_stop(struct live_server **sp)
{
	struct live_server *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	*sp = NULL;
	pthread_mutex_lock(&hook_lock);
	if (hook_server == s)
		hook_server = NULL;
	pthread_mutex_unlock(&hook_lock);
	atomic_store(&s->stop, true);
	poke(s->wake[1]);
	pthread_join(s->thread, NULL);
	server_free(s);
}

void
live_server_get_stats(struct live_server *s, struct live_stats *st_r)
{
	st_r->clients = atomic_load(&s->n_clients);
	st_r->streams = atomic_load(&s->n_streams);
	st_r->watchers = atomic_load(&s->n_watchers);
}
