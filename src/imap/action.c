/*
 * SELECT and the actions on UID sets: flags, copy, move, delete, expunge,
 * append, section fetch.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

static void
fill_status(struct imap_conn *c, struct imap_mailbox_status *st)
{
	struct mailimap_selection_info *si = c->imap->imap_selection_info;

	if (si != NULL) {
		if (si->sel_uidvalidity != 0)
			c->sel.uidvalidity = si->sel_uidvalidity;
		if (si->sel_uidnext != 0)
			c->sel.uidnext = si->sel_uidnext;
		if (si->sel_has_exists)
			c->sel.exists = si->sel_exists;
	}
	if (st != NULL)
		*st = c->sel;
}

static void
forget_selection(struct imap_conn *c, bool same_folder)
{
	/*
	 * A new SELECT: nothing cached for the old one can be trusted. The
	 * sorted list of the same folder (selected again after a failed
	 * command or for a fresh HIGHESTMODSEQ) is checked again after it
	 * (imapc_uid_cache_reselected).
	 */
	c->mbox_gen++;
	c->flag_gen++;
	if (!same_folder)
		imapc_uid_cache_clear(c);
	free(c->selected);
	free(c->selected_raw);
	c->selected = NULL;
	c->selected_raw = NULL;
	memset(&c->sel, 0, sizeof(c->sel));
	c->modseq_unsure = false;
}

static int
select_in(struct imap_conn *c, const char *folder, bool readonly,
          struct arena *a, struct imap_mailbox_status *st, struct perr *err)
{
	char *raw;
	uint64_t modseq = 0;
	bool remodseq, same;
	int r;

	if (imapc_check_usable(c, a, err) != 0 ||
	    imapc_folder_raw(folder, a, &raw, err) != 0)
		return -1;
	/*
	 * A read after a STORE through c, whose MODSEQ the server did not
	 * report, selects again: the new HIGHESTMODSEQ is what the shared
	 * rows' flags are checked against (cheap: the folder is open in
	 * the server).
	 */
	remodseq = c->modseq_unsure && readonly &&
	           (imapc_caps(c) & IMAP_CAP_CONDSTORE);

	if (c->selected_raw != NULL && strcmp(c->selected_raw, raw) == 0 &&
	    !c->sel_stale && !remodseq) {
		/*
		 * Keep the selection, but NOOP first: the server tells a
		 * session about changes made elsewhere (another pooled
		 * connection of the same user moved or expunged mail, new
		 * mail arrived) only at a command that allows it, and SORT
		 * or SEARCH on a view that has not seen them yet would list
		 * messages that are gone. One round trip instead of SELECT.
		 */
		c->stats.noops++;
		r = mailimap_noop(c->imap);
		if (r != MAILIMAP_NO_ERROR)
			return imapc_fail(c, r, a, PERR_REMOTE, "NOOP", err);
		imapc_note_updates(c, false);
		fill_status(c, st);
		return 0;
	}
	same = c->selected_raw != NULL && strcmp(c->selected_raw, raw) == 0;
	forget_selection(c, same);
	c->stats.selects++;
	/*
	 * Reads SELECT read-write as well, never EXAMINE: nothing Petrel
	 * fetches sets \Seen (every body is BODY.PEEK), and a read-only view
	 * of a Maildir in Dovecot cannot write back what its sync learns, so
	 * after new mail each read-only view rescans the folder (a NOOP took
	 * 190 ms on 100 000 messages, 50 ms read-write); a STORE after a
	 * read then needs no second SELECT either.
	 */
	if (imapc_caps(c) & IMAP_CAP_CONDSTORE)
		r = mailimap_select_condstore(c->imap, raw, &modseq);
	else
		r = mailimap_select(c->imap, raw);
	if (r != MAILIMAP_NO_ERROR) {
		imapc_uid_cache_clear(c);
		return imapc_fail(c, r, a, PERR_NOTFOUND, "SELECT", err);
	}
	c->selected = pt_xstrdup(folder);
	c->selected_raw = pt_xstrdup(raw);
	c->sel_stale = false;
	c->sel.highestmodseq = modseq;
	fill_status(c, st);
	c->sel_mbox_gen = c->mbox_gen;
	c->sel_flag_gen = c->flag_gen;
	if (same)
		imapc_uid_cache_reselected(c);
	return 0;
}

