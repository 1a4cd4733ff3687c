/*
 * Catalogs share one sorted key array (English's); each language holds a
 * value array parallel to it, already resolved with the English fallback,
 * so a lookup is one binary search and no language can miss a string.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "i18n.h"
#include "core/banned.h"

#define I18N_MAX_LANGS 64
#define I18N_NATIVE_NAME_KEY "LANGUAGE_NATIVE_NAME"

struct i18n_catalog {
	char *code;
	const struct i18n *set;
	char **values; /* parallel to set->keys */
	char *json;
};

struct i18n {
	char **keys; /* sorted, from en.json */
	size_t nkeys;
	struct i18n_catalog *cats[I18N_MAX_LANGS]; /* [0] is English */
	size_t ncats;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static ptrdiff_t
key_index(const struct i18n *set, const char *key)
{
	char *const *hit =
	        bsearch(&key, set->keys, set->nkeys, sizeof(char *), cmp_str);

	return hit == NULL ? -1 : hit - set->keys;
}

static bool
valid_code(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || n > 12)
		return false;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return false;
	}
	return true;
}

static json_t *
load_object(const char *dir, const char *code, struct perr *err)
{
	char path[4096];
	json_error_t jerr;
	json_t *obj;
	const char *key;
	json_t *val;

	if (!pt_snprintf_ok(path, sizeof(path), "%s/%s.json", dir, code)) {
		perr_set(err, NULL, PERR_INTERNAL, "path too long");
		return NULL;
	}
	obj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		perr_set(err, NULL, PERR_INTERNAL, "bad catalog");
		log_error("i18n: %s:%d: %s", path, jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		log_error("i18n: %s: not a JSON object", path);
		perr_set(err, NULL, PERR_INTERNAL, "bad catalog");
		return NULL;
	}
	json_object_foreach(obj, key, val)
	{
		const char *s = json_string_value(val);

		if (s == NULL || !codec_utf8_valid(strv_from_cstr(s))) {
			log_error("i18n: %s: value of %s is not a UTF-8 string",
			          path, key);
			json_decref(obj);
			perr_set(err, NULL, PERR_INTERNAL, "bad catalog");
			return NULL;
		}
	}
	return obj;
}

static void
catalog_free(struct i18n_catalog *cat, size_t nkeys)
{
	size_t i;

	if (cat == NULL)
		return;
	for (i = 0; cat->values != NULL && i < nkeys; i++)
		free(cat->values[i]);
	free(cat->values);
	free(cat->json);
	free(cat->code);
	free(cat);
}

void
i18n_destroy(struct i18n **setp)
{
	struct i18n *set = *setp;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->ncats; i++)
		catalog_free(set->cats[i], set->nkeys);
	for (i = 0; i < set->nkeys; i++)
		free(set->keys[i]);
	free(set->keys);
	free(set);
	*setp = NULL;
}

static int
add_catalog(struct i18n *set, const char *code, json_t *obj,
            const struct i18n_catalog *english, struct perr *err)
{
	struct i18n_catalog *cat;
	const char *key;
	json_t *val, *out;
	size_t i;

	json_object_foreach(obj, key, val)
	{
		if (key_index(set, key) < 0) {
			log_error("i18n: %s.json: key %s is not in en.json",
			          code, key);
			return perr_set(err, NULL, PERR_INTERNAL,
			                "unknown catalog key");
		}
	}
	if (set->ncats == I18N_MAX_LANGS)
		return perr_set(err, NULL, PERR_INTERNAL, "too many languages");
	cat = pt_xcalloc(1, sizeof(*cat));
	cat->code = pt_xstrdup(code);
	cat->set = set;
	cat->values = pt_xcalloc(set->nkeys, sizeof(char *));
	out = json_object();
	for (i = 0; i < set->nkeys; i++) {
		const char *s =
		        json_string_value(json_object_get(obj, set->keys[i]));

		if (s == NULL)
			s = english->values[i];
		cat->values[i] = pt_xstrdup(s);
		json_object_set_new(out, set->keys[i], json_string(s));
	}
	cat->json = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out);
	if (cat->json == NULL)
		fatal("i18n: out of memory");
	set->cats[set->ncats++] = cat;
	return 0;
}

