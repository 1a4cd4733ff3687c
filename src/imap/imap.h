/*
 * imap - the IMAP client layer (libetpan mailimap on net's transport).
 *
 * Everything this module returns is in Petrel types, allocated from the
 * caller's arena; libetpan types never leave src/imap/.
 *
 * - Connection: imap_connect() (None / SSL = implicit TLS / TLS = STARTTLS
 *   through net), CAPABILITY parsed into IMAP_CAP_* flags (read again after
 *   STARTTLS and after login), imap_login() (LOGIN; AUTHENTICATE PLAIN when
 *   the server disables LOGIN), imap_logout(), imap_conn_destroy().
 * - Folders: modified UTF-7 (RFC 3501 5.1.3) converted at this boundary:
 *   callers always speak UTF-8 paths; imap_folders() lists them with
 *   special-use, flags, subscription and counts.
 * - Messages: imap_select() remembers the selected folder (no second
 *   SELECT while it is fresh); imap_list_messages() pages a sorted (server
 *   SORT, else a client-side sort of the same keys), optionally searched or
 *   threaded list and fetches only the rows of the page.
 * - Actions by UID set: flags, copy, move, delete, expunge, append, raw
 *   fetch.
 * - Search: imap_search_parse() turns the SnappyMail-like search box syntax
 *   into a term list; imap_list_messages() sends it as UID SEARCH with
 *   CHARSET UTF-8 and literals when the server offers LITERAL+.
 * - Pool: long-lived, thread-safe, shared by the sessions of a user
 *   (imap_pool_bind), capped per user, per session and overall.
 *
 * Safety invariant: every caller-supplied value that reaches a command
 * (login, password, folder names, search text, keywords) is checked first:
 * CR, LF and NUL are refused (PERR_INPUT) for all of them, and every other
 * control character for folder names. libetpan quotes strings but would
 * send those bytes as they are, which would let a value add a command.
 *
 * Errors: 0 ok, -1 with *err filled in. PERR_AUTH: wrong credentials (the
 * message is the server's text); PERR_TEMPFAIL: the server is down, timed
 * out or dropped the connection (the connection is then unusable:
 * imap_conn_is_broken() turns true and the pool discards it); PERR_REMOTE:
 * the server said NO/BAD (its text in msg); PERR_NOTFOUND: no such folder;
 * PERR_INPUT: a value was refused before anything was sent. Functions
 * without an arena parameter put err->msg into memory owned by the
 * connection that stays valid until the next call on it.
 *
 * Thread-safety: a struct imap_conn is used by one thread at a time (the
 * pool guarantees it). The pool itself is thread-safe.
 */
#ifndef PETREL_IMAP_H
#define PETREL_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "config/config.h"

struct imap_conn;
struct imap_pool;

/* ---- capabilities ----------------------------------------------------- */

#define IMAP_CAP_SPECIAL_USE (1u << 0)
#define IMAP_CAP_LIST_STATUS (1u << 1)
#define IMAP_CAP_SORT (1u << 2)
#define IMAP_CAP_THREAD_REFERENCES (1u << 3)
#define IMAP_CAP_ESEARCH (1u << 4)
#define IMAP_CAP_CONDSTORE (1u << 5)
#define IMAP_CAP_QRESYNC (1u << 6)
#define IMAP_CAP_UIDPLUS (1u << 7)
#define IMAP_CAP_MOVE (1u << 8)
#define IMAP_CAP_IDLE (1u << 9)
#define IMAP_CAP_LITERAL_PLUS (1u << 10)
#define IMAP_CAP_ID (1u << 11)
#define IMAP_CAP_NAMESPACE (1u << 12)
#define IMAP_CAP_UTF8_ACCEPT (1u << 13)
#define IMAP_CAP_ENABLE (1u << 14)
#define IMAP_CAP_STARTTLS (1u << 15)
#define IMAP_CAP_LOGINDISABLED (1u << 16)
#define IMAP_CAP_AUTH_PLAIN (1u << 17)
#define IMAP_CAP_QUOTA (1u << 18)
#define IMAP_CAP_ESORT (1u << 19) /* RFC 5267: SORT ... RETURN (...) */

/*
 * Parse the atoms of a CAPABILITY list (space separated, as the server
 * sends them, case-insensitive) into IMAP_CAP_* flags. Pure; unknown
 * atoms are ignored.
 */
unsigned imap_caps_parse(struct strv caps);

/* ---- connection ------------------------------------------------------- */

/*
 * Connect to dom's IMAP server (imap_host, imap_port, imap_secure,
 * verify_certificate, ca_file, timeouts), read the greeting, run STARTTLS
 * when imap_secure is TLS (refusing a server that does not offer it), and
 * read the capabilities. The settings are copied: dom may go away
 * afterwards. *c_r is heap memory owned by the caller (imap_conn_destroy);
 * it is NULL on failure. Messages go into a. Errors: PERR_TEMPFAIL
 * (refused, timed out, TLS verification failed, bad greeting), PERR_INPUT
 * (bad settings).
 */
int imap_connect(const struct config_domain *dom, struct arena *a,
                 struct imap_conn **c_r, struct perr *err) PT_WARN_UNUSED;

/*
 * Log in. user and password must be safe values (no CR/LF/NUL:
 * PERR_INPUT, nothing sent). Wrong credentials: PERR_AUTH with the
 * server's text. The password is never logged or kept by the connection.
 * Capabilities are read again afterwards.
 */
int imap_login(struct imap_conn *c, const char *user, const char *password,
               struct perr *err) PT_WARN_UNUSED;

/* Send LOGOUT (best effort, short timeout) and close the stream. */
void imap_logout(struct imap_conn *c);

/* Close (without LOGOUT) and free *cp; sets *cp to NULL. NULL-safe. */
void imap_conn_destroy(struct imap_conn **cp);

