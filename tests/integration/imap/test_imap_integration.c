/*
 * imap against the real Dovecot of tests/harness/mailstack.py.
 *
 * Users: alice (folders, flags, search, threads), bob (the 10 000-message
 * folder "Big", filled once with fill-maildir), carol (pool and kick).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "imap/imap.h"
#include "stack.h"
#include "core/banned.h"

#define BIG_COUNT 10000

static struct arena *A;

static int
setup(void **state)
{
	(void)state;
	A = arena_create("itest", 64 * 1024, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_destroy(&A);
	return 0;
}

static void
dom_init(struct config_domain *d, unsigned port, enum config_secure sec)
{
	memset(d, 0, sizeof(*d));
	d->name = "example.test";
	d->imap_host = stack_get("MAILSTACK_HOST");
	d->imap_port = port;
	d->imap_secure = sec;
	d->verify_certificate = true;
	d->ca_file = "";
	d->connect_timeout = 5;
	d->read_timeout = 30;
}

static struct imap_conn *
login_as(const char *user)
{
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct perr err;

	dom_init(&d, stack_port("IMAP_PORT"), CONFIG_SECURE_NONE);
	if (imap_connect(&d, A, &c, &err) != 0)
		fail_msg("connect: %s", err.msg);
	if (imap_login(c, user, stack_password(user), &err) != 0)
		fail_msg("login: %s", err.msg);
	return c;
}

static void
bye(struct imap_conn **c)
{
	imap_logout(*c);
	imap_conn_destroy(c);
}

/* APPEND a small message; returns its UID. */
static uint32_t
append_msg(struct imap_conn *c, const char *folder, const char *from,
           const char *subject, const char *date, const char *extra_headers,
           const char *body, unsigned flags)
{
	char *m = arena_printf(A,
	                       "From: %s\r\nTo: alice@example.test\r\n"
	                       "Subject: %s\r\nDate: %s\r\n"
	                       "Message-ID: <%u.%s@test>\r\n%s"
	                       "MIME-Version: 1.0\r\n\r\n%s\r\n",
	                       from, subject, date, (unsigned)rand(), "itest",
	                       extra_headers, body);
	struct perr err;
	uint32_t uid = 0;

	if (imap_append(c, folder, flags, 0, strv_from_cstr(m), A, &uid,
	                &err) != 0)
		fail_msg("append: %s", err.msg);
	assert_true(uid > 0);
	return uid;
}

static const struct imap_folder *
find_folder(const struct imap_folder *fl, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(fl[i].path, path) == 0)
			return &fl[i];
	}
	return NULL;
}

static const struct imap_folder *
must_find(const struct imap_folder *fl, size_t n, const char *path)
{
	const struct imap_folder *f = find_folder(fl, n, path);

	if (f == NULL) {
		fail_msg("folder %s not listed", path);
		abort();
	}
	return f;
}

static void
try_delete(struct imap_conn *c, const char *path)
{
	struct perr err;

	if (imap_folder_delete(c, path, A, &err) != 0) {
		/* it did not exist */
	}
}

/* Create (or empty) a scratch folder for one test. */
static void
fresh_folder(struct imap_conn *c, const char *path)
{
	struct perr err;

	try_delete(c, path);
	if (imap_folder_create(c, path, A, &err) != 0)
		fail_msg("create %s: %s", path, err.msg);
}

/* ---- connection ---------------------------------------------------------- */

static void
test_login_ok_and_capabilities(void **state)
{
	struct imap_conn *c;

	(void)state;
	c = login_as("alice@example.test");
	assert_true(imap_conn_is_authenticated(c));
	/* read again after login: Dovecot only lists these once logged in */
	assert_true(imap_has_cap(c, IMAP_CAP_SORT));
	assert_true(imap_has_cap(c, IMAP_CAP_THREAD_REFERENCES));
	assert_true(imap_has_cap(c, IMAP_CAP_SPECIAL_USE));
	assert_true(imap_has_cap(c, IMAP_CAP_UIDPLUS));
	assert_true(imap_has_cap(c, IMAP_CAP_MOVE));
	assert_true(imap_has_cap(c, IMAP_CAP_LIST_STATUS));
	bye(&c);
}

static void
test_wrong_password_is_auth_error(void **state)
{
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct perr err;

	(void)state;
	dom_init(&d, stack_port("IMAP_PORT"), CONFIG_SECURE_NONE);
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imap_login(c, "alice@example.test", "wrong", &err),
	                 -1);
	assert_int_equal(err.kind, PERR_AUTH);
	assert_non_null(strstr(err.msg, "uthentication failed"));
	assert_null(strstr(err.msg, "wrong"));
	imap_conn_destroy(&c);
}

