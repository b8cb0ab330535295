/*
 * The directory that holds ipcd's socket and FIFO, and the one check of
 * whether it can be trusted: by ipcd before it creates nodes there, by
 * ipcctl before it talks to a socket there.
 */
#ifndef IPCD_RUNDIR_H
#define IPCD_RUNDIR_H

/* A user's runtime directory when $XDG_RUNTIME_DIR is not set: in a
 * directory anyone may write to, so anyone could have made it first. */
#define RUNDIR_TMP_FMT	"/tmp/ipcd-%u"
#define RUNDIR_TMP_MODE	0700

/* Who asks: ipcd checks any runtime directory; ipcctl, who cannot know
 * the daemon's user, only a user's own one under /tmp. */
#define RUNDIR_SERVER	0
#define RUNDIR_CLIENT	1

int	rundir_check(const char *, int, char **);

#endif
