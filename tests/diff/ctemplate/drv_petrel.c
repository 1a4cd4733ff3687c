/*
 * Differential driver, Petrel side: expand one case with src/tmpl and
 * print "OK\n" + the output, or "ERROR\n".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl.h"
#include "diffcase.h"

static void
x_upper(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;

	(void)arg;
	(void)ctx;
	for (i = 0; i < in.len; i++)
		sbuf_append_char(out, (char)(in.p[i] >= 'a' && in.p[i] <= 'z'
		                                     ? in.p[i] - 32
		                                     : in.p[i]));
}

/* A template error is an expected outcome: say so and exit cleanly. */
static int
error(struct tmpl_cache **cache, struct arena **a)
{
	fputs("ERROR\n", stdout);
	tmpl_cache_unref(cache);
	arena_destroy(a);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct diffcase c;
	struct arena *a = arena_create("diff", 4096, 0);
	struct tmpl_cache *cache = tmpl_cache_create(NULL, 0);
	struct tmpl_dict *stack[64];
	struct perr err = {0};
	struct sbuf out;
	size_t i, sp = 0;
	enum tmpl_strip strip;
	int rc;

	if (argc != 2 || diffcase_load(argv[1], &c) < 0)
		return 2;
	if (tmpl_modifier_register("x-upper", x_upper, NULL, false, &err) < 0 ||
	    tmpl_modifier_register("x-safe", x_upper, NULL, true, &err) < 0)
		return 2;
	strip = (enum tmpl_strip)c.strip;
	for (i = 0; i < c.nfiles; i++)
		if (tmpl_cache_add_string(
		            cache, c.fname[i].p,
		            (struct strv){c.ftext[i].p, c.ftext[i].len}, strip,
		            &err) < 0)
			return error(&cache, &a);
	stack[0] = tmpl_dict_create(a, "root");
	for (i = 0; i < c.nops; i++) {
		const struct diffcase_op *op = &c.ops[i];
		struct strv v = {op->b.p, op->b.len};

		if (strcmp(op->op, "set") == 0) {
			tmpl_dict_set(stack[sp], op->a.p, v);
		} else if (strcmp(op->op, "global") == 0) {
			tmpl_global_set(op->a.p, v);
		} else if (strcmp(op->op, "tglobal") == 0) {
			tmpl_dict_set_template_global(stack[sp], op->a.p, v);
		} else if (strcmp(op->op, "show") == 0) {
			tmpl_dict_show_section(stack[sp], op->a.p);
		} else if (strcmp(op->op, "tshow") == 0) {
			tmpl_dict_show_template_global_section(stack[sp],
			                                       op->a.p);
		} else if (strcmp(op->op, "section") == 0 && sp < 63) {
			stack[sp + 1] =
			        tmpl_dict_add_section(stack[sp], op->a.p);
			sp++;
		} else if (strcmp(op->op, "include") == 0 && sp < 63) {
			stack[sp + 1] = tmpl_dict_add_include(
			        stack[sp], op->a.p, op->b.len ? op->b.p : NULL);
			sp++;
		} else if (strcmp(op->op, "end") == 0 && sp > 0) {
			sp--;
		} else {
			fprintf(stderr, "bad op %s\n", op->op);
			return 2;
		}
	}
	sbuf_init(&out, a, 0, 1 << 24);
	rc = tmpl_expand(cache, c.fname[0].p, strip, stack[0], &out, &err);
	if (rc < 0)
		return error(&cache, &a);
	fputs("OK\n", stdout);
	fwrite(out.data, 1, out.len, stdout);
	tmpl_cache_unref(&cache);
	arena_destroy(&a);
	return 0;
}
