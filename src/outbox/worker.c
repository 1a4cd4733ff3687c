/*
 * The outbox worker: a core ticker whose pass runs every due job on the
 * worker's own store connection and answers the next due time.
 */
#include <stdlib.h>

#include "outbox/outbox.h"
#include "store/store.h"

/* Longest sleep between looks: a job added by another process (which
 * cannot kick this one) waits at most this long past its due time. */
#define OUTBOX_MAX_WAIT 30
/* Ended jobs are kept a week (for support questions), purged hourly. */
#define OUTBOX_KEEP_ENDED (7 * 86400)
#define OUTBOX_PURGE_EVERY 3600

struct outbox_worker {
	struct ticker *ticker;
	struct store *store;
	struct arena *a;
	char owner[128];
	int64_t lease;
	int64_t purged_at; /* the clock at the last purge */
	struct outbox_ops ops;
};

static int64_t
run_pass(void *ctx, int64_t now)
{
	struct outbox_worker *w = ctx;
	struct perr err;
	int64_t next = 0;
	int r;

	do {
		arena_reset(w->a);
		r = outbox_run_one(w->store, w->owner, now, w->lease, &w->ops,
		                   w->a, &err);
	} while (r == 1);
	if (r < 0)
		log_warn("outbox: %s", err.msg != NULL ? err.msg : "error");
	if (now - w->purged_at >= OUTBOX_PURGE_EVERY) {
		arena_reset(w->a);
		if (outbox_purge(w->store, now - OUTBOX_KEEP_ENDED, w->a,
		                 &err) < 0)
			log_warn("outbox: purge: %s",
			         err.msg != NULL ? err.msg : "error");
		w->purged_at = now;
	}
	arena_reset(w->a);
	if (outbox_next_due(w->store, &next, w->a, &err) != 1)
		next = 0;
	return next;
}

int
outbox_worker_start(const char *store_path, const char *owner, int64_t lease,
                    const struct outbox_ops *ops, outbox_clock_fn *now,
                    void *now_ctx, int64_t max_wait, struct outbox_worker **w_r,
                    struct arena *a, struct perr *err)
{
	struct outbox_worker *w;

	if (owner == NULL || owner[0] == '\0' || lease <= 0 || ops == NULL)
		return perr_set(err, a, PERR_INPUT, "bad outbox worker setup");
	w = pt_xcalloc(1, sizeof(*w));
	if (!pt_strlcpy(w->owner, owner, sizeof(w->owner))) {
		free(w);
		return perr_set(err, a, PERR_INPUT, "worker owner too long");
	}
	w->lease = lease;
	w->ops = *ops;
	w->a = arena_create("outbox", 16384, 0);
	if (store_open(store_path, &w->store, a, err) < 0) {
		arena_destroy(&w->a);
		free(w);
		return -1;
	}
	if (ticker_start("outbox", run_pass, w, now, now_ctx,
	                 max_wait > 0 ? max_wait : OUTBOX_MAX_WAIT, &w->ticker,
	                 a, err) < 0) {
		store_close(&w->store);
		arena_destroy(&w->a);
		free(w);
		return -1;
	}
	*w_r = w;
	return 0;
}

void
outbox_worker_kick(struct outbox_worker *w)
{
	ticker_kick(w->ticker);
}

void
outbox_worker_sync(struct outbox_worker *w)
{
	ticker_sync(w->ticker);
}

void
outbox_worker_stop(struct outbox_worker **wp)
{
	struct outbox_worker *w = *wp;

	if (w == NULL)
		return;
	ticker_stop(&w->ticker);
	store_close(&w->store);
	arena_destroy(&w->a);
	free(w);
	*wp = NULL;
}
