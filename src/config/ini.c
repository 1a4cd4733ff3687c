/*
 * The ini document: an array of lines, each kept verbatim (text + its own
 * end of line), with the parsed meaning alongside. Writers replace only
 * the value bytes of a line, so alignment and trailing comments survive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_private.h"
#include "core/banned.h"

enum line_kind { LINE_OTHER, LINE_SECTION, LINE_KEY };

struct ini_line {
	char *text; /* without end of line; NUL-terminated */
	size_t len;
	const char *eol; /* "", "\n" or "\r\n" */
	enum line_kind kind;
	const char *section; /* LINE_SECTION: its name; LINE_KEY: owner */
	char *key;
	char *value; /* decoded */
	size_t value_len;
	size_t value_start, value_end; /* byte range of the value in text */
	bool quoted;
	unsigned lineno;
};

struct ini_doc {
	struct arena *arena;
	char *name;
	struct ini_line *lines;
	size_t count, cap;
	const char *eol; /* style for new lines */
};

static const char empty_section[] = "";
/*
 * Keys after a broken [section line belong to a section nobody can name:
 * they are kept (the file saves back as it was) but never checked, so a
 * typo in a header does not turn into a cascade of misleading errors.
 */
const char ini_broken_section[] = "\x01broken";

struct ini_doc *
ini_create(const char *name)
{
	struct ini_doc *doc = pt_xcalloc(1, sizeof(*doc));

	doc->arena = arena_create("ini", 4096, 0);
	doc->name = arena_strdup(doc->arena, name != NULL ? name : "");
	doc->eol = "\n";
	return doc;
}

void
ini_destroy(struct ini_doc **docp)
{
	struct ini_doc *doc = *docp;

	if (doc == NULL)
		return;
	arena_destroy(&doc->arena);
	free(doc->lines);
	free(doc);
	*docp = NULL;
}

