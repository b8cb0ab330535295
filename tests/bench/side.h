/*
 * What the benchmark's side programs (redis.c, curves.c) share: a private
 * ipcd or redis-server started and stopped, request windows on a Unix
 * socket, and a log-linear latency histogram.
 */
#ifndef IPCD_BENCH_SIDE_H
#define IPCD_BENCH_SIDE_H

#include <stdint.h>
#include <sys/types.h>

/* A server process of the benchmark and the socket it listens on. */
struct server {
	pid_t	 pid;
	char	 sock[108];
	char	 log[4096];
};

/* How a client speaks to one server: its request for a key, and the
 * length of the first complete reply at the start of a buffer (0: not
 * complete yet; -1: not a success, which ends the client). */
struct speech {
	const char	*name;
	size_t		(*request)(char *, size_t, const char *);
	ssize_t		(*reply)(const char *, size_t);
};

extern const struct speech speak_ipcd, speak_redis;

/*
 * An HDR-style histogram of nanoseconds: values below 2^HIST_SUB_BITS
 * exactly, above that HIST_SUBS linear buckets per power of two (a
 * relative error under 1/HIST_SUBS), up to 2^40 ns.
 */
#define HIST_SUB_BITS	5
#define HIST_SUBS	(1 << HIST_SUB_BITS)
#define HIST_BUCKETS	((40 - HIST_SUB_BITS + 1) * HIST_SUBS)
struct hist {
	uint64_t	 n[HIST_BUCKETS];
	uint64_t	 count, max;
};

double	 side_now(void);
void	 side_die(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 server_ipcd(struct server *, const char *, const char *,
	    const char *, long);
int	 server_redis(struct server *, const char *, const char *,
	    const char *);
void	 server_stop(struct server *);
long	 server_rss_kb(const struct server *);
double	 server_cpu(const struct server *);
int	 side_connect(const char *);
int	 side_window(int, const struct speech *, const char *, long, int,
	    struct hist *);
int	 side_blast(int, const struct speech *, const char *,
	    const size_t *, long, long);
char	*side_ask(int, const struct speech *, const char *, char *, size_t);
int	 side_children(int, int (*)(int, void *), void *);
double	 side_median(double *, int);
void	 hist_add(struct hist *, uint64_t);
void	 hist_merge(struct hist *, const struct hist *);
uint64_t hist_quantile(const struct hist *, double);

#endif
