/*
 * The webmail's behaviour under the web layer: compose-from (reply, reply
 * all, forward inline or as an attachment, edit as new), send and drafts,
 * uploads, identities, the message view model and exports (zip). Every
 * call takes and returns plain Petrel structs, allocates from the
 * session's arena and reports through struct perr; nothing here knows
 * JSON or HTTP (src/web reads the arguments, encodes the answers).
 *
 * The mail servers sit behind struct mail_ops: mail_ops_real talks to
 * them through src/imap and src/smtp, and unit tests pass fakes
 * (tests/unit/mail). The store (identities, uploads, send tokens) is
 * Petrel's own sqlite file and is used as it is.
 */
#ifndef PETREL_MAIL_H
#define PETREL_MAIL_H

#include <time.h>

#include "core/core.h"
#include "config/config.h"
#include "store/store.h"
#include "imap/imap.h"
#include "mime/mime.h"
#include "smtp/smtp.h"

/* ---- the seam to the mail servers ------------------------------------- */

/*
 * What the service asks of IMAP and SMTP. Each takes the session's
 * backend pointer first; the contracts are those of the src/imap and
 * src/smtp functions of the same names.
 */
struct mail_ops {
	int (*fetch_message)(void *b, const char *folder, uint32_t uid,
	                     struct arena *a, struct imap_message *m_r,
	                     struct perr *err);
	int (*fetch_section)(void *b, const char *folder, uint32_t uid,
	                     const char *section, struct arena *a,
	                     struct strv *data_r, struct perr *err);
	int (*fetch_section_chunks)(void *b, const char *folder, uint32_t uid,
	                            const char *section, size_t chunk,
	                            imap_chunk_fn *sink, void *arg,
	                            struct arena *a, struct perr *err);
	int (*folders)(void *b, struct arena *a, struct imap_folder **v_r,
	               size_t *n_r, struct perr *err);
	int (*folder_create)(void *b, const char *path, struct arena *a,
	                     struct perr *err);
	/* Delete every message of the folder. */
	int (*folder_empty)(void *b, const char *path, struct arena *a,
	                    struct perr *err);
	int (*append)(void *b, const char *folder, unsigned flags,
	              struct strv msg, struct arena *a, uint32_t *uid_r,
	              struct perr *err);
	/* Add IMAP_MSG_* flags to one message. */
	int (*add_flags)(void *b, const char *folder, uint32_t uid,
	                 unsigned flags, struct arena *a, struct perr *err);
	/* Remove one message for good (\Deleted and expunged). */
	int (*delete_message)(void *b, const char *folder, uint32_t uid,
	                      struct arena *a, struct perr *err);
	int (*smtp_send)(void *b, const struct smtp_envelope *env,
	                 struct strv msg, struct arena *a,
	                 struct smtp_failure *fail_r, struct perr *err);
	/* Snooze (snooze.c): imap_move_found, imap_find_message_id. */
	int (*move_found)(void *b, const char *folder, uint32_t uid,
	                  const char *to, struct arena *a,
	                  uint32_t *uidvalidity_r, uint32_t *uid_r,
	                  struct perr *err);
	int (*find_message_id)(void *b, const char *folder,
	                       const char *message_id, struct arena *a,
	                       uint32_t *uidvalidity_r, uint32_t *uid_r,
	                       struct perr *err);
	/* APPEND with an INTERNALDATE (imap_append). */
	int (*append_at)(void *b, const char *folder, unsigned flags,
	                 int64_t date, struct strv msg, struct arena *a,
	                 uint32_t *uid_r, struct perr *err);
	int (*folder_subscribe)(void *b, const char *path, struct arena *a,
	                        struct perr *err);
};

/*
 * The backend of mail_ops_real: the IMAP connection, asked for on first
 * use (web: the session's pooled one), and the SMTP server and login,
 * asked for only when sending.
 */
struct mail_real {
	int (*imap)(void *arg, struct imap_conn **c_r, struct perr *err);
	int (*smtp)(void *arg, struct arena *a,
	            const struct config_domain **dom_r,
	            struct smtp_login *login_r, struct perr *err);
	void *arg;
};

extern const struct mail_ops mail_ops_real;

