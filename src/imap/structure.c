/*
 * One message opened for reading: ENVELOPE, FLAGS, RFC822.SIZE,
 * BODYSTRUCTURE and the References header in a single UID FETCH, turned
 * into a Petrel part tree. The caller then fetches only the parts it
 * shows (imap_fetch_section), never the whole message.
 */
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "imap_text.h"
#include "core/banned.h"

/* MIME nesting kept; deeper parts are cut (libetpan parsed them already). */
#define STRUCT_MAX_DEPTH 32
#define STRUCT_MAX_PARTS 1000

struct walk {
	struct arena *a;
	size_t parts;
};

static const char *
lower(const char *s, struct arena *a)
{
	char *d = arena_strdup(a, s != NULL ? s : "");
	size_t i;

	/* Out of request memory: imap_fetch_message() fails the whole tree. */
	if (d == NULL)
		return "";
	for (i = 0; d[i] != '\0'; i++)
		d[i] = pt_ascii_tolower(d[i]);
	return d;
}

static void
addresses_of(clist *list, struct arena *a, struct imap_addr_list *out)
{
	clistiter *it;
	size_t n = 0;

	out->v = NULL;
	out->n = 0;
	if (list == NULL || clist_count(list) <= 0)
		return;
	out->v = arena_new_array(a, struct imap_address,
	                         (size_t)clist_count(list));
	if (out->v == NULL)
		return;
	for (it = clist_begin(list); it != NULL; it = clist_next(it)) {
		const struct mailimap_address *ad = clist_content(it);
		struct imap_address *o = &out->v[n];

		/* Group syntax: a NULL host marks a group start or end. */
		if (ad->ad_host_name == NULL)
			continue;
		o->name =
		        ad->ad_personal_name != NULL
		                ? imap_decode_header(
		                          strv_from_cstr(ad->ad_personal_name),
		                          a)
		                : "";
		o->email = arena_printf(
		        a, "%s@%s",
		        ad->ad_mailbox_name != NULL ? ad->ad_mailbox_name : "",
		        ad->ad_host_name);
		n++;
	}
	out->n = n;
}

static void
envelope_of(const struct mailimap_envelope *e, struct arena *a,
            struct imap_envelope *out)
{
	memset(out, 0, sizeof(*out));
	out->subject = "";
	out->date_raw = "";
	out->message_id = "";
	out->in_reply_to = "";
	if (e == NULL)
		return;
	if (e->env_subject != NULL)
		out->subject =
		        imap_decode_header(strv_from_cstr(e->env_subject), a);
	if (e->env_date != NULL) {
		out->date_raw = arena_strdup(a, e->env_date);
		out->date = imapt_parse_date(e->env_date);
	}
	if (e->env_message_id != NULL)
		out->message_id = arena_strdup(a, e->env_message_id);
	if (e->env_in_reply_to != NULL)
		out->in_reply_to = arena_strdup(a, e->env_in_reply_to);
	if (e->env_from != NULL)
		addresses_of(e->env_from->frm_list, a, &out->from);
	if (e->env_to != NULL)
		addresses_of(e->env_to->to_list, a, &out->to);
	if (e->env_cc != NULL)
		addresses_of(e->env_cc->cc_list, a, &out->cc);
	if (e->env_reply_to != NULL)
		addresses_of(e->env_reply_to->rt_list, a, &out->reply_to);
}

static void
params_of(const struct mailimap_body_fld_param *p, struct arena *a,
          struct mime_param **v_r, size_t *n_r)
{
	clistiter *it;
	size_t n = 0;

