/*
 * Bundled plugins that need no server: add-x-originating-ip-header (which
 * address it writes, and when a forwarded one is believed) and that
 * change-password loads with its declared options valid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/plugin.h"
#include "../support/unit_arena.h"

static char configs[64];

static struct plugin_set *
load(const char *list)
{
	struct plugin_load_args args = {.dir = PLUGIN_BUILD_DIR,
	                                .configs_dir = configs,
	                                .enable = true,
	                                .enabled_list = list};
	struct plugin_set *set = NULL;
	struct plugin_info info;
	struct perr err = {0};
	ptrdiff_t i;

	assert_int_equal(plugin_set_load(&args, &set, A, &err), 0);
	i = plugin_set_find(set, strv_from_cstr(list));
	assert_true(i >= 0);
	plugin_set_info(set, (size_t)i, &info);
	if (!info.active || info.error != NULL)
		fail_msg("%s: %s", list, info.error);
	return set;
}

static void
options(const char *json)
{
	char path[128];
	FILE *f;

	assert_true(pt_snprintf_ok(path, sizeof(path),
	                           "%s/plugin-add-x-originating-ip-header.json",
	                           configs));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
}

/* The X-Originating-IP value added for a message from this request. */
static const char *
xoip(const char *peer, const char *xff, const char *real_ip)
{
	struct plugin_set *set = load("add-x-originating-ip-header");
	struct plugin_request req = {.arena = A, .user = "a@example.test"};
	struct petrel_send msg = {.size = sizeof(msg),
	                          .user = "a@example.test",
	                          .from = "a@example.test",
	                          .client_ip = peer,
	                          .forwarded_for = xff,
	                          .real_ip = real_ip};
	struct plugin_send_result res;
	struct perr err = {0};
	const char *value = NULL;

	assert_int_equal(plugin_run_send_before(set, &req, &msg, &res, &err),
	                 0);
	if (res.n_headers == 1) {
		assert_string_equal(res.headers[0].name, "X-Originating-IP");
		value = res.headers[0].value;
	} else {
		assert_int_equal(res.n_headers, 0);
	}
	plugin_set_free(&set);
	return value;
}

static void
test_x_originating_ip(void **state)
{
	(void)state;
	/* Default (check_proxy off): the peer, whatever is forwarded. */
	options("{\"plugin\": {}}");
	assert_string_equal(xoip("203.0.113.7", "198.51.100.1", NULL),
	                    "203.0.113.7");
	assert_string_equal(xoip("2001:DB8::0:1", NULL, NULL), "2001:db8::1");
	assert_null(xoip("not-an-address", NULL, NULL));
	assert_null(xoip(NULL, NULL, NULL));

	/* Hestia's setting: believe the proxy's word, only from a trusted
	 * peer, and only the last entry of X-Forwarded-For (its own). */
	options("{\"plugin\": {\"check_proxy\": true}}");
	assert_string_equal(xoip("127.0.0.1", "10.9.9.9, 198.51.100.23", NULL),
	                    "198.51.100.23");
	assert_string_equal(xoip("127.0.0.1", NULL, "198.51.100.24"),
	                    "198.51.100.24");
	assert_string_equal(xoip("203.0.113.7", "198.51.100.23", NULL),
	                    "203.0.113.7");
	/* A forwarded value that is no address, or a header in it: peer. */
	assert_string_equal(xoip("127.0.0.1", "198.51.100.23\r\nBcc: x", NULL),
	                    "127.0.0.1");
	options("{\"plugin\": {\"check_proxy\": true, \"trusted_proxies\": "
	        "\"192.0.2.1, 2001:db8::53\"}}");
	assert_string_equal(xoip("2001:db8:0::53", "198.51.100.9", NULL),
	                    "198.51.100.9");
	assert_string_equal(xoip("127.0.0.1", "198.51.100.9", NULL),
	                    "127.0.0.1");
}

static void
test_change_password_declares_valid_options(void **state)
{
	struct plugin_set *set = load("change-password");
	ptrdiff_t i = plugin_set_find(set, STRV_LIT("change-password"));
	const struct petrel_settings_section *s;

	(void)state;
	assert_true(plugin_option_count(set, (size_t)i) >= 10);
	s = plugin_settings_section(set, (size_t)i);
	assert_non_null(s);
	assert_string_equal(s->save_action, "ChangePassword");
	assert_int_equal(s->n_fields, 3);
	plugin_set_free(&set);
}

static int
setup(void **state)
{
	if (!pt_snprintf_ok(configs, sizeof(configs),
	                    "/tmp/petrel-bundled-test-%ld", (long)getpid()) ||
	    mkdir(configs, 0700) != 0)
		return -1;
	return unit_arena_setup(state);
}

static int
teardown(void **state)
{
	char path[128];

	if (pt_snprintf_ok(path, sizeof(path),
	                   "%s/plugin-add-x-originating-ip-header.json",
	                   configs))
		(void)unlink(path);
	(void)rmdir(configs);
	return unit_arena_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_x_originating_ip),
	        cmocka_unit_test(test_change_password_declares_valid_options),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
