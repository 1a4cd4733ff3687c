/*
 * Undo send and send later (docs/API.md: Send with undoSeconds or sendAt,
 * SendCancel, Scheduled) and the process's outbox worker that sends them.
 *
 * A held or scheduled Send builds the message exactly as an immediate one
 * (mail_compose_prepare, mail_queue) and stores it as an outbox job: the
 * bytes, meta (envelope, Sent folder, the original to flag, the draft),
 * the compose state SendCancel gives back, and the user's password sealed
 * for that row under the server's job key (session_seal_away): the worker
 * runs without the user's cookie. The attachments' upload files are kept
 * as hard links under storage/outbox/ so that a cancel can turn them into
 * uploads again, whatever became of the session that uploaded them.
 *
 * The worker (one per process, outbox_worker on a core ticker) delivers a
 * due job through the same mail_queued_submit and mail_queued_after as an
 * immediate Send. The store's lease keeps several processes from sending
 * one job twice.
 *
 * Time comes from outbox_now(). Test builds (cmake -DPETREL_TEST_CLOCK=ON,
 * on by default only in Debug builds with tests, never in a Release or
 * the Debian package) also honour $PETREL_TEST_CLOCK_FILE: a file with a
 * number of seconds added to the real time, so integration tests move
 * Petrel's clock instead of sleeping; the worker then looks every second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <jansson.h>

#include "web_private.h"
#include "outbox/outbox.h"
#include "core/banned.h"

/* The purpose the sealed password is bound to (session_seal_away). */
#define OUTBOX_PURPOSE "outbox"
/* Far longer than any SMTP timeout: a live worker keeps its lease. */
#define OUTBOX_LEASE 600
/* A server that is down: look again after this long. */
#define OUTBOX_RETRY 60
/* After-send steps (IMAP down) are given up after this many tries. */
#define OUTBOX_AFTER_TRIES 30
/* SMTP down (retried every OUTBOX_RETRY s): given up after a day. */
#define OUTBOX_SEND_TRIES (86400 / OUTBOX_RETRY)
#define OUTBOX_MAX_UNDO 30
/* Send later: at most a year ahead. */
#define OUTBOX_MAX_AHEAD (366 * 86400)
#define OUTBOX_LIST_MAX 200

/* This process's worker (web_outbox_start); NULL when not running. */
static struct outbox_worker *worker;

/* ---- the clock -------------------------------------------------------- */

#ifdef PETREL_TEST_CLOCK
static const char *
test_clock_file(void)
{
	const char *p = getenv("PETREL_TEST_CLOCK_FILE");

	return p != NULL && p[0] != '\0' ? p : NULL;
}
#endif

int64_t
web_outbox_now(void)
{
	int64_t now = pt_now_unix();
#ifdef PETREL_TEST_CLOCK
	const char *path = test_clock_file();
	char buf[32];
	char *end;
	long long off;
	size_t n;
	FILE *f;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return now;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	errno = 0;
	off = strtoll(buf, &end, 10);
	if (errno == 0 && end != buf)
		now += (int64_t)off;
#endif
	return now;
}

static int64_t
clock_fn(void *ctx)
{
	(void)ctx;
	return web_outbox_now();
}

/* ---- files kept for a cancel ------------------------------------------ */

static char *
outbox_dir(const struct config *cfg, struct arena *a)
{
	return arena_printf(a, "%s/outbox", cfg->paths.storage_dir);
}

/* The path of a kept file; NULL for a name that is not ours (hex). */
static char *
kept_path(const struct config *cfg, const char *name, struct arena *a)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return NULL;
	for (i = 0; name[i] != '\0'; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return NULL;
	return arena_printf(a, "%s/outbox/%s", cfg->paths.storage_dir, name);
}

/* Remove the kept files a compose state or meta lists in "files". */
static void
drop_kept(const struct config *cfg, json_t *files, struct arena *a)
{
	size_t i;
	json_t *v;

	json_array_foreach(files, i, v)
	{
		char *p = kept_path(cfg, json_string_value(v), a);

		if (p != NULL && unlink(p) != 0 && errno != ENOENT)
			log_warn("outbox: cannot remove %s: %s", p,
			         strerror(errno));
	}
}

/* ---- Send: hold or schedule ------------------------------------------- */

