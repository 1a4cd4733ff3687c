/*
 * Connection, login, capabilities, error mapping and the raw command
 * reader.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

#define SCRATCH_LIMIT (256 * 1024)
#define LOGOUT_TIMEOUT_MS 2000

static const struct {
	const char *name;
	unsigned flag;
} cap_names[] = {
        {"SPECIAL-USE", IMAP_CAP_SPECIAL_USE},
        {"LIST-STATUS", IMAP_CAP_LIST_STATUS},
        {"SORT", IMAP_CAP_SORT},
        {"THREAD=REFERENCES", IMAP_CAP_THREAD_REFERENCES},
        {"ESEARCH", IMAP_CAP_ESEARCH},
        {"CONDSTORE", IMAP_CAP_CONDSTORE},
        {"QRESYNC", IMAP_CAP_QRESYNC},
        {"UIDPLUS", IMAP_CAP_UIDPLUS},
        {"MOVE", IMAP_CAP_MOVE},
        {"IDLE", IMAP_CAP_IDLE},
        {"LITERAL+", IMAP_CAP_LITERAL_PLUS},
        {"ID", IMAP_CAP_ID},
        {"NAMESPACE", IMAP_CAP_NAMESPACE},
        {"UTF8=ACCEPT", IMAP_CAP_UTF8_ACCEPT},
        {"ENABLE", IMAP_CAP_ENABLE},
        {"STARTTLS", IMAP_CAP_STARTTLS},
        {"LOGINDISABLED", IMAP_CAP_LOGINDISABLED},
        {"AUTH=PLAIN", IMAP_CAP_AUTH_PLAIN},
        {"QUOTA", IMAP_CAP_QUOTA},
        {"ESORT", IMAP_CAP_ESORT},
};

unsigned
imap_caps_parse(struct strv caps)
{
	unsigned flags = 0;
	size_t i = 0, j, k;

	while (i < caps.len) {
		while (i < caps.len && caps.p[i] == ' ')
			i++;
		j = i;
		while (j < caps.len && caps.p[j] != ' ')
			j++;
		if (j > i) {
			struct strv atom = {caps.p + i, j - i};

			for (k = 0; k < PT_NELEM(cap_names); k++) {
				if (strv_eq_ci_ascii(
				            atom,
				            strv_from_cstr(cap_names[k].name)))
					flags |= cap_names[k].flag;
			}
		}
		i = j;
	}
	return flags;
}

unsigned
imapc_caps(const struct imap_conn *c)
{
	return c->caps & ~c->caps_disabled;
}

unsigned
imap_caps(const struct imap_conn *c)
{
	return imapc_caps(c);
}

bool
imap_has_cap(const struct imap_conn *c, unsigned cap)
{
	return (imapc_caps(c) & cap) == cap;
}

void
imap_conn_disable_caps(struct imap_conn *c, unsigned disable)
{
	c->caps_disabled = disable;
}

bool
imap_conn_is_broken(const struct imap_conn *c)
{
	return c->broken || c->imap == NULL;
}

bool
imap_conn_is_authenticated(const struct imap_conn *c)
{
	return c->authenticated && !imap_conn_is_broken(c);
}

const char *
imap_selected(const struct imap_conn *c)
{
	return c->selected;
}

/* The one table from libetpan codes to our kinds (STYLE B5). */
int
imapc_fail(struct imap_conn *c, int r, struct arena *a, enum perr_kind no_kind,
           const char *what, struct perr *err)
{
	const char *text;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_NEEDS_MORE_DATA:
		c->broken = true;
		text = c->imap != NULL && c->imap->imap_stream != NULL
		               ? net_stream_error(c->imap->imap_stream)
		               : NULL;
		if (r == MAILIMAP_ERROR_FATAL && c->imap != NULL &&
		    c->imap->imap_response != NULL)
			text = c->imap->imap_response;
		return perr_set(
		        err, a, PERR_TEMPFAIL, "IMAP %s failed: %s", what,
		        text != NULL ? text : "connection to the server lost");
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
		/* We no longer know where in the stream we are. */
		c->broken = true;
		/*
		 * libetpan also says PARSE when the stream ended (closed,
		 * timed out) in the middle of an answer: that is a lost
		 * connection, which callers must not take for a refusal.
		 */
		text = c->imap != NULL && c->imap->imap_stream != NULL
		               ? net_stream_error(c->imap->imap_stream)
		               : NULL;
		if (text != NULL)
			return perr_set(err, a, PERR_TEMPFAIL,
			                "IMAP %s failed: %s", what, text);
		return perr_set(err, a, PERR_REMOTE,
		                "IMAP %s: unexpected answer from the server",
		                what);
	case MAILIMAP_ERROR_MEMORY:
		c->broken = true;
		return perr_set(err, a, PERR_INTERNAL, "IMAP %s: out of memory",
		                what);
	case MAILIMAP_ERROR_BAD_STATE:
		return perr_set(err, a, PERR_INTERNAL,
		                "IMAP %s: not allowed in this state", what);
	case MAILIMAP_ERROR_INVAL:
		return perr_set(err, a, PERR_INPUT, "IMAP %s: invalid value",
		                what);
	default:
		text = c->imap != NULL ? c->imap->imap_response : NULL;
		c->sel_stale = true;
		return perr_set(err, a, no_kind, "%s",
		                text != NULL && *text
		                        ? text
		                        : "the server refused the command");
	}
}

