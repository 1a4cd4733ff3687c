/*
 * The admin gate, the admin middleware, sign-in and sign-out, and the
 * helpers the admin pages share.
 *
 * What must not leak, and how:
 * - The key. GET /?anything pays one HMAC (admin_key_verify; nothing while
 *   the panel is off), and a wrong key gets the start page that the same
 *   request without a query gets. The sign-in form posts the key back;
 *   /admin/login checks it again and answers a wrong one exactly like an
 *   unknown page. Misses count per client IP ("admin-gate", the [ratelimit]
 *   login limits); over the limit the key is not even checked, so the
 *   right key gets the start page too until the window ends: the answer
 *   never says whether the key was right, and a key of the older PBKDF2
 *   form (see key_upgrade) costs its derivation only below the limit.
 * - Whether a name is the admin's. The sign-in always runs the password
 *   derivation and compares the name in constant time; every failure has
 *   the same message.
 * - Admin rights through a user session. Admin routes read only the
 *   petrel_admin cookie and the admin_sessions table.
 *
 * Brute force: failures count per client IP ([ratelimit]
 * login_max_failures per login_window_seconds, the same limits as the
 * user sign-in); over the limit every attempt is refused (429) without
 * checking, until the window ends. Each failure is logged as
 * "admin auth failed: ip=... user=..." for fail2ban.
 */
#include <stdarg.h>
#include <string.h>

#include "web_private.h"
#include "admin/admin.h"
#include "core/banned.h"

#define FIELD_MAX 512

/*
 * The session the middleware loaded, for the handler that follows on the
 * same thread. A worker reuses its request struct, so the request's
 * random id (not its address) tells whether the value is this request's.
 */
static _Thread_local struct {
	char req_id[40];
	struct admin_session *s;
} current;

static void
current_set(const struct http_request *req, struct admin_session *s)
{
	current.s = s;
	if (s == NULL ||
	    !pt_strlcpy(current.req_id, req->id, sizeof(current.req_id)))
		current.req_id[0] = '\0';
}

struct admin_session *
web_admin_session(struct web_ctx *ctx)
{
	if (current.s == NULL || current.req_id[0] == '\0' ||
	    strcmp(current.req_id, ctx->req->id) != 0)
		return NULL;
	return current.s;
}

const char *
web_admin_field(struct web_ctx *ctx, const char *name)
{
	struct strv v;

	if (!http_request_form(ctx->req, name, &v))
		return "";
	return v.p;
}

static void
not_found(struct web_ctx *ctx, struct perr *err)
{
	/* Word for word what the router says for an unknown path. */
	perr_set(err, ctx->req->arena, PERR_NOTFOUND, "no such page");
}

/* ---- the gate -------------------------------------------------------- */

static int
render_login(struct web_ctx *ctx, int status, struct strv key,
             const char *login, const char *error_key, struct perr *err)
{
	struct tmpl_dict *d;

	d = web_page_dict(ctx, i18n_get(ctx->lang, "L_ADMIN_LOGIN_TITLE"));
	tmpl_dict_set(d, "KEY", key);
	tmpl_dict_set_cstr(d, "LOGIN", login);
	if (error_key != NULL)
		tmpl_dict_set_value_and_show_section(
		        d, "TEXT",
		        strv_from_cstr(i18n_get(ctx->lang, error_key)),
		        "ERROR");
	if (ctx->config->security.admin_totp[0] != '\0')
		tmpl_dict_show_section(d, "TOTP");
	return web_render_page(ctx, status, "admin/login.tpl", d, err);
}

/*
 * True if key opens the panel for this client. A store failure counts as
 * a miss (logged): the gate's answer must not change shape with it.
 */
