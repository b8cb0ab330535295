/*
 * The FIFO transport: newline-terminated records written by anyone who can
 * open the named pipe, fire and forget.
 *
 * ipcd opens the FIFO O_RDWR: holding a write end itself, it never sees
 * end-of-file when the last writer closes (with O_RDONLY the descriptor
 * would stay readable at EOF and the loop would spin).
 *
 * A pipe keeps no trace of who wrote which bytes, so the rule for records
 * rests on what Linux does promise.  A writer copies into the pipe holding
 * the pipe's lock, and a write of at most PIPE_BUF bytes either fits whole
 * or copies nothing (it waits, or fails with EAGAIN): it is never split by
 * another writer's bytes, nor half-seen by a reader.  A read copies under
 * the same lock and returns when its buffer is full or the pipe is empty,
 * whichever comes first.  So a read that returns less than it asked for
 * emptied the pipe, and every atomic write is then wholly in the bytes
 * read so far or wholly after them.  fifo_fill reads until that happens:
 * with a buffer one byte bigger than the pipe (F_GETPIPE_SZ), one read
 * does it; should someone make the pipe bigger, the buffer grows and
 * reading goes on.
 *
 * A writer that writes whole records, each write ending with a newline,
 * thus never leaves bytes after the last newline of such a run; whatever
 * is there is a piece of a record written in several writes (or of a
 * write above PIPE_BUF that met a full pipe).  It is rejected, counted,
 * and never put in front of the next run, where it would join another
 * writer's record.  Nothing is carried from one run to the next.
 *
 * What no reader can tell: a piece followed by another writer's record
 * before ipcd reads is byte for byte one record written whole, and the
 * rest of a record written in pieces, newline-terminated, reads as a
 * record of its own.  Hence the contract: one record or more per write,
 * whole, at most PIPE_BUF bytes.  ipcd must also be the FIFO's only
 * reader (the default mode gives no read permission to others).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "linebuf.h"
#include "log.h"
#include "node.h"
#include "systemd.h"
#include "util.h"

#define FIFO_PIPE_SIZE	(1024 * 1024)	/* asked of the pipe; Linux's default most */
#define FIFO_READS	16		/* runs per wake-up before yielding */
#define FIFO_PIECE	"record cut short: no newline at the end of what " \
			"was in the FIFO (write each record whole, in one write)"

static struct {
	int		 fd;
	int		 created;	/* unlink on close */
	int		 passed;	/* by systemd: not ours to close */
	char		 path[PATH_MAX];
	struct event	*ev;
	struct linebuf	 lb;
} fifo = { .fd = -1 };

/* The pipe's size in bytes: it never holds more. */
static size_t
fifo_pipe_size(int fd)
{
	int	size;

	size = fcntl(fd, F_GETPIPE_SZ);
	return size > 0 ? (size_t)size : FIFO_PIPE_SIZE;
}

/*
 * Read until a read returns less than it asked for, which means the pipe
 * was empty then (see above).  Returns the bytes read, or what the first
 * read returned when it got none.
 */
static ssize_t
fifo_fill(int fd)
{
	size_t	ask;
	ssize_t	n, total = 0;

	for (;;) {
		ask = fifo.lb.size - fifo.lb.len;
		n = linebuf_read(&fifo.lb, fd);
		if (n <= 0)
			return total > 0 ? total : n;
		total += n;
		if ((size_t)n < ask)
			return total;
		/* The pipe held more than the buffer: it was made bigger
		 * since ipcd sized the buffer. */
		linebuf_reserve(&fifo.lb, fifo_pipe_size(fd) + 1);
	}
}

/* The records of one run; a piece after its last newline is rejected. */
static void
fifo_take(void)
{
	struct record	 rec;
	const char	*line, *cause;
	size_t		 len;
	int		 r;

	while ((r = linebuf_next(&fifo.lb, &line, &len)) != 0) {
		if (r == -1)
			server_reject(TR_FIFO, RJ_TOO_LONG, server_too_long(),
			    NULL);
		else
			(void)server_take_line(TR_FIFO, line, len, NULL, &rec,
			    &cause);
	}
	if (linebuf_pending(&fifo.lb) > 0)
		server_reject(TR_FIFO, RJ_MALFORMED, FIFO_PIECE, NULL);
	linebuf_drop(&fifo.lb);
}

static void
fifo_read(evutil_socket_t fd, short events, void *arg)
{
	ssize_t	n;
	int	i;

	for (i = 0; i < FIFO_READS; i++) {
		n = fifo_fill(fd);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			log_warn("fifo: read");
		if (n <= 0)
			break;
		fifo_take();
	}
}

/* Give back what fifo_open took, also when it failed half-way. */
static void
fifo_release(void)
{
	if (fifo.ev != NULL)
		event_free(fifo.ev);
	fifo.ev = NULL;
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
	/* One byte more than the pipe holds: one read empties it. */
	linebuf_init(&fifo.lb, fifo_pipe_size(fifo.fd) + 1, IPCD_LINE_MAX);
	fifo.ev = event_new(server_base(), fifo.fd, EV_READ | EV_PERSIST,
	    fifo_read, NULL);
	if (fifo.ev == NULL || event_add(fifo.ev, NULL) != 0) {
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
	fifo_release();
}

/* Before the commit that precedes the close: take what writers already
 * put in the pipe, which would be lost. */
static void
fifo_drain(void)
{
	fifo_read(fifo.fd, EV_READ, NULL);
}

/*
 * A new mode or group, applied to the FIFO in place: writers keep their
 * descriptors, and those opening the path find the same FIFO (replacing
 * it would kill a writer with SIGPIPE, or leave one blocked in open(2) on
 * a FIFO nobody reads).
 */
static int
fifo_update(const struct conf *old, const struct conf *new, char **cause)
{
	if (old->fifo.mode == new->fifo.mode &&
	    strcmp(old->fifo.group, new->fifo.group) == 0)
		return 0;
	if (fifo.passed) {
		*cause = fmtstr("%s was passed by systemd: its socket unit "
		    "sets its mode and group", fifo.path);
		return -1;
	}
	if (node_perms(fifo.fd, fifo.path, new->fifo.mode, new->fifo.group,
	    cause) != 0)
		return -1;
	/* No group given: the one a new FIFO would get, ipcd's. */
	if (new->fifo.group[0] == '\0' && old->fifo.group[0] != '\0' &&
	    fchown(fifo.fd, (uid_t)-1, getegid()) != 0) {
		*cause = fmtstr("chown %s: %s", fifo.path, strerror(errno));
		return -1;
	}
	return 0;
}

const struct transport tr_fifo = {
	.name = "fifo", TR_CONF(fifo, path),
	.open = fifo_open, .close = fifo_close,
	.drain = fifo_drain, .update = fifo_update,
};
