/*
 * Outbox jobs and their lease (see outbox.h). Every state change is one
 * UPDATE guarded by the state (and owner) it expects, so two workers
 * racing for one row cannot both win: the loser changes no row.
 */
#include "outbox/outbox.h"

#include <string.h>

#include "store/store.h"

static const char *const state_names[] = {
        [OUTBOX_HELD] = "held",           [OUTBOX_SENDING] = "sending",
        [OUTBOX_ACCEPTED] = "accepted",   [OUTBOX_DONE] = "done",
        [OUTBOX_CANCELLED] = "cancelled", [OUTBOX_FAILED] = "failed",
};

const char *
outbox_state_name(enum outbox_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return NULL;
	return state_names[s];
}

int
outbox_state_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(state_names[i], name) == 0)
			return (int)i;
	return -1;
}

int
outbox_add(struct store *s, const char *user, int64_t due, int64_t now,
           struct strv message, const char *compose, int64_t *id_r,
           struct arena *a, struct perr *err)
{
	if (user == NULL || user[0] == '\0' || message.p == NULL ||
	    message.len == 0)
		return perr_set(err, a, PERR_INPUT,
		                "outbox job needs a user and a message");
	if (store_exec(s, a, err,
	               "INSERT INTO outbox (user, due, created, message, "
	               "compose) VALUES (?, ?, ?, ?, ?)",
	               "tIIbt", user, due, now, (const void *)message.p,
	               message.len, compose != NULL ? compose : "") < 0)
		return -1;
	*id_r = store_last_insert_id(s);
	return 0;
}

int
outbox_set_detail(struct store *s, int64_t id, const char *meta,
                  struct strv secret, struct arena *a, struct perr *err)
{
	int n = store_exec(
	        s, a, err,
	        "UPDATE outbox SET meta = ?, secret = ? WHERE id = ?", "tbI",
	        meta != NULL ? meta : "",
	        (const void *)(secret.p != NULL ? secret.p : ""), secret.len,
	        id);

	if (n < 0)
		return -1;
	if (n == 0)
		return perr_set(err, a, PERR_NOTFOUND, "no outbox job %lld",
		                (long long)id);
	return 0;
}

int
outbox_cancel(struct store *s, const char *user, int64_t id, char **compose_r,
              struct arena *a, struct perr *err)
{
	struct store_stmt *st = NULL;
	char *compose = NULL;
	char *state = NULL;
	int r;
	int n;

	if (store_begin(s, a, err) < 0)
		return -1;
	if (store_query(s, a, err, &st,
	                "SELECT state, compose FROM outbox "
	                "WHERE id = ? AND user = ?",
	                "It", id, user) < 0)
		goto fail;
	r = store_step(st, err);
	if (r < 0)
		goto fail;
	if (r == 0) {
		perr_set(err, a, PERR_NOTFOUND, "no such outbox job");
		goto fail;
	}
	state = store_col_dup(st, 0);
	compose = store_col_dup(st, 1);
	store_finish(&st);
	if (state == NULL || compose == NULL) {
		perr_set(err, a, PERR_LIMIT, "out of memory");
		goto fail;
	}
	if (strcmp(state, "held") != 0 && strcmp(state, "failed") != 0) {
		perr_set(err, a, PERR_CONFLICT, "the message is already %s",
		         state);
		goto fail;
	}
	n = store_exec(s, a, err,
	               "UPDATE outbox SET state = 'cancelled', message = X'', "
	               "secret = X'', meta = '' "
	               "WHERE id = ? AND state IN ('held', 'failed')",
	               "I", id);
	if (n < 0)
		goto fail;
	if (store_commit(s, a, err) < 0)
		goto fail;
	*compose_r = compose;
	return 0;
fail:
	store_finish(&st);
	store_rollback(s);
	return -1;
}

static int
load_job(struct store *s, int64_t id, struct outbox_job *job, struct arena *a,
         struct perr *err)
{
	struct store_stmt *st = NULL;
	char *state;
	struct strv msg;
	int r;

