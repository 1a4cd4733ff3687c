/*
 * Unit tests for src/tmpl, one group per bullet of CTEMPLATE.md:
 * stripping (C6 golden table), parser vectors (C1, C7), modifiers (C2),
 * sections and separators (C3), includes (C4), dictionaries (C5) and
 * auto-escape (C8), plus the cache (C9).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpl/tmpl.h"

static struct arena *A;
static struct tmpl_cache *C;
static int key_seq;

static int
setup(void **state)
{
	(void)state;
	A = arena_create("test", 4096, 0);
	C = tmpl_cache_create(NULL, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpl_cache_unref(&C);
	arena_destroy(&A);
	return 0;
}

/* Load text as a fresh string template; NULL on a load error. */
static const char *
load_str(const char *text, enum tmpl_strip strip, struct perr *err)
{
	char *key = arena_printf(A, "t%d", key_seq++);

	if (tmpl_cache_add_string(C, key, strv_from_cstr(text), strip, err) < 0)
		return NULL;
	return key;
}

/* Expand text; returns the output, or "<ERROR>" if loading failed. */
static const char *
run(const char *text, enum tmpl_strip strip, const struct tmpl_dict *d)
{
	struct perr err = {0};
	const char *key = load_str(text, strip, &err);
	struct sbuf out;

	if (key == NULL)
		return "<ERROR>";
	sbuf_init(&out, A, 0, 1 << 20);
	if (tmpl_expand(C, key, strip, d, &out, &err) < 0)
		return "<EXPAND-ERROR>";
	return sbuf_cstr(&out);
}

static const char *
run1(const char *text, const char *var, const char *value)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t");

	if (var != NULL)
		tmpl_dict_set_cstr(d, var, value);
	return run(text, TMPL_DO_NOT_STRIP, d);
}

/* ---- C6 ------------------------------------------------------------ */

static void
test_strip_golden_table(void **state)
{
	static const struct {
		const char *in, *out[3];
	} rows[] = {
	        {"hi!\n", {"hi!\n", "hi!\n", "hi!"}},
	        {"{{FOO}}\n\n{{FOO}}", {"foo\n\nfoo", "foo\nfoo", "foofoo"}},
	        {"{{FOO}}\r\n\r\n{{FOO}}",
	         {"foo\r\n\r\nfoo", "foo\r\nfoo", "foofoo"}},
	        {"{{FOO}}\n   \n{{FOO}}\n",
	         {"foo\n   \nfoo\n", "foo\nfoo\n", "foofoo"}},
	        {"{{FOO}}\n{{BI_NEWLINE}}\nb",
	         {"foo\n\n\nb", "foo\n\n\nb", "foo\nb"}},
	        {"{{FOO}}\n{{!comment}}\nb", {"foo\n\nb", "foo\nb", "foob"}},
	        {"{{FOO}}\n{{!comment}}{{!comment2}}\nb",
	         {"foo\n\nb", "foo\n\nb", "foob"}},
	        {"{{FOO}}\n\t{{>ONE_INC}}  \nb",
	         {"foo\n\t  \nb", "foo\nb", "foob"}},
	        {"{{FOO}}\n{{>ONE_INC}}{{>TWO_INC}}\nb",
	         {"foo\n\nb", "foo\n\nb", "foob"}},
	        {"{{FOO}}\n  {{#SEC}}\ntext \n  {{/SEC}}\n",
	         {"foo\n  \n", "foo\n", "foo"}},
	        {"{{%AUTOESCAPE context=\"HTML\"}}\nBLA",
	         {"\nBLA", "BLA", "BLA"}},
	        {"foo\nbar\n", {"foo\nbar\n", "foo\nbar\n", "foobar"}},
	        {"  {{FOO}}  {{!comment}}\nb",
	         {"  foo  \nb", "  foo  \nb", "foo  b"}},
	        {"  {{FOO}}  {{BI_SPACE}}\n",
	         {"  foo   \n", "  foo   \n", "foo   "}},
	        {"  \t \f\v  \n\r\n  ", {"  \t \f\v  \n\r\n  ", "", ""}},
	};
	size_t i;
	int m;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (m = 0; m < 3; m++) {
			struct tmpl_dict *d = tmpl_dict_create(A, "t");
			const char *got;

			tmpl_dict_set_cstr(d, "FOO", "foo");
			got = run(rows[i].in, (enum tmpl_strip)m, d);
			if (strcmp(got, rows[i].out[m]) != 0)
				fail_msg("row %zu mode %d: got [%s]", i, m,
				         got);
		}
	}
}

/* ---- C1, C7 parser vectors ---------------------------------------------- */

static void
test_parser_vectors(void **state)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t");

	(void)state;
	assert_string_equal(
	        run("hi {{{! VAR {{!VAR} }} lo", TMPL_STRIP_WHITESPACE, d),
	        "hi { lo");
	assert_string_equal(run("hi {{!VAR {VAR} }} lo", TMPL_DO_NOT_STRIP, d),
	                    "hi  lo");
	assert_string_equal(run("{{{{{{VAR}}}}}}}}", TMPL_DO_NOT_STRIP, d),
	                    "{{{{}}}}}}");
	assert_string_equal(run("fn(){{{BI_NEWLINE}} x=4;{{BI_NEWLINE}}}",
	                        TMPL_DO_NOT_STRIP, d),
	                    "fn(){\n x=4;\n}");
	assert_string_equal(run1("a{{X}}b", "X", "1"), "a1b");
	assert_string_equal(run1("a{{NOPE}}b", NULL, NULL), "ab");
	assert_string_equal(run1("{x}{{X}}}", "X", "1"), "{x}1}");
}

#define AE_HTML "{{%AUTOESCAPE context=\"HTML\"}}"

