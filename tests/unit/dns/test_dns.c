/*
 * dns: a tiny UDP DNS server thread on 127.0.0.1 (it answers every query
 * with one A record 192.0.2.1 and counts the queries, or stays silent)
 * shows that answers are read, cached and flushed, that a silent resolver
 * is an error within the timeout, and that bad resolver addresses are
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns/dns.h"

struct fake {
	int fd;
	unsigned port;
	bool silent;
	atomic_int queries;
	atomic_bool stop;
	pthread_t thread;
};

static void *
fake_run(void *arg)
{
	struct fake *f = arg;

	while (!atomic_load(&f->stop)) {
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		unsigned char q[512], r[600];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t end = 12;
		static const unsigned char rr[] = {
		        0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
		        1,    0x2c, 0, 4, 192, 0, 2, 1,
		};

		if (poll(&p, 1, 50) != 1)
			continue;
		n = recvfrom(f->fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		             &fl);
		if (n < 12)
			continue;
		atomic_fetch_add(&f->queries, 1);
		if (f->silent)
			continue;
		while (end < (size_t)n && q[end] != 0)
			end += q[end] + 1u;
		end += 5; /* the root label, QTYPE, QCLASS */
		if (end > (size_t)n)
			continue;
		memcpy(r, q, end);
		r[2] = 0x81;          /* QR, RD */
		r[3] = 0x80;          /* RA, NOERROR */
		r[6] = 0, r[7] = 1;   /* ANCOUNT */
		r[8] = 0, r[9] = 0;   /* NSCOUNT */
		r[10] = 0, r[11] = 0; /* ARCOUNT: no OPT back */
		memcpy(r + end, rr, sizeof(rr));
		(void)sendto(f->fd, r, end + sizeof(rr), 0,
		             (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void
fake_start(struct fake *f, bool silent)
{
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->silent = silent;
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void
fake_stop(struct fake *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	close(f->fd);
}

static struct dns_resolver *
resolver_for(struct fake *f, struct arena *a, unsigned timeout_ms,
             unsigned cache)
{
	char server[64];
	struct dns_opts o = {0};
	struct dns_resolver *r = NULL;
	struct perr err = {0};

	snprintf(server, sizeof(server), "127.0.0.1:%u", f->port);
	o.server = server;
	o.timeout_ms = timeout_ms;
	o.cache_seconds = cache;
	assert_int_equal(dns_resolver_create(&o, &r, a, &err), 0);
	assert_string_equal(dns_resolver_server(r), server);
	return r;
}

static void
test_answer_and_cache(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct dns_answer ans;
	struct perr err = {0};
	struct dns_resolver *r;
	struct fake f;

	(void)state;
	dns_cache_flush();
	fake_start(&f, false);
	r = resolver_for(&f, a, 2000, 60);
	assert_int_equal(dns_query(r, "cached.test", DNS_A, a, &ans, &err), 0);
	assert_int_equal(ans.status, DNS_FOUND);
	assert_int_equal(ans.count, 1);
	assert_string_equal(ans.rr[0].value, "192.0.2.1");
	assert_false(ans.secure);
	assert_int_equal(atomic_load(&f.queries), 1);
	/* The same question again: from the cache. */
	assert_int_equal(dns_query(r, "cached.test", DNS_A, a, &ans, &err), 0);
	assert_int_equal(atomic_load(&f.queries), 1);
	assert_string_equal(ans.rr[0].value, "192.0.2.1");
	/* Another type is another question. */
	assert_int_equal(dns_query(r, "cached.test", DNS_TXT, a, &ans, &err),
	                 0);
	assert_int_equal(ans.status, DNS_NODATA);
	assert_int_equal(atomic_load(&f.queries), 2);
	dns_cache_flush();
	assert_int_equal(dns_query(r, "cached.test", DNS_A, a, &ans, &err), 0);
	assert_int_equal(atomic_load(&f.queries), 3);
	dns_resolver_free(&r);
	assert_null(r);
	fake_stop(&f);
	arena_destroy(&a);
}

static void
test_no_cache(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct dns_answer ans;
	struct perr err = {0};
	struct dns_resolver *r;
	struct fake f;

	(void)state;
	dns_cache_flush();
	fake_start(&f, false);
	r = resolver_for(&f, a, 2000, 0);
	assert_int_equal(dns_query(r, "x.test", DNS_A, a, &ans, &err), 0);
	assert_int_equal(dns_query(r, "x.test", DNS_A, a, &ans, &err), 0);
	assert_int_equal(atomic_load(&f.queries), 2);
	dns_resolver_free(&r);
	fake_stop(&f);
	arena_destroy(&a);
}

static void
test_silent_resolver_times_out(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct dns_answer ans;
	struct perr err = {0};
	struct dns_resolver *r;
	struct fake f;
	uint64_t t0;

	(void)state;
	dns_cache_flush();
	fake_start(&f, true);
	r = resolver_for(&f, a, 400, 60);
	t0 = pt_now_ms_monotonic();
	assert_int_equal(dns_query(r, "slow.test", DNS_MX, a, &ans, &err), -1);
	assert_true(pt_now_ms_monotonic() - t0 < 2000);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_non_null(strstr(err.msg, "did not answer"));
	assert_true(atomic_load(&f.queries) >= 1);
	dns_resolver_free(&r);
	fake_stop(&f);
	arena_destroy(&a);
}

static void
test_server_addresses(void **state)
{
	static const char *const bad[] = {
	        "dns.example", "127.0.0.1:0", "127.0.0.1:99999", "[::1",
	        "[::1]x",      "1.2.3.4:53x", "300.1.1.1",
	};
	static const char *const good[] = {"127.0.0.1", "127.0.0.1:5353",
	                                   "[::1]:53", "::1"};
	struct arena *a = arena_create("t", 4096, 0);
	struct dns_resolver *r = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dns_opts o = {.server = bad[i]};
		struct perr err = {0};

		assert_int_equal(dns_resolver_create(&o, &r, a, &err), -1);
		assert_null(r);
		assert_int_equal(err.kind, PERR_INPUT);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct dns_opts o = {.server = good[i]};
		struct perr err = {0};

		assert_int_equal(dns_resolver_create(&o, &r, a, &err), 0);
		dns_resolver_free(&r);
	}
	arena_destroy(&a);
}

static void
test_reverse_name(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);

	(void)state;
	assert_string_equal(dns_reverse_name("192.0.2.10", a),
	                    "10.2.0.192.in-addr.arpa");
	assert_non_null(strstr(dns_reverse_name("2001:db8::1", a),
	                       ".8.b.d.0.1.0.0.2.ip6.arpa"));
	assert_null(dns_reverse_name("not an address", a));
	arena_destroy(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_answer_and_cache),
	        cmocka_unit_test(test_no_cache),
	        cmocka_unit_test(test_silent_resolver_times_out),
	        cmocka_unit_test(test_server_addresses),
	        cmocka_unit_test(test_reverse_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
