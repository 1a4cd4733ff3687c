/*
 * Sign-in and sign-out. Login checks the password against the user's own
 * IMAP server (Petrel has no user database), then starts a session whose
 * cookie carries the key to the sealed password.
 *
 * Brute force: failures count per client IP and per account in fixed
 * windows ([ratelimit] login_max_failures per login_window_seconds). Over
 * the limit the answer is 429 with Retry-After, before the mail server is
 * asked. Each failure is logged as "auth failed: ip=... user=..." so
 * fail2ban can block the address at the firewall.
 */
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "web_private.h"
#include "core/banned.h"

#define LOGIN_FIELD_MAX 512

static const char *
rl_key(struct web_ctx *ctx, const char *kind, const char *value)
{
	return store_ratelimit_key(ctx->req->arena, "login", kind, value);
}

/* 0: may try; -1: over the limit (err and Retry-After set). */
static int
rate_limit_check(struct web_ctx *ctx, struct store *st, const char *ip_key,
                 const char *user_key, struct perr *err)
{
	unsigned window = ctx->config->ratelimit.login_window_seconds;
	unsigned max = ctx->config->ratelimit.login_max_failures;
	unsigned n_ip = 0, n_user = 0;
	int64_t now = pt_now_unix();
	char retry[24];

	if (max == 0)
		return 0;
	if (store_ratelimit_check(st, ip_key, window, now, &n_ip,
	                          ctx->req->arena, err) != 0 ||
	    store_ratelimit_check(st, user_key, window, now, &n_user,
	                          ctx->req->arena, err) != 0)
		return -1;
	if (n_ip < max && n_user < max)
		return 0;
	/* Fixed windows: at worst the whole window is left. */
	if (pt_snprintf_ok(retry, sizeof(retry), "%u", window))
		(void)http_response_set_header(ctx->resp, "Retry-After", retry);
	ctx->error_key = "L_ERROR_RATE";
	log_warn("auth rate limited: ip=%s user=%s", ctx->req->remote_addr,
	         user_key + strlen("login:user:"));
	return perr_set(err, ctx->req->arena, PERR_RATE,
	                "too many failed sign-ins; try again later");
}

static void
count_failure(struct web_ctx *ctx, struct store *st, const char *ip_key,
              const char *user_key)
{
	unsigned window = ctx->config->ratelimit.login_window_seconds;
	unsigned n = 0;
	struct perr e = {0};

	if (store_ratelimit_hit(st, ip_key, window, pt_now_unix(), &n,
	                        ctx->req->arena, &e) != 0 ||
	    store_ratelimit_hit(st, user_key, window, pt_now_unix(), &n,
	                        ctx->req->arena, &e) != 0)
		log_error("cannot count a failed sign-in: %s", e.msg);
}

/* A string argument of Login as a view; false when not given. */
static bool
login_field(struct web_ctx *ctx, const char *name, struct strv *v_r)
{
	const char *v = web_arg_str(ctx, name);

	if (v == NULL)
		return false;
	*v_r = strv_from_cstr(v);
	return true;
}

/*
 * Check the password by logging in to IMAP. The logged-in connection comes
 * back in *c_r: once the session exists it becomes the session's first
 * pooled connection (one LOGIN per sign-in, not one for the check and
 * another for the first Folders call).
 */
static int
check_imap_login(struct web_ctx *ctx, const struct config_domain *dom,
                 const char *imap_user, const char *password,
                 struct imap_conn **c_r, struct perr *err)
{
	struct imap_conn *c = NULL;

	*c_r = NULL;
	if (imap_connect(dom, ctx->req->arena, &c, err) != 0)
		return -1;
	if (imap_login(c, imap_user, password, err) != 0) {
		imap_conn_destroy(&c);
		return -1;
	}
	*c_r = c;
	return 0;
}

/* One sign-in on its way: what was typed and the keys it counts under. */
struct login {
	struct strv login, password, user, domain, email;
	const char *ip_key, *user_key;
	struct store *st;
	struct imap_conn *conn; /* the checked connection, until pooled */
	bool remember;
};

/* A sign-in that fails after the password check closes its connection. */
static void
login_conn_close(void *arg)
{
	struct login *l = arg;

	if (l->conn != NULL) {
		imap_logout(l->conn);
		imap_conn_destroy(&l->conn);
	}
}

