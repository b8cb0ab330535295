/*
 * A program outside ipcd's tree, built with pkg-config against the
 * installed libipcd (tests/t_lib.sh):
 *
 *	submit VIA KEY N	parts 1..N of KEY (part I is the value I)
 *				over VIA, then the total once all are in
 *	result KEY [SECONDS]	KEY's total, waiting at most SECONDS
 *	submit1 VIA KEY VALUE	one value, not a part; then ipcd_flush
 *	paused VIA KEY VALUE	the same, but between the two it prints
 *				"submitted" and waits for a line on its
 *				standard input
 *	threads VIA KEY N	N threads, a handle each, thread I
 *				submitting part I (the value I) of KEY
 *	sigbus KEY		a SIGBUS handler of its own, one value
 *				over shm, then a SIGBUS: its handler runs
 *	idle SECONDS		ping, and again after SECONDS on the same
 *				handle
 *	ping
 *	version
 *
 * It prints "status=S" and "error=E" of the call that decided, and the
 * fields of a total; its exit status is 0 when every call gave IPCD_OK.
 */

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcd.h>

static int
report(struct ipcd *c, int st)
{
	printf("status=%d\nerror=%s\n", st, ipcd_error(c));
	return st == IPCD_OK ? 0 : 1;
}

static void
total_print(const struct ipcd_total *t)
{
	printf("total=%.17g\ncount=%llu\nparts=%u/%u\nmin=%g\nmax=%g\n",
	    t->total, t->count, t->parts, t->nparts, t->min, t->max);
}

struct worker {
	pthread_t	 t;
	const char	*via, *key;
	unsigned	 i, n;
	int		 st;
	char		 error[256];
};

static void *
worker(void *arg)
{
	struct worker	*w = arg;
	struct ipcd	*c;

	if ((w->st = ipcd_open(&c, NULL)) == IPCD_OK &&
	    (w->st = ipcd_submit(c, w->via, w->key, w->i, w->i,
	    w->n)) == IPCD_OK)
		w->st = ipcd_flush(c);
	snprintf(w->error, sizeof w->error, "%s", ipcd_error(c));
	ipcd_close(c);
	return NULL;
}

/* N threads at once, each with a handle of its own; the first failure. */
static int
threads(struct ipcd *c, const char *via, const char *key, unsigned n)
{
	struct worker	*w = calloc(n, sizeof *w);
	unsigned	 i;
	int		 st = IPCD_OK;

	for (i = 0; i < n; i++) {
		w[i] = (struct worker){ .via = via, .key = key, .i = i + 1,
		    .n = n };
		pthread_create(&w[i].t, NULL, worker, &w[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].t, NULL);
		if (w[i].st != IPCD_OK && st == IPCD_OK) {
			st = w[i].st;
			printf("thread %u: %s\n", i + 1, w[i].error);
		}
	}
	free(w);
	return st;
}

static void
own_sigbus(int sig)
{
	static const char	msg[] = "own SIGBUS handler\n";

	(void)write(STDOUT_FILENO, msg, sizeof msg - 1);
	_exit(0);
}

int
main(int argc, char **argv)
{
	struct ipcd		*c;
	struct ipcd_total	 t;
	unsigned		 i, n;
	int			 st;

	if (argc < 2) {
		fprintf(stderr, "usage: submit submit|submit1|threads|result|"
		    "idle|ping|version ...\n");
		return 2;
	}
	if (strcmp(argv[1], "version") == 0) {
		printf("%s\n", ipcd_version());
		return 0;
	}
	if ((st = ipcd_open(&c, NULL)) != IPCD_OK) {
		/* The handle keeps the cause: every call fails with it. */
		report(c, st);
		report(c, ipcd_ping(c));
		ipcd_close(c);
		return 1;
	}
	if (getenv("TIMEOUT") != NULL &&
	    (st = ipcd_set_timeout(c, atof(getenv("TIMEOUT")))) != IPCD_OK)
		goto out;
	if (strcmp(argv[1], "submit") == 0 && argc == 5) {
		n = (unsigned)atoi(argv[4]);
		for (i = 1; i <= n; i++)
			if ((st = ipcd_submit(c, argv[2], argv[3], i, i,
			    n)) != IPCD_OK)
				goto out;
		if ((st = ipcd_flush(c)) != IPCD_OK ||
		    (st = ipcd_result(c, argv[3], 1, &t)) != IPCD_OK)
			goto out;
		total_print(&t);
	} else if (strcmp(argv[1], "threads") == 0 && argc == 5) {
		if ((st = threads(c, argv[2], argv[3],
		    (unsigned)atoi(argv[4]))) != IPCD_OK ||
		    (st = ipcd_result(c, argv[3], 1, &t)) != IPCD_OK)
			goto out;
		total_print(&t);
	} else if (strcmp(argv[1], "submit1") == 0 && argc == 5) {
		if ((st = ipcd_submit(c, argv[2], argv[3], atof(argv[4]), 0,
		    0)) == IPCD_OK)
			st = ipcd_flush(c);
	} else if (strcmp(argv[1], "paused") == 0 && argc == 5) {
		char	line[16];

		if ((st = ipcd_submit(c, argv[2], argv[3], atof(argv[4]), 0,
		    0)) == IPCD_OK) {
			printf("submitted\n");
			fflush(stdout);
			if (fgets(line, sizeof line, stdin) != NULL)
				st = ipcd_flush(c);
		}
	} else if (strcmp(argv[1], "sigbus") == 0 && argc == 3) {
		signal(SIGBUS, own_sigbus);
		if ((st = ipcd_submit(c, "shm", argv[2], 1, 0, 0)) == IPCD_OK &&
		    (st = ipcd_flush(c)) == IPCD_OK) {
			fflush(stdout);
			raise(SIGBUS);
		}
	} else if (strcmp(argv[1], "result") == 0 && argc >= 3) {
		if (argc == 4)
			ipcd_set_timeout(c, atof(argv[3]));
		if ((st = ipcd_result(c, argv[2], argc == 4, &t)) == IPCD_OK)
			total_print(&t);
	} else if (strcmp(argv[1], "idle") == 0 && argc == 3) {
		if ((st = ipcd_ping(c)) == IPCD_OK) {
			sleep((unsigned)atoi(argv[2]));
			st = ipcd_ping(c);
		}
	} else if (strcmp(argv[1], "ping") == 0)
		st = ipcd_ping(c);
	else {
		fprintf(stderr, "submit: unknown command\n");
		st = IPCD_EINVAL;
	}
out:
	st = report(c, st);
	ipcd_close(c);
	return st;
}
