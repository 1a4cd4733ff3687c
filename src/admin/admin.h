/*
 * admin - the hidden admin backend: credentials, the key gate, admin
 * sessions, TOTP, domain files and connection tests.
 *
 * Secrets and where they live:
 * - `petrel admin init` generates the admin name, password and secret key
 *   and keeps only hashes in application.ini: [security] admin_login
 *   (the name, plain), admin_password (scrypt), [admin_panel] key
 *   (an HMAC-SHA256 under a random key of the install's own). The plain
 *   values exist only in the root-only credentials file, which the running
 *   server never reads.
 * - Every check of the password costs the same whether it is right, wrong,
 *   or there is nothing configured to check against (a fixed dummy hash
 *   with the same parameters is used); every check compares in constant
 *   time, so that neither the answer's timing nor its shape tells an
 *   attacker anything. The key check is one HMAC (it runs for any request
 *   with a query), and nothing at all while the panel is off.
 * - Admin sessions are rows of their own table (admin_sessions) with
 *   their own cookie; a user session never grants admin rights. The
 *   cookie value is 32 random bytes (hex); the table keeps SHA-256 of it.
 *   The CSRF token is an HMAC of the cookie, so it is never stored.
 *
 * Functions below the web layer never log; they return struct perr.
 */
#ifndef PETREL_ADMIN_H
#define PETREL_ADMIN_H

#include "core/core.h"

struct config;
struct config_paths;
struct store;

#define ADMIN_COOKIE "petrel_admin"
/* The admin pages and their API live under this path (cookie Path). */
#define ADMIN_PATH "/admin"
/* Admin sessions: short idle limit, bounded lifetime. */
#define ADMIN_SESSION_IDLE_S (15 * 60)
#define ADMIN_SESSION_ABSOLUTE_S (8 * 3600)
/* Default credentials file name in root's home (SnappyMail's). */
#define ADMIN_CREDENTIALS_NAME ".snappymail"

/* ---- hashing --------------------------------------------------------- */

enum admin_hash_kind {
	/*
	 * "$scrypt$N$r$p$<salt hex>$<hash hex>", N = 32768, r = 8, p = 1
	 * (32 MB, about 0.1 s): the admin password, checked once per login.
	 */
	ADMIN_HASH_PASSWORD,
	/*
	 * "hmac-sha256$<mac key hex>$<mac hex>": the secret key, checked on
	 * every request that carries a query, so one HMAC-SHA256 under a
	 * random 32-byte key made with the hash. Older installs keep
	 * "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" (100000
	 * iterations), which still verifies (admin_key_hash_is_legacy) until
	 * the admin's next sign-in stores the HMAC form.
	 */
	ADMIN_HASH_KEY,
};

/* Hash secret with a fresh random salt; the text is in a. */
int admin_hash(enum admin_hash_kind kind, struct strv secret, struct arena *a,
               char **hash_r, struct perr *err) PT_WARN_UNUSED;
/*
 * True if secret matches hash. ADMIN_HASH_PASSWORD with hash NULL, empty
 * or malformed: the work is done anyway against a dummy of the same cost
 * and false returned, so a missing configuration takes as long as a wrong
 * secret. ADMIN_HASH_KEY: a malformed hash is false at once (an HMAC is
 * too cheap to time). Parameters in hash above sane bounds (N > 2^20,
 * 10^7 iterations) are refused.
 */
bool admin_hash_verify(enum admin_hash_kind kind, const char *hash,
                       struct strv secret);
/*
 * True if hash is a bcrypt hash ("$2y$", "$2b$" or "$2a$", cost 4-16):
 * SnappyMail's admin password (PHP password_hash). admin_hash_verify()
 * accepts it for ADMIN_HASH_PASSWORD through libcrypt's crypt_rn, so a
 * SnappyMail admin password keeps working; it stays bcrypt until
 * `petrel admin passwd` or `admin init` replaces it with scrypt.
 */
bool admin_hash_is_bcrypt(const char *hash);
/* hash is a key hash of the slow, older "pbkdf2-sha256$" form. */
bool admin_key_hash_is_legacy(const char *hash);
/* hash is a key hash of either form (else: SnappyMail's clear key). */
bool admin_key_hash_is_known(const char *hash);

/* ---- generated credentials ------------------------------------------- */

