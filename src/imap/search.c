/*
 * The search box: SnappyMail-like syntax -> term list -> IMAP SEARCH keys.
 *
 * Injection: the parser refuses CR, LF, NUL and other control characters,
 * so no value can end a command line. Quotes and backslashes stay in the
 * values; libetpan sends them as literals (LITERAL+) or as escaped quoted
 * strings, which the server reads back as the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

static int
parse_date(struct strv v, struct imap_search_term *t)
{
	uint64_t y, m, d;
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};

	if (v.len != 10 || v.p[4] != '-' || v.p[7] != '-')
		return -1;
	if (!pt_parse_u64((struct strv){v.p, 4}, 9999, &y) ||
	    !pt_parse_u64((struct strv){v.p + 5, 2}, 12, &m) ||
	    !pt_parse_u64((struct strv){v.p + 8, 2}, 31, &d))
		return -1;
	if (y < 1970 || m < 1 || d < 1 || d > (uint64_t)mdays[m - 1])
		return -1;
	t->year = (int)y;
	t->month = (int)m;
	t->day = (int)d;
	return 0;
}

/* Read a word or "quoted phrase" at *i; the unescaped value goes to b. */
static int
read_value(struct strv q, size_t *i, struct sbuf *b)
{
	if (*i < q.len && q.p[*i] == '"') {
		(*i)++;
		while (*i < q.len && q.p[*i] != '"') {
			if (q.p[*i] == '\\' && *i + 1 < q.len)
				(*i)++;
			sbuf_append_char(b, q.p[*i]);
			(*i)++;
		}
		if (*i < q.len)
			(*i)++; /* closing quote; a missing one is forgiven */
		return 0;
	}
	while (*i < q.len && q.p[*i] != ' ') {
		sbuf_append_char(b, q.p[*i]);
		(*i)++;
	}
	return 0;
}

static const struct {
	const char *key;
	enum imap_search_kind kind;
} text_keys[] = {
        {"from", IMAP_SEARCH_FROM},       {"to", IMAP_SEARCH_TO},
        {"subject", IMAP_SEARCH_SUBJECT}, {"body", IMAP_SEARCH_BODY},
        {"text", IMAP_SEARCH_BODY},
};

int
imap_search_parse(struct strv query, struct arena *a, struct imap_search *s_r,
                  struct perr *err)
{
	struct imap_search_term *terms;
	size_t n = 0, i = 0, k;
	char *norm;

