/*
 * The stream layer (stream.h): request lines in, reply lines out, in order.
 *
 * Replies are written only once what they answer is durable: a pass of
 * the loop queues them, server.c commits, and stream_committed() releases
 * them.  A client may pipeline as many requests as it likes; ipcd stops
 * reading from a client whose replies it cannot get rid of (its output is
 * past OUT_HIGH), so a client that never reads costs a bounded amount of
 * memory and blocks nobody else.  A parked client (a wait) is not read
 * from; once a second the layer asks whether it hung up altogether.
 * Connections are capped in all (limits.max_clients) and per user
 * (limits.max_clients_per_uid), or per address for network peers, so
 * one user or one host cannot take them all.
 */

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "linebuf.h"
#include "log.h"
#include "stream.h"
#include "xmalloc.h"

#define CONN_BUF	(16 * 1024)	/* read buffer of a connection */
#define OUT_HIGH	(256 * 1024)	/* stop reading a client above this */
#define OUT_LOW		(64 * 1024)	/* and resume below this */
#define HUP_CHECK	1		/* seconds between checks of a parked client */
#define CONN_BATCH	256		/* requests of one client per turn */

struct conn {
	int				 fd;
	enum tr_id			 tr;
	struct peer			 peer;
	const struct stream_handler	*h;
	void				*data;
	struct event			*rev;
	struct event			*wev;
	struct event			*resume;
	struct event			*hup;	/* is a parked client gone? */
	struct event			*idle;	/* limits.idle_timeout */
	struct linebuf			 lb;
	struct evbuffer			*out;
	size_t				 safe;	/* bytes of out that are committed */
	int				 parked;
	int				 eof;	/* the client sent all it will */
	int				 reading; /* rev is added */
	int				 dirty;	/* on the dirty list */
	TAILQ_ENTRY(conn)		 entry;
	TAILQ_ENTRY(conn)		 dentry;
};

/* Connections per user, or per address for a network peer, for
 * limits.max_clients_per_uid. */
struct uid_count {
	uid_t	uid;
	char	addr[NETADDR_HOST_MAX];
	long	n;
};

static struct {
	TAILQ_HEAD(, conn)	 all;
	TAILQ_HEAD(, conn)	 dirty;		/* with replies to release */
	long			 count[TR_COUNT];
	long			 total;
	struct uid_count	*uids;
	size_t			 nuids;
} sl = { .all = TAILQ_HEAD_INITIALIZER(sl.all),
    .dirty = TAILQ_HEAD_INITIALIZER(sl.dirty) };

static void	conn_process(struct conn *);

/* Root and ipcd's own user are not held to the per-user cap; a network
 * peer, whose user is unknown, always is. */
static int
uid_exempt(const struct peer *p)
{
	return p->addr[0] == '\0' && (p->uid == 0 || p->uid == geteuid());
}

static struct uid_count *
uid_find(const struct peer *p)
{
	size_t	i;

	for (i = 0; i < sl.nuids; i++)
		if (sl.uids[i].uid == p->uid &&
		    strcmp(sl.uids[i].addr, p->addr) == 0)
			return &sl.uids[i];
	return NULL;
}

static void
uid_add(const struct peer *p, long delta)
{
	struct uid_count	*u;

	if (uid_exempt(p))
		return;
	if ((u = uid_find(p)) == NULL) {
		sl.uids = xrealloc(sl.uids, (sl.nuids + 1) * sizeof *sl.uids);
		u = &sl.uids[sl.nuids++];
		u->uid = p->uid;
		strcpy(u->addr, p->addr);
		u->n = 0;
	}
	if ((u->n += delta) == 0)
		*u = sl.uids[--sl.nuids];
}

/* limits.max_clients_per_uid; 0 means a quarter of max_clients. */
static long
per_uid_cap(const struct conf *c)
{
	long	cap = c->limits.max_clients_per_uid;

	if (cap == 0 && (cap = c->limits.max_clients / 4) == 0)
		cap = 1;
	return cap;
}

const char *
stream_admit(const struct peer *p)
{
	static char		 why[160];
	const struct conf	*c = server_conf();
	struct uid_count	*u;

	if (sl.total >= c->limits.max_clients) {
		snprintf(why, sizeof why, "too many clients "
		    "(limits.max_clients = %ld)", c->limits.max_clients);
		return why;
	}
	if (p == NULL || uid_exempt(p) || (u = uid_find(p)) == NULL ||
	    u->n < per_uid_cap(c))
		return NULL;
	if (p->addr[0] != '\0')
		snprintf(why, sizeof why, "too many clients from %s "
		    "(limits.max_clients_per_uid = %ld)", p->addr,
		    per_uid_cap(c));
	else
		snprintf(why, sizeof why, "too many clients of uid %lu "
		    "(limits.max_clients_per_uid = %ld)", (unsigned long)p->uid,
		    per_uid_cap(c));
	return why;
}

