/*
 * store - the sqlite3 database (DATA/_data_/_default_/storage/petrel.db).
 *
 * One connection per thread: each worker store_open()s its own and never
 * shares it. The connection runs in WAL mode (readers never block the
 * writer), with a busy timeout (STORE_BUSY_TIMEOUT_MS) and foreign keys
 * on. store_open() brings the schema up to date: the migrations in
 * src/store/migrations/NNNN_*.sql are embedded at build time and each
 * runs once, in its own transaction, recorded in schema_migrations.
 *
 * SQL is only ever a string constant: every value goes in through a
 * bound parameter (store_exec()/store_query() take a type string and the
 * values). There is no function that builds SQL from data.
 *
 * Errors: SQLITE_BUSY/LOCKED -> PERR_TEMPFAIL, constraint violations ->
 * PERR_CONFLICT, everything else -> PERR_INTERNAL, with sqlite's message.
 * Messages are formatted into the arena passed (NULL: a generic one).
 *
 * sqlite types stay inside this module.
 */
#ifndef PETREL_STORE_H
#define PETREL_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

#define STORE_BUSY_TIMEOUT_MS 5000

struct store;
struct store_stmt;

/*
 * Open (creating it, mode 0600, if missing) the database at path and
 * migrate it. Fails (PERR_INTERNAL) if the file's schema is newer than
 * this build knows. On success *store_r is owned by the caller, to be used
 * by one thread at a time. a may be NULL (error detail is then lost).
 */
int store_open(const char *path, struct store **store_r, struct arena *a,
               struct perr *err) PT_WARN_UNUSED;
/*
 * Close and set *storep to NULL. NULL-safe. Statements still open (in an
 * arena not yet reset) stay valid until finished; the connection is
 * released after the last one.
 */
void store_close(struct store **storep);

/* The schema version this build migrates to. */
unsigned store_schema_latest(void);
/* The highest version recorded in schema_migrations. */
int store_schema_version(struct store *s, unsigned *version_r, struct arena *a,
                         struct perr *err) PT_WARN_UNUSED;

/* ---- generic statements ---------------------------------------------- */

/*
 * Parameter types, one character per `?` in sql, in order:
 *   'i'  int
 *   'I'  int64_t
 *   't'  const char *   (NUL-terminated text; NULL binds SQL NULL)
 *   's'  struct strv    (by value; .p NULL binds SQL NULL)
 *   'b'  const void *, size_t  (a blob)
 *   'n'  (no argument)  SQL NULL
 * The count must match the statement's parameters (else PERR_INTERNAL:
 * a bug). Text is bound as is: it is stored verbatim, whatever it holds.
 *
 * The varargs force err before sql here, against the usual order.
 */

/*
 * Run a statement that returns no rows (INSERT/UPDATE/DELETE/DDL).
 * Returns the number of rows changed (>= 0) or -1.
 */
int store_exec(struct store *s, struct arena *a, struct perr *err,
               const char *sql, const char *types, ...) PT_WARN_UNUSED;

/*
 * Prepare and bind a query. *stmt_r lives in a (required) and is
 * finalised by store_finish() or, at the latest, when a is reset; finish
 * early: an open statement holds a read transaction. The store must
 * outlive the statement's use (store_close() is safe, see above).
 */
int store_query(struct store *s, struct arena *a, struct perr *err,
                struct store_stmt **stmt_r, const char *sql, const char *types,
                ...) PT_WARN_UNUSED;
/* Next row: 1 = a row is ready, 0 = no more rows, -1 = error. */
int store_step(struct store_stmt *st, struct perr *err) PT_WARN_UNUSED;
/*
 * Columns of the current row (0-based). Text and blobs are views valid
 * until the next store_step()/store_finish(); copy with strv_dup().
 * A NULL column reads as 0 / STRV_NULL.
 */
int64_t store_col_int(struct store_stmt *st, int col);
struct strv store_col_text(struct store_stmt *st, int col);
struct strv store_col_blob(struct store_stmt *st, int col);
bool store_col_is_null(struct store_stmt *st, int col);
/* Text copied into the statement's arena ("" for NULL); NULL past limit. */
char *store_col_dup(struct store_stmt *st, int col);
/* Finalise now and set *stp to NULL. NULL-safe, idempotent. */
void store_finish(struct store_stmt **stp);

