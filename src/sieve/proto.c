/*
 * The ManageSieve response grammar (RFC 5804 §4): lines of atoms, quoted
 * strings and literals, with parenthesised response codes. This file only
 * reads bytes from a sieve_src, so the same code serves the network
 * client, the unit tests and the fuzz target.
 */
#include <string.h>

#include "sieve.h"
#include "core/banned.h"

void
sieve_src_init(struct sieve_src *s, sieve_read_fn *read, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->read = read;
	s->ctx = ctx;
}

/* Next byte, or -1 at the end of input or on an error. */
static int
src_peek(struct sieve_src *s)
{
	long n;

	if (s->pos < s->len)
		return (unsigned char)s->buf[s->pos];
	if (s->eof || s->failed)
		return -1;
	n = s->read(s->ctx, s->buf, sizeof(s->buf));
	if (n <= 0) {
		if (n < 0)
			s->failed = true;
		s->eof = true;
		return -1;
	}
	s->pos = 0;
	s->len = (size_t)n;
	return (unsigned char)s->buf[0];
}

static int
src_get(struct sieve_src *s)
{
	int c = src_peek(s);

	if (c >= 0)
		s->pos++;
	return c;
}

static int
eof_error(struct sieve_src *s, struct arena *a, struct perr *err)
{
	return perr_set(err, a, PERR_TEMPFAIL, "%s",
	                s->failed ? "reading from the server failed"
	                          : "the server closed the connection");
}

static int
syntax(struct arena *a, struct perr *err, const char *what)
{
	return perr_set(err, a, PERR_REMOTE,
	                "the ManageSieve server sent a malformed response (%s)",
	                what);
}

static bool
is_atom_char(int c)
{
	/* ATOM-CHAR: any CHAR except specials (RFC 5804 §4). */
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	       c != '"' && c != '\\' && c != '%' && c != '*';
}

/* {N} or {N+}, CRLF, then N bytes. The '{' is already consumed. */
static int
read_literal(struct sieve_src *s, struct arena *a, struct strv *out,
             size_t *budget, struct perr *err)
{
	uint64_t n = 0;
	size_t got = 0, digits = 0;
	char *p;
	int c;

	while ((c = src_get(s)) >= '0' && c <= '9') {
		n = n * 10 + (uint64_t)(c - '0');
		if (++digits > 10)
			return syntax(a, err, "literal length too long");
	}
	if (c == '+')
		c = src_get(s);
	if (c < 0)
		return eof_error(s, a, err);
	if (c != '}' || digits == 0)
		return syntax(a, err, "bad literal");
	if (src_get(s) != '\r' || src_get(s) != '\n')
		return syntax(a, err, "no CRLF after a literal length");
	if (n > SIEVE_LITERAL_MAX || n > *budget)
		return perr_set(err, a, PERR_REMOTE,
		                "the ManageSieve server sent %llu bytes, more "
		                "than the %u allowed",
		                (unsigned long long)n,
		                (unsigned)SIEVE_LITERAL_MAX);
	*budget -= (size_t)n;
	p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	while (got < n) {
		size_t chunk;

		if (src_peek(s) < 0)
			return eof_error(s, a, err);
		chunk = s->len - s->pos;
		if (chunk > n - got)
			chunk = (size_t)(n - got);
		memcpy(p + got, s->buf + s->pos, chunk);
		s->pos += chunk;
		got += chunk;
	}
	p[n] = '\0';
	out->p = p;
	out->len = (size_t)n;
	return 0;
}

/* "..." with \" and \\ escapes; the opening quote is consumed. */
static int
read_quoted(struct sieve_src *s, struct arena *a, struct strv *out,
            size_t *budget, struct perr *err)
{
	struct sbuf b;
	int c;

	sbuf_init(&b, a, 64, SIEVE_LINE_MAX);
	for (;;) {
		c = src_get(s);
		if (c < 0)
			return eof_error(s, a, err);
		if (c == '"')
			break;
		if (c == '\r' || c == '\n' || c == 0)
			return syntax(a, err, "line break in a quoted string");
		if (c == '\\') {
			c = src_get(s);
			if (c != '"' && c != '\\')
				return syntax(a, err, "bad escape");
		}
		if (*budget == 0)
			return syntax(a, err, "line too long");
		(*budget)--;
		sbuf_append_char(&b, (char)c);
	}
	if (!sbuf_ok(&b))
		return syntax(a, err, "quoted string too long");
	out->p = arena_strndup(a, sbuf_view(&b).p, b.len);
	out->len = b.len;
	return out->p != NULL ? 0
	                      : perr_set(err, a, PERR_LIMIT, "out of memory");
}