int
imap_select(struct imap_conn *c, const char *folder, bool readonly,
            struct imap_mailbox_status *status_r, struct perr *err)
{
	return select_in(c, folder, readonly, imapc_scratch(c), status_r, err);
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

struct mailimap_set *
imapc_uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set;
	uint32_t *s;
	size_t i, j;

	if (n == 0)
		return NULL;
	s = pt_xmalloc(n * sizeof(*s));
	memcpy(s, uids, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	set = mailimap_set_new_empty();
	for (i = 0; i < n; i = j) {
		for (j = i + 1;
		     j < n && (s[j] == s[j - 1] || s[j] == s[j - 1] + 1); j++)
			;
		if (s[i] != 0)
			mailimap_set_add_interval(set, s[i], s[j - 1]);
	}
	free(s);
	return set;
}

static void
free_fetch_list(void *p)
{
	mailimap_fetch_list_free(p);
}

void
imapc_defer_fetch_list(struct arena *a, clist *res)
{
	if (res != NULL)
		arena_defer(a, free_fetch_list, res);
}

int
imapc_uid_fetch(struct imap_conn *c, struct mailimap_set *set,
                struct mailimap_fetch_type *ft, struct arena *a,
                bool free_with_a, clist **res_r, struct perr *err)
{
	clist *res = NULL;
	int r;

	*res_r = NULL;
	r = mailimap_uid_fetch(c->imap, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "UID FETCH", err);
	imapc_note_updates(c, true);
	if (free_with_a)
		arena_defer(a, free_fetch_list, res);
	*res_r = res;
	return 0;
}

struct mailimap_flag_list *
imapc_flag_list(unsigned flags, const char *const *kw, size_t n_kw)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	size_t i;

	if (flags & IMAP_MSG_SEEN)
		mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	if (flags & IMAP_MSG_FLAGGED)
		mailimap_flag_list_add(fl, mailimap_flag_new_flagged());
	if (flags & IMAP_MSG_ANSWERED)
		mailimap_flag_list_add(fl, mailimap_flag_new_answered());
	if (flags & IMAP_MSG_DRAFT)
		mailimap_flag_list_add(fl, mailimap_flag_new_draft());
	if (flags & IMAP_MSG_DELETED)
		mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	if (flags & IMAP_MSG_FORWARDED)
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(
		                                   pt_xstrdup("$Forwarded")));
	if (flags & IMAP_MSG_JUNK)
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(
		                                   pt_xstrdup("$Junk")));
	if (flags & IMAP_MSG_MDNSENT)
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(
		                                   pt_xstrdup("$MDNSent")));
	for (i = 0; i < n_kw; i++)
		mailimap_flag_list_add(
		        fl, mailimap_flag_new_flag_keyword(pt_xstrdup(kw[i])));
	return fl;
}

/* RFC 3501 flag-keyword = atom; no '\' (system flags are separate). */
static bool
keyword_ok(const char *k)
{
	const unsigned char *p = (const unsigned char *)k;

	if (*p == '\0' || strlen(k) > 128)
		return false;
	for (; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || strchr("(){%*\"\\]", *p))
			return false;
	}
	return true;
}

static int
check_uids(size_t n, struct arena *a, struct perr *err)
{
	if (n > IMAP_UIDS_MAX)
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	return 0;
}

static int
store_flags(struct imap_conn *c, struct mailimap_set *set, enum imap_flag_op op,
            struct mailimap_flag_list *fl, struct arena *a, struct perr *err)
{
	struct mailimap_store_att_flags *sf;
	int r;

