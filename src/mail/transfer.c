/*
 * The byte-level half of folder import and export (issue 17): writing a
 * message into an mboxrd file and reading it back, the plausibility check
 * an uploaded .eml must pass before it is APPENDed, and the name a message
 * gets inside an export zip. No I/O here: the callers feed pieces and
 * stream the output, so memory stays bounded by one message.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mail_private.h"
#include "core/banned.h"

/* Longest subject part of a zip entry name, in bytes. */
#define ENTRY_SUBJECT_MAX 80

/* ^>*From : the lines mboxrd quotes (and unquotes) by one '>'. */
static bool
is_from_line(const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end && *p == '>')
		p++;
	return (size_t)(end - p) >= 5 && memcmp(p, "From ", 5) == 0;
}

void
mail_mbox_append(struct sbuf *out, const char *sender, time_t date,
                 struct strv raw)
{
	struct tm tm;
	char when[32];
	size_t off = 0;

	if (gmtime_r(&date, &tm) == NULL ||
	    strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		memcpy(when, "Thu Jan  1 00:00:00 1970", 25);
	/* The envelope sender must be one word: anything odd becomes the
	 * conventional MAILER-DAEMON rather than a broken separator. */
	if (sender == NULL || *sender == '\0' ||
	    strpbrk(sender, " \t\r\n") != NULL ||
	    strv_has_ctl(strv_from_cstr(sender), false))
		sender = "MAILER-DAEMON";
	sbuf_printf(out, "From %s %s\n", sender, when);
	while (off < raw.len) {
		const char *line = raw.p + off;
		size_t n = raw.len - off, next;
		const char *nl = memchr(line, '\n', n);

		if (nl != NULL)
			n = (size_t)(nl - line);
		next = off + n + (nl != NULL ? 1 : 0);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (is_from_line(line, n))
			sbuf_append_char(out, '>');
		sbuf_append(out, line, n);
		sbuf_append_char(out, '\n');
		off = next;
	}
	/* One empty line ends the message, so the next "From " starts a
	 * line that follows a blank one, as readers expect. */
	sbuf_append_char(out, '\n');
}

/* Hand one collected message to fn, less the blank line that separated
 * it from the next "From " line (it belongs to the mbox). */
static int
emit(struct sbuf *msg, size_t *count, mail_mbox_fn *fn, void *arg,
     struct arena *a, struct perr *err)
{
	struct strv m = sbuf_view(msg);

	if (!sbuf_ok(msg))
		return perr_set(err, a, PERR_LIMIT,
		                "mbox message %zu too large", *count + 1);
	if (m.len >= 4 && memcmp(m.p + m.len - 4, "\r\n\r\n", 4) == 0)
		m.len -= 2;
	return fn(arg, (*count)++, m);
}

int
mail_mbox_split(struct strv mbox, struct arena *a, mail_mbox_fn *fn, void *arg,
                struct perr *err)
{
	struct sbuf msg;
	size_t off = 0, count = 0;
	int rc = 0;

	if (mbox.len < 5 || memcmp(mbox.p, "From ", 5) != 0)
		return perr_set(err, a, PERR_INPUT,
		                "not an mbox file: it does not start with "
		                "\"From \"");
	/* LF becomes CRLF: at most twice the input. */
	sbuf_init(&msg, NULL, 4096, mbox.len * 2 + 2);
	while (off < mbox.len && rc == 0) {
		const char *line = mbox.p + off;
		size_t n = mbox.len - off;
		const char *nl = memchr(line, '\n', n);
		size_t next;

		if (nl != NULL)
			n = (size_t)(nl - line);
		next = off + n + (nl != NULL ? 1 : 0);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n >= 5 && memcmp(line, "From ", 5) == 0) {
			if (off > 0)
				rc = emit(&msg, &count, fn, arg, a, err);
			sbuf_reset(&msg);
		} else {
			/* mboxrd: ">From " lost one '>' on the way in. */
			if (line[0] == '>' && is_from_line(line, n)) {
				line++;
				n--;
			}
			sbuf_append(&msg, line, n);
			sbuf_append(&msg, "\r\n", 2);
		}
		off = next;
	}
	if (rc == 0)
		rc = emit(&msg, &count, fn, arg, a, err);
	sbuf_free(&msg);
	return rc;
}

