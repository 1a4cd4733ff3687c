/*
 * Folder steps that take more than one IMAP command: emptying (only the
 * Trash and Junk folders: a slip costs too much elsewhere) and making
 * sure folders exist (filter rules that file into new folders).
 */
#include <string.h>

#include "mail_private.h"
#include "core/banned.h"

int
mail_folder_empty(struct mail_session *s, const char *path, struct perr *err)
{
	struct imap_folder *f;
	size_t i, n;

	if (s->ops->folders(s->backend, s->a, &f, &n, err) != 0)
		return -1;
	for (i = 0; i < n && strcmp(f[i].path, path) != 0; i++)
		;
	if (i == n)
		return perr_set(err, s->a, PERR_NOTFOUND, "no such folder");
	if (f[i].special != IMAP_SPECIAL_TRASH &&
	    f[i].special != IMAP_SPECIAL_JUNK)
		return perr_set(err, s->a, PERR_INPUT,
		                "only Trash and Junk can be emptied");
	return s->ops->folder_empty(s->backend, path, s->a, err);
}

int
mail_folders_ensure(struct mail_session *s, const char *const *paths,
                    size_t n_paths, struct perr *err)
{
	struct imap_folder *f;
	size_t n, i, k;

	if (n_paths == 0)
		return 0;
	if (s->ops->folders(s->backend, s->a, &f, &n, err) != 0)
		return -1;
	for (i = 0; i < n_paths; i++) {
		for (k = 0; k < i && strcmp(paths[k], paths[i]) != 0; k++)
			;
		if (k < i)
			continue; /* named twice: made the first time */
		for (k = 0; k < n && strcmp(f[k].path, paths[i]) != 0; k++)
			;
		if (k == n &&
		    s->ops->folder_create(s->backend, paths[i], s->a, err) != 0)
			return -1;
	}
	return 0;
}
