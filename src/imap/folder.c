/*
 * Folders: LIST (+ SPECIAL-USE, LIST-STATUS), STATUS, create, rename,
 * delete, subscribe, empty.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

static const char *const special_names[] = {
        NULL, "inbox", "drafts", "sent", "junk", "trash", "archive",
};

const char *
imap_special_name(enum imap_special s)
{
	if ((size_t)s >= PT_NELEM(special_names))
		return NULL;
	return special_names[s];
}

enum imap_special
imapc_special_by_name(const char *name)
{
	static const struct {
		const char *name;
		enum imap_special sp;
	} names[] = {
	        {"Drafts", IMAP_SPECIAL_DRAFTS},
	        {"Draft", IMAP_SPECIAL_DRAFTS},
	        {"Sent", IMAP_SPECIAL_SENT},
	        {"Sent Items", IMAP_SPECIAL_SENT},
	        {"Sent Messages", IMAP_SPECIAL_SENT},
	        {"Sent Mail", IMAP_SPECIAL_SENT},
	        {"Junk", IMAP_SPECIAL_JUNK},
	        {"Junk E-mail", IMAP_SPECIAL_JUNK},
	        {"Junk Email", IMAP_SPECIAL_JUNK},
	        {"Spam", IMAP_SPECIAL_JUNK},
	        {"Bulk Mail", IMAP_SPECIAL_JUNK},
	        {"Trash", IMAP_SPECIAL_TRASH},
	        {"Deleted Items", IMAP_SPECIAL_TRASH},
	        {"Deleted Messages", IMAP_SPECIAL_TRASH},
	        {"Deleted", IMAP_SPECIAL_TRASH},
	        {"Bin", IMAP_SPECIAL_TRASH},
	        {"Archive", IMAP_SPECIAL_ARCHIVE},
	        {"Archives", IMAP_SPECIAL_ARCHIVE},
	};
	size_t i;

	for (i = 0; i < PT_NELEM(names); i++) {
		if (strv_eq_ci_ascii(strv_from_cstr(name),
		                     strv_from_cstr(names[i].name)))
			return names[i].sp;
	}
	return IMAP_SPECIAL_NONE;
}

int
imapc_folder_raw(const char *path, struct arena *a, char **raw_r,
                 struct perr *err)
{
	struct strv v;

	*raw_r = NULL;
	if (path == NULL || *path == '\0')
		return perr_set(err, a, PERR_INPUT, "folder name missing");
	v = strv_from_cstr(path);
	if (strv_has_ctl(v, false))
		return perr_set(err, a, PERR_INPUT,
		                "folder name contains a control character");
	if (strv_eq_ci_ascii(v, STRV_LIT("INBOX"))) {
		*raw_r = arena_strdup(a, "INBOX");
		return *raw_r != NULL ? 0
		                      : perr_set(err, NULL, PERR_LIMIT,
		                                 "out of request memory");
	}
	return imap_mutf7_encode(v, a, raw_r, err);
}

/* One LIST answer, before sorting. */
struct fentry {
	struct imap_folder f;
	bool special_from_flag;
};

