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
 * submitters learn it from done and closed); what is taken is copied out
 * under the guard and validated record by record outside it, so nothing
 * but valid records is ever applied and nothing but loads and stores runs
 * under a guard.  Damage that stays within one slot (a wild head, tail,
 * owner or generation) costs only that slot's unread records.
 *
 * The slots are leased (shm.h): once a second shm_tend frees the slots of
 * dead holders, reclaims those idle for [limits] idle_timeout, and frees
 * reclaimed slots on their other ring once it is clean.
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
#include "node.h"
#include "shm.h"
#include "util.h"
#include "xmalloc.h"

/* The doorbell thread looks at its stop flag at least this often, so
 * leaving a segment never waits longer, whatever was done to the segment. */
#define DOORBELL_WAIT_MS	1000
#define BATCH			256	/* records copied out under one guard */

#define TRUNCATED	"was truncated by another process"

/* What ipcd knows of a slot: its own copies, never the shared ones. */
struct lease {
	uint32_t	gen;		/* ours; the shared copy is restored */
	uint32_t	owner;		/* as last seen */
	uint64_t	head;		/* of the current ring, as last seen */
	uint32_t	flags;		/* of the current ring, as last seen */
	time_t		since;		/* owner or head last moved */
	int		revoked;	/* waits for its other ring to be clean */
};

static struct {
	struct shm_hdr	*hdr;		/* NULL: no segment (recreation failed) */
	size_t		 size;
	uint32_t	 nslots;
	int		 fd;		/* kept, to check and restore the size */
	char		 name[CONF_NAME_MAX + 1];
	mode_t		 mode;
	long		 idle;		/* [limits] idle_timeout */
	struct lease	*lease;		/* per slot */
	uint64_t	*tail;		/* per ring: the shared copy is advisory */
	uint64_t	*done;		/* per ring: last stored in done */
	uint32_t	*rflags;	/* per ring: flags as last seen */
	uint8_t		*dirty;		/* per ring: a revoked holder may store */
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
} shm = { .fd = -1, .efd = -1 };

static struct shm_rec	batch[BATCH];

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
	    a->shm.mode != b->shm.mode || a->shm.slots != b->shm.slots;
}

static struct shm_ring *
ring(uint32_t r)
{
	return shm_ring_at(shm.hdr, shm.nslots, r);
}

/* Copy up to BATCH published records of ring R out; under a guard, so
 * loads and stores only.  *bad gets what a scribbler did, if anything. */
static long
copy_out(uint32_t r, const char **bad)
{
	struct shm_ring	*g = ring(r);
	uint64_t	 head, t = shm.tail[r], n, k;

	/* Only we store tail, always from shm.tail. */
	if (atomic_load_explicit(&g->tail, memory_order_relaxed) != t) {
		*bad = "slot tail overwritten by another process; restored";
		atomic_store_explicit(&g->tail, t, memory_order_release);
	}
	head = atomic_load_explicit(&g->head, memory_order_acquire);
	if (head - t > SHM_RING) {
		/* Only a scribbler moves head back or past a full ring. */
		*bad = "slot head out of range; slot reset";
		shm.tail[r] = head;
		atomic_store_explicit(&g->tail, head, memory_order_release);
		return 0;
	}
	n = head - t < BATCH ? head - t : BATCH;
	for (k = 0; k < n; k++)
		memcpy(&batch[k], &g->rec[(t + k) % SHM_RING], sizeof batch[k]);
	return (long)n;
}

/* copy_out under its own guard: -1 if the segment faulted. */
static long
take(uint32_t r, const char **bad)
{
	long	n;

	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return -1;
	shm_guard(shm.hdr, shm.size);
	n = copy_out(r, bad);
	shm_unguard();
	return n;
}

static int
store_tail(uint32_t r)
{
	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return -1;
	shm_guard(shm.hdr, shm.size);
	atomic_store_explicit(&ring(r)->tail, shm.tail[r],
	    memory_order_release);
	shm_unguard();
	return 0;
}

/* Apply what ring R holds, a batch at a time, outside the guard: the
 * records are private copies by then, so a fault can never leave one
 * half-applied.  How many, or -1 if the segment faulted. */
static long
drain_ring(uint32_t r)
{
	struct record	 rec;
	const char	*bad, *cause;
	long		 n, k, got = 0;

	do {
		bad = NULL;
		if ((n = take(r, &bad)) == -1)
			return -1;
		if (bad != NULL)
			server_reject(TR_SHM, bad, NULL);
		for (k = 0; k < n; k++) {
			if (shm_rec_decode(&batch[k], &rec, &cause) != 0)
				server_reject(TR_SHM, cause, NULL);
			else
				(void)server_submit(TR_SHM, &rec, NULL);
		}
		shm.tail[r] += (uint64_t)n;
		got += n;
		if (n > 0 && store_tail(r) != 0)
			return -1;
	} while (n == BATCH);
	return got;
}

