/* Shared inside src/store only. */
#ifndef PETREL_STORE_PRIVATE_H
#define PETREL_STORE_PRIVATE_H

#include "store/store.h"

/* migrations/NNNN_name.sql; version = index + 1. */
struct store_migration {
	const char *name;
	const char *sql;
};

/* Embedded at build time (store_migrations.c), in file-name order. */
extern const struct store_migration store_migrations[];
extern const size_t store_migration_count;

/*
 * "%q%" with q's LIKE wildcards escaped (use with ESCAPE '\\'): matches
 * q literally anywhere. In a; NULL when out of memory.
 */
const char *store_like_pattern(const char *q, struct arena *a);

/*
 * The address suggestions of sql, whose parameters are ?1 user, ?2 the
 * LIKE pattern of q and ?3 limit and whose rows are (email, name).
 */
int store_suggest_query(struct store *s, const char *sql, const char *user,
                        const char *q, size_t limit, struct arena *a,
                        struct store_recipient **list_r, size_t *n_r,
                        struct perr *err) PT_WARN_UNUSED;

#endif