static struct ini_line *
line_insert(struct ini_doc *doc, size_t at)
{
	if (doc->count == doc->cap) {
		doc->cap = doc->cap == 0 ? 32 : doc->cap * 2;
		doc->lines =
		        pt_xrealloc(doc->lines, doc->cap * sizeof(*doc->lines));
	}
	memmove(&doc->lines[at + 1], &doc->lines[at],
	        (doc->count - at) * sizeof(*doc->lines));
	doc->count++;
	memset(&doc->lines[at], 0, sizeof(doc->lines[at]));
	return &doc->lines[at];
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Characters PHP gives a meaning in keys, plus '[' ']' (arrays). */
static bool
key_char_ok(char c)
{
	if ((unsigned char)c < 0x20 || c == 0x7f)
		return false;
	return strchr("?{}|&~!()^\"'=;[]$", c) == NULL;
}

bool
ini_key_valid(struct strv key)
{
	size_t i;

	if (key.len == 0 || is_space(key.p[0]) || is_space(key.p[key.len - 1]))
		return false;
	for (i = 0; i < key.len; i++) {
		if (!key_char_ok(key.p[i]) || key.p[i] == '#')
			return false;
	}
	return true;
}

static bool
section_valid(struct strv name)
{
	size_t i;

	if (name.len == 0)
		return true; /* the global section: only addressed, never
		                written */
	if (is_space(name.p[0]) || is_space(name.p[name.len - 1]))
		return false;
	for (i = 0; i < name.len; i++) {
		unsigned char c = (unsigned char)name.p[i];

		if (c < 0x20 || c == 0x7f || c == '[' || c == ']' || c == ';')
			return false;
	}
	return true;
}

static bool
has_bom(const struct ini_line *ln)
{
	return ln->len >= 3 && memcmp(ln->text, "\xef\xbb\xbf", 3) == 0;
}

/* Skip blanks from i; true if only blanks or a ';' comment remain. */
static bool
rest_is_comment(const char *s, size_t len, size_t i)
{
	while (i < len && is_space(s[i]))
		i++;
	return i == len || s[i] == ';';
}

/*
 * Parse one line into ln. Returns NULL on success or a static message.
 * `section` is the name of the section the line belongs to.
 */
static const char *
parse_line(struct ini_doc *doc, struct ini_line *ln, const char *section)
{
	const char *s = ln->text;
	size_t len = ln->len, i = 0, j;
	struct strv key;
	char *out;

	for (j = 0; j < len; j++) {
		unsigned char c = (unsigned char)s[j];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "control character in line";
	}
	/* A UTF-8 byte order mark may open the file. */
	if (ln->lineno == 1 && has_bom(ln))
		i = 3;
	while (i < len && is_space(s[i]))
		i++;
	ln->section = section;
	if (i == len || s[i] == ';' || s[i] == '#')
		return NULL;
	if (s[i] == '[') {
		size_t start = ++i;
		struct strv name;

		while (i < len && s[i] != ']')
			i++;
		if (i == len)
			return "missing ']' after section name";
		name = strv_trim((struct strv){s + start, i - start});
		if (name.len == 0 || !section_valid(name))
			return "invalid section name";
		if (!rest_is_comment(s, len, i + 1))
			return "unexpected text after section name";
		ln->kind = LINE_SECTION;
		ln->section = strv_dup(doc->arena, name);
		return NULL;
	}
	j = i;
	while (j < len && s[j] != '=')
		j++;
	if (j == len)
		return "expected 'key = value'";
	key = strv_trim((struct strv){s + i, j - i});
	if (key.len == 0)
		return "missing key before '='";
	if (key.len >= 2 && key.p[key.len - 1] == ']' &&
	    memchr(key.p, '[', key.len))
		return "array keys (key[]) are not supported";
	if (!ini_key_valid(key))
		return "invalid character in key";
	i = j + 1;
	while (i < len && is_space(s[i]))
		i++;
	ln->value_start = i;
	out = arena_alloc(doc->arena, len - i + 1);
	PT_ASSERT(out != NULL);
	if (i < len && s[i] == '"') {
		size_t n = 0;

		for (i++; i < len && s[i] != '"'; i++) {
			/* PHP's zend_ini_escape_string: only \" \\ \$. */
			if (s[i] == '\\' && i + 1 < len &&
			    (s[i + 1] == '"' || s[i + 1] == '\\' ||
			     s[i + 1] == '$'))
				i++;
			out[n++] = s[i];
		}
		if (i == len)
			return "unterminated double-quoted value";
		ln->value_end = i + 1;
		ln->value_len = n;
		ln->quoted = true;
		if (!rest_is_comment(s, len, i + 1))
			return "unexpected text after quoted value";
	} else if (i < len && s[i] == '\'') {
		size_t start = ++i;

		while (i < len && s[i] != '\'')
			i++;
		if (i == len)
			return "unterminated single-quoted value";
		memcpy(out, s + start, i - start);
		ln->value_len = i - start;
		ln->value_end = i + 1;
		ln->quoted = true;
		if (!rest_is_comment(s, len, i + 1))
			return "unexpected text after quoted value";
	} else {
		size_t start = i;

		while (i < len && s[i] != ';')
			i++;
		while (i > start && is_space(s[i - 1]))
			i--;
		if (memchr(s + start, '"', i - start) != NULL ||
		    memchr(s + start, '\'', i - start) != NULL)
			return "quote inside an unquoted value";
		memcpy(out, s + start, i - start);
		ln->value_len = i - start;
		ln->value_end = i;
	}
	out[ln->value_len] = '\0';
	ln->value = out;
	ln->key = strv_dup(doc->arena, key);
	ln->kind = LINE_KEY;
	return NULL;
}

static void
report(config_diag_fn *diag, void *ctx, enum config_diag_level level,
       const char *file, unsigned line, const char *msg)
{
	if (diag != NULL)
		diag(ctx, level, file, line, msg);
}

/*
 * keep_broken: return the document even when lines were broken (they stay
 * as opaque lines), so `check-config` can go on to check the values of the
 * good lines; every broken line was reported to diag either way.
 */
static int
parse_text(const char *name, struct strv text, config_diag_fn *diag, void *ctx,
           struct ini_doc **doc_r, struct arena *a, struct perr *err,
           bool keep_broken)
{
	struct ini_doc *doc;
	const char *section = empty_section;
	const char *first_msg = NULL;
	unsigned first_line = 0, lineno = 0;
	size_t pos = 0;

	*doc_r = NULL;
	if (name == NULL)
		name = "";
	if (text.len > CONFIG_INI_MAX_SIZE) {
		report(diag, ctx, CONFIG_DIAG_ERROR, name, 0, "file too large");
		return perr_set(err, a, PERR_LIMIT, "%s: file too large", name);
	}
	doc = ini_create(name);
	while (pos < text.len) {
		struct ini_line *ln;
		const char *nl = memchr(text.p + pos, '\n', text.len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text.p) : text.len;
		size_t next = nl != NULL ? end + 1 : text.len;
		const char *eol = nl != NULL ? "\n" : "";
		const char *msg;

		if (end > pos && text.p[end - 1] == '\r') {
			end--;
			eol = nl != NULL ? "\r\n" : "\r";
		}
		ln = line_insert(doc, doc->count);
		ln->lineno = ++lineno;
		ln->text = arena_strndup(doc->arena, text.p + pos, end - pos);
		PT_ASSERT(ln->text != NULL);
		ln->len = end - pos;
		ln->eol = eol;
		if (lineno == 1 && nl != NULL)
			doc->eol = eol;
		msg = parse_line(doc, ln, section);
		if (msg != NULL) {
			ln->kind = LINE_OTHER;
			if (ln->len > 0 &&
			    strv_trim((struct strv){ln->text, ln->len}).p[0] ==
			            '[')
				section = ini_broken_section;
			report(diag, ctx, CONFIG_DIAG_ERROR, name, lineno, msg);
			if (first_msg == NULL) {
				first_msg = msg;
				first_line = lineno;
			}
		} else if (ln->kind == LINE_SECTION) {
			section = ln->section;
		}
		pos = next;
	}
	if (first_msg != NULL && !keep_broken) {
		ini_destroy(&doc);
		return perr_set(err, a, PERR_INPUT, "%s:%u: %s", name,
		                first_line, first_msg);
	}
	*doc_r = doc;
	return 0;
}

int
ini_parse(const char *name, struct strv text, config_diag_fn *diag, void *ctx,
          struct ini_doc **doc_r, struct arena *a, struct perr *err)
{
	return parse_text(name, text, diag, ctx, doc_r, a, err, false);
}

int
config_read_file(const char *path, struct sbuf *out, struct arena *a,
                 struct perr *err)
{
	char buf[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return perr_set(err, a,
		                errno == ENOENT ? PERR_NOTFOUND : PERR_INTERNAL,
		                "%s: cannot open: %s", path, strerror(errno));
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sbuf_append(out, buf, (size_t)n);
		if (!sbuf_ok(out))
			break;
	}
	if (n < 0) {
		int e = errno;

		close(fd);
		return perr_set(err, a, PERR_INTERNAL, "%s: read error: %s",
		                path, strerror(e));
	}
	close(fd);
	if (!sbuf_ok(out))
		return perr_set(err, a, PERR_LIMIT, "%s: file too large", path);
	return 0;
}

static int
load_file(const char *path, config_diag_fn *diag, void *ctx,
          struct ini_doc **doc_r, struct arena *a, struct perr *err,
          bool keep_broken)
{
	struct sbuf buf;
	struct perr e;
	int ret;

	*doc_r = NULL;
	sbuf_init(&buf, NULL, 4096, CONFIG_INI_MAX_SIZE);
	if (config_read_file(path, &buf, a, &e) < 0) {
		sbuf_free(&buf);
		report(diag, ctx, CONFIG_DIAG_ERROR, path, 0, e.msg);
		if (err != NULL)
			*err = e;
		return -1;
	}
	ret = parse_text(path, sbuf_view(&buf), diag, ctx, doc_r, a, err,
	                 keep_broken);
	sbuf_free(&buf);
	return ret;
}

int
ini_load(const char *path, config_diag_fn *diag, void *ctx,
         struct ini_doc **doc_r, struct arena *a, struct perr *err)
{
	return load_file(path, diag, ctx, doc_r, a, err, false);
}

int
ini_load_keep_broken(const char *path, config_diag_fn *diag, void *ctx,
                     struct ini_doc **doc_r, struct arena *a, struct perr *err)
{
	return load_file(path, diag, ctx, doc_r, a, err, true);
}

static void
entry_from_line(const struct ini_line *ln, struct ini_entry *e)
{
	e->section = ln->section;
	e->key = ln->key;
	e->value = (struct strv){ln->value, ln->value_len};
	e->quoted = ln->quoted;
	e->line = ln->lineno;
}

static ptrdiff_t
find_last(const struct ini_doc *doc, const char *section, const char *key)
{
	size_t i;

	for (i = doc->count; i > 0; i--) {
		const struct ini_line *ln = &doc->lines[i - 1];

		if (ln->kind == LINE_KEY && strcmp(ln->section, section) == 0 &&
		    strcmp(ln->key, key) == 0)
			return (ptrdiff_t)(i - 1);
	}
	return -1;
}

bool
ini_get(const struct ini_doc *doc, const char *section, const char *key,
        struct ini_entry *entry_r)
{
	ptrdiff_t i = find_last(doc, section, key);

	if (i < 0)
		return false;
	entry_from_line(&doc->lines[i], entry_r);
	return true;
}

size_t
ini_entry_count(const struct ini_doc *doc)
{
	size_t i, n = 0;

	for (i = 0; i < doc->count; i++) {
		if (doc->lines[i].kind == LINE_KEY)
			n++;
	}
	return n;
}

void
ini_entry_at(const struct ini_doc *doc, size_t idx, struct ini_entry *entry_r)
{
	size_t i;

	for (i = 0; i < doc->count; i++) {
		if (doc->lines[i].kind != LINE_KEY)
			continue;
		if (idx-- == 0) {
			entry_from_line(&doc->lines[i], entry_r);
			return;
		}
	}
	PT_ASSERT(!"ini_entry_at: index out of range");
}

/* Write value as PHP reads it back: "..." with \ " $ escaped. */
static void
encode_quoted(struct sbuf *b, struct strv value)
{
	size_t i;

	sbuf_append_char(b, '"');
	for (i = 0; i < value.len; i++) {
		char c = value.p[i];

		if (c == '"' || c == '\\' || c == '$')
			sbuf_append_char(b, '\\');
		sbuf_append_char(b, c);
	}
	sbuf_append_char(b, '"');
}

static int
set_encoded(struct ini_doc *doc, const char *section, const char *key,
            struct strv encoded, struct strv value, bool quoted,
            struct perr *err)
{
	struct strv sec = strv_from_cstr(section);
	struct ini_line *ln;
	ptrdiff_t idx;
	size_t at, i, vstart, vend;
	struct sbuf b;

	if (!ini_key_valid(strv_from_cstr(key)))
		return perr_set(err, doc->arena, PERR_INPUT,
		                "invalid ini key '%s'", key);
	if (!section_valid(sec))
		return perr_set(err, doc->arena, PERR_INPUT,
		                "invalid ini section '%s'", section);
	if (strv_has_ctl(value, true))
		return perr_set(err, doc->arena, PERR_INPUT,
		                "value for '%s' has a control character", key);
	sbuf_init(&b, doc->arena, 64, CONFIG_INI_MAX_SIZE);
	idx = find_last(doc, section, key);
	if (idx >= 0) {
		ln = &doc->lines[idx];
		vstart = ln->value_start;
		sbuf_append(&b, ln->text, vstart);
		sbuf_append_strv(&b, encoded);
		vend = b.len;
		sbuf_append(&b, ln->text + ln->value_end,
		            ln->len - ln->value_end);
		if (!sbuf_ok(&b))
			return perr_set(err, doc->arena, PERR_LIMIT,
			                "value for '%s' too large", key);
	} else {
		bool found = false;

		sbuf_printf(&b, "%s = ", key);
		vstart = b.len;
		sbuf_append_strv(&b, encoded);
		vend = b.len;
		if (!sbuf_ok(&b))
			return perr_set(err, doc->arena, PERR_LIMIT,
			                "value for '%s' too large", key);
		/* After the section's last key, else after its header. */
		at = doc->count;
		for (i = doc->count; i > 0; i--) {
			const struct ini_line *l = &doc->lines[i - 1];

			if ((l->kind == LINE_KEY ||
			     (l->kind == LINE_SECTION && sec.len > 0)) &&
			    strcmp(l->section, section) == 0) {
				at = i;
				found = true;
				break;
			}
		}
		if (!found && sec.len == 0) {
			/* A new global key goes before the first section. */
			for (at = 0; at < doc->count; at++) {
				if (doc->lines[at].kind == LINE_SECTION)
					break;
			}
			found = true;
		}
		/* The old last line may lack its end of line. */
		if (at == doc->count && at > 0 &&
		    (doc->lines[at - 1].eol[0] == '\0' ||
		     strcmp(doc->lines[at - 1].eol, "\r") == 0))
			doc->lines[at - 1].eol = doc->eol;
		if (!found) {
			if (at > 0 && doc->lines[at - 1].len > 0) {
				ln = line_insert(doc, at++);
				ln->text = arena_strdup(doc->arena, "");
				ln->eol = doc->eol;
				ln->section = empty_section;
			}
			ln = line_insert(doc, at++);
			ln->text = arena_printf(doc->arena, "[%s]", section);
			PT_ASSERT(ln->text != NULL);
			ln->len = strlen(ln->text);
			ln->eol = doc->eol;
			ln->kind = LINE_SECTION;
			ln->section = arena_strdup(doc->arena, section);
		}
		if (at == 0 && doc->count > 0 && has_bom(&doc->lines[0])) {
			/* The byte order mark must stay first in the file. */
			struct ini_line *first = &doc->lines[0];
			struct sbuf nb;

			first->text += 3;
			first->len -= 3;
			if (first->kind == LINE_KEY) {
				first->value_start -= 3;
				first->value_end -= 3;
			}
			sbuf_init(&nb, doc->arena, b.len + 4,
			          CONFIG_INI_MAX_SIZE);
			sbuf_append(&nb, "\xef\xbb\xbf", 3);
			sbuf_append(&nb, b.data, b.len);
			if (!sbuf_ok(&nb))
				return perr_set(err, doc->arena, PERR_LIMIT,
				                "value for '%s' too large",
				                key);
			b = nb;
			vstart += 3;
			vend += 3;
		}
		ln = line_insert(doc, at);
		ln->eol = doc->eol;
		ln->kind = LINE_KEY;
		ln->section = arena_strdup(doc->arena, section);
		ln->key = arena_strdup(doc->arena, key);
		idx = (ptrdiff_t)at;
	}
	ln = &doc->lines[idx];
	ln->text = b.data;
	ln->len = b.len;
	ln->value_start = vstart;
	ln->value_end = vend;
	ln->value = strv_dup(doc->arena, value);
	PT_ASSERT(ln->value != NULL);
	ln->value_len = value.len;
	ln->quoted = quoted;
	return 0;
}

int
ini_set(struct ini_doc *doc, const char *section, const char *key,
        struct strv value, struct perr *err)
{
	struct sbuf b;

	sbuf_init(&b, doc->arena, value.len + 8, CONFIG_INI_MAX_SIZE);
	encode_quoted(&b, value);
	if (!sbuf_ok(&b))
		return perr_set(err, doc->arena, PERR_LIMIT,
		                "value for '%s' too large", key);
	return set_encoded(doc, section, key, sbuf_view(&b), value, true, err);
}

int
ini_set_bool(struct ini_doc *doc, const char *section, const char *key,
             bool value, struct perr *err)
{
	struct strv v = value ? STRV_LIT("On") : STRV_LIT("Off");

	return set_encoded(doc, section, key, v, v, false, err);
}

int
ini_set_uint(struct ini_doc *doc, const char *section, const char *key,
             uint64_t value, struct perr *err)
{
	char buf[24];
	struct strv v;

	PT_ASSERT(pt_snprintf_ok(buf, sizeof(buf), "%llu",
	                         (unsigned long long)value));
	v = strv_from_cstr(buf);
	return set_encoded(doc, section, key, v, v, false, err);
}

size_t
ini_remove(struct ini_doc *doc, const char *section, const char *key)
{
	size_t i = 0, n = 0;

	while (i < doc->count) {
		struct ini_line *ln = &doc->lines[i];

		if (ln->kind == LINE_KEY && strcmp(ln->section, section) == 0 &&
		    strcmp(ln->key, key) == 0) {
			memmove(ln, ln + 1, (doc->count - i - 1) * sizeof(*ln));
			doc->count--;
			n++;
			continue;
		}
		i++;
	}
	return n;
}

void
ini_serialize(const struct ini_doc *doc, struct sbuf *out)
{
	size_t i;

	for (i = 0; i < doc->count; i++) {
		sbuf_append(out, doc->lines[i].text, doc->lines[i].len);
		sbuf_append_cstr(out, doc->lines[i].eol);
	}
}

int
config_write_atomic(const char *path, struct strv data, unsigned mode,
                    struct arena *a, struct perr *err)
{
	struct pt_atomic_file f;
	struct stat st;
	bool have_old = stat(path, &st) == 0;

	/* A file that exists keeps its mode. */
	if (pt_atomic_open(&f, path, have_old ? (st.st_mode & 07777) : mode, a,
	                   err) != 0)
		return -1;
	/* Keep the owner when we may (root saving a file owned by petrel). */
	if (have_old && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(f.fd, st.st_uid, st.st_gid) < 0 && errno != EPERM) {
		int e = errno;
		pt_atomic_abort(&f);
		return perr_set(err, a, PERR_INTERNAL, "%s: cannot save: %s",
		                path, strerror(e));
	}
	if (pt_write_all(f.fd, data.p, data.len) < 0) {
		int e = errno;
		pt_atomic_abort(&f);
		/* A full disk is 507 (PERR_NOSPACE); the old file stays. */
		return perr_set(err, a, perr_kind_of_errno(e),
		                "%s: cannot save: %s", path, strerror(e));
	}
	return pt_atomic_commit(&f, a, err);
}

int
ini_save(const struct ini_doc *doc, const char *path, unsigned mode,
         struct perr *err)
{
	struct sbuf b;
	int r;

	sbuf_init(&b, NULL, 4096, CONFIG_INI_MAX_SIZE);
	ini_serialize(doc, &b);
	if (!sbuf_ok(&b)) {
		sbuf_free(&b);
		return perr_set(err, doc->arena, PERR_LIMIT, "%s: too large",
		                path);
	}
	r = config_write_atomic(path, sbuf_view(&b), mode, doc->arena, err);
	sbuf_free(&b);
	return r;
}

bool
ini_parse_bool(struct strv v, bool *value_r)
{
	static const char *const yes[] = {"1", "on", "yes", "true"};
	static const char *const no[] = {"",      "0",    "off", "no",
	                                 "false", "none", "null"};
	size_t i;

	v = strv_trim(v);
	for (i = 0; i < PT_NELEM(yes); i++) {
		if (strv_eq_ci_ascii(v, strv_from_cstr(yes[i]))) {
			*value_r = true;
			return true;
		}
	}
	for (i = 0; i < PT_NELEM(no); i++) {
		if (strv_eq_ci_ascii(v, strv_from_cstr(no[i]))) {
			*value_r = false;
			return true;
		}
	}
	return false;
}
