/*
 * The rows of a page: one UID FETCH of envelopes, flags, sizes and body
 * structures, then one per distinct preview section.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_private.h"
#include "imap_text.h"
#include "sanitize/sanitize.h"
#include "core/banned.h"

#define PREVIEW_FETCH_BYTES 2048

/* ---- rows -------------------------------------------------------------- */

struct prevreq {
	char section[64];
	int enc;
	const char *charset;
	bool html;
};

static void
address_of(const struct mailimap_address *ad, struct arena *a,
           struct imap_address *out)
{
	out->name = ad->ad_personal_name != NULL
	                    ? imap_decode_header(
	                              strv_from_cstr(ad->ad_personal_name), a)
	                    : "";
	if (ad->ad_mailbox_name != NULL && ad->ad_host_name != NULL)
		out->email = imap_decode_header(
		        strv_from_cstr(arena_printf(a, "%s@%s",
		                                    ad->ad_mailbox_name,
		                                    ad->ad_host_name)),
		        a);
	else
		out->email =
		        ad->ad_mailbox_name != NULL
		                ? imap_decode_header(
		                          strv_from_cstr(ad->ad_mailbox_name),
		                          a)
		                : "";
}

static const char *
param_value(const struct mailimap_body_fld_param *p, const char *name)
{
	clistiter *it;

	if (p == NULL)
		return NULL;
	for (it = clist_begin(p->pa_list); it != NULL; it = clist_next(it)) {
		struct mailimap_single_body_fld_param *sp = clist_content(it);

		if (sp->pa_name != NULL &&
		    strv_eq_ci_ascii(strv_from_cstr(sp->pa_name),
		                     strv_from_cstr(name)))
			return sp->pa_value;
	}
	return NULL;
}

static bool
is_attachment_disp(const struct mailimap_body_ext_1part *ext)
{
	return ext != NULL && ext->bd_disposition != NULL &&
	       ext->bd_disposition->dsp_type != NULL &&
	       strv_eq_ci_ascii(strv_from_cstr(ext->bd_disposition->dsp_type),
	                        STRV_LIT("attachment"));
}

/*
 * Walk a BODYSTRUCTURE: note attachments and the best text part for the
 * preview (the first text/plain not an attachment, else text/html).
 */
static void
walk_body(const struct mailimap_body *b, const char *path, unsigned depth,
          bool *attach, struct prevreq *plain, struct prevreq *html)
{
	clistiter *it;
	unsigned i = 1;

	if (b == NULL || depth > 20)
		return;
	if (b->bd_type == MAILIMAP_BODY_MPART) {
		for (it = clist_begin(b->bd_data.bd_body_mpart->bd_list);
		     it != NULL; it = clist_next(it), i++) {
			char sub[64];

			if (!pt_snprintf_ok(sub, sizeof(sub), "%s%s%u", path,
			                    *path ? "." : "", i))
				return;
			walk_body(clist_content(it), sub, depth + 1, attach,
			          plain, html);
		}
		return;
	}
	{
		const struct mailimap_body_type_1part *p =
		        b->bd_data.bd_body_1part;
		const char *sec = *path ? path : "1";

		if (p == NULL)
			return;
		if (is_attachment_disp(p->bd_ext_1part)) {
			*attach = true;
			return;
		}
		if (p->bd_type == MAILIMAP_BODY_TYPE_1PART_TEXT &&
		    p->bd_data.bd_type_text != NULL) {
			const struct mailimap_body_type_text *tx =
			        p->bd_data.bd_type_text;
			bool is_html =
			        tx->bd_media_text != NULL &&
			        strv_eq_ci_ascii(
			                strv_from_cstr(tx->bd_media_text),
			                STRV_LIT("html"));
			bool is_plain =
			        tx->bd_media_text != NULL &&
			        strv_eq_ci_ascii(
			                strv_from_cstr(tx->bd_media_text),
			                STRV_LIT("plain"));
			struct prevreq *dst = is_plain  ? plain
			                      : is_html ? html
			                                : NULL;

			if (dst != NULL && dst->section[0] == '\0' &&
			    pt_strlcpy(dst->section, sec,
			               sizeof(dst->section))) {
				dst->enc = tx->bd_fields->bd_encoding != NULL
				                   ? tx->bd_fields->bd_encoding
				                             ->enc_type
				                   : MAILIMAP_BODY_FLD_ENC_7BIT;
				dst->charset = param_value(
				        tx->bd_fields->bd_parameter, "charset");
				dst->html = is_html;
			}
			return;
		}
		/* a non-text leaf (image, application, message/rfc822) */
		*attach = true;
	}
}

