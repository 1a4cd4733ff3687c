/*
 * `petrel doctor`: config validation, then every check for each domain
 * (or the one asked for), as text or JSON. Exit status 0 only when no
 * check is a problem, 2 for a --domain that is not a domain name.
 */
#include <stdio.h>
#include <string.h>

#include "doctor.h"
#include "admin/admin.h"
#include "core/banned.h"

struct diag_collect {
	struct arena *a;
	struct sbuf text;
	unsigned errors, warnings;
};

static void
collect(void *ctx, enum config_diag_level level, const char *file,
        unsigned line, const char *msg)
{
	struct diag_collect *c = ctx;

	if (level == CONFIG_DIAG_INFO)
		return;
	if (level == CONFIG_DIAG_ERROR)
		c->errors++;
	else
		c->warnings++;
	if (line > 0)
		sbuf_printf(&c->text, "%s%s:%u: %s",
		            sbuf_view(&c->text).len > 0 ? "; " : "", file, line,
		            msg);
	else
		sbuf_printf(&c->text, "%s%s: %s",
		            sbuf_view(&c->text).len > 0 ? "; " : "", file, msg);
}

/* A real domain to check: not the default, a wildcard or a disabled one. */
static bool
checkable(const struct config_domain *d)
{
	return strcmp(d->name, "default") != 0 &&
	       strchr(d->name, '*') == NULL && !d->disabled;
}

int
doctor_cli(const char *data_dir, const char *only_domain, bool json, FILE *out)
{
	struct arena *a = arena_create("doctor", 64 * 1024, 0);
	struct diag_collect dc = {.a = a};
	struct doctor_report conf;
	struct config *cfg = NULL;
	struct perr err = {0};
	struct sbuf o;
	enum doctor_status worst;
	size_t i, done = 0;

	if (only_domain != NULL &&
	    (!admin_domain_name_ok(strv_from_cstr(only_domain)) ||
	     strchr(only_domain, '*') != NULL ||
	     strcmp(only_domain, "default") == 0)) {
		fprintf(stderr,
		        "petrel doctor: --domain wants a mail domain such as "
		        "example.com, not \"%s\"\n",
		        only_domain);
		arena_destroy(&a);
		return 2;
	}
	sbuf_init(&dc.text, a, 256, 64 * 1024);
	sbuf_init(&o, a, 4096, 0);
	doctor_report_init(&conf, "configuration");
	(void)config_check(data_dir, 0, collect, &dc);
	doctor_add(
	        &conf, a, "config", "Configuration",
	        dc.errors > 0     ? DOCTOR_PROBLEM
	        : dc.warnings > 0 ? DOCTOR_WARNING
	                          : DOCTOR_OK,
	        "Petrel refuses to start with a broken configuration.",
	        dc.errors + dc.warnings > 0
	                ? "Run petrel check-config for the list and fix each "
	                  "line."
	                : NULL,
	        "%s: %u error(s), %u warning(s)%s%s", data_dir, dc.errors,
	        dc.warnings, dc.errors + dc.warnings > 0 ? ": " : "",
	        sbuf_ok(&dc.text) ? sbuf_cstr(&dc.text) : "");
	worst = doctor_report_worst(&conf);
	if (json)
		sbuf_append_cstr(&o, "{\"reports\":[");
	if (json)
		doctor_report_json(&conf, &o);
	else
		doctor_report_text(&conf, &o);
	if (dc.errors == 0 &&
	    config_load(data_dir, NULL, NULL, &cfg, a, &err) == 0) {
		for (i = 0; i <= cfg->domain_count; i++) {
			const char *name;
			struct doctor_report rep;

			if (only_domain != NULL) {
				if (i > 0)
					break;
				name = only_domain;
			} else if (i < cfg->domain_count &&
			           checkable(&cfg->domains[i])) {
				name = cfg->domains[i].name;
			} else {
				continue;
			}
			doctor_report_init(&rep, name);
			doctor_check_domain(cfg, name,
			                    DOCTOR_SERVERS | DOCTOR_PORT25, a,
			                    &rep);
			if (doctor_report_worst(&rep) > worst)
				worst = doctor_report_worst(&rep);
			if (json) {
				sbuf_append_char(&o, ',');
				doctor_report_json(&rep, &o);
			} else {
				sbuf_append_char(&o, '\n');
				doctor_report_text(&rep, &o);
			}
			done++;
		}
		config_unref(&cfg);
	}
	if (json)
		sbuf_printf(&o, "],\"status\":\"%s\"}\n",
		            doctor_status_name(worst));
	else if (done == 0 && dc.errors == 0)
		sbuf_append_cstr(&o, "\nNo mail domain is configured; name one "
		                     "with --domain.\n");
	else
		sbuf_printf(&o, "\nOverall: %s\n", doctor_status_name(worst));
	if (sbuf_ok(&o))
		fputs(sbuf_cstr(&o), out);
	arena_destroy(&a);
	return worst == DOCTOR_PROBLEM ? 1 : 0;
}
