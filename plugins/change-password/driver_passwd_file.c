/*
 * change-password/driver_passwd_file.c - the user's line in a Dovecot
 * passwd-file gets a new hash.
 *
 * The file is named by passwd_file, where %u is the whole address, %n its
 * local part and %d its domain (Hestia keeps one file per mail domain).
 * The user's line is the one whose first field is %u or %n
 * (passwd_file_user), compared without regard to ASCII case as Dovecot's
 * %Lu does. The current password is checked against the stored hash
 * ({PLAIN}, {CRYPT}, {MD5} and the *-CRYPT schemes libcrypt knows), and
 * the new one is stored as {<passwd_file_scheme>}, which doveadm pw
 * writes the same way.
 *
 * The rewrite is atomic (a temporary file in the same folder, fsync,
 * rename, fsync of the folder; owner and mode kept), so Dovecot never
 * reads half a file; a lock file beside it serialises two changes.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "change_password.h"

enum { PASSWD_FILE_MAX = 16 * 1024 * 1024 };

/* Expand %u, %n, %d; no '/' or ".." may come in from the address. */
static char *
path_expand(const struct petrel_host *host, struct petrel_call *call,
            const char *tmpl, const char *user)
{
	const char *at = strrchr(user, '@');
	size_t cap = strlen(tmpl) + 3 * strlen(user) + 1, n = 0;
	char *out = host->alloc(call, cap);

	if (out == NULL || at == NULL || strchr(user, '/') != NULL ||
	    strstr(user, "..") != NULL)
		return NULL;
	for (; *tmpl != '\0'; tmpl++) {
		const char *s = NULL;
		size_t len = 0;

		if (tmpl[0] == '%' && tmpl[1] == 'u') {
			s = user;
			len = strlen(user);
		} else if (tmpl[0] == '%' && tmpl[1] == 'n') {
			s = user;
			len = (size_t)(at - user);
		} else if (tmpl[0] == '%' && tmpl[1] == 'd') {
			s = at + 1;
			len = strlen(at + 1);
		}
		if (s != NULL) {
			memcpy(out + n, s, len);
			n += len;
			tmpl++;
		} else {
			out[n++] = *tmpl;
		}
	}
	out[n] = '\0';
	return out;
}

static bool
same_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

