/*
 * sieve: the ManageSieve response parser (from memory, in odd-sized
 * chunks), capabilities, error lines; and the rules <-> script round trip
 * with escaping and injection attempts. The network parts are in
 * tests/integration/filters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "sieve/sieve.h"
#include "core/banned.h"

#include "../support/unit_arena.h"
#include "../support/fake_server.h"

/* ---- a memory source that hands out at most `chunk` bytes a time ----- */

struct mem {
	const char *p;
	size_t len, pos, chunk;
};

static long
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	size_t k = m->len - m->pos;

	if (k > n)
		k = n;
	if (k > m->chunk)
		k = m->chunk;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (long)k;
}

static int
read_one(const char *text, size_t chunk, struct sieve_line *l, struct perr *err)
{
	static struct mem m;
	static struct sieve_src src;

	m = (struct mem){text, strlen(text), 0, chunk};
	sieve_src_init(&src, mem_read, &m);
	return sieve_read_line(&src, A, l, err);
}

static void
test_line_atoms_strings_literals(void **state)
{
	static const size_t chunks[] = {1, 2, 3, 7, 4096};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(chunks); i++) {
		struct sieve_line l;
		struct perr err = {0};

		assert_int_equal(read_one("\"my \\\"script\\\\\" {5}\r\na\r\nbc"
		                          " ACTIVE\r\n",
		                          chunks[i], &l, &err),
		                 0);
		assert_int_equal(l.n, 3);
		assert_int_equal(l.items[0].type, SIEVE_ITEM_STRING);
		assert_string_equal(l.items[0].s.p, "my \"script\\");
		assert_int_equal(l.items[1].type, SIEVE_ITEM_STRING);
		assert_int_equal(l.items[1].s.len, 5);
		assert_memory_equal(l.items[1].s.p, "a\r\nbc", 5);
		assert_int_equal(l.items[2].type, SIEVE_ITEM_ATOM);
		assert_string_equal(l.items[2].s.p, "ACTIVE");
	}
}

static void
test_status_codes_and_text(void **state)
{
	struct sieve_line l;
	struct sieve_status st;
	struct perr err = {0};

	(void)state;
	assert_int_equal(read_one("NO (NONEXISTENT) \"There is no script "
	                          "named x\"\r\n",
	                          3, &l, &err),
	                 0);
	assert_true(sieve_line_status(&l, &st));
	assert_int_equal(st.kind, SIEVE_NO);
	assert_string_equal(st.code, "NONEXISTENT");
	assert_string_equal(st.text, "There is no script named x");

	assert_int_equal(
	        read_one("NO (QUOTA/MAXSIZE) {15+}\r\nToo big\r\nreally"
	                 "\r\n",
	                 1, &l, &err),
	        0);
	assert_true(sieve_line_status(&l, &st));
	assert_string_equal(st.code, "QUOTA/MAXSIZE");
	assert_string_equal(st.text, "Too big\r\nreally");

	assert_int_equal(
	        read_one("OK (WARNINGS) \"line 2: warn\"\r\n", 5, &l, &err), 0);
	assert_true(sieve_line_status(&l, &st));
	assert_int_equal(st.kind, SIEVE_OK);
	assert_string_equal(st.code, "WARNINGS");

	assert_int_equal(read_one("BYE (REFERRAL \"sieve://other\") \"go\"\r\n",
	                          4096, &l, &err),
	                 0);
	assert_true(sieve_line_status(&l, &st));
	assert_int_equal(st.kind, SIEVE_BYE);
	assert_string_equal(st.code, "REFERRAL");
	assert_string_equal(st.code_arg, "sieve://other");
	assert_string_equal(st.text, "go");

	assert_int_equal(read_one("OK\r\n", 1, &l, &err), 0);
	assert_true(sieve_line_status(&l, &st));
	assert_null(st.code);
	assert_null(st.text);

	assert_int_equal(read_one("\"SIEVE\" \"fileinto\"\r\n", 1, &l, &err),
	                 0);
	assert_false(sieve_line_status(&l, &st));
}

static void
test_hostile_responses_fail_cleanly(void **state)
{
	static const char *const bad[] = {
	        "\"unterminated\r\n",
	        "{99999999999}\r\n",
	        "{5000000}\r\nabc\r\n", /* above SIEVE_LITERAL_MAX */
	        "{10}\r\nshort",        /* cut off */
	        "OK \"bad \\q escape\"\r\n",
	        "{x}\r\n",
	        "OK\rX",
	        "\x01\r\n",
	        "", /* end of input */
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++) {
		struct sieve_line l;
		struct perr err = {0};

		if (read_one(bad[i], 3, &l, &err) == 0)
			fail_msg("case %zu parsed", i);
		assert_non_null(err.msg);
	}
}

