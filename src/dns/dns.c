/*
 * DNS look-ups on ldns (see dns.h). ldns types stay in this file.
 */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "core/banned.h"

#define DNS_CACHE_SLOTS 256
#define DNS_KEY_MAX 320

struct dns_resolver {
	ldns_resolver *res;
	char server[96];
	unsigned timeout_ms;
	unsigned cache_seconds;
};

/* ---- the process-wide answer cache (raw packets) ---------------------- */

struct cache_slot {
	char key[DNS_KEY_MAX];
	uint8_t *wire;
	size_t len;
	uint64_t expires_ms; /* 0: empty */
	uint64_t used_ms;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_slot cache[DNS_CACHE_SLOTS];

void
dns_cache_flush(void)
{
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < DNS_CACHE_SLOTS; i++) {
		free(cache[i].wire);
		cache[i].wire = NULL;
		cache[i].expires_ms = 0;
		cache[i].key[0] = '\0';
	}
	pthread_mutex_unlock(&cache_lock);
}

/* A copy of the cached packet for key (malloc'd), or NULL. */
static uint8_t *
cache_get(const char *key, size_t *len_r)
{
	uint64_t now = pt_now_ms_monotonic();
	uint8_t *copy = NULL;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < DNS_CACHE_SLOTS; i++) {
		struct cache_slot *s = &cache[i];

		if (s->expires_ms == 0 || strcmp(s->key, key) != 0)
			continue;
		if (s->expires_ms <= now)
			break;
		copy = pt_xmalloc(s->len);
		memcpy(copy, s->wire, s->len);
		*len_r = s->len;
		s->used_ms = now;
		break;
	}
	pthread_mutex_unlock(&cache_lock);
	return copy;
}

static void
cache_put(const char *key, const uint8_t *wire, size_t len, unsigned seconds)
{
	uint64_t now = pt_now_ms_monotonic();
	struct cache_slot *victim = &cache[0];
	size_t i;

	if (seconds == 0 || strlen(key) >= DNS_KEY_MAX)
		return;
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < DNS_CACHE_SLOTS; i++) {
		struct cache_slot *s = &cache[i];

		if (s->expires_ms != 0 && strcmp(s->key, key) == 0) {
			victim = s;
			break;
		}
		if (s->expires_ms <= now) { /* empty or stale */
			victim = s;
			break;
		}
		if (s->used_ms < victim->used_ms)
			victim = s;
	}
	free(victim->wire);
	victim->wire = pt_xmalloc(len);
	memcpy(victim->wire, wire, len);
	victim->len = len;
	if (!pt_strlcpy(victim->key, key, sizeof(victim->key)))
		victim->key[0] = '\0'; /* cannot happen: checked above */
	victim->expires_ms = now + (uint64_t)seconds * 1000;
	victim->used_ms = now;
	pthread_mutex_unlock(&cache_lock);
}

/* ---- resolver --------------------------------------------------------- */

/*
 * "host", "host:port", "[v6]:port" or a bare IPv6 address into an
 * address text and port. Only addresses: a resolver named by a host name
 * would need a resolver itself.
 */
static bool
parse_server(const char *s, char *addr, size_t size, unsigned *port_r)
{
	const char *colon = strrchr(s, ':');
	struct in6_addr a6;
	struct in_addr a4;
	uint64_t port = 53;
	size_t n;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || (size_t)(end - s - 1) >= size)
			return false;
		memcpy(addr, s + 1, (size_t)(end - s - 1));
		addr[end - s - 1] = '\0';
		if (end[1] == ':') {
			if (!pt_parse_u64(strv_from_cstr(end + 2), 65535,
			                  &port) ||
			    port == 0)
				return false;
		} else if (end[1] != '\0') {
			return false;
		}
		*port_r = (unsigned)port;
		return inet_pton(AF_INET6, addr, &a6) == 1;
	}
	if (colon != NULL && strchr(s, ':') == colon) { /* v4:port */
		n = (size_t)(colon - s);
		if (n >= size ||
		    !pt_parse_u64(strv_from_cstr(colon + 1), 65535, &port) ||
		    port == 0)
			return false;
		memcpy(addr, s, n);
		addr[n] = '\0';
		*port_r = (unsigned)port;
		return inet_pton(AF_INET, addr, &a4) == 1;
	}
	if (!pt_strlcpy(addr, s, size))
		return false;
	*port_r = 53;
	return inet_pton(AF_INET, addr, &a4) == 1 ||
	       inet_pton(AF_INET6, addr, &a6) == 1;
}

