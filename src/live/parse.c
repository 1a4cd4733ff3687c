/*
 * The HTTP request of an event stream and the bytes we answer with. The
 * head is parsed by http (http_head_parse(), the parser FastCGI requests
 * go through); what is left here is the event server's own rules: GET
 * /events, the session cookie, the folder. Pure functions, no I/O.
 */
#include <string.h>

#include "live.h"
#include "http/http.h"
#include "session/session.h"
#include "core/banned.h"

size_t
live_head_length(struct strv buf)
{
	return http_head_length(buf);
}

/* The folder parameter's rules: decoded by http, checked here. */
static int
check_folder(const struct http_request *hr, struct arena *a,
             const char **folder_r, struct perr *err)
{
	struct strv dec;

	*folder_r = "INBOX";
	if (!http_request_query(hr, "folder", &dec))
		return 0;
	if (dec.len == 0 || dec.len > LIVE_FOLDER_MAX)
		return perr_set(err, a, PERR_INPUT, "folder empty or too long");
	if (!codec_utf8_valid(dec) || strv_has_ctl(dec, false))
		return perr_set(err, a, PERR_INPUT,
		                "folder is not clean UTF-8");
	/*
	 * RFC 3501 5.1: INBOX is case-insensitive. One spelling, so
	 * "inbox" and "Inbox" share the INBOX watcher rather than each
	 * costing a thread and an IMAP connection.
	 */
	if (strv_eq_ci_ascii(dec, STRV_LIT("INBOX")))
		dec.p = "INBOX";
	*folder_r = dec.p; /* NUL-terminated, in a (or static) */
	return 0;
}

int
live_parse_request(struct strv head, struct arena *a,
                   struct live_request *req_r, struct perr *err)
{
	struct http_limits l;
	struct http_request hr;

	memset(req_r, 0, sizeof(*req_r));
	http_limits_default(&l);
	if (http_head_parse(head, &l, a, &hr, err) != 0)
		return -1;
	if (strcmp(hr.method, "GET") != 0)
		return perr_set(err, a, PERR_METHOD, "only GET is allowed");
	if (!strv_eq_cstr(hr.path, "/events"))
		return perr_set(err, a, PERR_NOTFOUND, "no such resource");
	if (hr.parse_error.kind != PERR_OK) {
		*err = hr.parse_error;
		return -1;
	}
	/* The __Host- name (HTTPS) first: see SESSION_COOKIE_HOST. */
	req_r->has_cookie =
	        http_request_cookie(&hr, SESSION_COOKIE_HOST, &req_r->cookie) ||
	        http_request_cookie(&hr, SESSION_COOKIE, &req_r->cookie);
	return check_folder(&hr, a, &req_r->folder, err);
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
	            status, http_reason_phrase(status), strlen(text) + 1);
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
