/*
 * The case format shared by both differential drivers (see README.md).
 * Plain C so that the C++ reference driver can use it too.
 */
#ifndef PETREL_DIFFCASE_H
#define PETREL_DIFFCASE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DIFFCASE_MAX_FILES 8
#define DIFFCASE_MAX_OPS 128

struct diffcase_bytes {
	char *p;
	size_t len;
};

struct diffcase_op {
	char op[16];                /* set, global, tglobal, show, tshow,
	                               section, include, end */
	struct diffcase_bytes a, b; /* arguments, unescaped */
};

struct diffcase {
	int strip; /* 0 none, 1 blank, 2 whitespace */
	struct diffcase_bytes exclude;
	size_t nfiles;
	struct diffcase_bytes fname[DIFFCASE_MAX_FILES];
	struct diffcase_bytes ftext[DIFFCASE_MAX_FILES];
	size_t nops;
	struct diffcase_op ops[DIFFCASE_MAX_OPS];
};

/* Parse a case file; returns 0, or -1 with a message on stderr. */
int diffcase_load(const char *path, struct diffcase *c);

#ifdef __cplusplus
}
#endif

#endif
