#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/session.h"
#include "store/store.h"

struct fx {
	char dir[64];
	struct store *st;
	struct arena *a;
};

static const struct session_opts opts = {1800, 12 * 3600, false};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct perr err;
	char path[128];

	assert_true(
	        pt_strlcpy(f->dir, "/tmp/petrel-sess-XXXXXX", sizeof(f->dir)));
	assert_non_null(mkdtemp(f->dir));
	f->a = arena_create("t", 64 * 1024, 0);
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/p.db", f->dir));
	assert_int_equal(store_open(path, &f->st, f->a, &err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(&f->st);
	arena_destroy(&f->a);
	assert_true(pt_snprintf_ok(cmd, sizeof(cmd), "rm -rf %s", f->dir));
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct session *
make(struct fx *f, const char *password, int64_t now, char **cookie,
     char **csrf)
{
	struct session *s = NULL;
	struct perr err = {0};

	if (session_create(f->st, "alice@example.test",
	                   strv_from_cstr(password), "127.0.0.1", "test", now,
	                   &opts, f->a, &s, cookie, csrf, &err) != 0)
		fail_msg("session_create: %s", err.msg);
	return s;
}

static void
test_round_trip_gives_back_password(void **state)
{
	struct fx *f = *state;
	char *cookie, *csrf;
	struct session *s;
	struct perr err = {0};
	struct sbuf pw;

	make(f, "s3cret pässword", 1000, &cookie, &csrf);
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie), 1010, f->a,
	                              &s, &err),
	                 0);
	assert_string_equal(s->user, "alice@example.test");
	sbuf_init(&pw, NULL, 0, 2048);
	pw.secret = 1;
	assert_int_equal(session_password(s, &pw, &err), 0);
	assert_string_equal(sbuf_cstr(&pw), "s3cret pässword");
	sbuf_free(&pw);
	assert_true(session_csrf_ok(s, strv_from_cstr(csrf)));
	/* The token can be given again from the loaded session alone. */
	assert_string_equal(session_csrf_token(s, f->a), csrf);
	assert_false(session_csrf_ok(s, STRV_LIT("nope")));
	assert_false(session_csrf_ok(s, STRV_LIT("")));
}

/*
 * The database alone must not give back the password: the row holds no
 * plaintext, and a cookie with the right id but any other secret (all the
 * database could ever help an attacker to guess) is refused.
 */
static void
test_store_alone_cannot_give_back_password(void **state)
{
	struct fx *f = *state;
	char *cookie, *csrf, *forged;
	struct session *s;
	struct perr err = {0};
	struct store_stmt *q;
	struct strv blob;
	const char *password = "correct horse battery staple";

	make(f, password, 1000, &cookie, &csrf);
	assert_int_equal(store_query(f->st, f->a, &err, &q,
	                             "SELECT password_enc, id_hash, csrf_hash "
	                             "FROM sessions",
	                             ""),
	                 0);
	assert_int_equal(store_step(q, &err), 1);
	blob = store_col_blob(q, 0);
	assert_true(strv_find(blob, strv_from_cstr(password)) < 0);
	assert_true(strv_find(blob, STRV_LIT("horse")) < 0);
	/* Neither the cookie id nor the token is stored in clear. */
	assert_true(strv_find(store_col_text(q, 1), (struct strv){cookie, 32}) <
	            0);
	assert_true(strv_find(store_col_text(q, 2), strv_from_cstr(csrf)) < 0);
	store_finish(&q);

	forged = arena_strdup(f->a, cookie);
	forged[40] = forged[40] == 'A' ? 'B' : 'A';
	assert_int_equal(session_load(f->st, strv_from_cstr(forged), 1001, f->a,
	                              &s, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_AUTH);
}

static void
test_expiry_idle_and_absolute(void **state)
{
	struct fx *f = *state;
	char *cookie, *csrf;
	struct session *s;
	struct perr err = {0};

	make(f, "pw", 1000, &cookie, &csrf);
	/* Active use keeps it alive past the idle limit... */
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie), 2000, f->a,
	                              &s, &err),
	                 0);
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie), 3500, f->a,
	                              &s, &err),
	                 0);
	/* ...but idling longer than 1800 s ends it, and the row is gone. */
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie), 5400, f->a,
	                              &s, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_AUTH);
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie), 3600, f->a,
	                              &s, &err),
	                 -1);

	/* The absolute lifetime ends a session however busy it is. */
	make(f, "pw", 1000, &cookie, &csrf);
	for (int64_t t = 1000; t < 1000 + 12 * 3600; t += 1500)
		assert_int_equal(session_load(f->st, strv_from_cstr(cookie), t,
		                              f->a, &s, &err),
		                 0);
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie),
	                              1000 + 12 * 3600, f->a, &s, &err),
	                 -1);
}

static void
test_remember_me_stretches_idle_limit(void **state)
{
	struct fx *f = *state;
	struct session_opts o = opts;
	struct session *s;
	struct perr err = {0};
	char *cookie, *csrf;

	o.remember = true;
	assert_int_equal(session_create(f->st, "bob@example.test",
	                                STRV_LIT("pw"), NULL, NULL, 1000, &o,
	                                f->a, &s, &cookie, &csrf, &err),
	                 0);
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie),
	                              1000 + 6 * 3600, f->a, &s, &err),
	                 0);
}

