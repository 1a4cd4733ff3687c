/*
 * sieve - ManageSieve client (RFC 5804) and the filter rules model with
 * its Sieve script (RFC 5228) generator and parser.
 *
 * The client runs on net's mailstream (our OpenSSL transport); libetpan
 * has no ManageSieve code, so the protocol is ours: a small tokenizer for
 * atoms, quoted strings, literals {N}/{N+} and parenthesised response
 * codes, fed from any byte source (the network, or memory in the unit
 * tests and the fuzz target). Every literal and line is bounded, so a
 * hostile server cannot make the client allocate without limit.
 *
 * The rules model is what the web API exchanges (docs/API.md, Filters).
 * sieve_script_generate() writes one script with only the `require`
 * extensions the server announced; sieve_script_parse() reads back a
 * script that Petrel wrote (it regenerates the script from what it read
 * and accepts it only when the bytes are identical) and says "foreign"
 * for anything else. The script format is described in script.c.
 */
#ifndef PETREL_SIEVE_H
#define PETREL_SIEVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "config/config.h"
#include "net/net.h"

/* Bounds against a broken or hostile server. */
#define SIEVE_LINE_MAX (64 * 1024)          /* one response line, no literals */
#define SIEVE_LITERAL_MAX (4 * 1024 * 1024) /* one literal (a script) */
#define SIEVE_LINE_ITEMS_MAX 256            /* tokens in one response line */
#define SIEVE_RESPONSE_LINES_MAX 10000      /* lines before OK/NO/BYE */
#define SIEVE_RESPONSE_MAX (8 * 1024 * 1024) /* bytes of one whole answer */

/* ---- response parser (public for the unit tests and the fuzzer) ------ */

/*
 * A byte source: read up to n bytes into buf; > 0 bytes read, 0 at end of
 * input, < 0 on error.
 */
typedef long sieve_read_fn(void *ctx, void *buf, size_t n);

struct sieve_src {
	sieve_read_fn *read;
	void *ctx;
	char buf[4096];
	size_t pos, len;
	bool eof, failed;
};

void sieve_src_init(struct sieve_src *s, sieve_read_fn *read, void *ctx);

enum sieve_item_type {
	SIEVE_ITEM_ATOM,   /* OK, NO, ACTIVE, QUOTA/MAXSIZE ... */
	SIEVE_ITEM_STRING, /* quoted string or literal, decoded */
	SIEVE_ITEM_LPAREN,
	SIEVE_ITEM_RPAREN,
};

struct sieve_item {
	enum sieve_item_type type;
	struct strv s; /* in the arena; NUL-terminated */
};

/* One response line: its items, literals included. */
struct sieve_line {
	struct sieve_item *items;
	size_t n;
};

/*
 * Read one line (through any literals it holds) into l, memory in a.
 * Errors: PERR_TEMPFAIL for a source error or end of input, PERR_REMOTE
 * for a syntax error or a bound exceeded (the connection is then unusable).
 */
int sieve_read_line(struct sieve_src *src, struct arena *a,
                    struct sieve_line *l, struct perr *err) PT_WARN_UNUSED;

enum sieve_status_kind { SIEVE_OK, SIEVE_NO, SIEVE_BYE };

/* A final response: OK / NO / BYE [(code [arg])] [text]. */
struct sieve_status {
	enum sieve_status_kind kind;
	const char *code; /* "NONEXISTENT", "QUOTA/MAXSIZE" ...; NULL: none */
	const char *code_arg; /* the code's string argument, or NULL */
	const char *text;     /* the human-readable text, or NULL */
};

/* True (and *st filled) if l is an OK, NO or BYE line. */
bool sieve_line_status(const struct sieve_line *l, struct sieve_status *st);

/*
 * The line number a Pigeonhole or Cyrus error text names ("line 3:
 * error: ..." or "...script.sieve: line 3: ..."), or 0.
 */
unsigned sieve_error_line(const char *text);

/* ---- the client ------------------------------------------------------ */

struct sieve_caps {
	const char *implementation, *version; /* NULL if not announced */
	const char **extensions; /* SIEVE: "fileinto", "vacation" ... */
	size_t n_extensions;
	const char **sasl;
	size_t n_sasl;
	bool starttls;
	unsigned max_redirects; /* 0: not announced */
	/* Every capability line as sent ("NOTIFY", "mailto"), value "" if none.
	 */
	const char **names, **values;
	size_t n_all;
};

