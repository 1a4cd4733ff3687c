/*
 * "Test connection": a small line-protocol probe for IMAP, SMTP and
 * ManageSieve over net's TCP/TLS transport. It reads the greeting and the
 * capabilities, upgrades with STARTTLS when asked, reads them again (a
 * server's pre-TLS list may differ and must not be trusted, RFC 3207
 * §4.2, RFC 5804 §2.2), reports the certificate and says goodbye. The
 * IMAP and SMTP probes need only a few lines of each dialogue and keep
 * working when the imap/ and smtp/ clients change; ManageSieve goes
 * through the sieve module's client, the one the filters use, so the
 * test checks exactly what the filters page will do.
 *
 * Every message is meant for an administrator who may not know the
 * protocol: "port 587 is closed or filtered" rather than "ECONNREFUSED".
 */
#include <string.h>

#include <libetpan/libetpan.h>
#include <openssl/crypto.h>

#include "admin.h"
#include "config/config.h"
#include "imap/imap.h"
#include "net/net.h"
#include "sieve/sieve.h"
#include "smtp/smtp.h"
#include "core/banned.h"

#define PROBE_MAX_LINES 200
#define PROBE_LINE_MAX 2000
/* Longer than any greeting or capability line; bounds a broken server. */
#define PROBE_READ_LINE_MAX 65536

struct probe {
	const struct admin_probe_opts *o;
	struct net_target t;
	mailstream *s;
	MMAPString *line;
	struct arena *a;
	struct admin_probe_result *res;
	struct sbuf caps;
};

static const char *
proto_name(enum admin_proto p)
{
	switch (p) {
	case ADMIN_PROTO_IMAP:
		return "IMAP";
	case ADMIN_PROTO_SMTP:
		return "SMTP";
	case ADMIN_PROTO_SIEVE:
		return "ManageSieve";
	}
	return "?";
}

static int fail(struct probe *p, const char *fmt, ...) PT_PRINTF(2, 3);

static int
fail(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (p->res->error == NULL)
		p->res->error = arena_vprintf(p->a, fmt, ap);
	va_end(ap);
	return -1;
}

/* One line without CRLF; NULL (and res->error) when the stream failed. */
static const char *
read_line(struct probe *p)
{
	char *l = mailstream_read_line_remove_eol(p->s, p->line);

	if (l == NULL) {
		const char *why = net_stream_error(p->s);

		fail(p, "the server stopped answering (%s)",
		     why != NULL ? why : "connection closed");
		return NULL;
	}
	if (strlen(l) > PROBE_LINE_MAX)
		l[PROBE_LINE_MAX] = '\0';
	return arena_strdup(p->a, l);
}

static int
send_line(struct probe *p, const char *cmd)
{
	if (mailstream_write(p->s, cmd, strlen(cmd)) < 0 ||
	    mailstream_write(p->s, "\r\n", 2) < 0 || mailstream_flush(p->s) < 0)
		return fail(p, "cannot send to the server (%s)",
		            net_stream_error(p->s) != NULL
		                    ? net_stream_error(p->s)
		                    : "write failed");
	return 0;
}

static void
copy_tls(struct probe *p, const struct net_tls_info *ti)
{
	struct admin_probe_result *r = p->res;

	r->tls = ti->tls;
	if (!ti->tls)
		return;
	r->tls_verified = ti->verified;
	r->tls_version = ti->version;
	r->tls_subject = ti->subject;
	r->tls_issuer = ti->issuer;
	r->tls_not_after = ti->not_after;
	r->tls_verify_error = ti->verify_error;
}

static int
starttls(struct probe *p)
{
	struct net_tls_info ti = {0};
	struct perr err = {0};

	if (net_starttls(p->s, &p->t, p->a, &ti, &err) != 0)
		return fail(p, "TLS after STARTTLS failed: %s", err.msg);
	copy_tls(p, &ti);
	return 0;
}

