/* Shared inside src/mime only. */
#ifndef PETREL_MIME_PRIVATE_H
#define PETREL_MIME_PRIVATE_H

#include "mime.h"

/* True if s holds no byte >= 0x80 (charset.c). */
bool mime_is_ascii(struct strv s);

#endif
