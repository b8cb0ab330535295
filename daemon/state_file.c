/*
 * The state directory and its files, opened so that nobody else can steer
 * ipcd into reading, writing or destroying a file it does not own: the
 * directory must belong to ipcd's user and be writable by no one else;
 * every file is opened relative to it, never through a symbolic link, and
 * must be a regular file of ipcd's user.  A read error is an error, never
 * the end of a file.  And the snapshot writer, used by the compaction
 * child and at a clean stop.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32.h"
#include "state.h"
#include "statefmt.h"
#include "util.h"
#include "xmalloc.h"

static int
mkdirs(const char *dir)
{
	char	tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof tmp, "%s", dir);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0750) == -1 && errno != EEXIST ? -1 : 0;
}

/* Open the directory DIR (made if missing) and check who may write in it. */
int
sf_open_dir(const char *dir, char **cause)
{
	struct stat	sb;
	int		fd;

	if (mkdirs(dir) != 0) {
		*cause = fmtstr("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) != 0) {
		*cause = fmtstr("%s: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		*cause = fmtstr("state directory %s (uid %u, mode %03o) must "
		    "belong to ipcd's user (uid %u) and be writable by no one "
		    "else; fix: chown %u %s && chmod go-w %s", dir,
		    (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777),
		    (unsigned)geteuid(), (unsigned)geteuid(), dir, dir);
		close(fd);
		return -1;
	}
	return fd;
}

/* Open NAME in the state directory DFD: never through a link, and only a
 * regular file of ipcd's user.  -1 with errno ENOENT and no *cause if it
 * does not exist and FLAGS do not create it. */
int
sf_open(int dfd, const char *dir, const char *name, int flags, char **cause)
{
	struct stat	sb;
	int		fd;

	fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == ENOENT && !(flags & O_CREAT))
			return -1;
		if (errno == ELOOP)
			*cause = fmtstr("%s/%s is a symbolic link; refusing to "
			    "follow it", dir, name);
		else
			*cause = fmtstr("%s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid()) {
		*cause = fmtstr("%s/%s is not a regular file of ipcd's user "
		    "(uid %u); refusing to use it", dir, name,
		    (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

/* All of FD from its start.  A read that fails stops here with the
 * error: what was read is not the whole file. */
char *
sf_read(int fd, const char *path, size_t *len, char **cause)
{
	struct stat	 sb;
	char		*buf;
	size_t		 size, off = 0;
	ssize_t		 n;

	if (fstat(fd, &sb) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		*cause = fmtstr("%s: %s", path, strerror(errno));
		return NULL;
	}
	size = (size_t)sb.st_size;
	buf = xmalloc(size + 1);
	while (off < size) {
		n = read(fd, buf + off, size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = fmtstr("cannot read %s: %s", path,
			    strerror(errno));
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;		/* the file really ends here */
		off += (size_t)n;
	}
	*len = off;
	return buf;
}

/* A buffered, checksummed writer of the snapshot. */
struct sout {
	int		 fd;
	unsigned char	*buf;
	size_t		 len, cap;
	uint32_t	 crc;
	int		 error;		/* errno of a failed write */
};

static void
sout_flush(struct sout *o)
{
	size_t	off;
	ssize_t	n;

	o->crc = crc32c(o->crc, o->buf, o->len);
	for (off = 0; off < o->len && o->error == 0; off += (size_t)n) {
		if ((n = write(o->fd, o->buf + off, o->len - off)) == -1 &&
		    errno == EINTR)
			n = 0;
		else if (n <= 0)
			o->error = n == 0 ? EIO : errno;
	}
	o->len = 0;
}

/* Room for N more bytes. */
static unsigned char *
sout_room(struct sout *o, size_t n)
{
	if (o->len + n > o->cap)
		sout_flush(o);
	if (n > o->cap) {
		o->cap = n;
		o->buf = xrealloc(o->buf, o->cap);
	}
	return o->buf + o->len;
}

static void
snap_put_key(struct sout *o, const struct key *k)
{
	unsigned char	*start, *p, *alen;
	size_t		 klen = strlen(k->name), n;

	start = p = sout_room(o, SNAP_KEY_MAX(k->nparts));
	put_u8(&p, (uint8_t)klen);
	put_bytes(&p, k->name, klen);
	put_u64(&p, k->acc.count);
	put_u64(&p, k->duplicates);
	put_double(&p, k->min);
	put_double(&p, k->max);
	put_u32(&p, k->nparts);
	put_u32(&p, k->received);
	put_u32(&p, k->acc.nonnegzero);
	put_u64(&p, (uint64_t)k->updated);
	alen = p;
	p += 2;
	n = accum_encode(&k->acc, p);
	put_u16(&alen, (uint16_t)n);
	p += n;
	if (k->nparts != 0)
		put_bytes(&p, k->seen, (k->nparts + 7) / 8);
	o->len += (size_t)(p - start);
}

/* After the keys: the spool files applied but maybe not yet removed. */
static void
snap_put_spoolids(struct sout *o)
{
	unsigned char	*p;
	size_t		 i, n = spoolid_count();

	p = sout_room(o, 8);
	put_u64(&p, n);
	o->len += 8;
	for (i = 0; i < n && o->error == 0; i++) {
		p = sout_room(o, JSPOOL_BODY_MAX);
		o->len += spoolid_put(p, spoolid_at(i));
	}
}

/* Stream S, as of journal entry SEQ, to FD. */
static int
snap_stream(int fd, struct store *s, uint64_t seq)
{
	struct sout	 o = { .fd = fd, .cap = 1 << 16 };
	struct key	*k;
	unsigned char	*p;

	o.buf = xmalloc(o.cap);
	p = sout_room(&o, SNAP_HDR_SIZE);
	put_bytes(&p, SNAP_MAGIC, 8);
	put_u32(&p, SNAP_VERSION);
	put_u32(&p, 0);
	put_u64(&p, seq);
	put_u64(&p, store_count(s));
	o.len = SNAP_HDR_SIZE;
	for (k = store_next(s, NULL); k != NULL && o.error == 0;
	    k = store_next(s, k))
		snap_put_key(&o, k);
	snap_put_spoolids(&o);
	sout_flush(&o);
	p = o.buf;
	put_u32(&p, o.crc);
	o.len = SNAP_CRC_SIZE;
	sout_flush(&o);
	free(o.buf);
	errno = o.error;
	return o.error == 0 ? 0 : -1;
}

/*
 * Write the snapshot SNAP of S (as of SEQ) in the directory DFD: a
 * temporary file TMP of our own (a stale one is removed first), written,
 * fsynced, renamed over SNAP, then the directory fsynced.  At every
 * moment SNAP is the old snapshot or the new one, whole.
 */
int
sf_snapshot(int dfd, const char *dir, const char *snap, const char *tmp,
    struct store *s, uint64_t seq, char **cause)
{
	struct stat	sb;
	int		fd;

	/* A link goes, never what it points to; so does a file of ours.
	 * Anything else makes the exclusive open below fail. */
	if (fstatat(dfd, tmp, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (S_ISLNK(sb.st_mode) || (S_ISREG(sb.st_mode) &&
	    sb.st_uid == geteuid())))
		(void)unlinkat(dfd, tmp, 0);
	fd = sf_open(dfd, dir, tmp, O_WRONLY | O_CREAT | O_EXCL, cause);
	if (fd == -1)
		return -1;
	if (snap_stream(fd, s, seq) != 0 || fsync(fd) != 0) {
		*cause = fmtstr("cannot write %s/%s: %s", dir, tmp,
		    strerror(errno));
		close(fd);
		(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	close(fd);
	if (renameat(dfd, tmp, dfd, snap) != 0 || fsync(dfd) != 0) {
		*cause = fmtstr("cannot rename %s/%s to %s: %s", dir, tmp,
		    snap, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	return 0;
}

/* The size of file NAME in the directory DFD; 0 if there is none. */
uint64_t
sf_size(int dfd, const char *name)
{
	struct stat	sb;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	return (uint64_t)sb.st_size;
}

/* Wrap *cause in a sentence that names the file and what to do:
 * "WHAT DIR/FILE[ is corrupt]: CAUSE; move it aside to start REMEDY". */
void
sf_explain(char **cause, const char *what, const char *dir, const char *file,
    int corrupt, const char *remedy)
{
	char	*why = *cause;

	*cause = fmtstr("%s %s/%s%s: %s; move it aside to start %s", what,
	    dir, file, corrupt ? " is corrupt" : "", why, remedy);
	free(why);
}
