/*
 * plugin/call.c - the host side of a hook call: the function table every
 * plugin gets, and the runners the rest of Petrel calls at its seams.
 *
 * Whatever a plugin hands back (headers, notices, answers, refusals) is
 * checked and copied into the request's arena here, so the callers get
 * values as safe as their own and never a pointer into plugin memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin_private.h"

enum {
	CALL_HEADERS_MAX = 16,
	CALL_NOTICES_MAX = 4,
	CALL_RESULT_MAX = 32,
	CALL_ITEMS_MAX = 500,
	ITEM_PAIRS_MAX = 16,
	HEADER_VALUE_MAX = 900, /* a header line stays under 998 bytes */
	NOTICE_MAX = 500,
	MESSAGE_MAX = 300, /* a refusal shown to the user */
	RESULT_VALUE_MAX = 64 * 1024,
};

enum call_kind {
	CALL_INIT,
	CALL_LOGIN,
	CALL_LOGIN_CHECK,
	CALL_SEND,
	CALL_VIEW,
	CALL_ACTION,
};

struct petrel_call {
	const struct plugin_entry *plugin;
	const struct plugin_request *req;
	struct arena *arena;
	enum call_kind kind;
	const char *refusal;
	const char *challenge;         /* CALL_LOGIN_CHECK */
	struct plugin_header *headers; /* CALL_SEND */
	size_t n_headers;
	const char **notices; /* CALL_VIEW */
	size_t n_notices;
	const struct plugin_kv *args; /* CALL_ACTION */
	size_t n_args;
	struct plugin_kv *members;
	size_t n_members;
	struct plugin_item *items;
	size_t n_items;
};

static void host_log(struct petrel_call *call, enum petrel_log_level level,
                     const char *fmt, ...) PT_PRINTF(3, 4);

static void
host_log(struct petrel_call *call, enum petrel_log_level level, const char *fmt,
         ...)
{
	char line[1024];
	va_list ap;
	enum log_level lvl;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	switch (level) {
	case PETREL_LOG_ERROR:
		lvl = LOG_LVL_ERROR;
		break;
	case PETREL_LOG_WARN:
		lvl = LOG_LVL_WARN;
		break;
	case PETREL_LOG_INFO:
		lvl = LOG_LVL_INFO;
		break;
	default:
		lvl = LOG_LVL_DEBUG;
		break;
	}
	log_msg(lvl, "plugin %s: %s", call->plugin->name, line);
}

static ptrdiff_t
option_index(const struct plugin_entry *e, const char *name)
{
	size_t k;

	if (name == NULL)
		return -1;
	for (k = 0; k < e->desc->n_options; k++)
		if (strcmp(plugin_desc_option(e->desc, k)->name, name) == 0)
			return (ptrdiff_t)k;
	return -1;
}

static const char *
host_option(struct petrel_call *call, const char *name)
{
	ptrdiff_t k = option_index(call->plugin, name);

	return k < 0 ? NULL : call->plugin->values[k];
}

static bool
host_option_bool(struct petrel_call *call, const char *name)
{
	const char *v = host_option(call, name);

	return v != NULL && strcmp(v, "true") == 0;
}

static int64_t
host_option_int(struct petrel_call *call, const char *name)
{
	const char *v = host_option(call, name);

	/* Values were checked (decimal, in range) when they were loaded. */
	return v != NULL ? (int64_t)strtoll(v, NULL, 10) : 0;
}

static void *
host_alloc(struct petrel_call *call, size_t n)
{
	return arena_alloc(call->arena, n);
}

static const char *
host_translate(struct petrel_call *call, const char *key)
{
	const struct plugin_request *r = call->req;

	if (key == NULL)
		return "";
	if (r == NULL || r->translate == NULL)
		return key;
	return r->translate(r->translate_ctx, key);
}

static int
host_refuse(struct petrel_call *call, const char *msg)
{
	struct strv m = strv_from_cstr(msg != NULL ? msg : "");

	/* The message is shown to a person: keep it short and plain. */
	if (m.len == 0 || m.len > MESSAGE_MAX || !codec_utf8_valid(m) ||
	    strv_has_ctl(m, false))
		m = STRV_LIT("Refused by a plugin.");
	if (call->refusal == NULL)
		call->refusal = strv_dup(call->arena, m);
	if (call->refusal == NULL)
		call->refusal = "Refused by a plugin.";
	return -1;
}

