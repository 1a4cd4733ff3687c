/*
 * The raw HTTP/1.1 transport of the request parser (src/http/head.c), as
 * live's event server uses it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http.h"

#include "../support/unit_arena.h"

static struct http_limits L;

static int
parse(const char *head, struct http_request *req, struct perr *err)
{
	perr_clear(err);
	return http_head_parse(strv_from_cstr(head), &L, A, req, err);
}

static void
test_head_length(void **state)
{
	static const struct {
		const char *in;
		size_t len;
	} cases[] = {
	        {"GET / HTTP/1.1\r\n\r\n", 18},
	        {"GET / HTTP/1.1\r\nA: b\r\n\r\nbody", 24},
	        {"GET / HTTP/1.1\n\n", 16},
	        {"GET / HTTP/1.1\r\nA: b\r\n", 0},
	        {"GET / HTTP/1.1\r\n\r", 0},
	        {"", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++)
		if (http_head_length(strv_from_cstr(cases[i].in)) !=
		    cases[i].len)
			fail_msg("case %zu", i);
}

static void
test_head_gives_the_fastcgi_request(void **state)
{
	struct http_request req;
	struct perr err;
	struct strv v;

	(void)state;
	assert_int_equal(parse("GET /a%20b/c?x=1&folder=A%2FB+C HTTP/1.1\r\n"
	                       "Host: mail.example\r\n"
	                       "X-Petrel-Token:  tok \r\n"
	                       "Cookie: a=1; petrel_session=\"s.v\"\r\n"
	                       "Content-Length: 5\r\n"
	                       "\r\n",
	                       &req, &err),
	                 0);
	assert_int_equal(req.parse_error.kind, PERR_OK);
	assert_string_equal(req.method, "GET");
	assert_true(strv_eq_cstr(req.path, "/a b/c"));
	assert_true(strv_eq_cstr(req.query_string, "x=1&folder=A%2FB+C"));
	assert_true(http_request_query(&req, "folder", &v));
	assert_true(strv_eq_cstr(v, "A/B C"));
	assert_true(strv_eq_cstr(req.host, "mail.example"));
	assert_true(http_request_header(&req, "X-Petrel-Token", &v));
	assert_true(strv_eq_cstr(v, "tok"));
	assert_true(http_request_cookie(&req, "petrel_session", &v));
	assert_true(strv_eq_cstr(v, "s.v"));
	/* Only the head: a Content-Length is a header, no body is read. */
	assert_true(http_request_header(&req, "content-length", &v));
	assert_int_equal(req.body_kind, HTTP_BODY_NONE);
	assert_int_equal(req.content_length, 0);
	assert_string_equal(req.remote_addr, "");
}

static void
test_repeated_headers_join(void **state)
{
	struct http_request req;
	struct perr err;
	struct strv v;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.0\n"
	                       "Cookie: a=1\n"
	                       "Accept: x\n"
	                       "cookie: petrel_session=2; b=3\n"
	                       "ACCEPT: y\n\n",
	                       &req, &err),
	                 0);
	assert_int_equal(req.parse_error.kind, PERR_OK);
	assert_int_equal(req.n_cookies, 3);
	assert_true(http_request_cookie(&req, "petrel_session", &v));
	assert_true(strv_eq_cstr(v, "2"));
	assert_true(http_request_header(&req, "accept", &v));
	assert_true(strv_eq_cstr(v, "x, y"));
	/* Up to the header limit of one name: one value list, in order. */
	{
		struct sbuf b;
		size_t i;

		sbuf_init(&b, A, 4096, 64 * 1024);
		sbuf_append_cstr(&b, "GET / HTTP/1.1\r\n");
		for (i = 0; i < L.max_headers; i++)
			sbuf_printf(&b, "X-A: %zu\r\n", i);
		sbuf_append_cstr(&b, "\r\n");
		assert_int_equal(
		        http_head_parse(sbuf_view(&b), &L, A, &req, &err), 0);
		assert_int_equal(req.parse_error.kind, PERR_OK);
		assert_int_equal(req.n_headers, 1);
		assert_true(http_request_header(&req, "x-a", &v));
		assert_true(strncmp(v.p, "0, 1, 2, ", 9) == 0);
		assert_int_equal(v.p[v.len - 1], '9');
	}
}

