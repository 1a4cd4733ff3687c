/*
 * Folder import and export (issue 17, docs/API.md "Import and export of
 * folders"). Import: each uploaded .eml (or each message of an .mbox) is
 * checked and APPENDed on its own, so one bad file never loses the
 * others; the answer lists every result. Export: the messages of a
 * folder, or some of them, as one mboxrd file sent while it is built, or
 * as a zip of .eml files.
 * One message at a time is fetched into an arena of its own, written to
 * the client and dropped, so memory follows the largest message, not the
 * folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

/* Most UIDs a uids= list may name (a whole folder has no such limit). */
#define EXPORT_MAX_UIDS 100000

/* "1,5,9" into a; PERR_INPUT on anything else. */
static int
parse_uids(struct web_ctx *ctx, struct strv s, uint32_t **uids_r, size_t *n_r,
           struct perr *err)
{
	struct arena *a = ctx->req->arena;
	size_t n = 1, i;
	uint32_t *v;

	for (i = 0; i < s.len; i++)
		n += s.p[i] == ',';
	if (n > EXPORT_MAX_UIDS)
		return perr_set(err, a, PERR_LIMIT,
		                "uids names more than %d messages",
		                EXPORT_MAX_UIDS);
	v = arena_new_array(a, uint32_t, n);
	if (v == NULL)
		return perr_set(err, a, PERR_INTERNAL, "out of memory");
	for (i = 0; i < n; i++) {
		struct strv one, rest;
		uint64_t u;

		(void)strv_split_once(s, ',', &one, &rest);
		if (!pt_parse_u64(one, UINT32_MAX, &u) || u == 0)
			return perr_set(
			        err, a, PERR_INPUT,
			        "uids must be UIDs separated by commas");
		v[i] = (uint32_t)u;
		s = rest;
	}
	*uids_r = v;
	*n_r = n;
	return 0;
}

/* The mbox answer's headers: an RFC 6266 attachment, never rendered. */
static int
export_headers(struct web_ctx *ctx, const char *folder)
{
	const char *name = arena_printf(ctx->req->arena, "%s.mbox", folder);

	if (http_response_set_content_type(ctx->resp, "application/mbox") !=
	            0 ||
	    web_set_attachment_name(ctx, name) != 0 ||
	    http_response_set_csp(ctx->resp, "default-src 'none'; sandbox") !=
	            0 ||
	    http_response_set_header(ctx->resp, "X-Content-Type-Options",
	                             "nosniff") != 0)
		return -1;
	return 0;
}

/*
 * format=zip: one .eml per message named from its subject and UID, built
 * in a temp file (libzip needs to seek) with one message in memory at a
 * time, then sent with its length. Bounded by mail_zip_messages' limit.
 */
static int
export_zip(struct web_ctx *ctx, struct imap_conn *c, const char *folder,
           const uint32_t *uids, size_t n, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct mail_zip_item *items;
	struct mail_session *ms;
	struct mail_zip z;
	size_t i, k = 0;

	items = arena_new_array(a, struct mail_zip_item, n + 1);
	if (items == NULL)
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	for (i = 0; i < n; i++) {
		struct arena *ma = arena_create("export-env", 4096, 0);
		struct imap_message m;
		struct perr merr = {0};

		if (imap_fetch_message(c, folder, uids[i], ma, &m, &merr) !=
		    0) {
			enum perr_kind kind = merr.kind;
			const char *msg = arena_strdup(
			        a, merr.msg != NULL ? merr.msg : "?");

			arena_destroy(&ma);
			if (kind == PERR_NOTFOUND)
				continue; /* expunged meanwhile */
			return perr_set(err, a, kind, "%s", msg);
		}
		items[k].uid = uids[i];
		items[k].size = m.size;
		items[k].name =
		        mail_export_entry_name(a, m.env.subject, uids[i]);
		arena_destroy(&ma);
		if (items[k].name == NULL)
			return perr_set(err, a, PERR_LIMIT, "out of memory");
		k++;
	}
	if (web_mail(ctx, &ms, err) != 0 ||
	    mail_zip_messages(ms, folder, items, k,
	                      ctx->req->limits != NULL
	                              ? ctx->req->limits->spool_dir
	                              : NULL,
	                      &z, err) != 0)
		return -1;
	return web_send_zip(
	        ctx, &z,
	        mime_filename_clean(arena_printf(a, "%s.zip", folder),
	                            "messages.zip", a),
	        err);
}

