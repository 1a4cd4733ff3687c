/*
 * templates/store.h - a user's saved replies: validation and the file
 * they live in. Nothing here knows the host API, so the unit test links
 * it alone (tests/unit/plugin/test_templates_store.c).
 *
 * One file per user, <dir>/<encoded address>.txt: a first line
 * "petrel-templates 1", then one line per template,
 * "<id>\t<name>\t<body>", the body with backslash, line feed and tab
 * written as \\, \n and \t. A change is a locked read-modify-write of the
 * whole file (flock on <file>.lock), written to a temporary file, synced
 * and renamed over the old one, so a crash leaves the old or the new
 * list, never half of one.
 */
#ifndef TEMPLATES_STORE_H
#define TEMPLATES_STORE_H

#include <stdbool.h>
#include <stddef.h>

#define TPL_NAME_MAX 100 /* bytes of a name */
#define TPL_MSG_MAX 256

struct tpl {
	unsigned long id;
	char *name;
	char *body;
};

struct tpl_list {
	struct tpl *v;
	size_t n;
};

/* Why an operation failed, in words for the user. */
struct tpl_err {
	char msg[TPL_MSG_MAX];
};

void tpl_list_free(struct tpl_list *l);

/* The user's file under dir (malloc'd), or NULL when it cannot be named. */
char *tpl_user_file(const char *dir, const char *user);

/* Read path into l; a missing file is an empty list. */
int tpl_load(const char *path, struct tpl_list *l, struct tpl_err *err);
/* Write l to path atomically (temp file, fsync, rename). */
int tpl_save(const char *path, const struct tpl_list *l, struct tpl_err *err);

/* An exclusive lock for a read-modify-write of path: a descriptor, or -1. */
int tpl_lock(const char *path, struct tpl_err *err);
void tpl_unlock(int fd);

/*
 * Add (id NULL or "") or change template id. The name is trimmed and
 * must be 1..TPL_NAME_MAX bytes of UTF-8 without control characters and
 * unique in the list; the body is 1..max_body bytes of UTF-8 whose only
 * control characters are line feeds and tabs (CR LF becomes LF). A new
 * template needs fewer than max_count in the list. *id_r is its id.
 */
int tpl_put(struct tpl_list *l, const char *id, const char *name,
            const char *body, size_t max_count, size_t max_body,
            unsigned long *id_r, struct tpl_err *err);
int tpl_delete(struct tpl_list *l, const char *id, struct tpl_err *err);

#endif
