/*
 * Snooze: a message waits in the Snoozed folder until its wake time,
 * recorded in the store (src/store/snooze.c), then comes back to INBOX
 * unread and first in the list.
 *
 * Finding it again: the MOVE's COPYUID gives the UID it got in the
 * Snoozed folder; while that folder's UIDVALIDITY stays the same, a
 * missing UID means the user deleted it or moved it out, and the snooze
 * is dropped. Without a UID (no UIDPLUS, or a crash before it was
 * written) or after a UIDVALIDITY change it is looked up by Message-ID.
 *
 * Coming back first: the list sorts by the Date header (RFC 5256 DATE,
 * newest first), so the copy APPENDed to INBOX has its Date set to the
 * wake time (the old one kept as X-Petrel-Snoozed-Date) and INTERNALDATE
 * now, which puts it first under both the date and the arrival order.
 * It returns to INBOX whatever folder it came from: the point of a
 * snooze is to turn up where the user looks (the origin is kept only to
 * show in the Snoozed view). A row marked returned after the APPEND is
 * never appended again; only the Snoozed copy is left to delete.
 */
#include <string.h>
#include <strings.h>

#include "mail_private.h"
#include "core/banned.h"

#define SNOOZE_OLD_DATE "X-Petrel-Snoozed-Date"

int
mail_snooze_folder(struct mail_session *s, bool create, const char **path_r,
                   struct perr *err)
{
	struct imap_folder *f;
	const char *named = NULL, *path;
	char delim = '\0';
	size_t i, n;

	*path_r = NULL;
	if (s->ops->folders(s->backend, s->a, &f, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (f[i].flags & IMAP_FOLDER_NOSELECT)
			continue;
		if (f[i].flags & IMAP_FOLDER_SNOOZED) {
			*path_r = f[i].path;
			return 0;
		}
		if (f[i].special == IMAP_SPECIAL_INBOX)
			delim = f[i].delimiter;
		if (strcasecmp(f[i].name, MAIL_SNOOZE_FOLDER) == 0 &&
		    (named == NULL || f[i].depth == 0))
			named = f[i].path;
	}
	if (named != NULL || !create) {
		*path_r = named;
		return 0;
	}
	path = MAIL_SNOOZE_FOLDER;
	if (s->ops->folder_create(s->backend, path, s->a, err) != 0) {
		/* A server whose folders all live under INBOX. */
		if (err->kind != PERR_REMOTE || delim == '\0')
			return -1;
		perr_clear(err);
		path = arena_printf(s->a, "INBOX%c%s", delim,
		                    MAIL_SNOOZE_FOLDER);
		if (s->ops->folder_create(s->backend, path, s->a, err) != 0)
			return -1;
	}
	if (s->ops->folder_subscribe(s->backend, path, s->a, err) != 0) {
		log_warn("snooze: %s not subscribed: %s", path, err->msg);
		perr_clear(err);
	}
	*path_r = path;
	return 0;
}

/* The snoozed folder's UIDVALIDITY (a Message-ID search for nothing). */
static int
folder_uidvalidity(struct mail_session *s, const char *folder, uint32_t *uv_r,
                   struct perr *err)
{
	uint32_t none;

	return s->ops->find_message_id(s->backend, folder, "", s->a, uv_r,
	                               &none, err);
}

/* Seal the password for row id (seal NULL: nothing to seal). */
static int
seal_row(struct mail_session *s, int64_t id, mail_seal_fn *seal, void *seal_ctx,
         struct perr *err)
{
	struct strv sealed;

