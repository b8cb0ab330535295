/*
 * The FIFO transport: newline-terminated records written by anyone who can
 * open the named pipe, fire and forget.
 *
 * ipcd opens the FIFO O_RDWR: holding a write end itself, it never sees
 * end-of-file when the last writer closes (with O_RDONLY the descriptor
 * would stay readable at EOF and the loop would spin).  Writes of at most
 * PIPE_BUF bytes are atomic, so whole records from concurrent writers never
 * interleave; a record split across reads is reassembled by linebuf.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipcd.h"
#include "linebuf.h"
#include "log.h"
#include "node.h"
#include "util.h"

#define FIFO_BUF	(64 * 1024)	/* the pipe's own capacity */
#define FIFO_READS	16		/* reads per wake-up before yielding */

static struct {
	int		 fd;
	int		 created;	/* unlink on close */
	char		 path[PATH_MAX];
	struct event	*ev;
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
fifo_record(const char *line, size_t len)
{
	struct record	 r;
	const char	*cause;

	if (record_parse(line, len, &r, &cause) != 0)
		server_reject(TR_FIFO, cause, NULL);
	else
		(void)server_submit(TR_FIFO, &r, NULL);
}

static void
fifo_read(evutil_socket_t fd, short events, void *arg)
{
	const char	*line;
	size_t		 len;
	ssize_t		 n;
	int		 i, r;

	for (i = 0; i < FIFO_READS; i++) {
		n = linebuf_read(&fifo.lb, fd);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			log_warn("fifo: read");
		if (n <= 0)
			break;
		while ((r = linebuf_next(&fifo.lb, &line, &len)) != 0) {
			if (r == -1)
				server_reject(TR_FIFO, "record longer than "
				    "4096 bytes", NULL);
			else
				fifo_record(line, len);
		}
	}
}

static int
fifo_open(const struct conf *c, char **cause)
{
	struct stat	st;

	if (node_prepare(c->fifo.path, S_IFIFO, cause) != 0)
		return -1;
	fifo.created = 0;
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
	if (linebuf_init(&fifo.lb, FIFO_BUF) != 0) {
		*cause = fmtstr("out of memory");
		goto fail;
	}
	fifo.ev = event_new(server_base(), fifo.fd, EV_READ | EV_PERSIST,
	    fifo_read, NULL);
	if (fifo.ev == NULL || event_add(fifo.ev, NULL) != 0) {
		*cause = fmtstr("cannot watch the FIFO");
		linebuf_free(&fifo.lb);
		goto fail;
	}
	strcpy(fifo.path, c->fifo.path);
	return 0;
fail:
	if (fifo.ev != NULL)
		event_free(fifo.ev);
	fifo.ev = NULL;
	close(fifo.fd);
	fifo.fd = -1;
	if (fifo.created)
		unlink(c->fifo.path);
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
	event_free(fifo.ev);
	fifo.ev = NULL;
	close(fifo.fd);
	fifo.fd = -1;
	if (fifo.created)
		unlink(fifo.path);
	linebuf_free(&fifo.lb);
}

const struct transport tr_fifo = {
	.name = "fifo",
	.enabled = fifo_enabled,
	.changed = fifo_changed,
	.open = fifo_open,
	.close = fifo_close,
};
