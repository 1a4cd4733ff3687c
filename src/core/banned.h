/*
 * Included last by every .c file of Petrel: these functions either cannot
 * know the size of their destination or silently truncate. Use sbuf_*,
 * pt_strlcpy, pt_snprintf_ok and pt_parse_u64 instead.
 */
#ifndef PETREL_BANNED_H
#define PETREL_BANNED_H
#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok strncpy strncat  \
        atoi atol
#endif
