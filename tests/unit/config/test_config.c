#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>

#include "../support/temp_dir.h"

#include "config/config.h"
#include "../support/full_disk.h"

/* ---- fixtures -------------------------------------------------------- */

struct diag_rec {
	enum config_diag_level level;
	char file[256];
	unsigned line;
	char msg[256];
};

struct diags {
	struct diag_rec rec[64];
	size_t n;
	bool with_info; /* also record config_check()'s INFO lines */
};

static void
collect(void *ctx, enum config_diag_level level, const char *file,
        unsigned line, const char *msg)
{
	struct diags *d = ctx;
	struct diag_rec *r;
	const char *slash = strrchr(file, '/');

	if (d->n == PT_NELEM(d->rec) ||
	    (level == CONFIG_DIAG_INFO && !d->with_info))
		return;
	r = &d->rec[d->n++];
	r->level = level;
	r->line = line;
	assert_true(
	        pt_strlcpy(r->file, slash ? slash + 1 : file, sizeof(r->file)));
	assert_true(pt_strlcpy(r->msg, msg, sizeof(r->msg)));
}

/* Index of the diagnostic for file:line containing text, or -1. */
static int
find_diag(const struct diags *d, const char *file, unsigned line,
          const char *text)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (strcmp(d->rec[i].file, file) == 0 &&
		    d->rec[i].line == line &&
		    strstr(d->rec[i].msg, text) != NULL)
			return (int)i;
	}
	return -1;
}

static char *
make_tmpdir(void)
{
	char d[64];

	unit_temp_dir(d, sizeof(d), "petrel-config");
	return pt_xstrdup(d);
}

static void
rm_tree(char *dir)
{
	unit_temp_dir_remove(dir);
	free(dir);
}

