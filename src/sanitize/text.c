/*
 * HTML → plain text for the text/plain alternative of an HTML message the
 * user wrote. The HTML goes through sanitize_html() first, so that what
 * the text shows is exactly what the HTML part can show (no script or
 * style text, no hidden elements' tricks), and so that the tree walked
 * here is bounded in depth.
 *
 * Rules: block elements end a line, <br> breaks, <p>/<h*>/<table> leave a
 * blank line, list items start with "- " (or "1. "), links whose text is
 * not their URL get " <url>", <blockquote> lines are prefixed with "> ",
 * images give their alt text. Runs of white space collapse as a browser
 * would, except in <pre>.
 */
#include <string.h>

#include <gumbo.h>

#include "sanitize.h"
#include "sanitize_private.h"
#include "core/banned.h"

struct tw {
	struct sbuf *out;
	unsigned quote; /* blockquote depth */
	bool at_line_start;
	bool pending_space;
	unsigned pending_nl; /* newlines owed before the next text */
	bool pre;
};

static void
tw_flush_breaks(struct tw *t)
{
	unsigned i, q;

	if (t->out->len == 0) {
		t->pending_nl = 0;
		return;
	}
	for (i = 0; i < t->pending_nl; i++) {
		sbuf_append_char(t->out, '\n');
		if (i + 1 < t->pending_nl)
			for (q = 0; q < t->quote; q++)
				sbuf_append_cstr(t->out, ">");
	}
	if (t->pending_nl > 0)
		t->at_line_start = true;
	t->pending_nl = 0;
}

static void
tw_text(struct tw *t, const char *s, size_t n)
{
	size_t i;
	unsigned q;

	for (i = 0; i < n; i++) {
		char c = s[i];
		bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		          c == '\f';

		if (ws && !t->pre) {
			if (!t->at_line_start)
				t->pending_space = true;
			continue;
		}
		tw_flush_breaks(t);
		if (t->at_line_start) {
			for (q = 0; q < t->quote; q++)
				sbuf_append_cstr(t->out, "> ");
			t->at_line_start = false;
			t->pending_space = false;
		}
		if (t->pending_space) {
			sbuf_append_char(t->out, ' ');
			t->pending_space = false;
		}
		if (c == '\n') {
			sbuf_append_char(t->out, '\n');
			t->at_line_start = true;
		} else if (c != '\r') {
			sbuf_append_char(t->out, c);
		}
	}
}

/* Literal text at the current position (list markers). */
static void
tw_raw(struct tw *t, const char *s)
{
	unsigned q;

	tw_flush_breaks(t);
	if (t->at_line_start)
		for (q = 0; q < t->quote; q++)
			sbuf_append_cstr(t->out, "> ");
	sbuf_append_cstr(t->out, s);
	t->at_line_start = false;
	t->pending_space = false;
}

/* Line ends already at the end of out (quote-only lines count). */
static unsigned
trailing_nl(const struct sbuf *b)
{
	size_t p = b->len;
	unsigned n = 0;

	while (p > 0 && (b->data[p - 1] == '\n' || b->data[p - 1] == '>' ||
	                 b->data[p - 1] == ' ')) {
		if (b->data[p - 1] == '\n')
			n++;
		p--;
	}
	return n;
}

static void
tw_break(struct tw *t, unsigned n)
{
	unsigned have;

	if (t->out->len == 0)
		return;
	have = t->pending_nl == 0 ? trailing_nl(t->out) : 0;
	n = n > have ? n - have : 0;
	if (t->pending_nl < n)
		t->pending_nl = n;
	t->pending_space = false;
}

static bool
is_block(GumboTag tag)
{
	switch (tag) {
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_LI:
	case GUMBO_TAG_TR:
	case GUMBO_TAG_UL:
	case GUMBO_TAG_OL:
	case GUMBO_TAG_DL:
	case GUMBO_TAG_DT:
	case GUMBO_TAG_DD:
	case GUMBO_TAG_ADDRESS:
	case GUMBO_TAG_CENTER:
	case GUMBO_TAG_SECTION:
	case GUMBO_TAG_ARTICLE:
	case GUMBO_TAG_HEADER:
	case GUMBO_TAG_FOOTER:
	case GUMBO_TAG_HR:
		return true;
	default:
		return false;
	}
}

static bool
is_para(GumboTag tag)
{
	switch (tag) {
	case GUMBO_TAG_P:
	case GUMBO_TAG_H1:
	case GUMBO_TAG_H2:
	case GUMBO_TAG_H3:
	case GUMBO_TAG_H4:
	case GUMBO_TAG_H5:
	case GUMBO_TAG_H6:
	case GUMBO_TAG_TABLE:
	case GUMBO_TAG_PRE:
	case GUMBO_TAG_BLOCKQUOTE:
		return true;
	default:
		return false;
	}
}

static const char *
attr(const GumboElement *el, const char *name)
{
	GumboAttribute *at = gumbo_get_attribute(&el->attributes, name);

	return at != NULL ? at->value : NULL;
}

