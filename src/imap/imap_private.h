/*
 * imap internals shared by the files of src/imap/. Nothing outside this
 * folder includes it; libetpan types are fine here.
 */
#ifndef PETREL_IMAP_PRIVATE_H
#define PETREL_IMAP_PRIVATE_H

#include <libetpan/libetpan.h>

#include "net/net.h"

/*
 * The last sorted (and searched) UID list of the selected folder (list.c).
 * Sorting 10 000 messages costs Dovecot 12-16 ms of CPU per request (see
 * docs/PERFORMANCE.md); the order of a message set never changes for the
 * sort keys (date, arrival, from, subject, size), so the list stays right
 * while the set is the same: same UIDVALIDITY, UIDNEXT, EXISTS and no
 * change seen (mbox_gen). A search on flags also needs flag_gen and
 * HIGHESTMODSEQ unchanged, and is cached only with CONDSTORE.
 */
struct imapc_uid_cache {
	bool valid;
	char *folder_raw; /* malloc */
	char *search;     /* malloc, "" for none */
	enum imap_sort sort;
	bool reverse;
	bool client_sort;
	bool server_sorted;
	bool flag_dependent;
	uint32_t uidvalidity, uidnext, exists;
	uint64_t highestmodseq;
	uint64_t mbox_gen, flag_gen;
	uint32_t *uids; /* malloc */
	size_t n;
};

struct imap_conn {
	mailimap *imap;
	struct net_target target;
	char *host; /* owned copies for target */
	char *ca_file;
	unsigned caps;          /* as offered by the server */
	unsigned caps_disabled; /* imap_conn_disable_caps() */
	bool authenticated;
	bool broken;
	/* The greeting was PREAUTH: authenticated, but no password checked. */
	bool preauth;
	bool allow_preauth; /* the domain's imap_allow_preauth */

	/* The selected folder (UTF-8 and wire form), NULL if none. */
	char *selected;
	char *selected_raw;
	bool sel_stale;
	struct imap_mailbox_status sel;

	/*
	 * Change counters of the selection (see imapc_note_updates()):
	 * mbox_gen moves when the message set may have changed (a new
	 * SELECT, EXPUNGE/VANISHED, EXISTS, a move, delete, expunge or
	 * append through c), flag_gen when flags may have changed (an
	 * unsolicited FETCH, a STORE through c).
	 */
	uint64_t mbox_gen;
	uint64_t flag_gen;
	/*
	 * The gens right after the last SELECT: while mbox_gen (and
	 * flag_gen) still equal them, sel is the server's state as it
	 * answered, which the shared UID cache (uidcache.c) checks against.
	 */
	uint64_t sel_mbox_gen;
	uint64_t sel_flag_gen;
	char *user; /* the login name (malloc), for the shared UID cache */
	struct imapc_uid_cache uid_cache;
	/*
	 * A STORE through c (.SILENT) or an unsolicited FETCH without
	 * MODSEQ left sel.highestmodseq behind the server's flags: the
	 * shared rows' flags are not taken as current until a new SELECT
	 * (rowcache.c, imapc_view_modseq()).
	 */
	bool modseq_unsure;
	struct imap_conn_stats stats;

	/* Special-use folder paths (UTF-8, malloc) from the last LIST. */
	char *special_path[IMAP_SPECIAL_ARCHIVE + 1];
	bool specials_known;

	/* err->msg for functions without an arena; reset per call. */
	struct arena *scratch;

	/* pool bookkeeping (pool.c) */
	void *pool_entry;
};

/* Largest response the raw reader accepts (THREAD, LIST-STATUS). */
#define IMAPC_RAW_MAX (32u * 1024 * 1024)

/*
 * Turn a libetpan result into *err. Stream-level failures mark c broken
 * and give PERR_TEMPFAIL; a command refused by the server gives no_kind
 * with the server's text. what names the command ("SELECT").
 */
int imapc_fail(struct imap_conn *c, int r, struct arena *a,
               enum perr_kind no_kind, const char *what, struct perr *err);
/* A usable, logged-in connection, else -1 with err. */
int imapc_check_usable(struct imap_conn *c, struct arena *a, struct perr *err);
/* Refuse (PERR_INPUT) a value with CR, LF or NUL. */
int imapc_check_value(struct strv v, struct arena *a, const char *what,
                      struct perr *err);
/* UTF-8 folder path -> wire name (checks control chars). */
int imapc_folder_raw(const char *path, struct arena *a, char **raw_r,
                     struct perr *err);