/*
 * Transactions. store_begin() takes the write lock at once (BEGIN
 * IMMEDIATE), so a read-then-write cannot fail halfway with BUSY.
 * store_rollback() is safe to call when no transaction is open.
 */
int store_begin(struct store *s, struct arena *a,
                struct perr *err) PT_WARN_UNUSED;
int store_commit(struct store *s, struct arena *a,
                 struct perr *err) PT_WARN_UNUSED;
void store_rollback(struct store *s);
/* Rowid of the last successful INSERT on this connection. */
int64_t store_last_insert_id(struct store *s);

/* ---- user settings --------------------------------------------------- */

/*
 * The value of user's setting key, copied into a, or *value_r = NULL when
 * it is not set. Returns 0 or -1.
 */
int store_setting_get(struct store *s, const char *user, const char *key,
                      struct arena *a, char **value_r,
                      struct perr *err) PT_WARN_UNUSED;
/* Set (insert or replace) a setting; value NULL deletes it. */
int store_setting_set(struct store *s, const char *user, const char *key,
                      const char *value, int64_t now, struct arena *a,
                      struct perr *err) PT_WARN_UNUSED;

/* ---- rate limits ----------------------------------------------------- */

/*
 * The counter key "scope:kind:value" for value, normalised so that one
 * client cannot spread its attempts over many keys: kind "user" is
 * ASCII-lower-cased (Alice@x and alice@x are one account); kind "ip"
 * counts an IPv6 address by its /64 ("2001:db8:1:2::/64"; a host picks
 * any address in its /64 freely) and an IPv4-mapped one as IPv4. Any
 * other value is used as it is. Result in a.
 */
char *store_ratelimit_key(struct arena *a, const char *scope, const char *kind,
                          const char *value);

/*
 * Count one hit on key in a fixed window: the first hit (or the first
 * after the window ended) starts a window of window_seconds at now with
 * count 1; later hits inside it add 1. *count_r gets the count including
 * this hit. Atomic (one UPSERT), safe across connections and processes.
 */
int store_ratelimit_hit(struct store *s, const char *key,
                        unsigned window_seconds, int64_t now, unsigned *count_r,
                        struct arena *a, struct perr *err) PT_WARN_UNUSED;
/* The current window's count without counting (0: none or expired). */
int store_ratelimit_check(struct store *s, const char *key,
                          unsigned window_seconds, int64_t now,
                          unsigned *count_r, struct arena *a,
                          struct perr *err) PT_WARN_UNUSED;
/* Forget key (e.g. after a successful login). */
int store_ratelimit_reset(struct store *s, const char *key, struct arena *a,
                          struct perr *err) PT_WARN_UNUSED;
/* Delete windows that started before `before`; returns rows removed. */
int store_ratelimit_purge(struct store *s, int64_t before, struct arena *a,
                          struct perr *err) PT_WARN_UNUSED;

/* ---- audit log ------------------------------------------------------- */

struct store_audit_entry {
	int64_t id;
	int64_t time;
	const char *actor;
	const char *ip;
	const char *action;
	const char *detail;
};

/* Append one entry. ip and detail may be NULL (stored as ""). */
int store_audit_append(struct store *s, int64_t time, const char *actor,
                       const char *ip, const char *action, const char *detail,
                       struct arena *a, struct perr *err) PT_WARN_UNUSED;
/*
 * The newest entries (at most limit, newest first) as an array in a.
 * *count_r may be 0 (then *entries_r may be NULL).
 */
int store_audit_recent(struct store *s, size_t limit, struct arena *a,
                       struct store_audit_entry **entries_r, size_t *count_r,
                       struct perr *err) PT_WARN_UNUSED;

/* ---- remote image senders ------------------------------------------- */

/*
 * The per-user list behind "always show images from this sender". sender
 * must already be normalised (lower-case address, validated by the
 * caller): it is stored and compared byte for byte. Adding a sender that
 * is listed, or removing one that is not, succeeds and changes nothing.
 */
int store_image_sender_add(struct store *s, const char *user,
                           const char *sender, int64_t now, struct arena *a,
                           struct perr *err) PT_WARN_UNUSED;
int store_image_sender_remove(struct store *s, const char *user,
                              const char *sender, struct arena *a,
                              struct perr *err) PT_WARN_UNUSED;
