/* Unit tests for src/mime/build.c: outgoing messages, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

#include "../support/unit_arena.h"

static const char *
puny(const char *label)
{
	struct sbuf b;

	sbuf_init(&b, A, 64, 256);
	assert_int_equal(mime_punycode_encode(strv_from_cstr(label), &b), 0);
	return sbuf_cstr(&b);
}

static void
test_punycode_vectors(void **state)
{
	const char *d;
	struct perr err;

	(void)state;
	assert_string_equal(puny("bücher"), "bcher-kva");
	assert_string_equal(puny("münchen"), "mnchen-3ya");
	assert_string_equal(puny("пример"), "e1afmkfd");
	assert_string_equal(puny("испытание"), "80akhbyknj4f");
	/* RFC 3492 7.1 (L): Japanese with ASCII. */
	assert_string_equal(puny("3年B組金八先生"), "3B-ww4c5e180e575a65lsy2b");
	assert_int_equal(
	        mime_domain_to_ascii(STRV_LIT("пример.рф"), A, &d, &err), 0);
	assert_string_equal(d, "xn--e1afmkfd.xn--p1ai");
	assert_int_equal(
	        mime_domain_to_ascii(STRV_LIT("Example.TEST"), A, &d, &err), 0);
	assert_string_equal(d, "example.test");
	assert_int_equal(mime_domain_to_ascii(STRV_LIT("a..b"), A, &d, &err),
	                 -1);
	assert_int_equal(mime_domain_to_ascii(STRV_LIT("-a.b"), A, &d, &err),
	                 -1);
	assert_int_equal(mime_domain_to_ascii(STRV_LIT("a_b.c"), A, &d, &err),
	                 -1);
}

static void
test_addr_parse(void **state)
{
	struct mime_addr ad;
	struct perr err;

	(void)state;
	assert_int_equal(
	        mime_addr_parse(STRV_LIT(" Bob Smith <bob@example.test> "), A,
	                        &ad, &err),
	        0);
	assert_string_equal(ad.name, "Bob Smith");
	assert_string_equal(ad.email, "bob@example.test");
	assert_int_equal(
	        mime_addr_parse(STRV_LIT("\"Smith, \\\"Bob\\\"\" <b@x.y>"), A,
	                        &ad, &err),
	        0);
	assert_string_equal(ad.name, "Smith, \"Bob\"");
	assert_int_equal(mime_addr_parse(STRV_LIT("<b@x.y>"), A, &ad, &err), 0);
	assert_string_equal(ad.name, "");
	assert_int_equal(mime_addr_parse(STRV_LIT("b@пример.рф"), A, &ad, &err),
	                 0);
	assert_string_equal(ad.email, "b@пример.рф");
	assert_int_equal(
	        mime_addr_parse(STRV_LIT("not an address"), A, &ad, &err), -1);
	assert_non_null(strstr(err.msg, "invalid address: not an address"));
	assert_int_equal(mime_addr_parse(STRV_LIT("a@b.c>x"), A, &ad, &err),
	                 -1);
	assert_int_equal(mime_addr_parse(STRV_LIT("a b@c.d"), A, &ad, &err),
	                 -1);
	assert_int_equal(mime_addr_parse(STRV_LIT("@c.d"), A, &ad, &err), -1);
	assert_int_equal(mime_addr_parse(STRV_LIT("x@"), A, &ad, &err), -1);
	assert_int_equal(mime_addr_parse(STRV_LIT("Eve <e@x.y>\r\nBcc: z@z.z"),
	                                 A, &ad, &err),
	                 -1);
	assert_non_null(strstr(err.msg, "header injection"));
}

static struct mime_message
base_msg(void)
{
	static struct mime_addr to[2] = {{"Bob", "bob@example.test"},
	                                 {"", "carol@пример.рф"}};
	static struct mime_addr bcc[1] = {{"", "sink@example.test"}};
	struct mime_message m;

	memset(&m, 0, sizeof(m));
	m.from = (struct mime_addr){"Алиса Петрова", "alice@example.test"};
	m.to = to;
	m.n_to = 2;
	m.bcc = bcc;
	m.n_bcc = 1;
	m.subject = "Hello";
	m.text = "Hi Bob,\nsee you.\n";
	m.message_id = "<fixed@example.test>";
	m.date = 1700000000;
	m.boundary_seed = "=_b";
	return m;
}