/* Why a call failed, where the kind alone does not say (web: API code). */
enum mail_why {
	MAIL_WHY_NONE = 0,
	MAIL_WHY_UPLOAD_FILE,      /* PERR_LIMIT: one file over the limit */
	MAIL_WHY_UPLOAD_TOTAL,     /* PERR_LIMIT: the user's uploads together */
	MAIL_WHY_SMTP_REJECTED,    /* PERR_REMOTE: msg the server's words */
	MAIL_WHY_SMTP_UNAVAILABLE, /* PERR_TEMPFAIL */
	MAIL_WHY_TOO_LARGE,        /* PERR_LIMIT: the server's size limit */
	MAIL_WHY_IN_PROGRESS,      /* PERR_CONFLICT: the token is sending */
	MAIL_WHY_UNVERIFIED,       /* PERR_FORBIDDEN: identity not verified */
	MAIL_WHY_SEND_UNCERTAIN,   /* PERR_TEMPFAIL: may have been delivered */
};

/* One user's mail, for one request. */
struct mail_session {
	struct arena *a;
	const struct mail_ops *ops;
	void *backend; /* handed to ops; struct mail_real for the real ones */
	struct store *store;
	const char *user;         /* the login address */
	const char *session_hash; /* owner of uploads */
	const char *uploads_dir;  /* where upload files live */
	uint64_t max_file;        /* bytes per upload */
	uint64_t max_total; /* bytes of the user's uploads (all sessions) */
	/* The user's domain (identity_allow); NULL: no patterns. */
	const struct config_domain *domain;
	/* Set by a failing call when it has more to say than err. */
	enum mail_why why;
	const char *why_detail; /* SMTP_REJECTED: the stage (and recipient) */
};

/* A message in a folder; folder NULL: none. */
struct mail_ref {
	const char *folder;
	uint32_t uid;
};

struct mail_strings {
	const char **v;
	size_t n;
};

/* ---- folders ------------------------------------------------------------ */

/* Empty the Trash or Junk folder path (PERR_INPUT for any other). */
int mail_folder_empty(struct mail_session *s, const char *path,
                      struct perr *err) PT_WARN_UNUSED;
/*
 * Create those of paths that do not exist yet: one LIST, then one CREATE
 * for each missing path (a path named twice is created once).
 */
int mail_folders_ensure(struct mail_session *s, const char *const *paths,
                        size_t n_paths, struct perr *err) PT_WARN_UNUSED;

/* ---- uploads ------------------------------------------------------------ */

struct mail_upload {
	const char *id, *name, *type;
	uint64_t size;
};

/*
 * Keep bytes (data, or the file src_path when not NULL) of size bytes as
 * one of the session's uploads, with a cleaned name and type. PERR_LIMIT
 * with why MAIL_WHY_UPLOAD_FILE or MAIL_WHY_UPLOAD_TOTAL past a limit.
 */
int mail_upload_store(struct mail_session *s, const char *name,
                      const char *type, struct strv data, const char *src_path,
                      uint64_t size, struct mail_upload *u_r,
                      struct perr *err) PT_WARN_UNUSED;
/* Remove one of the session's uploads (PERR_NOTFOUND for another's). */
int mail_upload_delete(struct mail_session *s, const char *id,
                       struct perr *err) PT_WARN_UNUSED;
/*
 * Remove session_hash's uploads (NULL: none in particular) and those of
 * sessions that ended. Failures are logged: a sweep never fails a call.
 */
void mail_uploads_sweep(struct mail_session *s, const char *session_hash);
/* A clean lower-case "type/subtype", else application/octet-stream. */
const char *mail_clean_type(struct strv t, struct arena *a);

/* ---- identities --------------------------------------------------------- */

/* A stored identity, or the synthesized login one (id "default"). */
struct mail_identity {
	const char *id;
	struct store_identity s;
	/*
	 * Mail may be sent from it: its address is the login address,
	 * matches the domain's identity_allow, or was confirmed by a link.
	 */
	bool verified;
};

/* The user's identities: at least one, exactly one is_default. */
int mail_identities(struct mail_session *s, struct mail_identity **v_r,
                    size_t *n_r, struct perr *err) PT_WARN_UNUSED;
/*
 * Insert or update (in->id from mail_identity_id()). email and a
 * non-empty reply_to must be addresses; CR, LF or NUL in name or
 * sent_folder is a header injection. *id_r gets the stored id.
 */
