/*
 * Admin pages for domains: the list with "which config does user@x use",
 * the edit form with its connection test, delete and enable/disable.
 */
#include <string.h>

#include "web_private.h"
#include "admin/admin.h"
#include "net/net.h"
#include "core/banned.h"

#define NAME_MAX_LEN 253

static const char *
secure_label(enum config_secure s)
{
	return config_secure_name(s);
}

static void
add_domain_row(struct web_ctx *ctx, struct tmpl_dict *d,
               const struct config_domain *dom, bool is_default)
{
	struct tmpl_dict *s = tmpl_dict_add_section(d, "DOMAINS");

	tmpl_dict_set_cstr(s, "NAME", dom->name);
	tmpl_dict_setf(s, "IMAP", "%s:%u · %s", dom->imap_host, dom->imap_port,
	               secure_label(dom->imap_secure));
	tmpl_dict_setf(s, "SMTP", "%s:%u · %s", dom->smtp_host, dom->smtp_port,
	               secure_label(dom->smtp_secure));
	if (dom->sieve_use)
		tmpl_dict_setf(s, "SIEVE", "%s:%u", dom->sieve_host,
		               dom->sieve_port);
	else
		tmpl_dict_set_cstr(s, "SIEVE",
		                   i18n_get(ctx->lang, "L_ADMIN_OFF"));
	if (is_default)
		tmpl_dict_show_section(s, "IS_DEFAULT");
	else
		tmpl_dict_show_section(s, "CAN_DELETE");
	if (dom->file[0] == '\0')
		tmpl_dict_show_section(s, "BUILTIN");
	else
		tmpl_dict_show_section(s, "EDITABLE");
	if (dom->disabled)
		tmpl_dict_show_section(s, "DISABLED");
	else
		tmpl_dict_show_section(s, "ENABLED");
}

static void
lookup(struct web_ctx *ctx, struct tmpl_dict *d, struct strv email)
{
	struct strv user, domain, full;
	const struct config_domain *dom;
	struct perr e = {0};
	struct tmpl_dict *s;

	tmpl_dict_set(d, "LOOKUP_EMAIL", email);
	if (email.len == 0)
		return;
	s = tmpl_dict_add_section(d, "LOOKUP");
	if (email.len > 320 ||
	    config_login_split(ctx->config, email, ctx->req->arena, &user,
	                       &domain, &full, &e) != 0) {
		tmpl_dict_set_value_and_show_section(
		        s, "TEXT",
		        strv_from_cstr(
		                i18n_get(ctx->lang, "L_ADMIN_LOOKUP_BAD")),
		        "LOOKUP_ERROR");
		return;
	}
	dom = config_domain_for(ctx->config, domain);
	tmpl_dict_set(s, "EMAIL", full);
	tmpl_dict_set_cstr(s, "USES", dom->name);
	tmpl_dict_set_cstr(s, "FILE",
	                   dom->file[0] != '\0'
	                           ? dom->file
	                           : i18n_get(ctx->lang, "L_ADMIN_BUILTIN"));
	tmpl_dict_setf(s, "IMAP", "%s:%u · %s", dom->imap_host, dom->imap_port,
	               secure_label(dom->imap_secure));
	if (dom->disabled)
		tmpl_dict_show_section(s, "LOOKUP_DISABLED");
	else if (!config_domain_allows(dom, full))
		tmpl_dict_show_section(s, "LOOKUP_NOT_LISTED");
	else
		tmpl_dict_show_section(s, "LOOKUP_OK");
}

int
web_admin_domains(struct web_ctx *ctx, struct perr *err)
{
	struct tmpl_dict *d =
	        web_admin_page_dict(ctx, "L_ADMIN_NAV_DOMAINS", "domains");
	struct strv email = STRV_NULL;
	size_t i;

	add_domain_row(ctx, d, ctx->config->default_domain, true);
	for (i = 0; i < ctx->config->domain_count; i++)
		add_domain_row(ctx, d, &ctx->config->domains[i], false);
	(void)http_request_query(ctx->req, "email", &email);
	lookup(ctx, d, strv_trim(email));
	return web_render_page(ctx, 200, "admin/domains.tpl", d, err);
}