/* The slots in use, by their owner words, or -1 on a fault.  A revoked
 * lease's ring is never read again. */
static long
in_use(uint32_t *list)
{
	uint32_t	i, n = 0;

	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return -1;
	shm_guard(shm.hdr, shm.size);
	for (i = 0; i < shm.nslots; i++)
		if (atomic_load_explicit(&shm.hdr->slot[i].owner,
		    memory_order_relaxed) != 0 && !shm.lease[i].revoked)
			list[n++] = i;
	shm_unguard();
	return n;
}

/* Take what was published; how many records, or -1 if the segment
 * faulted (the segment is then left for a fresh one). */
static long
drain(void)
{
	static uint32_t	*list;
	static size_t	 listlen;
	long		 n, j, got, total = 0;

	if (listlen < shm.nslots) {
		list = xrealloc(list, shm.nslots * sizeof *list);
		listlen = shm.nslots;
	}
	if ((n = in_use(list)) == -1)
		return -1;
	for (j = 0; j < n; j++) {
		got = drain_ring(shm_ring_of(list[j], shm.lease[list[j]].gen));
		if (got == -1)
			return -1;
		total += got;
	}
	return total;
}

/* What the last commit made durable: tell the submitters (shm.h).
 * Under a guard. */
static void
publish_done(void)
{
	uint32_t	r;

	for (r = 0; r < 2 * shm.nslots; r++)
		if (shm.done[r] != shm.tail[r]) {
			shm.done[r] = shm.tail[r];
			atomic_store_explicit(&ring(r)->done, shm.done[r],
			    memory_order_release);
		}
}

static void
shm_committed(void)
{
	if (shm.hdr == NULL)
		return;
	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return;		/* the poll will find the damage */
	shm_guard(shm.hdr, shm.size);
	publish_done();
	shm_unguard();
}

/* Read what tend needs of every slot and of the dirty rings, and restore
 * scribbled generations; under a guard.  How many generations it
 * restored. */
static int
look(void)
{
	struct lease	*l;
	struct shm_ring	*g;
	uint32_t	 i, r;
	int		 restored = 0;

	for (i = 0; i < shm.nslots; i++) {
		l = &shm.lease[i];
		if (atomic_load(&shm.hdr->slot[i].gen) != l->gen) {
			atomic_store(&shm.hdr->slot[i].gen, l->gen);
			restored++;
		}
		if (atomic_load(&shm.hdr->slot[i].owner) != l->owner)
			l->since = 0;	/* a new holder: a new clock */
		l->owner = atomic_load(&shm.hdr->slot[i].owner);
		if (l->owner == 0 || l->revoked)
			continue;
		g = ring(shm_ring_of(i, l->gen));
		l->flags = atomic_load(&g->flags);
		if (atomic_load(&g->head) != l->head) {
			l->head = atomic_load(&g->head);
			l->since = 0;	/* progress: tend restarts the clock */
		}
	}
	for (r = 0; r < 2 * shm.nslots; r++)
		if (shm.dirty[r])
			shm.rflags[r] = atomic_load_explicit(&ring(r)->flags,
			    memory_order_acquire);
	return restored;
}

/* Will the holder of a ring with FLAGS store no more into ring R?  It
 * said so, or it held the ring's byte and does no more (it died). */
static int
gone(uint32_t r, uint32_t flags)
{
	return (flags & SHM_RING_ACK) != 0 || ((flags & SHM_RING_LOCKED) &&
	    shm_lock_held(shm.fd, 1 + (off_t)r) == 0);
}

/* Swap slot I's owner from what was seen to WANT; under a guard.  0, or
 * 1 if the owner changed meanwhile. */
static int
swap_owner(uint32_t i, uint32_t want)
{
	uint32_t	seen = shm.lease[i].owner;

	return atomic_compare_exchange_strong(&shm.hdr->slot[i].owner, &seen,
	    want) ? 0 : 1;
}

/* A dead holder's slot: free it, same ring, same generation. */
static int
free_dead(uint32_t i)
{
	return swap_owner(i, 0);
}

/* Revoke slot I's lease (shm.h): what it published whole was taken and
 * committed by the caller.  Under a guard. */
static int
reclaim(uint32_t i)
{
	struct lease	*l = &shm.lease[i];

	if (swap_owner(i, SHM_OWNER_REVOKED) != 0)
		return 1;	/* it gave the slot back meanwhile */
	shm.dirty[shm_ring_of(i, l->gen)] = 1;
	l->gen++;
	l->revoked = 1;
	atomic_store_explicit(&shm.hdr->slot[i].gen, l->gen,
	    memory_order_release);
	return 0;
}

