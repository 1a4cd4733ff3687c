/*
 * Dashboard helpers: the tail of a log file, installation warnings, and
 * the TOTP enrolment QR code.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef PETREL_HAVE_QRENCODE
#include <qrencode.h>
#endif

#include "admin.h"
#include "admin_private.h"
#include "config/config.h"
#include "core/banned.h"

#define TAIL_MAX_BYTES (256 * 1024)

int
admin_open_regular(const char *path, struct stat *st, struct arena *a,
                   struct perr *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return perr_set(err, a,
		                errno == ENOENT ? PERR_NOTFOUND : PERR_INTERNAL,
		                "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return perr_set(err, a, PERR_INTERNAL, "%s is not a file",
		                path);
	}
	return fd;
}

int
admin_tail_file(const char *path, size_t max_lines, struct arena *a,
                char ***lines_r, size_t *n_r, struct perr *err)
{
	struct stat st;
	char *buf, **lines;
	off_t start;
	ssize_t got;
	size_t len = 0, n = 0, i;
	int fd;

	*n_r = 0;
	fd = admin_open_regular(path, &st, a, err);
	if (fd < 0)
		return -1;
	start = st.st_size > TAIL_MAX_BYTES ? st.st_size - TAIL_MAX_BYTES : 0;
	buf = arena_alloc(a, TAIL_MAX_BYTES + 1);
	lines = arena_new_array(a, char *, max_lines > 0 ? max_lines : 1);
	if (buf == NULL || lines == NULL) {
		close(fd);
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	}
	while (len < TAIL_MAX_BYTES &&
	       (got = pread(fd, buf + len, TAIL_MAX_BYTES - len,
	                    start + (off_t)len)) > 0)
		len += (size_t)got;
	close(fd);
	buf[len] = '\0';
	/* Walk back from the end, collecting up to max_lines lines. */
	i = len;
	if (i > 0 && buf[i - 1] == '\n')
		buf[--i] = '\0';
	while (i > 0 && n < max_lines) {
		size_t end = i;

		while (i > 0 && buf[i - 1] != '\n')
			i--;
		if (i == 0 && start > 0)
			break; /* a partial first line: leave it out */
		lines[n++] = buf + i;
		buf[end] = '\0';
		if (i > 0)
			buf[--i] = '\0';
	}
	/* Oldest first. */
	for (i = 0; i < n / 2; i++) {
		char *t = lines[i];

		lines[i] = lines[n - 1 - i];
		lines[n - 1 - i] = t;
	}
	*lines_r = lines;
	*n_r = n;
	return 0;
}

size_t
admin_config_warnings(const struct config *cfg, const char **keys_r, size_t max)
{
	struct arena *a = arena_create("admin-warn", 1024, 0);
	struct admin_cred_record rec;
	struct perr err = {0};
	struct stat st;
	const char *cred = admin_credentials_default_path(a);
	size_t n = 0;

	/*
	 * stat only, and only as a fallback: the server never reads the file,
	 * and under the shipped unit (user petrel, ProtectHome=yes) it cannot
	 * see it at all. The record `admin init` leaves is what the dashboard
	 * shows (admin_cred_record_read); this catches a file at the default
	 * path without one, seen by a server running unconfined as root.
	 */
	if (admin_cred_record_read(cfg->paths.configs_dir, a, &rec, &err) !=
	            0 ||
	    rec.found)
		cred = NULL;
	if (n < max && cred != NULL && lstat(cred, &st) == 0)
		keys_r[n++] = "L_ADMIN_WARN_CREDENTIALS_FILE";
	if (n < max && stat(cfg->paths.data_dir, &st) == 0 &&
	    (st.st_mode & S_IROTH) != 0 &&
	    stat(cfg->paths.configs_dir, &st) == 0 &&
	    (st.st_mode & (S_IROTH | S_IXOTH)) != 0)
		keys_r[n++] = "L_ADMIN_WARN_DATA_READABLE";
	else if (n < max && stat(cfg->paths.configs_dir, &st) == 0 &&
	         (st.st_mode & S_IROTH) != 0)
		keys_r[n++] = "L_ADMIN_WARN_DATA_READABLE";
	if (n < max && !cfg->security.force_https)
		keys_r[n++] = "L_ADMIN_WARN_NO_FORCE_HTTPS";
	if (n < max && cfg->security.admin_totp[0] == '\0')
		keys_r[n++] = "L_ADMIN_WARN_NO_TOTP";
	arena_destroy(&a);
	return n;
}

char *
admin_qr_svg(const char *text, struct arena *a)
{
#ifdef PETREL_HAVE_QRENCODE
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	struct sbuf b;
	int x, y, w, border = 4;

	if (qr == NULL)
		return NULL;
	w = qr->width;
	sbuf_init(&b, a, 8192, 256 * 1024);
	sbuf_printf(
	        &b,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
	        "%d %d\" shape-rendering=\"crispEdges\"><rect width=\"100%%\" "
	        "height=\"100%%\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	        w + 2 * border, w + 2 * border);
	for (y = 0; y < w; y++)
		for (x = 0; x < w; x++)
			if (qr->data[y * w + x] & 1)
				sbuf_printf(&b, "M%d %dh1v1h-1z", x + border,
				            y + border);
	sbuf_append_cstr(&b, "\"/></svg>");
	QRcode_free(qr);
	if (!sbuf_ok(&b))
		return NULL;
	return arena_strndup(a, b.data, b.len);
#else
	(void)text;
	(void)a;
	return NULL;
#endif
}
