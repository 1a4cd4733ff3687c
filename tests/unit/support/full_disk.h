/*
 * A full disk for unit tests: a tiny tmpfs mounted in a mount namespace of
 * the test process's own, then filled to the brim, so writes fail with
 * ENOSPC exactly as on a full data partition. The namespace dies with the
 * process, so the mount goes away on every exit path (a failed assert
 * included); full_disk_release() also unmounts it at once.
 *
 * Needs root (CAP_SYS_ADMIN); full_disk_make() returns NULL with the
 * reason in *why where mounting is not allowed, and the test skips.
 */
#ifndef PETREL_TESTS_UNIT_FULL_DISK_H
#define PETREL_TESTS_UNIT_FULL_DISK_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static char full_disk_dir[64];

/* Mount an empty 256 KiB tmpfs on a fresh directory; NULL: skip. */
static const char *
full_disk_make(const char **why)
{
	snprintf(full_disk_dir, sizeof(full_disk_dir), "%s",
	         "/tmp/petrel-full-XXXXXX");
	if (mkdtemp(full_disk_dir) == NULL) {
		*why = "mkdtemp failed";
		return NULL;
	}
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("petrel-full", full_disk_dir, "tmpfs", MS_NOSUID | MS_NODEV,
	          "size=256k,mode=0755") != 0) {
		*why = "mounting a tmpfs is not allowed here (needs root)";
		(void)rmdir(full_disk_dir);
		return NULL;
	}
	return full_disk_dir;
}

/*
 * Fill it to the brim: new (empty) files and directories still fit, not
 * one more data page. Returns 0, or -1 if the filler cannot be made.
 */
static int
full_disk_fill(void)
{
	static char zero[4096];
	char filler[128];
	int fd;

	snprintf(filler, sizeof(filler), "%s/filler", full_disk_dir);
	fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (write(fd, zero, sizeof(zero)) > 0)
		;
	/* Page by page filled it; a last partial page would still fit. */
	while (write(fd, zero, 1) > 0)
		;
	(void)close(fd);
	return 0;
}

/* Make room again (what an admin does before retrying). */
static void
full_disk_free(void)
{
	char filler[128];

	snprintf(filler, sizeof(filler), "%s/filler", full_disk_dir);
	(void)unlink(filler);
}

static void
full_disk_release(void)
{
	(void)umount2(full_disk_dir, MNT_DETACH);
	(void)rmdir(full_disk_dir);
}

#endif
