/* Shared inside src/web only. */
#ifndef PETREL_WEB_PRIVATE_H
#define PETREL_WEB_PRIVATE_H

#include <pthread.h>

#include "web.h"
#include "config/config.h"
#include "i18n/i18n.h"
#include "tmpl/tmpl.h"
#include "imap/imap.h"
#include "session/session.h"
#include "store/store.h"
#include "mail/mail.h"
#include "plugin/plugin.h"
#include "admin_web.h"

/* What a reload replaces as one unit. */
struct web_state {
	unsigned refs; /* guarded by web_app.lock */
	struct config *config;
	struct tmpl_cache *templates;
	struct i18n *i18n;
	struct arena *arena;           /* the catalog dictionaries */
	struct tmpl_dict **lang_dicts; /* parallel to i18n_languages() */
	size_t n_langs;
	/* [plugins] enable + enabled_list, loaded from app->plugin_dir. */
	struct plugin_set *plugins;
};

struct web_app {
	char *data_dir, *share_dir, *static_url, *plugin_dir;
	pthread_mutex_t lock;
	struct web_state *state;
	char asset_version[16];
	int64_t started;
	struct imap_pool *imap_pool; /* logged-in connections by session */
	struct web_snooze *snooze;   /* the wake-up worker (api_snooze.c) */
};

/* Per-request context, hung on req->user. */
struct web_ctx {
	struct web_app *app;
	struct web_state *state;
	const struct config *config;
	const struct i18n_catalog *lang;
	const struct tmpl_dict *lang_dict;
	struct http_request *req;
	struct http_response *resp;
	bool wants_json; /* errors as JSON: /api/ paths and JSON clients */
	/* Set by the session middleware on ROUTE_SESSION routes. */
	struct session *session;
	/* A catalog key that says the error better than its kind does. */
	const char *error_key;
	/*
	 * Set by web_error_custom() for calls whose contract names its own
	 * error codes (filters): these replace the kind's code, status and
	 * catalog message, and fields are added to the error object.
	 */
	const char *error_code;
	const char *error_message;
	int error_status;
	struct json_t *error_fields; /* owned; freed with the request */
	/* The IMAP connection checked out for this request, if any. */
	struct imap_conn *imap;
	void *imap_checkout; /* session_mw.c's, for web_imap_release() */
	/* The request's mail service session (web_mail()), if any. */
	struct mail_session *mail;
	/* The route's arguments, checked against its spec (args.c). */
	struct web_args *args;
	/*
	 * Made by web_body_check() before the body was read (in the request
	 * arena); web_dispatch() goes on with it.
	 */
	bool early;
};

/*
 * http's body hook (http_limits.body_check; ctx is the web_app): finds the
 * route before the body is read, bounds the body by what the route takes
 * and, for a route that needs a session or an admin session, checks that
 * first, so nobody unsigned-in costs the server the body's spool file.
 */
int web_body_check(struct http_request *req, void *app, uint64_t *max_r,
                   struct perr *err);

/* A handler returns 0, or -1 with *err set for web_render_error(). */
typedef int web_handler_fn(struct web_ctx *ctx, struct perr *err);

enum route_flag {
	ROUTE_SESSION = 1 << 0,          /* needs a logged-in user */
	ROUTE_CSRF = 1 << 1,             /* state-changing: token required */
	ROUTE_ADMIN = 1 << 2,            /* admin session required */
	ROUTE_RATELIMIT = 1 << 3,        /* counts against the login limiter */
	ROUTE_API = 1 << 4,              /* JSON API: errors as JSON */
	ROUTE_SESSION_OPTIONAL = 1 << 5, /* load a session if there is one */
	ROUTE_PREFIX = 1 << 6, /* path is a prefix (ends in '/'), not exact */
	/*
	 * Takes file uploads (multipart/form-data up to [limits]
	 * max_request_body). Every other route takes at most a form or JSON
	 * body of http's max_form, nothing else, and a GET no body at all:
	 * the rest is refused before it is read (web_body_check).
	 */
	ROUTE_UPLOAD = 1 << 7,
};

