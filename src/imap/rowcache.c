/*
 * Decoded rows shared by every connection (and so every session) of one
 * user: one table per (server, login name, folder), emptied when the
 * folder's UIDVALIDITY changes.
 *
 * Everything in a row but its flags is fixed for a (UIDVALIDITY, UID), so
 * a row fetched once serves every later page that shows it, on any
 * connection of the user. The flags are kept too, each with the
 * HIGHESTMODSEQ it is known at (its label, 0: unknown). With CONDSTORE a
 * page whose labels all equal the connection's HIGHESTMODSEQ, as the
 * SELECT or the NOOP that checked the selection left it, needs no FETCH
 * at all: every flag change the server made before that check came with
 * a MODSEQ no higher than the label (RFC 7162 puts MODSEQ into every
 * unsolicited FETCH once CONDSTORE is on), and a label is only ever the
 * value a connection knew before it fetched the flags it labels. Any
 * other page asks for the flags: UID FETCH (FLAGS) (CHANGEDSINCE lowest
 * label) with CONDSTORE, which answers only the changed ones, else plain
 * UID FETCH (FLAGS).
 *
 * Thread-safety: the table is split into shards by a hash of the folder
 * key, one mutex each; a request copies what it needs into its arena
 * under the lock and never holds it over network I/O. Memory: at most
 * imap_row_share_set_limit() bytes in all ([limits] imap_row_cache_mb),
 * each shard a share of it; the least recently used folder of a shard
 * goes first, and a folder keeps at most RC_FOLDER_MAX_ROWS rows (the
 * least recently used row goes).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

#define RC_SHARDS 16
#define RC_FOLDER_MAX_ROWS 4096
#define RC_DEFAULT_LIMIT ((size_t)64 << 20)

struct rc_row {
	struct imap_msg_row row; /* thread fields unused */
	bool has_preview;
	uint64_t flags_modseq; /* row.flags known at this HIGHESTMODSEQ */
	uint64_t tick;         /* last use */
	size_t bytes;
};

struct rc_folder {
	struct rc_folder *next;
	char *key; /* server, user, folder (see folder_key) */
	uint32_t uidvalidity;
	struct rc_row *e; /* sorted by UID */
	size_t n, cap;
	size_t bytes;
	uint64_t tick;
};

struct rc_shard {
	pthread_mutex_t mu;
	struct rc_folder *head;
	size_t bytes;
	uint64_t tick;
};

static struct rc_shard shards[RC_SHARDS];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;
static _Atomic size_t rc_limit = RC_DEFAULT_LIMIT;
static _Atomic uint64_t rc_hits, rc_misses, rc_evictions;

static void
shards_init(void)
{
	size_t i;

	for (i = 0; i < RC_SHARDS; i++)
		pthread_mutex_init(&shards[i].mu, NULL);
}

/* ---- rows ------------------------------------------------------------ */

static char *
xdup_or_empty(const char *s)
{
	return pt_xstrdup(s != NULL ? s : "");
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 1;
}

/* The label keywords of a row, copied to the heap (NULL when none). */
static const char **
keywords_dup(const char *const *kw, size_t n, size_t *bytes_r)
{
	const char **v;
	size_t i;

	*bytes_r = 0;
	if (n == 0 || kw == NULL)
		return NULL;
	v = pt_xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i] = xdup_or_empty(kw[i]);
		*bytes_r += sizeof(*v) + slen(kw[i]);
	}
	return v;
}

static void
keywords_free(struct imap_msg_row *r)
{
	size_t i;

	for (i = 0; i < r->n_keywords; i++)
		free((char *)(uintptr_t)r->keywords[i]);
	free((void *)(uintptr_t)r->keywords);
	r->keywords = NULL;
	r->n_keywords = 0;
}

static void
row_free(struct rc_row *e)
{
	size_t i;

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
	keywords_free(&e->row);
	memset(e, 0, sizeof(*e));
}

