/*
 * The FIFO transport: newline-terminated records written by anyone who can
 * open the named pipe, fire and forget.
 *
 * ipcd opens the FIFO O_RDWR: holding a write end itself, it never sees
 * end-of-file when the last writer closes (with O_RDONLY the descriptor
 * would stay readable at EOF and the loop would spin).  Writes of at most
 * PIPE_BUF bytes are atomic, so whole records from concurrent writers never
 * interleave; a record split across reads is reassembled by linebuf.
 *
 * A writer that leaves half a record and goes away would glue it to the
 * next writer's record; since whole records arrive in one write, a partial
 * record that sees no more bytes for PARTIAL_WAIT is dropped and counted
 * instead.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipcd.h"
#include "linebuf.h"
#include "log.h"
#include "node.h"
#include "systemd.h"
#include "util.h"

#define FIFO_BUF	(64 * 1024)	/* bytes per read */
#define FIFO_PIPE_SIZE	(1024 * 1024)	/* asked of the pipe; Linux's default most */
#define FIFO_READS	16		/* reads per wake-up before yielding */
#define PARTIAL_WAIT	1		/* seconds a partial record may wait */

static struct {
	int		 fd;
	int		 created;	/* unlink on close */
	int		 passed;	/* by systemd: not ours to close */
	char		 path[PATH_MAX];
	struct event	*ev;
	struct event	*partial;	/* drops a partial record */
	uint64_t	 nread;		/* bytes ever read */
	uint64_t	 partial_at;	/* nread when the timer was set */
	struct linebuf	 lb;
} fifo = { .fd = -1 };

static int
fifo_enabled(const struct conf *c)
{
	return c->fifo.enabled;
}

static int
fifo_changed(const struct conf *a, const struct conf *b)
{
	return a->fifo.enabled != b->fifo.enabled ||
	    strcmp(a->fifo.path, b->fifo.path) != 0 ||
	    a->fifo.mode != b->fifo.mode ||
	    strcmp(a->fifo.group, b->fifo.group) != 0;
}

static void
fifo_read(evutil_socket_t fd, short events, void *arg)
{
	struct record	 rec;
	const char	*line, *cause;
	size_t		 len;
	ssize_t		 n;
	int		 i, r;

	struct timeval	 wait = { PARTIAL_WAIT, 0 };

	for (i = 0; i < FIFO_READS; i++) {
		n = linebuf_read(&fifo.lb, fd);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			log_warn("fifo: read");
		if (n <= 0)
			break;
		fifo.nread += (uint64_t)n;
		while ((r = linebuf_next(&fifo.lb, &line, &len)) != 0) {
			if (r == -1)
				server_reject(TR_FIFO, server_too_long(), NULL);
			else
				(void)server_take_line(TR_FIFO, line, len,
				    NULL, &rec, &cause);
		}
	}
	if (linebuf_pending(&fifo.lb) > 0 && !evtimer_pending(fifo.partial, NULL)) {
		fifo.partial_at = fifo.nread;
		evtimer_add(fifo.partial, &wait);
	}
}

/* A partial record waited PARTIAL_WAIT: drop it unless bytes came since. */
static void
fifo_partial(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	wait = { PARTIAL_WAIT, 0 };

	if (linebuf_pending(&fifo.lb) == 0)
		return;
	if (fifo.nread != fifo.partial_at) {
		fifo.partial_at = fifo.nread;
		evtimer_add(fifo.partial, &wait);
		return;
	}
	server_reject(TR_FIFO, "record without a newline (its writer went "
	    "away); dropped", NULL);
	linebuf_drop(&fifo.lb);
}

/* Give back what fifo_open took, also when it failed half-way. */
static void
fifo_release(void)
{
	if (fifo.ev != NULL)
		event_free(fifo.ev);
	if (fifo.partial != NULL)
		event_free(fifo.partial);
	fifo.ev = fifo.partial = NULL;
	if (!fifo.passed && fifo.fd != -1)
		close(fifo.fd);
	fifo.fd = -1;
	if (fifo.created)
		unlink(fifo.path);
	linebuf_free(&fifo.lb);
}

static int
fifo_open(const struct conf *c, char **cause)
{
	struct stat	st;

	fifo.created = 0;
	strcpy(fifo.path, c->fifo.path);
	fifo.fd = sysd_take_fifo("fifo", c->fifo.path, cause);
	if (*cause != NULL)
		return -1;
	/* Read-only, it would spin at every writer's close: then open our
	 * own read-write descriptor of the same FIFO. */
	if ((fifo.passed = fifo.fd != -1) &&
	    (fcntl(fifo.fd, F_GETFL) & O_ACCMODE) == O_RDWR)
		goto watch;
	fifo.passed = 0;
	if (node_prepare(c->fifo.path, S_IFIFO, cause) != 0)
		return -1;
	if (mkfifo(c->fifo.path, c->fifo.mode) == 0)
		fifo.created = 1;
	else if (errno != EEXIST) {
		*cause = fmtstr("mkfifo %s: %s", c->fifo.path, strerror(errno));
		return -1;
	}
	fifo.fd = open(c->fifo.path, O_RDWR | O_NONBLOCK | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fifo.fd == -1) {
		*cause = fmtstr("open %s: %s", c->fifo.path, strerror(errno));
		return -1;
	}
	/* The path may have been swapped since node_prepare looked. */
	if (fstat(fifo.fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
		*cause = fmtstr("%s is not a FIFO", c->fifo.path);
		goto fail;
	}
	if (node_perms(fifo.fd, c->fifo.path, c->fifo.mode, c->fifo.group,
	    cause) != 0)
		goto fail;
watch:
	/* A bigger pipe lets writers go on while a commit syncs, and makes
	 * each commit cover more records.  Best effort: the system's
	 * pipe-max-size may refuse it, and the pipe then keeps its size. */
	(void)fcntl(fifo.fd, F_SETPIPE_SZ, FIFO_PIPE_SIZE);
	linebuf_init(&fifo.lb, FIFO_BUF, IPCD_LINE_MAX);
	fifo.ev = event_new(server_base(), fifo.fd, EV_READ | EV_PERSIST,
	    fifo_read, NULL);
	fifo.partial = evtimer_new(server_base(), fifo_partial, NULL);
	if (fifo.ev == NULL || fifo.partial == NULL ||
	    event_add(fifo.ev, NULL) != 0) {
		*cause = fmtstr("cannot watch the FIFO");
		linebuf_free(&fifo.lb);
		goto fail;
	}
	return 0;
fail:
	fifo_release();
	return -1;
}

static void
fifo_close(void)
{
	/* Drain what writers already put in the pipe: it would be lost. */
	fifo_read(fifo.fd, EV_READ, NULL);
	if (linebuf_pending(&fifo.lb) > 0)
		server_reject(TR_FIFO, "record without a newline at shutdown",
		    NULL);
	fifo_release();
}

const struct transport tr_fifo = {
	.name = "fifo",
	.enabled = fifo_enabled,
	.changed = fifo_changed,
	.open = fifo_open,
	.close = fifo_close,
};
