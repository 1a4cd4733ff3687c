/*
 * The admin's Plugins page: every plugin found in the plugins directory
 * or named in [plugins] enabled_list, with its version, ABI, state and
 * error; enable/disable (application.ini's [plugins] enable and
 * enabled_list through the ini writer, then a reload: no restart); and
 * an options form built from what the plugin declares, checked with
 * plugin_option_check before anything is written to
 * configs/plugin-<name>.json. A SECRET option is never shown back: left
 * empty, it keeps its value.
 */
#include <string.h>

#include "web_private.h"
#include "core/banned.h"

#define OPT_FIELD_PREFIX "opt_"

static const char *
tr(struct web_ctx *ctx, const char *key)
{
	return i18n_get(ctx->lang, key);
}

static void
option_row(struct web_ctx *ctx, struct tmpl_dict *p,
           const struct petrel_option *opt, const char *value,
           const char *error)
{
	struct tmpl_dict *s = tmpl_dict_add_section(p, "OPTIONS");
	struct tmpl_dict *in;
	size_t c;

	tmpl_dict_set_cstr(s, "NAME", opt->name);
	tmpl_dict_set_cstr(s, "LABEL",
	                   opt->label != NULL ? opt->label : opt->name);
	if (opt->help != NULL)
		tmpl_dict_set_value_and_show_section(
		        s, "TEXT", strv_from_cstr(opt->help), "HELP");
	if (error != NULL)
		tmpl_dict_set_value_and_show_section(
		        s, "TEXT", strv_from_cstr(error), "ERROR");
	switch (opt->type) {
	case PETREL_OPTION_BOOL:
		in = tmpl_dict_add_section(s, "CHECKBOX");
		if (strcmp(value, "true") == 0)
			tmpl_dict_show_section(in, "CHECKED");
		break;
	case PETREL_OPTION_CHOICE:
		in = tmpl_dict_add_section(s, "SELECT");
		for (c = 0; opt->choices != NULL && opt->choices[c] != NULL;
		     c++) {
			struct tmpl_dict *o =
			        tmpl_dict_add_section(in, "CHOICES");

			tmpl_dict_set_cstr(o, "OPT", opt->choices[c]);
			if (strcmp(opt->choices[c], value) == 0)
				tmpl_dict_show_section(o, "SELECTED");
		}
		break;
	case PETREL_OPTION_SECRET:
		in = tmpl_dict_add_section(s, "SECRET");
		tmpl_dict_set_cstr(
		        in, "PLACEHOLDER",
		        value[0] != '\0' ? tr(ctx, "L_ADMIN_PLUGIN_SECRET_KEEP")
		                         : "");
		break;
	case PETREL_OPTION_INT:
	case PETREL_OPTION_STRING:
	default:
		in = tmpl_dict_add_section(s, "INPUT");
		tmpl_dict_set_cstr(in, "TYPE",
		                   opt->type == PETREL_OPTION_INT ? "number"
		                                                  : "text");
		tmpl_dict_set_cstr(in, "VALUE", value);
		break;
	}
}

/*
 * The page. With `form_of` set (a refused options form), that plugin's
 * options show the values sent and errors[] next to them.
 */
static int
render(struct web_ctx *ctx, int status, const char *form_of,
       const char *const *sent, const char *const *errors, struct perr *err)
{
	const struct plugin_set *set = ctx->state->plugins;
	struct tmpl_dict *d =
	        web_admin_page_dict(ctx, "L_ADMIN_NAV_PLUGINS", "plugins");
	size_t i, k, n = plugin_set_count(set);

	if (!ctx->config->plugins.enable)
		tmpl_dict_show_section(d, "ALL_OFF");
	if (ctx->app->plugin_dir != NULL)
		tmpl_dict_set_cstr(d, "PLUGIN_DIR", ctx->app->plugin_dir);
	if (n == 0)
		tmpl_dict_show_section(d, "NONE");
	for (i = 0; i < n; i++) {
		struct tmpl_dict *p = tmpl_dict_add_section(d, "PLUGINS");
		struct plugin_info info;
		bool this_form;
		size_t nopt = plugin_option_count(set, i);

		plugin_set_info(set, i, &info);
		this_form = form_of != NULL && strcmp(form_of, info.name) == 0;
		tmpl_dict_set_cstr(p, "NAME", info.name);
		tmpl_dict_set_cstr(p, "PATH", info.path);
		if (info.version != NULL) {
			struct tmpl_dict *l =
			        tmpl_dict_add_section(p, "LOADED");

			tmpl_dict_set_cstr(l, "VERSION", info.version);
			tmpl_dict_setf(l, "ABI", "%u.%u", info.abi_major,
			               info.abi_minor);
			if (info.description != NULL)
				tmpl_dict_set_cstr(l, "DESCRIPTION",
				                   info.description);
		}
		if (info.active)
			tmpl_dict_show_section(p, "ACTIVE");
		else if (info.enabled)
			tmpl_dict_show_section(p, "REFUSED");
		else
			tmpl_dict_show_section(p, "OFF");
		tmpl_dict_show_section(p, info.enabled ? "CAN_DISABLE"
		                                       : "CAN_ENABLE");
		if (info.error != NULL)
			tmpl_dict_set_value_and_show_section(
			        p, "TEXT", strv_from_cstr(info.error), "ERROR");
		if (nopt == 0)
			continue;
		struct tmpl_dict *f = tmpl_dict_add_section(p, "FORM");
		tmpl_dict_set_cstr(f, "NAME", info.name);
		for (k = 0; k < nopt; k++) {
			const struct petrel_option *opt =
			        plugin_option(set, i, k);
			const char *v = plugin_option_value(set, i, k);

			if (this_form && sent[k] != NULL &&
			    opt->type != PETREL_OPTION_SECRET)
				v = sent[k];
			option_row(ctx, f, opt, v != NULL ? v : "",
			           this_form ? errors[k] : NULL);
		}
	}
	return web_render_page(ctx, status, "admin/plugins.tpl", d, err);
}