static void
test_long_line_is_bounded(void **state)
{
	size_t n = SIEVE_LINE_MAX + 100, i;
	char *text = arena_alloc(A, n + 4);
	struct sieve_line l;
	struct perr err = {0};

	(void)state;
	text[0] = '"';
	for (i = 1; i < n; i++)
		text[i] = 'a';
	memcpy(text + n, "\"\r\n", 4);
	assert_int_equal(read_one(text, 4096, &l, &err), -1);
	assert_int_equal(err.kind, PERR_REMOTE);
	/* Too many items in a line */
	{
		struct sbuf b;

		sbuf_init(&b, A, 0, 0);
		for (i = 0; i < SIEVE_LINE_ITEMS_MAX + 1; i++)
			sbuf_append_cstr(&b, "A ");
		sbuf_append_cstr(&b, "\r\n");
		assert_int_equal(read_one(sbuf_cstr(&b), 4096, &l, &err), -1);
	}
}

/* A server that never stops sending one byte. */
static long
endless_read(void *ctx, void *buf, size_t n)
{
	memset(buf, *(const char *)ctx, n);
	return (long)n;
}

static void
test_endless_streams_end(void **state)
{
	static const char fill[] = {' ', 'A', '"'};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(fill); i++) {
		struct sieve_src src;
		struct sieve_line l;
		struct perr err = {0};
		const char *p = &fill[i];

		sieve_src_init(&src, endless_read, (void *)p);
		assert_int_equal(sieve_read_line(&src, A, &l, &err), -1);
		assert_int_equal(err.kind, PERR_REMOTE);
	}
}

static void
test_caps_parse(void **state)
{
	const char *greeting[] = {
	        "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n",
	        /* clang-format off */
	        "\"SIEVE\" \"fileinto reject envelope vacation imap4flags\"\r\n",
	        /* clang-format on */
	        "\"NOTIFY\" \"mailto\"\r\n",
	        "\"SASL\" \"PLAIN LOGIN\"\r\n",
	        "\"STARTTLS\"\r\n",
	        "\"VERSION\" \"1.0\"\r\n",
	        "\"MAXREDIRECTS\" \"4\"\r\n",
	};
	struct sieve_line lines[PT_NELEM(greeting)];
	struct sieve_caps caps;
	struct perr err = {0};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(greeting); i++)
		assert_int_equal(read_one(greeting[i], 2, &lines[i], &err), 0);
	assert_int_equal(
	        sieve_caps_parse(lines, PT_NELEM(greeting), A, &caps, &err), 0);
	assert_string_equal(caps.implementation, "Dovecot Pigeonhole");
	assert_string_equal(caps.version, "1.0");
	assert_true(caps.starttls);
	assert_int_equal(caps.n_extensions, 5);
	assert_true(sieve_caps_has(&caps, "vacation"));
	assert_true(sieve_caps_has(&caps, "FileInto"));
	assert_false(sieve_caps_has(&caps, "regex"));
	assert_int_equal(caps.n_sasl, 2);
	assert_string_equal(caps.sasl[0], "PLAIN");
	assert_int_equal(caps.max_redirects, 4);
}

static void
test_error_line(void **state)
{
	(void)state;
	assert_int_equal(
	        sieve_error_line("line 3: error: unknown command "
	                         "'foo'.\r\nerror: validation failed."),
	        3);
	assert_int_equal(sieve_error_line("script.sieve: line 12: error: x"),
	                 12);
	assert_int_equal(sieve_error_line("syntax error"), 0);
	assert_int_equal(sieve_error_line("newline 4: x"), 0);
	assert_int_equal(sieve_error_line(NULL), 0);
}

/* ---- rules <-> script ------------------------------------------------- */

static const char *const all_exts[] = {
        "fileinto", "mailbox", "imap4flags", "copy",   "regex",    "body",
        "vacation", "date",    "relational", "reject", "envelope",
};

static struct sieve_caps
caps_of(const char *const *exts, size_t n)
{
	struct sieve_caps c = {0};

	c.extensions = (const char **)exts;
	c.n_extensions = n;
	return c;
}

static void
assert_cond_eq(const struct sieve_cond *a, const struct sieve_cond *b)
{
	assert_int_equal(a->field, b->field);
	assert_int_equal(a->op, b->op);
	assert_int_equal(a->not, b->not );
	assert_string_equal(a->value, b->value);
	if (a->field == SIEVE_FIELD_HEADER)
		assert_string_equal(a->header, b->header);
}

static void
assert_action_eq(const struct sieve_action *a, const struct sieve_action *b)
{
	assert_int_equal(a->type, b->type);
	if (a->type == SIEVE_ACT_MOVE || a->type == SIEVE_ACT_COPY) {
		assert_string_equal(a->folder, b->folder);
		assert_int_equal(a->create, b->create);
	}
	if (a->type == SIEVE_ACT_REDIRECT) {
		assert_string_equal(a->address, b->address);
		assert_int_equal(a->keep_copy, b->keep_copy);
	}
	if (a->type == SIEVE_ACT_REJECT)
		assert_string_equal(a->text, b->text);
}