static void
test_bad_request_lines_fail(void **state)
{
	static const char *const bad[] = {
	        "\r\n\r\n",
	        "GET /events\r\n\r\n",
	        "GET /events HTTP/2\r\n\r\n",
	        "GET /events HTTP/1.1 x\r\n\r\n",
	        "GET /ev\x01nts HTTP/1.1\r\n\r\n",
	        "GET  /events HTTP/1.1\r\n\r\n",
	        "",
	};
	struct http_request req;
	struct perr err;
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++) {
		if (parse(bad[i], &req, &err) != -1)
			fail_msg("case %zu accepted", i);
		if (err.kind != PERR_INPUT)
			fail_msg("case %zu: %s", i, perr_kind_name(err.kind));
	}
}

static void
test_bad_header_lines_are_parse_errors(void **state)
{
	static const char *const bad[] = {
	        "NoColon\r\n",     ": empty name\r\n", "A: b\r\n c\r\n",
	        "Bad Name: b\r\n", "A: b\x01\r\n",     "A: b\x7f\r\n",
	        "A\x80: b\r\n",
	};
	struct http_request req;
	struct perr err;
	char head[128];
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++) {
		assert_true(pt_snprintf_ok(head, sizeof(head),
		                           "POST /x?y=%%ZZ HTTP/1.1\r\n%s\r\n",
		                           bad[i]));
		if (parse(head, &req, &err) != 0)
			fail_msg("case %zu: request line refused", i);
		/* The method and path are there for the caller's order. */
		assert_string_equal(req.method, "POST");
		assert_true(strv_eq_cstr(req.path, "/x"));
		/* The header's error wins over the query's bad escape. */
		if (req.parse_error.kind != PERR_INPUT ||
		    strstr(req.parse_error.msg, "header") == NULL)
			fail_msg("case %zu: %s", i,
			         req.parse_error.msg != NULL
			                 ? req.parse_error.msg
			                 : "no error");
	}
	/* A tab in a value is fine. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nA: b\tc\r\n\r\n", &req, &err),
	                 0);
	assert_int_equal(req.parse_error.kind, PERR_OK);
}

static void
test_fastcgi_rules_apply(void **state)
{
	struct http_request req;
	struct perr err;

	(void)state;
	/* A method that is not a token: kept as sent, flagged by http. */
	assert_int_equal(parse("G@T /events HTTP/1.1\r\n\r\n", &req, &err), 0);
	assert_string_equal(req.method, "G@T");
	assert_int_equal(req.parse_error.kind, PERR_INPUT);
	/* Bad escapes, NUL in the query. */
	assert_int_equal(parse("GET /e?f=%ZZ HTTP/1.1\r\n\r\n", &req, &err), 0);
	assert_int_equal(req.parse_error.kind, PERR_INPUT);
	assert_int_equal(parse("GET /e?f=%00 HTTP/1.1\r\n\r\n", &req, &err), 0);
	assert_int_equal(req.parse_error.kind, PERR_INPUT);
	assert_int_equal(parse("GET /%zz HTTP/1.1\r\n\r\n", &req, &err), 0);
	assert_int_equal(req.parse_error.kind, PERR_INPUT);
	/* http's limits: too many headers is a 413. */
	{
		struct sbuf b;
		size_t i;

		sbuf_init(&b, A, 4096, 64 * 1024);
		sbuf_append_cstr(&b, "GET / HTTP/1.1\r\n");
		for (i = 0; i <= L.max_headers; i++)
			sbuf_printf(&b, "X-H%zu: v\r\n", i);
		sbuf_append_cstr(&b, "\r\n");
		assert_true(sbuf_ok(&b));
		assert_int_equal(
		        http_head_parse(sbuf_view(&b), &L, A, &req, &err), 0);
		assert_int_equal(req.parse_error.kind, PERR_LIMIT);
	}
}

static void
test_reason_phrases(void **state)
{
	(void)state;
	assert_string_equal(http_reason_phrase(200), "OK");
	assert_string_equal(http_reason_phrase(405), "Method Not Allowed");
	assert_string_equal(http_reason_phrase(431),
	                    "Request Header Fields Too Large");
	assert_string_equal(http_reason_phrase(0), "Unknown");
}

static int
setup(void **state)
{
	http_limits_default(&L);
	return unit_arena_setup(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_head_length),
	        cmocka_unit_test(test_head_gives_the_fastcgi_request),
	        cmocka_unit_test(test_repeated_headers_join),
	        cmocka_unit_test(test_bad_request_lines_fail),
	        cmocka_unit_test(test_bad_header_lines_are_parse_errors),
	        cmocka_unit_test(test_fastcgi_rules_apply),
	        cmocka_unit_test(test_reason_phrases),
	};

	return cmocka_run_group_tests(tests, setup, unit_arena_teardown);
}
