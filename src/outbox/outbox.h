#ifndef PETREL_OUTBOX_H
#define PETREL_OUTBOX_H
/*
 * The outbox: held (undo send) and scheduled (send later) messages, as
 * jobs in the store's outbox table (migration 0007). This header is the
 * job state machine and its lease; the worker that runs due jobs uses
 * only these calls, so several Petrel processes sharing one store send
 * each job at most once:
 *
 *   held --claim--> sending --accepted--> accepted --done--> done
 *     |                |  \--fail (permanent)--> failed
 *     |                \--lease expires--> claimed again (retry)
 *     \--cancel--> cancelled <--cancel (dismiss)-- failed
 *
 * A claim writes an owner and an expiry in one transaction. 'accepted'
 * is written right after the SMTP server took the DATA and before any
 * after-send step; a job in it is claimed again only for those steps
 * (job.accepted), never for SMTP. The one window left is a crash between
 * the server's 250 and that commit: the job is then sent again (at least
 * once there); the lease is far longer than the SMTP timeout so a live
 * worker never loses its lease mid-send.
 */
#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

struct store;

enum outbox_state {
	OUTBOX_HELD,
	OUTBOX_SENDING,
	OUTBOX_ACCEPTED,
	OUTBOX_DONE,
	OUTBOX_CANCELLED,
	OUTBOX_FAILED,
};

struct outbox_job {
	int64_t id;
	const char *user;
	enum outbox_state state;
	int64_t due;         /* Unix seconds */
	int64_t created;     /* Unix seconds */
	int attempts;        /* claims so far, this one included */
	bool accepted;       /* claimed for the after-send steps only */
	struct strv message; /* the exact bytes to send */
	const char *compose; /* compose state (JSON) for SendCancel */
	const char *last_error;
	const char *meta;   /* what sending needs besides the bytes */
	struct strv secret; /* the sealed password; empty once ended */
};

/* "held", "sending", …; NULL for a value out of range. */
const char *outbox_state_name(enum outbox_state s);
/* The state for a name; -1 when unknown. */
int outbox_state_parse(const char *name);

/*
 * Store a new held job for user, due at due, with the message bytes and
 * the compose state. *id_r is its id.
 */
int outbox_add(struct store *s, const char *user, int64_t due, int64_t now,
               struct strv message, const char *compose, int64_t *id_r,
               struct arena *a, struct perr *err) PT_WARN_UNUSED;

/*
 * Set job id's meta and sealed secret (the seal binds the row id, so it
 * is made after outbox_add; call both in one store transaction).
 */
int outbox_set_detail(struct store *s, int64_t id, const char *meta,
                      struct strv secret, struct arena *a,
                      struct perr *err) PT_WARN_UNUSED;

/*
 * Cancel user's held job id, or dismiss a failed one, and hand back its
 * compose state (in a); the message, meta and secret are wiped.
 * PERR_NOTFOUND for no such job of this user; PERR_CONFLICT once it is
 * being sent or was sent.
 */
int outbox_cancel(struct store *s, const char *user, int64_t id,
                  char **compose_r, struct arena *a,
                  struct perr *err) PT_WARN_UNUSED;

/*
 * Claim the earliest due job: a held one with due <= now, or one whose
 * lease (sending or accepted) ran out. The claim lasts until now + lease
 * seconds for owner. Returns 1 with *job filled (strings in a), 0 when
 * nothing is due, -1 on error.
 */
int outbox_claim(struct store *s, const char *owner, int64_t now, int64_t lease,
                 struct outbox_job *job, struct arena *a,
                 struct perr *err) PT_WARN_UNUSED;

/*
 * Record that the SMTP server accepted job id's DATA. PERR_CONFLICT when
 * owner no longer holds the lease (another worker took the job over).
 */
int outbox_accepted(struct store *s, const char *owner, int64_t id,
                    struct arena *a, struct perr *err) PT_WARN_UNUSED;

/*
 * End job id held by owner: done (ok) or failed with why. A failure of
 * a job that was not accepted yet and has attempts left goes back to
 * held, due at retry_at, and its lease is released.
 */
int outbox_finish(struct store *s, const char *owner, int64_t id, bool ok,
                  const char *why, bool retry, int64_t retry_at,
                  struct arena *a, struct perr *err) PT_WARN_UNUSED;

/*
 * user's jobs that still wait or run (held, sending, accepted) or failed
 * (until dismissed), by due time, at most limit; message bytes and the
 * secret are not loaded (message.len is their size). *jobs_r in a.
 */
int outbox_list(struct store *s, const char *user, size_t limit,
                struct outbox_job **jobs_r, size_t *n_r, struct arena *a,
                struct perr *err) PT_WARN_UNUSED;

/*
 * What the worker does with a claimed job: deliver hands the message to
 * SMTP (0 once the server accepted the DATA); after_send does the steps
 * after delivery (Bcc copies, APPEND to Sent, flags, draft deletion).
 * A PERR_TEMPFAIL error is retried after retry_delay seconds; any other
 * error fails the job for good.
 */
struct outbox_ops {
	int (*deliver)(void *ctx, const struct outbox_job *job, struct arena *a,
	               struct perr *err);
	int (*after_send)(void *ctx, const struct outbox_job *job,
	                  struct arena *a, struct perr *err);
	void *ctx;
	int64_t retry_delay;
};

/*
 * Claim one due job and run it through ops, recording each outcome as
 * it happens (accepted right after deliver, so a crash later never
 * sends it again). Returns 1 when a job was handled (whatever its
 * outcome), 0 when nothing was due, -1 on a store error.
 */
int outbox_run_one(struct store *s, const char *owner, int64_t now,
                   int64_t lease, const struct outbox_ops *ops, struct arena *a,
                   struct perr *err) PT_WARN_UNUSED;

/*
 * When the worker should next look: the earliest held due or running
 * lease expiry. Returns 1 with *when_r, 0 when nothing waits, -1.
 */
int outbox_next_due(struct store *s, int64_t *when_r, struct arena *a,
                    struct perr *err) PT_WARN_UNUSED;

/*
 * Delete the jobs that ended before `before`: sent ones (done) due
 * before it, cancelled ones created before it. Their message, password
 * and compose state are already wiped; this keeps the table from growing
 * with every send. Failed jobs stay until the user dismisses them.
 * Returns how many went, or -1.
 */
int outbox_purge(struct store *s, int64_t before, struct arena *a,
                 struct perr *err) PT_WARN_UNUSED;

/* ---- the worker thread ---------------------------------------------- */

/* The clock the worker reads (Unix seconds); tests pass a movable one. */
typedef pt_clock_fn outbox_clock_fn;
struct outbox_worker;

/*
 * Start a thread (a core ticker) with its own connection to the store at
 * store_path that runs due jobs through ops as owner, then sleeps until
 * the next due time (at most max_wait seconds, 0: 30 s, for jobs other
 * processes add), a kick or stop. now NULL: the real clock.
 */
int outbox_worker_start(const char *store_path, const char *owner,
                        int64_t lease, const struct outbox_ops *ops,
                        outbox_clock_fn *now, void *now_ctx, int64_t max_wait,
                        struct outbox_worker **w_r, struct arena *a,
                        struct perr *err) PT_WARN_UNUSED;
/* Look again now (a job was added here, or the clock moved). */
void outbox_worker_kick(struct outbox_worker *w);
/* Kick and wait until a whole pass after the kick has run. */
void outbox_worker_sync(struct outbox_worker *w);
/* Stop and join the thread; *wp = NULL. NULL-safe. */
void outbox_worker_stop(struct outbox_worker **wp);

#endif
