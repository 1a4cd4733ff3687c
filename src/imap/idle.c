/*
 * Waiting for changes on the selected folder: IDLE (RFC 2177), or a NOOP
 * after a quiet wait when the server does not offer IDLE.
 *
 * We poll() the socket and the caller's wake descriptor ourselves rather
 * than use mailstream_wait_idle(): libetpan's fallback waits with
 * select(), which breaks on descriptors >= FD_SETSIZE, and it cannot
 * watch a second descriptor of ours.
 */
#include <errno.h>
#include <poll.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

/* Upper bound for one wait: RFC 2177 asks clients to re-IDLE within 29 min. */
#define IDLE_MAX_MS (29 * 60 * 1000)

/*
 * True if the responses of the last command said the selected folder
 * changed: EXISTS (new mail or a shrink), EXPUNGE or FETCH (flags).
 * libetpan rebuilds imap_response_info for every command, and
 * mailimap_idle() clears sel_has_exists, so both start from zero.
 */
static bool
saw_change(const struct imap_conn *c, uint32_t exists_before)
{
	const struct mailimap_selection_info *si = c->imap->imap_selection_info;
	const struct mailimap_response_info *ri = c->imap->imap_response_info;

	if (si != NULL && si->sel_has_exists && si->sel_exists != exists_before)
		return true;
	if (ri == NULL)
		return false;
	if (ri->rsp_expunged != NULL && clist_count(ri->rsp_expunged) > 0)
		return true;
	if (ri->rsp_fetch_list != NULL && clist_count(ri->rsp_fetch_list) > 0)
		return true;
	return false;
}

static uint32_t
exists_now(const struct imap_conn *c)
{
	const struct mailimap_selection_info *si = c->imap->imap_selection_info;

	return si != NULL ? si->sel_exists : 0;
}

/*
 * Wait for the server's fd or the wake fd. Returns 1 (server data), 2
 * (woken), 0 (timeout) or -1 (poll failed).
 */
static int
wait_two(int fd, int wake_fd, int timeout_ms)
{
	struct pollfd pfd[2];
	nfds_t n = 0;
	int r;

	if (fd >= 0) {
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	if (wake_fd >= 0) {
		pfd[n].fd = wake_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	do {
		r = poll(pfd, n, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	/* The server first: a change that raced with a wake is not lost. */
	if (fd >= 0 && pfd[0].revents != 0)
		return 1;
	return 2;
}

static int
noop_wait(struct imap_conn *c, int timeout_ms, int wake_fd, bool *changed_r,
          struct perr *err)
{
	struct arena *a = imapc_scratch(c);
	uint32_t before = exists_now(c);
	int w, r;

	w = wait_two(-1, wake_fd, timeout_ms);
	if (w < 0)
		return perr_set(err, a, PERR_INTERNAL, "poll failed");
	if (w == 2)
		return 1;
	r = mailimap_noop(c->imap);
	if (r != MAILIMAP_NO_ERROR) {
		c->broken = true;
		return imapc_fail(c, r, a, PERR_TEMPFAIL, "NOOP", err);
	}
	*changed_r = saw_change(c, before);
	if (*changed_r)
		c->sel_stale = true;
	return 0;
}

int
imap_idle_wait(struct imap_conn *c, int timeout_ms, int wake_fd,
               bool *changed_r, struct perr *err)
{
	struct arena *a = imapc_scratch(c);
	uint32_t before;
	int fd, w, r;
	bool woken = false;

	*changed_r = false;
	if (imapc_check_usable(c, a, err) != 0)
		return -1;
	if (c->selected == NULL)
		return perr_set(err, a, PERR_INTERNAL,
		                "IDLE without a selected folder");
	if (timeout_ms <= 0 || timeout_ms > IDLE_MAX_MS)
		timeout_ms = IDLE_MAX_MS;
	if (!imap_has_cap(c, IMAP_CAP_IDLE))
		return noop_wait(c, timeout_ms, wake_fd, changed_r, err);

	before = exists_now(c);
	r = mailimap_idle(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "IDLE", err);
	/*
	 * Bytes that came with the continuation are already buffered and
	 * poll() would not see them: go straight to DONE.
	 */
	if (!net_stream_has_pending(c->imap->imap_stream)) {
		fd = net_stream_fd(c->imap->imap_stream);
		if (fd < 0) {
			c->broken = true;
			return perr_set(err, a, PERR_TEMPFAIL,
			                "IMAP connection lost");
		}
		w = wait_two(fd, wake_fd, timeout_ms);
		if (w < 0) {
			c->broken = true;
			return perr_set(err, a, PERR_INTERNAL, "poll failed");
		}
		woken = w == 2;
	}
	/*
	 * DONE ends IDLE whatever woke us; the untagged responses that
	 * arrived meanwhile are parsed with its answer. The connection is
	 * back in the selected state afterwards.
	 */
	r = mailimap_idle_done(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_TEMPFAIL, "DONE", err);
	*changed_r = saw_change(c, before);
	if (*changed_r)
		c->sel_stale = true;
	return woken && !*changed_r ? 1 : 0;
}
