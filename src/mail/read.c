/*
 * Reading a message beyond its structure (view.c): the body rendered
 * safe (sanitized HTML, or plain text escaped, linkified and with long
 * quotes folded), the calendar summary, \Seen on open, the header block
 * as a list of fields, and a section sent on in decoded pieces.
 */
#include <string.h>

#include "mail_private.h"
#include "sanitize/sanitize.h"
#include "core/banned.h"

/*
 * Bytes of a part asked from IMAP at a time when it is sent on. Each piece
 * is held about four times while in flight (libetpan's read buffer, which
 * then stays that large on the pooled connection, its parsed literal, the
 * copy in the chunk arena, the decoded bytes): 1 MiB pieces raised RSS by
 * 7.5 MiB for one 20 MB download (bench/run.sh, BENCH_ONLY=download).
 */
#define READ_FETCH_CHUNK (256u * 1024)

const struct imap_part *
mail_part_find_type(const struct imap_part *p, const char *type,
                    const char *subtype)
{
	const struct imap_part *f;
	size_t i;

	if (p == NULL)
		return NULL;
	if (imap_part_is(p, type, subtype))
		return p;
	if (imap_part_is(p, "message", "rfc822"))
		return NULL;
	for (i = 0; i < p->n_children; i++)
		if ((f = mail_part_find_type(&p->children[i], type, subtype)) !=
		    NULL)
			return f;
	return NULL;
}

const struct imap_part *
mail_part_find_cid(const struct imap_part *p, struct strv cid, bool ci)
{
	const struct imap_part *f;
	size_t i;

	if (p->content_id[0] != '\0' &&
	    (ci ? strv_eq_ci_ascii(cid, strv_from_cstr(p->content_id))
	        : strv_eq_cstr(cid, p->content_id)))
		return p;
	if (imap_part_is(p, "message", "rfc822"))
		return NULL;
	for (i = 0; i < p->n_children; i++)
		if ((f = mail_part_find_cid(&p->children[i], cid, ci)) != NULL)
			return f;
	return NULL;
}

static int
render_html(struct mail_session *s, const struct mail_view *v,
            const struct mail_render_opts *ro, struct sbuf *out,
            struct mail_rendered *r, struct perr *err)
{
	struct sanitize_opts o;
	struct sanitize_report rep;
	struct strv text;

	if (mail_view_part_text(s, v, v->html, &text, err) != 0)
		return -1;
	memset(&o, 0, sizeof(o));
	o.allow_remote = ro->allow_remote;
	o.placeholder_url = ro->placeholder_url;
	o.cid_url = ro->cid_url;
	o.cid_ctx = ro->cid_ctx;
	o.scope_class = ro->scope_class;
	o.max_output = ro->max_output;
	if (sanitize_html(text, &o, v->a, out, &rep, err) != 0)
		return -1;
	r->html = sbuf_cstr(out);
	r->is_html = true;
	r->remote_blocked = rep.remote_blocked;
	return 0;
}

int
mail_view_render(struct mail_session *s, const struct mail_view *v,
                 const struct mail_render_opts *ro, struct mail_rendered *r,
                 struct perr *err)
{
	struct sbuf out;
	struct strv text = STRV_LIT("");
	struct sanitize_plain_opts po;

	const struct imap_part *plain = v->plain;

	memset(r, 0, sizeof(*r));
	sbuf_init(&out, v->a, 4096, ro->max_output);
	/*
	 * A huge HTML part costs its whole fetch and a DOM of its size in the
	 * sanitizer, for a page nobody reads in a browser pane: past
	 * max_html the user gets the plain alternative (if it is not huge
	 * too) and the original to download instead.
	 */
	if (v->html != NULL && ro->max_html > 0 &&
	    v->html->size > ro->max_html) {
		r->html_skipped = true;
		r->html_size = v->html->size;
		if (plain != NULL && plain->size > ro->max_html)
			plain = NULL;
	} else if (v->html != NULL) {
		return render_html(s, v, ro, &out, r, err);
	}
	r->text = "";
	if (plain != NULL) {
		if (mail_view_part_text(s, v, plain, &text, err) != 0)
			return -1;
		r->text = text.p;
	}
	memset(&po, 0, sizeof(po));
	po.max_output = ro->max_output;
	po.fold_lines = ro->fold_lines;
	po.fold_label = ro->fold_label;
	if (sanitize_plain_to_html(text, &po, v->a, &out, err) != 0)
		return -1;
	r->html = sbuf_cstr(&out);
	return 0;
}

int
mail_view_calendar(struct mail_session *s, const struct mail_view *v,
                   size_t max, const char **section_r, const char **summary_r)
{
	const struct imap_part *p =
	        mail_part_find_type(v->root, "text", "calendar");
	struct strv text;
	struct perr err = {0};

	*section_r = *summary_r = NULL;
	if (p == NULL || p->size > max)
		return 0;
	if (mail_view_part_text(s, v, p, &text, &err) != 0) {
		log_warn("calendar part %s: %s", p->section,
		         err.msg != NULL ? err.msg : "?");
		return 0;
	}
	*summary_r = mime_calendar_summary(text, v->a);
	if (*summary_r == NULL)
		return 0;
	*section_r = p->section;
	return 1;
}

