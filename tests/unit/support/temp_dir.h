/*
 * A private directory under /tmp for a unit test's files (a store, ini
 * files, uploads), removed with everything in it afterwards. Include after
 * <cmocka.h>:
 *
 *	char dir[64];
 *	unit_temp_dir(dir, sizeof(dir), "petrel-store");
 *	...
 *	unit_temp_dir_remove(dir);
 *
 * unit_store_open()/unit_store_close() add the usual store in it.
 */
#ifndef PETREL_TESTS_UNIT_TEMP_DIR_H
#define PETREL_TESTS_UNIT_TEMP_DIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/core.h"
#include "store/store.h"

static inline int
unit_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Make /tmp/<prefix>-XXXXXX into dir (size bytes); fails the test if not. */
static inline void
unit_temp_dir(char *dir, size_t size, const char *prefix)
{
	assert_true(pt_snprintf_ok(dir, size, "/tmp/%s-XXXXXX", prefix));
	assert_non_null(mkdtemp(dir));
}

/* Remove dir and everything below it. */
static inline void
unit_temp_dir_remove(const char *dir)
{
	assert_int_equal(nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* A store in a directory of its own, with an arena for the calls. */
struct unit_store {
	char dir[64];
	char path[128];
	struct arena *a;
	struct store *s;
};

static inline void
unit_store_open(struct unit_store *u, const char *prefix)
{
	struct perr err;

	unit_temp_dir(u->dir, sizeof(u->dir), prefix);
	assert_true(pt_snprintf_ok(u->path, sizeof(u->path), "%s/petrel.db",
	                           u->dir));
	u->a = arena_create("test", 4096, 0);
	assert_int_equal(store_open(u->path, &u->s, u->a, &err), 0);
}

static inline void
unit_store_close(struct unit_store *u)
{
	store_close(&u->s);
	arena_destroy(&u->a);
	unit_temp_dir_remove(u->dir);
}

#endif
