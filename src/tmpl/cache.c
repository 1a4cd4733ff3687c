/*
 * The template cache: name + strip mode -> parsed template.
 *
 * Unfrozen, every access takes the mutex (loads may happen while other
 * threads expand). Frozen, the bucket chains never change again, so
 * lookups take no lock at all; that is the production mode. Templates are
 * never removed from a live cache: a reload builds a new cache
 * (tmpl_cache_reload_clone) and the old one is dropped by refcount.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tmpl.h"
#include "tmpl_private.h"
#include "core/banned.h"

#define NBUCKETS 128
#define MAX_FILE (4u * 1024 * 1024)
#define MAX_DIR_DEPTH 16

struct tmpl_cache {
	char *root;
	unsigned flags;
	bool frozen;
	int refs;
	pthread_mutex_t lock;
	struct arena *arena; /* error messages */
	struct tmpl_template *buckets[NBUCKETS];
};

struct tmpl_cache *
tmpl_cache_create(const char *root_dir, unsigned flags)
{
	struct tmpl_cache *c = pt_xcalloc(1, sizeof(*c));

	c->root = root_dir != NULL ? pt_xstrdup(root_dir) : NULL;
	c->flags = flags;
	c->refs = 1;
	pthread_mutex_init(&c->lock, NULL);
	c->arena = arena_create("tmpl-cache", 1024, 0);
	return c;
}

void
tmpl_cache_ref(struct tmpl_cache *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

void
tmpl_cache_unref(struct tmpl_cache **cp)
{
	struct tmpl_cache *c = *cp;
	struct tmpl_template *t, *next;
	size_t i;

	*cp = NULL;
	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		for (t = c->buckets[i]; t != NULL; t = next) {
			next = t->next;
			free(t->name);
			free(t->source);
			tmpl_template_free(t);
		}
	}
	pthread_mutex_destroy(&c->lock);
	arena_destroy(&c->arena);
	free(c->root);
	free(c);
}

void
tmpl_cache_freeze(struct tmpl_cache *c)
{
	pthread_mutex_lock(&c->lock);
	c->frozen = true;
	pthread_mutex_unlock(&c->lock);
}

bool
tmpl_cache_is_frozen(const struct tmpl_cache *c)
{
	return c->frozen;
}

static size_t
bucket_of(const char *name, enum tmpl_strip strip)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	return (h ^ (uint32_t)strip) % NBUCKETS;
}

