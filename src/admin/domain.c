/*
 * Domain files (DATA/_data_/_default_/domains/) as forms, and the
 * validators every admin form uses. A domain keeps the format its file
 * has: a SnappyMail <name>.json is edited as JSON (keys the form does not
 * know, such as sasl or disabled_capabilities, stay as they are), a
 * <name>.ini as ini (comments, order and unknown keys kept); a new domain
 * gets an .ini. Both writers are the config module's: atomic saves.
 * Disabling a JSON domain uses SnappyMail's `disabled` list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "config/config.h"
#include "core/banned.h"

/* SnappyMail's keys (DESIGN.md) plus Petrel's own, in form order. */
const struct admin_domain_field admin_domain_fields[] = {
        {"imap_host", ADMIN_F_HOST, "127.0.0.1"},
        {"imap_port", ADMIN_F_PORT, "143"},
        {"imap_secure", ADMIN_F_SECURE, "TLS"},
        {"imap_short_login", ADMIN_F_BOOL, "Off"},
        {"smtp_host", ADMIN_F_HOST, "127.0.0.1"},
        {"smtp_port", ADMIN_F_PORT, "587"},
        {"smtp_secure", ADMIN_F_SECURE, "TLS"},
        {"smtp_short_login", ADMIN_F_BOOL, "Off"},
        {"smtp_auth", ADMIN_F_BOOL, "On"},
        {"smtp_set_sender", ADMIN_F_BOOL, "Off"},
        {"relay_user", ADMIN_F_TEXT, ""},
        {"relay_password", ADMIN_F_SECRET, ""},
        {"sieve_use", ADMIN_F_BOOL, "Off"},
        {"sieve_allow_raw", ADMIN_F_BOOL, "Off"},
        {"sieve_host", ADMIN_F_HOST, "127.0.0.1"},
        {"sieve_port", ADMIN_F_PORT, "4190"},
        {"sieve_secure", ADMIN_F_SECURE, "None"},
        {"white_list", ADMIN_F_TEXT, ""},
        {"verify_certificate", ADMIN_F_BOOL, "On"},
        {"ca_file", ADMIN_F_TEXT, ""},
        {"connect_timeout", ADMIN_F_TIMEOUT, "10"},
        {"read_timeout", ADMIN_F_TIMEOUT, "60"},
};
const size_t admin_domain_field_count = PT_NELEM(admin_domain_fields);

#define TEXT_MAX 1024

/* ---- validators ------------------------------------------------------ */

bool
admin_valid_host(struct strv s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char tmp[64];
	size_t i, label = 0;

	if (s.len == 0 || s.len > 253 || strv_has_ctl(s, false))
		return false;
	if (s.p[0] == '[') {
		if (s.len < 3 || s.p[s.len - 1] != ']' ||
		    s.len - 2 >= sizeof(tmp))
			return false;
		memcpy(tmp, s.p + 1, s.len - 2);
		tmp[s.len - 2] = '\0';
		return inet_pton(AF_INET6, tmp, buf) == 1;
	}
	if (s.len < sizeof(tmp)) {
		memcpy(tmp, s.p, s.len);
		tmp[s.len] = '\0';
		if (inet_pton(AF_INET6, tmp, buf) == 1)
			return true;
	}
	/* RFC 1123 host name: labels of letters, digits and inner '-'. */
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (c == '.') {
			if (label == 0 || s.p[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s.p[s.len - 1] != '-';
}

bool
admin_valid_uint(struct strv s, unsigned min, unsigned max, unsigned *v_r)
{
	uint64_t v;

	s = strv_trim(s);
	if (!pt_parse_u64(s, max, &v) || v < min)
		return false;
	if (v_r != NULL)
		*v_r = (unsigned)v;
	return true;
}

bool
admin_valid_port(struct strv s, unsigned *port_r)
{
	return admin_valid_uint(s, 1, 65535, port_r);
}

bool
admin_valid_secure(struct strv s, const char **canon_r)
{
	static const char *const names[] = {"None", "SSL", "TLS"};
	size_t i;

	s = strv_trim(s);
	for (i = 0; i < PT_NELEM(names); i++) {
		if (strv_eq_ci_ascii(s, strv_from_cstr(names[i]))) {
			if (canon_r != NULL)
				*canon_r = names[i];
			return true;
		}
	}
	return false;
}

bool
admin_valid_bool(struct strv s, const char **canon_r)
{
	bool b;

	if (!ini_parse_bool(strv_trim(s), &b))
		return false;
	if (canon_r != NULL)
		*canon_r = b ? "On" : "Off";
	return true;
}

bool
admin_domain_name_ok(struct strv s)
{
	size_t i;

	/* "default" is default.ini: editable, never deleted. */
	if (s.len == 0 || s.len > 253 || s.p[0] == '.' ||
	    s.p[s.len - 1] == '.' || strv_eq_cstr(s, "disabled"))
		return false;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == '*'))
			return false;
		if (c == '.' && i > 0 && s.p[i - 1] == '.')
			return false;
	}
	return true;
}

