/* Unit tests for src/admin: hashes, TOTP, the credentials file, forms. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <crypt.h>

#include "admin/admin.h"
#include "store/store.h"
#include "config/config.h"

#include "../support/unit_arena.h"
#include "../support/fake_server.h"
#include "../support/full_disk.h"

static void
rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_hash_roundtrip_and_wrong_secret(void **state)
{
	char *h = NULL;
	struct perr err = {0};

	(void)state;
	assert_int_equal(admin_hash(ADMIN_HASH_KEY, STRV_LIT("admin_f0e5a5aa"),
	                            A, &h, &err),
	                 0);
	/* One HMAC under the install's own key: cheap for every query. */
	assert_true(strncmp(h, "hmac-sha256$", 12) == 0);
	assert_int_equal(strlen(h), 12 + 64 + 1 + 64);
	assert_false(admin_key_hash_is_legacy(h));
	assert_true(admin_key_hash_is_known(h));
	assert_true(admin_hash_verify(ADMIN_HASH_KEY, h,
	                              STRV_LIT("admin_f0e5a5aa")));
	assert_false(admin_hash_verify(ADMIN_HASH_KEY, h,
	                               STRV_LIT("admin_f0e5a5ab")));
	assert_int_equal(
	        admin_hash(ADMIN_HASH_PASSWORD, STRV_LIT("pw"), A, &h, &err),
	        0);
	assert_true(strncmp(h, "$scrypt$32768$8$1$", 18) == 0);
	assert_true(admin_hash_verify(ADMIN_HASH_PASSWORD, h, STRV_LIT("pw")));
	assert_false(admin_hash_verify(ADMIN_HASH_PASSWORD, h, STRV_LIT("pW")));
}

/* Keys hashed before the HMAC form (PBKDF2) keep opening the panel. */
static void
test_legacy_pbkdf2_key_hash_still_verifies(void **state)
{
	static const char legacy[] =
	        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
	        "b1c0310c052a1cface1c8c345233183bd4501c90a8a3680e69f03a51ed61c5"
	        "5e";
	char *h = NULL, *h2 = NULL;
	struct perr err = {0};

	(void)state;
	assert_true(admin_key_hash_is_legacy(legacy));
	assert_true(admin_key_hash_is_known(legacy));
	assert_false(admin_key_hash_is_known("admin_f0e5a5aa"));
	assert_true(admin_hash_verify(ADMIN_HASH_KEY, legacy,
	                              STRV_LIT("admin_f0e5a5aa")));
	assert_false(admin_hash_verify(ADMIN_HASH_KEY, legacy,
	                               STRV_LIT("admin_f0e5a5ab")));
	/* Each hash has a MAC key of its own: the same key, two values. */
	assert_int_equal(admin_hash(ADMIN_HASH_KEY, STRV_LIT("k"), A, &h, &err),
	                 0);
	assert_int_equal(
	        admin_hash(ADMIN_HASH_KEY, STRV_LIT("k"), A, &h2, &err), 0);
	assert_string_not_equal(h, h2);
	assert_true(admin_hash_verify(ADMIN_HASH_KEY, h2, STRV_LIT("k")));
	/* A damaged MAC or MAC key never matches. */
	h2[20] = h2[20] == '0' ? '1' : '0';
	assert_false(admin_hash_verify(ADMIN_HASH_KEY, h2, STRV_LIT("k")));
	h[strlen(h) - 1] = 'x';
	assert_false(admin_hash_verify(ADMIN_HASH_KEY, h, STRV_LIT("k")));
}

static void
test_hash_verify_rejects_missing_and_malformed(void **state)
{
	static const char *const bad[] = {
	        NULL,
	        "",
	        "pbkdf2-sha256$100000$zz$zz",
	        "pbkdf2-sha256$999999999$00000000000000000000000000000000$"
	        "00000000000000000000000000000000000000000000000000000000000000"
	        "00",
	        "$scrypt$3$8$1$00000000000000000000000000000000$"
	        "00000000000000000000000000000000000000000000000000000000000000"
	        "00",
	        "$scrypt$32768$8$1$00$00$00",
	        "hmac-sha256$00$00",
	        "hmac-sha256$",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(admin_hash_verify(ADMIN_HASH_KEY, bad[i],
		                               STRV_LIT("")));
		assert_false(admin_hash_verify(ADMIN_HASH_PASSWORD, bad[i],
		                               STRV_LIT("")));
	}
}

static void
test_generated_credentials_have_the_documented_form(void **state)
{
	char *n = admin_generate_name(A), *p = admin_generate_password(A);
	size_t i;

	(void)state;
	assert_int_equal(strlen(n), 14);
	assert_true(strncmp(n, "admin_", 6) == 0);
	for (i = 6; i < 14; i++)
		assert_non_null(strchr("0123456789abcdef", n[i]));
	assert_int_equal(strlen(p), 16);
	for (i = 0; i < 16; i++)
		assert_true((p[i] >= 'a' && p[i] <= 'z') ||
		            (p[i] >= 'A' && p[i] <= 'Z') ||
		            (p[i] >= '0' && p[i] <= '9'));
	assert_string_not_equal(admin_generate_password(A), p);
}

