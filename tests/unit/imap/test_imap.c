/*
 * imap: the pure parts (modified UTF-7, search syntax, capabilities, base
 * subject, previews, sort names). The network parts are in
 * tests/integration/imap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "imap/imap.h"
#include "imap/imap_private.h"
#include "core/banned.h"

#include "../support/unit_arena.h"
#include "../support/fake_server.h"

static const struct {
	const char *utf8;
	const char *mutf7;
} mutf7_cases[] = {
        {"INBOX", "INBOX"},
        {"", ""},
        {"&", "&-"},
        {"Tom & Jerry", "Tom &- Jerry"},
        {"&&", "&-&-"},
        {"Входящие/Счета", "&BBIERQQ+BDQETwRJBDgENQ-/&BCEERwQ1BEIEMA-"},
        {"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
        {"Entwürfe", "Entw&APw-rfe"},
        {"a\xf0\x9f\x98\x80z", "a&2D3eAA-z"}, /* U+1F600: surrogates */
        {"é&é", "&AOk-&-&AOk-"},
};

static void
test_mutf7_round_trips_known_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(mutf7_cases); i++) {
		char *enc = NULL, *dec = NULL;
		struct perr err;

		assert_int_equal(
		        imap_mutf7_encode(strv_from_cstr(mutf7_cases[i].utf8),
		                          A, &enc, &err),
		        0);
		if (strcmp(enc, mutf7_cases[i].mutf7) != 0)
			fail_msg("case %zu: encoded %s, want %s", i, enc,
			         mutf7_cases[i].mutf7);
		assert_int_equal(
		        imap_mutf7_decode(strv_from_cstr(enc), A, &dec, &err),
		        0);
		if (strcmp(dec, mutf7_cases[i].utf8) != 0)
			fail_msg("case %zu: decoded %s", i, dec);
	}
}

static void
test_mutf7_decode_refuses_invalid(void **state)
{
	static const char *const bad[] = {
	        "&",          /* unterminated */
	        "&BBI",       /* unterminated */
	        "&-&",        /* unterminated after a valid one */
	        "&AGE-",      /* encoded printable ASCII 'a' */
	        "&AAA-",      /* encoded NUL */
	        "&2D0-",      /* lone high surrogate */
	        "&3gA-",      /* lone low surrogate */
	        "&BBI!-",     /* bad base64 char */
	        "&BBIEQ/-",   /* '/' is not modified base64 */
	        "&BBE-&BBE-", /* two adjacent shifts */
	        "&BBF-",      /* non-zero padding bits */
	        "a\x01z",     /* control char */
	        "\xd0\x92",   /* 8-bit raw */
	        "&AOkA6Q-x",  /* fine? no: two é then x is valid...*/
	};
	size_t i;

	(void)state;
	for (i = 0; i + 1 < PT_NELEM(bad); i++) {
		char *dec = NULL;
		struct perr err;

		if (imap_mutf7_decode(strv_from_cstr(bad[i]), A, &dec, &err) ==
		    0)
			fail_msg("case %zu (%s) accepted as %s", i, bad[i],
			         dec);
		assert_int_equal(err.kind, PERR_INPUT);
	}
}

static void
test_mutf7_encode_refuses_controls_and_bad_utf8(void **state)
{
	static const char *const bad[] = {"a\r\nb",       "a\nb",
	                                  "x\x7f",        "\xc3\x28",
	                                  "\xed\xa0\x80", "\xc2\x85"};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++) {
		char *enc = NULL;
		struct perr err;

		if (imap_mutf7_encode(strv_from_cstr(bad[i]), A, &enc, &err) ==
		    0)
			fail_msg("case %zu accepted", i);
		assert_int_equal(err.kind, PERR_INPUT);
	}
}

static void
test_caps_parse_sets_flags(void **state)
{
	unsigned f;

	(void)state;
	f = imap_caps_parse(STRV_LIT(
	        "IMAP4rev1 SASL-IR ID ENABLE IDLE SORT SORT=DISPLAY "
	        "THREAD=REFERENCES THREAD=REFS UIDPLUS CONDSTORE QRESYNC "
	        "ESEARCH LIST-STATUS MOVE literal+ NAMESPACE SPECIAL-USE "
	        "AUTH=PLAIN UTF8=ACCEPT"));
	assert_true(f & IMAP_CAP_SORT);
	assert_true(f & IMAP_CAP_THREAD_REFERENCES);
	assert_true(f & IMAP_CAP_LITERAL_PLUS);
	assert_true(f & IMAP_CAP_SPECIAL_USE);
	assert_true(f & IMAP_CAP_LIST_STATUS);
	assert_true(f & IMAP_CAP_UTF8_ACCEPT);
	assert_true(f & IMAP_CAP_AUTH_PLAIN);
	assert_false(f & IMAP_CAP_STARTTLS);
	assert_false(f & IMAP_CAP_LOGINDISABLED);
	assert_false(f & IMAP_CAP_QUOTA);
	assert_true(
	        imap_caps_parse(STRV_LIT("IMAP4rev1 QUOTA QUOTA=RES-STORAGE")) &
	        IMAP_CAP_QUOTA);
	assert_false(imap_caps_parse(STRV_LIT("QUOTA=RES-STORAGE")) &
	             IMAP_CAP_QUOTA);
	/* prefixes are not matches */
	assert_int_equal(imap_caps_parse(STRV_LIT("SORTX THREAD=REFS MOV")), 0);
}

static void
test_search_parse_keys_phrases_and_negation(void **state)
{
	struct imap_search s;
	struct perr err;

	(void)state;
	assert_int_equal(
	        imap_search_parse(
	                STRV_LIT("hello \"big world\" from:alice@x.test "
	                         "subject:\"say \\\"hi\\\"\" -is:read "
	                         "has:attachment before:2024-02-29 "
	                         "after:2023-01-01 re:foo Счёт"),
	                A, &s, &err),
	        0);
	assert_int_equal(s.n, 10);
	assert_int_equal(s.terms[0].kind, IMAP_SEARCH_TEXT);
	assert_string_equal(s.terms[0].value, "hello");
	assert_string_equal(s.terms[1].value, "big world");
	assert_int_equal(s.terms[2].kind, IMAP_SEARCH_FROM);
	assert_string_equal(s.terms[2].value, "alice@x.test");
	assert_int_equal(s.terms[3].kind, IMAP_SEARCH_SUBJECT);
	assert_string_equal(s.terms[3].value, "say \"hi\"");
	assert_int_equal(s.terms[4].kind, IMAP_SEARCH_SEEN);
	assert_true(s.terms[4].negate);
	assert_int_equal(s.terms[5].kind, IMAP_SEARCH_HAS_ATTACHMENT);
	assert_int_equal(s.terms[6].kind, IMAP_SEARCH_BEFORE);
	assert_int_equal(s.terms[6].year, 2024);
	assert_int_equal(s.terms[6].month, 2);
	assert_int_equal(s.terms[6].day, 29);
	assert_int_equal(s.terms[7].kind, IMAP_SEARCH_SINCE);
	assert_int_equal(s.terms[8].kind, IMAP_SEARCH_TEXT);
	assert_string_equal(s.terms[8].value, "re:foo");
	assert_string_equal(s.terms[9].value, "Счёт");
}

