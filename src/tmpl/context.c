/*
 * The auto-escape context scanner: a small HTML/JS state machine fed with a
 * template's literal text in document order (section bodies included, as
 * ctemplate's htmlparser is). At each variable it answers "which escaper
 * makes a value safe here", following CTEMPLATE.md C8.
 *
 * It is deliberately not a full HTML5 tokenizer: it tracks exactly what the
 * escaping decision needs (text / tag / attribute name / attribute value
 * with its quoting, index and class / comment / raw-text elements / JS
 * string, regex and comment state). Values are unknown at load time, so an
 * inserted variable is treated as opaque text (ctemplate's InsertText).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tmpl.h"
#include "tmpl_private.h"
#include "core/banned.h"

enum hs_state {
	HS_TEXT,
	HS_LT, /* after '<' */
	HS_TAG_NAME,
	HS_TAG_SPACE, /* inside a tag, between attributes */
	HS_ATTR_NAME,
	HS_ATTR_SPACE, /* after an attribute name */
	HS_VALUE,      /* after '=', before the value */
	HS_VALUE_UNQ,
	HS_VALUE_SQ,
	HS_VALUE_DQ,
	HS_COMMENT,
	HS_CDATA, /* script, style, title, textarea bodies */
	HS_JS_FILE,
	HS_CSS_FILE,
	HS_ERROR, /* markup ctemplate's parser rejects; sticky */
};

enum js_state {
	JS_TEXT,
	JS_Q,
	JS_Q_E,
	JS_DQ,
	JS_DQ_E,
	JS_SLASH,
	JS_REGEXP,
	JS_REGEXP_E,
	JS_REGEXP_CLASS,
	JS_REGEXP_CLASS_E,
	JS_LINE_COMMENT,
	JS_BLOCK_COMMENT,
	JS_BLOCK_COMMENT_STAR,
};

/* ---- JavaScript ---------------------------------------------------------- */

static void
js_reset(struct tmpl_jscan *j)
{
	memset(j, 0, sizeof(*j));
	j->state = JS_TEXT;
}

static bool
js_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' ||
	       (unsigned char)c >= 0x80;
}

/*
 * Whether a '/' here starts a regular expression rather than a division:
 * after an operator or at the start, yes; after an identifier, number or
 * closing bracket, no -- unless that identifier is a keyword that takes an
 * expression.
 */
static bool
js_regex_allowed(const struct tmpl_jscan *j)
{
	static const char *const kw[] = {
	        "return", "typeof", "instanceof", "in", "new", "delete",
	        "void",   "throw",  "case",       "do", "else"};
	size_t k;

	if (j->last == '\0')
		return true;
	if (j->last_ident) {
		for (k = 0; k < PT_NELEM(kw); k++)
			if (strlen(kw[k]) == j->wlen &&
			    memcmp(kw[k], j->word, j->wlen) == 0)
				return true;
		return false;
	}
	return strchr(")]}\"'", j->last) == NULL;
}

static void
js_significant(struct tmpl_jscan *j, char c)
{
	if (js_ident_char(c)) {
		if (!j->word_open)
			j->wlen = 0;
		if (j->wlen < sizeof(j->word))
			j->word[j->wlen] = c;
		j->wlen++;
		j->last_ident = true;
		j->word_open = true;
	} else {
		j->last_ident = false;
		j->word_open = false;
		j->wlen = 0;
	}
	j->last = c;
}