/* IMAP_CAP_* flags of the server as last read. */
unsigned imap_caps(const struct imap_conn *c);
bool imap_has_cap(const struct imap_conn *c, unsigned cap);
/* True once the stream failed: the connection must be destroyed. */
bool imap_conn_is_broken(const struct imap_conn *c);
/* True after a successful imap_login(). */
bool imap_conn_is_authenticated(const struct imap_conn *c);
/*
 * Cheap health check without a round trip: false if the server already
 * sent something (e.g. BYE) or closed the socket while the connection was
 * idle. A pooled connection for which this is false gets a NOOP.
 */
bool imap_conn_is_quiet(struct imap_conn *c);
/*
 * Counters of the commands sent on c (since connect) and of the sorted
 * UID cache: for tests and the benchmark, never for decisions.
 */
struct imap_conn_stats {
	uint64_t noops;
	uint64_t selects;  /* SELECT */
	uint64_t searches; /* UID SEARCH */
	uint64_t sorts;    /* UID SORT, or the client-side sort's FETCH */
	uint64_t threads;  /* UID THREAD */
	uint64_t fetches;  /* UID FETCH of rows and previews */
	uint64_t uid_cache_hits;
	uint64_t uid_cache_misses;
	uint64_t uid_shared_hits; /* misses served by the shared cache */
	uint64_t uid_cache_kept;  /* lists kept across an own move/expunge */
	uint64_t uid_catchups; /* shared lists brought up to date, no full SORT
	                        */
	uint64_t flag_fetches; /* UID FETCH (FLAGS) of a page of cached rows */
	uint64_t row_cache_hits; /* pages served from cached rows */
	uint64_t flag_skips;     /* ... whose cached flags were current */
};

void imap_conn_get_stats(const struct imap_conn *c,
                         struct imap_conn_stats *st_r);

/* NOOP: keeps the connection alive, collects pending untagged updates. */
int imap_noop(struct imap_conn *c, struct perr *err) PT_WARN_UNUSED;
/*
 * Override the client-side choices (tests, broken servers): the flags in
 * disable are treated as not offered by the server.
 */
void imap_conn_disable_caps(struct imap_conn *c, unsigned disable);

/* ---- modified UTF-7 (RFC 3501 5.1.3) ---------------------------------- */

/*
 * UTF-8 → modified UTF-7. Fails (PERR_INPUT) for invalid UTF-8, NUL or
 * control characters. The result is NUL-terminated, in a.
 */
int imap_mutf7_encode(struct strv utf8, struct arena *a, char **out_r,
                      struct perr *err) PT_WARN_UNUSED;
/*
 * Modified UTF-7 → UTF-8. Strict: a non-printable byte, an unterminated
 * or badly padded shift, "&-" encoded as base64, encoded printable ASCII,
 * two adjacent shifts or a broken surrogate pair fail with PERR_INPUT.
 */
int imap_mutf7_decode(struct strv mutf7, struct arena *a, char **out_r,
                      struct perr *err) PT_WARN_UNUSED;

/* ---- folders ---------------------------------------------------------- */

enum imap_special {
	IMAP_SPECIAL_NONE = 0,
	IMAP_SPECIAL_INBOX,
	IMAP_SPECIAL_DRAFTS,
	IMAP_SPECIAL_SENT,
	IMAP_SPECIAL_JUNK,
	IMAP_SPECIAL_TRASH,
	IMAP_SPECIAL_ARCHIVE,
};

/* "inbox", "drafts", ... or NULL for IMAP_SPECIAL_NONE. */
const char *imap_special_name(enum imap_special s);

#define IMAP_FOLDER_NOSELECT (1u << 0)
#define IMAP_FOLDER_HAS_CHILDREN (1u << 1)
#define IMAP_FOLDER_HAS_NO_CHILDREN (1u << 2)
#define IMAP_FOLDER_NOINFERIORS (1u << 3)
#define IMAP_FOLDER_NONEXISTENT (1u << 4)
#define IMAP_FOLDER_MARKED (1u << 5)
#define IMAP_FOLDER_SNOOZED (1u << 6) /* \Snoozed (IANA-registered) */

struct imap_folder {
	const char *path; /* UTF-8, with the server's delimiter */
	const char *raw;  /* the name on the wire (modified UTF-7) */
	const char *name; /* last component of path (UTF-8) */
	char delimiter;   /* '\0' for a flat namespace */
	unsigned depth;   /* number of delimiters in path */
	enum imap_special special;
	unsigned flags; /* IMAP_FOLDER_* */
	bool subscribed;
	bool has_counts; /* false if STATUS failed for it */
	uint32_t unseen;
	uint32_t total;
};

/*
 * All folders (LIST "" "*"), sorted: INBOX, then Drafts, Sent, Archive,
 * Junk, Trash (one of each, the first found), then the rest by path. Uses
 * LIST ... RETURN (SUBSCRIBED SPECIAL-USE STATUS (MESSAGES UNSEEN)) when
 * LIST-STATUS is offered, else LIST + LSUB + STATUS per selectable folder.
 * special comes from the SPECIAL-USE flags, else from common names
 * ("Sent Items", "Deleted Messages", "Spam", ...). A name that is not
 * valid modified UTF-7 is shown raw. Array and strings in a.
 */
int imap_folders(struct imap_conn *c, struct arena *a,
                 struct imap_folder **list_r, size_t *n_r,
                 struct perr *err) PT_WARN_UNUSED;

/*
 * Folder operations on UTF-8 paths. A path with a control character or
 * invalid UTF-8 is refused with PERR_INPUT. delete/rename of INBOX is
 * refused too. imap_folder_empty() marks every message \Deleted and
 * expunges (the folder stays).
 */
int imap_folder_create(struct imap_conn *c, const char *path, struct arena *a,
                       struct perr *err) PT_WARN_UNUSED;
int imap_folder_rename(struct imap_conn *c, const char *path,
                       const char *new_path, struct arena *a,
                       struct perr *err) PT_WARN_UNUSED;
int imap_folder_delete(struct imap_conn *c, const char *path, struct arena *a,
                       struct perr *err) PT_WARN_UNUSED;
int imap_folder_subscribe(struct imap_conn *c, const char *path, bool subscribe,
                          struct arena *a, struct perr *err) PT_WARN_UNUSED;
