/*
 * Branding: the logo and favicon uploads of the admin's General page and
 * the public routes that serve them (GET /branding/logo, /branding/favicon).
 *
 * The files are checked by src/admin/branding.c (magic bytes, size,
 * dimensions; no SVG). Serving adds nothing a browser could execute: a
 * fixed image Content-Type from our own extension, nosniff (the default
 * header), a CSP of default-src 'none' and Content-Disposition: inline.
 * The URL carries the content hash (?v=), so a matching request may be
 * cached for a year.
 */
#include <string.h>

#include "web_private.h"
#include "admin/admin.h"
#include "core/banned.h"

static const char *
configured(const struct config *c, enum admin_brand b)
{
	return b == ADMIN_BRAND_LOGO ? c->webmail.logo : c->webmail.favicon;
}

static int
serve(struct web_ctx *ctx, enum admin_brand b, struct perr *err)
{
	const char *file = configured(ctx->config, b);
	struct strv data, v = STRV_NULL;
	char *path;
	bool current;

	if (!admin_brand_file_ok(b, file))
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no custom %s", admin_brand_name(b));
	path = arena_printf(ctx->req->arena, "%s/branding/%s",
	                    ctx->config->paths.storage_dir, file);
	if (path == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of memory");
	if (admin_file_read(path, ADMIN_BRAND_MAX_BYTES, ctx->req->arena, &data,
	                    err) != 0)
		return -1;
	current = http_request_query(ctx->req, "v", &v) &&
	          strv_eq(v, admin_brand_version(file));
	if (http_response_text(ctx->resp, 200, admin_brand_mime(file), data) !=
	            0 ||
	    http_response_set_header(ctx->resp, "Cache-Control",
	                             current ? "public, max-age=31536000, "
	                                       "immutable"
	                                     : "no-cache") != 0 ||
	    http_response_set_header(ctx->resp, "Content-Disposition",
	                             "inline") != 0 ||
	    http_response_set_csp(ctx->resp, "default-src 'none'; "
	                                     "style-src 'unsafe-inline'") != 0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot build the %s response",
		                admin_brand_name(b));
	return 0;
}

int
web_branding_logo(struct web_ctx *ctx, struct perr *err)
{
	return serve(ctx, ADMIN_BRAND_LOGO, err);
}

int
web_branding_favicon(struct web_ctx *ctx, struct perr *err)
{
	return serve(ctx, ADMIN_BRAND_FAVICON, err);
}

void
web_admin_branding_dict(struct web_ctx *ctx, struct tmpl_dict *d,
                        enum admin_brand err_kind, const char *err_key)
{
	static const enum admin_brand kinds[] = {ADMIN_BRAND_LOGO,
	                                         ADMIN_BRAND_FAVICON};
	size_t i;

	for (i = 0; i < PT_NELEM(kinds); i++) {
		enum admin_brand b = kinds[i];
		struct tmpl_dict *s = tmpl_dict_add_section(d, "BRANDS");
		bool custom =
		        admin_brand_file_ok(b, configured(ctx->config, b));
		struct strv ver;
		const char *url;

		tmpl_dict_set_cstr(s, "KIND", admin_brand_name(b));
		tmpl_dict_set_cstr(
		        s, "LABEL",
		        i18n_get(ctx->lang, b == ADMIN_BRAND_LOGO
		                                    ? "L_ADMIN_BRAND_LOGO"
		                                    : "L_ADMIN_BRAND_FAVICON"));
		tmpl_dict_set_cstr(
		        s, "HELP",
		        i18n_get(ctx->lang,
		                 b == ADMIN_BRAND_LOGO
		                         ? "L_ADMIN_BRAND_LOGO_HELP"
		                         : "L_ADMIN_BRAND_FAVICON_HELP"));
		tmpl_dict_set_cstr(s, "PREVIEW",
		                   b == ADMIN_BRAND_LOGO
		                           ? "brand-preview-logo"
		                           : "brand-preview-icon");
		ver = admin_brand_version(configured(ctx->config, b));
		url = custom ? arena_printf(
		                       ctx->req->arena, "/branding/%s?v=%.*s",
		                       admin_brand_name(b), (int)ver.len, ver.p)
		             : arena_printf(ctx->req->arena,
		                            "%s/img/petrel.svg",
		                            ctx->app->static_url);
		tmpl_dict_set_cstr(s, "URL", url != NULL ? url : "");
		tmpl_dict_show_section(s, custom ? "CUSTOM" : "DEFAULT");
		if (err_key != NULL && err_kind == b)
			tmpl_dict_set_value_and_show_section(
			        s, "TEXT",
			        strv_from_cstr(i18n_get(ctx->lang, err_key)),
			        "ERROR");
	}
}

/* The uploaded file's bytes (in memory or spooled); "" when none. */
static int
upload_data(struct web_ctx *ctx, struct strv *data_r, const char **why_r,
            struct perr *err)
{
	const struct http_upload *up;
	size_t n = 0, i;

	*data_r = STRV_NULL;
	*why_r = NULL;
	up = http_request_uploads(ctx->req, &n);
	for (i = 0; i < n; i++) {
		if (!strv_eq_cstr(up[i].field, "file"))
			continue;
		if (up[i].size > ADMIN_BRAND_MAX_BYTES) {
			*why_r = "L_ADMIN_ERR_IMAGE_SIZE";
			return 0;
		}
		if (up[i].path == NULL) {
			*data_r = up[i].data;
			return 0;
		}
		return admin_file_read(up[i].path, ADMIN_BRAND_MAX_BYTES,
		                       ctx->req->arena, data_r, err);
	}
	return 0;
}

int
web_admin_branding_save(struct web_ctx *ctx, struct perr *err)
{
	const char *kind = web_admin_field(ctx, "kind");
	const char *action = web_admin_field(ctx, "action");
	enum admin_brand b;
	struct admin_setting set;
	struct admin_image_info info = {0};
	struct perr e = {0};
	const char *old, *why = NULL;
	char *file = NULL;
	struct strv data = STRV_NULL;

	if (strcmp(kind, "logo") == 0)
		b = ADMIN_BRAND_LOGO;
	else if (strcmp(kind, "favicon") == 0)
		b = ADMIN_BRAND_FAVICON;
	else
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "kind must be logo or favicon");
	/* The snapshot may go away with the reload below: keep a copy. */
	old = arena_strdup(ctx->req->arena, configured(ctx->config, b));
	if (old == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of memory");
	if (strcmp(action, "remove") != 0) {
		if (upload_data(ctx, &data, &why, err) != 0)
			return -1;
		if (why == NULL)
			why = admin_image_sniff(data, &info);
		if (why != NULL)
			return web_admin_settings_page(ctx, 400, b, why, err);
		if (admin_brand_store(&ctx->config->paths, b, data,
		                      ctx->req->arena, &file, err) != 0)
			return -1;
	}
	set = (struct admin_setting){"webmail", admin_brand_name(b),
	                             file != NULL ? file : "", false};
	if (admin_app_settings_write(&ctx->config->paths, &set, 1,
	                             ctx->req->arena, err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	/* The same contents keep the same name: do not delete what we use. */
	if (old[0] != '\0' && (file == NULL || strcmp(old, file) != 0) &&
	    admin_brand_unlink(&ctx->config->paths, b, old, ctx->req->arena,
	                       &e) != 0)
		log_warn("cannot remove the old %s: %s", admin_brand_name(b),
		         e.msg);
	if (file != NULL)
		web_admin_audit(ctx,
		                b == ADMIN_BRAND_LOGO ? "branding.logo"
		                                      : "branding.favicon",
		                "%s %s %ux%u %zu bytes", file, info.mime,
		                info.width, info.height, data.len);
	else
		web_admin_audit(ctx,
		                b == ADMIN_BRAND_LOGO
		                        ? "branding.logo.remove"
		                        : "branding.favicon.remove",
		                "%s", old[0] != '\0' ? old : "(was default)");
	return web_admin_redirect(ctx, ADMIN_PATH "/settings?saved=1", err);
}
