/*
 * plugin: the loader's refusals (ABI major, newer minor, no descriptor,
 * invalid options, a name that is not the file's), option values from
 * SnappyMail's configs/plugin-<name>.json, and every hook runner with the
 * checks on what a plugin hands back.
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
load(const char *list, bool enable)
{
	struct plugin_load_args args = {
	        .dir = PLUGIN_FIXTURE_DIR,
	        .configs_dir = configs,
	        .enable = enable,
	        .enabled_list = list,
	};
	struct plugin_set *set = NULL;
	struct perr err = {0};

	assert_int_equal(plugin_set_load(&args, &set, A, &err), 0);
	assert_non_null(set);
	return set;
}

static void
info_of(const struct plugin_set *set, const char *name,
        struct plugin_info *info)
{
	ptrdiff_t i = plugin_set_find(set, strv_from_cstr(name));

	assert_true(i >= 0);
	plugin_set_info(set, (size_t)i, info);
}

static void
write_options(const char *name, const char *json)
{
	char path[128];
	FILE *f;

	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/plugin-%s.json",
	                           configs, name));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
}

static void
remove_options(const char *name)
{
	char path[128];

	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/plugin-%s.json",
	                           configs, name));
	(void)unlink(path);
}

static void
test_found_but_not_loaded_unless_enabled(void **state)
{
	struct plugin_set *set;
	struct plugin_info info;

	(void)state;
	/* enabled_list names it but enable = Off: nothing runs. */
	set = load("good", false);
	assert_true(plugin_set_count(set) >= 7);
	info_of(set, "good", &info);
	assert_false(info.enabled);
	assert_false(info.active);
	assert_null(info.version);
	plugin_set_free(&set);

	set = load("good", true);
	info_of(set, "good", &info);
	assert_true(info.enabled);
	assert_true(info.active);
	assert_null(info.error);
	assert_string_equal(info.version, "1.2.3");
	assert_int_equal(info.abi_major, PETREL_PLUGIN_ABI_MAJOR);
	/* Others found in the folder are listed, not loaded. */
	info_of(set, "wrong-major", &info);
	assert_false(info.enabled);
	assert_false(info.active);
	assert_null(info.error);
	plugin_set_free(&set);
	assert_null(set);
}

