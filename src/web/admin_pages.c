/*
 * Admin pages: dashboard, logs and general settings.
 */
#include <string.h>
#include <time.h>

#include "web_private.h"
#include "admin/admin.h"
#include "core/banned.h"

#define LOG_TAIL_LINES 200
#define DASH_ERRORS 8
#define AUDIT_ROWS 100

static const char *
log_path(struct web_ctx *ctx)
{
	if (ctx->config->logs.path[0] != '\0')
		return ctx->config->logs.path;
	return arena_printf(ctx->req->arena, "%s/petrel.log",
	                    ctx->config->paths.logs_dir);
}

const char *
web_admin_fmt_time(struct web_ctx *ctx, int64_t t, bool seconds)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[32];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf),
	             seconds ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M UTC",
	             &tm) == 0)
		return "?";
	return arena_strdup(ctx->req->arena, buf);
}

static const char *
fmt_duration(struct web_ctx *ctx, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 3600)
		return arena_printf(ctx->req->arena, "%lld min %lld s",
		                    (long long)(s / 60), (long long)(s % 60));
	if (s < 86400)
		return arena_printf(ctx->req->arena, "%lld h %lld min",
		                    (long long)(s / 3600),
		                    (long long)(s % 3600 / 60));
	return arena_printf(ctx->req->arena, "%lld d %lld h",
	                    (long long)(s / 86400),
	                    (long long)(s % 86400 / 3600));
}

static void
add_audit(struct web_ctx *ctx, struct tmpl_dict *d, size_t limit)
{
	struct store_audit_entry *v = NULL;
	struct perr e = {0};
	struct store *st = web_store(ctx, &e);
	size_t n = 0, i;

	if (st == NULL ||
	    store_audit_recent(st, limit, ctx->req->arena, &v, &n, &e) != 0) {
		log_error("cannot read the audit log: %s", e.msg);
		return;
	}
	for (i = 0; i < n; i++) {
		struct tmpl_dict *s = tmpl_dict_add_section(d, "AUDIT");

		tmpl_dict_set_cstr(s, "TIME",
		                   web_admin_fmt_time(ctx, v[i].time, true));
		tmpl_dict_set_cstr(s, "ACTOR", v[i].actor);
		tmpl_dict_set_cstr(s, "IP", v[i].ip);
		tmpl_dict_set_cstr(s, "ACTION", v[i].action);
		tmpl_dict_set_cstr(s, "DETAIL", v[i].detail);
	}
	if (n == 0)
		tmpl_dict_show_section(d, "AUDIT_EMPTY");
}

/* A log line's level class for the page ("error", "warn", ""). */
static const char *
line_level(const char *l)
{
	if (strstr(l, "Z error: ") != NULL)
		return "error";
	if (strstr(l, "Z warn: ") != NULL)
		return "warn";
	return "";
}

