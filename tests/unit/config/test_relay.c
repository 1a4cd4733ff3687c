/*
 * config: the server-wide default relay ([relay] in application.ini) is
 * what a domain without its own relay account sends through; a domain
 * with one keeps its own; without a relay user the users' own passwords
 * are not offered to the relay.
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

#include "config/config.h"

static void
write_file(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	FILE *f;

	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/%s", dir, rel));
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static struct config *
load(const char *app_ini, char *dir, struct arena *a)
{
	struct config *cfg = NULL;
	struct perr err = {0};

	assert_int_equal(config_layout_create(dir, a, &err), 0);
	write_file(dir, "_data_/_default_/configs/application.ini", app_ini);
	write_file(dir, "_data_/_default_/domains/own.test.ini",
	           "smtp_host = \"smtp.own.test\"\nsmtp_port = 465\n"
	           "smtp_secure = \"SSL\"\nrelay_user = \"me@own.test\"\n"
	           "relay_password = \"pw\"\n");
	write_file(dir, "_data_/_default_/domains/plain.test.ini",
	           "smtp_host = \"localhost\"\nsmtp_port = 587\n");
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, a, &err), 0);
	return cfg;
}

static void
test_relay_for_domains_without_one(void **state)
{
	char tmpl[] = "/tmp/petrel-relay-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct arena *a = arena_create("t", 4096, 0);
	struct config *cfg;
	const struct config_domain *d;

	(void)state;
	assert_non_null(dir);
	cfg = load("[relay]\nhost = \"relay.provider.test\"\nport = 2525\n"
	           "secure = \"TLS\"\nuser = \"acct@provider.test\"\n"
	           "password = \"secret\"\n",
	           dir, a);
	d = config_domain_for(cfg, strv_from_cstr("plain.test"));
	assert_string_equal(d->smtp_host, "relay.provider.test");
	assert_int_equal(d->smtp_port, 2525);
	assert_int_equal(d->smtp_secure, CONFIG_SECURE_TLS);
	assert_string_equal(d->relay_user, "acct@provider.test");
	assert_string_equal(d->relay_password, "secret");
	/* A domain with no file: the default domain, relayed too. */
	d = config_domain_for(cfg, strv_from_cstr("other.test"));
	assert_string_equal(d->smtp_host, "relay.provider.test");
	/* Its own relay account wins, with its own server. */
	d = config_domain_for(cfg, strv_from_cstr("own.test"));
	assert_string_equal(d->smtp_host, "smtp.own.test");
	assert_int_equal(d->smtp_port, 465);
	assert_string_equal(d->relay_user, "me@own.test");
	config_unref(&cfg);
	arena_destroy(&a);
	unit_temp_dir_remove(dir);
}

static void
test_relay_without_user_keeps_passwords(void **state)
{
	char tmpl[] = "/tmp/petrel-relay-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct arena *a = arena_create("t", 4096, 0);
	struct config *cfg;
	const struct config_domain *d;

	(void)state;
	assert_non_null(dir);
	cfg = load("[relay]\nhost = \"10.0.0.25\"\nport = 25\n"
	           "secure = \"None\"\n",
	           dir, a);
	d = config_domain_for(cfg, strv_from_cstr("plain.test"));
	assert_string_equal(d->smtp_host, "10.0.0.25");
	assert_int_equal(d->smtp_port, 25);
	assert_int_equal(d->smtp_secure, CONFIG_SECURE_NONE);
	assert_string_equal(d->relay_user, "");
	assert_false(d->smtp_auth);
	config_unref(&cfg);
	arena_destroy(&a);
	unit_temp_dir_remove(dir);
}

static void
test_no_relay_changes_nothing(void **state)
{
	char tmpl[] = "/tmp/petrel-relay-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct arena *a = arena_create("t", 4096, 0);
	struct config *cfg;
	const struct config_domain *d;

	(void)state;
	assert_non_null(dir);
	cfg = load("[webmail]\ntitle = \"x\"\n", dir, a);
	d = config_domain_for(cfg, strv_from_cstr("plain.test"));
	assert_string_equal(d->smtp_host, "localhost");
	assert_int_equal(d->smtp_port, 587);
	assert_true(d->smtp_auth);
	config_unref(&cfg);
	arena_destroy(&a);
	unit_temp_dir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_relay_for_domains_without_one),
	        cmocka_unit_test(test_relay_without_user_keeps_passwords),
	        cmocka_unit_test(test_no_relay_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
