/*
 * Dictionaries: variables, sections and includes, all in one arena.
 *
 * Lookups never write, so a finished dictionary (the fallback catalog in
 * particular) can be read by many threads at once. Variables sit in a
 * list, plus a hash index once a dictionary holds more than a handful
 * (the index is rebuilt on insert, never on lookup, for that reason).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tmpl.h"
#include "tmpl_private.h"
#include "core/banned.h"

#define HASH_MIN 16

static uint32_t
hash_name(struct strv s)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 16777619u;
	}
	return h;
}

static void
mark_failed(struct tmpl_dict *d)
{
	if (d != NULL)
		d->shared->failed = true;
}

static struct tmpl_dict *
dict_new(struct arena *a, struct tmpl_shared *shared, const char *name)
{
	struct tmpl_dict *d = arena_new(a, struct tmpl_dict);

	if (d == NULL)
		return NULL;
	d->arena = a;
	d->shared = shared;
	d->name = name;
	return d;
}

struct tmpl_dict *
tmpl_dict_create(struct arena *a, const char *debug_name)
{
	struct tmpl_shared *sh = arena_new(a, struct tmpl_shared);
	struct tmpl_dict *d;

	if (sh == NULL)
		return NULL;
	sh->arena = a;
	d = dict_new(a, sh,
	             debug_name != NULL ? arena_strdup(a, debug_name) : "root");
	return d;
}

bool
tmpl_dict_ok(const struct tmpl_dict *d)
{
	return d != NULL && !d->shared->failed;
}

static struct tmpl_var *
var_find(const struct tmpl_dict *d, struct strv name, uint32_t h)
{
	struct tmpl_var *v;

	if (d->tab != NULL) {
		for (v = d->tab[h & (d->tab_size - 1)]; v != NULL; v = v->hnext)
			if (v->hash == h && strv_eq(v->name, name))
				return v;
		return NULL;
	}
	for (v = d->vars; v != NULL; v = v->next)
		if (v->hash == h && strv_eq(v->name, name))
			return v;
	return NULL;
}

static void
rehash(struct tmpl_dict *d)
{
	size_t size = d->tab_size == 0 ? HASH_MIN : d->tab_size * 2;
	struct tmpl_var **tab =
	        arena_new_array(d->arena, struct tmpl_var *, size);
	struct tmpl_var *v;

	if (tab == NULL)
		return; /* the list still works, only slower */
	for (v = d->vars; v != NULL; v = v->next) {
		v->hnext = tab[v->hash & (size - 1)];
		tab[v->hash & (size - 1)] = v;
	}
	d->tab = tab;
	d->tab_size = size;
}

static void
set_value(struct tmpl_dict *d, const char *name, struct strv value, bool copy)
{
	struct strv n;
	struct tmpl_var *v;
	uint32_t h;
	char *p;

	if (d == NULL || name == NULL)
		return;
	n = strv_from_cstr(name);
	h = hash_name(n);
	if (copy && value.len > 0) {
		p = arena_alloc(d->arena, value.len);
		if (p == NULL) {
			mark_failed(d);
			return;
		}
		memcpy(p, value.p, value.len);
		value.p = p;
	}
	if (value.p == NULL)
		value = STRV_LIT("");
	v = var_find(d, n, h);
	if (v != NULL) {
		v->value = value;
		return;
	}
	v = arena_new(d->arena, struct tmpl_var);
	if (v == NULL || (n.p = arena_strndup(d->arena, n.p, n.len)) == NULL) {
		mark_failed(d);
		return;
	}
	v->name = n;
	v->hash = h;
	v->value = value;
	v->next = d->vars;
	d->vars = v;
	d->nvars++;
	if (d->tab != NULL) {
		v->hnext = d->tab[h & (d->tab_size - 1)];
		d->tab[h & (d->tab_size - 1)] = v;
	}
	if (d->nvars > 8 && d->nvars > d->tab_size)
		rehash(d);
}

void
tmpl_dict_set(struct tmpl_dict *d, const char *name, struct strv value)
{
	set_value(d, name, value, true);
}

