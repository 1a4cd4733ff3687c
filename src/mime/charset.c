/*
 * Charsets to UTF-8 with iconv. Mail lies about charsets all the time, so
 * the table below maps the declared name to the superset a reader means
 * (WHATWG Encoding Standard practice: latin1 is windows-1252, gb2312 is
 * gbk, which is gb18030's subset, shift_jis is cp932), and undeclared or
 * unknown charsets are guessed instead of refused.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "mime_private.h"
#include "core/banned.h"

struct alias {
	const char *name; /* lower case, as declared */
	const char *iconv_name;
};

/* "UTF-8" here means: the fast path (validate, replace). */
static const struct alias aliases[] = {
        {"utf-8", "UTF-8"},
        {"utf8", "UTF-8"},
        {"us-ascii", "UTF-8"},
        {"ascii", "UTF-8"},
        {"ansi_x3.4-1968", "UTF-8"},
        {"x-unknown", NULL},
        {"unknown-8bit", NULL},
        {"iso-8859-1", "WINDOWS-1252"},
        {"iso8859-1", "WINDOWS-1252"},
        {"iso_8859-1", "WINDOWS-1252"},
        {"latin1", "WINDOWS-1252"},
        {"latin-1", "WINDOWS-1252"},
        {"l1", "WINDOWS-1252"},
        {"cp819", "WINDOWS-1252"},
        {"iso-8859-9", "WINDOWS-1254"},
        {"iso-8859-11", "WINDOWS-874"},
        {"tis-620", "WINDOWS-874"},
        {"shift_jis", "CP932"},
        {"shift-jis", "CP932"},
        {"sjis", "CP932"},
        {"x-sjis", "CP932"},
        {"ms_kanji", "CP932"},
        {"windows-31j", "CP932"},
        {"csshiftjis", "CP932"},
        {"euc-jp", "EUC-JP-MS"},
        {"x-euc-jp", "EUC-JP-MS"},
        {"iso-2022-jp", "ISO-2022-JP-2"},
        {"csiso2022jp", "ISO-2022-JP-2"},
        {"gb2312", "GB18030"},
        {"gb_2312-80", "GB18030"},
        {"csgb2312", "GB18030"},
        {"euc-cn", "GB18030"},
        {"x-euc-cn", "GB18030"},
        {"gbk", "GB18030"},
        {"x-gbk", "GB18030"},
        {"cp936", "GB18030"},
        {"ms936", "GB18030"},
        {"windows-936", "GB18030"},
        {"gb18030", "GB18030"},
        {"big5", "BIG5-HKSCS"},
        {"big-5", "BIG5-HKSCS"},
        {"x-x-big5", "BIG5-HKSCS"},
        {"cn-big5", "BIG5-HKSCS"},
        {"big5-hkscs", "BIG5-HKSCS"},
        {"ks_c_5601-1987", "CP949"},
        {"euc-kr", "CP949"},
        {"korean", "CP949"},
        {"koi8-r", "KOI8-R"},
        {"koi8-u", "KOI8-U"},
        {"koi8-ru", "KOI8-RU"},
        {"utf-16", "UTF-16"},
        {"utf-16le", "UTF-16LE"},
        {"utf-16be", "UTF-16BE"},
        {"utf-7", "UTF-7"},
};

/* ---- the UTF-8 fast path ------------------------------------------- */

static const char replacement[] = "\xEF\xBF\xBD";

/* Append in as UTF-8; invalid bytes and NUL become U+FFFD. */
static void
append_utf8_repaired(struct sbuf *out, struct strv in)
{
	const unsigned char *p = (const unsigned char *)in.p;
	size_t i = 0, start = 0;

	/* An empty view may carry p == NULL, and NULL + 0 is UB (fuzz_mime). */
	if (in.len == 0)
		return;
	while (i < in.len) {
		uint32_t cp;
		size_t k = codec_utf8_decode(in.p + i, in.len - i, &cp);

		if (k != 0 && p[i] != 0) {
			i += k;
			continue;
		}
		sbuf_append(out, p + start, i - start);
		sbuf_append(out, replacement, 3);
		i++;
		start = i;
	}
	sbuf_append(out, p + start, i - start);
}

bool
mime_is_ascii(struct strv s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] >= 0x80)
			return false;
	return true;
}