static void
test_server_down_is_tempfail_quickly(void **state)
{
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct perr err;
	uint64_t t0;

	(void)state;
	/* base port + 1: nothing listens there */
	dom_init(&d, stack_port("IMAP_PORT") - 142, CONFIG_SECURE_NONE);
	t0 = pt_now_ms_monotonic();
	assert_int_equal(imap_connect(&d, A, &c, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_null(c);
	assert_true(pt_now_ms_monotonic() - t0 < 3000);
}

static void
test_untrusted_certificate_refused_then_accepted_with_ca(void **state)
{
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct perr err;

	(void)state;
	dom_init(&d, stack_port("IMAPS_PORT"), CONFIG_SECURE_SSL);
	assert_int_equal(imap_connect(&d, A, &c, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_non_null(strstr(err.msg, "certificate"));

	d.ca_file = stack_get("CA_FILE");
	if (imap_connect(&d, A, &c, &err) != 0)
		fail_msg("imaps with CA: %s", err.msg);
	assert_int_equal(imap_login(c, "alice@example.test",
	                            stack_password("alice@example.test"), &err),
	                 0);
	bye(&c);
}

static void
test_starttls_login(void **state)
{
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct perr err;

	(void)state;
	dom_init(&d, stack_port("IMAP_PORT"), CONFIG_SECURE_TLS);
	/* untrusted first */
	assert_int_equal(imap_connect(&d, A, &c, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	d.ca_file = stack_get("CA_FILE");
	if (imap_connect(&d, A, &c, &err) != 0)
		fail_msg("starttls: %s", err.msg);
	assert_false(imap_has_cap(c, IMAP_CAP_STARTTLS));
	assert_int_equal(imap_login(c, "alice@example.test",
	                            stack_password("alice@example.test"), &err),
	                 0);
	bye(&c);
}

static void
test_crlf_values_cannot_add_commands(void **state)
{
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct imap_folder *fl;
	struct imap_list_query q;
	struct imap_msg_page page;
	struct perr err;
	size_t n;
	static const char *const hostile[] = {"x\r\nA1 CREATE Injected",
	                                      "x\nA1 CREATE Injected",
	                                      "x\rA1 CREATE Injected"};
	size_t i;

	(void)state;
	dom_init(&d, stack_port("IMAP_PORT"), CONFIG_SECURE_NONE);
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(
	        imap_login(c, "alice@example.test\r\nA1 LOGOUT", "x", &err),
	        -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(imap_login(c, "alice@example.test",
	                            "pw\r\nA1 CREATE Injected", &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(imap_login(c, "alice@example.test",
	                            stack_password("alice@example.test"), &err),
	                 0);
	for (i = 0; i < PT_NELEM(hostile); i++) {
		assert_int_equal(imap_folder_create(c, hostile[i], A, &err),
		                 -1);
		assert_int_equal(err.kind, PERR_INPUT);
		assert_int_equal(
		        imap_folder_rename(c, "INBOX2", hostile[i], A, &err),
		        -1);
		assert_int_equal(err.kind, PERR_INPUT);
		memset(&q, 0, sizeof(q));
		q.search = hostile[i];
		assert_int_equal(
		        imap_list_messages(c, "INBOX", &q, A, &page, &err), -1);
		assert_int_equal(err.kind, PERR_INPUT);
		assert_int_equal(
		        imap_list_messages(c, hostile[i], &q, A, &page, &err),
		        -1);
		assert_int_equal(err.kind, PERR_INPUT);
	}
	{
		const char *kw[] = {"bad\r\nA1 CREATE Injected"};
		uint32_t uid = 1;

		assert_int_equal(imap_set_flags(c, "INBOX", &uid, 1,
		                                IMAP_FLAGS_ADD, 0, kw, 1, A,
		                                &err),
		                 -1);
		assert_int_equal(err.kind, PERR_INPUT);
	}
	/* the connection still works and nothing was created */
	assert_int_equal(imap_folders(c, A, &fl, &n, &err), 0);
	for (i = 0; i < n; i++)
		assert_null(strstr(fl[i].path, "Injected"));
	bye(&c);
}

/* ---- folders ------------------------------------------------------------- */

static void
test_special_use_and_order(void **state)
{
	struct imap_conn *c;
	struct imap_folder *fl;
	size_t n;
	struct perr err;

	(void)state;
	c = login_as("alice@example.test");
	assert_int_equal(imap_folders(c, A, &fl, &n, &err), 0);
	assert_true(n >= 6);
	assert_string_equal(fl[0].path, "INBOX");
	assert_int_equal(fl[0].special, IMAP_SPECIAL_INBOX);
	assert_int_equal(fl[1].special, IMAP_SPECIAL_DRAFTS);
	assert_int_equal(fl[2].special, IMAP_SPECIAL_SENT);
	assert_int_equal(fl[3].special, IMAP_SPECIAL_ARCHIVE);
	assert_int_equal(fl[4].special, IMAP_SPECIAL_JUNK);
	assert_int_equal(fl[5].special, IMAP_SPECIAL_TRASH);
	assert_true(fl[0].has_counts);
	assert_true(fl[5].subscribed);
	assert_int_equal(fl[0].delimiter, '/');

	/* the classic path (LIST + LSUB + STATUS) gives the same answer */
	{
		struct imap_folder *fl2;
		size_t n2, i;

		imap_conn_disable_caps(c, IMAP_CAP_LIST_STATUS);
		assert_int_equal(imap_folders(c, A, &fl2, &n2, &err), 0);
		assert_int_equal(n2, n);
		for (i = 0; i < n; i++) {
			assert_string_equal(fl[i].path, fl2[i].path);
			assert_int_equal(fl[i].special, fl2[i].special);
			assert_int_equal(fl[i].total, fl2[i].total);
			assert_int_equal(fl[i].unseen, fl2[i].unseen);
			assert_int_equal(fl[i].subscribed, fl2[i].subscribed);
		}
		imap_conn_disable_caps(c, 0);
	}
	bye(&c);
}

static void
test_cyrillic_folder_round_trip(void **state)
{
	struct imap_conn *c;
	struct imap_folder *fl;
	const struct imap_folder *f;
	struct imap_mailbox_status st;
	size_t n;
	struct perr err;

	(void)state;
	c = login_as("alice@example.test");
	try_delete(c, "Входящие/Счета 2024");
	try_delete(c, "Входящие/Счета");
	try_delete(c, "Входящие");
	assert_int_equal(imap_folder_create(c, "Входящие", A, &err), 0);
	if (imap_folder_create(c, "Входящие/Счета", A, &err) != 0)
		fail_msg("create: %s", err.msg);
	append_msg(c, "Входящие/Счета", "a@b.test", "счёт",
	           "Mon, 1 Jan 2024 10:00:00 +0000", "", "x", 0);
	assert_int_equal(imap_folders(c, A, &fl, &n, &err), 0);
	f = must_find(fl, n, "Входящие/Счета");
	assert_string_equal(f->raw,
	                    "&BBIERQQ+BDQETwRJBDgENQ-/&BCEERwQ1BEIEMA-");
	assert_string_equal(f->name, "Счета");
	assert_int_equal(f->depth, 1);
	assert_int_equal(f->total, 1);
	assert_int_equal(f->unseen, 1);
	assert_true(f->subscribed);
	assert_int_equal(imap_select(c, "Входящие/Счета", false, &st, &err), 0);
	assert_int_equal(st.exists, 1);
	assert_true(st.uidvalidity != 0);
	assert_string_equal(imap_selected(c), "Входящие/Счета");
	if (imap_folder_rename(c, "Входящие/Счета", "Входящие/Счета 2024", A,
	                       &err) != 0)
		fail_msg("rename: %s", err.msg);
	assert_null(imap_selected(c));
	assert_int_equal(imap_folders(c, A, &fl, &n, &err), 0);
	assert_null(find_folder(fl, n, "Входящие/Счета"));
	f = must_find(fl, n, "Входящие/Счета 2024");
	assert_int_equal(f->total, 1);
	assert_int_equal(imap_folder_delete(c, "Входящие/Счета 2024", A, &err),
	                 0);
	assert_int_equal(imap_folder_delete(c, "Входящие", A, &err), 0);
	assert_int_equal(imap_folders(c, A, &fl, &n, &err), 0);
	assert_null(find_folder(fl, n, "Входящие"));
	/* INBOX cannot be deleted; a missing folder is a remote error */
	assert_int_equal(imap_folder_delete(c, "INBOX", A, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(imap_select(c, "Нет такой", true, &st, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	/* and the connection is still fine */
	assert_int_equal(imap_noop(c, &err), 0);
	bye(&c);
}

/* ---- flags, move, delete, append, fetch ---------------------------------- */

static bool
page_has(const struct imap_msg_page *p, uint32_t uid, unsigned *flags_r)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->rows[i].uid == uid) {
			if (flags_r != NULL)
				*flags_r = p->rows[i].flags;
			return true;
		}
	}
	return false;
}

static void
test_flags_move_delete(void **state)
{
	struct imap_conn *c;
	struct imap_list_query q;
	struct imap_msg_page page;
	struct perr err;
	uint32_t u1, u2, u3, both[2];
	unsigned fl = 0;
	const char *kw[] = {"$Label1"};
	struct strv raw;

	(void)state;
	c = login_as("alice@example.test");
	fresh_folder(c, "T-flags");
	fresh_folder(c, "T-flags-dest");
	assert_int_equal(imap_folder_empty(c, "Trash", A, &err), 0);
	u1 = append_msg(c, "T-flags", "One <one@x.test>", "first",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "", "body one", 0);
	u2 = append_msg(c, "T-flags", "Two <two@x.test>", "second",
	                "Tue, 2 Jan 2024 10:00:00 +0000", "", "body two",
	                IMAP_MSG_SEEN);
	u3 = append_msg(c, "T-flags", "Three <three@x.test>", "third",
	                "Wed, 3 Jan 2024 10:00:00 +0000", "", "body three", 0);

	assert_int_equal(imap_set_flags(c, "T-flags", &u1, 1, IMAP_FLAGS_ADD,
	                                IMAP_MSG_SEEN | IMAP_MSG_FLAGGED |
	                                        IMAP_MSG_FORWARDED,
	                                kw, 1, A, &err),
	                 0);
	assert_int_equal(imap_set_flags(c, "T-flags", &u2, 1, IMAP_FLAGS_REMOVE,
	                                IMAP_MSG_SEEN, NULL, 0, A, &err),
	                 0);
	memset(&q, 0, sizeof(q));
	q.reverse = true;
	assert_int_equal(imap_list_messages(c, "T-flags", &q, A, &page, &err),
	                 0);
	assert_int_equal(page.total, 3);
	assert_int_equal(page.rows[0].uid, u3); /* newest first */
	assert_true(page_has(&page, u1, &fl));
	assert_int_equal(
	        fl & (IMAP_MSG_SEEN | IMAP_MSG_FLAGGED | IMAP_MSG_FORWARDED),
	        IMAP_MSG_SEEN | IMAP_MSG_FLAGGED | IMAP_MSG_FORWARDED);
	assert_true(page_has(&page, u2, &fl));
	assert_false(fl & IMAP_MSG_SEEN);
	assert_string_equal(page.rows[2].from.name, "One");
	assert_string_equal(page.rows[2].from.email, "one@x.test");
	assert_string_equal(page.rows[2].preview, "body one");

	/* raw fetch and a section */
	assert_int_equal(
	        imap_fetch_section(c, "T-flags", u1, NULL, A, &raw, &err), 0);
	assert_non_null(strstr(raw.p, "Subject: first"));
	assert_int_equal(
	        imap_fetch_section(c, "T-flags", u1, "TEXT", A, &raw, &err), 0);
	assert_string_equal(raw.p, "body one\r\n");
	assert_int_equal(
	        imap_fetch_section(c, "T-flags", 999999, NULL, A, &raw, &err),
	        -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);

	/* move two: with MOVE, then with the COPY+EXPUNGE fallback */
	assert_int_equal(
	        imap_move(c, "T-flags", &u1, 1, "T-flags-dest", A, &err), 0);
	imap_conn_disable_caps(c, IMAP_CAP_MOVE);
	assert_int_equal(
	        imap_move(c, "T-flags", &u2, 1, "T-flags-dest", A, &err), 0);
	imap_conn_disable_caps(c, 0);
	assert_int_equal(imap_list_messages(c, "T-flags", &q, A, &page, &err),
	                 0);
	assert_int_equal(page.total, 1);
	assert_int_equal(
	        imap_list_messages(c, "T-flags-dest", &q, A, &page, &err), 0);
	assert_int_equal(page.total, 2);
	both[0] = page.rows[0].uid;
	both[1] = page.rows[1].uid;

	/* delete: to Trash, then permanently inside Trash */
	if (imap_delete_messages(c, "T-flags-dest", both, 2, false, A, &err) !=
	    0)
		fail_msg("delete: %s", err.msg);
	if (imap_list_messages(c, "T-flags-dest", &q, A, &page, &err) != 0)
		fail_msg("list after delete: %s", err.msg);
	assert_int_equal(page.total, 0);
	assert_int_equal(imap_list_messages(c, "Trash", &q, A, &page, &err), 0);
	assert_int_equal(page.total, 2);
	both[0] = page.rows[0].uid;
	both[1] = page.rows[1].uid;
	assert_int_equal(
	        imap_delete_messages(c, "Trash", both, 2, false, A, &err), 0);
	assert_int_equal(imap_list_messages(c, "Trash", &q, A, &page, &err), 0);
	assert_int_equal(page.total, 0);

	/* copy + empty */
	assert_int_equal(
	        imap_copy(c, "T-flags", &u3, 1, "T-flags-dest", A, &err), 0);
	assert_int_equal(imap_folder_empty(c, "T-flags-dest", A, &err), 0);
	assert_int_equal(
	        imap_list_messages(c, "T-flags-dest", &q, A, &page, &err), 0);
	assert_int_equal(page.total, 0);
	assert_int_equal(imap_folder_delete(c, "T-flags-dest", A, &err), 0);
	assert_int_equal(imap_folder_delete(c, "T-flags", A, &err), 0);
	bye(&c);
}

/* ---- search ----------------------------------------------------------------
 */

static uint32_t
search_one(struct imap_conn *c, const char *folder, const char *query,
           size_t *n_r)
{
	struct imap_list_query q;
	struct imap_msg_page page;
	struct perr err;

	memset(&q, 0, sizeof(q));
	q.search = query;
	if (imap_list_messages(c, folder, &q, A, &page, &err) != 0)
		fail_msg("search '%s': %s", query, err.msg);
	*n_r = page.total;
	return page.n > 0 ? page.rows[0].uid : 0;
}

static void
test_search_hostile_strings(void **state)
{
	struct imap_conn *c;
	uint32_t uq, ub, uc, ua;
	size_t n;
	int pass;

	(void)state;
	c = login_as("alice@example.test");
	fresh_folder(c, "T-search");
	uq = append_msg(c, "T-search", "Q <q@x.test>", "say \"hi\" now",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "", "a", 0);
	ub = append_msg(c, "T-search", "B <b@x.test>", "path C:\\temp\\x",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "", "b", 0);
	uc = append_msg(c, "T-search", "=?UTF-8?B?0JjQstCw0L0=?= <ivan@x.test>",
	                "=?UTF-8?B?0KHRh9GR0YIg4oSWIDc=?=",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "", "c", 0);
	ua = append_msg(
	        c, "T-search", "A <a@x.test>", "report",
	        "Mon, 1 Jan 2024 10:00:00 +0000",
	        "Content-Type: multipart/mixed; boundary=zz\r\n",
	        "--zz\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
	        "--zz\r\nContent-Type: application/pdf\r\n"
	        "Content-Disposition: attachment; filename=a.pdf\r\n\r\n"
	        "JVBERg==\r\n--zz--",
	        IMAP_MSG_FLAGGED);
	/* with LITERAL+ (literals) and without (quoted strings) */
	for (pass = 0; pass < 2; pass++) {
		imap_conn_disable_caps(c, pass ? IMAP_CAP_LITERAL_PLUS : 0);
		assert_int_equal(search_one(c, "T-search",
		                            "subject:\"say \\\"hi\\\"\"", &n),
		                 uq);
		assert_int_equal(n, 1);
		assert_int_equal(search_one(c, "T-search", "C:\\temp", &n), ub);
		assert_int_equal(n, 1);
		assert_int_equal(search_one(c, "T-search", "Счёт", &n), uc);
		assert_int_equal(n, 1);
		assert_int_equal(search_one(c, "T-search", "from:Иван", &n),
		                 uc);
		assert_int_equal(
		        search_one(c, "T-search", "has:attachment", &n), ua);
		assert_int_equal(n, 1);
		assert_int_equal(search_one(c, "T-search", "is:flagged", &n),
		                 ua);
		assert_int_equal(search_one(c, "T-search", "-is:flagged", &n),
		                 uq);
		assert_int_equal(n, 3);
		(void)search_one(c, "T-search", "\") {5}\\\" ( UID 1:* \"\\",
		                 &n);
		assert_int_equal(n, 0);
		(void)search_one(c, "T-search", "\"", &n);
		assert_int_equal(
		        search_one(c, "T-search",
		                   "after:2023-12-31 before:2024-01-02", &n),
		        uq);
		assert_int_equal(n, 4);
	}
	imap_conn_disable_caps(c, 0);
	/* still in sync */
	assert_int_equal(search_one(c, "T-search", "report", &n), ua);
	{
		struct perr err;

		assert_int_equal(imap_folder_delete(c, "T-search", A, &err), 0);
	}
	bye(&c);
}

/* ---- threads and previews ------------------------------------------------ */

static void
test_threads_and_previews(void **state)
{
	struct imap_conn *c;
	struct imap_list_query q;
	struct imap_msg_page page;
	struct perr err;
	uint32_t root, reply, lone, qp;
	size_t i;

	(void)state;
	c = login_as("alice@example.test");
	fresh_folder(c, "T-thread");
	root = append_msg(c, "T-thread", "a@x.test", "topic",
	                  "Mon, 1 Jan 2024 10:00:00 +0000",
	                  "Message-ID: <root@t>\r\n", "root", 0);
	lone = append_msg(c, "T-thread", "b@x.test", "other",
	                  "Mon, 1 Jan 2024 11:00:00 +0000", "", "lone", 0);
	reply = append_msg(c, "T-thread", "c@x.test", "Re: topic",
	                   "Mon, 1 Jan 2024 12:00:00 +0000",
	                   "In-Reply-To: <root@t>\r\nReferences: <root@t>\r\n",
	                   "reply", 0);
	qp = append_msg(c, "T-thread", "d@x.test", "=?ISO-8859-1?Q?caf=E9?=",
	                "Mon, 1 Jan 2024 13:00:00 +0000",
	                "Content-Type: text/plain; charset=iso-8859-1\r\n"
	                "Content-Transfer-Encoding: quoted-printable\r\n",
	                "Caf=E9   cr=E8me=\r\n br=FBl=E9e\r\n\r\n\r\nend", 0);
	memset(&q, 0, sizeof(q));
	q.threads = true;
	assert_int_equal(imap_list_messages(c, "T-thread", &q, A, &page, &err),
	                 0);
	assert_true(page.threaded);
	assert_int_equal(page.total, 3); /* topic+reply, other, café */
	assert_int_equal(page.n, 4);
	for (i = 0; i < page.n; i++) {
		if (page.rows[i].uid == reply) {
			assert_int_equal(page.rows[i].depth, 1);
			assert_int_equal(page.rows[i].parent_uid, root);
		}
		if (page.rows[i].uid == root)
			assert_int_equal(page.rows[i].thread_size, 2);
		if (page.rows[i].uid == lone)
			assert_int_equal(page.rows[i].depth, 0);
		if (page.rows[i].uid == qp) {
			assert_string_equal(page.rows[i].subject, "café");
			assert_string_equal(page.rows[i].preview,
			                    "Café crème brûlée end");
		}
	}
	/* paging on thread roots */
	q.limit = 1;
	q.offset = 2;
	assert_int_equal(imap_list_messages(c, "T-thread", &q, A, &page, &err),
	                 0);
	assert_int_equal(page.total, 3);
	assert_int_equal(page.n, 1);
	assert_int_equal(imap_folder_delete(c, "T-thread", A, &err), 0);
	bye(&c);
}

/* ---- the 10 000-message folder --------------------------------------------
 */

static const char *const subjects[] = {
        "Invoice",
        "Re: Invoice",
        "meeting notes",
        "[list] Fwd: agenda",
        "Agenda",
        "zebra crossing",
        "Überweisung",
        "=?UTF-8?B?0KHRh9C10YI=?=",
        "Lunch?",
        "re: lunch?",
        "Quarterly report (fwd)",
        "alpha",
};

static const char *const senders[] = {
        "Alice <alice@example.test>", "bob@example.test",
        "\"Zed\" <zed@x.test>",       "Mallory <mallory@evil.test>",
        "carol@example.org",          "Émile <emile@x.test>",
};

static void
write_big_corpus(const char *dir)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
	                                  "May", "Jun", "Jul", "Aug",
	                                  "Sep", "Oct", "Nov", "Dec"};
	unsigned i;

	srand(42);
	for (i = 0; i < BIG_COUNT; i++) {
		char path[512];
		FILE *f;
		unsigned pad = (unsigned)rand() % 3000, k;

		assert_true(pt_snprintf_ok(path, sizeof(path), "%s/%05u.eml",
		                           dir, i));
		f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f,
		        "From: %s\r\nTo: bob@example.test\r\n"
		        "Subject: %s %u\r\n"
		        "Date: %s, %u %s %u %02u:%02u:%02u +0%u00\r\n"
		        "Message-ID: <big%u@test>\r\n\r\n",
		        senders[(unsigned)rand() % PT_NELEM(senders)],
		        subjects[(unsigned)rand() % PT_NELEM(subjects)],
		        (unsigned)rand() % 50, "Mon", 1 + (unsigned)rand() % 28,
		        mon[(unsigned)rand() % 12],
		        2000 + (unsigned)rand() % 25, (unsigned)rand() % 24,
		        (unsigned)rand() % 60, (unsigned)rand() % 60,
		        (unsigned)rand() % 6, i);
		for (k = 0; k < pad; k++)
			fputc(k % 70 == 69 ? '\n' : 'x', f);
		fputs("\r\n", f);
		fclose(f);
	}
}

static void
ensure_big_folder(struct imap_conn *c)
{
	struct imap_folder *fl;
	const struct imap_folder *f;
	size_t n;
	struct perr err;
	char dir[] = "/tmp/petrel-imap-bigXXXXXX";
	char *cmd;

	assert_int_equal(imap_folders(c, A, &fl, &n, &err), 0);
	f = find_folder(fl, n, "Big");
	if (f != NULL && f->total == BIG_COUNT)
		return;
	if (f != NULL)
		assert_int_equal(imap_folder_delete(c, "Big", A, &err), 0);
	assert_non_null(mkdtemp(dir));
	write_big_corpus(dir);
	cmd = arena_printf(A,
	                   "python3 %s/tests/harness/mailstack.py fill-maildir "
	                   "--dir %s --user bob@example.test --folder Big %s "
	                   ">/dev/null && rm -rf %s",
	                   getenv("PETREL_SOURCE_DIR"),
	                   getenv("PETREL_MAILSTACK_DIR"), dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(imap_folders(c, A, &fl, &n, &err), 0);
	f = must_find(fl, n, "Big");
	assert_int_equal(f->total, BIG_COUNT);
}

/*
 * Server SORT and the client-side fallback agree on the order of the
 * keys (ties may be broken differently only among equal keys, which the
 * comparison below cannot see).
 */
static void
compare_sorts(struct imap_conn *c, enum imap_sort sort, bool reverse)
{
	struct imap_list_query q;
	uint32_t *su, *cu;
	size_t sn, cn, i, diff = 0;
	struct perr err;

	memset(&q, 0, sizeof(q));
	q.sort = sort;
	q.reverse = reverse;
	assert_int_equal(imap_sorted_uids(c, "Big", &q, A, &su, &sn, &err), 0);
	q.client_sort = true;
	assert_int_equal(imap_sorted_uids(c, "Big", &q, A, &cu, &cn, &err), 0);
	assert_int_equal(sn, BIG_COUNT);
	assert_int_equal(cn, BIG_COUNT);
	for (i = 0; i < sn; i++)
		diff += su[i] != cu[i];
	if (diff != 0)
		fail_msg("sort %d reverse %d: %zu positions differ", (int)sort,
		         (int)reverse, diff);
}

static void
test_big_folder_sort_and_paging(void **state)
{
	struct imap_conn *c;
	struct imap_list_query q;
	struct imap_msg_page page;
	struct perr err;
	uint32_t *all;
	size_t nall, i;
	uint64_t t0;

	(void)state;
	c = login_as("bob@example.test");
	ensure_big_folder(c);
	compare_sorts(c, IMAP_SORT_DATE, true);
	compare_sorts(c, IMAP_SORT_DATE, false);
	compare_sorts(c, IMAP_SORT_SIZE, false);
	compare_sorts(c, IMAP_SORT_SIZE, true);
	compare_sorts(c, IMAP_SORT_SUBJECT, false);
	compare_sorts(c, IMAP_SORT_FROM, false);
	compare_sorts(c, IMAP_SORT_ARRIVAL, true);

	/* pages stitch together into the full order, rows in key order */
	memset(&q, 0, sizeof(q));
	q.sort = IMAP_SORT_DATE;
	q.reverse = true;
	assert_int_equal(imap_sorted_uids(c, "Big", &q, A, &all, &nall, &err),
	                 0);
	for (q.offset = 0; q.offset < BIG_COUNT; q.offset += 2450) {
		q.limit = 50;
		assert_int_equal(
		        imap_list_messages(c, "Big", &q, A, &page, &err), 0);
		assert_int_equal(page.total, BIG_COUNT);
		assert_int_equal(page.n, 50);
		for (i = 0; i < page.n; i++) {
			assert_int_equal(page.rows[i].uid, all[q.offset + i]);
			if (i > 0)
				assert_true(page.rows[i - 1].date >=
				            page.rows[i].date);
		}
	}
	q.offset = BIG_COUNT - 10;
	assert_int_equal(imap_list_messages(c, "Big", &q, A, &page, &err), 0);
	assert_int_equal(page.n, 10);
	q.offset = BIG_COUNT + 5;
	assert_int_equal(imap_list_messages(c, "Big", &q, A, &page, &err), 0);
	assert_int_equal(page.n, 0);
	assert_int_equal(page.total, BIG_COUNT);

	/* size ascending: sizes never decrease across a page boundary */
	q.sort = IMAP_SORT_SIZE;
	q.reverse = false;
	q.offset = 4990;
	q.limit = 20;
	assert_int_equal(imap_list_messages(c, "Big", &q, A, &page, &err), 0);
	for (i = 1; i < page.n; i++)
		assert_true(page.rows[i - 1].size <= page.rows[i].size);

	/* search + sort on the big folder */
	q.search = "subject:invoice";
	q.offset = 0;
	q.limit = 50;
	q.sort = IMAP_SORT_DATE;
	assert_int_equal(imap_list_messages(c, "Big", &q, A, &page, &err), 0);
	assert_true(page.total > 100 && page.total < BIG_COUNT);

	/* a warm page (folder selected) is one SORT + one FETCH */
	q.search = NULL;
	t0 = pt_now_ms_monotonic();
	assert_int_equal(imap_list_messages(c, "Big", &q, A, &page, &err), 0);
	print_message("warm 50-row page of 10000: %llu ms\n",
	              (unsigned long long)(pt_now_ms_monotonic() - t0));
	bye(&c);
}

/* ---- pool ------------------------------------------------------------------
 */

struct creds {
	struct config_domain dom;
	const char *user;
	const char *password; /* NULL: the stack's */
	unsigned calls;
};

static int
get_creds(void *ctx, struct arena *a, const struct config_domain **dom_r,
          const char **user_r, const char **password_r, struct perr *err)
{
	struct creds *cr = ctx;

	(void)a;
	(void)err;
	cr->calls++;
	*dom_r = &cr->dom;
	*user_r = cr->user;
	*password_r = cr->password ? cr->password : stack_password(cr->user);
	return 0;
}

static void
test_pool_reuse_and_reconnect_after_kick(void **state)
{
	struct imap_pool_settings ps;
	struct imap_pool *p;
	struct imap_pool_stats st;
	struct creds cr;
	struct imap_conn *c1, *c2, *c3;
	struct imap_mailbox_status ms;
	struct imap_folder *fl;
	size_t n;
	struct perr err;
	char *cmd;

	(void)state;
	memset(&cr, 0, sizeof(cr));
	dom_init(&cr.dom, stack_port("IMAP_PORT"), CONFIG_SECURE_NONE);
	cr.user = "carol@example.org";
	memset(&ps, 0, sizeof(ps));
	ps.max_per_session = 2;
	ps.max_total = 3;
	ps.wait_ms = 200;
	p = imap_pool_create(&ps);

	assert_int_equal(
	        imap_pool_checkout(p, "s1", get_creds, &cr, A, &c1, &err), 0);
	assert_int_equal(imap_select(c1, "INBOX", true, &ms, &err), 0);
	imap_pool_checkin(p, &c1);
	assert_null(c1);
	assert_int_equal(
	        imap_pool_checkout(p, "s1", get_creds, &cr, A, &c1, &err), 0);
	/* same connection, folder still selected */
	assert_non_null(imap_selected(c1));
	assert_string_equal(imap_selected(c1), "INBOX");
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.reuses, 1);
	assert_int_equal(cr.calls, 1);

	/* a second concurrent request of the session gets a second one */
	assert_int_equal(
	        imap_pool_checkout(p, "s1", get_creds, &cr, A, &c2, &err), 0);
	assert_ptr_not_equal(c1, c2);
	/* the per-session cap: a third waits, then TEMPFAIL */
	assert_int_equal(
	        imap_pool_checkout(p, "s1", get_creds, &cr, A, &c3, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	imap_pool_checkin(p, &c2);
	imap_pool_checkin(p, &c1);

	/* the server drops carol's connections */
	cmd = arena_printf(A,
	                   "doveadm -c %s kick carol@example.org "
	                   ">/dev/null 2>&1",
	                   stack_get("DOVECOT_CONF"));
	assert_int_equal(system(cmd), 0);
	usleep(200 * 1000);
	assert_int_equal(
	        imap_pool_checkout(p, "s1", get_creds, &cr, A, &c1, &err), 0);
	if (imap_folders(c1, A, &fl, &n, &err) != 0)
		fail_msg("after kick: %s", err.msg);
	imap_pool_checkin(p, &c1);
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.connects, 3);

	/* wrong password surfaces as PERR_AUTH and leaves no entry */
	cr.password = "wrong";
	assert_int_equal(
	        imap_pool_checkout(p, "s2", get_creds, &cr, A, &c1, &err), -1);
	assert_int_equal(err.kind, PERR_AUTH);
	cr.password = NULL;

	imap_pool_drop_session(p, "s1");
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.open, 0);
	imap_pool_destroy(&p);
}

/* Sign-in hands its checked connection to the pool: no second LOGIN. */
static void
test_pool_adopts_the_sign_in_connection(void **state)
{
	struct imap_pool_settings ps;
	struct imap_pool *p;
	struct imap_pool_stats st;
	struct creds cr;
	struct imap_conn *c, *mine, *c2, *extra, *fresh;
	struct perr err;

	(void)state;
	memset(&cr, 0, sizeof(cr));
	dom_init(&cr.dom, stack_port("IMAP_PORT"), CONFIG_SECURE_NONE);
	cr.user = "bob@example.test";
	memset(&ps, 0, sizeof(ps));
	ps.max_per_session = 2;
	ps.max_per_user = 2;
	ps.wait_ms = 200;
	p = imap_pool_create(&ps);

	assert_int_equal(imap_connect(&cr.dom, A, &c, &err), 0);
	assert_int_equal(imap_login(c, cr.user, stack_password(cr.user), &err),
	                 0);
	mine = c;
	assert_true(imap_pool_adopt(p, "a1", &c));
	assert_null(c);
	/* the session's first checkout is that connection, no credentials */
	assert_int_equal(
	        imap_pool_checkout(p, "a1", get_creds, &cr, A, &c, &err), 0);
	assert_ptr_equal(c, mine);
	assert_int_equal(cr.calls, 0);
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.adopted, 1);
	assert_int_equal(st.connects, 0);
	assert_int_equal(st.reuses, 1);
	assert_int_equal(st.open, 1);

	/* a concurrent request opens a second one as before */
	assert_int_equal(
	        imap_pool_checkout(p, "a1", get_creds, &cr, A, &c2, &err), 0);
	assert_int_equal(cr.calls, 1);
	/* the user is at its cap: a third handed in is closed */
	assert_int_equal(imap_connect(&cr.dom, A, &extra, &err), 0);
	assert_int_equal(
	        imap_login(extra, cr.user, stack_password(cr.user), &err), 0);
	assert_false(imap_pool_adopt(p, "a1", &extra));
	assert_null(extra);
	/* one that is not logged in is never pooled */
	assert_int_equal(imap_connect(&cr.dom, A, &fresh, &err), 0);
	assert_false(imap_pool_adopt(p, "a2", &fresh));
	assert_null(fresh);
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.adopted, 1);
	assert_int_equal(st.open, 2);

	imap_pool_checkin(p, &c2);
	imap_pool_checkin(p, &c);
	imap_pool_drop_session(p, "a1");
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.open, 0);

	/* a user's second sign-in: the user's warm connection (folder
	 * selected) is handed out before the new one */
	imap_pool_bind(p, "s1", "bob");
	imap_pool_bind(p, "s2", "bob");
	assert_int_equal(imap_connect(&cr.dom, A, &c, &err), 0);
	assert_int_equal(imap_login(c, cr.user, stack_password(cr.user), &err),
	                 0);
	assert_true(imap_pool_adopt(p, "s1", &c));
	assert_int_equal(
	        imap_pool_checkout(p, "s1", get_creds, &cr, A, &c, &err), 0);
	assert_int_equal(imap_select(c, "INBOX", true, NULL, &err), 0);
	mine = c;
	imap_pool_checkin(p, &c);
	assert_int_equal(imap_connect(&cr.dom, A, &c, &err), 0);
	assert_int_equal(imap_login(c, cr.user, stack_password(cr.user), &err),
	                 0);
	fresh = c;
	assert_true(imap_pool_adopt(p, "s2", &c));
	assert_int_equal(
	        imap_pool_checkout(p, "s2", get_creds, &cr, A, &c, &err), 0);
	assert_ptr_equal(c, mine);
	assert_int_equal(
	        imap_pool_checkout(p, "s2", get_creds, &cr, A, &c2, &err), 0);
	assert_ptr_equal(c2, fresh);
	assert_int_equal(cr.calls, 1);
	imap_pool_checkin(p, &c2);
	imap_pool_checkin(p, &c);
	imap_pool_drop_session(p, "s1");
	imap_pool_drop_session(p, "s2");
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.open, 0);
	imap_pool_destroy(&p);
}

struct cap_worker {
	struct imap_pool *p;
	struct creds *cr;
	char session[32];
	int failures;
	unsigned max_seen;
};

/* One session's requests: check out, list INBOX, give back, 5 times. */
static void *
cap_worker_run(void *arg)
{
	struct cap_worker *w = arg;
	struct arena *a = arena_create("capw", 16 * 1024, 0);
	int i;

	imap_pool_bind(w->p, w->session, "carol-key");
	for (i = 0; i < 5; i++) {
		struct imap_conn *c = NULL;
		struct imap_list_query q;
		struct imap_msg_page page;
		struct perr err;
		unsigned n;

		if (imap_pool_checkout(w->p, w->session, get_creds, w->cr, a,
		                       &c, &err) != 0) {
			w->failures++;
			continue;
		}
		n = imap_pool_user_count(w->p, "carol-key");
		if (n > w->max_seen)
			w->max_seen = n;
		memset(&q, 0, sizeof(q));
		q.limit = 10;
		if (imap_list_messages(c, "INBOX", &q, a, &page, &err) != 0)
			w->failures++;
		imap_pool_checkin(w->p, &c);
		arena_reset(a);
	}
	arena_destroy(&a);
	return NULL;
}

/*
 * 25 sessions of one user, all at once, with a cap of 10 connections per
 * user: every request succeeds (they wait for a free one), the user
 * never has more than 10 open, and a session's logout keeps the
 * connections its user's other sessions use.
 */
static void
test_pool_caps_connections_per_user(void **state)
{
	enum { N = 25 };
	struct imap_pool_settings ps;
	struct imap_pool *p;
	struct imap_pool_stats st;
	struct cap_worker w[N];
	pthread_t th[N];
	struct creds cr;
	struct imap_conn *c1, *c2, *first;
	struct perr err;
	unsigned max_seen = 0;
	int i, failures = 0;

	(void)state;
	memset(&cr, 0, sizeof(cr));
	dom_init(&cr.dom, stack_port("IMAP_PORT"), CONFIG_SECURE_NONE);
	cr.user = "carol@example.org";
	memset(&ps, 0, sizeof(ps));
	ps.max_per_user = 10;
	ps.wait_ms = 20000;
	p = imap_pool_create(&ps);
	for (i = 0; i < N; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].p = p;
		w[i].cr = &cr;
		(void)snprintf(w[i].session, sizeof(w[i].session), "cap%d", i);
		assert_int_equal(
		        pthread_create(&th[i], NULL, cap_worker_run, &w[i]), 0);
	}
	for (i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
		if (w[i].max_seen > max_seen)
			max_seen = w[i].max_seen;
	}
	imap_pool_get_stats(p, &st);
	assert_int_equal(failures, 0);
	assert_true(max_seen >= 1 && max_seen <= 10);
	assert_true(st.connects <= 10);
	assert_true(st.open <= 10);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.connects + st.reuses, (uint64_t)N * 5);

	/* two sessions of the user use the same connection in turn */
	assert_int_equal(
	        imap_pool_checkout(p, "cap0", get_creds, &cr, A, &c1, &err), 0);
	first = c1;
	imap_pool_checkin(p, &c1);
	assert_int_equal(
	        imap_pool_checkout(p, "cap1", get_creds, &cr, A, &c2, &err), 0);
	assert_ptr_equal(c2, first);
	imap_pool_checkin(p, &c2);
	imap_pool_get_stats(p, &st);
	assert_true(st.connects <= 10);

	/* logout of all but one session: connections stay for the last */
	for (i = 0; i < N - 1; i++)
		imap_pool_drop_session(p, w[i].session);
	assert_true(imap_pool_user_count(p, "carol-key") > 0);
	imap_pool_drop_session(p, w[N - 1].session);
	assert_int_equal(imap_pool_user_count(p, "carol-key"), 0);
	imap_pool_destroy(&p);
}

/*
 * Dovecot drops a connection whose selected folder another connection
 * deleted: the pool checks the user's other connections after a DELETE
 * and replaces such a one before handing it out, so the next request
 * does not fail.
 */
static void
test_pool_replaces_a_connection_whose_folder_was_deleted(void **state)
{
	struct imap_pool_settings ps;
	struct imap_pool *p;
	struct imap_pool_stats st;
	struct creds cr;
	struct imap_conn *c1, *c2, *c3;
	struct imap_mailbox_status ms;
	struct imap_folder *fl;
	size_t n;
	struct perr err;

	(void)state;
	memset(&cr, 0, sizeof(cr));
	dom_init(&cr.dom, stack_port("IMAP_PORT"), CONFIG_SECURE_NONE);
	cr.user = "carol@example.org";
	memset(&ps, 0, sizeof(ps));
	p = imap_pool_create(&ps);
	imap_pool_bind(p, "g1", "carol-gone");
	imap_pool_bind(p, "g2", "carol-gone");
	assert_int_equal(
	        imap_pool_checkout(p, "g1", get_creds, &cr, A, &c1, &err), 0);
	fresh_folder(c1, "T-gone");
	assert_int_equal(imap_select(c1, "T-gone", true, &ms, &err), 0);
	assert_int_equal(
	        imap_pool_checkout(p, "g2", get_creds, &cr, A, &c2, &err), 0);
	imap_pool_checkin(p, &c1);
	assert_int_equal(imap_folder_delete(c2, "T-gone", A, &err), 0);
	/*
	 * c2 stays busy: the next checkout gets the entry that had T-gone,
	 * its dropped connection replaced by a new one (a reconnect)
	 */
	assert_int_equal(
	        imap_pool_checkout(p, "g1", get_creds, &cr, A, &c3, &err), 0);
	assert_null(imap_selected(c3));
	if (imap_folders(c3, A, &fl, &n, &err) != 0)
		fail_msg("Folders after the delete: %s", err.msg);
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.reconnects, 1);
	imap_pool_checkin(p, &c3);
	imap_pool_checkin(p, &c2);
	imap_pool_drop_session(p, "g1");
	imap_pool_drop_session(p, "g2");
	imap_pool_destroy(&p);
}

