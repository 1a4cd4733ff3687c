/*
 * Hashes of the admin secrets, generated credentials, the checks the web
 * panel and `admin init` share, and TOTP.
 */
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "admin.h"
#include "config/config.h"
#include "core/banned.h"

#define SALT_LEN 16
#define DK_LEN 32

/* scrypt: N = 2^15, r = 8, p = 1 needs 32 MB (128 * r * N bytes). */
#define SCRYPT_N 32768u
#define SCRYPT_R 8u
#define SCRYPT_P 1u
#define SCRYPT_MAXMEM (128u * 1024 * 1024)
#define SCRYPT_N_MAX (1u << 20)
#define SCRYPT_R_MAX 32u
#define SCRYPT_P_MAX 16u

#define PBKDF2_ITER_MAX 10000000u

/*
 * What a check runs against when nothing usable is configured: the same
 * parameters as a real hash, so it costs the same. The derived value is
 * all zeros, which no secret produces in practice, and the result is
 * false regardless.
 */
static const char dummy_password[] =
        "$scrypt$32768$8$1$00000000000000000000000000000000$"
        "0000000000000000000000000000000000000000000000000000000000000000";

/* Decode exactly out_len bytes of hex from s; false on any mismatch. */
static bool
hex_decode_exact(struct strv s, unsigned char *out, size_t out_len)
{
	size_t i;

	if (s.len != out_len * 2)
		return false;
	for (i = 0; i < out_len; i++) {
		int v = codec_hex_pair(s.p + 2 * i);

		if (v < 0)
			return false;
		out[i] = (unsigned char)v;
	}
	return true;
}

/* Split s at '$' into at most max fields; returns the count. */
static size_t
split_fields(struct strv s, struct strv *f, size_t max)
{
	size_t n = 0;
	struct strv rest = s, left;

	while (n < max) {
		/* Without a '$', left is all that remained. */
		if (!strv_split_once(rest, '$', &left, &rest)) {
			f[n++] = left;
			return n;
		}
		f[n++] = left;
	}
	return n + 1; /* too many */
}

struct parsed_hash {
	enum admin_hash_kind kind;
	uint64_t n, r, p, iter;
	unsigned char salt[SALT_LEN], dk[DK_LEN];
};

static bool
parse_hash(enum admin_hash_kind kind, const char *text, struct parsed_hash *h)
{
	struct strv f[8];
	size_t n;

	if (text == NULL)
		return false;
	n = split_fields(strv_from_cstr(text), f, PT_NELEM(f));
	h->kind = kind;
	if (kind == ADMIN_HASH_PASSWORD) {
		/* "", "scrypt", N, r, p, salt, hash */
		return n == 7 && f[0].len == 0 &&
		       strv_eq_cstr(f[1], "scrypt") &&
		       pt_parse_u64(f[2], SCRYPT_N_MAX, &h->n) && h->n >= 2 &&
		       (h->n & (h->n - 1)) == 0 &&
		       pt_parse_u64(f[3], SCRYPT_R_MAX, &h->r) && h->r >= 1 &&
		       pt_parse_u64(f[4], SCRYPT_P_MAX, &h->p) && h->p >= 1 &&
		       hex_decode_exact(f[5], h->salt, SALT_LEN) &&
		       hex_decode_exact(f[6], h->dk, DK_LEN);
	}
	/* "pbkdf2-sha256", iter, salt, hash */
	return n == 4 && strv_eq_cstr(f[0], "pbkdf2-sha256") &&
	       pt_parse_u64(f[1], PBKDF2_ITER_MAX, &h->iter) &&
	       h->iter >= 1000 && hex_decode_exact(f[2], h->salt, SALT_LEN) &&
	       hex_decode_exact(f[3], h->dk, DK_LEN);
}

/*
 * The panel key: "hmac-sha256$<mac key hex>$<mac hex>", HMAC-SHA256 under
 * a random 32-byte key of this install's own. The key is checked on every
 * request that carries a query, so it must cost next to nothing: it is a
 * hiding place for the sign-in page, not a password (the admin password
 * and TOTP guard the panel), and a MAC does not let anyone who sees the
 * stored value use it in the URL without guessing.
 */
#define KEY_MAC_PREFIX "hmac-sha256$"
#define KEY_MAC_LEN 32

struct parsed_key_mac {
	unsigned char key[KEY_MAC_LEN], mac[DK_LEN];
};

