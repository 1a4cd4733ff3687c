/*
 * Shared inside src/sanitize only: the CSS sanitizer and URL helpers.
 */
#ifndef PETREL_SANITIZE_PRIVATE_H
#define PETREL_SANITIZE_PRIVATE_H

#include <setjmp.h>
#include <stdint.h>

#include <gumbo.h>

#include "sanitize.h"

/* What the CSS sanitizer needs to know and what it tells back. */
struct css_ctx {
	struct arena *arena;         /* temporaries (tokens, decoded text) */
	bool allow_remote;           /* keep http(s) url() in backgrounds */
	const char *scope_class;     /* for style sheets; NULL: none */
	struct sanitize_report *rep; /* counters; never NULL */
	/* Set by css_sanitize_decls(): */
	bool tiny;   /* width or height 0 or 1 px (tracking pixel) */
	bool hidden; /* display: none or visibility: hidden */
};

/*
 * Sanitize a declaration list (a style attribute) into out as
 * "name: value; name: value" (canonical, so a second pass gives the same
 * bytes). Returns 0, or -1 when the arena is full.
 */
int css_sanitize_decls(struct strv css, struct css_ctx *c, struct sbuf *out);

/*
 * Sanitize a style sheet (the text of a <style> element) into out: scoped
 * qualified rules and @media blocks only. The output never holds '<', so
 * it cannot end the <style> element. Returns 0, or -1 when the arena is
 * full.
 */
int css_sanitize_sheet(struct strv css, struct css_ctx *c, struct sbuf *out);

/* True if s is a plain CSS identifier [A-Za-z_-][A-Za-z0-9_-]*. */
bool css_is_plain_ident(const char *s);

/*
 * True if a number (CSS or an HTML width/height attribute) counts as a
 * tracking-pixel size: 0 with any unit, or 1 or less in px or unitless.
 * num is the digits part ("1", "0.5", "+1"), unit what follows it.
 */
bool css_tiny_size(struct strv num, struct strv unit);

/*
 * Code points that gumbo replaces with U+FFFD when they appear raw (C0
 * controls other than whitespace, DEL, C1 controls, noncharacters): our
 * serializers must write them as references/escapes so that a second
 * parse reads the same thing.
 */
bool cp_is_unstable(uint32_t cp);

enum url_kind {
	URL_BAD = 0, /* no scheme, a forbidden scheme, or empty */
	URL_HTTP,    /* http: or https: */
	URL_MAILTO,
	URL_CID,
};

/*
 * Clean a URL the way browsers do before they look at the scheme: drop
 * leading and trailing C0 controls and spaces, remove every ASCII tab, LF
 * and CR. *clean_r points into the arena (or into raw when nothing had to
 * be removed). Returns the kind; URL_BAD for anything not allowed.
 */
enum url_kind url_classify(struct strv raw, struct arena *a,
                           struct strv *clean_r);

/* Lower-cased host of an http(s) URL into the arena ("" if none). */
struct strv url_host(struct strv url, struct arena *a);

/* True if host is (a subdomain of) a known tracking-beacon host. */
bool url_host_is_beacon(struct strv host);

/* The gumbo allocator state: all of the tree lives in a. */
struct galloc {
	struct arena *a;
	jmp_buf jb;
};

/*
 * Parse HTML as the innerHTML of <body> (no-quirks), allocating from g->a.
 * NULL when the arena's limit was hit.
 */
GumboOutput *sanitize_gumbo_parse(struct galloc *g, const char *s, size_t n);

#endif
