/*
 * Rules -> Sieve script.
 *
 * The format (every line ends in CRLF, as RFC 5228 asks):
 *
 *   # Petrel filters v1
 *   require ["fileinto","imap4flags"];
 *   # vacation
 *   if allof (currentdate :value "ge" "date" "2026-07-01", ...)
 *   {
 *   	vacation :days 7 :subject "Away" :addresses ["me@x"] "text";
 *   }
 *   # rule:[name]
 *   if anyof (header :contains "from" "boss", not size :over 2M)
 *   {
 *   	addflag "\\Seen";
 *   	fileinto :create "Boss";
 *   }
 *
 * A rule that is switched off is written `if false # <its test>`
 * (Roundcube's convention): its actions still compile, its test is kept
 * in the comment. The vacation block is left out while it is off and
 * empty. The `require` list names, in a fixed order, exactly the
 * extensions the rules use, and each must be in the server's SIEVE list.
 *
 * Every user string is written as a quoted string with `"` and `\`
 * escaped; one-line values may hold no control characters at all, texts
 * (reject, vacation) only line breaks, written as CRLF. For "begins" the
 * value goes into :matches with its own `*`, `?` and `\` escaped, so only
 * the final `*` is a wildcard. Nothing a user types can end a string.
 *
 * The generator is deterministic, which is what makes parse.c simple: it
 * accepts a script only if generating from what it read gives the same
 * bytes.
 */
#include <string.h>

#include "sieve.h"
#include "sieve_private.h"
#include "core/banned.h"

static const char *const field_names[] = {
        [SIEVE_FIELD_FROM] = "from",       [SIEVE_FIELD_TO] = "to",
        [SIEVE_FIELD_SUBJECT] = "subject", [SIEVE_FIELD_HEADER] = "header",
        [SIEVE_FIELD_BODY] = "body",       [SIEVE_FIELD_SIZE] = "size",
};

static const char *const op_names[] = {
        [SIEVE_OP_CONTAINS] = "contains", [SIEVE_OP_IS] = "is",
        [SIEVE_OP_BEGINS] = "begins",     [SIEVE_OP_MATCHES] = "matches",
        [SIEVE_OP_REGEX] = "regex",       [SIEVE_OP_OVER] = "over",
        [SIEVE_OP_UNDER] = "under",
};

static const char *const action_names[] = {
        [SIEVE_ACT_MOVE] = "move",         [SIEVE_ACT_COPY] = "copy",
        [SIEVE_ACT_READ] = "read",         [SIEVE_ACT_FLAG] = "flag",
        [SIEVE_ACT_REDIRECT] = "redirect", [SIEVE_ACT_REJECT] = "reject",
        [SIEVE_ACT_DISCARD] = "discard",   [SIEVE_ACT_STOP] = "stop",
};

/* The extensions we may require, in the order `require` lists them. */
const char *const sievep_ext_names[SIEVEP_EXT_COUNT] = {
        "body",    "copy",  "date",   "fileinto",   "imap4flags",
        "mailbox", "regex", "reject", "relational", "vacation",
};

const char *
sieve_field_name(enum sieve_field f)
{
	return (unsigned)f < PT_NELEM(field_names) ? field_names[f] : "?";
}

const char *
sieve_op_name(enum sieve_op op)
{
	return (unsigned)op < PT_NELEM(op_names) ? op_names[op] : "?";
}

const char *
sieve_action_name(enum sieve_action_type t)
{
	return (unsigned)t < PT_NELEM(action_names) ? action_names[t] : "?";
}

bool
sieve_op_parse(const char *s, enum sieve_op *op_r)
{
	size_t i;

	for (i = 0; i < PT_NELEM(op_names); i++)
		if (strcmp(s, op_names[i]) == 0) {
			*op_r = (enum sieve_op)i;
			return true;
		}
	return false;
}

bool
sieve_action_parse(const char *s, enum sieve_action_type *t_r)
{
	size_t i;

	for (i = 0; i < PT_NELEM(action_names); i++)
		if (strcmp(s, action_names[i]) == 0) {
			*t_r = (enum sieve_action_type)i;
			return true;
		}
	return false;
}