int imap_folder_empty(struct imap_conn *c, const char *path, struct arena *a,
                      struct perr *err) PT_WARN_UNUSED;

/* ---- select ----------------------------------------------------------- */

struct imap_mailbox_status {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t exists;
	uint64_t highestmodseq; /* 0 without CONDSTORE */
};

/*
 * SELECT the UTF-8 folder (read-write also for a readonly request, which
 * only reads: see select_in()), unless it is already selected and not
 * stale (a failed command or a change made through this connection marks
 * it stale). The status reflects the untagged
 * updates seen since. PERR_NOTFOUND when the server says NO.
 */
int imap_select(struct imap_conn *c, const char *folder, bool readonly,
                struct imap_mailbox_status *status_r,
                struct perr *err) PT_WARN_UNUSED;
/* The selected folder (UTF-8) or NULL. Owned by c. */
const char *imap_selected(const struct imap_conn *c);

/* ---- search ----------------------------------------------------------- */

enum imap_search_kind {
	IMAP_SEARCH_TEXT, /* free text: From, To, Cc or Subject */
	IMAP_SEARCH_BODY, /* body: / text: -> TEXT (headers and body) */
	IMAP_SEARCH_FROM,
	IMAP_SEARCH_TO, /* To or Cc */
	IMAP_SEARCH_SUBJECT,
	IMAP_SEARCH_HAS_ATTACHMENT,
	IMAP_SEARCH_UNSEEN,
	IMAP_SEARCH_SEEN,
	IMAP_SEARCH_FLAGGED,
	IMAP_SEARCH_UNFLAGGED,
	IMAP_SEARCH_ANSWERED,
	IMAP_SEARCH_BEFORE, /* date < day */
	IMAP_SEARCH_SINCE,  /* date >= day (after:) */
	/* keyword:ATOM -> KEYWORD (a label) */
	IMAP_SEARCH_KEYWORD,
};

struct imap_search_term {
	enum imap_search_kind kind;
	bool negate;          /* written with a leading '-' */
	const char *value;    /* UTF-8 text for the text kinds, else NULL */
	int year, month, day; /* BEFORE / SINCE */
};

/* All terms must match (AND). n == 0 matches everything. */
struct imap_search {
	struct imap_search_term *terms;
	size_t n;
};

#define IMAP_SEARCH_MAX_TERMS 32
#define IMAP_SEARCH_MAX_LEN 1024

/*
 * Parse the search box: words and "quoted phrases" (with \" and \\
 * escapes) are free text; key:value with keys from, to, subject, body,
 * text, has (attachment), is (unread|read|seen|unseen|flagged|unflagged|
 * answered), before and after (YYYY-MM-DD); a leading '-' negates a term.
 * An unknown key is taken as free text. Refused with PERR_INPUT: CR, LF,
 * NUL or other control characters (TAB is a space), invalid UTF-8, a bad
 * date, an unknown has:/is: value, more than IMAP_SEARCH_MAX_TERMS terms
 * or IMAP_SEARCH_MAX_LEN bytes. Strings in a.
 */
int imap_search_parse(struct strv query, struct arena *a,
                      struct imap_search *s_r, struct perr *err) PT_WARN_UNUSED;
/*
 * An ESEARCH answer's data (RFC 4731; "(TAG "4") UID ALL 5:3,9 COUNT 4",
 * after "ESEARCH "): the count and the first cap UIDs of ALL in the order
 * given (a:b runs from a to b, either way). Used by search-all's ESORT and
 * the sorted list's catch-up.
 */
int imap_esearch_parse(struct strv data, uint32_t cap, struct arena *a,
                       uint32_t **uids_r, size_t *n_r, uint32_t *count_r,
                       struct perr *err) PT_WARN_UNUSED;

/* ---- message list ----------------------------------------------------- */

enum imap_sort {
	IMAP_SORT_DATE = 0, /* Date header (INTERNALDATE if none): RFC 5256 */
	IMAP_SORT_ARRIVAL,  /* INTERNALDATE */
	IMAP_SORT_FROM,     /* local part of the first From address */
	IMAP_SORT_SUBJECT,  /* RFC 5256 base subject */
	IMAP_SORT_SIZE,
};

/* Parse "date", "-date", "from", "subject", "size", "arrival". */
bool imap_sort_parse(struct strv s, enum imap_sort *sort_r, bool *reverse_r);

struct imap_list_query {
	uint32_t offset;
	uint32_t limit; /* 0: IMAP_LIST_DEFAULT_LIMIT; capped at ..._MAX */
	enum imap_sort sort;
	bool reverse;       /* descending (newest first for dates) */
	const char *search; /* search box text or NULL/"" */
	bool threads;       /* THREAD=REFERENCES; paging counts threads */
	bool no_preview;    /* skip the preview fetch */
	bool client_sort;   /* force the client-side sort (tests) */
};

#define IMAP_LIST_DEFAULT_LIMIT 50
#define IMAP_LIST_MAX_LIMIT 500
#define IMAP_PREVIEW_MAX 200 /* characters */

#define IMAP_MSG_SEEN (1u << 0)
#define IMAP_MSG_FLAGGED (1u << 1)
#define IMAP_MSG_ANSWERED (1u << 2)
#define IMAP_MSG_FORWARDED (1u << 3) /* $Forwarded */
#define IMAP_MSG_DRAFT (1u << 4)
#define IMAP_MSG_DELETED (1u << 5)
#define IMAP_MSG_JUNK (1u << 6)    /* $Junk */
#define IMAP_MSG_MDNSENT (1u << 7) /* $MDNSent (RFC 3503) */

struct imap_address {
	const char *name;  /* UTF-8 display name, "" if none */
	const char *email; /* local@domain, "" if none */
};