/* RFC 6238 Appendix B, SHA-1 seed "12345678901234567890", 6 digits. */
static void
test_totp_rfc6238_vectors(void **state)
{
	static const struct {
		int64_t t;
		unsigned code;
	} v[] = {{59, 287082},         {1111111109, 81804},
	         {1111111111, 50471},  {1234567890, 5924},
	         {2000000000, 279037}, {20000000000, 353130}};
	const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	unsigned code;
	size_t i;
	char buf[8];

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(admin_totp_code(secret, v[i].t, &code), 0);
		assert_int_equal(code, v[i].code);
	}
	snprintf(buf, sizeof(buf), "%06u", 287082u);
	assert_true(admin_totp_verify(secret, strv_from_cstr(buf), 59));
	assert_true(admin_totp_verify(secret, strv_from_cstr(buf), 59 + 30));
	assert_false(admin_totp_verify(secret, strv_from_cstr(buf), 59 + 90));
	assert_false(admin_totp_verify(secret, STRV_LIT("28708"), 59));
	assert_false(admin_totp_verify("!!", STRV_LIT("287082"), 59));
	assert_int_equal(strlen(admin_totp_secret_new(A)), 32);
	assert_non_null(
	        strstr(admin_totp_uri("Petrel Mail", "admin_x", secret, A),
	               "otpauth://totp/Petrel%20Mail:admin_x?secret="));
}

static void
test_credentials_file_written_0600_and_refuses_symlink(void **state)
{
	char dir[] = "/tmp/petrel-admin-XXXXXX", path[128], link[128];
	char *u, *p, *k, buf[256];
	struct perr err = {0};
	struct stat st;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cred", dir);
	assert_int_equal(admin_credentials_write(path, "admin_1", "pw",
	                                         "admin_2", A, &err),
	                 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, "Username: admin_1\nPassword: pw\n"
	                         "Secret key: admin_2\n");
	assert_int_equal(admin_credentials_read(path, A, &u, &p, &k, &err), 0);
	assert_string_equal(u, "admin_1");
	assert_string_equal(p, "pw");
	assert_string_equal(k, "admin_2");

	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(admin_credentials_write(link, "a", "b", "c", A, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void
test_validators(void **state)
{
	unsigned port;
	const char *c;

	(void)state;
	assert_true(admin_valid_host(STRV_LIT("mail.example.com")));
	assert_true(admin_valid_host(STRV_LIT("127.0.0.1")));
	assert_true(admin_valid_host(STRV_LIT("[::1]")));
	assert_true(admin_valid_host(STRV_LIT("::1")));
	assert_false(admin_valid_host(STRV_LIT("")));
	assert_false(admin_valid_host(STRV_LIT("bad host")));
	assert_false(admin_valid_host(STRV_LIT("-a.com")));
	assert_false(admin_valid_host(STRV_LIT("a..com")));
	assert_false(admin_valid_host(STRV_LIT("a.com\r\n")));
	assert_true(admin_valid_port(STRV_LIT("993"), &port));
	assert_int_equal(port, 993);
	assert_false(admin_valid_port(STRV_LIT("0"), &port));
	assert_false(admin_valid_port(STRV_LIT("65536"), &port));
	assert_false(admin_valid_port(STRV_LIT("12a"), &port));
	assert_true(admin_valid_secure(STRV_LIT("ssl"), &c));
	assert_string_equal(c, "SSL");
	assert_false(admin_valid_secure(STRV_LIT("STARTTLS"), &c));
	assert_true(admin_valid_bool(STRV_LIT("true"), &c));
	assert_string_equal(c, "On");
	assert_true(admin_domain_name_ok(STRV_LIT("*")));
	assert_true(admin_domain_name_ok(STRV_LIT("*.example.com")));
	assert_false(admin_domain_name_ok(STRV_LIT("../etc/passwd")));
	assert_false(admin_domain_name_ok(STRV_LIT("Example.com")));
	assert_false(admin_domain_name_ok(STRV_LIT("a/b")));
}

static void
test_domain_save_keeps_comments_and_unknown_keys(void **state)
{
	char dir[] = "/tmp/petrel-admin-XXXXXX", path[256], buf[4096];
	struct config_paths paths;
	struct admin_domain_form *f = NULL;
	struct perr err = {0};
	FILE *fp;
	size_t n, i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_layout_create(dir, A, &err), 0);
	config_paths_init(&paths, dir);
	snprintf(path, sizeof(path), "%s/ex.org.ini", paths.domains_dir);
	fp = fopen(path, "w");
	fputs("; my note\nimap_host = \"old.example\"\nx_custom = 1\n", fp);
	fclose(fp);
	assert_int_equal(admin_domain_form_load(&paths, "ex.org", A, &f, &err),
	                 0);
	assert_string_equal(f->values[0], "old.example");
	f->values[0] = "new.example";
	f->values[1] = "99999";
	assert_false(admin_domain_form_validate(f));
	assert_string_equal(f->errors[1], "L_ADMIN_ERR_PORT");
	f->values[1] = "993";
	for (i = 0; i < admin_domain_field_count; i++)
		if (strcmp(admin_domain_fields[i].key, "sieve_use") == 0)
			f->values[i] = "yes";
	assert_true(admin_domain_form_validate(f));
	assert_int_equal(admin_domain_save(&paths, f, A, &err), 0);
	fp = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "; my note\n"));
	assert_non_null(strstr(buf, "x_custom = 1\n"));
	assert_non_null(strstr(buf, "imap_host = \"new.example\"\n"));
	assert_non_null(strstr(buf, "imap_port = 993\n"));
	assert_non_null(strstr(buf, "sieve_use = On\n"));
	assert_int_equal(
	        admin_domain_set_disabled(&paths, "ex.org", true, A, &err), 0);
	assert_int_equal(admin_domain_delete(&paths, "ex.org", A, &err), 0);
	assert_int_equal(admin_domain_delete(&paths, "ex.org", A, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(admin_domain_delete(&paths, "default", A, &err), -1);
	config_paths_deinit(&paths);
	rm_rf(dir);
}

static void
read_file(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, size - 1, fp);
	fclose(fp);
	buf[n] = '\0';
}

/* The General page's default relay: checks, the write-only password, and
 * the loaded configuration that domains send through. */
static void
test_relay_form_checks_and_keeps_the_password(void **state)
{
	char dir[] = "/tmp/petrel-admin-XXXXXX", buf[4096];
	struct config_paths paths;
	struct admin_relay_form f;
	struct config *cfg = NULL;
	struct perr err = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_layout_create(dir, A, &err), 0);
	config_paths_init(&paths, dir);
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, A, &err), 0);
	admin_relay_form_current(cfg, A, &f);
	assert_string_equal(f.values[ADMIN_RELAY_HOST], "");
	assert_string_equal(f.values[ADMIN_RELAY_PORT], "587");
	assert_string_equal(f.values[ADMIN_RELAY_SECURE], "TLS");
	assert_false(f.has_password);
	/* (The form's values point into cfg: it lives until the save.) */

	/* A bad host, a bad port, a CR in the user. */
	f.values[ADMIN_RELAY_HOST] = "relay example";
	f.values[ADMIN_RELAY_PORT] = "0";
	f.values[ADMIN_RELAY_USER] = "u\r\nRCPT";
	assert_false(admin_relay_form_validate(&f));
	assert_string_equal(f.errors[ADMIN_RELAY_HOST], "L_ADMIN_ERR_HOST");
	assert_string_equal(f.errors[ADMIN_RELAY_PORT], "L_ADMIN_ERR_PORT");
	assert_string_equal(f.errors[ADMIN_RELAY_USER], "L_ADMIN_ERR_TEXT");
	/* An account without a password; then a password in clear. */
	f.values[ADMIN_RELAY_HOST] = "smtp.relay.example";
	f.values[ADMIN_RELAY_PORT] = "587";
	f.values[ADMIN_RELAY_USER] = "acct";
	assert_false(admin_relay_form_validate(&f));
	assert_string_equal(f.errors[ADMIN_RELAY_PASSWORD],
	                    "L_ADMIN_ERR_RELAY_PASSWORD");
	f.values[ADMIN_RELAY_PASSWORD] = "s3cret";
	f.values[ADMIN_RELAY_SECURE] = "none";
	assert_false(admin_relay_form_validate(&f));
	assert_string_equal(f.errors[ADMIN_RELAY_SECURE],
	                    "L_ADMIN_ERR_RELAY_CLEAR");
	f.values[ADMIN_RELAY_SECURE] = "tls";
	assert_true(admin_relay_form_validate(&f));
	assert_string_equal(f.values[ADMIN_RELAY_SECURE], "TLS");
	assert_int_equal(admin_relay_save(&paths, &f, A, &err), 0);
	read_file(paths.application_ini, buf, sizeof(buf));
	assert_non_null(strstr(buf, "[relay]"));
	assert_non_null(strstr(buf, "host = \"smtp.relay.example\""));
	assert_non_null(strstr(buf, "password = \"s3cret\""));
	config_unref(&cfg);

	/* Loaded: shown without the password; the default domain sends
	 * through the relay with its account. */
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, A, &err), 0);
	admin_relay_form_current(cfg, A, &f);
	assert_string_equal(f.values[ADMIN_RELAY_HOST], "smtp.relay.example");
	assert_string_equal(f.values[ADMIN_RELAY_PASSWORD], "");
	assert_true(f.has_password);
	assert_string_equal(cfg->relay.password, "s3cret");

	/* Saved again with an empty password field: the stored one stays. */
	f.values[ADMIN_RELAY_PORT] = "465";
	f.values[ADMIN_RELAY_SECURE] = "SSL";
	assert_true(admin_relay_form_validate(&f));
	assert_int_equal(admin_relay_save(&paths, &f, A, &err), 0);
	read_file(paths.application_ini, buf, sizeof(buf));
	assert_non_null(strstr(buf, "password = \"s3cret\""));
	assert_non_null(strstr(buf, "port = 465"));

	/* No account: the password goes too; no host: the relay is off. */
	f.values[ADMIN_RELAY_USER] = "";
	f.values[ADMIN_RELAY_HOST] = "";
	assert_true(admin_relay_form_validate(&f));
	assert_int_equal(admin_relay_save(&paths, &f, A, &err), 0);
	read_file(paths.application_ini, buf, sizeof(buf));
	assert_null(strstr(buf, "s3cret"));
	config_unref(&cfg);
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, A, &err), 0);
	assert_string_equal(cfg->relay.host, "");
	config_unref(&cfg);
	config_paths_deinit(&paths);
	rm_rf(dir);
}

