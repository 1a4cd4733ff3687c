/*
 * Responses: status, headers (checked so that no CR/LF can split them),
 * cookies, security headers, buffered and streamed bodies.
 *
 * The wire format is CGI's (RFC 3875 §6): "Status: 200 OK" and header
 * lines, an empty line, the body. nginx turns it into the HTTP response.
 */
#include <inttypes.h>
#include <string.h>

#include "http.h"
#include "http_private.h"
#include "core/banned.h"

void
http_response_init(struct http_response *resp, struct arena *a,
                   const struct http_limits *l, struct http_io *io)
{
	memset(resp, 0, sizeof(*resp));
	resp->arena = a;
	resp->status = 200;
	resp->io = io;
	sbuf_init(&resp->body, a, 0, l->max_response);
}

void
http_response_set_status(struct http_response *resp, int status)
{
	PT_ASSERT(status >= 100 && status <= 999);
	resp->status = status;
}

static bool
is_token(const char *s)
{
	size_t i;

	if (s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (strchr("!#$%&'*+-.^_`|~", c) == NULL)
			return false;
	}
	return true;
}

static bool
header_ok(const char *name, const char *value)
{
	/* "Status" is CGI's own line; a second one would be ambiguous. */
	return is_token(name) &&
	       !strv_eq_ci_ascii(strv_from_cstr(name), STRV_LIT("Status")) &&
	       !strv_has_ctl(strv_from_cstr(value), true);
}

static ptrdiff_t
find_header(const struct http_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++) {
		if (strv_eq_ci_ascii(resp->headers[i].name,
		                     strv_from_cstr(name)))
			return (ptrdiff_t)i;
	}
	return -1;
}

static int
add_header(struct http_response *resp, const char *name, const char *value)
{
	struct http_param *h;

	if (resp->n_headers == resp->cap_headers) {
		size_t ncap =
		        resp->cap_headers == 0 ? 16 : resp->cap_headers * 2;

		h = arena_new_array(resp->arena, struct http_param, ncap);
		if (h == NULL)
			return -1;
		if (resp->n_headers > 0)
			memcpy(h, resp->headers, resp->n_headers * sizeof(*h));
		resp->headers = h;
		resp->cap_headers = ncap;
	}
	h = &resp->headers[resp->n_headers];
	h->name.p = arena_strdup(resp->arena, name);
	h->value.p = arena_strdup(resp->arena, value);
	if (h->name.p == NULL || h->value.p == NULL)
		return -1;
	h->name.len = strlen(name);
	h->value.len = strlen(value);
	resp->n_headers++;
	return 0;
}

int
http_response_add_header(struct http_response *resp, const char *name,
                         const char *value)
{
	if (resp->streaming || !header_ok(name, value))
		return -1;
	return add_header(resp, name, value);
}

int
http_response_set_header(struct http_response *resp, const char *name,
                         const char *value)
{
	ptrdiff_t i;
	size_t k, o = 0;

	if (resp->streaming || !header_ok(name, value))
		return -1;
	i = find_header(resp, name);
	if (i < 0)
		return add_header(resp, name, value);
	/* Drop every earlier one, then add the new value. */
	for (k = 0; k < resp->n_headers; k++) {
		if (!strv_eq_ci_ascii(resp->headers[k].name,
		                      strv_from_cstr(name)))
			resp->headers[o++] = resp->headers[k];
	}
	resp->n_headers = o;
	return add_header(resp, name, value);
}

int
http_response_set_content_type(struct http_response *resp, const char *type)
{
	return http_response_set_header(resp, "Content-Type", type);
}

int
http_response_set_csp(struct http_response *resp, const char *csp)
{
	if (resp->streaming)
		return -1;
	if (csp == NULL) {
		resp->csp = NULL;
		return 0;
	}
	if (strv_has_ctl(strv_from_cstr(csp), true))
		return -1;
	resp->csp = arena_strdup(resp->arena, csp);
	return resp->csp != NULL ? 0 : -1;
}

static bool
is_cookie_octet(unsigned char c)
{
	/* RFC 6265 §4.1.1 */
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	       (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e);
}

static bool
attr_ok(const char *s)
{
	return s == NULL || (strchr(s, ';') == NULL &&
	                     !strv_has_ctl(strv_from_cstr(s), false));
}

