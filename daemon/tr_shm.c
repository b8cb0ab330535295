/*
 * The shared-memory transport, consuming side.  The protocol (slots,
 * rings, doorbell, why a killed submitter cannot wedge anyone, what a
 * hostile writer can do) is explained in common/shm.h.
 *
 * The doorbell is a futex word, which libevent cannot watch; a helper
 * thread sleeps on it and writes to an eventfd that the loop watches.  The
 * thread touches nothing else, so the key store stays single-threaded.
 *
 * Whoever may submit may also shrink the segment or write anywhere in it.
 * Every access to it runs under the SIGBUS guard of shm.h, and a segment
 * found damaged is left, never repaired: its magic is cleared (submitters
 * still attached stop at their next record), the doorbell thread is
 * stopped, and a fresh segment is created under the same name.  Damage is
 * noticed by the accesses themselves (a fault in the loop or in the
 * thread, which then reports through the eventfd and exits) and by a check
 * of the file and the header once a second, so also while nobody submits.
 * What was published in a damaged segment and not yet taken is lost (its
 * submitters learn it from done and closed); what is taken is validated record by
 * record, so nothing but valid records is ever applied.  Damage that stays
 * within one slot (a wild head, tail or owner) costs only that slot's
 * unread records, not the segment.
 */

#include <errno.h>
#include <fcntl.h>
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

#include "ipcd.h"
#include "log.h"
#include "shm.h"
#include "util.h"

/* The doorbell thread looks at its stop flag at least this often, so
 * leaving a segment never waits longer, whatever was done to the segment. */
#define DOORBELL_WAIT_MS	1000

#define TRUNCATED	"was truncated by another process"

static struct {
	struct shm_hdr	*hdr;		/* NULL: no segment (recreation failed) */
	int		 fd;		/* kept, to check and restore the size */
	char		 name[CONF_NAME_MAX + 1];
	mode_t		 mode;
	uint64_t	 tail[SHM_SLOTS];	/* ours: the shared copy is advisory */
	uint64_t	 done[SHM_SLOTS];	/* last stored in slot[i].done */
	int		 efd;
	pthread_t	 thread;
	int		 thread_running;
	atomic_int	 stop;		/* to the thread: leave the segment */
	atomic_int	 faulted;	/* from the thread: the segment faulted */
	struct event	*ev;
	struct event	*poll;
	struct event	*again;		/* look again next pass */
	time_t		 last_warn;
	int		 failing;	/* recreation failed (and was logged) */
	int		 leaving;	/* LEAVE_*: quiesced, awaiting the commit */
} shm = { .fd = -1, .efd = -1 };

#define LEAVE_CLOSING	1	/* the transport closes */
#define LEAVE_DAMAGED	2	/* a fresh segment replaces it */

static int
shm_enabled(const struct conf *c)
{
	return c->shm.enabled;
}

static int
shm_changed(const struct conf *a, const struct conf *b)
{
	return a->shm.enabled != b->shm.enabled ||
	    strcmp(a->shm.name, b->shm.name) != 0 ||
	    a->shm.mode != b->shm.mode;
}

/* Apply everything published in one slot; under a guard.  Returns how
 * many records it took. */
static uint64_t
drain_slot(int i)
{
	struct shm_slot	*s = &shm.hdr->slot[i];
	struct shm_rec	 rec;
	struct record	 r;
	const char	*cause;
	uint64_t	 head, t = shm.tail[i], t0 = t;

	/* Only we store tail, always with shm.tail; stored again below. */
	if (atomic_load_explicit(&s->tail, memory_order_relaxed) != t)
		server_reject(TR_SHM, "slot tail overwritten by another "
		    "process; restored", NULL);
	head = atomic_load_explicit(&s->head, memory_order_acquire);
	if (head - t > SHM_RING) {
		/* Only a scribbler moves head back or past a full ring. */
		server_reject(TR_SHM, "slot head out of range; slot reset",
		    NULL);
		shm.tail[i] = head;
		atomic_store_explicit(&s->tail, head, memory_order_release);
		return 0;
	}
	for (; t != head; t++) {
		/* Copy first: the submitter may scribble while we look. */
		memcpy(&rec, &s->ring[t % SHM_RING], sizeof rec);
		if (shm_rec_decode(&rec, &r, &cause) != 0)
			server_reject(TR_SHM, cause, NULL);
		else
			(void)server_submit(TR_SHM, &r, NULL);
		/* Now, not after the loop: if the next copy faults, done
		 * must still cover what was applied. */
		shm.tail[i] = t + 1;
	}
	atomic_store_explicit(&s->tail, t, memory_order_release);
	return t - t0;
}

