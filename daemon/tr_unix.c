/*
 * The socket transport: request lines in, one reply line per request out,
 * in order (proto.h).  Replies are written only once what they answer is
 * durable: a pass of the loop queues them, server.c commits, and the
 * committed hook releases them.  A client may pipeline as many requests as it likes;
 * ipcd stops reading from a client whose replies it cannot get rid of
 * (its output is past OUT_HIGH), so a client that never reads costs a
 * bounded amount of memory and blocks nobody else.  "wait" parks the
 * client, and its later requests, until the key's parts are all in or the
 * timeout fires.
 */

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "ipcd.h"
#include "linebuf.h"
#include "log.h"
#include "node.h"
#include "systemd.h"
#include "util.h"
#include "xmalloc.h"

#define CLIENT_BUF	(16 * 1024)
#define OUT_HIGH	(256 * 1024)	/* stop reading a client above this */
#define OUT_LOW		(64 * 1024)	/* and resume below this */

struct client {
	int			 fd;
	struct peer		 peer;
	struct event		*rev;
	struct event		*wev;
	struct event		*resume;
	struct event		*timer;		/* of a wait */
	struct event		*hup;		/* is a waiting client gone? */
	struct event		*idle;		/* limits.idle_timeout */
	struct linebuf		 lb;
	struct evbuffer		*out;
	struct waiter		 waiter;
	int			 waiting;
	int			 eof;		/* the client sent all it will */
	int			 reading;	/* rev is added */
	size_t			 safe;		/* bytes of out that are committed */
	int			 dirty;		/* on ux.dirty */
	TAILQ_ENTRY(client)	 entry;
	TAILQ_ENTRY(client)	 dentry;
};

static struct {
	int			 fd;
	char			 path[PATH_MAX];
	struct event		*ev;
	struct event		*pause;		/* accept paused on EMFILE */
	TAILQ_HEAD(, client)	 clients;
	TAILQ_HEAD(, client)	 dirty;		/* with replies to release */
	long			 nclients;
	int			 passed;	/* by systemd: not ours to close */
} ux = { .fd = -1, .clients = TAILQ_HEAD_INITIALIZER(ux.clients),
    .dirty = TAILQ_HEAD_INITIALIZER(ux.dirty) };

static void	client_process(struct client *);

static int
unix_enabled(const struct conf *c)
{
	return c->unix_.enabled;
}

static int
unix_changed(const struct conf *a, const struct conf *b)
{
	return a->unix_.enabled != b->unix_.enabled ||
	    strcmp(a->unix_.path, b->unix_.path) != 0 ||
	    a->unix_.mode != b->unix_.mode ||
	    strcmp(a->unix_.group, b->unix_.group) != 0;
}

static void
client_free(struct client *c)
{
	if (c->waiting)
		store_unwait(server_store(), &c->waiter);
	TAILQ_REMOVE(&ux.clients, c, entry);
	if (c->dirty)
		TAILQ_REMOVE(&ux.dirty, c, dentry);
	ux.nclients--;
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->resume);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->hup != NULL)
		event_free(c->hup);
	if (c->idle != NULL)
		event_free(c->idle);
	evbuffer_free(c->out);
	linebuf_free(&c->lb);
	close(c->fd);
	free(c);
}

static void
set_reading(struct client *c, int on)
{
	if (on && !c->reading && !c->eof)
		event_add(c->rev, NULL);
	else if (!on && c->reading)
		event_del(c->rev);
	c->reading = on && !c->eof;
}

/* Write what we can of the committed replies; returns -1 if the client
 * is gone (and freed). */
static int
client_flush(struct client *c)
{
	int	n = 0;

	if (c->safe > 0 &&
	    (n = evbuffer_write_atmost(c->out, c->fd, (ev_ssize_t)c->safe)) == -1 &&
	    errno != EAGAIN && errno != EINTR) {
		client_free(c);
		return -1;
	}
	if (n > 0)
		c->safe -= (size_t)n;
	if (c->safe > 0) {
		event_add(c->wev, NULL);
		return 0;
	}
	event_del(c->wev);
	if (c->eof && !c->waiting && linebuf_pending(&c->lb) == 0 &&
	    evbuffer_get_length(c->out) == 0) {
		client_free(c);
		return -1;
	}
	return 0;
}

