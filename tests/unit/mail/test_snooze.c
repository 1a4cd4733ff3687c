/*
 * Snooze (src/mail/snooze.c) on a fake IMAP server and a real store: the
 * move into the Snoozed folder (made and subscribed when missing), the
 * wake step (back in INBOX unread with a new Date, the Snoozed copy and
 * the row gone), the message found again by Message-ID when the UID is
 * unknown or UIDVALIDITY changed, a deleted message dropping its row,
 * and a failed step retried without a second APPEND.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../support/temp_dir.h"

#include "mail/mail.h"

#define USER "alice@example.test"
#define RAW                                                                    \
	"From: bob@example.org\r\n"                                            \
	"Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n"                             \
	"Message-ID: <m1@example.org>\r\n"                                     \
	"Subject: hello\r\n"                                                   \
	"\r\n"                                                                 \
	"Date: in the body stays\r\n"

/* ---- the fake server ------------------------------------------------------
 */

struct fmsg {
	char folder[32];
	uint32_t uid;
	unsigned flags;
	const char *message_id;
	struct strv raw;
	int64_t internaldate;
	bool gone;
};

struct fake {
	struct arena *a;
	struct fmsg msgs[16];
	size_t n;
	bool has_snoozed; /* the Snoozed folder exists */
	const char *snoozed_name;
	bool flag_snoozed;    /* LIST says \Snoozed for it */
	bool no_uidplus;      /* move_found reports no UID */
	uint32_t uidvalidity; /* of every folder */
	uint32_t next_uid;
	enum perr_kind append_fails, delete_fails;
	unsigned appends;
	struct sbuf log;
};

static void PT_PRINTF(2, 3) note(struct fake *f, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sbuf_append_cstr(&f->log, buf);
	sbuf_append_char(&f->log, ';');
}

static struct fmsg *
find(struct fake *f, const char *folder, uint32_t uid)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!f->msgs[i].gone && f->msgs[i].uid == uid &&
		    strcmp(f->msgs[i].folder, folder) == 0)
			return &f->msgs[i];
	return NULL;
}

static struct fmsg *
add(struct fake *f, const char *folder, const char *message_id, struct strv raw,
    unsigned flags)
{
	struct fmsg *m = &f->msgs[f->n++];

	assert_true(f->n <= PT_NELEM(f->msgs));
	assert_true(pt_strlcpy(m->folder, folder, sizeof(m->folder)));
	m->uid = ++f->next_uid;
	m->message_id = message_id;
	m->raw = raw;
	m->flags = flags;
	return m;
}

static bool
folder_exists(struct fake *f, const char *folder)
{
	return strcmp(folder, "INBOX") == 0 || strcmp(folder, "Archive") == 0 ||
	       (f->has_snoozed && strcmp(folder, f->snoozed_name) == 0);
}

static int
fake_fetch_message(void *b, const char *folder, uint32_t uid, struct arena *a,
                   struct imap_message *m_r, struct perr *err)
{
	struct fmsg *m = find(b, folder, uid);

	if (m == NULL)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	memset(m_r, 0, sizeof(*m_r));
	m_r->uid = uid;
	m_r->flags = m->flags;
	m_r->env.message_id = m->message_id;
	return 0;
}

static int
fake_fetch_section(void *b, const char *folder, uint32_t uid,
                   const char *section, struct arena *a, struct strv *data_r,
                   struct perr *err)
{
	struct fmsg *m = find(b, folder, uid);

	assert_null(section);
	if (m == NULL)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	*data_r = m->raw;
	return 0;
}

static int
fake_folders(void *b, struct arena *a, struct imap_folder **v_r, size_t *n_r,
             struct perr *err)
{
	struct fake *f = b;
	struct imap_folder *v = arena_new_array(a, struct imap_folder, 3);
	size_t n = 0;