/*
 * Undeclared 8-bit text that is not UTF-8: Cyrillic in a single-byte
 * charset writes whole words of 8-bit bytes, Western European text has
 * isolated accented letters among ASCII ones. Runs of 8-bit
 * bytes (two on average, three at least once) mean windows-1251 (the most
 * common Cyrillic charset in mail), anything else windows-1252.
 */
static const char *
guess_single_byte(struct strv s)
{
	size_t i, runs = 0, high = 0, run = 0, longest = 0;

	for (i = 0; i < s.len; i++) {
		if ((unsigned char)s.p[i] >= 0x80) {
			high++;
			if (run++ == 0)
				runs++;
			if (run > longest)
				longest = run;
		} else {
			run = 0;
		}
	}
	if (runs > 0 && longest >= 3 && high >= 2 * runs)
		return "WINDOWS-1251";
	return "WINDOWS-1252";
}

/* ---- iconv handles, cached per thread ------------------------------- */

/*
 * One cache for every converter of Petrel (message bodies here, header
 * words in src/imap): iconv_open() loads a gconv module and is far too
 * slow per call, and an iconv_t is not thread-safe, so each thread keeps
 * its own handles (closed at thread exit). Unknown names are cached too,
 * as (iconv_t)-1; the least recently used slot makes room.
 */
#define CACHE_SLOTS 12
#define CACHE_NAME_MAX 40

struct cd_slot {
	char name[CACHE_NAME_MAX];
	iconv_t cd; /* (iconv_t)-1: iconv does not know the name */
	unsigned long used;
};

struct cd_cache {
	struct cd_slot slots[CACHE_SLOTS];
	size_t n;
	unsigned long tick;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void
cache_free(void *p)
{
	struct cd_cache *c = p;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->slots[i].cd != (iconv_t)-1)
			iconv_close(c->slots[i].cd);
	free(c);
}

static void
cache_key_create(void)
{
	if (pthread_key_create(&cache_key, cache_free) != 0)
		abort();
}

/* The thread's handle for name (iconv spelling, any case), or NULL. */
static iconv_t
cd_get(const char *name)
{
	struct cd_cache *c;
	struct cd_slot *s;
	size_t i;

	if (strlen(name) >= CACHE_NAME_MAX)
		return NULL;
	(void)pthread_once(&cache_once, cache_key_create);
	c = pthread_getspecific(cache_key);
	if (c == NULL) {
		c = pt_xcalloc(1, sizeof(*c));
		if (pthread_setspecific(cache_key, c) != 0)
			abort();
	}
	c->tick++;
	for (i = 0; i < c->n; i++) {
		s = &c->slots[i];
		if (strv_eq_ci_ascii(strv_from_cstr(s->name),
		                     strv_from_cstr(name))) {
			s->used = c->tick;
			if (s->cd == (iconv_t)-1)
				return NULL;
			/* Back to the initial shift state (ISO-2022-JP). */
			(void)iconv(s->cd, NULL, NULL, NULL, NULL);
			return s->cd;
		}
	}
	if (c->n < CACHE_SLOTS) {
		s = &c->slots[c->n++];
	} else {
		s = &c->slots[0];
		for (i = 1; i < c->n; i++)
			if (c->slots[i].used < s->used)
				s = &c->slots[i];
		if (s->cd != (iconv_t)-1)
			iconv_close(s->cd);
	}
	if (!pt_strlcpy(s->name, name, sizeof(s->name)))
		abort(); /* checked above */
	s->cd = iconv_open("UTF-8", name);
	s->used = c->tick;
	return s->cd != (iconv_t)-1 ? s->cd : NULL;
}

/* Convert with cd into out as iconv writes it; bad input is U+FFFD. */
static void
convert_raw(iconv_t cd, struct strv in, struct sbuf *out)
{
	char buf[4096];
	char *ip = (char *)(uintptr_t)in.p;
	size_t il = in.len;

	while (il > 0) {
		char *op = buf;
		size_t ol = sizeof(buf);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		int e = errno;

		sbuf_append(out, buf, sizeof(buf) - ol);
		if (r != (size_t)-1)
			break;
		if (e == E2BIG)
			continue;
		/* EILSEQ: skip one byte; EINVAL: the input ends mid-character.
		 */
		sbuf_append(out, replacement, 3);
		if (e != EILSEQ)
			break;
		ip++;
		il--;
	}
	/* Flush a pending shift state. */
	{
		char *op = buf;
		size_t ol = sizeof(buf);

		(void)iconv(cd, NULL, NULL, &op, &ol);
		sbuf_append(out, buf, sizeof(buf) - ol);
	}
}

