/*
 * SMTP submission: libetpan's mailsmtp for the protocol steps it does well
 * (greeting, EHLO parsing, STARTTLS, MAIL, RCPT, DATA with dot-stuffing),
 * on a stream from src/net; AUTH is written here (see smtp.h).
 */
#include <string.h>

#include <libetpan/libetpan.h>
#include <openssl/crypto.h>

#include "smtp.h"
#include "net/net.h"
#include "core/banned.h"

#define SMTP_REPLY_LINE_MAX 8192

#define SMTP_LINE_MAX 2048
#define SMTP_REPLY_MAX 16384

struct sub {
	mailsmtp *smtp;
	struct net_target target;
	struct arena *a;
	struct smtp_failure *fail;
	/* The stream's last error once libetpan closed it (greeting). */
	char closed_error[256];
};

int
smtp_reply_parse(struct strv reply, int *code_r, struct arena *a,
                 const char **text_r)
{
	struct sbuf text;
	struct strv rest = reply, line;
	int code = -1;
	bool last = false;

	sbuf_init(&text, a, 128, SMTP_REPLY_MAX);
	while (rest.len > 0 && !last) {
		ptrdiff_t nl = strv_find_char(rest, '\n');
		int c;
		size_t i;

		line.p = rest.p;
		line.len = nl < 0 ? rest.len : (size_t)nl;
		rest.p += nl < 0 ? rest.len : (size_t)nl + 1;
		rest.len -= nl < 0 ? rest.len : (size_t)nl + 1;
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len < 3)
			return -1;
		for (i = 0, c = 0; i < 3; i++) {
			if (line.p[i] < '0' || line.p[i] > '9')
				return -1;
			c = c * 10 + (line.p[i] - '0');
		}
		if (code >= 0 && c != code)
			return -1;
		code = c;
		if (line.len == 3 || line.p[3] == ' ')
			last = true;
		else if (line.p[3] != '-')
			return -1;
		if (text.len > 0)
			sbuf_append_char(&text, '\n');
		if (line.len > 4)
			sbuf_append(&text, line.p + 4, line.len - 4);
	}
	if (!last || !sbuf_ok(&text))
		return -1;
	*code_r = code;
	*text_r = sbuf_cstr(&text);
	return 0;
}

char *
smtp_auth_plain(const char *user, const char *password, struct arena *a)
{
	size_t ul = strlen(user), pl = strlen(password), n = ul + pl + 2;
	char *buf = arena_alloc(a, n), *out;

	if (buf == NULL)
		return NULL;
	buf[0] = '\0';
	memcpy(buf + 1, user, ul);
	buf[ul + 1] = '\0';
	memcpy(buf + ul + 2, password, pl);
	out = codec_base64_encode(a, buf, n);
	OPENSSL_cleanse(buf, n);
	return out;
}

/* Record the stage and turn the last reply (or stream error) into err. */
static int
fail_at(struct sub *s, int r, const char *stage, const char *rcpt,
        struct perr *err)
{
	struct smtp_failure *f = s->fail;
	const char *why;

	f->stage = stage;
	f->recipient = rcpt != NULL ? arena_strdup(s->a, rcpt) : NULL;
	f->code = 0;
	f->reply = "";
	if (r == MAILSMTP_ERROR_STREAM || s->smtp->response == NULL ||
	    s->smtp->response_code == 0) {
		why = s->smtp->stream != NULL
		              ? net_stream_error(s->smtp->stream)
		      : s->closed_error[0] != '\0' ? s->closed_error
		                                   : NULL;
		return perr_set(err, s->a, PERR_TEMPFAIL, "%s: %s", stage,
		                why != NULL ? why
		                            : "connection to the SMTP server "
		                              "lost");
	}
	f->code = s->smtp->response_code;
	f->reply = arena_strdup(s->a, s->smtp->response);
	{
		/* libetpan keeps a trailing newline on the text. */
		char *t = (char *)f->reply;
		size_t n = t != NULL ? strlen(t) : 0;

		while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r'))
			t[--n] = '\0';
	}
	return perr_set(err, s->a, f->code == 421 ? PERR_TEMPFAIL : PERR_REMOTE,
	                "%d %s", f->code, f->reply);
}

