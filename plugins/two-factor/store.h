/*
 * two-factor/store.h - one small JSON file per user in the plugin's data
 * directory, named by the SHA-256 of the lowercased address (the listing
 * shows no addresses). Every read-modify-write holds an flock on the
 * user's lock file, so two sign-ins racing with one code cannot both use
 * it; every write is a temporary file, fsync, rename (mode 0600).
 */
#ifndef TWO_FACTOR_STORE_H
#define TWO_FACTOR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "totp.h"

enum { TF_CODES = 10 };

struct tf_user {
	bool enabled;
	char secret[TOTP_SECRET_B32 + 1];  /* in use when enabled */
	char pending[TOTP_SECRET_B32 + 1]; /* being enrolled, or "" */
	int64_t last_step;                 /* newest TOTP step accepted */
	char salt[RECOVERY_SALT_HEX + 1];
	char codes[TF_CODES][RECOVERY_HASH_HEX + 1]; /* unused ones */
	size_t n_codes;
};

struct tf_lock {
	int fd;
	char path[4096]; /* the user's file */
};

/* Lock the user's record (blocking); -1 with errno on failure. */
int tf_store_lock(const char *dir, const char *email, struct tf_lock *lk);
void tf_store_unlock(struct tf_lock *lk);
/* 0 read, 1 no record (u zeroed), -1 unreadable or malformed. */
int tf_store_read(const struct tf_lock *lk, struct tf_user *u);
int tf_store_write(const struct tf_lock *lk, const struct tf_user *u);
/* Remove the record; 0 also when there was none. */
int tf_store_delete(const struct tf_lock *lk);
/* Wipe u (it holds the secret). */
void tf_user_clear(struct tf_user *u);

#endif
