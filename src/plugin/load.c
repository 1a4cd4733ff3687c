/*
 * plugin/load.c - finding, opening and checking plugins, and their options.
 *
 * Nothing of a plugin runs before its descriptor has passed every check
 * here but the shared object's own constructors, which dlopen() runs: that
 * is why only enabled names are opened at all.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "plugin_private.h"

enum {
	PLUGIN_MAX = 64,          /* plugins in one set */
	PLUGIN_OPTIONS_MAX = 64,  /* options of one plugin */
	PLUGIN_ACTIONS_MAX = 64,  /* actions of one plugin */
	PLUGIN_FIELDS_MAX = 32,   /* fields of a settings section */
	PLUGIN_STRING_MAX = 1024, /* default max length of a string option */
};

/* Members every 1.0 struct has: a smaller size is not a 1.0 struct. */
#define MIN_SIZE(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

bool
plugin_name_valid(struct strv s)
{
	size_t i;

	if (s.len == 0 || s.len > 64 || s.p[0] == '-')
		return false;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

static bool
ident_valid(const char *s, bool upper_ok, bool underscore_ok)
{
	size_t i, n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (upper_ok && c >= 'A' && c <= 'Z')
			continue;
		if (underscore_ok && c == '_')
			continue;
		return false;
	}
	return true;
}

/* Printable, valid UTF-8 text a person reads (labels, versions). */
static bool
text_valid(const char *s, size_t max)
{
	struct strv v;

	if (s == NULL)
		return false;
	v = strv_from_cstr(s);
	return v.len > 0 && v.len <= max && codec_utf8_valid(v) &&
	       !strv_has_ctl(v, false);
}

const struct petrel_option *
plugin_desc_option(const struct petrel_plugin *d, size_t k)
{
	return (const struct petrel_option *)((const char *)d->options +
	                                      k * d->option_size);
}

int
plugin_option_check(const struct petrel_option *opt, struct strv value,
                    struct arena *a, const char **canon_r, struct perr *err)
{
	uint64_t u;
	int64_t max;
	bool neg;
	struct strv digits;
	const char *const *c;

