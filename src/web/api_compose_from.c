/*
 * Compose, part 3: ComposeFrom (docs/API.md) fills a compose form from a
 * stored message: reply, reply all, forward inline or as an attachment,
 * edit as new. Attachments are copied server-side into the session's
 * uploads so that the browser never downloads and re-uploads them.
 *
 * Quoted HTML passes the sanitizer with remote content blocked (the reply
 * must not load trackers when the user opens it); the attribution and
 * forward header lines come from the language catalog.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "web_private.h"
#include "mime/mime.h"
#include "sanitize/sanitize.h"
#include "core/banned.h"

#define QUOTE_MAX (8u * 1024 * 1024)

enum cf_mode {
	CF_REPLY,
	CF_REPLY_ALL,
	CF_FORWARD,
	CF_FORWARD_ATT,
	CF_EDIT,
};

struct cf {
	struct web_ctx *ctx;
	struct arena *a;
	struct imap_conn *ic;
	struct web_msg_view v;
	struct web_identity *ids;
	size_t n_ids;
	const char *text; /* the original's text ("" if none) */
	const char *html; /* its sanitized HTML or NULL */
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

	if (strcasecmp(email, f->ctx->session->user) == 0)
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

static void
add_addrs(struct cf *f, json_t *arr, const struct imap_addr_list *l,
          bool drop_own, const struct imap_addr_list *exclude)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const char *e = l->v[i].email;
		bool dup = false;

		if (e[0] == '\0' || (drop_own && is_own(f, e)))
			continue;
		if (exclude != NULL && listed(e, exclude))
			continue;
		for (j = 0; j < json_array_size(arr); j++)
			if (strcasestr(
			            json_string_value(json_array_get(arr, j)),
			            e) != NULL)
				dup = true;
		if (!dup)
			json_array_append_new(
			        arr, json_string(addr_string(f->a, &l->v[i])));
	}
}

static const char *
prefixed(struct arena *a, const char *subject, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncasecmp(subject, prefix, n) == 0)
		return subject;
	return arena_printf(a, "%s %s", prefix, subject);
}

/* A catalog text with {name} style placeholders filled in. */
static const char *
fill(struct cf *f, const char *key, const char *const *kv, size_t n)
{
	const char *t = i18n_get(f->ctx->lang, key);
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

	f->text = "";
	f->html = NULL;
	if (f->v.html != NULL) {
		struct sanitize_opts o;

		if (web_msg_part_text(f->ic, &f->v, f->v.html, &t, err) != 0)
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
		if (web_msg_part_text(f->ic, &f->v, f->v.plain, &t, err) != 0)
			return -1;
		f->text = tidy_text(f->a, t);
	}
	return 0;
}

static int
copy_attachments(struct cf *f, json_t *out, struct perr *err)
{
	const struct imap_part **parts;
	size_t i, n = web_msg_attachments(&f->v, &parts);

	for (i = 0; i < n; i++) {
		const struct imap_part *p = parts[i];
		struct strv raw, dec;
		json_t *j;

		if (imap_fetch_section(f->ic, f->v.folder, f->v.uid, p->section,
		                       f->a, &raw, err) != 0)
			return -1;
		dec = mime_transfer_decode(
		        mime_encoding_parse(strv_from_cstr(p->encoding)), raw,
		        f->a);
		if (web_upload_store(
		            f->ctx, web_msg_attachment_name(&f->v, p),
		            arena_printf(f->a, "%s/%s", p->type, p->subtype),
		            dec, NULL, dec.len, &j, err) != 0)
			return -1;
		json_array_append_new(out, j);
	}
	return 0;
}

/* The nth (from 0) field name of a raw header block, unfolded, or NULL. */
static const char *
header_field(struct strv hdr, const char *name, size_t nth, struct arena *a)
{
	struct strv line, want = strv_from_cstr(name);
	struct sbuf v;
	const char *p;
	bool in = false;
	size_t seen = 0;

	sbuf_init(&v, a, 256, 64 * 1024);
	for (p = hdr.p; p != NULL && p < hdr.p + hdr.len && *p != '\0';) {
		const char *nl = memchr(p, '\n', (size_t)(hdr.p + hdr.len - p));

		line = (struct strv){
		        p, nl != NULL ? (size_t)(nl - p)
		                      : (size_t)(hdr.p + hdr.len - p)};
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
static void
add_bcc(struct cf *f, struct strv hdr, json_t *arr)
{
	const char *raw = header_field(hdr, "Bcc", 0, f->a), *p, *dec;
	bool quoted = false;
	int angle = 0;
	size_t i;

	if (raw == NULL)
		return;
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

			if (one.len > 0)
				json_array_append_new(
				        arr, json_stringn(one.p, one.len));
			if (c == '\0')
				break;
			p = dec + i + 1;
		}
	}
}

