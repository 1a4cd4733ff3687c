/*
 * The outbox worker: one thread with its own store connection that runs
 * due jobs and then sleeps until the next due time (or a kick: a job was
 * added, or a test moved the clock). The clock is a function so that
 * tests move time instead of sleeping.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outbox/outbox.h"
#include "store/store.h"

/* Longest sleep between looks: a job added by another process (which
 * cannot kick this one) waits at most this long past its due time. */
#define OUTBOX_MAX_WAIT 30

struct outbox_worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct store *store;
	struct arena *a;
	char owner[128];
	int64_t lease;
	struct outbox_ops ops;
	outbox_clock_fn *now;
	void *now_ctx;
	unsigned long kicks; /* kicks asked for */
	unsigned long seen;  /* kicks a finished pass has covered */
	bool stop;
};

static int64_t
run_pass(struct outbox_worker *w)
{
	struct perr err;
	int64_t next = 0;
	int r;

	do {
		arena_reset(w->a);
		r = outbox_run_one(w->store, w->owner, w->now(w->now_ctx),
		                   w->lease, &w->ops, w->a, &err);
	} while (r == 1);
	if (r < 0)
		log_warn("outbox: %s", err.msg != NULL ? err.msg : "error");
	arena_reset(w->a);
	if (outbox_next_due(w->store, &next, w->a, &err) != 1)
		next = 0;
	return next;
}

static void *
worker_main(void *arg)
{
	struct outbox_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		unsigned long kicks = w->kicks;
		int64_t next;
		int64_t wait;
		struct timespec ts;

		pthread_mutex_unlock(&w->mu);
		next = run_pass(w);
		pthread_mutex_lock(&w->mu);
		w->seen = kicks;
		pthread_cond_broadcast(&w->cond);
		if (w->stop || w->kicks != kicks)
			continue;
		wait = OUTBOX_MAX_WAIT;
		if (next > 0) {
			int64_t d = next - w->now(w->now_ctx);

			if (d < wait)
				wait = d < 1 ? 1 : d;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)wait;
		while (!w->stop && w->kicks == kicks &&
		       pthread_cond_timedwait(&w->cond, &w->mu, &ts) !=
		               ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
outbox_worker_start(const char *store_path, const char *owner, int64_t lease,
                    const struct outbox_ops *ops, outbox_clock_fn *now,
                    void *now_ctx, struct outbox_worker **w_r, struct arena *a,
                    struct perr *err)
{
	struct outbox_worker *w;

	if (owner == NULL || owner[0] == '\0' || lease <= 0 || ops == NULL ||
	    now == NULL)
		return perr_set(err, a, PERR_INPUT, "bad outbox worker setup");
	w = pt_xcalloc(1, sizeof(*w));
	if (!pt_strlcpy(w->owner, owner, sizeof(w->owner))) {
		free(w);
		return perr_set(err, a, PERR_INPUT, "worker owner too long");
	}
	w->lease = lease;
	w->ops = *ops;
	w->now = now;
	w->now_ctx = now_ctx;
	w->a = arena_create("outbox", 16384, 0);
	if (store_open(store_path, &w->store, a, err) < 0) {
		arena_destroy(&w->a);
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		store_close(&w->store);
		arena_destroy(&w->a);
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot start the outbox worker");
	}
	*w_r = w;
	return 0;
}

void
outbox_worker_kick(struct outbox_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->kicks++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

void
outbox_worker_sync(struct outbox_worker *w)
{
	unsigned long want;

	pthread_mutex_lock(&w->mu);
	want = ++w->kicks;
	pthread_cond_broadcast(&w->cond);
	while (w->seen < want && !w->stop)
		pthread_cond_wait(&w->cond, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void
outbox_worker_stop(struct outbox_worker **wp)
{
	struct outbox_worker *w = *wp;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	store_close(&w->store);
	arena_destroy(&w->a);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
	free(w);
	*wp = NULL;
}
