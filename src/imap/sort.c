/*
 * The message list's order: the sort keys, SEARCH for a query, and the
 * sort itself, by the server (SORT) or here (FETCH of the keys).
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "imap_text.h"
#include "core/banned.h"

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
int
imapc_run_search(struct imap_conn *c, const struct imap_list_query *q,
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

int64_t
imapc_date_time_unix(const struct mailimap_date_time *d)
{
	if (d == NULL)
		return 0;
	return imapt_unix_time(d->dt_year, d->dt_month, d->dt_day, d->dt_hour,
	                       d->dt_min, d->dt_sec, d->dt_zone);
}

/* The sort key of one FETCH answer into *k (k->uid 0: none). */
static void
skey_fill(struct skey *k, const struct mailimap_msg_att *ma,
          const struct imap_list_query *q, struct arena *a)
{
	clistiter *it;
	int64_t sent = 0;

	memset(k, 0, sizeof(*k));
	k->s = "";
	k->kind = q->sort;
	k->reverse = q->reverse;
	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
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
			k->t = imapc_date_time_unix(
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
			           clist_begin(env->env_from->frm_list)) {
				struct mailimap_address *ad = clist_content(
				        clist_begin(env->env_from->frm_list));

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
	clistiter *it;
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
		skey_fill(&keys[nk], clist_content(it), q, a);
		if (keys[nk].uid != 0)
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
void
imapc_append_criteria(struct sbuf *cmd, const uint32_t *uids, size_t n,
                      bool all)
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
            const uint32_t *uids, size_t n, bool all, uint32_t from,
            struct arena *a, uint32_t **out_r, size_t *nout_r, struct perr *err)
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
	if (!all && n == 0 && from == 0)
		return 0;
	sbuf_init(&cmd, a, 256, 4 * 1024 * 1024);
	sbuf_printf(&cmd, "UID SORT (%s%s) UTF-8 ",
	            q->reverse ? "REVERSE " : "", keys[q->sort]);
	if (n > 0 || all)
		imapc_append_criteria(&cmd, uids, n, all);
	if (from != 0)
		sbuf_printf(&cmd, "%s%u:*", n > 0 ? "," : "UID ",
		            (unsigned)from);
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

int
imapc_server_sort_set(struct imap_conn *c, const struct imap_list_query *q,
                      const uint32_t *uids, size_t n, uint32_t from,
                      struct arena *a, uint32_t **out_r, size_t *nout_r,
                      struct perr *err)
{
	return server_sort(c, q, uids, n, false, from, a, out_r, nout_r, err);
}

int
imapc_sorted_uids_uncached(struct imap_conn *c, const struct imap_list_query *q,
                           struct arena *a, uint32_t **uids_r, size_t *n_r,
                           bool *server_r, struct perr *err)
{
	uint32_t *found;
	size_t nfound;
	bool all;

	*server_r = false;
	if (imapc_run_search(c, q, a, &found, &nfound, &all, err) != 0)
		return -1;
	if ((imapc_caps(c) & IMAP_CAP_SORT) && !q->client_sort) {
		*server_r = true;
		return server_sort(c, q, found, nfound, all, 0, a, uids_r, n_r,
		                   err);
	}
	return client_sort(c, q, found, nfound, all, a, uids_r, n_r, err);
}
