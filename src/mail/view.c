/*
 * The message view model: one FETCH of ENVELOPE + BODYSTRUCTURE, the
 * body choice (imap_pick_body), the attachment leaves and their clean
 * names, and text parts fetched by section and decoded to UTF-8. Only
 * the parts that are shown are ever fetched.
 */
#include <string.h>
#include <strings.h>

#include "mail_private.h"
#include "core/banned.h"

/* The part tree has at most 1000 parts (imap_fetch_message). */
#define VIEW_MAX_PARTS 1000

bool
mail_section_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	if (strcmp(s, "TEXT") == 0)
		return true;
	if (n > 5 && strcmp(s + n - 5, ".TEXT") == 0)
		n -= 5;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] == '.' && i > 0 && s[i - 1] != '.' && i + 1 < n)))
			return false;
	return true;
}

int
mail_view_load(struct mail_session *s, const char *folder, uint32_t uid,
               const char *part, struct mail_view *v, struct perr *err)
{
	struct arena *a = s->a;
	const struct imap_part *p;

	memset(v, 0, sizeof(*v));
	v->folder = folder;
	v->uid = uid;
	v->a = a;
	if (s->ops->fetch_message(s->backend, folder, uid, a, &v->m, err) != 0)
		return -1;
	v->root = v->m.root;
	v->env = &v->m.env;
	if (part != NULL) {
		if (!mail_section_ok(part))
			return perr_set(err, a, PERR_INPUT, "bad part");
		p = imap_part_find(v->m.root, part);
		if (p == NULL || !imap_part_is(p, "message", "rfc822") ||
		    p->n_children != 1 || p->envelope == NULL)
			return perr_set(err, a, PERR_NOTFOUND,
			                "no attached message at part %s", part);
		v->root = &p->children[0];
		v->env = p->envelope;
	}
	imap_pick_body(v->root, a, &v->html, &v->plain);
	return 0;
}

int
mail_view_part_text(struct mail_session *s, const struct mail_view *v,
                    const struct imap_part *p, struct strv *text_r,
                    struct perr *err)
{
	struct strv raw, dec;
	const char *utf, *fmt, *delsp;

	if (s->ops->fetch_section(s->backend, v->folder, v->uid, p->section,
	                          v->a, &raw, err) != 0)
		return -1;
	dec = mime_transfer_decode(
	        mime_encoding_parse(strv_from_cstr(p->encoding)), raw, v->a);
	utf = mime_to_utf8(strv_from_cstr(p->charset), dec, v->a);
	*text_r = strv_from_cstr(utf);
	if (!imap_part_is(p, "text", "plain"))
		return 0;
	fmt = mime_param_get(p->params, p->n_params, "format", v->a);
	delsp = mime_param_get(p->params, p->n_params, "delsp", v->a);
	if (fmt != NULL && strcasecmp(fmt, "flowed") == 0)
		*text_r = mime_flowed_unwrap(
		        *text_r, delsp != NULL && strcasecmp(delsp, "yes") == 0,
		        v->a);
	return 0;
}

static bool
is_body_alternative(const struct imap_part *p)
{
	return (imap_part_is(p, "text", "plain") ||
	        imap_part_is(p, "text", "html")) &&
	       p->parent != NULL &&
	       imap_part_is(p->parent, "multipart", "alternative");
}

/* Every leaf that is not the body or one of its alternatives. */
static void
attachment_leaves(const struct mail_view *v, const struct imap_part *p,
                  const struct imap_part **out, size_t *n, size_t max)
{
	size_t i;

	if (imap_part_is(p, "multipart", NULL)) {
		for (i = 0; i < p->n_children; i++)
			attachment_leaves(v, &p->children[i], out, n, max);
		return;
	}
	if (p == v->html || p == v->plain || is_body_alternative(p) ||
	    *n >= max)
		return;
	out[(*n)++] = p;
}

size_t
mail_view_attachments(const struct mail_view *v,
                      const struct imap_part ***parts_r)
{
	const struct imap_part **parts =
	        arena_new_array(v->a, const struct imap_part *, VIEW_MAX_PARTS);
	size_t n = 0;

	if (parts != NULL)
		attachment_leaves(v, v->root, parts, &n, VIEW_MAX_PARTS);
	*parts_r = parts;
	return n;
}

const char *
mail_view_attachment_name(const struct mail_view *v, const struct imap_part *p)
{
	const char *fallback;

	if (imap_part_is(p, "message", "rfc822"))
		fallback = arena_printf(
		        v->a, "%s.eml",
		        p->envelope != NULL && p->envelope->subject[0] != '\0'
		                ? p->envelope->subject
		                : "message");
	else if (imap_part_is(p, "text", "calendar"))
		fallback = "invite.ics";
	else
		fallback = arena_printf(v->a, "part-%s.%s", p->section,
		                        p->subtype);
	return mime_filename_clean(
	        p->name, mime_filename_clean(fallback, NULL, v->a), v->a);
}
