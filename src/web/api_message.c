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

/* A transparent 1x1 GIF: allowed by the body CSP (img-src data:). */
#define MSG_PLACEHOLDER                                                        \
	"data:image/gif;base64,"                                               \
	"R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

/*
 * sandbox: the mailbox frames the body with the same sandbox attribute,
 * but the URL can be opened top-level on the app's origin (the print view,
 * /message/print, keeps the same sandbox: api_reading.c), where only the
 * header keeps the mail's document in an opaque origin
 * (no cookies, no same-origin requests, no storage). Popups escape it so
 * that links in the mail open in a normal tab.
 */
#define BODY_CSP_FMT                                                           \
	"default-src 'none'; img-src 'self' data:%s; "                         \
	"style-src 'unsafe-inline'; frame-ancestors 'self'; "                  \
	"base-uri 'none'; form-action 'none'; "                                \
	"sandbox allow-popups allow-popups-to-escape-sandbox"

/*
 * Inline images and PDFs. sandbox: a PDF opens top-level on the app's
 * origin, and a viewer's scripts (pdf.js, or a crafted file's own
 * JavaScript) must not run with it.
 */
#define PART_CSP                                                               \
	"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "      \
	"plugin-types application/pdf; sandbox"

/* ---- input ------------------------------------------------------------ */

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

/* ---- structure and body choice ---------------------------------------- */

static void
url_encode(struct sbuf *b, const char *s)
{
	codec_url_encode(b, strv_from_cstr(s));
}

static const char *
part_url(const struct mail_view *v, const struct imap_part *p, bool download)
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
body_url(const struct mail_view *v, const char *part, bool images)
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
	const struct mail_view *v = ctx;
	const struct imap_part *p;
	struct strv dec;

	if (codec_url_decode(cid, false, v->a, &dec) != 0)
		dec = cid;
	p = mail_part_find_cid(v->root, dec, false);
	if (p == NULL)
		p = mail_part_find_cid(v->root, dec, true);
	return p != NULL ? part_url(v, p, false) : NULL;
}

/* The request's mail session and folder/uid (part: attached) loaded. */
static int
msg_load(struct web_ctx *ctx, const char *folder, uint32_t uid,
         const char *part, struct mail_view *v, struct perr *err)
{
	struct mail_session *ms;

	if (web_mail(ctx, &ms, err) != 0)
		return -1;
	return mail_view_load(ms, folder, uid, part, v, err);
}

/*
 * An attached message's part (NULL: the message itself) must name a
 * message/rfc822 part before its section is fetched on its own.
 */
static int
check_attached(struct web_ctx *ctx, const char *folder, uint32_t uid,
               const char *part, struct perr *err)
{
	struct mail_view v;

	return part != NULL ? msg_load(ctx, folder, uid, part, &v, err) : 0;
}

/*
 * Whether the user shows images in every message ("showImages": "always")
 * or the (first) From address of the shown message is in the user's
 * "always show images" list. The From header is the sender's claim, so
 * this only saves a click: it never lifts the sanitizer (tracking pixels
 * stay hidden) or the body CSP.
 */
static bool
sender_images_allowed(struct web_ctx *ctx, const struct mail_view *v)
{
	if (web_settings_images_always(ctx))
		return true;
	return v->env->from.n > 0 &&
	       web_images_sender_allowed(ctx, v->env->from.v[0].email);
}

/*
 * What identifies one rendered body: the session (so no other session
 * can take it), the message, the attached part and the images choice.
 */
static const char *
body_key(struct web_ctx *ctx, const struct mail_view *v, const char *part,
         bool images)
{
	return arena_printf(ctx->req->arena, "%s\n%s\n%u\n%s\n%d",
	                    ctx->session->id_hash, v->folder, (unsigned)v->uid,
	                    part != NULL ? part : "", images ? 1 : 0);
}

/*
 * The body rendered for ctx's user ([limits] max_html_size applies), cid:
 * URLs turned into what cids gives.
 */