void
tmpl_dict_set_cstr(struct tmpl_dict *d, const char *name, const char *value)
{
	set_value(d, name, strv_from_cstr(value != NULL ? value : ""), true);
}

void
tmpl_dict_set_static(struct tmpl_dict *d, const char *name, struct strv value)
{
	set_value(d, name, value, false);
}

void
tmpl_dict_set_int(struct tmpl_dict *d, const char *name, long long v)
{
	char buf[32];

	if (pt_snprintf_ok(buf, sizeof(buf), "%lld", v))
		set_value(d, name, strv_from_cstr(buf), true);
}

void
tmpl_dict_setf(struct tmpl_dict *d, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (d == NULL)
		return;
	va_start(ap, fmt);
	s = arena_vprintf(d->arena, fmt, ap);
	va_end(ap);
	if (s == NULL) {
		mark_failed(d);
		return;
	}
	set_value(d, name, strv_from_cstr(s), false);
}

static struct tmpl_sec *
sec_find(struct tmpl_sec *list, struct strv name)
{
	for (; list != NULL; list = list->next)
		if (strv_eq(list->name, name))
			return list;
	return NULL;
}

static struct tmpl_sec *
sec_get(struct tmpl_dict *d, struct tmpl_sec **list, const char *name)
{
	struct strv n = strv_from_cstr(name);
	struct tmpl_sec *s = sec_find(*list, n);

	if (s != NULL)
		return s;
	s = arena_new(d->arena, struct tmpl_sec);
	if (s == NULL || (n.p = arena_strndup(d->arena, n.p, n.len)) == NULL) {
		mark_failed(d);
		return NULL;
	}
	s->name = n;
	s->next = *list;
	*list = s;
	return s;
}

static void
sec_append(struct tmpl_sec *s, struct tmpl_dict *child)
{
	if (s->last != NULL)
		s->last->next_sibling = child;
	else
		s->first = child;
	s->last = child;
	s->count++;
}

struct tmpl_dict *
tmpl_dict_add_section(struct tmpl_dict *d, const char *name)
{
	struct tmpl_sec *s;
	struct tmpl_dict *child;

	if (d == NULL || name == NULL)
		return NULL;
	if ((s = sec_get(d, &d->sections, name)) == NULL)
		return NULL;
	child = dict_new(d->arena, d->shared, s->name.p);
	if (child == NULL) {
		mark_failed(d);
		return NULL;
	}
	child->parent = d;
	sec_append(s, child);
	return child;
}

void
tmpl_dict_show_section(struct tmpl_dict *d, const char *name)
{
	/* An entry with no children expands once with d itself. */
	if (d != NULL && name != NULL)
		(void)sec_get(d, &d->sections, name);
}

void
tmpl_dict_set_value_and_show_section(struct tmpl_dict *d, const char *var,
                                     struct strv value, const char *section)
{
	if (value.len == 0)
		return;
	tmpl_dict_set(tmpl_dict_add_section(d, section), var, value);
}

struct tmpl_dict *
tmpl_dict_add_include(struct tmpl_dict *d, const char *name,
                      const char *filename)
{
	struct tmpl_sec *s;
	struct tmpl_dict *child;

	if (d == NULL || name == NULL)
		return NULL;
	if ((s = sec_get(d, &d->includes, name)) == NULL)
		return NULL;
	child = dict_new(d->arena, d->shared, s->name.p);
	if (child == NULL) {
		mark_failed(d);
		return NULL;
	}
	if (filename != NULL &&
	    (child->filename = arena_strdup(d->arena, filename)) == NULL) {
		mark_failed(d);
		return NULL;
	}
	/* No parent: values do not cross the file boundary. */
	sec_append(s, child);
	return child;
}

static struct tmpl_dict *
tglobal(struct tmpl_dict *d)
{
	if (d == NULL)
		return NULL;
	if (d->shared->tglobal == NULL) {
		d->shared->tglobal = dict_new(d->shared->arena, d->shared,
		                              "template-global");
		if (d->shared->tglobal == NULL)
			mark_failed(d);
	}
	return d->shared->tglobal;
}

