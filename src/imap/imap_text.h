/* Date helpers shared by text.c and list.c (private to src/imap/). */
#ifndef PETREL_IMAP_TEXT_H
#define PETREL_IMAP_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

/* Unix time of a civil date with a zone like +0200 written as 200. */
int64_t imapt_unix_time(int year, int month, int day, int hour, int min,
                        int sec, int zone);
/* RFC 5322 date -> unix time, 0 if it does not parse. */
int64_t imapt_parse_date(const char *s);

struct arena;
/* Sort key: i;unicode-casemap approximation (see text.c). */
const char *imapt_collate_key(const char *s, struct arena *a);

#endif
