/*
 * The report: checks appended in order, and their text and JSON forms.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor.h"
#include "core/banned.h"

const char *
doctor_status_name(enum doctor_status s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARNING:
		return "warning";
	case DOCTOR_PROBLEM:
		return "problem";
	}
	return "?";
}

void
doctor_report_init(struct doctor_report *rep, const char *domain)
{
	memset(rep, 0, sizeof(*rep));
	rep->domain = domain;
	rep->dnssec = true;
}

enum doctor_status
doctor_report_worst(const struct doctor_report *rep)
{
	enum doctor_status w = DOCTOR_OK;
	size_t i;

	for (i = 0; i < rep->count; i++)
		if (rep->checks[i].status > w)
			w = rep->checks[i].status;
	return w;
}

void
doctor_add(struct doctor_report *rep, struct arena *a, const char *id,
           const char *title, enum doctor_status st, const char *why,
           const char *fix, const char *fmt, ...)
{
	struct doctor_check *c;
	va_list ap;

	if (rep->count == rep->cap) {
		size_t cap = rep->cap != 0 ? rep->cap * 2 : 16;
		struct doctor_check *n =
		        arena_new_array(a, struct doctor_check, cap);

		if (n == NULL)
			return;
		if (rep->count > 0)
			memcpy(n, rep->checks, rep->count * sizeof(*n));
		rep->checks = n;
		rep->cap = cap;
	}
	c = &rep->checks[rep->count++];
	c->id = id;
	c->title = title;
	c->status = st;
	c->why = why;
	c->fix = fix != NULL ? arena_strdup(a, fix) : NULL;
	va_start(ap, fmt);
	c->found = arena_vprintf(a, fmt, ap);
	va_end(ap);
}

void
doctor_report_text(const struct doctor_report *rep, struct sbuf *out)
{
	static const char *const mark[] = {"ok     ", "WARNING", "PROBLEM"};
	size_t i;

	sbuf_printf(out, "== %s ==\n", rep->domain);
	if (rep->resolver != NULL)
		sbuf_printf(out, "   DNS resolver %s%s\n", rep->resolver,
		            !rep->dns_seen ? ""
		            : rep->dnssec  ? ", answers DNSSEC-validated"
		                           : ", answers not DNSSEC-validated");
	for (i = 0; i < rep->count; i++) {
		const struct doctor_check *c = &rep->checks[i];

		sbuf_printf(out, "[%s] %s: %s\n", mark[c->status], c->title,
		            c->found);
		if (c->status != DOCTOR_OK && c->why != NULL)
			sbuf_printf(out, "          why: %s\n", c->why);
		if (c->fix != NULL)
			sbuf_printf(out, "          fix: %s\n", c->fix);
	}
}

/*
 * A JSON string. The texts hold what servers sent (TXT records, SMTP
 * greetings): bytes that are not UTF-8 become U+FFFD, so the output
 * always parses.
 */
static void
json_str(struct sbuf *out, const char *s)
{
	size_t n, i = 0;

	if (s == NULL) {
		sbuf_append_cstr(out, "null");
		return;
	}
	n = strlen(s);
	sbuf_append_char(out, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;

		if (c >= 0x80) {
			i += codec_utf8_next(s + i, n - i, &cp);
			codec_utf8_put(out, cp);
			continue;
		}
		if (c == '"' || c == '\\') {
			sbuf_append_char(out, '\\');
			sbuf_append_char(out, (char)c);
		} else if (c == '\n') {
			sbuf_append_cstr(out, "\\n");
		} else if (c < 0x20 || c == 0x7f) {
			sbuf_printf(out, "\\u%04x", c);
		} else {
			sbuf_append_char(out, (char)c);
		}
		i++;
	}
	sbuf_append_char(out, '"');
}

void
doctor_report_json(const struct doctor_report *rep, struct sbuf *out)
{
	size_t i;

	sbuf_append_cstr(out, "{\"domain\":");
	json_str(out, rep->domain);
	sbuf_append_cstr(out, ",\"resolver\":");
	json_str(out, rep->resolver);
	sbuf_printf(out, ",\"dnssec\":%s,\"status\":",
	            rep->dns_seen && rep->dnssec ? "true" : "false");
	json_str(out, doctor_status_name(doctor_report_worst(rep)));
	sbuf_append_cstr(out, ",\"checks\":[");
	for (i = 0; i < rep->count; i++) {
		const struct doctor_check *c = &rep->checks[i];

		sbuf_append_cstr(out, i > 0 ? ",{\"id\":" : "{\"id\":");
		json_str(out, c->id);
		sbuf_append_cstr(out, ",\"title\":");
		json_str(out, c->title);
		sbuf_append_cstr(out, ",\"status\":");
		json_str(out, doctor_status_name(c->status));
		sbuf_append_cstr(out, ",\"found\":");
		json_str(out, c->found);
		sbuf_append_cstr(out, ",\"why\":");
		json_str(out, c->why);
		sbuf_append_cstr(out, ",\"fix\":");
		json_str(out, c->fix);
		sbuf_append_char(out, '}');
	}
	sbuf_append_cstr(out, "]}");
}