/* "admin_" + 8 random hex digits, in a. */
char *admin_generate_name(struct arena *a);
/* 16 random letters and digits (about 95 bits), in a. */
char *admin_generate_password(struct arena *a);

/* ---- checks the web panel and `admin init` share --------------------- */

/* [admin_panel] allow is On and a key hash and password hash are set. */
bool admin_panel_enabled(const struct config *cfg);
/*
 * True if key ("admin_f0e5a5aa", without '?') opens the panel. The panel
 * off: false without any work. Else one HMAC compared in constant time
 * (a legacy PBKDF2 hash: one derivation, so callers rate-limit first).
 */
bool admin_key_verify(const struct config *cfg, struct strv key);
/*
 * True if user + password are the admin's. Always does one password
 * derivation; the user name is compared in constant time too.
 */
bool admin_login_verify(const struct config *cfg, struct strv user,
                        struct strv password);

/* ---- TOTP (RFC 6238 over RFC 4226 HOTP, SHA-1, 6 digits, 30 s) -------- */

/* A new secret: 20 random bytes as unpadded base32 (32 chars), in a. */
char *admin_totp_secret_new(struct arena *a);
/* The code for time t; -1 if the secret is not valid base32. */
int admin_totp_code(const char *secret_b32, int64_t t,
                    unsigned *code_r) PT_WARN_UNUSED;
/* True if code (6 digits) matches at now, or one step before/after. */
bool admin_totp_verify(const char *secret_b32, struct strv code, int64_t now);
/* The same, and *step_r = the matching step (time / 30; the latest one). */
bool admin_totp_match_step(const char *secret_b32, struct strv code,
                           int64_t now, int64_t *step_r);
/*
 * admin_totp_verify() for a sign-in, where a code may open one session
 * only: the step (time / 30) of the matching code must be newer than the
 * last step accepted, which is remembered in st (one compare-and-set, so
 * two requests racing with one code cannot both pass). False on any
 * store error. a: scratch for the store.
 */
bool admin_totp_verify_once(struct store *st, const char *secret_b32,
                            struct strv code, int64_t now, struct arena *a);
/* "otpauth://totp/Issuer:account?secret=...&issuer=...", in a. */
char *admin_totp_uri(const char *issuer, const char *account,
                     const char *secret_b32, struct arena *a);
/*
 * The QR code of text as an SVG image (black modules on white), in a, or
 * NULL when Petrel was built without libqrencode or encoding failed.
 */
char *admin_qr_svg(const char *text, struct arena *a);

/* ---- the credentials file -------------------------------------------- */

/* "$HOME_OF_UID_0/.snappymail" (from the passwd entry of uid 0), in a. */
char *admin_credentials_default_path(struct arena *a);

/*
 * Write "Username: U\nPassword: P\nSecret key: K\n" to path atomically:
 * a temp file (O_EXCL, mode 0600, owner root when run as root) in the
 * same directory is written, fsync()ed and renamed over path, then the
 * directory is fsync()ed. Refused (PERR_FORBIDDEN) when path is a symlink
 * or not a regular file, or belongs to another user than the caller.
 */
int admin_credentials_write(const char *path, const char *user,
                            const char *password, const char *key,
                            struct arena *a, struct perr *err) PT_WARN_UNUSED;
/*
 * Read the three values back (for `admin passwd`, which keeps name and
 * key). PERR_NOTFOUND when the file does not exist; the same symlink and
 * owner checks as the writer. Results in a.
 */
int admin_credentials_read(const char *path, struct arena *a, char **user_r,
                           char **password_r, char **key_r,
                           struct perr *err) PT_WARN_UNUSED;

/* ---- the record of a written credentials file ------------------------ */

/*
 * The running server never sees the credentials file (root's home, and
 * the unit's ProtectHome=yes and user petrel), so init and passwd leave
 * configs/ADMIN_CRED_RECORD_NAME in the data directory: the file's path
 * and when it was written. The dashboard warns while it exists.
 */
#define ADMIN_CRED_RECORD_NAME "admin_credentials.ini"

struct admin_cred_record {
	bool found;      /* false: no record (the other fields are empty) */
	char *path;      /* the credentials file, in a */
	int64_t written; /* unix time; 0 if unknown */
};

/* configs_dir/ADMIN_CRED_RECORD_NAME, in a. */
char *admin_cred_record_path(const char *configs_dir, struct arena *a);
/*
 * Record that cred_path was written at time written (atomic save, mode
 * 0640). Run as root in a data directory owned by another user, the record
 * is given to the owner of configs_dir, so the server can read and remove it.
 */
