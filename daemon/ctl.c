/*
 * The control plane: the requests of the socket protocol (proto.h), the
 * same from any stream transport.  Each request line is answered with one
 * reply line through the stream layer, which holds it until the commit;
 * "keys" (ctl_keys.c) answers a page of lines and a cursor for the next.  "wait" parks
 * the connection until the key's last part comes in (server.c calls
 * ctl_key_completed) or its timeout fires.  Nothing here reads a socket or
 * knows how a connection got here.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl.h"
#include "log.h"
#include "expire.h"
#include "stream.h"
#include "util.h"
#include "xmalloc.h"

#define WAIT_MS_MAX	(86400000UL * 365)	/* a year */

/* A connection parked in a wait for a key, or for a "reset idle=" to
 * walk the store (key "", no timer). */
struct waiter {
	struct conn		*c;
	char			 key[IPCD_KEY_MAX + 1];
	struct event		*timer;
	struct expire_job	*job;
	TAILQ_ENTRY(waiter)	 entry;
};

static TAILQ_HEAD(, waiter) waiters = TAILQ_HEAD_INITIALIZER(waiters);

/* Reject a request: counted like bad input, answered with CODE. */
void
ctl_refuse(struct conn *c, const char *cause, const char *code, const char *fmt,
    ...)
{
	char	msg[256];
	va_list	ap;

	server_reject(conn_transport(c), strcmp(code, ERR_USAGE) == 0 ?
	    RJ_MALFORMED : RJ_DENIED, cause, conn_peer(c));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	conn_reply(c, "err %s %s", code, msg);
}

/* The fields that describe a key, as in "result" and "keys" replies.  A
 * total beyond the range of a double is null, with overflow=true: the
 * exact sum is still held, it only has no double to print.  The time of
 * the last update is in seconds since the epoch, and how long ago it was
 * (at NOW, on ipcd's clock) in whole seconds. */
void
ctl_key_fields(const struct key *k, int64_t now, char *buf, size_t size)
{
	char	total[32], min[32], max[32], when[64];
	int	overflow;
	double	t = key_total(k, &overflow);

	if (overflow)
		snprintf(total, sizeof total, "null");
	else
		double_format(total, sizeof total, t);
	double_format(min, sizeof min, k->min);
	double_format(max, sizeof max, k->max);
	if (k->updated > 0)
		snprintf(when, sizeof when, "updated=%lld.%03lld idle=%lld",
		    (long long)(k->updated / NS_PER_SEC),
		    (long long)(k->updated % NS_PER_SEC / 1000000),
		    (long long)(now > k->updated ?
		    (now - k->updated) / NS_PER_SEC : 0));
	else
		snprintf(when, sizeof when, "updated=null idle=null");
	snprintf(buf, size, "key=\"%s\" total=%s count=%llu min=%s max=%s "
	    "parts=%u nparts=%u duplicates=%llu %s%s", k->name, total,
	    (unsigned long long)k->acc.count, min, max, k->received, k->nparts,
	    (unsigned long long)k->duplicates, when,
	    overflow ? " overflow=true" : "");
}

static int
arg_key(struct conn *c, const char *arg)
{
	if (arg == NULL || !key_valid(arg, strlen(arg))) {
		ctl_refuse(c, "bad key in a request", ERR_USAGE,
		    "key must be 1-%d characters of [A-Za-z0-9_.:-]",
		    IPCD_KEY_MAX);
		return -1;
	}
	return 0;
}

static void
reply_apply(struct conn *c, enum apply a, const struct record *r,
    const char *cause)
{
	const struct conf	*cf = server_conf();
	struct key		*k;

	switch (a) {
	case APPLY_OK:
		/* The reply to nearly every request: no formatting. */
		conn_write(c, "ok\n", 3);
		break;
	case APPLY_DUPLICATE:
		conn_reply(c, "duplicate part=%u nparts=%u", r->part, r->nparts);
		break;
	case APPLY_CONFLICT:
		k = store_find(server_store(), r->key);
		if (k != NULL && k->nparts != 0)
			conn_reply(c, "err %s key %s takes parts of %u, not %s",
			    ERR_CONFLICT, r->key, k->nparts,
			    r->nparts ? "a different count" : "plain values");
		else
			conn_reply(c, "err %s key %s takes plain values, not "
			    "parts", ERR_CONFLICT, r->key);
		break;
	case APPLY_LIMIT:
		conn_reply(c, "err %s too many keys (limits.max_keys = %ld)",
		    ERR_LIMIT, cf->limits.max_keys);
		break;
	case APPLY_PARTS:
		conn_reply(c, "err %s too many parts (limits.max_parts = %ld)",
		    ERR_LIMIT, cf->limits.max_parts);
		break;
	case APPLY_PARTS_MEMORY:
		conn_reply(c, "err %s part bitmaps use up limits.parts_memory "
		    "(%ld bytes)", ERR_LIMIT, cf->limits.parts_memory);
		break;
	case APPLY_INVALID:
		conn_reply(c, "err %s %s", ERR_INVALID, cause);
		break;
	}
}