/*
 * Fill caps from the capability lines (each "NAME" ["value"]); unknown
 * names are ignored. Strings in a.
 */
int sieve_caps_parse(const struct sieve_line *lines, size_t n, struct arena *a,
                     struct sieve_caps *caps, struct perr *err) PT_WARN_UNUSED;
bool sieve_caps_has(const struct sieve_caps *caps, const char *ext);

struct sieve_conn;

/*
 * Connect to dom's ManageSieve server (sieve_host, sieve_port,
 * sieve_secure, verify_certificate, ca_file, timeouts), read the greeting
 * and capabilities, run STARTTLS when sieve_secure is TLS (refusing a
 * server that does not offer it) and read the capabilities again. *c_r is
 * heap memory (sieve_close()). Errors go into a: PERR_TEMPFAIL for the
 * network, PERR_REMOTE for a protocol failure, PERR_INPUT for settings.
 */
int sieve_connect(const struct config_domain *dom, struct arena *a,
                  struct sieve_conn **c_r, struct perr *err) PT_WARN_UNUSED;

/*
 * The same to an explicit target (the admin's connection test); its
 * strings are copied. *tls_r (may be NULL) gets the TLS details.
 */
int sieve_connect_target(const struct net_target *t, struct arena *a,
                         struct sieve_conn **c_r, struct net_tls_info *tls_r,
                         struct perr *err) PT_WARN_UNUSED;

/* The greeting's final line, as `OK "text"`. */
const char *sieve_conn_greeting(const struct sieve_conn *c);

/*
 * AUTHENTICATE "PLAIN" with the initial response as a literal {N+}.
 * Wrong credentials: PERR_AUTH with the server's text.
 */
int sieve_login(struct sieve_conn *c, const char *user, const char *password,
                struct perr *err) PT_WARN_UNUSED;

/* LOGOUT (best effort) and free *cp. NULL-safe. */
void sieve_close(struct sieve_conn **cp);

const struct sieve_caps *sieve_conn_caps(const struct sieve_conn *c);
/* True when the connection runs over TLS. */
bool sieve_conn_is_tls(const struct sieve_conn *c);
/*
 * True once the stream failed or the server sent something malformed:
 * an error then came from the connection, not from a NO answer.
 */
bool sieve_conn_is_broken(const struct sieve_conn *c);

/*
 * The last NO's response code ("NONEXISTENT") and text, or NULL. Valid
 * until the next command.
 */
const char *sieve_last_code(const struct sieve_conn *c);
const char *sieve_last_text(const struct sieve_conn *c);

struct sieve_script_info {
	const char *name;
	bool active;
};

/*
 * Commands. A NO answer is an error whose message is the server's text;
 * its kind is PERR_NOTFOUND for NONEXISTENT, PERR_CONFLICT for ACTIVE and
 * ALREADYEXISTS, PERR_LIMIT for QUOTA*, else PERR_REMOTE. Names and
 * scripts are sent as literals (any UTF-8, any size up to the bounds).
 * Results live in a.
 */
int sieve_list(struct sieve_conn *c, struct arena *a,
               struct sieve_script_info **list_r, size_t *n_r,
               struct perr *err) PT_WARN_UNUSED;
int sieve_get(struct sieve_conn *c, const char *name, struct arena *a,
              struct strv *script_r, struct perr *err) PT_WARN_UNUSED;
/* *warnings_r (may be NULL): the text of an OK (WARNINGS) answer. */
int sieve_put(struct sieve_conn *c, const char *name, struct strv script,
              struct arena *a, const char **warnings_r,
              struct perr *err) PT_WARN_UNUSED;
int sieve_check(struct sieve_conn *c, struct strv script, struct arena *a,
                const char **warnings_r, struct perr *err) PT_WARN_UNUSED;
/* name "" deactivates all scripts. */
int sieve_set_active(struct sieve_conn *c, const char *name, struct arena *a,
                     struct perr *err) PT_WARN_UNUSED;
int sieve_delete(struct sieve_conn *c, const char *name, struct arena *a,
                 struct perr *err) PT_WARN_UNUSED;
int sieve_rename(struct sieve_conn *c, const char *name, const char *new_name,
                 struct arena *a, struct perr *err) PT_WARN_UNUSED;
int sieve_have_space(struct sieve_conn *c, const char *name, size_t size,
                     struct arena *a, struct perr *err) PT_WARN_UNUSED;