static json_t *
strings_json(struct mail_strings l)
{
	json_t *v = json_array();
	size_t i;

	for (i = 0; v != NULL && i < l.n; i++)
		json_array_append_new(v, json_string(l.v[i]));
	return v;
}

static json_t *
ref_json(struct mail_ref r)
{
	if (r.folder == NULL)
		return json_null();
	return json_pack("{sssi}", "folder", r.folder, "uid", (int)r.uid);
}

static json_t *
opt_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/*
 * Keep the compose form's uploads as hard links under storage/outbox
 * (the same file system as storage/uploads) and list them in the compose
 * state's "attachments" and in files (names to remove when the job ends).
 */
static int
keep_uploads(struct web_ctx *ctx, struct mail_session *ms,
             const struct mail_compose *c, json_t *atts, json_t *files,
             struct perr *err)
{
	struct arena *a = ctx->req->arena;
	char *dir = outbox_dir(ctx->config, a);
	size_t i;

	if (dir == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return perr_set(err, a, perr_kind_of_errno(errno),
		                "cannot create %s: %s", dir, strerror(errno));
	for (i = 0; i < c->attachments.n; i++) {
		struct store_upload u;
		char *name = pt_random_hex(a, 16);
		char *path = kept_path(ctx->config, name, a);

		if (path == NULL)
			return perr_set(err, a, PERR_LIMIT,
			                "out of request memory");
		if (store_upload_get(ms->store, ms->session_hash,
		                     c->attachments.v[i], a, &u, err) != 0)
			return -1;
		if (link(u.path, path) != 0)
			return perr_set(err, a, perr_kind_of_errno(errno),
			                "cannot keep %s: %s", u.name,
			                strerror(errno));
		json_array_append_new(files, json_string(name));
		json_array_append_new(
		        atts,
		        json_pack("{sssssIss}", "name", u.name, "type", u.type,
		                  "size", (json_int_t)u.size, "file", name));
	}
	return 0;
}

/* The compose state SendCancel gives back: ComposeFrom's shape. */
static json_t *
compose_json(struct web_ctx *ctx, const struct mail_compose *c, json_t *atts,
             int64_t send_at)
{
	json_t *j = json_object();

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "identityId", opt_str(c->identity_id));
	json_object_set_new(j, "from", opt_str(c->from));
	json_object_set_new(j, "to", strings_json(c->to));
	json_object_set_new(j, "cc", strings_json(c->cc));
	json_object_set_new(j, "bcc", strings_json(c->bcc));
	json_object_set_new(j, "replyTo",
	                    json_string(c->reply_to ? c->reply_to : ""));
	json_object_set_new(j, "subject",
	                    json_string(c->subject ? c->subject : ""));
	json_object_set_new(j, "text", json_string(c->text ? c->text : ""));
	json_object_set_new(j, "html", opt_str(c->html));
	json_object_set_new(j, "inReplyTo", ref_json(c->in_reply_to));
	json_object_set_new(j, "forwardOf", ref_json(c->forward_of));
	json_object_set_new(j, "draftUid",
	                    c->draft_uid ? json_integer(c->draft_uid)
	                                 : json_null());
	json_object_set_new(j, "readReceipt", json_boolean(c->read_receipt));
	json_object_set_new(j, "attachments", json_incref(atts));
	json_object_set_new(j, "sendAt",
	                    send_at > 0 ? json_integer(send_at) : json_null());
	(void)ctx;
	return j;
}

/* What the worker needs besides the bytes (mail_queued's other half). */
static json_t *
meta_json(const struct mail_queued *q, json_t *files)
{
	json_t *rcpt = json_array(), *seen = json_array(), *j;
	size_t i;

	for (i = 0; rcpt != NULL && i < q->env.n_rcpt; i++)
		json_array_append_new(rcpt, json_string(q->env.rcpt[i]));
	for (i = 0; seen != NULL && i < q->n_seen; i++)
		json_array_append_new(
		        seen,
		        json_pack("{ssss}", "email", q->seen[i].email, "name",
		                  q->seen[i].name ? q->seen[i].name : ""));
	j = json_pack("{sIsssssososssoso}", "wireOff", (json_int_t)q->wire_off,
	              "messageId", q->message_id ? q->message_id : "", "from",
	              q->env.from, "rcpt", rcpt, "seen", seen, "sent",
	              q->sent_folder ? q->sent_folder : "", "irt",
	              ref_json(q->irt), "fwd", ref_json(q->fwd));
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "draftUid", json_integer(q->draft_uid));
	json_object_set_new(j, "files", json_incref(files));
	return j;
}