static void
test_parser_syntax_errors(void **state)
{
	static const char *const bad[] = {
	        "{{ NAME }}",
	        "{{NA-ME}}",
	        "{{X",
	        "{{#S}}no end",
	        "{{#S}}x{{/T}}",
	        "{{/S}}",
	        "{{#S:h}}{{/S}}",
	        "{{X:nosuchmod}}",
	        "{{X:h=1}}",
	        "{{X:H}}",
	        "{{X:H=bogus}}",
	        "{{%AUTOESCAPE}}",
	        "{{%AUTOESCAPE context=\"TEXT\"}}",
	        "x{{%AUTOESCAPE context=\"HTML\"}}",
	        AE_HTML AE_HTML,
	        "{{%AUTOESCAPE context=\"JSON\" state=\"IN_TAG\"}}",
	        "{{%FOO context=\"HTML\"}}",
	        "{{%AUTOESCAPE context=HTML}}",
	        "{{#A}}{{%AUTOESCAPE context=\"HTML\"}}{{/A}}",
	};
	size_t i;
	struct perr err;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (load_str(bad[i], TMPL_DO_NOT_STRIP, &err) != NULL)
			fail_msg("case %zu loaded: %s", i, bad[i]);
		assert_int_equal(err.kind, PERR_INPUT);
		assert_non_null(strstr(err.msg, ":1: "));
	}
}

static void
test_error_carries_line(void **state)
{
	struct perr err = {0};

	(void)state;
	assert_null(
	        load_str("a\nb\n\nc {{BAD NAME}}\n", TMPL_DO_NOT_STRIP, &err));
	assert_non_null(strstr(err.msg, ":4: "));
	memset(&err, 0, sizeof(err));
	assert_null(
	        load_str("a\n\n\nb\n{{#X}}\n", TMPL_STRIP_WHITESPACE, &err));
	assert_non_null(strstr(err.msg, ":5: "));
	memset(&err, 0, sizeof(err));
	assert_null(load_str("{{%AUTOESCAPE context=\"HTML\"}}\n\n<a\n"
	                     "href={{U}}>",
	                     TMPL_STRIP_BLANK_LINES, &err));
	assert_non_null(strstr(err.msg, ":4: "));
}

static void
test_set_delimiters(void **state)
{
	static const char *const bad[] = {"{{=< >}}", "{{=<>}}", "{{=<  >=}}",
	                                  "{{==}}",   "{{=}}",   "{{=a=b c=}}"};
	struct tmpl_dict *d = tmpl_dict_create(A, "t");
	struct perr err;
	size_t i;

	(void)state;
	tmpl_dict_set_cstr(d, "VAR", "yo");
	assert_string_equal(
	        run("{{=| |=}}\nhi |VAR| {{lo}}", TMPL_STRIP_WHITESPACE, d),
	        "hi yo {{lo}}");
	assert_string_equal(run("{{=<% %>=}}<%VAR%><%={{ }}=%>{{VAR}}",
	                        TMPL_DO_NOT_STRIP, d),
	                    "yoyo");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (load_str(bad[i], TMPL_DO_NOT_STRIP, &err) != NULL)
			fail_msg("case %zu loaded", i);
	}
}

/* ---- C2 modifiers ------------------------------------------------------- */

static const char *
mod(const char *spec, const char *in, size_t inlen)
{
	struct sbuf out;

	sbuf_init(&out, A, 0, 0);
	if (tmpl_modifier_apply(spec, (struct strv){in, inlen}, &out) < 0)
		return "<UNKNOWN>";
	return sbuf_cstr(&out);
}

#define MOD(spec, in) mod((spec), (in), strlen(in))

static void
test_modifiers_exact(void **state)
{
	static const struct {
		const char *spec, *in, *out;
	} rows[] = {
	        {"h", "<a href=\"x\">'&'\r\n\t\v\fz",
	         "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;     z"},
	        {"html_escape", "a<b", "a&lt;b"},
	        {"p", "<pre>\n\t'x'&", "&lt;pre&gt;\n\t&#39;x&#39;&amp;"},
	        {"pre_escape", "a\nb", "a\nb"},
	        {"H=pre", "a\n<", "a\n&lt;"},
	        {"H=snippet", "<b>bold</b> &amp; &{x} <br> <wbr> <script>",
	         "<b>bold</b> &amp; &amp;{x} <br> <wbr> &lt;script&gt;"},
	        {"H=snippet", "<b><i>x", "<b><i>x</i></b>"},
	        {"H=snippet", "<b><i>x</b>", "<b><i>x&lt;/b&gt;</i></b>"},
	        {"H=snippet", "<b><b>", "<b>&lt;b&gt;</b>"},
	        {"H=snippet", "</b>x", "&lt;/b&gt;x"},
	        {"H=snippet", "<em>e</em><span dir=rtl>r</span><span dir=x>",
	         "<em>e</em><span dir=rtl>r</span>&lt;span dir=x&gt;"},
	        {"H=snippet", "a\nb\"'", "a b&quot;&#39;"},
	        {"html_escape_with_arg=snippet", "<i>", "<i></i>"},
	        {"H=attribute", "=a b=c\"<>=", "_a_b=c____"},
	        {"H=attribute", "ok-._:AZ09", "ok-._:AZ09"},
	        {"H=url", "javascript:alert(1)", "#"},
	        {"H=url", "http://x/?a=1&b=2", "http://x/?a=1&amp;b=2"},
	        {"u", "a b&c=d/é:~!*()", "a+b%26c%3Dd/%C3%A9%3A~!*()"},
	        {"url_query_escape", ",._-", ",._-"},
	        {"U=query", "a b", "a+b"},
	        {"U=html", "JavaScript:x", "#"},
	        {"U=html", "HTTPS://ok\"", "HTTPS://ok&quot;"},
	        {"U=html", "ftp://host/f", "ftp://host/f"},
	        {"U=html", "http://", "#"},
	        {"U=html", "/rel:ative", "/rel:ative"},
	        {"U=html", "mailto:a@b", "#"},
	        {"U=html", "page.html?x=<", "page.html?x=&lt;"},
	        {"U=javascript", "data:x", "#"},
	        {"U=javascript", "http://a/'\"", "http://a/\\x27\\x22"},
	        {"U=css", "http://a/(x)'\"<>*\\\r\n",
	         "http://a/%28x%29%27%22%3C%3E%2A%5C%0D%0A"},
	        {"U=css", "vbscript:x", "#"},
	        {"I=html", "javascript:x", "/images/cleardot.gif"},
	        {"I=javascript", "javascript:x", "/images/cleardot.gif"},
	        {"I=css", "x:y", "/images/cleardot.gif"},
	        {"I=html", "/ok.png", "/ok.png"},
	        {"j", "'\"\\\t\r\n\b\f\v&<>=x",
	         "\\x27\\x22\\\\\\t\\r\\n\\b\\f\\x0b\\x26\\x3c\\x3e\\x3dx"},
	        {"javascript_escape", "\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9",
	         "\\u2028\\u2029\xc3\xa9"},
	        {"J=number", "", ""},
	        {"J=number", "true", "true"},
	        {"J=number", "false", "false"},
	        {"J=number", "0x1fA", "0x1fA"},
	        {"J=number", "0x", "null"},
	        {"J=number", "0xg", "null"},
	        {"J=number", "-1.5e+3", "-1.5e+3"},
	        {"J=number", "1;alert(1)", "null"},
	        {"J=number", "True", "null"},
	        {"o", "\"\\/\b\f\n\r\t&<>",
	         "\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0026\\u003C\\u003E"},
	        {"json_escape",
	         "\x01\x1f"
	         "a",
	         "\\u0001\\u001Fa"},
	        {"c", "red; background:url(x) #12 50% !important_-.,",
	         "red backgroundurlx #12 50% !important_-.,"},
	        {"cleanse_css", "<>\"'();:", ""},
	        {"xml_escape", "<a b='c'>&\"",
	         "&lt;a b=&#39;c&#39;&gt;&amp;&quot;"},
	        {"xml_escape", "\x01\t\n\r\v\x1f\x7f", " \t\n\r  \x7f"},
	        {"none", "<b>", "<b>"},
	};
	size_t i;
	const char *got;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = MOD(rows[i].spec, rows[i].in);
		if (strcmp(got, rows[i].out) != 0)
			fail_msg("row %zu (%s): got [%s] want [%s]", i,
			         rows[i].spec, got, rows[i].out);
	}
	/* NUL bytes: j escapes them, h passes them through. */
	assert_string_equal(mod("j", "a\0b", 3), "a\\x00b");
	assert_int_equal(memcmp(mod("h", "a\0b", 3), "a\0b", 3), 0);
	assert_string_equal(MOD("nosuch", "x"), "<UNKNOWN>");
	assert_string_equal(MOD("H=nosuch", "x"), "<UNKNOWN>");
}

