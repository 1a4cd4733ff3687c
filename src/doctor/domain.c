/*
 * Every check for one mail domain, from its settings; and the CLI run
 * (`petrel doctor`) over the configured domains.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "doctor_private.h"
#include "admin/admin.h"
#include "core/banned.h"

/* "220 mail.example.com ESMTP" (or without the code): the host name. */
static const char *
greeting_name(const char *g, struct arena *a)
{
	size_t n;

	if (g == NULL)
		return NULL;
	while (isdigit((unsigned char)*g) || *g == '-' || *g == ' ')
		g++;
	for (n = 0; g[n] != '\0' && g[n] != ' '; n++)
		;
	return n > 0 ? arena_strndup(a, g, n) : NULL;
}

static const char *
probe_server(const struct config_domain *d, enum admin_proto proto,
             const char *host, unsigned port, enum config_secure sec,
             const char *id, const char *title, const char *why,
             struct arena *a, struct doctor_report *rep)
{
	struct admin_probe_opts o = {0};
	struct admin_probe_result r;

	o.proto = proto;
	o.host = host;
	o.port = port;
	o.secure = config_secure_name(sec);
	o.verify = d->verify_certificate;
	o.ca_file = d->ca_file;
	o.timeout_s = d->connect_timeout;
	admin_probe(&o, a, &r);
	if (r.ok) {
		doctor_add(rep, a, id, title, DOCTOR_OK, why, NULL,
		           "%s:%u (%s) answered in %u ms%s%s", host, port,
		           o.secure, r.ms, r.greeting != NULL ? ": " : "",
		           r.greeting != NULL ? r.greeting : "");
		return r.greeting;
	}
	doctor_add(rep, a, id, title, DOCTOR_PROBLEM, why,
	           /* admin's hints are catalog keys for the panel */
	           "Check that the server runs, and the host, port and "
	           "security in the domain's settings (admin panel, Domains, "
	           "or the domain's file).",
	           "%s:%u (%s): %s", host, port, o.secure,
	           r.error != NULL ? r.error : "no answer");
	return NULL;
}

void
doctor_check_domain(const struct config *cfg, const char *domain,
                    unsigned flags, struct arena *a, struct doctor_report *rep)
{
	const struct config_domain *d =
	        config_domain_for(cfg, strv_from_cstr(domain));
	struct dns_opts dopts = {0};
	struct doctor_dns_opts o = {0};
	struct dns_resolver *dns = NULL;
	struct perr err = {0};
	const char *helo = cfg->doctor.helo_name, *g;
	const char *sending[1];

	if (flags & DOCTOR_SERVERS) {
		(void)probe_server(
		        d, ADMIN_PROTO_IMAP, d->imap_host, d->imap_port,
		        d->imap_secure, "imap", "IMAP server",
		        "Users read their mail over IMAP; without it "
		        "nobody can sign in.",
		        a, rep);
		g = probe_server(
		        d, ADMIN_PROTO_SMTP, d->smtp_host, d->smtp_port,
		        d->smtp_secure, "submission", "SMTP submission",
		        "The webmail sends through this server; without "
		        "it nothing can be sent.",
		        a, rep);
		if (helo[0] == '\0')
			helo = greeting_name(g, a);
		if (d->sieve_use)
			(void)probe_server(d, ADMIN_PROTO_SIEVE, d->sieve_host,
			                   d->sieve_port, d->sieve_secure,
			                   "sieve", "ManageSieve server",
			                   "Filters and the vacation reply are "
			                   "kept on the ManageSieve server.",
			                   a, rep);
	}
	dopts.server = cfg->dns.resolver;
	dopts.timeout_ms = cfg->dns.timeout * 1000;
	dopts.cache_seconds = cfg->dns.cache_seconds;
	if (dns_resolver_create(&dopts, &dns, a, &err) != 0) {
		doctor_add(rep, a, "dns", "DNS resolver", DOCTOR_PROBLEM,
		           "Every record check needs a resolver.",
		           "Set [dns] resolver in application.ini to a "
		           "resolver's address, e.g. 127.0.0.1:53.",
		           "%s", err.msg);
		return;
	}
	o.domain = domain;
	o.dns = dns;
	o.dkim_selector = cfg->doctor.dkim_selector;
	if (cfg->doctor.sending_ip[0] != '\0') {
		sending[0] = cfg->doctor.sending_ip;
		o.sending_ips = sending;
		o.sending_ip_count = 1;
	}
	o.sending_host = d->smtp_host;
	o.helo_name = helo;
	doctor_check_dns(&o, a, rep);
	if ((flags & DOCTOR_PORT25) && rep->dns_seen)
		doctor_check_port25(dns, cfg->doctor.smtp_test_domain,
		                    cfg->doctor.smtp_test_port,
		                    cfg->doctor.smtp_test_timeout,
		                    helo != NULL && helo[0] != '\0' ? helo
		                                                    : domain,
		                    a, rep);
	dns_resolver_free(&dns);
}
