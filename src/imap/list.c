/*
 * The message list: search, sort (server or client side), threads,
 * page rows and previews.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "imap_text.h"
#include "sanitize/sanitize.h"
#include "core/banned.h"

#define PREVIEW_FETCH_BYTES 2048

bool
imap_sort_parse(struct strv s, enum imap_sort *sort_r, bool *reverse_r)
{
	static const struct {
		const char *name;
		enum imap_sort sort;
	} names[] = {
	        {"date", IMAP_SORT_DATE}, {"arrival", IMAP_SORT_ARRIVAL},
	        {"from", IMAP_SORT_FROM}, {"subject", IMAP_SORT_SUBJECT},
	        {"size", IMAP_SORT_SIZE},
	};
	size_t i;

	*reverse_r = false;
	if (s.len > 0 && s.p[0] == '-') {
		*reverse_r = true;
		s.p++;
		s.len--;
	}
	for (i = 0; i < PT_NELEM(names); i++) {
		if (strv_eq_ci_ascii(s, strv_from_cstr(names[i].name))) {
			*sort_r = names[i].sort;
			return true;
		}
	}
	return false;
}

static void
free_search_result(void *p)
{
	mailimap_search_result_free(p);
}

/* clist of uint32_t * -> arena array. */
static int
uids_from_clist(clist *l, struct arena *a, uint32_t **uids_r, size_t *n_r,
                struct perr *err)
{
	uint32_t *u;
	size_t n = 0;
	clistiter *it;

	u = arena_new_array(a, uint32_t, (size_t)clist_count(l) + 1);
	if (u == NULL)
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	for (it = clist_begin(l); it != NULL; it = clist_next(it))
		u[n++] = *(uint32_t *)clist_content(it);
	*uids_r = u;
	*n_r = n;
	return 0;
}

/* ---- search ------------------------------------------------------------ */

/*
 * The UIDs matching q->search (in UID order), or *all_r = true without a
 * search (then *uids_r is unset: every message matches).
 */
static int
run_search(struct imap_conn *c, const struct imap_list_query *q,
           struct arena *a, uint32_t **uids_r, size_t *n_r, bool *all_r,
           struct perr *err)
{
	struct imap_search s;
	struct mailimap_search_key *key;
	clist *res = NULL;
	const char *charset;
	int r;

	*all_r = false;
	*uids_r = NULL;
	*n_r = 0;
	if (q->search == NULL || *q->search == '\0') {
		*all_r = true;
		return 0;
	}
	if (imap_search_parse(strv_from_cstr(q->search), a, &s, err) != 0)
		return -1;
	if (s.n == 0) {
		*all_r = true;
		return 0;
	}
	key = imapc_search_key(&s);
	charset = imapc_search_is_ascii(&s) ? NULL : "UTF-8";
	/*
	 * With LITERAL+ libetpan sends every string as a literal: nothing in
	 * the text is ever parsed as command syntax. Otherwise it sends
	 * quoted strings with '"' and '\' escaped.
	 */
	c->stats.searches++;
	if (imapc_caps(c) & IMAP_CAP_LITERAL_PLUS)
		r = mailimap_uid_search_literalplus(c->imap, charset, key,
		                                    &res);
	else
		r = mailimap_uid_search(c->imap, charset, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "UID SEARCH", err);
	imapc_note_updates(c, false);
	arena_defer(a, free_search_result, res);
	return uids_from_clist(res, a, uids_r, n_r, err);
}

/* ---- client-side sort -------------------------------------------------- */

struct skey {
	uint32_t uid;
	uint32_t size;
	int64_t t;
	const char *s;
	/* qsort has no context argument: each key carries the order. */
	enum imap_sort kind;
	bool reverse;
};

static int
cmp_skey_fwd(const struct skey *a, const struct skey *b)
{
	int r = 0;

	switch (a->kind) {
	case IMAP_SORT_DATE:
	case IMAP_SORT_ARRIVAL:
		r = a->t < b->t ? -1 : a->t > b->t;
		break;
	case IMAP_SORT_SIZE:
		r = a->size < b->size ? -1 : a->size > b->size;
		break;
	case IMAP_SORT_FROM:
	case IMAP_SORT_SUBJECT:
		r = strcmp(a->s, b->s);
		break;
	}
	return r;
}

