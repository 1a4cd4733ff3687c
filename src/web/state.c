/*
 * The app and its swappable state. A reload builds a complete new state
 * first and swaps only on success, so a typo in a template or an ini file
 * after SIGHUP leaves the running Petrel exactly as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "web_private.h"
#include "core/banned.h"

static void
log_config_diag(void *ctx, enum config_diag_level level, const char *file,
                unsigned line, const char *msg)
{
	(void)ctx;
	if (level == CONFIG_DIAG_ERROR)
		log_error("config: %s:%u: %s", file, line, msg);
	else
		log_warn("config: %s:%u: %s", file, line, msg);
}

static void
state_free(struct web_state *st)
{
	if (st == NULL)
		return;
	config_unref(&st->config);
	tmpl_cache_unref(&st->templates);
	i18n_destroy(&st->i18n);
	plugin_set_free(&st->plugins);
	arena_destroy(&st->arena);
	free(st);
}

/*
 * The plugins the config enables. A plugin that is refused is kept with
 * its error (logged once by the loader); only an unusable enabled_list
 * fails the build, so a typo there after SIGHUP keeps the running set.
 */
static int
load_plugins(struct web_app *app, struct web_state *st, struct arena *a,
             struct perr *err)
{
	struct plugin_load_args args = {0};

	args.dir = app->plugin_dir != NULL ? app->plugin_dir : "";
	args.configs_dir = st->config->paths.configs_dir;
	args.storage_dir = st->config->paths.storage_dir;
	args.enable = st->config->plugins.enable && app->plugin_dir != NULL;
	args.enabled_list = st->config->plugins.enabled_list;
	return plugin_set_load(&args, &st->plugins, a, err);
}

static int
state_build(struct web_app *app, struct web_state **st_r, struct arena *a,
            struct perr *err)
{
	struct web_state *st;
	const struct i18n_catalog *const *cats;
	char *dir;
	size_t i;

	st = pt_xcalloc(1, sizeof(*st));
	st->refs = 1;
	if (config_load(app->data_dir, log_config_diag, NULL, &st->config, a,
	                err) != 0)
		goto fail;
	dir = arena_printf(a, "%s/i18n", app->share_dir);
	if (dir == NULL || i18n_load(dir, &st->i18n, err) != 0)
		goto fail;
	dir = arena_printf(a, "%s/templates", app->share_dir);
	if (dir == NULL)
		goto fail;
	st->templates = tmpl_cache_create(dir, TMPL_CACHE_STRICT);
	if (tmpl_cache_load_all(st->templates, TMPL_STRIP_BLANK_LINES, err) !=
	    0)
		goto fail;
	tmpl_cache_freeze(st->templates);

	/*
	 * One dictionary per language holding the catalog: every page's
	 * root dictionary falls back to it, so templates say {{L_...}}
	 * and no UI text lives in C.
	 */
	st->arena = arena_create("web-state", 64 * 1024, 0);
	st->n_langs = i18n_languages(st->i18n, &cats);
	st->lang_dicts =
	        arena_new_array(st->arena, struct tmpl_dict *, st->n_langs);
	PT_ASSERT(st->lang_dicts != NULL);
	for (i = 0; i < st->n_langs; i++) {
		struct tmpl_dict *d = tmpl_dict_create(st->arena, "lang");

		for (size_t k = 0; k < i18n_count(cats[i]); k++) {
			const char *key, *value;

			i18n_entry(cats[i], k, &key, &value);
			tmpl_dict_set(d, key, strv_from_cstr(value));
		}
		st->lang_dicts[i] = d;
	}
	if (load_plugins(app, st, a, err) != 0)
		goto fail;
	*st_r = st;
	return 0;
fail:
	/*
	 * A template or catalog error's text may live in the cache being
	 * freed: keep a copy in the caller's arena.
	 */
	if (err != NULL && err->msg != NULL) {
		const char *copy = arena_strdup(a, err->msg);

		err->msg = copy != NULL ? copy : perr_kind_name(err->kind);
	}
	state_free(st);
	return -1;
}

const struct tmpl_dict *
web_state_lang_dict(const struct web_state *st, const struct i18n_catalog *cat)
{
	const struct i18n_catalog *const *cats;
	size_t i, n = i18n_languages(st->i18n, &cats);

	for (i = 0; i < n; i++) {
		if (cats[i] == cat)
			return st->lang_dicts[i];
	}
	return st->lang_dicts[0];
}

