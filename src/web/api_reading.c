/*
 * What a reader does with one message beyond reading it (issue 17):
 * ReadingInfo (what List-Unsubscribe and Disposition-Notification-To
 * offer), Unsubscribe (RFC 2369/8058), ReadReceiptSend and
 * ReadReceiptIgnore (RFC 8098 MDN, RFC 3503 $MDNSent), the print view
 * (/message/print) and the mailto: entry point (/mailto, also the target
 * of navigator.registerProtocolHandler).
 *
 * Security model of the print view: the page holds the sanitized body
 * inline with the headers, so that the browser paginates the whole
 * message (a sandboxed iframe prints only its visible box). It keeps the
 * body's isolation: the response carries the body CSP's sandbox (an
 * opaque origin: no cookies, no storage, no same-origin requests) plus
 * allow-scripts for one script with a per-response nonce (print.js, which
 * calls print()) and allow-modals (the print dialog needs it). No inline
 * script, event handler or other script URL can run, even if the
 * sanitizer let one through; the header block is Petrel's own, escaped
 * by the template. Remote images follow the same choice as the message
 * view (images=1 or the sender/user setting).
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "web_private.h"
#include "net/net.h"
#include "core/banned.h"

/* Header fields read for ReadingInfo and the actions (mail is hostile). */
#define READ_MAX_HEADERS 2000
/* The one-click answer read at most (only its status line matters). */
#define UNSUB_MAX_RESPONSE (16u * 1024)
/* RFC 8058 3.1: the POST body. */
#define UNSUB_BODY "List-Unsubscribe=One-Click"

#define PRINT_CSP_FMT                                                          \
	"default-src 'none'; script-src 'nonce-%s'; "                          \
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:%s; "           \
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'; "        \
	"sandbox allow-scripts allow-modals allow-popups "                     \
	"allow-popups-to-escape-sandbox"

/* The reading-relevant header fields of one message. */
struct reading_headers {
	const char *unsub, *unsub_post, *dnt, *return_path;
	bool dnt_twice;
};

static int
load_headers(struct web_ctx *ctx, const char *folder, uint32_t uid,
             struct reading_headers *h, struct perr *err)
{
	struct mail_header *v;
	size_t n, i;

	memset(h, 0, sizeof(*h));
	if (mail_message_headers(ctx->mail, folder, uid, NULL, READ_MAX_HEADERS,
	                         &v, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *name = v[i].name;

		if (strcasecmp(name, "List-Unsubscribe") == 0 &&
		    h->unsub == NULL)
			h->unsub = v[i].value;
		else if (strcasecmp(name, "List-Unsubscribe-Post") == 0 &&
		         h->unsub_post == NULL)
			h->unsub_post = v[i].value;
		else if (strcasecmp(name, "Disposition-Notification-To") == 0) {
			h->dnt_twice = h->dnt != NULL;
			if (h->dnt == NULL)
				h->dnt = v[i].value;
		} else if (strcasecmp(name, "Return-Path") == 0 &&
		           h->return_path == NULL)
			h->return_path = v[i].value;
	}
	return 0;
}

/* ---- List-Unsubscribe ---------------------------------------------------- */

/* The host of an http(s) URL, for the confirmation ("" if none). */
static const char *
url_host_of(const char *url, struct arena *a)
{
	const char *p = strstr(url, "://");
	size_t n;

	if (p == NULL)
		return "";
	p += 3;
	n = strcspn(p, "/?#");
	return arena_strndup(a, p, n);
}

/* {method, host | to}: what the Unsubscribe button will do, or null. */
static json_t *
unsubscribe_json(struct web_ctx *ctx, const struct reading_headers *h,
                 struct mime_unsubscribe *u_r)
{
	struct arena *a = ctx->req->arena;
	struct mime_mailto m;
	struct perr ignored;