/* args.c: the declarative argument spec of a JSON route. */
enum web_arg_type {
	WEB_ARG_STRING,  /* min > 0: non-empty; max > 0: bytes at most */
	WEB_ARG_INT,     /* min..max */
	WEB_ARG_BOOL,    /* true or false */
	WEB_ARG_UID,     /* a message UID: 1..2^32-1 */
	WEB_ARG_STRINGS, /* at most max_items strings, each as STRING */
	WEB_ARG_UIDS,    /* at most max_items UIDs (more: 413) */
	WEB_ARG_IDS,     /* 1 to max_items integers from min to max */
	WEB_ARG_REF,     /* {"folder": non-empty string, "uid": UID} */
	WEB_ARG_JSON,    /* any value, checked by the handler's own reader */
};

/* Which control characters a string may hold (NUL never). */
enum web_arg_ctl {
	WEB_CTL_TEXT = 0, /* bodies: any but NUL */
	WEB_CTL_HEADER,   /* header-like: no CR or LF (header_injection) */
	WEB_CTL_LINE,     /* names: no control character but tab */
};

enum web_body_rule {
	WEB_BODY_ANY = 0, /* no object: every argument is absent */
	WEB_BODY_OBJECT,  /* a JSON object */
	WEB_BODY_EXACT,   /* an object of none but the named members */
};

struct web_arg {
	const char *name; /* NULL ends a spec */
	enum web_arg_type type;
	bool required;
	int64_t min, max; /* STRING: length; INT, IDS: range */
	size_t max_items; /* STRINGS, UIDS, IDS */
	enum web_arg_ctl ctl;
	/* A bad value answers this kind (0: PERR_INPUT), e.g. an id that
	 * cannot be one is PERR_NOTFOUND like an id that is not there. */
	enum perr_kind bad_kind;
	/* In the terminator: what the body must be besides its members. */
	enum web_body_rule body;
};

struct web_args;

/*
 * Check the JSON body against spec (absent and null members are "not
 * given"; unknown members are ignored) and keep the values for the
 * web_arg_*() readers. PERR_INPUT naming the argument and the reason.
 */
int web_args_check(struct web_ctx *ctx, const struct web_arg *spec,
                   struct perr *err);
/* The checked values; a name not in the route's spec is a bug. */
bool web_arg_given(const struct web_ctx *ctx, const char *name);
/* Whether the member was there with the value null ("reset"). */
bool web_arg_null(const struct web_ctx *ctx, const char *name);
const char *web_arg_str(const struct web_ctx *ctx, const char *name);
int64_t web_arg_int(const struct web_ctx *ctx, const char *name, int64_t dflt);
uint32_t web_arg_uid(const struct web_ctx *ctx, const char *name);
bool web_arg_bool(const struct web_ctx *ctx, const char *name);
struct mail_strings web_arg_strings(const struct web_ctx *ctx,
                                    const char *name);
const uint32_t *web_arg_uids(const struct web_ctx *ctx, const char *name,
                             size_t *n_r);
struct mail_ref web_arg_ref(const struct web_ctx *ctx, const char *name);
const int64_t *web_arg_ids(const struct web_ctx *ctx, const char *name,
                           size_t *n_r);
struct json_t *web_arg_json(const struct web_ctx *ctx, const char *name);

struct web_route {
	const char *method; /* "GET" also answers HEAD */
	const char *path;   /* exact match, or a prefix with ROUTE_PREFIX */
	web_handler_fn *handler;
	unsigned flags;
	const struct web_arg *args; /* JSON routes: the argument spec */
	/* Runs before the arguments are checked: a feature that is off
	 * answers so whatever the arguments (NULL: none). */
	web_handler_fn *guard;
};

/*
 * router.c: the route table, read-only, for tests/integration/crawl (the
 * route crawler calls every route, so a new one is crawled unasked).
 */
const struct web_route *web_route_table(size_t *n_r);

/* state.c */
struct web_state *web_state_acquire(struct web_app *app);
void web_state_release(struct web_app *app, struct web_state *st);
const struct tmpl_dict *web_state_lang_dict(const struct web_state *st,
                                            const struct i18n_catalog *cat);

