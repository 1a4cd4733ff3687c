/*
 * The connection pool: logged-in connections kept across HTTP requests,
 * shared by the sessions of one user.
 *
 * A session is bound to a user key (imap_pool_bind(): server and login
 * name, made by the caller); an unbound session is a user of its own.
 * Every connection belongs to a user, and any session of that user may
 * check it out: 25 browser sessions of one user share a few connections
 * instead of holding 25, and a new session finds one with its folder
 * already selected. Caps: max_per_user connections of a user in all
 * (Dovecot refuses more than mail_max_userip_connections, 10 by default,
 * per user and IP, and Petrel is one IP), max_per_session checked out by
 * one session at once, max_total overall. A checkout past a cap waits up
 * to wait_ms for a connection to come back. The most recently used idle
 * connection is handed out first, so the others stay idle and close:
 * after idle_timeout_s, or spare_idle_s when the user has another idle
 * one or the pool is three-quarters full.
 *
 * One mutex guards the entry list and the bindings; no network I/O
 * happens under it (connect, login, NOOP and LOGOUT run with the lock
 * released, on entries marked busy or already unlinked), so a slow server
 * never blocks other sessions. A condition variable wakes waiters when a
 * connection comes back or a slot frees up.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

#define BIND_BUCKETS 1024
/* Bindings unused this long are forgotten (re-made at the next request). */
#define BIND_IDLE_MS (3600ull * 1000)

struct pool_entry {
	struct pool_entry *next;
	struct imap_pool *pool;
	char *user;   /* the user key: who may use it */
	char *holder; /* the session that has it checked out, else NULL */
	struct imap_conn *c; /* NULL while being opened */
	bool busy;
	bool dropped; /* its user's last session went while busy */
	bool check;   /* NOOP before the next use (imapc_pool_check_others) */
	uint64_t last_used_ms;
};

struct pool_bind {
	struct pool_bind *next;
	char *session;
	char *user;
	uint64_t last_ms;
};

struct imap_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct imap_pool_settings s;
	struct pool_entry *entries;
	unsigned open; /* entries, including ones being opened */
	struct pool_bind *binds[BIND_BUCKETS];
	uint64_t binds_swept_ms;
	uint64_t reaped_ms; /* last imap_pool_reap() scan */
	struct imap_pool_stats st;
};

struct imap_pool *
imap_pool_create(const struct imap_pool_settings *s)
{
	struct imap_pool *p = pt_xcalloc(1, sizeof(*p));

	if (s != NULL)
		p->s = *s;
	if (p->s.max_total == 0)
		p->s.max_total = 200;
	if (p->s.max_per_session == 0)
		p->s.max_per_session = 3;
	if (p->s.max_per_user == 0)
		p->s.max_per_user = 4;
	if (p->s.idle_timeout_s == 0)
		p->s.idle_timeout_s = 300;
	if (p->s.spare_idle_s == 0)
		p->s.spare_idle_s = 30;
	if (p->s.noop_after_s == 0)
		p->s.noop_after_s = 30;
	if (p->s.wait_ms == 0)
		p->s.wait_ms = 2000;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;
}

static void
close_conn(struct imap_conn *c)
{
	if (c == NULL)
		return;
	imap_logout(c);
	imap_conn_destroy(&c);
}

static void
entry_free(struct pool_entry *e)
{
	free(e->user);
	free(e->holder);
	free(e);
}

/* ---- bindings (lock held) --------------------------------------------- */

static size_t
bind_bucket(const char *session)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	const unsigned char *q;

	for (q = (const unsigned char *)session; *q; q++)
		h = (h ^ *q) * 1099511628211ull;
	return (size_t)(h % BIND_BUCKETS);
}

