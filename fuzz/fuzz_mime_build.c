/*
 * The outgoing message builder: NUL-separated fields (subject, a To
 * address as typed, a display name, the text, an attachment name and its
 * bytes, HTML) go through mime_addr_parse() and mime_build(). Asserts on
 * every message built: 7-bit only, CRLF line ends only, no line over 998
 * octets, header lines within 78 unless unbreakable, and the recipients'
 * copy is exactly the Sent copy without its Bcc line (and has none),
 * which is also what mime_drop_header_fields() makes of the Sent copy.
 * The subject and the display name also serve as a replied-to message's
 * Message-ID and References (mime_thread_ids()): what it keeps is bounded
 * and never makes the build fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"

static struct strv
field(struct strv *rest)
{
	struct strv f = *rest;
	const char *z = memchr(rest->p, '\0', rest->len);

	if (rest->len == 0)
		return STRV_LIT("");
	if (z == NULL) {
		rest->len = 0;
		return f;
	}
	f.len = (size_t)(z - rest->p);
	rest->p = z + 1;
	rest->len -= f.len + 1;
	return f;
}

static void
check(struct strv m)
{
	size_t i, col = 0;

	for (i = 0; i < m.len; i++) {
		unsigned char c = (unsigned char)m.p[i];

		if (c >= 0x80 || c == 0)
			abort();
		if (c == '\r') {
			if (i + 1 >= m.len || m.p[i + 1] != '\n')
				abort();
			continue;
		}
		if (c == '\n') {
			if (i == 0 || m.p[i - 1] != '\r')
				abort();
			col = 0;
			continue;
		}
		if (++col > 998)
			abort();
	}
	if (m.len > 0 && m.p[m.len - 1] != '\n')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct strv rest = {(const char *)data, size};
	struct strv subj, to, name, text, fname, fdata, html;
	struct mime_addr rcpt, bcc = {"", "hidden@example.test"};
	struct mime_attachment att;
	struct mime_message m;
	struct mime_built out;
	struct perr err;

	if (a == NULL)
		a = arena_create("fuzz", 65536, 0);
	subj = field(&rest);
	to = field(&rest);
	name = field(&rest);
	text = field(&rest);
	fname = field(&rest);
	fdata = field(&rest);
	html = rest;
	memset(&m, 0, sizeof(m));
	if (mime_addr_parse(to, a, &rcpt, &err) != 0) {
		rcpt.name = "";
		rcpt.email = "bob@example.test";
	}
	m.from.name = strv_dup(a, name);
	m.from.email = "alice@example.test";
	m.to = &rcpt;
	m.n_to = 1;
	m.bcc = &bcc;
	m.n_bcc = 1;
	m.subject = strv_dup(a, subj);
	m.text = strv_dup(a, text);
	m.html = html.len > 0 ? strv_dup(a, html) : NULL;
	m.date = 1700000000;
	mime_thread_ids(m.subject, m.from.name, a, &m.in_reply_to,
	                &m.references);
	if (m.references != NULL && strlen(m.references) > MIME_REFERENCES_MAX)
		abort();
	att.filename = strv_dup(a, fname);
	att.content_type = "application/octet-stream";
	att.data = fdata;
	att.content_id = (size & 1) ? "cid1@x" : NULL;
	m.att = &att;
	m.n_att = fdata.len > 0 ? 1 : 0;
	if (mime_build(&m, 1 << 24, a, &out, &err) != 0) {
		/* Thread ids from mime_thread_ids() are never the reason. */
		if (m.in_reply_to != NULL && err.msg != NULL &&
		    strstr(err.msg, "message ids") != NULL)
			abort();
	} else {
		static const char *const drop[] = {"bcc"};
		struct strv d;

		check(out.with_bcc);
		d = mime_drop_header_fields(out.with_bcc, drop, 1, a);
		if (d.len != out.without_bcc.len ||
		    memcmp(d.p, out.without_bcc.p, d.len) != 0)
			abort();
		if (out.with_bcc.len < out.without_bcc.len ||
		    memcmp(out.with_bcc.p + out.with_bcc.len -
		                   out.without_bcc.len,
		           out.without_bcc.p, out.without_bcc.len) != 0 ||
		    strncmp(out.with_bcc.p, "Bcc: hidden@example.test\r\n",
		            26) != 0 ||
		    strncmp(out.without_bcc.p, "Bcc:", 4) == 0)
			abort();
		{
			/* No Bcc among the recipients' header lines. */
			const char *end = strstr(out.without_bcc.p, "\r\n\r\n");
			const char *bcc_at =
			        strstr(out.without_bcc.p, "\r\nBcc:");

			if (end == NULL || (bcc_at != NULL && bcc_at < end))
				abort();
		}
	}
	arena_reset(a);
	return 0;
}