/* Fill e (empty) from r; the preview only when with_preview. */
static void
row_fill(struct rc_row *e, const struct imap_msg_row *r, bool with_preview,
         const char *keep_preview)
{
	size_t k, b = sizeof(*e);

	e->row.uid = r->uid;
	e->row.subject = xdup_or_empty(r->subject);
	e->row.from.name = xdup_or_empty(r->from.name);
	e->row.from.email = xdup_or_empty(r->from.email);
	e->row.message_id = xdup_or_empty(r->message_id);
	e->row.preview =
	        xdup_or_empty(with_preview ? r->preview : keep_preview);
	e->has_preview = with_preview || keep_preview != NULL;
	e->row.date = r->date;
	e->row.received = r->received;
	e->row.size = r->size;
	e->row.flags = r->flags;
	e->row.keywords = keywords_dup(r->keywords, r->n_keywords, &k);
	e->row.n_keywords = e->row.keywords != NULL ? r->n_keywords : 0;
	b += k;
	e->row.has_attachments = r->has_attachments;
	b += slen(r->subject) + slen(r->from.name) + slen(r->from.email) +
	     slen(r->message_id) + slen(e->row.preview);
	if (r->n_to > 0 && r->to != NULL) {
		e->row.to = pt_xcalloc(r->n_to, sizeof(*e->row.to));
		for (k = 0; k < r->n_to; k++) {
			e->row.to[k].name = xdup_or_empty(r->to[k].name);
			e->row.to[k].email = xdup_or_empty(r->to[k].email);
			b += sizeof(*e->row.to) + slen(r->to[k].name) +
			     slen(r->to[k].email);
		}
		e->row.n_to = r->n_to;
	}
	e->bytes = b;
}

/* Copy a cached row's content into the request's row (strings into a). */
static int
row_copy_out(const struct rc_row *e, struct imap_msg_row *row, struct arena *a)
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
	row->flags = e->row.flags;
	row->keywords = NULL;
	row->n_keywords = 0;
	if (e->row.n_keywords > 0) {
		row->keywords =
		        arena_new_array(a, const char *, e->row.n_keywords);
		if (row->keywords == NULL)
			return -1;
		for (k = 0; k < e->row.n_keywords; k++)
			if ((row->keywords[k] = arena_strdup(
			             a, e->row.keywords[k])) == NULL)
				return -1;
		row->n_keywords = e->row.n_keywords;
	}
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

/* ---- folders (shard lock held) ---------------------------------------- */

static void
folder_free(struct rc_shard *sh, struct rc_folder *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		row_free(&f->e[i]);
	sh->bytes -= f->bytes;
	free(f->e);
	free(f->key);
	free(f);
}

static void
folder_unlink(struct rc_shard *sh, struct rc_folder *f)
{
	struct rc_folder **pp;

	for (pp = &sh->head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			return;
		}
	}
}

static void
folder_empty(struct rc_shard *sh, struct rc_folder *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		row_free(&f->e[i]);
	sh->bytes -= f->bytes - sizeof(*f);
	f->bytes = sizeof(*f);
	f->n = 0;
}

static struct rc_folder *
folder_find(struct rc_shard *sh, const char *key)
{
	struct rc_folder *f;

	for (f = sh->head; f != NULL; f = f->next)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

/* Index of uid in f->e, or where it would go (*found_r false). */
static size_t
row_pos(const struct rc_folder *f, uint32_t uid, bool *found_r)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->e[mid].row.uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found_r = lo < f->n && f->e[lo].row.uid == uid;
	return lo;
}

static void
row_remove_at(struct rc_shard *sh, struct rc_folder *f, size_t i)
{
	sh->bytes -= f->e[i].bytes;
	f->bytes -= f->e[i].bytes;
	row_free(&f->e[i]);
	memmove(&f->e[i], &f->e[i + 1], (f->n - i - 1) * sizeof(*f->e));
	f->n--;
}

