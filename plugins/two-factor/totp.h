/*
 * two-factor/totp.h - the arithmetic of the second factor, kept apart from
 * storage and hooks so the unit tests can check it against RFC 6238.
 *
 * TOTP: RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, 30-second steps, 6
 * digits, one step of clock drift either way. Recovery codes: 10 random
 * characters of Crockford's base32 (50 bits), shown as "xxxxx-xxxxx",
 * stored only as PBKDF2-HMAC-SHA-256 under a per-user salt.
 */
#ifndef TWO_FACTOR_TOTP_H
#define TWO_FACTOR_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TOTP_STEP = 30,
	TOTP_SECRET_BYTES = 20,
	TOTP_SECRET_B32 = 32,   /* base32 of 20 bytes, no padding */
	RECOVERY_CHARS = 10,    /* "xxxxx-xxxxx" */
	RECOVERY_TEXT = 12,     /* with the dash and NUL */
	RECOVERY_HASH_HEX = 64, /* SHA-256 */
	RECOVERY_SALT_HEX = 32,
	RECOVERY_ITERATIONS = 20000,
};

/* Unpadded RFC 4648 base32 of n bytes into out (2 * n + 1 bytes is
 * plenty); false if it does not fit. */
bool tf_base32_encode(const unsigned char *in, size_t n, char *out,
                      size_t outsz);
/* Decode base32 (case, spaces and '=' ignored); -1 when not base32. */
int tf_base32_decode(const char *in, unsigned char *out, size_t outsz,
                     size_t *n_r);

/* A new secret as base32 (TOTP_SECRET_B32 chars and NUL); false if the
 * random source failed. */
bool tf_secret_new(char out[TOTP_SECRET_B32 + 1]);

/* HOTP value of counter with `digits` digits (6..8); -1 on a bad secret. */
int tf_hotp(const unsigned char *key, size_t keylen, uint64_t counter,
            int digits, uint32_t *code_r);
/* The TOTP code at unix time t; -1 when secret_b32 is not base32. */
int tf_totp(const char *secret_b32, int64_t t, int digits, uint32_t *code_r);

/*
 * Whether code (exactly 6 digits, spaces allowed) is the code of a step
 * within one of now's that is newer than last_step. *step_r is the step
 * that matched: store it as the new last_step so it is never replayed.
 */
bool tf_totp_check(const char *secret_b32, const char *code, int64_t now,
                   int64_t last_step, int64_t *step_r);

/* A new recovery code "xxxxx-xxxxx"; false if the random source failed. */
bool tf_recovery_new(char out[RECOVERY_TEXT]);
/* The 10 characters a typed code stands for (case, dashes and spaces
 * ignored; o→0, i/l→1), or false when it cannot be a recovery code. */
bool tf_recovery_normalize(const char *typed, char out[RECOVERY_CHARS + 1]);
/* PBKDF2 of a normalised code under salt_hex, as lowercase hex. */
bool tf_recovery_hash(const char *normalized, const char *salt_hex,
                      char out[RECOVERY_HASH_HEX + 1]);
/* A random salt as hex. */
bool tf_salt_new(char out[RECOVERY_SALT_HEX + 1]);
/* Constant-time equality of two NUL-terminated strings of equal length. */
bool tf_equal(const char *a, const char *b);

#endif
