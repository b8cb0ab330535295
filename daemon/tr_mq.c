/*
 * The message-queue transport: one record per POSIX message, fire and
 * forget.  On Linux an mqd_t is a file descriptor, so the queue is watched
 * by the event loop like any socket; every wake-up drains it until EAGAIN
 * (bounded, so other transports get their turn).  The queue outlives ipcd
 * on purpose: what is sent while ipcd is down waits for the next start.
 */

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipcd.h"
#include "log.h"
#include "systemd.h"
#include "util.h"

#define MQ_DRAIN	4096	/* messages per wake-up before yielding */

static struct {
	mqd_t		 mqd;
	char		*buf;
	size_t		 bufsize;
	struct event	*ev;
	int		 passed;	/* by systemd: not ours to close */
} mq = { .mqd = (mqd_t)-1 };

static void	mq_close_(void);

static int
mq_enabled(const struct conf *c)
{
	return c->mq.enabled;
}

static int
mq_changed(const struct conf *a, const struct conf *b)
{
	return a->mq.enabled != b->mq.enabled ||
	    strcmp(a->mq.name, b->mq.name) != 0 || a->mq.mode != b->mq.mode ||
	    a->mq.max_messages != b->mq.max_messages ||
	    a->mq.message_size != b->mq.message_size;
}

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

static int
mq_open_(const struct conf *c, char **cause)
{
	struct mq_attr	attr = { .mq_maxmsg = c->mq.max_messages,
	    .mq_msgsize = c->mq.message_size };
	struct stat	st;

	mq.mqd = (mqd_t)sysd_take_mq("mq", c->mq.name, cause);
	if (*cause != NULL)
		return -1;
	if ((mq.passed = mq.mqd != (mqd_t)-1))
		goto sized;	/* systemd made it: its owner and mode hold */
	mq.mqd = mq_open(c->mq.name, O_RDONLY | O_CREAT | O_NONBLOCK |
	    O_CLOEXEC, c->mq.mode, &attr);
	if (mq.mqd == (mqd_t)-1) {
		*cause = fmtstr("mq_open %s: %s%s", c->mq.name, strerror(errno),
		    errno == EINVAL ? " (max_messages or message_size above "
		    "/proc/sys/fs/mqueue limits?)" : "");
		return -1;
	}
	/* A queue that existed keeps the sizes it was created with. */
	if (mq_getattr(mq.mqd, &attr) != 0 || fstat(mq.mqd, &st) != 0) {
		*cause = fmtstr("mq %s: %s", c->mq.name, strerror(errno));
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		*cause = fmtstr("message queue %s belongs to uid %u; refusing "
		    "to use it", c->mq.name, (unsigned)st.st_uid);
		goto fail;
	}
	if (fchmod(mq.mqd, c->mq.mode) != 0) {
		*cause = fmtstr("chmod mq %s: %s", c->mq.name, strerror(errno));
		goto fail;
	}
sized:
	if (mq_getattr(mq.mqd, &attr) != 0) {
		*cause = fmtstr("mq %s: %s", c->mq.name, strerror(errno));
		goto fail;
	}
	mq.bufsize = (size_t)attr.mq_msgsize;
	if ((mq.buf = malloc(mq.bufsize)) == NULL) {
		*cause = fmtstr("out of memory");
		goto fail;
	}
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
	.name = "mq",
	.enabled = mq_enabled,
	.changed = mq_changed,
	.open = mq_open_,
	.close = mq_close_,
};
