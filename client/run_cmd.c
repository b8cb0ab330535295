/* ipcctl run: its command line; the end of a run (the children that
 * failed, the final wait, the total); the key of its own that a run
 * forgets afterwards.  The launcher itself is run.c. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"
#include "send.h"
#include "util.h"

/* A fresh key for one job: nobody else's parts land in it. */
void
key_fresh(char *key, size_t size, const char *what)
{
	snprintf(key, size, "%s.%ld.%ld", what, (long)getpid(),
	    (long)time(NULL));
}

/* Remove the job's own key; only say so if it could not be. */
void
key_forget(struct conn *c, const char *what, const char *key)
{
	char	*reply, *cause;
	int	 r;

	if ((r = conn_request(c, &reply, &cause, "%s %s", REQ_RESET, key)) ==
	    0)
		return;
	fprintf(stderr, "ipcctl: %s: could not remove key %s\n", what, key);
	if (r == CONN_FAIL)
		free(cause);
}

/* The worse of two exit statuses: a lost ipcd, then a timeout, then a
 * rejection, then any other failure. */
int
status_worse(int a, int b)
{
	static const int	order[] = { 0, EXIT_FAIL, EXIT_REJECTED,
				    EXIT_TIMEOUT, EXIT_CONNECT };
	int			ia = 0, ib = 0, k;

	for (k = 0; k < 5; k++) {
		ia = order[k] == a ? k : ia;
		ib = order[k] == b ? k : ib;
	}
	return ia >= ib ? a : b;
}

/* A rank's end, as a message: "exited with status 2" or "". */
static const char *
run_how(const struct rank *rk, double timeout)
{
	static char	how[64];

	if (rk->killed == KILLED_DEADLINE)
		snprintf(how, sizeof how, "still running after %g s: killed",
		    timeout);
	else if (WIFSIGNALED(rk->status))
		snprintf(how, sizeof how, "killed by signal %d",
		    WTERMSIG(rk->status));
	else if (WIFEXITED(rk->status) && WEXITSTATUS(rk->status) != 0)
		snprintf(how, sizeof how, "exited with status %d",
		    WEXITSTATUS(rk->status));
	else
		how[0] = '\0';
	return how;
}

/* Name every rank that failed; the exit status they make.  *lost: a part
 * is known never to come (then there is nothing to wait for). */
int
run_report(const struct run *ru, int *lost)
{
	const struct rank	*rk;
	const char		*how, *w = ru->j->what;
	unsigned long		 i;
	int			 st = 0;

	for (i = 0; i < ru->started; i++) {
		rk = &ru->r[i];
		if (rk->killed == KILLED_FAILED)
			continue;	/* the failure was named */
		how = run_how(rk, ru->j->timeout);
		if (rk->got == R_BAD) {
			fprintf(stderr, "ipcctl: %s: rank %lu: bad value", w,
			    i);
			if (rk->len > 0)
				fprintf(stderr, " \"%s\"", vis(rk->line,
				    rk->len < 40 ? rk->len : 40));
			fprintf(stderr, ": %s%s%s\n", rk->why, *how ? "; " : "",
			    how);
			st = status_worse(st, rk->killed == KILLED_DEADLINE ?
			    EXIT_TIMEOUT : EXIT_REJECTED);
			*lost = 1;
		} else if (*how != '\0') {
			fprintf(stderr, "ipcctl: %s: rank %lu: %s%s\n", w, i,
			    how, rk->got == R_VALUE ? " after its value" :
			    ", without a value");
			st = status_worse(st, rk->killed == KILLED_DEADLINE ?
			    EXIT_TIMEOUT : EXIT_FAIL);
			*lost |= rk->got != R_VALUE;
		} else if (rk->more) {
			fprintf(stderr, "ipcctl: %s: rank %lu: wrote more than "
			    "its value line; the rest was discarded\n", w, i);
			st = status_worse(st, EXIT_REJECTED);
		}
	}
	if (ru->started < ru->j->n) {
		st = status_worse(st, EXIT_FAIL);
		*lost = 1;
	}
	return st;
}

