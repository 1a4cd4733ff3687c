/*
 * Compose data: identities, recent recipients, uploads and send tokens
 * (see store.h and migrations 0001/0004). One statement per function
 * wherever possible; the callers validate the values.
 */
#include <string.h>

#include "store_private.h"
#include "core/banned.h"

/* ---- identities ---------------------------------------------------------- */

#define IDENTITY_COLS                                                          \
	"id, name, email, reply_to, signature, signature_html, "               \
	"signature_position, is_default, sent_folder, confirmed"

static void
identity_row(struct store_stmt *st, struct store_identity *id)
{
	id->id = store_col_int(st, 0);
	id->name = store_col_dup(st, 1);
	id->email = store_col_dup(st, 2);
	id->reply_to = store_col_dup(st, 3);
	id->signature = store_col_dup(st, 4);
	id->signature_html = store_col_int(st, 5) != 0;
	id->signature_above = strv_eq_cstr(store_col_text(st, 6), "above");
	id->is_default = store_col_int(st, 7) != 0;
	id->sent_folder = store_col_dup(st, 8);
	id->confirmed = store_col_int(st, 9) != 0;
}

int
store_identity_list(struct store *s, const char *user, struct arena *a,
                    struct store_identity **list_r, size_t *n_r,
                    struct perr *err)
{
	struct store_stmt *st;
	struct store_identity *v;
	size_t n = 0;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	v = arena_new_array(a, struct store_identity, STORE_IDENTITY_MAX);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (store_query(s, a, err, &st,
	                "SELECT " IDENTITY_COLS " FROM identities "
	                "WHERE user = ? ORDER BY is_default DESC, id LIMIT ?",
	                "tI", user, (int64_t)STORE_IDENTITY_MAX) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1)
		identity_row(st, &v[n++]);
	store_finish(&st);
	if (rc < 0)
		return -1;
	*list_r = v;
	*n_r = n;
	return 0;
}

