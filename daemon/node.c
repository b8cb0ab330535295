/*
 * Preparing the path of a socket or FIFO: create the runtime directory if
 * it is missing, and refuse to reuse anything at the path that is not a
 * node of the expected type (a planted symlink or regular file above all).
 */

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node.h"
#include "util.h"

/* Returns 0 when PATH is free or holds a node of TYPE (S_IFSOCK, S_IFIFO)
 * that the caller may reuse or replace. */
int
node_prepare(const char *path, mode_t type, char **cause)
{
	char		dir[PATH_MAX];
	struct stat	st;

	snprintf(dir, sizeof dir, "%s", path);
	dirname(dir);
	if (mkdir(dir, getuid() == 0 ? 0755 : 0700) == -1 && errno != EEXIST) {
		*cause = fmtstr("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		*cause = fmtstr("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & S_IFMT) != type) {
		*cause = fmtstr("%s exists and is not a %s; refusing to use it",
		    path, type == S_IFSOCK ? "socket" : "FIFO");
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
