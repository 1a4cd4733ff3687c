/*
 * mime - turning the bytes of a MIME part into UTF-8 text.
 *
 * Everything here is pure (no I/O) and total: hostile or broken input
 * degrades to a best effort, never to a failure, because a message that
 * cannot be shown exactly must still be shown.
 *
 * - Charsets: mime_charset_to_utf8() converts any charset iconv knows
 *   (with aliases and the usual lies fixed up: gb2312 is read as gb18030,
 *   iso-8859-1 and us-ascii with 8-bit bytes as windows-1252 / a UTF-8
 *   guess, ks_c_5601-1987 as cp949 ...). Invalid bytes become U+FFFD.
 *   UTF-8 and US-ASCII take a fast path without iconv. Other charsets use
 *   one iconv_t per charset per thread, opened on first use, kept in a
 *   small thread-local cache and closed at thread exit.
 * - Transfer encodings: base64 that skips garbage, quoted-printable that
 *   keeps malformed escapes as they are.
 * - format=flowed (RFC 3676) unwrapping, RFC 2231 parameter values and
 *   continuations, download filename cleaning, and a readable summary of a
 *   text/calendar (iCalendar) part.
 *
 * Results are allocated in the caller's arena (or appended to the
 * caller's sbuf). Input sizes are bounded by the caller (a fetched part);
 * outputs are at most a small constant factor of the input.
 */
#ifndef PETREL_MIME_H
#define PETREL_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core.h"

enum mime_encoding {
	MIME_ENC_IDENTITY = 0, /* 7bit, 8bit, binary, unknown */
	MIME_ENC_BASE64,
	MIME_ENC_QP,
};

/* "base64", "quoted-printable" (any case) or identity. */
enum mime_encoding mime_encoding_parse(struct strv name);

/*
 * Undo a Content-Transfer-Encoding. base64: characters outside the
 * alphabet are skipped, decoding stops at the first '=' of the padding
 * and resumes with the next quartet (some mailers concatenate encoded
 * blocks), a trailing partial quartet is decoded as far as it goes.
 * quoted-printable: "=XX" (either case) decodes, "=" before a line end
 * is a soft break, trailing whitespace of lines is removed (RFC 2045
 * 6.7), and a malformed "=" is kept literally. Identity returns in
 * unchanged. The result is in a (NUL-terminated) or is in itself.
 */
struct strv mime_transfer_decode(enum mime_encoding enc, struct strv in,
                                 struct arena *a);

/*
 * mime_transfer_decode() in pieces, for a part fetched and sent on in
 * chunks: feed the encoded bytes as they come, then finish. The decoded
 * bytes are appended to out as soon as they are known and are the same
 * as mime_transfer_decode() of the whole (quoted-printable waits for each
 * line end; a line of more than 256 KB is cut before a space or '=').
 * finish frees the state.
 */
struct mime_stream {
	enum mime_encoding enc;
	unsigned acc, bits; /* base64: the bits of an unfinished quartet */
	struct sbuf carry;  /* quoted-printable: an unfinished line */
};
void mime_stream_init(struct mime_stream *st, enum mime_encoding enc);
void mime_stream_feed(struct mime_stream *st, struct strv in, struct sbuf *out);
void mime_stream_finish(struct mime_stream *st, struct sbuf *out);

/*
 * Convert in from charset to UTF-8 and append it to out. Never fails:
 * an empty or unknown charset is guessed (valid UTF-8 is taken as UTF-8,
 * else windows-1252); bytes invalid in the charset become U+FFFD. NUL
 * bytes become U+FFFD too. Returns true when the charset was known and
 * used as declared (or as its usual superset), false when a guess was
 * made (for logs and tests).
 */
bool mime_charset_to_utf8(struct strv charset, struct strv in,
                          struct sbuf *out);

/* As above, into a NUL-terminated string in a. */
const char *mime_to_utf8(struct strv charset, struct strv in, struct arena *a);

