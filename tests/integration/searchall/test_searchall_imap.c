/*
 * imap/searchall.c against the real Dovecot: the one-command ESORT search
 * finds what the two-step SEARCH + SORT finds (text with quotes and
 * non-ASCII, negation, dates, flags); the parallel run keeps to the
 * pool's per-session limit; a folder deleted while the search runs is
 * reported and the others still answer; a page merges folders by date.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "imap/imap.h"
#include "stack.h"
#include "core/banned.h"

#define USER "alice@example.test"

static struct arena *A;
static struct config_domain D;
static char TOP[64], WORD[64];

static void
dom_init(struct config_domain *d)
{
	memset(d, 0, sizeof(*d));
	d->name = "example.test";
	d->imap_host = stack_get("MAILSTACK_HOST");
	d->imap_port = stack_port("IMAP_PORT");
	d->imap_secure = CONFIG_SECURE_NONE;
	d->verify_certificate = true;
	d->ca_file = "";
	d->connect_timeout = 5;
	d->read_timeout = 30;
}

static struct imap_conn *
login(void)
{
	struct imap_conn *c = NULL;
	struct perr err;

	if (imap_connect(&D, A, &c, &err) != 0)
		fail_msg("connect: %s", err.msg);
	if (imap_login(c, USER, stack_password(USER), &err) != 0)
		fail_msg("login: %s", err.msg);
	return c;
}

static void
bye(struct imap_conn **c)
{
	imap_logout(*c);
	imap_conn_destroy(c);
}

static void
put(struct imap_conn *c, const char *folder, const char *from,
    const char *subject, const char *date, unsigned flags)
{
	char *m = arena_printf(A,
	                       "From: %s\r\nTo: " USER "\r\nSubject: %s %s\r\n"
	                       "Date: %s\r\nMIME-Version: 1.0\r\n"
	                       "Content-Type: text/plain; charset=utf-8\r\n"
	                       "Content-Transfer-Encoding: 8bit\r\n\r\n"
	                       "body %s\r\n",
	                       from, subject, WORD, date, WORD);
	struct perr err;

	if (imap_append(c, folder, flags, 0, strv_from_cstr(m), A, NULL,
	                &err) != 0)
		fail_msg("append: %s", err.msg);
}

static const char *
path(const char *leaf)
{
	return arena_printf(A, "%s/%s", TOP, leaf);
}

static int
setup(void **state)
{
	struct imap_conn *c;
	struct perr err;
	static const char *const leaves[] = {"A", "B", "C", "D"};
	size_t i;

	(void)state;
	A = arena_create("itest", 64 * 1024, 0);
	dom_init(&D);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	snprintf(TOP, sizeof(TOP), "SAI%ld%d", (long)time(NULL), rand() % 1000);
	snprintf(WORD, sizeof(WORD), "sai%ld%d", (long)time(NULL), rand());
	c = login();
	if (imap_folder_create(c, TOP, A, &err) != 0)
		fail_msg("create: %s", err.msg);
	for (i = 0; i < PT_NELEM(leaves); i++) {
		if (imap_folder_create(c, path(leaves[i]), A, &err) != 0 ||
		    imap_folder_subscribe(c, path(leaves[i]), true, A, &err) !=
		            0)
			fail_msg("create: %s", err.msg);
	}
	put(c, path("A"), "Ann <ann@example.test>", "Grüße aus Köln",
	    "Thu, 05 Mar 2026 10:00:00 +0000", IMAP_MSG_SEEN);
	put(c, path("A"), "Bob <bob@example.test>", "say \"hi\" \\ there",
	    "Mon, 02 Mar 2026 10:00:00 +0000", 0);
	put(c, path("B"), "Ann <ann@example.test>", "budget",
	    "Wed, 04 Mar 2026 10:00:00 +0000", IMAP_MSG_FLAGGED);
	put(c, path("C"), "Cid <cid@example.test>", "roadmap",
	    "Tue, 03 Mar 2026 09:00:00 +0100", IMAP_MSG_SEEN);
	put(c, path("D"), "Dee <dee@example.test>", "newest",
	    "Fri, 06 Mar 2026 10:00:00 +0000", 0);
	{
		/* A label on C's only message (UID 1 of a new folder). */
		const uint32_t one = 1;
		const char *const label[] = {"$label1"};

		if (imap_set_keywords(c, path("C"), &one, 1, label, 1, NULL, 0,
		                      A, &err) != 0)
			fail_msg("label: %s", err.msg);
	}
	bye(&c);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_destroy(&A);
	return 0;
}

