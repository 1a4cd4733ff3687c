/*
 * snoozes (migration 0008): messages waiting in the Snoozed folder until
 * their wake time, and the lease a worker takes on one while it wakes it
 * (several Petrel nodes may share the store; one wakes each message).
 * src/mail/snooze.c decides what happens; this file only keeps the rows.
 */
#include <string.h>

#include "store.h"
#include "core/banned.h"

/* The columns every read takes, in this order (row_read). */
#define SNOOZE_COLS                                                            \
	"id, user, folder, uidvalidity, uid, message_id, origin, until, due, " \
	"created, state, attempts, last_error"

static int
row_read(struct store_stmt *st, struct store_snooze *r, struct arena *a,
         struct perr *err)
{
	memset(r, 0, sizeof(*r));
	r->id = store_col_int(st, 0);
	r->user = store_col_dup(st, 1);
	r->folder = store_col_dup(st, 2);
	r->uidvalidity = (uint32_t)store_col_int(st, 3);
	r->uid = (uint32_t)store_col_int(st, 4);
	r->message_id = store_col_dup(st, 5);
	r->origin = store_col_dup(st, 6);
	r->until = store_col_int(st, 7);
	r->due = store_col_int(st, 8);
	r->created = store_col_int(st, 9);
	r->state = strv_eq_cstr(store_col_text(st, 10), "returned")
	                   ? STORE_SNOOZE_RETURNED
	                   : STORE_SNOOZE_WAITING;
	r->attempts = (int)store_col_int(st, 11);
	r->last_error = store_col_dup(st, 12);
	r->sealed = STRV_NULL;
	if (r->user == NULL || r->folder == NULL || r->message_id == NULL ||
	    r->origin == NULL || r->last_error == NULL)
		return perr_set(err, a, PERR_LIMIT, "snooze row too large");
	return 0;
}