int
web_admin_plugins(struct web_ctx *ctx, struct perr *err)
{
	return render(ctx, 200, NULL, NULL, NULL, err);
}

/* The enabled names, with `name` added or taken out, as "a,b". */
static const char *
list_with(struct web_ctx *ctx, const char *name, bool enable)
{
	struct strv list = strv_from_cstr(ctx->config->plugins.enabled_list);
	struct strv item, rest;
	struct sbuf out;

	sbuf_init(&out, ctx->req->arena, 128, 64 * 1024);
	while (list.len > 0) {
		if (!strv_split_once(list, ',', &item, &rest))
			rest = STRV_NULL;
		item = strv_trim(item);
		list = rest;
		if (item.len == 0 || strv_eq_cstr(item, name))
			continue;
		if (out.len > 0)
			sbuf_append_char(&out, ',');
		sbuf_append(&out, item.p, item.len);
	}
	if (enable) {
		if (out.len > 0)
			sbuf_append_char(&out, ',');
		sbuf_append_cstr(&out, name);
	}
	return sbuf_ok(&out) ? sbuf_cstr(&out) : NULL;
}

int
web_admin_plugin_toggle(struct web_ctx *ctx, struct perr *err)
{
	const char *name = web_admin_field(ctx, "name");
	const char *state = web_admin_field(ctx, "enable");
	struct admin_setting set[2];
	const char *list;
	bool enable;

	/*
	 * A plugin name, not necessarily one the current set knows: a file
	 * installed since the last reload is enabled (and found) right here.
	 */
	if (!plugin_name_valid(strv_from_cstr(name)))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "not a plugin name");
	if (strcmp(state, "On") != 0 && strcmp(state, "Off") != 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "enable must be On or Off");
	enable = strcmp(state, "On") == 0;
	list = list_with(ctx, name, enable);
	if (list == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "enabled_list too long");
	/* Enabling one plugin switches plugins on as a whole. */
	set[0] = (struct admin_setting){"plugins", "enabled_list", list, false};
	set[1] = (struct admin_setting){
	        "plugins", "enable",
	        enable || ctx->config->plugins.enable ? "On" : "Off", true};
	if (admin_app_settings_write(&ctx->config->paths, set, PT_NELEM(set),
	                             ctx->req->arena, err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	web_admin_audit(ctx, enable ? "plugin.enable" : "plugin.disable", "%s",
	                name);
	return web_admin_redirect(ctx, ADMIN_PATH "/plugins?saved=1", err);
}

int
web_admin_plugin_options(struct web_ctx *ctx, struct perr *err)
{
	const struct plugin_set *set = ctx->state->plugins;
	const char *name = web_admin_field(ctx, "name");
	const char **sent, **canon, **errors;
	struct sbuf changed;
	ptrdiff_t i;
	size_t k, n;
	bool ok = true;

	i = plugin_set_find(set, strv_from_cstr(name));
	if (i < 0 || plugin_option_count(set, (size_t)i) == 0)
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no such plugin with options");
	n = plugin_option_count(set, (size_t)i);
	sent = arena_new_array(ctx->req->arena, const char *, n);
	canon = arena_new_array(ctx->req->arena, const char *, n);
	errors = arena_new_array(ctx->req->arena, const char *, n);
	if (sent == NULL || canon == NULL || errors == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	sbuf_init(&changed, ctx->req->arena, 128, 4096);
	for (k = 0; k < n; k++) {
		const struct petrel_option *opt =
		        plugin_option(set, (size_t)i, k);
		const char *field = arena_printf(
		        ctx->req->arena, OPT_FIELD_PREFIX "%s", opt->name);
		struct strv v = STRV_NULL;
		bool given =
		        field != NULL && http_request_form(ctx->req, field, &v);
		struct perr e = {0};

		/* An unticked checkbox is not sent: false. Any other
		 * field not sent keeps its value. */
		if (!given && opt->type != PETREL_OPTION_BOOL)
			continue;
		if (opt->type == PETREL_OPTION_BOOL)
			v = given ? STRV_LIT("true") : STRV_LIT("false");
		else if (opt->type != PETREL_OPTION_SECRET)
			v = strv_trim(v);
		/* A SECRET left empty keeps its value. */
		if (opt->type == PETREL_OPTION_SECRET && v.len == 0)
			continue;
		sent[k] = strv_dup(ctx->req->arena, v);
		if (plugin_option_check(opt, v, ctx->req->arena, &canon[k],
		                        &e) != 0) {
			errors[k] = e.msg != NULL ? e.msg : "invalid value";
			ok = false;
			continue;
		}
		if (strcmp(canon[k], plugin_option_value(set, (size_t)i, k)) !=
		    0)
			sbuf_printf(&changed, "%s%s",
			            changed.len > 0 ? "," : "", opt->name);
	}
	if (!ok)
		return render(ctx, 400, name, sent, errors, err);
	if (plugin_options_write(set, (size_t)i, ctx->config->paths.configs_dir,
	                         canon, ctx->req->arena, err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	/* Names only: a value may be a secret. */
	web_admin_audit(ctx, "plugin.options", "%s %s", name,
	                changed.len > 0 ? sbuf_cstr(&changed) : "no change");
	return web_admin_redirect(ctx, ADMIN_PATH "/plugins?saved=1", err);
}
