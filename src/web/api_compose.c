/*
 * Compose, part 1: uploads, identities (both kept by src/mail), address
 * suggestions and the request helpers the other compose files share
 * (docs/API.md).
 *
 * Upload files die with their session: Logout and every Upload call sweep
 * the files of sessions that ended (mail_uploads_sweep).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "web_private.h"
#include "mime/mime.h"
#include "core/banned.h"

/* ---- request helpers ----------------------------------------------------- */

void
web_compose_fail_code(struct web_ctx *ctx, const struct perr *err)
{
	/* An identity that may not send yet has its own code. */
	if (ctx->mail != NULL && ctx->mail->why == MAIL_WHY_UNVERIFIED) {
		ctx->error_code = "identity_unverified";
		ctx->error_key = "L_ERROR_IDENTITY_UNVERIFIED";
		return;
	}
	/* Name what the builder or the address parser refused. */
	if (err->kind != PERR_INPUT || err->msg == NULL ||
	    ctx->error_code != NULL)
		return;
	if (strncmp(err->msg, "header injection", 16) == 0) {
		ctx->error_code = "header_injection";
		ctx->error_key = "L_ERROR_HEADER_INJECTION";
	} else if (strncmp(err->msg, "invalid address", 15) == 0) {
		ctx->error_code = "invalid_address";
		ctx->error_key = "L_ERROR_INVALID_ADDRESS";
	}
}

/* ---- uploads ------------------------------------------------------------- */

int
web_upload_too_large(struct web_ctx *ctx, bool total, struct perr *err)
{
	unsigned limit = total ? ctx->config->limits.max_upload_total
	                       : ctx->config->webmail.attachment_size_limit;
	const char *text = i18n_get(ctx->lang, total ? "L_ERROR_UPLOAD_TOTAL"
	                                             : "L_ERROR_UPLOAD_FILE");
	struct sbuf m;
	const char *brace = strstr(text, "{limit}");

	sbuf_init(&m, ctx->req->arena, 128, 1024);
	if (brace != NULL) {
		sbuf_append(&m, text, (size_t)(brace - text));
		sbuf_printf(&m, "%u MB", limit);
		sbuf_append_cstr(&m, brace + 7);
	} else {
		sbuf_append_cstr(&m, text);
	}
	ctx->error_code = "too_large";
	ctx->error_message = sbuf_cstr(&m);
	return perr_set(err, ctx->req->arena, PERR_LIMIT,
	                total ? "the attachments together are over %u MB"
	                      : "the file is over %u MB",
	                limit);
}

const struct http_upload *
web_upload_field(struct web_ctx *ctx, struct perr *err)
{
	const struct http_upload *ups;
	size_t n, i;

	ups = http_request_uploads(ctx->req, &n);
	for (i = 0; i < n; i++)
		if (strv_eq_cstr(ups[i].field, "file"))
			return &ups[i];
	perr_set(err, ctx->req->arena, PERR_INPUT,
	         "a multipart field \"file\" is required");
	return NULL;
}

int
web_api_upload(struct web_ctx *ctx, struct perr *err)
{
	const struct http_upload *up;
	struct mail_session *ms;
	struct mail_upload u;
	struct arena *a = ctx->req->arena;

	if (web_mail(ctx, &ms, err) != 0)
		return -1;
	mail_uploads_sweep(ms, NULL);
	if ((up = web_upload_field(ctx, err)) == NULL)
		return -1;
	if (mail_upload_store(
	            ms, up->filename.p != NULL ? strv_dup(a, up->filename) : "",
	            strv_dup(a, up->content_type), up->data, up->path, up->size,
	            &u, err) != 0)
		return web_mail_fail(ctx, err);
	return web_reply_json(ctx, web_upload_json(&u), err);
}

