/*
 * plugin/options.c - storing a plugin's options where SnappyMail keeps
 * them, configs/plugin-<name>.json, as {"plugin": {"<option>": value}}
 * with booleans and integers as JSON types (the loader reads any type
 * back as text and checks it against the declaration).
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

/* Temp file beside path, fsync, rename, fsync the directory. */
static int
write_atomic(const char *dir, const char *path, const char *text,
             struct arena *a, struct perr *err)
{
	char *tmp = arena_printf(a, "%s.tmp.XXXXXX", path);
	int fd, dfd, e;

	if (tmp == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	fd = mkstemp(tmp);
	if (fd < 0)
		return perr_set(err, a, PERR_INTERNAL, "%s: %s", tmp,
		                strerror(errno));
	if (fchmod(fd, 0600) != 0 ||
	    pt_write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		return perr_set(err, a, PERR_INTERNAL, "%s: %s", path,
		                strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return perr_set(err, a, PERR_INTERNAL, "%s: %s", path,
		                strerror(e));
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
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
	opts = json_object();
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
	path = arena_printf(a, "%s/plugin-%s.json", configs_dir, e->name);
	if (text == NULL || path == NULL) {
		free(text);
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	}
	copy = arena_printf(a, "%s\n", text);
	explicit_bzero(text, strlen(text));
	free(text);
	if (copy == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	rc = write_atomic(configs_dir, path, copy, a, err);
	/* The JSON text may hold a SECRET option. */
	explicit_bzero(copy, strlen(copy));
	return rc;
}
