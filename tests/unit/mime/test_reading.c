/*
 * Unit tests for the message-reading helpers of src/mime: List-Unsubscribe
 * (RFC 2369/8058) with hostile values, mailto: URLs (RFC 6068) and the
 * MDN builder (RFC 8098), byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

#include "../support/unit_arena.h"

#define ONE_CLICK STRV_LIT("List-Unsubscribe=One-Click")

static int
unsub(const char *value, struct strv post, struct mime_unsubscribe *r)
{
	return mime_list_unsubscribe_parse(strv_from_cstr(value), post, A, r);
}

static void
test_unsub_picks_first_of_each_kind(void **state)
{
	struct mime_unsubscribe r;

	(void)state;
	assert_int_equal(unsub("<mailto:leave@list.example?subject=unsub>, "
	                       "<https://list.example/u/1>,\t"
	                       "<https://other.example/u/2>, "
	                       "<http://list.example/plain>",
	                       ONE_CLICK, &r),
	                 1);
	assert_string_equal(r.https, "https://list.example/u/1");
	assert_string_equal(r.http, "http://list.example/plain");
	assert_string_equal(r.mailto,
	                    "mailto:leave@list.example?subject=unsub");
	assert_true(r.one_click);
}

static void
test_unsub_one_click_needs_post_and_https(void **state)
{
	struct mime_unsubscribe r;

	(void)state;
	assert_int_equal(unsub("<https://l.example/u>", STRV_NULL, &r), 1);
	assert_false(r.one_click);
	assert_int_equal(unsub("<https://l.example/u>",
	                       STRV_LIT("List-Unsubscribe=Yes"), &r),
	                 1);
	assert_false(r.one_click);
	assert_int_equal(unsub("<https://l.example/u>",
	                       STRV_LIT("  List-Unsubscribe=One-Click "), &r),
	                 1);
	assert_true(r.one_click);
	/* An http URL is never POSTed to. */
	assert_int_equal(unsub("<http://l.example/u>", ONE_CLICK, &r), 1);
	assert_false(r.one_click);
	assert_null(r.https);
}

static void
test_unsub_hostile_values(void **state)
{
	struct mime_unsubscribe r;
	char big[MIME_UNSUB_MAX + 64];
	size_t i;

	(void)state;
	/* Other schemes are skipped, never returned. */
	assert_int_equal(unsub("<javascript:alert(1)>, <data:text/html,x>, "
	                       "<JAVASCRIPT:https://x>",
	                       ONE_CLICK, &r),
	                 0);
	assert_null(r.https);
	assert_null(r.http);
	assert_null(r.mailto);
	assert_false(r.one_click);
	/* A javascript: one first does not hide a good one after it. */
	assert_int_equal(unsub("<javascript:alert(1)>,<https://ok.example/>",
	                       STRV_NULL, &r),
	                 1);
	assert_string_equal(r.https, "https://ok.example/");
	/* CR/LF anywhere: no list at all. */
	assert_int_equal(
	        unsub("<https://a.example/>\r\nBcc: x@y", ONE_CLICK, &r), -1);
	assert_null(r.https);
	/* Spaces, quotes, non-ASCII inside the brackets. */
	assert_int_equal(
	        unsub("<https://a.example/x y>, <https://b.example/\">,"
	              " <https://c.example/\xc3\xa9>",
	              STRV_NULL, &r),
	        0);
	/* No brackets: RFC 2369 says every URL is in <>. */
	assert_int_equal(unsub("https://a.example/", STRV_NULL, &r), -1);
	/* A bracket never closed. */
	assert_int_equal(unsub("<https://a.example/", STRV_NULL, &r), 0);
	/* Junk between entries ends the list. */
	assert_int_equal(unsub("(comment) <https://a.example/>", STRV_NULL, &r),
	                 0);
	/* Overlong: refused whole. */
	memcpy(big, "<https://a.example/", 19);
	for (i = 19; i < sizeof(big) - 2; i++)
		big[i] = 'a';
	big[sizeof(big) - 2] = '>';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(unsub(big, ONE_CLICK, &r), -1);
	/* Only the first MIME_UNSUB_MAX_URLS entries are looked at. */
	assert_int_equal(unsub("<a:1>,<a:2>,<a:3>,<a:4>,<a:5>,<a:6>,<a:7>,"
	                       "<a:8>,<https://late.example/>",
	                       ONE_CLICK, &r),
	                 0);
	assert_int_equal(unsub("", STRV_NULL, &r), -1);
}

static void
test_mailto_fields(void **state)
{
	struct mime_mailto m;
	struct perr err;

	(void)state;
	assert_int_equal(
	        mime_mailto_parse(STRV_LIT("mailto:a@x.example,b@y.example"
	                                   "?subject=Hi%20there%2B1&cc=c@z"
	                                   "&body=line%201%0D%0Aline%202"
	                                   "&to=d@w&In-Reply-To=%3Cx%3E"),
	                          A, &m, &err),
	        0);
	assert_string_equal(m.to, "a@x.example,b@y.example, d@w");
	assert_string_equal(m.cc, "c@z");
	assert_string_equal(m.bcc, "");
	assert_string_equal(m.subject, "Hi there+1");
	assert_string_equal(m.body, "line 1\nline 2");
	assert_int_equal(mime_mailto_parse(STRV_LIT("MAILTO:unsub@l.example"),
	                                   A, &m, &err),
	                 0);
	assert_string_equal(m.to, "unsub@l.example");
	assert_string_equal(m.subject, "");
	/* UTF-8 subject. */
	assert_int_equal(
	        mime_mailto_parse(STRV_LIT("mailto:?subject=%C3%A9t%C3%A9"), A,
	                          &m, &err),
	        0);
	assert_string_equal(m.subject, "\xc3\xa9t\xc3\xa9");
}