static int
render_with(struct web_ctx *ctx, struct mail_view *v, bool allow_remote,
            const char *(*cids)(void *arg, struct strv cid), void *cids_arg,
            struct mail_rendered *r, struct perr *err)
{
	struct mail_render_opts o;

	memset(&o, 0, sizeof(o));
	o.max_html = (uint64_t)ctx->config->limits.max_html_size * 1024;
	o.allow_remote = allow_remote;
	o.placeholder_url = MSG_PLACEHOLDER;
	o.scope_class = MSG_SCOPE;
	o.fold_label = i18n_get(ctx->lang, "L_MAIL_VIEW_QUOTE_FOLDED");
	o.fold_lines = MSG_FOLD_LINES;
	o.max_output = MSG_MAX_BODY;
	o.cid_url = cids;
	o.cid_ctx = cids_arg;
	if (mail_view_render(ctx->mail, v, &o, r, err) != 0)
		return -1;
	web_mailto_links(r, ctx->req->arena);
	return 0;
}

/* ... with the part URLs for cid: (the body frame). */
static int
render_body(struct web_ctx *ctx, struct mail_view *v, bool allow_remote,
            struct mail_rendered *r, struct perr *err)
{
	return render_with(ctx, v, allow_remote, cid_url, v, r, err);
}

bool
web_message_images_allowed(struct web_ctx *ctx, const struct mail_view *v)
{
	return sender_images_allowed(ctx, v);
}

