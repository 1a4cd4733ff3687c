/*
 * core - the ground every other module stands on.
 *
 * - arena: per-request memory. Everything a request allocates comes from its
 *   arena and dies with arena_reset(); foreign objects (libetpan, gumbo,
 *   jansson, sqlite) are released through arena_defer(). Every arena has a
 *   hard limit: allocation past it returns NULL and the caller turns that
 *   into PERR_LIMIT. Plain out-of-memory from malloc is fatal().
 * - strv: a view (pointer + length) that is never assumed NUL-terminated.
 * - sbuf: a growable, always NUL-terminated buffer with a hard maximum.
 *   Appends are sticky-failing: once one would pass the maximum, the buffer
 *   is marked failed and later appends do nothing; check sbuf_ok() once.
 * - perr: the error type every fallible function fills in.
 * - log: leveled logging to stderr, a file or syslog. Never log secrets.
 * - codecs (hex, base64, URL, the one UTF-8 decoder), SHA-256 in hex,
 *   atomic file replacement, random bytes, time and small string helpers.
 *
 * Invariant: nothing in core knows about HTTP, mail or templates; the
 * status an error kind stands for, reason phrases and parsing are http's
 * (http_status_of_error()).
 */
#ifndef PETREL_CORE_H
#define PETREL_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- attributes ------------------------------------------------------ */

#define PT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PT_WARN_UNUSED __attribute__((warn_unused_result))
#define PT_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define PT_NORETURN __attribute__((noreturn))
#define PT_UNUSED __attribute__((unused))
#define PT_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * PT_ASSERT stays on in release builds: it guards cheap invariants whose
 * violation is a bug, and a crash is better than a 500 that hides it.
 */
