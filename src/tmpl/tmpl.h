/*
 * tmpl - the ctemplate language in C (docs: /work/shared/CTEMPLATE.md).
 *
 * A template is loaded once (parsed, whitespace-stripped and auto-escaped)
 * into a struct tmpl_cache, and expanded many times against a dictionary
 * tree (struct tmpl_dict) that lives in the request arena.
 *
 * Language summary: {{VAR[:mod[=val]...]}}, {{#SEC}}...{{/SEC}} (shown zero,
 * one or many times; a direct child {{#SEC_separator}} runs between
 * iterations), {{>INC[:mod...]}} (once per include dictionary, which has no
 * parent), {{!comment}}, {{=<% %>=}} (new delimiters) and
 * {{%AUTOESCAPE context="HTML|JAVASCRIPT|CSS|JSON|XML" [state="IN_TAG"]}}.
 *
 * Invariants and design:
 * - Escaping is decided at LOAD time. With the AUTOESCAPE pragma an
 *   HTML/JS/CSS context scanner walks the text in document order and
 *   appends the escaping modifier each variable needs; unsafe positions
 *   (a whole URL in an unquoted attribute, unquoted style or on* values,
 *   an include inside a tag) are load errors carrying file:line.
 * - Once frozen, a cache is never mutated: any number of threads may
 *   expand from it at once without locks. An unfrozen cache loads missing
 *   includes on demand under an internal mutex (development mode).
 * - Dictionaries are allocated from one arena and die with it. A
 *   dictionary is only ever written by the thread that builds it; a
 *   fallback dictionary (tmpl_dict_set_fallback) is only read.
 * - Expansion writes into a bounded sbuf; a runaway expansion fails with
 *   PERR_LIMIT instead of growing without bound. On any failure the output
 *   must be discarded (it may hold a partial page).
 *
 * Differences from the C++ library are the [Petrel] decisions of
 * CTEMPLATE.md: json_escape also escapes C0 controls as \u00XX, the URL
 * check accepts ftp://, an include outside HTML text is a load error, a
 * missing include is an expansion error, and a strict mode rejects
 * templates without the pragma and unknown x- modifiers.
 */
#ifndef PETREL_TMPL_H
#define PETREL_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Whitespace stripping, chosen per load (name + strip = one cache entry). */
enum tmpl_strip {
	TMPL_DO_NOT_STRIP = 0,
	TMPL_STRIP_BLANK_LINES,
	TMPL_STRIP_WHITESPACE,
};

/* ---- modifiers ------------------------------------------------------- */

/*
 * A modifier appends the transformed form of `in` to `out`. `arg` is the
 * text after '=' in {{VAR:x-name=arg}} (empty when there is none); `ctx` is
 * the pointer given at registration. Modifiers must not keep `in` and must
 * be thread-safe (they run concurrently during expansion).
 */
typedef void tmpl_modifier_fn(struct strv in, struct strv arg, void *ctx,
                              struct sbuf *out);

/*
 * Register an application modifier. `name` must start with "x-" and hold
 * only [A-Za-z0-9_-] before an optional "=value" specialisation:
 *   "x-foo"      matches {{V:x-foo}} only (no value allowed);
 *   "x-foo="     matches {{V:x-foo=anything}};
 *   "x-foo=bar"  matches exactly {{V:x-foo=bar}} (and wins over "x-foo=").
 * xss_safe: the modifier makes its output safe in every context, so
 * auto-escape adds nothing after it (ctemplate's AddXssSafeModifier).
 * Register at startup, before loading templates: a template resolves its
 * modifiers at load. Returns 0, or -1 for a bad or duplicate name.
 */
int tmpl_modifier_register(const char *name, tmpl_modifier_fn *fn, void *ctx,
                           bool xss_safe, struct perr *err) PT_WARN_UNUSED;

/*
 * The replacement for an unsafe URL under :I=... ("/images/cleardot.gif"
 * by default). The string must live for the process; set it at startup.
 */