static void
test_mailto_hostile(void **state)
{
	struct mime_mailto m;
	struct perr err;

	(void)state;
	assert_int_equal(mime_mailto_parse(STRV_LIT("https://x"), A, &m, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	/* A header injection through the subject or an address. */
	assert_int_equal(
	        mime_mailto_parse(
	                STRV_LIT("mailto:a@x?subject=a%0D%0ABcc:%20v@e"), A, &m,
	                &err),
	        -1);
	assert_non_null(strstr(err.msg, "control character"));
	assert_int_equal(
	        mime_mailto_parse(STRV_LIT("mailto:a@x%0Ab@y"), A, &m, &err),
	        -1);
	assert_int_equal(
	        mime_mailto_parse(STRV_LIT("mailto:a@x?body=%ZZ"), A, &m, &err),
	        -1);
	assert_int_equal(
	        mime_mailto_parse(STRV_LIT("mailto:a@x?body=%FF"), A, &m, &err),
	        -1);
	assert_int_equal(
	        mime_mailto_parse(STRV_LIT("mailto:a@x?body=%00"), A, &m, &err),
	        -1);
}

static const char mdn_expected[] =
        "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
        "From: Alice <alice@example.org>\r\n"
        "To: bob@example.net\r\n"
        "Subject: Read: Quarterly report\r\n"
        "Message-ID: <mdn1@example.org>\r\n"
        "In-Reply-To: <orig1@example.net>\r\n"
        "References: <orig1@example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report;\r\n"
        " report-type=disposition-notification;\r\n"
        " boundary=\"BND\"\r\n"
        "\r\n"
        "--BND\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "Your message was displayed.\r\n"
        "--BND\r\n"
        "Content-Type: message/disposition-notification\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "Reporting-UA: mail.example.org; Petrel\r\n"
        "Final-Recipient: rfc822;alice@example.org\r\n"
        "Original-Message-ID: <orig1@example.net>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        "\r\n"
        "--BND--\r\n";

static struct mime_mdn
mdn_base(void)
{
	struct mime_mdn m;

	memset(&m, 0, sizeof(m));
	m.from = (struct mime_addr){"Alice", "alice@example.org"};
	m.to = (struct mime_addr){"", "bob@example.net"};
	m.original_subject = "Quarterly report";
	m.original_message_id = "<orig1@example.net>";
	m.reporting_host = "mail.example.org";
	m.text = "Your message was displayed.";
	m.date = 1767225600;
	m.message_id = "<mdn1@example.org>";
	m.boundary = "BND";
	return m;
}

static void
test_mdn_exact(void **state)
{
	struct mime_mdn m = mdn_base();
	struct strv out;
	struct perr err;

	(void)state;
	assert_int_equal(mime_build_mdn(&m, A, &out, &err), 0);
	assert_int_equal(out.len, strlen(mdn_expected));
	assert_memory_equal(out.p, mdn_expected, out.len);
	m.mode = MIME_MDN_AUTO;
	assert_int_equal(mime_build_mdn(&m, A, &out, &err), 0);
	assert_true(strv_find(out, STRV_LIT("Disposition: automatic-action/"
	                                    "MDN-sent-automatically; "
	                                    "displayed\r\n")) > 0);
}

static void
test_mdn_utf8_subject_and_hostile_fields(void **state)
{
	struct mime_mdn m = mdn_base();
	struct strv out;
	struct perr err;

	(void)state;
	m.original_subject = "R\xc3\xa9sum\xc3\xa9";
	m.original_message_id = "not an id";
	assert_int_equal(mime_build_mdn(&m, A, &out, &err), 0);
	assert_true(strv_find(out, STRV_LIT("Subject: =?UTF-8?B?")) > 0);
	assert_true(strv_find(out, STRV_LIT("Original-Message-ID")) < 0);
	assert_true(strv_find(out, STRV_LIT("In-Reply-To")) < 0);
	m = mdn_base();
	m.to.email = "bob@example.net\r\nBcc: eve@example.com";
	assert_int_equal(mime_build_mdn(&m, A, &out, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	m = mdn_base();
	m.original_subject = "x\r\nBcc: eve@example.com";
	assert_int_equal(mime_build_mdn(&m, A, &out, &err), -1);
	m = mdn_base();
	m.to.email = "not-an-address";
	assert_int_equal(mime_build_mdn(&m, A, &out, &err), -1);
	m = mdn_base();
	m.text = "a line\n--BND--\n";
	assert_int_equal(mime_build_mdn(&m, A, &out, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unsub_picks_first_of_each_kind),
	        cmocka_unit_test(test_unsub_one_click_needs_post_and_https),
	        cmocka_unit_test(test_unsub_hostile_values),
	        cmocka_unit_test(test_mailto_fields),
	        cmocka_unit_test(test_mailto_hostile),
	        cmocka_unit_test(test_mdn_exact),
	        cmocka_unit_test(test_mdn_utf8_subject_and_hostile_fields),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
