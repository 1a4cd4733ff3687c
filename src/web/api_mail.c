/*
 * The mailbox API: folders, message lists and actions on messages. Every
 * call borrows the session's pooled IMAP connection (web_imap), so a warm
 * request costs the IMAP round trips it needs and nothing more.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

static json_t *
body_of(struct web_ctx *ctx)
{
	json_t *b = http_request_json(ctx->req);

	return json_is_object(b) ? b : NULL;
}

/* A required string field; PERR_INPUT names it when missing. */
static int
want_string(struct web_ctx *ctx, const char *name, const char **v_r,
            struct perr *err)
{
	json_t *v = json_object_get(body_of(ctx), name);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" must be a non-empty string", name);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" holds a NUL byte", name);
	*v_r = json_string_value(v);
	return 0;
}

static int
want_uids(struct web_ctx *ctx, uint32_t **uids_r, size_t *n_r, struct perr *err)
{
	json_t *arr = json_object_get(body_of(ctx), "uids");
	size_t i, n;
	uint32_t *uids;

	if (!json_is_array(arr))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"uids\" must be an array of numbers");
	n = json_array_size(arr);
	if (n > IMAP_UIDS_MAX)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "too many messages at once (%zu)", n);
	uids = arena_new_array(ctx->req->arena, uint32_t, n);
	if (uids == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		json_int_t u = json_integer_value(v);

		if (!json_is_integer(v) || u <= 0 || u > (json_int_t)UINT32_MAX)
			return perr_set(err, ctx->req->arena, PERR_INPUT,
			                "\"uids\"[%zu] is not a message UID",
			                i);
		uids[i] = (uint32_t)u;
	}
	*uids_r = uids;
	*n_r = n;
	return 0;
}

static json_t *
address_json(const struct imap_address *a)
{
	return json_pack("{ssss}", "name", a->name != NULL ? a->name : "",
	                 "email", a->email != NULL ? a->email : "");
}

int
web_api_folders(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	struct imap_folder *f;
	json_t *list;
	size_t i, n;

	if (web_imap(ctx, &c, err) != 0 ||
	    imap_folders(c, ctx->req->arena, &f, &n, err) != 0)
		return -1;
	list = json_array();
	for (i = 0; i < n; i++) {
		const char *special = imap_special_name(f[i].special);
		json_t *parent = json_null();

		/* The parent is the path up to the last delimiter. */
		if (f[i].delimiter != '\0') {
			const char *cut = strrchr(f[i].path, f[i].delimiter);

			if (cut != NULL && cut != f[i].path)
				parent = json_stringn(
				        f[i].path, (size_t)(cut - f[i].path));
		}
		json_array_append_new(
		        list,
		        json_pack("{sssssssoso*sIsIsbsbsiso}", "path",
		                  f[i].path, "name", f[i].name, "delimiter",
		                  (char[]){f[i].delimiter, '\0'}, "special",
		                  special != NULL ? json_string(special)
		                                  : json_null(),
		                  "parent", parent, "unseen",
		                  (json_int_t)f[i].unseen, "total",
		                  (json_int_t)f[i].total, "subscribed",
		                  f[i].subscribed, "selectable",
		                  !(f[i].flags & IMAP_FOLDER_NOSELECT), "depth",
		                  (int)f[i].depth, "hasCounts",
		                  json_boolean(f[i].has_counts)));
	}
	return web_reply_json(ctx, json_pack("{so}", "folders", list), err);
}

typedef int folder_op_fn(struct imap_conn *c, const char *path, struct arena *a,
                         struct perr *err);