static void
test_init_then_verify_with_fresh_config(void **state)
{
	char dir[] = "/tmp/petrel-admin-XXXXXX", cred[128];
	struct admin_init_result r, r2;
	struct perr err = {0};
	struct config *cfg = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cred, sizeof(cred), "%s/.snappymail", dir);
	assert_int_equal(admin_init(dir, cred, A, &r, &err), 0);
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, A, &err), 0);
	assert_true(admin_key_verify(cfg, strv_from_cstr(r.key)));
	assert_false(admin_key_verify(cfg, STRV_LIT("admin_00000000")));
	assert_true(admin_login_verify(cfg, strv_from_cstr(r.user),
	                               strv_from_cstr(r.password)));
	assert_false(admin_login_verify(cfg, STRV_LIT("admin"),
	                                strv_from_cstr(r.password)));
	config_unref(&cfg);
	assert_int_equal(admin_passwd(dir, cred, A, &r2, &err), 0);
	assert_string_equal(r2.user, r.user);
	assert_string_equal(r2.key, r.key);
	assert_string_not_equal(r2.password, r.password);
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, A, &err), 0);
	assert_false(admin_login_verify(cfg, strv_from_cstr(r.user),
	                                strv_from_cstr(r.password)));
	config_unref(&cfg);
	rm_rf(dir);
}

