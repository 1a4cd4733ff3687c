/*
 * Session middleware: the store connection of this thread, loading the
 * session from its cookie, the CSRF check and the per-request IMAP
 * connection from the pool.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>

#include "web_private.h"
#include "core/banned.h"

/*
 * One sqlite connection per worker thread (sqlite connections must not be
 * shared between threads without serialising them), closed when the
 * thread exits so that shutdown leaves nothing open.
 */
static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;

static void
store_key_destroy(void *p)
{
	struct store *st = p;

	store_close(&st);
}

static void
store_key_init(void)
{
	if (pthread_key_create(&store_key, store_key_destroy) != 0)
		fatal("pthread_key_create failed");
}

struct store *
web_store(struct web_ctx *ctx, struct perr *err)
{
	struct store *st;

	pthread_once(&store_key_once, store_key_init);
	st = pthread_getspecific(store_key);
	if (st != NULL)
		return st;
	if (store_open(ctx->config->paths.db_path, &st, ctx->req->arena, err) !=
	    0)
		return NULL;
	if (pthread_setspecific(store_key, st) != 0) {
		store_close(&st);
		perr_set(err, ctx->req->arena, PERR_INTERNAL,
		         "pthread_setspecific failed");
		return NULL;
	}
	return st;
}

void
web_session_opts(const struct web_ctx *ctx, bool remember,
                 struct session_opts *o)
{
	o->idle_seconds = ctx->config->security.session_idle_minutes * 60u;
	o->absolute_seconds =
	        ctx->config->security.session_absolute_hours * 3600u;
	o->remember = remember;
}

int
web_session_load(struct web_ctx *ctx, struct perr *err)
{
	struct strv cookie;
	struct store *st;

	if (!http_request_cookie(ctx->req, web_session_cookie(ctx), &cookie))
		return perr_set(err, ctx->req->arena, PERR_AUTH,
		                "not signed in");
	st = web_store(ctx, err);
	if (st == NULL)
		return -1;
	if (session_load(st, cookie, pt_now_unix(), ctx->req->arena,
	                 &ctx->session, err) != 0) {
		if (err->kind == PERR_AUTH)
			ctx->error_key = "L_ERROR_SESSION_EXPIRED";
		return -1;
	}
	log_set_context(ctx->req->id, ctx->req->remote_addr,
	                ctx->session->user);
	return 0;
}

int
web_csrf_check(struct web_ctx *ctx, struct perr *err)
{
	struct strv token = STRV_NULL;

	if (ctx->session == NULL ||
	    !http_request_header(ctx->req, SESSION_CSRF_HEADER, &token) ||
	    !session_csrf_ok(ctx->session, token)) {
		ctx->error_key = "L_ERROR_CSRF";
		return perr_set(err, ctx->req->arena, PERR_FORBIDDEN,
		                "missing or wrong %s header",
		                SESSION_CSRF_HEADER);
	}
	return 0;
}

struct secret_wipe {
	char *p;
	size_t n;
};

static void
wipe_secret(void *arg)
{
	struct secret_wipe *w = arg;

	OPENSSL_cleanse(w->p, w->n);
}

int
web_session_credentials(struct web_ctx *ctx, struct arena *a,
                        const struct config_domain **dom_r, const char **user_r,
                        const char **password_r, struct perr *err)
{
	struct strv user, domain, email;
	struct sbuf pw;
	const struct config_domain *dom;
	struct secret_wipe *wipe;
	char *copy;

	if (ctx->session == NULL)
		return perr_set(err, a, PERR_AUTH, "not signed in");
	if (config_login_split(ctx->config, strv_from_cstr(ctx->session->user),
	                       a, &user, &domain, &email, err) != 0)
		return -1;
	dom = config_domain_for(ctx->config, domain);
	if (dom->disabled)
		return perr_set(err, a, PERR_AUTH, "domain disabled");
	sbuf_init(&pw, NULL, 0, 4096);
	pw.secret = 1;
	if (session_password(ctx->session, &pw, err) != 0) {
		sbuf_free(&pw);
		return -1;
	}
	copy = arena_strndup(a, sbuf_cstr(&pw), pw.len);
	wipe = arena_new(a, struct secret_wipe);
	if (copy == NULL || wipe == NULL) {
		sbuf_free(&pw);
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	}
	/* The copy lives in the request arena: wipe it when the request ends.
	 */
	wipe->p = copy;
	wipe->n = pw.len;
	arena_defer(a, wipe_secret, wipe);
	sbuf_free(&pw);
	*dom_r = dom;
	*user_r = config_domain_login(dom, false,
	                              strv_from_cstr(ctx->session->user), a);
	*password_r = copy;
	return 0;
}