/* Explicit stack: enter pushes, leave pops (no recursion). */
struct frame {
	const GumboNode *node;
	unsigned next;     /* next child to visit */
	unsigned li_no;    /* ol numbering */
	size_t text_start; /* out->len when an <a> began */
};

static void
enter(struct tw *t, struct frame *f, struct frame *parent)
{
	const GumboElement *el = &f->node->v.element;
	GumboTag tag = el->tag;

	if (is_para(tag))
		tw_break(t, 2);
	else if (is_block(tag))
		tw_break(t, 1);
	if (tag == GUMBO_TAG_BLOCKQUOTE) {
		/* The break before the quote is not part of it. */
		tw_flush_breaks(t);
		t->quote++;
	}
	if (tag == GUMBO_TAG_PRE)
		t->pre = true;
	if (tag == GUMBO_TAG_LI) {
		if (parent != NULL &&
		    parent->node->v.element.tag == GUMBO_TAG_OL) {
			char num[16];

			parent->li_no++;
			if (pt_snprintf_ok(num, sizeof(num), "%u. ",
			                   parent->li_no))
				tw_raw(t, num);
		} else {
			tw_raw(t, "- ");
		}
	}
	if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)
		t->pending_space = true;
	if (tag == GUMBO_TAG_IMG) {
		const char *alt = attr(el, "alt");

		if (alt != NULL && alt[0] != '\0')
			tw_text(t, alt, strlen(alt));
	}
	f->text_start = t->out->len;
}

static void
leave(struct tw *t, const struct frame *f)
{
	const GumboElement *el = &f->node->v.element;
	GumboTag tag = el->tag;

	if (tag == GUMBO_TAG_A) {
		const char *href = attr(el, "href");
		size_t n = t->out->len - f->text_start;

		if (href != NULL && strncmp(href, "mailto:", 7) != 0 &&
		    (n != strlen(href) ||
		     memcmp(t->out->data + f->text_start, href, n) != 0)) {
			tw_text(t, " <", 2);
			t->pending_space = false;
			tw_text(t, href, strlen(href));
			tw_text(t, ">", 1);
		}
	}
	if (tag == GUMBO_TAG_BR) {
		t->pending_nl++;
		t->pending_space = false;
	}
	if (tag == GUMBO_TAG_PRE)
		t->pre = false;
	if (tag == GUMBO_TAG_BLOCKQUOTE && t->quote > 0) {
		t->quote--;
		tw_break(t, 2);
	} else if (is_para(tag)) {
		tw_break(t, 2);
	} else if (is_block(tag)) {
		tw_break(t, 1);
	}
}

int
sanitize_html_to_text(struct strv html, struct arena *a, struct sbuf *out,
                      struct perr *err)
{
	struct sbuf clean;
	struct galloc g;
	GumboOutput *go;
	struct frame *stack;
	size_t sp = 0, cap = SANITIZE_DEFAULT_MAX_DEPTH + 8;
	struct tw t = {out, 0, true, false, 0, false};
	struct arena *wa;
	int rc = 0;

	sbuf_init(&clean, a, html.len + 64, 0);
	if (sanitize_html(html, NULL, a, &clean, NULL, err) != 0)
		return -1;
	wa = arena_create("html2text", 64 * 1024,
	                  SANITIZE_DEFAULT_MAX_PARSE_MEM);
	g.a = wa;
	go = sanitize_gumbo_parse(&g, sbuf_cstr(&clean), clean.len);
	stack = arena_new_array(wa, struct frame, cap);
	if (go == NULL || go->root == NULL || stack == NULL) {
		arena_destroy(&wa);
		return perr_set(err, a, PERR_LIMIT,
		                "HTML too large to convert");
	}
	stack[sp++] = (struct frame){go->root, 0, 0, 0};
	while (sp > 0) {
		struct frame *f = &stack[sp - 1];
		const GumboVector *kids = &f->node->v.element.children;

		if (f->next < kids->length) {
			const GumboNode *c = kids->data[f->next++];

			if (c->type == GUMBO_NODE_TEXT ||
			    c->type == GUMBO_NODE_WHITESPACE ||
			    c->type == GUMBO_NODE_CDATA) {
				tw_text(&t, c->v.text.text,
				        strlen(c->v.text.text));
			} else if (c->type == GUMBO_NODE_ELEMENT ||
			           c->type == GUMBO_NODE_TEMPLATE) {
				if (sp == cap)
					continue; /* sanitize bounds depth */
				stack[sp] = (struct frame){c, 0, 0, 0};
				enter(&t, &stack[sp], f);
				sp++;
			}
			continue;
		}
		if (sp > 1)
			leave(&t, f);
		sp--;
	}
	/* Exactly one final newline. */
	while (out->len > 0 && (out->data[out->len - 1] == '\n' ||
	                        out->data[out->len - 1] == ' '))
		out->data[--out->len] = '\0';
	if (out->len > 0)
		sbuf_append_char(out, '\n');
	if (!sbuf_ok(out))
		rc = perr_set(err, a, PERR_LIMIT, "text too large");
	arena_destroy(&wa);
	return rc;
}
