/*
 * A streaming multipart/form-data parser (RFC 7578 over RFC 2046 §5.1).
 *
 * The body is fed in chunks of any size; part data is handed to the
 * callbacks as it arrives, so an upload never has to fit in memory.
 *
 * The trick that keeps the delimiter search simple: the delimiter is
 * "\r\n--" boundary, and the body is treated as if it started with "\r\n"
 * (the first boundary may follow the preamble or start the body). Boundary
 * characters exclude CR (RFC 2046 bchars), so '\r' occurs only at the start
 * of the delimiter: after a mismatch the withheld bytes can never hold the
 * start of another match except a '\r' at the current byte. The withheld
 * bytes are a prefix of the delimiter itself, so they need no buffer.
 */
#include <string.h>

#include "http.h"
#include "http_private.h"
#include "core/banned.h"

static bool
is_bchar(char c)
{
	/* RFC 2046 §5.1.1 bcharsnospace, plus space (not last) */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

int
http_mp_init(struct http_mp *mp, struct strv boundary, size_t max_parts,
             const struct http_mp_callbacks *cb, void *ctx, struct arena *a,
             struct perr *err)
{
	size_t i;

	memset(mp, 0, sizeof(*mp));
	mp->state = HTTP_MP_ERROR;
	if (boundary.len == 0)
		return perr_set(err, a, PERR_INPUT,
		                "multipart boundary missing");
	if (boundary.len > HTTP_MP_BOUNDARY_MAX)
		return perr_set(err, a, PERR_INPUT,
		                "multipart boundary longer than %d characters",
		                HTTP_MP_BOUNDARY_MAX);
	for (i = 0; i < boundary.len; i++) {
		if (!is_bchar(boundary.p[i]))
			return perr_set(err, a, PERR_INPUT,
			                "invalid character in multipart "
			                "boundary");
	}
	if (boundary.p[boundary.len - 1] == ' ')
		return perr_set(err, a, PERR_INPUT,
		                "multipart boundary ends in a space");
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, boundary.p, boundary.len);
	mp->delim_len = boundary.len + 4;
	mp->state = HTTP_MP_PREAMBLE;
	mp->match = 2; /* the virtual CRLF before the first boundary */
	mp->max_parts = max_parts;
	mp->cb = cb;
	mp->ctx = ctx;
	mp->arena = a;
	return 0;
}

static int
fail(struct http_mp *mp, struct perr *err, const char *msg)
{
	mp->state = HTTP_MP_ERROR;
	return perr_set(err, mp->arena, PERR_INPUT,
	                "malformed multipart "
	                "body: %s",
	                msg);
}

/* Hand withheld delimiter bytes and data to the part (BODY only). */
static int
emit(struct http_mp *mp, const char *p, size_t n, struct perr *err)
{
	if (mp->state != HTTP_MP_BODY || n == 0)
		return 0;
	if (mp->cb->part_data(mp->ctx, p, n, err) != 0) {
		mp->state = HTTP_MP_ERROR;
		return -1;
	}
	return 0;
}

/*
 * Parse one header block ("Name: value\r\n"... ending with an empty
 * line). Continuation lines (obs-fold) are joined.
 */
static int
parse_part_headers(struct http_mp *mp, struct perr *err)
{
	struct http_mp_part part;
	struct strv block = {mp->hdr, mp->hdr_len}, line, disp = STRV_NULL;
	struct strv name, value, type;
	bool have_name;

	memset(&part, 0, sizeof(part));
	part.content_type = STRV_LIT("");
	/* hdr ends with "\r\n\r\n" or is just "\r\n". */
	while (block.len > 0) {
		ptrdiff_t lf = strv_find(block, STRV_LIT("\r\n"));
		size_t end;

		PT_ASSERT(lf >= 0);
		end = (size_t)lf;
		/* obs-fold: the next line starts with a blank */
		while (end + 2 < block.len &&
		       (block.p[end + 2] == ' ' || block.p[end + 2] == '\t')) {
			struct strv tail = {block.p + end + 2,
			                    block.len - end - 2};
			ptrdiff_t nx = strv_find(tail, STRV_LIT("\r\n"));

			PT_ASSERT(nx >= 0);
			/* Unfold in place: CRLF becomes two blanks. */
			mp->hdr[(size_t)(block.p - mp->hdr) + end] = ' ';
			mp->hdr[(size_t)(block.p - mp->hdr) + end + 1] = ' ';
			end += 2 + (size_t)nx;
		}
		line.p = block.p;
		line.len = end;
		block.p += end + 2;
		block.len -= end + 2;
		if (line.len == 0)
			break;
		if (!strv_split_once(line, ':', &name, &value))
			return fail(mp, err, "part header without ':'");
		if (name.len == 0 || strv_trim(name).len != name.len)
			return fail(mp, err, "invalid part header name");
		if (memchr(line.p, '\0', line.len) != NULL)
			return fail(mp, err, "NUL in part header");
		value = strv_trim(value);
		if (strv_eq_ci_ascii(name, STRV_LIT("Content-Disposition"))) {
			if (disp.p != NULL)
				return fail(mp, err,
				            "duplicate "
				            "Content-Disposition");
			disp = value;
		} else if (strv_eq_ci_ascii(name, STRV_LIT("Content-Type"))) {
			part.content_type.p = strv_dup(mp->arena, value);
			if (part.content_type.p == NULL)
				goto limit;
			part.content_type.len = value.len;
		}
	}
	if (disp.p == NULL)
		return fail(mp, err, "part without Content-Disposition");
	type = http_media_type(disp);
	if (!strv_eq_ci_ascii(type, STRV_LIT("form-data")))
		return fail(mp, err, "part is not form-data");
	have_name = http_header_param(disp, "name", mp->arena, &part.name);
	if (arena_hit_limit(mp->arena))
		goto limit;
	if (!have_name)
		return fail(mp, err, "part without a name");
	if (!http_header_param(disp, "filename", mp->arena, &part.filename))
		part.filename = STRV_NULL;
	if (arena_hit_limit(mp->arena))
		goto limit;
	if (memchr(part.name.p, '\0', part.name.len) != NULL ||
	    (part.filename.p != NULL &&
	     memchr(part.filename.p, '\0', part.filename.len) != NULL))
		return fail(mp, err, "NUL in part name");
	if (++mp->parts > mp->max_parts) {
		mp->state = HTTP_MP_ERROR;
		return perr_set(err, mp->arena, PERR_LIMIT,
		                "too many multipart parts (limit %zu)",
		                mp->max_parts);
	}
	if (mp->cb->part_begin(mp->ctx, &part, err) != 0) {
		mp->state = HTTP_MP_ERROR;
		return -1;
	}
	return 0;
limit:
	mp->state = HTTP_MP_ERROR;
	return perr_set(err, NULL, PERR_LIMIT, "request too large");
}

