/* Shared inside src/mail only. */
#ifndef PETREL_MAIL_PRIVATE_H
#define PETREL_MAIL_PRIVATE_H

#include "mail.h"

/* Append s (not copied) to l, growing it in a; -1 when a is full. */
int mail_strings_add(struct mail_strings *l, const char *s, struct arena *a);

/* The folder with that special use, else fallback (errors ignored). */
const char *mail_special_folder(struct mail_session *s, enum imap_special want,
                                const char *fallback);

/* APPEND; a missing folder is created once. */
int mail_append_to(struct mail_session *s, const char *folder, unsigned flags,
                   struct strv msg, uint32_t *uid_r, struct perr *err);

/* Remove an old draft (uid 0: none); a failure is only logged. */
void mail_drop_draft(struct mail_session *s, const char *drafts, uint32_t uid);

#endif
