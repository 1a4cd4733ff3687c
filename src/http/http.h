/*
 * http - the FastCGI/CGI runtime, request parsing and responses.
 *
 * One request is: parse the CGI/FastCGI parameters and the body into a
 * struct http_request, call the handler (the web layer's router, passed in
 * as a function pointer so that http never includes web/), then finish the
 * struct http_response: status, headers, security headers, body.
 *
 * Invariants:
 * - Everything a request allocates lives in its arena (req->arena), which
 *   the worker resets after the response is written. Temp files for
 *   uploads are unlinked and jansson values decref'd by arena_defer().
 *   Never keep a pointer into a request past the handler's return.
 * - Limits (struct http_limits) are checked before anything is read or
 *   allocated for the input they bound; an over-limit body is never read.
 *   The handler's body_check hook sees the head first and may refuse or
 *   bound the body per route before any of it is read.
 * - Parse errors do not bypass the handler: it is called with
 *   req->parse_error set, so that the web layer renders every error page
 *   or JSON error in one place. If the handler leaves a success status in
 *   place, http answers with the error's status and a short text body, so
 *   a bad request can never be answered with 200.
 * - Every response carries the security headers (CSP, nosniff, no-referrer,
 *   X-Frame-Options DENY, Cache-Control no-store) unless the handler set
 *   its own value for that header.
 * - Response header names and values can never hold CR, LF or NUL: the
 *   setters reject them (return -1) and nothing is added.
 * - Request strings are length-delimited views that are also
 *   NUL-terminated. The path, query and form names and values never
 *   contain NUL (a %00 is a 400), so reading them as C strings is exact.
 *   Cookie and header values come from the environment and cannot hold
 *   NUL either. Upload contents and raw bodies are bytes.
 *
 * Threads: a request and its response belong to one worker thread. The
 * handler is called concurrently from several threads with the same ctx.
 */
#ifndef PETREL_HTTP_H
#define PETREL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* jansson's json_t is "struct json_t"; callers include <jansson.h>. */
struct json_t;

/* ---- limits ---------------------------------------------------------- */

struct http_request;

/*
 * The handler's say over a body before a byte of it is read: called once
 * the head parsed cleanly (method, path, query, headers, cookies and
 * Content-Length are in req; the body is not) when Content-Length is not
 * 0. *max_r comes in as max_body; the hook may lower it (0: this request
 * takes no body). A larger Content-Length is then refused unread (413,
 * PERR_LIMIT in req->parse_error). Returning -1 refuses the body unread
 * with *err as req->parse_error (e.g. PERR_AUTH: nobody signed in for a
 * route that needs it). req->user may be set here for the handler.
 */
typedef int http_body_check_fn(struct http_request *req, void *ctx,
                               uint64_t *max_r, struct perr *err);

struct http_limits {
	uint64_t max_body;        /* CONTENT_LENGTH above this: 413 unread */
	uint64_t max_file;        /* one multipart upload above this: 413 */
	uint64_t max_files_total; /* all uploads of one request: 413 */
	uint64_t max_form;        /* in-memory bodies: urlencoded, JSON and
	                             multipart text fields together: 413 */
	size_t max_headers;       /* HTTP_* parameters: 413 */
	size_t max_params;        /* query or form params, multipart parts */
	size_t max_cookies;       /* cookies in the Cookie header: 413 */
	size_t spool_threshold;   /* uploads bigger than this go to a file */
	const char *spool_dir;    /* where those files go (must exist) */
	size_t arena_limit;       /* per-request arena limit (http_serve) */
	size_t max_response;      /* buffered response body: 500 above */
	http_body_check_fn *body_check; /* NULL: max_body for every route */
	void *body_check_ctx;
};

/*
 * Fill *l with the defaults: body 64 MB, file 25 MB, files total 64 MB,
 * form 8 MB, 100 headers, 1000 params, 50 cookies, spool threshold
 * 256 KB in /tmp, arena limit 96 MB, buffered response 32 MB.
 */
void http_limits_default(struct http_limits *l);

/* ---- request --------------------------------------------------------- */

/* A name/value pair: query or form parameter, cookie, header. */
struct http_param {
	struct strv name;  /* NUL-terminated, arena */
	struct strv value; /* NUL-terminated, arena; may be empty */
};

/*
 * One multipart part that had a filename parameter (even an empty one,
 * which browsers send for an empty file input), or a raw request body.
 * Exactly one of data (in memory, path NULL) or path (a temp file in
 * spool_dir, mode 0600, already closed) holds the contents. The temp file
 * is unlinked when the request arena resets: move or copy it before the
 * handler returns if it must be kept.
 */