	s_r->terms = NULL;
	s_r->n = 0;
	if (query.len > IMAP_SEARCH_MAX_LEN)
		return perr_set(err, a, PERR_INPUT, "search text too long");
	if (!codec_utf8_valid(query))
		return perr_set(err, a, PERR_INPUT,
		                "search text is not valid UTF-8");
	if (strv_has_ctl(query, true))
		return perr_set(err, a, PERR_INPUT,
		                "search text contains a line break or "
		                "control character");
	norm = strv_dup(a, query);
	terms = arena_new_array(a, struct imap_search_term,
	                        IMAP_SEARCH_MAX_TERMS);
	if (norm == NULL || terms == NULL)
		return perr_set(err, a, PERR_LIMIT, "search text too long");
	for (k = 0; k < query.len; k++) {
		if (norm[k] == '\t')
			norm[k] = ' ';
	}
	query.p = norm;
	while (i < query.len) {
		struct imap_search_term t;
		struct sbuf b;
		struct strv key = STRV_NULL;
		size_t j;

		while (i < query.len && query.p[i] == ' ')
			i++;
		if (i >= query.len)
			break;
		memset(&t, 0, sizeof(t));
		t.kind = IMAP_SEARCH_TEXT;
		if (query.p[i] == '-' && i + 1 < query.len &&
		    query.p[i + 1] != ' ') {
			t.negate = true;
			i++;
		}
		/* key: only if letters are followed by ':' */
		for (j = i; j < query.len &&
		            ((query.p[j] >= 'a' && query.p[j] <= 'z') ||
		             (query.p[j] >= 'A' && query.p[j] <= 'Z'));
		     j++)
			;
		if (j > i && j < query.len && query.p[j] == ':') {
			key = (struct strv){query.p + i, j - i};
			i = j + 1;
		}
		sbuf_init(&b, a, 64, IMAP_SEARCH_MAX_LEN);
		(void)read_value(query, &i, &b);
		if (!sbuf_ok(&b))
			return perr_set(err, a, PERR_LIMIT,
			                "search text too long");
		if (key.p != NULL) {
			struct strv v = sbuf_view(&b);
			bool known = false;

			for (k = 0; k < PT_NELEM(text_keys); k++) {
				if (strv_eq_ci_ascii(
				            key,
				            strv_from_cstr(text_keys[k].key))) {
					t.kind = text_keys[k].kind;
					known = true;
				}
			}
			if (strv_eq_ci_ascii(key, STRV_LIT("has"))) {
				if (!strv_eq_ci_ascii(v,
				                      STRV_LIT("attachment")) &&
				    !strv_eq_ci_ascii(v,
				                      STRV_LIT("attachments")))
					return perr_set(err, a, PERR_INPUT,
					                "unknown has: value");
				t.kind = IMAP_SEARCH_HAS_ATTACHMENT;
				goto add;
			}
			if (strv_eq_ci_ascii(key, STRV_LIT("is"))) {
				if (strv_eq_ci_ascii(v, STRV_LIT("unread")) ||
				    strv_eq_ci_ascii(v, STRV_LIT("unseen")))
					t.kind = IMAP_SEARCH_UNSEEN;
				else if (strv_eq_ci_ascii(v,
				                          STRV_LIT("read")) ||
				         strv_eq_ci_ascii(v, STRV_LIT("seen")))
					t.kind = IMAP_SEARCH_SEEN;
				else if (strv_eq_ci_ascii(v,
				                          STRV_LIT("flagged")))
					t.kind = IMAP_SEARCH_FLAGGED;
				else if (strv_eq_ci_ascii(
				                 v, STRV_LIT("unflagged")))
					t.kind = IMAP_SEARCH_UNFLAGGED;
				else if (strv_eq_ci_ascii(v,
				                          STRV_LIT("answered")))
					t.kind = IMAP_SEARCH_ANSWERED;
				else
					return perr_set(err, a, PERR_INPUT,
					                "unknown is: value");
				goto add;
			}
			if (strv_eq_ci_ascii(key, STRV_LIT("keyword"))) {
				/* A label: its IMAP keyword, an atom. */
				t.kind = IMAP_SEARCH_KEYWORD;
				t.value = sbuf_cstr(&b);
				if (imap_keyword_check(t.value, a, err) != 0)
					return -1;
				goto add;
			}
			if (strv_eq_ci_ascii(key, STRV_LIT("before")) ||
			    strv_eq_ci_ascii(key, STRV_LIT("after")) ||
			    strv_eq_ci_ascii(key, STRV_LIT("since"))) {
				t.kind = strv_eq_ci_ascii(key,
				                          STRV_LIT("before"))
				                 ? IMAP_SEARCH_BEFORE
				                 : IMAP_SEARCH_SINCE;
				if (parse_date(v, &t) != 0)
					return perr_set(err, a, PERR_INPUT,
					                "bad date (use "
					                "YYYY-MM-DD)");
				goto add;
			}
			if (!known) {
				/* Not a key after all: "re:" is text. */
				char *s =
				        arena_printf(a, "%.*s:%s", (int)key.len,
				                     key.p, sbuf_cstr(&b));

				if (s == NULL)
					return perr_set(err, a, PERR_LIMIT,
					                "search too long");
				t.value = s;
				goto add;
			}
		}
		if (b.len == 0)
			continue;
		t.value = sbuf_cstr(&b);
	add:
		if (n >= IMAP_SEARCH_MAX_TERMS)
			return perr_set(err, a, PERR_INPUT,
			                "too many search terms");
		terms[n++] = t;
	}
	s_r->terms = terms;
	s_r->n = n;
	return 0;
}

