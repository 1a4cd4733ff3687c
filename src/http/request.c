/*
 * The request line, query string, cookies and headers, from the CGI /
 * FastCGI parameters. Every list is counted before it is allocated, so a
 * request with a million '&' is refused before it costs memory.
 */
#include <string.h>

#include "http.h"
#include "http_private.h"
#include "core/banned.h"

void
http_limits_default(struct http_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->max_body = 64ULL << 20;
	l->max_file = 25ULL << 20;
	l->max_files_total = 64ULL << 20;
	l->max_form = 8ULL << 20;
	l->max_headers = 100;
	l->max_params = 1000;
	l->max_cookies = 50;
	l->spool_threshold = 256U << 10;
	l->spool_dir = "/tmp";
	l->arena_limit = 96U << 20;
	l->max_response = 32U << 20;
}

const char *
http_env_get(const char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env != NULL && *env != NULL; env++) {
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	}
	return NULL;
}

static struct strv
env_strv(const char *const *env, const char *name)
{
	const char *v = http_env_get(env, name);

	return v != NULL ? strv_from_cstr(v) : STRV_LIT("");
}

static size_t
count_char(struct strv s, char c)
{
	size_t i, n = 0;

	for (i = 0; i < s.len; i++)
		n += s.p[i] == c;
	return n;
}

int
http_parse_urlencoded(struct strv s, size_t max, struct arena *a,
                      struct http_param **list_r, size_t *n_r, struct perr *err)
{
	struct http_param *list;
	struct strv rest = s, seg, name, value;
	size_t n = 0, cap;

