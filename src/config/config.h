/*
 * config - SnappyMail-compatible configuration.
 *
 * Three layers:
 *
 * - ini: a line-oriented document with PHP parse_ini_file() reading rules
 *   for what SnappyMail/RainLoop files contain: [sections], key = value,
 *   "double" (with \" \\ \$ escapes) and 'single' (raw) quoted values,
 *   unquoted values up to a ';' comment, whole-line ';' and '#' comments,
 *   blank lines, LF or CRLF, an optional UTF-8 BOM. Every line is kept
 *   verbatim, so a document that is only read serialises back byte for byte
 *   and a writer that sets, adds or removes keys keeps comments, order and
 *   keys it does not know. Saves are atomic (temp file in the same
 *   directory, fsync, rename, fsync of the directory) and keep the file's
 *   mode (and owner when allowed). Keys and section names are
 *   case-sensitive; the last occurrence of a key wins, as in PHP.
 *   Not supported (reported as errors): key[] arrays, values spanning
 *   lines, text after a closing quote. ${VAR} is kept literally.
 *
 * - layout: DATA/_data_/_default_/{configs,domains,storage,logs}, created
 *   on demand with the repository's data/ templates (embedded at build
 *   time) as the default files.
 *
 * - struct config: an immutable, refcounted snapshot of application.ini
 *   plus every domains/ *.ini, typed and with defaults. Readers never lock:
 *   they take a reference (config_current()) at the start of a request and
 *   drop it at the end; a reload builds a new snapshot and config_swap()s
 *   it in, and requests still holding the old one finish with it.
 *
 * Diagnostics (unknown keys, bad values, unparseable lines, unreadable
 * files) go to a callback with file:line, so `petrel check-config` can
 * list every problem, not only the first.
 */
#ifndef PETREL_CONFIG_H
#define PETREL_CONFIG_H

#include "core/core.h"

/* Files bigger than this are refused: a config is never this large. */
#define CONFIG_INI_MAX_SIZE (1024 * 1024)

/* ---- diagnostics ----------------------------------------------------- */

enum config_diag_level {
	CONFIG_DIAG_WARN,  /* e.g. an unknown key: reported, not fatal */
	CONFIG_DIAG_ERROR, /* bad value, broken line, unreadable file */
	/*
	 * Only from config_check(): what it found (which file defines which
	 * domain, aliases, disabled domains). Never an error, not even with
	 * CONFIG_CHECK_STRICT.
	 */
	CONFIG_DIAG_INFO,
};

/*
 * Receives one diagnostic. file is the path (or the name given to
 * ini_parse), line is 1-based or 0 when it concerns the whole file. The
 * strings are only valid during the call.
 */
typedef void config_diag_fn(void *ctx, enum config_diag_level level,
                            const char *file, unsigned line, const char *msg);

/* ---- ini documents --------------------------------------------------- */

struct ini_doc;

/* One key = value line, as read. Views point into the document. */
struct ini_entry {
	const char *section; /* "" for keys before the first [section] */
	const char *key;
	struct strv value; /* unquoted/unescaped; NUL-terminated too */
	bool quoted;       /* written as "..." or '...' */
	unsigned line;     /* 1-based line in the parsed text; 0 if added */
};

/*
 * Parse text. name is used in messages ("application.ini:12: ...").
 * Every bad line is reported to diag (may be NULL). Returns 0 and a new
 * document in *doc_r, or -1 with *doc_r = NULL and err describing the
 * first error as "name:line: message" (formatted into a; a may be NULL).
 * Text longer than CONFIG_INI_MAX_SIZE is an error.
 */
int ini_parse(const char *name, struct strv text, config_diag_fn *diag,
              void *ctx, struct ini_doc **doc_r, struct arena *a,
              struct perr *err) PT_WARN_UNUSED;
/*
 * Read and parse a file. A missing file fails with PERR_NOTFOUND, any
 * other I/O error with PERR_INTERNAL (both also reported to diag).
 */
