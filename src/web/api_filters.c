/*
 * Filter rules and vacation (Filters, FiltersSave) and raw Sieve scripts
 * (FiltersScripts ... FiltersScriptRename) over ManageSieve; the contract
 * is in docs/API.md. Every call opens its own ManageSieve connection with
 * the session's credentials and closes it when the request ends: filters
 * are edited rarely, and a pool would keep a login per user open.
 *
 * The domain's sieve_use gates every call (404 "filters_disabled"), and
 * sieve_allow_raw the raw ones (403 "raw_disabled"). A rule the
 * generator refuses is 400 "invalid_rule" with the place in
 * error.field; a script the server refuses is 422 "sieve_error" with the
 * server's text as the message and its line in error.line.
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "sieve/sieve.h"
#include "core/banned.h"

struct sieve_hold {
	struct sieve_conn *c;
};

static void
close_at_end(void *arg)
{
	struct sieve_hold *h = arg;

	sieve_close(&h->c);
}

json_t *
web_filters_flags(struct web_ctx *ctx)
{
	const struct config_domain *d = web_user_domain(ctx);

	return json_pack("{sbsb}", "enabled", d->sieve_use, "allowRaw",
	                 d->sieve_use && d->sieve_allow_raw);
}

/* sieve_use (and sieve_allow_raw for raw calls) of the user's domain. */
static int
gate(struct web_ctx *ctx, bool raw, struct perr *err)
{
	const struct config_domain *d = web_user_domain(ctx);

	if (!d->sieve_use) {
		web_error_custom(ctx, 404, "filters_disabled",
		                 i18n_get(ctx->lang, "L_FILTERS_DISABLED"),
		                 NULL);
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "filters are not enabled for this domain");
	}
	if (raw && !d->sieve_allow_raw) {
		web_error_custom(ctx, 403, "raw_disabled",
		                 i18n_get(ctx->lang, "L_FILTERS_RAW_DISABLED"),
		                 NULL);
		return perr_set(err, ctx->req->arena, PERR_FORBIDDEN,
		                "raw Sieve scripts are not enabled for this "
		                "domain");
	}
	return 0;
}

int
web_filters_guard(struct web_ctx *ctx, struct perr *err)
{
	return gate(ctx, false, err);
}

int
web_filters_raw_guard(struct web_ctx *ctx, struct perr *err)
{
	return gate(ctx, true, err);
}

/* A logged-in ManageSieve connection, closed when the request ends. */
static int
open_sieve(struct web_ctx *ctx, bool raw, struct sieve_conn **c_r,
           struct perr *err)
{
	const struct config_domain *dom;
	const char *user, *password;
	struct sieve_hold *h;
	struct arena *a = ctx->req->arena;

	if (gate(ctx, raw, err) != 0 ||
	    web_session_credentials(ctx, ctx->req->arena, &dom, &user,
	                            &password, err) != 0)
		return -1;
	h = arena_new(a, struct sieve_hold);
	if (h == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	if (sieve_connect(dom, a, &h->c, err) != 0)
		return -1;
	arena_defer(a, close_at_end, h);
	if (sieve_login(h->c, user, password, err) != 0) {
		/* The message may live in the connection: copy it out. */
		err->msg = arena_strdup(a, err->msg);
		if (err->kind == PERR_AUTH)
			ctx->error_key = "L_ERROR_SESSION_EXPIRED";
		return -1;
	}
	*c_r = h->c;
	return 0;
}

/*
 * 422 "sieve_error": the server's text, with its line when it names one.
 * Only for a NO answer: a broken connection keeps its own error.
 */
static int
sieve_refused(struct web_ctx *ctx, struct sieve_conn *c, struct perr *err)
{
	struct strv t =
	        strv_trim(strv_from_cstr(err->msg != NULL ? err->msg : ""));
	const char *text = strv_dup(ctx->req->arena, t);
	unsigned line = sieve_error_line(text);
	json_t *fields = NULL;

	if (err->kind != PERR_REMOTE || sieve_conn_is_broken(c) || text == NULL)
		return -1; /* network, quota ...: the usual rendering */
	err->msg = text;
	if (line > 0) {
		fields = json_pack("{si}", "line", (int)line);
		if (strncmp(text, "line ", 5) != 0)
			err->msg = arena_printf(ctx->req->arena, "line %u: %s",
			                        line, text);
	}
	web_error_custom(ctx, 422, "sieve_error", text, fields);
	return -1;
}

/*
 * Check and store a script under name: HAVESPACE first (a quota answer
 * is clearer than a failed upload), then CHECKSCRIPT, then PUTSCRIPT.
 */
static int
check_and_put(struct web_ctx *ctx, struct sieve_conn *c, const char *name,
              struct strv script, struct perr *err)
{
	struct arena *a = ctx->req->arena;

