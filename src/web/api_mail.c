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

	if (web_imap(ctx, &c, err) != 0 ||
	    fn(c, web_arg_str(ctx, "path"), ctx->req->arena, err) != 0)
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

	if (web_imap(ctx, &c, err) != 0 ||
	    imap_folder_rename(c, web_arg_str(ctx, "path"),
	                       web_arg_str(ctx, "newPath"), ctx->req->arena,
	                       err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_folder_subscribe(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;

	if (web_imap(ctx, &c, err) != 0 ||
	    imap_folder_subscribe(c, web_arg_str(ctx, "path"),
	                          web_arg_bool(ctx, "value"), ctx->req->arena,
	                          err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

/* Only Trash and Junk may be emptied in one go (mail_folder_empty). */
int
web_api_folder_empty(struct web_ctx *ctx, struct perr *err)
{
	struct mail_session *ms;

	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_folder_empty(ms, web_arg_str(ctx, "path"), err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

/* The whole folder, not the page the browser shows: one IMAP command. */
int
web_api_folder_mark_read(struct web_ctx *ctx, struct perr *err)
{
	struct imap_conn *c;

	if (web_imap(ctx, &c, err) != 0 ||
	    imap_folder_mark_read(c, web_arg_str(ctx, "folder"),
	                          ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

/* Quota: {used, limit} in KiB, or null when there is none to show. */
int
web_api_quota(struct web_ctx *ctx, struct perr *err)
{
	struct imap_quota q;
	struct imap_conn *c;

	if (web_imap(ctx, &c, err) != 0 ||
	    imap_quota(c, ctx->req->arena, &q, err) != 0)
		return -1;
	if (!q.known || q.limit_kib == 0)
		return web_reply_json(ctx, json_null(), err);
	return web_reply_json(ctx,
	                      json_pack("{sIsI}", "used",
	                                (json_int_t)q.used_kib, "limit",
	                                (json_int_t)q.limit_kib),
	                      err);
}

/* One row of MessageList (docs/API.md). */
static json_t *
row_json(const struct imap_msg_row *r)
{
	json_t *to = json_array();
	size_t k;

	for (k = 0; k < r->n_to; k++)
		json_array_append_new(to, address_json(&r->to[k]));
	return json_pack(
	        "{sIsssososssIsbsbsbsbsbsIsbsssisI}", "uid", (json_int_t)r->uid,
	        "subject", r->subject, "from", address_json(&r->from), "to", to,
	        "messageId", r->message_id != NULL ? r->message_id : "", "date",
	        (json_int_t)r->date, "seen", (r->flags & IMAP_MSG_SEEN) != 0,
	        "flagged", (r->flags & IMAP_MSG_FLAGGED) != 0, "answered",
	        (r->flags & IMAP_MSG_ANSWERED) != 0, "forwarded",
	        (r->flags & IMAP_MSG_FORWARDED) != 0, "draft",
	        (r->flags & IMAP_MSG_DRAFT) != 0, "size", (json_int_t)r->size,
	        "hasAttachments", r->has_attachments, "preview",
	        r->preview != NULL ? r->preview : "", "threadDepth",
	        (int)r->depth, "threadSize",
	        (json_int_t)(r->thread_size > 0 ? r->thread_size : 1));
}

int
web_api_message_list(struct web_ctx *ctx, struct perr *err)
{
	struct imap_list_query q = {0};
	struct imap_msg_page page;
	struct imap_conn *c;
	const char *folder = web_arg_str(ctx, "folder");
	const char *sort = web_arg_str(ctx, "sort");
	json_t *rows;
	size_t i;

	q.offset = (uint32_t)web_arg_int(ctx, "offset", 0);
	q.limit = (uint32_t)web_arg_int(ctx, "limit",
	                                ctx->config->webmail.messages_per_page);
	if (q.limit == 0)
		q.limit = ctx->config->webmail.messages_per_page;
	q.sort = IMAP_SORT_DATE;
	q.reverse = true;
	if (sort != NULL && sort[0] != '\0' &&
	    !imap_sort_parse(strv_from_cstr(sort), &q.sort, &q.reverse))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "unknown sort \"%s\"", sort);
	q.search = web_arg_str(ctx, "search");
	q.threads = web_arg_bool(ctx, "threads");
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_list_messages(c, folder, &q, ctx->req->arena, &page, err) != 0)
		return -1;
	rows = json_array();
	for (i = 0; i < page.n; i++)
		json_array_append_new(rows, row_json(&page.rows[i]));
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
	size_t n;
	const uint32_t *uids = web_arg_uids(ctx, "uids", &n);

	if (web_imap(ctx, &c, err) != 0 ||
	    imap_set_flags(c, web_arg_str(ctx, "folder"), uids, n,
	                   web_arg_bool(ctx, "value") ? IMAP_FLAGS_ADD
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
	const char *folder = web_arg_str(ctx, "folder");
	const char *to = web_arg_str(ctx, "to");
	size_t n;
	const uint32_t *uids = web_arg_uids(ctx, "uids", &n);

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
	size_t n;
	const uint32_t *uids = web_arg_uids(ctx, "uids", &n);

	if (web_imap(ctx, &c, err) != 0 ||
	    imap_delete_messages(c, web_arg_str(ctx, "folder"), uids, n, false,
	                         ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{sI}", "deleted", (json_int_t)n),
	                      err);
}
