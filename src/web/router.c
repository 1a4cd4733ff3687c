/*
 * The route table and the request pipeline. Routes are one static table
 * (Dovecot's command table, Kore's config routes): reading it tells what
 * Petrel answers to. Middleware are slots switched on per route by flags;
 * the session, CSRF, admin and rate-limit slots are filled as those
 * features land, and a route that asks for a slot not yet filled is
 * refused rather than served unprotected.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

#define API (ROUTE_API)
#define USER (ROUTE_API | ROUTE_SESSION)
#define CHANGE (ROUTE_API | ROUTE_SESSION | ROUTE_CSRF)

/*
 * The argument specs of the JSON routes (args.c checks the body against
 * them before the handler runs; docs/API.md lists the reasons). Names
 * are path-like: no control character. Header-like values (subjects,
 * addresses, identity names) refuse CR and LF; bodies take any but NUL.
 */
/* clang-format off */
#define SPEC(n, t, req, lo, hi, items, c) \
	{n, t, req, lo, hi, items, c, PERR_OK, WEB_BODY_ANY}
#define STR(n, req, lo, hi, c) SPEC(n, WEB_ARG_STRING, req, lo, hi, 0, c)
#define NAME(n, req) STR(n, req, 1, 0, WEB_CTL_TEXT)
#define UID(n, req) SPEC(n, WEB_ARG_UID, req, 0, 0, 0, WEB_CTL_TEXT)
#define INT(n, lo, hi) SPEC(n, WEB_ARG_INT, false, lo, hi, 0, WEB_CTL_TEXT)
#define BOOL(n, req) SPEC(n, WEB_ARG_BOOL, req, 0, 0, 0, WEB_CTL_TEXT)
#define UIDS(n) SPEC(n, WEB_ARG_UIDS, true, 0, 0, IMAP_UIDS_MAX, WEB_CTL_TEXT)
#define ADDRS(n) \
	SPEC(n, WEB_ARG_STRINGS, false, 0, 0, MAIL_MAX_RCPT, WEB_CTL_HEADER)
#define REF(n) SPEC(n, WEB_ARG_REF, false, 0, 0, 0, WEB_CTL_TEXT)
#define JSON(n) SPEC(n, WEB_ARG_JSON, false, 0, 0, 0, WEB_CTL_TEXT)
#define END SPEC(NULL, WEB_ARG_STRING, false, 0, 0, 0, WEB_CTL_TEXT)
#define END_OBJECT \
	{NULL, WEB_ARG_STRING, false, 0, 0, 0, WEB_CTL_TEXT, PERR_OK, \
	 WEB_BODY_OBJECT}
#define END_EXACT \
	{NULL, WEB_ARG_STRING, false, 0, 0, 0, WEB_CTL_TEXT, PERR_OK, \
	 WEB_BODY_EXACT}
/* clang-format on */

static const struct web_arg args_path[] = {NAME("path", true), END};
static const struct web_arg args_folder[] = {NAME("folder", true), END};
static const struct web_arg args_folder_rename[] = {NAME("path", true),
                                                    NAME("newPath", true), END};
static const struct web_arg args_folder_subscribe[] = {
        NAME("path", true), BOOL("value", true), END};
static const struct web_arg args_message_list[] = {
        NAME("folder", true),
        INT("offset", 0, UINT32_MAX),
        INT("limit", 0, IMAP_LIST_MAX_LIMIT),
        STR("sort", false, 0, 0, WEB_CTL_TEXT),
        STR("search", false, 0, 0, WEB_CTL_TEXT),
        BOOL("threads", false),
        INT("format", 1, 2),
        END};
static const struct web_arg args_set_flag[] = {
        NAME("folder", true), UIDS("uids"), BOOL("value", true), END};
static const struct web_arg args_move[] = {NAME("folder", true),
                                           NAME("to", true), UIDS("uids"), END};
static const struct web_arg args_uids[] = {NAME("folder", true), UIDS("uids"),
                                           END};
static const struct web_arg args_message[] = {
        NAME("folder", true), UID("uid", true), NAME("part", false), END};
static const struct web_arg args_receipt_send[] = {
        NAME("folder", true), UID("uid", true), BOOL("auto", false), END};
