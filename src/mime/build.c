/*
 * Building outgoing messages: addresses, punycode, encoded words, folding,
 * RFC 2231 parameters, quoted-printable and the multipart tree.
 *
 * Every line is built through struct hw (headers) or the body encoders,
 * which keep lines at most 78 (headers, where a break is possible) or 76
 * (QP, base64) characters; 7bit text is sent as it is only when no line
 * passes 998. The whole output is therefore 7-bit and never has a line
 * over 998 octets, which is what lets smtp send it to any server.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "mime.h"
#include "mime_private.h"
#include "core/banned.h"

#define HDR_WIDTH 78
#define EW_MAX_BYTES 45 /* 60 base64 characters + 12 = a 72-octet word */
#define NAME_MAX_LEN 256
#define ID_MAX_LEN 998

bool
mime_has_crlf_nul(struct strv s)
{
	return s.len > 0 && (memchr(s.p, '\r', s.len) != NULL ||
	                     memchr(s.p, '\n', s.len) != NULL ||
	                     memchr(s.p, '\0', s.len) != NULL);
}

/* One "<...>" of printable ASCII without spaces (or more '<', '>'). */
static bool
msgid_ok(struct strv id)
{
	size_t i;

	if (id.len < 3 || id.len > ID_MAX_LEN || id.p[0] != '<' ||
	    id.p[id.len - 1] != '>')
		return false;
	for (i = 1; i + 1 < id.len; i++)
		if (id.p[i] <= ' ' || id.p[i] >= 0x7f || id.p[i] == '<' ||
		    id.p[i] == '>')
			return false;
	return true;
}

void
mime_thread_ids(const char *msgid, const char *refs, struct arena *a,
                const char **irt_r, const char **refs_r)
{
	struct strv id = strv_from_cstr(msgid != NULL ? msgid : "");
	struct strv rest = strv_from_cstr(refs != NULL ? refs : ""), w;
	struct strv *ids;
	size_t n = 0, i, first_len, len, from;
	struct sbuf out;

	*irt_r = *refs_r = NULL;
	id = strv_trim(id);
	if (!msgid_ok(id))
		return;
	/* Every id is at least 4 octets with its separator. */
	ids = arena_new_array(a, struct strv, rest.len / 4 + 2);
	if (ids == NULL)
		return;
	while (rest.len > 0) {
		i = 0;
		while (i < rest.len && (unsigned char)rest.p[i] <= ' ')
			i++;
		rest = (struct strv){rest.p + i, rest.len - i};
		for (i = 0; i < rest.len && (unsigned char)rest.p[i] > ' '; i++)
			;
		w = (struct strv){rest.p, i};
		rest = (struct strv){rest.p + i, rest.len - i};
		if (msgid_ok(w))
			ids[n++] = w;
	}
	ids[n++] = id;
	/* Keep ids[0], then the latest ones that fit after it. */
	first_len = ids[0].len;
	len = n > 1 ? first_len : 0;
	for (from = n; from > 1; from--) {
		if (len + 1 + ids[from - 1].len > MIME_REFERENCES_MAX)
			break;
		len += 1 + ids[from - 1].len;
	}
	sbuf_init(&out, a, len + 1, MIME_REFERENCES_MAX + 1);
	if (n > 1 && from > 1)
		sbuf_append_strv(&out, ids[0]);
	for (i = from > 1 ? from : 0; i < n; i++) {
		if (out.len > 0)
			sbuf_append_char(&out, ' ');
		sbuf_append_strv(&out, ids[i]);
	}
	if (!sbuf_ok(&out))
		return;
	*irt_r = arena_strndup(a, id.p, id.len);
	*refs_r = sbuf_cstr(&out);
}

static bool
field_named(struct strv name, const char *const *names, size_t n)
{
	size_t i, l;

	for (i = 0; i < n; i++) {
		l = strlen(names[i]);
		if (l > 0 && names[i][l - 1] == '*'
		            ? name.len >= l - 1 &&
		                      strv_eq_ci_ascii(
		                              (struct strv){name.p, l - 1},
		                              (struct strv){names[i], l - 1})
		            : strv_eq_ci_ascii(name, strv_from_cstr(names[i])))
			return true;
	}
	return false;
}

struct strv
mime_drop_header_fields(struct strv raw, const char *const *names,
                        size_t n_names, struct arena *a)
{
	struct sbuf out;
	size_t pos = 0;
	bool drop = false, any = false;

	sbuf_init(&out, a, raw.len + 1, raw.len + 1);
	while (pos < raw.len) {
		const char *nl = memchr(raw.p + pos, '\n', raw.len - pos);
		size_t end = nl != NULL ? (size_t)(nl - raw.p) + 1 : raw.len;
		struct strv line = {raw.p + pos, end - pos};

		if (line.p[0] == '\n' ||
		    (line.len >= 2 && line.p[0] == '\r' && line.p[1] == '\n'))
			break; /* the blank line: the body follows */
		if (line.p[0] != ' ' && line.p[0] != '\t') {
			const char *colon = memchr(line.p, ':', line.len);

			drop = colon != NULL &&
			       field_named(
			               (struct strv){line.p,
			                             (size_t)(colon - line.p)},
			               names, n_names);
		}
		if (drop)
			any = true;
		else
			sbuf_append_strv(&out, line);
		pos = end;
	}
	if (!any)
		return raw;
	sbuf_append(&out, raw.p + pos, raw.len - pos);
	return sbuf_ok(&out) ? sbuf_view(&out) : raw;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n > 0), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n, uint32_t *cp_r)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return len;
}

