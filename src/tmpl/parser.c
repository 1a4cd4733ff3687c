/*
 * Loading a template: whitespace stripping (CTEMPLATE.md C6), the token
 * reader (C1, C7), the tree builder (C3, C4) and, with the AUTOESCAPE
 * pragma, the escaping decision for every variable (C8). The structure
 * follows ctemplate's StripBuffer / GetNextToken / AddSubnode closely so
 * that the quirks (the "{{{" rule, the "\"-newline rule, indentation
 * capture) come out identical.
 */
#include <string.h>
#include <strings.h>

#include "tmpl.h"
#include "tmpl_private.h"
#include "core/banned.h"

/* Deeper section nesting than this is surely an attack or a bug. */
#define MAX_NESTING 100

struct delims {
	struct strv start, end;
};

static const struct delims default_delims = {{"{{", 2}, {"}}", 2}};

/* ---- C6: stripping --------------------------------------------------------
 */

static bool
ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static struct strv
trim_ws(struct strv s)
{
	while (s.len > 0 && ascii_space(s.p[s.len - 1]))
		s.len--;
	while (s.len > 0 && ascii_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	return s;
}

static const char *
memmatch(const char *hay, size_t hlen, struct strv needle)
{
	const char *p, *end;

	if (needle.len == 0)
		return hay;
	if (needle.len > hlen)
		return NULL;
	end = hay + hlen - needle.len + 1;
	for (p = hay; p < end; p++) {
		p = memchr(p, needle.p[0], (size_t)(end - p));
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle.p, needle.len) == 0)
			return p;
	}
	return NULL;
}

/* ctemplate's ParseDelimiters: "=START END=", one space, no inner '='. */
static bool
parse_delimiters(const char *text, size_t len, struct delims *d)
{
	const char *space;

	if (len < 3 || text[0] != '=' || text[len - 1] != '=')
		return false;
	if (memchr(text + 1, '=', len - 2) != NULL)
		return false;
	space = memchr(text, ' ', len);
	if (space == NULL ||
	    memchr(space + 1, ' ', (size_t)(text + len - (space + 1))) != NULL)
		return false;
	d->start.p = text + 1;
	d->start.len = (size_t)(space - d->start.p);
	d->end.p = space + 1;
	d->end.len = (size_t)(text + len - 1 - d->end.p);
	return true;
}

static bool
only_one_removable_marker(struct strv *line, const struct delims *d)
{
	struct strv clean = trim_ws(*line);
	const char *endm;

	if (clean.len == 0) {
		*line = clean;
		return true;
	}
	if (clean.len < d->start.len + d->end.len + 1)
		return false;
	if (memcmp(clean.p, d->start.p, d->start.len) != 0 ||
	    strchr("#/>!%=", clean.p[d->start.len]) == NULL ||
	    clean.p[d->start.len] == '\0')
		return false;
	endm = memmatch(clean.p + d->start.len, clean.len - d->start.len,
	                d->end);
	if (endm == NULL || endm + d->end.len != clean.p + clean.len)
		return false;
	*line = clean;
	return true;
}

/*
 * Rewrite `in` per the strip mode into out (which has room for in.len
 * bytes), or only measure when out is NULL. When line_r is set, report the
 * 1-based input line whose output holds offset `target` (for errors).
 */
static size_t
strip_buffer(struct strv in, enum tmpl_strip strip, char *out, size_t target,
             unsigned *line_r)
{
	struct delims d = default_delims;
	const char *pos = in.p, *end = in.p + in.len, *next, *m, *em;
	size_t written = 0;
	unsigned line = 0;
	struct strv l;
	bool nl;

	while (pos < end) {
		next = memchr(pos, '\n', (size_t)(end - pos));
		next = next != NULL ? next + 1 : end;
		if (line_r != NULL && line > 0 && written > target)
			break;
		line++;
		l.p = pos;
		l.len = (size_t)(next - pos);
		nl = l.len > 0 && l.p[l.len - 1] == '\n';
		if (nl)
			l.len--;
		if (strip == TMPL_STRIP_WHITESPACE) {
			l = trim_ws(l);
			nl = false;
		} else if (strip == TMPL_STRIP_BLANK_LINES &&
		           only_one_removable_marker(&l, &d)) {
			nl = false;
		}
		if (out != NULL) {
			if (l.len > 0)
				memcpy(out + written, l.p, l.len);
			if (nl)
				out[written + l.len] = '\n';
		}
		written += l.len + (nl ? 1 : 0);
		/* Follow {{=...=}} so later lines are judged right. */
		for (m = pos; m != NULL && m < next;) {
			m = memmatch(m, (size_t)(next - m), d.start);
			if (m == NULL)
				break;
			em = memmatch(m + d.start.len,
			              (size_t)(next - (m + d.start.len)),
			              d.end);
			if (em == NULL)
				break;
			(void)parse_delimiters(m + d.start.len,
			                       (size_t)(em - (m + d.start.len)),
			                       &d);
			m = em + d.end.len;
		}
		pos = next;
	}
	if (line_r != NULL)
		*line_r = line == 0 ? 1 : line;
	return written;
}