static const struct web_arg args_unsubscribe[] = {NAME("folder", true),
                                                  UID("uid", true), END};
static const struct web_arg args_compose_from[] = {
        STR("mode", true, 0, 32, WEB_CTL_TEXT),
        STR("folder", true, 0, 4096, WEB_CTL_TEXT), UID("uid", true), END};
/* sendAt and undoSeconds: Send only (api_outbox.c checks them). */
static const struct web_arg args_compose[] = {
        ADDRS("to"),
        ADDRS("cc"),
        ADDRS("bcc"),
        STR("replyTo", false, 0, 1024, WEB_CTL_HEADER),
        STR("subject", false, 0, MAIL_MAX_SUBJECT, WEB_CTL_HEADER),
        STR("text", false, 0, MAIL_MAX_BODY, WEB_CTL_TEXT),
        STR("html", false, 0, MAIL_MAX_BODY, WEB_CTL_TEXT),
        REF("inReplyTo"),
        REF("forwardOf"),
        UID("draftUid", false),
        STR("sendToken", false, 0, 128, WEB_CTL_LINE),
        STR("identityId", false, 0, 32, WEB_CTL_LINE),
        STR("from", false, 0, 1024, WEB_CTL_HEADER),
        SPEC("attachments", WEB_ARG_STRINGS, false, 0, 0, MAIL_MAX_ATT,
             WEB_CTL_LINE),
        BOOL("readReceipt", false),
        INT("sendAt", 1, INT64_MAX),
        INT("undoSeconds", 0, 30),
        END};
static const struct web_arg args_send_cancel[] = {{"id", WEB_ARG_INT, true, 1,
                                                   INT64_MAX, 0, WEB_CTL_TEXT,
                                                   PERR_NOTFOUND, WEB_BODY_ANY},
                                                  END};
static const struct web_arg args_upload_delete[] = {
        STR("id", true, 0, 64, WEB_CTL_LINE), END};
static const struct web_arg args_identity_save[] = {
        STR("id", false, 0, 32, WEB_CTL_LINE),
        STR("name", false, 0, 1024, WEB_CTL_HEADER),
        STR("email", true, 0, 1024, WEB_CTL_HEADER),
        STR("replyTo", false, 0, 1024, WEB_CTL_HEADER),
        STR("signature", false, 0, 64 * 1024, WEB_CTL_TEXT),
        STR("sentFolder", false, 0, 1024, WEB_CTL_HEADER),
        BOOL("signatureHtml", false),
        BOOL("signatureAbove", false),
        BOOL("isDefault", false),
        END};
static const struct web_arg args_identity_delete[] = {
        STR("id", true, 0, 32, WEB_CTL_LINE), END};
static const struct web_arg args_suggest[] = {
        STR("q", true, 0, 256, WEB_CTL_TEXT), INT("limit", 1, 50), END};

static const struct web_arg args_lang[] = {
        STR("lang", true, 0, 0, WEB_CTL_LINE), END};
/* Login judges missing and unusable values itself (401, not 400). */
static const struct web_arg args_login[] = {
        STR("email", false, 0, 0, WEB_CTL_TEXT),
        STR("password", false, 0, 0, WEB_CTL_TEXT), JSON("remember"),
        /* The answer to a plugin's challenge (two-factor). */
        STR("second_factor", false, 0, 64, WEB_CTL_LINE), END};
static const struct web_arg args_sender[] = {
        STR("sender", true, 0, 0, WEB_CTL_TEXT), END};
/* Each setting's own rule (choices, zones, languages) is api_settings.c's. */
static const struct web_arg args_settings_save[] = {
        STR("lang", false, 0, 0, WEB_CTL_LINE),
        STR("timeZone", false, 0, 64, WEB_CTL_TEXT),
        INT("messagesPerPage", 5, 500),
        STR("theme", false, 0, 0, WEB_CTL_LINE),
        STR("showImages", false, 0, 0, WEB_CTL_LINE),
        BOOL("threads", false),
        BOOL("composeHtml", false),
        INT("readAfterSeconds", 0, 300),
        STR("readReceipts", false, 0, 0, WEB_CTL_LINE),
        INT("undoSeconds", 0, 30),
        END_EXACT};
