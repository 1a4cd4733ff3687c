/*
 * web - routes, middleware and handlers: what Petrel answers to a request.
 *
 * struct web_app is the long-lived owner of everything a request reads but
 * does not own: the config snapshot, the compiled templates, the language
 * catalogs and the loaded plugins. These live together in a refcounted
 * "state" that a reload (SIGHUP) rebuilds and swaps in; a request takes a
 * reference at its start and drops it at its end, so a reload never pulls
 * a template out from under a running request.
 *
 * web_dispatch() is the http_handler_fn the http module calls for every
 * request: route lookup (404/405), the middleware chain (session, CSRF,
 * admin gate, rate limit: each a slot switched on by a route flag), the
 * handler, and a single place that renders errors as an HTML page or as
 * the JSON API's {"error": {"code", "message"}}.
 */
#ifndef PETREL_WEB_H
#define PETREL_WEB_H

#include "core/core.h"
#include "http/http.h"

struct web_app;
struct config;

struct web_app_opts {
	const char *data_dir;   /* DATA (SnappyMail layout) */
	const char *share_dir;  /* holds templates/ and i18n/ */
	const char *static_url; /* URL prefix nginx serves static/ at */
	const char *plugin_dir; /* where <name>.so live; NULL: no plugins */
};

/*
 * Load config, templates (all of them, so a broken template stops the
 * start, not a user's request) and catalogs. Creates the data layout if
 * it is missing. On failure *app_r is untouched and err says what broke.
 */
int web_app_create(const struct web_app_opts *opts, struct web_app **app_r,
                   struct arena *a, struct perr *err) PT_WARN_UNUSED;
void web_app_destroy(struct web_app **appp);

/*
 * Rebuild config, templates and catalogs and swap them in. On failure
 * the running state stays and err says why. Thread-safe; called from the
 * signal thread on SIGHUP.
 */
int web_app_reload(struct web_app *app, struct arena *a,
                   struct perr *err) PT_WARN_UNUSED;

/* The http_handler_fn: ctx is the struct web_app. */
void web_dispatch(struct http_request *req, struct http_response *resp,
                  void *ctx);

/* The http limits that follow from the current config. */
void web_app_http_limits(struct web_app *app, struct http_limits *l);

/* The current config snapshot with a reference (config_unref it). */
struct config *web_app_config(struct web_app *app);

/*
 * The outbox worker of this process (held and scheduled sends), started
 * after web_app_create and stopped before web_app_destroy.
 */
int web_outbox_start(struct arena *a, struct perr *err) PT_WARN_UNUSED;
void web_outbox_stop(void);

/*
 * The snooze wake-up worker (api_snooze.c): a thread with its own store
 * connection that returns snoozed messages at their time, started by
 * `petrel serve` and stopped before web_app_destroy. Stop is a no-op
 * when it was not started.
 */
int web_snooze_start(struct web_app *app, struct arena *a,
                     struct perr *err) PT_WARN_UNUSED;
void web_snooze_stop(struct web_app *app);

#endif
