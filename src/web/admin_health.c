/*
 * The admin's Domain health page (GET /admin/health?name=D): the checks
 * of src/doctor for one domain (its servers, DNS records and outgoing port
 * 25), each with its status, what was found, why it matters and the
 * record to add. The checks run when the page is asked for (a few seconds
 * at most: every step has a deadline, DNS answers are cached briefly).
 * The texts of the checks come from src/doctor in English.
 */
#include <string.h>

#include "web_private.h"
#include "doctor/doctor.h"
#include "core/banned.h"

static bool
checkable(const struct config_domain *dom)
{
	return strcmp(dom->name, "default") != 0 &&
	       strchr(dom->name, '*') == NULL && !dom->disabled;
}

static void
add_report(struct web_ctx *ctx, struct tmpl_dict *d, const char *name)
{
	static const char *const status_key[] = {"L_ADMIN_HEALTH_OK",
	                                         "L_ADMIN_HEALTH_WARNING",
	                                         "L_ADMIN_HEALTH_PROBLEM"};
	static const char *const status_class[] = {"pill-ok", "pill-warn",
	                                           "pill-off"};
	struct tmpl_dict *r = tmpl_dict_add_section(d, "REPORT");
	struct doctor_report rep;
	enum doctor_status worst;
	size_t i;

	doctor_report_init(&rep, name);
	doctor_check_domain(ctx->config, name, DOCTOR_SERVERS | DOCTOR_PORT25,
	                    ctx->req->arena, &rep);
	worst = doctor_report_worst(&rep);
	tmpl_dict_set_cstr(r, "DOMAIN", name);
	tmpl_dict_set_cstr(r, "OVERALL_CLASS", status_class[worst]);
	tmpl_dict_set_cstr(r, "OVERALL",
	                   i18n_get(ctx->lang, status_key[worst]));
	if (rep.resolver != NULL)
		tmpl_dict_set_cstr(r, "RESOLVER", rep.resolver);
	tmpl_dict_show_section(r, rep.dns_seen && rep.dnssec ? "DNSSEC_YES"
	                                                     : "DNSSEC_NO");
	for (i = 0; i < rep.count; i++) {
		const struct doctor_check *c = &rep.checks[i];
		struct tmpl_dict *s = tmpl_dict_add_section(r, "CHECKS");

		tmpl_dict_set_cstr(s, "ID", c->id);
		tmpl_dict_set_cstr(s, "TITLE", c->title);
		tmpl_dict_set_cstr(s, "STATUS", doctor_status_name(c->status));
		tmpl_dict_set_cstr(s, "STATUS_CLASS", status_class[c->status]);
		tmpl_dict_set_cstr(s, "STATUS_LABEL",
		                   i18n_get(ctx->lang, status_key[c->status]));
		tmpl_dict_set_cstr(s, "FOUND", c->found);
		if (c->status != DOCTOR_OK && c->why != NULL)
			tmpl_dict_set_value_and_show_section(
			        s, "TEXT", strv_from_cstr(c->why), "WHY");
		if (c->fix != NULL)
			tmpl_dict_set_value_and_show_section(
			        s, "TEXT", strv_from_cstr(c->fix), "FIX");
		/* A blocked port 25 is fixed in the domain's relay settings. */
		if (strcmp(c->id, "port25") == 0 && c->status != DOCTOR_OK)
			tmpl_dict_set_value_and_show_section(
			        s, "NAME", strv_from_cstr(name), "RELAY_LINK");
	}
}

int
web_admin_health(struct web_ctx *ctx, struct perr *err)
{
	struct tmpl_dict *d =
	        web_admin_page_dict(ctx, "L_ADMIN_NAV_HEALTH", "health");
	struct strv name = STRV_NULL;
	const char *chosen = NULL;
	size_t i;

	if (http_request_query(ctx->req, "name", &name)) {
		name = strv_trim(name);
		if (name.len > 0 && admin_domain_name_ok(name) &&
		    strv_find_char(name, '*') < 0 &&
		    !strv_eq_cstr(name, "default"))
			chosen = strv_dup(ctx->req->arena, name);
		else if (name.len > 0)
			tmpl_dict_show_section(d, "NAME_ERROR");
	}
	for (i = 0; i < ctx->config->domain_count; i++) {
		const struct config_domain *dom = &ctx->config->domains[i];
		struct tmpl_dict *s;

		if (!checkable(dom))
			continue;
		s = tmpl_dict_add_section(d, "DOMAINS");
		tmpl_dict_set_cstr(s, "NAME", dom->name);
		if (chosen != NULL && strcasecmp(chosen, dom->name) == 0)
			tmpl_dict_show_section(s, "SELECTED");
	}
	tmpl_dict_set_cstr(d, "NAME", chosen != NULL ? chosen : "");
	if (chosen != NULL)
		add_report(ctx, d, chosen);
	return web_render_page(ctx, 200, "admin/health.tpl", d, err);
}
