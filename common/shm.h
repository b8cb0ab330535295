/*
 * The shared-memory transport: layout and protocol.
 *
 * The segment holds a header and SHM_SLOTS slots.  A slot is a
 * single-producer, single-consumer ring of pre-parsed records:
 *
 *   - A submitter claims a free slot by compare-and-swap of its owner field
 *     from 0 to its pid, and is then the only writer of that slot's ring.
 *   - It writes a record into ring[head % SHM_RING] with plain stores and
 *     then publishes it by a release-store of head + 1.  A record is
 *     visible to ipcd only once head covers it, and head moves in one
 *     atomic store, so a submitter killed at any instruction leaves either
 *     a whole record or none: no total is ever torn.
 *   - After a batch it posts the doorbell, a process-shared POSIX
 *     semaphore in the header.  sem_post makes no system call while nobody
 *     sleeps on it, so a busy submitter costs no system call per record.
 *   - In ipcd a helper thread sleeps in sem_wait on the doorbell and wakes
 *     the event loop; the loop copies each published record out of the
 *     ring, validates it like any other transport's, applies it to the key
 *     store, and release-stores tail.  A submitter waits for room by
 *     watching tail.
 *
 * No lock is ever held by a submitter, so nothing can be left locked: a
 * SIGKILLed or SIGSTOPped submitter blocks nobody but itself.  ipcd
 * reclaims the slot of a submitter that died (after draining what it had
 * published) and polls the rings once a second, which also covers a
 * submitter killed between publishing and ringing.  ipcd keeps its own
 * copy of every tail and bounds head - tail, so a scribbled head or record
 * is refused and counted, never trusted.
 *
 * Bump SHM_VERSION whenever this layout changes.
 */
#ifndef IPCD_SHM_H
#define IPCD_SHM_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

#define SHM_MAGIC	0x314d534443504949ULL	/* "IIPCDSM1" */
#define SHM_VERSION	1
#define SHM_SLOTS	32
#define SHM_RING	512		/* records per slot, a power of two */

struct shm_rec {
	double		value;
	uint32_t	part;
	uint32_t	nparts;
	uint8_t		keylen;
	char		key[IPCD_KEY_MAX];	/* not NUL-terminated */
	uint8_t		pad[7];
};

struct shm_slot {
	_Atomic uint32_t	owner;		/* pid of the producer, 0: free */
	uint8_t			pad0[60];
	_Atomic uint64_t	head;		/* records published */
	uint8_t			pad1[56];
	_Atomic uint64_t	tail;		/* records consumed by ipcd */
	uint8_t			pad2[56];
	struct shm_rec		ring[SHM_RING];
};

struct shm_hdr {
	_Atomic uint64_t	magic;		/* stored last, when all is ready */
	uint32_t		version;
	uint32_t		nslots;
	uint32_t		ring;
	uint32_t		recsize;
	uint64_t		size;		/* of the whole segment */
	_Atomic uint32_t	daemon_pid;
	uint8_t			pad0[28];
	sem_t			doorbell;
	uint8_t			pad1[64 - sizeof(sem_t) % 64];
	struct shm_slot		slot[SHM_SLOTS];
};

/* A submitter's handle on the segment. */
struct shm_producer {
	struct shm_hdr	*hdr;
	struct shm_slot	*slot;
	uint32_t	 pid;
	unsigned	 unposted;	/* records published since the last post */
};

int	shm_attach(struct shm_producer *, const char *, const char **);
int	shm_put(struct shm_producer *, const struct record *, const char **);
void	shm_flush(struct shm_producer *);
void	shm_detach(struct shm_producer *);
int	shm_rec_decode(const struct shm_rec *, struct record *, const char **);

#endif