int
imapc_check_value(struct strv v, struct arena *a, const char *what,
                  struct perr *err)
{
	if (v.p == NULL || !net_value_is_safe(v))
		return perr_set(err, a, PERR_INPUT,
		                "%s contains a line break or NUL", what);
	return 0;
}

int
imapc_check_usable(struct imap_conn *c, struct arena *a, struct perr *err)
{
	if (imap_conn_is_broken(c))
		return perr_set(err, a, PERR_TEMPFAIL, "IMAP connection lost");
	if (!c->authenticated)
		return perr_set(err, a, PERR_AUTH, "not logged in");
	return 0;
}

struct arena *
imapc_scratch(struct imap_conn *c)
{
	arena_reset(c->scratch);
	return c->scratch;
}

void
imapc_forget_specials(struct imap_conn *c)
{
	size_t i;

	for (i = 0; i < PT_NELEM(c->special_path); i++) {
		free(c->special_path[i]);
		c->special_path[i] = NULL;
	}
	c->specials_known = false;
}

/*
 * Read the capabilities libetpan stored (from a response code), or ask
 * with CAPABILITY. The caller drops the stored list whenever it may be
 * stale (after STARTTLS and LOGIN, RFC 3501 6.2.1 / 6.2.3).
 */
static int
read_caps(struct imap_conn *c, struct arena *a, struct perr *err)
{
	struct mailimap_capability_data *cd;
	struct sbuf b;
	clistiter *it;
	int r;

	cd = c->imap->imap_connection_info != NULL
	             ? c->imap->imap_connection_info->imap_capability
	             : NULL;
	if (cd == NULL) {
		struct mailimap_capability_data *res = NULL;

		r = mailimap_capability(c->imap, &res);
		if (r != MAILIMAP_NO_ERROR)
			return imapc_fail(c, r, a, PERR_REMOTE, "CAPABILITY",
			                  err);
		/* libetpan keeps its own copy in connection_info too. */
		mailimap_capability_data_free(res);
		cd = c->imap->imap_connection_info->imap_capability;
		if (cd == NULL)
			return perr_set(err, a, PERR_REMOTE,
			                "IMAP CAPABILITY: empty answer");
	}
	sbuf_init(&b, a, 256, 8192);
	for (it = clist_begin(cd->cap_list); it != NULL; it = clist_next(it)) {
		struct mailimap_capability *cap = clist_content(it);

		if (cap->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE &&
		    cap->cap_data.cap_auth_type != NULL)
			sbuf_printf(&b, " AUTH=%s",
			            cap->cap_data.cap_auth_type);
		else if (cap->cap_type == MAILIMAP_CAPABILITY_NAME &&
		         cap->cap_data.cap_name != NULL)
			sbuf_printf(&b, " %s", cap->cap_data.cap_name);
	}
	c->caps = imap_caps_parse(sbuf_view(&b));
	return 0;
}