int
web_message_render(struct web_ctx *ctx, struct mail_view *v, bool images,
                   const char *(*cids)(void *arg, struct strv cid),
                   void *cids_arg, struct mail_rendered *r, struct perr *err)
{
	if (cids == NULL)
		return render_body(ctx, v, images, r, err);
	return render_with(ctx, v, images, cids, cids_arg, r, err);
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

/* Decoded size estimate: base64 carries 3 bytes in 4 (plus line ends). */
static json_int_t
decoded_size(const struct imap_part *p)
{
	if (strcmp(p->encoding, "base64") == 0)
		return (json_int_t)p->size / 4 * 3 -
		       (json_int_t)p->size / 77 * 3 / 4;
	return (json_int_t)p->size;
}

static void
collect_attachments(const struct mail_view *v, json_t *out)
{
	const struct imap_part **parts;
	size_t i, n = mail_view_attachments(v, &parts);

	for (i = 0; i < n; i++) {
		const struct imap_part *p = parts[i];

		json_array_append_new(
		        out,
		        json_pack(
		                "{sssssssIss?sssssbsb}", "part", p->section,
		                "name", mail_view_attachment_name(v, p), "type",
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
calendar_json(struct mail_session *ms, const struct mail_view *v)
{
	const char *section, *summary;

	if (mail_view_calendar(ms, v, MSG_MAX_CALENDAR, &section, &summary) !=
	    1)
		return json_null();
	return json_pack("{ssss}", "part", section, "summary", summary);
}

/* The Message call's answer (docs/API.md). */
static json_t *
message_json(struct web_ctx *ctx, const struct mail_view *v,
             const struct mail_rendered *r, bool images, unsigned flags,
             const char *part)
{
	const char *folder = v->folder;
	uint32_t uid = v->uid;
	json_t *atts, *res;

	atts = json_array();
	collect_attachments(v, atts);
	res = json_pack("{sIsssososososIsssoss?ss?sbso}", "uid",
	                (json_int_t)uid, "subject", v->env->subject, "from",
	                v->env->from.n > 0 ? address_json(&v->env->from.v[0])
	                                   : json_null(),
	                "fromAll", addresses_json(&v->env->from), "to",
	                addresses_json(&v->env->to), "cc",
	                addresses_json(&v->env->cc), "date",
	                (json_int_t)v->env->date, "bodyUrl",
	                body_url(v, part, images), "replyTo",
	                addresses_json(&v->env->reply_to), "text", r->text,
	                "html", r->is_html ? r->html : NULL, "remoteBlocked",
	                !images && r->remote_blocked > 0, "attachments", atts);
	if (res == NULL)
		return NULL;
	json_object_set_new(res, "imagesAllowedForSender",
	                    json_boolean(images));
	json_object_set_new(res, "folder", json_string(folder));
	json_object_set_new(res, "dateRaw", json_string(v->env->date_raw));
	json_object_set_new(res, "messageId", json_string(v->env->message_id));
	json_object_set_new(res, "inReplyTo", json_string(v->env->in_reply_to));
	json_object_set_new(res, "references",
	                    json_string(part == NULL ? v->m.references : ""));
	json_object_set_new(res, "flags", flags_json(flags));
	/* Labels on the message itself (none for an attached one). */
	json_object_set_new(
	        res, "keywords",
	        part == NULL ? web_keywords_json(v->m.keywords, v->m.n_keywords)
	                     : json_array());
	json_object_set_new(res, "size", json_integer((json_int_t)v->m.size));
	{
		/* body_url() is NULL when the request ran out of memory. */
		const char *url = body_url(v, NULL, false);
		const char *q = url != NULL ? strchr(url, '?') : NULL;

		json_object_set_new(
		        res, "rawUrl",
		        json_string(q != NULL ? arena_printf(ctx->req->arena,
		                                             "/message/raw?%s",
		                                             q + 1)
		                              : NULL));
	}
	json_object_set_new(res, "calendar", calendar_json(ctx->mail, v));
	/* The HTML part's size when it was too large to show (else null). */
	json_object_set_new(res, "htmlSkipped",
	                    r->html_skipped
	                            ? json_integer((json_int_t)r->html_size)
	                            : json_null());
	/* Lines the plugins add above the message (plain text). */
	json_object_set_new(res, "notices", web_plugins_notices(ctx, v));
	return res;
}

int
web_api_message(struct web_ctx *ctx, struct perr *err)
{
	struct mail_view v;
	struct mail_rendered r;
	const char *folder, *part;
	uint32_t uid = 0;
	unsigned flags;
	bool images;
	json_t *res;

	folder = web_arg_str(ctx, "folder");
	uid = web_arg_uid(ctx, "uid");
	part = web_arg_str(ctx, "part");
	if (msg_load(ctx, folder, uid, part, &v, err) != 0)
		return -1;
	images = sender_images_allowed(ctx, &v);
	if (render_body(ctx, &v, images, &r, err) != 0)
		return -1;
	/* The frame asks for this very document next: render it once. */
	web_body_cache_put(body_key(ctx, &v, part, images), &r, pt_now_unix());
	flags = v.m.flags;
	/*
	 * Opening a message reads it (not for an attached one), unless the
	 * user reads after a delay: then app.js sets \Seen when the message
	 * was open that long.
	 */
	if (part == NULL && !(flags & IMAP_MSG_SEEN) &&
	    web_settings_read_on_open(ctx) &&
	    mail_view_mark_seen(ctx->mail, &v))
		flags |= IMAP_MSG_SEEN;
	res = message_json(ctx, &v, &r, images, flags, part);
	if (res == NULL)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot encode the message");
	return web_reply_json(ctx, res, err);
}

/* ---- MessageHeaders ---------------------------------------------------- */

/* Bound on the fields listed; a header block past it is cut (logged). */
#define MSG_MAX_HEADERS 2000

int
web_api_message_headers(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;
	struct mail_header *v;
	json_t *out;
	size_t n, i;

	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_message_headers(ms, web_arg_str(ctx, "folder"),
	                         web_arg_uid(ctx, "uid"),
	                         web_arg_str(ctx, "part"), MSG_MAX_HEADERS, &v,
	                         &n, err) != 0)
		return -1;
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out,
		                      json_pack("{ssss}", "name", v[i].name,
		                                "value", v[i].value));
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
        ".petrel-too-big{margin:0 0 12px;padding:8px 12px;border-radius:6px;"
        "background:#fff4ce;color:#4a3b00;font:13px/1.5 system-ui,sans-serif}"
        "</style></head><body>";

/*
 * The HTML part was over [limits] max_html_size: say so above whatever
 * is shown (the plain alternative or nothing), with the original message
 * to download (opened outside the sandbox: <base target=_blank>).
 */
static void
too_big_notice(struct web_ctx *ctx, const struct mail_view *v, const char *part,
               uint64_t size, struct sbuf *doc)
{
	const char *q = strchr(body_url(v, part, false), '?');

	sbuf_append_cstr(doc, "<p class=\"petrel-too-big\" role=\"note\">");
	codec_html_escape(doc, strv_from_cstr(i18n_get(
	                               ctx->lang, "L_MAIL_VIEW_HTML_TOO_BIG")));
	sbuf_printf(doc,
	            " (%.1f MB) <a href=\"/message/raw%s&amp;download=1\" "
	            "download>",
	            (double)size / (1024.0 * 1024.0), q != NULL ? q : "?");
	codec_html_escape(
	        doc, strv_from_cstr(i18n_get(ctx->lang,
	                                     "L_MAIL_VIEW_DOWNLOAD_ORIGINAL")));
	sbuf_append_cstr(doc, "</a></p>");
}

int
web_message_body(struct web_ctx *ctx, struct perr *err)
{
	struct mail_view v;
	struct mail_rendered r;
	const char *folder, *part = NULL, *choice;
	uint32_t uid = 0;
	bool images, reused;
	struct sbuf doc;

	(void)query_str(ctx, "part", &part);
	if (query_target(ctx, &folder, &uid, err) != 0 ||
	    msg_load(ctx, folder, uid, part, &v, err) != 0)
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
	reused = web_body_cache_take(body_key(ctx, &v, part, images),
	                             pt_now_unix(), ctx->req->arena, &r);
	if (!reused && render_body(ctx, &v, images, &r, err) != 0)
		return -1;
	sbuf_init(&doc, ctx->req->arena, strlen(r.html) + 2048, 0);
	sbuf_append_cstr(&doc, body_head);
	if (r.html_skipped)
		too_big_notice(ctx, &v, part, r.html_size, &doc);
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
	            !images && r.remote_blocked > 0 ? "1" : "0") != 0 ||
	    http_response_set_header(ctx->resp, "X-Petrel-Body",
	                             reused ? "reused" : "rendered") != 0)
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
 * A section sent on as src/mail hands it over, decoded, a piece at a
 * time: a 20 MB attachment never sits in memory. The headers go out with
 * the first piece, so a message that is gone still gets its error.
 */
struct section_out {
	struct web_ctx *ctx;
	const struct dl_headers *h;
	bool begun;
};

static int
section_piece(void *arg, struct strv data)
{
	struct section_out *so = arg;

	if (!so->begun) {
		so->begun = true;
		if (set_dl_headers(so->ctx, so->h) != 0 ||
		    http_response_stream_begin(so->ctx->resp) != 0)
			return 1;
	}
	return write_out(so->ctx, data) != 0;
}

static int
stream_section(struct web_ctx *ctx, const char *folder, uint32_t uid,
               const char *section, enum mime_encoding enc,
               const struct dl_headers *h, struct perr *err)
{
	struct section_out so = {ctx, h, false};
	struct mail_session *ms;

	if (web_mail(ctx, &ms, err) != 0)
		return -1;
	return mail_section_stream(ms, folder, uid, section, enc, section_piece,
	                           &so, err);
}

/* The decoded part, fetched and sent on in pieces (stream_section()). */
int
web_message_part(struct web_ctx *ctx, struct perr *err)
{
	struct mail_view v;
	const struct imap_part *p;
	const char *folder, *section;
	uint32_t uid = 0;
	bool download = query_flag(ctx, "download");
	struct dl_headers h;

	if (query_target(ctx, &folder, &uid, err) != 0)
		return -1;
	if (!query_str(ctx, "part", &section) || !mail_section_ok(section))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "part must be a section like 1.2");
	if (msg_load(ctx, folder, uid, NULL, &v, err) != 0)
		return -1;
	p = imap_part_find(v.m.root, section);
	if (p == NULL || imap_part_is(p, "multipart", NULL))
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no such part");
	memset(&h, 0, sizeof(h));
	h.name = mail_view_attachment_name(&v, p);
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
	return stream_section(ctx, folder, uid, section,
	                      mime_encoding_parse(strv_from_cstr(p->encoding)),
	                      &h, err);
}

int
web_message_raw(struct web_ctx *ctx, struct perr *err)
{
	const char *folder, *part = NULL;
	uint32_t uid = 0;
	bool download = query_flag(ctx, "download");
	struct dl_headers h;

	(void)query_str(ctx, "part", &part);
	/* BODY[<part>] of a message/rfc822 part is the whole attached mail. */
	if (query_target(ctx, &folder, &uid, err) != 0 ||
	    check_attached(ctx, folder, uid, part, err) != 0)
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
	return stream_section(ctx, folder, uid, part, MIME_ENC_IDENTITY, &h,
	                      err);
}

/* ---- /message/zip ------------------------------------------------------- */

/*
 * A built zip to the client from its file, as an attachment called name
 * (already a clean file name).
 */
int
web_send_zip(struct web_ctx *ctx, const struct mail_zip *z, const char *name,
             struct perr *err)
{
	struct arena *a = ctx->req->arena;
	char buf[MSG_CHUNK];
	uint64_t off;

	if (http_response_set_content_type(ctx->resp, "application/zip") != 0 ||
	    set_disposition(ctx, true, name) != 0 ||
	    http_response_set_csp(ctx->resp, "default-src 'none'; sandbox") !=
	            0 ||
	    http_response_set_header(ctx->resp, "X-Content-Type-Options",
	                             "nosniff") != 0 ||
	    http_response_set_header(
	            ctx->resp, "Content-Length",
	            arena_printf(a, "%llu", (unsigned long long)z->size)) != 0)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot build the zip response");
	if (http_response_stream_begin(ctx->resp) != 0)
		return 0; /* the client is gone */
	for (off = 0; off < z->size;) {
		ssize_t r = read(z->fd, buf, sizeof(buf));

		if (r <= 0 ||
		    http_response_write(ctx->resp, buf, (size_t)r) != 0)
			break;
		off += (uint64_t)r;
	}
	return 0;
}

/* RFC 6266 attachment header for name (web_private.h). */
int
web_set_attachment_name(struct web_ctx *ctx, const char *name)
{
	return set_disposition(ctx, true, name);
}

/* All attachments as one zip (mail_zip_attachments), sent from its file. */
int
web_message_zip(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct mail_view v;
	struct mail_zip z;
	const char *folder, *part = NULL;
	char *zipname;
	uint32_t uid = 0;
	size_t i;

	(void)query_str(ctx, "part", &part);
	if (query_target(ctx, &folder, &uid, err) != 0 ||
	    msg_load(ctx, folder, uid, part, &v, err) != 0 ||
	    mail_zip_attachments(ctx->mail, &v,
	                         ctx->req->limits != NULL
	                                 ? ctx->req->limits->spool_dir
	                                 : NULL,
	                         &z, err) != 0)
		return -1;
	/* The subject is not a path: its slashes must not cut it short. */
	zipname = arena_printf(a, "%s.zip", v.env->subject);
	for (i = 0; zipname[i] != '\0'; i++)
		if (zipname[i] == '/' || zipname[i] == '\\')
			zipname[i] = '_';
	return web_send_zip(ctx, &z,
	                    mime_filename_clean(zipname, "attachments.zip", a),
	                    err);
}
