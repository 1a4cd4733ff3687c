/*
 * The HTTP request head of an event stream and the bytes we answer with.
 * Only what nginx's proxy module sends is needed: a request line, header
 * lines, a blank line. Pure functions, no I/O.
 */
#include <string.h>

#include "live.h"
#include "session/session.h"
#include "core/banned.h"

size_t
live_head_length(struct strv buf)
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
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 6265 5.4: "a=b; c=d". The first cookie with our name wins. */
static bool
find_cookie(struct strv value, struct strv *cookie_r)
{
	struct strv rest = value, pair, name, val;

	while (rest.len > 0) {
		if (!strv_split_once(rest, ';', &pair, &rest))
			rest = STRV_NULL;
		if (!strv_split_once(strv_trim(pair), '=', &name, &val))
			continue;
		if (strv_eq_cstr(strv_trim(name), SESSION_COOKIE)) {
			val = strv_trim(val);
			if (val.len >= 2 && val.p[0] == '"' &&
			    val.p[val.len - 1] == '"') {
				val.p++;
				val.len -= 2;
			}
			*cookie_r = val;
			return true;
		}
	}
	return false;
}

static int
parse_folder(struct strv query, struct arena *a, const char **folder_r,
             struct perr *err)
{
	struct strv rest = query, param, name, val, dec;

	*folder_r = "INBOX";
	while (rest.len > 0) {
		if (!strv_split_once(rest, '&', &param, &rest))
			rest = STRV_NULL;
		(void)strv_split_once(param, '=', &name, &val);
		if (!strv_eq_cstr(name, "folder"))
			continue;
		if (codec_url_decode(val, true, a, &dec) != 0)
			return perr_set(err, a, PERR_INPUT,
			                "bad escape in folder");
		if (dec.len == 0 || dec.len > LIVE_FOLDER_MAX)
			return perr_set(err, a, PERR_INPUT,
			                "folder empty or too long");
		if (!codec_utf8_valid(dec) || strv_has_ctl(dec, false))
			return perr_set(err, a, PERR_INPUT,
			                "folder is not clean UTF-8");
		*folder_r = strv_dup(a, dec);
		if (*folder_r == NULL)
			return perr_set(err, a, PERR_LIMIT, "out of memory");
		return 0;
	}
	return 0;
}

int
live_parse_request(struct strv head, struct arena *a,
                   struct live_request *req_r, struct perr *err)
{
	struct strv rest = head, line, method, target, version, path, query;
	struct strv name, value;
	size_t i;

	memset(req_r, 0, sizeof(*req_r));
	if (!next_line(&rest, &line))
		return perr_set(err, a, PERR_INPUT, "empty request");
	if (!strv_split_once(line, ' ', &method, &line) ||
	    !strv_split_once(line, ' ', &target, &version))
		return perr_set(err, a, PERR_INPUT, "bad request line");
	if (!strv_eq_cstr(version, "HTTP/1.1") &&
	    !strv_eq_cstr(version, "HTTP/1.0"))
		return perr_set(err, a, PERR_INPUT, "bad HTTP version");
	if (strv_has_ctl(target, false) || strv_find_char(target, ' ') >= 0)
		return perr_set(err, a, PERR_INPUT, "bad request target");
	if (!strv_eq_cstr(method, "GET"))
		return perr_set(err, a, PERR_METHOD, "only GET is allowed");
	if (!strv_split_once(target, '?', &path, &query))
		query = STRV_NULL;
	if (!strv_eq_cstr(path, "/events"))
		return perr_set(err, a, PERR_NOTFOUND, "no such resource");

	while (next_line(&rest, &line)) {
		if (line.len == 0)
			break;
		if (line.p[0] == ' ' || line.p[0] == '\t')
			return perr_set(err, a, PERR_INPUT,
			                "folded header line");
		if (!strv_split_once(line, ':', &name, &value) || name.len == 0)
			return perr_set(err, a, PERR_INPUT, "bad header line");
		for (i = 0; i < name.len; i++) {
			if (!is_tchar(name.p[i]))
				return perr_set(err, a, PERR_INPUT,
				                "bad header name");
		}
		if (strv_has_ctl(value, true))
			return perr_set(err, a, PERR_INPUT,
			                "control character in a header");
		if (!req_r->has_cookie &&
		    strv_eq_ci_ascii(name, STRV_LIT("Cookie")))
			req_r->has_cookie = find_cookie(value, &req_r->cookie);
	}
	return parse_folder(query, a, &req_r->folder, err);
}

void
live_format_event(struct sbuf *out, const char *name, const char *folder)
{
	const unsigned char *p;

	sbuf_printf(out, "event: %s\ndata: {\"folder\":\"", name);
	for (p = (const unsigned char *)folder; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			sbuf_append_char(out, '\\');
			sbuf_append_char(out, (char)*p);
		} else if (*p < 0x20 || *p == 0x7f) {
			sbuf_printf(out, "\\u%04x", *p);
		} else {
			sbuf_append_char(out, (char)*p);
		}
	}
	sbuf_append_cstr(out, "\"}\n\n");
}

void
live_format_error(struct sbuf *out, int status, const char *text)
{
	sbuf_printf(out,
	            "HTTP/1.1 %d %s\r\n"
	            "Content-Type: text/plain; charset=utf-8\r\n"
	            "Content-Length: %zu\r\n"
	            "Cache-Control: no-store\r\n"
	            "Connection: close\r\n",
	            status, pt_http_reason(status), strlen(text) + 1);
	if (status == 405)
		sbuf_append_cstr(out, "Allow: GET\r\n");
	sbuf_printf(out, "\r\n%s\n", text);
}

void
live_format_stream_head(struct sbuf *out, unsigned retry_ms)
{
	/*
	 * No Content-Length and no chunking: the body ends when we close,
	 * which is what Connection: close tells nginx. X-Accel-Buffering
	 * keeps nginx from buffering even where proxy_buffering is on.
	 */
	sbuf_printf(out,
	            "HTTP/1.1 200 OK\r\n"
	            "Content-Type: text/event-stream; charset=utf-8\r\n"
	            "Cache-Control: no-store\r\n"
	            "X-Accel-Buffering: no\r\n"
	            "Connection: close\r\n"
	            "\r\n"
	            "retry: %u\n\n",
	            retry_ms);
}