/* Have C's replies released after the commit that ends this pass. */
static void
client_mark(struct client *c)
{
	if (!c->dirty) {
		TAILQ_INSERT_TAIL(&ux.dirty, c, dentry);
		c->dirty = 1;
	}
}

/* What this pass applied is durable: release the replies that answer it. */
static void
unix_committed(void)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&ux.dirty)) != NULL) {
		TAILQ_REMOVE(&ux.dirty, c, dentry);
		c->dirty = 0;
		c->safe = evbuffer_get_length(c->out);
		(void)client_flush(c);
	}
}

static void
reply(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reply(struct client *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(c->out, fmt, ap);
	va_end(ap);
	evbuffer_add(c->out, "\n", 1);
}

/* The fields that describe a key, as in "result" and "keys" replies. */
static void
key_fields(const struct key *k, char *buf, size_t size)
{
	char	total[32], min[32], max[32];
	int	overflow;
	double	t = key_total(k, &overflow);

	if (overflow)
		snprintf(total, sizeof total, "\"%s\"", t > 0 ? "inf" : "-inf");
	else
		double_format(total, sizeof total, t);
	double_format(min, sizeof min, k->min);
	double_format(max, sizeof max, k->max);
	snprintf(buf, size, "key=\"%s\" total=%s count=%llu min=%s max=%s "
	    "parts=%u nparts=%u duplicates=%llu", k->name, total,
	    (unsigned long long)k->acc.count, min, max, k->received, k->nparts,
	    (unsigned long long)k->duplicates);
}

static int
arg_key(struct client *c, const char *arg)
{
	if (arg == NULL || !key_valid(arg, strlen(arg))) {
		server_reject(TR_UNIX, "bad key in a request", &c->peer);
		reply(c, "err %s key must be 1-64 characters of "
		    "[A-Za-z0-9_.:-]", ERR_USAGE);
		return -1;
	}
	return 0;
}

static void
req_submit(struct client *c, char *args)
{
	struct record	 r;
	const char	*cause;
	struct key	*k;

	if (args == NULL)
		args = "";
	switch (server_take_line(TR_UNIX, args, strlen(args), &c->peer, &r,
	    &cause)) {
	case APPLY_INVALID:
		reply(c, "err %s %s", ERR_INVALID, cause);
		break;
	case APPLY_OK:
		/* The reply to nearly every request: no formatting. */
		evbuffer_add(c->out, "ok\n", 3);
		break;
	case APPLY_DUPLICATE:
		reply(c, "duplicate part=%u nparts=%u", r.part, r.nparts);
		break;
	case APPLY_CONFLICT:
		k = store_find(server_store(), r.key);
		if (k != NULL && k->nparts != 0)
			reply(c, "err %s key %s takes parts of %u, not %s",
			    ERR_CONFLICT, r.key, k->nparts,
			    r.nparts ? "a different count" : "plain values");
		else
			reply(c, "err %s key %s takes plain values, not parts",
			    ERR_CONFLICT, r.key);
		break;
	case APPLY_LIMIT:
		reply(c, "err %s too many keys (limits.max_keys = %ld)",
		    ERR_LIMIT, server_conf()->limits.max_keys);
		break;
	case APPLY_NOMEM:
		reply(c, "err %s out of memory", ERR_LIMIT);
		break;
	}
}

static void
req_result(struct client *c, char *args)
{
	struct key	*k;
	char		 buf[512];

	if (arg_key(c, args) != 0)
		return;
	if ((k = store_find(server_store(), args)) == NULL) {
		reply(c, "err %s no submissions for key %s", ERR_NOKEY, args);
		return;
	}
	key_fields(k, buf, sizeof buf);
	reply(c, "ok %s", buf);
}

static void
wait_done(struct waiter *w)
{
	struct client	*c = (struct client *)((char *)w -
	    offsetof(struct client, waiter));

	/* Called from inside another client's submission: only queue the
	 * reply here and continue this client from the loop. */
	c->waiting = 0;
	evtimer_del(c->timer);
	evtimer_del(c->hup);
	req_result(c, c->waiter.key);
	event_active(c->resume, 0, 0);
}

static void
wait_timeout(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;
	struct key	*k = store_find(server_store(), c->waiter.key);
	char		 missing[256];

	store_unwait(server_store(), &c->waiter);
	c->waiting = 0;
	evtimer_del(c->hup);
	if (k == NULL || k->nparts == 0)
		reply(c, "err %s key %s: no parts received", ERR_TIMEOUT,
		    c->waiter.key);
	else {
		key_missing(k, missing, sizeof missing);
		reply(c, "err %s key %s: %u of %u parts missing: %s",
		    ERR_TIMEOUT, k->name, k->nparts - k->received, k->nparts,
		    missing);
	}
	event_active(c->resume, 0, 0);
}

/*
 * A waiting client is not read from (its next requests wait their turn),
 * so its end of file goes unseen.  Once a second, ask whether it hung up
 * altogether: POLLHUP means both directions are shut, which a client that
 * only shut down writing and still reads its reply never shows.  Without
 * this, clients that wait without a timeout and leave would hold their
 * descriptors and count against max_clients for ever.
 */
static void
wait_hup(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;
	struct pollfd	 pfd = { .fd = c->fd, .events = 0 };

	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR))) {
		log_debug("unix: waiting client pid %ld hung up",
		    (long)c->peer.pid);
		client_free(c);
	}
}