/* *has_r: whether sender is in user's list (false on failure). */
int store_image_sender_has(struct store *s, const char *user,
                           const char *sender, struct arena *a, bool *has_r,
                           struct perr *err) PT_WARN_UNUSED;
/*
 * User's senders in byte order, at most limit of them, as an array of
 * strings in a. *count_r may be 0 (then *senders_r may be NULL).
 */
int store_image_sender_list(struct store *s, const char *user, size_t limit,
                            struct arena *a, const char ***senders_r,
                            size_t *count_r, struct perr *err) PT_WARN_UNUSED;

/* ---- compose: identities, recipients, uploads, send tokens ----------- */

#define STORE_IDENTITY_MAX 100

struct store_identity {
	int64_t id; /* 0: new */
	const char *name, *email, *reply_to, *signature, *sent_folder;
	bool signature_html, signature_above, is_default;
	bool confirmed; /* read only: the address was confirmed by a link */
};

/* user's identities, the default first, at most STORE_IDENTITY_MAX. */
int store_identity_list(struct store *s, const char *user, struct arena *a,
                        struct store_identity **list_r, size_t *n_r,
                        struct perr *err) PT_WARN_UNUSED;
/*
 * Insert (id->id == 0) or update one; is_default clears the others'.
 * PERR_NOTFOUND when id->id is not user's, PERR_LIMIT for an insert when
 * user has STORE_IDENTITY_MAX already.
 */
int store_identity_save(struct store *s, const char *user,
                        const struct store_identity *id, struct arena *a,
                        int64_t *id_r, struct perr *err) PT_WARN_UNUSED;
int store_identity_delete(struct store *s, const char *user, int64_t id,
                          struct arena *a, struct perr *err) PT_WARN_UNUSED;
/*
 * A confirmation link for user's identity id is mailed: remember the
 * SHA-256 (hex) of its token until expires (replaces an earlier one).
 * PERR_NOTFOUND when id is not user's; PERR_RATE when the pending link
 * expires after busy_after (it was mailed too recently to mail another).
 */
int store_identity_confirm_begin(struct store *s, const char *user, int64_t id,
                                 const char *token_hash, int64_t expires,
                                 int64_t busy_after, struct arena *a,
                                 struct perr *err) PT_WARN_UNUSED;
/* The link could not be mailed: forget it (so another may be sent). */
int store_identity_confirm_cancel(struct store *s, const char *user, int64_t id,
                                  struct arena *a,
                                  struct perr *err) PT_WARN_UNUSED;
/*
 * The link was followed: the identity whose pending token hash this is
 * (not expired at now) becomes confirmed, and the token is used up
 * (consume false: only look). *user_r and *email_r (may be NULL) say
 * whose and which address, in a. PERR_NOTFOUND for an unknown, used or
 * expired token.
 */
int store_identity_confirm(struct store *s, const char *token_hash, int64_t now,
                           bool consume, struct arena *a, const char **user_r,
                           const char **email_r,
                           struct perr *err) PT_WARN_UNUSED;

struct store_recipient {
	const char *email, *name;
};

/* Count one use of a recipient (a non-empty name replaces the old). */
int store_recipient_used(struct store *s, const char *user, const char *email,
                         const char *name, int64_t now, struct arena *a,
                         struct perr *err) PT_WARN_UNUSED;
/* Recipients whose email or name contains q, most recent first. */
int store_recipient_suggest(struct store *s, const char *user, const char *q,
                            size_t limit, struct arena *a,
                            struct store_recipient **list_r, size_t *n_r,
                            struct perr *err) PT_WARN_UNUSED;

/* ---- contacts (the address book) --------------------------------- */

#define STORE_CONTACT_EMAILS_MAX 16

struct store_contact {
	int64_t id; /* 0: new */
	const char *name, *phone, *organization, *notes;
	const char *emails[STORE_CONTACT_EMAILS_MAX]; /* [0]: primary */
	size_t n_emails;
};

/*
 * user's contacts whose name or any address contains q (NULL or "": all),
 * sorted by name (the primary address for a nameless one), case-blind for
 * ASCII; the page [offset, offset + limit) and the number that match.
 */
int store_contact_list(struct store *s, const char *user, const char *q,
                       size_t offset, size_t limit, struct arena *a,
                       struct store_contact **list_r, size_t *n_r,
                       size_t *total_r, struct perr *err) PT_WARN_UNUSED;