static void
write_file(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	FILE *f;

	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/%s", dir, rel));
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = pt_xmalloc(65536);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A data dir with the layout and the given application/default ini. */
static char *
make_data(const char *app_ini, const char *default_ini)
{
	char *dir = make_tmpdir();
	struct perr err;

	assert_int_equal(config_layout_create(dir, NULL, &err), 0);
	if (app_ini != NULL)
		write_file(dir, "_data_/_default_/configs/application.ini",
		           app_ini);
	if (default_ini != NULL)
		write_file(dir, "_data_/_default_/domains/default.ini",
		           default_ini);
	return dir;
}

static struct ini_doc *
parse_ok(const char *text)
{
	struct ini_doc *doc;
	struct perr err;

	assert_int_equal(ini_parse("t.ini", strv_from_cstr(text), NULL, NULL,
	                           &doc, NULL, &err),
	                 0);
	return doc;
}

static void
assert_value(const struct ini_doc *doc, const char *section, const char *key,
             const char *want)
{
	struct ini_entry e;

	assert_true(ini_get(doc, section, key, &e));
	assert_int_equal(e.value.len, strlen(want));
	assert_memory_equal(e.value.p, want, e.value.len);
}

/* ---- ini reader ------------------------------------------------------ */

static void
test_ini_quoting_rules_follow_php(void **state)
{
	struct ini_doc *doc;
	struct ini_entry e;

	(void)state;
	doc = parse_ok("[s]\n"
	               "a = plain value   ; comment\n"
	               "b = \"quoted ; not a comment\" ; comment\n"
	               "c = 'single \\n raw \"'\n"
	               "d = \"esc \\\" \\\\ \\$ \\n\"\n"
	               "e =\n"
	               "f = \"\"\n"
	               "g=x=y\n"
	               "  h  =  spaced  \n");
	assert_value(doc, "s", "a", "plain value");
	assert_value(doc, "s", "b", "quoted ; not a comment");
	assert_value(doc, "s", "c", "single \\n raw \"");
	assert_value(doc, "s", "d", "esc \" \\ $ \\n");
	assert_value(doc, "s", "e", "");
	assert_value(doc, "s", "f", "");
	assert_value(doc, "s", "g", "x=y");
	assert_value(doc, "s", "h", "spaced");
	assert_true(ini_get(doc, "s", "b", &e));
	assert_true(e.quoted);
	assert_int_equal(e.line, 3);
	assert_true(ini_get(doc, "s", "a", &e));
	assert_false(e.quoted);
	assert_false(ini_get(doc, "s", "zz", &e));
	assert_false(ini_get(doc, "", "a", &e));
	ini_destroy(&doc);
	assert_null(doc);
}

static void
test_ini_booleans(void **state)
{
	static const struct {
		const char *in;
		bool ok, val;
	} cases[] = {
	        {"On", true, true},      {"on", true, true},
	        {"TRUE", true, true},    {"yes", true, true},
	        {"1", true, true},       {"Off", true, false},
	        {"false", true, false},  {"No", true, false},
	        {"0", true, false},      {"none", true, false},
	        {"", true, false},       {"null", true, false},
	        {"maybe", false, false}, {"2", false, false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		bool v = !cases[i].val;
		bool ok = ini_parse_bool(strv_from_cstr(cases[i].in), &v);

		assert_int_equal(ok, cases[i].ok);
		if (ok)
			assert_int_equal(v, cases[i].val);
	}
}

static void
test_ini_comments_blank_lines_crlf_and_bom(void **state)
{
	const char *text = "\xef\xbb\xbf; top comment\r\n"
	                   "# hash comment\r\n"
	                   "\r\n"
	                   "[a]\r\n"
	                   "k = v\r\n"
	                   "   ; indented comment\r\n"
	                   "[b] ; section comment\r\n"
	                   "k = \"w\"\r\n"
	                   "k2 = last"; /* no final newline */
	struct ini_doc *doc = parse_ok(text);
	struct sbuf out;

	(void)state;
	assert_value(doc, "a", "k", "v");
	assert_value(doc, "b", "k", "w");
	assert_value(doc, "b", "k2", "last");
	assert_int_equal(ini_entry_count(doc), 3);
	/* Untouched documents serialise byte for byte. */
	sbuf_init(&out, NULL, 64, 65536);
	ini_serialize(doc, &out);
	assert_true(sbuf_ok(&out));
	assert_string_equal(sbuf_cstr(&out), text);
	/* New lines use the file's CRLF style. */
	assert_int_equal(ini_set(doc, "c", "new", STRV_LIT("n"), NULL), 0);
	sbuf_reset(&out);
	ini_serialize(doc, &out);
	assert_non_null(strstr(sbuf_cstr(&out),
	                       "k2 = last\r\n\r\n[c]\r\nnew = \"n\"\r\n"));
	sbuf_free(&out);
	ini_destroy(&doc);
}

static void
test_ini_broken_lines_report_line_numbers(void **state)
{
	struct diags d = {0};
	struct ini_doc *doc;
	struct perr err;
	struct arena *a = arena_create("t", 1024, 0);

	(void)state;
	assert_int_equal(ini_parse("bad.ini",
	                           STRV_LIT("[ok]\n"
	                                    "good = 1\n"
	                                    "no equals sign here\n"
	                                    "[unterminated\n"
	                                    "q = \"open\n"
	                                    "r = \"x\" trailing\n"
	                                    "arr[] = 1\n"
	                                    "= novalue\n"
	                                    "ctl = a\001b\n"),
	                           collect, &d, &doc, a, &err),
	                 -1);
	assert_null(doc);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_string_equal(err.msg, "bad.ini:3: expected 'key = value'");
	assert_int_equal(d.n, 7);
	assert_true(find_diag(&d, "bad.ini", 3, "key = value") >= 0);
	assert_true(find_diag(&d, "bad.ini", 4, "']'") >= 0);
	assert_true(find_diag(&d, "bad.ini", 5, "unterminated") >= 0);
	assert_true(find_diag(&d, "bad.ini", 6, "after quoted") >= 0);
	assert_true(find_diag(&d, "bad.ini", 7, "array") >= 0);
	assert_true(find_diag(&d, "bad.ini", 8, "missing key") >= 0);
	assert_true(find_diag(&d, "bad.ini", 9, "control") >= 0);
	arena_destroy(&a);
}

static void
test_ini_last_duplicate_wins(void **state)
{
	struct ini_doc *doc = parse_ok("[s]\nk = 1\n[t]\nk = 9\n[s]\nk = 2\n");

	(void)state;
	assert_value(doc, "s", "k", "2");
	assert_value(doc, "t", "k", "9");
	ini_destroy(&doc);
}

/* ---- ini writer ------------------------------------------------------ */

static void
test_ini_writer_keeps_comments_order_and_unknown_keys(void **state)
{
	const char *text = "; header comment\n"
	                   "[webmail]\n"
	                   "title   =   \"Old\"   ; keep me\n"
	                   "unknown_key = something\n"
	                   "\n"
	                   "[login]\n"
	                   "default_domain = \"\"\n"
	                   "remove_me = 1\n"
	                   "; trailing comment\n";
	struct ini_doc *doc = parse_ok(text);
	struct sbuf out;

	(void)state;
	assert_int_equal(ini_set(doc, "webmail", "title",
	                         STRV_LIT("New \"quoted\" $x \\ ok"), NULL),
	                 0);
	assert_int_equal(
	        ini_set(doc, "webmail", "language", STRV_LIT("de"), NULL), 0);
	assert_int_equal(
	        ini_set_bool(doc, "security", "force_https", true, NULL), 0);
	assert_int_equal(ini_set_uint(doc, "login", "n", 42, NULL), 0);
	assert_int_equal(ini_remove(doc, "login", "remove_me"), 1);
	assert_int_equal(ini_remove(doc, "login", "remove_me"), 0);
	sbuf_init(&out, NULL, 64, 65536);
	ini_serialize(doc, &out);
	assert_true(sbuf_ok(&out));
	assert_string_equal(
	        sbuf_cstr(&out),
	        "; header comment\n"
	        "[webmail]\n"
	        "title   =   \"New \\\"quoted\\\" \\$x \\\\ ok\"   ; keep me\n"
	        "unknown_key = something\n"
	        "language = \"de\"\n"
	        "\n"
	        "[login]\n"
	        "default_domain = \"\"\n"
	        "n = 42\n"
	        "; trailing comment\n"
	        "\n"
	        "[security]\n"
	        "force_https = On\n");
	ini_destroy(&doc);
	/* And it reads back to the values that were set. */
	doc = parse_ok(sbuf_cstr(&out));
	assert_value(doc, "webmail", "title", "New \"quoted\" $x \\ ok");
	assert_value(doc, "webmail", "unknown_key", "something");
	assert_value(doc, "security", "force_https", "On");
	ini_destroy(&doc);
	sbuf_free(&out);
}

static void
test_ini_writer_rejects_what_cannot_be_read_back(void **state)
{
	struct ini_doc *doc = ini_create("x.ini");
	struct perr err;

	(void)state;
	assert_int_equal(ini_set(doc, "s", "k", STRV_LIT("a\nb"), &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(ini_set(doc, "s", "k=x", STRV_LIT("v"), &err), -1);
	assert_int_equal(ini_set(doc, "s", "k[]", STRV_LIT("v"), &err), -1);
	assert_int_equal(ini_set(doc, "s]", "k", STRV_LIT("v"), &err), -1);
	assert_int_equal(ini_set(doc, "s", "k", STRV_LIT("tab\tok"), &err), 0);
	assert_int_equal(ini_set(doc, "", "global", STRV_LIT("g"), &err), 0);
	assert_value(doc, "", "global", "g");
	ini_destroy(&doc);
}

static void
test_ini_save_is_atomic_and_keeps_mode(void **state)
{
	char *dir = make_tmpdir();
	char path[512];
	struct ini_doc *doc;
	struct stat st;
	struct perr err;
	char *text;
	DIR *dp;
	struct dirent *de;
	int files = 0;

	(void)state;
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/app.ini", dir));
	write_file(dir, "app.ini", "; c\n[s]\nk = 1\n");
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(ini_load(path, NULL, NULL, &doc, NULL, &err), 0);
	assert_int_equal(ini_set(doc, "s", "k", STRV_LIT("2"), &err), 0);
	assert_int_equal(ini_save(doc, path, 0600, &err), 0);
	ini_destroy(&doc);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	text = read_all(path);
	assert_string_equal(text, "; c\n[s]\nk = \"2\"\n");
	free(text);
	/* No temp file left behind. */
	dp = opendir(dir);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL)
		files += de->d_name[0] != '.';
	closedir(dp);
	assert_int_equal(files, 1);
	/* A failed save leaves the old file untouched. */
	doc = ini_create("x");
	assert_int_equal(ini_set(doc, "s", "k", STRV_LIT("3"), &err), 0);
	assert_int_equal(ini_save(doc, "/nonexistent-dir/x.ini", 0600, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INTERNAL);
	/* A new file gets the given mode. */
	assert_true(pt_snprintf_ok(path, sizeof(path), "%s/new.ini", dir));
	assert_int_equal(ini_save(doc, path, 0640, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	ini_destroy(&doc);
	rm_tree(dir);
}

static void
test_ini_load_missing_file_is_notfound(void **state)
{
	struct ini_doc *doc;
	struct perr err;

	(void)state;
	assert_int_equal(
	        ini_load("/nonexistent/x.ini", NULL, NULL, &doc, NULL, &err),
	        -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
}

/* ---- layout and typed settings --------------------------------------- */

static void
test_layout_created_with_modes_and_templates(void **state)
{
	char *dir = make_tmpdir();
	char path[512];
	struct stat st;
	struct perr err;
	char *text;

	(void)state;
	assert_int_equal(config_layout_create(dir, NULL, &err), 0);
	assert_true(pt_snprintf_ok(path, sizeof(path),
	                           "%s/_data_/_default_/configs", dir));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_true(pt_snprintf_ok(path, sizeof(path),
	                           "%s/_data_/_default_/storage", dir));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_true(pt_snprintf_ok(path, sizeof(path),
	                           "%s/_data_/_default_/logs", dir));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_true(pt_snprintf_ok(path, sizeof(path),
	                           "%s/_data_/_default_/domains/default.ini",
	                           dir));
	text = read_all(path);
	assert_non_null(strstr(text, "\nsieve_use = Off\n"));
	assert_non_null(strstr(text, "\nsieve_allow_raw = Off\n"));
	assert_non_null(strstr(text, "\nsieve_host = \"localhost\"\n"));
	assert_non_null(strstr(text, "\nsieve_port = 4190\n"));
	assert_non_null(strstr(text, "\nsieve_secure = \"None\"\n"));
	free(text);
	/* Idempotent, and keeps edited files. */
	write_file(dir, "_data_/_default_/domains/default.ini", "x = 1\n");
	assert_int_equal(config_layout_create(dir, NULL, &err), 0);
	text = read_all(path);
	assert_string_equal(text, "x = 1\n");
	free(text);
	rm_tree(dir);
}

static void
test_defaults_without_files_match_templates(void **state)
{
	char *empty = make_tmpdir();
	char *tmpl = make_data(NULL, NULL);
	struct config *a, *b;
	struct diags d = {0};
	struct perr err;

	(void)state;
	assert_int_equal(config_load(empty, NULL, NULL, &a, NULL, &err), 0);
	assert_int_equal(config_load(tmpl, collect, &d, &b, NULL, &err), 0);
	assert_int_equal(d.n, 0); /* the templates hold only known keys */
	assert_string_equal(a->webmail.language, "en");
	assert_int_equal(a->webmail.messages_per_page, 25);
	assert_int_equal(a->webmail.attachment_size_limit, 25);
	assert_false(a->security.force_https);
	assert_true(a->admin_panel.allow);
	assert_int_equal(a->logs.level, LOG_LVL_INFO);
	assert_int_equal(a->ratelimit.login_max_failures, 5);
	assert_int_equal(a->ratelimit.login_window_seconds, 900);
	assert_int_equal(a->security.session_idle_minutes, 30);
	assert_string_equal(a->default_domain->imap_host, "127.0.0.1");
	assert_int_equal(a->default_domain->imap_port, 143);
	assert_int_equal(a->default_domain->smtp_port, 587);
	assert_int_equal(a->default_domain->smtp_secure, CONFIG_SECURE_TLS);
	assert_false(a->default_domain->sieve_use);
	assert_true(a->default_domain->verify_certificate);
	/* Every field equal between built-in defaults and the templates. */
	assert_string_equal(a->webmail.title, b->webmail.title);
	assert_string_equal(a->webmail.theme, b->webmail.theme);
	assert_int_equal(a->webmail.messages_per_page,
	                 b->webmail.messages_per_page);
	assert_int_equal(a->limits.max_request_body,
	                 b->limits.max_request_body);
	assert_int_equal(a->limits.max_upload_total,
	                 b->limits.max_upload_total);
	assert_int_equal(a->labs.imap_read_timeout, b->labs.imap_read_timeout);
	assert_int_equal(a->security.session_absolute_hours,
	                 b->security.session_absolute_hours);
	assert_int_equal(a->plugins.enable, b->plugins.enable);
	assert_int_equal(a->logs.enable, b->logs.enable);
	assert_int_equal(a->logs.syslog, b->logs.syslog);
	assert_memory_equal(&a->default_domain->imap_port,
	                    &b->default_domain->imap_port, sizeof(unsigned));
	assert_int_equal(a->default_domain->sieve_port,
	                 b->default_domain->sieve_port);
	assert_int_equal(a->default_domain->sieve_secure,
	                 b->default_domain->sieve_secure);
	assert_int_equal(a->default_domain->read_timeout,
	                 b->default_domain->read_timeout);
	assert_string_equal(a->default_domain->sieve_host,
	                    b->default_domain->sieve_host);
	assert_string_equal(b->default_domain->file + strlen(tmpl),
	                    "/_data_/_default_/domains/default.ini");
	config_unref(&a);
	config_unref(&b);
	assert_null(a);
	rm_tree(empty);
	rm_tree(tmpl);
}

static void
test_typed_values_and_php_words(void **state)
{
	char *dir = make_data("[webmail]\n"
	                      "title = 'My Mail'\n"
	                      "messages_per_page = 50\n"
	                      "theme = none\n"
	                      "[security]\n"
	                      "force_https = yes\n"
	                      "[login]\n"
	                      "default_domain = example.com\n"
	                      "[logs]\n"
	                      "level = debug\n",
	                      "imap_host = mail.example.com\n"
	                      "imap_port = 993\n"
	                      "imap_secure = SSL\n"
	                      "sieve_secure = None\n"
	                      "sieve_use = true\n");
	struct config *cfg;
	struct perr err;

	(void)state;
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	assert_string_equal(cfg->webmail.title, "My Mail");
	assert_int_equal(cfg->webmail.messages_per_page, 50);
	assert_string_equal(cfg->webmail.theme, ""); /* PHP: none -> "" */
	assert_true(cfg->security.force_https);
	assert_string_equal(cfg->login.default_domain, "example.com");
	assert_int_equal(cfg->logs.level, LOG_LVL_DEBUG);
	assert_string_equal(cfg->default_domain->imap_host, "mail.example.com");
	assert_int_equal(cfg->default_domain->imap_port, 993);
	assert_int_equal(cfg->default_domain->imap_secure, CONFIG_SECURE_SSL);
	assert_int_equal(cfg->default_domain->sieve_secure, CONFIG_SECURE_NONE);
	assert_true(cfg->default_domain->sieve_use);
	config_unref(&cfg);
	rm_tree(dir);
}

/*
 * [security] csrf_protection = Off used to switch CSRF checks off. The
 * switch is gone; a file that still sets it gets a warning that says so
 * (and the checks stay on, since nothing reads the key any more).
 */
static void
test_csrf_protection_switch_is_gone(void **state)
{
	char *dir = make_data("[security]\n"
	                      "csrf_protection = Off\n",
	                      "imap_port = 143\n");
	struct diags d = {0};
	int i;

	(void)state;
	assert_int_equal(config_check(dir, 0, collect, &d), 0);
	i = find_diag(&d, "application.ini", 2, "csrf_protection");
	assert_true(i >= 0);
	assert_int_equal(d.rec[i].level, CONFIG_DIAG_WARN);
	assert_non_null(strstr(d.rec[i].msg, "removed"));
	rm_tree(dir);
}

static void
test_check_reports_every_problem_with_file_and_line(void **state)
{
	char *dir = make_data("[webmail]\n"
	                      "messages_per_page = lots\n"
	                      "titel = \"typo\"\n"
	                      "[security]\n"
	                      "force_https = Maybe\n",
	                      "imap_port = abc\n"
	                      "imap_secure = Maybe\n"
	                      "smtp_port = 70000\n"
	                      "this line is broken\n"
	                      "imap_hots = x\n");
	struct diags d = {0};
	struct config *cfg;
	struct perr err;
	struct arena *a = arena_create("t", 1024, 0);

	(void)state;
	write_file(dir, "_data_/_default_/domains/example.org.ini",
	           "imap_port = 0\n");
	assert_int_equal(config_check(dir, 0, collect, &d), 7);
	assert_true(find_diag(&d, "application.ini", 2, "messages_per_page") >=
	            0);
	assert_true(find_diag(&d, "application.ini", 3, "unknown key") >= 0);
	assert_int_equal(
	        d.rec[find_diag(&d, "application.ini", 3, "titel")].level,
	        CONFIG_DIAG_WARN);
	assert_true(find_diag(&d, "application.ini", 5, "On or Off") >= 0);
	assert_true(find_diag(&d, "default.ini", 4, "key = value") >= 0);
	/* A broken line does not hide the values of the good lines. */
	assert_true(find_diag(&d, "default.ini", 1, "imap_port") >= 0);
	assert_true(find_diag(&d, "default.ini", 5, "unknown key imap_hots") >=
	            0);
	assert_true(find_diag(&d, "example.org.ini", 1, "1 to 65535") >= 0);
	assert_int_equal(d.n, 9);
	(void)cfg;
	/* With the broken line fixed, value errors are all listed. */
	write_file(dir, "_data_/_default_/domains/default.ini",
	           "imap_port = abc\n"
	           "imap_secure = Maybe\n"
	           "smtp_port = 70000\n"
	           "imap_hots = x\n");
	memset(&d, 0, sizeof(d));
	assert_int_equal(config_check(dir, 0, collect, &d), 6);
	assert_true(find_diag(&d, "default.ini", 1, "imap_port") >= 0);
	assert_true(find_diag(&d, "default.ini", 2, "None, SSL or TLS") >= 0);
	assert_true(find_diag(&d, "default.ini", 3, "1 to 65535") >= 0);
	assert_true(find_diag(&d, "default.ini", 4, "unknown key imap_hots") >=
	            0);
	assert_true(find_diag(&d, "example.org.ini", 1, "imap_port") >= 0);
	/* Strict mode counts the unknown keys too. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(config_check(dir, CONFIG_CHECK_STRICT, collect, &d),
	                 8);
	/* And config_load refuses, naming the first error. */
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, a, &err), -1);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, "application.ini:2: "));
	arena_destroy(&a);
	rm_tree(dir);
}

static void
test_broken_application_ini_lists_every_bad_line(void **state)
{
	char *dir = make_data("[webmail]\n"
	                      "title = \"ok\"\n"
	                      "oops\n"
	                      "[security\n"
	                      "messages_per_page = 1\n",
	                      NULL);
	struct diags d = {0};
	struct config *cfg;
	struct perr err;
	struct arena *a = arena_create("t", 1024, 0);

	(void)state;
	assert_int_equal(config_check(dir, 0, collect, &d), 2);
	assert_int_equal(d.n, 2);
	assert_true(find_diag(&d, "application.ini", 3, "key = value") >= 0);
	assert_true(find_diag(&d, "application.ini", 4, "']'") >= 0);
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, a, &err), -1);
	assert_non_null(strstr(err.msg, "application.ini:3: expected"));
	assert_non_null(strstr(err.msg, "(and more errors)"));
	arena_destroy(&a);
	rm_tree(dir);
}

static void
test_domain_lookup_order(void **state)
{
	char *dir = make_data("[login]\ndefault_domain = \"Example.COM\"\n",
	                      "imap_host = default.host\n");
	const struct config_domain *d;
	struct config *cfg;
	struct perr err;

	(void)state;
	write_file(dir, "_data_/_default_/domains/example.com.ini",
	           "imap_host = exact.host\n");
	write_file(dir, "_data_/_default_/domains/*.example.com.ini",
	           "imap_host = wild.host\n");
	write_file(dir, "_data_/_default_/domains/*.eu.example.com.ini",
	           "imap_host = eu.host\n");
	write_file(dir, "_data_/_default_/domains/off.org.ini",
	           "disabled = On\n");
	write_file(dir, "_data_/_default_/domains/legacy.net.ini", "");
	write_file(dir, "_data_/_default_/domains/disabled", "legacy.net, x");
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	assert_int_equal(cfg->domain_count, 5);
	d = config_domain_for(cfg, STRV_LIT("EXAMPLE.com"));
	assert_string_equal(d->imap_host, "exact.host");
	d = config_domain_for(cfg, STRV_LIT("a.example.com"));
	assert_string_equal(d->imap_host, "wild.host");
	assert_string_equal(d->name, "*.example.com");
	d = config_domain_for(cfg, STRV_LIT("x.eu.example.com"));
	assert_string_equal(d->imap_host, "eu.host");
	d = config_domain_for(cfg, STRV_LIT("badexample.com"));
	assert_string_equal(d->imap_host, "default.host");
	assert_string_equal(d->name, "default");
	d = config_domain_for(cfg, STRV_LIT("other.net"));
	assert_ptr_equal(d, cfg->default_domain);
	d = config_domain_for(cfg, STRV_LIT("off.org"));
	assert_true(d->disabled);
	d = config_domain_for(cfg, STRV_LIT("legacy.net"));
	assert_true(d->disabled);
	assert_false(
	        config_domain_for(cfg, STRV_LIT("a.example.com"))->disabled);
	config_unref(&cfg);
	rm_tree(dir);
}

static void
test_login_split_and_white_list(void **state)
{
	char *dir =
	        make_data("[login]\ndefault_domain = \"Example.COM\"\n",
	                  "white_list = \"alice@example.com *@trusted.org\"\n"
	                  "identity_allow = \"*@Example.com, sales@x.org\"\n");
	struct arena *a = arena_create("t", 1024, 0);
	struct strv user, domain, email;
	struct config *cfg;
	struct perr err;

	(void)state;
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	assert_int_equal(config_login_split(cfg, STRV_LIT(" bob "), a, &user,
	                                    &domain, &email, &err),
	                 0);
	assert_true(strv_eq_cstr(user, "bob"));
	assert_true(strv_eq_cstr(domain, "example.com"));
	assert_true(strv_eq_cstr(email, "bob@example.com"));
	assert_int_equal(config_login_split(cfg, STRV_LIT("we@ird@Mail.ORG"), a,
	                                    &user, &domain, NULL, &err),
	                 0);
	assert_true(strv_eq_cstr(user, "we@ird"));
	assert_true(strv_eq_cstr(domain, "mail.org"));
	assert_int_equal(config_login_split(cfg, STRV_LIT("bob@"), a, &user,
	                                    &domain, NULL, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_int_equal(config_login_split(cfg, STRV_LIT("@x.org"), a, &user,
	                                    &domain, NULL, &err),
	                 -1);
	assert_int_equal(config_login_split(cfg, STRV_LIT("a\nb@x.org"), a,
	                                    &user, &domain, NULL, &err),
	                 -1);
	assert_true(config_domain_allows(cfg->default_domain,
	                                 STRV_LIT("ALICE@example.com")));
	assert_true(config_domain_allows(cfg->default_domain,
	                                 STRV_LIT("x@trusted.org")));
	assert_false(config_domain_allows(cfg->default_domain,
	                                  STRV_LIT("bob@example.com")));
	/* identity_allow (#14 finding 2): patterns, case-blind. */
	assert_true(config_domain_identity_allowed(
	        cfg->default_domain, STRV_LIT("anyone@EXAMPLE.com")));
	assert_true(config_domain_identity_allowed(cfg->default_domain,
	                                           STRV_LIT("sales@x.org")));
	assert_false(config_domain_identity_allowed(cfg->default_domain,
	                                            STRV_LIT("boss@x.org")));
	assert_false(config_domain_identity_allowed(
	        cfg->default_domain, STRV_LIT("a@example.com.evil")));
	config_unref(&cfg);
	/* No default domain: a bare login is refused. */
	write_file(dir, "_data_/_default_/configs/application.ini", "");
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	assert_int_equal(config_login_split(cfg, STRV_LIT("bob"), a, &user,
	                                    &domain, NULL, &err),
	                 -1);
	assert_true(config_domain_allows(cfg->default_domain,
	                                 STRV_LIT("anyone@x")) == false);
	config_unref(&cfg);
	arena_destroy(&a);
	rm_tree(dir);
}

/* ---- snapshots ------------------------------------------------------- */

/* cmocka's asserts are not for other threads: count failures instead. */
static void *
reader_thread(void *arg)
{
	int *failures = arg;
	int i;

	for (i = 0; i < 20000; i++) {
		struct config *c = config_current();

		if (c == NULL || c->webmail.messages_per_page != 25 ||
		    strcmp(c->default_domain->imap_host, "127.0.0.1") != 0)
			(*failures)++;
		config_unref(&c);
	}
	return NULL;
}

static void
test_swap_while_readers_hold_references(void **state)
{
	char *dir = make_tmpdir();
	struct config *cfg, *held;
	struct perr err;
	pthread_t t[3];
	int failures[3] = {0, 0, 0};
	int i;

	(void)state;
	assert_null(config_current());
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	config_swap(cfg);
	held = config_current();
	assert_ptr_equal(held, cfg);
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader_thread,
		                                &failures[i]),
		                 0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err),
		                 0);
		config_swap(cfg);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(failures[i], 0);
	}
	/* The old snapshot is still intact for its holder. */
	assert_int_equal(held->webmail.messages_per_page, 25);
	assert_string_equal(held->default_domain->imap_host, "127.0.0.1");
	config_unref(&held);
	config_swap(NULL);
	assert_null(config_current());
	rm_tree(dir);
}

