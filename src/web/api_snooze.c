/*
 * Snooze (issue 17, docs/API.md): MessageSnooze moves messages to the
 * Snoozed folder until a time, MessageUnsnooze brings them back now, and
 * Snoozed lists what waits (the Snoozed view shows each wake time).
 *
 * The wake-up runs while the user is away: a core ticker (started by
 * `petrel serve`, web_snooze_start) claims due rows with a lease, opens
 * the password sealed for the row (session_seal_away, purpose "snooze"),
 * logs in on a connection of its own and runs mail_snooze_wake. A failed
 * try waits longer each time (SNOOZE_RETRY_MIN doubling up to
 * SNOOZE_RETRY_MAX); the row, and its sealed password, go when the
 * snooze ends. Time is web_outbox_now(), the outbox's clock (the real
 * one, which integration tests of a test build move).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

#define SNOOZE_PURPOSE "snooze"
/* A worker holds a row this long; far longer than one IMAP wake-up. */
#define SNOOZE_LEASE 600
#define SNOOZE_RETRY_MIN 60
#define SNOOZE_RETRY_MAX (6 * 3600)
/* The longest sleep: rows another process added wait at most this. */
#define SNOOZE_MAX_WAIT 30
/* Rows the Snoozed call lists. */
#define SNOOZE_LIST_MAX 1000

struct web_snooze {
	struct ticker *ticker;
	struct store *store; /* the worker thread's own connection */
	struct arena *a;
	char owner[96];
};

/* ---- the session side ------------------------------------------------- */

struct seal_ctx {
	struct web_ctx *ctx;
	const char *password;
	const char *key_path;
};

static int
seal_for_row(void *arg, int64_t row, struct arena *a, struct strv *sealed_r,
             struct perr *err)
{
	struct seal_ctx *sc = arg;

	return session_seal_away(
	        sc->key_path, SNOOZE_PURPOSE, sc->ctx->session->user, row,
	        strv_from_cstr(sc->password), sealed_r, a, err);
}

static int
seal_ctx_init(struct web_ctx *ctx, struct seal_ctx *sc, struct perr *err)
{
	const struct config_domain *dom;
	const char *login;

	sc->ctx = ctx;
	sc->key_path = session_away_key_path(ctx->config->paths.storage_dir,
	                                     ctx->req->arena);
	if (sc->key_path == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	/* The copy is wiped when the request's arena resets. */
	return web_session_credentials(ctx, ctx->req->arena, &dom, &login,
	                               &sc->password, err);
}

static void
kick_worker(struct web_ctx *ctx)
{
	if (ctx->app->snooze != NULL)
		ticker_kick(ctx->app->snooze->ticker);
}

int
web_api_message_snooze(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;
	struct seal_ctx sc;
	const char *snoozed;
	size_t n, done = 0;
	const uint32_t *uids = web_arg_uids(ctx, "uids", &n);
	int rc;

	if (web_mail(ctx, &ms, err) != 0 || seal_ctx_init(ctx, &sc, err) != 0)
		return -1;
	rc = mail_snooze(ms, web_arg_str(ctx, "folder"), uids, n,
	                 web_arg_int(ctx, "until", 0), web_outbox_now(),
	                 seal_for_row, &sc, &snoozed, &done, err);
	if (done > 0)
		kick_worker(ctx); /* its next due time may be sooner now */
	if (rc != 0)
		return -1;
	return web_reply_json(ctx,
	                      json_pack("{sIss}", "snoozed", (json_int_t)done,
	                                "folder", snoozed),
	                      err);
}

int
web_api_message_unsnooze(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;
	size_t n, done = 0;
	const uint32_t *uids = web_arg_uids(ctx, "uids", &n);

	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_unsnooze(ms, uids, n, web_outbox_now(), &done, err) != 0)
		return -1;
	return web_reply_json(
	        ctx, json_pack("{sI}", "unsnoozed", (json_int_t)done), err);
}

/*
 * Snoozed: the Snoozed folder and its rows. The user is here, so rows
 * that failed before (a changed password) get the session's password
 * sealed again, and the worker is asked to look.
 */
