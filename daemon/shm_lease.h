/*
 * The consuming side of the shared-memory rings, shared by tr_shm.c (the
 * segment's life: making, checking, leaving it; the doorbell thread),
 * shm_file.c (the segment as a file) and shm_lease.c (the slots: draining
 * their rings, and leasing them, shm.h).
 */
#ifndef IPCD_SHM_LEASE_H
#define IPCD_SHM_LEASE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "shm.h"

struct event;

/* What ipcd knows of a slot: its own copies, never the shared ones. */
struct lease {
	uint32_t	gen;		/* ours; the shared copy is restored */
	uint32_t	owner;		/* as last seen */
	uint64_t	head;		/* of the current ring, as last seen */
	uint32_t	flags;		/* of the current ring, as last seen */
	time_t		since;		/* owner or head last moved */
	int		revoked;	/* waits for its other ring to be clean */
	int		reclaiming;	/* taken, to be revoked at the next look */
};

struct shm_state {
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
	uint32_t	*moved;		/* rings whose tail moved since the
					 * last publish of done */
	uint32_t	 nmoved;
	uint32_t	 scan_hi;	/* no slot above is held, as last seen */
	int		 semid;		/* the doorbell's; ours, not the header's */
	int		 efd;
	pthread_t	 thread;
	int		 thread_running;
	atomic_int	 stop;		/* to the thread: leave the segment */
	atomic_int	 faulted;	/* from the thread: the segment faulted */
	atomic_int	 bell_lost;	/* from the thread: semaphore removed */
	atomic_int	 polling;	/* to the thread: the loop looks at the
					 * rings each pass, need not be woken */
	struct event	*ev;
	struct event	*poll;
	struct event	*again;		/* look again next pass */
	time_t		 last_warn;
	int		 failing;	/* recreation failed (and was logged) */
	int		 leaving;	/* LEAVE_*: quiesced, awaiting the commit */
};

#define LEAVE_CLOSING	1	/* the transport closes */
#define LEAVE_DAMAGED	2	/* a fresh segment replaces it */

#define SHM_TRUNCATED	"was truncated by another process"

extern struct shm_state shm;

/* The file (shm_file.c).  Create and claim a fresh segment (replacing a
 * crashed ipcd's, and removing its semaphore), mapped in shm.hdr, its
 * descriptor in shm.fd; hold its SHM_LOCK_DAEMON byte; remove its name if
 * it is still ours. */
int	shm_file_create(char **);
int	shm_file_lock(char **);
void	shm_file_unlink(void);
/* What another process did to the file, or to ipcd's part of the header
 * (under a guard): NULL, or what. */
const char *shm_file_damage(void);
const char *shm_header_damage(const struct shm_hdr *);

/* Take what was published: how many records, or -1 if the segment
 * faulted.  Not under a guard; nor are the others. */
long	lease_drain(void);
/* Once a second: free dead holders' slots, reclaim idle ones, renew
 * reclaimed ones.  -1 if the segment faulted. */
int	lease_tend(void);
/* After a commit: done = tail for every ring; under a guard. */
void	lease_publish_done(void);

#endif