#define DOMS "_data_/_default_/domains/"

/* SnappyMail's default.json shape, with every key it writes. */
static const char json_full[] =
        "{\n"
        "    \"name\": \"example.com\",\n"
        "    \"IMAP\": {\n"
        "        \"host\": \" imap.example.com \",\n"
        "        \"port\": 993,\n"
        "        \"type\": 1,\n"
        "        \"timeout\": 300,\n"
        "        \"shortLogin\": true,\n"
        "        \"lowerLogin\": true,\n"
        "        \"sasl\": [\"SCRAM-SHA-256\", \"PLAIN\", \"LOGIN\"],\n"
        "        \"ssl\": {\"verify_peer\": false, \"verify_peer_name\": "
        "false, \"allow_self_signed\": true, \"SNI_enabled\": true},\n"
        "        \"disabled_capabilities\": [\"METADATA\"],\n"
        "        \"use_expunge_all_on_delete\": false\n"
        "    },\n"
        "    \"SMTP\": {\n"
        "        \"host\": \"smtp.example.com\",\n"
        "        \"port\": \"465\",\n"
        "        \"type\": 9,\n"
        "        \"timeout\": 60,\n"
        "        \"shortLogin\": false,\n"
        "        \"useAuth\": false,\n"
        "        \"setSender\": true,\n"
        "        \"usePhpMail\": false\n"
        "    },\n"
        "    \"Sieve\": {\n"
        "        \"host\": \"sieve.example.com\",\n"
        "        \"port\": 4190,\n"
        "        \"type\": 9,\n"
        "        \"enabled\": true\n"
        "    },\n"
        "    \"whiteList\": \"a@example.com b@example.com\",\n"
        "    \"petrel\": {\"sieve_allow_raw\": true, \"relay_user\": \"r\",\n"
        "               \"identity_allow\": \"*@example.com\"}\n"
        "}\n";