/* The rules are a tree with its own reader (api_filters.c read_rules). */
static const struct web_arg args_filters_save[] = {
        JSON("rules"), JSON("vacation"), END_OBJECT};
static const struct web_arg args_script_name[] = {
        STR("name", true, 0, 0, WEB_CTL_TEXT), END};
static const struct web_arg args_script_save[] = {
        STR("name", true, 0, 0, WEB_CTL_TEXT),
        STR("script", true, 0, 0, WEB_CTL_TEXT), END};
static const struct web_arg args_script_rename[] = {
        STR("name", true, 0, 0, WEB_CTL_TEXT),
        STR("newName", true, 0, 0, WEB_CTL_TEXT), END};
static const struct web_arg args_contacts[] = {
        STR("q", false, 0, 256, WEB_CTL_TEXT),
        INT("offset", 0, WEB_CONTACTS_MAX), INT("limit", 1, 500), END};
/* Free text is checked by api_contacts.c (control characters, UTF-8). */
static const struct web_arg args_contact_save[] = {
        {"id", WEB_ARG_INT, false, 1, INT64_MAX, 0, WEB_CTL_TEXT, PERR_NOTFOUND,
         WEB_BODY_ANY},
        STR("name", false, 0, 256, WEB_CTL_HEADER),
        STR("phone", false, 0, 64, WEB_CTL_HEADER),
        STR("organization", false, 0, 256, WEB_CTL_HEADER),
        STR("notes", false, 0, 4096, WEB_CTL_TEXT),
        SPEC("emails", WEB_ARG_STRINGS, false, 0, 0, SIZE_MAX, WEB_CTL_HEADER),
        END};
static const struct web_arg args_contact_delete[] = {
        SPEC("ids", WEB_ARG_IDS, true, 1, INT64_MAX, WEB_CONTACTS_MAX,
             WEB_CTL_TEXT),
        END};
static const struct web_arg args_search_all[] = {
        STR("search", true, 1, IMAP_SEARCH_MAX_LEN, WEB_CTL_TEXT),
        INT("offset", 0, IMAP_SA_CAP_DEFAULT),
        INT("limit", 0, IMAP_LIST_MAX_LIMIT), BOOL("refresh", false), END};

/* Labels (api_labels.c): a keyword is an atom of at most 64 bytes. */
static const struct web_arg args_label_save[] = {
        STR("keyword", false, 0, 64, WEB_CTL_LINE),
        STR("name", false, 1, 128, WEB_CTL_LINE),
        STR("colour", false, 1, 16, WEB_CTL_LINE), END};
static const struct web_arg args_label_delete[] = {
        STR("keyword", true, 1, 64, WEB_CTL_LINE),
        BOOL("removeFromMessages", false), END};
static const struct web_arg args_set_keywords[] = {
        NAME("folder", true), UIDS("uids"),
        SPEC("add", WEB_ARG_STRINGS, false, 1, 64, 16, WEB_CTL_LINE),
        SPEC("remove", WEB_ARG_STRINGS, false, 1, 64, 16, WEB_CTL_LINE), END};

static const struct web_arg args_snooze[] = {
        NAME("folder", true),
        SPEC("uids", WEB_ARG_UIDS, true, 0, 0, MAIL_SNOOZE_MAX, WEB_CTL_TEXT),
        SPEC("until", WEB_ARG_INT, true, 1, INT64_MAX, 0, WEB_CTL_TEXT), END};
static const struct web_arg args_unsnooze[] = {
        SPEC("uids", WEB_ARG_UIDS, true, 0, 0, MAIL_SNOOZE_MAX, WEB_CTL_TEXT),
        END};