	if (seal == NULL)
		return 0;
	if (seal(seal_ctx, id, s->a, &sealed, err) != 0)
		return -1;
	return store_snooze_seal(s->store, id, sealed, s->a, err);
}

static int
snooze_one(struct mail_session *s, const char *folder, uint32_t uid,
           const char *snoozed, int64_t until, int64_t now, mail_seal_fn *seal,
           void *seal_ctx, struct perr *err)
{
	struct store_snooze r = {0};
	struct imap_message m;
	uint32_t uv = 0, nuid = 0;
	int64_t id;

	if (s->ops->fetch_message(s->backend, folder, uid, s->a, &m, err) != 0)
		return -1;
	r.user = s->user;
	r.folder = snoozed;
	r.message_id = m.env.message_id != NULL ? m.env.message_id : "";
	r.origin = folder;
	r.until = until;
	if (strcmp(folder, snoozed) == 0) {
		/* Already there: a new time (or a row for one moved by hand).
		 */
		if (folder_uidvalidity(s, snoozed, &r.uidvalidity, err) != 0)
			return -1;
		r.uid = uid;
		if (store_snooze_put(s->store, &r, now, &id, s->a, err) != 0)
			return -1;
		return seal_row(s, id, seal, seal_ctx, err);
	}
	/*
	 * The row first (UID unknown): a crash after the MOVE leaves a row
	 * that finds the message by Message-ID, never a snoozed message
	 * that nothing wakes.
	 */
	if (store_snooze_put(s->store, &r, now, &id, s->a, err) != 0)
		return -1;
	if (seal_row(s, id, seal, seal_ctx, err) != 0 ||
	    s->ops->move_found(s->backend, folder, uid, snoozed, s->a, &uv,
	                       &nuid, err) != 0) {
		struct perr ignored = {0};

		if (store_snooze_delete(s->store, id, s->a, &ignored) != 0)
			log_warn("snooze: row %lld left: %s", (long long)id,
			         ignored.msg);
		return -1;
	}
	/* No COPYUID (no UIDPLUS): look it up once now, by Message-ID. */
	if (nuid == 0 && r.message_id[0] != '\0' &&
	    s->ops->find_message_id(s->backend, snoozed, r.message_id, s->a,
	                            &uv, &nuid, err) != 0) {
		log_warn("snooze: %s not found in %s yet: %s", r.message_id,
		         snoozed, err->msg);
		perr_clear(err);
		nuid = 0;
	}
	if (nuid != 0 &&
	    store_snooze_set_uid(s->store, id, uv, nuid, s->a, err) != 0)
		return -1;
	return 0;
}

int
mail_snooze(struct mail_session *s, const char *folder, const uint32_t *uids,
            size_t n, int64_t until, int64_t now, mail_seal_fn *seal,
            void *seal_ctx, const char **folder_r, size_t *done_r,
            struct perr *err)
{
	const char *snoozed;
	size_t i;

	*done_r = 0;
	*folder_r = NULL;
	if (until <= now)
		return perr_set(err, s->a, PERR_INPUT,
		                "the wake time is not in the future");
	if (until - now > MAIL_SNOOZE_MAX_AHEAD)
		return perr_set(err, s->a, PERR_INPUT,
		                "the wake time is too far ahead");
	if (n > MAIL_SNOOZE_MAX)
		return perr_set(err, s->a, PERR_LIMIT,
		                "at most %d messages at once", MAIL_SNOOZE_MAX);
	if (mail_snooze_folder(s, true, &snoozed, err) != 0)
		return -1;
	*folder_r = snoozed;
	for (i = 0; i < n; i++) {
		if (snooze_one(s, folder, uids[i], snoozed, until, now, seal,
		               seal_ctx, err) != 0)
			return -1;
		(*done_r)++;
	}
	return 0;
}

/* The end of the header block: the offset of its empty line (or len). */
static size_t
header_end(struct strv raw)
{
	size_t i;

	for (i = 0; i < raw.len; i++) {
		if (i == 0 || raw.p[i - 1] == '\n') {
			if (raw.p[i] == '\n' ||
			    (raw.p[i] == '\r' && i + 1 < raw.len &&
			     raw.p[i + 1] == '\n'))
				return i;
		}
	}
	return raw.len;
}

/* Whether the header line at p (up to end) is field name. */
static bool
field_is(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(end - p) <= n || strncasecmp(p, name, n) != 0)
		return false;
	p += n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p < end && *p == ':';
}

int
mail_snooze_rewrite(struct strv raw, int64_t now, struct arena *a,
                    struct strv *out_r, struct perr *err)
{
	size_t hend = header_end(raw);
	const char *p = raw.p, *end = raw.p + hend, *d0 = NULL, *d1 = NULL;
	const char *old = mail_eml_header(a, raw, "Date");
	bool kept = mail_eml_header(a, raw, SNOOZE_OLD_DATE) != NULL;
	struct sbuf b;

	/* The first Date field with its folded lines: [d0, d1). */
	while (p < end && d0 == NULL) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol != NULL ? eol + 1 : end;

		if (field_is(p, end, "Date")) {
			d0 = p;
			while (next < end && (*next == ' ' || *next == '\t')) {
				eol = memchr(next, '\n', (size_t)(end - next));
				next = eol != NULL ? eol + 1 : end;
			}
			d1 = next;
		}
		p = next;
	}
	/* The old value is at most 4 KiB (mail_eml_header's bound). */
	sbuf_init(&b, a, raw.len + 128, raw.len + 8192);
	if (d0 == NULL) {
		/*
		 * No Date: the new one goes first, or (a broken header that
		 * starts with a folded line, which would fold into it) last.
		 */
		d0 = d1 = raw.p;
		if (hend > 0 && (raw.p[0] == ' ' || raw.p[0] == '\t') &&
		    raw.p[hend - 1] == '\n')
			d0 = d1 = raw.p + hend;
	}
	sbuf_append(&b, raw.p, (size_t)(d0 - raw.p));
	mime_put_date(&b, now);
	if (old != NULL && !kept && strpbrk(old, "\r\n") == NULL)
		sbuf_printf(&b, SNOOZE_OLD_DATE ": %s\r\n", old);
	sbuf_append(&b, d1, raw.len - (size_t)(d1 - raw.p));
	if (!sbuf_ok(&b))
		return perr_set(err, a, PERR_LIMIT, "message too large");
	*out_r = sbuf_view(&b);
	return 0;
}

