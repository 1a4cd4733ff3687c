/*
 * The ManageSieve connection (RFC 5804): connect, capabilities, STARTTLS,
 * AUTHENTICATE "PLAIN" and the script commands. One connection serves one
 * request; it is not pooled (filters are edited rarely).
 *
 * Every string we send is a non-synchronising literal {N+}, the only
 * literal form a ManageSieve client may use, so names and scripts never
 * need quoting rules and cannot break out of the command.
 */
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>
#include <openssl/crypto.h>

#include "sieve.h"
#include "net/net.h"
#include "core/banned.h"

#define SIEVE_NAME_MAX 128
#define LOGOUT_TIMEOUT_MS 2000

struct sieve_conn {
	mailstream *s;
	struct net_target t;
	char *host, *ca_file, *sni;
	const char *greeting;
	struct arena *arena; /* capabilities, last response */
	struct sieve_src src;
	struct sieve_caps caps;
	const char *last_code, *last_text;
	bool broken;
};

/*
 * libetpan's mailstream_read() waits until it has all the bytes asked
 * for, so ask only for what is already buffered, or for one byte (which
 * makes it fill its buffer with whatever the socket has).
 */
static long
stream_read(void *ctx, void *buf, size_t n)
{
	struct sieve_conn *c = ctx;
	size_t want = c->s->read_buffer_len > 0 ? c->s->read_buffer_len : 1;
	ssize_t r;

	if (want > n)
		want = n;
	r = mailstream_read(c->s, buf, want);
	return (long)r;
}

static int
net_failed(struct sieve_conn *c, struct arena *a, struct perr *err,
           const char *what)
{
	const char *why = c->s != NULL ? net_stream_error(c->s) : NULL;

	c->broken = true;
	return perr_set(err, a, PERR_TEMPFAIL, "ManageSieve %s:%u: %s (%s)",
	                c->host, c->t.port, what,
	                why != NULL ? why : "connection closed");
}

static int
send_bytes(struct sieve_conn *c, const void *p, size_t n, struct arena *a,
           struct perr *err)
{
	if (c->broken)
		return perr_set(err, a, PERR_TEMPFAIL,
		                "the ManageSieve connection is broken");
	if (n > 0 && mailstream_write(c->s, p, n) < 0)
		return net_failed(c, a, err, "cannot send");
	return 0;
}

static int
send_cstr(struct sieve_conn *c, const char *s, struct arena *a,
          struct perr *err)
{
	return send_bytes(c, s, strlen(s), a, err);
}

/* " {N+}CRLF" and the bytes. */
static int
send_literal(struct sieve_conn *c, struct strv v, struct arena *a,
             struct perr *err)
{
	char head[40];

	if (!pt_snprintf_ok(head, sizeof(head), " {%zu+}\r\n", v.len))
		return perr_set(err, a, PERR_INTERNAL, "literal header");
	if (send_cstr(c, head, a, err) != 0 ||
	    send_bytes(c, v.p, v.len, a, err) != 0)
		return -1;
	return 0;
}

static int
send_end(struct sieve_conn *c, struct arena *a, struct perr *err)
{
	if (send_cstr(c, "\r\n", a, err) != 0)
		return -1;
	if (mailstream_flush(c->s) < 0)
		return net_failed(c, a, err, "cannot send");
	return 0;
}

static int
read_line(struct sieve_conn *c, struct arena *a, struct sieve_line *l,
          struct perr *err)
{
	if (sieve_read_line(&c->src, a, l, err) != 0) {
		c->broken = true;
		if (err->kind == PERR_TEMPFAIL)
			return net_failed(c, a, err, "no answer");
		return -1;
	}
	return 0;
}

static enum perr_kind
kind_of_code(const char *code)
{
	struct strv s = strv_from_cstr(code != NULL ? code : "");

	if (strv_eq_ci_ascii(s, STRV_LIT("NONEXISTENT")))
		return PERR_NOTFOUND;
	if (strv_eq_ci_ascii(s, STRV_LIT("ACTIVE")) ||
	    strv_eq_ci_ascii(s, STRV_LIT("ALREADYEXISTS")))
		return PERR_CONFLICT;
	if (strv_starts_with_ci_ascii(s, STRV_LIT("QUOTA")))
		return PERR_LIMIT;
	return PERR_REMOTE;
}