	*v_r = NULL;
	*n_r = 0;
	if (p == NULL || p->pa_list == NULL || clist_count(p->pa_list) <= 0)
		return;
	*v_r = arena_new_array(a, struct mime_param,
	                       (size_t)clist_count(p->pa_list));
	if (*v_r == NULL)
		return;
	for (it = clist_begin(p->pa_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_single_body_fld_param *sp =
		        clist_content(it);

		(*v_r)[n].name = arena_strdup(a, sp->pa_name);
		(*v_r)[n].value = arena_strdup(a, sp->pa_value);
		if ((*v_r)[n].name == NULL || (*v_r)[n].value == NULL)
			break;
		n++;
	}
	*n_r = n;
}

/*
 * A parameter with RFC 2231 applied, then RFC 2047 for the Outlook
 * habit of encoded words inside quoted names. "" when absent.
 */
static const char *
param(const struct mime_param *v, size_t n, const char *name, struct arena *a)
{
	const char *s = mime_param_get(v, n, name, a);

	if (s == NULL)
		return "";
	if (strstr(s, "=?") != NULL) {
		const char *d = imap_decode_header(strv_from_cstr(s), a);

		return d != NULL ? d : "";
	}
	return s;
}

static void
fields_of(const struct mailimap_body_fields *f, struct imap_part *p,
          struct arena *a)
{
	static const char *const encs[] = {"7bit", "8bit", "binary", "base64",
	                                   "quoted-printable"};