struct imap_msg_row {
	uint32_t uid;
	const char *subject; /* UTF-8 (RFC 2047 decoded), "" if none */
	struct imap_address from;
	struct imap_address *to; /* To addresses */
	size_t n_to;
	const char *message_id; /* "" if none */
	int64_t date;           /* Date header, else INTERNALDATE (unix time) */
	int64_t received;       /* INTERNALDATE */
	uint32_t size;
	unsigned flags; /* IMAP_MSG_* */
	bool has_attachments;
	const char *preview; /* UTF-8, whitespace collapsed, may be "" */
	/* Label-like keywords (imap_keyword_is_label), NULL when none. */
	const char **keywords;
	size_t n_keywords;
	/* Threads only: */
	unsigned depth;       /* 0 for a thread root */
	uint32_t parent_uid;  /* 0 for a root */
	uint32_t thread_size; /* messages in this row's thread (roots) */
};

struct imap_msg_page {
	uint32_t total;  /* matching messages (threads: matching threads) */
	uint32_t offset; /* as asked */
	struct imap_msg_row *rows;
	size_t n;
	struct imap_mailbox_status status;
	bool server_sorted; /* SORT / THREAD was used */
	bool threaded;
};

/*
 * Select folder (read-only use is fine) and return one page. With a
 * search, UID SEARCH (CHARSET UTF-8 when needed) finds the set first.
 * The sorted UID list (not threads) is cached on c and reused without
 * SEARCH or SORT while the folder's message set is unchanged: same
 * UIDVALIDITY, UIDNEXT and EXISTS, no EXPUNGE seen by the NOOP that
 * checks a kept selection, no expunge or append through c (a move or
 * delete of known UIDs through c keeps the list without them when the
 * server's EXPUNGE responses account for exactly those).
 * Searches on flags (is:unread ...) are reused only with CONDSTORE and
 * no flag change seen (unsolicited FETCH, HIGHESTMODSEQ, a STORE through
 * c). Decoded rows and previews are shared by all connections of the
 * user, per (server, user, folder, UIDVALIDITY, UID): a page whose rows
 * are all cached sends nothing more when CONDSTORE shows their flags are
 * current (same HIGHESTMODSEQ), else UID FETCH (UID FLAGS), with
 * CHANGEDSINCE when offered.
 * Sorting uses UID SORT when offered, else fetches the sort keys of every
 * matching message and sorts in C with RFC 5256's rules (ties by UID). An
 * offset past the end gives an empty page with the right total.
 */
int imap_list_messages(struct imap_conn *c, const char *folder,
                       const struct imap_list_query *q, struct arena *a,
                       struct imap_msg_page *page_r,
                       struct perr *err) PT_WARN_UNUSED;

/*
 * The UIDs of folder in query order (search + sort, no paging); for tests
 * and "select all". *uids_r in a.
 */
int imap_sorted_uids(struct imap_conn *c, const char *folder,
                     const struct imap_list_query *q, struct arena *a,
                     uint32_t **uids_r, size_t *n_r,
                     struct perr *err) PT_WARN_UNUSED;

/* ---- helpers for message data (pure; exposed for tests and fuzzing) --- */

/* RFC 2047 decode of a header value: mime_decode_header() (mime.h). */
const char *imap_decode_header(struct strv raw, struct arena *a);
/* RFC 5256 base subject of a decoded subject, upper-cased ASCII. */
const char *imap_base_subject(const char *subject, struct arena *a);
/* RFC 5322 Date header value -> unix time, 0 if it does not parse. */
int64_t imap_date_parse(const char *s);
/* Collapse whitespace and cut at max characters (UTF-8 aware). */
const char *imap_make_preview(struct strv utf8, size_t max, struct arena *a);

/* ---- actions on UID sets ---------------------------------------------- */

/*
 * The folder is selected read-write first. uids may hold any UIDs; n == 0
 * is a no-op that succeeds. At most IMAP_UIDS_MAX per call.
 */
#define IMAP_UIDS_MAX 100000

enum imap_flag_op { IMAP_FLAGS_ADD, IMAP_FLAGS_REMOVE };

/*
 * Add or remove IMAP_MSG_* system flags (SEEN, FLAGGED, ANSWERED,
 * FORWARDED, DRAFT, DELETED, JUNK) and keywords (atoms; anything else is
 * PERR_INPUT). keywords may be NULL.
 */
int imap_set_flags(struct imap_conn *c, const char *folder,
                   const uint32_t *uids, size_t n, enum imap_flag_op op,
                   unsigned flags, const char *const *keywords,
                   size_t n_keywords, struct arena *a,
                   struct perr *err) PT_WARN_UNUSED;

/*
 * Mark every message of the folder \Seen in one UID STORE 1:*
 * +FLAGS.SILENT, whatever its size (selected read-write first; an empty
 * folder sends nothing).
 */
int imap_folder_mark_read(struct imap_conn *c, const char *folder,
                          struct arena *a, struct perr *err) PT_WARN_UNUSED;

/* The storage quota of the user's INBOX root (RFC 9208), in KiB. */
struct imap_quota {
	bool known; /* false: no QUOTA, or no STORAGE limit on the root */
	uint64_t used_kib;
	uint64_t limit_kib;
};

/*
 * GETQUOTAROOT INBOX when the server announces QUOTA; *q_r has known =
 * false (and the call succeeds) when there is no storage quota to show.
 * A refused or failed command is PERR_REMOTE.
 */
int imap_quota(struct imap_conn *c, struct arena *a, struct imap_quota *q_r,
               struct perr *err) PT_WARN_UNUSED;

/* UID COPY to the UTF-8 folder to. */
int imap_copy(struct imap_conn *c, const char *folder, const uint32_t *uids,
              size_t n, const char *to, struct arena *a,
              struct perr *err) PT_WARN_UNUSED;
/*
 * UID MOVE when offered, else UID COPY + UID STORE +FLAGS \Deleted + UID
 * EXPUNGE (UIDPLUS) or EXPUNGE.
 */
int imap_move(struct imap_conn *c, const char *folder, const uint32_t *uids,
              size_t n, const char *to, struct arena *a,
              struct perr *err) PT_WARN_UNUSED;
/*
 * Delete: move to the Trash folder (special-use, else by name) unless
 * folder is the Trash (or there is none, or permanent): then \Deleted and
 * expunge those UIDs.
 */
int imap_delete_messages(struct imap_conn *c, const char *folder,
                         const uint32_t *uids, size_t n, bool permanent,
                         struct arena *a, struct perr *err) PT_WARN_UNUSED;
