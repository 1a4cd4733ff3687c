/*
 * HTML: gumbo parse, iterative allow-list walk, our own serializer.
 *
 * The shape rule. Our output is parsed again by the browser (and by our
 * own second pass), and it must come back as the very tree we checked.
 * Keeping an element, or dropping it with its whole subtree, never changes
 * how the rest parses. Unwrapping does: the parser's scope checks look at
 * ancestors ("<h1><x><h2>" keeps h2 inside h1 only because of <x>,
 * "<li><fieldset><li>" nests only because fieldset is "special", "<a><marquee>
 * <a>" only because marquee is a scope marker). So an element we do not
 * keep is either dropped with its content, or - when it is an "ordinary"
 * element in the parser's sense (unknown tags, label, legend...) - written
 * as <span>, which the parser treats exactly the same way. Special and
 * scope-marker elements are kept or dropped, never renamed, except xmp,
 * listing and plaintext, which parse like <pre> and become <pre>.
 */
#include <setjmp.h>
#include <string.h>

#include <gumbo.h>

#include "sanitize.h"
#include "sanitize_private.h"
#include "core/banned.h"

enum el_action {
	EL_SPAN = 0, /* ordinary element we do not know: becomes <span> */
	EL_KEEP,
	EL_DROP, /* with its content */
	EL_PRE,  /* parses like <pre>: becomes <pre> */
	EL_STYLE,
};

static const GumboTag keep_tags[] = {
        GUMBO_TAG_A,       GUMBO_TAG_ABBR,       GUMBO_TAG_ACRONYM,
        GUMBO_TAG_ADDRESS, GUMBO_TAG_ARTICLE,    GUMBO_TAG_ASIDE,
        GUMBO_TAG_B,       GUMBO_TAG_BDI,        GUMBO_TAG_BDO,
        GUMBO_TAG_BIG,     GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_BR,
        GUMBO_TAG_CAPTION, GUMBO_TAG_CENTER,     GUMBO_TAG_CITE,
        GUMBO_TAG_CODE,    GUMBO_TAG_COL,        GUMBO_TAG_COLGROUP,
        GUMBO_TAG_DATA,    GUMBO_TAG_DD,         GUMBO_TAG_DEL,
        GUMBO_TAG_DETAILS, GUMBO_TAG_DFN,        GUMBO_TAG_DIR,
        GUMBO_TAG_DIV,     GUMBO_TAG_DL,         GUMBO_TAG_DT,
        GUMBO_TAG_EM,      GUMBO_TAG_FIELDSET,   GUMBO_TAG_FIGCAPTION,
        GUMBO_TAG_FIGURE,  GUMBO_TAG_FONT,       GUMBO_TAG_FOOTER,
        GUMBO_TAG_H1,      GUMBO_TAG_H2,         GUMBO_TAG_H3,
        GUMBO_TAG_H4,      GUMBO_TAG_H5,         GUMBO_TAG_H6,
        GUMBO_TAG_HEADER,  GUMBO_TAG_HGROUP,     GUMBO_TAG_HR,
        GUMBO_TAG_I,       GUMBO_TAG_IMG,        GUMBO_TAG_INS,
        GUMBO_TAG_KBD,     GUMBO_TAG_LI,         GUMBO_TAG_MAIN,
        GUMBO_TAG_MARK,    GUMBO_TAG_MARQUEE,    GUMBO_TAG_MENU,
        GUMBO_TAG_NAV,     GUMBO_TAG_NOBR,       GUMBO_TAG_OL,
        GUMBO_TAG_P,       GUMBO_TAG_PRE,        GUMBO_TAG_Q,
        GUMBO_TAG_RB,      GUMBO_TAG_RP,         GUMBO_TAG_RT,
        GUMBO_TAG_RTC,     GUMBO_TAG_RUBY,       GUMBO_TAG_S,
        GUMBO_TAG_SAMP,    GUMBO_TAG_SECTION,    GUMBO_TAG_SMALL,
        GUMBO_TAG_SPAN,    GUMBO_TAG_STRIKE,     GUMBO_TAG_STRONG,
        GUMBO_TAG_SUB,     GUMBO_TAG_SUMMARY,    GUMBO_TAG_SUP,
        GUMBO_TAG_TABLE,   GUMBO_TAG_TBODY,      GUMBO_TAG_TD,
        GUMBO_TAG_TFOOT,   GUMBO_TAG_TH,         GUMBO_TAG_THEAD,
        GUMBO_TAG_TIME,    GUMBO_TAG_TR,         GUMBO_TAG_TT,
        GUMBO_TAG_U,       GUMBO_TAG_UL,         GUMBO_TAG_VAR,
        GUMBO_TAG_WBR,
};