	switch (opt->type) {
	case PETREL_OPTION_BOOL:
		if (strv_eq_cstr(value, "true") || strv_eq_cstr(value, "On") ||
		    strv_eq_cstr(value, "on") || strv_eq_cstr(value, "1")) {
			*canon_r = "true";
			return 0;
		}
		if (strv_eq_cstr(value, "false") ||
		    strv_eq_cstr(value, "Off") || strv_eq_cstr(value, "off") ||
		    strv_eq_cstr(value, "0") || value.len == 0) {
			*canon_r = "false";
			return 0;
		}
		return perr_set(err, a, PERR_INPUT, "%s: not true or false",
		                opt->name);
	case PETREL_OPTION_INT:
		neg = value.len > 0 && value.p[0] == '-';
		digits =
		        neg ? (struct strv){value.p + 1, value.len - 1} : value;
		if (digits.len == 0 || digits.len > 18 ||
		    !pt_parse_u64(digits, UINT64_MAX, &u))
			return perr_set(err, a, PERR_INPUT,
			                "%s: not a whole number", opt->name);
		{
			int64_t n = neg ? -(int64_t)u : (int64_t)u;
			if (n < opt->min || n > opt->max)
				return perr_set(
				        err, a, PERR_INPUT,
				        "%s: %lld is outside %lld..%lld",
				        opt->name, (long long)n,
				        (long long)opt->min,
				        (long long)opt->max);
			*canon_r = arena_printf(a, "%lld", (long long)n);
		}
		break;
	case PETREL_OPTION_STRING:
	case PETREL_OPTION_SECRET:
		max = opt->max > 0 ? opt->max : PLUGIN_STRING_MAX;
		if (value.len > (uint64_t)max)
			return perr_set(err, a, PERR_INPUT,
			                "%s: longer than %lld bytes", opt->name,
			                (long long)max);
		if (!codec_utf8_valid(value) || strv_has_ctl(value, false))
			return perr_set(err, a, PERR_INPUT,
			                "%s: control characters or invalid "
			                "UTF-8",
			                opt->name);
		*canon_r = strv_dup(a, value);
		break;
	case PETREL_OPTION_CHOICE:
		for (c = opt->choices; c != NULL && *c != NULL; c++) {
			if (strv_eq_cstr(value, *c)) {
				*canon_r = *c;
				return 0;
			}
		}
		return perr_set(err, a, PERR_INPUT,
		                "%s: not one of the choices", opt->name);
	default:
		return perr_set(err, a, PERR_INPUT, "%s: unknown option type",
		                opt->name);
	}
	if (*canon_r == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	return 0;
}

static int
options_check(const struct petrel_plugin *d, struct arena *a, struct perr *err)
{
	size_t k, j;

	if (d->n_options == 0)
		return 0;
	if (d->options == NULL || d->n_options > PLUGIN_OPTIONS_MAX)
		return perr_set(err, a, PERR_INPUT, "bad option list");
	if (d->option_size < MIN_SIZE(struct petrel_option, choices))
		return perr_set(err, a, PERR_INPUT,
		                "option_size %zu is smaller than ABI 1.0's",
		                d->option_size);
	for (k = 0; k < d->n_options; k++) {
		const struct petrel_option *o = plugin_desc_option(d, k);
		const char *canon;

		if (!ident_valid(o->name, false, true))
			return perr_set(err, a, PERR_INPUT,
			                "option %zu: bad name", k);
		for (j = 0; j < k; j++)
			if (strcmp(plugin_desc_option(d, j)->name, o->name) ==
			    0)
				return perr_set(err, a, PERR_INPUT,
				                "option %s declared twice",
				                o->name);
		if (!text_valid(o->label, 200))
			return perr_set(err, a, PERR_INPUT,
			                "option %s: no label", o->name);
		if (o->help != NULL && !text_valid(o->help, 1000))
			return perr_set(err, a, PERR_INPUT,
			                "option %s: bad help text", o->name);
		if (o->type == PETREL_OPTION_INT && o->min > o->max)
			return perr_set(err, a, PERR_INPUT,
			                "option %s: min above max", o->name);
		if (o->type == PETREL_OPTION_CHOICE &&
		    (o->choices == NULL || o->choices[0] == NULL))
			return perr_set(err, a, PERR_INPUT,
			                "option %s: no choices", o->name);
		if (o->default_value == NULL)
			return perr_set(err, a, PERR_INPUT,
			                "option %s: no default", o->name);
		if (plugin_option_check(o, strv_from_cstr(o->default_value), a,
		                        &canon, err) != 0)
			return perr_set(
			        err, a, PERR_INPUT,
			        "option %s: its default is invalid (%s)",
			        o->name, err->msg);
	}
	return 0;
}

static bool
action_exists(const struct petrel_hooks *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n_actions; i++)
		if (strcmp(h->actions[i].name, name) == 0)
			return true;
	return false;
}

/* ABI 1.1's compose menu, when the plugin's hooks are that large. */
static int
compose_menu_check(const struct petrel_hooks *h, struct arena *a,
                   struct perr *err)
{
	const struct petrel_compose_menu *m;

	if (!PLUGIN_HAS(h, struct petrel_hooks, compose_menu) ||
	    h->compose_menu == NULL)
		return 0;
	m = h->compose_menu;
	if (m->size < MIN_SIZE(struct petrel_compose_menu, text_key) ||
	    !text_valid(m->label, 100) || m->list_action == NULL ||
	    !action_exists(h, m->list_action) ||
	    !ident_valid(m->label_key, true, true) ||
	    !ident_valid(m->text_key, true, true))
		return perr_set(err, a, PERR_INPUT,
		                "compose menu: bad size, label, keys or list "
		                "action");
	return 0;
}

