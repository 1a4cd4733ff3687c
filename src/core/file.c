/*
 * Atomic file replacement: temp file, fsync, rename, fsync of the
 * directory. The one copy of the sequence for every file Petrel rewrites
 * in place (ini files, the credentials file, branding images).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "banned.h"

int
pt_atomic_open(struct pt_atomic_file *f, const char *path, unsigned mode,
               struct arena *a, struct perr *err)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash != NULL ? slash + 1 : path;
	int e;

	f->fd = -1;
	f->path = path;
	f->tmp = NULL;
	if (*name == '\0')
		return perr_set(err, a, PERR_INTERNAL, "%s: not a file name",
		                path);
	if (slash == NULL)
		f->dir = arena_strdup(a, ".");
	else if (slash == path)
		f->dir = arena_strdup(a, "/");
	else
		f->dir = arena_strndup(a, path, (size_t)(slash - path));
	f->tmp = arena_printf(a, "%s/.%s.XXXXXX", f->dir != NULL ? f->dir : "",
	                      name);
	if (f->dir == NULL || f->tmp == NULL) {
		f->tmp = NULL;
		return perr_set(err, a, PERR_LIMIT, "%s: out of memory", path);
	}
	/* mkostemp: O_EXCL and mode 0600 until the fchmod below. */
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0) {
		e = errno;
		f->tmp = NULL;
		/* No inode left is a full disk too (507). */
		return perr_set(err, a, perr_kind_of_errno(e),
		                "cannot create a file in %s: %s", f->dir,
		                strerror(e));
	}
	if (fchmod(f->fd, (mode_t)mode) != 0) {
		e = errno;
		pt_atomic_abort(f);
		return perr_set(err, a, PERR_INTERNAL, "%s: cannot chmod: %s",
		                path, strerror(e));
	}
	return 0;
}

void
pt_atomic_abort(struct pt_atomic_file *f)
{
	if (f->fd >= 0)
		(void)close(f->fd);
	f->fd = -1;
	if (f->tmp != NULL)
		(void)unlink(f->tmp);
	f->tmp = NULL;
}

int
pt_atomic_commit(struct pt_atomic_file *f, struct arena *a, struct perr *err)
{
	int fd = f->fd, dfd, e;

	PT_ASSERT(fd >= 0 && f->tmp != NULL);
	f->fd = -1;
	/* The data must be on disk before the name points at it. */
	if (fsync(fd) != 0) {
		e = errno;
		(void)close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		e = errno;
		goto fail;
	}
	if (rename(f->tmp, f->path) != 0) {
		e = errno;
		goto fail;
	}
	f->tmp = NULL;
	/* Make the rename itself durable. */
	dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	return 0;
fail:
	pt_atomic_abort(f);
	return perr_set(err, a, perr_kind_of_errno(e), "cannot write %s: %s",
	                f->path, strerror(e));
}

int
pt_atomic_write(const char *path, const void *p, size_t n, unsigned mode,
                struct arena *a, struct perr *err)
{
	struct pt_atomic_file f;
	int e;

	if (pt_atomic_open(&f, path, mode, a, err) != 0)
		return -1;
	if (pt_write_all(f.fd, p, n) != 0) {
		e = errno;
		pt_atomic_abort(&f);
		return perr_set(err, a, perr_kind_of_errno(e),
		                "cannot write %s: %s", path, strerror(e));
	}
	return pt_atomic_commit(&f, a, err);
}
