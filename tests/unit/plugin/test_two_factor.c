/*
 * two-factor: the TOTP arithmetic against RFC 6238's test vectors, the
 * recovery codes, and the plugin as Petrel loads it: enrolment through its
 * actions, the login_check challenge, a used step or recovery code that
 * cannot open a second session, turning it off, and the admin's reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/plugin.h"
#include "totp.h"
#include "../support/unit_arena.h"

static char root[64], configs[96], storage[96];

/* RFC 6238 appendix B, SHA-1: the key is "12345678901234567890". */
static void
test_rfc6238_vectors(void **state)
{
	static const struct {
		int64_t t;
		uint32_t code;
	} v[] = {
	        {59, 94287082},         {1111111109, 7081804},
	        {1111111111, 14050471}, {1234567890, 89005924},
	        {2000000000, 69279037}, {20000000000, 65353130},
	};
	char b32[64];
	uint32_t code;
	size_t i;

	(void)state;
	assert_true(tf_base32_encode((const unsigned char *)"1234567890"
	                                                    "1234567890",
	                             20, b32, sizeof(b32)));
	assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(tf_totp(b32, v[i].t, 8, &code), 0);
		assert_int_equal(code, v[i].code);
		/* Six digits are the last six of eight. */
		assert_int_equal(tf_totp(b32, v[i].t, 6, &code), 0);
		assert_int_equal(code, v[i].code % 1000000);
	}
	assert_int_equal(tf_totp("not base32!", 59, 6, &code), -1);
}

static void
test_totp_check_window_and_replay(void **state)
{
	const char *key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	int64_t now = 1111111111, step = 0;
	char text[8];
	uint32_t c;

	(void)state;
	/* 1111111111 is step 37037037: "050471". */
	assert_true(tf_totp_check(key, "050471", now, 0, &step));
	assert_int_equal(step, now / 30);
	assert_true(tf_totp_check(key, "050 471", now, 0, &step));
	/* The same step once more: refused. */
	assert_false(tf_totp_check(key, "050471", now, step, &step));
	/* One step of drift either way, not two. */
	assert_int_equal(tf_totp(key, now + 30, 6, &c), 0);
	(void)snprintf(text, sizeof(text), "%06u", c);
	assert_true(tf_totp_check(key, text, now, now / 30, &step));
	assert_int_equal(step, now / 30 + 1);
	assert_int_equal(tf_totp(key, now - 30, 6, &c), 0);
	(void)snprintf(text, sizeof(text), "%06u", c);
	assert_true(tf_totp_check(key, text, now, 0, &step));
	assert_int_equal(tf_totp(key, now + 60, 6, &c), 0);
	(void)snprintf(text, sizeof(text), "%06u", c);
	assert_false(tf_totp_check(key, text, now, 0, &step));
	/* Not six digits. */
	assert_false(tf_totp_check(key, "50471", now, 0, &step));
	assert_false(tf_totp_check(key, "0504710", now, 0, &step));
	assert_false(tf_totp_check(key, "05047a", now, 0, &step));
	assert_false(tf_totp_check(key, "", now, 0, &step));
}

static void
test_recovery_codes(void **state)
{
	char a[RECOVERY_TEXT], b[RECOVERY_TEXT], n[RECOVERY_CHARS + 1];
	char salt[RECOVERY_SALT_HEX + 1], salt2[RECOVERY_SALT_HEX + 1];
	char h1[RECOVERY_HASH_HEX + 1], h2[RECOVERY_HASH_HEX + 1];

	(void)state;
	assert_true(tf_recovery_new(a));
	assert_true(tf_recovery_new(b));
	assert_int_equal(strlen(a), 11);
	assert_int_equal(a[5], '-');
	assert_string_not_equal(a, b);
	/* Typed loosely: case, spaces, dashes, O for 0, I/L for 1. */
	assert_true(tf_recovery_normalize(" AB1O0-XYZ9k ", n));
	assert_string_equal(n, "ab100xyz9k");
	assert_true(tf_recovery_normalize("abioo-xyz9k", n));
	assert_string_equal(n, "ab100xyz9k");
	assert_false(tf_recovery_normalize("ab100-xyz9", n));   /* short */
	assert_false(tf_recovery_normalize("ab100-xyz9kk", n)); /* long */
	assert_false(tf_recovery_normalize("ab100-xyz9u", n));  /* no u */
	assert_false(tf_recovery_normalize("123456", n));
	assert_true(tf_salt_new(salt));
	assert_true(tf_salt_new(salt2));
	assert_true(tf_recovery_hash("ab100xyz9k", salt, h1));
	assert_true(tf_recovery_hash("ab100xyz9k", salt, h2));
	assert_string_equal(h1, h2);
	assert_true(tf_equal(h1, h2));
	assert_true(tf_recovery_hash("ab100xyz9k", salt2, h2));
	assert_false(tf_equal(h1, h2));
	assert_true(tf_recovery_hash("ab100xyz9m", salt, h2));
	assert_false(tf_equal(h1, h2));
}

