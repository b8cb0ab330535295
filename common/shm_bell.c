/* The doorbell of the shared-memory transport, both sides: a System V
 * semaphore that ipcd creates beside the segment and that submitters post
 * when ipcd sleeps; see shm.h for the protocol. */

#include <errno.h>
#include <stdatomic.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"

/* semctl's fourth argument, which the caller must declare (semctl(2)). */
union semun {
	int		 val;
	struct semid_ds	*buf;
};

/* Is SEMID a semaphore that the owner of the segment SEG made for it: one
 * semaphore, owner and creator the segment's owner, the segment's group
 * and mode?  Only its owner (or root) can create or change such a one, so
 * an id written into the segment by anybody else names either ipcd's
 * semaphore or none of these. */
static int
bell_matches(int semid, const struct stat *seg)
{
	struct semid_ds	ds;
	union semun	arg = { .buf = &ds };

	if (semid < 0 || semctl(semid, 0, IPC_STAT, arg) != 0)
		return 0;
	return ds.sem_perm.uid == seg->st_uid &&
	    ds.sem_perm.cuid == seg->st_uid &&
	    ds.sem_perm.gid == seg->st_gid &&
	    (ds.sem_perm.mode & 0777) == (seg->st_mode & 0777) &&
	    ds.sem_nsems == 1;
}

/* --- the submitter --------------------------------------------------- */

int
shm_bell_check(int semid, const struct stat *seg)
{
	return bell_matches(semid, seg) ? semid : -1;
}

/* Errors are ignored: ERANGE means it is rung already (the value is at
 * SEMVMX), EIDRM or EINVAL that ipcd removed it (it leaves the segment);
 * either way ipcd looks at the rings within a second. */
void
shm_bell_post(int semid)
{
	struct sembuf	post = { 0, 1, IPC_NOWAIT };

	(void)semop(semid, &post, 1);
}

void
shm_ring(struct shm_hdr *hdr, int semid)
{
	/* Both sequentially consistent, against the doorbell thread's store
	 * of sleeping and load of doorbell: one of the two sides sees the
	 * other.  A post before the thread's semop is counted, not lost. */
	atomic_fetch_add(&hdr->doorbell, 1);
	if (atomic_load(&hdr->sleeping) == 0 || semid == -1)
		return;
	shm_bell_post(semid);
}

/* --- ipcd ------------------------------------------------------------ */

int
shm_bell_create(const struct stat *seg)
{
	struct semid_ds	ds;
	union semun	arg = { .buf = &ds };
	int		semid, saved;

	/* IPC_PRIVATE: a fresh semaphore, no key to collide or squat. */
	semid = semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL |
	    (int)(seg->st_mode & 0777));
	if (semid == -1)
		return -1;
	if (semctl(semid, 0, IPC_STAT, arg) != 0)
		goto fail;
	/* Created with ipcd's effective uid and gid, as the segment was;
	 * the segment's group may differ (a set-group-ID /dev/shm): take
	 * it.  No umask applies to either. */
	if (ds.sem_perm.gid != seg->st_gid ||
	    (ds.sem_perm.mode & 0777) != (seg->st_mode & 0777)) {
		ds.sem_perm.gid = seg->st_gid;
		ds.sem_perm.mode = seg->st_mode & 0777;
		if (semctl(semid, 0, IPC_SET, arg) != 0)
			goto fail;
	}
	if (!bell_matches(semid, seg)) {
		errno = EPERM;
		goto fail;
	}
	return semid;
fail:
	saved = errno;
	shm_bell_remove(semid);
	errno = saved;
	return -1;
}

void
shm_bell_remove(int semid)
{
	if (semid >= 0)
		(void)semctl(semid, 0, IPC_RMID);
}

int
shm_bell_wait(int semid, long ms)
{
	struct sembuf	take = { 0, -1, 0 };
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000 };

	return semtimedop(semid, &take, 1, &ts);
}

void
shm_bell_reset(int semid)
{
	union semun	arg = { .val = 0 };

	(void)semctl(semid, 0, SETVAL, arg);
}

int
shm_bell_stale(int semid, const struct stat *seg)
{
	union semun	arg = { .val = 0 };

	/* Nobody waits on a dead ipcd's semaphore; a live ipcd's doorbell
	 * thread waits on its own nearly always. */
	if (seg->st_uid != geteuid() || !bell_matches(semid, seg) ||
	    semctl(semid, 0, GETNCNT, arg) != 0)
		return 0;
	return semctl(semid, 0, IPC_RMID) == 0;
}
