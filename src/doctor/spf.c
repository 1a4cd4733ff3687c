/*
 * SPF (RFC 7208): exactly one v=spf1 record, its syntax, the 10 DNS
 * look-up limit counted through include and redirect, whether the sending
 * addresses pass, and how it ends. Macros (%{...}) are not expanded: a
 * term with one is counted but never matches, and the report says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_private.h"
#include "core/banned.h"

#define SPF_MAX_LOOKUPS 10
#define SPF_MAX_DEPTH 10
#define SPF_MAX_TERMS 64

enum spf_result {
	SPF_NONE,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_NEUTRAL,
	SPF_PERMERROR
};

struct spf_term {
	char qual;        /* + - ~ ? */
	const char *name; /* lower-case mechanism or modifier name */
	const char *arg;  /* after ':' or '=' ("" if none) */
	int len4, len6;   /* CIDR lengths, -1 if none */
	bool modifier;
};

struct spf_walk {
	struct dctx *c;
	unsigned lookups;
	bool macros;
	const char *error; /* first syntax or structure error */
};

/* The domain's v=spf1 records: count, the first in *rec_r. */
static int
spf_fetch(struct dctx *c, const char *domain, const char **rec_r,
          size_t *count_r)
{
	struct dns_answer ans;
	size_t i;

	*rec_r = NULL;
	*count_r = 0;
	if (dctx_query(c, domain, DNS_TXT, &ans) != 0)
		return -1;
	for (i = 0; i < ans.count; i++) {
		const char *v = ans.rr[i].value;

		if (strncasecmp(v, "v=spf1", 6) == 0 &&
		    (v[6] == '\0' || v[6] == ' ')) {
			if (*count_r == 0)
				*rec_r = v;
			(*count_r)++;
		}
	}
	return 0;
}

static bool
parse_cidr(const char *s, int max, int *len_r)
{
	uint64_t v;

	if (!pt_parse_u64(strv_from_cstr(s), (uint64_t)max, &v))
		return false;
	*len_r = (int)v;
	return true;
}

/*
 * Split a record into terms; false with *error on bad syntax. Strings in
 * c->a.
 */
static bool
spf_parse(struct dctx *c, const char *rec, struct spf_term *t, size_t *n_r,
          const char **error)
{
	char *copy = arena_strdup(c->a, rec + 6), *save = NULL, *tok;
	size_t n = 0;

	*n_r = 0;
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		struct spf_term *x;
		char *p, *sep, *slash;

		if (n == SPF_MAX_TERMS) {
			*error = "too many terms";
			return false;
		}
		x = &t[n++];
		memset(x, 0, sizeof(*x));
		x->len4 = x->len6 = -1;
		x->qual = '+';
		x->arg = "";
		sep = strpbrk(tok, "=:/");
		if (sep != NULL && *sep == '=') {
			*sep = '\0';
			x->modifier = true;
			x->name = tok;
			x->arg = sep + 1;
			for (p = tok; *p != '\0'; p++)
				*p = pt_ascii_tolower(*p);
			if (tok[0] == '\0') {
				*error = arena_printf(c->a, "bad term \"=%s\"",
				                      x->arg);
				return false;
			}
			continue;
		}
		if (strchr("+-~?", tok[0]) != NULL) {
			x->qual = tok[0];
			tok++;
		}
		sep = strpbrk(tok, ":/");
		slash = NULL;
		if (sep != NULL && *sep == ':') {
			*sep = '\0';
			x->arg = sep + 1;
			/* ip6 addresses hold ':'; the CIDR is after '/'. */
			slash = strchr(sep + 1, '/');
		} else if (sep != NULL) {
			slash = sep;
		}
		if (slash != NULL) {
			char *second = strstr(slash, "//");

			if (second != NULL) {
				*second = '\0';
				if (!parse_cidr(second + 2, 128, &x->len6))
					goto bad;
			}
			*slash = '\0';
			if (slash[1] != '\0' &&
			    !parse_cidr(slash + 1, 128, &x->len4))
				goto bad;
		}
		for (p = tok; *p != '\0'; p++)
			*p = pt_ascii_tolower(*p);
		x->name = tok;
		if (strcmp(tok, "all") == 0) {
			if (x->arg[0] != '\0' || slash != NULL)
				goto bad;
		} else if (strcmp(tok, "ip4") == 0) {
			if (!doctor_is_ip(x->arg) || strchr(x->arg, ':') ||
			    x->len4 > 32)
				goto bad;
		} else if (strcmp(tok, "ip6") == 0) {
			if (!doctor_is_ip(x->arg) || !strchr(x->arg, ':'))
				goto bad;
			x->len6 = x->len4, x->len4 = -1;
		} else if (strcmp(tok, "include") == 0 ||
		           strcmp(tok, "exists") == 0) {
			if (x->arg[0] == '\0' || slash != NULL)
				goto bad;
		} else if (strcmp(tok, "a") == 0 || strcmp(tok, "mx") == 0 ||
		           strcmp(tok, "ptr") == 0) {
			if (x->len4 > 32 ||
			    (strcmp(tok, "ptr") == 0 && slash != NULL))
				goto bad;
		} else {
			*error = arena_printf(c->a, "unknown mechanism \"%s\"",
			                      tok);
			return false;
		}
		continue;
	bad:
		*error = arena_printf(c->a, "bad term \"%s\"", tok);
		return false;
	}
	*n_r = n;
	return true;
}