/* ---- the form -------------------------------------------------------- */

static const char *
group_of(const char *key)
{
	if (strncmp(key, "imap_", 5) == 0)
		return "IMAP";
	if (strncmp(key, "smtp_", 5) == 0 || strncmp(key, "relay_", 6) == 0)
		return "SMTP";
	if (strncmp(key, "sieve_", 6) == 0)
		return "SIEVE";
	return "OTHER";
}

static void
add_field(struct web_ctx *ctx, struct tmpl_dict *g,
          const struct admin_domain_form *f, size_t i)
{
	static const char *const secure[] = {"None", "SSL", "TLS"};
	static const char *const onoff[] = {"On", "Off"};
	const struct admin_domain_field *fd = &admin_domain_fields[i];
	struct tmpl_dict *s = tmpl_dict_add_section(g, "FIELDS");
	const char *label =
	        web_admin_label_key(ctx->req->arena, "L_ADMIN_F_", fd->key);
	const char *const *opts = NULL;
	size_t nopts = 0, j;

	tmpl_dict_set_cstr(s, "NAME", fd->key);
	tmpl_dict_set_cstr(s, "LABEL",
	                   label != NULL ? i18n_get(ctx->lang, label)
	                                 : fd->key);
	tmpl_dict_set_cstr(s, "VALUE",
	                   f->values[i] != NULL ? f->values[i] : "");
	if (f->errors[i] != NULL)
		tmpl_dict_set_value_and_show_section(
		        s, "TEXT",
		        strv_from_cstr(i18n_get(ctx->lang, f->errors[i])),
		        "ERROR");
	switch (fd->type) {
	case ADMIN_F_SECURE:
		opts = secure;
		nopts = PT_NELEM(secure);
		break;
	case ADMIN_F_BOOL:
		opts = onoff;
		nopts = PT_NELEM(onoff);
		break;
	case ADMIN_F_PORT:
	case ADMIN_F_TIMEOUT:
		tmpl_dict_set_value_and_show_section(
		        s, "TYPE", STRV_LIT("number"), "INPUT");
		return;
	case ADMIN_F_SECRET:
		tmpl_dict_set_value_and_show_section(
		        s, "TYPE", STRV_LIT("password"), "INPUT");
		tmpl_dict_set_cstr(s, "VALUE", "");
		return;
	default:
		tmpl_dict_set_value_and_show_section(s, "TYPE",
		                                     STRV_LIT("text"), "INPUT");
		return;
	}
	{
		struct tmpl_dict *sel = tmpl_dict_add_section(s, "SELECT");

		for (j = 0; j < nopts; j++) {
			struct tmpl_dict *o =
			        tmpl_dict_add_section(sel, "OPTIONS");

			tmpl_dict_set_cstr(o, "OPT", opts[j]);
			if (f->values[i] != NULL &&
			    strcmp(f->values[i], opts[j]) == 0)
				tmpl_dict_show_section(o, "SELECTED");
		}
	}
}