static void
test_modifiers_in_templates(void **state)
{
	(void)state;
	assert_string_equal(run1("{{X:h}}|{{X:html_escape}}", "X", "<"),
	                    "&lt;|&lt;");
	assert_string_equal(run1("{{X:j:h}}", "X", "'<"), "\\x27\\x3c");
	assert_string_equal(run1("{{X:h:j}}", "X", "<"), "\\x26lt;");
	assert_string_equal(run1("{{X:H=attribute}}", "X", "a b"), "a_b");
	assert_string_equal(
	        run1("{{X:html_escape_with_arg=attribute}}", "X", "a b"),
	        "a_b");
	assert_string_equal(run1("{{X:U=html}}", "X", "javascript:1"), "#");
	assert_string_equal(run1("{{X:x-nosuch}}", "X", "<"), "<");
	assert_string_equal(run1("{{X:x-nosuch=val}}", "X", "<"), "<");
	assert_string_equal(run1("{{X:u:h}}", "X", "a b<"), "a+b%3C");
}

static void
x_upper(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < in.len; i++)
		sbuf_append_char(out, (char)(in.p[i] >= 'a' && in.p[i] <= 'z'
		                                     ? in.p[i] - 32
		                                     : in.p[i]));
	if (arg.len > 0) {
		sbuf_append_char(out, '/');
		sbuf_append_strv(out, arg);
	}
}

static void
x_exact(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	(void)in;
	(void)arg;
	sbuf_append_cstr(out, (const char *)ctx);
}

static void
test_registered_modifiers(void **state)
{
	struct perr err = {0};

	(void)state;
	assert_int_equal(
	        tmpl_modifier_register("x-up", x_upper, NULL, false, &err), 0);
	assert_int_equal(
	        tmpl_modifier_register("x-arg=", x_upper, NULL, false, &err),
	        0);
	assert_int_equal(tmpl_modifier_register("x-arg=exact", x_exact,
	                                        (void *)"EXACT", false, &err),
	                 0);
	assert_int_equal(
	        tmpl_modifier_register("x-safe", x_upper, NULL, true, &err), 0);
	assert_int_equal(
	        tmpl_modifier_register("x-up", x_upper, NULL, false, &err), -1);
	assert_int_equal(
	        tmpl_modifier_register("y-up", x_upper, NULL, false, &err), -1);
	assert_int_equal(
	        tmpl_modifier_register("x-b d", x_upper, NULL, false, &err),
	        -1);
	assert_string_equal(run1("{{X:x-up}}", "X", "ab<"), "AB<");
	assert_string_equal(run1("{{X:x-arg=v}}", "X", "ab"), "AB/v");
	assert_string_equal(run1("{{X:x-arg=exact}}", "X", "ab"), "EXACT");
	/* x-up takes no value: with one it is an unknown (no-op) modifier */
	assert_string_equal(run1("{{X:x-up=1}}", "X", "ab"), "ab");
	/* auto-escape: unique modifiers get :h appended, xss-safe do not */
	assert_string_equal(run1("{{%AUTOESCAPE context=\"HTML\"}}"
	                         "{{X:x-up}}|{{X:x-safe}}",
	                         "X", "<i>"),
	                    "&lt;I&gt;|<I>");
}

/* ---- C3 sections ----------------------------------------------------------
 */

static void
test_sections_zero_one_many(void **state)
{
	const char *t = "[{{#S}}<{{V}}>{{/S}}]";
	struct tmpl_dict *d;

	(void)state;
	d = tmpl_dict_create(A, "t");
	tmpl_dict_set_cstr(d, "V", "root");
	assert_string_equal(run(t, TMPL_DO_NOT_STRIP, d), "[]");
	tmpl_dict_show_section(d, "S");
	assert_string_equal(run(t, TMPL_DO_NOT_STRIP, d), "[<root>]");
	d = tmpl_dict_create(A, "t");
	tmpl_dict_set_cstr(d, "V", "root");
	tmpl_dict_set_cstr(tmpl_dict_add_section(d, "S"), "V", "a");
	tmpl_dict_add_section(d, "S");
	tmpl_dict_set_cstr(tmpl_dict_add_section(d, "S"), "V", "c");
	assert_string_equal(run(t, TMPL_DO_NOT_STRIP, d), "[<a><root><c>]");
	d = tmpl_dict_create(A, "t");
	tmpl_dict_set_value_and_show_section(d, "V", STRV_LIT(""), "S");
	assert_string_equal(run(t, TMPL_DO_NOT_STRIP, d), "[]");
	tmpl_dict_set_value_and_show_section(d, "V", STRV_LIT("x"), "S");
	assert_string_equal(run(t, TMPL_DO_NOT_STRIP, d), "[<x>]");
}