static const struct web_route routes[] = {
        {"GET", "/", web_page_index, ROUTE_SESSION_OPTIONAL, NULL, NULL},
        {"GET", "/healthz", web_api_health, API, NULL, NULL},
        {"POST", "/api/Lang", web_api_lang, API, args_lang, NULL},
        {"POST", "/api/Login", web_api_login, API, args_login, NULL},
        {"POST", "/api/Logout", web_api_logout, CHANGE, NULL, NULL},
        {"POST", "/api/Session", web_api_session, USER, NULL, NULL},
        /*
         * Reads need the token too: a JSON POST from another site cannot
         * carry it, so no read can be triggered cross-site either.
         */
        {"POST", "/api/Folders", web_api_folders, CHANGE, NULL, NULL},
        {"POST", "/api/FolderCreate", web_api_folder_create, CHANGE, args_path,
         NULL},
        {"POST", "/api/FolderRename", web_api_folder_rename, CHANGE,
         args_folder_rename, NULL},
        {"POST", "/api/FolderDelete", web_api_folder_delete, CHANGE, args_path,
         NULL},
        {"POST", "/api/FolderSubscribe", web_api_folder_subscribe, CHANGE,
         args_folder_subscribe, NULL},
        {"POST", "/api/FolderEmpty", web_api_folder_empty, CHANGE, args_path,
         NULL},
        {"POST", "/api/Quota", web_api_quota, CHANGE, NULL, NULL},
        {"POST", "/api/FolderMarkRead", web_api_folder_mark_read, CHANGE,
         args_folder, NULL},
        {"POST", "/api/MessageList", web_api_message_list, CHANGE,
         args_message_list, NULL},
        {"POST", "/api/MessageSetSeen", web_api_message_set_seen, CHANGE,
         args_set_flag, NULL},
        {"POST", "/api/MessageSetFlagged", web_api_message_set_flagged, CHANGE,
         args_set_flag, NULL},
        {"POST", "/api/MessageCopy", web_api_message_copy, CHANGE, args_move,
         NULL},
        {"POST", "/api/MessageMove", web_api_message_move, CHANGE, args_move,
         NULL},
        {"POST", "/api/MessageDelete", web_api_message_delete, CHANGE,
         args_uids, NULL},
        {"POST", "/api/Message", web_api_message, CHANGE, args_message, NULL},
        {"POST", "/api/MessageHeaders", web_api_message_headers, CHANGE,
         args_message, NULL},
        {"POST", "/api/ImagesAllow", web_api_images_allow, CHANGE, args_sender,
         NULL},
        {"POST", "/api/ImagesDisallow", web_api_images_disallow, CHANGE,
         args_sender, NULL},
        {"POST", "/api/ImagesAllowed", web_api_images_allowed, CHANGE, NULL,
         NULL},
        {"POST", "/api/Settings", web_api_settings, CHANGE, NULL, NULL},
        {"POST", "/api/SettingsSave", web_api_settings_save, CHANGE,
         args_settings_save, NULL},
        {"POST", "/api/Filters", web_api_filters, CHANGE, NULL, NULL},
        {"POST", "/api/FiltersSave", web_api_filters_save, CHANGE,
         args_filters_save, web_filters_guard},
        {"POST", "/api/FiltersScripts", web_api_filters_scripts, CHANGE, NULL,
         NULL},
        {"POST", "/api/FiltersScriptGet", web_api_filters_script_get, CHANGE,
         args_script_name, web_filters_raw_guard},
        {"POST", "/api/FiltersScriptSave", web_api_filters_script_save, CHANGE,
         args_script_save, web_filters_raw_guard},
        {"POST", "/api/FiltersScriptActivate", web_api_filters_script_activate,
         CHANGE, args_script_name, web_filters_raw_guard},
        {"POST", "/api/FiltersScriptDelete", web_api_filters_script_delete,
         CHANGE, args_script_name, web_filters_raw_guard},
        {"POST", "/api/FiltersScriptRename", web_api_filters_script_rename,
         CHANGE, args_script_rename, web_filters_raw_guard},
        /* Compose and send (api_compose.c, api_send.c, api_compose_from.c). */
        {"POST", "/api/Upload", web_api_upload, CHANGE | ROUTE_UPLOAD, NULL,
         NULL},
        {"POST", "/api/UploadDelete", web_api_upload_delete, CHANGE,
         args_upload_delete, NULL},
        {"POST", "/api/ComposeFrom", web_api_compose_from, CHANGE,
         args_compose_from, NULL},
        {"POST", "/api/SaveDraft", web_api_save_draft, CHANGE, args_compose,
         NULL},
        {"POST", "/api/Send", web_api_send, CHANGE, args_compose, NULL},
        {"POST", "/api/Identities", web_api_identities, CHANGE, NULL, NULL},
        {"POST", "/api/IdentitySave", web_api_identity_save, CHANGE,
         args_identity_save, NULL},
        {"POST", "/api/IdentityDelete", web_api_identity_delete, CHANGE,
         args_identity_delete, NULL},
        {"POST", "/api/IdentityConfirm", web_api_identity_confirm, CHANGE,
         args_identity_delete, NULL},
        /* The link IdentityConfirm mails: the token is the proof. */
        {"GET", "/identity/confirm", web_identity_confirm_page, 0, NULL, NULL},
        {"POST", "/identity/confirm", web_identity_confirm_post, 0, NULL, NULL},
        {"POST", "/api/AddressSuggest", web_api_address_suggest, CHANGE,
         args_suggest, NULL},
        /* The address book (api_contacts.c). */
        /*
         * Plugins (api_plugin.c): the user's settings sections, and
         * /api/plugin/<name>/<Action> with the session and the token
         * checked here, never by the plugin. A plugin's arguments are
         * whatever string members it reads (api_plugin.c bounds them).
         */
        {"POST", "/api/PluginSettings", web_api_plugin_settings, CHANGE, NULL,
         NULL},
        {"POST", "/api/plugin/", web_api_plugin_action, CHANGE | ROUTE_PREFIX,
         NULL, NULL},
        {"POST", "/api/Contacts", web_api_contacts, CHANGE, args_contacts,
         NULL},
        {"POST", "/api/ContactSave", web_api_contact_save, CHANGE,
         args_contact_save, NULL},
        {"POST", "/api/ContactDelete", web_api_contact_delete, CHANGE,
         args_contact_delete, NULL},
        {"POST", "/api/ContactsImport", web_api_contacts_import,
         CHANGE | ROUTE_UPLOAD, NULL, NULL},
        {"POST", "/api/FolderImport", web_api_folder_import,
         CHANGE | ROUTE_UPLOAD, NULL, NULL},
        /* Labels (api_labels.c). */
        {"POST", "/api/Labels", web_api_labels, CHANGE, NULL, NULL},
        {"POST", "/api/LabelSave", web_api_label_save, CHANGE, args_label_save,
         NULL},
        {"POST", "/api/LabelDelete", web_api_label_delete, CHANGE,
         args_label_delete, NULL},
        {"POST", "/api/MessageSetKeywords", web_api_message_set_keywords,
         CHANGE, args_set_keywords, NULL},
        /* GETs that change nothing; the session cookie is required. */
        {"GET", "/message/body", web_message_body, ROUTE_SESSION, NULL, NULL},
        {"GET", "/message/part", web_message_part, ROUTE_SESSION, NULL, NULL},
        {"GET", "/message/raw", web_message_raw, ROUTE_SESSION, NULL, NULL},
        {"GET", "/message/zip", web_message_zip, ROUTE_SESSION, NULL, NULL},
        {"GET", "/message/export", web_message_export, ROUTE_SESSION, NULL,
         NULL},
        {"GET", "/contacts/export", web_contacts_export, ROUTE_SESSION, NULL,
         NULL},
        /*
         * The admin panel (admin_*.c, docs/ADMIN.md). The sign-in checks the
         * key itself; without an admin session the rest answer 404.
         */
        {"POST", "/admin/login", web_admin_login, 0, NULL, NULL},
        {"POST", "/admin/logout", web_admin_logout, ROUTE_ADMIN | ROUTE_CSRF,
         NULL, NULL},
        {"GET", "/admin/", web_admin_dashboard, ROUTE_ADMIN, NULL, NULL},
        {"GET", "/admin/domains", web_admin_domains, ROUTE_ADMIN, NULL, NULL},
        {"GET", "/admin/health", web_admin_health, ROUTE_ADMIN, NULL, NULL},
        {"GET", "/admin/domain", web_admin_domain_edit, ROUTE_ADMIN, NULL,
         NULL},
        {"POST", "/admin/domain", web_admin_domain_save,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"POST", "/admin/domain/delete", web_admin_domain_delete,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"POST", "/admin/domain/toggle", web_admin_domain_toggle,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"GET", "/admin/settings", web_admin_settings, ROUTE_ADMIN, NULL, NULL},
        {"POST", "/admin/settings", web_admin_settings_save,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"GET", "/admin/security", web_admin_security, ROUTE_ADMIN, NULL, NULL},
        {"POST", "/admin/security/password", web_admin_security_password,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"POST", "/admin/security/totp", web_admin_security_totp,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"POST", "/admin/security/panel", web_admin_security_panel,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"POST", "/admin/session/end", web_admin_session_end,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"GET", "/admin/logs", web_admin_logs, ROUTE_ADMIN, NULL, NULL},
        {"POST", "/admin/credentials-file/deleted",
         web_admin_credentials_deleted, ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"GET", "/admin/plugins", web_admin_plugins, ROUTE_ADMIN, NULL, NULL},
        {"POST", "/admin/plugins/toggle", web_admin_plugin_toggle,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"POST", "/admin/plugins/options", web_admin_plugin_options,
         ROUTE_ADMIN | ROUTE_CSRF, NULL, NULL},
        {"POST", "/admin/relay", web_admin_relay_save, ROUTE_ADMIN | ROUTE_CSRF,
         NULL, NULL},
        {"POST", "/admin/branding", web_admin_branding_save,
         ROUTE_ADMIN | ROUTE_CSRF | ROUTE_UPLOAD, NULL, NULL},
        {"GET", "/branding/logo", web_branding_logo, 0, NULL, NULL},
        {"GET", "/branding/favicon", web_branding_favicon, 0, NULL, NULL},
        /* Reading (api_reading.c): unsubscribe, receipts, print, mailto. */
        {"POST", "/api/ReadingInfo", web_api_reading_info, CHANGE,
         args_unsubscribe, NULL},
        {"POST", "/api/Unsubscribe", web_api_unsubscribe, CHANGE,
         args_unsubscribe, NULL},
        {"POST", "/api/ReadReceiptSend", web_api_read_receipt_send, CHANGE,
         args_receipt_send, NULL},
        {"POST", "/api/ReadReceiptIgnore", web_api_read_receipt_ignore, CHANGE,
         args_unsubscribe, NULL},
        {"GET", "/message/print", web_message_print, ROUTE_SESSION, NULL, NULL},
        {"GET", "/mailto", web_mailto_page, 0, NULL, NULL},
        /* Search across folders (api_searchall.c). */
        {"POST", "/api/SearchAll", web_api_search_all, CHANGE, args_search_all,
         NULL},
        {"POST", "/api/SearchAllCancel", web_api_search_all_cancel, CHANGE,
         NULL, NULL},
        {"POST", "/api/SendCancel", web_api_send_cancel, CHANGE,
         args_send_cancel, NULL},
        {"POST", "/api/Scheduled", web_api_scheduled, CHANGE, NULL, NULL},
        /* Snooze (api_snooze.c). */
        {"POST", "/api/MessageSnooze", web_api_message_snooze, CHANGE,
         args_snooze, NULL},
        {"POST", "/api/MessageUnsnooze", web_api_message_unsnooze, CHANGE,
         args_unsnooze, NULL},
        {"POST", "/api/Snoozed", web_api_snoozed, CHANGE, NULL, NULL},
};