	c->modseq_unsure = true;
	sf = op == IMAP_FLAGS_ADD
	             ? mailimap_store_att_flags_new_add_flags_silent(fl)
	             : mailimap_store_att_flags_new_remove_flags_silent(fl);
	r = mailimap_uid_store(c->imap, set, sf);
	mailimap_store_att_flags_free(sf);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "UID STORE", err);
	return 0;
}

int
imap_set_flags(struct imap_conn *c, const char *folder, const uint32_t *uids,
               size_t n, enum imap_flag_op op, unsigned flags,
               const char *const *keywords, size_t n_keywords, struct arena *a,
               struct perr *err)
{
	struct mailimap_set *set;
	size_t i;
	int r;

	for (i = 0; i < n_keywords; i++) {
		if (keywords[i] == NULL || !keyword_ok(keywords[i]))
			return perr_set(err, a, PERR_INPUT,
			                "invalid keyword flag");
	}
	if (check_uids(n, a, err) != 0 ||
	    select_in(c, folder, false, a, NULL, err) != 0)
		return -1;
	if (n == 0 || (flags == 0 && n_keywords == 0))
		return 0;
	/* .SILENT: no FETCH comes back to tell the UID cache. */
	c->flag_gen++;
	set = imapc_uid_set(uids, n);
	r = store_flags(c, set, op,
	                imapc_flag_list(flags, keywords, n_keywords), a, err);
	mailimap_set_free(set);
	return r;
}

int
imap_folder_mark_read(struct imap_conn *c, const char *folder, struct arena *a,
                      struct perr *err)
{
	struct imap_mailbox_status st;
	struct mailimap_set *set;
	int r;

	if (select_in(c, folder, false, a, &st, err) != 0)
		return -1;
	if (st.exists == 0)
		return 0;
	/*
	 * One command for the whole folder, however large: UID STORE 1:*
	 * (every UID) +FLAGS.SILENT (\Seen). Not a page of UIDs from the
	 * browser, so messages that are not listed yet are read too.
	 */
	c->flag_gen++;
	set = mailimap_set_new_interval(1, 0);
	if (set == NULL)
		return perr_set(err, a, PERR_INTERNAL, "out of memory");
	r = store_flags(c, set, IMAP_FLAGS_ADD,
	                imapc_flag_list(IMAP_MSG_SEEN, NULL, 0), a, err);
	mailimap_set_free(set);
	return r;
}

int
imap_copy(struct imap_conn *c, const char *folder, const uint32_t *uids,
          size_t n, const char *to, struct arena *a, struct perr *err)
{
	struct mailimap_set *set;
	char *to_raw;
	int r;

	if (check_uids(n, a, err) != 0 ||
	    imapc_folder_raw(to, a, &to_raw, err) != 0 ||
	    select_in(c, folder, true, a, NULL, err) != 0)
		return -1;
	if (n == 0)
		return 0;
	if (strcmp(c->selected_raw, to_raw) == 0)
		c->mbox_gen++; /* a copy into the folder itself */
	set = imapc_uid_set(uids, n);
	r = mailimap_uid_copy(c->imap, set, to_raw);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "UID COPY", err);
	return 0;
}

/* \Deleted + expunge of exactly these UIDs when UIDPLUS allows it. */
/* EXPUNGE responses the last command brought. */
static size_t
expunges_seen(const struct imap_conn *c)
{
	const struct mailimap_response_info *ri = c->imap->imap_response_info;

	return ri != NULL && ri->rsp_expunged != NULL
	               ? (size_t)clist_count(ri->rsp_expunged)
	               : 0;
}

/*
 * The cached sorted list after uids left the folder through c: kept
 * without them when the command's EXPUNGE responses account for exactly
 * those (see imapc_uid_cache_forget()); other_changes: the server told
 * of something else on the way (an EXPUNGE inside the STORE).
 */
static void
note_removed(struct imap_conn *c, const uint32_t *uids, size_t n,
             uint64_t gen_before, bool other_changes)
{
	if (other_changes || uids == NULL)
		imapc_uid_cache_clear(c);
	else
		imapc_uid_cache_forget(c, uids, n, gen_before,
		                       expunges_seen(c));
}