static void
assert_rules_eq(const struct sieve_rules *a, const struct sieve_rules *b)
{
	size_t i, j;

	assert_int_equal(a->n_rules, b->n_rules);
	for (i = 0; i < a->n_rules; i++) {
		const struct sieve_rule *x = &a->rules[i], *y = &b->rules[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->enabled, y->enabled);
		assert_int_equal(x->any, y->any);
		assert_int_equal(x->n_conds, y->n_conds);
		for (j = 0; j < x->n_conds; j++)
			assert_cond_eq(&x->conds[j], &y->conds[j]);
		assert_int_equal(x->n_actions, y->n_actions);
		for (j = 0; j < x->n_actions; j++)
			assert_action_eq(&x->actions[j], &y->actions[j]);
	}
	assert_int_equal(a->vacation.enabled, b->vacation.enabled);
	assert_string_equal(a->vacation.subject, b->vacation.subject);
	assert_string_equal(a->vacation.text, b->vacation.text);
	assert_int_equal(a->vacation.days, b->vacation.days);
	assert_true((a->vacation.from == NULL || !*a->vacation.from) ==
	            (b->vacation.from == NULL || !*b->vacation.from));
	if (a->vacation.from != NULL && *a->vacation.from)
		assert_string_equal(a->vacation.from, b->vacation.from);
	if (a->vacation.to != NULL && *a->vacation.to)
		assert_string_equal(a->vacation.to, b->vacation.to);
	assert_int_equal(a->vacation.n_addresses, b->vacation.n_addresses);
	for (i = 0; i < a->vacation.n_addresses; i++)
		assert_string_equal(a->vacation.addresses[i],
		                    b->vacation.addresses[i]);
}

/* generate -> parse -> equal rules -> generate -> equal bytes */
static const char *
round_trip(const struct sieve_rules *in, const struct sieve_caps *caps)
{
	struct sbuf s1, s2;
	struct sieve_rules back;
	struct perr err = {0};
	const char *where = NULL;
	bool foreign = true;

	sbuf_init(&s1, A, 0, SIEVE_LITERAL_MAX);
	sbuf_init(&s2, A, 0, SIEVE_LITERAL_MAX);
	if (sieve_script_generate(in, caps, &s1, A, &where, &err) != 0)
		fail_msg("generate: %s (%s)", err.msg, where);
	assert_int_equal(
	        sieve_script_parse(sbuf_view(&s1), A, &back, &foreign, &err),
	        0);
	if (foreign)
		fail_msg("own script read as foreign:\n%s", sbuf_cstr(&s1));
	assert_rules_eq(in, &back);
	assert_int_equal(sieve_script_generate(&back, caps, &s2, A, NULL, &err),
	                 0);
	assert_string_equal(sbuf_cstr(&s1), sbuf_cstr(&s2));
	return arena_strdup(A, sbuf_cstr(&s1));
}

static struct sieve_rules
one_rule(struct sieve_cond *c, size_t nc, struct sieve_action *x, size_t nx)
{
	static struct sieve_rule r;
	struct sieve_rules rs = {0};

	r = (struct sieve_rule){"rule", true, false, c, nc, x, nx};
	rs.rules = &r;
	rs.n_rules = 1;
	rs.vacation.days = 7;
	rs.vacation.subject = rs.vacation.text = "";
	return rs;
}

static void
test_round_trip_every_condition(void **state)
{
	static const enum sieve_field fields[] = {
	        SIEVE_FIELD_FROM,   SIEVE_FIELD_TO,   SIEVE_FIELD_SUBJECT,
	        SIEVE_FIELD_HEADER, SIEVE_FIELD_BODY,
	};
	static const enum sieve_op ops[] = {
	        SIEVE_OP_CONTAINS, SIEVE_OP_IS,    SIEVE_OP_BEGINS,
	        SIEVE_OP_MATCHES,  SIEVE_OP_REGEX,
	};
	static const char *const values[] = {
	        "boss@example.com", "a*b?c", "\"; discard; \"", "back\\slash",
	        "50% *off*?",       "Счёт",  "#not a comment",  "a\\*b",
	};
	struct sieve_caps caps = caps_of(all_exts, PT_NELEM(all_exts));
	struct sieve_action x = {SIEVE_ACT_MOVE, "Folder", NULL,
	                         NULL,           false,    true};
	size_t f, o, v, n;

	(void)state;
	for (f = 0; f < PT_NELEM(fields); f++)
		for (o = 0; o < PT_NELEM(ops); o++)
			for (v = 0; v < PT_NELEM(values); v++)
				for (n = 0; n < 2; n++) {
					struct sieve_cond c = {
					        fields[f], "X-Spam-Flag",
					        ops[o], n == 1, values[v]};
					struct sieve_rules rs =
					        one_rule(&c, 1, &x, 1);

					(void)round_trip(&rs, &caps);
				}
	/* size over/under, with and without not */
	for (o = 0; o < 2; o++)
		for (n = 0; n < 2; n++) {
			struct sieve_cond c = {SIEVE_FIELD_SIZE, NULL,
			                       o ? SIEVE_OP_UNDER
			                         : SIEVE_OP_OVER,
			                       n == 1, o ? "2M" : "100000"};
			struct sieve_rules rs = one_rule(&c, 1, &x, 1);

			(void)round_trip(&rs, &caps);
		}
}