static int
cmp_skey(const void *x, const void *y)
{
	const struct skey *a = x, *b = y;
	int r = cmp_skey_fwd(a, b);

	if (r != 0)
		return a->reverse ? -r : r;
	/* RFC 5256: REVERSE applies to the key; ties stay in sequence
	 * (= UID) order either way, as Dovecot does. */
	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static int64_t
date_time_unix(const struct mailimap_date_time *d)
{
	if (d == NULL)
		return 0;
	return imapt_unix_time(d->dt_year, d->dt_month, d->dt_day, d->dt_hour,
	                       d->dt_min, d->dt_sec, d->dt_zone);
}

/*
 * Fetch the sort key of every message (of uids, or 1:* when all) and sort
 * with RFC 5256's definitions. qsort is not stable, but the UID tie-break
 * makes the order total.
 */
static int
client_sort(struct imap_conn *c, const struct imap_list_query *q,
            const uint32_t *uids, size_t n, bool all, struct arena *a,
            uint32_t **out_r, size_t *nout_r, struct perr *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *it, *it2;
	struct skey *keys;
	size_t nk = 0, i;
	uint32_t *out;

	*out_r = NULL;
	*nout_r = 0;
	if (!all && n == 0)
		return 0;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	switch (q->sort) {
	case IMAP_SORT_SIZE:
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_rfc822_size());
		break;
	case IMAP_SORT_ARRIVAL:
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_internaldate());
		break;
	default:
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_internaldate());
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_envelope());
		break;
	}
	set = all ? mailimap_set_new_interval(1, 0) : imapc_uid_set(uids, n);
	c->stats.sorts++;
	if (imapc_uid_fetch(c, set, ft, a, true, &res, err) != 0)
		return -1;
	keys = arena_new_array(a, struct skey, (size_t)clist_count(res) + 1);
	if (keys == NULL)
		return perr_set(err, a, PERR_LIMIT, "folder too large");
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		struct skey *k = &keys[nk];
		int64_t sent = 0;

		memset(k, 0, sizeof(*k));
		k->s = "";
		k->kind = q->sort;
		k->reverse = q->reverse;
		for (it2 = clist_begin(ma->att_list); it2 != NULL;
		     it2 = clist_next(it2)) {
			struct mailimap_msg_att_item *item = clist_content(it2);
			struct mailimap_msg_att_static *st;
			struct mailimap_envelope *env;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			st = item->att_data.att_static;
			switch (st->att_type) {
			case MAILIMAP_MSG_ATT_UID:
				k->uid = st->att_data.att_uid;
				break;
			case MAILIMAP_MSG_ATT_RFC822_SIZE:
				k->size = st->att_data.att_rfc822_size;
				break;
			case MAILIMAP_MSG_ATT_INTERNALDATE:
				k->t = date_time_unix(
				        st->att_data.att_internal_date);
				break;
			case MAILIMAP_MSG_ATT_ENVELOPE:
				env = st->att_data.att_env;
				if (env == NULL)
					break;
				sent = imapt_parse_date(env->env_date);
				if (q->sort == IMAP_SORT_SUBJECT) {
					const char *d = imap_decode_header(
					        strv_from_cstr(
					                env->env_subject
					                        ? env->env_subject
					                        : ""),
					        a);

					k->s = imap_base_subject(d, a);
				} else if (q->sort == IMAP_SORT_FROM &&
				           env->env_from != NULL &&
				           clist_begin(
				                   env->env_from->frm_list)) {
					struct mailimap_address *ad =
					        clist_content(clist_begin(
					                env->env_from
					                        ->frm_list));

					k->s = imapt_collate_key(
					        ad->ad_mailbox_name
					                ? ad->ad_mailbox_name
					                : "",
					        a);
				}
				break;
			default:
				break;
			}
		}
		/* RFC 5256 DATE: the sent date, else INTERNALDATE. */
		if (q->sort == IMAP_SORT_DATE && sent != 0)
			k->t = sent;
		if (k->uid != 0)
			nk++;
	}
	qsort(keys, nk, sizeof(*keys), cmp_skey);
	out = arena_new_array(a, uint32_t, nk + 1);
	if (out == NULL)
		return perr_set(err, a, PERR_LIMIT, "folder too large");
	for (i = 0; i < nk; i++)
		out[i] = keys[i].uid;
	*out_r = out;
	*nout_r = nk;
	return 0;
}