/* ---- the sorted UID cache ---------------------------------------------- */

static struct imap_conn_stats
stats_of(const struct imap_conn *c)
{
	struct imap_conn_stats st;

	imap_conn_get_stats(c, &st);
	return st;
}

/* List folder on c; returns the total and checks SORT/SEARCH were sent
 * (sent 1) or not (0: the connection's cache; -1: any way). */
static uint32_t
list_total(struct imap_conn *c, const char *folder, const char *search,
           int sent, const char *what)
{
	struct imap_list_query q;
	struct imap_msg_page page;
	struct imap_conn_stats before = stats_of(c), after;
	struct perr err;

	memset(&q, 0, sizeof(q));
	q.reverse = true;
	q.search = search;
	if (imap_list_messages(c, folder, &q, A, &page, &err) != 0)
		fail_msg("%s: %s", what, err.msg);
	after = stats_of(c);
	if (sent == 1 &&
	    after.sorts + after.searches == before.sorts + before.searches)
		fail_msg("%s: expected a SORT/SEARCH, the cache answered",
		         what);
	if (sent == 0 &&
	    (after.sorts != before.sorts || after.searches != before.searches ||
	     after.uid_cache_hits != before.uid_cache_hits + 1))
		fail_msg("%s: expected a cache hit, sorts %llu -> %llu", what,
		         (unsigned long long)before.sorts,
		         (unsigned long long)after.sorts);
	return page.total;
}

