#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "http/http.h"
#include "http/http_private.h"

/* ---- the parser alone: events as a string ---------------------------- */

struct events {
	struct sbuf s;
};

static int
ev_begin(void *ctx, const struct http_mp_part *part, struct perr *err)
{
	struct events *e = ctx;

	(void)err;
	sbuf_printf(&e->s, "B(%.*s|%s%.*s|%.*s)", (int)part->name.len,
	            part->name.p, part->filename.p == NULL ? "-" : "",
	            (int)part->filename.len,
	            part->filename.p == NULL ? "" : part->filename.p,
	            (int)part->content_type.len, part->content_type.p);
	return 0;
}

static int
ev_data(void *ctx, const char *p, size_t n, struct perr *err)
{
	struct events *e = ctx;

	(void)err;
	assert_true(n > 0);
	sbuf_append(&e->s, p, n);
	return 0;
}

static int
ev_end(void *ctx, struct perr *err)
{
	struct events *e = ctx;

	(void)err;
	sbuf_append_cstr(&e->s, "E");
	return 0;
}

static const struct http_mp_callbacks ev_cb = {ev_begin, ev_data, ev_end};

/*
 * Feed body in pieces cut at the given points; returns 0 or -1 and the
 * event string in *out (arena).
 */
static int
parse_split(struct strv boundary, struct strv body, const size_t *cuts,
            size_t ncuts, struct arena *a, const char **out)
{
	struct http_mp mp;
	struct events e;
	struct perr err;
	size_t i, prev = 0;
	int rc = 0;

	sbuf_init(&e.s, a, 0, 0);
	if (http_mp_init(&mp, boundary, 100, &ev_cb, &e, a, &err) != 0)
		return -1;
	for (i = 0; i <= ncuts && rc == 0; i++) {
		size_t end = i < ncuts ? cuts[i] : body.len;

		rc = http_mp_feed(&mp, body.p + prev, end - prev, &err);
		prev = end;
	}
	if (rc == 0)
		rc = http_mp_finish(&mp, &err);
	*out = sbuf_cstr(&e.s);
	return rc;
}

static const char body1[] = "--XyZ\r\n"
                            "Content-Disposition: form-data; name=\"a\"\r\n"
                            "\r\n"
                            "hello\r\n"
                            "--XyZ\r\n"
                            "content-disposition: form-data; name=\"f\"; "
                            "filename=\"C:\\dir\\x \\\"q\\\".txt\"\r\n"
                            "Content-Type: text/plain\r\n"
                            "\r\n"
                            "line1\r\n--XyNOT\r\r\n-\r\n--Xy\r\r\n--XyZ\r\n"
                            "Content-Disposition: form-data; name=\"empty\"\r\n"
                            "\r\n"
                            "\r\n"
                            "--XyZ--\r\n";
static const char want1[] = "B(a|-|)helloE"
                            "B(f|C:\\dir\\x \"q\".txt|text/plain)"
                            "line1\r\n--XyNOT\r\r\n-\r\n--Xy\rE"
                            "B(empty|-|)E";

static const char body2[] = "this is a preamble\r\n--XyZ \t \r\n"
                            "Content-Disposition: form-data;\r\n name=e\r\n\r\n"
                            "x\r\n--XyZ-- epilogue --XyZ garbage";
static const char want2[] = "B(e|-|)xE";

static void
check_every_split(const char *body, const char *want)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct strv b = strv_from_cstr(body);
	const char *out;
	size_t i, j, *cuts;

	/* whole */
	assert_int_equal(parse_split(STRV_LIT("XyZ"), b, NULL, 0, a, &out), 0);
	assert_string_equal(out, want);
	/* one byte at a time */
	cuts = calloc(b.len, sizeof(*cuts));
	for (i = 0; i < b.len; i++)
		cuts[i] = i;
	assert_int_equal(parse_split(STRV_LIT("XyZ"), b, cuts, b.len, a, &out),
	                 0);
	assert_string_equal(out, want);
	free(cuts);
	/* every pair of split points */
	for (i = 0; i <= b.len; i++) {
		for (j = i; j <= b.len; j++) {
			size_t two[2] = {i, j};

			arena_reset(a);
			if (parse_split(STRV_LIT("XyZ"), b, two, 2, a, &out) !=
			            0 ||
			    strcmp(out, want) != 0)
				fail_msg("split at %zu,%zu: %s", i, j, out);
		}
	}
	arena_destroy(&a);
}

static void
test_multipart_parser_at_every_split_point(void **state)
{
	(void)state;
	check_every_split(body1, want1);
	check_every_split(body2, want2);
}