/* A draft's recipients that were no address yet, back into arr. */
static void
add_pending(struct cf *f, struct strv hdr, const char *name, json_t *arr)
{
	const char *v;
	struct strv raw;
	size_t i;

	for (i = 0; (v = header_field(hdr, name, i, f->a)) != NULL; i++)
		if (codec_base64_decode(strv_from_cstr(v), f->a, &raw) == 0 &&
		    codec_utf8_valid(raw) && !strv_has_ctl(raw, false))
			json_array_append_new(arr,
			                      json_stringn(raw.p, raw.len));
}

/* A draft's X-Petrel-Draft-* header back into {"folder", "uid"}. */
static json_t *
draft_ref(struct cf *f, struct strv hdr, const char *name)
{
	const char *v = header_field(hdr, name, 0, f->a), *sp;
	struct strv folder;
	uint64_t uid;

	if (v == NULL || (sp = strchr(v, ' ')) == NULL ||
	    !pt_parse_u64((struct strv){v, (size_t)(sp - v)}, UINT32_MAX,
	                  &uid) ||
	    uid == 0 ||
	    codec_base64_decode(strv_from_cstr(sp + 1), f->a, &folder) != 0 ||
	    folder.len == 0 || !codec_utf8_valid(folder) ||
	    strv_has_ctl(folder, false))
		return json_null();
	return json_pack("{ss#sI}", "folder", folder.p, (int)folder.len, "uid",
	                 (json_int_t)uid);
}

/* The identity the message was addressed to (reply) or sent from. */
static json_t *
identity_for(struct cf *f, const struct imap_addr_list *const *lists,
             size_t n_lists)
{
	size_t i, j, k;

	for (k = 0; k < n_lists; k++)
		for (j = 0; j < lists[k]->n; j++)
			for (i = 0; i < f->n_ids; i++)
				if (strcasecmp(lists[k]->v[j].email,
				               f->ids[i].s.email) == 0)
					return json_string(f->ids[i].id);
	return json_null();
}