/*
 * Read the answer to a command: data lines into *data_r (may be NULL),
 * then OK/NO/BYE. NO becomes an error with the server's text.
 */
static int
read_response(struct sieve_conn *c, const char *cmd, struct arena *a,
              struct sieve_line **data_r, size_t *n_r,
              struct sieve_status *st_r, struct perr *err)
{
	struct sieve_line *lines = NULL;
	size_t n = 0, cap = 0, bytes = 0, i;
	struct sieve_status st;

	c->last_code = c->last_text = NULL;
	for (;;) {
		struct sieve_line l;

		if (read_line(c, a, &l, err) != 0)
			return -1;
		if (sieve_line_status(&l, &st))
			break;
		/* Each line is bounded; so is the whole answer. */
		for (i = 0; i < l.n; i++)
			bytes += l.items[i].s.len + 1;
		if (n == SIEVE_RESPONSE_LINES_MAX ||
		    bytes > SIEVE_RESPONSE_MAX) {
			c->broken = true;
			return perr_set(err, a, PERR_REMOTE,
			                "the ManageSieve server's answer to "
			                "%s never ended",
			                cmd);
		}
		if (data_r == NULL)
			continue;
		if (n == cap) {
			struct sieve_line *bigger;

			cap = cap == 0 ? 16 : cap * 2;
			bigger = arena_new_array(a, struct sieve_line, cap);
			if (bigger == NULL)
				return perr_set(err, a, PERR_LIMIT,
				                "out of memory");
			if (n > 0)
				memcpy(bigger, lines, n * sizeof(*lines));
			lines = bigger;
		}
		lines[n++] = l;
	}
	if (data_r != NULL) {
		*data_r = lines;
		*n_r = n;
	}
	if (st_r != NULL)
		*st_r = st;
	if (st.kind == SIEVE_OK)
		return 0;
	c->last_code = st.code != NULL ? arena_strdup(c->arena, st.code) : NULL;
	c->last_text = st.text != NULL ? arena_strdup(c->arena, st.text) : NULL;
	if (st.kind == SIEVE_BYE) {
		c->broken = true;
		return perr_set(err, a, PERR_TEMPFAIL,
		                "the ManageSieve server closed the "
		                "connection: %s",
		                st.text != NULL ? st.text : "BYE");
	}
	return perr_set(err, a, kind_of_code(st.code), "%s",
	                st.text != NULL ? st.text
	                                : arena_printf(a, "%s failed", cmd));
}

/* Capability lines, then OK (the greeting, or after STARTTLS). */
static int
read_caps(struct sieve_conn *c, struct arena *a, struct perr *err)
{
	struct sieve_line *lines;
	struct sieve_status st;
	size_t n;

	if (read_response(c, "the greeting", a, &lines, &n, &st, err) != 0)
		return -1;
	c->greeting = st.text != NULL
	                      ? arena_printf(c->arena, "OK \"%s\"", st.text)
	                      : "OK";
	if (sieve_caps_parse(lines, n, c->arena, &c->caps, err) != 0) {
		/* The connection's arena goes away with it; keep the text. */
		err->msg = arena_strdup(a, err->msg);
		return -1;
	}
	return 0;
}

bool
sieve_name_is_valid(const char *name)
{
	struct strv s = strv_from_cstr(name != NULL ? name : "");

	return s.len > 0 && s.len <= SIEVE_NAME_MAX && codec_utf8_valid(s) &&
	       !strv_has_ctl(s, false);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? pt_xstrdup(s) : NULL;
}

int
sieve_connect_target(const struct net_target *t, struct arena *a,
                     struct sieve_conn **c_r, struct net_tls_info *tls_r,
                     struct perr *err)
{
	struct sieve_conn *c;