/* ---- forms ----------------------------------------------------------- */

struct admin_domain_form *
admin_domain_form_new(struct arena *a)
{
	struct admin_domain_form *f = arena_new(a, struct admin_domain_form);
	size_t i;

	if (f == NULL)
		return NULL;
	f->values = arena_new_array(a, const char *, admin_domain_field_count);
	f->errors = arena_new_array(a, const char *, admin_domain_field_count);
	if (f->values == NULL || f->errors == NULL)
		return NULL;
	f->name = "";
	for (i = 0; i < admin_domain_field_count; i++)
		f->values[i] = admin_domain_fields[i].def;
	return f;
}

/* Where each form field lives in the typed struct config_domain. */
static const struct {
	const char *key;
	size_t off;
} typed_fields[] = {
#define F(x)                                                                   \
	{                                                                      \
#x, offsetof(struct config_domain, x)                          \
	}
        F(imap_host),          F(imap_port),        F(imap_secure),
        F(imap_short_login),   F(smtp_host),        F(smtp_port),
        F(smtp_secure),        F(smtp_short_login), F(smtp_auth),
        F(smtp_set_sender),    F(relay_user),       F(relay_password),
        F(sieve_use),          F(sieve_allow_raw),  F(sieve_host),
        F(sieve_port),         F(sieve_secure),     F(white_list),
        F(verify_certificate), F(ca_file),          F(connect_timeout),
        F(read_timeout),
#undef F
};

/* The file that defines name, or a new .ini's path (PERR_NOTFOUND). */
static int
find_file(const struct config_paths *paths, const char *name, struct arena *a,
          char **path_r, enum config_domain_format *format_r, struct perr *err)
{
	if (!admin_domain_name_ok(strv_from_cstr(name)))
		return perr_set(err, a, PERR_NOTFOUND, "no such domain");
	if (config_domain_file_find(paths->domains_dir, name, a, path_r,
	                            format_r, err) == 0)
		return 0;
	if (err->kind == PERR_NOTFOUND) {
		*path_r =
		        arena_printf(a, "%s/%s.ini", paths->domains_dir, name);
		*format_r = CONFIG_DOMAIN_INI;
		if (*path_r == NULL)
			return perr_set(err, a, PERR_LIMIT, "out of memory");
		err->msg = "no such domain";
	}
	return -1;
}

/* A typed domain's values as form text (secrets left empty). */
static void
form_from_typed(struct admin_domain_form *f, const struct config_domain *d,
                struct arena *a)
{
	size_t i, k;

	for (i = 0; i < admin_domain_field_count; i++) {
		const char *base = (const char *)d;
		const void *v = NULL;

		for (k = 0; k < PT_NELEM(typed_fields); k++)
			if (strcmp(typed_fields[k].key,
			           admin_domain_fields[i].key) == 0)
				v = base + typed_fields[k].off;
		PT_ASSERT(v != NULL);
		switch (admin_domain_fields[i].type) {
		case ADMIN_F_PORT:
		case ADMIN_F_TIMEOUT:
			f->values[i] =
			        arena_printf(a, "%u", *(const unsigned *)v);
			break;
		case ADMIN_F_SECURE:
			f->values[i] = config_secure_name(
			        *(const enum config_secure *)v);
			break;
		case ADMIN_F_BOOL:
			f->values[i] = *(const bool *)v ? "On" : "Off";
			break;
		case ADMIN_F_SECRET:
			f->values[i] = ""; /* never sent back to the browser */
			break;
		case ADMIN_F_HOST:
		case ADMIN_F_TEXT:
			f->values[i] = *(const char *const *)v;
			break;
		}
	}
}

static int
load_json_form(const char *path, const char *name, struct arena *a,
               struct admin_domain_form *f, struct perr *err)
{
	struct config_domain d;

	if (config_domain_read(path, CONFIG_DOMAIN_JSON, name, NULL, NULL, &d,
	                       a, err) != 0)
		return -1;
	form_from_typed(f, &d, a);
	return 0;
}