static void
deliver_to_alice(const char *subject)
{
	char path[] = "/tmp/petrel-imap-deliverXXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	char *cmd;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f,
	        "From: Dee <dee@example.test>\r\nTo: alice@example.test\r\n"
	        "Subject: %s\r\nDate: Thu, 4 Jan 2024 10:00:00 +0000\r\n"
	        "Message-ID: <%u.deliver@test>\r\n\r\nhello\r\n",
	        subject, (unsigned)rand());
	fclose(f);
	cmd = arena_printf(A,
	                   "python3 %s/tests/harness/mailstack.py deliver "
	                   "--dir %s --to alice@example.test %s "
	                   ">/dev/null 2>&1",
	                   getenv("PETREL_SOURCE_DIR"),
	                   getenv("PETREL_MAILSTACK_DIR"), path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

static void
test_uid_cache_skips_sort_until_the_folder_changes(void **state)
{
	struct imap_conn *c, *other;
	struct perr err;
	uint32_t u1, u2, u3, n0;

	(void)state;
	c = login_as("alice@example.test");
	other = login_as("alice@example.test");
	fresh_folder(c, "T-cache");
	fresh_folder(c, "T-cache-dest");
	u1 = append_msg(c, "T-cache", "One <one@x.test>", "first",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "", "body one", 0);
	u2 = append_msg(c, "T-cache", "Two <two@x.test>", "second",
	                "Tue, 2 Jan 2024 10:00:00 +0000", "", "body two", 0);
	u3 = append_msg(c, "T-cache", "Three <three@x.test>", "third",
	                "Wed, 3 Jan 2024 10:00:00 +0000", "", "body three", 0);
	(void)u1;

	/* a warm second request sends no SORT */
	assert_int_equal(list_total(c, "T-cache", NULL, true, "cold"), 3);
	assert_int_equal(list_total(c, "T-cache", NULL, false, "warm"), 3);
	assert_int_equal(list_total(c, "T-cache", NULL, false, "warm 2"), 3);
	/* another key misses, then hits */
	assert_int_equal(list_total(c, "T-cache", "first", true, "search"), 1);
	assert_int_equal(
	        list_total(c, "T-cache", "first", false, "search warm"), 1);

	/* a move through another connection: the NOOP brings EXPUNGE */
	assert_int_equal(
	        imap_move(other, "T-cache", &u2, 1, "T-cache-dest", A, &err),
	        0);
	assert_int_equal(list_total(c, "T-cache", NULL, true, "after move"), 2);
	assert_int_equal(list_total(c, "T-cache", NULL, false, "warm again"),
	                 2);

	/* an append through another connection: EXISTS */
	(void)append_msg(other, "T-cache", "Four <four@x.test>", "fourth",
	                 "Thu, 4 Jan 2024 10:00:00 +0000", "", "body four", 0);
	assert_int_equal(list_total(c, "T-cache", NULL, true, "after append"),
	                 3);

	/* flags: is:unread follows a change made elsewhere ... */
	assert_int_equal(list_total(c, "T-cache", "is:unread", true, "unread"),
	                 3);
	if (imap_has_cap(c, IMAP_CAP_CONDSTORE))
		assert_int_equal(list_total(c, "T-cache", "is:unread", false,
		                            "unread warm"),
		                 3);
	assert_int_equal(imap_set_flags(other, "T-cache", &u3, 1,
	                                IMAP_FLAGS_ADD, IMAP_MSG_SEEN, NULL, 0,
	                                A, &err),
	                 0);
	assert_int_equal(list_total(c, "T-cache", "is:unread", true,
	                            "unread after other's STORE"),
	                 2);
	/* ... and one made through the same connection */
	assert_int_equal(imap_set_flags(c, "T-cache", &u3, 1, IMAP_FLAGS_REMOVE,
	                                IMAP_MSG_SEEN, NULL, 0, A, &err),
	                 0);
	assert_int_equal(list_total(c, "T-cache", "is:unread", true,
	                            "unread after own STORE"),
	                 3);
	/* a search without flags survives a flag change (the first list
	 * may come from the one shared after the append's catch-up) */
	assert_int_equal(list_total(c, "T-cache", NULL, -1, "all"), 3);
	assert_int_equal(imap_set_flags(other, "T-cache", &u3, 1,
	                                IMAP_FLAGS_ADD, IMAP_MSG_FLAGGED, NULL,
	                                0, A, &err),
	                 0);
	assert_int_equal(list_total(c, "T-cache", NULL, false,
	                            "all after a flag change"),
	                 3);

	/* delete and move through the same connection: the list is kept
	 * without them (no SORT), see test_uid_cache_kept_across_own_... */
	assert_int_equal(
	        imap_delete_messages(c, "T-cache", &u3, 1, true, A, &err), 0);
	assert_int_equal(list_total(c, "T-cache", NULL, false, "own delete"),
	                 2);
	assert_int_equal(
	        imap_move(c, "T-cache", &u1, 1, "T-cache-dest", A, &err), 0);
	assert_int_equal(list_total(c, "T-cache", NULL, false, "own move"), 1);
	assert_int_equal(list_total(c, "T-cache-dest", NULL, true, "dest"), 2);

	/* new mail delivered through LMTP into INBOX */
	n0 = list_total(c, "INBOX", NULL, true, "inbox");
	assert_int_equal(list_total(c, "INBOX", NULL, false, "inbox warm"), n0);
	deliver_to_alice("cache test");
	assert_int_equal(list_total(c, "INBOX", NULL, true, "after delivery"),
	                 n0 + 1);
	bye(&other);
	bye(&c);
}

/*
 * List folder on c and return the page; shared: the sorted UIDs must come
 * from the cache shared between connections (no SORT/SEARCH sent), else a
 * SORT or SEARCH must have been sent.
 */
static struct imap_msg_page
list_shared(struct imap_conn *c, const char *folder, const char *search,
            bool shared, const char *what)
{
	struct imap_list_query q;
	struct imap_msg_page page;
	struct imap_conn_stats before = stats_of(c), after;
	struct perr err;

	memset(&q, 0, sizeof(q));
	q.reverse = true;
	q.search = search;
	if (imap_list_messages(c, folder, &q, A, &page, &err) != 0)
		fail_msg("%s: %s", what, err.msg);
	after = stats_of(c);
	if (shared &&
	    (after.sorts != before.sorts || after.searches != before.searches ||
	     after.uid_shared_hits != before.uid_shared_hits + 1))
		fail_msg("%s: expected the shared list, sorts %llu -> %llu",
		         what, (unsigned long long)before.sorts,
		         (unsigned long long)after.sorts);
	if (!shared &&
	    (after.uid_shared_hits != before.uid_shared_hits ||
	     after.sorts + after.searches == before.sorts + before.searches))
		fail_msg(
		        "%s: expected a SORT/SEARCH, the shared cache answered",
		        what);
	return page;
}

static void
assert_same_order(const struct imap_msg_page *a, const struct imap_msg_page *b)
{
	size_t i;

	assert_int_equal(a->total, b->total);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++)
		assert_int_equal(a->rows[i].uid, b->rows[i].uid);
}