/* One command written by us, its reply read by us (AUTH). */
static int
raw_command(struct sub *s, const char *cmd, int *code_r, const char **text_r,
            struct perr *err)
{
	mailstream *st = s->smtp->stream;
	MMAPString *line = mmap_string_new("");
	struct sbuf reply;
	int rc = -1;

	sbuf_init(&reply, s->a, 256, SMTP_REPLY_MAX);
	if (line == NULL)
		fatal("out of memory");
	if (mailstream_write(st, cmd, strlen(cmd)) < 0 ||
	    mailstream_write(st, "\r\n", 2) < 0 || mailstream_flush(st) < 0)
		goto out;
	for (;;) {
		char *l = mailstream_read_line_remove_eol(st, line);

		if (l == NULL)
			goto out;
		sbuf_append_cstr(&reply, l);
		sbuf_append_char(&reply, '\n');
		if (!sbuf_ok(&reply))
			goto out;
		if (strlen(l) < 4 || l[3] != '-')
			break;
	}
	if (smtp_reply_parse(sbuf_view(&reply), code_r, s->a, text_r) == 0)
		rc = 0;
out:
	mmap_string_free(line);
	if (rc != 0) {
		const char *why = net_stream_error(st);

		s->fail->stage = "AUTH";
		return perr_set(err, s->a, PERR_TEMPFAIL, "AUTH: %s",
		                why != NULL ? why
		                            : "bad reply from the server");
	}
	return 0;
}

static int
auth_reply_check(struct sub *s, int code, const char *text, int want,
                 struct perr *err)
{
	if (code == want)
		return 0;
	s->fail->stage = "AUTH";
	s->fail->code = code;
	s->fail->reply = text;
	return perr_set(err, s->a, code == 421 ? PERR_TEMPFAIL : PERR_REMOTE,
	                "%d %s", code, text);
}

static int
authenticate(struct sub *s, const char *user, const char *password,
             struct perr *err)
{
	const char *text;
	char *cmd;
	int code;

	if (s->smtp->auth & MAILSMTP_AUTH_PLAIN) {
		char *ir = smtp_auth_plain(user, password, s->a);

		cmd = arena_printf(s->a, "AUTH PLAIN %s", ir);
		OPENSSL_cleanse(ir, strlen(ir));
		if (raw_command(s, cmd, &code, &text, err) != 0)
			goto fail;
		OPENSSL_cleanse(cmd, strlen(cmd));
		return auth_reply_check(s, code, text, 235, err);
	}
	if (s->smtp->auth & MAILSMTP_AUTH_LOGIN) {
		if (raw_command(s, "AUTH LOGIN", &code, &text, err) != 0 ||
		    auth_reply_check(s, code, text, 334, err) != 0)
			return -1;
		cmd = codec_base64_encode(s->a, user, strlen(user));
		if (raw_command(s, cmd, &code, &text, err) != 0 ||
		    auth_reply_check(s, code, text, 334, err) != 0)
			return -1;
		cmd = codec_base64_encode(s->a, password, strlen(password));
		if (raw_command(s, cmd, &code, &text, err) != 0)
			goto fail;
		OPENSSL_cleanse(cmd, strlen(cmd));
		return auth_reply_check(s, code, text, 235, err);
	}
	s->fail->stage = "AUTH";
	return perr_set(err, s->a, PERR_REMOTE,
	                "the SMTP server offers neither AUTH PLAIN nor "
	                "AUTH LOGIN");
fail:
	OPENSSL_cleanse(cmd, strlen(cmd));
	return -1;
}