static struct imap_sa *
sa_for(const char *search)
{
	const char *paths[] = {path("A"), path("B"), path("C"), path("D")};

	return imap_sa_create(paths, PT_NELEM(paths), search, 0);
}

/* ESORT (Dovecot has it) and SEARCH + SORT give the same lists. */
static void
test_esort_matches_the_two_step_search(void **state)
{
	const char *queries[] = {
	        "", /* filled with WORD below */
	        "from:ann",
	        "-from:ann",
	        "subject:Grüße",
	        "\"say \\\"hi\\\" \\\\ there\"",
	        "before:2026-03-04",
	        "after:2026-03-04",
	        "is:unread",
	        "is:flagged",
	        "has:attachment",
	        "keyword:$label1",
	        "-keyword:$label1",
	};
	const uint32_t want[] = {5, 2, 3, 1, 1, 2, 3, 3, 1, 0, 1, 4};
	struct imap_conn *c1 = login(), *c2 = login();
	size_t q, i;

	(void)state;
	assert_true(imap_has_cap(c1, IMAP_CAP_ESORT));
	imap_conn_disable_caps(c2, IMAP_CAP_ESORT);
	for (q = 0; q < PT_NELEM(queries); q++) {
		const char *text = arena_printf(A, "%s %s", WORD, queries[q]);
		struct imap_sa *s1 = sa_for(text), *s2 = sa_for(text);
		uint32_t total = 0;

		for (i = 0; i < s1->n_folders; i++) {
			assert_int_equal(imap_sa_search_folder(c1, s1, i, 10),
			                 0);
			assert_int_equal(imap_sa_search_folder(c2, s2, i, 10),
			                 0);
			assert_int_equal(s1->folders[i].state, IMAP_SA_DONE);
			assert_int_equal(s2->folders[i].state, IMAP_SA_DONE);
			assert_int_equal(s1->folders[i].count,
			                 s2->folders[i].count);
			assert_int_equal(s1->folders[i].n, s2->folders[i].n);
			if (s1->folders[i].n > 0)
				assert_memory_equal(s1->folders[i].uids,
				                    s2->folders[i].uids,
				                    s1->folders[i].n *
				                            sizeof(uint32_t));
			total += s1->folders[i].count;
		}
		if (total != want[q])
			fail_msg("\"%s\": %u found, want %u", text, total,
			         want[q]);
		imap_sa_destroy(&s1);
		imap_sa_destroy(&s2);
	}
	bye(&c1);
	bye(&c2);
}

/* A cap bounds each folder's list and the merge; counts stay exact. */
static void
test_the_cap_bounds_the_lists_not_the_counts(void **state)
{
	const char *paths[] = {path("A"), path("B"), path("C"), path("D")};
	struct imap_sa *s = imap_sa_create(paths, 4, WORD, 1);
	struct imap_conn *c = login();
	uint32_t total = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(imap_sa_search_folder(c, s, i, 5), 0);
		assert_true(s->folders[i].n <= 1);
		total += s->folders[i].count;
	}
	assert_int_equal(s->folders[0].count, 2);
	assert_int_equal(total, 5);
	assert_int_equal(imap_sa_merge(s, 10), -1);
	assert_int_equal(s->n_merged, 1);
	assert_string_equal(s->folders[s->merged[0].folder].path, path("D"));
	imap_sa_destroy(&s);
	bye(&c);
}

struct cred {
	const char *user, *password;
};

static int
cred_fn(void *ctx, struct arena *a, const struct config_domain **dom_r,
        const char **user_r, const char **password_r, struct perr *err)
{
	const struct cred *cr = ctx;

	(void)a;
	(void)err;
	*dom_r = &D;
	*user_r = cr->user;
	*password_r = cr->password;
	return 0;
}