int
web_api_snoozed(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct mail_session *ms;
	struct store_snooze *v;
	struct seal_ctx sc;
	const char *folder;
	int64_t now = web_outbox_now();
	bool sealed = false, retry = false;
	json_t *list;
	size_t i, n;

	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_snooze_folder(ms, false, &folder, err) != 0 ||
	    store_snooze_list(ms->store, ctx->session->user, SNOOZE_LIST_MAX, a,
	                      &v, &n, err) != 0)
		return -1;
	list = json_array();
	for (i = 0; i < n; i++) {
		if (v[i].attempts > 0) {
			struct strv blob;

			if (!sealed && seal_ctx_init(ctx, &sc, err) != 0) {
				json_decref(list);
				return -1;
			}
			sealed = true;
			if (seal_for_row(&sc, v[i].id, a, &blob, err) != 0 ||
			    store_snooze_seal(ms->store, v[i].id, blob, a,
			                      err) != 0 ||
			    store_snooze_retry(ms->store, v[i].id,
			                       v[i].until > now ? v[i].until
			                                        : now,
			                       v[i].last_error, a, err) != 0) {
				json_decref(list);
				return -1;
			}
			retry = true;
		}
		if (folder == NULL || strcmp(v[i].folder, folder) != 0 ||
		    v[i].uid == 0)
			continue;
		json_array_append_new(
		        list, json_pack("{sIsIss}", "uid", (json_int_t)v[i].uid,
		                        "until", (json_int_t)v[i].until,
		                        "origin", v[i].origin));
	}
	if (retry)
		kick_worker(ctx);
	return web_reply_json(
	        ctx,
	        json_pack("{soso}", "folder",
	                  folder != NULL ? json_string(folder) : json_null(),
	                  "snoozes", list),
	        err);
}

/* ---- the worker ---------------------------------------------------------- */

static int64_t
snooze_clock(void *ctx)
{
	(void)ctx;
	return web_outbox_now();
}

/* How long the worker may sleep: every second while a test moves time. */
static int64_t
snooze_max_wait(void)
{
#ifdef PETREL_TEST_CLOCK
	const char *p = getenv("PETREL_TEST_CLOCK_FILE");

	if (p != NULL && p[0] != '\0')
		return 1;
#endif
	return SNOOZE_MAX_WAIT;
}

struct away_conn {
	struct imap_conn *c;
};

static int
away_imap(void *arg, struct imap_conn **c_r, struct perr *err)
{
	struct away_conn *ac = arg;

	(void)err;
	*c_r = ac->c;
	return 0;
}

/* Log in as r's user with the password sealed for r. */
static int
away_login(struct web_snooze *w, const struct config *cfg,
           const struct store_snooze *r, struct imap_conn **c_r,
           struct perr *err)
{
	struct strv user, domain, email;
	const struct config_domain *dom;
	struct sbuf pw;
	const char *key_path;
	int rc;

	*c_r = NULL;
	if (r->sealed.len == 0)
		return perr_set(err, w->a, PERR_AUTH, "no password sealed");
	if (config_login_split(cfg, strv_from_cstr(r->user), w->a, &user,
	                       &domain, &email, err) != 0)
		return -1;
	dom = config_domain_for(cfg, domain);
	if (dom->disabled)
		return perr_set(err, w->a, PERR_AUTH, "domain disabled");
	key_path = session_away_key_path(cfg->paths.storage_dir, w->a);
	sbuf_init(&pw, NULL, 0, 4096);
	pw.secret = 1;
	rc = session_open_away(key_path, SNOOZE_PURPOSE, r->user, r->id,
	                       r->sealed, &pw, w->a, err);
	if (rc == 0)
		rc = imap_connect(dom, w->a, c_r, err);
	if (rc == 0) {
		rc = imap_login(*c_r,
		                config_domain_login(dom, false,
		                                    strv_from_cstr(r->user),
		                                    w->a),
		                sbuf_cstr(&pw), err);
		if (rc != 0) /* err->msg is the connection's: keep a copy */
			err->msg = arena_strdup(w->a, err->msg);
	}
	sbuf_free(&pw);
	if (rc != 0)
		imap_conn_destroy(c_r);
	return rc;
}

