/*
 * SearchAll and SearchAllCancel (docs/API.md): one search over every
 * subscribed, selectable folder (imap/searchall.c does the IMAP work).
 *
 * Paging is stable: the per-folder results of a search (sorted UIDs, the
 * dates fetched so far and the merged order) stay with the session for
 * SA_TTL_S, one search per session, so page 2 neither searches again nor
 * reorders what page 1 showed. A new search (refresh, or other text)
 * replaces it.
 *
 * Cancelling: each session has a search generation. A new search or
 * SearchAllCancel moves it; a running search checks it before each
 * folder and stops there (the folders not started are "skipped"), so an
 * abandoned search costs at most the folders already running.
 */
#include <pthread.h>
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

/*
 * Sessions with a kept search. A kept search holds at most the cap's UIDs
 * and dates per folder (12 KB for 1000), so even 200 folders full of
 * matches stay under 2.4 MB each; the least recently used goes first.
 */
#define SA_SESSIONS_MAX 64
#define SA_TTL_S 120 /* a kept search's life after its last use */
/*
 * Extra pooled connections a search may use besides the request's own;
 * only free ones are taken (imap_pool_try_checkout), and the pool's
 * per-session limit (3) bounds it anyway, far below Dovecot's
 * mail_max_userip_connections (10).
 */
#define SA_MAX_EXTRA 3

struct sa_slot {
	char *key; /* the session's id hash (malloc); NULL: free */
	uint64_t gen;
	struct imap_sa *s; /* NULL: none kept (or in use by a request) */
	char *query;       /* the search text s answers (malloc) */
	int64_t used;
};

static pthread_mutex_t sa_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sa_slot sa_slots[SA_SESSIONS_MAX];

static void
slot_clear_search(struct sa_slot *sl)
{
	imap_sa_destroy(&sl->s);
	free(sl->query);
	sl->query = NULL;
}

/* The session's slot, made (evicting the least recently used) if new. */
static struct sa_slot *
slot_for(const char *key, int64_t now)
{
	struct sa_slot *free_sl = NULL, *old = NULL;
	size_t i;

	for (i = 0; i < SA_SESSIONS_MAX; i++) {
		struct sa_slot *sl = &sa_slots[i];

		if (sl->key != NULL && strcmp(sl->key, key) == 0)
			return sl;
		if (sl->key != NULL && sl->s != NULL &&
		    now - sl->used > SA_TTL_S)
			slot_clear_search(sl);
		if (sl->key == NULL && free_sl == NULL)
			free_sl = sl;
		if (sl->key != NULL && (old == NULL || sl->used < old->used))
			old = sl;
	}
	if (free_sl == NULL) {
		free_sl = old;
		slot_clear_search(free_sl);
		free(free_sl->key);
	}
	free_sl->key = pt_xstrdup(key);
	free_sl->gen = 0;
	free_sl->used = now;
	return free_sl;
}

/* A new generation: whatever runs for the session stops. */
static uint64_t
sa_begin(const char *key, int64_t now)
{
	struct sa_slot *sl;
	uint64_t gen;

	pthread_mutex_lock(&sa_lock);
	sl = slot_for(key, now);
	gen = ++sl->gen;
	sl->used = now;
	pthread_mutex_unlock(&sa_lock);
	return gen;
}

/* The kept search for query, taken out (one request uses it at a time). */
static struct imap_sa *
sa_take(const char *key, const char *query, int64_t now)
{
	struct sa_slot *sl;
	struct imap_sa *s = NULL;

	pthread_mutex_lock(&sa_lock);
	sl = slot_for(key, now);
	if (sl->s != NULL && sl->query != NULL &&
	    strcmp(sl->query, query) == 0 && now - sl->used <= SA_TTL_S) {
		s = sl->s;
		sl->s = NULL;
	}
	sl->used = now;
	pthread_mutex_unlock(&sa_lock);
	return s;
}

/* Keep s for the next page, unless a newer search started meanwhile. */
static void
sa_put(const char *key, const char *query, struct imap_sa *s, uint64_t gen,
       int64_t now)
{
	struct sa_slot *sl;

	pthread_mutex_lock(&sa_lock);
	sl = slot_for(key, now);
	if (sl->gen == gen) {
		slot_clear_search(sl);
		sl->s = s;
		sl->query = pt_xstrdup(query);
		sl->used = now;
		s = NULL;
	}
	pthread_mutex_unlock(&sa_lock);
	imap_sa_destroy(&s);
}

struct sa_cancel {
	const char *key;
	uint64_t gen;
};

static bool
sa_cancelled(void *arg)
{
	const struct sa_cancel *c = arg;
	bool moved = true;
	size_t i;

	pthread_mutex_lock(&sa_lock);
	for (i = 0; i < SA_SESSIONS_MAX; i++) {
		if (sa_slots[i].key != NULL &&
		    strcmp(sa_slots[i].key, c->key) == 0) {
			moved = sa_slots[i].gen != c->gen;
			break;
		}
	}
	pthread_mutex_unlock(&sa_lock);
	return moved;
}

/* The generation a kept search belongs to (taken with it). */
static uint64_t
sa_gen(const char *key)
{
	uint64_t gen = 0;
	size_t i;

	pthread_mutex_lock(&sa_lock);
	for (i = 0; i < SA_SESSIONS_MAX; i++) {
		if (sa_slots[i].key != NULL &&
		    strcmp(sa_slots[i].key, key) == 0)
			gen = sa_slots[i].gen;
	}
	pthread_mutex_unlock(&sa_lock);
	return gen;
}

/*
 * Credentials for the extra connections, read once by the request's
 * thread: the pool may call this from the search's worker threads, which
 * must not touch the request context.
 */