static void
forget_caps(struct imap_conn *c)
{
	if (c->imap->imap_connection_info != NULL &&
	    c->imap->imap_connection_info->imap_capability != NULL) {
		mailimap_capability_data_free(
		        c->imap->imap_connection_info->imap_capability);
		c->imap->imap_connection_info->imap_capability = NULL;
	}
}

int
imap_connect(const struct config_domain *dom, struct arena *a,
             struct imap_conn **c_r, struct perr *err)
{
	struct imap_conn *c;
	mailstream *s = NULL;
	int r;

	*c_r = NULL;
	if (dom->imap_host == NULL || *dom->imap_host == '\0' ||
	    dom->imap_port == 0 || dom->imap_port > 65535)
		return perr_set(err, a, PERR_INPUT,
		                "no IMAP server configured");
	c = pt_xcalloc(1, sizeof(*c));
	c->host = pt_xstrdup(dom->imap_host);
	c->ca_file = dom->ca_file != NULL && *dom->ca_file != '\0'
	                     ? pt_xstrdup(dom->ca_file)
	                     : NULL;
	/* The connection outlives dom (a reload): it keeps its own copies. */
	net_target_for_domain(&c->target, dom, c->host, dom->imap_port,
	                      dom->imap_secure);
	c->target.ca_file = c->ca_file;
	c->scratch = arena_create("imap-conn", 1024, SCRATCH_LIMIT);
	c->allow_preauth = dom->imap_allow_preauth;

	if (net_connect(&c->target, a, &s, NULL, err) != 0)
		goto fail;
	c->imap = mailimap_new(0, NULL);
	/* mailimap_connect owns s from here on, even when it fails. */
	r = mailimap_connect(c->imap, s);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		if (r == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION ||
		    r == MAILIMAP_ERROR_PARSE)
			r = MAILIMAP_ERROR_FATAL;
		(void)imapc_fail(c, r, a, PERR_TEMPFAIL, "greeting", err);
		goto fail;
	}
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED)
		c->authenticated = c->preauth = true;
	if (read_caps(c, a, err) != 0)
		goto fail;
	if (c->target.sec == NET_STARTTLS) {
		if (!(c->caps & IMAP_CAP_STARTTLS)) {
			perr_set(err, a, PERR_TEMPFAIL,
			         "%s does not offer STARTTLS", c->host);
			goto fail;
		}
		r = mailimap_starttls(c->imap);
		/*
		 * libetpan refuses plaintext pipelined after the OK (the
		 * STARTTLS injection attack); say so rather than quote the
		 * server's positive answer as the error.
		 */
		if (r != MAILIMAP_NO_ERROR &&
		    net_stream_has_pending(c->imap->imap_stream)) {
			perr_set(err, a, PERR_TEMPFAIL,
			         "%s sent unexpected data after STARTTLS",
			         c->host);
			goto fail;
		}
		if (r != MAILIMAP_NO_ERROR) {
			(void)imapc_fail(c, r, a, PERR_TEMPFAIL, "STARTTLS",
			                 err);
			if (err != NULL)
				err->kind = PERR_TEMPFAIL;
			goto fail;
		}
		if (net_starttls(c->imap->imap_stream, &c->target, a, NULL,
		                 err) != 0)
			goto fail;
		forget_caps(c);
		if (read_caps(c, a, err) != 0)
			goto fail;
	}
	*c_r = c;
	return 0;
fail:
	imap_conn_destroy(&c);
	return -1;
}

int
imap_login(struct imap_conn *c, const char *user, const char *password,
           struct perr *err)
{
	struct arena *a = imapc_scratch(c);
	int r;