	if (sieve_have_space(c, name, script.len, a, err) != 0)
		return -1;
	if (sieve_check(c, script, a, NULL, err) != 0 ||
	    sieve_put(c, name, script, a, NULL, err) != 0)
		return sieve_refused(ctx, c, err);
	return 0;
}

/* ---- JSON -> rules ---------------------------------------------------- */

struct rd {
	struct web_ctx *ctx;
	struct perr *err;
};

static int invalid(struct rd *r, const char *field, const char *fmt, ...)
        PT_PRINTF(3, 4);

/*
 * "rules[1].conditions[0].value" as the generator says it: "rule 2:
 * condition 1: value", so that every invalid_rule detail reads alike.
 */
static const char *
human_place(const char *path, struct arena *a)
{
	static const struct {
		const char *plural, *one;
	} names[] = {{"rules", "rule"},
	             {"conditions", "condition"},
	             {"actions", "action"},
	             {"addresses", "address"}};
	struct strv rest = strv_from_cstr(path), part;
	struct sbuf out;
	size_t i;

	sbuf_init(&out, a, 64, 1024);
	while (rest.len > 0) {
		ptrdiff_t br;

		(void)strv_split_once(rest, '.', &part, &rest);
		if (out.len > 0)
			sbuf_append_cstr(&out, ": ");
		br = strv_find_char(part, '[');
		if (br < 0) {
			sbuf_append_strv(&out, part);
			continue;
		}
		{
			struct strv name = {part.p, (size_t)br};
			struct strv idx = {part.p + br + 1,
			                   part.len - (size_t)br - 2};
			uint64_t n = 0;

			for (i = 0; i < PT_NELEM(names); i++)
				if (strv_eq_cstr(name, names[i].plural))
					name = strv_from_cstr(names[i].one);
			if (!pt_parse_u64(idx, 1000000, &n))
				n = 0;
			sbuf_append_strv(&out, name);
			sbuf_printf(&out, " %llu", (unsigned long long)n + 1);
		}
	}
	return sbuf_cstr(&out);
}

static int
invalid(struct rd *r, const char *field, const char *fmt, ...)
{
	struct arena *a = r->ctx->req->arena;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = arena_vprintf(a, fmt, ap);
	va_end(ap);
	web_error_custom(r->ctx, 400, "invalid_rule",
	                 i18n_get(r->ctx->lang, "L_FILTERS_INVALID_RULE"),
	                 json_pack("{ss}", "field", field));
	return perr_set(r->err, a, PERR_INPUT, "%s: %s", human_place(field, a),
	                msg != NULL ? msg : "invalid");
}

/* A string member (NUL-free); absent or null gives def. */
static int
get_str(struct rd *r, json_t *o, const char *key, const char *path,
        const char *def, const char **out_r)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		*out_r = def;
		return 0;
	}
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return invalid(
		        r, arena_printf(r->ctx->req->arena, "%s.%s", path, key),
		        "must be a string");
	*out_r = sieve_text_norm(json_string_value(v), r->ctx->req->arena);
	return 0;
}