static void
req_wait(struct client *c, char *args)
{
	struct timeval	 second = { 1, 0 };
	char		*ms = args != NULL ? strchr(args, ' ') : NULL, *end;
	unsigned long	 timeout = 0;
	struct timeval	 tv;

	if (ms != NULL) {
		*ms++ = '\0';
		timeout = strtoul(ms, &end, 10);
		if (*ms == '\0' || *end != '\0' || timeout > 86400000UL * 365) {
			server_reject(TR_UNIX, "bad wait request", &c->peer);
			reply(c, "err %s wait KEY [TIMEOUT_MS]", ERR_USAGE);
			return;
		}
	}
	if (arg_key(c, args) != 0)
		return;
	if ((c->timer == NULL &&
	    (c->timer = evtimer_new(server_base(), wait_timeout, c)) == NULL) ||
	    (c->hup == NULL && (c->hup = event_new(server_base(), -1,
	    EV_PERSIST, wait_hup, c)) == NULL)) {
		reply(c, "err %s out of memory", ERR_LIMIT);
		return;
	}
	strcpy(c->waiter.key, args);
	c->waiter.done = wait_done;
	c->waiting = 1;
	store_wait(server_store(), &c->waiter);	/* may be done already */
	if (c->waiting)
		evtimer_add(c->hup, &second);
	if (c->waiting && timeout > 0) {
		tv.tv_sec = (time_t)(timeout / 1000);
		tv.tv_usec = (suseconds_t)(timeout % 1000) * 1000;
		evtimer_add(c->timer, &tv);
	}
}

static void
req_stats(struct client *c, char *args)
{
	char	buf[1024];

	server_stats(buf, sizeof buf);
	reply(c, "ok %s unix.clients=%ld", buf, ux.nclients);
}

static void
req_keys(struct client *c, char *args)
{
	struct store	*st = server_store();
	struct key	*k;
	char		 buf[512];

	reply(c, "ok count=%zu", store_count(st));
	for (k = store_next(st, NULL); k != NULL; k = store_next(st, k)) {
		key_fields(k, buf, sizeof buf);
		reply(c, "%s", buf);
	}
}

static void
req_reset(struct client *c, char *args)
{
	int	all = args != NULL && strcmp(args, "*") == 0;

	if (server_conf()->unix_.admin == ADMIN_OWNER && c->peer.uid != 0 &&
	    c->peer.uid != geteuid()) {
		server_reject(TR_UNIX, "reset by a peer that is not an admin",
		    &c->peer);
		reply(c, "err %s reset is for root and uid %u (unix.admin = "
		    "owner)", ERR_DENIED, (unsigned)geteuid());
		return;
	}
	if (!all && arg_key(c, args) != 0)
		return;
	reply(c, "ok removed=%zu", server_reset(all ? NULL : args, &c->peer));
}

static void
req_ping(struct client *c, char *args)
{
	reply(c, "ok proto=%d version=\"%s\" pid=%ld", IPCD_PROTO_VERSION,
	    IPCD_VERSION, (long)getpid());
}

static const struct {
	const char	*name;
	void		(*fn)(struct client *, char *);
} requests[] = {
	{ REQ_SUBMIT, req_submit },
	{ REQ_RESULT, req_result },
	{ REQ_WAIT, req_wait },
	{ REQ_STATS, req_stats },
	{ REQ_KEYS, req_keys },
	{ REQ_RESET, req_reset },
	{ REQ_PING, req_ping },
};