/* Evict least recently used folders (never keep), then rows of keep. */
static void
shard_trim(struct rc_shard *sh, struct rc_folder *keep, size_t budget)
{
	while (sh->bytes > budget) {
		struct rc_folder *f, *lru = NULL;

		for (f = sh->head; f != NULL; f = f->next)
			if (f != keep && (lru == NULL || f->tick < lru->tick))
				lru = f;
		if (lru == NULL)
			break;
		folder_unlink(sh, lru);
		folder_free(sh, lru);
		atomic_fetch_add(&rc_evictions, 1);
	}
	while (sh->bytes > budget && keep != NULL && keep->n > 0) {
		size_t i, old = 0;

		for (i = 1; i < keep->n; i++)
			if (keep->e[i].tick < keep->e[old].tick)
				old = i;
		row_remove_at(sh, keep, old);
		atomic_fetch_add(&rc_evictions, 1);
	}
}

/* ---- keys ------------------------------------------------------------ */

/* The folder key of c's selection, or NULL when there is none to use. */
static const char *
folder_key(const struct imap_conn *c, struct arena *a)
{
	if (c->selected_raw == NULL || c->user == NULL || c->host == NULL ||
	    c->sel.uidvalidity == 0 || atomic_load(&rc_limit) == 0)
		return NULL;
	/* Length-prefixed fields: no value can pass for another. */
	return arena_printf(a, "%zu:%s%u;%zu:%s%zu:%s", strlen(c->host),
	                    c->host, (unsigned)c->target.port, strlen(c->user),
	                    c->user, strlen(c->selected_raw), c->selected_raw);
}

static struct rc_shard *
shard_of(const char *key)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	const unsigned char *p;

	pthread_once(&shards_once, shards_init);
	for (p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return &shards[h % RC_SHARDS];
}

/*
 * HIGHESTMODSEQ of c's view when it covers every flag change the server
 * told it about, else 0 (no CONDSTORE, or a STORE through c whose
 * MODSEQ was not reported: modseq_unsure).
 */
uint64_t
imapc_view_modseq(const struct imap_conn *c)
{
	if (!(imapc_caps(c) & IMAP_CAP_CONDSTORE) || c->modseq_unsure ||
	    c->sel_stale)
		return 0;
	return c->sel.highestmodseq;
}

/* ---- public ----------------------------------------------------------- */

void
imap_row_share_set_limit(size_t bytes)
{
	atomic_store(&rc_limit, bytes);
	if (bytes == 0)
		imap_row_share_clear();
}

void
imap_row_share_clear(void)
{
	size_t i;

	pthread_once(&shards_once, shards_init);
	for (i = 0; i < RC_SHARDS; i++) {
		struct rc_shard *sh = &shards[i];

		pthread_mutex_lock(&sh->mu);
		while (sh->head != NULL) {
			struct rc_folder *f = sh->head;

			sh->head = f->next;
			folder_free(sh, f);
		}
		pthread_mutex_unlock(&sh->mu);
	}
}

void
imap_row_share_get_stats(struct imap_row_share_stats *st_r)
{
	size_t i;

	memset(st_r, 0, sizeof(*st_r));
	pthread_once(&shards_once, shards_init);
	for (i = 0; i < RC_SHARDS; i++) {
		struct rc_shard *sh = &shards[i];
		struct rc_folder *f;

		pthread_mutex_lock(&sh->mu);
		st_r->bytes += sh->bytes;
		for (f = sh->head; f != NULL; f = f->next) {
			st_r->folders++;
			st_r->rows += f->n;
		}
		pthread_mutex_unlock(&sh->mu);
	}
	st_r->limit = atomic_load(&rc_limit);
	st_r->hits = atomic_load(&rc_hits);
	st_r->misses = atomic_load(&rc_misses);
	st_r->evictions = atomic_load(&rc_evictions);
}