	if (store_query(s, a, err, &st,
	                "SELECT user, state, due, created, attempts, message, "
	                "compose, last_error, meta, secret FROM outbox "
	                "WHERE id = ?",
	                "I", id) < 0)
		return -1;
	r = store_step(st, err);
	if (r <= 0) {
		store_finish(&st);
		return r < 0 ? -1
		             : perr_set(err, a, PERR_NOTFOUND, "job vanished");
	}
	memset(job, 0, sizeof(*job));
	job->id = id;
	job->user = store_col_dup(st, 0);
	state = store_col_dup(st, 1);
	job->due = store_col_int(st, 2);
	job->created = store_col_int(st, 3);
	job->attempts = (int)store_col_int(st, 4);
	msg = store_col_blob(st, 5);
	job->message.p = strv_dup(a, msg);
	job->message.len = msg.len;
	job->compose = store_col_dup(st, 6);
	job->last_error = store_col_dup(st, 7);
	job->meta = store_col_dup(st, 8);
	msg = store_col_blob(st, 9);
	job->secret.p = strv_dup(a, msg);
	job->secret.len = msg.len;
	store_finish(&st);
	if (job->user == NULL || state == NULL || job->compose == NULL ||
	    job->last_error == NULL || job->meta == NULL ||
	    (job->message.len > 0 && job->message.p == NULL) ||
	    (job->secret.len > 0 && job->secret.p == NULL))
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	r = outbox_state_parse(state);
	if (r < 0)
		return perr_set(err, a, PERR_INTERNAL, "bad outbox state %s",
		                state);
	job->state = (enum outbox_state)r;
	job->accepted = job->state == OUTBOX_ACCEPTED;
	return 0;
}

int
outbox_claim(struct store *s, const char *owner, int64_t now, int64_t lease,
             struct outbox_job *job, struct arena *a, struct perr *err)
{
	struct store_stmt *st = NULL;
	int64_t id;
	int r;

	if (owner == NULL || owner[0] == '\0' || lease <= 0)
		return perr_set(err, a, PERR_INPUT, "claim needs an owner");
	if (store_begin(s, a, err) < 0)
		return -1;
	if (store_query(
	            s, a, err, &st,
	            "SELECT id FROM outbox WHERE "
	            "(state = 'held' AND due <= ?) OR "
	            "(state IN ('sending', 'accepted') AND lease_until <= ?) "
	            "ORDER BY due, id LIMIT 1",
	            "II", now, now) < 0)
		goto fail;
	r = store_step(st, err);
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_finish(&st);
		store_rollback(s);
		return 0;
	}
	id = store_col_int(st, 0);
	store_finish(&st);
	if (store_exec(s, a, err,
	               "UPDATE outbox SET "
	               "state = CASE state WHEN 'accepted' THEN 'accepted' "
	               "ELSE 'sending' END, "
	               "lease_owner = ?, lease_until = ?, "
	               "attempts = attempts + 1 WHERE id = ?",
	               "tII", owner, now + lease, id) != 1)
		goto fail;
	if (load_job(s, id, job, a, err) < 0)
		goto fail;
	if (store_commit(s, a, err) < 0)
		goto fail;
	return 1;
fail:
	if (err != NULL && err->kind == PERR_OK)
		perr_set(err, a, PERR_INTERNAL, "claim changed no row");
	store_finish(&st);
	store_rollback(s);
	return -1;
}

int
outbox_accepted(struct store *s, const char *owner, int64_t id, struct arena *a,
                struct perr *err)
{
	int n = store_exec(s, a, err,
	                   "UPDATE outbox SET state = 'accepted' "
	                   "WHERE id = ? AND lease_owner = ? "
	                   "AND state = 'sending'",
	                   "It", id, owner);

	if (n < 0)
		return -1;
	if (n == 0)
		return perr_set(err, a, PERR_CONFLICT,
		                "outbox job %lld is no longer ours",
		                (long long)id);
	return 0;
}

int
outbox_finish(struct store *s, const char *owner, int64_t id, bool ok,
              const char *why, bool retry, int64_t retry_at, struct arena *a,
              struct perr *err)
{
	int n;

	if (ok)
		n = store_exec(
		        s, a, err,
		        "UPDATE outbox SET state = 'done', "
		        "message = X'', compose = '', secret = X'', meta = '', "
		        "lease_owner = '', "
		        "lease_until = 0 WHERE id = ? AND lease_owner = ? "
		        "AND state IN ('sending', 'accepted')",
		        "It", id, owner);
	else if (retry)
		/* Only a job SMTP never took goes back to held: an accepted
		 * one would be delivered twice. */
		n = store_exec(
		        s, a, err,
		        "UPDATE outbox SET state = CASE state "
		        "WHEN 'accepted' THEN 'accepted' ELSE 'held' END, "
		        "due = ?, lease_owner = '', lease_until = ?, "
		        "last_error = ? WHERE id = ? AND lease_owner = ? "
		        "AND state IN ('sending', 'accepted')",
		        "IItIt", retry_at, retry_at, why ? why : "", id, owner);
	else
		n = store_exec(
		        s, a, err,
		        "UPDATE outbox SET state = 'failed', secret = X'', "
		        "lease_owner = '', lease_until = 0, "
		        "last_error = ? WHERE id = ? AND lease_owner = ? "
		        "AND state IN ('sending', 'accepted')",
		        "tIt", why ? why : "", id, owner);
	if (n < 0)
		return -1;
	if (n == 0)
		return perr_set(err, a, PERR_CONFLICT,
		                "outbox job %lld is no longer ours",
		                (long long)id);
	return 0;
}