static bool
has_word(const char *caps, const char *word)
{
	struct strv rest = strv_from_cstr(caps), w;

	while (rest.len > 0) {
		(void)strv_split_once(rest, ' ', &w, &rest);
		if (strv_eq_ci_ascii(w, strv_from_cstr(word)))
			return true;
	}
	return false;
}

static bool
wants_login(const struct probe *p)
{
	return p->o->login_user != NULL && p->o->login_user[0] != '\0' &&
	       p->o->login_password != NULL;
}

static void
login_failed(struct probe *p, const char *why)
{
	p->res->login = 0;
	p->res->login_error = why;
}

/* ---- IMAP (RFC 9051) ------------------------------------------------- */

/* Run "tag CMD", collect "* CAPABILITY" atoms; 0 on a tagged OK. */
static int
imap_cmd(struct probe *p, const char *tag, const char *cmd)
{
	char *line = arena_printf(p->a, "%s %s", tag, cmd);
	size_t taglen = strlen(tag), n;
	const char *l;

	if (line == NULL || send_line(p, line) != 0)
		return -1;
	for (n = 0; n < PROBE_MAX_LINES; n++) {
		if ((l = read_line(p)) == NULL)
			return -1;
		if (strncmp(l, "* CAPABILITY ", 13) == 0) {
			sbuf_reset(&p->caps);
			sbuf_append_cstr(&p->caps, l + 13);
		}
		if (strncmp(l, tag, taglen) == 0 && l[taglen] == ' ') {
			if (strncmp(l + taglen + 1, "OK", 2) == 0)
				return 0;
			return fail(p, "the server refused %s: %s", cmd,
			            l + taglen + 1);
		}
	}
	return fail(p, "the server's answer to %s never ended", cmd);
}

static int
probe_imap(struct probe *p, bool use_starttls)
{
	const char *g = read_line(p);

	if (g == NULL)
		return -1;
	p->res->greeting = g;
	if (strncmp(g, "* OK", 4) != 0 && strncmp(g, "* PREAUTH", 9) != 0)
		return fail(p, "this does not look like an IMAP server: %s", g);
	if (imap_cmd(p, "p1", "CAPABILITY") != 0)
		return -1;
	if (use_starttls) {
		if (!has_word(sbuf_cstr(&p->caps), "STARTTLS"))
			return fail(p, "the server does not offer STARTTLS; "
			               "choose SSL (port 993) or None");
		if (imap_cmd(p, "p2", "STARTTLS") != 0 || starttls(p) != 0)
			return -1;
		sbuf_reset(&p->caps);
		if (imap_cmd(p, "p3", "CAPABILITY") != 0)
			return -1;
	}
	(void)send_line(p, "p9 LOGOUT");
	return 0;
}

/* ---- SMTP (RFC 5321) ------------------------------------------------- */

/*
 * Read a (multi-line) reply and parse it as src/smtp does; *code_r the
 * code, *first_r its first line; EHLO: the keyword lines into caps.
 */
static int
smtp_reply(struct probe *p, int *code_r, bool ehlo, const char **first_r)
{
	struct sbuf raw;
	const char *l, *text;
	struct strv rest, line;
	size_t n;

	sbuf_init(&raw, p->a, 256, PROBE_MAX_LINES * (PROBE_LINE_MAX + 2));
	for (n = 0; n < PROBE_MAX_LINES; n++) {
		if ((l = read_line(p)) == NULL)
			return -1;
		if (strlen(l) < 3 || l[0] < '1' || l[0] > '5')
			return fail(p,
			            "this does not look like an SMTP "
			            "server: %s",
			            l);
		sbuf_append_cstr(&raw, l);
		sbuf_append(&raw, "\r\n", 2);
		if (l[3] == '-')
			continue;
		if (smtp_reply_parse(sbuf_view(&raw), code_r, p->a, &text) != 0)
			return fail(p,
			            "this does not look like an SMTP "
			            "server: %s",
			            l);
		rest = strv_from_cstr(text);
		(void)strv_split_once(rest, '\n', &line, &rest);
		if (first_r != NULL)
			*first_r = arena_printf(p->a, "%03d%s%.*s", *code_r,
			                        line.len > 0 ? " " : "",
			                        (int)line.len, line.p);
		while (ehlo && rest.len > 0) {
			(void)strv_split_once(rest, '\n', &line, &rest);
			if (line.len == 0)
				continue;
			if (p->caps.len > 0)
				sbuf_append_char(&p->caps, ' ');
			sbuf_append_strv(&p->caps, line);
		}
		return 0;
	}
	return fail(p, "the server's reply never ended");
}

