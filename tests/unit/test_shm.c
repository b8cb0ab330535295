/*
 * The submitter's side of the shm protocol against a stand-in for ipcd
 * (a thread of this process that holds the daemon's lock byte and moves
 * tail, done and closed by hand): shm_detach succeeds only once done
 * covers every record put, however far tail has run ahead of done.
 * And the doorbell's semaphore (shm_bell.c): a submitter rings only one
 * that the segment's owner made for it, only while ipcd sleeps, never
 * blocking; ipcd removes a crashed one's only when it is its own.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"
#include "t.h"

#define SEMVMX	32767	/* the largest value, linux/sem.h */

static struct shm_hdr	*hdr;
static int		 segfd;
static char		 name[64];
static int		 commit_all;	/* the stand-in's last act: 1 commit, 0 leave */

/* Take records as ipcd does (tail follows head), commit none of them
 * until the submitter has put them all, then either commit all or leave
 * the segment with done short of head. */
static void *
standin(void *arg)
{
	struct shm_ring	*s = shm_ring_at(hdr, 1, 0);
	uint64_t	 total = *(uint64_t *)arg, h;

	do {
		h = atomic_load(&s->head);
		atomic_store(&s->tail, h);
		usleep(200);
	} while (h < total);
	usleep(20000);		/* the submitter is waiting in shm_detach */
	if (commit_all)
		atomic_store(&s->done, h);
	else {
		atomic_store(&s->done, h / 4);
		atomic_store(&hdr->closed, 1);
	}
	return NULL;
}

static void
segment(void)
{
	struct flock	fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = SHM_LOCK_DAEMON, .l_len = 1 };
	int		fd;

	snprintf(name, sizeof name, "/ipcd-test-shm-%ld", (long)getpid());
	shm_unlink(name);
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1 ||
	    ftruncate(fd, (off_t)shm_size(1)) != 0 ||
	    (hdr = mmap(NULL, shm_size(1), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0)) == MAP_FAILED || fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		perror("test_shm: segment");
		_exit(1);
	}
	hdr->version = SHM_VERSION;
	hdr->nslots = 1;
	hdr->ring = SHM_RING;
	hdr->recsize = sizeof(struct shm_rec);
	hdr->size = shm_size(1);
	atomic_store(&hdr->semid, -1);
	atomic_store(&hdr->magic, SHM_MAGIC);
	segfd = fd;
}

