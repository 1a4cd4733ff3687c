/*
 * remote_image_senders: the senders whose remote images a user always
 * wants shown ("always show images from this sender"). Addresses arrive
 * normalised (lower-case, validated) from the caller; this file only
 * stores and reads them, one statement each.
 */
#include <string.h>

#include "store.h"
#include "core/banned.h"

int
store_image_sender_add(struct store *s, const char *user, const char *sender,
                       int64_t now, struct arena *a, struct perr *err)
{
	return store_exec(s, a, err,
	                  "INSERT INTO remote_image_senders "
	                  "(user, sender, created) VALUES (?, ?, ?) "
	                  "ON CONFLICT (user, sender) DO NOTHING",
	                  "ttI", user, sender, now) < 0
	               ? -1
	               : 0;
}

int
store_image_sender_remove(struct store *s, const char *user, const char *sender,
                          struct arena *a, struct perr *err)
{
	return store_exec(s, a, err,
	                  "DELETE FROM remote_image_senders "
	                  "WHERE user = ? AND sender = ?",
	                  "tt", user, sender) < 0
	               ? -1
	               : 0;
}

int
store_image_sender_has(struct store *s, const char *user, const char *sender,
                       struct arena *a, bool *has_r, struct perr *err)
{
	struct store_stmt *st;
	int rc;

	*has_r = false;
	if (store_query(s, a, err, &st,
	                "SELECT 1 FROM remote_image_senders "
	                "WHERE user = ? AND sender = ?",
	                "tt", user, sender) < 0)
		return -1;
	rc = store_step(st, err);
	store_finish(&st);
	if (rc < 0)
		return -1;
	*has_r = rc == 1;
	return 0;
}

int
store_image_sender_list(struct store *s, const char *user, size_t limit,
                        struct arena *a, const char ***senders_r,
                        size_t *count_r, struct perr *err)
{
	struct store_stmt *st;
	const char **v;
	size_t n = 0;
	int rc;

	*senders_r = NULL;
	*count_r = 0;
	if (limit == 0)
		return 0;
	v = arena_new_array(a, const char *, limit);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "too many senders");
	if (store_query(s, a, err, &st,
	                "SELECT sender FROM remote_image_senders "
	                "WHERE user = ? ORDER BY sender LIMIT ?",
	                "tI", user, (int64_t)limit) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1) {
		v[n] = store_col_dup(st, 0);
		if (v[n] == NULL) {
			store_finish(&st);
			return perr_set(err, a, PERR_LIMIT, "sender too large");
		}
		n++;
	}
	store_finish(&st);
	if (rc < 0)
		return -1;
	*senders_r = v;
	*count_r = n;
	return 0;
}
