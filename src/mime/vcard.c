/*
 * vCard 2.1/3.0/4.0 in (an address book import) and vCard 4.0 out (its
 * export). Only the properties an address book keeps are read; the input
 * is whatever another program wrote, so every value is bounded, decoded
 * to UTF-8 and stripped of control characters before it leaves here.
 */
#include <string.h>

#include "mime.h"
#include "core/banned.h"

#define VCARD_MAX_LINE (64u * 1024) /* one logical line, unfolded */
#define VCARD_FOLD 75               /* RFC 6350 3.2: octets per line */

struct vc_in {
	struct strv in;
	size_t pos;
};

/* The next physical line without its CR/LF; false at the end. */
static bool
next_line(struct vc_in *r, struct strv *line_r)
{
	size_t start = r->pos, end;

	if (r->pos >= r->in.len)
		return false;
	while (r->pos < r->in.len && r->in.p[r->pos] != '\n')
		r->pos++;
	end = r->pos;
	if (r->pos < r->in.len)
		r->pos++; /* the LF */
	if (end > start && r->in.p[end - 1] == '\r')
		end--;
	*line_r = (struct strv){r->in.p + start, end - start};
	return true;
}

static bool
continues(const struct vc_in *r)
{
	return r->pos < r->in.len &&
	       (r->in.p[r->pos] == ' ' || r->in.p[r->pos] == '\t');
}

/* One property: "group.NAME;params:value", value still encoded. */
struct vc_prop {
	struct strv name, params, value;
	bool qp;
};

/* The ':' that ends name and params (not one inside a quoted param). */
static ptrdiff_t
value_colon(struct strv l)
{
	bool quoted = false;
	size_t i;

	for (i = 0; i < l.len; i++) {
		if (l.p[i] == '"')
			quoted = !quoted;
		else if (l.p[i] == ':' && !quoted)
			return (ptrdiff_t)i;
	}
	return -1;
}

static bool
param_has(struct strv params, const char *word)
{
	struct strv w = strv_from_cstr(word);
	size_t i;

	/* Whole words only: "PREF" must not match "PREFERRED". */
	for (i = 0; i + w.len <= params.len; i++) {
		struct strv at = {params.p + i, params.len - i};

		if ((i == 0 || strchr(";,=", params.p[i - 1]) != NULL) &&
		    strv_starts_with_ci_ascii(at, w) &&
		    (i + w.len == params.len ||
		     strchr(";,=", params.p[i + w.len]) != NULL))
			return true;
	}
	return false;
}

/* The value of NAME= in params ("" if absent), quotes removed. */
static struct strv
param_value(struct strv params, const char *name)
{
	struct strv rest = params, item, n, v;

	while (rest.len > 0) {
		if (!strv_split_once(rest, ';', &item, &rest)) {
			item = rest;
			rest = (struct strv){rest.p + rest.len, 0};
		}
		if (strv_split_once(item, '=', &n, &v) &&
		    strv_eq_ci_ascii(strv_trim(n), strv_from_cstr(name))) {
			v = strv_trim(v);
			if (v.len >= 2 && v.p[0] == '"' &&
			    v.p[v.len - 1] == '"')
				v.p++, v.len -= 2;
			return v;
		}
	}
	return STRV_LIT("");
}

/* Split an unfolded line into name (group dropped), params and value. */
static void
split_prop(struct strv l, struct vc_prop *p)
{
	struct strv head;
	ptrdiff_t colon = value_colon(l), dot;

	memset(p, 0, sizeof(*p));
	if (colon < 0) {
		p->name = l; /* garbage: a name nobody asks for */
		return;
	}
	head = (struct strv){l.p, (size_t)colon};
	if (!strv_split_once(head, ';', &p->name, &p->params))
		p->name = head;
	dot = strv_find_char(p->name, '.');
	if (dot >= 0)
		p->name = (struct strv){p->name.p + dot + 1,
		                        p->name.len - (size_t)dot - 1};
	p->name = strv_trim(p->name);
	p->qp = param_has(p->params, "QUOTED-PRINTABLE");
	p->value = (struct strv){l.p + colon + 1, l.len - (size_t)colon - 1};
}

