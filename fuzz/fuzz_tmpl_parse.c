/*
 * Fuzz target: template lexer, parser, strip modes, the auto-escape
 * context scanner and expansion with a fixed dictionary. The first byte
 * picks the strip mode and a pragma to prepend; the rest is the template.
 * It must never crash, and the output must respect the sbuf maximum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (256u * 1024)

static const char *const pragmas[] = {
        "",
        "{{%AUTOESCAPE context=\"HTML\"}}",
        "{{%AUTOESCAPE context=\"JAVASCRIPT\"}}",
        "{{%AUTOESCAPE context=\"HTML\" state=\"IN_TAG\"}}",
        "{{%AUTOESCAPE context=\"CSS\"}}",
        "{{%AUTOESCAPE context=\"JSON\"}}",
        "{{%AUTOESCAPE context=\"XML\"}}",
};

static void
fill(struct tmpl_dict *d, int depth)
{
	struct tmpl_dict *c;
	int i;

	tmpl_dict_set_cstr(d, "V", "<a href=\"javascript:x\">'&\n\r\t");
	tmpl_dict_set_cstr(d, "W", "\xe2\x80\xa8 0x1F -1e5 true");
	tmpl_dict_set_cstr(d, "FOO", "foo");
	tmpl_dict_show_section(d, "SHOWN");
	for (i = 0; i < 3; i++) {
		c = tmpl_dict_add_section(d, "S");
		tmpl_dict_set_int(c, "I", i);
		tmpl_dict_add_section(c, "T");
	}
	if (depth < 2) {
		c = tmpl_dict_add_include(d, "INC", "main");
		fill(c, depth + 1);
		tmpl_dict_add_include(d, "INC", "missing");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a;
	struct tmpl_cache *c;
	struct tmpl_dict *d;
	struct perr err = {0};
	struct sbuf out;
	struct sbuf text;
	enum tmpl_strip strip;
	int r;

	if (size < 1 || size > 64 * 1024)
		return 0;
	strip = (enum tmpl_strip)(data[0] % 3);
	a = arena_create("fuzz", 4096, 0);
	sbuf_init(&text, a, 0, 0);
	sbuf_append_cstr(&text, pragmas[(data[0] / 3) % 7]);
	sbuf_append(&text, data + 1, size - 1);
	c = tmpl_cache_create(NULL, 0);
	if (tmpl_cache_add_string(c, "main", sbuf_view(&text), strip, &err) ==
	    0) {
		d = tmpl_dict_create(a, "fuzz");
		tmpl_dict_set_template_global(d, "TG", STRV_LIT("<tg>"));
		fill(d, 0);
		tmpl_cache_freeze(c);
		sbuf_init(&out, a, 0, OUT_MAX);
		r = tmpl_expand(c, "main", strip, d, &out, &err);
		if (out.len > OUT_MAX)
			abort();
		if (r < 0 && err.msg == NULL)
			abort();
	} else if (err.msg == NULL || err.kind == PERR_OK) {
		abort();
	}
	tmpl_cache_unref(&c);
	arena_destroy(&a);
	return 0;
}
