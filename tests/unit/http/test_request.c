#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/core.h"
#include "http/http.h"
#include "http/http_private.h"

struct capture {
	struct http_request *req;
	int calls;
	int render_error; /* handler renders parse errors itself */
	bool raw_file_existed;
};

static void
capture_handler(struct http_request *req, struct http_response *resp, void *ctx)
{
	struct capture *c = ctx;

	c->req = req;
	c->calls++;
	if (req->raw_body != NULL && req->raw_body->path != NULL) {
		struct stat st;

		c->raw_file_existed =
		        stat(req->raw_body->path, &st) == 0 &&
		        (uint64_t)st.st_size == req->raw_body->size;
	}
	if (c->render_error && req->parse_error.kind != PERR_OK) {
		http_response_set_status(
		        resp, http_status_of_error(req->parse_error.kind));
		sbuf_append_cstr(&resp->body, "custom error page");
		return;
	}
	sbuf_append_cstr(&resp->body, "ok");
}

struct fixture {
	struct arena *a;
	struct sbuf out;
	struct http_limits l;
	struct capture c;
};

static struct fixture *
fx_new(void)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	f.a = arena_create("test", 4096, 0);
	http_limits_default(&f.l);
	sbuf_init(&f.out, NULL, 0, 0);
	return &f;
}

static void
fx_free(struct fixture *f)
{
	sbuf_free(&f->out);
	arena_destroy(&f->a);
}

static int
run(struct fixture *f, const char *const *env, const char *body)
{
	sbuf_reset(&f->out);
	return http_handle_memory(env, strv_from_cstr(body), &f->l,
	                          capture_handler, &f->c, f->a, &f->out);
}

static bool
starts_with(const struct sbuf *b, const char *prefix)
{
	return strncmp(sbuf_cstr(b), prefix, strlen(prefix)) == 0;
}

static void
assert_strv(struct strv v, const char *want)
{
	assert_int_equal(v.len, strlen(want));
	assert_memory_equal(v.p, want, v.len);
}

static void
test_get_parses_request_line_and_query(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_METHOD=GET",
	                     "REQUEST_URI=/mail/%C3%A9t%C3%A9+x?b=2&a=1&a=3",
	                     "QUERY_STRING=b=2&a=1&a=3",
	                     "HTTP_HOST=webmail.example.org",
	                     "REMOTE_ADDR=192.0.2.7",
	                     "HTTPS=on",
	                     NULL};
	struct http_request *req;
	struct strv v;

	(void)state;
	assert_int_equal(run(f, env, ""), 0);
	assert_int_equal(f->c.calls, 1);
	req = f->c.req;
	assert_int_equal(req->parse_error.kind, PERR_OK);
	assert_string_equal(req->method, "GET");
	/* '+' in a path is a plus, not a space */
	assert_strv(req->path, "/mail/\xc3\xa9t\xc3\xa9+x");
	assert_strv(req->query_string, "b=2&a=1&a=3");
	assert_int_equal(req->n_query, 3);
	assert_strv(req->query[0].name, "b");
	assert_true(http_request_query(req, "a", &v));
	assert_strv(v, "1");
	assert_false(http_request_query(req, "c", &v));
	assert_strv(req->host, "webmail.example.org");
	assert_string_equal(req->remote_addr, "192.0.2.7");
	assert_true(req->https);
	assert_int_equal(strlen(req->id), 16);
	assert_int_equal(strspn(req->id, "0123456789abcdef"), 16);
	assert_true(starts_with(&f->out, "Status: 200 OK\r\n"));
	fx_free(f);
}

static void
test_query_keeps_bare_key_first_and_in_order(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_URI=/?admin_f0e5a5aa&x=1&&flag&y=a+b%21",
	                     "QUERY_STRING=admin_f0e5a5aa&x=1&&flag&y=a+b%21",
	                     NULL};
	struct http_request *req;
	struct strv v;

	(void)state;
	assert_int_equal(run(f, env, ""), 0);
	req = f->c.req;
	assert_int_equal(req->parse_error.kind, PERR_OK);
	assert_int_equal(req->n_query, 4);
	assert_strv(http_request_first_query_key(req), "admin_f0e5a5aa");
	assert_strv(req->query[0].value, "");
	assert_strv(req->query[1].name, "x");
	assert_strv(req->query[2].name, "flag");
	assert_true(http_request_query(req, "flag", &v));
	assert_int_equal(v.len, 0);
	assert_true(http_request_query(req, "y", &v));
	assert_strv(v, "a b!");
	fx_free(f);
}

