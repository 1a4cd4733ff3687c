/*
 * Compose, part 2: SaveDraft and Send (docs/API.md).
 *
 * Both read the same fields, resolve the identity, sanitize the HTML (and
 * derive the text alternative from it when only HTML came), map the
 * uploads and build the message with src/mime. Send then submits through
 * src/smtp and, once the server has accepted it, files the copy with Bcc
 * into Sent, flags the original (\Answered / $Forwarded), deletes the
 * draft, records the recipients and drops the uploads. Nothing after the
 * SMTP acceptance can fail the call: the message is out.
 *
 * A send token makes Send idempotent: the first call claims it in the
 * store, a repeat gets the stored result (or 409 "in_progress" while the
 * first still runs); a failed send releases it so the user can retry.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "web_private.h"
#include "mime/mime.h"
#include "sanitize/sanitize.h"
#include "smtp/smtp.h"
#include "core/banned.h"

#define COMPOSE_MAX_RCPT 500
#define COMPOSE_MAX_ATT 100
#define COMPOSE_MAX_SUBJECT 4096
#define COMPOSE_MAX_BODY (8u * 1024 * 1024)
#define SEND_TOKEN_MAX 128
/* A claim older than this belongs to a request that died. */
#define SEND_TOKEN_STALE_S 600

struct msg_ref {
	const char *folder;
	uint32_t uid;
};

/* A draft may hold what is not an address yet (half typed). */
#define DRAFT_PENDING_MAX 50

struct compose {
	struct mime_message m;
	/* Drafts: the entries of to, cc, bcc that did not parse, raw. */
	const char *pending[3][DRAFT_PENDING_MAX];
	size_t n_pending[3];
	struct mime_addr reply_to;
	struct store_upload *uploads;
	struct mime_attachment *att;
	size_t n_att;
	const struct web_identity *ident;
	struct msg_ref irt, fwd; /* folder NULL: none */
	uint32_t draft_uid;
	const char *send_token;
};

/* ---- reading the request ------------------------------------------------- */

/*
 * pending == NULL (Send): every entry must be an address. Otherwise
 * (SaveDraft) an entry that is not one yet is kept aside in pending, but
 * CR, LF and NUL are refused all the same.
 */
static int
addr_list(struct web_ctx *ctx, const char *name, struct mime_addr **v_r,
          size_t *n_r, const char **pending, size_t *n_pending,
          struct perr *err)
{
	struct arena *a = ctx->req->arena;
	json_t *arr = json_object_get(web_json_body(ctx), name), *it;
	struct mime_addr *v;
	size_t i, n;

	*v_r = NULL;
	*n_r = 0;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return perr_set(err, a, PERR_INPUT,
		                "\"%s\" must be an array of addresses", name);
	n = json_array_size(arr);
	if (n > COMPOSE_MAX_RCPT)
		return perr_set(err, a, PERR_INPUT, "too many addresses in %s",
		                name);
	v = arena_new_array(a, struct mime_addr, n + 1);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	json_array_foreach(arr, i, it)
	{
		if (!json_is_string(it))
			return perr_set(err, a, PERR_INPUT,
			                "\"%s\" must be an array of strings",
			                name);
		if (mime_addr_parse((struct strv){json_string_value(it),
		                                  json_string_length(it)},
		                    a, &v[*n_r], err) == 0) {
			(*n_r)++;
			continue;
		}
		if (pending == NULL ||
		    strncmp(err->msg, "header injection", 16) == 0)
			return -1;
		perr_clear(err);
		if (*n_pending < DRAFT_PENDING_MAX &&
		    json_string_length(it) <= 512)
			pending[(*n_pending)++] = json_string_value(it);
	}
	*v_r = v;
	return 0;
}

static int
msg_ref(struct web_ctx *ctx, const char *name, struct msg_ref *r,
        struct perr *err)
{
	json_t *o = json_object_get(web_json_body(ctx), name);
	json_t *f = json_object_get(o, "folder"),
	       *u = json_object_get(o, "uid");

	r->folder = NULL;
	r->uid = 0;
	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_string(f) || json_string_length(f) == 0 ||
	    !json_is_integer(u) || json_integer_value(u) <= 0 ||
	    json_integer_value(u) > (json_int_t)UINT32_MAX)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" must be {\"folder\", \"uid\"}", name);
	r->folder = json_string_value(f);
	r->uid = (uint32_t)json_integer_value(u);
	return 0;
}