/*
 * Move one message and say where it went: with MOVE and UIDPLUS, UID
 * MOVE's COPYUID gives to's UIDVALIDITY and the new UID (PERR_NOTFOUND
 * when uid is not in folder); without them imap_move() and both 0 (find
 * it with imap_find_message_id()). src/imap/uidplus.c.
 */
int imap_move_found(struct imap_conn *c, const char *folder, uint32_t uid,
                    const char *to, struct arena *a, uint32_t *uidvalidity_r,
                    uint32_t *uid_r, struct perr *err) PT_WARN_UNUSED;
/*
 * folder's UIDVALIDITY, and the highest UID whose Message-ID header
 * contains message_id (UID SEARCH HEADER; 0: none, or message_id empty).
 */
int imap_find_message_id(struct imap_conn *c, const char *folder,
                         const char *message_id, struct arena *a,
                         uint32_t *uidvalidity_r, uint32_t *uid_r,
                         struct perr *err) PT_WARN_UNUSED;
/* EXPUNGE the folder (all \Deleted messages). */
int imap_expunge(struct imap_conn *c, const char *folder, struct arena *a,
                 struct perr *err) PT_WARN_UNUSED;

/*
 * APPEND msg to folder with IMAP_MSG_* flags and an INTERNALDATE (0: the
 * server's time). *uid_r (may be NULL) gets the new UID with UIDPLUS,
 * else 0.
 */
int imap_append(struct imap_conn *c, const char *folder, unsigned flags,
                int64_t date, struct strv msg, struct arena *a, uint32_t *uid_r,
                struct perr *err) PT_WARN_UNUSED;

/*
 * Fetch the whole raw message (section NULL or "") or a body section
 * ("1.2", "HEADER", "TEXT", "1.MIME") with BODY.PEEK. PERR_NOTFOUND if
 * the UID does not exist. Bytes in a (NUL-terminated too).
 */
int imap_fetch_section(struct imap_conn *c, const char *folder, uint32_t uid,
                       const char *section, struct arena *a,
                       struct strv *data_r, struct perr *err) PT_WARN_UNUSED;

/*
 * Takes one piece of a section: off is its offset in the section, data
 * its bytes (valid during the call only; empty for an empty section).
 * Nonzero stops the fetch (the client went away), which is no error.
 */
typedef int imap_chunk_fn(void *arg, uint64_t off, struct strv data);
/*
 * The section (as imap_fetch_section(), NULL: the whole message) in
 * pieces of chunk bytes, BODY.PEEK[section]<off.chunk> one after the
 * other, each handed to sink and freed before the next is fetched: a
 * 20 MB attachment never sits in memory. PERR_NOTFOUND if the UID does
 * not exist (before the first piece only).
 */
int imap_fetch_section_chunks(struct imap_conn *c, const char *folder,
                              uint32_t uid, const char *section, size_t chunk,
                              imap_chunk_fn *sink, void *arg, struct arena *a,
                              struct perr *err) PT_WARN_UNUSED;

/*
 * Forget every sorted UID list shared between connections (uidcache.c:
 * one per server, user, folder, search and order, checked against
 * UIDVALIDITY/UIDNEXT/EXISTS and, for searches on flags, HIGHESTMODSEQ
 * before use). Thread-safe; for tests and memory pressure.
 */
void imap_uid_share_clear(void);

/*
 * The decoded rows shared by every connection of a user (rowcache.c): one
 * table per (server, login name, folder), emptied when UIDVALIDITY
 * changes; flags labelled with the HIGHESTMODSEQ they are known at, so a
 * page whose labels match a CONDSTORE connection's checked view is served
 * without any FETCH. At most limit bytes in all (default 64 MiB; 0 turns
 * it off and empties it), least recently used folders, then rows, first.
 * Thread-safe (a lock per shard, never held over I/O).
 */
void imap_row_share_set_limit(size_t bytes);
/* Empty the table (tests, memory pressure). */
void imap_row_share_clear(void);
struct imap_row_share_stats {
	size_t bytes, limit;
	size_t folders, rows;
	uint64_t hits;      /* pages whose rows were all there */
	uint64_t misses;    /* pages that needed the row FETCH */
	uint64_t evictions; /* folders and rows dropped for room */
};
void imap_row_share_get_stats(struct imap_row_share_stats *st_r);

/* ---- pool ------------------------------------------------------------- */

struct imap_pool_settings {
	unsigned max_total;       /* all connections; default 200 */
	unsigned max_per_session; /* checked out by one session; default 3 */
	unsigned max_per_user;    /* open for one user, all sessions; 4 */
	unsigned idle_timeout_s;  /* close idle ones after; default 300 */
	unsigned spare_idle_s;    /* ... a user's spare idle ones, or all
	                             when the pool is 3/4 full; default 30 */
	unsigned noop_after_s;    /* NOOP an idle one before use; default 30 */
	unsigned wait_ms;         /* wait for a free one; default 2000 */
};

/*
 * What a new connection needs, from the session (decrypted password):
 * dom, user and password, valid until the callback's arena a is reset.
 * Called only when a connection must be opened. Returns 0 or -1 with err.
 */
typedef int imap_credentials_fn(void *ctx, struct arena *a,
                                const struct config_domain **dom_r,
                                const char **user_r, const char **password_r,
                                struct perr *err);

struct imap_pool_stats {
	uint64_t connects;    /* connections opened and logged in */
	uint64_t reuses;      /* checkouts served by an idle connection */
	uint64_t reconnects;  /* idle connections found dead and replaced */
	uint64_t closed_idle; /* closed for idleness (or to make room) */
	uint64_t adopted;     /* logged-in connections handed in (sign-in) */
	uint64_t waits;       /* checkouts that had to wait for one */
	uint64_t timeouts;    /* ... and got none within wait_ms */
	unsigned open;        /* connections now open */
	unsigned busy;        /* now checked out */
};

/* NULL settings: all defaults. Zero fields take their defaults too. */
struct imap_pool *imap_pool_create(const struct imap_pool_settings *s);
/* LOGOUT and close every idle connection, free; *pp = NULL. All must be
 * checked in. */
