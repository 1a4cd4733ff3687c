/*
 * CSS: a tokenizer after CSS Syntax Level 3 (section 4) and an allow-list
 * sanitizer over its tokens.
 *
 * Why tokens and not strings: escapes ("\62 ehavior", "e\xpression"),
 * comments ("exp/ **\/ression") and odd whitespace are resolved by the
 * tokenizer exactly as a browser resolves them, so the allow-list sees the
 * real property and function names. The output is serialized again from
 * the decoded tokens in one canonical form (names escaped per CSSOM,
 * strings double-quoted, whitespace collapsed, comments turned into one
 * space), which is what makes a second pass give the same bytes, and it
 * never contains '<', so it cannot close a <style> element.
 *
 * Values may hold idents, numbers, dimensions, percentages, hashes, commas
 * and the delimiters / + - * only; functions rgb()/rgba()/hsl()/hsla()/
 * calc(); strings only in font-family/font; url() only in background
 * properties, only http(s), and only with allow_remote (a blocked url()
 * drops the declaration and counts as remote content).
 */
#include <string.h>

#include "sanitize.h"
#include "sanitize_private.h"
#include "core/banned.h"

enum tok_type {
	T_EOF = 0,
	T_IDENT,
	T_FUNCTION,
	T_AT,
	T_HASH,
	T_STRING,
	T_BAD_STRING,
	T_URL,
	T_BAD_URL,
	T_DELIM,
	T_NUMBER,
	T_PERCENT,
	T_DIMENSION,
	T_WS,
	T_CDO,
	T_CDC,
	T_COLON,
	T_SEMI,
	T_COMMA,
	T_LBRACK,
	T_RBRACK,
	T_LPAREN,
	T_RPAREN,
	T_LBRACE,
	T_RBRACE,
};

struct tok {
	enum tok_type type;
	struct strv val;  /* decoded name, string, url or unit */
	struct strv repr; /* number text of number/percent/dimension */
	char delim;
};

struct lexer {
	const char *s;
	size_t len, i;
	struct arena *a;
	struct tok *toks;
	size_t n, cap;
	bool failed;
};

/* ---- preprocessing and character classes ---------------------------- */

/* CSS Syntax 3.3: CR LF, CR and FF become LF; NUL becomes U+FFFD. */
static char *
preprocess(struct strv in, struct arena *a, size_t *len_r)
{
	char *o;
	size_t i, n = 0;

	if (in.len > (SIZE_MAX - 1) / 3)
		return NULL;
	o = arena_alloc(a, in.len * 3 + 1);
	if (o == NULL)
		return NULL;
	for (i = 0; i < in.len; i++) {
		char c = in.p[i];

		if (c == '\r') {
			if (i + 1 < in.len && in.p[i + 1] == '\n')
				i++;
			o[n++] = '\n';
		} else if (c == '\f') {
			o[n++] = '\n';
		} else if (c == '\0') {
			memcpy(o + n, "\xef\xbf\xbd", 3);
			n += 3;
		} else {
			o[n++] = c;
		}
	}
	*len_r = n;
	return o;
}