/* ---- parser state ----------------------------------------------------------
 */

enum tok_type {
	TOK_NULL,
	TOK_TEXT,
	TOK_VAR,
	TOK_SECTION_START,
	TOK_SECTION_END,
	TOK_INCLUDE,
	TOK_COMMENT,
	TOK_SET_DELIMS,
	TOK_PRAGMA,
};

struct token {
	enum tok_type type;
	struct strv text;
	struct tmpl_modval *mods;
	size_t nmods;
};

struct parser {
	struct arena *a; /* the template's arena */
	struct arena *err_a;
	const char *label;
	struct strv orig;
	enum tmpl_strip strip;
	const char *buf, *pos, *end;
	bool getting_name;
	struct delims d;
	bool strict;
	enum tmpl_tctx tctx;
	struct tmpl_hscan hs;
	bool main_has_nodes;
	struct perr *err;
	bool failed;
};

static int
fail(struct parser *p, const char *at, const char *fmt, const char *arg,
     size_t arglen)
{
	unsigned line = 1;

	if (p->failed)
		return -1;
	p->failed = true;
	if (at == NULL)
		at = p->pos;
	if (at > p->end)
		at = p->end;
	if (p->strip == TMPL_DO_NOT_STRIP) {
		const char *q;

		for (q = p->buf; q < at; q++)
			if (*q == '\n')
				line++;
	} else {
		(void)strip_buffer(p->orig, p->strip, NULL,
		                   (size_t)(at - p->buf), &line);
	}
	if (arglen > 200)
		arglen = 200;
	perr_set(p->err, p->err_a, PERR_INPUT, "%s:%u: %s%s%.*s%s", p->label,
	         line, fmt, arg != NULL ? " '" : "", (int)arglen,
	         arg != NULL ? arg : "", arg != NULL ? "'" : "");
	p->pos = p->end;
	return -1;
}

