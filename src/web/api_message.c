/*
 * Reading one message: the Message and MessageHeaders API calls, the
 * sandboxed body document, part downloads, all attachments as a zip and
 * the raw source. Remote images follow the per-message choice, else the
 * user's per-sender list (api_images.c).
 *
 * Only the parts that are shown are fetched (BODY.PEEK by section, after
 * one FETCH of ENVELOPE + BODYSTRUCTURE), so a 20 MB message with
 * attachments costs two small round trips. Bodies are decoded (transfer
 * encoding, charset, format=flowed) and then either sanitized (HTML) or
 * escaped and linkified (plain text) by src/sanitize. The body document
 * is served with its own CSP and is meant for an iframe with sandbox
 * (no scripts, no same origin): even a sanitizer bug runs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zip.h>

#include "web_private.h"
#include "sanitize/sanitize.h"
#include "core/banned.h"

/* The scope class the body is wrapped in (sanitizer <style> scoping). */
#define MSG_SCOPE "petrel-msg"
/* Sanitized or escaped body bound: beyond it the body is cut. */
#define MSG_MAX_BODY (8u * 1024 * 1024)
/* A plain-text quote of more lines than this is shown folded. */
#define MSG_FOLD_LINES 6
/* A text/calendar part larger than this is not summarised. */
#define MSG_MAX_CALENDAR (256u * 1024)
#define MSG_CHUNK (64u * 1024)
/* Bytes of a part asked from IMAP at a time when it is sent on. */
#define MSG_FETCH_CHUNK (1024u * 1024)

/* A transparent 1x1 GIF: allowed by the body CSP (img-src data:). */
#define MSG_PLACEHOLDER                                                        \
	"data:image/gif;base64,"                                               \
	"R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

#define BODY_CSP_FMT                                                           \
	"default-src 'none'; img-src 'self' data:%s; "                         \
	"style-src 'unsafe-inline'; frame-ancestors 'self'; "                  \
	"base-uri 'none'; form-action 'none'"

#define PART_CSP                                                               \
	"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "      \
	"plugin-types application/pdf"

/* ---- input ------------------------------------------------------------ */

static json_t *
body_of(struct web_ctx *ctx)
{
	json_t *b = http_request_json(ctx->req);

	return json_is_object(b) ? b : NULL;
}

static int
json_string_arg(struct web_ctx *ctx, const char *name, bool required,
                const char **v_r, struct perr *err)
{
	json_t *v = json_object_get(body_of(ctx), name);

	*v_r = NULL;
	if (v == NULL && !required)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" must be a non-empty string", name);
	*v_r = json_string_value(v);
	return 0;
}

static int
json_uid_arg(struct web_ctx *ctx, uint32_t *uid_r, struct perr *err)
{
	json_t *v = json_object_get(body_of(ctx), "uid");
	json_int_t u = json_integer_value(v);

	if (!json_is_integer(v) || u <= 0 || u > (json_int_t)UINT32_MAX)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"uid\" must be a message UID");
	*uid_r = (uint32_t)u;
	return 0;
}

static bool
query_str(struct web_ctx *ctx, const char *name, const char **v_r)
{
	struct strv v;

	if (!http_request_query(ctx->req, name, &v) || v.len == 0)
		return false;
	*v_r = v.p;
	return true;
}

static bool
query_flag(struct web_ctx *ctx, const char *name)
{
	struct strv v;

	return http_request_query(ctx->req, name, &v) && strv_eq_cstr(v, "1");
}

static int
query_target(struct web_ctx *ctx, const char **folder_r, uint32_t *uid_r,
             struct perr *err)
{
	const char *u;
	uint64_t uid;

	if (!query_str(ctx, "folder", folder_r))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "folder is missing");
	if (!query_str(ctx, "uid", &u) ||
	    !pt_parse_u64(strv_from_cstr(u), UINT32_MAX, &uid) || uid == 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "uid must be a message UID");
	*uid_r = (uint32_t)uid;
	return 0;
}

/* Section specifiers are digits and dots, optionally ".TEXT". */
static bool
section_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	if (strcmp(s, "TEXT") == 0)
		return true;
	if (n > 5 && strcmp(s + n - 5, ".TEXT") == 0)
		n -= 5;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] == '.' && i > 0 && s[i - 1] != '.' && i + 1 < n)))
			return false;
	return true;
}

/* ---- structure and body choice ---------------------------------------- */

static const struct imap_part *
find_type(const struct imap_part *p, const char *type, const char *subtype)
{
	size_t i;

	if (imap_part_is(p, type, subtype))
		return p;
	if (imap_part_is(p, "message", "rfc822"))
		return NULL;
	for (i = 0; i < p->n_children; i++) {
		const struct imap_part *f =
		        find_type(&p->children[i], type, subtype);

		if (f != NULL)
			return f;
	}
	return NULL;
}

static const struct imap_part *
find_cid(const struct imap_part *p, struct strv cid, bool ci)
{
	size_t i;

	if (p->content_id[0] != '\0' &&
	    (ci ? strv_eq_ci_ascii(cid, strv_from_cstr(p->content_id))
	        : strv_eq_cstr(cid, p->content_id)))
		return p;
	if (imap_part_is(p, "message", "rfc822"))
		return NULL;
	for (i = 0; i < p->n_children; i++) {
		const struct imap_part *f = find_cid(&p->children[i], cid, ci);

		if (f != NULL)
			return f;
	}
	return NULL;
}

