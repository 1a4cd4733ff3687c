/*
 * Exports: all attachments of a message, or whole messages of a folder,
 * as one zip. Each entry is a lazy libzip source: its part (or message)
 * is fetched and decoded only when zip_close() reaches it, into an arena
 * of its own that is destroyed before the next one, so at most one is in
 * memory. The archive is written
 * to a temp file in the given directory; the caller streams it from the
 * descriptor, and both go when the session's arena resets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "mail_private.h"
#include "core/banned.h"

/* The encoded parts together: the per-file upload limit times this. */
#define ZIP_SIZE_FACTOR 4

struct zip_entry {
	struct mail_session *s;
	const char *folder;
	uint32_t uid;
	const char *section; /* NULL: the whole message, as it is */
	enum mime_encoding enc;
	const char *name;
	struct arena *a; /* the part's bytes while open, else NULL */
	struct strv data;
	size_t off;
	zip_error_t error;
};

static zip_int64_t
entry_open(struct zip_entry *e)
{
	struct perr err = {0};
	struct strv raw;

	e->a = arena_create("zip-part", 64 * 1024, 0);
	if (e->s->ops->fetch_section(e->s->backend, e->folder, e->uid,
	                             e->section, e->a, &raw, &err) != 0) {
		log_warn("zip: %s uid %u part %s: %s", e->folder,
		         (unsigned)e->uid,
		         e->section != NULL ? e->section : "(all)",
		         err.msg != NULL ? err.msg : "?");
		arena_destroy(&e->a);
		zip_error_set(&e->error, ZIP_ER_READ, EIO);
		return -1;
	}
	e->data = mime_transfer_decode(e->enc, raw, e->a);
	e->off = 0;
	return 0;
}

static zip_int64_t
entry_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct zip_entry *e = ud;
	size_t n;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		return entry_open(e);
	case ZIP_SOURCE_READ:
		n = e->data.len - e->off;
		if (n > len)
			n = (size_t)len;
		if (n > 0)
			memcpy(data, e->data.p + e->off, n);
		e->off += n;
		return (zip_int64_t)n;
	case ZIP_SOURCE_CLOSE:
		arena_destroy(&e->a);
		e->data = STRV_NULL;
		return 0;
	case ZIP_SOURCE_STAT:
		if (len < sizeof(zip_stat_t))
			return -1;
		zip_stat_init(data);
		return sizeof(zip_stat_t);
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&e->error, data, len);
	case ZIP_SOURCE_FREE:
		arena_destroy(&e->a);
		zip_error_fini(&e->error);
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(
		        ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
		        ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default:
		zip_error_set(&e->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

/* name, or "stem (k).ext" for the k-th use of it (case-insensitive). */
static const char *
unique_name(const char *name, const char **used, size_t n_used, struct arena *a)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot != NULL && dot != name ? (size_t)(dot - name)
	                                         : strlen(name);
	const char *cand = name;
	unsigned k = 1;
	size_t i;

	for (;;) {
		for (i = 0; i < n_used; i++)
			if (strcasecmp(used[i], cand) == 0)
				break;
		if (i == n_used)
			return cand;
		k++;
		cand = arena_printf(a, "%.*s (%u)%s", (int)stem, name, k,
		                    name + stem);
	}
}

static void
temp_cleanup(void *arg)
{
	(void)unlink(arg);
}

static void
fd_cleanup(void *arg)
{
	(void)close(*(int *)arg);
}

/* One lazy entry each; their names are already unique. */
static int
add_entries(struct mail_session *s, zip_t *za, struct zip_entry *ents, size_t n,
            struct perr *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct zip_entry *e = &ents[i];
		zip_source_t *src;
		zip_int64_t idx;

		e->s = s;
		zip_error_init(&e->error);
		src = zip_source_function(za, entry_cb, e);
		if (src == NULL) {
			zip_error_fini(&e->error);
			return perr_set(err, s->a, PERR_INTERNAL,
			                "zip source failed");
		}
		idx = zip_file_add(za, e->name, src, ZIP_FL_ENC_UTF_8);
		if (idx < 0) {
			zip_source_free(src);
			return perr_set(err, s->a, PERR_INTERNAL,
			                "zip_file_add failed");
		}
		/* Mail attachments are mostly compressed already: be quick. */
		(void)zip_set_file_compression(za, (zip_uint64_t)idx,
		                               ZIP_CM_DEFLATE, 1);
	}
	return 0;
}

