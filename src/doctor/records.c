/*
 * The DNS checks: MX, A/AAAA of mail. and webmail., DKIM, DMARC and the
 * PTR of the sending addresses (SPF is in spf.c).
 */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "doctor_private.h"
#include "core/banned.h"

#define MAX_IPS 8

int
dctx_query(struct dctx *c, const char *name, enum dns_type type,
           struct dns_answer *ans)
{
	struct perr err = {0};

	if (dns_query(c->o->dns, name, type, c->a, ans, &err) != 0) {
		c->dns_error = err.msg;
		memset(ans, 0, sizeof(*ans));
		return -1;
	}
	c->rep->dns_seen = true;
	if (!ans->secure)
		c->rep->dnssec = false;
	return 0;
}

bool
doctor_is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

bool
doctor_is_loopback(const char *host)
{
	return strcasecmp(host, "localhost") == 0 ||
	       strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       host[0] == '\0';
}

bool
doctor_ip_in(const char *ip, const char *net, int len)
{
	unsigned char x[16], y[16];
	int af = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
	int bits = af == AF_INET6 ? 128 : 32, i;

	if ((strchr(net, ':') != NULL) != (af == AF_INET6) ||
	    inet_pton(af, ip, x) != 1 || inet_pton(af, net, y) != 1 ||
	    len < 0 || len > bits)
		return false;
	for (i = 0; i < len; i++) {
		int mask = 0x80 >> (i % 8);

		if ((x[i / 8] & mask) != (y[i / 8] & mask))
			return false;
	}
	return true;
}

/* A and AAAA of host into ips (at most MAX_IPS in all). */
static void
addresses(struct dctx *c, const char *host, const char **ips, size_t *n)
{
	enum dns_type types[2] = {DNS_A, DNS_AAAA};
	size_t k, i;

	if (doctor_is_ip(host)) {
		if (*n < MAX_IPS)
			ips[(*n)++] = host;
		return;
	}
	for (k = 0; k < 2; k++) {
		struct dns_answer ans;

		if (dctx_query(c, host, types[k], &ans) != 0)
			continue;
		for (i = 0; i < ans.count && *n < MAX_IPS; i++)
			ips[(*n)++] = ans.rr[i].value;
	}
}

static const char *
join(struct arena *a, const char *const *v, size_t n)
{
	struct sbuf b;
	size_t i;

	if (n == 0)
		return "none";
	sbuf_init(&b, a, 64, 4096);
	for (i = 0; i < n; i++)
		sbuf_printf(&b, "%s%s", i > 0 ? ", " : "", v[i]);
	return sbuf_ok(&b) ? sbuf_cstr(&b) : "";
}

/* ---- MX ------------------------------------------------------------- */

static const char why_mx[] =
        "Other servers deliver mail for the domain to the host its MX "
        "record names. Without a working MX, mail to the domain bounces.";