void
stream_refuse(int fd, const char *why)
{
	char	msg[200];
	int	n;

	n = snprintf(msg, sizeof msg, "err %s %s\n", ERR_LIMIT, why);
	if (n > 0)
		(void)!write(fd, msg, (size_t)n);
	close(fd);
}

static void
conn_free(struct conn *c)
{
	if (c->h->closed != NULL)
		c->h->closed(c);
	TAILQ_REMOVE(&sl.all, c, entry);
	if (c->dirty)
		TAILQ_REMOVE(&sl.dirty, c, dentry);
	sl.count[c->tr]--;
	sl.total--;
	uid_add(&c->peer, -1);
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->resume);
	event_free(c->hup);
	event_free(c->idle);
	evbuffer_free(c->out);
	linebuf_free(&c->lb);
	close(c->fd);
	free(c);
}

static void
set_reading(struct conn *c, int on)
{
	on = on && !c->eof;
	if (on && !c->reading)
		event_add(c->rev, NULL);
	else if (!on && c->reading)
		event_del(c->rev);
	c->reading = on;
}

/* Write what we can of the committed replies; returns -1 if the client
 * is gone (and freed). */
static int
conn_flush(struct conn *c)
{
	int	n = 0;

	if (c->safe > 0 && (n = evbuffer_write_atmost(c->out, c->fd,
	    (ev_ssize_t)c->safe)) == -1 && errno != EAGAIN && errno != EINTR) {
		conn_free(c);
		return -1;
	}
	if (n > 0)
		c->safe -= (size_t)n;
	if (c->safe > 0) {
		event_add(c->wev, NULL);
		return 0;
	}
	event_del(c->wev);
	if (c->eof && !c->parked && linebuf_pending(&c->lb) == 0 &&
	    evbuffer_get_length(c->out) == 0) {
		conn_free(c);
		return -1;
	}
	return 0;
}

/* Have C's replies released after the commit that ends this pass. */
static void
conn_mark(struct conn *c)
{
	if (!c->dirty) {
		TAILQ_INSERT_TAIL(&sl.dirty, c, dentry);
		c->dirty = 1;
	}
}

void
stream_committed(void)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&sl.dirty)) != NULL) {
		TAILQ_REMOVE(&sl.dirty, c, dentry);
		c->dirty = 0;
		c->safe = evbuffer_get_length(c->out);
		(void)conn_flush(c);
	}
}

void
conn_reply(struct conn *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (evbuffer_add_vprintf(c->out, fmt, ap) == -1)
		fatalx("stream: out of memory for a reply");
	va_end(ap);
	conn_write(c, "\n", 1);
}

void
conn_write(struct conn *c, const void *buf, size_t len)
{
	if (evbuffer_add(c->out, buf, len) != 0)
		fatalx("stream: out of memory for a reply");
}

/* Hand one line to the handler, as a string without its line end. */
static void
conn_line(struct conn *c, const char *line, size_t len)
{
	char	buf[IPCD_LINE_MAX + 1];

	/* One line end: a newline, and a CR before it. */
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		server_reject(c->tr, RJ_MALFORMED, "request contains a NUL "
		    "byte", &c->peer);
		conn_reply(c, "err %s request contains a NUL byte", ERR_USAGE);
		return;
	}
	c->h->request(c, buf, len);
}

/* Answer the buffered requests, unless parked or held up by output the
 * client does not read; CONN_BATCH at a time, then the others get their
 * turn (a client's later requests wait, unread, for the loop to come
 * back: reading while lines wait could find the buffer full). */
static void
conn_process(struct conn *c)
{
	const char	*line;
	size_t		 len;
	long		 idle = server_conf()->limits.idle_timeout;
	struct timeval	 tv = { idle, 0 };
	int		 r, n = 0;

	while (!c->parked && evbuffer_get_length(c->out) < OUT_HIGH &&
	    n < CONN_BATCH && (r = linebuf_next(&c->lb, &line, &len)) != 0) {
		n++;
		if (r == 1) {
			conn_line(c, line, len);
			continue;
		}
		server_reject(c->tr, RJ_TOO_LONG, "request too long",
		    &c->peer);
		conn_reply(c, "err %s request longer than %d bytes", ERR_USAGE,
		    IPCD_LINE_MAX);
	}
	/* The idle clock runs from the last complete request, and not
	 * while a wait holds the client. */
	if (c->parked)
		evtimer_del(c->idle);
	else if (idle > 0 && (n > 0 || !evtimer_pending(c->idle, NULL)))
		evtimer_add(c->idle, &tv);
	if (n == CONN_BATCH)
		event_active(c->resume, 0, 0);
	else if (c->eof && !c->parked && linebuf_pending(&c->lb) > 0 &&
	    evbuffer_get_length(c->out) < OUT_HIGH) {
		server_reject(c->tr, RJ_MALFORMED, "request without a newline "
		    "before end of file", &c->peer);
		linebuf_drop(&c->lb);
	}
	set_reading(c, n < CONN_BATCH && !c->parked &&
	    evbuffer_get_length(c->out) < OUT_HIGH);
	conn_mark(c);
}