static int
at(const struct lexer *l, size_t i)
{
	return i < l->len ? (unsigned char)l->s[i] : -1;
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static bool
is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static bool
is_name(int c)
{
	return is_name_start(c) || is_digit(c) || c == '-';
}

static bool
valid_escape(const struct lexer *l, size_t i)
{
	return at(l, i) == '\\' && at(l, i + 1) != '\n';
}

static bool
starts_ident(const struct lexer *l, size_t i)
{
	int c = at(l, i);

	if (c == '-') {
		c = at(l, i + 1);
		return is_name_start(c) || c == '-' || valid_escape(l, i + 1);
	}
	if (is_name_start(c))
		return true;
	return valid_escape(l, i);
}

static bool
starts_number(const struct lexer *l, size_t i)
{
	int c = at(l, i);

	if (c == '+' || c == '-') {
		c = at(l, i + 1);
		if (is_digit(c))
			return true;
		return c == '.' && is_digit(at(l, i + 2));
	}
	if (c == '.')
		return is_digit(at(l, i + 1));
	return is_digit(c);
}

static void
put_utf8(struct sbuf *b, unsigned long cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	codec_utf8_put(b, (uint32_t)cp);
}

/* 4.3.7: consume an escaped code point; l->i is just after the '\'. */
static void
consume_escape(struct lexer *l, struct sbuf *b)
{
	unsigned long cp = 0;
	int c = at(l, l->i), k;
	size_t n;

	if (c < 0) {
		put_utf8(b, 0xfffd);
		return;
	}
	if (is_hex(c)) {
		for (k = 0; k < 6 && is_hex(at(l, l->i)); k++) {
			c = at(l, l->i++);
			cp = cp * 16 +
			     (unsigned long)(is_digit(c)
			                             ? c - '0'
			                             : (c | 0x20) - 'a' + 10);
		}
		if (is_ws(at(l, l->i)))
			l->i++;
		put_utf8(b, cp);
		return;
	}
	/* Any other code point stands for itself (whole UTF-8 sequence). */
	n = 1;
	while (l->i + n < l->len &&
	       ((unsigned char)l->s[l->i + n] & 0xc0) == 0x80 && c >= 0x80)
		n++;
	sbuf_append(b, l->s + l->i, n);
	l->i += n;
}

/* 4.3.11: consume a name; a view into the input when it has no escape. */
static struct strv
consume_name(struct lexer *l)
{
	size_t start = l->i;
	struct sbuf b;

	while (is_name(at(l, l->i)))
		l->i++;
	if (!valid_escape(l, l->i))
		return (struct strv){l->s + start, l->i - start};
	sbuf_init(&b, l->a, 32, 0);
	sbuf_append(&b, l->s + start, l->i - start);
	for (;;) {
		if (is_name(at(l, l->i))) {
			sbuf_append_char(&b, l->s[l->i++]);
		} else if (valid_escape(l, l->i)) {
			l->i++;
			consume_escape(l, &b);
		} else {
			break;
		}
	}
	if (!sbuf_ok(&b))
		l->failed = true;
	return sbuf_view(&b);
}

static struct tok *
push(struct lexer *l, enum tok_type type)
{
	struct tok *t;

	if (l->n == l->cap) {
		/* A token takes at least one byte, plus the EOF token. */
		size_t cap = l->cap == 0 ? (l->len < 62 ? l->len + 2 : 64)
		                         : l->cap * 2;
		struct tok *nt = arena_new_array(l->a, struct tok, cap);

		if (nt == NULL) {
			l->failed = true;
			return NULL;
		}
		if (l->n > 0)
			memcpy(nt, l->toks, l->n * sizeof(*nt));
		l->toks = nt;
		l->cap = cap;
	}
	t = &l->toks[l->n++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	return t;
}

static void
lex_string(struct lexer *l, int quote)
{
	struct sbuf b;
	struct tok *t;
	enum tok_type type = T_STRING;

	sbuf_init(&b, l->a, 32, 0);
	for (;;) {
		int c = at(l, l->i);

		if (c < 0 || c == quote) {
			if (c >= 0)
				l->i++;
			break;
		}
		if (c == '\n') {
			type = T_BAD_STRING; /* the newline is reconsumed */
			break;
		}
		if (c == '\\') {
			if (at(l, l->i + 1) < 0) {
				l->i++;
			} else if (at(l, l->i + 1) == '\n') {
				l->i += 2;
			} else {
				l->i++;
				consume_escape(l, &b);
			}
			continue;
		}
		sbuf_append_char(&b, (char)c);
		l->i++;
	}
	if (!sbuf_ok(&b))
		l->failed = true;
	t = push(l, type);
	if (t != NULL)
		t->val = sbuf_view(&b);
}

static void
lex_bad_url_remnants(struct lexer *l)
{
	struct sbuf junk;

	sbuf_init(&junk, l->a, 16, 64);
	for (;;) {
		int c = at(l, l->i);

		if (c < 0)
			return;
		if (c == ')') {
			l->i++;
			return;
		}
		if (valid_escape(l, l->i)) {
			l->i++;
			consume_escape(l, &junk);
			sbuf_reset(&junk);
			continue;
		}
		l->i++;
	}
}

/* 4.3.6: consume a url token; l->i is just after "url(" and spaces. */
static void
lex_url(struct lexer *l)
{
	struct sbuf b;
	struct tok *t;

	sbuf_init(&b, l->a, 64, 0);
	for (;;) {
		int c = at(l, l->i);

		if (c < 0)
			break;
		if (c == ')') {
			l->i++;
			break;
		}
		if (is_ws(c)) {
			while (is_ws(at(l, l->i)))
				l->i++;
			c = at(l, l->i);
			if (c < 0)
				break;
			if (c == ')') {
				l->i++;
				break;
			}
			lex_bad_url_remnants(l);
			push(l, T_BAD_URL);
			return;
		}
		if (c == '"' || c == '\'' || c == '(' ||
		    (c < 0x20 && c != '\t') || c == 0x7f) {
			lex_bad_url_remnants(l);
			push(l, T_BAD_URL);
			return;
		}
		if (c == '\\') {
			if (valid_escape(l, l->i)) {
				l->i++;
				consume_escape(l, &b);
				continue;
			}
			lex_bad_url_remnants(l);
			push(l, T_BAD_URL);
			return;
		}
		sbuf_append_char(&b, (char)c);
		l->i++;
	}
	if (!sbuf_ok(&b))
		l->failed = true;
	t = push(l, T_URL);
	if (t != NULL)
		t->val = sbuf_view(&b);
}

static void
lex_ident_like(struct lexer *l)
{
	struct strv name = consume_name(l);
	struct tok *t;

	if (strv_eq_ci_ascii(name, STRV_LIT("url")) && at(l, l->i) == '(') {
		l->i++;
		while (is_ws(at(l, l->i)) && is_ws(at(l, l->i + 1)))
			l->i++;
		if (at(l, l->i) == '"' || at(l, l->i) == '\'' ||
		    (is_ws(at(l, l->i)) &&
		     (at(l, l->i + 1) == '"' || at(l, l->i + 1) == '\''))) {
			t = push(l, T_FUNCTION);
			if (t != NULL)
				t->val = name;
			return;
		}
		while (is_ws(at(l, l->i)))
			l->i++;
		lex_url(l);
		return;
	}
	if (at(l, l->i) == '(') {
		l->i++;
		t = push(l, T_FUNCTION);
	} else {
		t = push(l, T_IDENT);
	}
	if (t != NULL)
		t->val = name;
}

static void
lex_numeric(struct lexer *l)
{
	size_t start = l->i;
	struct strv repr;
	struct tok *t;

	if (at(l, l->i) == '+' || at(l, l->i) == '-')
		l->i++;
	while (is_digit(at(l, l->i)))
		l->i++;
	if (at(l, l->i) == '.' && is_digit(at(l, l->i + 1))) {
		l->i++;
		while (is_digit(at(l, l->i)))
			l->i++;
	}
	if ((at(l, l->i) == 'e' || at(l, l->i) == 'E') &&
	    (is_digit(at(l, l->i + 1)) ||
	     ((at(l, l->i + 1) == '+' || at(l, l->i + 1) == '-') &&
	      is_digit(at(l, l->i + 2))))) {
		l->i += 2;
		while (is_digit(at(l, l->i)))
			l->i++;
	}
	repr.p = l->s + start;
	repr.len = l->i - start;
	if (starts_ident(l, l->i)) {
		struct strv unit = consume_name(l);

		t = push(l, T_DIMENSION);
		if (t != NULL)
			t->val = unit;
	} else if (at(l, l->i) == '%') {
		l->i++;
		t = push(l, T_PERCENT);
	} else {
		t = push(l, T_NUMBER);
	}
	if (t != NULL)
		t->repr = repr;
}

static void
lex_delim(struct lexer *l, enum tok_type type)
{
	struct tok *t = push(l, type);

	if (t != NULL)
		t->delim = l->s[l->i];
	l->i++;
}

static void
lex_ws(struct lexer *l)
{
	if (l->n == 0 || l->toks[l->n - 1].type != T_WS)
		push(l, T_WS);
}

/* Tokenize all of l->s. Returns false when the arena is full. */
static bool
lex_all(struct lexer *l)
{
	while (l->i < l->len && !l->failed) {
		int c = at(l, l->i);

		if (c == '/' && at(l, l->i + 1) == '*') {
			/* Comments separate tokens: keep that as one space. */
			const char *end;

			l->i += 2;
			end = memmem(l->s + l->i, l->len - l->i, "*/", 2);
			l->i = end == NULL ? l->len : (size_t)(end - l->s) + 2;
			lex_ws(l);
		} else if (is_ws(c)) {
			while (is_ws(at(l, l->i)))
				l->i++;
			lex_ws(l);
		} else if (c == '"' || c == '\'') {
			l->i++;
			lex_string(l, c);
		} else if (c == '#') {
			if (is_name(at(l, l->i + 1)) ||
			    valid_escape(l, l->i + 1)) {
				struct tok *t;
				struct strv name;

				l->i++;
				name = consume_name(l);
				t = push(l, T_HASH);
				if (t != NULL)
					t->val = name;
			} else {
				lex_delim(l, T_DELIM);
			}
		} else if (c == '(') {
			lex_delim(l, T_LPAREN);
		} else if (c == ')') {
			lex_delim(l, T_RPAREN);
		} else if (c == '[') {
			lex_delim(l, T_LBRACK);
		} else if (c == ']') {
			lex_delim(l, T_RBRACK);
		} else if (c == '{') {
			lex_delim(l, T_LBRACE);
		} else if (c == '}') {
			lex_delim(l, T_RBRACE);
		} else if (c == ',') {
			lex_delim(l, T_COMMA);
		} else if (c == ':') {
			lex_delim(l, T_COLON);
		} else if (c == ';') {
			lex_delim(l, T_SEMI);
		} else if (c == '+' || c == '.') {
			if (starts_number(l, l->i))
				lex_numeric(l);
			else
				lex_delim(l, T_DELIM);
		} else if (c == '-') {
			if (starts_number(l, l->i)) {
				lex_numeric(l);
			} else if (at(l, l->i + 1) == '-' &&
			           at(l, l->i + 2) == '>') {
				l->i += 3;
				push(l, T_CDC);
			} else if (starts_ident(l, l->i)) {
				lex_ident_like(l);
			} else {
				lex_delim(l, T_DELIM);
			}
		} else if (c == '<') {
			if (l->i + 4 <= l->len &&
			    memcmp(l->s + l->i, "<!--", 4) == 0) {
				l->i += 4;
				push(l, T_CDO);
			} else {
				lex_delim(l, T_DELIM);
			}
		} else if (c == '@') {
			if (starts_ident(l, l->i + 1)) {
				struct tok *t;
				struct strv name;

				l->i++;
				name = consume_name(l);
				t = push(l, T_AT);
				if (t != NULL)
					t->val = name;
			} else {
				lex_delim(l, T_DELIM);
			}
		} else if (c == '\\') {
			if (valid_escape(l, l->i))
				lex_ident_like(l);
			else
				lex_delim(l, T_DELIM);
		} else if (is_digit(c)) {
			lex_numeric(l);
		} else if (is_name_start(c)) {
			lex_ident_like(l);
		} else {
			lex_delim(l, T_DELIM);
		}
	}
	if (!l->failed)
		push(l, T_EOF);
	return !l->failed;
}

static bool
lex_init(struct lexer *l, struct strv css, struct arena *a)
{
	memset(l, 0, sizeof(*l));
	l->a = a;
	l->s = preprocess(css, a, &l->len);
	if (l->s == NULL)
		return false;
	return lex_all(l);
}

/* ---- serialization ----------------------------------------------------- */

static void
put_hex_escape(struct sbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	sbuf_append_char(b, '\\');
	if (c >= 16)
		sbuf_append_char(b, hex[c >> 4]);
	sbuf_append_char(b, hex[c & 15]);
	sbuf_append_char(b, ' ');
}

/*
 * Write the non-ASCII code point at s.p[*i]: raw, or as a CSS hex escape
 * when gumbo would not read it back raw (C1, noncharacters). *i moves to
 * its last byte.
 */
static void
put_non_ascii(struct sbuf *b, struct strv s, size_t *i)
{
	uint32_t cp;
	size_t len = utf8_next(s.p + *i, s.len - *i, &cp);

	if (cp_is_unstable(cp) || (cp == 0xfffd && len == 1))
		sbuf_printf(b, "\\%x ", (unsigned)cp);
	else
		sbuf_append(b, s.p + *i, len);
	*i += len - 1;
}

/* CSSOM "serialize an identifier"; with as_hash, leading digits are fine. */
static void
put_name(struct sbuf *b, struct strv s, bool as_hash)
{
	size_t i;

	if (!as_hash && s.len == 1 && s.p[0] == '-') {
		sbuf_append_cstr(b, "\\-");
		return;
	}
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c >= 0x80) {
			put_non_ascii(b, s, &i);
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			put_hex_escape(b, c);
		else if (!as_hash && is_digit(c) &&
		         (i == 0 || (i == 1 && s.p[0] == '-')))
			put_hex_escape(b, c);
		else if (c >= 0x80 || c == '-' || c == '_' || is_digit(c) ||
		         (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			sbuf_append_char(b, (char)c);
		else if (c == '<' || c == '>')
			put_hex_escape(b, c);
		else {
			sbuf_append_char(b, '\\');
			sbuf_append_char(b, (char)c);
		}
	}
}

static void
put_string(struct sbuf *b, struct strv s)
{
	size_t i;

	sbuf_append_char(b, '"');
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c >= 0x80) {
			put_non_ascii(b, s, &i);
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>')
			put_hex_escape(b, c);
		else if (c == '"' || c == '\\') {
			sbuf_append_char(b, '\\');
			sbuf_append_char(b, (char)c);
		} else
			sbuf_append_char(b, (char)c);
	}
	sbuf_append_char(b, '"');
}

static void
put_tok(struct sbuf *b, const struct tok *t)
{
	switch (t->type) {
	case T_IDENT:
		put_name(b, t->val, false);
		break;
	case T_FUNCTION:
		put_name(b, t->val, false);
		sbuf_append_char(b, '(');
		break;
	case T_HASH:
		sbuf_append_char(b, '#');
		put_name(b, t->val, true);
		break;
	case T_STRING:
		put_string(b, t->val);
		break;
	case T_URL:
		sbuf_append_cstr(b, "url(");
		put_string(b, t->val);
		sbuf_append_char(b, ')');
		break;
	case T_NUMBER:
		sbuf_append_strv(b, t->repr);
		break;
	case T_PERCENT:
		sbuf_append_strv(b, t->repr);
		sbuf_append_char(b, '%');
		break;
	case T_DIMENSION:
		sbuf_append_strv(b, t->repr);
		/* "1" + "e3x" would read back as 1e3 + "x". */
		if (t->val.len > 1 && (t->val.p[0] | 0x20) == 'e' &&
		    (is_digit((unsigned char)t->val.p[1]) ||
		     ((t->val.p[1] == '+' || t->val.p[1] == '-') &&
		      t->val.len > 2 &&
		      is_digit((unsigned char)t->val.p[2])))) {
			put_hex_escape(b, (unsigned char)t->val.p[0]);
			put_name(b, (struct strv){t->val.p + 1, t->val.len - 1},
			         true);
		} else {
			put_name(b, t->val, false);
		}
		break;
	case T_WS:
		sbuf_append_char(b, ' ');
		break;
	case T_DELIM:
		sbuf_append_char(b, t->delim);
		break;
	case T_COMMA:
		sbuf_append_char(b, ',');
		break;
	case T_COLON:
		sbuf_append_char(b, ':');
		break;
	case T_LPAREN:
		sbuf_append_char(b, '(');
		break;
	case T_RPAREN:
		sbuf_append_char(b, ')');
		break;
	default:
		/* Callers only serialize tokens they validated. */
		PT_ASSERT(0);
	}
}

/* Drop what was appended after mark (a rule that turned out empty). */
static void
truncate_to(struct sbuf *b, size_t mark)
{
	if (mark < b->len) {
		b->len = mark;
		b->data[mark] = '\0';
	}
}

/* ---- declarations ------------------------------------------------------ */

enum prop_kind {
	P_NONE = 0,
	P_PLAIN,   /* generic value */
	P_FONT,    /* strings allowed */
	P_BG,      /* url() allowed with allow_remote */
	P_DISPLAY, /* one of display_values */
	P_SIZE,    /* width/height: tracking pixel check */
};

static const struct {
	const char *name;
	enum prop_kind kind;
} props[] = {
        {"background", P_BG},
        {"background-attachment", P_PLAIN},
        {"background-clip", P_PLAIN},
        {"background-color", P_PLAIN},
        {"background-image", P_BG},
        {"background-origin", P_PLAIN},
        {"background-position", P_PLAIN},
        {"background-repeat", P_PLAIN},
        {"background-size", P_PLAIN},
        {"border-collapse", P_PLAIN},
        {"border-spacing", P_PLAIN},
        {"box-shadow", P_PLAIN},
        {"box-sizing", P_PLAIN},
        {"caption-side", P_PLAIN},
        {"clear", P_PLAIN},
        {"color", P_PLAIN},
        {"direction", P_PLAIN},
        {"display", P_DISPLAY},
        {"empty-cells", P_PLAIN},
        {"float", P_PLAIN},
        {"font", P_FONT},
        {"font-family", P_FONT},
        {"height", P_SIZE},
        {"hyphens", P_PLAIN},
        {"letter-spacing", P_PLAIN},
        {"line-height", P_PLAIN},
        {"list-style", P_PLAIN},
        {"list-style-position", P_PLAIN},
        {"list-style-type", P_PLAIN},
        {"max-height", P_PLAIN},
        {"max-width", P_PLAIN},
        {"min-height", P_PLAIN},
        {"min-width", P_PLAIN},
        {"opacity", P_PLAIN},
        {"overflow", P_PLAIN},
        {"overflow-wrap", P_PLAIN},
        {"overflow-x", P_PLAIN},
        {"overflow-y", P_PLAIN},
        {"table-layout", P_PLAIN},
        {"vertical-align", P_PLAIN},
        {"visibility", P_PLAIN},
        {"white-space", P_PLAIN},
        {"width", P_SIZE},
        {"word-break", P_PLAIN},
        {"word-spacing", P_PLAIN},
        {"word-wrap", P_PLAIN},
};

/* Families allowed by prefix (all their longhands are harmless). */
static const char *const prop_prefixes[] = {
        "border", "font-", "margin", "outline", "padding", "text-",
};

static const char *const display_values[] = {
        "block",
        "flex",
        "inline",
        "inline-block",
        "inline-flex",
        "inline-table",
        "list-item",
        "none",
        "table",
        "table-caption",
        "table-cell",
        "table-column",
        "table-column-group",
        "table-footer-group",
        "table-header-group",
        "table-row",
        "table-row-group",
};

static const char *const value_functions[] = {
        "calc", "hsl", "hsla", "rgb", "rgba",
};

static bool
in_list(struct strv s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strv_eq_ci_ascii(s, strv_from_cstr(list[i])))
			return true;
	}
	return false;
}

