/*
 * redis: ipcd beside what a user might pick instead, Redis INCRBYFLOAT,
 * on the same load.
 *
 * Both servers are started here on private Unix sockets: ipcd on its
 * socket alone, redis-server with no TCP port and no snapshots.  Cells:
 * pipelined (WINDOW requests in flight) and one request at a time, K
 * client processes, first with persistence off on both sides (ipcd
 * [state] sync = never, Redis without its append-only file), then with a
 * sync before the replies (ipcd sync = always, then sync = batch; Redis
 * appendfsync always both times).  The client is the same loop for both
 * (side_window): each of K processes opens one connection and sends
 * `submit KEY 1` or `INCRBYFLOAT KEY 1`; a fresh key per run.  The clock runs from before the first fork until every client
 * has all its replies; then the total is read back (ipcd's "result KEY",
 * Redis's GET) and must be exactly the number of requests.  Runs
 * alternate, Redis first in every other pair.  One line per cell:
 *
 *   redis mode=M k=K sync=S records=N redis_median=... ipcd_median=...
 *       ratio=... exact=yes|no
 *
 * usage: redis [-q] [-p PAIRS] [-k LIST] [-s SCALE] [-R REDIS_SERVER]
 *              IPCD WORKDIR
 * Exit status 0 when every total came out exact (or Redis is missing).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "ipcctl.h"
#include "side.h"

#define WINDOW	64		/* requests in flight, pipelined */

/* Records per run at scale 1, [pipelined][synced]. */
static const long records[2][2] = { { 20000, 2000 }, { 300000, 30000 } };

struct load {
	const struct speech	*sp;
	const char		*sock;
	char			 key[64];
	long			 total;
	int			 k, window;
};

static int		 quick, failures;
static unsigned long	 runno;

static int
client(int i, void *arg)
{
	const struct load	*l = arg;
	long			 n = l->total / l->k + (i < l->total % l->k);
	int			 fd, r;

	if ((fd = side_connect(l->sock)) == -1) {
		fprintf(stderr, "bench: cannot connect to %s\n", l->sock);
		return 3;
	}
	r = side_window(fd, l->sp, l->key, n, l->window, NULL);
	close(fd);
	return r == 0 ? 0 : 4;
}

/* The total of KEY on the server of L, as it says it; -1 if it does
 * not. */
static double
total_of(const struct load *l, long *count)
{
	char	 req[256], buf[1024], v[64], *p;
	double	 t = -1;
	int	 fd;

	if ((fd = side_connect(l->sock)) == -1)
		return -1;
	if (l->sp == &speak_redis) {
		snprintf(req, sizeof req, "*2\r\n$3\r\nGET\r\n$%zu\r\n%s\r\n",
		    strlen(l->key), l->key);
		if ((p = side_ask(fd, l->sp, req, buf, sizeof buf)) != NULL &&
		    (p = strstr(p, "\r\n")) != NULL)
			t = strtod(p + 2, NULL);
		*count = -1;
	} else {
		snprintf(req, sizeof req, "result %s\n", l->key);
		if (side_ask(fd, l->sp, req, buf, sizeof buf) != NULL &&
		    reply_field(buf, "total", v, sizeof v) == 0) {
			t = strtod(v, NULL);
			if (reply_field(buf, "count", v, sizeof v) == 0)
				*count = strtol(v, NULL, 10);
		}
	}
	close(fd);
	return t;
}

/* One run: records/s; *exact cleared if the total is not the count. */
static double
run(struct load *l, int *exact)
{
	double	t0, t1, t;
	long	count;

	snprintf(l->key, sizeof l->key, "r%d.%lu", (int)getpid(), ++runno);
	t0 = side_now();
	if (side_children(l->k, client, l) != 0)
		*exact = 0;
	t1 = side_now();
	t = total_of(l, &count);
	if (t != (double)l->total || (count != -1 && count != l->total)) {
		fprintf(stderr, "bench: %s %s: total %.17g count %ld, "
		    "expected %ld\n", l->sp->name, l->key, t, count, l->total);
		*exact = 0;
	}
	return (double)l->total / (t1 - t0);
}

