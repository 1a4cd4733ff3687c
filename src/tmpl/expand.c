/*
 * Expansion: walk a parsed template against a dictionary into a bounded
 * sbuf (CTEMPLATE.md C3-C5). Nothing here writes to the cache or the
 * dictionaries, so concurrent expansions from a frozen cache need no lock.
 */
#include <string.h>

#include "tmpl.h"
#include "tmpl_private.h"
#include "core/banned.h"

/* Includes nest at most this deep (a template cycle stops here). */
#define MAX_INCLUDE_DEPTH 32

struct xstate {
	const struct tmpl_cache *cache;
	struct arena *a;
	struct perr *err;
	unsigned depth;
};

static int
limit(struct xstate *x)
{
	return perr_set(x->err, x->a, PERR_LIMIT,
	                "template output exceeds its limit");
}

/* Run a modifier chain left to right; intermediates in scratch buffers. */
static int
apply_mods(struct xstate *x, const struct tmpl_modval *mods, size_t n,
           struct strv in, struct sbuf *out)
{
	struct sbuf cur, next;
	size_t i;
	bool ok;

	if (n == 1) {
		tmpl_mod_run(&mods[0], in, out);
		return out->failed ? limit(x) : 0;
	}
	sbuf_init(&cur, NULL, 0, out->max);
	tmpl_mod_run(&mods[0], in, &cur);
	for (i = 1; i + 1 < n && !cur.failed; i++) {
		sbuf_init(&next, NULL, 0, out->max);
		tmpl_mod_run(&mods[i], sbuf_view(&cur), &next);
		sbuf_free(&cur);
		cur = next;
	}
	ok = !cur.failed;
	if (ok)
		tmpl_mod_run(&mods[n - 1], sbuf_view(&cur), out);
	sbuf_free(&cur);
	return ok && !out->failed ? 0 : limit(x);
}

static int expand_nodes(struct xstate *x, const struct tmpl_template *t,
                        const struct tmpl_node *n, const struct tmpl_dict *d,
                        struct sbuf *out);
static int expand_list(struct xstate *x, const struct tmpl_template *t,
                       const struct tmpl_node *n, const struct tmpl_dict *d,
                       struct sbuf *out);

static int
expand_template(struct xstate *x, const struct tmpl_template *t,
                const struct tmpl_dict *d, struct sbuf *out)
{
	return expand_list(x, t, t->root, d, out);
}

/* One pass over a section body; the separator runs unless is_last. */
static int
section_once(struct xstate *x, const struct tmpl_template *t,
             const struct tmpl_node *sec, const struct tmpl_dict *d,
             bool is_last, struct sbuf *out)
{
	const struct tmpl_node *n;

	for (n = sec->children; n != NULL; n = n->next) {
		if (expand_nodes(x, t, n, d, out) < 0)
			return -1;
		if (n == sec->separator && !is_last &&
		    section_once(x, t, n, d, true, out) < 0)
			return -1;
	}
	return 0;
}

static int
expand_section(struct xstate *x, const struct tmpl_template *t,
               const struct tmpl_node *n, const struct tmpl_dict *d,
               struct sbuf *out)
{
	const struct tmpl_sec *s = tmpl_dict_find_section(d, n->text);
	const struct tmpl_dict *child;

	if (s == NULL)
		return 0; /* hidden */
	if (s->count == 0)
		return section_once(x, t, n, d, true, out);
	for (child = s->first; child != NULL; child = child->next_sibling) {
		if (section_once(x, t, n, child, child->next_sibling == NULL,
		                 out) < 0)
			return -1;
		if (out->failed)
			return limit(x);
	}
	return 0;
}

static int
expand_include(struct xstate *x, const struct tmpl_template *t,
               const struct tmpl_node *n, const struct tmpl_dict *d,
               struct sbuf *out)
{
	const struct tmpl_sec *s = tmpl_dict_find_include(d, n->text);
	const struct tmpl_dict *child;
	const struct tmpl_template *sub;
	struct sbuf tmp;
	int r;

	if (s == NULL)
		return 0;
	if (x->depth >= MAX_INCLUDE_DEPTH)
		return perr_set(x->err, x->a, PERR_LIMIT,
		                "includes nested deeper than %d",
		                MAX_INCLUDE_DEPTH);
	for (child = s->first; child != NULL; child = child->next_sibling) {
		if (child->filename == NULL || child->filename[0] == '\0')
			continue;
		if (tmpl_cache_get(x->cache, child->filename, t->strip, x->a,
		                   &sub, x->err) < 0)
			return -1;
		x->depth++;
		if (n->nmods == 0) {
			r = expand_template(x, sub, child, out);
		} else {
			sbuf_init(&tmp, NULL, 0, out->max);
			r = expand_template(x, sub, child, &tmp);
			if (r == 0 && tmp.failed)
				r = limit(x);
			if (r == 0)
				r = apply_mods(x, n->mods, n->nmods,
				               sbuf_view(&tmp), out);
			sbuf_free(&tmp);
		}
		x->depth--;
		if (r < 0)
			return -1;
	}
	return 0;
}

static int
expand_nodes(struct xstate *x, const struct tmpl_template *t,
             const struct tmpl_node *n, const struct tmpl_dict *d,
             struct sbuf *out)
{
	struct strv v;

	switch (n->kind) {
	case TMPL_N_TEXT:
		sbuf_append_strv(out, n->text);
		break;
	case TMPL_N_VAR:
		v = tmpl_dict_get(d, n->text);
		if (n->nmods == 0)
			sbuf_append_strv(out, v);
		else if (apply_mods(x, n->mods, n->nmods, v, out) < 0)
			return -1;
		break;
	case TMPL_N_SECTION:
		if (expand_section(x, t, n, d, out) < 0)
			return -1;
		break;
	case TMPL_N_INCLUDE:
		if (expand_include(x, t, n, d, out) < 0)
			return -1;
		break;
	}
	return out->failed ? limit(x) : 0;
}

static int
expand_list(struct xstate *x, const struct tmpl_template *t,
            const struct tmpl_node *n, const struct tmpl_dict *d,
            struct sbuf *out)
{
	for (; n != NULL; n = n->next)
		if (expand_nodes(x, t, n, d, out) < 0)
			return -1;
	return 0;
}

int
tmpl_expand(const struct tmpl_cache *c, const char *name, enum tmpl_strip strip,
            const struct tmpl_dict *d, struct sbuf *out, struct perr *err)
{
	struct xstate x;
	const struct tmpl_template *t;

	if (d == NULL)
		return perr_set(err, NULL, PERR_LIMIT,
		                "template dictionary allocation failed");
	x.cache = c;
	x.a = d->arena;
	x.err = err;
	x.depth = 0;
	if (d->shared->failed)
		return perr_set(err, x.a, PERR_LIMIT,
		                "template dictionary allocation failed");
	if (tmpl_cache_get(c, name, strip, x.a, &t, err) < 0)
		return -1;
	if (expand_template(&x, t, d, out) < 0)
		return -1;
	return sbuf_ok(out) ? 0 : limit(&x);
}
