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

/* The send token: at least 16 of hex digits, '-' and '_'. */
static int
send_token_ok(struct web_ctx *ctx, const char *t, struct perr *err)
{
	size_t i;

	if (t == NULL)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"sendToken\" is required");
	for (i = 0; t[i] != '\0'; i++)
		if (!strchr("0123456789abcdefABCDEF-_", t[i]))
			return perr_set(err, ctx->req->arena, PERR_INPUT,
			                "\"sendToken\" must be hex");
	if (i < 16)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"sendToken\" is too short");
	return 0;
}

/* The checked arguments (args_compose in router.c) as a compose form. */
static int
read_compose(struct web_ctx *ctx, bool sending, struct mail_compose *c,
             struct perr *err)
{
	memset(c, 0, sizeof(*c));
	c->to = web_arg_strings(ctx, "to");
	c->cc = web_arg_strings(ctx, "cc");
	c->bcc = web_arg_strings(ctx, "bcc");
	c->reply_to = web_arg_str(ctx, "replyTo");
	c->subject = web_arg_str(ctx, "subject");
	c->text = web_arg_str(ctx, "text");
	c->html = web_arg_str(ctx, "html");
	c->in_reply_to = web_arg_ref(ctx, "inReplyTo");
	c->forward_of = web_arg_ref(ctx, "forwardOf");
	c->draft_uid = web_arg_uid(ctx, "draftUid");
	c->identity_id = web_arg_str(ctx, "identityId");
	c->from = web_arg_str(ctx, "from");
	c->attachments = web_arg_strings(ctx, "attachments");
	c->send_token = web_arg_str(ctx, "sendToken");
	c->read_receipt = web_arg_bool(ctx, "readReceipt");
	return sending ? send_token_ok(ctx, c->send_token, err) : 0;
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
	int64_t due, send_at;
	int wait;

	if (read_compose(ctx, true, &c, err) != 0) {
		web_compose_fail_code(ctx, err);
		return -1;
	}
	/* Undo send or send later: the job waits in the outbox. */
	if ((wait = web_outbox_send_times(ctx, &due, &send_at, err)) < 0)
		return -1;
	if (send_at > 0)
		c.date = send_at;
	/* The plugins may add headers or refuse (403: nothing is sent). */
	if (web_plugins_send_headers(ctx, &c, err) != 0)
		return -1;
	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_compose_prepare(ms, &c, true, &o, err) != 0) {
		web_compose_fail_code(ctx, err);
		return -1;
	}
	if (wait == 1)
		return web_outbox_hold(ctx, ms, &c, o, due, send_at, err);
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
	        json_pack("{sssosb}", "messageId", r.message_id, "sentUid",
	                  r.sent_uid != 0 ? json_integer(r.sent_uid)
	                                  : json_null(),
	                  "sentSaved", r.sent_saved),
	        err);
}