int admin_cred_record_write(const char *configs_dir, const char *cred_path,
                            int64_t written, struct arena *a,
                            struct perr *err) PT_WARN_UNUSED;
/* The record, or rec_r->found false when there is none. */
int admin_cred_record_read(const char *configs_dir, struct arena *a,
                           struct admin_cred_record *rec_r,
                           struct perr *err) PT_WARN_UNUSED;
/* Remove the record (the admin confirmed the deletion); none is fine. */
int admin_cred_record_clear(const char *configs_dir, struct arena *a,
                            struct perr *err) PT_WARN_UNUSED;
/*
 * `petrel admin credentials-deleted`: with a record, check that its file
 * is gone (lstat ENOENT) and remove the record. The file still there:
 * PERR_CONFLICT; cannot tell (EACCES, not root): PERR_FORBIDDEN. No record:
 * 0 with rec_r->found false.
 */
int admin_credentials_deleted(const char *data_dir, struct arena *a,
                              struct admin_cred_record *rec_r,
                              struct perr *err) PT_WARN_UNUSED;

/* ---- install commands ------------------------------------------------ */

struct admin_init_result {
	const char *user, *password, *key; /* the new plain values, in a */
	const char *credentials_file;      /* where they were written */
	const char *application_ini;
};

/*
 * `petrel admin init`: create the data layout if missing, generate and
 * store new credentials (rotating any old ones; admin sessions opened
 * with the old ones stop working, see admin_cred_tag), write the credentials
 * file, then load the config afresh and check that exactly these credentials
 * pass admin_key_verify() and admin_login_verify(). credentials_file NULL: the
 * default path.
 */
int admin_init(const char *data_dir, const char *credentials_file,
               struct arena *a, struct admin_init_result *res_r,
               struct perr *err) PT_WARN_UNUSED;
/*
 * `petrel admin passwd`: a new password only (and the admin sessions
 * end); the credentials file is rewritten when it exists. Verified like
 * admin_init. res_r->key is NULL when the file was absent.
 */
int admin_passwd(const char *data_dir, const char *credentials_file,
                 struct arena *a, struct admin_init_result *res_r,
                 struct perr *err) PT_WARN_UNUSED;

/* ---- taking over a SnappyMail install -------------------------------- */

struct admin_takeover_result {
	bool key_hashed;      /* a clear panel key became a key hash */
	bool old_key_removed; /* [security] admin_panel_key was removed */
	bool login_defaulted; /* admin_login "admin" (SnappyMail's default) */
	bool bcrypt_password; /* the password is SnappyMail's bcrypt hash */
	bool key_legacy;      /* the key hash is the slow PBKDF2 form */
};

/*
 * Run at every `petrel serve` start (a no-op once done): SnappyMail keeps
 * the admin panel key in clear text in application.ini ([admin_panel] key,
 * older files [security] admin_panel_key). The clear key is lower-cased
 * (SnappyMail compares it case-insensitively), stored as Petrel's key
 * hash (ADMIN_HASH_KEY) in [admin_panel] key, and every clear copy is removed,
 * in one atomic rewrite that keeps comments and unknown keys. The bcrypt
 * password is left as it is (admin_hash_is_bcrypt); with a bcrypt password and
 * no admin_login, the login becomes SnappyMail's default "admin". No
 * application.ini: nothing to do. Returns 0 (see res_r) or -1.
 */
int admin_takeover(const char *data_dir, struct arena *a,
                   struct admin_takeover_result *res_r,
                   struct perr *err) PT_WARN_UNUSED;

/* ---- application.ini edits ------------------------------------------- */

struct admin_setting {
	const char *section, *key;
	const char *value; /* NULL: remove the key */
	bool raw;          /* write unquoted (On/Off, numbers) */
};

/*
 * Apply settings to application.ini in one atomic save, keeping comments
 * and keys it does not touch. Values are validated by the caller.
 */
int admin_app_settings_write(const struct config_paths *paths,
                             const struct admin_setting *set, size_t n,
                             struct arena *a, struct perr *err) PT_WARN_UNUSED;

/* ---- domains --------------------------------------------------------- */