/* The first MX host, or NULL. */
static const char *
check_mx(struct dctx *c, const char *ip_hint)
{
	static const char title[] = "MX record";
	struct dns_answer mx;
	const char *fix, *first = NULL;
	size_t i;

	fix = arena_printf(c->a,
	                   "%s. IN MX 10 mail.%s.   (and mail.%s. IN A "
	                   "%s)",
	                   c->d, c->d, c->d, ip_hint);
	if (dctx_query(c, c->d, DNS_MX, &mx) != 0) {
		doctor_add(c->rep, c->a, "mx", title, DOCTOR_PROBLEM, why_mx,
		           NULL, "could not look up: %s", c->dns_error);
		return NULL;
	}
	if (mx.status == DNS_NXDOMAIN) {
		doctor_add(c->rep, c->a, "mx", title, DOCTOR_PROBLEM, why_mx,
		           fix,
		           "%s does not exist in DNS (NXDOMAIN): is the domain "
		           "registered and its name servers set?",
		           c->d);
		return NULL;
	}
	if (mx.count == 0) {
		doctor_add(c->rep, c->a, "mx", title, DOCTOR_PROBLEM, why_mx,
		           fix, "%s has no MX record", c->d);
		return NULL;
	}
	for (i = 0; i < mx.count; i++) {
		const char *h = mx.rr[i].value;
		struct dns_answer cn;
		const char *ips[MAX_IPS];
		size_t n = 0;

		if (h[0] == '\0' || strcmp(h, ".") == 0) {
			doctor_add(c->rep, c->a, "mx", title, DOCTOR_PROBLEM,
			           why_mx, fix,
			           "%s has a null MX (\"MX 0 .\"): it says the "
			           "domain receives no mail",
			           c->d);
			return NULL;
		}
		if (doctor_is_ip(h)) {
			doctor_add(
			        c->rep, c->a, "mx", title, DOCTOR_PROBLEM,
			        why_mx, fix,
			        "MX %u %s is an IP address; an MX must name a "
			        "host (RFC 5321 5.1)",
			        mx.rr[i].pref, h);
			return NULL;
		}
		if (dctx_query(c, h, DNS_CNAME, &cn) == 0 && cn.count > 0) {
			doctor_add(c->rep, c->a, "mx", title, DOCTOR_PROBLEM,
			           why_mx,
			           arena_printf(
			                   c->a,
			                   "Point the MX at the host itself: "
			                   "%s. IN MX %u %s.",
			                   c->d, mx.rr[i].pref, cn.rr[0].value),
			           "MX %u %s is an alias (CNAME to %s); an MX "
			           "must name a host with its own A/AAAA "
			           "records (RFC 2181 10.3)",
			           mx.rr[i].pref, h, cn.rr[0].value);
			return NULL;
		}
		c->dns_error = NULL;
		addresses(c, h, ips, &n);
		if (n == 0) {
			doctor_add(
			        c->rep, c->a, "mx", title, DOCTOR_PROBLEM,
			        why_mx,
			        arena_printf(c->a, "%s. IN A %s", h, ip_hint),
			        "MX %u %s has no A or AAAA record%s%s",
			        mx.rr[i].pref, h,
			        c->dns_error != NULL ? ": " : "",
			        c->dns_error != NULL ? c->dns_error : "");
			return NULL;
		}
		if (first == NULL)
			first = h;
	}
	doctor_add(c->rep, c->a, "mx", title, DOCTOR_OK, why_mx, NULL,
	           "MX %u %s%s", mx.rr[0].pref, mx.rr[0].value,
	           mx.count > 1
	                   ? arena_printf(c->a, " and %zu more", mx.count - 1)
	                   : "");
	return first;
}

/* ---- A/AAAA of mail. and webmail. ----------------------------------- */

static void
check_host(struct dctx *c, const char *id, const char *label, const char *why,
           const char *ip_hint)
{
	const char *host = arena_printf(c->a, "%s.%s", label, c->d);
	const char *ips[MAX_IPS];
	size_t n = 0;

	c->dns_error = NULL;
	addresses(c, host, ips, &n);
	if (n > 0)
		doctor_add(c->rep, c->a, id,
		           arena_printf(c->a, "%s A/AAAA", host), DOCTOR_OK,
		           why, NULL, "%s", join(c->a, ips, n));
	else
		doctor_add(
		        c->rep, c->a, id, arena_printf(c->a, "%s A/AAAA", host),
		        c->dns_error != NULL || strcmp(label, "mail") == 0
		                ? DOCTOR_PROBLEM
		                : DOCTOR_WARNING,
		        why, arena_printf(c->a, "%s. IN A %s", host, ip_hint),
		        "%s has no address%s%s", host,
		        c->dns_error != NULL ? ": " : "",
		        c->dns_error != NULL ? c->dns_error : "");
}

/* ---- DKIM ----------------------------------------------------------- */

static const char why_dkim[] =
        "DKIM signs each message with a key whose public half is in DNS; "
        "receivers check the signature. Unsigned mail, or mail signed with "
        "a short key, is more likely to be marked as spam.";

/* The value of tag in a "k=v; k=v" list (trimmed, in a), or NULL. */
static const char *
tag_value(struct arena *a, const char *rec, const char *tag)
{
	struct strv rest = strv_from_cstr(rec), item, after;
	size_t tl = strlen(tag);

	while (rest.len > 0) {
		struct strv k, v;

		if (!strv_split_once(rest, ';', &item, &after)) {
			item = rest;
			after.p = NULL;
			after.len = 0;
		}
		rest = after;
		if (!strv_split_once(item, '=', &k, &v))
			continue;
		k = strv_trim(k);
		if (k.len == tl && strncasecmp(k.p, tag, tl) == 0)
			return strv_dup(a, strv_trim(v));
	}
	return NULL;
}