static enum prop_kind
prop_lookup(struct strv name)
{
	size_t i;

	for (i = 0; i < PT_NELEM(props); i++) {
		if (strv_eq_cstr(name, props[i].name))
			return props[i].kind;
	}
	if (strv_starts_with(name, STRV_LIT("border-image")))
		return P_NONE;
	for (i = 0; i < PT_NELEM(prop_prefixes); i++) {
		struct strv p = strv_from_cstr(prop_prefixes[i]);

		if (!strv_starts_with(name, p))
			continue;
		/* "margin", "margin-top": not "marginfoo". */
		if (name.len == p.len || p.p[p.len - 1] == '-' ||
		    name.p[p.len] == '-')
			return P_PLAIN;
	}
	return P_NONE;
}

/* An ASCII-lowercased copy (property names are case-insensitive). */
static struct strv
lower(struct strv s, struct arena *a)
{
	char *p = arena_alloc(a, s.len + 1);
	size_t i;

	if (p == NULL)
		return STRV_NULL;
	for (i = 0; i < s.len; i++)
		p[i] = pt_ascii_tolower(s.p[i]);
	return (struct strv){p, s.len};
}

bool
css_tiny_size(struct strv num, struct strv unit)
{
	size_t i = 0;
	bool zero = true, le_one = true;
	int ip = 0;

	if (i < num.len && num.p[i] == '+')
		i++;
	if (i < num.len && num.p[i] == '-')
		return true; /* negative: invalid, renders as nothing */
	for (; i < num.len && is_digit(num.p[i]); i++) {
		if (num.p[i] != '0')
			zero = false;
		if (ip < 10)
			ip = ip * 10 + (num.p[i] - '0');
	}
	if (ip > 1)
		le_one = false;
	if (i < num.len && num.p[i] == '.') {
		for (i++; i < num.len && is_digit(num.p[i]); i++) {
			if (num.p[i] != '0')
				zero = false;
		}
	}
	if (i < num.len)
		return false; /* exponent or junk: not worth the guess */
	if (zero)
		return true;
	return le_one &&
	       (unit.len == 0 || strv_eq_ci_ascii(unit, STRV_LIT("px")));
}

