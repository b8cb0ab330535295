/*
 * The shared-memory segment as a file, for tr_shm.c: creating and
 * claiming it (and its semaphore's leftover after a crash), locking it,
 * checking what other processes did to it, removing its name.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipcd.h"
#include "log.h"
#include "node.h"
#include "shm.h"
#include "shm_lease.h"
#include "util.h"

/* What another process did to the file, or NULL. */
const char *
shm_file_damage(void)
{
	struct stat	st;

	if (atomic_load(&shm.faulted))
		return SHM_TRUNCATED;
	if (fstat(shm.fd, &st) != 0)
		return NULL;
	if (st.st_nlink == 0)
		return "was removed by another process";
	if ((size_t)st.st_size < shm.size)
		return SHM_TRUNCATED;
	if ((size_t)st.st_size > shm.size)
		return "was resized by another process";
	return NULL;
}

/* What another process wrote over ipcd's part of the header, or NULL;
 * under a guard. */
const char *
shm_header_damage(const struct shm_hdr *h)
{
	if (atomic_load(&h->magic) != SHM_MAGIC ||
	    h->version != SHM_VERSION || h->nslots != shm.nslots ||
	    h->ring != SHM_RING || h->recsize != sizeof(struct shm_rec) ||
	    h->size != shm.size ||
	    atomic_load(&h->daemon_pid) != (uint32_t)getpid() ||
	    atomic_load(&h->closed) != 0)
		return "had its header overwritten by another process";
	/* Only ipcd stores it, 0 or 1; the doorbell itself may hold any
	 * value. */
	if (atomic_load(&h->sleeping) > 1)
		return "had its doorbell overwritten by another process";
	return NULL;
}

/* Remove the semaphore that a crashed ipcd's segment names, if it is
 * that ipcd's (shm_bell_stale).  Read, not mapped: the file may be short. */
static void
leftover_bell(int fd, const struct stat *st)
{
	struct shm_hdr	h;

	if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
	    h.version == SHM_VERSION && shm_bell_stale(h.semid, st))
		log_info("shm: removed semaphore %d of segment %s, left by a "
		    "crash", (int)h.semid, shm.name);
}

/* Open the existing segment NAME: refuse it if it belongs to somebody
 * else or another ipcd holds it; else it is a crashed ipcd's leftover,
 * which the caller replaces (and its semaphore with it). */
static int
check_leftover(const char *what, char **cause)
{
	struct stat	 st;
	int		 fd, rc = 0, known;

	if ((fd = shm_open(shm.name, O_RDONLY | O_CLOEXEC, 0)) == -1)
		return 0;
	known = fstat(fd, &st) == 0;
	if (known && st.st_uid != geteuid()) {
		*cause = fmtstr("shared-memory segment %s belongs to uid %u; "
		    "refusing to use it", shm.name, (unsigned)st.st_uid);
		rc = -1;
	} else if ((rc = node_claim(fd, what, cause)) == 0 && known)
		leftover_bell(fd, &st);
	close(fd);
	return rc;
}

/* Create a fresh segment and claim it (node_claim): a second ipcd
 * configured with the same name refuses it, naming us. */
int
shm_file_create(char **cause)
{
	char	 what[CONF_NAME_MAX + 32];
	int	 fd;

	snprintf(what, sizeof what, "shared-memory segment %s", shm.name);
	fd = shm_open(shm.name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    shm.mode);
	if (fd == -1 && errno == EEXIST) {
		if (check_leftover(what, cause) != 0)
			return -1;
		shm_unlink(shm.name);
		fd = shm_open(shm.name, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, shm.mode);
	}
	if (fd == -1) {
		*cause = fmtstr("shm_open %s: %s", shm.name, strerror(errno));
		return -1;
	}
	if (node_claim(fd, what, cause) != 0 || fchmod(fd, shm.mode) != 0 ||
	    ftruncate(fd, (off_t)shm.size) != 0 || (shm.hdr = mmap(NULL,
	    shm.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED) {
		if (*cause == NULL)
			*cause = fmtstr("shm %s: %s", shm.name,
			    strerror(errno));
		shm.hdr = NULL;
		close(fd);
		shm_unlink(shm.name);
		return -1;
	}
	shm.fd = fd;
	return 0;
}

/* Remove the name only while it still names our segment: after another
 * process removed it, it may name somebody else's. */
void
shm_file_unlink(void)
{
	struct stat	a, b;
	int		fd;

	if ((fd = shm_open(shm.name, O_RDONLY | O_CLOEXEC, 0)) == -1)
		return;
	if (fstat(fd, &a) == 0 && fstat(shm.fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		shm_unlink(shm.name);
	close(fd);
}

/* Hold byte SHM_LOCK_DAEMON for as long as the segment is open: it tells
 * submitters that ipcd lives (shm.h). */
int
shm_file_lock(char **cause)
{
	struct flock	fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = SHM_LOCK_DAEMON, .l_len = 1 };

	if (fcntl(shm.fd, F_OFD_SETLK, &fl) != 0) {
		*cause = fmtstr("segment %s: cannot lock it: %s", shm.name,
		    strerror(errno));
		return -1;
	}
	return 0;
}
