/* Shared inside src/config only. */
#ifndef PETREL_CONFIG_PRIVATE_H
#define PETREL_CONFIG_PRIVATE_H

#include "config/config.h"

/* The data/ templates, embedded at build time (config_templates.c). */
extern const char config_tmpl_application_ini[];
extern const size_t config_tmpl_application_ini_len;
extern const char config_tmpl_domain_ini[];
extern const size_t config_tmpl_domain_ini_len;

/*
 * Append the file's bytes to out (bounded by out's max). PERR_NOTFOUND
 * for a missing file, PERR_LIMIT if too large, else PERR_INTERNAL.
 */
int config_read_file(const char *path, struct sbuf *out, struct arena *a,
                     struct perr *err) PT_WARN_UNUSED;
/* True if the reader would accept key as a key name. */
bool ini_key_valid(struct strv key);
extern const char ini_broken_section[];
/*
 * As ini_load, but a file with broken lines still yields a document (the
 * broken lines reported to diag and kept as opaque lines), so the values
 * of its good lines can be checked too.
 */
int ini_load_keep_broken(const char *path, config_diag_fn *diag, void *ctx,
                         struct ini_doc **doc_r, struct arena *a,
                         struct perr *err);

/* Collects diagnostics and counts them; forwards to the caller's sink. */
struct diag_sink {
	config_diag_fn *fn;
	void *ctx;
	bool strict;
	bool describe; /* config_check(): also report CONFIG_DIAG_INFO */
	unsigned errors, warnings;
	struct arena *a;
	const char *first; /* "file:line: msg" of the first error */
};

void config_sink_diag(void *ctx, enum config_diag_level level, const char *file,
                      unsigned line, const char *msg);
void config_sink_report(struct diag_sink *s, enum config_diag_level level,
                        const char *file, unsigned line, const char *fmt, ...)
        PT_PRINTF(5, 6);

/* The built-in defaults of a domain (as default.ini would give). */
void config_domain_defaults(struct config_domain *d, struct arena *a);
/*
 * Set one domain setting by its ini key from text (quoted: as a quoted
 * ini value). Returns false without a report if key is not a domain key;
 * a bad value is reported to sink (and true returned).
 */
bool config_domain_set_key(struct config_domain *d, const char *key,
                           struct strv value, bool quoted, unsigned line,
                           struct arena *a, struct diag_sink *sink,
                           const char *file);
/* Apply a domain .ini document's keys to d (unknown keys: warnings). */
void config_domain_apply_ini(struct config_domain *d, const struct ini_doc *doc,
                             struct arena *a, struct diag_sink *sink,
                             const char *file);
/*
 * Load cfg's domains/ (every format, aliases, the disabled list) into
 * cfg->domains and cfg->default_domain; problems to sink. With
 * sink->describe, one CONFIG_DIAG_INFO line per domain says where it
 * comes from.
 */
void config_domains_load(struct config *cfg, struct diag_sink *sink);
/* Read a SnappyMail <domain>.json file into d (over its defaults). */
void config_json_domain_read(struct config_domain *d, const char *path,
                             struct arena *a, struct diag_sink *sink);

#endif