static void
test_simple_text_exact(void **state)
{
	struct mime_message m = base_msg();
	struct mime_built out;
	struct perr err;

	(void)state;
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	assert_string_equal(
	        out.with_bcc.p,
	        "Bcc: sink@example.test\r\n"
	        "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	        "From: =?UTF-8?B?0JDQu9C40YHQsCDQn9C10YLRgNC+0LLQsA==?= "
	        "<alice@example.test>\r\n"
	        "To: Bob <bob@example.test>, carol@xn--e1afmkfd.xn--p1ai\r\n"
	        "Subject: Hello\r\n"
	        "Message-ID: <fixed@example.test>\r\n"
	        "MIME-Version: 1.0\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\n"
	        "Content-Transfer-Encoding: 7bit\r\n"
	        "\r\n"
	        "Hi Bob,\r\nsee you.\r\n");
	/* Recipients get everything but the Bcc line. */
	assert_true(strncmp(out.without_bcc.p, "Date: ", 6) == 0);
	assert_int_equal(out.with_bcc.len - out.without_bcc.len,
	                 strlen("Bcc: sink@example.test\r\n"));
}

static void
test_long_utf8_subject_folds(void **state)
{
	struct mime_message m = base_msg();
	struct mime_built out;
	struct perr err;
	const char *p, *line, *want;

	(void)state;
	m.n_bcc = 0;
	m.subject = "Отчёт за квартал: продажи, расходы и планы на следующий "
	            "год — черновик";
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	p = strstr(out.with_bcc.p, "Subject: ");
	assert_non_null(p);
	want = "Subject: "
	       "=?UTF-8?B?"
	       "0J7RgtGH0ZHRgiDQt9CwINC60LLQsNGA0YLQsNC7OiDQv9GA0L7QtNCw?=\r\n"
	       " =?UTF-8?B?0LbQuCwg0YDQsNGB0YXQvtC00Ysg0Lgg0L/"
	       "Qu9Cw0L3RiyDQvdCwINGB0Ls=?=\r\n"
	       " =?UTF-8?B?0LXQtNGD0Y7RidC40Lkg0LPQvtC0IOKAlCDRh9C10YDQvdC+"
	       "0LLQuNC6?=\r\n";
	assert_true(strncmp(p, want, strlen(want)) == 0);
	/* No header line passes 78. */
	for (line = out.with_bcc.p;
	     *line != '\0' && strncmp(line, "\r\n", 2);) {
		const char *e = strstr(line, "\r\n");

		assert_true(e - line <= 78);
		line = e + 2;
	}
}

static void
test_ascii_subject_folds_at_spaces(void **state)
{
	struct mime_message m = base_msg();
	struct mime_built out;
	struct perr err;

	(void)state;
	m.n_bcc = 0;
	m.subject = "aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee "
	            "ffffffffff gggggggggg";
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	assert_non_null(strstr(out.with_bcc.p,
	                       "Subject: aaaaaaaaaa bbbbbbbbbb cccccccccc "
	                       "dddddddddd eeeeeeeeee ffffffffff\r\n"
	                       " gggggggggg\r\n"));
}

