/*
 * A program outside ipcd's tree, built with pkg-config against the
 * installed libipcd (tests/t_lib.sh):
 *
 *	submit VIA KEY N	parts 1..N of KEY (part I is the value I)
 *				over VIA, then the total once all are in
 *	result KEY [SECONDS]	KEY's total, waiting at most SECONDS
 *	submit1 VIA KEY VALUE	one value, not a part; then ipcd_flush
 *	ping
 *	version
 *
 * It prints "status=S" and "error=E" of the call that decided, and the
 * fields of a total; its exit status is 0 when every call gave IPCD_OK.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
main(int argc, char **argv)
{
	struct ipcd		*c;
	struct ipcd_total	 t;
	unsigned		 i, n;
	int			 st;

	if (argc < 2) {
		fprintf(stderr, "usage: submit submit|submit1|result|ping ...\n");
		return 2;
	}
	if (strcmp(argv[1], "version") == 0) {
		printf("%s\n", ipcd_version());
		return 0;
	}
	if ((st = ipcd_open(&c, NULL)) != IPCD_OK) {
		report(c, st);
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
	} else if (strcmp(argv[1], "submit1") == 0 && argc == 5) {
		if ((st = ipcd_submit(c, argv[2], argv[3], atof(argv[4]), 0,
		    0)) == IPCD_OK)
			st = ipcd_flush(c);
	} else if (strcmp(argv[1], "result") == 0 && argc >= 3) {
		if (argc == 4)
			ipcd_set_timeout(c, atof(argv[3]));
		if ((st = ipcd_result(c, argv[2], argc == 4, &t)) == IPCD_OK)
			total_print(&t);
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