bool
mail_view_mark_seen(struct mail_session *s, const struct mail_view *v)
{
	struct perr err = {0};

	if (s->ops->add_flags(s->backend, v->folder, v->uid, IMAP_MSG_SEEN,
	                      v->a, &err) == 0)
		return true;
	log_warn("Message: setting \\Seen failed: %s",
	         err.msg != NULL ? err.msg : "?");
	return false;
}

/* One unfolded field "Name: value" (RFC 5322 §2.2, §2.2.3), decoded. */
static void
header_field(struct strv field, struct arena *a, struct mail_header *v,
             size_t *n)
{
	struct strv name, value;

	if (!strv_split_once(field, ':', &name, &value))
		return; /* not a field: an mbox "From " line or garbage */
	name = strv_trim(name);
	if (name.len == 0)
		return;
	v[*n].name = imap_decode_header(name, a);
	v[*n].value = imap_decode_header(strv_trim(value), a);
	(*n)++;
}

/*
 * Unfolding removes each line break that is followed by white space and
 * keeps the white space; bare LF line ends are taken too.
 */
static void
split_fields(struct strv raw, struct arena *a, size_t max,
             struct mail_header *v, size_t *n_r, bool *cut_r)
{
	struct sbuf field;
	size_t i = 0, seen = 0;

	*n_r = 0;
	sbuf_init(&field, a, 256, 0);
	while (i < raw.len && seen < max) {
		const char *nl = memchr(raw.p + i, '\n', raw.len - i);
		size_t end = nl != NULL ? (size_t)(nl - raw.p) : raw.len;
		struct strv line = {raw.p + i, end - i};

		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		i = end + 1;
		if (line.len > 0 && (line.p[0] == ' ' || line.p[0] == '\t') &&
		    field.len > 0) {
			sbuf_append(&field, line.p, line.len);
			continue;
		}
		if (field.len > 0) {
			header_field(sbuf_view(&field), a, v, n_r);
			seen++;
			sbuf_reset(&field);
		}
		if (line.len == 0)
			break; /* the blank line that ends the header */
		sbuf_append(&field, line.p, line.len);
	}
	if (field.len > 0 && seen < max)
		header_field(sbuf_view(&field), a, v, n_r);
	*cut_r = seen >= max;
}

int
mail_message_headers(struct mail_session *s, const char *folder, uint32_t uid,
                     const char *part, size_t max, struct mail_header **v_r,
                     size_t *n_r, struct perr *err)
{
	struct mail_view v;
	struct strv raw;
	bool cut;

	if ((part != NULL &&
	     mail_view_load(s, folder, uid, part, &v, err) != 0) ||
	    s->ops->fetch_section(
	            s->backend, folder, uid,
	            part != NULL ? arena_printf(s->a, "%s.HEADER", part)
	                         : "HEADER",
	            s->a, &raw, err) != 0)
		return -1;
	*v_r = arena_new_array(s->a, struct mail_header, max + 1);
	if (*v_r == NULL)
		return perr_set(err, s->a, PERR_LIMIT, "out of request memory");
	split_fields(raw, s->a, max, *v_r, n_r, &cut);
	if (cut)
		log_warn("MessageHeaders: uid %u: more than %zu fields, cut",
		         (unsigned)uid, max);
	return 0;
}

struct stream {
	mail_piece_fn *sink;
	void *arg;
	struct mime_stream dec;
	struct sbuf buf; /* the decoded bytes of one piece */
	bool begun;
};

static int
piece(void *arg, uint64_t off, struct strv data)
{
	struct stream *st = arg;

	(void)off;
	st->begun = true;
	sbuf_reset(&st->buf);
	mime_stream_feed(&st->dec, data, &st->buf);
	return st->sink(st->arg, sbuf_view(&st->buf));
}

int
mail_section_stream(struct mail_session *s, const char *folder, uint32_t uid,
                    const char *section, enum mime_encoding enc,
                    mail_piece_fn *sink, void *arg, struct perr *err)
{
	struct stream st;
	int r;

	memset(&st, 0, sizeof(st));
	st.sink = sink;
	st.arg = arg;
	mime_stream_init(&st.dec, enc);
	sbuf_init(&st.buf, NULL, READ_FETCH_CHUNK + 16, 0);
	r = s->ops->fetch_section_chunks(s->backend, folder, uid, section,
	                                 READ_FETCH_CHUNK, piece, &st, s->a,
	                                 err);
	sbuf_reset(&st.buf);
	mime_stream_finish(&st.dec, &st.buf);
	if (r == 0 && st.begun)
		(void)sink(arg, sbuf_view(&st.buf));
	sbuf_free(&st.buf);
	if (r != 0 && st.begun) {
		log_warn("message %u section %s: cut: %s", (unsigned)uid,
		         section != NULL ? section : "(all)",
		         err->msg != NULL ? err->msg : "?");
		return 0;
	}
	return r;
}