/*
 * Insert (c->id == 0) or replace one, addresses included, atomically.
 * PERR_NOTFOUND when c->id is not user's; PERR_LIMIT when a new one would
 * pass max contacts. The caller validates the values.
 */
int store_contact_save(struct store *s, const char *user,
                       const struct store_contact *c, size_t max, int64_t now,
                       struct arena *a, int64_t *id_r,
                       struct perr *err) PT_WARN_UNUSED;
/*
 * Add list (ids ignored: all new) in one transaction. When the book fills
 * up, those that fitted are kept (*added_r of them, from the start of
 * list); PERR_LIMIT only if none fitted.
 */
int store_contact_import(struct store *s, const char *user,
                         const struct store_contact *list, size_t n, size_t max,
                         int64_t now, struct arena *a, size_t *added_r,
                         struct perr *err) PT_WARN_UNUSED;
/* Delete user's contacts among ids (others' are ignored); *n_r deleted. */
int store_contact_delete(struct store *s, const char *user, const int64_t *ids,
                         size_t n_ids, struct arena *a, size_t *n_r,
                         struct perr *err) PT_WARN_UNUSED;
/*
 * Addresses of contacts whose name or address contains q, one entry per
 * address, by contact name then position.
 */
int store_contact_suggest(struct store *s, const char *user, const char *q,
                          size_t limit, struct arena *a,
                          struct store_recipient **list_r, size_t *n_r,
                          struct perr *err) PT_WARN_UNUSED;

struct store_upload {
	const char *id, *user, *session_hash, *name, *type, *path;
	uint64_t size;
	int64_t created;
};

/*
 * Record an upload unless the user's uploads (all their sessions, the
 * user compared ASCII case-insensitively) would then pass max_total bytes
 * (PERR_LIMIT); checked and inserted atomically.
 */
int store_upload_add(struct store *s, const struct store_upload *u,
                     uint64_t max_total, struct arena *a,
                     struct perr *err) PT_WARN_UNUSED;
/* The session's upload id; PERR_NOTFOUND for another session's. */
int store_upload_get(struct store *s, const char *session_hash, const char *id,
                     struct arena *a, struct store_upload *u_r,
                     struct perr *err) PT_WARN_UNUSED;
int store_upload_delete(struct store *s, const char *id, struct arena *a,
                        struct perr *err) PT_WARN_UNUSED;
/*
 * Uploads to remove: session_hash's (may be NULL) and those of sessions
 * that expired or are gone, at most limit. The caller unlinks the files
 * and deletes the rows.
 */
int store_upload_stale(struct store *s, const char *session_hash, int64_t now,
                       size_t limit, struct arena *a,
                       struct store_upload **list_r, size_t *n_r,
                       struct perr *err) PT_WARN_UNUSED;

enum {
	STORE_TOKEN_CLAIMED = 0, /* new: the caller sends */
	STORE_TOKEN_DONE = 1,    /* sent before: *result_r is the result */
	STORE_TOKEN_BUSY = 2,    /* another request is sending it now */
};

/*
 * Claim a send token atomically. A claim still unfinished and created
 * before stale_before (its request died) is taken over. Returns a
 * STORE_TOKEN_* value or -1.
 */
int store_send_token_claim(struct store *s, const char *user, const char *token,
                           int64_t now, int64_t stale_before, struct arena *a,
                           char **result_r, struct perr *err) PT_WARN_UNUSED;
/* Record the result (JSON text); NULL releases the claim (failure). */
int store_send_token_finish(struct store *s, const char *user,
                            const char *token, const char *result,
                            struct arena *a, struct perr *err) PT_WARN_UNUSED;

/* ---- labels (issue 17) ------------------------------------------- */

/*
 * A user's label definitions live in user_settings under the key
 * "labels" (one row per user, no table of their own: the list is short,
 * always read whole, and changes as a whole inside a transaction).
 */
struct store_label {
	const char *keyword; /* IMAP keyword: 1..64 bytes, no space/control */
	const char *name;    /* UTF-8, 1..128 bytes, no control character */
	const char *colour;  /* palette name: 1..16 bytes of a-z */
};

#define STORE_LABELS_MAX 64

/*
 * user's labels in their order, in a. *saved_r is false (and *n_r 0)
 * when the user never saved a list: the caller shows its defaults. A
 * stored line that no longer validates is skipped.
 */
