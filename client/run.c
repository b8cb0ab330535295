/*
 * ipcctl run: N copies of a command, like "mpiexec -n N", each with a
 * channel of its own (a pipe or a socketpair) on which it writes its
 * result as one value line.  The launcher submits each value as it
 * arrives, as part RANK+1 of N of one key over one sender, then waits on
 * the socket for all N parts and hands the reply back.  A child may
 * instead submit its part itself and write nothing.  The launcher never
 * hangs on a child: reads are non-blocking and bounded, the channel of a
 * child that exited is read once more and closed, and a deadline ends the
 * whole run.  "ipcctl pi" is the same room with a function for a command.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipcctl.h"
#include "util.h"
#include "xmalloc.h"

#define RUN_READ	65536		/* bytes of one read */
/* Bytes read from the channel of a child that exited, at most. */
#define RUN_DRAIN_MAX	(1024 * 1024)
#define STR(x)		#x
#define XSTR(x)		STR(x)
#define TOO_LONG	"value line longer than " XSTR(IPCD_LINE_MAX) \
			" bytes"

#include "run.h"

static int	run_sigfd = -1;
/* The signals that end the launcher: the children are killed first. */
static const int run_stops[] = { SIGINT, SIGTERM, SIGHUP };
static int	run_caught_set[3];	/* caught, not ignored, in the run */
static volatile sig_atomic_t run_caught;	/* the one that came, or 0 */

static void
run_sigchld(int sig)
{
	int	saved = errno;
	ssize_t	n;

	if (sig != SIGCHLD)
		run_caught = sig;
	n = write(run_sigfd, "", 1);	/* full: awake */
	(void)n;
	errno = saved;
}

/* Catch (ON) the stopping signals the launcher did not inherit ignored,
 * or give them back their default. */