static struct tmpl_template *
find(const struct tmpl_cache *c, const char *name, enum tmpl_strip strip)
{
	struct tmpl_template *t;

	for (t = c->buckets[bucket_of(name, strip)]; t != NULL; t = t->next)
		if (t->strip == strip && strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static void
insert(struct tmpl_cache *c, struct tmpl_template *t, const char *name,
       enum tmpl_strip strip)
{
	size_t b = bucket_of(name, strip);

	t->name = pt_xstrdup(name);
	t->strip = strip;
	t->next = c->buckets[b];
	c->buckets[b] = t;
}

/* Plain relative components only: no "..", ".", "" or leading '/'. */
static bool
name_ok(const char *name)
{
	const char *p = name, *slash;
	size_t n;

	if (name == NULL || *name == '\0' || *name == '/')
		return false;
	for (;;) {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (slash == NULL)
			return true;
		p = slash + 1;
	}
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
read_file(const struct tmpl_cache *c, const char *name, struct arena *ea,
          char **buf_r, size_t *len_r, struct perr *err)
{
	char *path, *buf;
	FILE *f;
	struct stat st;
	size_t n;

	path = arena_printf(ea, "%s/%s", c->root, name);
	if (path == NULL)
		return perr_set(err, ea, PERR_LIMIT, "path too long");
	f = fopen(path, "rb");
	if (f == NULL)
		return perr_set(err, ea,
		                errno == ENOENT ? PERR_NOTFOUND : PERR_INTERNAL,
		                "%s: cannot open: %s", name, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return perr_set(err, ea, PERR_NOTFOUND, "%s: not a file", name);
	}
	if ((uint64_t)st.st_size > MAX_FILE) {
		fclose(f);
		return perr_set(err, ea, PERR_LIMIT, "%s: larger than %u bytes",
		                name, MAX_FILE);
	}
	buf = pt_xmalloc((size_t)st.st_size + 1);
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return perr_set(err, ea, PERR_INTERNAL, "%s: read error", name);
	}
	fclose(f);
	*buf_r = buf;
	*len_r = n;
	return 0;
}

/*
 * ctemplate keeps whitespace in .js files even under STRIP_WHITESPACE:
 * newlines end statements and line comments there.
 */
static enum tmpl_strip
effective_strip(const char *name, enum tmpl_strip strip)
{
	if (strip == TMPL_STRIP_WHITESPACE && has_suffix(name, ".js"))
		return TMPL_STRIP_BLANK_LINES;
	return strip;
}

/* Load from disk; the caller holds the lock. */
static int
load_locked(struct tmpl_cache *c, const char *name, enum tmpl_strip strip,
            struct arena *ea, struct tmpl_template **t_r, struct perr *err)
{
	struct tmpl_template *t;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if ((t = find(c, name, strip)) != NULL) {
		*t_r = t;
		return 0;
	}
	if (!name_ok(name))
		return perr_set(err, ea, PERR_INPUT,
		                "%s: invalid template name", name);
	if (c->root == NULL)
		return perr_set(err, ea, PERR_NOTFOUND, "%s: no such template",
		                name);
	if (read_file(c, name, ea, &buf, &len, err) < 0)
		return -1;
	r = tmpl_parse(name, (struct strv){buf, len},
	               effective_strip(name, strip),
	               (c->flags & TMPL_CACHE_STRICT) != 0, ea, &t, err);
	free(buf);
	if (r < 0)
		return -1;
	insert(c, t, name, strip);
	*t_r = t;
	return 0;
}

int
tmpl_cache_load(struct tmpl_cache *c, const char *name, enum tmpl_strip strip,
                struct perr *err)
{
	struct tmpl_template *t;
	int r;

	pthread_mutex_lock(&c->lock);
	if (c->frozen && find(c, name, strip) == NULL) {
		pthread_mutex_unlock(&c->lock);
		return perr_set(err, c->arena, PERR_FORBIDDEN,
		                "%s: cache is frozen", name);
	}
	r = load_locked(c, name, strip, c->arena, &t, err);
	pthread_mutex_unlock(&c->lock);
	return r;
}

int
tmpl_cache_add_string(struct tmpl_cache *c, const char *key, struct strv text,
                      enum tmpl_strip strip, struct perr *err)
{
	struct tmpl_template *t;

	if (key == NULL || *key == '\0')
		return perr_set(err, NULL, PERR_INPUT, "empty template key");
	pthread_mutex_lock(&c->lock);
	if (c->frozen) {
		pthread_mutex_unlock(&c->lock);
		return perr_set(err, c->arena, PERR_FORBIDDEN,
		                "%s: cache is frozen", key);
	}
	if (find(c, key, strip) != NULL) {
		pthread_mutex_unlock(&c->lock);
		return perr_set(err, c->arena, PERR_CONFLICT,
		                "%s: already in the cache", key);
	}
	if (tmpl_parse(key, text, effective_strip(key, strip),
	               (c->flags & TMPL_CACHE_STRICT) != 0, c->arena, &t,
	               err) < 0) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	t->from_string = true;
	t->source = pt_xmalloc(text.len + 1);
	if (text.len > 0)
		memcpy(t->source, text.p, text.len);
	t->source_len = text.len;
	insert(c, t, key, strip);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int
tmpl_cache_get(const struct tmpl_cache *c, const char *name,
               enum tmpl_strip strip, struct arena *a,
               const struct tmpl_template **t_r, struct perr *err)
{
	struct tmpl_cache *mc = (struct tmpl_cache *)(uintptr_t)c;
	struct tmpl_template *t;
	int r;

	if (c->frozen) {
		t = find(c, name, strip);
		if (t == NULL)
			return perr_set(err, a, PERR_NOTFOUND,
			                "%s: template not loaded", name);
		*t_r = t;
		return 0;
	}
	/* Development mode: load on first use, as ctemplate does. */
	pthread_mutex_lock(&mc->lock);
	r = load_locked(mc, name, strip, a, &t, err);
	pthread_mutex_unlock(&mc->lock);
	if (r == 0)
		*t_r = t;
	return r;
}

/* ---- load_all --------------------------------------------------------------
 */

struct namelist {
	char **v;
	size_t n, cap;
};

static void
namelist_add(struct namelist *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 32 : l->cap * 2;
		l->v = pt_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
collect(const char *root, const char *rel, int depth, struct namelist *l,
        struct arena *ea, struct perr *err)
{
	char *dirpath, *sub, *full;
	DIR *dir;
	struct dirent *de;
	struct stat st;
	int r = 0;

	if (depth > MAX_DIR_DEPTH)
		return perr_set(err, ea, PERR_LIMIT,
		                "%s: directories nested too deeply", rel);
	dirpath = rel[0] != '\0' ? arena_printf(ea, "%s/%s", root, rel)
	                         : arena_strdup(ea, root);
	if (dirpath == NULL || (dir = opendir(dirpath)) == NULL)
		return perr_set(err, ea, PERR_NOTFOUND, "%s: cannot open: %s",
		                dirpath != NULL ? dirpath : root,
		                strerror(errno));
	while (r == 0 && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		sub = rel[0] != '\0'
		              ? arena_printf(ea, "%s/%s", rel, de->d_name)
		              : arena_strdup(ea, de->d_name);
		if (sub == NULL)
			break;
		full = arena_printf(ea, "%s/%s", root, sub);
		if (full == NULL || stat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = collect(root, sub, depth + 1, l, ea, err);
		else if (S_ISREG(st.st_mode) && has_suffix(sub, ".tpl"))
			namelist_add(l, pt_xstrdup(sub));
	}
	closedir(dir);
	return r;
}

int
tmpl_cache_load_all(struct tmpl_cache *c, enum tmpl_strip strip,
                    struct perr *err)
{
	struct namelist l = {NULL, 0, 0};
	struct arena *tmp;
	size_t i;
	int r;

	if (c->root == NULL)
		return perr_set(err, NULL, PERR_INPUT, "cache has no root");
	tmp = arena_create("tmpl-scan", 4096, 0);
	r = collect(c->root, "", 0, &l, tmp, err);
	if (r < 0 && err != NULL) /* keep the message past tmp */
		err->msg = arena_strdup(c->arena, err->msg);
	arena_destroy(&tmp);
	if (r == 0 && l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), cmp_names);
	for (i = 0; i < l.n; i++) {
		if (r == 0)
			r = tmpl_cache_load(c, l.v[i], strip, err);
		free(l.v[i]);
	}
	free(l.v);
	return r;
}

/* ---- reload
 * ------------------------------------------------------------------ */

struct tmpl_cache *
tmpl_cache_reload_clone(const struct tmpl_cache *c, struct perr *err)
{
	struct tmpl_cache *mc = (struct tmpl_cache *)(uintptr_t)c;
	struct tmpl_cache *n = tmpl_cache_create(c->root, c->flags);
	const struct tmpl_template *t;
	size_t i;
	int r = 0;

	pthread_mutex_lock(&mc->lock);
	for (i = 0; i < NBUCKETS && r == 0; i++) {
		for (t = c->buckets[i]; t != NULL && r == 0; t = t->next) {
			if (t->from_string)
				r = tmpl_cache_add_string(
				        n, t->name,
				        (struct strv){t->source, t->source_len},
				        t->strip, err);
			else
				r = tmpl_cache_load(n, t->name, t->strip, err);
		}
	}
	pthread_mutex_unlock(&mc->lock);
	if (r < 0) {
		/* The message lives in n's arena: move it to c's. */
		if (err != NULL && err->msg != NULL) {
			pthread_mutex_lock(&mc->lock);
			err->msg = arena_strdup(mc->arena, err->msg);
			pthread_mutex_unlock(&mc->lock);
		}
		tmpl_cache_unref(&n);
		return NULL;
	}
	if (c->frozen)
		tmpl_cache_freeze(n);
	return n;
}
