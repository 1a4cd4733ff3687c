/*
 * The message view's rendered body, kept between its two requests.
 *
 * Opening a message is two requests: the Message call renders the body
 * (it reports whether remote images were blocked and returns the safe
 * HTML), then the frame loads /message/body, which needs the same
 * document. Rendering means fetching the part and running the sanitizer
 * over it, the costliest step of a view, so the Message call leaves its
 * result here and the body request takes it (once: a reload, the Print
 * link or another images choice renders again).
 *
 * Bounded: BC_MAX_ENTRIES entries, BC_MAX_BYTES in all, BC_MAX_ENTRY per
 * body (a larger one is not kept), BC_TTL_S seconds; the oldest entry
 * goes first. The key starts with the session's id hash, so a body is
 * only ever handed to the session that rendered it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "web_private.h"
#include "core/banned.h"

#define BC_MAX_ENTRIES 64
#define BC_MAX_BYTES (32u * 1024 * 1024)
#define BC_MAX_ENTRY (8u * 1024 * 1024)
#define BC_TTL_S 60

struct bc_entry {
	char *key;  /* NULL: free slot */
	char *html; /* the rendered fragment */
	size_t bytes;
	int64_t stored;
	bool is_html, html_skipped;
	unsigned remote_blocked;
	uint64_t html_size;
};

static pthread_mutex_t bc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bc_entry bc[BC_MAX_ENTRIES];
static size_t bc_bytes;

static void
drop(struct bc_entry *e)
{
	bc_bytes -= e->bytes;
	free(e->key);
	free(e->html);
	memset(e, 0, sizeof(*e));
}

/* Expired entries go; then the oldest until need more bytes fit. */
static struct bc_entry *
make_room(size_t need, int64_t now)
{
	struct bc_entry *slot = NULL, *oldest;
	size_t i;

	for (i = 0; i < BC_MAX_ENTRIES; i++)
		if (bc[i].key != NULL && now - bc[i].stored > BC_TTL_S)
			drop(&bc[i]);
	for (;;) {
		oldest = NULL;
		slot = NULL;
		for (i = 0; i < BC_MAX_ENTRIES; i++) {
			if (bc[i].key == NULL)
				slot = slot != NULL ? slot : &bc[i];
			else if (oldest == NULL ||
			         bc[i].stored < oldest->stored)
				oldest = &bc[i];
		}
		if (slot != NULL && bc_bytes + need <= BC_MAX_BYTES)
			return slot;
		if (oldest == NULL)
			return NULL;
		drop(oldest);
	}
}

void
web_body_cache_put(const char *key, const struct mail_rendered *r, int64_t now)
{
	size_t len = r->html != NULL ? strlen(r->html) : 0;
	size_t need;
	struct bc_entry *e;
	size_t i;

	/* No key (the request ran out of memory making it): nothing kept. */
	if (key == NULL || len > BC_MAX_ENTRY)
		return;
	need = len + strlen(key) + 2;
	pthread_mutex_lock(&bc_lock);
	for (i = 0; i < BC_MAX_ENTRIES; i++)
		if (bc[i].key != NULL && strcmp(bc[i].key, key) == 0)
			drop(&bc[i]);
	e = make_room(need, now);
	if (e != NULL) {
		e->key = pt_xstrdup(key);
		e->html = pt_xstrndup(r->html != NULL ? r->html : "", len);
		e->bytes = need;
		e->stored = now;
		e->is_html = r->is_html;
		e->html_skipped = r->html_skipped;
		e->remote_blocked = r->remote_blocked;
		e->html_size = r->html_size;
		bc_bytes += need;
	}
	pthread_mutex_unlock(&bc_lock);
}

bool
web_body_cache_take(const char *key, int64_t now, struct arena *a,
                    struct mail_rendered *r_r)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&bc_lock);
	for (i = 0; i < BC_MAX_ENTRIES && !found; i++) {
		if (bc[i].key == NULL || strcmp(bc[i].key, key) != 0)
			continue;
		if (now - bc[i].stored <= BC_TTL_S) {
			memset(r_r, 0, sizeof(*r_r));
			r_r->html = arena_strdup(a, bc[i].html);
			r_r->text = "";
			r_r->is_html = bc[i].is_html;
			r_r->html_skipped = bc[i].html_skipped;
			r_r->remote_blocked = bc[i].remote_blocked;
			r_r->html_size = bc[i].html_size;
			found = r_r->html != NULL;
		}
		drop(&bc[i]);
	}
	pthread_mutex_unlock(&bc_lock);
	return found;
}