/* Write the archive to path (zip_close() fetches each entry). */
static int
write_zip(struct mail_session *s, const char *path, struct zip_entry *ents,
          size_t n, struct perr *err)
{
	const char *why;
	zip_t *za;
	int zerr;

	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (za == NULL)
		return perr_set(err, s->a, PERR_INTERNAL,
		                "zip_open failed (%d)", zerr);
	if (add_entries(s, za, ents, n, err) != 0) {
		zip_discard(za);
		return -1;
	}
	if (zip_close(za) != 0) {
		why = zip_strerror(za);
		why = arena_strndup(s->a, why, strlen(why));
		zip_discard(za);
		return perr_set(err, s->a, PERR_TEMPFAIL,
		                "cannot build the zip: %s", why);
	}
	return 0;
}

/* Build the zip of ents in a temp file under tmp_dir and open it. */
static int
build_zip(struct mail_session *s, struct zip_entry *ents, size_t n,
          const char *tmp_dir, struct mail_zip *z, struct perr *err)
{
	char *path;
	int tfd, *fdp;
	struct stat sb;

	path = arena_printf(s->a, "%s/petrel-zip-XXXXXX",
	                    tmp_dir != NULL ? tmp_dir : "/tmp");
	if ((tfd = mkstemp(path)) < 0)
		return perr_set(err, s->a, PERR_INTERNAL, "zip temp file: %s",
		                strerror(errno));
	(void)close(tfd);
	arena_defer(s->a, temp_cleanup, path);
	if (write_zip(s, path, ents, n, err) != 0)
		return -1;
	fdp = arena_new(s->a, int);
	if ((*fdp = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return perr_set(err, s->a, PERR_INTERNAL, "zip reopen: %s",
		                strerror(errno));
	arena_defer(s->a, fd_cleanup, fdp);
	if (fstat(*fdp, &sb) != 0)
		return perr_set(err, s->a, PERR_INTERNAL, "zip stat: %s",
		                strerror(errno));
	z->fd = *fdp;
	z->size = (uint64_t)sb.st_size;
	return 0;
}

int
mail_zip_attachments(struct mail_session *s, const struct mail_view *v,
                     const char *tmp_dir, struct mail_zip *z, struct perr *err)
{
	const struct imap_part **parts;
	uint64_t total = 0;
	size_t n = mail_view_attachments(v, &parts), i;
	const char **names;
	struct zip_entry *ents;

	if (n == 0)
		return perr_set(err, s->a, PERR_NOTFOUND, "no attachments");
	for (i = 0; i < n; i++)
		total += parts[i]->size;
	if (total > s->max_file * ZIP_SIZE_FACTOR)
		return perr_set(err, s->a, PERR_LIMIT,
		                "the attachments are too large to zip");
	names = arena_new_array(s->a, const char *, n + 1);
	ents = arena_new_array(s->a, struct zip_entry, n);
	if (names == NULL || ents == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "too many attachments");
	for (i = 0; i < n; i++) {
		names[i] = unique_name(mail_view_attachment_name(v, parts[i]),
		                       names, i, s->a);
		ents[i].folder = v->folder;
		ents[i].uid = v->uid;
		ents[i].section = parts[i]->section;
		ents[i].enc =
		        mime_encoding_parse(strv_from_cstr(parts[i]->encoding));
		ents[i].name = names[i];
	}
	return build_zip(s, ents, n, tmp_dir, z, err);
}

int
mail_zip_messages(struct mail_session *s, const char *folder,
                  const struct mail_zip_item *items, size_t n,
                  const char *tmp_dir, struct mail_zip *z, struct perr *err)
{
	struct zip_entry *ents;
	uint64_t total = 0;
	size_t i;

	if (n == 0)
		return perr_set(err, s->a, PERR_NOTFOUND, "no messages");
	for (i = 0; i < n; i++)
		total += items[i].size;
	if (total > s->max_file * ZIP_SIZE_FACTOR)
		return perr_set(
		        err, s->a, PERR_LIMIT,
		        "the messages are too large for a zip (%llu "
		        "bytes, at most %llu): export them as mbox",
		        (unsigned long long)total,
		        (unsigned long long)(s->max_file * ZIP_SIZE_FACTOR));
	ents = arena_new_array(s->a, struct zip_entry, n);
	if (ents == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "too many messages");
	for (i = 0; i < n; i++) {
		ents[i].folder = folder;
		ents[i].uid = items[i].uid;
		ents[i].section = NULL;
		ents[i].enc = MIME_ENC_IDENTITY;
		ents[i].name = items[i].name;
	}
	return build_zip(s, ents, n, tmp_dir, z, err);
}