static const char *
decode_preview(const struct prevreq *pr, const char *data, size_t len,
               struct arena *a)
{
	char *dec = NULL;
	size_t dlen = 0, idx = 0;
	struct strv text = {data, len};
	const char *out;
	int mech = MAILMIME_MECHANISM_8BIT;

	if (pr->enc == MAILIMAP_BODY_FLD_ENC_BASE64)
		mech = MAILMIME_MECHANISM_BASE64;
	else if (pr->enc == MAILIMAP_BODY_FLD_ENC_QUOTED_PRINTABLE)
		mech = MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	if (mech != MAILMIME_MECHANISM_8BIT &&
	    mailmime_part_parse(data, len, &idx, mech, &dec, &dlen) ==
	            MAILIMF_NO_ERROR) {
		text.p = arena_strndup(a, dec, dlen);
		text.len = dlen;
		mailmime_decoded_part_free(dec);
		if (text.p == NULL)
			return "";
	}
	if (pr->charset != NULL &&
	    !strv_eq_ci_ascii(strv_from_cstr(pr->charset), STRV_LIT("utf-8")) &&
	    !strv_eq_ci_ascii(strv_from_cstr(pr->charset),
	                      STRV_LIT("us-ascii"))) {
		struct sbuf cb;

		/* One cached iconv handle per thread, not one per preview. */
		sbuf_init(&cb, a, text.len + 16, 4 * PREVIEW_FETCH_BYTES + 16);
		if (mime_header_text_to_utf8(strv_from_cstr(pr->charset), text,
		                             &cb) &&
		    sbuf_ok(&cb))
			text = sbuf_view(&cb);
	}
	if (pr->html)
		text = sanitize_preview_text(text, a);
	/* Cut first (cheap), then clean invalid UTF-8 via the decoder. */
	out = imap_make_preview(text, IMAP_PREVIEW_MAX, a);
	return imap_decode_header(strv_from_cstr(out), a);
}

int
imapc_cmp_rowidx(const void *x, const void *y)
{
	const struct imapc_rowidx *a = x, *b = y;

	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

struct imap_msg_row *
imapc_find_row(struct imapc_rowidx *idx, size_t n, struct imap_msg_row *rows,
               uint32_t uid)
{
	struct imapc_rowidx key = {uid, 0}, *f;

	f = bsearch(&key, idx, n, sizeof(*idx), imapc_cmp_rowidx);
	return f != NULL ? &rows[f->pos] : NULL;
}

unsigned
imapc_flags_of(const struct mailimap_msg_att_dynamic *dyn)
{
	unsigned f = 0;
	clistiter *it;

	/* "FLAGS ()" parses to a NULL list, not an empty one. */
	if (dyn == NULL || dyn->att_list == NULL)
		return 0;
	for (it = clist_begin(dyn->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_flag_fetch *ff = clist_content(it);
		struct mailimap_flag *fl;

		if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
		    ff->fl_flag == NULL)
			continue;
		fl = ff->fl_flag;
		switch (fl->fl_type) {
		case MAILIMAP_FLAG_SEEN:
			f |= IMAP_MSG_SEEN;
			break;
		case MAILIMAP_FLAG_FLAGGED:
			f |= IMAP_MSG_FLAGGED;
			break;
		case MAILIMAP_FLAG_ANSWERED:
			f |= IMAP_MSG_ANSWERED;
			break;
		case MAILIMAP_FLAG_DRAFT:
			f |= IMAP_MSG_DRAFT;
			break;
		case MAILIMAP_FLAG_DELETED:
			f |= IMAP_MSG_DELETED;
			break;
		case MAILIMAP_FLAG_KEYWORD:
			if (fl->fl_data.fl_keyword == NULL)
				break;
			if (strv_eq_ci_ascii(
			            strv_from_cstr(fl->fl_data.fl_keyword),
			            STRV_LIT("$Forwarded")))
				f |= IMAP_MSG_FORWARDED;
			else if (strv_eq_ci_ascii(
			                 strv_from_cstr(fl->fl_data.fl_keyword),
			                 STRV_LIT("$Junk")))
				f |= IMAP_MSG_JUNK;
			else if (strv_eq_ci_ascii(
			                 strv_from_cstr(fl->fl_data.fl_keyword),
			                 STRV_LIT("$MDNSent")))
				f |= IMAP_MSG_MDNSENT;
			break;
		default:
			break;
		}
	}
	return f;
}

static void
fill_envelope(struct imap_msg_row *row, const struct mailimap_envelope *env,
              struct arena *a)
{
	clistiter *it;
	size_t n = 0;

	row->subject = imap_decode_header(
	        strv_from_cstr(env->env_subject ? env->env_subject : ""), a);
	row->message_id =
	        env->env_message_id ? arena_strdup(a, env->env_message_id) : "";
	if (row->message_id == NULL)
		row->message_id = "";
	row->date = imapt_parse_date(env->env_date);
	if (env->env_from != NULL && clist_begin(env->env_from->frm_list))
		address_of(clist_content(clist_begin(env->env_from->frm_list)),
		           a, &row->from);
	if (env->env_to != NULL && env->env_to->to_list != NULL) {
		size_t cnt = (size_t)clist_count(env->env_to->to_list);

		if (cnt > 50)
			cnt = 50; /* a row shows a few; the viewer has all */
		row->to = arena_new_array(a, struct imap_address, cnt + 1);
		for (it = clist_begin(env->env_to->to_list);
		     it != NULL && row->to != NULL && n < cnt;
		     it = clist_next(it))
			address_of(clist_content(it), a, &row->to[n++]);
		row->n_to = row->to != NULL ? n : 0;
	}
}

/* The UID of a FETCH answer, 0 if it has none. */
static uint32_t
msg_att_uid(const struct mailimap_msg_att *ma)
{
	clistiter *it;

	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
		    item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
			return item->att_data.att_static->att_data.att_uid;
	}
	return 0;
}