int ini_load(const char *path, config_diag_fn *diag, void *ctx,
             struct ini_doc **doc_r, struct arena *a,
             struct perr *err) PT_WARN_UNUSED;
/* An empty document (for writing a new file). Never NULL. */
struct ini_doc *ini_create(const char *name);
/* Free the document and set *docp to NULL. NULL-safe. */
void ini_destroy(struct ini_doc **docp);

/*
 * Look up the last occurrence of section/key. Returns false if absent.
 * The entry's views live until the document is changed or destroyed.
 */
bool ini_get(const struct ini_doc *doc, const char *section, const char *key,
             struct ini_entry *entry_r);
/* Number of key lines (duplicates included) and the i-th one, in order. */
size_t ini_entry_count(const struct ini_doc *doc);
void ini_entry_at(const struct ini_doc *doc, size_t i,
                  struct ini_entry *entry_r);

/*
 * Set section/key to value, written double-quoted with PHP escapes.
 * The last occurrence is rewritten in place (its "key =" spelling and any
 * trailing comment are kept); a new key goes after the last key of the
 * section; a new section is appended at the end. Fails with PERR_INPUT
 * (message in the document) for a key or section with characters the
 * reader would not accept, or a value with a control character other
 * than TAB (a value cannot span lines).
 */
int ini_set(struct ini_doc *doc, const char *section, const char *key,
            struct strv value, struct perr *err) PT_WARN_UNUSED;
/* As ini_set, written unquoted as On/Off or decimal (SnappyMail style). */
int ini_set_bool(struct ini_doc *doc, const char *section, const char *key,
                 bool value, struct perr *err) PT_WARN_UNUSED;
int ini_set_uint(struct ini_doc *doc, const char *section, const char *key,
                 uint64_t value, struct perr *err) PT_WARN_UNUSED;
/* Remove every occurrence of section/key; returns how many went. */
size_t ini_remove(struct ini_doc *doc, const char *section, const char *key);

/* Append the document's text to out (check sbuf_ok()). */
void ini_serialize(const struct ini_doc *doc, struct sbuf *out);
/*
 * Write the document to path atomically: a temp file in the same
 * directory gets the old file's mode (new files: mode), is fsync()ed and
 * renamed over path; then the directory is fsync()ed. On failure the old
 * file is untouched and no temp file is left. Messages are formatted into
 * the document's own memory.
 */
int ini_save(const struct ini_doc *doc, const char *path, unsigned mode,
             struct perr *err) PT_WARN_UNUSED;

/*
 * Write data to path atomically (the same temp file, fsync and rename
 * dance as ini_save, keeping an existing file's mode and owner; new files
 * get mode). Messages in a.
 */
int config_write_atomic(const char *path, struct strv data, unsigned mode,
                        struct arena *a, struct perr *err) PT_WARN_UNUSED;

/*
 * The PHP (INI_SCANNER_NORMAL) meaning of a value as a boolean: On, Yes,
 * True, 1 are true; Off, No, False, None, Null, 0 and "" are false
 * (ASCII case-insensitive). Returns false if it is none of those.
 */
bool ini_parse_bool(struct strv value, bool *value_r) PT_WARN_UNUSED;

/* ---- data directory layout ------------------------------------------- */

/* The paths under a data directory, NUL-terminated, heap-owned. */
struct config_paths {
	char *data_dir;        /* DATA */
	char *base_dir;        /* DATA/_data_/_default_ */
	char *configs_dir;     /* .../configs */
	char *application_ini; /* .../configs/application.ini */
	char *domains_dir;     /* .../domains */
	char *storage_dir;     /* .../storage */
	char *db_path;         /* .../storage/petrel.db */
	char *logs_dir;        /* .../logs */
};

void config_paths_init(struct config_paths *paths, const char *data_dir);
void config_paths_deinit(struct config_paths *paths);

