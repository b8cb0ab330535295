/*
 * Submitting records over a chosen transport.  One small interface, one
 * implementation per transport:
 *
 *   unix  pipelined: requests go out while replies are read as they come,
 *         up to WINDOW outstanding, so a stream costs no round trip per value;
 *   fifo  whole records packed into writes of at most PIPE_BUF bytes, which
 *         the kernel keeps atomic;
 *   mq    one message per record;
 *   shm   records published into a ring of the shared segment (common/shm.c).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipcctl.h"
#include "shm.h"

#define WINDOW		1024	/* socket requests in flight */
#define MQ_TIMEOUT	10	/* seconds a full queue may block a send */

struct sender {
	const char	*name;
	void		*(*open)(const char **);
	int		(*put)(void *, const struct record *, struct tally *);
	/* Send what put buffered, now: the input has gone quiet. */
	int		(*flush)(void *, struct tally *);
	int		(*close)(void *, struct tally *);
};

/* --- unix ------------------------------------------------------------ */

struct unix_tx {
	struct conn	conn;
	char		out[64 * 1024];
	size_t		outlen;
	struct record	inflight[WINDOW];	/* to name a rejected value */
	unsigned	first, count;
	int		quiet;		/* nothing put since the last flush */
};

static void *
unix_open(const char **cause)
{
	struct unix_tx	*u;

	if ((u = calloc(1, sizeof *u)) == NULL) {
		*cause = "out of memory";
		return NULL;
	}
	if (conn_open(&u->conn, cfg.unix_.path) != 0) {
		*cause = errno == ENOENT || errno == ECONNREFUSED ?
		    "cannot connect to the socket (is ipcd running?)" :
		    "cannot connect to the socket";
		free(u);
		return NULL;
	}
	return u;
}

static void
unix_reply(struct unix_tx *u, const char *line, struct tally *t)
{
	const struct record	*r = &u->inflight[u->first];
	char			 v[32];

	double_format(v, sizeof v, r->value);
	switch (reply_status(line)) {
	case 0:
		t->accepted++;
		break;
	case 1:
		t->duplicates++;
		fprintf(stderr, "ipcctl: key %s part %u/%u was already "
		    "received; not counted again\n", r->key, r->part, r->nparts);
		break;
	default:
		t->rejected++;
		fprintf(stderr, "ipcctl: %s %s: %s\n", r->key, v,
		    strncmp(line, "err ", 4) == 0 ? strchr(line + 4, ' ') != NULL ?
		    strchr(line + 4, ' ') + 1 : line : line);
		break;
	}
	u->first = (u->first + 1) % WINDOW;
	u->count--;
}

/* Move bytes both ways until the output is gone (or, with !all, until
 * there is room for more); replies are consumed as they arrive. */
static int
unix_pump(struct unix_tx *u, struct tally *t, int all)
{
	struct pollfd	 pfd = { .fd = u->conn.fd };
	char		*line, *nl;
	ssize_t		 n;

	while (all ? u->outlen > 0 || u->count > 0 :
	    u->outlen > sizeof u->out / 2 || u->count == WINDOW) {
		pfd.events = POLLIN | (u->outlen > 0 ? POLLOUT : 0);
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd.revents & POLLOUT) {
			n = write(u->conn.fd, u->out, u->outlen);
			if (n == -1 && errno != EINTR && errno != EAGAIN)
				return -1;
			if (n > 0) {
				memmove(u->out, u->out + n, u->outlen - (size_t)n);
				u->outlen -= (size_t)n;
			}
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			struct conn *c = &u->conn;

			if (c->start > 0) {
				memmove(c->buf, c->buf + c->start, c->len - c->start);
				c->len -= c->start;
				c->start = 0;
			}
			n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
			if (n <= 0)
				return n == -1 && errno == EINTR ? 0 : -1;
			c->len += (size_t)n;
			while ((nl = memchr(c->buf + c->start, '\n',
			    c->len - c->start)) != NULL) {
				*nl = '\0';
				line = c->buf + c->start;
				c->start = (size_t)(nl - c->buf) + 1;
				if (u->count > 0)
					unix_reply(u, line, t);
			}
		}
	}
	return 0;
}

