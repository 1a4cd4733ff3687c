/*
 * Finding one message again after it moved (snooze, src/mail/snooze.c):
 * a MOVE that reports where the message went (UIDPLUS COPYUID, RFC
 * 4315) and a search by Message-ID for when that answer is missing or
 * the folder's UIDVALIDITY changed since.
 */
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

/* The one UID of a COPYUID set, or 0 when it is not exactly one. */
static uint32_t
single_uid(struct mailimap_set *set)
{
	struct mailimap_set_item *it;
	clistiter *first;

	if (set == NULL || clist_count(set->set_list) != 1)
		return 0;
	first = clist_begin(set->set_list);
	it = first != NULL ? clist_content(first) : NULL;
	if (it == NULL)
		return 0;
	return it->set_first == it->set_last ? it->set_first : 0;
}

int
imap_move_found(struct imap_conn *c, const char *folder, uint32_t uid,
                const char *to, struct arena *a, uint32_t *uidvalidity_r,
                uint32_t *uid_r, struct perr *err)
{
	struct mailimap_set *set, *src = NULL, *dst = NULL;
	uint32_t uidvalidity = 0;
	char *to_raw;
	int r;

	*uidvalidity_r = 0;
	*uid_r = 0;
	if ((imapc_caps(c) & (IMAP_CAP_MOVE | IMAP_CAP_UIDPLUS)) !=
	    (IMAP_CAP_MOVE | IMAP_CAP_UIDPLUS))
		/* No COPYUID to read: the caller finds it by Message-ID. */
		return imap_move(c, folder, &uid, 1, to, a, err);
	if (imapc_folder_raw(to, a, &to_raw, err) != 0 ||
	    imap_select(c, folder, false, NULL, err) != 0)
		return -1;
	if (strcmp(c->selected_raw, to_raw) == 0)
		return perr_set(err, a, PERR_INPUT,
		                "source and target folder are the same");
	c->mbox_gen++; /* the message leaves the cached set */
	set = imapc_uid_set(&uid, 1);
	r = mailimap_uidplus_uid_move(c->imap, set, to_raw, &uidvalidity, &src,
	                              &dst);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "UID MOVE", err);
	/* No source set: the UID was not there (moved or expunged). */
	if (src == NULL || single_uid(src) != uid) {
		if (src != NULL)
			mailimap_set_free(src);
		if (dst != NULL)
			mailimap_set_free(dst);
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	}
	*uidvalidity_r = uidvalidity;
	*uid_r = single_uid(dst);
	mailimap_set_free(src);
	if (dst != NULL)
		mailimap_set_free(dst);
	return 0;
}

static void
free_search_result(void *p)
{
	mailimap_search_result_free(p);
}

int
imap_find_message_id(struct imap_conn *c, const char *folder,
                     const char *message_id, struct arena *a,
                     uint32_t *uidvalidity_r, uint32_t *uid_r, struct perr *err)
{
	struct imap_mailbox_status st;
	struct mailimap_search_key *key;
	clist *res = NULL;
	clistiter *it;
	char *hdr, *val;
	int r;

	*uid_r = 0;
	*uidvalidity_r = 0;
	if (imap_select(c, folder, true, &st, err) != 0)
		return -1;
	*uidvalidity_r = st.uidvalidity;
	if (message_id == NULL || message_id[0] == '\0')
		return 0;
	if (imapc_check_value(strv_from_cstr(message_id), a, "Message-ID",
	                      err) != 0)
		return -1;
	/* libetpan owns (and frees) the strings of the key. */
	hdr = pt_xstrdup("Message-ID");
	val = pt_xstrdup(message_id);
	key = mailimap_search_key_new_header(hdr, val);
	if (key == NULL)
		fatal("out of memory");
	c->stats.searches++;
	if (imapc_caps(c) & IMAP_CAP_LITERAL_PLUS)
		r = mailimap_uid_search_literalplus(c->imap, NULL, key, &res);
	else
		r = mailimap_uid_search(c->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "UID SEARCH", err);
	imapc_note_updates(c, false);
	arena_defer(a, free_search_result, res);
	/* SEARCH matches substrings: the newest match; the caller checks. */
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		uint32_t u = *(uint32_t *)clist_content(it);

		if (u > *uid_r)
			*uid_r = u;
	}
	return 0;
}
