/* Unit tests for sanitize_html_to_text() (src/sanitize/text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize/sanitize.h"

#include "../support/unit_arena.h"

static const char *
text(const char *html)
{
	struct sbuf out;
	struct perr err;

	sbuf_init(&out, A, 256, 1 << 20);
	assert_int_equal(
	        sanitize_html_to_text(strv_from_cstr(html), A, &out, &err), 0);
	return sbuf_cstr(&out);
}

static void
test_blocks_and_breaks(void **state)
{
	(void)state;
	assert_string_equal(
	        text("<p>Hello   <b>world</b></p><p>Second<br>line</p>"),
	        "Hello world\n\nSecond\nline\n");
	assert_string_equal(text("<div>a</div><div>b</div>"), "a\nb\n");
	assert_string_equal(text("<ul><li>one</li><li>two</li></ul>"
	                         "<ol><li>x</li><li>y</li></ol>"),
	                    "- one\n- two\n1. x\n2. y\n");
}

static void
test_links_quotes_and_dropped_content(void **state)
{
	(void)state;
	assert_string_equal(text("<a href=\"https://example.test/x\">site</a>"),
	                    "site <https://example.test/x>\n");
	assert_string_equal(
	        text("<a href=\"https://e.test/\">https://e.test/</a>"),
	        "https://e.test/\n");
	assert_string_equal(text("<p>top</p><blockquote><p>quoted</p>"
	                         "<p>more</p></blockquote><p>after</p>"),
	                    "top\n\n> quoted\n>\n> more\n\nafter\n");
	/* Scripts and styles never reach the text. */
	assert_string_equal(text("<script>alert(1)</script><style>p{}</style>"
	                         "<p>ok</p>"),
	                    "ok\n");
	assert_string_equal(text("<pre>a\n  b</pre>"), "a\n  b\n");
	assert_string_equal(text("Привет, <i>мир</i>"), "Привет, мир\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_blocks_and_breaks),
	        cmocka_unit_test(test_links_quotes_and_dropped_content),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