static int
unix_put(void *arg, const struct record *r, struct tally *t)
{
	struct unix_tx	*u = arg;
	int		 n;

	if (unix_pump(u, t, 0) != 0)
		return -1;
	memcpy(u->out + u->outlen, "submit ", 7);
	n = record_format(u->out + u->outlen + 7,
	    sizeof u->out - u->outlen - 7, r);
	if (n < 0)
		return -1;
	u->outlen += 7 + (size_t)n;
	u->inflight[(u->first + u->count) % WINDOW] = *r;
	u->count++;
	u->quiet = 0;
	return 0;
}

/* Send every request and read every reply.  Called again with nothing
 * put since, the input is still quiet: a ping then keeps ipcd from
 * dropping the connection as idle ([limits] idle_timeout). */
static int
unix_flush(void *arg, struct tally *t)
{
	struct unix_tx	*u = arg;
	char		*reply;

	if (unix_pump(u, t, 1) != 0)
		return -1;
	if (u->quiet && conn_request(&u->conn, &reply, "ping") != 0)
		return -1;
	u->quiet = 1;
	return 0;
}

static int
unix_close(void *arg, struct tally *t)
{
	struct unix_tx	*u = arg;
	int		 r;

	r = unix_pump(u, t, 1);
	if (r != 0)
		fprintf(stderr, "ipcctl: lost the connection to ipcd with %u "
		    "submissions unanswered\n", u->count);
	conn_close(&u->conn);
	free(u);
	return r;
}

/* --- fifo ------------------------------------------------------------ */

struct fifo_tx {
	int	fd;
	size_t	len;
	char	buf[PIPE_BUF];
};

static void *
fifo_open(const char **cause)
{
	struct fifo_tx	*f;
	int		 fd;

	/* Non-blocking first: with no reader, open fails with ENXIO instead
	 * of hanging until ipcd starts. */
	fd = open(cfg.fifo.path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		*cause = errno == ENXIO || errno == ENOENT ?
		    "nobody reads the FIFO (is ipcd running?)" :
		    "cannot open the FIFO";
		return NULL;
	}
	if (fcntl(fd, F_SETFL, 0) == -1 || (f = calloc(1, sizeof *f)) == NULL) {
		close(fd);
		*cause = "cannot set up the FIFO";
		return NULL;
	}
	f->fd = fd;
	return f;
}

static int
fifo_flush(struct fifo_tx *f)
{
	ssize_t	n;

	if (f->len == 0)
		return 0;
	/* One write of at most PIPE_BUF bytes: all or nothing, never
	 * interleaved with another writer's. */
	do
		n = write(f->fd, f->buf, f->len);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)f->len)
		return -1;
	f->len = 0;
	return 0;
}

static int
fifo_put(void *arg, const struct record *r, struct tally *t)
{
	struct fifo_tx	*f = arg;
	char		 line[IPCD_LINE_MAX];
	int		 n;

	if ((n = record_format(line, sizeof line, r)) < 0)
		return -1;
	if (f->len + (size_t)n > sizeof f->buf && fifo_flush(f) != 0)
		return -1;
	memcpy(f->buf + f->len, line, (size_t)n);
	f->len += (size_t)n;
	t->accepted++;		/* as far as anyone can tell */
	return 0;
}

static int
fifo_flush_tx(void *arg, struct tally *t)
{
	return fifo_flush(arg);
}

static int
fifo_close(void *arg, struct tally *t)
{
	struct fifo_tx	*f = arg;
	int		 r = fifo_flush(f);

	close(f->fd);
	free(f);
	return r;
}

/* --- mq -------------------------------------------------------------- */

