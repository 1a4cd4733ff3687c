/*
 * IMAP keywords used as labels (issue 17). A keyword is an atom
 * (RFC 3501 9: flag-keyword = atom), so it may not hold spaces, controls,
 * '(' ')' '{' '%' '*' '"' '\\' or ']'. A leading '\\' would make it a
 * system flag; labels must never change \Seen, \Deleted and friends, so
 * those are refused here rather than passed through.
 */
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "core/banned.h"

static bool
atom_char(unsigned char ch)
{
	if (ch <= 0x20 || ch >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", ch) == NULL;
}

int
imap_keyword_check(const char *kw, struct arena *a, struct perr *err)
{
	size_t n;

	if (kw == NULL || kw[0] == '\0')
		return perr_set(err, a, PERR_INPUT, "keyword is empty");
	if (kw[0] == '\\')
		return perr_set(err, a, PERR_INPUT,
		                "system flags cannot be set as labels");
	n = strlen(kw);
	if (n > IMAP_KEYWORD_MAX)
		return perr_set(err, a, PERR_INPUT,
		                "keyword is longer than %d bytes",
		                IMAP_KEYWORD_MAX);
	for (size_t i = 0; i < n; i++) {
		if (!atom_char((unsigned char)kw[i]))
			return perr_set(err, a, PERR_INPUT,
			                "keyword holds a character IMAP does "
			                "not allow in an atom (byte %zu)",
			                i + 1);
	}
	return 0;
}

int
imap_keyword_tb_label(const char *kw)
{
	/* Thunderbird's built-in labels: $label1 .. $label5, any case. */
	if (kw == NULL || strlen(kw) != 7 || strncasecmp(kw, "$label", 6) != 0)
		return 0;
	if (kw[6] < '1' || kw[6] > '5')
		return 0;
	return kw[6] - '0';
}