/*
 * Take what was published; how many records, or -1 if the segment faulted.  A fault
 * can only come from our own reads of the ring, never from inside
 * server_submit, which sees a private copy; a record half-applied by a
 * jump out of here is therefore impossible.  The slot being read keeps
 * its old tail, but the segment is left for a fresh one anyway.
 */
static long
drain(void)
{
	volatile long	n = 0;
	int		i;

	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return -1;
	shm_guard(shm.hdr, sizeof *shm.hdr);
	for (i = 0; i < SHM_SLOTS; i++)
		n += (long)drain_slot(i);
	shm_unguard();
	return n;
}

/* Free the slots whose lock nobody holds: their submitter died (what it
 * published stays in the ring and is still taken), or another process
 * wrote the owner field.  Under a guard. */
static void
tend_slots(void)
{
	struct shm_slot	*s;
	uint32_t	 owner;
	int		 i;

	for (i = 0; i < SHM_SLOTS; i++) {
		s = &shm.hdr->slot[i];
		owner = atomic_load(&s->owner);
		if (owner == 0 || shm_lock_held(shm.fd, i) != 0)
			continue;
		/* A submitter claims the lock before the owner field, so
		 * none can be between the two here. */
		if (atomic_compare_exchange_strong(&s->owner, &owner, 0))
			log_debug("shm: freed slot %d of pid %u, which holds "
			    "it no more", i, owner);
	}
}

/* What the last commit made durable: tell the submitters (shm.h).
 * Under a guard. */
static void
publish_done(void)
{
	int	i;

	for (i = 0; i < SHM_SLOTS; i++)
		if (shm.done[i] != shm.tail[i]) {
			shm.done[i] = shm.tail[i];
			atomic_store_explicit(&shm.hdr->slot[i].done,
			    shm.done[i], memory_order_release);
		}
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
	shm_guard(shm.hdr, sizeof *shm.hdr);
	publish_done();
	shm_unguard();
}

/* What another process did to the file, or NULL. */
static const char *
file_damage(void)
{
	struct stat	st;

	if (atomic_load(&shm.faulted))
		return TRUNCATED;
	if (fstat(shm.fd, &st) != 0)
		return NULL;
	if (st.st_nlink == 0)
		return "was removed by another process";
	if ((size_t)st.st_size < sizeof(struct shm_hdr))
		return TRUNCATED;
	if ((size_t)st.st_size > sizeof(struct shm_hdr))
		return "was resized by another process";
	return NULL;
}

/* What another process wrote over ipcd's part of the header, or NULL;
 * under a guard. */
static const char *
header_damage(const struct shm_hdr *h)
{
	if (atomic_load(&h->magic) != SHM_MAGIC ||
	    h->version != SHM_VERSION || h->nslots != SHM_SLOTS ||
	    h->ring != SHM_RING || h->recsize != sizeof(struct shm_rec) ||
	    h->size != sizeof *h ||
	    atomic_load(&h->daemon_pid) != (uint32_t)getpid() ||
	    atomic_load(&h->closed) != 0)
		return "had its header overwritten by another process";
	/* Only ipcd stores it, 0 or 1; the doorbell itself may hold any
	 * value. */
	if (atomic_load(&h->sleeping) > 1)
		return "had its doorbell overwritten by another process";
	return NULL;
}