	if (h->unsub == NULL ||
	    mime_list_unsubscribe_parse(strv_from_cstr(h->unsub),
	                                h->unsub_post != NULL
	                                        ? strv_from_cstr(h->unsub_post)
	                                        : STRV_NULL,
	                                a, u_r) != 1)
		return json_null();
	if (u_r->one_click)
		return json_pack("{ssss}", "method", "post", "host",
		                 url_host_of(u_r->https, a));
	if (u_r->mailto != NULL &&
	    mime_mailto_parse(strv_from_cstr(u_r->mailto), a, &m, &ignored) ==
	            0 &&
	    m.to[0] != '\0')
		return json_pack("{ssss}", "method", "mailto", "to", m.to);
	if (u_r->https != NULL || u_r->http != NULL) {
		const char *url = u_r->https != NULL ? u_r->https : u_r->http;

		return json_pack("{ssssss}", "method", "link", "host",
		                 url_host_of(url, a), "url", url);
	}
	return json_null();
}

int
web_api_unsubscribe(struct web_ctx *ctx, struct perr *err)
{
	const char *folder = web_arg_str(ctx, "folder");
	uint32_t uid = web_arg_uid(ctx, "uid");
	struct arena *a = ctx->req->arena;
	struct reading_headers h;
	struct mime_unsubscribe u;
	struct mime_mailto m;
	struct net_https_post p;
	struct net_https_result r;
	json_t *info;

	if (web_mail(ctx, &ctx->mail, err) != 0 ||
	    load_headers(ctx, folder, uid, &h, err) != 0)
		return -1;
	info = unsubscribe_json(ctx, &h, &u);
	if (json_is_null(info))
		return perr_set(err, a, PERR_NOTFOUND,
		                "this message offers no usable way to "
		                "unsubscribe");
	json_decref(info);
	if (u.one_click) {
		memset(&p, 0, sizeof(p));
		p.url = u.https;
		p.body = STRV_LIT(UNSUB_BODY);
		p.content_type = "application/x-www-form-urlencoded";
		p.allow_private = ctx->config->unsubscribe.allow_private;
		p.ca_file = ctx->config->unsubscribe.ca_file;
		p.timeout_ms = (int)ctx->config->unsubscribe.timeout * 1000;
		p.max_response = UNSUB_MAX_RESPONSE;
		if (net_https_post(&p, a, &r, err) != 0) {
			log_warn("Unsubscribe: %s: %s", url_host_of(u.https, a),
			         err->msg);
			return -1;
		}
		log_info("Unsubscribe: one-click POST to %s: HTTP %d",
		         url_host_of(u.https, a), r.status);
		if (r.status < 200 || r.status >= 300)
			return perr_set(
			        err, a, PERR_REMOTE,
			        r.status >= 300 && r.status < 400
			                ? "the list answered with a redirect "
			                  "(HTTP %d), which is not followed"
			                : "the list answered HTTP %d",
			        r.status);
		return web_reply_json(ctx,
		                      json_pack("{sssbsiss}", "method", "post",
		                                "done", 1, "status", r.status,
		                                "host",
		                                url_host_of(u.https, a)),
		                      err);
	}
	if (u.mailto != NULL &&
	    mime_mailto_parse(strv_from_cstr(u.mailto), a, &m, err) == 0 &&
	    m.to[0] != '\0')
		return web_reply_json(ctx,
		                      json_pack("{sssssssssssb}", "method",
		                                "mailto", "to", m.to, "cc",
		                                m.cc, "subject", m.subject,
		                                "body", m.body, "done", 0),
		                      err);
	perr_clear(err);
	return web_reply_json(ctx,
	                      json_pack("{sssssb}", "method", "link", "url",
	                                u.https != NULL ? u.https : u.http,
	                                "done", 0),
	                      err);
}

/* ---- read receipts --------------------------------------------------------
 */

static const char *
receipt_setting(struct web_ctx *ctx)
{
	json_t *s = web_settings(ctx);
	const char *v = json_string_value(json_object_get(s, "readReceipts"));
	const char *mode = v != NULL && strcmp(v, "always") == 0  ? "always"
	                   : v != NULL && strcmp(v, "never") == 0 ? "never"
	                                                          : "ask";

	json_decref(s);
	return mode;
}

/* The first address of a header value ("Name <a@b>, ..."), or NULL. */
static const char *
first_address(const char *value, struct arena *a)
{
	struct mime_addr ad;
	struct perr ignored;
	const char *lt, *gt;
	struct strv s = strv_from_cstr(value);

	lt = strchr(value, '<');
	gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL)
		s = (struct strv){lt + 1, (size_t)(gt - lt - 1)};
	else
		(void)strv_split_once(s, ',', &s, &(struct strv){0});
	if (mime_addr_parse(strv_trim(s), a, &ad, &ignored) != 0)
		return NULL;
	return ad.email;
}

