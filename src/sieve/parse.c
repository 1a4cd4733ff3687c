/*
 * Sieve script -> rules, for the scripts script.c writes.
 *
 * This is not a general Sieve parser. It tokenizes the script, walks the
 * shapes the generator produces (and nothing else), then generates the
 * script again from what it read with the extensions the script itself
 * requires. Only when both are byte-identical is the script "ours"; any
 * other script, including one of ours edited by hand, is foreign and
 * stays in raw mode. That check keeps the walker lenient without
 * letting a rule silently lose part of what a script does.
 */
#include <string.h>

#include "sieve.h"
#include "sieve_private.h"
#include "core/banned.h"

enum tok_type {
	T_END,
	T_IDENT,
	T_TAG,
	T_NUM,
	T_STR,
	T_COMMENT,
	T_PUNCT, /* [ ] ( ) { } , ; */
};

struct tok {
	enum tok_type type;
	struct strv s; /* T_STR: decoded, NUL-terminated; else raw */
	char punct;
};

struct lexer {
	struct strv in;
	size_t pos;
	struct arena *a;
	bool bad;
};

static bool
is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static struct tok
lex(struct lexer *l)
{
	struct tok t = {T_END, {NULL, 0}, 0};
	const char *p = l->in.p;
	size_t n = l->in.len, i;

	while (l->pos < n && (p[l->pos] == ' ' || p[l->pos] == '\t' ||
	                      p[l->pos] == '\r' || p[l->pos] == '\n'))
		l->pos++;
	if (l->pos >= n || l->bad)
		return t;
	i = l->pos;
	if (p[i] == '#') {
		size_t e = i + 1;

		while (e < n && p[e] != '\r' && p[e] != '\n')
			e++;
		t.type = T_COMMENT;
		t.s = (struct strv){p + i + 1, e - i - 1};
		l->pos = e;
	} else if (p[i] == '"') {
		struct sbuf b;
		size_t e = i + 1;

		sbuf_init(&b, l->a, 64, SIEVE_LITERAL_MAX);
		while (e < n && p[e] != '"') {
			if (p[e] == '\\' && e + 1 < n)
				e++;
			/* CRLF inside a string is a "\n" of the text. */
			if (p[e] == '\r' && e + 1 < n && p[e + 1] == '\n')
				e++;
			sbuf_append_char(&b, p[e]);
			e++;
		}
		if (e >= n || !sbuf_ok(&b)) {
			l->bad = true;
			return t;
		}
		t.type = T_STR;
		t.s.p = arena_strndup(l->a, sbuf_view(&b).p, b.len);
		t.s.len = b.len;
		if (t.s.p == NULL)
			l->bad = true;
		l->pos = e + 1;
	} else if (p[i] == ':' || is_ident_char(p[i])) {
		size_t e = i + 1;

		while (e < n && is_ident_char(p[e]))
			e++;
		t.type = p[i] == ':'                    ? T_TAG
		         : (p[i] >= '0' && p[i] <= '9') ? T_NUM
		                                        : T_IDENT;
		t.s = (struct strv){p + i, e - i};
		l->pos = e;
	} else if (strchr("[](){},;", p[i]) != NULL) {
		t.type = T_PUNCT;
		t.punct = p[i];
		t.s = (struct strv){p + i, 1};
		l->pos = i + 1;
	} else {
		/* Bracketed comments, "text:" and anything else: not ours. */
		l->bad = true;
	}
	return t;
}

struct parser {
	struct lexer *l;
	struct tok t; /* current token */
	struct arena *a;
};

static void
next(struct parser *ps)
{
	ps->t = lex(ps->l);
}

static bool
ident(struct parser *ps, const char *word)
{
	if ((ps->t.type == T_IDENT || ps->t.type == T_TAG) &&
	    strv_eq_cstr(ps->t.s, word)) {
		next(ps);
		return true;
	}
	return false;
}

static bool
punct(struct parser *ps, char c)
{
	if (ps->t.type == T_PUNCT && ps->t.punct == c) {
		next(ps);
		return true;
	}
	return false;
}

static const char *
string(struct parser *ps)
{
	const char *s;

	if (ps->t.type != T_STR)
		return NULL;
	s = ps->t.s.p;
	next(ps);
	return s;
}

/* A :matches key that is a literal (escaped) text plus a final "*". */
static const char *
begins_value(const char *key, struct arena *a)
{
	size_t n = strlen(key), i, k = 0;
	char *out;

	if (n == 0 || key[n - 1] != '*')
		return NULL;
	out = arena_alloc(a, n);
	if (out == NULL)
		return NULL;
	for (i = 0; i + 1 < n; i++) {
		if (key[i] == '\\') {
			if (i + 1 >= n - 1)
				return NULL; /* it escapes the final '*' */
			out[k++] = key[++i];
			continue;
		}
		if (key[i] == '*' || key[i] == '?')
			return NULL;
		out[k++] = key[i];
	}
	if (k == 0)
		return NULL; /* "*" alone stays a "matches" */
	out[k] = '\0';
	return out;
}

