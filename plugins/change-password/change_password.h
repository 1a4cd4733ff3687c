/* change-password: what its files share. */
#ifndef CHANGE_PASSWORD_H
#define CHANGE_PASSWORD_H

#include "petrel/plugin.h"

/* The longest password accepted (and sent anywhere). */
#define CP_PASSWORD_MAX 256

/*
 * A driver changes user's password from current to next, or refuses with
 * host->refuse() (a message for the user) and returns -1.
 */
int cp_hestia_change(const struct petrel_host *host, struct petrel_call *call,
                     const char *user, const char *current, const char *next);
int cp_passwd_file_change(const struct petrel_host *host,
                          struct petrel_call *call, const char *user,
                          const char *current, const char *next);

/* 0 (guessable) to 100 (strong): see strength.c. */
int cp_strength(const char *password);

#endif