static bool
counts_lookup(const struct spf_term *x)
{
	if (x->modifier)
		return strcmp(x->name, "redirect") == 0;
	return strcmp(x->name, "include") == 0 || strcmp(x->name, "a") == 0 ||
	       strcmp(x->name, "mx") == 0 || strcmp(x->name, "ptr") == 0 ||
	       strcmp(x->name, "exists") == 0;
}

/* Count the look-up terms of domain's record and what it pulls in. */
static void
spf_count(struct spf_walk *w, const char *domain, const char *rec,
          unsigned depth)
{
	struct spf_term t[SPF_MAX_TERMS];
	const char *error = NULL;
	size_t n, i;

	if (depth > SPF_MAX_DEPTH) {
		if (w->error == NULL)
			w->error = "include/redirect nests too deep (a loop?)";
		return;
	}
	if (!spf_parse(w->c, rec, t, &n, &error)) {
		if (w->error == NULL)
			w->error = depth == 0 ? error
			                      : arena_printf(w->c->a, "%s: %s",
			                                     domain, error);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *inner = NULL;
		size_t count = 0;

		if (!counts_lookup(&t[i]))
			continue;
		w->lookups++;
		if (strchr(t[i].arg, '%') != NULL)
			w->macros = true;
		if (strcmp(t[i].name, "include") != 0 &&
		    strcmp(t[i].name, "redirect") != 0)
			continue;
		if (w->lookups > 4 * SPF_MAX_LOOKUPS)
			return; /* enough to say it is over */
		if (spf_fetch(w->c, t[i].arg, &inner, &count) != 0)
			continue;
		if (count != 1) {
			if (w->error == NULL)
				w->error = arena_printf(
				        w->c->a, "%s:%s has %zu SPF records",
				        t[i].name, t[i].arg, count);
			continue;
		}
		spf_count(w, t[i].arg, inner, depth + 1);
	}
}

/* Addresses of host (A and AAAA) matched against ip with the CIDRs. */
static bool
host_matches(struct dctx *c, const char *host, const char *ip, int len4,
             int len6)
{
	enum dns_type types[2] = {DNS_A, DNS_AAAA};
	size_t k, i;

	for (k = 0; k < 2; k++) {
		struct dns_answer ans;

		if (dctx_query(c, host, types[k], &ans) != 0)
			continue;
		for (i = 0; i < ans.count; i++) {
			int len = k == 0 ? (len4 >= 0 ? len4 : 32)
			                 : (len6 >= 0 ? len6 : 128);

			if (doctor_ip_in(ip, ans.rr[i].value, len))
				return true;
		}
	}
	return false;
}