static void
test_malformed_cookies_are_refused(void **state)
{
	struct fx *f = *state;
	struct session *s;
	struct perr err = {0};
	static const char *const bad[] = {
	        "",
	        ".",
	        "abc",
	        "0123456789abcdef0123456789abcdef",
	        "0123456789abcdef0123456789abcdef.",
	        "0123456789ABCDEF0123456789abcdef."
	        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	        "0123456789abcdef0123456789abcdef."
	        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	        "' OR 1=1 --.x",
	};
	size_t i;

	for (i = 0; i < PT_NELEM(bad); i++) {
		if (session_load(f->st, strv_from_cstr(bad[i]), 1000, f->a, &s,
		                 &err) != -1 ||
		    err.kind != PERR_AUTH)
			fail_msg("case %zu accepted", i);
	}
}

static void
test_destroy_and_count(void **state)
{
	struct fx *f = *state;
	char *c1, *c2, *csrf;
	struct session *s1, *s;
	struct perr err = {0};
	unsigned n = 0;

	s1 = make(f, "pw", 1000, &c1, &csrf);
	make(f, "pw", 1000, &c2, &csrf);
	assert_int_equal(session_count_active(f->st, 1001, f->a, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(session_destroy(f->st, s1, f->a, &err), 0);
	assert_int_equal(
	        session_load(f->st, strv_from_cstr(c1), 1001, f->a, &s, &err),
	        -1);
	assert_int_equal(
	        session_load(f->st, strv_from_cstr(c2), 1001, f->a, &s, &err),
	        0);
	assert_int_equal(session_purge(f->st, 1000 + 12 * 3600, f->a, &err), 1);
	assert_int_equal(
	        session_destroy_user(f->st, "alice@example.test", f->a, &err),
	        0);
}

static void
test_list_active_and_end_by_hash(void **state)
{
	struct fx *f = *state;
	char *c1, *c2, *csrf;
	struct session *s1, *s2, *s;
	struct session_info *v = NULL;
	struct perr err = {0};
	size_t n = 0;

	s1 = make(f, "pw", 1000, &c1, &csrf);
	s2 = make(f, "pw", 1000, &c2, &csrf);
	/* s2 is seen later: it comes first. */
	assert_int_equal(
	        session_load(f->st, strv_from_cstr(c2), 1100, f->a, &s, &err),
	        0);
	assert_int_equal(
	        session_list_active(f->st, 1101, 10, f->a, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id_hash, s2->id_hash);
	assert_string_equal(v[1].id_hash, s1->id_hash);
	assert_string_equal(v[0].user, "alice@example.test");
	assert_string_equal(v[0].ip, "127.0.0.1");
	assert_int_equal(v[0].last_seen, 1100);
	assert_int_equal(v[1].created, 1000);
	assert_int_equal(
	        session_list_active(f->st, 1101, 1, f->a, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	/* Idle past the limit: no longer listed. */
	assert_int_equal(
	        session_list_active(f->st, 1000 + 1800, 10, f->a, &v, &n, &err),
	        0);
	assert_int_equal(n, 1);
	assert_int_equal(session_end_by_hash(f->st, s1->id_hash, f->a, &err),
	                 0);
	assert_int_equal(
	        session_load(f->st, strv_from_cstr(c1), 1101, f->a, &s, &err),
	        -1);
	assert_int_equal(session_end_by_hash(f->st, s1->id_hash, f->a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
}

/*
 * A password change re-seals the password: the same cookie opens the new
 * one, from the loaded session and from the store, and never the old.
 */
static void
test_reseal_keeps_cookie_with_new_password(void **state)
{
	struct fx *f = *state;
	char *cookie, *csrf;
	struct session *s, *again;
	struct perr err = {0};
	struct sbuf pw;

	make(f, "old-pass-1", 1000, &cookie, &csrf);
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie), 1010, f->a,
	                              &s, &err),
	                 0);
	assert_int_equal(
	        session_reseal(f->st, s, STRV_LIT("New-pass-2!"), f->a, &err),
	        0);
	sbuf_init(&pw, NULL, 0, 2048);
	pw.secret = 1;
	assert_int_equal(session_password(s, &pw, &err), 0);
	assert_string_equal(sbuf_cstr(&pw), "New-pass-2!");
	sbuf_reset(&pw);
	assert_int_equal(session_load(f->st, strv_from_cstr(cookie), 1020, f->a,
	                              &again, &err),
	                 0);
	assert_int_equal(session_password(again, &pw, &err), 0);
	assert_string_equal(sbuf_cstr(&pw), "New-pass-2!");
	sbuf_free(&pw);
	/* The CSRF token does not change with the password. */
	assert_true(session_csrf_ok(again, strv_from_cstr(csrf)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_round_trip_gives_back_password, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_store_alone_cannot_give_back_password, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_expiry_idle_and_absolute,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_remember_me_stretches_idle_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_malformed_cookies_are_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_destroy_and_count, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_list_active_and_end_by_hash, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_reseal_keeps_cookie_with_new_password, setup,
	                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
