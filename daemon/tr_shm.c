/*
 * The shared-memory transport, consuming side.  The protocol (slots,
 * leases, rings, doorbell, why a killed submitter cannot wedge anyone,
 * what a hostile writer can do) is explained in common/shm.h.
 *
 * The doorbell is a System V semaphore, which libevent cannot watch; a
 * helper thread sleeps on it and writes to an eventfd that the loop
 * watches.  The thread touches nothing but the semaphore and the two
 * doorbell words, so the key store stays single-threaded.
 *
 * Whoever may submit may also shrink the segment or write anywhere in it.
 * Every access to it runs under the SIGBUS guard of shm.h, and a segment
 * found damaged is left, never repaired: its magic is cleared, the
 * doorbell thread stopped, and after the pass's commit a fresh segment is
 * created under the same name.  Damage is noticed by the accesses
 * themselves and by a check of the file and the header once a second.
 * Records are copied out under the guard and validated and applied
 * outside it (shm_lease.c), so nothing but valid records is ever applied
 * and nothing but loads and stores runs under a guard.  Damage that stays
 * within one slot costs only that slot's unread records.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "shm.h"
#include "shm_lease.h"
#include "util.h"
#include "xmalloc.h"

/* The doorbell thread looks at the doorbell word and its stop flag at
 * least this often, whatever was done to the semaphore (shm.h). */
#define DOORBELL_WAIT_MS	1000
#define DOORBELL_NAP_MS		100	/* after a failure that should not be */

struct shm_state shm = { .fd = -1, .efd = -1, .semid = -1 };

/* A new mode or slot count means a new segment. */
static int
shm_changed(const struct conf *a, const struct conf *b)
{
	return a->shm.mode != b->shm.mode || a->shm.slots != b->shm.slots;
}

static void	segment_release(void);
static void	recreate(void);

static void
shm_committed(void)
{
	if (shm.hdr == NULL)
		return;
	if (shm.leaving == LEAVE_DAMAGED) {
		segment_release();
		recreate();
		return;
	}
	if (shm.leaving)
		return;		/* the close releases it */
	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return;		/* the poll will find the damage */
	shm_guard(shm.hdr, shm.size);
	lease_publish_done();
	shm_unguard();
}

static void
nap_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Sleep on the semaphore while the doorbell word does not move; wake the
 * loop when it does (shm.h).  SEMID is read before the thread starts. */
static void *
doorbell_thread(void *arg)
{
	struct shm_hdr	*h = arg;
	int		 semid = shm.semid, rc, busy;
	uint32_t	 seen, now;
	uint64_t	 one = 1;

	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		goto fault;
	shm_guard(h, sizeof *h);
	seen = atomic_load(&h->doorbell);
	while (!atomic_load(&shm.stop)) {
		/* While the loop looks at the rings each pass, wait without
		 * saying so: submitters do not post, and nobody is woken
		 * for records the loop takes anyway.  The loop posts when
		 * it stops looking (shm_wakeup), and then the word has
		 * moved, or the protocol below goes on as ever. */
		busy = atomic_load(&shm.polling);
		/* Sequentially consistent against shm_ring's increment of
		 * doorbell and load of sleeping: a ring is never missed. */
		if (!busy)
			atomic_store(&h->sleeping, 1);
		rc = 1;
		if (busy || atomic_load(&h->doorbell) == seen)
			rc = shm_bell_wait(semid, DOORBELL_WAIT_MS);
		atomic_store(&h->sleeping, 0);
		now = atomic_load(&h->doorbell);
		if (rc == 0 && now == seen) {
			/* A post with no ring behind it: a late racer's, or
			 * a hostile one's.  Take the value back to 0. */
			shm_bell_reset(semid);
			now = atomic_load(&h->doorbell);
		} else if (rc == -1 && (errno == EIDRM || errno == EINVAL)) {
			/* Removed: by ipcd leaving the segment, or else by
			 * its owner or root, and the loop makes another. */
			if (!atomic_load(&shm.stop))
				atomic_store(&shm.bell_lost, 1);
			break;
		} else if (rc == -1 && errno != EAGAIN && errno != EINTR)
			nap_ms(DOORBELL_NAP_MS);	/* no spin; the poll looks */
		if (now != seen) {
			seen = now;
			(void)write(shm.efd, &one, sizeof one);
		}
	}
	shm_unguard();
	if (atomic_load(&shm.bell_lost))
		(void)write(shm.efd, &one, sizeof one);
	return NULL;
fault:
	/* Touch the segment no more; the loop will leave it. */
	atomic_store(&shm.faulted, 1);
	(void)write(shm.efd, &one, sizeof one);
	return NULL;
}