struct sa_cred {
	const struct config_domain *dom;
	const char *user, *password;
};

static int
fixed_credentials(void *arg, struct arena *a,
                  const struct config_domain **dom_r, const char **user_r,
                  const char **password_r, struct perr *err)
{
	const struct sa_cred *cr = arg;

	(void)a;
	(void)err;
	*dom_r = cr->dom;
	*user_r = cr->user;
	*password_r = cr->password;
	return 0;
}

static const char *
state_name(enum imap_sa_state st)
{
	switch (st) {
	case IMAP_SA_DONE:
		return "ok";
	case IMAP_SA_FAILED:
		return "failed";
	case IMAP_SA_SKIPPED:
		return "skipped";
	case IMAP_SA_PENDING:
		break;
	}
	return "pending";
}

/* A new search of every folder the scope covers. */
static int
run_search(struct web_ctx *ctx, struct imap_conn *c, const char *rest,
           unsigned in, size_t want_dates, uint64_t gen, struct imap_sa **s_r,
           struct imap_sa_run_stats *st, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct imap_folder *f;
	const char **paths;
	size_t nf, np;
	struct sa_cred *cr = arena_new(a, struct sa_cred);
	struct sa_cancel *cancel = arena_new(a, struct sa_cancel);
	struct imap_sa_run_opts o = {0};

	if (cr == NULL || cancel == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if (imap_folders(c, a, &f, &nf, err) != 0)
		return -1;
	np = imap_sa_pick_folders(f, nf, in, a, &paths);
	if (web_session_credentials(ctx, a, &cr->dom, &cr->user, &cr->password,
	                            err) != 0)
		return -1;
	cancel->key = ctx->session->id_hash;
	cancel->gen = gen;
	o.pool = ctx->app->imap_pool;
	o.session_key = ctx->session->id_hash;
	o.cred = fixed_credentials;
	o.cred_ctx = cr;
	o.max_extra = SA_MAX_EXTRA;
	o.want_dates = want_dates;
	o.cancelled = sa_cancelled;
	o.cancel_arg = cancel;
	*s_r = imap_sa_create(paths, np, rest, IMAP_SA_CAP_DEFAULT);
	imap_sa_run(c, *s_r, &o, st);
	return 0;
}

int
web_api_search_all(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	const char *query = web_arg_str(ctx, "search");
	size_t offset = (size_t)web_arg_int(ctx, "offset", 0);
	size_t limit = (size_t)web_arg_int(
	        ctx, "limit", ctx->config->webmail.messages_per_page);
	const char *key = ctx->session->id_hash;
	int64_t now = pt_now_unix();
	struct imap_sa_run_stats st = {1, false};
	struct imap_search parsed;
	struct imap_sa *s;
	struct imap_sa_row *rows;
	struct imap_conn *c;
	const char *rest;
	unsigned in;
	uint64_t gen;
	uint64_t matches = 0, pageable = 0;
	size_t n, i;
	bool reused = false;
	json_t *folders, *msgs, *res;

	if (limit == 0)
		limit = ctx->config->webmail.messages_per_page;
	if (imap_sa_scope(strv_from_cstr(query), a, &rest, &in, err) != 0 ||
	    imap_search_parse(strv_from_cstr(rest), a, &parsed, err) != 0)
		return -1;
	if (parsed.n == 0)
		return perr_set(err, a, PERR_INPUT,
		                "search: nothing to search for");
	if (web_imap(ctx, &c, err) != 0)
		return -1;
	s = web_arg_bool(ctx, "refresh") ? NULL : sa_take(key, query, now);
	if (s != NULL) {
		reused = true;
		gen = sa_gen(key);
	} else {
		gen = sa_begin(key, now);
		if (run_search(ctx, c, rest, in, offset + limit, gen, &s, &st,
		               err) != 0)
			return -1;
	}
	if (imap_sa_page(c, s, offset, limit, a, &rows, &n, err) != 0) {
		imap_sa_destroy(&s);
		return -1;
	}
	folders = json_array();
	for (i = 0; i < s->n_folders; i++) {
		const struct imap_sa_folder *f = &s->folders[i];
		json_t *fj = json_pack("{sssssI}", "folder", f->path, "status",
		                       state_name(f->state), "count",
		                       (json_int_t)f->count);

		if (f->error != NULL && fj != NULL)
			json_object_set_new(fj, "error", json_string(f->error));
		json_array_append_new(folders, fj);
		matches += f->count;
		pageable += f->n;
	}
	if (pageable > s->cap)
		pageable = s->cap;
	msgs = json_array();
	for (i = 0; i < n; i++) {
		json_t *r = web_message_row_json(&rows[i].row);

		if (r != NULL)
			json_object_set_new(
			        r, "folder",
			        json_string(s->folders[rows[i].folder].path));
		json_array_append_new(msgs, r);
	}
	res = json_pack("{sssIsIsIsIsbsIsbsbsisoso}", "search", query, "offset",
	                (json_int_t)offset, "limit", (json_int_t)limit, "total",
	                (json_int_t)pageable, "matches", (json_int_t)matches,
	                "capped", matches > s->cap, "cap", (json_int_t)s->cap,
	                "cancelled", st.cancelled, "reused", reused,
	                "connections", (int)st.connections, "folders", folders,
	                "messages", msgs);
	/* A cancelled search is not kept: the next one starts afresh. */
	if (st.cancelled)
		imap_sa_destroy(&s);
	else
		sa_put(key, query, s, gen, now);
	return web_reply_json(ctx, res, err);
}

int
web_api_search_all_cancel(struct web_ctx *ctx, struct perr *err)
{
	(void)sa_begin(ctx->session->id_hash, pt_now_unix());
	return web_reply_json(ctx, json_object(), err);
}
