/*
 * The server-wide default SMTP relay card of the admin's General page
 * (POST /admin/relay). The form, its checks and the write are
 * src/admin/relay.c's; this file reads the fields, renders and audits.
 */
#include <string.h>

#include "web_private.h"
#include "admin_web.h"
#include "admin/admin.h"
#include "core/banned.h"

void
web_admin_relay_dict(struct web_ctx *ctx, struct tmpl_dict *d,
                     const struct admin_relay_form *form)
{
	static const char *const secure[] = {"None", "SSL", "TLS"};
	struct admin_relay_form current;
	struct tmpl_dict *r = tmpl_dict_add_section(d, "RELAY");
	size_t i, j;

	if (form == NULL) {
		admin_relay_form_current(ctx->config, ctx->req->arena,
		                         &current);
		form = &current;
	}
	tmpl_dict_show_section(r, form->values[ADMIN_RELAY_HOST][0] != '\0'
	                                  ? "RELAY_ON"
	                                  : "RELAY_OFF");
	if (form->has_password)
		tmpl_dict_show_section(r, "RELAY_HAS_PASSWORD");
	for (i = 0; i < ADMIN_RELAY_NFIELDS; i++) {
		const char *key = admin_relay_key((enum admin_relay_field)i);
		const char *label = web_admin_label_key(ctx->req->arena,
		                                        "L_ADMIN_RELAY_", key);
		struct tmpl_dict *s = tmpl_dict_add_section(r, "RFIELDS");
		tmpl_dict_set_cstr(s, "NAME", key);
		tmpl_dict_set_cstr(s, "LABEL",
		                   label != NULL ? i18n_get(ctx->lang, label)
		                                 : key);
		tmpl_dict_set_cstr(s, "VALUE",
		                   i == ADMIN_RELAY_PASSWORD ? ""
		                                             : form->values[i]);
		if (form->errors[i] != NULL)
			tmpl_dict_set_value_and_show_section(
			        s, "TEXT",
			        strv_from_cstr(
			                i18n_get(ctx->lang, form->errors[i])),
			        "ERROR");
		if (i != ADMIN_RELAY_SECURE) {
			tmpl_dict_set_value_and_show_section(
			        s, "TYPE",
			        i == ADMIN_RELAY_PORT ? STRV_LIT("number")
			        : i == ADMIN_RELAY_PASSWORD
			                ? STRV_LIT("password")
			                : STRV_LIT("text"),
			        "INPUT");
			continue;
		}
		struct tmpl_dict *sel = tmpl_dict_add_section(s, "SELECT");

		for (j = 0; j < PT_NELEM(secure); j++) {
			struct tmpl_dict *o =
			        tmpl_dict_add_section(sel, "OPTIONS");

			tmpl_dict_set_cstr(o, "OPT", secure[j]);
			if (strcmp(form->values[i], secure[j]) == 0)
				tmpl_dict_show_section(o, "SELECTED");
		}
	}
}

int
web_admin_relay_save(struct web_ctx *ctx, struct perr *err)
{
	struct admin_relay_form f;
	size_t i;

	admin_relay_form_current(ctx->config, ctx->req->arena, &f);
	for (i = 0; i < ADMIN_RELAY_NFIELDS; i++) {
		const char *name = arena_printf(
		        ctx->req->arena, "relay_%s",
		        admin_relay_key((enum admin_relay_field)i));
		const char *v =
		        name != NULL ? web_admin_field(ctx, name) : NULL;

		f.values[i] = i == ADMIN_RELAY_PASSWORD
		                      ? (v != NULL ? v : "")
		                      : strv_dup(ctx->req->arena,
		                                 strv_trim(strv_from_cstr(v)));
		if (f.values[i] == NULL)
			f.values[i] = "";
	}
	if (!admin_relay_form_validate(&f))
		return web_admin_settings_page_relay(ctx, 400, &f, err);
	if (admin_relay_save(&ctx->config->paths, &f, ctx->req->arena, err) !=
	            0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	/* Never the password; whether it changed is enough. */
	web_admin_audit(
	        ctx, "relay.save", "host=%s port=%s secure=%s user=%s%s",
	        f.values[ADMIN_RELAY_HOST][0] != '\0'
	                ? f.values[ADMIN_RELAY_HOST]
	                : "(off)",
	        f.values[ADMIN_RELAY_PORT], f.values[ADMIN_RELAY_SECURE],
	        f.values[ADMIN_RELAY_USER],
	        f.values[ADMIN_RELAY_PASSWORD][0] != '\0' ? " password=changed"
	                                                  : "");
	return web_admin_redirect(ctx, ADMIN_PATH "/settings?saved=1#relay",
	                          err);
}