static void
test_json_domain_maps_onto_the_typed_settings(void **state)
{
	char *dir = make_data(NULL, NULL);
	const struct config_domain *d;
	struct config *cfg;
	struct perr err;

	(void)state;
	write_file(dir, DOMS "example.com.json", json_full);
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	d = config_domain_for(cfg, STRV_LIT("example.com"));
	assert_string_equal(d->name, "example.com");
	assert_int_equal(d->format, CONFIG_DOMAIN_JSON);
	assert_string_equal(d->imap_host, "imap.example.com");
	assert_int_equal(d->imap_port, 993);
	assert_int_equal(d->imap_secure, CONFIG_SECURE_SSL);
	assert_true(d->imap_short_login);
	assert_int_equal(d->read_timeout, 300);
	assert_string_equal(d->smtp_host, "smtp.example.com");
	assert_int_equal(d->smtp_port, 465);
	/* 9 (auto-detect) on 465 is implicit TLS, elsewhere STARTTLS. */
	assert_int_equal(d->smtp_secure, CONFIG_SECURE_SSL);
	assert_false(d->smtp_short_login);
	assert_false(d->smtp_auth);
	assert_true(d->smtp_set_sender);
	assert_true(d->sieve_use);
	assert_string_equal(d->sieve_host, "sieve.example.com");
	assert_int_equal(d->sieve_port, 4190);
	assert_int_equal(d->sieve_secure, CONFIG_SECURE_TLS);
	assert_true(d->sieve_allow_raw);
	assert_string_equal(d->relay_user, "r");
	assert_string_equal(d->identity_allow, "*@example.com");
	assert_true(
	        config_domain_identity_allowed(d, STRV_LIT("x@example.com")));
	assert_false(config_domain_identity_allowed(
	        config_domain_for(cfg, STRV_LIT("other.org")),
	        STRV_LIT("x@example.com")));
	assert_string_equal(d->white_list, "a@example.com b@example.com");
	assert_false(d->verify_certificate);
	/* lowerLogin true in IMAP, absent in SMTP: SnappyMail's default. */
	assert_true(d->imap_lower_login && d->smtp_lower_login);
	{
		struct arena *a = arena_create("t", 1024, 0);

		assert_string_equal(
		        config_domain_login(d, false,
		                            STRV_LIT("Carol.X@Example.com"), a),
		        "carol.x");
		assert_string_equal(
		        config_domain_login(d, true,
		                            STRV_LIT("Carol.X@Example.com"), a),
		        "carol.x@example.com");
		assert_false(cfg->default_domain->imap_lower_login);
		assert_string_equal(
		        config_domain_login(cfg->default_domain, false,
		                            STRV_LIT("Carol@example.com"), a),
		        "Carol@example.com");
		arena_destroy(&a);
	}
	assert_true(config_domain_allows(d, STRV_LIT("b@example.com")));
	assert_false(config_domain_allows(d, STRV_LIT("c@example.com")));
	config_unref(&cfg);
	rm_tree(dir);
}

