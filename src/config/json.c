/*
 * SnappyMail's <domain>.json files (RainLoop\Model\Domain::fromArray):
 *
 *   { "IMAP":  { "host", "port", "type", "timeout", "shortLogin",
 *                "lowerLogin", "sasl": [...], "ssl": { "verify_peer",
 *                "verify_peer_name", "allow_self_signed", ... } },
 *     "SMTP":  { the same, plus "useAuth", "setSender", "usePhpMail" },
 *     "Sieve": { the same, plus "enabled" },
 *     "whiteList": "..." }
 *
 * and the older flat shape ("imapHost", "imapPort", "imapSecure", ...).
 * "type" is 0 (none), 1 (SSL/TLS), 2 (STARTTLS) or 9 (auto-detect). Keys
 * Petrel has no use for (sasl, lowerLogin, disabled_capabilities, ...)
 * are ignored, as SnappyMail ignores keys it does not know. Petrel's own
 * settings that SnappyMail has no key for may be given in a top-level
 * "petrel" object with the .ini key names ("sieve_allow_raw": true,
 * "relay_user": "...", "connect_timeout": 5); SnappyMail ignores it.
 *
 * jansson is used here and nowhere else in config: the rest of Petrel sees
 * struct config_domain only.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "config_private.h"
#include "core/banned.h"

/* SnappyMail's default read timeouts are 300 s (IMAP) at most. */
#define READ_TIMEOUT_MAX 3600

struct jctx {
	struct config_domain *d;
	const char *path;
	struct arena *a;
	struct diag_sink *sink;
	bool verify_off; /* some ssl.verify_peer was false */
};

/* PHP's (bool) of a decoded JSON value: what !empty() tests. */
static bool
truthy(const json_t *v, bool *b_r)
{
	if (json_is_boolean(v))
		*b_r = json_is_true(v);
	else if (json_is_integer(v))
		*b_r = json_integer_value(v) != 0;
	else if (json_is_real(v))
		*b_r = json_real_value(v) != 0.0;
	else if (json_is_string(v))
		*b_r = json_string_length(v) > 0 &&
		       strcmp(json_string_value(v), "0") != 0;
	else if (json_is_null(v))
		*b_r = false;
	else
		return false;
	return true;
}

static void
bad(struct jctx *c, const char *obj, const char *key, const char *want)
{
	config_sink_report(c->sink, CONFIG_DIAG_ERROR, c->path, 0,
	                   "%s%s%s: expected %s", obj,
	                   obj[0] != '\0' ? "." : "", key, want);
}

static void
get_bool(struct jctx *c, const json_t *o, const char *obj, const char *key,
         bool *out)
{
	const json_t *v = json_object_get(o, key);

	if (v != NULL && !truthy(v, out))
		bad(c, obj, key, "true or false");
}

/* An integer, or a string of digits (PHP's (int) of "993"). */
static bool
get_uint(struct jctx *c, const json_t *o, const char *obj, const char *key,
         unsigned min, unsigned max, unsigned *out)
{
	const json_t *v = json_object_get(o, key);
	uint64_t u;

	if (v == NULL)
		return false;
	if (json_is_integer(v) && json_integer_value(v) >= (json_int_t)min &&
	    json_integer_value(v) <= (json_int_t)max) {
		*out = (unsigned)json_integer_value(v);
		return true;
	}
	if (json_is_string(v) &&
	    pt_parse_u64(strv_trim(strv_from_cstr(json_string_value(v))), max,
	                 &u) &&
	    u >= min) {
		*out = (unsigned)u;
		return true;
	}
	config_sink_report(c->sink, CONFIG_DIAG_ERROR, c->path, 0,
	                   "%s%s%s: expected a number from %u to %u", obj,
	                   obj[0] != '\0' ? "." : "", key, min, max);
	return false;
}

static void
get_str(struct jctx *c, const json_t *o, const char *obj, const char *key,
        const char **out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_string(v)) {
		bad(c, obj, key, "a string");
		return;
	}
	*out = strv_dup(c->a, strv_trim(strv_from_cstr(json_string_value(v))));
	PT_ASSERT(*out != NULL);
}

/*
 * "type" 9 (auto-detect) in SnappyMail tries TLS on the implicit-TLS
 * ports and STARTTLS elsewhere. Petrel never falls back to plain text:
 * 9 means implicit TLS on 993, 995 and 465 and required STARTTLS on any
 * other port.
 */
