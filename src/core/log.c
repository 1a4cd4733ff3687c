/*
 * One log for the process. Lines are formatted into a stack buffer and
 * written with a single write(2) so that lines from worker threads never
 * interleave. The request context is thread-local.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "banned.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;
static bool log_to_stderr = true;
static bool log_to_syslog;
/*
 * Read on every log_msg() by every worker thread and written by a config
 * reload: an atomic, so the read needs no lock and is never torn.
 * Relaxed order is enough, nothing else is published through it.
 */
static _Atomic int log_level = LOG_LVL_INFO;

static _Thread_local const char *ctx_req, *ctx_ip, *ctx_user;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int
log_open(const char *path, bool to_stderr, bool use_syslog,
         enum log_level level, struct perr *err)
{
	int fd = -1, old;

	if (path != NULL) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		          0640);
		if (fd < 0)
			return perr_set(err, NULL, PERR_INTERNAL,
			                "cannot open log");
	}
	pthread_mutex_lock(&log_lock);
	old = log_fd;
	log_fd = fd;
	log_to_stderr = to_stderr;
	if (use_syslog && !log_to_syslog)
		openlog("petrel", LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_to_syslog = use_syslog;
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
	pthread_mutex_unlock(&log_lock);
	if (old >= 0)
		close(old);
	return 0;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	if (log_to_syslog)
		closelog();
	log_to_syslog = false;
	pthread_mutex_unlock(&log_lock);
}

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_level,
	                                            memory_order_relaxed);
}

bool
log_level_parse(const char *s, enum log_level *level_r)
{
	size_t i;

	for (i = 0; i < PT_NELEM(level_names); i++) {
		if (strv_eq_ci_ascii(strv_from_cstr(s),
		                     strv_from_cstr(level_names[i]))) {
			*level_r = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void
log_set_context(const char *req_id, const char *ip, const char *user)
{
	ctx_req = req_id;
	ctx_ip = ip;
	ctx_user = user;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
        PT_PRINTF(2, 0);

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[4096];
	size_t off = 0;
	struct tm tm;
	struct timespec ts;
	int n;
	static const int sys_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO,
	                               LOG_DEBUG};

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	n = snprintf(line + off, sizeof(line) - off,
	             "%s: ", level_names[level]);
	if (n > 0)
		off += (size_t)n;
	if (ctx_req != NULL && off < sizeof(line)) {
		n = snprintf(line + off, sizeof(line) - off, "req=%s ",
		             ctx_req);
		if (n > 0)
			off += (size_t)n;
	}
	if (off < sizeof(line)) {
		n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
		if (n > 0)
			off += (size_t)n;
	}
	if (off < sizeof(line) && (ctx_ip != NULL || ctx_user != NULL)) {
		n = snprintf(line + off, sizeof(line) - off, " (ip=%s user=%s)",
		             ctx_ip != NULL ? ctx_ip : "-",
		             ctx_user != NULL ? ctx_user : "-");
		if (n > 0)
			off += (size_t)n;
	}
	if (off > sizeof(line) - 2)
		off = sizeof(line) - 2;
	/* One line per message, whatever the message contained. */
	for (size_t i = 0; i < off; i++) {
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	}
	line[off++] = '\n';
	line[off] = '\0';

	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		(void)!pt_write_all(log_fd, line, off);
	if (log_to_stderr)
		(void)!pt_write_all(STDERR_FILENO, line, off);
	if (log_to_syslog)
		syslog(sys_prio[level], "%.*s", (int)(off - 1), line + 21);
	pthread_mutex_unlock(&log_lock);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
pt_assert_failed(const char *expr, const char *file, int line)
{
	log_msg(LOG_LVL_ERROR, "assertion failed: %s at %s:%d", expr, file,
	        line);
	abort();
}
