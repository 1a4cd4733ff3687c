/*
 * The streaming multipart parser, with boundary "XyZ": the first input
 * byte picks a split point, the parser is fed in two chunks and then one
 * byte at a time, and both runs must agree; then the body goes through
 * the whole request path.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "http/http.h"
#include "http/http_private.h"
#include "core/banned.h"

static int
begin(void *ctx, const struct http_mp_part *part, struct perr *err)
{
	struct sbuf *b = ctx;

	(void)err;
	sbuf_printf(b, "[B %s|%s|%s]", part->name.p,
	            part->filename.p != NULL ? part->filename.p : "-",
	            part->content_type.p);
	return 0;
}

static int
data_cb(void *ctx, const char *p, size_t n, struct perr *err)
{
	(void)err;
	if (n == 0)
		__builtin_trap();
	sbuf_append(ctx, p, n);
	return 0;
}

static int
end_cb(void *ctx, struct perr *err)
{
	(void)err;
	sbuf_append_cstr(ctx, "[E]");
	return 0;
}

static const struct http_mp_callbacks cb = {begin, data_cb, end_cb};

static int
run(const char *p, size_t n, size_t split, struct arena *a, struct sbuf *out)
{
	struct http_mp mp;
	struct perr err;
	size_t i;

	sbuf_init(out, a, 0, 0);
	if (http_mp_init(&mp, STRV_LIT("XyZ"), 16, &cb, out, a, &err) != 0)
		__builtin_trap();
	if (split == SIZE_MAX) {
		for (i = 0; i < n; i++)
			if (http_mp_feed(&mp, p + i, 1, &err) != 0)
				return -1;
	} else if (http_mp_feed(&mp, p, split, &err) != 0 ||
	           http_mp_feed(&mp, p + split, n - split, &err) != 0) {
		return -1;
	}
	return http_mp_finish(&mp, &err);
}

static void
noop(struct http_request *req, struct http_response *resp, void *ctx)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < req->n_form; i++)
		sbuf_append_strv(&resp->body, req->form[i].value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct http_limits l;
	struct sbuf o1, o2, out;
	const char *p;
	size_t n, split;
	int r1, r2;
	char cl[32];
	const char *env[] = {"REQUEST_METHOD=POST",
	                     "CONTENT_TYPE=multipart/form-data; boundary=XyZ",
	                     cl, NULL};

	if (size < 1)
		return 0;
	if (a == NULL)
		a = arena_create("fuzz", 65536, 64U << 20);
	p = (const char *)data + 1;
	n = size - 1;
	split = n == 0 ? 0 : data[0] % (n + 1);
	r1 = run(p, n, split, a, &o1);
	r2 = run(p, n, SIZE_MAX, a, &o2);
	/* Success must not depend on how the body was cut. */
	if (r1 != r2 || (r1 == 0 && !strv_eq(sbuf_view(&o1), sbuf_view(&o2))))
		__builtin_trap();

	if (!pt_snprintf_ok(cl, sizeof(cl), "CONTENT_LENGTH=%zu", n))
		return 0;
	http_limits_default(&l);
	l.spool_threshold = 64;
	l.max_params = 16;
	sbuf_init(&out, a, 0, 1U << 20);
	(void)http_handle_memory(env, (struct strv){p, n}, &l, noop, NULL, a,
	                         &out);
	arena_reset(a);
	return 0;
}