static int
smtp_ehlo(struct probe *p)
{
	int code;
	const char *first = NULL;

	sbuf_reset(&p->caps);
	if (send_line(p, "EHLO petrel.invalid") != 0 ||
	    smtp_reply(p, &code, true, &first) != 0)
		return -1;
	if (code != 250)
		return fail(p, "the server refused EHLO: %s", first);
	return 0;
}

/*
 * True if the EHLO keywords (caps, space separated: "SIZE 1000 AUTH PLAIN
 * LOGIN ...") list mech after AUTH. The keywords are joined, so anything
 * after AUTH counts; "PLAIN" is no other extension's parameter.
 */
static bool
smtp_has_mech(const char *caps, const char *mech)
{
	struct strv rest = strv_from_cstr(caps), w;
	bool in_auth = false;

	while (rest.len > 0) {
		(void)strv_split_once(rest, ' ', &w, &rest);
		if (strv_eq_ci_ascii(w, STRV_LIT("AUTH")))
			in_auth = true;
		else if (in_auth && strv_eq_ci_ascii(w, strv_from_cstr(mech)))
			return true;
	}
	return false;
}

/*
 * RFC 4954: AUTH PLAIN with an initial response. A failure keeps the
 * server's reply (e.g. "535 5.7.8 Error: authentication failed") as the
 * login error; the probe itself still counts as reached.
 */
static void
smtp_login(struct probe *p)
{
	const char *first = NULL, *saved = p->res->error;
	char *b64, *cmd;
	int code = 0, r;

	if (!smtp_has_mech(sbuf_cstr(&p->caps), "PLAIN")) {
		login_failed(p, "the server offers no AUTH PLAIN on this "
		                "connection (try TLS)");
		return;
	}
	if ((b64 = smtp_auth_plain(p->o->login_user, p->o->login_password,
	                           p->a)) == NULL ||
	    (cmd = arena_printf(p->a, "AUTH PLAIN %s", b64)) == NULL) {
		login_failed(p, "out of memory");
		return;
	}
	r = send_line(p, cmd);
	OPENSSL_cleanse(cmd, strlen(cmd));
	OPENSSL_cleanse(b64, strlen(b64));
	if (r == 0)
		r = smtp_reply(p, &code, false, &first);
	if (r != 0) {
		login_failed(p, p->res->error);
		p->res->error = saved;
		return;
	}
	if (code == 235)
		p->res->login = 1;
	else
		login_failed(p, first);
}

static int
probe_smtp(struct probe *p, bool use_starttls)
{
	const char *g = NULL;
	int code;

	if (smtp_reply(p, &code, false, &g) != 0)
		return -1;
	p->res->greeting = g;
	if (code != 220)
		return fail(p, "the server does not accept mail now: %s", g);
	if (smtp_ehlo(p) != 0)
		return -1;
	if (use_starttls) {
		if (!has_word(sbuf_cstr(&p->caps), "STARTTLS"))
			return fail(p, "the server does not offer STARTTLS; "
			               "choose SSL (port 465) or None");
		if (send_line(p, "STARTTLS") != 0 ||
		    smtp_reply(p, &code, false, &g) != 0)
			return -1;
		if (code != 220)
			return fail(p, "the server refused STARTTLS: %s", g);
		if (starttls(p) != 0 || smtp_ehlo(p) != 0)
			return -1;
	}
	if (wants_login(p))
		smtp_login(p);
	(void)send_line(p, "QUIT");
	return 0;
}