int mail_identity_save(struct mail_session *s, const struct store_identity *in,
                       const char *email, int64_t *id_r,
                       struct perr *err) PT_WARN_UNUSED;
/* An identity id argument: "default" or NULL is 0, else a stored id. */
int mail_identity_id(struct mail_session *s, const char *id, int64_t *id_r,
                     struct perr *err) PT_WARN_UNUSED;
/* How long a confirmation link works, and how often one may be mailed. */
#define MAIL_CONFIRM_TTL (24 * 3600)
#define MAIL_CONFIRM_RESEND 300

/*
 * Mail a confirmation link for the stored identity id: a random token
 * (only its SHA-256 is stored) is appended to link_prefix, the link put
 * between text_before and text_after, and the message
 * goes from the login address to the identity's address through
 * mail_send (the real SMTP path; a copy lands in Sent). PERR_NOTFOUND for
 * an unknown id, PERR_CONFLICT when it is verified already, PERR_RATE
 * when a link was mailed less than MAIL_CONFIRM_RESEND seconds ago.
 * *email_r gets the address written to.
 */
int mail_identity_confirm_start(struct mail_session *s, int64_t id,
                                const char *link_prefix, const char *subject,
                                const char *text_before, const char *text_after,
                                const char **email_r,
                                struct perr *err) PT_WARN_UNUSED;
/*
 * Follow a confirmation link (no session needed: the token is the
 * proof; consume false: only say what it would confirm). *user_r and *email_r
 * say who may now send from which address. PERR_NOTFOUND for an unknown, used
 * or expired token.
 */
int mail_identity_confirm(struct store *st, const char *token, bool consume,
                          struct arena *a, const char **user_r,
                          const char **email_r,
                          struct perr *err) PT_WARN_UNUSED;

/* Whether the user may send from email without a confirmation. */
bool mail_address_allowed(const struct mail_session *s, const char *email);
/* Delete a stored identity; the login one (0) cannot be. */
int mail_identity_delete(struct mail_session *s, int64_t id,
                         struct perr *err) PT_WARN_UNUSED;

/* ---- the message view model ---------------------------------------------- */

/*
 * One message opened for reading: structure, chosen body parts, the
 * folder and UID. root and env are the whole message's or, for an
 * attached message, that one's.
 */
struct mail_view {
	struct imap_message m;
	const struct imap_part *root;
	const struct imap_envelope *env;
	const struct imap_part *html, *plain; /* best of each kind */
	const char *folder;
	uint32_t uid;
	struct arena *a;
};

/* Section specifiers are digits and dots, optionally ".TEXT". */
bool mail_section_ok(const char *s);
/* Fetch the structure of folder/uid (part: an attached message or NULL). */
int mail_view_load(struct mail_session *s, const char *folder, uint32_t uid,
                   const char *part, struct mail_view *v,
                   struct perr *err) PT_WARN_UNUSED;
/* One text part fetched and decoded to UTF-8 (format=flowed undone). */
int mail_view_part_text(struct mail_session *s, const struct mail_view *v,
                        const struct imap_part *p, struct strv *text_r,
                        struct perr *err) PT_WARN_UNUSED;
/* The attachment leaves (what the Message call lists), in order. */
size_t mail_view_attachments(const struct mail_view *v,
                             const struct imap_part ***parts_r);
/* The clean file name shown for an attachment part. */
const char *mail_view_attachment_name(const struct mail_view *v,
                                      const struct imap_part *p);

/* The first part of type/subtype under p (not inside attached mail). */
const struct imap_part *mail_part_find_type(const struct imap_part *p,
                                            const char *type,
                                            const char *subtype);
/* The part with Content-ID cid under p (ci: ASCII case-blind), or NULL. */
const struct imap_part *mail_part_find_cid(const struct imap_part *p,
                                           struct strv cid, bool ci);

struct mail_render_opts {
	bool allow_remote;           /* remote images load */
	const char *placeholder_url; /* what blocked images show */
	const char *scope_class;     /* the sanitizer's <style> scope */
	const char *fold_label;      /* plain text: a folded quote's label */
	unsigned fold_lines;         /* plain text: quotes longer fold */
	size_t max_output;           /* beyond it the body is cut */
	/*
	 * An HTML part larger than this (its size on the server, encoded)
	 * is neither fetched nor sanitized: the plain alternative is shown
	 * if it is within the same size, else nothing, and
	 * mail_rendered.html_skipped says so. 0: no limit.
	 */
	uint64_t max_html;
	/* cid: URLs of the HTML (the caller's part URLs); may be NULL. */
	const char *(*cid_url)(void *ctx, struct strv cid);
	void *cid_ctx;
};

