/*
 * session - who is signed in, and the secrets that prove it.
 *
 * A session is a row in the store plus a cookie. The cookie value is
 * "<id>.<secret>": id is 16 random bytes (hex), secret 32 random bytes
 * (base64url). The store keeps only SHA-256(id) as the row key, the IMAP
 * password encrypted with AES-256-GCM under a key derived from the secret
 * (HMAC-SHA256), and SHA-256 of the CSRF token. The secret itself is
 * never written anywhere on the server, so the database alone - a backup,
 * a stolen disk - gives back no password and no usable session.
 *
 * The ciphertext is bound to its row: the GCM additional data is the id
 * hash and the user, so a ciphertext moved to another row fails to open.
 *
 * Expiry: a session ends when it has been idle longer than its idle limit
 * or when its absolute lifetime is over, whichever comes first. A new id
 * is made at every login (no fixation); logout deletes the row.
 */
#ifndef PETREL_SESSION_H
#define PETREL_SESSION_H

#include "core/core.h"

struct store;

#define SESSION_COOKIE "petrel_session"
/*
 * The name over HTTPS: a "__Host-" cookie is only accepted by browsers
 * with Secure, Path=/ and no Domain, so a sibling subdomain (another
 * site of the same hosting account) cannot plant or overwrite one. Over
 * HTTPS only this name is read; the plain name is for plain HTTP (tests,
 * a local install), so a planted petrel_session is never taken for ours.
 */
#define SESSION_COOKIE_HOST "__Host-petrel_session"
/* Header that carries the CSRF token on every state-changing request. */
#define SESSION_CSRF_HEADER "X-Petrel-Token"

struct session_opts {
	unsigned idle_seconds;     /* idle limit for a normal sign-in */
	unsigned absolute_seconds; /* lifetime of any session */
	bool remember;             /* "keep me signed in": idle = absolute */
};

struct session {
	char *id_hash; /* hex SHA-256 of the id: the row key */
	char *user;    /* normalised address "user@domain" */
	int64_t created, last_seen, expires;
	unsigned idle_seconds;
	/* private: the key from the cookie and the sealed password */
	unsigned char key[32];
	struct strv password_enc, nonce;
	char *csrf_hash;
};

/*
 * Start a session for user with the IMAP password. *cookie_r gets the
 * cookie value to send, *csrf_r the CSRF token the page must echo; both
 * in a. The secret part of the cookie exists only in *cookie_r.
 */
int session_create(struct store *st, const char *user, struct strv password,
                   const char *ip, const char *user_agent, int64_t now,
                   const struct session_opts *o, struct arena *a,
                   struct session **s_r, char **cookie_r, char **csrf_r,
                   struct perr *err) PT_WARN_UNUSED;

/*
 * The session a cookie value names. PERR_AUTH when the cookie is
 * malformed, unknown, expired (the row is then deleted) or its secret
 * does not open the sealed password (a forged or tampered cookie).
 * Refreshes last_seen at most once a minute.
 */
int session_load(struct store *st, struct strv cookie, int64_t now,
                 struct arena *a, struct session **s_r,
                 struct perr *err) PT_WARN_UNUSED;

/*
 * session_load() without refreshing last_seen: for requests the user did
 * not make (a live-update stream that EventSource reopens by itself must
 * not keep an idle session alive).
 */
int session_peek(struct store *st, struct strv cookie, int64_t now,
                 struct arena *a, struct session **s_r,
                 struct perr *err) PT_WARN_UNUSED;

/*
 * 0 if the session with this id hash still exists and has not expired at
 * now; PERR_AUTH if it ended (logout, admin, expiry). Reads only: does
 * not refresh last_seen.
 */
int session_alive(struct store *st, const char *id_hash, int64_t now,
                  struct arena *a, struct perr *err) PT_WARN_UNUSED;

/*
 * Called (from the thread that ended them) after session_destroy,
 * session_destroy_user or session_end_by_hash removed sessions, so live
 * streams can recheck at once rather than at their next periodic check.
 * One hook per process; NULL removes it. fn must be quick and must not
 * call back into session.
 */