/* ---- the plugin, loaded ------------------------------------------------- */

static struct plugin_set *
load(void)
{
	struct plugin_load_args args = {.dir = PLUGIN_BUILD_DIR,
	                                .configs_dir = configs,
	                                .storage_dir = storage,
	                                .enable = true,
	                                .enabled_list = "two-factor"};
	struct plugin_set *set = NULL;
	struct plugin_info info;
	struct perr err = {0};
	ptrdiff_t i;

	assert_int_equal(plugin_set_load(&args, &set, A, &err), 0);
	i = plugin_set_find(set, STRV_LIT("two-factor"));
	assert_true(i >= 0);
	plugin_set_info(set, (size_t)i, &info);
	if (!info.active || info.error != NULL)
		fail_msg("two-factor: %s", info.error);
	assert_int_equal(info.abi_minor, 1);
	assert_string_equal(plugin_settings_load_action(set, (size_t)i),
	                    "Status");
	return set;
}

static const char *
member(const struct plugin_action_result *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->n_members; i++)
		if (strcmp(r->members[i].key, key) == 0)
			return r->members[i].is_bool
			               ? (r->members[i].bool_value ? "true"
			                                           : "false")
			               : r->members[i].value;
	return NULL;
}

static int
action(struct plugin_set *set, const char *name, const char *code,
       struct plugin_action_result *res, struct perr *err)
{
	struct plugin_request req = {.arena = A, .user = "Ann@Example.test"};
	struct plugin_kv arg = {.key = "code", .value = code};

	return plugin_run_action(set, STRV_LIT("two-factor"),
	                         strv_from_cstr(name), &req, &arg,
	                         code != NULL ? 1 : 0, res, err);
}

/* 0: let in; 1: challenged; -1: refused. */
static int
login(struct plugin_set *set, const char *email, const char *answer)
{
	struct plugin_request req = {.arena = A, .user = email};
	struct petrel_login l = {.size = sizeof(l),
	                         .email = email,
	                         .client_ip = "192.0.2.1",
	                         .second_factor = answer};
	struct plugin_challenge ch;
	struct perr err = {0};

	if (plugin_run_login_check(set, &req, &l, &ch, &err) == 0)
		return 0;
	if (err.kind == PERR_AUTH) {
		assert_string_equal(ch.plugin, "two-factor");
		assert_string_equal(ch.prompt, "L_TWOFACTOR_PROMPT");
		return 1;
	}
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	return -1;
}

/* The code of the step after now's: inside the window, never used yet. */
static void
next_code(const char *secret, int ahead, char out[8])
{
	uint32_t c;

	assert_int_equal(
	        tf_totp(secret, (int64_t)time(NULL) + 30 * ahead, 6, &c), 0);
	(void)snprintf(out, 8, "%06u", c);
}

