/*
 * change-password end to end at the plugin seam: the action run as the
 * web layer runs it, against a fake of Hestia's endpoint (which behaves as
 * web/reset/mail/index.php does) and against the test stack's real
 * Dovecot passwd-file, where IMAP LOGIN then proves the change.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "imap/imap.h"
#include "plugin/plugin.h"
#include "stack.h"

static struct arena *A;
static char work[64];
static pid_t hestia_pid = -1;
static int hestia_port;
static int hestia_out = -1;
static char sealed[256]; /* what password_changed was given */

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/%s", work, name));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *
read_file(const char *name)
{
	char path[256];
	FILE *f;
	char *buf = arena_alloc(A, 65536);
	size_t n;

	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/%s", work, name));
	f = fopen(path, "r");
	if (f == NULL)
		return arena_strdup(A, "");
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
remember_password(void *ctx, const char *next, struct perr *err)
{
	(void)ctx;
	(void)err;
	return pt_strlcpy(sealed, next, sizeof(sealed)) ? 0 : -1;
}

static struct plugin_set *
load(void)
{
	struct plugin_load_args args = {.dir = PLUGIN_BUILD_DIR,
	                                .configs_dir = work,
	                                .enable = true,
	                                .enabled_list = "change-password"};
	struct plugin_set *set = NULL;
	struct plugin_info info;
	struct perr err = {0};

	assert_int_equal(plugin_set_load(&args, &set, A, &err), 0);
	plugin_set_info(set,
	                (size_t)plugin_set_find(set, STRV_LIT("change-"
	                                                      "password")),
	                &info);
	if (!info.active || info.error != NULL)
		fail_msg("change-password: %s", info.error);
	return set;
}

/* Run ChangePassword; 0, or -1 with the refusal in *msg_r. */
static int
change(struct plugin_set *set, const char *user, const char *current,
       const char *next, const char *repeat, const char **msg_r)
{
	struct plugin_request req = {.arena = A,
	                             .user = user,
	                             .password_changed = remember_password};
	struct plugin_kv args[] = {{.key = "current", .value = current},
	                           {.key = "new", .value = next},
	                           {.key = "repeat", .value = repeat}};
	struct plugin_action_result res;
	struct perr err = {0};

	sealed[0] = '\0';
	if (plugin_run_action(set, STRV_LIT("change-password"),
	                      STRV_LIT("ChangePassword"), &req, args, 3, &res,
	                      &err) != 0) {
		assert_int_equal(err.kind, PERR_FORBIDDEN);
		*msg_r = err.msg;
		return -1;
	}
	assert_int_equal(res.n_members, 2);
	assert_string_equal(res.members[0].key, "changed");
	assert_true(res.members[0].bool_value);
	assert_string_equal(res.members[1].key, "signedIn");
	assert_true(res.members[1].bool_value);
	assert_string_equal(sealed, next);
	*msg_r = NULL;
	return 0;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
start_hestia(void)
{
	int fds[2];
	char line[32];
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	hestia_pid = fork();
	assert_true(hestia_pid >= 0);
	if (hestia_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execlp("python3", "python3", FAKE_HESTIA, work,
		       "alice@example.test=old-pass-1", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* The read end stays open while the fake runs: its stdout must not
	 * become a broken pipe. */
	hestia_out = fds[0];
	n = read(fds[0], line, sizeof(line) - 1);
	assert_true(n > 0);
	line[n] = '\0';
	hestia_port = (int)strtol(line, NULL, 10);
	assert_true(hestia_port > 0);
}

static void
test_hestia_driver(void **state)
{
	struct plugin_set *set;
	const char *msg, *log;
	size_t before;
	char json[512];

	(void)state;
	start_hestia();
	assert_true(pt_snprintf_ok(json, sizeof(json),
	                           "{\"plugin\": {\"pass_min_length\": 8, "
	                           "\"pass_min_strength\": 60, "
	                           "\"driver_hestia_enabled\": true, "
	                           "\"driver_hestia_allowed_emails\": \"*\", "
	                           "\"hestia_host\": \"127.0.0.1\", "
	                           "\"hestia_port\": %d}}",
	                           hestia_port));
	write_file("plugin-change-password.json", json);
	set = load();

	/* Refused before anything is sent. */
	assert_int_equal(change(set, "alice@example.test", "old-pass-1",
	                        "Tide-Harbour-42!", "Tide-Harbour-43!", &msg),
	                 -1);
	assert_string_equal(msg, "L_PASSWORD_MISMATCH");
	assert_int_equal(change(set, "alice@example.test", "old-pass-1",
	                        "aaaaaaaaaa", "aaaaaaaaaa", &msg),
	                 -1);
	assert_string_equal(msg, "L_PASSWORD_TOO_WEAK");
	assert_int_equal(change(set, "alice@example.test", "old-pass-1", "Ab1!",
	                        "Ab1!", &msg),
	                 -1);
	assert_string_equal(msg, "L_PASSWORD_TOO_SHORT");
	assert_int_equal(count_lines(read_file("requests.jsonl")), 0);

	/* Hestia says "error" to a wrong current password. */
	assert_int_equal(change(set, "alice@example.test", "wrong-pass",
	                        "Tide-Harbour-42!", "Tide-Harbour-42!", &msg),
	                 -1);
	assert_string_equal(msg, "L_PASSWORD_CHANGE_REFUSED");
	assert_non_null(strstr(read_file("accounts.json"), "old-pass-1"));

	/* The right one: "==ok==", the session re-sealed. */
	assert_int_equal(change(set, "alice@example.test", "old-pass-1",
	                        "Tide-Harbour-42!", "Tide-Harbour-42!", &msg),
	                 0);
	assert_non_null(strstr(read_file("accounts.json"), "Tide-Harbour-42!"));

	/* Only the three fields, and no forwarded-address header. */
	log = read_file("requests.jsonl");
	assert_int_equal(count_lines(log), 2);
	assert_null(strstr(log, "x-forwarded-for"));
	assert_null(strstr(log, "x-real-ip"));
	assert_non_null(strstr(log, "\"fields\": [\"email\", \"new\", "
	                            "\"password\"]"));
	assert_non_null(strstr(log, "\"path\": \"/reset/mail/\""));
	plugin_set_free(&set);

	/* With certificate checks on, the self-signed panel is not used. */
	assert_true(pt_snprintf_ok(json, sizeof(json),
	                           "{\"plugin\": {\"driver_hestia_enabled\": "
	                           "true, \"hestia_host\": \"127.0.0.1\", "
	                           "\"hestia_port\": %d, "
	                           "\"hestia_verify_tls\": true}}",
	                           hestia_port));
	write_file("plugin-change-password.json", json);
	set = load();
	before = count_lines(read_file("requests.jsonl"));
	assert_int_equal(change(set, "alice@example.test", "Tide-Harbour-42!",
	                        "Other-Harbour-77?", "Other-Harbour-77?", &msg),
	                 -1);
	assert_string_equal(msg, "L_PASSWORD_SERVER_DOWN");
	assert_int_equal(count_lines(read_file("requests.jsonl")), before);
	plugin_set_free(&set);

	/* Not set up: no driver enabled. */
	write_file("plugin-change-password.json", "{\"plugin\": {}}");
	set = load();
	assert_int_equal(change(set, "alice@example.test", "Tide-Harbour-42!",
	                        "Other-Harbour-77?", "Other-Harbour-77?", &msg),
	                 -1);
	assert_string_equal(msg, "L_PASSWORD_NOT_SET_UP");
	plugin_set_free(&set);
}

static int
imap_try(const char *user, const char *password)
{
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct perr err = {0};
	int rc;

	memset(&d, 0, sizeof(d));
	d.name = "example.org";
	d.imap_host = stack_get("MAILSTACK_HOST");
	d.imap_port = stack_port("IMAP_PORT");
	d.imap_secure = CONFIG_SECURE_NONE;
	d.verify_certificate = true;
	d.ca_file = stack_get("CA_FILE");
	d.connect_timeout = 5;
	d.read_timeout = 30;
	if (imap_connect(&d, A, &c, &err) != 0)
		fail_msg("connect: %s", err.msg);
	rc = imap_login(c, user, password, &err);
	if (rc != 0 && err.kind != PERR_AUTH)
		fail_msg("login: %s", err.msg);
	imap_logout(c);
	imap_conn_destroy(&c);
	return rc;
}

/*
 * Dovecot re-reads a changed passwd-file at most once a second, so a
 * login right after the change may still see the old file: wait for the
 * new password to work (3 s at most), as a user signing in again would.
 */
static int
imap_try_new(const char *user, const char *password)
{
	int i;

	for (i = 0; i < 30; i++) {
		if (imap_try(user, password) == 0)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

static void
test_passwd_file_driver(void **state)
{
	const char *user = "carol@example.org";
	const char *old = stack_password(user);
	char users[512], json[1024];
	struct stat before, after;
	struct plugin_set *set;
	const char *msg;

	(void)state;
	assert_non_null(old);
	assert_true(pt_snprintf_ok(users, sizeof(users), "%s/dovecot/users",
	                           getenv("PETREL_MAILSTACK_DIR")));
	assert_int_equal(stat(users, &before), 0);
	assert_true(pt_snprintf_ok(json, sizeof(json),
	                           "{\"plugin\": {"
	                           "\"driver_passwd_file_enabled\": true, "
	                           "\"driver_passwd_file_allowed_emails\": "
	                           "\"*@example.org\", "
	                           "\"passwd_file\": \"%s\"}}",
	                           users));
	write_file("plugin-change-password.json", json);
	set = load();
	assert_int_equal(imap_try(user, old), 0);

	/* A wrong current password changes nothing. */
	assert_int_equal(change(set, user, "not-carols", "Gull-Island-2031#",
	                        "Gull-Island-2031#", &msg),
	                 -1);
	assert_string_equal(msg, "L_PASSWORD_CURRENT_WRONG");
	/* Outside driver_passwd_file_allowed_emails: not set up. */
	assert_int_equal(change(set, "alice@example.test",
	                        stack_password("alice@example.test"),
	                        "Gull-Island-2031#", "Gull-Island-2031#", &msg),
	                 -1);
	assert_string_equal(msg, "L_PASSWORD_NOT_SET_UP");

	assert_int_equal(change(set, user, old, "Gull-Island-2031#",
	                        "Gull-Island-2031#", &msg),
	                 0);
	assert_int_equal(imap_try_new(user, "Gull-Island-2031#"), 0);
	assert_int_equal(imap_try(user, old), -1);
	/* Owner, group and mode of the file are kept. */
	assert_int_equal(stat(users, &after), 0);
	assert_int_equal(after.st_uid, before.st_uid);
	assert_int_equal(after.st_gid, before.st_gid);
	assert_int_equal(after.st_mode, before.st_mode);

	/* And back, now from the SHA512-CRYPT hash, for the other tests. */
	assert_int_equal(change(set, user, "Gull-Island-2031#", old, old, &msg),
	                 0);
	assert_int_equal(imap_try_new(user, old), 0);
	plugin_set_free(&set);
}

static int
setup(void **state)
{
	(void)state;
	A = arena_create("itest", 64 * 1024, 0);
	if (!pt_snprintf_ok(work, sizeof(work), "/tmp/petrel-plugins-%ld",
	                    (long)getpid()) ||
	    mkdir(work, 0700) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const files[] = {
	        "hestia.crt",        "hestia.key",
	        "requests.jsonl",    "accounts.json",
	        "accounts.json.tmp", "plugin-change-password.json",
	};
	char path[256];
	size_t i;

	(void)state;
	if (hestia_pid > 0) {
		kill(hestia_pid, SIGTERM);
		waitpid(hestia_pid, NULL, 0);
	}
	if (hestia_out >= 0)
		close(hestia_out);
	for (i = 0; i < PT_NELEM(files); i++)
		if (pt_snprintf_ok(path, sizeof(path), "%s/%s", work, files[i]))
			(void)unlink(path);
	(void)rmdir(work);
	arena_destroy(&A);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hestia_driver),
	        cmocka_unit_test(test_passwd_file_driver),
	};

	log_set_level(LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
