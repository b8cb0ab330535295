/*
 * The message-queue transport: one record per POSIX message, fire and
 * forget.  On Linux an mqd_t is a file descriptor, so the queue is watched
 * by the event loop like any socket; every wake-up drains it until EAGAIN
 * (bounded, so other transports get their turn).  The queue outlives ipcd
 * on purpose: what is sent while ipcd is down waits for the next start.
 *
 * A queue read by two ipcds would split its records between them, so
 * ipcd holds a lock on it (node_claim) for as long as it reads it.  It is
 * never recreated under senders: a reload changes its mode in place, and
 * its sizes are fixed when it is created.
 */

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "node.h"
#include "systemd.h"
#include "util.h"
#include "xmalloc.h"

#define MQ_DRAIN	4096	/* messages per wake-up before yielding */

static struct {
	mqd_t		 mqd;
	char		*buf;
	size_t		 bufsize;
	struct event	*ev;
	int		 passed;	/* by systemd: not ours to close */
} mq = { .mqd = (mqd_t)-1 };

static void	mq_close_(void);

static void
mq_read(evutil_socket_t fd, short events, void *arg)
{
	struct record	 r;
	const char	*cause;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < MQ_DRAIN; i++) {
		n = mq_receive(mq.mqd, mq.buf, mq.bufsize, NULL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("mq: receive");
			return;
		}
		(void)server_take_line(TR_MQ, mq.buf, (size_t)n, NULL, &r,
		    &cause);
	}
}

/*
 * What a queue costs of its creator's RLIMIT_MSGQUEUE: each message's
 * bytes and the kernel's bookkeeping for it, a struct msg_msg and a node
 * of the priority tree, 48 bytes each on 64-bit Linux (measured: 128
 * messages of 4096 bytes take 536,576 bytes).
 */
#define MQ_MSG_OVERHEAD	96
#define MQ_MSG_MAX	"/proc/sys/fs/mqueue/msg_max"
#define MQ_MSGSIZE_MAX	"/proc/sys/fs/mqueue/msgsize_max"

static long long
mq_bytes(const struct conf *c)
{
	return (long long)c->mq.max_messages *
	    (c->mq.message_size + MQ_MSG_OVERHEAD);
}