static void
test_json_wins_over_ini_and_names_decode(void **state)
{
	char *dir = make_data(NULL, "imap_host = default-ini.host\n");
	struct diags dg = {0};
	const struct config_domain *d;
	struct config *cfg;
	struct perr err;

	(void)state;
	write_file(dir, DOMS "example.com.ini", "imap_host = ini.host\n");
	write_file(dir, DOMS "example.com.json",
	           "{\"IMAP\": {\"host\": \"json.host\", \"port\": 143, "
	           "\"type\": 0}}");
	write_file(dir, DOMS "default.json",
	           "{\"IMAP\": {\"host\": \"default-json.host\"}}");
	write_file(dir, DOMS "_wildcard_.example.org.json",
	           "{\"IMAP\": {\"host\": \"wild.host\"}}");
	write_file(dir, DOMS "other.net.ini", "imap_host = other.host\n");
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	assert_int_equal(cfg->domain_count, 3);
	d = config_domain_for(cfg, STRV_LIT("example.com"));
	assert_string_equal(d->imap_host, "json.host");
	assert_non_null(strstr(d->file, "example.com.json"));
	d = config_domain_for(cfg, STRV_LIT("x.example.org"));
	assert_string_equal(d->name, "*.example.org");
	assert_string_equal(d->imap_host, "wild.host");
	d = config_domain_for(cfg, STRV_LIT("other.net"));
	assert_int_equal(d->format, CONFIG_DOMAIN_INI);
	d = config_domain_for(cfg, STRV_LIT("nowhere.org"));
	assert_ptr_equal(d, cfg->default_domain);
	assert_string_equal(d->imap_host, "default-json.host");
	assert_int_equal(d->format, CONFIG_DOMAIN_JSON);
	config_unref(&cfg);
	/* check-config names the shadowed files and says who defines what. */
	dg.with_info = true;
	assert_int_equal(config_check(dir, 0, collect, &dg), 0);
	assert_true(find_diag(&dg, "example.com.ini", 0,
	                      "example.com.json defines domain example.com "
	                      "(JSON wins over ini)") >= 0);
	assert_true(find_diag(&dg, "default.ini", 0, "JSON wins over ini") >=
	            0);
	assert_int_equal(
	        dg.rec[find_diag(&dg, "example.com.ini", 0, "wins")].level,
	        CONFIG_DIAG_WARN);
	assert_true(find_diag(&dg, "example.com.json", 0,
	                      "domain example.com: JSON") >= 0);
	assert_true(find_diag(&dg, "_wildcard_.example.org.json", 0,
	                      "domain *.example.org: JSON") >= 0);
	assert_true(find_diag(&dg, "other.net.ini", 0,
	                      "domain other.net: ini") >= 0);
	rm_tree(dir);
}