static void
wake_one(struct web_snooze *w, const struct store_snooze *r, int64_t now)
{
	struct config *cfg = config_current();
	struct mail_session ms = {0};
	struct mail_real real = {0};
	struct away_conn ac = {0};
	struct perr err = {0};
	int64_t delay;
	int rc = -1;

	if (cfg == NULL) {
		perr_set(&err, w->a, PERR_INTERNAL, "no configuration");
	} else if (away_login(w, cfg, r, &ac.c, &err) == 0) {
		real.imap = away_imap;
		real.arg = &ac;
		ms.a = w->a;
		ms.ops = &mail_ops_real;
		ms.backend = &real;
		ms.store = w->store;
		ms.user = r->user;
		rc = mail_snooze_wake(&ms, r, now, &err);
		imap_logout(ac.c);
		imap_conn_destroy(&ac.c);
	}
	config_unref(&cfg);
	if (rc >= 0) {
		log_info("snooze: %s's message %s %s", r->user, r->message_id,
		         rc == 1 ? "back in INBOX" : "gone, snooze dropped");
		return;
	}
	delay = (int64_t)SNOOZE_RETRY_MIN
	        << (r->attempts < 12 ? r->attempts : 12);
	if (delay > SNOOZE_RETRY_MAX)
		delay = SNOOZE_RETRY_MAX;
	log_warn("snooze: waking %s's message %s failed (try %d, again in "
	         "%llds): %s",
	         r->user, r->message_id, r->attempts + 1, (long long)delay,
	         err.msg != NULL ? err.msg : "error");
	if (store_snooze_retry(w->store, r->id, now + delay,
	                       err.msg != NULL ? err.msg : "error", w->a,
	                       &err) != 0)
		log_warn("snooze: %s", err.msg);
}

static int64_t
snooze_pass(void *ctx, int64_t now)
{
	struct web_snooze *w = ctx;
	struct store_snooze r;
	struct perr err = {0};
	int64_t next = 0;
	int rc;

	for (;;) {
		arena_reset(w->a);
		rc = store_snooze_claim(w->store, w->owner, now, SNOOZE_LEASE,
		                        w->a, &r, &err);
		if (rc != 1)
			break;
		wake_one(w, &r, now);
	}
	if (rc < 0)
		log_warn("snooze: %s", err.msg != NULL ? err.msg : "error");
	arena_reset(w->a);
	if (store_snooze_next_due(w->store, &next, w->a, &err) != 1)
		next = 0;
	return next;
}

int
web_snooze_start(struct web_app *app, struct arena *a, struct perr *err)
{
	struct config *cfg = config_current();
	struct web_snooze *w;
	char host[64] = "";
	int rc;

	if (cfg == NULL)
		return perr_set(err, a, PERR_INTERNAL, "no configuration");
	w = pt_xcalloc(1, sizeof(*w));
	(void)gethostname(host, sizeof(host) - 1);
	if (!pt_snprintf_ok(w->owner, sizeof(w->owner), "%s:%ld", host,
	                    (long)getpid()))
		memcpy(w->owner, "petrel", sizeof("petrel"));
	w->a = arena_create("snooze", 16384, 0);
	rc = store_open(cfg->paths.db_path, &w->store, a, err);
	config_unref(&cfg);
	if (rc == 0)
		rc = ticker_start("snooze", snooze_pass, w, snooze_clock, NULL,
		                  snooze_max_wait(), &w->ticker, a, err);
	if (rc != 0) {
		store_close(&w->store);
		arena_destroy(&w->a);
		free(w);
		return -1;
	}
	app->snooze = w;
	return 0;
}

void
web_snooze_stop(struct web_app *app)
{
	struct web_snooze *w = app->snooze;

	if (w == NULL)
		return;
	ticker_stop(&w->ticker);
	store_close(&w->store);
	arena_destroy(&w->a);
	free(w);
	app->snooze = NULL;
}