static void
test_no_query_has_no_first_key(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_URI=/", NULL};

	(void)state;
	assert_int_equal(run(f, env, ""), 0);
	assert_null(http_request_first_query_key(f->c.req).p);
	assert_strv(f->c.req->path, "/");
	fx_free(f);
}

static void
test_invalid_percent_escapes_are_400(void **state)
{
	static const char *const cases[][3] = {
	        {"REQUEST_URI=/a%zz", "QUERY_STRING=", NULL},
	        {"REQUEST_URI=/a%4", "QUERY_STRING=", NULL},
	        {"REQUEST_URI=/a%00b", "QUERY_STRING=", NULL},
	        {"REQUEST_URI=/?x=%g1", "QUERY_STRING=x=%g1", NULL},
	        {"REQUEST_URI=/?%", "QUERY_STRING=%", NULL},
	        {"REQUEST_URI=relative", "QUERY_STRING=", NULL},
	        {"REQUEST_URI=/?x=%00", "QUERY_STRING=x=%00", NULL},
	        {"REQUEST_URI=/?a%00b", "QUERY_STRING=a%00b", NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		struct fixture *f = fx_new();

		assert_int_equal(run(f, (const char *const *)cases[i], ""), 0);
		assert_int_equal(f->c.calls, 1);
		if (f->c.req->parse_error.kind != PERR_INPUT)
			fail_msg("case %zu: kind %d", i,
			         f->c.req->parse_error.kind);
		/* The handler ignored the error: http answers 400 itself. */
		assert_true(
		        starts_with(&f->out, "Status: 400 Bad Request\r\n"));
		fx_free(f);
	}
}

static void
test_document_uri_is_taken_decoded(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"DOCUMENT_URI=/100%", NULL};

	(void)state;
	assert_int_equal(run(f, env, ""), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_OK);
	assert_strv(f->c.req->path, "/100%");
	fx_free(f);
}

static void
test_handler_renders_parse_error_itself(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_URI=/%zz", NULL};

	(void)state;
	f->c.render_error = 1;
	assert_int_equal(run(f, env, ""), 0);
	assert_true(starts_with(&f->out, "Status: 400 Bad Request\r\n"));
	assert_non_null(strstr(sbuf_cstr(&f->out), "\r\n\r\ncustom error"));
	fx_free(f);
}