static void
url_encode(struct sbuf *b, const char *s)
{
	codec_url_encode(b, strv_from_cstr(s));
}

static const char *
part_url(const struct web_msg_view *v, const struct imap_part *p, bool download)
{
	struct sbuf b;

	sbuf_init(&b, v->a, 128, 0);
	sbuf_append_cstr(&b, "/message/part?folder=");
	url_encode(&b, v->folder);
	sbuf_printf(&b, "&uid=%u&part=", (unsigned)v->uid);
	url_encode(&b, p->section);
	if (download)
		sbuf_append_cstr(&b, "&download=1");
	return sbuf_cstr(&b);
}

static const char *
body_url(const struct web_msg_view *v, const char *part, bool images)
{
	struct sbuf b;

	sbuf_init(&b, v->a, 128, 0);
	sbuf_append_cstr(&b, "/message/body?folder=");
	url_encode(&b, v->folder);
	sbuf_printf(&b, "&uid=%u", (unsigned)v->uid);
	if (part != NULL) {
		sbuf_append_cstr(&b, "&part=");
		url_encode(&b, part);
	}
	if (images)
		sbuf_append_cstr(&b, "&images=1");
	return sbuf_cstr(&b);
}

/* sanitize_cid_url_fn: cid:<id> (RFC 2392, %-encoded) -> the part URL. */
static const char *
cid_url(void *ctx, struct strv cid)
{
	const struct web_msg_view *v = ctx;
	const struct imap_part *p;
	struct strv dec;

	if (codec_url_decode(cid, false, v->a, &dec) != 0)
		dec = cid;
	p = find_cid(v->root, dec, false);
	if (p == NULL)
		p = find_cid(v->root, dec, true);
	return p != NULL ? part_url(v, p, false) : NULL;
}

int
web_msg_load(struct web_ctx *ctx, struct imap_conn *c, const char *folder,
             uint32_t uid, const char *part, struct web_msg_view *v,
             struct perr *err)
{
	struct arena *a = ctx->req->arena;

	memset(v, 0, sizeof(*v));
	v->folder = folder;
	v->uid = uid;
	v->a = a;
	if (imap_fetch_message(c, folder, uid, a, &v->m, err) != 0)
		return -1;
	v->root = v->m.root;
	v->env = &v->m.env;
	if (part != NULL) {
		const struct imap_part *p;

		if (!section_ok(part))
			return perr_set(err, a, PERR_INPUT, "bad part");
		p = imap_part_find(v->m.root, part);
		if (p == NULL || !imap_part_is(p, "message", "rfc822") ||
		    p->n_children != 1 || p->envelope == NULL)
			return perr_set(err, a, PERR_NOTFOUND,
			                "no attached message at part %s", part);
		v->root = &p->children[0];
		v->env = p->envelope;
	}
	imap_pick_body(v->root, a, &v->html, &v->plain);
	return 0;
}

/*
 * An attached message's part (NULL: the message itself) must name a
 * message/rfc822 part before its section is fetched on its own.
 */
static int
check_attached(struct web_ctx *ctx, struct imap_conn *c, const char *folder,
               uint32_t uid, const char *part, struct perr *err)
{
	struct web_msg_view v;

	return part != NULL ? web_msg_load(ctx, c, folder, uid, part, &v, err)
	                    : 0;
}

/*
 * Whether the user shows images in every message ("showImages": "always")
 * or the (first) From address of the shown message is in the user's
 * "always show images" list. The From header is the sender's claim, so
 * this only saves a click: it never lifts the sanitizer (tracking pixels
 * stay hidden) or the body CSP.
 */
static bool
sender_images_allowed(struct web_ctx *ctx, const struct web_msg_view *v)
{
	if (web_settings_images_always(ctx))
		return true;
	return v->env->from.n > 0 &&
	       web_images_sender_allowed(ctx, v->env->from.v[0].email);
}

/* Fetch one part and decode it to UTF-8 text (format=flowed undone). */
int
web_msg_part_text(struct imap_conn *c, const struct web_msg_view *v,
                  const struct imap_part *p, struct strv *text_r,
                  struct perr *err)
{
	struct strv raw, dec;
	const char *utf;

	if (imap_fetch_section(c, v->folder, v->uid, p->section, v->a, &raw,
	                       err) != 0)
		return -1;
	dec = mime_transfer_decode(
	        mime_encoding_parse(strv_from_cstr(p->encoding)), raw, v->a);
	utf = mime_to_utf8(strv_from_cstr(p->charset), dec, v->a);
	*text_r = strv_from_cstr(utf);
	if (imap_part_is(p, "text", "plain")) {
		const char *fmt =
		        mime_param_get(p->params, p->n_params, "format", v->a);
		const char *delsp =
		        mime_param_get(p->params, p->n_params, "delsp", v->a);

		if (fmt != NULL && strcasecmp(fmt, "flowed") == 0)
			*text_r = mime_flowed_unwrap(
			        *text_r,
			        delsp != NULL && strcasecmp(delsp, "yes") == 0,
			        v->a);
	}
	return 0;
}

struct rendered {
	const char *html; /* sanitized fragment (HTML or converted text) */
	const char *text; /* plain text when the plain part is shown */
	bool is_html;
	unsigned remote_blocked;
};

/* fold_label: the summary of a folded plain-text quote (the user's language).
 */
