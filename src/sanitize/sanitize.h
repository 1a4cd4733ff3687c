/*
 * sanitize - hostile e-mail HTML in, safe HTML out.
 *
 * The input is parsed with gumbo as a fragment in <body> context (the HTML5
 * algorithm, exactly as a browser's innerHTML does), the tree is walked
 * with an explicit stack, and a NEW document is serialized from an
 * allow-list. Nothing of the input is ever copied through as a string:
 *
 * - elements: an allow-list is kept (with allow-listed attributes only);
 *   dangerous elements (script, iframe, object, form, svg, math, template,
 *   noscript, textarea, title, ...) are dropped with their content; other
 *   "ordinary" elements (unknown tags, label, legend, dialog, ...) become a
 *   bare <span> so that the parse tree keeps its exact shape (unwrapping
 *   them would let the browser re-nest the children differently and would
 *   break idempotence); xmp, listing and plaintext become <pre>.
 * - attributes: lower-case names from the allow-list only, never on*,
 *   never id/name (DOM clobbering). Attribute order is canonical: kept
 *   attributes in input order, then the ones we compute (href, src, target,
 *   rel, data-petrel-*).
 * - URLs (href, src, background, cite): entities are decoded by the parser,
 *   then ASCII tab/LF/CR are removed and leading/trailing C0/space trimmed
 *   as the URL standard does; the scheme must be http, https, mailto or
 *   cid. Relative URLs (they would hit Petrel's own origin) are dropped.
 *   cid: is rewritten through opts->cid_url; the cid is kept in
 *   data-petrel-cid (data-petrel-cid-<attr> for other attributes) so that a
 *   second pass can redo the rewrite.
 * - Links get target="_blank" rel="noopener noreferrer".
 * - Remote images and backgrounds are blocked unless allow_remote: the
 *   original URL moves to data-petrel-src (data-petrel-background), src
 *   becomes opts->placeholder_url. Tracking pixels (width or height 0/1 in
 *   attributes or style, or a host on the beacon list) are removed even
 *   with allow_remote.
 * - style attributes and <style> elements pass through a CSS Syntax Level 3
 *   tokenizer and a property/value allow-list (see css.c). <style> content
 *   is kept only when opts->scope_class is set: every selector is prefixed
 *   with ".<scope_class> " (body/html/:root map to the scope itself),
 *   selectors with attribute selectors, ids, functions or unknown pseudo
 *   classes are dropped, and @media is the only at-rule kept. All kept
 *   rules are emitted as ONE <style> element at the very start of the
 *   output. Without scope_class, <style> elements are dropped.
 * - Text and attribute values are escaped (& < > " ') by our serializer.
 *
 * The result is idempotent: sanitize(sanitize(x)) == sanitize(x) byte for
 * byte (with the same options). HTML parsing is not a fixed point by
 * itself (the adoption agency and foster parenting build trees such as
 * <a> in <a>, <h2> directly in <h1> or <li> in <li> that a re-parse takes
 * apart), so the walker renames such elements to <span>, and as a safety
 * net the output is sanitized again until it stops changing (at most 4
 * passes; in practice the second pass only confirms the first, which
 * doubles the cost: about 0.2 s per MB of markup-heavy HTML).
 *
 * Embed the output in a document that has <!doctype html> (no-quirks
 * mode), inside an element with the scope class: that is the mode the
 * sanitizer parses with. Gumbo 0.10.1 implements the 2015 parsing spec;
 * the output holds only elements whose parsing has not changed since.
 *
 * Gumbo allocates from a private arena that is destroyed before
 * sanitize_html() returns, so the tree is never freed node by node (gumbo's
 * own destroy is recursive) and a hostile input cannot pass
 * opts->max_parse_mem. Nesting deeper than max_depth is dropped (and
 * reported); a cheap pre-scan cuts the input where the count of open tags
 * passes 16 * max_depth, because gumbo's scope checks are linear in depth
 * and 100 000 nested <div>s would otherwise take half a minute.
 */
#ifndef PETREL_SANITIZE_H
#define PETREL_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core.h"

/* Default limits used when the matching option is 0. */
#define SANITIZE_DEFAULT_MAX_DEPTH 256
#define SANITIZE_DEFAULT_MAX_PARSE_MEM ((size_t)256 * 1024 * 1024)

/*
 * Rewrite "cid:<cid>" into the URL of the message part with that
 * Content-ID. cid is the text after "cid:" exactly as written (still
 * percent-encoded, RFC 2392). Return a NUL-terminated URL that lives at
 * least until sanitize_html() returns, or NULL when there is no such part
 * (the attribute is dropped).
 */
typedef const char *sanitize_cid_url_fn(void *ctx, struct strv cid);