/* "ALL" or "UID 1:3,7" (only digits: safe in a raw command). */
static void
append_criteria(struct sbuf *cmd, const uint32_t *uids, size_t n, bool all)
{
	struct mailimap_set *set;
	clistiter *it;
	bool first = true;

	if (all) {
		sbuf_append_cstr(cmd, "ALL");
		return;
	}
	set = imapc_uid_set(uids, n);
	sbuf_append_cstr(cmd, "UID ");
	for (it = clist_begin(set->set_list); it != NULL; it = clist_next(it)) {
		struct mailimap_set_item *si = clist_content(it);

		sbuf_printf(cmd, first ? "%u" : ",%u", si->set_first);
		if (si->set_last != si->set_first)
			sbuf_printf(cmd, ":%u", si->set_last);
		first = false;
	}
	mailimap_set_free(set);
}

/*
 * UID SORT through the raw reader: libetpan's mailimap_uid_sort leaks its
 * response when the answer is empty, and parsing 10 000 numbers into a
 * clist is slower than this.
 */
static int
server_sort(struct imap_conn *c, const struct imap_list_query *q,
            const uint32_t *uids, size_t n, bool all, struct arena *a,
            uint32_t **out_r, size_t *nout_r, struct perr *err)
{
	static const char *const keys[] = {
	        [IMAP_SORT_DATE] = "DATE", [IMAP_SORT_ARRIVAL] = "ARRIVAL",
	        [IMAP_SORT_FROM] = "FROM", [IMAP_SORT_SUBJECT] = "SUBJECT",
	        [IMAP_SORT_SIZE] = "SIZE",
	};
	struct sbuf cmd;
	struct strv *lines;
	size_t nl, i, cap = 0, cnt = 0;
	uint32_t *out = NULL;

	*out_r = NULL;
	*nout_r = 0;
	if (!all && n == 0)
		return 0;
	sbuf_init(&cmd, a, 256, 4 * 1024 * 1024);
	sbuf_printf(&cmd, "UID SORT (%s%s) UTF-8 ",
	            q->reverse ? "REVERSE " : "", keys[q->sort]);
	append_criteria(&cmd, uids, n, all);
	if (!sbuf_ok(&cmd))
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	c->stats.sorts++;
	if (imapc_raw_command(c, sbuf_cstr(&cmd), a, &lines, &nl, err) != 0)
		return -1;
	for (i = 0; i < nl; i++) {
		const char *p, *end;

		if (lines[i].len < 4 || strncmp(lines[i].p, "SORT", 4) != 0)
			continue;
		/* count first: one allocation */
		for (p = lines[i].p + 4, end = lines[i].p + lines[i].len;
		     p < end; p++)
			cap += *p == ' ';
		out = arena_new_array(a, uint32_t, cap + 1);
		if (out == NULL)
			return perr_set(err, a, PERR_LIMIT, "folder too large");
		p = lines[i].p + 4;
		while (p < end) {
			const char *s;
			uint64_t v;

			while (p < end && *p == ' ')
				p++;
			s = p;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
			if (p == s)
				break;
			if (!pt_parse_u64((struct strv){s, (size_t)(p - s)},
			                  UINT32_MAX, &v) ||
			    cnt >= cap)
				return perr_set(err, a, PERR_REMOTE,
				                "bad SORT answer");
			out[cnt++] = (uint32_t)v;
		}
		break;
	}
	*out_r = out;
	*nout_r = cnt;
	return 0;
}

static int
sorted_uids_uncached(struct imap_conn *c, const struct imap_list_query *q,
                     struct arena *a, uint32_t **uids_r, size_t *n_r,
                     bool *server_r, struct perr *err)
{
	uint32_t *found;
	size_t nfound;
	bool all;

	*server_r = false;
	if (run_search(c, q, a, &found, &nfound, &all, err) != 0)
		return -1;
	if ((imapc_caps(c) & IMAP_CAP_SORT) && !q->client_sort) {
		*server_r = true;
		return server_sort(c, q, found, nfound, all, a, uids_r, n_r,
		                   err);
	}
	return client_sort(c, q, found, nfound, all, a, uids_r, n_r, err);
}

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

static int
sorted_uids(struct imap_conn *c, const struct imap_list_query *q,
            struct arena *a, uint32_t **uids_r, size_t *n_r, bool *server_r,
            struct perr *err)
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
	if (sorted_uids_uncached(c, q, a, uids_r, n_r, server_r, err) != 0) {
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
	return sorted_uids(c, q, a, uids_r, n_r, &server, err);
}