int
mail_eml_check(struct strv data, size_t max, struct arena *a, struct perr *err)
{
	size_t off = 0, fields = 0;

	if (data.len == 0)
		return perr_set(err, a, PERR_INPUT, "the file is empty");
	if (max > 0 && data.len > max)
		return perr_set(err, a, PERR_LIMIT,
		                "the file is larger than %zu bytes", max);
	if (memchr(data.p, '\0', data.len) != NULL)
		return perr_set(err, a, PERR_INPUT,
		                "the file holds NUL bytes: not a message");
	/* The header block: field lines ("Name: value", the name printable
	 * ASCII without ':' or space) and their folded continuations, up
	 * to the first empty line or the end. */
	while (off < data.len) {
		const char *line = data.p + off;
		size_t n = data.len - off, i;
		const char *nl = memchr(line, '\n', n);

		if (nl != NULL)
			n = (size_t)(nl - line);
		off += n + (nl != NULL ? 1 : 0);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			if (fields == 0)
				return perr_set(err, a, PERR_INPUT,
				                "the first line is a "
				                "continuation, not a header "
				                "field");
			continue;
		}
		for (i = 0; i < n && line[i] != ':'; i++)
			if (line[i] <= ' ' || line[i] > '~')
				break;
		if (i == 0 || i >= n || line[i] != ':')
			return perr_set(err, a, PERR_INPUT,
			                "line %zu is not a header field",
			                fields + 1);
		fields++;
	}
	if (fields == 0)
		return perr_set(err, a, PERR_INPUT, "no header fields");
	return 0;
}

static bool
unsafe_in_name(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f)
		return true;
	if (cp < 0x80)
		return strchr("/\\:*?\"<>|", (int)cp) != NULL;
	return cp == 0x200e || cp == 0x200f || cp == 0x061c ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfffd;
}

const char *
mail_export_entry_name(struct arena *a, const char *subject, uint32_t uid)
{
	struct sbuf b;
	const char *s = subject != NULL ? subject : "";
	size_t n = strlen(s), off = 0;

	sbuf_init(&b, a, 128, 4 * ENTRY_SUBJECT_MAX + 32);
	while (off < n && b.len < ENTRY_SUBJECT_MAX) {
		uint32_t cp;
		size_t k = codec_utf8_next(s + off, n - off, &cp);

		if (k == 0)
			break;
		off += k;
		/* Path separators, characters Windows refuses, controls
		 * and the bidi controls that can make "gpj.exe" look like
		 * "exe.jpg" all become '_'. */
		if (unsafe_in_name(cp)) {
			sbuf_append_char(&b, '_');
			continue;
		}
		/* No leading dots or spaces: no hidden files, no "..". */
		if (b.len == 0 && (cp == '.' || cp == ' '))
			continue;
		codec_utf8_put(&b, cp);
	}
	while (b.len > 0 &&
	       (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '.'))
		b.len--;
	if (b.len == 0)
		sbuf_append_cstr(&b, "message");
	/* The UID makes the name unique within the folder. */
	sbuf_printf(&b, " (%u).eml", (unsigned)uid);
	if (!sbuf_ok(&b))
		return "message.eml";
	return sbuf_cstr(&b);
}

const char *
mail_eml_header(struct arena *a, struct strv msg, const char *name)
{
	size_t off = 0, nlen = strlen(name);
	struct sbuf v;
	bool found = false;

	sbuf_init(&v, a, 128, 4096);
	while (off < msg.len) {
		const char *line = msg.p + off;
		size_t n = msg.len - off;
		const char *nl = memchr(line, '\n', n);

		if (nl != NULL)
			n = (size_t)(nl - line);
		off += n + (nl != NULL ? 1 : 0);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			if (found) /* unfold: the line end goes */
				sbuf_append(&v, line, n);
			continue;
		}
		if (found)
			break;
		if (n > nlen && line[nlen] == ':' &&
		    strv_eq_ci_ascii((struct strv){line, nlen},
		                     strv_from_cstr(name))) {
			found = true;
			sbuf_append(&v, line + nlen + 1, n - nlen - 1);
		}
	}
	if (!found || !sbuf_ok(&v))
		return NULL;
	return strv_dup(a, strv_trim(sbuf_view(&v)));
}
