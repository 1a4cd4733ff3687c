/*
 * The user's preferences: Settings / SettingsSave (docs/API.md) and the
 * effective values the mailbox page boots with.
 *
 * They live in the store's per-user settings (user_settings) as one JSON
 * object under SETTINGS_KEY, holding only what the user chose: a value
 * never chosen follows the server default, so an admin changing the
 * default still reaches everyone who did not pick their own. Every value
 * is validated against the table below before it is stored, so what is
 * read back is trusted as far as its type (the store may be old: a value
 * that no longer validates falls back to the default).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

#define SETTINGS_KEY "prefs"
/* IANA names are at most ~32 bytes ("America/Argentina/ComodRivadavia"). */
#define SETTINGS_ZONE_MAX 64
/* Longer than anyone reads before deciding; keeps the timer sane. */
#define SETTINGS_READ_DELAY_MAX 300

enum setting_type { SET_ENUM, SET_BOOL, SET_INT, SET_LANG, SET_ZONE };

struct setting_def {
	const char *name;
	enum setting_type type;
	const char *const *choices; /* SET_ENUM, NULL-terminated; [0] default */
	int min, max;               /* SET_INT */
};

static const char *const themes[] = {"auto", "light", "dark", NULL};
/* "always" still hides tracking pixels: the sanitizer drops them first. */
static const char *const image_modes[] = {"ask", "always", NULL};
/* RFC 8098: never sent silently unless the user chose "always". */
static const char *const receipt_modes[] = {"ask", "never", "always", NULL};

static const struct setting_def defs[] = {
        {"lang", SET_LANG, NULL, 0, 0},
        {"timeZone", SET_ZONE, NULL, 0, 0},
        {"messagesPerPage", SET_INT, NULL, 5, 500},
        {"theme", SET_ENUM, themes, 0, 0},
        {"showImages", SET_ENUM, image_modes, 0, 0},
        {"threads", SET_BOOL, NULL, 0, 0},
        {"composeHtml", SET_BOOL, NULL, 0, 0},
        {"readAfterSeconds", SET_INT, NULL, 0, SETTINGS_READ_DELAY_MAX},
        {"readReceipts", SET_ENUM, receipt_modes, 0, 0},
        {"undoSeconds", SET_INT, NULL, 0, 30},
};