/* ---- ManageSieve (RFC 5804), through the sieve module ------------------ */

/* "NAME" "a b" capability lines as NAME=a,b words, like the others. */
static void
sieve_caps_text(struct probe *p, const struct sieve_caps *caps)
{
	size_t i;
	const char *v;

	sbuf_reset(&p->caps);
	for (i = 0; i < caps->n_all; i++) {
		if (p->caps.len > 0)
			sbuf_append_char(&p->caps, ' ');
		sbuf_append_cstr(&p->caps, caps->names[i]);
		if (caps->values[i][0] == '\0')
			continue;
		sbuf_append_char(&p->caps, '=');
		for (v = caps->values[i]; *v != '\0'; v++)
			sbuf_append_char(&p->caps, *v == ' ' ? ',' : *v);
	}
}

/*
 * Connect, read the capabilities (again after STARTTLS), then try
 * AUTHENTICATE "PLAIN" with the test account. A refused login keeps the
 * server's answer, e.g. NO "Authentication failed.", as the login error.
 */
static int
probe_sieve(struct probe *p)
{
	struct sieve_conn *c = NULL;
	struct net_tls_info ti = {0};
	struct perr err = {0};

	if (sieve_connect_target(&p->t, p->a, &c, &ti, &err) != 0)
		return fail(p, "%s port %u on %s: %s", proto_name(p->o->proto),
		            p->o->port, p->o->host, err.msg);
	copy_tls(p, &ti);
	p->res->greeting = arena_strdup(p->a, sieve_conn_greeting(c));
	sieve_caps_text(p, sieve_conn_caps(c));
	if (wants_login(p)) {
		if (sieve_login(c, p->o->login_user, p->o->login_password,
		                &err) == 0) {
			p->res->login = 1;
		} else if (sieve_last_text(c) != NULL) {
			const char *code = sieve_last_code(c);

			login_failed(p, arena_printf(p->a, "NO %s%s%s\"%s\"",
			                             code != NULL ? "(" : "",
			                             code != NULL ? code : "",
			                             code != NULL ? ") " : "",
			                             sieve_last_text(c)));
		} else {
			login_failed(p, arena_strdup(p->a, err.msg));
		}
	}
	sieve_close(&c);
	return 0;
}

/* ---- the probe ------------------------------------------------------- */

static const char *
hint_for(const struct admin_probe_opts *o, struct strv msg, bool timed_out)
{
	bool refused = strv_find(msg, STRV_LIT("refused")) >= 0;
	bool cert = strv_find(msg, STRV_LIT("certificate")) >= 0 ||
	            strv_find(msg, STRV_LIT("verify")) >= 0;
	bool dns = strv_find(msg, STRV_LIT("not found")) >= 0;

	if (cert)
		return "L_ADMIN_HINT_CERT";
	if (dns)
		return "L_ADMIN_HINT_DNS";
	if (o->proto == ADMIN_PROTO_SMTP && (refused || timed_out))
		return "L_ADMIN_HINT_SMTP_CLOSED";
	if (refused || timed_out)
		return "L_ADMIN_HINT_CLOSED";
	return NULL;
}

/* o->secure ("None" | "SSL" | "TLS", any case) as a domain setting. */
static enum config_secure
probe_secure(const struct admin_probe_opts *o)
{
	const char *canon = "None";

	(void)admin_valid_secure(strv_from_cstr(o->secure), &canon);
	return strcmp(canon, "SSL") == 0   ? CONFIG_SECURE_SSL
	       : strcmp(canon, "TLS") == 0 ? CONFIG_SECURE_TLS
	                                   : CONFIG_SECURE_NONE;
}