	(void)err;
	v[n].path = v[n].name = "INBOX";
	v[n++].special = IMAP_SPECIAL_INBOX;
	v[n].path = v[n].name = "Archive";
	v[n++].special = IMAP_SPECIAL_ARCHIVE;
	if (f->has_snoozed) {
		v[n].path = v[n].name = f->snoozed_name;
		v[n++].flags = f->flag_snoozed ? IMAP_FOLDER_SNOOZED : 0;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

static int
fake_folder_create(void *b, const char *path, struct arena *a, struct perr *err)
{
	struct fake *f = b;

	(void)a;
	(void)err;
	note(f, "create %s", path);
	f->has_snoozed = true;
	f->snoozed_name = "Snoozed";
	return 0;
}

static int
fake_folder_subscribe(void *b, const char *path, struct arena *a,
                      struct perr *err)
{
	(void)a;
	(void)err;
	note(b, "subscribe %s", path);
	return 0;
}

static int
fake_append_at(void *b, const char *folder, unsigned flags, int64_t date,
               struct strv msg, struct arena *a, uint32_t *uid_r,
               struct perr *err)
{
	struct fake *f = b;
	struct fmsg *m;

	if (f->append_fails != PERR_OK)
		return perr_set(err, a, f->append_fails, "append failed");
	f->appends++;
	note(f, "append %s", folder);
	m = add(f, folder, "", strv_from_cstr(strv_dup(f->a, msg)), flags);
	m->internaldate = date;
	*uid_r = m->uid;
	return 0;
}

static int
fake_delete_message(void *b, const char *folder, uint32_t uid, struct arena *a,
                    struct perr *err)
{
	struct fake *f = b;
	struct fmsg *m = find(f, folder, uid);

	if (f->delete_fails != PERR_OK)
		return perr_set(err, a, f->delete_fails, "delete failed");
	note(f, "delete %s %u", folder, (unsigned)uid);
	if (m != NULL)
		m->gone = true;
	return 0;
}

static int
fake_move_found(void *b, const char *folder, uint32_t uid, const char *to,
                struct arena *a, uint32_t *uidvalidity_r, uint32_t *uid_r,
                struct perr *err)
{
	struct fake *f = b;
	struct fmsg *m = find(f, folder, uid), *n;

	*uidvalidity_r = 0;
	*uid_r = 0;
	if (m == NULL)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	note(f, "move %s %u %s", folder, (unsigned)uid, to);
	n = add(f, to, m->message_id, m->raw, m->flags);
	m->gone = true;
	if (!f->no_uidplus) {
		*uidvalidity_r = f->uidvalidity;
		*uid_r = n->uid;
	}
	return 0;
}

static int
fake_find_message_id(void *b, const char *folder, const char *message_id,
                     struct arena *a, uint32_t *uidvalidity_r, uint32_t *uid_r,
                     struct perr *err)
{
	struct fake *f = b;
	size_t i;

	*uid_r = 0;
	if (!folder_exists(f, folder))
		return perr_set(err, a, PERR_NOTFOUND, "no such folder");
	*uidvalidity_r = f->uidvalidity;
	if (message_id[0] == '\0')
		return 0;
	note(f, "search %s", message_id);
	/* Substrings match, as IMAP SEARCH HEADER does. */
	for (i = 0; i < f->n; i++)
		if (!f->msgs[i].gone &&
		    strcmp(f->msgs[i].folder, folder) == 0 &&
		    strstr(f->msgs[i].message_id, message_id) != NULL)
			*uid_r = f->msgs[i].uid;
	return 0;
}

static const struct mail_ops fake_ops = {
        .fetch_message = fake_fetch_message,
        .fetch_section = fake_fetch_section,
        .folders = fake_folders,
        .folder_create = fake_folder_create,
        .delete_message = fake_delete_message,
        .move_found = fake_move_found,
        .find_message_id = fake_find_message_id,
        .append_at = fake_append_at,
        .folder_subscribe = fake_folder_subscribe,
};

/* ---- fixture ----------------------------------------------------------------
 */

struct fixture {
	char dir[64];
	struct arena *a;
	struct fake fake;
	struct mail_session s;
};

static int
setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct perr err = {0};

	unit_temp_dir(x->dir, sizeof(x->dir), "petrel-snooze");
	x->a = arena_create("test", 4096, 0);
	x->fake.a = x->a;
	x->fake.uidvalidity = 7;
	x->fake.next_uid = 10;
	sbuf_init(&x->fake.log, x->a, 256, 0);
	x->s.a = x->a;
	x->s.ops = &fake_ops;
	x->s.backend = &x->fake;
	x->s.user = USER;
	assert_int_equal(store_open(arena_printf(x->a, "%s/petrel.db", x->dir),
	                            &x->s.store, x->a, &err),
	                 0);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *x = *state;

	store_close(&x->s.store);
	arena_destroy(&x->a);
	unit_temp_dir_remove(x->dir);
	free(x);
	return 0;
}

/* The user's rows (asserting there are n). */
static struct store_snooze *
rows(struct fixture *x, size_t want)
{
	struct store_snooze *v;
	struct perr err;
	size_t n;

	assert_int_equal(
	        store_snooze_list(x->s.store, USER, 10, x->a, &v, &n, &err), 0);
	assert_int_equal(n, want);
	if (want > 0 && v == NULL) /* not reached; tells the compiler */
		abort();
	return v;
}

/* The one row, as the worker would claim it at now. */
static struct store_snooze
claim(struct fixture *x, int64_t now)
{
	struct store_snooze r;
	struct perr err;

	assert_int_equal(
	        store_snooze_claim(x->s.store, "t", now, 60, x->a, &r, &err),
	        1);
	return r;
}

/* The seal: "sealed-<row>", so a test sees it belongs to the row. */
static int
fake_seal(void *ctx, int64_t row, struct arena *a, struct strv *sealed_r,
          struct perr *err)
{
	(void)ctx;
	(void)err;
	*sealed_r =
	        strv_from_cstr(arena_printf(a, "sealed-%lld", (long long)row));
	return 0;
}

static void
snooze(struct fixture *x, const char *folder, uint32_t uid, int64_t until)
{
	const char *snoozed;
	struct perr err = {0};
	size_t done;

	assert_int_equal(mail_snooze(&x->s, folder, &uid, 1, until, 1000,
	                             fake_seal, NULL, &snoozed, &done, &err),
	                 0);
	assert_int_equal(done, 1);
	assert_string_equal(snoozed, x->fake.snoozed_name);
}

/* The live message of folder (there must be exactly one). */
static struct fmsg *
only(struct fixture *x, const char *folder)
{
	struct fmsg *m = NULL;
	size_t i;

	for (i = 0; i < x->fake.n; i++)
		if (!x->fake.msgs[i].gone &&
		    strcmp(x->fake.msgs[i].folder, folder) == 0) {
			assert_null(m);
			m = &x->fake.msgs[i];
		}
	assert_non_null(m);
	if (m == NULL) /* not reached; tells the compiler */
		abort();
	return m;
}

static size_t
count(struct fixture *x, const char *folder)
{
	size_t i, n = 0;

	for (i = 0; i < x->fake.n; i++)
		n += !x->fake.msgs[i].gone &&
		     strcmp(x->fake.msgs[i].folder, folder) == 0;
	return n;
}

/* ---- tests ------------------------------------------------------------------
 */

static void
test_snooze_then_wake_returns_it_unread_and_dated_now(void **state)
{
	struct fixture *x = *state;
	struct fmsg *m = add(&x->fake, "Archive", "<m1@example.org>",
	                     STRV_LIT(RAW), IMAP_MSG_SEEN | IMAP_MSG_FLAGGED);
	struct store_snooze *v, r;
	struct perr err = {0};
	const char *woken;
	int64_t when;

	snooze(x, "Archive", m->uid, 5000);
	/* Made, subscribed, moved: nothing left in Archive. */
	assert_string_equal(sbuf_cstr(&x->fake.log),
	                    "create Snoozed;subscribe Snoozed;"
	                    "move Archive 11 Snoozed;");
	assert_int_equal(count(x, "Archive"), 0);
	v = rows(x, 1);
	assert_string_equal(v[0].folder, "Snoozed");
	assert_int_equal(v[0].uid, only(x, "Snoozed")->uid);
	assert_int_equal(v[0].uidvalidity, 7);
	assert_string_equal(v[0].origin, "Archive");
	assert_string_equal(v[0].message_id, "<m1@example.org>");
	assert_int_equal(v[0].until, 5000);
	/* Not due before its time. */
	assert_int_equal(
	        store_snooze_claim(x->s.store, "t", 4999, 60, x->a, &r, &err),
	        0);
	r = claim(x, 5000);
	/* The password sealed for this row. */
	assert_string_equal(strv_dup(x->a, r.sealed),
	                    arena_printf(x->a, "sealed-%lld", (long long)r.id));
	assert_int_equal(mail_snooze_wake(&x->s, &r, 5000, &err), 1);
	/* Back in INBOX (not Archive), unread, still flagged, dated now. */
	assert_int_equal(count(x, "Snoozed"), 0);
	m = only(x, "INBOX");
	assert_int_equal(m->flags, IMAP_MSG_FLAGGED);
	assert_int_equal(m->internaldate, 5000);
	woken = strv_dup(x->a, m->raw);
	/* The Date replaced where it was, the old one kept after it. */
	assert_string_equal(woken,
	                    "From: bob@example.org\r\n"
	                    "Date: Thu, 1 Jan 1970 01:23:20 +0000\r\n"
	                    "X-Petrel-Snoozed-Date: Mon, 1 Jun 2026 10:00:00 "
	                    "+0000\r\n"
	                    "Message-ID: <m1@example.org>\r\n"
	                    "Subject: hello\r\n"
	                    "\r\n"
	                    "Date: in the body stays\r\n");
	(void)rows(x, 0);
	/* A second wake-up of the same (now gone) row finds nothing. */
	assert_int_equal(store_snooze_next_due(x->s.store, &when, x->a, &err),
	                 0);
}

static void
test_message_deleted_meanwhile_drops_the_row(void **state)
{
	struct fixture *x = *state;
	struct fmsg *m =
	        add(&x->fake, "INBOX", "<m1@example.org>", STRV_LIT(RAW), 0);
	struct store_snooze r;
	struct perr err = {0};

	snooze(x, "INBOX", m->uid, 5000);
	only(x, "Snoozed")->gone = true; /* the user deleted it */
	/* A copy with the same Message-ID elsewhere is not it. */
	(void)add(&x->fake, "Archive", "<m1@example.org>", STRV_LIT(RAW), 0);
	r = claim(x, 6000);
	assert_int_equal(mail_snooze_wake(&x->s, &r, 6000, &err), 0);
	assert_int_equal(x->fake.appends, 0);
	(void)rows(x, 0);
	/* Same UIDVALIDITY: the UID is trusted, no search was made. */
	assert_null(strstr(sbuf_cstr(&x->fake.log), "search"));
}

static void
test_unknown_uid_or_new_uidvalidity_searches_message_id(void **state)
{
	struct fixture *x = *state;
	struct fmsg *m =
	        add(&x->fake, "INBOX", "<m1@example.org>", STRV_LIT(RAW), 0);
	struct store_snooze r;
	struct perr err = {0};

	/* No COPYUID: the UID is looked up by Message-ID at once. */
	x->fake.no_uidplus = true;
	snooze(x, "INBOX", m->uid, 5000);
	assert_int_equal(rows(x, 1)[0].uid, only(x, "Snoozed")->uid);
	assert_non_null(
	        strstr(sbuf_cstr(&x->fake.log),
	               "move INBOX 11 Snoozed;search <m1@example.org>;"));
	/* A crash before the UID was written leaves it 0: found again. */
	assert_int_equal(store_snooze_set_uid(x->s.store, rows(x, 1)[0].id, 0,
	                                      0, x->a, &err),
	                 0);
	sbuf_reset(&x->fake.log);
	r = claim(x, 5000);
	assert_int_equal(r.uid, 0);
	assert_int_equal(mail_snooze_wake(&x->s, &r, 5000, &err), 1);
	assert_non_null(
	        strstr(sbuf_cstr(&x->fake.log), "search <m1@example.org>"));
	assert_int_equal(count(x, "INBOX"), 1);

	/* UIDVALIDITY changed: the stored UID is not trusted. */
	x->fake.no_uidplus = false;
	m = add(&x->fake, "INBOX", "<m2@example.org>", STRV_LIT(RAW), 0);
	snooze(x, "INBOX", m->uid, 6000);
	x->fake.uidvalidity = 8;
	/* Only a substring match: not the same message. */
	only(x, "Snoozed")->message_id = "<m2@example.org.other>";
	r = claim(x, 6000);
	assert_int_equal(mail_snooze_wake(&x->s, &r, 6000, &err), 0);
	assert_int_equal(count(x, "Snoozed"), 1);
	(void)rows(x, 0);
}

static void
test_failures_retry_without_a_second_append(void **state)
{
	struct fixture *x = *state;
	struct fmsg *m =
	        add(&x->fake, "INBOX", "<m1@example.org>", STRV_LIT(RAW), 0);
	struct store_snooze r;
	struct perr err = {0};

	snooze(x, "INBOX", m->uid, 5000);
	x->fake.append_fails = PERR_TEMPFAIL;
	r = claim(x, 5000);
	assert_int_equal(mail_snooze_wake(&x->s, &r, 5000, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_int_equal(rows(x, 1)[0].state, STORE_SNOOZE_WAITING);
	/* The APPEND works, the delete of the Snoozed copy does not. */
	x->fake.append_fails = PERR_OK;
	x->fake.delete_fails = PERR_TEMPFAIL;
	assert_int_equal(mail_snooze_wake(&x->s, &r, 5001, &err), -1);
	assert_int_equal(x->fake.appends, 1);
	assert_int_equal(rows(x, 1)[0].state, STORE_SNOOZE_RETURNED);
	/* The retry only deletes. */
	x->fake.delete_fails = PERR_OK;
	assert_int_equal(
	        store_snooze_retry(x->s.store, r.id, 5100, "x", x->a, &err), 0);
	r = claim(x, 5100);
	assert_int_equal(mail_snooze_wake(&x->s, &r, 5100, &err), 1);
	assert_int_equal(x->fake.appends, 1);
	assert_int_equal(count(x, "INBOX"), 1);
	assert_int_equal(count(x, "Snoozed"), 0);
	(void)rows(x, 0);
}

static void
test_existing_folder_resnooze_and_unsnooze(void **state)
{
	struct fixture *x = *state;
	struct fmsg *m =
	        add(&x->fake, "INBOX", "<m1@example.org>", STRV_LIT(RAW), 0);
	const char *snoozed;
	struct perr err = {0};
	uint32_t uid;
	size_t done;

	/* A \Snoozed folder of another name is used as it is. */
	x->fake.has_snoozed = true;
	x->fake.snoozed_name = "Later";
	x->fake.flag_snoozed = true;
	snooze(x, "INBOX", m->uid, 5000);
	assert_null(strstr(sbuf_cstr(&x->fake.log), "create"));
	uid = only(x, "Later")->uid;
	/* Snoozed again from the Snoozed view: the time moves, no move. */
	snooze(x, "Later", uid, 9000);
	assert_int_equal(rows(x, 1)[0].until, 9000);
	assert_int_equal(count(x, "Later"), 1);
	/* Bad times and unknown messages are refused. */
	assert_int_equal(mail_snooze(&x->s, "INBOX", &uid, 1, 999, 1000, NULL,
	                             NULL, &snoozed, &done, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(mail_snooze(&x->s, "INBOX", &uid, 1,
	                             1000 + MAIL_SNOOZE_MAX_AHEAD + 1, 1000,
	                             NULL, NULL, &snoozed, &done, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	{
		uint32_t nope = 999;

		assert_int_equal(
		        mail_unsnooze(&x->s, &nope, 1, 2000, &done, &err), -1);
		assert_int_equal(err.kind, PERR_NOTFOUND);
	}
	/* Unsnooze now: back in INBOX long before its time. */
	assert_int_equal(mail_unsnooze(&x->s, &uid, 1, 2000, &done, &err), 0);
	assert_int_equal(done, 1);
	assert_int_equal(count(x, "Later"), 0);
	assert_int_equal(only(x, "INBOX")->internaldate, 2000);
	(void)rows(x, 0);
}

static void
test_rewrite_date_forms(void **state)
{
	struct fixture *x = *state;
	struct perr err = {0};
	struct strv out;

	/* A folded Date goes whole; a kept old date stays the first one. */
	assert_int_equal(
	        mail_snooze_rewrite(
	                STRV_LIT("X-Petrel-Snoozed-Date: first\r\n"
	                         "date: Mon,\r\n 1 Jun 2026\r\nA: b\r\n\r\nx"),
	                0, x->a, &out, &err),
	        0);
	assert_string_equal(strv_dup(x->a, out),
	                    "X-Petrel-Snoozed-Date: first\r\n"
	                    "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n"
	                    "A: b\r\n\r\nx");
	/* No Date: one is put first; nothing to keep. */
	assert_int_equal(mail_snooze_rewrite(STRV_LIT("A: b\r\n\r\nDate: x"),
	                                     60, x->a, &out, &err),
	                 0);
	assert_string_equal(strv_dup(x->a, out),
	                    "Date: Thu, 1 Jan 1970 00:01:00 +0000\r\n"
	                    "A: b\r\n\r\nDate: x");
	/* A field that only starts with "Date" is not the Date. */
	assert_int_equal(
	        mail_snooze_rewrite(STRV_LIT("Dated: y\r\nDate: z\r\n\r\n"), 0,
	                            x->a, &out, &err),
	        0);
	assert_string_equal(strv_dup(x->a, out),
	                    "Dated: y\r\nDate: Thu, 1 Jan 1970 00:00:00 "
	                    "+0000\r\nX-Petrel-Snoozed-Date: z\r\n\r\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_snooze_then_wake_returns_it_unread_and_dated_now,
	                setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_message_deleted_meanwhile_drops_the_row, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_unknown_uid_or_new_uidvalidity_searches_message_id,
	                setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_failures_retry_without_a_second_append, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_existing_folder_resnooze_and_unsnooze, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_rewrite_date_forms, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