static void
test_round_trip_every_action(void **state)
{
	struct sieve_caps caps = caps_of(all_exts, PT_NELEM(all_exts));
	struct sieve_caps nocopy =
	        caps_of((const char *const[]){"fileinto", "reject"}, 2);
	struct sieve_cond c[2] = {
	        {SIEVE_FIELD_SUBJECT, NULL, SIEVE_OP_CONTAINS, false, "x"},
	        {SIEVE_FIELD_FROM, NULL, SIEVE_OP_IS, true, "y@z"},
	};
	/* read/flag first: the generator writes them first */
	struct sieve_action x[] = {
	        {SIEVE_ACT_READ, NULL, NULL, NULL, false, false},
	        {SIEVE_ACT_FLAG, NULL, NULL, NULL, false, false},
	        {SIEVE_ACT_MOVE, "Archive/2026", NULL, NULL, false, false},
	        {SIEVE_ACT_MOVE, "New \"quoted\"", NULL, NULL, false, true},
	        {SIEVE_ACT_COPY, "Copies", NULL, NULL, false, true},
	        {SIEVE_ACT_COPY, "Copies", NULL, NULL, false, false},
	        {SIEVE_ACT_REDIRECT, NULL, "a@b.example", NULL, true, false},
	        {SIEVE_ACT_REDIRECT, NULL, "c@d.example", NULL, false, false},
	        {SIEVE_ACT_REJECT, NULL, NULL, "Go away.\nSecond \"line\"\\",
	         false, false},
	        {SIEVE_ACT_DISCARD, NULL, NULL, NULL, false, false},
	        {SIEVE_ACT_STOP, NULL, NULL, NULL, false, false},
	};
	struct sieve_action y[] = {
	        {SIEVE_ACT_REDIRECT, NULL, "a@b.example", NULL, true, false},
	        {SIEVE_ACT_REJECT, NULL, NULL, "no", false, false},
	};
	struct sieve_rules rs = one_rule(c, 2, x, PT_NELEM(x));
	const char *s;

	(void)state;
	s = round_trip(&rs, &caps);
	assert_non_null(strstr(s, "\r\n\treject \"Go away.\r\nSecond "
	                          "\\\"line\\\"\\\\\";\r\n"));
	assert_non_null(strstr(s, "fileinto :create \"New \\\"quoted\\\"\";"));
	rs.rules[0].any = true;
	rs.rules[0].enabled = false;
	s = round_trip(&rs, &caps);
	assert_non_null(strstr(s, "if false # anyof ("));
	/* Without "copy": redirect + keep. */
	rs = one_rule(c, 1, y, PT_NELEM(y));
	s = round_trip(&rs, &nocopy);
	assert_non_null(strstr(s, "\tredirect \"a@b.example\";\r\n\tkeep;"));
	assert_null(strstr(s, "copy"));
}

static void
test_flags_are_written_first(void **state)
{
	struct sieve_caps caps = caps_of(all_exts, PT_NELEM(all_exts));
	struct sieve_cond c = {SIEVE_FIELD_FROM, NULL, SIEVE_OP_CONTAINS, false,
	                       "x"};
	struct sieve_action x[] = {
	        {SIEVE_ACT_MOVE, "F", NULL, NULL, false, false},
	        {SIEVE_ACT_READ, NULL, NULL, NULL, false, false},
	};
	struct sieve_rules rs = one_rule(&c, 1, x, 2);
	struct sbuf s;
	struct perr err = {0};
	const char *p;

	(void)state;
	sbuf_init(&s, A, 0, 0);
	assert_int_equal(sieve_script_generate(&rs, &caps, &s, A, NULL, &err),
	                 0);
	p = strstr(sbuf_cstr(&s), "addflag");
	assert_non_null(p);
	assert_non_null(strstr(p, "fileinto"));
	assert_string_equal(sbuf_cstr(&s),
	                    "# Petrel filters v1\r\n"
	                    "require [\"fileinto\",\"imap4flags\"];\r\n"
	                    "# rule:[rule]\r\n"
	                    "if allof (header :contains \"from\" \"x\")\r\n"
	                    "{\r\n"
	                    "\taddflag \"\\\\Seen\";\r\n"
	                    "\tfileinto \"F\";\r\n"
	                    "}\r\n");
}