static bool
same_email(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static int
pick_identity(struct web_ctx *ctx, struct compose *c, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct web_identity *ids;
	const char *want, *from;
	size_t n, i;

	if (web_json_str(ctx, "identityId", false, 32, &want, err) != 0 ||
	    web_json_str(ctx, "from", false, 1024, &from, err) != 0 ||
	    web_compose_identities(ctx, &ids, &n, err) != 0)
		return -1;
	c->ident = NULL;
	for (i = 0; i < n; i++)
		if (want != NULL ? strcmp(ids[i].id, want) == 0
		                 : ids[i].s.is_default)
			c->ident = &ids[i];
	if (c->ident == NULL && want != NULL && strcmp(want, "default") == 0) {
		/* The login address is always there, stored identities or not.
		 */
		struct web_identity *d = arena_new(a, struct web_identity);

		if (d == NULL)
			return perr_set(err, a, PERR_LIMIT, "out of memory");
		d->id = "default";
		d->s.name = d->s.reply_to = d->s.signature = "";
		d->s.sent_folder = "";
		d->s.email = ctx->session->user;
		c->ident = d;
	}
	if (c->ident == NULL)
		return perr_set(err, a, PERR_NOTFOUND, "no such identity: %s",
		                want);
	c->m.from.name = c->ident->s.name;
	c->m.from.email = c->ident->s.email;
	if (from != NULL && from[0] != '\0') {
		struct mime_addr f;

		if (mime_addr_parse(strv_from_cstr(from), a, &f, err) != 0)
			return -1;
		/* Only the user's own addresses: no forged senders. */
		for (i = 0; i < n; i++)
			if (same_email(ids[i].s.email, f.email))
				break;
		if (i == n && !same_email(ctx->session->user, f.email))
			return perr_set(err, a, PERR_INPUT,
			                "invalid address: %s is not one of "
			                "your addresses",
			                f.email);
		c->m.from = f;
		if (f.name[0] == '\0')
			c->m.from.name = c->ident->s.name;
	}
	return 0;
}

/* The uploads named in "attachments", mapped into memory. */
static int
load_attachments(struct web_ctx *ctx, struct compose *c, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	json_t *arr = json_object_get(web_json_body(ctx), "attachments"), *it;
	struct store *st;
	size_t i, n;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > COMPOSE_MAX_ATT)
		return perr_set(err, a, PERR_INPUT,
		                "\"attachments\" must be an array of at most "
		                "%d upload ids",
		                COMPOSE_MAX_ATT);
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	if ((st = web_store(ctx, err)) == NULL)
		return -1;
	c->uploads = arena_new_array(a, struct store_upload, n);
	c->att = arena_new_array(a, struct mime_attachment, n);
	if (c->uploads == NULL || c->att == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	json_array_foreach(arr, i, it)
	{
		struct store_upload *u = &c->uploads[i];
		struct stat sb;
		void *p = NULL;
		int fd;

		if (!json_is_string(it))
			return perr_set(err, a, PERR_INPUT,
			                "\"attachments\" must hold upload ids");
		if (store_upload_get(st, ctx->session->id_hash,
		                     json_string_value(it), a, u, err) != 0)
			return -1;
		fd = open(u->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) != 0) {
			if (fd >= 0)
				close(fd);
			return perr_set(err, a, PERR_NOTFOUND,
			                "upload %s is gone", u->id);
		}
		if (sb.st_size > 0) {
			p = mmap(NULL, (size_t)sb.st_size, PROT_READ,
			         MAP_PRIVATE, fd, 0);
			if (p == MAP_FAILED) {
				close(fd);
				return perr_set(err, a, PERR_INTERNAL,
				                "mmap upload failed");
			}
			if (web_defer_munmap(a, p, (size_t)sb.st_size) != 0) {
				close(fd);
				return perr_set(err, a, PERR_LIMIT,
				                "out of request memory");
			}
		}
		close(fd);
		c->att[i].filename = u->name;
		c->att[i].content_type = u->type;
		c->att[i].data =
		        (struct strv){p != NULL ? p : "", (size_t)sb.st_size};
	}
	c->n_att = n;
	c->m.att = c->att;
	c->m.n_att = n;
	return 0;
}