int
web_admin_dashboard(struct web_ctx *ctx, struct perr *err)
{
	struct tmpl_dict *d =
	        web_admin_page_dict(ctx, "L_ADMIN_NAV_DASHBOARD", "dashboard");
	struct imap_pool_stats ps = {0};
	const char *warn[8];
	struct admin_cred_record rec = {0};
	struct perr e = {0};
	struct store *st;
	unsigned active = 0;
	char **lines = NULL;
	size_t n = 0, nw, i, shown = 0;
	const char *path = log_path(ctx);

	tmpl_dict_set_cstr(
	        d, "UPTIME",
	        fmt_duration(ctx, pt_now_unix() - ctx->app->started));
	tmpl_dict_set_cstr(d, "STARTED",
	                   web_admin_fmt_time(ctx, ctx->app->started, true));
	st = web_store(ctx, err);
	if (st == NULL ||
	    session_count_active(st, pt_now_unix(), ctx->req->arena, &active,
	                         err) != 0)
		return -1;
	tmpl_dict_set_int(d, "SESSIONS", active);
	imap_pool_get_stats(ctx->app->imap_pool, &ps);
	tmpl_dict_set_int(d, "POOL_OPEN", ps.open);
	tmpl_dict_set_int(d, "POOL_BUSY", ps.busy);
	tmpl_dict_set_int(d, "POOL_CONNECTS", (long long)ps.connects);
	tmpl_dict_set_int(d, "POOL_REUSES", (long long)ps.reuses);
	tmpl_dict_set_int(d, "DOMAINS", (long long)ctx->config->domain_count);

	if (admin_cred_record_read(ctx->config->paths.configs_dir,
	                           ctx->req->arena, &rec, &e) != 0)
		log_warn("admin: %s", e.msg);
	else if (rec.found) {
		struct tmpl_dict *s = tmpl_dict_add_section(d, "CRED_FILE");

		tmpl_dict_set_cstr(s, "PATH", rec.path);
		tmpl_dict_set_cstr(
		        s, "WRITTEN",
		        rec.written > 0
		                ? web_admin_fmt_time(ctx, rec.written, false)
		                : "?");
	}
	perr_clear(&e);
	nw = admin_config_warnings(ctx->config, warn, PT_NELEM(warn));
	for (i = 0; i < nw; i++) {
		struct tmpl_dict *s = tmpl_dict_add_section(d, "WARNINGS");

		tmpl_dict_set_cstr(s, "TEXT", i18n_get(ctx->lang, warn[i]));
		if (strcmp(warn[i], "L_ADMIN_WARN_CREDENTIALS_FILE") == 0)
			tmpl_dict_show_section(s, "SEVERE");
	}
	if (nw == 0 && !rec.found)
		tmpl_dict_show_section(d, "NO_WARNINGS");

	if (path != NULL &&
	    admin_tail_file(path, 500, ctx->req->arena, &lines, &n, &e) == 0) {
		/* Newest first. */
		for (i = n; i > 0 && shown < DASH_ERRORS; i--) {
			if (strcmp(line_level(lines[i - 1]), "error") != 0)
				continue;
			tmpl_dict_set_value_and_show_section(
			        d, "LINE", strv_from_cstr(lines[i - 1]),
			        "ERRORS");
			shown++;
		}
	}
	if (shown == 0)
		tmpl_dict_show_section(d, "NO_ERRORS");
	add_audit(ctx, d, 6);
	return web_render_page(ctx, 200, "admin/dashboard.tpl", d, err);
}

/*
 * The admin confirms that the credentials file `petrel admin init` wrote
 * is deleted: the dashboard's warning goes (the server cannot check the
 * file itself, see admin_cred_record_read).
 */
int
web_admin_credentials_deleted(struct web_ctx *ctx, struct perr *err)
{
	struct admin_cred_record rec;
	const char *dir = ctx->config->paths.configs_dir;

	if (admin_cred_record_read(dir, ctx->req->arena, &rec, err) != 0)
		return -1;
	if (rec.found) {
		if (admin_cred_record_clear(dir, ctx->req->arena, err) != 0)
			return -1;
		web_admin_audit(ctx, "admin.credfile.deleted", "path=%s",
		                rec.path);
	}
	return web_admin_redirect(ctx, ADMIN_PATH "/", err);
}

int
web_admin_logs(struct web_ctx *ctx, struct perr *err)
{
	struct tmpl_dict *d =
	        web_admin_page_dict(ctx, "L_ADMIN_NAV_LOGS", "logs");
	const char *path = log_path(ctx);
	char **lines = NULL;
	size_t n = 0, i;
	struct perr e = {0};

	tmpl_dict_set_cstr(d, "LOG_PATH", path != NULL ? path : "");
	if (path != NULL &&
	    admin_tail_file(path, LOG_TAIL_LINES, ctx->req->arena, &lines, &n,
	                    &e) == 0) {
		for (i = n; i > 0; i--) {
			struct tmpl_dict *s = tmpl_dict_add_section(d, "LINES");

			tmpl_dict_set_cstr(s, "TEXT", lines[i - 1]);
			tmpl_dict_set_cstr(s, "LEVEL",
			                   line_level(lines[i - 1]));
		}
	} else {
		tmpl_dict_set_value_and_show_section(
		        d, "TEXT", strv_from_cstr(e.msg != NULL ? e.msg : ""),
		        "LOG_ERROR");
	}
	add_audit(ctx, d, AUDIT_ROWS);
	return web_render_page(ctx, 200, "admin/logs.tpl", d, err);
}