static int
render_body(struct imap_conn *c, struct web_msg_view *v, bool allow_remote,
            const char *fold_label, struct rendered *r, struct perr *err)
{
	struct sbuf out;
	struct strv text;
	struct sanitize_plain_opts po;

	memset(r, 0, sizeof(*r));
	sbuf_init(&out, v->a, 4096, MSG_MAX_BODY);
	if (v->html != NULL) {
		struct sanitize_opts o;
		struct sanitize_report rep;

		if (web_msg_part_text(c, v, v->html, &text, err) != 0)
			return -1;
		memset(&o, 0, sizeof(o));
		o.allow_remote = allow_remote;
		o.placeholder_url = MSG_PLACEHOLDER;
		o.cid_url = cid_url;
		o.cid_ctx = v;
		o.scope_class = MSG_SCOPE;
		o.max_output = MSG_MAX_BODY;
		if (sanitize_html(text, &o, v->a, &out, &rep, err) != 0)
			return -1;
		r->html = sbuf_cstr(&out);
		r->is_html = true;
		r->remote_blocked = rep.remote_blocked;
		return 0;
	}
	if (v->plain != NULL) {
		if (web_msg_part_text(c, v, v->plain, &text, err) != 0)
			return -1;
		r->text = text.p;
	} else {
		r->text = "";
		text = STRV_LIT("");
	}
	memset(&po, 0, sizeof(po));
	po.max_output = MSG_MAX_BODY;
	po.fold_lines = MSG_FOLD_LINES;
	po.fold_label = fold_label;
	if (sanitize_plain_to_html(text, &po, v->a, &out, err) != 0)
		return -1;
	r->html = sbuf_cstr(&out);
	return 0;
}

/* ---- Message ----------------------------------------------------------- */

static json_t *
address_json(const struct imap_address *a)
{
	return json_pack("{ssss}", "name", a->name != NULL ? a->name : "",
	                 "email", a->email != NULL ? a->email : "");
}

static json_t *
addresses_json(const struct imap_addr_list *l)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, address_json(&l->v[i]));
	return arr;
}

static bool
is_body_alternative(const struct imap_part *p)
{
	return (imap_part_is(p, "text", "plain") ||
	        imap_part_is(p, "text", "html")) &&
	       p->parent != NULL &&
	       imap_part_is(p->parent, "multipart", "alternative");
}

/* Decoded size estimate: base64 carries 3 bytes in 4 (plus line ends). */
static json_int_t
decoded_size(const struct imap_part *p)
{
	if (strcmp(p->encoding, "base64") == 0)
		return (json_int_t)p->size / 4 * 3 -
		       (json_int_t)p->size / 77 * 3 / 4;
	return (json_int_t)p->size;
}

static const char *
attachment_name(const struct web_msg_view *v, const struct imap_part *p)
{
	const char *fallback;

	if (imap_part_is(p, "message", "rfc822"))
		fallback = arena_printf(
		        v->a, "%s.eml",
		        p->envelope != NULL && p->envelope->subject[0] != '\0'
		                ? p->envelope->subject
		                : "message");
	else if (imap_part_is(p, "text", "calendar"))
		fallback = "invite.ics";
	else
		fallback = arena_printf(v->a, "part-%s.%s", p->section,
		                        p->subtype);
	return mime_filename_clean(
	        p->name, mime_filename_clean(fallback, NULL, v->a), v->a);
}

/* Every leaf that is not the body or one of its alternatives. */
static void
attachment_leaves(const struct web_msg_view *v, const struct imap_part *p,
                  const struct imap_part **out, size_t *n, size_t max)
{
	size_t i;

	if (imap_part_is(p, "multipart", NULL)) {
		for (i = 0; i < p->n_children; i++)
			attachment_leaves(v, &p->children[i], out, n, max);
		return;
	}
	if (p == v->html || p == v->plain || is_body_alternative(p) ||
	    *n >= max)
		return;
	out[(*n)++] = p;
}

size_t
web_msg_attachments(const struct web_msg_view *v,
                    const struct imap_part ***parts_r)
{
	/* The part tree has at most 1000 parts (imap_fetch_message). */
	const struct imap_part **parts =
	        arena_new_array(v->a, const struct imap_part *, 1000);
	size_t n = 0;

	if (parts != NULL)
		attachment_leaves(v, v->root, parts, &n, 1000);
	*parts_r = parts;
	return n;
}

const char *
web_msg_attachment_name(const struct web_msg_view *v, const struct imap_part *p)
{
	return attachment_name(v, p);
}

static void
collect_attachments(const struct web_msg_view *v, json_t *out)
{
	const struct imap_part **parts;
	size_t i, n = web_msg_attachments(v, &parts);

	for (i = 0; i < n; i++) {
		const struct imap_part *p = parts[i];

		json_array_append_new(
		        out,
		        json_pack(
		                "{sssssssIss?sssssbsb}", "part", p->section,
		                "name", attachment_name(v, p), "type",
		                arena_printf(v->a, "%s/%s", p->type,
		                             p->subtype),
		                "size", decoded_size(p), "cid",
		                p->content_id[0] != '\0' ? p->content_id : NULL,
		                "url", part_url(v, p, false), "downloadUrl",
		                part_url(v, p, true), "inline",
		                p->content_id[0] != '\0' && p->parent != NULL &&
		                        imap_part_is(p->parent, "multipart",
		                                     "related"),
		                "message",
		                imap_part_is(p, "message", "rfc822")));
	}
}

