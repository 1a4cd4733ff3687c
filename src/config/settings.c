/*
 * Typed settings. Each setting is one row of a table (Dovecot's setting
 * definitions): where it lives in the ini file, its type and range, and its
 * default as ini text. Defaults go through the same parser as the files, so
 * a default can never hold a value the parser would refuse.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_private.h"
#include "core/banned.h"

enum set_type { SET_STR, SET_BOOL, SET_UINT, SET_SECURE, SET_LOGLEVEL };

struct setting {
	const char *section; /* NULL for domain files (no sections) */
	const char *key;
	enum set_type type;
	size_t offset;
	const char *def;
	unsigned min, max; /* SET_UINT */
};

/* sec.field is a member designator: it cannot take parentheses. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define APP(sec, field, type, def, min, max)                                   \
	{                                                                      \
#sec, #field, type, offsetof(struct config, sec.field), def,   \
		        min, max                                               \
	}
/* NOLINTEND(bugprone-macro-parentheses) */
#define DOM(field, type, def, min, max)                                        \
	{                                                                      \
		NULL, #field, type, offsetof(struct config_domain, field),     \
		        def, min, max                                          \
	}

static const struct setting app_settings[] = {
        APP(webmail, title, SET_STR, "Petrel Webmail", 0, 0),
        APP(webmail, loading_description, SET_STR, "Petrel", 0, 0),
        APP(webmail, theme, SET_STR, "Default", 0, 0),
        APP(webmail, language, SET_STR, "en", 0, 0),
        APP(webmail, allow_languages_on_settings, SET_BOOL, "On", 0, 0),
        APP(webmail, messages_per_page, SET_UINT, "25", 5, 500),
        APP(webmail, attachment_size_limit, SET_UINT, "25", 0, 4096),
        APP(webmail, autosave_interval, SET_UINT, "60", 0, 3600),
        APP(webmail, logo, SET_STR, "", 0, 0),
        APP(webmail, favicon, SET_STR, "", 0, 0),
        APP(login, default_domain, SET_STR, "", 0, 0),
        APP(login, allow_languages_on_login, SET_BOOL, "On", 0, 0),
        APP(security, force_https, SET_BOOL, "Off", 0, 0),
        APP(security, allow_admin_panel, SET_BOOL, "On", 0, 0),
        APP(security, admin_panel_key, SET_STR, "", 0, 0),
        APP(security, admin_login, SET_STR, "", 0, 0),
        APP(security, admin_password, SET_STR, "", 0, 0),
        APP(security, admin_totp, SET_STR, "", 0, 0),
        APP(security, session_idle_minutes, SET_UINT, "30", 1, 7 * 24 * 60),
        APP(security, session_absolute_hours, SET_UINT, "12", 1, 24 * 366),
        APP(admin_panel, allow, SET_BOOL, "On", 0, 0),
        APP(admin_panel, key, SET_STR, "", 0, 0),
        APP(logs, enable, SET_BOOL, "On", 0, 0),
        APP(logs, level, SET_LOGLEVEL, "info", 0, 0),
        APP(logs, path, SET_STR, "", 0, 0),
        APP(logs, syslog, SET_BOOL, "Off", 0, 0),
        APP(labs, imap_connect_timeout, SET_UINT, "10", 1, 600),
        APP(labs, imap_read_timeout, SET_UINT, "60", 1, 3600),
        APP(plugins, enable, SET_BOOL, "Off", 0, 0),
        APP(plugins, enabled_list, SET_STR, "", 0, 0),
        APP(limits, max_html_size, SET_UINT, "2048", 64, 1024 * 1024),
        APP(limits, max_request_body, SET_UINT, "30", 1, 4096),
        APP(limits, max_upload_total, SET_UINT, "50", 1, 4096),
        APP(limits, live_streams_per_session, SET_UINT, "10", 1, 1000),
        APP(limits, live_streams_per_user, SET_UINT, "20", 1, 10000),
        APP(limits, live_watchers_per_user, SET_UINT, "5", 1, 100),
        APP(limits, live_session_check, SET_UINT, "15", 1, 300),
        APP(limits, live_max_clients, SET_UINT, "512", 16, 100000),
        APP(limits, imap_connections_per_user, SET_UINT, "4", 1, 100),
        APP(limits, imap_row_cache_mb, SET_UINT, "64", 0, 65536),
        APP(ratelimit, login_max_failures, SET_UINT, "5", 1, 1000000),
        APP(ratelimit, login_window_seconds, SET_UINT, "900", 1, 86400 * 30),
        APP(relay, host, SET_STR, "", 0, 0),
        APP(relay, port, SET_UINT, "587", 1, 65535),
        APP(relay, secure, SET_SECURE, "TLS", 0, 0),
        APP(relay, user, SET_STR, "", 0, 0),
        APP(relay, password, SET_STR, "", 0, 0),
        APP(dns, resolver, SET_STR, "", 0, 0),
        APP(dns, timeout, SET_UINT, "3", 1, 30),
        APP(dns, cache_seconds, SET_UINT, "60", 0, 3600),
        APP(doctor, dkim_selector, SET_STR, "mail", 0, 0),
        APP(doctor, smtp_test_domain, SET_STR, "gmail.com", 0, 0),
        APP(doctor, smtp_test_port, SET_UINT, "25", 1, 65535),
        APP(doctor, smtp_test_timeout, SET_UINT, "5", 1, 60),
        APP(doctor, sending_ip, SET_STR, "", 0, 0),
        APP(doctor, helo_name, SET_STR, "", 0, 0),
        APP(unsubscribe, allow_private, SET_BOOL, "Off", 0, 0),
        APP(unsubscribe, ca_file, SET_STR, "", 0, 0),
        APP(unsubscribe, timeout, SET_UINT, "10", 1, 60),
};

