/*
 * A chunked bump allocator. Chunks grow geometrically; a request for more
 * than half a default chunk gets a chunk of its own so that big uploads do
 * not waste the tail of the current chunk.
 *
 * With PT_ARENA_DEBUG every allocation is its own malloc(), freed at reset,
 * so that ASan sees overflows between neighbours and use after reset.
 *
 * With PT_FAULT_INJECTION (sanitizer builds only, never a release) the
 * environment variable PETREL_FAULT_ARENA=NAME:PERIOD makes arenas named
 * NAME fail one allocation per use, as if their limit were hit: the k-th
 * create or reset of such an arena, process-wide, arms it to fail its
 * allocation number k % (PERIOD + 1), none when that is 0. PERIOD + 1
 * consecutive requests thus meet a failure at each of the first PERIOD
 * allocations of a request, and one runs clean (tests/integration/faults).
 */
#include <stdio.h>
#include <stdlib.h>
#ifdef PT_FAULT_INJECTION
#include <pthread.h>
#include <stdatomic.h>
#endif
#include <string.h>

#include "core.h"
#include "banned.h"

#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena_defer {
	struct arena_defer *next;
	void (*fn)(void *);
	void *arg;
};

struct arena {
	const char *name;
	struct arena_chunk *chunks; /* newest first; last is the first chunk */
	struct arena_chunk *bigs;   /* one-allocation chunks, freed at reset */
	struct arena_defer *defers;
	size_t first_size, limit, used;
	bool hit_limit;
#ifdef PT_FAULT_INJECTION
	unsigned long fault_at, n_allocs; /* fault_at 0: no fault */
#endif
};

#ifdef PT_FAULT_INJECTION
static char fault_name[64];
static unsigned long fault_period;
static atomic_ulong fault_seq;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static void
fault_init(void)
{
	const char *v = getenv("PETREL_FAULT_ARENA");
	const char *colon = v != NULL ? strrchr(v, ':') : NULL;
	char *end;
	unsigned long period;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(fault_name))
		return;
	period = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || period == 0)
		return;
	memcpy(fault_name, v, (size_t)(colon - v));
	fault_name[colon - v] = '\0';
	fault_period = period;
}

static void
fault_arm(struct arena *a)
{
	(void)pthread_once(&fault_once, fault_init);
	a->n_allocs = 0;
	a->fault_at = 0;
	if (fault_period != 0 && a->name != NULL &&
	    strcmp(a->name, fault_name) == 0)
		a->fault_at =
		        atomic_fetch_add(&fault_seq, 1) % (fault_period + 1);
}
#endif

static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c;

	c = pt_xmalloc(sizeof(*c) + size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct arena *
arena_create(const char *name, size_t first_chunk, size_t limit)
{
	struct arena *a;

	a = pt_xcalloc(1, sizeof(*a));
	a->name = name;
	a->first_size = first_chunk < 256 ? 256 : first_chunk;
	a->limit = limit;
#ifndef PT_ARENA_DEBUG
	a->chunks = chunk_new(a->first_size);
#endif
#ifdef PT_FAULT_INJECTION
	fault_arm(a);
#endif
	return a;
}

static void
run_defers(struct arena *a)
{
	struct arena_defer *d;

	/* A deferred function may register more defers: loop until empty. */
	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->arg);
		free(d);
	}
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *c, *next;

	run_defers(a);
#ifdef PT_ARENA_DEBUG
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->chunks = NULL;
#else
	for (c = a->chunks; c->next != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->chunks = c;
	c->used = 0;
	for (c = a->bigs; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->bigs = NULL;
#endif
	a->used = 0;
	a->hit_limit = false;
#ifdef PT_FAULT_INJECTION
	fault_arm(a);
#endif
}

void
arena_destroy(struct arena **ap)
{
	struct arena *a = *ap;

	if (a == NULL)
		return;
	arena_reset(a);
	free(a->chunks);
	free(a);
	*ap = NULL;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	size_t rounded, size;
	void *p;

	if (n == 0)
		n = 1;
#ifdef PT_FAULT_INJECTION
	if (a->fault_at != 0 && ++a->n_allocs == a->fault_at)
		goto limit;
#endif
	if (n > SIZE_MAX - ARENA_ALIGN)
		goto limit;
	rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (a->limit != 0 &&
	    (rounded > a->limit || a->used > a->limit - rounded))
		goto limit;
#ifdef PT_ARENA_DEBUG
	c = chunk_new(n);
	c->next = a->chunks;
	a->chunks = c;
	p = c->data;
	(void)size;
#else
	c = a->chunks;
	if (c->size - c->used < rounded) {
		if (rounded > a->first_size / 2) {
			/* Big: its own chunk, kept behind the current one. */
			struct arena_chunk *big = chunk_new(rounded);

			big->used = rounded;
			big->next = a->bigs;
			a->bigs = big;
			a->used += rounded;
			memset(big->data, 0, n);
			return big->data;
		}
		size = c->size * 2;
		if (size > 1024 * 1024)
			size = 1024 * 1024;
		if (size < a->first_size)
			size = a->first_size;
		c = chunk_new(size);
		c->next = a->chunks;
		a->chunks = c;
	}
	p = c->data + c->used;
	c->used += rounded;
#endif
	a->used += rounded;
	memset(p, 0, n);
	return p;
limit:
	a->hit_limit = true;
	return NULL;
}

void *
arena_alloc_array(struct arena *a, size_t size, size_t n)
{
	if (size != 0 && n > SIZE_MAX / size) {
		a->hit_limit = true;
		return NULL;
	}
	return arena_alloc(a, size * n);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_defer(struct arena *a, void (*fn)(void *), void *arg)
{
	struct arena_defer *d;

	/* Outside the limit on purpose: cleanup must always be recorded. */
	d = pt_xmalloc(sizeof(*d));
	d->fn = fn;
	d->arg = arg;
	d->next = a->defers;
	a->defers = d;
}

size_t
arena_used(const struct arena *a)
{
	return a->used;
}

bool
arena_hit_limit(const struct arena *a)
{
	return a->hit_limit;
}