static void
test_cookie_parsing_edge_cases(void **state)
{
	struct arena *a = arena_create("t", 1024, 0);
	struct http_param *list;
	size_t n;
	struct perr err;

	(void)state;
	assert_int_equal(http_parse_cookies(
	                         STRV_LIT(" sid=abc; theme=\"dark\";bare; =x; "
	                                  "e=; eq=a=b;  sid=second ;tab\t=1"),
	                         50, a, &list, &n, &err),
	                 0);
	assert_int_equal(n, 6);
	assert_strv(list[0].name, "sid");
	assert_strv(list[0].value, "abc");
	assert_strv(list[1].name, "theme");
	assert_strv(list[1].value, "dark");
	assert_strv(list[2].name, "e");
	assert_strv(list[2].value, "");
	assert_strv(list[3].name, "eq");
	assert_strv(list[3].value, "a=b");
	assert_strv(list[4].value, "second");
	assert_strv(list[5].name, "tab");
	/* empty header, only separators */
	assert_int_equal(
	        http_parse_cookies(STRV_LIT(""), 50, a, &list, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	        http_parse_cookies(STRV_LIT(";;; ;"), 50, a, &list, &n, &err),
	        0);
	assert_int_equal(n, 0);
	/* many separators but few cookies is fine */
	assert_int_equal(http_parse_cookies(STRV_LIT("a=1;;;;;;;;b=2"), 2, a,
	                                    &list, &n, &err),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(http_parse_cookies(STRV_LIT("a=1;b=2;c=3"), 2, a,
	                                    &list, &n, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	arena_destroy(&a);
}

static void
test_cookie_lookup_first_wins(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"HTTP_COOKIE=sid=one; sid=two", NULL};
	struct strv v;

	(void)state;
	assert_int_equal(run(f, env, ""), 0);
	assert_true(http_request_cookie(f->c.req, "sid", &v));
	assert_strv(v, "one");
	assert_false(http_request_cookie(f->c.req, "SID", &v));
	fx_free(f);
}

static void
test_too_many_cookies_is_413(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"HTTP_COOKIE=a=1; b=2; c=3", NULL};

	(void)state;
	f->l.max_cookies = 2;
	assert_int_equal(run(f, env, ""), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_LIMIT);
	assert_true(starts_with(&f->out, "Status: 413 "));
	fx_free(f);
}

static void
test_headers_are_normalized_and_case_insensitive(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"HTTP_X_PETREL_TOKEN=tok123",
	                     "HTTP_ACCEPT_LANGUAGE=fr",
	                     "CONTENT_TYPE=text/plain", "SERVER_NAME=x", NULL};
	struct strv v;

	(void)state;
	assert_int_equal(run(f, env, ""), 0);
	assert_true(http_request_header(f->c.req, "X-Petrel-Token", &v));
	assert_strv(v, "tok123");
	assert_true(http_request_header(f->c.req, "x-petrel-token", &v));
	assert_true(http_request_header(f->c.req, "ACCEPT_LANGUAGE", &v));
	assert_strv(v, "fr");
	assert_true(http_request_header(f->c.req, "Content-Type", &v));
	assert_false(http_request_header(f->c.req, "Server-Name", &v));
	assert_false(http_request_header(f->c.req, "X-Petrel", &v));
	assert_strv(f->c.req->host, "x");
	fx_free(f);
}

static void
test_too_many_headers_is_413(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"HTTP_A=1", "HTTP_B=2", "HTTP_C=3", NULL};

	(void)state;
	f->l.max_headers = 2;
	assert_int_equal(run(f, env, ""), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_LIMIT);
	fx_free(f);
}

static void
test_too_many_params_is_413(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"QUERY_STRING=a&b&c&d", NULL};
	const char *env_ok[] = {"QUERY_STRING=a&&&&&&&&&&&&&&b", NULL};

	(void)state;
	f->l.max_params = 3;
	assert_int_equal(run(f, env, ""), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_LIMIT);
	arena_reset(f->a);
	assert_int_equal(run(f, env_ok, ""), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_OK);
	assert_int_equal(f->c.req->n_query, 2);
	fx_free(f);
}

static void
test_https_detection(void **state)
{
	static const struct {
		const char *a, *b;
		bool https;
	} cases[] = {
	        {"HTTPS=on", NULL, true},
	        {"HTTPS=ON", NULL, true},
	        {"HTTPS=", NULL, false},
	        {"HTTPS=off", NULL, false},
	        {"REQUEST_SCHEME=https", NULL, true},
	        {"REQUEST_SCHEME=http", NULL, false},
	        {"X=1", NULL, false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		struct fixture *f = fx_new();
		const char *env[] = {cases[i].a, cases[i].b};

		assert_int_equal(run(f, env, ""), 0);
		if (f->c.req->https != cases[i].https)
			fail_msg("case %zu", i);
		fx_free(f);
	}
}

static void
test_urlencoded_body(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_METHOD=POST",
	                     "CONTENT_TYPE=application/x-www-form-urlencoded; "
	                     "charset=UTF-8",
	                     "CONTENT_LENGTH=30", NULL};
	struct strv v;

	(void)state;
	assert_int_equal(run(f, env, "user=a%40b.c&pass=x+y&remember"), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_OK);
	assert_int_equal(f->c.req->body_kind, HTTP_BODY_FORM);
	assert_true(http_request_form(f->c.req, "user", &v));
	assert_strv(v, "a@b.c");
	assert_true(http_request_form(f->c.req, "pass", &v));
	assert_strv(v, "x y");
	assert_true(http_request_form(f->c.req, "remember", &v));
	assert_int_equal(f->c.req->n_form, 3);
	fx_free(f);
}