void
tmpl_dict_set_template_global(struct tmpl_dict *d, const char *name,
                              struct strv value)
{
	set_value(tglobal(d), name, value, true);
}

void
tmpl_dict_show_template_global_section(struct tmpl_dict *d, const char *name)
{
	tmpl_dict_show_section(tglobal(d), name);
}

void
tmpl_dict_set_fallback(struct tmpl_dict *root, const struct tmpl_dict *fallback)
{
	if (root != NULL)
		root->shared->fallback = fallback;
}

/* ---- global dictionary --------------------------------------------------- */

struct gvar {
	struct gvar *next;
	char *name;
	char *value;
	size_t len;
};

static pthread_rwlock_t global_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct gvar bi_newline = {NULL, (char *)"BI_NEWLINE", (char *)"\n", 1};
static struct gvar bi_space = {&bi_newline, (char *)"BI_SPACE", (char *)" ", 1};
static struct gvar *globals = &bi_space;

void
tmpl_global_set(const char *name, struct strv value)
{
	struct gvar *g;

	pthread_rwlock_wrlock(&global_lock);
	/* Replaced values are leaked on purpose: a reader may hold them. */
	g = pt_xcalloc(1, sizeof(*g));
	g->name = pt_xstrdup(name);
	g->value = pt_xmalloc(value.len + 1);
	if (value.len > 0)
		memcpy(g->value, value.p, value.len);
	g->value[value.len] = '\0';
	g->len = value.len;
	g->next = globals;
	globals = g;
	pthread_rwlock_unlock(&global_lock);
}

static bool
global_get(struct strv name, struct strv *value_r)
{
	const struct gvar *g;
	bool found = false;

	pthread_rwlock_rdlock(&global_lock);
	for (g = globals; g != NULL; g = g->next) {
		if (strv_eq_cstr(name, g->name)) {
			value_r->p = g->value;
			value_r->len = g->len;
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&global_lock);
	return found;
}

/* ---- lookup ----------------------------------------------------------------
 */

struct strv
tmpl_dict_get(const struct tmpl_dict *d, struct strv name)
{
	uint32_t h = hash_name(name);
	const struct tmpl_dict *p;
	const struct tmpl_var *v;
	struct strv value;

	for (p = d; p != NULL; p = p->parent)
		if ((v = var_find(p, name, h)) != NULL)
			return v->value;
	if (d->shared->tglobal != NULL &&
	    (v = var_find(d->shared->tglobal, name, h)) != NULL)
		return v->value;
	if (d->shared->fallback != NULL &&
	    (v = var_find(d->shared->fallback, name, h)) != NULL)
		return v->value;
	if (global_get(name, &value))
		return value;
	return STRV_LIT("");
}

struct strv
tmpl_dict_lookup(const struct tmpl_dict *d, const char *name)
{
	if (d == NULL || name == NULL)
		return STRV_LIT("");
	return tmpl_dict_get(d, strv_from_cstr(name));
}

const struct tmpl_sec *
tmpl_dict_find_section(const struct tmpl_dict *d, struct strv name)
{
	const struct tmpl_dict *p;
	const struct tmpl_sec *s;

	PT_ASSERT(d != NULL);
	for (p = d; p != NULL; p = p->parent)
		if ((s = sec_find(p->sections, name)) != NULL)
			return s;
	if (d->shared->tglobal != NULL)
		return sec_find(d->shared->tglobal->sections, name);
	return NULL;
}

const struct tmpl_sec *
tmpl_dict_find_include(const struct tmpl_dict *d, struct strv name)
{
	const struct tmpl_dict *p;
	const struct tmpl_sec *s;

	PT_ASSERT(d != NULL);
	for (p = d; p != NULL; p = p->parent)
		if ((s = sec_find(p->includes, name)) != NULL)
			return s;
	if (d->shared->tglobal != NULL)
		return sec_find(d->shared->tglobal->includes, name);
	return NULL;
}