static int
load_ini_form(const char *path, struct arena *a, struct admin_domain_form *f,
              struct perr *err)
{
	struct ini_doc *doc = NULL;
	struct ini_entry e;
	size_t i;

	if (ini_load(path, NULL, NULL, &doc, a, err) != 0)
		return -1;
	for (i = 0; i < admin_domain_field_count; i++) {
		if (!ini_get(doc, "", admin_domain_fields[i].key, &e))
			continue;
		if (admin_domain_fields[i].type == ADMIN_F_SECRET) {
			/* Never sent back to the browser. */
			f->values[i] = "";
			continue;
		}
		f->values[i] = strv_dup(a, e.value);
	}
	if (ini_get(doc, "", "disabled", &e)) {
		bool b = false;

		f->disabled = ini_parse_bool(e.value, &b) && b;
	}
	ini_destroy(&doc);
	return 0;
}

int
admin_domain_form_load(const struct config_paths *paths, const char *name,
                       struct arena *a, struct admin_domain_form **form_r,
                       struct perr *err)
{
	struct admin_domain_form *f;
	enum config_domain_format fmt;
	char *path;
	int r;

	if (find_file(paths, name, a, &path, &fmt, err) != 0)
		return -1;
	f = admin_domain_form_new(a);
	if (f == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	f->name = arena_strdup(a, name);
	switch (fmt) {
	case CONFIG_DOMAIN_JSON:
		r = load_json_form(path, name, a, f, err);
		break;
	case CONFIG_DOMAIN_INI:
		r = load_ini_form(path, a, f, err);
		break;
	default:
		return perr_set(err, a, PERR_INPUT,
		                "%s is an alias (%s): edit the domain it names",
		                name, path);
	}
	if (r != 0)
		return -1;
	if (config_disabled_listed(paths->domains_dir, name, a))
		f->disabled = true;
	*form_r = f;
	return 0;
}

bool
admin_domain_form_validate(struct admin_domain_form *f)
{
	bool ok = true;
	size_t i;

	if (f->name == NULL || !admin_domain_name_ok(strv_from_cstr(f->name))) {
		f->name_error = "L_ADMIN_ERR_DOMAIN_NAME";
		ok = false;
	}
	for (i = 0; i < admin_domain_field_count; i++) {
		struct strv v = strv_from_cstr(
		        f->values[i] != NULL ? f->values[i] : "");
		const char *canon = NULL, *e = NULL;

		switch (admin_domain_fields[i].type) {
		case ADMIN_F_HOST:
			if (!admin_valid_host(strv_trim(v)))
				e = "L_ADMIN_ERR_HOST";
			break;
		case ADMIN_F_PORT:
			if (!admin_valid_port(v, NULL))
				e = "L_ADMIN_ERR_PORT";
			break;
		case ADMIN_F_SECURE:
			if (!admin_valid_secure(v, &canon))
				e = "L_ADMIN_ERR_SECURE";
			break;
		case ADMIN_F_BOOL:
			if (!admin_valid_bool(v, &canon))
				e = "L_ADMIN_ERR_BOOL";
			break;
		case ADMIN_F_TIMEOUT:
			if (!admin_valid_uint(v, 1, 600, NULL))
				e = "L_ADMIN_ERR_TIMEOUT";
			break;
		case ADMIN_F_TEXT:
		case ADMIN_F_SECRET:
			if (v.len > TEXT_MAX || strv_has_ctl(v, false) ||
			    !codec_utf8_valid(v))
				e = "L_ADMIN_ERR_TEXT";
			break;
		}
		if (canon != NULL)
			f->values[i] = canon;
		f->errors[i] = e;
		if (e != NULL)
			ok = false;
	}
	return ok;
}

static int
save_doc(struct ini_doc *doc, const char *path, struct arena *a,
         struct perr *err)
{
	int r = ini_save(doc, path, 0640, err);

	if (r != 0 && err->msg != NULL)
		err->msg = arena_strdup(a, err->msg);
	ini_destroy(&doc);
	return r;
}

static int
save_ini(const char *path, const struct admin_domain_form *f, struct arena *a,
         struct perr *err)
{
	struct ini_doc *doc = NULL;
	size_t i;