	*list_r = NULL;
	*n_r = 0;
	if (s.len == 0)
		return 0;
	cap = count_char(s, '&') + 1;
	/* Empty segments do not count, but cap bounds the real count. */
	if (cap > max) {
		size_t real = 0;

		while (rest.len > 0) {
			strv_split_once(rest, '&', &seg, &rest);
			real += seg.len > 0;
		}
		if (real > max)
			return perr_set(err, a, PERR_LIMIT,
			                "too many parameters (limit %zu)", max);
		rest = s;
		cap = real;
	}
	list = arena_new_array(a, struct http_param, cap);
	if (list == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	while (rest.len > 0) {
		strv_split_once(rest, '&', &seg, &rest);
		if (seg.len == 0)
			continue;
		/* "?admin_x": a bare key keeps its place with "" as value. */
		strv_split_once(seg, '=', &name, &value);
		PT_ASSERT(n < cap);
		if (codec_url_decode(name, true, a, &list[n].name) != 0 ||
		    codec_url_decode(value, true, a, &list[n].value) != 0) {
			if (arena_hit_limit(a))
				return perr_set(err, NULL, PERR_LIMIT,
				                "request too large");
			return perr_set(err, a, PERR_INPUT,
			                "invalid percent-escape in "
			                "parameter");
		}
		/* C code downstream reads these as strings: no hidden tail. */
		if (memchr(list[n].name.p, '\0', list[n].name.len) != NULL ||
		    memchr(list[n].value.p, '\0', list[n].value.len) != NULL)
			return perr_set(err, a, PERR_INPUT,
			                "NUL byte in parameter");
		n++;
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

static bool
is_cookie_space(char c)
{
	return c == ' ' || c == '\t';
}

int
http_parse_cookies(struct strv s, size_t max, struct arena *a,
                   struct http_param **list_r, size_t *n_r, struct perr *err)
{
	struct http_param *list;
	struct strv rest = s, seg, name, value;
	size_t n = 0, cap;

	*list_r = NULL;
	*n_r = 0;
	if (s.len == 0)
		return 0;
	cap = count_char(s, ';') + 1;
	if (cap > max) {
		size_t real = 0;

		while (rest.len > 0) {
			strv_split_once(rest, ';', &seg, &rest);
			real += strv_find_char(seg, '=') > 0;
		}
		if (real > max)
			return perr_set(err, a, PERR_LIMIT,
			                "too many cookies (limit %zu)", max);
		rest = s;
		cap = real == 0 ? 1 : real;
	}
	list = arena_new_array(a, struct http_param, cap);
	if (list == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	while (rest.len > 0) {
		strv_split_once(rest, ';', &seg, &rest);
		/*
		 * RFC 6265 §5.2: a pair without '=' or with an empty name is
		 * ignored (browsers send a nameless cookie as its bare value).
		 * Values are opaque: no %-decoding; one pair of DQUOTEs is
		 * part of the cookie-value syntax and removed.
		 */
		if (!strv_split_once(seg, '=', &name, &value))
			continue;
		while (name.len > 0 && is_cookie_space(name.p[0])) {
			name.p++;
			name.len--;
		}
		while (name.len > 0 && is_cookie_space(name.p[name.len - 1]))
			name.len--;
		value = strv_trim(value);
		if (name.len == 0)
			continue;
		if (value.len >= 2 && value.p[0] == '"' &&
		    value.p[value.len - 1] == '"') {
			value.p++;
			value.len -= 2;
		}
		if (n == cap)
			break;
		list[n].name.p = strv_dup(a, name);
		list[n].value.p = strv_dup(a, value);
		if (list[n].name.p == NULL || list[n].value.p == NULL)
			return perr_set(err, NULL, PERR_LIMIT,
			                "request too large");
		list[n].name.len = name.len;
		list[n].value.len = value.len;
		n++;
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

static bool
is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

struct strv
http_media_type(struct strv content_type)
{
	struct strv type, rest;

	strv_split_once(content_type, ';', &type, &rest);
	return strv_trim(type);
}

/*
 * Find parameter name in "type/sub; a=b; name="quoted \" value"". The
 * value is unquoted into the arena (quoted-pair: backslash escapes the
 * next character).
 */
bool
http_header_param(struct strv header, const char *name, struct arena *a,
                  struct strv *value_r)
{
	struct strv want = strv_from_cstr(name);
	size_t i = 0, n = header.len;
	const char *p = header.p;
	ptrdiff_t semi;

	semi = strv_find_char(header, ';');
	if (semi < 0)
		return false;
	i = (size_t)semi + 1;
	while (i < n) {
		size_t ns, ne, vs;
		bool match;

		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ';'))
			i++;
		ns = i;
		while (i < n && is_tchar(p[i]))
			i++;
		ne = i;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i >= n || p[i] != '=') {
			/* Not a parameter: skip to the next ';'. */
			while (i < n && p[i] != ';')
				i++;
			continue;
		}
		i++;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		match = strv_eq_ci_ascii((struct strv){p + ns, ne - ns},
		                         want) &&
		        ne > ns;
		if (i < n && p[i] == '"') {
			char *out = NULL;
			size_t o = 0;

			i++;
			vs = i;
			if (match) {
				out = arena_alloc(a, n - vs + 1);
				if (out == NULL)
					return false;
			}
			while (i < n && p[i] != '"') {
				if (p[i] == '\\' && i + 1 < n &&
				    (p[i + 1] == '"' || p[i + 1] == '\\'))
					i++;
				if (out != NULL)
					out[o++] = p[i];
				i++;
			}
			if (i >= n)
				return false; /* unterminated quote */
			i++;
			if (match) {
				out[o] = '\0';
				value_r->p = out;
				value_r->len = o;
				return true;
			}
		} else {
			vs = i;
			while (i < n && p[i] != ';' && p[i] != ' ' &&
			       p[i] != '\t')
				i++;
			if (match) {
				value_r->p = arena_strndup(a, p + vs, i - vs);
				if (value_r->p == NULL)
					return false;
				value_r->len = i - vs;
				return true;
			}
		}
		while (i < n && p[i] != ';')
			i++;
	}
	return false;
}

static int
parse_headers(struct http_request *req, struct perr *err)
{
	const char *const *e;
	size_t n = 0, cap = 0, nhttp = 0;
	struct http_param *list;

	/* Count exactly what the loop below adds: env may repeat a name. */
	for (e = req->env; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "HTTP_", 5) == 0)
			nhttp++;
		else if (strncmp(*e, "CONTENT_TYPE=", 13) == 0 ||
		         strncmp(*e, "CONTENT_LENGTH=", 15) == 0)
			cap++;
	}
	if (nhttp > req->limits->max_headers)
		return perr_set(err, req->arena, PERR_LIMIT,
		                "too many request headers (limit %zu)",
		                req->limits->max_headers);
	cap += nhttp;
	list = arena_new_array(req->arena, struct http_param, cap);
	if (list == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	for (e = req->env; e != NULL && *e != NULL; e++) {
		const char *kv = *e, *eq;
		size_t skip, i;
		char *name;

		if (strncmp(kv, "HTTP_", 5) == 0)
			skip = 5;
		else if (strncmp(kv, "CONTENT_TYPE=", 13) == 0 ||
		         strncmp(kv, "CONTENT_LENGTH=", 15) == 0)
			skip = 0;
		else
			continue;
		eq = strchr(kv, '=');
		if (eq == NULL || (size_t)(eq - kv) <= skip)
			continue;
		name = arena_strndup(req->arena, kv + skip,
		                     (size_t)(eq - kv) - skip);
		if (name == NULL)
			return perr_set(err, NULL, PERR_LIMIT,
			                "request too large");
		/* HTTP_X_PETREL_TOKEN -> x-petrel-token */
		for (i = 0; name[i] != '\0'; i++)
			name[i] = name[i] == '_' ? '-'
			                         : pt_ascii_tolower(name[i]);
		PT_ASSERT(n < cap);
		list[n].name.p = name;
		list[n].name.len = (size_t)(eq - kv) - skip;
		list[n].value = strv_from_cstr(eq + 1);
		n++;
	}
	req->headers = list;
	req->n_headers = n;
	return 0;
}

static int
parse_path(struct http_request *req, struct perr *err)
{
	struct strv uri, path, q;
	const char *s;

	/*
	 * REQUEST_URI is the raw target as the client sent it, so decoding
	 * it once is exact. DOCUMENT_URI is nginx's already-decoded (and
	 * possibly rewritten) path: decoding it again would turn "%2541"
	 * into "A", so it is only the fallback, taken as it is.
	 */
	s = http_env_get(req->env, "REQUEST_URI");
	if (s != NULL && s[0] != '\0') {
		uri = strv_from_cstr(s);
		strv_split_once(uri, '?', &path, &q);
		if (codec_url_decode(path, false, req->arena, &req->path) !=
		    0) {
			if (arena_hit_limit(req->arena))
				return perr_set(err, NULL, PERR_LIMIT,
				                "request too large");
			return perr_set(err, req->arena, PERR_INPUT,
			                "invalid percent-escape in path");
		}
	} else if ((s = http_env_get(req->env, "DOCUMENT_URI")) != NULL) {
		req->path = strv_from_cstr(s);
	} else {
		/* Plain CGI: SCRIPT_NAME + PATH_INFO. */
		req->path.p = arena_printf(req->arena, "%s%s",
		                           env_strv(req->env, "SCRIPT_NAME").p,
		                           env_strv(req->env, "PATH_INFO").p);
		if (req->path.p == NULL)
			return perr_set(err, NULL, PERR_LIMIT,
			                "request too large");
		req->path.len = strlen(req->path.p);
	}
	if (memchr(req->path.p, '\0', req->path.len) != NULL) {
		req->path = STRV_LIT("");
		return perr_set(err, req->arena, PERR_INPUT,
		                "NUL byte in path");
	}
	if (req->path.len == 0)
		req->path = STRV_LIT("/");
	if (req->path.p[0] != '/')
		return perr_set(err, req->arena, PERR_INPUT,
		                "path must start with '/'");
	return 0;
}

static int
parse_method(struct http_request *req, struct perr *err)
{
	const char *m = http_env_get(req->env, "REQUEST_METHOD");
	size_t i;

	if (m == NULL || m[0] == '\0')
		m = "GET";
	for (i = 0; m[i] != '\0'; i++) {
		if (!is_tchar(m[i]) || i >= 32)
			return perr_set(err, req->arena, PERR_INPUT,
			                "invalid request method");
	}
	req->method = m;
	return 0;
}

static bool
value_is(const char *v, const char *want)
{
	return v != NULL &&
	       strv_eq_ci_ascii(strv_from_cstr(v), strv_from_cstr(want));
}

/*
 * Ask the handler's hook what this route takes before the body is read,
 * so a route that takes no body, or a request nobody may send, never
 * costs the disk or memory of its body.
 */
static int
check_body(struct http_request *req, struct http_io *io,
           const struct http_limits *l, struct perr *err)
{
	uint64_t max = l->max_body;

	if (l->body_check(req, l->body_check_ctx, &max, err) != 0) {
		io->unread_body = true;
		if (err->kind == PERR_OK)
			perr_set(err, req->arena, PERR_INPUT,
			         "request body refused");
		return -1;
	}
	if (req->content_length > max) {
		io->unread_body = true;
		if (max == 0)
			return perr_set(err, req->arena, PERR_LIMIT,
			                "this request takes no body");
		return perr_set(err, req->arena, PERR_LIMIT,
		                "request body too large for this request "
		                "(limit %llu bytes)",
		                (unsigned long long)max);
	}
	return 0;
}

void
http_request_parse(struct http_request *req, const char *const *env,
                   struct http_io *io, const struct http_limits *l,
                   struct arena *a)
{
	struct perr *err = &req->parse_error;
	const char *s;

	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->limits = l;
	req->env = env;
	req->id = pt_random_hex(a, 8);
	if (req->id == NULL)
		req->id = "0000000000000000";
	req->method = "GET";
	req->path = STRV_LIT("/");
	req->query_string = STRV_LIT("");
	perr_clear(err);

	req->remote_addr = env_strv(env, "REMOTE_ADDR").p;
	req->https = value_is(http_env_get(env, "HTTPS"), "on") ||
	             value_is(http_env_get(env, "HTTPS"), "1") ||
	             value_is(http_env_get(env, "REQUEST_SCHEME"), "https");
	req->host = env_strv(env, "HTTP_HOST");
	if (req->host.len == 0)
		req->host = env_strv(env, "SERVER_NAME");
	req->content_type = env_strv(env, "CONTENT_TYPE");
	req->query_string = env_strv(env, "QUERY_STRING");

	if (parse_method(req, err) != 0 || parse_path(req, err) != 0 ||
	    parse_headers(req, err) != 0)
		return;
	if (http_parse_urlencoded(req->query_string, l->max_params, a,
	                          &req->query, &req->n_query, err) != 0)
		return;
	if (http_parse_cookies(env_strv(env, "HTTP_COOKIE"), l->max_cookies, a,
	                       &req->cookies, &req->n_cookies, err) != 0)
		return;
	s = http_env_get(env, "CONTENT_LENGTH");
	if (s != NULL && s[0] != '\0' &&
	    !pt_parse_u64(strv_from_cstr(s), UINT64_MAX,
	                  &req->content_length)) {
		perr_set(err, a, PERR_INPUT, "invalid Content-Length");
		return;
	}
	if (req->content_length > l->max_body) {
		/* Refused before a byte of the body is read. */
		io->unread_body = true;
		perr_set(err, a, PERR_LIMIT,
		         "request body too large (limit %llu bytes)",
		         (unsigned long long)l->max_body);
		return;
	}
	if (req->content_length > 0 && l->body_check != NULL &&
	    check_body(req, io, l, err) != 0)
		return;
	http_body_parse(req, io);
}

static bool
find_param(const struct http_param *list, size_t n, struct strv name,
           struct strv *value_r)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strv_eq(list[i].name, name)) {
			*value_r = list[i].value;
			return true;
		}
	}
	return false;
}

