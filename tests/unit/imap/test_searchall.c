/*
 * imap/searchall.c: the pure parts of a search over all folders: scope
 * words, which folders, the merge of per-folder newest-first lists by
 * date (ties, the cap, asking for dates it lacks), and a cancelled run.
 * The IMAP side is tests/integration/searchall.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "imap/imap.h"
#include "core/banned.h"

#include "../support/unit_arena.h"

static void
test_scope_words_are_taken_out(void **state)
{
	const char *rest;
	unsigned in;
	struct perr err;

	(void)state;
	assert_int_equal(imap_sa_scope(STRV_LIT("from:bob in:trash report"), A,
	                               &rest, &in, &err),
	                 0);
	assert_string_equal(rest, "from:bob report");
	assert_int_equal(in, IMAP_SA_IN_TRASH);
	assert_int_equal(
	        imap_sa_scope(STRV_LIT("IN:Spam  x"), A, &rest, &in, &err), 0);
	assert_string_equal(rest, "x");
	assert_int_equal(in, IMAP_SA_IN_JUNK);
	assert_int_equal(
	        imap_sa_scope(STRV_LIT("in:anywhere"), A, &rest, &in, &err), 0);
	assert_string_equal(rest, "");
	assert_int_equal(in, IMAP_SA_IN_ALL);
	/* Inside quotes it is text; an unknown in: is text too. */
	assert_int_equal(imap_sa_scope(STRV_LIT("\"a in:trash b\" in:inbox"), A,
	                               &rest, &in, &err),
	                 0);
	assert_string_equal(rest, "\"a in:trash b\" in:inbox");
	assert_int_equal(in, 0);
	/* An escaped quote does not end the phrase. */
	assert_int_equal(imap_sa_scope(STRV_LIT("\"x \\\" in:junk\" y"), A,
	                               &rest, &in, &err),
	                 0);
	assert_string_equal(rest, "\"x \\\" in:junk\" y");
	assert_int_equal(in, 0);
}

static void
test_scope_refuses_long_text(void **state)
{
	char *big = arena_alloc(A, IMAP_SEARCH_MAX_LEN + 2);
	const char *rest;
	unsigned in;
	struct perr err;

	(void)state;
	memset(big, 'a', IMAP_SEARCH_MAX_LEN + 1);
	assert_int_equal(
	        imap_sa_scope((struct strv){big, IMAP_SEARCH_MAX_LEN + 1}, A,
	                      &rest, &in, &err),
	        -1);
	assert_int_equal(err.kind, PERR_INPUT);
}

static void
test_pick_folders_skips_noselect_unsubscribed_trash_junk(void **state)
{
	struct imap_folder f[] = {
	        {.path = "INBOX", .special = IMAP_SPECIAL_INBOX},
	        {.path = "Sent",
	         .special = IMAP_SPECIAL_SENT,
	         .subscribed = true},
	        {.path = "Trash",
	         .special = IMAP_SPECIAL_TRASH,
	         .subscribed = true},
	        {.path = "Junk",
	         .special = IMAP_SPECIAL_JUNK,
	         .subscribed = true},
	        {.path = "Work",
	         .subscribed = true,
	         .flags = IMAP_FOLDER_NOSELECT},
	        {.path = "Work/A", .subscribed = true},
	        {.path = "Old", .subscribed = false},
	        {.path = "Gone",
	         .subscribed = true,
	         .flags = IMAP_FOLDER_NONEXISTENT},
	};
	const char **p;
	size_t n;

	(void)state;
	n = imap_sa_pick_folders(f, PT_NELEM(f), 0, A, &p);
	assert_int_equal(n, 3);
	/* INBOX even when not subscribed. */
	assert_string_equal(p[0], "INBOX");
	assert_string_equal(p[1], "Sent");
	assert_string_equal(p[2], "Work/A");
	n = imap_sa_pick_folders(f, PT_NELEM(f), IMAP_SA_IN_TRASH, A, &p);
	assert_int_equal(n, 4);
	assert_string_equal(p[2], "Trash");
	n = imap_sa_pick_folders(f, PT_NELEM(f), IMAP_SA_IN_ALL, A, &p);
	assert_int_equal(n, 5);
	assert_string_equal(p[3], "Junk");
}

