/*
 * One reader for JSON arguments: each JSON route names its arguments in
 * the route table (router.c) as a spec, and web_args_check() validates
 * the body against it before the handler runs. Handlers read the checked
 * values with web_arg_*() and never see the body.
 *
 * A violation answers 400 with the kind's code (InvalidInput), except a
 * CR or LF in a header-like value (WEB_CTL_HEADER): header_injection, as
 * the compose calls always answered. The error object names the argument
 * and the rule broken ("argument", "reason": missing_argument, bad_type,
 * too_long, empty, out_of_range, too_many, control_character,
 * unknown_argument).
 */
#include <string.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

struct web_arg_value {
	bool present;
	bool null;                /* given as null */
	const char *s;            /* WEB_ARG_STRING */
	int64_t i;                /* WEB_ARG_INT, WEB_ARG_UID */
	bool b;                   /* WEB_ARG_BOOL */
	struct mail_strings strs; /* WEB_ARG_STRINGS */
	uint32_t *uids;           /* WEB_ARG_UIDS */
	size_t n_uids;
	int64_t *ids; /* WEB_ARG_IDS */
	size_t n_ids;
	struct mail_ref ref; /* WEB_ARG_REF */
	struct json_t *json; /* WEB_ARG_JSON: borrowed from the body */
};

struct web_args {
	const struct web_arg *spec;
	struct web_arg_value *v;
	size_t n;
};

static int violation(struct web_ctx *ctx, const struct web_arg *a,
                     const char *reason, struct perr *err, const char *fmt, ...)
        PT_PRINTF(5, 6);

static int
violation(struct web_ctx *ctx, const struct web_arg *a, const char *reason,
          struct perr *err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = arena_vprintf(ctx->req->arena, fmt, ap);
	va_end(ap);
	web_error_custom(ctx, 0,
	                 strcmp(reason, "header_injection") == 0
	                         ? "header_injection"
	                         : NULL,
	                 NULL,
	                 json_pack("{ssss}", "argument", a->name, "reason",
	                           strcmp(reason, "header_injection") == 0
	                                   ? "control_character"
	                                   : reason));
	if (strcmp(reason, "header_injection") == 0)
		ctx->error_key = "L_ERROR_HEADER_INJECTION";
	return perr_set(err, ctx->req->arena,
	                a->bad_kind != PERR_OK &&
	                                strcmp(reason, "missing_argument") != 0
	                        ? a->bad_kind
	                        : PERR_INPUT,
	                "%s", msg != NULL ? msg : reason);
}

/* The control-character policy of a string value. */
static int
check_ctl(struct web_ctx *ctx, const struct web_arg *a, const char *s,
          size_t len, struct perr *err)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			return violation(ctx, a, "control_character", err,
			                 "\"%s\" holds a NUL character",
			                 a->name);
		if (a->ctl == WEB_CTL_HEADER && (c == '\r' || c == '\n'))
			return violation(ctx, a, "header_injection", err,
			                 "header injection: CR, LF or NUL in "
			                 "\"%s\"",
			                 a->name);
		if (a->ctl == WEB_CTL_LINE && (c < 0x20 || c == 0x7f) &&
		    c != '\t')
			return violation(ctx, a, "control_character", err,
			                 "\"%s\" holds a control character",
			                 a->name);
	}
	return 0;
}

static int
check_string(struct web_ctx *ctx, const struct web_arg *a, json_t *j,
             const char **s_r, struct perr *err)
{
	size_t len;

	if (!json_is_string(j))
		return violation(ctx, a, "bad_type", err,
		                 "\"%s\" must be a string", a->name);
	len = json_string_length(j);
	if (check_ctl(ctx, a, json_string_value(j), len, err) != 0)
		return -1;
	if (len == 0 && a->min > 0)
		return violation(ctx, a, "empty", err,
		                 "\"%s\" must be a non-empty string", a->name);
	if (a->max > 0 && len > (size_t)a->max)
		return violation(ctx, a, "too_long", err,
		                 "\"%s\" is longer than %lld bytes", a->name,
		                 (long long)a->max);
	*s_r = json_string_value(j);
	return 0;
}

static int
check_uid(struct web_ctx *ctx, const struct web_arg *a, json_t *j,
          uint32_t *uid_r, struct perr *err)
{
	json_int_t u = json_integer_value(j);

	if (!json_is_integer(j))
		return violation(ctx, a, "bad_type", err,
		                 "\"%s\" must be a message UID", a->name);
	if (u <= 0 || u > (json_int_t)UINT32_MAX)
		return violation(ctx, a, "out_of_range", err,
		                 "\"%s\" must be a message UID", a->name);
	*uid_r = (uint32_t)u;
	return 0;
}

static int
check_int(struct web_ctx *ctx, const struct web_arg *a, json_t *j, int64_t *v_r,
          struct perr *err)
{
	if (!json_is_integer(j))
		return violation(ctx, a, "bad_type", err,
		                 "\"%s\" must be a number", a->name);
	if (json_integer_value(j) < a->min || json_integer_value(j) > a->max)
		return violation(ctx, a, "out_of_range", err,
		                 "\"%s\" must be %lld to %lld", a->name,
		                 (long long)a->min, (long long)a->max);
	*v_r = json_integer_value(j);
	return 0;
}