static json_t *
flags_json(unsigned f)
{
	json_t *arr = json_array();

	if (f & IMAP_MSG_SEEN)
		json_array_append_new(arr, json_string("\\Seen"));
	if (f & IMAP_MSG_FLAGGED)
		json_array_append_new(arr, json_string("\\Flagged"));
	if (f & IMAP_MSG_ANSWERED)
		json_array_append_new(arr, json_string("\\Answered"));
	if (f & IMAP_MSG_DRAFT)
		json_array_append_new(arr, json_string("\\Draft"));
	if (f & IMAP_MSG_FORWARDED)
		json_array_append_new(arr, json_string("$Forwarded"));
	if (f & IMAP_MSG_JUNK)
		json_array_append_new(arr, json_string("$Junk"));
	return arr;
}

static json_t *
calendar_json(struct imap_conn *c, struct web_msg_view *v)
{
	const struct imap_part *p = find_type(v->root, "text", "calendar");
	struct strv text;
	struct perr err;
	const char *sum;

	if (p == NULL || p->size > MSG_MAX_CALENDAR)
		return json_null();
	perr_clear(&err);
	if (web_msg_part_text(c, v, p, &text, &err) != 0) {
		log_warn("calendar part %s: %s", p->section,
		         err.msg != NULL ? err.msg : "?");
		return json_null();
	}
	sum = mime_calendar_summary(text, v->a);
	if (sum == NULL)
		return json_null();
	return json_pack("{ssss}", "part", p->section, "summary", sum);
}

int
web_api_message(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	struct web_msg_view v;
	struct rendered r;
	const char *folder, *part;
	uint32_t uid = 0;
	unsigned flags;
	bool images;
	json_t *atts, *res;

	if (json_string_arg(ctx, "folder", true, &folder, err) != 0 ||
	    json_uid_arg(ctx, &uid, err) != 0 ||
	    json_string_arg(ctx, "part", false, &part, err) != 0 ||
	    web_imap(ctx, &c, err) != 0 ||
	    web_msg_load(ctx, c, folder, uid, part, &v, err) != 0)
		return -1;
	images = sender_images_allowed(ctx, &v);
	if (render_body(c, &v, images,
	                i18n_get(ctx->lang, "L_MAIL_VIEW_QUOTE_FOLDED"), &r,
	                err) != 0)
		return -1;
	flags = v.m.flags;
	/*
	 * Opening a message reads it (not for an attached one), unless the
	 * user reads after a delay: then app.js sets \Seen when the message
	 * was open that long.
	 */
	if (part == NULL && !(flags & IMAP_MSG_SEEN) &&
	    web_settings_read_on_open(ctx)) {
		struct perr e2;

		perr_clear(&e2);
		if (imap_set_flags(c, folder, &uid, 1, IMAP_FLAGS_ADD,
		                   IMAP_MSG_SEEN, NULL, 0, ctx->req->arena,
		                   &e2) == 0)
			flags |= IMAP_MSG_SEEN;
		else
			log_warn("Message: setting \\Seen failed: %s",
			         e2.msg != NULL ? e2.msg : "?");
	}
	atts = json_array();
	collect_attachments(&v, atts);
	res = json_pack("{sIsssososososIsssoss?ss?sbso}", "uid",
	                (json_int_t)uid, "subject", v.env->subject, "from",
	                v.env->from.n > 0 ? address_json(&v.env->from.v[0])
	                                  : json_null(),
	                "fromAll", addresses_json(&v.env->from), "to",
	                addresses_json(&v.env->to), "cc",
	                addresses_json(&v.env->cc), "date",
	                (json_int_t)v.env->date, "bodyUrl",
	                body_url(&v, part, images), "replyTo",
	                addresses_json(&v.env->reply_to), "text", r.text,
	                "html", r.is_html ? r.html : NULL, "remoteBlocked",
	                !images && r.remote_blocked > 0, "attachments", atts);
	if (res == NULL)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot encode the message");
	json_object_set_new(res, "imagesAllowedForSender",
	                    json_boolean(images));
	json_object_set_new(res, "folder", json_string(folder));
	json_object_set_new(res, "dateRaw", json_string(v.env->date_raw));
	json_object_set_new(res, "messageId", json_string(v.env->message_id));
	json_object_set_new(res, "inReplyTo", json_string(v.env->in_reply_to));
	json_object_set_new(res, "references",
	                    json_string(part == NULL ? v.m.references : ""));
	json_object_set_new(res, "flags", flags_json(flags));
	json_object_set_new(res, "size", json_integer((json_int_t)v.m.size));
	json_object_set_new(
	        res, "rawUrl",
	        json_string(arena_printf(
	                ctx->req->arena, "/message/raw?%s",
	                strchr(body_url(&v, NULL, false), '?') + 1)));
	json_object_set_new(res, "calendar", calendar_json(c, &v));
	return web_reply_json(ctx, res, err);
}

/* ---- MessageHeaders ---------------------------------------------------- */

/* Bound on the fields listed; a header block past it is cut (logged). */
#define MSG_MAX_HEADERS 2000

/* One unfolded field "Name: value" (RFC 5322 §2.2, §2.2.3) to JSON. */
static void
header_field(struct strv field, struct arena *a, json_t *out)
{
	struct strv name, value;

	if (!strv_split_once(field, ':', &name, &value))
		return; /* not a field: an mbox "From " line or garbage */
	name = strv_trim(name);
	if (name.len == 0)
		return;
	json_array_append_new(
	        out,
	        json_pack("{ssss}", "name", imap_decode_header(name, a),
	                  "value", imap_decode_header(strv_trim(value), a)));
}

