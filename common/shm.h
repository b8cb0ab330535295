/*
 * The shared-memory transport: layout and protocol.
 *
 * The segment holds a header, a table of nslots slots ([shm] slots) and
 * two rings per slot.  A ring is a single-producer, single-consumer queue
 * of pre-parsed records.  The file is sparse: only the rings in use take
 * memory.
 *
 *   - A submitter claims a free slot I by a compare-and-swap of its owner
 *     from 0 to its pid; the slot's generation, written only by ipcd,
 *     says which of its two rings is current (shm_ring_of).  It also takes
 *     an open-file-description lock (F_OFD_SETLK) on byte 1 + R of the
 *     file for its ring R, before the swap, and says so in the ring's
 *     flags (SHM_RING_LOCKED): the kernel drops the lock when the submitter
 *     dies, however it dies, so ipcd frees the slot of a locked ring whose
 *     byte nobody holds (F_OFD_GETLK).  A pid could not tell: it means
 *     nothing in another pid namespace and may be reused.  The lock is a
 *     hint, never a condition: one process may hold every byte of the file
 *     (F_OFD_SETLK with l_len 0), and then submitters claim slots without
 *     it.  ipcd holds byte SHM_LOCK_DAEMON, which is how submitters know it
 *     lives.
 *   - It writes a record into ring[head % SHM_RING] with plain stores and
 *     then publishes it by a release-store of head + 1.  A record is
 *     visible to ipcd only once head covers it, and head moves in one
 *     atomic store, so a submitter killed at any instruction leaves either
 *     a whole record or none: no total is ever torn.
 *   - After a batch (half a ring, or at a flush) it rings the doorbell:
 *     it increments the doorbell word in the header and, only if ipcd
 *     has said it is asleep (sleeping), posts ipcd's semaphore (see The
 *     doorbell below).  A submitter makes no system call per record: at
 *     most one semop per half ring, none while ipcd's thread is awake.
 *   - In ipcd a helper thread sleeps on the semaphore and wakes the
 *     event loop; the loop copies a batch of published records
 *     out of the ring under the SIGBUS guard, then (outside it) validates
 *     them like any other transport's, applies them to the key store, and
 *     release-stores tail.  A submitter waits for room by watching tail.
 *   - Once the pass that took them is committed to the state file, ipcd
 *     release-stores done = tail.  A submitter that detaches waits until
 *     done covers its head: only then are its records safe, as a socket
 *     reply would say.  If ipcd dies first, or leaves the segment with
 *     closed set and done short of head, or reclaims the slot, the
 *     submitter reports how many records may be lost instead of succeeding
 *     quietly.
 *
 * Leases.  A slot is leased, not owned: a slot whose ring head has not
 * moved for [limits] idle_timeout seconds (the holder is stopped, or
 * waits for input) is reclaimed by ipcd.  ipcd takes what was published
 * whole, commits it, publishes done, then swaps the owner to
 * SHM_OWNER_REVOKED and bumps the generation.  From then on ipcd never
 * reads that ring again; a revoked holder that wakes up may still write
 * into it, harmlessly.  It notices at its next record or while it waits
 * for done (owner or generation no longer its own), reports the records
 * after done as lost, and acknowledges in the ring's flags
 * (SHM_RING_ACK) after its last store.  ipcd frees the slot again (owner
 * 0) on the slot's other ring, reset to empty, once that ring is clean:
 * never used since a revocation, or its revoked holder acknowledged, or
 * held the lock and holds it no more (it died).  So a new owner always
 * gets a fresh ring no late store can reach, and a slot stays out of use
 * past idle_timeout only while two of its holders in a row were reclaimed
 * and neither has gone: N stopped submitters keep at most N slots for
 * idle_timeout and N / 2 after it, and one process holding every lock
 * keeps none.
 *
 * No lock is ever waited for, so nothing can be left locked: a SIGKILLed
 * or SIGSTOPped submitter blocks nobody but itself.  ipcd frees the slot
 * of a submitter that died (what it published stays in the ring and is
 * still taken) and polls the rings once a second, which also covers a
 * submitter killed between publishing and ringing.  ipcd keeps its own
 * copy of every tail and of every generation, and bounds head - tail, so
 * a scribbled head, generation or record is refused and counted, never
 * trusted.
 *
 * The doorbell.  Shared-memory submissions are accumulated under a
 * semaphore, a System V one: a kernel object beside the segment, not a
 * sem_t inside it, which any submitter could overwrite (and glibc's
 * sem_post and sem_wait abort() the process when a scribbled sem_t makes
 * their futex call fail).  Submitters can post it (and, in ipcd's group,
 * take from it or set its value) but not corrupt, remove or re-own it.
 *   - ipcd creates it with semget(IPC_PRIVATE) (no key to collide with
 *     or to squat) right after the segment, with the segment's owner,
 *     group and mode, and writes its id into the header (semid) before
 *     the magic.  ipcd keeps the id in its own memory and never reads it
 *     back.  It removes it (IPC_RMID) when it leaves the segment: at a
 *     stop, a reload that makes a new segment, or a damaged segment.
 *   - A submitter reads semid once, at attach, and rings it only if it
 *     is a semaphore of one, whose owner and creator are the segment's
 *     owner (fstat of its descriptor) and whose group and mode are the
 *     segment's (IPC_STAT).  Only that user creates such ones, so a
 *     scribbled id cannot make submitters post a semaphore somebody else
 *     controls.  A post never blocks (IPC_NOWAIT); ERANGE (the value is
 *     at SEMVMX) means it is rung already; EIDRM or EINVAL (removed) is
 *     ignored.  A submitter that cannot ring publishes all the same.
 *   - The doorbell thread: store sleeping = 1; if the doorbell word
 *     still reads what it last saw, semtimedop(-1) with a timeout of a
 *     second; store sleeping = 0; if a post woke it but the word has not
 *     moved, SETVAL 0; then, if the word moved, wake the loop.  A
 *     submitter increments the word before it loads sleeping, and the
 *     thread stores sleeping before it loads the word (all sequentially
 *     consistent): either the thread sees the increment and does not
 *     sleep, or the submitter sees sleeping and posts, and a post made
 *     before the semop is counted by the semaphore, so no ring is lost.
 *     The value stays bounded: posts come only while sleeping is set,
 *     those of submitters racing one wake-up cost at most one early
 *     wake-up each, and any post with no ring behind it (a late racer's,
 *     a hostile flood's) makes the thread reset the value to 0.  A post
 *     the reset swallows was made after its increment, which the load
 *     that follows the reset sees; the reset costs nothing in the common
 *     case, where each post comes with its ring.
 *   - While ipcd's loop finds records pass after pass, it looks at the
 *     rings each pass anyway: the thread then waits on the semaphore
 *     without storing sleeping, so submitters do not post and nobody
 *     wakes for records the loop takes regardless.  The first pass that
 *     finds none posts the semaphore itself; the thread wakes, and the
 *     word it last saw has moved (it wakes the loop) or the protocol
 *     above goes on.  A stolen post costs the thread's timeout.
 *   - Whatever is done to the semaphore or to the words costs at most a
 *     second: a ring never posted (the id or the words scribbled, a
 *     wake-up taken by a hostile semop -1, a submitter killed before it
 *     rang) is found by ipcd's look at every ring once a second (the
 *     poll below) and by the thread's timeout.  A hostile post only
 *     wakes the thread, which wakes the loop only if the word moved.
 *     ipcd writes its id back once a second if it was overwritten
 *     (counted), and makes another semaphore if this one is removed
 *     under it (only its owner or root can; counted): the segment and
 *     its submitters go on, those attached before without a doorbell.
 *   - After a crash (SIGKILL) the semaphore outlives ipcd.  At the next
 *     start, replacing the left-over segment, ipcd removes the semaphore
 *     its header names if it matches as above, belongs to ipcd's user
 *     and nobody waits on it (GETNCNT 0: a live ipcd's thread nearly
 *     always does), so crashes do not pile up semaphores.  A semaphore
 *     of another user is never removed.
 *   - What the check cannot tell: another semaphore of ipcd's user with
 *     the same group and mode (another ipcd of that user, say).  A
 *     scribbled id naming it costs that ipcd's thread a wake-up for
 *     nothing, and a crashed segment naming it gets it removed only if
 *     nobody waits on it at that moment.  A segment whose name was removed
 *     before ipcd crashed leaves its semaphore behind (nothing names it).
 *
 * Anyone who may submit may also write anywhere in the segment, or shrink
 * it.  Hence:
 *   - Every access to a mapped segment, in ipcd and in submitters, runs
 *     under shm_guard(): a segment shrunk underneath makes the access
 *     fail (SIGBUS is caught) instead of killing the process.  ipcd calls
 *     nothing but loads and stores under it: records are copied out first.
 *   - ipcd checks the segment (size, links, its part of the header)
 *     once a second.  If it was damaged, ipcd leaves it and creates a
 *     fresh one under the same name; what was published in the damaged
 *     one and not yet taken is lost, and its submitters are told so (see
 *     done and closed above); nothing is ever applied without the
 *     validation above.  Damage confined to one slot (a wild head, tail,
 *     owner or generation) costs only that slot's records.
 *   - Leaving a segment (when damaged, or stopping, or reloading), ipcd
 *     clears its magic, takes what was published unless the segment is
 *     damaged, commits, publishes done and sets closed.  A submitter
 *     checks the magic before every record and closed while it waits for
 *     done: one still attached to a left segment gets an error, never a
 *     hang or a crash, and never a success for records not committed.
 *
 * Bump SHM_VERSION whenever this layout changes.
 */
