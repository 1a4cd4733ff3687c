/*
 * The second transport of the request parser: a raw HTTP/1.1 request head
 * read from a socket (live's event server behind nginx's proxy_pass)
 * instead of FastCGI parameters. The head is checked against the
 * HTTP/1.1 grammar here and turned into the CGI parameters FastCGI would
 * have given (REQUEST_METHOD, REQUEST_URI, QUERY_STRING, HTTP_*), so the
 * path, query, cookies and headers come out of http_request_parse(): one
 * parser, one set of rules and limits, for both servers.
 */
#include <string.h>

#include "http.h"
#include "http_private.h"
#include "core/banned.h"

size_t
http_head_length(struct strv buf)
{
	size_t i;

	for (i = 0; i < buf.len; i++) {
		if (buf.p[i] != '\n')
			continue;
		if (i + 1 < buf.len && buf.p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < buf.len && buf.p[i + 1] == '\r' &&
		    buf.p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Next line of s (without CR LF / LF); false at the end. */
static bool
next_line(struct strv *s, struct strv *line_r)
{
	ptrdiff_t nl;

	if (s->len == 0)
		return false;
	nl = strv_find_char(*s, '\n');
	if (nl < 0) {
		*line_r = *s;
		s->p += s->len;
		s->len = 0;
	} else {
		line_r->p = s->p;
		line_r->len = (size_t)nl;
		s->p += nl + 1;
		s->len -= (size_t)nl + 1;
	}
	if (line_r->len > 0 && line_r->p[line_r->len - 1] == '\r')
		line_r->len--;
	return true;
}

static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* One header as a CGI parameter name: "X-Petrel-Token" -> HTTP_X_PETREL_TOKEN.
 */
static char *
cgi_name(struct strv name, struct arena *a)
{
	char *s = arena_alloc(a, name.len + 6);
	size_t i;

	if (s == NULL)
		return NULL;
	memcpy(s, "HTTP_", 5);
	for (i = 0; i < name.len; i++) {
		char c = name.p[i];

		s[5 + i] = c == '-'               ? '_'
		           : c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A')
		                                  : c;
	}
	s[5 + name.len] = '\0';
	return s;
}

struct env_builder {
	const char **v; /* "NAME=value", NULL-terminated */
	size_t n, cap;
	struct arena *a;
};

static int
env_add(struct env_builder *e, const char *name, struct strv value)
{
	PT_ASSERT(e->n + 1 < e->cap);
	e->v[e->n] =
	        arena_printf(e->a, "%s=%.*s", name, (int)value.len, value.p);
	if (e->v[e->n] == NULL)
		return -1;
	e->n++;
	e->v[e->n] = NULL;
	return 0;
}

struct hdr {
	char *name;        /* HTTP_X_NAME */
	struct strv value; /* trimmed */
	bool done;         /* joined into an earlier one */
};

/*
 * A header sent twice is one parameter, its values joined with ", "
 * (RFC 9110 5.3), or "; " for Cookie (as nginx joins HTTP/2's cookie
 * crumbs), so every Cookie header is read. One pass per distinct name.
 */
static int
env_add_joined(struct env_builder *e, struct hdr *h, size_t n)
{
	struct sbuf b;
	size_t i, j;

	for (i = 0; i < n; i++) {
		const char *sep;

		if (h[i].done)
			continue;
		sep = strcmp(h[i].name, "HTTP_COOKIE") == 0 ? "; " : ", ";
		sbuf_init(&b, e->a, h[i].value.len + 1, 0);
		sbuf_append_strv(&b, h[i].value);
		for (j = i + 1; j < n; j++) {
			if (h[j].done || strcmp(h[j].name, h[i].name) != 0)
				continue;
			sbuf_append_cstr(&b, sep);
			sbuf_append_strv(&b, h[j].value);
			h[j].done = true;
		}
		if (!sbuf_ok(&b) || env_add(e, h[i].name, sbuf_view(&b)) != 0)
			return -1;
	}
	return 0;
}

/* Count the lines of the head: an upper bound of the headers. */
static size_t
count_lines(struct strv s)
{
	size_t i, n = 1;

	for (i = 0; i < s.len; i++)
		n += s.p[i] == '\n';
	return n;
}

/*
 * The header lines into e. A line that breaks the grammar is remembered
 * in *bad (the first one) and left out; the others are still read. More
 * than l->max_headers lines is PERR_LIMIT, as for FastCGI.
 */
static int
add_headers(struct strv rest, const struct http_limits *l,
            struct env_builder *e, struct perr *bad, struct arena *a)
{
	struct strv line, name, value;
	struct hdr *h;
	size_t i, n = 0, lines = 0;

	h = arena_new_array(a, struct hdr, l->max_headers + 1);
	if (h == NULL)
		return perr_set(bad, NULL, PERR_LIMIT, "request too large");
	while (next_line(&rest, &line)) {
		const char *why = NULL;

		if (line.len == 0)
			break;
		if (++lines > l->max_headers) {
			if (bad->kind == PERR_OK)
				perr_set(bad, a, PERR_LIMIT,
				         "too many request headers (limit %zu)",
				         l->max_headers);
			break;
		}
		if (line.p[0] == ' ' || line.p[0] == '\t')
			why = "folded header line";
		else if (!strv_split_once(line, ':', &name, &value) ||
		         name.len == 0)
			why = "bad header line";
		for (i = 0; why == NULL && i < name.len; i++) {
			if (!is_tchar(name.p[i]))
				why = "bad header name";
		}
		if (why == NULL && strv_has_ctl(value, true))
			why = "control character in a header";
		if (why != NULL) {
			if (bad->kind == PERR_OK)
				perr_set(bad, a, PERR_INPUT, "%s", why);
			continue;
		}
		h[n].name = cgi_name(name, a);
		h[n].value = strv_trim(value);
		h[n].done = false;
		if (h[n].name == NULL)
			return perr_set(bad, NULL, PERR_LIMIT,
			                "request too large");
		n++;
	}
	if (env_add_joined(e, h, n) != 0)
		return perr_set(bad, NULL, PERR_LIMIT, "request too large");
	return 0;
}

static ssize_t
no_body(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

int
http_head_parse(struct strv head, const struct http_limits *l, struct arena *a,
                struct http_request *req_r, struct perr *err)
{
	struct strv rest = head, line, method, target, version, path, query;
	struct env_builder e = {.a = a};
	struct http_io io = {.read = no_body};
	struct perr bad;

	perr_clear(&bad);
	memset(req_r, 0, sizeof(*req_r));
	if (!next_line(&rest, &line))
		return perr_set(err, a, PERR_INPUT, "empty request");
	if (!strv_split_once(line, ' ', &method, &line) ||
	    !strv_split_once(line, ' ', &target, &version))
		return perr_set(err, a, PERR_INPUT, "bad request line");
	if (memchr(method.p, '\0', method.len) != NULL)
		return perr_set(err, a, PERR_INPUT, "bad request line");
	if (!strv_eq_cstr(version, "HTTP/1.1") &&
	    !strv_eq_cstr(version, "HTTP/1.0"))
		return perr_set(err, a, PERR_INPUT, "bad HTTP version");
	if (strv_has_ctl(target, false) || strv_find_char(target, ' ') >= 0)
		return perr_set(err, a, PERR_INPUT, "bad request target");
	if (!strv_split_once(target, '?', &path, &query))
		query = STRV_NULL;

	e.cap = count_lines(head) + 5;
	e.v = arena_new_array(a, const char *, e.cap);
	if (e.v == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	if (env_add(&e, "REQUEST_METHOD", method) != 0 ||
	    env_add(&e, "REQUEST_URI", target) != 0 ||
	    env_add(&e, "QUERY_STRING", query) != 0 ||
	    env_add(&e, "SERVER_PROTOCOL", version) != 0 ||
	    add_headers(rest, l, &e, &bad, a) != 0) {
		if (bad.kind == PERR_LIMIT) {
			*err = bad;
			return -1;
		}
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	}
	http_request_parse(req_r, e.v, &io, l, a);
	/* The method as sent, even when it is not a token (the caller's 405).
	 */
	req_r->method = strv_dup(a, method);
	if (req_r->method == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	/* The grammar of the head comes before what its values say. */
	if (bad.kind != PERR_OK)
		req_r->parse_error = bad;
	return 0;
}