static int
get_bool(struct rd *r, json_t *o, const char *key, const char *path, bool def,
         bool *out_r)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		*out_r = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return invalid(
		        r, arena_printf(r->ctx->req->arena, "%s.%s", path, key),
		        "must be true or false");
	*out_r = json_is_true(v);
	return 0;
}

static int
read_cond(struct rd *r, json_t *o, const char *path, struct sieve_cond *c)
{
	struct arena *a = r->ctx->req->arena;
	const char *field, *op;
	json_t *v;

	if (!json_is_object(o))
		return invalid(r, path, "must be an object");
	if (get_str(r, o, "field", path, "", &field) != 0 ||
	    get_str(r, o, "op", path, "", &op) != 0 ||
	    get_bool(r, o, "not", path, false, &c->not ) != 0)
		return -1;
	if (strcmp(field, "from") == 0)
		c->field = SIEVE_FIELD_FROM;
	else if (strcmp(field, "to") == 0)
		c->field = SIEVE_FIELD_TO;
	else if (strcmp(field, "subject") == 0)
		c->field = SIEVE_FIELD_SUBJECT;
	else if (strcmp(field, "body") == 0)
		c->field = SIEVE_FIELD_BODY;
	else if (strcmp(field, "size") == 0)
		c->field = SIEVE_FIELD_SIZE;
	else if (strncmp(field, "header:", 7) == 0) {
		c->field = SIEVE_FIELD_HEADER;
		c->header = field + 7;
	} else
		return invalid(r, arena_printf(a, "%s.field", path),
		               "must be from, to, subject, header:<Name>, "
		               "body or size");
	if (!sieve_op_parse(op, &c->op))
		return invalid(r, arena_printf(a, "%s.op", path),
		               "must be contains, is, begins, matches, regex, "
		               "over or under");
	v = json_object_get(o, "value");
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		c->value = arena_printf(a, "%lld",
		                        (long long)json_integer_value(v));
		return 0;
	}
	if (get_str(r, o, "value", path, NULL, &c->value) != 0)
		return -1;
	if (c->value == NULL)
		return invalid(r, arena_printf(a, "%s.value", path),
		               "is missing");
	return 0;
}

static int
read_action(struct rd *r, json_t *o, const char *path, struct sieve_action *x)
{
	const char *type;

	if (!json_is_object(o))
		return invalid(r, path, "must be an object");
	if (get_str(r, o, "type", path, "", &type) != 0)
		return -1;
	if (!sieve_action_parse(type, &x->type))
		return invalid(
		        r, arena_printf(r->ctx->req->arena, "%s.type", path),
		        "must be move, copy, read, flag, redirect, "
		        "reject, discard or stop");
	if (get_str(r, o, "folder", path, NULL, &x->folder) != 0 ||
	    get_str(r, o, "address", path, NULL, &x->address) != 0 ||
	    get_str(r, o, "text", path, NULL, &x->text) != 0 ||
	    get_bool(r, o, "keepCopy", path, false, &x->keep_copy) != 0 ||
	    get_bool(r, o, "create", path, false, &x->create) != 0)
		return -1;
	return 0;
}

/* An array value (where: its place) of at most max elements. */
static int
check_array(struct rd *r, json_t *v, const char *where, size_t max,
            json_t **arr_r, size_t *n_r)
{
	*arr_r = NULL;
	*n_r = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return invalid(r, where, "must be an array");
	if (json_array_size(v) > max)
		return invalid(r, where, "has more than %zu entries", max);
	*arr_r = v;
	*n_r = json_array_size(v);
	return 0;
}

/* An array member with at most max elements; *n_r its size. */
static int
get_array(struct rd *r, json_t *o, const char *key, const char *path,
          size_t max, json_t **arr_r, size_t *n_r)
{
	return check_array(r, json_object_get(o, key),
	                   path[0] != '\0' ? arena_printf(r->ctx->req->arena,
	                                                  "%s.%s", path, key)
	                                   : key,
	                   max, arr_r, n_r);
}

