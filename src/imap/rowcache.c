/*
 * Rows of the selected folder kept between requests (struct
 * imapc_row_cache): a page whose rows are all cached costs one
 * UID FETCH of their flags.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

/* ---- the row cache (struct imapc_row_cache) ----------------------------- */

static char *
xdup_or_empty(const char *s)
{
	return pt_xstrdup(s != NULL ? s : "");
}

static void
row_entry_free(struct imapc_row_entry *e)
{
	size_t i;

	if (!e->used)
		return;
	free((char *)(uintptr_t)e->row.subject);
	free((char *)(uintptr_t)e->row.from.name);
	free((char *)(uintptr_t)e->row.from.email);
	free((char *)(uintptr_t)e->row.message_id);
	free((char *)(uintptr_t)e->row.preview);
	for (i = 0; i < e->row.n_to; i++) {
		free((char *)(uintptr_t)e->row.to[i].name);
		free((char *)(uintptr_t)e->row.to[i].email);
	}
	free(e->row.to);
	memset(e, 0, sizeof(*e));
}

void
imapc_row_cache_clear(struct imap_conn *c)
{
	struct imapc_row_cache *rc = &c->row_cache;
	size_t i;

	for (i = 0; i < rc->n; i++)
		row_entry_free(&rc->e[i]);
	free(rc->e);
	free(rc->folder_raw);
	memset(rc, 0, sizeof(*rc));
}

/* The cache for the selected folder, emptied if it held another one. */
static struct imapc_row_cache *
row_cache_for_selection(struct imap_conn *c)
{
	struct imapc_row_cache *rc = &c->row_cache;

	if (c->selected_raw == NULL || c->sel.uidvalidity == 0)
		return NULL;
	if (rc->folder_raw != NULL &&
	    strcmp(rc->folder_raw, c->selected_raw) == 0 &&
	    rc->uidvalidity == c->sel.uidvalidity)
		return rc;
	imapc_row_cache_clear(c);
	rc->folder_raw = pt_xstrdup(c->selected_raw);
	rc->uidvalidity = c->sel.uidvalidity;
	rc->e = pt_xcalloc(IMAPC_ROW_CACHE_MAX, sizeof(*rc->e));
	return rc;
}

/* Index of uid in rc->e, or where it would go (*found_r false). */
static size_t
row_cache_pos(const struct imapc_row_cache *rc, uint32_t uid, bool *found_r)
{
	size_t lo = 0, hi = rc->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rc->e[mid].row.uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found_r = lo < rc->n && rc->e[lo].row.uid == uid;
	return lo;
}

static struct imapc_row_entry *
row_cache_find(struct imapc_row_cache *rc, uint32_t uid, bool want_preview)
{
	bool found;
	size_t i = row_cache_pos(rc, uid, &found);

	if (!found || (want_preview && !rc->e[i].has_preview))
		return NULL;
	rc->e[i].tick = ++rc->tick;
	return &rc->e[i];
}

/* A free entry for uid at its sorted place, evicting the LRU if full. */
static struct imapc_row_entry *
row_cache_slot(struct imapc_row_cache *rc, uint32_t uid)
{
	bool found;
	size_t i, old;

	i = row_cache_pos(rc, uid, &found);
	if (found) {
		row_entry_free(&rc->e[i]);
		return &rc->e[i];
	}
	if (rc->n == IMAPC_ROW_CACHE_MAX) {
		for (old = 0, i = 1; i < rc->n; i++) {
			if (rc->e[i].tick < rc->e[old].tick)
				old = i;
		}
		row_entry_free(&rc->e[old]);
		memmove(&rc->e[old], &rc->e[old + 1],
		        (rc->n - old - 1) * sizeof(*rc->e));
		rc->n--;
		i = row_cache_pos(rc, uid, &found);
	}
	memmove(&rc->e[i + 1], &rc->e[i], (rc->n - i) * sizeof(*rc->e));
	memset(&rc->e[i], 0, sizeof(rc->e[i]));
	rc->n++;
	return &rc->e[i];
}

