/* Shared inside src/sieve only. */
#ifndef PETREL_SIEVE_PRIVATE_H
#define PETREL_SIEVE_PRIVATE_H

#include "sieve.h"

enum sievep_ext {
	SIEVEP_EXT_BODY,
	SIEVEP_EXT_COPY,
	SIEVEP_EXT_DATE,
	SIEVEP_EXT_FILEINTO,
	SIEVEP_EXT_IMAP4FLAGS,
	SIEVEP_EXT_MAILBOX,
	SIEVEP_EXT_REGEX,
	SIEVEP_EXT_REJECT,
	SIEVEP_EXT_RELATIONAL,
	SIEVEP_EXT_VACATION,
	SIEVEP_EXT_COUNT
};

extern const char *const sievep_ext_names[SIEVEP_EXT_COUNT];

/* The days of a vacation that was never set (it is then not written). */
#define SIEVEP_VACATION_DAYS_DEFAULT 7

/* s as a Sieve quoted string; "\n" is written as CRLF. */
void sievep_put_string(struct sbuf *out, const char *s);
/* True for a vacation that is off and empty: no block is written. */
bool sievep_vacation_is_default(const struct sieve_vacation *v);

#endif