int
sieve_read_line(struct sieve_src *src, struct arena *a, struct sieve_line *l,
                struct perr *err)
{
	/* Bounds: the plain text of a line, and all its literals together. */
	size_t line_budget = SIEVE_LINE_MAX, lit_budget = SIEVE_LITERAL_MAX;
	size_t cap = 8;
	int c;

	l->n = 0;
	l->items = arena_new_array(a, struct sieve_item, cap);
	if (l->items == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	for (;;) {
		struct sieve_item it = {0};

		c = src_get(src);
		if (c < 0)
			return eof_error(src, a, err);
		if (c == ' ') {
			/* Even blanks count: a stream of them must end. */
			if (line_budget-- == 0)
				return syntax(a, err, "line too long");
			continue;
		}
		if (c == '\r') {
			if (src_get(src) != '\n')
				return syntax(a, err, "CR without LF");
			break;
		}
		if (c == '\n') /* tolerate a bare LF */
			break;
		if (l->n == SIEVE_LINE_ITEMS_MAX)
			return syntax(a, err, "too many items in a line");
		if (c == '(') {
			it.type = SIEVE_ITEM_LPAREN;
		} else if (c == ')') {
			it.type = SIEVE_ITEM_RPAREN;
		} else if (c == '"') {
			it.type = SIEVE_ITEM_STRING;
			if (read_quoted(src, a, &it.s, &line_budget, err) != 0)
				return -1;
		} else if (c == '{') {
			it.type = SIEVE_ITEM_STRING;
			if (read_literal(src, a, &it.s, &lit_budget, err) != 0)
				return -1;
		} else if (is_atom_char(c)) {
			struct sbuf b;

			sbuf_init(&b, a, 16, 1024);
			sbuf_append_char(&b, (char)c);
			while (is_atom_char(src_peek(src)) && sbuf_ok(&b))
				sbuf_append_char(&b, (char)src_get(src));
			if (!sbuf_ok(&b))
				return syntax(a, err, "atom too long");
			it.type = SIEVE_ITEM_ATOM;
			it.s.p = arena_strndup(a, sbuf_view(&b).p, b.len);
			it.s.len = b.len;
			if (it.s.p == NULL)
				return perr_set(err, a, PERR_LIMIT,
				                "out of memory");
			if (line_budget < b.len)
				return syntax(a, err, "line too long");
			line_budget -= b.len;
		} else {
			return syntax(a, err, "unexpected character");
		}
		if (l->n == cap) {
			struct sieve_item *bigger =
			        arena_new_array(a, struct sieve_item, cap * 2);

			if (bigger == NULL)
				return perr_set(err, a, PERR_LIMIT,
				                "out of memory");
			memcpy(bigger, l->items, cap * sizeof(*bigger));
			l->items = bigger;
			cap *= 2;
		}
		l->items[l->n++] = it;
	}
	return 0;
}

bool
sieve_line_status(const struct sieve_line *l, struct sieve_status *st)
{
	size_t i = 1;

	memset(st, 0, sizeof(*st));
	if (l->n == 0 || l->items[0].type != SIEVE_ITEM_ATOM)
		return false;
	if (strv_eq_ci_ascii(l->items[0].s, STRV_LIT("OK")))
		st->kind = SIEVE_OK;
	else if (strv_eq_ci_ascii(l->items[0].s, STRV_LIT("NO")))
		st->kind = SIEVE_NO;
	else if (strv_eq_ci_ascii(l->items[0].s, STRV_LIT("BYE")))
		st->kind = SIEVE_BYE;
	else
		return false;
	if (i < l->n && l->items[i].type == SIEVE_ITEM_LPAREN) {
		size_t depth = 1;

		i++;
		if (i < l->n && l->items[i].type == SIEVE_ITEM_ATOM)
			st->code = l->items[i++].s.p;
		if (i < l->n && l->items[i].type == SIEVE_ITEM_STRING)
			st->code_arg = l->items[i].s.p;
		/* Skip whatever else the code holds, nested lists too. */
		for (; i < l->n && depth > 0; i++) {
			if (l->items[i].type == SIEVE_ITEM_LPAREN)
				depth++;
			else if (l->items[i].type == SIEVE_ITEM_RPAREN)
				depth--;
		}
	}
	if (i < l->n && l->items[i].type == SIEVE_ITEM_STRING)
		st->text = l->items[i].s.p;
	return true;
}

unsigned
sieve_error_line(const char *text)
{
	const char *p = text;

	if (text == NULL)
		return 0;
	while ((p = strstr(p, "line ")) != NULL) {
		unsigned n = 0;
		const char *q = p + 5;

		/* "line" must start a word: not "newline 3". */
		if (p == text || p[-1] == ' ' || p[-1] == '\n' ||
		    p[-1] == ':' || p[-1] == '(') {
			while (*q >= '0' && *q <= '9' && n < 10000000)
				n = n * 10 + (unsigned)(*q++ - '0');
			if (n > 0 && (*q == ':' || *q == ',' || *q == ')'))
				return n;
		}
		p += 5;
	}
	return 0;
}

/* "fileinto reject vacation" -> words in a. */
static int
split_words(const char *s, struct arena *a, const char ***out_r, size_t *n_r)
{
	struct strv rest = strv_from_cstr(s), w;
	size_t n = 0, cap = 0;
	const char **out;

	while (rest.len > 0) {
		(void)strv_split_once(rest, ' ', &w, &rest);
		if (w.len > 0)
			cap++;
	}
	out = arena_new_array(a, const char *, cap + 1);
	if (out == NULL)
		return -1;
	rest = strv_from_cstr(s);
	while (rest.len > 0) {
		(void)strv_split_once(rest, ' ', &w, &rest);
		if (w.len > 0 && (out[n++] = strv_dup(a, w)) == NULL)
			return -1;
	}
	*out_r = out;
	*n_r = n;
	return 0;
}

int
sieve_caps_parse(const struct sieve_line *lines, size_t n, struct arena *a,
                 struct sieve_caps *caps, struct perr *err)
{
	size_t i;