/*
 * init leaves a record of the credentials file in the data directory (the
 * server cannot see the file under the shipped unit); credentials-deleted
 * refuses while the file exists and clears the record once it is gone.
 */
static void
test_init_records_credentials_file_until_deleted(void **state)
{
	char dir[] = "/tmp/petrel-admin-XXXXXX", cred[128], configs[160];
	struct admin_init_result r;
	struct admin_cred_record rec;
	struct perr err = {0};
	struct stat st;
	int64_t before = (int64_t)time(NULL);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cred, sizeof(cred), "%s/.snappymail", dir);
	snprintf(configs, sizeof(configs), "%s/_data_/_default_/configs", dir);
	assert_int_equal(admin_cred_record_read(configs, A, &rec, &err), 0);
	assert_false(rec.found);

	assert_int_equal(admin_init(dir, cred, A, &r, &err), 0);
	assert_int_equal(admin_cred_record_read(configs, A, &rec, &err), 0);
	assert_true(rec.found);
	assert_string_equal(rec.path, cred);
	assert_true(rec.written >= before && rec.written <= before + 60);
	assert_int_equal(stat(admin_cred_record_path(configs, A), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	/* The file is still there: refused, the record stays. */
	assert_int_equal(admin_credentials_deleted(dir, A, &rec, &err), -1);
	assert_int_equal(err.kind, PERR_CONFLICT);
	assert_non_null(strstr(err.msg, "still exists"));
	perr_clear(&err);
	assert_int_equal(admin_cred_record_read(configs, A, &rec, &err), 0);
	assert_true(rec.found);

	assert_int_equal(unlink(cred), 0);
	assert_int_equal(admin_credentials_deleted(dir, A, &rec, &err), 0);
	assert_true(rec.found);
	assert_int_equal(admin_cred_record_read(configs, A, &rec, &err), 0);
	assert_false(rec.found);
	/* Nothing recorded: nothing to do, no error. */
	assert_int_equal(admin_credentials_deleted(dir, A, &rec, &err), 0);
	assert_false(rec.found);
	/* A broken record is an error, not a silent "no warning". */
	{
		FILE *f = fopen(admin_cred_record_path(configs, A), "w");

		assert_non_null(f);
		fputs("[credentials_file]\nwritten = 5\n", f);
		fclose(f);
	}
	assert_int_equal(admin_cred_record_read(configs, A, &rec, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	perr_clear(&err);
	assert_int_equal(admin_cred_record_clear(configs, A, &err), 0);
	assert_int_equal(admin_cred_record_clear(configs, A, &err), 0);
	rm_rf(dir);
}

/*
 * root runs `admin init` on a data directory the server's user owns (the
 * package's /var/lib/petrel) before the server ever started: what init
 * creates must belong to that user, or the server could not open it.
 */
static void
test_init_as_root_gives_new_layout_to_data_dir_owner(void **state)
{
	char dir[] = "/tmp/petrel-admin-XXXXXX", data[64], cred[128], p[256];
	const char *subs[] = {"_data_/_default_/configs",
	                      "_data_/_default_/configs/application.ini",
	                      "_data_/_default_/configs/admin_credentials.ini",
	                      "_data_/_default_/domains/default.ini",
	                      "_data_/_default_/storage",
	                      "_data_/_default_/logs"};
	struct admin_init_result r;
	struct perr err = {0};
	struct stat st;
	size_t i;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(cred, sizeof(cred), "%s/cred", dir);
	assert_int_equal(mkdir(data, 0750), 0);
	assert_int_equal(chown(data, 65534, 65534), 0);
	assert_int_equal(admin_init(data, cred, A, &r, &err), 0);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", data, subs[i]);
		assert_int_equal(lstat(p, &st), 0);
		if (st.st_uid != 65534)
			fail_msg("%s belongs to uid %u", p,
			         (unsigned)st.st_uid);
	}
	/* The credentials file itself stays root's. */
	assert_int_equal(lstat(cred, &st), 0);
	assert_int_equal(st.st_uid, 0);
	rm_rf(dir);
}

static void
test_tail_file_returns_last_lines(void **state)
{
	char path[] = "/tmp/petrel-admin-tail-XXXXXX";
	char **lines;
	size_t n;
	struct perr err = {0};
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a\nb\nc\nd\n", 8), 8);
	close(fd);
	assert_int_equal(admin_tail_file(path, 2, A, &lines, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(lines[0], "c");
	assert_string_equal(lines[1], "d");
	unlink(path);
}

/* Table-driven: each image header, what the sniffer makes of it. */
static void
test_image_sniff_by_magic_bytes(void **state)
{
	static const unsigned char png[] = {
	        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0,
	        0,    13,  'I', 'H', 'D',  'R',  0,    0,    0, 200,
	        0,    0,   0,   60,  8,    6,    0,    0};
	static const unsigned char png_huge[] = {
	        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0,
	        0,    13,  'I', 'H', 'D',  'R',  0,    1,    0, 0,
	        0,    0,   0,   60,  8,    6,    0,    0};
	/* SOI, APP0 (len 4), SOF0: precision, height 48, width 64. */
	static const unsigned char jpg[] = {
	        0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 17, 8, 0, 48,
	        0,    64,   3,    0,    0, 0, 0, 0, 0,    0,    0, 0,  0, 0};
	static const unsigned char ico[] = {0, 0, 1,  0, 1,  0, 32, 32,
	                                    0, 0, 1,  0, 32, 0, 0,  0,
	                                    0, 0, 22, 0, 0,  0, 0,  0};
	static const unsigned char webp[] = {
	        'R', 'I', 'F', 'F', 0,   0,   0,  0,  'W', 'E',
	        'B', 'P', 'V', 'P', '8', 'X', 10, 0,  0,   0,
	        0,   0,   0,   0,   99,  0,   0,  49, 0,   0};
	static const char html[] = "<html><script>alert(1)</script></html>";
	static const char svg[] =
	        "\n  <svg xmlns=\"http://www.w3.org/2000/svg\">";
	static const char xml[] = "<?xml version=\"1.0\"?><svg/>";
	const struct {
		const void *p;
		size_t len;
		const char *why, *ext;
		unsigned w, h;
	} cases[] = {
	        {png, sizeof(png), NULL, "png", 200, 60},
	        {png_huge, sizeof(png_huge), "L_ADMIN_ERR_IMAGE_DIMENSIONS",
	         NULL, 0, 0},
	        {jpg, sizeof(jpg), NULL, "jpg", 64, 48},
	        {ico, sizeof(ico), NULL, "ico", 32, 32},
	        {webp, sizeof(webp), NULL, "webp", 100, 50},
	        {html, sizeof(html) - 1, "L_ADMIN_ERR_IMAGE_TYPE", NULL, 0, 0},
	        {svg, sizeof(svg) - 1, "L_ADMIN_ERR_IMAGE_SVG", NULL, 0, 0},
	        {xml, sizeof(xml) - 1, "L_ADMIN_ERR_IMAGE_SVG", NULL, 0, 0},
	        {png, 0, "L_ADMIN_ERR_IMAGE_NONE", NULL, 0, 0},
	        {png, 10, "L_ADMIN_ERR_IMAGE_TYPE", NULL, 0, 0},
	        {jpg, 8, "L_ADMIN_ERR_IMAGE_TYPE", NULL, 0, 0},
	};
	struct admin_image_info info;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = admin_image_sniff(
		        (struct strv){cases[i].p, cases[i].len}, &info);

		if (cases[i].why == NULL) {
			if (why != NULL)
				fail_msg("case %zu: refused %s", i, why);
			assert_string_equal(info.ext, cases[i].ext);
			if (info.width != cases[i].w ||
			    info.height != cases[i].h)
				fail_msg("case %zu: %ux%u", i, info.width,
				         info.height);
		} else if (why == NULL || strcmp(why, cases[i].why) != 0) {
			fail_msg("case %zu: %s, expected %s", i,
			         why != NULL ? why : "accepted", cases[i].why);
		}
	}
}

static void
test_image_sniff_refuses_over_512k(void **state)
{
	size_t n = ADMIN_BRAND_MAX_BYTES + 1;
	unsigned char *big = calloc(1, n);
	struct admin_image_info info;

	(void)state;
	assert_non_null(big);
	memcpy(big, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1", 24);
	assert_string_equal(
	        admin_image_sniff((struct strv){(char *)big, n}, &info),
	        "L_ADMIN_ERR_IMAGE_SIZE");
	assert_null(
	        admin_image_sniff((struct strv){(char *)big, n - 1}, &info));
	free(big);
}

static void
test_brand_store_names_by_content_mode_0640(void **state)
{
	static const unsigned char png[] = {
	        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0,
	        0,    13,  'I', 'H', 'D',  'R',  0,    0,    0, 16,
	        0,    0,   0,   16,  8,    6,    0,    0};
	char dir[] = "/tmp/petrel-admin-brand-XXXXXX";
	struct config_paths paths = {0};
	struct perr err = {0};
	struct stat st;
	char *file = NULL, *again = NULL, path[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	paths.storage_dir = dir;
	assert_int_equal(
	        admin_brand_store(&paths, ADMIN_BRAND_LOGO,
	                          (struct strv){(const char *)png, sizeof(png)},
	                          A, &file, &err),
	        0);
	assert_true(admin_brand_file_ok(ADMIN_BRAND_LOGO, file));
	assert_false(admin_brand_file_ok(ADMIN_BRAND_FAVICON, file));
	assert_string_equal(admin_brand_mime(file), "image/png");
	snprintf(path, sizeof(path), "%s/branding/%s", dir, file);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* The same bytes give the same name. */
	assert_int_equal(
	        admin_brand_store(&paths, ADMIN_BRAND_LOGO,
	                          (struct strv){(const char *)png, sizeof(png)},
	                          A, &again, &err),
	        0);
	assert_string_equal(file, again);
	/* HTML is refused with the reason as the message key. */
	assert_int_equal(admin_brand_store(&paths, ADMIN_BRAND_LOGO,
	                                   STRV_LIT("<html></html>"), A, &again,
	                                   &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_string_equal(err.msg, "L_ADMIN_ERR_IMAGE_TYPE");
	/* Names not of our making are never unlinked. */
	assert_int_equal(admin_brand_unlink(&paths, ADMIN_BRAND_LOGO,
	                                    "../../configs/application.ini", A,
	                                    &err),
	                 -1);
	assert_false(admin_brand_file_ok(ADMIN_BRAND_LOGO, "logo-../x.png"));
	assert_false(admin_brand_file_ok(ADMIN_BRAND_LOGO,
	                                 "logo-0123456789abcdef.svg"));
	assert_int_equal(
	        admin_brand_unlink(&paths, ADMIN_BRAND_LOGO, file, A, &err), 0);
	assert_int_not_equal(stat(path, &st), 0);
	rm_rf(dir);
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static size_t
field(const char *key)
{
	size_t i;

	for (i = 0; i < admin_domain_field_count; i++)
		if (strcmp(admin_domain_fields[i].key, key) == 0)
			return i;
	fail_msg("no field %s", key);
	return 0;
}

static void
test_domain_editor_keeps_snappymail_json(void **state)
{
	char dir[] = "/tmp/petrel-admin-XXXXXX", json[256], ini[256], dis[256];
	struct config_paths paths;
	struct admin_domain_form *f = NULL;
	struct perr err = {0};
	const char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_layout_create(dir, A, &err), 0);
	config_paths_init(&paths, dir);
	snprintf(json, sizeof(json), "%s/_wildcard_.ex.org.json",
	         paths.domains_dir);
	snprintf(ini, sizeof(ini), "%s/*.ex.org.ini", paths.domains_dir);
	snprintf(dis, sizeof(dis), "%s/disabled", paths.domains_dir);
	put(json,
	    "{\n    \"IMAP\": {\"host\": \"imap.ex.org\", \"port\": 993, "
	    "\"type\": 9, \"sasl\": [\"PLAIN\"]},\n"
	    "    \"SMTP\": {\"host\": \"smtp.ex.org\", \"port\": 587, "
	    "\"type\": 2, \"usePhpMail\": false},\n"
	    "    \"Sieve\": {\"host\": \"s\", \"port\": 4190, \"type\": 0, "
	    "\"enabled\": false},\n    \"whiteList\": \"\"\n}\n");
	put(ini, "imap_host = shadowed\n");
	assert_int_equal(
	        admin_domain_form_load(&paths, "*.ex.org", A, &f, &err), 0);
	assert_string_equal(f->values[field("imap_host")], "imap.ex.org");
	assert_string_equal(f->values[field("imap_secure")], "SSL");
	assert_string_equal(f->values[field("smtp_secure")], "TLS");
	assert_false(f->disabled);
	f->values[field("smtp_port")] = "465";
	f->values[field("smtp_secure")] = "SSL";
	f->values[field("sieve_use")] = "On";
	f->values[field("sieve_allow_raw")] = "On";
	f->values[field("white_list")] = "me@ex.org";
	f->disabled = true;
	assert_true(admin_domain_form_validate(f));
	assert_int_equal(admin_domain_save(&paths, f, A, &err), 0);
	text = slurp(json);
	/* JSON stays JSON, with the keys the form does not know... */
	assert_non_null(strstr(text, "\"sasl\": [\n            \"PLAIN\""));
	assert_non_null(strstr(text, "\"usePhpMail\": false"));
	/* ...untouched values as they were (9 stays auto-detect)... */
	assert_non_null(strstr(text, "\"type\": 9"));
	/* ...and the changes in SnappyMail's spelling. */
	assert_non_null(strstr(text, "\"port\": 465,\n        \"type\": 1"));
	assert_non_null(strstr(text, "\"enabled\": true"));
	assert_non_null(strstr(text, "\"whiteList\": \"me@ex.org\""));
	assert_non_null(strstr(text, "\"sieve_allow_raw\": true"));
	assert_string_equal(slurp(dis), "*.ex.org");
	/* The shadowed ini is not touched. */
	assert_string_equal(slurp(ini), "imap_host = shadowed\n");
	assert_int_equal(
	        admin_domain_set_disabled(&paths, "*.ex.org", false, A, &err),
	        0);
	assert_string_equal(slurp(dis), "");
	assert_int_equal(
	        admin_domain_form_load(&paths, "*.ex.org", A, &f, &err), 0);
	assert_string_equal(f->values[field("smtp_port")], "465");
	assert_string_equal(f->values[field("sieve_use")], "On");
	/* Delete removes the name's every file, as SnappyMail does. */
	assert_int_equal(admin_domain_delete(&paths, "*.ex.org", A, &err), 0);
	assert_int_not_equal(access(json, F_OK), 0);
	assert_int_not_equal(access(ini, F_OK), 0);
	/* A malformed file is an error naming it. */
	put(json, "{\"IMAP\": {\"host\": }");
	assert_int_equal(
	        admin_domain_form_load(&paths, "*.ex.org", A, &f, &err), -1);
	assert_non_null(strstr(err.msg, "_wildcard_.ex.org.json:1:"));
	config_paths_deinit(&paths);
	rm_rf(dir);
}

/* A PHP password_hash()-style hash: bcrypt with the $2y$ prefix. */
static const char *
make_bcrypt(const char *password)
{
	static char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	static struct crypt_data cd;
	const char *h;

	assert_non_null(
	        crypt_gensalt_rn("$2y$", 5, NULL, 0, salt, (int)sizeof(salt)));
	h = crypt_rn(password, salt, &cd, (int)sizeof(cd));
	assert_non_null(h);
	assert_int_equal(strncmp(h, "$2y$05$", 7), 0);
	return h;
}

static void
test_bcrypt_password_from_snappymail_verifies(void **state)
{
	char hash[64];

	(void)state;
	assert_true(pt_strlcpy(hash, make_bcrypt("sn4ppy pass"), sizeof(hash)));
	assert_true(admin_hash_is_bcrypt(hash));
	assert_true(admin_hash_verify(ADMIN_HASH_PASSWORD, hash,
	                              STRV_LIT("sn4ppy pass")));
	assert_false(admin_hash_verify(ADMIN_HASH_PASSWORD, hash,
	                               STRV_LIT("sn4ppy pas")));
	/* A NUL inside the typed password cannot match the C string. */
	assert_false(admin_hash_verify(ADMIN_HASH_PASSWORD, hash,
	                               (struct strv){"sn4ppy pass\0x", 13}));
	/* $2b$ is the same algorithm. */
	hash[2] = 'b';
	assert_true(admin_hash_verify(ADMIN_HASH_PASSWORD, hash,
	                              STRV_LIT("sn4ppy pass")));
	/* bcrypt is for the password only, never the key. */
	assert_false(admin_hash_verify(ADMIN_HASH_KEY, hash,
	                               STRV_LIT("sn4ppy pass")));
	/* Costs past 16 and damaged hashes are refused, not tried. */
	hash[4] = '3';
	hash[5] = '1';
	assert_false(admin_hash_is_bcrypt(hash));
	assert_false(admin_hash_verify(ADMIN_HASH_PASSWORD, hash,
	                               STRV_LIT("sn4ppy pass")));
	assert_false(admin_hash_is_bcrypt("$2y$10$short"));
}

static void
test_takeover_hashes_the_clear_key_and_keeps_the_rest(void **state)
{
	char dir[] = "/tmp/petrel-admin-XXXXXX", ini[256], text[4096];
	struct admin_takeover_result tk;
	struct config *cfg = NULL;
	struct perr err = {0};
	const char *body;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_layout_create(dir, A, &err), 0);
	snprintf(ini, sizeof(ini),
	         "%s/_data_/_default_/configs/application.ini", dir);
	snprintf(text, sizeof(text),
	         "; SnappyMail's file\n"
	         "[webmail]\ntitle = \"Hestia mail\"\n"
	         "[security]\nadmin_login = \"admin_0a1b2c3d\"\n"
	         "admin_password = \"%s\"\nadmin_totp = \"\"\n"
	         "admin_panel_key = \"admin_stale\"\n"
	         "[admin_panel]\nkey = \"Admin_F0E5A5AA\"\nfuture_key = 1\n",
	         make_bcrypt("Secret-Pass-1"));
	put(ini, text);
	assert_int_equal(admin_takeover(dir, A, &tk, &err), 0);
	assert_true(tk.key_hashed);
	assert_true(tk.old_key_removed);
	assert_true(tk.bcrypt_password);
	assert_false(tk.login_defaulted);
	body = slurp(ini);
	assert_null(strstr(body, "F0E5A5AA"));
	assert_null(strstr(body, "f0e5a5aa"));
	assert_null(strstr(body, "admin_stale"));
	assert_non_null(strstr(body, "; SnappyMail's file\n"));
	assert_non_null(strstr(body, "future_key = 1\n"));
	assert_non_null(strstr(body, "key = \"hmac-sha256"));
	/* The bookmarked ?admin_f0e5a5aa and the old password work. */
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, A, &err), 0);
	assert_true(admin_panel_enabled(cfg));
	assert_true(admin_key_verify(cfg, STRV_LIT("admin_f0e5a5aa")));
	assert_false(admin_key_verify(cfg, STRV_LIT("admin_stale")));
	assert_true(admin_login_verify(cfg, STRV_LIT("admin_0a1b2c3d"),
	                               STRV_LIT("Secret-Pass-1")));
	assert_false(admin_login_verify(cfg, STRV_LIT("admin_0a1b2c3d"),
	                                STRV_LIT("secret-pass-1")));
	config_unref(&cfg);
	/* A second start changes nothing. */
	assert_int_equal(admin_takeover(dir, A, &tk, &err), 0);
	assert_false(tk.key_hashed || tk.old_key_removed);
	/* Older files: only [security] admin_panel_key, no login. */
	put(ini, "[security]\nallow_admin_panel = On\n"
	         "admin_panel_key = \"admin_0ld\"\n");
	assert_int_equal(admin_takeover(dir, A, &tk, &err), 0);
	assert_true(tk.key_hashed && tk.old_key_removed);
	assert_null(strstr(slurp(ini), "admin_0ld"));
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, A, &err), 0);
	assert_true(admin_hash_verify(ADMIN_HASH_KEY, cfg->admin_panel.key,
	                              STRV_LIT("admin_0ld")));
	config_unref(&cfg);
	/* SnappyMail's allow_admin_panel = Off keeps the panel shut. */
	snprintf(text, sizeof(text),
	         "[security]\nallow_admin_panel = Off\n"
	         "admin_password = \"%s\"\n[admin_panel]\nkey = \"k\"\n",
	         make_bcrypt("pw"));
	put(ini, text);
	assert_int_equal(admin_takeover(dir, A, &tk, &err), 0);
	assert_true(tk.login_defaulted);
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, A, &err), 0);
	assert_string_equal(cfg->security.admin_login, "admin");
	assert_false(admin_panel_enabled(cfg));
	assert_false(admin_key_verify(cfg, STRV_LIT("k")));
	config_unref(&cfg);
	rm_rf(dir);
}

