/*
 * live: the request head parser and the bytes of events and answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "live/live.h"
#include "core/banned.h"

static struct arena *A;

static int
setup(void **state)
{
	(void)state;
	A = arena_create("t", 16 * 1024, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_destroy(&A);
	return 0;
}

static int
parse(const char *head, struct live_request *req, struct perr *err)
{
	arena_reset(A);
	return live_parse_request(strv_from_cstr(head), A, req, err);
}

static void
test_head_length_finds_blank_line(void **state)
{
	static const struct {
		const char *in;
		size_t len;
	} cases[] = {
	        {"GET / HTTP/1.1\r\n\r\n", 18},
	        {"GET / HTTP/1.1\r\nA: b\r\n\r\nrest", 24},
	        {"GET / HTTP/1.1\n\n", 16},
	        {"GET / HTTP/1.1\r\nA: b\r\n", 0},
	        {"GET / HTTP/1.1\r\n\r", 0},
	        {"", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		if (live_head_length(strv_from_cstr(cases[i].in)) !=
		    cases[i].len)
			fail_msg("case %zu", i);
	}
}

static void
test_head_length_at_every_split(void **state)
{
	const char *head = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t n = strlen(head), i;

	(void)state;
	for (i = 0; i < n; i++)
		assert_int_equal(live_head_length((struct strv){head, i}), 0);
	assert_int_equal(live_head_length((struct strv){head, n}), n);
}

static void
test_parse_default_folder_and_cookie(void **state)
{
	struct live_request req;
	struct perr err;

	(void)state;
	assert_int_equal(parse("GET /events HTTP/1.1\r\nHost: x\r\n"
	                       "Cookie: a=1; petrel_session=abc.def; b=2\r\n"
	                       "\r\n",
	                       &req, &err),
	                 0);
	assert_string_equal(req.folder, "INBOX");
	assert_true(req.has_cookie);
	assert_true(strv_eq_cstr(req.cookie, "abc.def"));
}

static void
test_parse_decodes_folder(void **state)
{
	static const struct {
		const char *query;
		const char *folder;
	} cases[] = {
	        {"folder=Sent", "Sent"},
	        {"x=1&folder=A%2FB&y=2", "A/B"},
	        {"folder=My+Folder", "My Folder"},
	        {"folder=%D0%92%D1%85%D0%BE%D0%B4%D1%8F%D1%89%D0%B8%D0%B5",
	         "\xd0\x92\xd1\x85\xd0\xbe\xd0\xb4\xd1\x8f\xd1\x89\xd0\xb8"
	         "\xd0\xb5"},
	        {"folder=%22q%22", "\"q\""},
	        {"", "INBOX"},
	        /* RFC 3501: INBOX in any case is the one INBOX. */
	        {"folder=inbox", "INBOX"},
	        {"folder=Inbox", "INBOX"},
	        {"folder=iNbOx", "INBOX"},
	        /* Only the whole name: a sub-folder keeps its spelling. */
	        {"folder=inbox%2Fsub", "inbox/sub"},
	        {"folder=Inboxes", "Inboxes"},
	};
	struct live_request req;
	struct perr err;
	char head[512];
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		assert_true(pt_snprintf_ok(head, sizeof(head),
		                           "GET /events?%s HTTP/1.1\r\n\r\n",
		                           cases[i].query));
		if (parse(head, &req, &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		if (strcmp(req.folder, cases[i].folder) != 0)
			fail_msg("case %zu: got %s", i, req.folder);
		assert_false(req.has_cookie);
	}
}

static void
test_parse_refuses_bad_requests(void **state)
{
	static const struct {
		const char *head;
		enum perr_kind kind;
	} cases[] = {
	        {"POST /events HTTP/1.1\r\n\r\n", PERR_METHOD},
	        {"GET /other HTTP/1.1\r\n\r\n", PERR_NOTFOUND},
	        {"GET /events/x HTTP/1.1\r\n\r\n", PERR_NOTFOUND},
	        {"GET /events HTTP/2\r\n\r\n", PERR_INPUT},
	        {"GET /events\r\n\r\n", PERR_INPUT},
	        {"\r\n\r\n", PERR_INPUT},
	        {"GET /events?folder=%ZZ HTTP/1.1\r\n\r\n", PERR_INPUT},
	        {"GET /events?folder=%0D%0AX HTTP/1.1\r\n\r\n", PERR_INPUT},
	        {"GET /events?folder=%00 HTTP/1.1\r\n\r\n", PERR_INPUT},
	        {"GET /events?folder=%FF HTTP/1.1\r\n\r\n", PERR_INPUT},
	        {"GET /events?folder= HTTP/1.1\r\n\r\n", PERR_INPUT},
	        {"GET /events HTTP/1.1\r\nNoColon\r\n\r\n", PERR_INPUT},
	        {"GET /events HTTP/1.1\r\nA: b\r\n c\r\n\r\n", PERR_INPUT},
	        {"GET /events HTTP/1.1\r\nBad Name: b\r\n\r\n", PERR_INPUT},
	        {"GET /events HTTP/1.1\r\nA: b\x01\r\n\r\n", PERR_INPUT},
	};
	struct live_request req;
	struct perr err;
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		perr_clear(&err);
		if (parse(cases[i].head, &req, &err) == 0)
			fail_msg("case %zu accepted", i);
		if (err.kind != cases[i].kind)
			fail_msg("case %zu: kind %s", i,
			         perr_kind_name(err.kind));
	}
}

