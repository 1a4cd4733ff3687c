/*
 * The plain-text view: text/plain bodies as HTML. Everything is escaped;
 * the only markup we write is <a> (for URLs we found, always http(s) or
 * mailto), <blockquote> (for ">" quoting), <details>/<summary> (to fold a
 * long quote without script) and <br>. Runs of spaces keep
 * their width through &nbsp; so that signatures and ASCII tables survive
 * without a white-space: pre rule.
 */
#include <string.h>

#include "sanitize.h"
#include "sanitize_private.h"
#include "core/banned.h"

static void
put_text(struct sbuf *b, const char *s, size_t n, bool *space_before)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		const char *ent = codec_html_entity(c);

		if (ent != NULL) {
			sbuf_append_cstr(b, ent);
			*space_before = false;
			continue;
		}
		switch (c) {
		case ' ':
			/* A space after a space (or at line start) would
			 * collapse: make it a non-breaking one. */
			if (*space_before)
				sbuf_append_cstr(b, "&nbsp;");
			else
				sbuf_append_char(b, ' ');
			*space_before = true;
			continue;
		case '\t':
			sbuf_append_cstr(b, "&nbsp;&nbsp;&nbsp;&nbsp;");
			*space_before = true;
			continue;
		case '\0':
			break;
		default:
			if ((unsigned char)c < 0x20 || c == 0x7f)
				break;
			sbuf_append_char(b, c);
		}
		*space_before = false;
	}
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Characters that may appear in a URL we linkify. */
static bool
is_url_char(char c)
{
	return (unsigned char)c > 0x20 && c != '<' && c != '>' && c != '"' &&
	       c != 0x7f && c != '`' && c != '{' && c != '}' && c != '|' &&
	       c != '\\' && c != '^';
}

/* Length of a URL starting at s (0 if none): http://, https://, www. */
static size_t
url_len(const char *s, size_t n, bool *www_r)
{
	size_t i, prefix, open = 0;
	struct strv v = {s, n};

	*www_r = false;
	if (strv_starts_with_ci_ascii(v, STRV_LIT("http://")))
		prefix = 7;
	else if (strv_starts_with_ci_ascii(v, STRV_LIT("https://")))
		prefix = 8;
	else if (strv_starts_with_ci_ascii(v, STRV_LIT("www."))) {
		prefix = 4;
		*www_r = true;
	} else
		return 0;
	if (prefix >= n || !is_alnum(s[prefix]))
		return 0;
	for (i = prefix; i < n && is_url_char(s[i]); i++) {
		if (s[i] == '(')
			open++;
		else if (s[i] == ')') {
			if (open == 0)
				break;
			open--;
		}
	}
	/* Trailing punctuation belongs to the sentence, not the URL. */
	while (i > prefix && strchr(".,;:!?'*", s[i - 1]) != NULL)
		i--;
	return i;
}

static bool
is_local_char(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("._%+-", c) != NULL);
}

static bool
is_domain_char(char c)
{
	return is_alnum(c) || c == '.' || c == '-';
}

static void
put_link(struct sbuf *b, const char *prefix, const char *s, size_t n)
{
	bool sp = false;

	sbuf_append_cstr(b, "<a href=\"");
	sbuf_append_cstr(b, prefix);
	put_text(b, s, n, &sp);
	sbuf_append_cstr(b,
	                 "\" target=\"_blank\" rel=\"noopener noreferrer\">");
	sp = false;
	put_text(b, s, n, &sp);
	sbuf_append_cstr(b, "</a>");
}

static void
put_line(struct sbuf *b, const char *s, size_t n)
{
	size_t i = 0, done = 0;
	bool sp = true;

	while (i < n) {
		size_t ul, ls, de, dots;
		bool www;

		if ((i == 0 || !is_alnum(s[i - 1])) &&
		    (ul = url_len(s + i, n - i, &www)) > 0) {
			put_text(b, s + done, i - done, &sp);
			put_link(b, www ? "http://" : "", s + i, ul);
			sp = false;
			i += ul;
			done = i;
			continue;
		}
		if (s[i] != '@') {
			i++;
			continue;
		}
		/* user@example.org */
		for (ls = i; ls > done && is_local_char(s[ls - 1]); ls--)
			;
		for (de = i + 1, dots = 0; de < n && is_domain_char(s[de]);
		     de++) {
			if (s[de] == '.')
				dots++;
		}
		while (de > i + 1 && (s[de - 1] == '.' || s[de - 1] == '-')) {
			if (s[de - 1] == '.')
				dots--;
			de--;
		}
		while (ls < i && s[ls] == '.')
			ls++;
		if (ls == i || dots == 0 || !is_alnum(s[i + 1])) {
			i++;
			continue;
		}
		put_text(b, s + done, ls - done, &sp);
		put_link(b, "mailto:", s + ls, de - ls);
		sp = false;
		i = de;
		done = i;
	}
	put_text(b, s + done, n - done, &sp);
}