/* ---- threads ----------------------------------------------------------- */

struct tnode {
	uint32_t uid;
	uint32_t parent;
	unsigned depth;
};

struct tparse {
	const char *p, *end;
	struct tnode *nodes;
	size_t n, cap;
	struct arena *a;
	unsigned level;
};

static int
tpush(struct tparse *t, uint32_t uid, uint32_t parent, unsigned depth)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct tnode *nn = arena_new_array(t->a, struct tnode, nc);

		if (nn == NULL)
			return -1;
		if (t->n > 0)
			memcpy(nn, t->nodes, t->n * sizeof(*nn));
		t->nodes = nn;
		t->cap = nc;
	}
	t->nodes[t->n].uid = uid;
	t->nodes[t->n].parent = parent;
	t->nodes[t->n].depth = depth;
	t->n++;
	return 0;
}

/* thread-list after its "(": members then nested lists, until ")". */
static int
tparse_list(struct tparse *t, uint32_t parent, unsigned depth)
{
	if (++t->level > 200)
		return -1; /* hostile nesting */
	while (t->p < t->end && *t->p != ')') {
		if (*t->p == ' ') {
			t->p++;
		} else if (*t->p == '(') {
			t->p++;
			if (tparse_list(t, parent, depth) != 0)
				return -1;
			if (t->p >= t->end || *t->p != ')')
				return -1;
			t->p++;
		} else if (*t->p >= '0' && *t->p <= '9') {
			uint64_t v;
			const char *s = t->p;

			while (t->p < t->end && *t->p >= '0' && *t->p <= '9')
				t->p++;
			if (!pt_parse_u64((struct strv){s, (size_t)(t->p - s)},
			                  UINT32_MAX, &v))
				return -1;
			if (tpush(t, (uint32_t)v, parent, depth) != 0)
				return -1;
			parent = (uint32_t)v;
			depth++;
		} else {
			return -1;
		}
	}
	t->level--;
	return 0;
}

struct threads {
	struct tnode *nodes;
	size_t n;
	size_t *start; /* start[i]: first node of thread i; start[nt] = n */
	size_t nt;
};

static int
run_thread(struct imap_conn *c, const uint32_t *uids, size_t n, bool all,
           struct arena *a, struct threads *th, struct perr *err)
{
	struct sbuf cmd;
	struct strv *lines;
	size_t nl, i;
	struct tparse t;

	memset(th, 0, sizeof(*th));
	memset(&t, 0, sizeof(t));
	t.a = a;
	if (!all && n == 0)
		return 0;
	sbuf_init(&cmd, a, 256, 4 * 1024 * 1024);
	sbuf_append_cstr(&cmd, "UID THREAD REFERENCES UTF-8 ");
	append_criteria(&cmd, uids, n, all);
	if (!sbuf_ok(&cmd))
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	c->stats.threads++;
	if (imapc_raw_command(c, sbuf_cstr(&cmd), a, &lines, &nl, err) != 0)
		return -1;
	for (i = 0; i < nl; i++) {
		size_t nstart = 0, scap = 64;

		if (lines[i].len < 6 || strncmp(lines[i].p, "THREAD", 6) != 0)
			continue;
		t.p = lines[i].p + 6;
		t.end = lines[i].p + lines[i].len;
		th->start = arena_new_array(a, size_t, scap);
		if (th->start == NULL)
			return perr_set(err, a, PERR_LIMIT, "too many threads");
		while (t.p < t.end) {
			if (*t.p == ' ') {
				t.p++;
				continue;
			}
			if (*t.p != '(')
				return perr_set(err, a, PERR_REMOTE,
				                "bad THREAD answer");
			if (nstart + 2 >= scap) {
				size_t *ns =
				        arena_new_array(a, size_t, scap * 2);

				if (ns == NULL)
					return perr_set(err, a, PERR_LIMIT,
					                "too many threads");
				memcpy(ns, th->start, nstart * sizeof(*ns));
				th->start = ns;
				scap *= 2;
			}
			th->start[nstart++] = t.n;
			t.p++;
			t.level = 0;
			if (tparse_list(&t, 0, 0) != 0 || t.p >= t.end)
				return perr_set(err, a, PERR_REMOTE,
				                "bad THREAD answer");
			t.p++;
		}
		th->start[nstart] = t.n;
		th->nt = nstart;
		break;
	}
	th->nodes = t.nodes;
	th->n = t.n;
	return 0;
}

