/*
 * Submitting records over a chosen transport.  One small interface, one
 * implementation per transport:
 *
 *   unix  pipelined: requests go out while replies are read as they come,
 *         up to WINDOW outstanding, so a stream costs no round trip per value;
 *   fifo  whole records packed into writes of at most PIPE_BUF bytes, which
 *         the kernel keeps atomic; non-blocking, a full pipe waited for;
 *   mq    one message per record;
 *
 * Each takes where ipcd is and how long to wait for it from the target
 * given to open; none prints or exits: a failure is -1, its cause kept in
 * the tally.
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
#include "util.h"
#include "xmalloc.h"

#define WINDOW		1024	/* socket requests in flight */

struct sender {
	const char	*name;
	void		*(*open)(const struct target *, char **);
	int		(*put)(void *, const struct record *, struct tally *);
	/* Send what put buffered, now: the input has gone quiet. */
	int		(*flush)(void *, struct tally *);
	int		(*close)(void *, struct tally *);
};

/* Keep the first cause of failure (the one the user needs); -1. */
static int
tally_fail(struct tally *t, char *cause)
{
	if (t->cause == NULL)
		t->cause = cause;
	else
		free(cause);
	return -1;
}

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
unix_open(const struct target *tg, char **cause)
{
	struct unix_tx	*u = xcalloc(1, sizeof *u);

	if (conn_open(&u->conn, tg, cause) != 0) {
		free(u);
		return NULL;
	}
	return u;
}

static void
unix_reply(struct unix_tx *u, const char *line, struct tally *t)
{
	const struct record	*r = &u->inflight[u->first];
	const char		*msg = line;
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
		if (strncmp(line, "err ", 4) == 0 && strchr(line + 4, ' '))
			msg = strchr(line + 4, ' ') + 1;
		fprintf(stderr, "ipcctl: %s %s: %s\n", r->key, v,
		    vis(msg, strlen(msg)));
		break;
	}
	u->first = (u->first + 1) % WINDOW;
	u->count--;
}

/* Write what fits and read what came, once; -1 with the cause in T. */
static int
unix_move(struct unix_tx *u, int revents, struct tally *t)
{
	char	*line, *cause;
	ssize_t	 n;
	int	 r;

	if (revents & POLLOUT) {
		n = write(u->conn.fd, u->out, u->outlen);
		if (n == -1 && errno != EINTR && errno != EAGAIN &&
		    !(revents & POLLIN))	/* its reason may be there */
			return tally_fail(t, fmtstr("cannot write to ipcd: "
			    "%s", strerror(errno)));
		if (n > 0) {
			memmove(u->out, u->out + n, u->outlen - (size_t)n);
			u->outlen -= (size_t)n;
		}
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		if (conn_fill(&u->conn, &cause) != 0)
			return tally_fail(t, cause);
		while ((r = conn_next(&u->conn, &line, &cause)) == 1)
			if (u->count > 0)
				unix_reply(u, line, t);
		if (r == -1)
			return tally_fail(t, cause);
	}
	return 0;
}

/* Move bytes both ways until the output is gone (or, with !all, until
 * there is room for more); replies are consumed as they arrive.  Each
 * wait for ipcd is bounded by the timeout. */
static int
unix_pump(struct unix_tx *u, struct tally *t, int all)
{
	char	*cause, what[64];
	int	 rev;

	while (all ? u->outlen > 0 || u->count > 0 :
	    u->outlen > sizeof u->out / 2 || u->count == WINDOW) {
		snprintf(what, sizeof what, "%s %u submissions",
		    u->outlen > 0 ? "room to send" : "the replies to",
		    u->count);
		rev = fd_wait(u->conn.fd, POLLIN | (u->outlen > 0 ? POLLOUT : 0),
		    u->conn.tg->timeout, what, &cause);
		if (rev == 0)
			return tally_fail(t, cause);
		if (unix_move(u, rev, t) != 0)
			return -1;
	}
	return 0;
}

static int
unix_put(void *arg, const struct record *r, struct tally *t)
{
	struct unix_tx	*u = arg;
	char		 hello[32];
	int		 n;

	if (unix_pump(u, t, 0) != 0)
		return -1;
	if (u->conn.hello == HELLO_UNSENT) {
		/* The hello, pipelined with the first submission; its reply
		 * is taken by conn_next before any other. */
		n = snprintf(hello, sizeof hello, "%s %d\n", REQ_HELLO,
		    IPCD_PROTO_VERSION);
		memcpy(u->out, hello, (size_t)n);
		u->outlen = (size_t)n;
		u->conn.hello = HELLO_PENDING;
	}
	memcpy(u->out + u->outlen, "submit ", 7);
	n = record_format(u->out + u->outlen + 7,
	    sizeof u->out - u->outlen - 7, r);
	if (n < 0)
		return tally_fail(t, fmtstr("cannot format a record"));
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
	char		*reply, *cause;

	if (unix_pump(u, t, 1) != 0)
		return -1;
	if (u->quiet && conn_request(&u->conn, &reply, &cause, "%s",
	    REQ_PING) == CONN_FAIL)
		return tally_fail(t, cause);
	u->quiet = 1;
	return 0;
}

