/*
 * HTTP status tables: the status each error kind stands for, and the
 * reason phrases; one table each for the FastCGI answers (response.c)
 * and live's event server.
 */
#include "http.h"
#include "core/banned.h"

const char *
http_reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 507:
		return "Insufficient Storage";
	default:
		return "Unknown";
	}
}

int
http_status_of_error(enum perr_kind kind)
{
	switch (kind) {
	case PERR_OK:
		return 200;
	case PERR_INPUT:
		return 400;
	case PERR_AUTH:
		return 401;
	case PERR_FORBIDDEN:
		return 403;
	case PERR_NOTFOUND:
		return 404;
	case PERR_METHOD:
		return 405;
	case PERR_CONFLICT:
		return 409;
	case PERR_LIMIT:
		return 413;
	case PERR_RATE:
		return 429;
	case PERR_TEMPFAIL:
		return 503;
	case PERR_REMOTE:
		return 502;
	case PERR_INTERNAL:
		return 500;
	case PERR_NOSPACE:
		return 507;
	}
	return 500;
}