/* The typed address and password: present, sane, split by domain. */
static int
login_input(struct web_ctx *ctx, struct login *l, struct perr *err)
{
	if (!login_field(ctx, "email", &l->login) ||
	    !login_field(ctx, "password", &l->password)) {
		ctx->error_key = "L_LOGIN_EMPTY";
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "expected {\"email\", \"password\"}");
	}
	l->login = strv_trim(l->login);
	if (l->login.len == 0 || l->password.len == 0) {
		ctx->error_key = "L_LOGIN_EMPTY";
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "email and password are required");
	}
	if (l->login.len > LOGIN_FIELD_MAX ||
	    l->password.len > LOGIN_FIELD_MAX ||
	    strv_has_ctl(l->login, false) || strv_has_ctl(l->password, true) ||
	    !codec_utf8_valid(l->login)) {
		ctx->error_key = "L_LOGIN_WRONG";
		return perr_set(err, ctx->req->arena, PERR_AUTH,
		                "unusable email or password");
	}
	/* Anything but true is "no", as it always was. */
	l->remember = json_is_true(web_arg_json(ctx, "remember"));
	if (config_login_split(ctx->config, l->login, ctx->req->arena, &l->user,
	                       &l->domain, &l->email, err) != 0) {
		ctx->error_key = "L_LOGIN_WRONG";
		err->kind = PERR_AUTH;
		return -1;
	}
	return 0;
}