static int
expunge_uids(struct imap_conn *c, struct mailimap_set *set,
             const uint32_t *uids, size_t n, struct arena *a, struct perr *err)
{
	uint64_t gen = c->mbox_gen;
	bool other, unsure = c->modseq_unsure;
	int r;

	/*
	 * libetpan consumes the EXPUNGE answers of this connection: the
	 * NOOP of the next request will not bring them again.
	 */
	c->mbox_gen++;
	c->flag_gen++;
	if (store_flags(c, set, IMAP_FLAGS_ADD,
	                imapc_flag_list(IMAP_MSG_DELETED, NULL, 0), a,
	                err) != 0)
		return -1;
	other = expunges_seen(c) > 0;
	if (imapc_caps(c) & IMAP_CAP_UIDPLUS) {
		r = mailimap_uid_expunge(c->imap, set);
	} else {
		/* Every \Deleted message goes, not only ours. */
		other = true;
		r = mailimap_expunge(c->imap);
	}
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "EXPUNGE", err);
	/*
	 * The STORE touched only messages that are gone now: the flags
	 * of the rest are still those the HIGHESTMODSEQ we know covers.
	 */
	if (!other)
		c->modseq_unsure = unsure;
	note_removed(c, uids, n, gen, other);
	return 0;
}

int
imap_move(struct imap_conn *c, const char *folder, const uint32_t *uids,
          size_t n, const char *to, struct arena *a, struct perr *err)
{
	struct mailimap_set *set;
	uint64_t gen;
	char *to_raw;
	int r;

	if (check_uids(n, a, err) != 0 ||
	    imapc_folder_raw(to, a, &to_raw, err) != 0 ||
	    select_in(c, folder, false, a, NULL, err) != 0)
		return -1;
	if (n == 0)
		return 0;
	if (strcmp(c->selected_raw, to_raw) == 0)
		return 0;
	gen = c->mbox_gen;
	c->mbox_gen++; /* the messages leave the cached set */
	set = imapc_uid_set(uids, n);
	if (imapc_caps(c) & IMAP_CAP_MOVE) {
		r = mailimap_uid_move(c->imap, set, to_raw);
		if (r != MAILIMAP_NO_ERROR)
			r = imapc_fail(c, r, a, PERR_REMOTE, "UID MOVE", err);
		else
			note_removed(c, uids, n, gen, false);
	} else {
		r = mailimap_uid_copy(c->imap, set, to_raw);
		if (r != MAILIMAP_NO_ERROR)
			r = imapc_fail(c, r, a, PERR_REMOTE, "UID COPY", err);
		else
			r = expunge_uids(c, set, uids, n, a, err);
	}
	mailimap_set_free(set);
	return r;
}

int
imap_delete_messages(struct imap_conn *c, const char *folder,
                     const uint32_t *uids, size_t n, bool permanent,
                     struct arena *a, struct perr *err)
{
	const char *trash = NULL;
	struct mailimap_set *set;
	int r;

	if (check_uids(n, a, err) != 0)
		return -1;
	if (!permanent &&
	    imapc_find_special(c, IMAP_SPECIAL_TRASH, a, &trash, err) != 0)
		return -1;
	if (trash != NULL && strcmp(trash, folder) != 0)
		return imap_move(c, folder, uids, n, trash, a, err);
	if (select_in(c, folder, false, a, NULL, err) != 0)
		return -1;
	if (n == 0)
		return 0;
	set = imapc_uid_set(uids, n);
	r = expunge_uids(c, set, uids, n, a, err);
	mailimap_set_free(set);
	return r;
}

int
imap_expunge(struct imap_conn *c, const char *folder, struct arena *a,
             struct perr *err)
{
	int r;

	if (select_in(c, folder, false, a, NULL, err) != 0)
		return -1;
	c->mbox_gen++;
	r = mailimap_expunge(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "EXPUNGE", err);
	return 0;
}

