/*
 * Send and drafts. Both check the same form, resolve the identity,
 * sanitize the HTML (and derive the text alternative from it when only
 * HTML came), map the uploads and build the message with src/mime. Send
 * then submits it and, once the server has accepted it, files the copy
 * with Bcc into Sent, flags the original (\Answered / $Forwarded),
 * deletes the draft, records the recipients and drops the uploads.
 * Nothing after the SMTP acceptance can fail the call: the message is
 * out.
 *
 * A send token makes Send idempotent: the first call claims it in the
 * store, a repeat gets the stored result (or PERR_CONFLICT while the
 * first still runs); a failed send releases it so the user can retry.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail_private.h"
#include "sanitize/sanitize.h"
#include "core/banned.h"

/* A claim older than this belongs to a request that died. */
#define SEND_TOKEN_STALE_S 600
/* A draft may hold what is not an address yet (half typed). */
#define DRAFT_PENDING_MAX 50
#define DRAFT_PENDING_LEN 512

struct mail_outgoing {
	struct mime_message m;
	/* Drafts: the entries of to, cc, bcc that did not parse, raw. */
	const char *pending[3][DRAFT_PENDING_MAX];
	size_t n_pending[3];
	struct mime_addr reply_to;
	struct store_upload *uploads;
	struct mime_attachment *att;
	size_t n_att;
	const struct mail_identity *ident;
	struct mail_ref irt, fwd;
	uint32_t draft_uid;
	const char *send_token;
	struct mime_built built;
};

/* ---- reading the form ---------------------------------------------------- */

/*
 * pending == NULL (Send): every entry must be an address. Otherwise
 * (a draft) an entry that is not one yet is kept aside in pending, but
 * CR, LF and NUL are refused all the same.
 */