/* A state whose folder i has the UIDs and dates given (all dates known). */
static struct imap_sa *
state_of(size_t nf, const uint32_t *const *uids, const int64_t *const *dates,
         const size_t *n, uint32_t cap)
{
	static const char *const names[] = {"A", "B", "C", "D"};
	struct imap_sa *s = imap_sa_create(names, nf, "x", cap);
	size_t i;

	for (i = 0; i < nf; i++) {
		struct imap_sa_folder *f = &s->folders[i];

		f->state = IMAP_SA_DONE;
		f->count = (uint32_t)n[i];
		f->n = n[i];
		f->uids = calloc(n[i] + 1, sizeof(*f->uids));
		f->dates = calloc(n[i] + 1, sizeof(*f->dates));
		memcpy(f->uids, uids[i], n[i] * sizeof(*f->uids));
		memcpy(f->dates, dates[i], n[i] * sizeof(*f->dates));
		f->n_dates = n[i];
	}
	return s;
}

static void
test_merge_interleaves_newest_first_and_keeps_folder_order_on_ties(void **state)
{
	static const uint32_t ua[] = {10, 9, 4}, ub[] = {7, 6}, uc[] = {3};
	static const int64_t da[] = {500, 300, 100}, db[] = {400, 300},
	                     dc[] = {600};
	const uint32_t *u[] = {ua, ub, uc};
	const int64_t *d[] = {da, db, dc};
	size_t n[] = {3, 2, 1};
	struct imap_sa *s = state_of(3, u, d, n, 100);
	static const uint32_t want_f[] = {2, 0, 1, 0, 1, 0};
	static const uint32_t want_u[] = {3, 10, 7, 9, 6, 4};
	size_t i;

	(void)state;
	assert_int_equal(imap_sa_merge(s, 2), -1);
	assert_int_equal(s->n_merged, 2);
	/* Asking again for more continues where it stopped. */
	assert_int_equal(imap_sa_merge(s, 100), -1);
	assert_int_equal(s->n_merged, 6);
	for (i = 0; i < 6; i++) {
		assert_int_equal(s->merged[i].folder, want_f[i]);
		assert_int_equal(s->merged[i].uid, want_u[i]);
		if (i > 0)
			assert_true(s->merged[i - 1].date >= s->merged[i].date);
	}
	/* Asking for less than there is changes nothing. */
	assert_int_equal(imap_sa_merge(s, 3), -1);
	assert_int_equal(s->n_merged, 6);
	imap_sa_destroy(&s);
	assert_null(s);
}

static void
test_merge_stops_at_the_cap(void **state)
{
	static const uint32_t ua[] = {5, 4, 3}, ub[] = {2, 1};
	static const int64_t da[] = {50, 40, 30}, db[] = {45, 35};
	const uint32_t *u[] = {ua, ub};
	const int64_t *d[] = {da, db};
	size_t n[] = {3, 2};
	struct imap_sa *s = state_of(2, u, d, n, 3);

	(void)state;
	assert_int_equal(imap_sa_merge(s, 10), -1);
	assert_int_equal(s->n_merged, 3);
	assert_int_equal(s->merged[0].uid, 5);
	assert_int_equal(s->merged[1].uid, 2);
	assert_int_equal(s->merged[2].uid, 4);
	imap_sa_destroy(&s);
}

static void
test_merge_asks_for_the_dates_it_lacks(void **state)
{
	static const uint32_t ua[] = {9, 8, 7}, ub[] = {3};
	static const int64_t da[] = {90, 80, 70}, db[] = {85};
	const uint32_t *u[] = {ua, ub};
	const int64_t *d[] = {da, db};
	size_t n[] = {3, 1};
	struct imap_sa *s = state_of(2, u, d, n, 100);

	(void)state;
	s->folders[0].n_dates = 1; /* only uid 9's date is known */
	assert_int_equal(imap_sa_merge(s, 10), 0);
	/* 9 went in; without 8's date nothing can follow it safely. */
	assert_int_equal(s->n_merged, 1);
	assert_int_equal(s->merged[0].uid, 9);
	s->folders[0].n_dates = 3;
	assert_int_equal(imap_sa_merge(s, 10), -1);
	assert_int_equal(s->n_merged, 4);
	assert_int_equal(s->merged[1].uid, 3);
	assert_int_equal(s->merged[2].uid, 8);
	imap_sa_destroy(&s);
}

