/*
 * Submitting over the System V message queue: one message of type 1 per
 * record.  There is nothing to poll on a System V queue, so a full queue
 * is tried again after a sleep that doubles up to SEND_NAP_MAX, until the
 * timeout.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <time.h>

#include "send.h"
#include "sysvkey.h"
#include "util.h"
#include "xmalloc.h"

#define SEND_NAP_MIN	0.0001	/* seconds of the first sleep on a full queue */
#define SEND_NAP_MAX	0.001	/* and of the longest */

struct sysv_tx {
	int			 qid;
	key_t			 key;
	const struct target	*tg;
	struct {
		long	mtype;
		char	mtext[IPCD_LINE_MAX];
	} msg;
};

static void *
sysv_open_tx(const struct target *tg, char **cause)
{
	const struct conf	*c = tg->conf;
	struct sysv_tx		*s;
	key_t			 key;
	int			 qid;

	if (sysvkey_resolve(c->sysv.key, c->unix_.path, &key, cause) != 0)
		return NULL;
	if ((qid = msgget(key, 0)) == -1) {
		*cause = fmtstr("System V message queue 0x%08x: %s%s",
		    (unsigned)key, strerror(errno), errno == ENOENT ?
		    " (is ipcd running?)" : "");
		return NULL;
	}
	s = xmalloc(sizeof *s);
	s->qid = qid;
	s->key = key;
	s->tg = tg;
	s->msg.mtype = 1;
	return s;
}

static void
nap(double sec)
{
	struct timespec	ts = { (time_t)sec,
	    (long)((sec - (double)(time_t)sec) * 1e9) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
sysv_put(void *arg, const struct record *r, const char *line, size_t len,
    struct tally *t)
{
	struct sysv_tx	*s = arg;
	double		 end = 0, wait = SEND_NAP_MIN;

	if (tx_line(r, &line, &len, sizeof s->msg.mtext, s->msg.mtext) != 0)
		return tally_fail(t, fmtstr("a record longer than %zu bytes",
		    sizeof s->msg.mtext));
	if (line != s->msg.mtext)
		memcpy(s->msg.mtext, line, len);
	while (msgsnd(s->qid, &s->msg, len, IPC_NOWAIT) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return tally_fail(t, fmtstr("msgsnd to System V "
			    "message queue 0x%08x: %s%s", (unsigned)s->key,
			    strerror(errno), errno == EIDRM || errno ==
			    EINVAL ? " (the queue was removed)" : ""));
		if (end == 0)
			end = mono_sec() + s->tg->timeout;
		else if (mono_sec() >= end)
			return tally_fail(t, fmtstr("gave up after %g s "
			    "waiting for room in System V message queue "
			    "0x%08x (is ipcd stopped or stuck?)",
			    s->tg->timeout, (unsigned)s->key));
		nap(wait);
		if ((wait *= 2) > SEND_NAP_MAX)
			wait = SEND_NAP_MAX;
	}
	t->accepted++;
	return 0;
}

static int
sysv_flush_tx(void *arg, struct tally *t)
{
	return 0;	/* every record went out as its own message */
}

static int
sysv_close_tx(void *arg, struct tally *t)
{
	free(arg);
	return 0;
}

const struct sender tx_sysv = {
	"sysv", sysv_open_tx, sysv_put, sysv_flush_tx, sysv_close_tx, 0
};