static void
apply_flag(struct fentry *e, struct strv flag)
{
	static const struct {
		const char *name;
		unsigned flag;
		enum imap_special sp;
	} flags[] = {
	        {"\\Noselect", IMAP_FOLDER_NOSELECT, IMAP_SPECIAL_NONE},
	        {"\\NonExistent",
	         IMAP_FOLDER_NONEXISTENT | IMAP_FOLDER_NOSELECT,
	         IMAP_SPECIAL_NONE},
	        {"\\HasChildren", IMAP_FOLDER_HAS_CHILDREN, IMAP_SPECIAL_NONE},
	        {"\\HasNoChildren", IMAP_FOLDER_HAS_NO_CHILDREN,
	         IMAP_SPECIAL_NONE},
	        {"\\Noinferiors", IMAP_FOLDER_NOINFERIORS, IMAP_SPECIAL_NONE},
	        {"\\Marked", IMAP_FOLDER_MARKED, IMAP_SPECIAL_NONE},
	        {"\\Drafts", 0, IMAP_SPECIAL_DRAFTS},
	        {"\\Sent", 0, IMAP_SPECIAL_SENT},
	        {"\\Junk", 0, IMAP_SPECIAL_JUNK},
	        {"\\Trash", 0, IMAP_SPECIAL_TRASH},
	        {"\\Archive", 0, IMAP_SPECIAL_ARCHIVE},
	        {"\\Snoozed", IMAP_FOLDER_SNOOZED, IMAP_SPECIAL_NONE},
	};
	size_t i;

	if (strv_eq_ci_ascii(flag, STRV_LIT("\\Subscribed"))) {
		e->f.subscribed = true;
		return;
	}
	for (i = 0; i < PT_NELEM(flags); i++) {
		if (!strv_eq_ci_ascii(flag, strv_from_cstr(flags[i].name)))
			continue;
		e->f.flags |= flags[i].flag;
		if (flags[i].sp != IMAP_SPECIAL_NONE && !e->special_from_flag) {
			e->f.special = flags[i].sp;
			e->special_from_flag = true;
		}
	}
}

/* Fill path, name, depth from raw and delimiter. */
static int
finish_entry(struct fentry *e, struct arena *a)
{
	struct perr ignored;
	char *path = NULL;
	const char *last;

	if (strv_eq_ci_ascii(strv_from_cstr(e->f.raw), STRV_LIT("INBOX"))) {
		e->f.raw = "INBOX";
		path = arena_strdup(a, "INBOX");
		e->f.special = IMAP_SPECIAL_INBOX;
		e->special_from_flag = true;
	} else if (imap_mutf7_decode(strv_from_cstr(e->f.raw), a, &path,
	                             &ignored) != 0) {
		/* Not canonical modified UTF-7: show it as it is. */
		path = arena_strdup(a, e->f.raw);
	}
	if (path == NULL)
		return -1;
	e->f.path = path;
	e->f.depth = 0;
	last = path;
	if (e->f.delimiter != '\0') {
		const char *p;

		for (p = path; *p != '\0'; p++) {
			if (*p == e->f.delimiter) {
				e->f.depth++;
				last = p + 1;
			}
		}
	}
	e->f.name = last;
	if (!e->special_from_flag)
		e->f.special = imapc_special_by_name(last);
	return 0;
}

/* ---- a small reader for raw LIST / STATUS lines ----------------------- */

struct rd {
	const char *p, *end;
};

static void
rd_skip_sp(struct rd *r)
{
	while (r->p < r->end && *r->p == ' ')
		r->p++;
}

/* astring / nstring: atom, "quoted" or {N}<N bytes>. NULL for NIL. */
static int
rd_string(struct rd *r, struct arena *a, char **out_r)
{
	rd_skip_sp(r);
	*out_r = NULL;
	if (r->p >= r->end)
		return -1;
	if (*r->p == '"') {
		struct sbuf b;

		sbuf_init(&b, a, 64, 64 * 1024);
		r->p++;
		while (r->p < r->end && *r->p != '"') {
			if (*r->p == '\\' && r->p + 1 < r->end)
				r->p++;
			sbuf_append_char(&b, *r->p);
			r->p++;
		}
		if (r->p >= r->end || !sbuf_ok(&b))
			return -1;
		r->p++;
		*out_r = (char *)sbuf_cstr(&b);
		return 0;
	}
	if (*r->p == '{') {
		uint64_t n;
		const char *q = r->p + 1;

		while (q < r->end && *q >= '0' && *q <= '9')
			q++;
		if (!pt_parse_u64(
		            (struct strv){r->p + 1, (size_t)(q - r->p - 1)},
		            IMAPC_RAW_MAX, &n))
			return -1;
		if (q < r->end && *q == '+')
			q++;
		if (q >= r->end || *q != '}' || (size_t)(r->end - q - 1) < n)
			return -1;
		*out_r = arena_strndup(a, q + 1, (size_t)n);
		r->p = q + 1 + n;
		return *out_r != NULL ? 0 : -1;
	}
	{
		const char *s = r->p;

		while (r->p < r->end && *r->p != ' ' && *r->p != '(' &&
		       *r->p != ')')
			r->p++;
		if (r->p == s)
			return -1;
		if (r->p - s == 3 && strncmp(s, "NIL", 3) == 0)
			return 0;
		*out_r = arena_strndup(a, s, (size_t)(r->p - s));
		return *out_r != NULL ? 0 : -1;
	}
}