/* The bits of an RSA SubjectPublicKeyInfo (base64), 0 if unreadable. */
static int
rsa_bits(struct arena *a, const char *b64)
{
	struct strv der;
	const unsigned char *p;
	EVP_PKEY *k;
	int bits;

	if (codec_base64_decode(strv_from_cstr(b64), a, &der) != 0 ||
	    der.len == 0)
		return 0;
	p = (const unsigned char *)der.p;
	k = d2i_PUBKEY(NULL, &p, (long)der.len);
	if (k == NULL)
		return 0;
	bits = EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? EVP_PKEY_get_bits(k)
	                                               : 0;
	EVP_PKEY_free(k);
	return bits;
}

static void
check_dkim(struct dctx *c)
{
	const char *sel =
	        c->o->dkim_selector != NULL && c->o->dkim_selector[0] != '\0'
	                ? c->o->dkim_selector
	                : "mail";
	const char *name = arena_printf(c->a, "%s._domainkey.%s", sel, c->d);
	const char *title = "DKIM key", *rec = NULL, *v, *k, *p;
	const char *fix = arena_printf(
	        c->a,
	        "Create a 2048-bit key (Hestia: v-add-mail-domain-dkim USER %s "
	        "2048) and publish it: %s. IN TXT \"v=DKIM1; k=rsa; "
	        "p=<public key>\"",
	        c->d, name);
	struct dns_answer ans;
	char *clean;
	size_t i, j, n = 0;
	int bits;

	if (dctx_query(c, name, DNS_TXT, &ans) != 0) {
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
		           why_dkim, NULL, "could not look up %s: %s", name,
		           c->dns_error);
		return;
	}
	for (i = 0; i < ans.count; i++) {
		const char *t = ans.rr[i].value;

		if (strstr(t, "p=") != NULL ||
		    strncasecmp(t, "v=DKIM1", 7) == 0) {
			if (rec == NULL)
				rec = t;
			n++;
		}
	}
	if (rec == NULL) {
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
		           why_dkim, fix,
		           "no DKIM key at %s (selector \"%s\"; [doctor] "
		           "dkim_selector sets another)",
		           name, sel);
		return;
	}
	if (n > 1) {
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
		           why_dkim, fix,
		           "%zu key records at %s; receivers cannot tell which "
		           "one signs",
		           n, name);
		return;
	}
	v = tag_value(c->a, rec, "v");
	k = tag_value(c->a, rec, "k");
	p = tag_value(c->a, rec, "p");
	if ((v != NULL && strcmp(v, "DKIM1") != 0) || p == NULL) {
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
		           why_dkim, fix, "%s is not a DKIM key: \"%s\"", name,
		           rec);
		return;
	}
	if (p[0] == '\0') {
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
		           why_dkim, fix, "the key at %s is revoked (empty p=)",
		           name);
		return;
	}
	clean = arena_strdup(c->a, p);
	for (i = j = 0; clean[i] != '\0'; i++)
		if (clean[i] != ' ' && clean[i] != '\t')
			clean[j++] = clean[i];
	clean[j] = '\0';
	if (k != NULL && strcasecmp(k, "ed25519") == 0) {
		struct strv raw;

		if (codec_base64_decode(strv_from_cstr(clean), c->a, &raw) !=
		            0 ||
		    raw.len != 32) {
			doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
			           why_dkim, fix,
			           "the ed25519 key at %s is not 32 bytes",
			           name);
			return;
		}
		doctor_add(
		        c->rep, c->a, "dkim", title, DOCTOR_WARNING, why_dkim,
		        "Sign with an RSA key too: not every receiver checks "
		        "ed25519 signatures yet (RFC 8463).",
		        "ed25519 key at %s (selector \"%s\")", name, sel);
		return;
	}
	if (k != NULL && strcasecmp(k, "rsa") != 0) {
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
		           why_dkim, fix, "unknown key type k=%s at %s", k,
		           name);
		return;
	}
	bits = rsa_bits(c->a, clean);
	if (bits == 0)
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
		           why_dkim, fix,
		           "the p= value at %s is not an RSA public key", name);
	else if (bits < 1024)
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_PROBLEM,
		           why_dkim, fix,
		           "RSA %d-bit key at %s: receivers ignore keys this "
		           "short (RFC 8301)",
		           bits, name);
	else if (bits < 2048)
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_WARNING,
		           why_dkim, fix,
		           "RSA %d-bit key at %s: weak; 2048 bits is the norm "
		           "now",
		           bits, name);
	else
		doctor_add(c->rep, c->a, "dkim", title, DOCTOR_OK, why_dkim,
		           NULL, "RSA %d-bit key at %s", bits, name);
}