static void *
doorbell_thread(void *arg)
{
	struct shm_hdr	*h = arg;
	uint32_t	 seen, now;
	uint64_t	 one = 1;

	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		goto fault;
	shm_guard(h, sizeof *h);
	seen = atomic_load(&h->doorbell);
	while (!atomic_load(&shm.stop)) {
		/* Sequentially consistent against shm_ring's increment of
		 * doorbell and load of sleeping: a ring is never missed. */
		atomic_store(&h->sleeping, 1);
		if (atomic_load(&h->doorbell) == seen &&
		    shm_doorbell_wait(h, seen, DOORBELL_WAIT_MS) != 0 &&
		    errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
			/* EFAULT: the page went away under the sleeper. */
			shm_unguard();
			goto fault;
		}
		atomic_store(&h->sleeping, 0);
		if ((now = atomic_load(&h->doorbell)) != seen) {
			seen = now;
			(void)write(shm.efd, &one, sizeof one);
		}
	}
	shm_unguard();
	return NULL;
fault:
	/* Touch the segment no more; the loop will leave it. */
	atomic_store(&shm.faulted, 1);
	(void)write(shm.efd, &one, sizeof one);
	return NULL;
}

/* Create a fresh segment.  A leftover of ours (a crashed ipcd) is
 * replaced; one that belongs to somebody else is refused. */