/*
 * Read one logical line: folded continuations joined (the leading space
 * or tab dropped) and, for a quoted-printable 2.1 value, soft line breaks
 * ("=" at the end) joined with the lines that follow.
 */
static bool
read_prop(struct vc_in *r, struct sbuf *buf, struct vc_prop *p)
{
	struct strv l;
	bool joined = false;

	if (!next_line(r, &l))
		return false;
	sbuf_reset(buf);
	sbuf_append_strv(buf, l);
	while (continues(r) && next_line(r, &l))
		sbuf_append(buf, l.p + 1, l.len - 1);
	split_prop(sbuf_view(buf), p);
	while (p->qp && buf->len > 0 && buf->data[buf->len - 1] == '=' &&
	       next_line(r, &l)) {
		buf->len--;
		sbuf_append_strv(buf, l);
		joined = true;
	}
	/* The buffer may have moved: split again. */
	if (joined)
		split_prop(sbuf_view(buf), p);
	return true;
}

/*
 * Undo TEXT escapes; keep_lf keeps newlines (notes), otherwise they and
 * every other control character become spaces. The value is cut to
 * MIME_VCARD_MAX_VALUE and repaired to UTF-8.
 */
static const char *
text_clean(struct strv v, bool keep_lf, struct arena *a)
{
	const char *out;
	struct strv t;
	struct sbuf b;
	size_t i, n;

	sbuf_init(&b, a, v.len + 1, MIME_VCARD_MAX_VALUE);
	for (i = 0; i < v.len && b.len < MIME_VCARD_MAX_VALUE; i++) {
		char c = v.p[i];

		if (c == '\\' && i + 1 < v.len) {
			c = v.p[++i];
			if (c == 'n' || c == 'N')
				c = '\n';
		}
		if (c == '\n' && keep_lf) {
			sbuf_append_char(&b, c);
			continue;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		sbuf_append_char(&b, c);
	}
	if (!sbuf_ok(&b))
		return "";
	/* A cut in the middle of a character is mended here. */
	out = mime_to_utf8(STRV_LIT("utf-8"), sbuf_view(&b), a);
	/* Each bad byte became a 3-byte U+FFFD: bound the result again. */
	n = strlen(out);
	if (n > MIME_VCARD_MAX_VALUE) {
		n = codec_utf8_cut(out, n, MIME_VCARD_MAX_VALUE);
		out = arena_strndup(a, out, n);
	}
	if (keep_lf)
		return out;
	/* One-line values are kept trimmed: export and import agree. */
	t = strv_trim(strv_from_cstr(out));
	return t.len == strlen(out) ? out : strv_dup(a, t);
}

/* s without any number of leading "mailto:" / "tel:" (and spaces). */
static const char *
strip_scheme(const char *s, const char *scheme, struct arena *a)
{
	struct strv v = strv_from_cstr(s), p = strv_from_cstr(scheme);

	if (!strv_starts_with_ci_ascii(v, p))
		return s;
	while (strv_starts_with_ci_ascii(v, p))
		v = strv_trim((struct strv){v.p + p.len, v.len - p.len});
	return strv_dup(a, v);
}

/* The raw value decoded: quoted-printable and the charset undone. */
static struct strv
prop_bytes(const struct vc_prop *p, struct arena *a)
{
	struct strv v = p->value, cs;

	if (p->qp)
		v = mime_transfer_decode(MIME_ENC_QP, v, a);
	cs = param_value(p->params, "CHARSET");
	if (cs.len > 0 && !strv_eq_ci_ascii(cs, STRV_LIT("utf-8")))
		v = strv_from_cstr(mime_to_utf8(cs, v, a));
	return v;
}

/* The n-th ';'-separated component of a structured value (escapes kept). */
static struct strv
component(struct strv v, size_t n)
{
	size_t i, start = 0, k = 0;

	for (i = 0; i <= v.len; i++) {
		if (i < v.len && v.p[i] == '\\') {
			i++;
			continue;
		}
		if (i >= v.len || v.p[i] == ';') {
			if (k == n)
				return (struct strv){v.p + start,
				                     (i > v.len ? v.len : i) -
				                             start};
			k++;
			start = i + 1;
		}
	}
	return STRV_LIT("");
}

/* N:Family;Given;Additional;Prefix;Suffix -> "Prefix Given Add Family Suf". */
static const char *
name_from_n(struct strv v, struct arena *a)
{
	static const size_t order[] = {3, 1, 2, 0, 4};
	struct sbuf b;
	size_t i;

	sbuf_init(&b, a, 64, MIME_VCARD_MAX_VALUE);
	for (i = 0; i < PT_NELEM(order); i++) {
		const char *c = text_clean(component(v, order[i]), false, a);

		if (c[0] == '\0')
			continue;
		if (b.len > 0)
			sbuf_append_char(&b, ' ');
		/* "," separates several given names: show them spaced. */
		for (; *c != '\0'; c++)
			sbuf_append_char(&b, *c == ',' ? ' ' : *c);
	}
	/* The parts are clean already: only the commas' spaces to trim. */
	return sbuf_ok(&b) ? strv_dup(a, strv_trim(sbuf_view(&b))) : "";
}

/* ORG:Company;Unit -> "Company, Unit". */
static const char *
org_value(struct strv v, struct arena *a)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b, a, 64, MIME_VCARD_MAX_VALUE);
	for (i = 0; i < 8; i++) {
		const char *c = text_clean(component(v, i), false, a);

		if (c[0] == '\0')
			continue;
		if (b.len > 0)
			sbuf_append_cstr(&b, ", ");
		sbuf_append_cstr(&b, c);
	}
	return sbuf_ok(&b) ? sbuf_cstr(&b) : "";
}

