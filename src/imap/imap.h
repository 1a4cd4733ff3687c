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
 * - Pool: long-lived, thread-safe, keyed by an opaque session key.
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
	uint64_t selects;  /* SELECT and EXAMINE */
	uint64_t searches; /* UID SEARCH */
	uint64_t sorts;    /* UID SORT, or the client-side sort's FETCH */
	uint64_t threads;  /* UID THREAD */
	uint64_t fetches;  /* UID FETCH of rows and previews */
	uint64_t uid_cache_hits;
	uint64_t uid_cache_misses;
	uint64_t uid_shared_hits; /* misses served by the shared cache */
	uint64_t flag_fetches; /* UID FETCH (FLAGS) of a page of cached rows */
	uint64_t row_cache_hits; /* pages served from cached rows */
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
	bool readonly;
};

/*
 * SELECT (or EXAMINE when readonly) the UTF-8 folder, unless it is already
 * selected in a mode that fits (a read-write selection serves readonly
 * requests too) and not stale (a failed command or a change made through
 * this connection marks it stale). The status reflects the untagged
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
 * checks a kept selection, no move, delete, expunge or append through c.
 * Searches on flags (is:unread ...) are reused only with CONDSTORE and
 * no flag change seen (unsolicited FETCH, HIGHESTMODSEQ, a STORE through
 * c). Decoded rows and previews are cached on c too, per (folder,
 * UIDVALIDITY, UID): a page whose rows are all cached sends only
 * UID FETCH (UID FLAGS) for the flags, which may change.
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

/* ---- pool ------------------------------------------------------------- */

struct imap_pool_settings {
	unsigned max_total;       /* all connections; default 200 */
	unsigned max_per_session; /* default 3 */
	unsigned idle_timeout_s;  /* close idle ones after; default 300 */
	unsigned noop_after_s;    /* NOOP an idle one before use; default 30 */
	unsigned wait_ms;         /* wait for a free slot; default 2000 */
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
	unsigned open;        /* connections now open */
	unsigned busy;        /* now checked out */
};

/* NULL settings: all defaults. Zero fields take their defaults too. */
struct imap_pool *imap_pool_create(const struct imap_pool_settings *s);
/* LOGOUT and close every idle connection, free; *pp = NULL. All must be
 * checked in. */
void imap_pool_destroy(struct imap_pool **pp);

/*
 * A logged-in connection for session_key, used by the caller alone until
 * imap_pool_checkin(). An idle one of the session is reused (its selected
 * folder is kept); one that the server dropped is replaced transparently;
 * otherwise a new one is opened with cred (up to max_per_session for the
 * session and max_total overall, closing the longest idle one of another
 * session if needed). When no slot frees up within wait_ms: PERR_TEMPFAIL.
 * Login errors come back as imap_login() gives them (PERR_AUTH, ...).
 */
int imap_pool_checkout(struct imap_pool *p, const char *session_key,
                       imap_credentials_fn *cred, void *ctx, struct arena *a,
                       struct imap_conn **c_r, struct perr *err) PT_WARN_UNUSED;
/* Give it back (*cp = NULL). A broken connection is closed. */
void imap_pool_checkin(struct imap_pool *p, struct imap_conn **cp);
/*
 * Hand in a connection the caller opened and logged in itself (sign-in
 * checks the password on one), as an idle connection of session_key, so
 * the session's first checkout needs no second LOGIN. The pool owns *cp
 * from here on and sets *cp = NULL. Returns true when kept; false when it
 * was closed instead (broken, not logged in, the session already has
 * max_per_session, or the pool is full with nothing idle to close).
 */
bool imap_pool_adopt(struct imap_pool *p, const char *session_key,
                     struct imap_conn **cp);
/* Close the session's idle connections now; busy ones at checkin. */
void imap_pool_drop_session(struct imap_pool *p, const char *session_key);
/* Close connections idle for longer than idle_timeout_s. */
void imap_pool_reap(struct imap_pool *p);
void imap_pool_get_stats(struct imap_pool *p, struct imap_pool_stats *st_r);

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

#endif
