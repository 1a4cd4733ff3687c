/*
 * ini reader and writer: arbitrary bytes must never crash the parser;
 * a parsed document must serialise back byte for byte; rewriting every
 * key with its own value (and adding one) must re-parse to the same
 * key/values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_same(const struct ini_doc *a, const struct ini_doc *b)
{
	size_t i, n = ini_entry_count(a);

	for (i = 0; i < n; i++) {
		struct ini_entry e, f;

		ini_entry_at(a, i, &e);
		if (!ini_get(a, e.section, e.key, &e))
			abort();
		if (!ini_get(b, e.section, e.key, &f))
			abort();
		if (!strv_eq(e.value, f.value))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv text = {(const char *)data, size};
	struct ini_doc *doc, *again;
	struct ini_entry e;
	struct sbuf out;
	size_t i, n;

	if (ini_parse("fuzz.ini", text, NULL, NULL, &doc, NULL, NULL) < 0)
		return 0;
	sbuf_init(&out, NULL, 256, 4 * CONFIG_INI_MAX_SIZE);
	ini_serialize(doc, &out);
	if (!sbuf_ok(&out) || !strv_eq(sbuf_view(&out), text))
		abort();

	n = ini_entry_count(doc);
	for (i = 0; i < n; i++) {
		char *section, *key;
		struct strv value;

		ini_entry_at(doc, i, &e);
		/* Copies: ini_set may change the entry's memory. */
		section = pt_xstrdup(e.section);
		key = pt_xstrdup(e.key);
		value.p = pt_xstrndup(e.value.p, e.value.len);
		value.len = e.value.len;
		if (ini_get(doc, section, key, &e) &&
		    ini_set(doc, section, key, value, NULL) < 0)
			abort();
		free(section);
		free(key);
		free((void *)(uintptr_t)value.p);
	}
	if (ini_set(doc, "fuzz section", "fuzz.key", STRV_LIT("v \"$\\"),
	            NULL) < 0 ||
	    ini_set(doc, "", "fuzz_global", STRV_LIT("g"), NULL) < 0)
		abort();
	sbuf_reset(&out);
	ini_serialize(doc, &out);
	if (!sbuf_ok(&out))
		abort();
	if (ini_parse("again.ini", sbuf_view(&out), NULL, NULL, &again, NULL,
	              NULL) < 0)
		abort();
	check_same(doc, again);
	check_same(again, doc);
	ini_destroy(&again);
	sbuf_free(&out);
	ini_destroy(&doc);
	return 0;
}
