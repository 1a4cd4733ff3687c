/*
 * Identities: the addresses a user sends from. The login address is
 * always one of them: with none stored it is synthesized (id "default").
 */
#include <string.h>
#include <strings.h>

#include "mail_private.h"
#include "core/banned.h"

bool
mail_address_allowed(const struct mail_session *s, const char *email)
{
	return strcasecmp(email, s->user) == 0 ||
	       (s->domain != NULL && config_domain_identity_allowed(
	                                     s->domain, strv_from_cstr(email)));
}

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
		v[i].verified = ids[i].confirmed ||
		                mail_address_allowed(s, ids[i].email);
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
		v[0].verified = true;
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

int
mail_identity_confirm_start(struct mail_session *s, int64_t id,
                            const char *link_prefix, const char *subject,
                            const char *text_before, const char *text_after,
                            const char **email_r, struct perr *err)
{
	struct mail_identity *ids, *it = NULL;
	struct mail_compose c;
	struct mail_outgoing *o;
	struct mail_sent r;
	const char *to[1];
	char *token, *hash, *link, *text;
	size_t n, i;
	int64_t now = pt_now_unix();

	if (mail_identities(s, &ids, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (id > 0 && ids[i].s.id == id)
			it = &ids[i];
	if (it == NULL)
		return perr_set(err, s->a, PERR_NOTFOUND, "no such identity");
	if (it->verified)
		return perr_set(err, s->a, PERR_CONFLICT,
		                "%s is verified already", it->s.email);
	token = pt_random_hex(s->a, 32);
	if (token == NULL ||
	    (hash = pt_sha256_hex(s->a, token, strlen(token))) == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	if (store_identity_confirm_begin(
	            s->store, s->user, id, hash, now + MAIL_CONFIRM_TTL,
	            now + MAIL_CONFIRM_TTL - MAIL_CONFIRM_RESEND, s->a,
	            err) != 0)
		return -1;
	link = arena_printf(s->a, "%s%s", link_prefix, token);
	text = link != NULL ? arena_printf(s->a, "%s\n\n%s\n\n%s\n",
	                                   text_before, link, text_after)
	                    : NULL;
	if (text == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	memset(&c, 0, sizeof(c));
	to[0] = it->s.email;
	c.to.v = to;
	c.to.n = 1;
	c.subject = subject;
	c.text = text;
	c.identity_id = "default";
	c.send_token = pt_random_hex(s->a, 16);
	if (mail_compose_prepare(s, &c, true, &o, err) != 0 ||
	    mail_send(s, o, &r, err) != 0) {
		struct perr ignored = {0};

		if (store_identity_confirm_cancel(s->store, s->user, id, s->a,
		                                  &ignored) != 0)
			log_warn("identity confirm: %s", ignored.msg);
		return -1;
	}
	*email_r = it->s.email;
	return 0;
}

int
mail_identity_confirm(struct store *st, const char *token, bool consume,
                      struct arena *a, const char **user_r,
                      const char **email_r, struct perr *err)
{
	char *hash;

	if (token == NULL || strlen(token) != 64)
		return perr_set(err, a, PERR_NOTFOUND,
		                "unknown, used or expired confirmation link");
	hash = pt_sha256_hex(a, token, strlen(token));
	if (hash == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	return store_identity_confirm(st, hash, pt_now_unix(), consume, a,
	                              user_r, email_r, err);
}