/* Free reclaimed slot I on a fresh ring; under a guard. */
static int
renew(uint32_t i)
{
	struct lease	*l = &shm.lease[i];
	uint32_t	 r = shm_ring_of(i, l->gen);
	struct shm_ring	*g = ring(r);

	atomic_store(&g->head, 0);
	atomic_store(&g->tail, 0);
	atomic_store(&g->done, 0);
	atomic_store(&g->flags, 0);
	shm.tail[r] = shm.done[r] = 0;
	shm.dirty[r] = 0;
	l->revoked = 0;
	l->head = 0;
	atomic_store_explicit(&shm.hdr->slot[i].owner, 0,
	    memory_order_release);
	return 0;
}

/* FN(I) under a guard: its result, or -1 if the segment faulted. */
static int
guarded(int (*fn)(uint32_t), uint32_t i)
{
	int	rc;

	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return -1;
	shm_guard(shm.hdr, shm.size);
	rc = fn(i);
	shm_unguard();
	return rc;
}

static time_t
seconds(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1;	/* never 0, which means "not yet seen" */
}

/* What to do with slot I, one in use and not revoked: free it if its
 * holder died, reclaim it if it made no progress for idle_timeout
 * (taking and committing what it published first).  -1 on a fault. */
static int
tend_slot(uint32_t i, time_t now)
{
	struct lease	*l = &shm.lease[i];
	uint32_t	 r = shm_ring_of(i, l->gen);
	int		 rc;

	if ((l->flags & SHM_RING_LOCKED) && shm_lock_held(shm.fd,
	    1 + (off_t)r) == 0) {
		if (drain_ring(r) == -1 || (rc = guarded(free_dead, i)) == -1)
			return -1;
		if (rc == 0)
			log_debug("shm: freed slot %u of pid %u, which holds it "
			    "no more", i, l->owner);
		return 0;
	}
	if (shm.idle == 0 || now - l->since < shm.idle)
		return 0;
	if (drain_ring(r) == -1)
		return -1;
	server_commit();	/* publishes done: final for the holder */
	if ((rc = guarded(reclaim, i)) == 0)
		log_info("shm: reclaimed slot %u of pid %u after %lds without "
		    "progress", i, l->owner, shm.idle);
	return rc == -1 ? -1 : 0;
}

/* Once a second: tend the slots (shm.h).  -1 if the segment faulted. */
static int
tend(void)
{
	struct lease	*l;
	time_t		 now = seconds();
	uint32_t	 i, r;
	int		 n;

	shm.idle = server_conf()->limits.idle_timeout;
	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return -1;
	shm_guard(shm.hdr, shm.size);
	n = look();
	shm_unguard();
	if (n > 0)
		server_reject(TR_SHM, "slot generation overwritten by another "
		    "process; restored", NULL);
	for (r = 0; r < 2 * shm.nslots; r++)
		if (shm.dirty[r] && gone(r, shm.rflags[r]))
			shm.dirty[r] = 0;
	for (i = 0; i < shm.nslots; i++) {
		l = &shm.lease[i];
		if (l->revoked) {
			if (!shm.dirty[shm_ring_of(i, l->gen)] &&
			    guarded(renew, i) == -1)
				return -1;
		} else if (l->owner == 0 || l->since == 0)
			l->since = now;
		else if (tend_slot(i, now) == -1)
			return -1;
	}
	return 0;
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
	if ((size_t)st.st_size < shm.size)
		return TRUNCATED;
	if ((size_t)st.st_size > shm.size)
		return "was resized by another process";
	return NULL;
}

/* What another process wrote over ipcd's part of the header, or NULL;
 * under a guard. */