static enum config_secure
auto_detect(unsigned port)
{
	return port == 993 || port == 995 || port == 465 ? CONFIG_SECURE_SSL
	                                                 : CONFIG_SECURE_TLS;
}

static void
get_type(struct jctx *c, const json_t *o, const char *obj, const char *key,
         unsigned port, enum config_secure *out)
{
	const json_t *v = json_object_get(o, key);
	unsigned t;

	if (v == NULL)
		return;
	if (!get_uint(c, o, obj, key, 0, 9, &t))
		return;
	switch (t) {
	case 0:
		*out = CONFIG_SECURE_NONE;
		return;
	case 1:
		*out = CONFIG_SECURE_SSL;
		return;
	case 2:
		*out = CONFIG_SECURE_TLS;
		return;
	case 9:
		*out = auto_detect(port);
		return;
	default:
		bad(c, obj, key,
		    "0 (none), 1 (SSL/TLS), 2 (STARTTLS) or 9 (auto-detect)");
	}
}

/* One of "IMAP", "SMTP", "Sieve": the fields it has in common. */
struct proto_fields {
	const char **host;
	unsigned *port;
	enum config_secure *secure;
	bool *short_login; /* NULL: Sieve logs in as IMAP does */
	bool *lower_login;
};

static void
read_proto(struct jctx *c, const json_t *o, const char *obj,
           const struct proto_fields *f)
{
	const json_t *ssl, *v;
	bool verify = true;

	get_str(c, o, obj, "host", f->host);
	(void)get_uint(c, o, obj, "port", 1, 65535, f->port);
	get_type(c, o, obj, "type", *f->port, f->secure);
	if (f->short_login != NULL)
		get_bool(c, o, obj, "shortLogin", f->short_login);
	if (f->lower_login != NULL) {
		/* SnappyMail's default when the key is absent is true. */
		*f->lower_login = true;
		get_bool(c, o, obj, "lowerLogin", f->lower_login);
	}
	ssl = json_object_get(o, "ssl");
	v = json_is_object(ssl) ? json_object_get(ssl, "verify_peer") : NULL;
	if (v != NULL) {
		if (!truthy(v, &verify))
			bad(c, obj, "ssl.verify_peer", "true or false");
		else if (!verify)
			c->verify_off = true;
	}
}

/* The current shape: "IMAP", "SMTP", "Sieve" objects. */
static void
read_objects(struct jctx *c, const json_t *root)
{
	struct config_domain *d = c->d;
	const json_t *imap = json_object_get(root, "IMAP");
	const json_t *smtp = json_object_get(root, "SMTP");
	const json_t *sieve = json_object_get(root, "Sieve");
	struct proto_fields fi = {&d->imap_host, &d->imap_port, &d->imap_secure,
	                          &d->imap_short_login, &d->imap_lower_login};
	struct proto_fields fs = {&d->smtp_host, &d->smtp_port, &d->smtp_secure,
	                          &d->smtp_short_login, &d->smtp_lower_login};
	struct proto_fields fv = {&d->sieve_host, &d->sieve_port,
	                          &d->sieve_secure, NULL, NULL};
	unsigned timeout;
	bool php_mail = false;

	read_proto(c, imap, "IMAP", &fi);
	if (get_uint(c, imap, "IMAP", "timeout", 0, 1000000, &timeout))
		d->read_timeout = timeout == 0 ? 60
		                  : timeout > READ_TIMEOUT_MAX
		                          ? READ_TIMEOUT_MAX
		                          : timeout;
	if (smtp != NULL && !json_is_object(smtp)) {
		bad(c, "", "SMTP", "an object");
	} else if (smtp != NULL) {
		read_proto(c, smtp, "SMTP", &fs);
		get_bool(c, smtp, "SMTP", "useAuth", &d->smtp_auth);
		get_bool(c, smtp, "SMTP", "setSender", &d->smtp_set_sender);
		get_bool(c, smtp, "SMTP", "usePhpMail", &php_mail);
		if (php_mail)
			config_sink_report(
			        c->sink, CONFIG_DIAG_WARN, c->path, 0,
			        "SMTP.usePhpMail: PHP's mail() does not exist "
			        "in Petrel; mail goes to SMTP %s:%u",
			        d->smtp_host, d->smtp_port);
	}
	if (sieve != NULL && !json_is_object(sieve)) {
		bad(c, "", "Sieve", "an object");
	} else if (sieve != NULL) {
		read_proto(c, sieve, "Sieve", &fv);
		get_bool(c, sieve, "Sieve", "enabled", &d->sieve_use);
	}
}

