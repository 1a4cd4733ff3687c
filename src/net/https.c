/*
 * One bounded HTTPS POST to a URL from a message (RFC 8058 one-click
 * unsubscribe). The URL is the sender's, so this is a request an attacker
 * chooses the target of: the host is resolved here and every address is
 * checked (no loopback, private, link-local, CGNAT or multicast target
 * unless the caller allows it), then the connection goes to the checked
 * address itself, so a second resolution cannot point elsewhere (DNS
 * rebinding). The certificate is verified against the URL's host name.
 * Nothing but the body is sent: no cookies, no credentials (a URL with
 * user info is refused), and no redirect is followed.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
#include "net_private.h"
#include "core/banned.h"

#define HOST_MAX 253

bool
net_addr_is_public(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		uint32_t a = ntohl(in->sin_addr.s_addr);

		return !((a >> 24) == 0 ||   /* 0/8 "this network" */
		         (a >> 24) == 10 ||  /* 10/8 */
		         (a >> 24) == 127 || /* loopback */
		         (a >> 22) == (100u << 2 | 1) ||   /* 100.64/10 CGNAT */
		         (a >> 16) == (169u << 8 | 254) || /* link-local */
		         (a >> 20) == (172u << 4 | 1) ||   /* 172.16/12 */
		         (a >> 16) == (192u << 8 | 168) || /* 192.168/16 */
		         (a >> 8) ==
		                 (192u << 16 | 0 << 8 | 0) ||  /* 192.0.0/24 */
		         (a >> 17) == (198u << 7 | 18 >> 1) || /* 198.18/15 */
		         (a >> 28) >= 14); /* multicast, reserved, broadcast */
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		        (const struct sockaddr_in6 *)sa;
		const unsigned char *b = in6->sin6_addr.s6_addr;
		static const unsigned char zero[16];

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) ||
		    IN6_IS_ADDR_V4COMPAT(&in6->sin6_addr)) {
			struct sockaddr_in v4;

			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			memcpy(&v4.sin_addr, b + 12, 4);
			return net_addr_is_public((const struct sockaddr *)&v4);
		}
		return !(memcmp(b, zero, 15) == 0 || /* :: and ::1 */
		         (b[0] & 0xfe) == 0xfc ||    /* fc00::/7 ULA */
		         (b[0] == 0xfe &&
		          (b[1] & 0xc0) == 0x80) || /* fe80::/10 */
		         (b[0] == 0xfe &&
		          (b[1] & 0xc0) == 0xc0) || /* site-local */
		         b[0] == 0xff ||            /* multicast */
		         (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff &&
		          b[3] == 0x9b) || /* 64:ff9b::/96 NAT64 (embeds v4) */
		         (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d &&
		          b[3] == 0xb8)); /* 2001:db8::/32 documentation */
	}
	return false;
}

/* https://host[:port]/path?query: the parts, checked. */
struct url_parts {
	char host[HOST_MAX + 3]; /* as written, [v6] with brackets */
	uint16_t port;
	const char *path; /* "/..." without the fragment */
	bool port_given;
};

static int
url_split(const char *url, struct arena *a, struct url_parts *u,
          struct perr *err)
{
	struct strv s = strv_from_cstr(url), auth;
	size_t i, end;
	ptrdiff_t colon;

	memset(u, 0, sizeof(*u));
	u->port = 443;
	if (!strv_starts_with_ci_ascii(s, STRV_LIT("https://")))
		return perr_set(err, a, PERR_INPUT, "not an https URL");
	if (!net_cstr_is_safe(url) || strv_has_ctl(s, false) ||
	    strpbrk(url, " \"<>\\") != NULL)
		return perr_set(err, a, PERR_INPUT, "bad characters in URL");
	s.p += 8;
	s.len -= 8;
	for (end = 0; end < s.len && s.p[end] != '/' && s.p[end] != '?' &&
	              s.p[end] != '#';
	     end++)
		;
	auth = (struct strv){s.p, end};
	if (strv_find_char(auth, '@') >= 0)
		return perr_set(err, a, PERR_INPUT,
		                "URL with a user name refused");
	/* The port is after the last ':' unless that is inside [v6]. */
	colon = -1;
	for (i = 0; i < auth.len; i++)
		if (auth.p[i] == ':')
			colon = (ptrdiff_t)i;
		else if (auth.p[i] == ']')
			colon = -1;
	if (colon >= 0) {
		uint64_t port;

		if (!pt_parse_u64((struct strv){auth.p + colon + 1,
		                                auth.len - (size_t)colon - 1},
		                  65535, &port) ||
		    port == 0)
			return perr_set(err, a, PERR_INPUT, "bad port in URL");
		u->port = (uint16_t)port;
		u->port_given = true;
		auth.len = (size_t)colon;
	}
	if (auth.len == 0 || auth.len > HOST_MAX + 2)
		return perr_set(err, a, PERR_INPUT, "bad host in URL");
	for (i = 0; i < auth.len; i++) {
		char c = auth.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '[' || c == ']' || c == ':'))
			return perr_set(err, a, PERR_INPUT, "bad host in URL");
	}
	memcpy(u->host, auth.p, auth.len);
	u->host[auth.len] = '\0';
	s.p += end;
	s.len -= end;
	{
		ptrdiff_t hash = strv_find_char(s, '#');

		if (hash >= 0)
			s.len = (size_t)hash;
	}
	if (s.len == 0)
		u->path = "/";
	else if (s.p[0] == '?')
		u->path = arena_printf(a, "/%.*s", (int)s.len, s.p);
	else
		u->path = strv_dup(a, s);
	return 0;
}

