/*
 * Helpers shared by the admin module's files; not for other modules.
 */
#ifndef PETREL_ADMIN_PRIVATE_H
#define PETREL_ADMIN_PRIVATE_H

#include <sys/stat.h>

#include "core/core.h"

/*
 * Open path read-only without following a final symlink and check that it
 * is a regular file (its stat in *st). Returns the descriptor, or -1 with
 * err set: PERR_NOTFOUND when it does not exist, PERR_INTERNAL otherwise.
 */
int admin_open_regular(const char *path, struct stat *st, struct arena *a,
                       struct perr *err);

#endif