static void
test_sections_late_inheritance(void **state)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t"), *c;

	(void)state;
	c = tmpl_dict_add_section(d, "S");
	tmpl_dict_set_cstr(d, "V", "set-after-child");
	(void)c;
	assert_string_equal(run("{{#S}}{{V}}{{/S}}", TMPL_DO_NOT_STRIP, d),
	                    "set-after-child");
}

/*
 * C3: {{#FOO}} nested in {{#BAR}} but defined on the root iterates the
 * root's FOO list, whose dictionaries have the root as parent: variables
 * of the current BAR iteration are not visible inside.
 */
static void
test_sections_inherited_section_lookup(void **state)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t"), *bar, *foo;

	(void)state;
	tmpl_dict_set_cstr(d, "V", "root");
	bar = tmpl_dict_add_section(d, "BAR");
	tmpl_dict_set_cstr(bar, "V", "bar");
	tmpl_dict_set_cstr(bar, "B", "b1");
	foo = tmpl_dict_add_section(d, "FOO");
	tmpl_dict_set_cstr(foo, "F", "f1");
	tmpl_dict_add_section(d, "FOO");
	assert_string_equal(
	        run("{{#BAR}}{{V}}:{{#FOO}}({{F}},{{V}},{{B}}){{/FOO}}"
	            "{{/BAR}}",
	            TMPL_DO_NOT_STRIP, d),
	        "bar:(f1,root,)(,root,)");
}

static void
test_separators(void **state)
{
	const char *t = "{{#ATT}}{{NAME}}{{#ATT_separator}}, "
	                "{{/ATT_separator}}{{/ATT}}";
	struct tmpl_dict *d = tmpl_dict_create(A, "t");

	(void)state;
	tmpl_dict_set_cstr(tmpl_dict_add_section(d, "ATT"), "NAME", "a");
	tmpl_dict_set_cstr(tmpl_dict_add_section(d, "ATT"), "NAME", "b");
	tmpl_dict_set_cstr(tmpl_dict_add_section(d, "ATT"), "NAME", "c");
	assert_string_equal(run(t, TMPL_DO_NOT_STRIP, d), "a, b, c");
	/* shown once: no separator */
	d = tmpl_dict_create(A, "t");
	tmpl_dict_set_cstr(tmpl_dict_add_section(d, "ATT"), "NAME", "a");
	assert_string_equal(run(t, TMPL_DO_NOT_STRIP, d), "a");
	/* also shown explicitly: it expands normally AND as separator */
	d = tmpl_dict_create(A, "t");
	tmpl_dict_set_cstr(tmpl_dict_add_section(d, "ATT"), "NAME", "a");
	tmpl_dict_set_cstr(tmpl_dict_add_section(d, "ATT"), "NAME", "b");
	tmpl_dict_show_section(d, "ATT_separator");
	assert_string_equal(run(t, TMPL_DO_NOT_STRIP, d), "a, , b, ");
	/* a separator nested deeper is an ordinary section */
	d = tmpl_dict_create(A, "t");
	tmpl_dict_add_section(d, "ATT");
	tmpl_dict_add_section(d, "ATT");
	assert_string_equal(run("{{#ATT}}x{{#IN}}{{#ATT_separator}},"
	                        "{{/ATT_separator}}{{/IN}}{{/ATT}}",
	                        TMPL_DO_NOT_STRIP, d),
	                    "xx");
}

/* ---- C4 includes ----------------------------------------------------------
 */

static void
add_named(const char *key, const char *text, enum tmpl_strip strip)
{
	struct perr err = {0};

	if (tmpl_cache_add_string(C, key, strv_from_cstr(text), strip, &err) <
	    0)
		fail_msg("%s: %s", key, err.msg);
}

static const char *
run_named(const char *key, enum tmpl_strip strip, const struct tmpl_dict *d)
{
	struct perr err = {0};
	struct sbuf out;

	sbuf_init(&out, A, 0, 1 << 20);
	if (tmpl_expand(C, key, strip, d, &out, &err) < 0)
		return err.msg;
	return sbuf_cstr(&out);
}

static void
test_includes_basic(void **state)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t"), *i1, *i2;

	(void)state;
	add_named("inc-main", "[{{>INC}}]", TMPL_DO_NOT_STRIP);
	add_named("inc-sub", "<{{V}}|{{P}}>", TMPL_DO_NOT_STRIP);
	tmpl_dict_set_cstr(d, "P", "parent-only");
	assert_string_equal(run_named("inc-main", TMPL_DO_NOT_STRIP, d), "[]");
	i1 = tmpl_dict_add_include(d, "INC", "inc-sub");
	tmpl_dict_set_cstr(i1, "V", "one");
	i2 = tmpl_dict_add_include(d, "INC", "inc-sub");
	tmpl_dict_set_cstr(i2, "V", "two");
	tmpl_dict_add_include(d, "INC", NULL);
	assert_string_equal(run_named("inc-main", TMPL_DO_NOT_STRIP, d),
	                    "[<one|><two|>]");
	/* with modifiers, the whole sub-template is modified */
	add_named("inc-mod", "{{>INC:j}}", TMPL_DO_NOT_STRIP);
	assert_string_equal(run_named("inc-mod", TMPL_DO_NOT_STRIP, d),
	                    "\\x3cone|\\x3e\\x3ctwo|\\x3e");
	/* missing include file is an expansion error */
	d = tmpl_dict_create(A, "t");
	tmpl_dict_add_include(d, "INC", "no-such");
	assert_non_null(
	        strstr(run_named("inc-main", TMPL_DO_NOT_STRIP, d), "no-such"));
}

