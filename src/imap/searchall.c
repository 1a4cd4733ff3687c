/*
 * Search across folders: which folders, the per-folder search (the list's
 * own sorted-UID path: SORT where offered, the shared UID cache), the
 * lazy merge by date, and the parallel run on pooled connections.
 *
 * Why a lazy merge: each folder's list is already newest first, so the
 * first k merged messages are among the first k of every folder. A page
 * needs the dates of at most offset + limit messages per folder, fetched
 * in prefixes as the merge reaches them, not one envelope per match.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "imap_text.h"
#include "core/banned.h"

/* Dates fetched at least this many at a time (one UID FETCH). */
#define SA_DATE_CHUNK 50
/*
 * A folder's work arena (c's scratch arena is reset by imap_select). The
 * sorted UIDs of a 100 000-message folder take 400 KB; the client-side
 * sort's keys several MB.
 */
#define SA_ARENA_LIMIT (256u * 1024 * 1024)

/* ---- scope words ------------------------------------------------------- */

static bool
scope_word(struct strv w, unsigned *in)
{
	static const struct {
		const char *word;
		unsigned bits;
	} words[] = {
	        {"in:trash", IMAP_SA_IN_TRASH}, {"in:junk", IMAP_SA_IN_JUNK},
	        {"in:spam", IMAP_SA_IN_JUNK},   {"in:anywhere", IMAP_SA_IN_ALL},
	        {"in:all", IMAP_SA_IN_ALL},
	};
	size_t i;

	for (i = 0; i < PT_NELEM(words); i++) {
		if (strv_eq_ci_ascii(w, strv_from_cstr(words[i].word))) {
			*in |= words[i].bits;
			return true;
		}
	}
	return false;
}

int
imap_sa_scope(struct strv query, struct arena *a, const char **rest_r,
              unsigned *in_r, struct perr *err)
{
	struct sbuf b;
	size_t i = 0;

	*in_r = 0;
	*rest_r = "";
	if (query.len > IMAP_SEARCH_MAX_LEN)
		return perr_set(err, a, PERR_INPUT, "search text too long");
	sbuf_init(&b, a, query.len + 1, IMAP_SEARCH_MAX_LEN + 1);
	while (i < query.len) {
		size_t s = i;
		bool quoted = false;

		/* A word runs to a space outside quotes (as the parser's). */
		while (i < query.len && (quoted || query.p[i] != ' ')) {
			if (query.p[i] == '\\' && quoted && i + 1 < query.len)
				i++;
			else if (query.p[i] == '"')
				quoted = !quoted;
			i++;
		}
		if (i > s &&
		    !scope_word((struct strv){query.p + s, i - s}, in_r)) {
			if (b.len > 0)
				sbuf_append_char(&b, ' ');
			sbuf_append(&b, query.p + s, i - s);
		}
		while (i < query.len && query.p[i] == ' ')
			i++;
	}
	if (!sbuf_ok(&b))
		return perr_set(err, a, PERR_LIMIT, "search text too long");
	*rest_r = sbuf_cstr(&b);
	return 0;
}

size_t
imap_sa_pick_folders(const struct imap_folder *f, size_t n, unsigned in,
                     struct arena *a, const char ***paths_r)
{
	const char **out = arena_new_array(a, const char *, n + 1);
	size_t i, k = 0;

	*paths_r = out;
	if (out == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (f[i].flags &
		    (IMAP_FOLDER_NOSELECT | IMAP_FOLDER_NONEXISTENT))
			continue;
		if (f[i].special == IMAP_SPECIAL_TRASH &&
		    !(in & IMAP_SA_IN_TRASH))
			continue;
		if (f[i].special == IMAP_SPECIAL_JUNK &&
		    !(in & IMAP_SA_IN_JUNK))
			continue;
		/* INBOX is always there, subscribed or not. */
		if (!f[i].subscribed && f[i].special != IMAP_SPECIAL_INBOX)
			continue;
		out[k++] = f[i].path;
	}
	return k;
}

/* ---- state ------------------------------------------------------------- */