void
imapc_row_cache_store(struct imap_conn *c, const struct imap_msg_row *rows,
                      size_t n, const bool *got, bool with_preview)
{
	struct imapc_row_cache *rc = row_cache_for_selection(c);
	size_t i, k;

	if (rc == NULL)
		return;
	for (i = 0; i < n; i++) {
		const struct imap_msg_row *r = &rows[i];
		struct imapc_row_entry *e;

		if (r->uid == 0 || !got[i])
			continue; /* not in the FETCH answer: expunged? */
		e = row_cache_slot(rc, r->uid);
		e->used = true;
		e->tick = ++rc->tick;
		e->has_preview = with_preview;
		e->row.uid = r->uid;
		e->row.subject = xdup_or_empty(r->subject);
		e->row.from.name = xdup_or_empty(r->from.name);
		e->row.from.email = xdup_or_empty(r->from.email);
		e->row.message_id = xdup_or_empty(r->message_id);
		e->row.preview = xdup_or_empty(with_preview ? r->preview : "");
		e->row.date = r->date;
		e->row.received = r->received;
		e->row.size = r->size;
		e->row.has_attachments = r->has_attachments;
		if (r->n_to > 0 && r->to != NULL) {
			e->row.to = pt_xcalloc(r->n_to, sizeof(*e->row.to));
			for (k = 0; k < r->n_to; k++) {
				e->row.to[k].name =
				        xdup_or_empty(r->to[k].name);
				e->row.to[k].email =
				        xdup_or_empty(r->to[k].email);
			}
			e->row.n_to = r->n_to;
		}
	}
}

/* Copy a cached row into the request's row (strings into a). */
static int
row_from_cache(const struct imapc_row_entry *e, struct imap_msg_row *row,
               struct arena *a)
{
	size_t k;

	row->subject = arena_strdup(a, e->row.subject);
	row->from.name = arena_strdup(a, e->row.from.name);
	row->from.email = arena_strdup(a, e->row.from.email);
	row->message_id = arena_strdup(a, e->row.message_id);
	row->preview = arena_strdup(a, e->row.preview);
	if (row->subject == NULL || row->from.name == NULL ||
	    row->from.email == NULL || row->message_id == NULL ||
	    row->preview == NULL)
		return -1;
	row->date = e->row.date;
	row->received = e->row.received;
	row->size = e->row.size;
	row->has_attachments = e->row.has_attachments;
	row->flags = 0;
	row->keywords = NULL;
	row->n_keywords = 0;
	row->to = NULL;
	row->n_to = 0;
	if (e->row.n_to > 0) {
		row->to = arena_new_array(a, struct imap_address,
		                          e->row.n_to + 1);
		if (row->to == NULL)
			return -1;
		for (k = 0; k < e->row.n_to; k++) {
			row->to[k].name = arena_strdup(a, e->row.to[k].name);
			row->to[k].email = arena_strdup(a, e->row.to[k].email);
			if (row->to[k].name == NULL || row->to[k].email == NULL)
				return -1;
		}
		row->n_to = e->row.n_to;
	}
	return 0;
}

/*
 * All rows of the page from the cache, then their flags with one
 * UID FETCH (UID FLAGS). Returns 1 when some row is not cached (nothing
 * sent, rows untouched apart from their content fields), 0 or -1.
 */
int
imapc_rows_from_cache(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
                      bool want_preview, struct imapc_rowidx *idx,
                      struct arena *a, struct perr *err)
{
	struct imapc_row_cache *rc = row_cache_for_selection(c);
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	struct imapc_row_entry **hit;
	clist *res = NULL;
	clistiter *it, *it2;
	uint32_t *uids;
	size_t i;

	if (rc == NULL)
		return 1;
	hit = arena_new_array(a, struct imapc_row_entry *, n);
	uids = arena_new_array(a, uint32_t, n);
	if (hit == NULL || uids == NULL)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	for (i = 0; i < n; i++) {
		hit[i] = row_cache_find(rc, rows[i].uid, want_preview);
		if (hit[i] == NULL)
			return 1;
	}
	for (i = 0; i < n; i++) {
		if (row_from_cache(hit[i], &rows[i], a) != 0)
			return perr_set(err, a, PERR_LIMIT, "page too large");
		uids[i] = rows[i].uid;
	}
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_flags());
	set = imapc_uid_set(uids, n);
	c->stats.flag_fetches++;
	c->stats.row_cache_hits++;
	if (imapc_uid_fetch(c, set, ft, a, true, &res, err) != 0)
		return -1;
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		const struct mailimap_msg_att_dynamic *dyn = NULL;
		struct imap_msg_row *row;
		uint32_t uid = 0;

		for (it2 = clist_begin(ma->att_list); it2 != NULL;
		     it2 = clist_next(it2)) {
			struct mailimap_msg_att_item *item = clist_content(it2);

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC)
				dyn = item->att_data.att_dyn;
			else if (item->att_type ==
			                 MAILIMAP_MSG_ATT_ITEM_STATIC &&
			         item->att_data.att_static->att_type ==
			                 MAILIMAP_MSG_ATT_UID)
				uid = item->att_data.att_static->att_data
				              .att_uid;
		}
		row = uid != 0 ? imapc_find_row(idx, n, rows, uid) : NULL;
		if (row != NULL && dyn != NULL) {
			row->flags = imapc_flags_of(dyn);
			(void)imapc_keywords_of(dyn, a, &row->keywords,
			                        &row->n_keywords);
		}
	}
	return 0;
}