static void
expect_refused(const char *name, const char *why)
{
	struct plugin_set *set = load(name, true);
	struct plugin_info info;

	info_of(set, name, &info);
	assert_true(info.enabled);
	assert_false(info.active);
	assert_non_null(info.error);
	if (strstr(info.error, why) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", name, info.error, why);
	plugin_set_free(&set);
}

static void
test_refusals(void **state)
{
	(void)state;
	expect_refused("wrong-major", "major differs");
	expect_refused("newer-minor", "newer than this Petrel");
	expect_refused("no-descriptor", "exports no petrel_plugin_v1");
	expect_refused("bad-option", "min_length: its default is invalid");
	expect_refused("wrong-name", "names itself \"someone-else\"");
	expect_refused("init-refuses", "init refused: init says no");
	expect_refused("bad-load-action", "load action does not exist");
	expect_refused("bad-compose", "compose menu: bad size, label, keys or "
	                              "list action");
	expect_refused("not-installed", "not installed");
}

static void
test_refused_plugin_does_not_stop_others(void **state)
{
	struct plugin_set *set = load("wrong-major, good,no-descriptor", true);
	struct plugin_info info;

	(void)state;
	info_of(set, "good", &info);
	assert_true(info.active);
	info_of(set, "no-descriptor", &info);
	assert_false(info.active);
	plugin_set_free(&set);
}

static void
test_bad_enabled_list(void **state)
{
	struct plugin_load_args args = {
	        .dir = PLUGIN_FIXTURE_DIR,
	        .configs_dir = configs,
	        .enable = true,
	        .enabled_list = "good,../../etc/evil",
	};
	struct plugin_set *set = NULL;
	struct perr err = {0};

	(void)state;
	assert_int_equal(plugin_set_load(&args, &set, A, &err), -1);
	assert_null(set);
	assert_non_null(strstr(err.msg, "is not a plugin name"));
}

static const char *
value_of(const struct plugin_set *set, const char *name, const char *opt)
{
	ptrdiff_t i = plugin_set_find(set, strv_from_cstr(name));
	size_t k;

	assert_true(i >= 0);
	for (k = 0; k < plugin_option_count(set, (size_t)i); k++)
		if (strcmp(plugin_option(set, (size_t)i, k)->name, opt) == 0)
			return plugin_option_value(set, (size_t)i, k);
	fail_msg("no option %s", opt);
	return NULL;
}

static void
test_options_from_snappymail_json(void **state)
{
	struct plugin_set *set;
	struct plugin_info info;

	(void)state;
	set = load("good", true);
	assert_string_equal(value_of(set, "good", "min_length"), "8");
	assert_string_equal(value_of(set, "good", "enabled_feature"), "true");
	plugin_set_free(&set);

	/* JSON types as SnappyMail writes them: numbers and booleans. */
	write_options("good", "{\"plugin\": {\"min_length\": 12, "
	                      "\"enabled_feature\": false, \"colour\": "
	                      "\"green\", \"unknown\": 1}}");
	set = load("good", true);
	info_of(set, "good", &info);
	assert_null(info.error);
	assert_string_equal(value_of(set, "good", "min_length"), "12");
	assert_string_equal(value_of(set, "good", "enabled_feature"), "false");
	assert_string_equal(value_of(set, "good", "colour"), "green");
	plugin_set_free(&set);

	/* A bad stored value is reported and its default used. */
	write_options("good", "{\"plugin\": {\"min_length\": 999, "
	                      "\"colour\": \"blue\", \"greeting\": "
	                      "\"a\\nb\"}}");
	set = load("good", true);
	info_of(set, "good", &info);
	assert_true(info.active);
	assert_non_null(info.error);
	assert_non_null(strstr(info.error, "outside 1..64"));
	assert_non_null(strstr(info.error, "not one of the choices"));
	assert_non_null(strstr(info.error, "control characters"));
	assert_string_equal(value_of(set, "good", "min_length"), "8");
	assert_string_equal(value_of(set, "good", "colour"), "red");
	assert_string_equal(value_of(set, "good", "greeting"), "hello");
	plugin_set_free(&set);

	/* Not JSON at all: a line number, defaults, still active. */
	write_options("good", "{\"plugin\": {");
	set = load("good", true);
	info_of(set, "good", &info);
	assert_true(info.active);
	assert_non_null(strstr(info.error, "defaults used"));
	plugin_set_free(&set);
	remove_options("good");
}

static void
test_option_check(void **state)
{
	struct petrel_option o = {.name = "n",
	                          .type = PETREL_OPTION_INT,
	                          .label = "N",
	                          .min = -5,
	                          .max = 5};
	const char *canon = NULL;
	struct perr err = {0};

	(void)state;
	assert_int_equal(
	        plugin_option_check(&o, STRV_LIT("-5"), A, &canon, &err), 0);
	assert_string_equal(canon, "-5");
	assert_int_equal(
	        plugin_option_check(&o, STRV_LIT("6"), A, &canon, &err), -1);
	assert_int_equal(
	        plugin_option_check(&o, STRV_LIT("1x"), A, &canon, &err), -1);
	assert_int_equal(plugin_option_check(&o, STRV_LIT(""), A, &canon, &err),
	                 -1);
	o.type = PETREL_OPTION_BOOL;
	assert_int_equal(
	        plugin_option_check(&o, STRV_LIT("On"), A, &canon, &err), 0);
	assert_string_equal(canon, "true");
	assert_int_equal(
	        plugin_option_check(&o, STRV_LIT("maybe"), A, &canon, &err),
	        -1);
	o.type = PETREL_OPTION_SECRET;
	o.max = 4;
	assert_int_equal(
	        plugin_option_check(&o, STRV_LIT("abcde"), A, &canon, &err),
	        -1);
	assert_int_equal(
	        plugin_option_check(&o, STRV_LIT("\xff"), A, &canon, &err), -1);
}

static const char *
translate(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "L_BLOCKED") == 0 ? "This account is blocked." : key;
}