static bool
gate_pass(struct web_ctx *ctx, struct strv key)
{
	unsigned window = ctx->config->ratelimit.login_window_seconds;
	unsigned n = 0;
	struct perr e = {0};
	struct store *st;
	const char *rl_key;

	if (!admin_panel_enabled(ctx->config) || key.len == 0 ||
	    key.len > FIELD_MAX)
		return false;
	st = web_store(ctx, &e);
	rl_key = store_ratelimit_key(ctx->req->arena, "admin-gate", "ip",
	                             ctx->req->remote_addr);
	if (st == NULL || rl_key == NULL ||
	    store_ratelimit_check(st, rl_key, window, pt_now_unix(), &n,
	                          ctx->req->arena, &e) != 0) {
		log_error("admin gate: %s", e.msg != NULL ? e.msg : "no store");
		return false;
	}
	if (n >= ctx->config->ratelimit.login_max_failures)
		return false;
	if (admin_key_verify(ctx->config, key))
		return true;
	if (store_ratelimit_hit(st, rl_key, window, pt_now_unix(), &n,
	                        ctx->req->arena, &e) != 0)
		log_error("cannot count an admin gate miss: %s", e.msg);
	return false;
}

int
web_admin_gate(struct web_ctx *ctx, bool *handled_r, struct perr *err)
{
	struct strv key = http_request_first_query_key(ctx->req);

	*handled_r = false;
	if (key.p == NULL || !gate_pass(ctx, key))
		return 0;
	*handled_r = true;
	return render_login(ctx, 200, key, "", NULL, err);
}

/* ---- middleware ------------------------------------------------------ */

int
web_admin_middleware(struct web_ctx *ctx, unsigned flags, struct perr *err)
{
	struct admin_session *s = NULL;
	struct strv cookie, token;
	struct store *st;
	struct perr e = {0};
	char *tag;

	current_set(ctx->req, NULL);
	if (!admin_panel_enabled(ctx->config) ||
	    !http_request_cookie(ctx->req, ADMIN_COOKIE, &cookie)) {
		not_found(ctx, err);
		return -1;
	}
	st = web_store(ctx, err);
	if (st == NULL)
		return -1;
	if (admin_session_load(st, cookie, pt_now_unix(), ctx->req->arena, &s,
	                       &e) != 0) {
		if (e.kind != PERR_AUTH) {
			*err = e;
			return -1;
		}
		not_found(ctx, err);
		return -1;
	}
	/* New credentials (a rename, a new password) end older sessions. */
	tag = admin_cred_tag(ctx->config, ctx->req->arena);
	if (tag == NULL || strcmp(s->cred_tag, tag) != 0 ||
	    strcmp(s->admin, ctx->config->security.admin_login) != 0) {
		not_found(ctx, err);
		return -1;
	}
	if (flags & ROUTE_CSRF) {
		if (!http_request_form(ctx->req, "csrf", &token) &&
		    !http_request_header(ctx->req, SESSION_CSRF_HEADER, &token))
			token = STRV_NULL;
		if (token.p == NULL || !admin_session_csrf_ok(s, token)) {
			ctx->error_key = "L_ERROR_CSRF";
			return perr_set(err, ctx->req->arena, PERR_FORBIDDEN,
			                "missing or wrong admin CSRF token");
		}
	}
	log_set_context(ctx->req->id, ctx->req->remote_addr, s->admin);
	current_set(ctx->req, s);
	return 0;
}

/* ---- shared helpers -------------------------------------------------- */