static const GumboTag drop_tags[] = {
        GUMBO_TAG_HTML,
        GUMBO_TAG_HEAD,
        GUMBO_TAG_TITLE,
        GUMBO_TAG_BASE,
        GUMBO_TAG_LINK,
        GUMBO_TAG_META,
        GUMBO_TAG_SCRIPT,
        GUMBO_TAG_NOSCRIPT,
        GUMBO_TAG_TEMPLATE,
        GUMBO_TAG_BODY,
        GUMBO_TAG_IMAGE,
        GUMBO_TAG_IFRAME,
        GUMBO_TAG_EMBED,
        GUMBO_TAG_OBJECT,
        GUMBO_TAG_PARAM,
        GUMBO_TAG_VIDEO,
        GUMBO_TAG_AUDIO,
        GUMBO_TAG_SOURCE,
        GUMBO_TAG_TRACK,
        GUMBO_TAG_CANVAS,
        GUMBO_TAG_MAP,
        GUMBO_TAG_AREA,
        GUMBO_TAG_MATH,
        GUMBO_TAG_MI,
        GUMBO_TAG_MO,
        GUMBO_TAG_MN,
        GUMBO_TAG_MS,
        GUMBO_TAG_MTEXT,
        GUMBO_TAG_MGLYPH,
        GUMBO_TAG_MALIGNMARK,
        GUMBO_TAG_ANNOTATION_XML,
        GUMBO_TAG_SVG,
        GUMBO_TAG_FOREIGNOBJECT,
        GUMBO_TAG_DESC,
        GUMBO_TAG_FORM,
        GUMBO_TAG_INPUT,
        GUMBO_TAG_BUTTON,
        GUMBO_TAG_SELECT,
        GUMBO_TAG_DATALIST,
        GUMBO_TAG_OPTGROUP,
        GUMBO_TAG_OPTION,
        GUMBO_TAG_TEXTAREA,
        GUMBO_TAG_KEYGEN,
        GUMBO_TAG_PROGRESS,
        GUMBO_TAG_METER,
        GUMBO_TAG_MENUITEM,
        GUMBO_TAG_APPLET,
        GUMBO_TAG_BGSOUND,
        GUMBO_TAG_FRAME,
        GUMBO_TAG_FRAMESET,
        GUMBO_TAG_NOFRAMES,
        GUMBO_TAG_ISINDEX,
        GUMBO_TAG_NEXTID,
        GUMBO_TAG_NOEMBED,
        GUMBO_TAG_BASEFONT,
        GUMBO_TAG_SPACER,
};

static enum el_action
el_action(GumboTag tag)
{
	size_t i;

	if (tag == GUMBO_TAG_STYLE)
		return EL_STYLE;
	if (tag == GUMBO_TAG_XMP || tag == GUMBO_TAG_LISTING ||
	    tag == GUMBO_TAG_PLAINTEXT)
		return EL_PRE;
	for (i = 0; i < PT_NELEM(keep_tags); i++) {
		if (keep_tags[i] == tag)
			return EL_KEEP;
	}
	for (i = 0; i < PT_NELEM(drop_tags); i++) {
		if (drop_tags[i] == tag)
			return EL_DROP;
	}
	/* Unknown tags, label, legend, output, blink, multicol... */
	return EL_SPAN;
}

static bool
is_void(GumboTag tag)
{
	return tag == GUMBO_TAG_BR || tag == GUMBO_TAG_WBR ||
	       tag == GUMBO_TAG_IMG || tag == GUMBO_TAG_HR ||
	       tag == GUMBO_TAG_COL;
}

/* The parser's "special" category, restricted to elements we write. */
static bool
is_special(GumboTag tag)
{
	static const GumboTag special[] = {
	        GUMBO_TAG_ADDRESS,    GUMBO_TAG_ARTICLE,    GUMBO_TAG_ASIDE,
	        GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_BR,         GUMBO_TAG_CAPTION,
	        GUMBO_TAG_CENTER,     GUMBO_TAG_COL,        GUMBO_TAG_COLGROUP,
	        GUMBO_TAG_DD,         GUMBO_TAG_DETAILS,    GUMBO_TAG_DIR,
	        GUMBO_TAG_DIV,        GUMBO_TAG_DL,         GUMBO_TAG_DT,
	        GUMBO_TAG_FIELDSET,   GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE,
	        GUMBO_TAG_FOOTER,     GUMBO_TAG_H1,         GUMBO_TAG_H2,
	        GUMBO_TAG_H3,         GUMBO_TAG_H4,         GUMBO_TAG_H5,
	        GUMBO_TAG_H6,         GUMBO_TAG_HEADER,     GUMBO_TAG_HGROUP,
	        GUMBO_TAG_HR,         GUMBO_TAG_IMG,        GUMBO_TAG_LI,
	        GUMBO_TAG_MAIN,       GUMBO_TAG_MARQUEE,    GUMBO_TAG_MENU,
	        GUMBO_TAG_NAV,        GUMBO_TAG_OL,         GUMBO_TAG_P,
	        GUMBO_TAG_PRE,        GUMBO_TAG_SECTION,    GUMBO_TAG_SUMMARY,
	        GUMBO_TAG_TABLE,      GUMBO_TAG_TBODY,      GUMBO_TAG_TD,
	        GUMBO_TAG_TFOOT,      GUMBO_TAG_TH,         GUMBO_TAG_THEAD,
	        GUMBO_TAG_TR,         GUMBO_TAG_UL,         GUMBO_TAG_WBR,
	};
	size_t i;

	for (i = 0; i < PT_NELEM(special); i++) {
		if (special[i] == tag)
			return true;
	}
	return false;
}

/* "<h1><h2>" parses as two siblings, whatever tree built it. */
static bool
is_heading(GumboTag tag)
{
	return tag == GUMBO_TAG_H1 || tag == GUMBO_TAG_H2 ||
	       tag == GUMBO_TAG_H3 || tag == GUMBO_TAG_H4 ||
	       tag == GUMBO_TAG_H5 || tag == GUMBO_TAG_H6;
}