int
web_api_message_headers(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct imap_conn *c;
	const char *folder, *part;
	uint32_t uid = 0;
	struct strv raw;
	struct sbuf field;
	json_t *out;
	size_t i = 0, n = 0;

	if (json_string_arg(ctx, "folder", true, &folder, err) != 0 ||
	    json_uid_arg(ctx, &uid, err) != 0 ||
	    json_string_arg(ctx, "part", false, &part, err) != 0 ||
	    web_imap(ctx, &c, err) != 0 ||
	    check_attached(ctx, c, folder, uid, part, err) != 0 ||
	    imap_fetch_section(c, folder, uid,
	                       part != NULL ? arena_printf(a, "%s.HEADER", part)
	                                    : "HEADER",
	                       a, &raw, err) != 0)
		return -1;
	out = json_array();
	sbuf_init(&field, a, 256, 0);
	/*
	 * Unfolding removes each line break that is followed by white space
	 * and keeps the white space; bare LF line ends are taken too.
	 */
	while (i < raw.len && n < MSG_MAX_HEADERS) {
		const char *nl = memchr(raw.p + i, '\n', raw.len - i);
		size_t end = nl != NULL ? (size_t)(nl - raw.p) : raw.len;
		struct strv line = {raw.p + i, end - i};

		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		i = end + 1;
		if (line.len > 0 && (line.p[0] == ' ' || line.p[0] == '\t') &&
		    field.len > 0) {
			sbuf_append(&field, line.p, line.len);
			continue;
		}
		if (field.len > 0) {
			header_field(sbuf_view(&field), a, out);
			n++;
			sbuf_reset(&field);
		}
		if (line.len == 0)
			break; /* the blank line that ends the header */
		sbuf_append(&field, line.p, line.len);
	}
	if (field.len > 0 && n < MSG_MAX_HEADERS)
		header_field(sbuf_view(&field), a, out);
	if (n >= MSG_MAX_HEADERS)
		log_warn("MessageHeaders: uid %u: more than %u fields, cut",
		         (unsigned)uid, MSG_MAX_HEADERS);
	return web_reply_json(ctx, json_pack("{so}", "headers", out), err);
}

/* ---- /message/body ------------------------------------------------------ */

static const char body_head[] =
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<base target=\"_blank\"><style>"
        "html{color-scheme:light}"
        "body{margin:0;padding:12px;font:14px/1.5 system-ui,-apple-system,"
        "\"Segoe UI\",Roboto,sans-serif;color:#1d1d1f;background:#fff;"
        "overflow-wrap:anywhere}"
        "img{max-width:100%;height:auto}"
        "pre{white-space:pre-wrap}"
        "table{max-width:100%}"
        "blockquote{margin:.4em 0 .4em .2em;padding-left:.8em;"
        "border-left:3px solid #c8c8cc;color:#555}"
        ".petrel-plain{font-family:ui-monospace,Menlo,Consolas,monospace;"
        "font-size:13px}"
        "details.petrel-quote{margin:.4em 0}"
        "details.petrel-quote>summary{cursor:pointer;width:max-content;"
        "max-width:100%;padding:1px 8px;border-radius:4px;color:#555;"
        "background:#eef0f3;font:12px/1.6 system-ui,sans-serif}"
        "details.petrel-quote[open]>summary{margin-bottom:.3em}"
        "</style></head><body>";

