/*
 * Draining the rings and leasing the slots of the shared-memory segment
 * (the protocol is in common/shm.h; the segment itself in tr_shm.c).
 *
 * Under the SIGBUS guard ipcd only loads and stores: a batch of records is
 * copied out, then validated and applied outside it.  Once a second
 * lease_tend frees the slot of a holder that died, reclaims one that made
 * no progress for [limits] idle_timeout (after taking and committing what
 * it published whole), and frees a reclaimed slot on its other ring, reset,
 * once that ring is clean.  ipcd reads only the current ring of a slot in
 * use by its own generation, never a revoked one.
 */

#include <fcntl.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "shm_lease.h"
#include "util.h"
#include "xmalloc.h"

#define SCAN_MARGIN	64	/* slots looked at past the highest held one */
#define BATCH	256	/* records copied out under one guard */

static struct shm_rec	batch[BATCH];

static struct shm_ring *
ring(uint32_t r)
{
	return shm_ring_at(shm.hdr, shm.nslots, r);
}

/* Ring R's tail is about to move: have the next publish of done cover
 * it (once, while done lags behind). */
static void
tail_moves(uint32_t r)
{
	if (shm.tail[r] == shm.done[r])
		shm.moved[shm.nmoved++] = r;
}

/* Copy what a record uses: its fields, and its key up to its length as
 * the copy says (never more than the field), in words.  Most keys are
 * short: most of the record's 88 bytes, and a cache line in three, are
 * never read.  The bytes of D's key field past the length are left as
 * they were: nothing reads them (shm_rec_decode). */
static void
copy_rec(struct shm_rec *d, const struct shm_rec *s)
{
	size_t	i, len;

	memcpy(d, s, offsetof(struct shm_rec, key));
	len = d->keylen < sizeof d->key ? d->keylen : sizeof d->key;
	_Static_assert(sizeof d->key % 8 == 0, "key field in words");
	for (i = 0; i < len; i += 8)
		memcpy(d->key + i, s->key + i, 8);
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
		tail_moves(r);
		shm.tail[r] = head;
		atomic_store_explicit(&g->tail, head, memory_order_release);
		return 0;
	}
	n = head - t < BATCH ? head - t : BATCH;
	for (k = 0; k < n; k++)
		copy_rec(&batch[k], &g->rec[(t + k) % SHM_RING]);
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

/* Apply the records of batch[0..N), in order, outside the guard: they
 * are private copies, so a fault can never leave one half-applied.  A
 * run of records of one key is decoded after its first without the key
 * (shm_rec_decode_more) and, unparted, submitted in one go. */
static void
apply_batch(long n)
{
	static double		 vals[BATCH];
	struct record		 rec;
	const struct shm_rec	*prev = NULL;
	const char		*cause;
	size_t			 nv = 0;
	long			 k;
	int			 same, rc;

	for (k = 0; k < n; k++) {
		same = prev != NULL && shm_rec_same_key(&batch[k], prev);
		if (nv > 0 && (!same || batch[k].nparts != 0)) {
			(void)server_submit_values(TR_SHM, &rec, vals, nv,
			    NULL);
			nv = 0;
		}
		rc = same ? shm_rec_decode_more(&batch[k], &rec, &cause) :
		    shm_rec_decode(&batch[k], &rec, &cause);
		if (rc != 0) {
			server_reject(TR_SHM, RJ_MALFORMED, cause, NULL);
			continue;	/* REC is as it was */
		}
		prev = &batch[k];
		if (rec.nparts == 0)
			vals[nv++] = rec.value;
		else
			(void)server_submit(TR_SHM, &rec, NULL);
	}
	if (nv > 0)
		(void)server_submit_values(TR_SHM, &rec, vals, nv, NULL);
}

/* Apply what ring R holds, a batch at a time.  How many, or -1 if the
 * segment faulted. */
static long
drain_ring(uint32_t r)
{
	const char	*bad;
	long		 n, got = 0;

	do {
		bad = NULL;
		if ((n = take(r, &bad)) == -1)
			return -1;
		if (bad != NULL)
			server_reject(TR_SHM, RJ_DAMAGED, bad, NULL);
		apply_batch(n);
		if (n > 0)
			tail_moves(r);
		shm.tail[r] += (uint64_t)n;
		got += n;
		if (n > 0 && store_tail(r) != 0)
			return -1;
	} while (n == BATCH);
	return got;
}

