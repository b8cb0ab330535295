/*
 * Preparing the path of a socket or FIFO: create the runtime directory if
 * it is missing, refuse one we cannot trust (rundir.c), and refuse to
 * reuse anything at the path that is not a node of the expected type (a
 * planted symlink or regular file above all).
 */

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node.h"
#include "rundir.h"
#include "util.h"

/* A runtime directory ipcd creates: root's (/run/ipcd) is for everyone to
 * look into, a user's for that user alone. */
#define RUNDIR_MODE_ROOT	0755
#define RUNDIR_MODE_USER	RUNDIR_TMP_MODE

/* Returns 0 when PATH is free or holds a node of TYPE (S_IFSOCK, S_IFIFO,
 * S_IFDIR)
 * that the caller may reuse or replace, in a directory we can trust. */
int
node_prepare(const char *path, mode_t type, char **cause)
{
	char		dir[PATH_MAX];
	struct stat	st;

	snprintf(dir, sizeof dir, "%s", path);
	dirname(dir);
	if (mkdir(dir, getuid() == 0 ? RUNDIR_MODE_ROOT : RUNDIR_MODE_USER) ==
	    -1 && errno != EEXIST) {
		*cause = fmtstr("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (rundir_check(path, RUNDIR_SERVER, cause) != 0)
		return -1;
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		*cause = fmtstr("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & S_IFMT) != type) {
		*cause = fmtstr("%s exists and is not a %s; refusing to use it",
		    path, type == S_IFSOCK ? "socket" : type == S_IFDIR ?
		    "directory" : "FIFO");
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		*cause = fmtstr("%s belongs to uid %u; refusing to use it",
		    path, (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

/* Give the node at FD (or PATH when FD is -1) its configured mode and
 * group. */
int
node_perms(int fd, const char *path, mode_t mode, const char *group,
    char **cause)
{
	struct group	*gr;
	int		 r;

	r = fd != -1 ? fchmod(fd, mode) : chmod(path, mode);
	if (r == -1) {
		*cause = fmtstr("chmod %s: %s", path, strerror(errno));
		return -1;
	}
	if (group == NULL || *group == '\0')
		return 0;
	if ((gr = getgrnam(group)) == NULL) {
		*cause = fmtstr("no group %s", group);
		return -1;
	}
	r = fd != -1 ? fchown(fd, (uid_t)-1, gr->gr_gid) :
	    chown(path, (uid_t)-1, gr->gr_gid);
	if (r == -1) {
		*cause = fmtstr("chown %s to group %s: %s", path, group,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The pid /proc/locks gives as the holder of a flock on ST's file, or 0. */
static long
flock_holder(const struct stat *st)
{
	char	 line[256];
	FILE	*f;
	long	 pid = 0, p;
	unsigned maj, min;
	unsigned long long ino;

	if ((f = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (pid == 0 && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%llu", &p, &maj,
		    &min, &ino) == 4 && ino == st->st_ino &&
		    makedev(maj, min) == st->st_dev)
			pid = p;
	fclose(f);
	return pid;
}

/*
 * Hold FD's object (a message queue, a shared-memory segment) for this
 * ipcd: a second ipcd configured with the same name would split its
 * records or replace it under us.  The lock is on the open file
 * description, so a descriptor systemd passes back after a restart keeps
 * it; WHAT names the object in the message.
 */
int
node_claim(int fd, const char *what, char **cause)
{
	struct stat	st;
	long		pid;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK) {
		*cause = fmtstr("%s: cannot lock it: %s", what, strerror(errno));
		return -1;
	}
	pid = fstat(fd, &st) == 0 ? flock_holder(&st) : 0;
	if (pid > 0)
		*cause = fmtstr("%s is in use by another ipcd (pid %ld); give "
		    "this one another name", what, pid);
	else
		*cause = fmtstr("%s is in use by another ipcd; give this one "
		    "another name", what);
	return -1;
}