static void
run_stopping(int on)
{
	struct sigaction	sa, old;
	size_t			i;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof run_stops / sizeof run_stops[0]; i++) {
		sa.sa_handler = on ? run_sigchld : SIG_DFL;
		if (on && sigaction(run_stops[i], &sa, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			sigaction(run_stops[i], &old, NULL);
		else if (on)
			run_caught_set[i] = 1;
		else if (run_caught_set[i]) {
			sigaction(run_stops[i], &sa, NULL);
			run_caught_set[i] = 0;
		}
	}
}

/* In the child: FD moved to the lowest descriptor above 2 that the exec
 * would not keep anyway, as a shell redirects only 0 to 9 (">&$IPCD_FD"). */
static int
run_lowfd(int fd)
{
	int	to, fl;

	for (to = 3; to < fd; to++)
		if ((fl = fcntl(to, F_GETFD)) == -1 || (fl & FD_CLOEXEC))
			break;
	if (to == fd || dup2(fd, to) == -1)
		return fd;
	close(fd);
	return to;
}

/* In the child: its own end of its channel and nothing else the launcher
 * made, default signals, the launcher's limits; then the function or the
 * command.  Never returns. */
static void __attribute__((noreturn))
run_child(struct run *ru, unsigned long i, int fd)
{
	const struct run_job	*j = ru->j;
	unsigned long		 k;
	char			 v[32];

	for (k = 0; k <= i; k++)
		if (ru->r[k].fd != -1)
			close(ru->r[k].fd);
	close(ru->sig[0]);
	close(ru->sig[1]);
	close(ru->c->fd);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	run_stopping(0);
	if (ru->raised)
		(void)setrlimit(RLIMIT_NOFILE, &ru->nofile);
	if (j->argv == NULL)
		_exit(j->child(j->arg, i, fd));
	snprintf(v, sizeof v, "%lu", i);
	setenv("IPCD_RANK", v, 1);
	snprintf(v, sizeof v, "%lu", j->n);
	setenv("IPCD_SIZE", v, 1);
	setenv("IPCD_KEY", j->key, 1);
	snprintf(v, sizeof v, "%lu/%lu", i + 1, j->n);
	setenv("IPCD_PART", v, 1);
	fd = run_lowfd(fd);
	snprintf(v, sizeof v, "%d", fd);
	setenv("IPCD_FD", v, 1);
	if (fcntl(fd, F_SETFD, 0) == 0)		/* it crosses the exec */
		execvp(j->argv[0], j->argv);
	fprintf(stderr, "ipcctl: %s: %s: %s\n", j->what,
	    vis(j->argv[0], strlen(j->argv[0])), strerror(errno));
	_exit(127);
}

/* Rank I's channel and child; -1 after saying why not. */
static int
run_spawn(struct run *ru, unsigned long i)
{
	struct rank	*rk = &ru->r[i];
	int		 fds[2], r;

	if (ru->j->socketpair)
		r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
	else
		r = pipe2(fds, O_CLOEXEC);
	if (r == -1) {
		fprintf(stderr, "ipcctl: %s: rank %lu: cannot make a %s: %s\n",
		    ru->j->what, i, ru->j->socketpair ? "socketpair" : "pipe",
		    strerror(errno));
		return -1;
	}
	rk->fd = fds[0];
	if ((rk->pid = fork()) == -1) {
		fprintf(stderr, "ipcctl: %s: rank %lu: fork: %s\n",
		    ru->j->what, i, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		rk->fd = -1;
		rk->pid = 0;
		return -1;
	}
	if (rk->pid == 0)
		run_child(ru, i, fds[1]);
	close(fds[1]);
	if (ru->j->socketpair)
		(void)shutdown(fds[0], SHUT_WR);
	(void)fcntl(fds[0], F_SETFL, O_NONBLOCK);
	ru->started++;
	ru->live++;
	return 0;
}

static int
run_bad(struct rank *rk, const char *why)
{
	rk->got = R_BAD;
	rk->why = why;
	return 0;
}

/* Rank I's value line is whole: check it, submit it as part I+1 of N;
 * -1 when the sender failed. */
static int
run_value(struct run *ru, unsigned long i)
{
	struct rank	*rk = &ru->r[i];
	struct record	 rec;
	const char	*cause;

	while (rk->len > 0 && memchr(" \t\r", rk->line[rk->len - 1], 3))
		rk->len--;
	rk->line[rk->len] = '\0';
	memset(&rec, 0, sizeof rec);
	if (memchr(rk->line, '\0', rk->len) != NULL)
		return run_bad(rk, "contains a NUL byte");
	if (value_parse(rk->line, &rec.value, &cause) != 0)
		return run_bad(rk, cause);
	if (ru->h == NULL)
		return run_bad(rk, "this run takes no values on the channels");
	rk->got = R_VALUE;
	strcpy(rec.key, ru->j->key);
	rec.part = (uint32_t)i + 1;
	rec.nparts = (uint32_t)ru->j->n;
	ru->puts++;
	return sender_put(ru->j->s, ru->h, &rec, &ru->t);
}

/* Bytes from rank I's channel: the first line is its value, the rest is
 * drained and only looked at (a value line is at most IPCD_LINE_MAX
 * bytes, newline included; nothing longer is kept). */
static int
run_input(struct run *ru, unsigned long i, const char *p, size_t n)
{
	struct rank	*rk = &ru->r[i];
	const char	*nl;
	size_t		 k;

	if (rk->got != R_NONE) {
		for (k = 0; k < n && rk->got == R_VALUE; k++)
			if (memchr(" \t\r\n", p[k], 4) == NULL)
				rk->more = 1;
		return 0;
	}
	nl = memchr(p, '\n', n);
	k = nl != NULL ? (size_t)(nl - p) : n;
	if (rk->len + k > IPCD_LINE_MAX - 1) {
		rk->len = 0;		/* nothing of it is echoed */
		return run_bad(rk, TOO_LONG);
	}
	memcpy(rk->line + rk->len, p, k);
	rk->len += k;
	if (nl == NULL)
		return 0;
	if (run_value(ru, i) != 0)
		return -1;
	return run_input(ru, i, nl + 1, n - k - 1);
}

/* Read rank I's channel once, or with DRAIN until it is empty (at most
 * RUN_DRAIN_MAX bytes); at its end, or after a drain, close it.  -1 when
 * the sender failed. */
static int
run_read(struct run *ru, unsigned long i, int drain)
{
	struct rank	*rk = &ru->r[i];
	static char	 buf[RUN_READ];
	size_t		 total = 0;
	ssize_t		 n;

	for (;;) {
		n = read(rk->fd, buf, sizeof buf);
		if (n > 0) {
			if (run_input(ru, i, buf, (size_t)n) != 0)
				return -1;
			total += (size_t)n;
			if (!drain)
				return 0;
			if (total < RUN_DRAIN_MAX)
				continue;
		} else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && errno == EAGAIN && !drain)
			return 0;
		break;		/* the end, an error, or drained */
	}
	close(rk->fd);
	rk->fd = -1;
	if (rk->got == R_NONE && rk->len > 0)	/* no newline at the end */
		return run_value(ru, i);
	return 0;
}

/* Reap the children that exited (with FLAGS 0, all of them), reading what
 * their channels still hold; -1 when the sender failed. */
static int
run_reap(struct run *ru, int flags)
{
	unsigned long	i;
	pid_t		pid;
	int		st;

	while (ru->live > 0) {
		if ((pid = waitpid(-1, &st, flags)) == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		for (i = 0; i < ru->started && ru->r[i].pid != pid; i++)
			;
		if (i == ru->started)
			continue;
		ru->r[i].pid = 0;
		ru->r[i].status = st;
		ru->live--;
		if (ru->r[i].fd != -1 && run_read(ru, i, 1) != 0)
			return -1;
	}
	return 0;
}

/* The deadline, or a failure: every child still running is killed;
 * how many. */
static unsigned long
run_kill(struct run *ru, int deadline)
{
	unsigned long	i, n = 0;

	for (i = 0; i < ru->started; i++)
		if (ru->r[i].pid > 0 && kill(ru->r[i].pid, SIGKILL) == 0) {
			ru->r[i].killed = deadline ? KILLED_DEADLINE :
			    KILLED_FAILED;
			n++;
		}
	(void)run_reap(ru, 0);
	return n;
}

/* While the children compute, the launcher's connections are idle: a
 * ping on each every half [limits] idle_timeout keeps ipcd from dropping
 * them.  -1 when one failed. */
static int
run_keepalive(struct run *ru)
{
	char	*reply, *cause;
	int	 r;

	ru->next = mono_sec() + ru->every;
	if (ru->h != NULL && sender_flush(ru->j->s, ru->h, &ru->t) != 0)
		return -1;
	if ((r = conn_request(ru->c, &reply, &cause, "%s", REQ_PING)) == 0)
		return 0;
	if (r == CONN_FAIL)
		conn_failed(ru->j->what, cause);
	else
		reply_exit(ru->j->what, reply);
	ru->gone = 1;
	return -1;
}

/* Read the channels and reap the children until none is left or the
 * deadline passes; -1 when the sender failed. */
static int
run_collect(struct run *ru)
{
	struct pollfd	*pfd = xcalloc(ru->started + 1, sizeof *pfd);
	unsigned long	*idx = xcalloc(ru->started + 1, sizeof *idx);
	unsigned long	 i;
	nfds_t		 k, n;
	double		 left, wake;
	char		 b[64];
	int		 r, ret = 0;

	while (ru->live > 0 && ret == 0 && !run_caught) {
		pfd[0] = (struct pollfd){ .fd = ru->sig[0], .events = POLLIN };
		for (n = 1, i = 0; i < ru->started; i++)
			if (ru->r[i].fd != -1) {
				pfd[n].fd = ru->r[i].fd;
				pfd[n].events = POLLIN;
				idx[n++] = i;
			}
		if (ru->deadline > 0 && mono_sec() >= ru->deadline)
			break;
		if (ru->every > 0 && mono_sec() >= ru->next &&
		    (ret = run_keepalive(ru)) != 0)
			break;
		wake = ru->deadline;
		if (ru->every > 0 && (wake == 0 || ru->next < wake))
			wake = ru->next;
		/* Never negative when there is a wake: the ping may have
		 * taken us past it, and poll(-1) would wait forever. */
		left = wake > 0 ? wake - mono_sec() : -1;
		if (wake > 0 && left < 0)
			left = 0;
		if (left > 3600)	/* poll takes an int of milliseconds */
			left = 3600;
		r = poll(pfd, n, left < 0 ? -1 : (int)(left * 1000 + 0.999));
		if (r == -1 && errno != EINTR) {
			fprintf(stderr, "ipcctl: %s: poll: %s\n", ru->j->what,
			    strerror(errno));
			ret = -1;
		}
		while (r > 0 && read(ru->sig[0], b, sizeof b) > 0)
			;
		for (k = 1; r > 0 && k < n && ret == 0; k++)
			if (pfd[k].revents != 0)
				ret = run_read(ru, idx[k], 0);
		if (ret == 0 && ru->puts > 0) {
			ret = sender_flush(ru->j->s, ru->h, &ru->t);
			ru->puts = 0;
		}
		if (ret == 0)
			ret = run_reap(ru, WNOHANG);
	}
	free(pfd);
	free(idx);
	return run_caught ? -1 : ret;
}

/* Start the children, with SIGCHLD waking the launcher's poll and room
 * for a descriptor per child; -1 if not all could be started. */
static int
run_start(struct run *ru)
{
	struct sigaction	sa;
	struct rlimit		rl;
	unsigned long		i;

	if (pipe2(ru->sig, O_CLOEXEC | O_NONBLOCK) == -1) {
		fprintf(stderr, "ipcctl: %s: pipe: %s\n", ru->j->what,
		    strerror(errno));
		ru->sig[0] = ru->sig[1] = -1;
		return -1;
	}
	run_sigfd = ru->sig[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = run_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	run_stopping(1);
	if (getrlimit(RLIMIT_NOFILE, &ru->nofile) == 0 &&
	    ru->nofile.rlim_cur != RLIM_INFINITY &&
	    ru->nofile.rlim_cur < ru->j->n + 64) {
		rl = ru->nofile;
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > ru->j->n + 64 ? ru->j->n + 64 : rl.rlim_max;
		ru->raised = setrlimit(RLIMIT_NOFILE, &rl) == 0;
	}
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < ru->j->n; i++)
		if (run_spawn(ru, i) != 0)
			return -1;
	return 0;
}

/*
 * Launch the job's N children, submit their values as they come, wait
 * for all N parts on C (the caller's connection, opened first so that no
 * child starts without an ipcd).  The exit status; *reply is the wait's
 * "ok" reply with the total when all N parts came in (the status may
 * still name a rank that failed after its value), else NULL.
 */
int
run_room(const struct target *tg, const struct run_job *j, struct conn *c,
    char **reply)
{
	struct run	 ru = { .j = j, .c = c };
	long		 idle = tg->conf->limits.idle_timeout;
	char		*cause;
	unsigned long	 i;
	int		 st, lost = 0, failed;

	*reply = NULL;
	if (j->s != NULL && (ru.h = sender_open(j->s, tg, &cause)) == NULL)
		return conn_failed(j->what, cause);
	if (idle > 0 && idle < 86400) {
		ru.every = idle / 2.0;
		ru.next = mono_sec() + ru.every;
		/* The next flush with nothing put since pings. */
		if (ru.h != NULL)
			(void)sender_flush(j->s, ru.h, &ru.t);
	}
	ru.r = xcalloc(j->n, sizeof *ru.r);
	for (i = 0; i < j->n; i++)
		ru.r[i].fd = -1;
	if (j->timeout > 0)
		ru.deadline = mono_sec() + j->timeout;
	failed = run_start(&ru) != 0 || run_collect(&ru) != 0;
	if ((i = run_kill(&ru, !failed)) > 0 && failed)
		fprintf(stderr, "ipcctl: %s: stopped the %lu children still "
		    "running\n", j->what, i);
	for (i = 0; i < ru.started; i++)
		if (ru.r[i].fd != -1)
			close(ru.r[i].fd);
	signal(SIGCHLD, SIG_DFL);
	run_stopping(0);
	if (run_caught)		/* the children are gone: now the launcher */
		raise(run_caught);
	run_sigfd = -1;
	if (ru.sig[0] != -1) {
		close(ru.sig[0]);
		close(ru.sig[1]);
	}
	st = status_worse(run_submitted(&ru, &lost), run_report(&ru, &lost));
	if (ru.gone) {
		st = status_worse(st, EXIT_CONNECT);
		lost = 1;
	}
	if (!lost)
		st = status_worse(st, run_wait(&ru, c, reply));
	else
		fprintf(stderr, "ipcctl: %s: no total: not every rank's part "
		    "can come\n", j->what);
	free(ru.r);
	free(ru.t.cause);
	return st;
}