int
dns_resolver_create(const struct dns_opts *o, struct dns_resolver **r_r,
                    struct arena *a, struct perr *err)
{
	struct dns_resolver *r;
	struct timeval tv;
	ldns_status st;

	*r_r = NULL;
	r = pt_xcalloc(1, sizeof(*r));
	r->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : 3000;
	r->cache_seconds = o->cache_seconds;
	if (o->server != NULL && o->server[0] != '\0') {
		char addr[64];
		unsigned port;
		ldns_rdf *ns;

		if (!parse_server(o->server, addr, sizeof(addr), &port)) {
			free(r);
			return perr_set(err, a, PERR_INPUT,
			                "[dns] resolver \"%s\" is not an IP "
			                "address with an optional :port "
			                "(e.g. 127.0.0.1:5353)",
			                o->server);
		}
		ns = ldns_rdf_new_frm_str(strchr(addr, ':') != NULL
		                                  ? LDNS_RDF_TYPE_AAAA
		                                  : LDNS_RDF_TYPE_A,
		                          addr);
		r->res = ldns_resolver_new();
		if (ns == NULL || r->res == NULL ||
		    ldns_resolver_push_nameserver(r->res, ns) !=
		            LDNS_STATUS_OK) {
			ldns_rdf_deep_free(ns);
			dns_resolver_free(&r);
			return perr_set(err, a, PERR_INTERNAL,
			                "cannot set up the DNS resolver %s",
			                o->server);
		}
		ldns_rdf_deep_free(ns);
		ldns_resolver_set_port(r->res, (uint16_t)port);
		if (!pt_snprintf_ok(r->server, sizeof(r->server),
		                    strchr(addr, ':') != NULL ? "[%s]:%u"
		                                              : "%s:%u",
		                    addr, port))
			r->server[0] = '\0';
	} else {
		ldns_rdf **ns;
		char *txt;

		st = ldns_resolver_new_frm_file(&r->res, NULL);
		if (st != LDNS_STATUS_OK) {
			free(r);
			return perr_set(
			        err, a, PERR_INTERNAL,
			        "cannot read the system's resolver from "
			        "/etc/resolv.conf: %s; set [dns] resolver",
			        ldns_get_errorstr_by_id(st));
		}
		ns = ldns_resolver_nameservers(r->res);
		txt = ldns_resolver_nameserver_count(r->res) > 0
		              ? ldns_rdf2str(ns[0])
		              : NULL;
		if (!pt_snprintf_ok(r->server, sizeof(r->server), "%s",
		                    txt != NULL ? txt : "(none)"))
			r->server[0] = '\0';
		free(txt);
		if (ldns_resolver_nameserver_count(r->res) == 0) {
			dns_resolver_free(&r);
			return perr_set(
			        err, a, PERR_INTERNAL,
			        "/etc/resolv.conf names no name server; "
			        "set [dns] resolver");
		}
	}
	tv.tv_sec = r->timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(r->timeout_ms % 1000) * 1000;
	ldns_resolver_set_timeout(r->res, tv);
	/* One try per server: the timeout is the whole wait. */
	ldns_resolver_set_retry(r->res, 1);
	ldns_resolver_set_retrans(r->res, 1);
	ldns_resolver_set_recursive(r->res, true);
	ldns_resolver_set_dnssec(r->res, true); /* DO: ask for the AD bit */
	ldns_resolver_set_edns_udp_size(r->res, 1232);
	ldns_resolver_set_defnames(r->res, false);
	ldns_resolver_set_dnsrch(r->res, false);
	ldns_resolver_set_random(r->res, false);
	*r_r = r;
	return 0;
}

void
dns_resolver_free(struct dns_resolver **rp)
{
	struct dns_resolver *r = *rp;

	if (r == NULL)
		return;
	if (r->res != NULL)
		ldns_resolver_deep_free(r->res);
	free(r);
	*rp = NULL;
}

