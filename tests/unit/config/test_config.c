#include <fcntl.h>
#include <ftw.h>
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
#include <dirent.h>

#include <cmocka.h>

#include "config/config.h"

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
};

static void
collect(void *ctx, enum config_diag_level level, const char *file,
        unsigned line, const char *msg)
{
	struct diags *d = ctx;
	struct diag_rec *r;
	const char *slash = strrchr(file, '/');

	if (d->n == PT_NELEM(d->rec))
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
	char tmpl[] = "/tmp/petrel-config-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return pt_xstrdup(d);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
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
	assert_int_equal(a->security.csrf_protection,
	                 b->security.csrf_protection);
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
	                  "white_list = \"alice@example.com *@trusted.org\"\n");
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
	        cmocka_unit_test(test_login_split_and_white_list),
	        cmocka_unit_test(test_swap_while_readers_hold_references),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