struct imap_sa *
imap_sa_create(const char *const *paths, size_t n, const char *search,
               uint32_t cap)
{
	struct imap_sa *s = pt_xcalloc(1, sizeof(*s));
	size_t i;

	s->search = pt_xstrdup(search != NULL ? search : "");
	s->cap = cap > 0 ? cap : IMAP_SA_CAP_DEFAULT;
	s->folders = pt_xcalloc(n + 1, sizeof(*s->folders));
	s->n_folders = n;
	for (i = 0; i < n; i++) {
		s->folders[i].path = pt_xstrdup(paths[i]);
		if (i >= IMAP_SA_MAX_FOLDERS) {
			s->folders[i].state = IMAP_SA_SKIPPED;
			s->folders[i].error = pt_xstrdup("too many folders");
		}
	}
	return s;
}

void
imap_sa_destroy(struct imap_sa **sp)
{
	struct imap_sa *s;
	size_t i;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	*sp = NULL;
	for (i = 0; i < s->n_folders; i++) {
		free(s->folders[i].path);
		free(s->folders[i].error);
		free(s->folders[i].uids);
		free(s->folders[i].dates);
	}
	free(s->folders);
	free(s->merged);
	free(s->search);
	free(s);
}

static void
folder_fail(struct imap_sa_folder *f, const struct perr *err)
{
	f->state = IMAP_SA_FAILED;
	f->error_kind = err->kind;
	free(f->error);
	f->error = pt_xstrdup(err->msg != NULL ? err->msg : "failed");
}

/* ---- dates ------------------------------------------------------------- */

/* ENVELOPE's Date, else INTERNALDATE: RFC 5256's DATE, as SORT uses. */
static void
date_of(const struct mailimap_msg_att *ma, uint32_t *uid_r, int64_t *date_r)
{
	clistiter *it;
	int64_t sent = 0, internal = 0;

	*uid_r = 0;
	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID)
			*uid_r = st->att_data.att_uid;
		else if (st->att_type == MAILIMAP_MSG_ATT_INTERNALDATE)
			internal = imapc_date_time_unix(
			        st->att_data.att_internal_date);
		else if (st->att_type == MAILIMAP_MSG_ATT_ENVELOPE &&
		         st->att_data.att_env != NULL)
			sent = imapt_parse_date(st->att_data.att_env->env_date);
	}
	*date_r = sent != 0 ? sent : internal;
}

/* Dates of uids[from .. from+n) (selected folder); gone ones removed. */
static int
fetch_dates(struct imap_conn *c, struct imap_sa_folder *f, size_t n,
            struct arena *a, struct perr *err)
{
	size_t from = f->n_dates, i, k;
	struct mailimap_fetch_type *ft;
	struct imapc_rowidx *idx;
	int64_t *got;
	bool *seen;
	clist *res = NULL;
	clistiter *it;

	if (from + n > f->n)
		n = f->n - from;
	if (n == 0)
		return 0;
	idx = arena_new_array(a, struct imapc_rowidx, n);
	got = arena_new_array(a, int64_t, n);
	seen = arena_new_array(a, bool, n);
	if (idx == NULL || got == NULL || seen == NULL)
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	for (i = 0; i < n; i++) {
		idx[i].uid = f->uids[from + i];
		idx[i].pos = i;
	}
	qsort(idx, n, sizeof(*idx), imapc_cmp_rowidx);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_internaldate());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_envelope());
	c->stats.fetches++;
	if (imapc_uid_fetch(c, imapc_uid_set(f->uids + from, n), ft, a, true,
	                    &res, err) != 0)
		return -1;
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct imapc_rowidx key, *hit;
		uint32_t uid;
		int64_t d;

		date_of(clist_content(it), &uid, &d);
		key.uid = uid;
		key.pos = 0;
		hit = bsearch(&key, idx, n, sizeof(*idx), imapc_cmp_rowidx);
		if (uid == 0 || hit == NULL)
			continue;
		got[hit->pos] = d;
		seen[hit->pos] = true;
	}
	/* Expunged meanwhile: out of the list, so the merge never waits on
	 * a message that cannot be shown. */
	for (i = 0, k = from; i < n; i++) {
		if (!seen[i])
			continue;
		f->uids[k] = f->uids[from + i];
		f->dates[k] = got[i];
		k++;
	}
	if (k < from + n) {
		memmove(f->uids + k, f->uids + from + n,
		        (f->n - from - n) * sizeof(*f->uids));
		f->n -= from + n - k;
	}
	f->n_dates = k;
	return 0;
}

