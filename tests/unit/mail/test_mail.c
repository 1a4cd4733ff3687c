/*
 * src/mail on a fake IMAP/SMTP (struct mail_ops) and a real store in a
 * temporary directory: what compose-from fills in, what Send submits and
 * files and in which order, the send token, upload limits and
 * identities. The fake logs every server step it is asked for, so a test
 * can tell what happened and in which order.
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

/* ---- the fake servers ---------------------------------------------------- */

struct fake_msg {
	const char *folder;
	uint32_t uid;
	struct imap_message m;
	struct imap_part part; /* a single text/plain body, section "1" */
	const char *body;      /* section "1" */
	const char *header;    /* section "HEADER" */
	const char *raw;       /* the whole message */
};

struct fake {
	struct arena *a;
	struct fake_msg msgs[4];
	size_t n_msgs;
	struct sbuf log; /* "op arg;" per step, in order */
	/* SMTP: 0 accepts, else the kind it fails with. */
	enum perr_kind smtp_fails;
	bool smtp_maybe_delivered; /* the failure came after the final "." */
	unsigned smtp_calls;
	struct strv smtp_msg;
	const char *smtp_rcpt[8];
	size_t n_rcpt;
	struct strv appended; /* the last APPEND's bytes */
	bool append_fails;    /* APPEND answers NO */
	uint32_t next_uid;
	size_t max_chunk; /* the largest piece fetch_section_chunks asked */
	unsigned n_chunks;
};

static void PT_PRINTF(2, 3) logf_(struct fake *f, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sbuf_append_cstr(&f->log, buf);
	sbuf_append_char(&f->log, ';');
}

static struct fake_msg *
find(struct fake *f, const char *folder, uint32_t uid)
{
	size_t i;

	for (i = 0; i < f->n_msgs; i++)
		if (f->msgs[i].uid == uid &&
		    strcmp(f->msgs[i].folder, folder) == 0)
			return &f->msgs[i];
	return NULL;
}

static int
fake_fetch_message(void *b, const char *folder, uint32_t uid, struct arena *a,
                   struct imap_message *m_r, struct perr *err)
{
	struct fake_msg *m = find(b, folder, uid);

	if (m == NULL)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	*m_r = m->m;
	return 0;
}

static int
fake_fetch_section(void *b, const char *folder, uint32_t uid,
                   const char *section, struct arena *a, struct strv *data_r,
                   struct perr *err)
{
	struct fake_msg *m = find(b, folder, uid);
	const char *v;

	if (m == NULL)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	if (section == NULL)
		v = m->raw;
	else if (strcmp(section, "HEADER") == 0)
		v = m->header;
	else if (strcmp(section, "1") == 0)
		v = m->body;
	else
		v = NULL;
	if (v == NULL)
		return perr_set(err, a, PERR_NOTFOUND, "no such section");
	*data_r = strv_from_cstr(arena_strdup(a, v));
	return 0;
}

static int
fake_folders(void *b, struct arena *a, struct imap_folder **v_r, size_t *n_r,
             struct perr *err)
{
	static const char *const names[] = {"INBOX", "Drafts", "Sent", "Trash"};
	static const enum imap_special sp[] = {
	        IMAP_SPECIAL_INBOX, IMAP_SPECIAL_DRAFTS, IMAP_SPECIAL_SENT,
	        IMAP_SPECIAL_TRASH};
	struct imap_folder *v = arena_new_array(a, struct imap_folder, 4);
	size_t i;

	(void)err;
	logf_(b, "list");
	for (i = 0; i < 4; i++) {
		v[i].path = v[i].raw = v[i].name = names[i];
		v[i].special = sp[i];
	}
	*v_r = v;
	*n_r = 4;
	return 0;
}

static int
fake_folder_create(void *b, const char *path, struct arena *a, struct perr *err)
{
	(void)a;
	(void)err;
	logf_(b, "create %s", path);
	return 0;
}

static int
fake_folder_empty(void *b, const char *path, struct arena *a, struct perr *err)
{
	(void)a;
	(void)err;
	logf_(b, "empty %s", path);
	return 0;
}

static int
fake_append(void *b, const char *folder, unsigned flags, struct strv msg,
            struct arena *a, uint32_t *uid_r, struct perr *err)
{
	struct fake *f = b;

	logf_(f, "append %s %s", folder,
	      (flags & IMAP_MSG_DRAFT) ? "draft" : "seen");
	if (f->append_fails)
		return perr_set(err, a, PERR_REMOTE, "NO [OVERQUOTA] quota");
	f->appended = strv_from_cstr(strv_dup(f->a, msg));
	*uid_r = ++f->next_uid;
	return 0;
}