/* The keys the admin's domain form edits, in display order. */
enum admin_field_type {
	ADMIN_F_HOST,
	ADMIN_F_PORT,
	ADMIN_F_SECURE,
	ADMIN_F_BOOL,
	ADMIN_F_TEXT,
	ADMIN_F_SECRET, /* never shown back; empty input keeps the old */
	ADMIN_F_TIMEOUT,
};

struct admin_domain_field {
	const char *key; /* ini key, also the form field name */
	enum admin_field_type type;
	const char *def; /* default shown for a new domain */
};

extern const struct admin_domain_field admin_domain_fields[];
extern const size_t admin_domain_field_count;

/* A domain as a form: one value and one error per field. */
struct admin_domain_form {
	const char *name;
	const char *name_error;
	const char **values; /* parallel to admin_domain_fields */
	const char **errors; /* NULL or an error message key (L_ADMIN_ERR_*) */
	bool disabled;
};

/* A form filled with the defaults (new domain), in a. */
struct admin_domain_form *admin_domain_form_new(struct arena *a);
/*
 * Fill a form from the file that defines the domain: <name>.json (its
 * typed values, as the loader reads them) or <name>.ini (the raw values);
 * '*' may be spelled _wildcard_ on disk. PERR_NOTFOUND if none, PERR_INPUT
 * for an alias (edit its target) or a malformed file ("path:line: ...").
 * Values not in the file get the defaults; `disabled` also comes from the
 * domains/disabled list.
 */
int admin_domain_form_load(const struct config_paths *paths, const char *name,
                           struct arena *a, struct admin_domain_form **form_r,
                           struct perr *err) PT_WARN_UNUSED;
/* True if name is a domain file name we accept ("ex.com", "*", "*.ex",
 * "default"). */
bool admin_domain_name_ok(struct strv name);
/* Validate every field; sets errors[] and name_error. True if all good. */
bool admin_domain_form_validate(struct admin_domain_form *f);
/*
 * Write the form in the format the domain's file has: a .json gets only
 * the values that changed, in SnappyMail's keys (Petrel-only ones in its
 * "petrel" object), every other key kept; an .ini keeps comments and
 * unknown keys; a new domain gets <name>.ini (0640). Secrets left empty
 * keep their old value. The form must have passed validation.
 */
int admin_domain_save(const struct config_paths *paths,
                      const struct admin_domain_form *f, struct arena *a,
                      struct perr *err) PT_WARN_UNUSED;
/*
 * Disable or enable a domain: an .ini's `disabled` key, a .json's entry
 * in the domains/disabled list; enabling clears both.
 */
int admin_domain_set_disabled(const struct config_paths *paths,
                              const char *name, bool disabled, struct arena *a,
                              struct perr *err) PT_WARN_UNUSED;
/*
 * Delete every file of the domain (.json, .ini, .alias, as SnappyMail
 * does) and its entry in the disabled list; PERR_NOTFOUND if none.
 */
int admin_domain_delete(const struct config_paths *paths, const char *name,
                        struct arena *a, struct perr *err) PT_WARN_UNUSED;

/* ---- the server-wide default relay (relay.c) -------------------------- */

/*
 * [relay] host, port, secure, user, password of application.ini as a form
 * (the admin's General page). An empty host switches the relay off.
 */
enum admin_relay_field {
	ADMIN_RELAY_HOST,
	ADMIN_RELAY_PORT,
	ADMIN_RELAY_SECURE,
	ADMIN_RELAY_USER,
	ADMIN_RELAY_PASSWORD, /* write-only: "" keeps the stored one */
	ADMIN_RELAY_NFIELDS
};

struct admin_relay_form {
	const char *values[ADMIN_RELAY_NFIELDS];
	const char *errors[ADMIN_RELAY_NFIELDS]; /* NULL or L_ADMIN_ERR_* */
	bool has_password;                       /* a password is stored */
};

/* The [relay] key (and form field suffix) of a field: "host", ... */
const char *admin_relay_key(enum admin_relay_field f);
/* The form with the running configuration's values (no password). */
void admin_relay_form_current(const struct config *cfg, struct arena *a,
                              struct admin_relay_form *f);
/*
 * Check every field (values must not be NULL) and canonicalise secure;
 * a user needs a password (typed now or stored), and a password is not
 * sent in clear to a host other than loopback. True if all good.
 */
bool admin_relay_form_validate(struct admin_relay_form *f);
/*
 * Write [relay] in one atomic save of application.ini: an empty password
 * keeps the stored one, an empty user removes the password.
 */
