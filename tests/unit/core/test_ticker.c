/* core's ticker (src/core/ticker.c): passes on kicks, a movable clock,
 * the sleep until the next due time, stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "core/core.h"

#include "../support/unit_arena.h"

struct counter {
	atomic_int passes;
	_Atomic int64_t last_now; /* the now the last pass was given */
	_Atomic int64_t next;     /* what every pass answers */
	_Atomic int64_t clock;    /* the test clock */
};

static int64_t
count_pass(void *ctx, int64_t now)
{
	struct counter *c = ctx;

	atomic_fetch_add(&c->passes, 1);
	atomic_store(&c->last_now, now);
	return atomic_load(&c->next);
}

static int64_t
test_clock(void *ctx)
{
	return atomic_load(&((struct counter *)ctx)->clock);
}

/* Every sync runs one whole pass with the clock's time at that moment;
 * nothing runs by itself while the next due time is far. */
static void
test_sync_runs_a_pass_with_the_moved_clock(void **state)
{
	struct counter c = {0};
	struct ticker *t = NULL;
	struct perr err;
	int before;

	(void)state;
	atomic_store(&c.clock, 1000);
	atomic_store(&c.next, 0); /* nothing due: sleeps max_wait */
	assert_int_equal(ticker_start("test", count_pass, &c, test_clock, &c,
	                              3600, &t, A, &err),
	                 0);
	ticker_sync(t);
	before = atomic_load(&c.passes);
	assert_true(before >= 1);
	assert_int_equal(atomic_load(&c.last_now), 1000);
	assert_int_equal(ticker_now(t), 1000);
	atomic_store(&c.clock, 5000);
	ticker_sync(t);
	assert_int_equal(atomic_load(&c.passes), before + 1);
	assert_int_equal(atomic_load(&c.last_now), 5000);
	ticker_kick(t);
	ticker_sync(t);
	assert_true(atomic_load(&c.passes) >= before + 2);
	ticker_stop(&t);
	assert_null(t);
	ticker_stop(&t); /* NULL-safe */
}

/* A pass that answers a due time one second ahead is run again at that
 * time without a kick (the only real wait in these tests: one second). */
static void
test_wakes_by_itself_at_the_due_time(void **state)
{
	struct counter c = {0};
	struct ticker *t = NULL;
	struct perr err;
	struct timespec pause = {0, 50 * 1000 * 1000};
	int i, before;

	(void)state;
	atomic_store(&c.next, pt_now_unix() + 1);
	assert_int_equal(ticker_start("test", count_pass, &c, NULL, NULL, 3600,
	                              &t, A, &err),
	                 0);
	ticker_sync(t);
	before = atomic_load(&c.passes);
	atomic_store(&c.next, 0);
	for (i = 0; i < 60 && atomic_load(&c.passes) == before; i++)
		nanosleep(&pause, NULL);
	assert_true(atomic_load(&c.passes) > before);
	ticker_stop(&t);
}

/* max_wait bounds the sleep when nothing is due (work another process
 * added is seen within it). */
static void
test_max_wait_bounds_the_sleep(void **state)
{
	struct counter c = {0};
	struct ticker *t = NULL;
	struct perr err;
	struct timespec pause = {0, 50 * 1000 * 1000};
	int i, before;

	(void)state;
	assert_int_equal(ticker_start("test", count_pass, &c, NULL, NULL, 1, &t,
	                              A, &err),
	                 0);
	ticker_sync(t);
	before = atomic_load(&c.passes);
	for (i = 0; i < 60 && atomic_load(&c.passes) == before; i++)
		nanosleep(&pause, NULL);
	assert_true(atomic_load(&c.passes) > before);
	ticker_stop(&t);
}

static void
test_bad_setup_is_refused(void **state)
{
	struct counter c = {0};
	struct ticker *t = NULL;
	struct perr err;

	(void)state;
	assert_int_equal(
	        ticker_start("test", NULL, &c, NULL, NULL, 30, &t, A, &err),
	        -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(ticker_start("test", count_pass, &c, NULL, NULL, 0, &t,
	                              A, &err),
	                 -1);
	assert_null(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sync_runs_a_pass_with_the_moved_clock),
	        cmocka_unit_test(test_wakes_by_itself_at_the_due_time),
	        cmocka_unit_test(test_max_wait_bounds_the_sleep),
	        cmocka_unit_test(test_bad_setup_is_refused),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
