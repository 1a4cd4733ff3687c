/*
 * The record of a written credentials file.
 *
 * The server cannot see the credentials file itself: it lives in root's
 * home, and the shipped unit runs Petrel as the user petrel with
 * ProtectHome=yes, so a stat() from the server says "not there" whether
 * it is or not. Instead `petrel admin init` (and `passwd`, when it
 * rewrites the file) leaves a small ini file in the data directory that
 * names the file and when it was written. The dashboard warns while that
 * record exists; it goes when the admin confirms the deletion in the
 * panel or runs `petrel admin credentials-deleted`, which, run as root,
 * also checks that the file is really gone.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "config/config.h"
#include "core/banned.h"

#define RECORD_SECTION "credentials_file"

static const char record_head[] =
        "; Written by `petrel admin init` / `petrel admin passwd`: the admin\n"
        "; credentials were written in plain text to `path`. The admin "
        "panel\n"
        "; warns until the deletion of that file is confirmed in the panel "
        "or\n"
        "; with `petrel admin credentials-deleted`, which removes this "
        "file.\n"
        "[" RECORD_SECTION "]\n";

char *
admin_cred_record_path(const char *configs_dir, struct arena *a)
{
	return arena_printf(a, "%s/%s", configs_dir, ADMIN_CRED_RECORD_NAME);
}

int
admin_cred_record_write(const char *configs_dir, const char *cred_path,
                        int64_t written, struct arena *a, struct perr *err)
{
	char *path = admin_cred_record_path(configs_dir, a);
	struct ini_doc *doc = NULL;
	struct stat dir;
	int r;

	if (path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (ini_parse(ADMIN_CRED_RECORD_NAME, strv_from_cstr(record_head), NULL,
	              NULL, &doc, a, err) != 0)
		return -1;
	r = ini_set(doc, RECORD_SECTION, "path", strv_from_cstr(cred_path),
	            err);
	if (r == 0)
		r = ini_set_uint(doc, RECORD_SECTION, "written",
		                 written > 0 ? (uint64_t)written : 0, err);
	if (r == 0)
		r = ini_save(doc, path, 0640, err);
	if (r != 0 && err->msg != NULL)
		err->msg = arena_strdup(a, err->msg); /* outlive the doc */
	ini_destroy(&doc);
	if (r != 0)
		return -1;
	/*
	 * root writing into a data directory the server owns: the server
	 * must read (and on confirmation remove) the record.
	 */
	if (geteuid() == 0 && stat(configs_dir, &dir) == 0 && dir.st_uid != 0 &&
	    lchown(path, dir.st_uid, dir.st_gid) != 0)
		return perr_set(err, a, PERR_INTERNAL, "cannot chown %s: %s",
		                path, strerror(errno));
	return 0;
}

int
admin_cred_record_read(const char *configs_dir, struct arena *a,
                       struct admin_cred_record *rec_r, struct perr *err)
{
	char *path = admin_cred_record_path(configs_dir, a);
	struct ini_doc *doc = NULL;
	struct ini_entry e;
	uint64_t t = 0;

	memset(rec_r, 0, sizeof(*rec_r));
	if (path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (ini_load(path, NULL, NULL, &doc, a, err) != 0) {
		if (err->kind != PERR_NOTFOUND)
			return -1;
		perr_clear(err);
		return 0;
	}
	if (!ini_get(doc, RECORD_SECTION, "path", &e) || e.value.len == 0) {
		ini_destroy(&doc);
		return perr_set(err, a, PERR_INPUT, "%s names no path", path);
	}
	rec_r->path = strv_dup(a, e.value);
	if (ini_get(doc, RECORD_SECTION, "written", &e) &&
	    !pt_parse_u64(e.value, INT64_MAX, &t))
		t = 0;
	rec_r->written = (int64_t)t;
	ini_destroy(&doc);
	if (rec_r->path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	rec_r->found = true;
	return 0;
}

int
admin_cred_record_clear(const char *configs_dir, struct arena *a,
                        struct perr *err)
{
	char *path = admin_cred_record_path(configs_dir, a);

	if (path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (unlink(path) != 0 && errno != ENOENT)
		return perr_set(err, a, PERR_INTERNAL, "cannot remove %s: %s",
		                path, strerror(errno));
	return 0;
}

int
admin_credentials_deleted(const char *data_dir, struct arena *a,
                          struct admin_cred_record *rec_r, struct perr *err)
{
	struct config_paths paths;
	struct stat st;
	int r = -1;

	config_paths_init(&paths, data_dir);
	if (admin_cred_record_read(paths.configs_dir, a, rec_r, err) != 0)
		goto out;
	if (!rec_r->found) {
		r = 0;
		goto out;
	}
	if (lstat(rec_r->path, &st) == 0) {
		perr_set(err, a, PERR_CONFLICT,
		         "%s still exists: delete it first (it holds the admin "
		         "password in plain text)",
		         rec_r->path);
		goto out;
	}
	if (errno != ENOENT) {
		perr_set(err, a, PERR_FORBIDDEN,
		         "cannot check whether %s is gone (%s); run this as "
		         "root",
		         rec_r->path, strerror(errno));
		goto out;
	}
	r = admin_cred_record_clear(paths.configs_dir, a, err);
out:
	config_paths_deinit(&paths);
	return r;
}