static int
create_segment(char **cause)
{
	struct stat	 st;
	int		 fd;

	fd = shm_open(shm.name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    shm.mode);
	if (fd == -1 && errno == EEXIST) {
		fd = shm_open(shm.name, O_RDONLY | O_CLOEXEC, 0);
		if (fd != -1 && fstat(fd, &st) == 0 && st.st_uid != geteuid()) {
			close(fd);
			*cause = fmtstr("shared-memory segment %s belongs to uid "
			    "%u; refusing to use it", shm.name,
			    (unsigned)st.st_uid);
			return -1;
		}
		if (fd != -1)
			close(fd);
		shm_unlink(shm.name);
		fd = shm_open(shm.name, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, shm.mode);
	}
	if (fd == -1) {
		*cause = fmtstr("shm_open %s: %s", shm.name, strerror(errno));
		return -1;
	}
	if (fchmod(fd, shm.mode) != 0 ||
	    ftruncate(fd, sizeof(struct shm_hdr)) != 0) {
		*cause = fmtstr("shm %s: %s", shm.name, strerror(errno));
		close(fd);
		shm_unlink(shm.name);
		return -1;
	}
	shm.hdr = mmap(NULL, sizeof(struct shm_hdr), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (shm.hdr == MAP_FAILED) {
		shm.hdr = NULL;
		*cause = fmtstr("mmap %s: %s", shm.name, strerror(errno));
		close(fd);
		shm_unlink(shm.name);
		return -1;
	}
	shm.fd = fd;
	return 0;
}

/* Remove the name only while it still names our segment: after another
 * process removed it, it may name somebody else's. */
static void
unlink_if_ours(void)
{
	struct stat	a, b;
	int		fd;

	if ((fd = shm_open(shm.name, O_RDONLY | O_CLOEXEC, 0)) == -1)
		return;
	if (fstat(fd, &a) == 0 && fstat(shm.fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		shm_unlink(shm.name);
	close(fd);
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
	 * zeros, so the wake below reaches a thread asleep on the doorbell
	 * (a futex on a missing page fails with EFAULT instead), and
	 * submitters still attached read a cleared magic instead of
	 * faulting.  Both still work, only later, if this fails. */
	(void)ftruncate(shm.fd, sizeof *h);
	if (sigsetjmp(shm_fault_jmp, 0) == 0) {
		shm_guard(h, sizeof *h);
		atomic_store(&h->magic, 0);
		/* A thread about to sleep on the old value will not. */
		atomic_fetch_add(&h->doorbell, 1);
		shm_unguard();
	}
	shm_doorbell_wake(h);
	if (shm.thread_running) {
		pthread_join(shm.thread, NULL);
		shm.thread_running = 0;
	}
	if (take_rest)
		(void)drain();
}

/* After the commit: publish what it covers, and only then say that done
 * is final, so a submitter waiting on it learns the truth either way. */
static void
segment_release(void)
{
	struct shm_hdr	*h = shm.hdr;

	if (sigsetjmp(shm_fault_jmp, 0) == 0) {
		shm_guard(h, sizeof *h);
		publish_done();
		atomic_store_explicit(&h->closed, 1, memory_order_release);
		shm_unguard();
	}
	munmap(h, sizeof *h);
	shm.hdr = NULL;
	shm.leaving = 0;
	unlink_if_ours();
	close(shm.fd);
	shm.fd = -1;
}

/* Leave a segment nothing was taken from (set-up failed). */
static void
segment_abandon(void)
{
	segment_quiesce(0);
	segment_release();
}

/* Hold byte SHM_LOCK_DAEMON for as long as the segment is open: it tells
 * submitters that ipcd lives (shm.h). */
static int
shm_daemon_lock(char **cause)
{
	struct flock	fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = SHM_LOCK_DAEMON, .l_len = 1 };

	if (fcntl(shm.fd, F_OFD_SETLK, &fl) != 0) {
		*cause = fmtstr("segment %s: cannot lock it: %s", shm.name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Create a segment, start its doorbell thread, let submitters in. */
static int
segment_up(char **cause)
{
	struct shm_hdr	*h;

	if (create_segment(cause) != 0)
		return -1;
	h = shm.hdr;
	memset(shm.tail, 0, sizeof shm.tail);
	memset(shm.done, 0, sizeof shm.done);
	atomic_store(&shm.stop, 0);
	atomic_store(&shm.faulted, 0);
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		*cause = fmtstr("segment %s %s while being set up", shm.name,
		    TRUNCATED);
		segment_abandon();
		return -1;
	}
	shm_guard(h, sizeof *h);
	h->version = SHM_VERSION;
	h->nslots = SHM_SLOTS;
	h->ring = SHM_RING;
	h->recsize = sizeof(struct shm_rec);
	h->size = sizeof *h;
	atomic_store(&h->daemon_pid, (uint32_t)getpid());
	if (shm_daemon_lock(cause) != 0) {
		shm_unguard();
		segment_abandon();
		return -1;
	}
	if ((errno = pthread_create(&shm.thread, NULL, doorbell_thread,
	    h)) != 0) {
		shm_unguard();
		*cause = fmtstr("pthread_create: %s", strerror(errno));
		segment_abandon();
		return -1;
	}
	shm.thread_running = 1;
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
	server_reject(TR_SHM, cause, NULL);
	/* A hostile writer may do this in a loop: one line a second. */
	if (now != shm.last_warn)
		log_warnx("shm: %s; recreating it", cause);
	shm.last_warn = now;
	segment_quiesce(0);
	shm.leaving = LEAVE_DAMAGED;	/* released after this pass's commit */
}

/*
 * The doorbell rang, or the last pass found records: take what is there.
 * While records keep coming, look again in the next pass (a zero timeout
 * fires after this pass's commit) rather than wait for the doorbell: the
 * round trip through the futex, the thread and the eventfd costs more
 * than a look, and a submitter with a full ring waits on it.
 */
static void
shm_wakeup(evutil_socket_t fd, short events, void *arg)
{
	static const struct timeval	now = { 0, 0 };
	uint64_t			n;
	long				got;

	if (fd != -1)
		(void)read(fd, &n, sizeof n);
	if (shm.hdr == NULL || shm.leaving)
		return;
	if (atomic_load(&shm.faulted) || (got = drain()) == -1)
		damaged(TRUNCATED);
	else if (got > 0)
		evtimer_add(shm.again, &now);
}

/* Once a second: check the segment, tend the slots, and take what is
 * there (a doorbell a killed submitter never rang). */
static void
shm_poll(evutil_socket_t fd, short events, void *arg)
{
	const char	*why;

	if (shm.hdr == NULL) {
		recreate();
		return;
	}
	if (shm.leaving)
		return;
	if ((why = file_damage()) != NULL) {
		damaged(why);
		return;
	}
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		damaged(TRUNCATED);
		return;
	}
	shm_guard(shm.hdr, sizeof *shm.hdr);
	if ((why = header_damage(shm.hdr)) == NULL)
		tend_slots();
	shm_unguard();
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
		segment_quiesce(file_damage() == NULL);
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
	.name = "shm",
	.enabled = shm_enabled,
	.changed = shm_changed,
	.open = shm_open_,
	.close = shm_close_,
	.committed = shm_committed,
	.drain = shm_drain_,
};