int
imap_sa_fetch_dates(struct imap_conn *c, struct imap_sa *s, size_t i, size_t n,
                    struct perr *err)
{
	struct imap_sa_folder *f = &s->folders[i];
	struct imap_mailbox_status st;
	struct arena *a = arena_create("searchall", 16384, SA_ARENA_LIMIT);
	int r = 0;

	if (n < SA_DATE_CHUNK)
		n = SA_DATE_CHUNK;
	if (imap_select(c, f->path, true, &st, err) != 0 ||
	    fetch_dates(c, f, n, a, err) != 0) {
		folder_fail(f, err);
		/* What was merged stays; the rest of it is dropped. */
		f->n = f->pos;
		f->n_dates = f->pos;
		err->msg = f->error; /* a goes away below; s keeps this */
		r = -1;
	}
	arena_destroy(&a);
	return r;
}

/* ---- ESORT: search and sort in one command ---------------------------- */

/* key, a space, and v as a non-synchronizing literal. */
static void
key_lit(struct sbuf *b, const char *key, const char *v)
{
	sbuf_printf(b, "%s {%zu+}\r\n%s", key, strlen(v), v);
}

/*
 * One term, meaning what search.c's term_key() builds for libetpan: free
 * text is From, To, Cc or Subject; to: is To or Cc; has:attachment the
 * same header test; dates are the sent date.
 */
static void
term_keys(const struct imap_search_term *t, struct sbuf *b)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
	                                     "May", "Jun", "Jul", "Aug",
	                                     "Sep", "Oct", "Nov", "Dec"};
	const char *v = t->value != NULL ? t->value : "";

	if (t->negate)
		sbuf_append_cstr(b, "NOT ");
	switch (t->kind) {
	case IMAP_SEARCH_TEXT:
		sbuf_append_cstr(b, "(OR (OR ");
		key_lit(b, "FROM", v);
		sbuf_append_cstr(b, " (OR ");
		key_lit(b, "TO", v);
		sbuf_append_char(b, ' ');
		key_lit(b, "CC", v);
		sbuf_append_cstr(b, ")) ");
		key_lit(b, "SUBJECT", v);
		sbuf_append_char(b, ')');
		break;
	case IMAP_SEARCH_BODY:
		key_lit(b, "TEXT", v);
		break;
	case IMAP_SEARCH_FROM:
		key_lit(b, "FROM", v);
		break;
	case IMAP_SEARCH_TO:
		sbuf_append_cstr(b, "(OR ");
		key_lit(b, "TO", v);
		sbuf_append_char(b, ' ');
		key_lit(b, "CC", v);
		sbuf_append_char(b, ')');
		break;
	case IMAP_SEARCH_SUBJECT:
		key_lit(b, "SUBJECT", v);
		break;
	case IMAP_SEARCH_HAS_ATTACHMENT:
		sbuf_append_cstr(b, "(OR HEADER Content-Type multipart/mixed "
		                    "(OR HEADER Content-Type application/ "
		                    "HEADER Content-Disposition attachment))");
		break;
	case IMAP_SEARCH_UNSEEN:
		sbuf_append_cstr(b, "UNSEEN");
		break;
	case IMAP_SEARCH_SEEN:
		sbuf_append_cstr(b, "SEEN");
		break;
	case IMAP_SEARCH_FLAGGED:
		sbuf_append_cstr(b, "FLAGGED");
		break;
	case IMAP_SEARCH_UNFLAGGED:
		sbuf_append_cstr(b, "UNFLAGGED");
		break;
	case IMAP_SEARCH_ANSWERED:
		sbuf_append_cstr(b, "ANSWERED");
		break;
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_SINCE:
		sbuf_printf(
		        b, "%s %d-%s-%04d",
		        t->kind == IMAP_SEARCH_BEFORE ? "SENTBEFORE"
		                                      : "SENTSINCE",
		        t->day,
		        months[t->month >= 1 && t->month <= 12 ? t->month - 1
		                                               : 0],
		        t->year);
		break;
	case IMAP_SEARCH_KEYWORD:
		/* An atom already (imap_keyword_check in the parser). */
		sbuf_printf(b, "KEYWORD %s", v);
		break;
	}
}

