/*
 * Identities: the addresses a user sends from. The login address is
 * always one of them: with none stored it is synthesized (id "default").
 */
#include <string.h>

#include "mail_private.h"
#include "core/banned.h"

int
mail_identities(struct mail_session *s, struct mail_identity **v_r, size_t *n_r,
                struct perr *err)
{
	struct store_identity *ids;
	struct mail_identity *v;
	size_t n, i;
	bool any_default = false;

	if (store_identity_list(s->store, s->user, s->a, &ids, &n, err) != 0)
		return -1;
	v = arena_new_array(s->a, struct mail_identity, n + 1);
	if (v == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	for (i = 0; i < n; i++) {
		v[i].id = arena_printf(s->a, "%lld", (long long)ids[i].id);
		v[i].s = ids[i];
		any_default |= ids[i].is_default;
	}
	if (n == 0) {
		/* Always at least one: the login address. */
		v[0].id = "default";
		memset(&v[0].s, 0, sizeof(v[0].s));
		v[0].s.name = "";
		v[0].s.email = s->user;
		v[0].s.reply_to = v[0].s.signature = v[0].s.sent_folder = "";
		v[0].s.is_default = true;
		n = 1;
	} else if (!any_default) {
		v[0].s.is_default = true;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

int
mail_identity_id(struct mail_session *s, const char *id, int64_t *id_r,
                 struct perr *err)
{
	uint64_t v;

	*id_r = 0;
	if (id == NULL || strcmp(id, "default") == 0)
		return 0;
	if (!pt_parse_u64(strv_from_cstr(id), INT64_MAX, &v) || v == 0)
		return perr_set(err, s->a, PERR_NOTFOUND,
		                "no such identity: %s", id);
	*id_r = (int64_t)v;
	return 0;
}

int
mail_identity_save(struct mail_session *s, const struct store_identity *in,
                   const char *email, int64_t *id_r, struct perr *err)
{
	struct store_identity id = *in;
	struct mime_addr ad;

	id.name = id.name != NULL ? id.name : "";
	id.reply_to = id.reply_to != NULL ? id.reply_to : "";
	id.signature = id.signature != NULL ? id.signature : "";
	id.sent_folder = id.sent_folder != NULL ? id.sent_folder : "";
	if (mime_has_crlf_nul(strv_from_cstr(id.name)) ||
	    mime_has_crlf_nul(strv_from_cstr(id.sent_folder)))
		return perr_set(
		        err, s->a, PERR_INPUT,
		        "header injection: CR, LF or NUL in the identity");
	if (mime_addr_parse(strv_from_cstr(email), s->a, &ad, err) != 0)
		return -1;
	id.email = ad.email;
	if (id.reply_to[0] != '\0' &&
	    mime_addr_parse(strv_from_cstr(id.reply_to), s->a, &ad, err) != 0)
		return -1;
	return store_identity_save(s->store, s->user, &id, s->a, id_r, err);
}

int
mail_identity_delete(struct mail_session *s, int64_t id, struct perr *err)
{
	if (id == 0)
		return perr_set(err, s->a, PERR_INPUT,
		                "the login address cannot be deleted");
	return store_identity_delete(s->store, s->user, id, s->a, err);
}