/* Which account to authenticate as, or none (*user_r = NULL). */
static int
pick_login(const struct config_domain *dom, const struct smtp_login *login,
           struct arena *a, const char **user_r, const char **pw_r,
           struct perr *err)
{
	*user_r = *pw_r = NULL;
	if (dom->relay_user != NULL && dom->relay_user[0] != '\0') {
		*user_r = dom->relay_user;
		*pw_r = dom->relay_password != NULL ? dom->relay_password : "";
	} else if (dom->smtp_auth) {
		if (login == NULL || login->user == NULL ||
		    login->password == NULL)
			return perr_set(
			        err, a, PERR_INPUT,
			        "SMTP AUTH needs the user's credentials");
		*user_r = config_domain_login(dom, true,
		                              strv_from_cstr(login->user), a);
		if (*user_r == NULL)
			return perr_set(err, a, PERR_LIMIT, "out of memory");
		*pw_r = login->password;
	}
	if (*user_r != NULL &&
	    (!net_cstr_is_safe(*user_r) || !net_cstr_is_safe(*pw_r)))
		return perr_set(err, a, PERR_INPUT,
		                "the SMTP login or password holds CR, LF or "
		                "NUL");
	return 0;
}

static int
check_envelope(const struct smtp_envelope *env, struct arena *a,
               struct perr *err)
{
	size_t i;

	if (env->from == NULL || !net_cstr_is_safe(env->from) ||
	    strpbrk(env->from, "<> ") != NULL)
		return perr_set(err, a, PERR_INPUT, "bad envelope sender");
	if (env->n_rcpt == 0)
		return perr_set(err, a, PERR_INPUT, "no recipients");
	for (i = 0; i < env->n_rcpt; i++)
		if (env->rcpt[i] == NULL || !net_cstr_is_safe(env->rcpt[i]) ||
		    strpbrk(env->rcpt[i], "<> ") != NULL ||
		    env->rcpt[i][0] == '\0')
			return perr_set(err, a, PERR_INPUT,
			                "bad envelope recipient");
	return 0;
}

static int
ehlo(struct sub *s, struct perr *err)
{
	int r = mailesmtp_ehlo(s->smtp);

	if (r == MAILSMTP_NO_ERROR)
		return 0;
	if (r == MAILSMTP_ERROR_NOT_IMPLEMENTED) {
		/* An old server: plain HELO, no extensions. */
		r = mailsmtp_helo(s->smtp);
		if (r == MAILSMTP_NO_ERROR)
			return 0;
	}
	return fail_at(s, r, "EHLO", NULL, err);
}

static int
submit(struct sub *s, const struct config_domain *dom,
       const struct smtp_login *login, const struct smtp_envelope *env,
       struct strv msg, struct perr *err)
{
	const char *user, *pw;
	size_t i;
	int r;