int
imap_append(struct imap_conn *c, const char *folder, unsigned flags,
            int64_t date, struct strv msg, struct arena *a, uint32_t *uid_r,
            struct perr *err)
{
	struct mailimap_flag_list *fl;
	struct mailimap_date_time *dt = NULL;
	char *raw;
	uint32_t uidvalidity = 0, uid = 0;
	int r;

	if (uid_r != NULL)
		*uid_r = 0;
	if (imapc_check_usable(c, a, err) != 0 ||
	    imapc_folder_raw(folder, a, &raw, err) != 0)
		return -1;
	if (msg.len == 0)
		return perr_set(err, a, PERR_INPUT, "empty message");
	if (date > 0) {
		time_t t = (time_t)date;
		struct tm tm;

		if (gmtime_r(&t, &tm) != NULL)
			dt = mailimap_date_time_new(
			        tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900,
			        tm.tm_hour, tm.tm_min, tm.tm_sec, 0);
	}
	fl = imapc_flag_list(flags, NULL, 0);
	if (imapc_caps(c) & IMAP_CAP_UIDPLUS)
		r = mailimap_uidplus_append(c->imap, raw, fl, dt, msg.p,
		                            msg.len, &uidvalidity, &uid);
	else
		r = mailimap_append(c->imap, raw, fl, dt, msg.p, msg.len);
	mailimap_flag_list_free(fl);
	if (dt != NULL)
		mailimap_date_time_free(dt);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "APPEND", err);
	if (c->selected_raw != NULL && strcmp(c->selected_raw, raw) == 0) {
		c->sel_stale = true;
		c->mbox_gen++;
	}
	if (uid_r != NULL)
		*uid_r = uid;
	return 0;
}

/* "1.2.TEXT", "HEADER", "2.MIME" -> a libetpan section (NULL: invalid). */
static struct mailimap_section *
parse_section(const char *s)
{
	clist *parts = clist_new();
	const char *p = s;
	struct mailimap_section_part *sp;

	while (*p >= '0' && *p <= '9') {
		uint64_t v;
		const char *q = p;
		uint32_t *n;

		while (*q >= '0' && *q <= '9')
			q++;
		if (!pt_parse_u64((struct strv){p, (size_t)(q - p)}, 100000,
		                  &v) ||
		    v == 0)
			goto bad;
		n = pt_xmalloc(sizeof(*n));
		*n = (uint32_t)v;
		clist_append(parts, n);
		p = q;
		if (*p == '.')
			p++;
		else if (*p != '\0')
			goto bad;
	}
	if (clist_count(parts) == 0) {
		clist_free(parts);
		if (strcmp(p, "HEADER") == 0)
			return mailimap_section_new_header();
		if (strcmp(p, "TEXT") == 0)
			return mailimap_section_new_text();
		return NULL;
	}
	sp = mailimap_section_part_new(parts);
	if (*p == '\0')
		return mailimap_section_new_part(sp);
	if (strcmp(p, "MIME") == 0)
		return mailimap_section_new_part_mime(sp);
	if (strcmp(p, "HEADER") == 0)
		return mailimap_section_new_part_header(sp);
	if (strcmp(p, "TEXT") == 0)
		return mailimap_section_new_part_text(sp);
	mailimap_section_part_free(sp);
	return NULL;
bad : {
	clistiter *it;

	for (it = clist_begin(parts); it != NULL; it = clist_next(it))
		free(clist_content(it));
}
	clist_free(parts);
	return NULL;
}

/*
 * One UID FETCH BODY.PEEK[section] (with len > 0: <off.len>) of the
 * selected folder, the bytes into da, errors into a. *found_r says
 * whether the UID answered.
 */