static int
addr_list(struct mail_session *s, const struct mail_strings *in,
          const struct mime_addr **v_r, size_t *n_r, const char **pending,
          size_t *n_pending, struct perr *err)
{
	struct mime_addr *v;
	size_t i;

	*v_r = NULL;
	*n_r = 0;
	if (in->n == 0)
		return 0;
	v = arena_new_array(s->a, struct mime_addr, in->n + 1);
	if (v == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	for (i = 0; i < in->n; i++) {
		if (mime_addr_parse(strv_from_cstr(in->v[i]), s->a, &v[*n_r],
		                    err) == 0) {
			(*n_r)++;
			continue;
		}
		if (pending == NULL ||
		    strncmp(err->msg, "header injection", 16) == 0)
			return -1;
		perr_clear(err);
		if (*n_pending < DRAFT_PENDING_MAX &&
		    strlen(in->v[i]) <= DRAFT_PENDING_LEN)
			pending[(*n_pending)++] = in->v[i];
	}
	*v_r = v;
	return 0;
}

/*
 * The identity and From of the message. Sending needs a verified one
 * (#14 finding 2: an address the user could not otherwise send from
 * must not become From and MAIL FROM); a draft may show any.
 */
static int
pick_identity(struct mail_session *s, const struct mail_compose *in,
              bool sending, struct mail_outgoing *o, struct perr *err)
{
	struct mail_identity *ids, *d;
	struct mime_addr f;
	const char *want = in->identity_id;
	size_t n, i;

	if (mail_identities(s, &ids, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (want != NULL ? strcmp(ids[i].id, want) == 0
		                 : ids[i].s.is_default)
			o->ident = &ids[i];
	if (o->ident == NULL && want != NULL && strcmp(want, "default") == 0) {
		/* The login address is always there, stored ones or not. */
		if ((d = arena_new(s->a, struct mail_identity)) == NULL)
			return perr_set(err, s->a, PERR_LIMIT, "out of memory");
		d->id = "default";
		d->s.name = d->s.reply_to = d->s.signature = "";
		d->s.sent_folder = "";
		d->s.email = s->user;
		d->verified = true;
		o->ident = d;
	}
	if (o->ident == NULL)
		return perr_set(err, s->a, PERR_NOTFOUND,
		                "no such identity: %s", want);
	if (sending && !o->ident->verified) {
		s->why = MAIL_WHY_UNVERIFIED;
		return perr_set(err, s->a, PERR_FORBIDDEN,
		                "%s is not verified: confirm it by the link "
		                "mailed to it first",
		                o->ident->s.email);
	}
	o->m.from.name = o->ident->s.name;
	o->m.from.email = o->ident->s.email;
	if (in->from == NULL || in->from[0] == '\0')
		return 0;
	if (mime_addr_parse(strv_from_cstr(in->from), s->a, &f, err) != 0)
		return -1;
	/* Only the user's own addresses: no forged senders. */
	for (i = 0; i < n; i++)
		if (strcasecmp(ids[i].s.email, f.email) == 0 &&
		    (ids[i].verified || !sending))
			break;
	if (i == n && !mail_address_allowed(s, f.email))
		return perr_set(err, s->a, PERR_INPUT,
		                "invalid address: %s is not one of "
		                "your addresses",
		                f.email);
	o->m.from = f;
	if (f.name[0] == '\0')
		o->m.from.name = o->ident->s.name;
	return 0;
}

struct mapping {
	void *p;
	size_t n;
};

static void
unmap(void *arg)
{
	struct mapping *m = arg;

	munmap(m->p, m->n);
}

/* One upload file mapped into memory (unmapped when s->a resets). */
static int
map_upload(struct mail_session *s, const struct store_upload *u,
           struct strv *data_r, struct perr *err)
{
	struct mapping *m;
	struct stat sb;
	void *p;
	int fd = open(u->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		return perr_set(err, s->a, PERR_NOTFOUND, "upload %s is gone",
		                u->id);
	}
	*data_r = STRV_LIT("");
	if (sb.st_size == 0) {
		close(fd);
		return 0;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return perr_set(err, s->a, PERR_INTERNAL, "mmap upload failed");
	if ((m = arena_new(s->a, struct mapping)) == NULL) {
		/* Out of request memory: unmap at once rather than leak. */
		munmap(p, (size_t)sb.st_size);
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	}
	m->p = p;
	m->n = (size_t)sb.st_size;
	arena_defer(s->a, unmap, m);
	*data_r = (struct strv){p, (size_t)sb.st_size};
	return 0;
}

/* The uploads named in the form, mapped into memory. */
static int
load_attachments(struct mail_session *s, const struct mail_strings *ids,
                 struct mail_outgoing *o, struct perr *err)
{
	size_t i;

	if (ids->n == 0)
		return 0;
	o->uploads = arena_new_array(s->a, struct store_upload, ids->n);
	o->att = arena_new_array(s->a, struct mime_attachment, ids->n);
	if (o->uploads == NULL || o->att == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	for (i = 0; i < ids->n; i++) {
		if (store_upload_get(s->store, s->session_hash, ids->v[i], s->a,
		                     &o->uploads[i], err) != 0 ||
		    map_upload(s, &o->uploads[i], &o->att[i].data, err) != 0)
			return -1;
		o->att[i].filename = o->uploads[i].name;
		o->att[i].content_type = o->uploads[i].type;
	}
	o->n_att = ids->n;
	o->m.att = o->att;
	o->m.n_att = ids->n;
	return 0;
}

/* The HTML part sanitized into a small document; the text from it. */
static int
prepare_bodies(struct mail_session *s, struct mail_outgoing *o,
               const char *html, struct perr *err)
{
	struct sbuf out, text;

	o->m.html = NULL;
	if (html == NULL)
		return 0;
	sbuf_init(&out, s->a, strlen(html) + 256, MAIL_MAX_BODY * 2);
	sbuf_append_cstr(&out, "<!DOCTYPE html><html><head>"
	                       "<meta charset=\"utf-8\"></head><body>");
	if (sanitize_html(strv_from_cstr(html), NULL, s->a, &out, NULL, err) !=
	    0)
		return -1;
	sbuf_append_cstr(&out, "</body></html>");
	if (!sbuf_ok(&out))
		return perr_set(err, s->a, PERR_LIMIT, "HTML body too large");
	o->m.html = sbuf_cstr(&out);
	if (o->m.text == NULL || o->m.text[0] == '\0') {
		sbuf_init(&text, s->a, strlen(html) / 2 + 64, MAIL_MAX_BODY);
		if (sanitize_html_to_text(strv_from_cstr(html), s->a, &text,
		                          err) != 0)
			return -1;
		o->m.text = sbuf_cstr(&text);
	}
	return 0;
}

/* In-Reply-To and References from the message replied to. */
static void
thread_headers(struct mail_session *s, struct mail_outgoing *o)
{
	struct imap_message om;
	struct perr err = {0};

	if (o->irt.folder == NULL)
		return;
	if (s->ops->fetch_message(s->backend, o->irt.folder, o->irt.uid, s->a,
	                          &om, &err) != 0) {
		log_warn("compose: the replied-to message is unreadable: %s",
		         err.msg != NULL ? err.msg : "?");
		return;
	}
	/* Both written by whoever sent it: only well-formed ids, bounded. */
	mime_thread_ids(om.env.message_id, om.references, s->a,
	                &o->m.in_reply_to, &o->m.references);
}

/*
 * A draft remembers what it replies to or forwards, so that sending it
 * after reopening still threads and flags the original (compose-from
 * editAsNew reads these back). Only drafts carry them.
 */
/*
 * RFC 8098 2.1: Disposition-Notification-To with the sender's own address
 * asks the recipient's client for a read receipt (which it may refuse).
 * Appended to the header lines already there: the plugins' when sending,
 * the draft's own when saving (a reopened draft asks again; compose-from
 * reads it back, and other clients opening the draft see it too).
 */
static int
ask_receipt(struct mail_session *s, struct mail_outgoing *o, struct perr *err)
{
	size_t n = o->m.n_extra_headers;
	const char **lines = arena_new_array(s->a, const char *, n + 1);

	if (lines == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	if (n > 0)
		memcpy(lines, o->m.extra_headers, n * sizeof(*lines));
	lines[n] = arena_printf(s->a, "%s: <%s>", MAIL_RECEIPT_HEADER,
	                        o->m.from.email);
	o->m.extra_headers = lines;
	o->m.n_extra_headers = n + 1;
	return 0;
}

static int
draft_refs(struct mail_session *s, struct mail_outgoing *o, struct perr *err)
{
	const struct mail_ref *r[] = {&o->irt, &o->fwd};
	const char *names[] = {MAIL_DRAFT_REPLY_HEADER,
	                       MAIL_DRAFT_FORWARD_HEADER};
	const char *fields[] = {MAIL_DRAFT_PENDING_TO, MAIL_DRAFT_PENDING_CC,
	                        MAIL_DRAFT_PENDING_BCC};
	const char **refs =
	        arena_new_array(s->a, const char *, 2 + 3 * DRAFT_PENDING_MAX);
	size_t i, j, n = 0;

	if (refs == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	/* Entries that are no address yet, so that reopening shows them. */
	for (i = 0; i < 3; i++)
		for (j = 0; j < o->n_pending[i]; j++)
			refs[n++] = arena_printf(
			        s->a, "%s: %s", fields[i],
			        codec_base64_encode(s->a, o->pending[i][j],
			                            strlen(o->pending[i][j])));
	for (i = 0; i < 2; i++) {
		const char *f = r[i]->folder;

		/* Folder names are UTF-8 of any kind: base64 keeps one line. */
		if (f == NULL || strlen(f) > 600)
			continue;
		refs[n++] =
		        arena_printf(s->a, "%s: %u %s", names[i], r[i]->uid,
		                     codec_base64_encode(s->a, f, strlen(f)));
	}
	o->m.extra_headers = refs;
	o->m.n_extra_headers = n;
	return 0;
}

static int
read_recipients(struct mail_session *s, const struct mail_compose *in,
                bool sending, struct mail_outgoing *o, struct perr *err)
{
	return addr_list(s, &in->to, &o->m.to, &o->m.n_to,
	                 sending ? NULL : o->pending[0], &o->n_pending[0],
	                 err) != 0 ||
	                       addr_list(s, &in->cc, &o->m.cc, &o->m.n_cc,
	                                 sending ? NULL : o->pending[1],
	                                 &o->n_pending[1], err) != 0 ||
	                       addr_list(s, &in->bcc, &o->m.bcc, &o->m.n_bcc,
	                                 sending ? NULL : o->pending[2],
	                                 &o->n_pending[2], err) != 0
	               ? -1
	               : 0;
}

static size_t
message_max(const struct mail_session *s)
{
	/* base64 grows the attachments by 4/3; room for the text. */
	return (size_t)(s->max_total / 3 * 4) + 4 * MAIL_MAX_BODY;
}

int
mail_compose_prepare(struct mail_session *s, const struct mail_compose *in,
                     bool sending, struct mail_outgoing **out_r,
                     struct perr *err)
{
	struct mail_outgoing *o = arena_new(s->a, struct mail_outgoing);
	const char *reply_to = in->reply_to;

	if (o == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	o->irt = in->in_reply_to;
	o->fwd = in->forward_of;
	o->draft_uid = in->draft_uid;
	o->send_token = in->send_token;
	o->m.subject = in->subject;
	o->m.text = in->text;
	if (read_recipients(s, in, sending, o, err) != 0)
		return -1;
	if (o->m.subject != NULL &&
	    mime_has_crlf_nul(strv_from_cstr(o->m.subject)))
		return perr_set(
		        err, s->a, PERR_INPUT,
		        "header injection: CR, LF or NUL in the subject");
	if (sending && o->m.n_to + o->m.n_cc + o->m.n_bcc == 0)
		return perr_set(err, s->a, PERR_INPUT,
		                "invalid address: no recipients");
	if (pick_identity(s, in, sending, o, err) != 0)
		return -1;
	if (reply_to == NULL || reply_to[0] == '\0')
		reply_to = o->ident->s.reply_to;
	if (reply_to != NULL && reply_to[0] != '\0') {
		if (mime_addr_parse(strv_from_cstr(reply_to), s->a,
		                    &o->reply_to, err) != 0)
			return -1;
		o->m.reply_to = &o->reply_to;
	}
	if (prepare_bodies(s, o, in->html, err) != 0 ||
	    load_attachments(s, &in->attachments, o, err) != 0)
		return -1;
	o->m.date = in->date != 0 ? in->date : pt_now_unix();
	thread_headers(s, o);
	if (!sending && draft_refs(s, o, err) != 0)
		return -1;
	if (sending) {
		o->m.extra_headers = in->extra_headers;
		o->m.n_extra_headers = in->n_extra_headers;
	}
	if (in->read_receipt && ask_receipt(s, o, err) != 0)
		return -1;
	if (mime_build(&o->m, message_max(s), s->a, &o->built, err) != 0)
		return -1;
	*out_r = o;
	return 0;
}

int
mail_draft_save(struct mail_session *s, const struct mail_outgoing *o,
                uint32_t *uid_r, struct perr *err)
{
	const char *drafts =
	        mail_special_folder(s, IMAP_SPECIAL_DRAFTS, "Drafts");

	*uid_r = 0;
	if (mail_append_to(s, drafts, IMAP_MSG_DRAFT | IMAP_MSG_SEEN,
	                   o->built.with_bcc, uid_r, err) != 0)
		return -1;
	if (o->draft_uid != *uid_r)
		mail_drop_draft(s, drafts, o->draft_uid);
	return 0;
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

/* Every recipient once (case-blind), To, Cc, then Bcc. */
static int
envelope(struct mail_session *s, const struct mail_outgoing *o,
         struct smtp_envelope *env, struct perr *err)
{
	const struct mime_addr *lists[] = {o->m.to, o->m.cc, o->m.bcc};
	const size_t ns[] = {o->m.n_to, o->m.n_cc, o->m.n_bcc};
	const char **rcpt, *r;
	size_t i, j, k, n = 0;

	rcpt = arena_new_array(s->a, const char *, ns[0] + ns[1] + ns[2]);
	if (rcpt == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	for (i = 0; i < 3; i++)
		for (j = 0; j < ns[i]; j++) {
			if ((r = envelope_addr(lists[i][j].email, s->a, err)) ==
			    NULL)
				return -1;
			for (k = 0; k < n && strcasecmp(rcpt[k], r) != 0; k++)
				;
			if (k == n)
				rcpt[n++] = r;
		}
	env->from = envelope_addr(o->m.from.email, s->a, err);
	env->rcpt = rcpt;
	env->n_rcpt = n;
	return env->from != NULL ? 0 : -1;
}

int
mail_queue(struct mail_session *s, const struct mail_outgoing *o,
           struct mail_queued *q, struct perr *err)
{
	const struct mime_addr *lists[] = {o->m.to, o->m.cc, o->m.bcc};
	const size_t ns[] = {o->m.n_to, o->m.n_cc, o->m.n_bcc};
	size_t i, j;

	memset(q, 0, sizeof(*q));
	if (envelope(s, o, &q->env, err) != 0)
		return -1;
	q->message = o->built.with_bcc;
	q->wire_off = o->built.with_bcc.len - o->built.without_bcc.len;
	q->message_id = o->built.message_id;
	q->sent_folder = o->ident->s.sent_folder;
	q->irt = o->irt;
	q->fwd = o->fwd;
	q->draft_uid = o->draft_uid;
	q->seen = arena_new_array(s->a, struct mime_addr,
	                          ns[0] + ns[1] + ns[2] + 1);
	if (q->seen == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	for (i = 0; i < 3; i++)
		for (j = 0; j < ns[i]; j++)
			q->seen[q->n_seen++] = lists[i][j];
	q->uploads = o->uploads;
	q->n_uploads = o->n_att;
	return 0;
}

int
mail_queued_submit(struct mail_session *s, const struct mail_queued *q,
                   struct perr *err)
{
	struct smtp_failure f;
	struct strv wire;

	if (q->wire_off > q->message.len)
		return perr_set(err, s->a, PERR_INTERNAL, "bad queued message");
	wire.p = q->message.p + q->wire_off;
	wire.len = q->message.len - q->wire_off;
	memset(&f, 0, sizeof(f));
	if (s->ops->smtp_send(s->backend, &q->env, wire, s->a, &f, err) == 0)
		return 0;
	switch (err->kind) {
	case PERR_REMOTE:
		/* The server's words are the message; where, the detail. */
		s->why = MAIL_WHY_SMTP_REJECTED;
		s->why_detail = f.recipient != NULL
		                        ? arena_printf(s->a, "%s <%s>", f.stage,
		                                       f.recipient)
		                        : f.stage;
		break;
	case PERR_TEMPFAIL:
		s->why = f.maybe_delivered ? MAIL_WHY_SEND_UNCERTAIN
		                           : MAIL_WHY_SMTP_UNAVAILABLE;
		break;
	case PERR_LIMIT:
		s->why = MAIL_WHY_TOO_LARGE;
		break;
	default:
		break;
	}
	return -1;
}

/* Recipients remembered for suggestions, the uploads dropped. */
static void
after_send_store(struct mail_session *s, const struct mail_queued *q)
{
	struct perr err = {0};
	int64_t now = pt_now_unix();
	size_t i;

	for (i = 0; i < q->n_seen; i++)
		if (store_recipient_used(s->store, s->user, q->seen[i].email,
		                         q->seen[i].name, now, s->a, &err) != 0)
			log_warn("compose: recipient not recorded: %s",
			         err.msg);
	for (i = 0; i < q->n_uploads; i++) {
		(void)unlink(q->uploads[i].path);
		if (store_upload_delete(s->store, q->uploads[i].id, s->a,
		                        &err) != 0)
			log_warn("compose: %s", err.msg);
	}
}

/* After the server took it: nothing here may fail the Send. */
uint32_t
mail_queued_after(struct mail_session *s, const struct mail_queued *q,
                  bool *saved_r)
{
	struct perr err = {0};
	const char *sent;
	uint32_t uid = 0;
	bool saved = true;

	after_send_store(s, q);
	sent = q->sent_folder != NULL && q->sent_folder[0] != '\0'
	               ? q->sent_folder
	               : mail_special_folder(s, IMAP_SPECIAL_SENT, "Sent");
	if (mail_append_to(s, sent, IMAP_MSG_SEEN, q->message, &uid, &err) !=
	    0) {
		log_warn("compose: sent, but not saved to %s: %s", sent,
		         err.msg);
		saved = false;
		uid = 0;
	}
	if (saved_r != NULL)
		*saved_r = saved;
	perr_clear(&err);
	if (q->irt.folder != NULL &&
	    s->ops->add_flags(s->backend, q->irt.folder, q->irt.uid,
	                      IMAP_MSG_ANSWERED, s->a, &err) != 0)
		log_warn("compose: \\Answered not set: %s", err.msg);
	perr_clear(&err);
	if (q->fwd.folder != NULL &&
	    s->ops->add_flags(s->backend, q->fwd.folder, q->fwd.uid,
	                      IMAP_MSG_FORWARDED, s->a, &err) != 0)
		log_warn("compose: $Forwarded not set: %s", err.msg);
	if (q->draft_uid != 0)
		mail_drop_draft(
		        s,
		        mail_special_folder(s, IMAP_SPECIAL_DRAFTS, "Drafts"),
		        q->draft_uid);
	return uid;
}

/* The result as the store keeps it: {"messageId", "sentUid", "sentSaved"}. */
static const char *
result_json(struct arena *a, const char *message_id, uint32_t uid, bool saved)
{
	struct sbuf b;
	const char *p;

	sbuf_init(&b, a, 128, 4096);
	sbuf_append_cstr(&b, "{\"messageId\":\"");
	for (p = message_id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\')
			sbuf_printf(&b, "\\%c", c);
		else if (c < 0x20)
			sbuf_printf(&b, "\\u%04x", c);
		else
			sbuf_append_char(&b, (char)c);
	}
	if (uid != 0)
		sbuf_printf(&b, "\",\"sentUid\":%u", (unsigned)uid);
	else
		sbuf_append_cstr(&b, "\",\"sentUid\":null");
	sbuf_printf(&b, ",\"sentSaved\":%s}", saved ? "true" : "false");
	return sbuf_ok(&b) ? sbuf_cstr(&b) : NULL;
}

/*
 * The stored result of a send that may or may not have been delivered:
 * a repeat of its token answers the same error instead of sending again.
 */
#define SEND_UNCERTAIN_RESULT "{\"uncertain\":true}"

static int
send_uncertain(struct mail_session *s, struct perr *err)
{
	s->why = MAIL_WHY_SEND_UNCERTAIN;
	return perr_set(err, s->a, PERR_TEMPFAIL,
	                "the connection to the SMTP server broke after the "
	                "message was handed over: it may have been sent");
}

/* Claim the token: 1 when this call sends, 0 when r is filled, -1. */
static int
claim(struct mail_session *s, const struct mail_outgoing *o,
      struct mail_sent *r, struct perr *err)
{
	char *prior;
	int c = store_send_token_claim(
	        s->store, s->user, o->send_token, pt_now_unix(),
	        pt_now_unix() - SEND_TOKEN_STALE_S, s->a, &prior, err);

	if (c < 0)
		return -1;
	if (c == STORE_TOKEN_BUSY) {
		s->why = MAIL_WHY_IN_PROGRESS;
		return perr_set(err, s->a, PERR_CONFLICT,
		                "this message is being sent");
	}
	if (c == STORE_TOKEN_DONE) {
		if (prior != NULL && strcmp(prior, SEND_UNCERTAIN_RESULT) == 0)
			return send_uncertain(s, err);
		r->replay = prior;
		return 0;
	}
	return 1;
}

int
mail_send(struct mail_session *s, const struct mail_outgoing *o,
          struct mail_sent *r, struct perr *err)
{
	struct perr ignored = {0};
	struct mail_queued q;
	const char *result;
	int c;

	memset(r, 0, sizeof(*r));
	if (mail_queue(s, o, &q, err) != 0)
		return -1;
	if ((c = claim(s, o, r, err)) <= 0)
		return c;
	if (mail_queued_submit(s, &q, err) != 0) {
		/* Not sent: free the token for a retry. Perhaps sent: keep it
		 * taken, so that a retry cannot deliver it a second time. */
		bool maybe = s->why == MAIL_WHY_SEND_UNCERTAIN;

		if (store_send_token_finish(s->store, s->user, o->send_token,
		                            maybe ? SEND_UNCERTAIN_RESULT
		                                  : NULL,
		                            s->a, &ignored) != 0)
			log_warn("compose: send token kept: %s", ignored.msg);
		if (maybe)
			log_warn("compose: %s may have been sent: %s",
			         o->built.message_id, err->msg);
		return -1;
	}
	/*
	 * Out: remember it before anything else can go wrong (a repeat of a
	 * request that died before the Sent copy says it may be missing).
	 */
	r->message_id = o->built.message_id;
	result = result_json(s->a, r->message_id, 0, false);
	if (result == NULL ||
	    store_send_token_finish(s->store, s->user, o->send_token, result,
	                            s->a, &ignored) != 0)
		log_error("compose: sent %s but the token was not recorded",
		          r->message_id);
	r->sent_uid = mail_queued_after(s, &q, &r->sent_saved);
	perr_clear(&ignored);
	result = result_json(s->a, r->message_id, r->sent_uid, r->sent_saved);
	if (result != NULL &&
	    store_send_token_finish(s->store, s->user, o->send_token, result,
	                            s->a, &ignored) != 0)
		log_warn("compose: %s", ignored.msg);
	return 0;
}