struct web_state *
web_state_acquire(struct web_app *app)
{
	struct web_state *st;

	pthread_mutex_lock(&app->lock);
	st = app->state;
	st->refs++;
	pthread_mutex_unlock(&app->lock);
	return st;
}

void
web_state_release(struct web_app *app, struct web_state *st)
{
	bool last;

	pthread_mutex_lock(&app->lock);
	last = --st->refs == 0;
	pthread_mutex_unlock(&app->lock);
	if (last)
		state_free(st);
}

int
web_app_create(const struct web_app_opts *opts, struct web_app **app_r,
               struct arena *a, struct perr *err)
{
	struct web_app *app;
	struct imap_pool_settings pool_settings = {0};
	unsigned char rnd[4];
	char *hex;

	if (config_layout_create(opts->data_dir, a, err) != 0)
		return -1;
	app = pt_xcalloc(1, sizeof(*app));
	app->data_dir = pt_xstrdup(opts->data_dir);
	app->share_dir = pt_xstrdup(opts->share_dir);
	app->static_url = pt_xstrdup(opts->static_url != NULL ? opts->static_url
	                                                      : "/static");
	app->plugin_dir =
	        opts->plugin_dir != NULL ? pt_xstrdup(opts->plugin_dir) : NULL;
	pthread_mutex_init(&app->lock, NULL);
	app->started = pt_now_unix();
	/* Changes at every start: browsers refetch assets after upgrades. */
	pt_random_bytes(rnd, sizeof(rnd));
	hex = codec_hex_encode(a, rnd, sizeof(rnd));
	if (hex == NULL ||
	    !pt_strlcpy(app->asset_version, hex, sizeof(app->asset_version))) {
		web_app_destroy(&app);
		return perr_set(err, a, PERR_INTERNAL, "out of memory");
	}
	if (state_build(app, &app->state, a, err) != 0) {
		web_app_destroy(&app);
		return -1;
	}
	config_swap(config_ref(app->state->config));
	/*
	 * Per user, not per session: Dovecot refuses more than
	 * mail_max_userip_connections (10) per user from one IP, and the
	 * live watchers and the sign-in check need some of those too.
	 */
	pool_settings.max_per_user =
	        app->state->config->limits.imap_connections_per_user;
	app->imap_pool = imap_pool_create(&pool_settings);
	imap_row_share_set_limit(
	        (size_t)app->state->config->limits.imap_row_cache_mb << 20);
	*app_r = app;
	return 0;
}

void
web_app_destroy(struct web_app **appp)
{
	struct web_app *app = *appp;

	if (app == NULL)
		return;
	imap_pool_destroy(&app->imap_pool);
	if (app->state != NULL)
		web_state_release(app, app->state);
	pthread_mutex_destroy(&app->lock);
	free(app->data_dir);
	free(app->share_dir);
	free(app->static_url);
	free(app->plugin_dir);
	free(app);
	*appp = NULL;
}

int
web_app_reload(struct web_app *app, struct arena *a, struct perr *err)
{
	struct web_state *st, *old;

	if (state_build(app, &st, a, err) != 0)
		return -1;
	pthread_mutex_lock(&app->lock);
	old = app->state;
	app->state = st;
	pthread_mutex_unlock(&app->lock);
	config_swap(config_ref(st->config));
	imap_row_share_set_limit((size_t)st->config->limits.imap_row_cache_mb
	                         << 20);
	web_state_release(app, old);
	return 0;
}

struct config *
web_app_config(struct web_app *app)
{
	struct web_state *st = web_state_acquire(app);
	struct config *cfg = config_ref(st->config);

	web_state_release(app, st);
	return cfg;
}

void
web_app_http_limits(struct web_app *app, struct http_limits *l)
{
	struct config *cfg = web_app_config(app);
	uint64_t mb = 1024 * 1024;

	http_limits_default(l);
	l->max_body = (uint64_t)cfg->limits.max_request_body * mb;
	l->max_file = (uint64_t)cfg->webmail.attachment_size_limit * mb;
	l->max_files_total = (uint64_t)cfg->limits.max_upload_total * mb;
	if (l->max_files_total > l->max_body)
		l->max_files_total = l->max_body;
	/* The route decides what body it takes, before it is read. */
	l->body_check = web_body_check;
	l->body_check_ctx = app;
	config_unref(&cfg);
}
