/*
 * petrel/plugin.h - the one header a Petrel plugin includes.
 *
 * A plugin is a shared object that exports one symbol, PETREL_PLUGIN_SYMBOL,
 * a `const struct petrel_plugin` describing it: name, version, the ABI it
 * was built for, its options and its hooks. Petrel loads it in-process with
 * Petrel's own privileges (see docs/PLUGINS.md for the trust model): a
 * plugin can do anything Petrel can, so install only code you trust.
 *
 * ABI rules
 * - PETREL_PLUGIN_ABI_MAJOR changes when anything here changes
 *   incompatibly. The host refuses a plugin built for another major.
 * - PETREL_PLUGIN_ABI_MINOR grows when members are appended to a struct.
 *   A plugin built for an older minor loads in a newer host; one built for
 *   a newer minor than the host's is refused.
 * - Every struct that may grow carries its own size (`size`, or
 *   `option_size` for the option array). The host reads only the members
 *   that fit in the size the plugin set; a plugin calls a host function
 *   only when PETREL_HOST_HAS(host, member) says the host has it.
 * - Nothing of Petrel's internals is exported: the host binary is not
 *   linked with -rdynamic, and plugins reach Petrel only through
 *   struct petrel_host.
 *
 * Threads: hooks run on Petrel's worker threads, several at once. A hook
 * must not keep pointers to anything it is given after it returns; memory
 * from host->alloc() lives until the hook's request ends.
 */
#ifndef PETREL_PLUGIN_H
#define PETREL_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PETREL_PLUGIN_ABI_MAJOR 1
#define PETREL_PLUGIN_ABI_MINOR 1

/* The exported descriptor: `const struct petrel_plugin petrel_plugin_v1`. */
#define PETREL_PLUGIN_SYMBOL "petrel_plugin_v1"

#if defined(__GNUC__)
#define PETREL_PLUGIN_EXPORT __attribute__((visibility("default")))
#define PETREL_PLUGIN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PETREL_PLUGIN_EXPORT
#define PETREL_PLUGIN_PRINTF(f, a)
#endif

/* True when the host's function table has member m (appended later). */
#define PETREL_HOST_HAS(host, m)                                               \
	((host)->size >=                                                       \
	         offsetof(struct petrel_host, m) + sizeof((host)->m) &&        \
	 (host)->m != NULL)

/* ---- options --------------------------------------------------------- */

enum petrel_option_type {
	PETREL_OPTION_BOOL = 1, /* "true"/"false" (also On/Off, 1/0) */
	PETREL_OPTION_INT,      /* decimal in [min, max] */
	PETREL_OPTION_STRING,   /* UTF-8, no control characters, <= max bytes */
	PETREL_OPTION_SECRET,   /* as STRING; never shown back in the admin form
	                         */
	PETREL_OPTION_CHOICE,   /* one of choices[] */
};

/*
 * One admin-settable option. The admin panel builds its form from these;
 * values are stored as SnappyMail stores plugin settings, in
 * configs/plugin-<name>.json as {"plugin": {"<option>": value}}, and are
 * validated against this declaration before anything is written.
 */
struct petrel_option {
	const char *name; /* [a-z0-9_]{1,64}, unique in the plugin */
	enum petrel_option_type type;
	const char *label;         /* for the admin form */
	const char *help;          /* one sentence, may be NULL */
	const char *default_value; /* text form; must itself be valid */
	int64_t min, max; /* INT: range; STRING/SECRET: max length (0: 1024) */
	const char *const *choices; /* CHOICE: NULL-terminated */
};

/* ---- what hooks are given -------------------------------------------- */

/* Opaque: one hook call (its request, its arena, the plugin's options). */
struct petrel_call;
struct petrel_host;

enum petrel_log_level {
	PETREL_LOG_ERROR,
	PETREL_LOG_WARN,
	PETREL_LOG_INFO,
	PETREL_LOG_DEBUG,
};

/* A sign-in attempt (login_before) or a successful one (login_after). */
struct petrel_login {
	size_t size;
	const char *email;     /* as the user typed it, after default_domain */
	const char *client_ip; /* the peer nginx saw (REMOTE_ADDR) */
	const char *user_agent;
	/* ABI 1.1 (login_check only): what the user answered to a
	 * challenge (host->challenge), or NULL at the first step. */
	const char *second_factor;
};