/* render.c */
/*
 * A root dictionary for a page with the site-wide values set as
 * template-globals (SITE_TITLE, STATIC, ASSET_VERSION, LANG, PAGE_TITLE)
 * and the language catalog as the fallback.
 */
struct tmpl_dict *web_page_dict(struct web_ctx *ctx, const char *page_title);
/* Expand a page template into the response with the given status. */
int web_render_page(struct web_ctx *ctx, int status, const char *tpl,
                    struct tmpl_dict *dict, struct perr *err);
/* The one place that turns an error into a response (HTML or JSON). */
void web_render_error(struct web_ctx *ctx, const struct perr *err);
/* {"error": {"code", "message"}} code names, e.g. "NotFound". */
const char *web_error_code(enum perr_kind kind);
/*
 * Make the coming error render with this status, code and message (NULL:
 * the kind's) and with the members of fields (stolen, may be NULL) added
 * to the error object.
 */
void web_error_custom(struct web_ctx *ctx, int status, const char *code,
                      const char *message, struct json_t *fields);
/* Send a JSON value (stolen) with status 200. */
int web_reply_json(struct web_ctx *ctx, struct json_t *v, struct perr *err);
/*
 * body_cache.c: a rendered message body kept from the Message call for
 * the /message/body request that follows, so one view sanitizes once.
 * put copies r (html and flags; not text); take hands the entry (copied
 * into a) to the first caller with the same key and forgets it. Keys
 * must begin with the session's id hash (a NULL key keeps nothing).
 * Bounded in count, bytes and age.
 */
void web_body_cache_put(const char *key, const struct mail_rendered *r,
                        int64_t now);
bool web_body_cache_take(const char *key, int64_t now, struct arena *a,
                         struct mail_rendered *r_r);

/* Secure flag for cookies: HTTPS request or [security] force_https. */
bool web_cookie_secure(const struct web_ctx *ctx);
/*
 * The session cookie's name for this request: SESSION_COOKIE_HOST when
 * cookies are Secure (web_cookie_secure), else SESSION_COOKIE.
 */
const char *web_session_cookie(const struct web_ctx *ctx);

/* session_mw.c: the session and CSRF middleware and their helpers. */
/* This thread's store connection (opened on first use), or NULL + err. */
struct store *web_store(struct web_ctx *ctx, struct perr *err);
/* Load ctx->session from the cookie; PERR_AUTH if there is none. */
int web_session_load(struct web_ctx *ctx, struct perr *err);
/* PERR_FORBIDDEN unless the X-Petrel-Token header matches. */
int web_csrf_check(struct web_ctx *ctx, struct perr *err);
/*
 * A logged-in IMAP connection for the session (from the pool), given back
 * automatically when the request ends.
 */
int web_imap(struct web_ctx *ctx, struct imap_conn **c_r, struct perr *err);
/*
 * The pool's user key of user (a session's sign-in address) on its
 * domain's IMAP server: imap_pool_bind(). In the request arena.
 */
const char *web_imap_user_key(struct web_ctx *ctx, const char *user);
/*
 * Give the request's IMAP connection back now, before the response goes
 * out (web_dispatch, once the handler is done): given back only at the
 * arena's reset, a browser's next call could arrive first and find it
 * busy, and the pool would log in a second connection.
 */
void web_imap_release(struct web_ctx *ctx);
/*
 * The domain of the session's user and its IMAP login and decrypted
 * password (wiped when a resets).
 */
int web_session_credentials(struct web_ctx *ctx, struct arena *a,
                            const struct config_domain **dom_r,
                            const char **user_r, const char **password_r,
                            struct perr *err);
/* The session user's domain settings (the default domain's on failure). */
const struct config_domain *web_user_domain(struct web_ctx *ctx);
/* Session options from the config (lifetimes). */
void web_session_opts(const struct web_ctx *ctx, bool remember,
                      struct session_opts *o);