static bool
is_pref(struct strv params)
{
	/* 3.0: TYPE=PREF (or TYPE=INTERNET,PREF); 4.0: PREF=1; 2.1: ;PREF */
	struct strv pv = param_value(params, "PREF");

	return param_has(params, "PREF") && (pv.len == 0 || pv.p[0] == '1');
}

struct vc_card {
	struct mime_vcard c;
	const char *n_name;
	bool phone_pref, has_pref_email;
};

static void
card_prop(struct vc_card *k, const struct vc_prop *p, struct arena *a)
{
	struct mime_vcard *c = &k->c;
	struct strv v;

	if (p->value.p == NULL)
		return; /* a line without a value */
	if (param_has(p->params, "BASE64") || param_has(p->params, "B"))
		return; /* a photo or key: not ours */
	v = prop_bytes(p, a);
	if (strv_eq_ci_ascii(p->name, STRV_LIT("FN"))) {
		if (c->name[0] == '\0')
			c->name = text_clean(v, false, a);
	} else if (strv_eq_ci_ascii(p->name, STRV_LIT("N"))) {
		if (k->n_name[0] == '\0')
			k->n_name = name_from_n(v, a);
	} else if (strv_eq_ci_ascii(p->name, STRV_LIT("EMAIL"))) {
		const char *e;
		bool pref = is_pref(p->params);

		e = strip_scheme(text_clean(v, false, a), "mailto:", a);
		if (e[0] == '\0' || c->n_emails == MIME_VCARD_MAX_EMAILS)
			return;
		if (pref && !k->has_pref_email) {
			/* The preferred address goes first. */
			memmove(&c->emails[1], &c->emails[0],
			        c->n_emails * sizeof(c->emails[0]));
			c->emails[0] = e;
			k->has_pref_email = true;
		} else {
			c->emails[c->n_emails] = e;
		}
		c->n_emails++;
	} else if (strv_eq_ci_ascii(p->name, STRV_LIT("TEL"))) {
		bool pref = is_pref(p->params);

		if (c->phone[0] != '\0' && (!pref || k->phone_pref))
			return;
		c->phone = strip_scheme(text_clean(v, false, a), "tel:", a);
		k->phone_pref = pref;
	} else if (strv_eq_ci_ascii(p->name, STRV_LIT("ORG"))) {
		if (c->organization[0] == '\0')
			c->organization = org_value(v, a);
	} else if (strv_eq_ci_ascii(p->name, STRV_LIT("NOTE"))) {
		if (c->notes[0] == '\0')
			c->notes = text_clean(v, true, a);
	}
}

static bool
is_marker(const struct vc_prop *p, const char *name)
{
	return strv_eq_ci_ascii(p->name, strv_from_cstr(name)) &&
	       strv_eq_ci_ascii(strv_trim(p->value), STRV_LIT("VCARD"));
}

