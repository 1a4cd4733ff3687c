/*
 * plugin - loads the enabled plugins and calls their hooks.
 *
 * Plugins are shared objects named <name>.so in one directory (the build
 * tree's plugins/ in development, /usr/lib/petrel/plugins when installed).
 * Only the names in [plugins] enabled_list are opened, and only when
 * [plugins] enable = On. Each one is checked before anything of it runs
 * but its loader: the exported descriptor must exist, be built for this
 * ABI major and a minor no newer than ours, name itself after its file,
 * and declare valid options whose defaults pass their own validation.
 * A refused plugin is kept in the set with its error (for one log line
 * and the admin's Plugins page); Petrel goes on without it.
 *
 * A plugin_set is immutable once loaded and shared by all threads; a
 * reload (SIGHUP, or the admin changing the list or options) builds a new
 * one. Options come from configs/plugin-<name>.json ({"plugin": {...}},
 * SnappyMail's layout), each value checked against its declaration; a bad
 * stored value is reported and its default used.
 */
#ifndef PETREL_PLUGIN_MODULE_H
#define PETREL_PLUGIN_MODULE_H

#include "core/core.h"
#include "petrel/plugin.h"

struct plugin_set;

struct plugin_load_args {
	const char *dir;          /* where <name>.so live */
	const char *configs_dir;  /* DATA/_data_/_default_/configs */
	bool enable;              /* [plugins] enable */
	const char *enabled_list; /* [plugins] enabled_list: "a,b" */
	/* DATA/_data_/_default_/storage: plugins keep their data in
	 * storage/plugins/<name> (host->data_dir); NULL: none. */
	const char *storage_dir;
};

/*
 * Open the enabled plugins. Fails only for what makes the whole set
 * meaningless (an unreadable configs_dir is not that; a malformed
 * enabled_list is): per-plugin problems are recorded per plugin. The
 * error message is formatted in a.
 */
int plugin_set_load(const struct plugin_load_args *args,
                    struct plugin_set **set_r, struct arena *a,
                    struct perr *err) PT_WARN_UNUSED;
void plugin_set_free(struct plugin_set **setp);

/* What the admin sees of one plugin. */
struct plugin_info {
	const char *name;
	const char *path;
	const char *version;     /* NULL when not loaded */
	const char *description; /* NULL when not loaded */
	uint32_t abi_major, abi_minor;
	bool enabled;      /* named in enabled_list (and enable = On) */
	bool active;       /* loaded, valid and its init succeeded */
	const char *error; /* why not active, or a bad stored option */
};

/* Every plugin file found in dir plus every enabled name, sorted. */
size_t plugin_set_count(const struct plugin_set *set);
void plugin_set_info(const struct plugin_set *set, size_t i,
                     struct plugin_info *info_r);
/* Whether s can name a plugin: [a-z0-9-]{1,64}. */
bool plugin_name_valid(struct strv s);
/* The index of a plugin by name, or -1. */
ptrdiff_t plugin_set_find(const struct plugin_set *set, struct strv name);

/* Declared options of plugin i (NULL/0 when it is not loaded). */
size_t plugin_option_count(const struct plugin_set *set, size_t i);
const struct petrel_option *plugin_option(const struct plugin_set *set,
                                          size_t i, size_t k);
/* The option's value in effect (stored or default), text form. */
const char *plugin_option_value(const struct plugin_set *set, size_t i,
                                size_t k);

/*
 * Check a value against its declaration. On success *canon_r is the text
 * to store ("true"/"false" for booleans, the decimal for integers).
 */
int plugin_option_check(const struct petrel_option *opt, struct strv value,
                        struct arena *a, const char **canon_r,
                        struct perr *err) PT_WARN_UNUSED;

/*
 * Store the options of plugin i (a loaded one) in
 * configs_dir/plugin-<name>.json as {"plugin": {...}}: values[k] is the
 * canonical text plugin_option_check gave for option k, or NULL to keep
 * the value in effect. Written atomically (temp file, fsync, rename,
 * mode 0600: SECRET options live there). Takes effect at the next load.
 */
int plugin_options_write(const struct plugin_set *set, size_t i,
                         const char *configs_dir, const char *const *values,
                         struct arena *a, struct perr *err) PT_WARN_UNUSED;