int
web_api_upload_delete(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;

	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_upload_delete(ms, web_arg_str(ctx, "id"), err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

/* ---- identities ---------------------------------------------------------- */

int
web_api_identities(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;
	struct mail_identity *v;
	size_t n, i;
	json_t *arr;

	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_identities(ms, &v, &n, err) != 0)
		return -1;
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(
		        arr, json_pack("{ss ss ss ss ss sb sb ss sb sb}", "id",
		                       v[i].id, "name", v[i].s.name, "email",
		                       v[i].s.email, "replyTo", v[i].s.reply_to,
		                       "signature", v[i].s.signature,
		                       "signatureHtml", v[i].s.signature_html,
		                       "signatureAbove", v[i].s.signature_above,
		                       "sentFolder", v[i].s.sent_folder,
		                       "isDefault", v[i].s.is_default,
		                       "verified", v[i].verified));
	return web_reply_json(ctx, json_pack("{so}", "identities", arr), err);
}

int
web_api_identity_save(struct web_ctx *ctx, struct perr *err)
{
	struct store_identity id;
	struct mail_session *ms;
	int64_t out;

	memset(&id, 0, sizeof(id));
	id.name = web_arg_str(ctx, "name");
	id.reply_to = web_arg_str(ctx, "replyTo");
	id.signature = web_arg_str(ctx, "signature");
	id.sent_folder = web_arg_str(ctx, "sentFolder");
	id.signature_html = web_arg_bool(ctx, "signatureHtml");
	id.signature_above = web_arg_bool(ctx, "signatureAbove");
	id.is_default = web_arg_bool(ctx, "isDefault");
	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_identity_id(ms, web_arg_str(ctx, "id"), &id.id, err) != 0 ||
	    mail_identity_save(ms, &id, web_arg_str(ctx, "email"), &out, err) !=
	            0) {
		web_compose_fail_code(ctx, err);
		return -1;
	}
	return web_reply_json(ctx,
	                      json_pack("{ss}", "id",
	                                arena_printf(ctx->req->arena, "%lld",
	                                             (long long)out)),
	                      err);
}

int
web_api_identity_delete(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;
	int64_t id;

	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_identity_id(ms, web_arg_str(ctx, "id"), &id, err) != 0 ||
	    mail_identity_delete(ms, id, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

/*
 * Mail the identity's address a confirmation link (#14 finding 2). The
 * link names this host as the browser reached it.
 */
int
web_api_identity_confirm(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;
	struct arena *a = ctx->req->arena;
	const char *email, *link;
	int64_t id;

	if (ctx->req->host.len == 0 ||
	    strv_find(ctx->req->host, STRV_LIT("%")) >= 0)
		return perr_set(err, a, PERR_INPUT, "no usable Host header");
	link = arena_printf(a, "%s://%s/identity/confirm?token=",
	                    ctx->req->https || ctx->config->security.force_https
	                            ? "https"
	                            : "http",
	                    ctx->req->host.p);
	if (link == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_identity_id(ms, web_arg_str(ctx, "id"), &id, err) != 0)
		return -1;
	if (mail_identity_confirm_start(
	            ms, id, link,
	            i18n_get(ctx->lang, "L_IDENTITY_CONFIRM_MAIL_SUBJECT"),
	            i18n_get(ctx->lang, "L_IDENTITY_CONFIRM_MAIL_TEXT"),
	            i18n_get(ctx->lang, "L_IDENTITY_CONFIRM_MAIL_IGNORE"),
	            &email, err) != 0) {
		if (err->kind == PERR_RATE)
			(void)http_response_set_header(ctx->resp, "Retry-After",
			                               "300");
		return web_mail_fail(ctx, err);
	}
	return web_reply_json(
	        ctx, json_pack("{sbss}", "sent", 1, "email", email), err);
}

/* ---- address suggestions ------------------------------------------------- */

/* Whether email is among the first n of v (case-blind, as mail is). */
static bool
suggest_has(const struct store_recipient *v, size_t n, const char *email)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strv_eq_ci_ascii(strv_from_cstr(v[i].email),
		                     strv_from_cstr(email)))
			return true;
	return false;
}

int
web_api_address_suggest(struct web_ctx *ctx, struct perr *err)
{
	struct store_recipient *c, *r, *all;
	struct store *st;
	const char *q = web_arg_str(ctx, "q");
	int64_t limit = web_arg_int(ctx, "limit", 10);
	json_t *arr;
	size_t n_c, n_r, n = 0, i;

	/* Contacts first: the user chose to keep them. */
	if ((st = web_store(ctx, err)) == NULL ||
	    store_contact_suggest(st, ctx->session->user, q, (size_t)limit,
	                          ctx->req->arena, &c, &n_c, err) != 0 ||
	    store_recipient_suggest(st, ctx->session->user, q, (size_t)limit,
	                            ctx->req->arena, &r, &n_r, err) != 0)
		return -1;
	all = arena_new_array(ctx->req->arena, struct store_recipient,
	                      (size_t)limit);
	if (all == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	for (i = 0; i < n_c + n_r && n < (size_t)limit; i++) {
		const struct store_recipient *x = i < n_c ? &c[i] : &r[i - n_c];

		if (!suggest_has(all, n, x->email))
			all[n++] = *x;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr,
		                      json_pack("{ssss}", "name", all[i].name,
		                                "email", all[i].email));
	return web_reply_json(ctx, json_pack("{so}", "addresses", arr), err);
}