static bool
valid_name(struct strv s)
{
	size_t i;
	char c;

	for (i = 0; i < s.len; i++) {
		c = s.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static const char *
maybe_eat_newline(const char *start, const char *end, enum tmpl_strip strip)
{
	if (end - start >= 2 && start[0] == '\\' && start[1] == '\n')
		return start + 1;
	if (end - start >= 1 && start[0] == '\n' &&
	    strip == TMPL_STRIP_WHITESPACE)
		return start + 1;
	return start;
}

/* ---- pragma
 * ------------------------------------------------------------------ */

static bool
ci_eq(struct strv s, const char *lit)
{
	return strlen(lit) == s.len && strncasecmp(s.p, lit, s.len) == 0;
}

/*
 * {{%AUTOESCAPE context="..." [state="..."]}}: exactly one space before
 * each name="value" pair, values in double quotes with \" escapes.
 */
static int
parse_pragma(struct parser *p, struct strv body)
{
	const char *q = body.p, *end = body.p + body.len, *id_end, *eq, *v,
	           *vend;
	struct strv name, ctx = STRV_NULL, state = STRV_NULL;
	bool have_ctx = false, have_state = false, in_tag = false;
	char *val;
	size_t vlen, i;

	id_end = memchr(q, ' ', body.len);
	if (id_end == NULL)
		id_end = end;
	if (!ci_eq((struct strv){q, (size_t)(id_end - q)}, "AUTOESCAPE"))
		return fail(p, q, "unrecognized pragma", body.p, body.len);
	for (q = id_end; q < end; q = vend + 1) {
		if (*q++ != ' ')
			return fail(p, q, "extraneous text in pragma", body.p,
			            body.len);
		eq = memchr(q, '=', (size_t)(end - q));
		if (eq == NULL || eq == q)
			return fail(p, q,
			            "missing pragma attribute name or "
			            "value",
			            body.p, body.len);
		name.p = q;
		name.len = (size_t)(eq - q);
		v = eq + 1;
		if (v >= end || *v != '"')
			return fail(p, v,
			            "pragma attribute value is not "
			            "enclosed in double quotes",
			            body.p, body.len);
		vend = v + 1;
		for (;;) {
			vend = memchr(vend, '"', (size_t)(end - vend));
			if (vend == NULL)
				return fail(p, v,
				            "pragma attribute value not "
				            "terminated",
				            body.p, body.len);
			if (vend[-1] != '\\')
				break;
			vend++;
		}
		/* Copy the value without its \" escapes. */
		val = arena_alloc(p->a, (size_t)(vend - v));
		if (val == NULL)
			return fail(p, v, "out of memory", NULL, 0);
		vlen = 0;
		for (i = 1; v + i < vend; i++) {
			if (v[i] == '\\' && v + i + 1 < vend && v[i + 1] == '"')
				continue;
			val[vlen++] = v[i];
		}
		if (ci_eq(name, "context")) {
			ctx = (struct strv){val, vlen};
			have_ctx = true;
		} else if (ci_eq(name, "state")) {
			state = (struct strv){val, vlen};
			have_state = true;
		} else {
			return fail(p, q, "unrecognized pragma attribute",
			            name.p, name.len);
		}
	}
	if (!have_ctx)
		return fail(p, body.p, "invalid context in pragma", body.p,
		            body.len);
	if (strv_eq_cstr(ctx, "HTML") || strv_eq_cstr(ctx, "html"))
		p->tctx = TMPL_TCTX_HTML;
	else if (strv_eq_cstr(ctx, "JAVASCRIPT") ||
	         strv_eq_cstr(ctx, "javascript"))
		p->tctx = TMPL_TCTX_JS;
	else if (strv_eq_cstr(ctx, "CSS") || strv_eq_cstr(ctx, "css"))
		p->tctx = TMPL_TCTX_CSS;
	else if (strv_eq_cstr(ctx, "JSON") || strv_eq_cstr(ctx, "json"))
		p->tctx = TMPL_TCTX_JSON;
	else if (strv_eq_cstr(ctx, "XML") || strv_eq_cstr(ctx, "xml"))
		p->tctx = TMPL_TCTX_XML;
	else
		return fail(p, body.p, "invalid context in pragma", body.p,
		            body.len);
	if (have_state) {
		if (p->tctx == TMPL_TCTX_HTML &&
		    (strv_eq_cstr(state, "IN_TAG") ||
		     strv_eq_cstr(state, "in_tag")))
			in_tag = true;
		else if (!strv_eq_cstr(state, "default"))
			return fail(p, body.p, "unsupported state in pragma",
			            state.p, state.len);
	}
	tmpl_hscan_init(&p->hs, p->tctx, in_tag);
	return 0;
}

/* ---- tokens -------------------------------------------------------------- */

static int
parse_modifiers(struct parser *p, const char *mod_start, const char *tok_end,
                struct strv name, struct token *t)
{
	const char *m, *m_end, *val;
	size_t n = 0;
	struct strv modname, modval;
	const struct tmpl_moddef *def;
	struct tmpl_moddef *udef;
	bool unknown;

	for (m = mod_start; m < tok_end; m++)
		if (*m == ':')
			n++;
	/* Room for the auto-escape modifier and the include indentation. */
	t->mods = arena_new_array(p->a, struct tmpl_modval, n + 2);
	if (t->mods == NULL)
		return fail(p, mod_start, "out of memory", NULL, 0);
	t->nmods = 0;
	for (m = mod_start; m < tok_end; m = m_end) {
		m++; /* the ':' */
		m_end = memchr(m, ':', (size_t)(tok_end - m));
		if (m_end == NULL)
			m_end = tok_end;
		val = memchr(m, '=', (size_t)(m_end - m));
		if (val == NULL)
			val = m_end;
		modname = (struct strv){m, (size_t)(val - m)};
		modval = (struct strv){val, (size_t)(m_end - val)};
		def = tmpl_mod_find(modname, modval, &unknown);
		if (def == NULL && unknown) {
			if (p->strict)
				return fail(p, m, "unknown modifier", m,
				            (size_t)(m_end - m));
			udef = arena_new(p->a, struct tmpl_moddef);
			if (udef == NULL)
				return fail(p, m, "out of memory", NULL, 0);
			udef->long_name =
			        arena_strndup(p->a, m, (size_t)(m_end - m));
			udef->value_required = modval.len > 0;
			udef->xss = TMPL_XSS_UNIQUE;
			udef->id = TMPL_MOD_EXT;
			def = udef;
		}
		if (def == NULL)
			return fail(p, m, "unknown modifier for variable",
			            name.p, name.len);
		t->mods[t->nmods].def = def;
		t->mods[t->nmods].arg =
		        modval.len > 0
		                ? (struct strv){modval.p + 1, modval.len - 1}
		                : STRV_NULL;
		t->nmods++;
	}
	return 0;
}

static struct token
next_token(struct parser *p)
{
	struct token t = {TOK_NULL, STRV_NULL, NULL, 0};
	const char *start = p->pos, *tok_end = NULL, *mod_start;

	if (p->pos >= p->end || p->failed)
		return t;
	if (!p->getting_name) {
		tok_end =
		        memmatch(p->pos, (size_t)(p->end - p->pos), p->d.start);
		if (tok_end == NULL) {
			tok_end = p->end;
			p->pos = p->end;
		} else {
			/* "{{{VAR}}": match the last "{{" of the run. */
			while (tok_end + 1 + p->d.start.len <= p->end &&
			       memcmp(tok_end + 1, p->d.start.p,
			              p->d.start.len) == 0)
				tok_end++;
			p->getting_name = true;
			p->pos = tok_end + p->d.start.len;
		}
		t.type = TOK_TEXT;
		t.text = (struct strv){start, (size_t)(tok_end - start)};
		return t;
	}

	switch (*start) {
	case '#':
		t.type = TOK_SECTION_START;
		start++;
		break;
	case '/':
		t.type = TOK_SECTION_END;
		start++;
		break;
	case '!':
		t.type = TOK_COMMENT;
		start++;
		break;
	case '=':
		t.type = TOK_SET_DELIMS;
		/* The token keeps its '='; it ends at "=" + end delimiter. */
		if (p->end > start + 1)
			tok_end = memchr(start + 1, '=',
			                 (size_t)(p->end - (start + 1)));
		if (tok_end == NULL || tok_end + p->d.end.len > p->end ||
		    (size_t)(p->end - (tok_end + 1)) < p->d.end.len ||
		    memcmp(tok_end + 1, p->d.end.p, p->d.end.len) != 0)
			tok_end = NULL;
		else
			tok_end++;
		break;
	case '>':
		t.type = TOK_INCLUDE;
		start++;
		break;
	case '%':
		t.type = TOK_PRAGMA;
		start++;
		break;
	default:
		t.type = TOK_VAR;
		break;
	}
	if (tok_end == NULL)
		tok_end = memmatch(start, (size_t)(p->end - start), p->d.end);
	if (tok_end == NULL) {
		fail(p, start, "missing end delimiter for marker", start,
		     (size_t)(p->end - start));
		t.type = TOK_NULL;
		return t;
	}
	if (t.type == TOK_PRAGMA &&
	    parse_pragma(p, (struct strv){start, (size_t)(tok_end - start)}) <
	            0) {
		t.type = TOK_NULL;
		return t;
	}
	if (t.type == TOK_COMMENT || t.type == TOK_SET_DELIMS ||
	    t.type == TOK_PRAGMA) {
		p->getting_name = false;
		p->pos = maybe_eat_newline(tok_end + p->d.end.len, p->end,
		                           p->strip);
		t.text = (struct strv){start, (size_t)(tok_end - start)};
		return t;
	}
	mod_start = memchr(start, ':', (size_t)(tok_end - start));
	if (mod_start == NULL)
		mod_start = tok_end;
	t.text = (struct strv){start, (size_t)(mod_start - start)};
	if (!valid_name(t.text)) {
		fail(p, start, "illegal name in marker", t.text.p, t.text.len);
		t.type = TOK_NULL;
		return t;
	}
	if (parse_modifiers(p, mod_start, tok_end, t.text, &t) < 0) {
		t.type = TOK_NULL;
		return t;
	}
	if (t.nmods > 0 && t.type != TOK_VAR && t.type != TOK_INCLUDE) {
		fail(p, start,
		     "only variables and template-includes may have modifiers",
		     t.text.p, t.text.len);
		t.type = TOK_NULL;
		return t;
	}
	p->getting_name = false;
	p->pos = tok_end + p->d.end.len;
	if (t.type != TOK_VAR)
		p->pos = maybe_eat_newline(p->pos, p->end, p->strip);
	return t;
}

/* ---- C8: choosing the escaper ----------------------------------------------
 */

/* ctemplate's UpdateModifier with a single computed modifier `a`. */
static void
add_auto_modifier(struct token *t, const struct tmpl_modval *a)
{
	size_t i;
	const struct tmpl_moddef *m;

	for (i = 0; i < t->nmods; i++)
		if (t->mods[i].def->xss == TMPL_XSS_SAFE)
			return;
	for (i = t->nmods; i > 0; i--) {
		m = t->mods[i - 1].def;
		if (tmpl_mod_is_safe_alternative(a->def, m))
			return;
		/* Another built-in escaper is harmless; x- stops the scan. */
		if (m->xss != a->def->xss || m->xss == TMPL_XSS_UNIQUE)
			break;
	}
	t->mods[t->nmods++] = *a;
}

static int
escape_variable(struct parser *p, struct token *t, const char *at)
{
	struct tmpl_modval a;
	const char *why;

	if (p->tctx == TMPL_TCTX_MANUAL)
		return 0;
	if (strv_eq_cstr(t->text, "BI_SPACE") ||
	    strv_eq_cstr(t->text, "BI_NEWLINE")) {
		/* Stand-ins for literal whitespace: never escaped. */
		tmpl_hscan_feed(&p->hs,
		                strv_eq_cstr(t->text, "BI_SPACE") ? " " : "\n",
		                1);
		if (tmpl_hscan_failed(&p->hs))
			return fail(p, at, "cannot parse HTML", NULL, 0);
		return 0;
	}
	if (tmpl_hscan_escaper(&p->hs, &a, &why) < 0)
		return fail(p, at, why, t->text.p, t->text.len);
	add_auto_modifier(t, &a);
	return 0;
}

/* ---- tree
 * -------------------------------------------------------------------- */

/*
 * If text ends with a newline followed by spaces/tabs (or is only
 * spaces/tabs and `implicit_nl`), return that whitespace, else empty.
 */
static struct strv
get_indentation(struct strv text, bool implicit_nl)
{
	const char *nl = text.p + text.len, *q;

	while (nl > text.p && nl[-1] != '\n')
		nl--;
	if (nl == text.p && !implicit_nl)
		return STRV_NULL;
	for (q = nl; q < text.p + text.len; q++)
		if (*q != ' ' && *q != '\t')
			return STRV_NULL;
	return (struct strv){nl, (size_t)(text.p + text.len - nl)};
}

static struct tmpl_node *
node_new(struct parser *p, enum tmpl_node_kind kind, struct strv text)
{
	struct tmpl_node *n = arena_new(p->a, struct tmpl_node);

	if (n == NULL) {
		fail(p, NULL, "out of memory", NULL, 0);
		return NULL;
	}
	n->kind = kind;
	n->text = text;
	return n;
}

/*
 * Parse nodes into *head until the end of section `name` (or of the file
 * for the main section). Mirrors SectionTemplateNode::AddSubnode.
 */
static int
parse_body(struct parser *p, struct strv name, bool is_main, int depth,
           struct tmpl_node **head, struct tmpl_node **separator_r)
{
	struct tmpl_node **tail = head, *n;
	struct strv indent = STRV_NULL;
	bool at_start = true; /* ctemplate's indentation_ == "\n" */
	struct token t;
	const char *at;

	if (depth > MAX_NESTING)
		return fail(p, NULL, "sections nested too deeply", NULL, 0);
	for (;;) {
		if (p->failed)
			return -1;
		if (p->pos >= p->end) {
			if (!is_main)
				return fail(p, p->end,
				            "file ended before "
				            "all sections were closed",
				            name.p, name.len);
			return 0;
		}
		at = p->pos;
		t = next_token(p);
		switch (t.type) {
		case TOK_TEXT:
			if (t.text.len > 0) {
				if ((n = node_new(p, TMPL_N_TEXT, t.text)) ==
				    NULL)
					return -1;
				*tail = n;
				tail = &n->next;
				if (is_main)
					p->main_has_nodes = true;
				if (p->tctx != TMPL_TCTX_MANUAL)
					tmpl_hscan_feed(&p->hs, t.text.p,
					                t.text.len);
				if (p->tctx != TMPL_TCTX_MANUAL &&
				    tmpl_hscan_failed(&p->hs))
					return fail(p, at, "cannot parse HTML",
					            t.text.p, t.text.len);
			}
			indent = get_indentation(t.text, at_start);
			at_start = false;
			break;
		case TOK_VAR:
			if (escape_variable(p, &t, at) < 0)
				return -1;
			if ((n = node_new(p, TMPL_N_VAR, t.text)) == NULL)
				return -1;
			n->mods = t.mods;
			n->nmods = t.nmods;
			*tail = n;
			tail = &n->next;
			if (is_main)
				p->main_has_nodes = true;
			indent = STRV_NULL;
			at_start = false;
			break;
		case TOK_SECTION_START:
			if ((n = node_new(p, TMPL_N_SECTION, t.text)) == NULL)
				return -1;
			if (is_main)
				p->main_has_nodes = true;
			if (parse_body(p, t.text, false, depth + 1,
			               &n->children, &n->separator) < 0)
				return -1;
			*tail = n;
			tail = &n->next;
			/* A direct child named NAME_separator. */
			if (separator_r != NULL &&
			    t.text.len == name.len + 10 &&
			    memcmp(t.text.p, name.p, name.len) == 0 &&
			    memcmp(t.text.p + name.len, "_separator", 10) == 0)
				*separator_r = n;
			indent = STRV_NULL;
			at_start = false;
			break;
		case TOK_SECTION_END:
			if (is_main || !strv_eq(t.text, name))
				return fail(p, at,
				            "found end of different "
				            "section",
				            t.text.p, t.text.len);
			return 0;
		case TOK_INCLUDE:
			if (p->tctx != TMPL_TCTX_MANUAL &&
			    !tmpl_hscan_include_ok(&p->hs))
				return fail(p, at,
				            "include is only allowed "
				            "in HTML text context",
				            t.text.p, t.text.len);
			if ((n = node_new(p, TMPL_N_INCLUDE, t.text)) == NULL)
				return -1;
			n->mods = t.mods;
			n->nmods = t.nmods;
			if (indent.len > 0) {
				n->mods[n->nmods].def = tmpl_mod_prefix_line();
				n->mods[n->nmods].arg = indent;
				n->nmods++;
			}
			*tail = n;
			tail = &n->next;
			if (is_main)
				p->main_has_nodes = true;
			indent = STRV_NULL;
			at_start = false;
			break;
		case TOK_COMMENT:
			break;
		case TOK_SET_DELIMS:
			if (!parse_delimiters(t.text.p, t.text.len, &p->d))
				return fail(p, at,
				            "invalid delimiter-setting "
				            "marker",
				            t.text.p, t.text.len);
			break;
		case TOK_PRAGMA:
			if (!is_main || p->main_has_nodes)
				return fail(p, at,
				            "pragma marker must be at "
				            "the top of the template",
				            t.text.p, t.text.len);
			p->main_has_nodes = true;
			break;
		case TOK_NULL:
			return p->failed ? -1 : 0;
		}
	}
}

void
tmpl_template_free(struct tmpl_template *t)
{
	struct arena *a;

	if (t == NULL)
		return;
	a = t->arena;
	arena_destroy(&a);
}

int
tmpl_parse(const char *label, struct strv text, enum tmpl_strip strip,
           bool strict, struct arena *err_arena, struct tmpl_template **t_r,
           struct perr *err)
{
	struct parser p;
	struct tmpl_template *t;
	struct arena *a;
	char *buf;
	size_t len;

	*t_r = NULL;
	a = arena_create("tmpl", 4096 + text.len * 2, 0);
	t = arena_new(a, struct tmpl_template);
	buf = arena_alloc(a, text.len + 1);
	if (t == NULL || buf == NULL) {
		arena_destroy(&a);
		return perr_set(err, err_arena, PERR_LIMIT, "%s: too large",
		                label);
	}
	t->arena = a;
	t->strip = strip;
	if (strip == TMPL_DO_NOT_STRIP) {
		if (text.len > 0)
			memcpy(buf, text.p, text.len);
		len = text.len;
	} else {
		len = strip_buffer(text, strip, buf, 0, NULL);
	}
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.err_a = err_arena;
	p.label = label;
	p.orig = text;
	p.strip = strip;
	p.buf = p.pos = buf;
	p.end = buf + len;
	p.d = default_delims;
	p.strict = strict;
	p.err = err;
	if (parse_body(&p, STRV_LIT("__{{MAIN}}__"), true, 0, &t->root, NULL) <
	            0 ||
	    p.failed) {
		arena_destroy(&a);
		return -1;
	}
	if (strict && p.tctx == TMPL_TCTX_MANUAL) {
		arena_destroy(&a);
		return perr_set(err, err_arena, PERR_INPUT,
		                "%s:1: missing AUTOESCAPE pragma (strict mode)",
		                label);
	}
	*t_r = t;
	return 0;
}