	if (imap_conn_is_broken(c))
		return perr_set(err, a, PERR_TEMPFAIL, "IMAP connection lost");
	if (user == NULL || *user == '\0' || password == NULL)
		return perr_set(err, a, PERR_INPUT,
		                "user name and password required");
	if (imapc_check_value(strv_from_cstr(user), a, "user name", err) ||
	    imapc_check_value(strv_from_cstr(password), a, "password", err))
		return -1;
	/*
	 * RFC 3501 7.1.4: PREAUTH means the server decided who we are
	 * without a password. Taking that as a correct password would let
	 * anyone in with any password, so only a domain that says so
	 * (a local server on a trusted socket) accepts it.
	 */
	if (c->preauth && !c->allow_preauth)
		return perr_set(err, a, PERR_TEMPFAIL,
		                "the IMAP server greeted with PREAUTH and "
		                "checked no password (imap_allow_preauth = "
		                "Off)");
	if (c->authenticated)
		return 0;
	if (!net_may_send_password(&c->target))
		return perr_set(
		        err, a, PERR_TEMPFAIL,
		        "refusing to send a password to %s without TLS "
		        "(imap_secure = None; allow_insecure_auth = Off)",
		        c->host);
	if (c->caps & IMAP_CAP_LOGINDISABLED)
		return perr_set(err, a, PERR_TEMPFAIL,
		                "the server refuses plain-text login "
		                "(LOGINDISABLED): use SSL or TLS");
	forget_caps(c);
	r = mailimap_login(c->imap, user, password);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_AUTH, "LOGIN", err);
	c->authenticated = true;
	free(c->user);
	c->user = pt_xstrdup(user);
	return read_caps(c, a, err);
}

void
imap_logout(struct imap_conn *c)
{
	if (c == NULL || c->imap == NULL)
		return;
	if (!c->broken && c->imap->imap_stream != NULL) {
		net_stream_set_timeout(c->imap->imap_stream, LOGOUT_TIMEOUT_MS);
		(void)mailimap_logout(c->imap);
	}
	c->broken = true;
}

void
imap_conn_destroy(struct imap_conn **cp)
{
	struct imap_conn *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	*cp = NULL;
	if (c->imap != NULL)
		mailimap_free(c->imap); /* closes the stream */
	free(c->host);
	free(c->ca_file);
	free(c->user);
	free(c->selected);
	free(c->selected_raw);
	imapc_uid_cache_clear(c);
	imapc_forget_specials(c);
	arena_destroy(&c->scratch);
	free(c);
}

bool
imap_conn_is_quiet(struct imap_conn *c)
{
	struct pollfd pfd;
	int fd;

	if (imap_conn_is_broken(c))
		return false;
	if (net_stream_has_pending(c->imap->imap_stream))
		return false;
	fd = net_stream_fd(c->imap->imap_stream);
	if (fd < 0)
		return false;
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 0)
		return false;
	return true;
}

void
imap_conn_get_stats(const struct imap_conn *c, struct imap_conn_stats *st_r)
{
	*st_r = c->stats;
}

/* MODSEQ of a FETCH answer (CONDSTORE), 0 if none. */
static uint64_t
fetch_modseq(const struct mailimap_msg_att *ma)
{
	clistiter *it;

	if (ma == NULL || ma->att_list == NULL)
		return 0;
	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);
		const struct mailimap_extension_data *ed;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_EXTENSION)
			continue;
		ed = item->att_data.att_extension_data;
		if (ed != NULL &&
		    ed->ext_extension == &mailimap_extension_condstore &&
		    ed->ext_type == MAILIMAP_CONDSTORE_TYPE_FETCH_DATA &&
		    ed->ext_data != NULL)
			return ((const struct mailimap_condstore_fetch_mod_resp
			                 *)ed->ext_data)
			        ->cs_modseq_value;
	}
	return 0;
}

static void
note_modseq(struct imap_conn *c, uint64_t modseq)
{
	if (modseq > c->sel.highestmodseq) {
		c->sel.highestmodseq = modseq;
		c->flag_gen++;
	}
}