struct http_upload {
	struct strv field;        /* form field name */
	struct strv filename;     /* raw as sent; p == NULL: no filename */
	struct strv content_type; /* as sent; empty if the part had none */
	uint64_t size;
	struct strv data; /* when path == NULL */
	const char *path; /* temp file, or NULL */
};

enum http_body_kind {
	HTTP_BODY_NONE = 0,  /* no body (or a parse error before it) */
	HTTP_BODY_FORM,      /* application/x-www-form-urlencoded */
	HTTP_BODY_MULTIPART, /* multipart/form-data */
	HTTP_BODY_JSON,      /* application/json */
	HTTP_BODY_RAW,       /* anything else: req->raw_body */
};

/*
 * A parsed request. All strings are arena memory (or static) and
 * NUL-terminated; none is NULL except where noted, even after a parse
 * error (fields not reached yet are empty).
 */
struct http_request {
	struct arena *arena;
	const struct http_limits *limits;
	const char *const *env; /* the raw "KEY=VALUE" parameters */
	const char *id;         /* 16 random hex characters */

	const char *method; /* as sent: "GET", "POST", ... */
	/* %-decoded REQUEST_URI without the query; fallbacks: DOCUMENT_URI
	 * (already decoded by nginx, taken as is), SCRIPT_NAME+PATH_INFO. */
	struct strv path;
	struct strv query_string; /* raw, without '?' */
	struct strv host;         /* HTTP_HOST, else SERVER_NAME */
	const char *remote_addr;  /* REMOTE_ADDR or "" */
	bool https;               /* HTTPS=on or REQUEST_SCHEME=https */
	struct strv content_type; /* full header value, or empty */
	uint64_t content_length;  /* 0 when absent */

	/* In the order they were sent; duplicates kept. */
	struct http_param *query;
	size_t n_query;
	struct http_param *form; /* urlencoded or multipart text fields */
	size_t n_form;
	struct http_param *cookies;
	size_t n_cookies;
	/* Names lower-case with '-' ("x-petrel-token"), from HTTP_* and
	 * CONTENT_TYPE / CONTENT_LENGTH. */
	struct http_param *headers;
	size_t n_headers;
	struct http_upload *uploads;
	size_t n_uploads;

	enum http_body_kind body_kind;
	struct json_t *json;          /* HTTP_BODY_JSON; borrowed */
	struct http_upload *raw_body; /* HTTP_BODY_RAW; NULL otherwise */

	/*
	 * PERR_OK, or why the request could not be parsed: PERR_INPUT (400)
	 * for malformed input, PERR_LIMIT (413) for a limit, PERR_INTERNAL
	 * (500) for a local failure (spool dir not writable). msg is a short
	 * sentence safe to show to the client.
	 */
	struct perr parse_error;

	void *user; /* free for the web layer; NULL at start */
};

/*
 * Lookups return the FIRST match (query and form: in the order sent;
 * cookies: browsers send the most specific path first). On success
 * *value_r is set and true returned; otherwise *value_r is untouched.
 */
bool http_request_query(const struct http_request *req, const char *name,
                        struct strv *value_r) PT_NONNULL(1, 2, 3);
bool http_request_form(const struct http_request *req, const char *name,
                       struct strv *value_r) PT_NONNULL(1, 2, 3);
bool http_request_cookie(const struct http_request *req, const char *name,
                         struct strv *value_r) PT_NONNULL(1, 2, 3);
/* Case-insensitive; '_' and '-' are the same ("X-Petrel-Token"). */
bool http_request_header(const struct http_request *req, const char *name,
                         struct strv *value_r) PT_NONNULL(1, 2, 3);
/*
 * The name of the first query parameter, whether it had a value or not
 * ("?admin_f0e5a5aa" gives "admin_f0e5a5aa"); STRV_NULL if there is none.
 */
struct strv http_request_first_query_key(const struct http_request *req);
/* The media type of a Content-Type value ("text/html"), trimmed. */
struct strv http_media_type(struct strv content_type);

/* The parsed JSON body (borrowed, lives until reset) or NULL. */
struct json_t *http_request_json(const struct http_request *req);
/* The uploads in the order sent; *n_r gets their count. */
const struct http_upload *http_request_uploads(const struct http_request *req,
                                               size_t *n_r);

/* ---- response -------------------------------------------------------- */

enum http_samesite {
	HTTP_SAMESITE_STRICT = 0, /* the default */
	HTTP_SAMESITE_LAX,
	HTTP_SAMESITE_NONE, /* browsers require secure with it */
};

