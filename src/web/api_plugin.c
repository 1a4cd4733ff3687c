/*
 * Plugins at the web layer's seams. src/plugin runs the hooks and checks
 * what they hand back; this file gives each hook its request (user,
 * client address, the user's catalog, the session's password re-seal)
 * and turns the answers into HTTP: a refusal is a 403 with the plugin's
 * message. Each seam calls one function here: the sign-in
 * (web_plugins_login_*), Send (web_plugins_send_headers), the Message
 * call (web_plugins_notices), and the plugins' own JSON calls below.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

/* Arguments of a plugin action: string members of the body, bounded. */
#define PLUGIN_ARGS_MAX 32
#define PLUGIN_ARG_MAX (64 * 1024)

static const char *
translate(void *c, const char *key)
{
	struct web_ctx *ctx = c;

	return i18n_get(ctx->lang, key);
}

/*
 * The user's mail password changed (change-password): seal the new one
 * under the same cookie key, so this session keeps working. The pooled
 * IMAP connection stays: it is logged in already, while a new login
 * right now could still meet the old password in the server's cache
 * (Dovecot re-reads a passwd-file at most once a second).
 */
static int
password_changed(void *c, const char *new_password, struct perr *err)
{
	struct web_ctx *ctx = c;
	struct store *st = web_store(ctx, err);

	if (st == NULL)
		return -1;
	if (session_reseal(st, ctx->session, strv_from_cstr(new_password),
	                   ctx->req->arena, err) != 0)
		return -1;
	log_info("password changed: user=%s", ctx->session->user);
	return 0;
}

static void
plugin_request(struct web_ctx *ctx, struct plugin_request *r)
{
	memset(r, 0, sizeof(*r));
	r->arena = ctx->req->arena;
	r->user = ctx->session != NULL ? ctx->session->user : NULL;
	r->client_ip = ctx->req->remote_addr;
	r->translate = translate;
	r->translate_ctx = ctx;
	r->qr_svg = admin_qr_svg;
	if (ctx->session != NULL) {
		r->password_changed = password_changed;
		r->password_ctx = ctx;
	}
}

/* A plugin's refusal: 403 with its message (already checked text). */
static int
refusal(struct web_ctx *ctx, struct perr *err)
{
	if (err->kind == PERR_FORBIDDEN)
		web_error_custom(ctx, 403, "PluginRefused", err->msg, NULL);
	return -1;
}

static bool
any_plugin(const struct web_ctx *ctx)
{
	return plugin_set_count(ctx->state->plugins) > 0;
}

static void
login_info(struct web_ctx *ctx, const char *email, struct petrel_login *l)
{
	struct strv ua = STRV_NULL;

	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->email = email;
	l->client_ip = ctx->req->remote_addr;
	if (http_request_header(ctx->req, "user-agent", &ua))
		l->user_agent = strv_dup(ctx->req->arena, ua);
}

int
web_plugins_login_before(struct web_ctx *ctx, const char *email,
                         struct perr *err)
{
	struct plugin_request r;
	struct petrel_login l;

	if (!any_plugin(ctx))
		return 0;
	plugin_request(ctx, &r);
	login_info(ctx, email, &l);
	if (plugin_run_login_before(ctx->state->plugins, &r, &l, err) != 0) {
		log_warn("login refused by a plugin: ip=%s user=%s",
		         ctx->req->remote_addr, email);
		return refusal(ctx, err);
	}
	return 0;
}

int
web_plugins_login_check(struct web_ctx *ctx, const char *email,
                        const char *second_factor, struct perr *err)
{
	struct plugin_challenge ch;
	struct plugin_request r;
	struct petrel_login l;

	if (!any_plugin(ctx))
		return 0;
	plugin_request(ctx, &r);
	r.user = email;
	login_info(ctx, email, &l);
	l.second_factor = second_factor;
	if (plugin_run_login_check(ctx->state->plugins, &r, &l, &ch, err) == 0)
		return 0;
	if (err->kind == PERR_AUTH && ch.plugin != NULL) {
		web_error_custom(ctx, 401, "SecondFactor", ch.prompt,
		                 json_pack("{s{ssss}}", "challenge", "plugin",
		                           ch.plugin, "prompt", ch.prompt));
		return -1;
	}
	return refusal(ctx, err);
}