/* ---- DMARC ---------------------------------------------------------- */

static const char why_dmarc[] =
        "DMARC tells receivers what to do with mail that claims to be from "
        "the domain but fails SPF and DKIM, and where to send reports. "
        "Gmail and Yahoo require it from bulk senders.";

static void
check_dmarc(struct dctx *c)
{
	static const char title[] = "DMARC policy";
	const char *name = arena_printf(c->a, "_dmarc.%s", c->d);
	const char *fix = arena_printf(c->a,
	                               "%s. IN TXT \"v=DMARC1; p=quarantine; "
	                               "rua=mailto:postmaster@%s\"",
	                               name, c->d);
	const char *rec = NULL, *p;
	struct dns_answer ans;
	size_t i, n = 0;

	if (dctx_query(c, name, DNS_TXT, &ans) != 0) {
		doctor_add(c->rep, c->a, "dmarc", title, DOCTOR_PROBLEM,
		           why_dmarc, NULL, "could not look up %s: %s", name,
		           c->dns_error);
		return;
	}
	for (i = 0; i < ans.count; i++) {
		const char *t = ans.rr[i].value;

		while (*t == ' ')
			t++;
		if (strncasecmp(t, "v=DMARC1", 8) == 0 &&
		    (t[8] == ';' || t[8] == ' ' || t[8] == '\0')) {
			if (rec == NULL)
				rec = t;
			n++;
		}
	}
	if (rec == NULL) {
		doctor_add(c->rep, c->a, "dmarc", title, DOCTOR_PROBLEM,
		           why_dmarc, fix, "no v=DMARC1 TXT record at %s",
		           name);
		return;
	}
	if (n > 1) {
		doctor_add(c->rep, c->a, "dmarc", title, DOCTOR_PROBLEM,
		           why_dmarc, fix,
		           "%zu DMARC records at %s; receivers ignore them all",
		           n, name);
		return;
	}
	p = tag_value(c->a, rec, "p");
	if (p == NULL ||
	    (strcasecmp(p, "none") != 0 && strcasecmp(p, "quarantine") != 0 &&
	     strcasecmp(p, "reject") != 0)) {
		doctor_add(c->rep, c->a, "dmarc", title, DOCTOR_PROBLEM,
		           why_dmarc, fix,
		           "\"%s\" has %s; p= must be none, quarantine or "
		           "reject",
		           rec,
		           p == NULL ? "no p= tag"
		                     : arena_printf(c->a, "p=%s", p));
		return;
	}
	if (strcasecmp(p, "none") == 0) {
		doctor_add(
		        c->rep, c->a, "dmarc", title, DOCTOR_WARNING, why_dmarc,
		        fix,
		        "\"%s\": p=none only asks for reports; receivers "
		        "still deliver forged mail that claims to be from %s. "
		        "Once the reports show your own mail passes, move to "
		        "p=quarantine",
		        rec, c->d);
		return;
	}
	doctor_add(c->rep, c->a, "dmarc", title, DOCTOR_OK, why_dmarc, NULL,
	           "\"%s\"", rec);
}

/* ---- PTR ------------------------------------------------------------ */

static const char why_ptr[] =
        "Receivers look up the name of the address mail comes from (PTR) "
        "and check that the name points back to it and matches the name "
        "the server greets with. Without that, many refuse the mail.";

