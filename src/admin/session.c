/*
 * Admin sessions (table admin_sessions) and the user-session view of the
 * security page (through session/, which owns the table sessions).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "admin.h"
#include "config/config.h"
#include "session/session.h"
#include "store/store.h"
#include "core/banned.h"

#define COOKIE_BYTES 32

/* The CSRF token: HMAC-SHA256(cookie, label), so nothing is stored. */
static char *
csrf_for(struct strv cookie, struct arena *a)
{
	static const char label[] = "petrel-admin-csrf-v1";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (HMAC(EVP_sha256(), cookie.p, (int)cookie.len,
	         (const unsigned char *)label, sizeof(label) - 1, mac,
	         &len) == NULL)
		return NULL;
	return codec_hex_encode(a, mac, len);
}

static bool
cookie_well_formed(struct strv c)
{
	size_t i;

	if (c.len != 2 * COOKIE_BYTES)
		return false;
	for (i = 0; i < c.len; i++) {
		char ch = c.p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return false;
	}
	return true;
}

char *
admin_cred_tag(const struct config *cfg, struct arena *a)
{
	char *text = arena_printf(a, "%s\n%s", cfg->security.admin_login,
	                          cfg->security.admin_password);

	return text != NULL ? pt_sha256_hex(a, text, strlen(text)) : NULL;
}

int
admin_session_create(struct store *st, const char *admin, const char *cred_tag,
                     const char *ip, int64_t now, struct arena *a,
                     char **cookie_r, char **csrf_r, struct perr *err)
{
	char *cookie = pt_random_hex(a, COOKIE_BYTES);
	char *hash, *csrf;

	if (cookie == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	hash = pt_sha256_hex(a, cookie, strlen(cookie));
	csrf = csrf_for(strv_from_cstr(cookie), a);
	if (hash == NULL || csrf == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	/* Old rows go first: the table never grows without bound. */
	if (store_exec(st, a, err,
	               "DELETE FROM admin_sessions WHERE expires <= ? OR "
	               "last_seen <= ?",
	               "II", now, now - (int64_t)ADMIN_SESSION_IDLE_S) < 0)
		return -1;
	if (store_exec(st, a, err,
	               "INSERT INTO admin_sessions (id_hash, admin, cred_tag, "
	               "ip, created, last_seen, expires) VALUES (?, ?, ?, ?, "
	               "?, ?, ?)",
	               "ttttIII", hash, admin, cred_tag, ip != NULL ? ip : "",
	               now, now, now + (int64_t)ADMIN_SESSION_ABSOLUTE_S) < 0)
		return -1;
	*cookie_r = cookie;
	*csrf_r = csrf;
	return 0;
}

int
admin_session_load(struct store *st, struct strv cookie, int64_t now,
                   struct arena *a, struct admin_session **s_r,
                   struct perr *err)
{
	struct store_stmt *q = NULL;
	struct admin_session *s;
	char *hash;
	int r;

	if (!cookie_well_formed(cookie))
		return perr_set(err, a, PERR_AUTH, "no admin session");
	hash = pt_sha256_hex(a, cookie.p, cookie.len);
	s = arena_new(a, struct admin_session);
	if (hash == NULL || s == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (store_query(st, a, err, &q,
	                "SELECT admin, ip, created, last_seen, expires, "
	                "cred_tag FROM "
	                "admin_sessions WHERE id_hash = ?",
	                "t", hash) != 0)
		return -1;
	r = store_step(q, err);
	if (r < 0) {
		store_finish(&q);
		return -1;
	}
	if (r == 0) {
		store_finish(&q);
		return perr_set(err, a, PERR_AUTH, "no admin session");
	}
	s->id_hash = hash;
	s->admin = store_col_dup(q, 0);
	s->ip = store_col_dup(q, 1);
	s->created = store_col_int(q, 2);
	s->last_seen = store_col_int(q, 3);
	s->expires = store_col_int(q, 4);
	s->cred_tag = store_col_dup(q, 5);
	store_finish(&q);
	if (s->admin == NULL || s->ip == NULL || s->cred_tag == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (now >= s->expires ||
	    now - s->last_seen >= (int64_t)ADMIN_SESSION_IDLE_S) {
		if (admin_session_destroy(st, hash, a, err) != 0)
			return -1;
		return perr_set(err, a, PERR_AUTH, "admin session expired");
	}
	if (store_exec(st, a, err,
	               "UPDATE admin_sessions SET last_seen = ? WHERE "
	               "id_hash = ?",
	               "It", now, hash) < 0)
		return -1;
	s->last_seen = now;
	s->csrf = csrf_for(cookie, a);
	if (s->csrf == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	*s_r = s;
	return 0;
}

bool
admin_session_csrf_ok(const struct admin_session *s, struct strv token)
{
	size_t n = strlen(s->csrf);

	return token.len == n && CRYPTO_memcmp(token.p, s->csrf, n) == 0;
}

int
admin_session_destroy(struct store *st, const char *id_hash, struct arena *a,
                      struct perr *err)
{
	return store_exec(st, a, err,
	                  "DELETE FROM admin_sessions WHERE id_hash = ?", "t",
	                  id_hash) < 0
	               ? -1
	               : 0;
}

int
admin_sessions_clear(struct store *st, struct arena *a, struct perr *err)
{
	return store_exec(st, a, err, "DELETE FROM admin_sessions", "");
}

/* The sessions table is session/'s: the security page goes through it. */
int
admin_user_sessions(struct store *st, int64_t now, size_t limit,
                    struct arena *a, struct admin_user_session **v_r,
                    size_t *n_r, struct perr *err)
{
	struct admin_user_session *v;
	struct session_info *info;
	size_t n, i;

	if (session_list_active(st, now, limit, a, &info, &n, err) != 0)
		return -1;
	v = arena_new_array(a, struct admin_user_session, n > 0 ? n : 1);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	for (i = 0; i < n; i++) {
		v[i].id_hash = info[i].id_hash;
		v[i].user = info[i].user;
		v[i].ip = info[i].ip;
		v[i].created = info[i].created;
		v[i].last_seen = info[i].last_seen;
		v[i].expires = info[i].expires;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

int
admin_user_session_end(struct store *st, const char *id_hash, struct arena *a,
                       struct perr *err)
{
	return session_end_by_hash(st, id_hash, a, err);
}

/*
 * The last accepted TOTP step lives in user_settings under a user name no
 * login can have (no '@' local part), so no migration is needed.
 */
#define TOTP_STORE_USER "@admin"
#define TOTP_STORE_KEY "totp_last_step"

bool
admin_totp_verify_once(struct store *st, const char *secret_b32,
                       struct strv code, int64_t now, struct arena *a)
{
	int64_t step;
	int changed;
	struct perr err;

	if (!admin_totp_match_step(secret_b32, code, now, &step))
		return false;
	/*
	 * One statement: insert, or raise the stored step only when this one
	 * is newer. One row changed means this code is the first use of its
	 * step; none means it was used already (or an older one).
	 */
	changed =
	        store_exec(st, a, &err,
	                   "INSERT INTO user_settings "
	                   "(user, key, value, updated) "
	                   "VALUES (?1, ?2, ?3, ?4) "
	                   "ON CONFLICT (user, key) DO UPDATE "
	                   "SET value = ?3, updated = ?4 "
	                   "WHERE CAST(value AS INTEGER) < CAST(?3 AS INTEGER)",
	                   "ttII", TOTP_STORE_USER, TOTP_STORE_KEY, step, now);
	return changed == 1;
}