/* ---- rows -------------------------------------------------------------- */

struct prevreq {
	char section[64];
	int enc;
	const char *charset;
	bool html;
};

static void
address_of(const struct mailimap_address *ad, struct arena *a,
           struct imap_address *out)
{
	out->name = ad->ad_personal_name != NULL
	                    ? imap_decode_header(
	                              strv_from_cstr(ad->ad_personal_name), a)
	                    : "";
	if (ad->ad_mailbox_name != NULL && ad->ad_host_name != NULL)
		out->email = imap_decode_header(
		        strv_from_cstr(arena_printf(a, "%s@%s",
		                                    ad->ad_mailbox_name,
		                                    ad->ad_host_name)),
		        a);
	else
		out->email =
		        ad->ad_mailbox_name != NULL
		                ? imap_decode_header(
		                          strv_from_cstr(ad->ad_mailbox_name),
		                          a)
		                : "";
}

static const char *
param_value(const struct mailimap_body_fld_param *p, const char *name)
{
	clistiter *it;

	if (p == NULL)
		return NULL;
	for (it = clist_begin(p->pa_list); it != NULL; it = clist_next(it)) {
		struct mailimap_single_body_fld_param *sp = clist_content(it);

		if (sp->pa_name != NULL &&
		    strv_eq_ci_ascii(strv_from_cstr(sp->pa_name),
		                     strv_from_cstr(name)))
			return sp->pa_value;
	}
	return NULL;
}

static bool
is_attachment_disp(const struct mailimap_body_ext_1part *ext)
{
	return ext != NULL && ext->bd_disposition != NULL &&
	       ext->bd_disposition->dsp_type != NULL &&
	       strv_eq_ci_ascii(strv_from_cstr(ext->bd_disposition->dsp_type),
	                        STRV_LIT("attachment"));
}

/*
 * Walk a BODYSTRUCTURE: note attachments and the best text part for the
 * preview (the first text/plain not an attachment, else text/html).
 */
static void
walk_body(const struct mailimap_body *b, const char *path, unsigned depth,
          bool *attach, struct prevreq *plain, struct prevreq *html)
{
	clistiter *it;
	unsigned i = 1;

	if (b == NULL || depth > 20)
		return;
	if (b->bd_type == MAILIMAP_BODY_MPART) {
		for (it = clist_begin(b->bd_data.bd_body_mpart->bd_list);
		     it != NULL; it = clist_next(it), i++) {
			char sub[64];

			if (!pt_snprintf_ok(sub, sizeof(sub), "%s%s%u", path,
			                    *path ? "." : "", i))
				return;
			walk_body(clist_content(it), sub, depth + 1, attach,
			          plain, html);
		}
		return;
	}
	{
		const struct mailimap_body_type_1part *p =
		        b->bd_data.bd_body_1part;
		const char *sec = *path ? path : "1";

		if (p == NULL)
			return;
		if (is_attachment_disp(p->bd_ext_1part)) {
			*attach = true;
			return;
		}
		if (p->bd_type == MAILIMAP_BODY_TYPE_1PART_TEXT &&
		    p->bd_data.bd_type_text != NULL) {
			const struct mailimap_body_type_text *tx =
			        p->bd_data.bd_type_text;
			bool is_html =
			        tx->bd_media_text != NULL &&
			        strv_eq_ci_ascii(
			                strv_from_cstr(tx->bd_media_text),
			                STRV_LIT("html"));
			bool is_plain =
			        tx->bd_media_text != NULL &&
			        strv_eq_ci_ascii(
			                strv_from_cstr(tx->bd_media_text),
			                STRV_LIT("plain"));
			struct prevreq *dst = is_plain  ? plain
			                      : is_html ? html
			                                : NULL;

			if (dst != NULL && dst->section[0] == '\0' &&
			    pt_strlcpy(dst->section, sec,
			               sizeof(dst->section))) {
				dst->enc = tx->bd_fields->bd_encoding != NULL
				                   ? tx->bd_fields->bd_encoding
				                             ->enc_type
				                   : MAILIMAP_BODY_FLD_ENC_7BIT;
				dst->charset = param_value(
				        tx->bd_fields->bd_parameter, "charset");
				dst->html = is_html;
			}
			return;
		}
		/* a non-text leaf (image, application, message/rfc822) */
		*attach = true;
	}
}