/* The older flat shape (Domain::fromArray's "old way"). */
static const struct {
	const char *flat, *obj, *key;
} flat_keys[] = {
        {"imapHost", "IMAP", "host"},
        {"imapPort", "IMAP", "port"},
        {"imapSecure", "IMAP", "type"},
        {"imapShortLogin", "IMAP", "shortLogin"},
        {"useSieve", "Sieve", "enabled"},
        {"sieveHost", "Sieve", "host"},
        {"sievePort", "Sieve", "port"},
        {"sieveSecure", "Sieve", "type"},
        {"smtpHost", "SMTP", "host"},
        {"smtpPort", "SMTP", "port"},
        {"smtpSecure", "SMTP", "type"},
        {"smtpShortLogin", "SMTP", "shortLogin"},
        {"smtpAuth", "SMTP", "useAuth"},
        {"smtpSetSender", "SMTP", "setSender"},
        {"smtpPhpMail", "SMTP", "usePhpMail"},
};

static void
read_flat(struct jctx *c, const json_t *root)
{
	json_t *o = json_object();
	size_t i;

	/* Rebuild the current shape and read that: one set of rules. */
	json_object_set_new(o, "IMAP", json_object());
	json_object_set_new(o, "SMTP", json_object());
	json_object_set_new(o, "Sieve", json_object());
	for (i = 0; i < PT_NELEM(flat_keys); i++) {
		json_t *v = json_object_get(root, flat_keys[i].flat);

		if (v != NULL)
			json_object_set(json_object_get(o, flat_keys[i].obj),
			                flat_keys[i].key, v);
	}
	read_objects(c, o);
	json_decref(o);
}

/* The "petrel" object: Petrel's own keys, as in a domain .ini. */
static void
read_petrel(struct jctx *c, const json_t *p)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)p, key, v)
	{
		char num[32];
		struct strv val;
		bool quoted = false;

		if (json_is_string(v)) {
			val = strv_from_cstr(json_string_value(v));
			quoted = true;
		} else if (json_is_boolean(v)) {
			val = json_is_true(v) ? STRV_LIT("On")
			                      : STRV_LIT("Off");
		} else if (json_is_integer(v) &&
		           pt_snprintf_ok(num, sizeof(num), "%lld",
		                          (long long)json_integer_value(v))) {
			val = strv_from_cstr(num);
		} else {
			bad(c, "petrel", key, "a string, number or boolean");
			continue;
		}
		if (strcmp(key, "disabled") == 0 ||
		    !config_domain_set_key(c->d, key, val, quoted, 0, c->a,
		                           c->sink, c->path))
			config_sink_report(c->sink, CONFIG_DIAG_WARN, c->path,
			                   0, "unknown key petrel.%s", key);
	}
}

/* Parse text (named path in messages) into d over its current values. */
static void
parse_domain(struct config_domain *d, const char *path, struct strv text,
             struct arena *a, struct diag_sink *sink)
{
	struct jctx c = {d, path, a, sink, false};
	json_error_t je;
	json_t *root, *v;

	root = json_loadb(text.p, text.len, 0, &je);
	if (root == NULL) {
		config_sink_report(sink, CONFIG_DIAG_ERROR, path,
		                   je.line > 0 ? (unsigned)je.line : 0,
		                   "malformed JSON: %s (column %d)", je.text,
		                   je.column);
		return;
	}
	if (!json_is_object(root)) {
		config_sink_report(sink, CONFIG_DIAG_ERROR, path, 0,
		                   "expected a JSON object");
	} else if (json_is_object(json_object_get(root, "IMAP"))) {
		read_objects(&c, root);
	} else if (json_object_get(root, "imapHost") != NULL) {
		read_flat(&c, root);
	} else {
		config_sink_report(sink, CONFIG_DIAG_ERROR, path, 0,
		                   "no IMAP settings (an \"IMAP\" object or "
		                   "\"imapHost\")");
	}
	if (json_is_object(root)) {
		get_str(&c, root, "", "whiteList", &d->white_list);
		v = json_object_get(root, "petrel");
		if (json_is_object(v))
			read_petrel(&c, v);
		else if (v != NULL)
			bad(&c, "", "petrel", "an object");
	}
	if (c.verify_off)
		d->verify_certificate = false;
	json_decref(root);
}