void
web_plugins_login_after(struct web_ctx *ctx, const char *email)
{
	struct plugin_request r;
	struct petrel_login l;

	if (!any_plugin(ctx))
		return;
	plugin_request(ctx, &r);
	r.user = email;
	login_info(ctx, email, &l);
	plugin_run_login_after(ctx->state->plugins, &r, &l);
}

static const char *
header_or_null(struct web_ctx *ctx, const char *name)
{
	struct strv v;

	return http_request_header(ctx->req, name, &v)
	               ? strv_dup(ctx->req->arena, v)
	               : NULL;
}

int
web_plugins_send_headers(struct web_ctx *ctx, struct mail_compose *c,
                         struct perr *err)
{
	const struct mail_strings *lists[] = {&c->to, &c->cc, &c->bcc};
	struct plugin_send_result res;
	struct plugin_request r;
	struct petrel_send m;
	const char **rcpt, **lines;
	size_t i, j, n = 0;

	c->extra_headers = NULL;
	if (!any_plugin(ctx))
		return 0;
	rcpt = arena_new_array(ctx->req->arena, const char *,
	                       c->to.n + c->cc.n + c->bcc.n + 1);
	if (rcpt == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	for (i = 0; i < 3; i++)
		for (j = 0; j < lists[i]->n; j++)
			rcpt[n++] = lists[i]->v[j];
	plugin_request(ctx, &r);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.user = ctx->session->user;
	m.from = c->from != NULL && c->from[0] != '\0' ? c->from
	                                               : ctx->session->user;
	m.subject = c->subject != NULL ? c->subject : "";
	m.recipients = rcpt;
	m.n_recipients = n;
	m.client_ip = ctx->req->remote_addr;
	m.forwarded_for = header_or_null(ctx, "x-forwarded-for");
	m.real_ip = header_or_null(ctx, "x-real-ip");
	if (plugin_run_send_before(ctx->state->plugins, &r, &m, &res, err) !=
	    0) {
		log_info("send refused by a plugin: user=%s",
		         ctx->session->user);
		return refusal(ctx, err);
	}
	if (res.n_headers == 0)
		return 0;
	lines = arena_new_array(ctx->req->arena, const char *, res.n_headers);
	if (lines == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	for (i = 0; i < res.n_headers; i++) {
		lines[i] =
		        arena_printf(ctx->req->arena, "%s: %s",
		                     res.headers[i].name, res.headers[i].value);
		if (lines[i] == NULL)
			return perr_set(err, ctx->req->arena, PERR_LIMIT,
			                "out of request memory");
	}
	c->extra_headers = lines;
	c->n_extra_headers = res.n_headers;
	return 0;
}

json_t *
web_plugins_notices(struct web_ctx *ctx, const struct mail_view *v)
{
	json_t *out = json_array();
	struct plugin_request r;
	struct petrel_view view;
	const char **notes;

	if (!any_plugin(ctx))
		return out;
	plugin_request(ctx, &r);
	memset(&view, 0, sizeof(view));
	view.size = sizeof(view);
	view.user = ctx->session->user;
	view.folder = v->folder;
	view.uid = v->uid;
	view.from = v->env->from.n > 0 ? v->env->from.v[0].email : "";
	view.subject = v->env->subject;
	notes = plugin_run_message_view(ctx->state->plugins, &r, &view);
	for (; notes != NULL && *notes != NULL; notes++)
		json_array_append_new(out, json_string(*notes));
	return out;
}

/* "/api/plugin/<name>/<Action>": both parts non-empty, nothing after. */
static bool
split_path(struct strv path, struct strv *name_r, struct strv *action_r)
{
	struct strv rest = path;

	if (!strv_starts_with(rest, STRV_LIT("/api/plugin/")))
		return false;
	rest.p += strlen("/api/plugin/");
	rest.len -= strlen("/api/plugin/");
	if (!strv_split_once(rest, '/', name_r, action_r))
		return false;
	return name_r->len > 0 && action_r->len > 0 &&
	       memchr(action_r->p, '/', action_r->len) == NULL;
}

/* The string members of the JSON body as action arguments. */
static int
action_args(struct web_ctx *ctx, struct plugin_kv **args_r, size_t *n_r,
            struct perr *err)
{
	json_t *body = http_request_json(ctx->req), *v;
	const char *key;
	struct plugin_kv *args;
	size_t n = 0;

	*args_r = NULL;
	*n_r = 0;
	if (body == NULL)
		return 0;
	if (!json_is_object(body))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "the body must be a JSON object");
	if (json_object_size(body) > PLUGIN_ARGS_MAX)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "more than %d arguments", PLUGIN_ARGS_MAX);
	args = arena_new_array(ctx->req->arena, struct plugin_kv,
	                       json_object_size(body) + 1);
	if (args == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	json_object_foreach(body, key, v)
	{
		struct strv s;

		if (!json_is_string(v))
			continue;
		s = (struct strv){json_string_value(v), json_string_length(v)};
		if (s.len > PLUGIN_ARG_MAX || memchr(s.p, '\0', s.len) != NULL)
			return perr_set(
			        err, ctx->req->arena, PERR_INPUT,
			        "argument \"%s\" is too long or holds a "
			        "NUL",
			        key);
		args[n].key = key;
		args[n].value = s.p;
		n++;
	}
	*args_r = args;
	*n_r = n;
	return 0;
}

int
web_api_plugin_action(struct web_ctx *ctx, struct perr *err)
{
	struct plugin_action_result res;
	struct plugin_request r;
	struct plugin_kv *args;
	struct strv name, action;
	size_t n, i;
	json_t *out;

	if (!split_path(ctx->req->path, &name, &action))
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no such plugin action");
	if (action_args(ctx, &args, &n, err) != 0)
		return -1;
	plugin_request(ctx, &r);
	if (plugin_run_action(ctx->state->plugins, name, action, &r, args, n,
	                      &res, err) != 0)
		return refusal(ctx, err);
	out = json_object();
	for (i = 0; i < res.n_members; i++) {
		const struct plugin_kv *m = &res.members[i];

		json_object_set_new(out, m->key,
		                    m->is_bool ? json_boolean(m->bool_value)
		                               : json_string(m->value));
	}
	for (i = 0; i < res.n_items; i++) {
		const struct plugin_item *it = &res.items[i];
		json_t *list = json_object_get(out, it->list), *obj;
		size_t k;

		if (list == NULL) {
			list = json_array();
			json_object_set_new(out, it->list, list);
		}
		if (!json_is_array(list))
			continue; /* the key is a string member already */
		obj = json_object();
		for (k = 0; k < it->n_kv; k++)
			json_object_set_new(obj, it->kv[k].key,
			                    json_string(it->kv[k].value));
		json_array_append_new(list, obj);
	}
	return web_reply_json(ctx, json_pack("{so}", "result", out), err);
}

static const char *
tr(struct web_ctx *ctx, const char *key)
{
	return i18n_get(ctx->lang, key != NULL ? key : "");
}

int
web_api_plugin_settings(struct web_ctx *ctx, struct perr *err)
{
	const struct plugin_set *set = ctx->state->plugins;
	json_t *out = json_array(), *compose = json_array();
	size_t i, k;

	for (i = 0; i < plugin_set_count(set); i++) {
		const struct petrel_settings_section *sec =
		        plugin_settings_section(set, i);
		const struct petrel_compose_menu *menu =
		        plugin_compose_menu(set, i);
		const char *list_action, *delete_action;
		struct plugin_info info;
		const char *load;
		json_t *fields, *section;

		plugin_set_info(set, i, &info);
		if (menu != NULL)
			json_array_append_new(
			        compose,
			        json_pack("{ssssssssss}", "plugin", info.name,
			                  "label", tr(ctx, menu->label),
			                  "action", menu->list_action,
			                  "labelKey", menu->label_key,
			                  "textKey", menu->text_key));
		if (sec == NULL)
			continue;
		fields = json_array();
		for (k = 0; k < sec->n_fields; k++) {
			const struct petrel_field *f = &sec->fields[k];

			json_array_append_new(
			        fields,
			        json_pack("{sssssssb}", "name", f->name,
			                  "label", tr(ctx, f->label), "type",
			                  f->type != NULL ? f->type : "text",
			                  "required", f->required));
		}
		section = json_pack("{sssssoss}", "plugin", info.name, "title",
		                    tr(ctx, sec->title), "fields", fields,
		                    "action", sec->save_action);
		if (plugin_settings_list(sec, &list_action, &delete_action)) {
			json_object_set_new(section, "listAction",
			                    json_string(list_action));
			if (delete_action != NULL)
				json_object_set_new(section, "deleteAction",
				                    json_string(delete_action));
		}
		load = plugin_settings_load_action(set, i);
		if (load != NULL)
			json_object_set_new(section, "load", json_string(load));
		json_array_append_new(out, section);
	}
	return web_reply_json(
	        ctx, json_pack("{soso}", "sections", out, "compose", compose),
	        err);
}