void
imap_sa_search_keys(const struct imap_search *s, struct sbuf *out)
{
	size_t i;

	if (s == NULL || s->n == 0) {
		sbuf_append_cstr(out, "ALL");
		return;
	}
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			sbuf_append_char(out, ' ');
		term_keys(&s->terms[i], out);
	}
}

/*
 * UID SORT RETURN (COUNT ALL) (REVERSE DATE) UTF-8 <keys>: the search, the
 * count and the order in one round trip, the UIDs as compact ranges
 * (RFC 5267 with RFC 4731's return options). The folder is selected.
 */
static int
esort_folder(struct imap_conn *c, const struct imap_sa *s, struct arena *a,
             uint32_t **uids_r, size_t *n_r, uint32_t *count_r,
             struct perr *err)
{
	struct imap_search parsed;
	struct sbuf cmd;
	struct strv *lines;
	size_t nl;

	*uids_r = NULL;
	*n_r = 0;
	*count_r = 0;
	if (imap_search_parse(strv_from_cstr(s->search), a, &parsed, err) != 0)
		return -1;
	sbuf_init(&cmd, a, 256, 64 * 1024);
	sbuf_append_cstr(&cmd, "UID SORT RETURN (COUNT ALL) (REVERSE DATE) "
	                       "UTF-8 ");
	imap_sa_search_keys(&parsed, &cmd);
	if (!sbuf_ok(&cmd))
		return perr_set(err, a, PERR_LIMIT, "search too long");
	c->stats.searches++;
	c->stats.sorts++;
	if (imapc_raw_command(c, sbuf_cstr(&cmd), a, &lines, &nl, err) != 0)
		return -1;
	return imapc_esearch_find(lines, nl, s->cap, a, uids_r, n_r, count_r,
	                          err);
}

static bool
can_esort(const struct imap_conn *c)
{
	unsigned need = IMAP_CAP_ESORT | IMAP_CAP_SORT | IMAP_CAP_ESEARCH |
	                IMAP_CAP_LITERAL_PLUS;

	return (imapc_caps(c) & need) == need;
}

/* ---- one folder -------------------------------------------------------- */

int
imap_sa_search_folder(struct imap_conn *c, struct imap_sa *s, size_t i,
                      size_t want_dates)
{
	struct imap_sa_folder *f = &s->folders[i];
	struct imap_list_query q = {0};
	struct imap_mailbox_status st;
	struct arena *a = arena_create("searchall", 16384, SA_ARENA_LIMIT);
	struct perr err = {0};
	uint32_t *uids = NULL, count = 0;
	size_t n = 0;
	bool done = false;
	int r = 0;

	if (can_esort(c)) {
		if (imap_select(c, f->path, true, &st, &err) != 0) {
			err.msg = arena_strdup(a, err.msg ? err.msg : "");
			goto fail;
		}
		if (esort_folder(c, s, a, &uids, &n, &count, &err) == 0)
			done = true;
		else if (imap_conn_is_broken(c) || err.kind != PERR_REMOTE)
			goto fail;
		/* Refused after all (BAD): the two-step way below. */
	}
	if (!done) {
		q.sort = IMAP_SORT_DATE;
		q.reverse = true;
		q.search = s->search;
		if (imap_sorted_uids(c, f->path, &q, a, &uids, &n, &err) != 0)
			goto fail;
		count = (uint32_t)n;
	}
	f->count = count;
	f->n = n < s->cap ? n : s->cap;
	f->uids = pt_xmalloc((f->n + 1) * sizeof(*f->uids));
	f->dates = pt_xcalloc(f->n + 1, sizeof(*f->dates));
	if (f->n > 0)
		memcpy(f->uids, uids, f->n * sizeof(*uids));
	f->state = IMAP_SA_DONE;
	if (want_dates > 0 && fetch_dates(c, f, want_dates, a, &err) != 0) {
		folder_fail(f, &err);
		f->n = f->n_dates = 0;
		r = imap_conn_is_broken(c) ? -1 : 0;
	}
	arena_destroy(&a);
	return r;
fail:
	folder_fail(f, &err);
	r = imap_conn_is_broken(c) ? -1 : 0;
	arena_destroy(&a);
	return r;
}