/* ---- punycode (RFC 3492) ----------------------------------------------- */

#define PC_BASE 36u
#define PC_TMIN 1u
#define PC_TMAX 26u
#define PC_SKEW 38u
#define PC_DAMP 700u

static char
pc_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

static uint32_t
pc_adapt(uint32_t delta, uint32_t points, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / points;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

int
mime_punycode_encode(struct strv label, struct sbuf *out)
{
	uint32_t cps[256], n = 128, delta = 0, bias = 72, h, b = 0, m;
	size_t ncp = 0, i, len;

	for (i = 0; i < label.len; i += len) {
		len = utf8_len((const unsigned char *)label.p + i,
		               label.len - i, &cps[ncp]);
		if (len == 0 || ncp + 1 >= PT_NELEM(cps))
			return -1;
		ncp++;
	}
	for (i = 0; i < ncp; i++)
		if (cps[i] < 0x80) {
			sbuf_append_char(out, (char)cps[i]);
			b++;
		}
	if (b > 0)
		sbuf_append_char(out, '-');
	for (h = b; h < ncp; n++, delta++) {
		m = UINT32_MAX;
		for (i = 0; i < ncp; i++)
			if (cps[i] >= n && cps[i] < m)
				m = cps[i];
		/* 256 code points of at most 0x10ffff: no overflow. */
		delta += (m - n) * (h + 1);
		n = m;
		for (i = 0; i < ncp; i++) {
			uint32_t q, k, t;

			if (cps[i] < n)
				delta++;
			if (cps[i] != n)
				continue;
			for (q = delta, k = PC_BASE;; k += PC_BASE) {
				t = k <= bias             ? PC_TMIN
				    : k >= bias + PC_TMAX ? PC_TMAX
				                          : k - bias;
				if (q < t)
					break;
				sbuf_append_char(
				        out,
				        pc_digit(t + (q - t) % (PC_BASE - t)));
				q = (q - t) / (PC_BASE - t);
			}
			sbuf_append_char(out, pc_digit(q));
			bias = pc_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
	}
	return 0;
}

int
mime_domain_to_ascii(struct strv domain, struct arena *a, const char **out_r,
                     struct perr *err)
{
	struct sbuf b;
	struct strv rest = domain, label;

	sbuf_init(&b, a, domain.len + 16, 253);
	if (domain.len == 0)
		return perr_set(err, a, PERR_INPUT, "empty domain");
	while (rest.p != NULL) {
		ptrdiff_t dot = strv_find_char(rest, '.');
		size_t start = b.len, i;

		label.p = rest.p;
		label.len = dot < 0 ? rest.len : (size_t)dot;
		if (dot < 0)
			rest.p = NULL;
		else {
			rest.p += dot + 1;
			rest.len -= (size_t)dot + 1;
		}
		if (label.len == 0)
			return perr_set(err, a, PERR_INPUT,
			                "empty label in domain");
		if (start > 0)
			sbuf_append_char(&b, '.'), start++;
		if (mime_is_ascii(label)) {
			for (i = 0; i < label.len; i++) {
				char c = label.p[i];

				if (!((c >= 'a' && c <= 'z') ||
				      (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '-'))
					return perr_set(
					        err, a, PERR_INPUT,
					        "bad character in domain");
				sbuf_append_char(&b, pt_ascii_tolower(c));
			}
		} else {
			for (i = 0; i < label.len; i++) {
				unsigned char c = (unsigned char)label.p[i];

				if (c < 0x80 &&
				    !((c >= 'a' && c <= 'z') ||
				      (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '-'))
					return perr_set(
					        err, a, PERR_INPUT,
					        "bad character in domain");
			}
			sbuf_append_cstr(&b, "xn--");
			if (mime_punycode_encode(label, &b) != 0)
				return perr_set(err, a, PERR_INPUT,
				                "invalid UTF-8 in domain");
		}
		/* Too long, or out of memory: said below, after the loop. */
		if (!sbuf_ok(&b))
			break;
		if (b.len - start > 63)
			return perr_set(err, a, PERR_INPUT,
			                "domain label longer than 63");
		if (b.data[start] == '-' || b.data[b.len - 1] == '-')
			return perr_set(err, a, PERR_INPUT,
			                "domain label starts or ends with '-'");
	}
	if (!sbuf_ok(&b) && arena_hit_limit(a))
		return perr_set(err, NULL, PERR_LIMIT, "out of request memory");
	if (!sbuf_ok(&b))
		return perr_set(err, a, PERR_INPUT, "domain too long");
	*out_r = sbuf_cstr(&b);
	return 0;
}

/* ---- addresses ----------------------------------------------------------- */

static bool
local_char_ok(char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>[]:;@\\,\"", c) == NULL;
}

static int
bad_addr(struct strv in, struct arena *a, const char *why, struct perr *err)
{
	return perr_set(err, a, PERR_INPUT, "invalid address: %.*s (%s)",
	                (int)(in.len > 300 ? 300 : in.len), in.p, why);
}

int
mime_addr_parse(struct strv in, struct arena *a, struct mime_addr *out_r,
                struct perr *err)
{
	struct strv s = strv_trim(in), name = STRV_NULL, email, local, dom;
	ptrdiff_t lt, at;
	const char *ascii;
	size_t i;

	if (mime_has_crlf_nul(in))
		return perr_set(
		        err, a, PERR_INPUT,
		        "header injection: CR, LF or NUL in an address");
	lt = strv_find_char(s, '<');
	if (lt >= 0) {
		if (s.len == 0 || s.p[s.len - 1] != '>')
			return bad_addr(in, a, "text after '>'", err);
		name = strv_trim((struct strv){s.p, (size_t)lt});
		email = (struct strv){s.p + lt + 1, s.len - (size_t)lt - 2};
	} else {
		email = s;
	}
	email = strv_trim(email);
	if (name.len >= 2 && name.p[0] == '"' && name.p[name.len - 1] == '"') {
		struct sbuf b;

		sbuf_init(&b, a, name.len, NAME_MAX_LEN);
		for (i = 1; i + 1 < name.len; i++) {
			if (name.p[i] == '\\' && i + 2 < name.len)
				i++;
			sbuf_append_char(&b, name.p[i]);
		}
		if (!sbuf_ok(&b))
			return bad_addr(in, a, "name too long", err);
		name = sbuf_view(&b);
	}
	if (name.len > NAME_MAX_LEN)
		return bad_addr(in, a, "name too long", err);
	if (strv_has_ctl(name, false) || !codec_utf8_valid(name))
		return bad_addr(in, a, "control character in the name", err);
	at = -1;
	for (i = 0; i < email.len; i++)
		if (email.p[i] == '@')
			at = (ptrdiff_t)i;
	if (at <= 0 || (size_t)at + 1 >= email.len)
		return bad_addr(in, a, "not local@domain", err);
	local = (struct strv){email.p, (size_t)at};
	dom = (struct strv){email.p + at + 1, email.len - (size_t)at - 1};
	if (local.len > 64 || local.p[0] == '.' ||
	    local.p[local.len - 1] == '.' ||
	    strv_find(local, STRV_LIT("..")) >= 0)
		return bad_addr(in, a, "bad local part", err);
	for (i = 0; i < local.len; i++)
		if (!local_char_ok(local.p[i]))
			return bad_addr(in, a,
			                "bad character in the local part", err);
	if (mime_domain_to_ascii(dom, a, &ascii, err) != 0)
		return bad_addr(in, a, err->msg, err);
	out_r->name = strv_dup(a, name);
	out_r->email = strv_dup(a, email);
	return 0;
}

/* The address for the wire: local part as is, domain as punycode. */
static const char *
addr_ascii(const struct mime_addr *ad, struct arena *a, struct perr *err)
{
	struct strv e = strv_from_cstr(ad->email);
	const char *at = strrchr(ad->email, '@'), *dom;

	if (at == NULL ||
	    mime_domain_to_ascii(strv_from_cstr(at + 1), a, &dom, err) != 0) {
		perr_set(err, a, PERR_INPUT, "invalid address: %s", ad->email);
		return NULL;
	}
	return arena_printf(a, "%.*s@%s", (int)(at - e.p), e.p, dom);
}

const char *
mime_message_id(const char *domain, struct arena *a)
{
	return arena_printf(a, "<%s@%s>", pt_random_hex(a, 16), domain);
}

/* ---- header writer ------------------------------------------------------- */

struct hw {
	struct sbuf *b;
	size_t col;
	bool fresh; /* nothing but the name on this header yet */
};

static void
hw_start(struct hw *h, const char *name)
{
	sbuf_append_cstr(h->b, name);
	sbuf_append(h->b, ":", 1);
	h->col = strlen(name) + 1;
	h->fresh = true;
}

/* One unbreakable token, folded before it when the line would pass 78. */
static void
hw_token(struct hw *h, struct strv tok)
{
	if (!h->fresh && h->col + 1 + tok.len > HDR_WIDTH) {
		sbuf_append(h->b, "\r\n ", 3);
		h->col = 1;
	} else {
		sbuf_append_char(h->b, ' ');
		h->col++;
	}
	sbuf_append_strv(h->b, tok);
	h->col += tok.len;
	h->fresh = false;
}

/* Glue text onto the previous token (a ',' after an address). */
static void
hw_glue(struct hw *h, const char *s)
{
	sbuf_append_cstr(h->b, s);
	h->col += strlen(s);
}

static void
hw_end(struct hw *h)
{
	sbuf_append(h->b, "\r\n", 2);
}

/* RFC 2047 B words for UTF-8 text, split between characters. */
static void
hw_encoded(struct hw *h, struct strv s, struct arena *a)
{
	size_t i = 0;

	while (i < s.len) {
		size_t start = i, len, room, max = EW_MAX_BYTES;
		uint32_t cp;

		/* Fill what is left of this line: 12 octets of "=?UTF-8?B?"
		 * and "?=", a space, 4 characters per 3 bytes. */
		room = h->col + 13 < HDR_WIDTH ? HDR_WIDTH - h->col - 13 : 0;
		if (room / 4 * 3 >= 6 && room / 4 * 3 < max)
			max = room / 4 * 3;
		while (i < s.len) {
			len = utf8_len((const unsigned char *)s.p + i,
			               s.len - i, &cp);
			if (len == 0)
				len = 1; /* checked valid by the caller */
			if (i - start + len > max)
				break;
			i += len;
		}
		hw_token(h, strv_from_cstr(arena_printf(
		                    a, "=?UTF-8?B?%s?=",
		                    codec_base64_encode(a, s.p + start,
		                                        i - start))));
	}
}

/* Unstructured text (Subject): plain words when it can, else encoded. */
static void
hw_text(struct hw *h, struct strv s, struct arena *a)
{
	struct strv rest = s, w;
	bool plain = mime_is_ascii(s) && strv_find(s, STRV_LIT("=?")) < 0;
	size_t i;

	for (i = 0; plain && i < s.len; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
			plain = false;
	/* Words separated by single spaces; a long word cannot fold. */
	for (i = 0, w.len = 0; plain && i <= s.len; i++) {
		if (i == s.len || s.p[i] == ' ') {
			if (w.len > HDR_WIDTH - 2)
				plain = false;
			w.len = 0;
		} else {
			w.len++;
		}
	}
	if (!plain) {
		hw_encoded(h, s, a);
		return;
	}
	if (s.len == 0) {
		sbuf_append_char(h->b, ' ');
		return;
	}
	while (rest.p != NULL) {
		ptrdiff_t sp = strv_find_char(rest, ' ');

		w.p = rest.p;
		w.len = sp < 0 ? rest.len : (size_t)sp;
		if (sp < 0)
			rest.p = NULL;
		else {
			rest.p += sp + 1;
			rest.len -= (size_t)sp + 1;
		}
		hw_token(h, w);
	}
}

static bool
atext_phrase(struct strv s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == ' ' ||
		      strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
			return false;
	}
	return s.len > 0 && s.p[0] != ' ' && s.p[s.len - 1] != ' ' &&
	       strv_find(s, STRV_LIT("  ")) < 0 &&
	       strv_find(s, STRV_LIT("=?")) < 0;
}

static int
hw_addr(struct hw *h, const struct mime_addr *ad, bool last, struct arena *a,
        struct perr *err)
{
	struct strv name = strv_from_cstr(ad->name);
	const char *email = addr_ascii(ad, a, err);

	if (email == NULL)
		return -1;
	if (name.len == 0) {
		/* nothing */
	} else if (atext_phrase(name)) {
		hw_text(h, name, a);
	} else if (mime_is_ascii(name)) {
		struct sbuf q;
		size_t i;

		sbuf_init(&q, a, name.len + 8, NAME_MAX_LEN * 2 + 2);
		sbuf_append_char(&q, '"');
		for (i = 0; i < name.len; i++) {
			if (name.p[i] == '"' || name.p[i] == '\\')
				sbuf_append_char(&q, '\\');
			sbuf_append_char(&q, name.p[i]);
		}
		sbuf_append_char(&q, '"');
		hw_token(h, sbuf_view(&q));
	} else {
		hw_encoded(h, name, a);
	}
	hw_token(h, strv_from_cstr(arena_printf(a, name.len > 0 ? "<%s>" : "%s",
	                                        email)));
	if (!last)
		hw_glue(h, ",");
	return 0;
}

static int
put_addrs(struct sbuf *b, const char *hname, const struct mime_addr *v,
          size_t n, struct arena *a, struct perr *err)
{
	struct hw h = {b, 0, true};
	size_t i;

	if (n == 0)
		return 0;
	hw_start(&h, hname);
	for (i = 0; i < n; i++)
		if (hw_addr(&h, &v[i], i + 1 == n, a, err) != 0)
			return -1;
	hw_end(&h);
	return 0;
}

/* Message-ID lists: In-Reply-To, References. */
static void
put_ids(struct sbuf *b, const char *hname, const char *ids)
{
	struct hw h = {b, 0, true};
	struct strv rest = strv_trim(strv_from_cstr(ids)), w;

	if (rest.len == 0)
		return;
	hw_start(&h, hname);
	while (rest.len > 0) {
		size_t i = 0;

		while (i < rest.len && rest.p[i] != ' ' && rest.p[i] != '\t')
			i++;
		w = (struct strv){rest.p, i};
		hw_token(&h, w);
		rest = strv_trim((struct strv){rest.p + i, rest.len - i});
	}
	hw_end(&h);
}

/* RFC 2231 parameter (filename*, name*), with continuations if long. */
static void
put_param(struct hw *h, const char *pname, struct strv value, struct arena *a)
{
	struct sbuf v;
	size_t i;
	bool plain = mime_is_ascii(value) && value.len < 60;

	for (i = 0; plain && i < value.len; i++)
		if ((unsigned char)value.p[i] < 0x20 || value.p[i] == 0x7f)
			plain = false;
	hw_glue(h, ";");
	if (plain) {
		sbuf_init(&v, a, value.len + 16, value.len * 2 + 64);
		sbuf_printf(&v, "%s=\"", pname);
		for (i = 0; i < value.len; i++) {
			if (value.p[i] == '"' || value.p[i] == '\\')
				sbuf_append_char(&v, '\\');
			sbuf_append_char(&v, value.p[i]);
		}
		sbuf_append_char(&v, '"');
		hw_token(h, sbuf_view(&v));
		return;
	}
	{
		/* Percent-encode, then cut into sections of <= 60. */
		struct sbuf pct;
		size_t pos = 0, section = 0;

		sbuf_init(&pct, a, value.len * 3 + 1, value.len * 3 + 16);
		for (i = 0; i < value.len; i++) {
			unsigned char c = (unsigned char)value.p[i];

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') ||
			    strchr("!#$&+-.^_`|~", c) != NULL)
				sbuf_append_char(&pct, (char)c);
			else
				sbuf_printf(&pct, "%%%02X", c);
		}
		if (pct.len <= 60) {
			hw_token(h, strv_from_cstr(arena_printf(
			                    a, "%s*=utf-8''%s", pname,
			                    sbuf_cstr(&pct))));
			return;
		}
		while (pos < pct.len) {
			size_t n = pct.len - pos > 60 ? 60 : pct.len - pos;

			/* Never cut a %XX escape. */
			if (pos + n < pct.len && n >= 2 &&
			    pct.data[pos + n - 1] == '%')
				n -= 1;
			else if (pos + n < pct.len && n >= 2 &&
			         pct.data[pos + n - 2] == '%')
				n -= 2;
			if (section > 0)
				hw_glue(h, ";");
			hw_token(h, strv_from_cstr(arena_printf(
			                    a, "%s*%zu*=%s%.*s", pname, section,
			                    section == 0 ? "utf-8''" : "",
			                    (int)n, pct.data + pos)));
			pos += n;
			section++;
		}
	}
}

/* ---- bodies -------------------------------------------------------------- */

/* Text with CRLF line ends (CR, LF and CRLF all become CRLF). */
static struct strv
crlf(struct strv s, struct arena *a)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b, a, s.len + s.len / 16 + 8, SIZE_MAX / 4);
	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '\r') {
			if (i + 1 < s.len && s.p[i + 1] == '\n')
				i++;
			sbuf_append(&b, "\r\n", 2);
		} else if (s.p[i] == '\n') {
			sbuf_append(&b, "\r\n", 2);
		} else {
			sbuf_append_char(&b, s.p[i]);
		}
	}
	return sbuf_view(&b);
}