/* Handlers (one file per feature area). */
int web_api_login(struct web_ctx *ctx, struct perr *err);
int web_api_logout(struct web_ctx *ctx, struct perr *err);
int web_api_session(struct web_ctx *ctx, struct perr *err);
int web_api_folders(struct web_ctx *ctx, struct perr *err);
int web_api_folder_create(struct web_ctx *ctx, struct perr *err);
int web_api_folder_rename(struct web_ctx *ctx, struct perr *err);
int web_api_folder_delete(struct web_ctx *ctx, struct perr *err);
int web_api_folder_subscribe(struct web_ctx *ctx, struct perr *err);
int web_api_folder_empty(struct web_ctx *ctx, struct perr *err);
/* FolderMarkRead{folder}: every message of the folder \Seen. */
int web_api_folder_mark_read(struct web_ctx *ctx, struct perr *err);
/* Quota: the storage quota, {used, limit} in KiB or null. */
int web_api_quota(struct web_ctx *ctx, struct perr *err);
int web_api_message_list(struct web_ctx *ctx, struct perr *err);
int web_api_message_set_seen(struct web_ctx *ctx, struct perr *err);
int web_api_message_set_flagged(struct web_ctx *ctx, struct perr *err);
int web_api_message_move(struct web_ctx *ctx, struct perr *err);
/* MessageCopy{folder, uids, to}: {copied: n}. */
int web_api_message_copy(struct web_ctx *ctx, struct perr *err);
int web_api_message_delete(struct web_ctx *ctx, struct perr *err);
/* api_message.c: reading one message (docs/API.md). */
int web_api_message(struct web_ctx *ctx, struct perr *err);
int web_message_body(struct web_ctx *ctx, struct perr *err);
int web_message_part(struct web_ctx *ctx, struct perr *err);
int web_message_raw(struct web_ctx *ctx, struct perr *err);
int web_api_message_headers(struct web_ctx *ctx, struct perr *err);
int web_message_zip(struct web_ctx *ctx, struct perr *err);
/* The Message call's images choice for v (user setting or sender). */
bool web_message_images_allowed(struct web_ctx *ctx, const struct mail_view *v);
/*
 * v's body rendered as the message view shows it (mailto: links too);
 * cids (NULL: the part URLs) gives what a cid: URL becomes.
 */
int web_message_render(struct web_ctx *ctx, struct mail_view *v, bool images,
                       const char *(*cids)(void *arg, struct strv cid),
                       void *cids_arg, struct mail_rendered *r,
                       struct perr *err);
/* api_reading.c (issue 17): unsubscribe, read receipts, print, mailto. */
int web_api_reading_info(struct web_ctx *ctx, struct perr *err);
int web_api_unsubscribe(struct web_ctx *ctx, struct perr *err);
int web_api_read_receipt_send(struct web_ctx *ctx, struct perr *err);
int web_api_read_receipt_ignore(struct web_ctx *ctx, struct perr *err);
int web_message_print(struct web_ctx *ctx, struct perr *err);
int web_mailto_page(struct web_ctx *ctx, struct perr *err);
/* Point the body's mailto: links at /mailto (Petrel's compose). */
void web_mailto_links(struct mail_rendered *r, struct arena *a);
/* api_transfer.c: folder export as mboxrd (docs/API.md). */
/* api_message.c: a built zip sent from its file; an RFC 6266 name. */
int web_send_zip(struct web_ctx *ctx, const struct mail_zip *z,
                 const char *name, struct perr *err);
int web_set_attachment_name(struct web_ctx *ctx, const char *name);
int web_message_export(struct web_ctx *ctx, struct perr *err);
/* FolderImport (multipart: folder, file...): {results, imported, failed}. */
int web_api_folder_import(struct web_ctx *ctx, struct perr *err);
/* api_images.c: "always show images from this sender" (docs/API.md). */
int web_api_images_allow(struct web_ctx *ctx, struct perr *err);
int web_api_images_disallow(struct web_ctx *ctx, struct perr *err);
int web_api_images_allowed(struct web_ctx *ctx, struct perr *err);
/*
 * The sender address trimmed, lower-cased (ASCII) and checked: non-empty,
 * at most 254 bytes, an '@', no control character. *out_r is in a;
 * PERR_INPUT otherwise.
 */
int web_images_sender_normalise(const char *in, struct arena *a,
                                const char **out_r, struct perr *err);