/* The rate limits by IP and by account. */
static int
login_limits(struct web_ctx *ctx, struct login *l, struct perr *err)
{
	if ((l->st = web_store(ctx, err)) == NULL)
		return -1;
	l->ip_key = rl_key(ctx, "ip", ctx->req->remote_addr);
	l->email.p = strv_dup(ctx->req->arena, l->email);
	if (l->email.p == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	l->user_key = rl_key(ctx, "user", l->email.p);
	if (l->ip_key == NULL || l->user_key == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	return rate_limit_check(ctx, l->st, l->ip_key, l->user_key, err);
}

/*
 * The password was right: a plugin (two-factor) may ask for a second
 * answer. A wrong one counts as a failed sign-in, so guessing codes meets
 * the same limits as guessing passwords.
 */
static int
login_second_factor(struct web_ctx *ctx, struct login *l, struct perr *err)
{
	/* Bounded and free of control characters by the route's spec. */
	const char *answer = web_arg_str(ctx, "second_factor");

	if (web_plugins_login_check(ctx, l->email.p, answer, err) == 0)
		return 0;
	if (err->kind == PERR_FORBIDDEN) {
		log_warn("auth failed: ip=%s user=%s reason=second-factor",
		         ctx->req->remote_addr, l->email.p);
		count_failure(ctx, l->st, l->ip_key, l->user_key);
	}
	return -1;
}

/* The domain allows it and its IMAP server takes the password. */
static int
login_verify(struct web_ctx *ctx, struct login *l, struct perr *err)
{
	const struct config_domain *dom =
	        config_domain_for(ctx->config, l->domain);
	const char *imap_user;
	char *pw;
	int rc;

	if (dom->disabled || !config_domain_allows(dom, l->email)) {
		log_warn("auth failed: ip=%s user=%s reason=domain-not-allowed",
		         ctx->req->remote_addr, l->email.p);
		count_failure(ctx, l->st, l->ip_key, l->user_key);
		ctx->error_key = "L_LOGIN_DOMAIN_DISABLED";
		return perr_set(err, ctx->req->arena, PERR_AUTH,
		                "sign-in for this domain is not allowed");
	}
	if (web_plugins_login_before(ctx, l->email.p, err) != 0)
		return -1;
	imap_user = config_domain_login(dom, false, l->email, ctx->req->arena);
	pw = strv_dup(ctx->req->arena, l->password);
	if (imap_user == NULL || pw == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	rc = check_imap_login(ctx, dom, imap_user, pw, &l->conn, err);
	OPENSSL_cleanse(pw, l->password.len);
	if (rc == 0) {
		arena_defer(ctx->req->arena, login_conn_close, l);
		return login_second_factor(ctx, l, err);
	}
	if (err->kind == PERR_AUTH || err->kind == PERR_INPUT) {
		/* The fail2ban line: keep its shape stable. */
		log_warn("auth failed: ip=%s user=%s", ctx->req->remote_addr,
		         l->email.p);
		count_failure(ctx, l->st, l->ip_key, l->user_key);
		ctx->error_key = "L_LOGIN_WRONG";
		err->kind = PERR_AUTH;
		err->msg = "wrong email address or password";
	} else {
		ctx->error_key = "L_LOGIN_SERVER_DOWN";
	}
	return -1;
}

/* A new session (a new id at every login) and its cookie. */
static int
login_start(struct web_ctx *ctx, struct login *l, const char **csrf_r,
            struct perr *err)
{
	struct http_cookie_opts cookie_opts = {0};
	struct session_opts opts;
	struct session *s;
	struct strv old;
	char *cookie, *csrf;
	const char *user_key;

	/* An old cookie (fixation) dies here. */
	if (http_request_cookie(ctx->req, web_session_cookie(ctx), &old) &&
	    web_session_load(ctx, err) == 0) {
		imap_pool_drop_session(ctx->app->imap_pool,
		                       ctx->session->id_hash);
		if (session_destroy(l->st, ctx->session, ctx->req->arena,
		                    err) != 0)
			return -1;
		ctx->session = NULL;
	}
	perr_clear(err);
	web_session_opts(ctx, l->remember, &opts);
	if (session_create(l->st, l->email.p, l->password,
	                   ctx->req->remote_addr, "", pt_now_unix(), &opts,
	                   ctx->req->arena, &s, &cookie, &csrf, err) != 0)
		return -1;
	/* The checked connection serves the session's first requests. */
	user_key = web_imap_user_key(ctx, l->email.p);
	if (user_key != NULL)
		imap_pool_bind(ctx->app->imap_pool, s->id_hash, user_key);
	(void)imap_pool_adopt(ctx->app->imap_pool, s->id_hash, &l->conn);
	if (store_ratelimit_reset(l->st, l->user_key, ctx->req->arena, err) !=
	    0)
		log_warn("cannot reset the sign-in counter: %s", err->msg);
	perr_clear(err);
	cookie_opts.secure = web_cookie_secure(ctx);
	cookie_opts.samesite = HTTP_SAMESITE_STRICT;
	if (l->remember)
		cookie_opts.max_age = (int64_t)opts.absolute_seconds;
	/* __Host- needs Secure and Path=/ (the default) and no Domain. */
	if (http_response_set_cookie(ctx->resp, web_session_cookie(ctx), cookie,
	                             &cookie_opts) != 0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot set the session cookie");
	/* A cookie of the plain name from before HTTPS is dead weight. */
	if (cookie_opts.secure &&
	    http_request_cookie(ctx->req, SESSION_COOKIE, &old))
		(void)http_response_delete_cookie(
		        ctx->resp, SESSION_COOKIE,
		        &(struct http_cookie_opts){0});
	*csrf_r = csrf;
	return 0;
}

int
web_api_login(struct web_ctx *ctx, struct perr *err)
{
	/* In the arena: the connection's cleanup runs at the request's end. */
	struct login *l = arena_new(ctx->req->arena, struct login);
	const char *csrf = NULL;

	if (l == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	if (login_input(ctx, l, err) != 0 || login_limits(ctx, l, err) != 0 ||
	    login_verify(ctx, l, err) != 0 ||
	    login_start(ctx, l, &csrf, err) != 0 ||
	    web_settings_login_lang(ctx, l->email.p, err) != 0)
		return -1;
	log_info("login: ip=%s user=%s", ctx->req->remote_addr, l->email.p);
	web_plugins_login_after(ctx, l->email.p);
	return web_reply_json(
	        ctx, json_pack("{ssss}", "csrf", csrf, "email", l->email.p),
	        err);
}

int
web_api_logout(struct web_ctx *ctx, struct perr *err)
{
	struct store *st = web_store(ctx, err);
	struct http_cookie_opts cookie_opts = {0};
	struct mail_session *ms;

	if (st == NULL || web_mail(ctx, &ms, err) != 0)
		return -1;
	imap_pool_drop_session(ctx->app->imap_pool, ctx->session->id_hash);
	mail_uploads_sweep(ms, ctx->session->id_hash);
	/*
	 * The browser forgets the cookie even when the store cannot delete
	 * the session (a full disk: 507), so signing out on a shared
	 * computer still signs out there.
	 */
	cookie_opts.secure = web_cookie_secure(ctx);
	(void)http_response_delete_cookie(ctx->resp, web_session_cookie(ctx),
	                                  &cookie_opts);
	if (session_destroy(st, ctx->session, ctx->req->arena, err) != 0)
		return -1;
	log_info("logout: user=%s", ctx->session->user);
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_session(struct web_ctx *ctx, struct perr *err)
{
	char *csrf = session_csrf_token(ctx->session, ctx->req->arena);
	json_t *settings = web_settings(ctx);

	web_settings_use_lang(ctx, settings);
	if (csrf == NULL) {
		json_decref(settings);
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	}
	return web_reply_json(
	        ctx,
	        json_pack("{sssssssoso}", "email", ctx->session->user, "csrf",
	                  csrf, "lang", i18n_code(ctx->lang), "filters",
	                  web_filters_flags(ctx), "settings", settings),
	        err);
}