/*
 * Headers a plugin may not set: the ones Petrel builds from what the user
 * wrote or that say who sent the message and how it is structured.
 */
static bool
header_reserved(struct strv name)
{
	static const char *const reserved[] = {
	        "From",        "Sender",      "To",          "Cc",
	        "Bcc",         "Reply-To",    "Subject",     "Date",
	        "Message-ID",  "In-Reply-To", "References",  "MIME-Version",
	        "Return-Path", "Received",    "Resent-From",
	};
	size_t i;

	if (strv_starts_with_ci_ascii(name, STRV_LIT("Content-")))
		return true;
	for (i = 0; i < PT_NELEM(reserved); i++)
		if (strv_eq_ci_ascii(name, strv_from_cstr(reserved[i])))
			return true;
	return false;
}

static int
host_add_header(struct petrel_call *call, const char *name, const char *value)
{
	struct strv n = strv_from_cstr(name != NULL ? name : "");
	struct strv v = strv_from_cstr(value != NULL ? value : "");
	size_t i;

	if (call->kind != CALL_SEND || call->n_headers == CALL_HEADERS_MAX)
		return -1;
	/* RFC 5322 field name: printable ASCII but ':'. */
	if (n.len == 0 || n.len > 76 || header_reserved(n))
		return -1;
	for (i = 0; i < n.len; i++)
		if (n.p[i] <= ' ' || n.p[i] > '~' || n.p[i] == ':')
			return -1;
	/* Printable ASCII and tab only: nothing to encode, nothing to fold. */
	if (v.len > HEADER_VALUE_MAX)
		return -1;
	for (i = 0; i < v.len; i++)
		if ((v.p[i] < ' ' && v.p[i] != '\t') || v.p[i] > '~')
			return -1;
	call->headers[call->n_headers].name = strv_dup(call->arena, n);
	call->headers[call->n_headers].value = strv_dup(call->arena, v);
	if (call->headers[call->n_headers].name == NULL ||
	    call->headers[call->n_headers].value == NULL)
		return -1;
	call->n_headers++;
	return 0;
}

static int
host_notice(struct petrel_call *call, const char *text)
{
	struct strv t = strv_from_cstr(text != NULL ? text : "");
	const char *copy;

	if (call->kind != CALL_VIEW || call->n_notices == CALL_NOTICES_MAX)
		return -1;
	if (t.len == 0 || t.len > NOTICE_MAX || !codec_utf8_valid(t) ||
	    strv_has_ctl(t, false))
		return -1;
	copy = strv_dup(call->arena, t);
	if (copy == NULL)
		return -1;
	call->notices[call->n_notices++] = copy;
	return 0;
}

static const char *
host_arg(struct petrel_call *call, const char *name)
{
	size_t i;

	if (call->kind != CALL_ACTION || name == NULL)
		return NULL;
	for (i = 0; i < call->n_args; i++)
		if (strcmp(call->args[i].key, name) == 0 &&
		    !call->args[i].is_bool)
			return call->args[i].value;
	return NULL;
}

static struct plugin_kv *
result_slot(struct petrel_call *call, const char *key)
{
	struct strv k = strv_from_cstr(key != NULL ? key : "");
	size_t i;

	if (call->kind != CALL_ACTION || call->n_members == CALL_RESULT_MAX)
		return NULL;
	if (k.len == 0 || k.len > 64)
		return NULL;
	for (i = 0; i < k.len; i++) {
		char c = k.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return NULL;
	}
	for (i = 0; i < call->n_members; i++)
		if (strcmp(call->members[i].key, key) == 0)
			return NULL; /* one value per key */
	call->members[call->n_members].key = strv_dup(call->arena, k);
	if (call->members[call->n_members].key == NULL)
		return NULL;
	return &call->members[call->n_members++];
}

