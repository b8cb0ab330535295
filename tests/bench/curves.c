/*
 * curves: how ipcd's costs grow, all at [state] sync = never on the Unix
 * socket.
 *
 *   keys     one ipcd takes distinct keys in steps (1, 1k, 10k, 100k,
 *            1M): at each step its VmRSS, and the rate of pipelined
 *            submissions (one client, 1024 in flight, the requests
 *            formatted before the clock starts so that the client costs
 *            little) spread evenly over the keys it holds;
 *   latency  K = 1, 4, 16 client processes, each one request at a time
 *            on a connection of its own, every request's time from its
 *            write to its reply in a log-linear histogram (side.h):
 *            p50, p99, p99.9 and the largest.
 *
 * Every step checks that ipcd took exactly what was sent (an "ok" per
 * request, "stats" unix.accepted, and the count of the first key).  Lines:
 *
 *   curve keys=N records=R rate_median=... rss_kb=... exact=yes|no
 *   latency k=K requests=N p50_us=... p99_us=... p999_us=... exact=...
 *
 * usage: curves [-q] [-p PAIRS] [-n KEYLIST] [-k KLIST] [-s SCALE]
 *               IPCD WORKDIR
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipcctl.h"
#include "side.h"
#include "xmalloc.h"

static struct conf	 conf;
static struct target	 tg = { .conf = &conf, .timeout = 60, .hello = 1 };
static struct server	 ip;
static int		 quick, failures;

/* The field NAME of ipcd's answer to REQ, as a number; -1 if none. */
static double
ask_field(const char *req, const char *name)
{
	struct conn	 c;
	char		*reply, *cause, v[64];
	double		 d = -1;

	if (conn_open(&c, &tg, &cause) != 0)
		side_die("cannot connect to ipcd: %s", cause);
	if (conn_request(&c, &reply, &cause, "%s", req) == 0 &&
	    reply_field(reply, name, v, sizeof v) == 0)
		d = strtod(v, NULL);
	conn_close(&c);
	return d;
}

/* Requests in flight, as the sender of ipcctl keeps. */
#define WINDOW	1024

/* N records, pipelined on one connection: record i to key "c" (FIRST +
 * i % MOD), all formatted before the clock starts.  Seconds; -1 unless
 * ipcd took every one. */
static double
send_keys(long first, long mod, long n)
{
	static char	*buf;
	static size_t	*ends, cap;
	size_t		 len = 0;
	double		 t0, t1;
	long		 i;
	int		 fd, r;

	if ((size_t)n > cap) {
		free(buf);
		free(ends);
		cap = (size_t)n;
		buf = xmalloc(cap * 32);
		ends = xcalloc(cap, sizeof *ends);
	}
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, 32, "submit c%ld 1\n",
		    first + i % mod);
		ends[i] = len;
	}
	if ((fd = side_connect(ip.sock)) == -1)
		side_die("cannot connect to ipcd");
	t0 = side_now();
	r = side_blast(fd, &speak_ipcd, buf, ends, n, WINDOW);
	t1 = side_now();
	close(fd);
	return r == 0 ? t1 - t0 : -1;
}

/* Keys up to each of NS, and the rate over them (EXPECT: the count key
 * c0 should have). */
static void
keys_curve(const long *ns, int nn, long records, int pairs)
{
	double		 rate[64], t, accepted = 0, c0, base, med, cpu;
	long		 have = 0, expect = 0, sent = 0;
	int		 i, p, exact;

	/* What came before (the latency runs) is not ours to count. */
	base = ask_field("stats", "unix.accepted");
	printf("curve keys=0 records=0 rss_kb=%ld exact=yes\n",
	    server_rss_kb(&ip));
	for (i = 0; i < nn; i++) {
		exact = 1;
		if (send_keys(have, ns[i] - have, ns[i] - have) < 0)
			exact = 0;
		sent += ns[i] - have;
		expect += have == 0;
		have = ns[i];
		cpu = server_cpu(&ip);
		for (p = 0; p < pairs; p++) {
			if ((t = send_keys(0, have, records)) < 0) {
				exact = 0;
				t = 1e9;
			}
			rate[p] = (double)records / t;
			sent += records;
			expect += (records + have - 1) / have;
		}
		cpu = server_cpu(&ip) - cpu;
		accepted = ask_field("stats", "unix.accepted") - base;
		c0 = ask_field("result c0", "count");
		if (accepted != (double)sent || c0 != (double)expect) {
			fprintf(stderr, "bench: curves: accepted %.0f of %ld, "
			    "c0 count %.0f of %ld\n", accepted, sent, c0,
			    expect);
			exact = 0;
		}
		if (!exact)
			failures++;
		med = side_median(rate, pairs);		/* sorts */
		printf("curve keys=%ld records=%ld pairs=%d rate_median=%.0f "
		    "rate_min=%.0f rate_max=%.0f cpu_ns_per_rec=%.0f rss_kb=%ld "
		    "exact=%s\n", have, records, pairs, med, rate[0],
		    rate[pairs - 1], cpu * 1e9 / ((double)records * pairs),
		    server_rss_kb(&ip), exact ? "yes" : "no");
		fflush(stdout);
	}
}