static enum spf_result
spf_qual(char q)
{
	switch (q) {
	case '-':
		return SPF_FAIL;
	case '~':
		return SPF_SOFTFAIL;
	case '?':
		return SPF_NEUTRAL;
	default:
		return SPF_PASS;
	}
}

/* check_host() without macros, ptr and exp. */
static enum spf_result
spf_eval(struct dctx *c, const char *domain, const char *rec, const char *ip,
         unsigned depth)
{
	struct spf_term t[SPF_MAX_TERMS];
	const char *error = NULL, *redirect = NULL;
	size_t n, i;

	if (depth > SPF_MAX_DEPTH || !spf_parse(c, rec, t, &n, &error))
		return SPF_PERMERROR;
	for (i = 0; i < n; i++) {
		const struct spf_term *x = &t[i];
		const char *target = x->arg[0] != '\0' ? x->arg : domain;
		bool match = false;

		if (x->modifier) {
			if (strcmp(x->name, "redirect") == 0)
				redirect = x->arg;
			continue;
		}
		if (strchr(x->arg, '%') != NULL)
			continue;
		if (strcmp(x->name, "all") == 0) {
			match = true;
		} else if (strcmp(x->name, "ip4") == 0) {
			match = doctor_ip_in(ip, x->arg,
			                     x->len4 >= 0 ? x->len4 : 32);
		} else if (strcmp(x->name, "ip6") == 0) {
			match = doctor_ip_in(ip, x->arg,
			                     x->len6 >= 0 ? x->len6 : 128);
		} else if (strcmp(x->name, "a") == 0) {
			match = host_matches(c, target, ip, x->len4, x->len6);
		} else if (strcmp(x->name, "mx") == 0) {
			struct dns_answer mx;
			size_t k;

			if (dctx_query(c, target, DNS_MX, &mx) == 0)
				for (k = 0; k < mx.count && k < 10 && !match;
				     k++)
					match = host_matches(c, mx.rr[k].value,
					                     ip, x->len4,
					                     x->len6);
		} else if (strcmp(x->name, "include") == 0) {
			const char *inner;
			size_t count;
			enum spf_result r;

			if (spf_fetch(c, x->arg, &inner, &count) != 0 ||
			    count != 1)
				return SPF_PERMERROR;
			r = spf_eval(c, x->arg, inner, ip, depth + 1);
			if (r == SPF_PERMERROR || r == SPF_NONE)
				return SPF_PERMERROR;
			match = r == SPF_PASS;
		} else if (strcmp(x->name, "exists") == 0) {
			struct dns_answer ans;

			match = dctx_query(c, x->arg, DNS_A, &ans) == 0 &&
			        ans.count > 0;
		}
		if (match)
			return spf_qual(x->qual);
	}
	if (redirect != NULL) {
		const char *inner;
		size_t count;

		if (spf_fetch(c, redirect, &inner, &count) != 0 || count != 1)
			return SPF_PERMERROR;
		return spf_eval(c, redirect, inner, ip, depth + 1);
	}
	return SPF_NEUTRAL;
}

/* How the record ends: "-all", "~all", "?all", "+all", redirect, none. */
static const char *
spf_ending(struct dctx *c, const char *rec)
{
	struct spf_term t[SPF_MAX_TERMS];
	const char *error;
	size_t n, i;

	if (!spf_parse(c, rec, t, &n, &error))
		return "";
	for (i = 0; i < n; i++) {
		if (!t[i].modifier && strcmp(t[i].name, "all") == 0)
			return arena_printf(c->a, "%call", t[i].qual);
		if (t[i].modifier && strcmp(t[i].name, "redirect") == 0)
			return "redirect";
	}
	return "";
}

static const char why_spf[] =
        "SPF lists the servers allowed to send mail for the domain. "
        "Without a valid one, Gmail, Outlook and others put the domain's "
        "mail in spam or refuse it.";

