/*
 * The address book (migrations 0001 and 0005): contacts and their
 * addresses in order. contacts.email mirrors position 0 of contact_emails.
 */
#include <string.h>

#include "store_private.h"
#include "core/banned.h"

const char *
store_like_pattern(const char *q, struct arena *a)
{
	struct sbuf like;
	size_t i;

	sbuf_init(&like, a, strlen(q) + 3, strlen(q) * 2 + 3);
	sbuf_append_char(&like, '%');
	for (i = 0; q[i] != '\0'; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			sbuf_append_char(&like, '\\');
		sbuf_append_char(&like, q[i]);
	}
	sbuf_append_char(&like, '%');
	return sbuf_ok(&like) ? sbuf_cstr(&like) : NULL;
}

/* The WHERE that list and count share: ?1 user, ?2 the LIKE pattern. */
#define CONTACT_MATCH                                                          \
	"c.user = ?1 AND (?2 = '%%' OR c.name LIKE ?2 ESCAPE '\\' OR "         \
	"EXISTS (SELECT 1 FROM contact_emails e WHERE e.contact_id = c.id "    \
	"AND e.email LIKE ?2 ESCAPE '\\'))"

static int
contact_emails(struct store *s, struct store_contact *c, struct arena *a,
               struct perr *err)
{
	struct store_stmt *st;
	int rc;

	c->n_emails = 0;
	if (store_query(s, a, err, &st,
	                "SELECT email FROM contact_emails WHERE contact_id = ? "
	                "ORDER BY position LIMIT ?",
	                "II", c->id, (int64_t)STORE_CONTACT_EMAILS_MAX) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1 &&
	       c->n_emails < STORE_CONTACT_EMAILS_MAX)
		c->emails[c->n_emails++] = store_col_dup(st, 0);
	store_finish(&st);
	return rc < 0 ? -1 : 0;
}

int
store_contact_list(struct store *s, const char *user, const char *q,
                   size_t offset, size_t limit, struct arena *a,
                   struct store_contact **list_r, size_t *n_r, size_t *total_r,
                   struct perr *err)
{
	struct store_stmt *st;
	struct store_contact *v;
	const char *like = store_like_pattern(q != NULL ? q : "", a);
	size_t n = 0, i;
	int rc;

	*list_r = NULL;
	*n_r = *total_r = 0;
	v = arena_new_array(a, struct store_contact, limit > 0 ? limit : 1);
	if (v == NULL || like == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (store_query(s, a, err, &st,
	                "SELECT count(*) FROM contacts c WHERE " CONTACT_MATCH,
	                "tt", user, like) < 0)
		return -1;
	rc = store_step(st, err);
	if (rc == 1)
		*total_r = (size_t)store_col_int(st, 0);
	store_finish(&st);
	if (rc < 0)
		return -1;
	if (store_query(s, a, err, &st,
	                "SELECT c.id, c.name, c.phone, c.organization, c.notes "
	                "FROM contacts c WHERE " CONTACT_MATCH " ORDER BY "
	                "CASE WHEN c.name = '' THEN c.email ELSE c.name END "
	                "COLLATE NOCASE, c.id LIMIT ?3 OFFSET ?4",
	                "ttII", user, like, (int64_t)limit,
	                (int64_t)offset) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1 && n < limit) {
		v[n].id = store_col_int(st, 0);
		v[n].name = store_col_dup(st, 1);
		v[n].phone = store_col_dup(st, 2);
		v[n].organization = store_col_dup(st, 3);
		v[n].notes = store_col_dup(st, 4);
		n++;
	}
	store_finish(&st);
	if (rc < 0)
		return -1;
	/* A column that could not be copied is NULL: not a contact to show. */
	if (arena_hit_limit(a))
		return perr_set(err, NULL, PERR_LIMIT, "out of request memory");
	for (i = 0; i < n; i++)
		if (contact_emails(s, &v[i], a, err) != 0)
			return -1;
	*list_r = v;
	*n_r = n;
	return 0;
}

static int
contact_count(struct store *s, const char *user, struct arena *a, size_t *n_r,
              struct perr *err)
{
	struct store_stmt *st;
	int rc;

	*n_r = 0;
	if (store_query(s, a, err, &st,
	                "SELECT count(*) FROM contacts WHERE user = ?", "t",
	                user) < 0)
		return -1;
	rc = store_step(st, err);
	if (rc == 1)
		*n_r = (size_t)store_col_int(st, 0);
	store_finish(&st);
	return rc < 0 ? -1 : 0;
}

/* Insert or replace one inside the caller's transaction. */
static int
contact_write(struct store *s, const char *user, const struct store_contact *c,
              size_t max, int64_t now, struct arena *a, int64_t *id_r,
              struct perr *err)
{
	const char *primary = c->n_emails > 0 ? c->emails[0] : "";
	size_t count, i;
	int64_t id = c->id;
	int n;