int
outbox_purge(struct store *s, int64_t before, struct arena *a, struct perr *err)
{
	return store_exec(s, a, err,
	                  "DELETE FROM outbox WHERE "
	                  "(state = 'done' AND due < ?) OR "
	                  "(state = 'cancelled' AND created < ?)",
	                  "II", before, before);
}

int
outbox_next_due(struct store *s, int64_t *when_r, struct arena *a,
                struct perr *err)
{
	struct store_stmt *st = NULL;
	int r;

	if (store_query(s, a, err, &st,
	                "SELECT min(CASE state WHEN 'held' THEN due "
	                "ELSE lease_until END) FROM outbox "
	                "WHERE state IN ('held', 'sending', 'accepted')",
	                "") < 0)
		return -1;
	r = store_step(st, err);
	if (r < 0) {
		store_finish(&st);
		return -1;
	}
	if (r == 0 || store_col_is_null(st, 0)) {
		store_finish(&st);
		return 0;
	}
	*when_r = store_col_int(st, 0);
	store_finish(&st);
	return 1;
}

int
outbox_list(struct store *s, const char *user, size_t limit,
            struct outbox_job **jobs_r, size_t *n_r, struct arena *a,
            struct perr *err)
{
	struct store_stmt *st = NULL;
	struct outbox_job *v;
	size_t n = 0;
	int r;

	if (limit == 0 || limit > 1000)
		return perr_set(err, a, PERR_INPUT, "list limit out of range");
	v = arena_alloc_array(a, sizeof(*v), limit);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (store_query(s, a, err, &st,
	                "SELECT id, state, due, created, attempts, "
	                "length(message), compose, last_error FROM outbox "
	                "WHERE user = ? AND state IN ('held', 'sending', "
	                "'accepted', 'failed') ORDER BY due, id LIMIT ?",
	                "ti", user, (int)limit) < 0)
		return -1;
	while ((r = store_step(st, err)) == 1) {
		struct outbox_job *j = &v[n];
		char *state = store_col_dup(st, 1);
		int k = outbox_state_parse(state);

		memset(j, 0, sizeof(*j));
		j->id = store_col_int(st, 0);
		j->user = user;
		j->due = store_col_int(st, 2);
		j->created = store_col_int(st, 3);
		j->attempts = (int)store_col_int(st, 4);
		j->message.len = (size_t)store_col_int(st, 5);
		j->compose = store_col_dup(st, 6);
		j->last_error = store_col_dup(st, 7);
		if (k < 0 || j->compose == NULL || j->last_error == NULL) {
			store_finish(&st);
			return perr_set(err, a, PERR_INTERNAL,
			                "bad outbox row %lld",
			                (long long)j->id);
		}
		j->state = (enum outbox_state)k;
		j->accepted = j->state == OUTBOX_ACCEPTED;
		n++;
	}
	store_finish(&st);
	if (r < 0)
		return -1;
	*jobs_r = v;
	*n_r = n;
	return 0;
}

int
outbox_run_one(struct store *s, const char *owner, int64_t now, int64_t lease,
               const struct outbox_ops *ops, struct arena *a, struct perr *err)
{
	struct outbox_job job;
	struct perr why;
	int r;

	r = outbox_claim(s, owner, now, lease, &job, a, err);
	if (r <= 0)
		return r;
	perr_clear(&why);
	if (!job.accepted) {
		if (ops->deliver(ops->ctx, &job, a, &why) < 0)
			goto failed;
		if (outbox_accepted(s, owner, job.id, a, err) < 0)
			return -1;
		job.accepted = true;
		job.state = OUTBOX_ACCEPTED;
	}
	if (ops->after_send(ops->ctx, &job, a, &why) < 0)
		goto failed;
	if (outbox_finish(s, owner, job.id, true, NULL, false, 0, a, err) < 0)
		return -1;
	return 1;
failed:
	if (outbox_finish(s, owner, job.id, false,
	                  why.msg != NULL ? why.msg : "failed",
	                  why.kind == PERR_TEMPFAIL, now + ops->retry_delay, a,
	                  err) < 0)
		return -1;
	return 1;
}
