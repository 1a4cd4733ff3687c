/*
 * The address book (docs/API.md "Contacts"): list and search, save,
 * delete, vCard import and export. Values are checked here (the store
 * keeps what it is given); addresses go through the parser compose uses,
 * so anything saved here can be written to.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "web_private.h"
#include "mime/mime.h"
#include "core/banned.h"

#define CONTACT_NAME_MAX 256
#define CONTACT_PHONE_MAX 64
#define CONTACT_ORG_MAX 256
#define CONTACT_NOTES_MAX 4096
#define CONTACT_EMAIL_MAX 254
#define CONTACTS_PAGE_DEFAULT 100
#define CONTACTS_PAGE_MAX 500
#define CONTACTS_IMPORT_MAX (2u * 1024 * 1024) /* bytes of one .vcf */

static json_t *
contact_json(const struct store_contact *c)
{
	json_t *emails = json_array();
	size_t i;

	for (i = 0; i < c->n_emails; i++)
		json_array_append_new(emails, json_string(c->emails[i]));
	return json_pack("{sI ss so ss ss ss}", "id", (json_int_t)c->id, "name",
	                 c->name, "emails", emails, "phone", c->phone,
	                 "organization", c->organization, "notes", c->notes);
}

int
web_api_contacts(struct web_ctx *ctx, struct perr *err)
{
	struct store_contact *v;
	struct store *st;
	const char *q = web_arg_str(ctx, "q");
	size_t offset = (size_t)web_arg_int(ctx, "offset", 0);
	size_t limit = (size_t)web_arg_int(ctx, "limit", CONTACTS_PAGE_DEFAULT);
	size_t n, total, i;
	json_t *arr;

	if ((st = web_store(ctx, err)) == NULL ||
	    store_contact_list(st, ctx->session->user, q, offset, limit,
	                       ctx->req->arena, &v, &n, &total, err) != 0)
		return -1;
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, contact_json(&v[i]));
	return web_reply_json(ctx,
	                      json_pack("{sosI}", "contacts", arr, "total",
	                                (json_int_t)total),
	                      err);
}

/*
 * A free-text field: no control character (LF allowed in notes only),
 * valid UTF-8, at most max bytes. What a vCard import brings is cleaned
 * the same way by the parser, so both paths store the same kind of text.
 */
static int
check_text(struct web_ctx *ctx, const char *field, const char *v, size_t max,
           bool multiline, struct perr *err)
{
	struct strv s = strv_from_cstr(v);
	size_t i;

	if (s.len > max)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" is longer than %zu bytes", field, max);
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) ||
		    c == 0x7f) {
			if (c == '\r' || c == '\n')
				ctx->error_code = "header_injection";
			return perr_set(err, ctx->req->arena, PERR_INPUT,
			                "a control character in \"%s\"", field);
		}
	}
	if (!codec_utf8_valid(s))
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "\"%s\" is not valid UTF-8", field);
	return 0;
}

/*
 * Check the address and keep only local@domain (a "Name <a@b>" typed in
 * the address field loses the name); duplicates are dropped.
 */
static int
add_email(struct web_ctx *ctx, struct store_contact *c, const char *in,
          struct perr *err)
{
	struct mime_addr ad;
	size_t i;

	if (strlen(in) > CONTACT_EMAIL_MAX)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "invalid address: longer than %d bytes",
		                CONTACT_EMAIL_MAX);
	if (mime_addr_parse(strv_from_cstr(in), ctx->req->arena, &ad, err) != 0)
		return -1;
	for (i = 0; i < c->n_emails; i++)
		if (strv_eq_ci_ascii(strv_from_cstr(c->emails[i]),
		                     strv_from_cstr(ad.email)))
			return 0;
	if (c->n_emails == STORE_CONTACT_EMAILS_MAX)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "more than %d addresses",
		                STORE_CONTACT_EMAILS_MAX);
	c->emails[c->n_emails++] = ad.email;
	return 0;
}

static int
contact_from_json(struct web_ctx *ctx, struct store_contact *c,
                  struct perr *err)
{
	struct mail_strings emails = web_arg_strings(ctx, "emails");
	size_t i;

