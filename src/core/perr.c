#include <errno.h>
#include <stdio.h>

#include "core.h"
#include "banned.h"

int
perr_set_at(struct perr *err, struct arena *a, enum perr_kind kind,
            const char *where, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (err == NULL)
		return -1;
	err->kind = kind;
	err->where = where;
	if (a != NULL) {
		va_start(ap, fmt);
		msg = arena_vprintf(a, fmt, ap);
		va_end(ap);
	}
	/* A full arena must not lose the error itself, only its detail. */
	err->msg = msg != NULL ? msg : perr_kind_name(kind);
	return -1;
}

void
perr_clear(struct perr *err)
{
	err->kind = PERR_OK;
	err->msg = NULL;
	err->where = NULL;
}

const char *
perr_kind_name(enum perr_kind kind)
{
	switch (kind) {
	case PERR_OK:
		return "ok";
	case PERR_INPUT:
		return "invalid input";
	case PERR_AUTH:
		return "authentication required";
	case PERR_FORBIDDEN:
		return "forbidden";
	case PERR_NOTFOUND:
		return "not found";
	case PERR_METHOD:
		return "method not allowed";
	case PERR_CONFLICT:
		return "conflict";
	case PERR_LIMIT:
		return "too large";
	case PERR_RATE:
		return "too many requests";
	case PERR_TEMPFAIL:
		return "temporarily unavailable";
	case PERR_REMOTE:
		return "remote server error";
	case PERR_INTERNAL:
		return "internal error";
	case PERR_NOSPACE:
		return "insufficient storage";
	}
	return "unknown error";
}

enum perr_kind
perr_kind_of_errno(int e)
{
	if (e == ENOSPC)
		return PERR_NOSPACE;
#ifdef EDQUOT
	if (e == EDQUOT)
		return PERR_NOSPACE;
#endif
	return PERR_INTERNAL;
}