#ifndef IPCD_SHM_H
#define IPCD_SHM_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "proto.h"

#define SHM_MAGIC	0x314d534443504949ULL	/* "IIPCDSM1" */
#define SHM_VERSION	5	/* 2: a futex doorbell; 3: done, closed, locks;
				   4: leased slots, two rings a slot;
				   5: a System V semaphore doorbell */
#define SHM_SLOTS	4096	/* [shm] slots by default */
#define SHM_SLOTS_MAX	65536
#define SHM_RING	512	/* records per ring, a power of two */
#define SHM_LOCK_DAEMON	0	/* the byte ipcd locks; ring R's is 1 + R */
#define SHM_OWNER_REVOKED 0xffffffffU	/* reclaimed by ipcd, not yet free */
#define SHM_RING_LOCKED	0x1	/* ring flags: the holder holds its byte */
#define SHM_RING_ACK	0x2	/* its revoked holder stores no more */

struct shm_rec {
	double		value;
	uint32_t	part;
	uint32_t	nparts;
	uint8_t		keylen;
	char		key[IPCD_KEY_MAX];	/* not NUL-terminated */
	uint8_t		pad[7];
};

struct shm_slot {
	_Atomic uint32_t	owner;		/* pid of the holder, 0: free */
	_Atomic uint32_t	gen;		/* ipcd's: bumped at each reclaim */
};