int
web_message_body(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	struct web_msg_view v;
	struct rendered r;
	const char *folder, *part = NULL, *choice;
	uint32_t uid = 0;
	bool images;
	struct sbuf doc;

	(void)query_str(ctx, "part", &part);
	if (query_target(ctx, &folder, &uid, err) != 0 ||
	    web_imap(ctx, &c, err) != 0 ||
	    web_msg_load(ctx, c, folder, uid, part, &v, err) != 0)
		return -1;
	/*
	 * images=1 / images=0 is the user's choice for this message; without
	 * it the per-sender default applies, looked up here again rather than
	 * trusted from the URL.
	 */
	if (query_str(ctx, "images", &choice))
		images = strcmp(choice, "1") == 0;
	else
		images = sender_images_allowed(ctx, &v);
	if (render_body(c, &v, images,
	                i18n_get(ctx->lang, "L_MAIL_VIEW_QUOTE_FOLDED"), &r,
	                err) != 0)
		return -1;
	sbuf_init(&doc, ctx->req->arena, strlen(r.html) + 2048, 0);
	sbuf_append_cstr(&doc, body_head);
	sbuf_printf(&doc, "<div class=\"%s%s\">", MSG_SCOPE,
	            r.is_html ? "" : " petrel-plain");
	sbuf_append_cstr(&doc, r.html);
	sbuf_append_cstr(&doc, "</div></body></html>\n");
	if (http_response_text(ctx->resp, 200, "text/html; charset=utf-8",
	                       sbuf_view(&doc)) != 0 ||
	    http_response_set_csp(
	            ctx->resp, arena_printf(ctx->req->arena, BODY_CSP_FMT,
	                                    images ? " https: http:" : "")) !=
	            0 ||
	    http_response_set_header(ctx->resp, "X-Frame-Options",
	                             "SAMEORIGIN") != 0 ||
	    http_response_set_header(
	            ctx->resp, "X-Petrel-Remote-Blocked",
	            !images && r.remote_blocked > 0 ? "1" : "0") != 0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot build the body response");
	return 0;
}

/* ---- /message/part and /message/raw ------------------------------------ */

/* Types a browser may show inline (with the part CSP and nosniff). */
static bool
inline_safe(const struct imap_part *p)
{
	static const char *const images[] = {"png", "jpeg", "jpg", "gif",
	                                     "webp"};
	size_t i;

	if (imap_part_is(p, "application", "pdf"))
		return true;
	if (!imap_part_is(p, "image", NULL))
		return false;
	for (i = 0; i < PT_NELEM(images); i++)
		if (strcmp(p->subtype, images[i]) == 0)
			return true;
	return false;
}

/* RFC 6266 + RFC 5987: an ASCII fallback and the UTF-8 name. */
static int
set_disposition(struct web_ctx *ctx, bool attachment, const char *name)
{
	struct sbuf b;

	sbuf_init(&b, ctx->req->arena, 256, 4096);
	sbuf_printf(&b, "%s; filename=\"%s\"; filename*=UTF-8''",
	            attachment ? "attachment" : "inline",
	            mime_filename_ascii(name, ctx->req->arena));
	codec_url_encode(&b, strv_from_cstr(name));
	if (!sbuf_ok(&b))
		return -1;
	return http_response_set_header(ctx->resp, "Content-Disposition",
	                                sbuf_cstr(&b));
}

/* data to the client in MSG_CHUNK writes; -1 when the client is gone. */
static int
write_out(struct web_ctx *ctx, struct strv data)
{
	size_t off;

	for (off = 0; off < data.len; off += MSG_CHUNK) {
		size_t n =
		        data.len - off < MSG_CHUNK ? data.len - off : MSG_CHUNK;

		if (http_response_write(ctx->resp, data.p + off, n) != 0)
			return -1;
	}
	return 0;
}

/* The headers of a download, set once its first piece is there. */
struct dl_headers {
	const char *type;
	const char *csp;
	const char *name;      /* Content-Disposition filename; NULL: none */
	bool attachment;       /* else inline */
	bool frame_sameorigin; /* X-Frame-Options SAMEORIGIN, else default */
};

static int
set_dl_headers(struct web_ctx *ctx, const struct dl_headers *h)
{
	return http_response_set_content_type(ctx->resp, h->type) != 0 ||
	                       (h->name != NULL &&
	                        set_disposition(ctx, h->attachment, h->name) !=
	                                0) ||
	                       http_response_set_csp(ctx->resp, h->csp) != 0 ||
	                       http_response_set_header(
	                               ctx->resp, "X-Content-Type-Options",
	                               "nosniff") != 0 ||
	                       (h->frame_sameorigin &&
	                        http_response_set_header(ctx->resp,
	                                                 "X-Frame-Options",
	                                                 "SAMEORIGIN") != 0)
	               ? -1
	               : 0;
}

/*
 * A section sent on as IMAP hands it over, MSG_FETCH_CHUNK at a time,
 * decoded on the way: a 20 MB attachment never sits in memory. The
 * headers go out with the first piece, so a message that is gone still
 * gets its error; a failure later only cuts the download (logged).
 */
struct section_out {
	struct web_ctx *ctx;
	const struct dl_headers *h;
	struct mime_stream dec;
	struct sbuf buf; /* the decoded bytes of one piece */
	bool begun;
};

static int
section_piece(void *arg, uint64_t off, struct strv data)
{
	struct section_out *so = arg;

	(void)off;
	if (!so->begun) {
		so->begun = true;
		if (set_dl_headers(so->ctx, so->h) != 0 ||
		    http_response_stream_begin(so->ctx->resp) != 0)
			return 1;
	}
	sbuf_reset(&so->buf);
	mime_stream_feed(&so->dec, data, &so->buf);
	return write_out(so->ctx, sbuf_view(&so->buf)) != 0;
}

static int
stream_section(struct web_ctx *ctx, struct imap_conn *c, const char *folder,
               uint32_t uid, const char *section, enum mime_encoding enc,
               const struct dl_headers *h, struct perr *err)
{
	struct section_out so;
	int r;

	memset(&so, 0, sizeof(so));
	so.ctx = ctx;
	so.h = h;
	mime_stream_init(&so.dec, enc);
	sbuf_init(&so.buf, NULL, MSG_FETCH_CHUNK + 16, 0);
	r = imap_fetch_section_chunks(c, folder, uid, section, MSG_FETCH_CHUNK,
	                              section_piece, &so, ctx->req->arena, err);
	sbuf_reset(&so.buf);
	mime_stream_finish(&so.dec, &so.buf);
	if (r == 0 && so.begun)
		(void)write_out(ctx, sbuf_view(&so.buf));
	sbuf_free(&so.buf);
	if (r != 0 && so.begun) {
		log_warn("message %u section %s: cut: %s", (unsigned)uid,
		         section != NULL ? section : "(all)",
		         err->msg != NULL ? err->msg : "?");
		return 0;
	}
	return r;
}
/* The decoded part, fetched and sent on in pieces (stream_section()). */
int
web_message_part(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	struct web_msg_view v;
	const struct imap_part *p;
	const char *folder, *section;
	uint32_t uid = 0;
	bool download = query_flag(ctx, "download");
	struct dl_headers h;

	if (query_target(ctx, &folder, &uid, err) != 0)
		return -1;
	if (!query_str(ctx, "part", &section) || !section_ok(section))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "part must be a section like 1.2");
	if (web_imap(ctx, &c, err) != 0 ||
	    web_msg_load(ctx, c, folder, uid, NULL, &v, err) != 0)
		return -1;
	p = imap_part_find(v.m.root, section);
	if (p == NULL || imap_part_is(p, "multipart", NULL))
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no such part");
	memset(&h, 0, sizeof(h));
	h.name = attachment_name(&v, p);
	h.attachment = download || !inline_safe(p);
	h.frame_sameorigin = true;
	h.csp = h.attachment ? "default-src 'none'; sandbox" : PART_CSP;
	if (!h.attachment)
		h.type = arena_printf(
		        ctx->req->arena, "%s/%s", p->type,
		        strcmp(p->subtype, "jpg") == 0 ? "jpeg" : p->subtype);
	else if (imap_part_is(p, "message", "rfc822"))
		h.type = "message/rfc822";
	else
		h.type = "application/octet-stream";
	return stream_section(ctx, c, folder, uid, section,
	                      mime_encoding_parse(strv_from_cstr(p->encoding)),
	                      &h, err);
}

