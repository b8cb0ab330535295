/*
 * One file of the spool directory: taken without following a link or
 * blocking, read whole into memory (so that its owner cannot change it
 * between the check and the apply), every line checked by the one record
 * parser and applied to a store of the file's own, then all of it applied
 * to the daemon's store in a single loop pass, inside one journal
 * transaction that also holds the file's identity (state.c).  Reading and
 * checking go a slice a pass (SPOOL_PASS_BYTES), so that a big file does
 * not hold the loop; the last step is not split (a crash could leave half
 * a file counted) but costs one merge per key of the file, whatever its
 * number of records, and one apply per part (at most limits.max_parts
 * in a file; a part repeated in one file is a bad line).
 *
 * What a file must be: a regular file (a symbolic link, FIFO, device,
 * socket or directory is rejected, never opened in a way that follows or
 * blocks), with one link (another name for it could be taken again), of
 * at most [spool] max_file_bytes, readable by ipcd, and unchanged while
 * it is read.  Its lines are records as on the FIFO, each ending with a
 * newline; a last line without one is a record too (a file renamed in is
 * whole).  One line that does not parse rejects the file.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"
#include "xmalloc.h"

void
spool_id_of(struct spool_id *id, const char *name, const struct stat *sb)
{
	snprintf(id->name, sizeof id->name, "%s", name);
	id->dev = (uint64_t)sb->st_dev;
	id->ino = (uint64_t)sb->st_ino;
	id->size = (uint64_t)sb->st_size;
	id->mtime = (int64_t)sb->st_mtim.tv_sec * 1000000000 +
	    sb->st_mtim.tv_nsec;
}

static const char *
file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFDIR:
		return "a directory";
	case S_IFSOCK:
		return "a socket";
	}
	return "a device";
}

/* What a failed fstatat or open of the file means. */
static enum spool_take
take_error(int error, char **why)
{
	if (error == ENOENT)
		return SPOOL_GONE;
	if (error == ELOOP)
		*why = fmtstr("not a regular file (a symbolic link)");
	else if (error == EACCES)
		*why = fmtstr("ipcd may not read it (make it readable by "
		    "all: the directory keeps others out)");
	else
		*why = fmtstr("cannot open it: %s", strerror(error));
	return SPOOL_BAD;
}

/* Check the file NAME of the directory DFD and open it into F; on
 * SPOOL_BAD, F's id and peer say what was found. */
