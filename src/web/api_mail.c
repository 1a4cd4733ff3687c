/*
 * The mailbox API: folders, message lists and actions on messages. Every
 * call borrows the session's pooled IMAP connection (web_imap), so a warm
 * request costs the IMAP round trips it needs and nothing more.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

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

/*
 * MessageList is the answer Petrel writes most, so it is written straight
 * into a buffer rather than built as jansson objects: for a 50-row page
 * those objects and their allocations were over half of a warm list's
 * instructions (docs/PERFORMANCE.md). Every string goes through
 * codec_json_string(); keys are literals here.
 */
static void
json_key(struct sbuf *b, const char *key)
{
	sbuf_append_char(b, '"');
	sbuf_append_cstr(b, key);
	sbuf_append_cstr(b, "\":");
}

static void
json_str(struct sbuf *b, const char *s)
{
	codec_json_string(b, strv_from_cstr(s != NULL ? s : ""));
}

static void
json_int(struct sbuf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	sbuf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void
json_bool(struct sbuf *b, bool v)
{
	sbuf_append_cstr(b, v ? "true" : "false");
}

static void
json_address(struct sbuf *b, const struct imap_address *a)
{
	sbuf_append_cstr(b, "{\"name\":");
	json_str(b, a->name);
	sbuf_append_cstr(b, ",\"email\":");
	json_str(b, a->email);
	sbuf_append_char(b, '}');
}

/* One row of MessageList (docs/API.md), format 1. */
static void
row_write(struct sbuf *b, const struct imap_msg_row *r)
{
	static const struct {
		const char *key;
		unsigned flag;
	} flags[] = {{"seen", IMAP_MSG_SEEN},
	             {"flagged", IMAP_MSG_FLAGGED},
	             {"answered", IMAP_MSG_ANSWERED},
	             {"forwarded", IMAP_MSG_FORWARDED},
	             {"draft", IMAP_MSG_DRAFT}};
	size_t k;

	sbuf_append_cstr(b, "{\"uid\":");
	json_int(b, r->uid);
	sbuf_append_cstr(b, ",\"subject\":");
	json_str(b, r->subject);
	sbuf_append_cstr(b, ",\"from\":");
	json_address(b, &r->from);
	sbuf_append_cstr(b, ",\"to\":[");
	for (k = 0; k < r->n_to; k++) {
		if (k > 0)
			sbuf_append_char(b, ',');
		json_address(b, &r->to[k]);
	}
	sbuf_append_cstr(b, "],\"messageId\":");
	json_str(b, r->message_id);
	sbuf_append_cstr(b, ",\"date\":");
	json_int(b, r->date);
	for (k = 0; k < PT_NELEM(flags); k++) {
		sbuf_append_char(b, ',');
		json_key(b, flags[k].key);
		json_bool(b, (r->flags & flags[k].flag) != 0);
	}
	sbuf_append_cstr(b, ",\"size\":");
	json_int(b, (int64_t)r->size);
	sbuf_append_cstr(b, ",\"hasAttachments\":");
	json_bool(b, r->has_attachments);
	sbuf_append_cstr(b, ",\"preview\":");
	json_str(b, r->preview);
	sbuf_append_cstr(b, ",\"threadDepth\":");
	json_int(b, (int64_t)r->depth);
	sbuf_append_cstr(b, ",\"threadSize\":");
	json_int(b, r->thread_size > 0 ? (int64_t)r->thread_size : 1);
	/* Labels: only rows that have some carry the member. */
	if (r->n_keywords > 0) {
		sbuf_append_cstr(b, ",\"keywords\":[");
		for (k = 0; k < r->n_keywords; k++) {
			if (k > 0)
				sbuf_append_char(b, ',');
			json_str(b, r->keywords[k]);
		}
		sbuf_append_char(b, ']');
	}
	sbuf_append_char(b, '}');
}

/*
 * MessageList format 2 (docs/API.md): the same rows, smaller. Measured on
 * bench's 10 000-message folder, format 1 spends half of a 50-row page on
 * things the list never shows or repeats on every row: the same few
 * senders and the user's own address as {"name", "email"} objects on each
 * row, six false flags and two thread fields per row, messageId (which no
 * screen of the list uses), and previews of up to 200 characters where the
 * row shows at most ~130 (the list column is at most 36% of the window;
 * docs/PERFORMANCE.md). Format 2 lists each address once in "addresses"
 * and refers to it by index, writes each row as an array of values in the
 * order of "columns" (the keys once per page, not once per row), the set
 * flags as letters, and cuts previews at LIST2_PREVIEW_MAX.
 */
#define LIST2_PREVIEW_MAX 140 /* characters */

/* The page's addresses, each once: an open-addressing table of indexes. */
struct addr_table {
	struct imap_address *by_index; /* "" for a missing name or email */
	uint32_t *slots;               /* index + 1; 0 = empty */
	size_t n, cap; /* cap: a power of two, > 2 * the addresses */
};

static uint64_t
addr_hash(const struct imap_address *a)
{
	/* FNV-1a over name, a separator byte, email. */
	uint64_t h = 1469598103934665603ull;
	const unsigned char *p;

	for (p = (const unsigned char *)a->name; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	h = (h ^ 0xffu) * 1099511628211ull;
	for (p = (const unsigned char *)a->email; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

static int
addr_table_init(struct addr_table *t, const struct imap_msg_page *page,
                struct arena *a)
{
	size_t i, want = 1;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < page->n; i++)
		want += 1 + page->rows[i].n_to;
	t->cap = 16;
	while (t->cap < 2 * want)
		t->cap *= 2;
	t->slots = arena_new_array(a, uint32_t, t->cap);
	t->by_index = arena_new_array(a, struct imap_address, want);
	return t->slots != NULL && t->by_index != NULL ? 0 : -1;
}

/* The index of *ad in the table, added if new. */
static int64_t
addr_index(struct addr_table *t, const struct imap_address *ad)
{
	struct imap_address v = {ad->name != NULL ? ad->name : "",
	                         ad->email != NULL ? ad->email : ""};
	size_t mask = t->cap - 1, i = (size_t)addr_hash(&v) & mask;
	const struct imap_address *o;

	while (t->slots[i] != 0) {
		o = &t->by_index[t->slots[i] - 1];
		if (strcmp(o->name, v.name) == 0 &&
		    strcmp(o->email, v.email) == 0)
			return (int64_t)(t->slots[i] - 1);
		i = (i + 1) & mask;
	}
	/* Room is guaranteed: cap > 2 * every address of the page. */
	t->by_index[t->n] = v;
	t->slots[i] = (uint32_t)(t->n + 1);
	return (int64_t)t->n++;
}

/* The set flags as letters: s seen, f flagged, a answered, w forwarded,
 * d draft. */
static const char *
flag_letters(unsigned flags, char *buf)
{
	char *p = buf;

	if (flags & IMAP_MSG_SEEN)
		*p++ = 's';
	if (flags & IMAP_MSG_FLAGGED)
		*p++ = 'f';
	if (flags & IMAP_MSG_ANSWERED)
		*p++ = 'a';
	if (flags & IMAP_MSG_FORWARDED)
		*p++ = 'w';
	if (flags & IMAP_MSG_DRAFT)
		*p++ = 'd';
	*p = '\0';
	return buf;
}

/* The columns of a format 2 row, in order; the thread view adds two, a
 * page with labels "keywords". */
static const char *const list2_columns[] = {
        "uid",   "subject", "from",    "to",    "date",      "size",
        "flags", "att",     "preview", "depth", "threadSize"};
#define LIST2_COLUMNS_FLAT 9

/* One row of MessageList format 2 (docs/API.md): an array of the values
 * in list2_columns' order. */
static void
row2_write(struct sbuf *b, const struct imap_msg_row *r, bool threaded,
           bool kw_column, struct addr_table *t, struct arena *a)
{
	char flags[8];
	const char *preview;
	size_t k;

	preview = r->preview != NULL ? r->preview : "";
	if (strlen(preview) > LIST2_PREVIEW_MAX)
		preview = imap_make_preview(strv_from_cstr(preview),
		                            LIST2_PREVIEW_MAX, a);
	sbuf_append_char(b, '[');
	json_int(b, r->uid);
	sbuf_append_char(b, ',');
	json_str(b, r->subject);
	sbuf_append_char(b, ',');
	json_int(b, addr_index(t, &r->from));
	sbuf_append_cstr(b, ",[");
	for (k = 0; k < r->n_to; k++) {
		if (k > 0)
			sbuf_append_char(b, ',');
		json_int(b, addr_index(t, &r->to[k]));
	}
	sbuf_append_cstr(b, "],");
	json_int(b, r->date);
	sbuf_append_char(b, ',');
	json_int(b, (int64_t)r->size);
	sbuf_append_char(b, ',');
	json_str(b, flag_letters(r->flags, flags));
	sbuf_append_cstr(b, r->has_attachments ? ",1," : ",0,");
	json_str(b, preview);
	if (threaded) {
		sbuf_append_char(b, ',');
		json_int(b, (int64_t)r->depth);
		sbuf_append_char(b, ',');
		json_int(b, r->thread_size > 0 ? (int64_t)r->thread_size : 1);
	}
	if (kw_column) {
		/* Space-separated, "" for none (keywords are atoms). */
		sbuf_append_char(b, ',');
		sbuf_append_char(b, '"');
		for (k = 0; k < r->n_keywords; k++) {
			if (k > 0)
				sbuf_append_char(b, ' ');
			sbuf_append_cstr(b, r->keywords[k]);
		}
		sbuf_append_char(b, '"');
	}
	sbuf_append_char(b, ']');
}

/* What follows format 2's rows: the address table and the columns. */
static void
list2_tail(struct sbuf *b, const struct addr_table *t, bool threaded,
           bool kw_column)
{
	size_t i, n = threaded ? PT_NELEM(list2_columns) : LIST2_COLUMNS_FLAT;

	sbuf_append_cstr(b, ",\"format\":2,\"addresses\":[");
	for (i = 0; i < t->n; i++) {
		sbuf_append_cstr(b, i > 0 ? ",[" : "[");
		json_str(b, t->by_index[i].name);
		sbuf_append_char(b, ',');
		json_str(b, t->by_index[i].email);
		sbuf_append_char(b, ']');
	}
	sbuf_append_cstr(b, "],\"columns\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_append_char(b, ',');
		json_str(b, list2_columns[i]);
	}
	if (kw_column)
		sbuf_append_cstr(b, ",\"keywords\"");
	sbuf_append_char(b, ']');
}

int
web_api_message_list(struct web_ctx *ctx, struct perr *err)
{
	struct imap_list_query q = {0};
	struct imap_msg_page page;
	struct imap_conn *c;
	struct addr_table t = {0};
	struct arena *a = ctx->req->arena;
	const char *folder = web_arg_str(ctx, "folder");
	const char *sort = web_arg_str(ctx, "sort");
	int64_t format = web_arg_int(ctx, "format", 1);
	bool kw_column = false;
	struct sbuf b;
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
		return perr_set(err, a, PERR_INPUT, "unknown sort \"%s\"",
		                sort);
	q.search = web_arg_str(ctx, "search");
	q.threads = web_arg_bool(ctx, "threads");
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_list_messages(c, folder, &q, a, &page, err) != 0)
		return -1;
	if (format == 2 && addr_table_init(&t, &page, a) != 0)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	/* Format 2: a "keywords" column only on a page with labels. */
	for (i = 0; format == 2 && i < page.n && !kw_column; i++)
		kw_column = page.rows[i].n_keywords > 0;
	sbuf_init(&b, a, 16384, ctx->resp->body.max);
	sbuf_append_cstr(&b, "{\"total\":");
	json_int(&b, page.total);
	sbuf_append_cstr(&b, ",\"offset\":");
	json_int(&b, q.offset);
	sbuf_append_cstr(&b, ",\"limit\":");
	json_int(&b, q.limit);
	sbuf_append_cstr(&b, ",\"uidvalidity\":");
	json_int(&b, page.status.uidvalidity);
	sbuf_append_cstr(&b, ",\"threads\":");
	json_bool(&b, page.threaded);
	sbuf_append_cstr(&b, ",\"messages\":[");
	for (i = 0; i < page.n; i++) {
		if (i > 0)
			sbuf_append_char(&b, ',');
		if (format == 2)
			row2_write(&b, &page.rows[i], page.threaded, kw_column,
			           &t, a);
		else
			row_write(&b, &page.rows[i]);
	}
	sbuf_append_char(&b, ']');
	if (format == 2)
		list2_tail(&b, &t, page.threaded, kw_column);
	sbuf_append_char(&b, '}');
	if (!sbuf_ok(&b) ||
	    http_response_text(ctx->resp, 200,
	                       "application/json; charset=utf-8",
	                       sbuf_view(&b)) != 0)
		return perr_set(err, a, PERR_LIMIT, "the list is too large");
	return 0;
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

typedef int imap_transfer_fn(struct imap_conn *c, const char *folder,
                             const uint32_t *uids, size_t n, const char *to,
                             struct arena *a, struct perr *err);

/* MessageMove and MessageCopy: the same arguments, one IMAP call apart. */
static int
transfer(struct web_ctx *ctx, imap_transfer_fn *fn, const char *reply_key,
         struct perr *err)
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
	    fn(c, folder, uids, n, to, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{sI}", reply_key, (json_int_t)n),
	                      err);
}

int
web_api_message_move(struct web_ctx *ctx, struct perr *err)
{
	return transfer(ctx, imap_move, "moved", err);
}

/* MessageCopy: UID COPY; the originals stay where they are. */
int
web_api_message_copy(struct web_ctx *ctx, struct perr *err)
{
	return transfer(ctx, imap_copy, "copied", err);
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

/*
 * MessageList's row for other calls that list messages (SearchAll), as
 * jansson: written by the same row_write() and read back, so the two
 * answers cannot drift apart; NULL when it does not fit or parse.
 */
json_t *
web_message_row_json(const struct imap_msg_row *r)
{
	struct sbuf b;
	json_t *v = NULL;

	sbuf_init(&b, NULL, 1024, (size_t)1 << 20);
	row_write(&b, r);
	if (sbuf_ok(&b))
		v = json_loadb(b.data, b.len, 0, NULL);
	sbuf_free(&b);
	return v;
}