/* The HTML part sanitized into a small document; the text from it. */
static int
prepare_bodies(struct web_ctx *ctx, struct compose *c, const char *html,
               struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct sbuf out, text;

	if (html == NULL) {
		c->m.html = NULL;
		return 0;
	}
	sbuf_init(&out, a, strlen(html) + 256, COMPOSE_MAX_BODY * 2);
	sbuf_append_cstr(&out, "<!DOCTYPE html><html><head>"
	                       "<meta charset=\"utf-8\"></head><body>");
	if (sanitize_html(strv_from_cstr(html), NULL, a, &out, NULL, err) != 0)
		return -1;
	sbuf_append_cstr(&out, "</body></html>");
	if (!sbuf_ok(&out))
		return perr_set(err, a, PERR_LIMIT, "HTML body too large");
	c->m.html = sbuf_cstr(&out);
	if (c->m.text == NULL || c->m.text[0] == '\0') {
		sbuf_init(&text, a, strlen(html) / 2 + 64, COMPOSE_MAX_BODY);
		if (sanitize_html_to_text(strv_from_cstr(html), a, &text,
		                          err) != 0)
			return -1;
		c->m.text = sbuf_cstr(&text);
	}
	return 0;
}

/* In-Reply-To and References from the message replied to. */
static void
thread_headers(struct web_ctx *ctx, struct compose *c)
{
	struct imap_message om;
	struct imap_conn *ic;
	struct perr err = {0};

	if (c->irt.folder == NULL)
		return;
	if (web_imap(ctx, &ic, &err) != 0 ||
	    imap_fetch_message(ic, c->irt.folder, c->irt.uid, ctx->req->arena,
	                       &om, &err) != 0) {
		log_warn("compose: the replied-to message is unreadable: %s",
		         err.msg != NULL ? err.msg : "?");
		return;
	}
	/* Both written by whoever sent it: only well-formed ids, bounded. */
	mime_thread_ids(om.env.message_id, om.references, ctx->req->arena,
	                &c->m.in_reply_to, &c->m.references);
}

static int
read_compose(struct web_ctx *ctx, struct compose *c, bool sending,
             struct perr *err)
{
	struct arena *a = ctx->req->arena;
	const char *reply_to, *html;
	struct mime_addr *to, *cc, *bcc;
	json_t *du;

	memset(c, 0, sizeof(*c));
	if (web_json_body(ctx) == NULL)
		return perr_set(err, a, PERR_INPUT,
		                "a JSON object is required");
	if (addr_list(ctx, "to", &to, &c->m.n_to,
	              sending ? NULL : c->pending[0], &c->n_pending[0],
	              err) != 0 ||
	    addr_list(ctx, "cc", &cc, &c->m.n_cc,
	              sending ? NULL : c->pending[1], &c->n_pending[1],
	              err) != 0 ||
	    addr_list(ctx, "bcc", &bcc, &c->m.n_bcc,
	              sending ? NULL : c->pending[2], &c->n_pending[2],
	              err) != 0 ||
	    web_json_str(ctx, "replyTo", false, 1024, &reply_to, err) != 0 ||
	    web_json_str(ctx, "subject", false, COMPOSE_MAX_SUBJECT,
	                 &c->m.subject, err) != 0 ||
	    web_json_str(ctx, "text", false, COMPOSE_MAX_BODY, &c->m.text,
	                 err) != 0 ||
	    web_json_str(ctx, "html", false, COMPOSE_MAX_BODY, &html, err) !=
	            0 ||
	    msg_ref(ctx, "inReplyTo", &c->irt, err) != 0 ||
	    msg_ref(ctx, "forwardOf", &c->fwd, err) != 0)
		return -1;
	c->m.to = to;
	c->m.cc = cc;
	c->m.bcc = bcc;
	if (c->m.subject != NULL &&
	    mime_has_crlf_nul(strv_from_cstr(c->m.subject)))
		return perr_set(
		        err, a, PERR_INPUT,
		        "header injection: CR, LF or NUL in the subject");
	du = json_object_get(web_json_body(ctx), "draftUid");
	if (du != NULL && !json_is_null(du)) {
		if (!json_is_integer(du) || json_integer_value(du) <= 0 ||
		    json_integer_value(du) > (json_int_t)UINT32_MAX)
			return perr_set(err, a, PERR_INPUT,
			                "\"draftUid\" must be a UID");
		c->draft_uid = (uint32_t)json_integer_value(du);
	}
	if (sending) {
		size_t i;

		if (web_json_str(ctx, "sendToken", true, SEND_TOKEN_MAX,
		                 &c->send_token, err) != 0)
			return -1;
		for (i = 0; c->send_token[i] != '\0'; i++)
			if (!strchr("0123456789abcdefABCDEF-_",
			            c->send_token[i]))
				return perr_set(err, a, PERR_INPUT,
				                "\"sendToken\" must be hex");
		if (i < 16)
			return perr_set(err, a, PERR_INPUT,
			                "\"sendToken\" is too short");
		if (c->m.n_to + c->m.n_cc + c->m.n_bcc == 0)
			return perr_set(err, a, PERR_INPUT,
			                "invalid address: no recipients");
	}
	if (pick_identity(ctx, c, err) != 0)
		return -1;
	if (reply_to == NULL || reply_to[0] == '\0')
		reply_to = c->ident->s.reply_to;
	if (reply_to != NULL && reply_to[0] != '\0') {
		if (mime_addr_parse(strv_from_cstr(reply_to), a, &c->reply_to,
		                    err) != 0)
			return -1;
		c->m.reply_to = &c->reply_to;
	}
	if (prepare_bodies(ctx, c, html, err) != 0 ||
	    load_attachments(ctx, c, err) != 0)
		return -1;
	c->m.date = pt_now_unix();
	thread_headers(ctx, c);
	return 0;
}

