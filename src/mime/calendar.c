/*
 * A readable summary of an iCalendar (RFC 5545) invitation. Only the
 * first VEVENT is read, and only the properties a reader needs to decide
 * about it; the full object stays downloadable as an attachment.
 */
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "core/banned.h"

#define CAL_MAX_VALUE 1024

/* RFC 5545 3.1: a line starting with a space or tab continues the last. */
static struct strv
unfold(struct strv ics, struct arena *a)
{
	char *out = arena_alloc(a, ics.len + 1);
	size_t i, n = 0;

	if (out == NULL)
		return STRV_LIT("");
	for (i = 0; i < ics.len; i++) {
		if (ics.p[i] == '\r')
			continue;
		if (ics.p[i] == '\n' && i + 1 < ics.len &&
		    (ics.p[i + 1] == ' ' || ics.p[i + 1] == '\t')) {
			i++;
			continue;
		}
		out[n++] = ics.p[i];
	}
	out[n] = '\0';
	return (struct strv){out, n};
}

/* Undo TEXT escapes (\n \, \; \\) and bound the length. */
static const char *
text_value(struct strv v, struct arena *a)
{
	struct sbuf b;
	size_t i;

	/*
	 * Bound the input, not the output: a value cut by the buffer limit
	 * used to be returned as raw bytes, not UTF-8 (fuzz_mime). Cut here,
	 * mime_to_utf8() below repairs a character split at the end.
	 */
	if (v.len > CAL_MAX_VALUE)
		v.len = CAL_MAX_VALUE;
	sbuf_init(&b, a, v.len + 1, CAL_MAX_VALUE);
	for (i = 0; i < v.len; i++) {
		char c = v.p[i];

		if (c == '\\' && i + 1 < v.len) {
			c = v.p[++i];
			if (c == 'n' || c == 'N')
				c = ' ';
		}
		if ((unsigned char)c < 0x20)
			c = ' ';
		sbuf_append_char(&b, c);
	}
	if (!sbuf_ok(&b))
		return ""; /* the arena's limit */
	return mime_to_utf8(STRV_LIT("utf-8"), sbuf_view(&b), a);
}

static bool
all_digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* 20251020T140000Z → "2025-10-20 14:00 UTC"; params may hold TZID=. */
static const char *
date_value(struct strv params, struct strv v, struct arena *a)
{
	const char *tz = "";
	ptrdiff_t t = strv_find(params, STRV_LIT("TZID="));

	if (t >= 0) {
		struct strv z = {params.p + t + 5, params.len - (size_t)t - 5};
		ptrdiff_t semi = strv_find_char(z, ';');

		if (semi >= 0)
			z.len = (size_t)semi;
		tz = arena_printf(a, " (%s)", text_value(z, a));
	}
	if (v.len >= 8 && all_digits(v.p, 8)) {
		if (v.len >= 13 && v.p[8] == 'T' && all_digits(v.p + 9, 4))
			return arena_printf(
			        a, "%.4s-%.2s-%.2s %.2s:%.2s%s%s", v.p, v.p + 4,
			        v.p + 6, v.p + 9, v.p + 11,
			        v.len >= 16 && v.p[15] == 'Z' ? " UTC" : "",
			        tz);
		return arena_printf(a, "%.4s-%.2s-%.2s%s", v.p, v.p + 4,
		                    v.p + 6, tz);
	}
	return text_value(v, a);
}

/* ORGANIZER;CN=Carol:mailto:carol@x → "Carol <carol@x>". */
static const char *
person_value(struct strv params, struct strv v, struct arena *a)
{
	ptrdiff_t cn = strv_find(params, STRV_LIT("CN="));
	const char *mail;

	if (strv_starts_with_ci_ascii(v, STRV_LIT("mailto:")))
		v.p += 7, v.len -= 7;
	mail = text_value(v, a);
	if (cn >= 0) {
		struct strv n = {params.p + cn + 3,
		                 params.len - (size_t)cn - 3};
		ptrdiff_t semi = strv_find_char(n, ';');

		if (semi >= 0)
			n.len = (size_t)semi;
		if (n.len >= 2 && n.p[0] == '"' && n.p[n.len - 1] == '"')
			n.p++, n.len -= 2;
		return arena_printf(a, "%s <%s>", text_value(n, a), mail);
	}
	return mail;
}

const char *
mime_calendar_summary(struct strv ics, struct arena *a)
{
	static const char *const keys[] = {"SUMMARY", "DTSTART", "DTEND",
	                                   "LOCATION", "ORGANIZER"};
	static const char *const labels[] = {"Event", "Start", "End",
	                                     "Location", "Organizer"};
	const char *vals[PT_NELEM(keys)] = {NULL};
	const char *method = NULL;
	struct strv text = unfold(ics, a);
	size_t pos = 0, i;
	int state = 0; /* 0: before VEVENT, 1: inside, 2: done */
	struct sbuf out;

	while (pos < text.len && state < 2) {
		size_t end = pos;
		struct strv line, name, params = STRV_NULL, value;
		ptrdiff_t colon;

		while (end < text.len && text.p[end] != '\n')
			end++;
		line = (struct strv){text.p + pos, end - pos};
		pos = end + 1;
		colon = strv_find_char(line, ':');
		if (colon < 0)
			continue;
		name = (struct strv){line.p, (size_t)colon};
		value = (struct strv){line.p + colon + 1,
		                      line.len - (size_t)colon - 1};
		{
			ptrdiff_t semi = strv_find_char(name, ';');

			if (semi >= 0) {
				params = (struct strv){name.p + semi + 1,
				                       name.len - (size_t)semi -
				                               1};
				name.len = (size_t)semi;
			}
		}
		if (strv_eq_ci_ascii(name, STRV_LIT("BEGIN")) &&
		    strv_eq_ci_ascii(strv_trim(value), STRV_LIT("VEVENT"))) {
			state = 1;
			continue;
		}
		if (strv_eq_ci_ascii(name, STRV_LIT("END")) &&
		    strv_eq_ci_ascii(strv_trim(value), STRV_LIT("VEVENT"))) {
			state = 2;
			continue;
		}
		if (state == 0 && strv_eq_ci_ascii(name, STRV_LIT("METHOD")))
			method = text_value(strv_trim(value), a);
		if (state != 1)
			continue;
		for (i = 0; i < PT_NELEM(keys); i++) {
			if (vals[i] != NULL ||
			    !strv_eq_ci_ascii(name, strv_from_cstr(keys[i])))
				continue;
			if (i == 1 || i == 2)
				vals[i] =
				        date_value(params, strv_trim(value), a);
			else if (i == 4)
				vals[i] = person_value(params, strv_trim(value),
				                       a);
			else
				vals[i] = text_value(value, a);
		}
	}
	if (state == 0)
		return NULL;
	sbuf_init(&out, a, 256, 0);
	for (i = 0; i < PT_NELEM(keys); i++)
		if (vals[i] != NULL && vals[i][0] != '\0')
			sbuf_printf(&out, "%s: %s\n", labels[i], vals[i]);
	if (method != NULL && strcasecmp(method, "REQUEST") == 0)
		sbuf_append_cstr(&out, "(Invitation)\n");
	else if (method != NULL && strcasecmp(method, "CANCEL") == 0)
		sbuf_append_cstr(&out, "(Cancelled)\n");
	return sbuf_cstr(&out);
}