static void
test_search_parse_unknown_key_is_text(void **state)
{
	struct imap_search s;
	struct perr err;

	(void)state;
	assert_int_equal(
	        imap_search_parse(STRV_LIT("re:foo  \t a\\b"), A, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.terms[0].value, "re:foo");
	assert_string_equal(s.terms[1].value, "a\\b");
	assert_int_equal(imap_search_parse(STRV_LIT("   "), A, &s, &err), 0);
	assert_int_equal(s.n, 0);
}

static void
test_search_parse_refuses_injection_and_bad_values(void **state)
{
	static const char *const bad[] = {
	        "foo\r\nA1 DELETE INBOX",
	        "foo\nbar",
	        "a\rb",
	        "is:weird",
	        "has:cats",
	        "before:2024-13-01",
	        "after:2024-02-30",
	        "before:yesterday",
	        "x\x01y",
	        "\xff\xfe",
	};
	struct imap_search s;
	struct perr err;
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(bad); i++) {
		if (imap_search_parse(strv_from_cstr(bad[i]), A, &s, &err) == 0)
			fail_msg("case %zu accepted", i);
		assert_int_equal(err.kind, PERR_INPUT);
	}
	/* NUL inside the view */
	assert_int_equal(
	        imap_search_parse((struct strv){"a\0b", 3}, A, &s, &err), -1);
}