void
imapc_row_cache_store(struct imap_conn *c, const struct imap_msg_row *rows,
                      size_t n, const bool *got, bool with_preview,
                      uint64_t flags_modseq, struct arena *a)
{
	const char *key = folder_key(c, a);
	size_t limit = atomic_load(&rc_limit), budget, i;
	struct rc_shard *sh;
	struct rc_folder *f;

	if (key == NULL || n == 0)
		return;
	budget = limit / RC_SHARDS;
	sh = shard_of(key);
	pthread_mutex_lock(&sh->mu);
	f = folder_find(sh, key);
	if (f == NULL) {
		f = pt_xcalloc(1, sizeof(*f));
		f->key = pt_xstrdup(key);
		f->uidvalidity = c->sel.uidvalidity;
		f->bytes = sizeof(*f);
		sh->bytes += f->bytes;
		f->next = sh->head;
		sh->head = f;
	} else if (f->uidvalidity != c->sel.uidvalidity) {
		/* Every UID means another message now. */
		folder_empty(sh, f);
		f->uidvalidity = c->sel.uidvalidity;
	}
	f->tick = ++sh->tick;
	for (i = 0; i < n; i++) {
		const struct imap_msg_row *r = &rows[i];
		char *keep = NULL;
		struct rc_row *e;
		bool found;
		size_t pos;

		if (r->uid == 0 || !got[i])
			continue; /* not in the FETCH answer: expunged? */
		pos = row_pos(f, r->uid, &found);
		if (found) {
			e = &f->e[pos];
			/* A page without previews keeps the one we have. */
			if (!with_preview && e->has_preview)
				keep = pt_xstrdup(e->row.preview);
			sh->bytes -= e->bytes;
			f->bytes -= e->bytes;
			row_free(e);
		} else {
			if (f->n == RC_FOLDER_MAX_ROWS) {
				size_t k, old = 0;

				for (k = 1; k < f->n; k++)
					if (f->e[k].tick < f->e[old].tick)
						old = k;
				row_remove_at(sh, f, old);
				atomic_fetch_add(&rc_evictions, 1);
				pos = row_pos(f, r->uid, &found);
			}
			if (f->n == f->cap) {
				f->cap = f->cap ? f->cap * 2 : 64;
				if (f->cap > RC_FOLDER_MAX_ROWS)
					f->cap = RC_FOLDER_MAX_ROWS;
				f->e = pt_xrealloc(f->e,
				                   f->cap * sizeof(*f->e));
			}
			memmove(&f->e[pos + 1], &f->e[pos],
			        (f->n - pos) * sizeof(*f->e));
			f->n++;
			e = &f->e[pos];
			memset(e, 0, sizeof(*e));
		}
		row_fill(e, r, with_preview, keep);
		free(keep);
		e->flags_modseq = flags_modseq;
		e->tick = ++sh->tick;
		sh->bytes += e->bytes;
		f->bytes += e->bytes;
	}
	shard_trim(sh, f, budget);
	if (f->n == 0 && sh->bytes > budget) {
		folder_unlink(sh, f);
		folder_free(sh, f);
	}
	pthread_mutex_unlock(&sh->mu);
}

/* New flags (and their label) of the rows taken from the table (have). */
static void
row_cache_update_flags(struct imap_conn *c, const struct imap_msg_row *rows,
                       size_t n, const bool *have, uint64_t flags_modseq,
                       struct arena *a)
{
	const char *key = folder_key(c, a);
	struct rc_shard *sh;
	struct rc_folder *f;
	size_t i;

	if (key == NULL)
		return;
	sh = shard_of(key);
	pthread_mutex_lock(&sh->mu);
	f = folder_find(sh, key);
	if (f != NULL && f->uidvalidity == c->sel.uidvalidity) {
		for (i = 0; i < n; i++) {
			bool found;
			size_t pos;

			if (!have[i])
				continue;
			pos = row_pos(f, rows[i].uid, &found);
			if (found) {
				struct rc_row *e = &f->e[pos];
				size_t kb;

				e->row.flags = rows[i].flags;
				keywords_free(&e->row);
				e->row.keywords =
				        keywords_dup(rows[i].keywords,
				                     rows[i].n_keywords, &kb);
				e->row.n_keywords = e->row.keywords != NULL
				                            ? rows[i].n_keywords
				                            : 0;
				e->flags_modseq = flags_modseq;
			}
		}
	}
	pthread_mutex_unlock(&sh->mu);
}

/*
 * Copy the page's rows that the table has (with a preview when wanted)
 * out of it, have[i] set for each; returns how many.
 */
