/*
 * SnappyMail <domain>.json reader: arbitrary bytes must never crash it,
 * and whatever it accepts must hold values the rest of Petrel relies on
 * (ports and timeouts in range, no NULL strings).
 */
#include <stdint.h>
#include <stdlib.h>

#include "config/config.h"
#include "core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_create("fuzz", 4096, 0);
	struct config_domain d;
	struct perr err = {0};

	if (config_domain_parse_json("fuzz.json",
	                             (struct strv){(const char *)data, size},
	                             NULL, NULL, &d, a, &err) == 0) {
		if (d.imap_port < 1 || d.imap_port > 65535 || d.smtp_port < 1 ||
		    d.smtp_port > 65535 || d.sieve_port < 1 ||
		    d.sieve_port > 65535 || d.read_timeout < 1 ||
		    d.read_timeout > 3600)
			abort();
		if (d.imap_host == NULL || d.smtp_host == NULL ||
		    d.sieve_host == NULL || d.white_list == NULL ||
		    d.relay_user == NULL || d.ca_file == NULL)
			abort();
		if (d.imap_secure > CONFIG_SECURE_TLS ||
		    d.smtp_secure > CONFIG_SECURE_TLS ||
		    d.sieve_secure > CONFIG_SECURE_TLS)
			abort();
	}
	arena_destroy(&a);
	return 0;
}
