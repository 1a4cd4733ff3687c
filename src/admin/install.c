/*
 * The install commands: `petrel admin init` and `petrel admin passwd`,
 * the root-only credentials file they write, and application.ini edits.
 *
 * The order in init matters (SnappyMail's known failure: the printed
 * credentials did not work): the credentials file is fully written to a
 * temp file first, then application.ini is saved, then the temp file is
 * renamed into place, and finally the config is loaded from disk again
 * and the very strings in the file are checked with the same functions
 * the web panel uses. Any failure is an error exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "config/config.h"
#include "core/banned.h"

#define CRED_FILE_MAX 4096

char *
admin_credentials_default_path(struct arena *a)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	const char *home = "/root";

	if (getpwuid_r(0, &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
	    res->pw_dir != NULL && res->pw_dir[0] != '\0')
		home = res->pw_dir;
	return arena_printf(a, "%s/%s", strcmp(home, "/") == 0 ? "" : home,
	                    ADMIN_CREDENTIALS_NAME);
}

/*
 * Check what is at path now: nothing (0, *exists_r false), or a regular
 * file owned by us (0, true). A symlink, anything else, or another
 * owner: PERR_FORBIDDEN. O_NOFOLLOW makes the open itself fail on a
 * symlink, so the check and the object checked are the same.
 */
static int
check_existing(const char *path, bool *exists_r, int *fd_r, struct arena *a,
               struct perr *err)
{
	struct stat st;
	int fd;

	*exists_r = false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return perr_set(err, a, PERR_FORBIDDEN,
			                "%s is a symbolic link; refusing to "
			                "write through it",
			                path);
		return perr_set(err, a, PERR_INTERNAL, "cannot open %s: %s",
		                path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return perr_set(err, a, PERR_FORBIDDEN,
		                "%s is not a regular file", path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return perr_set(err, a, PERR_FORBIDDEN,
		                "%s belongs to uid %u, not to us; refusing to "
		                "replace it",
		                path, (unsigned)st.st_uid);
	}
	*exists_r = true;
	if (fd_r != NULL)
		*fd_r = fd;
	else
		close(fd);
	return 0;
}

/*
 * A prepared (written) temp file waiting to be renamed; `open` tells
 * whether f holds one (a zeroed struct holds none).
 */
struct cred_tmp {
	struct pt_atomic_file f;
	bool open;
};

static int
cred_prepare(const char *path, const char *user, const char *password,
             const char *key, struct arena *a, struct cred_tmp *t,
             struct perr *err)
{
	bool exists;
	char *text;

	if (check_existing(path, &exists, NULL, a, err) != 0)
		return -1;
	text = arena_printf(a, "Username: %s\nPassword: %s\nSecret key: %s\n",
	                    user, password, key);
	if (text == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	/* O_EXCL and mode 0600 before a byte is written. */
	if (pt_atomic_open(&t->f, path, 0600, a, err) != 0) {
		OPENSSL_cleanse(text, strlen(text));
		return -1;
	}
	t->open = true;
	if ((geteuid() == 0 && fchown(t->f.fd, 0, 0) != 0) ||
	    pt_write_all(t->f.fd, text, strlen(text)) != 0) {
		int e = errno;

		OPENSSL_cleanse(text, strlen(text));
		pt_atomic_abort(&t->f);
		t->open = false;
		/* A full disk is 507 (PERR_NOSPACE), any other failure 500. */
		return perr_set(err, a, perr_kind_of_errno(e),
		                "cannot write %s: %s", path, strerror(e));
	}
	OPENSSL_cleanse(text, strlen(text));
	return 0;
}

static void
cred_abort(struct cred_tmp *t)
{
	if (t->open)
		pt_atomic_abort(&t->f);
	t->open = false;
}

static int
cred_commit(struct cred_tmp *t, struct arena *a, struct perr *err)
{
	bool exists;

	/* Check again right before: the file may have been swapped. */
	if (check_existing(t->f.path, &exists, NULL, a, err) != 0) {
		cred_abort(t);
		return -1;
	}
	/* fsync, rename (which replaces a symlink itself, never what it
	 * points at), fsync of the folder. */
	t->open = false;
	return pt_atomic_commit(&t->f, a, err);
}

int
admin_credentials_write(const char *path, const char *user,
                        const char *password, const char *key, struct arena *a,
                        struct perr *err)
{
	struct cred_tmp t = {0};

