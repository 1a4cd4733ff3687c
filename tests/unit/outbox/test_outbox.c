/*
 * The outbox job state machine and its lease (src/outbox), against a
 * real sqlite store in a temporary directory; two store connections
 * stand for two Petrel processes sharing one store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/temp_dir.h"

#include "outbox/outbox.h"
#include "store/store.h"

struct fixture {
	struct unit_store u; /* dir, path, a, s */
	struct store *s2;    /* process B, same file */
};

static const struct strv msg = {"Subject: hi\r\n\r\nbody\r\n", 22};

static int
setup(void **state)
{
	struct fixture *f = pt_xcalloc(1, sizeof(*f));
	struct perr err;

	unit_store_open(&f->u, "petrel-outbox");
	assert_int_equal(store_open(f->u.path, &f->s2, f->u.a, &err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(&f->s2);
	unit_store_close(&f->u);
	free(f);
	return 0;
}

static void
test_state_names_round_trip(void **state)
{
	int i;

	(void)state;
	for (i = OUTBOX_HELD; i <= OUTBOX_FAILED; i++)
		assert_int_equal(outbox_state_parse(outbox_state_name(
		                         (enum outbox_state)i)),
		                 i);
	assert_int_equal(outbox_state_parse("bogus"), -1);
	assert_null(outbox_state_name((enum outbox_state)99));
}

static void
test_held_job_waits_until_due_then_sends_once(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job;
	struct perr err;
	int64_t id;
	int64_t when;

	assert_int_equal(outbox_add(f->u.s, "a@x", 110, 100, msg, "{\"to\":1}",
	                            &id, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_next_due(f->u.s, &when, f->u.a, &err), 1);
	assert_int_equal(when, 110);
	/* Not due yet. */
	assert_int_equal(outbox_claim(f->u.s, "A", 109, 60, &job, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_claim(f->u.s, "A", 110, 60, &job, f->u.a, &err),
	                 1);
	assert_int_equal(job.id, id);
	assert_int_equal(job.state, OUTBOX_SENDING);
	assert_false(job.accepted);
	assert_int_equal(job.attempts, 1);
	assert_int_equal(job.message.len, msg.len);
	assert_memory_equal(job.message.p, msg.p, msg.len);
	assert_string_equal(job.user, "a@x");
	/* The other process sees nothing while the lease runs. */
	assert_int_equal(outbox_claim(f->s2, "B", 150, 60, &job, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_next_due(f->u.s, &when, f->u.a, &err), 1);
	assert_int_equal(when, 170);
	assert_int_equal(outbox_accepted(f->u.s, "A", id, f->u.a, &err), 0);
	assert_int_equal(outbox_finish(f->u.s, "A", id, true, NULL, false, 0,
	                               f->u.a, &err),
	                 0);
	/* Done: nobody claims it again, however late. */
	assert_int_equal(
	        outbox_claim(f->s2, "B", 100000, 60, &job, f->u.a, &err), 0);
	assert_int_equal(outbox_next_due(f->u.s, &when, f->u.a, &err), 0);
}

static void
test_cancel_only_while_held(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job;
	struct perr err;
	char *compose = NULL;
	int64_t id;
	int64_t id2;

	assert_int_equal(outbox_add(f->u.s, "a@x", 110, 100, msg,
	                            "{\"s\":\"x\"}", &id, f->u.a, &err),
	                 0);
	/* Another user's job is not found. */
	assert_int_equal(
	        outbox_cancel(f->u.s, "b@x", id, &compose, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(
	        outbox_cancel(f->u.s, "a@x", id, &compose, f->u.a, &err), 0);
	assert_string_equal(compose, "{\"s\":\"x\"}");
	/* Cancelled: never claimed, a second cancel conflicts. */
	assert_int_equal(outbox_claim(f->u.s, "A", 200, 60, &job, f->u.a, &err),
	                 0);
	assert_int_equal(
	        outbox_cancel(f->u.s, "a@x", id, &compose, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_CONFLICT);

	/* Once claimed, cancel is too late. */
	assert_int_equal(outbox_add(f->u.s, "a@x", 110, 100, msg, "{}", &id2,
	                            f->u.a, &err),
	                 0);
	assert_int_equal(outbox_claim(f->u.s, "A", 200, 60, &job, f->u.a, &err),
	                 1);
	assert_int_equal(
	        outbox_cancel(f->u.s, "a@x", id2, &compose, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_CONFLICT);
}

static void
test_expired_lease_is_retried_by_another_worker(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job;
	struct perr err;
	int64_t id;

	assert_int_equal(
	        outbox_add(f->u.s, "a@x", 100, 100, msg, "", &id, f->u.a, &err),
	        0);
	assert_int_equal(outbox_claim(f->u.s, "A", 100, 60, &job, f->u.a, &err),
	                 1);
	/* A dies; at 160 the lease has run out and B takes the job. */
	assert_int_equal(outbox_claim(f->s2, "B", 159, 60, &job, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_claim(f->s2, "B", 160, 60, &job, f->u.a, &err),
	                 1);
	assert_int_equal(job.id, id);
	assert_false(job.accepted);
	assert_int_equal(job.attempts, 2);
	/* A, back late, may not record an outcome for B's job. */
	assert_int_equal(outbox_accepted(f->u.s, "A", id, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_CONFLICT);
	assert_int_equal(outbox_finish(f->u.s, "A", id, true, NULL, false, 0,
	                               f->u.a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_CONFLICT);
	assert_int_equal(outbox_finish(f->s2, "B", id, true, NULL, false, 0,
	                               f->u.a, &err),
	                 0);
}

static void
test_accepted_job_is_never_sent_again(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job;
	struct perr err;
	int64_t id;

	assert_int_equal(
	        outbox_add(f->u.s, "a@x", 100, 100, msg, "", &id, f->u.a, &err),
	        0);
	assert_int_equal(outbox_claim(f->u.s, "A", 100, 60, &job, f->u.a, &err),
	                 1);
	assert_int_equal(outbox_accepted(f->u.s, "A", id, f->u.a, &err), 0);
	/* A dies before APPEND to Sent; B only finishes the after-send
	 * steps. */
	assert_int_equal(outbox_claim(f->s2, "B", 160, 60, &job, f->u.a, &err),
	                 1);
	assert_true(job.accepted);
	assert_int_equal(job.state, OUTBOX_ACCEPTED);
	/* A temporary failure of those steps keeps it accepted: a retry
	 * must not hand it to SMTP. */
	assert_int_equal(outbox_finish(f->s2, "B", id, false, "imap down", true,
	                               300, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_claim(f->u.s, "A", 299, 60, &job, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_claim(f->u.s, "A", 300, 60, &job, f->u.a, &err),
	                 1);
	assert_true(job.accepted);
	assert_string_equal(job.last_error, "imap down");
	/* accepted twice is a conflict, not a second send. */
	assert_int_equal(outbox_accepted(f->u.s, "A", id, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_CONFLICT);
}

static void
test_retry_and_permanent_failure(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job;
	struct perr err;
	int64_t id;

	assert_int_equal(
	        outbox_add(f->u.s, "a@x", 100, 100, msg, "", &id, f->u.a, &err),
	        0);
	assert_int_equal(
	        outbox_claim(f->u.s, "A", 100, 600, &job, f->u.a, &err), 1);
	/* Temporary failure before DATA: held again, due at retry time. */
	assert_int_equal(outbox_finish(f->u.s, "A", id, false, "smtp 451", true,
	                               130, f->u.a, &err),
	                 0);
	assert_int_equal(
	        outbox_claim(f->u.s, "A", 129, 600, &job, f->u.a, &err), 0);
	assert_int_equal(
	        outbox_claim(f->u.s, "A", 130, 600, &job, f->u.a, &err), 1);
	assert_int_equal(job.attempts, 2);
	assert_int_equal(job.state, OUTBOX_SENDING);
	assert_int_equal(outbox_finish(f->u.s, "A", id, false, "smtp 550",
	                               false, 0, f->u.a, &err),
	                 0);
	assert_int_equal(
	        outbox_claim(f->u.s, "A", 99999, 600, &job, f->u.a, &err), 0);
}

static void
test_list_shows_what_waits(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job;
	struct outbox_job *v;
	struct perr err;
	char *compose;
	size_t n;
	int64_t id1;
	int64_t id2;
	int64_t id3;

	assert_int_equal(outbox_add(f->u.s, "a@x", 500, 100, msg, "{\"n\":1}",
	                            &id1, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_add(f->u.s, "a@x", 200, 100, msg, "{\"n\":2}",
	                            &id2, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_add(f->u.s, "b@x", 100, 100, msg, "", &id3,
	                            f->u.a, &err),
	                 0);
	assert_int_equal(outbox_list(f->u.s, "a@x", 10, &v, &n, f->u.a, &err),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, id2); /* by due time */
	assert_int_equal(v[0].due, 200);
	assert_int_equal(v[0].message.len, msg.len);
	assert_string_equal(v[0].compose, "{\"n\":2}");
	assert_int_equal(v[1].id, id1);
	/* Cancelled and done jobs leave the list. */
	assert_int_equal(
	        outbox_cancel(f->u.s, "a@x", id1, &compose, f->u.a, &err), 0);
	assert_int_equal(outbox_claim(f->u.s, "A", 200, 60, &job, f->u.a, &err),
	                 1);
	assert_int_equal(job.id, id3);
	assert_int_equal(outbox_finish(f->u.s, "A", id3, true, NULL, false, 0,
	                               f->u.a, &err),
	                 0);
	assert_int_equal(outbox_list(f->u.s, "a@x", 10, &v, &n, f->u.a, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id2);
	assert_int_equal(outbox_list(f->u.s, "b@x", 10, &v, &n, f->u.a, &err),
	                 0);
	assert_int_equal(n, 0);
	assert_int_equal(outbox_list(f->u.s, "a@x", 0, &v, &n, f->u.a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
}

/* A fake SMTP/IMAP pair: counts deliveries, fails on demand. */
struct fake {
	int delivered;
	int after;
	enum perr_kind deliver_fails; /* PERR_OK: succeeds */
	enum perr_kind after_fails;
};

static int
fake_deliver(void *ctx, const struct outbox_job *job, struct arena *a,
             struct perr *err)
{
	struct fake *fk = ctx;

	assert_false(job->accepted);
	if (fk->deliver_fails != PERR_OK)
		return perr_set(err, a, fk->deliver_fails, "smtp says no");
	fk->delivered++;
	return 0;
}

static int
fake_after(void *ctx, const struct outbox_job *job, struct arena *a,
           struct perr *err)
{
	struct fake *fk = ctx;

	assert_true(job->accepted);
	if (fk->after_fails != PERR_OK)
		return perr_set(err, a, fk->after_fails, "imap down");
	fk->after++;
	return 0;
}

static void
test_run_one_delivers_once_across_failures(void **state)
{
	struct fixture *f = *state;
	struct fake fk = {0};
	struct outbox_ops ops = {fake_deliver, fake_after, &fk, 30};
	struct outbox_job *v;
	struct perr err;
	size_t n;
	int64_t id;

	assert_int_equal(
	        outbox_add(f->u.s, "a@x", 100, 100, msg, "", &id, f->u.a, &err),
	        0);
	assert_int_equal(
	        outbox_run_one(f->u.s, "A", 99, 60, &ops, f->u.a, &err), 0);
	/* SMTP down: nothing delivered, tried again 30 s later. */
	fk.deliver_fails = PERR_TEMPFAIL;
	assert_int_equal(
	        outbox_run_one(f->u.s, "A", 100, 60, &ops, f->u.a, &err), 1);
	assert_int_equal(fk.delivered, 0);
	assert_int_equal(
	        outbox_run_one(f->u.s, "A", 129, 60, &ops, f->u.a, &err), 0);
	/* Delivered, but Sent cannot be written: kept for after-send. */
	fk.deliver_fails = PERR_OK;
	fk.after_fails = PERR_TEMPFAIL;
	assert_int_equal(
	        outbox_run_one(f->u.s, "A", 130, 60, &ops, f->u.a, &err), 1);
	assert_int_equal(fk.delivered, 1);
	assert_int_equal(fk.after, 0);
	/* The retry, from the other process, does not deliver again. */
	fk.after_fails = PERR_OK;
	assert_int_equal(
	        outbox_run_one(f->s2, "B", 160, 60, &ops, f->u.a, &err), 1);
	assert_int_equal(fk.delivered, 1);
	assert_int_equal(fk.after, 1);
	assert_int_equal(
	        outbox_run_one(f->s2, "B", 9999, 60, &ops, f->u.a, &err), 0);
	assert_int_equal(outbox_list(f->u.s, "a@x", 10, &v, &n, f->u.a, &err),
	                 0);
	assert_int_equal(n, 0);
}

static void
test_run_one_permanent_failure_stops(void **state)
{
	struct fixture *f = *state;
	struct fake fk = {0};
	struct outbox_ops ops = {fake_deliver, fake_after, &fk, 30};
	struct perr err;
	int64_t id;

	assert_int_equal(
	        outbox_add(f->u.s, "a@x", 100, 100, msg, "", &id, f->u.a, &err),
	        0);
	fk.deliver_fails = PERR_REMOTE;
	assert_int_equal(
	        outbox_run_one(f->u.s, "A", 100, 60, &ops, f->u.a, &err), 1);
	fk.deliver_fails = PERR_OK;
	assert_int_equal(
	        outbox_run_one(f->u.s, "A", 9999, 60, &ops, f->u.a, &err), 0);
	assert_int_equal(fk.delivered, 0);
	assert_int_equal(fk.after, 0);
}

static int64_t
fake_clock(void *ctx)
{
	return *(const int64_t *)ctx;
}

/* The thread sends at the (moved) due time, once, and stops cleanly. */
static void
test_worker_runs_jobs_when_the_clock_reaches_them(void **state)
{
	struct fixture *f = *state;
	struct fake fk = {0};
	struct outbox_ops ops = {fake_deliver, fake_after, &fk, 30};
	struct outbox_worker *w = NULL;
	struct perr err;
	int64_t clock = 999;
	int64_t id;

	assert_int_equal(outbox_add(f->u.s, "a@x", 1000, 900, msg, "", &id,
	                            f->u.a, &err),
	                 0);
	assert_int_equal(outbox_worker_start(f->u.path, "W", 600, &ops,
	                                     fake_clock, &clock, 0, &w, f->u.a,
	                                     &err),
	                 0);
	outbox_worker_sync(w);
	assert_int_equal(fk.delivered, 0);
	clock = 1000;
	outbox_worker_sync(w);
	assert_int_equal(fk.delivered, 1);
	assert_int_equal(fk.after, 1);
	clock = 5000;
	outbox_worker_sync(w);
	assert_int_equal(fk.delivered, 1);
	outbox_worker_stop(&w);
	assert_null(w);
	outbox_worker_stop(&w);
	assert_int_equal(outbox_worker_start(f->u.path, "", 600, &ops,
	                                     fake_clock, &clock, 0, &w, f->u.a,
	                                     &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
}

static void
test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job;
	struct perr err;
	int64_t id;

	assert_int_equal(
	        outbox_add(f->u.s, "", 1, 1, msg, "", &id, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(outbox_add(f->u.s, "a@x", 1, 1, (struct strv){NULL, 0},
	                            "", &id, f->u.a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(outbox_claim(f->u.s, "", 1, 60, &job, f->u.a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
}

/* A job's meta and sealed secret come with its claim; the secret is gone
 * once it ends, and a failed job stays listed (its form kept) until it is
 * dismissed with a cancel. */
static void
test_detail_secret_and_failed_jobs(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job, *v;
	struct perr err;
	char *compose = NULL;
	size_t n;
	int64_t id, id2;
	struct strv secret = {"SEALED", 6};

	assert_int_equal(outbox_add(f->u.s, "a@x", 100, 90, msg, "{\"f\":1}",
	                            &id, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_set_detail(f->u.s, id, "{\"m\":1}", secret,
	                                   f->u.a, &err),
	                 0);
	assert_int_equal(
	        outbox_set_detail(f->u.s, 9999, "", secret, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(outbox_claim(f->u.s, "A", 100, 60, &job, f->u.a, &err),
	                 1);
	assert_string_equal(job.meta, "{\"m\":1}");
	assert_true(strv_eq(job.secret, secret));
	/* Refused for good: failed, listed with its reason, secret wiped. */
	assert_int_equal(outbox_finish(f->u.s, "A", id, false,
	                               "550 no such user", false, 0, f->u.a,
	                               &err),
	                 0);
	assert_int_equal(outbox_list(f->u.s, "a@x", 10, &v, &n, f->u.a, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].state, OUTBOX_FAILED);
	assert_string_equal(v[0].last_error, "550 no such user");
	assert_string_equal(v[0].compose, "{\"f\":1}");
	{
		struct store_stmt *st = NULL;

		assert_int_equal(
		        store_query(f->u.s, f->u.a, &err, &st,
		                    "SELECT length(secret), length(message) "
		                    "FROM outbox WHERE id = ?",
		                    "I", id),
		        0);
		assert_int_equal(store_step(st, &err), 1);
		assert_int_equal(store_col_int(st, 0), 0);
		assert_int_equal(store_col_int(st, 1), (int64_t)msg.len);
		store_finish(&st);
	}
	/* Dismissed: the form comes back, the job leaves the list. */
	assert_int_equal(
	        outbox_cancel(f->u.s, "a@x", id, &compose, f->u.a, &err), 0);
	assert_string_equal(compose, "{\"f\":1}");
	assert_int_equal(outbox_list(f->u.s, "a@x", 10, &v, &n, f->u.a, &err),
	                 0);
	assert_int_equal(n, 0);
	/* Done: the secret and everything else are wiped. */
	assert_int_equal(outbox_add(f->u.s, "a@x", 100, 90, msg, "{}", &id2,
	                            f->u.a, &err),
	                 0);
	assert_int_equal(
	        outbox_set_detail(f->u.s, id2, "{}", secret, f->u.a, &err), 0);
	assert_int_equal(outbox_claim(f->u.s, "A", 100, 60, &job, f->u.a, &err),
	                 1);
	assert_int_equal(outbox_finish(f->u.s, "A", id2, true, NULL, false, 0,
	                               f->u.a, &err),
	                 0);
	{
		struct store_stmt *st = NULL;

		assert_int_equal(
		        store_query(
		                f->u.s, f->u.a, &err, &st,
		                "SELECT length(secret) + length(message) + "
		                "length(meta) + length(compose) FROM outbox "
		                "WHERE state != 'held' AND id = ?",
		                "I", id2),
		        0);
		assert_int_equal(store_step(st, &err), 1);
		assert_int_equal(store_col_int(st, 0), 0);
		store_finish(&st);
	}
}

static int64_t
count_jobs(struct fixture *f)
{
	struct store_stmt *st = NULL;
	struct perr err;
	int64_t n;

	assert_int_equal(store_query(f->u.s, f->u.a, &err, &st,
	                             "SELECT count(*) FROM outbox", ""),
	                 0);
	assert_int_equal(store_step(st, &err), 1);
	n = store_col_int(st, 0);
	store_finish(&st);
	return n;
}

/* Sent and cancelled jobs go a while after they ended; the rest stays. */
static void
test_purge_drops_only_ended_jobs(void **state)
{
	struct fixture *f = *state;
	struct outbox_job job;
	struct perr err;
	char *compose = NULL;
	int64_t sent, cancelled, held, failed;

	assert_int_equal(outbox_add(f->u.s, "a@x", 100, 90, msg, "{}", &sent,
	                            f->u.a, &err),
	                 0);
	assert_int_equal(outbox_claim(f->u.s, "A", 100, 60, &job, f->u.a, &err),
	                 1);
	assert_int_equal(outbox_finish(f->u.s, "A", sent, true, NULL, false, 0,
	                               f->u.a, &err),
	                 0);
	/* scheduled far ahead, cancelled at once */
	assert_int_equal(outbox_add(f->u.s, "a@x", 9000, 95, msg, "{}",
	                            &cancelled, f->u.a, &err),
	                 0);
	assert_int_equal(
	        outbox_cancel(f->u.s, "a@x", cancelled, &compose, f->u.a, &err),
	        0);
	assert_int_equal(outbox_add(f->u.s, "a@x", 120, 96, msg, "{}", &failed,
	                            f->u.a, &err),
	                 0);
	assert_int_equal(outbox_claim(f->u.s, "A", 120, 60, &job, f->u.a, &err),
	                 1);
	assert_int_equal(outbox_finish(f->u.s, "A", failed, false, "refused",
	                               false, 0, f->u.a, &err),
	                 0);
	assert_int_equal(outbox_add(f->u.s, "a@x", 5000, 97, msg, "{}", &held,
	                            f->u.a, &err),
	                 0);
	assert_int_equal(count_jobs(f), 4);
	/* nothing ended before 50 */
	assert_int_equal(outbox_purge(f->u.s, 50, f->u.a, &err), 0);
	assert_int_equal(outbox_purge(f->u.s, 200, f->u.a, &err), 2);
	assert_int_equal(count_jobs(f), 2);
	/* the failed one waits for the user, the held one still runs */
	assert_int_equal(
	        outbox_claim(f->u.s, "A", 5000, 60, &job, f->u.a, &err), 1);
	assert_int_equal(job.id, held);
	assert_int_equal(
	        outbox_cancel(f->u.s, "a@x", failed, &compose, f->u.a, &err),
	        0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_state_names_round_trip),
	        cmocka_unit_test_setup_teardown(
	                test_held_job_waits_until_due_then_sends_once, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_cancel_only_while_held,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_expired_lease_is_retried_by_another_worker, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_accepted_job_is_never_sent_again, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_retry_and_permanent_failure, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_list_shows_what_waits,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_run_one_delivers_once_across_failures, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_run_one_permanent_failure_stops, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_worker_runs_jobs_when_the_clock_reaches_them,
	                setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_input, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_detail_secret_and_failed_jobs, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_purge_drops_only_ended_jobs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