static int
cookie(struct http_response *resp, const char *name, const char *value,
       const struct http_cookie_opts *opts, bool expire)
{
	static const struct http_cookie_opts defaults;
	const char *samesite;
	struct sbuf b;
	size_t i;

	if (opts == NULL)
		opts = &defaults;
	if (!is_token(name) || !attr_ok(opts->path) || !attr_ok(opts->domain))
		return -1;
	for (i = 0; value[i] != '\0'; i++) {
		if (!is_cookie_octet((unsigned char)value[i]))
			return -1;
	}
	switch (opts->samesite) {
	case HTTP_SAMESITE_LAX:
		samesite = "Lax";
		break;
	case HTTP_SAMESITE_NONE:
		samesite = "None";
		break;
	case HTTP_SAMESITE_STRICT:
	default:
		samesite = "Strict";
		break;
	}
	sbuf_init(&b, resp->arena, 128, 8192);
	sbuf_printf(&b, "%s=%s; Path=%s", name, value,
	            opts->path != NULL ? opts->path : "/");
	if (opts->domain != NULL)
		sbuf_printf(&b, "; Domain=%s", opts->domain);
	if (expire)
		sbuf_append_cstr(&b, "; Max-Age=0; "
		                     "Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	else if (opts->max_age > 0)
		sbuf_printf(&b, "; Max-Age=%" PRId64, opts->max_age);
	if (opts->secure)
		sbuf_append_cstr(&b, "; Secure");
	if (!opts->script_visible)
		sbuf_append_cstr(&b, "; HttpOnly");
	sbuf_printf(&b, "; SameSite=%s", samesite);
	if (!sbuf_ok(&b))
		return -1;
	return http_response_add_header(resp, "Set-Cookie", sbuf_cstr(&b));
}

int
http_response_set_cookie(struct http_response *resp, const char *name,
                         const char *value, const struct http_cookie_opts *opts)
{
	return cookie(resp, name, value, opts, false);
}

int
http_response_delete_cookie(struct http_response *resp, const char *name,
                            const struct http_cookie_opts *opts)
{
	return cookie(resp, name, "", opts, true);
}

int
http_response_text(struct http_response *resp, int status,
                   const char *content_type, struct strv text)
{
	if (resp->streaming)
		return -1;
	sbuf_reset(&resp->body);
	sbuf_append_strv(&resp->body, text);
	if (!sbuf_ok(&resp->body)) {
		http_response_plain_error(resp, 500, "response too large");
		return -1;
	}
	http_response_set_status(resp, status);
	return http_response_set_content_type(resp, content_type);
}

int
http_response_redirect(struct http_response *resp, int status,
                       const char *location)
{
	if (status != 301 && status != 302 && status != 303 && status != 307 &&
	    status != 308)
		return -1;
	if (http_response_set_header(resp, "Location", location) != 0)
		return -1;
	http_response_set_status(resp, status);
	sbuf_reset(&resp->body);
	return 0;
}

void
http_response_plain_error(struct http_response *resp, int status,
                          const char *msg)
{
	/* Keep nothing the handler set: cookies of a failed request too. */
	resp->n_headers = 0;
	resp->csp = NULL;
	resp->status = status;
	sbuf_reset(&resp->body);
	sbuf_printf(&resp->body, "%d %s: %s\n", status,
	            http_reason_phrase(status), msg);
	if (!sbuf_ok(&resp->body))
		sbuf_reset(&resp->body);
	(void)add_header(resp, "Content-Type", "text/plain; charset=utf-8");
}

static void
head_default(struct http_response *resp, struct sbuf *out, const char *name,
             const char *value)
{
	if (find_header(resp, name) < 0)
		sbuf_printf(out, "%s: %s\r\n", name, value);
}

/* Status line and headers, with the security headers filled in. */
static void
build_head(struct http_response *resp, struct sbuf *out, bool with_length)
{
	size_t i;

	sbuf_printf(out, "Status: %d %s\r\n", resp->status,
	            http_reason_phrase(resp->status));
	for (i = 0; i < resp->n_headers; i++) {
		const struct http_param *h = &resp->headers[i];

		/* Ours is exact; a handler's guess could desync the client. */
		if (with_length &&
		    strv_eq_ci_ascii(h->name, STRV_LIT("Content-Length")))
			continue;
		sbuf_printf(out, "%s: %s\r\n", h->name.p, h->value.p);
	}
	head_default(resp, out, "Content-Type", "text/plain; charset=utf-8");
	head_default(resp, out, "Content-Security-Policy",
	             resp->csp != NULL ? resp->csp : HTTP_DEFAULT_CSP);
	head_default(resp, out, "X-Content-Type-Options", "nosniff");
	head_default(resp, out, "Referrer-Policy", "no-referrer");
	head_default(resp, out, "X-Frame-Options", "DENY");
	head_default(resp, out, "Cache-Control", "no-store");
	if (with_length)
		sbuf_printf(out, "Content-Length: %zu\r\n", resp->body.len);
	sbuf_append_cstr(out, "\r\n");
}

static int
send_head(struct http_response *resp, bool with_length)
{
	struct sbuf head;

	sbuf_init(&head, resp->arena, 1024, 256U << 10);
	build_head(resp, &head, with_length);
	if (!sbuf_ok(&head)) {
		/* Only a runaway header list gets here. */
		http_response_plain_error(resp, 500,
		                          "response headers too "
		                          "large");
		sbuf_reset(&head);
		build_head(resp, &head, with_length);
		if (!sbuf_ok(&head))
			return -1;
	}
	if (resp->io->write(resp->io->ctx, head.data, head.len) != 0) {
		resp->write_failed = true;
		return -1;
	}
	return 0;
}

int
http_response_stream_begin(struct http_response *resp)
{
	if (resp->streaming)
		return -1;
	resp->streaming = true;
	sbuf_reset(&resp->body);
	return send_head(resp, false);
}

int
http_response_write(struct http_response *resp, const void *p, size_t n)
{
	if (!resp->streaming || resp->write_failed)
		return -1;
	if (resp->head || n == 0)
		return 0;
	if (resp->io->write(resp->io->ctx, p, n) != 0) {
		resp->write_failed = true;
		return -1;
	}
	return 0;
}

int
http_response_finish(struct http_response *resp)
{
	if (resp->streaming)
		return resp->write_failed ? -1 : 0;
	if (!sbuf_ok(&resp->body))
		http_response_plain_error(resp, 500, "response too large");
	if (send_head(resp, true) != 0)
		return -1;
	if (resp->head || resp->body.len == 0)
		return 0;
	if (resp->io->write(resp->io->ctx, resp->body.data, resp->body.len) !=
	    0) {
		resp->write_failed = true;
		return -1;
	}
	return 0;
}