static bool
parse_match(struct parser *ps, struct sieve_cond *c)
{
	if (ident(ps, ":contains"))
		c->op = SIEVE_OP_CONTAINS;
	else if (ident(ps, ":is"))
		c->op = SIEVE_OP_IS;
	else if (ident(ps, ":matches"))
		c->op = SIEVE_OP_MATCHES;
	else if (ident(ps, ":regex"))
		c->op = SIEVE_OP_REGEX;
	else
		return false;
	return true;
}

static bool
parse_value(struct parser *ps, struct sieve_cond *c)
{
	const char *v = string(ps), *b;

	if (v == NULL)
		return false;
	if (c->op == SIEVE_OP_MATCHES && (b = begins_value(v, ps->a)) != NULL) {
		c->op = SIEVE_OP_BEGINS;
		v = b;
	}
	c->value = v;
	return true;
}

static bool
parse_cond(struct parser *ps, struct sieve_cond *c)
{
	memset(c, 0, sizeof(*c));
	if (ident(ps, "not"))
		c->not = true;
	if (ident(ps, "size")) {
		c->field = SIEVE_FIELD_SIZE;
		if (ident(ps, ":over"))
			c->op = SIEVE_OP_OVER;
		else if (ident(ps, ":under"))
			c->op = SIEVE_OP_UNDER;
		else
			return false;
		if (ps->t.type != T_NUM)
			return false;
		c->value = strv_dup(ps->a, ps->t.s);
		next(ps);
		return c->value != NULL;
	}
	if (ident(ps, "body")) {
		c->field = SIEVE_FIELD_BODY;
		return ident(ps, ":text") && parse_match(ps, c) &&
		       parse_value(ps, c);
	}
	if (!ident(ps, "header") || !parse_match(ps, c))
		return false;
	if (punct(ps, '[')) {
		const char *h1 = string(ps), *h2;

		if (h1 == NULL || !punct(ps, ',') ||
		    (h2 = string(ps)) == NULL || !punct(ps, ']') ||
		    strcmp(h1, "to") != 0 || strcmp(h2, "cc") != 0)
			return false;
		c->field = SIEVE_FIELD_TO;
	} else {
		const char *h = string(ps);

		if (h == NULL)
			return false;
		if (strcmp(h, "from") == 0) {
			c->field = SIEVE_FIELD_FROM;
		} else if (strcmp(h, "subject") == 0) {
			c->field = SIEVE_FIELD_SUBJECT;
		} else {
			c->field = SIEVE_FIELD_HEADER;
			c->header = h;
		}
	}
	return parse_value(ps, c);
}

/* true | allof (c, ...) | anyof (c, ...) */
static bool
parse_test(struct parser *ps, struct sieve_rule *r)
{
	size_t cap = 4;

	r->n_conds = 0;
	r->conds = NULL;
	if (ident(ps, "true"))
		return true;
	if (ident(ps, "anyof"))
		r->any = true;
	else if (!ident(ps, "allof"))
		return false;
	if (!punct(ps, '('))
		return false;
	r->conds = arena_new_array(ps->a, struct sieve_cond, cap);
	do {
		if (r->conds == NULL || r->n_conds == SIEVE_CONDS_MAX)
			return false;
		if (r->n_conds == cap) {
			struct sieve_cond *b = arena_new_array(
			        ps->a, struct sieve_cond, cap * 2);

			if (b == NULL)
				return false;
			memcpy(b, r->conds, cap * sizeof(*b));
			r->conds = b;
			cap *= 2;
		}
		if (!parse_cond(ps, &r->conds[r->n_conds++]))
			return false;
	} while (punct(ps, ','));
	return punct(ps, ')');
}

/*
 * "if" already read: `false # <test>` or <test>. The test inside a
 * comment is parsed by a parser of its own over the comment's text.
 */
static bool
parse_if_test(struct parser *ps, bool *enabled_r,
              bool (*fn)(struct parser *, void *), void *arg)
{
	if (ps->t.type == T_IDENT && strv_eq_cstr(ps->t.s, "false")) {
		struct tok after;
		struct lexer sub = {0};
		struct parser sp = {0};
		struct lexer save = *ps->l;

		after = lex(ps->l);
		if (after.type != T_COMMENT || after.s.len < 1 ||
		    after.s.p[0] != ' ') {
			*ps->l = save; /* a plain `false`: not ours */
			return false;
		}
		sub.in = (struct strv){after.s.p + 1, after.s.len - 1};
		sub.a = ps->a;
		sp.l = &sub;
		sp.a = ps->a;
		next(&sp);
		if (!fn(&sp, arg) || sp.t.type != T_END || sub.bad)
			return false;
		*enabled_r = false;
		next(ps);
		return true;
	}
	*enabled_r = true;
	return fn(ps, arg);
}