int
i18n_load(const char *dir, struct i18n **set_r, struct perr *err)
{
	struct i18n *set;
	json_t *en, *obj;
	const char *key;
	json_t *val;
	DIR *d;
	struct dirent *e;
	size_t i = 0;
	int ret = 0;

	en = load_object(dir, "en", err);
	if (en == NULL)
		return -1;
	set = pt_xcalloc(1, sizeof(*set));
	set->nkeys = json_object_size(en);
	set->keys = pt_xcalloc(set->nkeys, sizeof(char *));
	json_object_foreach(en, key, val) set->keys[i++] = pt_xstrdup(key);
	qsort(set->keys, set->nkeys, sizeof(char *), cmp_str);
	if (key_index(set, I18N_NATIVE_NAME_KEY) < 0) {
		json_decref(en);
		i18n_destroy(&set);
		return perr_set(err, NULL, PERR_INTERNAL,
		                "en.json lacks " I18N_NATIVE_NAME_KEY);
	}
	/* English resolves against itself: every key is present. */
	{
		struct i18n_catalog self = {0};

		self.values = pt_xcalloc(set->nkeys, sizeof(char *));
		for (i = 0; i < set->nkeys; i++)
			self.values[i] = (char *)json_string_value(
			        json_object_get(en, set->keys[i]));
		ret = add_catalog(set, "en", en, &self, err);
		free(self.values);
	}
	json_decref(en);
	if (ret != 0) {
		i18n_destroy(&set);
		return -1;
	}

	d = opendir(dir);
	if (d == NULL) {
		i18n_destroy(&set);
		return perr_set(err, NULL, PERR_INTERNAL, "cannot read %s",
		                "catalog directory");
	}
	while (ret == 0 && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char code[16];

		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		n -= 5;
		if (!valid_code(e->d_name, n) || n >= sizeof(code))
			continue;
		memcpy(code, e->d_name, n);
		code[n] = '\0';
		if (strcmp(code, "en") == 0)
			continue;
		obj = load_object(dir, code, err);
		if (obj == NULL) {
			ret = -1;
			break;
		}
		ret = add_catalog(set, code, obj, set->cats[0], err);
		json_decref(obj);
	}
	closedir(d);
	if (ret != 0) {
		i18n_destroy(&set);
		return -1;
	}
	/* Stable order after English: by code. */
	for (i = 1; i < set->ncats; i++) {
		for (size_t k = i; k > 1 && strcmp(set->cats[k - 1]->code,
		                                   set->cats[k]->code) > 0;
		     k--) {
			struct i18n_catalog *t = set->cats[k];

			set->cats[k] = set->cats[k - 1];
			set->cats[k - 1] = t;
		}
	}
	*set_r = set;
	return 0;
}

const struct i18n_catalog *
i18n_find(const struct i18n *set, struct strv code)
{
	size_t i;

	for (i = 0; i < set->ncats; i++) {
		if (strv_eq_ci_ascii(code, strv_from_cstr(set->cats[i]->code)))
			return set->cats[i];
	}
	return NULL;
}

/*
 * RFC 9110 §12.5.4: "ru-RU;q=0.9, en;q=0.5, *;q=0.1". The best q wins; on
 * a tie the earlier entry wins. A region we lack falls back to its base
 * language ("pt-BR" -> "pt").
 */
static const struct i18n_catalog *
pick_accept(const struct i18n *set, struct strv header)
{
	const struct i18n_catalog *best = NULL;
	unsigned best_q = 0;
	struct strv item, rest = header;

	while (rest.len > 0) {
		struct strv tag, params, base, region;
		const struct i18n_catalog *cat;
		unsigned q = 1000;

		strv_split_once(rest, ',', &item, &rest);
		strv_split_once(item, ';', &tag, &params);
		tag = strv_trim(tag);
		params = strv_trim(params);
		if (strv_starts_with(params, STRV_LIT("q="))) {
			struct strv qs = {params.p + 2, params.len - 2};
			unsigned v = 0, scale = 1000;
			size_t i;

			if (qs.len > 0 && qs.p[0] == '1') {
				v = 1000;
			} else if (qs.len > 0 && qs.p[0] == '0') {
				for (i = 2; i < qs.len && i < 5; i++) {
					if (qs.p[i] < '0' || qs.p[i] > '9')
						break;
					scale /= 10;
					v += (unsigned)(qs.p[i] - '0') * scale;
				}
			}
			q = v;
		}
		if (q == 0 || tag.len == 0 || strv_eq_cstr(tag, "*"))
			continue;
		cat = i18n_find(set, tag);
		if (cat == NULL && strv_split_once(tag, '-', &base, &region))
			cat = i18n_find(set, base);
		if (cat != NULL && q > best_q) {
			best = cat;
			best_q = q;
		}
	}
	return best;
}

const struct i18n_catalog *
i18n_pick(const struct i18n *set, struct strv user_choice,
          struct strv accept_language, struct strv default_code)
{
	const struct i18n_catalog *cat = NULL;

	if (user_choice.len > 0)
		cat = i18n_find(set, user_choice);
	if (cat == NULL && accept_language.len > 0)
		cat = pick_accept(set, accept_language);
	if (cat == NULL && default_code.len > 0)
		cat = i18n_find(set, default_code);
	return cat != NULL ? cat : set->cats[0];
}

const char *
i18n_code(const struct i18n_catalog *cat)
{
	return cat->code;
}

const char *
i18n_native_name(const struct i18n_catalog *cat)
{
	return i18n_get(cat, I18N_NATIVE_NAME_KEY);
}

const char *
i18n_get(const struct i18n_catalog *cat, const char *key)
{
	ptrdiff_t i = key_index(cat->set, key);

	return i < 0 ? key : cat->values[i];
}

size_t
i18n_count(const struct i18n_catalog *cat)
{
	return cat->set->nkeys;
}

void
i18n_entry(const struct i18n_catalog *cat, size_t i, const char **key_r,
           const char **value_r)
{
	PT_ASSERT(i < cat->set->nkeys);
	*key_r = cat->set->keys[i];
	*value_r = cat->values[i];
}

const char *
i18n_json(const struct i18n_catalog *cat)
{
	return cat->json;
}

size_t
i18n_languages(const struct i18n *set,
               const struct i18n_catalog *const **cats_r)
{
	*cats_r = (const struct i18n_catalog *const *)set->cats;
	return set->ncats;
}
