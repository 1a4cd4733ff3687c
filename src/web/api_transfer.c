/*
 * Folder export (issue 17, docs/API.md "GET /message/export"): the
 * messages of a folder, or some of them, as one mboxrd file sent while it
 * is built. One message at a time is fetched into an arena of its own,
 * written to the client and dropped, so memory follows the largest
 * message, not the folder.
 */
#include <string.h>

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

/* RFC 6266 attachment with an ASCII fallback and the UTF-8 name. */
static int
export_headers(struct web_ctx *ctx, const char *folder)
{
	struct arena *a = ctx->req->arena;
	const char *name = arena_printf(a, "%s.mbox", folder);
	struct sbuf b;

	sbuf_init(&b, a, 256, 4096);
	sbuf_printf(&b, "attachment; filename=\"%s\"; filename*=UTF-8''",
	            mime_filename_ascii(name, a));
	codec_url_encode(&b, strv_from_cstr(name));
	if (!sbuf_ok(&b) ||
	    http_response_set_content_type(ctx->resp, "application/mbox") !=
	            0 ||
	    http_response_set_header(ctx->resp, "Content-Disposition",
	                             sbuf_cstr(&b)) != 0 ||
	    http_response_set_csp(ctx->resp, "default-src 'none'; sandbox") !=
	            0 ||
	    http_response_set_header(ctx->resp, "X-Content-Type-Options",
	                             "nosniff") != 0)
		return -1;
	return 0;
}

int
web_message_export(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct imap_conn *c;
	struct strv folder, format, uids_arg;
	uint32_t *uids = NULL;
	size_t n = 0, i;
	bool begun = false;

	if (!http_request_query(ctx->req, "folder", &folder) || folder.len == 0)
		return perr_set(err, a, PERR_INPUT, "folder is missing");
	if (http_request_query(ctx->req, "format", &format) &&
	    !strv_eq_cstr(format, "mbox"))
		return perr_set(err, a, PERR_INPUT,
		                "format must be mbox (zip is not there yet)");
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