/* LIST (flags) "d" name [extended] */
static int
parse_list_line(struct rd *r, struct arena *a, struct fentry *e)
{
	char *delim, *name;

	memset(e, 0, sizeof(*e));
	rd_skip_sp(r);
	if (r->p >= r->end || *r->p != '(')
		return -1;
	r->p++;
	while (r->p < r->end && *r->p != ')') {
		const char *s;

		rd_skip_sp(r);
		s = r->p;
		while (r->p < r->end && *r->p != ' ' && *r->p != ')')
			r->p++;
		if (r->p > s)
			apply_flag(e, (struct strv){s, (size_t)(r->p - s)});
	}
	if (r->p >= r->end)
		return -1;
	r->p++;
	if (rd_string(r, a, &delim) != 0)
		return -1;
	e->f.delimiter = delim != NULL ? delim[0] : '\0';
	if (rd_string(r, a, &name) != 0 || name == NULL)
		return -1;
	e->f.raw = name;
	return 0;
}

/* STATUS name (MESSAGES n UNSEEN m) */
static int
parse_status_line(struct rd *r, struct arena *a, char **name_r,
                  uint32_t *total_r, uint32_t *unseen_r)
{
	if (rd_string(r, a, name_r) != 0 || *name_r == NULL)
		return -1;
	rd_skip_sp(r);
	if (r->p >= r->end || *r->p != '(')
		return -1;
	r->p++;
	while (r->p < r->end && *r->p != ')') {
		const char *k, *v;
		uint64_t n;

		rd_skip_sp(r);
		k = r->p;
		while (r->p < r->end && *r->p != ' ')
			r->p++;
		rd_skip_sp(r);
		v = r->p;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
		if (!pt_parse_u64((struct strv){v, (size_t)(r->p - v)},
		                  UINT32_MAX, &n))
			return -1;
		if (v - k >= 8 && strncmp(k, "MESSAGES", 8) == 0)
			*total_r = (uint32_t)n;
		else if (v - k >= 6 && strncmp(k, "UNSEEN", 6) == 0)
			*unseen_r = (uint32_t)n;
	}
	return 0;
}

static int
cmp_entries(const void *x, const void *y)
{
	const struct fentry *a = x, *b = y;
	static const int rank[] = {
	        [IMAP_SPECIAL_NONE] = 9,    [IMAP_SPECIAL_INBOX] = 0,
	        [IMAP_SPECIAL_DRAFTS] = 1,  [IMAP_SPECIAL_SENT] = 2,
	        [IMAP_SPECIAL_ARCHIVE] = 3, [IMAP_SPECIAL_JUNK] = 4,
	        [IMAP_SPECIAL_TRASH] = 5,
	};
	int ra = rank[a->f.special], rb = rank[b->f.special];

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a->f.path, b->f.path);
}

static int
list_with_status(struct imap_conn *c, struct arena *a, struct fentry **es_r,
                 size_t *n_r, struct perr *err)
{
	struct strv *lines;
	size_t nl, i, n = 0;
	struct fentry *es;

	if (imapc_raw_command(c,
	                      "LIST \"\" \"*\" RETURN (SUBSCRIBED SPECIAL-USE "
	                      "STATUS (MESSAGES UNSEEN))",
	                      a, &lines, &nl, err) != 0)
		return -1;
	es = arena_new_array(a, struct fentry, nl + 1);
	if (es == NULL)
		return perr_set(err, a, PERR_LIMIT, "too many folders");
	for (i = 0; i < nl; i++) {
		struct rd r = {lines[i].p, lines[i].p + lines[i].len};

		if (lines[i].len > 5 && strncmp(lines[i].p, "LIST ", 5) == 0) {
			r.p += 5;
			if (parse_list_line(&r, a, &es[n]) == 0)
				n++;
		} else if (lines[i].len > 7 &&
		           strncmp(lines[i].p, "STATUS ", 7) == 0) {
			char *name;
			uint32_t total = 0, unseen = 0;
			size_t k;

			r.p += 7;
			if (parse_status_line(&r, a, &name, &total, &unseen))
				continue;
			/* STATUS follows its LIST line (RFC 5819). */
			for (k = n; k-- > 0;) {
				if (strcmp(es[k].f.raw, name) == 0) {
					es[k].f.total = total;
					es[k].f.unseen = unseen;
					es[k].f.has_counts = true;
					break;
				}
			}
		}
	}
	*es_r = es;
	*n_r = n;
	return 0;
}