/*
 * PREAMBLE and BODY: look for the delimiter. Returns the number of bytes
 * consumed; on a full match the state moves to AFTER_DELIM.
 */
static int
scan_delim(struct http_mp *mp, const char *p, size_t n, size_t *used_r,
           struct perr *err)
{
	size_t i = 0, run;

	while (i < n) {
		if (mp->match == 0) {
			const char *cr = memchr(p + i, '\r', n - i);

			run = cr == NULL ? n - i : (size_t)(cr - (p + i));
			if (emit(mp, p + i, run, err) != 0)
				return -1;
			i += run;
			if (i == n)
				break;
			mp->match = 1;
			i++;
			continue;
		}
		if (p[i] == mp->delim[mp->match]) {
			mp->match++;
			i++;
			if (mp->match == mp->delim_len) {
				mp->match = 0;
				if (mp->state == HTTP_MP_BODY &&
				    mp->cb->part_end(mp->ctx, err) != 0) {
					mp->state = HTTP_MP_ERROR;
					return -1;
				}
				mp->state = HTTP_MP_AFTER_DELIM;
				mp->lwsp = 0;
				break;
			}
			continue;
		}
		/* Mismatch: the withheld prefix was data after all. */
		if (emit(mp, mp->delim, mp->match, err) != 0)
			return -1;
		mp->match = 0;
		/* The current byte is looked at again (it may be '\r'). */
	}
	*used_r = i;
	return 0;
}

int
http_mp_feed(struct http_mp *mp, const char *p, size_t n, struct perr *err)
{
	size_t i = 0, used;

	while (i < n) {
		char c = p[i];

		switch (mp->state) {
		case HTTP_MP_PREAMBLE:
		case HTTP_MP_BODY:
			if (scan_delim(mp, p + i, n - i, &used, err) != 0)
				return -1;
			i += used;
			break;
		case HTTP_MP_AFTER_DELIM:
			i++;
			if (c == '-') {
				mp->state = HTTP_MP_AFTER_DASH;
			} else if (c == '\r') {
				mp->state = HTTP_MP_AFTER_CR;
			} else if ((c == ' ' || c == '\t') && mp->lwsp < 64) {
				/* RFC 2046 transport padding */
				mp->lwsp++;
			} else {
				return fail(mp, err, "garbage after boundary");
			}
			break;
		case HTTP_MP_AFTER_DASH:
			i++;
			if (c != '-')
				return fail(mp, err, "garbage after boundary");
			mp->state = HTTP_MP_DONE;
			break;
		case HTTP_MP_AFTER_CR:
			i++;
			if (c != '\n')
				return fail(mp, err,
				            "CR without LF after "
				            "boundary");
			mp->state = HTTP_MP_HEADERS;
			mp->hdr_len = 0;
			break;
		case HTTP_MP_HEADERS:
			i++;
			if (mp->hdr_len == sizeof(mp->hdr))
				return fail(mp, err, "part headers too long");
			mp->hdr[mp->hdr_len++] = c;
			if (c != '\n' || mp->hdr_len < 2 ||
			    mp->hdr[mp->hdr_len - 2] != '\r')
				break;
			if (mp->hdr_len == 2 ||
			    (mp->hdr_len >= 4 &&
			     memcmp(mp->hdr + mp->hdr_len - 4, "\r\n\r\n", 4) ==
			             0)) {
				if (parse_part_headers(mp, err) != 0)
					return -1;
				mp->state = HTTP_MP_BODY;
				mp->match = 0;
			}
			break;
		case HTTP_MP_DONE:
			/* The epilogue is ignored. */
			return 0;
		case HTTP_MP_ERROR:
			return perr_set(err, mp->arena, PERR_INPUT,
			                "malformed multipart body");
		}
	}
	return 0;
}

int
http_mp_finish(struct http_mp *mp, struct perr *err)
{
	switch (mp->state) {
	case HTTP_MP_DONE:
		return 0;
	case HTTP_MP_PREAMBLE:
		if (mp->parts == 0)
			return fail(mp, err, "no boundary found");
		return fail(mp, err, "missing final boundary");
	case HTTP_MP_ERROR:
		return perr_set(err, mp->arena, PERR_INPUT,
		                "malformed multipart body");
	case HTTP_MP_AFTER_DELIM:
	case HTTP_MP_AFTER_DASH:
	case HTTP_MP_AFTER_CR:
	case HTTP_MP_HEADERS:
	case HTTP_MP_BODY:
		break;
	}
	return fail(mp, err, "truncated body (missing final boundary)");
}
