/*
 * Rendering: page dictionaries, template expansion into the response, and
 * the single error renderer. Values go into dictionaries raw; the
 * templates' AUTOESCAPE pragma escapes them for their context.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "admin/admin.h"
#include "core/banned.h"

/* Pages are small; a runaway template loop stops here. */
#define WEB_PAGE_MAX (4 * 1024 * 1024)

/*
 * LOGO_URL, FAVICON_URL and FAVICON_TYPE: the uploaded branding files
 * (admin_branding.c serves them, versioned by their content hash) or
 * Petrel's own SVG.
 */
static void
set_brand_urls(struct web_ctx *ctx, struct tmpl_dict *d)
{
	const char *logo = ctx->config->webmail.logo;
	const char *fav = ctx->config->webmail.favicon;
	const char *def = arena_printf(ctx->req->arena, "%s/img/petrel.svg",
	                               ctx->app->static_url);
	const char *url;

	url = admin_brand_file_ok(ADMIN_BRAND_LOGO, logo)
	              ? arena_printf(ctx->req->arena, "/branding/logo?v=%.*s",
	                             (int)admin_brand_version(logo).len,
	                             admin_brand_version(logo).p)
	              : def;
	tmpl_dict_set_template_global(d, "LOGO_URL",
	                              strv_from_cstr(url != NULL ? url : ""));
	url = admin_brand_file_ok(ADMIN_BRAND_FAVICON, fav)
	              ? arena_printf(ctx->req->arena,
	                             "/branding/favicon?v=%.*s",
	                             (int)admin_brand_version(fav).len,
	                             admin_brand_version(fav).p)
	              : def;
	tmpl_dict_set_template_global(d, "FAVICON_URL",
	                              strv_from_cstr(url != NULL ? url : ""));
	tmpl_dict_set_template_global(
	        d, "FAVICON_TYPE",
	        strv_from_cstr(admin_brand_file_ok(ADMIN_BRAND_FAVICON, fav)
	                               ? admin_brand_mime(fav)
	                               : "image/svg+xml"));
}

struct tmpl_dict *
web_page_dict(struct web_ctx *ctx, const char *page_title)
{
	struct tmpl_dict *d = tmpl_dict_create(ctx->req->arena, "page");

	tmpl_dict_set_fallback(d, ctx->lang_dict);
	tmpl_dict_set_template_global(
	        d, "SITE_TITLE", strv_from_cstr(ctx->config->webmail.title));
	tmpl_dict_set_template_global(d, "STATIC",
	                              strv_from_cstr(ctx->app->static_url));
	tmpl_dict_set_template_global(d, "ASSET_VERSION",
	                              strv_from_cstr(ctx->app->asset_version));
	tmpl_dict_set_template_global(d, "LANG",
	                              strv_from_cstr(i18n_code(ctx->lang)));
	tmpl_dict_set_template_global(d, "PAGE_TITLE",
	                              strv_from_cstr(page_title));
	set_brand_urls(ctx, d);
	tmpl_dict_add_include(d, "HEAD", "partials/head.tpl");
	return d;
}

int
web_render_page(struct web_ctx *ctx, int status, const char *tpl,
                struct tmpl_dict *dict, struct perr *err)
{
	struct sbuf out;

	sbuf_init(&out, ctx->req->arena, 16 * 1024, WEB_PAGE_MAX);
	if (tmpl_expand(ctx->state->templates, tpl, TMPL_STRIP_BLANK_LINES,
	                dict, &out, err) != 0)
		return -1;
	if (!sbuf_ok(&out))
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "page %s too large", tpl);
	return http_response_text(ctx->resp, status, "text/html; charset=utf-8",
	                          sbuf_view(&out));
}

const char *
web_error_code(enum perr_kind kind)
{
	switch (kind) {
	case PERR_OK:
		return "Ok";
	case PERR_INPUT:
		return "InvalidInput";
	case PERR_AUTH:
		return "AuthRequired";
	case PERR_FORBIDDEN:
		return "Forbidden";
	case PERR_NOTFOUND:
		return "NotFound";
	case PERR_METHOD:
		return "MethodNotAllowed";
	case PERR_CONFLICT:
		return "Conflict";
	case PERR_LIMIT:
		return "TooLarge";
	case PERR_RATE:
		return "RateLimited";
	case PERR_TEMPFAIL:
		return "Unavailable";
	case PERR_REMOTE:
		return "RemoteError";
	case PERR_INTERNAL:
		return "InternalError";
	case PERR_NOSPACE:
		return "InsufficientStorage";
	}
	return "InternalError";
}