static void
cell(const struct server *ip, const struct server *rd, int window, int k,
    const char *sync, int pairs, double scale)
{
	struct load	 li = { &speak_ipcd, ip->sock, "", 0, k, window };
	struct load	 lr = { &speak_redis, rd->sock, "", 0, k, window };
	double		 iv[64], rv[64], im, rm;
	int		 i, exact = 1;

	li.total = (long)(records[window > 1][strcmp(sync, "never") != 0] *
	    scale);
	if (li.total < k)
		li.total = k;
	lr.total = li.total;
	if (!quick) {
		run(&lr, &exact);	/* warm-up */
		run(&li, &exact);
	}
	for (i = 0; i < pairs; i++) {
		if (i % 2 == 0) {
			rv[i] = run(&lr, &exact);
			iv[i] = run(&li, &exact);
		} else {
			iv[i] = run(&li, &exact);
			rv[i] = run(&lr, &exact);
		}
	}
	rm = side_median(rv, pairs);
	im = side_median(iv, pairs);
	if (!exact)
		failures++;
	printf("redis mode=%s k=%d sync=%s records=%ld pairs=%d "
	    "redis_median=%.0f ipcd_median=%.0f ratio=%.3f redis_min=%.0f "
	    "redis_max=%.0f ipcd_min=%.0f ipcd_max=%.0f target=%.1f exact=%s\n",
	    window > 1 ? "pipelined" : "one", k, sync, li.total, pairs, rm, im,
	    im / rm, rv[0], rv[pairs - 1], iv[0], iv[pairs - 1],
	    window > 1 ? 2.0 : 1.2, exact ? "yes" : "no");
	fflush(stdout);
}

static int
parse_ks(char *s, int *ks)
{
	char	*tok;
	int	 n = 0;

	for (tok = strtok(s, ","); tok != NULL && n < 8; tok = strtok(NULL, ","))
		if ((ks[n++] = atoi(tok)) < 1 || ks[n - 1] > 64)
			side_die("K: 1 to 64");
	return n;
}

int
main(int argc, char **argv)
{
	/* Redis's append-only fsync beside ipcd's sync.  Redis's
	 * "always" syncs once per pass of its loop, before the replies:
	 * ipcd's "batch" does that; ipcd's "always" syncs each entry. */
	static const char *syncs[3][2] = { { "never", NULL },
	    { "always", "always" }, { "batch", "always" } };
	struct server	 ip, rd;
	const char	*rbin = "/usr/bin/redis-server", *ibin, *work;
	char		 klist[64] = "1,4,16";
	int		 ks[8], nk, ch, pairs = 3, y, w, b;
	double		 scale = 1;

	while ((ch = getopt(argc, argv, "qp:k:s:R:")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'p':
			pairs = atoi(optarg);
			break;
		case 'k':
			snprintf(klist, sizeof klist, "%s", optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		case 'R':
			rbin = optarg;
			break;
		default:
			fprintf(stderr, "usage: redis [-q] [-p PAIRS] "
			    "[-k 1,4,16] [-s SCALE] [-R REDIS_SERVER] IPCD "
			    "WORKDIR\n");
			return 2;
		}
	}
	if (argc - optind != 2)
		side_die("usage: redis [options] IPCD WORKDIR");
	ibin = argv[optind];
	work = argv[optind + 1];
	if (quick) {
		pairs = 1;
		scale = scale == 1 ? 0.01 : scale;
		if (strcmp(klist, "1,4,16") == 0)
			snprintf(klist, sizeof klist, "1,4");
	}
	if (pairs < 1 || pairs > 64)
		side_die("pairs: 1 to 64");
	nk = parse_ks(klist, ks);
	signal(SIGPIPE, SIG_IGN);

	for (y = 0; y < 3; y++) {
		if (server_redis(&rd, rbin, work, syncs[y][1]) != 0) {
			printf("redis sync=%s missing=%s (make deps installs "
			    "redis-server): no Redis rows\n", syncs[y][0], rbin);
			return 0;
		}
		server_ipcd(&ip, ibin, work, syncs[y][0], 1000);
		for (w = 0; w < 2; w++)
			for (b = 0; b < nk; b++)
				cell(&ip, &rd, w == 0 ? WINDOW : 1, ks[b],
				    syncs[y][0], pairs, scale);
		server_stop(&ip);
		server_stop(&rd);
	}
	return failures ? 1 : 0;
}
