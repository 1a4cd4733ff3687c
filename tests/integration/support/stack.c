#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack.h"

#define STACK_MAX_VARS 128

static char *names[STACK_MAX_VARS], *values[STACK_MAX_VARS];
static size_t count;

static void
load(void)
{
	const char *dir = getenv("PETREL_MAILSTACK_DIR");
	char path[1024], line[2048];
	FILE *f;

	if (count > 0)
		return;
	if (dir == NULL)
		fail_msg("PETREL_MAILSTACK_DIR is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/mailstack.env", dir);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot read %s: is the mailstack running?", path);
	while (fgets(line, sizeof(line), f) != NULL && count < STACK_MAX_VARS) {
		char *name = line, *eq, *v, *end;

		if (strncmp(name, "export ", 7) == 0)
			name += 7;
		eq = strchr(name, '=');
		if (name[0] == '#' || eq == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		end = v + strlen(v);
		while (end > v && (end[-1] == '\n' || end[-1] == '\r'))
			*--end = '\0';
		/* Values may be shell-quoted: 'x' or "x". */
		if (end - v >= 2 && (v[0] == '\'' || v[0] == '"') &&
		    end[-1] == v[0]) {
			end[-1] = '\0';
			v++;
		}
		names[count] = strdup(name);
		values[count] = strdup(v);
		count++;
	}
	fclose(f);
}

const char *
stack_get(const char *key)
{
	size_t i;

	load();
	for (i = 0; i < count; i++) {
		if (strcmp(names[i], key) == 0)
			return values[i];
	}
	return NULL;
}

uint16_t
stack_port(const char *key)
{
	const char *v = stack_get(key);

	if (v == NULL)
		fail_msg("mailstack.env has no %s", key);
	return (uint16_t)strtoul(v, NULL, 10);
}

const char *
stack_password(const char *email)
{
	char key[32];
	int i;

	for (i = 1; i < 64; i++) {
		const char *u;

		snprintf(key, sizeof(key), "USER%d", i);
		u = stack_get(key);
		if (u == NULL)
			break;
		if (strcmp(u, email) == 0) {
			snprintf(key, sizeof(key), "PASS%d", i);
			return stack_get(key);
		}
	}
	fail_msg("no password for %s in mailstack.env", email);
	return NULL;
}
