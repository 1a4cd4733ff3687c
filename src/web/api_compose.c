/*
 * Compose, part 1: uploads (spooled under storage/uploads/, one row each
 * in the store, owned by the session), identities, address suggestions
 * and the request helpers the other compose files share (docs/API.md).
 *
 * Upload files die with their session: Logout and every Upload call sweep
 * the files of sessions that ended (web_uploads_sweep).
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

#define UPLOAD_SWEEP_MAX 200
#define IDENTITY_FIELD_MAX 1024
#define SIGNATURE_MAX (64u * 1024)
#define SUGGEST_MAX 50

/* ---- request helpers ----------------------------------------------------- */

json_t *
web_json_body(struct web_ctx *ctx)
{
	json_t *b = http_request_json(ctx->req);

	return json_is_object(b) ? b : NULL;
}

int
web_json_str(struct web_ctx *ctx, const char *name, bool required, size_t max,
             const char **v_r, struct perr *err)
{
	json_t *v = json_object_get(web_json_body(ctx), name);

	*v_r = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" is required", name);
	}
	if (!json_is_string(v))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" must be a string", name);
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		ctx->error_code = "header_injection";
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" holds a NUL character", name);
	}
	if (json_string_length(v) > max)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" is longer than %zu bytes", name, max);
	*v_r = json_string_value(v);
	return 0;
}

void
web_compose_fail_code(struct web_ctx *ctx, const struct perr *err)
{
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

struct mapping {
	void *p;
	size_t n;
};

static void
unmap(void *arg)
{
	struct mapping *m = arg;

	munmap(m->p, m->n);
}

int
web_defer_munmap(struct arena *a, void *p, size_t n)
{
	struct mapping *m = arena_new(a, struct mapping);

	if (m == NULL) {
		/* Out of request memory: unmap at once rather than leak. */
		munmap(p, n);
		return -1;
	}
	m->p = p;
	m->n = n;
	arena_defer(a, unmap, m);
	return 0;
}

static const char *
uploads_dir(struct web_ctx *ctx)
{
	return arena_printf(ctx->req->arena, "%s/uploads",
	                    ctx->config->paths.storage_dir);
}

void
web_uploads_sweep(struct web_ctx *ctx, const char *session_hash)
{
	struct store_upload *v;
	struct perr err = {0};
	struct store *st = web_store(ctx, &err);
	size_t n, i;

	if (st == NULL || store_upload_stale(st, session_hash, pt_now_unix(),
	                                     UPLOAD_SWEEP_MAX, ctx->req->arena,
	                                     &v, &n, &err) != 0) {
		log_warn("uploads: sweep failed: %s",
		         err.msg != NULL ? err.msg : "?");
		return;
	}
	for (i = 0; i < n; i++) {
		if (unlink(v[i].path) != 0 && errno != ENOENT)
			log_warn("uploads: cannot remove %s: %s", v[i].path,
			         strerror(errno));
		if (store_upload_delete(st, v[i].id, ctx->req->arena, &err) !=
		    0)
			log_warn("uploads: %s", err.msg);
	}
}

static int
copy_file(const char *from, int to_fd, struct perr *err, struct arena *a)
{
	char buf[64 * 1024];
	int fd = open(from, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return perr_set(err, a, PERR_INTERNAL, "open %s: %s", from,
		                strerror(errno));
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		if (pt_write_all(to_fd, buf, (size_t)got) != 0) {
			close(fd);
			return perr_set(err, a, PERR_INTERNAL,
			                "write upload: %s", strerror(errno));
		}
	close(fd);
	if (got < 0)
		return perr_set(err, a, PERR_INTERNAL, "read %s: %s", from,
		                strerror(errno));
	return 0;
}

/* A clean "type/subtype" or application/octet-stream. */
static const char *
clean_type(struct strv t, struct arena *a)
{
	size_t i, slash = 0;

	t = strv_trim(t);
	for (i = 0; i < t.len; i++) {
		char c = t.p[i];

		if (c == ';')
			break;
		if (c == '/')
			slash++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || strchr("!#$&-^_.+", c)))
			return "application/octet-stream";
	}
	if (slash != 1 || i < 3 || t.p[0] == '/' || t.p[i - 1] == '/')
		return "application/octet-stream";
	{
		char *out = arena_strndup(a, t.p, i);
		size_t j;

		for (j = 0; out[j] != '\0'; j++)
			out[j] = pt_ascii_tolower(out[j]);
		return out;
	}
}

static uint64_t
mb(unsigned n)
{
	return (uint64_t)n * 1024 * 1024;
}

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

