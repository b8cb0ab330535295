/*
 * Whether the directory of a socket or FIFO may be trusted.  Whoever can
 * write to it can replace the socket with a fake server, read FIFO
 * submissions or plant symlinks, so it must be a real directory (not a
 * symlink), owned by the user we run as (or root: /run/ipcd made by the
 * socket units) and writable by nobody else.  A user's /tmp fallback must
 * be ours alone and closed to others: we create it 0700 (0750 when the
 * state file, which lives there for a user with no home, made it first).
 */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"
#include "util.h"

/* The one check; PATH is the socket's or the FIFO's, WHO a RUNDIR_*. */
int
rundir_check(const char *path, int who, char **cause)
{
	char		dir[PATH_MAX], tmp[64];
	struct stat	st;
	uid_t		euid = geteuid();
	int		private;

	snprintf(dir, sizeof dir, "%s", path);
	dirname(dir);
	snprintf(tmp, sizeof tmp, RUNDIR_TMP_FMT, (unsigned)getuid());
	private = strcmp(dir, tmp) == 0;
	if (who == RUNDIR_CLIENT && !private)
		return 0;
	if (lstat(dir, &st) == -1) {
		*cause = fmtstr("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		*cause = fmtstr("%s is a symbolic link; refusing to follow it "
		    "(remove it, or name the real directory)", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*cause = fmtstr("%s is not a directory; refusing to use it",
		    dir);
		return -1;
	}
	if (st.st_uid != euid && (private || st.st_uid != 0)) {
		*cause = fmtstr("%s belongs to uid %u, not to uid %u; refusing "
		    "to trust it (anyone could have made it: remove it, or "
		    "choose another directory)", dir, (unsigned)st.st_uid,
		    (unsigned)euid);
		return -1;
	}
	if (private && (st.st_mode & S_IRWXO) != 0) {
		*cause = fmtstr("%s has mode %04o, open to others; refusing to "
		    "use it (chmod %04o %s)", dir, (unsigned)(st.st_mode & 07777),
		    RUNDIR_TMP_MODE, dir);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*cause = fmtstr("%s is writable by %s (mode %04o); refusing to "
		    "use it (chmod go-w %s)", dir, st.st_mode & S_IWOTH ?
		    "others" : "its group", (unsigned)(st.st_mode & 07777), dir);
		return -1;
	}
	return 0;
}
