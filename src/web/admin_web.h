/*
 * The admin panel's web side (src/web/admin_*.c). Included by
 * web_private.h; the backend logic lives in src/admin/.
 *
 * Flow: GET /?admin_<key> shows the admin sign-in page only when the key
 * verifies (web_admin_gate, called first thing by web_page_index);
 * anything else falls through to the normal start page. The sign-in form
 * posts the key back with the credentials to /admin/login, which starts
 * an admin session (cookie petrel_admin, Path=/admin). Every other admin
 * route carries ROUTE_ADMIN: without a live admin session it answers
 * exactly like an unknown page (404).
 */
#ifndef PETREL_WEB_ADMIN_WEB_H
#define PETREL_WEB_ADMIN_WEB_H

#include <stdbool.h>
#include "admin/admin.h"

struct web_ctx;
struct perr;
struct tmpl_dict;
struct admin_session;

/*
 * The hidden URL. *handled_r is set when the admin sign-in page was
 * rendered; otherwise the caller renders its normal page. The key check
 * costs the same for every request that carries a query, right or wrong.
 */
int web_admin_gate(struct web_ctx *ctx, bool *handled_r, struct perr *err);

/*
 * The ROUTE_ADMIN middleware: a live admin session (else PERR_NOTFOUND,
 * the same answer as for an unknown page) and, with ROUTE_CSRF in flags,
 * the admin CSRF token from the form field "csrf" or the X-Petrel-Token
 * header (else PERR_FORBIDDEN).
 */
int web_admin_middleware(struct web_ctx *ctx, unsigned flags, struct perr *err);

/* ---- shared by the admin_*.c files -------------------------------- */

/* The admin session the middleware loaded for this request. */
struct admin_session *web_admin_session(struct web_ctx *ctx);
/*
 * A page dictionary with the admin layout's values: the navigation
 * (nav: "dashboard", "domains", ...), the admin's name, the CSRF token.
 */
struct tmpl_dict *web_admin_page_dict(struct web_ctx *ctx,
                                      const char *title_key, const char *nav);
/* A form field, trimmed of nothing; "" when absent. */
const char *web_admin_field(struct web_ctx *ctx, const char *name);
/*
 * A Unix time as "YYYY-MM-DD HH:MM[:SS] UTC" in the request arena; "?"
 * when it cannot be shown.
 */
const char *web_admin_fmt_time(struct web_ctx *ctx, int64_t t, bool seconds);
/* Append to the audit log (actor and ip from the request); logs on error. */
void web_admin_audit(struct web_ctx *ctx, const char *action, const char *fmt,
                     ...) PT_PRINTF(3, 4);
/* Reload config (and so the domains) after a change on disk. */
int web_admin_apply(struct web_ctx *ctx, struct perr *err);
/* 303 See Other to an admin page (post/redirect/get). */
int web_admin_redirect(struct web_ctx *ctx, const char *location,
                       struct perr *err);

/* admin_health.c: the Domain health page (src/doctor's checks) */
int web_admin_health(struct web_ctx *ctx, struct perr *err);

/* admin_auth.c */
int web_admin_login(struct web_ctx *ctx, struct perr *err);
int web_admin_logout(struct web_ctx *ctx, struct perr *err);

/* admin_pages.c */
int web_admin_dashboard(struct web_ctx *ctx, struct perr *err);
int web_admin_logs(struct web_ctx *ctx, struct perr *err);
int web_admin_credentials_deleted(struct web_ctx *ctx, struct perr *err);
int web_admin_settings(struct web_ctx *ctx, struct perr *err);
int web_admin_settings_save(struct web_ctx *ctx, struct perr *err);
/*
 * The General page with the current values; brand_error (a message key,
 * or NULL) is shown next to brand_kind's upload field.
 */
int web_admin_settings_page(struct web_ctx *ctx, int status,
                            enum admin_brand brand_kind,
                            const char *brand_error, struct perr *err);
/* The General page with the relay card's form (values and errors). */
int web_admin_settings_page_relay(struct web_ctx *ctx, int status,
                                  const struct admin_relay_form *relay,
                                  struct perr *err);

/* admin_pages.c: the catalog key prefix + key in upper case
 * ("L_ADMIN_F_" + "imap_host" -> "L_ADMIN_F_IMAP_HOST"), in a; NULL
 * when out of memory. */
char *web_admin_label_key(struct arena *a, const char *prefix, const char *key);

/* admin_relay.c: the server-wide default SMTP relay ([relay]). */
/* The RELAY section of the General page; form NULL: the running config. */
void web_admin_relay_dict(struct web_ctx *ctx, struct tmpl_dict *d,
                          const struct admin_relay_form *form);
/* POST /admin/relay: relay_host, relay_port, relay_secure, relay_user,
 * relay_password (empty keeps the stored one). Audit-logged. */
int web_admin_relay_save(struct web_ctx *ctx, struct perr *err);

/* admin_plugins.c: the Plugins page (docs/ADMIN.md). */
int web_admin_plugins(struct web_ctx *ctx, struct perr *err);
/* POST name=<plugin>&enable=On|Off: [plugins] enabled_list, reloaded. */
int web_admin_plugin_toggle(struct web_ctx *ctx, struct perr *err);
/* POST name=<plugin>&opt_<option>=...: checked, stored, reloaded. */
int web_admin_plugin_options(struct web_ctx *ctx, struct perr *err);

/* admin_branding.c */
/* GET /branding/logo, /branding/favicon: the uploaded files (public). */
int web_branding_logo(struct web_ctx *ctx, struct perr *err);
int web_branding_favicon(struct web_ctx *ctx, struct perr *err);
/*
 * POST /admin/branding: kind=logo|favicon, action=upload (the multipart
 * field "file") or remove (back to Petrel's logo). Audit-logged.
 */
int web_admin_branding_save(struct web_ctx *ctx, struct perr *err);
/* The BRANDS section of the General page; err_key NULL: no error. */
void web_admin_branding_dict(struct web_ctx *ctx, struct tmpl_dict *d,
                             enum admin_brand err_kind, const char *err_key);

/* admin_domains.c */
int web_admin_domains(struct web_ctx *ctx, struct perr *err);
int web_admin_domain_edit(struct web_ctx *ctx, struct perr *err);
int web_admin_domain_save(struct web_ctx *ctx, struct perr *err);
int web_admin_domain_delete(struct web_ctx *ctx, struct perr *err);
int web_admin_domain_toggle(struct web_ctx *ctx, struct perr *err);

/* admin_security.c */
int web_admin_security(struct web_ctx *ctx, struct perr *err);
int web_admin_security_password(struct web_ctx *ctx, struct perr *err);
int web_admin_security_totp(struct web_ctx *ctx, struct perr *err);
int web_admin_security_panel(struct web_ctx *ctx, struct perr *err);
int web_admin_session_end(struct web_ctx *ctx, struct perr *err);

#endif
