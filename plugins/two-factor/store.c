/*
 * two-factor/store.c - per-user records (see store.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "store.h"

static bool
user_file(const char *dir, const char *email, char *out, size_t outsz,
          const char *ext)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	char lower[512], name[2 * 32 + 1];
	size_t n = strlen(email);
	int w;

	if (n == 0 || n >= sizeof(lower))
		return false;
	for (i = 0; i < n; i++) {
		char c = email[i];
		lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (EVP_Digest(lower, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return false;
	for (i = 0; i < mdlen; i++)
		(void)snprintf(name + 2 * i, 3, "%02x", md[i]);
	w = snprintf(out, outsz, "%s/%s%s", dir, name, ext);
	return w > 0 && (size_t)w < outsz;
}

int
tf_store_lock(const char *dir, const char *email, struct tf_lock *lk)
{
	char lockpath[sizeof(lk->path)];

	lk->fd = -1;
	if (!user_file(dir, email, lk->path, sizeof(lk->path), ".json") ||
	    !user_file(dir, email, lockpath, sizeof(lockpath), ".lock")) {
		errno = ENAMETOOLONG;
		return -1;
	}
	lk->fd =
	        open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lk->fd < 0)
		return -1;
	/* flock locks an open file: threads with their own fd exclude too. */
	while (flock(lk->fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(lk->fd);
			lk->fd = -1;
			return -1;
		}
	}
	return 0;
}

void
tf_store_unlock(struct tf_lock *lk)
{
	if (lk->fd >= 0)
		close(lk->fd); /* releases the flock */
	lk->fd = -1;
}

/* A string of hex digits (hexonly) or base32 letters into out. */
static bool
copy_val(json_t *v, char *out, size_t outsz, bool hexonly)
{
	const char *s;
	size_t n, i;

	out[0] = '\0';
	if (v == NULL)
		return true;
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= outsz)
		return false;
	for (i = 0; i < n; i++)
		if (hexonly ? strchr("0123456789abcdef", s[i]) == NULL
		            : strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
		                     s[i]) == NULL)
			return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static bool
copy_str(json_t *o, const char *key, char *out, size_t outsz, bool hexonly)
{
	return copy_val(json_object_get(o, key), out, outsz, hexonly);
}

int
tf_store_read(const struct tf_lock *lk, struct tf_user *u)
{
	json_t *root, *codes, *v;
	json_error_t jerr;
	size_t i;
	int rc = -1;

	memset(u, 0, sizeof(*u));
	if (access(lk->path, F_OK) != 0)
		return errno == ENOENT ? 1 : -1;
	root = json_load_file(lk->path, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root))
		goto out;
	u->enabled = json_is_true(json_object_get(root, "enabled"));
	v = json_object_get(root, "last_step");
	u->last_step = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	if (!copy_str(root, "secret", u->secret, sizeof(u->secret), false) ||
	    !copy_str(root, "pending", u->pending, sizeof(u->pending), false) ||
	    !copy_str(root, "salt", u->salt, sizeof(u->salt), true))
		goto out;
	codes = json_object_get(root, "codes");
	if (codes != NULL && !json_is_array(codes))
		goto out;
	for (i = 0; codes != NULL && i < json_array_size(codes); i++) {
		if (u->n_codes == TF_CODES ||
		    !copy_val(json_array_get(codes, i), u->codes[u->n_codes],
		              sizeof(u->codes[0]), true) ||
		    u->codes[u->n_codes][0] == '\0')
			goto out;
		u->n_codes++;
	}
	if (u->enabled && u->secret[0] == '\0')
		goto out;
	rc = 0;
out:
	if (root != NULL) {
		/* The secret was in the parsed tree: wipe before freeing. */
		json_t *s = json_object_get(root, "secret");
		if (json_is_string(s))
			OPENSSL_cleanse((void *)json_string_value(s),
			                json_string_length(s));
		json_decref(root);
	}
	if (rc != 0)
		tf_user_clear(u);
	return rc;
}

int
tf_store_write(const struct tf_lock *lk, const struct tf_user *u)
{
	char tmp[sizeof(lk->path) + 8];
	json_t *root, *codes;
	char *text;
	size_t i, len;
	int fd, w;
	bool ok;

	w = snprintf(tmp, sizeof(tmp), "%s.tmp", lk->path);
	if (w <= 0 || (size_t)w >= sizeof(tmp))
		return -1;
	codes = json_array();
	for (i = 0; i < u->n_codes; i++)
		json_array_append_new(codes, json_string(u->codes[i]));
	root = json_pack("{sbsssssIssso}", "enabled", u->enabled, "secret",
	                 u->secret, "pending", u->pending, "last_step",
	                 (json_int_t)u->last_step, "salt", u->salt, "codes",
	                 codes);
	if (root == NULL)
		return -1;
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (text == NULL)
		return -1;
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	          0600);
	ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	OPENSSL_cleanse(text, len);
	free(text);
	if (!ok || rename(tmp, lk->path) != 0) {
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int
tf_store_delete(const struct tf_lock *lk)
{
	if (unlink(lk->path) != 0 && errno != ENOENT)
		return -1;
	return 0;
}

void
tf_user_clear(struct tf_user *u)
{
	OPENSSL_cleanse(u, sizeof(*u));
}