/* A script name fit to send: 1..128 bytes of UTF-8, no control chars. */
bool sieve_name_is_valid(const char *name);

/* ---- the rules model ------------------------------------------------- */

enum sieve_field {
	SIEVE_FIELD_FROM,
	SIEVE_FIELD_TO, /* To and Cc */
	SIEVE_FIELD_SUBJECT,
	SIEVE_FIELD_HEADER, /* header names the header */
	SIEVE_FIELD_BODY,
	SIEVE_FIELD_SIZE,
};

enum sieve_op {
	SIEVE_OP_CONTAINS,
	SIEVE_OP_IS,
	SIEVE_OP_BEGINS,
	SIEVE_OP_MATCHES, /* the value's * and ? are wildcards */
	SIEVE_OP_REGEX,
	SIEVE_OP_OVER, /* size only */
	SIEVE_OP_UNDER,
};

struct sieve_cond {
	enum sieve_field field;
	const char *header; /* SIEVE_FIELD_HEADER */
	enum sieve_op op;
	bool not ;
	const char *value; /* size: "100K", "2M" or a byte count */
};

enum sieve_action_type {
	SIEVE_ACT_MOVE,
	SIEVE_ACT_COPY,
	SIEVE_ACT_READ,
	SIEVE_ACT_FLAG,
	SIEVE_ACT_REDIRECT,
	SIEVE_ACT_REJECT,
	SIEVE_ACT_DISCARD,
	SIEVE_ACT_STOP,
};

struct sieve_action {
	enum sieve_action_type type;
	const char *folder;  /* move, copy (UTF-8, "/"-separated) */
	const char *address; /* redirect */
	const char *text;    /* reject; "\n" line ends */
	bool keep_copy;      /* redirect */
	bool create;         /* move, copy: written as :create (mailbox) */
};

struct sieve_rule {
	const char *name;
	bool enabled;
	bool any; /* "any of" the conditions; else "all of" */
	struct sieve_cond *conds;
	size_t n_conds;
	struct sieve_action *actions;
	size_t n_actions;
};

struct sieve_vacation {
	bool enabled;
	const char *subject;
	const char *text; /* "\n" line ends */
	unsigned days;
	const char *from, *to; /* "YYYY-MM-DD" or NULL */
	const char **addresses;
	size_t n_addresses;
};

struct sieve_rules {
	struct sieve_rule *rules;
	size_t n_rules;
	struct sieve_vacation vacation;
};

#define SIEVE_RULES_MAX 500
#define SIEVE_CONDS_MAX 50
#define SIEVE_ACTIONS_MAX 50
#define SIEVE_VALUE_MAX 1024
#define SIEVE_TEXT_MAX (64 * 1024)

/* Names for the API ("from", "contains", "move" ...). */
const char *sieve_field_name(enum sieve_field f);
const char *sieve_op_name(enum sieve_op op);
const char *sieve_action_name(enum sieve_action_type t);
bool sieve_op_parse(const char *s, enum sieve_op *op_r);
bool sieve_action_parse(const char *s, enum sieve_action_type *t_r);

/*
 * Check r against the server's extensions (NULL: any) and write the
 * script into out. Bad input is PERR_INPUT with a message that names the
 * place, "rule 2: condition 1: value: ..." or "vacation: from: ...", and
 * *where_r (may be NULL) gets that place ("rules[1].conditions[0].value").
 * Actions "read" and "flag" are written before the other actions of a
 * rule, since Sieve files a message with the flags set so far.
 */
int sieve_script_generate(const struct sieve_rules *r,
                          const struct sieve_caps *caps, struct sbuf *out,
                          struct arena *a, const char **where_r,
                          struct perr *err) PT_WARN_UNUSED;

/*
 * Read a script Petrel wrote. Returns 0 with *foreign_r false and r
 * filled, or 0 with *foreign_r true (r empty) when the script is not one
 * of ours or does not round-trip byte for byte. -1 only for memory.
 */
int sieve_script_parse(struct strv script, struct arena *a,
                       struct sieve_rules *r, bool *foreign_r,
                       struct perr *err) PT_WARN_UNUSED;

/* s with CRLF and CR line ends turned into "\n", in a (NULL: NULL). */
const char *sieve_text_norm(const char *s, struct arena *a);

/* The first line of every script Petrel writes. */
#define SIEVE_SCRIPT_MAGIC "# Petrel filters v1"
/* The name Petrel saves its script under. */
#define SIEVE_SCRIPT_NAME "petrel"

#endif
