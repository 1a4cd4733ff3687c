/*
 * smtp - message submission (libetpan mailsmtp on net's transport).
 *
 * smtp_send() opens one connection per message: greeting, EHLO, STARTTLS
 * and EHLO again when smtp_secure is TLS (a server that does not offer it
 * is refused), AUTH, MAIL FROM (with SIZE when offered), one RCPT TO per
 * recipient, DATA, QUIT. TLS runs through src/net (verified OpenSSL), never
 * libetpan's own SSL layer.
 *
 * Credentials: the domain's fixed relay account (relay_user and
 * relay_password) when one is configured, else the user's login and
 * password when smtp_auth is On (the local part only with
 * smtp_short_login). AUTH PLAIN is preferred, LOGIN is the fallback; both
 * are written here over the stream so that no SASL plugin is needed, and
 * only over TLS (a plain connection authenticates only to 127.0.0.1/::1).
 *
 * The message is sent as given: it must be 7-bit clean or the server must
 * offer 8BITMIME (src/mime's builder produces 7-bit messages), with CRLF or
 * LF line ends (libetpan converts and dot-stuffs).
 *
 * Errors: PERR_REMOTE when the server refused something; msg is the
 * server's reply, code and text exactly as sent ("550 5.1.1 <x@y>:
 * Recipient address rejected: ..."), and *fail_r (may be NULL) says at
 * which stage and for which recipient. PERR_TEMPFAIL when the server is
 * down, timed out, answered 421 or TLS failed. PERR_LIMIT when the message
 * is larger than the server's SIZE. PERR_INPUT when a value holds CR, LF
 * or NUL or the settings are unusable (nothing is sent then).
 */
#ifndef PETREL_SMTP_H
#define PETREL_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "config/config.h"

struct smtp_envelope {
	const char *from;        /* MAIL FROM address, without <> */
	const char *const *rcpt; /* RCPT TO addresses, without <> */
	size_t n_rcpt;
};

/* Where a submission failed (PERR_REMOTE and some PERR_TEMPFAIL). */
struct smtp_failure {
	int code;              /* the reply code, 0 when there was none */
	const char *stage;     /* "connect", "greeting", "EHLO", "STARTTLS",
	                          "AUTH", "MAIL FROM", "RCPT TO", "DATA" */
	const char *recipient; /* RCPT TO only, else NULL */
	const char *reply;     /* the server's reply text, "" if none */
	/*
	 * The whole message went out but no answer came back (the connection
	 * broke or timed out waiting for the reply to the final "."): the
	 * server may have queued it, so sending it again may deliver it twice.
	 */
	bool maybe_delivered;
};

/*
 * The user's credentials; both may be NULL when the domain has a relay
 * account or smtp_auth is Off.
 */
struct smtp_login {
	const char *user;
	const char *password;
};

/*
 * Submit msg to dom's SMTP server. Strings of the results are in a.
 * *size_limit_r (may be NULL) gets the server's SIZE (0: none said).
 */
int smtp_send(const struct config_domain *dom, const struct smtp_login *login,
              const struct smtp_envelope *env, struct strv msg, struct arena *a,
              struct smtp_failure *fail_r, struct perr *err) PT_WARN_UNUSED;

/*
 * Parse one SMTP reply (one or more "NNN-text"/"NNN text" lines, CRLF or
 * LF) into its code and its text lines joined by "\n". Pure; for the AUTH
 * exchange and tests. Returns 0, or -1 if it is not a well-formed reply.
 */
int smtp_reply_parse(struct strv reply, int *code_r, struct arena *a,
                     const char **text_r) PT_WARN_UNUSED;

/* The SASL PLAIN initial response: base64("\0user\0password"). */
char *smtp_auth_plain(const char *user, const char *password, struct arena *a);

#endif