void imap_pool_destroy(struct imap_pool **pp);

/*
 * Connections belong to users, not sessions: bind session_key to
 * user_key (the caller's name for a login on a server, e.g. "host:port
 * login"; sessions of one user must give the same key, and only
 * sessions that proved the user's password may be bound to it). Every
 * session bound to a user shares its connections, under max_per_user.
 * A session never bound is a user of its own (the key itself). Cheap;
 * call it before each checkout (bindings unused for an hour are
 * forgotten). Thread-safe.
 */
void imap_pool_bind(struct imap_pool *p, const char *session_key,
                    const char *user_key);

/*
 * A logged-in connection of session_key's user, used by the caller alone
 * until imap_pool_checkin(). The user's most recently used idle one is
 * reused (its selected folder is kept); one that the server dropped is
 * replaced transparently; otherwise a new one is opened with cred (up to
 * max_per_user for the user, max_per_session checked out by the session
 * and max_total overall, closing the longest idle one of another user if
 * needed). When none comes free within wait_ms: PERR_TEMPFAIL. Login
 * errors come back as imap_login() gives them (PERR_AUTH, ...).
 */
int imap_pool_checkout(struct imap_pool *p, const char *session_key,
                       imap_credentials_fn *cred, void *ctx, struct arena *a,
                       struct imap_conn **c_r, struct perr *err) PT_WARN_UNUSED;
/*
 * imap_pool_checkout() without the wait: when the session's slots (or the
 * pool) are full, PERR_TEMPFAIL at once. For extra, optional connections
 * (a search over all folders runs its folders in parallel on whatever is
 * free, never making the session's other requests wait).
 */
int imap_pool_try_checkout(struct imap_pool *p, const char *session_key,
                           imap_credentials_fn *cred, void *ctx,
                           struct arena *a, struct imap_conn **c_r,
                           struct perr *err) PT_WARN_UNUSED;
/* Give it back (*cp = NULL). A broken connection is closed. */
void imap_pool_checkin(struct imap_pool *p, struct imap_conn **cp);
/*
 * Hand in a connection the caller opened and logged in itself (sign-in
 * checks the password on one), as an idle connection of session_key's
 * user (bind first), so the session's first checkout needs no second
 * LOGIN. The pool owns *cp from here on and sets *cp = NULL. Returns true
 * when kept; false when it was closed instead (broken, not logged in, the
 * user already has max_per_user open, or the pool is full with nothing
 * idle to close).
 */
bool imap_pool_adopt(struct imap_pool *p, const char *session_key,
                     struct imap_conn **cp);
/*
 * The session is gone (logout, end session): forget its binding; when
 * it was its user's last bound session, close the user's idle
 * connections now and busy ones at checkin.
 */
void imap_pool_drop_session(struct imap_pool *p, const char *session_key);
/* Close connections idle for longer than their timeout (see above). */
void imap_pool_reap(struct imap_pool *p);
void imap_pool_get_stats(struct imap_pool *p, struct imap_pool_stats *st_r);
/* Connections open for user_key now (tests, the admin page). */
unsigned imap_pool_user_count(struct imap_pool *p, const char *user_key);

/* ---- waiting for changes (idle.c) -------------------------------------- */

/*
 * Wait up to timeout_ms (<= 0 or more than 29 minutes: 29 minutes, RFC
 * 2177) for the selected folder to change, or until wake_fd (may be -1)
 * becomes readable. With IDLE: send IDLE, wait for the server or the wake
 * fd, then always DONE, so the connection is back to the selected state
 * on return. Without IDLE: wait quietly on wake_fd, then NOOP. A change
 * is an untagged EXISTS with a new count, EXPUNGE or FETCH (flags); it
 * also marks the selection stale. wake_fd is only polled, never read:
 * the caller drains it.
 * Returns 0 (timeout or server data; *changed_r says whether it was a
 * change), 1 (woken by wake_fd without a change) or -1 (PERR_TEMPFAIL:
 * the connection is broken and must be destroyed; PERR_INTERNAL: nothing
 * selected). err->msg is owned by c.
 */
int imap_idle_wait(struct imap_conn *c, int timeout_ms, int wake_fd,
                   bool *changed_r, struct perr *err) PT_WARN_UNUSED;

/* ---- one message for reading (structure.c) ---------------------------- */

#include "mime/mime.h"

struct imap_addr_list {
	struct imap_address *v;
	size_t n;
};

struct imap_envelope {
	const char *subject;  /* UTF-8 (RFC 2047 decoded), "" if none */
	const char *date_raw; /* Date header as sent, "" if none */
	int64_t date;         /* unix time, 0 if none or unparsable */
	struct imap_addr_list from, to, cc, reply_to;
	const char *message_id;  /* as sent, with <>, "" if none */
	const char *in_reply_to; /* as sent, "" if none */
};

/*
 * One MIME part of a BODYSTRUCTURE. section is the IMAP part specifier
 * to fetch it with: "1", "2.1" ...; a top-level multipart is "TEXT", the
 * multipart body of an attached message/rfc822 at "2" is "2.TEXT" (its
 * parts are "2.1", "2.2"), a single-part body of it "2.1". Strings are
 * never NULL; type, subtype, disposition and encoding are lower case.
 */
struct imap_part {
	const char *section;
	const char *type, *subtype; /* "text", "plain" */
	struct mime_param *params;  /* Content-Type parameters, raw */
	size_t n_params;
	struct mime_param *disp_params; /* Content-Disposition parameters */
	size_t n_disp_params;
	const char *charset;      /* "" if none */
	const char *name;         /* UTF-8: filename (RFC 2231/2047), else
	                             the name parameter, else "" (uncleaned) */
	const char *content_id;   /* without <>, "" if none */
	const char *disposition;  /* "inline", "attachment" or "" */
	const char *encoding;     /* "7bit", "base64", "quoted-printable" ... */
	uint32_t size;            /* encoded size in octets */
	uint32_t lines;           /* text parts and message/rfc822 */
	struct imap_part *parent; /* NULL for the root */
	struct imap_part *children; /* multipart: its parts; message/rfc822:
	                               one, the attached message's body */
	size_t n_children;
	struct imap_envelope *envelope; /* message/rfc822 only, else NULL */
};

