/*
 * Bounded buffer. The capacity doubles; the maximum is a hard ceiling that
 * the length never passes. A failed append marks the buffer and leaves the
 * contents as they were before it, so a caller that forgets to check still
 * holds a valid (truncated) NUL-terminated string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core.h"
#include "banned.h"

void
sbuf_init(struct sbuf *b, struct arena *a, size_t initial, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->arena = a;
	b->max = max == 0 ? SIZE_MAX - 1 : max;
	b->cap = 0;
	if (initial > 0 && initial > b->max + 1)
		initial = b->max + 1;
	(void)initial; /* first growth sizes the buffer */
}

static void
release(struct sbuf *b)
{
	if (b->data != NULL && b->secret)
		OPENSSL_cleanse(b->data, b->cap);
	if (b->arena == NULL)
		free(b->data);
}

void
sbuf_free(struct sbuf *b)
{
	release(b);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void
sbuf_reset(struct sbuf *b)
{
	if (b->data != NULL) {
		if (b->secret)
			OPENSSL_cleanse(b->data, b->cap);
		b->data[0] = '\0';
	}
	b->len = 0;
	b->failed = 0;
}

static bool
grow(struct sbuf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need <= b->cap)
		return true;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	if (cap > b->max + 1)
		cap = b->max + 1;
	if (b->arena != NULL) {
		p = arena_alloc(b->arena, cap);
		if (p == NULL)
			return false;
		if (b->len > 0)
			memcpy(p, b->data, b->len);
		if (b->data != NULL && b->secret)
			OPENSSL_cleanse(b->data, b->cap);
	} else if (b->secret) {
		p = pt_xmalloc(cap);
		if (b->len > 0)
			memcpy(p, b->data, b->len);
		release(b);
	} else {
		p = pt_xrealloc(b->data, cap);
	}
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return true;
}

void
sbuf_append(struct sbuf *b, const void *p, size_t n)
{
	if (b->failed)
		return;
	if (n > b->max || b->len > b->max - n) {
		b->failed = 1;
		return;
	}
	if (!grow(b, b->len + n + 1)) {
		b->failed = 1;
		return;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sbuf_append_strv(struct sbuf *b, struct strv s)
{
	sbuf_append(b, s.p, s.len);
}

void
sbuf_append_cstr(struct sbuf *b, const char *s)
{
	sbuf_append(b, s, strlen(s));
}

void
sbuf_append_char(struct sbuf *b, char c)
{
	sbuf_append(b, &c, 1);
}

void
sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (b->failed)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (size_t)n > b->max || b->len > b->max - (size_t)n ||
	    !grow(b, b->len + (size_t)n + 1)) {
		b->failed = 1;
		return;
	}
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

bool
sbuf_ok(const struct sbuf *b)
{
	return !b->failed;
}

struct strv
sbuf_view(const struct sbuf *b)
{
	struct strv v = {b->data == NULL ? "" : b->data, b->len};

	return v;
}

const char *
sbuf_cstr(const struct sbuf *b)
{
	return b->data == NULL ? "" : b->data;
}