static bool
parse_key_mac(const char *text, struct parsed_key_mac *m)
{
	struct strv f[4];

	return text != NULL &&
	       split_fields(strv_from_cstr(text), f, PT_NELEM(f)) == 3 &&
	       strv_eq_cstr(f[0], "hmac-sha256") &&
	       hex_decode_exact(f[1], m->key, KEY_MAC_LEN) &&
	       hex_decode_exact(f[2], m->mac, DK_LEN);
}

static bool
key_mac(const unsigned char key[KEY_MAC_LEN], struct strv secret,
        unsigned char out[DK_LEN])
{
	unsigned len = 0;

	return HMAC(EVP_sha256(), key, KEY_MAC_LEN,
	            (const unsigned char *)(secret.p != NULL ? secret.p : ""),
	            secret.len, out, &len) != NULL &&
	       len == DK_LEN;
}

bool
admin_key_hash_is_legacy(const char *hash)
{
	return hash != NULL && strncmp(hash, "pbkdf2-sha256$", 14) == 0;
}

bool
admin_key_hash_is_known(const char *hash)
{
	return admin_key_hash_is_legacy(hash) ||
	       (hash != NULL &&
	        strncmp(hash, KEY_MAC_PREFIX, sizeof(KEY_MAC_PREFIX) - 1) == 0);
}

static bool
derive(const struct parsed_hash *h, struct strv secret,
       unsigned char out[DK_LEN])
{
	if (h->kind == ADMIN_HASH_PASSWORD)
		return EVP_PBE_scrypt(secret.p != NULL ? secret.p : "",
		                      secret.len, h->salt, SALT_LEN, h->n, h->r,
		                      h->p, SCRYPT_MAXMEM, out, DK_LEN) == 1;
	return PKCS5_PBKDF2_HMAC(secret.p != NULL ? secret.p : "",
	                         (int)secret.len, h->salt, SALT_LEN,
	                         (int)h->iter, EVP_sha256(), DK_LEN, out) == 1;
}

