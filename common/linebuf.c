/* Line splitting for the stream transports; see linebuf.h. */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linebuf.h"
#include "proto.h"
#include "xmalloc.h"

void
linebuf_init(struct linebuf *lb, size_t size, size_t max)
{
	memset(lb, 0, sizeof *lb);
	/* The transports pass at most IPCD_LINE_MAX; ipcctl reads longer
	 * lines of standard input. */
	lb->max = max;
	if (size < IPCD_LINE_MAX)
		size = IPCD_LINE_MAX;
	if (size < max)
		size = max;
	lb->buf = xmalloc(size);
	lb->size = size;
}

void
linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

/* One read(2) into the free space, after moving the unconsumed bytes to
 * the front.  Returns what read returned. */
ssize_t
linebuf_read(struct linebuf *lb, int fd)
{
	ssize_t	n;

	if (lb->start > 0) {
		memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
		lb->len -= lb->start;
		lb->start = 0;
	}
	n = read(fd, lb->buf + lb->len, lb->size - lb->len);
	if (n > 0)
		lb->len += (size_t)n;
	return n;
}

/*
 * The next complete line, newline included: 1 and the line, 0 when no
 * complete line is buffered, -1 once for every line longer than lb->max
 * (which is dropped up to and including its newline).
 */
int
linebuf_next(struct linebuf *lb, const char **line, size_t *len)
{
	char	*p, *nl;
	size_t	 avail;

	for (;;) {
		p = lb->buf + lb->start;
		avail = lb->len - lb->start;
		nl = memchr(p, '\n', avail);
		if (nl == NULL) {
			if (avail < lb->max && !lb->skipping)
				return 0;
			/* No newline in lb->max bytes: drop them. */
			lb->start = lb->len = 0;
			if (lb->skipping)
				return 0;
			lb->skipping = 1;
			return -1;
		}
		lb->start += (size_t)(nl - p) + 1;
		if (lb->skipping) {		/* the end of a dropped line */
			lb->skipping = 0;
			continue;
		}
		if ((size_t)(nl - p) + 1 > lb->max)
			return -1;
		*line = p;
		*len = (size_t)(nl - p) + 1;
		return 1;
	}
}

/* Bytes received but not yet returned as a line (a partial line). */
size_t
linebuf_pending(const struct linebuf *lb)
{
	return lb->skipping ? 0 : lb->len - lb->start;
}

/* Forget what is buffered: a partial line, or the rest of an overlong
 * one being skipped (its writer is gone). */
void
linebuf_drop(struct linebuf *lb)
{
	lb->start = lb->len = 0;
	lb->skipping = 0;
}

/* Room for at least N more bytes than are buffered. */
void
linebuf_reserve(struct linebuf *lb, size_t n)
{
	if (lb->size - lb->len >= n)
		return;
	lb->size = lb->len + n;
	lb->buf = xrealloc(lb->buf, lb->size);
}