/*
 * Check tokens [b, e) of a value. Returns false to drop the declaration;
 * *remote is set when that happened because of a url().
 */
static bool
value_ok(const struct tok *t, size_t b, size_t e, enum prop_kind kind,
         struct css_ctx *c, bool *remote)
{
	size_t i, depth = 0;

	for (i = b; i < e; i++) {
		switch (t[i].type) {
		case T_IDENT:
		case T_NUMBER:
		case T_PERCENT:
		case T_DIMENSION:
		case T_HASH:
		case T_WS:
		case T_COMMA:
			break;
		case T_DELIM:
			if (strchr("/+-*", t[i].delim) == NULL ||
			    t[i].delim == '\0')
				return false;
			break;
		case T_STRING:
			if (kind != P_FONT)
				return false;
			break;
		case T_FUNCTION:
			if (strv_eq_ci_ascii(t[i].val, STRV_LIT("url"))) {
				/* url("...") with a string inside. */
				size_t j = i + 1;

				while (t[j].type == T_WS)
					j++;
				if (t[j].type != T_STRING)
					return false;
				if (kind != P_BG || !c->allow_remote ||
				    url_classify(t[j].val, c->arena,
				                 &(struct strv){0}) !=
				            URL_HTTP) {
					*remote = true;
					return false;
				}
				for (j++; t[j].type == T_WS; j++)
					;
				if (t[j].type != T_RPAREN)
					return false;
				i = j;
				break;
			}
			if (!in_list(t[i].val, value_functions,
			             PT_NELEM(value_functions)))
				return false;
			depth++;
			break;
		case T_RPAREN:
			if (depth == 0)
				return false;
			depth--;
			break;
		case T_URL:
			if (kind != P_BG || !c->allow_remote ||
			    url_classify(t[i].val, c->arena,
			                 &(struct strv){0}) != URL_HTTP) {
				*remote = true;
				return false;
			}
			break;
		default:
			return false;
		}
	}
	return depth == 0;
}