static void
test_alias_and_disabled_list(void **state)
{
	char *dir = make_data(NULL, NULL);
	struct diags dg = {0};
	const struct config_domain *d;
	struct config *cfg;
	struct perr err;

	(void)state;
	write_file(dir, DOMS "example.com.json",
	           "{\"IMAP\": {\"host\": \"main.host\"}}");
	write_file(dir, DOMS "alias.org.alias", " Example.COM\n");
	write_file(dir, DOMS "lost.org.alias", "gone.example\n");
	write_file(dir, DOMS "off.net.ini", "imap_host = off.host\n");
	write_file(dir, DOMS "hidden.net.json",
	           "{\"IMAP\": {\"host\": \"h.host\"}}");
	/* SnappyMail writes one name a line, RainLoop commas: both. */
	write_file(dir, DOMS "disabled", "off.net\nexample.com, hidden.net\n");
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	d = config_domain_for(cfg, STRV_LIT("alias.org"));
	assert_string_equal(d->name, "alias.org");
	assert_int_equal(d->format, CONFIG_DOMAIN_ALIAS);
	assert_string_equal(d->alias_of, "example.com");
	assert_string_equal(d->imap_host, "main.host");
	/* Only the alias's own name counts for `disabled` (SnappyMail). */
	assert_false(d->disabled);
	assert_true(config_domain_for(cfg, STRV_LIT("example.com"))->disabled);
	assert_true(config_domain_for(cfg, STRV_LIT("off.net"))->disabled);
	assert_true(config_domain_for(cfg, STRV_LIT("hidden.net"))->disabled);
	/* Many aliases: each finds its target among the real files. */
	{
		struct config *c2;
		char name[64];
		int k;

		for (k = 1; k <= 5; k++) {
			assert_true(pt_snprintf_ok(name, sizeof(name),
			                           DOMS "a%d.net.alias", k));
			write_file(dir, name, "off.net");
		}
		write_file(dir, DOMS "b.com.ini", "");
		write_file(dir, DOMS "c.com.ini", "");
		assert_int_equal(config_load(dir, NULL, NULL, &c2, NULL, &err),
		                 0);
		for (k = 1; k <= 5; k++) {
			assert_true(pt_snprintf_ok(name, sizeof(name),
			                           "a%d.net", k));
			d = config_domain_for(c2, strv_from_cstr(name));
			assert_string_equal(d->name, name);
			assert_string_equal(d->imap_host, "off.host");
			assert_false(d->disabled);
		}
		config_unref(&c2);
	}
	/* An alias whose target has no file refuses its logins. */
	d = config_domain_for(cfg, STRV_LIT("lost.org"));
	assert_string_equal(d->name, "lost.org");
	assert_true(d->disabled);
	config_unref(&cfg);
	dg.with_info = true;
	assert_int_equal(config_check(dir, 0, collect, &dg), 0);
	assert_true(find_diag(&dg, "lost.org.alias", 0,
	                      "alias target gone.example has no") >= 0);
	assert_true(find_diag(&dg, "alias.org.alias", 0,
	                      "domain alias.org: alias of example.com") >= 0);
	assert_true(find_diag(&dg, "disabled", 0, "off.net is disabled") >= 0);
	rm_tree(dir);
}

