/*
 * mail_ops_real: the service's IMAP and SMTP steps on src/imap and
 * src/smtp. The connection comes from the backend's callback on every
 * call (web hands out the one it checked out of the pool for the
 * request), so a call that needs no server never connects.
 */
#include <string.h>

#include "mail_private.h"
#include "core/banned.h"

static int
conn(void *b, struct imap_conn **c_r, struct perr *err)
{
	struct mail_real *r = b;

	return r->imap(r->arg, c_r, err);
}

static int
real_fetch_message(void *b, const char *folder, uint32_t uid, struct arena *a,
                   struct imap_message *m_r, struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_fetch_message(c, folder, uid, a, m_r, err);
}

static int
real_fetch_section(void *b, const char *folder, uint32_t uid,
                   const char *section, struct arena *a, struct strv *data_r,
                   struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_fetch_section(c, folder, uid, section, a, data_r, err);
}

static int
real_fetch_section_chunks(void *b, const char *folder, uint32_t uid,
                          const char *section, size_t chunk,
                          imap_chunk_fn *sink, void *arg, struct arena *a,
                          struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_fetch_section_chunks(c, folder, uid, section, chunk, sink,
	                                 arg, a, err);
}

static int
real_folders(void *b, struct arena *a, struct imap_folder **v_r, size_t *n_r,
             struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_folders(c, a, v_r, n_r, err);
}

static int
real_folder_create(void *b, const char *path, struct arena *a, struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_folder_create(c, path, a, err);
}

static int
real_folder_empty(void *b, const char *path, struct arena *a, struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_folder_empty(c, path, a, err);
}

static int
real_append(void *b, const char *folder, unsigned flags, struct strv msg,
            struct arena *a, uint32_t *uid_r, struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_append(c, folder, flags, 0, msg, a, uid_r, err);
}

static int
real_add_flags(void *b, const char *folder, uint32_t uid, unsigned flags,
               struct arena *a, struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_set_flags(c, folder, &uid, 1, IMAP_FLAGS_ADD, flags, NULL,
	                      0, a, err);
}

static int
real_delete_message(void *b, const char *folder, uint32_t uid, struct arena *a,
                    struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_delete_messages(c, folder, &uid, 1, true, a, err);
}

static int
real_smtp_send(void *b, const struct smtp_envelope *env, struct strv msg,
               struct arena *a, struct smtp_failure *fail_r, struct perr *err)
{
	struct mail_real *r = b;
	const struct config_domain *dom;
	struct smtp_login login;

	memset(fail_r, 0, sizeof(*fail_r));
	if (r->smtp(r->arg, a, &dom, &login, err) != 0)
		return -1;
	return smtp_send(dom, &login, env, msg, a, fail_r, err);
}

static int
real_move_found(void *b, const char *folder, uint32_t uid, const char *to,
                struct arena *a, uint32_t *uidvalidity_r, uint32_t *uid_r,
                struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_move_found(c, folder, uid, to, a, uidvalidity_r, uid_r,
	                       err);
}

static int
real_find_message_id(void *b, const char *folder, const char *message_id,
                     struct arena *a, uint32_t *uidvalidity_r, uint32_t *uid_r,
                     struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_find_message_id(c, folder, message_id, a, uidvalidity_r,
	                            uid_r, err);
}

static int
real_append_at(void *b, const char *folder, unsigned flags, int64_t date,
               struct strv msg, struct arena *a, uint32_t *uid_r,
               struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_append(c, folder, flags, date, msg, a, uid_r, err);
}

static int
real_folder_subscribe(void *b, const char *path, struct arena *a,
                      struct perr *err)
{
	struct imap_conn *c;

	if (conn(b, &c, err) != 0)
		return -1;
	return imap_folder_subscribe(c, path, true, a, err);
}

const struct mail_ops mail_ops_real = {
        .fetch_message = real_fetch_message,
        .fetch_section = real_fetch_section,
        .fetch_section_chunks = real_fetch_section_chunks,
        .folders = real_folders,
        .folder_create = real_folder_create,
        .folder_empty = real_folder_empty,
        .append = real_append,
        .add_flags = real_add_flags,
        .delete_message = real_delete_message,
        .smtp_send = real_smtp_send,
        .move_found = real_move_found,
        .find_message_id = real_find_message_id,
        .append_at = real_append_at,
        .folder_subscribe = real_folder_subscribe,
};

/* ---- helpers shared by the service files -------------------------------- */

int
mail_strings_add(struct mail_strings *l, const char *s, struct arena *a)
{
	/* Capacity doubles at powers of two: n says it. */
	if (l->n == 0 || (l->n & (l->n - 1)) == 0) {
		size_t cap = l->n == 0 ? 4 : l->n * 2;
		const char **v = arena_new_array(a, const char *, cap);

		if (v == NULL)
			return -1;
		if (l->n > 0)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
	}
	l->v[l->n++] = s;
	return 0;
}

const char *
mail_special_folder(struct mail_session *s, enum imap_special want,
                    const char *fallback)
{
	struct imap_folder *fl;
	struct perr err = {0};
	size_t n, i;

	if (s->ops->folders(s->backend, s->a, &fl, &n, &err) == 0)
		for (i = 0; i < n; i++)
			if (fl[i].special == want)
				return fl[i].path;
	return fallback;
}

int
mail_append_to(struct mail_session *s, const char *folder, unsigned flags,
               struct strv msg, uint32_t *uid_r, struct perr *err)
{
	if (s->ops->append(s->backend, folder, flags, msg, s->a, uid_r, err) ==
	    0)
		return 0;
	if (err->kind != PERR_NOTFOUND && err->kind != PERR_REMOTE)
		return -1;
	perr_clear(err);
	if (s->ops->folder_create(s->backend, folder, s->a, err) != 0)
		return -1;
	return s->ops->append(s->backend, folder, flags, msg, s->a, uid_r, err);
}

void
mail_drop_draft(struct mail_session *s, const char *drafts, uint32_t uid)
{
	struct perr err = {0};

	if (uid == 0 ||
	    s->ops->delete_message(s->backend, drafts, uid, s->a, &err) == 0)
		return;
	/*
	 * A lost connection (PERR_TEMPFAIL): once more, on a new one.
	 * Deleting one UID is safe to repeat (UIDs are never reused), and
	 * the old version would otherwise stay beside the new one.
	 */
	if (err.kind == PERR_TEMPFAIL) {
		perr_clear(&err);
		if (s->ops->delete_message(s->backend, drafts, uid, s->a,
		                           &err) == 0)
			return;
	}
	log_warn("compose: old draft %u not deleted: %s", uid, err.msg);
}
