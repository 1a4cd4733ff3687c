/*
 * The domains/ folder as SnappyMail leaves it: <name>.json (its current
 * format), <name>.ini (the older one), <name>.alias (a file holding the
 * name of another domain) and `disabled` (names whose logins are
 * refused). For one name, .json wins over .ini, which wins over .alias;
 * that is SnappyMail's DefaultDomain::Load order, so the same folder
 * serves the same users under both.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "config_private.h"
#include "core/banned.h"

/* An alias file holds one domain name; anything longer is not one. */
#define ALIAS_MAX_SIZE 1024

static const char *const format_ext[] = {
        [CONFIG_DOMAIN_BUILTIN] = "",
        [CONFIG_DOMAIN_INI] = ".ini",
        [CONFIG_DOMAIN_JSON] = ".json",
        [CONFIG_DOMAIN_ALIAS] = ".alias",
};

/* Lower is stronger: the order SnappyMail tries the extensions in. */
static int
format_rank(enum config_domain_format f)
{
	switch (f) {
	case CONFIG_DOMAIN_JSON:
		return 0;
	case CONFIG_DOMAIN_INI:
		return 1;
	case CONFIG_DOMAIN_ALIAS:
		return 2;
	case CONFIG_DOMAIN_BUILTIN:
		break;
	}
	return 3;
}

const char *
config_domain_format_name(enum config_domain_format f)
{
	switch (f) {
	case CONFIG_DOMAIN_INI:
		return "ini";
	case CONFIG_DOMAIN_JSON:
		return "JSON";
	case CONFIG_DOMAIN_ALIAS:
		return "alias";
	case CONFIG_DOMAIN_BUILTIN:
		break;
	}
	return "built-in";
}

/* Letters, digits, '.', '-', '_' and '*'; not empty, no leading dot. */
static bool
file_base_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253 + 9 || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || c == '*'))
			return false;
	}
	return true;
}

/*
 * A file name without its extension as a domain name (in a): lower case,
 * "_wildcard_" as '*', and "default" or "*" (both SnappyMail's fallback)
 * as "default". NULL if it is not a domain file name.
 */
static char *
decode_name(const char *base, size_t n, struct arena *a)
{
	static const char wild[] = "_wildcard_";
	const size_t wlen = sizeof(wild) - 1;
	char *out;
	size_t i, o = 0;

	if (!file_base_ok(base, n))
		return NULL;
	out = arena_alloc(a, n + 1);
	PT_ASSERT(out != NULL);
	for (i = 0; i < n;) {
		if (n - i >= wlen &&
		    strv_eq_ci_ascii((struct strv){base + i, wlen},
		                     (struct strv){wild, wlen})) {
			out[o++] = '*';
			i += wlen;
			continue;
		}
		out[o++] = pt_ascii_tolower(base[i++]);
	}
	out[o] = '\0';
	if (o > 253)
		return NULL;
	if (strcmp(out, "*") == 0)
		return arena_strdup(a, "default");
	return out;
}

/* A domain name as the file base SnappyMail writes ('*' → _wildcard_). */
static char *
encode_name(const char *name, struct arena *a)
{
	struct sbuf b;
	const char *p;

	if (strcmp(name, "*") == 0 || strcmp(name, "default") == 0)
		return arena_strdup(a, "default");
	sbuf_init(&b, a, 64, 1024);
	for (p = name; *p != '\0'; p++) {
		if (*p == '*')
			sbuf_append(&b, "_wildcard_", 10);
		else
			sbuf_append(&b, p, 1);
	}
	return sbuf_ok(&b) ? (char *)sbuf_cstr(&b) : NULL;
}

struct dfile {
	char *name; /* decoded domain name */
	char *path;
	enum config_domain_format format;
};

static int
cmp_dfile(const void *x, const void *y)
{
	const struct dfile *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	if (format_rank(a->format) != format_rank(b->format))
		return format_rank(a->format) - format_rank(b->format);
	return strcmp(a->path, b->path);
}