	*c_r = NULL;
	c = pt_xcalloc(1, sizeof(*c));
	c->arena = arena_create("sieve", 4096, 8 * 1024 * 1024);
	c->t = *t;
	c->t.host = c->host = dup_or_null(t->host);
	c->t.ca_file = c->ca_file = dup_or_null(t->ca_file);
	c->t.sni = c->sni = dup_or_null(t->sni);
	sieve_src_init(&c->src, stream_read, c);
	if (net_connect(&c->t, a, &c->s, tls_r, err) != 0)
		goto fail;
	if (read_caps(c, a, err) != 0)
		goto fail;
	if (t->sec == NET_STARTTLS) {
		if (!c->caps.starttls) {
			perr_set(err, a, PERR_TEMPFAIL,
			         "ManageSieve %s:%u does not offer STARTTLS",
			         c->host, c->t.port);
			goto fail;
		}
		if (send_cstr(c, "STARTTLS", a, err) != 0 ||
		    send_end(c, a, err) != 0 ||
		    read_response(c, "STARTTLS", a, NULL, NULL, NULL, err) != 0)
			goto fail;
		/* Bytes read ahead in plaintext must not count as TLS. */
		if (c->src.pos < c->src.len) {
			perr_set(err, a, PERR_TEMPFAIL,
			         "ManageSieve %s:%u sent data after its "
			         "STARTTLS answer",
			         c->host, c->t.port);
			goto fail;
		}
		if (net_starttls(c->s, &c->t, a, tls_r, err) != 0)
			goto fail;
		/* RFC 5804 §2.2: the server sends its capabilities again. */
		if (read_caps(c, a, err) != 0)
			goto fail;
	}
	*c_r = c;
	return 0;
fail:
	c->broken = true;
	sieve_close(&c);
	return -1;
}

int
sieve_connect(const struct config_domain *dom, struct arena *a,
              struct sieve_conn **c_r, struct perr *err)
{
	struct net_target t;

	*c_r = NULL;
	if (dom->sieve_host == NULL || dom->sieve_host[0] == '\0' ||
	    dom->sieve_port == 0 || dom->sieve_port > 65535)
		return perr_set(err, a, PERR_INPUT,
		                "no ManageSieve server is configured");
	net_target_for_domain(&t, dom, dom->sieve_host, dom->sieve_port,
	                      dom->sieve_secure);
	return sieve_connect_target(&t, a, c_r, NULL, err);
}

const char *
sieve_conn_greeting(const struct sieve_conn *c)
{
	return c->greeting;
}

static bool
has_sasl(const struct sieve_caps *caps, const char *mech)
{
	size_t i;

	for (i = 0; i < caps->n_sasl; i++)
		if (strv_eq_ci_ascii(strv_from_cstr(caps->sasl[i]),
		                     strv_from_cstr(mech)))
			return true;
	return false;
}

int
sieve_login(struct sieve_conn *c, const char *user, const char *password,
            struct perr *err)
{
	struct arena *a = c->arena;
	size_t ul, pl;
	char *raw, *b64;
	int r;