static const char *
decode_preview(const struct prevreq *pr, const char *data, size_t len,
               struct arena *a)
{
	char *dec = NULL;
	size_t dlen = 0, idx = 0;
	struct strv text = {data, len};
	const char *out;
	int mech = MAILMIME_MECHANISM_8BIT;

	if (pr->enc == MAILIMAP_BODY_FLD_ENC_BASE64)
		mech = MAILMIME_MECHANISM_BASE64;
	else if (pr->enc == MAILIMAP_BODY_FLD_ENC_QUOTED_PRINTABLE)
		mech = MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	if (mech != MAILMIME_MECHANISM_8BIT &&
	    mailmime_part_parse(data, len, &idx, mech, &dec, &dlen) ==
	            MAILIMF_NO_ERROR) {
		text.p = arena_strndup(a, dec, dlen);
		text.len = dlen;
		mailmime_decoded_part_free(dec);
		if (text.p == NULL)
			return "";
	}
	if (pr->charset != NULL &&
	    !strv_eq_ci_ascii(strv_from_cstr(pr->charset), STRV_LIT("utf-8")) &&
	    !strv_eq_ci_ascii(strv_from_cstr(pr->charset),
	                      STRV_LIT("us-ascii"))) {
		struct sbuf cb;

		/* One cached iconv handle per thread, not one per preview. */
		sbuf_init(&cb, a, text.len + 16, 4 * PREVIEW_FETCH_BYTES + 16);
		if (mime_header_text_to_utf8(strv_from_cstr(pr->charset), text,
		                             &cb) &&
		    sbuf_ok(&cb))
			text = sbuf_view(&cb);
	}
	if (pr->html)
		text = sanitize_preview_text(text, a);
	/* Cut first (cheap), then clean invalid UTF-8 via the decoder. */
	out = imap_make_preview(text, IMAP_PREVIEW_MAX, a);
	return imap_decode_header(strv_from_cstr(out), a);
}

struct rowidx {
	uint32_t uid;
	size_t pos;
};

static int
cmp_rowidx(const void *x, const void *y)
{
	const struct rowidx *a = x, *b = y;

	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static struct imap_msg_row *
find_row(struct rowidx *idx, size_t n, struct imap_msg_row *rows, uint32_t uid)
{
	struct rowidx key = {uid, 0}, *f;

	f = bsearch(&key, idx, n, sizeof(*idx), cmp_rowidx);
	return f != NULL ? &rows[f->pos] : NULL;
}

unsigned
imapc_flags_of(const struct mailimap_msg_att_dynamic *dyn)
{
	unsigned f = 0;
	clistiter *it;

	/* "FLAGS ()" parses to a NULL list, not an empty one. */
	if (dyn == NULL || dyn->att_list == NULL)
		return 0;
	for (it = clist_begin(dyn->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_flag_fetch *ff = clist_content(it);
		struct mailimap_flag *fl;

		if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
		    ff->fl_flag == NULL)
			continue;
		fl = ff->fl_flag;
		switch (fl->fl_type) {
		case MAILIMAP_FLAG_SEEN:
			f |= IMAP_MSG_SEEN;
			break;
		case MAILIMAP_FLAG_FLAGGED:
			f |= IMAP_MSG_FLAGGED;
			break;
		case MAILIMAP_FLAG_ANSWERED:
			f |= IMAP_MSG_ANSWERED;
			break;
		case MAILIMAP_FLAG_DRAFT:
			f |= IMAP_MSG_DRAFT;
			break;
		case MAILIMAP_FLAG_DELETED:
			f |= IMAP_MSG_DELETED;
			break;
		case MAILIMAP_FLAG_KEYWORD:
			if (fl->fl_data.fl_keyword == NULL)
				break;
			if (strv_eq_ci_ascii(
			            strv_from_cstr(fl->fl_data.fl_keyword),
			            STRV_LIT("$Forwarded")))
				f |= IMAP_MSG_FORWARDED;
			else if (strv_eq_ci_ascii(
			                 strv_from_cstr(fl->fl_data.fl_keyword),
			                 STRV_LIT("$Junk")))
				f |= IMAP_MSG_JUNK;
			break;
		default:
			break;
		}
	}
	return f;
}

static void
fill_envelope(struct imap_msg_row *row, const struct mailimap_envelope *env,
              struct arena *a)
{
	clistiter *it;
	size_t n = 0;

	row->subject = imap_decode_header(
	        strv_from_cstr(env->env_subject ? env->env_subject : ""), a);
	row->message_id =
	        env->env_message_id ? arena_strdup(a, env->env_message_id) : "";
	if (row->message_id == NULL)
		row->message_id = "";
	row->date = imapt_parse_date(env->env_date);
	if (env->env_from != NULL && clist_begin(env->env_from->frm_list))
		address_of(clist_content(clist_begin(env->env_from->frm_list)),
		           a, &row->from);
	if (env->env_to != NULL && env->env_to->to_list != NULL) {
		size_t cnt = (size_t)clist_count(env->env_to->to_list);

		if (cnt > 50)
			cnt = 50; /* a row shows a few; the viewer has all */
		row->to = arena_new_array(a, struct imap_address, cnt + 1);
		for (it = clist_begin(env->env_to->to_list);
		     it != NULL && row->to != NULL && n < cnt;
		     it = clist_next(it))
			address_of(clist_content(it), a, &row->to[n++]);
		row->n_to = row->to != NULL ? n : 0;
	}
}

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

static void
row_cache_store(struct imap_conn *c, const struct imap_msg_row *rows, size_t n,
                const bool *got, bool with_preview)
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
static int
rows_from_cache(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
                bool want_preview, struct rowidx *idx, struct arena *a,
                struct perr *err)
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
		row = uid != 0 ? find_row(idx, n, rows, uid) : NULL;
		if (row != NULL && dyn != NULL)
			row->flags = imapc_flags_of(dyn);
	}
	return 0;
}

