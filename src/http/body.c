/*
 * Request bodies: urlencoded forms, multipart/form-data (streamed, big
 * uploads spooled to temp files), JSON (json.c) and raw bytes.
 *
 * The body is read in fixed chunks and never more than CONTENT_LENGTH
 * bytes. A body that stops early is a 400: a short read means the client
 * went away or lied, and half a form must not be acted on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "http_private.h"
#include "core/banned.h"

#define BODY_CHUNK 16384

int http_body_parse_json(struct http_request *req, struct strv body,
                         struct perr *err);

/* ---- temp files ------------------------------------------------------ */

struct spool {
	char *path;
	int fd;
};

static void
spool_cleanup(void *arg)
{
	struct spool *s = arg;

	if (s->fd >= 0)
		(void)close(s->fd);
	s->fd = -1;
	if (s->path != NULL)
		(void)unlink(s->path);
}

/* The contents of an upload: in memory up to the threshold, then a file. */
struct filebuf {
	struct sbuf mem;
	struct spool *spool;
};

static int
spool_open(struct http_request *req, struct filebuf *fb, struct perr *err)
{
	struct arena *a = req->arena;
	struct spool *s;
	const char *dir = req->limits->spool_dir;
	int fd;

	s = arena_new(a, struct spool);
	if (s == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	s->fd = -1;
	s->path = arena_printf(a, "%s/petrel-upload-XXXXXX",
	                       dir != NULL ? dir : "/tmp");
	if (s->path == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	fd = mkostemp(s->path, O_CLOEXEC);
	if (fd < 0)
		return perr_set(err, a, perr_kind_of_errno(errno),
		                "cannot create upload file in %s: %s", dir,
		                strerror(errno));
	s->fd = fd;
	/* Registered at once: no later error path can leak the file. */
	arena_defer(a, spool_cleanup, s);
	fb->spool = s;
	if (pt_write_all(fd, fb->mem.data, fb->mem.len) != 0)
		return perr_set(err, a, perr_kind_of_errno(errno),
		                "cannot write upload file: %s",
		                strerror(errno));
	sbuf_reset(&fb->mem);
	return 0;
}

static int
filebuf_write(struct http_request *req, struct filebuf *fb, const char *p,
              size_t n, struct perr *err)
{
	if (fb->spool == NULL &&
	    fb->mem.len + n > req->limits->spool_threshold &&
	    spool_open(req, fb, err) != 0)
		return -1;
	if (fb->spool != NULL) {
		if (pt_write_all(fb->spool->fd, p, n) != 0)
			return perr_set(err, req->arena,
			                perr_kind_of_errno(errno),
			                "cannot write upload file: %s",
			                strerror(errno));
		return 0;
	}
	sbuf_append(&fb->mem, p, n);
	if (!sbuf_ok(&fb->mem))
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	return 0;
}

static int
filebuf_close(struct filebuf *fb, struct http_upload *up, struct perr *err,
              struct arena *a)
{
	if (fb->spool != NULL) {
		int fd = fb->spool->fd;

		fb->spool->fd = -1;
		if (close(fd) != 0)
			return perr_set(err, a, perr_kind_of_errno(errno),
			                "cannot write upload file: %s",
			                strerror(errno));
		up->path = fb->spool->path;
		up->data = STRV_LIT("");
		return 0;
	}
	up->data.p = sbuf_cstr(&fb->mem);
	up->data.len = fb->mem.len;
	return 0;
}

/* ---- reading --------------------------------------------------------- */

typedef int body_chunk_fn(void *ctx, const char *p, size_t n, struct perr *err);

static int
read_body(struct http_request *req, struct http_io *io, body_chunk_fn *fn,
          void *ctx, struct perr *err)
{
	uint64_t left = req->content_length;
	char buf[BODY_CHUNK];

	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t r = io->read(io->ctx, buf, want);

		if (r <= 0) {
			io->unread_body = true;
			return perr_set(err, req->arena, PERR_INPUT,
			                "request body shorter than "
			                "Content-Length");
		}
		left -= (uint64_t)r;
		if (fn(ctx, buf, (size_t)r, err) != 0) {
			if (left > 0)
				io->unread_body = true;
			return -1;
		}
	}
	return 0;
}

struct membody {
	char *p;
	size_t len;
};

static int
membody_chunk(void *ctx, const char *p, size_t n, struct perr *err)
{
	struct membody *m = ctx;

	(void)err;
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return 0;
}

/* Whole body into the arena; for bodies bounded by max_form. */
static int
read_small_body(struct http_request *req, struct http_io *io,
                struct strv *body_r, struct perr *err)
{
	struct membody m = {NULL, 0};

	if (req->content_length > req->limits->max_form) {
		io->unread_body = true;
		return perr_set(err, req->arena, PERR_LIMIT,
		                "form body too large (limit %llu bytes)",
		                (unsigned long long)req->limits->max_form);
	}
	m.p = arena_alloc(req->arena, (size_t)req->content_length + 1);
	if (m.p == NULL) {
		io->unread_body = true;
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	}
	if (read_body(req, io, membody_chunk, &m, err) != 0)
		return -1;
	m.p[m.len] = '\0';
	body_r->p = m.p;
	body_r->len = m.len;
	return 0;
}

/* ---- multipart sink -------------------------------------------------- */

struct mp_sink {
	struct http_request *req;
	struct http_mp mp;
	bool in_file;
	size_t upload_idx;
	struct strv field;
	struct filebuf fb;
	uint64_t files_total, form_total;
	size_t cap_form, cap_uploads;
};

/* Grow an arena array to hold one more element. */
static void *
grow(struct arena *a, void *items, size_t n, size_t *cap, size_t elem)
{
	void *bigger;
	size_t ncap;

	if (n < *cap)
		return items;
	ncap = *cap == 0 ? 8 : *cap * 2;
	bigger = arena_alloc_array(a, elem, ncap);
	if (bigger == NULL)
		return NULL;
	if (n > 0)
		memcpy(bigger, items, n * elem);
	*cap = ncap;
	return bigger;
}

static int
sink_begin(void *ctx, const struct http_mp_part *part, struct perr *err)
{
	struct mp_sink *s = ctx;
	struct http_request *req = s->req;
	struct http_upload *up;

	memset(&s->fb, 0, sizeof(s->fb));
	sbuf_init(&s->fb.mem, req->arena, 0, 0);
	s->in_file = part->filename.p != NULL;
	s->field = part->name;
	if (!s->in_file)
		return 0;
	up = grow(req->arena, req->uploads, req->n_uploads, &s->cap_uploads,
	          sizeof(*up));
	if (up == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	req->uploads = up;
	s->upload_idx = req->n_uploads++;
	up = &req->uploads[s->upload_idx];
	memset(up, 0, sizeof(*up));
	up->field = part->name;
	up->filename = part->filename;
	up->content_type = part->content_type;
	up->data = STRV_LIT("");
	return 0;
}

static int
sink_data(void *ctx, const char *p, size_t n, struct perr *err)
{
	struct mp_sink *s = ctx;
	struct http_request *req = s->req;
	const struct http_limits *l = req->limits;

	if (s->in_file) {
		struct http_upload *up = &req->uploads[s->upload_idx];

		up->size += n;
		s->files_total += n;
		if (up->size > l->max_file)
			return perr_set(err, req->arena, PERR_LIMIT,
			                "file too large (limit %llu bytes)",
			                (unsigned long long)l->max_file);
		if (s->files_total > l->max_files_total)
			return perr_set(err, req->arena, PERR_LIMIT,
			                "uploads too large (limit %llu "
			                "bytes in total)",
			                (unsigned long long)l->max_files_total);
		return filebuf_write(req, &s->fb, p, n, err);
	}
	s->form_total += n;
	if (s->form_total > l->max_form)
		return perr_set(err, req->arena, PERR_LIMIT,
		                "form fields too large (limit %llu bytes)",
		                (unsigned long long)l->max_form);
	sbuf_append(&s->fb.mem, p, n);
	if (!sbuf_ok(&s->fb.mem))
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	return 0;
}

static int
sink_end(void *ctx, struct perr *err)
{
	struct mp_sink *s = ctx;
	struct http_request *req = s->req;
	struct http_param *f;

	if (s->in_file)
		return filebuf_close(&s->fb, &req->uploads[s->upload_idx], err,
		                     req->arena);
	if (memchr(sbuf_cstr(&s->fb.mem), '\0', s->fb.mem.len) != NULL)
		return perr_set(err, req->arena, PERR_INPUT,
		                "NUL byte in form field");
	f = grow(req->arena, req->form, req->n_form, &s->cap_form, sizeof(*f));
	if (f == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	req->form = f;
	f = &req->form[req->n_form++];
	f->name = s->field;
	f->value.p = sbuf_cstr(&s->fb.mem);
	f->value.len = s->fb.mem.len;
	return 0;
}

static const struct http_mp_callbacks sink_callbacks = {
        sink_begin,
        sink_data,
        sink_end,
};

static int
mp_chunk(void *ctx, const char *p, size_t n, struct perr *err)
{
	struct mp_sink *s = ctx;

	return http_mp_feed(&s->mp, p, n, err);
}

static int
parse_multipart(struct http_request *req, struct http_io *io, struct perr *err)
{
	struct mp_sink *s;
	struct strv boundary;

	s = arena_new(req->arena, struct mp_sink);
	if (s == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	s->req = req;
	if (!http_header_param(req->content_type, "boundary", req->arena,
	                       &boundary))
		boundary = STRV_LIT("");
	if (http_mp_init(&s->mp, boundary, req->limits->max_params,
	                 &sink_callbacks, s, req->arena, err) != 0 ||
	    read_body(req, io, mp_chunk, s, err) != 0 ||
	    http_mp_finish(&s->mp, err) != 0) {
		if (req->content_length > 0 && s->mp.state == HTTP_MP_ERROR)
			io->unread_body = true;
		return -1;
	}
	return 0;
}

/* ---- raw ------------------------------------------------------------- */

struct raw_sink {
	struct http_request *req;
	struct filebuf fb;
};

static int
raw_chunk(void *ctx, const char *p, size_t n, struct perr *err)
{
	struct raw_sink *s = ctx;

	return filebuf_write(s->req, &s->fb, p, n, err);
}

static int
parse_raw(struct http_request *req, struct http_io *io, struct perr *err)
{
	struct raw_sink *s;
	struct http_upload *up;

	s = arena_new(req->arena, struct raw_sink);
	up = arena_new(req->arena, struct http_upload);
	if (s == NULL || up == NULL)
		return perr_set(err, NULL, PERR_LIMIT, "request too large");
	s->req = req;
	sbuf_init(&s->fb.mem, req->arena, 0, 0);
	if (read_body(req, io, raw_chunk, s, err) != 0)
		return -1;
	up->field = STRV_LIT("");
	up->filename = STRV_NULL;
	up->content_type = req->content_type;
	up->size = req->content_length;
	if (filebuf_close(&s->fb, up, err, req->arena) != 0)
		return -1;
	req->raw_body = up;
	return 0;
}

void
http_body_parse(struct http_request *req, struct http_io *io)
{
	struct perr *err = &req->parse_error;
	struct strv type = http_media_type(req->content_type), body;

	if (strv_eq_ci_ascii(type,
	                     STRV_LIT("application/x-www-form-urlencoded"))) {
		req->body_kind = HTTP_BODY_FORM;
		if (read_small_body(req, io, &body, err) != 0 ||
		    http_parse_urlencoded(body, req->limits->max_params,
		                          req->arena, &req->form, &req->n_form,
		                          err) != 0) {
			req->body_kind = HTTP_BODY_NONE;
			req->n_form = 0;
		}
	} else if (strv_eq_ci_ascii(type, STRV_LIT("multipart/form-data"))) {
		req->body_kind = HTTP_BODY_MULTIPART;
		if (parse_multipart(req, io, err) != 0) {
			/* Half a form must not be acted on. */
			req->body_kind = HTTP_BODY_NONE;
			req->n_form = 0;
			req->n_uploads = 0;
		}
	} else if (strv_eq_ci_ascii(type, STRV_LIT("application/json"))) {
		req->body_kind = HTTP_BODY_JSON;
		if (read_small_body(req, io, &body, err) != 0 ||
		    http_body_parse_json(req, body, err) != 0)
			req->body_kind = HTTP_BODY_NONE;
	} else if (req->content_length > 0) {
		req->body_kind = HTTP_BODY_RAW;
		if (parse_raw(req, io, err) != 0)
			req->body_kind = HTTP_BODY_NONE;
	}
}