char *
web_admin_label_key(struct arena *a, const char *prefix, const char *key)
{
	char *r = arena_printf(a, "%s%s", prefix, key), *p;

	for (p = r; p != NULL && *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return r;
}

/* ---- general settings ------------------------------------------------ */

enum set_kind { SET_TEXT, SET_UINT, SET_LANG, SET_DOMAIN, SET_THEME };

struct setting_field {
	const char *section, *key;
	enum set_kind kind;
	unsigned min, max;
};

static const struct setting_field setting_fields[] = {
        {"webmail", "title", SET_TEXT, 1, 100},
        {"webmail", "language", SET_LANG, 0, 0},
        {"webmail", "theme", SET_THEME, 1, 40},
        {"webmail", "messages_per_page", SET_UINT, 5, 500},
        {"webmail", "attachment_size_limit", SET_UINT, 1, 4096},
        {"login", "default_domain", SET_DOMAIN, 0, 0},
        {"security", "session_idle_minutes", SET_UINT, 1, 7 * 24 * 60},
        {"security", "session_absolute_hours", SET_UINT, 1, 24 * 366},
        {"ratelimit", "login_max_failures", SET_UINT, 1, 1000},
        {"ratelimit", "login_window_seconds", SET_UINT, 10, 86400},
};

static const char *
current_value(struct web_ctx *ctx, const struct setting_field *f)
{
	const struct config *c = ctx->config;
	unsigned u;

	if (strcmp(f->key, "title") == 0)
		return c->webmail.title;
	if (strcmp(f->key, "language") == 0)
		return c->webmail.language;
	if (strcmp(f->key, "theme") == 0)
		return c->webmail.theme;
	if (strcmp(f->key, "default_domain") == 0)
		return c->login.default_domain;
	if (strcmp(f->key, "messages_per_page") == 0)
		u = c->webmail.messages_per_page;
	else if (strcmp(f->key, "attachment_size_limit") == 0)
		u = c->webmail.attachment_size_limit;
	else if (strcmp(f->key, "session_idle_minutes") == 0)
		u = c->security.session_idle_minutes;
	else if (strcmp(f->key, "session_absolute_hours") == 0)
		u = c->security.session_absolute_hours;
	else if (strcmp(f->key, "login_max_failures") == 0)
		u = c->ratelimit.login_max_failures;
	else
		u = c->ratelimit.login_window_seconds;
	return arena_printf(ctx->req->arena, "%u", u);
}

static const char *
validate_setting(struct web_ctx *ctx, const struct setting_field *f,
                 struct strv v)
{
	size_t i;

	switch (f->kind) {
	case SET_TEXT:
		if (v.len < f->min || v.len > f->max ||
		    strv_has_ctl(v, false) || !codec_utf8_valid(v))
			return "L_ADMIN_ERR_TEXT";
		return NULL;
	case SET_UINT:
		return admin_valid_uint(v, f->min, f->max, NULL)
		               ? NULL
		               : "L_ADMIN_ERR_NUMBER";
	case SET_LANG:
		return i18n_find(ctx->state->i18n, v) != NULL &&
		                       strv_eq_ci_ascii(
		                               v,
		                               strv_from_cstr(
		                                       i18n_code(i18n_find(
		                                               ctx->state->i18n,
		                                               v))))
		               ? NULL
		               : "L_ADMIN_ERR_LANGUAGE";
	case SET_DOMAIN:
		return v.len == 0 || admin_valid_host(v) ? NULL
		                                         : "L_ADMIN_ERR_HOST";
	case SET_THEME:
		if (v.len < f->min || v.len > f->max)
			return "L_ADMIN_ERR_TEXT";
		for (i = 0; i < v.len; i++) {
			char c = v.p[i];

			if (!((c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return "L_ADMIN_ERR_TEXT";
		}
		return NULL;
	}
	return "L_ADMIN_ERR_TEXT";
}

static int
render_settings(struct web_ctx *ctx, int status, const char **values,
                const char **errors, enum admin_brand brand_kind,
                const char *brand_error, const struct admin_relay_form *relay,
                struct perr *err)
{
	struct tmpl_dict *d =
	        web_admin_page_dict(ctx, "L_ADMIN_NAV_SETTINGS", "settings");
	const struct i18n_catalog *const *cats;
	size_t i, j, nl;

	nl = i18n_languages(ctx->state->i18n, &cats);
	for (i = 0; i < PT_NELEM(setting_fields); i++) {
		const struct setting_field *f = &setting_fields[i];
		struct tmpl_dict *s = tmpl_dict_add_section(d, "FIELDS");
		const char *label = web_admin_label_key(ctx->req->arena,
		                                        "L_ADMIN_S_", f->key);
		tmpl_dict_set_cstr(s, "NAME", f->key);
		tmpl_dict_set_cstr(s, "LABEL",
		                   label != NULL ? i18n_get(ctx->lang, label)
		                                 : f->key);
		tmpl_dict_set_cstr(s, "VALUE", values[i]);
		if (errors != NULL && errors[i] != NULL)
			tmpl_dict_set_value_and_show_section(
			        s, "TEXT",
			        strv_from_cstr(i18n_get(ctx->lang, errors[i])),
			        "ERROR");
		if (f->kind == SET_LANG) {
			struct tmpl_dict *sel =
			        tmpl_dict_add_section(s, "SELECT");

			for (j = 0; j < nl; j++) {
				struct tmpl_dict *o =
				        tmpl_dict_add_section(sel, "OPTIONS");

				tmpl_dict_set_cstr(o, "OPT",
				                   i18n_code(cats[j]));
				tmpl_dict_set_cstr(o, "OPT_LABEL",
				                   i18n_native_name(cats[j]));
				if (strcmp(i18n_code(cats[j]), values[i]) == 0)
					tmpl_dict_show_section(o, "SELECTED");
			}
		} else {
			struct tmpl_dict *in =
			        tmpl_dict_add_section(s, "INPUT");

			tmpl_dict_set_cstr(in, "TYPE",
			                   f->kind == SET_UINT ? "number"
			                                       : "text");
		}
	}
	web_admin_branding_dict(ctx, d, brand_kind, brand_error);
	web_admin_relay_dict(ctx, d, relay);
	return web_render_page(ctx, status, "admin/settings.tpl", d, err);
}

int
web_admin_settings_page(struct web_ctx *ctx, int status,
                        enum admin_brand brand_kind, const char *brand_error,
                        struct perr *err)
{
	const char *values[PT_NELEM(setting_fields)];
	size_t i;

	for (i = 0; i < PT_NELEM(setting_fields); i++)
		values[i] = current_value(ctx, &setting_fields[i]);
	return render_settings(ctx, status, values, NULL, brand_kind,
	                       brand_error, NULL, err);
}

int
web_admin_settings_page_relay(struct web_ctx *ctx, int status,
                              const struct admin_relay_form *relay,
                              struct perr *err)
{
	const char *values[PT_NELEM(setting_fields)];
	size_t i;

	for (i = 0; i < PT_NELEM(setting_fields); i++)
		values[i] = current_value(ctx, &setting_fields[i]);
	return render_settings(ctx, status, values, NULL, ADMIN_BRAND_LOGO,
	                       NULL, relay, err);
}

int
web_admin_settings(struct web_ctx *ctx, struct perr *err)
{
	return web_admin_settings_page(ctx, 200, ADMIN_BRAND_LOGO, NULL, err);
}

int
web_admin_settings_save(struct web_ctx *ctx, struct perr *err)
{
	const char *values[PT_NELEM(setting_fields)];
	const char *errors[PT_NELEM(setting_fields)] = {0};
	struct admin_setting set[PT_NELEM(setting_fields)];
	struct sbuf changed;
	bool ok = true;
	size_t i;

	sbuf_init(&changed, ctx->req->arena, 256, 4096);
	for (i = 0; i < PT_NELEM(setting_fields); i++) {
		const struct setting_field *f = &setting_fields[i];
		struct strv v =
		        strv_trim(strv_from_cstr(web_admin_field(ctx, f->key)));

		values[i] = strv_dup(ctx->req->arena, v);
		errors[i] = validate_setting(ctx, f, v);
		if (errors[i] != NULL)
			ok = false;
		set[i] = (struct admin_setting){f->section, f->key, values[i],
		                                f->kind == SET_UINT};
		if (values[i] != NULL &&
		    strcmp(values[i], current_value(ctx, f)) != 0)
			sbuf_printf(&changed, "%s%s.%s=%s",
			            changed.len > 0 ? " " : "", f->section,
			            f->key, values[i]);
	}
	if (!ok)
		return render_settings(ctx, 400, values, errors,
		                       ADMIN_BRAND_LOGO, NULL, NULL, err);
	if (admin_app_settings_write(&ctx->config->paths, set, PT_NELEM(set),
	                             ctx->req->arena, err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	web_admin_audit(ctx, "settings.save", "%s",
	                changed.len > 0 ? sbuf_cstr(&changed) : "no change");
	return web_admin_redirect(ctx, ADMIN_PATH "/settings?saved=1", err);
}