/* One FETCH answer's items into its row; *pr: the preview section. */
static void
fill_row(struct imap_msg_row *row, const struct mailimap_msg_att *ma,
         struct prevreq *pr, struct arena *a)
{
	clistiter *it;

	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			row->flags = imapc_flags_of(item->att_data.att_dyn);
			(void)imapc_keywords_of(item->att_data.att_dyn, a,
			                        &row->keywords,
			                        &row->n_keywords);
			continue;
		}
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_ENVELOPE:
			if (st->att_data.att_env != NULL)
				fill_envelope(row, st->att_data.att_env, a);
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			row->received = imapc_date_time_unix(
			        st->att_data.att_internal_date);
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			row->size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODYSTRUCTURE: {
			struct prevreq plain, html;

			memset(&plain, 0, sizeof(plain));
			memset(&html, 0, sizeof(html));
			walk_body(st->att_data.att_bodystructure, "", 0,
			          &row->has_attachments, &plain, &html);
			*pr = plain.section[0] ? plain : html;
			break;
		}
		default:
			break;
		}
	}
	if (row->date == 0)
		row->date = row->received;
}

/*
 * One UID FETCH of envelope, flags, dates, size and body structure for
 * the page's rows uids[0..nu) (the others, have[i], came from the row
 * cache); got[i] marks the rows that came back, prs[i] their preview
 * section.
 */
static int
fetch_envelopes(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
                struct imapc_rowidx *idx, const uint32_t *uids, size_t nu,
                const bool *have, struct prevreq *prs, bool *got,
                struct arena *a, struct perr *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *it;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_envelope());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_internaldate());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_bodystructure());
	set = imapc_uid_set(uids, nu);
	c->stats.fetches++;
	if (imapc_uid_fetch(c, set, ft, a, true, &res, err) != 0)
		return -1;
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		uint32_t uid = msg_att_uid(ma);
		struct imap_msg_row *row;

		row = uid != 0 ? imapc_find_row(idx, n, rows, uid) : NULL;
		/* unsolicited FETCH (flag change), of a cached row too */
		if (row == NULL || have[row - rows])
			continue;
		got[row - rows] = true;
		fill_row(row, ma, &prs[row - rows], a);
	}
	return 0;
}

/*
 * The previews of the rows whose section is prs[i].section, with one
 * UID FETCH of its first bytes; every such section is cleared after.
 */