static void
test_escaping_and_injection(void **state)
{
	struct sieve_caps caps = caps_of(all_exts, PT_NELEM(all_exts));
	struct sieve_cond c = {SIEVE_FIELD_SUBJECT, NULL, SIEVE_OP_BEGINS,
	                       false, "\"; discard; if true { stop; } \\*?"};
	struct sieve_action x = {
	        SIEVE_ACT_MOVE, "F\"; discard; \"", NULL, NULL, false, false};
	struct sieve_rules rs = one_rule(&c, 1, &x, 1);
	const char *s;

	(void)state;
	rs.rules[0].name = "] evil\\ \"name\"";
	s = round_trip(&rs, &caps);
	assert_non_null(strstr(s,
	                       "header :matches \"subject\" \"\\\"; discard; "
	                       "if true { stop; } \\\\\\\\\\\\*\\\\?*\""));
	assert_non_null(strstr(s, "fileinto \"F\\\"; discard; \\\"\";"));
	/* The only discard/stop are inside strings: one of each command. */
	assert_null(strstr(s, "\tdiscard;"));
	assert_null(strstr(s, "\tstop;"));
}

/*
 * Multi-line texts (vacation, reject) are quoted strings, never text:
 * blocks: a line holding only ".", "text:" or a quote cannot end them.
 */
static void
test_multiline_text_cannot_end_its_string(void **state)
{
	struct sieve_caps caps = caps_of(all_exts, PT_NELEM(all_exts));
	static const char *const hostile =
	        "away\n.\ntext:\n\"; discard; keep;\n.\n} stop; #\n\\";
	struct sieve_cond c = {SIEVE_FIELD_SUBJECT, NULL, SIEVE_OP_CONTAINS,
	                       false, "x"};
	struct sieve_action x = {SIEVE_ACT_REJECT, NULL,  NULL,
	                         hostile,          false, false};
	struct sieve_rules rs = one_rule(&c, 1, &x, 1);
	const char *addrs[] = {"me\"@example.test"};
	const char *s, *p;

	(void)state;
	rs.vacation.enabled = true;
	rs.vacation.subject = "Re: \"; discard; \"";
	rs.vacation.text = hostile;
	rs.vacation.addresses = addrs;
	rs.vacation.n_addresses = 0; /* a quote is no address: below */
	s = round_trip(&rs, &caps);
	assert_null(strstr(s, "\tdiscard;"));
	assert_null(strstr(s, "\tkeep;"));
	/* Both texts are one quoted string with the quote escaped. */
	p = strstr(s, "reject \"away\r\n.\r\ntext:\r\n\\\"; discard;");
	assert_non_null(p);
	assert_non_null(strstr(s, "\"away\r\n.\r\ntext:\r\n\\\"; discard; "
	                          "keep;\r\n.\r\n} stop; #\r\n\\\\\""));
	/* An address with a quote is refused, not escaped into a list. */
	{
		struct sbuf out;
		struct perr err = {0};
		const char *where = NULL;

		rs.vacation.n_addresses = 1;
		sbuf_init(&out, A, 0, SIEVE_LITERAL_MAX);
		assert_int_equal(sieve_script_generate(&rs, &caps, &out, A,
		                                       &where, &err),
		                 -1);
		assert_int_equal(err.kind, PERR_INPUT);
		assert_non_null(where);
	}
}

/* Script names go out as literals: only control characters are refused. */
static void
test_script_names(void **state)
{
	char long_name[128 + 2]; /* the documented limit: 128 */

	(void)state;
	assert_true(sieve_name_is_valid("petrel"));
	assert_true(sieve_name_is_valid("a \"quoted\" {3+} name"));
	assert_false(sieve_name_is_valid("x\"\r\nDELETESCRIPT \"petrel"));
	assert_false(sieve_name_is_valid("a\nb"));
	assert_false(sieve_name_is_valid("a\rb"));
	assert_false(sieve_name_is_valid("a\x7f"));
	assert_false(sieve_name_is_valid("\xff\xfe"));
	assert_false(sieve_name_is_valid(""));
	assert_false(sieve_name_is_valid(NULL));
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[128] = '\0';
	assert_true(sieve_name_is_valid(long_name));
	long_name[128] = 'n';
	long_name[128 + 1] = '\0';
	assert_false(sieve_name_is_valid(long_name));
}

