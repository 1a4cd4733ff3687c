#include <pthread.h>
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

#include "store/store.h"

struct fixture {
	struct unit_store u; /* dir, path, a, s */
};

static int
setup(void **state)
{
	struct fixture *f = pt_xcalloc(1, sizeof(*f));

	unit_store_open(&f->u, "petrel-store");
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
count_rows(struct fixture *f, const char *sql)
{
	struct store_stmt *st;
	struct perr err;
	int64_t n;

	assert_int_equal(store_query(f->u.s, f->u.a, &err, &st, sql, ""), 0);
	assert_int_equal(store_step(st, &err), 1);
	n = store_col_int(st, 0);
	store_finish(&st);
	return n;
}

static void
test_migrations_apply_once_and_reopen_is_idempotent(void **state)
{
	struct fixture *f = *state;
	unsigned v;
	struct perr err;
	struct stat st;
	int i;

	assert_true(store_schema_latest() >= 1);
	assert_int_equal(store_schema_version(f->u.s, &v, f->u.a, &err), 0);
	assert_int_equal(v, store_schema_latest());
	assert_int_equal(
	        count_rows(f, "SELECT count(*) FROM schema_migrations"),
	        store_schema_latest());
	/* Every table later modules rely on exists. */
	assert_int_equal(
	        count_rows(f, "SELECT count(*) FROM sqlite_schema WHERE "
	                      "type = 'table' AND name IN ('sessions', "
	                      "'user_settings', 'identities', 'contacts', "
	                      "'recent_recipients', 'rate_limits', "
	                      "'audit_log', 'send_tokens', "
	                      "'remote_image_senders')"),
	        9);
	assert_int_equal(count_rows(f, "PRAGMA foreign_keys"), 1);
	for (i = 0; i < 3; i++) {
		store_close(&f->u.s);
		assert_null(f->u.s);
		assert_int_equal(store_open(f->u.path, &f->u.s, f->u.a, &err),
		                 0);
	}
	assert_int_equal(
	        count_rows(f, "SELECT count(*) FROM schema_migrations"),
	        store_schema_latest());
	assert_int_equal(stat(f->u.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	{
		struct store_stmt *q;
		struct strv mode;

		assert_int_equal(store_query(f->u.s, f->u.a, &err, &q,
		                             "PRAGMA journal_mode", ""),
		                 0);
		assert_int_equal(store_step(q, &err), 1);
		mode = store_col_text(q, 0);
		assert_true(strv_eq_cstr(mode, "wal"));
		store_finish(&q);
	}
}

static void
test_newer_schema_is_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s2;
	struct perr err;

	assert_int_equal(store_exec(f->u.s, f->u.a, &err,
	                            "INSERT INTO schema_migrations "
	                            "(version, name, applied) VALUES (?, ?, 0)",
	                            "it", 9999, "9999_future.sql"),
	                 1);
	assert_int_equal(store_open(f->u.path, &s2, f->u.a, &err), -1);
	assert_null(s2);
	assert_int_equal(err.kind, PERR_INTERNAL);
	assert_non_null(strstr(err.msg, "newer"));
}

static void
test_settings_round_trip(void **state)
{
	struct fixture *f = *state;
	struct perr err;
	char *v;

	assert_int_equal(
	        store_setting_get(f->u.s, "a@x.org", "theme", f->u.a, &v, &err),
	        0);
	assert_null(v);
	assert_int_equal(store_setting_set(f->u.s, "a@x.org", "theme", "dark",
	                                   1, f->u.a, &err),
	                 0);
	assert_int_equal(store_setting_set(f->u.s, "b@x.org", "theme", "light",
	                                   1, f->u.a, &err),
	                 0);
	assert_int_equal(store_setting_set(f->u.s, "a@x.org", "theme", "blue",
	                                   2, f->u.a, &err),
	                 0);
	assert_int_equal(
	        store_setting_get(f->u.s, "a@x.org", "theme", f->u.a, &v, &err),
	        0);
	assert_string_equal(v, "blue");
	assert_int_equal(
	        store_setting_get(f->u.s, "b@x.org", "theme", f->u.a, &v, &err),
	        0);
	assert_string_equal(v, "light");
	assert_int_equal(store_setting_set(f->u.s, "a@x.org", "empty", "", 2,
	                                   f->u.a, &err),
	                 0);
	assert_int_equal(
	        store_setting_get(f->u.s, "a@x.org", "empty", f->u.a, &v, &err),
	        0);
	assert_string_equal(v, "");
	assert_int_equal(store_setting_set(f->u.s, "a@x.org", "theme", NULL, 3,
	                                   f->u.a, &err),
	                 0);
	assert_int_equal(
	        store_setting_get(f->u.s, "a@x.org", "theme", f->u.a, &v, &err),
	        0);
	assert_null(v);
}

/* Labels: a list per user in order; saved-empty is not "never saved". */
static void
test_labels_round_trip(void **state)
{
	struct fixture *f = *state;
	struct perr err;
	struct store_label *v;
	size_t n;
	bool saved;
	const struct store_label two[] = {
	        {"$label1", "Wichtig", "red"},
	        {"caf&AOk-", "Caf\xc3\xa9 \xe2\x98\x95", "teal"},
	};
	const struct store_label dup[] = {
	        {"work", "Work", "red"},
	        {"WORK", "Work 2", "blue"},
	};
	const struct store_label bad_name[] = {{"x", "a\tb", "red"}};
	const struct store_label bad_kw[] = {{"a b", "A", "red"}};
	const struct store_label bad_colour[] = {{"x", "X", "Red"}};
	char *raw;

	assert_int_equal(store_labels_get(f->u.s, "a@x.org", f->u.a, &v, &n,
	                                  &saved, &err),
	                 0);
	assert_false(saved);
	assert_int_equal(n, 0);
	assert_int_equal(
	        store_labels_set(f->u.s, "a@x.org", two, 2, 1, f->u.a, &err),
	        0);
	assert_int_equal(store_labels_get(f->u.s, "a@x.org", f->u.a, &v, &n,
	                                  &saved, &err),
	                 0);
	assert_true(saved);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].keyword, "$label1");
	assert_string_equal(v[0].name, "Wichtig");
	assert_string_equal(v[1].keyword, "caf&AOk-");
	assert_string_equal(v[1].name, "Caf\xc3\xa9 \xe2\x98\x95");
	assert_string_equal(v[1].colour, "teal");
	/* Another user's list is separate. */
	assert_int_equal(store_labels_get(f->u.s, "b@x.org", f->u.a, &v, &n,
	                                  &saved, &err),
	                 0);
	assert_false(saved);
	/* Refusals leave the list as it was. */
	assert_int_equal(
	        store_labels_set(f->u.s, "a@x.org", dup, 2, 2, f->u.a, &err),
	        -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(store_labels_set(f->u.s, "a@x.org", bad_name, 1, 2,
	                                  f->u.a, &err),
	                 -1);
	assert_int_equal(
	        store_labels_set(f->u.s, "a@x.org", bad_kw, 1, 2, f->u.a, &err),
	        -1);
	assert_int_equal(store_labels_set(f->u.s, "a@x.org", bad_colour, 1, 2,
	                                  f->u.a, &err),
	                 -1);
	assert_int_equal(store_labels_set(f->u.s, "a@x.org", two,
	                                  STORE_LABELS_MAX + 1, 2, f->u.a,
	                                  &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	assert_int_equal(store_labels_get(f->u.s, "a@x.org", f->u.a, &v, &n,
	                                  &saved, &err),
	                 0);
	assert_int_equal(n, 2);
	/* A damaged line is skipped, the rest still read. */
	assert_int_equal(store_setting_get(f->u.s, "a@x.org", "labels", f->u.a,
	                                   &raw, &err),
	                 0);
	assert_int_equal(
	        store_setting_set(f->u.s, "a@x.org", "labels",
	                          arena_printf(f->u.a, "%sbroken\n", raw), 3,
	                          f->u.a, &err),
	        0);
	assert_int_equal(store_labels_get(f->u.s, "a@x.org", f->u.a, &v, &n,
	                                  &saved, &err),
	                 0);
	assert_int_equal(n, 2);
	/* Saved empty: no labels, and not the defaults. */
	assert_int_equal(
	        store_labels_set(f->u.s, "a@x.org", NULL, 0, 4, f->u.a, &err),
	        0);
	assert_int_equal(store_labels_get(f->u.s, "a@x.org", f->u.a, &v, &n,
	                                  &saved, &err),
	                 0);
	assert_true(saved);
	assert_int_equal(n, 0);
}

/*
 * Rate-limit keys: one account whatever the case of its address, and one
 * IPv6 client per /64 (a host picks any address in its /64 at will).
 */
static void
test_ratelimit_keys_fold_case_and_ipv6_64(void **state)
{
	struct fixture *f = *state;
	struct perr err;
	unsigned c;

	assert_string_equal(store_ratelimit_key(f->u.a, "login", "user",
	                                        "Alice@Example.ORG"),
	                    store_ratelimit_key(f->u.a, "login", "user",
	                                        "alice@example.org"));
	assert_string_equal(
	        store_ratelimit_key(f->u.a, "login", "ip",
	                            "2001:db8:1:2:aaaa::1"),
	        store_ratelimit_key(f->u.a, "login", "ip",
	                            "2001:db8:1:2:ffff:ffff:ffff:ffff"));
	assert_string_equal(
	        store_ratelimit_key(f->u.a, "login", "ip", "2001:db8:1:2::5"),
	        "login:ip:2001:db8:1:2::/64");
	assert_string_not_equal(
	        store_ratelimit_key(f->u.a, "login", "ip", "2001:db8:1:2::1"),
	        store_ratelimit_key(f->u.a, "login", "ip", "2001:db8:1:3::1"));
	/* IPv4 (also as IPv4-mapped IPv6) stays one address. */
	assert_string_equal(
	        store_ratelimit_key(f->u.a, "admin", "ip", "192.0.2.7"),
	        "admin:ip:192.0.2.7");
	assert_string_equal(
	        store_ratelimit_key(f->u.a, "admin", "ip", "::ffff:192.0.2.7"),
	        "admin:ip:192.0.2.7");
	/* Something that is no address is kept as it is. */
	assert_string_equal(store_ratelimit_key(f->u.a, "login", "ip", "unix"),
	                    "login:ip:unix");
	/* And the counter sees the two spellings as one account. */
	assert_int_equal(
	        store_ratelimit_hit(f->u.s,
	                            store_ratelimit_key(f->u.a, "login", "user",
	                                                "Alice@x.test"),
	                            900, 1000, &c, f->u.a, &err),
	        0);
	assert_int_equal(
	        store_ratelimit_hit(f->u.s,
	                            store_ratelimit_key(f->u.a, "login", "user",
	                                                "alice@X.test"),
	                            900, 1001, &c, f->u.a, &err),
	        0);
	assert_int_equal(c, 2);
}

static void
test_ratelimit_fixed_window(void **state)
{
	struct fixture *f = *state;
	struct perr err;
	unsigned c;
	int i;

	assert_int_equal(store_ratelimit_check(f->u.s, "login:ip:1", 900, 1000,
	                                       &c, f->u.a, &err),
	                 0);
	assert_int_equal(c, 0);
	for (i = 1; i <= 5; i++) {
		assert_int_equal(store_ratelimit_hit(f->u.s, "login:ip:1", 900,
		                                     1000 + i * 100, &c, f->u.a,
		                                     &err),
		                 0);
		assert_int_equal(c, i);
	}
	/* Another key is counted apart. */
	assert_int_equal(store_ratelimit_hit(f->u.s, "login:ip:2", 900, 1100,
	                                     &c, f->u.a, &err),
	                 0);
	assert_int_equal(c, 1);
	/* Last second of the window (started at 1100, 900 s long). */
	assert_int_equal(store_ratelimit_check(f->u.s, "login:ip:1", 900, 1999,
	                                       &c, f->u.a, &err),
	                 0);
	assert_int_equal(c, 5);
	assert_int_equal(store_ratelimit_hit(f->u.s, "login:ip:1", 900, 1999,
	                                     &c, f->u.a, &err),
	                 0);
	assert_int_equal(c, 6);
	/* The window is over: a new one starts with this hit. */
	assert_int_equal(store_ratelimit_check(f->u.s, "login:ip:1", 900, 2000,
	                                       &c, f->u.a, &err),
	                 0);
	assert_int_equal(c, 0);
	assert_int_equal(store_ratelimit_hit(f->u.s, "login:ip:1", 900, 2000,
	                                     &c, f->u.a, &err),
	                 0);
	assert_int_equal(c, 1);
	assert_int_equal(store_ratelimit_hit(f->u.s, "login:ip:1", 900, 2001,
	                                     &c, f->u.a, &err),
	                 0);
	assert_int_equal(c, 2);
	assert_int_equal(
	        store_ratelimit_reset(f->u.s, "login:ip:1", f->u.a, &err), 0);
	assert_int_equal(store_ratelimit_check(f->u.s, "login:ip:1", 900, 2001,
	                                       &c, f->u.a, &err),
	                 0);
	assert_int_equal(c, 0);
	/* Purge drops windows started before the cut-off only. */
	assert_int_equal(
	        store_ratelimit_hit(f->u.s, "new", 900, 5000, &c, f->u.a, &err),
	        0);
	assert_int_equal(store_ratelimit_purge(f->u.s, 4000, f->u.a, &err), 1);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM rate_limits"), 1);
}

static void
test_audit_log_append_and_recent(void **state)
{
	struct fixture *f = *state;
	struct store_audit_entry *e;
	struct perr err;
	size_t n;
	int i;

	assert_int_equal(store_audit_recent(f->u.s, 10, f->u.a, &e, &n, &err),
	                 0);
	assert_int_equal(n, 0);
	for (i = 0; i < 5; i++) {
		char action[16];

		assert_true(pt_snprintf_ok(action, sizeof(action), "act%d", i));
		assert_int_equal(store_audit_append(f->u.s, 100 + i, "admin",
		                                    i == 0 ? NULL : "192.0.2.1",
		                                    action, NULL, f->u.a, &err),
		                 0);
	}
	assert_int_equal(store_audit_recent(f->u.s, 3, f->u.a, &e, &n, &err),
	                 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].action, "act4");
	assert_int_equal(e[0].time, 104);
	assert_string_equal(e[2].action, "act2");
	assert_string_equal(e[0].ip, "192.0.2.1");
	assert_string_equal(e[0].detail, "");
	assert_int_equal(store_audit_recent(f->u.s, 100, f->u.a, &e, &n, &err),
	                 0);
	assert_int_equal(n, 5);
	assert_string_equal(e[4].ip, "");
}

static void
test_injection_looking_values_are_stored_verbatim(void **state)
{
	static const char *const evil[] = {
	        "'; DROP TABLE user_settings; --",       "\" OR 1=1 --",
	        "Robert'); DELETE FROM audit_log;--",    "?1 ?2 :name @x $y",
	        "\xe2\x80\x8b unicode \xf0\x9f\x90\xa6", "%s%n%x",
	};
	struct fixture *f = *state;
	struct perr err;
	struct store_stmt *st;
	char *v;
	size_t i;

	for (i = 0; i < PT_NELEM(evil); i++) {
		assert_int_equal(store_setting_set(f->u.s, evil[i], evil[i],
		                                   evil[i], 1, f->u.a, &err),
		                 0);
		assert_int_equal(store_setting_get(f->u.s, evil[i], evil[i],
		                                   f->u.a, &v, &err),
		                 0);
		assert_non_null(v);
		assert_string_equal(v, evil[i]);
		assert_int_equal(store_audit_append(f->u.s, 1, evil[i], evil[i],
		                                    evil[i], evil[i], f->u.a,
		                                    &err),
		                 0);
	}
	assert_int_equal(count_rows(f, "SELECT count(*) FROM user_settings"),
	                 PT_NELEM(evil));
	assert_int_equal(count_rows(f, "SELECT count(*) FROM audit_log"),
	                 PT_NELEM(evil));
	/* Embedded NUL in a strv and blobs survive too. */
	assert_int_equal(store_exec(f->u.s, f->u.a, &err,
	                            "INSERT INTO sessions (id_hash, user, "
	                            "password_enc, nonce, csrf_hash, created, "
	                            "last_seen, expires) "
	                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                            "tsbbtIII", "h1", (struct strv){"a\0b", 3},
	                            "\x00\x01\x02", (size_t)3, "", (size_t)0,
	                            "c", (int64_t)1, (int64_t)2, (int64_t)3),
	                 1);
	assert_int_equal(store_query(f->u.s, f->u.a, &err, &st,
	                             "SELECT user, password_enc, nonce, ip "
	                             "FROM sessions WHERE id_hash = ?",
	                             "t", "h1"),
	                 0);
	assert_int_equal(store_step(st, &err), 1);
	assert_int_equal(store_col_text(st, 0).len, 3);
	assert_memory_equal(store_col_text(st, 0).p, "a\0b", 3);
	assert_int_equal(store_col_blob(st, 1).len, 3);
	assert_memory_equal(store_col_blob(st, 1).p, "\x00\x01\x02", 3);
	assert_int_equal(store_col_blob(st, 2).len, 0);
	assert_false(store_col_is_null(st, 2));
	assert_string_equal(store_col_dup(st, 3), "");
	assert_int_equal(store_step(st, &err), 0);
	store_finish(&st);
	assert_null(st);
	store_finish(&st);
}

static void
test_errors_are_typed(void **state)
{
	struct fixture *f = *state;
	struct perr err;
	struct store_stmt *st;

	/* Parameter count mismatch is a bug, reported, not executed. */
	assert_int_equal(store_exec(f->u.s, f->u.a, &err,
	                            "DELETE FROM rate_limits WHERE key = ?",
	                            ""),
	                 -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	assert_int_equal(store_exec(f->u.s, f->u.a, &err, "NOT SQL", ""), -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	assert_non_null(strstr(err.msg, "syntax"));
	/* A constraint violation is a conflict. */
	assert_int_equal(store_exec(f->u.s, f->u.a, &err,
	                            "INSERT INTO identities (user, email, "
	                            "is_default) VALUES (?, ?, 1)",
	                            "tt", "u", "a@x"),
	                 1);
	assert_true(store_last_insert_id(f->u.s) > 0);
	assert_int_equal(store_exec(f->u.s, f->u.a, &err,
	                            "INSERT INTO identities (user, email, "
	                            "is_default) VALUES (?, ?, 1)",
	                            "tt", "u", "b@x"),
	                 -1);
	assert_int_equal(err.kind, PERR_CONFLICT);
	/* Transactions roll back. */
	assert_int_equal(store_begin(f->u.s, f->u.a, &err), 0);
	assert_int_equal(
	        store_exec(f->u.s, f->u.a, &err, "DELETE FROM identities", ""),
	        1);
	store_rollback(f->u.s);
	store_rollback(f->u.s);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM identities"), 1);
	/* A statement left open is finalised by the arena, even after close. */
	assert_int_equal(store_query(f->u.s, f->u.a, &err, &st,
	                             "SELECT 1 UNION ALL SELECT 2", ""),
	                 0);
	assert_int_equal(store_step(st, &err), 1);
	store_close(&f->u.s);
	arena_reset(f->u.a);
	assert_int_equal(store_open(f->u.path, &f->u.s, f->u.a, &err), 0);
}

/* ---- two threads, one connection each -------------------------------- */

struct worker {
	const char *path;
	int id;
	int failures;
};

#define WORKER_ROUNDS 200

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct arena *a = arena_create("worker", 4096, 0);
	struct store *s;
	struct perr err;
	char key[32], user[32];
	unsigned c;
	int i;

	if (store_open(w->path, &s, a, &err) < 0) {
		w->failures++;
		arena_destroy(&a);
		return NULL;
	}
	if (!pt_snprintf_ok(user, sizeof(user), "user%d", w->id))
		w->failures++;
	for (i = 0; i < WORKER_ROUNDS; i++) {
		char *v;

		if (!pt_snprintf_ok(key, sizeof(key), "k%d", i))
			w->failures++;
		if (store_setting_set(s, user, key, key, i, a, &err) < 0 ||
		    store_setting_get(s, user, key, a, &v, &err) < 0 ||
		    v == NULL || strcmp(v, key) != 0)
			w->failures++;
		if (store_ratelimit_hit(s, "shared", 3600, 1000, &c, a, &err) <
		    0)
			w->failures++;
		arena_reset(a);
	}
	store_close(&s);
	arena_destroy(&a);
	return NULL;
}

static void
test_two_threads_each_with_own_connection(void **state)
{
	struct fixture *f = *state;
	struct worker w[2] = {{f->u.path, 1, 0}, {f->u.path, 2, 0}};
	pthread_t t[2];
	struct perr err;
	unsigned c;
	int i;

	for (i = 0; i < 2; i++)
		assert_int_equal(
		        pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(w[0].failures, 0);
	assert_int_equal(w[1].failures, 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM user_settings"),
	                 2 * WORKER_ROUNDS);
	/* No hit was lost: the UPSERT is atomic across connections. */
	assert_int_equal(store_ratelimit_check(f->u.s, "shared", 3600, 1000, &c,
	                                       f->u.a, &err),
	                 0);
	assert_int_equal(c, 2 * WORKER_ROUNDS);
}

static void
test_send_token_once(void **state)
{
	struct fixture *f = *state;
	struct perr err;
	char *res;

	assert_int_equal(store_send_token_claim(f->u.s, "u@x", "t1", 100, 0,
	                                        f->u.a, &res, &err),
	                 STORE_TOKEN_CLAIMED);
	assert_int_equal(store_send_token_claim(f->u.s, "u@x", "t1", 101, 0,
	                                        f->u.a, &res, &err),
	                 STORE_TOKEN_BUSY);
	/* Another user's token of the same name is separate. */
	assert_int_equal(store_send_token_claim(f->u.s, "v@x", "t1", 101, 0,
	                                        f->u.a, &res, &err),
	                 STORE_TOKEN_CLAIMED);
	assert_int_equal(store_send_token_finish(f->u.s, "u@x", "t1",
	                                         "{\"a\":1}", f->u.a, &err),
	                 0);
	assert_int_equal(store_send_token_claim(f->u.s, "u@x", "t1", 102, 0,
	                                        f->u.a, &res, &err),
	                 STORE_TOKEN_DONE);
	assert_string_equal(res, "{\"a\":1}");
	/* A failed send releases the token; a dead one is taken over. */
	assert_int_equal(store_send_token_finish(f->u.s, "v@x", "t1", NULL,
	                                         f->u.a, &err),
	                 0);
	assert_int_equal(store_send_token_claim(f->u.s, "v@x", "t1", 200, 0,
	                                        f->u.a, &res, &err),
	                 STORE_TOKEN_CLAIMED);
	assert_int_equal(store_send_token_claim(f->u.s, "v@x", "t1", 900, 201,
	                                        f->u.a, &res, &err),
	                 STORE_TOKEN_CLAIMED);
}

static void
test_recipients_and_identities(void **state)
{
	struct fixture *f = *state;
	struct store_recipient *r;
	struct store_identity id = {0}, *ids;
	struct perr err;
	int64_t id1, id2;
	size_t n;

	assert_int_equal(store_recipient_used(f->u.s, "u@x", "bob@x.test",
	                                      "Bob", 10, f->u.a, &err),
	                 0);
	assert_int_equal(store_recipient_used(f->u.s, "u@x", "b_100%@x.test",
	                                      "", 20, f->u.a, &err),
	                 0);
	assert_int_equal(store_recipient_used(f->u.s, "u@x", "bob@x.test", "",
	                                      30, f->u.a, &err),
	                 0);
	assert_int_equal(store_recipient_suggest(f->u.s, "u@x", "bo", 10,
	                                         f->u.a, &r, &n, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].name, "Bob"); /* an empty name keeps it */
	/* LIKE wildcards in q are literal. */
	assert_int_equal(store_recipient_suggest(f->u.s, "u@x", "_1", 10,
	                                         f->u.a, &r, &n, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].email, "b_100%@x.test");
	assert_int_equal(store_recipient_suggest(f->u.s, "u@x", "%", 10, f->u.a,
	                                         &r, &n, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_recipient_suggest(f->u.s, "other@x", "b", 10,
	                                         f->u.a, &r, &n, &err),
	                 0);
	assert_int_equal(n, 0);

	id.name = "A";
	id.email = "a@x";
	id.reply_to = id.signature = id.sent_folder = "";
	id.is_default = true;
	assert_int_equal(
	        store_identity_save(f->u.s, "u@x", &id, f->u.a, &id1, &err), 0);
	id.email = "b@x";
	id.sent_folder = "Sent/B";
	assert_int_equal(
	        store_identity_save(f->u.s, "u@x", &id, f->u.a, &id2, &err), 0);
	assert_int_equal(
	        store_identity_list(f->u.s, "u@x", f->u.a, &ids, &n, &err), 0);
	assert_int_equal(n, 2);
	/* One default only: the later one. */
	assert_int_equal(ids[0].id, id2);
	assert_true(ids[0].is_default);
	assert_false(ids[1].is_default);
	assert_string_equal(ids[0].sent_folder, "Sent/B");
	assert_int_equal(
	        store_identity_delete(f->u.s, "v@x", id1, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(
	        store_identity_delete(f->u.s, "u@x", id1, f->u.a, &err), 0);
}

static void
test_upload_total_and_stale(void **state)
{
	struct fixture *f = *state;
	struct store_upload u = {"u1", "a@x", "sess", "n", "t/s", "/p1", 60, 1},
	                    got, *v;
	struct perr err;
	size_t n;

	assert_int_equal(store_upload_add(f->u.s, &u, 100, f->u.a, &err), 0);
	u.id = "u2";
	assert_int_equal(store_upload_add(f->u.s, &u, 100, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	u.size = 40;
	assert_int_equal(store_upload_add(f->u.s, &u, 100, f->u.a, &err), 0);
	/*
	 * The quota is the user's: another sign-in (any case) shares it
	 * (#14 finding 10); another user has their own.
	 */
	u.id = "u3";
	u.session_hash = "sess2";
	u.user = "A@X";
	u.size = 1;
	assert_int_equal(store_upload_add(f->u.s, &u, 100, f->u.a, &err), -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	u.user = "b@x";
	u.size = 100;
	assert_int_equal(store_upload_add(f->u.s, &u, 100, f->u.a, &err), 0);
	u.session_hash = "sess";
	u.user = "a@x";
	/* Another session does not see them. */
	assert_int_equal(
	        store_upload_get(f->u.s, "other", "u1", f->u.a, &got, &err),
	        -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(
	        store_upload_get(f->u.s, "sess", "u1", f->u.a, &got, &err), 0);
	assert_string_equal(got.path, "/p1");
	/* No session rows "sess", "sess2": all three are stale. */
	assert_int_equal(
	        store_upload_stale(f->u.s, NULL, 10, 10, f->u.a, &v, &n, &err),
	        0);
	assert_int_equal(n, 3);
}

/* #14 finding 2: the confirmation link's life in the store. */
static void
test_identity_confirmation(void **state)
{
	struct fixture *f = *state;
	struct store_identity id = {0,  "N",   "boss@x.test", "",    "",
	                            "", false, false,         false, false};
	struct store_identity *v;
	const char *user = NULL, *email = NULL;
	struct perr err;
	int64_t n;
	size_t cnt;

	assert_int_equal(
	        store_identity_save(f->u.s, "u@x", &id, f->u.a, &n, &err), 0);
	assert_int_equal(store_identity_confirm_begin(f->u.s, "other@x", n,
	                                              "h1", 1000, 700, f->u.a,
	                                              &err),
	                 -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(store_identity_confirm_begin(f->u.s, "u@x", n, "h1",
	                                              1000, 700, f->u.a, &err),
	                 0);
	/* A second link too soon: refused; later: replaces the first. */
	assert_int_equal(store_identity_confirm_begin(f->u.s, "u@x", n, "h2",
	                                              1010, 710, f->u.a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_RATE);
	assert_int_equal(store_identity_confirm_begin(f->u.s, "u@x", n, "h2",
	                                              2000, 1700, f->u.a, &err),
	                 0);
	assert_int_equal(store_identity_confirm(f->u.s, "h1", 10, true, f->u.a,
	                                        &user, &email, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	/* Expired. */
	assert_int_equal(store_identity_confirm(f->u.s, "h2", 2000, true,
	                                        f->u.a, &user, &email, &err),
	                 -1);
	/* Looking does not use it up. */
	assert_int_equal(store_identity_confirm(f->u.s, "h2", 10, false, f->u.a,
	                                        &user, &email, &err),
	                 0);
	assert_string_equal(user, "u@x");
	assert_string_equal(email, "boss@x.test");
	assert_int_equal(
	        store_identity_list(f->u.s, "u@x", f->u.a, &v, &cnt, &err), 0);
	assert_false(v[0].confirmed);
	assert_int_equal(store_identity_confirm(f->u.s, "h2", 10, true, f->u.a,
	                                        &user, &email, &err),
	                 0);
	assert_int_equal(
	        store_identity_list(f->u.s, "u@x", f->u.a, &v, &cnt, &err), 0);
	assert_true(v[0].confirmed);
	/* Once only. */
	assert_int_equal(store_identity_confirm(f->u.s, "h2", 10, true, f->u.a,
	                                        &user, &email, &err),
	                 -1);
	/* The same address kept: still confirmed; another: not. */
	id.id = n;
	id.name = "Renamed";
	assert_int_equal(
	        store_identity_save(f->u.s, "u@x", &id, f->u.a, &n, &err), 0);
	assert_int_equal(
	        store_identity_list(f->u.s, "u@x", f->u.a, &v, &cnt, &err), 0);
	assert_true(v[0].confirmed);
	id.email = "other@x.test";
	assert_int_equal(
	        store_identity_save(f->u.s, "u@x", &id, f->u.a, &n, &err), 0);
	assert_int_equal(
	        store_identity_list(f->u.s, "u@x", f->u.a, &v, &cnt, &err), 0);
	assert_false(v[0].confirmed);
}

static void
test_contacts(void **state)
{
	struct fixture *f = *state;
	struct store_contact c, *v;
	struct store_recipient *r;
	struct perr err;
	int64_t id1, id2, ids[2];
	size_t n, total;

	memset(&c, 0, sizeof(c));
	c.name = "zed";
	c.phone = c.organization = c.notes = "";
	c.emails[0] = "z1@x.test";
	c.emails[1] = "z_2@x.test";
	c.n_emails = 2;
	assert_int_equal(
	        store_contact_save(f->u.s, "u@x", &c, 2, 5, f->u.a, &id1, &err),
	        0);
	c.name = "Anna";
	c.emails[0] = "anna@x.test";
	c.n_emails = 1;
	assert_int_equal(
	        store_contact_save(f->u.s, "u@x", &c, 2, 5, f->u.a, &id2, &err),
	        0);
	/* The limit counts the user's contacts. */
	assert_int_equal(
	        store_contact_save(f->u.s, "u@x", &c, 2, 5, f->u.a, &id2, &err),
	        -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	/* By name, case-blind; the count is of all matches. */
	assert_int_equal(store_contact_list(f->u.s, "u@x", NULL, 0, 1, f->u.a,
	                                    &v, &n, &total, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(total, 2);
	assert_string_equal(v[0].name, "Anna");
	/* A search in any address, wildcards literal. */
	assert_int_equal(store_contact_list(f->u.s, "u@x", "_2", 0, 10, f->u.a,
	                                    &v, &n, &total, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id1);
	assert_int_equal(v[0].n_emails, 2);
	assert_string_equal(v[0].emails[0], "z1@x.test");
	assert_string_equal(v[0].emails[1], "z_2@x.test");
	assert_int_equal(store_contact_suggest(f->u.s, "u@x", "zed", 10, f->u.a,
	                                       &r, &n, &err),
	                 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[1].email, "z_2@x.test");
	/* Update replaces the addresses; another user's id is not found. */
	c.id = id1;
	c.name = "Zed";
	c.emails[0] = "new@x.test";
	assert_int_equal(
	        store_contact_save(f->u.s, "v@x", &c, 2, 6, f->u.a, &id2, &err),
	        -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(
	        store_contact_save(f->u.s, "u@x", &c, 2, 6, f->u.a, &id2, &err),
	        0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM contact_emails"),
	                 2);
	assert_int_equal(store_contact_list(f->u.s, "other@x", NULL, 0, 10,
	                                    f->u.a, &v, &n, &total, &err),
	                 0);
	assert_int_equal(total, 0);
	ids[0] = id1;
	ids[1] = 999;
	assert_int_equal(
	        store_contact_delete(f->u.s, "v@x", ids, 2, f->u.a, &n, &err),
	        0);
	assert_int_equal(n, 0);
	assert_int_equal(
	        store_contact_delete(f->u.s, "u@x", ids, 2, f->u.a, &n, &err),
	        0);
	assert_int_equal(n, 1);
	/* Its addresses went with it. */
	assert_int_equal(count_rows(f, "SELECT count(*) FROM contact_emails"),
	                 1);
	/* An import keeps what fits in the book, in one transaction. */
	{
		struct store_contact two[2];

		memset(two, 0, sizeof(two));
		two[0].name = "Imp One";
		two[1].name = "Imp Two";
		two[0].phone = two[0].organization = two[0].notes = "";
		two[1].phone = two[1].organization = two[1].notes = "";
		assert_int_equal(store_contact_import(f->u.s, "u@x", two, 2, 2,
		                                      7, f->u.a, &n, &err),
		                 0);
		assert_int_equal(n, 1);
		assert_int_equal(store_contact_import(f->u.s, "u@x", two, 2, 2,
		                                      7, f->u.a, &n, &err),
		                 -1);
		assert_int_equal(err.kind, PERR_LIMIT);
		assert_int_equal(n, 0);
		assert_int_equal(store_contact_import(f->u.s, "u@x", two, 2, 10,
		                                      7, f->u.a, &n, &err),
		                 0);
		assert_int_equal(n, 2);
		assert_int_equal(count_rows(f, "SELECT count(*) FROM contacts "
		                               "WHERE name LIKE 'Imp%'"),
		                 3);
	}
}

/* A 0001-era contact (one address in contacts.email) keeps it after 0005. */
static void
test_contacts_migration_keeps_old_rows(void **state)
{
	struct fixture *f = *state;
	struct store_contact *v;
	struct perr err;
	size_t n, total;
	static const char *const undo[] = {
	        /* 0008, 0007, then 0006: migrations apply in order. */
	        "DROP TABLE snoozes",
	        "DELETE FROM schema_migrations WHERE name = '0008_snooze.sql'",
	        "DROP TABLE outbox",
	        "DELETE FROM schema_migrations WHERE name = '0007_outbox.sql'",
	        "DROP INDEX identities_confirm",
	        "ALTER TABLE identities DROP COLUMN confirmed",
	        "ALTER TABLE identities DROP COLUMN confirm_hash",
	        "ALTER TABLE identities DROP COLUMN confirm_expires",
	        "DELETE FROM schema_migrations WHERE name = "
	        "'0006_identity_confirm.sql'",
	        "DROP INDEX contacts_user_name",
	        "DROP TABLE contact_emails",
	        "ALTER TABLE contacts DROP COLUMN phone",
	        "ALTER TABLE contacts DROP COLUMN organization",
	        "DELETE FROM schema_migrations WHERE name = "
	        "'0005_contacts.sql'",
	        ("INSERT INTO contacts (user, name, email, notes, created) "
	         "VALUES ('u@x', 'Old Timer', 'old@x.test', 'kept', 1)"),
	};

	/* Back to the schema before 0005, with a contact of that time. */
	for (size_t i = 0; i < PT_NELEM(undo); i++)
		assert_true(store_exec(f->u.s, f->u.a, &err, undo[i], "") >= 0);
	store_close(&f->u.s);
	assert_int_equal(store_open(f->u.path, &f->u.s, f->u.a, &err), 0);
	assert_int_equal(store_contact_list(f->u.s, "u@x", "old@", 0, 10,
	                                    f->u.a, &v, &n, &total, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "Old Timer");
	assert_string_equal(v[0].notes, "kept");
	assert_string_equal(v[0].phone, "");
	assert_int_equal(v[0].n_emails, 1);
	assert_string_equal(v[0].emails[0], "old@x.test");
}

/*
 * A full disk (here: the database may not grow past its current pages,
 * which makes sqlite answer SQLITE_FULL exactly as a full file system
 * does) is PERR_NOSPACE, so the API answers 507, and the failed write
 * leaves the previous value intact.
 */
static void
test_full_disk_is_nospace_and_keeps_old_value(void **state)
{
	struct fixture *f = *state;
	struct store_stmt *st;
	struct perr err;
	static char big[256 * 1024];

	/* DDL reports the last DML's change count: only success matters. */
	assert_true(
	        store_exec(f->u.s, f->u.a, &err,
	                   "CREATE TABLE full_t (k TEXT PRIMARY KEY, v BLOB)",
	                   "") >= 0);
	assert_int_equal(store_exec(f->u.s, f->u.a, &err,
	                            "INSERT INTO full_t VALUES ('k', 'old')",
	                            ""),
	                 1);
	assert_int_equal(store_query(f->u.s, f->u.a, &err, &st,
	                             "PRAGMA max_page_count = 1", ""),
	                 0);
	assert_int_equal(store_step(st, &err), 1); /* the new limit */
	store_finish(&st);
	memset(big, 'x', sizeof(big));
	assert_int_equal(store_exec(f->u.s, f->u.a, &err,
	                            "UPDATE full_t SET v = ? WHERE k = 'k'",
	                            "b", big, sizeof(big)),
	                 -1);
	assert_int_equal(err.kind, PERR_NOSPACE);
	assert_int_equal(
	        count_rows(f, "SELECT count(*) FROM full_t WHERE v = 'old'"),
	        1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_migrations_apply_once_and_reopen_is_idempotent,
	                setup, teardown),
	        cmocka_unit_test_setup_teardown(test_newer_schema_is_refused,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_labels_round_trip, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_settings_round_trip, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_ratelimit_fixed_window,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_audit_log_append_and_recent, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_injection_looking_values_are_stored_verbatim,
	                setup, teardown),
	        cmocka_unit_test_setup_teardown(test_errors_are_typed, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_two_threads_each_with_own_connection, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_send_token_once, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_recipients_and_identities,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_contacts, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_contacts_migration_keeps_old_rows, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_identity_confirmation,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_upload_total_and_stale,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_ratelimit_keys_fold_case_and_ipv6_64, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_full_disk_is_nospace_and_keeps_old_value, setup,
	                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