static const struct setting domain_settings[] = {
        DOM(disabled, SET_BOOL, "Off", 0, 0),
        DOM(imap_host, SET_STR, "127.0.0.1", 0, 0),
        DOM(imap_port, SET_UINT, "143", 1, 65535),
        DOM(imap_secure, SET_SECURE, "None", 0, 0),
        DOM(imap_short_login, SET_BOOL, "Off", 0, 0),
        DOM(imap_lower_login, SET_BOOL, "Off", 0, 0),
        DOM(imap_allow_preauth, SET_BOOL, "Off", 0, 0),
        DOM(smtp_host, SET_STR, "127.0.0.1", 0, 0),
        DOM(smtp_port, SET_UINT, "587", 1, 65535),
        DOM(smtp_secure, SET_SECURE, "TLS", 0, 0),
        DOM(smtp_short_login, SET_BOOL, "Off", 0, 0),
        DOM(smtp_lower_login, SET_BOOL, "Off", 0, 0),
        DOM(smtp_auth, SET_BOOL, "On", 0, 0),
        DOM(smtp_set_sender, SET_BOOL, "Off", 0, 0),
        DOM(sieve_use, SET_BOOL, "Off", 0, 0),
        DOM(sieve_allow_raw, SET_BOOL, "Off", 0, 0),
        DOM(sieve_host, SET_STR, "localhost", 0, 0),
        DOM(sieve_port, SET_UINT, "4190", 1, 65535),
        DOM(sieve_secure, SET_SECURE, "None", 0, 0),
        DOM(white_list, SET_STR, "", 0, 0),
        DOM(identity_allow, SET_STR, "", 0, 0),
        DOM(verify_certificate, SET_BOOL, "On", 0, 0),
        DOM(allow_insecure_auth, SET_BOOL, "Off", 0, 0),
        DOM(ca_file, SET_STR, "", 0, 0),
        DOM(connect_timeout, SET_UINT, "10", 1, 600),
        DOM(read_timeout, SET_UINT, "60", 1, 3600),
        DOM(relay_user, SET_STR, "", 0, 0),
        DOM(relay_password, SET_STR, "", 0, 0),
};