static void
test_hooks(void **state)
{
	struct plugin_set *set = load("good", true);
	struct plugin_request req = {.arena = A,
	                             .user = "alice@example.test",
	                             .translate = translate};
	struct petrel_login login = {.size = sizeof(login),
	                             .email = "alice@example.test"};
	struct petrel_send msg = {.size = sizeof(msg),
	                          .from = "alice@example.test",
	                          .subject = "hi"};
	struct petrel_view view = {
	        .size = sizeof(view), .folder = "INBOX", .uid = 7};
	struct plugin_send_result sent;
	struct perr err = {0};
	const char **notices;

	(void)state;
	assert_int_equal(plugin_run_login_before(set, &req, &login, &err), 0);
	login.email = "blocked@example.test";
	assert_int_equal(plugin_run_login_before(set, &req, &login, &err), -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	assert_string_equal(err.msg, "This account is blocked.");

	/* Only the plain extra header survives the checks. */
	assert_int_equal(plugin_run_send_before(set, &req, &msg, &sent, &err),
	                 0);
	assert_int_equal(sent.n_headers, 1);
	assert_string_equal(sent.headers[0].name, "X-Fixture-Greeting");
	assert_string_equal(sent.headers[0].value, "hello");
	msg.subject = "refuse me";
	assert_int_equal(plugin_run_send_before(set, &req, &msg, &sent, &err),
	                 -1);
	assert_string_equal(err.msg, "not this subject");

	notices = plugin_run_message_view(set, &req, &view);
	assert_non_null(notices);
	assert_string_equal(notices[0], "first notice");
	assert_null(notices[1]);
	plugin_set_free(&set);

	/* A set with no active plugin calls nothing and refuses nothing. */
	set = load("", true);
	login.email = "blocked@example.test";
	assert_int_equal(plugin_run_login_before(set, &req, &login, &err), 0);
	plugin_set_free(&set);
}

static void
test_actions_and_settings(void **state)
{
	struct plugin_set *set = load("good", true);
	struct plugin_request req = {.arena = A, .user = "alice@example.test"};
	struct plugin_kv args[] = {{.key = "text", .value = "ping"}};
	struct plugin_action_result res;
	const struct petrel_settings_section *s;
	struct perr err = {0};
	ptrdiff_t i;

	(void)state;
	assert_int_equal(plugin_run_action(set, STRV_LIT("good"),
	                                   STRV_LIT("Echo"), &req, args, 1,
	                                   &res, &err),
	                 0);
	/* "bad key" was refused; the rest came back in order. */
	assert_int_equal(res.n_members, 3);
	assert_string_equal(res.members[0].key, "text");
	assert_string_equal(res.members[0].value, "ping");
	assert_string_equal(res.members[1].value, "alice@example.test");
	assert_true(res.members[2].is_bool);
	assert_true(res.members[2].bool_value);

	assert_int_equal(plugin_run_action(set, STRV_LIT("good"),
	                                   STRV_LIT("Echo"), &req, NULL, 0,
	                                   &res, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	assert_string_equal(err.msg, "text is missing");
	assert_int_equal(plugin_run_action(set, STRV_LIT("good"),
	                                   STRV_LIT("Nope"), &req, NULL, 0,
	                                   &res, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	/* A plugin found but not enabled has no actions. */
	assert_int_equal(plugin_run_action(set, STRV_LIT("wrong-major"),
	                                   STRV_LIT("Echo"), &req, NULL, 0,
	                                   &res, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);

	i = plugin_set_find(set, STRV_LIT("good"));
	s = plugin_settings_section(set, (size_t)i);
	assert_non_null(s);
	assert_string_equal(s->title, "Fixture");
	assert_string_equal(s->save_action, "Echo");
	i = plugin_set_find(set, STRV_LIT("wrong-major"));
	assert_null(plugin_settings_section(set, (size_t)i));
	plugin_set_free(&set);
}

/* ABI 1.1: result_item takes only whole, valid items. */
static void
test_result_items(void **state)
{
	struct plugin_set *set = load("good", true);
	struct plugin_request req = {.arena = A, .user = "alice@example.test"};
	struct plugin_action_result res;
	const char *list, *del;
	struct perr err = {0};
	ptrdiff_t i;

	(void)state;
	assert_int_equal(plugin_run_action(set, STRV_LIT("good"),
	                                   STRV_LIT("Items"), &req, NULL, 0,
	                                   &res, &err),
	                 0);
	assert_int_equal(res.n_members, 2);
	assert_string_equal(res.members[0].value, "ynnn");
	/* No storage directory given to the loader: none to hand out. */
	assert_string_equal(res.members[1].value, "no");
	assert_int_equal(res.n_items, 1);
	assert_string_equal(res.items[0].list, "items");
	assert_int_equal(res.items[0].n_kv, 2);
	assert_string_equal(res.items[0].kv[1].key, "name");
	assert_string_equal(res.items[0].kv[1].value, "One");
	/* A 1.0-style form section is no list; good has no compose menu. */
	i = plugin_set_find(set, STRV_LIT("good"));
	assert_false(plugin_settings_list(
	        plugin_settings_section(set, (size_t)i), &list, &del));
	assert_null(plugin_compose_menu(set, (size_t)i));
	plugin_set_free(&set);
}

static int
setup(void **state)
{
	assert_true(pt_snprintf_ok(configs, sizeof(configs),
	                           "/tmp/petrel-plugin-test-%ld",
	                           (long)getpid()));
	if (mkdir(configs, 0700) != 0)
		return -1;
	return unit_arena_setup(state);
}

static int
teardown(void **state)
{
	remove_options("good");
	(void)rmdir(configs);
	return unit_arena_teardown(state);
}

/* 0 let in, 1 challenged (prompt checked), -1 refused. */
static int
login_check(const struct plugin_set *set, const char *email, const char *answer)
{
	struct plugin_request req = {.arena = A};
	struct petrel_login login = {
	        .size = sizeof(login), .email = email, .second_factor = answer};
	struct plugin_challenge ch;
	struct perr err = {0};

	if (plugin_run_login_check(set, &req, &login, &ch, &err) == 0) {
		assert_null(ch.plugin);
		return 0;
	}
	if (err.kind == PERR_AUTH) {
		assert_string_equal(ch.prompt, "What is the answer?");
		assert_string_equal(err.msg, ch.prompt);
		return 1;
	}
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	assert_string_equal(err.msg, "wrong answer");
	return -1;
}

static void
test_login_check_challenge(void **state)
{
	struct plugin_set *set = load("good", true);
	ptrdiff_t i = plugin_set_find(set, STRV_LIT("good"));

	(void)state;
	assert_int_equal(login_check(set, "ann@example.test", NULL), 0);
	assert_int_equal(login_check(set, "second@example.test", NULL), 1);
	assert_int_equal(login_check(set, "second@example.test", "41"), -1);
	assert_int_equal(login_check(set, "second@example.test", "42"), 0);
	assert_string_equal(plugin_settings_load_action(set, (size_t)i),
	                    "Echo");
	plugin_set_free(&set);
}

/*
 * A plugin built for ABI 1.0 loads in a 1.1 host, and the host reads
 * nothing past the sizes it set: its login_check and load_action (which
 * the fixture fills in beyond those sizes) are never seen.
 */
static void
test_abi_1_0_plugin_still_loads(void **state)
{
	struct plugin_set *set = load("abi-1-0", true);
	struct plugin_info info;
	ptrdiff_t i = plugin_set_find(set, STRV_LIT("abi-1-0"));

	(void)state;
	info_of(set, "abi-1-0", &info);
	assert_true(info.active);
	assert_null(info.error);
	assert_int_equal(info.abi_minor, 0);
	assert_int_equal(login_check(set, "second@example.test", NULL), 0);
	assert_null(plugin_settings_load_action(set, (size_t)i));
	assert_non_null(plugin_settings_section(set, (size_t)i));
	plugin_set_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_found_but_not_loaded_unless_enabled),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_result_items),
	        cmocka_unit_test(test_refused_plugin_does_not_stop_others),
	        cmocka_unit_test(test_bad_enabled_list),
	        cmocka_unit_test(test_options_from_snappymail_json),
	        cmocka_unit_test(test_option_check),
	        cmocka_unit_test(test_hooks),
	        cmocka_unit_test(test_actions_and_settings),
	        cmocka_unit_test(test_login_check_challenge),
	        cmocka_unit_test(test_abi_1_0_plugin_still_loads),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