static const struct setting_def *
def_find(const char *name)
{
	size_t i;

	for (i = 0; i < PT_NELEM(defs); i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

/*
 * An IANA zone name ("Europe/Moscow", "UTC", "Etc/GMT+3") or "" for "the
 * browser's zone". Only the shape is checked: the zone database is the
 * browser's, and one it does not know falls back there (app.js).
 */
static bool
zone_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return true;
	if (first)
		return false;
	return (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' ||
	       c == '+';
}

static bool
zone_ok(const char *z)
{
	size_t i, n = strlen(z);

	if (n == 0)
		return true;
	if (n > SETTINGS_ZONE_MAX || strstr(z, "//") != NULL || z[n - 1] == '/')
		return false;
	for (i = 0; i < n; i++)
		if (!zone_char(z[i], i == 0 || z[i - 1] == '/'))
			return false;
	return true;
}

/* Check v for d; a is for the message. 0 or PERR_INPUT naming the field. */
static int
value_check(struct web_ctx *ctx, const struct setting_def *d, json_t *v,
            struct perr *err)
{
	struct arena *a = ctx->req->arena;
	const char *s;
	size_t i;

	switch (d->type) {
	case SET_BOOL:
		if (json_is_boolean(v))
			return 0;
		return perr_set(err, a, PERR_INPUT,
		                "\"%s\" must be true or false", d->name);
	case SET_INT:
		if (json_is_integer(v) && json_integer_value(v) >= d->min &&
		    json_integer_value(v) <= d->max)
			return 0;
		return perr_set(err, a, PERR_INPUT,
		                "\"%s\" must be a whole number from %d to %d",
		                d->name, d->min, d->max);
	case SET_ENUM:
		s = json_string_value(v);
		for (i = 0; s != NULL && d->choices[i] != NULL; i++)
			if (strcmp(s, d->choices[i]) == 0)
				return 0;
		return perr_set(err, a, PERR_INPUT, "\"%s\" must be one of %s",
		                d->name,
		                d->choices == themes ? "auto, light, dark"
		                                     : "ask, always");
	case SET_LANG:
		s = json_string_value(v);
		if (s != NULL &&
		    i18n_find(ctx->state->i18n, strv_from_cstr(s)) != NULL)
			return 0;
		return perr_set(err, a, PERR_INPUT,
		                "\"%s\" must be the code of an available "
		                "language",
		                d->name);
	case SET_ZONE:
		s = json_string_value(v);
		if (s != NULL && zone_ok(s))
			return 0;
		return perr_set(err, a, PERR_INPUT,
		                "\"%s\" must be an IANA time zone name such as "
		                "\"Europe/Berlin\", or \"\" for the browser's",
		                d->name);
	}
	return perr_set(err, a, PERR_INTERNAL, "unknown setting type");
}

/* What the user stored (a new object, never NULL). */
static json_t *
stored_load(struct web_ctx *ctx, const char *user)
{
	struct perr err = {0};
	struct store *st = web_store(ctx, &err);
	char *text = NULL;
	json_t *o = NULL;
	json_error_t jerr;

	if (st != NULL &&
	    store_setting_get(st, user, SETTINGS_KEY, ctx->req->arena, &text,
	                      &err) == 0 &&
	    text != NULL)
		o = json_loads(text, 0, &jerr);
	else if (err.kind != PERR_OK)
		log_warn("cannot read the settings of %s: %s", user, err.msg);
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return o;
}

json_t *
web_settings(struct web_ctx *ctx)
{
	json_t *stored = stored_load(ctx, ctx->session->user), *eff;
	struct perr ignored = {0};
	size_t i;

	eff = json_pack("{sssssisssssbsbsiss}", "lang", i18n_code(ctx->lang),
	                "timeZone", "", "messagesPerPage",
	                (int)ctx->config->webmail.messages_per_page, "theme",
	                themes[0], "showImages", image_modes[0], "threads", 0,
	                "composeHtml", 0, "readAfterSeconds", 0, "readReceipts",
	                receipt_modes[0]);
	if (eff == NULL) {
		json_decref(stored);
		return json_object();
	}
	/* Undo send: Send waits this long unless the user chose (0-30). */
	json_object_set_new(eff, "undoSeconds", json_integer(5));
	for (i = 0; i < PT_NELEM(defs); i++) {
		json_t *v = json_object_get(stored, defs[i].name);

		if (v != NULL && value_check(ctx, &defs[i], v, &ignored) == 0)
			json_object_set(eff, defs[i].name, v);
		perr_clear(&ignored);
	}
	json_decref(stored);
	return eff;
}

void
web_settings_use_lang(struct web_ctx *ctx, json_t *settings)
{
	const char *code = json_string_value(json_object_get(settings, "lang"));
	const struct i18n_catalog *cat;

	if (code == NULL)
		return;
	cat = i18n_find(ctx->state->i18n, strv_from_cstr(code));
	if (cat == NULL || cat == ctx->lang)
		return;
	ctx->lang = cat;
	ctx->lang_dict = web_state_lang_dict(ctx->state, cat);
}

bool
web_settings_images_always(struct web_ctx *ctx)
{
	json_t *s = web_settings(ctx);
	const char *m = json_string_value(json_object_get(s, "showImages"));
	bool always = m != NULL && strcmp(m, "always") == 0;

	json_decref(s);
	return always;
}

bool
web_settings_read_on_open(struct web_ctx *ctx)
{
	json_t *s = web_settings(ctx);
	bool now =
	        json_integer_value(json_object_get(s, "readAfterSeconds")) == 0;

	json_decref(s);
	return now;
}

/* {"settings": {...}, "languages": [{"code","name"}...]} */
static int
reply_settings(struct web_ctx *ctx, struct perr *err)
{
	const struct i18n_catalog *const *cats;
	size_t i, n = i18n_languages(ctx->state->i18n, &cats);
	json_t *langs = json_array();

	for (i = 0; i < n; i++)
		json_array_append_new(
		        langs, json_pack("{ssss}", "code", i18n_code(cats[i]),
		                         "name", i18n_native_name(cats[i])));
	return web_reply_json(ctx,
	                      json_pack("{soso}", "settings", web_settings(ctx),
	                                "languages", langs),
	                      err);
}

int
web_api_settings(struct web_ctx *ctx, struct perr *err)
{
	return reply_settings(ctx, err);
}

/* The language cookie follows the account's choice (pages before login). */
static int
lang_cookie(struct web_ctx *ctx, const char *code, struct perr *err)
{
	struct http_cookie_opts opts = {0};

	opts.max_age = 365 * 24 * 3600;
	opts.secure = web_cookie_secure(ctx);
	opts.samesite = HTTP_SAMESITE_STRICT;
	if (http_response_set_cookie(ctx->resp, WEB_LANG_COOKIE, code, &opts) !=
	    0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot set the language cookie");
	return 0;
}

int
web_settings_login_lang(struct web_ctx *ctx, const char *user, struct perr *err)
{
	json_t *stored = stored_load(ctx, user);
	json_t *v = json_object_get(stored, "lang");
	struct perr ignored = {0};
	int rc = 0;

	if (v != NULL && value_check(ctx, def_find("lang"), v, &ignored) == 0)
		rc = lang_cookie(ctx, json_string_value(v), err);
	json_decref(stored);
	return rc;
}

/*
 * POST /api/SettingsSave {name: value, ...}: any subset; each is checked
 * before anything is stored, so a bad one changes nothing. null forgets
 * the user's choice (back to the server default).
 */
static void
settings_decref(void *arg)
{
	json_decref(arg);
}

/* The checked value of setting d as JSON (NULL: not given). */
static json_t *
setting_value(struct web_ctx *ctx, const struct setting_def *d)
{
	if (!web_arg_given(ctx, d->name))
		return NULL;
	switch (d->type) {
	case SET_BOOL:
		return json_boolean(web_arg_bool(ctx, d->name));
	case SET_INT:
		return json_integer(web_arg_int(ctx, d->name, 0));
	case SET_ENUM:
	case SET_LANG:
	case SET_ZONE:
		return json_string(web_arg_str(ctx, d->name));
	}
	return NULL;
}

/*
 * The body names settings (args_settings_save checked their types and
 * ranges); null resets one to the server default. One bad value and
 * nothing is stored.
 */
int
web_api_settings_save(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	json_t *stored, *v, *given = json_object();
	struct store *st;
	char *text;
	size_t i;
	int rc;

	arena_defer(a, settings_decref, given);
	for (i = 0; i < PT_NELEM(defs); i++)
		if ((v = setting_value(ctx, &defs[i])) != NULL) {
			json_object_set_new(given, defs[i].name, v);
			if (value_check(ctx, &defs[i], v, err) != 0)
				return -1;
		}
	if ((st = web_store(ctx, err)) == NULL)
		return -1;
	stored = stored_load(ctx, ctx->session->user);
	for (i = 0; i < PT_NELEM(defs); i++)
		if (web_arg_null(ctx, defs[i].name))
			json_object_del(stored, defs[i].name);
	json_object_update(stored, given);
	text = json_dumps(stored, JSON_COMPACT);
	json_decref(stored);
	if (text == NULL)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot encode the settings");
	rc = store_setting_set(st, ctx->session->user, SETTINGS_KEY, text,
	                       pt_now_unix(), a, err);
	free(text);
	if (rc != 0)
		return -1;
	if (web_arg_given(ctx, "lang")) {
		if (lang_cookie(ctx, web_arg_str(ctx, "lang"), err) != 0)
			return -1;
		web_settings_use_lang(ctx, given);
	}
	return reply_settings(ctx, err);
}
