/*
 * The concrete queries other modules need now. Each is one statement (or
 * one UPSERT), so none needs an explicit transaction.
 */
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "store.h"
#include "core/banned.h"

int
store_setting_get(struct store *s, const char *user, const char *key,
                  struct arena *a, char **value_r, struct perr *err)
{
	struct store_stmt *st;
	int rc;

	*value_r = NULL;
	if (store_query(s, a, err, &st,
	                "SELECT value FROM user_settings "
	                "WHERE user = ? AND key = ?",
	                "tt", user, key) < 0)
		return -1;
	rc = store_step(st, err);
	if (rc == 1) {
		*value_r = store_col_dup(st, 0);
		if (*value_r == NULL)
			rc = perr_set(err, a, PERR_LIMIT, "setting too large");
	}
	store_finish(&st);
	return rc < 0 ? -1 : 0;
}

int
store_setting_set(struct store *s, const char *user, const char *key,
                  const char *value, int64_t now, struct arena *a,
                  struct perr *err)
{
	int rc;

	if (value == NULL)
		rc = store_exec(s, a, err,
		                "DELETE FROM user_settings "
		                "WHERE user = ? AND key = ?",
		                "tt", user, key);
	else
		rc = store_exec(s, a, err,
		                "INSERT INTO user_settings "
		                "(user, key, value, updated) "
		                "VALUES (?1, ?2, ?3, ?4) "
		                "ON CONFLICT (user, key) DO UPDATE "
		                "SET value = ?3, updated = ?4",
		                "tttI", user, key, value, now);
	return rc < 0 ? -1 : 0;
}

/* One row count out of a single-value query (0 when no row). */
static int
query_count(struct store_stmt *st, unsigned *count_r, struct perr *err)
{
	int rc = store_step(st, err);
	int64_t v;

	*count_r = 0;
	if (rc == 1) {
		v = store_col_int(st, 0);
		*count_r = v < 0            ? 0
		           : v > UINT32_MAX ? UINT32_MAX
		                            : (unsigned)v;
	}
	store_finish(&st);
	return rc < 0 ? -1 : 0;
}

char *
store_ratelimit_key(struct arena *a, const char *scope, const char *kind,
                    const char *value)
{
	unsigned char in6[16];
	char buf[INET6_ADDRSTRLEN];
	char *out;
	size_t i, pre;

	if (strcmp(kind, "ip") == 0 && inet_pton(AF_INET6, value, in6) == 1) {
		static const unsigned char v4mapped[12] = {
		        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(in6, v4mapped, sizeof(v4mapped)) == 0 &&
		    inet_ntop(AF_INET, in6 + 12, buf, sizeof(buf)) != NULL)
			return arena_printf(a, "%s:%s:%s", scope, kind, buf);
		/* The interface identifier (low 64 bits) is the host's own. */
		memset(in6 + 8, 0, 8);
		if (inet_ntop(AF_INET6, in6, buf, sizeof(buf)) != NULL)
			return arena_printf(a, "%s:%s:%s/64", scope, kind, buf);
	}
	out = arena_printf(a, "%s:%s:%s", scope, kind, value);
	if (strcmp(kind, "user") == 0) {
		pre = strlen(scope) + strlen(kind) + 2;
		for (i = pre; out[i] != '\0'; i++)
			if (out[i] >= 'A' && out[i] <= 'Z')
				out[i] = (char)(out[i] - 'A' + 'a');
	}
	return out;
}

int
store_ratelimit_hit(struct store *s, const char *key, unsigned window_seconds,
                    int64_t now, unsigned *count_r, struct arena *a,
                    struct perr *err)
{
	struct store_stmt *st;

	/*
	 * One statement, so two workers counting the same key at once both
	 * get counted (sqlite serialises writers). SET expressions see the
	 * old row, so both CASEs test the same window.
	 */
	if (store_query(s, a, err, &st,
	                "INSERT INTO rate_limits (key, window_start, count) "
	                "VALUES (?1, ?2, 1) "
	                "ON CONFLICT (key) DO UPDATE SET "
	                "count = CASE WHEN window_start + ?3 > ?2 "
	                "THEN count + 1 ELSE 1 END, "
	                "window_start = CASE WHEN window_start + ?3 > ?2 "
	                "THEN window_start ELSE ?2 END "
	                "RETURNING count",
	                "tII", key, now, (int64_t)window_seconds) < 0)
		return -1;
	return query_count(st, count_r, err);
}

int
store_ratelimit_check(struct store *s, const char *key, unsigned window_seconds,
                      int64_t now, unsigned *count_r, struct arena *a,
                      struct perr *err)
{
	struct store_stmt *st;

	if (store_query(s, a, err, &st,
	                "SELECT count FROM rate_limits "
	                "WHERE key = ?1 AND window_start + ?3 > ?2",
	                "tII", key, now, (int64_t)window_seconds) < 0)
		return -1;
	return query_count(st, count_r, err);
}

int
store_ratelimit_reset(struct store *s, const char *key, struct arena *a,
                      struct perr *err)
{
	return store_exec(s, a, err, "DELETE FROM rate_limits WHERE key = ?",
	                  "t", key) < 0
	               ? -1
	               : 0;
}

int
store_ratelimit_purge(struct store *s, int64_t before, struct arena *a,
                      struct perr *err)
{
	return store_exec(s, a, err,
	                  "DELETE FROM rate_limits WHERE window_start < ?", "I",
	                  before);
}

int
store_audit_append(struct store *s, int64_t time, const char *actor,
                   const char *ip, const char *action, const char *detail,
                   struct arena *a, struct perr *err)
{
	return store_exec(s, a, err,
	                  "INSERT INTO audit_log "
	                  "(time, actor, ip, action, detail) "
	                  "VALUES (?, ?, ?, ?, ?)",
	                  "Itttt", time, actor, ip != NULL ? ip : "", action,
	                  detail != NULL ? detail : "") < 0
	               ? -1
	               : 0;
}

int
store_audit_recent(struct store *s, size_t limit, struct arena *a,
                   struct store_audit_entry **entries_r, size_t *count_r,
                   struct perr *err)
{
	struct store_audit_entry *e;
	struct store_stmt *st;
	size_t n = 0;
	int rc;

	*entries_r = NULL;
	*count_r = 0;
	if (limit == 0)
		return 0;
	if (limit > INT32_MAX)
		limit = INT32_MAX;
	e = arena_new_array(a, struct store_audit_entry, limit);
	if (e == NULL)
		return perr_set(err, a, PERR_LIMIT, "audit list too long");
	if (store_query(s, a, err, &st,
	                "SELECT id, time, actor, ip, action, detail "
	                "FROM audit_log ORDER BY id DESC LIMIT ?",
	                "I", (int64_t)limit) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1) {
		e[n].id = store_col_int(st, 0);
		e[n].time = store_col_int(st, 1);
		e[n].actor = store_col_dup(st, 2);
		e[n].ip = store_col_dup(st, 3);
		e[n].action = store_col_dup(st, 4);
		e[n].detail = store_col_dup(st, 5);
		if (e[n].actor == NULL || e[n].ip == NULL ||
		    e[n].action == NULL || e[n].detail == NULL) {
			rc = perr_set(err, a, PERR_LIMIT,
			              "audit list too large");
			break;
		}
		n++;
	}
	store_finish(&st);
	if (rc < 0)
		return -1;
	*entries_r = e;
	*count_r = n;
	return 0;
}
