/*
 * The SnappyMail data directory layout. Creation is idempotent and never
 * touches what exists: an admin's edited application.ini is theirs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_private.h"
#include "core/banned.h"

struct strv
config_default_application_ini(void)
{
	return (struct strv){config_tmpl_application_ini,
	                     config_tmpl_application_ini_len};
}

struct strv
config_default_domain_ini(void)
{
	return (struct strv){config_tmpl_domain_ini,
	                     config_tmpl_domain_ini_len};
}

static int
make_dir(const char *path, mode_t mode, struct arena *a, struct perr *err)
{
	struct stat st;
	int e;

	if (mkdir(path, mode) == 0)
		return 0;
	e = errno;
	if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	/* A directory needs a block too: a full disk is 507. */
	return perr_set(err, a, perr_kind_of_errno(e),
	                "%s: cannot create directory: %s", path,
	                e == EEXIST ? "not a directory" : strerror(e));
}

/* Create path with the text unless it exists (O_EXCL: no races). */
static int
write_new_file(const char *path, struct strv text, struct arena *a,
               struct perr *err)
{
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		e = errno;
		if (e == EEXIST)
			return 0;
		/* Out of inodes or quota: 507, like the failed writes below. */
		return perr_set(err, a, perr_kind_of_errno(e),
		                "%s: cannot create: %s", path, strerror(e));
	}
	if (pt_write_all(fd, text.p, text.len) < 0)
		goto fail;
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	/* A full disk is PERR_NOSPACE (507), and no truncated file stays. */
	return perr_set(err, a, perr_kind_of_errno(e), "%s: cannot write: %s",
	                path, strerror(e));
}

int
config_layout_create(const char *data_dir, struct arena *a, struct perr *err)
{
	struct config_paths p;
	char *data_sub;
	size_t n;
	int ret = -1;

	config_paths_init(&p, data_dir);
	/* DATA/_data_ is base_dir minus "/_default_". */
	n = strlen(p.base_dir) - strlen("/_default_");
	data_sub = pt_xstrndup(p.base_dir, n);
	if (make_dir(p.data_dir, 0750, a, err) < 0 ||
	    make_dir(data_sub, 0750, a, err) < 0 ||
	    make_dir(p.base_dir, 0750, a, err) < 0 ||
	    make_dir(p.configs_dir, 0700, a, err) < 0 ||
	    make_dir(p.domains_dir, 0750, a, err) < 0 ||
	    make_dir(p.storage_dir, 0700, a, err) < 0 ||
	    make_dir(p.logs_dir, 0750, a, err) < 0)
		goto out;
	if (write_new_file(p.application_ini, config_default_application_ini(),
	                   a, err) < 0)
		goto out;
	{
		char *def = pt_xmalloc(strlen(p.domains_dir) + 14);

		memcpy(def, p.domains_dir, strlen(p.domains_dir));
		memcpy(def + strlen(p.domains_dir), "/default.ini", 13);
		ret = write_new_file(def, config_default_domain_ini(), a, err);
		free(def);
	}
out:
	free(data_sub);
	config_paths_deinit(&p);
	return ret;
}
