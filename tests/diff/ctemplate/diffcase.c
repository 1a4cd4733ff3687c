/*
 * Case file reader for the ctemplate differential test. Format, one
 * directive per line ('#' starts a comment line):
 *
 *   strip none|blank|whitespace
 *   exclude <reason>             the case documents a [Petrel] difference
 *   file <name> <escaped text>   a template on one line
 *   file <name> <<<              a template block, verbatim, ending at a
 *   ...                          line ">>>" (the newline before ">>>" is
 *   >>>                          not part of the template)
 *   set NAME <escaped value>     dictionary operations, applied in order
 *   global NAME <escaped value>  to the current dictionary (a stack:
 *   tglobal NAME <escaped value> "section" and "include" push a child,
 *   show SECTION                 "end" pops it)
 *   tshow SECTION
 *   section SECTION
 *   include NAME FILE
 *   end
 *
 * Escapes in values and one-line texts: \n \r \t \v \f \\ \s (space) \xHH.
 * The first file is the one expanded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diffcase.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct diffcase_bytes
unescape(const char *s, size_t n)
{
	struct diffcase_bytes b;
	size_t i, o = 0;

	b.p = malloc(n + 1);
	if (b.p == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 >= n) {
			b.p[o++] = s[i];
			continue;
		}
		i++;
		switch (s[i]) {
		case 'n':
			b.p[o++] = '\n';
			break;
		case 'r':
			b.p[o++] = '\r';
			break;
		case 't':
			b.p[o++] = '\t';
			break;
		case 'v':
			b.p[o++] = '\v';
			break;
		case 'f':
			b.p[o++] = '\f';
			break;
		case 's':
			b.p[o++] = ' ';
			break;
		case '0':
			b.p[o++] = '\0';
			break;
		case 'x':
			if (i + 2 < n && hexval(s[i + 1]) >= 0 &&
			    hexval(s[i + 2]) >= 0) {
				b.p[o++] = (char)(hexval(s[i + 1]) * 16 +
				                  hexval(s[i + 2]));
				i += 2;
			}
			break;
		default:
			b.p[o++] = s[i];
			break;
		}
	}
	b.p[o] = '\0';
	b.len = o;
	return b;
}

static struct diffcase_bytes
copy(const char *s, size_t n)
{
	struct diffcase_bytes b;

	b.p = malloc(n + 1);
	if (b.p == NULL)
		abort();
	memcpy(b.p, s, n);
	b.p[n] = '\0';
	b.len = n;
	return b;
}

/* Split "word rest": word into w/wn, rest after one space. */
static const char *
word(const char *s, const char *end, size_t *wn)
{
	const char *sp = memchr(s, ' ', (size_t)(end - s));

	*wn = sp != NULL ? (size_t)(sp - s) : (size_t)(end - s);
	return sp != NULL ? sp + 1 : end;
}

int
diffcase_load(const char *path, struct diffcase *c)
{
	FILE *f = fopen(path, "rb");
	char *buf, *line, *eol, *end;
	const char *rest, *rest2;
	long n;
	size_t wn, w2;
	struct diffcase_op *op;

	memset(c, 0, sizeof(*c));
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		return -1;
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	buf[n] = '\0';
	end = buf + n;
	for (line = buf; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		if (line == eol || line[0] == '#')
			continue;
		rest = word(line, eol, &wn);
		if (wn == 5 && memcmp(line, "strip", 5) == 0) {
			c->strip = strncmp(rest, "blank", 5) == 0         ? 1
			           : strncmp(rest, "whitespace", 10) == 0 ? 2
			                                                  : 0;
		} else if (wn == 7 && memcmp(line, "exclude", 7) == 0) {
			c->exclude = copy(rest, (size_t)(eol - rest));
		} else if (wn == 4 && memcmp(line, "file", 4) == 0) {
			if (c->nfiles == DIFFCASE_MAX_FILES)
				return -1;
			rest2 = word(rest, eol, &w2);
			c->fname[c->nfiles] = copy(rest, w2);
			if (eol - rest2 == 3 && memcmp(rest2, "<<<", 3) == 0) {
				char *stop = strstr(eol, "\n>>>");

				if (stop == NULL) {
					fprintf(stderr, "%s: no >>>\n", path);
					return -1;
				}
				c->ftext[c->nfiles] =
				        stop > eol
				                ? copy(eol + 1,
				                       (size_t)(stop - eol - 1))
				                : copy("", 0);
				eol = stop + 4;
				if (eol > end)
					eol = end;
			} else {
				c->ftext[c->nfiles] =
				        unescape(rest2, (size_t)(eol - rest2));
			}
			c->nfiles++;
		} else {
			if (c->nops == DIFFCASE_MAX_OPS || wn >= 16)
				return -1;
			op = &c->ops[c->nops++];
			memcpy(op->op, line, wn);
			op->op[wn] = '\0';
			rest2 = word(rest, eol, &w2);
			op->a = copy(rest, w2);
			op->b = unescape(rest2, (size_t)(eol - rest2));
		}
	}
	free(buf);
	if (c->nfiles == 0) {
		fprintf(stderr, "%s: no file\n", path);
		return -1;
	}
	return 0;
}
