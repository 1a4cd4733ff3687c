/*
 * The only file of http that knows jansson: JSON request bodies and JSON
 * responses.
 */
#include <jansson.h>
#include <string.h>

#include "http.h"
#include "http_private.h"
#include "core/banned.h"

int http_body_parse_json(struct http_request *req, struct strv body,
                         struct perr *err);

static void
json_release(void *arg)
{
	json_decref(arg);
}

int
http_body_parse_json(struct http_request *req, struct strv body,
                     struct perr *err)
{
	json_error_t jerr;
	json_t *v;

	/*
	 * Duplicate keys are refused: two parsers (ours and a proxy's or a
	 * plugin's) picking different values of one key is a classic
	 * smuggling trick. Nesting depth is bounded by jansson itself.
	 */
	v = json_loadb(body.p, body.len,
	               JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		return perr_set(err, req->arena, PERR_INPUT,
		                "invalid JSON body (line %d, column %d): %s",
		                jerr.line, jerr.column, jerr.text);
	arena_defer(req->arena, json_release, v);
	req->json = v;
	return 0;
}

static int
dump_cb(const char *buffer, size_t size, void *data)
{
	struct sbuf *b = data;

	sbuf_append(b, buffer, size);
	return sbuf_ok(b) ? 0 : -1;
}

int
http_response_json(struct http_response *resp, int status, json_t *v)
{
	if (resp->streaming)
		return -1;
	sbuf_reset(&resp->body);
	if (v == NULL ||
	    json_dump_callback(v, dump_cb, &resp->body,
	                       JSON_COMPACT | JSON_ENCODE_ANY) != 0 ||
	    !sbuf_ok(&resp->body)) {
		http_response_plain_error(resp, 500, "response too large");
		return -1;
	}
	http_response_set_status(resp, status);
	if (http_response_set_content_type(
	            resp, "application/json; charset=utf-8") != 0)
		return -1;
	return 0;
}

int
http_response_json_new(struct http_response *resp, int status, json_t *v)
{
	int rc = http_response_json(resp, status, v);

	json_decref(v);
	return rc;
}