	if (!net_cstr_is_safe(user) || !net_cstr_is_safe(password))
		return perr_set(err, a, PERR_INPUT,
		                "the user name or password holds a line break");
	if (!net_may_send_password(&c->t))
		return perr_set(
		        err, a, PERR_TEMPFAIL,
		        "refusing to send a password to %s without TLS "
		        "(sieve_secure = None; allow_insecure_auth = Off)",
		        c->host);
	if (!has_sasl(&c->caps, "PLAIN"))
		return perr_set(err, a, PERR_REMOTE,
		                "ManageSieve %s:%u offers no SASL PLAIN on "
		                "this connection",
		                c->host, c->t.port);
	ul = strlen(user);
	pl = strlen(password);
	raw = arena_alloc(a, ul + pl + 2);
	if (raw == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	/* RFC 4616: authzid (empty) NUL authcid NUL password. */
	raw[0] = '\0';
	memcpy(raw + 1, user, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, password, pl);
	b64 = codec_base64_encode(a, raw, ul + pl + 2);
	OPENSSL_cleanse(raw, ul + pl + 2);
	if (b64 == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	/*
	 * The initial response as a quoted string, not a literal: base64
	 * needs no escaping, and Pigeonhole's login process (2.3) reads a
	 * literal response as a stream that at times never resumes once TLS
	 * has buffered it, leaving both sides waiting (no auth attempt is
	 * ever logged). Every other argument stays a literal.
	 */
	r = send_cstr(c, "AUTHENTICATE \"PLAIN\" \"", a, err);
	if (r == 0)
		r = send_cstr(c, b64, a, err);
	if (r == 0)
		r = send_cstr(c, "\"", a, err);
	OPENSSL_cleanse(b64, strlen(b64));
	if (r != 0 || send_end(c, a, err) != 0)
		return -1;
	if (read_response(c, "AUTHENTICATE", a, NULL, NULL, NULL, err) != 0) {
		/* A NO is a refusal; a broken answer stays a server error. */
		if (err->kind == PERR_REMOTE && !c->broken)
			err->kind = PERR_AUTH;
		return -1;
	}
	return 0;
}

void
sieve_close(struct sieve_conn **cp)
{
	struct sieve_conn *c = *cp;

	if (c == NULL)
		return;
	if (c->s != NULL && !c->broken) {
		struct perr err = {0};

		net_stream_set_timeout(c->s, LOGOUT_TIMEOUT_MS);
		if (send_cstr(c, "LOGOUT", c->arena, &err) == 0 &&
		    send_end(c, c->arena, &err) == 0)
			(void)read_response(c, "LOGOUT", c->arena, NULL, NULL,
			                    NULL, &err);
	}
	net_close(&c->s);
	arena_destroy(&c->arena);
	free(c->host);
	free(c->ca_file);
	free(c->sni);
	free(c);
	*cp = NULL;
}

const struct sieve_caps *
sieve_conn_caps(const struct sieve_conn *c)
{
	return &c->caps;
}

bool
sieve_conn_is_tls(const struct sieve_conn *c)
{
	return c->s != NULL && net_stream_is_tls(c->s);
}

bool
sieve_conn_is_broken(const struct sieve_conn *c)
{
	return c->broken;
}

const char *
sieve_last_code(const struct sieve_conn *c)
{
	return c->last_code;
}

const char *
sieve_last_text(const struct sieve_conn *c)
{
	return c->last_text;
}

/* CMD {name+} [{name2+}] [{script+}] and the answer. */
static int
run(struct sieve_conn *c, const char *cmd, const char *name, const char *name2,
    const struct strv *script, struct arena *a, struct sieve_line **data_r,
    size_t *n_r, struct sieve_status *st_r, struct perr *err)
{
	if (name != NULL &&
	    !(name[0] == '\0' && strcmp(cmd, "SETACTIVE") == 0) &&
	    !sieve_name_is_valid(name))
		return perr_set(err, a, PERR_INPUT,
		                "a script name must be 1 to %u bytes of text",
		                SIEVE_NAME_MAX);
	if (name2 != NULL && !sieve_name_is_valid(name2))
		return perr_set(err, a, PERR_INPUT,
		                "a script name must be 1 to %u bytes of text",
		                SIEVE_NAME_MAX);
	if (script != NULL && script->len > SIEVE_LITERAL_MAX)
		return perr_set(err, a, PERR_LIMIT,
		                "the script is larger than %u bytes",
		                (unsigned)SIEVE_LITERAL_MAX);
	if (send_cstr(c, cmd, a, err) != 0 ||
	    (name != NULL &&
	     send_literal(c, strv_from_cstr(name), a, err) != 0) ||
	    (name2 != NULL &&
	     send_literal(c, strv_from_cstr(name2), a, err) != 0) ||
	    (script != NULL && send_literal(c, *script, a, err) != 0) ||
	    send_end(c, a, err) != 0)
		return -1;
	return read_response(c, cmd, a, data_r, n_r, st_r, err);
}

int
sieve_list(struct sieve_conn *c, struct arena *a,
           struct sieve_script_info **list_r, size_t *n_r, struct perr *err)
{
	struct sieve_line *lines;
	struct sieve_script_info *out;
	size_t n, i, k = 0;

	if (run(c, "LISTSCRIPTS", NULL, NULL, NULL, a, &lines, &n, NULL, err) !=
	    0)
		return -1;
	out = arena_new_array(a, struct sieve_script_info, n + 1);
	if (out == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	for (i = 0; i < n; i++) {
		if (lines[i].n == 0 ||
		    lines[i].items[0].type != SIEVE_ITEM_STRING)
			continue;
		out[k].name = lines[i].items[0].s.p;
		out[k].active = lines[i].n > 1 &&
		                lines[i].items[1].type == SIEVE_ITEM_ATOM &&
		                strv_eq_ci_ascii(lines[i].items[1].s,
		                                 STRV_LIT("ACTIVE"));
		k++;
	}
	*list_r = out;
	*n_r = k;
	return 0;
}

int
sieve_get(struct sieve_conn *c, const char *name, struct arena *a,
          struct strv *script_r, struct perr *err)
{
	struct sieve_line *lines;
	size_t n;

	if (run(c, "GETSCRIPT", name, NULL, NULL, a, &lines, &n, NULL, err) !=
	    0)
		return -1;
	if (n != 1 || lines[0].n != 1 ||
	    lines[0].items[0].type != SIEVE_ITEM_STRING)
		return perr_set(err, a, PERR_REMOTE,
		                "the ManageSieve server's GETSCRIPT answer is "
		                "malformed");
	*script_r = lines[0].items[0].s;
	return 0;
}

static void
warnings_of(const struct sieve_status *st, const char **warnings_r)
{
	if (warnings_r == NULL)
		return;
	*warnings_r =
	        st->code != NULL && strv_eq_ci_ascii(strv_from_cstr(st->code),
	                                             STRV_LIT("WARNINGS"))
	                ? st->text
	                : NULL;
}

int
sieve_put(struct sieve_conn *c, const char *name, struct strv script,
          struct arena *a, const char **warnings_r, struct perr *err)
{
	struct sieve_status st;

	if (run(c, "PUTSCRIPT", name, NULL, &script, a, NULL, NULL, &st, err) !=
	    0)
		return -1;
	warnings_of(&st, warnings_r);
	return 0;
}

int
sieve_check(struct sieve_conn *c, struct strv script, struct arena *a,
            const char **warnings_r, struct perr *err)
{
	struct sieve_status st;

	if (run(c, "CHECKSCRIPT", NULL, NULL, &script, a, NULL, NULL, &st,
	        err) != 0)
		return -1;
	warnings_of(&st, warnings_r);
	return 0;
}

int
sieve_set_active(struct sieve_conn *c, const char *name, struct arena *a,
                 struct perr *err)
{
	return run(c, "SETACTIVE", name, NULL, NULL, a, NULL, NULL, NULL, err);
}

int
sieve_delete(struct sieve_conn *c, const char *name, struct arena *a,
             struct perr *err)
{
	return run(c, "DELETESCRIPT", name, NULL, NULL, a, NULL, NULL, NULL,
	           err);
}

int
sieve_rename(struct sieve_conn *c, const char *name, const char *new_name,
             struct arena *a, struct perr *err)
{
	return run(c, "RENAMESCRIPT", name, new_name, NULL, a, NULL, NULL, NULL,
	           err);
}

int
sieve_have_space(struct sieve_conn *c, const char *name, size_t size,
                 struct arena *a, struct perr *err)
{
	char num[24];

	if (!pt_snprintf_ok(num, sizeof(num), " %zu", size))
		return perr_set(err, a, PERR_INTERNAL, "number");
	if (!sieve_name_is_valid(name))
		return perr_set(err, a, PERR_INPUT, "bad script name");
	if (send_cstr(c, "HAVESPACE", a, err) != 0 ||
	    send_literal(c, strv_from_cstr(name), a, err) != 0 ||
	    send_cstr(c, num, a, err) != 0 || send_end(c, a, err) != 0)
		return -1;
	return read_response(c, "HAVESPACE", a, NULL, NULL, NULL, err);
}
