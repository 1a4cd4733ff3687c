/*
 * The connection pool: logged-in connections kept across HTTP requests,
 * keyed by an opaque session key.
 *
 * One mutex guards the entry list; no network I/O happens under it
 * (connect, login, NOOP and LOGOUT run with the lock released, on entries
 * marked busy or already unlinked), so a slow server never blocks other
 * sessions. A condition variable wakes waiters when a slot frees up.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

struct pool_entry {
	struct pool_entry *next;
	char *key;
	struct imap_conn *c; /* NULL while being opened */
	bool busy;
	bool dropped; /* session dropped while busy: close at checkin */
	uint64_t last_used_ms;
};

struct imap_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct imap_pool_settings s;
	struct pool_entry *entries;
	unsigned open; /* entries, including ones being opened */
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
	if (p->s.idle_timeout_s == 0)
		p->s.idle_timeout_s = 300;
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
	free(e->key);
	free(e);
}

/* Unlink e (lock held). */
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
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

/* Unlink idle entries past the timeout onto *out (lock held). */
static void
collect_expired(struct imap_pool *p, uint64_t now, struct pool_entry **out)
{
	struct pool_entry **pp = &p->entries, *e;

	while ((e = *pp) != NULL) {
		if (!e->busy && e->c != NULL &&
		    now - e->last_used_ms >= p->s.idle_timeout_s * 1000ull) {
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

	pthread_mutex_lock(&p->mu);
	collect_expired(p, pt_now_ms_monotonic(), &dead);
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

/* Is the idle connection still alive? (lock not held) */
static bool
healthy(struct imap_pool *p, struct pool_entry *e, uint64_t now)
{
	struct perr ignored;

	if (imap_conn_is_broken(e->c))
		return false;
	/* The server spoke while we were idle (BYE) or closed the socket. */
	if (!imap_conn_is_quiet(e->c) ||
	    now - e->last_used_ms >= p->s.noop_after_s * 1000ull)
		return imap_noop(e->c, &ignored) == 0 &&
		       !imap_conn_is_broken(e->c);
	return true;
}

/*
 * wait: block up to wait_ms for a free slot of the session; else fail at
 * once (PERR_TEMPFAIL) when the session has none.
 */
static int
checkout(struct imap_pool *p, const char *session_key,
         imap_credentials_fn *cred, void *ctx, struct arena *a,
         struct imap_conn **c_r, bool wait, struct perr *err)
{
	struct pool_entry *e, *mine = NULL, *dead = NULL, *victim;
	struct imap_conn *stale, *fresh;
	struct timespec deadline;
	bool have_deadline = false;
	unsigned count;
	uint64_t now;

	*c_r = NULL;
	if (session_key == NULL || *session_key == '\0')
		return perr_set(err, a, PERR_INPUT, "no session key");
	pthread_mutex_lock(&p->mu);
	for (;;) {
		now = pt_now_ms_monotonic();
		collect_expired(p, now, &dead);
		count = 0;
		mine = NULL;
		victim = NULL;
		for (e = p->entries; e != NULL; e = e->next) {
			if (strcmp(e->key, session_key) == 0 && !e->dropped) {
				count++;
				if (!e->busy && e->c != NULL && mine == NULL)
					mine = e;
			} else if (!e->busy && e->c != NULL &&
			           (victim == NULL ||
			            e->last_used_ms < victim->last_used_ms)) {
				victim = e;
			}
		}
		if (mine != NULL) {
			mine->busy = true;
			pthread_mutex_unlock(&p->mu);
			close_list(dead);
			dead = NULL;
			if (healthy(p, mine, now)) {
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
		if (count < p->s.max_per_session &&
		    (p->open < p->s.max_total || victim != NULL)) {
			if (p->open >= p->s.max_total) {
				/* Make room: the longest idle of another. */
				unlink_entry(p, victim);
				p->st.closed_idle++;
				victim->next = dead;
				dead = victim;
			}
			mine = pt_xcalloc(1, sizeof(*mine));
			mine->key = pt_xstrdup(session_key);
			mine->busy = true;
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
		}
		if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) ==
		    ETIMEDOUT) {
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
	struct pool_entry *e, *victim = NULL, *dead = NULL, *mine;
	struct imap_conn *c;
	unsigned count = 0;
	bool kept = false;

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
	collect_expired(p, pt_now_ms_monotonic(), &dead);
	for (e = p->entries; e != NULL; e = e->next) {
		if (strcmp(e->key, session_key) == 0 && !e->dropped)
			count++;
		else if (!e->busy && e->c != NULL &&
		         (victim == NULL ||
		          e->last_used_ms < victim->last_used_ms))
			victim = e;
	}
	if (count < p->s.max_per_session &&
	    (p->open < p->s.max_total || victim != NULL)) {
		if (p->open >= p->s.max_total) {
			unlink_entry(p, victim);
			p->st.closed_idle++;
			victim->next = dead;
			dead = victim;
		}
		mine = pt_xcalloc(1, sizeof(*mine));
		mine->key = pt_xstrdup(session_key);
		mine->c = c;
		c->pool_entry = mine;
		mine->last_used_ms = pt_now_ms_monotonic();
		mine->next = p->entries;
		p->entries = mine;
		p->open++;
		p->st.adopted++;
		kept = true;
		pthread_cond_broadcast(&p->cv);
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

	pthread_mutex_lock(&p->mu);
	pp = &p->entries;
	while ((e = *pp) != NULL) {
		if (strcmp(e->key, session_key) != 0) {
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