static void
test_parse_refuses_too_long_folder(void **state)
{
	struct live_request req;
	struct perr err;
	struct sbuf b;
	size_t i;

	(void)state;
	arena_reset(A);
	sbuf_init(&b, NULL, 0, 8192);
	sbuf_append_cstr(&b, "GET /events?folder=");
	for (i = 0; i <= LIVE_FOLDER_MAX; i++)
		sbuf_append_char(&b, 'a');
	sbuf_append_cstr(&b, " HTTP/1.1\r\n\r\n");
	assert_true(sbuf_ok(&b));
	assert_int_equal(live_parse_request(sbuf_view(&b), A, &req, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	sbuf_free(&b);
}

static void
test_cookie_variants(void **state)
{
	static const struct {
		const char *headers;
		bool found;
		const char *value;
	} cases[] = {
	        {"Cookie: petrel_session=v\r\n", true, "v"},
	        {"cookie:petrel_session=v;x=y\r\n", true, "v"},
	        {"Cookie: petrel_session=\"q\"\r\n", true, "q"},
	        {"Cookie: xpetrel_session=v\r\n", false, NULL},
	        {"Cookie: a=b\r\nCookie: petrel_session=w\r\n", true, "w"},
	        {"Cookie: petrel_session=1\r\nCookie: petrel_session=2\r\n",
	         true, "1"},
	        {"X-Cookie: petrel_session=v\r\n", false, NULL},
	        {"Cookie: petrel_session\r\n", false, NULL},
	};
	struct live_request req;
	struct perr err;
	char head[512];
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		assert_true(pt_snprintf_ok(head, sizeof(head),
		                           "GET /events HTTP/1.1\r\n%s\r\n",
		                           cases[i].headers));
		if (parse(head, &req, &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		if (req.has_cookie != cases[i].found)
			fail_msg("case %zu: found %d", i, req.has_cookie);
		if (cases[i].found && !strv_eq_cstr(req.cookie, cases[i].value))
			fail_msg("case %zu: wrong value", i);
	}
}

static void
test_format_event_escapes_folder(void **state)
{
	struct sbuf b;

	(void)state;
	arena_reset(A);
	sbuf_init(&b, A, 64, 4096);
	live_format_event(&b, "change", "INBOX");
	live_format_event(&b, "change", "a\"b\\c\x01\xd0\x92");
	assert_true(sbuf_ok(&b));
	assert_string_equal(sbuf_cstr(&b),
	                    "event: change\ndata: {\"folder\":\"INBOX\"}\n\n"
	                    "event: change\ndata: {\"folder\":"
	                    "\"a\\\"b\\\\c\\u0001\xd0\x92\"}\n\n");
}

static void
test_format_answers(void **state)
{
	struct sbuf b;

	(void)state;
	arena_reset(A);
	sbuf_init(&b, A, 64, 4096);
	live_format_error(&b, 401, "not signed in");
	assert_true(sbuf_ok(&b));
	assert_string_equal(sbuf_cstr(&b),
	                    "HTTP/1.1 401 Unauthorized\r\n"
	                    "Content-Type: text/plain; charset=utf-8\r\n"
	                    "Content-Length: 14\r\n"
	                    "Cache-Control: no-store\r\n"
	                    "Connection: close\r\n\r\nnot signed in\n");
	sbuf_reset(&b);
	live_format_stream_head(&b, 5000);
	assert_true(sbuf_ok(&b));
	assert_non_null(strstr(sbuf_cstr(&b), "HTTP/1.1 200 OK\r\n"));
	assert_non_null(
	        strstr(sbuf_cstr(&b), "Content-Type: text/event-stream"));
	assert_non_null(strstr(sbuf_cstr(&b), "Cache-Control: no-store\r\n"));
	assert_non_null(strstr(sbuf_cstr(&b), "X-Accel-Buffering: no\r\n"));
	assert_non_null(strstr(sbuf_cstr(&b), "\r\n\r\nretry: 5000\n\n"));
}

static void
test_start_refuses_bad_listen(void **state)
{
	static const char *bad[] = {"", "nocolon", "unix:relative",
	                            "127.0.0.1:", ":80"};
	struct live_opts o;
	struct perr err;
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++) {
		memset(&o, 0, sizeof(o));
		o.listen = bad[i];
		if (live_server_start(&o, A, &err) != NULL)
			fail_msg("case %zu started", i);
		assert_int_equal(err.kind, PERR_INPUT);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_head_length_finds_blank_line),
	        cmocka_unit_test(test_head_length_at_every_split),
	        cmocka_unit_test(test_parse_default_folder_and_cookie),
	        cmocka_unit_test(test_parse_decodes_folder),
	        cmocka_unit_test(test_parse_refuses_bad_requests),
	        cmocka_unit_test(test_parse_refuses_too_long_folder),
	        cmocka_unit_test(test_cookie_variants),
	        cmocka_unit_test(test_format_event_escapes_folder),
	        cmocka_unit_test(test_format_answers),
	        cmocka_unit_test(test_start_refuses_bad_listen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