/* ---- attribute allow-list -------------------------------------------- */

#define T_END GUMBO_TAG_LAST

static const GumboTag on_img[] = {GUMBO_TAG_IMG, T_END};
static const GumboTag on_table[] = {GUMBO_TAG_TABLE, T_END};
static const GumboTag on_cell[] = {GUMBO_TAG_TD, GUMBO_TAG_TH, T_END};
static const GumboTag on_font[] = {GUMBO_TAG_FONT, T_END};
static const GumboTag on_font_hr[] = {GUMBO_TAG_FONT, GUMBO_TAG_HR, T_END};
static const GumboTag on_ol[] = {GUMBO_TAG_OL, T_END};
static const GumboTag on_li[] = {GUMBO_TAG_LI, GUMBO_TAG_DATA, T_END};
static const GumboTag on_col[] = {GUMBO_TAG_COL, GUMBO_TAG_COLGROUP, T_END};
static const GumboTag on_hr[] = {GUMBO_TAG_HR, T_END};
static const GumboTag on_br[] = {GUMBO_TAG_BR, T_END};
static const GumboTag on_details[] = {GUMBO_TAG_DETAILS, T_END};
static const GumboTag on_list[] = {GUMBO_TAG_OL, GUMBO_TAG_UL, GUMBO_TAG_LI,
                                   T_END};
static const GumboTag on_edit[] = {GUMBO_TAG_DEL, GUMBO_TAG_INS, GUMBO_TAG_TIME,
                                   T_END};
static const GumboTag on_cite[] = {GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_Q,
                                   GUMBO_TAG_DEL, GUMBO_TAG_INS, T_END};
static const GumboTag on_width[] = {
        GUMBO_TAG_IMG, GUMBO_TAG_TABLE, GUMBO_TAG_TD,
        GUMBO_TAG_TH,  GUMBO_TAG_COL,   GUMBO_TAG_COLGROUP,
        GUMBO_TAG_HR,  GUMBO_TAG_PRE,   T_END};
static const GumboTag on_height[] = {GUMBO_TAG_IMG, GUMBO_TAG_TABLE,
                                     GUMBO_TAG_TD,  GUMBO_TAG_TH,
                                     GUMBO_TAG_TR,  T_END};
static const GumboTag on_tablepart[] = {GUMBO_TAG_TABLE,    GUMBO_TAG_TBODY,
                                        GUMBO_TAG_THEAD,    GUMBO_TAG_TFOOT,
                                        GUMBO_TAG_TR,       GUMBO_TAG_TD,
                                        GUMBO_TAG_TH,       GUMBO_TAG_COL,
                                        GUMBO_TAG_COLGROUP, T_END};
static const GumboTag on_border[] = {GUMBO_TAG_IMG, GUMBO_TAG_TABLE, T_END};

enum attr_kind {
	A_TEXT = 1,
	A_STYLE,
	A_CITE, /* a URL that is never loaded: http(s)/mailto kept */
};

static const struct {
	const char *name;
	enum attr_kind kind;
	const GumboTag *tags; /* NULL: every element */
} attr_rules[] = {
        {"abbr", A_TEXT, on_cell},
        {"align", A_TEXT, NULL},
        {"alt", A_TEXT, on_img},
        {"bgcolor", A_TEXT, on_tablepart},
        {"border", A_TEXT, on_border},
        {"cellpadding", A_TEXT, on_table},
        {"cellspacing", A_TEXT, on_table},
        {"cite", A_CITE, on_cite},
        {"class", A_TEXT, NULL},
        {"clear", A_TEXT, on_br},
        {"color", A_TEXT, on_font},
        {"colspan", A_TEXT, on_cell},
        {"datetime", A_TEXT, on_edit},
        {"dir", A_TEXT, NULL},
        {"face", A_TEXT, on_font},
        {"frame", A_TEXT, on_table},
        {"height", A_TEXT, on_height},
        {"hspace", A_TEXT, on_img},
        {"lang", A_TEXT, NULL},
        {"noshade", A_TEXT, on_hr},
        {"nowrap", A_TEXT, on_cell},
        {"open", A_TEXT, on_details},
        {"reversed", A_TEXT, on_ol},
        {"rowspan", A_TEXT, on_cell},
        {"rules", A_TEXT, on_table},
        {"scope", A_TEXT, on_cell},
        {"size", A_TEXT, on_font_hr},
        {"span", A_TEXT, on_col},
        {"start", A_TEXT, on_ol},
        {"style", A_STYLE, NULL},
        {"summary", A_TEXT, on_table},
        {"title", A_TEXT, NULL},
        {"type", A_TEXT, on_list},
        {"valign", A_TEXT, on_tablepart},
        {"value", A_TEXT, on_li},
        {"vspace", A_TEXT, on_img},
        {"width", A_TEXT, on_width},
};

static int
attr_rule(GumboTag tag, const char *name)
{
	size_t i;
	const GumboTag *t;

	for (i = 0; i < PT_NELEM(attr_rules); i++) {
		if (strcmp(attr_rules[i].name, name) != 0)
			continue;
		if (attr_rules[i].tags == NULL)
			return (int)i;
		for (t = attr_rules[i].tags; *t != T_END; t++) {
			if (*t == tag)
				return (int)i;
		}
		return -1;
	}
	return -1;
}

/* ---- the walk ---------------------------------------------------------- */

