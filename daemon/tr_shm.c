/*
 * The shared-memory transport, consuming side.  The protocol (slots,
 * rings, doorbell, why a killed submitter cannot wedge anyone) is
 * explained in common/shm.h.
 *
 * The doorbell is a semaphore, which libevent cannot watch; a helper
 * thread sleeps on it and writes to an eventfd that the loop watches.  The
 * thread touches nothing else, so the key store stays single-threaded.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipcd.h"
#include "log.h"
#include "shm.h"
#include "util.h"

static struct {
	struct shm_hdr	*hdr;
	char		 name[CONF_NAME_MAX + 1];
	uint64_t	 tail[SHM_SLOTS];	/* ours: the shared copy is advisory */
	int		 efd;
	pthread_t	 thread;
	int		 thread_running;
	struct event	*ev;
	struct event	*poll;
} shm = { .efd = -1 };

static int
shm_enabled(const struct conf *c)
{
	return c->shm.enabled;
}

static int
shm_changed(const struct conf *a, const struct conf *b)
{
	return a->shm.enabled != b->shm.enabled ||
	    strcmp(a->shm.name, b->shm.name) != 0 ||
	    a->shm.mode != b->shm.mode;
}

/* Apply everything published in one slot. */
static void
drain_slot(int i)
{
	struct shm_slot	*s = &shm.hdr->slot[i];
	struct shm_rec	 rec;
	struct record	 r;
	const char	*cause;
	uint64_t	 head, t = shm.tail[i];

	head = atomic_load_explicit(&s->head, memory_order_acquire);
	if (head - t > SHM_RING) {
		/* Only a scribbler moves head back or past a full ring. */
		server_reject(TR_SHM, "slot head out of range; slot reset",
		    NULL);
		shm.tail[i] = head;
		atomic_store_explicit(&s->tail, head, memory_order_release);
		return;
	}
	for (; t != head; t++) {
		/* Copy first: the submitter may scribble while we look. */
		memcpy(&rec, &s->ring[t % SHM_RING], sizeof rec);
		if (shm_rec_decode(&rec, &r, &cause) != 0)
			server_reject(TR_SHM, cause, NULL);
		else
			(void)server_submit(TR_SHM, &r, NULL);
	}
	shm.tail[i] = t;
	atomic_store_explicit(&s->tail, t, memory_order_release);
}

static void
drain(void)
{
	int	i;

	for (i = 0; i < SHM_SLOTS; i++)
		drain_slot(i);
}

static void
shm_wakeup(evutil_socket_t fd, short events, void *arg)
{
	uint64_t	n;

	(void)read(fd, &n, sizeof n);
	drain();
}

/* Once a second: catch a doorbell a killed submitter never rang, and free
 * the slots of submitters that died (after taking what they published). */
static void
shm_poll(evutil_socket_t fd, short events, void *arg)
{
	uint32_t	owner;
	int		i;

	drain();
	for (i = 0; i < SHM_SLOTS; i++) {
		owner = atomic_load(&shm.hdr->slot[i].owner);
		if (owner == 0 || kill((pid_t)owner, 0) == 0 || errno != ESRCH)
			continue;
		if (atomic_compare_exchange_strong(&shm.hdr->slot[i].owner,
		    &owner, 0))
			log_debug("shm: freed slot %d of dead pid %u", i, owner);
	}
}

static void *
doorbell_thread(void *arg)
{
	uint64_t	one = 1;

	for (;;) {
		if (sem_wait(&shm.hdr->doorbell) != 0 && errno != EINTR) {
			/* A scribbled semaphore: the poll timer still works. */
			usleep(100000);
			continue;
		}
		while (sem_trywait(&shm.hdr->doorbell) == 0)
			;
		(void)write(shm.efd, &one, sizeof one);
	}
	return NULL;
}

/* Create a fresh segment.  A leftover of ours (a crashed ipcd) is
 * replaced; one that belongs to somebody else is refused. */
