/*
 * add-x-originating-ip-header: every message a user sends carries
 * X-Originating-IP with the address of the browser that sent it, so a
 * recipient's abuse desk can tell a hijacked account from its owner.
 *
 * The address is the peer nginx saw. With check_proxy, a proxy in front of
 * nginx may say who its client was (X-Forwarded-For's last entry, else
 * X-Real-IP), but only when that peer is one of trusted_proxies: anyone
 * else could write any address there.
 */
#include <arpa/inet.h>
#include <string.h>

#include "petrel/plugin.h"

static const struct petrel_option options[] = {
        {.name = "check_proxy",
         .type = PETREL_OPTION_BOOL,
         .label = "Use the address a trusted proxy forwards",
         .help = "Off: the address nginx saw. On: when that address is a "
                 "trusted proxy, the client address it forwarded.",
         .default_value = "false"},
        {.name = "trusted_proxies",
         .type = PETREL_OPTION_STRING,
         .label = "Trusted proxies",
         .help = "Comma-separated IP addresses whose forwarded client "
                 "address is believed.",
         .default_value = "127.0.0.1,::1",
         .max = 1024},
};

/* An IPv4 or IPv6 address in canonical text form into out, or false. */
static bool
ip_canon(const char *s, size_t n, char *out, size_t outsz)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char bin[sizeof(struct in6_addr)];

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, bin) == 1)
		return inet_ntop(AF_INET, bin, out, (socklen_t)outsz) != NULL;
	if (inet_pton(AF_INET6, tmp, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, (socklen_t)outsz) != NULL;
	return false;
}

static bool
in_list(const char *list, const char *ip)
{
	char canon[INET6_ADDRSTRLEN];

	while (list != NULL && *list != '\0') {
		const char *comma = strchr(list, ',');
		size_t n =
		        comma != NULL ? (size_t)(comma - list) : strlen(list);

		if (ip_canon(list, n, canon, sizeof(canon)) &&
		    strcmp(canon, ip) == 0)
			return true;
		list = comma != NULL ? comma + 1 : NULL;
	}
	return false;
}

/* The last address of an X-Forwarded-For list: the one our proxy added. */
static bool
last_forwarded(const char *xff, char *out, size_t outsz)
{
	const char *last = strrchr(xff, ',');

	last = last != NULL ? last + 1 : xff;
	return ip_canon(last, strlen(last), out, outsz);
}

static int
send_before(const struct petrel_host *host, struct petrel_call *call,
            const struct petrel_send *msg)
{
	char peer[INET6_ADDRSTRLEN], client[INET6_ADDRSTRLEN];
	const char *ip;

	if (msg->client_ip == NULL ||
	    !ip_canon(msg->client_ip, strlen(msg->client_ip), peer,
	              sizeof(peer))) {
		host->log(call, PETREL_LOG_WARN,
		          "no client address: header not added");
		return 0;
	}
	ip = peer;
	if (host->option_bool(call, "check_proxy") &&
	    in_list(host->option(call, "trusted_proxies"), peer)) {
		if (msg->forwarded_for != NULL &&
		    last_forwarded(msg->forwarded_for, client, sizeof(client)))
			ip = client;
		else if (msg->real_ip != NULL &&
		         ip_canon(msg->real_ip, strlen(msg->real_ip), client,
		                  sizeof(client)))
			ip = client;
	}
	if (host->add_header(call, "X-Originating-IP", ip) != 0)
		host->log(call, PETREL_LOG_WARN, "header refused");
	return 0;
}

static const struct petrel_hooks hooks = {
        .size = sizeof(struct petrel_hooks),
        .send_before = send_before,
};

PETREL_PLUGIN_EXPORT const struct petrel_plugin petrel_plugin_v1 = {
        .abi_major = PETREL_PLUGIN_ABI_MAJOR,
        .abi_minor = PETREL_PLUGIN_ABI_MINOR,
        .size = sizeof(struct petrel_plugin),
        .name = "add-x-originating-ip-header",
        .version = "1.0",
        .description = "Adds X-Originating-IP with the sender's address "
                       "to sent mail.",
        .options = options,
        .n_options = sizeof(options) / sizeof(options[0]),
        .option_size = sizeof(struct petrel_option),
        .hooks = &hooks,
};
