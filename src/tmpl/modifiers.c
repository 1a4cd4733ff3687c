/*
 * Built-in escaping modifiers (ctemplate's template_modifiers.cc), the x-
 * modifier registry and the XSS-alternative table the auto-escaper uses.
 * Each escaper is exact to the byte: templates written for ctemplate must
 * render the same here (tests/diff/ctemplate checks it).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tmpl.h"
#include "tmpl_private.h"
#include "core/banned.h"

#define APPEND(out, lit) sbuf_append((out), "" lit "", sizeof(lit) - 1)

static const char *img_src_fallback = "/images/cleardot.gif";

void
tmpl_set_img_src_fallback(const char *url)
{
	if (url != NULL)
		img_src_fallback = url;
}

static void
mod_none(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	(void)arg;
	(void)ctx;
	sbuf_append_strv(out, in);
}

/* Shared by h, p and the snippet escaper: the five HTML specials. */
static bool
html_special(char c, struct sbuf *out)
{
	const char *ent = codec_html_entity(c);

	if (ent == NULL)
		return false;
	sbuf_append_cstr(out, ent);
	return true;
}

static bool
is_html_ws(char c)
{
	return c == '\r' || c == '\n' || c == '\v' || c == '\f' || c == '\t';
}

static void
mod_html(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;

	(void)arg;
	(void)ctx;
	for (i = 0; i < in.len; i++) {
		if (html_special(in.p[i], out))
			continue;
		if (is_html_ws(in.p[i]))
			sbuf_append_char(out, ' ');
		else
			sbuf_append_char(out, in.p[i]);
	}
}

static void
mod_pre(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;

	(void)arg;
	(void)ctx;
	for (i = 0; i < in.len; i++)
		if (!html_special(in.p[i], out))
			sbuf_append_char(out, in.p[i]);
}

/*
 * :H=snippet keeps a few harmless inline tags. Open tags are tracked on a
 * small stack: a tag may be opened only if it is not open already
 * (MaybeAdd), a close tag is accepted only for the innermost open one
 * (MaybeRemove), and whatever is still open is closed at the end, so the
 * snippet can never leave markup open in the page around it.
 */
enum { SN_B, SN_I, SN_EM, SN_SPAN, SN_COUNT };
static const char *const sn_open[] = {"<b>", "<i>", "<em>", NULL};
static const char *const sn_close[] = {"</b>", "</i>", "</em>", "</span>"};