const struct config_domain *
web_user_domain(struct web_ctx *ctx)
{
	struct strv user, domain, email;
	struct perr err = {0};

	if (ctx->session == NULL ||
	    config_login_split(ctx->config, strv_from_cstr(ctx->session->user),
	                       ctx->req->arena, &user, &domain, &email,
	                       &err) != 0)
		return ctx->config->default_domain;
	return config_domain_for(ctx->config, domain);
}

/* What the pool needs to open a connection for this session. */
static int
session_credentials(void *arg, struct arena *a,
                    const struct config_domain **dom_r, const char **user_r,
                    const char **password_r, struct perr *err)
{
	return web_session_credentials(arg, a, dom_r, user_r, password_r, err);
}

struct imap_checkout {
	struct imap_pool *pool;
	struct imap_conn *conn;
};

static void
checkin_at_end(void *arg)
{
	struct imap_checkout *co = arg;

	imap_pool_checkin(co->pool, &co->conn);
}

void
web_imap_release(struct web_ctx *ctx)
{
	struct imap_checkout *co = ctx->imap_checkout;

	if (co != NULL)
		imap_pool_checkin(co->pool, &co->conn);
	ctx->imap_checkout = NULL;
	ctx->imap = NULL;
}

const char *
web_imap_user_key(struct web_ctx *ctx, const char *user)
{
	const struct config_domain *dom;
	struct strv login, domain, email;
	struct perr err = {0};

	if (user == NULL ||
	    config_login_split(ctx->config, strv_from_cstr(user),
	                       ctx->req->arena, &login, &domain, &email,
	                       &err) != 0)
		return NULL;
	dom = config_domain_for(ctx->config, domain);
	if (dom == NULL)
		return NULL;
	/* Length-prefixed: no host can pass for part of a login name. */
	return arena_printf(ctx->req->arena, "%zu:%s:%u %s",
	                    strlen(dom->imap_host), dom->imap_host,
	                    dom->imap_port, user);
}

int
web_imap(struct web_ctx *ctx, struct imap_conn **c_r, struct perr *err)
{
	const char *user_key;
	struct imap_checkout *co;

	if (ctx->imap != NULL && !imap_conn_is_broken(ctx->imap)) {
		*c_r = ctx->imap;
		return 0;
	}
	/*
	 * Broken during this request (connection lost, server gone): the
	 * failed step has answered for itself; the steps after it (Send's
	 * copy to Sent, the old draft's deletion) get a fresh connection.
	 * The broken one stays checked out until the request ends (its
	 * deferred checkin discards it): a caller may still hold it.
	 */
	ctx->imap = NULL;
	ctx->imap_checkout = NULL;
	if (ctx->session == NULL)
		return perr_set(err, ctx->req->arena, PERR_AUTH,
		                "not signed in");
	co = arena_new(ctx->req->arena, struct imap_checkout);
	if (co == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	co->pool = ctx->app->imap_pool;
	/* The user's sessions share its connections (and its cap). */
	user_key = web_imap_user_key(ctx, ctx->session->user);
	if (user_key != NULL)
		imap_pool_bind(co->pool, ctx->session->id_hash, user_key);
	if (imap_pool_checkout(co->pool, ctx->session->id_hash,
	                       session_credentials, ctx, ctx->req->arena,
	                       &co->conn, err) != 0) {
		if (err->kind == PERR_AUTH) {
			/* The password changed since login: sign in again. */
			ctx->error_key = "L_ERROR_SESSION_EXPIRED";
		}
		return -1;
	}
	/* Also at the end of an aborted request; a no-op once released. */
	arena_defer(ctx->req->arena, checkin_at_end, co);
	ctx->imap_checkout = co;
	ctx->imap = co->conn;
	*c_r = co->conn;
	return 0;
}