struct mail_rendered {
	const char *html; /* sanitized fragment (HTML or converted text) */
	const char *text; /* plain text when the plain part is shown */
	bool is_html;
	unsigned remote_blocked;
	/* The HTML part was over max_html; its size on the server. */
	bool html_skipped;
	uint64_t html_size;
};

/* The body of v made safe to show: its HTML sanitized, else its text. */
int mail_view_render(struct mail_session *s, const struct mail_view *v,
                     const struct mail_render_opts *o, struct mail_rendered *r,
                     struct perr *err) PT_WARN_UNUSED;
/*
 * The summary of v's text/calendar part of at most max bytes: 1 with
 * *section_r and *summary_r set, 0 when there is none (failures logged).
 */
int mail_view_calendar(struct mail_session *s, const struct mail_view *v,
                       size_t max, const char **section_r,
                       const char **summary_r);
/* Set \Seen on v's message; false (logged) when the server refused. */
bool mail_view_mark_seen(struct mail_session *s, const struct mail_view *v);

struct mail_header {
	const char *name, *value; /* unfolded, RFC 2047 decoded */
};

/*
 * The header fields of folder/uid (part: of that attached message), in
 * order, at most max (the rest is cut and logged).
 */
int mail_message_headers(struct mail_session *s, const char *folder,
                         uint32_t uid, const char *part, size_t max,
                         struct mail_header **v_r, size_t *n_r,
                         struct perr *err) PT_WARN_UNUSED;

/* Takes a decoded piece (valid during the call); nonzero stops. */
typedef int mail_piece_fn(void *arg, struct strv data);
/*
 * The section (NULL: the whole message) fetched in 256 KiB pieces and
 * decoded from enc on the way, each piece handed to sink: a 20 MB
 * attachment never sits in memory. A failure before the first piece is
 * an error; after it the output is only cut (logged), and 0 returned.
 */
int mail_section_stream(struct mail_session *s, const char *folder,
                        uint32_t uid, const char *section,
                        enum mime_encoding enc, mail_piece_fn *sink, void *arg,
                        struct perr *err) PT_WARN_UNUSED;

/* ---- exports ------------------------------------------------------------ */

/* A built archive: read it from fd (closed, and the file removed, when
 * the session's arena resets). */
struct mail_zip {
	int fd;
	uint64_t size;
};

/*
 * All attachments of v as one zip, built in a temp file under tmp_dir
 * (NULL: /tmp). Same names get " (2)" etc. PERR_NOTFOUND without
 * attachments, PERR_LIMIT when their encoded size passes four times the
 * per-file upload limit, PERR_TEMPFAIL when a part cannot be fetched.
 */
int mail_zip_attachments(struct mail_session *s, const struct mail_view *v,
                         const char *tmp_dir, struct mail_zip *z,
                         struct perr *err) PT_WARN_UNUSED;

/* One message of a folder export zip: its UID, RFC822.SIZE and entry name. */
struct mail_zip_item {
	uint32_t uid;
	uint64_t size;
	const char *name; /* unique within the zip (mail_export_entry_name) */
};

/*
 * The messages of folder, each as it is (BODY[]), as one zip built like
 * mail_zip_attachments (one message in memory at a time). PERR_LIMIT
 * when their sizes add up to more than four times the per-file upload
 * limit (the answer says to export as mbox, which has no limit).
 */
int mail_zip_messages(struct mail_session *s, const char *folder,
                      const struct mail_zip_item *items, size_t n,
                      const char *tmp_dir, struct mail_zip *z,
                      struct perr *err) PT_WARN_UNUSED;

/* ---- import and export of whole messages (src/mail/transfer.c) ---------- */

/*
 * Append raw (one message as IMAP returns it) to out as an mboxrd entry:
 * a "From <sender> <asctime date, UTC>" line (a sender that is empty or
 * not one word becomes MAILER-DAEMON), the message with CRLF turned to LF
 * and every line matching ^>*From  given one more '>', a final newline
 * added when missing, and one empty line after it.
 */