const char *
sieve_text_norm(const char *s, struct arena *a)
{
	char *out, *o;

	if (s == NULL || strchr(s, '\r') == NULL)
		return s;
	if ((out = arena_strdup(a, s)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		if (*s == '\r') {
			*o++ = '\n';
			if (s[1] == '\n')
				s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/* ---- checking -------------------------------------------------------- */

struct gen {
	const struct sieve_caps *caps;
	struct sbuf *out;
	struct arena *a;
	struct perr *err;
	const char **where_r;
	unsigned exts; /* 1 << enum sievep_ext */
	/* where we are, for messages */
	const char *place, *path;
};

static int
bad(struct gen *g, const char *field, const char *what)
{
	if (g->where_r != NULL)
		*g->where_r = arena_printf(g->a, "%s%s%s", g->path,
		                           field[0] != '\0' ? "." : "", field);
	return perr_set(g->err, g->a, PERR_INPUT, "%s%s%s: %s", g->place,
	                field[0] != '\0' ? ": " : "", field, what);
}

static int
need(struct gen *g, enum sievep_ext e, const char *field)
{
	if (!sieve_caps_has(g->caps, sievep_ext_names[e]))
		return bad(g, field,
		           arena_printf(g->a,
		                        "the server does not support the Sieve "
		                        "extension \"%s\"",
		                        sievep_ext_names[e]));
	g->exts |= 1u << e;
	return 0;
}

/* One-line text: UTF-8, no control characters, 0 < len <= max. */
static int
check_line(struct gen *g, const char *s, const char *field, bool empty_ok)
{
	struct strv v = strv_from_cstr(s != NULL ? s : "");

	if (s == NULL && !empty_ok)
		return bad(g, field, "is missing");
	if (v.len == 0 && !empty_ok)
		return bad(g, field, "must not be empty");
	if (v.len > SIEVE_VALUE_MAX)
		return bad(g, field, "is too long");
	if (!codec_utf8_valid(v))
		return bad(g, field, "is not valid UTF-8");
	if (strv_has_ctl(v, false))
		return bad(g, field,
		           "must be one line without control "
		           "characters");
	return 0;
}

/* Multi-line text: "\n" line ends only (sievep_text_norm made them so). */
static int
check_text(struct gen *g, const char *s, const char *field, bool empty_ok)
{
	struct strv v = strv_from_cstr(s != NULL ? s : "");
	size_t i;

	if (v.len == 0 && !empty_ok)
		return bad(g, field, "must not be empty");
	if (v.len > SIEVE_TEXT_MAX)
		return bad(g, field, "is too long");
	if (!codec_utf8_valid(v))
		return bad(g, field, "is not valid UTF-8");
	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return bad(g, field, "holds a control character");
	}
	return 0;
}

static bool
is_address(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' &&
	       strpbrk(s, " \t<>\"(),;:[]\\") == NULL;
}

static bool
is_size(const char *s)
{
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || i > 12)
		return false;
	if (s[i] == 'K' || s[i] == 'M' || s[i] == 'G')
		i++;
	return s[i] == '\0';
}

static bool
is_date(const char *s)
{
	size_t i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	return (s[5] == '0' || (s[5] == '1' && s[6] <= '2')) &&
	       !(s[5] == '0' && s[6] == '0') && s[8] <= '3' &&
	       !(s[8] == '0' && s[9] == '0');
}

/* RFC 5322 field name: printable ASCII but ':' */
static bool
is_header_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 100)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= 32 || s[i] >= 127 || s[i] == ':')
			return false;
	return true;
}

/* ---- writing --------------------------------------------------------- */

/* A quoted string; "\n" in a text becomes CRLF. */
void
sievep_put_string(struct sbuf *out, const char *s)
{
	sbuf_append_char(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sbuf_append_char(out, '\\');
		if (*s == '\n')
			sbuf_append_char(out, '\r');
		sbuf_append_char(out, *s);
	}
	sbuf_append_char(out, '"');
}

/* s as a :matches key that matches s literally, then "*". */
static void
put_begins(struct gen *g, const char *s)
{
	struct sbuf key;

	sbuf_init(&key, g->a, strlen(s) * 2 + 2, SIEVE_VALUE_MAX * 2 + 2);
	for (; *s != '\0'; s++) {
		if (*s == '*' || *s == '?' || *s == '\\')
			sbuf_append_char(&key, '\\');
		sbuf_append_char(&key, *s);
	}
	sbuf_append_char(&key, '*');
	sievep_put_string(g->out, sbuf_cstr(&key));
}