typedef void session_end_fn(void *ctx);
void session_set_end_hook(session_end_fn *fn, void *ctx);

/*
 * Decrypt the IMAP password into out (use a buffer flagged secret; it is
 * cleansed when released). PERR_AUTH if it does not open.
 */
int session_password(const struct session *s, struct sbuf *out,
                     struct perr *err) PT_WARN_UNUSED;

/*
 * Replace the sealed password (the user changed it): sealed again under
 * the session's key with a new nonce, stored, and s updated, so the same
 * cookie keeps working.
 */
int session_reseal(struct store *st, struct session *s, struct strv password,
                   struct arena *a, struct perr *err) PT_WARN_UNUSED;

/*
 * The session's CSRF token (derived from the cookie's secret, so it can be
 * put in every page without being stored), in a; NULL past the limit.
 */
char *session_csrf_token(const struct session *s, struct arena *a);
/* Constant-time check of a CSRF token against the session's. */
bool session_csrf_ok(const struct session *s, struct strv token);

/* End one session (logout). */
int session_destroy(struct store *st, const struct session *s, struct arena *a,
                    struct perr *err) PT_WARN_UNUSED;
/* End every session of a user (admin, password change). Returns count. */
int session_destroy_user(struct store *st, const char *user, struct arena *a,
                         struct perr *err) PT_WARN_UNUSED;
/* Delete expired rows; returns how many went. */
int session_purge(struct store *st, int64_t now, struct arena *a,
                  struct perr *err) PT_WARN_UNUSED;
/* Number of sessions alive at now (admin dashboard). */
int session_count_active(struct store *st, int64_t now, struct arena *a,
                         unsigned *count_r, struct perr *err) PT_WARN_UNUSED;

/* What the admin's security page shows of a session (no secrets). */
struct session_info {
	char *id_hash, *user, *ip;
	int64_t created, last_seen, expires;
};
/*
 * Up to limit sessions alive at now, the most recently seen first
 * (*v_r in a).
 */
int session_list_active(struct store *st, int64_t now, size_t limit,
                        struct arena *a, struct session_info **v_r, size_t *n_r,
                        struct perr *err) PT_WARN_UNUSED;
/* End one session by its id hash (admin); PERR_NOTFOUND if none. */
int session_end_by_hash(struct store *st, const char *id_hash, struct arena *a,
                        struct perr *err) PT_WARN_UNUSED;

/* ---- sealed for later: secrets for work done while the user is away ---- */

/*
 * A held or scheduled send (or a snooze wake-up) runs with no cookie, so
 * the session key cannot open the password then. These seal it instead
 * under the server's job key: 32 random bytes in key_path (see
 * session_away_key_path), mode 0600, owned by the owner of its directory,
 * created atomically on first use (two processes racing both end up with
 * the one file that won). The GCM additional data binds a sealed value to
 * purpose, user and row: it opens for exactly that triple.
 *
 * The trade-off (docs/ARCHITECTURE.md, "Secrets of pending jobs"): the
 * database alone still gives back nothing; the database and the key file
 * together give the passwords of jobs still pending, which is why the
 * caller deletes a sealed value the moment its job ends or is cancelled.
 */
#define SESSION_AWAY_KEY_NAME "job.key"

/* key_path for the storage directory storage_dir (config_paths), in a. */
char *session_away_key_path(const char *storage_dir, struct arena *a);

/*
 * Seal plain for (purpose, user, row). *sealed_r = nonce || ciphertext ||
 * tag, in a. PERR_INTERNAL when the key file cannot be read or made.
 */
int session_seal_away(const char *key_path, const char *purpose,
                      const char *user, int64_t row, struct strv plain,
                      struct strv *sealed_r, struct arena *a,
                      struct perr *err) PT_WARN_UNUSED;
/*
 * Open what session_seal_away sealed into out (use a buffer flagged
 * secret). PERR_AUTH when it does not open: another purpose, user or row,
 * tampered bytes or another key. The key file is never created here.
 */
int session_open_away(const char *key_path, const char *purpose,
                      const char *user, int64_t row, struct strv sealed,
                      struct sbuf *out, struct arena *a,
                      struct perr *err) PT_WARN_UNUSED;

#endif
