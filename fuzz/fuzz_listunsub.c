/*
 * List-Unsubscribe and mailto: parsing (src/mime/listunsub.c), both fed
 * by a message's sender: arbitrary bytes must never crash them; every URL
 * returned is printable ASCII without spaces and has the scheme of its
 * slot; one_click needs an https URL; every mailto: field is UTF-8 without
 * control characters (the body may hold LF and TAB).
 *
 * Input: the List-Unsubscribe value, then "\n" and the -Post value; the
 * whole input is also tried as a mailto: URL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"
#include "core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_url(const char *u, const char *scheme)
{
	size_t i;

	if (u == NULL)
		return;
	if (strncmp(u, scheme, strlen(scheme)) != 0 &&
	    !strv_starts_with_ci_ascii(strv_from_cstr(u),
	                               strv_from_cstr(scheme)))
		abort();
	for (i = 0; u[i] != '\0'; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			abort();
}

static void
check_field(const char *s, bool body)
{
	struct strv v = strv_from_cstr(s);
	size_t i;

	if (!codec_utf8_valid(v))
		abort();
	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if ((c < 0x20 && !(body && (c == '\n' || c == '\t'))) ||
		    c == 0x7f)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_create("fuzz", 64 * 1024, 0);
	struct strv in = {(const char *)data, size}, value, post;
	struct mime_unsubscribe u;
	struct mime_mailto m;
	struct perr err;
	bool has_post = strv_split_once(in, '\n', &value, &post);
	int r;

	r = mime_list_unsubscribe_parse(value, has_post ? post : STRV_NULL, a,
	                                &u);
	if (r < -1 || r > 1)
		abort();
	check_url(u.https, "https://");
	check_url(u.http, "http://");
	check_url(u.mailto, "mailto:");
	if (u.one_click && u.https == NULL)
		abort();
	if (r != 1 && (u.https != NULL || u.http != NULL || u.mailto != NULL))
		abort();
	if (mime_mailto_parse(in, a, &m, &err) == 0) {
		check_field(m.to, false);
		check_field(m.cc, false);
		check_field(m.bcc, false);
		check_field(m.subject, false);
		check_field(m.body, true);
	}
	arena_destroy(&a);
	return 0;
}