struct frame {
	const GumboVector *children;
	unsigned next;
	const char *close; /* end tag to write when done; NULL: none */
	bool in_a;         /* an <a> is open with no scope marker since */
	bool in_nobr;      /* a <nobr> is open in scope */
	bool heading;      /* this element is h1-h6 */
	bool in_li;        /* an <li> is open, no special element since */
	bool in_dx;        /* the same for <dd>/<dt> */
};

struct walker {
	const struct sanitize_opts *o;
	struct arena *wa;      /* gumbo's tree and the output */
	struct arena *scratch; /* per element; reset after each one */
	struct sanitize_report *rep;
	struct sbuf body;
	struct sbuf sheet;
	struct css_ctx css;
	size_t max_depth;
	bool pre_start; /* just opened a <pre>: a leading LF needs doubling */
	bool failed;    /* the work arena is full */
};

/*
 * Escape for text and for double-quoted attribute values alike. Code
 * points the parser would not read back as themselves become numeric
 * references (C1 controls cannot: "&#x80;" means U+20AC, so U+FFFD).
 */
static void
put_escaped(struct sbuf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0;

	while (i < n) {
		const char *rep;
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t len = 1;
		char num[16];

		rep = codec_html_entity((char)c);
		if (rep != NULL) {
			/* one of the five specials */
		} else if (c == '\0') {
			rep = "\xef\xbf\xbd";
		} else if (c == '\r') {
			/* The parser turns a raw CR into LF; do it now. */
			rep = "\n";
		} else if (c >= 0x20 && c < 0x7f) {
			i++;
			continue;
		} else {
			len = codec_utf8_next(s + i, n - i, &cp);
			if (!cp_is_unstable(cp) && cp != 0xfffd) {
				i += len;
				continue;
			}
			if (cp == 0xfffd || (cp >= 0x80 && cp <= 0x9f))
				rep = "\xef\xbf\xbd";
			else if (pt_snprintf_ok(num, sizeof(num), "&#%u;",
			                        (unsigned)cp))
				rep = num;
			else
				rep = "\xef\xbf\xbd";
		}
		sbuf_append(b, s + run, i - run);
		sbuf_append_cstr(b, rep);
		i += len;
		run = i;
	}
	sbuf_append(b, s + run, n - run);
}

static void
put_attr(struct sbuf *b, const char *name, struct strv value)
{
	sbuf_append_char(b, ' ');
	sbuf_append_cstr(b, name);
	sbuf_append_cstr(b, "=\"");
	put_escaped(b, value.p, value.len);
	sbuf_append_char(b, '"');
}

static void
emit_text(struct walker *w, const char *text)
{
	size_t n = strlen(text);

	if (n == 0)
		return;
	if (w->pre_start && text[0] == '\n')
		sbuf_append_char(&w->body, '\n');
	w->pre_start = false;
	put_escaped(&w->body, text, n);
}

static const char *
attr_value(const GumboElement *el, const char *name)
{
	GumboAttribute *at = gumbo_get_attribute(&el->attributes, name);

	if (at == NULL || at->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE)
		return NULL;
	return at->value;
}

/* width="1", height="0px": a tracking pixel's size. */
static bool
attr_tiny(const char *v)
{
	struct strv s = strv_trim(strv_from_cstr(v));
	size_t i = 0;

	while (i < s.len && ((s.p[i] >= '0' && s.p[i] <= '9') ||
	                     s.p[i] == '.' || s.p[i] == '+'))
		i++;
	if (i == 0)
		return false;
	return css_tiny_size((struct strv){s.p, i},
	                     strv_trim((struct strv){s.p + i, s.len - i}));
}

/*
 * A URL-valued attribute that may load something (src, background):
 * its effective value comes from our own marker attributes first, so that
 * a second pass sees what the first one saw.
 */
struct url_attr {
	const char *name;           /* "src" */
	const char *blocked_marker; /* "data-petrel-src" */
	const char *cid_marker;     /* "data-petrel-cid" */
};

static const struct url_attr src_attr = {"src", "data-petrel-src",
                                         "data-petrel-cid"};
static const struct url_attr bg_attr = {"background", "data-petrel-background",
                                        "data-petrel-cid-background"};
static const struct url_attr href_attr = {"href", NULL, "data-petrel-cid-href"};

/* Find the effective URL of ua on el; URL_BAD if none. */
static enum url_kind
effective_url(struct walker *w, const GumboElement *el,
              const struct url_attr *ua, struct strv *clean_r)
{
	const char *v;

	*clean_r = STRV_NULL;
	v = attr_value(el, ua->cid_marker);
	if (v != NULL) {
		char *u = arena_printf(w->scratch, "cid:%s", v);

		if (u == NULL)
			return URL_BAD;
		return url_classify(strv_from_cstr(u), w->scratch, clean_r);
	}
	if (ua->blocked_marker != NULL &&
	    (v = attr_value(el, ua->blocked_marker)) != NULL)
		return url_classify(strv_from_cstr(v), w->scratch, clean_r);
	v = attr_value(el, ua->name);
	if (v == NULL)
		return URL_BAD;
	return url_classify(strv_from_cstr(v), w->scratch, clean_r);
}

/* cid: through the caller's callback; keeps the cid in the marker. */
static void
put_cid(struct walker *w, struct sbuf *b, const struct url_attr *ua,
        struct strv url)
{
	struct strv cid = {url.p + 4, url.len - 4};
	const char *target;