static int
fake_add_flags(void *b, const char *folder, uint32_t uid, unsigned flags,
               struct arena *a, struct perr *err)
{
	(void)a;
	(void)err;
	logf_(b, "flag %s %u %s", folder, (unsigned)uid,
	      flags == IMAP_MSG_ANSWERED ? "answered" : "forwarded");
	return 0;
}

static int
fake_delete_message(void *b, const char *folder, uint32_t uid, struct arena *a,
                    struct perr *err)
{
	(void)a;
	(void)err;
	logf_(b, "delete %s %u", folder, (unsigned)uid);
	return 0;
}

static int
fake_smtp_send(void *b, const struct smtp_envelope *env, struct strv msg,
               struct arena *a, struct smtp_failure *fail_r, struct perr *err)
{
	struct fake *f = b;
	size_t i;

	f->smtp_calls++;
	logf_(f, "smtp");
	if (f->smtp_fails != PERR_OK && f->smtp_maybe_delivered) {
		fail_r->stage = "DATA";
		fail_r->maybe_delivered = true;
		return perr_set(err, a, f->smtp_fails, "DATA: connection lost");
	}
	if (f->smtp_fails != PERR_OK) {
		fail_r->stage = "RCPT TO";
		fail_r->recipient = env->rcpt[0];
		return perr_set(err, a, f->smtp_fails, "550 no such user");
	}
	f->smtp_msg = strv_from_cstr(strv_dup(f->a, msg));
	for (i = 0; i < env->n_rcpt && i < 8; i++)
		f->smtp_rcpt[i] = arena_strdup(f->a, env->rcpt[i]);
	f->n_rcpt = env->n_rcpt;
	return 0;
}

/* Section "1" in pieces of chunk bytes, as BODY.PEEK[1]<off.chunk> would. */
static int
fake_fetch_section_chunks(void *b, const char *folder, uint32_t uid,
                          const char *section, size_t chunk,
                          imap_chunk_fn *sink, void *arg, struct arena *a,
                          struct perr *err)
{
	struct fake *f = b;
	struct fake_msg *m = find(f, folder, uid);
	size_t len, off = 0;

	if (m == NULL || section == NULL || strcmp(section, "1") != 0)
		return perr_set(err, a, PERR_NOTFOUND, "no such section");
	if (chunk > f->max_chunk)
		f->max_chunk = chunk;
	len = strlen(m->body);
	do {
		size_t n = len - off < chunk ? len - off : chunk;

		f->n_chunks++;
		if (sink(arg, off, (struct strv){m->body + off, n}) != 0)
			return 0;
		off += n;
		if (n < chunk)
			break;
	} while (1);
	return 0;
}

static const struct mail_ops fake_ops = {
        .fetch_message = fake_fetch_message,
        .fetch_section = fake_fetch_section,
        .fetch_section_chunks = fake_fetch_section_chunks,
        .folders = fake_folders,
        .folder_create = fake_folder_create,
        .folder_empty = fake_folder_empty,
        .append = fake_append,
        .add_flags = fake_add_flags,
        .delete_message = fake_delete_message,
        .smtp_send = fake_smtp_send,
};

/* ---- fixture: fake servers, a store and an uploads dir ------------------- */

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

	unit_temp_dir(x->dir, sizeof(x->dir), "petrel-mail");
	x->a = arena_create("test", 4096, 0);
	x->fake.a = x->a;
	x->fake.next_uid = 100;
	sbuf_init(&x->fake.log, x->a, 256, 0);
	x->s.a = x->a;
	x->s.ops = &fake_ops;
	x->s.backend = &x->fake;
	x->s.user = USER;
	x->s.session_hash = "abc123";
	x->s.uploads_dir = arena_printf(x->a, "%s/uploads", x->dir);
	x->s.max_file = 1024 * 1024;
	x->s.max_total = 2 * 1024 * 1024;
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

static struct imap_addr_list
addrs(struct arena *a, const char *const *emails, size_t n)
{
	struct imap_addr_list l;
	size_t i;

	l.v = arena_new_array(a, struct imap_address, n + 1);
	l.n = n;
	for (i = 0; i < n; i++) {
		l.v[i].name = "";
		l.v[i].email = emails[i];
	}
	return l;
}