/* A message about to be submitted (send_before). */
struct petrel_send {
	size_t size;
	const char *user;              /* the signed-in address */
	const char *from;              /* the From address */
	const char *subject;           /* decoded, UTF-8 */
	const char *const *recipients; /* To, Cc and Bcc addresses */
	size_t n_recipients;
	/*
	 * The peer nginx saw (REMOTE_ADDR) and what a proxy in front of it
	 * claimed (X-Forwarded-For and X-Real-IP as received, or NULL):
	 * believe the latter only from a peer the plugin trusts.
	 */
	const char *client_ip;
	const char *forwarded_for;
	const char *real_ip;
};

/* A message being shown (message_view). */
struct petrel_view {
	size_t size;
	const char *user;
	const char *folder;
	uint32_t uid;
	const char *from;
	const char *subject;
};

/*
 * A JSON API action: POST /api/plugin/<plugin>/<name>. The session and
 * the CSRF token are checked by Petrel before the action runs; string
 * arguments of the JSON body are read with host->arg(), the answer is
 * built with host->result_*(). Return 0, or host->refuse()'s value.
 */
struct petrel_action {
	const char *name; /* [A-Za-z0-9]{1,64} */
	int (*run)(const struct petrel_host *host, struct petrel_call *call);
};

/*
 * A section in the user's settings: a title and its form, whose fields
 * are sent as one object to the plugin's action `save_action`. Shown only
 * while the plugin is enabled.
 */
struct petrel_field {
	const char *name; /* argument name sent to the action */
	const char *label;
	/* "text", "password", "email", "number"; ABI 1.1: "textarea" */
	const char *type;
	bool required;
};

struct petrel_settings_section {
	size_t size;
	const char *title;
	const struct petrel_field *fields;
	size_t n_fields;
	const char *save_action; /* one of the plugin's actions */
	/*
	 * ABI 1.1: an action run when the section opens, or NULL. Its
	 * answer, and that of every action the section runs, may steer the
	 * form (docs/PLUGINS.md): "intro" (a paragraph), "qr_svg" (an
	 * image from host->qr_svg), "secret" and "codes" (text to copy,
	 * codes one per line), "fields" (the names of the declared fields
	 * to show, comma-separated; "" for none), "action" and "button"
	 * (what the form runs next and its label), "danger" (true: the
	 * button is destructive), "message".
	 */
	const char *load_action;
	/*
	 * ABI 1.1: a list section. When list_action is set, the section
	 * edits a list of items: list_action answers them with
	 * host->result_item(call, "items", ...), each with an "id" and one
	 * member per field; saving sends the fields plus "id" ("" for a
	 * new item) to save_action; delete_action (may be NULL) gets "id".
	 * The first field names an item in the list.
	 */
	const char *list_action;
	const char *delete_action;
};

/*
 * ABI 1.1: a menu in the compose window (a button beside Attach). When
 * opened it runs list_action, which answers items with
 * host->result_item(call, "items", ...); the menu shows each item's
 * member label_key, and choosing one inserts its member text_key into
 * the message at the cursor, as plain text.
 */
struct petrel_compose_menu {
	size_t size;
	const char *label;       /* the button's text */
	const char *list_action; /* one of the plugin's actions */
	const char *label_key;
	const char *text_key;
};

/* ---- hooks ----------------------------------------------------------- */

/*
 * All optional. Hooks returning int return 0 to go on; a refusal is
 * `return host->refuse(call, "message for the user")`, which makes the
 * sign-in or send fail with that message. A hook that fails in any other
 * way should log and return 0: Petrel keeps working without it.
 */
struct petrel_hooks {
	size_t size;
	/* After loading and after every options change; non-zero refuses. */
	int (*init)(const struct petrel_host *host, struct petrel_call *call);
	int (*login_before)(const struct petrel_host *host,
	                    struct petrel_call *call,
	                    const struct petrel_login *login);
	void (*login_after)(const struct petrel_host *host,
	                    struct petrel_call *call,
	                    const struct petrel_login *login);
	/* May add headers with host->add_header(), or refuse. */
	int (*send_before)(const struct petrel_host *host,
	                   struct petrel_call *call,
	                   const struct petrel_send *msg);
	/* May add one line with host->notice(). */
	void (*message_view)(const struct petrel_host *host,
	                     struct petrel_call *call,
	                     const struct petrel_view *view);
	const struct petrel_action *actions;
	size_t n_actions;
	const struct petrel_settings_section *settings;
	/*
	 * ABI 1.1: the password was right and no session exists yet. Return
	 * 0 to let the user in, host->challenge() to ask for a second
	 * answer (the sign-in page shows a second step and sends it back as
	 * login->second_factor), or host->refuse().
	 */
	int (*login_check)(const struct petrel_host *host,
	                   struct petrel_call *call,
	                   const struct petrel_login *login);
	/* ABI 1.1 */
	const struct petrel_compose_menu *compose_menu;
};

