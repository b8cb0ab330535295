/*
 * The textfile export, for node_exporter's textfile collector on hosts
 * that must not open a port: every [export] interval the metrics, in the
 * text format, are written to a temporary file beside the target, synced,
 * and renamed over it, so that a reader finds the previous file or the
 * new one whole, never a part.  A piece is written per loop pass (a timer
 * of no delay, re-armed while more is to come): a hundred thousand keys
 * never hold the loop.  A failure is logged with its cause, at most once
 * a minute, removes the temporary file and never stops ipcd; the next
 * interval tries again.  The file replaced is held open across the rename
 * and freed a piece per pass (freeing 20 MB at once takes ext4 some 8 ms
 * of the loop), unless another process has it open: a reader of the old
 * file reads it whole, and its close frees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "daemon.h"
#include "export.h"
#include "log.h"
#include "metrics.h"

#define EXPORT_PIECE		(16 * 1024)	/* bytes made per pass */
#define EXPORT_KICK		(1024 * 1024)	/* bytes between writebacks */
#define EXPORT_WARN_INTERVAL	60	/* seconds between failure reports */
#define EXPORT_MODE		0644	/* node_exporter runs as another user */
#define EXPORT_FREE		(1024 * 1024)	/* bytes of the old file freed
						   per pass */

static struct {
	char		 path[PATH_MAX];	/* the target; "": no export */
	char		 tmp[PATH_MAX + 16];	/* hidden, not a .prom */
	long		 interval;
	struct event	*timer;		/* every interval */
	struct event	*step;		/* a piece, next pass */
	struct metrics	*m;		/* the write under way, or NULL */
	struct evbuffer	*buf;
	int		 fd;		/* the temporary file, or -1 */
	off_t		 written;	/* to it */
	off_t		 kicked;	/* its writeback started up to */
	struct event	*shrink;	/* a piece of the old file, next pass */
	int		 oldfd;		/* the file replaced, or -1 */
	off_t		 oldsize;	/* what is left of it */
	int		 failing;	/* the last write failed */
	time_t		 last_warn;
	unsigned long	 unlogged;	/* failures since */
} ex = { .fd = -1, .oldfd = -1 };

static void
drop_old(void)
{
	if (ex.shrink != NULL)
		evtimer_del(ex.shrink);
	if (ex.oldfd != -1)
		close(ex.oldfd);
	ex.oldfd = -1;
}

/* A piece of the file replaced: unlinked, open by ipcd alone. */
static void
on_free(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	now = { 0, 0 };

	ex.oldsize -= ex.oldsize < EXPORT_FREE ? ex.oldsize : EXPORT_FREE;
	if (ex.oldsize == 0 || ftruncate(ex.oldfd, ex.oldsize) != 0)
		drop_old();
	else
		evtimer_add(ex.shrink, &now);
}

/*
 * The rename has replaced OLD (the target opened before it, or -1): free
 * it a piece per pass if it is linked nowhere and no other process has it
 * open (a write lease is refused while any has; none can open it after).
 */
static void
free_old(int old)
{
	struct stat	sb;

	drop_old();
	if (old == -1)
		return;
	if (fstat(old, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_nlink != 0 ||
	    fcntl(old, F_SETLEASE, F_WRLCK) != 0) {
		close(old);
		return;
	}
	(void)fcntl(old, F_SETLEASE, F_UNLCK);
	ex.oldfd = old;
	ex.oldsize = sb.st_size;
	on_free(-1, 0, NULL);
}

/* Drop the write under way, and its temporary file. */
static void
abandon(void)
{
	if (ex.step != NULL)
		evtimer_del(ex.step);
	if (ex.m != NULL)
		metrics_free(ex.m);
	ex.m = NULL;
	if (ex.buf != NULL)
		evbuffer_drain(ex.buf, evbuffer_get_length(ex.buf));
	if (ex.fd != -1) {
		close(ex.fd);
		ex.fd = -1;
		(void)unlink(ex.tmp);
	}
}

/* WHAT failed with ERROR: say so, at most once a minute; give up this
 * write. */
static void
failed(const char *what, const char *file, int error)
{
	time_t	now = time(NULL);

	abandon();
	ex.failing = 1;
	if (now - ex.last_warn < EXPORT_WARN_INTERVAL) {
		ex.unlogged++;
		return;
	}
	if (ex.unlogged > 0)
		log_warnx("export: cannot %s %s: %s (and %lu more failures "
		    "since the last report); retrying every %ld s", what, file,
		    strerror(error), ex.unlogged, ex.interval);
	else
		log_warnx("export: cannot %s %s: %s; retrying every %ld s",
		    what, file, strerror(error), ex.interval);
	ex.last_warn = now;
	ex.unlogged = 0;
}

/* The temporary file: made anew, never through a symbolic link.  One
 * left by a killed ipcd is removed first (unlink removes a link, not
 * what it points to). */
static int
create_tmp(void)
{
	int	fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(ex.tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, EXPORT_MODE);
		if (fd != -1 || errno != EEXIST || unlink(ex.tmp) != 0)
			break;
	}
	return fd;
}