static int
list_classic(struct imap_conn *c, struct arena *a, struct fentry **es_r,
             size_t *n_r, struct perr *err)
{
	clist *list = NULL, *lsub = NULL;
	clistiter *it;
	struct fentry *es;
	size_t n = 0, i;
	int r;

	r = mailimap_list(c->imap, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "LIST", err);
	es = arena_new_array(a, struct fentry, clist_count(list) + 1);
	if (es == NULL) {
		mailimap_list_result_free(list);
		return perr_set(err, a, PERR_LIMIT, "too many folders");
	}
	for (it = clist_begin(list); it != NULL; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);
		struct mailimap_mbx_list_flags *fl = mb->mb_flag;
		struct fentry *e = &es[n];

		memset(e, 0, sizeof(*e));
		if (mb->mb_name == NULL)
			continue;
		e->f.raw = arena_strdup(a, mb->mb_name);
		e->f.delimiter = mb->mb_delimiter;
		if (fl != NULL) {
			clistiter *o;

			if (fl->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG) {
				if (fl->mbf_sflag ==
				    MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
					e->f.flags |= IMAP_FOLDER_NOSELECT;
				else if (fl->mbf_sflag ==
				         MAILIMAP_MBX_LIST_SFLAG_MARKED)
					e->f.flags |= IMAP_FOLDER_MARKED;
			}
			for (o = clist_begin(fl->mbf_oflags); o != NULL;
			     o = clist_next(o)) {
				struct mailimap_mbx_list_oflag *of =
				        clist_content(o);

				if (of->of_type ==
				    MAILIMAP_MBX_LIST_OFLAG_NOINFERIORS) {
					e->f.flags |= IMAP_FOLDER_NOINFERIORS;
				} else if (of->of_flag_ext != NULL) {
					char *f = arena_printf(a, "\\%s",
					                       of->of_flag_ext);

					if (f != NULL)
						apply_flag(e,
						           strv_from_cstr(f));
				}
			}
		}
		n++;
	}
	mailimap_list_result_free(list);

	r = mailimap_lsub(c->imap, "", "*", &lsub);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "LSUB", err);
	for (it = clist_begin(lsub); it != NULL; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		for (i = 0; i < n && mb->mb_name != NULL; i++) {
			if (strcmp(es[i].f.raw, mb->mb_name) == 0)
				es[i].f.subscribed = true;
		}
	}
	mailimap_list_result_free(lsub);

	for (i = 0; i < n; i++) {
		struct mailimap_status_att_list *sa;
		struct mailimap_mailbox_data_status *st = NULL;

		if (es[i].f.flags & IMAP_FOLDER_NOSELECT)
			continue;
		sa = mailimap_status_att_list_new_empty();
		mailimap_status_att_list_add(sa, MAILIMAP_STATUS_ATT_MESSAGES);
		mailimap_status_att_list_add(sa, MAILIMAP_STATUS_ATT_UNSEEN);
		r = mailimap_status(c->imap, es[i].f.raw, sa, &st);
		mailimap_status_att_list_free(sa);
		if (r != MAILIMAP_NO_ERROR) {
			struct perr e2;

			if (imapc_fail(c, r, a, PERR_REMOTE, "STATUS", &e2),
			    c->broken) {
				*err = e2;
				return -1;
			}
			continue;
		}
		for (it = clist_begin(st->st_info_list); it != NULL;
		     it = clist_next(it)) {
			struct mailimap_status_info *si = clist_content(it);

			if (si->st_att == MAILIMAP_STATUS_ATT_MESSAGES)
				es[i].f.total = si->st_value;
			else if (si->st_att == MAILIMAP_STATUS_ATT_UNSEEN)
				es[i].f.unseen = si->st_value;
		}
		es[i].f.has_counts = true;
		mailimap_mailbox_data_status_free(st);
	}
	*es_r = es;
	*n_r = n;
	return 0;
}

