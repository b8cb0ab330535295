/* The submitting side of the shared-memory protocol; see shm.h.  The
 * doorbell is in shm_bell.c, the SIGBUS guard in shm_guard.c. */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"
#include "util.h"

#define WAIT_STEP_NS	50000		/* 50 us between looks at a full ring */
#define WAIT_SPINS	100		/* after as many looks without sleeping */
#define SLOT_LIMIT_MS	5000		/* give up after 5 s without a slot */
#define ROOM_LIMIT_MS	10000		/* or 10 s without room */
#define DONE_LIMIT_MS	30000		/* or 30 s without a commit */

#define STR_(x)		#x
#define STR(x)		STR_(x)

static const char truncated[] =
    "the shared-memory segment was truncated by another process";
static const char left[] =
    "ipcd has left this shared-memory segment (it stopped, reloaded, or "
    "replaced a damaged segment)";
static const char reclaimed[] =
    "ipcd reclaimed this submitter's slot after it made no progress for "
    "[limits] idle_timeout";

/* --- the locks ------------------------------------------------------- */

static int
ofd_lock(int fd, int cmd, short type, off_t byte, struct flock *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = byte;
	fl->l_len = 1;
	return fcntl(fd, cmd, fl);
}

int
shm_lock_held(int fd, off_t byte)
{
	struct flock	fl;

	if (ofd_lock(fd, F_OFD_GETLK, F_WRLCK, byte, &fl) != 0)
		return -1;
	return fl.l_type != F_UNLCK;
}

/* --- the submitter --------------------------------------------------- */