int
store_identity_save(struct store *s, const char *user,
                    const struct store_identity *id, struct arena *a,
                    int64_t *id_r, struct perr *err)
{
	int n;

	if (store_begin(s, a, err) != 0)
		return -1;
	if (id->is_default &&
	    store_exec(s, a, err,
	               "UPDATE identities SET is_default = 0 WHERE user = ?",
	               "t", user) < 0)
		goto fail;
	if (id->id > 0) {
		n = store_exec(
		        s, a, err,
		        "UPDATE identities SET name = ?, email = ?, "
		        "reply_to = ?, signature = ?, signature_html = ?, "
		        "signature_position = ?, is_default = ?, "
		        "sent_folder = ?, "
		        /* A new address must be confirmed again. */
		        /* (SET expressions see the row before the update.) */
		        "confirmed = CASE WHEN email = ? THEN confirmed "
		        "ELSE 0 END, "
		        "confirm_hash = CASE WHEN email = ? THEN "
		        "confirm_hash ELSE '' END "
		        "WHERE user = ? AND id = ?",
		        "ttttitittttI", id->name, id->email, id->reply_to,
		        id->signature, id->signature_html ? 1 : 0,
		        id->signature_above ? "above" : "below",
		        id->is_default ? 1 : 0, id->sent_folder, id->email,
		        id->email, user, id->id);
		if (n < 0)
			goto fail;
		if (n == 0) {
			perr_set(err, a, PERR_NOTFOUND, "no such identity");
			goto fail;
		}
		*id_r = id->id;
	} else {
		struct store_stmt *st;
		int64_t have = 0;
		int rc;

		/* The list shows STORE_IDENTITY_MAX: no more can be made. */
		if (store_query(
		            s, a, err, &st,
		            "SELECT COUNT(*) FROM identities WHERE user = ?",
		            "t", user) < 0)
			goto fail;
		rc = store_step(st, err);
		if (rc == 1)
			have = store_col_int(st, 0);
		store_finish(&st);
		if (rc < 0)
			goto fail;
		if (have >= STORE_IDENTITY_MAX) {
			perr_set(err, a, PERR_LIMIT, "at most %d identities",
			         STORE_IDENTITY_MAX);
			goto fail;
		}
		if (store_exec(s, a, err,
		               "INSERT INTO identities (user, name, email, "
		               "reply_to, signature, signature_html, "
		               "signature_position, is_default, sent_folder) "
		               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		               "tttttitit", user, id->name, id->email,
		               id->reply_to, id->signature,
		               id->signature_html ? 1 : 0,
		               id->signature_above ? "above" : "below",
		               id->is_default ? 1 : 0, id->sent_folder) < 0)
			goto fail;
		*id_r = store_last_insert_id(s);
	}
	return store_commit(s, a, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_identity_delete(struct store *s, const char *user, int64_t id,
                      struct arena *a, struct perr *err)
{
	int n = store_exec(s, a, err,
	                   "DELETE FROM identities WHERE user = ? AND id = ?",
	                   "tI", user, id);

	if (n < 0)
		return -1;
	if (n == 0)
		return perr_set(err, a, PERR_NOTFOUND, "no such identity");
	return 0;
}

int
store_identity_confirm_begin(struct store *s, const char *user, int64_t id,
                             const char *token_hash, int64_t expires,
                             int64_t busy_after, struct arena *a,
                             struct perr *err)
{
	struct store_stmt *st;
	int64_t pending = 0;
	int rc;

	if (store_begin(s, a, err) != 0)
		return -1;
	if (store_query(s, a, err, &st,
	                "SELECT CASE WHEN confirm_hash != '' THEN "
	                "confirm_expires ELSE 0 END FROM identities "
	                "WHERE user = ? AND id = ?",
	                "tI", user, id) < 0)
		goto fail;
	rc = store_step(st, err);
	if (rc == 1)
		pending = store_col_int(st, 0);
	store_finish(&st);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		perr_set(err, a, PERR_NOTFOUND, "no such identity");
		goto fail;
	}
	/* One mail per MAIL_CONFIRM_RESEND: the address is not spammed. */
	if (pending > busy_after) {
		perr_set(err, a, PERR_RATE,
		         "a confirmation link was mailed a moment ago");
		goto fail;
	}
	if (store_exec(s, a, err,
	               "UPDATE identities SET confirm_hash = ?, "
	               "confirm_expires = ? WHERE user = ? AND id = ?",
	               "tItI", token_hash, expires, user, id) < 0)
		goto fail;
	return store_commit(s, a, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_identity_confirm_cancel(struct store *s, const char *user, int64_t id,
                              struct arena *a, struct perr *err)
{
	return store_exec(s, a, err,
	                  "UPDATE identities SET confirm_hash = '', "
	                  "confirm_expires = 0 WHERE user = ? AND id = ?",
	                  "tI", user, id) < 0
	               ? -1
	               : 0;
}

int
store_identity_confirm(struct store *s, const char *token_hash, int64_t now,
                       bool consume, struct arena *a, const char **user_r,
                       const char **email_r, struct perr *err)
{
	struct store_stmt *st;
	int64_t id = 0;
	int rc;

	if (store_begin(s, a, err) != 0)
		return -1;
	if (store_query(s, a, err, &st,
	                "SELECT id, user, email FROM identities "
	                "WHERE confirm_hash = ? AND confirm_hash != '' "
	                "AND confirm_expires > ?",
	                "tI", token_hash, now) < 0)
		goto fail;
	rc = store_step(st, err);
	if (rc == 1) {
		id = store_col_int(st, 0);
		*user_r = store_col_dup(st, 1);
		if (email_r != NULL)
			*email_r = store_col_dup(st, 2);
	}
	store_finish(&st);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		perr_set(err, a, PERR_NOTFOUND,
		         "unknown, used or expired confirmation link");
		goto fail;
	}
	if (!consume) {
		store_rollback(s);
		return 0;
	}
	if (store_exec(s, a, err,
	               "UPDATE identities SET confirmed = 1, "
	               "confirm_hash = '', confirm_expires = 0 WHERE id = ?",
	               "I", id) < 0)
		goto fail;
	return store_commit(s, a, err);
fail:
	store_rollback(s);
	return -1;
}

/* ---- recent recipients --------------------------------------------------- */

int
store_recipient_used(struct store *s, const char *user, const char *email,
                     const char *name, int64_t now, struct arena *a,
                     struct perr *err)
{
	return store_exec(s, a, err,
	                  "INSERT INTO recent_recipients "
	                  "(user, email, name, last_used, use_count) "
	                  "VALUES (?, ?, ?, ?, 1) "
	                  "ON CONFLICT (user, email) DO UPDATE SET "
	                  "last_used = excluded.last_used, "
	                  "use_count = use_count + 1, "
	                  "name = CASE WHEN excluded.name <> '' "
	                  "THEN excluded.name ELSE name END",
	                  "tttI", user, email, name, now) < 0
	               ? -1
	               : 0;
}

int
store_suggest_query(struct store *s, const char *sql, const char *user,
                    const char *q, size_t limit, struct arena *a,
                    struct store_recipient **list_r, size_t *n_r,
                    struct perr *err)
{
	struct store_stmt *st;
	struct store_recipient *v;
	const char *like;
	size_t n = 0;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	if (limit == 0)
		return 0;
	v = arena_new_array(a, struct store_recipient, limit);
	like = store_like_pattern(q, a);
	if (v == NULL || like == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (store_query(s, a, err, &st, sql, "ttI", user, like,
	                (int64_t)limit) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1 && n < limit) {
		v[n].email = store_col_dup(st, 0);
		v[n].name = store_col_dup(st, 1);
		n++;
	}
	store_finish(&st);
	if (rc < 0)
		return -1;
	*list_r = v;
	*n_r = n;
	return 0;
}

int
store_recipient_suggest(struct store *s, const char *user, const char *q,
                        size_t limit, struct arena *a,
                        struct store_recipient **list_r, size_t *n_r,
                        struct perr *err)
{
	return store_suggest_query(
	        s,
	        "SELECT email, name FROM recent_recipients "
	        "WHERE user = ?1 AND (email LIKE ?2 ESCAPE '\\' "
	        "OR name LIKE ?2 ESCAPE '\\') "
	        "ORDER BY last_used DESC, use_count DESC LIMIT ?3",
	        user, q, limit, a, list_r, n_r, err);
}

/* ---- uploads ------------------------------------------------------------- */

int
store_upload_add(struct store *s, const struct store_upload *u,
                 uint64_t max_total, struct arena *a, struct perr *err)
{
	struct store_stmt *st;
	uint64_t total = 0;
	int rc;

	/*
	 * One write transaction: parallel uploads cannot both pass. The
	 * quota is the user's, over all their sessions (ASCII case folded
	 * as the sign-in is), so N sign-ins do not give N times the disk.
	 */
	if (store_begin(s, a, err) != 0)
		return -1;
	if (store_query(s, a, err, &st,
	                "SELECT COALESCE(SUM(size), 0) FROM uploads "
	                "WHERE lower(user) = lower(?)",
	                "t", u->user) < 0)
		goto fail;
	rc = store_step(st, err);
	if (rc == 1)
		total = (uint64_t)store_col_int(st, 0);
	store_finish(&st);
	if (rc < 0)
		goto fail;
	if (total + u->size > max_total) {
		perr_set(err, a, PERR_LIMIT, "uploads over %llu bytes",
		         (unsigned long long)max_total);
		goto fail;
	}
	if (store_exec(s, a, err,
	               "INSERT INTO uploads (id, user, session_hash, name, "
	               "type, size, path, created) "
	               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	               "tttttItI", u->id, u->user, u->session_hash, u->name,
	               u->type, (int64_t)u->size, u->path, u->created) < 0)
		goto fail;
	return store_commit(s, a, err);
fail:
	store_rollback(s);
	return -1;
}

static void
upload_row(struct store_stmt *st, struct store_upload *u)
{
	u->id = store_col_dup(st, 0);
	u->user = store_col_dup(st, 1);
	u->session_hash = store_col_dup(st, 2);
	u->name = store_col_dup(st, 3);
	u->type = store_col_dup(st, 4);
	u->size = (uint64_t)store_col_int(st, 5);
	u->path = store_col_dup(st, 6);
	u->created = store_col_int(st, 7);
}

#define UPLOAD_COLS "id, user, session_hash, name, type, size, path, created"

int
store_upload_get(struct store *s, const char *session_hash, const char *id,
                 struct arena *a, struct store_upload *u_r, struct perr *err)
{
	struct store_stmt *st;
	int rc;

	if (store_query(s, a, err, &st,
	                "SELECT " UPLOAD_COLS " FROM uploads "
	                "WHERE session_hash = ? AND id = ?",
	                "tt", session_hash, id) < 0)
		return -1;
	rc = store_step(st, err);
	if (rc == 1)
		upload_row(st, u_r);
	store_finish(&st);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return perr_set(err, a, PERR_NOTFOUND, "no such upload: %s",
		                id);
	return 0;
}

int
store_upload_delete(struct store *s, const char *id, struct arena *a,
                    struct perr *err)
{
	return store_exec(s, a, err, "DELETE FROM uploads WHERE id = ?", "t",
	                  id) < 0
	               ? -1
	               : 0;
}

int
store_upload_stale(struct store *s, const char *session_hash, int64_t now,
                   size_t limit, struct arena *a, struct store_upload **list_r,
                   size_t *n_r, struct perr *err)
{
	struct store_stmt *st;
	struct store_upload *v;
	size_t n = 0;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	v = arena_new_array(a, struct store_upload, limit);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	/* This session's (at logout), or any whose session is gone. */
	if (store_query(s, a, err, &st,
	                "SELECT " UPLOAD_COLS " FROM uploads u "
	                "WHERE u.session_hash = ? OR NOT EXISTS ("
	                "SELECT 1 FROM sessions s WHERE s.id_hash = "
	                "u.session_hash AND s.expires > ?) LIMIT ?",
	                "tII", session_hash != NULL ? session_hash : "", now,
	                (int64_t)limit) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1 && n < limit)
		upload_row(st, &v[n++]);
	store_finish(&st);
	if (rc < 0)
		return -1;
	*list_r = v;
	*n_r = n;
	return 0;
}

/* ---- send tokens --------------------------------------------------------- */

int
store_send_token_claim(struct store *s, const char *user, const char *token,
                       int64_t now, int64_t stale_before, struct arena *a,
                       char **result_r, struct perr *err)
{
	struct store_stmt *st;
	int rc, ret;

	*result_r = NULL;
	if (store_begin(s, a, err) != 0)
		return -1;
	/* A claim whose sender died long ago may be taken over. */
	if (store_exec(s, a, err,
	               "DELETE FROM send_tokens WHERE user = ? AND token = ? "
	               "AND result IS NULL AND created < ?",
	               "ttI", user, token, stale_before) < 0)
		goto fail;
	if (store_query(s, a, err, &st,
	                "SELECT result FROM send_tokens "
	                "WHERE user = ? AND token = ?",
	                "tt", user, token) < 0)
		goto fail;
	rc = store_step(st, err);
	if (rc == 1) {
		ret = store_col_is_null(st, 0) ? STORE_TOKEN_BUSY
		                               : STORE_TOKEN_DONE;
		if (ret == STORE_TOKEN_DONE)
			*result_r = store_col_dup(st, 0);
	}
	store_finish(&st);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		if (store_exec(s, a, err,
		               "INSERT INTO send_tokens (user, token, result, "
		               "created) VALUES (?, ?, NULL, ?)",
		               "ttI", user, token, now) < 0)
			goto fail;
		ret = STORE_TOKEN_CLAIMED;
	}
	if (store_commit(s, a, err) != 0)
		return -1;
	return ret;
fail:
	store_rollback(s);
	return -1;
}

int
store_send_token_finish(struct store *s, const char *user, const char *token,
                        const char *result, struct arena *a, struct perr *err)
{
	if (result == NULL)
		return store_exec(s, a, err,
		                  "DELETE FROM send_tokens "
		                  "WHERE user = ? AND token = ?",
		                  "tt", user, token) < 0
		               ? -1
		               : 0;
	return store_exec(s, a, err,
	                  "UPDATE send_tokens SET result = ? "
	                  "WHERE user = ? AND token = ?",
	                  "ttt", result, user, token) < 0
	               ? -1
	               : 0;
}