bool
imapc_search_is_ascii(const struct imap_search *s)
{
	size_t i;
	const unsigned char *p;

	for (i = 0; i < s->n; i++) {
		if (s->terms[i].value == NULL)
			continue;
		for (p = (const unsigned char *)s->terms[i].value; *p; p++) {
			if (*p >= 0x80)
				return false;
		}
	}
	return true;
}

static char *
xdup(const char *s)
{
	return pt_xstrdup(s);
}

static struct mailimap_search_key *
flag_key(int type)
{
	return mailimap_search_key_new(type, NULL, NULL, NULL, NULL, NULL, NULL,
	                               NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	                               NULL, 0, NULL, NULL, NULL, NULL, NULL,
	                               NULL, 0, NULL, NULL, NULL);
}

static struct mailimap_search_key *
or3(struct mailimap_search_key *x, struct mailimap_search_key *y,
    struct mailimap_search_key *z)
{
	return mailimap_search_key_new_or(x, mailimap_search_key_new_or(y, z));
}

static struct mailimap_search_key *
term_key(const struct imap_search_term *t)
{
	struct mailimap_search_key *k = NULL;
	const char *v = t->value;

	switch (t->kind) {
	case IMAP_SEARCH_TEXT:
		k = mailimap_search_key_new_or(
		        or3(mailimap_search_key_new_from(xdup(v)),
		            mailimap_search_key_new_to(xdup(v)),
		            mailimap_search_key_new_cc(xdup(v))),
		        mailimap_search_key_new_subject(xdup(v)));
		break;
	case IMAP_SEARCH_BODY:
		k = mailimap_search_key_new_text(xdup(v));
		break;
	case IMAP_SEARCH_FROM:
		k = mailimap_search_key_new_from(xdup(v));
		break;
	case IMAP_SEARCH_TO:
		k = mailimap_search_key_new_or(
		        mailimap_search_key_new_to(xdup(v)),
		        mailimap_search_key_new_cc(xdup(v)));
		break;
	case IMAP_SEARCH_SUBJECT:
		k = mailimap_search_key_new_subject(xdup(v));
		break;
	case IMAP_SEARCH_HAS_ATTACHMENT:
		/*
		 * IMAP has no "has attachment" key. A message with an
		 * attachment is multipart/mixed (or carries an attachment
		 * disposition in a single part); that header test is the
		 * usual approximation.
		 */
		k = or3(mailimap_search_key_new_header(xdup("Content-Type"),
		                                       xdup("multipart/mixed")),
		        mailimap_search_key_new_header(xdup("Content-Type"),
		                                       xdup("application/")),
		        mailimap_search_key_new_header(
		                xdup("Content-Disposition"),
		                xdup("attachment")));
		break;
	case IMAP_SEARCH_UNSEEN:
		k = flag_key(MAILIMAP_SEARCH_KEY_UNSEEN);
		break;
	case IMAP_SEARCH_SEEN:
		k = flag_key(MAILIMAP_SEARCH_KEY_SEEN);
		break;
	case IMAP_SEARCH_FLAGGED:
		k = flag_key(MAILIMAP_SEARCH_KEY_FLAGGED);
		break;
	case IMAP_SEARCH_UNFLAGGED:
		k = flag_key(MAILIMAP_SEARCH_KEY_UNFLAGGED);
		break;
	case IMAP_SEARCH_ANSWERED:
		k = flag_key(MAILIMAP_SEARCH_KEY_ANSWERED);
		break;
	case IMAP_SEARCH_BEFORE:
		k = mailimap_search_key_new_sentbefore(
		        mailimap_date_new(t->day, t->month, t->year));
		break;
	case IMAP_SEARCH_SINCE:
		k = mailimap_search_key_new_sentsince(
		        mailimap_date_new(t->day, t->month, t->year));
		break;
	case IMAP_SEARCH_KEYWORD:
		k = mailimap_search_key_new_keyword(xdup(v));
		break;
	}
	if (k != NULL && t->negate)
		k = mailimap_search_key_new_not(k);
	return k;
}

