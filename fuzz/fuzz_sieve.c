/*
 * sieve's parsers on hostile input. Even first byte: the bytes are a
 * ManageSieve server's answer, read line by line (in chunks of a size the
 * input picks) until an error or the end; every item must be
 * NUL-terminated and no literal may exceed the bound. Odd first byte: the
 * bytes are a Sieve script; if it reads as rules (ours, or Roundcube's
 * format), generating a script from those rules must succeed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sieve/sieve.h"
#include "core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *A;

struct mem {
	const uint8_t *p;
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

static void
responses(const uint8_t *p, size_t n, size_t chunk)
{
	struct mem m = {p, n, 0, chunk};
	struct sieve_src src;
	struct sieve_line lines[16];
	size_t k = 0, i;
	struct sieve_caps caps;
	struct perr err = {0};

	sieve_src_init(&src, mem_read, &m);
	while (k < 16 && sieve_read_line(&src, A, &lines[k], &err) == 0) {
		struct sieve_status st;

		for (i = 0; i < lines[k].n; i++)
			if (lines[k].items[i].s.p != NULL &&
			    (lines[k].items[i].s.p[lines[k].items[i].s.len] !=
			             '\0' ||
			     lines[k].items[i].s.len > SIEVE_LITERAL_MAX))
				abort();
		if (sieve_line_status(&lines[k], &st) && st.text != NULL)
			(void)sieve_error_line(st.text);
		k++;
	}
	/* A refusal must say why. */
	if (sieve_caps_parse(lines, k, A, &caps, &err) != 0 && err.msg == NULL)
		abort();
}

static void
script(const uint8_t *p, size_t n)
{
	struct sieve_rules r;
	struct perr err;
	bool foreign;
	struct sbuf out;
	struct sieve_caps caps = {0};
	static const char *const all[] = {
	        "body",    "copy",  "date",   "fileinto",   "imap4flags",
	        "mailbox", "regex", "reject", "relational", "vacation",
	};

	caps.extensions = (const char **)all;
	caps.n_extensions = sizeof(all) / sizeof(all[0]);
	if (sieve_script_parse((struct strv){(const char *)p, n}, A, &r,
	                       &foreign, &err) != 0 ||
	    foreign)
		return;
	sbuf_init(&out, A, 0, SIEVE_LITERAL_MAX);
	/* Ours: it must generate again (with every extension allowed). */
	if (sieve_script_generate(&r, &caps, &out, A, NULL, &err) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (A == NULL)
		A = arena_create("fuzz", 64 * 1024, 0);
	if (size < 2)
		return 0;
	if (data[0] % 2 == 0)
		responses(data + 2, size - 2, (size_t)(data[1] % 16) + 1);
	else
		script(data + 2, size - 2);
	arena_reset(A);
	return 0;
}