static const char *
error_text_key(enum perr_kind kind)
{
	switch (kind) {
	case PERR_INPUT:
		return "L_ERROR_BAD_REQUEST";
	case PERR_AUTH:
		return "L_ERROR_UNAUTHORIZED";
	case PERR_FORBIDDEN:
		return "L_ERROR_FORBIDDEN";
	case PERR_NOTFOUND:
		return "L_ERROR_NOT_FOUND";
	case PERR_METHOD:
		return "L_ERROR_METHOD";
	case PERR_CONFLICT:
		return "L_ERROR_CONFLICT";
	case PERR_LIMIT:
		return "L_ERROR_TOO_LARGE";
	case PERR_RATE:
		return "L_ERROR_RATE";
	case PERR_TEMPFAIL:
		return "L_ERROR_UNAVAILABLE";
	case PERR_REMOTE:
		return "L_ERROR_REMOTE";
	case PERR_NOSPACE:
		return "L_ERROR_NOSPACE";
	case PERR_OK:
	case PERR_INTERNAL:
		break;
	}
	return "L_ERROR_INTERNAL";
}

/* Internal details stay in the log; everything else helps the client. */
static bool
detail_is_public(enum perr_kind kind)
{
	return kind != PERR_INTERNAL && kind != PERR_OK;
}

void
web_render_error(struct web_ctx *ctx, const struct perr *err_in)
{
	struct perr err = *err_in, render_err = {0};
	int status;
	const char *text, *detail;

	if (err.kind == PERR_OK)
		perr_set(&err, ctx->req->arena, PERR_INTERNAL,
		         "handler failed without saying why");
	status = ctx->error_status > 0 ? ctx->error_status
	                               : http_status_of_error(err.kind);
	text = ctx->error_message != NULL
	               ? ctx->error_message
	               : i18n_get(ctx->lang,
	                          ctx->error_key != NULL
	                                  ? ctx->error_key
	                                  : error_text_key(err.kind));
	detail = err.msg != NULL ? err.msg : "";
	if (status >= 500)
		log_error("%d %s: %s (in %s)", status, web_error_code(err.kind),
		          detail, err.where != NULL ? err.where : "?");
	else
		log_info("%d %s: %s", status, web_error_code(err.kind), detail);

	if (ctx->wants_json) {
		json_t *e = json_object();

		json_object_set_new(
		        e, "code",
		        json_string(ctx->error_code != NULL
		                            ? ctx->error_code
		                            : web_error_code(err.kind)));
		json_object_set_new(e, "message", json_string(text));
		if (detail_is_public(err.kind) && detail[0] != '\0')
			json_object_set_new(e, "detail", json_string(detail));
		if (ctx->error_fields != NULL)
			json_object_update(e, ctx->error_fields);
		if (http_response_json_new(ctx->resp, status,
		                           json_pack("{so}", "error", e)) == 0)
			return;
	} else {
		const char *title =
		        i18n_get(ctx->lang, err.kind == PERR_NOTFOUND
		                                    ? "L_ERROR_TITLE_NOT_FOUND"
		                                    : "L_ERROR_TITLE");
		struct tmpl_dict *d = web_page_dict(ctx, title);

		tmpl_dict_set_int(d, "STATUS", status);
		tmpl_dict_set(d, "HEADLINE", strv_from_cstr(title));
		tmpl_dict_set(d, "MESSAGE", strv_from_cstr(text));
		/* A 404's or 405's detail adds nothing a person needs. */
		if (detail_is_public(err.kind) && err.kind != PERR_NOTFOUND &&
		    err.kind != PERR_METHOD && detail[0] != '\0') {
			struct tmpl_dict *s =
			        tmpl_dict_add_section(d, "DETAIL");

			tmpl_dict_set(s, "TEXT", strv_from_cstr(detail));
		}
		if (web_render_page(ctx, status, "error.tpl", d, &render_err) ==
		    0)
			return;
		log_error("rendering the error page failed: %s",
		          render_err.msg);
	}
	/* Last resort: never answer an error with a success status. */
	(void)http_response_text(ctx->resp, status, "text/plain; charset=utf-8",
	                         strv_from_cstr(text));
}

static void
decref_at_end(void *v)
{
	json_decref(v);
}

void
web_error_custom(struct web_ctx *ctx, int status, const char *code,
                 const char *message, struct json_t *fields)
{
	ctx->error_status = status;
	ctx->error_code = code;
	ctx->error_message = message;
	if (fields == NULL)
		return;
	if (ctx->error_fields != NULL) {
		json_decref(fields); /* the first one wins */
		return;
	}
	ctx->error_fields = fields;
	arena_defer(ctx->req->arena, decref_at_end, fields);
}

int
web_reply_json(struct web_ctx *ctx, struct json_t *v, struct perr *err)
{
	if (http_response_json_new(ctx->resp, 200, v) != 0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot encode the JSON reply");
	return 0;
}

bool
web_cookie_secure(const struct web_ctx *ctx)
{
	return ctx->req->https || ctx->config->security.force_https;
}

const char *
web_session_cookie(const struct web_ctx *ctx)
{
	return web_cookie_secure(ctx) ? SESSION_COOKIE_HOST : SESSION_COOKIE;
}