int
store_snooze_put(struct store *s, const struct store_snooze *r, int64_t now,
                 int64_t *id_r, struct arena *a, struct perr *err)
{
	struct store_snooze old;
	int found = 0;

	if (r->until <= 0)
		return perr_set(err, a, PERR_INPUT, "no wake time");
	if (store_begin(s, a, err) != 0)
		return -1;
	if (r->uid != 0)
		found = store_snooze_find(s, r->user, r->folder, r->uidvalidity,
		                          r->uid, a, &old, err);
	if (found < 0)
		goto fail;
	if (found == 1) {
		/* Snoozed again: the new time wins, the origin stays. */
		if (store_exec(s, a, err,
		               "UPDATE snoozes SET until = ?, due = ?, "
		               "state = 'waiting', attempts = 0, "
		               "last_error = '', lease_owner = '', "
		               "lease_until = 0, sealed = ? WHERE id = ?",
		               "IIbI", r->until, r->until, r->sealed.p,
		               r->sealed.len, old.id) < 0)
			goto fail;
		*id_r = old.id;
	} else {
		if (store_exec(
		            s, a, err,
		            "INSERT INTO snoozes (user, folder, uidvalidity, "
		            "uid, message_id, origin, until, due, created, "
		            "sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		            "ttIIttIIIb", r->user, r->folder,
		            (int64_t)r->uidvalidity, (int64_t)r->uid,
		            r->message_id != NULL ? r->message_id : "",
		            r->origin != NULL ? r->origin : "", r->until,
		            r->until, now, r->sealed.p, r->sealed.len) < 0)
			goto fail;
		*id_r = store_last_insert_id(s);
	}
	if (store_commit(s, a, err) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_snooze_set_uid(struct store *s, int64_t id, uint32_t uidvalidity,
                     uint32_t uid, struct arena *a, struct perr *err)
{
	return store_exec(s, a, err,
	                  "UPDATE snoozes SET uidvalidity = ?, uid = ? "
	                  "WHERE id = ?",
	                  "III", (int64_t)uidvalidity, (int64_t)uid, id) < 0
	               ? -1
	               : 0;
}

int
store_snooze_list(struct store *s, const char *user, size_t limit,
                  struct arena *a, struct store_snooze **v_r, size_t *n_r,
                  struct perr *err)
{
	struct store_stmt *st;
	struct store_snooze *v;
	size_t n = 0;
	int rc;

	*v_r = NULL;
	*n_r = 0;
	if (limit == 0)
		return 0;
	v = arena_new_array(a, struct store_snooze, limit);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "too many snoozes");
	if (store_query(s, a, err, &st,
	                "SELECT " SNOOZE_COLS " FROM snoozes WHERE user = ? "
	                "ORDER BY until, id LIMIT ?",
	                "tI", user, (int64_t)limit) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1) {
		if (row_read(st, &v[n], a, err) != 0) {
			store_finish(&st);
			return -1;
		}
		n++;
	}
	store_finish(&st);
	if (rc < 0)
		return -1;
	*v_r = v;
	*n_r = n;
	return 0;
}

int
store_snooze_find(struct store *s, const char *user, const char *folder,
                  uint32_t uidvalidity, uint32_t uid, struct arena *a,
                  struct store_snooze *r_r, struct perr *err)
{
	struct store_stmt *st;
	int rc;

	if (store_query(s, a, err, &st,
	                "SELECT " SNOOZE_COLS " FROM snoozes WHERE user = ? "
	                "AND folder = ? AND uidvalidity = ? AND uid = ? "
	                "ORDER BY id LIMIT 1",
	                "ttII", user, folder, (int64_t)uidvalidity,
	                (int64_t)uid) < 0)
		return -1;
	rc = store_step(st, err);
	if (rc == 1 && row_read(st, r_r, a, err) != 0)
		rc = -1;
	store_finish(&st);
	return rc;
}

int
store_snooze_claim(struct store *s, const char *owner, int64_t now,
                   int64_t lease, struct arena *a, struct store_snooze *r_r,
                   struct perr *err)
{
	struct store_stmt *st;
	int rc;

	/*
	 * Most passes find nothing due: look before taking the write lock,
	 * which every process sharing the store would otherwise wait for.
	 */
	if (store_query(s, a, err, &st,
	                "SELECT 1 FROM snoozes WHERE due <= ?1 AND "
	                "lease_until <= ?1 LIMIT 1",
	                "I", now) < 0)
		return -1;
	rc = store_step(st, err);
	store_finish(&st);
	if (rc <= 0)
		return rc;
	if (store_begin(s, a, err) != 0)
		return -1;
	if (store_query(s, a, err, &st,
	                "SELECT " SNOOZE_COLS ", sealed FROM snoozes "
	                "WHERE due <= ?1 AND lease_until <= ?1 "
	                "ORDER BY due, id LIMIT 1",
	                "I", now) < 0)
		goto fail;
	rc = store_step(st, err);
	if (rc == 1 && row_read(st, r_r, a, err) != 0)
		rc = -1;
	if (rc == 1 && !store_col_is_null(st, 13)) {
		struct strv b = store_col_blob(st, 13);
		char *p = arena_alloc(a, b.len + 1);

		if (p == NULL) {
			rc = perr_set(err, a, PERR_LIMIT, "seal too large");
		} else {
			if (b.len > 0)
				memcpy(p, b.p, b.len);
			r_r->sealed = (struct strv){p, b.len};
		}
	}
	store_finish(&st);
	if (rc < 0)
		goto fail;
	if (rc == 1 && store_exec(s, a, err,
	                          "UPDATE snoozes SET lease_owner = ?, "
	                          "lease_until = ? WHERE id = ?",
	                          "tII", owner, now + lease, r_r->id) < 0)
		goto fail;
	if (store_commit(s, a, err) != 0)
		goto fail;
	return rc;
fail:
	store_rollback(s);
	return -1;
}

int
store_snooze_next_due(struct store *s, int64_t *when_r, struct arena *a,
                      struct perr *err)
{
	struct store_stmt *st;
	int rc;

	if (store_query(s, a, err, &st,
	                "SELECT MIN(MAX(due, lease_until)) FROM snoozes",
	                "") < 0)
		return -1;
	rc = store_step(st, err);
	if (rc == 1 && store_col_is_null(st, 0))
		rc = 0;
	if (rc == 1)
		*when_r = store_col_int(st, 0);
	store_finish(&st);
	return rc;
}

int
store_snooze_returned(struct store *s, int64_t id, struct arena *a,
                      struct perr *err)
{
	return store_exec(s, a, err,
	                  "UPDATE snoozes SET state = 'returned' WHERE id = ?",
	                  "I", id) < 0
	               ? -1
	               : 0;
}

int
store_snooze_retry(struct store *s, int64_t id, int64_t due, const char *why,
                   struct arena *a, struct perr *err)
{
	return store_exec(s, a, err,
	                  "UPDATE snoozes SET attempts = attempts + 1, "
	                  "due = ?, last_error = ?, lease_owner = '', "
	                  "lease_until = 0 WHERE id = ?",
	                  "ItI", due, why != NULL ? why : "", id) < 0
	               ? -1
	               : 0;
}

int
store_snooze_delete(struct store *s, int64_t id, struct arena *a,
                    struct perr *err)
{
	return store_exec(s, a, err, "DELETE FROM snoozes WHERE id = ?", "I",
	                  id) < 0
	               ? -1
	               : 0;
}

int
store_snooze_seal(struct store *s, int64_t id, struct strv sealed,
                  struct arena *a, struct perr *err)
{
	return store_exec(s, a, err,
	                  "UPDATE snoozes SET sealed = ? WHERE id = ?", "bI",
	                  sealed.p, sealed.len, id) < 0
	               ? -1
	               : 0;
}