int
imap_folders(struct imap_conn *c, struct arena *a, struct imap_folder **list_r,
             size_t *n_r, struct perr *err)
{
	struct fentry *es = NULL;
	struct imap_folder *out;
	bool seen[IMAP_SPECIAL_ARCHIVE + 1] = {false};
	size_t n = 0, i;
	int r;

	*list_r = NULL;
	*n_r = 0;
	if (imapc_check_usable(c, a, err) != 0)
		return -1;
	/*
	 * STATUS (and LIST-STATUS) of the folder this connection has
	 * selected answers from the session's own view, which learns of
	 * mail that other connections added or changed only at a command
	 * that allows updates: Dovecot counted 0 of 620 new messages. A
	 * NOOP first brings the view up to date.
	 */
	if (c->selected_raw != NULL) {
		c->stats.noops++;
		r = mailimap_noop(c->imap);
		if (r != MAILIMAP_NO_ERROR)
			return imapc_fail(c, r, a, PERR_REMOTE, "NOOP", err);
		imapc_note_updates(c, false);
	}
	if (imapc_caps(c) & IMAP_CAP_LIST_STATUS)
		r = list_with_status(c, a, &es, &n, err);
	else
		r = list_classic(c, a, &es, &n, err);
	if (r != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (es[i].f.raw == NULL || finish_entry(&es[i], a) != 0)
			return perr_set(err, a, PERR_LIMIT,
			                "folder list too large");
	}
	/* One folder per special kind: the one with the flag, else first. */
	for (i = 0; i < n; i++) {
		if (es[i].special_from_flag && es[i].f.special != 0) {
			if (seen[es[i].f.special])
				es[i].f.special = IMAP_SPECIAL_NONE;
			else
				seen[es[i].f.special] = true;
		}
	}
	for (i = 0; i < n; i++) {
		if (!es[i].special_from_flag && es[i].f.special != 0) {
			if (seen[es[i].f.special] ||
			    (es[i].f.flags & IMAP_FOLDER_NOSELECT) ||
			    es[i].f.depth > 0)
				es[i].f.special = IMAP_SPECIAL_NONE;
			else
				seen[es[i].f.special] = true;
		}
	}
	qsort(es, n, sizeof(*es), cmp_entries);
	out = arena_new_array(a, struct imap_folder, n + 1);
	if (out == NULL)
		return perr_set(err, a, PERR_LIMIT, "folder list too large");
	imapc_forget_specials(c);
	for (i = 0; i < n; i++) {
		out[i] = es[i].f;
		if (out[i].special != IMAP_SPECIAL_NONE &&
		    c->special_path[out[i].special] == NULL)
			c->special_path[out[i].special] =
			        pt_xstrdup(out[i].path);
	}
	c->specials_known = true;
	*list_r = out;
	*n_r = n;
	return 0;
}

int
imapc_find_special(struct imap_conn *c, enum imap_special sp, struct arena *a,
                   const char **path_r, struct perr *err)
{
	*path_r = NULL;
	if (!c->specials_known) {
		struct imap_folder *fl;
		size_t n;

		if (imap_folders(c, a, &fl, &n, err) != 0)
			return -1;
	}
	if (c->special_path[sp] != NULL)
		*path_r = arena_strdup(a, c->special_path[sp]);
	return 0;
}

/* ---- changes ----------------------------------------------------------- */

static int
refuse_inbox(const char *path, struct arena *a, struct perr *err)
{
	if (strv_eq_ci_ascii(strv_from_cstr(path), STRV_LIT("INBOX")))
		return perr_set(err, a, PERR_INPUT,
		                "INBOX cannot be renamed or deleted");
	return 0;
}