static int
read_rule(struct rd *r, json_t *o, size_t ri, struct sieve_rule *rule)
{
	struct arena *a = r->ctx->req->arena;
	const char *path = arena_printf(a, "rules[%zu]", ri), *match;
	json_t *arr;
	size_t i, n;

	if (!json_is_object(o))
		return invalid(r, path, "must be an object");
	if (get_str(r, o, "name", path, "", &rule->name) != 0 ||
	    get_bool(r, o, "enabled", path, true, &rule->enabled) != 0 ||
	    get_str(r, o, "match", path, "all", &match) != 0)
		return -1;
	if (strcmp(match, "any") != 0 && strcmp(match, "all") != 0)
		return invalid(r, arena_printf(a, "%s.match", path),
		               "must be \"all\" or \"any\"");
	rule->any = strcmp(match, "any") == 0;
	if (get_array(r, o, "conditions", path, SIEVE_CONDS_MAX, &arr, &n) != 0)
		return -1;
	rule->conds = arena_new_array(a, struct sieve_cond, n + 1);
	rule->n_conds = n;
	for (i = 0; i < n; i++) {
		memset(&rule->conds[i], 0, sizeof(rule->conds[i]));
		if (read_cond(r, json_array_get(arr, i),
		              arena_printf(a, "%s.conditions[%zu]", path, i),
		              &rule->conds[i]) != 0)
			return -1;
	}
	if (get_array(r, o, "actions", path, SIEVE_ACTIONS_MAX, &arr, &n) != 0)
		return -1;
	rule->actions = arena_new_array(a, struct sieve_action, n + 1);
	rule->n_actions = n;
	for (i = 0; i < n; i++) {
		memset(&rule->actions[i], 0, sizeof(rule->actions[i]));
		if (read_action(r, json_array_get(arr, i),
		                arena_printf(a, "%s.actions[%zu]", path, i),
		                &rule->actions[i]) != 0)
			return -1;
	}
	return 0;
}

static int
read_vacation(struct rd *r, json_t *o, struct sieve_vacation *v)
{
	struct arena *a = r->ctx->req->arena;
	json_t *days, *arr;
	size_t i, n;

	v->days = 7;
	v->subject = v->text = "";
	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return invalid(r, "vacation", "must be an object");
	if (get_bool(r, o, "enabled", "vacation", false, &v->enabled) != 0 ||
	    get_str(r, o, "subject", "vacation", "", &v->subject) != 0 ||
	    get_str(r, o, "text", "vacation", "", &v->text) != 0 ||
	    get_str(r, o, "from", "vacation", NULL, &v->from) != 0 ||
	    get_str(r, o, "to", "vacation", NULL, &v->to) != 0)
		return -1;
	days = json_object_get(o, "days");
	if (days != NULL && !json_is_null(days)) {
		if (!json_is_integer(days) || json_integer_value(days) < 1 ||
		    json_integer_value(days) > 365)
			return invalid(r, "vacation.days",
			               "must be a number from 1 to 365");
		v->days = (unsigned)json_integer_value(days);
	}
	if (get_array(r, o, "addresses", "vacation", 100, &arr, &n) != 0)
		return -1;
	v->addresses = arena_new_array(a, const char *, n + 1);
	v->n_addresses = n;
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, i);

		if (!json_is_string(s) ||
		    strlen(json_string_value(s)) != json_string_length(s))
			return invalid(
			        r,
			        arena_printf(a, "vacation.addresses[%zu]", i),
			        "must be a string");
		v->addresses[i] = json_string_value(s);
	}
	return 0;
}

