/*
 * plugin/options.c - storing a plugin's options where SnappyMail keeps
 * them, configs/plugin-<name>.json, as {"plugin": {"<option>": value}}
 * with booleans and integers as JSON types (the loader reads any type
 * back as text and checks it against the declaration). Keys the plugin
 * does not declare (another version's, or a SnappyMail driver's that
 * Petrel lacks) are kept as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "plugin_private.h"

static json_t *
option_json(const struct petrel_option *opt, const char *text)
{
	if (opt->type == PETREL_OPTION_BOOL)
		return json_boolean(strcmp(text, "true") == 0);
	if (opt->type == PETREL_OPTION_INT)
		return json_integer(strtoll(text, NULL, 10));
	return json_string(text);
}

int
plugin_options_write(const struct plugin_set *set, size_t i,
                     const char *configs_dir, const char *const *values,
                     struct arena *a, struct perr *err)
{
	const struct plugin_entry *e = &set->entries[i];
	json_t *opts, *root;
	char *text, *path, *copy;
	size_t k;
	int rc;

	if (e->desc == NULL || e->values == NULL)
		return perr_set(err, a, PERR_INPUT,
		                "plugin %s is not loaded: enable it first",
		                e->name);
	path = arena_printf(a, "%s/plugin-%s.json", configs_dir, e->name);
	if (path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	/* Start from what is stored, so undeclared keys survive. */
	root = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	opts = json_is_object(root) ? json_object_get(root, "plugin") : NULL;
	opts = json_is_object(opts) ? json_incref(opts) : json_object();
	json_decref(root);
	for (k = 0; k < e->desc->n_options; k++) {
		const struct petrel_option *opt =
		        plugin_desc_option(e->desc, k);
		const char *v = values[k] != NULL ? values[k] : e->values[k];

		json_object_set_new(opts, opt->name, option_json(opt, v));
	}
	root = json_pack("{so}", "plugin", opts);
	text = root != NULL ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)
	                    : NULL;
	json_decref(root);
	if (text == NULL) {
		free(text);
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	}
	copy = arena_printf(a, "%s\n", text);
	explicit_bzero(text, strlen(text));
	free(text);
	if (copy == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	rc = pt_atomic_write(path, copy, strlen(copy), 0600, a, err);
	/* The JSON text may hold a SECRET option. */
	explicit_bzero(copy, strlen(copy));
	return rc;
}
