/*
 * Unit tests for src/net/https.c: which addresses a URL from a message may
 * reach, and the refusals that come before any connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "net/net.h"

#include "../support/unit_arena.h"

static bool public(const char *ip)
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;

	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1) {
		v4.sin_family = AF_INET;
		return net_addr_is_public((struct sockaddr *)&v4);
	}
	assert_int_equal(inet_pton(AF_INET6, ip, &v6.sin6_addr), 1);
	v6.sin6_family = AF_INET6;
	return net_addr_is_public((struct sockaddr *)&v6);
}

static void
test_addr_ranges(void **state)
{
	static const char *const refused[] = {"127.0.0.1",
	                                      "127.255.0.9",
	                                      "10.1.2.3",
	                                      "172.16.0.1",
	                                      "172.31.255.1",
	                                      "192.168.1.1",
	                                      "169.254.169.254",
	                                      "0.0.0.0",
	                                      "100.64.0.1",
	                                      "224.0.0.1",
	                                      "255.255.255.255",
	                                      "198.18.0.1",
	                                      "::1",
	                                      "::",
	                                      "fe80::1",
	                                      "fc00::1",
	                                      "fd12::1",
	                                      "ff02::1",
	                                      "::ffff:127.0.0.1",
	                                      "::ffff:10.0.0.1",
	                                      "64:ff9b::a00:1",
	                                      "2001:db8::1"};
	static const char *const allowed[] = {
	        "93.184.216.34", "1.1.1.1",         "172.32.0.1",
	        "192.169.0.1",   "2606:4700::1111", "::ffff:8.8.8.8"};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(refused); i++)
		if (public(refused[i]))
			fail_msg("%s counted as public", refused[i]);
	for (i = 0; i < PT_NELEM(allowed); i++)
		if (!public(allowed[i]))
			fail_msg("%s counted as private", allowed[i]);
}

static int
post(const char *url, bool allow_private, struct perr *err)
{
	struct net_https_post p = {url,
	                           STRV_LIT("List-Unsubscribe=One-Click"),
	                           "application/x-www-form-urlencoded",
	                           allow_private,
	                           NULL,
	                           2000,
	                           4096};
	struct net_https_result r;

	return net_https_post(&p, A, &r, err);
}

static void
test_post_refusals_before_connecting(void **state)
{
	struct perr err;

	(void)state;
	assert_int_equal(post("http://127.0.0.1/u", true, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(post("https://user:pw@example.org/u", true, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(post("https://ex ample.org/u", true, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(post("https://example.org:0/u", true, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	/* Loopback and private literals: refused, nothing sent. */
	assert_int_equal(post("https://127.0.0.1:1/u", false, &err), -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	assert_int_equal(post("https://[::1]:1/u", false, &err), -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	assert_int_equal(post("https://10.0.0.1/u", false, &err), -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	assert_int_equal(post("https://localhost:1/u", false, &err), -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	/* Allowed, but nobody listens on port 1: a connection failure. */
	assert_int_equal(post("https://127.0.0.1:1/u", true, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_addr_ranges),
	        cmocka_unit_test(test_post_refusals_before_connecting),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