static void
test_includes_indentation(void **state)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t");

	(void)state;
	add_named("ind-sub", "a\nb\r\nc\rd\n", TMPL_DO_NOT_STRIP);
	add_named("ind-sub", "a\nb\r\nc\rd\n", TMPL_STRIP_BLANK_LINES);
	add_named("ind-sub", "a\nb\r\nc\rd\n", TMPL_STRIP_WHITESPACE);
	tmpl_dict_add_include(d, "I", "ind-sub");
	assert_string_equal(run("x\n  {{>I}}", TMPL_DO_NOT_STRIP, d),
	                    "x\n  a\n  b\r\n  c\r  d\n  ");
	assert_string_equal(run("  \t{{>I}}", TMPL_DO_NOT_STRIP, d),
	                    "  \ta\n  \tb\r\n  \tc\r  \td\n  \t");
	/* not only whitespace before it on the line: no indentation */
	assert_string_equal(run("x {{>I}}", TMPL_DO_NOT_STRIP, d),
	                    "x a\nb\r\nc\rd\n");
	/* a lone marker line is stripped to the marker under BLANK_LINES */
	assert_string_equal(run("x\n  {{>I}}\n", TMPL_STRIP_BLANK_LINES, d),
	                    "x\na\nb\r\nc\rd\n");
	/* more on the line than the marker: indentation survives */
	assert_string_equal(run("x\n  {{>I}}y\n", TMPL_STRIP_BLANK_LINES, d),
	                    "x\n  a\n  b\r\n  c\r  d\n  y\n");
	assert_string_equal(run("x\n  {{>I}}", TMPL_STRIP_WHITESPACE, d),
	                    "xabc\rd");
	/* indentation at the start of a section */
	tmpl_dict_show_section(d, "S");
	assert_string_equal(run("{{#S}} {{>I}}{{/S}}", TMPL_DO_NOT_STRIP, d),
	                    " a\n b\r\n c\r d\n ");
	assert_string_equal(run("{{#S}}{{>I}}{{/S}}", TMPL_DO_NOT_STRIP, d),
	                    "a\nb\r\nc\rd\n");
}

/* ---- C5 dictionaries -------------------------------------------------------
 */

static void
test_global_example_a_b(void **state)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t");

	(void)state;
	tmpl_global_set("NAME", STRV_LIT("John Doe"));
	add_named("A.tpl",
	          "{{NAME}} has won {{>PRIZE}}. It is worth "
	          "{{AMOUNT}}.",
	          TMPL_DO_NOT_STRIP);
	add_named("B.tpl", "{{AMOUNT}} dollars! And it's all yours, {{NAME}}",
	          TMPL_DO_NOT_STRIP);
	tmpl_dict_set_cstr(d, "NAME", "Jane McJane");
	tmpl_dict_set_template_global(d, "AMOUNT", STRV_LIT("One Million"));
	tmpl_dict_add_include(d, "PRIZE", "B.tpl");
	assert_string_equal(run_named("A.tpl", TMPL_DO_NOT_STRIP, d),
	                    "Jane McJane has won One Million dollars! And "
	                    "it's all yours, John Doe. It is worth One "
	                    "Million.");
}

static void
test_dict_values_and_builtins(void **state)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t");
	static const char bin[] = {'a', '\0', 'b'};
	char name[16];
	int i;

	(void)state;
	tmpl_dict_set_int(d, "I", -42);
	tmpl_dict_setf(d, "F", "%s-%d", "x", 7);
	tmpl_dict_set_static(d, "S", STRV_LIT("static"));
	tmpl_dict_set(d, "B", (struct strv){bin, 3});
	tmpl_dict_set_cstr(d, "R", "old");
	tmpl_dict_set_cstr(d, "R", "new");
	assert_string_equal(run("{{I}} {{F}} {{S}} {{R}}[{{BI_SPACE}}]"
	                        "{{BI_NEWLINE}}",
	                        TMPL_DO_NOT_STRIP, d),
	                    "-42 x-7 static new[ ]\n");
	assert_int_equal(tmpl_dict_lookup(d, "B").len, 3);
	/* many variables switch to the hash index */
	for (i = 0; i < 200; i++) {
		assert_true(snprintf(name, sizeof(name), "V%d", i) > 0);
		tmpl_dict_set_int(d, name, i);
	}
	for (i = 0; i < 200; i += 37) {
		struct strv v;

		assert_true(snprintf(name, sizeof(name), "V%d", i) > 0);
		v = tmpl_dict_lookup(d, name);
		assert_int_equal(v.len, strlen(name + 1));
		assert_memory_equal(v.p, name + 1, v.len);
	}
	tmpl_dict_set_cstr(d, "V5", "five");
	assert_true(strv_eq_cstr(tmpl_dict_lookup(d, "V5"), "five"));
	assert_true(tmpl_dict_ok(d));
	/* NULL-safe chains */
	tmpl_dict_set_cstr(tmpl_dict_add_section(NULL, "X"), "a", "b");
	assert_false(tmpl_dict_ok(NULL));
}

static void
test_template_global_section_and_fallback(void **state)
{
	struct arena *long_lived = arena_create("catalog", 1024, 0);
	struct tmpl_dict *cat = tmpl_dict_create(long_lived, "catalog");
	struct tmpl_dict *d = tmpl_dict_create(A, "t"), *inc;

	(void)state;
	tmpl_dict_set_cstr(cat, "L_HELLO", "Hello");
	tmpl_dict_set_cstr(cat, "SHADOW", "catalog");
	tmpl_global_set("GLOB_ONLY", STRV_LIT("global"));
	tmpl_global_set("SHADOW2", STRV_LIT("global"));
	tmpl_dict_set_fallback(d, cat);
	tmpl_dict_set_cstr(d, "SHADOW", "dict");
	tmpl_dict_set_template_global(d, "SHADOW2", STRV_LIT("tglobal"));
	tmpl_dict_show_template_global_section(d, "TG");
	add_named("fb-sub", "{{L_HELLO}}/{{SHADOW}}/{{#TG}}tg{{/TG}}",
	          TMPL_DO_NOT_STRIP);
	inc = tmpl_dict_add_include(d, "I", "fb-sub");
	(void)inc;
	assert_string_equal(run("{{L_HELLO}} {{SHADOW}} {{SHADOW2}} "
	                        "{{GLOB_ONLY}} {{>I}} {{#TG}}shown{{/TG}}",
	                        TMPL_DO_NOT_STRIP, d),
	                    "Hello dict tglobal global Hello/catalog/tg shown");
	arena_destroy(&long_lived);
}

