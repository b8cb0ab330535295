/*
 * The submitter's side of the shm protocol against a stand-in for ipcd
 * (a thread of this process that holds the daemon's lock byte and moves
 * tail, done and closed by hand): shm_detach succeeds only once done
 * covers every record put, however far tail has run ahead of done.
 */

#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"
#include "t.h"

static struct shm_hdr	*hdr;
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
	atomic_store(&hdr->magic, SHM_MAGIC);
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
	shm_unlink(name);
	return t_failed;
}