/* ---- the descriptor -------------------------------------------------- */

struct petrel_plugin {
	uint32_t abi_major, abi_minor; /* PETREL_PLUGIN_ABI_* at build time */
	size_t size;                   /* sizeof(struct petrel_plugin) */
	const char *name;              /* [a-z0-9-]{1,64}: the folder name */
	const char *version;
	const char *description;
	const struct petrel_option *options;
	size_t n_options;
	size_t option_size; /* sizeof(struct petrel_option) */
	const struct petrel_hooks *hooks;
};

/* ---- what the host offers -------------------------------------------- */

struct petrel_host {
	uint32_t abi_major, abi_minor;
	size_t size; /* sizeof(struct petrel_host) in the host */

	void (*log)(struct petrel_call *call, enum petrel_log_level level,
	            const char *fmt, ...) PETREL_PLUGIN_PRINTF(3, 4);
	/* An option's current value in text form (never NULL for a declared
	 * option; NULL for an unknown name). */
	const char *(*option)(struct petrel_call *call, const char *name);
	bool (*option_bool)(struct petrel_call *call, const char *name);
	int64_t (*option_int)(struct petrel_call *call, const char *name);
	/* Zeroed memory until the call's request ends; NULL past its limit. */
	void *(*alloc)(struct petrel_call *call, size_t n);
	/* The user's language's text for key, or key itself. */
	const char *(*translate)(struct petrel_call *call, const char *key);
	/* Make the current hook or action fail with msg; returns -1. */
	int (*refuse)(struct petrel_call *call, const char *msg);
	/* send_before only: add a header (name and value are checked). */
	int (*add_header)(struct petrel_call *call, const char *name,
	                  const char *value);
	/* message_view only: one line of text shown above the message. */
	int (*notice)(struct petrel_call *call, const char *text);
	/* Actions only: a string argument of the JSON body, or NULL. */
	const char *(*arg)(struct petrel_call *call, const char *name);
	/* Actions only: members of the answer's "result" object. */
	int (*result_string)(struct petrel_call *call, const char *key,
	                     const char *value);
	int (*result_bool)(struct petrel_call *call, const char *key,
	                   bool value);
	/* The signed-in user, or NULL outside a session. */
	const char *(*user)(struct petrel_call *call);
	/*
	 * Actions only: POST a form (fields: name, value, ..., NULL) to an
	 * https:// URL (http:// only to this machine) with HTTP/1.0 and no
	 * forwarded-address headers. *body_r is the answer's body (in the
	 * call's memory). -1, logged, when no HTTP answer came.
	 */
	int (*http_post_form)(struct petrel_call *call, const char *url,
	                      const char *const *fields, bool verify_tls,
	                      int timeout_ms, int *status_r,
	                      const char **body_r);
	/*
	 * Actions only: the signed-in user's mail password is now
	 * new_password; Petrel re-seals the session's copy so the user stays
	 * signed in.
	 */
	int (*password_changed)(struct petrel_call *call,
	                        const char *new_password);

	/* ---- ABI 1.1 (check with PETREL_HOST_HAS) ---- */
	/*
	 * login_check only: ask for a second answer with this prompt (plain
	 * text, at most 300 bytes); the sign-in fails until it comes.
	 * Returns -1, the hook's return value.
	 */
	int (*challenge)(struct petrel_call *call, const char *prompt);
	/*
	 * The plugin's own directory for its data (created mode 0700 on
	 * first use, in Petrel's data directory: storage/plugins/<name>),
	 * or NULL when it cannot be made. Write files there atomically
	 * (temporary file, fsync, rename); several threads run at once.
	 */
	const char *(*data_dir)(struct petrel_call *call);
	/* text as a QR code in an SVG image, in the call's memory, or NULL
	 * when Petrel was built without libqrencode. */
	const char *(*qr_svg)(struct petrel_call *call, const char *text);
	/*
	 * Actions only: append an object to the answer's array `list`.
	 * kv is name, value, name, value, ..., NULL (string members, at
	 * most 16 pairs; names as result keys). At most 500 items a call.
	 */
	int (*result_item)(struct petrel_call *call, const char *list,
	                   const char *const *kv);
};

#endif