/*
 * Create whatever is missing of the layout: directories with mode 0750
 * (configs/ and storage/, which hold hashes and sessions: 0700), and
 * configs/application.ini and domains/default.ini (mode 0640) from the
 * built-in copies of the repository's data/ templates. Existing files
 * and directories are never changed. Returns 0 or -1 (PERR_INTERNAL).
 */
int config_layout_create(const char *data_dir, struct arena *a,
                         struct perr *err) PT_WARN_UNUSED;
/* The built-in templates (the repository's data/ files). */
struct strv config_default_application_ini(void);
struct strv config_default_domain_ini(void);

/* ---- typed settings -------------------------------------------------- */

enum config_secure {
	CONFIG_SECURE_NONE, /* plain text */
	CONFIG_SECURE_SSL,  /* implicit TLS */
	CONFIG_SECURE_TLS,  /* STARTTLS */
};

const char *config_secure_name(enum config_secure s);

/*
 * The formats of SnappyMail's domain files (domains/), which Petrel reads
 * as they are. For one domain name, <name>.json wins over <name>.ini,
 * which wins over <name>.alias (SnappyMail's own order). File names are
 * lower-case punycode; "default" is the fallback ('*' in SnappyMail) and
 * "_wildcard_" in a name stands for '*' (Petrel also accepts '*' itself).
 */
enum config_domain_format {
	CONFIG_DOMAIN_BUILTIN, /* no file: the built-in defaults */
	CONFIG_DOMAIN_INI,     /* <name>.ini (RainLoop/older SnappyMail keys) */
	CONFIG_DOMAIN_JSON,    /* <name>.json (SnappyMail's current format) */
	CONFIG_DOMAIN_ALIAS,   /* <name>.alias: the settings of another */
};

const char *config_domain_format_name(enum config_domain_format f);

/* One domain file (see enum config_domain_format), or the built-in one. */
struct config_domain {
	const char *name; /* "example.com", "*.example.com" or "default" */
	const char *file; /* path it came from, "" for the built-in one */
	enum config_domain_format format;
	/* ALIAS: the domain whose settings these are ("" otherwise) */
	const char *alias_of;
	bool disabled; /* logins for this domain are refused */

	const char *imap_host; /* default 127.0.0.1 */
	unsigned imap_port;    /* 143 */
	enum config_secure imap_secure;
	bool imap_short_login; /* log in with the local part only */
	bool imap_lower_login; /* log in lower-cased (Off; JSON: lowerLogin) */
	/* Off: a PREAUTH greeting fails the login (no password was checked) */
	bool imap_allow_preauth;

	const char *smtp_host;          /* 127.0.0.1 */
	unsigned smtp_port;             /* 587 */
	enum config_secure smtp_secure; /* TLS */
	bool smtp_short_login;
	bool smtp_lower_login;
	bool smtp_auth;       /* On */
	bool smtp_set_sender; /* Off */

	bool sieve_use;         /* Off */
	bool sieve_allow_raw;   /* Off */
	const char *sieve_host; /* localhost */
	unsigned sieve_port;    /* 4190 */
	enum config_secure sieve_secure;

	const char *white_list; /* space/comma separated logins; "" = all */
	/*
	 * Space/comma separated address patterns ('*' globs, "*@example.com")
	 * a user of this domain may send from without confirming by mail;
	 * "" = only the login address and confirmed ones.
	 */
	const char *identity_allow;

	bool verify_certificate; /* On */
	/*
	 * Off: no password goes in clear (*_secure = None) to a server that
	 * is not loopback (127.0.0.1, ::1, localhost).
	 */
	bool allow_insecure_auth;
	const char *ca_file;      /* "" = system store */
	unsigned connect_timeout; /* seconds, 10 */
	unsigned read_timeout;    /* seconds, 60 */
	const char *relay_user;   /* "" = send with the user's credentials */
	const char *relay_password;
};