int
admin_hash(enum admin_hash_kind kind, struct strv secret, struct arena *a,
           char **hash_r, struct perr *err)
{
	struct parsed_hash h = {0};
	struct parsed_key_mac m;
	char *salt_hex, *dk_hex;

	if (kind == ADMIN_HASH_KEY) {
		pt_random_bytes(m.key, KEY_MAC_LEN);
		if (!key_mac(m.key, secret, m.mac))
			return perr_set(err, a, PERR_INTERNAL,
			                "HMAC failed (OpenSSL)");
		salt_hex = codec_hex_encode(a, m.key, KEY_MAC_LEN);
		dk_hex = codec_hex_encode(a, m.mac, DK_LEN);
		OPENSSL_cleanse(&m, sizeof(m));
		*hash_r = salt_hex != NULL && dk_hex != NULL
		                  ? arena_printf(a, KEY_MAC_PREFIX "%s$%s",
		                                 salt_hex, dk_hex)
		                  : NULL;
		if (*hash_r == NULL)
			return perr_set(err, a, PERR_LIMIT, "out of memory");
		return 0;
	}
	h.kind = kind;
	h.n = SCRYPT_N;
	h.r = SCRYPT_R;
	h.p = SCRYPT_P;
	pt_random_bytes(h.salt, SALT_LEN);
	if (!derive(&h, secret, h.dk))
		return perr_set(err, a, PERR_INTERNAL,
		                "key derivation failed (OpenSSL)");
	salt_hex = codec_hex_encode(a, h.salt, SALT_LEN);
	dk_hex = codec_hex_encode(a, h.dk, DK_LEN);
	OPENSSL_cleanse(&h, sizeof(h));
	if (salt_hex == NULL || dk_hex == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	*hash_r = arena_printf(a, "$scrypt$%u$%u$%u$%s$%s", SCRYPT_N, SCRYPT_R,
	                       SCRYPT_P, salt_hex, dk_hex);
	if (*hash_r == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	return 0;
}

/*
 * SnappyMail's admin password: PHP password_hash() bcrypt, "$2y$NN$" and
 * 53 characters of salt and hash ($2b$ and $2a$ are the same algorithm).
 * Costs above 16 (over a minute here) are refused like oversized scrypt
 * parameters.
 */
static bool
is_bcrypt(const char *hash)
{
	size_t i;

	if (hash == NULL || strlen(hash) != 60 || hash[0] != '$' ||
	    hash[1] != '2' || strchr("aby", hash[2]) == NULL ||
	    hash[3] != '$' || hash[6] != '$')
		return false;
	if (hash[4] < '0' || hash[4] > '1' || hash[5] < '0' || hash[5] > '9' ||
	    (hash[4] - '0') * 10 + (hash[5] - '0') < 4 ||
	    (hash[4] - '0') * 10 + (hash[5] - '0') > 16)
		return false;
	for (i = 7; i < 60; i++)
		if (strchr("./"
		           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy"
		           "z"
		           "0123456789",
		           hash[i]) == NULL)
			return false;
	return true;
}

static bool
bcrypt_verify(const char *hash, struct strv secret)
{
	struct crypt_data *cd = pt_xcalloc(1, sizeof(*cd));
	char *pw;
	const char *out;
	bool ok;

	/* crypt wants a C string: a NUL inside the secret cannot match. */
	pw = pt_xstrndup(secret.p != NULL ? secret.p : "", secret.len);
	out = crypt_rn(pw, hash, cd, (int)sizeof(*cd));
	ok = out != NULL && strlen(out) == 60 &&
	     CRYPTO_memcmp(out, hash, 60) == 0 && strlen(pw) == secret.len;
	OPENSSL_cleanse(pw, secret.len);
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(pw);
	free(cd);
	return ok;
}

bool
admin_hash_is_bcrypt(const char *hash)
{
	return is_bcrypt(hash);
}

bool
admin_hash_verify(enum admin_hash_kind kind, const char *hash,
                  struct strv secret)
{
	struct parsed_hash h;
	struct parsed_key_mac m;
	unsigned char out[DK_LEN];
	bool real, ok;

	if (kind == ADMIN_HASH_PASSWORD && is_bcrypt(hash))
		return bcrypt_verify(hash, secret);
	if (kind == ADMIN_HASH_KEY && !admin_key_hash_is_legacy(hash)) {
		/* One HMAC: cheap enough that no dummy is worth running. */
		ok = parse_key_mac(hash, &m) && key_mac(m.key, secret, out) &&
		     CRYPTO_memcmp(out, m.mac, DK_LEN) == 0;
		OPENSSL_cleanse(out, sizeof(out));
		OPENSSL_cleanse(&m, sizeof(m));
		return ok;
	}
	real = parse_hash(kind, hash, &h);
	if (!real && kind == ADMIN_HASH_KEY)
		return false; /* a damaged legacy hash: nothing to run */
	if (!real)
		PT_ASSERT(parse_hash(kind, dummy_password, &h));
	ok = derive(&h, secret, out) && CRYPTO_memcmp(out, h.dk, DK_LEN) == 0;
	OPENSSL_cleanse(out, sizeof(out));
	return ok && real;
}

/* ---- generated credentials ------------------------------------------- */

char *
admin_generate_name(struct arena *a)
{
	char *hex = pt_random_hex(a, 4);

	return hex != NULL ? arena_printf(a, "admin_%s", hex) : NULL;
}

char *
admin_generate_password(struct arena *a)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "abcdefghijklmnopqrstuvwxyz0123456789";
	char *pw = arena_alloc(a, 17);
	size_t n = 0;
	unsigned char b;

	if (pw == NULL)
		return NULL;
	while (n < 16) {
		pt_random_bytes(&b, 1);
		/* 248 = 4 * 62: drop the rest so every symbol is as likely. */
		if (b >= 248)
			continue;
		pw[n++] = alphabet[b % 62];
	}
	pw[n] = '\0';
	return pw;
}

/* ---- the checks ------------------------------------------------------ */

bool
admin_panel_enabled(const struct config *cfg)
{
	/* SnappyMail's [security] allow_admin_panel = Off still holds. */
	return cfg->admin_panel.allow && cfg->security.allow_admin_panel &&
	       cfg->admin_panel.key[0] != '\0' &&
	       cfg->security.admin_password[0] != '\0' &&
	       cfg->security.admin_login[0] != '\0';
}

bool
admin_key_verify(const struct config *cfg, struct strv key)
{
	/* Off: nothing to compare, and nothing to pay. */
	return admin_panel_enabled(cfg) &&
	       admin_hash_verify(ADMIN_HASH_KEY, cfg->admin_panel.key, key);
}

/* Constant time in the length of the longer input. */
static bool
name_eq(struct strv a, struct strv b)
{
	unsigned char acc = (unsigned char)(a.len != b.len);
	size_t i, n = a.len > b.len ? a.len : b.len;

	for (i = 0; i < n; i++) {
		unsigned char x = i < a.len ? (unsigned char)a.p[i] : 0;
		unsigned char y = i < b.len ? (unsigned char)b.p[i] : 0;

		acc |= (unsigned char)(x ^ y);
	}
	return acc == 0;
}

bool
admin_login_verify(const struct config *cfg, struct strv user,
                   struct strv password)
{
	bool enabled = admin_panel_enabled(cfg);
	bool name_ok = name_eq(user, strv_from_cstr(cfg->security.admin_login));
	bool pw_ok;

	pw_ok = admin_hash_verify(ADMIN_HASH_PASSWORD,
	                          enabled ? cfg->security.admin_password : NULL,
	                          password);
	return enabled && name_ok && pw_ok;
}

/* ---- TOTP ------------------------------------------------------------ */

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

char *
admin_totp_secret_new(struct arena *a)
{
	unsigned char raw[20];
	char *out = arena_alloc(a, 33);
	size_t i, bit;

	if (out == NULL)
		return NULL;
	pt_random_bytes(raw, sizeof(raw));
	/* 160 bits = 32 symbols of 5 bits, no padding needed. */
	for (i = 0; i < 32; i++) {
		unsigned v = 0;

		for (bit = 0; bit < 5; bit++) {
			size_t pos = i * 5 + bit;

			v = (v << 1) | ((raw[pos / 8] >> (7 - pos % 8)) & 1u);
		}
		out[i] = b32_alphabet[v];
	}
	out[32] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return out;
}

/* RFC 4648 base32, case-insensitive, spaces and '=' ignored. */
static bool
b32_decode(const char *s, unsigned char *out, size_t cap, size_t *len_r)
{
	unsigned buf = 0, bits = 0;
	size_t n = 0;

	for (; *s != '\0'; s++) {
		const char *pos;
		char c = *s;

		if (c == ' ' || c == '=')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		pos = strchr(b32_alphabet, c);
		if (pos == NULL || c == '\0')
			return false;
		buf = (buf << 5) | (unsigned)(pos - b32_alphabet);
		bits += 5;
		if (bits >= 8) {
			if (n == cap)
				return false;
			out[n++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
			buf &= (1u << bits) - 1;
		}
	}
	*len_r = n;
	return n > 0;
}

int
admin_totp_code(const char *secret_b32, int64_t t, unsigned *code_r)
{
	unsigned char key[64], msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0, off;
	uint64_t counter;
	size_t key_len, i;
	uint32_t bin;

	if (secret_b32 == NULL ||
	    !b32_decode(secret_b32, key, sizeof(key), &key_len) || t < 0)
		return -1;
	counter = (uint64_t)t / 30u;
	for (i = 0; i < 8; i++)
		msg[7 - i] = (unsigned char)(counter >> (8 * i));
	if (HMAC(EVP_sha1(), key, (int)key_len, msg, sizeof(msg), mac,
	         &mac_len) == NULL ||
	    mac_len < 20) {
		OPENSSL_cleanse(key, sizeof(key));
		return -1;
	}
	OPENSSL_cleanse(key, sizeof(key));
	/* RFC 4226 §5.3 dynamic truncation. */
	off = mac[mac_len - 1] & 0x0fu;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) |
	      ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
	      (uint32_t)mac[off + 3];
	*code_r = bin % 1000000u;
	return 0;
}

bool
admin_totp_match_step(const char *secret_b32, struct strv code, int64_t now,
                      int64_t *step_r)
{
	uint64_t want;
	unsigned got;
	bool ok = false;
	int step;

	code = strv_trim(code);
	if (code.len != 6 || !pt_parse_u64(code, 999999, &want))
		return false;
	/* One step of clock drift either way (RFC 6238 §5.2). */
	for (step = -1; step <= 1; step++) {
		if (admin_totp_code(secret_b32, now + step * 30, &got) != 0)
			return false;
		if (got == want) {
			/* The latest matching step: what a replay must beat. */
			*step_r = (now + step * 30) / 30;
			ok = true;
		}
	}
	return ok;
}

bool
admin_totp_verify(const char *secret_b32, struct strv code, int64_t now)
{
	int64_t step;

	return admin_totp_match_step(secret_b32, code, now, &step);
}

char *
admin_totp_uri(const char *issuer, const char *account, const char *secret_b32,
               struct arena *a)
{
	struct sbuf b;

	sbuf_init(&b, a, 128, 2048);
	sbuf_append_cstr(&b, "otpauth://totp/");
	codec_url_encode(&b, strv_from_cstr(issuer));
	sbuf_append_cstr(&b, ":");
	codec_url_encode(&b, strv_from_cstr(account));
	sbuf_append_cstr(&b, "?secret=");
	sbuf_append_cstr(&b, secret_b32);
	sbuf_append_cstr(&b, "&issuer=");
	codec_url_encode(&b, strv_from_cstr(issuer));
	sbuf_append_cstr(&b, "&algorithm=SHA1&digits=6&period=30");
	if (!sbuf_ok(&b))
		return NULL;
	return arena_strndup(a, b.data, b.len);
}