static void
add_probe(struct web_ctx *ctx, struct tmpl_dict *d, const char *proto,
          const struct admin_probe_result *r)
{
	struct tmpl_dict *s = tmpl_dict_add_section(d, "PROBES");
	struct strv rest, w;

	tmpl_dict_set_cstr(s, "PROTO", proto);
	tmpl_dict_set_int(s, "MS", r->ms);
	tmpl_dict_show_section(s, r->ok ? "PROBE_OK" : "PROBE_FAIL");
	if (r->greeting != NULL)
		tmpl_dict_set_value_and_show_section(
		        s, "TEXT", strv_from_cstr(r->greeting), "GREETING");
	if (r->capabilities != NULL) {
		rest = strv_from_cstr(r->capabilities);
		while (rest.len > 0) {
			(void)strv_split_once(rest, ' ', &w, &rest);
			if (w.len > 0)
				tmpl_dict_set_value_and_show_section(s, "CAP",
				                                     w, "CAPS");
		}
	}
	if (r->tls) {
		struct tmpl_dict *t = tmpl_dict_add_section(s, "TLS");

		tmpl_dict_set_cstr(t, "VERSION", r->tls_version);
		tmpl_dict_set_cstr(t, "SUBJECT", r->tls_subject);
		tmpl_dict_set_cstr(t, "ISSUER", r->tls_issuer);
		tmpl_dict_set_cstr(t, "NOT_AFTER", r->tls_not_after);
		if (r->tls_verified)
			tmpl_dict_show_section(t, "VERIFIED");
		else
			tmpl_dict_set_value_and_show_section(
			        t, "TEXT",
			        strv_from_cstr(r->tls_verify_error != NULL
			                               ? r->tls_verify_error
			                               : "?"),
			        "NOT_VERIFIED");
	} else if (r->ok) {
		tmpl_dict_show_section(s, "PLAIN");
	}
	if (r->error != NULL)
		tmpl_dict_set_value_and_show_section(
		        s, "TEXT", strv_from_cstr(r->error), "PROBE_ERROR");
	if (r->hint != NULL)
		tmpl_dict_set_value_and_show_section(
		        s, "TEXT", strv_from_cstr(i18n_get(ctx->lang, r->hint)),
		        "HINT");
	if (r->login == 1)
		tmpl_dict_show_section(s, "LOGIN_OK");
	else if (r->login == 0)
		tmpl_dict_set_value_and_show_section(
		        s, "TEXT", strv_from_cstr(r->login_error),
		        "LOGIN_FAIL");
}

static const char *
value_of(const struct admin_domain_form *f, const char *key)
{
	size_t i;

	for (i = 0; i < admin_domain_field_count; i++)
		if (strcmp(admin_domain_fields[i].key, key) == 0)
			return f->values[i] != NULL ? f->values[i] : "";
	return "";
}

static bool
field_ok(const struct admin_domain_form *f, const char *key)
{
	size_t i;

	for (i = 0; i < admin_domain_field_count; i++)
		if (strcmp(admin_domain_fields[i].key, key) == 0)
			return f->errors[i] == NULL;
	return false;
}

/* Probe one protocol if its host, port and security fields are valid. */
static void
run_probe(struct web_ctx *ctx, struct tmpl_dict *d,
          const struct admin_domain_form *f, enum admin_proto proto,
          const char *prefix, const char *label)
{
	struct admin_probe_opts o = {0};
	struct admin_probe_result r;
	char host[16], port[16], sec[16];
	unsigned p = 0, timeout = 10;
	bool verify = true;
	struct strv tu, tp;

	if (!pt_snprintf_ok(host, sizeof(host), "%s_host", prefix) ||
	    !pt_snprintf_ok(port, sizeof(port), "%s_port", prefix) ||
	    !pt_snprintf_ok(sec, sizeof(sec), "%s_secure", prefix))
		return;
	if (!field_ok(f, host) || !field_ok(f, port) || !field_ok(f, sec))
		return;
	(void)admin_valid_port(strv_from_cstr(value_of(f, port)), &p);
	(void)admin_valid_uint(strv_from_cstr(value_of(f, "connect_timeout")),
	                       1, 600, &timeout);
	if (!ini_parse_bool(strv_from_cstr(value_of(f, "verify_certificate")),
	                    &verify))
		verify = true;
	o.proto = proto;
	o.host = value_of(f, host);
	o.port = p;
	o.secure = value_of(f, sec);
	o.verify = verify;
	o.ca_file = field_ok(f, "ca_file") ? value_of(f, "ca_file") : NULL;
	o.timeout_s = timeout > 15 ? 15 : timeout;
	if (http_request_form(ctx->req, "test_user", &tu) &&
	    http_request_form(ctx->req, "test_password", &tp) && tu.len > 0 &&
	    net_value_is_safe(tu) && net_value_is_safe(tp)) {
		o.login_user = tu.p;
		o.login_password = tp.p;
	}
	admin_probe(&o, ctx->req->arena, &r);
	add_probe(ctx, d, label, &r);
}

