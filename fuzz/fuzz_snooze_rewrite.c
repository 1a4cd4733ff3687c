/*
 * The Date rewrite of a woken snoozed message (mail_snooze_rewrite in
 * src/mail/snooze.c), fed the message as the server stores it, which
 * its sender wrote: arbitrary bytes must never crash it or fail it; the
 * body (everything from the header block's empty line on) comes out
 * byte for byte; the new Date line is in the header block, whole, at
 * the start of a line; nothing else is lost (the output is the input
 * with one field replaced and at most two lines added).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEW_DATE "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n"

/* Where the header block ends, as the rewrite reads it. */
static size_t
header_end(struct strv raw)
{
	size_t i;

	for (i = 0; i < raw.len; i++)
		if ((i == 0 || raw.p[i - 1] == '\n') &&
		    (raw.p[i] == '\n' || (raw.p[i] == '\r' && i + 1 < raw.len &&
		                          raw.p[i + 1] == '\n')))
			return i;
	return raw.len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_create("fuzz", 64 * 1024, 0);
	struct strv in = {(const char *)data, size}, out;
	struct perr err;
	size_t hend = header_end(in), body = size - hend, i;
	bool found = false;

	if (mail_snooze_rewrite(in, 0, a, &out, &err) != 0)
		abort(); /* nothing is refused */
	if (out.len < body || (body > 0 && memcmp(out.p + out.len - body,
	                                          in.p + hend, body) != 0))
		abort(); /* the body changed */
	for (i = 0; i + strlen(NEW_DATE) <= out.len - body; i++)
		if ((i == 0 || out.p[i - 1] == '\n') &&
		    memcmp(out.p + i, NEW_DATE, strlen(NEW_DATE)) == 0)
			found = true;
	if (!found)
		abort(); /* no new Date line in the header */
	/* One field out, the new Date and maybe X-Petrel-Snoozed-Date in. */
	if (out.len > size + strlen(NEW_DATE) + 8192)
		abort();
	arena_destroy(&a);
	return 0;
}
