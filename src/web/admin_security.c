/*
 * The admin security page: admin name and password, TOTP, turning the
 * panel off, and the list of user sessions (which the admin may end).
 *
 * Changing the admin's credentials or turning the panel off ends every
 * admin session, this one included: whoever holds the new credentials
 * signs in again through the hidden URL.
 */
#include <string.h>

#include "web_private.h"
#include "admin/admin.h"
#include "core/banned.h"

#define SESSIONS_SHOWN 200
#define PASSWORD_MIN 12
#define PASSWORD_MAX 256

struct sec_errors {
	const char *login, *current, *password, *confirm, *totp;
};

static void
show_error(struct web_ctx *ctx, struct tmpl_dict *d, const char *section,
           const char *key)
{
	if (key != NULL)
		tmpl_dict_set_value_and_show_section(
		        d, "TEXT", strv_from_cstr(i18n_get(ctx->lang, key)),
		        section);
}

static int
render(struct web_ctx *ctx, int status, const struct sec_errors *e,
       const char *totp_secret, struct perr *err)
{
	struct tmpl_dict *d =
	        web_admin_page_dict(ctx, "L_ADMIN_NAV_SECURITY", "security");
	struct admin_user_session *v = NULL;
	struct store *st;
	size_t n = 0, i;

	tmpl_dict_set_cstr(d, "CUR_LOGIN", ctx->config->security.admin_login);
	if (e != NULL) {
		show_error(ctx, d, "ERR_LOGIN", e->login);
		show_error(ctx, d, "ERR_CURRENT", e->current);
		show_error(ctx, d, "ERR_PASSWORD", e->password);
		show_error(ctx, d, "ERR_CONFIRM", e->confirm);
		show_error(ctx, d, "ERR_TOTP", e->totp);
	}
	if (ctx->config->security.admin_totp[0] != '\0') {
		tmpl_dict_show_section(d, "TOTP_ON");
	} else {
		struct tmpl_dict *t = tmpl_dict_add_section(d, "TOTP_OFF");
		const char *secret = totp_secret;
		char *uri, *svg, *b64;

		if (secret == NULL)
			secret = admin_totp_secret_new(ctx->req->arena);
		uri = admin_totp_uri(ctx->config->webmail.title,
		                     ctx->config->security.admin_login,
		                     secret != NULL ? secret : "",
		                     ctx->req->arena);
		tmpl_dict_set_cstr(t, "SECRET", secret);
		tmpl_dict_set_cstr(t, "URI", uri);
		svg = uri != NULL ? admin_qr_svg(uri, ctx->req->arena) : NULL;
		b64 = svg != NULL ? codec_base64_encode(ctx->req->arena, svg,
		                                        strlen(svg))
		                  : NULL;
		if (b64 != NULL)
			tmpl_dict_set_value_and_show_section(
			        t, "QR_DATA", strv_from_cstr(b64), "QR");
	}
	st = web_store(ctx, err);
	if (st == NULL ||
	    admin_user_sessions(st, pt_now_unix(), SESSIONS_SHOWN,
	                        ctx->req->arena, &v, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct tmpl_dict *s = tmpl_dict_add_section(d, "SESSIONS");

		tmpl_dict_set_cstr(s, "ID", v[i].id_hash);
		tmpl_dict_set_cstr(s, "USER", v[i].user);
		tmpl_dict_set_cstr(s, "IP", v[i].ip);
		tmpl_dict_set_cstr(
		        s, "CREATED",
		        web_admin_fmt_time(ctx, v[i].created, false));
		tmpl_dict_set_cstr(
		        s, "LAST_SEEN",
		        web_admin_fmt_time(ctx, v[i].last_seen, false));
	}
	if (n == 0)
		tmpl_dict_show_section(d, "NO_SESSIONS");
	return web_render_page(ctx, status, "admin/security.tpl", d, err);
}

int
web_admin_security(struct web_ctx *ctx, struct perr *err)
{
	return render(ctx, 200, NULL, NULL, err);
}

static bool
login_name_ok(struct strv s)
{
	size_t i;

	if (s.len < 3 || s.len > 64)
		return false;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

/* End all admin sessions and send the browser to the start page. */
static int
sign_out_everyone(struct web_ctx *ctx, struct perr *err)
{
	struct http_cookie_opts co = {0};
	struct store *st = web_store(ctx, err);

	if (st == NULL || admin_sessions_clear(st, ctx->req->arena, err) < 0)
		return -1;
	co.path = ADMIN_PATH;
	co.secure = web_cookie_secure(ctx);
	(void)http_response_delete_cookie(ctx->resp, ADMIN_COOKIE, &co);
	return web_admin_redirect(ctx, "/", err);
}

int
web_admin_security_password(struct web_ctx *ctx, struct perr *err)
{
	struct strv login =
	        strv_trim(strv_from_cstr(web_admin_field(ctx, "new_login")));
	struct strv cur = strv_from_cstr(web_admin_field(ctx, "current"));
	struct strv pw = strv_from_cstr(web_admin_field(ctx, "new_password"));
	struct strv pw2 = strv_from_cstr(web_admin_field(ctx, "confirm"));
	struct sec_errors e = {0};
	struct admin_setting set[2];
	char *hash = NULL, *login_c;
	size_t n = 0;
	bool renamed;

	if (!login_name_ok(login))
		e.login = "L_ADMIN_ERR_LOGIN";
	if (pw.len > 0 && (pw.len < PASSWORD_MIN || pw.len > PASSWORD_MAX ||
	                   strv_has_ctl(pw, false)))
		e.password = "L_ADMIN_ERR_PASSWORD_WEAK";
	else if (!strv_eq(pw, pw2))
		e.confirm = "L_ADMIN_ERR_CONFIRM";
	/* Always checked (and always costs the same). */
	if (!admin_login_verify(
	            ctx->config,
	            strv_from_cstr(ctx->config->security.admin_login), cur))
		e.current = "L_ADMIN_ERR_CURRENT";
	if (e.login != NULL || e.password != NULL || e.confirm != NULL ||
	    e.current != NULL)
		return render(ctx, 400, &e, NULL, err);
	login_c = strv_dup(ctx->req->arena, login);
	renamed = strcmp(login_c, ctx->config->security.admin_login) != 0;
	if (!renamed && pw.len == 0)
		return web_admin_redirect(ctx, ADMIN_PATH "/security", err);
	set[n++] =
	        (struct admin_setting){"security", "admin_login", login_c, 0};
	if (pw.len > 0) {
		if (admin_hash(ADMIN_HASH_PASSWORD, pw, ctx->req->arena, &hash,
		               err) != 0)
			return -1;
		set[n++] = (struct admin_setting){"security", "admin_password",
		                                  hash, 0};
	}
	if (admin_app_settings_write(&ctx->config->paths, set, n,
	                             ctx->req->arena, err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	web_admin_audit(ctx, "admin.credentials", "login=%s password=%s",
	                login_c, pw.len > 0 ? "changed" : "unchanged");
	return sign_out_everyone(ctx, err);
}

int
web_admin_security_totp(struct web_ctx *ctx, struct perr *err)
{
	const char *action = web_admin_field(ctx, "action");
	struct strv code = strv_from_cstr(web_admin_field(ctx, "code"));
	struct sec_errors e = {0};
	struct admin_setting set[1];
	const char *secret;
	unsigned dummy;

	if (strcmp(action, "enable") == 0) {
		secret = web_admin_field(ctx, "secret");
		if (admin_totp_code(secret, pt_now_unix(), &dummy) != 0 ||
		    strlen(secret) < 16 || strlen(secret) > 64 ||
		    !admin_totp_verify(secret, code, pt_now_unix())) {
			e.totp = "L_ADMIN_ERR_TOTP";
			return render(ctx, 400, &e,
			              admin_totp_code(secret, 0, &dummy) == 0
			                      ? secret
			                      : NULL,
			              err);
		}
		set[0] = (struct admin_setting){"security", "admin_totp",
		                                secret, 0};
	} else if (strcmp(action, "disable") == 0) {
		if (!admin_totp_verify(ctx->config->security.admin_totp, code,
		                       pt_now_unix())) {
			e.totp = "L_ADMIN_ERR_TOTP";
			return render(ctx, 400, &e, NULL, err);
		}
		set[0] =
		        (struct admin_setting){"security", "admin_totp", "", 0};
	} else {
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "action must be enable or disable");
	}
	if (admin_app_settings_write(&ctx->config->paths, set, 1,
	                             ctx->req->arena, err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	web_admin_audit(ctx, "admin.totp", "%s", action);
	return web_admin_redirect(ctx, ADMIN_PATH "/security?saved=1", err);
}

int
web_admin_security_panel(struct web_ctx *ctx, struct perr *err)
{
	struct admin_setting set[1] = {{"admin_panel", "allow", "Off", 1}};
	struct strv cur = strv_from_cstr(web_admin_field(ctx, "current"));
	struct sec_errors e = {0};

	if (!admin_login_verify(
	            ctx->config,
	            strv_from_cstr(ctx->config->security.admin_login), cur)) {
		e.current = "L_ADMIN_ERR_CURRENT";
		return render(ctx, 400, &e, NULL, err);
	}
	if (admin_app_settings_write(&ctx->config->paths, set, 1,
	                             ctx->req->arena, err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	web_admin_audit(ctx, "admin.panel", "allow=Off");
	return sign_out_everyone(ctx, err);
}

int
web_admin_session_end(struct web_ctx *ctx, struct perr *err)
{
	const char *id = web_admin_field(ctx, "id");
	struct store *st = web_store(ctx, err);
	struct admin_user_session *v = NULL;
	const char *user = "?";
	size_t n = 0, i;

	if (st == NULL)
		return -1;
	if (strlen(id) != 64)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "id must be a session id hash");
	if (admin_user_sessions(st, pt_now_unix(), SESSIONS_SHOWN,
	                        ctx->req->arena, &v, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].id_hash, id) == 0)
			user = v[i].user;
	if (admin_user_session_end(st, id, ctx->req->arena, err) != 0)
		return -1;
	imap_pool_drop_session(ctx->app->imap_pool, id);
	web_admin_audit(ctx, "session.end", "user=%s", user);
	return web_admin_redirect(ctx, ADMIN_PATH "/security?saved=1", err);
}