	if (w->o->cid_url == NULL) {
		put_attr(b, ua->name, url);
		return;
	}
	target = w->o->cid_url(w->o->cid_ctx, cid);
	if (target == NULL) {
		w->rep->attributes_dropped++;
		return;
	}
	put_attr(b, ua->name, strv_from_cstr(target));
	put_attr(b, ua->cid_marker, cid);
}

static bool
is_ours(const char *name)
{
	return strcmp(name, "href") == 0 || strcmp(name, "src") == 0 ||
	       strcmp(name, "background") == 0 || strcmp(name, "target") == 0 ||
	       strcmp(name, "rel") == 0 ||
	       strncmp(name, "data-petrel-", 12) == 0;
}

/*
 * Write the start tag of el as tag (with its kept attributes) to w->body.
 * Returns false when the element is to be dropped after all (a tracking
 * pixel).
 */
static bool
emit_start1(struct walker *w, const GumboElement *el, GumboTag tag,
            const char *name)
{
	struct sbuf attrs;
	struct strv url;
	enum url_kind kind;
	unsigned i;
	bool tiny = false, hidden = false;

	sbuf_init(&attrs, w->scratch, 128, 0);
	for (i = 0; i < el->attributes.length; i++) {
		const GumboAttribute *at = el->attributes.data[i];
		int r;

		if (at->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE) {
			w->rep->attributes_dropped++;
			continue;
		}
		if (is_ours(at->name))
			continue;
		r = attr_rule(tag, at->name);
		if (r < 0) {
			w->rep->attributes_dropped++;
			continue;
		}
		switch (attr_rules[r].kind) {
		case A_STYLE: {
			struct sbuf css;

			sbuf_init(&css, w->scratch, 128, 0);
			if (css_sanitize_decls(strv_from_cstr(at->value),
			                       &w->css, &css) != 0) {
				w->failed = true;
				return false;
			}
			tiny = tiny || w->css.tiny;
			hidden = hidden || w->css.hidden;
			if (css.len > 0)
				put_attr(&attrs, "style", sbuf_view(&css));
			else
				w->rep->attributes_dropped++;
			break;
		}
		case A_CITE:
			kind = url_classify(strv_from_cstr(at->value),
			                    w->scratch, &url);
			if (kind == URL_HTTP || kind == URL_MAILTO)
				put_attr(&attrs, attr_rules[r].name, url);
			else
				w->rep->attributes_dropped++;
			break;
		default:
			if ((strcmp(at->name, "width") == 0 ||
			     strcmp(at->name, "height") == 0) &&
			    attr_tiny(at->value))
				tiny = true;
			put_attr(&attrs, attr_rules[r].name,
			         strv_from_cstr(at->value));
		}
	}

	if (tag == GUMBO_TAG_A) {
		kind = effective_url(w, el, &href_attr, &url);
		if (kind == URL_HTTP || kind == URL_MAILTO)
			put_attr(&attrs, "href", url);
		else if (kind == URL_CID)
			put_cid(w, &attrs, &href_attr, url);
		else if (attr_value(el, "href") != NULL)
			w->rep->attributes_dropped++;
		if (kind != URL_BAD) {
			put_attr(&attrs, "target", STRV_LIT("_blank"));
			put_attr(&attrs, "rel",
			         STRV_LIT("noopener noreferrer"));
		}
	} else if (tag == GUMBO_TAG_IMG) {
		kind = effective_url(w, el, &src_attr, &url);
		if (kind == URL_HTTP) {
			if (tiny || hidden ||
			    url_host_is_beacon(url_host(url, w->scratch))) {
				w->rep->tracker_seen = true;
				w->rep->remote_blocked++;
				w->rep->elements_dropped++;
				return false;
			}
			if (w->o->allow_remote) {
				put_attr(&attrs, "src", url);
			} else {
				w->rep->remote_blocked++;
				if (w->o->placeholder_url != NULL)
					put_attr(
					        &attrs, "src",
					        strv_from_cstr(
					                w->o->placeholder_url));
				put_attr(&attrs, src_attr.blocked_marker, url);
			}
		} else if (kind == URL_CID) {
			put_cid(w, &attrs, &src_attr, url);
		} else if (attr_value(el, "src") != NULL) {
			w->rep->attributes_dropped++;
		}
	} else if (tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_TD ||
	           tag == GUMBO_TAG_TH) {
		kind = effective_url(w, el, &bg_attr, &url);
		if (kind == URL_HTTP) {
			if (w->o->allow_remote) {
				put_attr(&attrs, "background", url);
			} else {
				w->rep->remote_blocked++;
				put_attr(&attrs, bg_attr.blocked_marker, url);
			}
		} else if (kind == URL_CID) {
			put_cid(w, &attrs, &bg_attr, url);
		} else if (attr_value(el, "background") != NULL) {
			w->rep->attributes_dropped++;
		}
	}
	if (!sbuf_ok(&attrs)) {
		w->failed = true;
		return false;
	}
	w->pre_start = false;
	sbuf_append_char(&w->body, '<');
	sbuf_append_cstr(&w->body, name);
	sbuf_append_strv(&w->body, sbuf_view(&attrs));
	sbuf_append_char(&w->body, '>');
	return true;
}