void mail_mbox_append(struct sbuf *out, const char *sender, time_t date,
                      struct strv raw);

/* One message out of an mbox, n counting from 0; non-zero stops. */
typedef int mail_mbox_fn(void *arg, size_t n, struct strv msg);

/*
 * The reverse of mail_mbox_append (mboxrd; an mboxo file reads the same
 * but for lines that were ">From " in the original): each message between
 * "From " lines, with one '>' taken off lines matching ^>+From , LF turned
 * to CRLF and the separating empty line dropped. PERR_INPUT when mbox
 * does not start with "From ".
 */
int mail_mbox_split(struct strv mbox, struct arena *a, mail_mbox_fn *fn,
                    void *arg, struct perr *err) PT_WARN_UNUSED;

/*
 * Is data a plausible RFC 5322 message to APPEND? Not empty, at most max
 * bytes (0: no limit; PERR_LIMIT), no NUL byte, and a header block whose
 * every line is a "Name: value" field (printable ASCII name) or a folded
 * continuation of one, ended by an empty line or the end of the file.
 * PERR_INPUT with a reason otherwise.
 */
int mail_eml_check(struct strv data, size_t max, struct arena *a,
                   struct perr *err) PT_WARN_UNUSED;

/*
 * The unfolded, trimmed value of the first header field called name
 * (ASCII case-insensitive) in msg's header block, or NULL.
 */
const char *mail_eml_header(struct arena *a, struct strv msg, const char *name);

/*
 * The name of a message inside an export zip: "<subject> (<uid>).eml",
 * the subject cut to 80 bytes, path separators, characters Windows
 * refuses, controls, bidi controls and bad UTF-8 turned to '_', leading
 * dots and spaces dropped ("message" when nothing is left). The UID keeps
 * names unique within a folder.
 */
const char *mail_export_entry_name(struct arena *a, const char *subject,
                                   uint32_t uid);

/* ---- compose from a message ---------------------------------------------- */

enum mail_compose_mode {
	MAIL_COMPOSE_REPLY,
	MAIL_COMPOSE_REPLY_ALL,
	MAIL_COMPOSE_FORWARD,
	MAIL_COMPOSE_FORWARD_ATTACHMENT,
	MAIL_COMPOSE_EDIT_AS_NEW,
};

/* "reply", "replyAll", "forward", "forwardAttachment", "editAsNew". */
int mail_compose_mode_parse(const char *s, enum mail_compose_mode *m_r);

/* The user's language's texts, with {name} style placeholders. */
struct mail_compose_texts {
	const char *reply_attribution; /* {date} {name} */
	const char *forward_header;    /* {from} {date} {subject} {to} */
};

/* A compose form filled from a stored message. */
struct mail_form {
	struct mail_strings to, cc, bcc;
	struct mail_upload *att; /* copied into the session's uploads */
	size_t n_att;
	const char *identity_id; /* NULL: none of the user's */
	const char *reply_to;    /* "" if none */
	const char *subject, *text;
	const char *html; /* sanitized, NULL for none */
	struct mail_ref in_reply_to, forward_of;
	uint32_t draft_uid; /* 0: not a draft */
	bool read_receipt;  /* a draft that asked for a read receipt */
};

int mail_compose_from(struct mail_session *s, enum mail_compose_mode mode,
                      const char *folder, uint32_t uid,
                      const struct mail_compose_texts *texts,
                      struct mail_form *f_r, struct perr *err) PT_WARN_UNUSED;

/* ---- send and drafts ---------------------------------------------------- */

/* Headers of a saved draft: "<uid> <base64 folder>" of its original. */
#define MAIL_DRAFT_REPLY_HEADER "X-Petrel-Draft-Reply"
#define MAIL_DRAFT_FORWARD_HEADER "X-Petrel-Draft-Forward"
/* ... and "<base64>" of a recipient typed that is no address yet. */
#define MAIL_DRAFT_PENDING_TO "X-Petrel-Draft-To"
#define MAIL_DRAFT_PENDING_CC "X-Petrel-Draft-Cc"
#define MAIL_DRAFT_PENDING_BCC "X-Petrel-Draft-Bcc"
/* RFC 8098: asks for a read receipt; kept in a draft that asked for one. */
#define MAIL_RECEIPT_HEADER "Disposition-Notification-To"