void
doctor_check_spf(struct dctx *c, const char *const *ips, size_t nips)
{
	static const char title[] = "SPF record";
	struct spf_walk w = {.c = c};
	const char *rec, *ending;
	struct sbuf good;
	char *fix;
	size_t count, i;

	sbuf_init(&good, c->a, 128, 4096);
	sbuf_printf(&good, "%s. IN TXT \"v=spf1 mx a", c->d);
	for (i = 0; i < nips; i++)
		sbuf_printf(&good, " ip%c:%s", strchr(ips[i], ':') ? '6' : '4',
		            ips[i]);
	sbuf_append_cstr(&good, " ~all\"");
	fix = sbuf_ok(&good) ? (char *)sbuf_cstr(&good) : NULL;
	if (spf_fetch(c, c->d, &rec, &count) != 0) {
		doctor_add(c->rep, c->a, "spf", title, DOCTOR_PROBLEM, why_spf,
		           NULL, "could not look up: %s", c->dns_error);
		return;
	}
	if (count == 0) {
		doctor_add(c->rep, c->a, "spf", title, DOCTOR_PROBLEM, why_spf,
		           fix, "no v=spf1 TXT record on %s", c->d);
		return;
	}
	if (count > 1) {
		doctor_add(
		        c->rep, c->a, "spf", title, DOCTOR_PROBLEM, why_spf,
		        arena_printf(c->a,
		                     "Keep one v=spf1 record and delete the "
		                     "others (merge what they allow), e.g. %s",
		                     fix),
		        "%zu v=spf1 TXT records on %s; receivers treat more "
		        "than one as an error (permerror)",
		        count, c->d);
		return;
	}
	spf_count(&w, c->d, rec, 0);
	if (w.error != NULL) {
		doctor_add(c->rep, c->a, "spf", title, DOCTOR_PROBLEM, why_spf,
		           fix, "\"%s\" is invalid: %s", rec, w.error);
		return;
	}
	if (w.lookups > SPF_MAX_LOOKUPS) {
		doctor_add(
		        c->rep, c->a, "spf", title, DOCTOR_PROBLEM, why_spf,
		        "Replace include: terms with the ip4:/ip6: ranges "
		        "they stand for, or drop services that no longer "
		        "send for the domain, until at most 10 look-ups "
		        "remain.",
		        "\"%s\" needs %u DNS look-ups (include, a, mx, ptr, "
		        "exists, redirect, counted through every include); "
		        "the limit is 10, above it receivers treat the record "
		        "as an error (permerror)",
		        rec, w.lookups);
		return;
	}
	for (i = 0; i < nips; i++) {
		enum spf_result r = spf_eval(c, c->d, rec, ips[i], 0);

		if (r != SPF_PASS) {
			doctor_add(c->rep, c->a, "spf", title, DOCTOR_PROBLEM,
			           why_spf,
			           arena_printf(c->a,
			                        "Add ip%c:%s (or a/mx if those "
			                        "names point here) before the "
			                        "final all, e.g. %s",
			                        strchr(ips[i], ':') ? '6' : '4',
			                        ips[i], fix),
			           "\"%s\" does not allow the sending address "
			           "%s%s",
			           rec, ips[i],
			           w.macros ? " (its macros were not expanded)"
			                    : "");
			return;
		}
	}
	ending = spf_ending(c, rec);
	if (strcmp(ending, "-all") == 0 || strcmp(ending, "~all") == 0 ||
	    strcmp(ending, "redirect") == 0) {
		doctor_add(c->rep, c->a, "spf", title, DOCTOR_OK, why_spf, NULL,
		           "\"%s\" (%u DNS look-ups%s%s)", rec, w.lookups,
		           nips > 0 ? ", allows " : "", nips > 0 ? ips[0] : "");
		return;
	}
	doctor_add(c->rep, c->a, "spf", title,
	           strcmp(ending, "+all") == 0 ? DOCTOR_PROBLEM
	                                       : DOCTOR_WARNING,
	           why_spf, fix,
	           strcmp(ending, "+all") == 0
	                   ? "\"%s\" ends in +all: it allows every server on "
	                     "the Internet to send as %s"
	                   : "\"%s\" does not end in ~all or -all, so mail "
	                     "from other servers claiming to be %s is not "
	                     "marked",
	           rec, c->d);
}