static bool
has_non_ws(const struct tok *t, size_t b, size_t e)
{
	for (; b < e; b++) {
		if (t[b].type != T_WS)
			return true;
	}
	return false;
}

/*
 * One declaration in tokens [b, e) (no top-level ';'). Appends it to out
 * (with "; " before it unless first) and returns true, or drops it.
 */
static bool
do_decl(const struct tok *t, size_t b, size_t e, struct css_ctx *c,
        struct sbuf *out, bool first)
{
	struct strv name;
	enum prop_kind kind;
	bool important = false, remote = false;
	size_t i, vb, ve;

	if (t[b].type != T_IDENT)
		return false;
	name = lower(t[b].val, c->arena);
	if (name.p == NULL)
		return false;
	for (i = b + 1; i < e && t[i].type == T_WS; i++)
		;
	if (i == e || t[i].type != T_COLON)
		return false;
	vb = i + 1;
	ve = e;
	while (vb < ve && t[vb].type == T_WS)
		vb++;
	while (ve > vb && t[ve - 1].type == T_WS)
		ve--;
	/* "! important" at the end, any case, spaces allowed. */
	if (ve > vb && t[ve - 1].type == T_IDENT &&
	    strv_eq_ci_ascii(t[ve - 1].val, STRV_LIT("important"))) {
		i = ve - 1;
		while (i > vb && t[i - 1].type == T_WS)
			i--;
		if (i > vb && t[i - 1].type == T_DELIM &&
		    t[i - 1].delim == '!') {
			important = true;
			ve = i - 1;
			while (ve > vb && t[ve - 1].type == T_WS)
				ve--;
		}
	}
	kind = prop_lookup(name);
	if (kind == P_NONE || !has_non_ws(t, vb, ve))
		return false;
	if (!value_ok(t, vb, ve, kind, c, &remote)) {
		if (remote)
			c->rep->remote_blocked++;
		return false;
	}
	if (kind == P_DISPLAY) {
		if (ve - vb != 1 || t[vb].type != T_IDENT ||
		    !in_list(t[vb].val, display_values,
		             PT_NELEM(display_values)))
			return false;
		if (strv_eq_ci_ascii(t[vb].val, STRV_LIT("none")))
			c->hidden = true;
	}
	if (strv_eq_cstr(name, "visibility") && t[vb].type == T_IDENT &&
	    !strv_eq_ci_ascii(t[vb].val, STRV_LIT("visible")))
		c->hidden = true;
	if (kind == P_SIZE && ve - vb == 1 &&
	    ((t[vb].type == T_NUMBER &&
	      css_tiny_size(t[vb].repr, STRV_LIT(""))) ||
	     (t[vb].type == T_DIMENSION &&
	      css_tiny_size(t[vb].repr, t[vb].val))))
		c->tiny = true;
	if (!first)
		sbuf_append_cstr(out, "; ");
	sbuf_append_strv(out, name);
	sbuf_append_cstr(out, ": ");
	for (i = vb; i < ve; i++)
		put_tok(out, &t[i]);
	if (important)
		sbuf_append_cstr(out, " !important");
	return true;
}