static struct pool_bind **
bind_slot(struct imap_pool *p, const char *session)
{
	struct pool_bind **pp = &p->binds[bind_bucket(session)];

	while (*pp != NULL && strcmp((*pp)->session, session) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void
bind_free(struct pool_bind *b)
{
	free(b->session);
	free(b->user);
	free(b);
}

/* The user key of session (itself when unbound). */
static const char *
user_of(struct imap_pool *p, const char *session, uint64_t now)
{
	struct pool_bind *b = *bind_slot(p, session);

	if (b == NULL)
		return session;
	b->last_ms = now;
	return b->user;
}

static bool
user_has_sessions(struct imap_pool *p, const char *user)
{
	size_t i;
	struct pool_bind *b;

	for (i = 0; i < BIND_BUCKETS; i++)
		for (b = p->binds[i]; b != NULL; b = b->next)
			if (strcmp(b->user, user) == 0)
				return true;
	return false;
}

/* Forget bindings unused for BIND_IDLE_MS, at most once a minute. */
static void
sweep_binds(struct imap_pool *p, uint64_t now)
{
	size_t i;

	if (now - p->binds_swept_ms < 60 * 1000)
		return;
	p->binds_swept_ms = now;
	for (i = 0; i < BIND_BUCKETS; i++) {
		struct pool_bind **pp = &p->binds[i], *b;

		while ((b = *pp) != NULL) {
			if (now - b->last_ms >= BIND_IDLE_MS) {
				*pp = b->next;
				bind_free(b);
			} else {
				pp = &b->next;
			}
		}
	}
}

void
imap_pool_bind(struct imap_pool *p, const char *session_key,
               const char *user_key)
{
	struct pool_bind **pp, *b;

	if (session_key == NULL || *session_key == '\0' || user_key == NULL ||
	    *user_key == '\0')
		return;
	pthread_mutex_lock(&p->mu);
	pp = bind_slot(p, session_key);
	if ((b = *pp) == NULL) {
		b = pt_xcalloc(1, sizeof(*b));
		b->session = pt_xstrdup(session_key);
		b->user = pt_xstrdup(user_key);
		*pp = b;
	} else if (strcmp(b->user, user_key) != 0) {
		free(b->user);
		b->user = pt_xstrdup(user_key);
	}
	b->last_ms = pt_now_ms_monotonic();
	pthread_mutex_unlock(&p->mu);
}

/* ---- entries (lock held) ---------------------------------------------- */

static void
unlink_entry(struct imap_pool *p, struct pool_entry *e)
{
	struct pool_entry **pp;

	for (pp = &p->entries; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			p->open--;
			return;
		}
	}
}

void
imap_pool_destroy(struct imap_pool **pp)
{
	struct imap_pool *p;
	struct pool_entry *e, *next;
	size_t i;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	*pp = NULL;
	for (e = p->entries; e != NULL; e = next) {
		next = e->next;
		PT_ASSERT(!e->busy);
		close_conn(e->c);
		entry_free(e);
	}
	for (i = 0; i < BIND_BUCKETS; i++) {
		struct pool_bind *b, *bn;

		for (b = p->binds[i]; b != NULL; b = bn) {
			bn = b->next;
			bind_free(b);
		}
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

/* Does e's user have another idle connection, used more recently? */
static bool
has_newer_idle(const struct imap_pool *p, const struct pool_entry *e)
{
	const struct pool_entry *o;

	for (o = p->entries; o != NULL; o = o->next)
		if (o != e && !o->busy && o->c != NULL &&
		    (o->last_used_ms > e->last_used_ms ||
		     (o->last_used_ms == e->last_used_ms &&
		      (uintptr_t)o > (uintptr_t)e)) &&
		    strcmp(o->user, e->user) == 0)
			return true; /* ties: only one of the two is spare */
	return false;
}

/*
 * Unlink idle entries past their timeout onto *out: idle_timeout_s, or
 * (spares: from imap_pool_reap, at most once a second, as it scans
 * more) spare_idle_s for one whose user has a newer idle one, or for all
 * while the pool is three-quarters full.
 */
static void
collect_expired(struct imap_pool *p, uint64_t now, bool spares,
                struct pool_entry **out)
{
	struct pool_entry **pp = &p->entries, *e;
	bool crowded = p->open * 4 >= p->s.max_total * 3;
	uint64_t spare = p->s.spare_idle_s * 1000ull;
	uint64_t idle = p->s.idle_timeout_s * 1000ull;

	if (spare > idle)
		spare = idle;
	while ((e = *pp) != NULL) {
		uint64_t age = now - e->last_used_ms;

		if (!e->busy && e->c != NULL &&
		    (age >= idle || (spares && age >= spare &&
		                     (crowded || has_newer_idle(p, e))))) {
			*pp = e->next;
			p->open--;
			p->st.closed_idle++;
			e->next = *out;
			*out = e;
		} else {
			pp = &e->next;
		}
	}
}

static void
close_list(struct pool_entry *e)
{
	struct pool_entry *next;

	for (; e != NULL; e = next) {
		next = e->next;
		close_conn(e->c);
		entry_free(e);
	}
}

void
imap_pool_reap(struct imap_pool *p)
{
	struct pool_entry *dead = NULL;
	uint64_t now = pt_now_ms_monotonic();

	pthread_mutex_lock(&p->mu);
	if (now - p->reaped_ms >= 1000) {
		p->reaped_ms = now;
		collect_expired(p, now, true, &dead);
		sweep_binds(p, now);
	}
	pthread_mutex_unlock(&p->mu);
	close_list(dead);
}

static void
deadline_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/*
 * Open and log in a connection for e (lock not held). The credentials
 * live only in a for the duration of this call.
 */
static int
open_conn(imap_credentials_fn *cred, void *ctx, struct arena *a,
          struct imap_conn **c_r, struct perr *err)
{
	const struct config_domain *dom = NULL;
	const char *user = NULL, *password = NULL;
	struct imap_conn *c;

	*c_r = NULL;
	if (cred(ctx, a, &dom, &user, &password, err) != 0)
		return -1;
	if (dom == NULL || user == NULL || password == NULL)
		return perr_set(err, a, PERR_AUTH, "no credentials");
	if (imap_connect(dom, a, &c, err) != 0)
		return -1;
	if (imap_login(c, user, password, err) != 0) {
		if (err != NULL && err->msg != NULL)
			err->msg = arena_strdup(a, err->msg);
		imap_conn_destroy(&c);
		return -1;
	}
	*c_r = c;
	return 0;
}

/* Is the idle connection still alive? force: NOOP it. (lock not held) */
static bool
healthy(struct imap_pool *p, struct pool_entry *e, uint64_t now, bool force)
{
	struct perr ignored;

	if (imap_conn_is_broken(e->c))
		return false;
	/* The server spoke while we were idle (BYE) or closed the socket. */
	if (force || !imap_conn_is_quiet(e->c) ||
	    now - e->last_used_ms >= p->s.noop_after_s * 1000ull)
		return imap_noop(e->c, &ignored) == 0 &&
		       !imap_conn_is_broken(e->c);
	return true;
}

/* What the entries say about user and session (lock held). */
struct pool_scan {
	struct pool_entry *idle;   /* the user's most recently used idle one */
	struct pool_entry *victim; /* another user's longest idle one */
	unsigned user_count;       /* the user's, including being opened */
	unsigned session_busy;     /* checked out by the session */
};

static void
scan(struct imap_pool *p, const char *user, const char *session,
     struct pool_scan *s)
{
	struct pool_entry *e;

	memset(s, 0, sizeof(*s));
	for (e = p->entries; e != NULL; e = e->next) {
		bool ours = strcmp(e->user, user) == 0 && !e->dropped;

		if (e->busy && e->holder != NULL &&
		    strcmp(e->holder, session) == 0)
			s->session_busy++;
		if (ours) {
			s->user_count++;
			if (!e->busy && e->c != NULL &&
			    (s->idle == NULL ||
			     e->last_used_ms > s->idle->last_used_ms))
				s->idle = e;
		} else if (!e->busy && e->c != NULL &&
		           (s->victim == NULL ||
		            e->last_used_ms < s->victim->last_used_ms)) {
			s->victim = e;
		}
	}
}

/* Take e out for session (lock held). */
static void
take(struct pool_entry *e, const char *session)
{
	e->busy = true;
	free(e->holder);
	e->holder = pt_xstrdup(session);
}

/*
 * wait: block up to wait_ms for a free slot (session or user cap); else
 * fail at once (PERR_TEMPFAIL) when there is none.
 */
static int
checkout(struct imap_pool *p, const char *session_key,
         imap_credentials_fn *cred, void *ctx, struct arena *a,
         struct imap_conn **c_r, bool wait, struct perr *err)
{
	struct pool_entry *mine = NULL, *dead = NULL;
	struct imap_conn *stale, *fresh;
	struct pool_scan s;
	struct timespec deadline;
	bool have_deadline = false;
	const char *user;
	uint64_t now;

	*c_r = NULL;
	if (session_key == NULL || *session_key == '\0')
		return perr_set(err, a, PERR_INPUT, "no session key");
	pthread_mutex_lock(&p->mu);
	for (;;) {
		now = pt_now_ms_monotonic();
		collect_expired(p, now, false, &dead);
		/* Looked up each time: the binding's string may be replaced. */
		user = user_of(p, session_key, now);
		scan(p, user, session_key, &s);
		if (s.session_busy < p->s.max_per_session && s.idle != NULL) {
			bool check;

			mine = s.idle;
			check = mine->check;
			mine->check = false;
			take(mine, session_key);
			pthread_mutex_unlock(&p->mu);
			close_list(dead);
			dead = NULL;
			if (healthy(p, mine, now, check)) {
				pthread_mutex_lock(&p->mu);
				p->st.reuses++;
				pthread_mutex_unlock(&p->mu);
				*c_r = mine->c;
				return 0;
			}
			/*
			 * Dropped by the server: replace it in place. The
			 * entry's c changes under the lock only: other threads
			 * read it there while they walk the list.
			 */
			pthread_mutex_lock(&p->mu);
			stale = mine->c;
			mine->c = NULL;
			pthread_mutex_unlock(&p->mu);
			imap_conn_destroy(&stale);
			pthread_mutex_lock(&p->mu);
			p->st.reconnects++;
			break;
		}
		if (s.session_busy < p->s.max_per_session &&
		    s.user_count < p->s.max_per_user &&
		    (p->open < p->s.max_total || s.victim != NULL)) {
			if (p->open >= p->s.max_total) {
				/* Make room: the longest idle of another. */
				unlink_entry(p, s.victim);
				p->st.closed_idle++;
				s.victim->next = dead;
				dead = s.victim;
			}
			mine = pt_xcalloc(1, sizeof(*mine));
			mine->pool = p;
			mine->user = pt_xstrdup(user);
			take(mine, session_key);
			mine->next = p->entries;
			p->entries = mine;
			p->open++;
			break;
		}
		if (!wait) {
			pthread_mutex_unlock(&p->mu);
			close_list(dead);
			return perr_set(err, a, PERR_TEMPFAIL,
			                "no free IMAP connection");
		}
		if (!have_deadline) {
			deadline_after(&deadline, p->s.wait_ms);
			have_deadline = true;
			p->st.waits++;
		}
		if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) ==
		    ETIMEDOUT) {
			p->st.timeouts++;
			pthread_mutex_unlock(&p->mu);
			close_list(dead);
			return perr_set(err, a, PERR_TEMPFAIL,
			                "too many IMAP connections; try again");
		}
	}
	pthread_mutex_unlock(&p->mu);
	close_list(dead);

	/* mine is busy and linked, without a connection: open one. */
	if (open_conn(cred, ctx, a, &fresh, err) != 0) {
		pthread_mutex_lock(&p->mu);
		unlink_entry(p, mine);
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		entry_free(mine);
		return -1;
	}
	fresh->pool_entry = mine;
	pthread_mutex_lock(&p->mu);
	mine->c = fresh;
	p->st.connects++;
	pthread_mutex_unlock(&p->mu);
	*c_r = fresh;
	return 0;
}

int
imap_pool_checkout(struct imap_pool *p, const char *session_key,
                   imap_credentials_fn *cred, void *ctx, struct arena *a,
                   struct imap_conn **c_r, struct perr *err)
{
	return checkout(p, session_key, cred, ctx, a, c_r, true, err);
}

int
imap_pool_try_checkout(struct imap_pool *p, const char *session_key,
                       imap_credentials_fn *cred, void *ctx, struct arena *a,
                       struct imap_conn **c_r, struct perr *err)
{
	return checkout(p, session_key, cred, ctx, a, c_r, false, err);
}

void
imap_pool_checkin(struct imap_pool *p, struct imap_conn **cp)
{
	struct imap_conn *c;
	struct pool_entry *e;
	bool drop;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	*cp = NULL;
	pthread_mutex_lock(&p->mu);
	for (e = p->entries; e != NULL && e->c != c; e = e->next)
		;
	PT_ASSERT(e != NULL && e->busy);
	drop = e->dropped || imap_conn_is_broken(c);
	if (drop) {
		unlink_entry(p, e);
	} else {
		e->busy = false;
		free(e->holder);
		e->holder = NULL;
		e->last_used_ms = pt_now_ms_monotonic();
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (drop) {
		close_conn(e->c);
		entry_free(e);
	}
}

bool
imap_pool_adopt(struct imap_pool *p, const char *session_key,
                struct imap_conn **cp)
{
	struct pool_entry *dead = NULL, *mine;
	struct pool_scan s;
	struct imap_conn *c;
	bool kept = false;
	uint64_t now;

	if (cp == NULL || *cp == NULL)
		return false;
	c = *cp;
	*cp = NULL;
	if (session_key == NULL || *session_key == '\0' ||
	    imap_conn_is_broken(c) || !c->authenticated) {
		close_conn(c);
		return false;
	}
	pthread_mutex_lock(&p->mu);
	now = pt_now_ms_monotonic();
	collect_expired(p, now, false, &dead);
	{
		const char *user = user_of(p, session_key, now);

		scan(p, user, session_key, &s);
		/* A user at the cap shares what is open: close this one. */
		if (s.user_count < p->s.max_per_user &&
		    (p->open < p->s.max_total || s.victim != NULL)) {
			if (p->open >= p->s.max_total) {
				unlink_entry(p, s.victim);
				p->st.closed_idle++;
				s.victim->next = dead;
				dead = s.victim;
			}
			mine = pt_xcalloc(1, sizeof(*mine));
			mine->pool = p;
			mine->user = pt_xstrdup(user);
			mine->c = c;
			c->pool_entry = mine;
			/*
			 * A user with an idle connection already: that one
			 * (its folder selected, its server process warm) goes
			 * out first, this one after it, and closes as a spare
			 * when unused. Dovecot reopens a folder for a SELECT
			 * in a new process: 200 ms on a 100 000-message
			 * Maildir changed since, against a NOOP's 50.
			 */
			mine->last_used_ms =
			        s.idle != NULL && s.idle->last_used_ms > 0
			                ? s.idle->last_used_ms - 1
			                : now;
			mine->next = p->entries;
			p->entries = mine;
			p->open++;
			p->st.adopted++;
			kept = true;
			pthread_cond_broadcast(&p->cv);
		}
	}
	pthread_mutex_unlock(&p->mu);
	close_list(dead);
	if (!kept)
		close_conn(c);
	return kept;
}

void
imap_pool_drop_session(struct imap_pool *p, const char *session_key)
{
	struct pool_entry **pp, *e, *dead = NULL;
	struct pool_bind **bp, *b;
	char *user;

	pthread_mutex_lock(&p->mu);
	bp = bind_slot(p, session_key);
	if ((b = *bp) != NULL) {
		*bp = b->next;
		user = b->user;
		b->user = NULL;
		free(b->session);
		free(b);
	} else {
		user = pt_xstrdup(session_key);
	}
	/* The user's other sessions keep using the connections. */
	if (user_has_sessions(p, user)) {
		pthread_mutex_unlock(&p->mu);
		free(user);
		return;
	}
	pp = &p->entries;
	while ((e = *pp) != NULL) {
		if (strcmp(e->user, user) != 0) {
			pp = &e->next;
			continue;
		}
		if (e->busy) {
			e->dropped = true;
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		p->open--;
		e->next = dead;
		dead = e;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	free(user);
	close_list(dead);
}

void
imap_pool_get_stats(struct imap_pool *p, struct imap_pool_stats *st_r)
{
	struct pool_entry *e;

	pthread_mutex_lock(&p->mu);
	*st_r = p->st;
	st_r->open = p->open;
	st_r->busy = 0;
	for (e = p->entries; e != NULL; e = e->next)
		st_r->busy += e->busy;
	pthread_mutex_unlock(&p->mu);
}

unsigned
imap_pool_user_count(struct imap_pool *p, const char *user_key)
{
	struct pool_entry *e;
	unsigned n = 0;

	pthread_mutex_lock(&p->mu);
	for (e = p->entries; e != NULL; e = e->next)
		n += strcmp(e->user, user_key) == 0;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
imapc_pool_check_others(struct imap_conn *c)
{
	struct pool_entry *e = c->pool_entry, *o;
	struct imap_pool *p;

	if (e == NULL || (p = e->pool) == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	for (o = p->entries; o != NULL; o = o->next)
		if (o != e && strcmp(o->user, e->user) == 0)
			o->check = true;
	pthread_mutex_unlock(&p->mu);
}
