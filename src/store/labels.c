/*
 * Label definitions (store.h, "labels"): a user's list is one
 * user_settings value, one label a line, "keyword TAB colour TAB name".
 * Tabs and line breaks cannot occur in any field (checked on the way in),
 * so the format needs no escaping. The first line names the format, so
 * a later change can tell old values apart.
 */
#include <string.h>
#include <strings.h>

#include "store.h"
#include "core/banned.h"

#define LABELS_KEY "labels"
#define LABELS_MAGIC "petrel-labels 1"

static bool
keyword_ok(struct strv v)
{
	size_t i;

	if (v.len == 0 || v.len > 64)
		return false;
	for (i = 0; i < v.len; i++) {
		unsigned char ch = (unsigned char)v.p[i];

		if (ch <= 0x20 || ch >= 0x7f)
			return false;
	}
	return true;
}

static bool
name_ok(struct strv v)
{
	return v.len > 0 && v.len <= 128 && codec_utf8_valid(v) &&
	       !strv_has_ctl(v, false);
}

static bool
colour_ok(struct strv v)
{
	size_t i;

	if (v.len == 0 || v.len > 16)
		return false;
	for (i = 0; i < v.len; i++)
		if (v.p[i] < 'a' || v.p[i] > 'z')
			return false;
	return true;
}

/* The next field of line up to a tab (or the end) at *i. */
static struct strv
next_field(struct strv line, size_t *i)
{
	size_t start = *i;

	while (*i < line.len && line.p[*i] != '\t')
		(*i)++;
	return (struct strv){line.p + start, *i - start};
}

static int
parse_line(struct strv line, struct arena *a, struct store_label *l)
{
	struct strv kw, colour, name;
	size_t i = 0;

	kw = next_field(line, &i);
	if (i++ >= line.len)
		return -1;
	colour = next_field(line, &i);
	if (i++ >= line.len)
		return -1;
	name = (struct strv){line.p + i, line.len - i};
	if (!keyword_ok(kw) || !colour_ok(colour) || !name_ok(name))
		return -1;
	l->keyword = strv_dup(a, kw);
	l->colour = strv_dup(a, colour);
	l->name = strv_dup(a, name);
	return l->keyword != NULL && l->colour != NULL && l->name != NULL ? 0
	                                                                  : -1;
}

int
store_labels_get(struct store *s, const char *user, struct arena *a,
                 struct store_label **labels_r, size_t *n_r, bool *saved_r,
                 struct perr *err)
{
	struct store_label *v;
	struct strv rest, line;
	char *text;
	size_t n = 0;
	const char *nl;

	*labels_r = NULL;
	*n_r = 0;
	*saved_r = false;
	if (store_setting_get(s, user, LABELS_KEY, a, &text, err) != 0)
		return -1;
	if (text == NULL)
		return 0;
	v = arena_new_array(a, struct store_label, STORE_LABELS_MAX);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	rest = strv_from_cstr(text);
	/* Another format: treat as never saved rather than lose labels
	 * silently on the next save (which writes this one). */
	if (rest.len < strlen(LABELS_MAGIC) ||
	    memcmp(rest.p, LABELS_MAGIC, strlen(LABELS_MAGIC)) != 0)
		return 0;
	*saved_r = true;
	while (rest.len > 0) {
		nl = memchr(rest.p, '\n', rest.len);
		line = (struct strv){rest.p, nl != NULL ? (size_t)(nl - rest.p)
		                                        : rest.len};
		rest.p += line.len + (nl != NULL ? 1 : 0);
		rest.len -= line.len + (nl != NULL ? 1 : 0);
		if (line.p == text || line.len == 0)
			continue; /* the format line */
		if (n < STORE_LABELS_MAX && parse_line(line, a, &v[n]) == 0)
			n++;
	}
	*labels_r = v;
	*n_r = n;
	return 0;
}

int
store_labels_set(struct store *s, const char *user,
                 const struct store_label *labels, size_t n, int64_t now,
                 struct arena *a, struct perr *err)
{
	struct sbuf b;
	size_t i, j;

	if (n > STORE_LABELS_MAX)
		return perr_set(err, a, PERR_LIMIT, "at most %d labels",
		                STORE_LABELS_MAX);
	sbuf_init(&b, a, 256, (size_t)STORE_LABELS_MAX * 256);
	sbuf_append_cstr(&b, LABELS_MAGIC);
	sbuf_append_char(&b, '\n');
	for (i = 0; i < n; i++) {
		const struct store_label *l = &labels[i];

		if (l->keyword == NULL ||
		    !keyword_ok(strv_from_cstr(l->keyword)))
			return perr_set(err, a, PERR_INPUT,
			                "label keyword is not an IMAP atom");
		if (l->name == NULL || !name_ok(strv_from_cstr(l->name)))
			return perr_set(
			        err, a, PERR_INPUT,
			        "label name must be 1 to 128 bytes of "
			        "UTF-8 text without control characters");
		if (l->colour == NULL || !colour_ok(strv_from_cstr(l->colour)))
			return perr_set(err, a, PERR_INPUT,
			                "label colour is not a palette name");
		for (j = 0; j < i; j++)
			if (strcasecmp(labels[j].keyword, l->keyword) == 0)
				return perr_set(
				        err, a, PERR_INPUT,
				        "two labels with the keyword %s",
				        l->keyword);
		sbuf_printf(&b, "%s\t%s\t%s\n", l->keyword, l->colour, l->name);
	}
	if (!sbuf_ok(&b))
		return perr_set(err, a, PERR_LIMIT, "labels too large");
	return store_setting_set(s, user, LABELS_KEY, sbuf_cstr(&b), now, a,
	                         err);
}