const char *
dns_resolver_server(const struct dns_resolver *r)
{
	return r->server;
}

const char *
dns_type_name(enum dns_type t)
{
	switch (t) {
	case DNS_A:
		return "A";
	case DNS_AAAA:
		return "AAAA";
	case DNS_MX:
		return "MX";
	case DNS_TXT:
		return "TXT";
	case DNS_CNAME:
		return "CNAME";
	case DNS_PTR:
		return "PTR";
	}
	return "?";
}

static ldns_rr_type
ldns_type(enum dns_type t)
{
	switch (t) {
	case DNS_A:
		return LDNS_RR_TYPE_A;
	case DNS_AAAA:
		return LDNS_RR_TYPE_AAAA;
	case DNS_MX:
		return LDNS_RR_TYPE_MX;
	case DNS_TXT:
		return LDNS_RR_TYPE_TXT;
	case DNS_CNAME:
		return LDNS_RR_TYPE_CNAME;
	case DNS_PTR:
		return LDNS_RR_TYPE_PTR;
	}
	return LDNS_RR_TYPE_A;
}

/* A domain name rdf as text without the final dot, in a. */
static char *
name_text(const ldns_rdf *rdf, struct arena *a)
{
	char *s = ldns_rdf2str(rdf), *out;
	size_t n;

	if (s == NULL)
		return arena_strdup(a, "");
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		n--;
	out = arena_strndup(a, s, n);
	free(s);
	return out;
}

/* TXT: the character strings of one record joined (RFC 7208 3.3). */
static char *
txt_text(const ldns_rr *rr, struct arena *a)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b, a, 256, 65535);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(f);
		size_t size = ldns_rdf_size(f);

		if (size == 0 || (size_t)d[0] + 1 > size)
			continue;
		sbuf_append(&b, d + 1, d[0]);
	}
	return sbuf_ok(&b) ? (char *)sbuf_cstr(&b) : arena_strdup(a, "");
}

static int
rr_cmp_pref(const void *x, const void *y)
{
	const struct dns_rr *p = x, *q = y;

	return p->pref < q->pref ? -1 : p->pref > q->pref;
}

/* The packet's answer for qname/type into ans; min TTL in *ttl_r. */
static void
read_answer(const ldns_pkt *pkt, const ldns_rdf *qname, enum dns_type type,
            struct arena *a, struct dns_answer *ans, uint32_t *ttl_r)
{
	ldns_rr_list *list = ldns_pkt_answer(pkt);
	size_t i, n = list != NULL ? ldns_rr_list_rr_count(list) : 0;
	uint32_t ttl = UINT32_MAX;

	memset(ans, 0, sizeof(*ans));
	ans->secure = ldns_pkt_ad(pkt);
	ans->rr = arena_new_array(a, struct dns_rr, n > 0 ? n : 1);
	for (i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		struct dns_rr *out;

		if (ldns_rr_ttl(rr) < ttl)
			ttl = ldns_rr_ttl(rr);
		if (t == LDNS_RR_TYPE_CNAME && type != DNS_CNAME) {
			if (ans->cname == NULL &&
			    ldns_dname_compare(ldns_rr_owner(rr), qname) == 0)
				ans->cname = name_text(ldns_rr_rdf(rr, 0), a);
			continue;
		}
		if (t != ldns_type(type))
			continue;
		out = &ans->rr[ans->count++];
		switch (type) {
		case DNS_A:
		case DNS_AAAA: {
			char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));

			out->value = arena_strdup(a, s != NULL ? s : "");
			free(s);
			break;
		}
		case DNS_MX:
			out->pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
			out->value = name_text(ldns_rr_rdf(rr, 1), a);
			break;
		case DNS_TXT:
			out->value = txt_text(rr, a);
			break;
		case DNS_CNAME:
		case DNS_PTR:
			out->value = name_text(ldns_rr_rdf(rr, 0), a);
			break;
		}
	}
	if (type == DNS_MX && ans->count > 1)
		qsort(ans->rr, ans->count, sizeof(*ans->rr), rr_cmp_pref);
	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN)
		ans->status = DNS_NXDOMAIN;
	else
		ans->status = ans->count > 0 ? DNS_FOUND : DNS_NODATA;
	*ttl_r = ttl;
}