/* Parallel on the pool, never past its per-session limit; a page. */
static void
test_parallel_run_keeps_the_session_limit_and_merges_by_date(void **state)
{
	struct imap_pool_settings ps = {0};
	struct imap_pool *pool;
	struct imap_conn *c = NULL;
	struct cred cr = {USER, stack_password(USER)};
	struct imap_sa_run_opts o = {0};
	struct imap_sa_run_stats st;
	struct imap_sa *s = sa_for(WORD);
	struct imap_sa_row *rows;
	struct imap_pool_stats pst;
	struct perr err;
	size_t n;
	static const char *const order[] = {"D", "A", "B", "C", "A"};

	(void)state;
	ps.max_per_session = 2;
	pool = imap_pool_create(&ps);
	assert_int_equal(
	        imap_pool_checkout(pool, "s1", cred_fn, &cr, A, &c, &err), 0);
	o.pool = pool;
	o.session_key = "s1";
	o.cred = cred_fn;
	o.cred_ctx = &cr;
	o.max_extra = 3;
	o.want_dates = 2;
	imap_sa_run(c, s, &o, &st);
	/*
	 * c and one extra at a time: the session's two. (A worker that
	 * starts after another gave its connection back reuses it, so
	 * connections may count one connection twice; none is opened past
	 * the limit.)
	 */
	assert_in_range(st.connections, 2, 4);
	assert_false(st.cancelled);
	imap_pool_get_stats(pool, &pst);
	assert_int_equal(pst.connects, 2);
	assert_true(pst.open <= 2);
	assert_int_equal(imap_sa_page(c, s, 0, 10, A, &rows, &n, &err), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(s->folders[rows[i].folder].path,
		                    path(order[i]));
		if (i > 0)
			assert_true(rows[i - 1].row.date >= rows[i].row.date);
	}
	/* Page edges: the last row alone, then past the end. */
	assert_int_equal(imap_sa_page(c, s, 4, 10, A, &rows, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(imap_sa_page(c, s, 5, 10, A, &rows, &n, &err), 0);
	assert_int_equal(n, 0);
	imap_sa_destroy(&s);
	imap_pool_checkin(pool, &c);
	imap_pool_destroy(&pool);
}

struct deleter {
	struct imap_conn *other;
	const char *victim;
	int calls;
};

/* Called before each folder: deletes one folder before the first. */
static bool
delete_once(void *arg)
{
	struct deleter *d = arg;
	struct perr err;

	if (d->calls++ == 0 &&
	    imap_folder_delete(d->other, d->victim, A, &err) != 0)
		fail_msg("delete: %s", err.msg);
	return false;
}

static void
test_a_folder_deleted_during_the_search_is_reported(void **state)
{
	struct imap_conn *c = login(), *other = login();
	const char *victim = path("Gone");
	const char *paths[3];
	struct imap_sa *s;
	struct imap_sa_run_opts o = {0};
	struct imap_sa_run_stats st;
	struct deleter d = {other, victim, 0};
	struct imap_sa_row *rows;
	struct perr err;
	size_t n;

	(void)state;
	assert_int_equal(imap_folder_create(other, victim, A, &err), 0);
	put(other, victim, "Eve <eve@example.test>", "gone",
	    "Sat, 07 Mar 2026 10:00:00 +0000", 0);
	paths[0] = path("A");
	paths[1] = victim;
	paths[2] = path("D");
	s = imap_sa_create(paths, 3, WORD, 0);
	o.want_dates = 5;
	o.cancelled = delete_once;
	o.cancel_arg = &d;
	imap_sa_run(c, s, &o, &st);
	assert_int_equal(s->folders[0].state, IMAP_SA_DONE);
	assert_int_equal(s->folders[1].state, IMAP_SA_FAILED);
	assert_non_null(s->folders[1].error);
	assert_int_equal(s->folders[2].state, IMAP_SA_DONE);
	assert_int_equal(imap_sa_page(c, s, 0, 10, A, &rows, &n, &err), 0);
	assert_int_equal(n, 3);
	imap_sa_destroy(&s);
	bye(&c);
	bye(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_esort_matches_the_two_step_search),
	        cmocka_unit_test(test_the_cap_bounds_the_lists_not_the_counts),
	        cmocka_unit_test(
	                test_parallel_run_keeps_the_session_limit_and_merges_by_date),
	        cmocka_unit_test(
	                test_a_folder_deleted_during_the_search_is_reported),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