enum spool_take
spool_file_open(struct spool_file *f, int dfd, const char *name, long max,
    char **why)
{
	struct stat	sb, fsb;
	int		fd;

	memset(f, 0, sizeof *f);
	f->fd = -1;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return take_error(errno, why);
	spool_id_of(&f->id, name, &sb);
	f->peer.uid = sb.st_uid;
	f->peer.gid = sb.st_gid;
	if (!S_ISREG(sb.st_mode)) {
		*why = fmtstr("not a regular file (%s)", file_type(sb.st_mode));
		return SPOOL_BAD;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return take_error(errno, why);
	/* Replaced since fstatat: the new file brings its own event. */
	if (fstat(fd, &fsb) != 0 || fsb.st_dev != sb.st_dev ||
	    fsb.st_ino != sb.st_ino || !S_ISREG(fsb.st_mode)) {
		close(fd);
		return SPOOL_GONE;
	}
	spool_id_of(&f->id, name, &fsb);
	if (fsb.st_nlink != 1)
		*why = fmtstr("it has %lu links (a file must have one)",
		    (unsigned long)fsb.st_nlink);
	else if (fsb.st_size > max)
		*why = fmtstr("%lld bytes, more than [spool] max_file_bytes "
		    "(%ld)", (long long)fsb.st_size, max);
	else if (spoolid_find(&f->id) != NULL) {
		close(fd);
		return SPOOL_SEEN;
	} else {
		f->fd = fd;
		f->buf = xmalloc((size_t)fsb.st_size + 1);
		return SPOOL_OPEN;
	}
	close(fd);
	return SPOOL_BAD;
}

/* Read at most *BUDGET more bytes; 1 once the whole file is in. */
static int
file_read(struct spool_file *f, size_t *budget, char **why)
{
	struct stat	sb;
	size_t		want;
	ssize_t		n;
	char		c;

	while (*budget > 0 && f->len < f->id.size) {
		want = f->id.size - f->len;
		n = read(f->fd, f->buf + f->len, want < *budget ? want : *budget);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*why = n == 0 ? fmtstr("it shrank while ipcd read it") :
			    fmtstr("cannot read it: %s", strerror(errno));
			return -1;
		}
		f->len += (size_t)n;
		*budget -= (size_t)n < *budget ? (size_t)n : *budget;
	}
	if (f->len < f->id.size)
		return 0;
	if (read(f->fd, &c, 1) != 0 || fstat(f->fd, &sb) != 0 ||
	    (uint64_t)sb.st_size != f->id.size ||
	    (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec !=
	    f->id.mtime) {
		*why = fmtstr("it changed while ipcd read it");
		return -1;
	}
	close(f->fd);
	f->fd = -1;
	return 1;
}

/* The lines of F's buffer, split by the one line splitter. */
static void
lines_init(struct linebuf *lb, const struct spool_file *f)
{
	memset(lb, 0, sizeof *lb);
	lb->buf = f->buf;
	lb->size = f->len + 1;
	lb->len = f->len;
	lb->max = IPCD_LINE_MAX;
}

/* The next record of LB: 1 and its bytes, 0 at the end, -1 for a line
 * longer than any record.  A last line without a newline is one. */
static int
lines_next(struct linebuf *lb, const char **line, size_t *len)
{
	int	r;

	if ((r = linebuf_next(lb, line, len)) != 0 ||
	    (*len = linebuf_pending(lb)) == 0)
		return r;
	*line = lb->buf + lb->start;
	lb->start = lb->len;
	return 1;
}

static const char *const stage_cause[APPLY_INVALID + 1] = {
	[APPLY_DUPLICATE] = "the same part is on an earlier line",
	[APPLY_CONFLICT] = "part count conflicts with an earlier line's",
	[APPLY_LIMIT] = "more keys than limits.max_keys",
	[APPLY_PARTS] = "too many parts (limits.max_parts)",
	[APPLY_PARTS_MEMORY] = "part bitmaps past limits.parts_memory",
};

/* Apply REC, of line F->line, to F's own store; the line of a part is
 * marked, to be applied on its own. */
static int
stage(struct spool_file *f, const struct record *rec, const char **cause)
{
	const struct conf	*c = server_conf();
	struct key		*k;
	enum apply		 a;
	size_t			 at = (f->line - 1) / 8, n;
	int			 completed;

	if (f->stage == NULL) {
		f->stage = store_new((size_t)c->limits.max_keys);
		store_set_part_limits(f->stage, (uint32_t)c->limits.max_parts,
		    (size_t)c->limits.parts_memory);
	}
	if ((a = store_apply(f->stage, rec, &completed, &k)) != APPLY_OK) {
		*cause = stage_cause[a];
		return -1;
	}
	if (rec->nparts == 0)
		return 0;
	/* Each is applied on its own, in the one pass: bounded. */
	if (++f->nparts > c->limits.max_parts) {
		*cause = "more parts in one file than limits.max_parts";
		return -1;
	}
	if (at >= f->pcap) {
		n = at < 64 ? 128 : at * 2;
		f->parted = xrealloc(f->parted, n);
		memset(f->parted + f->pcap, 0, n - f->pcap);
		f->pcap = n;
	}
	f->parted[at] |= (uint8_t)(1 << (f->line - 1) % 8);
	return 0;
}

/*
 * Read, then check, at most *BUDGET bytes more.  0: more to do; 1: every
 * line checked, ready to apply; -1: rejected, for *why (which names the
 * line).
 */
int
spool_file_step(struct spool_file *f, size_t *budget, char **why)
{
	struct record	 rec;
	const char	*line, *cause;
	size_t		 len;
	int		 r;

	if (f->fd != -1) {
		if ((r = file_read(f, budget, why)) == 1)
			lines_init(&f->lb, f);
		return r == -1 ? -1 : 0;
	}
	while (*budget > 0 && (r = lines_next(&f->lb, &line, &len)) != 0) {
		f->line++;
		if (r == -1 || server_check_line(line, len, &rec, &cause) != 0 ||
		    stage(f, &rec, &cause) != 0) {
			*why = fmtstr("line %lu: %s", f->line, r == -1 ?
			    server_too_long() : cause);
			return -1;
		}
		len += SPOOL_LINE_COST;
		*budget -= len < *budget ? len : *budget;
	}
	return *budget > 0 ? 1 : 0;
}

/* Apply the checked file F: each key of its own store merged whole, each
 * part on its own, in one transaction with its identity.  The number of
 * records. */
size_t
spool_file_apply(struct spool_file *f)
{
	struct linebuf	 lb;
	struct record	 rec;
	struct key	*k = NULL;
	const char	*line, *cause;
	size_t		 len, i, n = 0;

	state_spool_begin();
	while (f->stage != NULL && (k = store_next(f->stage, k)) != NULL)
		if (k->nparts == 0) {
			server_merge(TR_SPOOL, k, &f->peer);
			n += k->acc.count;
		}
	lines_init(&lb, f);
	for (i = 0; f->parted != NULL && i / 8 < f->pcap &&
	    lines_next(&lb, &line, &len) == 1; i++)
		if ((f->parted[i / 8] >> i % 8 & 1) &&
		    server_check_line(line, len, &rec, &cause) == 0) {
			(void)server_submit(TR_SPOOL, &rec, &f->peer);
			n++;
		}
	state_spool_done(&f->id);
	return n;
}

void
spool_file_free(struct spool_file *f)
{
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	free(f->buf);
	f->buf = NULL;
	if (f->stage != NULL)
		store_free(f->stage);
	f->stage = NULL;
	free(f->parted);
	f->parted = NULL;
	f->pcap = 0;
}