/* Whether the folder is the user's Junk (special-use or its name). */
static bool
folder_is_junk(struct web_ctx *ctx, const char *folder)
{
	struct imap_conn *c;
	struct imap_folder *f;
	struct perr err = {0};
	size_t i, n;

	if (web_imap(ctx, &c, &err) != 0 ||
	    imap_folders(c, ctx->req->arena, &f, &n, &err) != 0)
		return true; /* unknown: treat as the cautious case */
	for (i = 0; i < n; i++)
		if (strcmp(f[i].path, folder) == 0)
			return f[i].special == IMAP_SPECIAL_JUNK;
	return false;
}

struct receipt {
	const char *to;     /* the address the MDN goes to */
	bool requested;     /* a usable Disposition-Notification-To */
	bool answered;      /* $MDNSent already set */
	bool safe;          /* RFC 8098 2.1: may go without asking */
	const char *reason; /* why it is not safe, or NULL */
};

/*
 * RFC 8098 2.1: an MDN request is doubtful when Return-Path is missing or
 * names another address than Disposition-Notification-To (the request
 * may send the receipt to a third party), and messages in Junk get none
 * without asking. Either way the user is asked, never answered silently.
 */
static int
receipt_check(struct web_ctx *ctx, const struct mail_view *v,
              const struct reading_headers *h, struct receipt *r)
{
	struct arena *a = ctx->req->arena;
	const char *rp;

	memset(r, 0, sizeof(*r));
	r->answered = (v->m.flags & IMAP_MSG_MDNSENT) != 0;
	if (h->dnt == NULL)
		return 0;
	r->to = first_address(h->dnt, a);
	if (r->to == NULL)
		return 0;
	r->requested = true;
	rp = h->return_path != NULL ? first_address(h->return_path, a) : NULL;
	if (h->dnt_twice)
		r->reason = "several";
	else if (rp == NULL)
		r->reason = "noReturnPath";
	else if (strcasecmp(rp, r->to) != 0)
		r->reason = "returnPathDiffers";
	else if (folder_is_junk(ctx, v->folder))
		r->reason = "junk";
	r->safe = r->reason == NULL;
	return 0;
}

int
web_api_reading_info(struct web_ctx *ctx, struct perr *err)
{
	const char *folder = web_arg_str(ctx, "folder");
	uint32_t uid = web_arg_uid(ctx, "uid");
	struct reading_headers h;
	struct mime_unsubscribe u;
	struct mail_view v;
	struct receipt rc;
	json_t *receipt = json_null();
	const char *mode;

	if (web_mail(ctx, &ctx->mail, err) != 0 ||
	    mail_view_load(ctx->mail, folder, uid, NULL, &v, err) != 0 ||
	    load_headers(ctx, folder, uid, &h, err) != 0 ||
	    receipt_check(ctx, &v, &h, &rc) != 0)
		return -1;
	mode = receipt_setting(ctx);
	if (rc.requested && !rc.answered && strcmp(mode, "never") != 0)
		receipt = json_pack(
		        "{ssssss?}", "to", rc.to, "action",
		        strcmp(mode, "always") == 0 && rc.safe ? "auto" : "ask",
		        "reason", rc.reason);
	return web_reply_json(ctx,
	                      json_pack("{sososb}", "unsubscribe",
	                                unsubscribe_json(ctx, &h, &u),
	                                "readReceipt", receipt,
	                                "receiptAnswered", rc.answered),
	                      err);
}

static int
set_mdnsent(struct web_ctx *ctx, const char *folder, uint32_t uid,
            struct perr *err)
{
	return ctx->mail->ops->add_flags(ctx->mail->backend, folder, uid,
	                                 IMAP_MSG_MDNSENT, ctx->req->arena,
	                                 err);
}