static int
check_strings(struct web_ctx *ctx, const struct web_arg *a, json_t *j,
              struct mail_strings *l, struct perr *err)
{
	struct web_arg item = *a;
	json_t *it;
	size_t i;

	if (!json_is_array(j))
		return violation(ctx, a, "bad_type", err,
		                 "\"%s\" must be an array of strings", a->name);
	if (json_array_size(j) > a->max_items)
		return violation(ctx, a, "too_many", err,
		                 "too many entries in \"%s\" (at most %zu)",
		                 a->name, a->max_items);
	l->v = arena_new_array(ctx->req->arena, const char *,
	                       json_array_size(j) + 1);
	if (l->v == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	json_array_foreach(j, i, it)
	{
		if (check_string(ctx, &item, it, &l->v[l->n], err) != 0)
			return -1;
		l->n++;
	}
	return 0;
}

static int
check_uids(struct web_ctx *ctx, const struct web_arg *a, json_t *j,
           struct web_arg_value *v, struct perr *err)
{
	json_t *it;
	size_t i;

	if (!json_is_array(j))
		return violation(ctx, a, "bad_type", err,
		                 "\"%s\" must be an array of numbers", a->name);
	if (json_array_size(j) > a->max_items) {
		web_error_custom(ctx, 0, NULL, NULL,
		                 json_pack("{ssss}", "argument", a->name,
		                           "reason", "too_many"));
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "too many messages at once (%zu)",
		                json_array_size(j));
	}
	v->uids = arena_new_array(ctx->req->arena, uint32_t,
	                          json_array_size(j) + 1);
	if (v->uids == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	json_array_foreach(j, i, it)
	{
		if (check_uid(ctx, a, it, &v->uids[i], err) != 0)
			return -1;
	}
	v->n_uids = json_array_size(j);
	return 0;
}

static int
check_ids(struct web_ctx *ctx, const struct web_arg *a, json_t *j,
          struct web_arg_value *v, struct perr *err)
{
	json_t *it;
	size_t i;

	if (!json_is_array(j))
		return violation(ctx, a, "bad_type", err,
		                 "\"%s\" must be an array of ids", a->name);
	if (json_array_size(j) == 0 || json_array_size(j) > a->max_items)
		return violation(ctx, a, "too_many", err,
		                 "\"%s\" must be an array of 1 to %zu ids",
		                 a->name, a->max_items);
	v->ids = arena_new_array(ctx->req->arena, int64_t, json_array_size(j));
	if (v->ids == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	json_array_foreach(j, i, it)
	{
		if (!json_is_integer(it) || json_integer_value(it) < a->min ||
		    json_integer_value(it) > a->max)
			return violation(ctx, a, "out_of_range", err,
			                 "\"%s\" must hold ids from %lld",
			                 a->name, (long long)a->min);
		v->ids[i] = json_integer_value(it);
	}
	v->n_ids = json_array_size(j);
	return 0;
}

static int
check_ref(struct web_ctx *ctx, const struct web_arg *a, json_t *j,
          struct mail_ref *r, struct perr *err)
{
	json_t *f = json_object_get(j, "folder"),
	       *u = json_object_get(j, "uid");

	if (!json_is_object(j) || !json_is_string(f) ||
	    json_string_length(f) == 0 || !json_is_integer(u) ||
	    json_integer_value(u) <= 0 ||
	    json_integer_value(u) > (json_int_t)UINT32_MAX)
		return violation(ctx, a, "bad_type", err,
		                 "\"%s\" must be {\"folder\", \"uid\"}",
		                 a->name);
	if (check_ctl(ctx, a, json_string_value(f), json_string_length(f),
	              err) != 0)
		return -1;
	r->folder = json_string_value(f);
	r->uid = (uint32_t)json_integer_value(u);
	return 0;
}

static int
check_one(struct web_ctx *ctx, const struct web_arg *a, json_t *j,
          struct web_arg_value *v, struct perr *err)
{
	uint32_t uid = 0;

