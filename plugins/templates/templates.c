/*
 * templates: saved replies. A user keeps named plain-text templates in
 * a Templates section of their settings and inserts one from the compose
 * window's Templates menu. It uses ABI 1.1's list section and compose
 * menu, and keeps each user's templates in one file under its own
 * storage directory (store.h says how).
 */
#include <stdio.h>
#include <stdlib.h>

#include "petrel/plugin.h"
#include "store.h"

static const struct petrel_option options[] = {
        {.name = "max_templates",
         .type = PETREL_OPTION_INT,
         .label = "Templates per user",
         .help = "The most saved replies one user may keep.",
         .default_value = "50",
         .min = 1,
         .max = 200},
        {.name = "max_size",
         .type = PETREL_OPTION_INT,
         .label = "Largest template (bytes)",
         .help = "The longest text one template may hold.",
         .default_value = "10000",
         .min = 100,
         .max = 20000},
};

/* The user's file, or a refusal; *path_r is malloc'd. */
static int
user_file(const struct petrel_host *host, struct petrel_call *call,
          char **path_r)
{
	const char *dir = host->data_dir(call);
	const char *user = host->user(call);

	*path_r = NULL;
	if (dir == NULL || user == NULL)
		return host->refuse(call, "Templates cannot be stored on this "
		                          "server.");
	*path_r = tpl_user_file(dir, user);
	if (*path_r == NULL)
		return host->refuse(call, "Templates cannot be stored for "
		                          "this address.");
	return 0;
}

/* Every template as an item: id, name, body. */
static int
answer_list(const struct petrel_host *host, struct petrel_call *call,
            const struct tpl_list *l)
{
	char id[24];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *kv[] = {"id",   id,           "name", l->v[i].name,
		                    "body", l->v[i].body, NULL};

		(void)snprintf(id, sizeof(id), "%lu", l->v[i].id);
		if (host->result_item(call, "items", kv) != 0)
			return host->refuse(call, "The templates are too "
			                          "large to list.");
	}
	return 0; /* no items: no "items" member, an empty list */
}

static int
act_list(const struct petrel_host *host, struct petrel_call *call)
{
	struct tpl_list l = {0};
	struct tpl_err err = {{0}};
	char *path;
	int ret;

	if (user_file(host, call, &path) != 0)
		return -1;
	if (tpl_load(path, &l, &err) != 0) {
		host->log(call, PETREL_LOG_ERROR, "%s: %s", path, err.msg);
		free(path);
		return host->refuse(call, err.msg);
	}
	free(path);
	ret = answer_list(host, call, &l);
	tpl_list_free(&l);
	return ret;
}

/*
 * Save and Delete: a locked read, change, write. The answer is the
 * list as it is now, so the page shows what was stored.
 */
static int
change(const struct petrel_host *host, struct petrel_call *call, bool del)
{
	struct tpl_list l = {0};
	struct tpl_err err = {{0}};
	unsigned long id = 0;
	char *path, idtext[24];
	int fd, ret = -1;

	if (user_file(host, call, &path) != 0)
		return -1;
	fd = tpl_lock(path, &err);
	if (fd < 0 || tpl_load(path, &l, &err) != 0)
		goto out;
	if (del) {
		if (tpl_delete(&l, host->arg(call, "id"), &err) != 0)
			goto out;
	} else if (tpl_put(&l, host->arg(call, "id"), host->arg(call, "name"),
	                   host->arg(call, "body"),
	                   (size_t)host->option_int(call, "max_templates"),
	                   (size_t)host->option_int(call, "max_size"), &id,
	                   &err) != 0) {
		goto out;
	}
	if (tpl_save(path, &l, &err) != 0) {
		host->log(call, PETREL_LOG_ERROR, "%s: %s", path, err.msg);
		goto out;
	}
	ret = 0;
out:
	tpl_unlock(fd);
	free(path);
	if (ret != 0) {
		tpl_list_free(&l);
		return host->refuse(call, err.msg);
	}
	if (!del) {
		(void)snprintf(idtext, sizeof(idtext), "%lu", id);
		(void)host->result_string(call, "id", idtext);
	}
	(void)host->result_string(
	        call, "message",
	        host->translate(call, del ? "L_TEMPLATES_DELETED"
	                                  : "L_TEMPLATES_SAVED"));
	ret = answer_list(host, call, &l);
	tpl_list_free(&l);
	return ret;
}

static int
act_save(const struct petrel_host *host, struct petrel_call *call)
{
	return change(host, call, false);
}

static int
act_delete(const struct petrel_host *host, struct petrel_call *call)
{
	return change(host, call, true);
}

/* ABI 1.1's host functions are what this plugin is made of. */
static int
init(const struct petrel_host *host, struct petrel_call *call)
{
	if (!PETREL_HOST_HAS(host, result_item) ||
	    !PETREL_HOST_HAS(host, data_dir))
		return host->refuse(call, "needs Petrel's plugin ABI 1.1");
	return 0;
}

static const struct petrel_action actions[] = {
        {.name = "List", .run = act_list},
        {.name = "Save", .run = act_save},
        {.name = "Delete", .run = act_delete},
};

static const struct petrel_field fields[] = {
        {.name = "name",
         .label = "L_TEMPLATES_NAME",
         .type = "text",
         .required = true},
        {.name = "body",
         .label = "L_TEMPLATES_TEXT",
         .type = "textarea",
         .required = true},
};

static const struct petrel_settings_section settings = {
        .size = sizeof(struct petrel_settings_section),
        .title = "L_TEMPLATES_TITLE",
        .fields = fields,
        .n_fields = sizeof(fields) / sizeof(fields[0]),
        .save_action = "Save",
        .list_action = "List",
        .delete_action = "Delete",
};

static const struct petrel_compose_menu compose_menu = {
        .size = sizeof(struct petrel_compose_menu),
        .label = "L_TEMPLATES_MENU",
        .list_action = "List",
        .label_key = "name",
        .text_key = "body",
};

static const struct petrel_hooks hooks = {
        .size = sizeof(struct petrel_hooks),
        .init = init,
        .actions = actions,
        .n_actions = sizeof(actions) / sizeof(actions[0]),
        .settings = &settings,
        .compose_menu = &compose_menu,
};

PETREL_PLUGIN_EXPORT const struct petrel_plugin petrel_plugin_v1 = {
        .abi_major = PETREL_PLUGIN_ABI_MAJOR,
        .abi_minor = PETREL_PLUGIN_ABI_MINOR,
        .size = sizeof(struct petrel_plugin),
        .name = "templates",
        .version = "1.0",
        .description = "Saved replies: kept in the user's settings, "
                       "inserted from the compose window.",
        .options = options,
        .n_options = sizeof(options) / sizeof(options[0]),
        .option_size = sizeof(struct petrel_option),
        .hooks = &hooks,
};