/* A stored plain-text message from bob to alice and carol, cc dave. */
static struct fake_msg *
add_message(struct fixture *x, const char *folder, uint32_t uid)
{
	static const char *const from[] = {"bob@example.org"};
	static const char *const to[] = {USER, "carol@example.org"};
	static const char *const cc[] = {"dave@example.org",
	                                 "ALICE.WORK@example.test"};
	struct fake_msg *m = &x->fake.msgs[x->fake.n_msgs++];

	memset(m, 0, sizeof(*m));
	m->folder = folder;
	m->uid = uid;
	m->part.section = "1";
	m->part.type = "text";
	m->part.subtype = "plain";
	m->part.charset = m->part.name = m->part.content_id = "";
	m->part.disposition = "";
	m->part.encoding = "7bit";
	m->m.uid = uid;
	m->m.root = &m->part;
	m->m.references = "";
	m->m.env.subject = "Lunch";
	m->m.env.date_raw = "";
	m->m.env.message_id = "<m1@example.org>";
	m->m.env.in_reply_to = "";
	m->m.env.from = addrs(x->a, from, 1);
	m->m.env.to = addrs(x->a, to, 2);
	m->m.env.cc = addrs(x->a, cc, 2);
	m->m.env.reply_to = addrs(x->a, NULL, 0);
	m->body = "Shall we?\r\n";
	m->header = "From: bob@example.org\r\nBcc: secret@example.net\r\n"
	            "Subject: Lunch\r\n\r\n";
	m->raw = "From: bob@example.org\r\nBcc: secret@example.net\r\n"
	         "Subject: Lunch\r\n\r\nShall we?\r\n";
	return m;
}

/*
 * Issue 14 finding 14: an HTML part over max_html is never fetched (the
 * fake has no section "2": a fetch would fail the render) nor sanitized;
 * the plain alternative is shown and the skip reported. Within the limit,
 * or with no limit, the HTML is fetched as before.
 */