static void
test_urlencoded_body_bad_escape_is_400(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_METHOD=POST",
	                     "CONTENT_TYPE=application/x-www-form-urlencoded",
	                     "CONTENT_LENGTH=5", NULL};

	(void)state;
	assert_int_equal(run(f, env, "a=%zz"), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_INPUT);
	assert_int_equal(f->c.req->n_form, 0);
	fx_free(f);
}

struct counting_io {
	int reads;
};

static ssize_t
counting_read(void *ctx, void *buf, size_t n)
{
	struct counting_io *c = ctx;

	(void)buf;
	(void)n;
	c->reads++;
	return 0;
}

static int
discard_write(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static void
test_oversize_body_is_413_without_reading(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_METHOD=POST",
	                     "CONTENT_TYPE=application/octet-stream",
	                     "CONTENT_LENGTH=1000001", NULL};
	struct counting_io c = {0};
	struct http_io io = {counting_read, discard_write, &c, false};

	(void)state;
	f->l.max_body = 1000000;
	assert_int_equal(
	        http_run(env, &io, &f->l, capture_handler, &f->c, f->a), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_LIMIT);
	assert_int_equal(c.reads, 0);
	assert_true(io.unread_body);
	/* and through the memory entry point the status is 413 */
	arena_reset(f->a);
	assert_int_equal(run(f, env, "x"), 0);
	assert_true(starts_with(&f->out, "Status: 413 Content Too Large\r\n"));
	fx_free(f);
}

static void
test_form_above_max_form_is_413(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_METHOD=POST",
	                     "CONTENT_TYPE=application/json",
	                     "CONTENT_LENGTH=11", NULL};

	(void)state;
	f->l.max_form = 10;
	assert_int_equal(run(f, env, "{\"a\":12345}"), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_LIMIT);
	fx_free(f);
}

static void
test_bad_and_short_content_length_are_400(void **state)
{
	static const char *const lens[] = {
	        "CONTENT_LENGTH=12x", "CONTENT_LENGTH=-1",
	        "CONTENT_LENGTH=99999999999999999999", "CONTENT_LENGTH=10"};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(lens); i++) {
		struct fixture *f = fx_new();
		const char *env[] = {"REQUEST_METHOD=POST",
		                     "CONTENT_TYPE=text/plain", lens[i], NULL};

		assert_int_equal(run(f, env, "short"), 0);
		if (f->c.req->parse_error.kind != PERR_INPUT)
			fail_msg("case %zu: kind %d", i,
			         f->c.req->parse_error.kind);
		fx_free(f);
	}
}

static void
test_json_body(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_METHOD=POST",
	                     "CONTENT_TYPE=application/json; charset=utf-8",
	                     "CONTENT_LENGTH=23", NULL};
	json_t *j;

	(void)state;
	assert_int_equal(run(f, env, "{\"uid\":42,\"folder\":\"x\"}"), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_OK);
	assert_int_equal(f->c.req->body_kind, HTTP_BODY_JSON);
	j = http_request_json(f->c.req);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "uid")), 42);
	fx_free(f);
}

static void
test_invalid_json_is_400(void **state)
{
	static const char *const bodies[] = {"{\"a\":", "", "{\"a\":1}x",
	                                     "{\"a\":1,\"a\":2}", "[1,]"};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bodies); i++) {
		struct fixture *f = fx_new();
		char cl[64];
		const char *env[] = {"REQUEST_METHOD=POST",
		                     "CONTENT_TYPE=application/json", cl, NULL};

		assert_true(pt_snprintf_ok(cl, sizeof(cl), "CONTENT_LENGTH=%zu",
		                           strlen(bodies[i])));
		assert_int_equal(run(f, env, bodies[i]), 0);
		if (f->c.req->parse_error.kind != PERR_INPUT)
			fail_msg("case %zu", i);
		assert_null(http_request_json(f->c.req));
		assert_true(starts_with(&f->out, "Status: 400 "));
		assert_non_null(strstr(sbuf_cstr(&f->out), "invalid JSON"));
		fx_free(f);
	}
}

