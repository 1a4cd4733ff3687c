/*
 * The ticker: one thread that runs a pass, then sleeps until the pass's
 * next due time, a kick or stop. Used by the outbox worker (held and
 * scheduled sends) and by anything else that wakes at stored times.
 *
 * Kicks are counted rather than flagged so ticker_sync() can tell a pass
 * that began after its kick from one already running when it came.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core.h"
#include "banned.h"

struct ticker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	ticker_pass_fn *pass;
	void *pass_ctx;
	pt_clock_fn *clock;
	void *clock_ctx;
	int64_t max_wait;
	unsigned long kicks; /* kicks asked for */
	unsigned long seen;  /* kicks a finished pass has covered */
	bool stop;
};

int64_t
ticker_now(const struct ticker *t)
{
	return t->clock != NULL ? t->clock(t->clock_ctx) : pt_now_unix();
}

/* Seconds to sleep after a pass that returned next, in [1, max_wait]. */
static int64_t
wait_for(const struct ticker *t, int64_t next)
{
	int64_t wait = t->max_wait;

	if (next > 0) {
		int64_t d = next - ticker_now(t);

		if (d < wait)
			wait = d < 1 ? 1 : d;
	}
	return wait;
}

static void *
ticker_main(void *arg)
{
	struct ticker *t = arg;

	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		unsigned long kicks = t->kicks;
		int64_t next;
		struct timespec ts;

		pthread_mutex_unlock(&t->mu);
		next = t->pass(t->pass_ctx, ticker_now(t));
		pthread_mutex_lock(&t->mu);
		t->seen = kicks;
		pthread_cond_broadcast(&t->cond);
		if (t->stop || t->kicks != kicks)
			continue;
		/* The real clock bounds the wait even on a test clock: a
		 * moved clock always comes with a kick. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)wait_for(t, next);
		while (!t->stop && t->kicks == kicks &&
		       pthread_cond_timedwait(&t->cond, &t->mu, &ts) !=
		               ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int
ticker_start(const char *name, ticker_pass_fn *pass, void *pass_ctx,
             pt_clock_fn *clock, void *clock_ctx, int64_t max_wait,
             struct ticker **t_r, struct arena *a, struct perr *err)
{
	struct ticker *t;

	if (pass == NULL || max_wait <= 0)
		return perr_set(err, a, PERR_INPUT, "bad ticker setup");
	t = pt_xcalloc(1, sizeof(*t));
	t->pass = pass;
	t->pass_ctx = pass_ctx;
	t->clock = clock;
	t->clock_ctx = clock_ctx;
	t->max_wait = max_wait;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cond, NULL);
	if (pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->mu);
		free(t);
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot start the %s thread",
		                name != NULL ? name : "ticker");
	}
	*t_r = t;
	return 0;
}

void
ticker_kick(struct ticker *t)
{
	pthread_mutex_lock(&t->mu);
	t->kicks++;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

void
ticker_sync(struct ticker *t)
{
	unsigned long want;

	pthread_mutex_lock(&t->mu);
	want = ++t->kicks;
	pthread_cond_broadcast(&t->cond);
	while (t->seen < want && !t->stop)
		pthread_cond_wait(&t->cond, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

void
ticker_stop(struct ticker **tp)
{
	struct ticker *t = *tp;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mu);
	free(t);
	*tp = NULL;
}
