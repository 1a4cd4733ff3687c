/*
 * Threads: THREAD=REFERENCES and its answer, parsed into a flat list of
 * nodes in thread order.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

/* ---- threads ----------------------------------------------------------- */

struct tparse {
	const char *p, *end;
	struct imapc_tnode *nodes;
	size_t n, cap;
	struct arena *a;
	unsigned level;
};

static int
tpush(struct tparse *t, uint32_t uid, uint32_t parent, unsigned depth)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct imapc_tnode *nn =
		        arena_new_array(t->a, struct imapc_tnode, nc);

		if (nn == NULL)
			return -1;
		if (t->n > 0)
			memcpy(nn, t->nodes, t->n * sizeof(*nn));
		t->nodes = nn;
		t->cap = nc;
	}
	t->nodes[t->n].uid = uid;
	t->nodes[t->n].parent = parent;
	t->nodes[t->n].depth = depth;
	t->n++;
	return 0;
}

/* thread-list after its "(": members then nested lists, until ")". */
static int
tparse_list(struct tparse *t, uint32_t parent, unsigned depth)
{
	if (++t->level > 200)
		return -1; /* hostile nesting */
	while (t->p < t->end && *t->p != ')') {
		if (*t->p == ' ') {
			t->p++;
		} else if (*t->p == '(') {
			t->p++;
			if (tparse_list(t, parent, depth) != 0)
				return -1;
			if (t->p >= t->end || *t->p != ')')
				return -1;
			t->p++;
		} else if (*t->p >= '0' && *t->p <= '9') {
			uint64_t v;
			const char *s = t->p;

			while (t->p < t->end && *t->p >= '0' && *t->p <= '9')
				t->p++;
			if (!pt_parse_u64((struct strv){s, (size_t)(t->p - s)},
			                  UINT32_MAX, &v))
				return -1;
			if (tpush(t, (uint32_t)v, parent, depth) != 0)
				return -1;
			parent = (uint32_t)v;
			depth++;
		} else {
			return -1;
		}
	}
	t->level--;
	return 0;
}

int
imapc_run_thread(struct imap_conn *c, const uint32_t *uids, size_t n, bool all,
                 struct arena *a, struct imapc_threads *th, struct perr *err)
{
	struct sbuf cmd;
	struct strv *lines;
	size_t nl, i;
	struct tparse t;

	memset(th, 0, sizeof(*th));
	memset(&t, 0, sizeof(t));
	t.a = a;
	if (!all && n == 0)
		return 0;
	sbuf_init(&cmd, a, 256, 4 * 1024 * 1024);
	sbuf_append_cstr(&cmd, "UID THREAD REFERENCES UTF-8 ");
	imapc_append_criteria(&cmd, uids, n, all);
	if (!sbuf_ok(&cmd))
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	c->stats.threads++;
	if (imapc_raw_command(c, sbuf_cstr(&cmd), a, &lines, &nl, err) != 0)
		return -1;
	for (i = 0; i < nl; i++) {
		size_t nstart = 0, scap = 64;

		if (lines[i].len < 6 || strncmp(lines[i].p, "THREAD", 6) != 0)
			continue;
		t.p = lines[i].p + 6;
		t.end = lines[i].p + lines[i].len;
		th->start = arena_new_array(a, size_t, scap);
		if (th->start == NULL)
			return perr_set(err, a, PERR_LIMIT, "too many threads");
		while (t.p < t.end) {
			if (*t.p == ' ') {
				t.p++;
				continue;
			}
			if (*t.p != '(')
				return perr_set(err, a, PERR_REMOTE,
				                "bad THREAD answer");
			if (nstart + 2 >= scap) {
				size_t *ns =
				        arena_new_array(a, size_t, scap * 2);

				if (ns == NULL)
					return perr_set(err, a, PERR_LIMIT,
					                "too many threads");
				memcpy(ns, th->start, nstart * sizeof(*ns));
				th->start = ns;
				scap *= 2;
			}
			th->start[nstart++] = t.n;
			t.p++;
			t.level = 0;
			if (tparse_list(&t, 0, 0) != 0 || t.p >= t.end)
				return perr_set(err, a, PERR_REMOTE,
				                "bad THREAD answer");
			t.p++;
		}
		th->start[nstart] = t.n;
		th->nt = nstart;
		break;
	}
	th->nodes = t.nodes;
	th->n = t.n;
	return 0;
}