/* Resolve host; every address must pass unless allow_private. */
static int
resolve_checked(const char *host, bool allow_private, struct arena *a,
                char *addr_r, size_t size, struct perr *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char bare[HOST_MAX + 1];
	int r;

	if (!net_host_unbracket(host, bare, sizeof(bare)))
		return perr_set(err, a, PERR_INPUT, "bad host in URL");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(bare, NULL, &hints, &res);
	if (r != 0 || res == NULL)
		return perr_set(err, a, PERR_TEMPFAIL, "host not found: %s",
		                bare);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (!allow_private && !net_addr_is_public(ai->ai_addr)) {
			freeaddrinfo(res);
			return perr_set(err, a, PERR_FORBIDDEN,
			                "%s is a private, loopback or "
			                "link-local address: refused",
			                bare);
		}
	}
	r = getnameinfo(res->ai_addr, res->ai_addrlen, addr_r, (socklen_t)size,
	                NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (r != 0)
		return perr_set(err, a, PERR_INTERNAL,
		                "cannot format the address of %s", bare);
	return 0;
}

/* "HTTP/1.x NNN ..." and, for a 3xx, its Location. */
static int
parse_head(struct strv head, struct arena *a, struct net_https_result *r,
           struct perr *err)
{
	uint64_t code;
	struct strv line, rest;

	if (head.len < 12 || !strv_starts_with(head, STRV_LIT("HTTP/1.")) ||
	    head.p[8] != ' ' ||
	    !pt_parse_u64((struct strv){head.p + 9, 3}, 999, &code) ||
	    code < 100)
		return perr_set(err, a, PERR_REMOTE,
		                "the server did not answer HTTP");
	r->status = (int)code;
	rest = head;
	while (rest.len > 0) {
		(void)strv_split_once(rest, '\n', &line, &rest);
		if (strv_starts_with_ci_ascii(line, STRV_LIT("location:")))
			r->location =
			        strv_dup(a, strv_trim((struct strv){
			                            line.p + 9, line.len - 9}));
	}
	return 0;
}

int
net_https_post(const struct net_https_post *p, struct arena *a,
               struct net_https_result *r, struct perr *err)
{
	struct url_parts u;
	struct net_target t;
	char addr[NI_MAXHOST];
	mailstream *s = NULL;
	struct sbuf req, resp;
	char buf[4096];
	ssize_t n;
	ptrdiff_t end;

	memset(r, 0, sizeof(*r));
	if (url_split(p->url, a, &u, err) != 0 ||
	    resolve_checked(u.host, p->allow_private, a, addr, sizeof(addr),
	                    err) != 0)
		return -1;
	net_target_init(&t,
	                strchr(addr, ':') != NULL
	                        ? arena_printf(a, "[%s]", addr)
	                        : arena_strdup(a, addr),
	                u.port, NET_TLS_IMPLICIT);
	/* The certificate must name the URL's host, not the address. */
	if (!net_host_is_ip(u.host))
		t.sni = u.host;
	t.ca_file =
	        p->ca_file != NULL && p->ca_file[0] != '\0' ? p->ca_file : NULL;
	t.connect_timeout_ms = p->timeout_ms;
	t.io_timeout_ms = p->timeout_ms;
	if (net_connect(&t, a, &s, NULL, err) != 0)
		return -1;
	sbuf_init(&req, a, 512 + p->body.len, 64 * 1024);
	sbuf_printf(&req, "POST %s HTTP/1.1\r\nHost: %s", u.path, u.host);
	if (u.port_given)
		sbuf_printf(&req, ":%u", (unsigned)u.port);
	sbuf_printf(&req,
	            "\r\nUser-Agent: Petrel\r\nContent-Type: %s\r\n"
	            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	            p->content_type, p->body.len);
	sbuf_append_strv(&req, p->body);
	if (!sbuf_ok(&req)) {
		net_close(&s);
		return perr_set(err, a, PERR_INPUT, "request too large");
	}
	if (mailstream_write(s, req.data, req.len) < 0 ||
	    mailstream_flush(s) != 0) {
		perr_set(err, a, PERR_TEMPFAIL, "cannot send to %s: %s", u.host,
		         net_stream_error(s) != NULL ? net_stream_error(s)
		                                     : "write failed");
		net_close(&s);
		return -1;
	}
	/* Only the head matters; the rest is read up to the bound. */
	sbuf_init(&resp, a, 4096, p->max_response);
	for (;;) {
		n = mailstream_read(s, buf, sizeof(buf));
		if (n <= 0)
			break;
		sbuf_append(&resp, buf, (size_t)n);
		if (!sbuf_ok(&resp) ||
		    strv_find(sbuf_view(&resp), STRV_LIT("\r\n\r\n")) >= 0)
			break;
	}
	net_close(&s);
	if (resp.len == 0)
		return perr_set(err, a, PERR_TEMPFAIL, "no answer from %s",
		                u.host);
	end = strv_find(sbuf_view(&resp), STRV_LIT("\r\n\r\n"));
	return parse_head(
	        (struct strv){resp.data, end >= 0 ? (size_t)end : resp.len}, a,
	        r, err);
}
