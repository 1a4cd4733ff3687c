/*
 * doctor - the mail checks behind `petrel doctor` and the admin's Domain
 * health page: a domain's DNS records (MX, A/AAAA of mail. and webmail.,
 * SPF, DKIM, DMARC, PTR of the sending address), whether this server can
 * send on port 25, and whether the domain's IMAP, SMTP and ManageSieve
 * servers answer. Plain structs in and out; every check says what it
 * found, why it matters and what record to add or change.
 */
#ifndef PETREL_DOCTOR_H
#define PETREL_DOCTOR_H

#include <stdio.h>

#include "core/core.h"
#include "config/config.h"
#include "dns/dns.h"

enum doctor_status { DOCTOR_OK, DOCTOR_WARNING, DOCTOR_PROBLEM };

const char *doctor_status_name(enum doctor_status s); /* ok|warning|problem */

struct doctor_check {
	const char *id;    /* "mx", "spf", "dkim", ... (stable, for scripts) */
	const char *title; /* "MX record" */
	enum doctor_status status;
	const char *found; /* what was found, plain language */
	const char *why;   /* why it matters */
	const char *fix;   /* the record to add or the change; NULL when ok */
};

struct doctor_report {
	const char *domain;
	const char *resolver; /* the DNS server asked */
	bool dnssec;          /* every answer had the AD bit */
	bool dns_seen;        /* some DNS answer was read */
	struct doctor_check *checks;
	size_t count, cap;
};

void doctor_report_init(struct doctor_report *rep, const char *domain);
/* The worst status of the report's checks (OK when empty). */
enum doctor_status doctor_report_worst(const struct doctor_report *rep);
/* Append a check (strings copied into a); fmt is the "found" text. */
void doctor_add(struct doctor_report *rep, struct arena *a, const char *id,
                const char *title, enum doctor_status st, const char *why,
                const char *fix, const char *fmt, ...) PT_PRINTF(8, 9);

/* ---- DNS checks ------------------------------------------------------ */

struct doctor_dns_opts {
	const char *domain;
	struct dns_resolver *dns;
	const char *dkim_selector; /* NULL or "": "mail" */
	/*
	 * The addresses mail leaves from (for SPF and PTR). NULL/0: the
	 * addresses of sending_host, else of the domain's first MX host.
	 */
	const char *const *sending_ips;
	size_t sending_ip_count;
	const char *sending_host; /* the domain's SMTP host; may be NULL */
	/* The name the SMTP server greets with (for PTR); NULL: unknown. */
	const char *helo_name;
};

/* MX, A/AAAA, SPF, DKIM, DMARC and PTR checks appended to rep. */
void doctor_check_dns(const struct doctor_dns_opts *o, struct arena *a,
                      struct doctor_report *rep);

/* ---- SMTP on port 25 ------------------------------------------------- */

enum doctor_smtp_outcome {
	DOCTOR_SMTP_REACHABLE, /* banner 220, EHLO 250 */
	DOCTOR_SMTP_BLOCKED,   /* refused, timed out, or no banner */
	DOCTOR_SMTP_ERROR,     /* it answered, but not with 220/250 */
};

struct doctor_smtp_result {
	enum doctor_smtp_outcome outcome;
	const char *banner; /* the greeting line, or NULL */
	const char *detail; /* what happened, plain language */
	unsigned ms;
};

/*
 * Connect to addr:port (an IP address text), read the banner, EHLO
 * ehlo_name, QUIT, all within timeout_ms for each step. Reply lines are
 * read bounded (1000 bytes a line, 100 lines a reply).
 */
void doctor_smtp_try(const char *addr, unsigned port, const char *ehlo_name,
                     unsigned timeout_ms, struct arena *a,
                     struct doctor_smtp_result *res);

/*
 * "Can this server send mail directly?": the first MX of test_domain
 * (through dns), its address, then doctor_smtp_try on port. Appends the
 * check "port25".
 */
void doctor_check_port25(struct dns_resolver *dns, const char *test_domain,
                         unsigned port, unsigned timeout_s,
                         const char *ehlo_name, struct arena *a,
                         struct doctor_report *rep);

/* ---- everything for one domain --------------------------------------- */

#define DOCTOR_SERVERS 0x1 /* IMAP/SMTP/ManageSieve reachability */
#define DOCTOR_PORT25 0x2  /* outgoing port 25 */

/*
 * All checks for one mail domain with the settings in cfg (its domain
 * file, [dns] and [doctor]): the domain's servers (flag DOCTOR_SERVERS),
 * the DNS records, port 25 (DOCTOR_PORT25). A resolver that cannot be set
 * up or does not answer is one "dns" problem, not a wait per check.
 */
void doctor_check_domain(const struct config *cfg, const char *domain,
                         unsigned flags, struct arena *a,
                         struct doctor_report *rep);

/* ---- output ---------------------------------------------------------- */

/* Plain text for a terminal. */
void doctor_report_text(const struct doctor_report *rep, struct sbuf *out);
/* One JSON object {"domain", "resolver", "dnssec", "status", "checks"}. */
void doctor_report_json(const struct doctor_report *rep, struct sbuf *out);

/*
 * `petrel doctor`: config validation (config_check), then
 * doctor_check_domain for only_domain or every configured domain (not
 * default, wildcards or disabled ones), printed to out as text or one
 * JSON object {"reports": [...], "status"}. Returns the exit status: 0
 * when no check is a problem, 1 when one is, 2 when only_domain is not a
 * domain name.
 */
int doctor_cli(const char *data_dir, const char *only_domain, bool json,
               FILE *out);

#endif
