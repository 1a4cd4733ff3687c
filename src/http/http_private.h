/*
 * Shared inside src/http only (and by its unit tests).
 */
#ifndef PETREL_HTTP_PRIVATE_H
#define PETREL_HTTP_PRIVATE_H

#include <sys/types.h>

#include "http.h"

/*
 * Where the body comes from and the response goes to: memory, a FastCGI
 * stream or stdin/stdout.
 */
struct http_io {
	/* Up to n bytes into buf: count, 0 at the end, -1 on error. */
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	/* All n bytes or -1. */
	int (*write)(void *ctx, const void *p, size_t n);
	void *ctx;
	/* Set when the body was not read to its end (413 unread): the
	 * connection must not be reused. */
	bool unread_body;
};

/*
 * Parse, call the handler, finish: the common core of the memory, CGI and
 * FastCGI entry points. Returns 0, or -1 if writing the response failed.
 */
int http_run(const char *const *env, struct http_io *io,
             const struct http_limits *l, http_handler_fn *h, void *ctx,
             struct arena *a);

/* request.c */
void http_request_parse(struct http_request *req, const char *const *env,
                        struct http_io *io, const struct http_limits *l,
                        struct arena *a);
const char *http_env_get(const char *const *env, const char *name);
/*
 * Parse "a=1&b&c=%41" into pairs (plus as space); bare keys get an empty
 * value; empty segments are skipped. -1: invalid escape (PERR_INPUT), too
 * many (PERR_LIMIT), arena full (PERR_LIMIT).
 */
int http_parse_urlencoded(struct strv s, size_t max, struct arena *a,
                          struct http_param **list_r, size_t *n_r,
                          struct perr *err);
/* RFC 6265 §5.4 Cookie header, tolerant. -1 only on limits. */
int http_parse_cookies(struct strv s, size_t max, struct arena *a,
                       struct http_param **list_r, size_t *n_r,
                       struct perr *err);
/* One parameter of a header (case-insensitive name), unquoted. */
bool http_header_param(struct strv header, const char *name, struct arena *a,
                       struct strv *value_r);

/* body.c */
void http_body_parse(struct http_request *req, struct http_io *io);

/* multipart.c: a streaming multipart/form-data parser. */
#define HTTP_MP_BOUNDARY_MAX 70
#define HTTP_MP_HEADER_MAX 8192

struct http_mp_part {
	struct strv name;         /* Content-Disposition name */
	struct strv filename;     /* p NULL when absent */
	struct strv content_type; /* empty when absent */
};

struct http_mp_callbacks {
	int (*part_begin)(void *ctx, const struct http_mp_part *part,
	                  struct perr *err);
	int (*part_data)(void *ctx, const char *p, size_t n, struct perr *err);
	int (*part_end)(void *ctx, struct perr *err);
};

enum http_mp_state {
	HTTP_MP_PREAMBLE,
	HTTP_MP_AFTER_DELIM,
	HTTP_MP_AFTER_DASH,
	HTTP_MP_AFTER_CR,
	HTTP_MP_HEADERS,
	HTTP_MP_BODY,
	HTTP_MP_DONE,
	HTTP_MP_ERROR,
};

struct http_mp {
	enum http_mp_state state;
	char delim[HTTP_MP_BOUNDARY_MAX + 4]; /* "\r\n--" boundary */
	size_t delim_len;
	size_t match; /* delimiter bytes matched and withheld */
	size_t lwsp;  /* blanks after a delimiter */
	char hdr[HTTP_MP_HEADER_MAX];
	size_t hdr_len;
	size_t parts, max_parts;
	struct arena *arena;
	const struct http_mp_callbacks *cb;
	void *ctx;
};

/*
 * Check the boundary (1..70 RFC 2046 bchars, not ending in a space) and
 * prepare the parser. -1 (PERR_INPUT) on a bad boundary.
 */
int http_mp_init(struct http_mp *mp, struct strv boundary, size_t max_parts,
                 const struct http_mp_callbacks *cb, void *ctx, struct arena *a,
                 struct perr *err);
/* Feed the next n bytes (any split). -1 with *err from a parse error or a
 * callback; after that the parser stays failed. */
int http_mp_feed(struct http_mp *mp, const char *p, size_t n, struct perr *err);
/* End of body: -1 (PERR_INPUT) unless the final boundary was seen. */
int http_mp_finish(struct http_mp *mp, struct perr *err);

/* response.c */
void http_response_init(struct http_response *resp, struct arena *a,
                        const struct http_limits *l, struct http_io *io);
/* Write the status, headers and buffered body (or nothing more when
 * streaming). Returns 0 or -1 on a write error. */
int http_response_finish(struct http_response *resp);
/* Replace the response with a short plain-text error. */
void http_response_plain_error(struct http_response *resp, int status,
                               const char *msg);

#endif