bool
http_request_query(const struct http_request *req, const char *name,
                   struct strv *value_r)
{
	return find_param(req->query, req->n_query, strv_from_cstr(name),
	                  value_r);
}

bool
http_request_form(const struct http_request *req, const char *name,
                  struct strv *value_r)
{
	return find_param(req->form, req->n_form, strv_from_cstr(name),
	                  value_r);
}

bool
http_request_cookie(const struct http_request *req, const char *name,
                    struct strv *value_r)
{
	return find_param(req->cookies, req->n_cookies, strv_from_cstr(name),
	                  value_r);
}

static bool
header_name_eq(struct strv stored, struct strv want)
{
	size_t i;

	if (stored.len != want.len)
		return false;
	for (i = 0; i < want.len; i++) {
		char c = want.p[i] == '_' ? '-' : pt_ascii_tolower(want.p[i]);

		if (stored.p[i] != c)
			return false;
	}
	return true;
}

bool
http_request_header(const struct http_request *req, const char *name,
                    struct strv *value_r)
{
	struct strv want = strv_from_cstr(name);
	size_t i;

	for (i = 0; i < req->n_headers; i++) {
		if (header_name_eq(req->headers[i].name, want)) {
			*value_r = req->headers[i].value;
			return true;
		}
	}
	return false;
}

struct strv
http_request_first_query_key(const struct http_request *req)
{
	return req->n_query > 0 ? req->query[0].name : STRV_NULL;
}

struct json_t *
http_request_json(const struct http_request *req)
{
	return req->json;
}

const struct http_upload *
http_request_uploads(const struct http_request *req, size_t *n_r)
{
	*n_r = req->n_uploads;
	return req->uploads;
}