static void
test_disabled_list_edits(void **state)
{
	char *dir = make_data(NULL, NULL);
	char path[1024], *text, *doms;
	struct arena *a = arena_create("t", 1024, 0);
	struct perr err = {0};

	(void)state;
	assert_true(
	        pt_snprintf_ok(path, sizeof(path), "%s/" DOMS "disabled", dir));
	doms = arena_printf(a, "%s/" DOMS, dir);
	write_file(dir, DOMS "disabled", "a.com, b.com\n");
	assert_true(config_disabled_listed(doms, "B.com", a));
	assert_false(config_disabled_listed(doms, "c.com", a));
	assert_int_equal(config_disabled_set(doms, "c.com", true, a, &err), 0);
	assert_int_equal(config_disabled_set(doms, "a.com", false, a, &err), 0);
	assert_int_equal(config_disabled_set(doms, "default", true, a, &err),
	                 0);
	text = read_all(path);
	assert_string_equal(text, "b.com\nc.com\n*");
	free(text);
	assert_true(config_disabled_listed(doms, "default", a));
	arena_destroy(&a);
	rm_tree(dir);
}

static void
test_malformed_json_is_an_error_with_file_and_line(void **state)
{
	char *dir = make_data(NULL, NULL);
	struct diags dg = {0};
	struct config *cfg;
	struct perr err;
	struct arena *a = arena_create("t", 1024, 0);

	(void)state;
	write_file(dir, DOMS "broken.com.json",
	           "{\n  \"IMAP\": {\n    \"host\": \"x\",,\n  }\n}\n");
	write_file(dir, DOMS "types.com.json",
	           "{\"IMAP\": {\"host\": 5, \"port\": 70000, \"type\": 3, "
	           "\"shortLogin\": [1]}, \"Sieve\": []}");
	write_file(dir, DOMS "noimap.com.json", "[1, 2]");
	write_file(dir, DOMS "empty.com.json", "");
	/* Keys Petrel does not know are ignored, as SnappyMail does. */
	write_file(dir, DOMS "unknown.com.json",
	           "{\"IMAP\": {\"host\": \"h\", \"future\": {\"a\": 1}}, "
	           "\"extra\": 1}");
	assert_int_equal(config_check(dir, 0, collect, &dg), 8);
	assert_true(find_diag(&dg, "broken.com.json", 3, "malformed JSON") >=
	            0);
	assert_true(find_diag(&dg, "types.com.json", 0,
	                      "IMAP.host: expected a string") >= 0);
	assert_true(find_diag(&dg, "types.com.json", 0,
	                      "IMAP.port: expected a number from 1 to 65535") >=
	            0);
	assert_true(find_diag(&dg, "types.com.json", 0,
	                      "IMAP.type: expected a number from 0 to 9") < 0);
	assert_true(find_diag(&dg, "types.com.json", 0,
	                      "IMAP.type: expected 0 (none)") >= 0);
	assert_true(find_diag(&dg, "types.com.json", 0, "IMAP.shortLogin") >=
	            0);
	assert_true(find_diag(&dg, "types.com.json", 0,
	                      "Sieve: expected an object") >= 0);
	assert_true(find_diag(&dg, "noimap.com.json", 0,
	                      "expected a JSON object") >= 0);
	assert_true(find_diag(&dg, "empty.com.json", 1, "malformed JSON") >=
	                    0 ||
	            find_diag(&dg, "empty.com.json", 0, "malformed JSON") >= 0);
	assert_true(find_diag(&dg, "unknown.com.json", 0, "") < 0);
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, a, &err), -1);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, ".json"));
	arena_destroy(&a);
	rm_tree(dir);
}

static void
test_legacy_flat_json_and_snappymail_ini(void **state)
{
	char *dir = make_data("[logs]\nlevel = 4\n"
	                      "[security]\nallow_admin_panel = Off\n",
	                      NULL);
	const struct config_domain *d;
	struct config *cfg;
	struct perr err;

	(void)state;
	write_file(dir, DOMS "old.com.json",
	           "{\"imapHost\": \"old.host\", \"imapPort\": \"144\", "
	           "\"imapSecure\": 2, \"useSieve\": \"1\", \"sievePort\": "
	           "4191, \"smtpAuth\": 0, \"whiteList\": \"\"}");
	write_file(dir, DOMS "rain.com.ini",
	           "imap_host = \"rain.host\"\nimap_secure = \"SSL\"\n"
	           "sieve_use = On\nwhite_list = \"\"\n");
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, NULL, &err), 0);
	assert_int_equal(cfg->logs.level, LOG_LVL_WARN);
	assert_false(cfg->security.allow_admin_panel);
	d = config_domain_for(cfg, STRV_LIT("old.com"));
	assert_string_equal(d->imap_host, "old.host");
	assert_int_equal(d->imap_port, 144);
	assert_int_equal(d->imap_secure, CONFIG_SECURE_TLS);
	assert_true(d->sieve_use);
	assert_int_equal(d->sieve_port, 4191);
	assert_false(d->smtp_auth);
	d = config_domain_for(cfg, STRV_LIT("rain.com"));
	assert_string_equal(d->imap_host, "rain.host");
	assert_int_equal(d->imap_secure, CONFIG_SECURE_SSL);
	config_unref(&cfg);
	rm_tree(dir);
}

