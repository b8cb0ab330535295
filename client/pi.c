/*
 * The reference job of the IPC tutorials: pi from
 * sum_{k=0}^{n-1} 1/(2k+1)^2 = pi^2/8, the terms split over W forked
 * workers.  Each worker sums its slice and submits it as part w of W of a
 * fresh key over the chosen transport; the parent waits on the socket for
 * all W parts and prints sqrt(8 * total).  For 10 workers and 10^7 terms
 * that is 3.14159262176.
 */

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipcctl.h"

#define PI_WORKERS_MAX	1024

static double
slice_sum(unsigned long long lo, unsigned long long hi)
{
	double	s = 0, d;

	for (; lo < hi; lo++) {
		d = 2.0 * (double)lo + 1.0;
		s += 1.0 / (d * d);
	}
	return s;
}

/* A worker: its slice, one submission, exit status 0 or 1. */
static int
worker(const struct target *tg, const struct sender *s, const char *key,
    unsigned w, unsigned nw, unsigned long long terms)
{
	struct record	 r;
	struct tally	 t = { 0 };
	char		*cause;
	void		*h;

	memset(&r, 0, sizeof r);
	strcpy(r.key, key);
	r.value = slice_sum(terms * w / nw, terms * (w + 1) / nw);
	r.part = w + 1;
	r.nparts = nw;
	if ((h = sender_open(s, tg, &cause)) == NULL) {
		fprintf(stderr, "ipcctl: pi worker %u: %s\n", w + 1, cause);
		return 1;
	}
	if (sender_put(s, h, &r, &t) != 0 || sender_close(s, h, &t) != 0 ||
	    t.rejected > 0) {
		if (t.cause != NULL)
			fprintf(stderr, "ipcctl: pi worker %u: %s\n", w + 1,
			    t.cause);
		return 1;
	}
	return 0;
}

/* What the pi command was asked for. */
struct pi_job {
	const struct sender	*s;
	unsigned long long	 terms;
	unsigned long		 workers;
	double			 timeout;
	char			 key[IPCD_KEY_MAX + 1];
	int			 own_key;
};

static int
pi_usage(void)
{
	fprintf(stderr, "usage: ipcctl pi [--workers=W] [--terms=N] [--via=T] "
	    "[--key=K] [--timeout=S]\n");
	return EXIT_USAGE;
}

/* The options; 0 or an exit status. */
static int
pi_opts(struct pi_job *j, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "terms", required_argument, NULL, 'n' },
		{ "via", required_argument, NULL, 'v' },
		{ "key", required_argument, NULL, 'k' },
		OPTS_END
	};
	const char	*key;
	char		*end;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			j->workers = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || j->workers < 1 ||
			    j->workers > PI_WORKERS_MAX) {
				fprintf(stderr, "ipcctl: --workers: expected 1 to "
				    "%d\n", PI_WORKERS_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			j->terms = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || j->terms < 1 ||
			    j->terms > 1ULL << 50) {
				fprintf(stderr, "ipcctl: --terms: expected 1 to "
				    "2^50\n");
				return EXIT_USAGE;
			}
			break;
		case 'v':
			if (via_parse(optarg, &j->s) != 0)
				return EXIT_USAGE;
			break;
		case 'k':
			if (key_arg(optarg, &key) != 0)
				return EXIT_USAGE;
			strcpy(j->key, key);
			j->own_key = 0;
			break;
		case 't':
			if (timeout_arg(optarg, &j->timeout) != 0)
				return EXIT_USAGE;
			break;
		default:
			return pi_usage();
		}
	}
	return optind != argc ? pi_usage() : 0;
}

/* Fork the workers and reap them; 0 when every one exited 0. */
static int
pi_workers(const struct opts *o, const struct pi_job *j)
{
	unsigned	w;
	pid_t		pid;
	int		status, failed = 0;

	fflush(stdout);
	for (w = 0; w < j->workers; w++) {
		if ((pid = fork()) == -1) {
			perror("ipcctl: fork");
			failed = 1;
			break;
		}
		if (pid == 0)
			_exit(worker(&o->tg, j->s, j->key, w,
			    (unsigned)j->workers, j->terms));
	}
	while (wait(&status) != -1)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	if (failed)
		fprintf(stderr, "ipcctl: pi: a worker failed\n");
	return failed ? -1 : 0;
}

int
cmd_pi(const struct opts *o, int argc, char **argv)
{
	struct pi_job	 j = { .terms = 10000000, .workers = 10, .timeout = 60,
			    .own_key = 1 };
	char		*reply, *cause, buf[64];
	double		 pi;
	struct conn	 c;
	int		 r;

	j.s = sender_find("unix");
	snprintf(j.key, sizeof j.key, "pi.%ld.%ld", (long)getpid(),
	    (long)time(NULL));
	if ((r = pi_opts(&j, argc, argv)) != 0)
		return r;
	/* The parent's connection first: no workers if ipcd is not there. */
	if ((r = connect_or_fail(&c, &o->tg)) != 0)
		return r;
	if (pi_workers(o, &j) != 0)
		return EXIT_FAIL;
	c.reply_timeout = j.timeout + o->tg.timeout;
	r = conn_request(&c, &reply, &cause, "%s %s %lu", REQ_WAIT, j.key,
	    (unsigned long)(j.timeout * 1000 + 0.999));
	if (r == CONN_FAIL)
		return conn_failed("pi", cause);
	if (r != 0 || reply_field(reply, "total", buf, sizeof buf) != 0)
		return reply_exit("pi", reply);
	if (reply_overflow(reply)) {
		fprintf(stderr, "ipcctl: pi: key %s: total overflows a "
		    "double\n", j.key);
		return EXIT_REJECTED;
	}
	pi = sqrt(8 * strtod(buf, NULL));
	c.reply_timeout = 0;
	if (j.own_key && (r = conn_request(&c, &reply, &cause, "%s %s",
	    REQ_RESET, j.key)) != 0) {
		fprintf(stderr, "ipcctl: pi: could not remove key %s\n", j.key);
		if (r == CONN_FAIL)
			free(cause);
	}
	conn_close(&c);
	if (o->json)
		printf("{\"key\":\"%s\",\"workers\":%lu,\"terms\":%llu,"
		    "\"via\":\"%s\",\"total\":%s,\"pi\":%.17g}\n", j.key,
		    j.workers, j.terms, sender_name(j.s), vis(buf, strlen(buf)), pi);
	else
		printf("pi over %s: %lu workers, %llu terms, total %s\n%.11f\n",
		    sender_name(j.s), j.workers, j.terms, vis(buf, strlen(buf)),
		    pi);
	return 0;
}