void
imapc_note_updates(struct imap_conn *c, bool own_fetch)
{
	struct mailimap_response_info *ri;
	clistiter *it;

	if (c->imap == NULL || (ri = c->imap->imap_response_info) == NULL)
		return;
	if (ri->rsp_expunged != NULL && clist_count(ri->rsp_expunged) > 0)
		c->mbox_gen++;
	if (ri->rsp_fetch_list != NULL) {
		if (!own_fetch && clist_count(ri->rsp_fetch_list) > 0)
			c->flag_gen++;
		for (it = clist_begin(ri->rsp_fetch_list); it != NULL;
		     it = clist_next(it)) {
			uint64_t ms = fetch_modseq(clist_content(it));

			/* A change we cannot place: flags need a FETCH. */
			if (ms == 0 && !own_fetch)
				c->modseq_unsure = true;
			note_modseq(c, ms);
		}
	}
	/* "* OK [HIGHESTMODSEQ n]" (RFC 7162 3.1.2.1) */
	if (ri->rsp_extension_list != NULL) {
		for (it = clist_begin(ri->rsp_extension_list); it != NULL;
		     it = clist_next(it)) {
			const struct mailimap_extension_data *ed =
			        clist_content(it);
			const struct mailimap_condstore_resptextcode *rc;

			if (ed == NULL || ed->ext_data == NULL ||
			    ed->ext_extension !=
			            &mailimap_extension_condstore ||
			    ed->ext_type !=
			            MAILIMAP_CONDSTORE_TYPE_RESP_TEXT_CODE)
				continue;
			rc = ed->ext_data;
			if (rc->cs_type ==
			    MAILIMAP_CONDSTORE_RESPTEXTCODE_HIGHESTMODSEQ)
				note_modseq(c, rc->cs_data.cs_modseq_value);
		}
	}
}

int
imap_noop(struct imap_conn *c, struct perr *err)
{
	struct arena *a = imapc_scratch(c);
	int r;

	if (imap_conn_is_broken(c))
		return perr_set(err, a, PERR_TEMPFAIL, "IMAP connection lost");
	c->stats.noops++;
	r = mailimap_noop(c->imap);
	if (r != MAILIMAP_NO_ERROR) {
		/* A NOOP refused by a live server means it is going away. */
		c->broken = true;
		return imapc_fail(c, r, a, PERR_TEMPFAIL, "NOOP", err);
	}
	imapc_note_updates(c, false);
	return 0;
}

/* ---- raw commands ------------------------------------------------------ */

/* If line ends with {N} or {N+}, return N (else -1). */
static long long
literal_size(const char *p, size_t len)
{
	size_t i;
	unsigned long long n = 0;

	if (len < 3 || p[len - 1] != '}')
		return -1;
	i = len - 1;
	if (p[i - 1] == '+')
		i--;
	if (i == 0)
		return -1;
	i--;
	while (i > 0 && p[i] >= '0' && p[i] <= '9')
		i--;
	if (p[i] != '{' || i + 1 == len - 1)
		return -1;
	for (i = i + 1; p[i] >= '0' && p[i] <= '9'; i++) {
		n = n * 10 + (unsigned)(p[i] - '0');
		if (n > IMAPC_RAW_MAX)
			return -2;
	}
	return (long long)n;
}

int
imapc_raw_command(struct imap_conn *c, const char *cmd, struct arena *a,
                  struct strv **lines_r, size_t *n_r, struct perr *err)
{
	MMAPString *line = NULL;
	struct strv *lines = NULL;
	size_t n = 0, cap = 0, total = 0;
	char tag[32];
	size_t tag_len;
	int ret = -1;

