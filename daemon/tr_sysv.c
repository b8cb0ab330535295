/*
 * The System V message-queue transport: one record per message, of type
 * SYSV_MTYPE (1), fire and forget; any other type is rejected and
 * counted.  The key is [sysv] key (common/sysvkey.c).
 *
 * How ipcd learns that messages arrived: a System V queue has no
 * descriptor that libevent could watch, so a helper thread waits in
 * msgrcv(2) and hands each message to the loop through a bounded ring,
 * waking it with an eventfd (sysv_recv.c).  The loop takes them through
 * server_take_line(), at most SYSV_DRAIN a pass, each pass ended by the
 * commit; more left waiting are taken in the next pass.
 *
 * What is sent while ipcd is down waits in the kernel's queue: ipcd never
 * removes the queue, and takes those messages at its next start.  A crash
 * loses what the thread had taken and the loop had not committed (at most
 * SYSV_HANDOFF messages and one pass), as a crash between mq_receive and
 * the commit does for mq.  At a stop or a reload the thread is stopped
 * first, and what it took is applied and committed before the close.
 *
 * Whoever can read the queue reads the submissions, so a queue that
 * exists is taken only if ipcd's user made it and owns it: another local
 * user could have made it first, with a mode that lets them read.  Two
 * ipcds on one key would split its records: ipcd holds a lock of the key
 * for as long as it reads it (lock_take).  A queue removed under
 * ipcd (only its owner or root can) is said so and made again, at most
 * once a second.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "sysv_recv.h"
#include "sysvkey.h"
#include "util.h"

#define SYSV_DRAIN	4096	/* messages per pass before yielding */
/* ipcd always keeps the right to read (and IPC_STAT) its own queue. */
#define SYSV_MODE_OWN	(S_IRUSR | S_IWUSR)
#define LOCK_TRIES	16	/* objects removed under us before giving up */

static struct {
	key_t		 key;
	int		 qid;
	mode_t		 mode;
	int		 semid;		/* the lock */
	int		 efd;
	struct event	*ev;		/* the thread woke the loop */
	struct event	*again;		/* a pass left messages */
	struct event	*retry;		/* make the queue again */
	time_t		 lost_at;
} sv = { .qid = -1, .semid = -1, .efd = -1 };

/*
 * Hold the lock of the key, so that a second ipcd on it refuses to start:
 * a System V semaphore of the same key (the keys of queues and of
 * semaphores are apart), raised from 0 to 1 in one semop with SEM_UNDO,
 * so the kernel puts it back when ipcd dies however it dies.  It lives
 * where the queue's key does, in the IPC namespace, whatever the mounts.
 * It is removed at the close; one removed under a taker's semget is made
 * again.  One that another user made is refused, like such a queue.
 */
static int
lock_take(char **cause)
{
	struct sembuf	 op[2] = { { 0, 0, IPC_NOWAIT },
			    { 0, 1, IPC_NOWAIT | SEM_UNDO } };
	struct semid_ds	 ds;
	union semun_ {
		int		 val;
		struct semid_ds	*buf;
	} arg = { .buf = &ds };
	int		 id, i;

	for (i = 0; i < LOCK_TRIES; i++) {
		if ((id = semget(sv.key, 1, IPC_CREAT | 0600)) == -1)
			break;
		if (semctl(id, 0, IPC_STAT, arg) != 0) {
			if (errno == EIDRM || errno == EINVAL)
				continue;
			break;
		}
		if (ds.sem_perm.uid != geteuid() ||
		    ds.sem_perm.cuid != geteuid()) {
			*cause = fmtstr("the lock of System V message queue "
			    "0x%08x, a semaphore of that key, belongs to uid "
			    "%u; refusing to use it", (unsigned)sv.key,
			    (unsigned)ds.sem_perm.uid);
			return -1;
		}
		if (semop(id, op, 2) == 0) {
			sv.semid = id;
			return 0;
		}
		if (errno == EAGAIN) {
			*cause = fmtstr("System V message queue 0x%08x is in "
			    "use by another ipcd (pid %d); give this one "
			    "another key", (unsigned)sv.key,
			    semctl(id, 0, GETPID));
			return -1;
		}
		if (errno != EIDRM && errno != EINVAL)
			break;
	}
	*cause = fmtstr("the lock of System V message queue 0x%08x: %s",
	    (unsigned)sv.key, strerror(errno));
	return -1;
}