static size_t
message_max(const struct web_ctx *ctx)
{
	/* base64 grows the attachments by 4/3; room for the text. */
	return (size_t)ctx->config->limits.max_upload_total * 1024 * 1024 / 3 *
	               4 +
	       4 * COMPOSE_MAX_BODY;
}

/* ---- IMAP steps ---------------------------------------------------------- */

static const char *
special_folder(struct imap_conn *ic, enum imap_special want,
               const char *fallback, struct arena *a)
{
	struct imap_folder *fl;
	struct perr err = {0};
	size_t n, i;

	if (imap_folders(ic, a, &fl, &n, &err) == 0)
		for (i = 0; i < n; i++)
			if (fl[i].special == want)
				return fl[i].path;
	return fallback;
}

/* APPEND; a missing folder is created once. */
static int
append_to(struct imap_conn *ic, const char *folder, unsigned flags,
          struct strv msg, struct arena *a, uint32_t *uid_r, struct perr *err)
{
	if (imap_append(ic, folder, flags, 0, msg, a, uid_r, err) == 0)
		return 0;
	if (err->kind != PERR_NOTFOUND && err->kind != PERR_REMOTE)
		return -1;
	if (imap_folder_create(ic, folder, a, err) != 0)
		return -1;
	return imap_append(ic, folder, flags, 0, msg, a, uid_r, err);
}

static void
drop_draft(struct imap_conn *ic, const char *drafts, uint32_t uid,
           struct arena *a)
{
	struct perr err = {0};

	if (uid != 0 &&
	    imap_delete_messages(ic, drafts, &uid, 1, true, a, &err) != 0)
		log_warn("compose: old draft %u not deleted: %s", uid, err.msg);
}

/*
 * A draft remembers what it replies to or forwards, so that sending it
 * after reopening still threads and flags the original (ComposeFrom
 * editAsNew reads these back). Only drafts carry them.
 */
static size_t
draft_refs(const struct compose *c, const char **refs, struct arena *a)
{
	const struct msg_ref *r[] = {&c->irt, &c->fwd};
	const char *names[] = {WEB_DRAFT_REPLY_HEADER,
	                       WEB_DRAFT_FORWARD_HEADER};
	const char *fields[] = {WEB_DRAFT_PENDING_TO, WEB_DRAFT_PENDING_CC,
	                        WEB_DRAFT_PENDING_BCC};
	size_t i, j, n = 0;

	/* Entries that are no address yet, so that reopening shows them. */
	for (i = 0; i < 3; i++)
		for (j = 0; j < c->n_pending[i]; j++)
			refs[n++] = arena_printf(
			        a, "%s: %s", fields[i],
			        codec_base64_encode(a, c->pending[i][j],
			                            strlen(c->pending[i][j])));

	for (i = 0; i < 2; i++) {
		const char *f = r[i]->folder;

		/* Folder names are UTF-8 of any kind: base64 keeps it one line.
		 */
		if (f == NULL || strlen(f) > 600)
			continue;
		refs[n++] = arena_printf(a, "%s: %u %s", names[i], r[i]->uid,
		                         codec_base64_encode(a, f, strlen(f)));
	}
	return n;
}