	if (id > 0) {
		n = store_exec(s, a, err,
		               "UPDATE contacts SET name = ?, email = ?, "
		               "phone = ?, organization = ?, notes = ?, "
		               "updated = ? WHERE user = ? AND id = ?",
		               "tttttItI", c->name, primary, c->phone,
		               c->organization, c->notes, now, user, id);
		if (n < 0)
			return -1;
		if (n == 0)
			return perr_set(err, a, PERR_NOTFOUND,
			                "no such contact");
		if (store_exec(
		            s, a, err,
		            "DELETE FROM contact_emails WHERE contact_id = ?",
		            "I", id) < 0)
			return -1;
	} else {
		/* Counted inside the write lock: parallel saves cannot pass. */
		if (contact_count(s, user, a, &count, err) != 0)
			return -1;
		if (count >= max)
			return perr_set(
			        err, a, PERR_LIMIT,
			        "the address book is full (%zu contacts)", max);
		if (store_exec(
		            s, a, err,
		            "INSERT INTO contacts (user, name, email, phone, "
		            "organization, notes, created, updated) "
		            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		            "ttttttII", user, c->name, primary, c->phone,
		            c->organization, c->notes, now, now) < 0)
			return -1;
		id = store_last_insert_id(s);
	}
	for (i = 0; i < c->n_emails; i++)
		if (store_exec(s, a, err,
		               "INSERT INTO contact_emails (contact_id, "
		               "position, email) VALUES (?, ?, ?)",
		               "Iit", id, (int)i, c->emails[i]) < 0)
			return -1;
	*id_r = id;
	return 0;
}

int
store_contact_save(struct store *s, const char *user,
                   const struct store_contact *c, size_t max, int64_t now,
                   struct arena *a, int64_t *id_r, struct perr *err)
{
	if (store_begin(s, a, err) != 0)
		return -1;
	if (contact_write(s, user, c, max, now, a, id_r, err) != 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, a, err);
}

int
store_contact_import(struct store *s, const char *user,
                     const struct store_contact *list, size_t n, size_t max,
                     int64_t now, struct arena *a, size_t *added_r,
                     struct perr *err)
{
	size_t i;
	int64_t id;

	*added_r = 0;
	/* One transaction: one sync for the whole file, and all or nothing. */
	if (store_begin(s, a, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (contact_write(s, user, &list[i], max, now, a, &id, err) ==
		    0) {
			(*added_r)++;
			continue;
		}
		if (err->kind != PERR_LIMIT || *added_r == 0) {
			store_rollback(s);
			*added_r = 0;
			return -1;
		}
		perr_clear(err); /* full: keep what fitted */
		break;
	}
	if (store_commit(s, a, err) != 0) {
		*added_r = 0;
		return -1;
	}
	return 0;
}

int
store_contact_delete(struct store *s, const char *user, const int64_t *ids,
                     size_t n_ids, struct arena *a, size_t *n_r,
                     struct perr *err)
{
	size_t i;
	int n;

	*n_r = 0;
	if (store_begin(s, a, err) != 0)
		return -1;
	for (i = 0; i < n_ids; i++) {
		/* contact_emails go with it (ON DELETE CASCADE). */
		n = store_exec(s, a, err,
		               "DELETE FROM contacts WHERE user = ? AND id = ?",
		               "tI", user, ids[i]);
		if (n < 0) {
			store_rollback(s);
			return -1;
		}
		*n_r += (size_t)n;
	}
	return store_commit(s, a, err);
}

int
store_contact_suggest(struct store *s, const char *user, const char *q,
                      size_t limit, struct arena *a,
                      struct store_recipient **list_r, size_t *n_r,
                      struct perr *err)
{
	return store_suggest_query(
	        s,
	        "SELECT e.email, c.name FROM contacts c "
	        "JOIN contact_emails e ON e.contact_id = c.id "
	        "WHERE c.user = ?1 AND (c.name LIKE ?2 ESCAPE '\\' "
	        "OR e.email LIKE ?2 ESCAPE '\\') "
	        "ORDER BY c.name COLLATE NOCASE, c.id, e.position LIMIT ?3",
	        user, q, limit, a, list_r, n_r, err);
}