	memset(c, 0, sizeof(*c));
	c->id = web_arg_int(ctx, "id", 0);
	c->name = web_arg_str(ctx, "name");
	c->phone = web_arg_str(ctx, "phone");
	c->organization = web_arg_str(ctx, "organization");
	c->notes = web_arg_str(ctx, "notes");
	c->name = c->name != NULL ? c->name : "";
	c->phone = c->phone != NULL ? c->phone : "";
	c->organization = c->organization != NULL ? c->organization : "";
	c->notes = c->notes != NULL ? c->notes : "";
	if (check_text(ctx, "name", c->name, CONTACT_NAME_MAX, false, err) ||
	    check_text(ctx, "phone", c->phone, CONTACT_PHONE_MAX, false, err) ||
	    check_text(ctx, "organization", c->organization, CONTACT_ORG_MAX,
	               false, err) ||
	    check_text(ctx, "notes", c->notes, CONTACT_NOTES_MAX, true, err))
		return -1;
	for (i = 0; i < emails.n; i++)
		if (emails.v[i][0] != '\0' &&
		    add_email(ctx, c, emails.v[i], err) != 0)
			return -1;
	if (c->name[0] == '\0' && c->n_emails == 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "a contact needs a name or an address");
	return 0;
}

int
web_api_contact_save(struct web_ctx *ctx, struct perr *err)
{
	struct store_contact c;
	struct store *st;
	int64_t id;

	if (contact_from_json(ctx, &c, err) != 0) {
		web_compose_fail_code(ctx, err);
		return -1;
	}
	if ((st = web_store(ctx, err)) == NULL ||
	    store_contact_save(st, ctx->session->user, &c, WEB_CONTACTS_MAX,
	                       pt_now_unix(), ctx->req->arena, &id, err) != 0)
		return -1;
	return web_reply_json(ctx, json_pack("{sI}", "id", (json_int_t)id),
	                      err);
}

int
web_api_contact_delete(struct web_ctx *ctx, struct perr *err)
{
	size_t n_ids, n;
	const int64_t *ids = web_arg_ids(ctx, "ids", &n_ids);
	struct store *st;

	if ((st = web_store(ctx, err)) == NULL ||
	    store_contact_delete(st, ctx->session->user, ids, n_ids,
	                         ctx->req->arena, &n, err) != 0)
		return -1;
	if (n == 0)
		return perr_set(err, ctx->req->arena, PERR_NOTFOUND,
		                "no such contact");
	return web_reply_json(ctx, json_object(), err);
}

/* ---- vCard import and export --------------------------------------------- */

/* The upload's bytes: in memory, or read from its spool file. */
static int
upload_bytes(struct web_ctx *ctx, const struct http_upload *up,
             struct strv *out_r, struct perr *err)
{
	struct arena *a = ctx->req->arena;
	char *buf;
	size_t got = 0;
	ssize_t r;
	int fd;

