/*
 * Compose, part 2: SaveDraft and Send (docs/API.md). This file reads the
 * compose form into a struct mail_compose; src/mail checks it, builds
 * the message, sends or files it (mail_compose_prepare, mail_send,
 * mail_draft_save), and web_mail_fail() names what it refused.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

#define SEND_TOKEN_MAX 128

/* An array of at most max strings, or absent / null (none). */
static int
strings_arg(struct web_ctx *ctx, const char *name, size_t max,
            struct mail_strings *l, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	json_t *arr = json_object_get(web_json_body(ctx), name), *it;
	size_t i;

	l->v = NULL;
	l->n = 0;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return perr_set(err, a, PERR_INPUT,
		                "\"%s\" must be an array of addresses", name);
	if (json_array_size(arr) > max)
		return perr_set(err, a, PERR_INPUT, "too many addresses in %s",
		                name);
	l->v = arena_new_array(a, const char *, json_array_size(arr) + 1);
	if (l->v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	json_array_foreach(arr, i, it)
	{
		if (!json_is_string(it))
			return perr_set(err, a, PERR_INPUT,
			                "\"%s\" must be an array of strings",
			                name);
		if (strlen(json_string_value(it)) != json_string_length(it))
			return perr_set(err, a, PERR_INPUT,
			                "header injection: CR, LF or NUL in an "
			                "address");
		l->v[l->n++] = json_string_value(it);
	}
	return 0;
}

static int
ref_arg(struct web_ctx *ctx, const char *name, struct mail_ref *r,
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

static int
attachments_arg(struct web_ctx *ctx, struct mail_strings *l, struct perr *err)
{
	json_t *arr = json_object_get(web_json_body(ctx), "attachments"), *it;
	size_t i;

	l->v = NULL;
	l->n = 0;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > MAIL_MAX_ATT)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"attachments\" must be an array of at most "
		                "%d upload ids",
		                MAIL_MAX_ATT);
	l->v = arena_new_array(ctx->req->arena, const char *,
	                       json_array_size(arr) + 1);
	if (l->v == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	json_array_foreach(arr, i, it)
	{
		if (!json_is_string(it))
			return perr_set(err, ctx->req->arena, PERR_INPUT,
			                "\"attachments\" must hold upload ids");
		l->v[l->n++] = json_string_value(it);
	}
	return 0;
}

static int
draft_uid_arg(struct web_ctx *ctx, uint32_t *uid_r, struct perr *err)
{
	json_t *du = json_object_get(web_json_body(ctx), "draftUid");

	*uid_r = 0;
	if (du == NULL || json_is_null(du))
		return 0;
	if (!json_is_integer(du) || json_integer_value(du) <= 0 ||
	    json_integer_value(du) > (json_int_t)UINT32_MAX)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"draftUid\" must be a UID");
	*uid_r = (uint32_t)json_integer_value(du);
	return 0;
}

static int
send_token_arg(struct web_ctx *ctx, const char **token_r, struct perr *err)
{
	const char *t;
	size_t i;

	if (web_json_str(ctx, "sendToken", true, SEND_TOKEN_MAX, token_r,
	                 err) != 0)
		return -1;
	for (t = *token_r, i = 0; t[i] != '\0'; i++)
		if (!strchr("0123456789abcdefABCDEF-_", t[i]))
			return perr_set(err, ctx->req->arena, PERR_INPUT,
			                "\"sendToken\" must be hex");
	if (i < 16)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"sendToken\" is too short");
	return 0;
}

static int
read_compose(struct web_ctx *ctx, bool sending, struct mail_compose *c,
             struct perr *err)
{
	memset(c, 0, sizeof(*c));
	if (web_json_body(ctx) == NULL)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "a JSON object is required");
	if (strings_arg(ctx, "to", MAIL_MAX_RCPT, &c->to, err) != 0 ||
	    strings_arg(ctx, "cc", MAIL_MAX_RCPT, &c->cc, err) != 0 ||
	    strings_arg(ctx, "bcc", MAIL_MAX_RCPT, &c->bcc, err) != 0 ||
	    web_json_str(ctx, "replyTo", false, 1024, &c->reply_to, err) != 0 ||
	    web_json_str(ctx, "subject", false, MAIL_MAX_SUBJECT, &c->subject,
	                 err) != 0 ||
	    web_json_str(ctx, "text", false, MAIL_MAX_BODY, &c->text, err) !=
	            0 ||
	    web_json_str(ctx, "html", false, MAIL_MAX_BODY, &c->html, err) !=
	            0 ||
	    ref_arg(ctx, "inReplyTo", &c->in_reply_to, err) != 0 ||
	    ref_arg(ctx, "forwardOf", &c->forward_of, err) != 0 ||
	    draft_uid_arg(ctx, &c->draft_uid, err) != 0 ||
	    (sending && send_token_arg(ctx, &c->send_token, err) != 0) ||
	    web_json_str(ctx, "identityId", false, 32, &c->identity_id, err) !=
	            0 ||
	    web_json_str(ctx, "from", false, 1024, &c->from, err) != 0 ||
	    attachments_arg(ctx, &c->attachments, err) != 0)
		return -1;
	return 0;
}

int
web_api_save_draft(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;
	struct mail_compose c;
	struct mail_outgoing *o;
	uint32_t uid;

	if (read_compose(ctx, false, &c, err) != 0 ||
	    web_mail(ctx, &ms, err) != 0 ||
	    mail_compose_prepare(ms, &c, false, &o, err) != 0) {
		web_compose_fail_code(ctx, err);
		return -1;
	}
	if (mail_draft_save(ms, o, &uid, err) != 0)
		return -1;
	return web_reply_json(
	        ctx,
	        json_pack("{so}", "draftUid",
	                  uid != 0 ? json_integer(uid) : json_null()),
	        err);
}

int
web_api_send(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct mail_sent r;
	json_error_t jerr;
	json_t *res;

	if (read_compose(ctx, true, &c, err) != 0 ||
	    web_mail(ctx, &ms, err) != 0 ||
	    mail_compose_prepare(ms, &c, true, &o, err) != 0) {
		web_compose_fail_code(ctx, err);
		return -1;
	}
	if (mail_send(ms, o, &r, err) != 0)
		return web_mail_fail(ctx, err);
	if (r.replay != NULL) {
		/* A repeat of a Send that went out: the same answer. */
		res = json_loads(r.replay, 0, &jerr);
		if (res == NULL)
			return perr_set(err, ctx->req->arena, PERR_INTERNAL,
			                "stored send result unreadable");
		return web_reply_json(ctx, res, err);
	}
	return web_reply_json(
	        ctx,
	        json_pack("{ssso}", "messageId", r.message_id, "sentUid",
	                  r.sent_uid != 0 ? json_integer(r.sent_uid)
	                                  : json_null()),
	        err);
}
