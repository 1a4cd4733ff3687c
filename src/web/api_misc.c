/* Small API calls that need no session. */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

/*
 * GET /healthz: for load balancers and the test harness. Says nothing a
 * stranger could use beyond "Petrel answers".
 */
int
web_api_health(struct web_ctx *ctx, struct perr *err)
{
	return web_reply_json(ctx, json_pack("{ss}", "status", "ok"), err);
}

/*
 * POST /api/Lang {"lang": "ru"}: remember the visitor's language in a
 * cookie (before sign-in there is no account to store it in). Only codes
 * of loaded catalogs are accepted, so the cookie never carries input.
 */
int
web_api_lang(struct web_ctx *ctx, struct perr *err)
{
	const char *code = web_arg_str(ctx, "lang");
	const struct i18n_catalog *cat;
	struct http_cookie_opts opts = {0};

	cat = i18n_find(ctx->state->i18n, strv_from_cstr(code));
	if (cat == NULL)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "unknown language");
	opts.max_age = 365 * 24 * 3600;
	opts.secure = web_cookie_secure(ctx);
	opts.samesite = HTTP_SAMESITE_STRICT;
	if (http_response_set_cookie(ctx->resp, WEB_LANG_COOKIE, i18n_code(cat),
	                             &opts) != 0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot set the language cookie");
	return web_reply_json(ctx, json_pack("{ss}", "lang", i18n_code(cat)),
	                      err);
}
