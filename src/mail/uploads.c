/*
 * Uploads: files under storage/uploads/, one row each in the store,
 * owned by the session that made them. They die with their session: the
 * caller sweeps the files of sessions that ended (mail_uploads_sweep).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail_private.h"
#include "core/banned.h"

#define UPLOAD_SWEEP_MAX 200

void
mail_uploads_sweep(struct mail_session *s, const char *session_hash)
{
	struct store_upload *v;
	struct perr err = {0};
	size_t n, i;

	if (store_upload_stale(s->store, session_hash, pt_now_unix(),
	                       UPLOAD_SWEEP_MAX, s->a, &v, &n, &err) != 0) {
		log_warn("uploads: sweep failed: %s",
		         err.msg != NULL ? err.msg : "?");
		return;
	}
	for (i = 0; i < n; i++) {
		if (unlink(v[i].path) != 0 && errno != ENOENT)
			log_warn("uploads: cannot remove %s: %s", v[i].path,
			         strerror(errno));
		if (store_upload_delete(s->store, v[i].id, s->a, &err) != 0)
			log_warn("uploads: %s", err.msg);
	}
}

static int
copy_file(const char *from, int to_fd, struct perr *err, struct arena *a)
{
	char buf[64 * 1024];
	int fd = open(from, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return perr_set(err, a, PERR_INTERNAL, "open %s: %s", from,
		                strerror(errno));
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		if (pt_write_all(to_fd, buf, (size_t)got) != 0) {
			int e = errno;

			close(fd);
			/* A full disk is 507, not a bug. */
			return perr_set(err, a, perr_kind_of_errno(e),
			                "write upload: %s", strerror(e));
		}
	close(fd);
	if (got < 0)
		return perr_set(err, a, PERR_INTERNAL, "read %s: %s", from,
		                strerror(errno));
	return 0;
}

const char *
mail_clean_type(struct strv t, struct arena *a)
{
	size_t i, slash = 0;
	char *out;

	t = strv_trim(t);
	for (i = 0; i < t.len; i++) {
		char c = t.p[i];

		if (c == ';')
			break;
		if (c == '/')
			slash++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || strchr("!#$&-^_.+", c)))
			return "application/octet-stream";
	}
	if (slash != 1 || i < 3 || t.p[0] == '/' || t.p[i - 1] == '/')
		return "application/octet-stream";
	out = arena_strndup(a, t.p, i);
	for (i = 0; out[i] != '\0'; i++)
		out[i] = pt_ascii_tolower(out[i]);
	return out;
}

static int
too_large(struct mail_session *s, bool total, struct perr *err)
{
	s->why = total ? MAIL_WHY_UPLOAD_TOTAL : MAIL_WHY_UPLOAD_FILE;
	return perr_set(
	        err, s->a, PERR_LIMIT,
	        total ? "the attachments together are over %llu MB"
	              : "the file is over %llu MB",
	        (unsigned long long)((total ? s->max_total : s->max_file) >>
	                             20));
}

/* Write the bytes to the new file fd (closed here in every case). */
static int
fill_file(struct mail_session *s, int fd, struct strv data,
          const char *src_path, struct perr *err)
{
	int rc;

	if (src_path != NULL)
		rc = copy_file(src_path, fd, err, s->a);
	else if (pt_write_all(fd, data.p, data.len) != 0)
		rc = perr_set(err, s->a, perr_kind_of_errno(errno),
		              "write upload: %s", strerror(errno));
	else
		rc = 0;
	if (close(fd) != 0 && rc == 0)
		rc = perr_set(err, s->a, perr_kind_of_errno(errno),
		              "close upload: %s", strerror(errno));
	return rc;
}

int
mail_upload_store(struct mail_session *s, const char *name, const char *type,
                  struct strv data, const char *src_path, uint64_t size,
                  struct mail_upload *u_r, struct perr *err)
{
	struct store_upload u;
	int fd;

	if (size > s->max_file)
		return too_large(s, false, err);
	if (mkdir(s->uploads_dir, 0700) != 0 && errno != EEXIST)
		return perr_set(err, s->a, PERR_INTERNAL, "mkdir %s: %s",
		                s->uploads_dir, strerror(errno));
	memset(&u, 0, sizeof(u));
	u.id = pt_random_hex(s->a, 16);
	u.user = s->user;
	u.session_hash = s->session_hash;
	u.name = mime_filename_clean(name, "attachment", s->a);
	u.type =
	        mail_clean_type(strv_from_cstr(type != NULL ? type : ""), s->a);
	u.size = size;
	u.created = pt_now_unix();
	u.path = arena_printf(s->a, "%s/%s", s->uploads_dir, u.id);
	fd = open(u.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return perr_set(err, s->a, perr_kind_of_errno(errno),
		                "create %s: %s", u.path, strerror(errno));
	if (fill_file(s, fd, data, src_path, err) != 0 ||
	    store_upload_add(s->store, &u, s->max_total, s->a, err) != 0) {
		(void)unlink(u.path);
		if (err->kind == PERR_LIMIT)
			return too_large(s, true, err);
		return -1;
	}
	u_r->id = u.id;
	u_r->name = u.name;
	u_r->type = u.type;
	u_r->size = u.size;
	return 0;
}

int
mail_upload_delete(struct mail_session *s, const char *id, struct perr *err)
{
	struct store_upload u;

	if (store_upload_get(s->store, s->session_hash, id, s->a, &u, err) != 0)
		return -1;
	(void)unlink(u.path);
	return store_upload_delete(s->store, u.id, s->a, err);
}
