/* Internal types shared by the files of src/tmpl. */
#ifndef PETREL_TMPL_PRIVATE_H
#define PETREL_TMPL_PRIVATE_H

#include <pthread.h>

#include "tmpl.h"

/* ---- modifiers (modifiers.c) ----------------------------------------- */

enum tmpl_xss {
	TMPL_XSS_WEB_STANDARD, /* built-in escapers */
	TMPL_XSS_SAFE,         /* :none and xss-safe x- modifiers */
	TMPL_XSS_UNIQUE,       /* other x- modifiers, known or not */
};

/* Built-in modifiers, in the order of ctemplate's g_modifiers plus :I. */
enum tmpl_mod_id {
	TMPL_MOD_CLEANSE_CSS,
	TMPL_MOD_HTML,
	TMPL_MOD_H_SNIPPET,
	TMPL_MOD_H_PRE,
	TMPL_MOD_H_ATTRIBUTE,
	TMPL_MOD_H_URL,
	TMPL_MOD_JS,
	TMPL_MOD_JSON,
	TMPL_MOD_PRE,
	TMPL_MOD_URL_QUERY,
	TMPL_MOD_U_JS,
	TMPL_MOD_U_HTML,
	TMPL_MOD_U_QUERY,
	TMPL_MOD_NONE,
	TMPL_MOD_XML,
	TMPL_MOD_J_NUMBER,
	TMPL_MOD_U_CSS,
	TMPL_MOD_I_HTML,
	TMPL_MOD_I_JS,
	TMPL_MOD_I_CSS,
	TMPL_MOD_COUNT,
	TMPL_MOD_EXT = -1, /* x- modifiers */
};

struct tmpl_moddef {
	const char *long_name; /* "html_escape_with_arg=snippet", "x-foo" */
	char short_name;       /* '\0': none */
	bool value_required;   /* long_name holds '=' */
	enum tmpl_xss xss;
	tmpl_modifier_fn *fn; /* NULL: unknown x- modifier, identity */
	void *ctx;
	int id; /* enum tmpl_mod_id or TMPL_MOD_EXT */
};

struct tmpl_modval {
	const struct tmpl_moddef *def;
	struct strv arg; /* value without the '=' */
};

/*
 * Resolve modname/modval as in a marker (modval includes its leading '=',
 * or is empty). Returns NULL when no modifier fits. *unknown_r is set when
 * the name is an x- name nobody registered (caller makes a no-op def).
 */
const struct tmpl_moddef *tmpl_mod_find(struct strv modname, struct strv modval,
                                        bool *unknown_r);
const struct tmpl_moddef *tmpl_mod_builtin(enum tmpl_mod_id id);
/* The internal modifier that indents included output. */
const struct tmpl_moddef *tmpl_mod_prefix_line(void);
/* ctemplate's IsSafeXSSAlternative(our, candidate). */
bool tmpl_mod_is_safe_alternative(const struct tmpl_moddef *our,
                                  const struct tmpl_moddef *cand);
void tmpl_mod_run(const struct tmpl_modval *mv, struct strv in,
                  struct sbuf *out);

/* ---- context scanner (context.c) ------------------------------------- */

enum tmpl_tctx {
	TMPL_TCTX_MANUAL = 0,
	TMPL_TCTX_HTML,
	TMPL_TCTX_JS,
	TMPL_TCTX_CSS,
	TMPL_TCTX_JSON,
	TMPL_TCTX_XML,
};

#define TMPL_HS_NAME 32
#define TMPL_HS_VALUE 64

struct tmpl_jscan {
	int state;
	char last;       /* last significant byte outside literals */
	bool last_ident; /* it ended an identifier or number */
	bool word_open;  /* the identifier is still being read */
	char word[12];   /* that identifier, for keyword checks */
	size_t wlen;
};