void
config_sink_diag(void *ctx, enum config_diag_level level, const char *file,
                 unsigned line, const char *msg)
{
	struct diag_sink *s = ctx;

	if (level == CONFIG_DIAG_INFO) {
		if (s->describe && s->fn != NULL)
			s->fn(s->ctx, level, file, line, msg);
		return;
	}
	if (level == CONFIG_DIAG_WARN && s->strict)
		level = CONFIG_DIAG_ERROR;
	if (level == CONFIG_DIAG_ERROR) {
		if (s->errors++ == 0) {
			s->first = line > 0 ? arena_printf(s->a, "%s:%u: %s",
			                                   file, line, msg)
			                    : arena_printf(s->a, "%s: %s", file,
			                                   msg);
		}
	} else {
		s->warnings++;
	}
	if (s->fn != NULL)
		s->fn(s->ctx, level, file, line, msg);
}

void
config_sink_report(struct diag_sink *s, enum config_diag_level level,
                   const char *file, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation is fine */
	va_end(ap);
	config_sink_diag(s, level, file, line, msg);
}

/*
 * PHP's INI_SCANNER_NORMAL turns some unquoted words into "1" and "".
 * Strings follow that so a file means the same to Petrel and SnappyMail.
 */
static struct strv
php_string(const struct ini_entry *e)
{
	bool b;

	if (!e->quoted && ini_parse_bool(e->value, &b))
		return b ? STRV_LIT("1") : STRV_LIT("");
	return e->value;
}

static bool
parse_secure(struct strv v, enum config_secure *s_r)
{
	v = strv_trim(v);
	if (v.len == 0 || strv_eq_ci_ascii(v, STRV_LIT("none")) ||
	    strv_eq_ci_ascii(v, STRV_LIT("0")))
		*s_r = CONFIG_SECURE_NONE;
	else if (strv_eq_ci_ascii(v, STRV_LIT("ssl")) ||
	         strv_eq_ci_ascii(v, STRV_LIT("1")))
		*s_r = CONFIG_SECURE_SSL;
	else if (strv_eq_ci_ascii(v, STRV_LIT("tls")) ||
	         strv_eq_ci_ascii(v, STRV_LIT("starttls")) ||
	         strv_eq_ci_ascii(v, STRV_LIT("2")))
		*s_r = CONFIG_SECURE_TLS;
	else
		return false;
	return true;
}

const char *
config_secure_name(enum config_secure s)
{
	switch (s) {
	case CONFIG_SECURE_NONE:
		return "None";
	case CONFIG_SECURE_SSL:
		return "SSL";
	case CONFIG_SECURE_TLS:
		return "TLS";
	}
	return "None";
}

/* Store e's value into the field; false (and a diagnostic) if bad. */
static bool
apply(const struct setting *set, void *base, const struct ini_entry *e,
      struct arena *a, struct diag_sink *sink, const char *file)
{
	char *field = (char *)base + set->offset;
	uint64_t u;
	bool b;
	char *tmp;