/* 7bit is fine: ASCII without NUL, lines of at most 998. */
static bool
fits_7bit(struct strv s)
{
	size_t i, col = 0;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c >= 0x80 || c == 0)
			return false;
		if (c == '\n')
			col = 0;
		else if (++col > 998)
			return false;
	}
	return true;
}

/* RFC 2045 6.7 quoted-printable of CRLF text, lines of at most 76. */
static void
put_qp(struct sbuf *b, struct strv s)
{
	size_t i, col = 0;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		bool eol = i + 1 < s.len && s.p[i + 1] == '\r' &&
		           i + 2 < s.len && s.p[i + 2] == '\n';
		char enc[4];
		size_t n;

		if (c == '\r' && i + 1 < s.len && s.p[i + 1] == '\n') {
			sbuf_append(b, "\r\n", 2);
			i++;
			col = 0;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !eol && i + 1 < s.len)) {
			enc[0] = (char)c;
			n = 1;
		} else {
			enc[0] = '=';
			enc[1] = "0123456789ABCDEF"[c >> 4];
			enc[2] = "0123456789ABCDEF"[c & 15];
			n = 3;
		}
		if (col + n > 75) {
			sbuf_append(b, "=\r\n", 3);
			col = 0;
		}
		sbuf_append(b, enc, n);
		col += n;
	}
	if (col > 0)
		sbuf_append(b, "\r\n", 2);
}