void
config_json_domain_read(struct config_domain *d, const char *path,
                        struct arena *a, struct diag_sink *sink)
{
	struct sbuf buf;
	struct perr e = {0};

	sbuf_init(&buf, NULL, 4096, CONFIG_INI_MAX_SIZE);
	if (config_read_file(path, &buf, a, &e) != 0)
		config_sink_report(sink, CONFIG_DIAG_ERROR, path, 0, "%s",
		                   e.msg);
	else
		parse_domain(d, path, sbuf_view(&buf), a, sink);
	sbuf_free(&buf);
}

int
config_domain_parse_json(const char *name, struct strv text,
                         config_diag_fn *diag, void *ctx,
                         struct config_domain *d, struct arena *a,
                         struct perr *err)
{
	struct diag_sink sink = {0};

	sink.fn = diag;
	sink.ctx = ctx;
	sink.a = a;
	config_domain_defaults(d, a);
	d->name = "";
	d->file = name;
	d->format = CONFIG_DOMAIN_JSON;
	if (text.len > CONFIG_INI_MAX_SIZE)
		return perr_set(err, a, PERR_LIMIT, "%s: too large", name);
	parse_domain(d, name, text, a, &sink);
	if (sink.errors > 0)
		return perr_set(err, a, PERR_INPUT, "%s", sink.first);
	return 0;
}

/* ---- editing --------------------------------------------------------- */

struct config_json_doc {
	json_t *root;
};

int
config_json_load(const char *path, struct arena *a,
                 struct config_json_doc **doc_r, struct perr *err)
{
	struct sbuf buf;
	json_error_t je;
	json_t *root;

	*doc_r = NULL;
	sbuf_init(&buf, NULL, 4096, CONFIG_INI_MAX_SIZE);
	if (config_read_file(path, &buf, a, err) != 0) {
		sbuf_free(&buf);
		return -1;
	}
	root = json_loadb(buf.data, buf.len, 0, &je);
	sbuf_free(&buf);
	if (root == NULL)
		return perr_set(err, a, PERR_INPUT,
		                "%s:%d: malformed JSON: %s (column %d)", path,
		                je.line, je.text, je.column);
	if (!json_is_object(root)) {
		json_decref(root);
		return perr_set(err, a, PERR_INPUT,
		                "%s: expected a JSON object", path);
	}
	*doc_r = pt_xcalloc(1, sizeof(**doc_r));
	(*doc_r)->root = root;
	return 0;
}

void
config_json_destroy(struct config_json_doc **docp)
{
	if (*docp == NULL)
		return;
	json_decref((*docp)->root);
	free(*docp);
	*docp = NULL;
}

/* The object at a dotted path, created (or replaced if not an object). */
static json_t *
object_at(json_t *root, const char *path)
{
	json_t *o = root;
	const char *p = path;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		char name[64];
		json_t *next;

		PT_ASSERT(n < sizeof(name));
		memcpy(name, p, n);
		name[n] = '\0';
		next = json_object_get(o, name);
		if (!json_is_object(next)) {
			next = json_object();
			json_object_set_new(o, name, next);
		}
		o = next;
		p += n;
		if (*p == '.')
			p++;
	}
	return o;
}

void
config_json_set_str(struct config_json_doc *doc, const char *obj,
                    const char *key, const char *value)
{
	json_object_set_new(object_at(doc->root, obj), key, json_string(value));
}

void
config_json_set_int(struct config_json_doc *doc, const char *obj,
                    const char *key, long long value)
{
	json_object_set_new(object_at(doc->root, obj), key,
	                    json_integer((json_int_t)value));
}

void
config_json_set_bool(struct config_json_doc *doc, const char *obj,
                     const char *key, bool value)
{
	json_object_set_new(object_at(doc->root, obj), key,
	                    json_boolean(value));
}

int
config_json_save(const struct config_json_doc *doc, const char *path,
                 struct arena *a, struct perr *err)
{
	char *text =
	        json_dumps(doc->root, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	int r;

	if (text == NULL)
		return perr_set(err, a, PERR_INTERNAL, "%s: cannot encode",
		                path);
	r = config_write_atomic(path, strv_from_cstr(text), 0640, a, err);
	free(text);
	return r;
}