struct lat {
	struct hist	*h;		/* one per client, shared */
	long		 total;
	int		 k;
	char		 key[32];
};

static int
lat_client(int i, void *arg)
{
	const struct lat	*l = arg;
	long			 n = l->total / l->k + (i < l->total % l->k);
	int			 fd, r;

	if ((fd = side_connect(ip.sock)) == -1)
		return 3;
	r = side_window(fd, &speak_ipcd, l->key, n, 1, &l->h[i]);
	close(fd);
	return r == 0 ? 0 : 4;
}

static void
latency(int k, long total)
{
	struct lat	 l = { .total = total < k ? k : total, .k = k };
	struct hist	 all = { { 0 }, 0, 0 };
	char		 req[64];
	int		 i, exact = 1;

	l.h = mmap(NULL, sizeof *l.h * (size_t)k, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l.h == MAP_FAILED)
		side_die("mmap: out of memory");
	snprintf(l.key, sizeof l.key, "lat%d", k);
	if (side_children(k, lat_client, &l) != 0)
		exact = 0;
	for (i = 0; i < k; i++)
		hist_merge(&all, &l.h[i]);
	snprintf(req, sizeof req, "result %s", l.key);
	if (ask_field(req, "count") != (double)l.total ||
	    all.count != (uint64_t)l.total)
		exact = 0;
	if (!exact)
		failures++;
	printf("latency k=%d requests=%ld p50_us=%.1f p99_us=%.1f "
	    "p999_us=%.1f max_us=%.1f exact=%s\n", k, l.total,
	    hist_quantile(&all, 0.5) / 1e3, hist_quantile(&all, 0.99) / 1e3,
	    hist_quantile(&all, 0.999) / 1e3, all.max / 1e3,
	    exact ? "yes" : "no");
	fflush(stdout);
	munmap(l.h, sizeof *l.h * (size_t)k);
}

static int
parse_longs(char *s, long *out, int max)
{
	char	*tok;
	int	 n = 0;

	for (tok = strtok(s, ","); tok != NULL && n < max; tok = strtok(NULL, ","))
		if ((out[n++] = atol(tok)) < 1)
			side_die("%s: not a positive number", tok);
	return n;
}

int
main(int argc, char **argv)
{
	char	 nlist[128] = "1,1000,10000,100000,1000000", klist[64] = "1,4,16";
	long	 ns[16], ks[8], records = 600000, requests = 30000;
	int	 nn, nk, ch, pairs = 3, i;
	double	 scale = 1;

	while ((ch = getopt(argc, argv, "qp:n:k:s:")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'p':
			pairs = atoi(optarg);
			break;
		case 'n':
			snprintf(nlist, sizeof nlist, "%s", optarg);
			break;
		case 'k':
			snprintf(klist, sizeof klist, "%s", optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: curves [-q] [-p PAIRS] "
			    "[-n 1,1000,...] [-k 1,4,16] [-s SCALE] IPCD "
			    "WORKDIR\n");
			return 2;
		}
	}
	if (argc - optind != 2)
		side_die("usage: curves [options] IPCD WORKDIR");
	if (quick) {
		pairs = 1;
		scale = scale == 1 ? 0.005 : scale;
		if (strcmp(nlist, "1,1000,10000,100000,1000000") == 0)
			snprintf(nlist, sizeof nlist, "1,100,2000");
		if (strcmp(klist, "1,4,16") == 0)
			snprintf(klist, sizeof klist, "1,4");
	}
	if (pairs < 1 || pairs > 64)
		side_die("pairs: 1 to 64");
	nn = parse_longs(nlist, ns, 16);
	nk = parse_longs(klist, ks, 8);
	for (i = 1; i < nn; i++)
		if (ns[i] <= ns[i - 1])
			side_die("key counts must grow");
	records = (long)(records * scale);
	requests = (long)(requests * scale);
	if (records < 1)
		records = 1;
	signal(SIGPIPE, SIG_IGN);

	/* Room for every key, and the latency keys. */
	server_ipcd(&ip, argv[optind], argv[optind + 1], "never",
	    ns[nn - 1] + 16);
	conf_defaults(&conf);
	snprintf(conf.unix_.path, sizeof conf.unix_.path, "%s", ip.sock);
	for (i = 0; i < nk; i++)
		latency((int)ks[i], requests);
	keys_curve(ns, nn, records, pairs);
	server_stop(&ip);
	return failures ? 1 : 0;
}