static int
render_form(struct web_ctx *ctx, int status, struct admin_domain_form *f,
            bool is_new, bool probe, struct perr *err)
{
	struct tmpl_dict *d =
	        web_admin_page_dict(ctx, "L_ADMIN_DOMAIN_TITLE", "domains");
	static const char *const groups[] = {"IMAP", "SMTP", "SIEVE", "OTHER"};
	struct strv tu = STRV_NULL;
	size_t g, i;

	tmpl_dict_set_cstr(d, "NAME", f->name != NULL ? f->name : "");
	if (f->name_error != NULL)
		tmpl_dict_set_value_and_show_section(
		        d, "TEXT",
		        strv_from_cstr(i18n_get(ctx->lang, f->name_error)),
		        "NAME_ERROR");
	tmpl_dict_show_section(d, is_new ? "IS_NEW" : "IS_EDIT");
	for (g = 0; g < PT_NELEM(groups); g++) {
		struct tmpl_dict *gs = tmpl_dict_add_section(d, "GROUPS");
		char *title = web_admin_label_key(ctx->req->arena,
		                                  "L_ADMIN_GROUP_", groups[g]);

		tmpl_dict_set_cstr(gs, "GROUP", groups[g]);
		tmpl_dict_set_cstr(gs, "TITLE",
		                   title != NULL ? i18n_get(ctx->lang, title)
		                                 : groups[g]);
		for (i = 0; i < admin_domain_field_count; i++)
			if (strcmp(group_of(admin_domain_fields[i].key),
			           groups[g]) == 0)
				add_field(ctx, gs, f, i);
	}
	(void)http_request_form(ctx->req, "test_user", &tu);
	tmpl_dict_set(d, "TEST_USER", tu);
	if (probe) {
		tmpl_dict_show_section(d, "PROBED");
		run_probe(ctx, d, f, ADMIN_PROTO_IMAP, "imap", "IMAP");
		run_probe(ctx, d, f, ADMIN_PROTO_SMTP, "smtp", "SMTP");
		run_probe(ctx, d, f, ADMIN_PROTO_SIEVE, "sieve", "ManageSieve");
	}
	return web_render_page(ctx, status, "admin/domain.tpl", d, err);
}

int
web_admin_domain_edit(struct web_ctx *ctx, struct perr *err)
{
	struct admin_domain_form *f = NULL;
	struct strv name = STRV_NULL;

	if (!http_request_query(ctx->req, "name", &name) || name.len == 0) {
		f = admin_domain_form_new(ctx->req->arena);
		if (f == NULL)
			return perr_set(err, ctx->req->arena, PERR_LIMIT,
			                "out of memory");
		return render_form(ctx, 200, f, true, false, err);
	}
	if (admin_domain_form_load(&ctx->config->paths, name.p, ctx->req->arena,
	                           &f, err) != 0) {
		if (err->kind == PERR_NOTFOUND &&
		    strv_eq_cstr(name, "default")) {
			/* No default.ini yet: start from the defaults. */
			perr_clear(err);
			f = admin_domain_form_new(ctx->req->arena);
			if (f == NULL)
				return perr_set(err, ctx->req->arena,
				                PERR_LIMIT, "out of memory");
			f->name = "default";
		} else {
			return -1;
		}
	}
	return render_form(ctx, 200, f, false, false, err);
}

static void
lower_in_place(char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		*s = pt_ascii_tolower(*s);
}