static void
js_char(struct tmpl_jscan *j, char c)
{
	switch (j->state) {
	case JS_TEXT:
		if (c == '\'') {
			j->state = JS_Q;
		} else if (c == '"') {
			j->state = JS_DQ;
		} else if (c == '/') {
			j->state = JS_SLASH;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		           c == '\f' || c == '\v') {
			/* ends a word; what came before still decides '/' */
			j->word_open = false;
		} else {
			js_significant(j, c);
		}
		break;
	case JS_Q:
		if (c == '\\')
			j->state = JS_Q_E;
		else if (c == '\'')
			j->state = JS_TEXT, j->last = '\'',
			j->last_ident = false;
		break;
	case JS_Q_E:
		j->state = JS_Q;
		break;
	case JS_DQ:
		if (c == '\\')
			j->state = JS_DQ_E;
		else if (c == '"')
			j->state = JS_TEXT, j->last = '"',
			j->last_ident = false;
		break;
	case JS_DQ_E:
		j->state = JS_DQ;
		break;
	case JS_SLASH:
		if (c == '/') {
			j->state = JS_LINE_COMMENT;
		} else if (c == '*') {
			j->state = JS_BLOCK_COMMENT;
		} else if (js_regex_allowed(j)) {
			j->state = JS_REGEXP;
			js_char(j, c);
		} else {
			j->state = JS_TEXT;
			js_significant(j, '/');
			js_char(j, c);
		}
		break;
	case JS_REGEXP:
		if (c == '\\')
			j->state = JS_REGEXP_E;
		else if (c == '[')
			j->state = JS_REGEXP_CLASS;
		else if (c == '/')
			j->state = JS_TEXT, j->last = ')',
			j->last_ident = false;
		break;
	case JS_REGEXP_E:
		j->state = JS_REGEXP;
		break;
	case JS_REGEXP_CLASS:
		if (c == '\\')
			j->state = JS_REGEXP_CLASS_E;
		else if (c == ']')
			j->state = JS_REGEXP;
		break;
	case JS_REGEXP_CLASS_E:
		j->state = JS_REGEXP_CLASS;
		break;
	case JS_LINE_COMMENT:
		if (c == '\n' || c == '\r')
			j->state = JS_TEXT;
		break;
	case JS_BLOCK_COMMENT:
		if (c == '*')
			j->state = JS_BLOCK_COMMENT_STAR;
		break;
	case JS_BLOCK_COMMENT_STAR:
		if (c == '/')
			j->state = JS_TEXT;
		else if (c != '*')
			j->state = JS_BLOCK_COMMENT;
		break;
	default:
		break;
	}
}

static bool
js_quoted(const struct tmpl_jscan *j)
{
	return j->state == JS_Q || j->state == JS_Q_E || j->state == JS_DQ ||
	       j->state == JS_DQ_E;
}

/* A variable in JS code stands for a value: a '/' after it divides. */
static void
js_insert(struct tmpl_jscan *j)
{
	if (j->state == JS_SLASH) {
		if (js_regex_allowed(j)) {
			j->state = JS_REGEXP;
			return;
		}
		j->state = JS_TEXT;
	}
	if (j->state == JS_TEXT) {
		j->last = 'a';
		j->last_ident = true;
		j->word_open = false;
		j->wlen = sizeof(j->word) + 1; /* never a keyword */
	}
}

/* ---- entities in on* attribute values ------------------------------------ */

static void
js_feed_decoded(struct tmpl_hscan *s, char c)
{
	char buf[8];
	size_t n, k;
	unsigned long v;
	char *endp;

	if (!s->in_ent) {
		if (c == '&') {
			s->in_ent = true;
			s->ent_len = 0;
		} else {
			js_char(&s->js, c);
		}
		return;
	}
	if (c != ';' && c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
	    s->ent_len < sizeof(s->ent) - 1) {
		s->ent[s->ent_len++] = c;
		return;
	}
	s->in_ent = false;
	s->ent[s->ent_len] = '\0';
	n = 0;
	if (s->ent[0] == '#') {
		if (s->ent[1] == 'x' || s->ent[1] == 'X')
			v = strtoul(s->ent + 2, &endp, 16);
		else
			v = strtoul(s->ent + 1, &endp, 10);
		buf[n++] = (char)(v & 0xff);
	} else if (strcasecmp(s->ent, "quot") == 0) {
		buf[n++] = '"';
	} else if (strcasecmp(s->ent, "apos") == 0) {
		buf[n++] = '\'';
	} else if (strcasecmp(s->ent, "amp") == 0) {
		buf[n++] = '&';
	} else if (strcasecmp(s->ent, "lt") == 0) {
		buf[n++] = '<';
	} else if (strcasecmp(s->ent, "gt") == 0) {
		buf[n++] = '>';
	} else {
		js_char(&s->js, '&');
		for (k = 0; k < s->ent_len; k++)
			js_char(&s->js, s->ent[k]);
		buf[n++] = c;
	}
	for (k = 0; k < n; k++)
		js_char(&s->js, buf[k]);
}

/* ---- HTML ------------------------------------------------------------------
 */

void
tmpl_hscan_init(struct tmpl_hscan *s, enum tmpl_tctx tctx, bool in_tag)
{
	memset(s, 0, sizeof(*s));
	s->tctx = tctx;
	js_reset(&s->js);
	switch (tctx) {
	case TMPL_TCTX_JS:
		s->state = HS_JS_FILE;
		s->in_js = true;
		break;
	case TMPL_TCTX_CSS:
		s->state = HS_CSS_FILE;
		break;
	default:
		s->state = in_tag ? HS_TAG_SPACE : HS_TEXT;
		break;
	}
}