	switch (a->type) {
	case WEB_ARG_STRING:
		return check_string(ctx, a, j, &v->s, err);
	case WEB_ARG_INT:
		return check_int(ctx, a, j, &v->i, err);
	case WEB_ARG_UID:
		if (check_uid(ctx, a, j, &uid, err) != 0)
			return -1;
		v->i = uid;
		return 0;
	case WEB_ARG_BOOL:
		if (!json_is_boolean(j))
			return violation(ctx, a, "bad_type", err,
			                 "\"%s\" must be true or false",
			                 a->name);
		v->b = json_is_true(j);
		return 0;
	case WEB_ARG_STRINGS:
		return check_strings(ctx, a, j, &v->strs, err);
	case WEB_ARG_UIDS:
		return check_uids(ctx, a, j, v, err);
	case WEB_ARG_IDS:
		return check_ids(ctx, a, j, v, err);
	case WEB_ARG_REF:
		return check_ref(ctx, a, j, &v->ref, err);
	case WEB_ARG_JSON:
		v->json = j;
		return 0;
	}
	return perr_set(err, ctx->req->arena, PERR_INTERNAL, "bad arg spec");
}

/* The body rule of the spec's terminator. */
static int
body_check(struct web_ctx *ctx, const struct web_arg *spec, size_t n,
           json_t *body, struct perr *err)
{
	struct web_arg whole = {.name = "(body)"};
	const char *key;
	json_t *v;
	size_t i;

	if (body == NULL)
		return violation(ctx, &whole, "bad_type", err,
		                 "expected a JSON object");
	if (spec[n].body != WEB_BODY_EXACT)
		return 0;
	json_object_foreach(body, key, v)
	{
		for (i = 0; i < n && strcmp(spec[i].name, key) != 0; i++)
			;
		if (i == n) {
			whole.name = key;
			return violation(ctx, &whole, "unknown_argument", err,
			                 "unknown argument \"%s\"", key);
		}
	}
	return 0;
}

int
web_args_check(struct web_ctx *ctx, const struct web_arg *spec,
               struct perr *err)
{
	json_t *body = http_request_json(ctx->req), *j;
	struct web_args *args = arena_new(ctx->req->arena, struct web_args);
	size_t n, i;

	for (n = 0; spec[n].name != NULL; n++)
		;
	if (args == NULL ||
	    (args->v = arena_new_array(ctx->req->arena, struct web_arg_value,
	                               n + 1)) == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	args->spec = spec;
	args->n = n;
	ctx->args = args;
	if (!json_is_object(body))
		body = NULL;
	if (spec[n].body != WEB_BODY_ANY &&
	    body_check(ctx, spec, n, body, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		j = json_object_get(body, spec[i].name);
		args->v[i].null = j != NULL && json_is_null(j);
		/* null is "not given", as every call always took it. */
		if (j == NULL || json_is_null(j)) {
			if (spec[i].required)
				return violation(
				        ctx, &spec[i], "missing_argument", err,
				        "\"%s\" is required", spec[i].name);
			continue;
		}
		if (check_one(ctx, &spec[i], j, &args->v[i], err) != 0)
			return -1;
		args->v[i].present = true;
	}
	return 0;
}

static const struct web_arg_value *
value(const struct web_ctx *ctx, const char *name, enum web_arg_type t)
{
	size_t i;

	PT_ASSERT(ctx->args != NULL);
	for (i = 0; i < ctx->args->n; i++)
		if (strcmp(ctx->args->spec[i].name, name) == 0) {
			PT_ASSERT(ctx->args->spec[i].type == t);
			return &ctx->args->v[i];
		}
	PT_ASSERT(!"argument not in the route's spec");
	return NULL;
}

bool
web_arg_given(const struct web_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; ctx->args != NULL && i < ctx->args->n; i++)
		if (strcmp(ctx->args->spec[i].name, name) == 0)
			return ctx->args->v[i].present;
	return false;
}

bool
web_arg_null(const struct web_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; ctx->args != NULL && i < ctx->args->n; i++)
		if (strcmp(ctx->args->spec[i].name, name) == 0)
			return ctx->args->v[i].null;
	return false;
}

const char *
web_arg_str(const struct web_ctx *ctx, const char *name)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_STRING);

	return v->present ? v->s : NULL;
}

int64_t
web_arg_int(const struct web_ctx *ctx, const char *name, int64_t dflt)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_INT);

	return v->present ? v->i : dflt;
}

uint32_t
web_arg_uid(const struct web_ctx *ctx, const char *name)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_UID);

	return v->present ? (uint32_t)v->i : 0;
}

bool
web_arg_bool(const struct web_ctx *ctx, const char *name)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_BOOL);

	return v->present && v->b;
}

struct mail_strings
web_arg_strings(const struct web_ctx *ctx, const char *name)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_STRINGS);
	struct mail_strings none = {NULL, 0};

	return v->present ? v->strs : none;
}

const uint32_t *
web_arg_uids(const struct web_ctx *ctx, const char *name, size_t *n_r)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_UIDS);

	*n_r = v->present ? v->n_uids : 0;
	return v->uids;
}

struct mail_ref
web_arg_ref(const struct web_ctx *ctx, const char *name)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_REF);
	struct mail_ref none = {NULL, 0};

	return v->present ? v->ref : none;
}

const int64_t *
web_arg_ids(const struct web_ctx *ctx, const char *name, size_t *n_r)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_IDS);

	*n_r = v->present ? v->n_ids : 0;
	return v->ids;
}

struct json_t *
web_arg_json(const struct web_ctx *ctx, const char *name)
{
	const struct web_arg_value *v = value(ctx, name, WEB_ARG_JSON);

	return v->present ? v->json : NULL;
}
