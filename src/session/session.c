/*
 * Sessions. Crypto choices:
 * - key = HMAC-SHA256(secret, "petrel-session-v1" || id): a PRF keyed by
 *   the cookie secret; without the secret the key cannot be computed.
 * - AES-256-GCM with a fresh 12-byte nonce per seal; AAD = id hash || 0 ||
 *   user, binding the ciphertext to its row.
 * - The id is looked up by its SHA-256, so a timing side channel on the
 *   index lookup tells nothing about live ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "session.h"
#include "store/store.h"
#include "core/banned.h"

#define ID_BYTES 16
#define SECRET_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
#define CSRF_BYTES 32
#define PASSWORD_MAX 1024
/* last_seen is refreshed at most this often: fewer writes per request. */
#define TOUCH_INTERVAL 60

static char *
base64url(struct arena *a, const unsigned char *p, size_t n)
{
	char *s = codec_base64_encode(a, p, n);
	size_t i, len;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	while (len > 0 && s[len - 1] == '=')
		s[--len] = '\0';
	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	return s;
}

static int
derive_key(const unsigned char *secret, const unsigned char *id,
           unsigned char key[32])
{
	unsigned char msg[17 + ID_BYTES];
	unsigned int len = 0;

	memcpy(msg, "petrel-session-v1", 17);
	memcpy(msg + 17, id, ID_BYTES);
	if (HMAC(EVP_sha256(), secret, SECRET_BYTES, msg, sizeof(msg), key,
	         &len) == NULL ||
	    len != 32)
		return -1;
	return 0;
}

/*
 * The CSRF token is derived from the session key, not stored: every page
 * load can embed it again, yet the database (which keeps only its hash)
 * cannot produce it.
 */
static int
derive_csrf(const unsigned char key[32], unsigned char out[CSRF_BYTES])
{
	static const char label[] = "petrel-csrf-v1";
	unsigned int len = 0;

	if (HMAC(EVP_sha256(), key, 32, (const unsigned char *)label,
	         sizeof(label) - 1, out, &len) == NULL ||
	    len != CSRF_BYTES)
		return -1;
	return 0;
}

char *
session_csrf_token(const struct session *s, struct arena *a)
{
	unsigned char csrf[CSRF_BYTES];
	char *token;

	if (derive_csrf(s->key, csrf) != 0)
		return NULL;
	token = base64url(a, csrf, sizeof(csrf));
	OPENSSL_cleanse(csrf, sizeof(csrf));
	return token;
}

static void
build_aad(struct sbuf *aad, const char *id_hash, const char *user)
{
	sbuf_append_cstr(aad, id_hash);
	sbuf_append_char(aad, '\0');
	sbuf_append_cstr(aad, user);
}

static int
seal(const unsigned char key[32], const unsigned char nonce[NONCE_BYTES],
     struct strv aad, struct strv plain, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len, ok = 0;

	if (ctx == NULL)
		return -1;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad.p,
	                      (int)aad.len) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &len, (const unsigned char *)plain.p,
	                      (int)plain.len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, out + len, &len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES,
	                        out + plain.len) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int
open_sealed(const unsigned char key[32], struct strv nonce, struct strv aad,
            struct strv sealed, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx;
	size_t n;
	int len, ok = 0;

	if (nonce.len != NONCE_BYTES || sealed.len < TAG_BYTES)
		return -1;
	n = sealed.len - TAG_BYTES;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -1;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
	                       (const unsigned char *)nonce.p) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad.p,
	                      (int)aad.len) == 1 &&
	    EVP_DecryptUpdate(ctx, out, &len, (const unsigned char *)sealed.p,
	                      (int)n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES,
	                        (void *)(sealed.p + n)) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + len, &len) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
session_create(struct store *st, const char *user, struct strv password,
               const char *ip, const char *user_agent, int64_t now,
               const struct session_opts *o, struct arena *a,
               struct session **s_r, char **cookie_r, char **csrf_r,
               struct perr *err)
{
	unsigned char id[ID_BYTES], secret[SECRET_BYTES], nonce[NONCE_BYTES];
	unsigned char csrf[CSRF_BYTES], *sealed;
	struct session *s;
	struct sbuf aad;
	char *id_hex, *secret_b64, *csrf_b64;
	int ret = -1;

