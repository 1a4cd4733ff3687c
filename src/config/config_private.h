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

#endif