int
web_message_raw(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	const char *folder, *part = NULL;
	uint32_t uid = 0;
	bool download = query_flag(ctx, "download");
	struct dl_headers h;

	(void)query_str(ctx, "part", &part);
	/* BODY[<part>] of a message/rfc822 part is the whole attached mail. */
	if (query_target(ctx, &folder, &uid, err) != 0 ||
	    web_imap(ctx, &c, err) != 0 ||
	    check_attached(ctx, c, folder, uid, part, err) != 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.type = download ? "message/rfc822" : "text/plain; charset=utf-8";
	h.csp = "default-src 'none'; sandbox";
	h.attachment = true;
	if (download)
		h.name = part != NULL ? arena_printf(ctx->req->arena,
		                                     "message-%u-%s.eml",
		                                     (unsigned)uid, part)
		                      : arena_printf(ctx->req->arena,
		                                     "message-%u.eml",
		                                     (unsigned)uid);
	return stream_section(ctx, c, folder, uid, part, MIME_ENC_IDENTITY, &h,
	                      err);
}

/* ---- /message/zip ------------------------------------------------------- */

/*
 * All attachments as one zip. Each entry is a lazy libzip source: its
 * part is fetched and decoded only when zip_close() reaches it, into an
 * arena of its own that is destroyed before the next part, so at most
 * one decoded part is in memory. The archive is written to a temp file
 * in the spool dir and streamed from there.
 */

/* Bound on the entries of one archive. */
#define MSG_ZIP_MAX_ENTRIES 1000
/* The encoded parts together: attachment_size_limit times this. */
#define MSG_ZIP_SIZE_FACTOR 4

struct zip_entry {
	struct imap_conn *c;
	const struct web_msg_view *v;
	const struct imap_part *p;
	struct arena *a; /* the part's bytes while open, else NULL */
	struct strv data;
	size_t off;
	zip_error_t error;
};

static zip_int64_t
zip_entry_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct zip_entry *e = ud;

	switch (cmd) {
	case ZIP_SOURCE_OPEN: {
		struct perr err;
		struct strv raw;

		perr_clear(&err);
		e->a = arena_create("zip-part", 64 * 1024, 0);
		if (imap_fetch_section(e->c, e->v->folder, e->v->uid,
		                       e->p->section, e->a, &raw, &err) != 0) {
			log_warn("zip: part %s: %s", e->p->section,
			         err.msg != NULL ? err.msg : "?");
			arena_destroy(&e->a);
			zip_error_set(&e->error, ZIP_ER_READ, EIO);
			return -1;
		}
		e->data = mime_transfer_decode(
		        mime_encoding_parse(strv_from_cstr(e->p->encoding)),
		        raw, e->a);
		e->off = 0;
		return 0;
	}
	case ZIP_SOURCE_READ: {
		size_t n = e->data.len - e->off;

		if (n > len)
			n = (size_t)len;
		if (n > 0)
			memcpy(data, e->data.p + e->off, n);
		e->off += n;
		return (zip_int64_t)n;
	}
	case ZIP_SOURCE_CLOSE:
		arena_destroy(&e->a);
		e->data = STRV_NULL;
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data;

		if (len < sizeof(*st))
			return -1;
		zip_stat_init(st);
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&e->error, data, len);
	case ZIP_SOURCE_FREE:
		arena_destroy(&e->a);
		zip_error_fini(&e->error);
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(
		        ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
		        ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default:
		zip_error_set(&e->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

/* name, or "stem (k).ext" for the k-th use of it (case-insensitive). */
static const char *
zip_unique_name(const char *name, const char **used, size_t n_used,
                struct arena *a)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot != NULL && dot != name ? (size_t)(dot - name)
	                                         : strlen(name);
	const char *cand = name;
	unsigned k = 1;
	size_t i;

	for (;;) {
		for (i = 0; i < n_used; i++)
			if (strcasecmp(used[i], cand) == 0)
				break;
		if (i == n_used)
			return cand;
		k++;
		cand = arena_printf(a, "%.*s (%u)%s", (int)stem, name, k,
		                    name + stem);
	}
}

static void
zip_temp_cleanup(void *arg)
{
	(void)unlink(arg);
}

static void
zip_fd_cleanup(void *arg)
{
	(void)close(*(int *)arg);
}

int
web_message_zip(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct imap_conn *c;
	struct web_msg_view v;
	const struct imap_part **parts;
	const char **names;
	const char *folder, *part = NULL;
	char *path, *zipname;
	uint64_t total = 0, max;
	uint32_t uid = 0;
	size_t n = 0, i, off;
	zip_t *za;
	int zerr, tfd, *fdp;
	struct stat sb;
	char buf[MSG_CHUNK];

	(void)query_str(ctx, "part", &part);
	if (query_target(ctx, &folder, &uid, err) != 0 ||
	    web_imap(ctx, &c, err) != 0 ||
	    web_msg_load(ctx, c, folder, uid, part, &v, err) != 0)
		return -1;
	parts = arena_new_array(a, const struct imap_part *,
	                        MSG_ZIP_MAX_ENTRIES + 1);
	names = arena_new_array(a, const char *, MSG_ZIP_MAX_ENTRIES + 1);
	if (parts == NULL || names == NULL)
		return perr_set(err, a, PERR_LIMIT, "too many attachments");
	attachment_leaves(&v, v.root, parts, &n, MSG_ZIP_MAX_ENTRIES + 1);
	if (n == 0)
		return perr_set(err, a, PERR_NOTFOUND, "no attachments");
	if (n > MSG_ZIP_MAX_ENTRIES)
		return perr_set(err, a, PERR_LIMIT, "more than %u attachments",
		                MSG_ZIP_MAX_ENTRIES);
	max = (uint64_t)ctx->config->webmail.attachment_size_limit * 1024 *
	      1024 * MSG_ZIP_SIZE_FACTOR;
	for (i = 0; i < n; i++)
		total += parts[i]->size;
	if (total > max)
		return perr_set(err, a, PERR_LIMIT,
		                "the attachments are too large to zip");

	path = arena_printf(a, "%s/petrel-zip-XXXXXX",
	                    ctx->req->limits != NULL &&
	                                    ctx->req->limits->spool_dir != NULL
	                            ? ctx->req->limits->spool_dir
	                            : "/tmp");
	tfd = mkstemp(path);
	if (tfd < 0)
		return perr_set(err, a, PERR_INTERNAL, "zip temp file: %s",
		                strerror(errno));
	(void)close(tfd);
	arena_defer(a, zip_temp_cleanup, path);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (za == NULL)
		return perr_set(err, a, PERR_INTERNAL, "zip_open failed (%d)",
		                zerr);
	for (i = 0; i < n; i++) {
		struct zip_entry *e = arena_new(a, struct zip_entry);
		zip_source_t *src;
		zip_int64_t idx;

		e->c = c;
		e->v = &v;
		e->p = parts[i];
		zip_error_init(&e->error);
		names[i] = zip_unique_name(attachment_name(&v, parts[i]), names,
		                           i, a);
		src = zip_source_function(za, zip_entry_cb, e);
		if (src == NULL) {
			zip_error_fini(&e->error);
			zip_discard(za);
			return perr_set(err, a, PERR_INTERNAL,
			                "zip source failed");
		}
		idx = zip_file_add(za, names[i], src, ZIP_FL_ENC_UTF_8);
		if (idx < 0) {
			zip_source_free(src);
			zip_discard(za);
			return perr_set(err, a, PERR_INTERNAL,
			                "zip_file_add failed");
		}
		/* Mail attachments are mostly compressed already: be quick. */
		(void)zip_set_file_compression(za, (zip_uint64_t)idx,
		                               ZIP_CM_DEFLATE, 1);
	}
	/* zip_close() fetches every part, writes and renames over path. */
	if (zip_close(za) != 0) {
		const char *why = zip_strerror(za);

		why = arena_strndup(a, why, strlen(why));
		zip_discard(za);
		return perr_set(err, a, PERR_TEMPFAIL,
		                "cannot build the zip: %s", why);
	}
	fdp = arena_new(a, int);
	*fdp = open(path, O_RDONLY | O_CLOEXEC);
	if (*fdp < 0)
		return perr_set(err, a, PERR_INTERNAL, "zip reopen: %s",
		                strerror(errno));
	arena_defer(a, zip_fd_cleanup, fdp);
	if (fstat(*fdp, &sb) != 0)
		return perr_set(err, a, PERR_INTERNAL, "zip stat: %s",
		                strerror(errno));
	/* The subject is not a path: its slashes must not cut it short. */
	zipname = arena_printf(a, "%s.zip", v.env->subject);
	for (i = 0; zipname[i] != '\0'; i++)
		if (zipname[i] == '/' || zipname[i] == '\\')
			zipname[i] = '_';
	if (http_response_set_content_type(ctx->resp, "application/zip") != 0 ||
	    set_disposition(
	            ctx, true,
	            mime_filename_clean(zipname, "attachments.zip", a)) != 0 ||
	    http_response_set_csp(ctx->resp, "default-src 'none'; sandbox") !=
	            0 ||
	    http_response_set_header(ctx->resp, "X-Content-Type-Options",
	                             "nosniff") != 0 ||
	    http_response_set_header(
	            ctx->resp, "Content-Length",
	            arena_printf(a, "%lld", (long long)sb.st_size)) != 0)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot build the zip response");
	if (http_response_stream_begin(ctx->resp) != 0)
		return 0; /* the client is gone */
	for (off = 0; off < (size_t)sb.st_size;) {
		ssize_t r = read(*fdp, buf, sizeof(buf));

		if (r <= 0 ||
		    http_response_write(ctx->resp, buf, (size_t)r) != 0)
			break;
		off += (size_t)r;
	}
	return 0;
}