/* A new session's first list takes another connection's sorted UIDs. */
static void
test_uid_share_serves_a_new_connection_until_the_folder_changes(void **state)
{
	struct imap_conn *c1, *c2, *c3, *bob;
	struct imap_msg_page p1, p2, p3;
	struct perr err;
	uint32_t u1, u4;

	(void)state;
	imap_uid_share_clear();
	c1 = login_as("alice@example.test");
	fresh_folder(c1, "T-share");
	u1 = append_msg(c1, "T-share", "One <one@x.test>", "first",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "", "body one", 0);
	(void)append_msg(c1, "T-share", "Two <two@x.test>", "second",
	                 "Wed, 3 Jan 2024 10:00:00 +0000", "", "body two", 0);
	(void)append_msg(c1, "T-share", "Three <three@x.test>", "third",
	                 "Tue, 2 Jan 2024 10:00:00 +0000", "", "body three", 0);
	/* c1 sorts on a fresh SELECT; a new connection takes its list */
	p1 = list_shared(c1, "T-share", NULL, false, "c1 cold");
	assert_int_equal(p1.total, 3);
	c2 = login_as("alice@example.test");
	p2 = list_shared(c2, "T-share", NULL, true, "c2 shared");
	assert_same_order(&p1, &p2);
	/* c2 appended nothing: a third one takes it too */
	c3 = login_as("alice@example.test");
	p3 = list_shared(c3, "T-share", NULL, true, "c3 shared");
	assert_same_order(&p2, &p3);
	bye(&c3);

	/* another user's folder of the same name is never shared */
	bob = login_as("bob@example.test");
	fresh_folder(bob, "T-share");
	(void)append_msg(bob, "T-share", "B <b@x.test>", "bob's",
	                 "Mon, 1 Jan 2024 10:00:00 +0000", "", "b", 0);
	bye(&bob);
	bob = login_as("bob@example.test");
	p3 = list_shared(bob, "T-share", NULL, false, "bob");
	assert_int_equal(p3.total, 1);
	bye(&bob);

	/* a new message moves UIDNEXT: the next session sorts again (the
	 * shared list's head with the new UID: see the catch-up test) */
	u4 = append_msg(c1, "T-share", "Four <four@x.test>", "fourth",
	                "Thu, 4 Jan 2024 10:00:00 +0000", "", "body four", 0);
	c3 = login_as("alice@example.test");
	p3 = list_shared(c3, "T-share", NULL, false, "after append");
	assert_int_equal(p3.total, 4);
	assert_int_equal(p3.rows[0].uid, u4);
	bye(&c3);
	/* an expunge lowers EXISTS: the next list is without it */
	assert_int_equal(
	        imap_delete_messages(c1, "T-share", &u1, 1, true, A, &err), 0);
	c3 = login_as("alice@example.test");
	p3 = list_shared(c3, "T-share", NULL, false, "after expunge");
	assert_int_equal(p3.total, 3);
	assert_int_not_equal(p3.rows[2].uid, u1);
	bye(&c3);
	c3 = login_as("alice@example.test");
	p2 = list_shared(c3, "T-share", NULL, true, "shared again");
	assert_same_order(&p2, &p3);
	bye(&c3);

	/* a search on flags needs HIGHESTMODSEQ (CONDSTORE) unchanged too */
	if (imap_has_cap(c1, IMAP_CAP_CONDSTORE)) {
		c3 = login_as("alice@example.test");
		p3 = list_shared(c3, "T-share", "is:unread", false, "unread");
		assert_int_equal(p3.total, 3);
		bye(&c3);
		c3 = login_as("alice@example.test");
		p3 = list_shared(c3, "T-share", "is:unread", true,
		                 "unread shared");
		assert_int_equal(p3.total, 3);
		assert_int_equal(imap_set_flags(c2, "T-share", &u4, 1,
		                                IMAP_FLAGS_ADD, IMAP_MSG_SEEN,
		                                NULL, 0, A, &err),
		                 0);
		bye(&c3);
		c3 = login_as("alice@example.test");
		p3 = list_shared(c3, "T-share", "is:unread", false,
		                 "unread after STORE");
		assert_int_equal(p3.total, 2);
		bye(&c3);
	}
	bye(&c2);
	bye(&c1);
	imap_uid_share_clear();
}