struct mailimap_search_key *
imapc_search_key(const struct imap_search *s)
{
	struct mailimap_search_key *all;
	size_t i;

	if (s == NULL || s->n == 0)
		return mailimap_search_key_new_all();
	if (s->n == 1)
		return term_key(&s->terms[0]);
	all = mailimap_search_key_new_multiple_empty();
	for (i = 0; i < s->n; i++)
		mailimap_search_key_multiple_add(all, term_key(&s->terms[i]));
	return all;
}

/* ---- ESEARCH answers (RFC 4731) ---------------------------------------- */

/* A number at *p (a UID unless zero_ok: then a count). */
static bool
read_num(const char **p, const char *end, bool zero_ok, uint32_t *v_r)
{
	const char *s = *p;
	uint64_t v;

	while (*p < end && **p >= '0' && **p <= '9')
		(*p)++;
	if (!pt_parse_u64((struct strv){s, (size_t)(*p - s)}, UINT32_MAX, &v) ||
	    (v == 0 && !zero_ok))
		return false;
	*v_r = (uint32_t)v;
	return true;
}

/* A sequence set in the answer's order into out (at most cap). */
static bool
read_set(const char **p, const char *end, uint32_t cap, uint32_t *out,
         size_t *n)
{
	for (;;) {
		uint32_t a, b, x;

		if (!read_num(p, end, false, &a))
			return false;
		b = a;
		if (*p < end && **p == ':') {
			(*p)++;
			if (!read_num(p, end, false, &b))
				return false;
		}
		/* a:b runs from a to b; ESORT writes runs in sort order. */
		for (x = a; *n < cap; x = a <= b ? x + 1 : x - 1) {
			out[(*n)++] = x;
			if (x == b)
				break;
		}
		if (*p >= end || **p != ',')
			return true;
		(*p)++;
	}
}

int
imap_esearch_parse(struct strv data, uint32_t cap, struct arena *a,
                   uint32_t **uids_r, size_t *n_r, uint32_t *count_r,
                   struct perr *err)
{
	const char *p = data.p, *end = data.p + data.len;
	uint32_t *out = arena_new_array(a, uint32_t, (size_t)cap + 1);
	size_t n = 0;
	bool have_count = false;

	*uids_r = out;
	*n_r = 0;
	*count_r = 0;
	if (out == NULL)
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	while (p < end) {
		const char *w;
		size_t wl;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		if (*p == '(') { /* (TAG "n"): our own tag, no ')' inside */
			while (p < end && *p != ')')
				p++;
			if (p < end)
				p++;
			continue;
		}
		w = p;
		while (p < end && *p != ' ')
			p++;
		wl = (size_t)(p - w);
		while (p < end && *p == ' ')
			p++;
		if (strv_eq_ci_ascii((struct strv){w, wl}, STRV_LIT("UID")))
			continue;
		if (strv_eq_ci_ascii((struct strv){w, wl}, STRV_LIT("COUNT"))) {
			if (!read_num(&p, end, true, count_r))
				goto bad;
			have_count = true;
			continue;
		}
		if (strv_eq_ci_ascii((struct strv){w, wl}, STRV_LIT("ALL"))) {
			if (!read_set(&p, end, cap, out, &n))
				goto bad;
			continue;
		}
		/* MIN, MAX or data we did not ask for: skip its value. */
		while (p < end && *p != ' ')
			p++;
	}
	if (!have_count)
		*count_r = (uint32_t)n;
	*n_r = n;
	return 0;
bad:
	return perr_set(err, a, PERR_REMOTE, "bad ESEARCH answer");
}

int
imapc_esearch_find(const struct strv *lines, size_t nl, uint32_t cap,
                   struct arena *a, uint32_t **uids_r, size_t *n_r,
                   uint32_t *count_r, struct perr *err)
{
	size_t i;

	*uids_r = NULL;
	*n_r = 0;
	*count_r = 0;
	for (i = 0; i < nl; i++)
		if (lines[i].len >= 7 &&
		    strv_eq_ci_ascii((struct strv){lines[i].p, 7},
		                     STRV_LIT("ESEARCH")))
			return imap_esearch_parse(
			        (struct strv){lines[i].p + 7, lines[i].len - 7},
			        cap, a, uids_r, n_r, count_r, err);
	return 0; /* no ESEARCH line: nothing matched */
}
