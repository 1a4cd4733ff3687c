/*
 * The sorted UID list of the selected folder, kept between pages while
 * the folder does not change (struct imapc_uid_cache), and shared by every
 * connection of the same user and folder (the shared cache below), so a
 * new session's first page needs no full SORT.
 */
#include <pthread.h>
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
		case IMAP_SEARCH_KEYWORD:
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

void
imapc_uid_cache_reselected(struct imap_conn *c)
{
	struct imapc_uid_cache *uc = &c->uid_cache;

	/*
	 * The folder was selected again (stale, or for HIGHESTMODSEQ): the same
	 * UIDVALIDITY, UIDNEXT and EXISTS straight from the server mean the
	 * same message set (see the shared cache below), so the order
	 * holds. A list that depends on flags is not kept.
	 */
	if (uc->valid && !uc->flag_dependent && c->selected_raw != NULL &&
	    strcmp(uc->folder_raw, c->selected_raw) == 0 &&
	    uc->uidvalidity == c->sel.uidvalidity &&
	    uc->uidnext == c->sel.uidnext && uc->exists == c->sel.exists) {
		uc->mbox_gen = c->mbox_gen;
		uc->flag_gen = c->flag_gen;
		return;
	}
	imapc_uid_cache_clear(c);
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

void
imapc_uid_cache_forget(struct imap_conn *c, const uint32_t *uids, size_t n,
                       uint64_t gen_before, size_t expunged)
{
	struct imapc_uid_cache *uc = &c->uid_cache;
	const struct mailimap_selection_info *si;
	uint32_t *gone;
	size_t i, k = 0, present = 0;

	/*
	 * Only a list that matched the folder right before the command, and
	 * only when the server reported exactly as many expunges as it had
	 * of these UIDs: then nothing else changed the set, and the order
	 * of the rest stays as it was. Anything else: sort again.
	 */
	if (!uc->valid || uc->flag_dependent || c->selected_raw == NULL ||
	    strcmp(uc->folder_raw, c->selected_raw) != 0 ||
	    uc->mbox_gen != gen_before || n == 0)
		goto drop;
	gone = pt_xmalloc(n * sizeof(*gone));
	memcpy(gone, uids, n * sizeof(*gone));
	qsort(gone, n, sizeof(*gone), cmp_u32);
	for (i = 0; i < uc->n; i++)
		present += bsearch(&uc->uids[i], gone, n, sizeof(*gone),
		                   cmp_u32) != NULL;
	if (present != expunged) {
		free(gone);
		goto drop;
	}
	for (i = 0; i < uc->n; i++)
		if (bsearch(&uc->uids[i], gone, n, sizeof(*gone), cmp_u32) ==
		    NULL)
			uc->uids[k++] = uc->uids[i];
	free(gone);
	uc->n = k;
	/* What the next check will compare with (fill_status()). */
	si = c->imap != NULL ? c->imap->imap_selection_info : NULL;
	uc->exists = si != NULL && si->sel_has_exists ? si->sel_exists
	                                              : c->sel.exists;
	uc->mbox_gen = c->mbox_gen;
	c->stats.uid_cache_kept++;
	return;
drop:
	imapc_uid_cache_clear(c);
}

/* ---- the shared cache: one list per (server, user, folder, order) ------- */

/*
 * A connection's own cache dies with it, so each new session used to pay a
 * full SORT of the folder for its first page (12-16 ms of Dovecot's CPU on
 * 10 000 messages). The list depends only on the message set and the
 * order asked for, so it is kept process-wide, keyed by server, login
 * name, folder, search and order, and taken only when the server's state
 * matches the one it was computed at:
 * - UIDVALIDITY, UIDNEXT and EXISTS equal: the same message set (a
 *   message added moves UIDNEXT, one removed lowers EXISTS, and EXISTS can
 *   only come back with UIDNEXT moved);
 * - for a search on flags, HIGHESTMODSEQ equal too (CONDSTORE only);
 * - and those values straight from the connection's last SELECT, with no
 *   change seen since (sel_mbox_gen/sel_flag_gen): a view that has seen
 *   an EXISTS knows the new count but not the new UIDNEXT.
 * Bounded by entries and by UIDs in all; the least recently used goes.
 */
#define SHARED_MAX_ENTRIES 256
#define SHARED_MAX_UIDS (4u * 1024 * 1024) /* 16 MiB of UIDs in all */
/* catch_up(): the list's head, sorted with the new mail */
#define CATCHUP_WINDOW 200

struct shared_uids {
	char *key; /* malloc; NULL: a free slot */
	uint32_t uidvalidity, uidnext, exists;
	uint64_t highestmodseq;
	bool flag_dependent;
	uint32_t *uids; /* malloc */
	size_t n;
	uint64_t tick; /* last use */
};

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static struct shared_uids shared[SHARED_MAX_ENTRIES];
static size_t shared_uids_total;
static uint64_t shared_tick;

/* Lock held. */
static void
shared_free(struct shared_uids *e)
{
	shared_uids_total -= e->n;
	free(e->key);
	free(e->uids);
	memset(e, 0, sizeof(*e));
}

void
imap_uid_share_clear(void)
{
	size_t i;

	pthread_mutex_lock(&shared_mu);
	for (i = 0; i < SHARED_MAX_ENTRIES; i++)
		if (shared[i].key != NULL)
			shared_free(&shared[i]);
	pthread_mutex_unlock(&shared_mu);
}

/* Is c's view of the selection the server's answer to its SELECT? */
static bool
sel_exact(const struct imap_conn *c, bool flag_dependent)
{
	if (c->sel_stale || c->selected_raw == NULL || c->user == NULL ||
	    c->sel.uidvalidity == 0 || c->sel.uidnext == 0 ||
	    c->mbox_gen != c->sel_mbox_gen)
		return false;
	return !flag_dependent ||
	       ((imapc_caps(c) & IMAP_CAP_CONDSTORE) &&
	        c->sel.highestmodseq != 0 && c->flag_gen == c->sel_flag_gen);
}

/* Length-prefixed fields, so no value can pass for another. */
static char *
shared_key(const struct imap_conn *c, const struct imap_list_query *q,
           bool server, struct arena *a)
{
	const char *search = q->search != NULL ? q->search : "";

	return arena_printf(a, "%zu:%s%u;%zu:%s%zu:%s%zu:%s%d%d%d",
	                    strlen(c->host), c->host, (unsigned)c->target.port,
	                    strlen(c->user), c->user, strlen(c->selected_raw),
	                    c->selected_raw, strlen(search), search,
	                    (int)q->sort, q->reverse ? 1 : 0, server ? 1 : 0);
}

/* Lock held. */
static struct shared_uids *
shared_find(const char *key)
{
	size_t i;

	for (i = 0; i < SHARED_MAX_ENTRIES; i++)
		if (shared[i].key != NULL && strcmp(shared[i].key, key) == 0)
			return &shared[i];
	return NULL;
}

/* A shared list of an older state of the folder, for catch_up(). */
struct stale_list {
	uint32_t uidnext; /* every UID in the list is below it */
	uint32_t exists;
	uint32_t *uids; /* NULL: none */
	size_t n;
};

static bool catch_up_applies(const struct imap_conn *c,
                             const struct imap_list_query *q, bool server,
                             bool flag_dependent);

/*
 * The list for c's view of its selection: a hit needs the view exact
 * (sel_exact) and the state equal. Any other entry of the same key and
 * UIDVALIDITY is copied to *stale_r for catch_up(), when that applies, on
 * an exact view or one a NOOP moved on (EXISTS and EXPUNGE are counted,
 * only UIDNEXT is not known there).
 */
/* Lock held. An arena copy of e's UIDs, NULL when out of memory. */
static uint32_t *
shared_copy(const struct shared_uids *e, struct arena *a)
{
	uint32_t *u = arena_new_array(a, uint32_t, e->n + 1);

	if (u != NULL && e->n > 0)
		memcpy(u, e->uids, e->n * sizeof(*u));
	return u;
}

static bool
shared_get(struct imap_conn *c, const struct imap_list_query *q, bool server,
           bool flag_dependent, struct arena *a, uint32_t **uids_r, size_t *n_r,
           struct stale_list *stale_r)
{
	struct shared_uids *e;
	const char *key;
	uint32_t *u = NULL;
	bool hit = false, exact = sel_exact(c, flag_dependent);
	bool catch = catch_up_applies(c, q, server, flag_dependent);

	memset(stale_r, 0, sizeof(*stale_r));
	if ((!exact && !catch) || (key = shared_key(c, q, server, a)) == NULL)
		return false;
	pthread_mutex_lock(&shared_mu);
	e = shared_find(key);
	if (e != NULL && exact && e->uidvalidity == c->sel.uidvalidity &&
	    e->uidnext == c->sel.uidnext && e->exists == c->sel.exists &&
	    e->flag_dependent == flag_dependent &&
	    (!flag_dependent || e->highestmodseq == c->sel.highestmodseq)) {
		if ((u = shared_copy(e, a)) != NULL) {
			*n_r = e->n;
			e->tick = ++shared_tick;
			hit = true;
		}
	} else if (e != NULL && catch && !e->flag_dependent &&
	           e->uidvalidity == c->sel.uidvalidity) {
		/* catch_up()'s result replaces the entry */
		if ((u = shared_copy(e, a)) != NULL) {
			stale_r->uids = u;
			stale_r->n = e->n;
			stale_r->uidnext = e->uidnext;
			stale_r->exists = e->exists;
			e->tick = ++shared_tick;
		}
	} else if (e != NULL && exact) {
		/* the folder moved on: of no use to anyone */
		shared_free(e);
	}
	pthread_mutex_unlock(&shared_mu);
	if (hit)
		*uids_r = u;
	return hit;
}

static void
shared_put(const struct imap_conn *c, const struct imap_list_query *q,
           bool server, bool flag_dependent,
           const struct imap_mailbox_status *before, const uint32_t *uids,
           size_t n, struct arena *a)
{
	struct shared_uids *e, *lru;
	const char *key = shared_key(c, q, server, a);
	size_t i;

	if (key == NULL || n > UID_CACHE_MAX)
		return;
	pthread_mutex_lock(&shared_mu);
	if ((e = shared_find(key)) != NULL)
		shared_free(e);
	for (;;) {
		e = NULL;
		lru = NULL;
		for (i = 0; i < SHARED_MAX_ENTRIES; i++) {
			if (shared[i].key == NULL) {
				if (e == NULL)
					e = &shared[i];
			} else if (lru == NULL || shared[i].tick < lru->tick) {
				lru = &shared[i];
			}
		}
		if (e != NULL && shared_uids_total + n <= SHARED_MAX_UIDS)
			break;
		if (lru == NULL)
			break;
		shared_free(lru);
	}
	if (e != NULL && shared_uids_total + n <= SHARED_MAX_UIDS) {
		e->key = pt_xstrdup(key);
		e->uids = pt_xmalloc((n + 1) * sizeof(*uids));
		if (n > 0)
			memcpy(e->uids, uids, n * sizeof(*uids));
		e->n = n;
		e->uidvalidity = before->uidvalidity;
		e->uidnext = before->uidnext;
		e->exists = before->exists;
		e->highestmodseq = before->highestmodseq;
		e->flag_dependent = flag_dependent;
		e->tick = ++shared_tick;
		shared_uids_total += n;
	}
	pthread_mutex_unlock(&shared_mu);
}

/* ---- catching a shared list up ---------------------------------------- */

/*
 * New mail in a 100 000-message folder used to cost the user's next list
 * a full SORT (140 ms of Dovecot's time), and so did a message deleted by
 * another client. Instead, the list of an older state is brought up to
 * date, for the plain folder view (no search) sorted by the server:
 * - New messages: one UID SORT of the list's first CATCHUP_WINDOW UIDs
 *   and "<old UIDNEXT>:*". An order is a total order that every subset
 *   keeps (RFC 5256 breaks ties by sequence number), so where the new
 *   ones fall among the window's is where they fall in the whole list,
 *   unless one falls after the window's last message (then its place is
 *   further down, unknown: sort in full).
 * - Gone messages: when EXISTS is not the old count plus the new ones,
 *   UID SEARCH RETURN (ALL) over the old UID range (RFC 4731: ranges on
 *   the wire, index-only in the server) says which old UIDs are left.
 *   QRESYNC's VANISHED would say the same, but ENABLE QRESYNC turns every
 *   EXPUNGE of the pooled connection into VANISHED for the rest of its
 *   life, which the rest of this module does not read.
 * It works on the view a NOOP leaves (EXISTS and EXPUNGE counted by
 * libetpan, UIDNEXT unknown): a SELECT to learn UIDNEXT would make Dovecot
 * reopen the folder, 200 ms on a 100 000-message Maildir. The result must
 * hold exactly EXISTS messages and nothing may change on the connection
 * meanwhile, or the full SORT runs after all.
 */
static bool
catch_up_applies(const struct imap_conn *c, const struct imap_list_query *q,
                 bool server, bool flag_dependent)
{
	const struct mailimap_selection_info *si =
	        c->imap != NULL ? c->imap->imap_selection_info : NULL;

	return server && !flag_dependent && !q->client_sort &&
	       (q->search == NULL || *q->search == '\0') && !c->sel_stale &&
	       c->selected_raw != NULL && c->user != NULL &&
	       c->sel.uidvalidity != 0 && si != NULL && si->sel_has_exists &&
	       si->sel_exists == c->sel.exists;
}

/* Keeps the old UIDs still in the folder, in list order (ESEARCH). */
static int
drop_gone(struct imap_conn *c, struct stale_list *old, struct arena *a,
          struct perr *err)
{
	struct strv *lines;
	const char *cmd;
	uint32_t *left = NULL, count;
	size_t nl, nleft = 0, i, k = 0;

	if (old->uidnext <= 1 || old->n == 0) {
		old->n = 0;
		return 0;
	}
	cmd = arena_printf(a, "UID SEARCH RETURN (ALL) UID 1:%u",
	                   (unsigned)(old->uidnext - 1));
	if (cmd == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	c->stats.searches++;
	if (imapc_raw_command(c, cmd, a, &lines, &nl, err) != 0 ||
	    imapc_esearch_find(lines, nl, (uint32_t)old->n, a, &left, &nleft,
	                       &count, err) != 0)
		return -1;
	/* none found: none left; ALL is in UID order, sort anyway */
	if (nleft > 1)
		qsort(left, nleft, sizeof(*left), cmp_u32);
	for (i = 0; i < old->n; i++)
		if (nleft > 0 && bsearch(&old->uids[i], left, nleft,
		                         sizeof(*left), cmp_u32) != NULL)
			old->uids[k++] = old->uids[i];
	old->n = k;
	return 0;
}

/*
 * 0 and the current list in *uids_r (*bound_r: every UID in it is below),
 * 1: not possible here (sort in full), -1: the connection failed (err).
 */
static int
catch_up(struct imap_conn *c, const struct imap_list_query *q,
         struct stale_list *old, struct arena *a, uint32_t **uids_r,
         size_t *n_r, uint32_t *bound_r, struct perr *err)
{
	uint64_t gen = c->mbox_gen;
	uint32_t first_new = old->uidnext, bound;
	uint32_t *win, *res, *out;
	size_t nwin, nres, i, k, n_new = 0, w;
	bool last_is_new = false;

	bound = first_new; /* raised past each new UID */
	nwin = old->n < CATCHUP_WINDOW ? old->n : CATCHUP_WINDOW;
	win = arena_new_array(a, uint32_t, nwin + 1);
	if (win == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (nwin > 0)
		memcpy(win, old->uids, nwin * sizeof(*win));
	qsort(win, nwin, sizeof(*win), cmp_u32);
	if (imapc_server_sort_set(c, q, win, nwin, first_new, a, &res, &nres,
	                          err) != 0)
		return -1;
	/*
	 * "n:*" with no UID from n on is the highest UID there is, an old
	 * one that may lie outside the window: not part of the answer.
	 */
	for (i = k = 0; i < nres; i++) {
		if (res[i] >= first_new) {
			if (res[i] == UINT32_MAX)
				return 1; /* no bound above it to share */
			n_new++;
			if (res[i] >= bound)
				bound = res[i] + 1;
			last_is_new = true;
		} else if (bsearch(&res[i], win, nwin, sizeof(*win), cmp_u32) !=
		           NULL) {
			last_is_new = false;
		} else {
			continue;
		}
		res[k++] = res[i];
	}
	nres = k;
	if (old->n + n_new != c->sel.exists) {
		if (!(imapc_caps(c) & IMAP_CAP_ESEARCH))
			return 1;
		if (drop_gone(c, old, a, err) != 0)
			return -1;
	}
	if (c->mbox_gen != gen || c->sel_stale)
		return 1; /* the folder changed under the commands */
	/* the window's messages still there come back in list order */
	for (i = w = 0; i < nres; i++)
		if (res[i] < first_new &&
		    (w >= old->n || res[i] != old->uids[w++]))
			return 1;
	/* a new one after the window's last: its place is further down */
	if (w < old->n && last_is_new)
		return 1;
	if (nres + (old->n - w) != c->sel.exists)
		return 1;
	out = arena_new_array(a, uint32_t, nres + (old->n - w) + 1);
	if (out == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (nres > 0)
		memcpy(out, res, nres * sizeof(*out));
	for (i = w, k = nres; i < old->n; i++)
		out[k++] = old->uids[i];
	*uids_r = out;
	*n_r = k;
	*bound_r = bound;
	return 0;
}

int
imapc_sorted_uids(struct imap_conn *c, const struct imap_list_query *q,
                  struct arena *a, uint32_t **uids_r, size_t *n_r,
                  bool *server_r, struct perr *err)
{
	bool server = (imapc_caps(c) & IMAP_CAP_SORT) && !q->client_sort;
	struct imap_mailbox_status before = c->sel;
	uint64_t mbox_gen = c->mbox_gen, flag_gen = c->flag_gen;
	struct stale_list stale;
	bool flags, exact;

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
	exact = sel_exact(c, flags);
	if (shared_get(c, q, server, flags, a, uids_r, n_r, &stale)) {
		c->stats.uid_shared_hits++;
		*server_r = server;
		uid_cache_store(c, q, server, flags, &before, mbox_gen,
		                flag_gen, *uids_r, *n_r);
		return 0;
	}
	if (stale.uids != NULL) {
		uint32_t bound = 0;
		int r = catch_up(c, q, &stale, a, uids_r, n_r, &bound, err);

		if (r < 0) {
			imapc_uid_cache_clear(c);
			return -1;
		}
		if (r == 0) {
			struct imap_mailbox_status now = before;

			c->stats.uid_catchups++;
			*server_r = server;
			uid_cache_store(c, q, server, false, &before, mbox_gen,
			                flag_gen, *uids_r, *n_r);
			/*
			 * Shared with a bound for UIDNEXT that every UID in
			 * the list is below: the view's UIDNEXT may be the
			 * SELECT's, older than mail a NOOP counted. No exact
			 * view takes it as a hit unless it is its UIDNEXT,
			 * and a catch-up from it is right either way.
			 */
			now.uidnext =
			        bound > c->sel.uidnext ? bound : c->sel.uidnext;
			now.exists = (uint32_t)*n_r;
			if (c->mbox_gen == mbox_gen)
				shared_put(c, q, server, false, &now, *uids_r,
				           *n_r, a);
			return 0;
		}
	}
	if (imapc_sorted_uids_uncached(c, q, a, uids_r, n_r, server_r, err) !=
	    0) {
		imapc_uid_cache_clear(c);
		return -1;
	}
	uid_cache_store(c, q, server, flags, &before, mbox_gen, flag_gen,
	                *uids_r, *n_r);
	/* Shared only if computed on an exact view that did not move. */
	if (exact && c->uid_cache.valid && sel_exact(c, flags))
		shared_put(c, q, server, flags, &before, *uids_r, *n_r, a);
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
