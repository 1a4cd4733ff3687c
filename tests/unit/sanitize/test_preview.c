/* The message list's HTML preview strip (src/sanitize/preview.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize/sanitize.h"

#include "../support/unit_arena.h"

static const char *
strip(const char *html)
{
	struct strv t = sanitize_preview_text(strv_from_cstr(html), A);

	return arena_strndup(A, t.p, t.len);
}

static void
test_preview_tags_become_spaces(void **state)
{
	(void)state;
	assert_string_equal(strip("<p>Hello</p><p>world</p>"),
	                    " Hello  world ");
	assert_string_equal(strip("a<br>b"), "a b");
	assert_string_equal(strip("plain text"), "plain text");
	assert_string_equal(strip(""), "");
}

static void
test_preview_drops_head_style_script(void **state)
{
	(void)state;
	assert_string_equal(strip("<HEAD><title>t</title></head>Body"),
	                    " Body");
	assert_string_equal(strip("a<style>p{color:red}</style>b"), "a b");
	assert_string_equal(strip("a<script>x<y</SCRIPT>b"), "a b");
	/* An unclosed <style> hides everything after it. */
	assert_string_equal(strip("a<style>p{}"), "a");
}

static void
test_preview_decodes_common_entities(void **state)
{
	(void)state;
	assert_string_equal(strip("a&nbsp;&amp;&lt;&gt;&quot;&#39;b"),
	                    "a &<>\"'b");
	assert_string_equal(strip("&AMP;"), "&");
	/* Others stay as written: the output is escaped anyway. */
	assert_string_equal(strip("&eacute; &#233;"), "&eacute; &#233;");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_preview_tags_become_spaces),
	        cmocka_unit_test(test_preview_drops_head_style_script),
	        cmocka_unit_test(test_preview_decodes_common_entities),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