static int
gen_cond(struct gen *g, const struct sieve_cond *c, size_t ci)
{
	static const char *const match_tag[] = {
	        [SIEVE_OP_CONTAINS] = ":contains",
	        [SIEVE_OP_IS] = ":is",
	        [SIEVE_OP_BEGINS] = ":matches",
	        [SIEVE_OP_MATCHES] = ":matches",
	        [SIEVE_OP_REGEX] = ":regex",
	};
	const char *saved = g->path;

	g->path = arena_printf(g->a, "%s.conditions[%zu]", saved, ci);
	g->place = arena_printf(g->a, "%s: condition %zu", g->place, ci + 1);
	if (c->not )
		sbuf_append_cstr(g->out, "not ");
	if (c->field == SIEVE_FIELD_SIZE) {
		if (c->op != SIEVE_OP_OVER && c->op != SIEVE_OP_UNDER)
			return bad(g, "op", "size takes \"over\" or \"under\"");
		if (c->value == NULL || !is_size(c->value))
			return bad(g, "value",
			           "must be a size like 100K, 2M or 5000");
		sbuf_printf(g->out, "size %s %s",
		            c->op == SIEVE_OP_OVER ? ":over" : ":under",
		            c->value);
		goto done;
	}
	if ((unsigned)c->field > SIEVE_FIELD_SIZE)
		return bad(g, "field", "is unknown");
	if (c->op == SIEVE_OP_OVER || c->op == SIEVE_OP_UNDER ||
	    (unsigned)c->op > SIEVE_OP_UNDER)
		return bad(g, "op", "\"over\" and \"under\" are for size only");
	if (c->op == SIEVE_OP_REGEX && need(g, SIEVEP_EXT_REGEX, "op") != 0)
		return -1;
	if (check_line(g, c->value, "value", false) != 0)
		return -1;
	switch (c->field) {
	case SIEVE_FIELD_BODY:
		if (need(g, SIEVEP_EXT_BODY, "field") != 0)
			return -1;
		sbuf_printf(g->out, "body :text %s ", match_tag[c->op]);
		break;
	case SIEVE_FIELD_HEADER:
		if (c->header == NULL || !is_header_name(c->header))
			return bad(g, "field",
			           "needs a header name of printable "
			           "characters without ':'");
		sbuf_printf(g->out, "header %s ", match_tag[c->op]);
		sievep_put_string(g->out, c->header);
		sbuf_append_char(g->out, ' ');
		break;
	case SIEVE_FIELD_TO:
		sbuf_printf(g->out, "header %s [\"to\",\"cc\"] ",
		            match_tag[c->op]);
		break;
	default:
		sbuf_printf(g->out, "header %s \"%s\" ", match_tag[c->op],
		            field_names[c->field]);
		break;
	}
	if (c->op == SIEVE_OP_BEGINS)
		put_begins(g, c->value);
	else
		sievep_put_string(g->out, c->value);
done:
	g->path = saved;
	return 0;
}

static int
gen_test(struct gen *g, const struct sieve_rule *r)
{
	size_t i;

	if (r->n_conds == 0) {
		sbuf_append_cstr(g->out, "true");
		return 0;
	}
	sbuf_append_cstr(g->out, r->any ? "anyof (" : "allof (");
	for (i = 0; i < r->n_conds; i++) {
		const char *place = g->place;

		if (i > 0)
			sbuf_append_cstr(g->out, ", ");
		if (gen_cond(g, &r->conds[i], i) != 0)
			return -1;
		g->place = place;
	}
	sbuf_append_char(g->out, ')');
	return 0;
}

static bool
is_flag_action(enum sieve_action_type t)
{
	return t == SIEVE_ACT_READ || t == SIEVE_ACT_FLAG;
}