/*
 * A snapshot. Strings are never NULL ("" when unset) and live as long as
 * the snapshot. All fields are read-only; do not copy the struct.
 */
struct config {
	struct config_paths paths;

	struct {
		const char *title;                /* "Petrel Webmail" */
		const char *loading_description;  /* "Petrel" */
		const char *theme;                /* "Default" */
		const char *language;             /* "en" */
		bool allow_languages_on_settings; /* On */
		unsigned messages_per_page;       /* 25 (5..500) */
		unsigned attachment_size_limit;   /* MB, 25 */
		unsigned autosave_interval;       /* draft autosave, s, 60 */
		/* Uploaded branding files in storage/branding/; "" = default */
		const char *logo;
		const char *favicon;
	} webmail;
	struct {
		const char *default_domain;    /* "" */
		bool allow_languages_on_login; /* On */
	} login;
	struct {
		bool force_https;              /* Off */
		bool allow_admin_panel;        /* On (SnappyMail's switch) */
		const char *admin_panel_key;   /* SnappyMail's old clear key */
		const char *admin_login;       /* "" until admin init */
		const char *admin_password;    /* hash */
		const char *admin_totp;        /* base32 secret or "" */
		unsigned session_idle_minutes; /* 30 */
		unsigned session_absolute_hours; /* 12 */
	} security;
	struct {
		bool allow;      /* On */
		const char *key; /* hash of the secret key */
	} admin_panel;
	struct {
		bool enable;          /* On */
		enum log_level level; /* info */
		const char *path;     /* "" = logs/petrel.log */
		bool syslog;          /* Off */
	} logs;
	struct {
		unsigned imap_connect_timeout; /* seconds, 10 */
		unsigned imap_read_timeout;    /* seconds, 60 */
	} labs;
	struct {
		bool enable;              /* Off */
		const char *enabled_list; /* comma separated names */
	} plugins;
	struct {
		/*
		 * KiB, 2048: a message's HTML part larger than this (as the
		 * server stores it) is neither fetched nor sanitized.
		 */
		unsigned max_html_size;
		unsigned max_request_body; /* MB, 30 */
		unsigned max_upload_total; /* MB, 50 */
		/* Live-update streams (petrel serve --events). */
		unsigned live_streams_per_session; /* 10 */
		unsigned live_streams_per_user;    /* 20, all sessions */
		unsigned live_watchers_per_user;   /* 5 folders watched */
		unsigned live_session_check;       /* seconds, 15 */
		unsigned live_max_clients; /* open stream sockets, 512 */
		/* The IMAP pool's cap per user, all sessions (read at start).
		 */
		unsigned imap_connections_per_user; /* 4 */
		/* MiB of decoded list rows shared per user; 0: off. */
		unsigned imap_row_cache_mb; /* 64 */
	} limits;
	struct {
		unsigned login_max_failures;   /* 5 */
		unsigned login_window_seconds; /* 900 */
	} ratelimit;
	/*
	 * The server-wide default relay: a domain without its own relay
	 * account (relay_user) sends through it (config_domains_load
	 * applies it to the domain's smtp_* and relay_* values).
	 */
	struct {
		const char *host;          /* "" = none */
		unsigned port;             /* 587 */
		enum config_secure secure; /* TLS */
		const char
		        *user; /* "": the relay accepts this server unsigned */
		const char *password;
	} relay;
	struct {
		/* "host[:port]" of the resolver the mail checks ask; "" =
		 * /etc/resolv.conf */
		const char *resolver;
		unsigned timeout;       /* seconds per try, 3 */
		unsigned cache_seconds; /* answers kept, 60 */
	} dns;
	struct {
		const char *dkim_selector; /* "mail" (Hestia's) */
		/* Outgoing port 25: the MX of this domain is tried. */
		const char *smtp_test_domain; /* "gmail.com" */
		unsigned smtp_test_port;      /* 25 */
		unsigned smtp_test_timeout;   /* seconds, 5 */
		/* "" = the addresses of the domain's SMTP host (or its MX) */
		const char *sending_ip;
		/* "" = the name in the SMTP server's greeting */
		const char *helo_name;
	} doctor;
	/*
	 * RFC 8058 one-click unsubscribe: Petrel POSTs to the list's https
	 * URL (web/api_reading.c through net_https_post).
	 */
	struct {
		/* Off: private, loopback and link-local addresses refused */
		bool allow_private;
		const char *ca_file; /* "" = the system store */
		unsigned timeout;    /* seconds for connect and each read, 10 */
	} unsubscribe;

