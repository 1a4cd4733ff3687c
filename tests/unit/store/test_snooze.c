/*
 * The snoozes table (src/store/snooze.c): a second snooze of the same
 * message moves its time, the claim takes only due rows and leases them
 * (a second worker gets nothing until the lease runs out), a retry puts
 * the row back later, and deleting a row takes its sealed password too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/temp_dir.h"

#include "store/store.h"

struct fixture {
	struct unit_store u; /* dir, path, a, s */
};

static int
setup(void **state)
{
	struct fixture *f = pt_xcalloc(1, sizeof(*f));

	unit_store_open(&f->u, "petrel-snooze");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unit_store_close(&f->u);
	free(f);
	return 0;
}

static int64_t
put(struct fixture *f, const char *user, uint32_t uid, int64_t until,
    const char *seal)
{
	struct store_snooze r = {0};
	struct perr err;
	int64_t id = 0;

	r.user = user;
	r.folder = "Snoozed";
	r.uidvalidity = 7;
	r.uid = uid;
	r.message_id = "<m@x>";
	r.origin = "INBOX";
	r.until = until;
	r.sealed = seal != NULL ? strv_from_cstr(seal) : STRV_NULL;
	assert_int_equal(store_snooze_put(f->u.s, &r, 100, &id, f->u.a, &err),
	                 0);
	assert_true(id > 0);
	return id;
}

static void
test_second_snooze_of_a_message_moves_its_time(void **state)
{
	struct fixture *f = *state;
	struct store_snooze *v;
	struct perr err;
	size_t n;
	int64_t a, b, c;

	a = put(f, "u@x", 5, 1000, "s1");
	b = put(f, "u@x", 5, 3000, "s2");
	c = put(f, "u@x", 6, 2000, "s3");
	assert_int_equal(a, b);
	assert_true(c != a);
	assert_int_equal(
	        store_snooze_list(f->u.s, "u@x", 10, f->u.a, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	/* By wake time: uid 6 (2000) first, then uid 5 moved to 3000. */
	assert_int_equal(v[0].uid, 6);
	assert_int_equal(v[1].uid, 5);
	assert_int_equal(v[1].until, 3000);
	assert_int_equal(v[1].due, 3000);
	assert_string_equal(v[1].origin, "INBOX");
	assert_string_equal(v[1].message_id, "<m@x>");
	/* Another user's list is their own. */
	assert_int_equal(
	        store_snooze_list(f->u.s, "v@x", 10, f->u.a, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	/* A row whose UID is unknown (0) is never merged with another. */
	assert_true(put(f, "u@x", 0, 500, NULL) != put(f, "u@x", 0, 600, NULL));
	/* No wake time is refused. */
	{
		struct store_snooze r = {.user = "u@x", .folder = "S"};
		int64_t id;

		assert_int_equal(
		        store_snooze_put(f->u.s, &r, 1, &id, f->u.a, &err), -1);
		assert_int_equal(err.kind, PERR_INPUT);
	}
}

static void
test_claim_takes_due_rows_once_per_lease(void **state)
{
	struct fixture *f = *state;
	struct store_snooze r;
	struct perr err;
	int64_t when, id;

	assert_int_equal(store_snooze_next_due(f->u.s, &when, f->u.a, &err), 0);
	id = put(f, "u@x", 5, 1000, "sealed-bytes");
	(void)put(f, "u@x", 6, 2000, NULL);
	assert_int_equal(store_snooze_next_due(f->u.s, &when, f->u.a, &err), 1);
	assert_int_equal(when, 1000);
	/* Not due yet. */
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w1", 999, 60, f->u.a, &r, &err), 0);
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w1", 1000, 60, f->u.a, &r, &err),
	        1);
	assert_int_equal(r.id, id);
	assert_int_equal(r.sealed.len, strlen("sealed-bytes"));
	assert_memory_equal(r.sealed.p, "sealed-bytes", r.sealed.len);
	/* Leased: another worker does not get it, nor the later row yet. */
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w2", 1030, 60, f->u.a, &r, &err),
	        0);
	assert_int_equal(store_snooze_next_due(f->u.s, &when, f->u.a, &err), 1);
	assert_int_equal(when, 1060);
	/* The lease ran out (the first worker died): claimed again. */
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w2", 1060, 60, f->u.a, &r, &err),
	        1);
	assert_int_equal(r.id, id);
	/* A retry releases the lease and waits until its new due time. */
	assert_int_equal(store_snooze_retry(f->u.s, id, 5000, "server down",
	                                    f->u.a, &err),
	                 0);
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w1", 2000, 60, f->u.a, &r, &err),
	        1);
	assert_int_equal(r.uid, 6); /* the other one, due at 2000 */
	assert_int_equal(store_snooze_delete(f->u.s, r.id, f->u.a, &err), 0);
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w1", 4999, 60, f->u.a, &r, &err),
	        0);
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w1", 5000, 60, f->u.a, &r, &err),
	        1);
	assert_int_equal(r.id, id);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.last_error, "server down");
	assert_int_equal(r.state, STORE_SNOOZE_WAITING);
	assert_int_equal(store_snooze_returned(f->u.s, id, f->u.a, &err), 0);
	assert_int_equal(
	        store_snooze_retry(f->u.s, id, 5001, "x", f->u.a, &err), 0);
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w1", 5001, 60, f->u.a, &r, &err),
	        1);
	assert_int_equal(r.state, STORE_SNOOZE_RETURNED);
}

static void
test_uid_seal_and_delete(void **state)
{
	struct fixture *f = *state;
	struct store_snooze r;
	struct store_stmt *st;
	struct perr err;
	int64_t id;

	id = put(f, "u@x", 0, 1000, "old");
	(void)put(f, "v@x", 9, 1000, "theirs");
	assert_int_equal(store_snooze_find(f->u.s, "u@x", "Snoozed", 8, 42,
	                                   f->u.a, &r, &err),
	                 0);
	assert_int_equal(store_snooze_set_uid(f->u.s, id, 8, 42, f->u.a, &err),
	                 0);
	assert_int_equal(store_snooze_find(f->u.s, "u@x", "Snoozed", 8, 42,
	                                   f->u.a, &r, &err),
	                 1);
	assert_int_equal(r.id, id);
	assert_int_equal(
	        store_snooze_seal(f->u.s, id, STRV_LIT("new"), f->u.a, &err),
	        0);
	assert_int_equal(
	        store_snooze_claim(f->u.s, "w", 1000, 60, f->u.a, &r, &err), 1);
	if (r.id != id) /* the other user's row came first: take the next */
		assert_int_equal(store_snooze_claim(f->u.s, "w", 1000, 60,
		                                    f->u.a, &r, &err),
		                 1);
	assert_int_equal(r.id, id);
	assert_memory_equal(r.sealed.p, "new", 3);
	assert_int_equal(store_snooze_delete(f->u.s, id, f->u.a, &err), 0);
	/* The row and its seal are gone; the other user's stays. */
	assert_int_equal(store_query(f->u.s, f->u.a, &err, &st,
	                             "SELECT COUNT(*), MIN(user) FROM snoozes "
	                             "WHERE sealed IS NOT NULL",
	                             ""),
	                 0);
	assert_int_equal(store_step(st, &err), 1);
	assert_int_equal(store_col_int(st, 0), 1);
	assert_true(strv_eq_cstr(store_col_text(st, 1), "v@x"));
	store_finish(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_second_snooze_of_a_message_moves_its_time, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_claim_takes_due_rows_once_per_lease, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_uid_seal_and_delete, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