int
web_message_export(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct imap_conn *c;
	struct strv folder, format = STRV_NULL, uids_arg;
	uint32_t *uids = NULL;
	size_t n = 0, i;
	bool begun = false;

	if (!http_request_query(ctx->req, "folder", &folder) || folder.len == 0)
		return perr_set(err, a, PERR_INPUT, "folder is missing");
	if (http_request_query(ctx->req, "format", &format) &&
	    !strv_eq_cstr(format, "mbox") && !strv_eq_cstr(format, "zip"))
		return perr_set(err, a, PERR_INPUT,
		                "format must be mbox or zip");
	if (web_imap(ctx, &c, err) != 0)
		return -1;
	if (http_request_query(ctx->req, "uids", &uids_arg) &&
	    uids_arg.len > 0) {
		if (parse_uids(ctx, uids_arg, &uids, &n, err) != 0)
			return -1;
	} else {
		struct imap_list_query q;

		memset(&q, 0, sizeof(q));
		q.sort = IMAP_SORT_ARRIVAL;
		if (imap_sorted_uids(c, folder.p, &q, a, &uids, &n, err) != 0)
			return -1;
	}
	if (format.len > 0 && strv_eq_cstr(format, "zip"))
		return export_zip(ctx, c, folder.p, uids, n, err);
	for (i = 0; i < n; i++) {
		struct arena *ma = arena_create("export-msg", 64 * 1024, 0);
		struct imap_message m;
		struct strv raw;
		struct sbuf out;
		struct perr merr = {0};
		const char *sender = NULL;

		if (imap_fetch_message(c, folder.p, uids[i], ma, &m, &merr) !=
		            0 ||
		    imap_fetch_section(c, folder.p, uids[i], NULL, ma, &raw,
		                       &merr) != 0) {
			enum perr_kind kind = merr.kind;
			const char *msg = arena_strdup(
			        a, merr.msg != NULL ? merr.msg : "?");

			arena_destroy(&ma);
			/* A message expunged meanwhile is left out; before
			 * the first byte anything else is the answer. */
			if (kind == PERR_NOTFOUND)
				continue;
			if (!begun)
				return perr_set(err, a, kind, "%s", msg);
			log_warn("export: %s uid %u: %s", folder.p,
			         (unsigned)uids[i], msg);
			return 0; /* cut short; the client sees it */
		}
		if (m.env.from.n > 0)
			sender = m.env.from.v[0].email;
		sbuf_init(&out, ma, raw.len + 256, raw.len * 2 + 512);
		mail_mbox_append(&out, sender, (time_t)m.env.date, raw);
		if (!begun) {
			begun = true;
			if (export_headers(ctx, folder.p) != 0 ||
			    http_response_stream_begin(ctx->resp) != 0) {
				arena_destroy(&ma);
				return 0;
			}
		}
		if (!sbuf_ok(&out) ||
		    http_response_write(ctx->resp, out.data, out.len) != 0) {
			arena_destroy(&ma);
			return 0; /* the client is gone */
		}
		arena_destroy(&ma);
	}
	if (!begun && (export_headers(ctx, folder.p) != 0 ||
	               http_response_stream_begin(ctx->resp) != 0))
		return 0;
	return 0;
}

/* ---- import ---------------------------------------------------------------
 */

struct import {
	struct web_ctx *ctx;
	struct imap_conn *c;
	const char *folder;
	size_t max;
	json_t *results;
	size_t ok, failed;
	const char *name; /* the file's */
};

static void
import_result(struct import *im, const char *name, uint32_t uid,
              const char *error)
{
	json_t *r = error == NULL ? json_pack("{sssbsI}", "name", name, "ok", 1,
	                                      "uid", (json_int_t)uid)
	                          : json_pack("{sssbss}", "name", name, "ok", 0,
	                                      "error", error);

	if (error == NULL)
		im->ok++;
	else
		im->failed++;
	if (r != NULL)
		json_array_append_new(im->results, r);
}