static int
hooks_check(const struct petrel_hooks *h, struct arena *a, struct perr *err)
{
	const struct petrel_settings_section *s;
	size_t i, j;

	if (h->size < MIN_SIZE(struct petrel_hooks, settings))
		return perr_set(err, a, PERR_INPUT,
		                "hooks size %zu is smaller than ABI 1.0's",
		                h->size);
	if (h->n_actions > 0 &&
	    (h->actions == NULL || h->n_actions > PLUGIN_ACTIONS_MAX))
		return perr_set(err, a, PERR_INPUT, "bad action list");
	for (i = 0; i < h->n_actions; i++) {
		if (!ident_valid(h->actions[i].name, true, false) ||
		    h->actions[i].run == NULL)
			return perr_set(err, a, PERR_INPUT,
			                "action %zu: bad name or no function",
			                i);
		for (j = 0; j < i; j++)
			if (strcmp(h->actions[j].name, h->actions[i].name) == 0)
				return perr_set(err, a, PERR_INPUT,
				                "action %s declared twice",
				                h->actions[i].name);
	}
	s = h->settings;
	if (s == NULL)
		return compose_menu_check(h, a, err);
	if (s->size < MIN_SIZE(struct petrel_settings_section, save_action))
		return perr_set(err, a, PERR_INPUT,
		                "settings section too small");
	if (PLUGIN_HAS(s, struct petrel_settings_section, load_action) &&
	    s->load_action != NULL && !action_exists(h, s->load_action))
		return perr_set(err, a, PERR_INPUT,
		                "settings section: its load action does not "
		                "exist");
	if (!text_valid(s->title, 200) || s->save_action == NULL ||
	    !action_exists(h, s->save_action))
		return perr_set(err, a, PERR_INPUT,
		                "settings section: no title or its save action "
		                "does not exist");
	if (s->n_fields == 0 || s->fields == NULL ||
	    s->n_fields > PLUGIN_FIELDS_MAX)
		return perr_set(err, a, PERR_INPUT,
		                "settings section: bad field list");
	for (i = 0; i < s->n_fields; i++) {
		const struct petrel_field *f = &s->fields[i];
		if (!ident_valid(f->name, true, true) ||
		    !text_valid(f->label, 200) || f->type == NULL ||
		    (strcmp(f->type, "text") != 0 &&
		     strcmp(f->type, "password") != 0 &&
		     strcmp(f->type, "email") != 0 &&
		     strcmp(f->type, "number") != 0 &&
		     strcmp(f->type, "textarea") != 0))
			return perr_set(
			        err, a, PERR_INPUT,
			        "settings field %zu: bad name, label or "
			        "type",
			        i);
	}
	if (PLUGIN_HAS(s, struct petrel_settings_section, delete_action) &&
	    s->list_action != NULL &&
	    (!action_exists(h, s->list_action) ||
	     (s->delete_action != NULL && !action_exists(h, s->delete_action))))
		return perr_set(err, a, PERR_INPUT,
		                "settings section: its list or delete action "
		                "does not exist");
	return compose_menu_check(h, a, err);
}

int
plugin_desc_check(const struct petrel_plugin *d, const char *file_name,
                  struct arena *a, struct perr *err)
{
	if (d->abi_major != PETREL_PLUGIN_ABI_MAJOR)
		return perr_set(err, a, PERR_INPUT,
		                "built for plugin ABI %u.%u, this Petrel has "
		                "%u.%u (major differs)",
		                d->abi_major, d->abi_minor,
		                PETREL_PLUGIN_ABI_MAJOR,
		                PETREL_PLUGIN_ABI_MINOR);
	if (d->abi_minor > PETREL_PLUGIN_ABI_MINOR)
		return perr_set(err, a, PERR_INPUT,
		                "built for plugin ABI %u.%u, newer than this "
		                "Petrel's %u.%u",
		                d->abi_major, d->abi_minor,
		                PETREL_PLUGIN_ABI_MAJOR,
		                PETREL_PLUGIN_ABI_MINOR);
	if (d->size < MIN_SIZE(struct petrel_plugin, hooks))
		return perr_set(err, a, PERR_INPUT,
		                "descriptor size %zu is smaller than ABI 1.0's",
		                d->size);
	if (d->name == NULL || strcmp(d->name, file_name) != 0)
		return perr_set(err, a, PERR_INPUT,
		                "descriptor names itself \"%s\", not \"%s\"",
		                d->name != NULL ? d->name : "(null)",
		                file_name);
	if (!text_valid(d->version, 64))
		return perr_set(err, a, PERR_INPUT, "no valid version");
	if (d->description != NULL && !text_valid(d->description, 1000))
		return perr_set(err, a, PERR_INPUT, "bad description");
	if (options_check(d, a, err) != 0)
		return -1;
	if (d->hooks != NULL && hooks_check(d->hooks, a, err) != 0)
		return -1;
	return 0;
}