static void
test_enrol_login_recovery_disable(void **state)
{
	struct plugin_set *set = load();
	struct plugin_action_result res;
	struct perr err = {0};
	char secret[64], code[8], first[16], stale[8];
	const char *s, *codes;
	size_t i, o = 0;

	(void)state;
	/* Off: anyone signs in with the password alone. */
	assert_int_equal(login(set, "ann@example.test", NULL), 0);
	assert_int_equal(action(set, "Status", NULL, &res, &err), 0);
	assert_string_equal(member(&res, "enabled"), "false");
	assert_string_equal(member(&res, "action"), "Begin");

	assert_int_equal(action(set, "Begin", NULL, &res, &err), 0);
	s = member(&res, "secret");
	if (s == NULL)
		s = ""; /* caught by the length check below */
	for (; *s != '\0'; s++)
		if (*s != ' ')
			secret[o++] = *s;
	secret[o] = '\0';
	assert_int_equal(strlen(secret), 32);
	assert_string_equal(member(&res, "action"), "Confirm");
	/* Still off until confirmed. */
	assert_int_equal(login(set, "ann@example.test", NULL), 0);

	/* A wrong code does not turn it on. */
	assert_int_equal(action(set, "Confirm", "000000", &res, &err), -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	next_code(secret, 0, code);
	assert_int_equal(action(set, "Confirm", code, &res, &err), 0);
	codes = member(&res, "codes");
	assert_non_null(codes);
	assert_int_equal(strlen(codes), 10 * 12 - 1);
	memcpy(first, codes, 11);
	first[11] = '\0';

	/* On: the password alone is not enough (any case of the address). */
	assert_int_equal(login(set, "ann@example.test", NULL), 1);
	assert_int_equal(login(set, "ANN@example.test", ""), 1);
	assert_int_equal(login(set, "ann@example.test", "123"), -1);
	/* The code that confirmed cannot also sign in. */
	assert_int_equal(login(set, "ann@example.test", code), -1);
	memcpy(stale, code, sizeof(stale));
	next_code(secret, 1, code);
	assert_int_equal(login(set, "ann@example.test", code), 0);
	/* ...and that one only once. */
	assert_int_equal(login(set, "ann@example.test", code), -1);
	assert_int_equal(login(set, "ann@example.test", stale), -1);

	/* A recovery code, typed loosely, works once. */
	for (i = 0; first[i] != '\0'; i++)
		if (first[i] >= 'a' && first[i] <= 'z')
			first[i] = (char)(first[i] - 'a' + 'A');
	assert_int_equal(login(set, "ann@example.test", first), 0);
	assert_int_equal(login(set, "ann@example.test", first), -1);
	assert_int_equal(action(set, "Status", NULL, &res, &err), 0);
	assert_string_equal(member(&res, "enabled"), "true");
	assert_non_null(strstr(member(&res, "intro"), "9"));
	/* Someone else is not affected. */
	assert_int_equal(login(set, "bob@example.test", NULL), 0);

	/* Turning it off takes a right code. */
	assert_int_equal(action(set, "Disable", "000000", &res, &err), -1);
	assert_int_equal(action(set, "Disable", NULL, &res, &err), -1);
	memcpy(first, codes + 12, 11); /* the second recovery code */
	assert_int_equal(action(set, "Disable", first, &res, &err), 0);
	assert_string_equal(member(&res, "enabled"), "false");
	assert_int_equal(login(set, "ann@example.test", NULL), 0);
	plugin_set_free(&set);
}

static void
options(const char *json)
{
	char path[160];
	FILE *f;

	assert_true(pt_snprintf_ok(path, sizeof(path),
	                           "%s/plugin-two-factor.json", configs));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
}

/* Enrol ann and return with it on. */
static void
enrol(struct plugin_set *set)
{
	struct plugin_action_result res;
	struct perr err = {0};
	char secret[64], code[8];
	const char *s;
	size_t o = 0;

	assert_int_equal(action(set, "Begin", NULL, &res, &err), 0);
	s = member(&res, "secret");
	if (s == NULL)
		s = "";
	for (; *s != '\0'; s++)
		if (*s != ' ')
			secret[o++] = *s;
	secret[o] = '\0';
	assert_int_equal(strlen(secret), 32);
	next_code(secret, 0, code);
	assert_int_equal(action(set, "Confirm", code, &res, &err), 0);
	assert_int_equal(login(set, "ann@example.test", NULL), 1);
}

static void
test_admin_reset_applies_once(void **state)
{
	struct plugin_set *set;

	(void)state;
	options("{\"plugin\": {}}");
	set = load();
	enrol(set);
	plugin_set_free(&set);

	/* Saved with ann listed: reset at load. */
	options("{\"plugin\": {\"reset_users\": \"x@example.test, "
	        "ann@EXAMPLE.test\"}}");
	set = load();
	assert_int_equal(login(set, "ann@example.test", NULL), 0);
	/* She enrols again; a reload with the same list leaves her be. */
	enrol(set);
	plugin_set_free(&set);
	set = load();
	assert_int_equal(login(set, "ann@example.test", NULL), 1);
	plugin_set_free(&set);
	/* Off the list, then on it again: reset again. */
	options("{\"plugin\": {\"reset_users\": \"\"}}");
	set = load();
	plugin_set_free(&set);
	options("{\"plugin\": {\"reset_users\": \"ann@example.test\"}}");
	set = load();
	assert_int_equal(login(set, "ann@example.test", NULL), 0);
	plugin_set_free(&set);
	options("{\"plugin\": {}}");
}

static void
test_records_are_private(void **state)
{
	char dir[160];
	struct stat st;

	(void)state;
	assert_true(pt_snprintf_ok(dir, sizeof(dir), "%s/plugins/two-factor",
	                           storage));
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static int
setup(void **state)
{
	if (!pt_snprintf_ok(root, sizeof(root), "/tmp/petrel-2fa-test-%ld",
	                    (long)getpid()) ||
	    !pt_snprintf_ok(configs, sizeof(configs), "%s/configs", root) ||
	    !pt_snprintf_ok(storage, sizeof(storage), "%s/storage", root) ||
	    mkdir(root, 0700) != 0 || mkdir(configs, 0700) != 0 ||
	    mkdir(storage, 0700) != 0)
		return -1;
	return unit_arena_setup(state);
}

static int
teardown(void **state)
{
	char cmd[128];

	if (pt_snprintf_ok(cmd, sizeof(cmd), "rm -rf %s", root))
		(void)!system(cmd);
	return unit_arena_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc6238_vectors),
	        cmocka_unit_test(test_totp_check_window_and_replay),
	        cmocka_unit_test(test_recovery_codes),
	        cmocka_unit_test(test_enrol_login_recovery_disable),
	        cmocka_unit_test(test_admin_reset_applies_once),
	        cmocka_unit_test(test_records_are_private),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