static void *
mq_open_tx(const char **cause)
{
	mqd_t	*m;

	if ((m = malloc(sizeof *m)) == NULL) {
		*cause = "out of memory";
		return NULL;
	}
	*m = mq_open(cfg.mq.name, O_WRONLY | O_CLOEXEC);
	if (*m == (mqd_t)-1) {
		*cause = errno == ENOENT ?
		    "no message queue (is ipcd running?)" :
		    "cannot open the message queue";
		free(m);
		return NULL;
	}
	return m;
}

static int
mq_put(void *arg, const struct record *r, struct tally *t)
{
	mqd_t		*m = arg;
	char		 line[IPCD_LINE_MAX];
	struct timespec	 ts;
	int		 n;

	if ((n = record_format(line, sizeof line, r)) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += MQ_TIMEOUT;
	while (mq_timedsend(*m, line, (size_t)n, 0, &ts) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == ETIMEDOUT)
			fprintf(stderr, "ipcctl: the message queue stayed full "
			    "for %d s (is ipcd running?)\n", MQ_TIMEOUT);
		else
			perror("ipcctl: mq_send");
		return -1;
	}
	t->accepted++;
	return 0;
}

static int
mq_flush_tx(void *arg, struct tally *t)
{
	return 0;	/* every record went out as its own message */
}

static int
mq_close_tx(void *arg, struct tally *t)
{
	mqd_t	*m = arg;

	mq_close(*m);
	free(m);
	return 0;
}

/* --- shm ------------------------------------------------------------- */

static void *
shm_open_tx(const char **cause)
{
	struct shm_producer	*p;

	if ((p = malloc(sizeof *p)) == NULL) {
		*cause = "out of memory";
		return NULL;
	}
	if (shm_attach(p, cfg.shm.name, 0, cause) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

static int
shm_put_tx(void *arg, const struct record *r, struct tally *t)
{
	const char	*cause;

	if (shm_put(arg, r, &cause) != 0) {
		fprintf(stderr, "ipcctl: shm: %s\n", cause);
		return -1;
	}
	t->accepted++;
	return 0;
}

/* Ring the doorbell for what is in the ring. */
static int
shm_flush_tx(void *arg, struct tally *t)
{
	shm_flush(arg);
	return 0;
}

/* Returns only once ipcd has committed every record put, or says how
 * many it may not have. */
static int
shm_close_tx(void *arg, struct tally *t)
{
	char	err[256];
	int	r;

	if ((r = shm_detach(arg, err, sizeof err)) != 0)
		fprintf(stderr, "ipcctl: shm: %s\n", err);
	free(arg);
	return r;
}

/* --- the table ------------------------------------------------------- */

static const struct sender senders[] = {
	{ "unix", unix_open, unix_put, unix_flush, unix_close },
	{ "fifo", fifo_open, fifo_put, fifo_flush_tx, fifo_close },
	{ "mq", mq_open_tx, mq_put, mq_flush_tx, mq_close_tx },
	{ "shm", shm_open_tx, shm_put_tx, shm_flush_tx, shm_close_tx },
};

const struct sender *
sender_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof senders / sizeof senders[0]; i++)
		if (strcmp(senders[i].name, name) == 0)
			return &senders[i];
	return NULL;
}

/* --via=T: 0, or -1 after telling the user what T may be. */
int
via_parse(const char *name, const struct sender **s)
{
	if ((*s = sender_find(name)) == NULL) {
		fprintf(stderr, "ipcctl: unknown transport \"%s\" (expected "
		    "unix, fifo, mq or shm)\n", name);
		return -1;
	}
	return 0;
}

const char *
sender_name(const struct sender *s)
{
	return s->name;
}

void *
sender_open(const struct sender *s, const char **cause)
{
	return s->open(cause);
}

int
sender_put(const struct sender *s, void *h, const struct record *r,
    struct tally *t)
{
	t->sent++;
	return s->put(h, r, t);
}

int
sender_flush(const struct sender *s, void *h, struct tally *t)
{
	return s->flush(h, t);
}

int
sender_close(const struct sender *s, void *h, struct tally *t)
{
	return s->close(h, t);
}