/* Index of the token that closes the block opened at t[i]. */
static size_t
skip_block(const struct tok *t, size_t i)
{
	size_t depth = 0;

	for (; t[i].type != T_EOF; i++) {
		switch (t[i].type) {
		case T_LBRACE:
		case T_LBRACK:
		case T_LPAREN:
		case T_FUNCTION:
			depth++;
			break;
		case T_RBRACE:
		case T_RBRACK:
		case T_RPAREN:
			if (depth > 0)
				depth--;
			if (depth == 0)
				return i;
			break;
		default:
			break;
		}
	}
	return i;
}

/* End of a declaration or at-rule: the next top-level ';' or stop. */
static size_t
skip_to(const struct tok *t, size_t i, size_t stop, bool at_rule)
{
	while (i < stop && t[i].type != T_SEMI) {
		if (t[i].type == T_LBRACE || t[i].type == T_LBRACK ||
		    t[i].type == T_LPAREN || t[i].type == T_FUNCTION) {
			bool brace = t[i].type == T_LBRACE;

			i = skip_block(t, i);
			if (i >= stop)
				return stop;
			if (brace && at_rule)
				return i;
		}
		i++;
	}
	return i;
}

/* A declaration list in tokens [b, stop): 5.4.5 "consume a list of
 * declarations". Returns the number kept. */