static int
fetch_rows(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
           bool want_preview, struct arena *a, struct perr *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	struct rowidx *idx;
	struct prevreq *prs;
	uint32_t *uids;
	bool *got;
	clist *res = NULL;
	clistiter *it, *it2;
	size_t i;
	int r;

	if (n == 0)
		return 0;
	idx = arena_new_array(a, struct rowidx, n);
	uids = arena_new_array(a, uint32_t, n);
	prs = arena_new_array(a, struct prevreq, n);
	got = arena_new_array(a, bool, n);
	if (idx == NULL || uids == NULL || prs == NULL || got == NULL)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	for (i = 0; i < n; i++) {
		idx[i].uid = rows[i].uid;
		idx[i].pos = i;
		uids[i] = rows[i].uid;
		rows[i].subject = "";
		rows[i].from.name = rows[i].from.email = "";
		rows[i].message_id = "";
		rows[i].preview = "";
	}
	qsort(idx, n, sizeof(*idx), cmp_rowidx);
	r = rows_from_cache(c, rows, n, want_preview, idx, a, err);
	if (r <= 0)
		return r;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_envelope());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_internaldate());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_bodystructure());
	set = imapc_uid_set(uids, n);
	c->stats.fetches++;
	if (imapc_uid_fetch(c, set, ft, a, true, &res, err) != 0)
		return -1;
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		struct imap_msg_row *row = NULL;
		uint32_t uid = 0;

		for (it2 = clist_begin(ma->att_list); it2 != NULL;
		     it2 = clist_next(it2)) {
			struct mailimap_msg_att_item *item = clist_content(it2);

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
			    item->att_data.att_static->att_type ==
			            MAILIMAP_MSG_ATT_UID)
				uid = item->att_data.att_static->att_data
				              .att_uid;
		}
		row = uid != 0 ? find_row(idx, n, rows, uid) : NULL;
		if (row == NULL)
			continue; /* unsolicited FETCH (flag change) */
		got[row - rows] = true;
		for (it2 = clist_begin(ma->att_list); it2 != NULL;
		     it2 = clist_next(it2)) {
			struct mailimap_msg_att_item *item = clist_content(it2);
			struct mailimap_msg_att_static *st;

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
				row->flags =
				        imapc_flags_of(item->att_data.att_dyn);
				continue;
			}
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			st = item->att_data.att_static;
			switch (st->att_type) {
			case MAILIMAP_MSG_ATT_ENVELOPE:
				if (st->att_data.att_env != NULL)
					fill_envelope(row, st->att_data.att_env,
					              a);
				break;
			case MAILIMAP_MSG_ATT_INTERNALDATE:
				row->received = date_time_unix(
				        st->att_data.att_internal_date);
				break;
			case MAILIMAP_MSG_ATT_RFC822_SIZE:
				row->size = st->att_data.att_rfc822_size;
				break;
			case MAILIMAP_MSG_ATT_BODYSTRUCTURE: {
				struct prevreq plain, html;

				memset(&plain, 0, sizeof(plain));
				memset(&html, 0, sizeof(html));
				walk_body(st->att_data.att_bodystructure, "", 0,
				          &row->has_attachments, &plain, &html);
				prs[row - rows] =
				        plain.section[0] ? plain : html;
				break;
			}
			default:
				break;
			}
		}
		if (row->date == 0)
			row->date = row->received;
	}
	if (!want_preview) {
		row_cache_store(c, rows, n, got, false);
		return 0;
	}
	/* One UID FETCH per distinct section: usually one or two. */
	for (i = 0; i < n; i++) {
		size_t j, ng = 0;
		uint32_t *gu;
		struct mailimap_section *sec;
		clist *pres = NULL;
		struct mailimap_section_part *sp;
		clist *parts;
		const char *p;

		if (prs[i].section[0] == '\0')
			continue;
		gu = arena_new_array(a, uint32_t, n);
		if (gu == NULL)
			return perr_set(err, a, PERR_LIMIT, "page too large");
		for (j = i; j < n; j++) {
			if (j == i ||
			    (prs[j].section[0] != '\0' &&
			     strcmp(prs[j].section, prs[i].section) == 0))
				gu[ng++] = rows[j].uid;
		}
		parts = clist_new();
		for (p = prs[i].section; *p;) {
			uint32_t *v = pt_xmalloc(sizeof(*v));

			*v = (uint32_t)strtoul(p, (char **)&p, 10);
			clist_append(parts, v);
			if (*p == '.')
				p++;
		}
		sp = mailimap_section_part_new(parts);
		sec = mailimap_section_new_part(sp);
		ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_body_peek_section_partial(
		                    sec, 0, PREVIEW_FETCH_BYTES));
		set = imapc_uid_set(gu, ng);
		c->stats.fetches++;
		if (imapc_uid_fetch(c, set, ft, a, true, &pres, err) != 0)
			return -1;
		for (it = clist_begin(pres); it != NULL; it = clist_next(it)) {
			struct mailimap_msg_att *ma = clist_content(it);
			uint32_t uid = 0;
			const char *body = NULL;
			size_t blen = 0;
			struct imap_msg_row *row;

			for (it2 = clist_begin(ma->att_list); it2 != NULL;
			     it2 = clist_next(it2)) {
				struct mailimap_msg_att_item *item =
				        clist_content(it2);
				struct mailimap_msg_att_static *st;

				if (item->att_type !=
				    MAILIMAP_MSG_ATT_ITEM_STATIC)
					continue;
				st = item->att_data.att_static;
				if (st->att_type == MAILIMAP_MSG_ATT_UID)
					uid = st->att_data.att_uid;
				else if (
				        st->att_type ==
				                MAILIMAP_MSG_ATT_BODY_SECTION &&
				        st->att_data.att_body_section) {
					body = st->att_data.att_body_section
					               ->sec_body_part;
					blen = st->att_data.att_body_section
					               ->sec_length;
				}
			}
			row = uid != 0 ? find_row(idx, n, rows, uid) : NULL;
			if (row == NULL || body == NULL)
				continue;
			row->preview =
			        decode_preview(&prs[row - rows], body, blen, a);
		}
		/* Mark the group done. */
		for (j = i + 1; j < n; j++) {
			if (strcmp(prs[j].section, prs[i].section) == 0)
				prs[j].section[0] = '\0';
		}
		prs[i].section[0] = '\0';
	}
	row_cache_store(c, rows, n, got, true);
	return 0;
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
	if (q->threads && (imapc_caps(c) & IMAP_CAP_THREAD_REFERENCES)) {
		uint32_t *found;
		size_t nfound, first, last, t, k = 0;
		bool all;
		struct threads th;

		if (run_search(c, q, a, &found, &nfound, &all, err) != 0 ||
		    run_thread(c, found, nfound, all, a, &th, err) != 0)
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
		return fetch_rows(c, page_r->rows, n, !q->no_preview, a, err);
	}
	if (sorted_uids(c, q, a, &uids, &n, &page_r->server_sorted, err) != 0)
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
	return fetch_rows(c, page_r->rows, page_r->n, !q->no_preview, a, err);
}