static void
nap(long ns)
{
	struct timespec	ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static long long
now_ms(void)
{
	return (long long)(mono_sec() * 1000);
}

/* When a wait that began now gives up: the caller's limit, or DEF. */
static long long
deadline(const struct shm_producer *p, long def)
{
	return now_ms() + (p->timeout_ms > 0 ? p->timeout_ms : def);
}

/* Is ipcd still there to drain the rings?  (It holds its lock byte as
 * long as it has the segment open: across pid namespaces too.) */
static int
daemon_alive(const struct shm_producer *p)
{
	return shm_lock_held(p->fd, SHM_LOCK_DAEMON) != 0;
}

/* Is the lease still ours?  Under a guard. */
static int
leased(const struct shm_producer *p)
{
	return atomic_load_explicit(&p->slot->owner, memory_order_acquire) ==
	    p->pid && atomic_load_explicit(&p->slot->gen,
	    memory_order_relaxed) == p->gen;
}

/* Say we store no more into a ring whose lease was revoked (shm.h); under
 * a guard. */
static const char *
revoked(struct shm_producer *p)
{
	atomic_fetch_or_explicit(&p->ring->flags, SHM_RING_ACK,
	    memory_order_release);
	return p->broken = reclaimed;
}

/* Try slot I; LOCKLESS: claim it even if its ring's byte is locked (by
 * one who holds every byte).  Under a guard. */
static int
claim(struct shm_producer *p, uint32_t i, int lockless)
{
	struct shm_hdr	*h = p->hdr;
	struct flock	 fl;
	uint32_t	 free_ = 0, gen, r;
	int		 locked;

	if (atomic_load(&h->slot[i].owner) != 0)
		return -1;
	gen = atomic_load(&h->slot[i].gen);
	r = shm_ring_of(i, gen);
	locked = ofd_lock(p->fd, F_OFD_SETLK, F_WRLCK, 1 + (off_t)r, &fl) == 0;
	if (!locked && !lockless)
		return -1;
	if (!atomic_compare_exchange_strong(&h->slot[i].owner, &free_,
	    p->pid) || atomic_load(&h->slot[i].gen) != gen) {
		if (free_ == 0)
			atomic_store(&h->slot[i].owner, 0);
		if (locked)
			(void)ofd_lock(p->fd, F_OFD_SETLK, F_UNLCK, 1 + (off_t)r,
			    &fl);
		return -1;
	}
	p->slot = &h->slot[i];
	p->gen = gen;
	p->ring = shm_ring_at(h, h->nslots, r);
	p->head = atomic_load(&p->ring->head);
	atomic_store(&p->ring->flags, locked ? SHM_RING_LOCKED : 0);
	return 0;
}

/* Check the header and claim a slot; under the caller's guard. */
static int
attach(struct shm_producer *p, const char **cause)
{
	struct shm_hdr	*h = p->hdr;
	long long	 end = deadline(p, SLOT_LIMIT_MS);
	uint32_t	 i;
	int		 lockless = 0;

	if (atomic_load_explicit(&h->magic, memory_order_acquire) !=
	    SHM_MAGIC || h->version != SHM_VERSION ||
	    h->nslots == 0 || h->nslots > SHM_SLOTS_MAX ||
	    shm_size(h->nslots) != p->size || h->ring != SHM_RING ||
	    h->recsize != sizeof(struct shm_rec)) {
		*cause = "shared-memory segment is not an ipcd version "
		    STR(SHM_VERSION) " segment";
		return -1;
	}
	for (;;) {
		for (i = 0; i < h->nslots; i++)
			if (claim(p, i, lockless) == 0)
				return 0;
		/* A second sweep without the locks: somebody may hold them
		 * all.  ipcd frees slots of the dead and the idle. */
		if (!lockless) {
			lockless = 1;
			continue;
		}
		lockless = 0;
		if (!daemon_alive(p)) {
			*cause = "ipcd is not running";
			return -1;
		}
		if (now_ms() >= end) {
			*cause = "no shared-memory slot came free in time "
			    "(all are busy)";
			return -1;
		}
		nap(1000000);
	}
}

int
shm_attach(struct shm_producer *p, const char *name, long timeout_ms,
    const char **cause)
{
	struct stat	 st;
	struct shm_hdr	*hdr;
	int		 fd, semid;

	memset(p, 0, sizeof *p);
	p->fd = -1;
	p->semid = -1;
	p->timeout_ms = timeout_ms;
	if (shm_guard_init() != 0) {
		*cause = "cannot install a SIGBUS handler";
		return -1;
	}
	if ((fd = shm_open(name, O_RDWR | O_CLOEXEC, 0)) == -1) {
		*cause = errno == ENOENT ?
		    "no shared-memory segment (is ipcd running?)" :
		    "cannot open the shared-memory segment";
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)shm_size(1) ||
	    st.st_size > (off_t)shm_size(SHM_SLOTS_MAX)) {
		close(fd);
		*cause = "shared-memory segment has the wrong size "
		    "(another version of ipcd?)";
		return -1;
	}
	p->size = (size_t)st.st_size;
	hdr = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (hdr == MAP_FAILED) {
		close(fd);
		*cause = "cannot map the shared-memory segment";
		return -1;
	}
	p->fd = fd;	/* kept open: it holds the ring's lock */
	p->pid = (uint32_t)getpid();
	p->hdr = hdr;
	/* It may have shrunk since the fstat. */
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		*cause = truncated;
		goto fail;
	}
	shm_guard(hdr, p->size);
	if (attach(p, cause) != 0) {
		shm_unguard();
		goto fail;
	}
	semid = atomic_load(&hdr->semid);
	shm_unguard();
	/* Anyone who may submit may have written the id: ring only a
	 * semaphore that the segment's owner made for it.  Without one,
	 * records are still taken, by ipcd's look once a second (shm.h). */
	p->semid = shm_bell_check(semid, &st);
	return 0;
fail:
	munmap(hdr, p->size);
	close(p->fd);
	p->fd = -1;
	p->hdr = NULL;
	p->slot = NULL;
	return -1;
}