	switch (set->type) {
	case SET_STR:
		*(const char **)field = strv_dup(a, php_string(e));
		PT_ASSERT(*(const char **)field != NULL);
		return true;
	case SET_BOOL:
		if (!ini_parse_bool(e->value, &b))
			break;
		*(bool *)field = b;
		return true;
	case SET_UINT:
		if (!pt_parse_u64(strv_trim(e->value), set->max, &u) ||
		    u < set->min)
			break;
		*(unsigned *)field = (unsigned)u;
		return true;
	case SET_SECURE:
		if (!parse_secure(php_string(e),
		                  (enum config_secure *)(void *)field))
			break;
		return true;
	case SET_LOGLEVEL:
		tmp = strv_dup(a, strv_trim(e->value));
		PT_ASSERT(tmp != NULL);
		/*
		 * SnappyMail writes PHP's syslog numbers (LOG_ERR = 3,
		 * LOG_WARNING = 4, LOG_INFO = 6, LOG_DEBUG = 7): an
		 * application.ini taken over as it is must still load.
		 */
		if (pt_parse_u64(strv_from_cstr(tmp), 7, &u)) {
			*(enum log_level *)(void *)field =
			        u <= 3   ? LOG_LVL_ERROR
			        : u <= 5 ? LOG_LVL_WARN
			        : u == 6 ? LOG_LVL_INFO
			                 : LOG_LVL_DEBUG;
			return true;
		}
		if (!log_level_parse(tmp, (enum log_level *)(void *)field))
			break;
		return true;
	}
	switch (set->type) {
	case SET_BOOL:
		config_sink_report(sink, CONFIG_DIAG_ERROR, file, e->line,
		                   "%s: expected On or Off, got '%.*s'",
		                   set->key, (int)e->value.len, e->value.p);
		break;
	case SET_UINT:
		config_sink_report(
		        sink, CONFIG_DIAG_ERROR, file, e->line,
		        "%s: expected a number from %u to %u, got '%.*s'",
		        set->key, set->min, set->max, (int)e->value.len,
		        e->value.p);
		break;
	case SET_SECURE:
		config_sink_report(sink, CONFIG_DIAG_ERROR, file, e->line,
		                   "%s: expected None, SSL or TLS, got '%.*s'",
		                   set->key, (int)e->value.len, e->value.p);
		break;
	case SET_LOGLEVEL:
		config_sink_report(
		        sink, CONFIG_DIAG_ERROR, file, e->line,
		        "%s: expected error, warn, info or debug, got "
		        "'%.*s'",
		        set->key, (int)e->value.len, e->value.p);
		break;
	case SET_STR:
		break;
	}
	return false;
}

static void
apply_defaults(const struct setting *table, size_t n, void *base,
               struct arena *a)
{
	struct diag_sink none = {0};
	size_t i;

	none.a = a;
	for (i = 0; i < n; i++) {
		struct ini_entry e = {0};

		e.value = strv_from_cstr(table[i].def);
		e.quoted = table[i].type == SET_STR;
		PT_ASSERT(apply(&table[i], base, &e, a, &none, "defaults"));
	}
}

/*
 * Keys that existed once and were removed on purpose: a file that still
 * sets one is told why, rather than only that the key is unknown.
 */
static const struct removed_key {
	const char *section, *key, *why;
} removed_keys[] = {
        {"security", "csrf_protection",
         "was removed: CSRF checks are always on"},
};

static const char *
removed_why(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < PT_NELEM(removed_keys); i++) {
		if (strcmp(removed_keys[i].section, section) == 0 &&
		    strcmp(removed_keys[i].key, key) == 0)
			return removed_keys[i].why;
	}
	return NULL;
}

/* Apply every entry of doc that the table knows; warn about the rest. */
static void
apply_doc(const struct setting *table, size_t n, void *base,
          const struct ini_doc *doc, struct arena *a, struct diag_sink *sink,
          const char *file)
{
	size_t i, k, count = ini_entry_count(doc);

	for (i = 0; i < count; i++) {
		struct ini_entry e;
		const struct setting *set = NULL;

		ini_entry_at(doc, i, &e);
		if (e.section == ini_broken_section)
			continue;
		for (k = 0; k < n; k++) {
			bool sec_ok = table[k].section == NULL
			                      ? e.section[0] == '\0'
			                      : strcmp(table[k].section,
			                               e.section) == 0;

			if (sec_ok && strcmp(table[k].key, e.key) == 0) {
				set = &table[k];
				break;
			}
		}
		if (set == NULL) {
			const char *why = removed_why(e.section, e.key);

			if (why != NULL)
				config_sink_report(sink, CONFIG_DIAG_WARN, file,
				                   e.line, "[%s] %s %s",
				                   e.section, e.key, why);
			else if (e.section[0] != '\0')
				config_sink_report(sink, CONFIG_DIAG_WARN, file,
				                   e.line,
				                   "unknown key [%s] %s",
				                   e.section, e.key);
			else
				config_sink_report(sink, CONFIG_DIAG_WARN, file,
				                   e.line, "unknown key %s",
				                   e.key);
			continue;
		}
		(void)apply(set, base, &e, a, sink, file);
	}
}

