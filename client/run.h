/* What run.c (the launcher) and run_cmd.c (the end of a run) share. */
#ifndef IPCD_RUN_H
#define IPCD_RUN_H

#include <sys/resource.h>
#include <sys/types.h>

#include "ipcctl.h"

enum { R_NONE, R_VALUE, R_BAD };
enum { KILLED_NOT, KILLED_DEADLINE, KILLED_FAILED };

struct rank {
	pid_t		 pid;		/* 0 once reaped */
	int		 fd;		/* the read end, or -1 */
	int		 got;		/* R_* */
	int		 more;		/* more than a value line */
	int		 killed;	/* by the launcher: KILLED_* */
	int		 status;	/* of waitpid, once reaped */
	const char	*why;		/* why the value is bad */
	size_t		 len;
	char		 line[IPCD_LINE_MAX];
};

struct run {
	const struct run_job	*j;
	struct rank		*r;
	unsigned long		 started, live;
	void			*h;		/* the sender, if any */
	struct tally		 t;
	int			 puts;		/* since the flush */
	struct conn		*c;		/* the launcher's */
	int			 gone;		/* it failed */
	double			 every;		/* pings: period */
	double			 next;		/* next ping */
	int			 sig[2];	/* the SIGCHLD self-pipe */
	double			 deadline;	/* 0: none */
	struct rlimit		 nofile;	/* the children's */
	int			 raised;	/* the launcher's, above it */
};

int	run_report(const struct run *, int *);
int	run_submitted(struct run *, int *);
int	run_wait(const struct run *, struct conn *, char **);

#endif