/* Stop taking from the segment: submitters first, then the thread, then
 * (closing cleanly) take what was published meanwhile.  The loop commits
 * what was taken before segment_release() tells the submitters. */
static void
segment_quiesce(int take_rest)
{
	struct shm_hdr	*h = shm.hdr;

	atomic_store(&shm.stop, 1);
	/* A shrunk segment is grown back first: the lost pages return as
	 * zeros, so submitters still attached read a cleared magic instead
	 * of faulting (later, when the poll of done notices, if this
	 * fails). */
	(void)ftruncate(shm.fd, (off_t)shm.size);
	if (sigsetjmp(shm_fault_jmp, 0) == 0) {
		shm_guard(h, shm.size);
		atomic_store(&h->magic, 0);
		/* A thread about to sleep on the old value will not. */
		atomic_fetch_add(&h->doorbell, 1);
		shm_unguard();
	}
	/* Removing the semaphore wakes the thread (EIDRM), which no hostile
	 * semop can prevent; submitters' posts fail from now on. */
	shm_bell_remove(shm.semid);
	shm.semid = -1;
	if (shm.thread_running) {
		pthread_join(shm.thread, NULL);
		shm.thread_running = 0;
	}
	if (take_rest)
		(void)lease_drain();
}

/* After the commit: publish what it covers, and only then say that done
 * is final, so a submitter waiting on it learns the truth either way. */
static void
segment_release(void)
{
	struct shm_hdr	*h = shm.hdr;

	if (sigsetjmp(shm_fault_jmp, 0) == 0) {
		shm_guard(h, shm.size);
		lease_publish_done();
		atomic_store_explicit(&h->closed, 1, memory_order_release);
		shm_unguard();
	}
	munmap(h, shm.size);
	shm.hdr = NULL;
	shm.leaving = 0;
	shm_file_unlink();
	close(shm.fd);
	shm.fd = -1;
	free(shm.lease);
	free(shm.tail);
	free(shm.done);
	free(shm.rflags);
	free(shm.dirty);
	free(shm.moved);
	shm.moved = NULL;
	shm.nmoved = shm.scan_hi = 0;
	shm.lease = NULL;
	shm.tail = shm.done = NULL;
	shm.rflags = NULL;
	shm.dirty = NULL;
}

/* Leave a segment nothing was taken from (set-up failed). */
static void
segment_abandon(void)
{
	segment_quiesce(0);
	segment_release();
}

/* Create the segment's semaphore and start the doorbell thread on it. */
static int
bell_up(char **cause)
{
	struct stat	st;

	atomic_store(&shm.bell_lost, 0);
	if (fstat(shm.fd, &st) != 0 || (shm.semid = shm_bell_create(&st)) ==
	    -1) {
		*cause = fmtstr("segment %s: cannot create its semaphore: %s",
		    shm.name, strerror(errno));
		return -1;
	}
	if ((errno = pthread_create(&shm.thread, NULL, doorbell_thread,
	    shm.hdr)) != 0) {
		*cause = fmtstr("pthread_create: %s", strerror(errno));
		shm_bell_remove(shm.semid);
		shm.semid = -1;
		return -1;
	}
	shm.thread_running = 1;
	return 0;
}

/* Create a segment and its semaphore, start the doorbell thread, let
 * submitters in. */