/* ---- the tree -------------------------------------------------------------
 */

struct builder {
	const struct mime_message *m;
	struct arena *a;
	struct sbuf *b;
	unsigned counter;
	struct perr *err;
};

static const char *
boundary(struct builder *bd)
{
	bd->counter++;
	if (bd->m->boundary_seed != NULL)
		return arena_printf(bd->a, "%s%u", bd->m->boundary_seed,
		                    bd->counter);
	return arena_printf(bd->a, "=_petrel_%s_%u", pt_random_hex(bd->a, 12),
	                    bd->counter);
}

static void
text_part(struct builder *bd, const char *subtype, const char *body)
{
	struct strv t = crlf(strv_from_cstr(body), bd->a);

	sbuf_printf(bd->b, "Content-Type: text/%s; charset=utf-8\r\n", subtype);
	if (fits_7bit(t)) {
		sbuf_append_cstr(bd->b,
		                 "Content-Transfer-Encoding: 7bit\r\n\r\n");
		sbuf_append_strv(bd->b, t);
		if (t.len < 2 || t.p[t.len - 1] != '\n')
			sbuf_append(bd->b, "\r\n", 2);
	} else {
		sbuf_append_cstr(bd->b, "Content-Transfer-Encoding: "
		                        "quoted-printable\r\n\r\n");
		put_qp(bd->b, t);
	}
}

