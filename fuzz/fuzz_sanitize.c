/*
 * Fuzz the HTML sanitizer. The first input byte picks options (remote
 * images on/off, a cid callback, <style> scoping); the rest is the HTML.
 * Checks, beyond "no crash, no sanitizer report":
 * - idempotence: sanitize(sanitize(x)) == sanitize(x) byte for byte;
 * - the output, parsed again by gumbo the way a browser would, holds only
 *   elements and attributes from an allow-list written out here again
 *   (independently of src/sanitize), no on* attribute, and no URL with a
 *   scheme other than http, https, mailto or cid (or our own /part/ and
 *   placeholder URLs);
 * - a <style> element, if any, is the first child and holds no '<'.
 * The plain-text view is run over the same bytes, and its output is also
 * checked against the allow-list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>

#include "sanitize/sanitize.h"

static const char *const ok_elements[] = {
        "a",       "abbr",    "acronym", "address", "article",    "aside",
        "b",       "bdi",     "bdo",     "big",     "blockquote", "br",
        "caption", "center",  "cite",    "code",    "col",        "colgroup",
        "data",    "dd",      "del",     "details", "dfn",        "dir",
        "div",     "dl",      "dt",      "em",      "fieldset",   "figcaption",
        "figure",  "font",    "footer",  "h1",      "h2",         "h3",
        "h4",      "h5",      "h6",      "header",  "hgroup",     "hr",
        "i",       "img",     "ins",     "kbd",     "li",         "main",
        "mark",    "marquee", "menu",    "nav",     "nobr",       "ol",
        "p",       "pre",     "q",       "rb",      "rp",         "rt",
        "rtc",     "ruby",    "s",       "samp",    "section",    "small",
        "span",    "strike",  "strong",  "sub",     "summary",    "sup",
        "table",   "tbody",   "td",      "tfoot",   "th",         "thead",
        "time",    "tr",      "tt",      "u",       "ul",         "var",
        "wbr",     "style",
};

static const char *const ok_attrs[] = {
        "abbr",
        "align",
        "alt",
        "background",
        "bgcolor",
        "border",
        "cellpadding",
        "cellspacing",
        "cite",
        "class",
        "clear",
        "color",
        "colspan",
        "datetime",
        "dir",
        "face",
        "frame",
        "height",
        "href",
        "hspace",
        "lang",
        "noshade",
        "nowrap",
        "open",
        "rel",
        "reversed",
        "rowspan",
        "rules",
        "scope",
        "size",
        "span",
        "src",
        "start",
        "style",
        "summary",
        "target",
        "title",
        "type",
        "valign",
        "value",
        "vspace",
        "width",
        "data-petrel-src",
        "data-petrel-cid",
        "data-petrel-background",
        "data-petrel-cid-background",
        "data-petrel-cid-href",
};

static bool
in(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(s, list[i]) == 0)
			return true;
	}
	return false;
}

static const char *
cid_url(void *ctx, struct strv cid)
{
	struct arena *a = ctx;

	if (cid.len > 0 && cid.p[0] == 'x')
		return NULL;
	return arena_printf(a, "/part/%.*s", (int)cid.len, cid.p);
}

static void
check_url(const char *v)
{
	const char *p = v;

	if (strncmp(v, "/part/", 6) == 0 || strcmp(v, "/blocked.gif") == 0)
		return;
	while (*p != '\0' && *p != ':')
		p++;
	if (*p == '\0')
		abort(); /* relative URL */
	if (!(strncasecmp(v, "http:", 5) == 0 ||
	      strncasecmp(v, "https:", 6) == 0 ||
	      strncasecmp(v, "mailto:", 7) == 0 ||
	      strncasecmp(v, "cid:", 4) == 0))
		abort();
	/* What a browser would run: the scheme after its own cleaning. */
	if (strchr(v, '\t') != NULL || strchr(v, '\n') != NULL ||
	    strchr(v, '\r') != NULL || (unsigned char)v[0] <= 0x20 ||
	    strncasecmp(v, "javascript:", 11) == 0)
		abort();
}