int
mime_vcard_parse(struct strv in, size_t max, struct arena *a,
                 struct mime_vcard **cards_r, size_t *n_r, size_t *broken_r,
                 struct perr *err)
{
	struct vc_in r = {in, 0};
	struct vc_prop p;
	struct vc_card k;
	struct sbuf line;
	struct mime_vcard *v;
	size_t n = 0, depth = 0;

	*cards_r = NULL;
	*n_r = 0;
	*broken_r = 0;
	v = arena_new_array(a, struct mime_vcard, max > 0 ? max : 1);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	sbuf_init(&line, a, 256, VCARD_MAX_LINE);
	while (read_prop(&r, &line, &p)) {
		if (is_marker(&p, "BEGIN")) {
			/* A nested card (2.1 AGENT) is skipped whole. */
			if (depth++ > 0)
				continue;
			memset(&k, 0, sizeof(k));
			k.c.name = k.c.phone = k.c.organization = "";
			k.c.notes = k.n_name = "";
			continue;
		}
		if (depth == 0)
			continue;
		if (is_marker(&p, "END")) {
			if (--depth > 0)
				continue;
			if (n == max)
				return perr_set(err, a, PERR_LIMIT,
				                "more than %zu contacts", max);
			if (k.c.name[0] == '\0')
				k.c.name = k.n_name;
			v[n++] = k.c;
			continue;
		}
		if (depth == 1 && sbuf_ok(&line))
			card_prop(&k, &p, a);
	}
	if (depth > 0)
		(*broken_r)++;
	*cards_r = v;
	*n_r = n;
	return 0;
}

/* ---- writing ---------------------------------------------------------- */

/* The length of the UTF-8 sequence starting with byte c (1 if invalid). */
static size_t
utf8_len(unsigned char c)
{
	if (c >= 0xF0 && c < 0xF8)
		return 4;
	if (c >= 0xE0)
		return c < 0xF0 ? 3 : 1;
	if (c >= 0xC0)
		return 2;
	return 1;
}

/* Append one content line folded at VCARD_FOLD octets, with CRLF. */
static void
put_folded(struct sbuf *out, struct strv line)
{
	size_t i = 0, col = 0;

	while (i < line.len) {
		size_t n = utf8_len((unsigned char)line.p[i]);

		if (i + n > line.len)
			n = line.len - i;
		if (col + n > VCARD_FOLD) {
			sbuf_append_cstr(out, "\r\n ");
			col = 1;
		}
		sbuf_append(out, line.p + i, n);
		col += n;
		i += n;
	}
	sbuf_append_cstr(out, "\r\n");
}

/* NAME:value with TEXT escapes (RFC 6350 3.4), folded. */
static void
put_prop(struct sbuf *out, const char *name, const char *value)
{
	struct sbuf l;
	const char *s;

	sbuf_init(&l, NULL, 128, SIZE_MAX / 2);
	sbuf_append_cstr(&l, name);
	sbuf_append_char(&l, ':');
	for (s = value; *s != '\0'; s++) {
		if (*s == '\\' || *s == ',' || *s == ';') {
			sbuf_append_char(&l, '\\');
			sbuf_append_char(&l, *s);
		} else if (*s == '\n') {
			sbuf_append_cstr(&l, "\\n");
		} else if (*s != '\r') {
			sbuf_append_char(&l, *s);
		}
	}
	if (sbuf_ok(&l))
		put_folded(out, sbuf_view(&l));
	sbuf_free(&l);
}

void
mime_vcard_write(const struct mime_vcard *c, struct sbuf *out)
{
	size_t i;

	sbuf_append_cstr(out, "BEGIN:VCARD\r\nVERSION:4.0\r\n");
	put_prop(out, "FN", c->name);
	for (i = 0; i < c->n_emails; i++)
		put_prop(out,
		         i == 0 && c->n_emails > 1 ? "EMAIL;PREF=1" : "EMAIL",
		         c->emails[i]);
	if (c->phone[0] != '\0')
		put_prop(out, "TEL", c->phone);
	if (c->organization[0] != '\0')
		put_prop(out, "ORG", c->organization);
	if (c->notes[0] != '\0')
		put_prop(out, "NOTE", c->notes);
	sbuf_append_cstr(out, "END:VCARD\r\n");
}