static void
req_submit(struct conn *c, char *args)
{
	struct record	 r;
	const char	*cause = NULL;
	enum apply	 a;

	if (args == NULL)
		args = "";
	a = server_take_line(conn_transport(c), args, strlen(args),
	    conn_peer(c), &r, &cause);
	reply_apply(c, a, &r, cause);
}

static void
req_result(struct conn *c, char *args)
{
	struct key	*k;
	char		 buf[FIELDS_MAX];

	if (arg_key(c, args) != 0)
		return;
	if ((k = store_find(server_store(), args)) == NULL) {
		conn_reply(c, "err %s no submissions for key %s", ERR_NOKEY,
		    args);
		return;
	}
	ctl_key_fields(k, wall_ns(), buf, sizeof buf);
	conn_reply(c, "ok %s", buf);
}

/* Park C, waiting for KEY ("": for a walk). */
static struct waiter *
waiter_new(struct conn *c, const char *key)
{
	struct waiter	*w = xcalloc(1, sizeof *w);

	w->c = c;
	strcpy(w->key, key);
	TAILQ_INSERT_TAIL(&waiters, w, entry);
	conn_set_data(c, w);
	conn_park(c);
	return w;
}

static void
waiter_free(struct waiter *w)
{
	TAILQ_REMOVE(&waiters, w, entry);
	if (w->timer != NULL)
		event_free(w->timer);
	if (w->job != NULL)
		expire_job_cancel(w->job);
	conn_set_data(w->c, NULL);
	free(w);
}

/* The wait of W ends (its key complete, timed out, or GONE for a
 * reason): answer, and let its connection go on. */
static void
waiter_done(struct waiter *w, int timedout, const char *gone)
{
	struct conn	*c = w->c;
	struct key	*k = store_find(server_store(), w->key);
	char		 missing[256];

	if (gone != NULL)
		conn_reply(c, "err %s key %s %s", ERR_NOKEY, w->key, gone);
	else if (!timedout)
		req_result(c, w->key);
	else if (k == NULL || k->nparts == 0)
		conn_reply(c, "err %s key %s: no parts received", ERR_TIMEOUT,
		    w->key);
	else {
		key_missing(k, missing, sizeof missing);
		conn_reply(c, "err %s key %s: %u of %u parts missing: %s",
		    ERR_TIMEOUT, k->name, k->nparts - k->received, k->nparts,
		    missing);
	}
	waiter_free(w);
	conn_resume(c);
}

static void
wait_timeout(evutil_socket_t fd, short events, void *arg)
{
	waiter_done(arg, 1, NULL);
}

/* From server_submit, inside some transport's input (K is complete), or
 * server_remove (K is gone, for WHY): only queue the replies here; the
 * connections go on from the loop. */