/* The user's name for the MDN's From (default identity), else "". */
static const char *
user_name(struct web_ctx *ctx)
{
	struct mail_identity *ids;
	struct perr ignored = {0};
	size_t n, i;

	if (mail_identities(ctx->mail, &ids, &n, &ignored) != 0)
		return "";
	for (i = 0; i < n; i++)
		if (ids[i].s.is_default && ids[i].s.name != NULL &&
		    strcasecmp(ids[i].s.email, ctx->session->user) == 0)
			return ids[i].s.name;
	return "";
}

int
web_api_read_receipt_send(struct web_ctx *ctx, struct perr *err)
{
	const char *folder = web_arg_str(ctx, "folder");
	uint32_t uid = web_arg_uid(ctx, "uid");
	bool automatic = web_arg_bool(ctx, "auto");
	struct arena *a = ctx->req->arena;
	struct reading_headers h;
	struct mail_view v;
	struct receipt rc;
	struct mime_mdn m;
	struct strv msg;
	struct smtp_envelope env;
	struct smtp_failure fail;
	const char *rcpt, *at, *dom, *host;

	if (web_mail(ctx, &ctx->mail, err) != 0 ||
	    mail_view_load(ctx->mail, folder, uid, NULL, &v, err) != 0 ||
	    load_headers(ctx, folder, uid, &h, err) != 0 ||
	    receipt_check(ctx, &v, &h, &rc) != 0)
		return -1;
	if (!rc.requested)
		return perr_set(err, a, PERR_NOTFOUND,
		                "this message asks for no read receipt");
	if (rc.answered)
		return perr_set(err, a, PERR_CONFLICT,
		                "a read receipt was already sent or declined");
	/* "auto" only with the setting and a request that needs no asking. */
	if (automatic &&
	    (strcmp(receipt_setting(ctx), "always") != 0 || !rc.safe))
		return perr_set(err, a, PERR_FORBIDDEN,
		                "a read receipt for this message needs the "
		                "user's click");
	at = strrchr(ctx->session->user, '@');
	host = at != NULL ? at + 1 : "localhost";
	memset(&m, 0, sizeof(m));
	m.from = (struct mime_addr){user_name(ctx), ctx->session->user};
	m.to = (struct mime_addr){"", rc.to};
	m.original_subject = v.env->subject;
	m.original_message_id =
	        v.env->message_id[0] != '\0' ? v.env->message_id : NULL;
	m.reporting_host = host;
	m.text = i18n_get(ctx->lang, "L_RECEIPT_MDN_TEXT");
	m.mode = automatic ? MIME_MDN_AUTO : MIME_MDN_MANUAL;
	m.date = pt_now_unix();
	if (mime_build_mdn(&m, a, &msg, err) != 0)
		return -1;
	at = strrchr(rc.to, '@');
	if (mime_domain_to_ascii(strv_from_cstr(at + 1), a, &dom, err) != 0)
		return -1;
	rcpt = arena_printf(a, "%.*s@%s", (int)(at - rc.to), rc.to, dom);
	/* RFC 8098 3: an MDN's envelope sender is null (<>). */
	env.from = "";
	env.rcpt = &rcpt;
	env.n_rcpt = 1;
	memset(&fail, 0, sizeof(fail));
	if (ctx->mail->ops->smtp_send(ctx->mail->backend, &env, msg, a, &fail,
	                              err) != 0)
		return -1;
	/* RFC 3503: never asked or sent twice. */
	if (set_mdnsent(ctx, folder, uid, err) != 0) {
		log_warn("ReadReceiptSend: MDN sent but $MDNSent not set on "
		         "%s/%u: %s",
		         folder, (unsigned)uid, err->msg);
		perr_clear(err);
	}
	return web_reply_json(ctx, json_pack("{sbss}", "sent", 1, "to", rc.to),
	                      err);
}