static void
lock_drop(void)
{
	if (sv.semid == -1)
		return;
	semctl(sv.semid, 0, IPC_RMID);
	sv.semid = -1;
}

/* An existing queue: ours only if our user made it and owns it; then it
 * gets the mode. */
static int
queue_take(int qid, char **cause)
{
	struct msqid_ds	ds;
	uid_t		euid = geteuid();

	if (msgctl(qid, IPC_STAT, &ds) != 0) {
		*cause = fmtstr("System V message queue 0x%08x: %s; refusing "
		    "to use it (made by another user?)", (unsigned)sv.key,
		    strerror(errno));
		return -1;
	}
	if (ds.msg_perm.uid != euid || ds.msg_perm.cuid != euid) {
		*cause = fmtstr("System V message queue 0x%08x belongs to uid "
		    "%u (made by uid %u); refusing to use it (remove it with "
		    "ipcrm -Q 0x%08x, or choose another key)", (unsigned)sv.key,
		    (unsigned)ds.msg_perm.uid, (unsigned)ds.msg_perm.cuid,
		    (unsigned)sv.key);
		return -1;
	}
	ds.msg_perm.mode = sv.mode;
	if (msgctl(qid, IPC_SET, &ds) != 0) {
		*cause = fmtstr("System V message queue 0x%08x: cannot set its "
		    "mode: %s", (unsigned)sv.key, strerror(errno));
		return -1;
	}
	return 0;
}

/* Make the queue, or take the one that exists. */
static int
queue_get(char **cause)
{
	int	qid, i;

	for (i = 0; i < LOCK_TRIES; i++) {
		qid = msgget(sv.key, IPC_CREAT | IPC_EXCL | (int)sv.mode);
		if (qid != -1) {
			sv.qid = qid;
			return 0;
		}
		if (errno == EEXIST && (qid = msgget(sv.key, 0)) != -1) {
			if (queue_take(qid, cause) != 0)
				return -1;
			sv.qid = qid;
			return 0;
		}
		if (errno != ENOENT)	/* else removed meanwhile: again */
			break;
	}
	*cause = fmtstr("msgget 0x%08x: %s%s", (unsigned)sv.key,
	    strerror(errno), errno == ENOSPC ? " (kernel.msgmni queues "
	    "exist already)" : "");
	return -1;
}

/* The message at the head of the hand-off, to the loop: 0 when there
 * was none. */
static int
take_one(void)
{
	const struct sysv_msg	*m;
	struct record		 r;
	const char		*why;
	char			 cause[64];
	size_t			 len;

	if (!recv_peek(&m, &len))
		return 0;
	if (m->mtype != SYSV_MTYPE) {
		snprintf(cause, sizeof cause, "message of type %ld, not %d",
		    m->mtype, SYSV_MTYPE);
		server_reject(TR_SYSV, RJ_MALFORMED, cause, NULL);
	} else
		(void)server_take_line(TR_SYSV, m->mtext, len, NULL, &r, &why);
	recv_done();
	return 1;
}

static void	lost(int);

/* The thread said there is something: take it, a pass's worth. */
static void
sysv_take(evutil_socket_t fd, short events, void *arg)
{
	static const struct timeval	now = { 0, 0 };
	uint64_t			n;
	int				i, e;

	if (fd != -1)
		(void)read(fd, &n, sizeof n);
	for (i = 0; i < SYSV_DRAIN; i++)
		if (!take_one())
			break;
	if (i == SYSV_DRAIN)
		evtimer_add(sv.again, &now);	/* after this pass's commit */
	else if ((e = recv_failed()) != 0)
		lost(e);
}

/* A queue and a thread on it. */
static int
queue_up(char **cause)
{
	if (queue_get(cause) != 0)
		return -1;
	return recv_start(sv.qid, sv.efd, cause);
}

/* msgrcv failed with E: the queue went away (EIDRM, EINVAL) or cannot be
 * read any more.  Make it again and say so; if that fails, or it is lost
 * again within a second, try again each second. */