void
config_domain_defaults(struct config_domain *d, struct arena *a)
{
	apply_defaults(domain_settings, PT_NELEM(domain_settings), d, a);
	d->format = CONFIG_DOMAIN_BUILTIN;
	d->alias_of = "";
	d->name = "";
	d->file = "";
}

bool
config_domain_set_key(struct config_domain *d, const char *key,
                      struct strv value, bool quoted, unsigned line,
                      struct arena *a, struct diag_sink *sink, const char *file)
{
	struct ini_entry e = {0};
	size_t k;

	for (k = 0; k < PT_NELEM(domain_settings); k++) {
		if (strcmp(domain_settings[k].key, key) != 0)
			continue;
		e.section = "";
		e.key = key;
		e.value = value;
		e.quoted = quoted;
		e.line = line;
		(void)apply(&domain_settings[k], d, &e, a, sink, file);
		return true;
	}
	return false;
}

/* ---- paths ----------------------------------------------------------- */

static char *
path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p;

	while (la > 1 && a[la - 1] == '/')
		la--;
	p = pt_xmalloc(la + 1 + lb + 1);
	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

void
config_paths_init(struct config_paths *p, const char *data_dir)
{
	p->data_dir = pt_xstrdup(data_dir);
	p->base_dir = path_join(data_dir, "_data_/_default_");
	p->configs_dir = path_join(p->base_dir, "configs");
	p->application_ini = path_join(p->configs_dir, "application.ini");
	p->domains_dir = path_join(p->base_dir, "domains");
	p->storage_dir = path_join(p->base_dir, "storage");
	p->db_path = path_join(p->storage_dir, "petrel.db");
	p->logs_dir = path_join(p->base_dir, "logs");
}

void
config_paths_deinit(struct config_paths *p)
{
	free(p->data_dir);
	free(p->base_dir);
	free(p->configs_dir);
	free(p->application_ini);
	free(p->domains_dir);
	free(p->storage_dir);
	free(p->db_path);
	free(p->logs_dir);
	memset(p, 0, sizeof(*p));
}

/* ---- loading ----------------------------------------------------- */

void
config_domain_apply_ini(struct config_domain *d, const struct ini_doc *doc,
                        struct arena *a, struct diag_sink *sink,
                        const char *file)
{
	apply_doc(domain_settings, PT_NELEM(domain_settings), d, doc, a, sink,
	          file);
}

static struct config *
build(const char *data_dir, struct diag_sink *sink)
{
	struct config *cfg = pt_xcalloc(1, sizeof(*cfg));
	struct ini_doc *doc;
	struct perr e;

	cfg->arena = arena_create("config", 8192, 0);
	cfg->refs = 1;
	config_paths_init(&cfg->paths, data_dir);
	apply_defaults(app_settings, PT_NELEM(app_settings), cfg, cfg->arena);
	/*
	 * A missing application.ini means defaults; a broken line is reported
	 * and the good lines are still checked, so one run lists everything.
	 */
	if (ini_load(cfg->paths.application_ini, NULL, NULL, &doc, cfg->arena,
	             &e) != 0 &&
	    e.kind == PERR_NOTFOUND) {
		doc = NULL;
	} else {
		ini_destroy(&doc);
		if (ini_load_keep_broken(cfg->paths.application_ini,
		                         config_sink_diag, sink, &doc,
		                         cfg->arena, NULL) != 0)
			doc = NULL;
	}
	if (doc != NULL) {
		apply_doc(app_settings, PT_NELEM(app_settings), cfg, doc,
		          cfg->arena, sink, cfg->paths.application_ini);
		ini_destroy(&doc);
	}
	config_domains_load(cfg, sink);
	return cfg;
}

