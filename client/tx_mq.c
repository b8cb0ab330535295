/* Submitting over the POSIX message queue: one message per record. */

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

#include "send.h"
#include "util.h"
#include "xmalloc.h"

struct mq_tx {
	mqd_t			 mq;
	size_t			 msgsize;	/* the queue's */
	const struct target	*tg;
};

static void *
mq_open_tx(const struct target *tg, char **cause)
{
	const char	*name = tg->conf->mq.name;
	struct mq_attr	 attr;
	struct mq_tx	*m;
	mqd_t		 mq;

	if ((mq = mq_open(name, O_WRONLY | O_CLOEXEC)) == (mqd_t)-1) {
		*cause = fmtstr("message queue %s: %s%s", name, strerror(errno),
		    errno == ENOENT ? " (is ipcd running?)" : "");
		return NULL;
	}
	m = xmalloc(sizeof *m);
	m->mq = mq;
	m->msgsize = mq_getattr(mq, &attr) == 0 && attr.mq_msgsize > 0 &&
	    attr.mq_msgsize < IPCD_LINE_MAX ? (size_t)attr.mq_msgsize :
	    IPCD_LINE_MAX;
	m->tg = tg;
	return m;
}

static int
mq_put(void *arg, const struct record *r, const char *line, size_t len,
    struct tally *t)
{
	struct mq_tx	*m = arg;
	char		 buf[IPCD_LINE_MAX];
	double		 end = mono_sec() + m->tg->timeout;
	struct timespec	 ts;

	if (tx_line(r, &line, &len, m->msgsize, buf) != 0)
		return tally_fail(t, fmtstr("a record longer than the "
		    "queue's messages (%zu bytes)", m->msgsize));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)m->tg->timeout;
	ts.tv_nsec += (long)((m->tg->timeout - (double)(time_t)m->tg->timeout) *
	    1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (mq_timedsend(m->mq, line, len, 0, &ts) == -1) {
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

const struct sender tx_mq = {
	"mq", mq_open_tx, mq_put, mq_flush_tx, mq_close_tx, 0
};
