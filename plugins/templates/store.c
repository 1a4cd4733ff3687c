/*
 * templates/store.c - see store.h.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define FILE_MAGIC "petrel-templates 1"
#define USER_FILE_MAX 240 /* an encoded name stays under NAME_MAX */

static int fail(struct tpl_err *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int
fail(struct tpl_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
tpl_list_free(struct tpl_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].body);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/*
 * Letters, digits, '@', '-', '_' and '.' (not first) stay; every other
 * byte is %XX, so no address can name a path outside dir.
 */
char *
tpl_user_file(const char *dir, const char *user)
{
	static const char hex[] = "0123456789abcdef";
	char enc[USER_FILE_MAX + 1], *path;
	size_t i, n = 0, plen;

	if (user == NULL || user[0] == '\0' || dir == NULL)
		return NULL;
	for (i = 0; user[i] != '\0'; i++) {
		unsigned char c = (unsigned char)user[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (n + 3 >= USER_FILE_MAX)
			return NULL;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '@' || c == '-' || c == '_' || (c == '.' && n > 0)) {
			enc[n++] = (char)c;
		} else {
			enc[n++] = '%';
			enc[n++] = hex[c >> 4];
			enc[n++] = hex[c & 15];
		}
	}
	enc[n] = '\0';
	plen = strlen(dir) + 1 + n + sizeof(".txt");
	path = malloc(plen);
	if (path == NULL)
		return NULL;
	(void)snprintf(path, plen, "%s/%s.txt", dir, enc);
	return path;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len, k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += len;
	}
	return true;
}

static bool
has_control(const char *s, size_t n, bool text)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (text && (c == '\n' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

/* A trimmed copy of the name, checked; NULL with err filled in. */
static char *
name_clean(const char *name, struct tpl_err *err)
{
	size_t n;
	char *out;

	if (name == NULL)
		name = "";
	while (*name == ' ')
		name++;
	n = strlen(name);
	while (n > 0 && name[n - 1] == ' ')
		n--;
	if (n == 0) {
		(void)fail(err, "Give the template a name.");
		return NULL;
	}
	if (n > TPL_NAME_MAX) {
		(void)fail(err,
		           "A name is at most %d bytes (this one has %zu).",
		           TPL_NAME_MAX, n);
		return NULL;
	}
	if (!utf8_valid((const unsigned char *)name, n) ||
	    has_control(name, n, false)) {
		(void)fail(err, "A name must be one line of text, without "
		                "tabs or control characters.");
		return NULL;
	}
	out = malloc(n + 1);
	if (out == NULL) {
		(void)fail(err, "Out of memory.");
		return NULL;
	}
	memcpy(out, name, n);
	out[n] = '\0';
	return out;
}

/* The body with CR LF (and a lone CR) as LF, checked; NULL with err. */
static char *
body_clean(const char *body, size_t max, struct tpl_err *err)
{
	size_t i, n = 0, len = body != NULL ? strlen(body) : 0;
	char *out;

	out = malloc(len + 1);
	if (out == NULL) {
		(void)fail(err, "Out of memory.");
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if (body[i] == '\r') {
			out[n++] = '\n';
			if (body[i + 1] == '\n')
				i++;
		} else {
			out[n++] = body[i];
		}
	}
	out[n] = '\0';
	if (n == 0)
		(void)fail(err, "The template's text is empty.");
	else if (n > max)
		(void)fail(err,
		           "A template's text is at most %zu bytes (this one "
		           "has %zu).",
		           max, n);
	else if (!utf8_valid((const unsigned char *)out, n))
		(void)fail(err, "The template's text is not valid UTF-8.");
	else if (has_control(out, n, true))
		(void)fail(err,
		           "The template's text holds control characters.");
	else
		return out;
	free(out);
	return NULL;
}

static bool
parse_id(const char *s, unsigned long *id_r)
{
	char *end;

	if (s == NULL || s[0] < '1' || s[0] > '9' || strlen(s) > 15)
		return false;
	errno = 0;
	*id_r = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static ptrdiff_t
find_id(const struct tpl_list *l, const char *id)
{
	unsigned long v;
	size_t i;

	if (!parse_id(id, &v))
		return -1;
	for (i = 0; i < l->n; i++)
		if (l->v[i].id == v)
			return (ptrdiff_t)i;
	return -1;
}

int
tpl_put(struct tpl_list *l, const char *id, const char *name, const char *body,
        size_t max_count, size_t max_body, unsigned long *id_r,
        struct tpl_err *err)
{
	ptrdiff_t at = -1;
	char *nm, *bd;
	size_t i;

	if (id != NULL && id[0] != '\0') {
		at = find_id(l, id);
		if (at < 0)
			return fail(err, "No such template: it may have been "
			                 "deleted in another window.");
	} else if (l->n >= max_count) {
		return fail(err,
		            "You have %zu templates, the most allowed: delete "
		            "one first.",
		            l->n);
	}
	nm = name_clean(name, err);
	if (nm == NULL)
		return -1;
	for (i = 0; i < l->n; i++)
		if ((ptrdiff_t)i != at && strcmp(l->v[i].name, nm) == 0) {
			(void)fail(err,
			           "A template named \"%s\" exists already.",
			           nm);
			free(nm);
			return -1;
		}
	bd = body_clean(body, max_body, err);
	if (bd == NULL) {
		free(nm);
		return -1;
	}
	if (at >= 0) {
		free(l->v[at].name);
		free(l->v[at].body);
		l->v[at].name = nm;
		l->v[at].body = bd;
		*id_r = l->v[at].id;
		return 0;
	}
	{
		struct tpl *v = realloc(l->v, (l->n + 1) * sizeof(*v));
		unsigned long next = 1;

		if (v == NULL) {
			free(nm);
			free(bd);
			return fail(err, "Out of memory.");
		}
		l->v = v;
		for (i = 0; i < l->n; i++)
			if (l->v[i].id >= next)
				next = l->v[i].id + 1;
		l->v[l->n].id = next;
		l->v[l->n].name = nm;
		l->v[l->n].body = bd;
		l->n++;
		*id_r = next;
	}
	return 0;
}

int
tpl_delete(struct tpl_list *l, const char *id, struct tpl_err *err)
{
	ptrdiff_t at = find_id(l, id);

	if (at < 0)
		return fail(err, "No such template: it may have been deleted "
		                 "in another window.");
	free(l->v[at].name);
	free(l->v[at].body);
	memmove(&l->v[at], &l->v[at + 1],
	        (l->n - (size_t)at - 1) * sizeof(*l->v));
	l->n--;
	return 0;
}

/* ---- the file ---------------------------------------------------------- */

static char *
unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, k = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			out[k++] = s[i] == 'n'   ? '\n'
			           : s[i] == 't' ? '\t'
			                         : s[i];
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	return out;
}

static int
parse_line(char *line, struct tpl_list *l, struct tpl_err *err)
{
	char *t1 = strchr(line, '\t'), *t2;
	struct tpl t = {0};
	struct tpl *v;

	t2 = t1 != NULL ? strchr(t1 + 1, '\t') : NULL;
	if (t2 == NULL)
		return fail(err, "The saved templates are damaged.");
	*t1 = '\0';
	if (!parse_id(line, &t.id))
		return fail(err, "The saved templates are damaged.");
	t.name = unescape(t1 + 1, (size_t)(t2 - t1 - 1));
	t.body = unescape(t2 + 1, strlen(t2 + 1));
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (t.name == NULL || t.body == NULL || v == NULL) {
		free(t.name);
		free(t.body);
		if (v != NULL)
			l->v = v;
		return fail(err, "Out of memory.");
	}
	l->v = v;
	l->v[l->n++] = t;
	return 0;
}

int
tpl_load(const char *path, struct tpl_list *l, struct tpl_err *err)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	bool first = true;
	int ret = 0;

	l->v = NULL;
	l->n = 0;
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		return fail(err, "Cannot read the saved templates (%s).",
		            strerror(errno));
	}
	while (ret == 0 && (got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (first) {
			first = false;
			if (strcmp(line, FILE_MAGIC) != 0)
				ret = fail(err, "The saved templates are in an "
				                "unknown format.");
			continue;
		}
		if (line[0] != '\0')
			ret = parse_line(line, l, err);
	}
	if (ret == 0 && ferror(f))
		ret = fail(err, "Cannot read the saved templates.");
	free(line);
	(void)fclose(f);
	if (ret != 0)
		tpl_list_free(l);
	return ret;
}

static void
put_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			(void)fputs("\\\\", f);
		else if (*s == '\n')
			(void)fputs("\\n", f);
		else if (*s == '\t')
			(void)fputs("\\t", f);
		else
			(void)fputc(*s, f);
	}
}