static int
fetch_preview_group(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
                    struct imapc_rowidx *idx, struct prevreq *prs, size_t i,
                    struct arena *a, struct perr *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_section *sec;
	struct mailimap_set *set;
	clist *pres = NULL, *parts;
	clistiter *it, *it2;
	size_t j, ng = 0;
	uint32_t *gu;
	const char *p;

	gu = arena_new_array(a, uint32_t, n);
	if (gu == NULL)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	for (j = i; j < n; j++) {
		if (j == i || (prs[j].section[0] != '\0' &&
		               strcmp(prs[j].section, prs[i].section) == 0))
			gu[ng++] = rows[j].uid;
	}
	parts = clist_new();
	for (p = prs[i].section; *p;) {
		uint32_t *v = pt_xmalloc(sizeof(*v));

		*v = (uint32_t)strtoul(p, (char **)&p, 10);
		clist_append(parts, v);
		if (*p == '.')
			p++;
	}
	sec = mailimap_section_new_part(mailimap_section_part_new(parts));
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	        ft, mailimap_fetch_att_new_body_peek_section_partial(
	                    sec, 0, PREVIEW_FETCH_BYTES));
	set = imapc_uid_set(gu, ng);
	c->stats.fetches++;
	if (imapc_uid_fetch(c, set, ft, a, true, &pres, err) != 0)
		return -1;
	for (it = clist_begin(pres); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		uint32_t uid = 0;
		const char *body = NULL;
		size_t blen = 0;
		struct imap_msg_row *row;

		for (it2 = clist_begin(ma->att_list); it2 != NULL;
		     it2 = clist_next(it2)) {
			struct mailimap_msg_att_item *item = clist_content(it2);
			struct mailimap_msg_att_static *st;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				uid = st->att_data.att_uid;
			else if (st->att_type ==
			                 MAILIMAP_MSG_ATT_BODY_SECTION &&
			         st->att_data.att_body_section) {
				body = st->att_data.att_body_section
				               ->sec_body_part;
				blen = st->att_data.att_body_section
				               ->sec_length;
			}
		}
		row = uid != 0 ? imapc_find_row(idx, n, rows, uid) : NULL;
		if (row == NULL || body == NULL)
			continue;
		row->preview = decode_preview(&prs[row - rows], body, blen, a);
	}
	/* Mark the group done. */
	for (j = i + 1; j < n; j++) {
		if (strcmp(prs[j].section, prs[i].section) == 0)
			prs[j].section[0] = '\0';
	}
	prs[i].section[0] = '\0';
	return 0;
}

int
imapc_fetch_rows(struct imap_conn *c, struct imap_msg_row *rows, size_t n,
                 bool want_preview, struct arena *a, struct perr *err)
{
	struct imapc_rowidx *idx;
	struct prevreq *prs;
	uint32_t *uids;
	bool *got, *have;
	uint64_t modseq;
	size_t i, nu = 0;
	int r;

	if (n == 0)
		return 0;
	idx = arena_new_array(a, struct imapc_rowidx, n);
	uids = arena_new_array(a, uint32_t, n);
	prs = arena_new_array(a, struct prevreq, n);
	got = arena_new_array(a, bool, n);
	have = arena_new_array(a, bool, n);
	if (idx == NULL || uids == NULL || prs == NULL || got == NULL ||
	    have == NULL)
		return perr_set(err, a, PERR_LIMIT, "page too large");
	for (i = 0; i < n; i++) {
		idx[i].uid = rows[i].uid;
		idx[i].pos = i;
		rows[i].subject = "";
		rows[i].from.name = rows[i].from.email = "";
		rows[i].message_id = "";
		rows[i].preview = "";
	}
	qsort(idx, n, sizeof(*idx), imapc_cmp_rowidx);
	r = imapc_rows_from_cache(c, rows, n, want_preview, idx, have, a, err);
	/* Before the FETCH: the flags it brings are at least this new. */
	modseq = imapc_view_modseq(c);
	if (r <= 0)
		return r;
	/* only the rows the cache does not have (prs[i] of the others: "") */
	for (i = 0; i < n; i++)
		if (!have[i])
			uids[nu++] = rows[i].uid;
	if (fetch_envelopes(c, rows, n, idx, uids, nu, have, prs, got, a,
	                    err) != 0)
		return -1;
	if (want_preview) {
		/* One UID FETCH per distinct section: usually one or two. */
		for (i = 0; i < n; i++) {
			if (prs[i].section[0] != '\0' &&
			    fetch_preview_group(c, rows, n, idx, prs, i, a,
			                        err) != 0)
				return -1;
		}
	}
	imapc_row_cache_store(c, rows, n, got, want_preview, modseq, a);
	return 0;
}