static void
test_output_limit(void **state)
{
	struct tmpl_dict *d = tmpl_dict_create(A, "t");
	struct perr err = {0};
	struct sbuf out;
	const char *key;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		tmpl_dict_set_cstr(tmpl_dict_add_section(d, "S"), "V",
		                   "0123456789");
	key = load_str("{{#S}}{{V}}{{V:h:j}}{{/S}}", TMPL_DO_NOT_STRIP, &err);
	assert_non_null(key);
	sbuf_init(&out, A, 0, 5000);
	assert_int_equal(tmpl_expand(C, key, TMPL_DO_NOT_STRIP, d, &out, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	/* a dictionary whose arena ran out fails the expansion */
	{
		struct arena *tiny = arena_create("tiny", 256, 2048);
		struct tmpl_dict *td = tmpl_dict_create(tiny, "t");

		for (i = 0; i < 100; i++)
			tmpl_dict_set_cstr(tmpl_dict_add_section(td, "S"), "V",
			                   "0123456789012345678901234567890");
		assert_false(tmpl_dict_ok(td));
		sbuf_init(&out, A, 0, 0);
		assert_int_equal(
		        tmpl_expand(C, key, TMPL_DO_NOT_STRIP, td, &out, &err),
		        -1);
		assert_int_equal(err.kind, PERR_LIMIT);
		arena_destroy(&tiny);
	}
}

/* ---- C8 auto-escape
 * ---------------------------------------------------------- */

static void
test_autoescape_context_table(void **state)
{
	static const struct {
		const char *tpl, *val, *out;
	} rows[] = {
	        /* HTML text and comments: :h */
	        {AE_HTML "<p>{{V}}</p>", "<x a='1'>",
	         "<p>&lt;x a=&#39;1&#39;&gt;</p>"},
	        {AE_HTML "<!-- {{V}} -->", "<b>", "<!-- &lt;b&gt; -->"},
	        /* URL attribute, start of the value, quoted: :U=html */
	        {AE_HTML "<a href=\"{{V}}\">", "javascript:alert(1)",
	         "<a href=\"#\">"},
	        {AE_HTML "<a href='{{V}}'>", "http://x/?a&b",
	         "<a href='http://x/?a&amp;b'>"},
	        {AE_HTML "<img src=\"{{V}}\">", "data:x", "<img src=\"#\">"},
	        {AE_HTML "<form action=\"{{V}}\">", "vbscript:x",
	         "<form action=\"#\">"},
	        /* URL attribute, later in the value */
	        {AE_HTML "<a href=\"/x?q={{V}}\">", "javascript:<",
	         "<a href=\"/x?q=javascript:&lt;\">"},
	        {AE_HTML "<a href=/x?q={{V}}>", "a b&c",
	         "<a href=/x?q=a+b%26c>"},
	        /* style attribute, quoted: :c */
	        {AE_HTML "<p style=\"color: {{V}}\">", "red;x:expression(1)",
	         "<p style=\"color: redxexpression1\">"},
	        /* on* attributes */
	        {AE_HTML "<a onclick=\"f('{{V}}')\">", "'</a>",
	         "<a onclick=\"f('\\x27\\x3c/a\\x3e')\">"},
	        {AE_HTML "<a onclick=\"f({{V}})\">", "1;alert(1)",
	         "<a onclick=\"f(null)\">"},
	        {AE_HTML "<a onclick=\"f(&#39;{{V}}&#39;)\">", "'",
	         "<a onclick=\"f(&#39;\\x27&#39;)\">"},
	        {AE_HTML "<a onmouseover=\"x={{V}}\">", "42",
	         "<a onmouseover=\"x=42\">"},
	        /* other attributes */
	        {AE_HTML "<div title=\"{{V}}\">", "\"x\"",
	         "<div title=\"&quot;x&quot;\">"},
	        {AE_HTML "<div title={{V}}>", "a b>", "<div title=a_b_>"},
	        {AE_HTML "<div class={{V}} id=x>", "c d",
	         "<div class=c_d id=x>"},
	        /* tag and attribute names */
	        {AE_HTML "<{{V}}>", "b onclick=x", "<b_onclick=x>"},
	        {AE_HTML "<div {{V}}>", "a b", "<div a_b>"},
	        /* script: string literal or not */
	        {AE_HTML "<script>var a = '{{V}}';</script>", "'</script>",
	         "<script>var a = '\\x27\\x3c/script\\x3e';</script>"},
	        {AE_HTML "<script>var a = \"{{V}}\";</script>", "\"",
	         "<script>var a = \"\\x22\";</script>"},
	        {AE_HTML "<script>var a = {{V}};</script>", "alert(1)",
	         "<script>var a = null;</script>"},
	        {AE_HTML "<script>var r = /ab'c/; x = {{V}};</script>", "7",
	         "<script>var r = /ab'c/; x = 7;</script>"},
	        {AE_HTML "<script>var r = 4 / 2; s = '{{V}}';</script>", "<",
	         "<script>var r = 4 / 2; s = '\\x3c';</script>"},
	        {AE_HTML "<script>// it's\nx = {{V}};</script>", "1",
	         "<script>// it's\nx = 1;</script>"},
	        {AE_HTML "<script>/* it's */ x = {{V}};</script>", "y",
	         "<script>/* it's */ x = null;</script>"},
	        {AE_HTML "<script>x='a\\'{{V}}';</script>", "'",
	         "<script>x='a\\'\\x27';</script>"},
	        {AE_HTML "<script></script><p>{{V}}", "<",
	         "<script></script><p>&lt;"},
	        {AE_HTML "<SCRIPT type=\"text/javascript\">x={{V}}</SCRIPT>",
	         "1", "<SCRIPT type=\"text/javascript\">x=1</SCRIPT>"},
	        /* style element */
	        {AE_HTML "<style>p { color: {{V}} }</style>", "red}</style>",
	         "<style>p { color: redstyle }</style>"},
	        /* title and textarea are text: :h */
	        {AE_HTML "<title>{{V}}</title>", "<&>",
	         "<title>&lt;&amp;&gt;</title>"},
	        {AE_HTML "<textarea>{{V}}</textarea>", "</textarea>",
	         "<textarea>&lt;/textarea&gt;</textarea>"},
	        /* meta refresh */
	        {AE_HTML
	         "<meta http-equiv=\"refresh\" content=\"0; URL={{V}}\">",
	         "javascript:x",
	         "<meta http-equiv=\"refresh\" content=\"0; URL=#\">"},
	        {AE_HTML "<meta name=\"d\" content=\"{{V}}\">", "a:b",
	         "<meta name=\"d\" content=\"a:b\">"},
	        /* template contexts */
	        {"{{%AUTOESCAPE context=\"JSON\"}}{\"a\": \"{{V}}\"}", "\"</",
	         "{\"a\": \"\\x22\\x3c/\"}"},
	        {"{{%AUTOESCAPE context=\"xml\"}}<a>{{V}}</a>", "<&'",
	         "<a>&lt;&amp;&#39;</a>"},
	        {"{{%AUTOESCAPE context=\"CSS\"}}p { color: {{V}} }", "red;}",
	         "p { color: red }"},
	        {"{{%AUTOESCAPE context=\"JAVASCRIPT\"}}var x = '{{V}}'; var y "
	         "= {{V}};",
	         "1", "var x = '1'; var y = 1;"},
	        {"{{%AUTOESCAPE context=\"javascript\"}}var x = {{V}};", "a",
	         "var x = null;"},
	        /* IN_TAG */
	        {"{{%AUTOESCAPE context=\"HTML\" "
	         "state=\"IN_TAG\"}}class=\"{{V}}\" href=\"{{V}}\"",
	         "javascript:", "class=\"javascript:\" href=\"#\""},
	        /* the URL check applies at every variable at value index 0 */
	        {AE_HTML "<a href=\"{{V}}{{V}}\">",
	         "javascript:", "<a href=\"##\">"},
	        /* BI_SPACE is literal whitespace, never escaped */
	        {AE_HTML "<p{{BI_SPACE}}title={{V}}>", "a b", "<p title=a_b>"},
	};
	size_t i;
	const char *got;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = run1(rows[i].tpl, "V", rows[i].val);
		if (strcmp(got, rows[i].out) != 0)
			fail_msg("row %zu: got [%s] want [%s]", i, got,
			         rows[i].out);
	}
}

static void
test_autoescape_load_errors(void **state)
{
	static const char *const bad[] = {
	        AE_HTML "<a href={{V}}>",
	        AE_HTML "<img src={{V}}>",
	        AE_HTML "<p style={{V}}>",
	        AE_HTML "<a onclick={{V}}>",
	        AE_HTML "<a onclick={{V}}>",
	        AE_HTML "<meta http-equiv=refresh content=0;url={{V}}>",
	        /* [Petrel] includes only in HTML text */
	        AE_HTML "<a {{>INC}}>",
	        AE_HTML "<a title=\"{{>INC}}\">",
	        AE_HTML "<!-- {{>INC}} -->",
	        AE_HTML "<script>{{>INC}}</script>",
	        /* markup ctemplate's HTML parser rejects */
	        AE_HTML "<div {{V}}=1>",
	        AE_HTML "<a =x>",
	        AE_HTML "<a b=\"c\"=d>",
	        AE_HTML "<a<b>",
	        AE_HTML "<a b\"c>",
	};
	struct perr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (load_str(bad[i], TMPL_DO_NOT_STRIP, &err) != NULL)
			fail_msg("row %zu loaded", i);
		assert_int_equal(err.kind, PERR_INPUT);
	}
	/* include in text is fine, and in JS templates too */
	assert_non_null(
	        load_str(AE_HTML "<p>{{>INC}}</p>", TMPL_DO_NOT_STRIP, &err));
	assert_non_null(load_str("{{%AUTOESCAPE context=\"JAVASCRIPT\"}}"
	                         "{{>INC}}",
	                         TMPL_DO_NOT_STRIP, &err));
}