void tmpl_set_img_src_fallback(const char *url);

/*
 * Apply one built-in modifier by name, for tests and callers that need the
 * exact escaping outside a template. `spec` is what follows ':' in a marker
 * ("h", "html_escape_with_arg=snippet", "U=html"). Returns -1 if unknown.
 */
int tmpl_modifier_apply(const char *spec, struct strv in,
                        struct sbuf *out) PT_WARN_UNUSED;

/* ---- global dictionary ----------------------------------------------- */

/*
 * Process-wide values, consulted last (after the fallback dictionary).
 * BI_SPACE=" " and BI_NEWLINE="\n" are predefined. The value is copied.
 * Thread-safe, but meant for startup: each lookup miss takes a read lock.
 */
void tmpl_global_set(const char *name, struct strv value);

/* ---- dictionaries ---------------------------------------------------- */

struct tmpl_dict;

/*
 * A new root dictionary in `a`. Everything hanging off it (values,
 * sections, includes, template globals) is allocated from `a` and lives
 * until the arena is reset. Returns NULL only when the arena is full.
 *
 * All tmpl_dict_* functions accept d == NULL and then do nothing, so a
 * chain of calls needs no checks: a failed allocation marks the whole
 * tree as failed and tmpl_expand() then returns PERR_LIMIT.
 * Names are copied; they should match [A-Za-z0-9_]+ to be reachable.
 */
struct tmpl_dict *tmpl_dict_create(struct arena *a, const char *debug_name);

/* Set (or replace) a variable; the value bytes (may hold NUL) are copied. */
void tmpl_dict_set(struct tmpl_dict *d, const char *name, struct strv value);
void tmpl_dict_set_cstr(struct tmpl_dict *d, const char *name,
                        const char *value);
/* As tmpl_dict_set without copying: value must outlive the expansion. */
void tmpl_dict_set_static(struct tmpl_dict *d, const char *name,
                          struct strv value);
void tmpl_dict_set_int(struct tmpl_dict *d, const char *name, long long v);
void tmpl_dict_setf(struct tmpl_dict *d, const char *name, const char *fmt, ...)
        PT_PRINTF(3, 4);

/*
 * Append a child dictionary to section `name` and return it: N calls give
 * N repetitions, in order. The child's parent is d, so it inherits d's
 * values (resolved at expansion time). NULL on arena exhaustion.
 */
struct tmpl_dict *tmpl_dict_add_section(struct tmpl_dict *d, const char *name);
/* Show section `name` once with d's own values (no-op if already shown). */
void tmpl_dict_show_section(struct tmpl_dict *d, const char *name);
/*
 * If value is non-empty, add one section dictionary to `section` and set
 * var=value in it; if empty, do nothing (the section stays hidden).
 */
void tmpl_dict_set_value_and_show_section(struct tmpl_dict *d, const char *var,
                                          struct strv value,
                                          const char *section);
/*
 * Add a dictionary for {{>name}} that expands template `filename` (a cache
 * name, loaded with the includer's strip mode). The new dictionary has no
 * parent: only template globals, the fallback and the global dictionary
 * are visible through it. filename NULL or "" means the include emits
 * nothing. NULL on arena exhaustion.
 */
struct tmpl_dict *tmpl_dict_add_include(struct tmpl_dict *d, const char *name,
                                        const char *filename);
/* Template-global values and sections: visible in every template of this
 * expansion, includes included (the whole tree shares them). */
void tmpl_dict_set_template_global(struct tmpl_dict *d, const char *name,
                                   struct strv value);
void tmpl_dict_show_template_global_section(struct tmpl_dict *d,
                                            const char *name);
/*
 * [Petrel] A read-only dictionary consulted for variables after the
 * template-global values and before the global dictionary, from every
 * template of the expansion. Typical use: the language catalog built once
 * at startup in a long-lived arena. It is never written through `root`, so
 * many requests may share it concurrently; it must not be modified while
 * any expansion may read it. Only its own variables are used.
 */