static bool
html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void
name_add(char *buf, size_t *len, char c)
{
	if (*len < TMPL_HS_NAME - 1) {
		buf[*len] = (char)tolower((unsigned char)c);
		(*len)++;
		buf[*len] = '\0';
	}
}

static bool
tag_is(const struct tmpl_hscan *s, const char *name)
{
	return strcmp(s->tag, name) == 0;
}

static bool
attr_is_js(const struct tmpl_hscan *s)
{
	return s->attr_len >= 2 && s->attr[0] == 'o' && s->attr[1] == 'n';
}

static void
enter_value(struct tmpl_hscan *s)
{
	s->state = HS_VALUE;
	s->value_index = 0;
	s->value_len = 0;
	s->in_ent = false;
	if (attr_is_js(s)) {
		js_reset(&s->js);
		s->in_js = true;
	} else {
		s->in_js = false;
	}
}

static void
value_char(struct tmpl_hscan *s, char c)
{
	s->value_index++;
	if (s->value_len < TMPL_HS_VALUE - 1)
		s->value[s->value_len++] = c;
	if (s->in_js)
		js_feed_decoded(s, c);
}

static void
tag_close(struct tmpl_hscan *s)
{
	s->in_js = false;
	if (s->closing_tag) {
		s->state = HS_TEXT;
		s->tag[0] = '\0';
		s->tag_len = 0;
		return;
	}
	if (tag_is(s, "script")) {
		s->state = HS_CDATA;
		js_reset(&s->js);
		s->in_js = true;
	} else if (tag_is(s, "style") || tag_is(s, "title") ||
	           tag_is(s, "textarea")) {
		s->state = HS_CDATA;
	} else {
		s->state = HS_TEXT;
	}
	s->cd_match = 0;
}

static void
hs_char(struct tmpl_hscan *s, char c)
{
	switch (s->state) {
	case HS_TEXT:
		if (c == '<')
			s->state = HS_LT;
		break;
	case HS_LT:
		if (isalpha((unsigned char)c) || c == '!' || c == '?') {
			s->state = HS_TAG_NAME;
			s->closing_tag = false;
			s->tag_len = 0;
			s->tag[0] = '\0';
			name_add(s->tag, &s->tag_len, c);
		} else if (c == '/') {
			s->state = HS_TAG_NAME;
			s->closing_tag = true;
			s->tag_len = 0;
			s->tag[0] = '\0';
		} else {
			s->state = HS_TEXT;
			hs_char(s, c);
		}
		break;
	case HS_TAG_NAME:
		if (c == '<' || c == '"' || c == '\'' || c == '=') {
			s->state = HS_ERROR;
		} else if (html_space(c) || c == '/') {
			s->state = HS_TAG_SPACE;
		} else if (c == '>') {
			tag_close(s);
		} else {
			name_add(s->tag, &s->tag_len, c);
			if (tag_is(s, "!--")) {
				s->state = HS_COMMENT;
				s->dashes = 0;
			}
		}
		break;
	case HS_TAG_SPACE:
		if (c == '=' || c == '"' || c == '\'' || c == '<') {
			s->state = HS_ERROR;
		} else if (c == '>') {
			tag_close(s);
		} else if (!html_space(c) && c != '/') {
			s->state = HS_ATTR_NAME;
			s->attr_len = 0;
			s->attr[0] = '\0';
			name_add(s->attr, &s->attr_len, c);
		}
		break;
	case HS_ATTR_NAME:
		if (c == '"' || c == '\'' || c == '<')
			s->state = HS_ERROR;
		else if (html_space(c))
			s->state = HS_ATTR_SPACE;
		else if (c == '=')
			enter_value(s);
		else if (c == '>')
			tag_close(s);
		else if (c == '/')
			s->state = HS_TAG_SPACE;
		else
			name_add(s->attr, &s->attr_len, c);
		break;
	case HS_ATTR_SPACE:
		if (c == '"' || c == '\'' || c == '<') {
			s->state = HS_ERROR;
		} else if (c == '=') {
			enter_value(s);
		} else if (c == '>') {
			tag_close(s);
		} else if (c == '/') {
			s->state = HS_TAG_SPACE;
		} else if (!html_space(c)) {
			s->state = HS_ATTR_NAME;
			s->attr_len = 0;
			s->attr[0] = '\0';
			name_add(s->attr, &s->attr_len, c);
		}
		break;
	case HS_VALUE:
		if (c == '"') {
			s->state = HS_VALUE_DQ;
		} else if (c == '\'') {
			s->state = HS_VALUE_SQ;
		} else if (c == '>') {
			tag_close(s);
		} else if (!html_space(c)) {
			s->state = HS_VALUE_UNQ;
			value_char(s, c);
		}
		break;
	case HS_VALUE_UNQ:
		if (html_space(c)) {
			s->state = HS_TAG_SPACE;
			s->in_js = false;
		} else if (c == '>') {
			tag_close(s);
		} else {
			value_char(s, c);
		}
		break;
	case HS_VALUE_SQ:
	case HS_VALUE_DQ:
		if (c == (s->state == HS_VALUE_SQ ? '\'' : '"')) {
			s->state = HS_TAG_SPACE;
			s->in_js = false;
		} else {
			value_char(s, c);
		}
		break;
	case HS_COMMENT:
		if (c == '>' && s->dashes >= 2)
			s->state = HS_TEXT;
		s->dashes = c == '-' ? s->dashes + 1 : 0;
		break;
	case HS_CDATA:
		if (s->in_js)
			js_char(&s->js, c);
		/* Look for "</tag" followed by '>' or a space. */
		if (s->cd_match == 0) {
			if (c == '<')
				s->cd_match = 1;
		} else if (s->cd_match == 1) {
			s->cd_match = c == '/' ? 2 : (c == '<' ? 1 : 0);
		} else if (s->cd_match - 2 < s->tag_len) {
			if (tolower((unsigned char)c) ==
			    s->tag[s->cd_match - 2])
				s->cd_match++;
			else
				s->cd_match = c == '<' ? 1 : 0;
		} else {
			if (c == '>' || html_space(c)) {
				s->closing_tag = true;
				s->in_js = false;
				if (c == '>')
					tag_close(s);
				else
					s->state = HS_TAG_SPACE;
			} else {
				s->cd_match = c == '<' ? 1 : 0;
			}
		}
		break;
	case HS_JS_FILE:
		js_char(&s->js, c);
		break;
	default:
		break;
	}
}