/* Whether address is in the session user's list; false on any failure. */
bool web_images_sender_allowed(struct web_ctx *ctx, const char *address);
/* api_settings.c: the user's preferences (docs/API.md). */
int web_api_settings(struct web_ctx *ctx, struct perr *err);
int web_api_settings_save(struct web_ctx *ctx, struct perr *err);
/* The session user's effective settings: a new object, never NULL. */
struct json_t *web_settings(struct web_ctx *ctx);
/* Switch ctx->lang to settings' "lang" when it names a catalog. */
void web_settings_use_lang(struct web_ctx *ctx, struct json_t *settings);
/* Whether the user shows remote images in every message. */
bool web_settings_images_always(struct web_ctx *ctx);
/* Whether opening a message reads it ("readAfterSeconds": 0). */
bool web_settings_read_on_open(struct web_ctx *ctx);
/* At sign-in: set the language cookie to the account's choice, if any. */
int web_settings_login_lang(struct web_ctx *ctx, const char *user,
                            struct perr *err);
/* api_filters.c: filter rules and raw Sieve scripts (docs/API.md). */
int web_api_filters(struct web_ctx *ctx, struct perr *err);
int web_api_filters_save(struct web_ctx *ctx, struct perr *err);
int web_api_filters_scripts(struct web_ctx *ctx, struct perr *err);
int web_api_filters_script_get(struct web_ctx *ctx, struct perr *err);
int web_api_filters_script_save(struct web_ctx *ctx, struct perr *err);
int web_api_filters_script_activate(struct web_ctx *ctx, struct perr *err);
int web_api_filters_script_delete(struct web_ctx *ctx, struct perr *err);
int web_api_filters_script_rename(struct web_ctx *ctx, struct perr *err);
/* Route guards: filters (raw: and raw scripts) enabled for the domain. */
int web_filters_guard(struct web_ctx *ctx, struct perr *err);
int web_filters_raw_guard(struct web_ctx *ctx, struct perr *err);
/* {"enabled", "allowRaw"} for the boot JSON and the Session call. */
struct json_t *web_filters_flags(struct web_ctx *ctx);
/* api_compose*.c: writing and sending (docs/API.md). */
int web_api_upload(struct web_ctx *ctx, struct perr *err);
int web_api_upload_delete(struct web_ctx *ctx, struct perr *err);
int web_api_compose_from(struct web_ctx *ctx, struct perr *err);
int web_api_save_draft(struct web_ctx *ctx, struct perr *err);
int web_api_send(struct web_ctx *ctx, struct perr *err);
int web_api_identities(struct web_ctx *ctx, struct perr *err);
int web_api_identity_save(struct web_ctx *ctx, struct perr *err);
int web_api_identity_delete(struct web_ctx *ctx, struct perr *err);
int web_api_identity_confirm(struct web_ctx *ctx, struct perr *err);
/* page_identity.c: the link mailed by IdentityConfirm (no session). */
int web_identity_confirm_page(struct web_ctx *ctx, struct perr *err);
int web_identity_confirm_post(struct web_ctx *ctx, struct perr *err);
int web_api_address_suggest(struct web_ctx *ctx, struct perr *err);
/* api_contacts.c: the address book (docs/API.md). */
#define WEB_CONTACTS_MAX 5000 /* per user */
int web_api_contacts(struct web_ctx *ctx, struct perr *err);
int web_api_contact_save(struct web_ctx *ctx, struct perr *err);
int web_api_contact_delete(struct web_ctx *ctx, struct perr *err);
int web_api_contacts_import(struct web_ctx *ctx, struct perr *err);
int web_contacts_export(struct web_ctx *ctx, struct perr *err);
/* Set the API code for what mime refused (header_injection, ...). */
void web_compose_fail_code(struct web_ctx *ctx, const struct perr *err);
/* The multipart field "file" of the request, or NULL with PERR_INPUT. */
const struct http_upload *web_upload_field(struct web_ctx *ctx,
                                           struct perr *err);