	if (password.len > PASSWORD_MAX)
		return perr_set(err, a, PERR_INPUT, "password too long");
	s = arena_new(a, struct session);
	sealed = arena_alloc(a, password.len + TAG_BYTES);
	if (s == NULL || sealed == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	pt_random_bytes(id, sizeof(id));
	pt_random_bytes(secret, sizeof(secret));
	pt_random_bytes(nonce, sizeof(nonce));
	id_hex = codec_hex_encode(a, id, sizeof(id));
	secret_b64 = base64url(a, secret, sizeof(secret));
	if (id_hex == NULL || secret_b64 == NULL)
		goto oom;
	if (derive_key(secret, id, s->key) != 0 ||
	    derive_csrf(s->key, csrf) != 0)
		goto crypto;
	csrf_b64 = base64url(a, csrf, sizeof(csrf));
	s->id_hash = pt_sha256_hex(a, id_hex, strlen(id_hex));
	s->csrf_hash = csrf_b64 == NULL
	                       ? NULL
	                       : pt_sha256_hex(a, csrf_b64, strlen(csrf_b64));
	s->user = arena_strdup(a, user);
	*cookie_r = arena_printf(a, "%s.%s", id_hex, secret_b64);
	if (s->id_hash == NULL || s->csrf_hash == NULL || s->user == NULL ||
	    *cookie_r == NULL)
		goto oom;
	sbuf_init(&aad, a, 128, 4096);
	build_aad(&aad, s->id_hash, user);
	if (!sbuf_ok(&aad))
		goto oom;
	if (seal(s->key, nonce, sbuf_view(&aad), password, sealed) != 0)
		goto crypto;
	s->password_enc.p = (const char *)sealed;
	s->password_enc.len = password.len + TAG_BYTES;
	s->nonce.p = arena_strndup(a, (const char *)nonce, sizeof(nonce));
	s->nonce.len = sizeof(nonce);
	s->created = now;
	s->last_seen = now;
	s->expires = now + (int64_t)o->absolute_seconds;
	s->idle_seconds = o->remember ? o->absolute_seconds : o->idle_seconds;
	if (store_exec(st, a, err,
	               "INSERT INTO sessions (id_hash, user, password_enc, "
	               "nonce, csrf_hash, created, last_seen, expires, ip, "
	               "user_agent, idle_seconds) "
	               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	               "ttbbtIIIttI", s->id_hash, s->user, s->password_enc.p,
	               s->password_enc.len, s->nonce.p, s->nonce.len,
	               s->csrf_hash, s->created, s->last_seen, s->expires,
	               ip != NULL ? ip : "",
	               user_agent != NULL ? user_agent : "",
	               (int64_t)s->idle_seconds) < 0)
		goto out;
	*csrf_r = csrf_b64;
	*s_r = s;
	ret = 0;
	goto out;
oom:
	perr_set(err, a, PERR_LIMIT, "out of request memory");
	goto out;
crypto:
	perr_set(err, a, PERR_INTERNAL, "session encryption failed");
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	if (ret != 0)
		OPENSSL_cleanse(s->key, sizeof(s->key));
	return ret;
}

static bool
is_hex(struct strv s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/*
 * Who is told that sessions ended (live streams). One slot: the process
 * runs at most one event server. Read by any thread that ends sessions.
 */
static _Atomic(session_end_fn *) end_hook;
static void *_Atomic end_hook_ctx;

void
session_set_end_hook(session_end_fn *fn, void *ctx)
{
	atomic_store(&end_hook_ctx, ctx);
	atomic_store(&end_hook, fn);
}

static void
ended(void)
{
	session_end_fn *fn = atomic_load(&end_hook);

	if (fn != NULL)
		fn(atomic_load(&end_hook_ctx));
}

static int
load(struct store *st, struct strv cookie, int64_t now, bool touch,
     struct arena *a, struct session **s_r, struct perr *err)
{
	struct strv id_hex, secret_b64, secret;
	struct store_stmt *q = NULL;
	struct session *s;
	unsigned char id_raw[ID_BYTES];
	struct sbuf aad;
	unsigned char *scratch;
	int r;

	if (!strv_split_once(cookie, '.', &id_hex, &secret_b64) ||
	    id_hex.len != ID_BYTES * 2 || !is_hex(id_hex) ||
	    secret_b64.len != 43 ||
	    codec_base64_decode(secret_b64, a, &secret) != 0 ||
	    secret.len != SECRET_BYTES)
		return perr_set(err, a, PERR_AUTH, "malformed session cookie");
	for (size_t i = 0; i < ID_BYTES; i++) {
		char hi = id_hex.p[2 * i], lo = id_hex.p[2 * i + 1];

		id_raw[i] =
		        (unsigned char)(((hi <= '9' ? hi - '0' : hi - 'a' + 10)
		                         << 4) |
		                        (lo <= '9' ? lo - '0' : lo - 'a' + 10));
	}
	s = arena_new(a, struct session);
	if (s == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	s->id_hash = pt_sha256_hex(a, id_hex.p, id_hex.len);
	if (s->id_hash == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if (store_query(st, a, err, &q,
	                "SELECT user, password_enc, nonce, csrf_hash, created, "
	                "last_seen, expires, idle_seconds FROM sessions "
	                "WHERE id_hash = ?",
	                "t", s->id_hash) != 0)
		return -1;
	r = store_step(q, err);
	if (r < 0) {
		store_finish(&q);
		return -1;
	}
	if (r == 0) {
		store_finish(&q);
		return perr_set(err, a, PERR_AUTH, "no such session");
	}
	s->user = store_col_dup(q, 0);
	s->password_enc.len = store_col_blob(q, 1).len;
	s->password_enc.p =
	        arena_strndup(a, store_col_blob(q, 1).p, s->password_enc.len);
	s->nonce.len = store_col_blob(q, 2).len;
	s->nonce.p = arena_strndup(a, store_col_blob(q, 2).p, s->nonce.len);
	s->csrf_hash = store_col_dup(q, 3);
	s->created = store_col_int(q, 4);
	s->last_seen = store_col_int(q, 5);
	s->expires = store_col_int(q, 6);
	s->idle_seconds = (unsigned)store_col_int(q, 7);
	store_finish(&q);
	if (s->user == NULL || s->password_enc.p == NULL ||
	    s->nonce.p == NULL || s->csrf_hash == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");

	if (now >= s->expires ||
	    now - s->last_seen > (int64_t)s->idle_seconds) {
		if (store_exec(st, a, err,
		               "DELETE FROM sessions WHERE id_hash = ?", "t",
		               s->id_hash) < 0)
			return -1;
		return perr_set(err, a, PERR_AUTH, "session expired");
	}
	if (derive_key((const unsigned char *)secret.p, id_raw, s->key) != 0)
		return perr_set(err, a, PERR_INTERNAL, "key derivation failed");
	OPENSSL_cleanse((void *)secret.p, secret.len);

	/* A cookie whose secret does not open the password is forged. */
	sbuf_init(&aad, a, 128, 4096);
	build_aad(&aad, s->id_hash, s->user);
	scratch = arena_alloc(a, s->password_enc.len + 1);
	if (!sbuf_ok(&aad) || scratch == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	r = open_sealed(s->key, s->nonce, sbuf_view(&aad), s->password_enc,
	                scratch);
	OPENSSL_cleanse(scratch, s->password_enc.len + 1);
	if (r != 0) {
		OPENSSL_cleanse(s->key, sizeof(s->key));
		return perr_set(err, a, PERR_AUTH, "session cookie rejected");
	}
	if (touch && now - s->last_seen >= TOUCH_INTERVAL) {
		s->last_seen = now;
		if (store_exec(st, a, err,
		               "UPDATE sessions SET last_seen = ? "
		               "WHERE id_hash = ?",
		               "It", now, s->id_hash) < 0)
			return -1;
	}
	*s_r = s;
	return 0;
}

int
session_load(struct store *st, struct strv cookie, int64_t now, struct arena *a,
             struct session **s_r, struct perr *err)
{
	return load(st, cookie, now, true, a, s_r, err);
}

int
session_peek(struct store *st, struct strv cookie, int64_t now, struct arena *a,
             struct session **s_r, struct perr *err)
{
	return load(st, cookie, now, false, a, s_r, err);
}

int
session_alive(struct store *st, const char *id_hash, int64_t now,
              struct arena *a, struct perr *err)
{
	struct store_stmt *q = NULL;
	int r;

	if (store_query(st, a, err, &q,
	                "SELECT 1 FROM sessions WHERE id_hash = ? "
	                "AND expires > ? AND last_seen + idle_seconds >= ?",
	                "tII", id_hash, now, now) != 0)
		return -1;
	r = store_step(q, err);
	store_finish(&q);
	if (r < 0)
		return -1;
	if (r == 0)
		return perr_set(err, a, PERR_AUTH, "session ended");
	return 0;
}

int
session_password(const struct session *s, struct sbuf *out, struct perr *err)
{
	struct sbuf aad;
	unsigned char buf[PASSWORD_MAX + TAG_BYTES];
	int r;

	if (s->password_enc.len < TAG_BYTES ||
	    s->password_enc.len > sizeof(buf))
		return perr_set(err, NULL, PERR_AUTH, "sealed password broken");
	/* malloc-backed: this must work even with a full request arena. */
	sbuf_init(&aad, NULL, 0, 4096);
	build_aad(&aad, s->id_hash, s->user);
	r = sbuf_ok(&aad) ? open_sealed(s->key, s->nonce, sbuf_view(&aad),
	                                s->password_enc, buf)
	                  : -1;
	sbuf_free(&aad);
	if (r != 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return perr_set(err, NULL, PERR_AUTH,
		                "the session's password does not open");
	}
	sbuf_append(out, buf, s->password_enc.len - TAG_BYTES);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!sbuf_ok(out))
		return perr_set(err, NULL, PERR_LIMIT, "password buffer full");
	return 0;
}

int
session_reseal(struct store *st, struct session *s, struct strv password,
               struct arena *a, struct perr *err)
{
	unsigned char nonce[NONCE_BYTES], *sealed;
	struct sbuf aad;
	char *nonce_copy;

	if (password.len > PASSWORD_MAX)
		return perr_set(err, a, PERR_INPUT, "password too long");
	sealed = arena_alloc(a, password.len + TAG_BYTES);
	if (sealed == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	/* A fresh nonce: GCM must never seal twice under one (key, nonce). */
	pt_random_bytes(nonce, sizeof(nonce));
	sbuf_init(&aad, a, 128, 4096);
	build_aad(&aad, s->id_hash, s->user);
	if (!sbuf_ok(&aad))
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if (seal(s->key, nonce, sbuf_view(&aad), password, sealed) != 0)
		return perr_set(err, a, PERR_INTERNAL,
		                "session encryption failed");
	nonce_copy = arena_strndup(a, (const char *)nonce, sizeof(nonce));
	if (nonce_copy == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if (store_exec(st, a, err,
	               "UPDATE sessions SET password_enc = ?, nonce = ? "
	               "WHERE id_hash = ?",
	               "bbt", sealed, password.len + TAG_BYTES, nonce_copy,
	               sizeof(nonce), s->id_hash) < 0)
		return -1;
	s->password_enc.p = (const char *)sealed;
	s->password_enc.len = password.len + TAG_BYTES;
	s->nonce.p = nonce_copy;
	s->nonce.len = sizeof(nonce);
	return 0;
}

bool
session_csrf_ok(const struct session *s, struct strv token)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	size_t i;

	if (token.len == 0 || token.len > 128 || s->csrf_hash == NULL ||
	    strlen(s->csrf_hash) != sizeof(hex) - 1)
		return false;
	SHA256((const unsigned char *)token.p, token.len, md);
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	hex[sizeof(hex) - 1] = '\0';
	return pt_memeq_const(hex, s->csrf_hash, sizeof(hex) - 1);
}

int
session_destroy(struct store *st, const struct session *s, struct arena *a,
                struct perr *err)
{
	if (store_exec(st, a, err, "DELETE FROM sessions WHERE id_hash = ?",
	               "t", s->id_hash) < 0)
		return -1;
	ended();
	return 0;
}

int
session_destroy_user(struct store *st, const char *user, struct arena *a,
                     struct perr *err)
{
	int n = store_exec(st, a, err, "DELETE FROM sessions WHERE user = ?",
	                   "t", user);

	if (n > 0)
		ended();
	return n;
}

int
session_purge(struct store *st, int64_t now, struct arena *a, struct perr *err)
{
	return store_exec(st, a, err,
	                  "DELETE FROM sessions WHERE expires <= ? "
	                  "OR last_seen + idle_seconds < ?",
	                  "II", now, now);
}

int
session_count_active(struct store *st, int64_t now, struct arena *a,
                     unsigned *count_r, struct perr *err)
{
	struct store_stmt *q = NULL;
	int r;

	if (store_query(st, a, err, &q,
	                "SELECT count(*) FROM sessions WHERE expires > ? "
	                "AND last_seen + idle_seconds >= ?",
	                "II", now, now) != 0)
		return -1;
	r = store_step(q, err);
	if (r == 1)
		*count_r = (unsigned)store_col_int(q, 0);
	store_finish(&q);
	return r == 1 ? 0 : -1;
}

int
session_list_active(struct store *st, int64_t now, size_t limit,
                    struct arena *a, struct session_info **v_r, size_t *n_r,
                    struct perr *err)
{
	struct store_stmt *q = NULL;
	struct session_info *v;
	size_t n = 0;
	int r = 0;

	v = arena_new_array(a, struct session_info, limit > 0 ? limit : 1);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (store_query(st, a, err, &q,
	                "SELECT id_hash, user, ip, created, last_seen, "
	                "expires FROM sessions WHERE expires > ? AND "
	                "last_seen + idle_seconds > ? ORDER BY last_seen "
	                "DESC LIMIT ?",
	                "IIi", now, now, (int)limit) != 0)
		return -1;
	while (n < limit && (r = store_step(q, err)) == 1) {
		v[n].id_hash = store_col_dup(q, 0);
		v[n].user = store_col_dup(q, 1);
		v[n].ip = store_col_dup(q, 2);
		v[n].created = store_col_int(q, 3);
		v[n].last_seen = store_col_int(q, 4);
		v[n].expires = store_col_int(q, 5);
		n++;
	}
	store_finish(&q);
	if (r < 0)
		return -1;
	*v_r = v;
	*n_r = n;
	return 0;
}

int
session_end_by_hash(struct store *st, const char *id_hash, struct arena *a,
                    struct perr *err)
{
	int n = store_exec(st, a, err, "DELETE FROM sessions WHERE id_hash = ?",
	                   "t", id_hash);

	if (n < 0)
		return -1;
	if (n == 0)
		return perr_set(err, a, PERR_NOTFOUND, "no such session");
	ended();
	return 0;
}

/* ---- sealed for later ------------------------------------------------ */

#define AWAY_KEY_BYTES 32
/* Plain values sealed for later are passwords: small. */
#define AWAY_PLAIN_MAX PASSWORD_MAX

char *
session_away_key_path(const char *storage_dir, struct arena *a)
{
	return arena_printf(a, "%s/%s", storage_dir, SESSION_AWAY_KEY_NAME);
}

/* Read the key file: exactly 32 bytes, a regular file no one else can
 * read. 1 read, 0 missing, -1 error. */
static int
away_key_read(const char *path, unsigned char key[AWAY_KEY_BYTES],
              struct arena *a, struct perr *err)
{
	struct stat st;
	ssize_t n;
	unsigned char extra;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return perr_set(err, a, PERR_INTERNAL, "%s: cannot open: %s",
		                path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0) {
		close(fd);
		return perr_set(err, a, PERR_INTERNAL,
		                "%s: not a regular file of mode 0600", path);
	}
	n = read(fd, key, AWAY_KEY_BYTES);
	if (n == AWAY_KEY_BYTES && read(fd, &extra, 1) == 0) {
		close(fd);
		return 1;
	}
	close(fd);
	OPENSSL_cleanse(key, AWAY_KEY_BYTES);
	return perr_set(err, a, PERR_INTERNAL, "%s: not a %d-byte key", path,
	                AWAY_KEY_BYTES);
}

/*
 * Make the key file: a temp file written and synced, then link(2)ed to
 * its name, which fails when another process got there first (then its
 * key is the one). A rename would replace a key already in use.
 */
static int
away_key_create(const char *path, struct arena *a, struct perr *err)
{
	struct pt_atomic_file f;
	unsigned char key[AWAY_KEY_BYTES];
	struct stat dir;
	int r = 0, e;

	if (pt_atomic_open(&f, path, 0600, a, err) != 0)
		return -1;
	pt_random_bytes(key, sizeof(key));
	if (pt_write_all(f.fd, key, sizeof(key)) != 0 || fsync(f.fd) != 0)
		r = perr_set(err, a, PERR_INTERNAL, "%s: cannot write: %s",
		             path, strerror(errno));
	OPENSSL_cleanse(key, sizeof(key));
	/* root making it for a data directory the server owns (petrel
	 * install, a CLI run): the server must read it. */
	if (r == 0 && geteuid() == 0 && stat(f.dir, &dir) == 0 &&
	    dir.st_uid != 0 && fchown(f.fd, dir.st_uid, dir.st_gid) != 0)
		r = perr_set(err, a, PERR_INTERNAL, "%s: cannot chown: %s",
		             path, strerror(errno));
	if (r == 0 && link(f.tmp, path) != 0 && errno != EEXIST) {
		e = errno;
		r = perr_set(err, a, PERR_INTERNAL, "cannot create %s: %s",
		             path, strerror(e));
	}
	pt_atomic_abort(&f); /* removes the temp name; the link stays */
	return r;
}

static int
away_key(const char *key_path, bool create, unsigned char key[AWAY_KEY_BYTES],
         struct arena *a, struct perr *err)
{
	int r = away_key_read(key_path, key, a, err);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (!create)
		return perr_set(err, a, PERR_AUTH, "%s: no job key", key_path);
	if (away_key_create(key_path, a, err) != 0)
		return -1;
	r = away_key_read(key_path, key, a, err);
	if (r == 0)
		return perr_set(err, a, PERR_INTERNAL, "%s: vanished",
		                key_path);
	return r < 0 ? -1 : 0;
}

/* AAD: a label, then purpose, user and row, NUL-separated: no two
 * triples give the same bytes (purpose and user hold no NUL). */
static void
build_away_aad(struct sbuf *aad, const char *purpose, const char *user,
               int64_t row)
{
	sbuf_append_cstr(aad, "petrel-away-v1");
	sbuf_append_char(aad, '\0');
	sbuf_append_cstr(aad, purpose);
	sbuf_append_char(aad, '\0');
	sbuf_append_cstr(aad, user);
	sbuf_append_char(aad, '\0');
	sbuf_printf(aad, "%lld", (long long)row);
}

int
session_seal_away(const char *key_path, const char *purpose, const char *user,
                  int64_t row, struct strv plain, struct strv *sealed_r,
                  struct arena *a, struct perr *err)
{
	unsigned char key[AWAY_KEY_BYTES];
	unsigned char *out;
	struct sbuf aad;
	int r;

	if (purpose == NULL || purpose[0] == '\0' || user == NULL ||
	    user[0] == '\0' || plain.len > AWAY_PLAIN_MAX)
		return perr_set(err, a, PERR_INPUT, "bad value to seal");
	out = arena_alloc(a, NONCE_BYTES + plain.len + TAG_BYTES);
	if (out == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (away_key(key_path, true, key, a, err) != 0)
		return -1;
	pt_random_bytes(out, NONCE_BYTES);
	sbuf_init(&aad, NULL, 0, 4096);
	build_away_aad(&aad, purpose, user, row);
	r = sbuf_ok(&aad)
	            ? seal(key, out, sbuf_view(&aad), plain, out + NONCE_BYTES)
	            : -1;
	sbuf_free(&aad);
	OPENSSL_cleanse(key, sizeof(key));
	if (r != 0)
		return perr_set(err, a, PERR_INTERNAL, "cannot seal");
	sealed_r->p = (const char *)out;
	sealed_r->len = NONCE_BYTES + plain.len + TAG_BYTES;
	return 0;
}

int
session_open_away(const char *key_path, const char *purpose, const char *user,
                  int64_t row, struct strv sealed, struct sbuf *out,
                  struct arena *a, struct perr *err)
{
	unsigned char key[AWAY_KEY_BYTES];
	unsigned char buf[AWAY_PLAIN_MAX + TAG_BYTES];
	struct sbuf aad;
	struct strv nonce, body;
	int r;

	if (sealed.len < NONCE_BYTES + TAG_BYTES ||
	    sealed.len > NONCE_BYTES + sizeof(buf) || purpose == NULL ||
	    user == NULL)
		return perr_set(err, a, PERR_AUTH, "sealed value broken");
	nonce = (struct strv){sealed.p, NONCE_BYTES};
	body = (struct strv){sealed.p + NONCE_BYTES, sealed.len - NONCE_BYTES};
	if (away_key(key_path, false, key, a, err) != 0)
		return -1;
	sbuf_init(&aad, NULL, 0, 4096);
	build_away_aad(&aad, purpose, user, row);
	r = sbuf_ok(&aad) ? open_sealed(key, nonce, sbuf_view(&aad), body, buf)
	                  : -1;
	sbuf_free(&aad);
	OPENSSL_cleanse(key, sizeof(key));
	if (r != 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return perr_set(err, a, PERR_AUTH,
		                "sealed value does not open");
	}
	sbuf_append(out, buf, body.len - TAG_BYTES);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!sbuf_ok(out))
		return perr_set(err, a, PERR_LIMIT, "buffer full");
	return 0;
}