static bool
starts(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

static void
mod_snippet(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	int stack[SN_COUNT];
	size_t depth = 0, k;
	const char *c, *end = in.p + in.len;
	const char *tag;
	int open_id, close_id;

	(void)arg;
	(void)ctx;
	for (c = in.p; c < end; c++) {
		switch (*c) {
		case '"':
			APPEND(out, "&quot;");
			continue;
		case '\'':
			APPEND(out, "&#39;");
			continue;
		case '>':
			APPEND(out, "&gt;");
			continue;
		case '&':
			if (c + 1 < end && c[1] == '{')
				APPEND(out, "&amp;");
			else
				sbuf_append_char(out, '&');
			continue;
		case '<':
			break;
		default:
			if (is_html_ws(*c))
				sbuf_append_char(out, ' ');
			else
				sbuf_append_char(out, *c);
			continue;
		}
		tag = NULL;
		open_id = close_id = -1;
		if (starts(c, end, "<br>"))
			tag = "<br>";
		else if (starts(c, end, "<wbr>"))
			tag = "<wbr>";
		else if (starts(c, end, "<span dir=ltr>"))
			tag = "<span dir=ltr>", open_id = SN_SPAN;
		else if (starts(c, end, "<span dir=rtl>"))
			tag = "<span dir=rtl>", open_id = SN_SPAN;
		else {
			for (k = 0; sn_open[k] != NULL; k++)
				if (starts(c, end, sn_open[k]))
					tag = sn_open[k], open_id = (int)k;
			for (k = 0; k < SN_COUNT; k++)
				if (starts(c, end, sn_close[k]))
					tag = sn_close[k], close_id = (int)k;
		}
		if (open_id >= 0) {
			for (k = 0; k < depth; k++)
				if (stack[k] == open_id)
					tag = NULL;
			if (tag != NULL)
				stack[depth++] = open_id;
		} else if (close_id >= 0) {
			if (depth > 0 && stack[depth - 1] == close_id)
				depth--;
			else
				tag = NULL;
		}
		if (tag == NULL) {
			APPEND(out, "&lt;");
			continue;
		}
		sbuf_append_cstr(out, tag);
		c += strlen(tag) - 1;
	}
	while (depth > 0)
		sbuf_append_cstr(out, sn_close[stack[--depth]]);
}

static void
mod_attribute(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;
	char c;

	(void)arg;
	(void)ctx;
	for (i = 0; i < in.len; i++) {
		c = in.p[i];
		if (c == '=') {
			sbuf_append_char(out,
			                 i == 0 || i == in.len - 1 ? '_' : c);
		} else if (c == '-' || c == '.' || c == '_' || c == ':' ||
		           (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9')) {
			sbuf_append_char(out, c);
		} else {
			sbuf_append_char(out, '_');
		}
	}
}

static void
mod_cleanse_css(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;
	char c;

	(void)arg;
	(void)ctx;
	for (i = 0; i < in.len; i++) {
		c = in.p[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == ' ' || c == '_' ||
		    c == '.' || c == ',' || c == '!' || c == '#' || c == '%' ||
		    c == '-')
			sbuf_append_char(out, c);
	}
}

/*
 * As ctemplate 2.3 does, C0 controls that XML 1.0 forbids (all but TAB,
 * LF and CR) become a space, so the output is always well-formed.
 */
static void
mod_xml(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;
	unsigned char c;

	(void)arg;
	(void)ctx;
	for (i = 0; i < in.len; i++) {
		c = (unsigned char)in.p[i];
		if (html_special((char)c, out))
			continue;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			sbuf_append_char(out, ' ');
		else
			sbuf_append_char(out, (char)c);
	}
}

/*
 * ctemplate decodes one UTF-8 unit of up to 3 bytes only to spot U+2028
 * and U+2029; anything malformed goes out byte by byte, unchanged.
 */
static void
mod_js(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	const unsigned char *p = (const unsigned char *)in.p;
	const unsigned char *end = p + in.len;

	(void)arg;
	(void)ctx;
	while (p < end) {
		if (end - p >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0xa8 || p[2] == 0xa9)) {
			if (p[2] == 0xa8)
				APPEND(out, "\\u2028");
			else
				APPEND(out, "\\u2029");
			p += 3;
			continue;
		}
		switch (*p) {
		case '\0':
			APPEND(out, "\\x00");
			break;
		case '"':
			APPEND(out, "\\x22");
			break;
		case '\'':
			APPEND(out, "\\x27");
			break;
		case '\\':
			APPEND(out, "\\\\");
			break;
		case '\t':
			APPEND(out, "\\t");
			break;
		case '\r':
			APPEND(out, "\\r");
			break;
		case '\n':
			APPEND(out, "\\n");
			break;
		case '\b':
			APPEND(out, "\\b");
			break;
		case '\v':
			APPEND(out, "\\x0b");
			break;
		case '\f':
			APPEND(out, "\\f");
			break;
		case '&':
			APPEND(out, "\\x26");
			break;
		case '<':
			APPEND(out, "\\x3c");
			break;
		case '>':
			APPEND(out, "\\x3e");
			break;
		case '=':
			APPEND(out, "\\x3d");
			break;
		default:
			sbuf_append_char(out, (char)*p);
			break;
		}
		p++;
	}
}

static bool
strv_is(struct strv s, const char *lit)
{
	return strv_eq_cstr(s, lit);
}

static void
mod_js_number(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	bool valid = true;
	size_t i;
	char c;

	(void)arg;
	(void)ctx;
	if (in.len == 0)
		return;
	if (strv_is(in, "true") || strv_is(in, "false")) {
		sbuf_append_strv(out, in);
		return;
	}
	if (in.p[0] == '0' && in.len > 2 &&
	    (in.p[1] == 'x' || in.p[1] == 'X')) {
		for (i = 2; i < in.len && valid; i++) {
			c = in.p[i];
			valid = (c >= 'a' && c <= 'f') ||
			        (c >= 'A' && c <= 'F') ||
			        (c >= '0' && c <= '9');
		}
	} else {
		for (i = 0; i < in.len && valid; i++) {
			c = in.p[i];
			valid = (c >= '0' && c <= '9') || c == '+' ||
			        c == '-' || c == '.' || c == 'e' || c == 'E';
		}
	}
	if (valid)
		sbuf_append_strv(out, in);
	else
		APPEND(out, "null");
}

static const char hexu[] = "0123456789ABCDEF";

/* Safe bytes for :u, from ctemplate's bitmap: [0-9A-Za-z.,_*\/~!()-]. */
static bool
url_query_safe(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr(".,_*/~!()-", c) != NULL;
}

static void
mod_url_query(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;
	unsigned char c;
	char esc[3];

	(void)arg;
	(void)ctx;
	for (i = 0; i < in.len; i++) {
		c = (unsigned char)in.p[i];
		if (c == ' ') {
			sbuf_append_char(out, '+');
		} else if (c != 0 && url_query_safe(c)) {
			sbuf_append_char(out, (char)c);
		} else {
			esc[0] = '%';
			esc[1] = hexu[c >> 4];
			esc[2] = hexu[c & 0xf];
			sbuf_append(out, esc, 3);
		}
	}
}

/*
 * [Petrel] ctemplate passes other C0 controls through, which is invalid
 * JSON; we escape them as \u00XX.
 */
static void
mod_json(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i;
	unsigned char c;
	char esc[6];

	(void)arg;
	(void)ctx;
	for (i = 0; i < in.len; i++) {
		c = (unsigned char)in.p[i];
		switch (c) {
		case '"':
			APPEND(out, "\\\"");
			break;
		case '\\':
			APPEND(out, "\\\\");
			break;
		case '/':
			APPEND(out, "\\/");
			break;
		case '\b':
			APPEND(out, "\\b");
			break;
		case '\f':
			APPEND(out, "\\f");
			break;
		case '\n':
			APPEND(out, "\\n");
			break;
		case '\r':
			APPEND(out, "\\r");
			break;
		case '\t':
			APPEND(out, "\\t");
			break;
		case '&':
			APPEND(out, "\\u0026");
			break;
		case '<':
			APPEND(out, "\\u003C");
			break;
		case '>':
			APPEND(out, "\\u003E");
			break;
		default:
			if (c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hexu[c >> 4];
				esc[5] = hexu[c & 0xf];
				sbuf_append(out, esc, 6);
			} else {
				sbuf_append_char(out, (char)c);
			}
			break;
		}
	}
}

static void
mod_css_url(struct strv in, struct sbuf *out)
{
	size_t i;

	for (i = 0; i < in.len; i++) {
		switch (in.p[i]) {
		case '\n':
			APPEND(out, "%0A");
			break;
		case '\r':
			APPEND(out, "%0D");
			break;
		case '"':
			APPEND(out, "%22");
			break;
		case '\'':
			APPEND(out, "%27");
			break;
		case '(':
			APPEND(out, "%28");
			break;
		case ')':
			APPEND(out, "%29");
			break;
		case '*':
			APPEND(out, "%2A");
			break;
		case '<':
			APPEND(out, "%3C");
			break;
		case '>':
			APPEND(out, "%3E");
			break;
		case '\\':
			APPEND(out, "%5C");
			break;
		default:
			sbuf_append_char(out, in.p[i]);
			break;
		}
	}
}

/*
 * The one safe-URL check behind every :U= and :I= flavour: a ':' before
 * the first '/' means a scheme, and only http, https and ftp ([Petrel]:
 * the spec's list) with something after the "//" are let through.
 */
static bool
url_is_safe(struct strv in)
{
	static const char *const ok[] = {"http://", "https://", "ftp://"};
	ptrdiff_t slash = strv_find_char(in, '/');
	struct strv head = in;
	size_t k, n;

	if (slash >= 0)
		head.len = (size_t)slash;
	if (strv_find_char(head, ':') < 0)
		return true;
	for (k = 0; k < PT_NELEM(ok); k++) {
		n = strlen(ok[k]);
		if (in.len > n && strncasecmp(in.p, ok[k], n) == 0)
			return true;
	}
	return false;
}

enum url_chain { CHAIN_HTML, CHAIN_JS, CHAIN_CSS };

static void
url_escape(struct strv in, struct strv fallback, enum url_chain chain,
           struct sbuf *out)
{
	struct strv none = STRV_NULL;

	if (!url_is_safe(in))
		in = fallback;
	switch (chain) {
	case CHAIN_HTML:
		mod_html(in, none, NULL, out);
		break;
	case CHAIN_JS:
		mod_js(in, none, NULL, out);
		break;
	case CHAIN_CSS:
		mod_css_url(in, out);
		break;
	}
}

static void
mod_u_html(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	(void)arg;
	(void)ctx;
	url_escape(in, STRV_LIT("#"), CHAIN_HTML, out);
}

static void
mod_u_js(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	(void)arg;
	(void)ctx;
	url_escape(in, STRV_LIT("#"), CHAIN_JS, out);
}

static void
mod_u_css(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	(void)arg;
	(void)ctx;
	url_escape(in, STRV_LIT("#"), CHAIN_CSS, out);
}

static void
mod_i_html(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	(void)arg;
	(void)ctx;
	url_escape(in, strv_from_cstr(img_src_fallback), CHAIN_HTML, out);
}

static void
mod_i_js(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	(void)arg;
	(void)ctx;
	url_escape(in, strv_from_cstr(img_src_fallback), CHAIN_JS, out);
}

static void
mod_i_css(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	(void)arg;
	(void)ctx;
	url_escape(in, strv_from_cstr(img_src_fallback), CHAIN_CSS, out);
}

/* Emit the indentation (arg) after every line break: LF, CR or CRLF. */
static void
mod_prefix_line(struct strv in, struct strv arg, void *ctx, struct sbuf *out)
{
	size_t i, start = 0;

	(void)ctx;
	for (i = 0; i < in.len; i++) {
		if (in.p[i] == '\r' && i + 1 < in.len && in.p[i + 1] == '\n')
			i++;
		else if (in.p[i] != '\r' && in.p[i] != '\n')
			continue;
		sbuf_append(out, in.p + start, i + 1 - start);
		sbuf_append_strv(out, arg);
		start = i + 1;
	}
	sbuf_append(out, in.p + start, in.len - start);
}

#define BI(id, lname, sname, fn)                                               \
	[id] = {lname,                                                         \
	        sname,                                                         \
	        strchr(lname, '=') != NULL,                                    \
	        TMPL_XSS_WEB_STANDARD,                                         \
	        fn,                                                            \
	        NULL,                                                          \
	        id}

static const struct tmpl_moddef builtins[TMPL_MOD_COUNT] = {
        BI(TMPL_MOD_CLEANSE_CSS, "cleanse_css", 'c', mod_cleanse_css),
        BI(TMPL_MOD_HTML, "html_escape", 'h', mod_html),
        BI(TMPL_MOD_H_SNIPPET, "html_escape_with_arg=snippet", 'H',
           mod_snippet),
        BI(TMPL_MOD_H_PRE, "html_escape_with_arg=pre", 'H', mod_pre),
        BI(TMPL_MOD_H_ATTRIBUTE, "html_escape_with_arg=attribute", 'H',
           mod_attribute),
        BI(TMPL_MOD_H_URL, "html_escape_with_arg=url", 'H', mod_u_html),
        BI(TMPL_MOD_JS, "javascript_escape", 'j', mod_js),
        BI(TMPL_MOD_JSON, "json_escape", 'o', mod_json),
        BI(TMPL_MOD_PRE, "pre_escape", 'p', mod_pre),
        BI(TMPL_MOD_URL_QUERY, "url_query_escape", 'u', mod_url_query),
        BI(TMPL_MOD_U_JS, "url_escape_with_arg=javascript", 'U', mod_u_js),
        BI(TMPL_MOD_U_HTML, "url_escape_with_arg=html", 'U', mod_u_html),
        BI(TMPL_MOD_U_QUERY, "url_escape_with_arg=query", 'U', mod_url_query),
        [TMPL_MOD_NONE] = {"none", '\0', false, TMPL_XSS_SAFE, mod_none, NULL,
                           TMPL_MOD_NONE},
        BI(TMPL_MOD_XML, "xml_escape", '\0', mod_xml),
        BI(TMPL_MOD_J_NUMBER, "javascript_escape_with_arg=number", 'J',
           mod_js_number),
        BI(TMPL_MOD_U_CSS, "url_escape_with_arg=css", 'U', mod_u_css),
        BI(TMPL_MOD_I_HTML, "img_src_url_escape_with_arg=html", 'I',
           mod_i_html),
        BI(TMPL_MOD_I_JS, "img_src_url_escape_with_arg=javascript", 'I',
           mod_i_js),
        BI(TMPL_MOD_I_CSS, "img_src_url_escape_with_arg=css", 'I', mod_i_css),
};

static const struct tmpl_moddef prefix_line_def = {
        "",   '\0',        false, TMPL_XSS_WEB_STANDARD, mod_prefix_line,
        NULL, TMPL_MOD_EXT};

/*
 * Safe XSS alternatives (g_modifiers' safe_alt_mods) plus the extra ones
 * CTEMPLATE.md C8 lists (:I= forms, :U=javascript for :j). A candidate is
 * also safe when it runs the same function (:H=url for :U=html).
 */
#define END_ALT (-1)
static const int alternatives[TMPL_MOD_COUNT][12] = {
        [TMPL_MOD_CLEANSE_CSS] = {TMPL_MOD_U_CSS, TMPL_MOD_I_CSS, END_ALT},
        [TMPL_MOD_HTML] = {TMPL_MOD_H_SNIPPET, TMPL_MOD_H_PRE,
                           TMPL_MOD_H_ATTRIBUTE, TMPL_MOD_H_URL, TMPL_MOD_PRE,
                           TMPL_MOD_URL_QUERY, TMPL_MOD_U_HTML,
                           TMPL_MOD_U_QUERY, TMPL_MOD_I_HTML, END_ALT},
        [TMPL_MOD_H_SNIPPET] = {TMPL_MOD_HTML, TMPL_MOD_H_PRE,
                                TMPL_MOD_H_ATTRIBUTE, TMPL_MOD_PRE,
                                TMPL_MOD_URL_QUERY, TMPL_MOD_U_QUERY, END_ALT},
        [TMPL_MOD_H_PRE] = {TMPL_MOD_HTML, TMPL_MOD_H_SNIPPET,
                            TMPL_MOD_H_ATTRIBUTE, TMPL_MOD_PRE,
                            TMPL_MOD_URL_QUERY, TMPL_MOD_U_QUERY, END_ALT},
        [TMPL_MOD_H_ATTRIBUTE] = {END_ALT},
        [TMPL_MOD_H_URL] = {END_ALT},
        [TMPL_MOD_JS] = {TMPL_MOD_JSON, TMPL_MOD_U_JS, TMPL_MOD_I_JS, END_ALT},
        [TMPL_MOD_JSON] = {TMPL_MOD_JS, END_ALT},
        [TMPL_MOD_PRE] = {TMPL_MOD_HTML, TMPL_MOD_H_SNIPPET, TMPL_MOD_H_PRE,
                          TMPL_MOD_H_ATTRIBUTE, TMPL_MOD_URL_QUERY,
                          TMPL_MOD_U_QUERY, END_ALT},
        [TMPL_MOD_URL_QUERY] = {END_ALT},
        [TMPL_MOD_U_JS] = {END_ALT},
        [TMPL_MOD_U_HTML] = {END_ALT},
        [TMPL_MOD_U_QUERY] = {END_ALT},
        [TMPL_MOD_NONE] = {END_ALT},
        [TMPL_MOD_XML] = {TMPL_MOD_HTML, TMPL_MOD_H_ATTRIBUTE, END_ALT},
        [TMPL_MOD_J_NUMBER] = {END_ALT},
        [TMPL_MOD_U_CSS] = {END_ALT},
        [TMPL_MOD_I_HTML] = {END_ALT},
        [TMPL_MOD_I_JS] = {END_ALT},
        [TMPL_MOD_I_CSS] = {END_ALT},
};

const struct tmpl_moddef *
tmpl_mod_builtin(enum tmpl_mod_id id)
{
	PT_ASSERT(id >= 0 && id < TMPL_MOD_COUNT);
	return &builtins[id];
}

const struct tmpl_moddef *
tmpl_mod_prefix_line(void)
{
	return &prefix_line_def;
}

bool
tmpl_mod_is_safe_alternative(const struct tmpl_moddef *our,
                             const struct tmpl_moddef *cand)
{
	const int *alt;

	if (our->fn != NULL && our->fn == cand->fn && our->ctx == cand->ctx)
		return true;
	if (our->id < 0 || cand->id < 0)
		return false;
	for (alt = alternatives[our->id]; *alt != END_ALT; alt++)
		if (*alt == cand->id)
			return true;
	return false;
}

void
tmpl_mod_run(const struct tmpl_modval *mv, struct strv in, struct sbuf *out)
{
	if (mv->def->fn == NULL)
		sbuf_append_strv(out, in);
	else
		mv->def->fn(in, mv->arg, mv->def->ctx, out);
}

/* ---- registry ----------------------------------------------------------- */

/*
 * Registered x- modifiers. They are appended at startup and never freed,
 * so templates may keep pointers to them; the lock only orders
 * registration against template loads.
 */
struct ext_mod {
	struct ext_mod *next;
	struct tmpl_moddef def;
};

static pthread_mutex_t ext_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ext_mod *ext_mods;

static size_t
name_part(const char *s)
{
	return strcspn(s, "=");
}

int
tmpl_modifier_register(const char *name, tmpl_modifier_fn *fn, void *ctx,
                       bool xss_safe, struct perr *err)
{
	struct ext_mod *m;
	size_t n, i, on;

	if (name == NULL || fn == NULL || strncmp(name, "x-", 2) != 0)
		return perr_set(err, NULL, PERR_INPUT,
		                "modifier name must start with x-");
	n = name_part(name);
	for (i = 2; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return perr_set(err, NULL, PERR_INPUT,
			                "bad modifier name");
	}
	if (n == 2)
		return perr_set(err, NULL, PERR_INPUT, "bad modifier name");
	pthread_mutex_lock(&ext_lock);
	for (m = ext_mods; m != NULL; m = m->next) {
		on = name_part(m->def.long_name);
		if (on != n || memcmp(name, m->def.long_name, n) != 0)
			continue;
		/* Only distinct "=value" specialisations may share a name. */
		if (name[n] == '=' && m->def.long_name[on] == '=' &&
		    strcmp(name, m->def.long_name) != 0)
			continue;
		pthread_mutex_unlock(&ext_lock);
		return perr_set(err, NULL, PERR_CONFLICT,
		                "modifier already registered");
	}
	m = pt_xcalloc(1, sizeof(*m));
	m->def.long_name = pt_xstrdup(name);
	m->def.short_name = '\0';
	m->def.value_required = name[n] == '=';
	m->def.xss = xss_safe ? TMPL_XSS_SAFE : TMPL_XSS_UNIQUE;
	m->def.fn = fn;
	m->def.ctx = ctx;
	m->def.id = TMPL_MOD_EXT;
	m->next = ext_mods;
	ext_mods = m;
	pthread_mutex_unlock(&ext_lock);
	return 0;
}

/* ctemplate's UpdateBestMatch: prefer the most specialised definition. */
static void
update_best(struct strv name, struct strv val, const struct tmpl_moddef *cand,
            const struct tmpl_moddef **best)
{
	const char *ln = cand->long_name;
	size_t n = name_part(ln), total = strlen(ln);
	bool short_ok = cand->short_name != '\0' && name.len == 1 &&
	                name.p[0] == cand->short_name;

	if (cand->value_required) {
		if (val.len == 0)
			return;
		if (!short_ok && !(name.len == n && memcmp(name.p, ln, n) == 0))
			return;
		/* "foo=" takes any value; "foo=bar" exactly "=bar". */
		if (ln[n + 1] != '\0' && !(val.len == total - n &&
		                           memcmp(val.p, ln + n, val.len) == 0))
			return;
		if (*best == NULL || total > strlen((*best)->long_name))
			*best = cand;
	} else {
		if (val.len != 0)
			return;
		if (short_ok ||
		    (name.len == total && memcmp(name.p, ln, total) == 0))
			*best = cand;
	}
}

const struct tmpl_moddef *
tmpl_mod_find(struct strv modname, struct strv modval, bool *unknown_r)
{
	const struct tmpl_moddef *best = NULL;
	const struct ext_mod *m;
	size_t i;

	*unknown_r = false;
	if (modname.len >= 2 && memcmp(modname.p, "x-", 2) == 0) {
		pthread_mutex_lock(&ext_lock);
		for (m = ext_mods; m != NULL; m = m->next)
			update_best(modname, modval, &m->def, &best);
		pthread_mutex_unlock(&ext_lock);
		if (best == NULL)
			*unknown_r = true;
		return best;
	}
	for (i = 0; i < TMPL_MOD_COUNT; i++)
		update_best(modname, modval, &builtins[i], &best);
	return best;
}

int
tmpl_modifier_apply(const char *spec, struct strv in, struct sbuf *out)
{
	struct strv s = strv_from_cstr(spec), name, val;
	const struct tmpl_moddef *def;
	struct tmpl_modval mv;
	ptrdiff_t eq = strv_find_char(s, '=');
	bool unknown;

	name = s;
	val = STRV_NULL;
	if (eq >= 0) {
		name.len = (size_t)eq;
		val.p = s.p + eq;
		val.len = s.len - (size_t)eq;
	}
	def = tmpl_mod_find(name, val, &unknown);
	if (def == NULL)
		return -1;
	mv.def = def;
	mv.arg =
	        val.len > 0 ? (struct strv){val.p + 1, val.len - 1} : STRV_NULL;
	tmpl_mod_run(&mv, in, out);
	return 0;
}