struct tmpl_hscan {
	enum tmpl_tctx tctx;
	int state;
	bool closing_tag;
	bool in_js; /* script body or on* value */
	char tag[TMPL_HS_NAME];
	size_t tag_len;
	char attr[TMPL_HS_NAME];
	size_t attr_len;
	char value[TMPL_HS_VALUE]; /* start of the current value (meta) */
	size_t value_len;
	size_t value_index;
	int dashes;      /* comment end tracking */
	size_t cd_match; /* CDATA "</tag" matching progress */
	char ent[12];    /* entity being decoded in on* values */
	size_t ent_len;
	bool in_ent;
	struct tmpl_jscan js;
};

void tmpl_hscan_init(struct tmpl_hscan *s, enum tmpl_tctx tctx, bool in_tag);
void tmpl_hscan_feed(struct tmpl_hscan *s, const char *p, size_t n);
/*
 * The escaper for a variable at the current position; tells the scanner
 * that text was inserted. Returns -1 with *why_r set for a load error.
 */
int tmpl_hscan_escaper(struct tmpl_hscan *s, struct tmpl_modval *mv_r,
                       const char **why_r);
/* True once the markup is too broken to know the context (load error). */
bool tmpl_hscan_failed(const struct tmpl_hscan *s);
/* True where an include may appear (HTML text, or a JS/CSS template). */
bool tmpl_hscan_include_ok(const struct tmpl_hscan *s);

/* ---- templates (parser.c) -------------------------------------------- */

enum tmpl_node_kind {
	TMPL_N_TEXT,
	TMPL_N_VAR,
	TMPL_N_SECTION,
	TMPL_N_INCLUDE,
};

struct tmpl_node {
	enum tmpl_node_kind kind;
	struct tmpl_node *next;
	struct strv text; /* text, or the name */
	struct tmpl_modval *mods;
	size_t nmods;
	struct tmpl_node *children;  /* section body */
	struct tmpl_node *separator; /* NAME_separator child, if any */
};

struct tmpl_template {
	struct tmpl_template *next; /* cache bucket chain */
	struct arena *arena;        /* owns everything below */
	char *name;
	enum tmpl_strip strip;
	bool from_string;
	char *source; /* original text (for string entries) */
	size_t source_len;
	struct tmpl_node *root;
};

/*
 * Parse `text` into a new template with its own arena (free it with
 * tmpl_template_free). `label` names the file in error messages, which
 * are allocated from err_arena.
 */
int tmpl_parse(const char *label, struct strv text, enum tmpl_strip strip,
               bool strict, struct arena *err_arena, struct tmpl_template **t_r,
               struct perr *err);
void tmpl_template_free(struct tmpl_template *t);

/* ---- cache (cache.c) ------------------------------------------------- */

/*
 * Find (or, unfrozen, load) the template for name+strip. Used by the
 * expander for includes. Errors go to err with messages from `a`.
 */
int tmpl_cache_get(const struct tmpl_cache *c, const char *name,
                   enum tmpl_strip strip, struct arena *a,
                   const struct tmpl_template **t_r, struct perr *err);

/* ---- dictionaries (dict.c) ------------------------------------------- */

struct tmpl_var {
	struct tmpl_var *next, *hnext;
	uint32_t hash;
	struct strv name;
	struct strv value;
};

struct tmpl_sec {
	struct tmpl_sec *next;
	struct strv name;
	struct tmpl_dict *first, *last;
	size_t count;
};

struct tmpl_shared {
	struct arena *arena;
	struct tmpl_dict *tglobal;
	const struct tmpl_dict *fallback;
	bool failed;
};

struct tmpl_dict {
	struct arena *arena;
	struct tmpl_shared *shared;
	const struct tmpl_dict *parent;
	struct tmpl_dict *next_sibling;
	const char *name;
	const char *filename; /* include dictionaries */
	struct tmpl_var *vars;
	struct tmpl_var **tab;
	size_t tab_size, nvars;
	struct tmpl_sec *sections;
	struct tmpl_sec *includes;
};

struct strv tmpl_dict_get(const struct tmpl_dict *d, struct strv name);
/* Section or include entry visible from d (parents, then globals). */
const struct tmpl_sec *tmpl_dict_find_section(const struct tmpl_dict *d,
                                              struct strv name);
const struct tmpl_sec *tmpl_dict_find_include(const struct tmpl_dict *d,
                                              struct strv name);

#endif