static bool
rule_test(struct parser *ps, void *arg)
{
	return parse_test(ps, arg);
}

static bool
add_action(struct parser *ps, struct sieve_rule *r, size_t *cap,
           struct sieve_action **x_r)
{
	if (r->n_actions == SIEVE_ACTIONS_MAX)
		return false;
	if (r->n_actions == *cap) {
		struct sieve_action *b;

		*cap = *cap == 0 ? 4 : *cap * 2;
		b = arena_new_array(ps->a, struct sieve_action, *cap);
		if (b == NULL)
			return false;
		if (r->n_actions > 0)
			memcpy(b, r->actions, r->n_actions * sizeof(*b));
		r->actions = b;
	}
	*x_r = &r->actions[r->n_actions++];
	memset(*x_r, 0, sizeof(**x_r));
	return true;
}

static bool
parse_actions(struct parser *ps, struct sieve_rule *r)
{
	size_t cap = 0;
	struct sieve_action *x;

	if (!punct(ps, '{'))
		return false;
	while (!punct(ps, '}')) {
		if (ident(ps, "keep")) {
			/* `redirect "a"; keep;` is a redirect with a copy. */
			if (r->n_actions == 0 ||
			    r->actions[r->n_actions - 1].type !=
			            SIEVE_ACT_REDIRECT ||
			    r->actions[r->n_actions - 1].keep_copy)
				return false;
			r->actions[r->n_actions - 1].keep_copy = true;
		} else {
			if (!add_action(ps, r, &cap, &x))
				return false;
			if (ident(ps, "addflag")) {
				const char *f = string(ps);

				if (f == NULL)
					return false;
				if (strcmp(f, "\\Seen") == 0)
					x->type = SIEVE_ACT_READ;
				else if (strcmp(f, "\\Flagged") == 0)
					x->type = SIEVE_ACT_FLAG;
				else
					return false;
			} else if (ident(ps, "fileinto")) {
				x->type = SIEVE_ACT_MOVE;
				if (ident(ps, ":copy"))
					x->type = SIEVE_ACT_COPY;
				if (ident(ps, ":create"))
					x->create = true;
				if ((x->folder = string(ps)) == NULL)
					return false;
			} else if (ident(ps, "redirect")) {
				x->type = SIEVE_ACT_REDIRECT;
				if (ident(ps, ":copy"))
					x->keep_copy = true;
				if ((x->address = string(ps)) == NULL)
					return false;
			} else if (ident(ps, "reject")) {
				x->type = SIEVE_ACT_REJECT;
				if ((x->text = string(ps)) == NULL)
					return false;
			} else if (ident(ps, "discard")) {
				x->type = SIEVE_ACT_DISCARD;
			} else if (ident(ps, "stop")) {
				x->type = SIEVE_ACT_STOP;
			} else {
				return false;
			}
		}
		if (!punct(ps, ';'))
			return false;
	}
	return true;
}

static bool
parse_date(struct parser *ps, const char *rel, const char **date_r)
{
	return ident(ps, "currentdate") && ident(ps, ":value") &&
	       ps->t.type == T_STR && strcmp(string(ps), rel) == 0 &&
	       ps->t.type == T_STR && strcmp(string(ps), "date") == 0 &&
	       (*date_r = string(ps)) != NULL;
}

static bool
vacation_test(struct parser *ps, void *arg)
{
	struct sieve_vacation *v = arg;

	if (ident(ps, "true"))
		return true;
	if (ident(ps, "allof"))
		return punct(ps, '(') && parse_date(ps, "ge", &v->from) &&
		       punct(ps, ',') && parse_date(ps, "le", &v->to) &&
		       punct(ps, ')');
	if (ps->t.type == T_IDENT && strv_eq_cstr(ps->t.s, "currentdate")) {
		struct lexer save = *ps->l;
		struct tok t = ps->t;

		if (parse_date(ps, "ge", &v->from))
			return true;
		*ps->l = save;
		ps->t = t;
		return parse_date(ps, "le", &v->to);
	}
	return false;
}