/*
 * Where r's message is now: 1 with *uid_r and *m_r, 0 when it is gone,
 * -1 on a failure.
 */
static int
locate(struct mail_session *s, const struct store_snooze *r, uint32_t *uid_r,
       struct imap_message *m_r, struct perr *err)
{
	uint32_t uv = 0, uid = 0;
	bool by_id = false;

	*uid_r = 0;
	if (folder_uidvalidity(s, r->folder, &uv, err) != 0)
		return err->kind == PERR_NOTFOUND ? 0 : -1;
	if (r->uid != 0 && uv == r->uidvalidity) {
		uid = r->uid;
	} else if (r->message_id[0] != '\0') {
		if (s->ops->find_message_id(s->backend, r->folder,
		                            r->message_id, s->a, &uv, &uid,
		                            err) != 0)
			return -1;
		by_id = true;
	}
	if (uid == 0)
		return 0;
	if (s->ops->fetch_message(s->backend, r->folder, uid, s->a, m_r, err) !=
	    0)
		return err->kind == PERR_NOTFOUND ? 0 : -1;
	/* SEARCH HEADER matches substrings: only the same id counts. */
	if (by_id && (m_r->env.message_id == NULL ||
	              strcmp(m_r->env.message_id, r->message_id) != 0))
		return 0;
	*uid_r = uid;
	return 1;
}

int
mail_snooze_wake(struct mail_session *s, const struct store_snooze *r,
                 int64_t now, struct perr *err)
{
	struct imap_message m;
	struct strv raw, woken;
	struct perr ignored = {0};
	uint32_t uid, inbox_uid = 0;
	int found;

	found = locate(s, r, &uid, &m, err);
	if (found < 0)
		return -1;
	if (found == 0) {
		if (store_snooze_delete(s->store, r->id, s->a, err) != 0)
			return -1;
		return r->state == STORE_SNOOZE_RETURNED ? 1 : 0;
	}
	if (r->state == STORE_SNOOZE_WAITING) {
		if (s->ops->fetch_section(s->backend, r->folder, uid, NULL,
		                          s->a, &raw, err) != 0 ||
		    mail_snooze_rewrite(raw, now, s->a, &woken, err) != 0 ||
		    s->ops->append_at(s->backend, "INBOX",
		                      m.flags & (IMAP_MSG_FLAGGED |
		                                 IMAP_MSG_ANSWERED |
		                                 IMAP_MSG_FORWARDED),
		                      now, woken, s->a, &inbox_uid, err) != 0)
			return -1;
		/*
		 * Should this fail, a retry appends once more: the one
		 * window for a duplicate, as narrow as the store allows.
		 */
		if (store_snooze_returned(s->store, r->id, s->a, &ignored) != 0)
			log_warn("snooze: row %lld not marked returned: %s",
			         (long long)r->id, ignored.msg);
	}
	if (s->ops->delete_message(s->backend, r->folder, uid, s->a, err) != 0)
		return -1;
	if (store_snooze_delete(s->store, r->id, s->a, err) != 0)
		return -1;
	return 1;
}

int
mail_unsnooze(struct mail_session *s, const uint32_t *uids, size_t n,
              int64_t now, size_t *done_r, struct perr *err)
{
	const char *snoozed;
	struct store_snooze r;
	uint32_t uv;
	size_t i;
	int rc;

	*done_r = 0;
	if (n > MAIL_SNOOZE_MAX)
		return perr_set(err, s->a, PERR_LIMIT,
		                "at most %d messages at once", MAIL_SNOOZE_MAX);
	if (mail_snooze_folder(s, false, &snoozed, err) != 0)
		return -1;
	if (snoozed == NULL)
		return perr_set(err, s->a, PERR_NOTFOUND, "nothing is snoozed");
	if (folder_uidvalidity(s, snoozed, &uv, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		rc = store_snooze_find(s->store, s->user, snoozed, uv, uids[i],
		                       s->a, &r, err);
		if (rc == 0)
			return perr_set(err, s->a, PERR_NOTFOUND,
			                "message %u is not snoozed",
			                (unsigned)uids[i]);
		if (rc < 0 || (rc = mail_snooze_wake(s, &r, now, err)) < 0)
			return -1;
		if (rc == 1)
			(*done_r)++;
	}
	return 0;
}