int
web_api_read_receipt_ignore(struct web_ctx *ctx, struct perr *err)
{
	const char *folder = web_arg_str(ctx, "folder");
	uint32_t uid = web_arg_uid(ctx, "uid");

	/* RFC 3503: $MDNSent also records a denied request. */
	if (web_mail(ctx, &ctx->mail, err) != 0 ||
	    set_mdnsent(ctx, folder, uid, err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{sb}", "ignored", 1), err);
}

/* ---- mailto: --------------------------------------------------------------
 */

void
web_mailto_links(struct mail_rendered *r, struct arena *a)
{
	static const char needle[] = " href=\"mailto:";
	struct sbuf b;
	const char *p, *hit;

	/*
	 * The sanitizer writes every attribute as name="value" with '"'
	 * escaped in text and values, so this needle only ever matches a
	 * link's href it wrote: the link then opens Petrel's compose in a
	 * new tab (the sandboxed frame opens links as popups) instead of
	 * leaving the mail to whatever the system does with mailto:.
	 */
	if (r->html == NULL || strstr(r->html, needle) == NULL)
		return;
	sbuf_init(&b, a, strlen(r->html) + 256, 0);
	for (p = r->html; (hit = strstr(p, needle)) != NULL;
	     p = hit + sizeof(needle) - 1) {
		sbuf_append(&b, p, (size_t)(hit - p));
		sbuf_append_cstr(&b, " href=\"/mailto?uri=mailto:");
	}
	sbuf_append_cstr(&b, p);
	if (sbuf_ok(&b))
		r->html = sbuf_cstr(&b);
}

/* HTML-escape s into b (the compose URL goes into an attribute). */
static void
append_attr(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			sbuf_append_cstr(b, "&amp;");
		else if (*s == '"')
			sbuf_append_cstr(b, "&quot;");
		else if (*s == '<')
			sbuf_append_cstr(b, "&lt;");
		else if (*s == '>')
			sbuf_append_cstr(b, "&gt;");
		else
			sbuf_append_char(b, *s);
	}
}

/*
 * GET /mailto?uri=<mailto URL>: on to the mailbox's compose route. The URL
 * comes raw (a rewritten link: everything after "uri=", '&' included) or
 * %-encoded (registerProtocolHandler's %s). No session is needed: the
 * mailbox page signs in first and keeps the hash.
 *
 * Not a redirect: a link in the sandboxed body frame opens this page from
 * an opaque origin, a cross-site navigation that carries no SameSite=
 * Strict session cookie, so a redirect would land on the sign-in page of
 * a signed-in user. This page is same-origin, and mailto.js's navigation
 * from it carries the cookie; without scripts the link does the same.
 */
int
web_mailto_page(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct strv q = ctx->req->query_string, uri;
	struct mime_mailto m;
	struct sbuf loc, doc;

	if (!strv_starts_with(q, STRV_LIT("uri=")))
		return perr_set(err, a, PERR_INPUT, "no mailto: URL given");
	uri = (struct strv){q.p + 4, q.len - 4};
	if (strv_starts_with_ci_ascii(uri, STRV_LIT("mailto%3a")) &&
	    codec_url_decode(uri, false, a, &uri) != 0)
		return perr_set(err, a, PERR_INPUT, "bad mailto: URL");
	if (mime_mailto_parse(uri, a, &m, err) != 0)
		return -1;
	sbuf_init(&loc, a, 256, 3 * MIME_MAILTO_MAX + 256);
	sbuf_append_cstr(&loc, "/#/compose?to=");
	codec_url_encode(&loc, strv_from_cstr(m.to));
	sbuf_append_cstr(&loc, "&cc=");
	codec_url_encode(&loc, strv_from_cstr(m.cc));
	sbuf_append_cstr(&loc, "&bcc=");
	codec_url_encode(&loc, strv_from_cstr(m.bcc));
	sbuf_append_cstr(&loc, "&subject=");
	codec_url_encode(&loc, strv_from_cstr(m.subject));
	sbuf_append_cstr(&loc, "&body=");
	codec_url_encode(&loc, strv_from_cstr(m.body));
	if (!sbuf_ok(&loc))
		return perr_set(err, a, PERR_LIMIT, "mailto: URL too long");
	sbuf_init(&doc, a, loc.len + 1024, 0);
	sbuf_append_cstr(&doc,
	                 "<!doctype html><html><head><meta charset=\"utf-8\">"
	                 "<meta name=\"referrer\" content=\"no-referrer\">"
	                 "<title>Petrel</title></head><body>"
	                 "<p><a id=\"petrel-compose\" href=\"");
	append_attr(&doc, sbuf_cstr(&loc));
	sbuf_append_cstr(&doc, "\">");
	append_attr(&doc, i18n_get(ctx->lang, "L_MAILTO_CONTINUE"));
	sbuf_printf(&doc, "</a></p><script src=\"%s/js/mailto.js?v=%s\">",
	            ctx->app->static_url, ctx->app->asset_version);
	sbuf_append_cstr(&doc, "</script></body></html>\n");
	if (!sbuf_ok(&doc) ||
	    http_response_text(ctx->resp, 200, "text/html; charset=utf-8",
	                       sbuf_view(&doc)) != 0)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot build the mailto page");
	return 0;
}

/* ---- the print view -------------------------------------------------------
 */

static void
add_addresses(struct tmpl_dict *d, const char *label_key, const char *label,
              const struct imap_addr_list *l, struct arena *a)
{
	struct tmpl_dict *s;
	struct sbuf b;
	size_t i;

	if (l->n == 0)
		return;
	sbuf_init(&b, a, 128, 0);
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			sbuf_append_cstr(&b, ", ");
		if (l->v[i].name != NULL && l->v[i].name[0] != '\0')
			sbuf_printf(&b, "%s <%s>", l->v[i].name, l->v[i].email);
		else
			sbuf_append_cstr(&b, l->v[i].email);
	}
	s = tmpl_dict_add_section(d, "FIELD");
	tmpl_dict_set(s, "LABEL", strv_from_cstr(label));
	tmpl_dict_set(s, "KEY", strv_from_cstr(label_key));
	tmpl_dict_set(s, "VALUE", sbuf_view(&b));
}

