/*
 * The message list: a page of rows in the order asked for, flat or in
 * threads (sort.c, uidcache.c, thread.c, rows.c, rowcache.c do the work).
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

/* A page of whole threads, q->offset and limit counted in threads. */
static int
list_threads(struct imap_conn *c, const struct imap_list_query *q,
             uint32_t limit, struct arena *a, struct imap_msg_page *page_r,
             struct perr *err)
{
	uint32_t *found;
	size_t nfound, first, last, t, i, n = 0, k = 0;
	bool all;
	struct imapc_threads th;

	if (imapc_run_search(c, q, a, &found, &nfound, &all, err) != 0 ||
	    imapc_run_thread(c, found, nfound, all, a, &th, err) != 0)
		return -1;
	page_r->threaded = true;
	page_r->server_sorted = true;
	page_r->total = (uint32_t)th.nt;
	if (q->offset >= th.nt)
		return 0;
	first = q->offset;
	last = first + limit < th.nt ? first + limit : th.nt;
	/* Threads come oldest first; newest first is the usual view. */
	for (t = first; t < last; t++) {
		size_t ti = q->reverse ? th.nt - 1 - t : t;

		n += th.start[ti + 1] - th.start[ti];
	}
	page_r->rows = arena_new_array(a, struct imap_msg_row, n + 1);
	if (page_r->rows == NULL)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	for (t = first; t < last; t++) {
		size_t ti = q->reverse ? th.nt - 1 - t : t;
		size_t s = th.start[ti], e = th.start[ti + 1];

		for (i = s; i < e; i++, k++) {
			page_r->rows[k].uid = th.nodes[i].uid;
			page_r->rows[k].depth = th.nodes[i].depth;
			page_r->rows[k].parent_uid = th.nodes[i].parent;
			page_r->rows[k].thread_size =
			        i == s ? (uint32_t)(e - s) : 0;
		}
	}
	page_r->n = n;
	return imapc_fetch_rows(c, page_r->rows, n, !q->no_preview, a, err);
}

int
imap_list_messages(struct imap_conn *c, const char *folder,
                   const struct imap_list_query *q, struct arena *a,
                   struct imap_msg_page *page_r, struct perr *err)
{
	uint32_t limit = q->limit ? q->limit : IMAP_LIST_DEFAULT_LIMIT;
	uint32_t *uids = NULL;
	size_t n = 0, i;

	memset(page_r, 0, sizeof(*page_r));
	page_r->offset = q->offset;
	if (limit > IMAP_LIST_MAX_LIMIT)
		limit = IMAP_LIST_MAX_LIMIT;
	if (imap_select(c, folder, true, &page_r->status, err) != 0) {
		if (err != NULL && err->msg != NULL)
			err->msg = arena_strdup(a, err->msg);
		return -1;
	}
	if (q->threads && (imapc_caps(c) & IMAP_CAP_THREAD_REFERENCES))
		return list_threads(c, q, limit, a, page_r, err);
	if (imapc_sorted_uids(c, q, a, &uids, &n, &page_r->server_sorted,
	                      err) != 0)
		return -1;
	page_r->total = (uint32_t)n;
	if (q->offset >= n)
		return 0;
	page_r->n = n - q->offset < limit ? n - q->offset : limit;
	page_r->rows = arena_new_array(a, struct imap_msg_row, page_r->n + 1);
	if (page_r->rows == NULL)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	for (i = 0; i < page_r->n; i++)
		page_r->rows[i].uid = uids[q->offset + i];
	return imapc_fetch_rows(c, page_r->rows, page_r->n, !q->no_preview, a,
	                        err);
}