/* Wait for room in the ring; under the caller's guard. */
static int
room(struct shm_producer *p, const char **cause)
{
	long long	 end = 0;
	unsigned	 spins = 0, naps = 0;

	for (;;) {
		/* ipcd clears the magic when it leaves a segment: records
		 * put into it now would never be taken. */
		if (atomic_load_explicit(&p->hdr->magic,
		    memory_order_relaxed) != SHM_MAGIC) {
			p->broken = *cause = left;
			return -1;
		}
		if (!leased(p)) {
			*cause = revoked(p);
			return -1;
		}
		if (p->head - atomic_load_explicit(&p->ring->tail,
		    memory_order_acquire) < SHM_RING)
			return 0;
		if (p->unposted > 0) {
			shm_ring(p->hdr, p->semid);
			p->unposted = 0;
		}
		/* ipcd looks again each pass while records come, so room
		 * is usually a moment away: yield a few times before
		 * sleeping, which costs a timer's slack on top. */
		if (spins++ < WAIT_SPINS) {
			sched_yield();
			continue;
		}
		if (end == 0)
			end = deadline(p, ROOM_LIMIT_MS);
		if (now_ms() >= end || (++naps % 2000 == 0 &&
		    !daemon_alive(p))) {
			*cause = "ipcd is not draining shared memory: no room "
			    "in the ring in time";
			return -1;
		}
		nap(WAIT_STEP_NS);
	}
}

/* shm_put under the caller's guard. */
static int
put(struct shm_producer *p, const struct record *r, const char **cause)
{
	struct shm_rec	*rec;
	uint64_t	 head = p->head;	/* not the shared copy: anyone may write that */
	size_t		 len = strlen(r->key);

	if (room(p, cause) != 0)
		return -1;
	rec = &p->ring->rec[head % SHM_RING];
	memset(rec, 0, sizeof *rec);
	rec->value = r->value;
	rec->part = r->part;
	rec->nparts = r->nparts;
	rec->keylen = (uint8_t)len;
	memcpy(rec->key, r->key, len);
	atomic_store_explicit(&p->ring->head, head + 1, memory_order_release);
	p->head = head + 1;
	if (++p->unposted >= SHM_RING / 2) {
		shm_ring(p->hdr, p->semid);
		p->unposted = 0;
	}
	return 0;
}

/* Publish one record, waiting for room in the ring if it is full. */
int
shm_put(struct shm_producer *p, const struct record *r, const char **cause)
{
	int	rc;

	if (p->broken != NULL) {
		*cause = p->broken;
		return -1;
	}
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		p->broken = *cause = truncated;
		return -1;
	}
	shm_guard(p->hdr, p->size);
	rc = put(p, r, cause);
	shm_unguard();
	return rc;
}

/* Ring the doorbell for what was published since the last ring. */
void
shm_flush(struct shm_producer *p)
{
	if (p->broken != NULL || p->unposted == 0)
		return;
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		p->broken = truncated;
		return;
	}
	shm_guard(p->hdr, p->size);
	shm_ring(p->hdr, p->semid);
	p->unposted = 0;
	shm_unguard();
}

/* Wait until ipcd has committed all this ring holds; under a guard.
 * Returns how many records it has not, 0 when all are safe. */
static uint64_t
await_done(struct shm_producer *p, const char **why)
{
	uint64_t	 head = p->head, done;
	long long	 end = deadline(p, DONE_LIMIT_MS);
	unsigned	 naps = 0;

	for (;;) {
		/* done lags head by up to a ring per drain while ipcd syncs,
		 * often more; only done >= head means all is committed (done
		 * past head is a scribble, which only fools this slot).  ipcd
		 * publishes done before it revokes a lease, so done is final
		 * once the lease is not ours. */
		int	lease = leased(p);

		done = atomic_load_explicit(&p->ring->done,
		    memory_order_acquire);
		if ((int64_t)(head - done) <= 0)
			return 0;
		if (!lease) {
			*why = revoked(p);
			return head - done;
		}
		if (atomic_load_explicit(&p->hdr->closed,
		    memory_order_acquire)) {
			*why = "ipcd left the segment before committing them";
			return head - done;
		}
		if (naps++ % 200 == 0 && !daemon_alive(p)) {
			*why = "ipcd stopped before committing them";
			return head - done;
		}
		if (now_ms() >= end) {
			*why = "ipcd did not commit them in time";
			return head - done;
		}
		nap(WAIT_STEP_NS);
	}
}