struct sanitize_opts {
	/* Keep http(s) images and CSS backgrounds (trackers stay hidden). */
	bool allow_remote;
	/* src for blocked images; NULL: blocked images get no src at all. */
	const char *placeholder_url;
	/* NULL: "cid:" URLs are kept as they are (harmless, unloadable). */
	sanitize_cid_url_fn *cid_url;
	void *cid_ctx;
	/*
	 * Class of the element the caller wraps the output in; <style> rules
	 * are scoped to it. NULL or "": <style> elements are dropped. Must be
	 * a plain CSS identifier ([A-Za-z_-][A-Za-z0-9_-]*), else -1/INPUT.
	 */
	const char *scope_class;
	/* Bound on the output length; 0: no bound. Past it: -1, PERR_LIMIT. */
	size_t max_output;
	/* Element nesting kept; deeper subtrees are dropped. 0: default. */
	size_t max_depth;
	/* Memory gumbo may use for the parse tree. 0: default. */
	size_t max_parse_mem;
};

struct sanitize_report {
	/* Remote images, backgrounds and CSS url()s blocked or removed. */
	unsigned remote_blocked;
	/* A tracking pixel was seen (and removed). */
	bool tracker_seen;
	/* Something was nested deeper than max_depth and was dropped. */
	bool depth_truncated;
	/* Elements, attributes and CSS declarations removed (for logs). */
	unsigned elements_dropped;
	unsigned attributes_dropped;
	unsigned css_dropped;
};

/*
 * Sanitize UTF-8 HTML (invalid sequences become U+FFFD) into a body
 * fragment appended to out. o may be NULL (all defaults). rep_r may be
 * NULL; when given it is zeroed first and filled in. The arena holds
 * temporary data (and out's memory if out uses it).
 *
 * Returns 0 on success; -1 with err set on PERR_LIMIT (output over
 * max_output or out's own maximum, parse memory over max_parse_mem) or
 * PERR_INPUT (bad scope_class). On failure out holds a truncated, but
 * still well-formed-as-text, prefix; do not show it.
 */
int sanitize_html(struct strv html, const struct sanitize_opts *o,
                  struct arena *a, struct sbuf *out,
                  struct sanitize_report *rep_r,
                  struct perr *err) PT_WARN_UNUSED;

/* How sanitize_plain_to_html() writes its HTML. */
struct sanitize_plain_opts {
	/* Bound on the output length; 0: only out's own maximum. */
	size_t max_output;
	/*
	 * A quoted block (a run of ">" lines between unquoted ones) of more
	 * than fold_lines lines is folded: <details class="petrel-quote">
	 * <summary>fold_label</summary><blockquote …>…</details>, which a
	 * browser opens and closes without any script (the body frame has
	 * none). "{n}" in fold_label becomes the block's line count; the
	 * label is escaped like the text. 0 or a NULL label: never fold.
	 */
	size_t fold_lines;
	const char *fold_label;
};

/*
 * The plain-text view: escape text, turn http://, https:// and www. URLs
 * and e-mail addresses into links (target="_blank" rel="noopener
 * noreferrer"), turn runs of ">"-quoted lines into nested <blockquote>
 * elements (one level per ">"), long ones folded (see above), and keep
 * line breaks as <br>. CRLF and CR count as line breaks. The only
 * elements written are a, br, blockquote, details and summary, all on the
 * sanitize_html() allow-list. Idempotence is not a property here (the
 * input is text, not HTML). o may be NULL (no bound, no folding). Returns
 * 0, or -1 with PERR_LIMIT when out is full.
 */
int sanitize_plain_to_html(struct strv text,
                           const struct sanitize_plain_opts *o, struct arena *a,
                           struct sbuf *out, struct perr *err) PT_WARN_UNUSED;

/*
 * The text/plain alternative of an HTML message (text.c): sanitized first,
 * then block elements become line breaks, list items "- "/"1. ", links
 * "text <url>", blockquotes "> " lines. Appended to out (UTF-8, LF line
 * ends, one final newline). PERR_LIMIT when out or the parse is too big.
 */
int sanitize_html_to_text(struct strv html, struct arena *a, struct sbuf *out,
                          struct perr *err) PT_WARN_UNUSED;

/*
 * Text for a message-list preview of (the start of) an HTML part
 * (preview.c): tags become a space, <head>, <style> and <script> are
 * dropped with their content (all of the rest when one is not closed),
 * and the entities nbsp, amp, lt, gt, quot and #39 are decoded. Not a
 * sanitizer: the result is text for escaping on output. In a; never
 * fails (a full arena gives what fitted).
 */
struct strv sanitize_preview_text(struct strv html, struct arena *a);

#endif