bool
mime_iconv_append(const char *name, struct strv in, struct sbuf *out)
{
	iconv_t cd = cd_get(name);

	if (cd == NULL)
		return false;
	convert_raw(cd, in, out);
	return true;
}

/* Convert with cd; invalid input bytes and NULs become U+FFFD. */
static void
convert(iconv_t cd, struct strv in, struct sbuf *out)
{
	struct sbuf tmp;

	sbuf_init(&tmp, NULL, in.len + 16, 0);
	convert_raw(cd, in, &tmp);
	/* iconv output is UTF-8 already; this only replaces NULs. */
	append_utf8_repaired(out, sbuf_view(&tmp));
	sbuf_free(&tmp);
}

const char *
mime_charset_canonical(struct strv charset)
{
	char name[48];
	size_t i, n;

	charset = strv_trim(charset);
	/* Some mailers quote or add a trailing ';' or language. */
	while (charset.len > 0 && (charset.p[0] == '"' || charset.p[0] == '\''))
		charset.p++, charset.len--;
	n = 0;
	for (i = 0; i < charset.len && n + 1 < sizeof(name); i++) {
		char ch = charset.p[i];

		if (ch == '"' || ch == '\'' || ch == ';' || ch == ' ' ||
		    ch == '*')
			break;
		name[n++] = pt_ascii_tolower(ch);
	}
	name[n] = '\0';
	if (n == 0 || (i < charset.len && n + 1 >= sizeof(name)))
		return NULL;
	for (i = 0; i < PT_NELEM(aliases); i++)
		if (strcmp(aliases[i].name, name) == 0)
			return aliases[i].iconv_name;
	/* windows-125x, cp125x, x-cp125x */
	if ((strncmp(name, "windows-", 8) == 0 && n == 12) ||
	    (strncmp(name, "cp", 2) == 0 && n == 6) ||
	    (strncmp(name, "x-cp", 4) == 0 && n == 8)) {
		const char *d = name + n - 4;
		static char const names[9][13] = {
		        "WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252",
		        "WINDOWS-1253", "WINDOWS-1254", "WINDOWS-1255",
		        "WINDOWS-1256", "WINDOWS-1257", "WINDOWS-1258"};

		if (strncmp(d, "125", 3) == 0 && d[3] >= '0' && d[3] <= '8')
			return names[d[3] - '0'];
	}
	return NULL;
}

/* Only names made of these reach iconv_open. */
static bool
plausible_name(struct strv s)
{
	size_t i;

	if (s.len == 0 || s.len > 30)
		return false;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == ':'))
			return false;
	}
	return true;
}

bool
mime_charset_to_utf8(struct strv charset, struct strv in, struct sbuf *out)
{
	const char *name = mime_charset_canonical(charset);
	bool known = name != NULL;
	iconv_t cd = NULL;

	if (name == NULL && plausible_name(strv_trim(charset))) {
		char *tmp = pt_xstrndup(strv_trim(charset).p,
		                        strv_trim(charset).len);

		cd = cd_get(tmp);
		free(tmp);
		known = cd != NULL;
	}
	if (cd == NULL && name != NULL && strcmp(name, "UTF-8") != 0)
		cd = cd_get(name);
	if (cd == NULL && (name == NULL || strcmp(name, "UTF-8") == 0)) {
		/*
		 * Declared UTF-8/ASCII, or nothing usable: take valid UTF-8
		 * as it is, guess a single-byte charset otherwise.
		 */
		if (mime_is_ascii(in) || codec_utf8_valid(in)) {
			append_utf8_repaired(out, in);
			return known;
		}
		if (name != NULL && strcmp(name, "UTF-8") == 0 &&
		    (charset.len >= 3 &&
		     (charset.p[0] == 'u' || charset.p[0] == 'U') &&
		     (charset.p[1] == 't' || charset.p[1] == 'T'))) {
			/* Declared UTF-8 but broken: keep what is valid. */
			append_utf8_repaired(out, in);
			return true;
		}
		known = false;
		cd = cd_get(guess_single_byte(in));
	}
	if (cd == NULL) {
		append_utf8_repaired(out, in);
		return false;
	}
	convert(cd, in, out);
	return known;
}

const char *
mime_to_utf8(struct strv charset, struct strv in, struct arena *a)
{
	struct sbuf b;

	sbuf_init(&b, a, in.len + 16, 0);
	(void)mime_charset_to_utf8(charset, in, &b);
	return sbuf_cstr(&b);
}
