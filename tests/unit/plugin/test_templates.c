/*
 * plugins/templates: its store (validation, the file format, the atomic
 * write, the user file's name) on its own, then the loaded plugin's
 * actions as Petrel runs them: List, Save (new, edit, rename) and Delete,
 * every refusal with its message, one user's templates apart from
 * another's, and the ABI 1.1 seams it declares.
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
#include "store.h"
#include "../support/unit_arena.h"

/* The end of run()'s arguments, typed as va_arg reads it. */
#define END ((const char *)NULL)

static char root[64], configs[96], storage[96];

/* ---- the store on its own ---------------------------------------------- */

static void
test_store_validation(void **state)
{
	struct tpl_list l = {0};
	struct tpl_err err = {{0}};
	char longname[TPL_NAME_MAX + 2];
	unsigned long id = 0;

	(void)state;
	assert_int_equal(tpl_put(&l, NULL, "  Thanks ", "Thank you!\r\nBye", 3,
	                         100, &id, &err),
	                 0);
	assert_int_equal(id, 1);
	assert_string_equal(l.v[0].name, "Thanks");          /* trimmed */
	assert_string_equal(l.v[0].body, "Thank you!\nBye"); /* CR LF: LF */

	assert_int_equal(tpl_put(&l, NULL, "   ", "x", 3, 100, &id, &err), -1);
	assert_string_equal(err.msg, "Give the template a name.");
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tpl_put(&l, NULL, longname, "x", 3, 100, &id, &err),
	                 -1);
	assert_string_equal(err.msg,
	                    "A name is at most 100 bytes (this one has 101).");
	longname[TPL_NAME_MAX] = '\0'; /* exactly the most */
	assert_int_equal(tpl_put(&l, NULL, longname, "x", 3, 100, &id, &err),
	                 0);
	assert_int_equal(tpl_put(&l, NULL, "a\tb", "x", 3, 100, &id, &err), -1);
	assert_non_null(strstr(err.msg, "one line of text"));
	assert_int_equal(tpl_put(&l, NULL, "bad \xc3(", "x", 3, 100, &id, &err),
	                 -1);
	assert_int_equal(tpl_put(&l, NULL, "Empty", "", 3, 100, &id, &err), -1);
	assert_string_equal(err.msg, "The template's text is empty.");
	assert_int_equal(
	        tpl_put(&l, NULL, "Big", "0123456789", 3, 9, &id, &err), -1);
	assert_string_equal(err.msg, "A template's text is at most 9 bytes "
	                             "(this one has 10).");
	assert_int_equal(tpl_put(&l, NULL, "Bell", "ding\a", 3, 100, &id, &err),
	                 -1);
	assert_string_equal(err.msg,
	                    "The template's text holds control characters.");
	assert_int_equal(
	        tpl_put(&l, NULL, "Thanks", "again", 3, 100, &id, &err), -1);
	assert_string_equal(err.msg,
	                    "A template named \"Thanks\" exists already.");
	/* The third is the most; a fourth is refused, an edit is not. */
	assert_int_equal(tpl_put(&l, NULL, "Third", "3", 3, 100, &id, &err), 0);
	assert_int_equal(tpl_put(&l, NULL, "Fourth", "4", 3, 100, &id, &err),
	                 -1);
	assert_string_equal(err.msg, "You have 3 templates, the most allowed: "
	                             "delete one first.");
	assert_int_equal(
	        tpl_put(&l, "1", "Thanks a lot", "Merci", 3, 100, &id, &err),
	        0);
	assert_int_equal(id, 1);
	assert_string_equal(l.v[0].name, "Thanks a lot");
	assert_int_equal(tpl_put(&l, "99", "X", "x", 3, 100, &id, &err), -1);
	assert_non_null(strstr(err.msg, "No such template"));
	assert_int_equal(tpl_delete(&l, "abc", &err), -1);
	assert_int_equal(tpl_delete(&l, "2", &err), 0);
	assert_int_equal(l.n, 2);
	/* Ids are never reused while a higher one exists. */
	assert_int_equal(tpl_put(&l, NULL, "New", "n", 3, 100, &id, &err), 0);
	assert_int_equal(id, 4);
	tpl_list_free(&l);
}