static int
att_part(struct builder *bd, const struct mime_attachment *at)
{
	struct hw h = {bd->b, 0, true};
	const char *ct = at->content_type != NULL && at->content_type[0]
	                         ? at->content_type
	                         : "application/octet-stream";
	bool rfc822 = strcmp(ct, "message/rfc822") == 0;
	/* Forwarded names come from other mail: no bidi disguise goes out. */
	const char *fname = at->filename != NULL
	                            ? mime_bidi_neutral(at->filename, bd->a)
	                            : NULL;

	hw_start(&h, "Content-Type");
	hw_token(&h, strv_from_cstr(ct));
	if (!rfc822 && fname != NULL && fname[0] != '\0')
		put_param(&h, "name", strv_from_cstr(fname), bd->a);
	hw_end(&h);
	hw_start(&h, "Content-Disposition");
	hw_token(&h, at->content_id != NULL ? STRV_LIT("inline")
	                                    : STRV_LIT("attachment"));
	if (fname != NULL && fname[0] != '\0')
		put_param(&h, "filename", strv_from_cstr(fname), bd->a);
	hw_end(&h);
	if (at->content_id != NULL)
		sbuf_printf(bd->b, "Content-ID: <%s>\r\n", at->content_id);
	if (rfc822 && fits_7bit(at->data)) {
		/* RFC 2046 5.2.1: message/rfc822 is never base64. */
		sbuf_append_cstr(bd->b,
		                 "Content-Transfer-Encoding: 7bit\r\n\r\n");
		sbuf_append_strv(bd->b, crlf(at->data, bd->a));
		if (at->data.len == 0 || at->data.p[at->data.len - 1] != '\n')
			sbuf_append(bd->b, "\r\n", 2);
		return 0;
	}
	/*
	 * An 8-bit message/rfc822 goes base64 as well: it keeps the whole
	 * message 7-bit, and every client we know reads it.
	 */
	sbuf_append_cstr(bd->b, "Content-Transfer-Encoding: base64\r\n\r\n");
	codec_base64_append_lines(bd->b, at->data.p, at->data.len, 76);
	return 0;
}