/* All temporaries of one start tag live in the scratch arena. */
static bool
emit_start(struct walker *w, const GumboElement *el, GumboTag tag,
           const char *name)
{
	bool ok = emit_start1(w, el, tag, name);

	if (arena_hit_limit(w->scratch))
		w->failed = true;
	arena_reset(w->scratch);
	return ok;
}

static void
collect_style(struct walker *w, const GumboElement *el)
{
	unsigned i;

	for (i = 0; i < el->children.length; i++) {
		const GumboNode *n = el->children.data[i];

		if (n->type != GUMBO_NODE_TEXT &&
		    n->type != GUMBO_NODE_WHITESPACE)
			continue;
		if (css_sanitize_sheet(strv_from_cstr(n->v.text.text), &w->css,
		                       &w->sheet) != 0 ||
		    arena_hit_limit(w->scratch))
			w->failed = true;
		arena_reset(w->scratch);
	}
}

static void
walk(struct walker *w, const GumboNode *root)
{
	struct frame *stack;
	size_t sp = 0;

	stack = arena_new_array(w->wa, struct frame, w->max_depth + 1);
	if (stack == NULL) {
		w->failed = true;
		return;
	}
	stack[sp].children = &root->v.element.children;
	stack[sp].next = 0;
	stack[sp].close = NULL;
	stack[sp].in_a = stack[sp].in_nobr = stack[sp].heading = false;
	stack[sp].in_li = stack[sp].in_dx = false;
	sp++;
	while (sp > 0 && !w->failed) {
		struct frame *f = &stack[sp - 1];
		const GumboNode *n;
		const GumboElement *el;
		enum el_action act;
		GumboTag tag;
		const char *name;

		if (f->next >= f->children->length) {
			if (f->close != NULL) {
				w->pre_start = false;
				sbuf_append_cstr(&w->body, "</");
				sbuf_append_cstr(&w->body, f->close);
				sbuf_append_char(&w->body, '>');
			}
			sp--;
			continue;
		}
		n = f->children->data[f->next++];
		switch (n->type) {
		case GUMBO_NODE_TEXT:
		case GUMBO_NODE_WHITESPACE:
			emit_text(w, n->v.text.text);
			continue;
		case GUMBO_NODE_ELEMENT:
			break;
		default:
			/* comments, CDATA, <template> contents */
			continue;
		}
		el = &n->v.element;
		if (el->tag_namespace != GUMBO_NAMESPACE_HTML) {
			w->rep->elements_dropped++;
			continue;
		}
		act = el_action(el->tag);
		if (act == EL_DROP) {
			w->rep->elements_dropped++;
			continue;
		}
		if (act == EL_STYLE) {
			collect_style(w, el);
			continue;
		}
		if (sp > w->max_depth) {
			w->rep->depth_truncated = true;
			w->rep->elements_dropped++;
			continue;
		}
		switch (act) {
		case EL_KEEP:
			tag = el->tag;
			break;
		case EL_PRE:
			tag = GUMBO_TAG_PRE;
			break;
		default:
			tag = GUMBO_TAG_SPAN;
		}
		/*
		 * The adoption agency and foster parenting can leave an <a>
		 * inside an <a> (or nobr in nobr) with no marker between; a
		 * browser would take our "<a>...<a>" apart on the next parse.
		 */
		if ((tag == GUMBO_TAG_A && f->in_a) ||
		    (tag == GUMBO_TAG_NOBR && f->in_nobr) ||
		    (is_heading(tag) && f->heading) ||
		    (tag == GUMBO_TAG_LI && f->in_li) ||
		    ((tag == GUMBO_TAG_DD || tag == GUMBO_TAG_DT) && f->in_dx))
			tag = GUMBO_TAG_SPAN;
		name = gumbo_normalized_tagname(tag);
		if (!emit_start(w, el, tag, name))
			continue;
		if (is_void(tag))
			continue;
		stack[sp].children = &el->children;
		stack[sp].next = 0;
		stack[sp].close = name;
		stack[sp].in_a = f->in_a || tag == GUMBO_TAG_A;
		stack[sp].in_nobr = f->in_nobr || tag == GUMBO_TAG_NOBR;
		stack[sp].heading = is_heading(tag);
		/*
		 * HTML 13.2.6.4.7 "li"/"dd"/"dt" start tags: the parser
		 * closes an open li (dd, dt) unless a special element other
		 * than address, div and p sits between them.
		 */
		if (tag == GUMBO_TAG_LI) {
			stack[sp].in_li = true;
			stack[sp].in_dx = false;
		} else if (tag == GUMBO_TAG_DD || tag == GUMBO_TAG_DT) {
			stack[sp].in_li = false;
			stack[sp].in_dx = true;
		} else if (is_special(tag) && tag != GUMBO_TAG_ADDRESS &&
		           tag != GUMBO_TAG_DIV && tag != GUMBO_TAG_P) {
			stack[sp].in_li = stack[sp].in_dx = false;
		} else {
			stack[sp].in_li = f->in_li;
			stack[sp].in_dx = f->in_dx;
		}
		if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH ||
		    tag == GUMBO_TAG_CAPTION || tag == GUMBO_TAG_MARQUEE) {
			stack[sp].in_a = false;
			stack[sp].in_nobr = false;
		}
		if (tag == GUMBO_TAG_TABLE)
			stack[sp].in_nobr = false;
		sp++;
		if (tag == GUMBO_TAG_PRE)
			w->pre_start = true;
	}
}