	/* Every domain but the default one, sorted by name. */
	const struct config_domain *domains;
	size_t domain_count;
	/* default.json or default.ini, else the built-in defaults. */
	const struct config_domain *default_domain;

	/* private */
	struct arena *arena;
	unsigned refs;
};

/*
 * Build a snapshot from DATA's application.ini and domains/ (*.json,
 * *.ini, *.alias and the `disabled` list, see config_domain_format). Missing
 * files mean defaults (application.ini) or "no such domain"; every
 * problem goes to diag (may be NULL). Unknown keys are warnings; bad
 * values, broken lines and unreadable files are errors and make the load
 * fail: -1 with the first error in err ("path:line: message", in a; a may
 * be NULL) and *cfg_r = NULL. On success *cfg_r holds one reference.
 */
int config_load(const char *data_dir, config_diag_fn *diag, void *ctx,
                struct config **cfg_r, struct arena *a,
                struct perr *err) PT_WARN_UNUSED;

/* Flags for config_check(). */
#define CONFIG_CHECK_STRICT 0x1 /* warnings (unknown keys) count as errors */

/*
 * `petrel check-config`: load everything, report every diagnostic to
 * diag, build nothing. Returns the number of errors (0 = usable).
 */
unsigned config_check(const char *data_dir, unsigned flags,
                      config_diag_fn *diag, void *ctx);

/* Take a reference (returns cfg). Thread-safe. */
struct config *config_ref(struct config *cfg);
/* Drop a reference, freeing on the last one; sets *cfgp to NULL. */
void config_unref(struct config **cfgp);

/*
 * The process-wide current snapshot, with a new reference the caller
 * must config_unref() (typically at the end of the request). NULL before
 * the first config_swap(). Thread-safe (a mutex guards the pointer and
 * the ref together, so a swap cannot free it in between).
 */
struct config *config_current(void);
/*
 * Install cfg (may be NULL) as the current snapshot. The caller's
 * reference moves to the global; the previous snapshot loses the global's
 * reference and is freed when its last request drops it. SIGHUP handling:
 * the signal handler only sets a flag; a normal thread then runs
 * config_load() and, on success, config_swap() (on failure the old
 * snapshot stays and the error is logged).
 */
void config_swap(struct config *cfg);

/*
 * The settings for a mail domain (ASCII case-insensitive): the domain's
 * own file, else the most specific wildcard file ('*' matches any run of
 * characters; "*.example.com" matches "a.b.example.com" but not
 * "example.com"), else default.ini. Never NULL. The caller must still
 * check ->disabled and the white list (config_domain_allows()).
 */
const struct config_domain *config_domain_for(const struct config *cfg,
                                              struct strv domain);
/*
 * True if email matches one of the domain's identity_allow patterns
 * (ASCII case-insensitive); false when there are none.
 */
bool config_domain_identity_allowed(const struct config_domain *d,
                                    struct strv email);
/* True if the domain's white_list is empty or names login (case-insens.). */
bool config_domain_allows(const struct config_domain *d, struct strv login);

/* ---- domain files, for the admin's editor ---------------------------- */

/*
 * Find the file that defines domain name ("example.com", "*.example.com",
 * "default" or "*") in domains_dir with the loader's precedence: .json,
 * then .ini, then .alias, each under the name as given and under its
 * SnappyMail spelling ('*' as "_wildcard_"). Returns 0 with *path_r (in a)
 * and *format_r, or -1 with PERR_NOTFOUND (no file) or PERR_INPUT (not a
 * domain name).
 */