static int
folder_op(struct web_ctx *ctx, folder_op_fn *fn, struct perr *err)
{
	struct imap_conn *c;
	const char *path;

	if (want_string(ctx, "path", &path, err) != 0 ||
	    web_imap(ctx, &c, err) != 0 ||
	    fn(c, path, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_folder_create(struct web_ctx *ctx, struct perr *err)
{
	return folder_op(ctx, imap_folder_create, err);
}

int
web_api_folder_delete(struct web_ctx *ctx, struct perr *err)
{
	return folder_op(ctx, imap_folder_delete, err);
}

int
web_api_folder_rename(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	const char *path, *new_path;

	if (want_string(ctx, "path", &path, err) != 0 ||
	    want_string(ctx, "newPath", &new_path, err) != 0 ||
	    web_imap(ctx, &c, err) != 0 ||
	    imap_folder_rename(c, path, new_path, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_folder_subscribe(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	const char *path;
	json_t *value = json_object_get(body_of(ctx), "value");

	if (want_string(ctx, "path", &path, err) != 0)
		return -1;
	if (!json_is_boolean(value))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"value\" must be true or false");
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_folder_subscribe(c, path, json_is_true(value), ctx->req->arena,
	                          err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

/* Only Trash and Junk may be emptied in one go: a slip costs too much. */
int
web_api_folder_empty(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	struct imap_folder *f;
	const char *path;
	size_t i, n;

	if (want_string(ctx, "path", &path, err) != 0 ||
	    web_imap(ctx, &c, err) != 0 ||
	    imap_folders(c, ctx->req->arena, &f, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(f[i].path, path) == 0)
			break;
	}
	if (i == n)
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no such folder");
	if (f[i].special != IMAP_SPECIAL_TRASH &&
	    f[i].special != IMAP_SPECIAL_JUNK)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "only Trash and Junk can be emptied");
	if (imap_folder_empty(c, path, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

static int
want_uint(struct web_ctx *ctx, const char *name, uint32_t max, uint32_t dflt,
          uint32_t *v_r, struct perr *err)
{
	json_t *v = json_object_get(body_of(ctx), name);

	if (v == NULL || json_is_null(v)) {
		*v_r = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)max)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" must be a number from 0 to %u", name,
		                max);
	*v_r = (uint32_t)json_integer_value(v);
	return 0;
}

int
web_api_message_list(struct web_ctx *ctx, struct perr *err)
{
	struct imap_list_query q = {0};
	struct imap_msg_page page;
	struct imap_conn *c;
	const char *folder;
	json_t *sort, *search, *rows;
	size_t i;

	if (want_string(ctx, "folder", &folder, err) != 0 ||
	    want_uint(ctx, "offset", UINT32_MAX, 0, &q.offset, err) != 0 ||
	    want_uint(ctx, "limit", IMAP_LIST_MAX_LIMIT,
	              ctx->config->webmail.messages_per_page, &q.limit,
	              err) != 0)
		return -1;
	if (q.limit == 0)
		q.limit = ctx->config->webmail.messages_per_page;
	q.sort = IMAP_SORT_DATE;
	q.reverse = true;
	sort = json_object_get(body_of(ctx), "sort");
	if (json_is_string(sort) && json_string_length(sort) > 0 &&
	    !imap_sort_parse(strv_from_cstr(json_string_value(sort)), &q.sort,
	                     &q.reverse))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "unknown sort \"%s\"", json_string_value(sort));
	search = json_object_get(body_of(ctx), "search");
	if (json_is_string(search))
		q.search = json_string_value(search);
	q.threads = json_is_true(json_object_get(body_of(ctx), "threads"));
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_list_messages(c, folder, &q, ctx->req->arena, &page, err) != 0)
		return -1;
	rows = json_array();
	for (i = 0; i < page.n; i++) {
		const struct imap_msg_row *r = &page.rows[i];
		json_t *to = json_array();

		for (size_t k = 0; k < r->n_to; k++)
			json_array_append_new(to, address_json(&r->to[k]));
		json_array_append_new(
		        rows,
		        json_pack(
		                "{sIsssososssIsbsbsbsbsbsIsbsssisI}", "uid",
		                (json_int_t)r->uid, "subject", r->subject,
		                "from", address_json(&r->from), "to", to,
		                "messageId",
		                r->message_id != NULL ? r->message_id : "",
		                "date", (json_int_t)r->date, "seen",
		                (r->flags & IMAP_MSG_SEEN) != 0, "flagged",
		                (r->flags & IMAP_MSG_FLAGGED) != 0, "answered",
		                (r->flags & IMAP_MSG_ANSWERED) != 0,
		                "forwarded",
		                (r->flags & IMAP_MSG_FORWARDED) != 0, "draft",
		                (r->flags & IMAP_MSG_DRAFT) != 0, "size",
		                (json_int_t)r->size, "hasAttachments",
		                r->has_attachments, "preview",
		                r->preview != NULL ? r->preview : "",
		                "threadDepth", (int)r->depth, "threadSize",
		                (json_int_t)(r->thread_size > 0 ? r->thread_size
		                                                : 1)));
	}
	return web_reply_json(
	        ctx,
	        json_pack("{sIsIsIsIsbso}", "total", (json_int_t)page.total,
	                  "offset", (json_int_t)q.offset, "limit",
	                  (json_int_t)q.limit, "uidvalidity",
	                  (json_int_t)page.status.uidvalidity, "threads",
	                  page.threaded, "messages", rows),
	        err);
}

static int
set_flag(struct web_ctx *ctx, unsigned flag, struct perr *err)
{
	struct imap_conn *c;
	const char *folder;
	uint32_t *uids;
	size_t n;
	json_t *value = json_object_get(body_of(ctx), "value");

	if (want_string(ctx, "folder", &folder, err) != 0 ||
	    want_uids(ctx, &uids, &n, err) != 0)
		return -1;
	if (!json_is_boolean(value))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"value\" must be true or false");
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_set_flags(c, folder, uids, n,
	                   json_is_true(value) ? IMAP_FLAGS_ADD
	                                       : IMAP_FLAGS_REMOVE,
	                   flag, NULL, 0, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{sI}", "updated", (json_int_t)n),
	                      err);
}

int
web_api_message_set_seen(struct web_ctx *ctx, struct perr *err)
{
	return set_flag(ctx, IMAP_MSG_SEEN, err);
}

int
web_api_message_set_flagged(struct web_ctx *ctx, struct perr *err)
{
	return set_flag(ctx, IMAP_MSG_FLAGGED, err);
}

int
web_api_message_move(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	const char *folder, *to;
	uint32_t *uids;
	size_t n;

	if (want_string(ctx, "folder", &folder, err) != 0 ||
	    want_string(ctx, "to", &to, err) != 0 ||
	    want_uids(ctx, &uids, &n, err) != 0)
		return -1;
	if (strcmp(folder, to) == 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "source and target folder are the same");
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_move(c, folder, uids, n, to, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{sI}", "moved", (json_int_t)n),
	                      err);
}

int
web_api_message_delete(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;
	const char *folder;
	uint32_t *uids;
	size_t n;

	if (want_string(ctx, "folder", &folder, err) != 0 ||
	    want_uids(ctx, &uids, &n, err) != 0)
		return -1;
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_delete_messages(c, folder, uids, n, false, ctx->req->arena,
	                         err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{sI}", "deleted", (json_int_t)n),
	                      err);
}