/* ---- parse --------------------------------------------------------------- */

/*
 * gumbo does not check for NULL from its allocator, so running out of the
 * parse budget unwinds straight back to sanitize_gumbo_parse(). Nothing is
 * lost: every byte gumbo holds lives in the work arena, which the caller
 * destroys.
 */
static void *
g_alloc(void *ud, size_t n)
{
	struct galloc *g = ud;
	void *p = arena_alloc(g->a, n == 0 ? 1 : n);

	if (p == NULL)
		longjmp(g->jb, 1);
	return p;
}

static void
g_free(void *ud, void *p)
{
	(void)ud;
	(void)p;
}

GumboOutput *
sanitize_gumbo_parse(struct galloc *g, const char *s, size_t n)
{
	GumboOptions opt = kGumboDefaultOptions;

	opt.allocator = g_alloc;
	opt.deallocator = g_free;
	opt.userdata = g;
	opt.max_errors = 0;
	/* Parse as a browser parses innerHTML of <body>: no-quirks. */
	opt.fragment_context = GUMBO_TAG_BODY;
	opt.fragment_namespace = GUMBO_NAMESPACE_HTML;
	if (setjmp(g->jb) != 0)
		return NULL;
	return gumbo_parse_with_options(&opt, s, n);
}

/* ---- pre-scan ------------------------------------------------------------ */

static bool
name_in(struct strv name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strv_eq_ci_ascii(name, strv_from_cstr(list[i])))
			return true;
	}
	return false;
}

/* Start tags that do not nest: void elements and ones the parser closes
 * by itself (p, li, td...). */
static const char *const uncounted[] = {
        "area",     "base",   "basefont", "bgsound", "body",     "br",
        "caption",  "col",    "colgroup", "dd",      "dt",       "embed",
        "frame",    "head",   "hr",       "html",    "image",    "img",
        "input",    "keygen", "li",       "link",    "menuitem", "meta",
        "optgroup", "option", "p",        "param",   "rb",       "rp",
        "rt",       "rtc",    "source",   "tbody",   "td",       "tfoot",
        "th",       "thead",  "tr",       "track",   "wbr",
};

static const char *const rawtext[] = {
        "iframe", "noembed",  "noframes", "noscript", "script",
        "style",  "textarea", "title",    "xmp",
};

/* Offset of needle ("</name", any case) in s from `from`, or len. */
static size_t
find_ci(const char *s, size_t len, size_t from, struct strv needle)
{
	while (from < len) {
		const char *lt = memchr(s + from, '<', len - from);
		size_t i;

		if (lt == NULL)
			break;
		i = (size_t)(lt - s);
		if (i + needle.len <= len &&
		    strv_eq_ci_ascii((struct strv){s + i, needle.len}, needle))
			return i;
		from = i + 1;
	}
	return len;
}

/*
 * A cheap tokenizer that counts open start tags, to cut hostile nesting
 * before gumbo sees it (gumbo's scope checks make deep nesting
 * quadratic). It is only an estimate - comments and raw text are skipped,
 * quoting is approximate - and a wrong guess can only cut a message
 * short, never let anything through: the cut prefix is sanitized like
 * any other input. Our own output never comes near the limit, so a second
 * pass is not cut.
 */
static size_t
prescan_cut(struct strv in, size_t limit)
{
	const char *s = in.p;
	size_t len = in.len, i = 0, depth = 0;

	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i);
		size_t start, ns;
		struct strv name;
		bool end;

		if (lt == NULL)
			break;
		start = (size_t)(lt - s);
		i = start + 1;
		if (i < len && s[i] == '!') {
			if (i + 2 < len && s[i + 1] == '-' && s[i + 2] == '-') {
				const char *e = memmem(s + i + 3, len - i - 3,
				                       "-->", 3);

				i = e == NULL ? len : (size_t)(e - s) + 3;
			}
			continue;
		}
		end = i < len && s[i] == '/';
		if (end)
			i++;
		if (i >= len || !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
			continue;
		ns = i;
		while (i < len && s[i] != '>' && s[i] != '/' && s[i] != ' ' &&
		       s[i] != '\t' && s[i] != '\n' && s[i] != '\r' &&
		       s[i] != '\f')
			i++;
		name = (struct strv){s + ns, i - ns};
		/* Skip attributes; quotes count only after '='. */
		while (i < len && s[i] != '>') {
			if (s[i] == '=') {
				i++;
				while (i < len &&
				       (s[i] == ' ' || s[i] == '\t' ||
				        s[i] == '\n'))
					i++;
				if (i < len && (s[i] == '"' || s[i] == '\'')) {
					const char *q = memchr(s + i + 1, s[i],
					                       len - i - 1);

					if (q == NULL)
						return len;
					i = (size_t)(q - s);
				}
			}
			i++;
		}
		if (name_in(name, uncounted, PT_NELEM(uncounted)))
			continue;
		if (end) {
			if (depth > 0)
				depth--;
			continue;
		}
		if (strv_eq_ci_ascii(name, STRV_LIT("plaintext")))
			return len;
		if (name_in(name, rawtext, PT_NELEM(rawtext))) {
			char close[16];

			if (!pt_snprintf_ok(close, sizeof(close), "</%.*s",
			                    (int)name.len, name.p))
				continue;
			i = find_ci(s, len, i, strv_from_cstr(close));
			continue;
		}
		if (++depth > limit)
			return start;
	}
	return len;
}

