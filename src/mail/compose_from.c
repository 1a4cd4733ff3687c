/*
 * Compose from a stored message: reply, reply all, forward inline or as
 * an attachment, edit as new. One function per mode over a shared
 * loader; attachments are copied server-side into the session's uploads
 * so that the browser never downloads and re-uploads them.
 *
 * Quoted HTML passes the sanitizer with remote content blocked (the reply
 * must not load trackers when the user opens it); the attribution and
 * forward header lines are the caller's (its language catalog's).
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail_private.h"
#include "sanitize/sanitize.h"
#include "core/banned.h"

#define QUOTE_MAX (8u * 1024 * 1024)

struct cf {
	struct mail_session *s;
	struct arena *a;
	struct mail_view v;
	struct mail_identity *ids;
	size_t n_ids;
	const struct mail_compose_texts *t;
	const char *text; /* the original's text ("" if none) */
	const char *html; /* its sanitized HTML or NULL */
	struct mail_form *f;
};

/* "Name <a@b>", quoting the name when the parser would need it. */
static const char *
addr_string(struct arena *a, const struct imap_address *ad)
{
	struct sbuf b;
	size_t i;

	if (ad->name[0] == '\0')
		return ad->email;
	sbuf_init(&b, a, 64, 4096);
	if (strpbrk(ad->name, ",;<>\"@()[]:\\") != NULL) {
		sbuf_append_char(&b, '"');
		for (i = 0; ad->name[i] != '\0'; i++) {
			if (ad->name[i] == '"' || ad->name[i] == '\\')
				sbuf_append_char(&b, '\\');
			sbuf_append_char(&b, ad->name[i]);
		}
		sbuf_append_char(&b, '"');
	} else {
		sbuf_append_cstr(&b, ad->name);
	}
	sbuf_printf(&b, " <%s>", ad->email);
	return sbuf_cstr(&b);
}

static bool
is_own(const struct cf *f, const char *email)
{
	size_t i;

	if (strcasecmp(email, f->s->user) == 0)
		return true;
	for (i = 0; i < f->n_ids; i++)
		if (strcasecmp(email, f->ids[i].s.email) == 0)
			return true;
	return false;
}

static bool
listed(const char *email, const struct imap_addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].email, email) == 0)
			return true;
	return false;
}

static int
add_addrs(struct cf *f, struct mail_strings *out,
          const struct imap_addr_list *l, bool drop_own,
          const struct imap_addr_list *exclude, struct perr *err)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const char *e = l->v[i].email;
		bool dup = false;

		if (e[0] == '\0' || (drop_own && is_own(f, e)))
			continue;
		if (exclude != NULL && listed(e, exclude))
			continue;
		for (j = 0; j < out->n; j++)
			if (strcasestr(out->v[j], e) != NULL)
				dup = true;
		if (!dup && mail_strings_add(out, addr_string(f->a, &l->v[i]),
		                             f->a) != 0)
			return perr_set(err, f->a, PERR_LIMIT,
			                "out of request memory");
	}
	return 0;
}

static const char *
prefixed(struct arena *a, const char *subject, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncasecmp(subject, prefix, n) == 0)
		return subject;
	return arena_printf(a, "%s %s", prefix, subject);
}

/* A text with {name} style placeholders filled in. */
static const char *
fill(struct cf *f, const char *t, const char *const *kv, size_t n)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b, f->a, 128, 64 * 1024);
	while (*t != '\0') {
		for (i = 0; i + 1 < n; i += 2) {
			size_t kl = strlen(kv[i]);

			if (t[0] == '{' && strncmp(t + 1, kv[i], kl) == 0 &&
			    t[kl + 1] == '}') {
				sbuf_append_cstr(&b, kv[i + 1]);
				t += kl + 2;
				break;
			}
		}
		if (i + 1 >= n)
			sbuf_append_char(&b, *t++);
	}
	return sbuf_cstr(&b);
}

