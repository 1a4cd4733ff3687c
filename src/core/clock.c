/*
 * The movable clock of integration tests: a running Petrel cannot be
 * handed a function, so its timed work (snooze wake-ups) reads an offset
 * from a file the test writes. Unit tests pass their own pt_clock_fn.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core.h"
#include "banned.h"

bool
pt_clock_is_test(void)
{
	const char *path = getenv("PETREL_TEST_CLOCK_FILE");

	return path != NULL && path[0] != '\0';
}

int64_t
pt_clock_test(void *ctx)
{
	const char *path = getenv("PETREL_TEST_CLOCK_FILE");
	char buf[32];
	long long off = 0;
	FILE *f;

	(void)ctx;
	if (path == NULL || path[0] == '\0')
		return pt_now_unix();
	f = fopen(path, "r");
	if (f == NULL)
		return pt_now_unix();
	if (fgets(buf, sizeof(buf), f) != NULL) {
		char *end;

		off = strtoll(buf, &end, 10);
		if (end == buf)
			off = 0;
	}
	(void)fclose(f);
	return pt_now_unix() + (int64_t)off;
}