static bool
parse_vacation(struct parser *ps, struct sieve_vacation *v)
{
	uint64_t days;
	size_t cap = 0;

	if (!ident(ps, "if") ||
	    !parse_if_test(ps, &v->enabled, vacation_test, v) ||
	    !punct(ps, '{') || !ident(ps, "vacation") || !ident(ps, ":days") ||
	    ps->t.type != T_NUM || !pt_parse_u64(ps->t.s, 365, &days))
		return false;
	next(ps);
	v->days = (unsigned)days;
	v->subject = "";
	if (ident(ps, ":subject") && (v->subject = string(ps)) == NULL)
		return false;
	if (ident(ps, ":addresses")) {
		if (!punct(ps, '['))
			return false;
		do {
			if (v->n_addresses == cap) {
				const char **b;

				cap = cap == 0 ? 4 : cap * 2;
				b = arena_new_array(ps->a, const char *, cap);
				if (b == NULL || cap > 10000)
					return false;
				if (v->n_addresses > 0)
					memcpy(b, v->addresses,
					       v->n_addresses * sizeof(*b));
				v->addresses = b;
			}
			if ((v->addresses[v->n_addresses++] = string(ps)) ==
			    NULL)
				return false;
		} while (punct(ps, ','));
		if (!punct(ps, ']'))
			return false;
	}
	return (v->text = string(ps)) != NULL && punct(ps, ';') &&
	       punct(ps, '}');
}

static bool
walk(struct parser *ps, struct sieve_rules *r, struct sieve_caps *caps)
{
	size_t cap = 0, n_ext = 0;

	if (ps->t.type != T_COMMENT ||
	    !strv_eq_cstr(ps->t.s, &SIEVE_SCRIPT_MAGIC[1]))
		return false;
	next(ps);
	caps->extensions =
	        arena_new_array(ps->a, const char *, SIEVEP_EXT_COUNT);
	if (caps->extensions == NULL)
		return false;
	if (ident(ps, "require")) {
		if (!punct(ps, '['))
			return false;
		do {
			const char *e = string(ps);

			if (e == NULL || n_ext == SIEVEP_EXT_COUNT)
				return false;
			caps->extensions[n_ext++] = e;
		} while (punct(ps, ','));
		if (!punct(ps, ']') || !punct(ps, ';'))
			return false;
	}
	caps->n_extensions = n_ext;
	r->vacation.days = SIEVEP_VACATION_DAYS_DEFAULT;
	r->vacation.subject = r->vacation.text = "";
	if (ps->t.type == T_COMMENT && strv_eq_cstr(ps->t.s, " vacation")) {
		next(ps);
		if (!parse_vacation(ps, &r->vacation))
			return false;
	}
	while (ps->t.type == T_COMMENT) {
		struct strv c = ps->t.s;
		struct sieve_rule *rule;

		if (!strv_starts_with(c, STRV_LIT(" rule:[")) ||
		    c.p[c.len - 1] != ']' || r->n_rules == SIEVE_RULES_MAX)
			return false;
		if (r->n_rules == cap) {
			struct sieve_rule *b;

			cap = cap == 0 ? 8 : cap * 2;
			b = arena_new_array(ps->a, struct sieve_rule, cap);
			if (b == NULL)
				return false;
			if (r->n_rules > 0)
				memcpy(b, r->rules, r->n_rules * sizeof(*b));
			r->rules = b;
		}
		rule = &r->rules[r->n_rules++];
		memset(rule, 0, sizeof(*rule));
		rule->name = strv_dup(ps->a, (struct strv){c.p + 7, c.len - 8});
		next(ps);
		if (rule->name == NULL || !ident(ps, "if") ||
		    !parse_if_test(ps, &rule->enabled, rule_test, rule) ||
		    !parse_actions(ps, rule))
			return false;
	}
	return ps->t.type == T_END && !ps->l->bad;
}

int
sieve_script_parse(struct strv script, struct arena *a, struct sieve_rules *r,
                   bool *foreign_r, struct perr *err)
{
	struct lexer l = {0};
	struct parser ps = {0};
	struct sieve_caps caps = {0};
	struct sbuf again;
	struct perr gerr = {0};

	memset(r, 0, sizeof(*r));
	*foreign_r = true;
	l.in = script;
	l.a = a;
	ps.l = &l;
	ps.a = a;
	next(&ps);
	if (!walk(&ps, r, &caps))
		goto foreign;
	sbuf_init(&again, a, script.len + 64, SIEVE_LITERAL_MAX);
	if (sieve_script_generate(r, &caps, &again, a, NULL, &gerr) != 0 ||
	    !strv_eq(sbuf_view(&again), script))
		goto foreign;
	*foreign_r = false;
	return 0;
foreign:
	if (arena_hit_limit(a))
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	memset(r, 0, sizeof(*r));
	r->vacation.days = SIEVEP_VACATION_DAYS_DEFAULT;
	r->vacation.subject = r->vacation.text = "";
	return 0;
}