const struct web_route *
web_route_table(size_t *n_r)
{
	*n_r = PT_NELEM(routes);
	return routes;
}

/* Flags whose middleware exists. Anything else fails closed. */
#define ROUTE_FLAGS_AVAILABLE                                                  \
	(ROUTE_API | ROUTE_SESSION | ROUTE_SESSION_OPTIONAL | ROUTE_CSRF |     \
	 ROUTE_ADMIN | ROUTE_PREFIX | ROUTE_UPLOAD)

static bool
method_matches(const char *route_method, const char *method)
{
	if (strcmp(route_method, method) == 0)
		return true;
	/* RFC 9110 §9.3.2: HEAD is GET without the body. */
	return strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

/*
 * Find the route for method + path. *path_known_r tells whether the path
 * exists with another method (405 rather than 404), and *allow_r lists
 * those methods for the Allow header.
 */
static const struct web_route *
route_find(const struct http_request *req, bool *path_known_r,
           struct sbuf *allow_r)
{
	size_t i;

	*path_known_r = false;
	for (i = 0; i < PT_NELEM(routes); i++) {
		if (routes[i].flags & ROUTE_PREFIX
		            ? !strv_starts_with(req->path,
		                                strv_from_cstr(routes[i].path))
		            : !strv_eq_cstr(req->path, routes[i].path))
			continue;
		if (method_matches(routes[i].method, req->method))
			return &routes[i];
		if (*path_known_r)
			sbuf_append_cstr(allow_r, ", ");
		sbuf_append_cstr(allow_r, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			sbuf_append_cstr(allow_r, ", HEAD");
		*path_known_r = true;
	}
	return NULL;
}

static bool
client_wants_json(const struct http_request *req)
{
	struct strv accept;

	if (strv_starts_with(req->path, STRV_LIT("/api/")))
		return true;
	if (!http_request_header(req, "accept", &accept))
		return false;
	return strv_find(accept, STRV_LIT("application/json")) >= 0 &&
	       strv_find(accept, STRV_LIT("text/html")) < 0;
}

static void
pick_language(struct web_ctx *ctx)
{
	struct strv choice = STRV_NULL, accept = STRV_NULL;

	(void)http_request_cookie(ctx->req, WEB_LANG_COOKIE, &choice);
	(void)http_request_header(ctx->req, "accept-language", &accept);
	ctx->lang = i18n_pick(ctx->state->i18n, choice, accept,
	                      strv_from_cstr(ctx->config->webmail.language));
	ctx->lang_dict = web_state_lang_dict(ctx->state, ctx->lang);
}

/*
 * A request at least this slow is logged at info level, with the user
 * (the log context), which nginx's access log cannot name.
 */
#define WEB_SLOW_REQUEST_MS 1000

/*
 * Access logging is nginx's job (contrib/nginx/petrel.conf's log format):
 * every request is a debug line here, off the hot path at the production
 * level (info). A line costs a worker ~2-3 us and the one log mutex
 * (bench/logcost.c); at info level, Petrel logs what nginx cannot see:
 * sign-ins, errors with their reason, and slow requests.
 */
static void
access_log(const struct web_ctx *ctx, uint64_t started)
{
	uint64_t ms = pt_now_ms_monotonic() - started;

	/* The path only: the query may carry the admin key. */
	log_msg(ms >= WEB_SLOW_REQUEST_MS ? LOG_LVL_INFO : LOG_LVL_DEBUG,
	        "%s%s %.*s %d %llums",
	        ms >= WEB_SLOW_REQUEST_MS ? "slow request: " : "",
	        ctx->req->method,
	        (int)(ctx->req->path.len > 200 ? 200 : ctx->req->path.len),
	        ctx->req->path.p, ctx->resp->status, (unsigned long long)ms);
}

static void
ctx_begin(struct web_ctx *ctx, void *app, struct http_request *req)
{
	ctx->app = app;
	ctx->req = req;
	ctx->state = web_state_acquire(ctx->app);
	ctx->config = ctx->state->config;
	ctx->wants_json = client_wants_json(req);
	req->user = ctx;
	log_set_context(req->id, req->remote_addr, NULL);
	pick_language(ctx);
}

int
web_body_check(struct http_request *req, void *app, uint64_t *max_r,
               struct perr *err)
{
	struct web_ctx *ctx = arena_new(req->arena, struct web_ctx);
	const struct web_route *route;
	struct strv type = http_media_type(req->content_type);
	struct sbuf allow;
	bool path_known;

	if (ctx == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "out of request memory");
	ctx_begin(ctx, app, req);
	ctx->early = true;
	sbuf_init(&allow, req->arena, 64, 256);
	route = route_find(req, &path_known, &allow);
	/* No such route (404/405 follows) or a GET: no body to read. */
	if (route == NULL || strcmp(route->method, "GET") == 0) {
		*max_r = 0;
		return 0;
	}
	if (!(route->flags & ROUTE_UPLOAD)) {
		/* Only what these routes read, and only in memory. */
		if (!strv_eq_ci_ascii(type, STRV_LIT("application/json")) &&
		    !strv_eq_ci_ascii(
		            type,
		            STRV_LIT("application/x-www-form-urlencoded")))
			return perr_set(err, req->arena, PERR_INPUT,
			                "this request takes a JSON or form "
			                "body, no files");
		if (req->limits->max_form < *max_r)
			*max_r = req->limits->max_form;
	}
	/* Who may send it, before its bytes cost anything. */
	if ((route->flags & ROUTE_SESSION) && web_session_load(ctx, err) != 0)
		return -1;
	if ((route->flags & ROUTE_ADMIN) &&
	    web_admin_middleware(ctx, route->flags & ~(unsigned)ROUTE_CSRF,
	                         err) != 0)
		return -1;
	return 0;
}

void
web_dispatch(struct http_request *req, struct http_response *resp, void *app)
{
	struct web_ctx ctx = {0};
	struct web_ctx *early = req->user;
	const struct web_route *route;
	struct perr err = {0};
	struct sbuf allow;
	bool path_known;
	uint64_t started = pt_now_ms_monotonic();

	/* The body hook may have begun the context (and loaded the session). */
	if (early != NULL && early->early && early->req == req) {
		ctx = *early;
		req->user = &ctx;
		if (ctx.session != NULL)
			log_set_context(req->id, req->remote_addr,
			                ctx.session->user);
	} else {
		ctx_begin(&ctx, app, req);
	}
	ctx.resp = resp;

	sbuf_init(&allow, req->arena, 64, 256);
	route = route_find(req, &path_known, &allow);
	if (route == NULL) {
		if (path_known) {
			(void)http_response_set_header(resp, "Allow",
			                               sbuf_cstr(&allow));
			perr_set(&err, req->arena, PERR_METHOD,
			         "%s is not allowed here", req->method);
		} else {
			perr_set(&err, req->arena, PERR_NOTFOUND,
			         "no such page");
		}
		goto fail;
	}
	if (route->flags & ROUTE_API)
		ctx.wants_json = true;
	/* The parser's verdict comes after routing: 404 beats 400. */
	if (req->parse_error.kind != PERR_OK) {
		err = req->parse_error;
		/* An upload over the per-file or total limit says which. */
		if (err.kind == PERR_LIMIT && route->handler == web_api_upload)
			(void)web_upload_too_large(
			        &ctx,
			        req->content_length <= req->limits->max_file,
			        &err);
		goto fail;
	}
	if ((route->flags & ~ROUTE_FLAGS_AVAILABLE) != 0) {
		perr_set(&err, req->arena, PERR_INTERNAL,
		         "route %s needs middleware that is not available",
		         route->path);
		goto fail;
	}
	if (route->flags & ROUTE_SESSION) {
		if (ctx.session == NULL && web_session_load(&ctx, &err) != 0)
			goto fail;
	} else if (route->flags & ROUTE_SESSION_OPTIONAL) {
		struct perr ignored = {0};

		if (web_session_load(&ctx, &ignored) != 0 &&
		    ignored.kind != PERR_AUTH) {
			err = ignored;
			goto fail;
		}
	}
	if (route->flags & ROUTE_ADMIN) {
		/* Admin session and admin CSRF token; never a user session. */
		if (web_admin_middleware(&ctx, route->flags, &err) != 0)
			goto fail;
	} else if ((route->flags & ROUTE_CSRF) &&
	           web_csrf_check(&ctx, &err) != 0) {
		goto fail;
	}
	if (route->guard != NULL && route->guard(&ctx, &err) != 0)
		goto fail;
	if (route->args != NULL && web_args_check(&ctx, route->args, &err) != 0)
		goto fail;
	if (route->handler(&ctx, &err) != 0)
		goto fail;
	goto done;
fail:
	/*
	 * An allocation of the request failed on the way (its arena hit the
	 * limit): a "not signed in", "no such page" or 405 that followed may
	 * come from the missing memory (a cookie or path that could not be
	 * copied), not from the client. Say what happened instead.
	 */
	if (arena_hit_limit(req->arena) && err.kind != PERR_LIMIT &&
	    http_status_of_error(err.kind) < 500)
		perr_set(&err, NULL, PERR_LIMIT, "out of request memory");
	web_render_error(&ctx, &err);
done:
	web_imap_release(&ctx);
	/* Close pooled IMAP connections that idled too long (cheap scan). */
	imap_pool_reap(ctx.app->imap_pool);
	access_log(&ctx, started);
	log_set_context(NULL, NULL, NULL);
	req->user = NULL;
	web_state_release(ctx.app, ctx.state);
}