/* The selection dies with a rename or delete of its folder. */
static void
forget_selected(struct imap_conn *c)
{
	free(c->selected);
	free(c->selected_raw);
	c->selected = NULL;
	c->selected_raw = NULL;
}

int
imap_folder_create(struct imap_conn *c, const char *path, struct arena *a,
                   struct perr *err)
{
	char *raw;
	int r;

	if (imapc_check_usable(c, a, err) != 0 ||
	    imapc_folder_raw(path, a, &raw, err) != 0)
		return -1;
	r = mailimap_create(c->imap, raw);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "CREATE", err);
	imapc_forget_specials(c);
	/* Subscribing is best effort: the folder exists either way. */
	(void)mailimap_subscribe(c->imap, raw);
	return 0;
}

int
imap_folder_rename(struct imap_conn *c, const char *path, const char *new_path,
                   struct arena *a, struct perr *err)
{
	char *raw, *new_raw;
	int r;

	if (imapc_check_usable(c, a, err) != 0 ||
	    imapc_folder_raw(path, a, &raw, err) != 0 ||
	    imapc_folder_raw(new_path, a, &new_raw, err) != 0 ||
	    refuse_inbox(path, a, err) != 0)
		return -1;
	if (c->selected_raw != NULL && strcmp(c->selected_raw, raw) == 0) {
		/*
		 * Leave it by selecting INBOX read-only, not with CLOSE: the
		 * selection is read-write, and CLOSE would expunge messages
		 * another client only flagged \Deleted (RFC 3501 6.4.2).
		 */
		(void)mailimap_examine(c->imap, "INBOX");
		forget_selected(c);
	}
	r = mailimap_rename(c->imap, raw, new_raw);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "RENAME", err);
	imapc_pool_check_others(c);
	imapc_forget_specials(c);
	(void)mailimap_unsubscribe(c->imap, raw);
	(void)mailimap_subscribe(c->imap, new_raw);
	return 0;
}

int
imap_folder_delete(struct imap_conn *c, const char *path, struct arena *a,
                   struct perr *err)
{
	char *raw;
	int r;

	if (imapc_check_usable(c, a, err) != 0 ||
	    imapc_folder_raw(path, a, &raw, err) != 0 ||
	    refuse_inbox(path, a, err) != 0)
		return -1;
	if (c->selected_raw != NULL && strcmp(c->selected_raw, raw) == 0) {
		(void)mailimap_close(c->imap);
		forget_selected(c);
	}
	r = mailimap_delete(c->imap, raw);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "DELETE", err);
	/* Dovecot drops a connection whose selected folder went away. */
	imapc_pool_check_others(c);
	imapc_forget_specials(c);
	(void)mailimap_unsubscribe(c->imap, raw);
	return 0;
}

int
imap_folder_subscribe(struct imap_conn *c, const char *path, bool subscribe,
                      struct arena *a, struct perr *err)
{
	char *raw;
	int r;

	if (imapc_check_usable(c, a, err) != 0 ||
	    imapc_folder_raw(path, a, &raw, err) != 0)
		return -1;
	r = subscribe ? mailimap_subscribe(c->imap, raw)
	              : mailimap_unsubscribe(c->imap, raw);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE,
		                  subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE", err);
	return 0;
}

int
imap_folder_empty(struct imap_conn *c, const char *path, struct arena *a,
                  struct perr *err)
{
	struct imap_mailbox_status st;
	struct mailimap_set *set;
	struct mailimap_store_att_flags *sf;
	int r;

	if (imap_select(c, path, false, &st, err) != 0)
		return -1;
	if (st.exists == 0)
		return 0;
	set = mailimap_set_new_interval(1, 0); /* 1:* */
	sf = mailimap_store_att_flags_new_add_flags_silent(
	        imapc_flag_list(IMAP_MSG_DELETED, NULL, 0));
	r = mailimap_store(c->imap, set, sf);
	mailimap_store_att_flags_free(sf);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "STORE", err);
	r = mailimap_expunge(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "EXPUNGE", err);
	c->sel_stale = true;
	return 0;
}