static int
fetch_body(struct imap_conn *c, uint32_t uid, const char *section, uint32_t off,
           uint32_t len, struct arena *da, struct arena *a, struct strv *data_r,
           bool *found_r, struct perr *err)
{
	struct mailimap_section *sec;
	struct mailimap_fetch_type *ft;
	clist *res = NULL;
	clistiter *it, *it2;

	*data_r = STRV_NULL;
	*found_r = false;
	sec = *section == '\0' ? mailimap_section_new(NULL)
	                       : parse_section(section);
	if (sec == NULL)
		return perr_set(err, a, PERR_INPUT, "invalid body section");
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, len > 0 ? mailimap_fetch_att_new_body_peek_section_partial(
	                              sec, off, len)
	                    : mailimap_fetch_att_new_body_peek_section(sec));
	/* Freed here, not with a: the body may be megabytes. */
	if (imapc_uid_fetch(c, mailimap_set_new_single(uid), ft, a, false, &res,
	                    err) != 0)
		return -1;
	if (res == NULL)
		return 0; /* libetpan gives a list, maybe empty; be sure */
	for (it = clist_begin(res); it != NULL && !*found_r;
	     it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		uint32_t got_uid = 0;
		const char *body = NULL;
		size_t blen = 0;

		for (it2 = clist_begin(ma->att_list); it2 != NULL;
		     it2 = clist_next(it2)) {
			struct mailimap_msg_att_item *item = clist_content(it2);
			struct mailimap_msg_att_static *st;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				got_uid = st->att_data.att_uid;
			else if (st->att_type ==
			                 MAILIMAP_MSG_ATT_BODY_SECTION &&
			         st->att_data.att_body_section != NULL) {
				body = st->att_data.att_body_section
				               ->sec_body_part;
				blen = st->att_data.att_body_section
				               ->sec_length;
			}
		}
		if (got_uid == uid) {
			char *copy = arena_strndup(da, body != NULL ? body : "",
			                           body != NULL ? blen : 0);

			if (copy == NULL) {
				mailimap_fetch_list_free(res);
				return perr_set(err, a, PERR_LIMIT,
				                "message too large");
			}
			data_r->p = copy;
			data_r->len = body != NULL ? blen : 0;
			*found_r = true;
		}
	}
	mailimap_fetch_list_free(res);
	return 0;
}

int
imap_fetch_section(struct imap_conn *c, const char *folder, uint32_t uid,
                   const char *section, struct arena *a, struct strv *data_r,
                   struct perr *err)
{
	bool found;

	*data_r = STRV_NULL;
	if (uid == 0)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	if (select_in(c, folder, true, a, NULL, err) != 0 ||
	    fetch_body(c, uid, section != NULL ? section : "", 0, 0, a, a,
	               data_r, &found, err) != 0)
		return -1;
	if (!found)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	return 0;
}

int
imap_fetch_section_chunks(struct imap_conn *c, const char *folder, uint32_t uid,
                          const char *section, size_t chunk,
                          imap_chunk_fn *sink, void *arg, struct arena *a,
                          struct perr *err)
{
	uint64_t off = 0;

	if (uid == 0)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	if (chunk == 0 || chunk > UINT32_MAX)
		return perr_set(err, a, PERR_INPUT, "bad chunk size");
	if (section == NULL)
		section = "";
	if (select_in(c, folder, true, a, NULL, err) != 0)
		return -1;
	for (;;) {
		struct arena *ca = arena_create("imap-chunk", chunk + 4096, 0);
		struct strv data;
		bool found;
		int r;

		if (off > UINT32_MAX - chunk) {
			arena_destroy(&ca);
			return perr_set(err, a, PERR_LIMIT, "part too large");
		}
		r = fetch_body(c, uid, section, (uint32_t)off, (uint32_t)chunk,
		               ca, a, &data, &found, err);
		if (r == 0 && !found)
			r = perr_set(err, a, PERR_NOTFOUND, "no such message");
		if (r == 0 && (data.len > 0 || off == 0))
			r = sink(arg, off, data) != 0 ? 1 : 0;
		arena_destroy(&ca);
		if (r < 0)
			return -1;
		/* A short piece is the last one; the sink may stop early. */
		if (r > 0 || data.len < chunk)
			return 0;
		off += data.len;
	}
}