/* ---- stored options ----------------------------------------------------- */

static void
entry_note(struct plugin_set *set, struct plugin_entry *e, const char *msg)
{
	if (e->error == NULL)
		e->error = arena_strdup(set->arena, msg);
	else
		e->error = arena_printf(set->arena, "%s; %s", e->error, msg);
}

/* A stored JSON value in text form, as plugin_option_check wants it. */
static const char *
json_text(json_t *v, struct arena *a)
{
	if (json_is_string(v))
		return arena_strndup(a, json_string_value(v),
		                     json_string_length(v));
	if (json_is_true(v))
		return "true";
	if (json_is_false(v) || json_is_null(v))
		return "false";
	if (json_is_integer(v))
		return arena_printf(a, "%lld",
		                    (long long)json_integer_value(v));
	return NULL;
}

void
plugin_options_load(struct plugin_set *set, struct plugin_entry *e,
                    const char *configs_dir)
{
	const struct petrel_plugin *d = e->desc;
	char *path;
	json_t *root = NULL, *obj;
	json_error_t jerr;
	size_t k;

	e->values = arena_new_array(set->arena, char *, d->n_options + 1);
	if (e->values == NULL)
		fatal("plugin: out of memory");
	for (k = 0; k < d->n_options; k++) {
		const struct petrel_option *o = plugin_desc_option(d, k);
		const char *canon = NULL;
		struct perr err = {0};

		/* Checked already by plugin_desc_check. */
		if (plugin_option_check(o, strv_from_cstr(o->default_value),
		                        set->arena, &canon, &err) != 0)
			canon = o->default_value;
		e->values[k] = (char *)canon;
	}
	if (configs_dir == NULL || d->n_options == 0)
		return;
	path = arena_printf(set->arena, "%s/plugin-%s.json", configs_dir,
	                    e->name);
	if (path == NULL)
		fatal("plugin: out of memory");
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* A missing file means defaults; anything else is reported. */
		if (access(path, F_OK) == 0)
			entry_note(set, e,
			           arena_printf(set->arena,
			                        "%s:%d: %s (defaults used)",
			                        path, jerr.line, jerr.text));
		return;
	}
	obj = json_object_get(root, "plugin");
	if (!json_is_object(obj)) {
		entry_note(set, e,
		           arena_printf(set->arena,
		                        "%s: no \"plugin\" object (defaults "
		                        "used)",
		                        path));
		json_decref(root);
		return;
	}
	for (k = 0; k < d->n_options; k++) {
		const struct petrel_option *o = plugin_desc_option(d, k);
		json_t *v = json_object_get(obj, o->name);
		const char *text, *canon = NULL;
		struct perr err = {0};

		if (v == NULL)
			continue;
		text = json_text(v, set->arena);
		if (text == NULL ||
		    plugin_option_check(o, strv_from_cstr(text), set->arena,
		                        &canon, &err) != 0) {
			entry_note(
			        set, e,
			        arena_printf(set->arena,
			                     "%s: %s (default used)", path,
			                     text == NULL ? o->name : err.msg));
			continue;
		}
		e->values[k] = (char *)canon;
	}
	json_decref(root);
}

/* ---- the set ------------------------------------------------------------ */

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plugin_entry *)a)->name,
	              ((const struct plugin_entry *)b)->name);
}

