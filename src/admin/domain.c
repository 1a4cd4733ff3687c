/*
 * Domain files (DATA/_data_/_default_/domains/<name>.ini) as forms, and
 * the validators every admin form uses. Saving goes through the config
 * module's ini writer: atomic, keeps comments, order and unknown keys.
 */
#include <arpa/inet.h>
#include <errno.h>
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

static char *
domain_path(const struct config_paths *paths, const char *name, struct arena *a)
{
	return arena_printf(a, "%s/%s.ini", paths->domains_dir, name);
}

int
admin_domain_form_load(const struct config_paths *paths, const char *name,
                       struct arena *a, struct admin_domain_form **form_r,
                       struct perr *err)
{
	struct admin_domain_form *f;
	struct ini_doc *doc = NULL;
	struct ini_entry e;
	char *path;
	size_t i;

	if (!admin_domain_name_ok(strv_from_cstr(name)))
		return perr_set(err, a, PERR_NOTFOUND, "no such domain");
	f = admin_domain_form_new(a);
	path = domain_path(paths, name, a);
	if (f == NULL || path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (ini_load(path, NULL, NULL, &doc, a, err) != 0)
		return -1;
	f->name = arena_strdup(a, name);
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

int
admin_domain_save(const struct config_paths *paths,
                  const struct admin_domain_form *f, struct arena *a,
                  struct perr *err)
{
	struct ini_doc *doc = NULL;
	char *path = domain_path(paths, f->name, a);
	size_t i;

	if (path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
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

int
admin_domain_set_disabled(const struct config_paths *paths, const char *name,
                          bool disabled, struct arena *a, struct perr *err)
{
	struct ini_doc *doc = NULL;
	char *path;

	if (!admin_domain_name_ok(strv_from_cstr(name)))
		return perr_set(err, a, PERR_NOTFOUND, "no such domain");
	path = domain_path(paths, name, a);
	if (path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
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
	char *path;

	if (!admin_domain_name_ok(strv_from_cstr(name)))
		return perr_set(err, a, PERR_NOTFOUND, "no such domain");
	if (strcmp(name, "default") == 0)
		return perr_set(err, a, PERR_INPUT,
		                "default.ini is the fallback for every "
		                "domain and cannot be deleted");
	path = domain_path(paths, name, a);
	if (path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return perr_set(err, a, PERR_NOTFOUND,
			                "no such domain");
		return perr_set(err, a, PERR_INTERNAL, "cannot delete %s: %s",
		                path, strerror(errno));
	}
	return 0;
}