static void
check_ptr(struct dctx *c, const char *const *ips, size_t nips)
{
	static const char title[] = "PTR (reverse DNS)";
	const char *helo = c->o->helo_name;
	size_t i;

	if (nips == 0) {
		doctor_add(
		        c->rep, c->a, "ptr", title, DOCTOR_WARNING, why_ptr,
		        "Set [doctor] sending_ip to the server's public "
		        "address.",
		        "the sending address is unknown (no public SMTP host "
		        "or MX address)");
		return;
	}
	for (i = 0; i < nips; i++) {
		const char *rev = dns_reverse_name(ips[i], c->a), *name;
		const char *fix = arena_printf(
		        c->a,
		        "Ask the owner of %s (your hosting provider) to set "
		        "its "
		        "PTR to mail.%s, and give mail.%s the A record %s",
		        ips[i], c->d, c->d, ips[i]);
		const char *fwd[MAX_IPS];
		struct dns_answer ans;
		size_t n = 0, k;
		bool back = false;

		if (rev == NULL)
			continue;
		if (dctx_query(c, rev, DNS_PTR, &ans) != 0 || ans.count == 0) {
			doctor_add(c->rep, c->a, "ptr", title, DOCTOR_PROBLEM,
			           why_ptr, fix, "%s has no PTR record%s%s",
			           ips[i], c->dns_error != NULL ? ": " : "",
			           c->dns_error != NULL ? c->dns_error : "");
			return;
		}
		name = ans.rr[0].value;
		addresses(c, name, fwd, &n);
		for (k = 0; k < n; k++)
			back = back ||
			       doctor_ip_in(ips[i], fwd[k],
			                    strchr(ips[i], ':') ? 128 : 32);
		if (!back) {
			doctor_add(
			        c->rep, c->a, "ptr", title, DOCTOR_PROBLEM,
			        why_ptr,
			        arena_printf(c->a,
			                     "%s. IN A %s   (or change "
			                     "the PTR)",
			                     name, ips[i]),
			        "%s has PTR %s, but %s points to %s, not back "
			        "to %s (not forward-confirmed)",
			        ips[i], name, name, join(c->a, fwd, n), ips[i]);
			return;
		}
		if (helo != NULL && helo[0] != '\0' &&
		    strcasecmp(helo, name) != 0) {
			doctor_add(c->rep, c->a, "ptr", title, DOCTOR_WARNING,
			           why_ptr,
			           arena_printf(
			                   c->a,
			                   "Make the SMTP server greet as %s "
			                   "(Postfix: myhostname = %s), or set "
			                   "the PTR of %s to %s",
			                   name, name, ips[i], helo),
			           "%s has PTR %s (forward-confirmed), but the "
			           "SMTP server greets as %s",
			           ips[i], name, helo);
			return;
		}
	}
	doctor_add(c->rep, c->a, "ptr", title, DOCTOR_OK, why_ptr, NULL,
	           "%s (forward-confirmed%s)", join(c->a, ips, nips),
	           helo != NULL && helo[0] != '\0' ? ", matches the greeting"
	                                           : "");
}

void
doctor_check_dns(const struct doctor_dns_opts *o, struct arena *a,
                 struct doctor_report *rep)
{
	struct dctx c = {.o = o, .a = a, .rep = rep, .d = o->domain};
	const char *ips[MAX_IPS], *mx, *hint;
	size_t n = 0, i;

	rep->resolver = arena_strdup(a, dns_resolver_server(o->dns));
	for (i = 0; i < o->sending_ip_count && n < MAX_IPS; i++)
		ips[n++] = o->sending_ips[i];
	if (n == 0 && o->sending_host != NULL &&
	    !doctor_is_loopback(o->sending_host)) {
		addresses(&c, o->sending_host, ips, &n);
		while (n > 0 && doctor_is_loopback(ips[n - 1]))
			n--;
	}
	hint = n > 0 ? ips[0] : "<server IP>";
	mx = check_mx(&c, hint);
	if (c.dns_error != NULL && rep->count > 0 &&
	    rep->checks[rep->count - 1].status == DOCTOR_PROBLEM &&
	    !rep->dns_seen)
		return; /* the resolver is dead: one problem is enough */
	if (n == 0 && mx != NULL) {
		addresses(&c, mx, ips, &n);
		hint = n > 0 ? ips[0] : hint;
	}
	check_host(&c, "a_mail", "mail",
	           "Mail programs and Hestia's templates use mail.<domain> "
	           "for IMAP and SMTP.",
	           hint);
	check_host(&c, "a_webmail", "webmail",
	           "Users open the webmail at https://webmail.<domain>/.",
	           hint);
	c.dns_error = NULL;
	doctor_check_spf(&c, ips, n);
	c.dns_error = NULL;
	check_dkim(&c);
	c.dns_error = NULL;
	check_dmarc(&c);
	c.dns_error = NULL;
	check_ptr(&c, ips, n);
}
