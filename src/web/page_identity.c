/*
 * The confirmation link IdentityConfirm mails (#14 finding 2). GET shows
 * what would be confirmed and a button; only the POST confirms, so a
 * mail scanner that fetches every link confirms nothing. No session: the
 * person at the address may be someone else than the user, and the
 * token (64 hex characters, only its SHA-256 stored) is the proof.
 */
#include <string.h>

#include "web_private.h"
#include "core/banned.h"

/* text with {user} and {email} put in. */
static const char *
fill(struct web_ctx *ctx, const char *key, const char *user, const char *email)
{
	const char *text = i18n_get(ctx->lang, key), *p;
	struct sbuf b;

	sbuf_init(&b, ctx->req->arena, 256, 8192);
	for (p = text; *p != '\0'; p++) {
		if (strncmp(p, "{user}", 6) == 0) {
			sbuf_append_cstr(&b, user);
			p += 5;
		} else if (strncmp(p, "{email}", 7) == 0) {
			sbuf_append_cstr(&b, email);
			p += 6;
		} else {
			sbuf_append_char(&b, *p);
		}
	}
	return sbuf_ok(&b) ? sbuf_cstr(&b) : text;
}

static int
render(struct web_ctx *ctx, int status, const char *message, const char *token,
       struct perr *err)
{
	struct tmpl_dict *d = web_page_dict(
	        ctx, i18n_get(ctx->lang, "L_IDENTITY_CONFIRM_TITLE"));
	struct tmpl_dict *s;

	tmpl_dict_set(d, "MESSAGE", strv_from_cstr(message));
	if (token != NULL) {
		s = tmpl_dict_add_section(d, "ASK");
		tmpl_dict_set(s, "TOKEN", strv_from_cstr(token));
	}
	return web_render_page(ctx, status, "identity_confirm.tpl", d, err);
}

/* The token a link or the form carries, or NULL when it is unusable. */
static const char *
token_of(struct strv v)
{
	size_t i;

	if (v.len != 64)
		return NULL;
	for (i = 0; i < v.len; i++)
		if (!((v.p[i] >= '0' && v.p[i] <= '9') ||
		      (v.p[i] >= 'a' && v.p[i] <= 'f')))
			return NULL;
	return v.p;
}

/* GET asks (and only looks), POST confirms. */
static int
confirm(struct web_ctx *ctx, struct strv v, bool consume, struct perr *err)
{
	const char *token, *user = NULL, *email = NULL;
	struct store *st;
	struct perr e = {0};

	if ((token = token_of(v)) == NULL)
		return render(ctx, 404,
		              i18n_get(ctx->lang, "L_IDENTITY_CONFIRM_BAD"),
		              NULL, err);
	if ((st = web_store(ctx, err)) == NULL)
		return -1;
	if (mail_identity_confirm(st, token, consume, ctx->req->arena, &user,
	                          &email, &e) != 0) {
		if (e.kind != PERR_NOTFOUND) {
			*err = e;
			return -1;
		}
		return render(ctx, 404,
		              i18n_get(ctx->lang, "L_IDENTITY_CONFIRM_BAD"),
		              NULL, err);
	}
	if (!consume)
		return render(
		        ctx, 200,
		        fill(ctx, "L_IDENTITY_CONFIRM_QUESTION", user, email),
		        token, err);
	log_info("identity confirmed: %s may send from %s", user, email);
	return render(ctx, 200,
	              fill(ctx, "L_IDENTITY_CONFIRM_DONE", user, email), NULL,
	              err);
}

int
web_identity_confirm_page(struct web_ctx *ctx, struct perr *err)
{
	struct strv v = STRV_NULL;

	(void)http_request_query(ctx->req, "token", &v);
	return confirm(ctx, v, false, err);
}

int
web_identity_confirm_post(struct web_ctx *ctx, struct perr *err)
{
	struct strv v = STRV_NULL;

	(void)http_request_form(ctx->req, "token", &v);
	return confirm(ctx, v, true, err);
}