static const char *
date_text(struct arena *a, int64_t when, const char *raw)
{
	time_t t = (time_t)when;
	struct tm tm;
	char buf[64];

	if (when == 0)
		return raw;
	gmtime_r(&t, &tm);
	if (strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M UTC", &tm) == 0)
		return raw;
	return arena_strdup(a, buf);
}

static const char *
who(const struct imap_envelope *env)
{
	if (env->from.n == 0)
		return "";
	return env->from.v[0].name[0] != '\0' ? env->from.v[0].name
	                                      : env->from.v[0].email;
}

static const char *
quote_text(struct arena *a, const char *text)
{
	struct sbuf b;
	const char *p = text;

	sbuf_init(&b, a, strlen(text) + 256, QUOTE_MAX);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		sbuf_append_cstr(&b, p[0] == '>' ? ">" : "> ");
		sbuf_append(&b, p, n);
		sbuf_append_char(&b, '\n');
		p = nl != NULL ? nl + 1 : p + strlen(p);
	}
	return sbuf_cstr(&b);
}

static const char *
text_as_html(struct cf *f, const char *text)
{
	struct sbuf b;
	struct perr err = {0};
	/* A quote in the editor is never folded: the user edits all of it. */
	struct sanitize_plain_opts po = {.max_output = QUOTE_MAX};

	sbuf_init(&b, f->a, strlen(text) * 2 + 64, QUOTE_MAX);
	if (sanitize_plain_to_html(strv_from_cstr(text), &po, f->a, &b, &err) !=
	    0)
		return "";
	return sbuf_cstr(&b);
}

/* LF line ends and no trailing blank lines: what a compose box holds. */
static const char *
tidy_text(struct arena *a, struct strv t)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b, a, t.len + 1, QUOTE_MAX);
	for (i = 0; i < t.len; i++)
		if (!(t.p[i] == '\r' && i + 1 < t.len && t.p[i + 1] == '\n'))
			sbuf_append_char(&b, t.p[i]);
	while (b.len > 0 &&
	       (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' ' ||
	        b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	return sbuf_cstr(&b);
}

/* The original's body: its text, and its HTML sanitized (or NULL). */
static int
load_bodies(struct cf *f, struct perr *err)
{
	struct strv t;
	struct sbuf b;
	struct sanitize_opts o;

	f->text = "";
	f->html = NULL;
	if (f->v.html != NULL) {
		if (mail_view_part_text(f->s, &f->v, f->v.html, &t, err) != 0)
			return -1;
		memset(&o, 0, sizeof(o));
		o.max_output = QUOTE_MAX;
		sbuf_init(&b, f->a, t.len + 64, QUOTE_MAX);
		if (sanitize_html(t, &o, f->a, &b, NULL, err) != 0)
			return -1;
		f->html = sbuf_cstr(&b);
		if (f->v.plain == NULL) {
			sbuf_init(&b, f->a, t.len / 2 + 64, QUOTE_MAX);
			if (sanitize_html_to_text(t, f->a, &b, err) != 0)
				return -1;
			f->text = tidy_text(f->a, sbuf_view(&b));
		}
	}
	if (f->v.plain != NULL) {
		if (mail_view_part_text(f->s, &f->v, f->v.plain, &t, err) != 0)
			return -1;
		f->text = tidy_text(f->a, t);
	}
	return 0;
}

static int
add_upload(struct cf *f, const char *name, const char *type, struct strv data,
           struct perr *err)
{
	struct mail_form *o = f->f;
	struct mail_upload *v;

	/* Grown one at a time: a message has few attachments. */
	v = arena_new_array(f->a, struct mail_upload, o->n_att + 1);
	if (v == NULL)
		return perr_set(err, f->a, PERR_LIMIT, "out of request memory");
	if (o->n_att > 0)
		memcpy(v, o->att, o->n_att * sizeof(*v));
	if (mail_upload_store(f->s, name, type, data, NULL, data.len,
	                      &v[o->n_att], err) != 0)
		return -1;
	o->att = v;
	o->n_att++;
	return 0;
}

static int
copy_attachments(struct cf *f, struct perr *err)
{
	const struct imap_part **parts;
	size_t i, n = mail_view_attachments(&f->v, &parts);

	for (i = 0; i < n; i++) {
		const struct imap_part *p = parts[i];
		struct strv raw, dec;

		if (f->s->ops->fetch_section(f->s->backend, f->v.folder,
		                             f->v.uid, p->section, f->a, &raw,
		                             err) != 0)
			return -1;
		dec = mime_transfer_decode(
		        mime_encoding_parse(strv_from_cstr(p->encoding)), raw,
		        f->a);
		if (add_upload(f, mail_view_attachment_name(&f->v, p),
		               arena_printf(f->a, "%s/%s", p->type, p->subtype),
		               dec, err) != 0)
			return -1;
	}
	return 0;
}

/* The identity the message was addressed to (reply) or sent from. */
static const char *
identity_for(struct cf *f, const struct imap_addr_list *const *lists,
             size_t n_lists)
{
	size_t i, j, k;

	for (k = 0; k < n_lists; k++)
		for (j = 0; j < lists[k]->n; j++)
			for (i = 0; i < f->n_ids; i++)
				if (strcasecmp(lists[k]->v[j].email,
				               f->ids[i].s.email) == 0)
					return f->ids[i].id;
	return NULL;
}

/* The identity of a message received: the one it was addressed to. */
static const char *
identity_received(struct cf *f)
{
	const struct imap_addr_list *mine[] = {&f->v.env->to, &f->v.env->cc};

	return identity_for(f, mine, 2);
}

static const char *
list_text(struct cf *f, const struct imap_addr_list *l)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b, f->a, 128, 64 * 1024);
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			sbuf_append_cstr(&b, ", ");
		sbuf_append_cstr(&b, addr_string(f->a, &l->v[i]));
	}
	return sbuf_cstr(&b);
}