static void
dispatch(struct client *c, const char *line, size_t len)
{
	char	buf[IPCD_LINE_MAX + 1], *args;
	size_t	i;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		server_reject(TR_UNIX, "request contains a NUL byte", &c->peer);
		reply(c, "err %s request contains a NUL byte", ERR_USAGE);
		return;
	}
	if ((args = strchr(buf, ' ')) != NULL)
		*args++ = '\0';
	for (i = 0; i < sizeof requests / sizeof requests[0]; i++)
		if (strcmp(buf, requests[i].name) == 0) {
			requests[i].fn(c, args);
			return;
		}
	server_reject(TR_UNIX, "unknown request", &c->peer);
	reply(c, "err %s unknown request \"%.32s\"", ERR_USAGE, buf);
}

/* Answer the buffered requests, unless parked by a wait or by output the
 * client does not read. */
static void
client_process(struct client *c)
{
	const char	*line;
	size_t		 len;
	long		 idle = server_conf()->limits.idle_timeout;
	struct timeval	 tv = { idle, 0 };
	int		 r, any = 0;

	while (!c->waiting && evbuffer_get_length(c->out) < OUT_HIGH &&
	    (r = linebuf_next(&c->lb, &line, &len)) != 0) {
		any = 1;
		if (r == -1) {
			server_reject(TR_UNIX, "request too long", &c->peer);
			reply(c, "err %s request longer than %d bytes",
			    ERR_USAGE, IPCD_LINE_MAX);
		} else
			dispatch(c, line, len);
	}
	/* The idle clock runs from the last complete request, and not
	 * while a wait holds the client. */
	if (c->waiting)
		evtimer_del(c->idle);
	else if (idle > 0 && (any || !evtimer_pending(c->idle, NULL)))
		evtimer_add(c->idle, &tv);
	if (c->eof && !c->waiting && linebuf_pending(&c->lb) > 0 &&
	    evbuffer_get_length(c->out) < OUT_HIGH) {
		/* The client closed in the middle of a request. */
		server_reject(TR_UNIX, "request without a newline before "
		    "end of file", &c->peer);
		c->lb.start = c->lb.len;
	}
	set_reading(c, !c->waiting && evbuffer_get_length(c->out) < OUT_HIGH);
	client_mark(c);
}

static void
client_read(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;
	ssize_t		 n;

	n = linebuf_read(&c->lb, fd);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		client_free(c);
		return;
	}
	if (n == 0) {
		c->eof = 1;
		event_del(c->rev);
		c->reading = 0;
	}
	client_process(c);
}

static void
client_write(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;

	if (client_flush(c) == -1)
		return;
	if (evbuffer_get_length(c->out) < OUT_LOW)
		client_process(c);
}

static void
client_resume(evutil_socket_t fd, short events, void *arg)
{
	client_process(arg);
}

/* No complete request for limits.idle_timeout seconds (one byte an hour,
 * or nothing at all): say so and let the client go. */
static void
client_idle(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;

	server_reject(TR_UNIX, "client idle too long; disconnected", &c->peer);
	reply(c, "err %s idle for %ld s; disconnected", ERR_LIMIT,
	    server_conf()->limits.idle_timeout);
	c->safe = evbuffer_get_length(c->out);	/* nothing pending to commit */
	(void)evbuffer_write_atmost(c->out, c->fd, (ev_ssize_t)c->safe);
	client_free(c);
}

static void
client_new(int fd)
{
	struct client	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;
	struct event_base *base = server_base();
	struct timeval	 idle = { server_conf()->limits.idle_timeout, 0 };

	c = xcalloc(1, sizeof *c);
	linebuf_init(&c->lb, CLIENT_BUF, IPCD_LINE_MAX);
	c->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->peer.pid = cred.pid;
		c->peer.uid = cred.uid;
		c->peer.gid = cred.gid;
	}
	c->out = evbuffer_new();
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, client_read, c);
	c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, client_write, c);
	c->resume = event_new(base, -1, 0, client_resume, c);
	c->idle = evtimer_new(base, client_idle, c);
	if (c->out == NULL || c->rev == NULL || c->wev == NULL ||
	    c->resume == NULL || c->idle == NULL)
		fatalx("unix: out of memory for a client");
	TAILQ_INSERT_TAIL(&ux.clients, c, entry);
	ux.nclients++;
	set_reading(c, 1);
	if (idle.tv_sec > 0)
		evtimer_add(c->idle, &idle);
	log_debug("unix: client pid %ld uid %lu connected", (long)c->peer.pid,
	    (unsigned long)c->peer.uid);
}