/* The connection test to a server that never ends its greeting line. */
static void
test_probe_endless_greeting_is_bounded(void **state)
{
	static const char *const script[] = {"L:", NULL};
	struct admin_probe_opts o = {0};
	struct admin_probe_result res;
	struct fsrv f;

	(void)state;
	fsrv_start(&f, script);
	o.proto = ADMIN_PROTO_IMAP;
	o.host = "127.0.0.1";
	o.port = f.port;
	o.secure = "None";
	o.verify = true;
	o.timeout_s = 5;
	admin_probe(&o, A, &res);
	fsrv_stop(&f);
	assert_false(res.ok);
	assert_non_null(res.error);
	assert_non_null(strstr(res.error, "line longer than"));
	assert_true(f.endless_sent < (size_t)4 << 20);
}

/*
 * A TOTP code opens one sign-in: the same code again (someone who saw it
 * typed) and any older one are refused; the next step's code works.
 */
static void
test_totp_code_is_used_once(void **state)
{
	const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	char dir[] = "/tmp/petrel-totp-XXXXXX", path[256], buf[8];
	struct store *st = NULL;
	struct perr err;
	unsigned code;
	int64_t now = 1700000000;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/p.db", dir));
	assert_int_equal(store_open(path, &st, A, &err), 0);

	assert_int_equal(admin_totp_code(secret, now, &code), 0);
	assert_true(pt_snprintf_ok(buf, sizeof(buf), "%06u", code));
	assert_true(admin_totp_verify_once(st, secret, strv_from_cstr(buf), now,
	                                   A));
	/* Replayed within its window, even a few seconds later. */
	assert_false(admin_totp_verify_once(st, secret, strv_from_cstr(buf),
	                                    now + 5, A));
	/* The previous step's code is older than the one used. */
	assert_int_equal(admin_totp_code(secret, now - 30, &code), 0);
	assert_true(pt_snprintf_ok(buf, sizeof(buf), "%06u", code));
	assert_false(admin_totp_verify_once(st, secret, strv_from_cstr(buf),
	                                    now, A));
	/* The next step's code is new. */
	assert_int_equal(admin_totp_code(secret, now + 30, &code), 0);
	assert_true(pt_snprintf_ok(buf, sizeof(buf), "%06u", code));
	assert_true(admin_totp_verify_once(st, secret, strv_from_cstr(buf),
	                                   now + 30, A));
	/* A wrong code stays wrong. */
	assert_false(admin_totp_verify_once(st, secret, STRV_LIT("000000"),
	                                    now + 90, A) &&
	             admin_totp_verify_once(st, secret, STRV_LIT("111111"),
	                                    now + 90, A));
	store_close(&st);
	(void)unlink(path);
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/p.db-wal", dir));
	(void)unlink(path);
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/p.db-shm", dir));
	(void)unlink(path);
	(void)rmdir(dir);
}