/*
 * The converter under mime_charset_to_utf8(), for callers with their own
 * charset policy (header words, below): convert in from the
 * charset iconv calls name (any case, no aliases applied) and append
 * iconv's UTF-8 output to out; a byte iconv refuses becomes U+FFFD and is
 * skipped, a character cut at the end becomes U+FFFD. NUL and control
 * characters are passed through: cleaning them is the caller's business.
 * Uses the calling thread's cached handle (see charset.c). Returns false,
 * appending nothing, when iconv does not know name.
 */
bool mime_iconv_append(const char *name, struct strv in, struct sbuf *out);

/* ---- header text (header.c) --------------------------------------- */

/*
 * RFC 2047 decode of a header value to UTF-8. A value without "=?" that
 * is valid UTF-8 without control characters is copied as it is (no
 * iconv). Encoded words (B and Q, "*lang" ignored) are decoded wherever
 * they stand; white space between two adjacent words is dropped
 * (RFC 2047 6.2), other text is kept as it is. A word in a charset iconv
 * does not know keeps its decoded bytes; something that is not a word
 * stays as written. Invalid UTF-8 becomes U+FFFD, control characters a
 * space. Result in a ("" past 64 KiB).
 */
const char *mime_decode_header(struct strv raw, struct arena *a);
/*
 * Header policy for text in a declared charset (an encoded word's bytes,
 * a preview): convert in to UTF-8 and append it to b, invalid sequences
 * as U+FFFD and controls as a space. UTF-8 and US-ASCII need no iconv;
 * other charsets use mime_iconv_append()'s per-thread handles. Returns
 * false, appending nothing, when iconv does not know the charset (no
 * guessing, unlike mime_charset_to_utf8()).
 */
bool mime_header_text_to_utf8(struct strv charset, struct strv in,
                              struct sbuf *b);

/*
 * The iconv name used for a declared charset ("gb2312" → "GB18030"),
 * "UTF-8" for utf-8/us-ascii and NULL when none is known. Pure.
 */
const char *mime_charset_canonical(struct strv charset);

/*
 * RFC 3676 format=flowed: join soft-broken lines (a line ending in a
 * space, unless it is the signature separator "-- "), remove space
 * stuffing and, with delsp, the space before the soft break. Quoted
 * lines join only with lines of the same quote depth. CRLF and LF both
 * end lines; the output uses LF. Result in a.
 */
struct strv mime_flowed_unwrap(struct strv text, bool delsp, struct arena *a);

/* A parameter of a Content-Type or Content-Disposition header, raw. */
struct mime_param {
	const char *name;  /* as sent: "filename", "filename*", "name*0*" */
	const char *value; /* as sent (quotes already removed) */
};

/*
 * The value of parameter name (case-insensitive) among params, with RFC
 * 2231 applied: "name*" (charset'lang'%XX), continuations "name*0",
 * "name*1*" ... joined in order (at most 64 pieces), converted to UTF-8.
 * A plain "name" is used when no 2231 form exists; it is returned as
 * sent (RFC 2047 words in it are the caller's business). NULL when the
 * parameter is absent. Result in a.
 */
const char *mime_param_get(const struct mime_param *params, size_t n,
                           const char *name, struct arena *a);

/*
 * Decode one RFC 2231 extended value "charset'lang'%XX..." to UTF-8
 * (without the charset prefix: percent-decoding only, charset utf-8).
 * Malformed escapes are kept literally. Result in a.
 */
const char *mime_2231_decode(struct strv value, struct arena *a);

/*
 * A filename safe to offer for download: the last path component (both
 * '/' and '\\' separate), control characters (C0, DEL, C1), CR, LF, bidi
 * controls (U+202A-202E, U+2066-2069, U+200E/200F, U+061C) and the
 * characters "*:<>?|\" become '_', invalid UTF-8 becomes U+FFFD,
 * leading and trailing dots and spaces are trimmed, at most 200 bytes
 * are kept (cut at a character boundary, keeping a short extension).
 * An empty result becomes fallback (or "attachment" when fallback is
 * NULL). Result in a.
 */
const char *mime_filename_clean(const char *name, const char *fallback,
                                struct arena *a);