/* A boundary must not occur in the 7bit parts (QP and base64 cannot
 * hold "=_"). */
static bool
boundary_clash(const struct mime_message *m, const char *bnd)
{
	struct strv b = strv_from_cstr(bnd);
	size_t i;

	if (strv_find(strv_from_cstr(m->text != NULL ? m->text : ""), b) >= 0 ||
	    strv_find(strv_from_cstr(m->html != NULL ? m->html : ""), b) >= 0)
		return true;
	for (i = 0; i < m->n_att; i++)
		if (strv_find(m->att[i].data, b) >= 0)
			return true;
	return false;
}

static const char *
fresh_boundary(struct builder *bd)
{
	const char *bnd;
	int tries = 0;

	do
		bnd = boundary(bd);
	while (boundary_clash(bd->m, bnd) && ++tries < 8);
	return bnd;
}

static void
open_multipart(struct builder *bd, const char *subtype, const char *bnd)
{
	sbuf_printf(bd->b,
	            "Content-Type: multipart/%s;\r\n boundary=\"%s\"\r\n\r\n",
	            subtype, bnd);
}

/* Inline parts (a Content-ID next to HTML) go into multipart/related. */
static bool
is_inline(const struct mime_message *m, const struct mime_attachment *at)
{
	return at->content_id != NULL && m->html != NULL;
}

/* The attachments that are (or are not) inline, each after bnd. */
static int
att_parts(struct builder *bd, const char *bnd, bool inline_ones)
{
	const struct mime_message *m = bd->m;
	size_t i;

	for (i = 0; i < m->n_att; i++) {
		if (is_inline(m, &m->att[i]) != inline_ones)
			continue;
		sbuf_printf(bd->b, "--%s\r\n", bnd);
		if (att_part(bd, &m->att[i]) != 0)
			return -1;
	}
	return 0;
}

static int
html_side(struct builder *bd)
{
	const struct mime_message *m = bd->m;
	const char *bnd;
	size_t i, inl = 0;

	for (i = 0; i < m->n_att; i++)
		if (is_inline(m, &m->att[i]))
			inl++;
	if (inl == 0) {
		text_part(bd, "html", m->html);
		return 0;
	}
	bnd = fresh_boundary(bd);
	open_multipart(bd, "related", bnd);
	sbuf_printf(bd->b, "--%s\r\n", bnd);
	text_part(bd, "html", m->html);
	if (att_parts(bd, bnd, true) != 0)
		return -1;
	sbuf_printf(bd->b, "--%s--\r\n", bnd);
	return 0;
}

static int
body_tree(struct builder *bd)
{
	const struct mime_message *m = bd->m;
	const char *text = m->text != NULL ? m->text : "";
	const char *bnd;
	size_t i, plain_att = 0;
	bool has_html = m->html != NULL;

	for (i = 0; i < m->n_att; i++)
		if (!is_inline(m, &m->att[i]))
			plain_att++;
	if (plain_att > 0) {
		bnd = fresh_boundary(bd);
		open_multipart(bd, "mixed", bnd);
		sbuf_printf(bd->b, "--%s\r\n", bnd);
	} else {
		bnd = NULL;
	}
	if (has_html) {
		const char *alt = fresh_boundary(bd);

		open_multipart(bd, "alternative", alt);
		sbuf_printf(bd->b, "--%s\r\n", alt);
		text_part(bd, "plain", text);
		sbuf_printf(bd->b, "--%s\r\n", alt);
		if (html_side(bd) != 0)
			return -1;
		sbuf_printf(bd->b, "--%s--\r\n", alt);
	} else {
		text_part(bd, "plain", text);
	}
	if (bnd == NULL)
		return 0;
	if (att_parts(bd, bnd, false) != 0)
		return -1;
	sbuf_printf(bd->b, "--%s--\r\n", bnd);
	return 0;
}