/* A limit under /proc/sys/fs/mqueue, or -1. */
static long
mq_sysctl(const char *path)
{
	FILE	*f;
	long	 v;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* KEY's VALUE above LIMIT, read from FILE (sysctl fs.mqueue.SYSCTL). */
static char *
mq_above(const struct conf *c, const char *key, long value, const char *file,
    long limit, const char *sysctl)
{
	return fmtstr("mq_open %s: %s %ld is above %s (%ld), the most a "
	    "process without CAP_SYS_RESOURCE may ask; lower [mq] %s or raise "
	    "the limit (sysctl fs.mqueue.%s)", c->mq.name, key, value, file,
	    limit, key, sysctl);
}

/* EINVAL: a size above what an unprivileged process may ask for. */
static char *
mq_too_big(const struct conf *c)
{
	long	max = mq_sysctl(MQ_MSG_MAX), size = mq_sysctl(MQ_MSGSIZE_MAX);

	if (max != -1 && c->mq.max_messages > max)
		return mq_above(c, "max_messages", c->mq.max_messages,
		    MQ_MSG_MAX, max, "msg_max");
	if (size != -1 && c->mq.message_size > size)
		return mq_above(c, "message_size", c->mq.message_size,
		    MQ_MSGSIZE_MAX, size, "msgsize_max");
	return fmtstr("mq_open %s: %s (are max_messages and message_size "
	    "within %s and %s?)", c->mq.name, strerror(EINVAL), MQ_MSG_MAX,
	    MQ_MSGSIZE_MAX);
}

/*
 * Why mq_open failed.  Linux says EMFILE ("Too many open files") when the
 * new queue does not fit in the user's RLIMIT_MSGQUEUE, which all of that
 * user's queues share and which outlive their creators; a descriptor to
 * spare shows that this is the cause.
 */
static char *
mq_open_failed(const struct conf *c)
{
	struct rlimit	rl;
	int		saved = errno, fd;

	if (saved == EINVAL)
		return mq_too_big(c);
	if (saved != EMFILE || getrlimit(RLIMIT_MSGQUEUE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY ||
	    (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return fmtstr("mq_open %s: %s", c->mq.name, strerror(saved));
	close(fd);
	return fmtstr("mq_open %s: a queue of %ld messages of %ld bytes needs "
	    "%lld bytes of the user's message-queue memory, and RLIMIT_MSGQUEUE "
	    "(%llu bytes, for all of the user's queues) does not have them; "
	    "raise it (LimitMSGQUEUE= in the service, ulimit -q), lower [mq] "
	    "max_messages or message_size, or remove unused queues under "
	    "/dev/mqueue (mount -t mqueue none /dev/mqueue)", c->mq.name,
	    c->mq.max_messages, c->mq.message_size, mq_bytes(c),
	    (unsigned long long)rl.rlim_cur);
}

/* A queue ipcd opened itself must be its own; give it the mode. */
static int
mq_own(const struct conf *c, char **cause)
{
	struct stat	st;

	if (fstat(mq.mqd, &st) != 0) {
		*cause = fmtstr("mq %s: %s", c->mq.name, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		*cause = fmtstr("message queue %s belongs to uid %u; refusing "
		    "to use it", c->mq.name, (unsigned)st.st_uid);
		return -1;
	}
	if (fchmod(mq.mqd, c->mq.mode) != 0) {
		*cause = fmtstr("chmod mq %s: %s", c->mq.name, strerror(errno));
		return -1;
	}
	return 0;
}

static int
mq_open_(const struct conf *c, char **cause)
{
	struct mq_attr	attr = { .mq_maxmsg = c->mq.max_messages,
	    .mq_msgsize = c->mq.message_size };
	char		what[CONF_NAME_MAX + 32];

	mq.mqd = (mqd_t)sysd_take_mq("mq", c->mq.name, cause);
	if (*cause != NULL)
		return -1;
	/* One that systemd made keeps the owner and mode systemd gave it. */
	mq.passed = mq.mqd != (mqd_t)-1;
	if (!mq.passed && (mq.mqd = mq_open(c->mq.name, O_RDONLY | O_CREAT |
	    O_NONBLOCK | O_CLOEXEC, c->mq.mode, &attr)) == (mqd_t)-1) {
		*cause = mq_open_failed(c);
		return -1;
	}
	/* Before anything changes it: it may be another ipcd's. */
	snprintf(what, sizeof what, "message queue %s", c->mq.name);
	if (node_claim(mq.mqd, what, cause) != 0)
		goto fail;
	if (!mq.passed && mq_own(c, cause) != 0)
		goto fail;
	/* A queue that existed keeps the sizes it was created with. */
	if (mq_getattr(mq.mqd, &attr) != 0) {
		*cause = fmtstr("mq %s: %s", c->mq.name, strerror(errno));
		goto fail;
	}
	mq.bufsize = (size_t)attr.mq_msgsize;
	mq.buf = xmalloc(mq.bufsize);
	mq.ev = event_new(server_base(), mq.mqd, EV_READ | EV_PERSIST,
	    mq_read, NULL);
	if (mq.ev == NULL || event_add(mq.ev, NULL) != 0) {
		*cause = fmtstr("cannot watch the message queue");
		goto fail;
	}
	return 0;
fail:
	mq_close_();
	return -1;
}

/*
 * A new mode is set on the queue in place, so that senders keep it; new
 * sizes would need a new queue, which would lose what waits in this one.
 */
static int
mq_update(const struct conf *old, const struct conf *new, char **cause)
{
	struct mq_attr	attr;

	if ((old->mq.max_messages != new->mq.max_messages ||
	    old->mq.message_size != new->mq.message_size) &&
	    mq_getattr(mq.mqd, &attr) == 0)
		log_info("mq: max_messages and message_size apply when a queue "
		    "is created; %s keeps %ld messages of %ld bytes", new->mq.name,
		    (long)attr.mq_maxmsg, (long)attr.mq_msgsize);
	if (old->mq.mode == new->mq.mode)
		return 0;
	if (fchmod(mq.mqd, new->mq.mode) != 0) {
		*cause = fmtstr("chmod mq %s: %s", new->mq.name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Also undoes a half-done mq_open_. */
static void
mq_close_(void)
{
	if (mq.ev != NULL)
		event_free(mq.ev);
	mq.ev = NULL;
	free(mq.buf);
	mq.buf = NULL;
	if (!mq.passed)
		mq_close(mq.mqd);
	mq.mqd = (mqd_t)-1;
}

const struct transport tr_mq = {
	.name = "mq", TR_CONF(mq, name),
	.open = mq_open_, .close = mq_close_, .update = mq_update,
};