static void
accept_resume(evutil_socket_t fd, short events, void *arg)
{
	event_add(ux.ev, NULL);
}

static void
unix_accept(evutil_socket_t lfd, short events, void *arg)
{
	static const char full[] = "err " ERR_LIMIT " too many clients\n";
	struct timeval	  sec = { 1, 0 };
	int		  fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Retrying at once would spin: wait a second. */
				log_warn("unix: accept");
				event_del(ux.ev);
				evtimer_add(ux.pause, &sec);
			}
			return;
		}
		if (ux.nclients >= server_conf()->limits.max_clients) {
			server_reject(TR_UNIX, "too many clients", NULL);
			(void)write(fd, full, sizeof full - 1);
			close(fd);
			continue;
		}
		client_new(fd);
	}
}

/* Replace a socket left by an ipcd that died; refuse one that answers. */
static int
stale_socket(const char *path, char **cause)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	struct stat		st;
	int			fd, r;

	if (lstat(path, &st) != 0)
		return 0;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = fmtstr("socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (r == 0) {
		*cause = fmtstr("another ipcd is listening on %s", path);
		return -1;
	}
	if (unlink(path) != 0) {
		*cause = fmtstr("unlink %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
unix_open(const struct conf *c, char **cause)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	mode_t			old;
	int			r;

	if (strlen(c->unix_.path) >= sizeof sun.sun_path) {
		*cause = fmtstr("socket path %s is longer than %zu bytes",
		    c->unix_.path, sizeof sun.sun_path - 1);
		return -1;
	}
	strcpy(sun.sun_path, c->unix_.path);
	ux.fd = sysd_take_socket("unix", c->unix_.path, cause);
	if (*cause != NULL)
		return -1;
	if ((ux.passed = ux.fd != -1)) {
		ux.path[0] = '\0';	/* systemd's node: not ours to remove */
		goto watch;
	}
	if (node_prepare(c->unix_.path, S_IFSOCK, cause) != 0 ||
	    stale_socket(c->unix_.path, cause) != 0)
		return -1;
	ux.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ux.fd == -1) {
		*cause = fmtstr("socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);	/* nobody gets in before the chmod below */
	r = bind(ux.fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (r != 0) {
		*cause = fmtstr("bind %s: %s", c->unix_.path, strerror(errno));
		goto fail;
	}
	strcpy(ux.path, c->unix_.path);
	if (node_perms(-1, c->unix_.path, c->unix_.mode, c->unix_.group,
	    cause) != 0)
		goto fail_unlink;
	if (listen(ux.fd, SOMAXCONN) != 0) {
		*cause = fmtstr("listen %s: %s", c->unix_.path, strerror(errno));
		goto fail_unlink;
	}
watch:
	ux.ev = event_new(server_base(), ux.fd, EV_READ | EV_PERSIST,
	    unix_accept, NULL);
	ux.pause = evtimer_new(server_base(), accept_resume, NULL);
	if (ux.ev == NULL || ux.pause == NULL || event_add(ux.ev, NULL) != 0) {
		*cause = fmtstr("cannot watch the socket");
		goto fail_unlink;
	}
	return 0;
fail_unlink:
	if (!ux.passed)
		unlink(c->unix_.path);
fail:
	if (ux.ev != NULL)
		event_free(ux.ev);
	if (ux.pause != NULL)
		event_free(ux.pause);
	ux.ev = ux.pause = NULL;
	if (!ux.passed)
		close(ux.fd);
	ux.fd = -1;
	return -1;
}

static void
unix_close(void)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&ux.clients)) != NULL) {
		/* Best effort, and only what is committed. */
		if (c->safe > 0)
			(void)evbuffer_write_atmost(c->out, c->fd,
			    (ev_ssize_t)c->safe);
		client_free(c);
	}
	event_free(ux.ev);
	event_free(ux.pause);
	ux.ev = ux.pause = NULL;
	if (!ux.passed) {
		close(ux.fd);
		unlink(ux.path);
	}
	ux.fd = -1;
}

const struct transport tr_unix = {
	.name = "unix",
	.enabled = unix_enabled,
	.changed = unix_changed,
	.open = unix_open,
	.close = unix_close,
	.committed = unix_committed,
};