static int
segment_up(char **cause)
{
	struct shm_hdr	*h;

	shm.size = shm_size(shm.nslots);
	if (shm_file_create(cause) != 0)
		return -1;
	h = shm.hdr;
	shm.lease = xcalloc(shm.nslots, sizeof *shm.lease);
	shm.tail = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.tail);
	shm.done = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.done);
	shm.rflags = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.rflags);
	shm.dirty = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.dirty);
	shm.moved = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.moved);
	atomic_store(&shm.stop, 0);
	atomic_store(&shm.faulted, 0);
	atomic_store(&shm.polling, 0);	/* a new thread watches at once */
	if (bell_up(cause) != 0) {
		segment_abandon();
		return -1;
	}
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		*cause = fmtstr("segment %s %s while being set up", shm.name,
		    SHM_TRUNCATED);
		segment_abandon();
		return -1;
	}
	shm_guard(h, shm.size);
	h->version = SHM_VERSION;
	h->nslots = shm.nslots;
	h->ring = SHM_RING;
	h->recsize = sizeof(struct shm_rec);
	h->size = shm.size;
	atomic_store(&h->daemon_pid, (uint32_t)getpid());
	atomic_store(&h->semid, shm.semid);
	if (shm_file_lock(cause) != 0) {
		shm_unguard();
		segment_abandon();
		return -1;
	}
	/* Only now may submitters attach. */
	atomic_store_explicit(&h->magic, SHM_MAGIC, memory_order_release);
	shm_unguard();
	return 0;
}

/* Try for a fresh segment; while that fails, the poll tries each second. */
static void
recreate(void)
{
	char	*cause = NULL;

	if (segment_up(&cause) == 0) {
		if (shm.failing)
			log_warnx("shm: segment %s created again", shm.name);
		shm.failing = 0;
		return;
	}
	if (!shm.failing)
		log_warnx("shm: cannot create segment %s again: %s; retrying "
		    "every second", shm.name, cause);
	shm.failing = 1;
	free(cause);
}

/* Count and log the damage, leave the segment, make a fresh one.  Not
 * under a guard. */
static void
damaged(const char *what)
{
	char	cause[CONF_NAME_MAX + 64];
	time_t	now = time(NULL);

	snprintf(cause, sizeof cause, "segment %s %s", shm.name, what);
	server_reject(TR_SHM, RJ_DAMAGED, cause, NULL);
	/* A hostile writer may do this in a loop: one line a second. */
	if (now != shm.last_warn)
		log_warnx("shm: %s; recreating it", cause);
	shm.last_warn = now;
	segment_quiesce(0);
	shm.leaving = LEAVE_DAMAGED;	/* released after this pass's commit */
}

/* The semaphore was removed under ipcd (by its owner or root): make
 * another and tell new submitters, keeping the segment and what is in it.
 * Submitters holding the old id cannot ring; the poll finds their records. */
static void
bell_renew(void)
{
	static const char	 what[] = "had its semaphore removed by another "
				     "process";
	char			 msg[CONF_NAME_MAX + 80], *cause = NULL;

	pthread_join(shm.thread, NULL);
	shm.thread_running = 0;
	if (bell_up(&cause) != 0) {
		free(cause);
		damaged(what);
		return;
	}
	snprintf(msg, sizeof msg, "segment %s %s; made another", shm.name,
	    what);
	server_reject(TR_SHM, RJ_DAMAGED, msg, NULL);
	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return;		/* the poll will find the damage */
	shm_guard(shm.hdr, shm.size);
	atomic_store(&shm.hdr->semid, shm.semid);
	shm_unguard();
}

/*
 * The doorbell rang, or the last pass found records: take what is there.
 * While records keep coming, look again in the next pass (a zero timeout
 * fires after this pass's commit) rather than wait for the doorbell: the
 * round trip through the semaphore, the thread and the eventfd costs more
 * than a look, and a submitter with a full ring waits on it.  Meanwhile
 * (polling) the thread does not say it sleeps, so submitters do not post
 * and nobody wakes for nothing; the first pass that finds no record posts
 * the semaphore, and the thread watches the doorbell again.
 */
static void
shm_wakeup(evutil_socket_t fd, short events, void *arg)
{
	static const struct timeval	now = { 0, 0 };
	uint64_t			n;
	long				got;

	if (fd != -1)
		(void)read(fd, &n, sizeof n);
	if (shm.hdr != NULL && !shm.leaving && atomic_load(&shm.bell_lost))
		bell_renew();
	if (shm.hdr == NULL || shm.leaving)
		return;
	if (atomic_load(&shm.faulted) || (got = lease_drain()) == -1)
		damaged(SHM_TRUNCATED);
	else if (got > 0) {
		atomic_store(&shm.polling, 1);
		evtimer_add(shm.again, &now);
	} else if (atomic_load(&shm.polling)) {
		/* Records stopped: the thread watches the doorbell again. */
		atomic_store(&shm.polling, 0);
		shm_bell_post(shm.semid);
	}
}

