/*
 * Submitting through the spool directory: the records buffered go into a
 * file written under a hidden name (".NAME.tmp"), synced, then renamed to
 * NAME, which ipcd applies whole.  ipcd removes NAME once its records are
 * committed, or moves it to rejected/ after writing rejected/NAME.why;
 * each flush makes one file and waits, at most the timeout, for one or
 * the other.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "send.h"
#include "util.h"
#include "xmalloc.h"

#define SPOOL_TX_FILE_MAX	(16L << 20)	/* bytes of one file, at most */
#define SPOOL_TX_MODE		0644		/* the directory keeps others out */
#define SPOOL_TX_WHY_MAX	1024		/* of a .why shown */
/* ns between looks at the file: it grows by half up to the most (a group
 * member may not list the directory, so inotify cannot watch it). */
#define SPOOL_TX_POLL_MIN	200000
#define SPOOL_TX_POLL_MAX	20000000

struct spool_tx {
	int			 dfd;
	const struct target	*tg;
	char			*buf;
	size_t			 len, cap, max;
	unsigned long		 nrec;		/* records in buf */
	unsigned long		 files;		/* written so far */
};

static void *
spool_open_tx(const struct target *tg, char **cause)
{
	const char	*dir = tg->conf->spool.dir;
	struct spool_tx	*s;
	int		 fd;

	if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*cause = fmtstr("spool directory %s: %s%s", dir, strerror(errno),
		    errno == ENOENT ? " (is ipcd running with the spool "
		    "enabled?)" : "");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->dfd = fd;
	s->tg = tg;
	s->max = tg->conf->spool.max_file_bytes < SPOOL_TX_FILE_MAX ?
	    (size_t)tg->conf->spool.max_file_bytes : SPOOL_TX_FILE_MAX;
	return s;
}

/* Write the buffer as the file NAME: hidden while written, synced, then
 * renamed into sight. */
static int
spool_write(struct spool_tx *s, const char *name, char **cause)
{
	char	tmp[96];
	size_t	off;
	ssize_t	n;
	int	fd;

	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	fd = openat(s->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, SPOOL_TX_MODE);
	if (fd == -1) {
		*cause = fmtstr("cannot create %s/%s: %s",
		    s->tg->conf->spool.dir, tmp, strerror(errno));
		return -1;
	}
	for (off = 0; off < s->len; off += (size_t)n) {
		n = write(fd, s->buf + off, s->len - off);
		if (n == -1 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			break;
	}
	/* Whatever the umask: ipcd, of another user, must read it. */
	if (off < s->len || fchmod(fd, SPOOL_TX_MODE) != 0 || fsync(fd) != 0 ||
	    close(fd) != 0 ||
	    renameat(s->dfd, tmp, s->dfd, name) != 0) {
		*cause = fmtstr("cannot write %s/%s: %s",
		    s->tg->conf->spool.dir, tmp, strerror(errno));
		(void)unlinkat(s->dfd, tmp, 0);
		return -1;
	}
	return 0;
}

/* NAME's fate: 0 committed, 1 rejected (*why read from its .why), -1
 * not taken within the timeout. */
static int
spool_wait(struct spool_tx *s, const char *name, char *why, size_t size)
{
	struct timespec	 ts = { 0, SPOOL_TX_POLL_MIN };
	struct stat	 sb;
	char		 path[128];
	double		 end = mono_sec() + s->tg->timeout;
	ssize_t		 n;
	int		 fd;

	while (fstatat(s->dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (mono_sec() >= end)
			return -1;
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < SPOOL_TX_POLL_MAX)
			ts.tv_nsec += ts.tv_nsec / 2;
	}
	snprintf(path, sizeof path, "rejected/%s.why", name);
	if ((fd = openat(s->dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return 0;
	n = read(fd, why, size - 1);
	close(fd);
	why[n > 0 ? n : 0] = '\0';
	why[strcspn(why, "\n")] = '\0';
	return 1;
}

static int
spool_flush(void *arg, struct tally *t)
{
	struct spool_tx	*s = arg;
	struct timespec	 now;
	char		 name[64], why[SPOOL_TX_WHY_MAX], *cause;
	int		 r;

	if (s->nrec == 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(name, sizeof name, "ipcctl.%ld.%lld%09ld.%lu", (long)getpid(),
	    (long long)now.tv_sec, now.tv_nsec, ++s->files);
	if (spool_write(s, name, &cause) != 0)
		r = -2;
	else if ((r = spool_wait(s, name, why, sizeof why)) == -1)
		cause = fmtstr("the file %s/%s was not taken within %g s (is "
		    "ipcd running?); it stays there, to be counted once ipcd "
		    "takes it", s->tg->conf->spool.dir, name, s->tg->timeout);
	else if (r == 1) {
		if (s->tg->answer != NULL) {
			cause = fmtstr("the file of %lu record%s was rejected: "
			    "%s", s->nrec, s->nrec == 1 ? "" : "s",
			    vis(why, strlen(why)));
			s->tg->answer(s->tg->answer_arg, -1, cause);
			free(cause);
		}
		t->rejected += s->nrec;
	} else
		t->accepted += s->nrec;
	s->len = 0;
	s->nrec = 0;
	return r < 0 ? tally_fail(t, cause) : 0;
}

static int
spool_put(void *arg, const struct record *r, const char *line, size_t len,
    struct tally *t)
{
	struct spool_tx	*s = arg;
	char		 buf[IPCD_LINE_MAX];

	/* ipcd reads a spool file's lines of at most IPCD_LINE_MAX. */
	if (tx_line(r, &line, &len, IPCD_LINE_MAX, buf) != 0)
		return tally_fail(t, fmtstr("a record longer than %d bytes",
		    IPCD_LINE_MAX));
	if (s->len + len > s->max && spool_flush(s, t) != 0)
		return -1;
	while (s->len + len > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, line, len);
	s->len += len;
	s->nrec++;
	return 0;
}

static int
spool_close_tx(void *arg, struct tally *t)
{
	struct spool_tx	*s = arg;
	int		 r = spool_flush(s, t);

	close(s->dfd);
	free(s->buf);
	free(s);
	return r;
}

const struct sender tx_spool = {
	"spool", spool_open_tx, spool_put, spool_flush, spool_close_tx, 0
};