	if (ini_load(path, NULL, NULL, &doc, a, err) != 0) {
		if (err->kind != PERR_NOTFOUND)
			return -1;
		perr_clear(err);
		doc = ini_create(path);
	}
	for (i = 0; i < admin_domain_field_count; i++) {
		const struct admin_domain_field *fd = &admin_domain_fields[i];
		struct strv v = strv_trim(strv_from_cstr(f->values[i]));
		int r;

		if (fd->type == ADMIN_F_SECRET && v.len == 0)
			continue; /* keep the stored secret */
		switch (fd->type) {
		case ADMIN_F_PORT:
		case ADMIN_F_TIMEOUT: {
			unsigned u = 0;

			(void)admin_valid_uint(v, 0, 65535, &u);
			r = ini_set_uint(doc, "", fd->key, u, err);
			break;
		}
		case ADMIN_F_BOOL: {
			bool b = false;

			if (!ini_parse_bool(v, &b))
				b = false; /* validated before */
			r = ini_set_bool(doc, "", fd->key, b, err);
			break;
		}
		default:
			r = ini_set(doc, "", fd->key, v, err);
			break;
		}
		if (r != 0) {
			err->msg = arena_strdup(a, err->msg);
			ini_destroy(&doc);
			return -1;
		}
	}
	if (ini_set_bool(doc, "", "disabled", f->disabled, err) != 0) {
		err->msg = arena_strdup(a, err->msg);
		ini_destroy(&doc);
		return -1;
	}
	return save_doc(doc, path, a, err);
}

/*
 * Where a form field goes in SnappyMail's JSON. Keys SnappyMail has no
 * place for go to the "petrel" object, which SnappyMail ignores.
 */
static const struct {
	const char *key, *obj, *json;
} json_map[] = {
        {"imap_host", "IMAP", "host"},
        {"imap_port", "IMAP", "port"},
        {"imap_secure", "IMAP", "type"},
        {"imap_short_login", "IMAP", "shortLogin"},
        {"read_timeout", "IMAP", "timeout"},
        {"smtp_host", "SMTP", "host"},
        {"smtp_port", "SMTP", "port"},
        {"smtp_secure", "SMTP", "type"},
        {"smtp_short_login", "SMTP", "shortLogin"},
        {"smtp_auth", "SMTP", "useAuth"},
        {"smtp_set_sender", "SMTP", "setSender"},
        {"sieve_use", "Sieve", "enabled"},
        {"sieve_host", "Sieve", "host"},
        {"sieve_port", "Sieve", "port"},
        {"sieve_secure", "Sieve", "type"},
        {"white_list", "", "whiteList"},
        {"sieve_allow_raw", "petrel", "sieve_allow_raw"},
        {"relay_user", "petrel", "relay_user"},
        {"relay_password", "petrel", "relay_password"},
        {"ca_file", "petrel", "ca_file"},
        {"connect_timeout", "petrel", "connect_timeout"},
};

static void
json_set_field(struct config_json_doc *doc, const struct admin_domain_field *fd,
               struct strv v, struct arena *a)
{
	static const char *const ssl_objs[] = {"IMAP.ssl", "SMTP.ssl",
	                                       "Sieve.ssl"};
	const char *canon = NULL;
	unsigned u = 0;
	bool b = false;
	size_t k;