/* Close the sender (every value taken, or the cause); an exit status. */
int
run_submitted(struct run *ru, int *lost)
{
	if (ru->h == NULL)
		return 0;
	if (sender_close(ru->j->s, ru->h, &ru->t) != 0 || ru->t.cause != NULL) {
		fprintf(stderr, "ipcctl: %s: submit over %s failed: %s; %lu of "
		    "%lu values sent were taken\n", ru->j->what,
		    sender_name(ru->j->s), ru->t.cause != NULL ? ru->t.cause :
		    "no answer", ru->t.accepted + ru->t.duplicates, ru->t.sent);
		*lost = 1;
		return EXIT_CONNECT;
	}
	if (ru->t.rejected > 0) {
		*lost = 1;
		return EXIT_REJECTED;	/* the sender named them */
	}
	return 0;
}

/* The final wait for all N parts, bounded by what is left of the run's
 * timeout or by the job's wait; ranks that gave no value are named if
 * it fails.  The exit status; *reply on success. */
int
run_wait(const struct run *ru, struct conn *c, char **reply)
{
	const struct run_job	*j = ru->j;
	double			 wt = j->wait;
	char			*cause, *line;
	unsigned long		 i;
	int			 r;

	if (j->timeout > 0 && (wt = ru->deadline - mono_sec()) < 0.001)
		wt = 0.001;
	if ((r = request_wait(c, j->key, wt, &line, &cause)) == CONN_FAIL)
		return conn_failed(j->what, cause);
	if (r == 0) {
		*reply = line;
		return 0;
	}
	r = reply_exit(j->what, line);
	for (i = 0; i < ru->started; i++)
		if (ru->r[i].got == R_NONE)
			fprintf(stderr, "ipcctl: %s: rank %lu exited without a "
			    "value\n", j->what, i);
	return r;
}

/* The options of run, up to the command; 0 or an exit status. */
static int
run_opts(const struct opts *o, struct run_job *j, char *key, int argc,
    char **argv)
{
	static const struct option opts[] = {
		{ "via", required_argument, NULL, 'v' },
		{ "key", required_argument, NULL, 'k' },
		{ "channel", required_argument, NULL, 'C' },
		OPTS_END
	};
	const char	*k;
	char		*end;
	int		 ch;

	/* "+": the command's own options are not ours. */
	while ((ch = getopt_long(argc, argv, "+n:", opts, NULL)) != -1) {
		if (ch == 'n' && ((j->n = strtoul(optarg, &end, 10)) < 1 ||
		    j->n > RUN_RANKS_MAX || *optarg == '\0' || *end != '\0')) {
			fprintf(stderr, "ipcctl: run: -n: expected 1 to %d\n",
			    RUN_RANKS_MAX);
			return EXIT_USAGE;
		} else if (ch == 'v' && via_parse(optarg, &j->s) != 0)
			return EXIT_USAGE;
		else if (ch == 'k') {
			if (key_arg(optarg, &k) != 0)
				return EXIT_USAGE;
			strcpy(key, k);
		} else if (ch == 'C' && strcmp(optarg, "pipe") != 0 &&
		    strcmp(optarg, "socketpair") != 0) {
			fprintf(stderr, "ipcctl: run: --channel=%s: expected "
			    "pipe or socketpair\n",
			    vis(optarg, strlen(optarg)));
			return EXIT_USAGE;
		} else if (ch == 'C')
			j->socketpair = optarg[0] == 's';
		else if (ch == 't' && timeout_arg(optarg, &j->timeout) != 0)
			return EXIT_USAGE;
		else if (ch != 'n' && ch != 'v' && ch != 't')
			return command_usage("run");
	}
	if (j->n == 0 || optind >= argc) {
		if (j->n == 0)
			fprintf(stderr, "ipcctl: run: -n N is required\n");
		return command_usage("run");
	}
	j->argv = argv + optind;
	j->wait = o->tg.timeout;
	return 0;
}

int
cmd_run(const struct opts *o, int argc, char **argv)
{
	struct run_job	 j = { .what = "run" };
	struct conn	 c;
	char		 key[IPCD_KEY_MAX + 1] = "", *reply;
	int		 r, own;

	j.s = sender_find("unix");
	if ((r = run_opts(o, &j, key, argc, argv)) != 0)
		return r;
	if ((own = key[0] == '\0'))
		key_fresh(key, sizeof key, "run");
	j.key = key;
	/* The launcher's connection first: no child starts without ipcd. */
	if ((r = connect_or_fail(&c, &o->tg)) != 0)
		return r;
	r = run_room(&o->tg, &j, &c, &reply);
	if (reply != NULL)
		r = status_worse(r, result_print(o, "run", 0, reply));
	if (own)
		key_forget(&c, "run", key);
	conn_close(&c);
	return r;
}