void
tmpl_hscan_feed(struct tmpl_hscan *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		hs_char(s, p[i]);
}

static bool
is_uri_attr(const char *a)
{
	static const char *const names[] = {"action",   "archive", "background",
	                                    "cite",     "classid", "codebase",
	                                    "data",     "dynsrc",  "href",
	                                    "longdesc", "src",     "usemap"};
	size_t k;

	for (k = 0; k < PT_NELEM(names); k++)
		if (strcmp(a, names[k]) == 0)
			return true;
	return false;
}

enum meta_type { META_NONE, META_URL_START, META_URL };

/* <meta http-equiv=refresh content="N; URL=..."> */
static enum meta_type
meta_redirect(const struct tmpl_hscan *s)
{
	const char *p = s->value, *end = s->value + s->value_len;

	while (p < end && html_space(*p))
		p++;
	if (p == end || !isdigit((unsigned char)*p))
		return META_NONE;
	while (p < end && (isdigit((unsigned char)*p) || *p == '.'))
		p++;
	while (p < end && html_space(*p))
		p++;
	if (p == end || (*p != ';' && *p != ','))
		return META_NONE;
	p++;
	while (p < end && html_space(*p))
		p++;
	if (end - p < 3 || strncasecmp(p, "url", 3) != 0)
		return META_NONE;
	p += 3;
	while (p < end && html_space(*p))
		p++;
	if (p == end || *p != '=')
		return META_NONE;
	p++;
	while (p < end && html_space(*p))
		p++;
	return p == end ? META_URL_START : META_URL;
}

enum attr_type { AT_REGULAR, AT_URI, AT_JS, AT_STYLE };

static enum attr_type
attr_type(const struct tmpl_hscan *s, bool *url_start_r)
{
	enum meta_type mt;

	*url_start_r = false;
	if (attr_is_js(s))
		return AT_JS;
	if (is_uri_attr(s->attr)) {
		*url_start_r = s->value_index == 0;
		return AT_URI;
	}
	if (tag_is(s, "meta") && strcmp(s->attr, "content") == 0) {
		mt = meta_redirect(s);
		if (mt != META_NONE) {
			*url_start_r = mt == META_URL_START;
			return AT_URI;
		}
	}
	if (strcmp(s->attr, "style") == 0)
		return AT_STYLE;
	return AT_REGULAR;
}