/*
 * Send "TAG cmd\r\n" (cmd must be a safe, complete command without user
 * literals) and read the answer ourselves, for responses libetpan cannot
 * parse (THREAD, LIST-STATUS). Untagged lines (without "* " and CRLF,
 * literals inlined) come back in a. A NO/BAD answer gives PERR_REMOTE.
 */
int imapc_raw_command(struct imap_conn *c, const char *cmd, struct arena *a,
                      struct strv **lines_r, size_t *n_r, struct perr *err);
/* Effective capabilities (offered minus disabled). */
unsigned imapc_caps(const struct imap_conn *c);

/* A mailimap_set from UIDs (sorted, ranges merged). NULL for n == 0. */
struct mailimap_set *imapc_uid_set(const uint32_t *uids, size_t n);
/*
 * UID FETCH ft for set, both freed here. A failure is mapped through
 * imapc_fail() (PERR_REMOTE for a refusal, the text in a); on success
 * the unsolicited updates are noted (imapc_note_updates(c, true)) and
 * *res_r is the answer, freed with the arena a when free_with_a, else by
 * the caller (to drop a large body before the request ends). 0 or -1.
 */
int imapc_uid_fetch(struct imap_conn *c, struct mailimap_set *set,
                    struct mailimap_fetch_type *ft, struct arena *a,
                    bool free_with_a, clist **res_r, struct perr *err);
/*
 * IMAP_MSG_* bits of a FETCH FLAGS answer (system flags plus the
 * $Forwarded and $Junk keywords); 0 for NULL or "FLAGS ()". list.c.
 */
unsigned imapc_flags_of(const struct mailimap_msg_att_dynamic *dyn);

/* IMAP_MSG_* and keywords -> a new flag list (caller frees). */
struct mailimap_flag_list *imapc_flag_list(unsigned flags,
                                           const char *const *kw, size_t n_kw);

/* Build libetpan search keys from parsed terms (NULL: ALL). */
struct mailimap_search_key *imapc_search_key(const struct imap_search *s);
/* True if any term needs CHARSET UTF-8. */
bool imapc_search_is_ascii(const struct imap_search *s);

/* Path of a special folder (from the cache or a new LIST); NULL if none. */
int imapc_find_special(struct imap_conn *c, enum imap_special sp,
                       struct arena *a, const char **path_r, struct perr *err);
/* Special use by common folder names ("Sent Items", "Spam"...). */
enum imap_special imapc_special_by_name(const char *name);
/* Forget the cached special folders (after create/rename/delete). */
void imapc_forget_specials(struct imap_conn *c);
/*
 * Look at the untagged data libetpan kept from the last command: an
 * EXPUNGE moves c->mbox_gen; an unsolicited FETCH (flags changed
 * elsewhere; own_fetch false) moves c->flag_gen; a MODSEQ or a
 * HIGHESTMODSEQ code above c->sel.highestmodseq raises it and moves
 * flag_gen. Call after every libetpan command on the selected folder
 * whose answer may carry them (NOOP, SEARCH, FETCH).
 */
void imapc_note_updates(struct imap_conn *c, bool own_fetch);

/* ---- the message list (list.c and the files it calls) ---------------- */

/* Forget the cached UID list (uidcache.c); on destroy too. */
void imapc_uid_cache_clear(struct imap_conn *c);
/*
 * uids left the selected folder through c (UID MOVE, UID EXPUNGE) and
 * the command reported expunged EXPUNGE responses: drop them from the
 * cached list and keep it (no new SORT) when it matched the folder at
 * gen_before (c->mbox_gen before the command) and the count fits; else
 * forget the list.
 */
void imapc_uid_cache_forget(struct imap_conn *c, const uint32_t *uids, size_t n,
                            uint64_t gen_before, size_t expunged);
/*
 * After a new SELECT of the same folder: keep the list if the set is
 * provably the same, else forget it (uidcache.c).
 */
void imapc_uid_cache_reselected(struct imap_conn *c);
/* Unix time of an IMAP date-time (sort.c). */
int64_t imapc_date_time_unix(const struct mailimap_date_time *d);
/*
 * The UIDs matching q->search in UID order (sort.c), or *all_r = true
 * without a search (then *uids_r is unset: every message matches).
 */
int imapc_run_search(struct imap_conn *c, const struct imap_list_query *q,
                     struct arena *a, uint32_t **uids_r, size_t *n_r,
                     bool *all_r, struct perr *err);
/*
 * The ESEARCH answer among a raw command's untagged lines, read by
 * imap_esearch_parse(); no such line: nothing matched (search.c).
 */