/*
 * On a full disk (a filled tmpfs) `petrel admin init` and the credentials
 * file writer answer PERR_NOSPACE (507), not PERR_INTERNAL (500), and
 * leave neither the file nor a temp file behind.
 */
static void
test_full_disk_init_and_credentials_are_nospace(void **state)
{
	const char *why = NULL, *root = full_disk_make(&why);
	char data[256], cred[256];
	struct admin_init_result r;
	struct perr err = {0};
	struct stat st;
	DIR *dp;
	struct dirent *de;
	int files = 0;

	(void)state;
	if (root == NULL) {
		print_message("skipped: %s\n", why);
		skip();
	}
	snprintf(data, sizeof(data), "%s/data", root);
	snprintf(cred, sizeof(cred), "%s/admin.credentials", root);
	assert_int_equal(full_disk_fill(), 0);
	assert_int_equal(admin_credentials_write(cred, "admin_1", "pw",
	                                         "admin_2", A, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_NOSPACE);
	assert_int_equal(lstat(cred, &st), -1);
	assert_int_equal(admin_init(data, cred, A, &r, &err), -1);
	assert_int_equal(err.kind, PERR_NOSPACE);
	assert_int_equal(lstat(cred, &st), -1);
	/* Only the filler and the (empty) data folder: no temp files. */
	dp = opendir(root);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL)
		files += strcmp(de->d_name, ".") != 0 &&
		         strcmp(de->d_name, "..") != 0;
	closedir(dp);
	assert_int_equal(files, 2);
	full_disk_free();
	assert_int_equal(admin_init(data, cred, A, &r, &err), 0);
	assert_int_equal(lstat(cred, &st), 0);
	full_disk_release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hash_roundtrip_and_wrong_secret),
	        cmocka_unit_test(test_legacy_pbkdf2_key_hash_still_verifies),
	        cmocka_unit_test(
	                test_hash_verify_rejects_missing_and_malformed),
	        cmocka_unit_test(
	                test_generated_credentials_have_the_documented_form),
	        cmocka_unit_test(test_totp_rfc6238_vectors),
	        cmocka_unit_test(test_totp_code_is_used_once),
	        cmocka_unit_test(
	                test_credentials_file_written_0600_and_refuses_symlink),
	        cmocka_unit_test(test_validators),
	        cmocka_unit_test(
	                test_domain_save_keeps_comments_and_unknown_keys),
	        cmocka_unit_test(test_domain_editor_keeps_snappymail_json),
	        cmocka_unit_test(test_relay_form_checks_and_keeps_the_password),
	        cmocka_unit_test(test_bcrypt_password_from_snappymail_verifies),
	        cmocka_unit_test(
	                test_takeover_hashes_the_clear_key_and_keeps_the_rest),
	        cmocka_unit_test(test_init_then_verify_with_fresh_config),
	        cmocka_unit_test(
	                test_init_records_credentials_file_until_deleted),
	        cmocka_unit_test(
	                test_init_as_root_gives_new_layout_to_data_dir_owner),
	        cmocka_unit_test(test_tail_file_returns_last_lines),
	        cmocka_unit_test(test_probe_endless_greeting_is_bounded),
	        cmocka_unit_test(test_image_sniff_by_magic_bytes),
	        cmocka_unit_test(test_image_sniff_refuses_over_512k),
	        cmocka_unit_test(test_brand_store_names_by_content_mode_0640),
	        cmocka_unit_test(
	                test_full_disk_init_and_credentials_are_nospace),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
