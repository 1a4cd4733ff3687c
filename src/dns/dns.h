/*
 * dns - DNS look-ups for the mail checks (petrel doctor, Domain health),
 * on ldns. One resolver address (a configured "host[:port]", else the
 * system's /etc/resolv.conf), one try with a short timeout, so a
 * dead resolver is an error within seconds, never a hang. Answers are
 * cached process-wide for a short time (the smaller of their TTL and the
 * resolver's cache_seconds), so a page that is reloaded does not query
 * everything again. The DNSSEC "authenticated data" bit of each answer is
 * reported (it is only meaningful from a validating resolver).
 */
#ifndef PETREL_DNS_H
#define PETREL_DNS_H

#include "core/core.h"

struct dns_resolver;

struct dns_opts {
	/* "127.0.0.1", "127.0.0.1:5353", "[::1]:53"; NULL or "": resolv.conf */
	const char *server;
	unsigned timeout_ms;    /* per try; 0 = 3000 */
	unsigned cache_seconds; /* 0 = no cache */
};

/*
 * A resolver for one thread. Fails with PERR_INPUT for a bad server
 * address and PERR_INTERNAL when resolv.conf cannot be read.
 */
int dns_resolver_create(const struct dns_opts *o, struct dns_resolver **r_r,
                        struct arena *a, struct perr *err) PT_WARN_UNUSED;
void dns_resolver_free(struct dns_resolver **rp);
/* The server it asks, for messages ("127.0.0.1:5353"). */
const char *dns_resolver_server(const struct dns_resolver *r);

enum dns_type { DNS_A, DNS_AAAA, DNS_MX, DNS_TXT, DNS_CNAME, DNS_PTR };

enum dns_status {
	DNS_FOUND,    /* records of the type asked */
	DNS_NODATA,   /* the name exists, no records of that type */
	DNS_NXDOMAIN, /* no such name */
};

struct dns_rr {
	/*
	 * A/AAAA: the address as text; MX, CNAME, PTR: the target name
	 * without the final dot; TXT: the character strings joined.
	 */
	const char *value;
	unsigned pref; /* MX preference */
};

struct dns_answer {
	enum dns_status status;
	bool secure; /* the AD bit: a validating resolver checked DNSSEC */
	/* The name was an alias (CNAME) for this one; NULL otherwise. */
	const char *cname;
	size_t count;
	struct dns_rr *rr; /* sorted by preference for MX */
};

/*
 * Look up name (without or with the final dot). 0 with *ans (strings in
 * a) when the server answered (also NXDOMAIN/NODATA); -1 with
 * PERR_TEMPFAIL when the resolver did not answer in time or could not be
 * reached, PERR_REMOTE for SERVFAIL/REFUSED, PERR_INPUT for a bad name.
 */
int dns_query(struct dns_resolver *r, const char *name, enum dns_type type,
              struct arena *a, struct dns_answer *ans,
              struct perr *err) PT_WARN_UNUSED;

/* The reverse (PTR) name of an IPv4/IPv6 address text, or NULL. */
char *dns_reverse_name(const char *addr, struct arena *a);

/* Forget every cached answer (tests; after a resolver change). */
void dns_cache_flush(void);

const char *dns_type_name(enum dns_type t);

#endif