static void
test_render_skips_an_html_part_over_the_limit(void **state)
{
	struct fixture *x = *state;
	struct fake_msg *m = add_message(x, "INBOX", 7);
	struct imap_part html;
	struct mail_render_opts o;
	struct mail_rendered r;
	struct mail_view v;
	struct perr err = {0};

	html = m->part;
	html.section = "2";
	html.subtype = "html";
	html.size = 3u * 1024 * 1024;
	m->part.size = 11;
	memset(&v, 0, sizeof(v));
	v.m = m->m;
	v.root = &m->part;
	v.env = &m->m.env;
	v.html = &html;
	v.plain = &m->part;
	v.folder = "INBOX";
	v.uid = 7;
	v.a = x->a;
	memset(&o, 0, sizeof(o));
	o.max_output = 1024 * 1024;
	o.max_html = 2u * 1024 * 1024;
	assert_int_equal(mail_view_render(&x->s, &v, &o, &r, &err), 0);
	assert_true(r.html_skipped);
	assert_int_equal(r.html_size, 3u * 1024 * 1024);
	assert_false(r.is_html);
	assert_string_equal(r.text, "Shall we?\r\n");
	assert_non_null(strstr(r.html, "Shall we?"));
	/* The plain alternative over the limit too: nothing is fetched. */
	m->part.size = 3u * 1024 * 1024;
	assert_int_equal(mail_view_render(&x->s, &v, &o, &r, &err), 0);
	assert_true(r.html_skipped);
	assert_string_equal(r.text, "");
	/* Under the limit (or none): the HTML part is fetched. */
	html.size = 1024;
	assert_int_equal(mail_view_render(&x->s, &v, &o, &r, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	html.size = 3u * 1024 * 1024;
	o.max_html = 0;
	perr_clear(&err);
	assert_int_equal(mail_view_render(&x->s, &v, &o, &r, &err), -1);
}

static const struct mail_compose_texts texts = {
        .reply_attribution = "On {date}, {name} wrote:",
        .forward_header = "From: {from} Subject: {subject}",
};

static bool
has(const struct mail_strings *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* ---- compose from ---------------------------------------------------------
 */

static void
test_reply_all_leaves_out_the_user_and_the_sender(void **state)
{
	struct fixture *x = *state;
	struct store_identity id = {.name = "Alice",
	                            .email = "alice.work@example.test"};
	struct mail_form f;
	struct perr err = {0};
	int64_t idn;

	add_message(x, "INBOX", 7);
	/* A second identity of the user: also "self". */
	assert_int_equal(mail_identity_save(&x->s, &id, id.email, &idn, &err),
	                 0);
	assert_int_equal(mail_compose_from(&x->s, MAIL_COMPOSE_REPLY_ALL,
	                                   "INBOX", 7, &texts, &f, &err),
	                 0);
	assert_int_equal(f.to.n, 1);
	assert_string_equal(f.to.v[0], "bob@example.org");
	assert_int_equal(f.cc.n, 2);
	assert_true(has(&f.cc, "carol@example.org"));
	assert_true(has(&f.cc, "dave@example.org"));
	assert_false(has(&f.cc, USER));
	assert_string_equal(f.subject, "Re: Lunch");
	assert_non_null(strstr(f.text, "bob@example.org wrote:\n> Shall we?"));
	assert_string_equal(f.in_reply_to.folder, "INBOX");
	assert_int_equal(f.in_reply_to.uid, 7);
	assert_null(f.forward_of.folder);
	assert_int_equal(f.draft_uid, 0);
}

static void
test_reply_goes_to_the_sender_only(void **state)
{
	struct fixture *x = *state;
	struct mail_form f;
	struct perr err = {0};

	add_message(x, "INBOX", 7);
	assert_int_equal(mail_compose_from(&x->s, MAIL_COMPOSE_REPLY, "INBOX",
	                                   7, &texts, &f, &err),
	                 0);
	assert_int_equal(f.to.n, 1);
	assert_int_equal(f.cc.n, 0);
}

static char *
read_upload(struct fixture *x, const char *id)
{
	const char *path = arena_printf(x->a, "%s/%s", x->s.uploads_dir, id);
	FILE *fp = fopen(path, "rb");
	char *buf = arena_alloc(x->a, 4096);
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, 4095, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static void
test_forward_as_attachment_drops_bcc(void **state)
{
	struct fixture *x = *state;
	struct mail_form f;
	struct perr err = {0};
	char *eml;

	add_message(x, "Sent", 9);
	assert_int_equal(mail_compose_from(&x->s,
	                                   MAIL_COMPOSE_FORWARD_ATTACHMENT,
	                                   "Sent", 9, &texts, &f, &err),
	                 0);
	assert_int_equal(f.n_att, 1);
	assert_string_equal(f.att[0].name, "Lunch.eml");
	assert_string_equal(f.att[0].type, "message/rfc822");
	eml = read_upload(x, f.att[0].id);
	assert_non_null(strstr(eml, "Subject: Lunch"));
	assert_null(strstr(eml, "secret@example.net"));
	assert_null(strstr(eml, "Bcc"));
	assert_string_equal(f.subject, "Fwd: Lunch");
	assert_string_equal(f.forward_of.folder, "Sent");
	assert_null(f.in_reply_to.folder);
}

static void
test_compose_from_a_missing_message_is_not_found(void **state)
{
	struct fixture *x = *state;
	struct mail_form f;
	struct perr err = {0};

	assert_int_equal(mail_compose_from(&x->s, MAIL_COMPOSE_FORWARD, "INBOX",
	                                   42, &texts, &f, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
}

static void
test_compose_mode_names(void **state)
{
	enum mail_compose_mode m;

	(void)state;
	assert_int_equal(mail_compose_mode_parse("forwardAttachment", &m), 0);
	assert_int_equal(m, MAIL_COMPOSE_FORWARD_ATTACHMENT);
	assert_int_equal(mail_compose_mode_parse("editAsNew", &m), 0);
	assert_int_equal(m, MAIL_COMPOSE_EDIT_AS_NEW);
	assert_int_equal(mail_compose_mode_parse("Reply", &m), -1);
}

/* ---- send and drafts --------------------------------------------------------
 */

static const char *to_bob[] = {"Bob <bob@example.org>"};
static const char *bcc_sec[] = {"secret@example.net"};

static void
form(struct mail_compose *c, const char *token)
{
	memset(c, 0, sizeof(*c));
	c->to = (struct mail_strings){to_bob, 1};
	c->bcc = (struct mail_strings){bcc_sec, 1};
	c->subject = "Hello";
	c->text = "Hi Bob";
	c->send_token = token;
	c->date = 1700000000;
}

static void
test_send_files_the_copy_in_sent_after_smtp_accepted(void **state)
{
	struct fixture *x = *state;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct mail_sent r;
	struct perr err = {0};

	add_message(x, "INBOX", 7);
	form(&c, "0123456789abcdef");
	c.in_reply_to = (struct mail_ref){"INBOX", 7};
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), 0);
	assert_int_equal(mail_send(&x->s, o, &r, &err), 0);
	assert_string_equal(
	        sbuf_cstr(&x->fake.log),
	        "smtp;list;append Sent seen;flag INBOX 7 answered;");
	/* The recipients' copy has no Bcc; the Sent copy keeps it. */
	assert_null(strstr(x->fake.smtp_msg.p, "secret@example.net"));
	assert_non_null(strstr(x->fake.appended.p, "secret@example.net"));
	assert_int_equal(x->fake.n_rcpt, 2);
	assert_string_equal(x->fake.smtp_rcpt[0], "bob@example.org");
	assert_string_equal(x->fake.smtp_rcpt[1], "secret@example.net");
	assert_non_null(
	        strstr(x->fake.smtp_msg.p, "In-Reply-To: <m1@example.org>"));
	assert_int_equal(r.sent_uid, 101);
	assert_null(r.replay);
}

/* The outbox's path (issue 17): mail_queue now, mail_queued_submit and
 * mail_queued_after later, as separate steps: the same SMTP copy without
 * Bcc, the same after-send steps as mail_send. */
static void
test_queued_send_in_two_steps_is_mail_send(void **state)
{
	struct fixture *x = *state;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct mail_queued q;
	struct perr err = {0};
	bool saved = false;

	add_message(x, "INBOX", 7);
	form(&c, "0123456789abcdef");
	c.in_reply_to = (struct mail_ref){"INBOX", 7};
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), 0);
	assert_int_equal(mail_queue(&x->s, o, &q, &err), 0);
	assert_string_equal(sbuf_cstr(&x->fake.log), "");
	assert_true(q.wire_off > 0 && q.wire_off < q.message.len);
	assert_non_null(
	        memmem(q.message.p, q.wire_off, "secret@example.net", 18));
	assert_int_equal(q.env.n_rcpt, 2);
	assert_int_equal(q.n_seen, 2);
	assert_int_equal(mail_queued_submit(&x->s, &q, &err), 0);
	assert_string_equal(sbuf_cstr(&x->fake.log), "smtp;");
	assert_null(strstr(x->fake.smtp_msg.p, "secret@example.net"));
	assert_int_equal(mail_queued_after(&x->s, &q, &saved), 101);
	assert_true(saved);
	assert_string_equal(
	        sbuf_cstr(&x->fake.log),
	        "smtp;list;append Sent seen;flag INBOX 7 answered;");
	assert_non_null(strstr(x->fake.appended.p, "secret@example.net"));
	/* a refused Sent copy is reported, the other steps still run */
	x->fake.append_fails = true;
	sbuf_reset(&x->fake.log);
	assert_int_equal(mail_queued_after(&x->s, &q, &saved), 0);
	assert_false(saved);
	/* (a refused APPEND is tried once more after creating the folder) */
	assert_string_equal(
	        sbuf_cstr(&x->fake.log),
	        "list;append Sent seen;create Sent;append Sent seen;"
	        "flag INBOX 7 answered;");
	x->fake.append_fails = false;
	/* A refusal says where, as for an immediate Send. */
	x->fake.smtp_fails = PERR_REMOTE;
	assert_int_equal(mail_queued_submit(&x->s, &q, &err), -1);
	assert_int_equal(x->s.why, MAIL_WHY_SMTP_REJECTED);
	assert_string_equal(x->s.why_detail, "RCPT TO <bob@example.org>");
}

/* #14 finding 2: only verified identities send; drafts may show any. */
static void
test_unverified_identity_cannot_send(void **state)
{
	struct fixture *x = *state;
	struct store_identity id = {.name = "Boss"};
	struct mail_identity *v;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct perr err = {0};
	int64_t n;
	size_t cnt;

	assert_int_equal(
	        mail_identity_save(&x->s, &id, "boss@example.org", &n, &err),
	        0);
	assert_int_equal(mail_identities(&x->s, &v, &cnt, &err), 0);
	assert_int_equal(cnt, 1);
	assert_false(v[0].verified);
	form(&c, "0123456789abcdee");
	c.identity_id = arena_printf(x->a, "%lld", (long long)n);
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), -1);
	assert_int_equal(err.kind, PERR_FORBIDDEN);
	assert_int_equal(x->s.why, MAIL_WHY_UNVERIFIED);
	x->s.why = MAIL_WHY_NONE;
	perr_clear(&err);
	assert_int_equal(mail_compose_prepare(&x->s, &c, false, &o, &err), 0);
	/* The login address as From, the bad identity aside: fine. */
	c.identity_id = "default";
	c.from = "boss@example.org";
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	perr_clear(&err);
	c.from = NULL;
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), 0);
}

