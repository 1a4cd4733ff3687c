/* Secrets sealed for later under the server's job key (session_seal_away,
 * session_open_away in src/session/session.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "session/session.h"

struct fx {
	char dir[64];
	char *key;
	struct arena *a;
};

static const struct strv pw = STRV_LIT("hunter2-alice");

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_true(
	        pt_strlcpy(f->dir, "/tmp/petrel-away-XXXXXX", sizeof(f->dir)));
	assert_non_null(mkdtemp(f->dir));
	f->a = arena_create("t", 64 * 1024, 0);
	f->key = session_away_key_path(f->dir, f->a);
	assert_non_null(f->key);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	arena_destroy(&f->a);
	assert_true(pt_snprintf_ok(cmd, sizeof(cmd), "rm -rf %s", f->dir));
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct strv
sealed_for(struct fx *f, const char *purpose, const char *user, int64_t row)
{
	struct strv s = STRV_NULL;
	struct perr err;

	assert_int_equal(session_seal_away(f->key, purpose, user, row, pw, &s,
	                                   f->a, &err),
	                 0);
	return s;
}

/* 0 and the password, or the error kind. */
static int
open_for(struct fx *f, const char *purpose, const char *user, int64_t row,
         struct strv sealed)
{
	struct sbuf out;
	struct perr err;
	int r;

	sbuf_init(&out, NULL, 0, 4096);
	out.secret = 1;
	r = session_open_away(f->key, purpose, user, row, sealed, &out, f->a,
	                      &err);
	if (r == 0)
		assert_true(strv_eq(sbuf_view(&out), pw));
	sbuf_free(&out);
	return r == 0 ? 0 : (int)err.kind;
}

static void
test_round_trip_and_key_file(void **state)
{
	struct fx *f = *state;
	struct strv s;
	struct stat st;

	assert_int_equal(access(f->key, F_OK), -1); /* made on first use */
	s = sealed_for(f, "outbox", "alice@example.test", 7);
	assert_true(s.len > pw.len);
	assert_null(memmem(s.p, s.len, pw.p, pw.len));
	assert_int_equal(stat(f->key, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(open_for(f, "outbox", "alice@example.test", 7, s), 0);
	/* The same key the next time (read, not made again). */
	s = sealed_for(f, "outbox", "alice@example.test", 8);
	assert_int_equal(open_for(f, "outbox", "alice@example.test", 8, s), 0);
}

static void
test_bound_to_purpose_user_and_row(void **state)
{
	struct fx *f = *state;
	struct strv s = sealed_for(f, "outbox", "alice@example.test", 7);

	assert_int_equal(open_for(f, "snooze", "alice@example.test", 7, s),
	                 PERR_AUTH);
	assert_int_equal(open_for(f, "outbox", "bob@example.test", 7, s),
	                 PERR_AUTH);
	assert_int_equal(open_for(f, "outbox", "alice@example.test", 70, s),
	                 PERR_AUTH);
	/* The separators keep "ab"+"c" from meeting "a"+"bc". */
	s = sealed_for(f, "outbox1", "2@x", 3);
	assert_int_equal(open_for(f, "outbox", "12@x", 3, s), PERR_AUTH);
}

static void
test_tampering_fails(void **state)
{
	struct fx *f = *state;
	struct strv s = sealed_for(f, "outbox", "alice@example.test", 7);
	char *copy = arena_alloc(f->a, s.len);
	size_t i;

	for (i = 0; i < s.len; i++) {
		memcpy(copy, s.p, s.len);
		copy[i] ^= 0x01;
		assert_int_equal(open_for(f, "outbox", "alice@example.test", 7,
		                          (struct strv){copy, s.len}),
		                 PERR_AUTH);
	}
	assert_int_equal(open_for(f, "outbox", "alice@example.test", 7,
	                          (struct strv){s.p, s.len - 1}),
	                 PERR_AUTH);
	assert_int_equal(open_for(f, "outbox", "alice@example.test", 7,
	                          (struct strv){s.p, 5}),
	                 PERR_AUTH);
}

/* Another key (the file replaced) opens nothing; open never makes a key;
 * a key file others can read is refused. */
static void
test_other_key_missing_key_and_open_mode(void **state)
{
	struct fx *f = *state;
	struct strv s = sealed_for(f, "outbox", "alice@example.test", 7);
	struct strv t = STRV_NULL;
	struct perr err;

	assert_int_equal(unlink(f->key), 0);
	assert_int_equal(open_for(f, "outbox", "alice@example.test", 7, s),
	                 PERR_AUTH);
	assert_int_equal(access(f->key, F_OK), -1);
	(void)sealed_for(f, "outbox", "alice@example.test", 1); /* new key */
	assert_int_equal(open_for(f, "outbox", "alice@example.test", 7, s),
	                 PERR_AUTH);
	assert_int_equal(chmod(f->key, 0640), 0);
	assert_int_equal(session_seal_away(f->key, "outbox",
	                                   "alice@example.test", 1, pw, &t,
	                                   f->a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	assert_int_equal(session_seal_away(f->key, "", "alice@example.test", 1,
	                                   pw, &t, f->a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_round_trip_and_key_file,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_bound_to_purpose_user_and_row, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tampering_fails, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_other_key_missing_key_and_open_mode, setup,
	                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