int config_domain_file_find(const char *domains_dir, const char *name,
                            struct arena *a, char **path_r,
                            enum config_domain_format *format_r,
                            struct perr *err) PT_WARN_UNUSED;

/*
 * Read one domain file (INI or JSON) into *d, over the built-in defaults,
 * as the loader does; problems go to diag. Returns 0, or -1 with the
 * first error in err (strings in a). d's strings live in a.
 */
int config_domain_read(const char *path, enum config_domain_format format,
                       const char *name, config_diag_fn *diag, void *ctx,
                       struct config_domain *d, struct arena *a,
                       struct perr *err) PT_WARN_UNUSED;

/*
 * Parse the text of a SnappyMail <domain>.json (name is used in
 * messages) into *d over the built-in defaults. Same rules and result as
 * config_domain_read; for tests and the fuzzer.
 */
int config_domain_parse_json(const char *name, struct strv text,
                             config_diag_fn *diag, void *ctx,
                             struct config_domain *d, struct arena *a,
                             struct perr *err) PT_WARN_UNUSED;

/*
 * True if name is in domains_dir's `disabled` list (SnappyMail: one name
 * a line; RainLoop: comma separated; both are read; '*' is "default").
 */
bool config_disabled_listed(const char *domains_dir, const char *name,
                            struct arena *a);
/*
 * Add name to or remove it from the `disabled` list, written one name a
 * line as SnappyMail does, atomically; other names are kept.
 */
int config_disabled_set(const char *domains_dir, const char *name,
                        bool disabled, struct arena *a,
                        struct perr *err) PT_WARN_UNUSED;

/*
 * A SnappyMail domain .json document for editing: every key the file has,
 * known or not, is kept and written back in its order; only the values
 * set here change. Paths name an object: "IMAP", "IMAP.ssl", "" for the
 * top level; missing objects are created.
 */
struct config_json_doc;

/* Load path. PERR_NOTFOUND, or PERR_INPUT "path:line: ..." if malformed. */
int config_json_load(const char *path, struct arena *a,
                     struct config_json_doc **doc_r,
                     struct perr *err) PT_WARN_UNUSED;
void config_json_destroy(struct config_json_doc **docp);
void config_json_set_str(struct config_json_doc *doc, const char *obj,
                         const char *key, const char *value);
void config_json_set_int(struct config_json_doc *doc, const char *obj,
                         const char *key, long long value);
void config_json_set_bool(struct config_json_doc *doc, const char *obj,
                          const char *key, bool value);
/* Write with 4-space indentation (as SnappyMail's JSON_PRETTY_PRINT). */
int config_json_save(const struct config_json_doc *doc, const char *path,
                     struct arena *a, struct perr *err) PT_WARN_UNUSED;

/*
 * The user name to log in to IMAP (smtp false; ManageSieve uses the same)
 * or SMTP with, for the address email ("user@domain"): the local part
 * alone with *_short_login, lower-cased with *_lower_login. In a; NULL if
 * a is out of memory.
 */
char *config_domain_login(const struct config_domain *d, bool smtp,
                          struct strv email, struct arena *a);

/*
 * Split a login into user and domain. "user@example.com" splits at the
 * last '@'; a login without '@' gets [login] default_domain. The domain
 * is lower-cased and both are trimmed; *email_r (may be NULL) gets
 * "user@domain". Fails with PERR_INPUT for an empty part, a login without
 * '@' when no default domain is set, or control characters. Results are
 * in a.
 */
int config_login_split(const struct config *cfg, struct strv login,
                       struct arena *a, struct strv *user_r,
                       struct strv *domain_r, struct strv *email_r,
                       struct perr *err) PT_WARN_UNUSED;

#endif
