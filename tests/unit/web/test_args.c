/*
 * The argument specs (src/web/args.c): a JSON body checked against a
 * spec gives either the values or one error naming the argument and the
 * rule it broke. Bodies go through the real HTTP parser
 * (http_handle_memory) into a dispatcher that runs only the check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "web/web_private.h"

/* What one check saw, read by the tests after the request. */
struct outcome {
	const struct web_arg *spec;
	int rc;
	struct perr err;
	const char *code;   /* ctx.error_code */
	const char *reason; /* "reason" of the error fields */
	const char *argument;
	void (*inspect)(struct web_ctx *ctx); /* on success */
};

static struct outcome out;
static struct arena *A;

static void
dispatch(struct http_request *req, struct http_response *resp, void *arg)
{
	struct web_ctx ctx;

	(void)arg;
	memset(&ctx, 0, sizeof(ctx));
	ctx.req = req;
	ctx.resp = resp;
	perr_clear(&out.err);
	out.rc = web_args_check(&ctx, out.spec, &out.err);
	out.err.msg = out.err.msg != NULL ? arena_strdup(A, out.err.msg) : NULL;
	out.code = ctx.error_code;
	out.reason = out.argument = NULL;
	if (ctx.error_fields != NULL) {
		out.reason =
		        arena_strdup(A, json_string_value(json_object_get(
		                                ctx.error_fields, "reason")));
		out.argument =
		        arena_strdup(A, json_string_value(json_object_get(
		                                ctx.error_fields, "argument")));
	}
	if (out.rc == 0 && out.inspect != NULL)
		out.inspect(&ctx);
	(void)http_response_text(resp, 200, "text/plain", STRV_LIT("ok"));
}

static int
check(const struct web_arg *spec, const char *body)
{
	const char *env[] = {
	        "REQUEST_METHOD=POST",
	        "REQUEST_URI=/api/X",
	        "DOCUMENT_URI=/api/X",
	        "QUERY_STRING=",
	        "CONTENT_TYPE=application/json",
	        arena_printf(A, "CONTENT_LENGTH=%zu", strlen(body)),
	        NULL};
	struct http_limits l;
	struct sbuf raw;

	http_limits_default(&l);
	sbuf_init(&raw, A, 1024, 1024 * 1024);
	out.spec = spec;
	out.rc = 99;
	assert_int_equal(http_handle_memory(env, strv_from_cstr(body), &l,
	                                    dispatch, NULL, A, &raw),
	                 0);
	assert_int_not_equal(out.rc, 99);
	return out.rc;
}

#define ARG(n, t, req, lo, hi, items, c)                                       \
	{                                                                      \
		n, t, req, lo, hi, items, c, PERR_OK, WEB_BODY_ANY             \
	}
#define END ARG(NULL, WEB_ARG_STRING, false, 0, 0, 0, WEB_CTL_TEXT)

static const struct web_arg spec[] = {
        ARG("folder", WEB_ARG_STRING, true, 1, 16, 0, WEB_CTL_LINE),
        ARG("subject", WEB_ARG_STRING, false, 0, 100, 0, WEB_CTL_HEADER),
        ARG("text", WEB_ARG_STRING, false, 0, 0, 0, WEB_CTL_TEXT),
        ARG("uid", WEB_ARG_UID, false, 0, 0, 0, WEB_CTL_TEXT),
        ARG("limit", WEB_ARG_INT, false, 1, 50, 0, WEB_CTL_TEXT),
        ARG("all", WEB_ARG_BOOL, false, 0, 0, 0, WEB_CTL_TEXT),
        ARG("to", WEB_ARG_STRINGS, false, 0, 0, 2, WEB_CTL_HEADER),
        ARG("uids", WEB_ARG_UIDS, false, 0, 0, 3, WEB_CTL_TEXT),
        ARG("ref", WEB_ARG_REF, false, 0, 0, 0, WEB_CTL_TEXT),
        {"id", WEB_ARG_INT, false, 1, 1000, 0, WEB_CTL_TEXT, PERR_NOTFOUND,
         WEB_BODY_ANY},
        END};

static void
expect(const char *body, enum perr_kind kind, const char *argument,
       const char *reason)
{
	assert_int_equal(check(spec, body), -1);
	if (out.err.kind != kind || strcmp(out.argument, argument) != 0 ||
	    strcmp(out.reason, reason) != 0)
		fail_msg("%s: got %d %s %s (%s)", body, out.err.kind,
		         out.argument, out.reason, out.err.msg);
}

static void
test_missing_required_argument(void **state)
{
	(void)state;
	expect("{}", PERR_INPUT, "folder", "missing_argument");
	/* null is "not given". */
	expect("{\"folder\": null}", PERR_INPUT, "folder", "missing_argument");
	/* A body that is no object: every argument is absent. */
	expect("[1]", PERR_INPUT, "folder", "missing_argument");
	assert_null(out.code);
}