int
config_load(const char *data_dir, config_diag_fn *diag, void *ctx,
            struct config **cfg_r, struct arena *a, struct perr *err)
{
	struct diag_sink sink = {0};
	struct config *cfg;

	*cfg_r = NULL;
	sink.fn = diag;
	sink.ctx = ctx;
	sink.a = a;
	cfg = build(data_dir, &sink);
	if (sink.errors > 0) {
		perr_set(err, a, PERR_INTERNAL, "%s%s",
		         sink.first != NULL ? sink.first
		                            : "configuration error",
		         sink.errors > 1 ? " (and more errors)" : "");
		config_unref(&cfg);
		return -1;
	}
	*cfg_r = cfg;
	return 0;
}

unsigned
config_check(const char *data_dir, unsigned flags, config_diag_fn *diag,
             void *ctx)
{
	struct diag_sink sink = {0};
	struct config *cfg;
	struct arena *a = arena_create("check", 1024, 0);

	sink.fn = diag;
	sink.ctx = ctx;
	sink.strict = (flags & CONFIG_CHECK_STRICT) != 0;
	sink.describe = true;
	sink.a = a;
	cfg = build(data_dir, &sink);
	config_unref(&cfg);
	arena_destroy(&a);
	return sink.errors;
}

/* ---- references and the current snapshot ----------------------------- */

struct config *
config_ref(struct config *cfg)
{
	__atomic_fetch_add(&cfg->refs, 1, __ATOMIC_RELAXED);
	return cfg;
}

void
config_unref(struct config **cfgp)
{
	struct config *cfg = *cfgp;
	unsigned before;

	if (cfg == NULL)
		return;
	*cfgp = NULL;
	/* The check reads the count atomically too: a plain read next to
	 * other threads' atomic updates is a data race (TSan). */
	before = __atomic_fetch_sub(&cfg->refs, 1, __ATOMIC_ACQ_REL);
	PT_ASSERT(before > 0);
	if (before != 1)
		return;
	config_paths_deinit(&cfg->paths);
	arena_destroy(&cfg->arena);
	free(cfg);
}

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct config *current;

struct config *
config_current(void)
{
	struct config *cfg;

	pthread_mutex_lock(&current_lock);
	cfg = current != NULL ? config_ref(current) : NULL;
	pthread_mutex_unlock(&current_lock);
	return cfg;
}

void
config_swap(struct config *cfg)
{
	struct config *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = cfg;
	pthread_mutex_unlock(&current_lock);
	/* Outside the lock: freeing may take a while. */
	config_unref(&old);
}

/* ---- domains and logins ---------------------------------------------- */

/* Glob with '*' only, ASCII case-insensitive, iterative backtracking. */
static bool
glob_match(struct strv pat, struct strv s)
{
	size_t p = 0, i = 0, star_p = SIZE_MAX, star_i = 0;

	while (i < s.len) {
		if (p < pat.len && pat.p[p] == '*') {
			star_p = p++;
			star_i = i;
		} else if (p < pat.len && pt_ascii_tolower(pat.p[p]) ==
		                                  pt_ascii_tolower(s.p[i])) {
			p++;
			i++;
		} else if (star_p != SIZE_MAX) {
			p = star_p + 1;
			i = ++star_i;
		} else {
			return false;
		}
	}
	while (p < pat.len && pat.p[p] == '*')
		p++;
	return p == pat.len;
}

const struct config_domain *
config_domain_for(const struct config *cfg, struct strv domain)
{
	const struct config_domain *best = NULL;
	size_t i, best_len = 0;

	domain = strv_trim(domain);
	for (i = 0; i < cfg->domain_count; i++) {
		const struct config_domain *d = &cfg->domains[i];
		struct strv name = strv_from_cstr(d->name);

		if (strchr(d->name, '*') == NULL) {
			if (strv_eq_ci_ascii(name, domain))
				return d;
			continue;
		}
		/* The most literal characters wins: the most specific. */
		if (glob_match(name, domain)) {
			size_t k, lit = 0;

			for (k = 0; k < name.len; k++)
				lit += name.p[k] != '*';
			if (best == NULL || lit > best_len) {
				best = d;
				best_len = lit;
			}
		}
	}
	return best != NULL ? best : cfg->default_domain;
}