struct shm_ring {
	_Atomic uint64_t	head;		/* records published */
	uint8_t			pad0[56];
	_Atomic uint64_t	tail;		/* records consumed by ipcd */
	_Atomic uint64_t	done;		/* of those, committed */
	uint8_t			pad1[48];
	_Atomic uint32_t	flags;		/* the holder's: SHM_RING_* */
	uint8_t			pad2[60];
	struct shm_rec		rec[SHM_RING];
};

struct shm_hdr {
	/* Written by ipcd before it stores magic, and checked by it
	 * once a second after: nobody else may change them. */
	_Atomic uint64_t	magic;		/* stored last, when all is ready */
	uint32_t		version;
	uint32_t		nslots;
	uint32_t		ring;
	uint32_t		recsize;
	uint64_t		size;		/* of the whole segment */
	_Atomic uint32_t	daemon_pid;
	_Atomic uint32_t	closed;		/* ipcd left; done is final */
	_Atomic int32_t		semid;		/* the doorbell's semaphore;
						   restored, not checked */
	uint8_t			pad0[20];
	/* The doorbell, on a cache line of its own. */
	_Atomic uint32_t	doorbell;	/* bumped by submitters' rings */
	_Atomic uint32_t	sleeping;	/* ipcd's: 1 while it waits */
	uint8_t			pad1[56];
	struct shm_slot		slot[];		/* nslots, then the rings */
};

/* The layout for NSLOTS slots: where the rings start, the whole size,
 * ring R, and slot I's ring for generation GEN. */
static inline size_t
shm_rings_offset(uint32_t nslots)
{
	return (sizeof(struct shm_hdr) + nslots * sizeof(struct shm_slot) +
	    63) & ~(size_t)63;
}

static inline size_t
shm_size(uint32_t nslots)
{
	return shm_rings_offset(nslots) + 2 * (size_t)nslots *
	    sizeof(struct shm_ring);
}

