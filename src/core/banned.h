/*
 * Included last by every .c file of Petrel: these functions either cannot
 * know the size of their destination or silently truncate. Use sbuf_*,
 * pt_strlcpy, pt_snprintf_ok and pt_parse_u64 instead.
 */
#ifndef PETREL_BANNED_H
#define PETREL_BANNED_H
/*
 * With clang and _FORTIFY_SOURCE (the Release build), glibc makes some of
 * them macros over the checked builtins; poisoning a defined macro is an
 * error, and the names are banned whatever they expand to.
 */
#ifdef sprintf
#undef sprintf
#endif
#ifdef vsprintf
#undef vsprintf
#endif
#ifdef strcpy
#undef strcpy
#endif
#ifdef strcat
#undef strcat
#endif
#ifdef strncpy
#undef strncpy
#endif
#ifdef strncat
#undef strncat
#endif
#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok strncpy strncat  \
        atoi atol
#endif
