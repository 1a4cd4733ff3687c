/*
 * change-password/driver_hestia.c - Hestia's own endpoint does the change.
 *
 * POST https://<hestia_host>:<hestia_port>/reset/mail/ with the form
 * fields email, password (the current one) and new. Hestia checks the
 * current password against the account's hash itself and answers the
 * body "==ok==" when it changed the password, anything else ("error")
 * when it did not. It only serves callers on the server's own addresses
 * and refuses requests that carry X-Forwarded-For or X-Real-IP, which
 * host->http_post_form never sends.
 */
#include <stdio.h>
#include <string.h>

#include "change_password.h"

int
cp_hestia_change(const struct petrel_host *host, struct petrel_call *call,
                 const char *user, const char *current, const char *next)
{
	const char *hestia_host = host->option(call, "hestia_host");
	int64_t port = host->option_int(call, "hestia_port");
	const char *fields[] = {"email", user, "password", current,
	                        "new",   next, NULL};
	char url[600];
	const char *body = NULL;
	int status = 0, n;

	if (hestia_host == NULL || hestia_host[0] == '\0')
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_NOT_SET_UP"));
	if (strchr(hestia_host, ':') != NULL)
		n = snprintf(url, sizeof(url), "https://[%s]:%lld/reset/mail/",
		             hestia_host, (long long)port);
	else
		n = snprintf(url, sizeof(url), "https://%s:%lld/reset/mail/",
		             hestia_host, (long long)port);
	if (n < 0 || (size_t)n >= sizeof(url))
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_NOT_SET_UP"));
	if (host->http_post_form(call, url, fields,
	                         host->option_bool(call, "hestia_verify_tls"),
	                         15000, &status, &body) != 0)
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_SERVER_DOWN"));
	/* PHP may add white space around what it echoes. */
	while (body != NULL && (*body == ' ' || *body == '\n' || *body == '\r'))
		body++;
	if (status == 200 && body != NULL && strncmp(body, "==ok==", 6) == 0)
		return 0;
	if (body == NULL || body[0] == '\0')
		/* Hestia answers nothing to a caller it does not serve. */
		host->log(call, PETREL_LOG_WARN,
		          "Hestia gave no answer (HTTP %d): is this server's "
		          "address one of Hestia's own?",
		          status);
	else
		host->log(call, PETREL_LOG_INFO,
		          "Hestia refused the change for %s (HTTP %d)", user,
		          status);
	return host->refuse(call,
	                    host->translate(call, "L_PASSWORD_CHANGE_REFUSED"));
}
