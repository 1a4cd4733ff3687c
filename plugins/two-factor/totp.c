/*
 * two-factor/totp.c - TOTP codes and recovery codes (see totp.h).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "totp.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/* Crockford's base32: no I, L, O or U to misread. */
static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

bool
tf_base32_encode(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;
	unsigned buf = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			if (o + 1 >= outsz)
				return false;
			out[o++] = b32_alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) {
		if (o + 1 >= outsz)
			return false;
		out[o++] = b32_alphabet[(buf << (5 - bits)) & 31];
	}
	out[o] = '\0';
	return true;
}

int
tf_base32_decode(const char *in, unsigned char *out, size_t outsz, size_t *n_r)
{
	unsigned buf = 0;
	int bits = 0;
	size_t o = 0;
	const char *p;

	for (p = in; *p != '\0'; p++) {
		char c = *p;
		const char *hit;

		if (c == ' ' || c == '=' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		hit = strchr(b32_alphabet, c);
		if (hit == NULL || c == '\0')
			return -1;
		buf = (buf << 5) | (unsigned)(hit - b32_alphabet);
		bits += 5;
		if (bits >= 8) {
			if (o == outsz)
				return -1;
			out[o++] = (unsigned char)((buf >> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	*n_r = o;
	return o > 0 ? 0 : -1;
}

bool
tf_secret_new(char out[TOTP_SECRET_B32 + 1])
{
	unsigned char key[TOTP_SECRET_BYTES];
	bool ok;

	if (RAND_bytes(key, sizeof(key)) != 1)
		return false;
	ok = tf_base32_encode(key, sizeof(key), out, TOTP_SECRET_B32 + 1);
	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}

int
tf_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits,
        uint32_t *code_r)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0, off;
	uint32_t bin, mod = 1;
	int i;

	if (digits < 6 || digits > 8 || keylen == 0)
		return -1;
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac,
	         &maclen) == NULL ||
	    maclen < 20)
		return -1;
	/* RFC 4226 5.3: dynamic truncation. */
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) |
	      ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
	      (uint32_t)mac[off + 3];
	for (i = 0; i < digits; i++)
		mod *= 10;
	*code_r = bin % mod;
	return 0;
}

int
tf_totp(const char *secret_b32, int64_t t, int digits, uint32_t *code_r)
{
	unsigned char key[64];
	size_t n;
	int rc;

	if (t < 0 || tf_base32_decode(secret_b32, key, sizeof(key), &n) != 0)
		return -1;
	rc = tf_hotp(key, n, (uint64_t)(t / TOTP_STEP), digits, code_r);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

bool
tf_totp_check(const char *secret_b32, const char *code, int64_t now,
              int64_t last_step, int64_t *step_r)
{
	uint32_t want = 0, got;
	int digits = 0, d;
	const char *p;
	bool ok = false;

	for (p = code; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (*p < '0' || *p > '9' || digits == 6)
			return false;
		want = want * 10 + (uint32_t)(*p - '0');
		digits++;
	}
	if (digits != 6)
		return false;
	/* Newest first, so the step remembered is the latest that matched. */
	for (d = 1; d >= -1; d--) {
		int64_t step = now / TOTP_STEP + d;

		if (step <= last_step || step < 0)
			continue;
		if (tf_totp(secret_b32, step * TOTP_STEP, 6, &got) != 0)
			return false;
		/* Every candidate is computed, matched or not. */
		if (got == want && !ok) {
			ok = true;
			*step_r = step;
		}
	}
	return ok;
}

bool
tf_recovery_new(char out[RECOVERY_TEXT])
{
	unsigned char r[RECOVERY_CHARS];
	size_t i, o = 0;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return false;
	for (i = 0; i < RECOVERY_CHARS; i++) {
		if (i == RECOVERY_CHARS / 2)
			out[o++] = '-';
		out[o++] = crockford[r[i] & 31];
	}
	out[o] = '\0';
	return true;
}

bool
tf_recovery_normalize(const char *typed, char out[RECOVERY_CHARS + 1])
{
	size_t o = 0;
	const char *p;

	for (p = typed; *p != '\0'; p++) {
		char c = *p;

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == 'o')
			c = '0';
		else if (c == 'i' || c == 'l')
			c = '1';
		if (c == '\0' || strchr(crockford, c) == NULL ||
		    o == RECOVERY_CHARS)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return o == RECOVERY_CHARS;
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

bool
tf_recovery_hash(const char *normalized, const char *salt_hex,
                 char out[RECOVERY_HASH_HEX + 1])
{
	unsigned char dk[RECOVERY_HASH_HEX / 2];

	if (strlen(normalized) != RECOVERY_CHARS ||
	    strlen(salt_hex) != RECOVERY_SALT_HEX)
		return false;
	if (PKCS5_PBKDF2_HMAC(normalized, RECOVERY_CHARS,
	                      (const unsigned char *)salt_hex,
	                      RECOVERY_SALT_HEX, RECOVERY_ITERATIONS,
	                      EVP_sha256(), sizeof(dk), dk) != 1)
		return false;
	hex(dk, sizeof(dk), out);
	return true;
}

bool
tf_salt_new(char out[RECOVERY_SALT_HEX + 1])
{
	unsigned char s[RECOVERY_SALT_HEX / 2];

	if (RAND_bytes(s, sizeof(s)) != 1)
		return false;
	hex(s, sizeof(s), out);
	return true;
}

bool
tf_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}
