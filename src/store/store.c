/*
 * Connection, migrations and the bound-parameter statement layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_private.h"
#include "core/banned.h"

struct store {
	sqlite3 *db;
};

struct store_stmt {
	sqlite3_stmt *st;
	struct arena *a;
};

static enum perr_kind
kind_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return PERR_TEMPFAIL;
	case SQLITE_CONSTRAINT:
		return PERR_CONFLICT;
	case SQLITE_FULL:
		return PERR_NOSPACE;
	default:
		return PERR_INTERNAL;
	}
}

static int
db_error(sqlite3 *db, int rc, struct arena *a, struct perr *err,
         const char *what)
{
	return perr_set(err, a, kind_of(rc), "sqlite: %s: %s", what,
	                db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

unsigned
store_schema_latest(void)
{
	return (unsigned)store_migration_count;
}

/* sqlite3_exec for fixed SQL with no parameters (pragmas, DDL). */
static int
exec_fixed(sqlite3 *db, const char *sql, struct arena *a, struct perr *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_error(db, rc, a, err, sql);
	return 0;
}

int
store_schema_version(struct store *s, unsigned *version_r, struct arena *a,
                     struct perr *err)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
	                        "SELECT coalesce(max(version), 0) "
	                        "FROM schema_migrations",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(s->db, rc, a, err, "schema version");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_error(s->db, rc, a, err, "schema version");
	}
	*version_r = (unsigned)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int
apply_migration(struct store *s, unsigned version,
                const struct store_migration *m, struct arena *a,
                struct perr *err)
{
	unsigned have;

	/*
	 * Take the write lock first, then look: two processes opening a new
	 * database at once must not both apply the same migration.
	 */
	if (store_begin(s, a, err) < 0)
		return -1;
	if (store_schema_version(s, &have, a, err) < 0)
		goto fail;
	if (have >= version) {
		store_rollback(s);
		return 0;
	}
	if (have != version - 1) {
		perr_set(err, a, PERR_INTERNAL,
		         "schema is at version %u, cannot apply %s", have,
		         m->name);
		goto fail;
	}
	if (exec_fixed(s->db, m->sql, a, err) < 0)
		goto fail;
	if (store_exec(s, a, err,
	               "INSERT INTO schema_migrations (version, name, applied) "
	               "VALUES (?, ?, strftime('%s', 'now'))",
	               "it", (int)version, m->name) < 0)
		goto fail;
	return store_commit(s, a, err);
fail:
	store_rollback(s);
	return -1;
}

static int
migrate(struct store *s, struct arena *a, struct perr *err)
{
	unsigned have;
	size_t i;

	if (exec_fixed(s->db,
	               "CREATE TABLE IF NOT EXISTS schema_migrations ("
	               "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	               "applied INTEGER NOT NULL)",
	               a, err) < 0)
		return -1;
	if (store_schema_version(s, &have, a, err) < 0)
		return -1;
	if (have > store_migration_count)
		return perr_set(err, a, PERR_INTERNAL,
		                "database schema version %u is newer than "
		                "this Petrel knows (%zu)",
		                have, store_migration_count);
	for (i = have; i < store_migration_count; i++) {
		const char *name = store_migrations[i].name;
		char want[8];

		/* File names carry the version: 0001_init.sql is version 1. */
		PT_ASSERT(pt_snprintf_ok(want, sizeof(want), "%04zu_", i + 1));
		PT_ASSERT(strncmp(name, want, 5) == 0);
		if (apply_migration(s, (unsigned)(i + 1), &store_migrations[i],
		                    a, err) < 0)
			return -1;
	}
	return 0;
}

int
store_open(const char *path, struct store **store_r, struct arena *a,
           struct perr *err)
{
	struct store *s;
	int rc, fd;

	*store_r = NULL;
	/*
	 * sqlite would create it 0644; sessions are nobody else's business.
	 * O_EXCL matters: close() on ANY descriptor of a file drops every
	 * POSIX lock this process holds on it, so opening and closing an
	 * existing database here would silently unlock the other threads'
	 * connections (and let another process delete the WAL under them).
	 * Only a file we just created, which nobody can have locked yet, is
	 * ever closed here.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return perr_set(err, a, PERR_INTERNAL, "%s: cannot create: %s",
		                path, strerror(errno));
	s = pt_xcalloc(1, sizeof(*s));
	rc = sqlite3_open_v2(path, &s->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		db_error(s->db, rc, a, err, path);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    exec_fixed(s->db, "PRAGMA journal_mode = WAL", a, err) < 0 ||
	    exec_fixed(s->db, "PRAGMA synchronous = NORMAL", a, err) < 0 ||
	    exec_fixed(s->db, "PRAGMA foreign_keys = ON", a, err) < 0 ||
	    migrate(s, a, err) < 0)
		goto fail;
	*store_r = s;
	return 0;
fail:
	store_close(&s);
	return -1;
}

void
store_close(struct store **storep)
{
	struct store *s = *storep;

	if (s == NULL)
		return;
	/* _v2: a statement still in an arena keeps the handle alive. */
	sqlite3_close_v2(s->db);
	free(s);
	*storep = NULL;
}

/* ---- statements ------------------------------------------------------ */

static int
bind_all(sqlite3_stmt *st, const char *types, va_list ap, struct arena *a,
         struct perr *err)
{
	int n = sqlite3_bind_parameter_count(st), i, rc = SQLITE_OK;
	size_t ntypes = strlen(types);

