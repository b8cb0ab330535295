/* ipcctl run: its command line, the total, and the key of its own that
 * a run forgets afterwards; the launcher itself is run.c. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipcctl.h"

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
			    "pipe or socketpair\n", vis(optarg, strlen(optarg)));
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