#define PT_ASSERT(expr)                                                        \
	((expr) ? (void)0 : pt_assert_failed(#expr, __FILE__, __LINE__))
PT_NORETURN void pt_assert_failed(const char *expr, const char *file, int line);

/* ---- arena ----------------------------------------------------------- */

struct arena;

/*
 * Create an arena whose first chunk holds first_chunk bytes and whose total
 * allocation may not pass limit bytes (0 = no limit). The name shows up in
 * debug logs. Never returns NULL (malloc failure is fatal).
 */
struct arena *arena_create(const char *name, size_t first_chunk, size_t limit);
/* Run the defers, free everything and set *ap to NULL. NULL-safe. */
void arena_destroy(struct arena **ap);
/* Run the defers (last registered first) and free all but the first chunk. */
void arena_reset(struct arena *a);
/*
 * Zeroed, 16-aligned memory valid until the next reset. Returns NULL only
 * when the arena's limit would be passed.
 */
void *arena_alloc(struct arena *a, size_t n) PT_WARN_UNUSED;
/* As arena_alloc for n elements of size bytes; NULL also on overflow. */
void *arena_alloc_array(struct arena *a, size_t size, size_t n) PT_WARN_UNUSED;
#define arena_new(a, type) ((type *)arena_alloc((a), sizeof(type)))
#define arena_new_array(a, type, n)                                            \
	((type *)arena_alloc_array((a), sizeof(type), (n)))
/* NUL-terminated copies; NULL only past the limit. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) PT_PRINTF(2, 3);
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
        PT_PRINTF(2, 0);
/* Call fn(arg) at the next reset or destroy, newest first. */
void arena_defer(struct arena *a, void (*fn)(void *), void *arg);
/* Bytes handed out since the last reset (for limits and tests). */
size_t arena_used(const struct arena *a);
/* True once an allocation failed for the limit since the last reset. */
bool arena_hit_limit(const struct arena *a);

/* ---- strv: string views ---------------------------------------------- */

struct strv {
	const char *p;
	size_t len;
};

#define STRV_LIT(s) ((struct strv){"" s "", sizeof(s) - 1})
#define STRV_NULL ((struct strv){NULL, 0})

struct strv strv_from_cstr(const char *s);
bool strv_eq(struct strv a, struct strv b);
bool strv_eq_cstr(struct strv a, const char *b);
bool strv_eq_ci_ascii(struct strv a, struct strv b);
bool strv_starts_with(struct strv s, struct strv prefix);
bool strv_starts_with_ci_ascii(struct strv s, struct strv prefix);
struct strv strv_trim(struct strv s);
/*
 * Split s at the first sep: left_r gets what is before, right_r what is
 * after. Returns false (left_r = s, right_r empty) when sep does not occur.
 */
bool strv_split_once(struct strv s, char sep, struct strv *left_r,
                     struct strv *right_r);
/* Index of the first c in s, or -1. */
ptrdiff_t strv_find_char(struct strv s, char c);
/* Index of the first occurrence of needle, or -1. */
ptrdiff_t strv_find(struct strv s, struct strv needle);
char *strv_dup(struct arena *a, struct strv s);
/* True if s holds a byte < 0x20 (other than TAB when allow_tab) or 0x7f. */
bool strv_has_ctl(struct strv s, bool allow_tab);

/* ---- sbuf: bounded string buffer ------------------------------------- */

struct sbuf {
	char *data;
	size_t len, cap, max;
	struct arena *arena; /* NULL: malloc-backed, sbuf_free() needed */
	unsigned failed : 1;
	unsigned secret : 1; /* cleanse memory before it is released */
};

/*
 * Start an empty buffer. With an arena, memory comes from it and dies with
 * it; without one, call sbuf_free(). max bounds len (excluding the NUL).
 */
void sbuf_init(struct sbuf *b, struct arena *a, size_t initial, size_t max);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
void sbuf_append(struct sbuf *b, const void *p, size_t n);
void sbuf_append_strv(struct sbuf *b, struct strv s);
void sbuf_append_cstr(struct sbuf *b, const char *s);
void sbuf_append_char(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) PT_PRINTF(2, 3);
void sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap) PT_PRINTF(2, 0);
/* False if any append hit the maximum or the arena's limit. */
bool sbuf_ok(const struct sbuf *b) PT_WARN_UNUSED;
struct strv sbuf_view(const struct sbuf *b);
/* The NUL-terminated contents ("" for an empty buffer). */
const char *sbuf_cstr(const struct sbuf *b);

/* ---- perr: errors ---------------------------------------------------- */

enum perr_kind {
	PERR_OK = 0,
	PERR_INPUT,     /* caller sent something invalid: 400 */
	PERR_AUTH,      /* bad credentials or expired session: 401 */
	PERR_FORBIDDEN, /* CSRF, gate: 403 */
	PERR_NOTFOUND,  /* 404 */
	PERR_METHOD,    /* wrong HTTP method: 405 */
	PERR_CONFLICT,  /* stale state: 409 */
	PERR_LIMIT,     /* size limit: 413 */
	PERR_RATE,      /* too many attempts: 429 */
	PERR_TEMPFAIL,  /* server down or timed out: 503 */
	PERR_REMOTE,    /* server said NO/BAD/5xx: 502 */
	PERR_INTERNAL,  /* bug or local I/O failure: 500 */
	PERR_NOSPACE,   /* disk full or quota (ENOSPC, EDQUOT, SQLITE_FULL): 507
	                 */
};

struct perr {
	enum perr_kind kind;
	const char *msg;   /* arena memory or static; for humans */
	const char *where; /* function that set it */
};

/*
 * Fill *err (if not NULL). The message is formatted into the arena, or
 * into a static fallback if a is NULL or full. Always returns -1 so that
 * `return perr_set(...)` reads naturally.
 */
#define perr_set(err, a, kind, ...)                                            \
	perr_minus_one(perr_set_at((err), (a), (kind), __func__, __VA_ARGS__))
int perr_set_at(struct perr *err, struct arena *a, enum perr_kind kind,
                const char *where, const char *fmt, ...) PT_PRINTF(5, 6);
/*
 * perr_set_at() always returns -1; this says so where every caller can see
 * it, so the compiler and the static analyzer (scripts/lint.sh) know that
 * `return perr_set(...)` fails and do not follow a made-up success path.
 */
static inline int
perr_minus_one(int r)
{
	(void)r;
	return -1;
}
void perr_clear(struct perr *err);
const char *perr_kind_name(enum perr_kind kind);
/*
 * The kind for the errno of a failed local write: a full disk or an
 * exhausted quota is PERR_NOSPACE (507: the client may retry later and
 * nothing was half-written); any other errno is PERR_INTERNAL.
 */
enum perr_kind perr_kind_of_errno(int e);

/* ---- log ------------------------------------------------------------- */

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/*
 * Open the log. path NULL: stderr only. use_syslog: also to syslog with the
 * given ident. Safe to call again (on reload); thread-safe writers.
 */
int log_open(const char *path, bool to_stderr, bool use_syslog,
             enum log_level level, struct perr *err);
void log_close(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_level_parse(const char *s, enum log_level *level_r);
/*
 * Per-thread request context put on every line: "req=ID ip=IP user=ADDR".
 * Pass NULL to clear. The strings must live until cleared.
 */
void log_set_context(const char *req_id, const char *ip, const char *user);
void log_msg(enum log_level level, const char *fmt, ...) PT_PRINTF(2, 3);
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
PT_NORETURN void fatal(const char *fmt, ...) PT_PRINTF(1, 2);

/* ---- allocation that cannot fail ------------------------------------- */

void *pt_xmalloc(size_t n);
void *pt_xcalloc(size_t n, size_t size);
void *pt_xrealloc(void *p, size_t n);
char *pt_xstrdup(const char *s);
char *pt_xstrndup(const char *s, size_t n);

/* ---- small string helpers -------------------------------------------- */

/* Copy with truncation reported: returns false if src did not fit. */
bool pt_strlcpy(char *dst, const char *src, size_t size) PT_WARN_UNUSED;
/* snprintf that returns false on error or truncation. */
bool pt_snprintf_ok(char *dst, size_t size, const char *fmt, ...)
        PT_PRINTF(3, 4) PT_WARN_UNUSED;
/* Parse a decimal unsigned integer <= max; the whole view must be digits. */
bool pt_parse_u64(struct strv s, uint64_t max, uint64_t *out_r) PT_WARN_UNUSED;
/* Parse a size with optional K/M/G suffix ("25M", "1024"). */
bool pt_parse_size(struct strv s, uint64_t *out_r) PT_WARN_UNUSED;
/*
 * write(2) all n bytes, retrying on EINTR and short writes. Returns 0, or
 * -1 with errno set (a write of 0 bytes counts as EIO).
 */
int pt_write_all(int fd, const void *p, size_t n) PT_WARN_UNUSED;
/* Constant-time compare of two equal-length buffers. */
bool pt_memeq_const(const void *a, const void *b, size_t n);
char pt_ascii_tolower(char c);

/* ---- codecs ---------------------------------------------------------- */

/* Lower-case hex of n bytes into the arena. */
char *codec_hex_encode(struct arena *a, const void *p, size_t n);
/*
 * The byte written as two hex digits (either case) at p[0] and p[1], -1
 * when either is not one (p[1] is not read if p[0] is not a digit).
 */
int codec_hex_pair(const char *p);
/*
 * The value of a base64 digit of the standard alphabet, with url also of
 * the URL alphabet ('-' 62, '_' 63); -1 for any other byte ('=' too).
 */
int codec_base64_digit(unsigned char c, bool url);
/* Standard base64 with padding. */
char *codec_base64_encode(struct arena *a, const void *p, size_t n);
/*
 * Base64 of n bytes appended to out in lines of line_len characters (a
 * multiple of 4, e.g. 76 for MIME), each ending in CRLF; nothing for
 * n == 0.
 */
void codec_base64_append_lines(struct sbuf *out, const void *p, size_t n,
                               size_t line_len);
/*
 * Decode base64 (standard or url alphabet, padding optional, whitespace
 * skipped). Returns -1 on an invalid character.
 */
int codec_base64_decode(struct strv in, struct arena *a,
                        struct strv *out_r) PT_WARN_UNUSED;
/*
 * Decode %XX escapes (and '+' as space when plus_is_space). Invalid escapes
 * are an error (-1): a request with them gets a 400.
 */
int codec_url_decode(struct strv in, bool plus_is_space, struct arena *a,
                     struct strv *out_r) PT_WARN_UNUSED;
/* Percent-encode everything but unreserved characters (RFC 3986). */
void codec_url_encode(struct sbuf *out, struct strv in);
/* The entity for one of the five HTML specials (& < > " '), else NULL. */
const char *codec_html_entity(char c);
/* Append in with the five HTML specials as entities (text or attribute). */
void codec_html_escape(struct sbuf *out, struct strv in);
/*
 * in as a JSON string (RFC 8259), quotes included: '"', '\\' and control
 * characters escaped, well-formed UTF-8 as it is, a byte that is not
 * well-formed UTF-8 as \ufffd. For answers written without jansson.
 */
void codec_json_string(struct sbuf *out, struct strv in);

/* ---- UTF-8 (utf8.c) -------------------------------------------------- */

/*
 * Decode the UTF-8 sequence at s (n > 0 bytes left): its length, with the
 * code point in *cp_r, or 0 when the bytes are not well-formed UTF-8
 * (a stray continuation byte, an overlong form, a surrogate, past
 * U+10FFFF, or cut short by n).
 */
size_t codec_utf8_decode(const char *s, size_t n, uint32_t *cp_r);
/*
 * Like codec_utf8_decode() for readers that go on past bad bytes: a byte
 * that does not start a well-formed sequence reads as U+FFFD of length 1.
 * Never returns 0 (n > 0).
 */
size_t codec_utf8_next(const char *s, size_t n, uint32_t *cp_r);
/* True if s is valid UTF-8 (no overlongs, no surrogates). */
bool codec_utf8_valid(struct strv s);
/* Append code point cp (at most 0x10ffff, the caller checks) as UTF-8. */
void codec_utf8_put(struct sbuf *b, uint32_t cp);
/*
 * The largest length <= max at which s (len bytes) can be cut without
 * splitting a character: max itself unless s[max] is a continuation byte.
 * Returns len when max >= len.
 */
size_t codec_utf8_cut(const char *s, size_t len, size_t max);

/* ---- atomic file replacement (file.c) ---------------------------------- */

/*
 * A file written beside its final path and renamed over it, so readers
 * see the old content or the new, never half of either, and a crash
 * leaves the old file:
 *
 *	pt_atomic_open(&f, path, 0640, a, err);    temp file, mode set
 *	... write f.fd (pt_write_all), fchown it, check the target ...
 *	pt_atomic_commit(&f, a, err);    fsync, close, rename, fsync dir
 *
 * or pt_atomic_abort(&f) to drop the temp file. pt_atomic_commit() and
 * pt_atomic_abort() always end f: after either, f.fd is -1 and the temp
 * file is renamed or gone. rename(2) replaces a symlink at path itself,
 * never the file it points at.
 */
struct pt_atomic_file {
	int fd;           /* the temp file, open for writing; -1 when ended */
	const char *path; /* in the caller's arena */
	char *tmp;        /* "<dir>/.<name>.XXXXXX", unique (mkostemp) */
	char *dir;        /* fsync()ed after the rename */
};

/*
 * Create the temp file in path's directory with O_EXCL and the given
 * mode (fchmod, so the umask does not narrow it). PERR_INTERNAL with
 * errno's text when the directory refuses.
 */
int pt_atomic_open(struct pt_atomic_file *f, const char *path, unsigned mode,
                   struct arena *a, struct perr *err) PT_WARN_UNUSED;
/*
 * fsync and close the temp file, rename it over path, fsync the
 * directory. On failure the temp file is removed and path is untouched.
 */
int pt_atomic_commit(struct pt_atomic_file *f, struct arena *a,
                     struct perr *err) PT_WARN_UNUSED;
/* Close and remove the temp file (a no-op once f has ended). */
void pt_atomic_abort(struct pt_atomic_file *f);
/* All three for n bytes at p: path holds exactly them, mode mode. */
int pt_atomic_write(const char *path, const void *p, size_t n, unsigned mode,
                    struct arena *a, struct perr *err) PT_WARN_UNUSED;

/* ---- random and time ------------------------------------------------- */

/* Cryptographically strong bytes (OpenSSL RAND_bytes); fatal on failure. */
void pt_random_bytes(void *buf, size_t n);
/* n random bytes as 2n hex characters in the arena. */
char *pt_random_hex(struct arena *a, size_t n);
/* SHA-256 of n bytes at p as 64 lower-case hex characters in a. */
char *pt_sha256_hex(struct arena *a, const void *p, size_t n);
uint64_t pt_now_ms_monotonic(void);
int64_t pt_now_unix(void);

/* ---- ticker: a thread that runs timed work ---------------------------- */

/*
 * A thread that calls pass(pass_ctx, now) and then sleeps until the time
 * pass returned (Unix seconds; 0 or a past time: nothing is due), but
 * never longer than max_wait seconds, so work that another process
 * added (and cannot kick here) is seen within that time. A kick or stop
 * wakes it at once. The clock is a function: tests pass a movable one
 * and move time instead of sleeping; NULL means pt_now_unix(). pass runs
 * on the ticker's thread only; whatever it needs (a store connection)
 * the caller opens before ticker_start and closes after ticker_stop.
 */
typedef int64_t pt_clock_fn(void *ctx);
typedef int64_t ticker_pass_fn(void *ctx, int64_t now);
struct ticker;

int ticker_start(const char *name, ticker_pass_fn *pass, void *pass_ctx,
                 pt_clock_fn *clock, void *clock_ctx, int64_t max_wait,
                 struct ticker **t_r, struct arena *a,
                 struct perr *err) PT_WARN_UNUSED;
/* Run a pass now (work was added, or a test moved the clock). */
void ticker_kick(struct ticker *t);
/* Kick and wait until a whole pass begun after the kick has ended. */
void ticker_sync(struct ticker *t);
/* The ticker's clock now. */
int64_t ticker_now(const struct ticker *t);
/* Stop and join the thread (a running pass ends first); *tp = NULL.
 * NULL-safe. */
void ticker_stop(struct ticker **tp);

#endif