static void
test_send_rejected_files_nothing(void **state)
{
	struct fixture *x = *state;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct mail_sent r;
	struct perr err = {0};

	x->fake.smtp_fails = PERR_REMOTE;
	form(&c, "0123456789abcdef");
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), 0);
	assert_int_equal(mail_send(&x->s, o, &r, &err), -1);
	assert_int_equal(err.kind, PERR_REMOTE);
	assert_int_equal(x->s.why, MAIL_WHY_SMTP_REJECTED);
	assert_string_equal(x->s.why_detail, "RCPT TO <bob@example.org>");
	assert_string_equal(sbuf_cstr(&x->fake.log), "smtp;");

	/* The claim was released: the same token sends once it works. */
	x->fake.smtp_fails = PERR_OK;
	x->s.why = MAIL_WHY_NONE;
	perr_clear(&err);
	assert_int_equal(mail_send(&x->s, o, &r, &err), 0);
	assert_int_equal(x->fake.smtp_calls, 2);
}

static void
test_send_token_makes_send_idempotent(void **state)
{
	struct fixture *x = *state;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct mail_sent r1, r2;
	struct perr err = {0};

	form(&c, "feedfacefeedface");
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), 0);
	assert_int_equal(mail_send(&x->s, o, &r1, &err), 0);
	assert_int_equal(mail_send(&x->s, o, &r2, &err), 0);
	assert_int_equal(x->fake.smtp_calls, 1);
	assert_non_null(r2.replay);
	assert_non_null(strstr(r2.replay, r1.message_id));
	assert_non_null(strstr(r2.replay, "\"sentUid\":101"));
	assert_non_null(strstr(r2.replay, "\"sentSaved\":true"));
	assert_true(r1.sent_saved);
}