static void
test_multipart_exact(void **state)
{
	struct mime_message m = base_msg();
	struct mime_attachment att[2] = {
	        {"Отчёт.pdf", "application/pdf", {"\x00\x01\x02\xff", 4}, NULL},
	        {"a \"b\".txt", "text/plain", {"hi", 2}, NULL},
	};
	struct mime_built out;
	struct perr err;

	(void)state;
	m.n_bcc = 0;
	m.n_to = 1;
	m.from.name = "Alice";
	m.text = "caf\xc3\xa9 = 1";
	m.html = "<p>caf\xc3\xa9</p>";
	m.att = att;
	m.n_att = 2;
	m.in_reply_to = "<orig@example.test>";
	m.references = "<root@example.test> <orig@example.test>";
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	assert_string_equal(
	        out.with_bcc.p,
	        "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	        "From: Alice <alice@example.test>\r\n"
	        "To: Bob <bob@example.test>\r\n"
	        "Subject: Hello\r\n"
	        "Message-ID: <fixed@example.test>\r\n"
	        "In-Reply-To: <orig@example.test>\r\n"
	        "References: <root@example.test> <orig@example.test>\r\n"
	        "MIME-Version: 1.0\r\n"
	        "Content-Type: multipart/mixed;\r\n boundary=\"=_b1\"\r\n\r\n"
	        "--=_b1\r\n"
	        "Content-Type: multipart/alternative;\r\n "
	        "boundary=\"=_b2\"\r\n\r\n"
	        "--=_b2\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\n"
	        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	        "caf=C3=A9 =3D 1\r\n"
	        "--=_b2\r\n"
	        "Content-Type: text/html; charset=utf-8\r\n"
	        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	        "<p>caf=C3=A9</p>\r\n"
	        "--=_b2--\r\n"
	        "--=_b1\r\n"
	        "Content-Type: application/pdf; "
	        "name*=utf-8''%D0%9E%D1%82%D1%87%D1%91%D1%82.pdf\r\n"
	        "Content-Disposition: attachment;\r\n"
	        " filename*=utf-8''%D0%9E%D1%82%D1%87%D1%91%D1%82.pdf\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n"
	        "AAEC/w==\r\n"
	        "--=_b1\r\n"
	        "Content-Type: text/plain; name=\"a \\\"b\\\".txt\"\r\n"
	        "Content-Disposition: attachment; filename=\"a "
	        "\\\"b\\\".txt\"\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n"
	        "aGk=\r\n"
	        "--=_b1--\r\n");
}

static void
test_long_filename_continuations(void **state)
{
	struct mime_message m = base_msg();
	struct mime_attachment att = {
	        "Очень длинное имя файла для проверки продолжений.txt",
	        "text/plain",
	        {"x", 1},
	        NULL};
	struct mime_built out;
	struct perr err;
	const char *p;

	(void)state;
	m.n_bcc = 0;
	m.att = &att;
	m.n_att = 1;
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	p = strstr(out.with_bcc.p, "Content-Disposition: attachment;\r\n"
	                           " filename*0*=utf-8''%D0%9E");
	assert_non_null(p);
	assert_non_null(strstr(p, ";\r\n filename*1*="));
	assert_non_null(strstr(p, ".txt\r\n"));
}

/* An outgoing name (a forwarded attachment's, say) loses its bidi
 * controls: the recipient's client would show the reordered name. */
static void
test_attachment_name_bidi_controls_neutralised(void **state)
{
	struct mime_message m = base_msg();
	struct mime_attachment att = {"invoice\xE2\x80\xAE"
	                              "fdp.exe",
	                              "application/octet-stream",
	                              {"x", 1},
	                              NULL};
	struct mime_built out;
	struct perr err;

	(void)state;
	m.n_bcc = 0;
	m.att = &att;
	m.n_att = 1;
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	assert_null(strstr(out.with_bcc.p, "%E2%80%AE"));
	assert_null(strstr(out.with_bcc.p, "\xE2\x80\xAE"));
	assert_non_null(strstr(out.with_bcc.p, "filename=\"invoice_fdp.exe\""));
}

static void
test_qp_soft_breaks_and_trailing_space(void **state)
{
	struct mime_message m = base_msg();
	struct mime_built out;
	struct perr err;
	char longline[1200];
	const char *p;

	(void)state;
	m.n_bcc = 0;
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	m.text = longline; /* ASCII but one line > 998: QP with soft breaks */
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	assert_non_null(strstr(out.with_bcc.p, "quoted-printable"));
	p = strstr(out.with_bcc.p, "\r\n\r\n") + 4;
	assert_int_equal(strstr(p, "\r\n") - p, 76); /* 75 + "=" */
	m.text = "end with space \nnext";
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	assert_non_null(strstr(out.with_bcc.p, "end with space \r\nnext"));
	m.text = "t\xc3\xa9 \nnext";
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	assert_non_null(strstr(out.with_bcc.p, "t=C3=A9=20\r\nnext\r\n"));
}