int
web_api_save_draft(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct compose c;
	struct mime_built out;
	struct imap_conn *ic;
	const char *drafts, *refs[2 + 3 * DRAFT_PENDING_MAX];
	uint32_t uid = 0;

	if (read_compose(ctx, &c, false, err) != 0)
		goto fail;
	c.m.extra_headers = refs;
	c.m.n_extra_headers = draft_refs(&c, refs, a);
	if (mime_build(&c.m, message_max(ctx), a, &out, err) != 0)
		goto fail;
	if (web_imap(ctx, &ic, err) != 0)
		return -1;
	drafts = special_folder(ic, IMAP_SPECIAL_DRAFTS, "Drafts", a);
	if (append_to(ic, drafts, IMAP_MSG_DRAFT | IMAP_MSG_SEEN, out.with_bcc,
	              a, &uid, err) != 0)
		return -1;
	if (c.draft_uid != uid)
		drop_draft(ic, drafts, c.draft_uid, a);
	return web_reply_json(
	        ctx,
	        json_pack("{so}", "draftUid",
	                  uid != 0 ? json_integer(uid) : json_null()),
	        err);
fail:
	web_compose_fail_code(ctx, err);
	return -1;
}

/* ---- Send ---------------------------------------------------------------- */

/* local@domain with the domain in punycode, for the SMTP envelope. */
static const char *
envelope_addr(const char *email, struct arena *a, struct perr *err)
{
	const char *at = strrchr(email, '@'), *dom;

	if (at == NULL ||
	    mime_domain_to_ascii(strv_from_cstr(at + 1), a, &dom, err) != 0)
		return NULL;
	return arena_printf(a, "%.*s@%s", (int)(at - email), email, dom);
}

static int
submit(struct web_ctx *ctx, struct compose *c, struct strv msg,
       struct perr *err)
{
	struct arena *a = ctx->req->arena;
	const struct mime_addr *lists[] = {c->m.to, c->m.cc, c->m.bcc};
	const size_t ns[] = {c->m.n_to, c->m.n_cc, c->m.n_bcc};
	const char **rcpt;
	const struct config_domain *dom;
	const char *imap_user, *pw;
	struct smtp_envelope env;
	struct smtp_login login;
	struct smtp_failure f;
	size_t i, j, n = 0;

