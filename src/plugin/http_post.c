/*
 * plugin/http_post.c - the one HTTP client plugins get: a form POST to a
 * panel's endpoint (Hestia's /reset/mail/ is the reason it exists).
 *
 * HTTP/1.0 with Connection: close, so the answer is never chunked and ends
 * where the connection does. Over net's TLS (https://), or plain only to a
 * loopback address. The request carries no header that could pass for a
 * forwarded client address (X-Forwarded-For, X-Real-IP): panels refuse
 * those, and the caller's own address is what they should see.
 */
#include <string.h>

#include "net/net.h"
#include "plugin_private.h"

enum {
	HTTP_ANSWER_MAX = 64 * 1024,
	HTTP_REQUEST_MAX = 16 * 1024,
};

struct http_url {
	const char *host; /* without brackets */
	uint16_t port;
	const char *path;
	bool tls;
};

static bool
host_is_loopback(const char *h)
{
	return strcmp(h, "127.0.0.1") == 0 || strcmp(h, "::1") == 0 ||
	       strcmp(h, "localhost") == 0;
}

static int
url_parse(const char *url, struct arena *a, struct http_url *u,
          struct perr *err)
{
	struct strv s = strv_from_cstr(url != NULL ? url : "");
	struct strv hostport, host, port;
	ptrdiff_t slash;
	uint64_t n;

	memset(u, 0, sizeof(*u));
	if (strv_starts_with(s, STRV_LIT("https://"))) {
		u->tls = true;
		s.p += 8;
		s.len -= 8;
	} else if (strv_starts_with(s, STRV_LIT("http://"))) {
		s.p += 7;
		s.len -= 7;
	} else {
		return perr_set(err, a, PERR_INPUT,
		                "not an https:// address: %s", url);
	}
	if (!net_value_is_safe(s) || strv_find_char(s, ' ') >= 0 ||
	    strv_find_char(s, '@') >= 0)
		return perr_set(err, a, PERR_INPUT, "bad address: %s", url);
	slash = strv_find_char(s, '/');
	hostport = slash < 0 ? s : (struct strv){s.p, (size_t)slash};
	u->path = slash < 0 ? "/"
	                    : strv_dup(a, (struct strv){s.p + slash,
	                                                s.len - slash});
	u->port = u->tls ? 443 : 80;
	if (hostport.len > 0 && hostport.p[0] == '[') {
		ptrdiff_t close = strv_find_char(hostport, ']');
		if (close < 0)
			return perr_set(err, a, PERR_INPUT, "bad address: %s",
			                url);
		host = (struct strv){hostport.p + 1, (size_t)close - 1};
		port = (struct strv){hostport.p + close + 1,
		                     hostport.len - (size_t)close - 1};
		if (port.len > 0 && port.p[0] != ':')
			return perr_set(err, a, PERR_INPUT, "bad address: %s",
			                url);
		if (port.len > 0) {
			port.p++;
			port.len--;
		}
	} else if (!strv_split_once(hostport, ':', &host, &port)) {
		host = hostport;
		port = STRV_NULL;
	}
	if (port.len > 0) {
		if (!pt_parse_u64(port, 65535, &n) || n == 0)
			return perr_set(err, a, PERR_INPUT, "bad port in %s",
			                url);
		u->port = (uint16_t)n;
	}
	if (host.len == 0)
		return perr_set(err, a, PERR_INPUT, "no host in %s", url);
	u->host = strv_dup(a, host);
	if (u->host == NULL || u->path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (!u->tls && !host_is_loopback(u->host))
		return perr_set(err, a, PERR_INPUT,
		                "plain http:// only to this machine: %s", url);
	return 0;
}

static int
request_build(const struct http_url *u, const char *const *fields,
              struct arena *a, struct sbuf *req, struct perr *err)
{
	struct sbuf body;
	size_t i;