static void
test_injection_refused(void **state)
{
	struct mime_message m = base_msg();
	struct mime_addr evil = {"x", "a@b.c\r\nBcc: e@e.e"};
	struct mime_attachment att = {
	        "a\r\nb.txt", "text/plain", {"x", 1}, NULL};
	struct mime_built out;
	struct perr err;

	(void)state;
	m.subject = "Hi\r\nBcc: eve@example.test";
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_non_null(strstr(err.msg, "header injection"));
	m = base_msg();
	m.to = &evil;
	m.n_to = 1;
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), -1);
	assert_non_null(strstr(err.msg, "header injection"));
	m = base_msg();
	m.att = &att;
	m.n_att = 1;
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), -1);
	assert_non_null(strstr(err.msg, "header injection"));
	m = base_msg();
	m.subject = "nul\0byte";
	m.in_reply_to = "<a@b>\n";
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), -1);
}

static void
test_boundary_not_in_content(void **state)
{
	struct mime_message m = base_msg();
	struct mime_attachment att = {"x.bin", "", {"--=_b1 --=_b2", 13}, NULL};
	struct mime_built out;
	struct perr err;

	(void)state;
	m.n_bcc = 0;
	m.text = "contains =_b1 and =_b2 and =_b3";
	m.att = &att;
	m.n_att = 1;
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	/* b1..b3 clash with the text; the first free one is b4. */
	assert_non_null(strstr(out.with_bcc.p, "boundary=\"=_b4\""));
	assert_non_null(strstr(out.with_bcc.p, "application/octet-stream"));
}

static void
test_size_limit(void **state)
{
	struct mime_message m = base_msg();
	struct mime_built out;
	struct perr err;

	(void)state;
	assert_int_equal(mime_build(&m, 100, A, &out, &err), -1);
	assert_int_equal(err.kind, PERR_LIMIT);
}

static void
test_inline_image_goes_into_related(void **state)
{
	struct mime_message m = base_msg();
	struct mime_attachment att[2] = {
	        {"logo.png", "image/png", {"PNG", 3}, "logo@x"},
	        {"doc.txt", "text/plain", {"d", 1}, NULL},
	};
	struct mime_built out;
	struct perr err;
	const char *p;

	(void)state;
	m.n_bcc = 0;
	m.html = "<p><img src=\"cid:logo@x\"></p>";
	m.att = att;
	m.n_att = 2;
	assert_int_equal(mime_build(&m, 1 << 20, A, &out, &err), 0);
	/* mixed(alternative(plain, related(html, logo)), doc) */
	p = strstr(out.with_bcc.p, "multipart/mixed;\r\n boundary=\"=_b1\"");
	assert_non_null(p);
	p = strstr(p, "multipart/alternative;\r\n boundary=\"=_b2\"");
	assert_non_null(p);
	p = strstr(p, "multipart/related;\r\n boundary=\"=_b3\"");
	assert_non_null(p);
	p = strstr(p, "Content-Type: text/html");
	assert_non_null(p);
	p = strstr(p, "--=_b3\r\nContent-Type: image/png; name=\"logo.png\"\r\n"
	              "Content-Disposition: inline; filename=\"logo.png\"\r\n"
	              "Content-ID: <logo@x>\r\n");
	assert_non_null(p);
	p = strstr(p, "--=_b3--\r\n--=_b2--\r\n--=_b1\r\n"
	              "Content-Type: text/plain; name=\"doc.txt\"");
	assert_non_null(p);
	assert_non_null(strstr(p, "--=_b1--\r\n"));
}