/*
 * An ASCII-only version of a cleaned filename for the plain filename=
 * of Content-Disposition: non-ASCII characters, '"', '%' and ';' become
 * '_'. Result in a.
 */
const char *mime_filename_ascii(const char *name, struct arena *a);

/*
 * A short readable text for an iCalendar object: the first VEVENT's
 * SUMMARY, DTSTART, DTEND, LOCATION and ORGANIZER (unfolded, escapes
 * undone, dates as "2025-10-20 14:00 UTC"), plus METHOD when present, one
 * "Label: value" per line. NULL when there is no VEVENT. Result in a.
 */
const char *mime_calendar_summary(struct strv ics, struct arena *a);

/* ---- vCard (vcard.c) ----------------------------------------------- */

#define MIME_VCARD_MAX_EMAILS 16
#define MIME_VCARD_MAX_VALUE 4096 /* bytes of one value after decoding */

/*
 * One address-book entry as a vCard carries it. Strings are UTF-8 ("" when
 * absent), without control characters except LF in notes. Emails are as
 * written (the caller checks them), the preferred one first.
 */
struct mime_vcard {
	const char *name, *phone, *organization, *notes;
	const char *emails[MIME_VCARD_MAX_EMAILS];
	size_t n_emails;
};

/*
 * Parse the BEGIN:VCARD ... END:VCARD objects in in: vCard 2.1, 3.0 and
 * 4.0 (RFC 2426, RFC 6350); lines unfolded, 2.1 quoted-printable and
 * CHARSET= decoded, TEXT escapes undone, groups ("item1.EMAIL") ignored.
 * Read: FN (or a name built from N), EMAIL, TEL (the first or PREF one),
 * ORG, NOTE. A card left unterminated adds to *broken_r. More than max
 * cards is PERR_LIMIT. Results in a.
 */
int mime_vcard_parse(struct strv in, size_t max, struct arena *a,
                     struct mime_vcard **cards_r, size_t *n_r, size_t *broken_r,
                     struct perr *err) PT_WARN_UNUSED;

/*
 * Append c as a vCard 4.0 (CRLF lines, ',' ';' '\\' and newlines escaped,
 * lines folded at 75 octets without splitting a UTF-8 character).
 */
void mime_vcard_write(const struct mime_vcard *c, struct sbuf *out);

/* ---- building outgoing messages (build.c) ---------------------------- */

/*
 * An address as the user wrote it: "Name <a@b>", "\"Last, First\" <a@b>",
 * "<a@b>" or "a@b". name is UTF-8 ("" if none), email is local@domain
 * with the domain as written (UTF-8 allowed; the builder sends it as
 * punycode).
 */
struct mime_addr {
	const char *name;
	const char *email;
};

/* True if s holds CR, LF or NUL (a header injection attempt). */
bool mime_has_crlf_nul(struct strv s);

/* The longest References mime_thread_ids() makes (mime_build takes 16 KB). */
#define MIME_REFERENCES_MAX 8000

/*
 * In-Reply-To and References for a reply to a message whose Message-ID
 * and References are msgid and refs (either may be NULL): both come from
 * whoever sent that message. A msgid that is not one "<...>" of printable
 * ASCII without spaces, of at most 998 octets, gives none (*irt_r and
 * *refs_r NULL). Of refs only such ids are kept, msgid is appended, and a
 * list longer than MIME_REFERENCES_MAX keeps the first id and the latest
 * ones (RFC 5322 3.6.4), so that a hostile original can neither inject a
 * header nor make the reply unsendable.
 */
void mime_thread_ids(const char *msgid, const char *refs, struct arena *a,
                     const char **irt_r, const char **refs_r);

/*
 * raw without the header fields named in names (case-insensitive; a name
 * ending in '*' is a prefix), each with its folded lines; the body is
 * untouched. For a stored message that leaves the mailbox again (forwarded
 * as an attachment): a Sent copy keeps Bcc for its sender only.
 */
struct strv mime_drop_header_fields(struct strv raw, const char *const *names,
                                    size_t n_names, struct arena *a);

