/*
 * live - live updates (Server-Sent Events) without pinning FastCGI workers.
 *
 * An open SSE stream per browser tab would hold a libfcgi worker for as
 * long as the tab lives. This module keeps those streams out of the worker
 * pool: a small event server inside the petrel process, with
 *
 * - one event thread that poll()s a listening socket (unix or TCP) and
 *   every client socket. It speaks just enough HTTP/1.1 for nginx's
 *   `proxy_pass http://unix:...; proxy_buffering off;`: it reads a bounded
 *   request head (LIVE_HEAD_MAX bytes within LIVE_HEAD_TIMEOUT_MS), has
 *   http parse it (http_head_parse(), the FastCGI requests' parser),
 *   accepts only `GET /events[?folder=<url-encoded UTF-8>]` (default
 *   INBOX; "inbox" in any case is INBOX), authenticates the
 *   petrel_session cookie with session_peek() (no last_seen refresh: a
 *   stream is not user activity) on its own store connection, checks
 *   the [limits] live_* caps (429 past them) and answers 200
 *   text/event-stream. The
 *   socket then stays open: `: ping` every heartbeat_s, and
 *     event: ready   once the folder is being watched,
 *     event: change  when the folder changed (new mail, expunge, flags),
 *     event: failed  when it cannot be watched (then the stream closes),
 *   each with `data: {"folder":"..."}`. Errors are plain-text 4xx/5xx
 *   answers followed by a close (401 without a valid session, 429 past
 *   a per-session or per-user cap, 503 past max_clients).
 * - one watcher thread per (user, folder), shared by all streams of
 *   that user's sessions on that folder. It holds its own IMAP connection (not
 *   the request pool's), logged in with the session's credentials,
 *   SELECTs the folder and loops on imap_idle_wait() (IDLE, or NOOP
 *   every poll_s without it), restarting IDLE every idle_restart_s. A
 *   change is handed to the event thread through a pipe; the event thread
 *   fans it out. A dropped connection is reopened with backoff (1 s
 *   doubling to 60 s) and is followed by a `change`, since events may
 *   have been missed. A watcher stops grace_s after its last stream left.
 *
 * Invariants: no network I/O under a lock (the lock guards only flags
 * that watcher threads hand to the event thread); client sockets are
 * non-blocking and written with MSG_NOSIGNAL; a client whose output
 * backs up past LIVE_OUT_MAX is dropped rather than buffered without
 * bound. The IMAP password is decrypted once, when a watcher is created,
 * kept (for reconnects) only in that watcher's memory and cleansed when
 * it ends.
 *
 * Streams end after stream_max_s (and at the session's absolute expiry);
 * EventSource reconnects by itself, which checks the session again. Every
 * live_session_check seconds each stream looks its session up again
 * (session_alive(), read-only) and closes once it is gone; session's end
 * hook (session_set_end_hook) makes that check run at once after a
 * logout or an admin "end session" in this process.
 */
#ifndef PETREL_LIVE_H
#define PETREL_LIVE_H

#include "core/core.h"

struct config;
struct live_server;

/* Largest request head accepted (431 past it). */
#define LIVE_HEAD_MAX 8192
/* Time a client has to send its request head. */
#define LIVE_HEAD_TIMEOUT_MS 10000
/* Unsent output per client before it counts as gone. */
#define LIVE_OUT_MAX (64 * 1024)
/* Longest folder name accepted (bytes of UTF-8). */
#define LIVE_FOLDER_MAX 1024

struct live_opts {
	/* "unix:/run/petrel/events.sock" or "127.0.0.1:8090" ("[::1]:p"). */
	const char *listen;
	/* Mode of a unix socket; 0: 0660 (nginx's group must connect). */
	unsigned unix_mode;
	/*
	 * The configuration to use (a reference is taken), or NULL for
	 * config_current() at every new stream (follows SIGHUP reloads).
	 */
	struct config *config;
	unsigned max_clients;    /* open client sockets; 0: 512 */
	unsigned heartbeat_s;    /* ": ping" interval; 0: 25 */
	unsigned idle_restart_s; /* IDLE re-issued after; 0: 1500 (25 min) */
	unsigned poll_s;         /* NOOP interval without IDLE; 0: 20 */
	unsigned grace_s;        /* watcher linger after last stream; 0: 10 */
	unsigned stream_max_s;   /* a stream closes after; 0: 600 */
};

/*
 * Bind opts->listen and start the event thread. A stale unix socket file
 * at the path is replaced (any other file there is an error). Returns the
 * server (heap, owned by the caller: live_server_stop()) or NULL with err
 * (PERR_INPUT: bad listen string; PERR_INTERNAL: socket, bind, listen or
 * thread creation failed). err->msg is static or from a (may be NULL).
 */
struct live_server *live_server_start(const struct live_opts *o,
                                      struct arena *a,
                                      struct perr *err) PT_WARN_UNUSED;

/*
 * Close every stream, stop and join every watcher and the event thread,
 * close the listening socket (unlinking a unix socket) and free *sp;
 * sets *sp to NULL. NULL-safe. Blocks at most for the IMAP operations
 * the watchers are in (connect/login are bounded by the domain's
 * timeouts; IDLE waits are woken at once).
 */
void live_server_stop(struct live_server **sp);

/* Counters for tests and the admin dashboard. */
struct live_stats {
	unsigned clients;  /* open sockets, streaming or not */
	unsigned streams;  /* answered with 200 and open */
	unsigned watchers; /* watcher threads running */
};
void live_server_get_stats(struct live_server *s, struct live_stats *st_r);

/* ---- the pieces, pure (parse.c); public for tests ------------------------ */

struct live_request {
	const char *folder; /* decoded UTF-8, NUL-terminated, in a */
	struct strv cookie; /* the petrel_session value (view into head) */
	bool has_cookie;
};

/*
 * Length of the request head in buf including its blank line (CRLF CRLF,
 * or LF LF from lenient clients), or 0 while it is incomplete
 * (http_head_length()).
 */
size_t live_head_length(struct strv buf);

/*
 * Parse a complete request head with http_head_parse(). Accepts `GET
 * /events` with an optional query whose `folder` parameter (form-encoded:
 * %XX and '+') names the folder; other parameters are ignored; no folder
 * means "INBOX". The session cookie is looked up in every Cookie header.
 * On failure *req_r is undefined and err says why: PERR_INPUT (400:
 * malformed request line or header, bad escape in the query, folder not
 * UTF-8, empty, longer than LIVE_FOLDER_MAX or with control characters),
 * PERR_LIMIT (413: http's limits on headers, parameters and cookies),
 * PERR_METHOD (405: not GET), PERR_NOTFOUND (404: another path). Copies
 * go into a.
 */
int live_parse_request(struct strv head, struct arena *a,
                       struct live_request *req_r,
                       struct perr *err) PT_WARN_UNUSED;

/*
 * Append one SSE event to out: "event: NAME\ndata: {"folder":"..."}\n\n",
 * the folder JSON-escaped (quotes, backslash, control characters; UTF-8
 * kept). name must be a plain token (no CR/LF).
 */
void live_format_event(struct sbuf *out, const char *name, const char *folder);

/*
 * Append a complete plain-text HTTP answer (status line, Content-Type,
 * Content-Length, Cache-Control: no-store, Connection: close, body) to
 * out.
 */
void live_format_error(struct sbuf *out, int status, const char *text);

/* Append the 200 head of an event stream and the first SSE lines. */
void live_format_stream_head(struct sbuf *out, unsigned retry_ms);

#endif