static void
test_autoescape_modifier_combinations(void **state)
{
	static const struct {
		const char *tpl, *out;
	} rows[] = {
	        /* C8 examples in HTML text; value is <'> */
	        {AE_HTML "{{X:h:j}}", "\\x26lt;\\x26#39;\\x26gt;"},
	        {AE_HTML "{{X:j}}", "\\x3c\\x27\\x3e"},
	        {AE_HTML "{{X:x-foo}}", "&lt;&#39;&gt;"},
	        {AE_HTML "{{X:h:x-foo}}", "&amp;lt;&amp;#39;&amp;gt;"},
	        {AE_HTML "{{X:x-foo:h}}", "&lt;&#39;&gt;"},
	        {AE_HTML "{{X:none}}", "<'>"},
	        {AE_HTML "{{X:p}}", "&lt;&#39;&gt;"},
	        {AE_HTML "{{X:u}}", "%3C%27%3E"},
	        {AE_HTML "{{X:H=snippet}}", "&lt;&#39;&gt;"},
	        {AE_HTML "{{X:c}}", ""},
	        /* in a quoted URL attribute start: :U=html */
	        {AE_HTML "<a href=\"{{X:H=url}}\">",
	         "<a href=\"&lt;&#39;&gt;\">"},
	        {AE_HTML "<a href=\"{{X:h}}\">",
	         "<a href=\"&amp;lt;&amp;#39;&amp;gt;\">"},
	        /* JS string: :o and :j are alternatives of each other */
	        {AE_HTML "<script>a='{{X:o}}'</script>",
	         "<script>a='\\u003C'\\u003E'</script>"},
	        {"{{%AUTOESCAPE context=\"JSON\"}}{{X:o}}", "\\u003C'\\u003E"},
	        {"{{%AUTOESCAPE context=\"XML\"}}{{X:h}}", "&lt;&#39;&gt;"},
	        {AE_HTML "<style>{{X:U=css}}</style>",
	         "<style>%3C%27%3E</style>"},
	};
	size_t i;
	const char *got;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = run1(rows[i].tpl, "X", "<'>");
		if (strcmp(got, rows[i].out) != 0)
			fail_msg("row %zu: got [%s] want [%s]", i, got,
			         rows[i].out);
	}
}