static void
try_login(const struct admin_probe_opts *o, struct arena *a,
          struct admin_probe_result *r)
{
	struct config_domain d = {0};
	struct imap_conn *c = NULL;
	struct perr err = {0};
	d.name = "probe";
	d.file = "";
	d.imap_host = o->host;
	d.imap_port = o->port;
	d.imap_secure = probe_secure(o);
	d.verify_certificate = o->verify;
	d.ca_file = o->ca_file != NULL ? o->ca_file : "";
	d.connect_timeout = o->timeout_s;
	d.read_timeout = o->timeout_s;
	d.white_list = d.relay_user = d.relay_password = "";
	d.smtp_host = d.sieve_host = "";
	if (imap_connect(&d, a, &c, &err) != 0 ||
	    imap_login(c, o->login_user, o->login_password, &err) != 0) {
		r->login = 0;
		/* err.msg may live in the connection's arena: copy it out. */
		r->login_error = arena_strdup(
		        a, err.msg != NULL ? err.msg : "login failed");
	} else {
		r->login = 1;
		imap_logout(c);
	}
	imap_conn_destroy(&c);
}

void
admin_probe(const struct admin_probe_opts *o, struct arena *a,
            struct admin_probe_result *res_r)
{
	struct probe p = {0};
	struct net_tls_info ti = {0};
	struct perr err = {0};
	uint64_t started = pt_now_ms_monotonic();
	int r = -1;

	memset(res_r, 0, sizeof(*res_r));
	res_r->login = -1;
	p.o = o;
	p.a = a;
	p.res = res_r;
	net_target_init(&p.t, o->host, (uint16_t)o->port,
	                net_security_of(probe_secure(o)));
	p.t.verify = o->verify;
	p.t.ca_file =
	        o->ca_file != NULL && o->ca_file[0] != '\0' ? o->ca_file : NULL;
	p.t.connect_timeout_ms =
	        (int)(o->timeout_s > 0 ? o->timeout_s : 10) * 1000;
	p.t.io_timeout_ms = p.t.connect_timeout_ms;
	sbuf_init(&p.caps, a, 256, 16 * 1024);

	if (o->proto == ADMIN_PROTO_SIEVE) {
		/* The sieve module speaks the whole dialogue itself. */
		r = probe_sieve(&p);
		goto result;
	}
	if (net_connect(&p.t, a, &p.s, &ti, &err) != 0) {
		bool timed_out = strv_find(strv_from_cstr(err.msg),
		                           STRV_LIT("timed out")) >= 0;

		res_r->error = arena_printf(a, "%s port %u on %s: %s",
		                            proto_name(o->proto), o->port,
		                            o->host, err.msg);
		res_r->hint = hint_for(o, strv_from_cstr(err.msg), timed_out);
		goto done;
	}
	copy_tls(&p, &ti);
	/* The host is whatever the admin typed: it may never end a line. */
	net_stream_set_line_limit(p.s, PROBE_READ_LINE_MAX);
	p.line = mmap_string_new("");
	if (p.line == NULL) {
		fail(&p, "out of memory");
		goto done;
	}
	switch (o->proto) {
	case ADMIN_PROTO_IMAP:
		r = probe_imap(&p, p.t.sec == NET_STARTTLS);
		break;
	case ADMIN_PROTO_SMTP:
		r = probe_smtp(&p, p.t.sec == NET_STARTTLS);
		break;
	case ADMIN_PROTO_SIEVE:
		break;
	}
result:
	if (r == 0) {
		res_r->ok = true;
		res_r->capabilities = arena_strdup(a, sbuf_cstr(&p.caps));
	} else if (res_r->error != NULL) {
		res_r->hint = hint_for(
		        o, strv_from_cstr(res_r->error),
		        p.s != NULL ? net_stream_timed_out(p.s)
		                    : strv_find(strv_from_cstr(res_r->error),
		                                STRV_LIT("timed out")) >= 0);
	}
done:
	if (p.line != NULL)
		mmap_string_free(p.line);
	net_close(&p.s);
	if (res_r->ok && o->proto == ADMIN_PROTO_IMAP &&
	    o->login_user != NULL && o->login_user[0] != '\0' &&
	    o->login_password != NULL)
		try_login(o, a, res_r);
	res_r->ms = (unsigned)(pt_now_ms_monotonic() - started);
}