int imapc_esearch_find(const struct strv *lines, size_t nl, uint32_t cap,
                       struct arena *a, uint32_t **uids_r, size_t *n_r,
                       uint32_t *count_r, struct perr *err);
/* "ALL" or "UID 1:3,7" for a raw SORT or THREAD command (sort.c). */
void imapc_append_criteria(struct sbuf *cmd, const uint32_t *uids, size_t n,
                           bool all);
/*
 * UID SORT of these UIDs and, unless from is 0, of "from:*", in q's order;
 * q->search is not applied (sort.c).
 */
int imapc_server_sort_set(struct imap_conn *c, const struct imap_list_query *q,
                          const uint32_t *uids, size_t n, uint32_t from,
                          struct arena *a, uint32_t **out_r, size_t *nout_r,
                          struct perr *err);
/* All UIDs of the query in its order, without the cache (sort.c). */
int imapc_sorted_uids_uncached(struct imap_conn *c,
                               const struct imap_list_query *q, struct arena *a,
                               uint32_t **uids_r, size_t *n_r, bool *server_r,
                               struct perr *err);
/* The same through the UID cache of the selection (uidcache.c). */
int imapc_sorted_uids(struct imap_conn *c, const struct imap_list_query *q,
                      struct arena *a, uint32_t **uids_r, size_t *n_r,
                      bool *server_r, struct perr *err);

struct imapc_tnode {
	uint32_t uid;
	uint32_t parent;
	unsigned depth;
};
struct imapc_threads {
	struct imapc_tnode *nodes;
	size_t n;
	size_t *start; /* start[i]: first node of thread i; start[nt] = n */
	size_t nt;
};
/* UID THREAD REFERENCES over uids (or ALL) into *th (thread.c). */
int imapc_run_thread(struct imap_conn *c, const uint32_t *uids, size_t n,
                     bool all, struct arena *a, struct imapc_threads *th,
                     struct perr *err);

/* The page's rows by UID (rows.c): idx sorted with imapc_cmp_rowidx. */
struct imapc_rowidx {
	uint32_t uid;
	size_t pos;
};
int imapc_cmp_rowidx(const void *x, const void *y);
struct imap_msg_row *imapc_find_row(struct imapc_rowidx *idx, size_t n,
                                    struct imap_msg_row *rows, uint32_t uid);
/*
 * Fill rows[0..n) (their uid set) from the row cache or the server
 * (rows.c), with previews when want_preview.
 */
int imapc_fetch_rows(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
                     bool want_preview, struct arena *a, struct perr *err);
/*
 * The rows the row cache has (have[i] set) plus one UID FETCH of their
 * flags (rowcache.c): how many rows it does not have (left untouched), or
 * -1.
 */
int imapc_rows_from_cache(struct imap_conn *c, struct imap_msg_row *rows,
                          size_t n, bool want_preview, struct imapc_rowidx *idx,
                          bool *have, struct arena *a, struct perr *err);
/*
 * Keep the fetched rows (got[i]: rows[i] came back) in the user's shared
 * row table, their flags labelled flags_modseq (imapc_view_modseq()
 * before the FETCH; 0: not to be trusted without a FETCH).
 */
void imapc_row_cache_store(struct imap_conn *c, const struct imap_msg_row *rows,
                           size_t n, const bool *got, bool with_preview,
                           uint64_t flags_modseq, struct arena *a);
/*
 * c's HIGHESTMODSEQ when it covers every flag change the server reported
 * (CONDSTORE, no unreported STORE through c), else 0 (rowcache.c).
 */
uint64_t imapc_view_modseq(const struct imap_conn *c);
/* Free a libetpan FETCH answer with the arena a. */
void imapc_defer_fetch_list(struct arena *a, clist *res);
/*
 * A folder of c's user was deleted or renamed through c: the user's other
 * idle pooled connections get a NOOP before their next use, and one the
 * server dropped for it (Dovecot does, for the selected folder) is
 * replaced instead of failing a request (pool.c). No-op outside a pool.
 */
void imapc_pool_check_others(struct imap_conn *c);
/* Scratch arena of c, reset. */
struct arena *imapc_scratch(struct imap_conn *c);

/*
 * The label-like keywords (imap_keyword_is_label) of a FETCH FLAGS
 * answer, at most IMAP_ROW_KEYWORDS_MAX, copied into a; *kw_r NULL when
 * none (keyword.c). -1 only when a is full.
 */
int imapc_keywords_of(const struct mailimap_msg_att_dynamic *dyn,
                      struct arena *a, const char ***kw_r, size_t *n_r);

#endif