/* ---- C9 cache
 * ------------------------------------------------------------------ */

static char tmpdir[64];

static void
write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	assert_true(snprintf(path, sizeof(path), "%s/%s", tmpdir, rel) > 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void
test_cache_files_strict_reload(void **state)
{
	struct tmpl_cache *c, *c2;
	struct tmpl_dict *d;
	struct perr err = {0};
	struct sbuf out;
	char path[256];

	(void)state;
	assert_true(snprintf(tmpdir, sizeof(tmpdir), "/tmp/tmpl-test-XXXXXX") >
	            0);
	assert_non_null(mkdtemp(tmpdir));
	assert_true(snprintf(path, sizeof(path), "%s/sub", tmpdir) > 0);
	assert_int_equal(mkdir(path, 0700), 0);
	write_file("page.tpl", AE_HTML "<p>{{V}}</p>\n{{>INC}}");
	write_file("sub/part.tpl", AE_HTML "<i>{{V}}</i>");
	write_file("notes.txt", "{{broken");

	c = tmpl_cache_create(tmpdir, TMPL_CACHE_STRICT);
	assert_int_equal(tmpl_cache_load_all(c, TMPL_STRIP_BLANK_LINES, &err),
	                 0);
	assert_int_equal(
	        tmpl_cache_load(c, "../x.tpl", TMPL_DO_NOT_STRIP, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(
	        tmpl_cache_load(c, "/etc/passwd", TMPL_DO_NOT_STRIP, &err), -1);
	assert_int_equal(
	        tmpl_cache_load(c, "sub/../page.tpl", TMPL_DO_NOT_STRIP, &err),
	        -1);
	assert_int_equal(
	        tmpl_cache_load(c, "nope.tpl", TMPL_DO_NOT_STRIP, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	tmpl_cache_freeze(c);
	assert_true(tmpl_cache_is_frozen(c));

	d = tmpl_dict_create(A, "t");
	tmpl_dict_set_cstr(d, "V", "<v>");
	tmpl_dict_set_cstr(tmpl_dict_add_include(d, "INC", "sub/part.tpl"), "V",
	                   "&");
	sbuf_init(&out, A, 0, 0);
	assert_int_equal(tmpl_expand(c, "page.tpl", TMPL_STRIP_BLANK_LINES, d,
	                             &out, &err),
	                 0);
	assert_string_equal(sbuf_cstr(&out), "<p>&lt;v&gt;</p>\n<i>&amp;</i>");
	/* frozen: nothing new is loaded */
	sbuf_init(&out, A, 0, 0);
	assert_int_equal(
	        tmpl_expand(c, "page.tpl", TMPL_DO_NOT_STRIP, d, &out, &err),
	        -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);

	/* reload picks up changes into a new cache; the old one still works */
	write_file("sub/part.tpl", AE_HTML "<b>{{V}}</b>");
	c2 = tmpl_cache_reload_clone(c, &err);
	assert_non_null(c2);
	assert_true(tmpl_cache_is_frozen(c2));
	sbuf_init(&out, A, 0, 0);
	assert_int_equal(tmpl_expand(c2, "page.tpl", TMPL_STRIP_BLANK_LINES, d,
	                             &out, &err),
	                 0);
	assert_string_equal(sbuf_cstr(&out), "<p>&lt;v&gt;</p>\n<b>&amp;</b>");
	/* a request pins the old cache; the last unref frees it */
	{
		struct tmpl_cache *pinned = c;

		tmpl_cache_ref(pinned);
		tmpl_cache_unref(&c);
		assert_null(c);
		sbuf_init(&out, A, 0, 0);
		assert_int_equal(tmpl_expand(pinned, "page.tpl",
		                             TMPL_STRIP_BLANK_LINES, d, &out,
		                             &err),
		                 0);
		tmpl_cache_unref(&pinned);
	}

	/* a broken file makes the reload fail and keeps the old cache */
	write_file("sub/part.tpl", AE_HTML "<a href={{V}}>");
	assert_null(tmpl_cache_reload_clone(c2, &err));
	assert_non_null(strstr(err.msg, "sub/part.tpl:1:"));

	/* strict: the pragma is required, unknown x- modifiers rejected */
	write_file("sub/part.tpl", "<b>{{V}}</b>");
	c = tmpl_cache_create(tmpdir, TMPL_CACHE_STRICT);
	assert_int_equal(
	        tmpl_cache_load(c, "sub/part.tpl", TMPL_DO_NOT_STRIP, &err),
	        -1);
	assert_non_null(strstr(err.msg, "AUTOESCAPE"));
	write_file("sub/part.tpl", AE_HTML "{{V:x-unknown-thing}}");
	assert_int_equal(
	        tmpl_cache_load(c, "sub/part.tpl", TMPL_DO_NOT_STRIP, &err),
	        -1);
	assert_non_null(strstr(err.msg, "x-unknown-thing"));
	tmpl_cache_unref(&c);
	/* lenient: both load */
	c = tmpl_cache_create(tmpdir, 0);
	assert_int_equal(
	        tmpl_cache_load(c, "sub/part.tpl", TMPL_DO_NOT_STRIP, &err), 0);
	tmpl_cache_unref(&c);
	tmpl_cache_unref(&c2);

	assert_true(snprintf(path, sizeof(path), "rm -rf '%s'", tmpdir) > 0);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_strip_golden_table, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_parser_vectors, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_parser_syntax_errors,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_error_carries_line, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_set_delimiters, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_modifiers_exact, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_modifiers_in_templates,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_registered_modifiers,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sections_zero_one_many,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sections_late_inheritance,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_sections_inherited_section_lookup, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_separators, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_includes_basic, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_includes_indentation,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_global_example_a_b, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_dict_values_and_builtins,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_template_global_section_and_fallback, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_output_limit, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_autoescape_context_table,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_autoescape_load_errors,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_autoescape_modifier_combinations, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cache_files_strict_reload,
	                                        setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