int admin_relay_save(const struct config_paths *paths,
                     const struct admin_relay_form *f, struct arena *a,
                     struct perr *err) PT_WARN_UNUSED;

/* ---- validators (forms) ---------------------------------------------- */

/* A host name, IPv4 or [IPv6] literal without control characters. */
bool admin_valid_host(struct strv s);
bool admin_valid_port(struct strv s, unsigned *port_r);
/* "None" | "SSL" | "TLS" (case-insensitive); *canon_r the spelling. */
bool admin_valid_secure(struct strv s, const char **canon_r);
/* On/Off style; *canon_r "On" or "Off". */
bool admin_valid_bool(struct strv s, const char **canon_r);
bool admin_valid_uint(struct strv s, unsigned min, unsigned max, unsigned *v_r);

/* ---- branding (branding.c) ------------------------------------------ */

/*
 * The logo and favicon: uploaded files in DATA/.../storage/branding/,
 * named "<kind>-<16 hex of SHA-256>.<ext>" and recorded in application.ini
 * as [webmail] logo / favicon. Raster formats only; SVG is refused.
 */
enum admin_brand { ADMIN_BRAND_LOGO, ADMIN_BRAND_FAVICON };

#define ADMIN_BRAND_MAX_BYTES (512 * 1024)
#define ADMIN_BRAND_MAX_SIDE 4096

struct admin_image_info {
	const char *ext;  /* "png", "jpg", "webp", "ico" */
	const char *mime; /* "image/png", ... */
	unsigned width, height;
};

/* "logo" or "favicon" (also the ini key and the URL's last segment). */
const char *admin_brand_name(enum admin_brand b);
/*
 * Identify an image by its magic bytes (PNG, JPEG, WebP, ICO) and read
 * its dimensions. Returns NULL when it is acceptable, else the message
 * key of the reason (L_ADMIN_ERR_IMAGE_NONE, _SIZE over
 * ADMIN_BRAND_MAX_BYTES, _SVG, _TYPE, _DIMENSIONS: 0 or over
 * ADMIN_BRAND_MAX_SIDE). *info_r is filled on success.
 */
const char *admin_image_sniff(struct strv data,
                              struct admin_image_info *info_r);
/*
 * Check data with admin_image_sniff and write it atomically (temp file,
 * fsync, rename; mode 0640) to storage/branding/, created 0750 if
 * missing. *file_r is the new file name (in a). A refused image is
 * PERR_INPUT with the reason's message key as err->msg.
 */
int admin_brand_store(const struct config_paths *paths, enum admin_brand b,
                      struct strv data, struct arena *a, char **file_r,
                      struct perr *err) PT_WARN_UNUSED;
/*
 * Delete a stored file; nothing to do for "" or a missing file. A name
 * admin_brand_file_ok refuses is PERR_INPUT and nothing is touched.
 */
int admin_brand_unlink(const struct config_paths *paths, enum admin_brand b,
                       const char *file, struct arena *a,
                       struct perr *err) PT_WARN_UNUSED;
/* True if file has the form admin_brand_store gives b's files. */
bool admin_brand_file_ok(enum admin_brand b, const char *file);
/*
 * The part of a stored name that changes with the contents (the 16 hex
 * digits, for ?v=), a view into file.
 */
struct strv admin_brand_version(const char *file);
/* The Content-Type for a stored name, by its extension. */
const char *admin_brand_mime(const char *file);
/*
 * Read a whole regular file of at most max bytes into a (symlinks are not
 * followed). PERR_NOTFOUND when it does not exist, PERR_LIMIT when larger.
 */
int admin_file_read(const char *path, size_t max, struct arena *a,
                    struct strv *data_r, struct perr *err) PT_WARN_UNUSED;

/* ---- connection tests ------------------------------------------------ */

enum admin_proto { ADMIN_PROTO_IMAP, ADMIN_PROTO_SMTP, ADMIN_PROTO_SIEVE };

struct admin_probe_opts {
	enum admin_proto proto;
	const char *host;
	unsigned port;
	const char *secure; /* "None" | "SSL" | "TLS" */
	bool verify;
	const char *ca_file; /* NULL or "": the system store */
	unsigned timeout_s;
	/*
	 * Optional test login; NULL: none. IMAP: LOGIN through imap/;
	 * SMTP: AUTH PLAIN (RFC 4954) after the (post-STARTTLS) EHLO;
	 * ManageSieve: AUTHENTICATE "PLAIN" (RFC 5804). The password is
	 * never logged, and the buffers that carried it are cleansed.
	 */
	const char *login_user, *login_password;
};