int
web_admin_domain_save(struct web_ctx *ctx, struct perr *err)
{
	struct admin_domain_form *f, *old = NULL;
	struct strv orig = STRV_NULL, name = STRV_NULL;
	struct perr e = {0};
	struct sbuf changed;
	const char *action = web_admin_field(ctx, "action");
	bool is_new, valid;
	size_t i;
	char *nm;

	f = admin_domain_form_new(ctx->req->arena);
	if (f == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of memory");
	(void)http_request_form(ctx->req, "orig", &orig);
	(void)http_request_form(ctx->req, "name", &name);
	is_new = orig.len == 0;
	nm = strv_dup(ctx->req->arena, strv_trim(is_new ? name : orig));
	lower_in_place(nm);
	f->name = nm != NULL ? nm : "";
	for (i = 0; i < admin_domain_field_count; i++)
		f->values[i] = web_admin_field(ctx, admin_domain_fields[i].key);
	valid = admin_domain_form_validate(f);
	if (f->name_error == NULL && strlen(f->name) <= NAME_MAX_LEN &&
	    admin_domain_form_load(&ctx->config->paths, f->name,
	                           ctx->req->arena, &old, &e) == 0) {
		f->disabled = old->disabled;
		if (is_new) {
			f->name_error = "L_ADMIN_ERR_DOMAIN_EXISTS";
			valid = false;
		}
	} else if (!is_new && e.kind == PERR_NOTFOUND &&
	           strcmp(f->name, "default") != 0) {
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no such domain");
	}
	if (strcmp(action, "test") == 0)
		return render_form(ctx, valid ? 200 : 400, f, is_new, true,
		                   err);
	if (!valid)
		return render_form(ctx, 400, f, is_new, false, err);
	if (admin_domain_save(&ctx->config->paths, f, ctx->req->arena, err) !=
	            0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	sbuf_init(&changed, ctx->req->arena, 256, 8192);
	for (i = 0; i < admin_domain_field_count; i++) {
		const char *was = old != NULL ? old->values[i] : NULL;

		if (admin_domain_fields[i].type == ADMIN_F_SECRET) {
			if (f->values[i][0] != '\0')
				sbuf_printf(&changed, " %s=(changed)",
				            admin_domain_fields[i].key);
			continue;
		}
		if (was == NULL || strcmp(was, f->values[i]) != 0)
			sbuf_printf(&changed, " %s=%s",
			            admin_domain_fields[i].key, f->values[i]);
	}
	web_admin_audit(ctx, is_new ? "domain.add" : "domain.edit", "%s:%s",
	                f->name,
	                changed.len > 0 ? sbuf_cstr(&changed) : " no change");
	return web_admin_redirect(ctx, ADMIN_PATH "/domains?saved=1", err);
}

int
web_admin_domain_delete(struct web_ctx *ctx, struct perr *err)
{
	const char *name = web_admin_field(ctx, "name");

	if (admin_domain_delete(&ctx->config->paths, name, ctx->req->arena,
	                        err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	web_admin_audit(ctx, "domain.delete", "%s", name);
	return web_admin_redirect(ctx, ADMIN_PATH "/domains?saved=1", err);
}

int
web_admin_domain_toggle(struct web_ctx *ctx, struct perr *err)
{
	const char *name = web_admin_field(ctx, "name");
	const char *canon = NULL;
	bool disabled;

	if (!admin_valid_bool(strv_from_cstr(web_admin_field(ctx, "disabled")),
	                      &canon))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "disabled must be On or Off");
	disabled = strcmp(canon, "On") == 0;
	if (admin_domain_set_disabled(&ctx->config->paths, name, disabled,
	                              ctx->req->arena, err) != 0 ||
	    web_admin_apply(ctx, err) != 0)
		return -1;
	web_admin_audit(ctx, disabled ? "domain.disable" : "domain.enable",
	                "%s", name);
	return web_admin_redirect(ctx, ADMIN_PATH "/domains?saved=1", err);
}