int
tpl_save(const char *path, const struct tpl_list *l, struct tpl_err *err)
{
	size_t plen = strlen(path) + sizeof(".tmp");
	char *tmp = malloc(plen);
	FILE *f;
	size_t i;
	int fd, ok;

	if (tmp == NULL)
		return fail(err, "Out of memory.");
	(void)snprintf(tmp, plen, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			(void)close(fd);
		free(tmp);
		return fail(err, "Cannot save the templates (%s).",
		            strerror(errno));
	}
	(void)fprintf(f, "%s\n", FILE_MAGIC);
	for (i = 0; i < l->n; i++) {
		(void)fprintf(f, "%lu\t", l->v[i].id);
		put_escaped(f, l->v[i].name);
		(void)fputc('\t', f);
		put_escaped(f, l->v[i].body);
		(void)fputc('\n', f);
	}
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		(void)unlink(tmp);
		free(tmp);
		return fail(err, "Cannot save the templates (%s).",
		            strerror(e));
	}
	free(tmp);
	return 0;
}

int
tpl_lock(const char *path, struct tpl_err *err)
{
	size_t plen = strlen(path) + sizeof(".lock");
	char *lp = malloc(plen);
	int fd;

	if (lp == NULL)
		return fail(err, "Out of memory.");
	(void)snprintf(lp, plen, "%s.lock", path);
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lp);
	if (fd < 0)
		return fail(err, "Cannot lock the templates (%s).",
		            strerror(errno));
	if (flock(fd, LOCK_EX) != 0) {
		(void)close(fd);
		return fail(err, "Cannot lock the templates (%s).",
		            strerror(errno));
	}
	return fd;
}

void
tpl_unlock(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}