static int
from_reply(struct cf *f, bool all, struct perr *err)
{
	const struct imap_envelope *env = f->v.env;
	struct mail_form *o = f->f;
	const char *kv[] = {"date", date_text(f->a, env->date, env->date_raw),
	                    "name", who(env)};
	const char *attr = fill(f, f->t->reply_attribution, kv, 4);

	if (add_addrs(f, &o->to,
	              env->reply_to.n > 0 ? &env->reply_to : &env->from, false,
	              NULL, err) != 0)
		return -1;
	/* Everyone else who got it, without the user and the sender. */
	if (all &&
	    (add_addrs(f, &o->cc, &env->to, true, &env->from, err) != 0 ||
	     add_addrs(f, &o->cc, &env->cc, true, &env->from, err) != 0))
		return -1;
	o->subject = prefixed(f->a, env->subject, "Re:");
	o->text = arena_printf(f->a, "\n\n%s\n%s", attr,
	                       quote_text(f->a, f->text));
	if (f->html != NULL)
		o->html = arena_printf(f->a,
		                       "<p><br></p><p>%s</p>"
		                       "<blockquote>%s</blockquote>",
		                       text_as_html(f, attr), f->html);
	o->identity_id = identity_received(f);
	o->in_reply_to = (struct mail_ref){f->v.folder, f->v.uid};
	return 0;
}

static int
from_forward(struct cf *f, struct perr *err)
{
	const struct imap_envelope *env = f->v.env;
	struct mail_form *o = f->f;
	const char *kv[] = {
	        "from",    list_text(f, &env->from),
	        "date",    date_text(f->a, env->date, env->date_raw),
	        "subject", env->subject,
	        "to",      list_text(f, &env->to)};
	const char *head = fill(f, f->t->forward_header, kv, 8);

	o->subject = prefixed(f->a, env->subject, "Fwd:");
	o->text = arena_printf(f->a, "\n\n%s\n\n%s", head, f->text);
	if (f->html != NULL)
		o->html = arena_printf(f->a, "<p><br></p>%s%s",
		                       text_as_html(f, head), f->html);
	if (copy_attachments(f, err) != 0)
		return -1;
	o->identity_id = identity_received(f);
	o->forward_of = (struct mail_ref){f->v.folder, f->v.uid};
	return 0;
}

static int
from_forward_attachment(struct cf *f, struct perr *err)
{
	/* A Sent copy or a draft: who was in Bcc is the sender's. */
	static const char *const private_fields[] = {"Bcc", "Resent-Bcc",
	                                             "X-Petrel-Draft-*"};
	const struct imap_envelope *env = f->v.env;
	struct mail_form *o = f->f;
	struct strv raw;

	o->subject = prefixed(f->a, env->subject, "Fwd:");
	if (f->s->ops->fetch_section(f->s->backend, f->v.folder, f->v.uid, NULL,
	                             f->a, &raw, err) != 0)
		return -1;
	raw = mime_drop_header_fields(raw, private_fields,
	                              PT_NELEM(private_fields), f->a);
	if (add_upload(f,
	               arena_printf(f->a, "%s.eml",
	                            env->subject[0] != '\0' ? env->subject
	                                                    : "message"),
	               "message/rfc822", raw, err) != 0)
		return -1;
	o->identity_id = identity_received(f);
	o->forward_of = (struct mail_ref){f->v.folder, f->v.uid};
	return 0;
}