/* Count an overwritten semaphore id in the header. */
static void
bell_rewritten(void)
{
	char	cause[CONF_NAME_MAX + 80];

	snprintf(cause, sizeof cause, "segment %s had its semaphore id "
	    "overwritten by another process; restored", shm.name);
	server_reject(TR_SHM, RJ_DAMAGED, cause, NULL);
}

/* Once a second: check the segment, tend the slots, and take what is
 * there (a doorbell a killed submitter never rang). */
static void
shm_poll(evutil_socket_t fd, short events, void *arg)
{
	const char	*why;
	int		 rewrote;

	if (shm.hdr == NULL) {
		recreate();
		return;
	}
	if (shm.leaving)
		return;
	if ((why = shm_file_damage()) != NULL) {
		damaged(why);
		return;
	}
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		damaged(SHM_TRUNCATED);
		return;
	}
	shm_guard(shm.hdr, shm.size);
	why = shm_header_damage(shm.hdr);
	/* Advisory to submitters, who check it: restored, not fatal. */
	if ((rewrote = atomic_load(&shm.hdr->semid) != shm.semid))
		atomic_store(&shm.hdr->semid, shm.semid);
	shm_unguard();
	if (rewrote)
		bell_rewritten();
	if (why == NULL && lease_tend() != 0)
		why = SHM_TRUNCATED;
	if (why != NULL) {
		damaged(why);
		return;
	}
	shm_wakeup(-1, 0, NULL);
}

/* Before the commit that precedes the close: what was published is
 * taken, unless the segment is damaged. */
static void
shm_drain_(void)
{
	if (shm.hdr != NULL && !shm.leaving) {
		segment_quiesce(shm_file_damage() == NULL);
		shm.leaving = LEAVE_CLOSING;
	}
}

static void
release(void)
{
	if (shm.hdr != NULL && !shm.leaving)
		segment_quiesce(0);
	if (shm.hdr != NULL)
		segment_release();
	if (shm.ev != NULL)
		event_free(shm.ev);
	if (shm.poll != NULL)
		event_free(shm.poll);
	if (shm.again != NULL)
		event_free(shm.again);
	shm.ev = shm.poll = shm.again = NULL;
	if (shm.efd != -1)
		close(shm.efd);
	shm.efd = -1;
}

static int
shm_open_(const struct conf *c, char **cause)
{
	struct timeval	 sec = { 1, 0 };

	strcpy(shm.name, c->shm.name);
	shm.mode = c->shm.mode;
	shm.nslots = (uint32_t)c->shm.slots;
	shm.failing = 0;
	if (shm_guard_init() != 0) {
		*cause = fmtstr("sigaction SIGBUS: %s", strerror(errno));
		return -1;
	}
	if ((shm.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		*cause = fmtstr("eventfd: %s", strerror(errno));
		return -1;
	}
	shm.ev = event_new(server_base(), shm.efd, EV_READ | EV_PERSIST,
	    shm_wakeup, NULL);
	shm.poll = event_new(server_base(), -1, EV_PERSIST, shm_poll, NULL);
	shm.again = evtimer_new(server_base(), shm_wakeup, NULL);
	if (shm.ev == NULL || shm.poll == NULL || shm.again == NULL ||
	    event_add(shm.ev, NULL) != 0 ||
	    event_add(shm.poll, &sec) != 0) {
		*cause = fmtstr("cannot watch shared memory");
		release();
		return -1;
	}
	if (segment_up(cause) != 0) {
		release();
		return -1;
	}
	return 0;
}

static void
shm_close_(void)
{
	release();
}

const struct transport tr_shm = {
	.name = "shm", TR_CONF(shm, name), .changed = shm_changed,
	.open = shm_open_, .close = shm_close_,
	.drain = shm_drain_, .committed = shm_committed,
};