static void
test_store_file(void **state)
{
	struct tpl_list l = {0}, back = {0};
	struct tpl_err err = {{0}};
	unsigned long id;
	char path[160], tmp[170];
	struct stat st;
	FILE *f;

	(void)state;
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/t.txt", root));
	assert_int_equal(tpl_load(path, &l, &err), 0); /* none yet */
	assert_int_equal(l.n, 0);
	assert_int_equal(tpl_put(&l, NULL, "Back\\slash",
	                         "line 1\n\tline 2 \\n not a break\n\xc3\xa9",
	                         5, 100, &id, &err),
	                 0);
	assert_int_equal(tpl_put(&l, NULL, "Two", "2", 5, 100, &id, &err), 0);
	assert_int_equal(tpl_save(path, &l, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(pt_snprintf_ok(tmp, sizeof(tmp), "%s.tmp", path));
	assert_int_equal(access(tmp, F_OK), -1); /* renamed, not left */
	assert_int_equal(tpl_load(path, &back, &err), 0);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[0].name, "Back\\slash");
	assert_string_equal(back.v[0].body,
	                    "line 1\n\tline 2 \\n not a break\n\xc3\xa9");
	assert_int_equal(back.v[1].id, 2);
	tpl_list_free(&back);
	tpl_list_free(&l);

	/* A file that is not ours is an error, not an empty list. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("something else\n", f);
	fclose(f);
	assert_int_equal(tpl_load(path, &back, &err), -1);
	assert_non_null(strstr(err.msg, "unknown format"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("petrel-templates 1\nno tabs here\n", f);
	fclose(f);
	assert_int_equal(tpl_load(path, &back, &err), -1);
	assert_non_null(strstr(err.msg, "damaged"));
	(void)unlink(path);
}

static void
test_store_user_file(void **state)
{
	char *p;

	(void)state;
	p = tpl_user_file("/d", "Ann.Lee@Example.COM");
	assert_string_equal(p, "/d/ann.lee@example.com.txt");
	free(p);
	/* Nothing can climb out of the directory or hide as a dot file. */
	p = tpl_user_file("/d", "../../etc/passwd");
	assert_string_equal(p, "/d/%2e.%2f..%2fetc%2fpasswd.txt");
	free(p);
	p = tpl_user_file("/d", "a b+c");
	assert_string_equal(p, "/d/a%20b%2bc.txt");
	free(p);
	assert_null(tpl_user_file("/d", ""));
	assert_null(tpl_user_file("/d", NULL));
}

/* ---- the plugin as Petrel runs it -------------------------------------- */

static struct plugin_set *
load(void)
{
	struct plugin_load_args args = {.dir = PLUGIN_BUILD_DIR,
	                                .configs_dir = configs,
	                                .storage_dir = storage,
	                                .enable = true,
	                                .enabled_list = "templates"};
	struct plugin_set *set = NULL;
	struct plugin_info info;
	struct perr err = {0};
	ptrdiff_t i;

	assert_int_equal(plugin_set_load(&args, &set, A, &err), 0);
	i = plugin_set_find(set, STRV_LIT("templates"));
	assert_true(i >= 0);
	plugin_set_info(set, (size_t)i, &info);
	if (!info.active || info.error != NULL)
		fail_msg("templates: %s", info.error);
	return set;
}

/*
 * Run an action as user with args (key, value, ..., END). Returns 0 or
 * -1 with the refusal in *msg_r; *res_r is the answer.
 */
static int
run(struct plugin_set *set, const char *user, const char *action,
    struct plugin_action_result *res_r, const char **msg_r, ...)
{
	struct plugin_request req = {.arena = A, .user = user};
	struct plugin_kv args[8];
	struct perr err = {0};
	const char *k;
	size_t n = 0;
	va_list ap;
	int ret;

	memset(args, 0, sizeof(args));
	va_start(ap, msg_r);
	while ((k = va_arg(ap, const char *)) != NULL && n < 8) {
		args[n].key = k;
		args[n].value = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	ret = plugin_run_action(set, STRV_LIT("templates"),
	                        strv_from_cstr(action), &req, args, n, res_r,
	                        &err);
	*msg_r = err.msg;
	if (ret != 0)
		assert_int_equal(err.kind, PERR_FORBIDDEN);
	return ret;
}

/* The value of member key of item i of the answer's "items", or NULL. */
static const char *
item(const struct plugin_action_result *r, size_t i, const char *key)
{
	size_t k;

	if (i >= r->n_items)
		return NULL;
	assert_string_equal(r->items[i].list, "items");
	for (k = 0; k < r->items[i].n_kv; k++)
		if (strcmp(r->items[i].kv[k].key, key) == 0)
			return r->items[i].kv[k].value;
	return NULL;
}

static void
test_plugin_actions(void **state)
{
	struct plugin_set *set = load();
	struct plugin_action_result r;
	const char *msg;
	char path[200];
	struct stat st;

	(void)state;
	assert_int_equal(run(set, "ann@example.test", "List", &r, &msg, END),
	                 0);
	assert_int_equal(r.n_items, 0);
	assert_int_equal(run(set, "ann@example.test", "Save", &r, &msg, "id",
	                     "", "name", "Thanks", "body", "Thank you,\nAnn",
	                     END),
	                 0);
	assert_int_equal(r.n_items, 1);
	assert_string_equal(item(&r, 0, "id"), "1");
	assert_string_equal(item(&r, 0, "name"), "Thanks");
	assert_string_equal(item(&r, 0, "body"), "Thank you,\nAnn");
	/* Stored where the plugin's storage is, private to Petrel. */
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/plugins/templates",
	                           storage));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_true(pt_snprintf_ok(path, sizeof(path),
	                           "%s/plugins/templates/ann@example.test.txt",
	                           storage));
	assert_int_equal(access(path, R_OK), 0);

	/* Rename and edit: the same id. */
	assert_int_equal(run(set, "ann@example.test", "Save", &r, &msg, "id",
	                     "1", "name", "Thanks!", "body", "Merci", END),
	                 0);
	assert_int_equal(r.n_items, 1);
	assert_string_equal(item(&r, 0, "name"), "Thanks!");
	assert_string_equal(item(&r, 0, "body"), "Merci");

	/* Another user sees none of Ann's. */
	assert_int_equal(run(set, "bob@example.test", "List", &r, &msg, END),
	                 0);
	assert_int_equal(r.n_items, 0);

	/* Refusals carry the store's words to the user. */
	assert_int_equal(run(set, "ann@example.test", "Save", &r, &msg, "name",
	                     "", "body", "x", END),
	                 -1);
	assert_string_equal(msg, "Give the template a name.");
	assert_int_equal(run(set, "ann@example.test", "Save", &r, &msg, "name",
	                     "No body", END),
	                 -1);
	assert_string_equal(msg, "The template's text is empty.");
	assert_int_equal(run(set, "ann@example.test", "Delete", &r, &msg, "id",
	                     "7", END),
	                 -1);
	assert_non_null(strstr(msg, "No such template"));
	/* Without a session there is no one to store for. */
	assert_int_equal(run(set, NULL, "List", &r, &msg, END), -1);

	assert_int_equal(run(set, "ann@example.test", "Delete", &r, &msg, "id",
	                     "1", END),
	                 0);
	assert_int_equal(r.n_items, 0);
	assert_int_equal(run(set, "ann@example.test", "List", &r, &msg, END),
	                 0);
	assert_int_equal(r.n_items, 0);
	plugin_set_free(&set);
}