/*
 * The connection broke after the whole message went out, before the
 * server's answer (a cut point of tests/integration/cutpoints): it may
 * have been delivered. The answer says so, the draft and Sent are not
 * touched, and a repeat of the token gets the same answer without a
 * second submission, so it can never be delivered twice.
 */
static void
test_send_lost_after_data_is_uncertain_and_never_repeated(void **state)
{
	struct fixture *x = *state;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct mail_sent r;
	struct perr err = {0};

	x->fake.smtp_fails = PERR_TEMPFAIL;
	x->fake.smtp_maybe_delivered = true;
	form(&c, "0123456789abcdef0123");
	c.draft_uid = 7;
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), 0);
	assert_int_equal(mail_send(&x->s, o, &r, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_int_equal(x->s.why, MAIL_WHY_SEND_UNCERTAIN);
	assert_string_equal(sbuf_cstr(&x->fake.log), "smtp;");

	/* Even once the server works again: no second submission. */
	x->fake.smtp_fails = PERR_OK;
	x->fake.smtp_maybe_delivered = false;
	x->s.why = MAIL_WHY_NONE;
	perr_clear(&err);
	assert_int_equal(mail_send(&x->s, o, &r, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_int_equal(x->s.why, MAIL_WHY_SEND_UNCERTAIN);
	assert_null(r.replay);
	assert_int_equal(x->fake.smtp_calls, 1);
	assert_string_equal(sbuf_cstr(&x->fake.log), "smtp;");
}

static void
test_send_needs_a_recipient_and_refuses_header_injection(void **state)
{
	struct fixture *x = *state;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct perr err = {0};

	form(&c, "0123456789abcdef");
	c.to.n = 0;
	c.bcc.n = 0;
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_non_null(strstr(err.msg, "invalid address"));
	perr_clear(&err);
	form(&c, "0123456789abcdef");
	c.subject = "Hi\r\nBcc: victim@example.org";
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), -1);
	assert_non_null(strstr(err.msg, "header injection"));
	assert_int_equal(x->fake.smtp_calls, 0);
}

static void
test_send_refuses_a_forged_from(void **state)
{
	struct fixture *x = *state;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct perr err = {0};

	form(&c, "0123456789abcdef");
	c.from = "Boss <boss@example.org>";
	assert_int_equal(mail_compose_prepare(&x->s, &c, true, &o, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_non_null(strstr(err.msg, "not one of your addresses"));
}

static void
test_draft_keeps_half_typed_recipients_and_replaces_the_old(void **state)
{
	struct fixture *x = *state;
	static const char *to[] = {"bob@example.org", "not an addr"};
	struct mail_compose c;
	struct mail_outgoing *o;
	struct perr err = {0};
	uint32_t uid;

	form(&c, NULL);
	c.to = (struct mail_strings){to, 2};
	c.draft_uid = 55;
	c.forward_of = (struct mail_ref){"INBOX", 7};
	assert_int_equal(mail_compose_prepare(&x->s, &c, false, &o, &err), 0);
	assert_int_equal(mail_draft_save(&x->s, o, &uid, &err), 0);
	assert_int_equal(uid, 101);
	assert_string_equal(sbuf_cstr(&x->fake.log),
	                    "list;append Drafts draft;delete Drafts 55;");
	/* base64("not an addr") and base64("INBOX"). */
	assert_non_null(strstr(x->fake.appended.p,
	                       MAIL_DRAFT_PENDING_TO ": bm90IGFuIGFkZHI="));
	assert_non_null(strstr(x->fake.appended.p,
	                       MAIL_DRAFT_FORWARD_HEADER ": 7 SU5CT1g="));
	assert_int_equal(x->fake.smtp_calls, 0);
}

/* ---- folders --------------------------------------------------------------
 */

static void
test_only_trash_and_junk_are_emptied(void **state)
{
	struct fixture *x = *state;
	struct perr err = {0};

	assert_int_equal(mail_folder_empty(&x->s, "INBOX", &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	perr_clear(&err);
	assert_int_equal(mail_folder_empty(&x->s, "Nope", &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	perr_clear(&err);
	assert_int_equal(mail_folder_empty(&x->s, "Trash", &err), 0);
	assert_string_equal(sbuf_cstr(&x->fake.log),
	                    "list;list;list;empty Trash;");
}

static void
test_folders_ensure_creates_the_missing_once(void **state)
{
	struct fixture *x = *state;
	static const char *const paths[] = {"Sent", "Lists/Work", "Lists/Work",
	                                    "Receipts"};
	struct perr err = {0};

	assert_int_equal(mail_folders_ensure(&x->s, paths, 0, &err), 0);
	assert_string_equal(sbuf_cstr(&x->fake.log), "");
	assert_int_equal(mail_folders_ensure(&x->s, paths, 4, &err), 0);
	assert_string_equal(sbuf_cstr(&x->fake.log),
	                    "list;create Lists/Work;create Receipts;");
}

/* ---- uploads ----------------------------------------------------------------
 */

static void
test_upload_limits_per_file_and_per_session(void **state)
{
	struct fixture *x = *state;
	struct mail_upload u;
	struct perr err = {0};
	struct strv ten = STRV_LIT("0123456789");

	x->s.max_file = 10;
	x->s.max_total = 20;
	assert_int_equal(mail_upload_store(&x->s, "big.bin", "",
	                                   STRV_LIT("01234567890"), NULL, 11,
	                                   &u, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	assert_int_equal(x->s.why, MAIL_WHY_UPLOAD_FILE);
	perr_clear(&err);
	x->s.why = MAIL_WHY_NONE;
	assert_int_equal(mail_upload_store(&x->s, "a.txt", "Text/Plain; x=y",
	                                   ten, NULL, ten.len, &u, &err),
	                 0);
	assert_string_equal(u.type, "text/plain");
	assert_int_equal(mail_upload_store(&x->s, "../b.txt", "bad type", ten,
	                                   NULL, ten.len, &u, &err),
	                 0);
	assert_string_equal(u.type, "application/octet-stream");
	assert_null(strchr(u.name, '/'));
	assert_int_equal(mail_upload_store(&x->s, "c.txt", "", ten, NULL,
	                                   ten.len, &u, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	assert_int_equal(x->s.why, MAIL_WHY_UPLOAD_TOTAL);
}

static void
test_upload_delete_is_the_owners_only(void **state)
{
	struct fixture *x = *state;
	struct mail_upload u;
	struct perr err = {0};
	struct stat sb;

	assert_int_equal(mail_upload_store(&x->s, "a.txt", "text/plain",
	                                   STRV_LIT("x"), NULL, 1, &u, &err),
	                 0);
	x->s.session_hash = "other";
	assert_int_equal(mail_upload_delete(&x->s, u.id, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	x->s.session_hash = "abc123";
	perr_clear(&err);
	assert_int_equal(mail_upload_delete(&x->s, u.id, &err), 0);
	assert_int_not_equal(
	        stat(arena_printf(x->a, "%s/%s", x->s.uploads_dir, u.id), &sb),
	        0);
}

/* ---- identities
 * -------------------------------------------------------------- */

static void
test_identities_default_and_limits(void **state)
{
	struct fixture *x = *state;
	struct mail_identity *v;
	struct store_identity id = {.name = "A"};
	struct perr err = {0};
	int64_t out, n0;
	size_t n, i;

	assert_int_equal(mail_identities(&x->s, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "default");
	assert_string_equal(v[0].s.email, USER);
	assert_true(v[0].s.is_default);

	id.name = "Evil\r\nBcc: x@y";
	assert_int_equal(
	        mail_identity_save(&x->s, &id, "a@example.test", &out, &err),
	        -1);
	assert_non_null(strstr(err.msg, "header injection"));
	perr_clear(&err);
	id.name = "A";
	assert_int_equal(
	        mail_identity_save(&x->s, &id, "not an address", &out, &err),
	        -1);
	assert_non_null(strstr(err.msg, "invalid address"));
	perr_clear(&err);
	for (i = 0; i < STORE_IDENTITY_MAX; i++)
		assert_int_equal(
		        mail_identity_save(
		                &x->s, &id,
		                arena_printf(x->a, "a%zu@example.test", i),
		                &out, &err),
		        0);
	assert_int_equal(
	        mail_identity_save(&x->s, &id, "one@too.many", &out, &err), -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	perr_clear(&err);
	assert_int_equal(mail_identity_id(&x->s, "default", &n0, &err), 0);
	assert_int_equal(mail_identity_delete(&x->s, n0, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	perr_clear(&err);
	assert_int_equal(mail_identity_id(&x->s, "12x", &n0, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
}

struct collected {
	struct sbuf out;
	size_t max_piece;
};

static int
collect(void *arg, struct strv data)
{
	struct collected *c = arg;

	if (data.len > c->max_piece)
		c->max_piece = data.len;
	sbuf_append_strv(&c->out, data);
	return 0;
}

/*
 * A large attachment goes out decoded and whole, but never asks IMAP for
 * more than 256 KiB at a time: each piece is held several times over while
 * in flight (bench/run.sh BENCH_ONLY=download measures the RSS; 1 MiB
 * pieces cost 7.5 MiB per download, issue 16's budget is 4 MiB).
 */
static void
test_section_stream_asks_bounded_pieces(void **state)
{
	struct fixture *x = *state;
	struct fake_msg *m = add_message(x, "INBOX", 7);
	struct collected c;
	struct perr err = {0};
	size_t n = 3 * 1024 * 1024 + 5, i;
	unsigned char *raw = arena_new_array(x->a, unsigned char, n);
	struct sbuf b64;

	for (i = 0; i < n; i++)
		raw[i] = (unsigned char)(i * 7 + i / 251);
	sbuf_init(&b64, x->a, n / 3 * 4 + n / 38 + 16, 0);
	codec_base64_append_lines(&b64, raw, n, 76);
	m->body = sbuf_cstr(&b64);
	memset(&c, 0, sizeof(c));
	sbuf_init(&c.out, x->a, n + 16, 0);
	assert_int_equal(mail_section_stream(&x->s, "INBOX", 7, "1",
	                                     MIME_ENC_BASE64, collect, &c,
	                                     &err),
	                 0);
	assert_int_equal(sbuf_view(&c.out).len, n);
	assert_memory_equal(sbuf_view(&c.out).p, raw, n);
	assert_true(x->fake.max_chunk <= 256 * 1024);
	assert_true(x->fake.n_chunks > 1);
	assert_true(c.max_piece <= 256 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	        T(test_reply_all_leaves_out_the_user_and_the_sender),
	        T(test_render_skips_an_html_part_over_the_limit),
	        T(test_reply_goes_to_the_sender_only),
	        T(test_forward_as_attachment_drops_bcc),
	        T(test_compose_from_a_missing_message_is_not_found),
	        T(test_compose_mode_names),
	        T(test_send_files_the_copy_in_sent_after_smtp_accepted),
	        T(test_queued_send_in_two_steps_is_mail_send),
	        T(test_send_rejected_files_nothing),
	        T(test_send_token_makes_send_idempotent),
	        T(test_send_lost_after_data_is_uncertain_and_never_repeated),
	        T(test_send_needs_a_recipient_and_refuses_header_injection),
	        T(test_send_refuses_a_forged_from),
	        T(test_draft_keeps_half_typed_recipients_and_replaces_the_old),
	        T(test_only_trash_and_junk_are_emptied),
	        T(test_folders_ensure_creates_the_missing_once),
	        T(test_upload_limits_per_file_and_per_session),
	        T(test_upload_delete_is_the_owners_only),
	        T(test_identities_default_and_limits),
	        T(test_unverified_identity_cannot_send),
	        T(test_section_stream_asks_bounded_pieces),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