	if (f == NULL)
		return;
	params_of(f->bd_parameter, a, &p->params, &p->n_params);
	if (f->bd_id != NULL) {
		struct strv id = strv_trim(strv_from_cstr(f->bd_id));

		if (id.len >= 2 && id.p[0] == '<' && id.p[id.len - 1] == '>')
			id.p++, id.len -= 2;
		p->content_id = strv_dup(a, id);
	}
	if (f->bd_encoding != NULL) {
		int t = f->bd_encoding->enc_type;

		if (t >= 0 && (size_t)t < PT_NELEM(encs))
			p->encoding = encs[t];
		else if (f->bd_encoding->enc_value != NULL)
			p->encoding = lower(f->bd_encoding->enc_value, a);
	}
	p->size = f->bd_size;
}

static void
disposition_of(const struct mailimap_body_fld_dsp *d, struct imap_part *p,
               struct arena *a)
{
	if (d == NULL)
		return;
	p->disposition = lower(d->dsp_type, a);
	params_of(d->dsp_attributes, a, &p->disp_params, &p->n_disp_params);
}

static struct imap_part *convert(const struct mailimap_body *b,
                                 const char *prefix, const char *label,
                                 unsigned depth, struct imap_part *parent,
                                 struct walk *w);

static void
convert_1part(const struct mailimap_body_type_1part *b, const char *label,
              unsigned depth, struct imap_part *p, struct walk *w)
{
	struct arena *a = w->a;

	switch (b->bd_type) {
	case MAILIMAP_BODY_TYPE_1PART_BASIC: {
		const struct mailimap_body_type_basic *bb =
		        b->bd_data.bd_type_basic;
		static const char *const types[] = {
		        "application", "audio", "image", "message", "video"};
		int t;

		if (bb == NULL)
			break;
		t = bb->bd_media_basic->med_type;
		p->type =
		        t >= 0 && (size_t)t < PT_NELEM(types)
		                ? types[t]
		                : lower(bb->bd_media_basic->med_basic_type, a);
		p->subtype = lower(bb->bd_media_basic->med_subtype, a);
		fields_of(bb->bd_fields, p, a);
		break;
	}
	case MAILIMAP_BODY_TYPE_1PART_TEXT:
		if (b->bd_data.bd_type_text == NULL)
			break;
		p->type = "text";
		p->subtype = lower(b->bd_data.bd_type_text->bd_media_text, a);
		fields_of(b->bd_data.bd_type_text->bd_fields, p, a);
		p->lines = b->bd_data.bd_type_text->bd_lines;
		break;
	case MAILIMAP_BODY_TYPE_1PART_MSG: {
		const struct mailimap_body_type_msg *m = b->bd_data.bd_type_msg;

		if (m == NULL)
			break;
		p->type = "message";
		p->subtype = "rfc822";
		fields_of(m->bd_fields, p, a);
		p->lines = m->bd_lines;
		p->envelope = arena_new(a, struct imap_envelope);
		if (p->envelope != NULL)
			envelope_of(m->bd_envelope, a, p->envelope);
		/*
		 * RFC 3501 6.4.5: the attached message's parts are numbered
		 * under this one; a multipart body has no number of its own
		 * (we call it "<n>.TEXT"), a single part is "<n>.1".
		 */
		if (m->bd_body != NULL) {
			struct imap_part *child;

			if (m->bd_body->bd_type == MAILIMAP_BODY_MPART)
				child = convert(
				        m->bd_body, label,
				        arena_printf(a, "%s.TEXT", label),
				        depth + 1, p, w);
			else
				child = convert(m->bd_body,
				                arena_printf(a, "%s.1", label),
				                arena_printf(a, "%s.1", label),
				                depth + 1, p, w);
			if (child != NULL) {
				p->children = child;
				p->n_children = 1;
			}
		}
		break;
	}
	default:
		break;
	}
	if (b->bd_ext_1part != NULL)
		disposition_of(b->bd_ext_1part->bd_disposition, p, a);
}

static struct imap_part *
convert(const struct mailimap_body *b, const char *prefix, const char *label,
        unsigned depth, struct imap_part *parent, struct walk *w)
{
	struct arena *a = w->a;
	struct imap_part *p;

	if (b == NULL || depth > STRUCT_MAX_DEPTH ||
	    w->parts >= STRUCT_MAX_PARTS || arena_hit_limit(a))
		return NULL;
	p = arena_new(a, struct imap_part);
	if (p == NULL)
		return NULL;
	w->parts++;
	p->section = label;
	p->parent = parent;
	p->type = "application";
	p->subtype = "octet-stream";
	p->content_id = "";
	p->disposition = "";
	p->encoding = "7bit";
	if (b->bd_type == MAILIMAP_BODY_MPART) {
		const struct mailimap_body_type_mpart *m =
		        b->bd_data.bd_body_mpart;
		clistiter *it;
		size_t i = 0, n;

		p->type = "multipart";
		p->subtype = lower(m->bd_media_subtype, a);
		if (m->bd_ext_mpart != NULL) {
			params_of(m->bd_ext_mpart->bd_parameter, a, &p->params,
			          &p->n_params);
			disposition_of(m->bd_ext_mpart->bd_disposition, p, a);
		}
		n = m->bd_list != NULL ? (size_t)clist_count(m->bd_list) : 0;
		p->children =
		        n > 0 ? arena_new_array(a, struct imap_part, n) : NULL;
		if (p->children == NULL)
			n = 0;
		for (it = n > 0 ? clist_begin(m->bd_list) : NULL; it != NULL;
		     it = clist_next(it)) {
			const char *sec =
			        prefix[0] != '\0'
			                ? arena_printf(a, "%s.%zu", prefix,
			                               i + 1)
			                : arena_printf(a, "%zu", i + 1);
			struct imap_part *c =
			        sec == NULL ? NULL
			                    : convert(clist_content(it), sec,
			                              sec, depth + 1, p, w);

			if (c == NULL)
				continue;
			p->children[i++] = *c;
		}
		p->n_children = i;
		/* Children were copied: point their children back at them. */
		for (i = 0; i < p->n_children; i++) {
			size_t k;

			for (k = 0; k < p->children[i].n_children; k++)
				p->children[i].children[k].parent =
				        &p->children[i];
		}
	} else if (b->bd_data.bd_body_1part != NULL) {
		convert_1part(b->bd_data.bd_body_1part, label, depth, p, w);
		if (p->n_children == 1)
			p->children->parent = p;
	}
	p->charset = param(p->params, p->n_params, "charset", a);
	p->name = param(p->disp_params, p->n_disp_params, "filename", a);
	if (p->name[0] == '\0')
		p->name = param(p->params, p->n_params, "name", a);
	return p;
}

/* "References: <a> <b>" out of a HEADER.FIELDS answer, unfolded. */
static const char *
references_of(const char *hdr, size_t len, struct arena *a)
{
	struct strv h = {hdr, len};
	ptrdiff_t colon = strv_find_char(h, ':');
	char *out;
	size_t i, n = 0;

	if (colon < 0)
		return "";
	h.p += colon + 1;
	h.len -= (size_t)colon + 1;
	out = arena_alloc(a, h.len + 1);
	if (out == NULL)
		return "";
	for (i = 0; i < h.len; i++) {
		char c = h.p[i];

		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

static struct mailimap_fetch_type *
structure_fetch_type(void)
{
	struct mailimap_fetch_type *ft =
	        mailimap_fetch_type_new_fetch_att_list_empty();
	clist *hdrs = clist_new();
	char *name = strdup("References");

	if (hdrs == NULL || name == NULL || clist_append(hdrs, name) != 0)
		fatal("out of memory");
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_envelope());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_bodystructure());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_body_peek_section(
	                    mailimap_section_new_header_fields(
	                            mailimap_header_list_new(hdrs))));
	return ft;
}