static void
test_control_characters_refused(void **state)
{
	struct sieve_caps caps = caps_of(all_exts, PT_NELEM(all_exts));
	static const char *const bad[] = {"a\r\nb", "a\nb", "a\rb", "a\x01",
	                                  "\xff\xfe"};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++) {
		struct sieve_cond c = {SIEVE_FIELD_SUBJECT, NULL,
		                       SIEVE_OP_CONTAINS, false, bad[i]};
		struct sieve_action x = {
		        SIEVE_ACT_DISCARD, NULL, NULL, NULL, false, false};
		struct sieve_rules rs = one_rule(&c, 1, &x, 1);
		struct sbuf s;
		struct perr err = {0};
		const char *where = NULL;

		rs.rules[0].name = "r";
		sbuf_init(&s, A, 0, 0);
		assert_int_equal(
		        sieve_script_generate(&rs, &caps, &s, A, &where, &err),
		        -1);
		assert_int_equal(err.kind, PERR_INPUT);
		assert_string_equal(where, "rules[0].conditions[0].value");
		assert_non_null(strstr(err.msg, "rule 1: condition 1: value"));
	}
	/* CRLF in a multi-line text is fine, and normalised. */
	assert_string_equal(sieve_text_norm("a\r\nb\rc\nd", A), "a\nb\nc\nd");
}

static void
test_unsupported_extension_named(void **state)
{
	struct sieve_caps caps = caps_of((const char *const[]){"fileinto"}, 1);
	struct sieve_cond c = {SIEVE_FIELD_BODY, NULL, SIEVE_OP_CONTAINS, false,
	                       "x"};
	struct sieve_action x = {
	        SIEVE_ACT_DISCARD, NULL, NULL, NULL, false, false};
	struct sieve_rules rs = one_rule(&c, 1, &x, 1);
	struct sbuf s;
	struct perr err = {0};
	const char *where;

	(void)state;
	sbuf_init(&s, A, 0, 0);
	assert_int_equal(sieve_script_generate(&rs, &caps, &s, A, &where, &err),
	                 -1);
	assert_string_equal(where, "rules[0].conditions[0].field");
	assert_non_null(strstr(err.msg, "\"body\""));
	/* "mailbox" missing: :create is left to the caller. */
	{
		struct sieve_action m = {SIEVE_ACT_MOVE, "New", NULL,
		                         NULL,           false, true};

		c.field = SIEVE_FIELD_FROM;
		rs = one_rule(&c, 1, &m, 1);
		sbuf_reset(&s);
		assert_int_equal(
		        sieve_script_generate(&rs, &caps, &s, A, &where, &err),
		        0);
		assert_null(strstr(sbuf_cstr(&s), ":create"));
	}
}

static void
test_vacation_round_trip(void **state)
{
	struct sieve_caps caps = caps_of(all_exts, PT_NELEM(all_exts));
	const char *addrs[] = {"me@example.test", "alias@example.test"};
	struct sieve_rules rs = {0};
	const char *s;
	struct sbuf b;
	struct perr err = {0};
	const char *where;

	(void)state;
	rs.vacation = (struct sieve_vacation){true,
	                                      "Away \"now\"",
	                                      "I am away.\nBack soon \\o/",
	                                      3,
	                                      "2026-07-01",
	                                      "2026-07-31",
	                                      addrs,
	                                      2};
	s = round_trip(&rs, &caps);
	assert_non_null(strstr(s, "currentdate :value \"ge\" \"date\" "
	                          "\"2026-07-01\""));
	assert_non_null(strstr(s, "require [\"date\",\"relational\","
	                          "\"vacation\"];"));
	rs.vacation.enabled = false;
	(void)round_trip(&rs, &caps);
	rs.vacation.from = NULL;
	(void)round_trip(&rs, &caps);
	rs.vacation.to = NULL;
	rs.vacation.n_addresses = 0;
	rs.vacation.subject = "";
	s = round_trip(&rs, &caps);
	assert_non_null(strstr(s, "if false # true\r\n"));
	/* Off and empty: nothing written at all. */
	rs.vacation =
	        (struct sieve_vacation){false, "", "", 7, NULL, NULL, NULL, 0};
	s = round_trip(&rs, &caps);
	assert_string_equal(s, "# Petrel filters v1\r\n");
	/* Dates need the date extension; bad dates are refused. */
	rs.vacation = (struct sieve_vacation){true,         "s",  "t",  1,
	                                      "2026-13-01", NULL, NULL, 0};
	sbuf_init(&b, A, 0, 0);
	assert_int_equal(sieve_script_generate(&rs, &caps, &b, A, &where, &err),
	                 -1);
	assert_string_equal(where, "vacation.from");
	rs.vacation.from = NULL;
	rs.vacation.addresses = (const char *[]){"ok@example.test", "nope"};
	rs.vacation.n_addresses = 2;
	assert_int_equal(sieve_script_generate(&rs, &caps, &b, A, &where, &err),
	                 -1);
	assert_string_equal(where, "vacation.addresses[1]");
	assert_string_equal(err.msg, "vacation: address 2: is not an e-mail "
	                             "address");
	rs.vacation.n_addresses = 0;
	rs.vacation.from = "2026-01-01";
	caps = caps_of((const char *const[]){"vacation"}, 1);
	assert_int_equal(sieve_script_generate(&rs, &caps, &b, A, &where, &err),
	                 -1);
	assert_non_null(strstr(err.msg, "\"date\""));
}