static void
test_types_lengths_and_ranges(void **state)
{
	(void)state;
	expect("{\"folder\": 5}", PERR_INPUT, "folder", "bad_type");
	expect("{\"folder\": \"\"}", PERR_INPUT, "folder", "empty");
	expect("{\"folder\": \"12345678901234567\"}", PERR_INPUT, "folder",
	       "too_long");
	expect("{\"folder\": \"a\", \"uid\": 0}", PERR_INPUT, "uid",
	       "out_of_range");
	expect("{\"folder\": \"a\", \"uid\": 4294967296}", PERR_INPUT, "uid",
	       "out_of_range");
	expect("{\"folder\": \"a\", \"uid\": \"7\"}", PERR_INPUT, "uid",
	       "bad_type");
	expect("{\"folder\": \"a\", \"limit\": 51}", PERR_INPUT, "limit",
	       "out_of_range");
	expect("{\"folder\": \"a\", \"limit\": 2.5}", PERR_INPUT, "limit",
	       "bad_type");
	expect("{\"folder\": \"a\", \"all\": 1}", PERR_INPUT, "all",
	       "bad_type");
	expect("{\"folder\": \"a\", \"to\": [\"a\", \"b\", \"c\"]}", PERR_INPUT,
	       "to", "too_many");
	expect("{\"folder\": \"a\", \"to\": [\"a\", 1]}", PERR_INPUT, "to",
	       "bad_type");
	expect("{\"folder\": \"a\", \"uids\": [1, -1]}", PERR_INPUT, "uids",
	       "out_of_range");
	/* Too many messages at once is a limit, as MessageMove said. */
	expect("{\"folder\": \"a\", \"uids\": [1, 2, 3, 4]}", PERR_LIMIT,
	       "uids", "too_many");
	expect("{\"folder\": \"a\", \"ref\": {\"folder\": \"\", \"uid\": 1}}",
	       PERR_INPUT, "ref", "bad_type");
	/* An id that cannot be one is as unknown as one that is not there. */
	expect("{\"folder\": \"a\", \"id\": \"abc\"}", PERR_NOTFOUND, "id",
	       "bad_type");
}

static void
test_control_character_policy(void **state)
{
	(void)state;
	/* Header-like: CR or LF is header injection (its own API code). */
	expect("{\"folder\": \"a\", \"subject\": \"x\\r\\nBcc: e@x\"}",
	       PERR_INPUT, "subject", "control_character");
	assert_string_equal(out.code, "header_injection");
	expect("{\"folder\": \"a\", \"to\": [\"b@x\\nBcc: e@x\"]}", PERR_INPUT,
	       "to", "control_character");
	assert_string_equal(out.code, "header_injection");
	/* Names: no control character at all (tab aside). */
	expect("{\"folder\": \"a\\u0001\"}", PERR_INPUT, "folder",
	       "control_character");
	assert_null(out.code);
	/* Bodies: line breaks and tabs are text. */
	out.inspect = NULL;
	assert_int_equal(check(spec, "{\"folder\": \"a\\tb\", \"text\": "
	                             "\"line 1\\r\\nline 2\\t.\"}"),
	                 0);
}

static void
inspect_values(struct web_ctx *ctx)
{
	struct mail_strings to = web_arg_strings(ctx, "to");
	struct mail_ref ref = web_arg_ref(ctx, "ref");
	const uint32_t *uids;
	size_t n;

	assert_string_equal(web_arg_str(ctx, "folder"), "INBOX");
	assert_null(web_arg_str(ctx, "subject"));
	assert_true(web_arg_null(ctx, "subject"));
	assert_false(web_arg_given(ctx, "subject"));
	assert_int_equal(web_arg_uid(ctx, "uid"), 4294967295u);
	assert_int_equal(web_arg_int(ctx, "limit", 10), 10);
	assert_false(web_arg_null(ctx, "limit"));
	assert_true(web_arg_bool(ctx, "all"));
	assert_int_equal(to.n, 2);
	assert_string_equal(to.v[1], "b@x");
	uids = web_arg_uids(ctx, "uids", &n);
	assert_int_equal(n, 3);
	assert_int_equal(uids[2], 9);
	assert_string_equal(ref.folder, "Sent");
	assert_int_equal(ref.uid, 3);
	assert_int_equal(web_arg_int(ctx, "id", 0), 1000);
}

static void
test_values_read_back(void **state)
{
	(void)state;
	out.inspect = inspect_values;
	assert_int_equal(
	        check(spec, "{\"folder\": \"INBOX\", \"subject\": null, "
	                    "\"uid\": 4294967295, \"all\": true, "
	                    "\"to\": [\"a@x\", \"b@x\"], \"uids\": [1, 2, 9], "
	                    "\"ref\": {\"folder\": \"Sent\", \"uid\": 3}, "
	                    "\"id\": 1000, \"unknown\": [1]}"),
	        0);
	out.inspect = NULL;
}

static const struct web_arg exact[] = {
        ARG("theme", WEB_ARG_STRING, false, 0, 0, 0, WEB_CTL_LINE),
        {NULL, WEB_ARG_STRING, false, 0, 0, 0, WEB_CTL_TEXT, PERR_OK,
         WEB_BODY_EXACT}};

static void
test_exact_body(void **state)
{
	(void)state;
	assert_int_equal(check(exact, "{\"theme\": \"dark\"}"), 0);
	assert_int_equal(check(exact, "{\"theme\": \"dark\", \"colour\": 1}"),
	                 -1);
	assert_string_equal(out.reason, "unknown_argument");
	assert_string_equal(out.argument, "colour");
	assert_int_equal(check(exact, "[1, 2]"), -1);
	assert_string_equal(out.reason, "bad_type");
}

static int
group_setup(void **state)
{
	(void)state;
	A = arena_create("test", 64 * 1024, 0);
	return A != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	arena_destroy(&A);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_missing_required_argument),
	        cmocka_unit_test(test_types_lengths_and_ranges),
	        cmocka_unit_test(test_control_character_policy),
	        cmocka_unit_test(test_values_read_back),
	        cmocka_unit_test(test_exact_body),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