/* The admin's limits: max_templates and max_size. */
static void
test_plugin_limits(void **state)
{
	struct plugin_set *set;
	struct plugin_action_result r;
	const char *msg;
	char path[160], big[202];
	FILE *f;

	(void)state;
	assert_true(pt_snprintf_ok(path, sizeof(path),
	                           "%s/plugin-templates.json", configs));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"plugin\": {\"max_templates\": 2, \"max_size\": 200}}", f);
	fclose(f);
	set = load();
	assert_int_equal(run(set, "cy@example.test", "Save", &r, &msg, "name",
	                     "a", "body", "1", END),
	                 0);
	assert_int_equal(run(set, "cy@example.test", "Save", &r, &msg, "name",
	                     "b", "body", "2", END),
	                 0);
	assert_int_equal(run(set, "cy@example.test", "Save", &r, &msg, "name",
	                     "c", "body", "3", END),
	                 -1);
	assert_string_equal(msg, "You have 2 templates, the most allowed: "
	                         "delete one first.");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(run(set, "cy@example.test", "Save", &r, &msg, "id",
	                     "1", "name", "a", "body", big, END),
	                 -1);
	assert_string_equal(msg, "A template's text is at most 200 bytes (this "
	                         "one has 201).");
	plugin_set_free(&set);
	(void)unlink(path);
}

static void
test_plugin_seams(void **state)
{
	struct plugin_set *set = load();
	ptrdiff_t i = plugin_set_find(set, STRV_LIT("templates"));
	const struct petrel_settings_section *s;
	const struct petrel_compose_menu *m;
	const char *list, *del;

	(void)state;
	s = plugin_settings_section(set, (size_t)i);
	assert_non_null(s);
	assert_true(plugin_settings_list(s, &list, &del));
	assert_string_equal(list, "List");
	assert_string_equal(del, "Delete");
	m = plugin_compose_menu(set, (size_t)i);
	assert_non_null(m);
	assert_string_equal(m->list_action, "List");
	assert_string_equal(m->text_key, "body");
	plugin_set_free(&set);
}

static int
rm_tree(const char *path)
{
	char cmd[200];

	/* Only our own /tmp/petrel-templates-test-<pid>. */
	if (strncmp(path, "/tmp/petrel-templates-test-", 27) != 0 ||
	    !pt_snprintf_ok(cmd, sizeof(cmd), "rm -rf '%s'", path))
		return -1;
	return system(cmd);
}

static int
setup(void **state)
{
	if (!pt_snprintf_ok(root, sizeof(root),
	                    "/tmp/petrel-templates-test-%ld", (long)getpid()) ||
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
	(void)rm_tree(root);
	return unit_arena_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_store_validation),
	        cmocka_unit_test(test_store_file),
	        cmocka_unit_test(test_store_user_file),
	        cmocka_unit_test(test_plugin_actions),
	        cmocka_unit_test(test_plugin_limits),
	        cmocka_unit_test(test_plugin_seams),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
