/*
 * The spool's rejected/ directory: a file that is rejected is moved there
 * with NAME.why beside it, which is how its writer (ipcctl) learns why.
 * It keeps at most SPOOL_REJECTED_MAX files; to make room for a new one
 * the oldest goes, with its .why, so that every rejection keeps its
 * reason.  The names kept are remembered oldest first (read, by mtime,
 * from the directory at open): bounded by the same maximum.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

#define SPOOL_REJECTED		"rejected"
#define SPOOL_REJECTED_MODE	0710
#define SPOOL_WHY_MODE		0640

static struct {
	int		  rfd;
	const char	 *dir;
	char		**name;		/* a ring, oldest at head */
	size_t		  head, n;
} rj = { .rfd = -1 };

struct kept {
	struct timespec	 mtime;
	char		*name;
};

static int
kept_cmp(const void *a, const void *b)
{
	const struct kept	*x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Remove rejected file NAME and its .why. */
static void
drop(const char *name)
{
	char	why[NAME_MAX + 1];

	snprintf(why, sizeof why, "%.*s.why", NAME_MAX - 4, name);
	/* A directory planted in the spool was moved here as it was. */
	if (unlinkat(rj.rfd, name, 0) != 0 && errno == EISDIR)
		(void)unlinkat(rj.rfd, name, AT_REMOVEDIR);
	(void)unlinkat(rj.rfd, why, 0);
}

static void
push(const char *name)
{
	if (rj.n == SPOOL_REJECTED_MAX) {
		drop(rj.name[rj.head]);
		free(rj.name[rj.head]);
		rj.head = (rj.head + 1) % SPOOL_REJECTED_MAX;
		rj.n--;
	}
	rj.name[(rj.head + rj.n++) % SPOOL_REJECTED_MAX] = xstrdup(name);
}

/* The files already there, oldest first; past the maximum, the oldest go. */
static void
load(void)
{
	struct kept	*k = NULL;
	struct dirent	*de;
	struct stat	 sb;
	size_t		 n = 0, cap = 0, i, len;
	DIR		*d;
	int		 fd;

	if ((fd = dup(rj.rfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || (len > 4 &&
		    strcmp(de->d_name + len - 4, ".why") == 0) ||
		    fstatat(rj.rfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (n == cap)
			k = xrealloc(k, (cap = cap ? cap * 2 : 64) * sizeof *k);
		k[n].mtime = sb.st_mtim;
		k[n++].name = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(k, n, sizeof *k, kept_cmp);
	for (i = 0; i < n; i++) {
		push(k[i].name);
		free(k[i].name);
	}
	free(k);
}

/* rejected/ in the spool directory DFD (DIR, for messages): ipcd's,
 * closed to the group but for names it knows. */
int
spool_reject_open(int dfd, const char *dir, char **cause)
{
	struct stat	 sb;

	rj.dir = dir;
	if (mkdirat(dfd, SPOOL_REJECTED, SPOOL_REJECTED_MODE) != 0 &&
	    errno != EEXIST)
		goto fail;
	rj.rfd = openat(dfd, SPOOL_REJECTED, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (rj.rfd == -1 || fstat(rj.rfd, &sb) != 0)
		goto fail;
	if (sb.st_uid != geteuid()) {
		*cause = fmtstr("%s/%s belongs to uid %u, not to ipcd's (%u); "
		    "remove it", dir, SPOOL_REJECTED, (unsigned)sb.st_uid,
		    (unsigned)geteuid());
		return -1;
	}
	if (fchmod(rj.rfd, SPOOL_REJECTED_MODE) != 0)
		goto fail;
	rj.name = xcalloc(SPOOL_REJECTED_MAX, sizeof *rj.name);
	rj.head = rj.n = 0;
	load();
	return 0;
fail:
	*cause = fmtstr("%s/%s: %s", dir, SPOOL_REJECTED, strerror(errno));
	return -1;
}

void
spool_reject_close(void)
{
	size_t	i;

	for (i = 0; i < rj.n && rj.name != NULL; i++)
		free(rj.name[(rj.head + i) % SPOOL_REJECTED_MAX]);
	free(rj.name);
	rj.name = NULL;
	rj.head = rj.n = 0;
	if (rj.rfd != -1)
		close(rj.rfd);
	rj.rfd = -1;
}

/* Write rejected/NAME.why (a name of ours: whatever was there goes). */
static void
write_why(const char *name, const char *why)
{
	char	path[NAME_MAX + 1];
	int	fd;

	snprintf(path, sizeof path, "%.*s.why", NAME_MAX - 4, name);
	(void)unlinkat(rj.rfd, path, 0);
	fd = openat(rj.rfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, SPOOL_WHY_MODE);
	if (fd == -1 || dprintf(fd, "%s\n", why) < 0)
		log_warn("spool: cannot write %s/%s/%s", rj.dir, SPOOL_REJECTED,
		    vis(path, strlen(path)));
	if (fd != -1)
		close(fd);
}

/*
 * Move NAME of the spool directory DFD into rejected/, the .why first,
 * so that a writer who sees its file gone finds the reason.  0, or -1
 * with errno if it could be neither moved nor removed.
 */
int
spool_reject_move(int dfd, const char *name, const char *why)
{
	int	replaced;

	/* Room first: the oldest goes (unless NAME replaces a kept one). */
	replaced = faccessat(rj.rfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (!replaced && rj.n == SPOOL_REJECTED_MAX) {
		drop(rj.name[rj.head]);
		free(rj.name[rj.head]);
		rj.head = (rj.head + 1) % SPOOL_REJECTED_MAX;
		rj.n--;
	}
	write_why(name, why);
	if (renameat(dfd, name, rj.rfd, name) == 0) {
		if (!replaced)
			push(name);
		return 0;
	}
	if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
		return -1;
	return 0;
}