static void
test_merge_of_nothing_and_of_failed_folders(void **state)
{
	static const uint32_t ua[] = {1};
	static const int64_t da[] = {1};
	const uint32_t *u[] = {ua, ua};
	const int64_t *d[] = {da, da};
	size_t n[] = {0, 1};
	struct imap_sa *s = state_of(2, u, d, n, 100);

	(void)state;
	s->folders[1].state = IMAP_SA_FAILED;
	s->folders[1].n = 0; /* a failed folder keeps no list */
	assert_int_equal(imap_sa_merge(s, 10), -1);
	assert_int_equal(s->n_merged, 0);
	imap_sa_destroy(&s);
	s = imap_sa_create(NULL, 0, NULL, 0);
	assert_int_equal(s->cap, IMAP_SA_CAP_DEFAULT);
	assert_int_equal(imap_sa_merge(s, 10), -1);
	imap_sa_destroy(&s);
}

static bool
always(void *arg)
{
	(*(int *)arg)++;
	return true;
}

static void
test_cancelled_run_skips_every_folder(void **state)
{
	static const char *const names[] = {"INBOX", "Sent", "Work"};
	struct imap_sa *s = imap_sa_create(names, 3, "x", 0);
	struct imap_sa_run_opts o = {0};
	struct imap_sa_run_stats st;
	int calls = 0;
	size_t i;

	(void)state;
	o.cancelled = always;
	o.cancel_arg = &calls;
	/* Cancelled before the first folder: c is never used. */
	imap_sa_run(NULL, s, &o, &st);
	assert_true(st.cancelled);
	assert_true(calls >= 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(s->folders[i].state, IMAP_SA_SKIPPED);
		assert_string_equal(s->folders[i].error, "cancelled");
	}
	imap_sa_destroy(&s);
}

static void
test_too_many_folders_are_skipped_up_front(void **state)
{
	const char **names =
	        arena_new_array(A, const char *, IMAP_SA_MAX_FOLDERS + 2);
	struct imap_sa *s;
	size_t i;

	(void)state;
	for (i = 0; i < IMAP_SA_MAX_FOLDERS + 2; i++)
		names[i] = arena_printf(A, "F%zu", i);
	s = imap_sa_create(names, IMAP_SA_MAX_FOLDERS + 2, "x", 0);
	assert_int_equal(s->folders[IMAP_SA_MAX_FOLDERS - 1].state,
	                 IMAP_SA_PENDING);
	assert_int_equal(s->folders[IMAP_SA_MAX_FOLDERS].state,
	                 IMAP_SA_SKIPPED);
	assert_int_equal(s->folders[IMAP_SA_MAX_FOLDERS + 1].state,
	                 IMAP_SA_SKIPPED);
	imap_sa_destroy(&s);
}

static const char *
keys_of(const char *query)
{
	struct imap_search q;
	struct perr err;
	struct sbuf b;

	assert_int_equal(imap_search_parse(strv_from_cstr(query), A, &q, &err),
	                 0);
	sbuf_init(&b, A, 64, 64 * 1024);
	imap_sa_search_keys(&q, &b);
	assert_true(sbuf_ok(&b));
	return sbuf_cstr(&b);
}