/* The slots in use, by their owner words (the table is small: the rings
 * of free slots are never touched, so the segment stays sparse), or -1 on
 * a fault.  A holder gives its slot back only once ipcd took all it
 * published (shm_detach); one that could not wait keeps it, and the tend
 * takes what it left before freeing it.  A revoked lease's ring is never
 * read again. */
static long
in_use(uint32_t *list)
{
	uint32_t		i;
	volatile uint32_t	n = 0;

	if (sigsetjmp(shm_fault_jmp, 0) != 0)
		return -1;
	shm_guard(shm.hdr, shm.size);
	/* Submitters take the lowest free slot: past the highest held one
	 * a few more are looked at, and the once-a-second look sees all. */
	for (i = 0; i < shm.nslots && i < shm.scan_hi + SCAN_MARGIN; i++)
		if (atomic_load_explicit(&shm.hdr->slot[i].owner,
		    memory_order_relaxed) != 0 && !shm.lease[i].revoked) {
			list[n++] = i;
			if (i >= shm.scan_hi)
				shm.scan_hi = i + 1;
		}
	shm_unguard();
	return n;
}

/* Take what was published (shm.h); how many records, or -1 if the segment
 * faulted (the segment is then left for a fresh one). */
long
lease_drain(void)
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
void
lease_publish_done(void)
{
	uint32_t	r;

	while (shm.nmoved > 0) {
		r = shm.moved[--shm.nmoved];
		shm.done[r] = shm.tail[r];
		atomic_store_explicit(&ring(r)->done, shm.done[r],
		    memory_order_release);
	}
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

	shm.scan_hi = 0;
	for (i = 0; i < shm.nslots; i++) {
		l = &shm.lease[i];
		if (atomic_load(&shm.hdr->slot[i].owner) != 0)
			shm.scan_hi = i + 1;
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
	struct shm_ring	*g = ring(shm_ring_of(i, shm.lease[i].gen));

	if (swap_owner(i, 0) != 0)
		return 1;
	/* Its LOCKED flag must not outlive it: a next holder that got no
	 * lock, stopped before it stores its own flags, would look dead. */
	atomic_store(&g->flags, 0);
	shm.lease[i].flags = 0;
	return 0;
}

/* Revoke slot I's lease (shm.h): what it published whole was taken and
 * committed since the last look.  Under a guard. */
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
	return (time_t)mono_sec() + 1;	/* never 0: "not yet seen" */
}

/* What to do with slot I, one in use and not revoked: free it if its
 * holder died, reclaim it if it made no progress for idle_timeout (in two
 * looks: the first takes what it published, the loop commits, the second
 * revokes).  -1 on a fault. */
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
	if (!l->reclaiming) {
		/* Take what it published whole; the loop commits it and
		 * publishes done before the next look revokes the lease
		 * (unless the holder moved meanwhile). */
		l->reclaiming = 1;
		return drain_ring(r) == -1 ? -1 : 0;
	}
	l->reclaiming = 0;
	if ((rc = guarded(reclaim, i)) == 0)
		log_info("shm: reclaimed slot %u of pid %u after %lds without "
		    "progress", i, l->owner, shm.idle);
	return rc == -1 ? -1 : 0;
}

/* Once a second: tend the slots (shm.h).  -1 if the segment faulted. */
int
lease_tend(void)
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
		server_reject(TR_SHM, RJ_DAMAGED, "slot generation overwritten "
		    "by another process; restored", NULL);
	for (r = 0; r < 2 * shm.nslots; r++)
		if (shm.dirty[r] && gone(r, shm.rflags[r]))
			shm.dirty[r] = 0;
	for (i = 0; i < shm.nslots; i++) {
		l = &shm.lease[i];
		if (l->revoked) {
			if (!shm.dirty[shm_ring_of(i, l->gen)] &&
			    guarded(renew, i) == -1)
				return -1;
		} else if (l->owner == 0 || l->since == 0) {
			l->since = now;
			l->reclaiming = 0;
		}
		else if (tend_slot(i, now) == -1)
			return -1;
	}
	return 0;
}