static void
test_search_parse_limits_terms(void **state)
{
	struct sbuf b;
	struct imap_search s;
	struct perr err;
	int i;

	(void)state;
	sbuf_init(&b, A, 256, 4096);
	for (i = 0; i < IMAP_SEARCH_MAX_TERMS + 1; i++)
		sbuf_printf(&b, "w%d ", i);
	assert_true(sbuf_ok(&b));
	assert_int_equal(imap_search_parse(sbuf_view(&b), A, &s, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
}

static void
test_base_subject_follows_rfc5256(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"Hello", "HELLO"},
	        {"Re: Hello", "HELLO"},
	        {"RE: re: Fwd: Hello", "HELLO"},
	        {"[list] Re: Hello", "HELLO"},
	        {"Re[2]: Hello", "HELLO"},
	        {"Hello (fwd)", "HELLO"},
	        {"  Hello   world  ", "HELLO WORLD"},
	        {"[Fwd: Hello]", "HELLO"},
	        {"[tag]", "[TAG]"},
	        {"Re:", ""},
	        {"Reply to all", "REPLY TO ALL"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		const char *got = imap_base_subject(cases[i].in, A);

		if (strcmp(got, cases[i].out) != 0)
			fail_msg("case %zu: '%s' -> '%s', want '%s'", i,
			         cases[i].in, got, cases[i].out);
	}
}

static void
test_decode_header_rfc2047(void **state)
{
	(void)state;
	assert_string_equal(
	        imap_decode_header(STRV_LIT("=?UTF-8?B?0KHRh9C10YI=?="), A),
	        "Счет");
	assert_string_equal(
	        imap_decode_header(STRV_LIT("=?ISO-8859-1?Q?caf=E9?= ok"), A),
	        "café ok");
	assert_string_equal(imap_decode_header(STRV_LIT("plain"), A), "plain");
	/* raw 8-bit garbage comes out as valid UTF-8 */
	assert_true(codec_utf8_valid(strv_from_cstr(
	        imap_decode_header(STRV_LIT("bad \xff\xfe bytes"), A))));
}

static const struct {
	const char *in;
	const char *out;
} decode_cases[] = {
        /* fast path: copied as they are */
        {"Hello, world", "Hello, world"},
        {"a   b  ", "a   b  "},
        {"jane.doe@example.test", "jane.doe@example.test"},
        {"Счёт №42 — 日本語", "Счёт №42 — 日本語"},
        {"50% = half?", "50% = half?"},
        /* raw invalid 8-bit is replaced, controls become spaces */
        {"caf\xe9 ok", "caf\xef\xbf\xbd ok"},
        {"a\xff\xfe", "a\xef\xbf\xbd\xef\xbf\xbd"},
        {"a\x01"
         "b\r\nc",
         "a b  c"},
        /* encoded words, mixed with plain text */
        {"Re: =?utf-8?q?=C3=A9t=C3=A9?= news", "Re: été news"},
        {"=?UTF-8?B?0KHRh9C10YI=?= and =?iso-8859-1?q?caf=E9?=",
         "Счет and café"},
        {"=?utf-8?Q?a_b?=", "a b"},
        {"=?utf-8*en?q?lang?=", "lang"},
        {"=?utf-8?b?w6k?=", "é"},
        {"x=?utf-8?q?a?=y", "xay"},
        {"=?windows-1251?B?0ffl8g==?=", "Счет"},
        {"=?koi8-r?Q?=F3=DE=C5=D4?=", "Счет"},
        {"=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=", "テスト"},
        /* adjacent words: the white space between them is dropped */
        {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
        {"=?utf-8?q?a?= \t\r\n =?utf-8?q?b?=", "ab"},
        {"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"},
        /* a character split across adjacent words of one charset */
        {"=?UTF-8?B?0J7RgtE=?=\r\n =?UTF-8?B?h9GR0YIg0L4g0YDQsNCx0L7RgtC1?=",
         "Отчёт о работе"},
        {"=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=", "café"},
        {"=?UTF-8?Q?=E2=82?= =?utf-8?Q?=AC?= =?utf-8?q?_5?=", "€ 5"},
        {"=?utf-8?q?=C3?= =?utf-8?b?qQ==?=", "é"},
        {"=?utf-8?b?8J+Y?= =?utf-8?b?gA==?=!", "\xf0\x9f\x98\x80!"},
        {"=?shift_jis?q?=83?= =?shift_jis?q?e=83X?= =?shift_jis?q?=83g?=",
         "テスト"},
        {"=?gb2312?B?vA==?= =?gb2312?B?vrbIsai45g==?=", "季度报告"},
        {"=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?= =?iso-2022-jp?B?GyRCJUYbKEI=?=",
         "テストテ"},
        /* ... but not across charsets or text between the words */
        {"=?utf-8?q?=C3?= =?iso-8859-1?q?=A9?=", "\xef\xbf\xbd©"},
        {"=?utf-8?q?=C3?= x =?utf-8?q?=A9?=", "\xef\xbf\xbd x \xef\xbf\xbd"},
        {"=?utf-8?q?=C3?=", "\xef\xbf\xbd"},
        /* unknown charset: the bytes are kept (cleaned) */
        {"=?x-unknown?Q?abc?= tail", "abc tail"},
        {"=?x-unknown?Q?caf=E9?=", "caf\xef\xbf\xbd"},
        {"=?../../etc/x?Q?abc?=", "abc"},
        /* not encoded words: kept as they are */
        {"a=?b", "a=?b"},
        {"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
        {"=?utf-8?q?a b?=", "=?utf-8?q?a b?="},
        {"=?", "=?"},
        {"", ""},
};

static void
test_decode_header_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(decode_cases); i++) {
		const char *in = decode_cases[i].in;
		const char *got = imap_decode_header(strv_from_cstr(in), A);

		if (strcmp(got, decode_cases[i].out) != 0)
			fail_msg("case %zu: '%s' -> '%s', want '%s'", i, in,
			         got, decode_cases[i].out);
		if (!codec_utf8_valid(strv_from_cstr(got)))
			fail_msg("case %zu: invalid UTF-8", i);
	}
}

static void
test_decode_header_fast_path_copies(void **state)
{
	static const char subj[] = "A plain subject line";
	const char *got;

	(void)state;
	got = imap_decode_header(strv_from_cstr(subj), A);
	assert_string_equal(got, subj);
	assert_ptr_not_equal(got, subj); /* a copy in the arena */
	/* a NULL view is the empty string */
	assert_string_equal(imap_decode_header(STRV_NULL, A), "");
}

static void
test_decode_header_many_charsets_reuse_handles(void **state)
{
	static const char *const words[] = {
	        "=?iso-8859-1?q?caf=E9?=",   "=?iso-8859-2?q?caf=E9?=",
	        "=?iso-8859-15?q?caf=E9?=",  "=?windows-1252?q?caf=E9?=",
	        "=?windows-1250?q?caf=E9?=", "=?cp850?q?caf=82?=",
	        "=?latin1?q?caf=E9?=",       "=?iso-8859-9?q?caf=E9?=",
	        "=?iso-8859-3?q?caf=E9?=",   "=?macintosh?q?caf=8E?=",
	};
	size_t round, i;

	(void)state;
	/* more charsets than cached handles, several rounds: evictions */
	for (round = 0; round < 3; round++) {
		for (i = 0; i < PT_NELEM(words); i++) {
			const char *got =
			        imap_decode_header(strv_from_cstr(words[i]), A);

			if (strcmp(got, "café") != 0)
				fail_msg("round %zu case %zu: '%s'", round, i,
				         got);
		}
	}
}

/* A part for the body choice tests: "type/subtype", disposition, cid. */
static void
part(struct imap_part *p, const char *type, const char *subtype,
     const char *disp, const char *cid)
{
	memset(p, 0, sizeof(*p));
	p->section = "";
	p->type = type;
	p->subtype = subtype;
	p->disposition = disp;
	p->content_id = cid;
	p->charset = p->name = p->encoding = "";
}

static void
kids(struct imap_part *p, struct imap_part *c, size_t n)
{
	size_t i;

	p->children = c;
	p->n_children = n;
	for (i = 0; i < n; i++)
		c[i].parent = p;
}

static void
test_pick_body(void **state)
{
	struct imap_part mixed, alt[3], rel, relk[2], fwd, fwdk[1];
	struct imap_part top[4];
	struct mime_param start = {"start", " <root@x> "};
	const struct imap_part *h, *t;

	(void)state;
	/* mixed: an attached text first, then alternative(plain, html) */
	part(&mixed, "multipart", "mixed", "", "");
	part(&top[0], "text", "plain", "attachment", "");
	part(&top[1], "multipart", "alternative", "", "");
	part(&alt[0], "text", "plain", "", "");
	part(&alt[1], "text", "html", "", "");
	part(&alt[2], "text", "plain", "", "");
	kids(&top[1], alt, 3);
	part(&top[2], "text", "html", "", "");
	part(&top[3], "message", "rfc822", "", "");
	kids(&mixed, top, 4);
	imap_pick_body(&mixed, A, &h, &t);
	assert_ptr_equal(h, &alt[1]);
	assert_ptr_equal(t, &alt[2]); /* the last plain one */
	/* related: start= names the root (quoted, spaces) */
	part(&rel, "multipart", "related", "", "");
	rel.params = &start;
	rel.n_params = 1;
	part(&relk[0], "image", "png", "", "img@x");
	part(&relk[1], "text", "html", "", "root@x");
	kids(&rel, relk, 2);
	imap_pick_body(&rel, A, &h, &t);
	assert_ptr_equal(h, &relk[1]);
	assert_null(t);
	/* start= naming nothing: the first part, which shows nothing */
	start.value = "<gone@x>";
	imap_pick_body(&rel, A, &h, &t);
	assert_null(h);
	assert_null(t);
	/* an attached message is the body only when it is the root */
	part(&fwd, "message", "rfc822", "", "");
	part(&fwdk[0], "text", "plain", "", "");
	kids(&fwd, fwdk, 1);
	imap_pick_body(&fwd, A, &h, &t);
	assert_ptr_equal(t, &fwdk[0]);
	kids(&top[3], fwdk, 1);
	part(&top[1], "image", "gif", "", "");
	part(&top[2], "application", "pdf", "", "");
	imap_pick_body(&mixed, A, &h, &t);
	assert_null(h);
	assert_null(t);
	assert_true(imap_part_is(&fwd, "message", NULL));
	assert_false(imap_part_is(&fwd, "message", "partial"));
}

static void
test_preview_collapses_whitespace_and_cuts(void **state)
{
	const char *p;

	(void)state;
	assert_string_equal(
	        imap_make_preview(STRV_LIT("  a\r\n\r\n b\tc  "), 200, A),
	        "a b c");
	p = imap_make_preview(STRV_LIT("ЖЖЖЖЖ"), 3, A);
	assert_string_equal(p, "ЖЖЖ");
}

static void
test_sort_parse(void **state)
{
	enum imap_sort s;
	bool rev;

	(void)state;
	assert_true(imap_sort_parse(STRV_LIT("-date"), &s, &rev));
	assert_int_equal(s, IMAP_SORT_DATE);
	assert_true(rev);
	assert_true(imap_sort_parse(STRV_LIT("subject"), &s, &rev));
	assert_int_equal(s, IMAP_SORT_SUBJECT);
	assert_false(rev);
	assert_false(imap_sort_parse(STRV_LIT("color"), &s, &rev));
}

static void
test_special_names(void **state)
{
	(void)state;
	assert_string_equal(imap_special_name(IMAP_SPECIAL_TRASH), "trash");
	assert_null(imap_special_name(IMAP_SPECIAL_NONE));
}

static void
fake_domain(struct config_domain *d, uint16_t port)
{
	memset(d, 0, sizeof(*d));
	d->imap_host = "127.0.0.1";
	d->imap_port = port;
	d->imap_secure = CONFIG_SECURE_NONE;
	d->ca_file = "";
	d->verify_certificate = true;
	d->connect_timeout = 2;
	d->read_timeout = 2;
}

/*
 * A server that greets with PREAUTH never saw the password: the login
 * must not count as checked unless the domain allows it knowingly.
 */
static void
test_preauth_greeting_is_not_a_login(void **state)
{
	static const char *const script[] = {
	        "S:* PREAUTH [CAPABILITY IMAP4rev1] come in", "C:", NULL};
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct fsrv f;
	struct perr err;

	(void)state;
	fsrv_start(&f, script);
	fake_domain(&d, f.port);
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imap_login(c, "alice@example.test", "wrong", &err),
	                 -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_non_null(strstr(err.msg, "PREAUTH"));
	imap_conn_destroy(&c);
	fsrv_stop(&f);

	fsrv_start(&f, script);
	fake_domain(&d, f.port);
	d.imap_allow_preauth = true;
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imap_login(c, "alice@example.test", "any", &err), 0);
	imap_conn_destroy(&c);
	fsrv_stop(&f);
}