/* ---- entry --------------------------------------------------------------- */

/* One pass: parse, walk, serialize into out. */
static int
sanitize_once(struct strv html, const struct sanitize_opts *o, struct arena *a,
              struct sbuf *out, struct sanitize_report *rep, struct perr *err)
{
	struct walker w;
	struct galloc g;
	GumboOutput *g_out;
	size_t mem, max_out, cut, total;
	int ret = 0;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.rep = rep;
	w.max_depth =
	        o->max_depth != 0 ? o->max_depth : SANITIZE_DEFAULT_MAX_DEPTH;
	mem = o->max_parse_mem != 0 ? o->max_parse_mem
	                            : SANITIZE_DEFAULT_MAX_PARSE_MEM;
	max_out = o->max_output;
	w.wa = arena_create("sanitize", 64 * 1024, mem);
	w.scratch = arena_create("sanitize-tmp", 16 * 1024, mem);
	w.css.arena = w.scratch;
	w.css.allow_remote = o->allow_remote;
	w.css.scope_class = o->scope_class != NULL && o->scope_class[0] != '\0'
	                            ? o->scope_class
	                            : NULL;
	w.css.rep = rep;
	sbuf_init(&w.body, w.wa, html.len + 64, max_out);
	sbuf_init(&w.sheet, w.wa, 256, max_out);

	cut = prescan_cut(html, w.max_depth * 16);
	if (cut < html.len)
		rep->depth_truncated = true;
	g.a = w.wa;
	g_out = sanitize_gumbo_parse(&g, html.p != NULL ? html.p : "", cut);
	if (g_out == NULL || g_out->root == NULL) {
		ret = perr_set(err, a, PERR_LIMIT,
		               "sanitize: message too large to parse");
		goto done;
	}
	walk(&w, g_out->root);
	if (w.failed || arena_hit_limit(w.wa)) {
		ret = perr_set(err, a, PERR_LIMIT,
		               "sanitize: message too large to sanitize");
		goto done;
	}
	/* Defense in depth: the CSS writer never emits '<'. */
	PT_ASSERT(memchr(sbuf_cstr(&w.sheet), '<', w.sheet.len) == NULL);
	total = w.body.len + (w.sheet.len > 0 ? w.sheet.len + 15 : 0);
	if (!sbuf_ok(&w.body) || !sbuf_ok(&w.sheet) ||
	    (max_out != 0 && total > max_out)) {
		ret = perr_set(err, a, PERR_LIMIT,
		               "sanitize: output over the limit");
		goto done;
	}
	if (w.sheet.len > 0) {
		sbuf_append_cstr(out, "<style>");
		sbuf_append_strv(out, sbuf_view(&w.sheet));
		sbuf_append_cstr(out, "</style>");
	}
	sbuf_append_strv(out, sbuf_view(&w.body));
	if (!sbuf_ok(out))
		ret = perr_set(err, a, PERR_LIMIT,
		               "sanitize: output over the limit");
done:
	arena_destroy(&w.scratch);
	arena_destroy(&w.wa);
	return ret;
}

/*
 * HTML parsing is not a fixed point in general: the adoption agency and
 * foster parenting can build trees that, serialized, parse into another
 * tree. The walker avoids the cases we know of; as a safety net the
 * result is sanitized again until it no longer changes (every pass is
 * fully sanitized, so stopping early is still safe, just not idempotent).
 * Almost always the second pass confirms the first.
 */
#ifndef SANITIZE_MAX_PASSES /* the fuzzer builds with 1 to find more */
#define SANITIZE_MAX_PASSES 4
#endif

int
sanitize_html(struct strv html, const struct sanitize_opts *o, struct arena *a,
              struct sbuf *out, struct sanitize_report *rep_r, struct perr *err)
{
	static const struct sanitize_opts defaults;
	struct sanitize_report rep_local, rep_more;
	struct arena *la;
	struct sbuf cur, next;
	int pass, ret = 0;

	if (o == NULL)
		o = &defaults;
	if (rep_r == NULL)
		rep_r = &rep_local;
	memset(rep_r, 0, sizeof(*rep_r));
	if (o->scope_class != NULL && o->scope_class[0] != '\0' &&
	    !css_is_plain_ident(o->scope_class))
		return perr_set(
		        err, a, PERR_INPUT,
		        "sanitize: scope class is not a plain identifier");
	la = arena_create("sanitize-pass", 64 * 1024, 0);
	sbuf_init(&cur, la, html.len + 64, 0);
	if (sanitize_once(html, o, a, &cur, rep_r, err) != 0) {
		ret = -1;
		goto done;
	}
	for (pass = 1; pass < SANITIZE_MAX_PASSES; pass++) {
		memset(&rep_more, 0, sizeof(rep_more));
		sbuf_init(&next, la, cur.len + 64, 0);
		if (sanitize_once(sbuf_view(&cur), o, a, &next, &rep_more,
		                  err) != 0) {
			ret = -1;
			goto done;
		}
		if (strv_eq(sbuf_view(&cur), sbuf_view(&next)))
			break;
		cur = next;
	}
	sbuf_append_strv(out, sbuf_view(&cur));
	if (!sbuf_ok(out))
		ret = perr_set(err, a, PERR_LIMIT,
		               "sanitize: output over the limit");
done:
	arena_destroy(&la);
	return ret;
}