/*
 * Parse and check one address. PERR_INPUT with a message naming the
 * address when it is not local@domain (printable ASCII local part without
 * specials, or a quoted one; domain labels of letters, digits, '-' or
 * non-ASCII, at most 63 octets each after punycode, 253 in all), or holds
 * CR/LF/NUL. Strings in a.
 */
int mime_addr_parse(struct strv in, struct arena *a, struct mime_addr *out_r,
                    struct perr *err) PT_WARN_UNUSED;

/*
 * RFC 3492 punycode of a UTF-8 label (without "xn--"), appended to out.
 * Returns -1 for invalid UTF-8.
 */
int mime_punycode_encode(struct strv label, struct sbuf *out) PT_WARN_UNUSED;

/*
 * A domain for the wire: ASCII labels lower-cased, non-ASCII labels as
 * "xn--" + punycode (no Unicode case mapping or normalisation: IDNA2008
 * expects lower-case input, which is what people type). PERR_INPUT for a
 * label that is empty, too long or holds characters a host name cannot.
 */
int mime_domain_to_ascii(struct strv domain, struct arena *a,
                         const char **out_r, struct perr *err) PT_WARN_UNUSED;

/* "<random@domain>" with 128 random bits; domain already ASCII. */
const char *mime_message_id(const char *domain, struct arena *a);

struct mime_attachment {
	const char *filename;     /* UTF-8; "" allowed */
	const char *content_type; /* "type/subtype"; "" = octet-stream */
	struct strv data;         /* the bytes (mapped file or memory) */
	const char *content_id;   /* without <>; non-NULL: inline, part of
	                             multipart/related with the HTML */
};

struct mime_message {
	struct mime_addr from;
	const struct mime_addr *reply_to; /* NULL: none */
	const struct mime_addr *to, *cc, *bcc;
	size_t n_to, n_cc, n_bcc;
	const char *subject;     /* UTF-8 */
	const char *text;        /* UTF-8 text/plain body (always sent) */
	const char *html;        /* UTF-8 HTML (already sanitized) or NULL */
	const char *message_id;  /* "<...>"; NULL: generated */
	const char *in_reply_to; /* "<...>" or NULL */
	const char *references;  /* "<a> <b>" or NULL */
	int64_t date;            /* unix time; the Date header is in UTC */
	const struct mime_attachment *att;
	size_t n_att;
	/* Tests only: boundaries are seed + a counter instead of random. */
	const char *boundary_seed;
	/* Extra header lines (e.g. "X-Petrel-Draft-Info"); NULL: none.
	 * Each "Name: value", checked like every other field. */
	const char *const *extra_headers;
	size_t n_extra_headers;
};

struct mime_built {
	struct strv with_bcc;    /* the Sent copy: a Bcc header first */
	struct strv without_bcc; /* what recipients get: a tail of it */
	const char *message_id;
};

/*
 * Build an RFC 5322 / MIME message: headers with RFC 2047 encoded words
 * for non-ASCII (folded at 78), IDN domains as punycode, Date,
 * Message-ID, MIME-Version; multipart/mixed > multipart/alternative
 * (text, then HTML or multipart/related with its inline parts) as needed;
 * RFC 2231 filenames; text in 7bit when it is short-lined ASCII, else
 * quoted-printable (so the result is always 7-bit clean); attachments in
 * base64. No line passes 998 octets. Boundaries are random and checked
 * against the content. The bytes live in memory owned by a (freed at its
 * reset), up to max octets (PERR_LIMIT past it).
 * PERR_INPUT: CR/LF/NUL in any field ("header injection: ..." as msg),
 * an invalid address (msg "invalid address: ..."), no From.
 */
int mime_build(const struct mime_message *m, size_t max, struct arena *a,
               struct mime_built *out_r, struct perr *err) PT_WARN_UNUSED;

/* ---- List-Unsubscribe (RFC 2369, RFC 8058) ------------------------------ */

/* Longest List-Unsubscribe value looked at; a longer one is refused. */
#define MIME_UNSUB_MAX 4096
/* Entries of "<url>, <url>, ..." looked at; the rest are ignored. */
#define MIME_UNSUB_MAX_URLS 8