	if (strcmp(fd->key, "verify_certificate") == 0) {
		if (!ini_parse_bool(v, &b))
			b = true; /* validated before */
		for (k = 0; k < PT_NELEM(ssl_objs); k++) {
			config_json_set_bool(doc, ssl_objs[k], "verify_peer",
			                     b);
			config_json_set_bool(doc, ssl_objs[k],
			                     "verify_peer_name", b);
		}
		return;
	}
	for (k = 0; k < PT_NELEM(json_map); k++)
		if (strcmp(json_map[k].key, fd->key) == 0)
			break;
	PT_ASSERT(k < PT_NELEM(json_map));
	switch (fd->type) {
	case ADMIN_F_PORT:
	case ADMIN_F_TIMEOUT:
		(void)admin_valid_uint(v, 0, 65535, &u);
		config_json_set_int(doc, json_map[k].obj, json_map[k].json, u);
		break;
	case ADMIN_F_BOOL:
		if (!ini_parse_bool(v, &b))
			b = false; /* validated before */
		config_json_set_bool(doc, json_map[k].obj, json_map[k].json, b);
		break;
	case ADMIN_F_SECURE:
		/* SnappyMail's numbers: 0 none, 1 SSL/TLS, 2 STARTTLS. */
		if (!admin_valid_secure(v, &canon))
			canon = "None"; /* validated before */
		config_json_set_int(doc, json_map[k].obj, json_map[k].json,
		                    strcmp(canon, "SSL") == 0   ? 1
		                    : strcmp(canon, "TLS") == 0 ? 2
		                                                : 0);
		break;
	default:
		config_json_set_str(doc, json_map[k].obj, json_map[k].json,
		                    strv_dup(a, v));
		break;
	}
}

/*
 * Only the values the admin changed are written: a SnappyMail "type": 9
 * (auto-detect), which the form shows as what it resolved to, stays 9
 * unless the admin picks another security.
 */
static int
save_json(const struct config_paths *paths, const char *path,
          const struct admin_domain_form *f, struct arena *a, struct perr *err)
{
	struct admin_domain_form *old;
	struct config_json_doc *doc;
	bool listed;
	size_t i;
	int r;

	old = admin_domain_form_new(a);
	if (old == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (load_json_form(path, f->name, a, old, err) != 0 ||
	    config_json_load(path, a, &doc, err) != 0)
		return -1;
	for (i = 0; i < admin_domain_field_count; i++) {
		const struct admin_domain_field *fd = &admin_domain_fields[i];
		struct strv v = strv_trim(strv_from_cstr(f->values[i]));

		if (fd->type == ADMIN_F_SECRET
		            ? v.len == 0
		            : strv_eq_cstr(v, old->values[i]))
			continue;
		json_set_field(doc, fd, v, a);
	}
	r = config_json_save(doc, path, a, err);
	config_json_destroy(&doc);
	if (r != 0)
		return -1;
	listed = config_disabled_listed(paths->domains_dir, f->name, a);
	if (listed != f->disabled)
		return config_disabled_set(paths->domains_dir, f->name,
		                           f->disabled, a, err);
	return 0;
}

int
admin_domain_save(const struct config_paths *paths,
                  const struct admin_domain_form *f, struct arena *a,
                  struct perr *err)
{
	enum config_domain_format fmt;
	char *path;

	if (find_file(paths, f->name, a, &path, &fmt, err) != 0) {
		if (err->kind != PERR_NOTFOUND)
			return -1;
		perr_clear(err); /* a new domain: an .ini */
	}
	switch (fmt) {
	case CONFIG_DOMAIN_JSON:
		return save_json(paths, path, f, a, err);
	case CONFIG_DOMAIN_INI:
		return save_ini(path, f, a, err);
	default:
		return perr_set(err, a, PERR_INPUT,
		                "%s is an alias (%s): edit the domain it names",
		                f->name, path);
	}
}

int
admin_domain_set_disabled(const struct config_paths *paths, const char *name,
                          bool disabled, struct arena *a, struct perr *err)
{
	struct ini_doc *doc = NULL;
	enum config_domain_format fmt;
	char *path;

	if (find_file(paths, name, a, &path, &fmt, err) != 0)
		return -1;
	/* Enabling clears both places a domain can be disabled in. */
	if ((fmt != CONFIG_DOMAIN_INI || !disabled) &&
	    (disabled || config_disabled_listed(paths->domains_dir, name, a)) &&
	    config_disabled_set(paths->domains_dir, name, disabled, a, err) !=
	            0)
		return -1;
	if (fmt != CONFIG_DOMAIN_INI)
		return 0;
	if (ini_load(path, NULL, NULL, &doc, a, err) != 0)
		return -1;
	if (ini_set_bool(doc, "", "disabled", disabled, err) != 0) {
		err->msg = arena_strdup(a, err->msg);
		ini_destroy(&doc);
		return -1;
	}
	return save_doc(doc, path, a, err);
}

int
admin_domain_delete(const struct config_paths *paths, const char *name,
                    struct arena *a, struct perr *err)
{
	enum config_domain_format fmt;
	char *path;

	if (strcmp(name, "default") == 0)
		return perr_set(err, a, PERR_INPUT,
		                "the default domain is the fallback for every "
		                "domain and cannot be deleted");
	if (find_file(paths, name, a, &path, &fmt, err) != 0)
		return -1;
	/*
	 * As SnappyMail's Delete: every file of the name goes (a .json's
	 * shadowed .ini would otherwise come back to life), and the name
	 * leaves the disabled list.
	 */
	do {
		if (unlink(path) != 0)
			return perr_set(err, a, PERR_INTERNAL,
			                "cannot delete %s: %s", path,
			                strerror(errno));
	} while (config_domain_file_find(paths->domains_dir, name, a, &path,
	                                 &fmt, err) == 0);
	perr_clear(err);
	if (config_disabled_listed(paths->domains_dir, name, a))
		return config_disabled_set(paths->domains_dir, name, false, a,
		                           err);
	return 0;
}