/* Check and APPEND one message; its outcome goes to the results. */
static void
import_one(struct import *im, const char *name, struct strv msg)
{
	struct arena *a = arena_create("import-msg", 4096, 0);
	struct perr err = {0};
	uint32_t uid = 0;
	const char *date;

	if (mail_eml_check(msg, im->max, a, &err) != 0) {
		import_result(im, name, 0, err.msg);
		arena_destroy(&a);
		return;
	}
	/* The Date header becomes INTERNALDATE, so the folder sorts by
	 * arrival as it did where the message came from. */
	date = mail_eml_header(a, msg, "Date");
	if (imap_append(im->c, im->folder, IMAP_MSG_SEEN,
	                date != NULL ? imap_date_parse(date) : 0, msg, a, &uid,
	                &err) != 0)
		import_result(im, name, 0,
		              err.msg != NULL ? err.msg : "APPEND failed");
	else
		import_result(im, name, uid, NULL);
	arena_destroy(&a);
}

static int
import_mbox_msg(void *arg, size_t n, struct strv msg)
{
	struct import *im = arg;

	import_one(
	        im,
	        arena_printf(im->ctx->req->arena, "%s #%zu", im->name, n + 1),
	        msg);
	return 0;
}

/* The upload's bytes, from memory or its spool file, into a. */
static int
upload_read(const struct http_upload *up, struct arena *a, struct strv *out_r,
            struct perr *err)
{
	char *buf;
	size_t got = 0;
	int fd;

	if (up->path == NULL) {
		*out_r = up->data;
		return 0;
	}
	buf = arena_alloc(a, (size_t)up->size + 1);
	if (buf == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	fd = open(up->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot read the upload");
	while (got < up->size) {
		ssize_t r = read(fd, buf + got, (size_t)up->size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != up->size)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot read the upload");
	buf[got] = '\0';
	*out_r = (struct strv){buf, got};
	return 0;
}

static bool
ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strv_eq_ci_ascii((struct strv){s + n - k, k},
	                                  strv_from_cstr(suffix));
}

int
web_api_folder_import(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct import im;
	struct mail_session *ms;
	const struct http_upload *ups;
	struct strv folder;
	size_t n, i, files = 0;
	json_t *reply;

	memset(&im, 0, sizeof(im));
	im.ctx = ctx;
	if (!http_request_form(ctx->req, "folder", &folder) || folder.len == 0)
		return perr_set(err, a, PERR_INPUT,
		                "a multipart field \"folder\" is required");
	im.folder = strv_dup(a, folder);
	ups = http_request_uploads(ctx->req, &n);
	for (i = 0; i < n; i++)
		files += strv_eq_cstr(ups[i].field, "file");
	if (files == 0)
		return perr_set(err, a, PERR_INPUT,
		                "a multipart field \"file\" is required");
	if (web_mail(ctx, &ms, err) != 0 || web_imap(ctx, &im.c, err) != 0)
		return -1;
	/* One message may be as large as one upload may. */
	im.max = (size_t)ms->max_file;
	im.results = json_array();
	if (im.results == NULL)
		return perr_set(err, a, PERR_INTERNAL, "out of memory");
	for (i = 0; i < n; i++) {
		const struct http_upload *up = &ups[i];
		struct arena *fa;
		struct perr ferr = {0};
		struct strv data;

		if (!strv_eq_cstr(up->field, "file"))
			continue;
		im.name = up->filename.p != NULL && up->filename.len > 0
		                  ? strv_dup(a, up->filename)
		                  : "message.eml";
		fa = arena_create("import-file", 64 * 1024, 0);
		if (upload_read(up, fa, &data, &ferr) != 0)
			import_result(&im, im.name, 0, ferr.msg);
		else if (ends_with_ci(im.name, ".mbox")) {
			if (mail_mbox_split(data, fa, import_mbox_msg, &im,
			                    &ferr) != 0)
				import_result(&im, im.name, 0, ferr.msg);
		} else
			import_one(&im, im.name, data);
		arena_destroy(&fa);
	}
	reply = json_pack("{sosIsI}", "results", im.results, "imported",
	                  (json_int_t)im.ok, "failed", (json_int_t)im.failed);
	return web_reply_json(ctx, reply, err);
}