/*
 * What a message's List-Unsubscribe offers: the first URL of each kind
 * (NULL: none), copied into the arena, each printable ASCII without
 * spaces. one_click is RFC 8058's promise: List-Unsubscribe-Post is
 * exactly "List-Unsubscribe=One-Click" and there is an https URL to POST
 * it to.
 */
struct mime_unsubscribe {
	const char *https, *http, *mailto;
	bool one_click;
};

/*
 * Parse value (List-Unsubscribe, unfolded) and post (its -Post field,
 * STRV_NULL when absent). Entries must be "<url>" separated by commas
 * (RFC 2369 2); any other scheme (javascript:, data:, ftp:) is skipped,
 * as is a URL with control characters, spaces or non-ASCII, or longer
 * than MIME_UNSUB_MAX. Returns 1 when a usable URL was found, 0 when
 * none (r zeroed), -1 for a value that is no list at all (over
 * MIME_UNSUB_MAX, CR/LF/NUL, no "<"): then too r is zeroed.
 */
int mime_list_unsubscribe_parse(struct strv value, struct strv post,
                                struct arena *a, struct mime_unsubscribe *r)
        PT_NONNULL(3, 4);

/* The longest mailto: URL mime_mailto_parse() takes. */
#define MIME_MAILTO_MAX 16384

/*
 * A mailto: URL (RFC 6068) as compose fields, percent-decoded, UTF-8:
 * to ("a@x, b@y": the path and every to= joined), cc, bcc, subject and
 * body, each "" when absent. '+' stays a plus (6068 2). Other header
 * fields (In-Reply-To, ...) are ignored, as 6068 6 allows.
 */
struct mime_mailto {
	const char *to, *cc, *bcc, *subject, *body;
};

/*
 * PERR_INPUT: not "mailto:" (case-blind), over MIME_MAILTO_MAX, a bad
 * %-escape, decoded bytes that are not UTF-8, or CR/LF/NUL in any field
 * but body (where CRLF becomes "\n" and other controls but TAB are
 * refused).
 */
int mime_mailto_parse(struct strv uri, struct arena *a, struct mime_mailto *r,
                      struct perr *err) PT_WARN_UNUSED PT_NONNULL(2, 3, 4);

/* ---- Message Disposition Notifications (RFC 8098) ----------------------- */

enum mime_mdn_mode {
	MIME_MDN_MANUAL, /* the user clicked Send:
	                    manual-action/MDN-sent-manually */
	MIME_MDN_AUTO,   /* the "always" setting:
	                    automatic-action/...-automatically */
};

struct mime_mdn {
	struct mime_addr from;           /* the user (also Final-Recipient) */
	struct mime_addr to;             /* Disposition-Notification-To */
	const char *original_subject;    /* UTF-8; NULL: "" */
	const char *original_message_id; /* "<...>"; NULL: none */
	const char *reporting_host;      /* Reporting-UA's name: a host */
	const char *text;                /* the human-readable part, UTF-8 */
	enum mime_mdn_mode mode;
	int64_t date;
	const char *message_id; /* NULL: generated */
	const char *boundary;   /* NULL: random (tests set it) */
};

/*
 * Build an MDN: multipart/report; report-type=disposition-notification
 * with a text/plain part (text) and a message/disposition-notification
 * part (Reporting-UA: host; Petrel, Final-Recipient: rfc822;from,
 * Original-Message-ID when known, Disposition: ...; displayed). Subject
 * "Read: " + the original's. Fields are checked as mime_build() checks
 * them (PERR_INPUT: header injection, invalid address). The bytes are in
 * a.
 */
int mime_build_mdn(const struct mime_mdn *m, struct arena *a,
                   struct strv *out_r, struct perr *err) PT_WARN_UNUSED
        PT_NONNULL(1, 2, 3, 4);

/*
 * Append "Date: <when as RFC 5322, UTC>\r\n" to b, as mime_build writes
 * it (snooze rewrites a woken message's Date with it).
 */
void mime_put_date(struct sbuf *b, int64_t when);

#endif
