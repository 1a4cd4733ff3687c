/*
 * The arena most unit tests allocate from: one per test group, made by the
 * group's setup and destroyed by its teardown, so ASan's leak check sees
 * every test's allocations freed. Include after <cmocka.h>:
 *
 *	return cmocka_run_group_tests(tests, unit_arena_setup,
 *				      unit_arena_teardown);
 */
#ifndef PETREL_TESTS_UNIT_ARENA_H
#define PETREL_TESTS_UNIT_ARENA_H

#include "core/core.h"

static struct arena *A;

static int
unit_arena_setup(void **state)
{
	(void)state;
	A = arena_create("test", 4096, 0);
	return A != NULL ? 0 : -1;
}

static int
unit_arena_teardown(void **state)
{
	(void)state;
	arena_destroy(&A);
	return 0;
}

#endif