/* A reply's In-Reply-To/References come from a message anyone can send. */
static void
test_thread_ids_from_hostile_original(void **state)
{
	const char *irt, *refs;
	char big[12000];
	size_t i;

	(void)state;
	/* CRLF, NUL-free but 8-bit, spaces or no <> : no thread headers. */
	mime_thread_ids("<a@x>\r\nBcc: victim@y", "", A, &irt, &refs);
	assert_null(irt);
	assert_null(refs);
	mime_thread_ids("<a@x>\nX: y", NULL, A, &irt, &refs);
	assert_null(irt);
	mime_thread_ids("<\xd0\xb9@x>", NULL, A, &irt, &refs);
	assert_null(irt);
	mime_thread_ids("<a b@x>", NULL, A, &irt, &refs);
	assert_null(irt);
	mime_thread_ids("a@x", NULL, A, &irt, &refs);
	assert_null(irt);
	mime_thread_ids("", NULL, A, &irt, &refs);
	assert_null(irt);

	/* A good id; bad References entries are dropped, good ones kept. */
	mime_thread_ids("<m@x>", "<r1@x> junk\r\nBcc: v@y <r2@x>\t<\x01@x>", A,
	                &irt, &refs);
	assert_string_equal(irt, "<m@x>");
	assert_string_equal(refs, "<r1@x> <r2@x> <m@x>");
	mime_thread_ids("<m@x>", NULL, A, &irt, &refs);
	assert_string_equal(refs, "<m@x>");

	/* Too long an id: none; too long a list: the first and the last. */
	memset(big, 'a', sizeof(big));
	big[0] = '<';
	memcpy(big + 1000, "@x>", 4);
	mime_thread_ids(big, NULL, A, &irt, &refs);
	assert_null(irt);
	for (i = 0; i + 12 < sizeof(big); i += 12)
		snprintf(big + i, 13, "<%09zu> ", i / 12);
	big[i] = '\0';
	mime_thread_ids("<m@x>", big, A, &irt, &refs);
	assert_non_null(refs);
	assert_true(strlen(refs) <= MIME_REFERENCES_MAX);
	assert_memory_equal(refs, "<000000000> <", 13);
	assert_non_null(strstr(refs, "> <m@x>"));
	assert_non_null(strstr(refs, "<000000998> <m@x>"));
	assert_null(strstr(refs, "<000000001>"));
}

/* A Sent copy forwarded as an attachment must not tell who was in Bcc. */
static void
test_drop_header_fields(void **state)
{
	static const char *const names[] = {"Bcc", "X-Petrel-Draft-*"};
	const char *raw = "From: a@x\r\nBcc: hidden@y,\r\n  other@z\r\n"
	                  "To: b@x\r\nbcc:lower@y\r\n"
	                  "X-Petrel-Draft-Reply: 1 SU5CT1g=\r\n"
	                  "Bccx: kept\r\nSubject: s\r\n\r\n"
	                  "Bcc: in the body stays\r\n";
	struct strv out;

	(void)state;
	out = mime_drop_header_fields(strv_from_cstr(raw), names, 2, A);
	assert_int_equal(out.len, strlen("From: a@x\r\nTo: b@x\r\n"
	                                 "Bccx: kept\r\nSubject: s\r\n\r\n"
	                                 "Bcc: in the body stays\r\n"));
	assert_memory_equal(out.p,
	                    "From: a@x\r\nTo: b@x\r\nBccx: kept\r\n"
	                    "Subject: s\r\n\r\nBcc: in the body stays\r\n",
	                    out.len);
	/* LF line ends, a first line that is a Bcc, no body at all. */
	out = mime_drop_header_fields(STRV_LIT("Bcc: h@y\n\tz@y\nTo: b\n"),
	                              names, 2, A);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.p, "To: b\n", 6);
	/* Nothing to drop: the same bytes. */
	out = mime_drop_header_fields(STRV_LIT("To: b\r\n\r\nx"), names, 2, A);
	assert_int_equal(out.len, 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_punycode_vectors),
	        cmocka_unit_test(test_addr_parse),
	        cmocka_unit_test(test_simple_text_exact),
	        cmocka_unit_test(test_long_utf8_subject_folds),
	        cmocka_unit_test(test_ascii_subject_folds_at_spaces),
	        cmocka_unit_test(test_multipart_exact),
	        cmocka_unit_test(test_long_filename_continuations),
	        cmocka_unit_test(
	                test_attachment_name_bidi_controls_neutralised),
	        cmocka_unit_test(test_qp_soft_breaks_and_trailing_space),
	        cmocka_unit_test(test_injection_refused),
	        cmocka_unit_test(test_boundary_not_in_content),
	        cmocka_unit_test(test_size_limit),
	        cmocka_unit_test(test_inline_image_goes_into_related),
	        cmocka_unit_test(test_thread_ids_from_hostile_original),
	        cmocka_unit_test(test_drop_header_fields),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