static int
gen_action(struct gen *g, const struct sieve_action *x, size_t xi)
{
	const char *saved = g->path, *place = g->place;
	int r = 0;

	g->path = arena_printf(g->a, "%s.actions[%zu]", saved, xi);
	g->place = arena_printf(g->a, "%s: action %zu", place, xi + 1);
	sbuf_append_char(g->out, '\t');
	switch (x->type) {
	case SIEVE_ACT_READ:
	case SIEVE_ACT_FLAG:
		if ((r = need(g, SIEVEP_EXT_IMAP4FLAGS, "type")) != 0)
			break;
		sbuf_append_cstr(g->out, x->type == SIEVE_ACT_READ
		                                 ? "addflag \"\\\\Seen\";"
		                                 : "addflag \"\\\\Flagged\";");
		break;
	case SIEVE_ACT_MOVE:
	case SIEVE_ACT_COPY:
		if ((r = need(g, SIEVEP_EXT_FILEINTO, "type")) != 0 ||
		    (r = check_line(g, x->folder, "folder", false)) != 0)
			break;
		sbuf_append_cstr(g->out, "fileinto ");
		if (x->type == SIEVE_ACT_COPY) {
			if ((r = need(g, SIEVEP_EXT_COPY, "type")) != 0)
				break;
			sbuf_append_cstr(g->out, ":copy ");
		}
		/* Without "mailbox" the web layer creates the folder. */
		if (x->create && sieve_caps_has(g->caps, "mailbox")) {
			g->exts |= 1u << SIEVEP_EXT_MAILBOX;
			sbuf_append_cstr(g->out, ":create ");
		}
		sievep_put_string(g->out, x->folder);
		sbuf_append_char(g->out, ';');
		break;
	case SIEVE_ACT_REDIRECT:
		if ((r = check_line(g, x->address, "address", false)) != 0)
			break;
		if (!is_address(x->address)) {
			r = bad(g, "address", "is not an e-mail address");
			break;
		}
		sbuf_append_cstr(g->out, "redirect ");
		if (x->keep_copy && sieve_caps_has(g->caps, "copy")) {
			g->exts |= 1u << SIEVEP_EXT_COPY;
			sbuf_append_cstr(g->out, ":copy ");
			sievep_put_string(g->out, x->address);
			sbuf_append_char(g->out, ';');
			break;
		}
		sievep_put_string(g->out, x->address);
		sbuf_append_char(g->out, ';');
		if (x->keep_copy)
			sbuf_append_cstr(g->out, "\r\n\tkeep;");
		break;
	case SIEVE_ACT_REJECT:
		if ((r = need(g, SIEVEP_EXT_REJECT, "type")) != 0 ||
		    (r = check_text(g, x->text, "text", false)) != 0)
			break;
		sbuf_append_cstr(g->out, "reject ");
		sievep_put_string(g->out, x->text);
		sbuf_append_char(g->out, ';');
		break;
	case SIEVE_ACT_DISCARD:
		sbuf_append_cstr(g->out, "discard;");
		break;
	case SIEVE_ACT_STOP:
		sbuf_append_cstr(g->out, "stop;");
		break;
	default:
		r = bad(g, "type", "is unknown");
		break;
	}
	sbuf_append_cstr(g->out, "\r\n");
	g->path = saved;
	g->place = place;
	return r;
}