int
imap_fetch_message(struct imap_conn *c, const char *folder, uint32_t uid,
                   struct arena *a, struct imap_message *m_r, struct perr *err)
{
	struct imap_mailbox_status st;
	struct mailimap_fetch_type *ft;
	clist *res = NULL;
	clistiter *it, *it2;
	bool found = false;

	memset(m_r, 0, sizeof(*m_r));
	if (uid == 0)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	if (imap_select(c, folder, true, &st, err) != 0)
		return -1;
	ft = structure_fetch_type();
	c->stats.fetches++;
	if (imapc_uid_fetch(c, mailimap_set_new_single(uid), ft, a, true, &res,
	                    err) != 0)
		return -1;
	for (it = clist_begin(res); it != NULL && !found; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		struct imap_message m;
		const struct mailimap_body *body = NULL;

		memset(&m, 0, sizeof(m));
		m.references = "";
		for (it2 = clist_begin(ma->att_list); it2 != NULL;
		     it2 = clist_next(it2)) {
			struct mailimap_msg_att_item *item = clist_content(it2);
			struct mailimap_msg_att_static *s;

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
				m.flags =
				        imapc_flags_of(item->att_data.att_dyn);
				(void)imapc_keywords_of(item->att_data.att_dyn,
				                        a, &m.keywords,
				                        &m.n_keywords);
				continue;
			}
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			s = item->att_data.att_static;
			switch (s->att_type) {
			case MAILIMAP_MSG_ATT_UID:
				m.uid = s->att_data.att_uid;
				break;
			case MAILIMAP_MSG_ATT_RFC822_SIZE:
				m.size = s->att_data.att_rfc822_size;
				break;
			case MAILIMAP_MSG_ATT_ENVELOPE:
				envelope_of(s->att_data.att_env, a, &m.env);
				break;
			case MAILIMAP_MSG_ATT_BODYSTRUCTURE:
				body = s->att_data.att_bodystructure;
				break;
			case MAILIMAP_MSG_ATT_BODY_SECTION:
				if (s->att_data.att_body_section != NULL &&
				    s->att_data.att_body_section
				                    ->sec_body_part != NULL)
					m.references = references_of(
					        s->att_data.att_body_section
					                ->sec_body_part,
					        s->att_data.att_body_section
					                ->sec_length,
					        a);
				break;
			default:
				break;
			}
		}
		if (m.uid != uid)
			continue;
		if (m.env.subject == NULL)
			envelope_of(NULL, a, &m.env);
		if (body != NULL) {
			struct walk w = {a, 0};

			m.root =
			        body->bd_type == MAILIMAP_BODY_MPART
			                ? convert(body, "", "TEXT", 0, NULL, &w)
			                : convert(body, "1", "1", 0, NULL, &w);
		}
		*m_r = m;
		found = true;
	}
	if (!found)
		return perr_set(err, a, PERR_NOTFOUND, "no such message");
	/* A part of the tree may be missing: do not show half a message. */
	if (arena_hit_limit(a))
		return perr_set(err, a, PERR_LIMIT,
		                "out of request memory reading the message");
	if (m_r->root == NULL)
		return perr_set(err, a, PERR_REMOTE,
		                "the server sent no usable BODYSTRUCTURE");
	return 0;
}

