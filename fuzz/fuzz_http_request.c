/*
 * The whole request path in memory: CGI parameters and body from the
 * input, through http_handle_memory with a handler that touches every
 * accessor and echoes what it saw.
 *
 * Input: "KEY=VALUE" lines, an empty line, then the body.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "http/http.h"
#include "core/banned.h"

#define MAX_ENV 64

static void
echo(struct http_request *req, struct http_response *resp, void *ctx)
{
	const struct http_upload *up;
	struct strv v;
	size_t i, n;

	(void)ctx;
	sbuf_printf(&resp->body, "%s %s err=%d %s\n", req->method, req->path.p,
	            req->parse_error.kind,
	            req->parse_error.msg != NULL ? req->parse_error.msg : "");
	for (i = 0; i < req->n_query; i++) {
		if (strlen(req->query[i].value.p) != req->query[i].value.len)
			__builtin_trap();
		sbuf_printf(&resp->body, "q %s=%s\n", req->query[i].name.p,
		            req->query[i].value.p);
	}
	for (i = 0; i < req->n_form; i++)
		sbuf_printf(&resp->body, "f %s=%s\n", req->form[i].name.p,
		            req->form[i].value.p);
	for (i = 0; i < req->n_cookies; i++)
		sbuf_printf(&resp->body, "c %s=%s\n", req->cookies[i].name.p,
		            req->cookies[i].value.p);
	up = http_request_uploads(req, &n);
	for (i = 0; i < n; i++) {
		sbuf_printf(&resp->body, "u %s %llu %s\n", up[i].field.p,
		            (unsigned long long)up[i].size,
		            up[i].path != NULL ? "file" : "mem");
		if (up[i].path == NULL && up[i].data.len != up[i].size)
			__builtin_trap();
	}
	if (http_request_header(req, "X-Petrel-Token", &v))
		sbuf_append_strv(&resp->body, v);
	(void)http_request_first_query_key(req);
	(void)http_request_query(req, "a", &v);
	(void)http_request_form(req, "a", &v);
	(void)http_request_cookie(req, "sid", &v);
	if (http_request_json(req) != NULL)
		(void)http_response_json(resp, 200, http_request_json(req));
	/* Whatever came in must not split a header. */
	if (req->n_query > 0 &&
	    http_response_set_header(resp, "X-Echo", req->query[0].value.p) ==
	            0 &&
	    strv_has_ctl(strv_from_cstr(req->query[0].value.p), true))
		__builtin_trap();
	if (req->n_cookies > 0)
		(void)http_response_set_cookie(resp, req->cookies[0].name.p,
		                               req->cookies[0].value.p, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct http_limits l;
	struct sbuf out;
	const char *env[MAX_ENV + 1];
	const char *p = (const char *)data, *end = p + size, *sep;
	struct strv body;
	size_t n = 0;

	if (a == NULL)
		a = arena_create("fuzz", 65536, 64U << 20);
	while (p < end && n < MAX_ENV) {
		sep = memchr(p, '\n', (size_t)(end - p));
		if (sep == NULL)
			sep = end;
		if (sep == p) {
			p++;
			break;
		}
		env[n++] = arena_strndup(a, p, (size_t)(sep - p));
		p = sep < end ? sep + 1 : end;
	}
	env[n] = NULL;
	body.p = p;
	body.len = (size_t)(end - p);
	http_limits_default(&l);
	l.max_body = 1 << 20;
	l.spool_threshold = 512;
	l.max_params = 64;
	l.max_cookies = 16;
	l.max_headers = 32;
	sbuf_init(&out, a, 0, 4U << 20);
	(void)http_handle_memory(env, body, &l, echo, NULL, a, &out);
	arena_reset(a);
	return 0;
}