	if (pick_login(dom, login, s->a, &user, &pw, err) != 0)
		return -1;
	if (ehlo(s, err) != 0)
		return -1;
	if (s->target.sec == NET_STARTTLS) {
		if (!(s->smtp->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
			s->fail->stage = "STARTTLS";
			return perr_set(err, s->a, PERR_TEMPFAIL,
			                "%s does not offer STARTTLS",
			                s->target.host);
		}
		r = mailesmtp_starttls(s->smtp);
		/* Plaintext pipelined after the 220: an injection attempt. */
		if (r != MAILSMTP_NO_ERROR &&
		    net_stream_has_pending(s->smtp->stream)) {
			s->fail->stage = "STARTTLS";
			return perr_set(
			        err, s->a, PERR_TEMPFAIL,
			        "%s sent unexpected data after STARTTLS",
			        s->target.host);
		}
		if (r != MAILSMTP_NO_ERROR)
			return fail_at(s, r, "STARTTLS", NULL, err);
		if (net_starttls(s->smtp->stream, &s->target, s->a, NULL,
		                 err) != 0) {
			s->fail->stage = "STARTTLS";
			return -1;
		}
		/* RFC 3207 4.2: forget everything learnt before TLS. */
		s->smtp->esmtp = 0;
		s->smtp->auth = MAILSMTP_AUTH_NOT_CHECKED;
		if (ehlo(s, err) != 0)
			return -1;
	}
	if (user != NULL) {
		if (!net_may_send_password(&s->target)) {
			s->fail->stage = "AUTH";
			return perr_set(err, s->a, PERR_INPUT,
			                "refusing to send a password to %s "
			                "without TLS (smtp_secure = None; "
			                "allow_insecure_auth = Off)",
			                s->target.host);
		}
		if (authenticate(s, user, pw, err) != 0)
			return -1;
	}
	if (s->smtp->smtp_max_msg_size > 0 &&
	    msg.len > s->smtp->smtp_max_msg_size) {
		s->fail->stage = "MAIL FROM";
		return perr_set(err, s->a, PERR_LIMIT,
		                "the message is %zu bytes; the SMTP server "
		                "accepts at most %zu",
		                msg.len, s->smtp->smtp_max_msg_size);
	}
	if (s->smtp->esmtp & MAILSMTP_ESMTP_SIZE)
		r = mailesmtp_mail_size(s->smtp, env->from, 0, NULL, msg.len);
	else
		r = mailsmtp_mail(s->smtp, env->from);
	if (r != MAILSMTP_NO_ERROR)
		return fail_at(s, r, "MAIL FROM", NULL, err);
	for (i = 0; i < env->n_rcpt; i++) {
		r = mailsmtp_rcpt(s->smtp, env->rcpt[i]);
		if (r != MAILSMTP_NO_ERROR)
			return fail_at(s, r, "RCPT TO", env->rcpt[i], err);
	}
	r = mailsmtp_data(s->smtp);
	if (r != MAILSMTP_NO_ERROR)
		return fail_at(s, r, "DATA", NULL, err);
	/*
	 * libetpan ends the data with "\r\n.\r\n" whatever the message ends
	 * with: hand it the message without its last line end, or every
	 * message would grow a blank line.
	 */
	if (msg.len > 0 && msg.p[msg.len - 1] == '\n')
		msg.len--;
	if (msg.len > 0 && msg.p[msg.len - 1] == '\r')
		msg.len--;
	r = mailsmtp_data_message(s->smtp, msg.p, msg.len);
	if (r != MAILSMTP_NO_ERROR) {
		r = fail_at(s, r, "DATA", NULL, err);
		/*
		 * No reply code at all: the stream broke while the message
		 * or the server's answer to its final "." was under way.
		 * libetpan does not say which, so assume the server may have
		 * queued it (a cut after the "." does deliver it).
		 */
		s->fail->maybe_delivered = s->fail->code == 0;
		return r;
	}
	(void)mailsmtp_quit(s->smtp);
	return 0;
}

int
smtp_send(const struct config_domain *dom, const struct smtp_login *login,
          const struct smtp_envelope *env, struct strv msg, struct arena *a,
          struct smtp_failure *fail_r, struct perr *err)
{
	struct smtp_failure ignored = {0};
	struct sub s = {0};
	mailstream *stream = NULL;
	int r;

	s.a = a;
	s.fail = fail_r != NULL ? fail_r : &ignored;
	memset(s.fail, 0, sizeof(*s.fail));
	s.fail->reply = "";
	s.fail->stage = "connect";
	if (dom->smtp_host == NULL || dom->smtp_host[0] == '\0' ||
	    dom->smtp_port == 0 || dom->smtp_port > 65535)
		return perr_set(err, a, PERR_INPUT,
		                "no SMTP server configured");
	if (check_envelope(env, a, err) != 0)
		return -1;
	net_target_for_domain(&s.target, dom, dom->smtp_host, dom->smtp_port,
	                      dom->smtp_secure);
	if (net_connect(&s.target, a, &stream, NULL, err) != 0)
		return -1;
	/*
	 * libetpan reads a reply line whole, however long: a server that
	 * never ends one would fill memory. RFC 5321 4.5.3.1.5 allows 512
	 * bytes; the limit leaves room for chatty servers.
	 */
	net_stream_set_line_limit(stream, SMTP_REPLY_LINE_MAX);
	net_stream_keep_error(stream, s.closed_error, sizeof(s.closed_error));
	s.smtp = mailsmtp_new(0, NULL);
	if (s.smtp == NULL) {
		net_close(&stream);
		fatal("out of memory");
	}
	/* mailsmtp_connect owns the stream from here on, even on failure. */
	s.fail->stage = "greeting";
	r = mailsmtp_connect(s.smtp, stream);
	if (r != MAILSMTP_NO_ERROR)
		r = fail_at(&s, r, "greeting", NULL, err);
	else
		r = submit(&s, dom, login, env, msg, err);
	mailsmtp_free(s.smtp);
	return r;
}
