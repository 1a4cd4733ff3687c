/*
 * Compose, part 3: ComposeFrom (docs/API.md) fills a compose form from a
 * stored message: reply, reply all, forward inline or as an attachment,
 * edit as new. The work is src/mail's (mail_compose_from); this file
 * reads the arguments, hands over the language's attribution and forward
 * header texts and encodes the form.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

static json_t *
strings_json(const struct mail_strings *l)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, json_string(l->v[i]));
	return arr;
}

static json_t *
ref_json(const struct mail_ref *r)
{
	if (r->folder == NULL)
		return json_null();
	return json_pack("{sssI}", "folder", r->folder, "uid",
	                 (json_int_t)r->uid);
}

static json_t *
form_json(const struct mail_form *f)
{
	json_t *atts = json_array();
	size_t i;

	for (i = 0; i < f->n_att; i++)
		json_array_append_new(atts, web_upload_json(&f->att[i]));
	return json_pack(
	        "{so so so so so ss ss ss ss? so so so sb}", "to",
	        strings_json(&f->to), "cc", strings_json(&f->cc), "bcc",
	        strings_json(&f->bcc), "attachments", atts, "identityId",
	        f->identity_id != NULL ? json_string(f->identity_id)
	                               : json_null(),
	        "replyTo", f->reply_to, "subject", f->subject, "text", f->text,
	        "html", f->html, "inReplyTo", ref_json(&f->in_reply_to),
	        "forwardOf", ref_json(&f->forward_of), "draftUid",
	        f->draft_uid != 0 ? json_integer(f->draft_uid) : json_null(),
	        "readReceipt", f->read_receipt);
}

int
web_api_compose_from(struct web_ctx *ctx, struct perr *err)
{
	struct mail_compose_texts texts;
	enum mail_compose_mode mode;
	struct mail_session *ms;
	struct mail_form form;
	const char *mode_s = web_arg_str(ctx, "mode");

	if (mail_compose_mode_parse(mode_s, &mode) != 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"mode\" must be reply, replyAll, forward, "
		                "forwardAttachment or editAsNew");
	texts.reply_attribution =
	        i18n_get(ctx->lang, "L_COMPOSE_REPLY_ATTRIBUTION");
	texts.forward_header = i18n_get(ctx->lang, "L_COMPOSE_FORWARD_HEADER");
	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_compose_from(ms, mode, web_arg_str(ctx, "folder"),
	                      web_arg_uid(ctx, "uid"), &texts, &form, err) != 0)
		return web_mail_fail(ctx, err);
	return web_reply_json(ctx, form_json(&form), err);
}