/* Zero-initialised options are the safe defaults. */
struct http_cookie_opts {
	const char *path;    /* NULL: "/" */
	const char *domain;  /* NULL: host-only cookie (preferred) */
	int64_t max_age;     /* seconds; 0: session cookie (no Max-Age) */
	bool secure;         /* add Secure (use req->https || force_https) */
	bool script_visible; /* omit HttpOnly (default: HttpOnly) */
	enum http_samesite samesite;
};

struct http_io;

struct http_response {
	struct arena *arena;
	int status; /* 200 at start */
	struct http_param *headers;
	size_t n_headers, cap_headers;
	struct sbuf body;   /* buffered body, max limits->max_response */
	const char *csp;    /* NULL: the default policy */
	bool head;          /* HEAD request: body not sent */
	bool streaming;     /* stream_begin was called */
	bool write_failed;  /* the client went away */
	struct http_io *io; /* private */
};

/* The policy every response carries unless overridden. */
#define HTTP_DEFAULT_CSP                                                       \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; "     \
	"base-uri 'none'; form-action 'self'; object-src 'none'"

/* Set the status (100..999; asserted). */
void http_response_set_status(struct http_response *resp, int status);
/*
 * Replace any header of that name (case-insensitive) / add one more.
 * name must be an RFC 9110 token and not "Status"; value must not hold
 * control characters other than TAB (so no CR, LF, NUL). Returns 0, or -1
 * without changing anything when a check fails or after stream_begin.
 * The strings are copied into the arena.
 */
int http_response_set_header(struct http_response *resp, const char *name,
                             const char *value) PT_NONNULL(1, 2, 3);
int http_response_add_header(struct http_response *resp, const char *name,
                             const char *value) PT_NONNULL(1, 2, 3);
/* Sets Content-Type; same checks as above. */
int http_response_set_content_type(struct http_response *resp, const char *type)
        PT_NONNULL(1, 2);
/*
 * Add a Set-Cookie header. name must be a token, value cookie-octets
 * (RFC 6265 §4.1.1; encode anything else first), path and domain free of
 * ';' and controls. opts NULL: the defaults (Path=/; HttpOnly;
 * SameSite=Strict). Returns 0 or -1 (nothing added).
 */
int http_response_set_cookie(struct http_response *resp, const char *name,
                             const char *value,
                             const struct http_cookie_opts *opts)
        PT_NONNULL(1, 2, 3);
/* Expire a cookie: empty value, Max-Age=0 and an Expires in 1970. */
int http_response_delete_cookie(struct http_response *resp, const char *name,
                                const struct http_cookie_opts *opts)
        PT_NONNULL(1, 2);
/* Override the Content-Security-Policy (NULL: back to the default). */
int http_response_set_csp(struct http_response *resp, const char *csp);
/*
 * Replace the body with the JSON text of v (compact, UTF-8) and set
 * status and Content-Type: application/json. v is borrowed (not
 * decref'd). Returns -1 if v is NULL, cannot be encoded or is too big
 * (the response is then a 500).
 */
int http_response_json(struct http_response *resp, int status, struct json_t *v)
        PT_NONNULL(1);
/* As http_response_json, but steals the reference to v (NULL allowed). */
int http_response_json_new(struct http_response *resp, int status,
                           struct json_t *v) PT_NONNULL(1);
/* Replace the body with text and set status and Content-Type. */
int http_response_text(struct http_response *resp, int status,
                       const char *content_type, struct strv text)
        PT_NONNULL(1, 3);
/* Redirect (301, 302, 303, 307, 308) to location (no CR/LF). */
int http_response_redirect(struct http_response *resp, int status,
                           const char *location) PT_NONNULL(1, 3);
/*
 * Streaming for large downloads: send the status and headers now (with
 * the security headers, without Content-Length unless the handler set
 * one), then http_response_write() goes straight to the client. The
 * buffered body is discarded. Returns 0, or -1 if the client is gone (the
 * handler should stop; resp->write_failed is set).
 */
int http_response_stream_begin(struct http_response *resp) PT_NONNULL(1);
int http_response_write(struct http_response *resp, const void *p, size_t n)
        PT_NONNULL(1);

/* ---- running requests ------------------------------------------------ */

typedef void http_handler_fn(struct http_request *req,
                             struct http_response *resp, void *ctx);