/* Recursion is bounded by STRUCT_MAX_DEPTH (convert() cut the tree). */
const struct imap_part *
imap_part_find(const struct imap_part *root, const char *section)
{
	size_t i;

	if (root == NULL || section == NULL)
		return NULL;
	if (strcmp(root->section, section) == 0)
		return root;
	for (i = 0; i < root->n_children; i++) {
		const struct imap_part *f =
		        imap_part_find(&root->children[i], section);

		if (f != NULL)
			return f;
	}
	return NULL;
}

/* ---- body choice --------------------------------------------------- */

bool
imap_part_is(const struct imap_part *p, const char *type, const char *subtype)
{
	return strcmp(p->type, type) == 0 &&
	       (subtype == NULL || strcmp(p->subtype, subtype) == 0);
}

static bool
is_attachment(const struct imap_part *p)
{
	return strcmp(p->disposition, "attachment") == 0;
}

/* The related root: the part named by start=, else the first one. */
static const struct imap_part *
related_root(const struct imap_part *p, struct arena *a)
{
	const char *start = mime_param_get(p->params, p->n_params, "start", a);
	size_t i;

	if (p->n_children == 0)
		return NULL;
	if (start != NULL) {
		struct strv s = strv_trim(strv_from_cstr(start));

		if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>')
			s.p++, s.len -= 2;
		for (i = 0; i < p->n_children; i++)
			if (strv_eq_cstr(s, p->children[i].content_id))
				return &p->children[i];
	}
	return &p->children[0];
}

/*
 * RFC 2046 / 2387 body choice: alternative -> the richest part we show
 * (its last HTML, else its last plain text); related -> its root;
 * mixed and others -> the first part that yields a body. Attached
 * messages are never the body. Depth is bounded by the part tree (32).
 */
void
imap_pick_body(const struct imap_part *p, struct arena *a,
               const struct imap_part **html_r,
               const struct imap_part **plain_r)
{
	size_t i;

	*html_r = *plain_r = NULL;
	if (imap_part_is(p, "text", "html") && !is_attachment(p)) {
		*html_r = p;
	} else if (imap_part_is(p, "text", "plain") && !is_attachment(p)) {
		*plain_r = p;
	} else if (imap_part_is(p, "multipart", "alternative")) {
		for (i = p->n_children; i > 0; i--) {
			const struct imap_part *h, *t;

			imap_pick_body(&p->children[i - 1], a, &h, &t);
			if (*html_r == NULL)
				*html_r = h;
			if (*plain_r == NULL)
				*plain_r = t;
		}
	} else if (imap_part_is(p, "multipart", "related")) {
		const struct imap_part *r = related_root(p, a);

		if (r != NULL)
			imap_pick_body(r, a, html_r, plain_r);
	} else if (imap_part_is(p, "multipart", NULL)) {
		for (i = 0; i < p->n_children; i++) {
			imap_pick_body(&p->children[i], a, html_r, plain_r);
			if (*html_r != NULL || *plain_r != NULL)
				return;
		}
	} else if (imap_part_is(p, "message", "rfc822") && p->parent == NULL &&
	           p->n_children == 1) {
		imap_pick_body(&p->children[0], a, html_r, plain_r);
	}
}