struct imap_message {
	uint32_t uid;
	unsigned flags; /* IMAP_MSG_* */
	uint32_t size;  /* RFC822.SIZE */
	struct imap_envelope env;
	const char *references; /* References header unfolded, "" if none */
	const char **keywords;  /* label-like keywords, as in a list row */
	size_t n_keywords;
	struct imap_part *root;
};

/*
 * Select folder (read-only use) and fetch UID, FLAGS, RFC822.SIZE,
 * ENVELOPE, BODYSTRUCTURE and BODY.PEEK[HEADER.FIELDS (References)] of
 * uid in one command; nothing of the body. The part tree is cut at 32
 * levels and 1000 parts. Everything in a. PERR_NOTFOUND when the UID does
 * not exist; PERR_REMOTE when the server sent no BODYSTRUCTURE.
 */
int imap_fetch_message(struct imap_conn *c, const char *folder, uint32_t uid,
                       struct arena *a, struct imap_message *m_r,
                       struct perr *err) PT_WARN_UNUSED;

/* The part with that section specifier under root, or NULL. */
const struct imap_part *imap_part_find(const struct imap_part *root,
                                       const char *section);
/* Whether p is type/subtype (subtype NULL: any), lower case as parsed. */
bool imap_part_is(const struct imap_part *p, const char *type,
                  const char *subtype);
/*
 * RFC 2046 / 2387 body choice in the tree under p: alternative -> the
 * richest part we show (its last HTML, else its last plain text); related
 * -> its root (start=, else the first part); mixed and others -> the
 * first part that yields a body. Parts with Content-Disposition
 * attachment and attached messages below p are never the body. Either
 * result may be NULL. Pure; a is for parameter decoding.
 */
void imap_pick_body(const struct imap_part *p, struct arena *a,
                    const struct imap_part **html_r,
                    const struct imap_part **plain_r);

/* ---- keywords (labels, issue 17) ------------------------------------ */

/* Longest keyword accepted as a label, in bytes. */
#define IMAP_KEYWORD_MAX 64
/*
 * 0 if kw is a keyword atom a label may use; PERR_INPUT otherwise (empty,
 * too long, a system flag such as \Seen, or a byte outside atom-char).
 */
int imap_keyword_check(const char *kw, struct arena *a,
                       struct perr *err) PT_WARN_UNUSED;
/* 1..5 for Thunderbird's $label1..$label5 (any case), else 0. */
int imap_keyword_tb_label(const char *kw);
/* Most keywords kept per list row or message (more are dropped). */
#define IMAP_ROW_KEYWORDS_MAX 16
/*
 * Whether a keyword on a message is one to show as a label: an atom
 * that is not machine state ($Forwarded, $Junk, NonJunk, $MDNSent,
 * $Phishing, $Submitted, $HasAttachment, Apple's $MailFlagBit0..2 ...).
 */
bool imap_keyword_is_label(const char *kw);
/*
 * The keyword a new label named name (UTF-8, 1..IMAP_LABEL_NAME_MAX
 * bytes, no control characters) maps to, in a: the way Thunderbird makes
 * a tag key - ASCII lower-cased, bytes an atom may not hold and spaces as
 * '_', the rest in modified UTF-7 (RFC 3501 5.1.3) - so a tag made in
 * either client is the same keyword in the other. A leading '$' becomes
 * '_' ('$' keywords are the registered ones, RFC 5788); a result longer
 * than IMAP_LABEL_KEYWORD_MAX is cut and ends in 8 hex digits of the
 * name's hash. The result always passes imap_keyword_check(). Collisions
 * are the caller's (imap_keyword_unique()).
 */
#define IMAP_LABEL_NAME_MAX 128
/* Longest keyword a label name derives: Dovecot refuses keywords longer
 * than its mail_max_keyword_length, 50 by default. */
#define IMAP_LABEL_KEYWORD_MAX 50
int imap_keyword_from_name(const char *name, struct arena *a, char **kw_r,
                           struct perr *err) PT_WARN_UNUSED;
/*
 * kw, or kw with "_2", "_3" ... (the base cut to stay within
 * IMAP_LABEL_KEYWORD_MAX) when taken(ctx, candidate) says it is in use. NULL
 * after 999 tries.
 */
typedef bool imap_keyword_taken_fn(void *ctx, const char *kw);
char *imap_keyword_unique(const char *kw, imap_keyword_taken_fn *taken,
                          void *ctx, struct arena *a);
/*
 * Add and remove label keywords on uids of folder: each keyword must pass
 * imap_keyword_check(); then the folder is selected read-write and a
 * keyword to add must be allowed by its PERMANENTFLAGS (\* or the keyword
 * listed; a server that sent none allows all, RFC 3501 7.1): otherwise
 * PERR_REMOTE naming the keyword, nothing stored. At most one
 * UID STORE +FLAGS.SILENT and one -FLAGS.SILENT, the UIDs as ranges.
 */
int imap_set_keywords(struct imap_conn *c, const char *folder,
                      const uint32_t *uids, size_t n, const char *const *add,
                      size_t n_add, const char *const *remove, size_t n_remove,
                      struct arena *a, struct perr *err) PT_WARN_UNUSED;
/*
 * Remove kw from every message of folder in one UID STORE 1:*
 * -FLAGS.SILENT (deleting a label everywhere). An empty folder sends
 * nothing.
 */
int imap_keyword_clear_folder(struct imap_conn *c, const char *folder,
                              const char *kw, struct arena *a,
                              struct perr *err) PT_WARN_UNUSED;
/* ---- search across folders (searchall.c) ------------------------------ */

/*
 * One search over many folders: each folder's matches newest first (UID
 * SORT (REVERSE DATE), else the client-side sort, through the shared UID
 * cache), merged by date across folders lazily: only the dates of the
 * messages a page needs are fetched (ENVELOPE of a prefix of each list),
 * never every envelope. The whole state is heap memory (malloc) so a
 * session can keep it between pages; one thread uses it at a time, except
 * imap_sa_run(), which gives each folder to one worker.
 */
