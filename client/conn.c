/*
 * The client side of the socket: connect, send requests, read replies,
 * each wait for ipcd bounded by the target's timeout.  Every connection
 * opens with "hello PROTO", written together with the first request (no
 * round trip of its own); its reply is read, and checked, before the
 * first real one.  Nothing here exits or prints: failures come back as
 * -1 and a cause.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipcctl.h"
#include "rundir.h"
#include "util.h"
#include "xmalloc.h"

/*
 * Wait up to TIMEOUT seconds for EVENTS on FD.  Returns the revents,
 * or 0 after setting *cause to name WHAT was waited for.
 */
int
fd_wait(int fd, short events, double timeout, const char *what,
    char **cause)
{
	struct pollfd	 pfd = { .fd = fd, .events = events };
	double		 end = mono_sec() + timeout, left;
	int		 n;

	for (;;) {
		left = end - mono_sec();
		if (left < 0)
			left = 0;
		if (left > 3600)	/* poll takes an int of milliseconds */
			left = 3600;
		n = poll(&pfd, 1, (int)(left * 1000 + 0.999));
		if (n > 0)
			return pfd.revents;
		if (n == -1 && errno != EINTR) {
			*cause = fmtstr("waiting for %s: %s", what,
			    strerror(errno));
			return 0;
		}
		if (n == 0 && mono_sec() >= end) {
			*cause = fmtstr("gave up after %g s waiting for %s "
			    "(is ipcd stopped or stuck?)", timeout, what);
			return 0;
		}
	}
}

/* A non-blocking connect; a full backlog (EAGAIN) is retried until the
 * timeout. */
int
conn_open(struct conn *c, const struct target *tg, char **cause)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	const char		*path = tg->conf->unix_.path;
	double			 end = mono_sec() + tg->timeout;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->tg = tg;
	if (strlen(path) >= sizeof sun.sun_path) {
		*cause = fmtstr("%s: socket path too long", path);
		return -1;
	}
	/* Never talk to a socket in a directory another user controls. */
	if (rundir_check(path, RUNDIR_CLIENT, cause) != 0)
		return -1;
	strcpy(sun.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd == -1) {
		*cause = fmtstr("socket: %s", strerror(errno));
		return -1;
	}
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno == EINTR || (errno == EAGAIN && mono_sec() < end)) {
			(void)poll(NULL, 0, 10);
			continue;
		}
		*cause = fmtstr("cannot connect to %s: %s%s", path,
		    errno == EAGAIN ? "its backlog stayed full" :
		    strerror(errno), errno == ENOENT || errno == ECONNREFUSED ?
		    " (is ipcd running?)" : "");
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	conn_ready(c);
	return 0;
}

/* C->fd is connected: ready for requests (the token, if any, is in
 * C->token). */
void
conn_ready(struct conn *c)
{
	linebuf_init(&c->lb, CONN_BUF, IPCD_LINE_MAX);
	c->hello = c->tg->hello ? HELLO_UNSENT : HELLO_NONE;
	c->auth = c->token[0] != '\0' ? HELLO_UNSENT : HELLO_NONE;
}

/* What must go before the first request ("auth", "hello"), into BUF of
 * CONN_PREAMBLE bytes; its length.  Their replies are read, and checked,
 * by conn_next before any other. */
