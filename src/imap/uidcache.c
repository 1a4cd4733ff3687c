/*
 * The sorted UID list of the selected folder, kept between pages while
 * the folder does not change (struct imapc_uid_cache).
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

/* ---- the sorted UID cache (struct imapc_uid_cache) ---------------------- */

/* Lists longer than this are not kept (4 MiB of UIDs per connection). */
#define UID_CACHE_MAX (1024u * 1024)

void
imapc_uid_cache_clear(struct imap_conn *c)
{
	struct imapc_uid_cache *uc = &c->uid_cache;

	free(uc->folder_raw);
	free(uc->search);
	free(uc->uids);
	memset(uc, 0, sizeof(*uc));
}

/* True if the search has a term on flags (is:unread, is:flagged, ...). */
static bool
search_uses_flags(const char *search, struct arena *a)
{
	struct imap_search s;
	struct perr e;
	size_t i;

	if (search == NULL || *search == '\0')
		return false;
	if (imap_search_parse(strv_from_cstr(search), a, &s, &e) != 0)
		return true; /* fails again in run_search */
	for (i = 0; i < s.n; i++) {
		switch (s.terms[i].kind) {
		case IMAP_SEARCH_UNSEEN:
		case IMAP_SEARCH_SEEN:
		case IMAP_SEARCH_FLAGGED:
		case IMAP_SEARCH_UNFLAGGED:
		case IMAP_SEARCH_ANSWERED:
			return true;
		default:
			break;
		}
	}
	return false;
}

static bool
uid_cache_fits(const struct imap_conn *c, const struct imap_list_query *q,
               bool server)
{
	const struct imapc_uid_cache *uc = &c->uid_cache;

	if (!uc->valid || c->sel_stale || c->selected_raw == NULL)
		return false;
	if (strcmp(uc->folder_raw, c->selected_raw) != 0 ||
	    uc->sort != q->sort || uc->reverse != q->reverse ||
	    uc->server_sorted != server ||
	    strcmp(uc->search, q->search != NULL ? q->search : "") != 0)
		return false;
	/* The same message set: see struct imapc_uid_cache. */
	if (uc->uidvalidity != c->sel.uidvalidity ||
	    uc->uidnext != c->sel.uidnext || uc->exists != c->sel.exists ||
	    uc->mbox_gen != c->mbox_gen)
		return false;
	return !uc->flag_dependent ||
	       (uc->flag_gen == c->flag_gen &&
	        uc->highestmodseq == c->sel.highestmodseq);
}

static void
uid_cache_store(struct imap_conn *c, const struct imap_list_query *q,
                bool server, bool flag_dependent,
                const struct imap_mailbox_status *before, uint64_t mbox_gen,
                uint64_t flag_gen, const uint32_t *uids, size_t n)
{
	struct imapc_uid_cache *uc = &c->uid_cache;
	const struct mailimap_selection_info *si = c->imap->imap_selection_info;

	imapc_uid_cache_clear(c);
	/*
	 * Anything seen while the list was computed (an EXISTS inside the
	 * SORT answer, an EXPUNGE in the SEARCH's) may or may not be in
	 * it: do not keep it.
	 */
	if (c->sel_stale || c->selected_raw == NULL || n > UID_CACHE_MAX ||
	    c->mbox_gen != mbox_gen ||
	    (si != NULL && si->sel_has_exists &&
	     si->sel_exists != before->exists))
		return;
	if (flag_dependent &&
	    (!(imapc_caps(c) & IMAP_CAP_CONDSTORE) || c->flag_gen != flag_gen))
		return;
	uc->folder_raw = pt_xstrdup(c->selected_raw);
	uc->search = pt_xstrdup(q->search != NULL ? q->search : "");
	uc->uids = pt_xmalloc((n + 1) * sizeof(*uc->uids));
	if (n > 0)
		memcpy(uc->uids, uids, n * sizeof(*uids));
	uc->n = n;
	uc->sort = q->sort;
	uc->reverse = q->reverse;
	uc->server_sorted = server;
	uc->flag_dependent = flag_dependent;
	uc->uidvalidity = before->uidvalidity;
	uc->uidnext = before->uidnext;
	uc->exists = before->exists;
	uc->highestmodseq = before->highestmodseq;
	uc->mbox_gen = mbox_gen;
	uc->flag_gen = flag_gen;
	uc->valid = true;
}

int
imapc_sorted_uids(struct imap_conn *c, const struct imap_list_query *q,
                  struct arena *a, uint32_t **uids_r, size_t *n_r,
                  bool *server_r, struct perr *err)
{
	bool server = (imapc_caps(c) & IMAP_CAP_SORT) && !q->client_sort;
	struct imap_mailbox_status before = c->sel;
	uint64_t mbox_gen = c->mbox_gen, flag_gen = c->flag_gen;
	bool flags;

	if (uid_cache_fits(c, q, server)) {
		uint32_t *u = arena_new_array(a, uint32_t, c->uid_cache.n + 1);

		if (u == NULL)
			return perr_set(err, a, PERR_LIMIT, "folder too large");
		if (c->uid_cache.n > 0)
			memcpy(u, c->uid_cache.uids,
			       c->uid_cache.n * sizeof(*u));
		c->stats.uid_cache_hits++;
		*uids_r = u;
		*n_r = c->uid_cache.n;
		*server_r = server;
		return 0;
	}
	c->stats.uid_cache_misses++;
	flags = search_uses_flags(q->search, a);
	if (imapc_sorted_uids_uncached(c, q, a, uids_r, n_r, server_r, err) !=
	    0) {
		imapc_uid_cache_clear(c);
		return -1;
	}
	uid_cache_store(c, q, server, flags, &before, mbox_gen, flag_gen,
	                *uids_r, *n_r);
	return 0;
}

int
imap_sorted_uids(struct imap_conn *c, const char *folder,
                 const struct imap_list_query *q, struct arena *a,
                 uint32_t **uids_r, size_t *n_r, struct perr *err)
{
	struct imap_mailbox_status st;
	bool server;

	*uids_r = NULL;
	*n_r = 0;
	if (imap_select(c, folder, true, &st, err) != 0) {
		/* imap_select put the message into c's scratch arena. */
		if (err != NULL && err->msg != NULL)
			err->msg = arena_strdup(a, err->msg);
		return -1;
	}
	return imapc_sorted_uids(c, q, a, uids_r, n_r, &server, err);
}