int
web_upload_store(struct web_ctx *ctx, const char *name, const char *type,
                 struct strv data, const char *src_path, uint64_t size,
                 json_t **json_r, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct store_upload u;
	struct store *st;
	const char *dir = uploads_dir(ctx);
	int fd;

	if ((st = web_store(ctx, err)) == NULL)
		return -1;
	if (size > mb(ctx->config->webmail.attachment_size_limit))
		return web_upload_too_large(ctx, false, err);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return perr_set(err, a, PERR_INTERNAL, "mkdir %s: %s", dir,
		                strerror(errno));
	memset(&u, 0, sizeof(u));
	u.id = pt_random_hex(a, 16);
	u.user = ctx->session->user;
	u.session_hash = ctx->session->id_hash;
	u.name = mime_filename_clean(name, "attachment", a);
	u.type = clean_type(strv_from_cstr(type != NULL ? type : ""), a);
	u.size = size;
	u.created = pt_now_unix();
	u.path = arena_printf(a, "%s/%s", dir, u.id);
	fd = open(u.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return perr_set(err, a, PERR_INTERNAL, "create %s: %s", u.path,
		                strerror(errno));
	if ((src_path != NULL ? copy_file(src_path, fd, err, a)
	     : pt_write_all(fd, data.p, data.len) != 0
	             ? perr_set(err, a, PERR_INTERNAL, "write upload: %s",
	                        strerror(errno))
	             : 0) != 0 ||
	    close(fd) != 0 ||
	    store_upload_add(st, &u, mb(ctx->config->limits.max_upload_total),
	                     a, err) != 0) {
		if (err->kind == PERR_OK)
			perr_set(err, a, PERR_INTERNAL, "close upload: %s",
			         strerror(errno));
		(void)unlink(u.path);
		if (err->kind == PERR_LIMIT)
			return web_upload_too_large(ctx, true, err);
		return -1;
	}
	*json_r = json_pack("{sssssssI}", "id", u.id, "name", u.name, "type",
	                    u.type, "size", (json_int_t)u.size);
	return 0;
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
	json_t *out;

	web_uploads_sweep(ctx, NULL);
	if ((up = web_upload_field(ctx, err)) == NULL ||
	    web_upload_store(ctx,
	                     up->filename.p != NULL
	                             ? strv_dup(ctx->req->arena, up->filename)
	                             : "",
	                     strv_dup(ctx->req->arena, up->content_type),
	                     up->data, up->path, up->size, &out, err) != 0)
		return -1;
	return web_reply_json(ctx, out, err);
}

int
web_api_upload_delete(struct web_ctx *ctx, struct perr *err)
{
	struct store_upload u;
	struct store *st;
	const char *id;

	if (web_json_str(ctx, "id", true, 64, &id, err) != 0 ||
	    (st = web_store(ctx, err)) == NULL ||
	    store_upload_get(st, ctx->session->id_hash, id, ctx->req->arena, &u,
	                     err) != 0)
		return -1;
	(void)unlink(u.path);
	if (store_upload_delete(st, u.id, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

/* ---- identities ---------------------------------------------------------- */

int
web_compose_identities(struct web_ctx *ctx, struct web_identity **v_r,
                       size_t *n_r, struct perr *err)
{
	struct store_identity *ids;
	struct web_identity *v;
	struct store *st;
	size_t n, i;
	bool any_default = false;

	if ((st = web_store(ctx, err)) == NULL ||
	    store_identity_list(st, ctx->session->user, ctx->req->arena, &ids,
	                        &n, err) != 0)
		return -1;
	v = arena_new_array(ctx->req->arena, struct web_identity, n + 1);
	if (v == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	for (i = 0; i < n; i++) {
		v[i].id = arena_printf(ctx->req->arena, "%lld",
		                       (long long)ids[i].id);
		v[i].s = ids[i];
		any_default |= ids[i].is_default;
	}
	if (n == 0) {
		/* Always at least one: the login address. */
		v[0].id = "default";
		memset(&v[0].s, 0, sizeof(v[0].s));
		v[0].s.name = "";
		v[0].s.email = ctx->session->user;
		v[0].s.reply_to = v[0].s.signature = v[0].s.sent_folder = "";
		v[0].s.is_default = true;
		n = 1;
	} else if (!any_default) {
		v[0].s.is_default = true;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

int
web_api_identities(struct web_ctx *ctx, struct perr *err)
{
	struct web_identity *v;
	size_t n, i;
	json_t *arr;

	if (web_compose_identities(ctx, &v, &n, err) != 0)
		return -1;
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(
		        arr, json_pack("{ss ss ss ss ss sb sb ss sb}", "id",
		                       v[i].id, "name", v[i].s.name, "email",
		                       v[i].s.email, "replyTo", v[i].s.reply_to,
		                       "signature", v[i].s.signature,
		                       "signatureHtml", v[i].s.signature_html,
		                       "signatureAbove", v[i].s.signature_above,
		                       "sentFolder", v[i].s.sent_folder,
		                       "isDefault", v[i].s.is_default));
	return web_reply_json(ctx, json_pack("{so}", "identities", arr), err);
}

static int
json_bool_arg(struct web_ctx *ctx, const char *name, bool *v_r,
              struct perr *err)
{
	json_t *v = json_object_get(web_json_body(ctx), name);

	*v_r = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" must be true or false", name);
	*v_r = json_is_true(v);
	return 0;
}

/* "default" (the synthesized one) or a stored id; 0 for "default". */
static int
identity_id_arg(struct web_ctx *ctx, const char *id, int64_t *id_r,
                struct perr *err)
{
	uint64_t v;

	*id_r = 0;
	if (id == NULL || strcmp(id, "default") == 0)
		return 0;
	if (!pt_parse_u64(strv_from_cstr(id), INT64_MAX, &v) || v == 0)
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no such identity: %s", id);
	*id_r = (int64_t)v;
	return 0;
}

int
web_api_identity_save(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct store_identity id;
	struct mime_addr ad;
	struct store *st;
	const char *sid, *email;
	int64_t out;

	memset(&id, 0, sizeof(id));
	if (web_json_str(ctx, "id", false, 32, &sid, err) != 0 ||
	    identity_id_arg(ctx, sid, &id.id, err) != 0 ||
	    web_json_str(ctx, "name", false, IDENTITY_FIELD_MAX, &id.name,
	                 err) != 0 ||
	    web_json_str(ctx, "email", true, IDENTITY_FIELD_MAX, &email, err) !=
	            0 ||
	    web_json_str(ctx, "replyTo", false, IDENTITY_FIELD_MAX,
	                 &id.reply_to, err) != 0 ||
	    web_json_str(ctx, "signature", false, SIGNATURE_MAX, &id.signature,
	                 err) != 0 ||
	    web_json_str(ctx, "sentFolder", false, IDENTITY_FIELD_MAX,
	                 &id.sent_folder, err) != 0 ||
	    json_bool_arg(ctx, "signatureHtml", &id.signature_html, err) != 0 ||
	    json_bool_arg(ctx, "signatureAbove", &id.signature_above, err) !=
	            0 ||
	    json_bool_arg(ctx, "isDefault", &id.is_default, err) != 0)
		goto fail;
	id.name = id.name != NULL ? id.name : "";
	id.reply_to = id.reply_to != NULL ? id.reply_to : "";
	id.signature = id.signature != NULL ? id.signature : "";
	id.sent_folder = id.sent_folder != NULL ? id.sent_folder : "";
	if (mime_has_crlf_nul(strv_from_cstr(id.name)) ||
	    mime_has_crlf_nul(strv_from_cstr(id.sent_folder))) {
		perr_set(err, a, PERR_INPUT,
		         "header injection: CR, LF or NUL in the identity");
		goto fail;
	}
	if (mime_addr_parse(strv_from_cstr(email), a, &ad, err) != 0)
		goto fail;
	id.email = ad.email;
	if (id.reply_to[0] != '\0' &&
	    mime_addr_parse(strv_from_cstr(id.reply_to), a, &ad, err) != 0)
		goto fail;
	if ((st = web_store(ctx, err)) == NULL ||
	    store_identity_save(st, ctx->session->user, &id, a, &out, err) != 0)
		return -1;
	return web_reply_json(
	        ctx,
	        json_pack("{ss}", "id",
	                  arena_printf(a, "%lld", (long long)out)),
	        err);
fail:
	web_compose_fail_code(ctx, err);
	return -1;
}

int
web_api_identity_delete(struct web_ctx *ctx, struct perr *err)
{
	const char *sid;
	struct store *st;
	int64_t id;

	if (web_json_str(ctx, "id", true, 32, &sid, err) != 0 ||
	    identity_id_arg(ctx, sid, &id, err) != 0)
		return -1;
	if (id == 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "the login address cannot be deleted");
	if ((st = web_store(ctx, err)) == NULL ||
	    store_identity_delete(st, ctx->session->user, id, ctx->req->arena,
	                          err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
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
	const char *q;
	json_t *lim = json_object_get(web_json_body(ctx), "limit"), *arr;
	json_int_t limit = 10;
	size_t n_c, n_r, n = 0, i;

	if (web_json_str(ctx, "q", true, 256, &q, err) != 0)
		return -1;
	if (lim != NULL && !json_is_null(lim)) {
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > SUGGEST_MAX)
			return perr_set(err, ctx->req->arena, PERR_INPUT,
			                "\"limit\" must be 1 to %d",
			                SUGGEST_MAX);
		limit = json_integer_value(lim);
	}
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