static void
test_foreign_scripts(void **state)
{
	static const char *const foreign[] = {
	        "require \"fileinto\";\r\nif header :contains \"from\" \"x\" "
	        "{ fileinto \"y\"; }\r\n",
	        /* Roundcube: a flag after fileinto would change meaning */
	        "require [\"fileinto\",\"imap4flags\"];\r\n# rule:[x]\r\n"
	        "if true\r\n{\r\n\tfileinto \"y\";\r\n\taddflag "
	        "\"\\\\Seen\";\r\n}\r\n",
	        /* Roundcube: a comparator the model does not have */
	        "require [\"fileinto\"];\r\n# rule:[x]\r\nif header "
	        ":comparator \"i;octet\" :contains \"subject\" \"a\"\r\n{"
	        "\r\n\tfileinto \"y\";\r\n}\r\n",
	        /* Roundcube: its vacation rule */
	        "require [\"vacation\"];\r\n# rule:[away]\r\nif true\r\n{"
	        "\r\n\tvacation :days 1 \"x\";\r\n}\r\n",
	        /* Roundcube: a rule without its comment */
	        "require \"fileinto\";\r\nif true\r\n{\r\n\tfileinto \"y\";"
	        "\r\n}\r\n",
	        /* ours, edited by hand: an extra space */
	        "# Petrel filters v1\r\nrequire [\"fileinto\"];\r\n# rule:[r]"
	        "\r\nif true\r\n{\r\n\tfileinto  \"F\";\r\n}\r\n",
	        /* ours, with an extra command */
	        "# Petrel filters v1\r\n# rule:[r]\r\nif true\r\n{\r\n"
	        "\tdiscard;\r\n}\r\nkeep;\r\n",
	        "# Petrel filters v1\r\n/* x */\r\n",
	        "# Petrel filters v1\r\n# rule:[r]\r\nif false\r\n{\r\n"
	        "\tdiscard;\r\n}\r\n",
	        "# Petrel filters v1\r\n# rule:[r]\r\nif true\r\n{\r\n"
	        "\treject text:\r\nx\r\n.\r\n;\r\n}\r\n",
	        "",
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(foreign); i++) {
		struct sieve_rules r;
		bool is_foreign = false;
		struct perr err = {0};

		assert_int_equal(sieve_script_parse(strv_from_cstr(foreign[i]),
		                                    A, &r, &is_foreign, &err),
		                 0);
		if (!is_foreign)
			fail_msg("case %zu read as ours", i);
		assert_int_equal(r.n_rules, 0);
	}
}

/* Roundcube's managesieve format reads as rules where it maps exactly. */
static void
test_roundcube_scripts(void **state)
{
	static const char script[] =
	        "require [\"fileinto\",\"imap4flags\",\"envelope\",\"copy\"];\n"
	        "# rule:[Boss]\n"
	        "if header :contains \"from\" \"boss@example.com\"\n"
	        "{\n"
	        "\taddflag \"\\\\Flagged\";\n"
	        "\tfileinto \"Work\";\n"
	        "\tstop;\n"
	        "}\n"
	        "# rule:[Lists]\n"
	        "if anyof (header :is \"List-Id\" \"<a.example>\", not size "
	        ":over 1M)\n"
	        "{\n"
	        "\tfileinto :copy \"Lists\";\n"
	        "}\n"
	        "# rule:[Off]\n"
	        "if false # header :matches \"subject\" \"Re:*\"\n"
	        "{\n"
	        "\tdiscard;\n"
	        "}\n";
	struct sieve_rules r;
	bool foreign = true;
	struct perr err = {0};

	(void)state;
	assert_int_equal(sieve_script_parse(strv_from_cstr(script), A, &r,
	                                    &foreign, &err),
	                 0);
	assert_false(foreign);
	assert_int_equal(r.n_rules, 3);
	assert_string_equal(r.rules[0].name, "Boss");
	assert_true(r.rules[0].enabled);
	assert_false(r.rules[0].any);
	assert_int_equal(r.rules[0].n_conds, 1);
	assert_int_equal(r.rules[0].conds[0].field, SIEVE_FIELD_FROM);
	assert_int_equal(r.rules[0].conds[0].op, SIEVE_OP_CONTAINS);
	assert_string_equal(r.rules[0].conds[0].value, "boss@example.com");
	assert_int_equal(r.rules[0].n_actions, 3);
	assert_int_equal(r.rules[0].actions[0].type, SIEVE_ACT_FLAG);
	assert_int_equal(r.rules[0].actions[1].type, SIEVE_ACT_MOVE);
	assert_string_equal(r.rules[0].actions[1].folder, "Work");
	assert_int_equal(r.rules[0].actions[2].type, SIEVE_ACT_STOP);
	assert_true(r.rules[1].any);
	assert_int_equal(r.rules[1].n_conds, 2);
	assert_int_equal(r.rules[1].conds[0].field, SIEVE_FIELD_HEADER);
	assert_string_equal(r.rules[1].conds[0].header, "List-Id");
	assert_true(r.rules[1].conds[1].not );
	assert_int_equal(r.rules[1].conds[1].op, SIEVE_OP_OVER);
	assert_string_equal(r.rules[1].conds[1].value, "1M");
	assert_int_equal(r.rules[1].actions[0].type, SIEVE_ACT_COPY);
	assert_false(r.rules[2].enabled);
	assert_int_equal(r.rules[2].conds[0].op, SIEVE_OP_BEGINS);
	assert_string_equal(r.rules[2].conds[0].value, "Re:");
	assert_false(r.vacation.enabled);
}