/*
 * imap_secure = None to a host that is not loopback: LOGIN would carry the
 * password in clear, so it is refused before a byte of it is sent, unless
 * the domain sets allow_insecure_auth. 127.0.0.2 stands for a remote host.
 */
static void
test_clear_login_to_remote_host_refused(void **state)
{
	static const char *const script[] = {"S:* OK [CAPABILITY IMAP4rev1] hi",
	                                     "C:", NULL};
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct fsrv f;
	struct perr err;

	(void)state;
	fsrv_start_at(&f, script, "127.0.0.2");
	fake_domain(&d, f.port);
	d.imap_host = "127.0.0.2";
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imap_login(c, "alice@example.test", "s3cret", &err),
	                 -1);
	assert_non_null(strstr(err.msg, "without TLS"));
	assert_non_null(strstr(err.msg, "allow_insecure_auth"));
	imap_conn_destroy(&c);
	fsrv_stop(&f);
	assert_null(memmem(f.got, f.got_len, "s3cret", 6));
	assert_int_equal(err.kind, PERR_TEMPFAIL);

	/* The admin's knowing override lets the LOGIN go out. */
	fsrv_start_at(&f, script, "127.0.0.2");
	fake_domain(&d, f.port);
	d.imap_host = "127.0.0.2";
	d.allow_insecure_auth = true;
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	(void)!imap_login(c, "alice@example.test", "s3cret", &err);
	imap_conn_destroy(&c);
	fsrv_stop(&f);
	assert_non_null(memmem(f.got, f.got_len, "s3cret", 6));
}

/* A command Petrel reads the answer of itself (SORT, THREAD...) meets a
 * server that never ends the line: a bounded read and a clear error. */
static void
test_raw_command_endless_line_is_bounded(void **state)
{
	static const char *const script[] = {
	        "S:* PREAUTH [CAPABILITY IMAP4rev1] come in", "C:", "L:", NULL};
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct strv *lines;
	size_t n;
	struct fsrv f;
	struct perr err;

	(void)state;
	fsrv_start(&f, script);
	fake_domain(&d, f.port);
	d.read_timeout = 5;
	d.imap_allow_preauth = true;
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imapc_raw_command(c, "NOOP", A, &lines, &n, &err), -1);
	assert_non_null(strstr(err.msg, "line longer than"));
	imap_conn_destroy(&c);
	fsrv_stop(&f);
	assert_true(f.endless_sent < (size_t)40 << 20);
}