static int
cmp_domain(const void *a, const void *b)
{
	const struct config_domain *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Read one .ini or .json file into d over the defaults. */
static void
read_file(struct config_domain *d, const char *name, const char *path,
          enum config_domain_format format, struct arena *a,
          struct diag_sink *sink)
{
	struct ini_doc *doc;

	config_domain_defaults(d, a);
	d->name = arena_strdup(a, name);
	d->file = arena_strdup(a, path);
	d->format = format;
	PT_ASSERT(d->name != NULL && d->file != NULL);
	if (format == CONFIG_DOMAIN_JSON) {
		config_json_domain_read(d, path, a, sink);
		return;
	}
	if (ini_load_keep_broken(path, config_sink_diag, sink, &doc, a, NULL) <
	    0)
		return;
	config_domain_apply_ini(d, doc, a, sink, path);
	ini_destroy(&doc);
}

/* ---- the disabled list ----------------------------------------------- */

/* The next name of a `disabled` text (',' or newline separated). */
static bool
next_listed(struct strv *rest, struct strv *item_r)
{
	while (rest->len > 0) {
		size_t i = 0;

		while (i < rest->len && rest->p[i] != ',' && rest->p[i] != '\n')
			i++;
		*item_r = strv_trim((struct strv){rest->p, i});
		rest->p += i < rest->len ? i + 1 : i;
		rest->len -= i < rest->len ? i + 1 : i;
		if (item_r->len > 0)
			return true;
	}
	return false;
}

/* A listed name against a domain name; '*' is the default domain. */
static bool
listed_is(struct strv item, const char *name)
{
	if (strv_eq_cstr(item, "*"))
		item = STRV_LIT("default");
	return strv_eq_ci_ascii(item, strv_from_cstr(name));
}

static char *
disabled_path(const char *domains_dir, struct arena *a)
{
	char *p = arena_printf(a, "%s/disabled", domains_dir);

	PT_ASSERT(p != NULL);
	return p;
}

/* The list's text in buf (heap sbuf); false if absent or unreadable. */
static bool
read_disabled(const char *path, struct sbuf *buf, struct arena *a,
              struct perr *err)
{
	sbuf_init(buf, NULL, 256, CONFIG_INI_MAX_SIZE);
	return config_read_file(path, buf, a, err) == 0;
}

bool
config_disabled_listed(const char *domains_dir, const char *name,
                       struct arena *a)
{
	struct sbuf buf;
	struct perr e = {0};
	struct strv rest, item;
	bool found = false;

	if (read_disabled(disabled_path(domains_dir, a), &buf, a, &e)) {
		rest = sbuf_view(&buf);
		while (!found && next_listed(&rest, &item))
			found = listed_is(item, name);
	}
	sbuf_free(&buf);
	return found;
}

int
config_disabled_set(const char *domains_dir, const char *name, bool disabled,
                    struct arena *a, struct perr *err)
{
	char *path = disabled_path(domains_dir, a);
	struct sbuf buf, out;
	struct strv rest, item;
	bool present = false;
	int r;

	if (!read_disabled(path, &buf, a, err)) {
		if (err->kind != PERR_NOTFOUND) {
			sbuf_free(&buf);
			return -1;
		}
		perr_clear(err);
	}
	sbuf_init(&out, NULL, 256, CONFIG_INI_MAX_SIZE);
	rest = sbuf_view(&buf);
	while (next_listed(&rest, &item)) {
		if (listed_is(item, name)) {
			if (present || !disabled)
				continue; /* drop it, or a duplicate */
			present = true;
		}
		if (out.len > 0)
			sbuf_append(&out, "\n", 1);
		sbuf_append_strv(&out, item);
	}
	if (disabled && !present) {
		if (out.len > 0)
			sbuf_append(&out, "\n", 1);
		sbuf_printf(&out, "%s",
		            strcmp(name, "default") == 0 ? "*" : name);
	}
	sbuf_free(&buf);
	if (!sbuf_ok(&out)) {
		sbuf_free(&out);
		return perr_set(err, a, PERR_LIMIT, "%s: too large", path);
	}
	r = config_write_atomic(path, sbuf_view(&out), 0640, a, err);
	sbuf_free(&out);
	return r;
}

static void
apply_disabled_list(struct config *cfg, struct config_domain *def,
                    struct config_domain *doms, size_t n,
                    struct diag_sink *sink)
{
	char *path = disabled_path(cfg->paths.domains_dir, cfg->arena);
	struct strv rest, item;
	struct sbuf buf;
	struct perr e = {0};
	size_t i;

	if (!read_disabled(path, &buf, cfg->arena, &e)) {
		if (e.kind != PERR_NOTFOUND)
			config_sink_report(sink, CONFIG_DIAG_ERROR, path, 0,
			                   "%s", e.msg);
		sbuf_free(&buf);
		return;
	}
	rest = sbuf_view(&buf);
	while (next_listed(&rest, &item)) {
		bool known = false;

		if (listed_is(item, def->name)) {
			def->disabled = true;
			known = true;
		}
		for (i = 0; i < n; i++) {
			if (listed_is(item, doms[i].name)) {
				doms[i].disabled = true;
				known = true;
			}
		}
		config_sink_report(sink, CONFIG_DIAG_INFO, path, 0,
		                   "%.*s is disabled%s", (int)item.len, item.p,
		                   known ? "" : " (no file defines it)");
	}
	sbuf_free(&buf);
}

/* ---- loading --------------------------------------------------------- */

/* Collect every domain file; the caller frees the array. */
static struct dfile *
list_files(struct config *cfg, struct diag_sink *sink, size_t *n_r)
{
	struct dfile *files = NULL;
	size_t n = 0, cap = 0, k;
	DIR *dir;
	struct dirent *de;

	*n_r = 0;
	dir = opendir(cfg->paths.domains_dir);
	if (dir == NULL) {
		if (errno != ENOENT)
			config_sink_report(sink, CONFIG_DIAG_ERROR,
			                   cfg->paths.domains_dir, 0,
			                   "cannot open directory: %s",
			                   strerror(errno));
		return NULL;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		enum config_domain_format f = CONFIG_DOMAIN_BUILTIN;
		char *path, *name;

		if (de->d_name[0] == '.')
			continue;
		for (k = CONFIG_DOMAIN_INI; k <= CONFIG_DOMAIN_ALIAS; k++) {
			size_t el = strlen(format_ext[k]);

			if (len > el &&
			    strcmp(de->d_name + len - el, format_ext[k]) == 0) {
				f = (enum config_domain_format)k;
				break;
			}
		}
		if (f == CONFIG_DOMAIN_BUILTIN)
			continue;
		path = arena_printf(cfg->arena, "%s/%s", cfg->paths.domains_dir,
		                    de->d_name);
		PT_ASSERT(path != NULL);
		name = decode_name(de->d_name, len - strlen(format_ext[f]),
		                   cfg->arena);
		if (name == NULL) {
			config_sink_report(sink, CONFIG_DIAG_WARN, path, 0,
			                   "ignored: not a domain name");
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			files = pt_xrealloc(files, cap * sizeof(*files));
		}
		files[n].name = name;
		files[n].path = path;
		files[n].format = f;
		n++;
	}
	closedir(dir);
	if (n > 0)
		qsort(files, n, sizeof(*files), cmp_dfile);
	*n_r = n;
	return files;
}

/* The alias file's target, lower case, '*' as "default"; NULL if none. */
static char *
read_alias(const char *path, struct arena *a, struct diag_sink *sink)
{
	struct sbuf buf;
	struct perr e = {0};
	struct strv t;
	char *name = NULL;

	sbuf_init(&buf, NULL, 64, ALIAS_MAX_SIZE);
	if (config_read_file(path, &buf, a, &e) != 0) {
		config_sink_report(sink, CONFIG_DIAG_ERROR, path, 0, "%s",
		                   e.msg);
		sbuf_free(&buf);
		return NULL;
	}
	t = strv_trim(sbuf_view(&buf));
	if (t.len > 0)
		name = decode_name(t.p, t.len, a);
	sbuf_free(&buf);
	if (name == NULL)
		config_sink_report(
		        sink, CONFIG_DIAG_WARN, path, 0,
		        "ignored: an alias file must hold one domain "
		        "name");
	return name;
}

static const struct config_domain *
find_loaded(const struct config_domain *doms, size_t n,
            const struct config_domain *def, const char *name)
{
	struct config_domain key = {0};

	if (strcmp(name, "default") == 0)
		return def;
	key.name = name;
	return n > 0 ? bsearch(&key, doms, n, sizeof(*doms), cmp_domain) : NULL;
}

/* One INFO line per domain: where its settings come from. */
static void
describe(struct diag_sink *sink, const struct config *cfg,
         const struct config_domain *d)
{
	if (d->format == CONFIG_DOMAIN_BUILTIN) {
		config_sink_report(sink, CONFIG_DIAG_INFO,
		                   cfg->paths.domains_dir, 0,
		                   "no default.json or default.ini: domains "
		                   "without a file of their own get the "
		                   "built-in defaults");
	} else if (d->format == CONFIG_DOMAIN_ALIAS) {
		config_sink_report(sink, CONFIG_DIAG_INFO, d->file, 0,
		                   "domain %s: alias of %s%s", d->name,
		                   d->alias_of,
		                   d->disabled ? " (disabled)" : "");
	} else {
		config_sink_report(
		        sink, CONFIG_DIAG_INFO, d->file, 0,
		        "domain %s: %s (IMAP %s:%u %s, SMTP %s:%u "
		        "%s, Sieve %s)%s",
		        d->name, config_domain_format_name(d->format),
		        d->imap_host, d->imap_port,
		        config_secure_name(d->imap_secure), d->smtp_host,
		        d->smtp_port, config_secure_name(d->smtp_secure),
		        d->sieve_use ? "on" : "off",
		        d->disabled ? " (disabled)" : "");
	}
}

/*
 * [relay]: a domain without its own relay account sends through the
 * server-wide relay (the hosting FAQ's fix for a blocked port 25). With
 * no relay user, the relay accepts this server by address: the users'
 * own passwords are then not sent to it (smtp_auth off).
 */
static void
apply_default_relay(const struct config *cfg, struct config_domain *d)
{
	if (cfg->relay.host[0] == '\0' || d->relay_user[0] != '\0')
		return;
	d->smtp_host = cfg->relay.host;
	d->smtp_port = cfg->relay.port;
	d->smtp_secure = cfg->relay.secure;
	d->relay_user = cfg->relay.user;
	d->relay_password = cfg->relay.password;
	if (cfg->relay.user[0] == '\0')
		d->smtp_auth = false;
}

void
config_domains_load(struct config *cfg, struct diag_sink *sink)
{
	struct config_domain *doms = NULL, *def;
	struct dfile *files, *aliases = NULL;
	size_t nfiles, n = 0, nreal, nalias = 0, i, k;
	struct arena *a = cfg->arena;

	def = arena_new(a, struct config_domain);
	PT_ASSERT(def != NULL);
	config_domain_defaults(def, a);
	def->name = "default";
	files = list_files(cfg, sink, &nfiles);
	if (nfiles > 0) {
		doms = pt_xcalloc(nfiles, sizeof(*doms));
		aliases = pt_xcalloc(nfiles, sizeof(*aliases));
	}
	for (i = 0; i < nfiles; i = k) {
		const struct dfile *w = &files[i];

		/* Files after the first of a name lose (see cmp_dfile). */
		for (k = i + 1;
		     k < nfiles && strcmp(files[k].name, w->name) == 0; k++) {
			if (files[k].format == w->format)
				config_sink_report(
				        sink, CONFIG_DIAG_WARN, files[k].path,
				        0,
				        "ignored: %s defines the same domain "
				        "(names are not case-sensitive; "
				        "_wildcard_ is '*', default is '*')",
				        w->path);
			else
				config_sink_report(
				        sink, CONFIG_DIAG_WARN, files[k].path,
				        0,
				        "ignored: %s defines domain %s (%s "
				        "wins over %s)",
				        w->path, w->name,
				        config_domain_format_name(w->format),
				        config_domain_format_name(
				                files[k].format));
		}
		if (w->format == CONFIG_DOMAIN_ALIAS) {
			if (strcmp(w->name, "default") == 0)
				config_sink_report(
				        sink, CONFIG_DIAG_WARN, w->path, 0,
				        "ignored: the default domain "
				        "cannot be an alias");
			else
				aliases[nalias++] = *w;
		} else if (strcmp(w->name, "default") == 0) {
			read_file(def, "default", w->path, w->format, a, sink);
		} else {
			read_file(&doms[n++], w->name, w->path, w->format, a,
			          sink);
		}
	}
	/*
	 * files is sorted by name, so doms[0..nreal) is too: bsearch works
	 * there. Aliases are appended after it, and only ever point into it.
	 */
	nreal = n;
	for (i = 0; i < nalias; i++) {
		const struct config_domain *t;
		struct config_domain *d = &doms[n];
		char *target = read_alias(aliases[i].path, a, sink);

		if (target == NULL)
			continue;
		/*
		 * SnappyMail loads the target without following a second
		 * alias and without its disabled check: only the alias's
		 * own name counts for `disabled`.
		 */
		t = find_loaded(doms, nreal, def, target);
		if (t != NULL && t->format != CONFIG_DOMAIN_ALIAS) {
			*d = *t;
		} else {
			config_domain_defaults(d, a);
			config_sink_report(
			        sink, CONFIG_DIAG_WARN, aliases[i].path, 0,
			        "alias target %s has no .json or .ini "
			        "file: logins for %s are refused",
			        target, aliases[i].name);
		}
		d->disabled = t == NULL || t->format == CONFIG_DOMAIN_ALIAS;
		d->name = aliases[i].name;
		d->file = aliases[i].path;
		d->format = CONFIG_DOMAIN_ALIAS;
		d->alias_of = target;
		n++;
	}
	if (n > 0)
		qsort(doms, n, sizeof(*doms), cmp_domain);
	apply_disabled_list(cfg, def, doms, n, sink);
	apply_default_relay(cfg, def);
	for (i = 0; i < n; i++)
		apply_default_relay(cfg, &doms[i]);
	describe(sink, cfg, def);
	for (i = 0; i < n; i++)
		describe(sink, cfg, &doms[i]);
	cfg->domains = arena_new_array(a, struct config_domain, n > 0 ? n : 1);
	PT_ASSERT(cfg->domains != NULL);
	if (n > 0)
		memcpy((void *)cfg->domains, doms, n * sizeof(*doms));
	cfg->domain_count = n;
	cfg->default_domain = def;
	free(doms);
	free(aliases);
	free(files);
}

/* ---- one file, for the admin's editor -------------------------------- */

static const enum config_domain_format search_order[] = {
        CONFIG_DOMAIN_JSON, CONFIG_DOMAIN_INI, CONFIG_DOMAIN_ALIAS};

int
config_domain_file_find(const char *domains_dir, const char *name,
                        struct arena *a, char **path_r,
                        enum config_domain_format *format_r, struct perr *err)
{
	const char *bases[2];
	size_t nb = 0, b, f;
	struct stat st;

	if (!file_base_ok(name, strlen(name)) || strlen(name) > 253)
		return perr_set(err, a, PERR_INPUT, "not a domain name");
	bases[nb++] = encode_name(name, a);
	if (bases[0] == NULL)
		return perr_set(err, a, PERR_LIMIT, "name too long");
	if (strcmp(bases[0], name) != 0 && strcmp(name, "*") != 0)
		bases[nb++] = name;
	/* The loader's order: .json, then .ini, then .alias. */
	for (f = 0; f < PT_NELEM(search_order); f++) {
		enum config_domain_format fmt = search_order[f];

		for (b = 0; b < nb; b++) {
			char *p = arena_printf(a, "%s/%s%s", domains_dir,
			                       bases[b], format_ext[fmt]);

			if (p == NULL)
				return perr_set(err, a, PERR_LIMIT,
				                "out of memory");
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
				*path_r = p;
				*format_r = fmt;
				return 0;
			}
		}
	}
	return perr_set(err, a, PERR_NOTFOUND, "no such domain");
}

int
config_domain_read(const char *path, enum config_domain_format format,
                   const char *name, config_diag_fn *diag, void *ctx,
                   struct config_domain *d, struct arena *a, struct perr *err)
{
	struct diag_sink sink = {0};

	sink.fn = diag;
	sink.ctx = ctx;
	sink.a = a;
	if (format != CONFIG_DOMAIN_INI && format != CONFIG_DOMAIN_JSON)
		return perr_set(err, a, PERR_INPUT,
		                "%s: only .json and .ini files hold settings",
		                path);
	read_file(d, name, path, format, a, &sink);
	if (sink.errors > 0)
		return perr_set(err, a, PERR_INPUT, "%s", sink.first);
	return 0;
}