void tmpl_dict_set_fallback(struct tmpl_dict *root,
                            const struct tmpl_dict *fallback);
/* Look a variable up as {{name}} would (for tests and debugging). */
struct strv tmpl_dict_lookup(const struct tmpl_dict *d, const char *name);
/* False once any allocation for this dictionary tree failed. */
bool tmpl_dict_ok(const struct tmpl_dict *d) PT_WARN_UNUSED;

/* ---- cache ----------------------------------------------------------- */

struct tmpl_cache;

/* Reject templates without an AUTOESCAPE pragma and unknown x- modifiers
 * (templates/ lint; `petrel check-config`). */
#define TMPL_CACHE_STRICT 0x1u

/*
 * A cache reading templates from root_dir (copied; NULL: string templates
 * only). Never returns NULL. Destroy with tmpl_cache_unref().
 * The cache is reference-counted: the creator holds one reference.
 */
struct tmpl_cache *tmpl_cache_create(const char *root_dir, unsigned flags);
/* Take one more reference (a request pins the cache it started with). */
void tmpl_cache_ref(struct tmpl_cache *c);
/* Drop a reference; the last one frees the cache. Sets *cp = NULL. */
void tmpl_cache_unref(struct tmpl_cache **cp);

/*
 * Load (parse, strip, auto-escape) `name`, a path relative to root_dir
 * made of plain components (no "..", no leading '/', no empty component).
 * Loading an entry that is already cached is a no-op returning 0.
 * Errors: PERR_INPUT for a bad name or a template error ("file:line:
 * message"), PERR_NOTFOUND for a missing file, PERR_LIMIT for a file over
 * 4 MiB, PERR_FORBIDDEN on a frozen cache. Messages live in the cache.
 */
int tmpl_cache_load(struct tmpl_cache *c, const char *name,
                    enum tmpl_strip strip, struct perr *err) PT_WARN_UNUSED;
/* Register `text` under `key` (no disk access; replaces nothing: a key
 * already present with this strip mode is an error). */
int tmpl_cache_add_string(struct tmpl_cache *c, const char *key,
                          struct strv text, enum tmpl_strip strip,
                          struct perr *err) PT_WARN_UNUSED;
/*
 * Load every *.tpl file under root_dir (recursively, sorted, hidden files
 * and directories skipped) with `strip`, so that every syntax and escaping
 * error shows up at startup. Stops at the first error.
 */
int tmpl_cache_load_all(struct tmpl_cache *c, enum tmpl_strip strip,
                        struct perr *err) PT_WARN_UNUSED;
/* Production mode: no more loads; expansion then takes no lock. */
void tmpl_cache_freeze(struct tmpl_cache *c);
bool tmpl_cache_is_frozen(const struct tmpl_cache *c);
/*
 * For SIGHUP: a new cache with the same root and flags, holding fresh
 * loads of every file-based entry of `c` (and copies of its string
 * entries), frozen if `c` was. `c` is untouched; swap the pointer and
 * unref the old cache when the requests using it are done. NULL on error
 * (the old cache keeps serving).
 */
struct tmpl_cache *tmpl_cache_reload_clone(const struct tmpl_cache *c,
                                           struct perr *err) PT_WARN_UNUSED;

/* ---- expansion ------------------------------------------------------- */

/*
 * Expand template `name` (loaded with `strip`) against `d`, appending to
 * `out`. On an unfrozen cache a template not yet loaded is loaded first.
 * Returns 0, or -1 with err set: PERR_LIMIT when out's maximum (or the
 * dictionary arena) was exceeded or includes nest deeper than 32;
 * PERR_NOTFOUND when the template or an included one is not in a frozen
 * cache or does not exist; PERR_INPUT for a template error. Error messages
 * are allocated from d's arena. `out` may hold partial output on failure.
 */
int tmpl_expand(const struct tmpl_cache *c, const char *name,
                enum tmpl_strip strip, const struct tmpl_dict *d,
                struct sbuf *out, struct perr *err) PT_WARN_UNUSED;

#endif