#define MAIL_MAX_RCPT 500
#define MAIL_MAX_ATT 100
#define MAIL_MAX_SUBJECT 4096
#define MAIL_MAX_BODY (8u * 1024 * 1024)

/* The compose form as the caller read it (types and lengths checked). */
struct mail_compose {
	struct mail_strings to, cc, bcc;
	const char *reply_to, *subject, *text, *html; /* NULL: none */
	const char *identity_id, *from;               /* NULL: default */
	struct mail_strings attachments;              /* upload ids */
	struct mail_ref in_reply_to, forward_of;
	uint32_t draft_uid;     /* 0: none */
	const char *send_token; /* Send only */
	int64_t date;           /* 0: now */
	/*
	 * Send only: header lines "Name: value" to add as they are (from
	 * the plugins' send_before hooks); checked like every other field.
	 */
	const char *const *extra_headers;
	size_t n_extra_headers;
	/* Ask for a read receipt (Disposition-Notification-To); a draft
	 * keeps the request for when it is reopened. */
	bool read_receipt;
};

/* A message built from a compose form, ready to send or save. */
struct mail_outgoing;

/*
 * Check the form (addresses, identity and From, Reply-To, bodies,
 * attachments) and build the message. sending: every recipient must be
 * an address and there must be one; otherwise (a draft) entries that are
 * not addresses yet are kept in the draft's own headers. PERR_INPUT
 * messages start "header injection" or "invalid address" for those.
 */
int mail_compose_prepare(struct mail_session *s, const struct mail_compose *in,
                         bool sending, struct mail_outgoing **out_r,
                         struct perr *err) PT_WARN_UNUSED;

/* Store a prepared draft in Drafts (replacing in->draft_uid). */
int mail_draft_save(struct mail_session *s, const struct mail_outgoing *o,
                    uint32_t *uid_r, struct perr *err) PT_WARN_UNUSED;

/*
 * The result of a Send, stored as JSON text {"messageId", "sentUid",
 * "sentSaved"}.
 */
struct mail_sent {
	const char *message_id;
	uint32_t sent_uid; /* 0: unknown */
	bool sent_saved;   /* the copy went into the Sent folder */
	/* A repeat of a finished send: its stored result, else NULL. */
	const char *replay;
};

/*
 * Submit with the send token claimed (a repeat gets the first result;
 * PERR_CONFLICT with MAIL_WHY_IN_PROGRESS while it runs). When the SMTP
 * connection broke after the whole message went out and before the
 * server's answer, the message may have been delivered: PERR_TEMPFAIL
 * with MAIL_WHY_SEND_UNCERTAIN, the token stays taken and every repeat
 * gets the same error, never a second delivery. After SMTP
 * accepted it nothing fails the call: the copy with Bcc goes to Sent, the
 * original is flagged, the draft deleted, the recipients recorded and
 * the uploads dropped (each failure logged).
 */
int mail_send(struct mail_session *s, const struct mail_outgoing *o,
              struct mail_sent *r, struct perr *err) PT_WARN_UNUSED;

/* ---- held and scheduled sends ------------------------------------------ */

/*
 * A built message with everything sending it needs, apart from the form:
 * what Send does at once and what the outbox keeps for a held or
 * scheduled send (src/web/api_outbox.c stores it and rebuilds it when the
 * job is due). mail_send is mail_queue, mail_queued_submit and
 * mail_queued_after in a row, so both paths send the same way.
 */
struct mail_queued {
	struct strv message;    /* with Bcc: the Sent copy */
	size_t wire_off;        /* SMTP gets message from here (no Bcc) */
	const char *message_id; /* "<…>" */
	struct smtp_envelope env;
	const char *sent_folder; /* NULL or "": the special-use Sent */
	struct mail_ref irt, fwd;
	uint32_t draft_uid; /* 0: none */
	/* Recipients remembered for suggestions once sent. */
	struct mime_addr *seen;
	size_t n_seen;
	/* Uploads dropped once sent (NULL: none, or kept elsewhere). */
	const struct store_upload *uploads;
	size_t n_uploads;
};