static void
set_mv(struct tmpl_modval *mv, enum tmpl_mod_id id)
{
	const struct tmpl_moddef *def = tmpl_mod_builtin(id);
	const char *eq = strchr(def->long_name, '=');

	mv->def = def;
	mv->arg = eq != NULL ? strv_from_cstr(eq + 1) : STRV_NULL;
}

static bool
in_value(const struct tmpl_hscan *s)
{
	return s->state == HS_VALUE || s->state == HS_VALUE_UNQ ||
	       s->state == HS_VALUE_SQ || s->state == HS_VALUE_DQ;
}

int
tmpl_hscan_escaper(struct tmpl_hscan *s, struct tmpl_modval *mv_r,
                   const char **why_r)
{
	bool quoted, url_start;

	*why_r = NULL;
	if (s->state == HS_ERROR) {
		*why_r = "HTML context scanner failed on earlier markup";
		return -1;
	}
	switch (s->tctx) {
	case TMPL_TCTX_XML:
		set_mv(mv_r, TMPL_MOD_XML);
		return 0;
	case TMPL_TCTX_JSON:
		set_mv(mv_r, TMPL_MOD_JS);
		return 0;
	case TMPL_TCTX_CSS:
		set_mv(mv_r, TMPL_MOD_CLEANSE_CSS);
		return 0;
	default:
		break;
	}
	if (s->in_js && !in_value(s)) {
		set_mv(mv_r,
		       js_quoted(&s->js) ? TMPL_MOD_JS : TMPL_MOD_J_NUMBER);
		js_insert(&s->js);
		return 0;
	}
	if (in_value(s)) {
		quoted = s->state == HS_VALUE_SQ || s->state == HS_VALUE_DQ;
		switch (attr_type(s, &url_start)) {
		case AT_URI:
			if (!quoted && url_start) {
				*why_r = "value of URL attribute must be "
				         "enclosed in quotes";
				return -1;
			}
			set_mv(mv_r, !quoted     ? TMPL_MOD_URL_QUERY
			             : url_start ? TMPL_MOD_U_HTML
			                         : TMPL_MOD_HTML);
			break;
		case AT_STYLE:
			if (!quoted) {
				*why_r = "value of style attribute must be "
				         "enclosed in quotes";
				return -1;
			}
			set_mv(mv_r, TMPL_MOD_CLEANSE_CSS);
			break;
		case AT_JS:
			if (!quoted) {
				*why_r = "value of javascript attribute must "
				         "be enclosed in quotes";
				return -1;
			}
			set_mv(mv_r, js_quoted(&s->js) ? TMPL_MOD_JS
			                               : TMPL_MOD_J_NUMBER);
			js_insert(&s->js);
			break;
		default:
			set_mv(mv_r,
			       quoted ? TMPL_MOD_HTML : TMPL_MOD_H_ATTRIBUTE);
			break;
		}
		/* InsertText: an unquoted value has begun. */
		if (s->state == HS_VALUE)
			s->state = HS_VALUE_UNQ;
		return 0;
	}
	switch (s->state) {
	case HS_LT:
	case HS_TAG_NAME:
	case HS_TAG_SPACE:
	case HS_ATTR_NAME:
	case HS_ATTR_SPACE:
		set_mv(mv_r, TMPL_MOD_H_ATTRIBUTE);
		if (s->state == HS_LT) {
			s->state = HS_TAG_NAME;
			s->closing_tag = false;
			s->tag_len = 0;
			s->tag[0] = '\0';
		}
		return 0;
	case HS_CSS_FILE:
		set_mv(mv_r, TMPL_MOD_CLEANSE_CSS);
		return 0;
	case HS_CDATA:
		set_mv(mv_r, tag_is(s, "style") ? TMPL_MOD_CLEANSE_CSS
		                                : TMPL_MOD_HTML);
		return 0;
	default:
		set_mv(mv_r, TMPL_MOD_HTML);
		return 0;
	}
}

bool
tmpl_hscan_failed(const struct tmpl_hscan *s)
{
	return s->state == HS_ERROR;
}

bool
tmpl_hscan_include_ok(const struct tmpl_hscan *s)
{
	switch (s->tctx) {
	case TMPL_TCTX_HTML:
		return s->state == HS_TEXT;
	default:
		return true;
	}
}
