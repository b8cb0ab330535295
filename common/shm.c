/* The submitting side of the shared-memory protocol, the doorbell and the
 * SIGBUS guard both sides use; see shm.h. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"

#define WAIT_STEP_NS	50000		/* 50 us between looks at a full ring */
#define WAIT_SPINS	100		/* after as many looks without sleeping */
#define WAIT_LIMIT_NS	10000000000LL	/* give up after 10 s without room */
#define DONE_LIMIT_NS	30000000000LL	/* or 30 s without a commit */

#define STR_(x)		#x
#define STR(x)		STR_(x)

static const char truncated[] =
    "the shared-memory segment was truncated by another process";
static const char left[] =
    "ipcd has left this shared-memory segment (it stopped, reloaded, or "
    "replaced a damaged segment)";

/* --- the SIGBUS guard ------------------------------------------------ */

_Thread_local sigjmp_buf	shm_fault_jmp;
static _Thread_local const char	*volatile guard_base;
static _Thread_local volatile size_t	guard_len;
static _Thread_local volatile sig_atomic_t guarded;

static void
on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	const char	*a = si->si_addr;

	/* si_code > 0: raised by the kernel for an access, not sent. */
	if (guarded && si->si_code > 0 && a >= guard_base &&
	    a < guard_base + guard_len) {
		guarded = 0;
		siglongjmp(shm_fault_jmp, 1);
	}
	/* Not a guarded access: die of it as if there were no handler. */
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

int
shm_guard_init(void)
{
	static atomic_int	installed;
	struct sigaction	sa;

	if (atomic_load(&installed))
		return 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	/* SA_NODEFER: SIGBUS is not blocked in the handler, so leaving it
	 * by siglongjmp needs no saved signal mask, and the sigsetjmp of a
	 * guard costs no system call. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0)
		return -1;
	atomic_store(&installed, 1);
	return 0;
}

void
shm_guard(const void *base, size_t len)
{
	guard_base = base;
	guard_len = len;
	atomic_signal_fence(memory_order_seq_cst);
	guarded = 1;
	atomic_signal_fence(memory_order_seq_cst);
}

void
shm_unguard(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	guarded = 0;
	atomic_signal_fence(memory_order_seq_cst);
}

/* --- the doorbell ---------------------------------------------------- */

static long
futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	/* Shared, not FUTEX_PRIVATE_FLAG: the waiter is another process.
	 * The kernel reads the word atomically itself. */
	return syscall(SYS_futex, (void *)(uintptr_t)word, op, val, ts,
	    NULL, 0);
}

void
shm_ring(struct shm_hdr *hdr)
{
	/* Both sequentially consistent, against ipcd's store of sleeping
	 * and load of doorbell: one of the two sides sees the other. */
	atomic_fetch_add(&hdr->doorbell, 1);
	if (atomic_load(&hdr->sleeping) != 0)
		shm_doorbell_wake(hdr);
}

void
shm_doorbell_wake(struct shm_hdr *hdr)
{
	/* Errors are ignored: EFAULT (a shrunk segment) is for the poll of
	 * ipcd to notice. */
	(void)futex(&hdr->doorbell, FUTEX_WAKE, INT_MAX, NULL);
}

/* Sleep while the doorbell reads SEEN, at most MS milliseconds. */
int
shm_doorbell_wait(struct shm_hdr *hdr, uint32_t seen, long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000 };

	return futex(&hdr->doorbell, FUTEX_WAIT, seen, &ts) == 0 ? 0 : -1;
}

/* --- the locks ------------------------------------------------------- */

static int
ofd_lock(int fd, int cmd, short type, int byte, struct flock *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = byte;
	fl->l_len = 1;
	return fcntl(fd, cmd, fl);
}

int
shm_lock_held(int fd, int byte)
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

/* Is ipcd still there to drain the rings?  (It holds its lock byte as
 * long as it has the segment open: across pid namespaces too.) */
static int
daemon_alive(const struct shm_producer *p)
{
	return shm_lock_held(p->fd, SHM_LOCK_DAEMON) != 0;
}

/* Check the header and claim a slot; under the caller's guard. */
static int
attach(struct shm_producer *p, struct shm_hdr *hdr, const char **cause)
{
	struct flock	fl;
	int		i, tries;

	if (atomic_load_explicit(&hdr->magic, memory_order_acquire) !=
	    SHM_MAGIC || hdr->version != SHM_VERSION ||
	    hdr->nslots != SHM_SLOTS || hdr->ring != SHM_RING ||
	    hdr->recsize != sizeof(struct shm_rec)) {
		*cause = "shared-memory segment is not an ipcd version "
		    STR(SHM_VERSION) " segment";
		return -1;
	}
	/* Claim a free slot; ipcd frees those of dead submitters. */
	for (tries = 0; tries < 5000; tries++) {
		for (i = 0; i < SHM_SLOTS; i++) {
			uint32_t free_ = 0;

			/* The lock first: ipcd never frees a locked slot. */
			if (atomic_load(&hdr->slot[i].owner) != 0 ||
			    ofd_lock(p->fd, F_OFD_SETLK, F_WRLCK, i, &fl) != 0)
				continue;
			if (atomic_compare_exchange_strong(&hdr->slot[i].owner,
			    &free_, p->pid)) {
				p->slot = &hdr->slot[i];
				p->head = atomic_load(&p->slot->head);
				return 0;
			}
			(void)ofd_lock(p->fd, F_OFD_SETLK, F_UNLCK, i, &fl);
		}
		if (!daemon_alive(p))
			break;
		nap(1000000);
	}
	*cause = tries == 5000 ? "every shared-memory slot stayed busy for 5 s" :
	    "ipcd is not running";
	return -1;
}

