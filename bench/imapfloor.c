/*
 * imapfloor: the raw IMAP floor for Petrel's message-list benchmark.
 *
 * N client threads, each repeating one request against the IMAP server,
 * for a bounded time and a bounded total count:
 *
 *   --mode fresh   connect (+ STARTTLS), LOGIN, SELECT, UID FETCH, LOGOUT
 *                  on a new connection every request
 *   --mode open    UID FETCH alone on a connection opened, logged in and
 *                  SELECTed before the clock starts
 *   --mode message the floor of opening one message, on an open selected
 *                  connection: UID FETCH <uid> (UID FLAGS ENVELOPE
 *                  BODYSTRUCTURE), then UID FETCH <uid> BODY.PEEK[<section>]
 *                  (--section, default 1: the text part), as Petrel's
 *                  Message call does; --uids gives the one UID
 *
 * The UID FETCH asks for the same 50 UIDs and, with --items rows (the
 * default), the same items Petrel's message list fetches for its rows
 * (UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODYSTRUCTURE); --items
 * envelope asks for UID ENVELOPE only. libetpan parses every answer, as in
 * Petrel. Prints one JSON line with the counts and latency percentiles.
 *
 *   imapfloor --port 28143 --user U --pass P --folder INBOX --uids 1,2,3
 *             [--host 127.0.0.1] [--tls none|starttls] [--mode fresh|open]
 *             [--items rows|envelope] [--section 1] [--clients 1] [--duration
 * 8]
 *             [--max-requests 20000] [--warmup 3]
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libetpan/libetpan.h>

static const char *host = "127.0.0.1";
static int port = 143;
static const char *user, *pass, *folder = "INBOX", *uidlist;
static int tls, mode_open, mode_message, items_envelope;
static const char *section = "1";
static int clients = 1, warmup = 3;
static double duration = 8;
static long max_requests = 20000;

static atomic_long issued;
static atomic_long errors;
static double t_end;
static pthread_barrier_t start_barrier, go_barrier;

struct worker {
	pthread_t th;
	double *lat;
	size_t n, cap;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct mailimap_set *
make_set(void)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	char *s = strdup(uidlist), *save = NULL, *tok;

	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		mailimap_set_add_single(set, (uint32_t)strtoul(tok, NULL, 10));
	free(s);
	return set;
}

static struct mailimap_fetch_type *
make_fetch(void)
{
	struct mailimap_fetch_type *ft =
	        mailimap_fetch_type_new_fetch_att_list_empty();

	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	if (!items_envelope)
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_envelope());
	if (!items_envelope) {
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_internaldate());
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_rfc822_size());
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_bodystructure());
	}
	return ft;
}

static int
ok(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	       r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

static mailimap *
open_conn(void)
{
	mailimap *imap = mailimap_new(0, NULL);

	if (imap == NULL)
		return NULL;
	mailimap_set_timeout(imap, 30);
	if (!ok(mailimap_socket_connect(imap, host, (uint16_t)port)) ||
	    (tls && !ok(mailimap_socket_starttls(imap))) ||
	    !ok(mailimap_login(imap, user, pass)) ||
	    !ok(mailimap_select(imap, folder))) {
		mailimap_free(imap);
		return NULL;
	}
	return imap;
}

/* One UID FETCH; returns the number of messages answered, -1 on error. */
static int
fetch(mailimap *imap)
{
	struct mailimap_set *set = make_set();
	struct mailimap_fetch_type *ft = make_fetch();
	clist *res = NULL;
	int r = mailimap_uid_fetch(imap, set, ft, &res);
	int n = -1;

	if (ok(r)) {
		n = clist_count(res);
		mailimap_fetch_list_free(res);
	}
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	return n;
}

/* "1.2" as a BODY.PEEK[1.2] fetch item. */
static struct mailimap_fetch_att *
make_section_att(void)
{
	clist *parts = clist_new();
	char *s = strdup(section), *save = NULL, *tok;

	for (tok = strtok_r(s, ".", &save); tok;
	     tok = strtok_r(NULL, ".", &save)) {
		uint32_t *v = malloc(sizeof(*v));

		*v = (uint32_t)strtoul(tok, NULL, 10);
		clist_append(parts, v);
	}
	free(s);
	return mailimap_fetch_att_new_body_peek_section(
	        mailimap_section_new_part(mailimap_section_part_new(parts)));
}

/* Structure, then the text part: 0 when both answered, else -1. */
static int
fetch_message(mailimap *imap)
{
	struct mailimap_set *set = make_set();
	struct mailimap_fetch_type *ft =
	        mailimap_fetch_type_new_fetch_att_list_empty();
	clist *res = NULL;
	int r, n = -1;

	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_envelope());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_bodystructure());
	r = mailimap_uid_fetch(imap, set, ft, &res);
	if (ok(r)) {
		n = clist_count(res);
		mailimap_fetch_list_free(res);
	}
	mailimap_fetch_type_free(ft);
	if (n > 0) {
		res = NULL;
		n = -1;
		ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(
		        ft, mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		                                           make_section_att());
		r = mailimap_uid_fetch(imap, set, ft, &res);
		if (ok(r)) {
			n = clist_count(res);
			mailimap_fetch_list_free(res);
		}
		mailimap_fetch_type_free(ft);
	}
	mailimap_set_free(set);
	return n > 0 ? 0 : -1;
}