static void
test_search_keys_send_every_value_as_a_literal(void **state)
{
	(void)state;
	assert_string_equal(keys_of(""), "ALL");
	assert_string_equal(keys_of("from:bob"), "FROM {3+}\r\nbob");
	assert_string_equal(keys_of("-subject:\"a \\\"b\\\" c\" is:unread"),
	                    "NOT SUBJECT {7+}\r\na \"b\" c UNSEEN");
	assert_string_equal(keys_of("to:ann"),
	                    "(OR TO {3+}\r\nann CC {3+}\r\nann)");
	assert_string_equal(keys_of("Grüße"),
	                    "(OR (OR FROM {7+}\r\nGrüße (OR TO {7+}\r\nGrüße "
	                    "CC {7+}\r\nGrüße)) SUBJECT {7+}\r\nGrüße)");
	assert_string_equal(keys_of("before:2026-03-04 after:2025-12-31"),
	                    "SENTBEFORE 4-Mar-2026 SENTSINCE 31-Dec-2025");
	assert_string_equal(keys_of("body:x has:attachment is:flagged"),
	                    "TEXT {1+}\r\nx (OR HEADER Content-Type "
	                    "multipart/mixed (OR HEADER Content-Type "
	                    "application/ HEADER Content-Disposition "
	                    "attachment)) FLAGGED");
	/* A literal's length counts bytes: a value cannot end early. */
	assert_string_equal(keys_of("subject:{5+}"), "SUBJECT {4+}\r\n{5+}");
}

static void
test_esearch_answers_in_sort_order_and_capped(void **state)
{
	uint32_t *u, count;
	size_t n;
	struct perr err;

	(void)state;
	assert_int_equal(
	        imap_esearch_parse(STRV_LIT(" (TAG \"7\") UID ALL 5:7,3,9:8 "
	                                    "COUNT 6"),
	                           100, A, &u, &n, &count, &err),
	        0);
	assert_int_equal(count, 6);
	assert_int_equal(n, 6);
	assert_int_equal(u[0], 5);
	assert_int_equal(u[2], 7);
	assert_int_equal(u[3], 3);
	assert_int_equal(u[4], 9);
	assert_int_equal(u[5], 8);
	/* The count is the server's; the list stops at the cap. */
	assert_int_equal(
	        imap_esearch_parse(STRV_LIT(" UID COUNT 4000000 ALL 1:4000000"),
	                           3, A, &u, &n, &count, &err),
	        0);
	assert_int_equal(count, 4000000);
	assert_int_equal(n, 3);
	assert_int_equal(u[2], 3);
	assert_int_equal(imap_esearch_parse(STRV_LIT(" (TAG \"8\") UID "
	                                             "COUNT 0"),
	                                    10, A, &u, &n, &count, &err),
	                 0);
	assert_int_equal(count, 0);
	assert_int_equal(n, 0);
	/* MIN/MAX we did not ask for are skipped. */
	assert_int_equal(imap_esearch_parse(STRV_LIT(" UID MIN 2 ALL 2 "
	                                             "MAX 2"),
	                                    10, A, &u, &n, &count, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(count, 1);
}

static void
test_esearch_refuses_bad_answers(void **state)
{
	static const char *const bad[] = {
	        " UID ALL 0",    " UID ALL x",   " UID ALL 1:",
	        " UID ALL 1,,2", " UID COUNT x", " UID ALL 5000000000",
	        " UID COUNT -1",
	};
	uint32_t *u, count;
	size_t n, i;
	struct perr err;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++) {
		if (imap_esearch_parse(strv_from_cstr(bad[i]), 10, A, &u, &n,
		                       &count, &err) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(err.kind, PERR_REMOTE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_scope_words_are_taken_out),
	        cmocka_unit_test(test_scope_refuses_long_text),
	        cmocka_unit_test(
	                test_pick_folders_skips_noselect_unsubscribed_trash_junk),
	        cmocka_unit_test(
	                test_merge_interleaves_newest_first_and_keeps_folder_order_on_ties),
	        cmocka_unit_test(test_merge_stops_at_the_cap),
	        cmocka_unit_test(test_merge_asks_for_the_dates_it_lacks),
	        cmocka_unit_test(test_merge_of_nothing_and_of_failed_folders),
	        cmocka_unit_test(test_cancelled_run_skips_every_folder),
	        cmocka_unit_test(test_too_many_folders_are_skipped_up_front),
	        cmocka_unit_test(
	                test_search_keys_send_every_value_as_a_literal),
	        cmocka_unit_test(test_esearch_answers_in_sort_order_and_capped),
	        cmocka_unit_test(test_esearch_refuses_bad_answers),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