	if (cred_prepare(path, user, password, key, a, &t, err) != 0)
		return -1;
	return cred_commit(&t, a, err);
}

static char *
field_value(struct strv text, const char *label, struct arena *a)
{
	struct strv rest = text, line;

	while (rest.len > 0) {
		(void)strv_split_once(rest, '\n', &line, &rest);
		line = strv_trim(line);
		if (strv_starts_with(line, strv_from_cstr(label))) {
			line.p += strlen(label);
			line.len -= strlen(label);
			return strv_dup(a, strv_trim(line));
		}
	}
	return NULL;
}

int
admin_credentials_read(const char *path, struct arena *a, char **user_r,
                       char **password_r, char **key_r, struct perr *err)
{
	char buf[CRED_FILE_MAX];
	bool exists;
	ssize_t n;
	int fd = -1;

	if (check_existing(path, &exists, &fd, a, err) != 0)
		return -1;
	if (!exists)
		return perr_set(err, a, PERR_NOTFOUND, "%s does not exist",
		                path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return perr_set(err, a, PERR_INTERNAL, "cannot read %s: %s",
		                path, strerror(errno));
	*user_r = field_value((struct strv){buf, (size_t)n}, "Username:", a);
	*password_r =
	        field_value((struct strv){buf, (size_t)n}, "Password:", a);
	*key_r = field_value((struct strv){buf, (size_t)n}, "Secret key:", a);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (*user_r == NULL || *key_r == NULL || *password_r == NULL)
		return perr_set(err, a, PERR_INPUT,
		                "%s does not hold the three lines Username:, "
		                "Password:, Secret key:",
		                path);
	return 0;
}

/* ---- application.ini ------------------------------------------------- */

static int
load_or_create(const char *path, struct ini_doc **doc_r, struct arena *a,
               struct perr *err)
{
	if (ini_load(path, NULL, NULL, doc_r, a, err) == 0)
		return 0;
	if (err->kind != PERR_NOTFOUND)
		return -1;
	perr_clear(err);
	*doc_r = ini_create(path);
	return 0;
}

int
admin_app_settings_write(const struct config_paths *paths,
                         const struct admin_setting *set, size_t n,
                         struct arena *a, struct perr *err)
{
	struct ini_doc *doc = NULL;
	size_t i;
	int r = 0;

	if (load_or_create(paths->application_ini, &doc, a, err) != 0)
		return -1;
	for (i = 0; i < n && r == 0; i++) {
		const struct admin_setting *s = &set[i];

		if (s->value == NULL) {
			(void)ini_remove(doc, s->section, s->key);
			continue;
		}
		if (s->raw) {
			bool b;
			uint64_t u;

			if (ini_parse_bool(strv_from_cstr(s->value), &b))
				r = ini_set_bool(doc, s->section, s->key, b,
				                 err);
			else if (pt_parse_u64(strv_from_cstr(s->value),
			                      UINT32_MAX, &u))
				r = ini_set_uint(doc, s->section, s->key, u,
				                 err);
			else
				r = ini_set(doc, s->section, s->key,
				            strv_from_cstr(s->value), err);
		} else {
			r = ini_set(doc, s->section, s->key,
			            strv_from_cstr(s->value), err);
		}
	}
	if (r == 0)
		r = ini_save(doc, paths->application_ini, 0640, err);
	if (r != 0 && err->msg != NULL)
		err->msg = arena_strdup(a, err->msg); /* outlive the doc */
	ini_destroy(&doc);
	return r;
}

/* ---- taking over SnappyMail's admin ---------------------------------- */

static bool
is_key_hash(struct strv v)
{
	return admin_key_hash_is_known(v.p);
}

int
admin_takeover(const char *data_dir, struct arena *a,
               struct admin_takeover_result *res_r, struct perr *err)
{
	struct config_paths paths;
	struct ini_doc *doc = NULL;
	struct ini_entry key, old, pw, login;
	bool have_key, have_old, changed = false;
	const char *clear = NULL;
	char *hash = NULL, *lower;
	size_t i;
	int r = -1;

	memset(res_r, 0, sizeof(*res_r));
	config_paths_init(&paths, data_dir);
	if (ini_load(paths.application_ini, NULL, NULL, &doc, a, err) != 0) {
		if (err->kind == PERR_NOTFOUND) {
			perr_clear(err);
			r = 0;
		}
		goto out;
	}
	have_key =
	        ini_get(doc, "admin_panel", "key", &key) && key.value.len > 0;
	have_old = ini_get(doc, "security", "admin_panel_key", &old);
	if (have_key && !is_key_hash(key.value))
		clear = key.value.p;
	else if (!have_key && have_old && old.value.len > 0)
		clear = old.value.p;
	if (clear != NULL) {
		lower = arena_strdup(a, clear);
		if (lower == NULL) {
			perr_set(err, a, PERR_LIMIT, "out of memory");
			goto out;
		}
		for (i = 0; lower[i] != '\0'; i++)
			lower[i] = pt_ascii_tolower(lower[i]);
		if (admin_hash(ADMIN_HASH_KEY, strv_from_cstr(lower), a, &hash,
		               err) != 0)
			goto out;
		OPENSSL_cleanse(lower, strlen(lower));
		if (ini_set(doc, "admin_panel", "key", strv_from_cstr(hash),
		            err) != 0)
			goto fail_msg;
		res_r->key_hashed = true;
		changed = true;
	}
	if (have_old) {
		(void)ini_remove(doc, "security", "admin_panel_key");
		res_r->old_key_removed = true;
		changed = true;
	}
	res_r->key_legacy = !res_r->key_hashed && have_key &&
	                    admin_key_hash_is_legacy(key.value.p);
	res_r->bcrypt_password =
	        ini_get(doc, "security", "admin_password", &pw) &&
	        admin_hash_is_bcrypt(pw.value.p);
	if (res_r->bcrypt_password &&
	    (!ini_get(doc, "security", "admin_login", &login) ||
	     login.value.len == 0)) {
		if (ini_set(doc, "security", "admin_login", STRV_LIT("admin"),
		            err) != 0)
			goto fail_msg;
		res_r->login_defaulted = true;
		changed = true;
	}
	if (changed && ini_save(doc, paths.application_ini, 0600, err) != 0)
		goto fail_msg;
	r = 0;
	goto out;
fail_msg:
	if (err->msg != NULL)
		err->msg = arena_strdup(a, err->msg); /* outlive the doc */
out:
	ini_destroy(&doc);
	config_paths_deinit(&paths);
	return r;
}

/* ---- init and passwd ------------------------------------------------- */

/* Load the config from disk as the server would, and check the values. */
static int
verify_fresh(const char *data_dir, const char *user, const char *password,
             const char *key, struct arena *a, struct perr *err)
{
	struct config *cfg = NULL;
	bool ok;

	if (config_load(data_dir, NULL, NULL, &cfg, a, err) != 0)
		return -1;
	ok = admin_panel_enabled(cfg) &&
	     admin_login_verify(cfg, strv_from_cstr(user),
	                        strv_from_cstr(password)) &&
	     (key == NULL || admin_key_verify(cfg, strv_from_cstr(key)));
	config_unref(&cfg);
	if (!ok)
		return perr_set(err, a, PERR_INTERNAL,
		                "verification failed: the stored hashes do "
		                "not accept the new credentials");
	return 0;
}

/*
 * root ran the command on a data directory the server's user owns (the
 * package makes /var/lib/petrel petrel's): whatever the layout step just
 * created as root goes to that owner, or the server could not open it.
 */
static void
adopt_layout(const struct config_paths *p, struct arena *a)
{
	const char *paths[8];
	struct stat top, st;
	size_t i;

	if (geteuid() != 0 || stat(p->data_dir, &top) != 0 || top.st_uid == 0)
		return;
	paths[0] = arena_printf(a, "%s/_data_", p->data_dir);
	paths[1] = p->base_dir;
	paths[2] = p->configs_dir;
	paths[3] = p->application_ini;
	paths[4] = p->domains_dir;
	paths[5] = arena_printf(a, "%s/default.ini", p->domains_dir);
	paths[6] = p->storage_dir;
	paths[7] = p->logs_dir;
	for (i = 0; i < PT_NELEM(paths); i++)
		if (paths[i] != NULL && lstat(paths[i], &st) == 0 &&
		    st.st_uid == 0 && !S_ISLNK(st.st_mode))
			(void)!lchown(paths[i], top.st_uid, top.st_gid);
}

/* Record (with an absolute path) that the credentials file was written. */
static int
record_written(const struct config_paths *p, const char *cred, struct arena *a,
               struct perr *err)
{
	char *abs = realpath(cred, NULL);
	char *copy = abs != NULL ? arena_strdup(a, abs) : NULL;

	free(abs);
	return admin_cred_record_write(p->configs_dir,
	                               copy != NULL ? copy : cred,
	                               pt_now_unix(), a, err);
}

int
admin_init(const char *data_dir, const char *credentials_file, struct arena *a,
           struct admin_init_result *res_r, struct perr *err)
{
	struct config_paths paths;
	struct cred_tmp tmp = {0};
	char *user, *password, *key, *pw_hash = NULL, *key_hash = NULL;
	struct admin_setting set[6];
	int r = -1;

	memset(res_r, 0, sizeof(*res_r));
	if (credentials_file == NULL)
		credentials_file = admin_credentials_default_path(a);
	if (config_layout_create(data_dir, a, err) != 0)
		return -1;
	config_paths_init(&paths, data_dir);
	user = admin_generate_name(a);
	password = admin_generate_password(a);
	/* The hosting panel's documentation shows key = "admin_<hex>". */
	key = admin_generate_name(a);
	if (user == NULL || password == NULL || key == NULL ||
	    credentials_file == NULL) {
		perr_set(err, a, PERR_LIMIT, "out of memory");
		goto out;
	}
	if (admin_hash(ADMIN_HASH_PASSWORD, strv_from_cstr(password), a,
	               &pw_hash, err) != 0 ||
	    admin_hash(ADMIN_HASH_KEY, strv_from_cstr(key), a, &key_hash,
	               err) != 0)
		goto out;
	if (cred_prepare(credentials_file, user, password, key, a, &tmp, err) !=
	    0)
		goto out;
	set[0] = (struct admin_setting){"security", "admin_login", user, 0};
	set[1] = (struct admin_setting){"security", "admin_password", pw_hash,
	                                0};
	set[2] = (struct admin_setting){"admin_panel", "key", key_hash, 0};
	set[3] = (struct admin_setting){"admin_panel", "allow", "On", 1};
	/* A SnappyMail file's old clear key and switch go: these rule now. */
	set[4] = (struct admin_setting){"security", "admin_panel_key", NULL, 0};
	set[5] = (struct admin_setting){"security", "allow_admin_panel", NULL,
	                                0};
	if (admin_app_settings_write(&paths, set, PT_NELEM(set), a, err) != 0) {
		cred_abort(&tmp);
		goto out;
	}
	if (cred_commit(&tmp, a, err) != 0)
		goto out;
	if (verify_fresh(data_dir, user, password, key, a, err) != 0)
		goto out;
	adopt_layout(&paths, a); /* first: the record goes to configs' owner */
	if (record_written(&paths, credentials_file, a, err) != 0)
		goto out;
	res_r->user = user;
	res_r->password = password;
	res_r->key = key;
	res_r->credentials_file = credentials_file;
	res_r->application_ini = arena_strdup(a, paths.application_ini);
	r = 0;
out:
	config_paths_deinit(&paths);
	return r;
}

int
admin_passwd(const char *data_dir, const char *credentials_file,
             struct arena *a, struct admin_init_result *res_r, struct perr *err)
{
	struct config_paths paths;
	struct config *cfg = NULL;
	struct cred_tmp tmp = {0};
	char *password, *pw_hash = NULL, *f_user = NULL, *f_pw = NULL,
	                *f_key = NULL, *user;
	struct admin_setting set[1];
	bool have_file;
	int r = -1;

	memset(res_r, 0, sizeof(*res_r));
	if (credentials_file == NULL)
		credentials_file = admin_credentials_default_path(a);
	if (credentials_file == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (config_load(data_dir, NULL, NULL, &cfg, a, err) != 0)
		return -1;
	user = arena_strdup(a, cfg->security.admin_login);
	config_unref(&cfg);
	if (user == NULL || user[0] == '\0')
		return perr_set(err, a, PERR_NOTFOUND,
		                "no admin yet: run `petrel admin init` first");
	have_file = admin_credentials_read(credentials_file, a, &f_user, &f_pw,
	                                   &f_key, err) == 0;
	if (!have_file && err->kind != PERR_NOTFOUND)
		return -1;
	perr_clear(err);
	config_paths_init(&paths, data_dir);
	password = admin_generate_password(a);
	if (password == NULL) {
		perr_set(err, a, PERR_LIMIT, "out of memory");
		goto out;
	}
	if (admin_hash(ADMIN_HASH_PASSWORD, strv_from_cstr(password), a,
	               &pw_hash, err) != 0)
		goto out;
	if (have_file && cred_prepare(credentials_file, user, password, f_key,
	                              a, &tmp, err) != 0)
		goto out;
	set[0] = (struct admin_setting){"security", "admin_password", pw_hash,
	                                0};
	if (admin_app_settings_write(&paths, set, 1, a, err) != 0) {
		cred_abort(&tmp);
		goto out;
	}
	if (have_file && cred_commit(&tmp, a, err) != 0)
		goto out;
	if (verify_fresh(data_dir, user, password, have_file ? f_key : NULL, a,
	                 err) != 0)
		goto out;
	if (have_file && record_written(&paths, credentials_file, a, err) != 0)
		goto out;
	res_r->user = user;
	res_r->password = password;
	res_r->key = have_file ? f_key : NULL;
	res_r->credentials_file = have_file ? credentials_file : NULL;
	res_r->application_ini = arena_strdup(a, paths.application_ini);
	r = 0;
out:
	config_paths_deinit(&paths);
	return r;
}