static int
one_request(mailimap **open)
{
	mailimap *imap;
	int n;

	if (mode_message) {
		if (*open == NULL && (*open = open_conn()) == NULL)
			return -1;
		if (fetch_message(*open) != 0) {
			mailimap_free(*open);
			*open = NULL;
			return -1;
		}
		return 0;
	}
	if (mode_open) {
		if (*open == NULL && (*open = open_conn()) == NULL)
			return -1;
		n = fetch(*open);
		if (n <= 0) {
			mailimap_free(*open);
			*open = NULL;
			return -1;
		}
		return 0;
	}
	if ((imap = open_conn()) == NULL)
		return -1;
	n = fetch(imap);
	mailimap_logout(imap);
	mailimap_free(imap);
	return n > 0 ? 0 : -1;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	mailimap *open = NULL;
	int i;

	for (i = 0; i < warmup; i++)
		if (one_request(&open) != 0)
			atomic_fetch_add(&errors, 1);
	pthread_barrier_wait(&start_barrier);
	pthread_barrier_wait(&go_barrier);
	for (;;) {
		double t0 = now();

		if (t0 >= t_end || atomic_fetch_add(&issued, 1) >= max_requests)
			break;
		if (one_request(&open) != 0) {
			atomic_fetch_add(&errors, 1);
			continue;
		}
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 1024;
			w->lat = realloc(w->lat, w->cap * sizeof(*w->lat));
		}
		w->lat[w->n++] = (now() - t0) * 1000.0;
	}
	if (open != NULL) {
		mailimap_logout(open);
		mailimap_free(open);
	}
	return NULL;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

int
main(int argc, char **argv)
{
	struct worker *ws;
	double *all, t0, elapsed, sum = 0;
	size_t total = 0, i, k;
	int c;

	for (c = 1; c < argc; c++) {
		const char *o = argv[c], *v = c + 1 < argc ? argv[c + 1] : NULL;

		if (v == NULL) {
			fprintf(stderr, "imapfloor: %s wants a value\n", o);
			return 2;
		}
		c++;
		if (!strcmp(o, "--host"))
			host = v;
		else if (!strcmp(o, "--port"))
			port = atoi(v);
		else if (!strcmp(o, "--user"))
			user = v;
		else if (!strcmp(o, "--pass"))
			pass = v;
		else if (!strcmp(o, "--folder"))
			folder = v;
		else if (!strcmp(o, "--uids"))
			uidlist = v;
		else if (!strcmp(o, "--tls"))
			tls = !strcmp(v, "starttls");
		else if (!strcmp(o, "--mode")) {
			mode_open = !strcmp(v, "open");
			mode_message = !strcmp(v, "message");
		} else if (!strcmp(o, "--section"))
			section = v;
		else if (!strcmp(o, "--items"))
			items_envelope = !strcmp(v, "envelope");
		else if (!strcmp(o, "--clients"))
			clients = atoi(v);
		else if (!strcmp(o, "--duration"))
			duration = atof(v);
		else if (!strcmp(o, "--max-requests"))
			max_requests = atol(v);
		else if (!strcmp(o, "--warmup"))
			warmup = atoi(v);
		else {
			fprintf(stderr, "imapfloor: unknown option %s\n", o);
			return 2;
		}
	}
	if (user == NULL || pass == NULL || uidlist == NULL || clients < 1 ||
	    clients > 256 || duration <= 0 || duration > 120) {
		fprintf(stderr, "imapfloor: need --user, --pass, --uids; "
		                "1-256 clients, 0-120 s\n");
		return 2;
	}
	if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0) {
		fprintf(stderr, "imapfloor: loopback only\n");
		return 2;
	}
	ws = calloc((size_t)clients, sizeof(*ws));
	pthread_barrier_init(&start_barrier, NULL, (unsigned)clients + 1);
	pthread_barrier_init(&go_barrier, NULL, (unsigned)clients + 1);
	for (i = 0; i < (size_t)clients; i++)
		pthread_create(&ws[i].th, NULL, run, &ws[i]);
	/* Everyone warm: set the deadline, then let the workers go. */
	pthread_barrier_wait(&start_barrier);
	t0 = now();
	t_end = t0 + duration;
	pthread_barrier_wait(&go_barrier);
	for (i = 0; i < (size_t)clients; i++)
		pthread_join(ws[i].th, NULL);
	elapsed = now() - t0;
	for (i = 0; i < (size_t)clients; i++)
		total += ws[i].n;
	all = malloc((total + 1) * sizeof(*all));
	for (i = 0, k = 0; i < (size_t)clients; i++) {
		memcpy(all + k, ws[i].lat, ws[i].n * sizeof(*all));
		k += ws[i].n;
	}
	for (i = 0; i < total; i++)
		sum += all[i];
	qsort(all, total, sizeof(*all), cmp_d);
	printf("{\"requests\": %zu, \"errors\": %ld, \"seconds\": %.3f, "
	       "\"rps\": %.1f, \"p50_ms\": %.3f, \"p95_ms\": %.3f, "
	       "\"p99_ms\": %.3f, \"mean_ms\": %.3f}\n",
	       total, atomic_load(&errors), elapsed, total / elapsed,
	       pct(all, total, 50), pct(all, total, 95), pct(all, total, 99),
	       total ? sum / total : 0.0);
	return atomic_load(&errors) > 0 && total == 0 ? 1 : 0;
}
