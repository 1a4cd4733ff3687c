/*
 * The start page. Until the session middleware lands it is the sign-in
 * page for everyone; afterwards a signed-in user gets the mailbox here.
 */
#include <stdlib.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

/* What the sign-in script needs: the catalog and where to go after. */
static char *
boot_json(struct web_ctx *ctx)
{
	json_t *boot, *lang;
	json_error_t jerr;
	char *text, *copy;

	lang = json_loads(i18n_json(ctx->lang), 0, &jerr);
	boot = json_pack("{so*ss}", "lang", lang, "next", "/");
	if (boot == NULL)
		return NULL;
	text = json_dumps(boot, JSON_COMPACT);
	json_decref(boot);
	if (text == NULL)
		return NULL;
	copy = arena_strdup(ctx->req->arena, text);
	free(text);
	return copy;
}

/* The mailbox shell; app.js fills it through the JSON API. */
static int
page_mailbox(struct web_ctx *ctx, struct perr *err)
{
	struct tmpl_dict *d;
	json_t *boot, *lang, *settings;
	json_error_t jerr;
	char *csrf, *text, *copy;
	const char *theme;

	/* The account's language and look from the first paint on. */
	settings = web_settings(ctx);
	web_settings_use_lang(ctx, settings);
	theme = arena_strdup(ctx->req->arena, json_string_value(json_object_get(
	                                              settings, "theme")));
	csrf = session_csrf_token(ctx->session, ctx->req->arena);
	lang = json_loads(i18n_json(ctx->lang), 0, &jerr);
	boot = json_pack(
	        "{sssssoss sO s{sisIsI} so so}", "email", ctx->session->user,
	        "csrf", csrf != NULL ? csrf : "", "lang", lang, "folder",
	        "INBOX", "messagesPerPage",
	        json_object_get(settings, "messagesPerPage"), "compose",
	        "autosaveSeconds", (int)ctx->config->webmail.autosave_interval,
	        "attachmentLimit",
	        (json_int_t)ctx->config->webmail.attachment_size_limit * 1024 *
	                1024,
	        "uploadTotalLimit",
	        (json_int_t)ctx->config->limits.max_upload_total * 1024 * 1024,
	        "filters", web_filters_flags(ctx), "settings", settings);
	text = boot != NULL ? json_dumps(boot, JSON_COMPACT) : NULL;
	json_decref(boot);
	copy = text != NULL ? arena_strdup(ctx->req->arena, text) : NULL;
	free(text);
	if (csrf == NULL || copy == NULL)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot build the page data");
	d = web_page_dict(ctx, ctx->config->webmail.title);
	tmpl_dict_set(d, "BOOT_JSON", strv_from_cstr(copy));
	tmpl_dict_set(d, "THEME",
	              strv_from_cstr(theme != NULL ? theme : "auto"));
	tmpl_dict_set(d, "USER_EMAIL", strv_from_cstr(ctx->session->user));
	return web_render_page(ctx, 200, "mailbox.tpl", d, err);
}

int
web_page_index(struct web_ctx *ctx, struct perr *err)
{
	struct tmpl_dict *d;
	const struct i18n_catalog *const *cats;
	size_t i, n;
	char *boot;
	bool admin = false;

	/* /?admin_<key>: the admin sign-in, else exactly the normal page. */
	if (web_admin_gate(ctx, &admin, err) != 0)
		return -1;
	if (admin)
		return 0;
	if (ctx->session != NULL)
		return page_mailbox(ctx, err);
	d = web_page_dict(ctx, i18n_get(ctx->lang, "L_LOGIN_TITLE"));
	boot = boot_json(ctx);
	if (boot == NULL)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot build the page data");
	tmpl_dict_set(d, "BOOT_JSON", strv_from_cstr(boot));
	if (ctx->config->login.allow_languages_on_login) {
		n = i18n_languages(ctx->state->i18n, &cats);
		for (i = 0; i < n; i++) {
			struct tmpl_dict *s =
			        tmpl_dict_add_section(d, "LANGUAGES");

			tmpl_dict_set(s, "CODE",
			              strv_from_cstr(i18n_code(cats[i])));
			tmpl_dict_set(
			        s, "NAME",
			        strv_from_cstr(i18n_native_name(cats[i])));
			if (cats[i] == ctx->lang)
				tmpl_dict_show_section(s, "SELECTED");
		}
		tmpl_dict_show_section(d, "LANG_PICKER");
	}
	return web_render_page(ctx, 200, "login.tpl", d, err);
}