/* ---- merge ------------------------------------------------------------- */

static void
merged_push(struct imap_sa *s, uint32_t folder, uint32_t uid, int64_t date)
{
	if (s->n_merged == s->merged_alloc) {
		s->merged_alloc = s->merged_alloc ? 2 * s->merged_alloc : 64;
		s->merged = pt_xrealloc(s->merged,
		                        s->merged_alloc * sizeof(*s->merged));
	}
	s->merged[s->n_merged].folder = folder;
	s->merged[s->n_merged].uid = uid;
	s->merged[s->n_merged].date = date;
	s->n_merged++;
}

long
imap_sa_merge(struct imap_sa *s, size_t upto)
{
	if (upto > s->cap)
		upto = s->cap;
	while (s->n_merged < upto) {
		size_t i, best = SIZE_MAX;

		for (i = 0; i < s->n_folders; i++) {
			struct imap_sa_folder *f = &s->folders[i];

			if (f->pos >= f->n)
				continue;
			if (f->pos >= f->n_dates)
				return (long)i; /* its next date is needed */
			/* Newest first; a tie keeps the lower folder. */
			if (best == SIZE_MAX ||
			    f->dates[f->pos] >
			            s->folders[best]
			                    .dates[s->folders[best].pos])
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		merged_push(s, (uint32_t)best,
		            s->folders[best].uids[s->folders[best].pos],
		            s->folders[best].dates[s->folders[best].pos]);
		s->folders[best].pos++;
	}
	return -1;
}

/* ---- a page ------------------------------------------------------------ */

int
imap_sa_page(struct imap_conn *c, struct imap_sa *s, size_t offset,
             size_t limit, struct arena *a, struct imap_sa_row **rows_r,
             size_t *n_r, struct perr *err)
{
	struct imap_sa_row *out;
	struct imap_msg_row *rows;
	size_t end, i, j, n = 0, k, guard = 0;
	long need;

	*rows_r = NULL;
	*n_r = 0;
	if (limit > IMAP_LIST_MAX_LIMIT)
		limit = IMAP_LIST_MAX_LIMIT;
	end = offset + limit;
	while ((need = imap_sa_merge(s, end)) >= 0) {
		struct perr ferr = {0};

		/* Each round adds dates or drops the folder's rest. */
		if (++guard > 4 * s->n_folders + end)
			return perr_set(err, a, PERR_INTERNAL, "merge stuck");
		if (imap_sa_fetch_dates(c, s, (size_t)need, end - s->n_merged,
		                        &ferr) != 0 &&
		    imap_conn_is_broken(c))
			return perr_set(err, a, PERR_TEMPFAIL, "%s",
			                ferr.msg ? ferr.msg : "IMAP failed");
	}
	if (offset >= s->n_merged)
		return 0;
	if (end > s->n_merged)
		end = s->n_merged;
	out = arena_new_array(a, struct imap_sa_row, end - offset);
	rows = arena_new_array(a, struct imap_msg_row, end - offset);
	if (out == NULL || rows == NULL)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	/* One select and one fetch per folder of the page. */
	for (i = 0; i < s->n_folders; i++) {
		struct imap_mailbox_status st;
		size_t m = 0;

		for (j = offset; j < end; j++) {
			if (s->merged[j].folder == i) {
				memset(&rows[m], 0, sizeof(rows[m]));
				rows[m++].uid = s->merged[j].uid;
			}
		}
		if (m == 0)
			continue;
		if (imap_select(c, s->folders[i].path, true, &st, err) != 0 ||
		    imapc_fetch_rows(c, rows, m, true, a, err) != 0) {
			if (err->msg != NULL)
				err->msg = arena_strdup(a, err->msg);
			if (imap_conn_is_broken(c))
				return -1;
			/* Gone meanwhile: reported, its rows left out. */
			folder_fail(&s->folders[i], err);
			continue;
		}
		k = 0;
		for (j = offset; j < end; j++) {
			if (s->merged[j].folder != i)
				continue;
			/* A message expunged since has no size. */
			if (rows[k].size != 0 || rows[k].date != 0) {
				out[n].folder = (uint32_t)i;
				out[n].row = rows[k];
				out[n].row.date = rows[k].date != 0
				                          ? rows[k].date
				                          : s->merged[j].date;
				n++;
			}
			k++;
		}
	}
	/* Back into merged order (folders were fetched one after another). */
	for (i = 1; i < n; i++) {
		struct imap_sa_row t = out[i];

		for (j = i; j > 0 && (out[j - 1].row.date < t.row.date ||
		                      (out[j - 1].row.date == t.row.date &&
		                       out[j - 1].folder > t.folder));
		     j--)
			out[j] = out[j - 1];
		out[j] = t;
	}
	*rows_r = out;
	*n_r = n;
	return 0;
}

/* ---- the parallel run -------------------------------------------------- */

struct sa_run {
	struct imap_sa *s;
	const struct imap_sa_run_opts *o;
	pthread_mutex_t mu;
	size_t next;
	bool cancelled;
	unsigned connections;
};

/* The next folder to search, or SIZE_MAX. */
static size_t
take_folder(struct sa_run *r)
{
	size_t i = SIZE_MAX;

	pthread_mutex_lock(&r->mu);
	if (!r->cancelled && r->o->cancelled != NULL &&
	    r->o->cancelled(r->o->cancel_arg))
		r->cancelled = true;
	while (!r->cancelled && r->next < r->s->n_folders) {
		if (r->s->folders[r->next].state == IMAP_SA_PENDING) {
			i = r->next++;
			break;
		}
		r->next++;
	}
	pthread_mutex_unlock(&r->mu);
	return i;
}

static void
work(struct sa_run *r, struct imap_conn *c)
{
	size_t i;

	while ((i = take_folder(r)) != SIZE_MAX) {
		if (imap_sa_search_folder(c, r->s, i, r->o->want_dates) != 0)
			return; /* c broke; the others go on */
	}
}

static void *
extra_worker(void *arg)
{
	struct sa_run *r = arg;
	struct imap_conn *c = NULL;
	struct perr err = {0};
	struct arena *a = arena_create("searchall", 4096, 1024 * 1024);

	if (imap_pool_try_checkout(r->o->pool, r->o->session_key, r->o->cred,
	                           r->o->cred_ctx, a, &c, &err) == 0) {
		pthread_mutex_lock(&r->mu);
		r->connections++;
		pthread_mutex_unlock(&r->mu);
		work(r, c);
		imap_pool_checkin(r->o->pool, &c);
	}
	arena_destroy(&a);
	return NULL;
}

void
imap_sa_run(struct imap_conn *c, struct imap_sa *s,
            const struct imap_sa_run_opts *o, struct imap_sa_run_stats *st_r)
{
	struct sa_run r;
	pthread_t th[8];
	size_t pending = 0, i, nth = 0;

	memset(&r, 0, sizeof(r));
	memset(th, 0, sizeof(th));
	r.s = s;
	r.o = o;
	r.connections = 1;
	pthread_mutex_init(&r.mu, NULL);
	for (i = 0; i < s->n_folders; i++)
		pending += s->folders[i].state == IMAP_SA_PENDING;
	/* One folder per connection at most; c takes one itself. */
	if (o->pool != NULL && o->session_key != NULL && o->cred != NULL) {
		while (nth < o->max_extra && nth < PT_NELEM(th) &&
		       nth + 1 < pending) {
			if (pthread_create(&th[nth], NULL, extra_worker, &r) !=
			    0)
				break;
			nth++;
		}
	}
	work(&r, c);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	/* Folders nobody could take (cancelled, every connection broke). */
	for (i = 0; i < s->n_folders; i++) {
		if (s->folders[i].state != IMAP_SA_PENDING)
			continue;
		s->folders[i].state =
		        r.cancelled ? IMAP_SA_SKIPPED : IMAP_SA_FAILED;
		s->folders[i].error_kind = PERR_TEMPFAIL;
		s->folders[i].error = pt_xstrdup(
		        r.cancelled ? "cancelled" : "connection lost");
	}
	pthread_mutex_destroy(&r.mu);
	if (st_r != NULL) {
		st_r->connections = r.connections;
		st_r->cancelled = r.cancelled;
	}
}