/* Quote depth of a line ("> > text" is 2) and where its text starts. */
static size_t
quote_level(const char *s, size_t n, size_t *text_r)
{
	size_t i = 0, level = 0, after = 0;

	while (i < n) {
		if (s[i] == '>') {
			level++;
			i++;
			after = i;
		} else if (s[i] == ' ' && level > 0 && i + 1 < n &&
		           s[i + 1] == '>') {
			i++;
		} else {
			break;
		}
	}
	if (level > 0 && after < n && s[after] == ' ')
		after++;
	*text_r = level > 0 ? after : 0;
	return level;
}

/* The end of the line that starts at i. */
static size_t
line_end(struct strv text, size_t i)
{
	while (i < text.len && text.p[i] != '\n' && text.p[i] != '\r')
		i++;
	return i;
}

/* The start of the line after the one ending at e (text.len at the end). */
static size_t
next_line(struct strv text, size_t e)
{
	if (e >= text.len)
		return text.len;
	if (text.p[e] == '\r' && e + 1 < text.len && text.p[e + 1] == '\n')
		return e + 2;
	return e + 1;
}

/* Lines of the quoted block that starts at i (up to an unquoted line). */
static size_t
quote_block_lines(struct strv text, size_t i)
{
	size_t n = 0, tstart;

	for (;;) {
		size_t e = line_end(text, i);

		if (quote_level(text.p + i, e - i, &tstart) == 0)
			break;
		n++;
		if (e == text.len)
			break;
		i = next_line(text, e);
	}
	return n;
}

/* <details><summary>label</summary>, each "{n}" replaced by lines. */
static void
open_fold(struct sbuf *out, const char *label, size_t lines)
{
	const char *n;
	bool sp = false;

	sbuf_append_cstr(out, "<details class=\"petrel-quote\"><summary>");
	while ((n = strstr(label, "{n}")) != NULL) {
		put_text(out, label, (size_t)(n - label), &sp);
		sbuf_printf(out, "%zu", lines);
		sp = false;
		label = n + 3;
	}
	put_text(out, label, strlen(label), &sp);
	sbuf_append_cstr(out, "</summary>");
}

int
sanitize_plain_to_html(struct strv text, const struct sanitize_plain_opts *o,
                       struct arena *a, struct sbuf *out, struct perr *err)
{
	size_t i = 0, level = 0, start = out->len;
	size_t max_output = o != NULL ? o->max_output : 0;
	bool fold_ok = o != NULL && o->fold_lines > 0 && o->fold_label != NULL;
	bool first = true, folded = false;

	for (;;) {
		size_t e = line_end(text, i), q, tstart;

		q = quote_level(text.p + i, e - i, &tstart);
		if (q > 100)
			q = 100; /* a bound for the browser's sake */
		if (q != level) {
			if (level == 0 && fold_ok) {
				size_t n = quote_block_lines(text, i);

				if (n > o->fold_lines) {
					/* A block element: no <br> before. */
					open_fold(out, o->fold_label, n);
					folded = true;
				}
			}
			while (level < q) {
				sbuf_append_cstr(out,
				                 "<blockquote type=\"cite\">");
				level++;
			}
			while (level > q) {
				sbuf_append_cstr(out, "</blockquote>");
				level--;
			}
			if (level == 0 && folded) {
				sbuf_append_cstr(out, "</details>");
				folded = false;
			}
		} else if (!first) {
			sbuf_append_cstr(out, "<br>\n");
		}
		first = false;
		put_line(out, text.p + i + tstart, e - i - tstart);
		if (!sbuf_ok(out) ||
		    (max_output != 0 && out->len - start > max_output))
			return perr_set(err, a, PERR_LIMIT,
			                "sanitize: plain text over the limit");
		if (e == text.len)
			break;
		i = next_line(text, e);
	}
	while (level > 0) {
		sbuf_append_cstr(out, "</blockquote>");
		level--;
	}
	if (folded)
		sbuf_append_cstr(out, "</details>");
	if (!sbuf_ok(out) || (max_output != 0 && out->len - start > max_output))
		return perr_set(err, a, PERR_LIMIT,
		                "sanitize: plain text over the limit");
	return 0;
}