int
dns_query(struct dns_resolver *r, const char *name, enum dns_type type,
          struct arena *a, struct dns_answer *ans, struct perr *err)
{
	char key[DNS_KEY_MAX];
	ldns_rdf *qname;
	ldns_pkt *pkt = NULL;
	ldns_status st;
	uint8_t *wire;
	size_t len, i;
	uint32_t ttl;
	ldns_pkt_rcode rcode;

	memset(ans, 0, sizeof(*ans));
	if (name == NULL || name[0] == '\0' || strlen(name) > 253)
		return perr_set(err, a, PERR_INPUT, "not a domain name: \"%s\"",
		                name != NULL ? name : "");
	qname = ldns_dname_new_frm_str(name);
	if (qname == NULL)
		return perr_set(err, a, PERR_INPUT, "not a domain name: \"%s\"",
		                name);
	if (!pt_snprintf_ok(key, sizeof(key), "%s|%d|%s", r->server, (int)type,
	                    name))
		key[0] = '\0';
	for (i = 0; key[i] != '\0'; i++)
		key[i] = pt_ascii_tolower(key[i]);
	wire = key[0] != '\0' ? cache_get(key, &len) : NULL;
	if (wire != NULL) {
		st = ldns_wire2pkt(&pkt, wire, len);
		free(wire);
		if (st != LDNS_STATUS_OK)
			pkt = NULL;
	}
	if (pkt == NULL) {
		st = ldns_resolver_query_status(&pkt, r->res, qname,
		                                ldns_type(type),
		                                LDNS_RR_CLASS_IN, LDNS_RD);
		if (st != LDNS_STATUS_OK || pkt == NULL) {
			ldns_rdf_deep_free(qname);
			if (pkt != NULL)
				ldns_pkt_free(pkt);
			return perr_set(
			        err, a, PERR_TEMPFAIL,
			        "the DNS resolver %s did not answer "
			        "(%s, waited %u ms); check [dns] resolver "
			        "in application.ini",
			        r->server, ldns_get_errorstr_by_id(st),
			        r->timeout_ms);
		}
		rcode = ldns_pkt_get_rcode(pkt);
		if (rcode == LDNS_RCODE_NOERROR ||
		    rcode == LDNS_RCODE_NXDOMAIN) {
			uint8_t *w = NULL;
			size_t wl = 0;

			read_answer(pkt, qname, type, a, ans, &ttl);
			if (key[0] != '\0' &&
			    ldns_pkt2wire(&w, pkt, &wl) == LDNS_STATUS_OK)
				cache_put(key, w, wl,
				          ttl < r->cache_seconds
				                  ? ttl
				                  : r->cache_seconds);
			free(w);
		}
	} else {
		rcode = ldns_pkt_get_rcode(pkt);
		read_answer(pkt, qname, type, a, ans, &ttl);
	}
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(qname);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		memset(ans, 0, sizeof(*ans));
		return perr_set(err, a, PERR_REMOTE,
		                "the DNS resolver %s could not look up %s %s "
		                "(rcode %d%s)",
		                r->server, dns_type_name(type), name,
		                (int)rcode,
		                rcode == LDNS_RCODE_SERVFAIL
		                        ? ": SERVFAIL, the domain's name "
		                          "servers failed or DNSSEC is broken"
		                : rcode == LDNS_RCODE_REFUSED
		                        ? ": REFUSED, the resolver does not "
		                          "answer this client"
		                        : "");
	}
	return 0;
}

char *
dns_reverse_name(const char *addr, struct arena *a)
{
	ldns_rdf *ip, *rev;
	char *out;

	ip = ldns_rdf_new_frm_str(strchr(addr, ':') != NULL ? LDNS_RDF_TYPE_AAAA
	                                                    : LDNS_RDF_TYPE_A,
	                          addr);
	if (ip == NULL)
		return NULL;
	rev = ldns_rdf_address_reverse(ip);
	ldns_rdf_deep_free(ip);
	if (rev == NULL)
		return NULL;
	out = name_text(rev, a);
	ldns_rdf_deep_free(rev);
	return out;
}
