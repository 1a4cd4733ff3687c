#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/core.h"
#include "http/http.h"

typedef void scenario_fn(struct http_request *req, struct http_response *resp);

struct ctx {
	scenario_fn *fn;
};

static void
dispatch(struct http_request *req, struct http_response *resp, void *ctx)
{
	((struct ctx *)ctx)->fn(req, resp);
}

/* Run one scenario; returns the raw CGI response (static buffer). */
static const char *
respond(scenario_fn *fn, const char *method)
{
	static struct sbuf out;
	static struct arena *a;
	struct http_limits l;
	struct ctx c = {fn};
	char m[64];
	const char *env[] = {m, "REQUEST_URI=/x", NULL};

	if (a == NULL) {
		a = arena_create("t", 4096, 0);
		sbuf_init(&out, NULL, 0, 0);
	}
	arena_reset(a);
	sbuf_reset(&out);
	http_limits_default(&l);
	l.max_response = 1000;
	assert_true(pt_snprintf_ok(m, sizeof(m), "REQUEST_METHOD=%s", method));
	assert_int_equal(http_handle_memory(env, STRV_LIT(""), &l, dispatch, &c,
	                                    a, &out),
	                 0);
	return sbuf_cstr(&out);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
sc_hello(struct http_request *req, struct http_response *resp)
{
	(void)req;
	assert_int_equal(http_response_set_content_type(
	                         resp, "text/html; charset=utf-8"),
	                 0);
	sbuf_append_cstr(&resp->body, "<p>hello</p>");
}

static void
test_response_has_security_headers_and_length(void **state)
{
	const char *r = respond(sc_hello, "GET");

	(void)state;
	assert_true(strncmp(r, "Status: 200 OK\r\n", 16) == 0);
	assert_non_null(strstr(r, "\r\nContent-Security-Policy: "
	                          "default-src 'self'; script-src 'self'; "
	                          "style-src 'self'; img-src 'self' data:; "
	                          "frame-src 'self'; frame-ancestors 'none'; "
	                          "base-uri 'none'; form-action 'self'; "
	                          "object-src 'none'\r\n"));
	assert_non_null(strstr(r, "\r\nX-Content-Type-Options: nosniff\r\n"));
	assert_non_null(strstr(r, "\r\nReferrer-Policy: no-referrer\r\n"));
	assert_non_null(strstr(r, "\r\nX-Frame-Options: DENY\r\n"));
	assert_non_null(strstr(r, "\r\nCache-Control: no-store\r\n"));
	assert_non_null(strstr(r, "\r\nContent-Type: text/html; "
	                          "charset=utf-8\r\n"));
	assert_int_equal(count(r, "Content-Type:"), 1);
	assert_non_null(strstr(r, "\r\nContent-Length: 12\r\n\r\n"
	                          "<p>hello</p>"));
}

static void
test_head_has_length_but_no_body(void **state)
{
	const char *r = respond(sc_hello, "HEAD");

	(void)state;
	assert_non_null(strstr(r, "Content-Length: 12\r\n\r\n"));
	assert_null(strstr(r, "hello"));
}

static void
sc_override(struct http_request *req, struct http_response *resp)
{
	(void)req;
	assert_int_equal(http_response_set_csp(resp, "default-src 'none'"), 0);
	assert_int_equal(http_response_set_header(resp, "Cache-Control",
	                                          "private, max-age=60"),
	                 0);
	assert_int_equal(
	        http_response_set_header(resp, "x-frame-options", "SAMEORIGIN"),
	        0);
	assert_int_equal(
	        http_response_set_header(resp, "Content-Length", "999"), 0);
	assert_int_equal(http_response_add_header(resp, "Link", "<a>"), 0);
	assert_int_equal(http_response_add_header(resp, "Link", "<b>"), 0);
	assert_int_equal(http_response_set_header(resp, "X-Once", "1"), 0);
	assert_int_equal(http_response_set_header(resp, "X-ONCE", "2"), 0);
	sbuf_append_cstr(&resp->body, "abc");
}

static void
test_handler_overrides_defaults_once(void **state)
{
	const char *r = respond(sc_override, "GET");

	(void)state;
	assert_non_null(strstr(r, "Content-Security-Policy: default-src "
	                          "'none'\r\n"));
	assert_int_equal(count(r, "Content-Security-Policy"), 1);
	assert_int_equal(count(r, "Cache-Control"), 1);
	assert_non_null(strstr(r, "Cache-Control: private, max-age=60\r\n"));
	assert_int_equal(count(r, "rame-"), 1);
	assert_non_null(strstr(r, "x-frame-options: SAMEORIGIN\r\n"));
	/* our length wins over the handler's guess */
	assert_int_equal(count(r, "Content-Length"), 1);
	assert_non_null(strstr(r, "Content-Length: 3\r\n"));
	assert_int_equal(count(r, "Link: "), 2);
	assert_int_equal(count(r, "X-Once"), 0);
	assert_non_null(strstr(r, "X-ONCE: 2\r\n"));
}

static void
sc_injection(struct http_request *req, struct http_response *resp)
{
	static const char *const bad_values[] = {"a\r\nSet-Cookie: x=1", "a\nb",
	                                         "a\rb", "\x7f", "a\x01"};
	static const char *const bad_names[] = {
	        "", "X Y", "X:Y", "X\r\nY", "Status", "status", "X\xc3\xa9"};
	size_t i;

	(void)req;
	for (i = 0; i < PT_NELEM(bad_values); i++) {
		if (http_response_set_header(resp, "X-A", bad_values[i]) !=
		            -1 ||
		    http_response_add_header(resp, "X-A", bad_values[i]) != -1)
			fail_msg("value %zu accepted", i);
	}
	for (i = 0; i < PT_NELEM(bad_names); i++) {
		if (http_response_set_header(resp, bad_names[i], "v") != -1)
			fail_msg("name %zu accepted", i);
	}
	assert_int_equal(http_response_set_header(resp, "X-Tab", "a\tb"), 0);
	assert_int_equal(http_response_set_csp(resp, "a\r\nb"), -1);
	assert_int_equal(http_response_redirect(resp, 302, "/x\r\nSet-Cookie:"),
	                 -1);
	assert_int_equal(http_response_set_content_type(resp, "a\nb"), -1);
	assert_int_equal(http_response_set_cookie(resp, "a", "b", NULL), 0);
}

static void
test_header_injection_is_rejected(void **state)
{
	const char *r = respond(sc_injection, "GET");

	(void)state;
	assert_null(strstr(r, "X-A"));
	assert_null(strstr(r, "x=1"));
	assert_int_equal(count(r, "Set-Cookie"), 1);
	assert_int_equal(count(r, "\r\n\r\n"), 1);
}

static void
sc_cookies(struct http_request *req, struct http_response *resp)
{
	struct http_cookie_opts o;

	(void)req;
	assert_int_equal(http_response_set_cookie(resp, "sid", "abc", NULL), 0);
	memset(&o, 0, sizeof(o));
	o.secure = true;
	o.max_age = 3600;
	o.samesite = HTTP_SAMESITE_LAX;
	o.path = "/app";
	o.script_visible = true;
	assert_int_equal(http_response_set_cookie(resp, "pref", "x-1", &o), 0);
	assert_int_equal(http_response_delete_cookie(resp, "old", NULL), 0);
	/* invalid names, values and attributes add nothing */
	assert_int_equal(http_response_set_cookie(resp, "a b", "1", NULL), -1);
	assert_int_equal(http_response_set_cookie(resp, "a=", "1", NULL), -1);
	assert_int_equal(http_response_set_cookie(resp, "c", "1;x=2", NULL),
	                 -1);
	assert_int_equal(http_response_set_cookie(resp, "c", "sp ace", NULL),
	                 -1);
	assert_int_equal(http_response_set_cookie(resp, "c", "q\"", NULL), -1);
	assert_int_equal(http_response_set_cookie(resp, "c", "a\r\nb", NULL),
	                 -1);
	o.path = "/;Domain=evil";
	assert_int_equal(http_response_set_cookie(resp, "c", "1", &o), -1);
}

static void
test_cookies_have_safe_attributes(void **state)
{
	const char *r = respond(sc_cookies, "GET");

	(void)state;
	assert_non_null(strstr(r, "Set-Cookie: sid=abc; Path=/; HttpOnly; "
	                          "SameSite=Strict\r\n"));
	assert_non_null(strstr(r, "Set-Cookie: pref=x-1; Path=/app; "
	                          "Max-Age=3600; Secure; SameSite=Lax\r\n"));
	assert_non_null(strstr(r, "Set-Cookie: old=; Path=/; Max-Age=0; "
	                          "Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
	                          "HttpOnly; SameSite=Strict\r\n"));
	assert_int_equal(count(r, "Set-Cookie"), 3);
}

static void
sc_json(struct http_request *req, struct http_response *resp)
{
	json_t *v = json_pack("{s:i, s:s}", "uid", 7, "s", "<\xc3\xa9>");

	(void)req;
	assert_int_equal(http_response_json(resp, 201, v), 0);
	assert_int_equal(v->refcount, 1);
	json_decref(v);
}

static void
test_json_response(void **state)
{
	const char *r = respond(sc_json, "GET");

	(void)state;
	assert_true(strncmp(r, "Status: 201 Created\r\n", 21) == 0);
	assert_non_null(strstr(r, "Content-Type: application/json; "
	                          "charset=utf-8\r\n"));
	assert_non_null(strstr(r, "\r\n\r\n{\"uid\":7,\"s\":\"<\xc3\xa9>\"}"));
}

static void
sc_json_new_null(struct http_request *req, struct http_response *resp)
{
	(void)req;
	assert_int_equal(http_response_json_new(resp, 200, NULL), -1);
}

static void
test_json_null_is_500(void **state)
{
	(void)state;
	assert_true(strncmp(respond(sc_json_new_null, "GET"), "Status: 500 ",
	                    12) == 0);
}

static void
sc_stream(struct http_request *req, struct http_response *resp)
{
	(void)req;
	sbuf_append_cstr(&resp->body, "discarded");
	assert_int_equal(http_response_set_content_type(
	                         resp, "application/octet-stream"),
	                 0);
	assert_int_equal(http_response_stream_begin(resp), 0);
	assert_int_equal(http_response_set_header(resp, "X-Late", "1"), -1);
	assert_int_equal(http_response_write(resp, "part1-", 6), 0);
	assert_int_equal(http_response_write(resp, "part2", 5), 0);
}

static void
test_streaming_sends_headers_then_data(void **state)
{
	const char *r = respond(sc_stream, "GET");

	(void)state;
	assert_non_null(strstr(r, "X-Frame-Options: DENY\r\n"));
	assert_null(strstr(r, "Content-Length"));
	assert_null(strstr(r, "X-Late"));
	assert_null(strstr(r, "discarded"));
	assert_non_null(
	        strstr(r, "Content-Type: application/octet-stream\r\n"));
	assert_non_null(strstr(r, "\r\n\r\npart1-part2"));
	assert_int_equal(strlen(strstr(r, "\r\n\r\n")), 4 + 11);
}

static void
sc_too_big(struct http_request *req, struct http_response *resp)
{
	int i;

	(void)req;
	assert_int_equal(http_response_set_cookie(resp, "sid", "x", NULL), 0);
	for (i = 0; i < 200; i++)
		sbuf_append_cstr(&resp->body, "0123456789");
}

static void
test_oversize_buffered_response_is_500(void **state)
{
	const char *r = respond(sc_too_big, "GET");

	(void)state;
	assert_true(strncmp(r, "Status: 500 ", 12) == 0);
	assert_null(strstr(r, "Set-Cookie"));
	assert_null(strstr(r, "0123456789"));
	assert_non_null(strstr(r, "X-Frame-Options: DENY"));
}

static void
sc_redirect(struct http_request *req, struct http_response *resp)
{
	(void)req;
	assert_int_equal(http_response_redirect(resp, 200, "/"), -1);
	assert_int_equal(http_response_redirect(resp, 303, "/inbox?x=1"), 0);
}

static void
test_redirect(void **state)
{
	const char *r = respond(sc_redirect, "POST");

	(void)state;
	assert_true(strncmp(r, "Status: 303 See Other\r\n", 23) == 0);
	assert_non_null(strstr(r, "Location: /inbox?x=1\r\n"));
	assert_non_null(strstr(r, "Content-Length: 0\r\n"));
}

static void
sc_text(struct http_request *req, struct http_response *resp)
{
	(void)req;
	assert_int_equal(
	        http_response_text(resp, 404, "text/plain", STRV_LIT("nope")),
	        0);
}

static void
test_text_and_reason(void **state)
{
	const char *r = respond(sc_text, "GET");

	(void)state;
	assert_true(strncmp(r, "Status: 404 Not Found\r\n", 23) == 0);
	assert_string_equal(http_reason_phrase(413), "Content Too Large");
	/* live's event server answers these from the same table. */
	assert_string_equal(http_reason_phrase(408), "Request Timeout");
	assert_string_equal(http_reason_phrase(429), "Too Many Requests");
	assert_string_equal(http_reason_phrase(799), "Unknown");
}

static void
test_status_of_error_kind(void **state)
{
	(void)state;
	assert_int_equal(http_status_of_error(PERR_OK), 200);
	assert_int_equal(http_status_of_error(PERR_INPUT), 400);
	assert_int_equal(http_status_of_error(PERR_AUTH), 401);
	assert_int_equal(http_status_of_error(PERR_LIMIT), 413);
	assert_int_equal(http_status_of_error(PERR_METHOD), 405);
	assert_int_equal(http_status_of_error(PERR_RATE), 429);
	assert_int_equal(http_status_of_error(PERR_TEMPFAIL), 503);
	assert_int_equal(http_status_of_error(PERR_REMOTE), 502);
	assert_int_equal(http_status_of_error(PERR_NOSPACE), 507);
	assert_int_equal(http_status_of_error((enum perr_kind)99), 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_response_has_security_headers_and_length),
	        cmocka_unit_test(test_head_has_length_but_no_body),
	        cmocka_unit_test(test_handler_overrides_defaults_once),
	        cmocka_unit_test(test_header_injection_is_rejected),
	        cmocka_unit_test(test_cookies_have_safe_attributes),
	        cmocka_unit_test(test_json_response),
	        cmocka_unit_test(test_json_null_is_500),
	        cmocka_unit_test(test_streaming_sends_headers_then_data),
	        cmocka_unit_test(test_oversize_buffered_response_is_500),
	        cmocka_unit_test(test_redirect),
	        cmocka_unit_test(test_text_and_reason),
	        cmocka_unit_test(test_status_of_error_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