static unsigned
decl_list(const struct tok *t, size_t b, size_t stop, struct css_ctx *c,
          struct sbuf *out)
{
	unsigned kept = 0;
	size_t i = b, e;

	while (i < stop) {
		switch (t[i].type) {
		case T_WS:
		case T_SEMI:
			i++;
			continue;
		case T_AT:
			i = skip_to(t, i + 1, stop, true) + 1;
			c->rep->css_dropped++;
			continue;
		default:
			e = skip_to(t, i, stop, false);
			if (do_decl(t, i, e, c, out, kept == 0))
				kept++;
			else
				c->rep->css_dropped++;
			i = e + 1;
		}
	}
	return kept;
}

int
css_sanitize_decls(struct strv css, struct css_ctx *c, struct sbuf *out)
{
	struct lexer l;

	c->tiny = c->hidden = false;
	if (!lex_init(&l, css, c->arena))
		return -1;
	decl_list(l.toks, 0, l.n - 1, c, out);
	return 0;
}

/* ---- style sheets -------------------------------------------------------- */

static const char *const pseudo_classes[] = {
        "active",     "first-child",  "first-of-type", "focus",
        "hover",      "last-child",   "last-of-type",  "link",
        "only-child", "only-of-type", "visited",
};

/*
 * One complex selector in tokens [b, e): type, .class, * and a few pseudo
 * classes joined by combinators. Writes the scoped form into out and
 * returns true, or false to drop it (ids: we drop id attributes anyway;
 * attribute selectors: the classic CSS exfiltration channel).
 */
static bool
do_selector(const struct tok *t, size_t b, size_t e, struct css_ctx *c,
            struct sbuf *out)
{
	struct sbuf sel;
	struct strv scope = strv_from_cstr(c->scope_class);
	size_t i = b, compounds = 0;
	bool scoped = false, root = false;
	char comb = 0;

	while (b < e && t[b].type == T_WS)
		b++;
	while (e > b && t[e - 1].type == T_WS)
		e--;
	if (b == e)
		return false;
	sbuf_init(&sel, c->arena, 64, 0);
	i = b;
	while (i < e) {
		struct strv type = STRV_NULL;
		struct sbuf rest;
		bool first_class_scope = false, any = false, is_root = false;
		size_t nclass = 0;

		sbuf_init(&rest, c->arena, 32, 0);
		/* One compound selector. */
		if (t[i].type == T_IDENT) {
			type = lower(t[i].val, c->arena);
			i++;
			any = true;
		} else if (t[i].type == T_DELIM && t[i].delim == '*') {
			type = STRV_LIT("*");
			i++;
			any = true;
		}
		while (i < e) {
			if (t[i].type == T_DELIM && t[i].delim == '.' &&
			    i + 1 < e && t[i + 1].type == T_IDENT) {
				if (nclass == 0 && strv_eq(t[i + 1].val, scope))
					first_class_scope = true;
				sbuf_append_char(&rest, '.');
				put_name(&rest, t[i + 1].val, false);
				nclass++;
				i += 2;
			} else if (t[i].type == T_COLON && i + 1 < e &&
			           t[i + 1].type == T_IDENT) {
				struct strv p = lower(t[i + 1].val, c->arena);

				if (strv_eq_cstr(p, "root") && compounds == 0) {
					is_root = true;
				} else if (in_list(p, pseudo_classes,
				                   PT_NELEM(pseudo_classes))) {
					sbuf_append_char(&rest, ':');
					sbuf_append_strv(&rest, p);
				} else {
					return false;
				}
				i += 2;
			} else {
				break;
			}
			any = true;
		}
		if (!any)
			return false;
		if (compounds == 0) {
			/* html, body and :root stand for the scope itself. */
			if (is_root || strv_eq_cstr(type, "html") ||
			    strv_eq_cstr(type, "body")) {
				root = true;
				type = STRV_NULL;
			} else if (first_class_scope) {
				scoped = true;
			}
		} else if (is_root) {
			return false;
		}
		if (compounds > 0) {
			if (comb == ' ')
				sbuf_append_char(&sel, ' ');
			else {
				sbuf_append_char(&sel, ' ');
				sbuf_append_char(&sel, comb);
				sbuf_append_char(&sel, ' ');
			}
		}
		if (root) {
			if (compounds == 0) {
				sbuf_append_char(&sel, '.');
				put_name(&sel, scope, false);
			} else if (strv_eq_cstr(type, "html") ||
			           strv_eq_cstr(type, "body")) {
				return false;
			}
		}
		if (type.p != NULL) {
			if (type.len == 1 && type.p[0] == '*')
				sbuf_append_char(&sel, '*');
			else
				put_name(&sel, type, false);
		}
		sbuf_append_strv(&sel, sbuf_view(&rest));
		compounds++;
		/* A combinator, or the end. */
		if (i == e)
			break;
		comb = 0;
		if (t[i].type == T_WS) {
			comb = ' ';
			i++;
		}
		if (i < e && t[i].type == T_DELIM &&
		    (t[i].delim == '>' || t[i].delim == '+' ||
		     t[i].delim == '~')) {
			comb = t[i].delim;
			i++;
			while (i < e && t[i].type == T_WS)
				i++;
		}
		if (comb == 0 || i == e)
			return false;
		/* The scope's siblings are outside the message. */
		if (compounds == 1 && (scoped || root) &&
		    (comb == '+' || comb == '~'))
			return false;
	}
	if (!sbuf_ok(&sel))
		return false;
	if (!scoped && !root) {
		sbuf_append_char(out, '.');
		put_name(out, scope, false);
		sbuf_append_char(out, ' ');
	}
	sbuf_append_strv(out, sbuf_view(&sel));
	return true;
}

