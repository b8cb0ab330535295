/*
 * Submitting over a stream socket, pipelined: requests go out while
 * replies are read as they come, up to WINDOW outstanding, so a stream
 * costs no round trip per value.  The Unix socket's sender is here; the
 * TCP one (tx_tcp.c) differs only in how it connects.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "send.h"
#include "util.h"
#include "xmalloc.h"

#define WINDOW		1024	/* socket requests in flight */

struct unix_tx {
	struct conn	conn;
	char		out[64 * 1024];
	size_t		outlen;
	struct record	inflight[WINDOW];	/* to name a rejected value */
	unsigned	first, count;
	int		quiet;		/* nothing put since the last flush */
};

/* A stream sender on the connection that CONNECT makes. */
void *
tx_stream_open(const struct target *tg, int (*connect)(struct conn *,
    const struct target *, char **), char **cause)
{
	struct unix_tx	*u = xcalloc(1, sizeof *u);

	if (connect(&u->conn, tg, cause) != 0) {
		free(u);
		return NULL;
	}
	return u;
}

static void *
unix_open(const struct target *tg, char **cause)
{
	return tx_stream_open(tg, conn_open, cause);
}

static void
unix_reply(struct unix_tx *u, const char *line, struct tally *t)
{
	const struct record	*r = &u->inflight[u->first];
	const struct target	*tg = u->conn.tg;
	const char		*msg = line;
	char			 v[NUM_FORMAT_MAX], *text = NULL;
	int			 st = reply_status(line);

	if (st == 0)
		t->accepted++;
	else if (st == 1) {
		t->duplicates++;
		if (tg->answer != NULL)
			text = fmtstr("key %s part %u/%u was already received; "
			    "not counted again", r->key, r->part, r->nparts);
	} else {
		t->rejected++;
		if (strncmp(line, "err ", 4) == 0 && strchr(line + 4, ' '))
			msg = strchr(line + 4, ' ') + 1;
		double_format(v, sizeof v, r->value);
		if (tg->answer != NULL)
			text = fmtstr("%s %s: %s", r->key, v,
			    vis(msg, strlen(msg)));
	}
	if (text != NULL) {
		tg->answer(tg->answer_arg, st, text);
		free(text);
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
		n = send(u->conn.fd, u->out, u->outlen, MSG_NOSIGNAL);
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

int
tx_stream_put(void *arg, const struct record *r, const char *line,
    size_t len, struct tally *t)
{
	static const char	 req[] = REQ_SUBMIT " ";
	struct unix_tx		*u = arg;
	char			 buf[IPCD_LINE_MAX];

	/* "submit RECORD\n" is one request line, at most IPCD_LINE_MAX. */
	if (tx_line(r, &line, &len, IPCD_LINE_MAX - (sizeof req - 1),
	    buf) != 0)
		return tally_fail(t, fmtstr("a record too long for a request"));
	if (unix_pump(u, t, 0) != 0)
		return -1;
	/* The token and the hello, pipelined with the first submission;
	 * their replies are taken by conn_next before any other. */
	u->outlen += conn_preamble(&u->conn, u->out + u->outlen,
	    sizeof u->out - u->outlen);
	memcpy(u->out + u->outlen, req, sizeof req - 1);
	memcpy(u->out + u->outlen + sizeof req - 1, line, len);
	u->outlen += sizeof req - 1 + len;
	u->inflight[(u->first + u->count) % WINDOW] = *r;
	u->count++;
	u->quiet = 0;
	return 0;
}

/* Send every request and read every reply.  Called again with nothing
 * put since, the input is still quiet: a ping then keeps ipcd from
 * dropping the connection as idle ([limits] idle_timeout). */
int
tx_stream_flush(void *arg, struct tally *t)
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

int
tx_stream_close(void *arg, struct tally *t)
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

const struct sender tx_unix = {
	"unix", unix_open, tx_stream_put, tx_stream_flush, tx_stream_close, 0
};
