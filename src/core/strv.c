#include <string.h>

#include "core.h"
#include "banned.h"

struct strv
strv_from_cstr(const char *s)
{
	struct strv v = {s, s == NULL ? 0 : strlen(s)};

	return v;
}

bool
strv_eq(struct strv a, struct strv b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool
strv_eq_cstr(struct strv a, const char *b)
{
	return strv_eq(a, strv_from_cstr(b));
}

char
pt_ascii_tolower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

bool
strv_eq_ci_ascii(struct strv a, struct strv b)
{
	size_t i;

	if (a.len != b.len)
		return false;
	for (i = 0; i < a.len; i++) {
		if (pt_ascii_tolower(a.p[i]) != pt_ascii_tolower(b.p[i]))
			return false;
	}
	return true;
}

bool
strv_starts_with(struct strv s, struct strv prefix)
{
	return s.len >= prefix.len &&
	       (prefix.len == 0 || memcmp(s.p, prefix.p, prefix.len) == 0);
}

bool
strv_starts_with_ci_ascii(struct strv s, struct strv prefix)
{
	struct strv head = {s.p, prefix.len};

	return s.len >= prefix.len && strv_eq_ci_ascii(head, prefix);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

struct strv
strv_trim(struct strv s)
{
	while (s.len > 0 && is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}

ptrdiff_t
strv_find_char(struct strv s, char c)
{
	const char *hit;

	if (s.len == 0)
		return -1;
	hit = memchr(s.p, c, s.len);
	return hit == NULL ? -1 : hit - s.p;
}

ptrdiff_t
strv_find(struct strv s, struct strv needle)
{
	size_t i;

	if (needle.len == 0)
		return 0;
	if (needle.len > s.len)
		return -1;
	for (i = 0; i + needle.len <= s.len; i++) {
		if (s.p[i] == needle.p[0] &&
		    memcmp(s.p + i, needle.p, needle.len) == 0)
			return (ptrdiff_t)i;
	}
	return -1;
}

bool
strv_split_once(struct strv s, char sep, struct strv *left_r,
                struct strv *right_r)
{
	ptrdiff_t i = strv_find_char(s, sep);

	if (i < 0) {
		*left_r = s;
		right_r->p = s.p == NULL ? NULL : s.p + s.len;
		right_r->len = 0;
		return false;
	}
	left_r->p = s.p;
	left_r->len = (size_t)i;
	right_r->p = s.p + i + 1;
	right_r->len = s.len - (size_t)i - 1;
	return true;
}

char *
strv_dup(struct arena *a, struct strv s)
{
	return arena_strndup(a, s.p == NULL ? "" : s.p, s.len);
}

bool
strv_has_ctl(struct strv s, bool allow_tab)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '\t' && allow_tab)
			continue;
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}