int
shm_attach(struct shm_producer *p, const char *name, const char **cause)
{
	struct stat	 st;
	struct shm_hdr	*hdr;
	int		 fd;

	memset(p, 0, sizeof *p);
	p->fd = -1;
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
	if (fstat(fd, &st) != 0 || (size_t)st.st_size != sizeof *hdr) {
		close(fd);
		*cause = "shared-memory segment has the wrong size "
		    "(another version of ipcd?)";
		return -1;
	}
	hdr = mmap(NULL, sizeof *hdr, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (hdr == MAP_FAILED) {
		close(fd);
		*cause = "cannot map the shared-memory segment";
		return -1;
	}
	p->fd = fd;	/* kept open: it holds the slot's lock */
	p->pid = (uint32_t)getpid();
	/* It may have shrunk since the fstat. */
	if (sigsetjmp(shm_fault_jmp, 0) != 0) {
		*cause = truncated;
		goto fail;
	}
	shm_guard(hdr, sizeof *hdr);
	if (attach(p, hdr, cause) != 0) {
		shm_unguard();
		goto fail;
	}
	shm_unguard();
	p->hdr = hdr;
	return 0;
fail:
	munmap(hdr, sizeof *hdr);
	close(p->fd);
	p->fd = -1;
	p->slot = NULL;
	return -1;
}

/* shm_put under the caller's guard. */
static int
put(struct shm_producer *p, const struct record *r, const char **cause)
{
	struct shm_slot	*s = p->slot;
	struct shm_rec	*rec;
	uint64_t	 head = p->head;	/* not the shared copy: anyone may write that */
	long long	 waited = 0;
	size_t		 len = strlen(r->key);
	unsigned	 spins = 0;

	for (;;) {
		/* ipcd clears the magic when it leaves a segment: records
		 * put into it now would never be taken. */
		if (atomic_load_explicit(&p->hdr->magic,
		    memory_order_relaxed) != SHM_MAGIC) {
			p->broken = *cause = left;
			return -1;
		}
		if (head - atomic_load_explicit(&s->tail,
		    memory_order_acquire) < SHM_RING)
			break;
		if (p->unposted > 0) {
			shm_ring(p->hdr);
			p->unposted = 0;
		}
		if (waited >= WAIT_LIMIT_NS || (waited % 100000000 == 0 &&
		    waited > 0 && !daemon_alive(p))) {
			*cause = "ipcd is not draining shared memory";
			return -1;
		}
		/* ipcd looks again each pass while records come, so room
		 * is usually a moment away: yield a few times before
		 * sleeping, which costs a timer's slack on top. */
		if (spins++ < WAIT_SPINS) {
			sched_yield();
			continue;
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
	p->head = head + 1;
	if (++p->unposted >= SHM_RING / 2) {
		shm_ring(p->hdr);
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
	shm_guard(p->hdr, sizeof *p->hdr);
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
	shm_guard(p->hdr, sizeof *p->hdr);
	shm_ring(p->hdr);
	p->unposted = 0;
	shm_unguard();
}

/* Wait until ipcd has committed all this slot holds; under a guard.
 * Returns how many records it has not, 0 when all are safe. */
static uint64_t
await_done(struct shm_producer *p, const char **why)
{
	struct shm_slot	*s = p->slot;
	uint64_t	 head = p->head, done;
	long long	 waited = 0;

	for (;;) {
		/* done lags head by up to a ring per drain while ipcd syncs,
		 * often more; only done >= head means all is committed (done
		 * past head is a scribble, which only fools this slot). */
		done = atomic_load_explicit(&s->done, memory_order_acquire);
		if ((int64_t)(head - done) <= 0)
			return 0;
		if (atomic_load_explicit(&p->hdr->closed,
		    memory_order_acquire)) {
			*why = "ipcd left the segment before committing them";
			return head - done;
		}
		if (waited % 10000000 == 0 && !daemon_alive(p)) {
			*why = "ipcd stopped before committing them";
			return head - done;
		}
		if (waited >= DONE_LIMIT_NS) {
			*why = "ipcd did not commit them within 30 s";
			return head - done;
		}
		nap(WAIT_STEP_NS);
		waited += WAIT_STEP_NS;
	}
}

int
shm_detach(struct shm_producer *p, char *err, size_t errsize)
{
	const char *volatile	 why = NULL;
	volatile uint64_t	 lost = 0;

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
	shm_guard(p->hdr, sizeof *p->hdr);
	{
		const char	*w = NULL;

		lost = await_done(p, &w);
		why = w;
	}
	atomic_store(&p->slot->owner, 0);
	shm_unguard();
unmap:
	munmap(p->hdr, sizeof *p->hdr);
	close(p->fd);	/* and with it the slot's lock */
	p->hdr = NULL;
	p->fd = -1;
	if (why == NULL)
		return 0;
	if (lost > 0)
		snprintf(err, errsize, "%llu record%s may be lost: %s",
		    (unsigned long long)lost, lost == 1 ? "" : "s", why);
	else
		snprintf(err, errsize, "records may be lost: %s", why);
	return -1;
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
	if (!part_valid(rec->part, rec->nparts)) {
		*cause = PART_CAUSE;
		return -1;
	}
	memcpy(r->key, rec->key, rec->keylen);
	r->key[rec->keylen] = '\0';
	r->value = rec->value;
	r->part = rec->part;
	r->nparts = rec->nparts;
	return 0;
}
