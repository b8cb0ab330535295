/*
 * The reference job of the IPC tutorials: pi from
 * sum_{k=0}^{n-1} 1/(2k+1)^2 = pi^2/8, the terms split over W workers
 * started by the launcher of "ipcctl run" (run.c).  Each worker sums its
 * slice and either submits it itself as part w of W of a fresh key over
 * the chosen transport, or, over a pipe or a socketpair, writes it on its
 * channel for the launcher to submit over the socket.  The parent waits
 * on the socket for all W parts and prints sqrt(8 * total).  For 10
 * workers and 10^7 terms that is 3.14159262176.
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcctl.h"

/* What the pi command was asked for. */
struct pi_job {
	const struct target	*tg;
	const struct sender	*s;
	const char		*via;		/* the sender's, or a channel */
	int			 channel;	/* the launcher submits */
	int			 socketpair;
	unsigned long long	 terms;
	unsigned long		 workers;
	double			 timeout;
	char			 key[IPCD_KEY_MAX + 1];
	int			 own_key;
};

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

/* Worker W's slice as a value line on its channel FD (the shortest
 * decimal that reads back as the same double: nothing is lost). */
static int
worker_line(unsigned long w, double v, int fd)
{
	char	line[NUM_FORMAT_MAX + 1];
	size_t	off = 0, len;
	ssize_t	n;

	double_format(line, NUM_FORMAT_MAX, v);
	len = strlen(line);
	line[len++] = '\n';
	while (off < len) {
		if ((n = write(fd, line + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ipcctl: pi worker %lu: %s\n", w + 1,
			    strerror(errno));
			return 1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* A worker, the launcher's child W: its slice, written on its channel or
 * submitted over the job's sender; exit status 0 or 1. */
static int
worker(void *arg, unsigned long w, int fd)
{
	const struct pi_job	*j = arg;
	unsigned long		 nw = j->workers;
	struct record		 r;
	struct tally		 t = { 0 };
	char			*cause;
	void			*h;

	memset(&r, 0, sizeof r);
	strcpy(r.key, j->key);
	r.value = slice_sum(j->terms * w / nw, j->terms * (w + 1) / nw);
	r.part = (uint32_t)w + 1;
	r.nparts = (uint32_t)nw;
	if (j->channel)
		return worker_line(w, r.value, fd);
	if ((h = sender_open(j->s, j->tg, &cause)) == NULL) {
		fprintf(stderr, "ipcctl: pi worker %lu: %s\n", w + 1, cause);
		return 1;
	}
	if (sender_put(j->s, h, &r, &t) != 0 || sender_close(j->s, h, &t) != 0 ||
	    t.rejected > 0) {
		if (t.cause != NULL)
			fprintf(stderr, "ipcctl: pi worker %lu: %s\n", w + 1,
			    t.cause);
		return 1;
	}
	return 0;
}

/* --via=T: a sender, or a channel to the launcher. */
static int
pi_via(struct pi_job *j, const char *via)
{
	if (strcmp(via, "pipe") == 0 || strcmp(via, "socketpair") == 0) {
		j->channel = 1;
		j->socketpair = via[0] == 's';
		j->s = sender_find("unix");
		j->via = via;
		return 0;
	}
	if (via_parse(via, &j->s) != 0) {
		fprintf(stderr, "ipcctl: pi --via also takes pipe or "
		    "socketpair\n");
		return -1;
	}
	j->channel = 0;
	j->via = sender_name(j->s);
	return 0;
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
			    j->workers > RUN_RANKS_MAX) {
				fprintf(stderr, "ipcctl: --workers: expected 1 to "
				    "%d\n", RUN_RANKS_MAX);
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
			if (pi_via(j, optarg) != 0)
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
			return command_usage("pi");
		}
	}
	return optind != argc ? command_usage("pi") : 0;
}

/* Print the result from the wait's reply; an exit status. */
static int
pi_print(const struct opts *o, const struct pi_job *j, const char *reply)
{
	char	buf[64];
	double	pi;

	if (reply_field(reply, "total", buf, sizeof buf) != 0)
		return reply_exit("pi", reply);
	if (reply_overflow(reply)) {
		fprintf(stderr, "ipcctl: pi: key %s: total overflows a "
		    "double\n", j->key);
		return EXIT_REJECTED;
	}
	pi = sqrt(8 * strtod(buf, NULL));
	if (o->json)
		printf("{\"key\":\"%s\",\"workers\":%lu,\"terms\":%llu,"
		    "\"via\":\"%s\",\"total\":%s,\"pi\":%.17g}\n", j->key,
		    j->workers, j->terms, j->via, vis(buf, strlen(buf)), pi);
	else
		printf("pi over %s: %lu workers, %llu terms, total %s\n%.11f\n",
		    j->via, j->workers, j->terms, vis(buf, strlen(buf)), pi);
	return 0;
}

int
cmd_pi(const struct opts *o, int argc, char **argv)
{
	struct pi_job	 j = { .tg = &o->tg, .via = "unix", .terms = 10000000,
			    .workers = 10, .timeout = 60, .own_key = 1 };
	struct run_job	 rj = { .what = "pi", .child = worker };
	struct conn	 c;
	char		*reply;
	int		 r;

	j.s = sender_find("unix");
	key_fresh(j.key, sizeof j.key, "pi");
	if ((r = pi_opts(&j, argc, argv)) != 0)
		return r;
	rj.s = j.channel ? j.s : NULL;	/* else each worker submits */
	rj.n = j.workers;
	rj.key = j.key;
	rj.socketpair = j.socketpair;
	rj.wait = j.timeout;
	rj.arg = &j;
	/* The parent's connection first: no workers if ipcd is not there. */
	if ((r = connect_or_fail(&c, &o->tg)) != 0)
		return r;
	r = run_room(&o->tg, &rj, &c, &reply);
	if (reply != NULL)
		r = status_worse(r, pi_print(o, &j, reply));
	if (j.own_key)
		key_forget(&c, "pi", j.key);
	conn_close(&c);
	return r;
}
