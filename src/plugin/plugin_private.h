/* plugin - what load.c and call.c share. */
#ifndef PETREL_PLUGIN_PRIVATE_H
#define PETREL_PLUGIN_PRIVATE_H

#include "plugin.h"

/* A member of a struct the plugin sized: present only if it fits. */
#define PLUGIN_HAS(s, type, m)                                                 \
	((s)->size >= offsetof(type, m) + sizeof(((type *)0)->m))

struct plugin_entry {
	char *name;
	char *path;
	bool enabled;
	bool active;
	char *error; /* why not active, or a stored option refused */
	void *dl;    /* dlopen handle, NULL when not opened */
	const struct petrel_plugin *desc;
	const struct petrel_hooks *hooks; /* NULL when it has none */
	char **values;  /* one per option: the value in effect */
	char *data_dir; /* storage/plugins/<name>, or NULL */
};

struct plugin_set {
	struct arena *arena; /* everything of the set but dl handles */
	struct plugin_entry *entries;
	size_t n;
};

/* The option declaration k of a descriptor (option_size apart). */
const struct petrel_option *plugin_desc_option(const struct petrel_plugin *d,
                                               size_t k);
/* Checks of the descriptor; message in a when refused. */
int plugin_desc_check(const struct petrel_plugin *d, const char *file_name,
                      struct arena *a, struct perr *err);
/* Read configs/plugin-<name>.json into e->values (defaults otherwise). */
void plugin_options_load(struct plugin_set *set, struct plugin_entry *e,
                         const char *configs_dir);
/* Call e's init hook; -1 with the plugin's message when it refused. */
int plugin_call_init(const struct plugin_entry *e, struct arena *a,
                     struct perr *err);

/* The form POST behind host->http_post_form (http_post.c). */
int plugin_http_post_form(struct arena *a, const char *url,
                          const char *const *fields, bool verify_tls,
                          int timeout_ms, int *status_r, const char **body_r,
                          struct perr *err);

#endif