#define IMAP_SA_CAP_DEFAULT 1000 /* messages that can be paged through */
#define IMAP_SA_MAX_FOLDERS 200  /* more are reported as skipped */

/* The scope words of the search box (in:...), taken out of the text. */
#define IMAP_SA_IN_TRASH (1u << 0) /* in:trash */
#define IMAP_SA_IN_JUNK (1u << 1)  /* in:junk, in:spam */
#define IMAP_SA_IN_ALL (IMAP_SA_IN_TRASH | IMAP_SA_IN_JUNK) /* in:anywhere */

enum imap_sa_state {
	IMAP_SA_PENDING = 0, /* not searched yet */
	IMAP_SA_DONE,
	IMAP_SA_FAILED,  /* error / error_kind say why */
	IMAP_SA_SKIPPED, /* cancelled or over IMAP_SA_MAX_FOLDERS */
};

struct imap_sa_folder {
	char *path; /* UTF-8 */
	enum imap_sa_state state;
	enum perr_kind error_kind;
	char *error;    /* FAILED: the reason */
	uint32_t count; /* matches in the folder */
	uint32_t *uids; /* newest first, at most the cap */
	size_t n;
	int64_t *dates; /* dates[i] of uids[i] for i < n_dates */
	size_t n_dates;
	size_t pos; /* merge cursor: uids[0..pos) are merged */
};

struct imap_sa_item {
	uint32_t folder; /* index into folders */
	uint32_t uid;
	int64_t date;
};

struct imap_sa {
	char *search; /* the search text sent (scope words removed) */
	uint32_t cap;
	struct imap_sa_folder *folders;
	size_t n_folders;
	struct imap_sa_item *merged; /* newest first */
	size_t n_merged;
	size_t merged_alloc;
};

/*
 * Take the scope words (in:trash, in:junk or in:spam, in:anywhere or
 * in:all, case-insensitive, outside quotes) out of query: *rest_r is the
 * rest for imap_search_parse(), *in_r the IMAP_SA_IN_* bits. Pure.
 */
int imap_sa_scope(struct strv query, struct arena *a, const char **rest_r,
                  unsigned *in_r, struct perr *err) PT_WARN_UNUSED;

/*
 * The folders a search over all folders looks at, from imap_folders():
 * INBOX always, every other subscribed and selectable folder, without
 * Trash and Junk unless in asks for them. Order kept; array in a.
 */
size_t imap_sa_pick_folders(const struct imap_folder *f, size_t n, unsigned in,
                            struct arena *a, const char ***paths_r);

/* A new state for these folders (copied), search already parsed-checked. */
struct imap_sa *imap_sa_create(const char *const *paths, size_t n,
                               const char *search, uint32_t cap);
void imap_sa_destroy(struct imap_sa **sp);

/*
 * Search folder i on c: select, sorted matches (count, UIDs up to the
 * cap), and the dates of the first want_dates of them. A failure is kept
 * in the folder (state FAILED), not returned: the return value is -1
 * only when c broke (the caller stops using it).
 */
int imap_sa_search_folder(struct imap_conn *c, struct imap_sa *s, size_t i,
                          size_t want_dates);

/* True when the search was superseded or cancelled: stop early. */
typedef bool imap_sa_cancel_fn(void *arg);

struct imap_sa_run_opts {
	struct imap_pool *pool; /* extra connections from here (may be NULL) */
	const char *session_key;
	imap_credentials_fn *cred;
	void *cred_ctx;     /* must be usable from other threads */
	unsigned max_extra; /* extra connections besides c (try-checkout) */
	size_t want_dates;
	imap_sa_cancel_fn *cancelled; /* checked before each folder; NULL */
	void *cancel_arg;
};

struct imap_sa_run_stats {
	unsigned connections; /* c plus the extra ones that were free */
	bool cancelled;
};

/*
 * Search every PENDING folder of s: on c and on up to max_extra more
 * pooled connections that are free right now (imap_pool_try_checkout:
 * the pool's per-session limit holds and nobody waits), one folder at a
 * time each. Cancelled: the folders not started stay SKIPPED.
 */
void imap_sa_run(struct imap_conn *c, struct imap_sa *s,
                 const struct imap_sa_run_opts *o,
                 struct imap_sa_run_stats *st_r);

/*
 * Merge the folders' lists into s->merged until it holds upto items or
 * every list is merged. Pure. Returns -1 when done, else the index of a
 * folder whose next date is not known yet (fetch it, imap_sa_fetch_dates,
 * then call again). Ties: the lower folder index first, then list order.
 */
long imap_sa_merge(struct imap_sa *s, size_t upto);

/*
 * For tests (the ESORT path of imap_sa_search_folder):
 * imap_sa_search_keys() writes s as IMAP search keys for a raw command,
 * every text value as a LITERAL+ literal ({n+}), so no byte of it is read
 * as syntax (the values hold no CR, LF or NUL: imap_search_parse).
 * (imap_esearch_parse() reads its answers).
 */
void imap_sa_search_keys(const struct imap_search *s, struct sbuf *out);

/* The dates of up to n more of folder i's UIDs after its known ones. */
int imap_sa_fetch_dates(struct imap_conn *c, struct imap_sa *s, size_t i,
                        size_t n, struct perr *err) PT_WARN_UNUSED;

struct imap_sa_row {
	uint32_t folder; /* index into s->folders */
	struct imap_msg_row row;
};

/*
 * The rows of merged[offset .. offset+limit) (merging further and
 * fetching dates as needed), each folder's rows in one fetch, newest
 * first. A message gone meanwhile is left out; a folder that cannot be
 * read any more is marked FAILED and its rows left out. -1 only when c
 * broke (or out of memory).
 */
int imap_sa_page(struct imap_conn *c, struct imap_sa *s, size_t offset,
                 size_t limit, struct arena *a, struct imap_sa_row **rows_r,
                 size_t *n_r, struct perr *err) PT_WARN_UNUSED;

#endif