/* ---- edit as new: what a draft keeps in its own headers ------------------ */

/* The nth (from 0) field name of a raw header block, unfolded, or NULL. */
static const char *
header_field(struct strv hdr, const char *name, size_t nth, struct arena *a)
{
	struct strv line, want = strv_from_cstr(name);
	struct sbuf v;
	const char *p, *end = hdr.p + hdr.len;
	bool in = false;
	size_t seen = 0;

	sbuf_init(&v, a, 256, 64 * 1024);
	for (p = hdr.p; p != NULL && p < end && *p != '\0';) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		line = (struct strv){p, nl != NULL ? (size_t)(nl - p)
		                                   : (size_t)(end - p)};
		p = nl != NULL ? nl + 1 : NULL;
		if (in && line.len > 0 &&
		    (line.p[0] == ' ' || line.p[0] == '\t')) {
			sbuf_append_char(&v, ' ');
			sbuf_append_strv(&v, strv_trim(line));
			continue;
		}
		if (in)
			break;
		if (line.len > want.len && line.p[want.len] == ':' &&
		    strv_starts_with_ci_ascii(line, want) && seen++ == nth) {
			sbuf_append_strv(&v, strv_trim((struct strv){
			                             line.p + want.len + 1,
			                             line.len - want.len - 1}));
			in = true;
		}
	}
	return in && sbuf_ok(&v) ? sbuf_cstr(&v) : NULL;
}

/* The Bcc header of the stored message (drafts and sent copies keep it). */
static int
add_bcc(struct cf *f, struct strv hdr, struct mail_strings *out)
{
	const char *raw = header_field(hdr, "Bcc", 0, f->a), *p, *dec;
	bool quoted = false;
	int angle = 0;
	size_t i;

	if (raw == NULL)
		return 0;
	dec = imap_decode_header(strv_from_cstr(raw), f->a);
	/* Split at commas outside quotes and angle brackets. */
	for (p = dec, i = 0;; i++) {
		char c = dec[i];

		if (c == '"' && (i == 0 || dec[i - 1] != '\\'))
			quoted = !quoted;
		else if (!quoted && c == '<')
			angle++;
		else if (!quoted && c == '>' && angle > 0)
			angle--;
		if (c == '\0' || (c == ',' && !quoted && angle == 0)) {
			struct strv one = strv_trim(
			        (struct strv){p, (size_t)(dec + i - p)});

			if (one.len > 0 &&
			    mail_strings_add(out, strv_dup(f->a, one), f->a) !=
			            0)
				return -1;
			if (c == '\0')
				break;
			p = dec + i + 1;
		}
	}
	return 0;
}

/* A draft's recipients that were no address yet, back into out. */
static int
add_pending(struct cf *f, struct strv hdr, const char *name,
            struct mail_strings *out)
{
	const char *v;
	struct strv raw;
	size_t i;

	for (i = 0; (v = header_field(hdr, name, i, f->a)) != NULL; i++)
		if (codec_base64_decode(strv_from_cstr(v), f->a, &raw) == 0 &&
		    codec_utf8_valid(raw) && !strv_has_ctl(raw, false) &&
		    mail_strings_add(out, strv_dup(f->a, raw), f->a) != 0)
			return -1;
	return 0;
}

/* A draft's X-Petrel-Draft-* header back into a reference. */
static struct mail_ref
draft_ref(struct cf *f, struct strv hdr, const char *name)
{
	const char *v = header_field(hdr, name, 0, f->a), *sp;
	struct mail_ref none = {NULL, 0};
	struct strv folder;
	uint64_t uid;

	if (v == NULL || (sp = strchr(v, ' ')) == NULL ||
	    !pt_parse_u64((struct strv){v, (size_t)(sp - v)}, UINT32_MAX,
	                  &uid) ||
	    uid == 0 ||
	    codec_base64_decode(strv_from_cstr(sp + 1), f->a, &folder) != 0 ||
	    folder.len == 0 || !codec_utf8_valid(folder) ||
	    strv_has_ctl(folder, false))
		return none;
	return (struct mail_ref){strv_dup(f->a, folder), (uint32_t)uid};
}