static json_t *
job_answer(int64_t id, const char *state, int64_t due)
{
	return json_pack("{sIsssI}", "id", (json_int_t)id, "state", state,
	                 "due", (json_int_t)due);
}

/* Store the job; 0 with *id_r, in one store transaction. */
static int
store_job(struct web_ctx *ctx, struct store *st, int64_t due, int64_t now,
          const struct mail_queued *q, const char *compose, const char *meta,
          int64_t *id_r, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	const struct config_domain *dom;
	const char *imap_user, *password;
	struct strv sealed = STRV_NULL;
	char *key = session_away_key_path(ctx->config->paths.storage_dir, a);

	if (key == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if (web_session_credentials(ctx, a, &dom, &imap_user, &password, err) !=
	    0)
		return -1;
	if (store_begin(st, a, err) != 0)
		return -1;
	if (outbox_add(st, ctx->session->user, due, now, q->message, compose,
	               id_r, a, err) != 0 ||
	    session_seal_away(key, OUTBOX_PURPOSE, ctx->session->user, *id_r,
	                      strv_from_cstr(password), &sealed, a, err) != 0 ||
	    outbox_set_detail(st, *id_r, meta, sealed, a, err) != 0 ||
	    store_commit(st, a, err) != 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
web_outbox_hold(struct web_ctx *ctx, struct mail_session *ms,
                const struct mail_compose *c, const struct mail_outgoing *o,
                int64_t due, int64_t send_at, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct mail_queued q;
	json_t *atts = json_array(), *files = json_array();
	json_t *compose = NULL, *meta = NULL, *res = NULL;
	char *prior = NULL, *compose_s = NULL, *meta_s = NULL, *res_s = NULL;
	int64_t now = web_outbox_now(), id = 0;
	const char *state = send_at > 0 ? "scheduled" : "held";
	size_t i;
	int c_r, r = -1;

	if (atts == NULL || files == NULL)
		goto oom;
	if (mail_queue(ms, o, &q, err) != 0)
		goto out;
	/* The token's times are the real clock's, as mail_send's. */
	c_r = store_send_token_claim(ms->store, ms->user, c->send_token,
	                             pt_now_unix(), pt_now_unix() - 600, a,
	                             &prior, err);
	if (c_r < 0)
		goto out;
	if (c_r == STORE_TOKEN_BUSY) {
		ms->why = MAIL_WHY_IN_PROGRESS;
		perr_set(err, a, PERR_CONFLICT, "this message is being sent");
		r = web_mail_fail(ctx, err);
		goto out;
	}
	if (c_r == STORE_TOKEN_DONE) {
		json_error_t jerr;

		res = json_loads(prior, 0, &jerr);
		if (res == NULL) {
			perr_set(err, a, PERR_INTERNAL,
			         "stored send result unreadable");
			goto out;
		}
		r = web_reply_json(ctx, res, err);
		res = NULL;
		goto out;
	}
	if (keep_uploads(ctx, ms, c, atts, files, err) != 0)
		goto release;
	compose = compose_json(ctx, c, atts, send_at);
	meta = meta_json(&q, files);
	if (compose == NULL || meta == NULL ||
	    (compose_s = json_dumps(compose, JSON_COMPACT)) == NULL ||
	    (meta_s = json_dumps(meta, JSON_COMPACT)) == NULL) {
		perr_set(err, a, PERR_LIMIT, "out of memory");
		goto release;
	}
	if (store_job(ctx, ms->store, due, now, &q, compose_s, meta_s, &id,
	              err) != 0)
		goto release;
	/* The message lives in the job now: the uploads can go. */
	for (i = 0; i < c->attachments.n; i++) {
		struct perr ignored = {0};

		if (mail_upload_delete(ms, c->attachments.v[i], &ignored) != 0)
			log_warn("outbox: upload kept: %s", ignored.msg);
	}
	res = job_answer(id, state, due);
	res_s = res != NULL ? json_dumps(res, JSON_COMPACT) : NULL;
	{
		struct perr ignored = {0};

		if (res_s == NULL ||
		    store_send_token_finish(ms->store, ms->user, c->send_token,
		                            res_s, a, &ignored) != 0)
			log_warn("outbox: job %lld: send token not recorded",
			         (long long)id);
	}
	log_info("outbox: job %lld %s for %s, due %lld", (long long)id, state,
	         ms->user, (long long)due);
	if (worker != NULL)
		outbox_worker_kick(worker);
	r = web_reply_json(ctx, res, err);
	res = NULL;
	goto out;
release:
	drop_kept(ctx->config, files, a);
	{
		struct perr ignored = {0};

		if (store_send_token_finish(ms->store, ms->user, c->send_token,
		                            NULL, a, &ignored) != 0)
			log_warn("outbox: send token kept: %s", ignored.msg);
	}
	goto out;
oom:
	perr_set(err, a, PERR_LIMIT, "out of memory");
out:
	free(compose_s);
	free(meta_s);
	free(res_s);
	json_decref(atts);
	json_decref(files);
	json_decref(compose);
	json_decref(meta);
	json_decref(res);
	return r;
}

int
web_outbox_send_times(struct web_ctx *ctx, int64_t *due_r, int64_t *send_at_r,
                      struct perr *err)
{
	struct arena *a = ctx->req->arena;
	int64_t now = web_outbox_now();
	int64_t undo = web_arg_int(ctx, "undoSeconds", 0);
	int64_t at = web_arg_int(ctx, "sendAt", 0);

	*due_r = *send_at_r = 0;
	if (undo < 0 || undo > OUTBOX_MAX_UNDO)
		return perr_set(err, a, PERR_INPUT,
		                "\"undoSeconds\" must be from 0 to %d",
		                OUTBOX_MAX_UNDO);
	if (web_arg_given(ctx, "sendAt")) {
		/* Only petrel serve runs a worker (not CGI, not a serve
		 * whose worker failed to start): nothing would send it. */
		if (worker == NULL)
			return perr_set(err, a, PERR_TEMPFAIL,
			                "sending later needs Petrel's outbox "
			                "worker (petrel serve), which is not "
			                "running");
		if (at <= now)
			return perr_set(err, a, PERR_INPUT,
			                "\"sendAt\" must be in the future");
		if (at > now + OUTBOX_MAX_AHEAD)
			return perr_set(err, a, PERR_INPUT,
			                "\"sendAt\" must be within a year");
		*send_at_r = at;
		*due_r = at;
		return 1;
	}
	/* Without a worker the undo window is skipped: sent at once. */
	if (undo > 0 && worker != NULL) {
		*due_r = now + undo;
		return 1;
	}
	return 0;
}

/* ---- SendCancel, Scheduled -------------------------------------------- */

/* The kept attachments of a compose state as uploads of this session. */
static void
restore_uploads(struct web_ctx *ctx, struct mail_session *ms, json_t *compose)
{
	struct arena *a = ctx->req->arena;
	json_t *atts = json_object_get(compose, "attachments");
	json_t *out = json_array(), *missing = json_array(), *v;
	size_t i;

	json_array_foreach(atts, i, v)
	{
		const char *name =
		        json_string_value(json_object_get(v, "name"));
		const char *type =
		        json_string_value(json_object_get(v, "type"));
		char *path = kept_path(
		        ctx->config,
		        json_string_value(json_object_get(v, "file")), a);
		struct mail_upload u;
		struct perr e = {0};
		struct stat sb;

		if (name == NULL)
			name = "";
		if (path == NULL || stat(path, &sb) != 0 ||
		    mail_upload_store(ms, name, type ? type : "", STRV_NULL,
		                      path, (uint64_t)sb.st_size, &u,
		                      &e) != 0) {
			log_warn("outbox: attachment %s not restored: %s", name,
			         e.msg != NULL ? e.msg : "file gone");
			json_array_append_new(missing, json_string(name));
		} else {
			json_array_append_new(out, web_upload_json(&u));
		}
		/* Nothing refers to the kept file any more. */
		if (path != NULL)
			(void)unlink(path);
	}
	json_object_set_new(compose, "attachments", out);
	json_object_set_new(compose, "missingAttachments", missing);
}

int
web_api_send_cancel(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct mail_session *ms;
	struct store *st;
	char *compose_s = NULL;
	json_t *compose;
	json_error_t jerr;
	int64_t id = web_arg_int(ctx, "id", 0);

	/* The mail session first: once cancelled, the form must come back. */
	if ((st = web_store(ctx, err)) == NULL || web_mail(ctx, &ms, err) != 0)
		return -1;
	if (outbox_cancel(st, ctx->session->user, id, &compose_s, a, err) !=
	    0) {
		if (err->kind == PERR_CONFLICT)
			ctx->error_code = "already_sending";
		return -1;
	}
	log_info("outbox: job %lld cancelled by %s", (long long)id,
	         ctx->session->user);
	compose = json_loads(compose_s, 0, &jerr);
	if (compose == NULL)
		compose = json_object();
	restore_uploads(ctx, ms, compose);
	return web_reply_json(
	        ctx,
	        json_pack("{sIso}", "id", (json_int_t)id, "compose", compose),
	        err);
}

/* "held" (in the undo window), "scheduled", "sending", "failed". */
static const char *
shown_state(const struct outbox_job *j, json_t *compose)
{
	switch (j->state) {
	case OUTBOX_HELD:
		return json_is_integer(json_object_get(compose, "sendAt"))
		               ? "scheduled"
		               : "held";
	case OUTBOX_FAILED:
		return "failed";
	default:
		return "sending";
	}
}

int
web_api_scheduled(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct outbox_job *v;
	struct store *st;
	json_t *list = json_array();
	size_t n, i;

	if (list == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if ((st = web_store(ctx, err)) == NULL ||
	    outbox_list(st, ctx->session->user, OUTBOX_LIST_MAX, &v, &n, a,
	                err) != 0) {
		json_decref(list);
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_error_t jerr;
		json_t *c = json_loads(v[i].compose, 0, &jerr);
		json_t *row;
		json_t *rcpt = json_array();
		size_t k;
		const char *f[] = {"to", "cc", "bcc"};

		for (k = 0; k < PT_NELEM(f); k++)
			json_array_extend(rcpt, json_object_get(c, f[k]));
		row = json_pack("{sIsIsssssoso}", "id", (json_int_t)v[i].id,
		                "due", (json_int_t)v[i].due, "state",
		                shown_state(&v[i], c), "subject",
		                json_string_value(json_object_get(c, "subject"))
		                        ? json_string_value(
		                                  json_object_get(c, "subject"))
		                        : "",
		                "recipients", rcpt, "error",
		                v[i].state == OUTBOX_FAILED ||
		                                v[i].last_error[0] != '\0'
		                        ? json_string(v[i].last_error)
		                        : json_null());
		json_decref(c);
		if (row != NULL)
			json_array_append_new(list, row);
	}
	return web_reply_json(ctx,
	                      json_pack("{sosI}", "jobs", list, "now",
	                                (json_int_t)web_outbox_now()),
	                      err);
}

/* ---- the worker --------------------------------------------------------- */

struct worker_ctx {
	struct store *store; /* the worker thread's own connection */
};

/* One job's run: its config, domain, password and IMAP connection. */
struct job_run {
	struct config *cfg;
	const struct config_domain *dom;
	const char *user;
	struct sbuf password; /* secret: cleansed when freed */
	struct imap_conn *imap;
	struct arena *a;
};

static int
run_imap(void *arg, struct imap_conn **c_r, struct perr *err)
{
	struct job_run *jr = arg;
	char *login;

	if (jr->imap != NULL) {
		*c_r = jr->imap;
		return 0;
	}
	login = config_domain_login(jr->dom, false, strv_from_cstr(jr->user),
	                            jr->a);
	if (login == NULL)
		return perr_set(err, jr->a, PERR_LIMIT, "out of memory");
	if (imap_connect(jr->dom, jr->a, &jr->imap, err) != 0)
		return -1;
	if (imap_login(jr->imap, login, sbuf_cstr(&jr->password), err) != 0) {
		err->msg = arena_strdup(jr->a, err->msg);
		imap_conn_destroy(&jr->imap);
		return -1;
	}
	*c_r = jr->imap;
	return 0;
}

static int
run_smtp(void *arg, struct arena *a, const struct config_domain **dom_r,
         struct smtp_login *login_r, struct perr *err)
{
	struct job_run *jr = arg;

	(void)a;
	(void)err;
	*dom_r = jr->dom;
	login_r->user = jr->user;
	login_r->password = sbuf_cstr(&jr->password);
	return 0;
}

static void
run_end(struct job_run *jr)
{
	if (jr->imap != NULL) {
		imap_logout(jr->imap);
		imap_conn_destroy(&jr->imap);
	}
	sbuf_free(&jr->password);
	config_unref(&jr->cfg);
}

/* Set up jr, ms and q for job; -1 (a permanent failure) when it cannot. */
static int
run_begin(struct worker_ctx *w, const struct outbox_job *job,
          struct job_run *jr, struct mail_session *ms, struct mail_real *real,
          struct mail_queued *q, json_t **meta_r, struct arena *a,
          struct perr *err)
{
	struct strv user, domain, email;
	json_error_t jerr;
	json_t *meta, *v;
	const char **rcpt;
	char *key;
	size_t i;

	memset(jr, 0, sizeof(*jr));
	memset(ms, 0, sizeof(*ms));
	memset(q, 0, sizeof(*q));
	sbuf_init(&jr->password, NULL, 0, 4096);
	jr->password.secret = 1;
	jr->a = a;
	jr->user = job->user;
	jr->cfg = config_current();
	*meta_r = NULL;
	if (jr->cfg == NULL)
		return perr_set(err, a, PERR_TEMPFAIL, "no config");
	if (config_login_split(jr->cfg, strv_from_cstr(job->user), a, &user,
	                       &domain, &email, err) != 0)
		return -1;
	jr->dom = config_domain_for(jr->cfg, domain);
	if (jr->dom->disabled)
		return perr_set(err, a, PERR_FORBIDDEN, "domain disabled");
	key = session_away_key_path(jr->cfg->paths.storage_dir, a);
	if (key == NULL ||
	    session_open_away(key, OUTBOX_PURPOSE, job->user, job->id,
	                      job->secret, &jr->password, a, err) != 0)
		return perr_set(err, a, PERR_AUTH,
		                "the sealed credentials do not open");
	meta = json_loads(job->meta, 0, &jerr);
	if (meta == NULL)
		return perr_set(err, a, PERR_INTERNAL,
		                "outbox job %lld: no meta", (long long)job->id);
	*meta_r = meta;
	q->message = job->message;
	q->wire_off =
	        (size_t)json_integer_value(json_object_get(meta, "wireOff"));
	q->message_id = json_string_value(json_object_get(meta, "messageId"));
	q->env.from = json_string_value(json_object_get(meta, "from"));
	v = json_object_get(meta, "rcpt");
	q->env.n_rcpt = json_array_size(v);
	rcpt = arena_new_array(a, const char *, q->env.n_rcpt + 1);
	q->env.rcpt = rcpt;
	v = json_object_get(meta, "seen");
	q->seen = arena_new_array(a, struct mime_addr, json_array_size(v) + 1);
	if (rcpt == NULL || q->seen == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	json_array_foreach(json_object_get(meta, "rcpt"), i, v)
	{
		rcpt[i] = json_string_value(v);
	}
	json_array_foreach(json_object_get(meta, "seen"), i, v)
	{
		q->seen[q->n_seen].email =
		        json_string_value(json_object_get(v, "email"));
		q->seen[q->n_seen].name =
		        json_string_value(json_object_get(v, "name"));
		if (q->seen[q->n_seen].email != NULL)
			q->n_seen++;
	}
	q->sent_folder = json_string_value(json_object_get(meta, "sent"));
	v = json_object_get(meta, "irt");
	q->irt.folder = json_string_value(json_object_get(v, "folder"));
	q->irt.uid = (uint32_t)json_integer_value(json_object_get(v, "uid"));
	v = json_object_get(meta, "fwd");
	q->fwd.folder = json_string_value(json_object_get(v, "folder"));
	q->fwd.uid = (uint32_t)json_integer_value(json_object_get(v, "uid"));
	q->draft_uid =
	        (uint32_t)json_integer_value(json_object_get(meta, "draftUid"));
	if (q->env.from == NULL || q->env.n_rcpt == 0 ||
	    q->wire_off > q->message.len)
		return perr_set(err, a, PERR_INTERNAL,
		                "outbox job %lld: bad meta",
		                (long long)job->id);
	real->imap = run_imap;
	real->smtp = run_smtp;
	real->arg = jr;
	ms->a = a;
	ms->ops = &mail_ops_real;
	ms->backend = real;
	ms->store = w->store;
	ms->user = job->user;
	ms->session_hash = "";
	ms->uploads_dir =
	        arena_printf(a, "%s/uploads", jr->cfg->paths.storage_dir);
	ms->domain = jr->dom;
	return 0;
}

static int
worker_deliver(void *ctx, const struct outbox_job *job, struct arena *a,
               struct perr *err)
{
	struct job_run jr;
	struct mail_session ms;
	struct mail_real real;
	struct mail_queued q;
	json_t *meta = NULL;
	int r;

	r = run_begin(ctx, job, &jr, &ms, &real, &q, &meta, a, err);
	if (r == 0) {
		r = mail_queued_submit(&ms, &q, err);
		/* What the user reads in Scheduled: the stage and the
		 * server's words. */
		if (r != 0 && ms.why == MAIL_WHY_SMTP_REJECTED &&
		    ms.why_detail != NULL)
			err->msg =
			        arena_printf(a, "%s: %s", ms.why_detail,
			                     err->msg ? err->msg : "refused");
	}
	/*
	 * Maybe delivered (the connection broke after the final dot): never
	 * retried, so the job fails for good with the form kept and the
	 * user decides; a retry could deliver it twice.
	 */
	if (r != 0 && ms.why == MAIL_WHY_SEND_UNCERTAIN)
		perr_set(err, a, PERR_REMOTE,
		         "the connection to the SMTP server broke after the "
		         "message was handed over: it may have been sent");
	/* A server down for a day: give up, the form stays for the user. */
	if (r != 0 && err->kind == PERR_TEMPFAIL &&
	    job->attempts >= OUTBOX_SEND_TRIES)
		perr_set(err, a, PERR_REMOTE, "given up after %d tries: %s",
		         job->attempts, err->msg ? err->msg : "unavailable");
	if (r == 0)
		log_info("outbox: job %lld of %s accepted by SMTP",
		         (long long)job->id, job->user);
	else
		log_warn("outbox: job %lld of %s not sent: %s",
		         (long long)job->id, job->user,
		         err->msg ? err->msg : "?");
	json_decref(meta);
	run_end(&jr);
	return r;
}

static int
worker_after_send(void *ctx, const struct outbox_job *job, struct arena *a,
                  struct perr *err)
{
	struct job_run jr;
	struct mail_session ms;
	struct mail_real real;
	struct mail_queued q;
	struct imap_conn *c;
	json_t *meta = NULL;
	int r;

	r = run_begin(ctx, job, &jr, &ms, &real, &q, &meta, a, err);
	/* IMAP down: try the Sent copy again later (never SMTP again). */
	if (r == 0 && run_imap(&jr, &c, err) != 0 &&
	    err->kind == PERR_TEMPFAIL && job->attempts < OUTBOX_AFTER_TRIES)
		r = -1;
	else if (r == 0) {
		perr_clear(err);
		(void)mail_queued_after(&ms, &q, NULL);
		drop_kept(jr.cfg, json_object_get(meta, "files"), a);
	} else {
		/* The message is out: nothing left to do that can work. */
		log_warn("outbox: job %lld sent, after-send steps skipped: %s",
		         (long long)job->id, err->msg ? err->msg : "?");
		perr_clear(err);
		r = 0;
	}
	json_decref(meta);
	run_end(&jr);
	return r;
}

static struct worker_ctx worker_ctx;

int
web_outbox_start(struct arena *a, struct perr *err)
{
	struct config *cfg = config_current();
	struct outbox_ops ops = {worker_deliver, worker_after_send, &worker_ctx,
	                         OUTBOX_RETRY};
	char host[128], *owner;
	int64_t max_wait = 0;
	int r;

	if (cfg == NULL)
		return perr_set(err, a, PERR_INTERNAL, "no config");
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	owner = arena_printf(a, "%s:%ld:%s", host, (long)getpid(),
	                     pt_random_hex(a, 4));
#ifdef PETREL_TEST_CLOCK
	if (test_clock_file() != NULL) {
		log_warn("outbox: TEST CLOCK from %s (a test build)",
		         test_clock_file());
		max_wait = 1;
	}
#endif
	r = store_open(cfg->paths.db_path, &worker_ctx.store, a, err);
	if (r == 0)
		r = outbox_worker_start(cfg->paths.db_path, owner, OUTBOX_LEASE,
		                        &ops, clock_fn, NULL, max_wait, &worker,
		                        a, err);
	if (r != 0)
		store_close(&worker_ctx.store);
	config_unref(&cfg);
	return r;
}

void
web_outbox_stop(void)
{
	outbox_worker_stop(&worker);
	store_close(&worker_ctx.store);
}
