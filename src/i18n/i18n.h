/*
 * i18n - language catalogs.
 *
 * Every string a person sees comes from a catalog, never from C code or a
 * template. A catalog is a flat JSON object in i18n/<lang>.json whose keys
 * are template variable names ("L_LOGIN_SUBMIT") and whose values are
 * UTF-8 text. English ("en") is the reference: a key missing from another
 * language falls back to English, and a key that English lacks is refused
 * at load time so a typo cannot hide.
 *
 * The set is loaded once (at start and on SIGHUP) and is read-only after
 * that, so any number of threads may use it at once.
 */
#ifndef PETREL_I18N_H
#define PETREL_I18N_H

#include "core/core.h"

struct i18n;
struct i18n_catalog;

/*
 * Load every <lang>.json in dir. Language codes are lower-case BCP 47
 * ("en", "ru", "pt-br"). Fails when en.json is missing, a file is not a flat
 * object of strings, a value is not valid UTF-8, or a file has a key en.json
 * lacks. On failure *set_r is untouched and err says which file and why.
 */
int i18n_load(const char *dir, struct i18n **set_r,
              struct perr *err) PT_WARN_UNUSED;
void i18n_destroy(struct i18n **setp);

/* The catalog for exactly this code, or NULL. */
const struct i18n_catalog *i18n_find(const struct i18n *set, struct strv code);
/*
 * The language to speak: the user's own choice if it is available, else
 * the best match from an Accept-Language header (q-values honoured, "ru-RU"
 * matches "ru"), else default_code, else English. Never NULL.
 */
const struct i18n_catalog *i18n_pick(const struct i18n *set,
                                     struct strv user_choice,
                                     struct strv accept_language,
                                     struct strv default_code);

const char *i18n_code(const struct i18n_catalog *cat);
/* The language's own name for itself ("English", "Русский"). */
const char *i18n_native_name(const struct i18n_catalog *cat);
/* The text for key, falling back to English, else the key itself. */
const char *i18n_get(const struct i18n_catalog *cat, const char *key);
/* Entries for iteration (every English key, resolved with fallback). */
size_t i18n_count(const struct i18n_catalog *cat);
void i18n_entry(const struct i18n_catalog *cat, size_t i, const char **key_r,
                const char **value_r);
/* The whole resolved catalog as one JSON object, for the browser. */
const char *i18n_json(const struct i18n_catalog *cat);
/* All loaded languages, English first, for a language selector. */
size_t i18n_languages(const struct i18n *set,
                      const struct i18n_catalog *const **cats_r);

#endif