/* Does s match an item of a space/comma/semicolon separated glob list? */
static bool
list_match(const char *list, struct strv s, bool *any_r)
{
	struct strv rest = strv_from_cstr(list);

	*any_r = false;
	s = strv_trim(s);
	while (rest.len > 0) {
		size_t i = 0;
		struct strv item;

		while (i < rest.len && strchr(" \t,;", rest.p[i]) == NULL)
			i++;
		item = (struct strv){rest.p, i};
		rest.p += i < rest.len ? i + 1 : i;
		rest.len -= i < rest.len ? i + 1 : i;
		if (item.len == 0)
			continue;
		*any_r = true;
		if (glob_match(item, s))
			return true;
	}
	return false;
}

bool
config_domain_identity_allowed(const struct config_domain *d, struct strv email)
{
	bool any;

	return list_match(d->identity_allow, email, &any);
}

bool
config_domain_allows(const struct config_domain *d, struct strv login)
{
	bool any;

	/* An empty white_list lets everyone in. */
	return list_match(d->white_list, login, &any) || !any;
}

char *
config_domain_login(const struct config_domain *d, bool smtp, struct strv email,
                    struct arena *a)
{
	bool shrt = smtp ? d->smtp_short_login : d->imap_short_login;
	bool lower = smtp ? d->smtp_lower_login : d->imap_lower_login;
	size_t i, n = email.len;
	char *out;

	if (shrt) {
		for (i = email.len; i > 0; i--) {
			if (email.p[i - 1] == '@') {
				n = i - 1;
				break;
			}
		}
	}
	out = strv_dup(a, (struct strv){email.p, n});
	if (out != NULL && lower)
		for (i = 0; i < n; i++)
			out[i] = pt_ascii_tolower(out[i]);
	return out;
}

int
config_login_split(const struct config *cfg, struct strv login, struct arena *a,
                   struct strv *user_r, struct strv *domain_r,
                   struct strv *email_r, struct perr *err)
{
	struct strv user, domain;
	ptrdiff_t at = -1;
	char *dom;
	size_t i;

	login = strv_trim(login);
	if (strv_has_ctl(login, false))
		return perr_set(err, a, PERR_INPUT,
		                "login contains control characters");
	for (i = 0; i < login.len; i++) {
		if (login.p[i] == '@')
			at = (ptrdiff_t)i;
	}
	if (at >= 0) {
		user = strv_trim((struct strv){login.p, (size_t)at});
		domain = strv_trim((struct strv){login.p + at + 1,
		                                 login.len - (size_t)at - 1});
	} else {
		user = login;
		domain = strv_trim(strv_from_cstr(cfg->login.default_domain));
		if (domain.len == 0)
			return perr_set(err, a, PERR_INPUT,
			                "login needs a domain (user@domain)");
	}
	if (user.len == 0 || domain.len == 0)
		return perr_set(err, a, PERR_INPUT, "incomplete login");
	dom = strv_dup(a, domain);
	if (dom == NULL)
		return perr_set(err, a, PERR_LIMIT, "login too long");
	for (i = 0; i < domain.len; i++)
		dom[i] = pt_ascii_tolower(dom[i]);
	user_r->p = strv_dup(a, user);
	if (user_r->p == NULL)
		return perr_set(err, a, PERR_LIMIT, "login too long");
	user_r->len = user.len;
	*domain_r = (struct strv){dom, domain.len};
	if (email_r != NULL) {
		char *e =
		        arena_printf(a, "%.*s@%s", (int)user.len, user.p, dom);

		if (e == NULL)
			return perr_set(err, a, PERR_LIMIT, "login too long");
		*email_r = strv_from_cstr(e);
	}
	return 0;
}