static void
check_tree(const GumboNode *root, bool plain)
{
	const GumboNode **stack;
	size_t sp = 0, cap = 1024;

	stack = malloc(cap * sizeof(*stack));
	stack[sp++] = root;
	while (sp > 0) {
		const GumboNode *n = stack[--sp];
		const GumboElement *el;
		const char *name;
		unsigned i;

		if (n->type == GUMBO_NODE_COMMENT ||
		    n->type == GUMBO_NODE_CDATA ||
		    n->type == GUMBO_NODE_TEMPLATE)
			abort();
		if (n->type != GUMBO_NODE_ELEMENT)
			continue;
		el = &n->v.element;
		if (el->tag_namespace != GUMBO_NAMESPACE_HTML)
			abort();
		name = gumbo_normalized_tagname(el->tag);
		if (n != root) {
			if (el->tag == GUMBO_TAG_UNKNOWN ||
			    !in(name, ok_elements,
			        sizeof(ok_elements) / sizeof(ok_elements[0])))
				abort();
			if (plain && strcmp(name, "a") != 0 &&
			    strcmp(name, "br") != 0 &&
			    strcmp(name, "blockquote") != 0 &&
			    strcmp(name, "details") != 0 &&
			    strcmp(name, "summary") != 0)
				abort();
			if (el->tag == GUMBO_TAG_STYLE) {
				const GumboNode *first =
				        root->v.element.children.data[0];

				if (n->parent != root || first != n)
					abort();
			}
		}
		for (i = 0; n != root && i < el->attributes.length; i++) {
			const GumboAttribute *at = el->attributes.data[i];

			if (!in(at->name, ok_attrs,
			        sizeof(ok_attrs) / sizeof(ok_attrs[0])))
				abort();
			if (strcmp(at->name, "href") == 0 ||
			    strcmp(at->name, "src") == 0 ||
			    strcmp(at->name, "background") == 0 ||
			    strcmp(at->name, "cite") == 0 ||
			    strcmp(at->name, "data-petrel-src") == 0 ||
			    strcmp(at->name, "data-petrel-background") == 0)
				check_url(at->value);
		}
		for (i = 0; i < el->children.length; i++) {
			if (sp == cap) {
				const GumboNode **bigger;

				cap *= 2;
				bigger = realloc(stack, cap * sizeof(*stack));
				if (bigger == NULL)
					abort();
				stack = bigger;
			}
			stack[sp++] = el->children.data[i];
		}
	}
	free(stack);
}

static void
check_reparse(struct strv html, bool plain)
{
	GumboOptions opt = kGumboDefaultOptions;
	GumboOutput *out;

	opt.fragment_context = GUMBO_TAG_BODY;
	opt.max_errors = 0;
	out = gumbo_parse_with_options(&opt, html.p, html.len);
	check_tree(out->root, plain);
	if (!plain && out->root->v.element.children.length > 0) {
		const GumboNode *first = out->root->v.element.children.data[0];

		if (first->type == GUMBO_NODE_ELEMENT &&
		    first->v.element.tag == GUMBO_TAG_STYLE &&
		    memchr(html.p + 7, '<',
		           (size_t)(strstr(html.p, "</style>") - html.p) - 7) !=
		            NULL)
			abort();
	}
	gumbo_destroy_output(&opt, out);
}

/* Fold every quote of more than one line; the label must be escaped. */
static const struct sanitize_plain_opts plain_opts = {
        .fold_lines = 1,
        .fold_label = "<b onclick=x>{n} \"lines\" {n}</b>",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a;
	struct sanitize_opts o;
	struct sbuf one, two;
	struct perr err = {0};
	struct sanitize_report rep;
	struct strv in;

	if (size < 1 || size > 256 * 1024)
		return 0;
	a = arena_create("fuzz", 64 * 1024, 0);
	memset(&o, 0, sizeof(o));
	o.allow_remote = (data[0] & 1) != 0;
	o.placeholder_url = (data[0] & 2) != 0 ? "/blocked.gif" : NULL;
	if ((data[0] & 4) != 0) {
		o.cid_url = cid_url;
		o.cid_ctx = a;
	}
	o.scope_class = (data[0] & 8) != 0 ? "petrel-msg" : NULL;
	o.max_depth = (data[0] & 16) != 0 ? 8 : 0;
	in.p = (const char *)data + 1;
	in.len = size - 1;

	sbuf_init(&one, a, 0, 0);
	sbuf_init(&two, a, 0, 0);
	if (sanitize_html(in, &o, a, &one, &rep, &err) != 0)
		abort(); /* no limits set: cannot fail */
	if (sanitize_html(sbuf_view(&one), &o, a, &two, NULL, &err) != 0)
		abort();
	if (one.len != two.len ||
	    memcmp(sbuf_cstr(&one), sbuf_cstr(&two), one.len) != 0) {
		fprintf(stderr, "not idempotent:\n1: %s\n2: %s\n",
		        sbuf_cstr(&one), sbuf_cstr(&two));
		abort();
	}
	check_reparse(sbuf_view(&one), false);

	sbuf_reset(&one);
	if (sanitize_plain_to_html(in, &plain_opts, a, &one, &err) != 0)
		abort();
	check_reparse(sbuf_view(&one), true);
	arena_destroy(&a);
	return 0;
}