static int
read_rules(struct web_ctx *ctx, struct sieve_rules *rules, struct perr *err)
{
	struct rd r = {ctx, err};
	json_t *arr;
	size_t i, n;

	memset(rules, 0, sizeof(*rules));
	if (check_array(&r, web_arg_json(ctx, "rules"), "rules",
	                SIEVE_RULES_MAX, &arr, &n) != 0)
		return -1;
	rules->rules =
	        arena_new_array(ctx->req->arena, struct sieve_rule, n + 1);
	if (rules->rules == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	rules->n_rules = n;
	for (i = 0; i < n; i++) {
		memset(&rules->rules[i], 0, sizeof(rules->rules[i]));
		if (read_rule(&r, json_array_get(arr, i), i,
		              &rules->rules[i]) != 0)
			return -1;
	}
	return read_vacation(&r, web_arg_json(ctx, "vacation"),
	                     &rules->vacation);
}

/* ---- rules -> JSON ---------------------------------------------------- */

static json_t *
cond_json(const struct sieve_cond *c, struct arena *a)
{
	const char *field = c->field == SIEVE_FIELD_HEADER
	                            ? arena_printf(a, "header:%s", c->header)
	                            : sieve_field_name(c->field);

	return json_pack("{sssssbss}", "field", field, "op",
	                 sieve_op_name(c->op), "not", c->not, "value",
	                 c->value);
}

static json_t *
action_json(const struct sieve_action *x)
{
	json_t *o = json_pack("{ss}", "type", sieve_action_name(x->type));

	switch (x->type) {
	case SIEVE_ACT_MOVE:
	case SIEVE_ACT_COPY:
		json_object_set_new(o, "folder", json_string(x->folder));
		json_object_set_new(o, "create", json_boolean(x->create));
		break;
	case SIEVE_ACT_REDIRECT:
		json_object_set_new(o, "address", json_string(x->address));
		json_object_set_new(o, "keepCopy", json_boolean(x->keep_copy));
		break;
	case SIEVE_ACT_REJECT:
		json_object_set_new(o, "text", json_string(x->text));
		break;
	default:
		break;
	}
	return o;
}

static json_t *
rules_json(const struct sieve_rules *r, struct arena *a)
{
	json_t *arr = json_array();
	size_t i, j;

	for (i = 0; i < r->n_rules; i++) {
		const struct sieve_rule *x = &r->rules[i];
		json_t *conds = json_array(), *acts = json_array();

		for (j = 0; j < x->n_conds; j++)
			json_array_append_new(conds,
			                      cond_json(&x->conds[j], a));
		for (j = 0; j < x->n_actions; j++)
			json_array_append_new(acts,
			                      action_json(&x->actions[j]));
		json_array_append_new(
		        arr,
		        json_pack("{sssbsssoso}", "name", x->name, "enabled",
		                  x->enabled, "match", x->any ? "any" : "all",
		                  "conditions", conds, "actions", acts));
	}
	return arr;
}

static json_t *
vacation_json(const struct sieve_vacation *v)
{
	json_t *addrs = json_array(), *o;
	size_t i;

	for (i = 0; i < v->n_addresses; i++)
		json_array_append_new(addrs, json_string(v->addresses[i]));
	o = json_pack("{sbsssssiso}", "enabled", v->enabled, "subject",
	              v->subject != NULL ? v->subject : "", "text",
	              v->text != NULL ? v->text : "", "days", (int)v->days,
	              "addresses", addrs);
	if (v->from != NULL && v->from[0] != '\0')
		json_object_set_new(o, "from", json_string(v->from));
	if (v->to != NULL && v->to[0] != '\0')
		json_object_set_new(o, "to", json_string(v->to));
	return o;
}

/* ---- Filters, FiltersSave ---------------------------------------------- */

/* The active script's name (NULL if none) from LISTSCRIPTS. */
static int
active_script(struct web_ctx *ctx, struct sieve_conn *c, const char **name_r,
              struct perr *err)
{
	struct sieve_script_info *list;
	size_t n, i;

	*name_r = NULL;
	if (sieve_list(c, ctx->req->arena, &list, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (list[i].active)
			*name_r = list[i].name;
	return 0;
}

/* Read the active script into rules; *foreign_r if it is not ours. */
static int
load_active(struct web_ctx *ctx, struct sieve_conn *c, const char **name_r,
            struct sieve_rules *rules, bool *foreign_r, struct perr *err)
{
	struct strv script;

	memset(rules, 0, sizeof(*rules));
	rules->vacation.days = 7;
	rules->vacation.subject = rules->vacation.text = "";
	*foreign_r = false;
	if (active_script(ctx, c, name_r, err) != 0)
		return -1;
	if (*name_r == NULL)
		return 0;
	if (sieve_get(c, *name_r, ctx->req->arena, &script, err) != 0)
		return -1;
	return sieve_script_parse(script, ctx->req->arena, rules, foreign_r,
	                          err);
}

int
web_api_filters(struct web_ctx *ctx, struct perr *err)
{
	const struct config_domain *d = web_user_domain(ctx);
	struct sieve_conn *c;
	const struct sieve_caps *caps;
	struct sieve_rules rules;
	const char *name;
	bool foreign;
	json_t *capa;
	size_t i;

	if (open_sieve(ctx, false, &c, err) != 0 ||
	    load_active(ctx, c, &name, &rules, &foreign, err) != 0)
		return -1;
	caps = sieve_conn_caps(c);
	capa = json_array();
	for (i = 0; i < caps->n_extensions; i++)
		json_array_append_new(capa, json_string(caps->extensions[i]));
	return web_reply_json(
	        ctx,
	        json_pack("{sbsbsososbsoso}", "enabled", 1, "allowRaw",
	                  d->sieve_allow_raw, "capabilities", capa,
	                  "scriptName",
	                  name != NULL ? json_string(name) : json_null(),
	                  "foreign", foreign, "rules",
	                  rules_json(&rules, ctx->req->arena), "vacation",
	                  vacation_json(&rules.vacation)),
	        err);
}

/*
 * Without the "mailbox" extension, :create cannot be written: create the
 * folders of "create" actions over IMAP now instead.
 */
static int
create_folders(struct web_ctx *ctx, const struct sieve_rules *rules,
               const struct sieve_caps *caps, struct perr *err)
{
	struct mail_session *ms;
	const char **paths;
	size_t n = 0, i, j;

	if (sieve_caps_has(caps, "mailbox"))
		return 0;
	for (i = 0; i < rules->n_rules; i++)
		n += rules->rules[i].n_actions;
	paths = arena_new_array(ctx->req->arena, const char *, n + 1);
	if (paths == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	for (n = 0, i = 0; i < rules->n_rules; i++)
		for (j = 0; j < rules->rules[i].n_actions; j++) {
			const struct sieve_action *x =
			        &rules->rules[i].actions[j];

			if (x->create && (x->type == SIEVE_ACT_MOVE ||
			                  x->type == SIEVE_ACT_COPY))
				paths[n++] = x->folder;
		}
	if (n == 0)
		return 0;
	return web_mail(ctx, &ms, err) != 0
	               ? -1
	               : mail_folders_ensure(ms, paths, n, err);
}

int
web_api_filters_save(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct sieve_conn *c;
	struct sieve_rules rules, old;
	const char *name, *where = NULL;
	bool foreign;
	struct sbuf script;

	if (read_rules(ctx, &rules, err) != 0 ||
	    open_sieve(ctx, false, &c, err) != 0)
		return -1;
	sbuf_init(&script, a, 4096, SIEVE_LITERAL_MAX);
	if (sieve_script_generate(&rules, sieve_conn_caps(c), &script, a,
	                          &where, err) != 0) {
		if (err->kind == PERR_INPUT)
			web_error_custom(
			        ctx, 400, "invalid_rule",
			        i18n_get(ctx->lang, "L_FILTERS_INVALID_RULE"),
			        json_pack("{ss}", "field",
			                  where != NULL ? where : ""));
		return -1;
	}
	/* Our own script keeps its name; a foreign one stays, inactive. */
	if (load_active(ctx, c, &name, &old, &foreign, err) != 0)
		return -1;
	if (name == NULL || foreign)
		name = SIEVE_SCRIPT_NAME;
	if (create_folders(ctx, &rules, sieve_conn_caps(c), err) != 0 ||
	    check_and_put(ctx, c, name, sbuf_view(&script), err) != 0 ||
	    sieve_set_active(c, name, a, err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{ss}", "scriptName", name), err);
}

/* ---- raw mode ----------------------------------------------------------- */

static int
name_arg(struct web_ctx *ctx, const char *key, bool empty_ok,
         const char **out_r, struct perr *err)
{
	*out_r = web_arg_str(ctx, key);
	if ((*out_r)[0] == '\0' && empty_ok)
		return 0;
	if (!sieve_name_is_valid(*out_r))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" must be a script name of 1 to 128 "
		                "characters without control characters",
		                key);
	return 0;
}

int
web_api_filters_scripts(struct web_ctx *ctx, struct perr *err)
{
	struct sieve_conn *c;
	struct sieve_script_info *list;
	size_t n, i;
	json_t *arr;

	if (open_sieve(ctx, true, &c, err) != 0 ||
	    sieve_list(c, ctx->req->arena, &list, &n, err) != 0)
		return -1;
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr,
		                      json_pack("{sssb}", "name", list[i].name,
		                                "active", list[i].active));
	return web_reply_json(ctx, json_pack("{so}", "scripts", arr), err);
}

int
web_api_filters_script_get(struct web_ctx *ctx, struct perr *err)
{
	struct sieve_conn *c;
	const char *name, *active;
	struct strv script;

	if (name_arg(ctx, "name", false, &name, err) != 0 ||
	    open_sieve(ctx, true, &c, err) != 0 ||
	    active_script(ctx, c, &active, err) != 0 ||
	    sieve_get(c, name, ctx->req->arena, &script, err) != 0)
		return -1;
	if (!codec_utf8_valid(script))
		return perr_set(err, ctx->req->arena, PERR_REMOTE,
		                "the script is not valid UTF-8");
	return web_reply_json(
	        ctx,
	        json_pack("{ssso sb}", "name", name, "script",
	                  json_stringn(script.p, script.len), "active",
	                  active != NULL && strcmp(active, name) == 0),
	        err);
}

int
web_api_filters_script_save(struct web_ctx *ctx, struct perr *err)
{
	struct sieve_conn *c;
	const char *name;
	struct strv script = strv_from_cstr(web_arg_str(ctx, "script"));

	if (name_arg(ctx, "name", false, &name, err) != 0)
		return -1;
	if (script.len > SIEVE_LITERAL_MAX)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "the script is larger than %u bytes",
		                (unsigned)SIEVE_LITERAL_MAX);
	if (open_sieve(ctx, true, &c, err) != 0 ||
	    check_and_put(ctx, c, name, script, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_filters_script_activate(struct web_ctx *ctx, struct perr *err)
{
	struct sieve_conn *c;
	const char *name;

	if (name_arg(ctx, "name", true, &name, err) != 0 ||
	    open_sieve(ctx, true, &c, err) != 0 ||
	    sieve_set_active(c, name, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_filters_script_delete(struct web_ctx *ctx, struct perr *err)
{
	struct sieve_conn *c;
	const char *name;

	if (name_arg(ctx, "name", false, &name, err) != 0 ||
	    open_sieve(ctx, true, &c, err) != 0 ||
	    sieve_delete(c, name, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}

int
web_api_filters_script_rename(struct web_ctx *ctx, struct perr *err)
{
	struct sieve_conn *c;
	const char *name, *new_name;

	if (name_arg(ctx, "name", false, &name, err) != 0 ||
	    name_arg(ctx, "newName", false, &new_name, err) != 0 ||
	    open_sieve(ctx, true, &c, err) != 0 ||
	    sieve_rename(c, name, new_name, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_object(), err);
}