/* ---- checks and headers -------------------------------------------------- */

static int
injection(struct arena *a, const char *what, struct perr *err)
{
	return perr_set(err, a, PERR_INPUT,
	                "header injection: CR, LF or NUL in %s", what);
}

static int
check_fields(const struct mime_message *m, struct arena *a, struct perr *err)
{
	const struct mime_addr *lists[] = {m->to, m->cc, m->bcc};
	const size_t ns[] = {m->n_to, m->n_cc, m->n_bcc};
	size_t i, j;

#define CHK(s, what)                                                           \
	do {                                                                   \
		if ((s) != NULL && mime_has_crlf_nul(strv_from_cstr(s)))       \
			return injection(a, what, err);                        \
	} while (0)
	CHK(m->subject, "the subject");
	CHK(m->from.name, "From");
	CHK(m->from.email, "From");
	CHK(m->in_reply_to, "In-Reply-To");
	CHK(m->references, "References");
	CHK(m->message_id, "Message-ID");
	if (m->reply_to != NULL) {
		CHK(m->reply_to->name, "Reply-To");
		CHK(m->reply_to->email, "Reply-To");
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < ns[i]; j++) {
			CHK(lists[i][j].name, "a recipient");
			CHK(lists[i][j].email, "a recipient");
		}
	for (i = 0; i < m->n_att; i++) {
		CHK(m->att[i].filename, "a file name");
		CHK(m->att[i].content_type, "a content type");
		CHK(m->att[i].content_id, "a content id");
		if (m->att[i].content_type != NULL &&
		    strpbrk(m->att[i].content_type, " ;\"\\") != NULL)
			return perr_set(err, a, PERR_INPUT,
			                "bad content type: %s",
			                m->att[i].content_type);
	}
	for (i = 0; i < m->n_extra_headers; i++)
		CHK(m->extra_headers[i], "a header");
#undef CHK
	if (m->from.email == NULL || m->from.email[0] == '\0')
		return perr_set(err, a, PERR_INPUT, "no From address");
	if (m->subject != NULL && !codec_utf8_valid(strv_from_cstr(m->subject)))
		return perr_set(err, a, PERR_INPUT, "subject is not UTF-8");
	if ((m->references != NULL && strlen(m->references) > 16 * 1024) ||
	    (m->in_reply_to != NULL && strlen(m->in_reply_to) > ID_MAX_LEN))
		return perr_set(err, a, PERR_INPUT, "message ids too long");
	return 0;
}

static void
put_date(struct sbuf *b, int64_t when)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
	                                   "Thu", "Fri", "Sat"};
	static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr",
	                                   "May", "Jun", "Jul", "Aug",
	                                   "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	sbuf_printf(b, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n",
	            days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
	            tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
free_sbuf(void *p)
{
	sbuf_free(p);
}

int
mime_build(const struct mime_message *m, size_t max, struct arena *a,
           struct mime_built *out_r, struct perr *err)
{
	struct builder bd = {m, a, NULL, 0, err};
	struct hw h;
	struct sbuf *b;
	const char *from_ascii, *at, *mid;
	size_t bcc_len = 0;

	if (check_fields(m, a, err) != 0)
		return -1;
	from_ascii = addr_ascii(&m->from, a, err);
	if (from_ascii == NULL)
		return -1;
	b = arena_new(a, struct sbuf);
	if (b == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	/* Big attachments: keep the message out of the request arena. */
	sbuf_init(b, NULL, 16 * 1024, max);
	arena_defer(a, free_sbuf, b);
	bd.b = b;
	if (put_addrs(b, "Bcc", m->bcc, m->n_bcc, a, err) != 0)
		return -1;
	bcc_len = b->len;
	at = strrchr(from_ascii, '@');
	mid = m->message_id != NULL ? m->message_id
	                            : mime_message_id(at + 1, a);
	put_date(b, m->date);
	if (put_addrs(b, "From", &m->from, 1, a, err) != 0 ||
	    (m->reply_to != NULL &&
	     put_addrs(b, "Reply-To", m->reply_to, 1, a, err) != 0) ||
	    put_addrs(b, "To", m->to, m->n_to, a, err) != 0 ||
	    put_addrs(b, "Cc", m->cc, m->n_cc, a, err) != 0)
		return -1;
	h = (struct hw){b, 0, true};
	hw_start(&h, "Subject");
	hw_text(&h, strv_from_cstr(m->subject != NULL ? m->subject : ""), a);
	hw_end(&h);
	sbuf_printf(b, "Message-ID: %s\r\n", mid);
	if (m->in_reply_to != NULL)
		put_ids(b, "In-Reply-To", m->in_reply_to);
	if (m->references != NULL)
		put_ids(b, "References", m->references);
	for (size_t i = 0; i < m->n_extra_headers; i++)
		sbuf_printf(b, "%s\r\n", m->extra_headers[i]);
	sbuf_append_cstr(b, "MIME-Version: 1.0\r\n");
	if (body_tree(&bd) != 0)
		return -1;
	if (!sbuf_ok(b))
		return perr_set(err, a, PERR_LIMIT,
		                "the message is larger than %zu bytes", max);
	out_r->with_bcc = sbuf_view(b);
	out_r->without_bcc = (struct strv){b->data + bcc_len, b->len - bcc_len};
	out_r->message_id = mid;
	return 0;
}

/* ---- MDN (RFC 8098) -------------------------------------------------------
 */

/* The ASCII address of ad, checked for header injection first. */
static const char *
mdn_addr(const struct mime_addr *ad, const char *what, struct arena *a,
         struct perr *err)
{
	if ((ad->name != NULL && mime_has_crlf_nul(strv_from_cstr(ad->name))) ||
	    ad->email == NULL || mime_has_crlf_nul(strv_from_cstr(ad->email))) {
		injection(a, what, err);
		return NULL;
	}
	return addr_ascii(ad, a, err);
}

int
mime_build_mdn(const struct mime_mdn *m, struct arena *a, struct strv *out_r,
               struct perr *err)
{
	struct mime_message base;
	struct builder bd;
	struct sbuf b;
	struct hw h;
	const char *from, *to, *at, *mid, *bnd, *subject, *omid;
	struct strv human;