static void
lost(int e)
{
	static const struct timeval	 sec = { 1, 0 };
	char				*cause = NULL;
	const char			*why = e == EIDRM || e == EINVAL ?
					    " (removed by its owner or root)" : "";
	time_t				 t = time(NULL), last = sv.lost_at;

	recv_stop();
	while (take_one())
		;
	sv.qid = -1;
	sv.lost_at = t;
	if (t - last >= 1 && queue_up(&cause) == 0) {
		log_warnx("sysv: queue 0x%08x: %s%s; made it again",
		    (unsigned)sv.key, strerror(e), why);
		return;
	}
	log_warnx("sysv: queue 0x%08x: %s%s; %s%strying again every second",
	    (unsigned)sv.key, strerror(e), why, cause != NULL ? cause : "",
	    cause != NULL ? "; " : "");
	free(cause);
	sv.qid = -1;
	evtimer_add(sv.retry, &sec);
}

static void
sysv_retry(evutil_socket_t fd, short events, void *arg)
{
	static const struct timeval	 sec = { 1, 0 };
	char				*cause = NULL;

	if (queue_up(&cause) == 0) {
		log_warnx("sysv: queue 0x%08x made again", (unsigned)sv.key);
		return;
	}
	free(cause);
	sv.qid = -1;
	evtimer_add(sv.retry, &sec);
}

static int
resolve(const struct conf *c, key_t *k, char **cause)
{
	return sysvkey_resolve(c->sysv.key, c->unix_.path, k, cause);
}

/* Reopen when the key changes: "" follows the [unix] directory. */
static int
sysv_changed(const struct conf *a, const struct conf *b)
{
	key_t	ka, kb;
	char	*cause = NULL;
	int	 r;

	r = resolve(a, &ka, &cause) != 0 || resolve(b, &kb, &cause) != 0 ||
	    ka != kb;
	free(cause);
	return r;
}

static int
sysv_update(const struct conf *old, const struct conf *new, char **cause)
{
	if (old->sysv.mode == new->sysv.mode)
		return 0;
	sv.mode = new->sysv.mode | SYSV_MODE_OWN;
	if (sv.qid == -1)
		return 0;	/* the retry sets it */
	return queue_take(sv.qid, cause);
}

static void
sysv_close_(void)
{
	recv_stop();
	recv_free();
	if (sv.ev != NULL)
		event_free(sv.ev);
	if (sv.again != NULL)
		event_free(sv.again);
	if (sv.retry != NULL)
		event_free(sv.retry);
	sv.ev = sv.again = sv.retry = NULL;
	if (sv.efd != -1)
		close(sv.efd);
	sv.efd = -1;
	sv.qid = -1;	/* never removed: what is sent now waits for us */
	lock_drop();
}

static int
sysv_open_(const struct conf *c, char **cause)
{
	sv.mode = c->sysv.mode | SYSV_MODE_OWN;
	sv.lost_at = 0;
	if (resolve(c, &sv.key, cause) != 0)
		return -1;
	if ((sv.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		*cause = fmtstr("eventfd: %s", strerror(errno));
		return -1;
	}
	sv.ev = event_new(server_base(), sv.efd, EV_READ | EV_PERSIST,
	    sysv_take, NULL);
	sv.again = evtimer_new(server_base(), sysv_take, NULL);
	sv.retry = evtimer_new(server_base(), sysv_retry, NULL);
	if (sv.ev == NULL || sv.again == NULL || sv.retry == NULL ||
	    event_add(sv.ev, NULL) != 0) {
		*cause = fmtstr("cannot watch the System V queue");
		goto fail;
	}
	/* Before the queue is touched: it may be another ipcd's. */
	if (lock_take(cause) != 0 || queue_up(cause) != 0)
		goto fail;
	log_debug("sysv: queue 0x%08x, id %d", (unsigned)sv.key, sv.qid);
	return 0;
fail:
	sysv_close_();
	return -1;
}

/* Before the commit that precedes the close: stop the thread and take
 * what it had taken; the rest waits in the queue. */
static void
sysv_drain_(void)
{
	recv_stop();
	while (take_one())
		;
}

const struct transport tr_sysv = {
	.name = "sysv", TR_CONF(sysv, key), .changed = sysv_changed,
	.open = sysv_open_, .close = sysv_close_, .update = sysv_update,
	.drain = sysv_drain_,
};