static int
parse_mode(const char *s, enum cf_mode *m_r)
{
	static const char *const names[] = {"reply", "replyAll", "forward",
	                                    "forwardAttachment", "editAsNew"};
	size_t i;

	for (i = 0; i < PT_NELEM(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*m_r = (enum cf_mode)i;
			return 0;
		}
	return -1;
}

static json_t *
ref_json(const char *folder, uint32_t uid)
{
	return json_pack("{sssI}", "folder", folder, "uid", (json_int_t)uid);
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

int
web_api_compose_from(struct web_ctx *ctx, struct perr *err)
{
	struct cf f;
	const struct imap_envelope *env;
	const char *mode_s, *folder, *subject, *text = "", *html = NULL;
	enum cf_mode mode;
	json_t *uidj = json_object_get(web_json_body(ctx), "uid");
	json_t *to = json_array(), *cc = json_array(), *bcc = json_array();
	json_t *atts = json_array(), *ident = json_null(), *irt = json_null();
	json_t *fwd = json_null(), *draft = json_null(), *out;
	const char *reply_to = "";
	uint32_t uid;

	memset(&f, 0, sizeof(f));
	f.ctx = ctx;
	f.a = ctx->req->arena;
	out = json_pack("{sosososo}", "to", to, "cc", cc, "bcc", bcc,
	                "attachments", atts);
	if (web_json_str(ctx, "mode", true, 32, &mode_s, err) != 0 ||
	    web_json_str(ctx, "folder", true, 4096, &folder, err) != 0)
		goto fail;
	if (parse_mode(mode_s, &mode) != 0) {
		perr_set(err, f.a, PERR_INPUT,
		         "\"mode\" must be reply, replyAll, forward, "
		         "forwardAttachment or editAsNew");
		goto fail;
	}
	if (!json_is_integer(uidj) || json_integer_value(uidj) <= 0 ||
	    json_integer_value(uidj) > (json_int_t)UINT32_MAX) {
		perr_set(err, f.a, PERR_INPUT, "\"uid\" must be a message UID");
		goto fail;
	}
	uid = (uint32_t)json_integer_value(uidj);
	if (web_imap(ctx, &f.ic, err) != 0 ||
	    web_msg_load(ctx, f.ic, folder, uid, NULL, &f.v, err) != 0 ||
	    web_compose_identities(ctx, &f.ids, &f.n_ids, err) != 0)
		goto fail;
	env = f.v.env;
	if (mode != CF_FORWARD_ATT && load_bodies(&f, err) != 0)
		goto fail;
	subject = env->subject;
	if (mode == CF_REPLY || mode == CF_REPLY_ALL) {
		const struct imap_addr_list *mine[] = {&env->to, &env->cc};
		const char *kv[] = {"date",
		                    date_text(f.a, env->date, env->date_raw),
		                    "name", who(env)};
		const char *attr =
		        fill(&f, "L_COMPOSE_REPLY_ATTRIBUTION", kv, 4);

		add_addrs(&f, to,
		          env->reply_to.n > 0 ? &env->reply_to : &env->from,
		          false, NULL);
		if (mode == CF_REPLY_ALL) {
			add_addrs(&f, cc, &env->to, true, &env->from);
			add_addrs(&f, cc, &env->cc, true, &env->from);
		}
		subject = prefixed(f.a, subject, "Re:");
		text = arena_printf(f.a, "\n\n%s\n%s", attr,
		                    quote_text(f.a, f.text));
		if (f.html != NULL)
			html = arena_printf(f.a,
			                    "<p><br></p><p>%s</p>"
			                    "<blockquote>%s</blockquote>",
			                    text_as_html(&f, attr), f.html);
		ident = identity_for(&f, mine, 2);
		irt = ref_json(folder, uid);
	} else if (mode == CF_FORWARD) {
		const char *kv[] = {
		        "from",    list_text(&f, &env->from),
		        "date",    date_text(f.a, env->date, env->date_raw),
		        "subject", env->subject,
		        "to",      list_text(&f, &env->to)};
		const char *head = fill(&f, "L_COMPOSE_FORWARD_HEADER", kv, 8);
		const struct imap_addr_list *mine[] = {&env->to, &env->cc};

		subject = prefixed(f.a, subject, "Fwd:");
		text = arena_printf(f.a, "\n\n%s\n\n%s", head, f.text);
		if (f.html != NULL)
			html = arena_printf(f.a, "<p><br></p>%s%s",
			                    text_as_html(&f, head), f.html);
		if (copy_attachments(&f, atts, err) != 0)
			goto fail;
		ident = identity_for(&f, mine, 2);
		fwd = ref_json(folder, uid);
	} else if (mode == CF_FORWARD_ATT) {
		static const char *const private_fields[] = {
		        "Bcc", "Resent-Bcc", "X-Petrel-Draft-*"};
		struct strv raw;
		json_t *j;
		const struct imap_addr_list *mine[] = {&env->to, &env->cc};

		subject = prefixed(f.a, subject, "Fwd:");
		if (imap_fetch_section(f.ic, folder, uid, NULL, f.a, &raw,
		                       err) != 0)
			goto fail;
		/* A Sent copy or a draft: who was in Bcc is the sender's. */
		raw = mime_drop_header_fields(raw, private_fields,
		                              PT_NELEM(private_fields), f.a);
		if (web_upload_store(
		            ctx,
		            arena_printf(f.a, "%s.eml",
		                         env->subject[0] != '\0' ? env->subject
		                                                 : "message"),
		            "message/rfc822", raw, NULL, raw.len, &j, err) != 0)
			goto fail;
		json_array_append_new(atts, j);
		ident = identity_for(&f, mine, 2);
		fwd = ref_json(folder, uid);
	} else {
		const struct imap_addr_list *mine[] = {&env->from};
		const char *drafts = NULL;
		struct imap_folder *fl;
		size_t n, i;

		struct strv hdr = STRV_LIT("");
		struct perr ignored = {0};

		/* Without the header block only Bcc and the draft refs miss. */
		if (imap_fetch_section(f.ic, folder, uid, "HEADER", f.a, &hdr,
		                       &ignored) != 0)
			hdr = STRV_LIT("");
		add_addrs(&f, to, &env->to, false, NULL);
		add_addrs(&f, cc, &env->cc, false, NULL);
		add_bcc(&f, hdr, bcc);
		if (env->reply_to.n > 0 &&
		    (env->from.n == 0 || strcasecmp(env->reply_to.v[0].email,
		                                    env->from.v[0].email) != 0))
			reply_to = addr_string(f.a, &env->reply_to.v[0]);
		text = f.text;
		html = f.html;
		if (copy_attachments(&f, atts, err) != 0)
			goto fail;
		ident = identity_for(&f, mine, 1);
		if (imap_folders(f.ic, f.a, &fl, &n, err) == 0)
			for (i = 0; i < n; i++)
				if (fl[i].special == IMAP_SPECIAL_DRAFTS)
					drafts = fl[i].path;
		if (drafts != NULL && strcmp(drafts, folder) == 0) {
			draft = json_integer(uid);
			irt = draft_ref(&f, hdr, WEB_DRAFT_REPLY_HEADER);
			fwd = draft_ref(&f, hdr, WEB_DRAFT_FORWARD_HEADER);
			add_pending(&f, hdr, WEB_DRAFT_PENDING_TO, to);
			add_pending(&f, hdr, WEB_DRAFT_PENDING_CC, cc);
			add_pending(&f, hdr, WEB_DRAFT_PENDING_BCC, bcc);
		}
	}
	json_object_set_new(out, "identityId", ident);
	json_object_set_new(out, "replyTo", json_string(reply_to));
	json_object_set_new(out, "subject", json_string(subject));
	json_object_set_new(out, "text", json_string(text));
	json_object_set_new(out, "html",
	                    html != NULL ? json_string(html) : json_null());
	json_object_set_new(out, "inReplyTo", irt);
	json_object_set_new(out, "forwardOf", fwd);
	json_object_set_new(out, "draftUid", draft);
	return web_reply_json(ctx, out, err);
fail:
	json_decref(out);
	json_decref(ident);
	json_decref(irt);
	json_decref(fwd);
	json_decref(draft);
	return -1;
}