	rcpt = arena_new_array(a, const char *, ns[0] + ns[1] + ns[2]);
	if (rcpt == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	for (i = 0; i < 3; i++)
		for (j = 0; j < ns[i]; j++) {
			const char *r =
			        envelope_addr(lists[i][j].email, a, err);
			size_t k;

			if (r == NULL)
				return -1;
			for (k = 0; k < n && strcasecmp(rcpt[k], r) != 0; k++)
				;
			if (k == n)
				rcpt[n++] = r;
		}
	env.from = envelope_addr(c->m.from.email, a, err);
	if (env.from == NULL)
		return -1;
	env.rcpt = rcpt;
	env.n_rcpt = n;
	if (web_session_credentials(ctx, a, &dom, &imap_user, &pw, err) != 0)
		return -1;
	login.user = ctx->session->user;
	login.password = pw;
	if (smtp_send(dom, &login, &env, msg, a, &f, err) == 0)
		return 0;
	switch (err->kind) {
	case PERR_REMOTE:
		/* The server's words are the message; where, the detail. */
		ctx->error_code = "smtp_rejected";
		ctx->error_message = err->msg;
		err->msg = f.recipient != NULL
		                   ? arena_printf(a, "%s <%s>", f.stage,
		                                  f.recipient)
		                   : f.stage;
		break;
	case PERR_TEMPFAIL:
		ctx->error_code = "smtp_unavailable";
		ctx->error_key = "L_ERROR_SMTP_UNAVAILABLE";
		break;
	case PERR_LIMIT:
		ctx->error_code = "too_large";
		break;
	default:
		break;
	}
	return -1;
}

/* After the server took it: nothing here may fail the Send. */
static uint32_t
after_send(struct web_ctx *ctx, struct compose *c, struct strv sent_copy)
{
	struct arena *a = ctx->req->arena;
	const struct mime_addr *lists[] = {c->m.to, c->m.cc, c->m.bcc};
	const size_t ns[] = {c->m.n_to, c->m.n_cc, c->m.n_bcc};
	struct imap_conn *ic;
	struct store *st;
	struct perr err = {0};
	const char *sent;
	uint32_t uid = 0;
	size_t i, j;

	if ((st = web_store(ctx, &err)) != NULL) {
		int64_t now = pt_now_unix();

		for (i = 0; i < 3; i++)
			for (j = 0; j < ns[i]; j++)
				if (store_recipient_used(st, ctx->session->user,
				                         lists[i][j].email,
				                         lists[i][j].name, now,
				                         a, &err) != 0)
					log_warn("compose: recipient not "
					         "recorded: %s",
					         err.msg);
		for (i = 0; i < c->n_att; i++) {
			(void)unlink(c->uploads[i].path);
			if (store_upload_delete(st, c->uploads[i].id, a,
			                        &err) != 0)
				log_warn("compose: %s", err.msg);
		}
	}
	if (web_imap(ctx, &ic, &err) != 0) {
		log_warn("compose: sent, but no IMAP for the Sent copy: %s",
		         err.msg);
		return 0;
	}
	sent = c->ident->s.sent_folder[0] != '\0'
	               ? c->ident->s.sent_folder
	               : special_folder(ic, IMAP_SPECIAL_SENT, "Sent", a);
	if (append_to(ic, sent, IMAP_MSG_SEEN, sent_copy, a, &uid, &err) != 0)
		log_warn("compose: sent, but not saved to %s: %s", sent,
		         err.msg);
	if (c->irt.folder != NULL &&
	    imap_set_flags(ic, c->irt.folder, &c->irt.uid, 1, IMAP_FLAGS_ADD,
	                   IMAP_MSG_ANSWERED, NULL, 0, a, &err) != 0)
		log_warn("compose: \\Answered not set: %s", err.msg);
	if (c->fwd.folder != NULL &&
	    imap_set_flags(ic, c->fwd.folder, &c->fwd.uid, 1, IMAP_FLAGS_ADD,
	                   IMAP_MSG_FORWARDED, NULL, 0, a, &err) != 0)
		log_warn("compose: $Forwarded not set: %s", err.msg);
	if (c->draft_uid != 0)
		drop_draft(ic,
		           special_folder(ic, IMAP_SPECIAL_DRAFTS, "Drafts", a),
		           c->draft_uid, a);
	return uid;
}

int
web_api_send(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct compose c;
	struct mime_built out;
	struct store *st;
	char *prior;
	const char *result;
	json_t *res;
	json_error_t jerr;
	uint32_t uid;
	int claim;

	if (read_compose(ctx, &c, true, err) != 0 ||
	    mime_build(&c.m, message_max(ctx), a, &out, err) != 0) {
		web_compose_fail_code(ctx, err);
		return -1;
	}
	if ((st = web_store(ctx, err)) == NULL)
		return -1;
	claim = store_send_token_claim(
	        st, ctx->session->user, c.send_token, pt_now_unix(),
	        pt_now_unix() - SEND_TOKEN_STALE_S, a, &prior, err);
	if (claim < 0)
		return -1;
	if (claim == STORE_TOKEN_BUSY) {
		ctx->error_code = "in_progress";
		ctx->error_key = "L_ERROR_SEND_IN_PROGRESS";
		return perr_set(err, a, PERR_CONFLICT,
		                "this message is being sent");
	}
	if (claim == STORE_TOKEN_DONE) {
		res = json_loads(prior, 0, &jerr);
		if (res == NULL)
			return perr_set(err, a, PERR_INTERNAL,
			                "stored send result unreadable");
		return web_reply_json(ctx, res, err);
	}
	if (submit(ctx, &c, out.without_bcc, err) != 0) {
		struct perr ignored = {0};

		if (store_send_token_finish(st, ctx->session->user,
		                            c.send_token, NULL, a,
		                            &ignored) != 0)
			log_warn("compose: send token kept: %s", ignored.msg);
		return -1;
	}
	/* Out: remember it before anything else can go wrong. */
	res = json_pack("{ssso}", "messageId", out.message_id, "sentUid",
	                json_null());
	result = json_dumps(res, JSON_COMPACT);
	if (result == NULL ||
	    store_send_token_finish(st, ctx->session->user, c.send_token,
	                            result, a, err) != 0)
		log_error("compose: sent %s but the token was not recorded",
		          out.message_id);
	free((void *)result);
	uid = after_send(ctx, &c, out.with_bcc);
	if (uid != 0) {
		json_object_set_new(res, "sentUid", json_integer(uid));
		result = json_dumps(res, JSON_COMPACT);
		if (result != NULL &&
		    store_send_token_finish(st, ctx->session->user,
		                            c.send_token, result, a, err) != 0)
			log_warn("compose: %s", err->msg);
		free((void *)result);
		perr_clear(err);
	}
	return web_reply_json(ctx, res, err);
}
