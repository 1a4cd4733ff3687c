/*
 * Print Petrel's route table for the route crawler (test_crawl.py), one
 * route a line: METHOD TAB PATH TAB FLAGS, where FLAGS names the route's
 * flags ("session,csrf,api", "-" for none). The crawler iterates this, so a
 * route added to src/web/router.c is crawled without touching the test.
 */
#include <stdio.h>
#include <stdlib.h>

#include "web/web_private.h"
#include "core/banned.h"

int
main(void)
{
	static const struct {
		unsigned flag;
		const char *name;
	} names[] = {
	        {ROUTE_SESSION, "session"},
	        {ROUTE_CSRF, "csrf"},
	        {ROUTE_ADMIN, "admin"},
	        {ROUTE_RATELIMIT, "ratelimit"},
	        {ROUTE_API, "api"},
	        {ROUTE_SESSION_OPTIONAL, "session_optional"},
	        {ROUTE_PREFIX, "prefix"},
	        {ROUTE_UPLOAD, "upload"},
	};
	const struct web_route *r;
	size_t n, i, j;

	r = web_route_table(&n);
	for (i = 0; i < n; i++) {
		const char *sep = "";
		unsigned rest = r[i].flags;

		printf("%s\t%s\t", r[i].method, r[i].path);
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			if (!(r[i].flags & names[j].flag))
				continue;
			printf("%s%s", sep, names[j].name);
			sep = ",";
			rest &= ~names[j].flag;
		}
		/* A flag this list does not know: the crawler must learn it. */
		if (rest != 0)
			printf("%sunknown:%#x", sep, rest);
		printf("%s\n", r[i].flags == 0 ? "-" : "");
	}
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
