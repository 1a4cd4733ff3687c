/*
 * Labels (issue 17): named, coloured IMAP keywords. The definitions are
 * the user's, in the store (store_labels_*); the keywords live on the
 * messages at the IMAP server, so any client sees them, and a keyword
 * with no definition still shows (as a neutral chip, in the browser).
 *
 * Calls (docs/API.md): Labels, LabelSave, LabelDelete and
 * MessageSetKeywords{folder, uids, add, remove}. A user who never saved a
 * list gets Thunderbird's five ($label1..$label5), so mail labelled there
 * shows with its names and colours.
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "web_private.h"
#include "core/banned.h"

/*
 * The palette: names only. Each has a light- and a dark-theme shade in
 * static/css (chosen for 3:1 against both backgrounds); the browser shows
 * the name beside the dot, so colour is never the only cue.
 */
static const char *const palette[] = {
        "red",  "orange", "yellow", "green", "teal",
        "blue", "purple", "pink",   "gray",
};

static const struct store_label tb_defaults[] = {
        {"$label1", "Important", "red"},  {"$label2", "Work", "orange"},
        {"$label3", "Personal", "green"}, {"$label4", "To Do", "blue"},
        {"$label5", "Later", "purple"},
};

static bool
colour_known(const char *c)
{
	size_t i;

	for (i = 0; i < PT_NELEM(palette); i++)
		if (strcmp(palette[i], c) == 0)
			return true;
	return false;
}

struct label_list {
	struct store_label *v;
	size_t n;
};

/* The user's list, or the defaults when never saved (room for one more). */
static int
labels_load(struct web_ctx *ctx, struct store *st, struct label_list *l,
            struct perr *err)
{
	struct arena *a = ctx->req->arena;
	struct store_label *v;
	bool saved;

	if (store_labels_get(st, ctx->session->user, a, &l->v, &l->n, &saved,
	                     err) != 0)
		return -1;
	if (saved)
		return 0;
	v = arena_new_array(a, struct store_label, STORE_LABELS_MAX);
	if (v == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	memcpy(v, tb_defaults, sizeof(tb_defaults));
	l->v = v;
	l->n = PT_NELEM(tb_defaults);
	return 0;
}

static json_t *
label_json(const struct store_label *l)
{
	return json_pack("{ssssss}", "keyword", l->keyword, "name", l->name,
	                 "colour", l->colour);
}

static json_t *
labels_json(const struct label_list *l)
{
	json_t *arr = json_array(), *pal = json_array();
	size_t i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, label_json(&l->v[i]));
	for (i = 0; i < PT_NELEM(palette); i++)
		json_array_append_new(pal, json_string(palette[i]));
	return json_pack("{soso}", "labels", arr, "colours", pal);
}

static ssize_t
find_keyword(const struct label_list *l, const char *kw)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].keyword, kw) == 0)
			return (ssize_t)i;
	return -1;
}

static bool
keyword_taken(void *ctx, const char *kw)
{
	const struct label_list *l = ctx;

	/*
	 * Thunderbird's five stay reserved even when deleted here, and a
	 * keyword that is machine state ("junk" from a label named Junk)
	 * would never show as a label.
	 */
	return find_keyword(l, kw) >= 0 || imap_keyword_tb_label(kw) != 0 ||
	       !imap_keyword_is_label(kw);
}

int
web_api_labels(struct web_ctx *ctx, struct perr *err)
{
	struct label_list l;
	struct store *st = web_store(ctx, err);

	if (st == NULL || labels_load(ctx, st, &l, err) != 0)
		return -1;
	return web_reply_json(ctx, labels_json(&l), err);
}

static int
label_save(struct web_ctx *ctx, struct store *st, struct store_label **saved_r,
           struct label_list *l, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	const char *kw = web_arg_str(ctx, "keyword");
	const char *name = web_arg_str(ctx, "name");
	const char *colour = web_arg_str(ctx, "colour");
	struct store_label *t;
	char *derived = NULL;
	ssize_t at = -1;
	size_t i;

	if (labels_load(ctx, st, l, err) != 0)
		return -1;
	if (kw != NULL && kw[0] != '\0') {
		if (imap_keyword_check(kw, a, err) != 0)
			return -1;
		if (!imap_keyword_is_label(kw))
			return perr_set(err, a, PERR_INPUT,
			                "%s is a keyword clients keep for "
			                "themselves, not a label",
			                kw);
		at = find_keyword(l, kw);
	}
	if (at < 0 && (name == NULL || colour == NULL))
		return perr_set(err, a, PERR_INPUT,
		                "a new label needs a name and a colour");
	if (colour != NULL && !colour_known(colour))
		return perr_set(err, a, PERR_INPUT,
		                "unknown colour \"%s\" (one of the palette "
		                "Labels lists)",
		                colour);
	if (name != NULL) {
		struct strv nv = strv_trim(strv_from_cstr(name));

		/* The same checks as the keyword derivation. */
		if (imap_keyword_from_name(strv_dup(a, nv), a, &derived, err) !=
		    0)
			return -1;
		name = strv_dup(a, nv);
		for (i = 0; i < l->n; i++)
			if ((ssize_t)i != at && strcmp(l->v[i].name, name) == 0)
				return perr_set(err, a, PERR_CONFLICT,
				                "a label named \"%s\" exists",
				                name);
	}
	if (at < 0) {
		if (l->n >= STORE_LABELS_MAX)
			return perr_set(err, a, PERR_LIMIT, "at most %d labels",
			                STORE_LABELS_MAX);
		if (kw == NULL || kw[0] == '\0') {
			kw = imap_keyword_unique(derived, keyword_taken, l, a);
			if (kw == NULL)
				return perr_set(
				        err, a, PERR_CONFLICT,
				        "no free keyword for that name");
		}
		at = (ssize_t)l->n++;
		l->v[at].keyword = kw;
	}
	t = &l->v[at];
	if (name != NULL)
		t->name = name;
	if (colour != NULL)
		t->colour = colour;
	*saved_r = t;
	return store_labels_set(st, ctx->session->user, l->v, l->n,
	                        pt_now_unix(), a, err);
}