static void
key_waiters(const struct key *k, const char *why)
{
	struct waiter	*w, *next;

	for (w = TAILQ_FIRST(&waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (strcmp(w->key, k->name) == 0)
			waiter_done(w, 0, why);
	}
}

void
ctl_key_completed(const struct key *k)
{
	key_waiters(k, NULL);
}

void
ctl_key_removed(const struct key *k, const char *why)
{
	key_waiters(k, why);
}

static int
wait_args(struct conn *c, char *args, unsigned long *ms)
{
	char	*sp = args != NULL ? strpbrk(args, " \t") : NULL, *end;

	*ms = 0;
	if (sp != NULL) {
		*sp++ = '\0';
		sp += strspn(sp, " \t");
		*ms = strtoul(sp, &end, 10);
		if (*sp < '0' || *sp > '9' || *end != '\0' || *ms > WAIT_MS_MAX) {
			ctl_refuse(c, "bad wait request", ERR_USAGE,
			    "wait KEY [TIMEOUT_MS], at most %lu ms", WAIT_MS_MAX);
			return -1;
		}
	}
	return arg_key(c, args);
}

static void
req_wait(struct conn *c, char *args)
{
	struct waiter	*w;
	struct key	*k;
	unsigned long	 ms;
	struct timeval	 tv;

	if (wait_args(c, args, &ms) != 0)
		return;
	k = store_find(server_store(), args);
	if (k != NULL && key_complete(k)) {
		req_result(c, args);
		return;
	}
	if (k != NULL && k->nparts == 0) {
		conn_reply(c, "err %s key %s takes plain values: it has no "
		    "parts to wait for", ERR_INVALID, args);
		return;
	}
	w = waiter_new(c, args);
	if ((w->timer = evtimer_new(server_base(), wait_timeout, w)) == NULL)
		fatalx("ctl: out of memory for a wait");
	if (ms > 0) {
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		evtimer_add(w->timer, &tv);
	}
}

static void
req_stats(struct conn *c, char *args)
{
	char	buf[1024];

	server_stats(buf, sizeof buf);
	conn_reply(c, "ok %s", buf);
}

/* May C's peer reset keys? */
static int
admin_allowed(const struct conn *c)
{
	const struct peer	*p = conn_peer(c);

	/* A network peer has no uid to trust. */
	if (p->addr[0] != '\0')
		return server_conf()->tcp.admin;
	return server_conf()->unix_.admin == ADMIN_ANYONE || p->uid == 0 ||
	    p->uid == geteuid();
}

/* The walk of a "reset idle=" is over: N keys were removed. */
static void
reset_done(size_t n, void *arg)
{
	struct waiter	*w = arg;
	struct conn	*c = w->c;

	conn_reply(c, "ok removed=%zu", n);
	w->job = NULL;
	waiter_free(w);
	conn_resume(c);
}

/* "reset idle=DURATION": every key idle longer than that, removed a step
 * at a time (expire.c) while the connection waits. */
static void
reset_idle(struct conn *c, const char *arg)
{
	struct waiter	*w;
	const char	*cause;
	long		 idle;

	if (duration_parse(arg, &idle, &cause) != 0) {
		ctl_refuse(c, "bad reset request", ERR_USAGE, "reset idle=DURATION: "
		    "%s", cause);
		return;
	}
	w = waiter_new(c, "");
	w->job = expire_job_start(idle, conn_transport(c), conn_peer(c),
	    reset_done, w);
}

static void
req_reset(struct conn *c, char *args)
{
	const struct peer	*p = conn_peer(c);
	int			 all = args != NULL && strcmp(args, "*") == 0;

	if (!admin_allowed(c) && p->addr[0] != '\0') {
		ctl_refuse(c, "reset by a network peer", ERR_DENIED, "reset is "
		    "not taken from network peers ([tcp] admin = no)");
		return;
	}
	if (!admin_allowed(c)) {
		ctl_refuse(c, "reset by a peer that is not an admin", ERR_DENIED,
		    "reset is for root and uid %u (%s.admin = owner)",
		    (unsigned)geteuid(), server_transport_name(conn_transport(c)));
		return;
	}
	if (args != NULL && strncmp(args, "idle=", 5) == 0) {
		reset_idle(c, args + 5);
		return;
	}
	if (!all && arg_key(c, args) != 0)
		return;
	conn_reply(c, "ok removed=%zu", server_reset(all ? NULL : args,
	    conn_transport(c), p));
}

static void
req_ping(struct conn *c, char *args)
{
	conn_reply(c, "ok proto=%d version=\"%s\" pid=%ld", IPCD_PROTO_VERSION,
	    IPCD_VERSION, (long)getpid());
}

/* "hello PROTO": the client's protocol version must be ours. */
static void
req_hello(struct conn *c, char *args)
{
	char	*end;
	long	 v = args != NULL ? strtol(args, &end, 10) : -1;

	if (args == NULL || *args == '\0' || *end != '\0' || v < 0) {
		ctl_refuse(c, "bad hello request", ERR_USAGE, "hello PROTO");
		return;
	}
	if (v != IPCD_PROTO_VERSION) {
		ctl_refuse(c, "client of another protocol version", ERR_VERSION,
		    "ipcd speaks protocol %d, the client %ld",
		    IPCD_PROTO_VERSION, v);
		return;
	}
	req_ping(c, NULL);
}

static const struct {
	const char	*name;
	void		(*fn)(struct conn *, char *);
} requests[] = {
	{ REQ_SUBMIT, req_submit },
	{ REQ_RESULT, req_result },
	{ REQ_WAIT, req_wait },
	{ REQ_STATS, req_stats },
	{ REQ_KEYS, ctl_keys },
	{ REQ_RESET, req_reset },
	{ REQ_PING, req_ping },
	{ REQ_HELLO, req_hello },
};

/* A request line: COMMAND, then its arguments after spaces or tabs (the
 * same separators as a record). */
static void
ctl_request(struct conn *c, char *line, size_t len)
{
	char	*args;
	size_t	 i;

	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if ((args = strpbrk(line, " \t")) != NULL) {
		*args++ = '\0';
		args += strspn(args, " \t");
	}
	for (i = 0; i < sizeof requests / sizeof requests[0]; i++)
		if (strcmp(line, requests[i].name) == 0) {
			requests[i].fn(c, args);
			return;
		}
	ctl_refuse(c, "unknown request", ERR_USAGE, "unknown request \"%.32s\"",
	    line);
}

static void
ctl_closed(struct conn *c)
{
	struct waiter	*w = conn_data(c);

	if (w != NULL)
		waiter_free(w);
}

const struct stream_handler ctl_handler = {
	.request = ctl_request,
	.closed = ctl_closed,
};