/* 413 "too_large" naming the per-file or the total limit. */
int web_upload_too_large(struct web_ctx *ctx, bool total, struct perr *err);
/* web_mail.c: the request's mail service session (src/mail). */
int web_mail(struct web_ctx *ctx, struct mail_session **s_r, struct perr *err);
/* Name what the service said in ctx->mail->why (API code); returns -1. */
int web_mail_fail(struct web_ctx *ctx, struct perr *err);
/* {"id","name","type","size"} of an upload. */
struct json_t *web_upload_json(const struct mail_upload *u);
/*
 * api_plugin.c: the plugins at the web layer's seams. A refusal returns
 * -1 with a 403 whose message is the plugin's.
 */
int web_plugins_login_before(struct web_ctx *ctx, const char *email,
                             struct perr *err);
void web_plugins_login_after(struct web_ctx *ctx, const char *email);
/*
 * Run login_check after the password was right. -1 with PERR_FORBIDDEN
 * (403, the plugin's message) when refused, PERR_AUTH (401 with the
 * error's "challenge": {"plugin", "prompt"}) when a plugin asks for a
 * second answer, sent back as Login's "second_factor".
 */
int web_plugins_login_check(struct web_ctx *ctx, const char *email,
                            const char *second_factor, struct perr *err);
/* Run send_before; its headers go into c->extra_headers. */
int web_plugins_send_headers(struct web_ctx *ctx, struct mail_compose *c,
                             struct perr *err);
/* The message_view notices as a JSON array (never NULL). */
struct json_t *web_plugins_notices(struct web_ctx *ctx,
                                   const struct mail_view *v);
int web_api_plugin_action(struct web_ctx *ctx, struct perr *err);
int web_api_plugin_settings(struct web_ctx *ctx, struct perr *err);
int web_page_index(struct web_ctx *ctx, struct perr *err);
int web_api_lang(struct web_ctx *ctx, struct perr *err);
int web_api_health(struct web_ctx *ctx, struct perr *err);

/* api_snooze.c (issue 17): MessageSnooze, MessageUnsnooze, Snoozed. */
int web_api_message_snooze(struct web_ctx *ctx, struct perr *err);
int web_api_message_unsnooze(struct web_ctx *ctx, struct perr *err);
int web_api_snoozed(struct web_ctx *ctx, struct perr *err);

#define WEB_LANG_COOKIE "petrel_lang"

/* api_labels.c: labels as IMAP keywords (issue 17, docs/API.md). */
int web_api_labels(struct web_ctx *ctx, struct perr *err);
int web_api_label_save(struct web_ctx *ctx, struct perr *err);
int web_api_label_delete(struct web_ctx *ctx, struct perr *err);
int web_api_message_set_keywords(struct web_ctx *ctx, struct perr *err);
/* A row's or message's keywords as a JSON array of strings. */
struct json_t *web_keywords_json(const char *const *kw, size_t n);
/* api_searchall.c: search across folders. */
int web_api_search_all(struct web_ctx *ctx, struct perr *err);
int web_api_search_all_cancel(struct web_ctx *ctx, struct perr *err);
/* api_mail.c: one row of MessageList format 1 (docs/API.md). */
struct json_t *web_message_row_json(const struct imap_msg_row *r);
/* ---- api_outbox.c: undo send and send later ----------------------------- */

/* Petrel's time for the outbox (a test build may move it, see there). */
int64_t web_outbox_now(void);
/*
 * Send's undoSeconds and sendAt: 1 with the job's due time (and sendAt,
 * 0 for an undo hold) when the message is to wait, 0 to send now, -1 for
 * a bad value.
 */
int web_outbox_send_times(struct web_ctx *ctx, int64_t *due_r,
                          int64_t *send_at_r, struct perr *err);
/* Store the prepared message as a held or scheduled job and answer
 * {id, state, due}. */
int web_outbox_hold(struct web_ctx *ctx, struct mail_session *ms,
                    const struct mail_compose *c, const struct mail_outgoing *o,
                    int64_t due, int64_t send_at, struct perr *err);
int web_api_send_cancel(struct web_ctx *ctx, struct perr *err);
int web_api_scheduled(struct web_ctx *ctx, struct perr *err);

#endif