/* A selector list in [b, e): keep the good ones, "a, b". */
static unsigned
selector_list(const struct tok *t, size_t b, size_t e, struct css_ctx *c,
              struct sbuf *out)
{
	unsigned kept = 0;
	size_t i = b, s = b;

	for (i = b; i <= e; i++) {
		if (i < e && t[i].type != T_COMMA)
			continue;
		{
			size_t mark = out->len;

			if (kept > 0)
				sbuf_append_cstr(out, ", ");
			if (do_selector(t, s, i, c, out)) {
				kept++;
			} else {
				/* Roll back the separator. */
				truncate_to(out, mark);
				c->rep->css_dropped++;
			}
		}
		s = i + 1;
	}
	return kept;
}

static bool
media_prelude_ok(const struct tok *t, size_t b, size_t e)
{
	size_t depth = 0;

	for (; b < e; b++) {
		switch (t[b].type) {
		case T_IDENT:
		case T_WS:
		case T_COMMA:
		case T_COLON:
		case T_NUMBER:
		case T_DIMENSION:
			break;
		case T_LPAREN:
			depth++;
			break;
		case T_RPAREN:
			if (depth == 0)
				return false;
			depth--;
			break;
		default:
			return false;
		}
	}
	return depth == 0;
}

/*
 * Rules in [i, stop). nested: inside @media (no further at-rules). Appends
 * kept rules as "selectors{declarations}".
 */
static size_t
rule_list(const struct tok *t, size_t i, size_t stop, bool nested,
          struct css_ctx *c, struct sbuf *out)
{
	while (i < stop) {
		size_t pb, pe, bb, be, mark;

		if (t[i].type == T_WS || t[i].type == T_CDO ||
		    t[i].type == T_CDC || t[i].type == T_SEMI ||
		    t[i].type == T_RBRACE) {
			i++;
			continue;
		}
		if (t[i].type == T_AT) {
			bool media =
			        !nested &&
			        strv_eq_ci_ascii(t[i].val, STRV_LIT("media"));

			if (strv_eq_ci_ascii(t[i].val, STRV_LIT("import")))
				c->rep->remote_blocked++;
			pb = i + 1;
			pe = skip_to(t, pb, stop, true);
			if (pe >= stop || t[pe].type != T_RBRACE || !media) {
				c->rep->css_dropped++;
				i = pe + 1;
				continue;
			}
			/* pe closes the block; find where it opened. */
			for (bb = pb; t[bb].type != T_LBRACE; bb++)
				;
			if (!media_prelude_ok(t, pb, bb)) {
				c->rep->css_dropped++;
				i = pe + 1;
				continue;
			}
			mark = out->len;
			sbuf_append_cstr(out, "@media ");
			while (pb < bb && t[pb].type == T_WS)
				pb++;
			be = bb;
			while (be > pb && t[be - 1].type == T_WS)
				be--;
			for (; pb < be; pb++)
				put_tok(out, &t[pb]);
			sbuf_append_char(out, '{');
			{
				size_t inner = out->len;

				rule_list(t, bb + 1, pe, true, c, out);
				if (out->len == inner) {
					truncate_to(out, mark);
				} else {
					sbuf_append_char(out, '}');
				}
			}
			i = pe + 1;
			continue;
		}
		/* A qualified rule: prelude up to '{', then the block. */
		pb = i;
		for (pe = pb; pe < stop && t[pe].type != T_LBRACE; pe++) {
			if (t[pe].type == T_LBRACK || t[pe].type == T_LPAREN ||
			    t[pe].type == T_FUNCTION) {
				pe = skip_block(t, pe);
				if (pe >= stop)
					break;
			}
		}
		if (pe >= stop)
			return stop; /* no block: a parse error to the end */
		be = skip_block(t, pe);
		mark = out->len;
		if (selector_list(t, pb, pe, c, out) > 0) {
			size_t before;

			sbuf_append_char(out, '{');
			before = out->len;
			if (decl_list(t, pe + 1, be < stop ? be : stop, c,
			              out) > 0 &&
			    out->len > before) {
				sbuf_append_char(out, '}');
			} else {
				truncate_to(out, mark);
			}
		} else {
			c->rep->css_dropped++;
		}
		i = be + 1;
	}
	return i;
}

int
css_sanitize_sheet(struct strv css, struct css_ctx *c, struct sbuf *out)
{
	struct lexer l;

	if (c->scope_class == NULL || c->scope_class[0] == '\0')
		return 0;
	if (!lex_init(&l, css, c->arena))
		return -1;
	rule_list(l.toks, 0, l.n - 1, false, c, out);
	return 0;
}

bool
css_is_plain_ident(const char *s)
{
	size_t i;

	if (s == NULL || !(is_name_start((unsigned char)s[0]) || s[0] == '-') ||
	    (unsigned char)s[0] >= 0x80)
		return false;
	if (s[0] == '-' && (s[1] == '\0' || is_digit((unsigned char)s[1])))
		return false;
	for (i = 1; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(is_name(ch) && ch < 0x80))
			return false;
	}
	return true;
}