static inline struct shm_ring *
shm_ring_at(struct shm_hdr *h, uint32_t nslots, uint32_t r)
{
	return (struct shm_ring *)((char *)h + shm_rings_offset(nslots) +
	    r * sizeof(struct shm_ring));
}

static inline uint32_t
shm_ring_of(uint32_t slot, uint32_t gen)
{
	return 2 * slot + (gen & 1);
}

/* A submitter's handle on the segment. */
struct shm_producer {
	struct shm_hdr	*hdr;
	size_t		 size;
	struct shm_slot	*slot;
	struct shm_ring	*ring;
	int		 fd;		/* holds the ring's lock */
	int		 semid;		/* checked at attach; -1: do not post */
	uint64_t	 head;		/* ours: what we published */
	uint32_t	 pid;
	uint32_t	 gen;		/* of our lease */
	long		 timeout_ms;	/* each wait's limit; 0: the defaults */
	unsigned	 unposted;	/* records published since the last post */
	const char	*broken;	/* why the segment must not be used */
	uint64_t	 lost;		/* after a failed detach: records not
					 * known to be committed */
};

/* TIMEOUT_MS bounds each wait (for a slot, for room in the ring, for the
 * commit) on the monotonic clock; 0 keeps the defaults, 5, 10 and 30 s. */
int	shm_attach(struct shm_producer *, const char *, long, const char **);
int	shm_put(struct shm_producer *, const struct record *, const char **);
void	shm_flush(struct shm_producer *);
/* 0 once ipcd has committed everything put, else -1 with why in the
 * buffer (how many records may be lost); the slot is released either way. */
int	shm_detach(struct shm_producer *, char *, size_t);
/* Is byte I of the segment locked by another open file description?
 * 1 yes, 0 no, -1 cannot tell. */
int	shm_lock_held(int, off_t);
int	shm_rec_decode(const struct shm_rec *, struct record *, const char **);
/* Runs of one key: have the two records the same key (length and bytes
 * up to it; the bytes past it are not used)?  Then the second is decoded by shm_rec_decode_more into the
 * record the first was decoded into, successfully: the key it holds is
 * neither checked nor copied again. */
int	shm_rec_same_key(const struct shm_rec *, const struct shm_rec *);
int	shm_rec_decode_more(const struct shm_rec *, struct record *,
	    const char **);

/* The doorbell (shm_bell.c).  A submitter's side: the id read from the
 * header if it names a semaphore made for the segment of that stat, else
 * -1; a ring (unguarded: call it under a guard) posting that id, unless
 * -1, only if ipcd sleeps; a post (ipcd's loop waking its own thread). */
int	shm_bell_check(int, const struct stat *);
void	shm_ring(struct shm_hdr *, int);
void	shm_bell_post(int);
/* ipcd's side.  Create the semaphore of a segment of that stat: its id,
 * or -1 with errno.  Wait for a post at most MS milliseconds: 0, or -1
 * with errno (EAGAIN: the time is up; EIDRM, EINVAL: removed).  Remove
 * the left-over semaphore of a crashed ipcd's segment: 1 if removed. */
int	shm_bell_create(const struct stat *);
void	shm_bell_remove(int);
int	shm_bell_wait(int, long);
void	shm_bell_reset(int);
int	shm_bell_stale(int, const struct stat *);

/*
 * The SIGBUS guard.  Accessing a mapped segment that somebody shrank
 * raises SIGBUS; under a guard that access jumps back to the guard's
 * sigsetjmp instead, which then returns nonzero:
 *
 *	if (sigsetjmp(shm_fault_jmp, 0) != 0)
 *		...the segment faulted; the guard is already off...
 *	shm_guard(base, len);
 *	...accesses to [base, base + len)...
 *	shm_unguard();
 *
 * One guard per thread at a time (they do not nest).  A SIGBUS outside a
 * guard, or at another address, kills the process as if nothing were
 * installed.  Locals changed between sigsetjmp and the fault must be
 * volatile to be read after it.  shm_guard_init installs the handler once
 * for the process; shm_attach calls it.
 */
extern _Thread_local sigjmp_buf shm_fault_jmp;

int	shm_guard_init(void);
void	shm_guard(const void *, size_t);
void	shm_unguard(void);

#endif