/* Inline pictures the print view carries as data: URLs, all together. */
#define PRINT_INLINE_MAX (10u * 1024 * 1024)

struct print_cids {
	struct web_ctx *ctx;
	const struct mail_view *v;
	size_t budget; /* encoded bytes still allowed */
};

/*
 * sanitize_cid_url_fn for the print view: the page is sandboxed top-level,
 * so its requests are cross-site and carry no SameSite=Strict cookie; a
 * /message/part URL would not load there. Raster pictures are inlined
 * instead (up to PRINT_INLINE_MAX in all); anything else is left out.
 */
static const char *
print_cid(void *arg, struct strv cid)
{
	static const char *const types[] = {"png", "gif", "jpeg", "jpg",
	                                    "webp"};
	struct print_cids *pc = arg;
	struct arena *a = pc->ctx->req->arena;
	const struct imap_part *p;
	struct perr err = {0};
	struct strv dec, raw;
	size_t i;

	if (codec_url_decode(cid, false, a, &dec) != 0)
		dec = cid;
	p = mail_part_find_cid(pc->v->root, dec, false);
	if (p == NULL)
		p = mail_part_find_cid(pc->v->root, dec, true);
	if (p == NULL || strcasecmp(p->type, "image") != 0 ||
	    p->size > pc->budget)
		return NULL;
	for (i = 0; i < PT_NELEM(types); i++)
		if (strcasecmp(p->subtype, types[i]) == 0)
			break;
	if (i == PT_NELEM(types))
		return NULL;
	if (pc->ctx->mail->ops->fetch_section(pc->ctx->mail->backend,
	                                      pc->v->folder, pc->v->uid,
	                                      p->section, a, &raw, &err) != 0) {
		log_warn("print view: inline picture %s: %s", p->section,
		         err.msg);
		return NULL;
	}
	pc->budget -= p->size;
	dec = mime_transfer_decode(
	        mime_encoding_parse(strv_from_cstr(p->encoding)), raw, a);
	/* "jpg" is no registered subtype: the picture is image/jpeg. */
	return arena_printf(a, "data:image/%s;base64,%s",
	                    strcmp(types[i], "jpg") == 0 ? "jpeg" : types[i],
	                    codec_base64_encode(a, dec.p, dec.len));
}