static void
test_raw_body_in_memory_and_spooled(void **state)
{
	struct fixture *f = fx_new();
	char dir[] = "/tmp/petrel-test-XXXXXX";
	const char *env[] = {"REQUEST_METHOD=PUT",
	                     "CONTENT_TYPE=application/octet-stream",
	                     "CONTENT_LENGTH=10", NULL};
	char path[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	f->l.spool_dir = dir;
	f->l.spool_threshold = 16;
	assert_int_equal(run(f, env, "0123456789"), 0);
	assert_int_equal(f->c.req->body_kind, HTTP_BODY_RAW);
	assert_null(f->c.req->raw_body->path);
	assert_strv(f->c.req->raw_body->data, "0123456789");
	arena_reset(f->a);

	f->l.spool_threshold = 4;
	assert_int_equal(run(f, env, "0123456789"), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_OK);
	assert_non_null(f->c.req->raw_body->path);
	assert_true(f->c.raw_file_existed);
	assert_true(pt_strlcpy(path, f->c.req->raw_body->path, sizeof(path)));
	assert_int_equal(access(path, F_OK), 0);
	arena_reset(f->a);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(rmdir(dir), 0);
	fx_free(f);
}

static void
test_spool_dir_missing_is_500(void **state)
{
	struct fixture *f = fx_new();
	const char *env[] = {"REQUEST_METHOD=PUT", "CONTENT_LENGTH=10", NULL};

	(void)state;
	f->l.spool_dir = "/nonexistent/petrel";
	f->l.spool_threshold = 4;
	assert_int_equal(run(f, env, "0123456789"), 0);
	assert_int_equal(f->c.req->parse_error.kind, PERR_INTERNAL);
	assert_true(starts_with(&f->out, "Status: 500 "));
	fx_free(f);
}

static void
test_content_type_params(void **state)
{
	struct arena *a = arena_create("t", 1024, 0);
	struct strv v;

	(void)state;
	assert_true(
	        http_header_param(STRV_LIT("multipart/form-data; charset=x; "
	                                   "BOUNDARY=\"a b\\\"c\""),
	                          "boundary", a, &v));
	assert_strv(v, "a b\"c");
	assert_true(http_header_param(STRV_LIT("text/plain;charset=utf-8 "),
	                              "charset", a, &v));
	assert_strv(v, "utf-8");
	assert_false(
	        http_header_param(STRV_LIT("text/plain"), "charset", a, &v));
	assert_false(http_header_param(STRV_LIT("a/b; x=\"unterminated"), "x",
	                               a, &v));
	assert_false(http_header_param(STRV_LIT("a/b; xboundary=1"), "boundary",
	                               a, &v));
	assert_strv(http_media_type(STRV_LIT(" text/html ; q=1")), "text/html");
	arena_destroy(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_parses_request_line_and_query),
	        cmocka_unit_test(test_query_keeps_bare_key_first_and_in_order),
	        cmocka_unit_test(test_no_query_has_no_first_key),
	        cmocka_unit_test(test_invalid_percent_escapes_are_400),
	        cmocka_unit_test(test_document_uri_is_taken_decoded),
	        cmocka_unit_test(test_handler_renders_parse_error_itself),
	        cmocka_unit_test(test_cookie_parsing_edge_cases),
	        cmocka_unit_test(test_cookie_lookup_first_wins),
	        cmocka_unit_test(test_too_many_cookies_is_413),
	        cmocka_unit_test(
	                test_headers_are_normalized_and_case_insensitive),
	        cmocka_unit_test(test_too_many_headers_is_413),
	        cmocka_unit_test(test_too_many_params_is_413),
	        cmocka_unit_test(test_https_detection),
	        cmocka_unit_test(test_urlencoded_body),
	        cmocka_unit_test(test_urlencoded_body_bad_escape_is_400),
	        cmocka_unit_test(test_oversize_body_is_413_without_reading),
	        cmocka_unit_test(test_form_above_max_form_is_413),
	        cmocka_unit_test(test_bad_and_short_content_length_are_400),
	        cmocka_unit_test(test_json_body),
	        cmocka_unit_test(test_invalid_json_is_400),
	        cmocka_unit_test(test_raw_body_in_memory_and_spooled),
	        cmocka_unit_test(test_spool_dir_missing_is_500),
	        cmocka_unit_test(test_content_type_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