/* A draft reopened: its references and what was no address yet. */
static int
draft_back(struct cf *f, struct strv hdr)
{
	struct mail_form *o = f->f;

	o->draft_uid = f->v.uid;
	o->read_receipt =
	        header_field(hdr, MAIL_RECEIPT_HEADER, 0, f->a) != NULL;
	o->in_reply_to = draft_ref(f, hdr, MAIL_DRAFT_REPLY_HEADER);
	o->forward_of = draft_ref(f, hdr, MAIL_DRAFT_FORWARD_HEADER);
	return add_pending(f, hdr, MAIL_DRAFT_PENDING_TO, &o->to) != 0 ||
	                       add_pending(f, hdr, MAIL_DRAFT_PENDING_CC,
	                                   &o->cc) != 0 ||
	                       add_pending(f, hdr, MAIL_DRAFT_PENDING_BCC,
	                                   &o->bcc) != 0
	               ? -1
	               : 0;
}

static int
from_edit(struct cf *f, struct perr *err)
{
	const struct imap_envelope *env = f->v.env;
	const struct imap_addr_list *mine[] = {&env->from};
	struct mail_form *o = f->f;
	struct strv hdr = STRV_LIT("");
	struct perr ignored = {0};

	/* Without the header block only Bcc and the draft refs miss. */
	if (f->s->ops->fetch_section(f->s->backend, f->v.folder, f->v.uid,
	                             "HEADER", f->a, &hdr, &ignored) != 0)
		hdr = STRV_LIT("");
	if (add_addrs(f, &o->to, &env->to, false, NULL, err) != 0 ||
	    add_addrs(f, &o->cc, &env->cc, false, NULL, err) != 0 ||
	    add_bcc(f, hdr, &o->bcc) != 0)
		return perr_set(err, f->a, PERR_LIMIT, "out of request memory");
	if (env->reply_to.n > 0 &&
	    (env->from.n == 0 ||
	     strcasecmp(env->reply_to.v[0].email, env->from.v[0].email) != 0))
		o->reply_to = addr_string(f->a, &env->reply_to.v[0]);
	o->subject = env->subject;
	o->text = f->text;
	o->html = f->html;
	if (copy_attachments(f, err) != 0)
		return -1;
	o->identity_id = identity_for(f, mine, 1);
	if (strcmp(mail_special_folder(f->s, IMAP_SPECIAL_DRAFTS, ""),
	           f->v.folder) == 0 &&
	    draft_back(f, hdr) != 0)
		return perr_set(err, f->a, PERR_LIMIT, "out of request memory");
	return 0;
}

int
mail_compose_mode_parse(const char *s, enum mail_compose_mode *m_r)
{
	static const char *const names[] = {"reply", "replyAll", "forward",
	                                    "forwardAttachment", "editAsNew"};
	size_t i;

	for (i = 0; i < PT_NELEM(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*m_r = (enum mail_compose_mode)i;
			return 0;
		}
	return -1;
}

int
mail_compose_from(struct mail_session *s, enum mail_compose_mode mode,
                  const char *folder, uint32_t uid,
                  const struct mail_compose_texts *texts, struct mail_form *o,
                  struct perr *err)
{
	struct cf f;

	memset(&f, 0, sizeof(f));
	memset(o, 0, sizeof(*o));
	f.s = s;
	f.a = s->a;
	f.t = texts;
	f.f = o;
	o->reply_to = "";
	o->text = "";
	if (mail_view_load(s, folder, uid, NULL, &f.v, err) != 0 ||
	    mail_identities(s, &f.ids, &f.n_ids, err) != 0)
		return -1;
	if (mode != MAIL_COMPOSE_FORWARD_ATTACHMENT &&
	    load_bodies(&f, err) != 0)
		return -1;
	o->subject = f.v.env->subject;
	switch (mode) {
	case MAIL_COMPOSE_REPLY:
	case MAIL_COMPOSE_REPLY_ALL:
		return from_reply(&f, mode == MAIL_COMPOSE_REPLY_ALL, err);
	case MAIL_COMPOSE_FORWARD:
		return from_forward(&f, err);
	case MAIL_COMPOSE_FORWARD_ATTACHMENT:
		return from_forward_attachment(&f, err);
	case MAIL_COMPOSE_EDIT_AS_NEW:
		return from_edit(&f, err);
	}
	return perr_set(err, s->a, PERR_INTERNAL, "unknown compose mode");
}
