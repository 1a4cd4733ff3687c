#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "i18n/i18n.h"

static char tmpdir[64];

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/%s", tmpdir, name));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup_dir(void **state)
{
	(void)state;
	assert_true(
	        pt_strlcpy(tmpdir, "/tmp/petrel-i18n-XXXXXX", sizeof(tmpdir)));
	assert_non_null(mkdtemp(tmpdir));
	write_file("en.json", "{\"LANGUAGE_NATIVE_NAME\":\"English\","
	                      "\"L_HELLO\":\"Hello\",\"L_BYE\":\"Bye\"}");
	write_file("ru.json", "{\"LANGUAGE_NATIVE_NAME\":\"Русский\","
	                      "\"L_HELLO\":\"Привет\"}");
	write_file("de.json", "{\"LANGUAGE_NATIVE_NAME\":\"Deutsch\","
	                      "\"L_HELLO\":\"Hallo\"}");
	return 0;
}

static int
teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	assert_true(pt_snprintf_ok(cmd, sizeof(cmd), "rm -rf %s", tmpdir));
	return system(cmd);
}

static void
test_missing_key_falls_back_to_english(void **state)
{
	struct i18n *set = NULL;
	struct perr err;
	const struct i18n_catalog *ru;

	(void)state;
	assert_int_equal(i18n_load(tmpdir, &set, &err), 0);
	ru = i18n_find(set, STRV_LIT("ru"));
	assert_non_null(ru);
	assert_string_equal(i18n_get(ru, "L_HELLO"), "Привет");
	assert_string_equal(i18n_get(ru, "L_BYE"), "Bye");
	assert_string_equal(i18n_get(ru, "L_NOPE"), "L_NOPE");
	assert_string_equal(i18n_native_name(ru), "Русский");
	assert_int_equal(i18n_count(ru), 3);
	assert_non_null(strstr(i18n_json(ru), "\"L_BYE\":\"Bye\""));
	i18n_destroy(&set);
	assert_null(set);
}

static void
test_pick_follows_choice_then_accept_language(void **state)
{
	struct i18n *set = NULL;
	struct perr err;
	static const struct {
		const char *choice, *accept, *deflt, *want;
	} cases[] = {
	        {"", "", "", "en"},
	        {"ru", "de", "", "ru"},
	        {"xx", "de-AT,de;q=0.9", "", "de"},
	        {"", "fr-FR, ru;q=0.8, de;q=0.9", "", "de"},
	        {"", "ru-RU;q=0.5, en;q=0.4", "", "ru"},
	        {"", "fr, *;q=0.5", "de", "de"},
	        {"", "ru;q=0, de;q=0.1", "", "de"},
	        {"", "garbage;;;,,q=", "ru", "ru"},
	        {"", "RU", "", "ru"},
	};
	size_t i;

	(void)state;
	assert_int_equal(i18n_load(tmpdir, &set, &err), 0);
	for (i = 0; i < PT_NELEM(cases); i++) {
		const struct i18n_catalog *c =
		        i18n_pick(set, strv_from_cstr(cases[i].choice),
		                  strv_from_cstr(cases[i].accept),
		                  strv_from_cstr(cases[i].deflt));

		if (strcmp(i18n_code(c), cases[i].want) != 0)
			fail_msg("case %zu: got %s want %s", i, i18n_code(c),
			         cases[i].want);
	}
	i18n_destroy(&set);
}

static void
test_languages_listed_english_first(void **state)
{
	struct i18n *set = NULL;
	struct perr err;
	const struct i18n_catalog *const *cats;

	(void)state;
	assert_int_equal(i18n_load(tmpdir, &set, &err), 0);
	assert_int_equal(i18n_languages(set, &cats), 3);
	assert_string_equal(i18n_code(cats[0]), "en");
	assert_string_equal(i18n_code(cats[1]), "de");
	assert_string_equal(i18n_code(cats[2]), "ru");
	i18n_destroy(&set);
}

static void
test_unknown_key_is_refused(void **state)
{
	struct i18n *set = NULL;
	struct perr err;

	(void)state;
	write_file("fr.json", "{\"L_HELO\":\"Bonjour\"}");
	assert_int_equal(i18n_load(tmpdir, &set, &err), -1);
	assert_null(set);
	write_file("fr.json", "{\"L_HELLO\": 5}");
	assert_int_equal(i18n_load(tmpdir, &set, &err), -1);
	write_file("fr.json", "{\"L_HELLO\": \"\xff\"}");
	assert_int_equal(i18n_load(tmpdir, &set, &err), -1);
	write_file("fr.json", "[1,2]");
	assert_int_equal(i18n_load(tmpdir, &set, &err), -1);
	write_file("fr.json", "{\"L_HELLO\":\"Bonjour\"}");
	assert_int_equal(i18n_load(tmpdir, &set, &err), 0);
	i18n_destroy(&set);
}

static void
test_shipped_catalogs_load(void **state)
{
	struct i18n *set = NULL;
	struct perr err;

	(void)state;
	assert_int_equal(i18n_load(PETREL_SOURCE_DIR "/i18n", &set, &err), 0);
	assert_non_null(i18n_find(set, STRV_LIT("ru")));
	i18n_destroy(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_missing_key_falls_back_to_english),
	        cmocka_unit_test(test_pick_follows_choice_then_accept_language),
	        cmocka_unit_test(test_languages_listed_english_first),
	        cmocka_unit_test(test_unknown_key_is_refused),
	        cmocka_unit_test(test_shipped_catalogs_load),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