/*
 * Run one request entirely in memory: env is "KEY=VALUE" strings as CGI
 * or FastCGI would pass them (NULL-terminated), body the request body.
 * Parses, calls h(req, resp, ctx), finishes, and appends the full
 * CGI-style response ("Status: 200 OK\r\nName: value\r\n\r\nbody") to
 * raw_response_out. Everything is allocated in a; the caller resets it
 * (which also removes temp files). Returns 0, or -1 if the response did
 * not fit in raw_response_out. Used by tests, fuzzers and other modules.
 */
int http_handle_memory(const char *const *env, struct strv body,
                       const struct http_limits *l, http_handler_fn *h,
                       void *ctx, struct arena *a,
                       struct sbuf *raw_response_out);

struct http_server_opts {
	/* "unix:/path", "host:port", "[v6]:port", or ":port" (127.0.0.1) */
	const char *listen;
	int threads; /* worker threads; <= 0: 4 */
	int backlog; /* listen backlog; <= 0: 128 */
	struct http_limits limits;
	void (*on_reload)(void *ctx); /* SIGHUP, signal thread; may be NULL */
	void *ctx;                    /* passed to on_reload and the handler */
};

/*
 * Serve FastCGI until SIGTERM or SIGINT. Opens the listener (a unix
 * socket: a stale socket file is removed, a live one is an error, and the
 * socket gets mode 0660 so the web server's group can connect), starts
 * o->threads workers, each with its own arena and FCGX_Accept_r loop, and
 * waits for signals in the calling thread (workers block them; SIGPIPE is
 * ignored process-wide). SIGHUP calls o->on_reload(o->ctx). On SIGTERM or
 * SIGINT: stop accepting, let in-flight requests finish, join the workers,
 * close the listener, unlink the socket file, return 0. Returns -1 with
 * *err (message in static per-thread storage) if the listener cannot be
 * opened or no thread started.
 *
 * Call it before starting other threads (or block SIGTERM, SIGINT and
 * SIGHUP in them): a thread that does not block them could receive the
 * signal instead. FastCGI connections are not kept alive between requests
 * (nginx's default), so that stopping never waits on an idle connection.
 */
int http_serve(const struct http_server_opts *o, http_handler_fn *handler,
               struct perr *err) PT_NONNULL(1, 2);

/* ---- raw HTTP/1.1 request heads (head.c) ------------------------------ */

/*
 * The second transport: a request head read from a socket by a small
 * server of our own (live's event server, behind nginx's proxy_pass),
 * parsed by the same code as FastCGI's parameters. Only the head: a body
 * is never read (Content-Length and Content-Type are plain headers here).
 */

/*
 * Length of the request head in buf including its blank line (CRLF CRLF,
 * or LF LF from lenient clients), or 0 while it is incomplete.
 */
size_t http_head_length(struct strv buf);

/*
 * Parse a complete head into *req_r. -1 with *err (PERR_INPUT) when the
 * request line is unusable: not "METHOD SP target SP HTTP/1.1" (or
 * HTTP/1.0), or a control character or space in the target. Otherwise 0,
 * and *req_r is what http_request_parse() gives for the same request
 * through FastCGI (the path %-decoded, query, cookies, lower-case header
 * names; no remote_addr, no body), with these rules of the head itself:
 * - req_r->method is the method as sent (checking it is the caller's);
 * - a header sent twice is one header, the values joined by ", " ("; "
 *   for Cookie, so every Cookie header's cookies are there, first first);
 * - a folded line, a line without ':' or a name, a name with a byte that
 *   is not a token character, or a control character other than TAB in a
 *   value is a PERR_INPUT in req_r->parse_error (that line is skipped),
 *   and comes before any other parse error.
 * Problems past the request line are left in req_r->parse_error as for
 * FastCGI, so the caller can check the method and path first. In a.
 */
int http_head_parse(struct strv head, const struct http_limits *l,
                    struct arena *a, struct http_request *req_r,
                    struct perr *err) PT_WARN_UNUSED;

/*
 * The standard reason phrase of an HTTP status ("Not Found"), or
 * "Unknown": one table for both servers (the FastCGI answers and live's
 * event server).
 */
const char *http_reason_phrase(int status);

/* The HTTP status that fits an error kind (200 for PERR_OK, 500 for an
 * unknown kind). */
int http_status_of_error(enum perr_kind kind);

/* True when not started as a FastCGI server (FCGX_IsCGI). */
bool http_is_cgi(void);

/*
 * Plain CGI: one request from the environment and stdin, the response to
 * stdout. Returns 0, or -1 with *err if the response could not be written.
 */
int http_serve_cgi(const struct http_limits *l, http_handler_fn *handler,
                   void *ctx, struct perr *err) PT_NONNULL(1, 2);

#endif
