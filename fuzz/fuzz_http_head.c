/*
 * Raw HTTP/1.1 request heads through http_head_parse() (the transport of
 * live's event server) and live_parse_request() on top of it. Oracles:
 * the head length never passes the input; a parsed request has a method,
 * a path that starts with '/', and NUL-free parameters whose lengths are
 * exact; a head that refused its request line has no request; live's
 * folder is clean UTF-8 of a bounded length.
 *
 * Input: the bytes of a head (the blank line is optional).
 */
#include <stdint.h>
#include <string.h>

#include "core/core.h"
#include "http/http.h"
#include "live/live.h"
#include "core/banned.h"

static void
check_params(const struct http_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(p[i].name.p) != p[i].name.len ||
		    strlen(p[i].value.p) != p[i].value.len)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct strv in = {(const char *)data, size};
	struct http_limits l;
	struct http_request req;
	struct live_request lr;
	struct perr err;

	if (a == NULL)
		a = arena_create("fuzz", 65536, 64U << 20);
	if (http_head_length(in) > size)
		__builtin_trap();
	http_limits_default(&l);
	perr_clear(&err);
	if (http_head_parse(in, &l, a, &req, &err) == 0) {
		if (req.method == NULL || req.path.p == NULL ||
		    req.path.len == 0 || req.path.p[0] != '/')
			__builtin_trap();
		check_params(req.query, req.n_query);
		check_params(req.cookies, req.n_cookies);
		check_params(req.headers, req.n_headers);
		if (req.body_kind != HTTP_BODY_NONE)
			__builtin_trap();
	} else if (err.kind != PERR_INPUT && err.kind != PERR_LIMIT) {
		__builtin_trap();
	}
	perr_clear(&err);
	if (live_parse_request(in, a, &lr, &err) == 0) {
		struct strv f = strv_from_cstr(lr.folder);

		if (f.len == 0 || f.len > LIVE_FOLDER_MAX ||
		    !codec_utf8_valid(f) || strv_has_ctl(f, false))
			__builtin_trap();
	}
	arena_reset(a);
	return 0;
}
