/*
 * The thread that waits on the System V queue, and its hand-off to the
 * loop.  A System V queue has no descriptor to poll, so this thread sits
 * in msgrcv(2) and puts each message it gets into a ring of SYSV_HANDOFF
 * slots; when the ring goes from empty to not empty it writes to an
 * eventfd that the loop watches.  The loop takes from the head of the
 * ring, the thread fills its tail: each slot belongs to one side at a time
 * and only the indexes are shared, under one mutex.  With the ring full
 * the thread waits, so memory stays bounded and the rest of the messages
 * wait in the kernel's queue.  The thread touches nothing else: the key
 * store stays the loop's alone.
 *
 * Stopping a thread blocked in msgrcv: a flag, then, if it is in msgrcv,
 * an empty message of type SYSV_WAKE sent to the queue, which msgrcv
 * returns (msgrcv takes every type, in order, so it may return a real
 * message first: that one is handed over, and the flag seen before the
 * next msgrcv).  A signal would race with the thread entering msgrcv and
 * be lost; removing the queue would lose its messages.  When the queue is
 * full the wake-up cannot be sent, but then msgrcv does not block either.
 * A wake-up the thread did not take is taken back after the join, so it
 * does not stay in the queue for the next start; one it never got (taken
 * by another reader) is sent again, so a stop cannot hang.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

#include "sysv_recv.h"
#include "util.h"
#include "xmalloc.h"

#define STOP_RESEND	1	/* seconds between wake-ups at a stop */

struct slot {
	size_t		len;
	struct sysv_msg	msg;
};

static struct {
	pthread_t	 thread;
	int		 running;
	pthread_mutex_t	 mu;
	pthread_cond_t	 room;		/* the loop freed a slot */
	struct slot	*ring;
	size_t		 head, count;	/* under mu */
	int		 stop;		/* under mu */
	int		 receiving;	/* under mu: in (or entering) msgrcv */
	int		 failed;	/* under mu: msgrcv's errno */
	int		 qid, efd;
} rv = { .mu = PTHREAD_MUTEX_INITIALIZER, .room = PTHREAD_COND_INITIALIZER };

static void
wake_loop(void)
{
	uint64_t	one = 1;

	(void)write(rv.efd, &one, sizeof one);
}

static void *
recv_thread(void *arg)
{
	struct slot	*s;
	ssize_t		 n;
	int		 wake;

	for (;;) {
		pthread_mutex_lock(&rv.mu);
		while (rv.count == SYSV_HANDOFF && !rv.stop)
			pthread_cond_wait(&rv.room, &rv.mu);
		if (rv.stop)
			break;
		s = &rv.ring[(rv.head + rv.count) % SYSV_HANDOFF];
		rv.receiving = 1;
		pthread_mutex_unlock(&rv.mu);

		n = msgrcv(rv.qid, &s->msg, sizeof s->msg.mtext, 0,
		    MSG_NOERROR);

		pthread_mutex_lock(&rv.mu);
		rv.receiving = 0;
		if (n == -1 && errno == EINTR) {
			pthread_mutex_unlock(&rv.mu);
			continue;
		}
		if (n == -1) {
			/* The queue was removed (EIDRM, EINVAL) or made
			 * unreadable: the loop decides, the thread ends. */
			rv.failed = errno;
			pthread_mutex_unlock(&rv.mu);
			wake_loop();
			return NULL;
		}
		if (rv.stop && s->msg.mtype == SYSV_WAKE && n == 0)
			break;
		s->len = (size_t)n;
		wake = rv.count++ == 0;
		pthread_mutex_unlock(&rv.mu);
		if (wake)
			wake_loop();
	}
	pthread_mutex_unlock(&rv.mu);
	return NULL;
}

/* Start taking from queue QID, waking the loop through eventfd EFD. */
int
recv_start(int qid, int efd, char **cause)
{
	sigset_t	all, old;

	if (rv.ring == NULL)
		rv.ring = xcalloc(SYSV_HANDOFF, sizeof *rv.ring);
	rv.qid = qid;
	rv.efd = efd;
	rv.head = rv.count = 0;
	rv.stop = rv.receiving = rv.failed = 0;
	/* Signals are the loop's: the thread is created with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&rv.thread, NULL, recv_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		*cause = fmtstr("pthread_create: %s", strerror(errno));
		return -1;
	}
	rv.running = 1;
	return 0;
}

/* Stop the thread; what it took stays in the ring for the loop.  A
 * wake-up taken by another reader of the queue (only ipcd's user or root
 * may read it) is sent again each second. */
void
recv_stop(void)
{
	struct sysv_msg	wake = { .mtype = SYSV_WAKE };
	struct timespec	ts;
	int		sent = 0;

	if (!rv.running)
		return;
	pthread_mutex_lock(&rv.mu);
	rv.stop = 1;
	pthread_cond_signal(&rv.room);
	pthread_mutex_unlock(&rv.mu);
	for (;;) {
		pthread_mutex_lock(&rv.mu);
		if (rv.receiving && msgsnd(rv.qid, &wake, 0, IPC_NOWAIT) == 0)
			sent++;
		pthread_mutex_unlock(&rv.mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += STOP_RESEND;
		if (pthread_timedjoin_np(rv.thread, NULL, &ts) == 0)
			break;
	}
	rv.running = 0;
	while (sent-- > 0 && msgrcv(rv.qid, &wake, 0, SYSV_WAKE, IPC_NOWAIT |
	    MSG_NOERROR) == 0)
		;
}

/* The errno that ended the thread, or 0. */
int
recv_failed(void)
{
	int	e;

	pthread_mutex_lock(&rv.mu);
	e = rv.failed;
	pthread_mutex_unlock(&rv.mu);
	return e;
}

/* The message at the head of the ring: 1, or 0 when there is none.  It
 * stays the loop's until recv_done(). */
int
recv_peek(const struct sysv_msg **m, size_t *len)
{
	int	have;

	pthread_mutex_lock(&rv.mu);
	have = rv.count > 0;
	if (have) {
		*m = &rv.ring[rv.head].msg;
		*len = rv.ring[rv.head].len;
	}
	pthread_mutex_unlock(&rv.mu);
	return have;
}

void
recv_done(void)
{
	pthread_mutex_lock(&rv.mu);
	rv.head = (rv.head + 1) % SYSV_HANDOFF;
	if (rv.count-- == SYSV_HANDOFF)
		pthread_cond_signal(&rv.room);
	pthread_mutex_unlock(&rv.mu);
}

/* After recv_stop: what the ring still holds is dropped. */
void
recv_free(void)
{
	free(rv.ring);
	rv.ring = NULL;
	rv.head = rv.count = 0;
}