/* Put N records through the stand-in; shm_detach's status, its message. */
static int
run(uint64_t n, int commit, char *err, size_t size)
{
	struct shm_producer	 p;
	struct record		 r = { .key = "k", .value = 1 };
	const char		*cause;
	pthread_t		 t;
	uint64_t		 i;
	int			 rc;

	memset(hdr->slot, 0, shm_size(1) - offsetof(struct shm_hdr, slot));
	atomic_store(&hdr->closed, 0);
	commit_all = commit;
	err[0] = '\0';
	if (shm_attach(&p, name, 0, &cause) != 0) {
		snprintf(err, size, "attach: %s", cause);
		return -2;
	}
	pthread_create(&t, NULL, standin, &n);
	for (i = 0; i < n; i++)
		if (shm_put(&p, &r, &cause) != 0) {
			snprintf(err, size, "put: %s", cause);
			return -2;
		}
	rc = shm_detach(&p, err, size);
	pthread_join(t, NULL);
	return rc;
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The caller's limit bounds each wait on the clock, and the error says
 * what was waited for: a ring nobody drains, a slot nobody frees. */
static void
deadlines(void)
{
	struct shm_producer	 p, q;
	struct record		 r = { .key = "k", .value = 1 };
	struct timespec		 t0;
	const char		*cause = "";
	char			 err[256];
	int			 i, rc = 0;
	double			 s;

	memset(hdr->slot, 0, shm_size(1) - offsetof(struct shm_hdr, slot));
	atomic_store(&hdr->closed, 0);
	CHECK(shm_attach(&p, name, 300, &cause) == 0, "attach: %s", cause);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i <= SHM_RING && rc == 0; i++)
		rc = shm_put(&p, &r, &cause);
	s = elapsed(&t0);
	CHECK(rc == -1 && strstr(cause, "no room in the ring") != NULL,
	    "a full ring nobody drains, a 300 ms limit: \"%s\"", cause);
	CHECK(s >= 0.29 && s < 3, "  given up after %.2f s", s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = shm_attach(&q, name, 300, &cause);
	s = elapsed(&t0);
	CHECK(rc == -1 && strstr(cause, "no shared-memory slot came free") !=
	    NULL, "the only slot taken, a 300 ms limit: \"%s\"", cause);
	CHECK(s >= 0.29 && s < 3, "  given up after %.2f s", s);
	atomic_store(&hdr->closed, 1);
	(void)shm_detach(&p, err, sizeof err);
}

static int
semval(int id)
{
	return semctl(id, 0, GETVAL, 0);
}

/* A semaphore made by uid 65534 (a child that drops root to make it),
 * with MODE; -1 if that cannot be done. */
static int
foreign(int mode)
{
	int	p[2], id = -1;
	pid_t	pid;

	if (pipe(p) != 0 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (setgid(65534) == 0 && setuid(65534) == 0)
			id = semget(IPC_PRIVATE, 1, IPC_CREAT | mode);
		(void)write(p[1], &id, sizeof id);
		_exit(0);
	}
	if (read(p[0], &id, sizeof id) != sizeof id)
		id = -1;
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	return id;
}

/* As root: the segment given to uid 65534; only a semaphore whose owner
 * and creator are 65534 passes, not root's, nor root's given away. */
static void
bell_owners(struct stat *st)
{
	struct semid_ds	 ds;
	int		 mine, given, theirs;

	if (geteuid() != 0) {
		printf("skip - semaphores of another user: needs root\n");
		return;
	}
	if (fchown(segfd, 65534, 65534) != 0 || fstat(segfd, st) != 0) {
		CHECK(0, "fchown the segment: %m");
		return;
	}
	mine = semget(IPC_PRIVATE, 1, IPC_CREAT | (int)(st->st_mode & 0777));
	given = semget(IPC_PRIVATE, 1, IPC_CREAT | (int)(st->st_mode & 0777));
	semctl(given, 0, IPC_STAT, &ds);
	ds.sem_perm.uid = 65534;
	ds.sem_perm.gid = 65534;
	semctl(given, 0, IPC_SET, &ds);
	theirs = foreign((int)(st->st_mode & 0777));
	CHECK(shm_bell_check(mine, st) == -1, "segment of 65534: root's "
	    "semaphore refused");
	CHECK(shm_bell_check(given, st) == -1, "  root's given to 65534 "
	    "(creator root) refused");
	CHECK(theirs != -1 && shm_bell_check(theirs, st) == theirs,
	    "  the owner's own passes");
	CHECK(shm_bell_stale(theirs, st) == 0, "  a left-over naming "
	    "another user's semaphore: not removed (it exists: %d)",
	    semval(theirs) != -1);
	semctl(mine, 0, IPC_RMID);
	semctl(given, 0, IPC_RMID);
	semctl(theirs, 0, IPC_RMID);
	if (fchown(segfd, 0, 0) != 0 || fstat(segfd, st) != 0)
		CHECK(0, "fchown the segment back: %m");
}

static void
bell(void)
{
	struct shm_producer	 p;
	struct stat		 st;
	struct sembuf		 take = { 0, -1, IPC_NOWAIT };
	const char		*cause = "";
	char			 err[256];
	int			 id, two, other, n;

	fstat(segfd, &st);
	id = shm_bell_create(&st);
	CHECK(id >= 0 && shm_bell_check(id, &st) == id,
	    "the semaphore made for the segment passes the check (%d)", id);
	two = semget(IPC_PRIVATE, 2, IPC_CREAT | (int)(st.st_mode & 0777));
	other = semget(IPC_PRIVATE, 1, IPC_CREAT | 0666);
	CHECK(shm_bell_check(two, &st) == -1, "  two semaphores: refused");
	CHECK(shm_bell_check(other, &st) == -1, "  another mode: refused");
	CHECK(shm_bell_check(2147483000, &st) == -1, "  no such id: refused");
	CHECK(shm_bell_check(-1, &st) == -1, "  -1: refused");

	memset(hdr->slot, 0, shm_size(1) - offsetof(struct shm_hdr, slot));
	atomic_store(&hdr->closed, 0);
	atomic_store(&hdr->semid, other);
	CHECK(shm_attach(&p, name, 0, &cause) == 0 && p.semid == -1,
	    "a submitter finding a decoy id in the header will not ring it");
	(void)shm_detach(&p, err, sizeof err);
	atomic_store(&hdr->semid, id);
	CHECK(shm_attach(&p, name, 0, &cause) == 0 && p.semid == id,
	    "  and rings the right one");
	atomic_store(&hdr->closed, 1);
	(void)shm_detach(&p, err, sizeof err);

	atomic_store(&hdr->sleeping, 0);
	shm_ring(hdr, id);
	CHECK(semval(id) == 0, "ipcd awake: a ring posts nothing");
	atomic_store(&hdr->sleeping, 1);
	shm_ring(hdr, id);
	CHECK(semval(id) == 1, "ipcd asleep: a ring posts once");
	CHECK(shm_bell_wait(id, 1000) == 0 && semval(id) == 0,
	    "  which wakes a wait");
	errno = 0;
	CHECK(shm_bell_wait(id, 50) == -1 && errno == EAGAIN,
	    "  a wait with nothing posted times out (EAGAIN)");
	semctl(id, 0, SETVAL, SEMVMX);
	shm_ring(hdr, id);
	CHECK(semval(id) == SEMVMX, "a ring at SEMVMX neither blocks nor "
	    "fails the submitter");
	shm_bell_reset(id);
	CHECK(semval(id) == 0, "  ipcd's reset takes it back to 0");
	for (n = 0; semop(id, &take, 1) == 0; n++)
		;
	CHECK(n == 0, "  nothing left to take");

	CHECK(shm_bell_stale(id, &st) == 1 && semval(id) == -1,
	    "a crashed ipcd's semaphore, nobody waiting: removed");
	CHECK(shm_bell_stale(two, &st) == 0 && semval(two) != -1,
	    "  a left-over naming one that does not match: kept");
	shm_ring(hdr, id);
	CHECK(1, "  a ring of a removed semaphore is harmless");
	atomic_store(&hdr->sleeping, 0);
	semctl(two, 0, IPC_RMID);
	semctl(other, 0, IPC_RMID);
	bell_owners(&st);
	atomic_store(&hdr->semid, -1);
}

int
main(void)
{
	char	err[256], want[128];
	int	rc;

	segment();
	rc = run(4 * SHM_RING, 1, err, sizeof err);
	CHECK(rc == 0, "4 rings of records, all committed at the end: success "
	    "(%d %s)", rc, err);
	rc = run(4 * SHM_RING, 0, err, sizeof err);
	CHECK(rc == -1, "4 rings taken but a quarter committed before ipcd "
	    "left: failure (%d)", rc);
	snprintf(want, sizeof want, "%d records may be lost: ipcd left the "
	    "segment", 3 * SHM_RING);
	CHECK(strstr(err, want) != NULL, "  naming how many: \"%s\"", err);
	rc = run(10, 0, err, sizeof err);
	CHECK(rc == -1 && strstr(err, "8 records may be lost") != NULL,
	    "10 records, 2 committed: \"%s\"", err);
	deadlines();
	bell();
	shm_unlink(name);
	return t_failed;
}
