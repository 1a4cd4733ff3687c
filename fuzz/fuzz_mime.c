/*
 * The MIME decoding path: the first line picks charset, transfer encoding
 * and format=flowed; the rest is the part's bytes. Also RFC 2231 values,
 * filename cleaning and the calendar summary on the same bytes. Asserts:
 * every output is valid UTF-8 without NUL, and cleaned filenames hold no
 * separator or control character.
 *
 * Then the same bytes as a whole message on its way to the view (see
 * view_path()): a part tree, the body choice of the message view, the
 * chosen part decoded in one go and in pieces (the download path), and
 * rendered by the sanitizer or the plain-text view.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap.h"
#include "mime/mime.h"
#include "sanitize/sanitize.h"

static void
check_utf8(const char *s)
{
	if (!codec_utf8_valid(strv_from_cstr(s)))
		abort();
}

/* ---- the view path ------------------------------------------------- */

struct tree_in {
	const uint8_t *p;
	size_t n, i;
	size_t parts;
	struct arena *a;
};

static unsigned
next_byte(struct tree_in *t)
{
	return t->i < t->n ? t->p[t->i++] : 0;
}

static const char *const kinds[][2] = {
        {"text", "plain"},        {"text", "html"},
        {"multipart", "mixed"},   {"multipart", "alternative"},
        {"multipart", "related"}, {"message", "rfc822"},
        {"image", "png"},         {"text", "calendar"},
};
static const char *const charsets[] = {"utf-8",     "iso-8859-1", "koi8-r",
                                       "shift_jis", "x-unknown",  ""};
static const char *const encodings[] = {"7bit", "base64", "quoted-printable",
                                        "8bit"};

/* One part from the input: a kind byte, then children or a body size. */
static void
build(struct tree_in *t, struct imap_part *p, struct imap_part *parent,
      const char *section, unsigned depth)
{
	unsigned b = next_byte(t), k = b % PT_NELEM(kinds), i, n;

	memset(p, 0, sizeof(*p));
	t->parts++;
	p->section = section;
	p->parent = parent;
	p->type = kinds[k][0];
	p->subtype = kinds[k][1];
	p->disposition = (b & 0x08) ? "attachment" : "";
	p->content_id = (b & 0x10) ? arena_printf(t->a, "c%u", b) : "";
	p->encoding = encodings[(b >> 5) & 3];
	p->charset = charsets[next_byte(t) % PT_NELEM(charsets)];
	p->name = "";
	if ((b & 0x80) && strcmp(p->type, "multipart") == 0) {
		/* start= naming one of the parts, maybe none of them */
		p->params = arena_new_array(t->a, struct mime_param, 1);
		p->params[0] = (struct mime_param){
		        "start", arena_printf(t->a, "<c%u>", next_byte(t))};
		p->n_params = 1;
	}
	n = strcmp(p->type, "multipart") == 0 ? next_byte(t) % 5
	    : k == 5                          ? 1
	                                      : 0;
	if (depth >= 8 || t->parts > 64)
		n = 0;
	if (n == 0) {
		/* the body: offset and length of a slice of the input */
		p->lines = next_byte(t);
		p->size = next_byte(t);
		return;
	}
	p->children = arena_new_array(t->a, struct imap_part, n);
	p->n_children = n;
	for (i = 0; i < n; i++)
		build(t, &p->children[i], p,
		      arena_printf(t->a, "%s%s%u", section,
		                   *section != '\0' ? "." : "", i + 1),
		      depth + 1);
}

static bool
in_tree(const struct imap_part *root, const struct imap_part *p)
{
	size_t i;

	if (root == p)
		return true;
	for (i = 0; i < root->n_children; i++)
		if (in_tree(&root->children[i], p))
			return true;
	return false;
}