static void
test_multipart_parser_rejects_bad_boundaries(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct http_mp mp;
	struct perr err;
	char b71[72], b70[71];

	(void)state;
	memset(b71, 'a', 71);
	b71[71] = '\0';
	memset(b70, 'a', 70);
	b70[70] = '\0';
	assert_int_equal(http_mp_init(&mp, strv_from_cstr(b71), 10, &ev_cb,
	                              NULL, a, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_non_null(strstr(err.msg, "70"));
	assert_int_equal(http_mp_init(&mp, strv_from_cstr(b70), 10, &ev_cb,
	                              NULL, a, &err),
	                 0);
	assert_int_equal(
	        http_mp_init(&mp, STRV_LIT(""), 10, &ev_cb, NULL, a, &err), -1);
	assert_int_equal(
	        http_mp_init(&mp, STRV_LIT("a\rb"), 10, &ev_cb, NULL, a, &err),
	        -1);
	assert_int_equal(
	        http_mp_init(&mp, STRV_LIT("ab "), 10, &ev_cb, NULL, a, &err),
	        -1);
	assert_int_equal(
	        http_mp_init(&mp, STRV_LIT("a\"b"), 10, &ev_cb, NULL, a, &err),
	        -1);
	arena_destroy(&a);
}

/* ---- through the whole request --------------------------------------- */

struct split_io {
	struct strv body;
	size_t off, first, step;
	int reads;
	struct sbuf *out;
};

static ssize_t
split_read(void *ctx, void *buf, size_t n)
{
	struct split_io *s = ctx;
	size_t want = s->reads++ == 0 ? s->first : s->step;

	/* 0 would mean the end of the body */
	if (want == 0)
		want = s->step;
	size_t left = s->body.len - s->off;

	if (n > want)
		n = want;
	if (n > left)
		n = left;
	memcpy(buf, s->body.p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static int
split_write(void *ctx, const void *p, size_t n)
{
	struct split_io *s = ctx;

	sbuf_append(s->out, p, n);
	return 0;
}

struct seen {
	struct http_request *req;
	char path0[256];
	bool file_existed;
	struct sbuf summary;
};

static void
summarize_handler(struct http_request *req, struct http_response *resp,
                  void *ctx)
{
	struct seen *s = ctx;
	size_t i, n;
	const struct http_upload *up = http_request_uploads(req, &n);

	(void)resp;
	s->req = req;
	sbuf_reset(&s->summary);
	sbuf_printf(&s->summary, "err=%d;", req->parse_error.kind);
	for (i = 0; i < req->n_form; i++)
		sbuf_printf(&s->summary, "F[%s=%s]", req->form[i].name.p,
		            req->form[i].value.p);
	for (i = 0; i < n; i++) {
		sbuf_printf(&s->summary, "U[%s|%s|%s|%llu|", up[i].field.p,
		            up[i].filename.p == NULL ? "-" : up[i].filename.p,
		            up[i].content_type.p,
		            (unsigned long long)up[i].size);
		if (up[i].path != NULL) {
			FILE *fp = fopen(up[i].path, "rb");
			char buf[4096];
			size_t got;

			assert_non_null(fp);
			got = fread(buf, 1, sizeof(buf), fp);
			fclose(fp);
			sbuf_append(&s->summary, buf, got);
			sbuf_append_cstr(&s->summary, "|file]");
			if (i == 0) {
				assert_true(pt_strlcpy(s->path0, up[i].path,
				                       sizeof(s->path0)));
				s->file_existed = true;
			}
		} else {
			sbuf_append_strv(&s->summary, up[i].data);
			sbuf_append_cstr(&s->summary, "|mem]");
		}
	}
}

static const char *
run_mp(struct http_limits *l, const char *ctype, struct strv body, size_t first,
       size_t step, struct arena *a, struct seen *s, struct sbuf *out)
{
	char cl[64], ct[256];
	const char *env[] = {"REQUEST_METHOD=POST", cl, ct, NULL};
	struct split_io sio = {body, 0, first, step, 0, out};
	struct http_io io = {split_read, split_write, &sio, false};

	assert_true(
	        pt_snprintf_ok(cl, sizeof(cl), "CONTENT_LENGTH=%zu", body.len));
	assert_true(pt_snprintf_ok(ct, sizeof(ct), "CONTENT_TYPE=%s", ctype));
	sbuf_reset(out);
	assert_int_equal(http_run(env, &io, l, summarize_handler, s, a), 0);
	return sbuf_cstr(&s->summary);
}

static const char upload_body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"to\"\r\n\r\n"
        "a@example.org\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"att\"; "
        "filename=\"r\xc3\xa9.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "0123456789abcdefghij\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"att\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
        "\r\n--XyZ--\r\n";

static void
test_multipart_request_at_every_split_and_spooled(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct http_limits l;
	struct seen s;
	struct sbuf out;
	struct strv body = strv_from_cstr(upload_body);
	char dir[] = "/tmp/petrel-test-XXXXXX";
	const char *want_mem =
	        "err=0;F[to=a@example.org]"
	        "U[att|r\xc3\xa9.txt|text/plain|20|0123456789abcdefghij|mem]"
	        "U[att||application/octet-stream|0||mem]";
	const char *want_file =
	        "err=0;F[to=a@example.org]"
	        "U[att|r\xc3\xa9.txt|text/plain|20|0123456789abcdefghij|file]"
	        "U[att||application/octet-stream|0||mem]";
	const char *ct = "multipart/form-data; boundary=XyZ";
	size_t k;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&s, 0, sizeof(s));
	sbuf_init(&s.summary, NULL, 0, 0);
	sbuf_init(&out, NULL, 0, 0);
	http_limits_default(&l);
	l.spool_dir = dir;

	assert_string_equal(run_mp(&l, ct, body, 1, 1, a, &s, &out), want_mem);
	arena_reset(a);
	for (k = 0; k <= body.len; k++) {
		const char *got = run_mp(&l, ct, body, k, 1 << 20, a, &s, &out);

		if (strcmp(got, want_mem) != 0)
			fail_msg("split %zu: %s", k, got);
		arena_reset(a);
	}
	/* Above the threshold the file goes to disk, at any split too. */
	l.spool_threshold = 7;
	for (k = 0; k <= body.len; k += 7) {
		const char *got = run_mp(&l, ct, body, k, 3, a, &s, &out);

		if (strcmp(got, want_file) != 0)
			fail_msg("spooled split %zu: %s", k, got);
		assert_true(s.file_existed);
		assert_int_equal(access(s.path0, F_OK), 0);
		arena_reset(a);
		/* cleanup after reset */
		assert_int_not_equal(access(s.path0, F_OK), 0);
	}
	assert_int_equal(rmdir(dir), 0); /* nothing left behind */
	sbuf_free(&s.summary);
	sbuf_free(&out);
	arena_destroy(&a);
}

static void
test_multipart_malformed_is_400(void **state)
{
	static const struct {
		const char *ctype, *body;
	} cases[] = {
	        {"multipart/form-data", "--XyZ--\r\n"},
	        {"multipart/form-data; boundary=", "--XyZ--\r\n"},
	        {"multipart/form-data; boundary=\"unterminated", "--XyZ--"},
	        {"multipart/form-data; "
	         "boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	         "--XyZ--\r\n"},
	        {"multipart/form-data; boundary=a@b", "--a@b--\r\n"},
	        {NULL, ""},
	        {NULL, "no boundary at all"},
	        {NULL, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
	               "\r\nhel"},
	        {NULL, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
	               "\r\nhello\r\n--XyZ\r\n"},
	        {NULL, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
	               "\r\nhello\r\n--XyZ"},
	        {NULL, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
	               "\r\nhello\r\n--XyZ-"},
	        {NULL, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n"
	               "--XyZ--\r\n"},
	        {NULL, "--XyZ\r\n\r\nx\r\n--XyZ--\r\n"},
	        {NULL, "--XyZ\r\nContent-Disposition form-data\r\n\r\nx\r\n"
	               "--XyZ--\r\n"},
	        {NULL, "--XyZ\r\nContent-Disposition: attachment; name=a\r\n"
	               "\r\nx\r\n--XyZ--\r\n"},
	        {NULL, "--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
	               "--XyZ--\r\n"},
	        {NULL, "--XyZx\r\nContent-Disposition: form-data; name=a\r\n"
	               "\r\nx\r\n--XyZ--\r\n"},
	        {NULL, "--XyZ\nContent-Disposition: form-data; name=a\n\nx\n"
	               "--XyZ--\n"},
	        {NULL, "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
	               "Content-Disposition: form-data; name=b\r\n\r\nx\r\n"
	               "--XyZ--\r\n"},
	        {NULL, "--XyZ\r\nContent-Disposition: form-data; name=a\r"
	               "\r\nx\r\n--XyZ--\r\n"},
	};
	struct arena *a = arena_create("t", 4096, 0);
	struct http_limits l;
	struct seen s;
	struct sbuf out;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	sbuf_init(&s.summary, NULL, 0, 0);
	sbuf_init(&out, NULL, 0, 0);
	http_limits_default(&l);
	for (i = 0; i < PT_NELEM(cases); i++) {
		const char *ct = cases[i].ctype != NULL
		                         ? cases[i].ctype
		                         : "multipart/form-data; boundary=XyZ";
		const char *got = run_mp(&l, ct, strv_from_cstr(cases[i].body),
		                         1 << 20, 1 << 20, a, &s, &out);

		if (strcmp(got, "err=1;") != 0)
			fail_msg("case %zu: %s", i, got);
		if (strncmp(sbuf_cstr(&out), "Status: 400 ", 12) != 0)
			fail_msg("case %zu: %s", i, sbuf_cstr(&out));
		assert_non_null(strstr(sbuf_cstr(&out), "multipart"));
		arena_reset(a);
	}
	sbuf_free(&s.summary);
	sbuf_free(&out);
	arena_destroy(&a);
}

static void
test_multipart_header_block_too_long_is_400(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct http_limits l;
	struct seen s;
	struct sbuf out, body;

	(void)state;
	memset(&s, 0, sizeof(s));
	sbuf_init(&s.summary, NULL, 0, 0);
	sbuf_init(&out, NULL, 0, 0);
	sbuf_init(&body, NULL, 0, 0);
	http_limits_default(&l);
	sbuf_append_cstr(&body, "--XyZ\r\nContent-Disposition: form-data; "
	                        "name=a\r\nX-Long: ");
	for (int i = 0; i < 9000; i++)
		sbuf_append_char(&body, 'x');
	sbuf_append_cstr(&body, "\r\n\r\nx\r\n--XyZ--\r\n");
	assert_string_equal(run_mp(&l, "multipart/form-data; boundary=XyZ",
	                           sbuf_view(&body), 1 << 20, 1 << 20, a, &s,
	                           &out),
	                    "err=1;");
	sbuf_free(&body);
	sbuf_free(&s.summary);
	sbuf_free(&out);
	arena_destroy(&a);
}

static void
test_multipart_nul_in_text_field_is_400(void **state)
{
	static const char body[] = "--XyZ\r\nContent-Disposition: form-data; "
	                           "name=a\r\n\r\nnul\0inside\r\n--XyZ--\r\n";
	struct arena *a = arena_create("t", 4096, 0);
	struct http_limits l;
	struct seen s;
	struct sbuf out;

	(void)state;
	memset(&s, 0, sizeof(s));
	sbuf_init(&s.summary, NULL, 0, 0);
	sbuf_init(&out, NULL, 0, 0);
	http_limits_default(&l);
	assert_string_equal(run_mp(&l, "multipart/form-data; boundary=XyZ",
	                           (struct strv){body, sizeof(body) - 1},
	                           1 << 20, 1 << 20, a, &s, &out),
	                    "err=1;");
	sbuf_free(&s.summary);
	sbuf_free(&out);
	arena_destroy(&a);
}

static void
test_multipart_limits_are_413(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct http_limits l;
	struct seen s;
	struct sbuf out;
	const char *ct = "multipart/form-data; boundary=XyZ";
	struct strv body = strv_from_cstr(upload_body);

	(void)state;
	memset(&s, 0, sizeof(s));
	sbuf_init(&s.summary, NULL, 0, 0);
	sbuf_init(&out, NULL, 0, 0);

	http_limits_default(&l);
	l.max_file = 19; /* the file has 20 bytes */
	assert_string_equal(run_mp(&l, ct, body, 5, 5, a, &s, &out), "err=7;");
	assert_non_null(strstr(sbuf_cstr(&out), "Status: 413 "));
	assert_non_null(strstr(sbuf_cstr(&out), "file too large"));
	arena_reset(a);

	http_limits_default(&l);
	l.max_file = 20;
	assert_string_equal(run_mp(&l, ct, body, 5, 5, a, &s, &out),
	                    "err=0;F[to=a@example.org]"
	                    "U[att|r\xc3\xa9.txt|text/plain|20|"
	                    "0123456789abcdefghij|mem]"
	                    "U[att||application/octet-stream|0||mem]");
	arena_reset(a);

	http_limits_default(&l);
	l.max_files_total = 10;
	assert_string_equal(run_mp(&l, ct, body, 5, 5, a, &s, &out), "err=7;");
	arena_reset(a);

	http_limits_default(&l);
	l.max_params = 2; /* three parts */
	assert_string_equal(run_mp(&l, ct, body, 5, 5, a, &s, &out), "err=7;");
	arena_reset(a);

	http_limits_default(&l);
	l.max_form = 5; /* the text field has 13 bytes */
	assert_string_equal(run_mp(&l, ct, body, 5, 5, a, &s, &out), "err=7;");
	arena_reset(a);

	sbuf_free(&s.summary);
	sbuf_free(&out);
	arena_destroy(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_multipart_parser_at_every_split_point),
	        cmocka_unit_test(test_multipart_parser_rejects_bad_boundaries),
	        cmocka_unit_test(
	                test_multipart_request_at_every_split_and_spooled),
	        cmocka_unit_test(test_multipart_malformed_is_400),
	        cmocka_unit_test(test_multipart_header_block_too_long_is_400),
	        cmocka_unit_test(test_multipart_limits_are_413),
	        cmocka_unit_test(test_multipart_nul_in_text_field_is_400),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