	memset(caps, 0, sizeof(*caps));
	caps->names = arena_new_array(a, const char *, n + 1);
	caps->values = arena_new_array(a, const char *, n + 1);
	if (caps->names == NULL || caps->values == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	for (i = 0; i < n; i++) {
		const struct sieve_line *l = &lines[i];
		struct strv name;
		const char *val;

		if (l->n == 0 || l->items[0].type != SIEVE_ITEM_STRING)
			return syntax(a, err, "bad capability line");
		name = l->items[0].s;
		val = l->n > 1 && l->items[1].type == SIEVE_ITEM_STRING
		              ? l->items[1].s.p
		              : "";
		caps->names[caps->n_all] = strv_dup(a, name);
		caps->values[caps->n_all++] = arena_strdup(a, val);
		if (strv_eq_ci_ascii(name, STRV_LIT("IMPLEMENTATION"))) {
			caps->implementation = arena_strdup(a, val);
		} else if (strv_eq_ci_ascii(name, STRV_LIT("VERSION"))) {
			caps->version = arena_strdup(a, val);
		} else if (strv_eq_ci_ascii(name, STRV_LIT("STARTTLS"))) {
			caps->starttls = true;
		} else if (strv_eq_ci_ascii(name, STRV_LIT("MAXREDIRECTS"))) {
			uint64_t v;

			if (pt_parse_u64(strv_from_cstr(val), 1000000, &v))
				caps->max_redirects = (unsigned)v;
		} else if (strv_eq_ci_ascii(name, STRV_LIT("SIEVE"))) {
			if (split_words(val, a, &caps->extensions,
			                &caps->n_extensions) != 0)
				return perr_set(err, a, PERR_LIMIT,
				                "out of memory");
		} else if (strv_eq_ci_ascii(name, STRV_LIT("SASL"))) {
			if (split_words(val, a, &caps->sasl, &caps->n_sasl) !=
			    0)
				return perr_set(err, a, PERR_LIMIT,
				                "out of memory");
		}
	}
	return 0;
}

bool
sieve_caps_has(const struct sieve_caps *caps, const char *ext)
{
	size_t i;

	if (caps == NULL)
		return true;
	for (i = 0; i < caps->n_extensions; i++)
		if (strv_eq_ci_ascii(strv_from_cstr(caps->extensions[i]),
		                     strv_from_cstr(ext)))
			return true;
	return false;
}