static int
unix_close(void *arg, struct tally *t)
{
	struct unix_tx	*u = arg;
	unsigned	 left;
	char		*cause;
	int		 r;

	r = unix_pump(u, t, 1);
	if (r != 0 && (left = u->count) > 0 && t->cause != NULL) {
		cause = fmtstr("%s; %u submissions unanswered", t->cause, left);
		free(t->cause);
		t->cause = cause;
	}
	conn_close(&u->conn);
	free(u);
	return r;
}

/* --- fifo ------------------------------------------------------------ */

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

static int
fifo_flush(struct fifo_tx *f, struct tally *t)
{
	char	*cause;
	ssize_t	 n;

	/* One write of at most PIPE_BUF bytes: all or nothing, never
	 * interleaved with another writer's. */
	while (f->len > 0) {
		n = write(f->fd, f->buf, f->len);
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
fifo_put(void *arg, const struct record *r, struct tally *t)
{
	struct fifo_tx	*f = arg;
	char		 line[IPCD_LINE_MAX];
	int		 n;

	if ((n = record_format(line, sizeof line, r)) < 0)
		return tally_fail(t, fmtstr("cannot format a record"));
	if (f->len + (size_t)n > sizeof f->buf && fifo_flush(f, t) != 0)
		return -1;
	memcpy(f->buf + f->len, line, (size_t)n);
	f->len += (size_t)n;
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

/* --- mq -------------------------------------------------------------- */

struct mq_tx {
	mqd_t			 mq;
	const struct target	*tg;
};

static void *
mq_open_tx(const struct target *tg, char **cause)
{
	const char	*name = tg->conf->mq.name;
	struct mq_tx	*m;
	mqd_t		 mq;

	if ((mq = mq_open(name, O_WRONLY | O_CLOEXEC)) == (mqd_t)-1) {
		*cause = fmtstr("message queue %s: %s%s", name, strerror(errno),
		    errno == ENOENT ? " (is ipcd running?)" : "");
		return NULL;
	}
	m = xmalloc(sizeof *m);
	m->mq = mq;
	m->tg = tg;
	return m;
}

static int
mq_put(void *arg, const struct record *r, struct tally *t)
{
	struct mq_tx	*m = arg;
	char		 line[IPCD_LINE_MAX];
	double		 end = mono_sec() + m->tg->timeout;
	struct timespec	 ts;
	int		 n;

	if ((n = record_format(line, sizeof line, r)) < 0)
		return tally_fail(t, fmtstr("cannot format a record"));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)m->tg->timeout;
	ts.tv_nsec += (long)((m->tg->timeout - (double)(time_t)m->tg->timeout) *
	    1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (mq_timedsend(m->mq, line, (size_t)n, 0, &ts) == -1) {
		if (errno == EINTR && mono_sec() < end)
			continue;
		if (errno == ETIMEDOUT || errno == EINTR)
			return tally_fail(t, fmtstr("gave up after %g s "
			    "waiting for room in the message queue (is ipcd "
			    "stopped or stuck?)", m->tg->timeout));
		return tally_fail(t, fmtstr("mq_send: %s", strerror(errno)));
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
	struct mq_tx	*m = arg;

	mq_close(m->mq);
	free(m);
	return 0;
}

/* --- shm ------------------------------------------------------------- */

static void *
shm_open_tx(const struct target *tg, char **cause)
{
	struct shm_producer	*p = xmalloc(sizeof *p);
	const char		*why;

	if (shm_attach(p, tg->conf->shm.name, (long)(tg->timeout * 1000),
	    &why) != 0) {
		*cause = fmtstr("%s", why);
		free(p);
		return NULL;
	}
	return p;
}

static int
shm_put_tx(void *arg, const struct record *r, struct tally *t)
{
	const char	*cause;

	if (shm_put(arg, r, &cause) != 0)
		return tally_fail(t, fmtstr("shm: %s", cause));
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

	if ((r = shm_detach(arg, err, sizeof err)) != 0) {
		/* Counted as taken when put; these were not (all) taken. */
		t->accepted -= ((struct shm_producer *)arg)->lost < t->accepted ?
		    ((struct shm_producer *)arg)->lost : t->accepted;
		tally_fail(t, fmtstr("shm: %s", err));
	}
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
sender_open(const struct sender *s, const struct target *tg, char **cause)
{
	return s->open(tg, cause);
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