int
web_message_print(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct mail_view v;
	struct mail_rendered r;
	struct tmpl_dict *d, *s, *atts;
	struct print_cids pc;
	const struct imap_part **parts;
	const char *folder, *uid_s, *nonce, *choice;
	uint64_t uid;
	bool images;
	size_t i, n;
	struct strv q;

	if (!http_request_query(ctx->req, "folder", &q) || q.len == 0)
		return perr_set(err, a, PERR_INPUT, "folder is required");
	folder = q.p;
	if (!http_request_query(ctx->req, "uid", &q) ||
	    !pt_parse_u64(q, UINT32_MAX, &uid) || uid == 0)
		return perr_set(err, a, PERR_INPUT,
		                "uid must be a message UID");
	uid_s = q.p;
	if (web_mail(ctx, &ctx->mail, err) != 0 ||
	    mail_view_load(ctx->mail, folder, (uint32_t)uid, NULL, &v, err) !=
	            0)
		return -1;
	if (http_request_query(ctx->req, "images", &q) && q.len > 0) {
		choice = q.p;
		images = strcmp(choice, "1") == 0;
	} else {
		images = web_message_images_allowed(ctx, &v);
	}
	pc = (struct print_cids){ctx, &v, PRINT_INLINE_MAX};
	if (web_message_render(ctx, &v, images, print_cid, &pc, &r, err) != 0)
		return -1;
	d = web_page_dict(ctx, v.env->subject);
	nonce = pt_random_hex(a, 16);
	tmpl_dict_set(d, "NONCE", strv_from_cstr(nonce));
	tmpl_dict_set(d, "SUBJECT", strv_from_cstr(v.env->subject));
	tmpl_dict_set(d, "BODY", strv_from_cstr(r.html));
	tmpl_dict_set(d, "BODY_CLASS",
	              strv_from_cstr(r.is_html ? "petrel-msg"
	                                       : "petrel-msg petrel-plain"));
	tmpl_dict_set(d, "UID", strv_from_cstr(uid_s));
	add_addresses(d, "from", i18n_get(ctx->lang, "L_PRINT_FROM"),
	              &v.env->from, a);
	add_addresses(d, "to", i18n_get(ctx->lang, "L_PRINT_TO"), &v.env->to,
	              a);
	add_addresses(d, "cc", i18n_get(ctx->lang, "L_PRINT_CC"), &v.env->cc,
	              a);
	s = tmpl_dict_add_section(d, "FIELD");
	tmpl_dict_set(s, "LABEL",
	              strv_from_cstr(i18n_get(ctx->lang, "L_PRINT_DATE")));
	tmpl_dict_set(s, "KEY", STRV_LIT("date"));
	tmpl_dict_set(s, "VALUE", strv_from_cstr(v.env->date_raw));
	n = mail_view_attachments(&v, &parts);
	atts = NULL;
	for (i = 0; i < n; i++) {
		/* Inline pictures of an HTML body are in the body. */
		if (r.is_html && parts[i]->content_id[0] != '\0' &&
		    parts[i]->parent != NULL &&
		    imap_part_is(parts[i]->parent, "multipart", "related"))
			continue;
		if (atts == NULL)
			atts = tmpl_dict_add_section(d, "ATTACHMENTS");
		s = tmpl_dict_add_section(atts, "ATTACHMENT");
		tmpl_dict_set(s, "NAME",
		              strv_from_cstr(
		                      mail_view_attachment_name(&v, parts[i])));
		tmpl_dict_set(
		        s, "TYPE",
		        strv_from_cstr(arena_printf(a, "%s/%s", parts[i]->type,
		                                    parts[i]->subtype)));
	}
	if (web_render_page(ctx, 200, "print.tpl", d, err) != 0)
		return -1;
	if (http_response_set_csp(
	            ctx->resp, arena_printf(a, PRINT_CSP_FMT, nonce,
	                                    images ? " https: http:" : "")) !=
	    0)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot build the print response");
	return 0;
}