/* ---- calling hooks ---------------------------------------------------- */

/* What a hook call may know of its request. */
struct plugin_request {
	struct arena *arena;
	const char *user;      /* signed-in address, or NULL */
	const char *client_ip; /* may be NULL */
	/* The user's language, or NULL: translate() returns the key. */
	const char *(*translate)(void *ctx, const char *key);
	void *translate_ctx;
	/* Re-seal the session's mail password (NULL: no session). */
	int (*password_changed)(void *ctx, const char *new_password,
	                        struct perr *err);
	void *password_ctx;
	/* text as an SVG QR code in a, or NULL (host->qr_svg). */
	char *(*qr_svg)(const char *text, struct arena *a);
};

/* A header a send_before hook added, already checked. */
struct plugin_header {
	const char *name, *value;
};

struct plugin_send_result {
	struct plugin_header *headers;
	size_t n_headers;
};

/*
 * Each runner calls the hook of every active plugin in name order. A
 * refusal stops at that plugin: the runner returns -1 with PERR_FORBIDDEN
 * and the plugin's message (prefixed by nothing: it is for the user).
 */
int plugin_run_login_before(const struct plugin_set *set,
                            const struct plugin_request *req,
                            const struct petrel_login *login,
                            struct perr *err) PT_WARN_UNUSED;
/*
 * login_check of every active plugin, after the password was right. -1
 * with PERR_FORBIDDEN and the plugin's message when one refused, -1 with
 * PERR_AUTH when one asks for a second answer: *challenge_r then names
 * the plugin and its prompt.
 */
struct plugin_challenge {
	const char *plugin;
	const char *prompt;
};
int plugin_run_login_check(const struct plugin_set *set,
                           const struct plugin_request *req,
                           const struct petrel_login *login,
                           struct plugin_challenge *challenge_r,
                           struct perr *err) PT_WARN_UNUSED;
void plugin_run_login_after(const struct plugin_set *set,
                            const struct plugin_request *req,
                            const struct petrel_login *login);
int plugin_run_send_before(const struct plugin_set *set,
                           const struct plugin_request *req,
                           const struct petrel_send *msg,
                           struct plugin_send_result *result_r,
                           struct perr *err) PT_WARN_UNUSED;
/* The notices added, one per line (NULL-terminated array in the arena). */
const char **plugin_run_message_view(const struct plugin_set *set,
                                     const struct plugin_request *req,
                                     const struct petrel_view *view);

/* One argument of an action, and one member of its answer. */
struct plugin_kv {
	const char *key;
	const char *value; /* string members */
	bool is_bool, bool_value;
};

/* An object a plugin appended to the array `list` (result_item). */
struct plugin_item {
	const char *list;
	struct plugin_kv *kv; /* string members */
	size_t n_kv;
};

struct plugin_action_result {
	struct plugin_kv *members;
	size_t n_members;
	struct plugin_item *items; /* in the order appended */
	size_t n_items;
};

/*
 * Run action `action` of plugin `plugin` (an active one) with string
 * arguments args. -1 with PERR_NOTFOUND when either does not exist,
 * PERR_FORBIDDEN with the plugin's message when it refused.
 */
int plugin_run_action(const struct plugin_set *set, struct strv plugin,
                      struct strv action, const struct plugin_request *req,
                      const struct plugin_kv *args, size_t n_args,
                      struct plugin_action_result *result_r,
                      struct perr *err) PT_WARN_UNUSED;

/* The settings section of plugin i, when it is active and has one. */
const struct petrel_settings_section *
plugin_settings_section(const struct plugin_set *set, size_t i);
/* Its load_action (ABI 1.1), or NULL. */
const char *plugin_settings_load_action(const struct plugin_set *set, size_t i);
/*
 * A list section's actions (ABI 1.1): true with the list and delete
 * actions (the latter may be NULL) when s is one, false for a form.
 */
bool plugin_settings_list(const struct petrel_settings_section *s,
                          const char **list_r, const char **delete_r);
/* The compose menu of plugin i (ABI 1.1), when active and it has one. */
const struct petrel_compose_menu *
plugin_compose_menu(const struct plugin_set *set, size_t i);

#endif
