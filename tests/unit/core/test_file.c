/* core's atomic file replacement (src/core/file.c). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"

#include "../support/unit_arena.h"

static char dir[] = "/tmp/petrel-test-file.XXXXXX";

static int
setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	return unit_arena_setup(state);
}

static int
teardown(void **state)
{
	char *cmd = arena_printf(A, "rm -rf '%s'", dir);

	if (cmd == NULL || system(cmd) != 0)
		return -1;
	return unit_arena_teardown(state);
}

static const char *
in_dir(const char *name)
{
	return arena_printf(A, "%s/%s", dir, name);
}

static char *
slurp(const char *path)
{
	char buf[256];
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	return arena_strndup(A, buf, n);
}

/* Entries in dir whose names start with '.', other than . and .. */
static unsigned
temp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_creates_and_replaces(void **state)
{
	const char *path = in_dir("a.ini");
	struct perr err = {0};
	struct stat st;

	(void)state;
	assert_int_equal(pt_atomic_write(path, "one\n", 4, 0640, A, &err), 0);
	assert_string_equal(slurp(path), "one\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* Replaced whole, with the new mode (the umask does not apply). */
	assert_int_equal(pt_atomic_write(path, "two", 3, 0604, A, &err), 0);
	assert_string_equal(slurp(path), "two");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(pt_atomic_write(path, "", 0, 0600, A, &err), 0);
	assert_string_equal(slurp(path), "");
	assert_int_equal(temp_files(), 0);
}

static void
test_symlink_is_replaced_not_followed(void **state)
{
	const char *target = in_dir("target");
	const char *link = in_dir("link");
	struct perr err = {0};
	struct stat st;

	(void)state;
	assert_int_equal(pt_atomic_write(target, "keep", 4, 0600, A, &err), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(pt_atomic_write(link, "new", 3, 0600, A, &err), 0);
	assert_string_equal(slurp(target), "keep");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(slurp(link), "new");
}

static void
test_missing_directory_fails_cleanly(void **state)
{
	const char *path = in_dir("no/such/dir/x");
	struct perr err = {0};

	(void)state;
	assert_int_equal(pt_atomic_write(path, "x", 1, 0600, A, &err), -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	assert_non_null(strstr(err.msg, "cannot create a file in"));
	assert_int_equal(access(path, F_OK), -1);
}

static void
test_failed_rename_keeps_target_and_removes_temp(void **state)
{
	const char *path = in_dir("busy");
	struct perr err = {0};

	(void)state;
	/* A non-empty directory cannot be renamed over. */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(
	        pt_atomic_write(in_dir("busy/inside"), "i", 1, 0600, A, &err),
	        0);
	assert_int_equal(pt_atomic_write(path, "x", 1, 0600, A, &err), -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	assert_non_null(strstr(err.msg, "busy"));
	assert_string_equal(slurp(in_dir("busy/inside")), "i");
	assert_int_equal(temp_files(), 0);
}

static void
test_two_phase_and_abort(void **state)
{
	const char *path = in_dir("two.txt");
	struct pt_atomic_file f;
	struct perr err = {0};

	(void)state;
	assert_int_equal(pt_atomic_write(path, "old", 3, 0600, A, &err), 0);
	/* Abort: the old file stays, the temp file goes. */
	assert_int_equal(pt_atomic_open(&f, path, 0600, A, &err), 0);
	assert_true(f.fd >= 0);
	assert_int_equal(pt_write_all(f.fd, "half", 4), 0);
	assert_int_equal(temp_files(), 1);
	pt_atomic_abort(&f);
	assert_int_equal(f.fd, -1);
	pt_atomic_abort(&f); /* a second abort is a no-op */
	assert_int_equal(temp_files(), 0);
	assert_string_equal(slurp(path), "old");
	/* Until the commit readers see the old content. */
	assert_int_equal(pt_atomic_open(&f, path, 0600, A, &err), 0);
	assert_int_equal(pt_write_all(f.fd, "new", 3), 0);
	assert_string_equal(slurp(path), "old");
	assert_int_equal(pt_atomic_commit(&f, A, &err), 0);
	assert_int_equal(f.fd, -1);
	assert_string_equal(slurp(path), "new");
	assert_int_equal(temp_files(), 0);
}

static void
test_bad_path_is_refused(void **state)
{
	struct pt_atomic_file f;
	struct perr err = {0};

	(void)state;
	assert_int_equal(pt_atomic_open(&f, in_dir(""), 0600, A, &err), -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	assert_int_equal(f.fd, -1);
	assert_int_equal(temp_files(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_write_creates_and_replaces),
	        cmocka_unit_test(test_symlink_is_replaced_not_followed),
	        cmocka_unit_test(test_missing_directory_fails_cleanly),
	        cmocka_unit_test(
	                test_failed_rename_keeps_target_and_removes_temp),
	        cmocka_unit_test(test_two_phase_and_abort),
	        cmocka_unit_test(test_bad_path_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