	if (up->size > CONTACTS_IMPORT_MAX) {
		ctx->error_code = "too_large";
		return perr_set(err, a, PERR_LIMIT, "the file is over %u bytes",
		                CONTACTS_IMPORT_MAX);
	}
	if (up->path == NULL) {
		*out_r = up->data;
		return 0;
	}
	buf = arena_alloc(a, (size_t)up->size + 1);
	if (buf == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of request memory");
	fd = open(up->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return perr_set(err, a, PERR_INTERNAL, "open %s: %s", up->path,
		                strerror(errno));
	while (got < up->size &&
	       (r = read(fd, buf + got, (size_t)up->size - got)) > 0)
		got += (size_t)r;
	close(fd);
	*out_r = (struct strv){buf, got};
	return 0;
}

/* s cut to at most max bytes, not inside a UTF-8 character. */
static const char *
cut_text(const char *s, size_t max, struct arena *a)
{
	size_t n = strlen(s);

	if (n <= max)
		return s;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return arena_strndup(a, s, n);
}

/*
 * A parsed card as a contact: text fields cut to the limits, addresses
 * that do not parse dropped. false when nothing is left to keep.
 */
static bool
contact_from_vcard(struct web_ctx *ctx, const struct mime_vcard *v,
                   struct store_contact *c)
{
	struct perr ignored = {0};
	size_t i;

	memset(c, 0, sizeof(*c));
	c->name = cut_text(v->name, CONTACT_NAME_MAX, ctx->req->arena);
	c->phone = cut_text(v->phone, CONTACT_PHONE_MAX, ctx->req->arena);
	c->organization =
	        cut_text(v->organization, CONTACT_ORG_MAX, ctx->req->arena);
	c->notes = cut_text(v->notes, CONTACT_NOTES_MAX, ctx->req->arena);
	for (i = 0; i < v->n_emails; i++) {
		if (add_email(ctx, c, v->emails[i], &ignored) != 0)
			perr_clear(&ignored);
	}
	return c->name[0] != '\0' || c->n_emails > 0;
}

int
web_api_contacts_import(struct web_ctx *ctx, struct perr *err)
{
	const struct http_upload *up;
	struct mime_vcard *cards;
	struct store_contact *list;
	struct store *st;
	struct strv data;
	size_t i, n = 0, n_cards, broken, added;

	if ((up = web_upload_field(ctx, err)) == NULL ||
	    upload_bytes(ctx, up, &data, err) != 0 ||
	    mime_vcard_parse(data, WEB_CONTACTS_MAX, ctx->req->arena, &cards,
	                     &n_cards, &broken, err) != 0 ||
	    (st = web_store(ctx, err)) == NULL)
		return -1;
	if (n_cards == 0 && broken == 0)
		return perr_set(err, ctx->req->arena, PERR_INPUT,
		                "no vCard in the file");
	list = arena_new_array(ctx->req->arena, struct store_contact,
	                       n_cards > 0 ? n_cards : 1);
	if (list == NULL)
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "out of request memory");
	for (i = 0; i < n_cards; i++)
		if (contact_from_vcard(ctx, &cards[i], &list[n]))
			n++;
	/* A full book keeps what fitted; the rest counts as skipped. */
	if (store_contact_import(st, ctx->session->user, list, n,
	                         WEB_CONTACTS_MAX, pt_now_unix(),
	                         ctx->req->arena, &added, err) != 0)
		return -1;
	return web_reply_json(ctx,
	                      json_pack("{sIsI}", "imported", (json_int_t)added,
	                                "skipped",
	                                (json_int_t)(n_cards - added + broken)),
	                      err);
}

int
web_contacts_export(struct web_ctx *ctx, struct perr *err)
{
	struct store_contact *v;
	struct mime_vcard card;
	struct store *st;
	struct sbuf out;
	size_t offset = 0, n, total, i;

	if ((st = web_store(ctx, err)) == NULL)
		return -1;
	sbuf_init(&out, ctx->req->arena, 64 * 1024, 64u * 1024 * 1024);
	do {
		if (store_contact_list(st, ctx->session->user, NULL, offset,
		                       CONTACTS_PAGE_MAX, ctx->req->arena, &v,
		                       &n, &total, err) != 0)
			return -1;
		for (i = 0; i < n; i++) {
			memset(&card, 0, sizeof(card));
			card.name = v[i].name;
			card.phone = v[i].phone;
			card.organization = v[i].organization;
			card.notes = v[i].notes;
			card.n_emails = v[i].n_emails;
			memcpy(card.emails, v[i].emails,
			       v[i].n_emails * sizeof(v[i].emails[0]));
			mime_vcard_write(&card, &out);
		}
		offset += n;
	} while (n == CONTACTS_PAGE_MAX);
	if (!sbuf_ok(&out))
		return perr_set(err, ctx->req->arena, PERR_LIMIT,
		                "the address book is too large to export");
	if (http_response_set_header(ctx->resp, "Content-Disposition",
	                             "attachment; filename=\"contacts.vcf\"") !=
	            0 ||
	    http_response_set_header(ctx->resp, "Cache-Control", "no-store") !=
	            0 ||
	    http_response_text(ctx->resp, 200, "text/vcard; charset=utf-8",
	                       sbuf_view(&out)) != 0)
		return perr_set(err, ctx->req->arena, PERR_INTERNAL,
		                "cannot send the export");
	return 0;
}