	memset(&base, 0, sizeof(base));
	from = mdn_addr(&m->from, "From", a, err);
	if (from == NULL)
		return -1;
	to = mdn_addr(&m->to, "the notification address", a, err);
	if (to == NULL)
		return -1;
	subject = m->original_subject != NULL ? m->original_subject : "";
	omid = m->original_message_id;
	if (mime_has_crlf_nul(strv_from_cstr(subject)) ||
	    (omid != NULL && mime_has_crlf_nul(strv_from_cstr(omid))) ||
	    m->reporting_host == NULL ||
	    mime_has_crlf_nul(strv_from_cstr(m->reporting_host)) ||
	    strpbrk(m->reporting_host, " ;") != NULL)
		return injection(a, "the MDN's fields", err);
	if (!codec_utf8_valid(strv_from_cstr(subject)) || m->text == NULL ||
	    !codec_utf8_valid(strv_from_cstr(m->text)))
		return perr_set(err, a, PERR_INPUT, "MDN text is not UTF-8");
	/* A Message-ID that is no "<...>" would not be one: leave it out. */
	if (omid != NULL && (omid[0] != '<' || omid[strlen(omid) - 1] != '>' ||
	                     strlen(omid) > ID_MAX_LEN || strchr(omid, ' ')))
		omid = NULL;
	at = strrchr(from, '@');
	mid = m->message_id != NULL ? m->message_id
	                            : mime_message_id(at + 1, a);
	base.boundary_seed = m->boundary;
	bd = (struct builder){&base, a, &b, 0, err};
	bnd = m->boundary != NULL ? m->boundary : boundary(&bd);
	human = crlf(strv_from_cstr(m->text), a);
	if (strv_find(human, strv_from_cstr(bnd)) >= 0)
		return perr_set(err, a, PERR_INPUT,
		                "MDN text holds the boundary");
	sbuf_init(&b, a, 2048 + human.len * 3, 256 * 1024);
	put_date(&b, m->date);
	if (put_addrs(&b, "From", &m->from, 1, a, err) != 0 ||
	    put_addrs(&b, "To", &m->to, 1, a, err) != 0)
		return -1;
	h = (struct hw){&b, 0, true};
	hw_start(&h, "Subject");
	hw_text(&h, strv_from_cstr(arena_printf(a, "Read: %s", subject)), a);
	hw_end(&h);
	sbuf_printf(&b, "Message-ID: %s\r\n", mid);
	if (omid != NULL) {
		put_ids(&b, "In-Reply-To", omid);
		put_ids(&b, "References", omid);
	}
	/* RFC 3834 5: an MDN is an automatic answer; no vacation replies. */
	sbuf_append_cstr(&b, "Auto-Submitted: auto-replied\r\n");
	sbuf_append_cstr(&b, "MIME-Version: 1.0\r\n");
	sbuf_printf(&b,
	            "Content-Type: multipart/report;\r\n"
	            " report-type=disposition-notification;\r\n"
	            " boundary=\"%s\"\r\n\r\n",
	            bnd);
	sbuf_printf(&b, "--%s\r\n", bnd);
	text_part(&bd, "plain", m->text);
	/* RFC 8098 3.1: the machine-readable part, 7bit fields. */
	sbuf_printf(&b,
	            "--%s\r\n"
	            "Content-Type: message/disposition-notification\r\n"
	            "Content-Transfer-Encoding: 7bit\r\n\r\n",
	            bnd);
	sbuf_printf(&b, "Reporting-UA: %s; Petrel\r\n", m->reporting_host);
	sbuf_printf(&b, "Final-Recipient: rfc822;%s\r\n", from);
	if (omid != NULL)
		sbuf_printf(&b, "Original-Message-ID: %s\r\n", omid);
	sbuf_printf(&b, "Disposition: %s; displayed\r\n",
	            m->mode == MIME_MDN_AUTO
	                    ? "automatic-action/MDN-sent-automatically"
	                    : "manual-action/MDN-sent-manually");
	sbuf_printf(&b, "\r\n--%s--\r\n", bnd);
	if (!sbuf_ok(&b))
		return perr_set(err, a, PERR_LIMIT, "the MDN is too large");
	*out_r = sbuf_view(&b);
	return 0;
}

void
mime_put_date(struct sbuf *b, int64_t when)
{
	put_date(b, when);
}