/*
 * sieve_secure = None to a host that is not loopback: AUTHENTICATE PLAIN
 * would carry the password in clear (base64 is no protection), so it is
 * refused before it is sent unless the domain sets allow_insecure_auth.
 * 127.0.0.2 stands for a remote host.
 */
static void
test_clear_login_to_remote_host_refused(void **state)
{
	static const char *const script[] = {"S:\"IMPLEMENTATION\" \"fake\"",
	                                     "S:\"SASL\" \"PLAIN\"",
	                                     "S:\"VERSION\" \"1.0\"",
	                                     "S:OK \"ready\"",
	                                     "C:",
	                                     "C:",
	                                     "S:NO \"no\"",
	                                     NULL};
	struct config_domain d;
	struct sieve_conn *c = NULL;
	struct fsrv f;
	struct perr err;
	/* "\0alice\0s3cret" in base64 starts so */
	const char *b64 = "AGFsaWNlAHMzY3JldA";

	(void)state;
	memset(&d, 0, sizeof(d));
	d.sieve_host = "127.0.0.2";
	d.sieve_secure = CONFIG_SECURE_NONE;
	d.ca_file = "";
	d.verify_certificate = true;
	d.connect_timeout = 2;
	d.read_timeout = 2;
	fsrv_start_at(&f, script, "127.0.0.2");
	d.sieve_port = f.port;
	assert_int_equal(sieve_connect(&d, A, &c, &err), 0);
	assert_int_equal(sieve_login(c, "alice", "s3cret", &err), -1);
	assert_non_null(strstr(err.msg, "allow_insecure_auth"));
	sieve_close(&c);
	fsrv_stop(&f);
	assert_null(memmem(f.got, f.got_len, b64, strlen(b64)));
	assert_int_equal(err.kind, PERR_TEMPFAIL);

	d.allow_insecure_auth = true;
	fsrv_start_at(&f, script, "127.0.0.2");
	d.sieve_port = f.port;
	assert_int_equal(sieve_connect(&d, A, &c, &err), 0);
	(void)!sieve_login(c, "alice", "s3cret", &err);
	sieve_close(&c);
	fsrv_stop(&f);
	assert_non_null(memmem(f.got, f.got_len, "AUTHENTICATE", 12));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_line_atoms_strings_literals),
	        cmocka_unit_test(test_status_codes_and_text),
	        cmocka_unit_test(test_hostile_responses_fail_cleanly),
	        cmocka_unit_test(test_long_line_is_bounded),
	        cmocka_unit_test(test_endless_streams_end),
	        cmocka_unit_test(test_caps_parse),
	        cmocka_unit_test(test_error_line),
	        cmocka_unit_test(test_round_trip_every_condition),
	        cmocka_unit_test(test_round_trip_every_action),
	        cmocka_unit_test(test_flags_are_written_first),
	        cmocka_unit_test(test_escaping_and_injection),
	        cmocka_unit_test(test_multiline_text_cannot_end_its_string),
	        cmocka_unit_test(test_script_names),
	        cmocka_unit_test(test_control_characters_refused),
	        cmocka_unit_test(test_unsupported_extension_named),
	        cmocka_unit_test(test_vacation_round_trip),
	        cmocka_unit_test(test_foreign_scripts),
	        cmocka_unit_test(test_roundcube_scripts),
	        cmocka_unit_test(test_clear_login_to_remote_host_refused),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