static void
render(const struct imap_part *p, bool html, struct strv in, struct arena *a)
{
	enum mime_encoding enc =
	        mime_encoding_parse(strv_from_cstr(p->encoding));
	struct strv dec = mime_transfer_decode(enc, in, a);
	struct mime_stream st;
	struct sbuf pieces, out;
	struct perr err = {0};
	const char *text;
	size_t off;

	/* The download path: in pieces of 7 bytes, the same bytes. */
	sbuf_init(&pieces, a, 0, 0);
	mime_stream_init(&st, enc);
	for (off = 0; off < in.len; off += 7)
		mime_stream_feed(
		        &st,
		        (struct strv){in.p + off,
		                      in.len - off < 7 ? in.len - off : 7},
		        &pieces);
	mime_stream_finish(&st, &pieces);
	if (pieces.len != dec.len ||
	    (dec.len > 0 && memcmp(sbuf_view(&pieces).p, dec.p, dec.len) != 0))
		abort();
	text = mime_to_utf8(strv_from_cstr(p->charset), dec, a);
	check_utf8(text);
	sbuf_init(&out, a, 0, 0);
	if (html) {
		struct sanitize_opts o;

		memset(&o, 0, sizeof(o));
		o.scope_class = "petrel-msg";
		o.placeholder_url = "/static/img/blocked.svg";
		if (sanitize_html(strv_from_cstr(text), &o, a, &out, NULL,
		                  &err) != 0)
			abort(); /* no limits set: cannot fail */
	} else {
		struct sanitize_plain_opts po = {0, 2, "Quoted {n}"};
		struct strv t =
		        mime_flowed_unwrap(strv_from_cstr(text), false, a);

		if (sanitize_plain_to_html(t, &po, a, &out, &err) != 0)
			abort();
	}
	check_utf8(sbuf_cstr(&out));
	if (strstr(sbuf_cstr(&out), "<script") != NULL)
		abort();
}

/* The slice of in that a leaf's numbers name (offset lines, length size). */
static struct strv
slice(struct strv in, const struct imap_part *p)
{
	size_t off = p->lines < in.len ? p->lines : in.len;

	if (in.len == 0)
		return STRV_LIT(""); /* in.p may be NULL: no arithmetic on it */
	size_t n = in.len - off < p->size ? in.len - off : p->size;

	return (struct strv){in.p + off, n};
}

static void
view_path(struct strv in, struct arena *a)
{
	struct tree_in t = {(const uint8_t *)in.p, in.len, 0, 0, a};
	struct imap_part root;
	const struct imap_part *html, *plain;

	build(&t, &root, NULL, "", 0);
	imap_pick_body(&root, a, &html, &plain);
	if (html != NULL &&
	    (!in_tree(&root, html) || !imap_part_is(html, "text", "html") ||
	     strcmp(html->disposition, "attachment") == 0))
		abort();
	if (plain != NULL &&
	    (!in_tree(&root, plain) || !imap_part_is(plain, "text", "plain") ||
	     strcmp(plain->disposition, "attachment") == 0))
		abort();
	/* the bodies: slices of the input */
	if (html != NULL)
		render(html, true, slice(in, html), a);
	if (plain != NULL)
		render(plain, false, slice(in, plain), a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct strv in = {(const char *)data, size}, head, body, dec;
	const char *cs, *name, *out;
	struct mime_param params[3];
	size_t i;
	bool flowed;

	if (a == NULL)
		a = arena_create("fuzz", 65536, 0);
	if (!strv_split_once(in, '\n', &head, &body))
		body = STRV_NULL;
	/* head: "<charset> <b|q|-> <f|d|->" */
	cs = strv_dup(a,
	              (struct strv){head.p, strcspn(strv_dup(a, head), " ")});
	dec = mime_transfer_decode(
	        strchr(strv_dup(a, head), 'b')   ? MIME_ENC_BASE64
	        : strchr(strv_dup(a, head), 'q') ? MIME_ENC_QP
	                                         : MIME_ENC_IDENTITY,
	        body, a);
	out = mime_to_utf8(strv_from_cstr(cs), dec, a);
	check_utf8(out);
	flowed = strstr(strv_dup(a, head), " f") != NULL ||
	         strstr(strv_dup(a, head), " d") != NULL;
	if (flowed) {
		struct strv f = mime_flowed_unwrap(
		        strv_from_cstr(out),
		        strstr(strv_dup(a, head), " d") != NULL, a);

		check_utf8(f.p);
	}
	params[0] = (struct mime_param){"filename*0*", strv_dup(a, body)};
	params[1] = (struct mime_param){"filename*1", cs};
	params[2] = (struct mime_param){"filename*", strv_dup(a, head)};
	name = mime_param_get(params, 2, "filename", a);
	if (name != NULL)
		check_utf8(name);
	name = mime_param_get(params + 2, 1, "filename", a);
	check_utf8(name);
	name = mime_filename_clean(strv_dup(a, body), NULL, a);
	check_utf8(name);
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '/' || name[i] == '\\' ||
		    (unsigned char)name[i] < 0x20 || name[i] == 0x7F)
			abort();
	check_utf8(mime_filename_ascii(name, a));
	out = mime_calendar_summary(body, a);
	if (out != NULL)
		check_utf8(out);
	view_path(in, a);
	arena_reset(a);
	return 0;
}
