/*
 * The side programs' common parts (side.h).  Plain blocking sockets: a
 * client here is one process with one connection, like the load
 * generators of bench.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "side.h"

/* Servers to kill if the benchmark dies. */
#define SIDE_SERVERS	8
static pid_t	alive[SIDE_SERVERS];

double
side_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
side_die(const char *fmt, ...)
{
	va_list	ap;
	int	i;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	for (i = 0; i < SIDE_SERVERS; i++)
		if (alive[i] > 0)
			kill(alive[i], SIGKILL);
	exit(2);
}

static void
track(pid_t pid, pid_t was)
{
	int	i;

	for (i = 0; i < SIDE_SERVERS; i++)
		if (alive[i] == was) {
			alive[i] = pid;
			return;
		}
}

/* Fork and exec ARGV with stdout and stderr to S's log; wait until its
 * socket takes a connection.  -1 if it exits first or never does. */
static int
server_spawn(struct server *s, char **argv)
{
	int	fd, i;

	unlink(s->sock);
	if ((s->pid = fork()) == -1)
		side_die("fork: %s", strerror(errno));
	if (s->pid == 0) {
		fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	track(s->pid, 0);
	for (i = 0; i < 1000; i++) {
		if ((fd = side_connect(s->sock)) != -1) {
			close(fd);
			return 0;
		}
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
			break;
		usleep(10000);
	}
	track(0, s->pid);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
	return -1;
}

/* ipcd on WORK/ipcd.sock alone (every other transport off), a fresh
 * state file, [state] sync = SYNC. */
void
server_ipcd(struct server *s, const char *bin, const char *work,
    const char *sync, long max_keys)
{
	char	 conf[4096], state[4096], *argv[4];
	FILE	*f;

	snprintf(conf, sizeof conf, "%s/side-ipcd.conf", work);
	snprintf(state, sizeof state, "%s/side-ipcd.state", work);
	snprintf(s->log, sizeof s->log, "%s/side-ipcd.log", work);
	if ((size_t)snprintf(s->sock, sizeof s->sock, "%s/side-ipcd.sock",
	    work) >= sizeof s->sock)
		side_die("%s: path too long for a socket", work);
	unlink(state);
	if ((f = fopen(conf, "w")) == NULL)
		side_die("%s: %s", conf, strerror(errno));
	fprintf(f, "[unix]\npath = %s\n[fifo]\nenabled = no\n"
	    "[mq]\nenabled = no\n[shm]\nenabled = no\n[sysv]\nenabled = no\n"
	    "[spool]\nenabled = no\n[state]\nfile = %s\nsync = %s\n"
	    "[limits]\nmax_keys = %ld\n", s->sock, state, sync, max_keys);
	fclose(f);
	argv[0] = (char *)(uintptr_t)bin;
	argv[1] = (char *)(uintptr_t)"-c";
	argv[2] = conf;
	argv[3] = NULL;
	if (server_spawn(s, argv) != 0)
		side_die("ipcd did not start (see %s)", s->log);
}

/* redis-server on a private Unix socket (no TCP port), nothing saved,
 * the append-only file on with appendfsync FSYNC unless it is NULL.
 * -1 if BIN is not there. */
int
server_redis(struct server *s, const char *bin, const char *work,
    const char *fsync)
{
	static int	 n;
	char		 dir[2048], *argv[24];
	int		 a = 0;

	if (access(bin, X_OK) != 0)
		return -1;
	snprintf(dir, sizeof dir, "%s/redis.%d", work, ++n);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		side_die("%s: %s", dir, strerror(errno));
	snprintf(s->log, sizeof s->log, "%s/redis.log", dir);
	if ((size_t)snprintf(s->sock, sizeof s->sock, "%s/redis.sock", work) >=
	    sizeof s->sock)
		side_die("%s: path too long for a socket", work);
	argv[a++] = (char *)(uintptr_t)bin;
	argv[a++] = (char *)(uintptr_t)"--port";
	argv[a++] = (char *)(uintptr_t)"0";
	argv[a++] = (char *)(uintptr_t)"--unixsocket";
	argv[a++] = s->sock;
	argv[a++] = (char *)(uintptr_t)"--unixsocketperm";
	argv[a++] = (char *)(uintptr_t)"700";
	argv[a++] = (char *)(uintptr_t)"--dir";
	argv[a++] = dir;
	argv[a++] = (char *)(uintptr_t)"--save";
	argv[a++] = (char *)(uintptr_t)"";
	argv[a++] = (char *)(uintptr_t)"--daemonize";
	argv[a++] = (char *)(uintptr_t)"no";
	argv[a++] = (char *)(uintptr_t)"--appendonly";
	if (fsync == NULL)
		argv[a++] = (char *)(uintptr_t)"no";
	else {
		argv[a++] = (char *)(uintptr_t)"yes";
		argv[a++] = (char *)(uintptr_t)"--appendfsync";
		argv[a++] = (char *)(uintptr_t)fsync;
	}
	argv[a] = NULL;
	if (server_spawn(s, argv) != 0)
		side_die("%s did not start (see %s)", bin, s->log);
	return 0;
}

void
server_stop(struct server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	track(0, s->pid);
	s->pid = -1;
}

long
server_rss_kb(const struct server *s)
{
	char	 path[64], line[256];
	long	 kb = -1;
	FILE	*f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)s->pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The CPU time S has used (user and system), in seconds. */
double
server_cpu(const struct server *s)
{
	char		 path[64], buf[4096], *p;
	unsigned long	 ut, st;
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)s->pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after the ")" of the name: state, then utime and stime are the
	 * 12th and 13th numbers */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
	    &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

int
side_connect(const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd;

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * N requests for KEY on FD, at most WINDOW of them unanswered: each read
 * of replies tops the window up again in one write.  With H, each
 * request's time from its write to its reply goes in (WINDOW 1).
 * -1 on a failed write, read or reply, said on stderr.
 */
int
side_window(int fd, const struct speech *sp, const char *key, long n,
    int window, struct hist *h)
{
	static char	 in[65536];
	char		 req[256], *out;
	size_t		 rlen, len = 0, off;
	long		 sent = 0, done = 0;
	ssize_t		 r, u = 0;
	uint64_t	 t0 = 0;
	int		 m, i;

	rlen = sp->request(req, sizeof req, key);
	if ((out = malloc(rlen * (size_t)window)) == NULL)
		side_die("out of memory");
	for (i = 0; i < window; i++)
		memcpy(out + rlen * (size_t)i, req, rlen);
	while (done < n) {
		for (m = 0; sent - done < window && sent < n; m++)
			sent++;
		if (h != NULL)
			t0 = now_ns();
		if (m > 0 && write_all(fd, out, rlen * (size_t)m) != 0)
			break;
		if ((r = read(fd, in + len, sizeof in - len)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			break;
		}
		len += (size_t)r;
		for (off = 0; (u = sp->reply(in + off, len - off)) > 0;
		    off += (size_t)u) {
			done++;
			if (h != NULL)
				hist_add(h, now_ns() - t0);
		}
		if (u < 0)
			break;
		memmove(in, in + off, len - off);
		len -= off;
	}
	free(out);
	if (done == n)
		return 0;
	fprintf(stderr, "bench: %s: %ld of %ld replies%s%.*s\n", sp->name,
	    done, n, u < 0 ? ", then: " : "", u < 0 ? (int)strcspn(in, "\r\n") :
	    0, in);
	return -1;
}

/*
 * The N requests in BUF (each ending at ENDS[i]) on FD, with at most
 * WINDOW of them unanswered: the client's own cost is a memcpy, so what
 * is measured is the server's.  -1 on a failed write, read or reply.
 */
int
side_blast(int fd, const struct speech *sp, const char *buf,
    const size_t *ends, long n, long window)
{
	static char	 in[65536];
	struct pollfd	 pfd = { .fd = fd };
	size_t		 off = 0, len = 0, used, lim;
	long		 done = 0;
	ssize_t		 r, u = 0;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (done < n) {
		lim = ends[(done + window < n ? done + window : n) - 1];
		pfd.events = POLLIN | (off < lim ? POLLOUT : 0);
		if (poll(&pfd, 1, -1) == -1)
			continue;
		if ((pfd.revents & POLLOUT) && off < lim) {
			if ((r = write(fd, buf + off, lim - off)) == -1 &&
			    errno != EAGAIN && errno != EINTR)
				break;
			if (r > 0)
				off += (size_t)r;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if ((r = read(fd, in + len, sizeof in - len)) <= 0) {
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			break;
		}
		len += (size_t)r;
		for (used = 0; (u = sp->reply(in + used, len - used)) > 0;
		    used += (size_t)u)
			done++;
		if (u < 0)
			break;
		memmove(in, in + used, len - used);
		len -= used;
	}
	if (done == n)
		return 0;
	fprintf(stderr, "bench: %s: %ld of %ld replies\n", sp->name, done, n);
	return -1;
}

/* Send REQ on FD and read its one reply into BUF (NUL-terminated, at
 * most SIZE - 1 bytes); NULL if none came or it is not a success. */
char *
side_ask(int fd, const struct speech *sp, const char *req, char *buf,
    size_t size)
{
	size_t	len = 0;
	ssize_t	r;

	if (write_all(fd, req, strlen(req)) != 0)
		return NULL;
	while (len < size - 1) {
		if ((r = read(fd, buf + len, size - 1 - len)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			return NULL;
		}
		len += (size_t)r;
		buf[len] = '\0';
		if ((r = sp->reply(buf, len)) != 0)
			return r > 0 ? buf : NULL;
	}
	return NULL;
}

/* K children running FN(i, ARG), its return their exit status; 0 when
 * every one exits 0. */
int
side_children(int k, int (*fn)(int, void *), void *arg)
{
	pid_t	pid[64];
	int	i, st, bad = 0;

	if (k > 64)
		side_die("at most 64 clients");
	for (i = 0; i < k; i++) {
		if ((pid[i] = fork()) == -1)
			side_die("fork: %s", strerror(errno));
		if (pid[i] == 0)
			_exit(fn(i, arg));
	}
	for (i = 0; i < k; i++) {
		while (waitpid(pid[i], &st, 0) == -1 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}

static int
cmpd(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
side_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmpd);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --- the speeches ------------------------------------------------------ */

static size_t
ipcd_request(char *buf, size_t size, const char *key)
{
	return (size_t)snprintf(buf, size, "submit %s 1\n", key);
}

/* One line; ipcd's successes start "ok". */
static ssize_t
ipcd_reply(const char *buf, size_t len)
{
	const char	*nl = memchr(buf, '\n', len);

	if (nl == NULL)
		return 0;
	return len >= 2 && buf[0] == 'o' && buf[1] == 'k' ?
	    nl - buf + 1 : -1;
}

const struct speech speak_ipcd = { "ipcd", ipcd_request, ipcd_reply };

static size_t
redis_request(char *buf, size_t size, const char *key)
{
	return (size_t)snprintf(buf, size, "*3\r\n$11\r\nINCRBYFLOAT\r\n"
	    "$%zu\r\n%s\r\n$1\r\n1\r\n", strlen(key), key);
}

/* A RESP reply: a bulk string ("$LEN\r\nDATA\r\n", or "$-1\r\n"), a
 * simple string or an integer; an error ("-...") or anything else is
 * not a success. */
static ssize_t
redis_reply(const char *buf, size_t len)
{
	const char	*crlf = memmem(buf, len, "\r\n", 2);
	long		 blen;
	size_t		 head;

	if (crlf == NULL)
		return 0;
	head = (size_t)(crlf - buf) + 2;
	if (buf[0] == '+' || buf[0] == ':')
		return (ssize_t)head;
	if (buf[0] != '$')
		return -1;
	blen = strtol(buf + 1, NULL, 10);
	if (blen < 0)
		return (ssize_t)head;
	if (len < head + (size_t)blen + 2)
		return 0;
	return (ssize_t)(head + (size_t)blen + 2);
}

const struct speech speak_redis = { "redis", redis_request, redis_reply };

/* --- the histogram ----------------------------------------------------- */

static unsigned
hist_index(uint64_t v)
{
	unsigned	e;

	if (v < HIST_SUBS)
		return (unsigned)v;
	if (v >= (uint64_t)1 << 40)
		v = ((uint64_t)1 << 40) - 1;
	e = 63 - (unsigned)__builtin_clzll(v);
	return (e - HIST_SUB_BITS + 1) * HIST_SUBS +
	    (unsigned)(v >> (e - HIST_SUB_BITS)) - HIST_SUBS;
}

/* The highest value that falls in bucket I. */
static uint64_t
hist_value(unsigned i)
{
	unsigned	g = i / HIST_SUBS, shift;
	uint64_t	m = i % HIST_SUBS + HIST_SUBS;

	if (g == 0)
		return i;
	shift = g - 1;
	return ((m + 1) << shift) - 1;
}

void
hist_add(struct hist *h, uint64_t v)
{
	h->n[hist_index(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

void
hist_merge(struct hist *a, const struct hist *b)
{
	unsigned	i;

	for (i = 0; i < HIST_BUCKETS; i++)
		a->n[i] += b->n[i];
	a->count += b->count;
	if (b->max > a->max)
		a->max = b->max;
}

/* The value at quantile Q (0 to 1): the top of its bucket, at most the
 * largest value seen. */
uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t	want = (uint64_t)(q * (double)h->count + 0.999999), seen = 0;
	unsigned	i;

	if (want == 0)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++)
		if ((seen += h->n[i]) >= want)
			break;
	if (i == HIST_BUCKETS)
		return h->max;
	return hist_value(i) < h->max ? hist_value(i) : h->max;
}