	*lines_r = NULL;
	*n_r = 0;
	if (imapc_check_usable(c, a, err) != 0)
		return -1;
	if (mailimap_send_current_tag(c->imap) != MAILIMAP_NO_ERROR ||
	    mailstream_write(c->imap->imap_stream, cmd, strlen(cmd)) < 0 ||
	    mailstream_write(c->imap->imap_stream, "\r\n", 2) < 0 ||
	    mailstream_flush(c->imap->imap_stream) < 0)
		return imapc_fail(c, MAILIMAP_ERROR_STREAM, a, PERR_TEMPFAIL,
		                  cmd, err);
	if (!pt_snprintf_ok(tag, sizeof(tag), "%d ", c->imap->imap_tag))
		return perr_set(err, a, PERR_INTERNAL, "tag");
	tag_len = strlen(tag);
	/*
	 * mailstream_read_line() reads a line whole before the total below
	 * is checked: bound it at the stream, for this command only (the
	 * FETCHes libetpan parses carry literals of any length).
	 */
	net_stream_set_line_limit(c->imap->imap_stream, IMAPC_RAW_MAX);
	line = mmap_string_new("");
	for (;;) {
		long long lit;

		mmap_string_truncate(line, 0);
		if (mailstream_read_line_remove_eol(c->imap->imap_stream,
		                                    line) == NULL)
			goto stream_fail;
		/* Inline literals: "... {N}" CRLF <N bytes> rest-of-line. */
		while ((lit = literal_size(line->str, line->len)) >= 0) {
			char buf[4096];
			size_t left = (size_t)lit;

			total += (size_t)lit;
			if (total > IMAPC_RAW_MAX)
				goto too_big;
			while (left > 0) {
				size_t want =
				        left < sizeof(buf) ? left : sizeof(buf);
				ssize_t got = mailstream_read(
				        c->imap->imap_stream, buf, want);

				if (got <= 0)
					goto stream_fail;
				mmap_string_append_len(line, buf, (size_t)got);
				left -= (size_t)got;
			}
			if (mailstream_read_line_append(c->imap->imap_stream,
			                                line) == NULL)
				goto stream_fail;
			while (line->len > 0 &&
			       (line->str[line->len - 1] == '\n' ||
			        line->str[line->len - 1] == '\r'))
				line->len--;
			line->str[line->len] = '\0';
		}
		if (lit == -2)
			goto too_big;
		total += line->len;
		if (total > IMAPC_RAW_MAX)
			goto too_big;
		if (line->len >= tag_len &&
		    memcmp(line->str, tag, tag_len) == 0) {
			const char *st = line->str + tag_len;

			if (strncmp(st, "OK", 2) == 0) {
				ret = 0;
			} else {
				ret = perr_set(err, a, PERR_REMOTE, "%s", st);
			}
			break;
		}
		if (line->len >= 2 && line->str[0] == '*' &&
		    line->str[1] == ' ') {
			if (strncmp(line->str + 2, "BYE", 3) == 0)
				c->broken = true;
			/* libetpan did not see this: re-SELECT for counts. */
			if (strstr(line->str, " EXISTS") != NULL ||
			    strstr(line->str, " EXPUNGE") != NULL ||
			    strstr(line->str, "VANISHED") != NULL) {
				c->sel_stale = true;
				c->mbox_gen++;
			}
			if (strstr(line->str, " FETCH ") != NULL)
				c->flag_gen++;
			if (n == cap) {
				struct strv *nl;

				cap = cap ? cap * 2 : 16;
				nl = arena_new_array(a, struct strv, cap);
				if (nl == NULL)
					goto too_big;
				if (n > 0)
					memcpy(nl, lines, n * sizeof(*nl));
				lines = nl;
			}
			lines[n].p =
			        arena_strndup(a, line->str + 2, line->len - 2);
			lines[n].len = line->len - 2;
			if (lines[n].p == NULL)
				goto too_big;
			n++;
		}
		/* "+ " continuation lines cannot happen: no literals sent. */
	}
	net_stream_set_line_limit(c->imap->imap_stream, 0);
	mmap_string_free(line);
	if (ret == 0) {
		*lines_r = lines;
		*n_r = n;
	}
	return ret;
stream_fail:
	mmap_string_free(line);
	/* Still limited: the connection is broken from here on anyway. */
	return imapc_fail(c, MAILIMAP_ERROR_STREAM, a, PERR_TEMPFAIL, cmd, err);
too_big:
	mmap_string_free(line);
	/* The rest of the answer is still on the wire: give up on c. */
	c->broken = true;
	return perr_set(err, a, PERR_LIMIT, "IMAP answer too large");
}
