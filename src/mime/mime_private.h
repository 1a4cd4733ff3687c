/* Shared inside src/mime only. */
#ifndef PETREL_MIME_PRIVATE_H
#define PETREL_MIME_PRIVATE_H

#include "mime.h"

/* True if s holds no byte >= 0x80 (charset.c). */
bool mime_is_ascii(struct strv s);

/*
 * decode.c: the UTF-8 length of the bidi control (U+202A-202E,
 * U+2066-2069, U+200E, U+200F, U+061C) that NUL-terminated p starts with,
 * or 0; and s with each of them replaced by '_' (in a).
 */
size_t mime_bidi_control_len(const char *p);
const char *mime_bidi_neutral(const char *s, struct arena *a);

#endif