	sbuf_init(&body, a, 256, HTTP_REQUEST_MAX);
	for (i = 0; fields != NULL && fields[i] != NULL; i += 2) {
		if (fields[i + 1] == NULL)
			return perr_set(err, a, PERR_INPUT,
			                "form field %s has no value",
			                fields[i]);
		if (i > 0)
			sbuf_append_char(&body, '&');
		codec_url_encode(&body, strv_from_cstr(fields[i]));
		sbuf_append_char(&body, '=');
		codec_url_encode(&body, strv_from_cstr(fields[i + 1]));
	}
	sbuf_init(req, a, 512, HTTP_REQUEST_MAX * 2);
	sbuf_printf(req, "POST %s HTTP/1.0\r\n", u->path);
	if (strchr(u->host, ':') != NULL)
		sbuf_printf(req, "Host: [%s]:%u\r\n", u->host, u->port);
	else
		sbuf_printf(req, "Host: %s:%u\r\n", u->host, u->port);
	sbuf_append_cstr(req, "User-Agent: Petrel\r\n"
	                      "Connection: close\r\n"
	                      "Content-Type: application/x-www-form-urlencoded"
	                      "\r\n");
	sbuf_printf(req, "Content-Length: %zu\r\n\r\n", body.len);
	sbuf_append_strv(req, sbuf_view(&body));
	if (!sbuf_ok(&body) || !sbuf_ok(req))
		return perr_set(err, a, PERR_LIMIT, "form too large");
	return 0;
}

static int
answer_parse(struct strv ans, struct arena *a, int *status_r,
             const char **body_r, struct perr *err)
{
	ptrdiff_t end = strv_find(ans, STRV_LIT("\r\n\r\n"));
	struct strv head, line, rest, body;
	uint64_t status, clen = 0;
	bool have_clen = false;

	if (end < 0 || !strv_starts_with(ans, STRV_LIT("HTTP/1.")) ||
	    ans.len < 12 || ans.p[8] != ' ')
		return perr_set(err, a, PERR_REMOTE, "not an HTTP answer");
	if (!pt_parse_u64((struct strv){ans.p + 9, 3}, 999, &status) ||
	    status < 100)
		return perr_set(err, a, PERR_REMOTE, "bad HTTP status line");
	head = (struct strv){ans.p, (size_t)end};
	body = (struct strv){ans.p + end + 4, ans.len - (size_t)end - 4};
	while (head.len > 0) {
		if (!strv_split_once(head, '\n', &line, &rest))
			rest = STRV_NULL;
		head = rest;
		line = strv_trim(line);
		if (strv_starts_with_ci_ascii(line,
		                              STRV_LIT("Transfer-Encoding:")))
			return perr_set(
			        err, a, PERR_REMOTE,
			        "chunked answer to an HTTP/1.0 request");
		if (strv_starts_with_ci_ascii(line,
		                              STRV_LIT("Content-Length:"))) {
			struct strv v = strv_trim(
			        (struct strv){line.p + 15, line.len - 15});
			if (!pt_parse_u64(v, HTTP_ANSWER_MAX, &clen))
				return perr_set(err, a, PERR_REMOTE,
				                "bad Content-Length");
			have_clen = true;
		}
	}
	if (have_clen) {
		if (body.len < clen)
			return perr_set(err, a, PERR_TEMPFAIL,
			                "answer cut short");
		body.len = clen;
	}
	*status_r = (int)status;
	*body_r = strv_dup(a, body);
	if (*body_r == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	return 0;
}

int
plugin_http_post_form(struct arena *a, const char *url,
                      const char *const *fields, bool verify_tls,
                      int timeout_ms, int *status_r, const char **body_r,
                      struct perr *err)
{
	struct http_url u;
	struct net_target t;
	struct sbuf req, ans;
	mailstream *s = NULL;
	char buf[4096];
	ssize_t n;

	if (url_parse(url, a, &u, err) != 0 ||
	    request_build(&u, fields, a, &req, err) != 0)
		return -1;
	net_target_init(&t, u.host, u.port,
	                u.tls ? NET_TLS_IMPLICIT : NET_PLAIN);
	t.verify = verify_tls;
	t.connect_timeout_ms = timeout_ms;
	t.io_timeout_ms = timeout_ms;
	if (net_connect(&t, a, &s, NULL, err) != 0)
		return -1;
	if (mailstream_write(s, req.data, req.len) != (ssize_t)req.len ||
	    mailstream_flush(s) != 0) {
		perr_set(err, a, PERR_TEMPFAIL, "sending to %s:%u failed: %s",
		         u.host, u.port,
		         net_stream_error(s) ? net_stream_error(s) : "?");
		net_close(&s);
		return -1;
	}
	sbuf_init(&ans, a, 1024, HTTP_ANSWER_MAX);
	while ((n = mailstream_read(s, buf, sizeof(buf))) > 0) {
		sbuf_append(&ans, buf, (size_t)n);
		if (!sbuf_ok(&ans)) {
			net_close(&s);
			return perr_set(err, a, PERR_REMOTE,
			                "answer from %s longer than %d bytes",
			                u.host, HTTP_ANSWER_MAX);
		}
	}
	if (n < 0 && ans.len == 0) {
		perr_set(err, a, PERR_TEMPFAIL, "no answer from %s:%u: %s",
		         u.host, u.port,
		         net_stream_error(s) ? net_stream_error(s) : "?");
		net_close(&s);
		return -1;
	}
	net_close(&s);
	return answer_parse(sbuf_view(&ans), a, status_r, body_r, err);
}
