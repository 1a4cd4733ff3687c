/* Unit tests for src/admin: hashes, TOTP, the credentials file, forms. */
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

#include "admin/admin.h"
#include "config/config.h"

static struct arena *A;

static int
setup(void **state)
{
	(void)state;
	A = arena_create("test", 4096, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_destroy(&A);
	return 0;
}

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
	assert_true(strncmp(h, "pbkdf2-sha256$100000$", 21) == 0);
	assert_true(admin_hash_verify(ADMIN_HASH_KEY, h,
				      STRV_LIT("admin_f0e5a5aa")));
	assert_false(admin_hash_verify(ADMIN_HASH_KEY, h,
				       STRV_LIT("admin_f0e5a5ab")));
	assert_int_equal(admin_hash(ADMIN_HASH_PASSWORD, STRV_LIT("pw"), A, &h,
				    &err),
			 0);
	assert_true(strncmp(h, "$scrypt$32768$8$1$", 18) == 0);
	assert_true(admin_hash_verify(ADMIN_HASH_PASSWORD, h, STRV_LIT("pw")));
	assert_false(admin_hash_verify(ADMIN_HASH_PASSWORD, h, STRV_LIT("pW")));
}

static void
test_hash_verify_rejects_missing_and_malformed(void **state)
{
	static const char *const bad[] = {
		NULL, "", "pbkdf2-sha256$100000$zz$zz",
		"pbkdf2-sha256$999999999$00000000000000000000000000000000$"
		"0000000000000000000000000000000000000000000000000000000000000000",
		"$scrypt$3$8$1$00000000000000000000000000000000$"
		"0000000000000000000000000000000000000000000000000000000000000000",
		"$scrypt$32768$8$1$00$00$00",
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
	} v[] = {{59, 287082},	       {1111111109, 81804},
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
	assert_non_null(strstr(admin_totp_uri("Petrel Mail", "admin_x", secret, A),
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
	assert_int_equal(admin_credentials_write(path, "admin_1", "pw", "admin_2",
						 A, &err),
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
	assert_int_equal(admin_domain_set_disabled(&paths, "ex.org", true, A,
						   &err),
			 0);
	assert_int_equal(admin_domain_delete(&paths, "ex.org", A, &err), 0);
	assert_int_equal(admin_domain_delete(&paths, "ex.org", A, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(admin_domain_delete(&paths, "default", A, &err), -1);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_roundtrip_and_wrong_secret),
		cmocka_unit_test(test_hash_verify_rejects_missing_and_malformed),
		cmocka_unit_test(test_generated_credentials_have_the_documented_form),
		cmocka_unit_test(test_totp_rfc6238_vectors),
		cmocka_unit_test(test_credentials_file_written_0600_and_refuses_symlink),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_domain_save_keeps_comments_and_unknown_keys),
		cmocka_unit_test(test_init_then_verify_with_fresh_config),
		cmocka_unit_test(test_tail_file_returns_last_lines),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