static struct plugin_entry *
entry_get(struct plugin_set *set, struct strv name, const char *dir)
{
	size_t i;
	struct plugin_entry *e;

	for (i = 0; i < set->n; i++)
		if (strv_eq_cstr(name, set->entries[i].name))
			return &set->entries[i];
	if (set->n == PLUGIN_MAX)
		return NULL;
	e = &set->entries[set->n++];
	memset(e, 0, sizeof(*e));
	e->name = strv_dup(set->arena, name);
	e->path = arena_printf(set->arena, "%s/%.*s.so", dir, (int)name.len,
	                       name.p);
	if (e->name == NULL || e->path == NULL)
		fatal("plugin: out of memory");
	return e;
}

static void
scan_dir(struct plugin_set *set, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return; /* no plugins installed */
	while ((de = readdir(d)) != NULL) {
		struct strv n = strv_from_cstr(de->d_name);
		if (n.len <= 3 || memcmp(n.p + n.len - 3, ".so", 3) != 0)
			continue;
		n.len -= 3;
		if (plugin_name_valid(n))
			(void)entry_get(set, n, dir);
	}
	closedir(d);
}

static void
entry_open(struct plugin_set *set, struct plugin_entry *e,
           const char *configs_dir, const char *storage_dir)
{
	struct perr err = {0};
	const struct petrel_plugin *d;

	if (access(e->path, R_OK) != 0) {
		entry_note(set, e,
		           arena_printf(set->arena, "not installed (no %s)",
		                        e->path));
		return;
	}
	/*
	 * RTLD_LOCAL: a plugin's symbols stay its own. RTLD_NODELETE: a
	 * reload while a request of the old set still runs plugin code
	 * must not unmap it; the mapping is reused when the set reopens it.
	 */
	e->dl = dlopen(e->path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (e->dl == NULL) {
		const char *why = dlerror();
		entry_note(set, e,
		           arena_printf(set->arena, "cannot be loaded: %s",
		                        why != NULL ? why : "dlopen failed"));
		return;
	}
	d = dlsym(e->dl, PETREL_PLUGIN_SYMBOL);
	if (d == NULL) {
		entry_note(set, e,
		           "exports no " PETREL_PLUGIN_SYMBOL " descriptor");
		return;
	}
	if (plugin_desc_check(d, e->name, set->arena, &err) != 0) {
		entry_note(set, e, err.msg);
		return;
	}
	e->desc = d;
	e->hooks = d->hooks;
	if (storage_dir != NULL) {
		e->data_dir = arena_printf(set->arena, "%s/plugins/%s",
		                           storage_dir, e->name);
		if (e->data_dir == NULL)
			fatal("plugin: out of memory");
	}
	plugin_options_load(set, e, configs_dir);
	if (plugin_call_init(e, set->arena, &err) != 0) {
		entry_note(
		        set, e,
		        arena_printf(set->arena, "init refused: %s", err.msg));
		return;
	}
	e->active = true;
}

int
plugin_set_load(const struct plugin_load_args *args, struct plugin_set **set_r,
                struct arena *a, struct perr *err)
{
	struct plugin_set *set = pt_xcalloc(1, sizeof(*set));
	struct strv list, item, rest;
	size_t i;

	set->arena = arena_create("plugins", 4096, 0);
	set->entries =
	        arena_new_array(set->arena, struct plugin_entry, PLUGIN_MAX);
	if (set->entries == NULL)
		fatal("plugin: out of memory");
	scan_dir(set, args->dir);

	list = strv_from_cstr(args->enabled_list != NULL ? args->enabled_list
	                                                 : "");
	while (args->enable && list.len > 0) {
		if (!strv_split_once(list, ',', &item, &rest))
			rest = STRV_NULL;
		item = strv_trim(item);
		list = rest;
		if (item.len == 0)
			continue;
		if (!plugin_name_valid(item)) {
			perr_set(err, a, PERR_INPUT,
			         "[plugins] enabled_list: \"%.*s\" is not a "
			         "plugin name",
			         (int)(item.len > 64 ? 64 : item.len), item.p);
			plugin_set_free(&set);
			return -1;
		}
		struct plugin_entry *e = entry_get(set, item, args->dir);
		if (e == NULL) {
			perr_set(err, a, PERR_LIMIT, "more than %d plugins",
			         PLUGIN_MAX);
			plugin_set_free(&set);
			return -1;
		}
		e->enabled = true;
	}
	qsort(set->entries, set->n, sizeof(*set->entries), entry_cmp);
	for (i = 0; i < set->n; i++) {
		struct plugin_entry *e = &set->entries[i];
		if (!e->enabled)
			continue;
		entry_open(set, e, args->configs_dir, args->storage_dir);
		if (e->error != NULL)
			log_error("plugin %s: %s", e->name, e->error);
		else
			log_info("plugin %s %s loaded", e->name,
			         e->desc->version);
	}
	*set_r = set;
	return 0;
}

void
plugin_set_free(struct plugin_set **setp)
{
	struct plugin_set *set = *setp;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		if (set->entries[i].dl != NULL)
			dlclose(set->entries[i].dl);
	arena_destroy(&set->arena);
	free(set);
	*setp = NULL;
}

size_t
plugin_set_count(const struct plugin_set *set)
{
	return set != NULL ? set->n : 0;
}

void
plugin_set_info(const struct plugin_set *set, size_t i,
                struct plugin_info *info_r)
{
	const struct plugin_entry *e = &set->entries[i];

	memset(info_r, 0, sizeof(*info_r));
	info_r->name = e->name;
	info_r->path = e->path;
	info_r->enabled = e->enabled;
	info_r->active = e->active;
	info_r->error = e->error;
	if (e->desc != NULL) {
		info_r->version = e->desc->version;
		info_r->description = e->desc->description;
		info_r->abi_major = e->desc->abi_major;
		info_r->abi_minor = e->desc->abi_minor;
	}
}

ptrdiff_t
plugin_set_find(const struct plugin_set *set, struct strv name)
{
	size_t i;

	for (i = 0; set != NULL && i < set->n; i++)
		if (strv_eq_cstr(name, set->entries[i].name))
			return (ptrdiff_t)i;
	return -1;
}

size_t
plugin_option_count(const struct plugin_set *set, size_t i)
{
	const struct plugin_entry *e = &set->entries[i];

	return e->desc != NULL && e->values != NULL ? e->desc->n_options : 0;
}

const struct petrel_option *
plugin_option(const struct plugin_set *set, size_t i, size_t k)
{
	return plugin_desc_option(set->entries[i].desc, k);
}

const char *
plugin_option_value(const struct plugin_set *set, size_t i, size_t k)
{
	return set->entries[i].values[k];
}

const struct petrel_settings_section *
plugin_settings_section(const struct plugin_set *set, size_t i)
{
	const struct plugin_entry *e = &set->entries[i];

	return e->active && e->hooks != NULL ? e->hooks->settings : NULL;
}

const char *
plugin_settings_load_action(const struct plugin_set *set, size_t i)
{
	const struct petrel_settings_section *s =
	        plugin_settings_section(set, i);

	if (s == NULL ||
	    !PLUGIN_HAS(s, struct petrel_settings_section, load_action))
		return NULL;
	return s->load_action;
}

bool
plugin_settings_list(const struct petrel_settings_section *s,
                     const char **list_r, const char **delete_r)
{
	*list_r = *delete_r = NULL;
	if (!PLUGIN_HAS(s, struct petrel_settings_section, delete_action) ||
	    s->list_action == NULL)
		return false;
	*list_r = s->list_action;
	*delete_r = s->delete_action;
	return true;
}

const struct petrel_compose_menu *
plugin_compose_menu(const struct plugin_set *set, size_t i)
{
	const struct plugin_entry *e = &set->entries[i];

	if (!e->active || e->hooks == NULL ||
	    !PLUGIN_HAS(e->hooks, struct petrel_hooks, compose_menu))
		return NULL;
	return e->hooks->compose_menu;
}