static int
gen_rule(struct gen *g, const struct sieve_rule *r, size_t ri)
{
	size_t i, pass;

	g->path = arena_printf(g->a, "rules[%zu]", ri);
	g->place = arena_printf(g->a, "rule %zu", ri + 1);
	if (check_line(g, r->name, "name", true) != 0)
		return -1;
	if (r->n_conds > SIEVE_CONDS_MAX)
		return bad(g, "conditions", "too many conditions");
	if (r->n_actions > SIEVE_ACTIONS_MAX)
		return bad(g, "actions", "too many actions");
	if (r->n_actions == 0)
		return bad(g, "actions", "a rule needs at least one action");
	sbuf_append_cstr(g->out, "# rule:[");
	sbuf_append_cstr(g->out, r->name != NULL ? r->name : "");
	sbuf_append_cstr(g->out, "]\r\nif ");
	if (!r->enabled)
		sbuf_append_cstr(g->out, "false # ");
	if (gen_test(g, r) != 0)
		return -1;
	sbuf_append_cstr(g->out, "\r\n{\r\n");
	/* Flags first: fileinto and keep store the flags set so far. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < r->n_actions; i++)
			if (is_flag_action(r->actions[i].type) == (pass == 0) &&
			    gen_action(g, &r->actions[i], i) != 0)
				return -1;
	sbuf_append_cstr(g->out, "}\r\n");
	return 0;
}

bool
sievep_vacation_is_default(const struct sieve_vacation *v)
{
	return !v->enabled && (v->subject == NULL || v->subject[0] == '\0') &&
	       (v->text == NULL || v->text[0] == '\0') &&
	       v->days == SIEVEP_VACATION_DAYS_DEFAULT &&
	       (v->from == NULL || v->from[0] == '\0') &&
	       (v->to == NULL || v->to[0] == '\0') && v->n_addresses == 0;
}

static void
put_date(struct gen *g, const char *rel, const char *date)
{
	sbuf_printf(g->out, "currentdate :value \"%s\" \"date\" ", rel);
	sievep_put_string(g->out, date);
}

static int
gen_vacation(struct gen *g, const struct sieve_vacation *v)
{
	bool has_from = v->from != NULL && v->from[0] != '\0';
	bool has_to = v->to != NULL && v->to[0] != '\0';
	size_t i;

	g->path = "vacation";
	g->place = "vacation";
	if (sievep_vacation_is_default(v))
		return 0;
	if (need(g, SIEVEP_EXT_VACATION, "enabled") != 0 ||
	    check_line(g, v->subject, "subject", true) != 0 ||
	    check_text(g, v->text, "text", !v->enabled) != 0)
		return -1;
	if (v->days < 1 || v->days > 365)
		return bad(g, "days", "must be from 1 to 365");
	if (has_from && !is_date(v->from))
		return bad(g, "from", "must be a date YYYY-MM-DD");
	if (has_to && !is_date(v->to))
		return bad(g, "to", "must be a date YYYY-MM-DD");
	if (has_from && has_to && strcmp(v->from, v->to) > 0)
		return bad(g, "to", "must not be before the start date");
	if ((has_from || has_to) &&
	    (need(g, SIEVEP_EXT_DATE, has_from ? "from" : "to") != 0 ||
	     need(g, SIEVEP_EXT_RELATIONAL, has_from ? "from" : "to") != 0))
		return -1;
	for (i = 0; i < v->n_addresses; i++) {
		g->path = arena_printf(g->a, "vacation.addresses[%zu]", i);
		g->place = arena_printf(g->a, "vacation: address %zu", i + 1);
		if (check_line(g, v->addresses[i], "", false) != 0)
			return -1;
		if (!is_address(v->addresses[i]))
			return bad(g, "", "is not an e-mail address");
	}
	g->path = g->place = "vacation";
	sbuf_append_cstr(g->out, "# vacation\r\nif ");
	if (!v->enabled)
		sbuf_append_cstr(g->out, "false # ");
	if (has_from && has_to)
		sbuf_append_cstr(g->out, "allof (");
	if (has_from)
		put_date(g, "ge", v->from);
	if (has_from && has_to)
		sbuf_append_cstr(g->out, ", ");
	if (has_to)
		put_date(g, "le", v->to);
	if (has_from && has_to)
		sbuf_append_char(g->out, ')');
	if (!has_from && !has_to)
		sbuf_append_cstr(g->out, "true");
	sbuf_printf(g->out, "\r\n{\r\n\tvacation :days %u", v->days);
	if (v->subject != NULL && v->subject[0] != '\0') {
		sbuf_append_cstr(g->out, " :subject ");
		sievep_put_string(g->out, v->subject);
	}
	if (v->n_addresses > 0) {
		sbuf_append_cstr(g->out, " :addresses [");
		for (i = 0; i < v->n_addresses; i++) {
			if (i > 0)
				sbuf_append_char(g->out, ',');
			sievep_put_string(g->out, v->addresses[i]);
		}
		sbuf_append_char(g->out, ']');
	}
	sbuf_append_char(g->out, ' ');
	sievep_put_string(g->out, v->text != NULL ? v->text : "");
	sbuf_append_cstr(g->out, ";\r\n}\r\n");
	return 0;
}

int
sieve_script_generate(const struct sieve_rules *r,
                      const struct sieve_caps *caps, struct sbuf *out,
                      struct arena *a, const char **where_r, struct perr *err)
{
	struct gen g = {0};
	struct sbuf body;
	size_t i;
	unsigned e, first = 1;

	if (where_r != NULL)
		*where_r = NULL;
	if (r->n_rules > SIEVE_RULES_MAX)
		return perr_set(err, a, PERR_INPUT, "more than %u rules",
		                SIEVE_RULES_MAX);
	sbuf_init(&body, a, 4096, SIEVE_LITERAL_MAX);
	g.caps = caps;
	g.out = &body;
	g.a = a;
	g.err = err;
	g.where_r = where_r;
	if (gen_vacation(&g, &r->vacation) != 0)
		return -1;
	for (i = 0; i < r->n_rules; i++)
		if (gen_rule(&g, &r->rules[i], i) != 0)
			return -1;
	sbuf_append_cstr(out, SIEVE_SCRIPT_MAGIC "\r\n");
	for (e = 0; e < SIEVEP_EXT_COUNT; e++) {
		if (!(g.exts & (1u << e)))
			continue;
		sbuf_append_cstr(out, first ? "require [" : ",");
		first = 0;
		sievep_put_string(out, sievep_ext_names[e]);
	}
	if (!first)
		sbuf_append_cstr(out, "];\r\n");
	sbuf_append_strv(out, sbuf_view(&body));
	if (!sbuf_ok(&body) || !sbuf_ok(out))
		return perr_set(err, a, PERR_LIMIT,
		                "the script would be larger than %u bytes",
		                (unsigned)SIEVE_LITERAL_MAX);
	return 0;
}