static bool
equal_const(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char diff = alen != blen;
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

enum verdict { HASH_MATCH, HASH_MISMATCH, HASH_UNSUPPORTED };

static enum verdict
hash_verify(const char *password, const char *field, size_t len)
{
	struct crypt_data *cd;
	const char *scheme = "CRYPT", *hash = field, *close;
	size_t scheme_len = 5, hash_len = len;
	char stored[CRYPT_OUTPUT_SIZE];
	enum verdict v;

	if (len > 0 && field[0] == '{' &&
	    (close = memchr(field, '}', len)) != NULL) {
		scheme = field + 1;
		scheme_len = (size_t)(close - field - 1);
		hash = close + 1;
		hash_len = len - (size_t)(hash - field);
	}
	if (same_ci(scheme, scheme_len, "PLAIN", 5) ||
	    same_ci(scheme, scheme_len, "CLEARTEXT", 9))
		return equal_const(password, strlen(password), hash, hash_len)
		               ? HASH_MATCH
		               : HASH_MISMATCH;
	if (!same_ci(scheme, scheme_len, "CRYPT", 5) &&
	    !same_ci(scheme, scheme_len, "MD5", 3) &&
	    !same_ci(scheme, scheme_len, "MD5-CRYPT", 9) &&
	    !same_ci(scheme, scheme_len, "SHA256-CRYPT", 12) &&
	    !same_ci(scheme, scheme_len, "SHA512-CRYPT", 12) &&
	    !same_ci(scheme, scheme_len, "BLF-CRYPT", 9))
		return HASH_UNSUPPORTED;
	/* {MD5} is Dovecot's name for MD5-CRYPT ("$1$..."). */
	if (same_ci(scheme, scheme_len, "MD5", 3) &&
	    (hash_len < 3 || memcmp(hash, "$1$", 3) != 0))
		return HASH_UNSUPPORTED;
	if (hash_len == 0 || hash_len >= sizeof(stored))
		return HASH_MISMATCH;
	memcpy(stored, hash, hash_len);
	stored[hash_len] = '\0';
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return HASH_MISMATCH;
	if (crypt_rn(password, stored, cd, sizeof(*cd)) == NULL ||
	    cd->output[0] == '*')
		v = HASH_UNSUPPORTED;
	else
		v = equal_const(cd->output, strlen(cd->output), stored,
		                hash_len)
		            ? HASH_MATCH
		            : HASH_MISMATCH;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return v;
}

/* "{SCHEME}hash" for next, in the call's memory; NULL on failure. */
static char *
hash_make(const struct petrel_host *host, struct petrel_call *call,
          const char *scheme, const char *next)
{
	const char *prefix = strcmp(scheme, "BLF-CRYPT") == 0      ? "$2y$"
	                     : strcmp(scheme, "SHA256-CRYPT") == 0 ? "$5$"
	                                                           : "$6$";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	char *out = NULL;

	if (crypt_gensalt_rn(prefix, 0, NULL, 0, setting, sizeof(setting)) ==
	    NULL)
		return NULL;
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return NULL;
	if (crypt_rn(next, setting, cd, sizeof(*cd)) != NULL &&
	    cd->output[0] != '*') {
		size_t n = strlen(scheme) + strlen(cd->output) + 3;
		out = host->alloc(call, n);
		if (out != NULL)
			(void)snprintf(out, n, "{%s}%s", scheme, cd->output);
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return out;
}

static int
read_all(int fd, size_t size, char *buf)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write the three pieces to a temporary file and rename it over path. */
static int
replace_file(const char *path, const struct stat *st, const char *a,
             size_t alen, const char *b, size_t blen, const char *c,
             size_t clen)
{
	char tmp[4200], dir[4200];
	char *slash;
	int fd, dfd, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.petrel-XXXXXX", path) >=
	            (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return -1;
	*(slash == dir ? slash + 1 : slash) = '\0';
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	if (fchmod(fd, st->st_mode & 07777) != 0 ||
	    (fchown(fd, st->st_uid, st->st_gid) != 0 &&
	     (st->st_uid != geteuid() || errno != EPERM)) ||
	    write_all(fd, a, alen) != 0 || write_all(fd, b, blen) != 0 ||
	    write_all(fd, c, clen) != 0 || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		rc = fsync(dfd) == 0 ? 0 : -1;
		close(dfd);
	}
	return rc;
}

static int
change_locked(const struct petrel_host *host, struct petrel_call *call,
              const char *path, const char *name, const char *current,
              const char *next)
{
	struct stat st;
	char *buf, *line, *end, *colon, *colon2, *hash;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > PASSWD_FILE_MAX) {
		host->log(call, PETREL_LOG_ERROR, "cannot read %s: %s", path,
		          strerror(errno));
		if (fd >= 0)
			close(fd);
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_NOT_SET_UP"));
	}
	buf = host->alloc(call, (size_t)st.st_size + 1);
	if (buf == NULL || read_all(fd, (size_t)st.st_size, buf) != 0) {
		close(fd);
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_NOT_SET_UP"));
	}
	close(fd);
	buf[st.st_size] = '\0';
	for (line = buf; *line != '\0'; line = *end != '\0' ? end + 1 : end) {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		colon = memchr(line, ':', (size_t)(end - line));
		if (colon == NULL || line[0] == '#' ||
		    !same_ci(line, (size_t)(colon - line), name, strlen(name)))
			continue;
		colon2 = memchr(colon + 1, ':', (size_t)(end - colon - 1));
		if (colon2 == NULL)
			colon2 = end;
		switch (hash_verify(current, colon + 1,
		                    (size_t)(colon2 - colon - 1))) {
		case HASH_MATCH:
			break;
		case HASH_MISMATCH:
			return host->refuse(
			        call,
			        host->translate(call,
			                        "L_PASSWORD_CURRENT_WRONG"));
		default:
			host->log(call, PETREL_LOG_ERROR,
			          "%s: the stored scheme of %s is not one this "
			          "driver can check",
			          path, name);
			return host->refuse(
			        call,
			        host->translate(call, "L_PASSWORD_NOT_SET_UP"));
		}
		hash = hash_make(host, call,
		                 host->option(call, "passwd_file_scheme"),
		                 next);
		if (hash == NULL ||
		    replace_file(path, &st, buf, (size_t)(colon + 1 - buf),
		                 hash, strlen(hash), colon2,
		                 strlen(colon2)) != 0) {
			host->log(call, PETREL_LOG_ERROR,
			          "cannot rewrite %s: %s", path,
			          strerror(errno));
			return host->refuse(
			        call,
			        host->translate(call, "L_PASSWORD_NOT_SET_UP"));
		}
		return 0;
	}
	host->log(call, PETREL_LOG_WARN, "%s has no line for %s", path, name);
	return host->refuse(call,
	                    host->translate(call, "L_PASSWORD_NOT_SET_UP"));
}

int
cp_passwd_file_change(const struct petrel_host *host, struct petrel_call *call,
                      const char *user, const char *current, const char *next)
{
	const char *tmpl = host->option(call, "passwd_file");
	const char *who = host->option(call, "passwd_file_user");
	char *path, *lock, *name;
	const char *at = strrchr(user, '@');
	int lfd, rc;

	path = tmpl != NULL && tmpl[0] == '/'
	               ? path_expand(host, call, tmpl, user)
	               : NULL;
	if (path == NULL || at == NULL)
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_NOT_SET_UP"));
	name = host->alloc(call, strlen(user) + 1);
	lock = host->alloc(call, strlen(path) + sizeof(".petrel-lock"));
	if (name == NULL || lock == NULL)
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_NOT_SET_UP"));
	memcpy(name, user, strlen(user) + 1);
	if (who != NULL && strcmp(who, "%n") == 0)
		name[at - user] = '\0';
	(void)snprintf(lock, strlen(path) + sizeof(".petrel-lock"),
	               "%s.petrel-lock", path);
	lfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
		host->log(call, PETREL_LOG_ERROR, "cannot lock %s: %s", lock,
		          strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_NOT_SET_UP"));
	}
	rc = change_locked(host, call, path, name, current, next);
	close(lfd); /* drops the lock */
	return rc;
}
