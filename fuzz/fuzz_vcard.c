/*
 * vCard import and export (src/mime/vcard.c): arbitrary bytes must never
 * crash the parser; every value it returns is valid UTF-8 within
 * MIME_VCARD_MAX_VALUE without control characters (LF allowed in notes);
 * every card written and parsed again gives the same card, and the
 * written lines are at most 75 octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"
#include "core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_value(const char *s, bool multiline)
{
	struct strv v = strv_from_cstr(s);
	size_t i;

	if (v.len > MIME_VCARD_MAX_VALUE || !codec_utf8_valid(v))
		abort();
	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if ((c < 0x20 && !(multiline && c == '\n')) || c == 0x7f)
			abort();
	}
}

static void
check_card(const struct mime_vcard *c)
{
	size_t i;

	check_value(c->name, false);
	check_value(c->phone, false);
	check_value(c->organization, false);
	check_value(c->notes, true);
	if (c->n_emails > MIME_VCARD_MAX_EMAILS)
		abort();
	for (i = 0; i < c->n_emails; i++) {
		check_value(c->emails[i], false);
		if (c->emails[i][0] == '\0')
			abort();
	}
}

static void
same(const struct mime_vcard *a, const struct mime_vcard *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || strcmp(a->phone, b->phone) != 0 ||
	    strcmp(a->organization, b->organization) != 0 ||
	    strcmp(a->notes, b->notes) != 0 || a->n_emails != b->n_emails)
		abort();
	for (i = 0; i < a->n_emails; i++)
		if (strcmp(a->emails[i], b->emails[i]) != 0)
			abort();
}

static void
check_lines(struct strv s)
{
	size_t i, col = 0;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '\r') {
			if (i + 1 >= s.len || s.p[i + 1] != '\n')
				abort();
			i++;
			col = 0;
			continue;
		}
		if (++col > 75)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_create("fuzz", 64 * 1024, 0);
	struct mime_vcard *cards, *again;
	struct perr err = {0};
	size_t n, n2, broken, i;
	struct sbuf out;

	if (mime_vcard_parse((struct strv){(const char *)data, size}, 50, a,
	                     &cards, &n, &broken, &err) == 0) {
		for (i = 0; i < n; i++) {
			check_card(&cards[i]);
			sbuf_init(&out, a, 256, 1u << 24);
			mime_vcard_write(&cards[i], &out);
			if (!sbuf_ok(&out))
				abort();
			check_lines(sbuf_view(&out));
			if (mime_vcard_parse(sbuf_view(&out), 1, a, &again, &n2,
			                     &broken, &err) != 0 ||
			    n2 != 1 || broken != 0)
				abort();
			same(&cards[i], &again[0]);
		}
	}
	arena_destroy(&a);
	return 0;
}