static int
create_segment(const struct conf *c, char **cause)
{
	struct stat	 st;
	int		 fd;

	fd = shm_open(c->shm.name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    c->shm.mode);
	if (fd == -1 && errno == EEXIST) {
		fd = shm_open(c->shm.name, O_RDONLY | O_CLOEXEC, 0);
		if (fd != -1 && fstat(fd, &st) == 0 && st.st_uid != geteuid()) {
			close(fd);
			*cause = fmtstr("shared-memory segment %s belongs to uid "
			    "%u; refusing to use it", c->shm.name,
			    (unsigned)st.st_uid);
			return -1;
		}
		if (fd != -1)
			close(fd);
		shm_unlink(c->shm.name);
		fd = shm_open(c->shm.name, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, c->shm.mode);
	}
	if (fd == -1) {
		*cause = fmtstr("shm_open %s: %s", c->shm.name, strerror(errno));
		return -1;
	}
	if (fchmod(fd, c->shm.mode) != 0 ||
	    ftruncate(fd, sizeof(struct shm_hdr)) != 0) {
		*cause = fmtstr("shm %s: %s", c->shm.name, strerror(errno));
		close(fd);
		shm_unlink(c->shm.name);
		return -1;
	}
	shm.hdr = mmap(NULL, sizeof(struct shm_hdr), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	close(fd);
	if (shm.hdr == MAP_FAILED) {
		shm.hdr = NULL;
		*cause = fmtstr("mmap %s: %s", c->shm.name, strerror(errno));
		shm_unlink(c->shm.name);
		return -1;
	}
	return 0;
}

static void
destroy_segment(void)
{
	munmap(shm.hdr, sizeof(struct shm_hdr));
	shm.hdr = NULL;
	shm_unlink(shm.name);
}

static int
shm_open_(const struct conf *c, char **cause)
{
	struct timeval	 sec = { 1, 0 };
	struct shm_hdr	*h;

	if (create_segment(c, cause) != 0)
		return -1;
	strcpy(shm.name, c->shm.name);
	h = shm.hdr;
	h->version = SHM_VERSION;
	h->nslots = SHM_SLOTS;
	h->ring = SHM_RING;
	h->recsize = sizeof(struct shm_rec);
	h->size = sizeof *h;
	atomic_store(&h->daemon_pid, (uint32_t)getpid());
	memset(shm.tail, 0, sizeof shm.tail);
	if (sem_init(&h->doorbell, 1, 0) != 0) {
		*cause = fmtstr("sem_init: %s", strerror(errno));
		goto fail;
	}
	if ((shm.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		*cause = fmtstr("eventfd: %s", strerror(errno));
		goto fail;
	}
	shm.ev = event_new(server_base(), shm.efd, EV_READ | EV_PERSIST,
	    shm_wakeup, NULL);
	shm.poll = event_new(server_base(), -1, EV_PERSIST, shm_poll, NULL);
	if (shm.ev == NULL || shm.poll == NULL || event_add(shm.ev, NULL) != 0 ||
	    event_add(shm.poll, &sec) != 0) {
		*cause = fmtstr("cannot watch shared memory");
		goto fail;
	}
	if ((errno = pthread_create(&shm.thread, NULL, doorbell_thread,
	    NULL)) != 0) {
		*cause = fmtstr("pthread_create: %s", strerror(errno));
		goto fail;
	}
	shm.thread_running = 1;
	/* Only now may submitters attach. */
	atomic_store_explicit(&h->magic, SHM_MAGIC, memory_order_release);
	return 0;
fail:
	if (shm.ev != NULL)
		event_free(shm.ev);
	if (shm.poll != NULL)
		event_free(shm.poll);
	shm.ev = shm.poll = NULL;
	if (shm.efd != -1)
		close(shm.efd);
	shm.efd = -1;
	destroy_segment();
	return -1;
}

static void
shm_close_(void)
{
	/* No new submitters; then take what was published. */
	atomic_store(&shm.hdr->magic, 0);
	if (shm.thread_running) {
		/* sem_wait is a cancellation point, and the thread holds
		 * nothing: cancelling cannot leave anything behind. */
		pthread_cancel(shm.thread);
		pthread_join(shm.thread, NULL);
		shm.thread_running = 0;
	}
	drain();
	event_free(shm.ev);
	event_free(shm.poll);
	shm.ev = shm.poll = NULL;
	close(shm.efd);
	shm.efd = -1;
	destroy_segment();
}

const struct transport tr_shm = {
	.name = "shm",
	.enabled = shm_enabled,
	.changed = shm_changed,
	.open = shm_open_,
	.close = shm_close_,
};