/* The whole sorted UID list of folder on c (newest first). */
static uint32_t *
all_uids(struct imap_conn *c, const char *folder, size_t *n_r)
{
	struct imap_list_query q;
	struct perr err;
	uint32_t *u = NULL;

	memset(&q, 0, sizeof(q));
	q.reverse = true;
	if (imap_sorted_uids(c, folder, &q, A, &u, n_r, &err) != 0)
		fail_msg("sorted uids: %s", err.msg);
	return u;
}

/* The order a fresh full SORT gives (shared lists forgotten first). */
static void
assert_order_of_a_full_sort(const char *folder, const uint32_t *u, size_t n)
{
	struct imap_conn *fresh;
	uint32_t *want;
	size_t nwant, i;

	imap_uid_share_clear();
	fresh = login_as("alice@example.test");
	want = all_uids(fresh, folder, &nwant);
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++)
		if (u[i] != want[i])
			fail_msg("position %zu: %u, a full SORT says %u", i,
			         (unsigned)u[i], (unsigned)want[i]);
	bye(&fresh);
}

/* Lists the folder on a new connection; how it got its sorted UIDs. */
static uint32_t *
uids_on_new_conn(const char *folder, size_t *n_r, bool *caught_up_r,
                 bool *sorted_r)
{
	struct imap_conn *c = login_as("alice@example.test");
	struct imap_conn_stats st;
	uint32_t *u = all_uids(c, folder, n_r);

	st = stats_of(c);
	*caught_up_r = st.uid_catchups == 1;
	*sorted_r = st.sorts > 0;
	bye(&c);
	return u;
}

/*
 * New and deleted mail from another client: a new session's list is the
 * older shared list brought up to date (new UIDs sorted with the list's
 * head, gone ones found by ESEARCH), exactly the order of a full SORT;
 * new mail that sorts below the head is sorted in full.
 */
static void
test_uid_share_catches_up_with_new_and_gone_mail(void **state)
{
	struct imap_conn *c1, *other;
	struct imap_conn_stats st0, st1;
	struct perr err;
	uint32_t *u, uids[260], gone[3], late[2];
	size_t n, i;
	bool caught_up, sorted;
	char date[64];

	(void)state;
	imap_uid_share_clear();
	c1 = login_as("alice@example.test");
	other = login_as("alice@example.test");
	fresh_folder(c1, "T-catch");
	/* 260 messages an hour apart, some sharing a Date (ties) */
	for (i = 0; i < 260; i++) {
		snprintf(date, sizeof(date), "%u Jan 2024 %02u:00:00 +0000",
		         (unsigned)(1 + i / 20),
		         (unsigned)((i % 20) / (i % 7 == 0 ? 2 : 1)));
		uids[i] = append_msg(c1, "T-catch", "A <a@x.test>", "m", date,
		                     "", "b", 0);
	}
	(void)all_uids(c1, "T-catch", &n);
	assert_int_equal(n, 260);

	/* two new messages, one of them dated among the newest 200 */
	late[0] = append_msg(other, "T-catch", "N <n@x.test>", "new",
	                     "Sat, 1 Jun 2024 10:00:00 +0000", "", "b", 0);
	late[1] = append_msg(other, "T-catch", "N <n@x.test>", "new2",
	                     "12 Jan 2024 05:30:00 +0000", "", "b", 0);
	u = uids_on_new_conn("T-catch", &n, &caught_up, &sorted);
	assert_true(caught_up);
	assert_int_equal(n, 262);
	assert_int_equal(u[0], late[0]);
	assert_order_of_a_full_sort("T-catch", u, n);

	/* a connection that keeps the folder selected learns of new mail
	 * from its NOOP and catches up without selecting again (a SELECT
	 * makes Dovecot reopen the folder) */
	(void)all_uids(c1, "T-catch", &n);
	st0 = stats_of(c1);
	(void)append_msg(other, "T-catch", "N <n@x.test>", "kept",
	                 "Sun, 2 Jun 2024 10:00:00 +0000", "", "b", 0);
	u = all_uids(c1, "T-catch", &n);
	st1 = stats_of(c1);
	assert_int_equal(st1.uid_catchups, st0.uid_catchups + 1);
	assert_int_equal(st1.selects, st0.selects);
	assert_int_equal(n, 263);
	assert_order_of_a_full_sort("T-catch", u, n);

	/* three old ones go (head, middle, tail) and one arrives: ESEARCH
	 * for the gone, SORT for the new */
	gone[0] = uids[259];
	gone[1] = uids[130];
	gone[2] = uids[0];
	assert_int_equal(
	        imap_delete_messages(other, "T-catch", gone, 3, true, A, &err),
	        0);
	(void)append_msg(other, "T-catch", "N <n@x.test>", "new3",
	                 "13 Jan 2024 00:00:00 +0000", "", "b", 0);
	u = uids_on_new_conn("T-catch", &n, &caught_up, &sorted);
	assert_true(caught_up);
	assert_int_equal(n, 261);
	for (i = 0; i < n; i++)
		assert_true(u[i] != gone[0] && u[i] != gone[1] &&
		            u[i] != gone[2]);
	assert_order_of_a_full_sort("T-catch", u, n);

	/* only gone ones */
	gone[0] = late[1];
	assert_int_equal(
	        imap_delete_messages(other, "T-catch", gone, 1, true, A, &err),
	        0);
	u = uids_on_new_conn("T-catch", &n, &caught_up, &sorted);
	assert_true(caught_up);
	assert_int_equal(n, 260);
	assert_order_of_a_full_sort("T-catch", u, n);

	/* an old-dated arrival sorts below the list's head: full SORT */
	(void)append_msg(other, "T-catch", "O <o@x.test>", "old",
	                 "1 Jan 2020 00:00:00 +0000", "", "b", 0);
	u = uids_on_new_conn("T-catch", &n, &caught_up, &sorted);
	assert_false(caught_up);
	assert_true(sorted);
	assert_int_equal(n, 261);
	assert_order_of_a_full_sort("T-catch", u, n);
	bye(&other);
	bye(&c1);
	imap_uid_share_clear();
}