int store_labels_get(struct store *s, const char *user, struct arena *a,
                     struct store_label **labels_r, size_t *n_r, bool *saved_r,
                     struct perr *err) PT_WARN_UNUSED;
/*
 * Replace user's list (n may be 0: an empty list, not the defaults).
 * PERR_INPUT for a field out of its bounds or a keyword twice
 * (compared without ASCII case, as IMAP servers do), PERR_LIMIT past
 * STORE_LABELS_MAX.
 */
int store_labels_set(struct store *s, const char *user,
                     const struct store_label *labels, size_t n, int64_t now,
                     struct arena *a, struct perr *err) PT_WARN_UNUSED;
/* ---- snoozed messages (snooze.c, migration 0008) --------------------- */

enum store_snooze_state {
	STORE_SNOOZE_WAITING = 0, /* in the Snoozed folder */
	STORE_SNOOZE_RETURNED,    /* in INBOX again; the Snoozed copy left */
};

struct store_snooze {
	int64_t id;
	const char *user;
	const char *folder;        /* where it waits */
	uint32_t uidvalidity, uid; /* uid 0: unknown (find by message_id) */
	const char *message_id;    /* "" if none */
	const char *origin;        /* the folder it was snoozed from */
	int64_t until;             /* when it wakes (Unix seconds) */
	int64_t due;               /* the next try: until, later on failure */
	int64_t created;
	enum store_snooze_state state;
	int attempts; /* failed tries so far */
	const char *last_error;
	struct strv sealed; /* the sealed password; STRV_NULL: none */
};

/*
 * Record that user's message waits in folder until r->until (r->due is
 * set to it). A row for the same message (user, folder, UIDVALIDITY and
 * a non-zero UID) is updated instead: a second snooze moves its time.
 * *id_r gets the row's id.
 */
int store_snooze_put(struct store *s, const struct store_snooze *r, int64_t now,
                     int64_t *id_r, struct arena *a,
                     struct perr *err) PT_WARN_UNUSED;
/* Where the message is now (after the MOVE told its UID). */
int store_snooze_set_uid(struct store *s, int64_t id, uint32_t uidvalidity,
                         uint32_t uid, struct arena *a,
                         struct perr *err) PT_WARN_UNUSED;
/*
 * user's snoozes by wake time, at most limit (sealed not loaded). *v_r
 * in a.
 */
int store_snooze_list(struct store *s, const char *user, size_t limit,
                      struct arena *a, struct store_snooze **v_r, size_t *n_r,
                      struct perr *err) PT_WARN_UNUSED;
/* user's row for folder/uid (UIDVALIDITY uidvalidity): 1, 0 none, -1. */
int store_snooze_find(struct store *s, const char *user, const char *folder,
                      uint32_t uidvalidity, uint32_t uid, struct arena *a,
                      struct store_snooze *r_r,
                      struct perr *err) PT_WARN_UNUSED;
/*
 * Claim the earliest row due at now whose lease (if any) ran out, for
 * owner until now + lease. 1 with *r_r (sealed loaded), 0 when nothing
 * is due, -1.
 */
int store_snooze_claim(struct store *s, const char *owner, int64_t now,
                       int64_t lease, struct arena *a, struct store_snooze *r_r,
                       struct perr *err) PT_WARN_UNUSED;
/* The earliest time a row becomes claimable: 1 with *when_r, 0 none. */
int store_snooze_next_due(struct store *s, int64_t *when_r, struct arena *a,
                          struct perr *err) PT_WARN_UNUSED;
/* The copy in INBOX exists: never append it again. */
int store_snooze_returned(struct store *s, int64_t id, struct arena *a,
                          struct perr *err) PT_WARN_UNUSED;
/*
 * A try failed: count it, keep why, try again at due and release the
 * lease.
 */
int store_snooze_retry(struct store *s, int64_t id, int64_t due,
                       const char *why, struct arena *a,
                       struct perr *err) PT_WARN_UNUSED;
/* The snooze ended (woken, unsnoozed or gone): the row and its seal go. */
int store_snooze_delete(struct store *s, int64_t id, struct arena *a,
                        struct perr *err) PT_WARN_UNUSED;
/* Replace row id's sealed password (sealed for that row). */
int store_snooze_seal(struct store *s, int64_t id, struct strv sealed,
                      struct arena *a, struct perr *err) PT_WARN_UNUSED;

#endif
