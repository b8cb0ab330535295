/* The submitting side of the shared-memory protocol; see shm.h. */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"

#define WAIT_STEP_NS	50000		/* 50 us between looks at a full ring */
#define WAIT_LIMIT_NS	10000000000LL	/* give up after 10 s without room */

static void
nap(long ns)
{
	struct timespec	ts = { 0, ns };

	nanosleep(&ts, NULL);
}

/* Is ipcd still there to drain the rings? */
static int
daemon_alive(const struct shm_hdr *hdr)
{
	pid_t	pid = (pid_t)atomic_load(&hdr->daemon_pid);

	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int
shm_attach(struct shm_producer *p, const char *name, const char **cause)
{
	struct stat	 st;
	struct shm_hdr	*hdr;
	int		 fd, i, tries;

	memset(p, 0, sizeof *p);
	if ((fd = shm_open(name, O_RDWR | O_CLOEXEC, 0)) == -1) {
		*cause = errno == ENOENT ?
		    "no shared-memory segment (is ipcd running?)" :
		    "cannot open the shared-memory segment";
		return -1;
	}
	if (fstat(fd, &st) != 0 || (size_t)st.st_size != sizeof *hdr) {
		close(fd);
		*cause = "shared-memory segment has the wrong size "
		    "(another version of ipcd?)";
		return -1;
	}
	hdr = mmap(NULL, sizeof *hdr, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (hdr == MAP_FAILED) {
		*cause = "cannot map the shared-memory segment";
		return -1;
	}
	if (atomic_load_explicit(&hdr->magic, memory_order_acquire) !=
	    SHM_MAGIC || hdr->version != SHM_VERSION ||
	    hdr->nslots != SHM_SLOTS || hdr->ring != SHM_RING ||
	    hdr->recsize != sizeof(struct shm_rec)) {
		munmap(hdr, sizeof *hdr);
		*cause = "shared-memory segment is not an ipcd version 1 segment";
		return -1;
	}
	p->hdr = hdr;
	p->pid = (uint32_t)getpid();

	/* Claim a free slot; ipcd frees those of dead submitters. */
	for (tries = 0; tries < 5000; tries++) {
		for (i = 0; i < SHM_SLOTS; i++) {
			uint32_t free_ = 0;

			if (atomic_compare_exchange_strong(&hdr->slot[i].owner,
			    &free_, p->pid)) {
				p->slot = &hdr->slot[i];
				return 0;
			}
		}
		if (!daemon_alive(hdr))
			break;
		nap(1000000);
	}
	munmap(hdr, sizeof *hdr);
	p->hdr = NULL;
	*cause = tries == 5000 ? "every shared-memory slot stayed busy for 5 s" :
	    "ipcd is not running";
	return -1;
}

/* Publish one record, waiting for room in the ring if it is full. */
int
shm_put(struct shm_producer *p, const struct record *r, const char **cause)
{
	struct shm_slot	*s = p->slot;
	struct shm_rec	*rec;
	uint64_t	 head = atomic_load_explicit(&s->head, memory_order_relaxed);
	long long	 waited = 0;
	size_t		 len = strlen(r->key);

	while (head - atomic_load_explicit(&s->tail, memory_order_acquire) >=
	    SHM_RING) {
		shm_flush(p);
		if (waited >= WAIT_LIMIT_NS || (waited % 100000000 == 0 &&
		    waited > 0 && !daemon_alive(p->hdr))) {
			*cause = "ipcd is not draining shared memory";
			return -1;
		}
		nap(WAIT_STEP_NS);
		waited += WAIT_STEP_NS;
	}
	rec = &s->ring[head % SHM_RING];
	memset(rec, 0, sizeof *rec);
	rec->value = r->value;
	rec->part = r->part;
	rec->nparts = r->nparts;
	rec->keylen = (uint8_t)len;
	memcpy(rec->key, r->key, len);
	atomic_store_explicit(&s->head, head + 1, memory_order_release);
	if (++p->unposted >= SHM_RING / 2)
		shm_flush(p);
	return 0;
}

/* Ring the doorbell for what was published since the last ring. */
void
shm_flush(struct shm_producer *p)
{
	if (p->unposted > 0) {
		sem_post(&p->hdr->doorbell);
		p->unposted = 0;
	}
}

void
shm_detach(struct shm_producer *p)
{
	if (p->hdr == NULL)
		return;
	shm_flush(p);
	atomic_store(&p->slot->owner, 0);
	munmap(p->hdr, sizeof *p->hdr);
	p->hdr = NULL;
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
	if (!isfinite(rec->value)) {
		*cause = isnan(rec->value) ? "value is NaN" : "value is infinite";
		return -1;
	}
	if (rec->nparts > IPCD_PARTS_MAX || rec->part > rec->nparts ||
	    (rec->nparts != 0 && rec->part == 0) ||
	    (rec->nparts == 0 && rec->part != 0)) {
		*cause = "part is not I/N with 1 <= I <= N <= 1000000";
		return -1;
	}
	memcpy(r->key, rec->key, rec->keylen);
	r->key[rec->keylen] = '\0';
	r->value = rec->value;
	r->part = rec->part;
	r->nparts = rec->nparts;
	return 0;
}