static size_t
rows_copy_cached(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
                 bool want_preview, bool *have, struct arena *a,
                 uint64_t *min_label_r, uint64_t *max_label_r, bool *oom_r)
{
	const char *key = folder_key(c, a);
	struct rc_shard *sh;
	struct rc_folder *f;
	size_t i, k = 0;

	*oom_r = false;
	if (key == NULL)
		return 0;
	sh = shard_of(key);
	pthread_mutex_lock(&sh->mu);
	f = folder_find(sh, key);
	if (f == NULL || f->uidvalidity != c->sel.uidvalidity) {
		pthread_mutex_unlock(&sh->mu);
		return 0;
	}
	for (i = 0; i < n; i++) {
		bool found;
		size_t pos = row_pos(f, rows[i].uid, &found);
		struct rc_row *e;

		if (!found || (want_preview && !f->e[pos].has_preview))
			continue;
		e = &f->e[pos];
		if (row_copy_out(e, &rows[i], a) != 0) {
			*oom_r = true;
			break;
		}
		have[i] = true;
		e->tick = ++sh->tick;
		if (k == 0 || e->flags_modseq < *min_label_r)
			*min_label_r = e->flags_modseq;
		if (k == 0 || e->flags_modseq > *max_label_r)
			*max_label_r = e->flags_modseq;
		k++;
	}
	if (k > 0)
		f->tick = ++sh->tick;
	pthread_mutex_unlock(&sh->mu);
	return k;
}

/*
 * The page's rows the table has (have[i]), then their flags: from the
 * table when their labels match the view (no command at all), else with
 * one UID FETCH (FLAGS) of those rows, CHANGEDSINCE the lowest label when
 * CONDSTORE allows. New mail at the top of a page thus costs a FETCH of
 * the new rows only, not of the whole page. Returns how many rows are not
 * in the table (untouched), or -1.
 */
int
imapc_rows_from_cache(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
                      bool want_preview, struct imapc_rowidx *idx, bool *have,
                      struct arena *a, struct perr *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	uint64_t view = imapc_view_modseq(c), lo = 0, hi = 0;
	clist *res = NULL;
	clistiter *it, *it2;
	uint32_t *uids;
	bool oom, changedsince;
	size_t i, k, nh;
	int r;

	nh = rows_copy_cached(c, rows, n, want_preview, have, a, &lo, &hi,
	                      &oom);
	if (oom)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	if (nh < n) {
		atomic_fetch_add(&rc_misses, 1);
		if (nh == 0)
			return (int)n;
	} else {
		atomic_fetch_add(&rc_hits, 1);
		c->stats.row_cache_hits++;
	}
	if (view != 0 && lo == view && hi == view) {
		/* Every flag change the server told us of is in. */
		c->stats.flag_skips++;
		return (int)(n - nh);
	}
	uids = arena_new_array(a, uint32_t, nh);
	if (uids == NULL)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	for (i = k = 0; i < n; i++)
		if (have[i])
			uids[k++] = rows[i].uid;
	changedsince = view != 0 && lo != 0;
	if (!changedsince) {
		for (i = 0; i < n; i++) {
			if (!have[i])
				continue;
			/* An expunged one stays without. */
			rows[i].flags = 0;
			rows[i].keywords = NULL;
			rows[i].n_keywords = 0;
		}
	}
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_flags());
	set = imapc_uid_set(uids, nh);
	c->stats.flag_fetches++;
	if (changedsince) {
		res = NULL;
		r = mailimap_uid_fetch_changedsince(c->imap, set, ft, lo, &res);
		mailimap_set_free(set);
		mailimap_fetch_type_free(ft);
		if (r != MAILIMAP_NO_ERROR)
			return imapc_fail(c, r, a, PERR_REMOTE, "UID FETCH",
			                  err);
		imapc_note_updates(c, true);
		imapc_defer_fetch_list(a, res);
	} else if (imapc_uid_fetch(c, set, ft, a, true, &res, err) != 0) {
		return -1;
	}
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
		if (row != NULL && dyn != NULL && have[row - rows]) {
			row->flags = imapc_flags_of(dyn);
			(void)imapc_keywords_of(dyn, a, &row->keywords,
			                        &row->n_keywords);
		}
	}
	/* The flags are now at least as new as the view before the FETCH. */
	row_cache_update_flags(c, rows, n, have, view, a);
	return (int)(n - nh);
}