static void
test_row_cache_fetches_only_flags_when_warm(void **state)
{
	struct imap_conn *c, *other;
	struct imap_list_query q;
	struct imap_msg_page cold, warm;
	struct imap_conn_stats st0, st1;
	struct perr err;
	uint32_t u1;
	size_t i;

	(void)state;
	c = login_as("alice@example.test");
	other = login_as("alice@example.test");
	fresh_folder(c, "T-rows");
	u1 = append_msg(c, "T-rows", "=?utf-8?q?J=C3=BCrgen?= <j@x.test>",
	                "=?utf-8?b?0KHRh9C10YI=?= 42",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "",
	                "Preview   text\r\nof one", 0);
	(void)append_msg(c, "T-rows", "Two <two@x.test>", "second",
	                 "Tue, 2 Jan 2024 10:00:00 +0000", "", "body two",
	                 IMAP_MSG_SEEN);
	memset(&q, 0, sizeof(q));
	q.reverse = true;
	assert_int_equal(imap_list_messages(c, "T-rows", &q, A, &cold, &err),
	                 0);
	st0 = stats_of(c);
	assert_int_equal(imap_list_messages(c, "T-rows", &q, A, &warm, &err),
	                 0);
	st1 = stats_of(c);
	/*
	 * no ENVELOPE/BODYSTRUCTURE or preview FETCH; the flags are known
	 * at the same HIGHESTMODSEQ (CONDSTORE), else fetched again
	 */
	assert_int_equal(st1.fetches, st0.fetches);
	if (imap_has_cap(c, IMAP_CAP_CONDSTORE))
		assert_int_equal(st1.flag_skips, st0.flag_skips + 1);
	else
		assert_int_equal(st1.flag_fetches, st0.flag_fetches + 1);
	assert_int_equal(st1.sorts, st0.sorts);
	assert_int_equal(warm.n, 2);
	assert_int_equal(cold.n, 2);
	for (i = 0; i < warm.n; i++) {
		assert_int_equal(warm.rows[i].uid, cold.rows[i].uid);
		assert_string_equal(warm.rows[i].subject, cold.rows[i].subject);
		assert_string_equal(warm.rows[i].from.name,
		                    cold.rows[i].from.name);
		assert_string_equal(warm.rows[i].from.email,
		                    cold.rows[i].from.email);
		assert_string_equal(warm.rows[i].preview, cold.rows[i].preview);
		assert_int_equal(warm.rows[i].date, cold.rows[i].date);
		assert_int_equal(warm.rows[i].size, cold.rows[i].size);
		assert_int_equal(warm.rows[i].flags, cold.rows[i].flags);
	}
	assert_string_equal(warm.rows[1].subject, "Счет 42");
	assert_string_equal(warm.rows[1].from.name, "Jürgen");
	assert_string_equal(warm.rows[1].preview, "Preview text of one");
	/* flags still come fresh from the server */
	assert_int_equal(imap_set_flags(other, "T-rows", &u1, 1, IMAP_FLAGS_ADD,
	                                IMAP_MSG_SEEN | IMAP_MSG_FLAGGED, NULL,
	                                0, A, &err),
	                 0);
	assert_int_equal(imap_list_messages(c, "T-rows", &q, A, &warm, &err),
	                 0);
	assert_int_equal(warm.rows[1].uid, u1);
	assert_int_equal(warm.rows[1].flags &
	                         (IMAP_MSG_SEEN | IMAP_MSG_FLAGGED),
	                 IMAP_MSG_SEEN | IMAP_MSG_FLAGGED);
	/* without previews first, then with: the previews are fetched */
	bye(&c);
	imap_row_share_clear();
	c = login_as("alice@example.test");
	q.no_preview = true;
	assert_int_equal(imap_list_messages(c, "T-rows", &q, A, &warm, &err),
	                 0);
	q.no_preview = false;
	st0 = stats_of(c);
	assert_int_equal(imap_list_messages(c, "T-rows", &q, A, &warm, &err),
	                 0);
	st1 = stats_of(c);
	assert_true(st1.fetches > st0.fetches);
	assert_string_equal(warm.rows[1].preview, "Preview text of one");
	bye(&other);
	bye(&c);
}

/* More rows than the row cache holds, UIDs far apart: the pages served
 * from it are the pages a fresh connection gets. */
static void
test_row_cache_eviction_keeps_pages_right(void **state)
{
	struct imap_conn *c, *fresh;
	struct imap_list_query q;
	struct imap_msg_page p1, p2;
	struct perr err;
	uint32_t page, i;

	(void)state;
	c = login_as("bob@example.test");
	ensure_big_folder(c);
	memset(&q, 0, sizeof(q));
	q.reverse = true;
	q.sort = IMAP_SORT_SUBJECT; /* scatters the UIDs of a page */
	for (page = 0; page < 14; page++) {
		q.offset = page * 50;
		assert_int_equal(imap_list_messages(c, "Big", &q, A, &p1, &err),
		                 0);
	}
	fresh = login_as("bob@example.test");
	for (page = 0; page < 14; page += 3) {
		q.offset = page * 50;
		assert_int_equal(imap_list_messages(c, "Big", &q, A, &p1, &err),
		                 0);
		assert_int_equal(
		        imap_list_messages(fresh, "Big", &q, A, &p2, &err), 0);
		assert_int_equal(p1.n, 50);
		assert_int_equal(p2.n, 50);
		for (i = 0; i < p1.n; i++) {
			assert_int_equal(p1.rows[i].uid, p2.rows[i].uid);
			assert_string_equal(p1.rows[i].subject,
			                    p2.rows[i].subject);
			assert_string_equal(p1.rows[i].from.email,
			                    p2.rows[i].from.email);
			assert_string_equal(p1.rows[i].preview,
			                    p2.rows[i].preview);
			assert_int_equal(p1.rows[i].size, p2.rows[i].size);
			assert_int_equal(p1.rows[i].flags, p2.rows[i].flags);
		}
		arena_reset(A);
	}
	assert_true(stats_of(c).row_cache_hits > 0);
	bye(&fresh);
	bye(&c);
}

/* The page on c, newest first; *d_r: what it sent. */
static struct imap_msg_page
list_page(struct imap_conn *c, const char *folder, struct imap_conn_stats *d_r)
{
	struct imap_list_query q;
	struct imap_msg_page page;
	struct imap_conn_stats b = stats_of(c), e;
	struct perr err;

	memset(&q, 0, sizeof(q));
	q.reverse = true;
	if (imap_list_messages(c, folder, &q, A, &page, &err) != 0)
		fail_msg("list %s: %s", folder, err.msg);
	e = stats_of(c);
	memset(d_r, 0, sizeof(*d_r));
	d_r->sorts = e.sorts - b.sorts;
	d_r->fetches = e.fetches - b.fetches;
	d_r->flag_fetches = e.flag_fetches - b.flag_fetches;
	d_r->flag_skips = e.flag_skips - b.flag_skips;
	d_r->selects = e.selects - b.selects;
	return page;
}

static const struct imap_msg_row *
row_of(const struct imap_msg_page *p, uint32_t uid)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->rows[i].uid == uid)
			return &p->rows[i];
	return NULL;
}

/* The flags of uid's row, which must be on the page. */
static unsigned
flags_of(const struct imap_msg_page *p, uint32_t uid)
{
	const struct imap_msg_row *r = row_of(p, uid);

	if (r == NULL)
		fail_msg("UID %u is not on the page", (unsigned)uid);
	return r != NULL ? r->flags : 0;
}

/*
 * Two connections of one user (two sessions) share the rows: the second
 * one's first page sends no SORT and no row FETCH (and, with CONDSTORE,
 * not even a flag FETCH). Another IMAP client's flag change, append and
 * expunge are all seen on the next list of either.
 */