static void
schedule(void)
{
	struct timeval	now = { 0, 0 };

	evtimer_add(ex.step, &now);
}

/* Every interval: begin a write, unless one is still under way. */
static void
on_interval(evutil_socket_t fd, short events, void *arg)
{
	if (ex.m != NULL)
		return;
	if ((ex.fd = create_tmp()) == -1) {
		failed("create", ex.tmp, errno);
		return;
	}
	/* Readable by node_exporter whatever ipcd's umask. */
	if (fchmod(ex.fd, EXPORT_MODE) != 0) {
		failed("chmod", ex.tmp, errno);
		return;
	}
	ex.m = metrics_begin(MF_TEXTFILE);
	ex.written = ex.kicked = 0;
	schedule();
}

/* The file about to be replaced, if a regular one, never through a
 * symbolic link. */
static int
open_old(void)
{
	struct stat	sb;

	if (lstat(ex.path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return -1;
	return open(ex.path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
}

/* The write is whole: make it durable, then put it in place. */
static void
finish(void)
{
	int	r, error, old;

	if (fsync(ex.fd) != 0) {
		failed("sync", ex.tmp, errno);
		return;
	}
	r = close(ex.fd);
	ex.fd = -1;
	old = open_old();
	if (r != 0 || rename(ex.tmp, ex.path) != 0) {
		error = errno;
		if (old != -1)
			close(old);
		(void)unlink(ex.tmp);
		failed(r != 0 ? "write" : "rename over", r != 0 ? ex.tmp :
		    ex.path, error);
		return;
	}
	free_old(old);
	metrics_free(ex.m);
	ex.m = NULL;
	if (ex.failing)
		log_info("export: %s written again", ex.path);
	ex.failing = 0;
}

/* One piece of the write: made, then written out. */
static void
on_step(evutil_socket_t fd, short events, void *arg)
{
	int	more, n;

	more = metrics_next(ex.m, ex.buf, EXPORT_PIECE);
	while (evbuffer_get_length(ex.buf) > 0) {
		if ((n = evbuffer_write(ex.buf, ex.fd)) == -1) {
			if (errno == EINTR)
				continue;
			failed("write", ex.tmp, errno);
			return;
		}
		ex.written += n;
	}
	/* Start the writeback as the file grows, so that the fsync at its
	 * end has little left to do. */
	if (ex.written - ex.kicked >= EXPORT_KICK) {
		(void)sync_file_range(ex.fd, ex.kicked, ex.written - ex.kicked,
		    SYNC_FILE_RANGE_WRITE);
		ex.kicked = ex.written;
	}
	if (more)
		schedule();
	else
		finish();
}

/* Make the temporary file's name: ".NAME.tmp" beside PATH. */
static void
tmp_name(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(ex.tmp, sizeof ex.tmp, ".%s.tmp", path);
	else
		snprintf(ex.tmp, sizeof ex.tmp, "%.*s.%s.tmp",
		    (int)(slash + 1 - path), path, slash + 1);
}

void
export_apply(const struct conf *c)
{
	struct timeval	tv = { 0, 0 };
	struct event_base *base = server_base();

	if (strcmp(ex.path, c->export_.textfile) == 0 &&
	    ex.interval == c->export_.interval)
		return;
	abandon();
	if (ex.timer != NULL)
		event_del(ex.timer);
	snprintf(ex.path, sizeof ex.path, "%s", c->export_.textfile);
	ex.interval = c->export_.interval;
	ex.failing = 0;
	ex.last_warn = 0;
	ex.unlogged = 0;
	if (ex.path[0] == '\0')
		return;
	tmp_name(ex.path);
	if (ex.timer == NULL) {
		ex.timer = event_new(base, -1, EV_PERSIST, on_interval, NULL);
		ex.step = evtimer_new(base, on_step, NULL);
		ex.shrink = evtimer_new(base, on_free, NULL);
		ex.buf = evbuffer_new();
		if (ex.timer == NULL || ex.step == NULL || ex.shrink == NULL ||
		    ex.buf == NULL)
			fatalx("export: cannot make its events");
	}
	tv.tv_sec = ex.interval;
	if (event_add(ex.timer, &tv) != 0)
		fatalx("export: cannot add its timer");
	log_info("export: metrics to %s every %ld s", ex.path, ex.interval);
	/* The first write at once, not an interval later. */
	on_interval(-1, 0, NULL);
}

void
export_stop(void)
{
	abandon();
	drop_old();
	if (ex.timer == NULL)
		return;
	event_free(ex.timer);
	event_free(ex.step);
	event_free(ex.shrink);
	evbuffer_free(ex.buf);
	ex.timer = ex.step = ex.shrink = NULL;
	ex.buf = NULL;
	ex.path[0] = '\0';
	ex.interval = 0;
}