static void
conn_read(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n;

	if ((n = linebuf_read(&c->lb, fd)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			conn_free(c);
		return;
	}
	if (n == 0) {
		c->eof = 1;
		set_reading(c, 0);
	}
	conn_process(c);
}

static void
conn_writable(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;

	if (conn_flush(c) == 0 && evbuffer_get_length(c->out) < OUT_LOW)
		conn_process(c);
}

static void
conn_resumed(evutil_socket_t fd, short events, void *arg)
{
	conn_process(arg);
}

/*
 * A parked client is not read from (its next requests wait their turn),
 * so its end of file goes unseen.  POLLHUP means both directions are
 * shut, which a client that only shut down writing and still reads its
 * reply never shows.  Without this, clients that wait without a timeout
 * and leave would hold their descriptors for ever.
 */
static void
conn_hup(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;
	struct pollfd	 pfd = { .fd = c->fd, .events = 0 };

	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR))) {
		log_debug("%s: waiting client pid %ld hung up",
		    server_transport_name(c->tr), (long)c->peer.pid);
		conn_free(c);
	}
}

/* No complete request for limits.idle_timeout seconds (one byte an hour,
 * or nothing at all): say so and let the client go. */
static void
conn_idle(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;

	server_reject(c->tr, RJ_IDLE, "client idle too long; disconnected",
	    &c->peer);
	conn_reply(c, "err %s idle for %ld s; disconnected", ERR_LIMIT,
	    server_conf()->limits.idle_timeout);
	c->safe = evbuffer_get_length(c->out);	/* nothing pending to commit */
	(void)evbuffer_write_atmost(c->out, c->fd, (ev_ssize_t)c->safe);
	conn_free(c);
}

void
conn_park(struct conn *c)
{
	struct timeval	sec = { HUP_CHECK, 0 };

	c->parked = 1;
	evtimer_add(c->hup, &sec);
}

/* No more requests from C: what it sent after this is dropped unread,
 * and it is let go once its replies are out. */
void
conn_shut(struct conn *c)
{
	c->eof = 1;
	linebuf_drop(&c->lb);
	set_reading(c, 0);
}

void
conn_set_handler(struct conn *c, const struct stream_handler *h)
{
	c->h = h;
}

void
conn_resume(struct conn *c)
{
	c->parked = 0;
	evtimer_del(c->hup);
	event_active(c->resume, 0, 0);
}

void
stream_new(int fd, enum tr_id tr, const struct peer *p,
    const struct stream_handler *h)
{
	struct event_base	*base = server_base();
	struct conn		*c = xcalloc(1, sizeof *c);
	struct timeval		 idle = { server_conf()->limits.idle_timeout, 0 };

	c->fd = fd;
	c->tr = tr;
	c->peer = *p;
	c->h = h;
	linebuf_init(&c->lb, CONN_BUF, IPCD_LINE_MAX);
	c->out = evbuffer_new();
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, conn_read, c);
	c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, conn_writable, c);
	c->resume = event_new(base, -1, 0, conn_resumed, c);
	c->hup = event_new(base, -1, EV_PERSIST, conn_hup, c);
	c->idle = evtimer_new(base, conn_idle, c);
	if (c->out == NULL || c->rev == NULL || c->wev == NULL ||
	    c->resume == NULL || c->hup == NULL || c->idle == NULL)
		fatalx("stream: out of memory for a client");
	TAILQ_INSERT_TAIL(&sl.all, c, entry);
	sl.count[tr]++;
	sl.total++;
	uid_add(p, 1);
	set_reading(c, 1);
	if (idle.tv_sec > 0)
		evtimer_add(c->idle, &idle);
}

void
stream_close_all(enum tr_id tr)
{
	struct conn	*c, *next;

	for (c = TAILQ_FIRST(&sl.all); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->tr != tr)
			continue;
		/* Best effort, and only what is committed. */
		if (c->safe > 0)
			(void)evbuffer_write_atmost(c->out, c->fd,
			    (ev_ssize_t)c->safe);
		conn_free(c);
	}
}

long
stream_count(enum tr_id tr)
{
	return sl.count[tr];
}

const struct peer *
conn_peer(const struct conn *c)
{
	return &c->peer;
}

enum tr_id
conn_transport(const struct conn *c)
{
	return c->tr;
}

void *
conn_data(const struct conn *c)
{
	return c->data;
}

void
conn_set_data(struct conn *c, void *data)
{
	c->data = data;
}