size_t
conn_preamble(struct conn *c, char *buf, size_t size)
{
	int	n = 0;

	if (c->auth == HELLO_UNSENT) {
		n = snprintf(buf, size, "%s %s\n", REQ_AUTH, c->token);
		c->auth = HELLO_PENDING;
	}
	if (c->hello == HELLO_UNSENT && n >= 0 && (size_t)n < size) {
		n += snprintf(buf + n, size - (size_t)n, "%s %d\n", REQ_HELLO,
		    IPCD_PROTO_VERSION);
		c->hello = HELLO_PENDING;
	}
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* Write all of BUF, waiting for room at most the timeout at a time; the
 * hello goes first on a fresh connection. */
int
conn_write(struct conn *c, const char *buf, size_t len, char **cause)
{
	char	 pre[CONN_PREAMBLE];
	size_t	 pl;
	ssize_t	 n;

	if ((pl = conn_preamble(c, pre, sizeof pre)) > 0 &&
	    conn_write(c, pre, pl, cause) != 0)
		return -1;
	while (len > 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN) {
			if (fd_wait(c->fd, POLLOUT, c->tg->timeout, "room for a request",
			    cause) == 0)
				return -1;
			continue;
		}
		if (n == -1 && errno != EINTR) {
			*cause = fmtstr("cannot write to ipcd: %s",
			    strerror(errno));
			return -1;
		}
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

/* The reply to "hello": ok with our protocol, or an ipcd older than the
 * request (it speaks protocol 1 and says "unknown request").  1 for a
 * refusal of the connection itself (a limit): that is the answer to the
 * request too, and ipcd closes after it. */
static int
hello_check(const char *line, char **cause)
{
	char	proto[16] = "";

	if (reply_status(line) == 0 && reply_field(line, "proto", proto,
	    sizeof proto) == 0 && atoi(proto) == IPCD_PROTO_VERSION)
		return 0;
	if (strncmp(line, "err " ERR_USAGE " unknown request \"" REQ_HELLO "\"",
	    strlen("err " ERR_USAGE " unknown request \"" REQ_HELLO "\"")) == 0)
		return 0;
	if (reply_status(line) == 0)
		*cause = fmtstr("ipcd speaks protocol %s, this ipcctl protocol "
		    "%d", vis(proto, strlen(proto)), IPCD_PROTO_VERSION);
	else if (strncmp(line, "err " ERR_LIMIT " ", 4 +
	    strlen(ERR_LIMIT) + 1) == 0)
		return 1;
	else if (strncmp(line, "err " ERR_DENIED " ", 4 +
	    strlen(ERR_DENIED) + 1) == 0)
		*cause = fmtstr("ipcd refused the connection: %s",
		    vis(line, strlen(line)));
	else if (strncmp(line, "err " ERR_VERSION " ", 4 +
	    strlen(ERR_VERSION) + 1) == 0)
		*cause = fmtstr("protocol mismatch: %s (this ipcctl %s speaks "
		    "protocol %d)", vis(line + 5 + strlen(ERR_VERSION),
		    strlen(line + 5 + strlen(ERR_VERSION))), IPCD_VERSION,
		    IPCD_PROTO_VERSION);
	else
		*cause = fmtstr("unexpected reply to \"%s\": \"%s\"",
		    REQ_HELLO, vis(line, strlen(line)));
	return -1;
}

/*
 * The next buffered reply line, NUL-terminated: 1, or 0 when no whole
 * line is buffered, or -1 with a cause (an overlong line, a line with a
 * NUL, a refused hello).
 */
int
conn_next(struct conn *c, char **line, char **cause)
{
	const char	*p;
	size_t		 len;
	int		 r;

	for (;;) {
		if ((r = linebuf_next(&c->lb, &p, &len)) == 0)
			return 0;
		if (r == -1 || memchr(p, '\0', len) != NULL) {
			*cause = fmtstr("ipcd sent a malformed reply line");
			return -1;
		}
		memcpy(c->line, p, len - 1);
		c->line[len - 1] = '\0';
		if (c->auth == HELLO_PENDING) {
			c->auth = HELLO_NONE;
			if (reply_status(c->line) == 0)
				continue;
			*cause = fmtstr("ipcd refused the connection: %s",
			    vis(c->line, strlen(c->line)));
			return -1;
		}
		if (c->hello == HELLO_PENDING) {
			c->hello = HELLO_NONE;
			if ((r = hello_check(c->line, cause)) == -1)
				return -1;
			if (r == 0)
				continue;
		}
		*line = c->line;
		return 1;
	}
}

/* One read into the buffer: 0, or -1 with a cause at end of file. */
int
conn_fill(struct conn *c, char **cause)
{
	ssize_t	n;

	n = linebuf_read(&c->lb, c->fd);
	if (n > 0 || (n == -1 && (errno == EINTR || errno == EAGAIN)))
		return 0;
	if (n == 0)
		*cause = fmtstr("ipcd closed the connection");
	else
		*cause = fmtstr("lost the connection to ipcd: %s",
		    strerror(errno));
	return -1;
}

/* The next reply line, waiting at most the timeout for each read; WHAT
 * names the request in a timeout message. */
int
conn_readline(struct conn *c, char **line, const char *what, char **cause)
{
	double	 t;
	char	*w;
	int	 r;

	for (;;) {
		if ((r = conn_next(c, line, cause)) != 0)
			return r == 1 ? 0 : -1;
		/* The hello is answered at once; a wait may take longer. */
		t = c->hello != HELLO_PENDING && c->reply_timeout > 0 ?
		    c->reply_timeout : c->tg->timeout;
		w = fmtstr("the reply to \"%s\"", c->hello == HELLO_PENDING ?
		    REQ_HELLO : what);
		r = fd_wait(c->fd, POLLIN, t, w, cause);
		free(w);
		if (r == 0 || conn_fill(c, cause) != 0)
			return -1;
	}
}

/*
 * Send one request and read its reply: reply_status() of the reply, or
 * CONN_FAIL with a cause when ipcd could not be reached in time.
 */
int
conn_request(struct conn *c, char **reply, char **cause, const char *fmt, ...)
{
	char	 buf[IPCD_LINE_MAX + 2], name[16], *w = NULL;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf - 2) {
		*cause = fmtstr("request too long");
		return CONN_FAIL;
	}
	snprintf(name, sizeof name, "%.*s", (int)strcspn(buf, " "), buf);
	buf[n++] = '\n';
	if (conn_write(c, buf, (size_t)n, cause) != 0) {
		/* ipcd's reason may still be there to read (it refuses a
		 * client beyond max_clients, then closes). */
		if (conn_fill(c, &w) == 0 && conn_next(c, reply, &w) == 1) {
			free(*cause);
			return reply_status(*reply);
		}
		free(w);
		return CONN_FAIL;
	}
	if (conn_readline(c, reply, name, cause) != 0)
		return CONN_FAIL;
	return reply_status(*reply);
}

/*
 * "wait KEY": the reply once all parts of KEY are in, or ipcd's "err
 * timeout" after WT seconds (0: no limit).  ipcd says when the wait ran
 * out; the socket's own timeout starts after that.  As conn_request.
 */
int
request_wait(struct conn *c, const char *key, double wt, char **reply,
    char **cause)
{
	int	r;

	c->reply_timeout = wt > 0 ? wt + c->tg->timeout : 1e12;
	r = conn_request(c, reply, cause, "%s %s %lu", REQ_WAIT, key,
	    (unsigned long)(wt * 1000 + 0.999));
	c->reply_timeout = 0;
	return r;
}

void
conn_close(struct conn *c)
{
	if (c->fd != -1) {
		close(c->fd);
		linebuf_free(&c->lb);
	}
	c->fd = -1;
	explicit_bzero(c->token, sizeof c->token);
}
