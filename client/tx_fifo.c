/*
 * Submitting over the FIFO: whole records packed into writes of at most
 * PIPE_BUF bytes, which the kernel keeps atomic; non-blocking, a full
 * pipe waited for.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "send.h"
#include "util.h"
#include "xmalloc.h"

struct fifo_tx {
	int			 fd;
	const struct target	*tg;
	size_t			 len;
	unsigned long		 nrec;		/* records in buf */
	char			 buf[PIPE_BUF];
};

static void *
fifo_open(const struct target *tg, char **cause)
{
	const char	*path = tg->conf->fifo.path;
	struct fifo_tx	*f;
	int		 fd;

	/* Non-blocking, and it stays so: with no reader open fails with
	 * ENXIO instead of hanging until ipcd starts, and a full pipe is
	 * waited for with poll, at most the timeout. */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		*cause = fmtstr("%s: %s%s", path, strerror(errno),
		    errno == ENXIO || errno == ENOENT ?
		    " (nobody reads the FIFO: is ipcd running?)" : "");
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->fd = fd;
	f->tg = tg;
	return f;
}

/*
 * write(2) without SIGPIPE: a FIFO nobody reads any more is an EPIPE to
 * report, never a signal in the program the sender is part of (ipcctl
 * ignores SIGPIPE; a program linking libipcd need not).  The signal is
 * blocked in this thread for the write, and taken back if it raised one.
 */
static ssize_t
write_nosignal(int fd, const void *buf, size_t len)
{
	static const struct timespec	 zero = { 0, 0 };
	sigset_t			 pipe, old, pending;
	ssize_t				 n;
	int				 saved, was_pending;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	n = write(fd, buf, len);
	saved = errno;
	if (n == -1 && errno == EPIPE && !was_pending)
		while (sigtimedwait(&pipe, NULL, &zero) == -1 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

static int
fifo_flush(struct fifo_tx *f, struct tally *t)
{
	char	*cause;
	ssize_t	 n;

	/* One write of at most PIPE_BUF bytes: all or nothing, never
	 * interleaved with another writer's. */
	while (f->len > 0) {
		n = write_nosignal(f->fd, f->buf, f->len);
		if (n == (ssize_t)f->len) {
			f->len = 0;
			break;
		}
		if (n == -1 && errno == EAGAIN) {
			if (fd_wait(f->fd, POLLOUT, f->tg->timeout, "room in the FIFO",
			    &cause) == 0)
				break;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		cause = fmtstr("cannot write to the FIFO: %s",
		    n == -1 ? strerror(errno) : "short write");
		break;
	}
	if (f->len > 0) {
		/* They were counted when buffered, and are lost. */
		t->accepted -= f->nrec;
		f->len = f->nrec = 0;
		return tally_fail(t, cause);
	}
	f->nrec = 0;
	return 0;
}

static int
fifo_put(void *arg, const struct record *r, const char *line, size_t len,
    struct tally *t)
{
	struct fifo_tx	*f = arg;
	char		 buf[IPCD_LINE_MAX];

	if (tx_line(r, &line, &len, sizeof f->buf, buf) != 0)
		return tally_fail(t, fmtstr("a record longer than %zu bytes",
		    sizeof f->buf));
	if (f->len + len > sizeof f->buf && fifo_flush(f, t) != 0)
		return -1;
	memcpy(f->buf + f->len, line, len);
	f->len += len;
	f->nrec++;
	t->accepted++;		/* as far as anyone can tell */
	return 0;
}

static int
fifo_flush_tx(void *arg, struct tally *t)
{
	return fifo_flush(arg, t);
}

static int
fifo_close(void *arg, struct tally *t)
{
	struct fifo_tx	*f = arg;
	int		 r = fifo_flush(f, t);

	close(f->fd);
	free(f);
	return r;
}

const struct sender tx_fifo = {
	"fifo", fifo_open, fifo_put, fifo_flush_tx, fifo_close, 0
};