	if (ntypes != (size_t)n)
		return perr_set(err, a, PERR_INTERNAL,
		                "store: %zu values for %d parameters in: %s",
		                ntypes, n, sqlite3_sql(st));
	for (i = 0; i < n; i++) {
		int idx = i + 1;

		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int(st, idx, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, idx, va_arg(ap, int64_t));
			break;
		case 't': {
			const char *t = va_arg(ap, const char *);

			rc = t == NULL ? sqlite3_bind_null(st, idx)
			               : sqlite3_bind_text(st, idx, t, -1,
			                                   SQLITE_TRANSIENT);
			break;
		}
		case 's': {
			struct strv v = va_arg(ap, struct strv);

			if (v.p == NULL)
				rc = sqlite3_bind_null(st, idx);
			else if (v.len > INT32_MAX)
				rc = SQLITE_TOOBIG;
			else
				rc = sqlite3_bind_text(st, idx, v.p, (int)v.len,
				                       SQLITE_TRANSIENT);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);

			rc = sqlite3_bind_blob64(st, idx, p == NULL ? "" : p,
			                         len, SQLITE_TRANSIENT);
			break;
		}
		case 'n':
			rc = sqlite3_bind_null(st, idx);
			break;
		default:
			return perr_set(err, a, PERR_INTERNAL,
			                "store: bad parameter type '%c'",
			                types[i]);
		}
		if (rc != SQLITE_OK)
			return db_error(sqlite3_db_handle(st), rc, a, err,
			                "bind");
	}
	return 0;
}

static int
prepare_bound(struct store *s, const char *sql, const char *types, va_list ap,
              sqlite3_stmt **st_r, struct arena *a, struct perr *err)
{
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, st_r, NULL);
	if (rc != SQLITE_OK)
		return db_error(s->db, rc, a, err, "prepare");
	if (bind_all(*st_r, types, ap, a, err) < 0) {
		sqlite3_finalize(*st_r);
		*st_r = NULL;
		return -1;
	}
	return 0;
}

int
store_exec(struct store *s, struct arena *a, struct perr *err, const char *sql,
           const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = prepare_bound(s, sql, types, ap, &st, a, err);
	va_end(ap);
	if (rc < 0)
		return -1;
	do {
		rc = sqlite3_step(st);
	} while (rc == SQLITE_ROW); /* e.g. RETURNING: rows are ignored */
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(s->db, rc, a, err, "exec");
	return sqlite3_changes(s->db);
}

static void
stmt_defer(void *arg)
{
	struct store_stmt *st = arg;

	store_finish(&st);
}

int
store_query(struct store *s, struct arena *a, struct perr *err,
            struct store_stmt **stmt_r, const char *sql, const char *types, ...)
{
	struct store_stmt *st;
	va_list ap;
	int rc;

	PT_ASSERT(a != NULL);
	*stmt_r = NULL;
	st = arena_new(a, struct store_stmt);
	if (st == NULL)
		return perr_set(err, a, PERR_LIMIT, "store: arena full");
	va_start(ap, types);
	rc = prepare_bound(s, sql, types, ap, &st->st, a, err);
	va_end(ap);
	if (rc < 0)
		return -1;
	st->a = a;
	/* Registered at once, so that no error path can leak it. */
	arena_defer(a, stmt_defer, st);
	*stmt_r = st;
	return 0;
}

int
store_step(struct store_stmt *st, struct perr *err)
{
	int rc;

	if (st->st == NULL)
		return 0;
	rc = sqlite3_step(st->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(sqlite3_db_handle(st->st), rc, st->a, err, "step");
}

int64_t
store_col_int(struct store_stmt *st, int col)
{
	return sqlite3_column_int64(st->st, col);
}

struct strv
store_col_text(struct store_stmt *st, int col)
{
	const unsigned char *p = sqlite3_column_text(st->st, col);
	struct strv v;

	if (p == NULL)
		return STRV_NULL;
	v.p = (const char *)p;
	v.len = (size_t)sqlite3_column_bytes(st->st, col);
	return v;
}

struct strv
store_col_blob(struct store_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st->st, col);
	struct strv v;

	if (p == NULL)
		return STRV_NULL;
	v.p = p;
	v.len = (size_t)sqlite3_column_bytes(st->st, col);
	return v;
}

bool
store_col_is_null(struct store_stmt *st, int col)
{
	return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

char *
store_col_dup(struct store_stmt *st, int col)
{
	struct strv v = store_col_text(st, col);

	return v.p == NULL ? arena_strdup(st->a, "") : strv_dup(st->a, v);
}

void
store_finish(struct store_stmt **stp)
{
	struct store_stmt *st = *stp;

	if (st == NULL)
		return;
	if (st->st != NULL) {
		sqlite3_finalize(st->st);
		st->st = NULL;
	}
	*stp = NULL;
}

int
store_begin(struct store *s, struct arena *a, struct perr *err)
{
	return exec_fixed(s->db, "BEGIN IMMEDIATE", a, err);
}

int
store_commit(struct store *s, struct arena *a, struct perr *err)
{
	if (exec_fixed(s->db, "COMMIT", a, err) < 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t
store_last_insert_id(struct store *s)
{
	return sqlite3_last_insert_rowid(s->db);
}
