/*
 * The web side of src/mail: one mail session per request on the real
 * IMAP/SMTP ops (the pooled IMAP connection, the session's SMTP login),
 * and the one place that turns the service's reasons into API codes.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

static int
mail_imap(void *arg, struct imap_conn **c_r, struct perr *err)
{
	return web_imap(arg, c_r, err);
}

static int
mail_smtp(void *arg, struct arena *a, const struct config_domain **dom_r,
          struct smtp_login *login_r, struct perr *err)
{
	struct web_ctx *ctx = arg;
	const char *imap_user;

	if (web_session_credentials(ctx, a, dom_r, &imap_user,
	                            &login_r->password, err) != 0)
		return -1;
	login_r->user = ctx->session->user;
	return 0;
}

static uint64_t
mb(unsigned n)
{
	return (uint64_t)n * 1024 * 1024;
}

int
web_mail(struct web_ctx *ctx, struct mail_session **s_r, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct mail_session *s;
	struct mail_real *real;

	if (ctx->mail != NULL) {
		*s_r = ctx->mail;
		return 0;
	}
	if (ctx->session == NULL)
		return perr_set(err, a, PERR_AUTH, "not signed in");
	s = arena_new(a, struct mail_session);
	real = arena_new(a, struct mail_real);
	if (s == NULL || real == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if ((s->store = web_store(ctx, err)) == NULL)
		return -1;
	real->imap = mail_imap;
	real->smtp = mail_smtp;
	real->arg = ctx;
	s->a = a;
	s->ops = &mail_ops_real;
	s->backend = real;
	s->user = ctx->session->user;
	s->session_hash = ctx->session->id_hash;
	s->uploads_dir =
	        arena_printf(a, "%s/uploads", ctx->config->paths.storage_dir);
	s->max_file = mb(ctx->config->webmail.attachment_size_limit);
	s->max_total = mb(ctx->config->limits.max_upload_total);
	s->domain = web_user_domain(ctx);
	ctx->mail = s;
	*s_r = s;
	return 0;
}

int
web_mail_fail(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *s = ctx->mail;
	enum mail_why why = s != NULL ? s->why : MAIL_WHY_NONE;

	switch (why) {
	case MAIL_WHY_UPLOAD_FILE:
	case MAIL_WHY_UPLOAD_TOTAL:
		return web_upload_too_large(ctx, why == MAIL_WHY_UPLOAD_TOTAL,
		                            err);
	case MAIL_WHY_SMTP_REJECTED:
		/* The server's words are the message; where, the detail. */
		ctx->error_code = "smtp_rejected";
		ctx->error_message = err->msg;
		err->msg = s->why_detail;
		break;
	case MAIL_WHY_SMTP_UNAVAILABLE:
		ctx->error_code = "smtp_unavailable";
		ctx->error_key = "L_ERROR_SMTP_UNAVAILABLE";
		break;
	case MAIL_WHY_TOO_LARGE:
		ctx->error_code = "too_large";
		break;
	case MAIL_WHY_IN_PROGRESS:
		ctx->error_code = "in_progress";
		ctx->error_key = "L_ERROR_SEND_IN_PROGRESS";
		break;
	case MAIL_WHY_UNVERIFIED:
		ctx->error_code = "identity_unverified";
		ctx->error_key = "L_ERROR_IDENTITY_UNVERIFIED";
		break;
	case MAIL_WHY_SEND_UNCERTAIN:
		ctx->error_code = "send_uncertain";
		ctx->error_key = "L_ERROR_SEND_UNCERTAIN";
		break;
	case MAIL_WHY_NONE:
		break;
	}
	return -1;
}

json_t *
web_upload_json(const struct mail_upload *u)
{
	return json_pack("{sssssssI}", "id", u->id, "name", u->name, "type",
	                 u->type, "size", (json_int_t)u->size);
}