int
shm_detach(struct shm_producer *p, char *err, size_t errsize)
{
	const char *volatile	 why = NULL;
	volatile uint64_t	 lost = 0;
	uint32_t		 me;

	if (p->hdr == NULL)
		return 0;
	shm_flush(p);
	if (p->broken != NULL) {
		why = p->broken;
		goto unmap;
	}
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		why = truncated;
		goto unmap;
	}
	shm_guard(p->hdr, p->size);
	{
		const char	*w = NULL;

		lost = await_done(p, &w);
		why = w;
	}
	/* Give the slot back, unless ipcd took it meanwhile: then say we
	 * are done with the ring (records all committed are still safe).
	 * With records not yet taken, keep it: ipcd reads only held slots,
	 * and takes what a holder that is gone left before freeing it. */
	me = p->pid;
	if (atomic_load(&p->slot->gen) != p->gen)
		(void)revoked(p);
	else if (why == NULL &&
	    !atomic_compare_exchange_strong(&p->slot->owner, &me, 0))
		(void)revoked(p);
	shm_unguard();
unmap:
	munmap(p->hdr, p->size);
	close(p->fd);	/* and with it the ring's lock */
	p->hdr = NULL;
	p->fd = -1;
	p->lost = lost;
	if (why == NULL)
		return 0;
	if (lost > 0)
		snprintf(err, errsize, "%llu record%s may be lost: %s",
		    (unsigned long long)lost, lost == 1 ? "" : "s", why);
	else
		snprintf(err, errsize, "records may be lost: %s", why);
	return -1;
}
/* The value and the part of a record from a ring, checked, into R. */
static int
rec_fields(const struct shm_rec *rec, struct record *r, const char **cause)
{
	if (!isfinite(rec->value)) {
		*cause = isnan(rec->value) ? "value is NaN" : "value is infinite";
		return -1;
	}
	if (!part_valid(rec->part, rec->nparts)) {
		*cause = PART_CAUSE;
		return -1;
	}
	r->value = rec->value;
	r->part = rec->part;
	r->nparts = rec->nparts;
	return 0;
}

/* A record from a ring, validated as strictly as a line on the FIFO.  The
 * caller passes a private copy: the ring may change under it. */
int
shm_rec_decode(const struct shm_rec *rec, struct record *r, const char **cause)
{
	if (!key_valid(rec->key, rec->keylen)) {
		*cause = rec->keylen > IPCD_KEY_MAX ?
		    "key longer than 64 characters" :
		    "key is empty or has a character outside [A-Za-z0-9_.:-]";
		return -1;
	}
	if (rec_fields(rec, r, cause) != 0)
		return -1;
	/* The whole field, a constant size: a copy of keylen bytes cost
	 * more than the rest of the decode (a string instruction's start). */
	_Static_assert(sizeof r->key > sizeof rec->key, "key sizes");
	memcpy(r->key, rec->key, sizeof rec->key);
	r->key[rec->keylen] = '\0';
	return 0;
}

/* Do A and B have the same key, the same length of at most
 * IPCD_KEY_MAX and the same bytes up to it?  (What lies past the length
 * is neither checked nor used.)  An inline compare, no call. */
int
shm_rec_same_key(const struct shm_rec *a, const struct shm_rec *b)
{
	return a->keylen == b->keylen && a->keylen <= sizeof a->key &&
	    same_bytes(a->key, b->key, a->keylen);
}

/*
 * shm_rec_decode for a record whose key is the same (by
 * shm_rec_same_key) as that of the record last decoded into R,
 * successfully: R holds that key already, found valid, so only the
 * value and the part are checked and copied.  Submitters send runs of
 * one key, so this is the common case.
 */
int
shm_rec_decode_more(const struct shm_rec *rec, struct record *r,
    const char **cause)
{
	return rec_fields(rec, r, cause);
}