static bool
result_key_valid(const char *key)
{
	size_t i, n = key != NULL ? strlen(key) : 0;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/*
 * An object appended to the array `list`. The whole item is checked
 * before any of it is kept, so a bad pair leaves no half an item.
 */
static int
host_result_item(struct petrel_call *call, const char *list,
                 const char *const *kv)
{
	struct plugin_item *it;
	size_t n = 0, i;

	if (call->kind != CALL_ACTION || call->n_items == CALL_ITEMS_MAX ||
	    !result_key_valid(list) || kv == NULL)
		return -1;
	for (i = 0; kv[i] != NULL; i += 2) {
		struct strv v;

		if (kv[i + 1] == NULL || n == ITEM_PAIRS_MAX ||
		    !result_key_valid(kv[i]))
			return -1;
		v = strv_from_cstr(kv[i + 1]);
		if (v.len > RESULT_VALUE_MAX || !codec_utf8_valid(v))
			return -1;
		n++;
	}
	if (call->items == NULL) {
		call->items = arena_new_array(call->arena, struct plugin_item,
		                              CALL_ITEMS_MAX);
		if (call->items == NULL)
			return -1;
	}
	it = &call->items[call->n_items];
	it->list = arena_strndup(call->arena, list, strlen(list));
	it->kv = arena_new_array(call->arena, struct plugin_kv, n + 1);
	if (it->list == NULL || it->kv == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		it->kv[i].key = arena_strndup(call->arena, kv[2 * i],
		                              strlen(kv[2 * i]));
		it->kv[i].value = arena_strndup(call->arena, kv[2 * i + 1],
		                                strlen(kv[2 * i + 1]));
		if (it->kv[i].key == NULL || it->kv[i].value == NULL)
			return -1;
	}
	it->n_kv = n;
	call->n_items++;
	return 0;
}

static int
host_result_string(struct petrel_call *call, const char *key, const char *value)
{
	struct strv v = strv_from_cstr(value != NULL ? value : "");
	struct plugin_kv *kv;

	if (v.len > RESULT_VALUE_MAX || !codec_utf8_valid(v))
		return -1;
	kv = result_slot(call, key);
	if (kv == NULL)
		return -1;
	kv->value = strv_dup(call->arena, v);
	if (kv->value == NULL) {
		call->n_members--;
		return -1;
	}
	return 0;
}

static int
host_result_bool(struct petrel_call *call, const char *key, bool value)
{
	struct plugin_kv *kv = result_slot(call, key);

	if (kv == NULL)
		return -1;
	kv->is_bool = true;
	kv->bool_value = value;
	return 0;
}

static const char *
host_user(struct petrel_call *call)
{
	return call->req != NULL ? call->req->user : NULL;
}

static int
host_http_post_form(struct petrel_call *call, const char *url,
                    const char *const *fields, bool verify_tls, int timeout_ms,
                    int *status_r, const char **body_r)
{
	struct perr err = {0};

	if (call->kind != CALL_ACTION)
		return -1;
	if (timeout_ms <= 0 || timeout_ms > 60000)
		timeout_ms = 15000;
	if (plugin_http_post_form(call->arena, url, fields, verify_tls,
	                          timeout_ms, status_r, body_r, &err) != 0) {
		log_warn("plugin %s: POST %s: %s", call->plugin->name,
		         url != NULL ? url : "(null)", err.msg);
		return -1;
	}
	return 0;
}

static int
host_password_changed(struct petrel_call *call, const char *new_password)
{
	const struct plugin_request *r = call->req;
	struct perr err = {0};

	if (call->kind != CALL_ACTION || r == NULL ||
	    r->password_changed == NULL || new_password == NULL)
		return -1;
	if (r->password_changed(r->password_ctx, new_password, &err) != 0) {
		log_warn("plugin %s: the session keeps its old password: %s",
		         call->plugin->name, err.msg);
		return -1;
	}
	return 0;
}

/* Plain text of at most MESSAGE_MAX bytes, copied; NULL otherwise. */
static const char *
user_text(struct petrel_call *call, const char *msg)
{
	struct strv m = strv_from_cstr(msg != NULL ? msg : "");

	if (m.len == 0 || m.len > MESSAGE_MAX || !codec_utf8_valid(m) ||
	    strv_has_ctl(m, false))
		return NULL;
	return strv_dup(call->arena, m);
}

static int
host_challenge(struct petrel_call *call, const char *prompt)
{
	if (call->kind != CALL_LOGIN_CHECK)
		return -1;
	if (call->challenge == NULL)
		call->challenge = user_text(call, prompt);
	if (call->challenge == NULL)
		call->challenge = "Enter your second factor.";
	return -1;
}

static const char *
host_data_dir(struct petrel_call *call)
{
	const char *dir = call->plugin->data_dir;
	char *parent, *slash;

	if (dir == NULL)
		return NULL;
	/* storage/plugins, then storage/plugins/<name>: both 0700. */
	parent = arena_strdup(call->arena, dir);
	if (parent == NULL || (slash = strrchr(parent, '/')) == NULL)
		return NULL;
	*slash = '\0';
	if ((mkdir(parent, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		log_error("plugin %s: cannot create %s: %s", call->plugin->name,
		          dir, strerror(errno));
		return NULL;
	}
	return dir;
}

static const char *
host_qr_svg(struct petrel_call *call, const char *text)
{
	const struct plugin_request *r = call->req;

	if (r == NULL || r->qr_svg == NULL || text == NULL ||
	    strlen(text) > 2048)
		return NULL;
	return r->qr_svg(text, call->arena);
}

static const struct petrel_host host = {
        .abi_major = PETREL_PLUGIN_ABI_MAJOR,
        .abi_minor = PETREL_PLUGIN_ABI_MINOR,
        .size = sizeof(struct petrel_host),
        .log = host_log,
        .option = host_option,
        .option_bool = host_option_bool,
        .option_int = host_option_int,
        .alloc = host_alloc,
        .translate = host_translate,
        .refuse = host_refuse,
        .add_header = host_add_header,
        .notice = host_notice,
        .arg = host_arg,
        .result_string = host_result_string,
        .result_bool = host_result_bool,
        .user = host_user,
        .http_post_form = host_http_post_form,
        .password_changed = host_password_changed,
        .challenge = host_challenge,
        .data_dir = host_data_dir,
        .qr_svg = host_qr_svg,
        .result_item = host_result_item,
};

static void
call_start(struct petrel_call *call, const struct plugin_entry *e,
           const struct plugin_request *req, enum call_kind kind)
{
	memset(call, 0, sizeof(*call));
	call->plugin = e;
	call->req = req;
	call->arena = req->arena;
	call->kind = kind;
}

static int
refused(struct petrel_call *call, struct perr *err)
{
	return perr_set(err, call->arena, PERR_FORBIDDEN, "%s",
	                call->refusal != NULL ? call->refusal
	                                      : "Refused by a plugin.");
}

int
plugin_call_init(const struct plugin_entry *e, struct arena *a,
                 struct perr *err)
{
	struct plugin_request req = {0};
	struct petrel_call call;
	int rc = 0;

	if (e->hooks == NULL || e->hooks->init == NULL)
		return 0;
	/* The init call's memory lives only as long as the call. */
	req.arena = arena_create("plugin-init", 4096, 1 << 20);
	call_start(&call, e, &req, CALL_INIT);
	if (e->hooks->init(&host, &call) != 0) {
		/* The message must outlive the call's arena. */
		perr_set(err, a, PERR_FORBIDDEN, "%s",
		         call.refusal != NULL ? call.refusal
		                              : "init returned an error");
		rc = -1;
	}
	arena_destroy(&req.arena);
	return rc;
}

#define EACH_ACTIVE(set, e)                                                    \
	for (size_t i_ = 0; (set) != NULL && i_ < (set)->n; i_++)              \
		if (((e) = &(set)->entries[i_])->active && (e)->hooks != NULL)

int
plugin_run_login_before(const struct plugin_set *set,
                        const struct plugin_request *req,
                        const struct petrel_login *login, struct perr *err)
{
	const struct plugin_entry *e;
	struct petrel_call call;

	EACH_ACTIVE(set, e)
	{
		if (e->hooks->login_before == NULL)
			continue;
		call_start(&call, e, req, CALL_LOGIN);
		if (e->hooks->login_before(&host, &call, login) != 0)
			return refused(&call, err);
	}
	return 0;
}

int
plugin_run_login_check(const struct plugin_set *set,
                       const struct plugin_request *req,
                       const struct petrel_login *login,
                       struct plugin_challenge *challenge_r, struct perr *err)
{
	const struct plugin_entry *e;
	struct petrel_call call;

	memset(challenge_r, 0, sizeof(*challenge_r));
	EACH_ACTIVE(set, e)
	{
		/* A 1.0 plugin's hooks end before login_check. */
		if (!PLUGIN_HAS(e->hooks, struct petrel_hooks, login_check) ||
		    e->hooks->login_check == NULL)
			continue;
		call_start(&call, e, req, CALL_LOGIN_CHECK);
		if (e->hooks->login_check(&host, &call, login) == 0)
			continue;
		if (call.challenge != NULL && call.refusal == NULL) {
			challenge_r->plugin = e->name;
			challenge_r->prompt = call.challenge;
			return perr_set(err, req->arena, PERR_AUTH, "%s",
			                call.challenge);
		}
		return refused(&call, err);
	}
	return 0;
}

void
plugin_run_login_after(const struct plugin_set *set,
                       const struct plugin_request *req,
                       const struct petrel_login *login)
{
	const struct plugin_entry *e;
	struct petrel_call call;

	EACH_ACTIVE(set, e)
	{
		if (e->hooks->login_after == NULL)
			continue;
		call_start(&call, e, req, CALL_LOGIN);
		e->hooks->login_after(&host, &call, login);
	}
}

int
plugin_run_send_before(const struct plugin_set *set,
                       const struct plugin_request *req,
                       const struct petrel_send *msg,
                       struct plugin_send_result *result_r, struct perr *err)
{
	const struct plugin_entry *e;
	struct petrel_call call;
	struct plugin_header *all = NULL;
	size_t n = 0, cap = 0;

	memset(result_r, 0, sizeof(*result_r));
	EACH_ACTIVE(set, e)
	{
		if (e->hooks->send_before == NULL)
			continue;
		call_start(&call, e, req, CALL_SEND);
		call.headers = arena_new_array(req->arena, struct plugin_header,
		                               CALL_HEADERS_MAX);
		if (call.headers == NULL)
			return perr_set(err, req->arena, PERR_LIMIT,
			                "out of memory");
		if (e->hooks->send_before(&host, &call, msg) != 0)
			return refused(&call, err);
		if (call.n_headers == 0)
			continue;
		if (n + call.n_headers > cap) {
			struct plugin_header *grown;
			cap = (n + call.n_headers) * 2;
			grown = arena_new_array(req->arena,
			                        struct plugin_header, cap);
			if (grown == NULL)
				return perr_set(err, req->arena, PERR_LIMIT,
				                "out of memory");
			if (n > 0)
				memcpy(grown, all, n * sizeof(*all));
			all = grown;
		}
		memcpy(all + n, call.headers, call.n_headers * sizeof(*all));
		n += call.n_headers;
	}
	result_r->headers = all;
	result_r->n_headers = n;
	return 0;
}

const char **
plugin_run_message_view(const struct plugin_set *set,
                        const struct plugin_request *req,
                        const struct petrel_view *view)
{
	const struct plugin_entry *e;
	struct petrel_call call;
	const char **out;
	size_t n = 0, count = 0;

	EACH_ACTIVE(set, e)
	{
		if (e->hooks->message_view != NULL)
			count++;
	}
	out = arena_new_array(req->arena, const char *,
	                      count *CALL_NOTICES_MAX + 1);
	if (out == NULL)
		return NULL;
	EACH_ACTIVE(set, e)
	{
		if (e->hooks->message_view == NULL)
			continue;
		call_start(&call, e, req, CALL_VIEW);
		call.notices = out + n;
		e->hooks->message_view(&host, &call, view);
		n += call.n_notices;
	}
	out[n] = NULL;
	return out;
}

int
plugin_run_action(const struct plugin_set *set, struct strv plugin,
                  struct strv action, const struct plugin_request *req,
                  const struct plugin_kv *args, size_t n_args,
                  struct plugin_action_result *result_r, struct perr *err)
{
	ptrdiff_t i = plugin_set_find(set, plugin);
	const struct plugin_entry *e;
	struct petrel_call call;
	size_t k;

	memset(result_r, 0, sizeof(*result_r));
	if (i < 0 || !set->entries[i].active || set->entries[i].hooks == NULL)
		return perr_set(err, req->arena, PERR_NOTFOUND,
		                "no such plugin");
	e = &set->entries[i];
	for (k = 0; k < e->hooks->n_actions; k++)
		if (strv_eq_cstr(action, e->hooks->actions[k].name))
			break;
	if (k == e->hooks->n_actions)
		return perr_set(err, req->arena, PERR_NOTFOUND,
		                "no such action");
	call_start(&call, e, req, CALL_ACTION);
	call.args = args;
	call.n_args = n_args;
	call.members =
	        arena_new_array(req->arena, struct plugin_kv, CALL_RESULT_MAX);
	if (call.members == NULL)
		return perr_set(err, req->arena, PERR_LIMIT, "out of memory");
	if (e->hooks->actions[k].run(&host, &call) != 0)
		return refused(&call, err);
	result_r->members = call.members;
	result_r->n_members = call.n_members;
	result_r->items = call.items;
	result_r->n_items = call.n_items;
	return 0;
}