static void
test_row_share_two_sessions_see_other_clients(void **state)
{
	struct imap_conn *s1, *s2, *other;
	struct imap_msg_page p1, p2;
	struct imap_conn_stats d;
	struct perr err;
	uint32_t u1, u2, u3, u4;
	bool cs;

	(void)state;
	imap_row_share_clear();
	imap_uid_share_clear();
	other = login_as("alice@example.test");
	fresh_folder(other, "T-rshare");
	u1 = append_msg(other, "T-rshare", "One <one@x.test>", "first",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "", "body one", 0);
	u2 = append_msg(other, "T-rshare", "Two <two@x.test>", "second",
	                "Tue, 2 Jan 2024 10:00:00 +0000", "", "body two", 0);
	u3 = append_msg(other, "T-rshare", "Three <three@x.test>", "third",
	                "Wed, 3 Jan 2024 10:00:00 +0000", "", "body three",
	                IMAP_MSG_SEEN);
	s1 = login_as("alice@example.test");
	cs = imap_has_cap(s1, IMAP_CAP_CONDSTORE);
	p1 = list_page(s1, "T-rshare", &d);
	assert_int_equal(p1.n, 3);
	assert_true(d.fetches >= 1);

	/* a second session's first list: everything from the shared cache */
	s2 = login_as("alice@example.test");
	p2 = list_page(s2, "T-rshare", &d);
	assert_int_equal(d.sorts, 0);
	assert_int_equal(d.fetches, 0);
	if (cs) {
		assert_int_equal(d.flag_fetches, 0);
		assert_int_equal(d.flag_skips, 1);
	}
	assert_int_equal(p2.n, 3);
	assert_int_equal(p2.rows[0].uid, u3);
	assert_string_equal(p2.rows[0].subject, "third");
	assert_string_equal(p2.rows[0].preview, "body three");
	assert_int_equal(p2.rows[0].flags & IMAP_MSG_SEEN, IMAP_MSG_SEEN);
	assert_int_equal(p2.rows[2].flags & IMAP_MSG_SEEN, 0);

	/* another client flags u1: both sessions see it at once */
	assert_int_equal(imap_set_flags(other, "T-rshare", &u1, 1,
	                                IMAP_FLAGS_ADD, IMAP_MSG_FLAGGED, NULL,
	                                0, A, &err),
	                 0);
	p2 = list_page(s2, "T-rshare", &d);
	assert_int_equal(d.fetches, 0);
	assert_int_equal(d.flag_fetches, 1);
	assert_true(flags_of(&p2, u1) & IMAP_MSG_FLAGGED);
	p1 = list_page(s1, "T-rshare", &d);
	assert_int_equal(d.fetches, 0);
	assert_true(flags_of(&p1, u1) & IMAP_MSG_FLAGGED);
	/* and once the flags are caught up, nothing more is asked */
	p1 = list_page(s1, "T-rshare", &d);
	if (cs) {
		assert_int_equal(d.flag_fetches, 0);
		assert_int_equal(d.flag_skips, 1);
	}
	assert_true(flags_of(&p1, u1) & IMAP_MSG_FLAGGED);

	/* a session's own STORE: the other one and itself see it */
	assert_int_equal(imap_set_flags(s1, "T-rshare", &u2, 1, IMAP_FLAGS_ADD,
	                                IMAP_MSG_SEEN, NULL, 0, A, &err),
	                 0);
	p1 = list_page(s1, "T-rshare", &d);
	assert_true(flags_of(&p1, u2) & IMAP_MSG_SEEN);
	p2 = list_page(s2, "T-rshare", &d);
	assert_true(flags_of(&p2, u2) & IMAP_MSG_SEEN);
	assert_int_equal(imap_set_flags(s1, "T-rshare", &u2, 1,
	                                IMAP_FLAGS_REMOVE, IMAP_MSG_SEEN, NULL,
	                                0, A, &err),
	                 0);
	p2 = list_page(s2, "T-rshare", &d);
	assert_int_equal(flags_of(&p2, u2) & IMAP_MSG_SEEN, 0);
	p1 = list_page(s1, "T-rshare", &d);
	assert_int_equal(flags_of(&p1, u2) & IMAP_MSG_SEEN, 0);

	/* another client appends: a new first row, the others cached */
	u4 = append_msg(other, "T-rshare", "Four <four@x.test>", "fourth",
	                "Thu, 4 Jan 2024 10:00:00 +0000", "", "body four", 0);
	p2 = list_page(s2, "T-rshare", &d);
	assert_int_equal(p2.total, 4);
	assert_int_equal(p2.rows[0].uid, u4);
	assert_string_equal(p2.rows[0].subject, "fourth");
	p1 = list_page(s1, "T-rshare", &d);
	assert_int_equal(p1.total, 4);
	assert_int_equal(d.fetches, 0); /* s2 fetched the new row */
	assert_string_equal(p1.rows[0].preview, "body four");

	/* another client expunges u3 */
	assert_int_equal(
	        imap_delete_messages(other, "T-rshare", &u3, 1, true, A, &err),
	        0);
	p1 = list_page(s1, "T-rshare", &d);
	assert_int_equal(p1.total, 3);
	assert_null(row_of(&p1, u3));
	p2 = list_page(s2, "T-rshare", &d);
	assert_int_equal(p2.total, 3);
	assert_null(row_of(&p2, u3));
	assert_int_equal(p2.rows[0].uid, u4);
	assert_int_equal(p2.rows[2].uid, u1);
	bye(&other);
	bye(&s2);
	bye(&s1);
	imap_row_share_clear();
	imap_uid_share_clear();
}

/* Without CONDSTORE the flags are fetched on every list, and right. */
static void
test_row_share_without_condstore_fetches_flags(void **state)
{
	struct imap_conn *s1, *other;
	struct imap_msg_page p;
	struct imap_conn_stats d;
	struct perr err;
	uint32_t u1;

	(void)state;
	imap_row_share_clear();
	other = login_as("alice@example.test");
	fresh_folder(other, "T-rplain");
	u1 = append_msg(other, "T-rplain", "One <one@x.test>", "first",
	                "Mon, 1 Jan 2024 10:00:00 +0000", "", "body one", 0);
	s1 = login_as("alice@example.test");
	imap_conn_disable_caps(s1, IMAP_CAP_CONDSTORE | IMAP_CAP_QRESYNC);
	(void)list_page(s1, "T-rplain", &d);
	p = list_page(s1, "T-rplain", &d);
	assert_int_equal(d.fetches, 0);
	assert_int_equal(d.flag_fetches, 1);
	assert_int_equal(d.flag_skips, 0);
	assert_int_equal(p.rows[0].flags & IMAP_MSG_FLAGGED, 0);
	assert_int_equal(imap_set_flags(other, "T-rplain", &u1, 1,
	                                IMAP_FLAGS_ADD, IMAP_MSG_FLAGGED, NULL,
	                                0, A, &err),
	                 0);
	p = list_page(s1, "T-rplain", &d);
	assert_int_equal(d.flag_fetches, 1);
	assert_true(p.rows[0].flags & IMAP_MSG_FLAGGED);
	bye(&other);
	bye(&s1);
	imap_row_share_clear();
}

/*
 * A connection's own delete and move keep its sorted list without the
 * messages (no SORT), in the order a fresh SORT gives; an expunge by
 * another client in between makes it sort again.
 */
static void
test_uid_cache_kept_across_own_delete_and_move(void **state)
{
	static const char *const dates[] = {
	        "Mon, 1 Jan 2024 10:00:00 +0000",
	        "Fri, 5 Jan 2024 10:00:00 +0000",
	        "Wed, 3 Jan 2024 10:00:00 +0000",
	        "Sun, 7 Jan 2024 10:00:00 +0000",
	        "Tue, 2 Jan 2024 10:00:00 +0000",
	        "Sat, 6 Jan 2024 10:00:00 +0000",
	};
	struct imap_conn *c, *fresh, *other;
	struct imap_msg_page p, q;
	struct imap_conn_stats d;
	struct perr err;
	uint32_t u[6];
	size_t i;

	(void)state;
	imap_uid_share_clear();
	c = login_as("alice@example.test");
	other = login_as("alice@example.test");
	fresh_folder(c, "T-keep");
	fresh_folder(c, "T-keep-dest");
	for (i = 0; i < 6; i++)
		u[i] = append_msg(c, "T-keep", "A <a@x.test>", "m", dates[i],
		                  "", "body", 0);
	p = list_page(c, "T-keep", &d);
	assert_int_equal(p.total, 6);
	assert_int_equal(d.sorts, 1);

	/* own permanent delete (UID EXPUNGE) */
	assert_int_equal(
	        imap_delete_messages(c, "T-keep", &u[3], 1, true, A, &err), 0);
	p = list_page(c, "T-keep", &d);
	assert_int_equal(d.sorts, 0);
	assert_int_equal(p.total, 5);
	fresh = login_as("alice@example.test");
	q = list_page(fresh, "T-keep", &d);
	assert_same_order(&p, &q);
	bye(&fresh);

	/* own move of two */
	{
		uint32_t two[2] = {u[5], u[0]};

		assert_int_equal(
		        imap_move(c, "T-keep", two, 2, "T-keep-dest", A, &err),
		        0);
	}
	p = list_page(c, "T-keep", &d);
	assert_int_equal(d.sorts, 0);
	assert_int_equal(p.total, 3);
	imap_uid_share_clear();
	fresh = login_as("alice@example.test");
	q = list_page(fresh, "T-keep", &d);
	assert_int_equal(d.sorts, 1);
	assert_same_order(&p, &q);
	bye(&fresh);

	/* another client's expunge first: the own move sorts again */
	assert_int_equal(
	        imap_delete_messages(other, "T-keep", &u[1], 1, true, A, &err),
	        0);
	assert_int_equal(
	        imap_move(c, "T-keep", &u[2], 1, "T-keep-dest", A, &err), 0);
	p = list_page(c, "T-keep", &d);
	assert_int_equal(d.sorts, 1);
	assert_int_equal(p.total, 1);
	assert_int_equal(p.rows[0].uid, u[4]);
	bye(&other);
	bye(&c);
	imap_uid_share_clear();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_login_ok_and_capabilities),
	        cmocka_unit_test(test_wrong_password_is_auth_error),
	        cmocka_unit_test(test_server_down_is_tempfail_quickly),
	        cmocka_unit_test(
	                test_untrusted_certificate_refused_then_accepted_with_ca),
	        cmocka_unit_test(test_starttls_login),
	        cmocka_unit_test(test_crlf_values_cannot_add_commands),
	        cmocka_unit_test(test_special_use_and_order),
	        cmocka_unit_test(test_cyrillic_folder_round_trip),
	        cmocka_unit_test(test_flags_move_delete),
	        cmocka_unit_test(test_search_hostile_strings),
	        cmocka_unit_test(test_threads_and_previews),
	        cmocka_unit_test(test_pool_reuse_and_reconnect_after_kick),
	        cmocka_unit_test(test_pool_adopts_the_sign_in_connection),
	        cmocka_unit_test(test_pool_caps_connections_per_user),
	        cmocka_unit_test(
	                test_pool_replaces_a_connection_whose_folder_was_deleted),
	        cmocka_unit_test(test_big_folder_sort_and_paging),
	        cmocka_unit_test(
	                test_uid_cache_skips_sort_until_the_folder_changes),
	        cmocka_unit_test(
	                test_uid_share_serves_a_new_connection_until_the_folder_changes),
	        cmocka_unit_test(
	                test_uid_share_catches_up_with_new_and_gone_mail),
	        cmocka_unit_test(
	                test_uid_cache_kept_across_own_delete_and_move),
	        cmocka_unit_test(test_row_cache_fetches_only_flags_when_warm),
	        cmocka_unit_test(test_row_cache_eviction_keeps_pages_right),
	        cmocka_unit_test(test_row_share_two_sessions_see_other_clients),
	        cmocka_unit_test(
	                test_row_share_without_condstore_fetches_flags),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