/* q from a message mail_compose_prepare built for sending (in s->a). */
int mail_queue(struct mail_session *s, const struct mail_outgoing *o,
               struct mail_queued *q, struct perr *err) PT_WARN_UNUSED;
/*
 * Hand q to SMTP. On failure s->why says more (MAIL_WHY_SMTP_REJECTED
 * with the stage in s->why_detail, _UNAVAILABLE, _TOO_LARGE).
 */
int mail_queued_submit(struct mail_session *s, const struct mail_queued *q,
                       struct perr *err) PT_WARN_UNUSED;
/*
 * The steps after the server accepted q; none fails (each failure is
 * logged): recipients recorded, uploads dropped, the copy with Bcc
 * appended to Sent (its UID returned, 0 unknown; *saved_r, unless NULL,
 * says whether the APPEND succeeded), the original flagged \Answered /
 * $Forwarded, the draft deleted.
 */
uint32_t mail_queued_after(struct mail_session *s, const struct mail_queued *q,
                           bool *saved_r);

/* ---- snooze (src/mail/snooze.c) ------------------------------------------ */

/* The folder made when the server has none (docs/ARCHITECTURE.md). */
#define MAIL_SNOOZE_FOLDER "Snoozed"
/* Messages per MessageSnooze / MessageUnsnooze call. */
#define MAIL_SNOOZE_MAX 100
/* How far ahead a wake time may be (a typo of a year is refused). */
#define MAIL_SNOOZE_MAX_AHEAD (5 * 366 * 24 * 3600)

/*
 * The Snoozed folder: the one LIST flags \Snoozed, else one called
 * "Snoozed" (ASCII case-blind; the top-level one first), else, with
 * create, MAIL_SNOOZE_FOLDER created and subscribed; without create
 * *path_r is NULL when there is none.
 */
int mail_snooze_folder(struct mail_session *s, bool create, const char **path_r,
                       struct perr *err) PT_WARN_UNUSED;

/*
 * Snooze folder's uids until until (Unix seconds, after now): each is
 * moved to the Snoozed folder (COPYUID says its new UID; its Message-ID
 * is kept too) and recorded in the store with what seal (may be NULL)
 * gives for the row: the password the wake-up will use, sealed for that
 * row alone. A message already in the Snoozed folder only gets
 * the new time. *folder_r is the Snoozed folder, *done_r how many were
 * snoozed before a failure (the first failure ends the call).
 */
typedef int mail_seal_fn(void *ctx, int64_t row, struct arena *a,
                         struct strv *sealed_r, struct perr *err);
int mail_snooze(struct mail_session *s, const char *folder,
                const uint32_t *uids, size_t n, int64_t until, int64_t now,
                mail_seal_fn *seal, void *seal_ctx, const char **folder_r,
                size_t *done_r, struct perr *err) PT_WARN_UNUSED;

/*
 * Wake r (a row of s->user) now: find the message (r's UID while the
 * folder's UIDVALIDITY is unchanged, else by Message-ID), APPEND it to
 * INBOX unread with its Date set to now and INTERNALDATE now (the list
 * sorts by date, so it shows first; the old Date is kept as
 * X-Petrel-Snoozed-Date), record that, delete the Snoozed copy and the
 * row. Returns 1 when it went back, 0 when the message is gone (deleted
 * or moved out of the Snoozed folder: the row is dropped) and -1 on a
 * failure (the row is kept for a retry; a retry never appends twice).
 */
int mail_snooze_wake(struct mail_session *s, const struct store_snooze *r,
                     int64_t now, struct perr *err) PT_WARN_UNUSED;

/*
 * End the snoozes of uids in the Snoozed folder now (each as
 * mail_snooze_wake; a UID without a row is PERR_NOTFOUND). *done_r
 * counts those back in INBOX.
 */
int mail_unsnooze(struct mail_session *s, const uint32_t *uids, size_t n,
                  int64_t now, size_t *done_r, struct perr *err) PT_WARN_UNUSED;

/*
 * raw with its first Date field replaced by now's and the old value kept
 * as X-Petrel-Snoozed-Date (unless one is there: the first snooze's
 * stays); a message without Date gets one first. PERR_LIMIT only.
 */
int mail_snooze_rewrite(struct strv raw, int64_t now, struct arena *a,
                        struct strv *out_r, struct perr *err) PT_WARN_UNUSED;

#endif