static const char *
header_damage(const struct shm_hdr *h)
{
	if (atomic_load(&h->magic) != SHM_MAGIC ||
	    h->version != SHM_VERSION || h->nslots != shm.nslots ||
	    h->ring != SHM_RING || h->recsize != sizeof(struct shm_rec) ||
	    h->size != shm.size ||
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

/* Open the existing segment NAME: refuse it if it belongs to somebody
 * else or another ipcd holds it; else it is a crashed ipcd's leftover,
 * which the caller replaces. */
static int
check_leftover(const char *what, char **cause)
{
	struct stat	 st;
	int		 fd, rc = 0;

	if ((fd = shm_open(shm.name, O_RDONLY | O_CLOEXEC, 0)) == -1)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_uid != geteuid()) {
		*cause = fmtstr("shared-memory segment %s belongs to uid %u; "
		    "refusing to use it", shm.name, (unsigned)st.st_uid);
		rc = -1;
	} else
		rc = node_claim(fd, what, cause);
	close(fd);
	return rc;
}

/* Create a fresh segment and claim it (node_claim): a second ipcd
 * configured with the same name refuses it, naming us. */
static int
create_segment(char **cause)
{
	char	 what[CONF_NAME_MAX + 32];
	int	 fd;

	snprintf(what, sizeof what, "shared-memory segment %s", shm.name);
	fd = shm_open(shm.name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    shm.mode);
	if (fd == -1 && errno == EEXIST) {
		if (check_leftover(what, cause) != 0)
			return -1;
		shm_unlink(shm.name);
		fd = shm_open(shm.name, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, shm.mode);
	}
	if (fd == -1) {
		*cause = fmtstr("shm_open %s: %s", shm.name, strerror(errno));
		return -1;
	}
	if (node_claim(fd, what, cause) != 0 || fchmod(fd, shm.mode) != 0 ||
	    ftruncate(fd, (off_t)shm.size) != 0 || (shm.hdr = mmap(NULL,
	    shm.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED) {
		if (*cause == NULL)
			*cause = fmtstr("shm %s: %s", shm.name,
			    strerror(errno));
		shm.hdr = NULL;
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

/* Leave the segment: submitters first, then the thread, then (closing
 * cleanly) take what was published meanwhile. */
static void
segment_down(int take_rest)
{
	struct shm_hdr	*h = shm.hdr;

	atomic_store(&shm.stop, 1);
	/* A shrunk segment is grown back first: the lost pages return as
	 * zeros, so the wake below reaches a thread asleep on the doorbell
	 * (a futex on a missing page fails with EFAULT instead), and
	 * submitters still attached read a cleared magic instead of
	 * faulting.  Both still work, only later, if this fails. */
	(void)ftruncate(shm.fd, (off_t)shm.size);
	if (sigsetjmp(shm_fault_jmp, 0) == 0) {
		shm_guard(h, shm.size);
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
	/* Commit what was taken, publish it, and only then say that done
	 * is final: a submitter waiting on it learns the truth either way. */
	server_commit();
	if (sigsetjmp(shm_fault_jmp, 0) == 0) {
		shm_guard(h, shm.size);
		publish_done();
		atomic_store_explicit(&h->closed, 1, memory_order_release);
		shm_unguard();
	}
	munmap(h, shm.size);
	shm.hdr = NULL;
	unlink_if_ours();
	close(shm.fd);
	shm.fd = -1;
	free(shm.lease);
	free(shm.tail);
	free(shm.done);
	free(shm.rflags);
	free(shm.dirty);
	shm.lease = NULL;
	shm.tail = shm.done = NULL;
	shm.rflags = NULL;
	shm.dirty = NULL;
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

	shm.size = shm_size(shm.nslots);
	if (create_segment(cause) != 0)
		return -1;
	h = shm.hdr;
	shm.lease = xcalloc(shm.nslots, sizeof *shm.lease);
	shm.tail = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.tail);
	shm.done = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.done);
	shm.rflags = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.rflags);
	shm.dirty = xcalloc(2 * (size_t)shm.nslots, sizeof *shm.dirty);
	atomic_store(&shm.stop, 0);
	atomic_store(&shm.faulted, 0);
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		*cause = fmtstr("segment %s %s while being set up", shm.name,
		    TRUNCATED);
		segment_down(0);
		return -1;
	}
	shm_guard(h, shm.size);
	h->version = SHM_VERSION;
	h->nslots = shm.nslots;
	h->ring = SHM_RING;
	h->recsize = sizeof(struct shm_rec);
	h->size = shm.size;
	atomic_store(&h->daemon_pid, (uint32_t)getpid());
	if (shm_daemon_lock(cause) != 0) {
		shm_unguard();
		segment_down(0);
		return -1;
	}
	if ((errno = pthread_create(&shm.thread, NULL, doorbell_thread,
	    h)) != 0) {
		shm_unguard();
		*cause = fmtstr("pthread_create: %s", strerror(errno));
		segment_down(0);
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
	segment_down(0);
	recreate();
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
	if (shm.hdr == NULL)
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
	if ((why = file_damage()) != NULL) {
		damaged(why);
		return;
	}
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		damaged(TRUNCATED);
		return;
	}
	shm_guard(shm.hdr, shm.size);
	why = header_damage(shm.hdr);
	shm_unguard();
	if (why == NULL && tend() != 0)
		why = TRUNCATED;
	if (why != NULL) {
		damaged(why);
		return;
	}
	shm_wakeup(-1, 0, NULL);
}

static void
release(void)
{
	/* What was published is taken, unless the segment is damaged. */
	if (shm.hdr != NULL)
		segment_down(file_damage() == NULL);
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
	.name = "shm",
	.enabled = shm_enabled,
	.changed = shm_changed,
	.open = shm_open_,
	.close = shm_close_,
	.committed = shm_committed,
};