struct tmpl_dict *
web_admin_page_dict(struct web_ctx *ctx, const char *title_key, const char *nav)
{
	struct admin_session *s = web_admin_session(ctx);
	struct tmpl_dict *d;
	char *sec;

	d = web_page_dict(ctx, i18n_get(ctx->lang, title_key));
	tmpl_dict_set_template_global(d, "CSRF",
	                              strv_from_cstr(s != NULL ? s->csrf : ""));
	tmpl_dict_set_template_global(
	        d, "ADMIN_USER", strv_from_cstr(s != NULL ? s->admin : ""));
	tmpl_dict_set_template_global(d, "ADMIN_VERSION",
	                              STRV_LIT(PETREL_VERSION));
	sec = arena_printf(ctx->req->arena, "NAV_%s", nav);
	if (sec != NULL) {
		char *p;

		for (p = sec; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		tmpl_dict_show_template_global_section(d, sec);
	}
	tmpl_dict_add_include(d, "ADMIN_NAV", "admin/nav.tpl");
	if (http_request_query(ctx->req, "saved", &(struct strv){0}))
		tmpl_dict_show_section(d, "SAVED");
	return d;
}

void
web_admin_audit(struct web_ctx *ctx, const char *action, const char *fmt, ...)
{
	struct admin_session *s = web_admin_session(ctx);
	struct perr e = {0};
	struct store *st;
	va_list ap;
	char *detail;

	va_start(ap, fmt);
	detail = arena_vprintf(ctx->req->arena, fmt, ap);
	va_end(ap);
	st = web_store(ctx, &e);
	if (st == NULL ||
	    store_audit_append(
	            st, pt_now_unix(),
	            s != NULL ? s->admin : ctx->config->security.admin_login,
	            ctx->req->remote_addr, action, detail != NULL ? detail : "",
	            ctx->req->arena, &e) != 0)
		log_error("cannot write the audit log: %s", e.msg);
	log_info("admin %s: %s", action, detail != NULL ? detail : "");
}

int
web_admin_apply(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = arena_create("admin-reload", 4096, 0);
	int r = web_app_reload(ctx->app, a, err);

	if (r != 0)
		err->msg = arena_strdup(ctx->req->arena, err->msg);
	arena_destroy(&a);
	return r;
}

int
web_admin_redirect(struct web_ctx *ctx, const char *location, struct perr *err)
{
	if (http_response_redirect(ctx->resp, 303, location) != 0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot redirect to %s", location);
	return 0;
}

/* ---- sign-in and sign-out -------------------------------------------- */

static int
login_refused(struct web_ctx *ctx, struct store *st, const char *rl_key,
              struct strv key, const char *user, struct perr *err)
{
	unsigned n = 0;
	struct perr e = {0};

	/* The fail2ban line: keep its shape stable. */
	log_warn("admin auth failed: ip=%s user=%s", ctx->req->remote_addr,
	         user);
	if (store_ratelimit_hit(st, rl_key,
	                        ctx->config->ratelimit.login_window_seconds,
	                        pt_now_unix(), &n, ctx->req->arena, &e) != 0)
		log_error("cannot count a failed admin sign-in: %s", e.msg);
	return render_login(ctx, 401, key, user, "L_ADMIN_LOGIN_WRONG", err);
}

/*
 * A key still in the older PBKDF2 form (an install from before the HMAC
 * form; its clear value is not on the server) is stored again as an HMAC
 * once the admin has signed in with it: from then on the gate costs one
 * HMAC. A failure only leaves the slower form in place.
 */
static void
key_upgrade(struct web_ctx *ctx, struct strv key)
{
	struct admin_setting set = {"admin_panel", "key", NULL, 0};
	struct perr e = {0};
	char *hash = NULL;

	if (!admin_key_hash_is_legacy(ctx->config->admin_panel.key))
		return;
	if (admin_hash(ADMIN_HASH_KEY, key, ctx->req->arena, &hash, &e) == 0) {
		set.value = hash;
		if (admin_app_settings_write(&ctx->config->paths, &set, 1,
		                             ctx->req->arena, &e) == 0 &&
		    web_admin_apply(ctx, &e) == 0) {
			log_info("admin panel key now stored as an HMAC "
			         "(was PBKDF2)");
			return;
		}
	}
	log_warn("cannot store the admin key in its HMAC form: %s", e.msg);
}

/* Too many failures from this address: 429 with Retry-After. */
static int
locked_out(struct web_ctx *ctx, struct strv key, const char *user,
           unsigned window, struct perr *err)
{
	char retry[24];

	log_warn("admin auth locked out: ip=%s user=%s", ctx->req->remote_addr,
	         user);
	if (pt_snprintf_ok(retry, sizeof(retry), "%u", window))
		(void)http_response_set_header(ctx->resp, "Retry-After", retry);
	return render_login(ctx, 429, key, user, "L_ADMIN_LOCKED", err);
}

int
web_admin_login(struct web_ctx *ctx, struct perr *err)
{
	struct strv key = STRV_NULL, login = STRV_NULL, pw = STRV_NULL,
	            totp = STRV_NULL;
	unsigned window = ctx->config->ratelimit.login_window_seconds;
	unsigned max = ctx->config->ratelimit.login_max_failures, n = 0;
	struct http_cookie_opts co = {0};
	struct store *st;
	const char *rl_key, *user;
	char *cookie, *csrf;
	bool ok;

	(void)http_request_form(ctx->req, "key", &key);
	if (!gate_pass(ctx, key)) {
		not_found(ctx, err);
		return -1;
	}
	(void)http_request_form(ctx->req, "login", &login);
	(void)http_request_form(ctx->req, "password", &pw);
	(void)http_request_form(ctx->req, "totp", &totp);
	login = strv_trim(login);
	user = strv_has_ctl(login, false) || login.len > FIELD_MAX
	               ? "?"
	               : strv_dup(ctx->req->arena, login);
	st = web_store(ctx, err);
	rl_key = store_ratelimit_key(ctx->req->arena, "admin", "ip",
	                             ctx->req->remote_addr);
	if (st == NULL || rl_key == NULL || user == NULL)
		return -1;
	if (store_ratelimit_check(st, rl_key, window, pt_now_unix(), &n,
	                          ctx->req->arena, err) != 0)
		return -1;
	if (n >= max)
		return locked_out(ctx, key, user, window, err);
	if (pw.len > FIELD_MAX)
		pw.len = FIELD_MAX; /* still hashed: same cost */
	ok = admin_login_verify(ctx->config, login, pw);
	if (ctx->config->security.admin_totp[0] != '\0')
		ok = admin_totp_verify(ctx->config->security.admin_totp, totp,
		                       pt_now_unix()) &&
		     ok &&
		     admin_totp_verify_once(
		             st, ctx->config->security.admin_totp, totp,
		             pt_now_unix(), ctx->req->arena);
	if (!ok)
		return login_refused(ctx, st, rl_key, key, user, err);

	if (store_ratelimit_reset(st, rl_key, ctx->req->arena, err) != 0)
		return -1;
	key_upgrade(ctx, key);
	if (admin_session_create(st, ctx->config->security.admin_login,
	                         admin_cred_tag(ctx->config, ctx->req->arena),
	                         ctx->req->remote_addr, pt_now_unix(),
	                         ctx->req->arena, &cookie, &csrf, err) != 0)
		return -1;
	co.path = ADMIN_PATH;
	co.secure = web_cookie_secure(ctx);
	co.samesite = HTTP_SAMESITE_STRICT;
	if (http_response_set_cookie(ctx->resp, ADMIN_COOKIE, cookie, &co) != 0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot set the admin cookie");
	web_admin_audit(ctx, "admin.login", "signed in");
	return web_admin_redirect(ctx, ADMIN_PATH "/", err);
}

int
web_admin_logout(struct web_ctx *ctx, struct perr *err)
{
	struct admin_session *s = web_admin_session(ctx);
	struct http_cookie_opts co = {0};
	struct store *st = web_store(ctx, err);

	if (st == NULL || s == NULL)
		return -1;
	web_admin_audit(ctx, "admin.logout", "signed out");
	if (admin_session_destroy(st, s->id_hash, ctx->req->arena, err) != 0)
		return -1;
	co.path = ADMIN_PATH;
	co.secure = web_cookie_secure(ctx);
	(void)http_response_delete_cookie(ctx->resp, ADMIN_COOKIE, &co);
	/* Back to the ordinary start page: the panel is hidden again. */
	return web_admin_redirect(ctx, "/", err);
}