struct admin_probe_result {
	bool ok;     /* reached the server and talked to it */
	unsigned ms; /* wall time of the whole probe */
	const char *greeting;
	const char *capabilities; /* space separated */
	bool tls;
	bool tls_verified;
	const char *tls_version, *tls_subject, *tls_issuer, *tls_not_after;
	const char *tls_verify_error;
	const char *error; /* plain language, when !ok */
	const char *hint;  /* what to do about it, or NULL */
	int login;         /* -1 not tried, 0 failed, 1 ok */
	/* Why the login failed: the server's own reply line when it had one. */
	const char *login_error;
};

/*
 * Connect, read the greeting and capabilities (IMAP CAPABILITY, SMTP
 * EHLO, ManageSieve's greeting), run STARTTLS when secure is "TLS" and
 * read them again, sign in with the test account when one is given, then
 * say goodbye. Never fails as a call: the outcome is in *res_r (strings
 * in a).
 */
void admin_probe(const struct admin_probe_opts *o, struct arena *a,
                 struct admin_probe_result *res_r);

/* ---- admin sessions -------------------------------------------------- */

struct admin_session {
	char *id_hash;
	char *admin;    /* the admin's name */
	char *cred_tag; /* admin_cred_tag() when it was opened */
	char *ip;
	int64_t created, last_seen, expires;
	char *csrf; /* derived from the cookie */
};

/*
 * A fingerprint of the admin's name and password hash (hex, in a). A
 * session is only valid while it matches the config's current one, so
 * new credentials end old sessions without the install command having
 * to open the database of a running server.
 */
char *admin_cred_tag(const struct config *cfg, struct arena *a);
/* Start a session; *cookie_r and *csrf_r (in a) go to the browser. */
int admin_session_create(struct store *st, const char *admin,
                         const char *cred_tag, const char *ip, int64_t now,
                         struct arena *a, char **cookie_r, char **csrf_r,
                         struct perr *err) PT_WARN_UNUSED;
/*
 * The live session the cookie names (last_seen refreshed), or PERR_AUTH
 * (unknown, malformed, idle too long, expired: the row is deleted).
 */
int admin_session_load(struct store *st, struct strv cookie, int64_t now,
                       struct arena *a, struct admin_session **s_r,
                       struct perr *err) PT_WARN_UNUSED;
/* Constant-time check of a CSRF token. */
bool admin_session_csrf_ok(const struct admin_session *s, struct strv token);
int admin_session_destroy(struct store *st, const char *id_hash,
                          struct arena *a, struct perr *err) PT_WARN_UNUSED;
/* End every admin session (credentials changed); returns the count. */
int admin_sessions_clear(struct store *st, struct arena *a,
                         struct perr *err) PT_WARN_UNUSED;

/* ---- user sessions (security page) ----------------------------------- */

struct admin_user_session {
	char *id_hash, *user, *ip;
	int64_t created, last_seen, expires;
};

int admin_user_sessions(struct store *st, int64_t now, size_t limit,
                        struct arena *a, struct admin_user_session **v_r,
                        size_t *n_r, struct perr *err) PT_WARN_UNUSED;
/* End one user session by its id hash; PERR_NOTFOUND if none. */
int admin_user_session_end(struct store *st, const char *id_hash,
                           struct arena *a, struct perr *err) PT_WARN_UNUSED;

/* ---- dashboard helpers ----------------------------------------------- */

/*
 * The last max_lines lines of a text file (at most 256 KB are read from
 * its end), oldest first, in a. PERR_NOTFOUND if it does not exist.
 */
int admin_tail_file(const char *path, size_t max_lines, struct arena *a,
                    char ***lines_r, size_t *n_r,
                    struct perr *err) PT_WARN_UNUSED;

/*
 * Warnings about the installation, as message keys (L_ADMIN_WARN_*). The
 * credentials-file record is not among them (see admin_cred_record_read);
 * L_ADMIN_WARN_CREDENTIALS_FILE means the server itself can see a file at
 * the default path, which happens only when it runs unconfined as root.
 */
size_t admin_config_warnings(const struct config *cfg, const char **keys_r,
                             size_t max);

#endif
