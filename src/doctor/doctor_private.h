/* Shared inside src/doctor only. */
#ifndef PETREL_DOCTOR_PRIVATE_H
#define PETREL_DOCTOR_PRIVATE_H

#include "doctor.h"

struct dctx {
	const struct doctor_dns_opts *o;
	struct arena *a;
	struct doctor_report *rep;
	const char *d;
	/* The last DNS failure (a resolver problem), or NULL. */
	const char *dns_error;
};

/* A query that notes DNSSEC status and failures; 0 or -1. */
int dctx_query(struct dctx *c, const char *name, enum dns_type type,
               struct dns_answer *ans);
/* True if ip (text) lies in net/len (text); false for mixed families. */
bool doctor_ip_in(const char *ip, const char *net, int len);
bool doctor_is_ip(const char *s);
bool doctor_is_loopback(const char *host);

/* The SPF check (spf.c). ips: the sending addresses. */
void doctor_check_spf(struct dctx *c, const char *const *ips, size_t nips);

#endif