int
web_api_label_save(struct web_ctx *ctx, struct perr *err)
{
	struct store *st = web_store(ctx, err);
	struct store_label *saved = NULL;
	struct label_list l;
	json_t *res;

	if (st == NULL || store_begin(st, ctx->req->arena, err) != 0)
		return -1;
	if (label_save(ctx, st, &saved, &l, err) != 0 ||
	    store_commit(st, ctx->req->arena, err) != 0) {
		store_rollback(st);
		return -1;
	}
	res = labels_json(&l);
	json_object_set_new(res, "label", label_json(saved));
	return web_reply_json(ctx, res, err);
}

/* Remove kw from every selectable folder; a folder that fails is skipped
 * and counted, the rest still cleared. */
static int
clear_everywhere(struct web_ctx *ctx, const char *kw, json_int_t *cleared_r,
                 json_int_t *failed_r, struct perr *err)
{
	struct imap_folder *f;
	struct imap_conn *c;
	size_t i, n;

	*cleared_r = 0;
	*failed_r = 0;
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_folders(c, ctx->req->arena, &f, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct perr e;

		if (f[i].flags &
		    (IMAP_FOLDER_NOSELECT | IMAP_FOLDER_NONEXISTENT))
			continue;
		perr_clear(&e);
		if (imap_keyword_clear_folder(c, f[i].path, kw, ctx->req->arena,
		                              &e) != 0) {
			if (imap_conn_is_broken(c)) {
				*err = e;
				return -1;
			}
			(*failed_r)++;
			continue;
		}
		(*cleared_r)++;
	}
	return 0;
}

int
web_api_label_delete(struct web_ctx *ctx, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	const char *kw = web_arg_str(ctx, "keyword");
	struct store *st = web_store(ctx, err);
	struct label_list l;
	json_int_t cleared = 0, failed = 0;
	ssize_t at;
	json_t *res;

	if (st == NULL || imap_keyword_check(kw, a, err) != 0)
		return -1;
	if (store_begin(st, a, err) != 0)
		return -1;
	if (labels_load(ctx, st, &l, err) != 0)
		goto fail;
	at = find_keyword(&l, kw);
	if (at < 0) {
		perr_set(err, a, PERR_NOTFOUND, "no label with keyword %s", kw);
		goto fail;
	}
	memmove(&l.v[at], &l.v[at + 1], (l.n - (size_t)at - 1) * sizeof(*l.v));
	l.n--;
	if (store_labels_set(st, ctx->session->user, l.v, l.n, pt_now_unix(), a,
	                     err) != 0 ||
	    store_commit(st, a, err) != 0)
		goto fail;
	/* After the commit: the definition is gone even if IMAP fails. */
	if (web_arg_bool(ctx, "removeFromMessages") &&
	    clear_everywhere(ctx, kw, &cleared, &failed, err) != 0)
		return -1;
	res = labels_json(&l);
	json_object_set_new(res, "foldersCleared", json_integer(cleared));
	json_object_set_new(res, "foldersFailed", json_integer(failed));
	return web_reply_json(ctx, res, err);
fail:
	store_rollback(st);
	return -1;
}

int
web_api_message_set_keywords(struct web_ctx *ctx, struct perr *err)
{
	struct mail_strings add = web_arg_strings(ctx, "add");
	struct mail_strings rm = web_arg_strings(ctx, "remove");
	struct imap_conn *c;
	size_t n, i, j;
	const uint32_t *uids = web_arg_uids(ctx, "uids", &n);

	if (add.n == 0 && rm.n == 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"add\" or \"remove\" must name a keyword");
	for (i = 0; i < add.n; i++)
		for (j = 0; j < rm.n; j++)
			if (strcasecmp(add.v[i], rm.v[j]) == 0)
				return perr_set(err, ctx->req->arena,
				                PERR_INPUT,
				                "%s is both added and removed",
				                add.v[i]);
	if (web_imap(ctx, &c, err) != 0 ||
	    imap_set_keywords(c, web_arg_str(ctx, "folder"), uids, n, add.v,
	                      add.n, rm.v, rm.n, ctx->req->arena, err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{sI}", "updated", (json_int_t)n),
	                      err);
}

json_t *
web_keywords_json(const char *const *kw, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(kw[i]));
	return arr;
}