static void
test_keyword_check(void **state)
{
	struct arena *a = A;
	struct perr err = {0};
	char longkw[IMAP_KEYWORD_MAX + 2];
	static const char *const bad[] = {
	        "",   "\\Seen", "\\Deleted",   "two words", "a\r\nb",
	        "(x", "x)",     "\"q\"",       "a*",        "a%",
	        "a]", "a{3}",   "caf\xc3\xa9",
	};

	(void)state;
	assert_int_equal(imap_keyword_check("$label1", a, &err), 0);
	assert_int_equal(imap_keyword_check("Work", a, &err), 0);
	assert_int_equal(imap_keyword_check("$Important", a, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		perr_clear(&err);
		assert_int_equal(imap_keyword_check(bad[i], a, &err), -1);
		assert_int_equal(err.kind, PERR_INPUT);
		assert_non_null(err.msg);
	}
	memset(longkw, 'k', sizeof(longkw) - 1);
	longkw[IMAP_KEYWORD_MAX] = '\0';
	assert_int_equal(imap_keyword_check(longkw, a, &err), 0);
	longkw[IMAP_KEYWORD_MAX] = 'k';
	longkw[IMAP_KEYWORD_MAX + 1] = '\0';
	assert_int_equal(imap_keyword_check(longkw, a, &err), -1);
	assert_non_null(strstr(err.msg, "longer"));
	assert_int_equal(imap_keyword_tb_label("$label1"), 1);
	assert_int_equal(imap_keyword_tb_label("$Label5"), 5);
	assert_int_equal(imap_keyword_tb_label("$label6"), 0);
	assert_int_equal(imap_keyword_tb_label("$label10"), 0);
	assert_int_equal(imap_keyword_tb_label("Work"), 0);
}

/* Label names -> keywords: Thunderbird's rule, always a valid atom. */
static void
test_keyword_from_name(void **state)
{
	struct arena *a = A;
	struct perr err = {0};
	char *kw;
	char name[IMAP_LABEL_NAME_MAX + 2];
	static const char *const names[] = {
	        "Work",
	        "To Do",
	        "a(b)c{d}%*\"\\]",
	        "$label1",
	        "Caf\xc3\xa9",
	        "\xd0\x9f\xd1\x80\xd0\xbe\xd0\xb5\xd0\xba\xd1\x82",
	        "\xf0\x9f\x93\x8c pinned",
	        "a & b",
	};

	(void)state;
	assert_int_equal(imap_keyword_from_name("Work", a, &kw, &err), 0);
	assert_string_equal(kw, "work");
	assert_int_equal(imap_keyword_from_name("To Do", a, &kw, &err), 0);
	assert_string_equal(kw, "to_do");
	assert_int_equal(imap_keyword_from_name("$label1", a, &kw, &err), 0);
	assert_string_equal(kw, "_label1");
	assert_int_equal(imap_keyword_from_name("Caf\xc3\xa9", a, &kw, &err),
	                 0);
	assert_string_equal(kw, "caf&AOk-");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		perr_clear(&err);
		assert_int_equal(imap_keyword_from_name(names[i], a, &kw, &err),
		                 0);
		assert_int_equal(imap_keyword_check(kw, a, &err), 0);
		assert_true(imap_keyword_is_label(kw));
	}
	/* Long non-ASCII names: cut before a UTF-7 run, hashed, <= 50
	 * (Dovecot's default keyword limit). */
	memset(name, 0, sizeof(name));
	for (size_t i = 0; i + 2 <= 120; i += 2) {
		name[i] = (char)0xd0;
		name[i + 1] = (char)0x9f;
	}
	assert_int_equal(imap_keyword_from_name(name, a, &kw, &err), 0);
	assert_true(strlen(kw) <= IMAP_LABEL_KEYWORD_MAX);
	assert_int_equal(imap_keyword_check(kw, a, &err), 0);
	assert_int_equal(strchr(kw, '&') == NULL ||
	                         strchr(strchr(kw, '&'), '-') != NULL,
	                 1);
	/* Bad names. */
	assert_int_equal(imap_keyword_from_name("", a, &kw, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(imap_keyword_from_name("a\nb", a, &kw, &err), -1);
	assert_int_equal(imap_keyword_from_name("\xff", a, &kw, &err), -1);
	memset(name, 'n', IMAP_LABEL_NAME_MAX + 1);
	name[IMAP_LABEL_NAME_MAX + 1] = '\0';
	assert_int_equal(imap_keyword_from_name(name, a, &kw, &err), -1);
}

static bool
taken_all(void *ctx, const char *kw)
{
	(void)ctx;
	(void)kw;
	return true;
}

static bool
taken_first(void *ctx, const char *kw)
{
	(void)ctx;
	return strlen(kw) == IMAP_KEYWORD_MAX && strchr(kw, '_') == NULL;
}

static bool
taken_two(void *ctx, const char *kw)
{
	(void)ctx;
	return strcmp(kw, "work") == 0 || strcmp(kw, "work_2") == 0;
}

static void
test_keyword_unique_and_is_label(void **state)
{
	struct arena *a = A;
	char longkw[IMAP_KEYWORD_MAX + 1];
	char *u;

	(void)state;
	assert_string_equal(imap_keyword_unique("home", taken_two, NULL, a),
	                    "home");
	assert_string_equal(imap_keyword_unique("work", taken_two, NULL, a),
	                    "work_3");
	memset(longkw, 'w', IMAP_KEYWORD_MAX);
	longkw[IMAP_KEYWORD_MAX] = '\0';
	u = imap_keyword_unique(longkw, taken_all, NULL, a);
	assert_null(u);
	u = imap_keyword_unique(longkw, taken_first, NULL, a);
	assert_non_null(u);
	assert_int_equal(strlen(u), IMAP_LABEL_KEYWORD_MAX);
	assert_string_equal(u + IMAP_LABEL_KEYWORD_MAX - 2, "_2");
	assert_true(imap_keyword_is_label("$label1"));
	assert_true(imap_keyword_is_label("work"));
	assert_true(imap_keyword_is_label("$Important"));
	assert_false(imap_keyword_is_label("$Forwarded"));
	assert_false(imap_keyword_is_label("$junk"));
	assert_false(imap_keyword_is_label("NonJunk"));
	assert_false(imap_keyword_is_label("$MailFlagBit1"));
	assert_false(imap_keyword_is_label("\\Seen"));
	assert_false(imap_keyword_is_label(""));
}

/* keyword: in the search box is IMAP KEYWORD, and only for an atom. */
static void
test_search_parse_keyword(void **state)
{
	struct arena *a = A;
	struct imap_search s;
	struct perr err = {0};

	(void)state;
	assert_int_equal(imap_search_parse(strv_from_cstr("keyword:$label1 "
	                                                  "from:bob"),
	                                   a, &s, &err),
	                 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.terms[0].kind, IMAP_SEARCH_KEYWORD);
	assert_string_equal(s.terms[0].value, "$label1");
	assert_int_equal(s.terms[1].kind, IMAP_SEARCH_FROM);
	assert_int_equal(
	        imap_search_parse(strv_from_cstr("-keyword:work"), a, &s, &err),
	        0);
	assert_true(s.terms[0].negate);
	assert_int_equal(imap_search_parse(strv_from_cstr("keyword:\\Seen"), a,
	                                   &s, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(imap_search_parse(strv_from_cstr("keyword:\"a b\""), a,
	                                   &s, &err),
	                 -1);
}

/*
 * MessageSetKeywords' IMAP side on a scripted server: a keyword missing
 * from PERMANENTFLAGS (no \*) is refused before any STORE; an allowed one
 * goes out as one UID STORE per direction with the UIDs as ranges, also
 * for 10 000 UIDs.
 */
static void
test_set_keywords_permanentflags_and_ranges(void **state)
{
	static const char *const script[] = {
	        "S:* PREAUTH [CAPABILITY IMAP4rev1] come in",
	        "C:1 SELECT Box",
	        "S:* 9 EXISTS",
	        "S:* FLAGS (\\Seen \\Deleted work)",
	        "S:* OK [PERMANENTFLAGS (\\Seen \\Deleted work)] limited",
	        "S:* OK [UIDVALIDITY 7] ok",
	        "S:* OK [UIDNEXT 10001] ok",
	        "S:1 OK [READ-WRITE] selected",
	        "C:2 NOOP",
	        "S:2 OK noop",
	        "C:3 NOOP",
	        "S:3 OK noop",
	        "C:4 UID STORE 1:3,5,7:9 +FLAGS.SILENT (work)",
	        "S:4 OK stored",
	        "C:5 NOOP",
	        "S:5 OK noop",
	        "C:6 UID STORE 1:3,5,7:9 -FLAGS.SILENT (gone)",
	        "S:6 OK stored",
	        "C:7 NOOP",
	        "S:7 OK noop",
	        "C:8 NOOP",
	        "S:8 OK noop",
	        "C:9 UID STORE 1:10000 +FLAGS.SILENT (work)",
	        "S:9 OK stored",
	        NULL};
	const uint32_t uids[] = {9, 1, 2, 3, 5, 7, 8};
	const char *work[] = {"work"}, *other[] = {"other"}, *gone[] = {"gone"};
	static uint32_t many[10000];
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct fsrv f;
	struct perr err;

	(void)state;
	for (size_t i = 0; i < 10000; i++)
		many[i] = (uint32_t)(10000 - i);
	fsrv_start(&f, script);
	fake_domain(&d, f.port);
	d.imap_allow_preauth = true;
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imap_login(c, "alice@example.test", "x", &err), 0);
	perr_clear(&err);
	assert_int_equal(imap_set_keywords(c, "Box", uids, 7, other, 1, gone, 1,
	                                   A, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_REMOTE);
	assert_non_null(strstr(err.msg, "PERMANENTFLAGS"));
	assert_non_null(strstr(err.msg, "other"));
	assert_int_equal(
	        imap_set_keywords(c, "Box", uids, 7, work, 1, gone, 1, A, &err),
	        0);
	assert_int_equal(imap_set_keywords(c, "Box", many, 10000, work, 1, NULL,
	                                   0, A, &err),
	                 0);
	/* A bad keyword is refused before anything is sent. */
	assert_int_equal(imap_set_keywords(c, "Box", uids, 7, NULL, 0,
	                                   (const char *[]){"\\Seen"}, 1, A,
	                                   &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	imap_conn_destroy(&c);
	fsrv_stop(&f);
	assert_true(f.done);
}

/*
 * The server (or a proxy) closes the connection while Petrel waits for an
 * answer: libetpan's parser reports the cut-off answer as a parse error,
 * but it is a lost connection (PERR_TEMPFAIL, like the server being
 * down), not a server that said something strange (PERR_REMOTE): callers
 * that create a missing folder on PERR_REMOTE and try again (the APPEND of
 * a draft or the Sent copy) must not act on it.
 */
static void
test_connection_closed_before_the_answer_is_tempfail(void **state)
{
	static const char *const script[] = {
	        "S:* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] come in",
	        "C:", NULL};
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct fsrv f;
	struct perr err;

	(void)state;
	fsrv_start(&f, script);
	fake_domain(&d, f.port);
	d.imap_allow_preauth = true;
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imap_login(c, "alice@example.test", "any", &err), 0);
	assert_int_equal(imap_noop(c, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_non_null(strstr(err.msg, "connection closed"));
	assert_true(imap_conn_is_broken(c));
	imap_conn_destroy(&c);
	fsrv_stop(&f);
}

/* One list of INBOX (newest first, no previews) on c. */
static struct fsrv *list_fsrv;

static struct imap_msg_page
list_inbox(struct imap_conn *c, struct imap_conn_stats *before_r)
{
	struct imap_list_query q;
	struct imap_msg_page page;
	struct perr err;

	imap_conn_get_stats(c, before_r);
	memset(&q, 0, sizeof(q));
	q.reverse = true;
	q.no_preview = true;
	if (imap_list_messages(c, "INBOX", &q, A, &page, &err) != 0)
		fail_msg("list: %s; the client sent:\n%.*s", err.msg,
		         (int)list_fsrv->got_len, list_fsrv->got);
	return page;
}

#define RC_ENV(subj)                                                           \
	"ENVELOPE (\"Mon, 1 Jan 2024 10:00:00 +0000\" \"" subj                 \
	"\" ((\"A\" NIL \"a\" \"x.test\")) NIL NIL NIL NIL NIL NIL "           \
	"\"<m@x>\") "                                                          \
	"INTERNALDATE \"01-Jan-2024 10:00:00 +0000\" RFC822.SIZE 100 "         \
	"BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "    \
	"NIL \"7bit\" 5 1)"

/*
 * The shared rows' flags against scripted server answers: a page whose
 * flags are labelled with the view's HIGHESTMODSEQ costs only the NOOP;
 * a MODSEQ above it brings UID FETCH (FLAGS) (CHANGEDSINCE label); an
 * unsolicited FETCH without MODSEQ, or a STORE through the connection,
 * makes the flags untrusted (plain FETCH, then a new SELECT).
 */
static void
test_row_share_flags_follow_highestmodseq(void **state)
{
	static const char *const script[] = {
	        "S:* OK [CAPABILITY IMAP4rev1 CONDSTORE SORT] hi", "C:1 LOGIN",
	        "S:1 OK [CAPABILITY IMAP4rev1 CONDSTORE SORT UIDPLUS] in",
	        /* first list: SELECT, SORT, row FETCH */
	        "C:2 SELECT INBOX (CONDSTORE)", "S:* 2 EXISTS",
	        "S:* OK [UIDVALIDITY 7] v", "S:* OK [UIDNEXT 12] n",
	        "S:* OK [HIGHESTMODSEQ 100] m", "S:2 OK [READ-WRITE] done",
	        "C:3 UID SORT (REVERSE DATE)", "S:* SORT 11 10",
	        "S:3 OK sorted", "C:4 UID FETCH 10:11 (UID FLAGS ENVELOPE",
	        "S:* 1 FETCH (UID 10 FLAGS () " RC_ENV("ten") ")",
	        "S:* 2 FETCH (UID 11 FLAGS (\\Seen) " RC_ENV("eleven") ")",
	        "S:4 OK fetched",
	        /* second: the NOOP alone */
	        "C:5 NOOP", "S:5 OK nothing",
	        /* third: another client flagged 10 */
	        "C:6 NOOP",
	        "S:* 1 FETCH (UID 10 FLAGS (\\Flagged) MODSEQ (101))",
	        "S:6 OK done",
	        "C:7 UID FETCH 10:11 (UID FLAGS) (CHANGEDSINCE 100)",
	        "S:* 1 FETCH (UID 10 FLAGS (\\Flagged) MODSEQ (101))",
	        "S:7 OK done",
	        /* fourth: labels caught up, the NOOP alone */
	        "C:8 NOOP", "S:8 OK done",
	        /* fifth: a change without MODSEQ: a plain flag FETCH */
	        "C:9 NOOP", "S:* 2 FETCH (UID 11 FLAGS ())", "S:9 OK done",
	        "C:10 UID FETCH 10:11 (UID FLAGS)",
	        "S:* 1 FETCH (UID 10 FLAGS (\\Flagged))",
	        "S:* 2 FETCH (UID 11 FLAGS ())", "S:10 OK done",
	        /* sixth: SELECT again for an exact HIGHESTMODSEQ */
	        "C:11 SELECT INBOX (CONDSTORE)", "S:* 2 EXISTS",
	        "S:* OK [UIDVALIDITY 7] v", "S:* OK [UIDNEXT 12] n",
	        "S:* OK [HIGHESTMODSEQ 102] m", "S:11 OK [READ-WRITE] done",
	        /* the last labels were 0 (unknown): all flags again */
	        "C:12 UID FETCH 10:11 (UID FLAGS)",
	        "S:* 1 FETCH (UID 10 FLAGS (\\Flagged))",
	        "S:* 2 FETCH (UID 11 FLAGS ())", "S:12 OK done",
	        /* seventh: the NOOP alone again */
	        "C:13 NOOP", "S:13 OK done", "C:", NULL};
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct imap_conn_stats st0, st1;
	struct imap_msg_page p;
	struct fsrv f;
	struct perr err;

	(void)state;
	imap_row_share_clear();
	imap_uid_share_clear();
	fsrv_start(&f, script);
	list_fsrv = &f;
	fake_domain(&d, f.port);
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imap_login(c, "alice@example.test", "pw", &err), 0);

	p = list_inbox(c, &st0);
	imap_conn_get_stats(c, &st1);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.rows[0].uid, 11);
	assert_string_equal(p.rows[0].subject, "eleven");
	assert_int_equal(p.rows[0].flags, IMAP_MSG_SEEN);
	assert_int_equal(st1.fetches, st0.fetches + 1);

	p = list_inbox(c, &st0);
	imap_conn_get_stats(c, &st1);
	assert_int_equal(st1.flag_skips, st0.flag_skips + 1);
	assert_int_equal(st1.flag_fetches, st0.flag_fetches);
	assert_int_equal(st1.fetches, st0.fetches);
	assert_string_equal(p.rows[1].subject, "ten");
	assert_int_equal(p.rows[0].flags, IMAP_MSG_SEEN);
	assert_int_equal(p.rows[1].flags, 0);

	p = list_inbox(c, &st0);
	imap_conn_get_stats(c, &st1);
	assert_int_equal(st1.flag_fetches, st0.flag_fetches + 1);
	assert_int_equal(p.rows[1].flags, IMAP_MSG_FLAGGED);
	assert_int_equal(p.rows[0].flags, IMAP_MSG_SEEN); /* not changed */

	p = list_inbox(c, &st0);
	imap_conn_get_stats(c, &st1);
	assert_int_equal(st1.flag_skips, st0.flag_skips + 1);
	assert_int_equal(p.rows[1].flags, IMAP_MSG_FLAGGED);

	p = list_inbox(c, &st0);
	imap_conn_get_stats(c, &st1);
	assert_int_equal(st1.flag_fetches, st0.flag_fetches + 1);
	assert_int_equal(p.rows[0].flags, 0);
	assert_int_equal(p.rows[1].flags, IMAP_MSG_FLAGGED);

	p = list_inbox(c, &st0);
	imap_conn_get_stats(c, &st1);
	assert_int_equal(st1.selects, st0.selects + 1);
	assert_int_equal(st1.flag_fetches, st0.flag_fetches + 1);
	assert_int_equal(st1.sorts, st0.sorts); /* the same message set */
	assert_int_equal(p.rows[0].flags, 0);

	p = list_inbox(c, &st0);
	imap_conn_get_stats(c, &st1);
	assert_int_equal(st1.flag_skips, st0.flag_skips + 1);
	assert_int_equal(p.rows[1].flags, IMAP_MSG_FLAGGED);
	imap_conn_destroy(&c);
	fsrv_stop(&f);
	if (!f.done)
		fail_msg("script stopped; client sent:\n%.*s", (int)f.got_len,
		         f.got);
	imap_row_share_clear();
	imap_uid_share_clear();
}

static int pool_cred_calls;

/* The pool must not open a connection in these tests. */
static int
no_cred(void *ctx, struct arena *a, const struct config_domain **dom_r,
        const char **user_r, const char **password_r, struct perr *err)
{
	(void)ctx;
	(void)dom_r;
	(void)user_r;
	(void)password_r;
	pool_cred_calls++;
	return perr_set(err, a, PERR_TEMPFAIL, "no new connections here");
}

/* A logged-in connection to a scripted server (PREAUTH, then LOGOUT). */
static struct imap_conn *
preauth_conn(struct fsrv *f)
{
	static const char *const script[] = {
	        "S:* PREAUTH [CAPABILITY IMAP4rev1] come in", "C:", NULL};
	struct config_domain d;
	struct imap_conn *c = NULL;
	struct perr err;

	fsrv_start(f, script);
	fake_domain(&d, f->port);
	d.imap_allow_preauth = true;
	assert_int_equal(imap_connect(&d, A, &c, &err), 0);
	assert_int_equal(imap_login(c, "alice@example.test", "pw", &err), 0);
	return c;
}

struct pool_waiter {
	struct imap_pool *p;
	struct imap_conn *c;
	int rc;
};

static void *
pool_waiter_run(void *arg)
{
	struct pool_waiter *w = arg;
	struct arena *a = arena_create("waiter", 4096, 0);
	struct perr err;

	w->rc = imap_pool_checkout(w->p, "s2", no_cred, NULL, a, &w->c, &err);
	arena_destroy(&a);
	return NULL;
}

/*
 * Sessions bound to one user share its connections; the user never has
 * more than max_per_user; a checkout past the cap waits for one to come
 * back (and fails after wait_ms); logout of one session keeps them for
 * the others.
 */
static void
test_pool_shares_a_users_connections_under_its_cap(void **state)
{
	struct imap_pool_settings ps;
	struct imap_pool_stats st;
	struct imap_pool *p;
	struct imap_conn *c1, *c2, *c3, *a1, *a2, *x = NULL;
	struct pool_waiter w;
	struct fsrv f1, f2, f3;
	struct perr err;
	pthread_t th;

	(void)state;
	pool_cred_calls = 0;
	memset(&ps, 0, sizeof(ps));
	ps.max_per_user = 2;
	ps.wait_ms = 300;
	ps.spare_idle_s = 1;
	p = imap_pool_create(&ps);
	imap_pool_bind(p, "s1", "u");
	imap_pool_bind(p, "s2", "u");
	imap_pool_bind(p, "s3", "u");
	c1 = preauth_conn(&f1);
	c2 = preauth_conn(&f2);
	c3 = preauth_conn(&f3);
	a1 = c1;
	a2 = c2;
	assert_true(imap_pool_adopt(p, "s1", &c1));
	assert_true(imap_pool_adopt(p, "s2", &c2));
	/* the user is at its cap: a third sign-in's connection is closed */
	assert_false(imap_pool_adopt(p, "s3", &c3));
	assert_null(c3);
	fsrv_stop(&f3);
	assert_int_equal(imap_pool_user_count(p, "u"), 2);

	/* s3 never opened one: it gets the user's */
	assert_int_equal(
	        imap_pool_checkout(p, "s3", no_cred, NULL, A, &c3, &err), 0);
	assert_true(c3 == a1 || c3 == a2);
	assert_int_equal(
	        imap_pool_checkout(p, "s1", no_cred, NULL, A, &c1, &err), 0);
	assert_true(c1 == a1 || c1 == a2);
	assert_ptr_not_equal(c1, c3);
	/* both busy, at the cap: s2 waits, then gives up */
	assert_int_equal(
	        imap_pool_checkout(p, "s2", no_cred, NULL, A, &x, &err), -1);
	assert_int_equal(err.kind, PERR_TEMPFAIL);
	assert_int_equal(pool_cred_calls, 0);
	/* ... or gets the one given back while it waits */
	memset(&w, 0, sizeof(w));
	w.p = p;
	w.rc = -2;
	assert_int_equal(pthread_create(&th, NULL, pool_waiter_run, &w), 0);
	usleep(100 * 1000);
	imap_pool_checkin(p, &c1);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, 0);
	assert_true(w.c == a1 || w.c == a2);
	imap_pool_get_stats(p, &st);
	assert_int_equal(st.connects, 0);
	assert_int_equal(st.adopted, 2);
	assert_int_equal(st.waits, 2);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(pool_cred_calls, 0);
	imap_pool_checkin(p, &w.c);
	imap_pool_checkin(p, &c3);

	/* a spare idle one closes after spare_idle_s, the newest stays */
	imap_pool_reap(p);
	assert_int_equal(imap_pool_user_count(p, "u"), 2);
	sleep(1);
	usleep(100 * 1000);
	imap_pool_reap(p);
	assert_int_equal(imap_pool_user_count(p, "u"), 1);

	/* the user's connections outlive all but its last session */
	imap_pool_drop_session(p, "s1");
	imap_pool_drop_session(p, "s2");
	assert_int_equal(imap_pool_user_count(p, "u"), 1);
	imap_pool_drop_session(p, "s3");
	assert_int_equal(imap_pool_user_count(p, "u"), 0);
	imap_pool_destroy(&p);
	fsrv_stop(&f1);
	fsrv_stop(&f2);
}

/* Store rows uid 1..n of folder on c (a connection that never spoke). */
static void
rc_store(struct imap_conn *c, const char *folder, uint32_t n)
{
	struct imap_msg_row *rows = arena_new_array(A, struct imap_msg_row, n);
	bool *got = arena_new_array(A, bool, n);
	uint32_t i;

	assert_non_null(rows);
	assert_non_null(got);
	c->selected_raw = (char *)(uintptr_t)folder;
	for (i = 0; i < n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].uid = i + 1;
		rows[i].subject = arena_printf(
		        A,
		        "%s subject %u, long enough "
		        "to weigh something: %s",
		        folder, i + 1, "0123456789abcdef0123456789abcdef");
		rows[i].from.name = "Sender";
		rows[i].from.email = "sender@x.test";
		rows[i].preview = "preview text";
		rows[i].flags = IMAP_MSG_SEEN;
		got[i] = true;
	}
	imapc_row_cache_store(c, rows, n, got, true, 5, A);
}

/*
 * Rows 1..n of folder from the table, no command sent: how many it did
 * not have (those stay untouched, the others are filled).
 */
static int
rc_lookup(struct imap_conn *c, const char *folder, uint32_t n)
{
	struct imap_msg_row *rows = arena_new_array(A, struct imap_msg_row, n);
	struct imapc_rowidx *idx = arena_new_array(A, struct imapc_rowidx, n);
	bool *have = arena_new_array(A, bool, n);
	struct perr err;
	uint32_t i;
	int r;

	assert_non_null(rows);
	assert_non_null(idx);
	assert_non_null(have);
	c->selected_raw = (char *)(uintptr_t)folder;
	for (i = 0; i < n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].uid = i + 1;
		idx[i].uid = i + 1;
		idx[i].pos = i;
	}
	r = imapc_rows_from_cache(c, rows, n, true, idx, have, A, &err);
	assert_true(r >= 0);
	for (i = 0; i < n; i++) {
		if (!have[i]) {
			assert_null(rows[i].subject);
			continue;
		}
		assert_non_null(strstr(rows[i].subject, folder));
		assert_string_equal(rows[i].preview, "preview text");
		assert_int_equal(rows[i].flags, IMAP_MSG_SEEN);
	}
	return r;
}

/*
 * The row table stays under its byte cap (least recently used folders
 * go), keeps at most 4096 rows a folder, never answers for another user
 * or another UIDVALIDITY, and holds nothing when turned off.
 */
static void
test_row_share_is_bounded_and_keyed(void **state)
{
	struct imap_row_share_stats st;
	struct imap_conn c;
	char name[32];
	int i, hits = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.host = (char *)(uintptr_t) "imap.x.test";
	c.target.port = 143;
	c.user = (char *)(uintptr_t) "alice@x.test";
	c.caps = IMAP_CAP_CONDSTORE;
	c.sel.uidvalidity = 1;
	c.sel.highestmodseq = 5;
	imap_row_share_clear();

	imap_row_share_set_limit(128 * 1024);
	for (i = 0; i < 64; i++) {
		(void)snprintf(name, sizeof(name), "F%d", i);
		rc_store(&c, arena_strdup(A, name), 10);
		imap_row_share_get_stats(&st);
		assert_true(st.bytes <= st.limit);
	}
	assert_true(st.evictions > 0);
	assert_true(st.folders < 64);
	/* the newest folder is all there, without a command */
	assert_int_equal(rc_lookup(&c, "F63", 10), 0);
	assert_int_equal(c.stats.flag_skips, 1);
	for (i = 0; i < 64; i++) {
		(void)snprintf(name, sizeof(name), "F%d", i);
		hits += rc_lookup(&c, name, 10) == 0;
	}
	assert_int_equal((size_t)hits, st.folders);
	/* a page with rows the table lacks (new mail): the others come
	 * from it, only the missing ones are left to fetch */
	assert_int_equal(rc_lookup(&c, "F63", 13), 3);

	/* another user, another server, another UIDVALIDITY: a miss */
	c.user = (char *)(uintptr_t) "bob@x.test";
	assert_int_equal(rc_lookup(&c, "F63", 10), 10);
	c.user = (char *)(uintptr_t) "alice@x.test";
	c.target.port = 993;
	assert_int_equal(rc_lookup(&c, "F63", 10), 10);
	c.target.port = 143;
	c.sel.uidvalidity = 2;
	assert_int_equal(rc_lookup(&c, "F63", 10), 10);
	c.sel.uidvalidity = 1;
	assert_int_equal(rc_lookup(&c, "F63", 10), 0);

	/* a folder keeps at most 4096 rows, the least recently used go */
	imap_row_share_clear();
	imap_row_share_set_limit((size_t)64 << 20);
	rc_store(&c, "Big", 5000);
	imap_row_share_get_stats(&st);
	assert_int_equal(st.rows, 4096);
	assert_int_equal(rc_lookup(&c, "Big", 10), 10); /* the oldest went */

	/* off: nothing kept */
	imap_row_share_set_limit(0);
	rc_store(&c, "F1", 10);
	imap_row_share_get_stats(&st);
	assert_int_equal(st.rows, 0);
	assert_int_equal(rc_lookup(&c, "F1", 10), 10);
	imap_row_share_set_limit((size_t)64 << 20);
	c.selected_raw = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mutf7_round_trips_known_vectors),
	        cmocka_unit_test(test_mutf7_decode_refuses_invalid),
	        cmocka_unit_test(
	                test_mutf7_encode_refuses_controls_and_bad_utf8),
	        cmocka_unit_test(test_caps_parse_sets_flags),
	        cmocka_unit_test(test_search_parse_keys_phrases_and_negation),
	        cmocka_unit_test(test_search_parse_unknown_key_is_text),
	        cmocka_unit_test(
	                test_search_parse_refuses_injection_and_bad_values),
	        cmocka_unit_test(test_search_parse_limits_terms),
	        cmocka_unit_test(test_base_subject_follows_rfc5256),
	        cmocka_unit_test(test_decode_header_rfc2047),
	        cmocka_unit_test(test_decode_header_cases),
	        cmocka_unit_test(test_decode_header_fast_path_copies),
	        cmocka_unit_test(
	                test_decode_header_many_charsets_reuse_handles),
	        cmocka_unit_test(test_pick_body),
	        cmocka_unit_test(test_preview_collapses_whitespace_and_cuts),
	        cmocka_unit_test(test_sort_parse),
	        cmocka_unit_test(test_special_names),
	        cmocka_unit_test(test_preauth_greeting_is_not_a_login),
	        cmocka_unit_test(test_clear_login_to_remote_host_refused),
	        cmocka_unit_test(test_raw_command_endless_line_is_bounded),
	        cmocka_unit_test(test_keyword_check),
	        cmocka_unit_test(test_keyword_from_name),
	        cmocka_unit_test(test_keyword_unique_and_is_label),
	        cmocka_unit_test(test_search_parse_keyword),
	        cmocka_unit_test(test_set_keywords_permanentflags_and_ranges),
	        cmocka_unit_test(
	                test_connection_closed_before_the_answer_is_tempfail),
	        cmocka_unit_test(test_row_share_flags_follow_highestmodseq),
	        cmocka_unit_test(test_row_share_is_bounded_and_keyed),
	        cmocka_unit_test(
	                test_pool_shares_a_users_connections_under_its_cap),
	};

	return cmocka_run_group_tests(tests, unit_arena_setup,
	                              unit_arena_teardown);
}
