/*
 * "Always show images from this sender": the per-user list in the store
 * (remote_image_senders) and the ImagesAllow / ImagesDisallow /
 * ImagesAllowed calls (docs/API.md). The Message call and the body
 * document consult the list through web_images_sender_allowed().
 *
 * Allowing a sender only lifts the remote-content block; the sanitizer
 * still drops scripts and hides tracking pixels, and the body CSP still
 * forbids everything but images.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

/* RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define IMAGES_SENDER_MAX 254
/* An answer bound for ImagesAllowed; the list is user-curated and small. */
#define IMAGES_LIST_MAX 10000

int
web_images_sender_normalise(const char *in, struct arena *a, const char **out_r,
                            struct perr *err)
{
	struct strv s = strv_trim(strv_from_cstr(in != NULL ? in : ""));
	char *out;
	size_t i;

	*out_r = NULL;
	if (s.len == 0 || s.len > IMAGES_SENDER_MAX)
		return perr_set(
		        err, a, PERR_INPUT,
		        "\"sender\" must be an address of 1 to %u bytes",
		        IMAGES_SENDER_MAX);
	if (memchr(s.p, '@', s.len) == NULL)
		return perr_set(err, a, PERR_INPUT,
		                "\"sender\" must be an address with '@'");
	out = arena_strndup(a, s.p, s.len);
	if (out == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "out of request memory");
	for (i = 0; i < s.len; i++) {
		unsigned char ch = (unsigned char)out[i];

		if (ch < 0x20 || ch == 0x7f)
			return perr_set(err, a, PERR_INPUT,
			                "\"sender\" holds a control character");
		out[i] = pt_ascii_tolower(out[i]);
	}
	*out_r = out;
	return 0;
}

bool
web_images_sender_allowed(struct web_ctx *ctx, const char *address)
{
	struct perr err;
	struct store *st;
	const char *norm;
	bool has = false;

	perr_clear(&err);
	if (ctx->session == NULL || address == NULL || address[0] == '\0' ||
	    web_images_sender_normalise(address, ctx->req->arena, &norm,
	                                &err) != 0)
		return false;
	st = web_store(ctx, &err);
	if (st == NULL ||
	    store_image_sender_has(st, ctx->session->user, norm,
	                           ctx->req->arena, &has, &err) != 0) {
		/* Fail closed: images stay blocked, the message still opens. */
		log_warn("images: sender lookup failed: %s",
		         err.msg != NULL ? err.msg : "?");
		return false;
	}
	return has;
}

/* The "sender" argument (args_sender), normalised. */
static int
sender_arg(struct web_ctx *ctx, const char **sender_r, struct perr *err)
{
	*sender_r = NULL;
	return web_images_sender_normalise(web_arg_str(ctx, "sender"),
	                                   ctx->req->arena, sender_r, err);
}

int
web_api_images_allow(struct web_ctx *ctx, struct perr *err)
{
	const char *sender;
	struct store *st;

	if (sender_arg(ctx, &sender, err) != 0 ||
	    (st = web_store(ctx, err)) == NULL ||
	    store_image_sender_add(st, ctx->session->user, sender,
	                           pt_now_unix(), ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_images_disallow(struct web_ctx *ctx, struct perr *err)
{
	const char *sender;
	struct store *st;

	if (sender_arg(ctx, &sender, err) != 0 ||
	    (st = web_store(ctx, err)) == NULL ||
	    store_image_sender_remove(st, ctx->session->user, sender,
	                              ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_images_allowed(struct web_ctx *ctx, struct perr *err)
{
	const char **senders;
	size_t n, i;
	struct store *st;
	json_t *arr;

	if ((st = web_store(ctx, err)) == NULL ||
	    store_image_sender_list(st, ctx->session->user, IMAGES_LIST_MAX,
	                            ctx->req->arena, &senders, &n, err) != 0)
		return -1;
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(senders[i]));
	return web_reply_json(ctx, json_pack("{so}", "senders", arr), err);
}