static void
test_domain_file_find_and_json_edit(void **state)
{
	char *dir = make_data(NULL, NULL);
	struct arena *a = arena_create("t", 1024, 0);
	struct config_json_doc *doc;
	struct config_domain d;
	enum config_domain_format f;
	struct perr err = {0};
	char *doms, *path, *text;

	(void)state;
	doms = arena_printf(a, "%s/" DOMS, dir);
	write_file(dir, DOMS "_wildcard_.x.org.json",
	           "{\"IMAP\": {\"host\": \"w\", \"sasl\": [\"PLAIN\"]}, "
	           "\"zzz\": 1}");
	write_file(dir, DOMS "y.org.ini", "imap_host = y\n");
	write_file(dir, DOMS "y.org.json", "{\"IMAP\": {\"host\": \"yj\"}}");
	assert_int_equal(
	        config_domain_file_find(doms, "*.x.org", a, &path, &f, &err),
	        0);
	assert_int_equal(f, CONFIG_DOMAIN_JSON);
	assert_non_null(strstr(path, "_wildcard_.x.org.json"));
	assert_int_equal(
	        config_domain_file_find(doms, "y.org", a, &path, &f, &err), 0);
	assert_int_equal(f, CONFIG_DOMAIN_JSON);
	assert_int_equal(
	        config_domain_file_find(doms, "z.org", a, &path, &f, &err), -1);
	assert_int_equal(err.kind, PERR_NOTFOUND);
	assert_int_equal(
	        config_domain_file_find(doms, "../etc", a, &path, &f, &err),
	        -1);
	/* Edit: the keys it does not know stay, in their order. */
	assert_int_equal(
	        config_domain_file_find(doms, "*.x.org", a, &path, &f, &err),
	        0);
	assert_int_equal(config_json_load(path, a, &doc, &err), 0);
	config_json_set_int(doc, "IMAP", "port", 993);
	config_json_set_bool(doc, "IMAP.ssl", "verify_peer", false);
	config_json_set_str(doc, "", "whiteList", "me@x.org");
	assert_int_equal(config_json_save(doc, path, a, &err), 0);
	config_json_destroy(&doc);
	assert_null(doc);
	text = read_all(path);
	assert_non_null(strstr(text, "\"sasl\": [\n            \"PLAIN\""));
	assert_true(strstr(text, "\"zzz\"") < strstr(text, "\"whiteList\""));
	free(text);
	assert_int_equal(
	        config_domain_read(path, f, "*.x.org", NULL, NULL, &d, a, &err),
	        0);
	assert_int_equal(d.imap_port, 993);
	assert_false(d.verify_certificate);
	assert_string_equal(d.white_list, "me@x.org");
	/* A malformed file is an error naming it, not a crash. */
	write_file(dir, DOMS "_wildcard_.x.org.json", "{\"IMAP\": ");
	assert_int_equal(config_json_load(path, a, &doc, &err), -1);
	assert_int_equal(err.kind, PERR_INPUT);
	assert_non_null(strstr(err.msg, "_wildcard_.x.org.json:1: malformed"));
	arena_destroy(&a);
	rm_tree(dir);
}

/*
 * A full disk (a filled tmpfs, tests/unit/support/full_disk.h): creating
 * the layout and saving an ini file fail with PERR_NOSPACE (507), never
 * PERR_INTERNAL (500), and leave no truncated file behind; the old ini
 * file reads back unchanged, and the same calls work once there is room.
 */
static void
test_full_disk_is_nospace_and_leaves_no_half_file(void **state)
{
	const char *why = NULL, *root = full_disk_make(&why);
	struct arena *A = arena_create("t", 4096, 0);
	char data[256], ini[256];
	struct ini_doc *doc;
	struct perr err;
	struct config_paths p;
	struct stat st;
	char *text;

	(void)state;
	if (root == NULL) {
		arena_destroy(&A);
		print_message("skipped: %s\n", why);
		skip();
	}
	assert_true(pt_snprintf_ok(data, sizeof(data), "%s/data", root));
	assert_true(pt_snprintf_ok(ini, sizeof(ini), "%s/old.ini", root));
	write_file(root, "old.ini", "[s]\nk = 1\n");
	assert_int_equal(full_disk_fill(), 0);

	assert_int_equal(config_layout_create(data, A, &err), -1);
	assert_int_equal(err.kind, PERR_NOSPACE);
	config_paths_init(&p, data);
	assert_int_equal(stat(p.application_ini, &st), -1);

	assert_int_equal(ini_load(ini, NULL, NULL, &doc, NULL, &err), 0);
	assert_int_equal(ini_set(doc, "s", "k", STRV_LIT("2"), &err), 0);
	assert_int_equal(ini_save(doc, ini, 0600, &err), -1);
	assert_int_equal(err.kind, PERR_NOSPACE);
	text = read_all(ini);
	assert_string_equal(text, "[s]\nk = 1\n");
	free(text);

	full_disk_free();
	assert_int_equal(ini_save(doc, ini, 0600, &err), 0);
	ini_destroy(&doc);
	text = read_all(ini);
	assert_string_equal(text, "[s]\nk = \"2\"\n");
	free(text);
	assert_int_equal(config_layout_create(data, A, &err), 0);
	assert_int_equal(stat(p.application_ini, &st), 0);
	assert_true(st.st_size > 0);
	config_paths_deinit(&p);
	arena_destroy(&A);
	full_disk_release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ini_quoting_rules_follow_php),
	        cmocka_unit_test(test_ini_booleans),
	        cmocka_unit_test(test_ini_comments_blank_lines_crlf_and_bom),
	        cmocka_unit_test(test_ini_broken_lines_report_line_numbers),
	        cmocka_unit_test(test_ini_last_duplicate_wins),
	        cmocka_unit_test(
	                test_ini_writer_keeps_comments_order_and_unknown_keys),
	        cmocka_unit_test(
	                test_ini_writer_rejects_what_cannot_be_read_back),
	        cmocka_unit_test(test_ini_save_is_atomic_and_keeps_mode),
	        cmocka_unit_test(test_ini_load_missing_file_is_notfound),
	        cmocka_unit_test(test_layout_created_with_modes_and_templates),
	        cmocka_unit_test(test_defaults_without_files_match_templates),
	        cmocka_unit_test(test_typed_values_and_php_words),
	        cmocka_unit_test(
	                test_check_reports_every_problem_with_file_and_line),
	        cmocka_unit_test(
	                test_broken_application_ini_lists_every_bad_line),
	        cmocka_unit_test(test_domain_lookup_order),
	        cmocka_unit_test(test_json_domain_maps_onto_the_typed_settings),
	        cmocka_unit_test(test_json_wins_over_ini_and_names_decode),
	        cmocka_unit_test(test_alias_and_disabled_list),
	        cmocka_unit_test(test_disabled_list_edits),
	        cmocka_unit_test(
	                test_malformed_json_is_an_error_with_file_and_line),
	        cmocka_unit_test(test_legacy_flat_json_and_snappymail_ini),
	        cmocka_unit_test(test_domain_file_find_and_json_edit),
	        cmocka_unit_test(test_login_split_and_white_list),
	        cmocka_unit_test(test_swap_while_readers_hold_references),
	        cmocka_unit_test(test_csrf_protection_switch_is_gone),
	        cmocka_unit_test(
	                test_full_disk_is_nospace_and_leaves_no_half_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
