/*
 * bench: ipcd against the cheapest correct consumer of the same load.
 *
 * For each transport (fifo, mq, unix pipelined, unix one request at a
 * time, shm, tcp pipelined, sysv) and K concurrent client processes, the
 * same client load
 * (client/send.c, as ipcctl sends) runs against
 *
 *   RAW   a bare epoll sink in a forked process that reads the same
 *         records, sums them with strtod and exits once it has them all
 *         (the socket sinks, Unix and TCP on loopback, also answer "ok\n"
 *         per request; the spool sink is woken by inotify, reads each file
 *         whole and unlinks it); for sysv, a bare loop of blocking msgrcv
 *         on a queue of its own; for shm, a bare consumer of a
 *         segment laid out as ipcd's (common/shm.h) that the same
 *         client attaches to: it reads each record of the per-producer
 *         rings, checks it and adds it, and sleeps on the same kind of
 *         doorbell (see sink_shm);
 *   IPCD  the real ipcd, started here on private paths and names; the
 *         clock stops when "result KEY" on the socket shows the exact
 *         count and total (a fresh key per run, every value 1).
 *
 * RAW and IPCD runs alternate (after one warm-up pair).  One line per
 * cell on stdout:
 *
 *   bench transport=T k=K sync=S raw_median=... ipcd_median=... ratio=...
 *
 * and after each shm cell a second reference line, K processes doing
 * sem_wait; add to a shared double; sem_post (no IPC, no consumer):
 *
 *   ref transport=shm-sem k=K sync=S median=... ipcd_ratio=...
 *
 * mqdeep is mq with a queue of MQ_DEEP messages, the depth the installed
 * socket unit gives ipcd's queue (systemd/ipcd-mq.socket.in).
 *
 * usage: bench [-q] [-p PAIRS] [-s SCALE] [-k LIST] [-t LIST] [-y LIST]
 *              [-i LIST] IPCD_BINARY WORKDIR
 *        bench -O N CMD [ARG...]
 *   -q  quick: tiny runs, one pair; checks exactness, judges no speed.
 *   -i  the transports of the client-path rows (build/ipcctl beside the
 *       benchmark's client), "none" for none.
 *   -O  one-shot cost: run CMD N times in a row, print the time of one.
 *
 * Exit status 0 when every IPCD run came out exact, 1 otherwise.
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipcctl.h"
#include "shm.h"
#include "sysvkey.h"
#include "xmalloc.h"

/* Where the clients send: ipcd's paths, or the raw sinks' (which speak
 * no "hello"); handed to the senders, never swapped under them. */
static struct conf	ipcd_conf, raw_conf;
static struct target	ipcd_tg = { .conf = &ipcd_conf, .timeout = 60,
			    .hello = 1 };
static struct target	raw_tg = { .conf = &raw_conf, .timeout = 60 };

enum tr { T_FIFO, T_MQ, T_UNIX, T_UNIX1, T_SHM, T_TCP, T_SYSV, T_SPOOL,
    T_MQDEEP, T_N };
static const char *trname[T_N] = { "fifo", "mq", "unix", "unix1", "shm",
    "tcp", "sysv", "spool", "mqdeep" };
/* Records per run (all clients together) at scale 1. */
static const long trrecs[T_N] = { 1200000, 100000, 900000, 6000, 3000000,
    900000, 300000, 1200000, 100000 };

/* The mqdeep queues (both ipcd's and the raw sink's): the installed
 * socket unit's depth.  Their message size is smaller than the unit's
 * 1024 only so that both fit in root's RLIMIT_MSGQUEUE (819,200 bytes,
 * shared with every other queue of root's) side by side; the kernel
 * copies only what is sent, so the size does not change speed. */
#define MQ_DEEP		256
#define MQ_DEEP_SIZE	256
static long	mq_deep = MQ_DEEP;	/* less if that cannot be made here */

static const char	*ipcd_bin, *work;
static char		 conf_path[4096], raw_fifo[4096], raw_sock[4096];
static char		 raw_spool[4096];
static char		 raw_mq[64], ipcd_name[64];
static pid_t		 ipcd_pid = -1;
static int		 quick, failures;
static int		 raw_tcp = -1;	/* the TCP sink's listener, made once */
static unsigned		 ipcd_port;
static unsigned long	 runno;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (ipcd_pid > 0)
		kill(ipcd_pid, SIGKILL);
	exit(2);
}

/* --- RAW sinks ------------------------------------------------------- */

/* Sum the complete lines of buf[0..len): the value is the token after
 * `skip` tokens.  Returns the bytes consumed. */
static size_t
sum_lines(char *buf, size_t len, int skip, double *sum, long *count)
{
	char	*p = buf, *end = buf + len, *nl;
	int	 i;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		*nl = '\0';
		for (i = 0; i < skip; i++) {
			p = strchr(p, ' ');
			if (p == NULL)
				die("sink: short line");
			p++;
		}
		*sum += strtod(p, NULL);
		(*count)++;
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

struct sconn {
	int	fd;
	size_t	len;
	char	in[65536];
	char	*out;
	size_t	outlen, outcap;
};

/* Remove the System V queue of [sysv] key V, which nobody else does. */
static void
sysv_remove(const char *v, const char *sock)
{
	key_t	 k;
	char	*cause;
	int	 q;

	if (sysvkey_resolve(v, sock, &k, &cause) != 0) {
		free(cause);
		return;
	}
	if ((q = msgget(k, 0)) != -1)
		msgctl(q, IPC_RMID, NULL);
}

/* The bare System V consumer: a fresh queue, blocking msgrcv, strtod. */
static void
sink_sysv(long want, int ready, int res)
{
	struct { long mtype; char mtext[IPCD_LINE_MAX + 1]; } m;
	double	 sum = 0;
	long	 count = 0;
	ssize_t	 n;
	key_t	 k;
	char	*cause;
	int	 q;

	sysv_remove(raw_conf.sysv.key, raw_sock);
	if (sysvkey_resolve(raw_conf.sysv.key, raw_sock, &k, &cause) != 0)
		die("sink: %s", cause);
	if ((q = msgget(k, IPC_CREAT | IPC_EXCL | 0600)) == -1)
		die("sink: msgget: %s", strerror(errno));
	if (write(ready, "r", 1) != 1)
		die("sink: ready");
	while (count < want) {
		if ((n = msgrcv(q, &m, sizeof m.mtext - 1, 0, 0)) == -1) {
			if (errno == EINTR)
				continue;
			die("sink: msgrcv: %s", strerror(errno));
		}
		if (n == 0 || m.mtext[n - 1] != '\n')
			m.mtext[n++] = '\n';
		sum_lines(m.mtext, (size_t)n, 1, &sum, &count);
	}
	msgctl(q, IPC_RMID, NULL);
	if (write(res, &sum, sizeof sum) != sizeof sum)
		_exit(1);
	_exit(0);
}

/* The bare spool consumer: each file named by the inotify events in BUF
 * read whole, summed, unlinked. */
static void
spool_take(char *buf, size_t len, double *sum, long *count)
{
	const struct inotify_event	*ev;
	struct stat			 sb;
	char				*p, *data;
	int				 fd, dfd;

	if ((dfd = open(raw_spool, O_RDONLY | O_DIRECTORY)) == -1)
		die("sink: %s: %s", raw_spool, strerror(errno));
	for (p = buf; p < buf + len; p += sizeof *ev + ev->len) {
		ev = (const struct inotify_event *)(void *)p;
		if (ev->len == 0 || ev->name[0] == '.')
			continue;
		if ((fd = openat(dfd, ev->name, O_RDONLY)) == -1 ||
		    fstat(fd, &sb) == -1)
			die("sink: %s: %s", ev->name, strerror(errno));
		data = malloc((size_t)sb.st_size + 1);
		if (read(fd, data, (size_t)sb.st_size) != sb.st_size)
			die("sink: short read of %s", ev->name);
		close(fd);
		sum_lines(data, (size_t)sb.st_size, 1, sum, count);
		free(data);
		unlinkat(dfd, ev->name, 0);
	}
	close(dfd);
}

/* --- the bare shared-memory consumer -------------------------------- */

#define RAW_SHM_SLOTS	64	/* bench forks at most 64 clients */

/* A segment laid out as ipcd makes it (common/shm.h), so that the same
 * client attaches to it: the header, a doorbell semaphore, ipcd's lock
 * byte (held through a descriptor left open until the sink exits). */
static struct shm_hdr *
raw_segment(size_t size, int *semid)
{
	struct flock	 fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = SHM_LOCK_DAEMON, .l_len = 1 };
	struct shm_hdr	*h;
	struct stat	 st;
	int		 fd;

	shm_unlink(raw_mq);
	if ((fd = shm_open(raw_mq, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1 ||
	    ftruncate(fd, (off_t)size) == -1 || fstat(fd, &st) == -1 ||
	    fcntl(fd, F_OFD_SETLK, &fl) == -1)
		die("sink: shm %s: %s", raw_mq, strerror(errno));
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED || (*semid = shm_bell_create(&st)) == -1)
		die("sink: shm %s: %s", raw_mq, strerror(errno));
	h->version = SHM_VERSION;
	h->nslots = RAW_SHM_SLOTS;
	h->ring = SHM_RING;
	h->recsize = sizeof(struct shm_rec);
	h->size = size;
	atomic_store(&h->daemon_pid, (uint32_t)getpid());
	atomic_store(&h->semid, *semid);
	atomic_store_explicit(&h->magic, SHM_MAGIC, memory_order_release);
	return h;
}

/* Read the records ring R published since *TAIL in place, check each as
 * ipcd must (key, value, part) and add it; store tail and done (there is
 * nothing to commit).  How many. */
static long
raw_ring_take(struct shm_ring *g, uint64_t *tail, double *sum)
{
	const struct shm_rec	*r;
	uint64_t		 head, t;

	head = atomic_load_explicit(&g->head, memory_order_acquire);
	if (head == *tail)
		return 0;
	for (t = *tail; t != head; t++) {
		r = &g->rec[t % SHM_RING];
		if (!key_valid(r->key, r->keylen) || !isfinite(r->value) ||
		    !part_valid(r->part, r->nparts))
			die("sink: a bad shm record");
		*sum += r->value;
	}
	t = head - *tail;
	*tail = head;
	atomic_store_explicit(&g->tail, head, memory_order_release);
	atomic_store_explicit(&g->done, head, memory_order_release);
	return (long)t;
}

/*
 * The bare shm consumer: the held slots' rings, one per producer, read
 * as above, looked at again at once while records come.  When a look
 * finds none it sleeps on the doorbell semaphore as ipcd's doorbell
 * thread does (shm.h), but without ipcd's hand-off from that thread to
 * its event loop; the producers ring it as they ring ipcd's.
 */
static void
sink_shm(long want, int ready, int res)
{
	uint64_t	 tail[RAW_SHM_SLOTS] = { 0 };
	struct shm_hdr	*h;
	uint32_t	 i, seen;
	double		 sum = 0;
	long		 count = 0, got;
	int		 semid, rc;

	h = raw_segment(shm_size(RAW_SHM_SLOTS), &semid);
	if (write(ready, "r", 1) != 1)
		die("sink: ready");
	seen = atomic_load(&h->doorbell);
	while (count < want) {
		for (got = 0, i = 0; i < RAW_SHM_SLOTS; i++)
			if (atomic_load_explicit(&h->slot[i].owner,
			    memory_order_relaxed) != 0)
				got += raw_ring_take(shm_ring_at(h,
				    RAW_SHM_SLOTS, shm_ring_of(i, 0)), &tail[i],
				    &sum);
		count += got;
		if (got > 0)
			continue;
		atomic_store(&h->sleeping, 1);
		rc = 1;
		if (atomic_load(&h->doorbell) == seen)
			rc = shm_bell_wait(semid, 1000);
		atomic_store(&h->sleeping, 0);
		if (rc == 0 && atomic_load(&h->doorbell) == seen)
			shm_bell_reset(semid);	/* a late racer's post */
		seen = atomic_load(&h->doorbell);
	}
	shm_bell_remove(semid);
	shm_unlink(raw_mq);
	if (write(res, &sum, sizeof sum) != sizeof sum)
		_exit(1);
	_exit(0);
}

/* The sink process: reads until `want` records, then writes the sum to
 * `res` and exits.  `ready` is written once it accepts records. */
static void
sink(enum tr t, long want, int ready, int res)
{
	struct epoll_event	 ev, evs[64];
	double			 sum = 0;
	long			 count = 0;
	int			 ep, lfd = -1, fd = -1, n, i;
	mqd_t			 mq = (mqd_t)-1;
	static char		 buf[65536];
	static struct sconn	*conns[256];
	int			 nconns = 0;
	size_t			 len = 0;

	if (t == T_SYSV)
		sink_sysv(want, ready, res);
	if (t == T_SHM)
		sink_shm(want, ready, res);
	ep = epoll_create1(0);
	if (t == T_SPOOL) {
		mkdir(raw_spool, 0700);
		fd = inotify_init1(IN_NONBLOCK);
		if (fd == -1 || inotify_add_watch(fd, raw_spool, IN_MOVED_TO) == -1)
			die("sink: inotify %s: %s", raw_spool, strerror(errno));
	} else if (t == T_FIFO) {
		if ((fd = open(raw_fifo, O_RDWR | O_NONBLOCK)) == -1)
			die("sink: %s: %s", raw_fifo, strerror(errno));
	} else if (t == T_MQ || t == T_MQDEEP) {
		struct mq_attr a = { .mq_maxmsg = raw_conf.mq.max_messages,
		    .mq_msgsize = raw_conf.mq.message_size };

		if (t == T_MQDEEP) {
			a.mq_maxmsg = mq_deep;
			a.mq_msgsize = MQ_DEEP_SIZE;
		}
		mq_unlink(raw_mq);
		mq = mq_open(raw_mq, O_RDONLY | O_CREAT | O_NONBLOCK, 0600, &a);
		if (mq == (mqd_t)-1)
			die("sink: mq_open: %s", strerror(errno));
		fd = (int)mq;
	} else if (t == T_TCP) {
		fd = lfd = raw_tcp;
	} else {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		unlink(raw_sock);
		strcpy(sun.sun_path, raw_sock);
		lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (bind(lfd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
		    listen(lfd, 128) == -1)
			die("sink: %s: %s", raw_sock, strerror(errno));
		fd = lfd;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	if (write(ready, "r", 1) != 1)
		die("sink: ready");

	while (count < want) {
		n = epoll_wait(ep, evs, 64, -1);
		if (n == -1 && errno == EINTR)
			continue;
		for (i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;
			ssize_t r;

			if (t == T_SPOOL) {
				while ((r = read(fd, buf, sizeof buf)) > 0)
					spool_take(buf, (size_t)r, &sum, &count);
			} else if (t == T_FIFO) {
				while ((r = read(fd, buf + len,
				    sizeof buf - len)) > 0) {
					len += (size_t)r;
					size_t u = sum_lines(buf, len, 1,
					    &sum, &count);
					memmove(buf, buf + u, len - u);
					len -= u;
				}
			} else if (t == T_MQ || t == T_MQDEEP) {
				while ((r = mq_receive(mq, buf, sizeof buf,
				    NULL)) > 0) {
					if (buf[r - 1] != '\n')
						buf[r++] = '\n';
					sum_lines(buf, (size_t)r, 1, &sum,
					    &count);
				}
			} else if (c == NULL) {
				int cfd;

				while ((cfd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) != -1) {
					int one = 1;

					/* As ipcd does. */
					if (t == T_TCP)
						setsockopt(cfd, IPPROTO_TCP,
						    TCP_NODELAY, &one,
						    sizeof one);
					c = calloc(1, sizeof *c);
					c->fd = cfd;
					if (nconns < 256)
						conns[nconns++] = c;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				}
			} else {
				if (evs[i].events & EPOLLIN) {
					r = read(c->fd, c->in + c->len,
					    sizeof c->in - c->len);
					if (r <= 0) {
						epoll_ctl(ep, EPOLL_CTL_DEL,
						    c->fd, NULL);
						c->outlen = 0;
						continue;
					}
					c->len += (size_t)r;
					long before = count;
					size_t u = sum_lines(c->in, c->len, 2,
					    &sum, &count);
					memmove(c->in, c->in + u, c->len - u);
					c->len -= u;
					size_t need = c->outlen +
					    3 * (size_t)(count - before);
					if (need > c->outcap) {
						c->outcap = need * 2;
						c->out = realloc(c->out,
						    c->outcap);
					}
					for (; before < count; before++) {
						memcpy(c->out + c->outlen,
						    "ok\n", 3);
						c->outlen += 3;
					}
				}
				if (c->outlen > 0) {
					r = write(c->fd, c->out, c->outlen);
					if (r > 0) {
						memmove(c->out, c->out + r,
						    c->outlen - (size_t)r);
						c->outlen -= (size_t)r;
					}
					ev.events = EPOLLIN |
					    (c->outlen > 0 ? EPOLLOUT : 0);
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd,
					    &ev);
				}
			}
		}
	}
	/* The socket clients wait for their last replies: finish them. */
	for (i = 0; i < nconns; i++) {
		struct sconn *c = conns[i];
		ssize_t r;

		fcntl(c->fd, F_SETFL, 0);
		while (c->outlen > 0 && (r = write(c->fd, c->out,
		    c->outlen)) > 0) {
			memmove(c->out, c->out + r, c->outlen - (size_t)r);
			c->outlen -= (size_t)r;
		}
	}
	if (write(res, &sum, sizeof sum) != sizeof sum)
		_exit(1);
	if (t == T_MQ || t == T_MQDEEP)
		mq_unlink(raw_mq);
	_exit(0);
}

/* --- the client load -------------------------------------------------- */

static void
client(const struct target *tg, enum tr t, const char *key, long n)
{
	struct record	 r = { .value = 1 };
	struct tally	 tl = { 0 };
	const struct sender *s;
	char		*cause = NULL, line[IPCD_LINE_MAX];
	void		*h;
	long		 i;
	int		 len;

	snprintf(r.key, sizeof r.key, "%s", key);
	if (t == T_UNIX1) {
		struct conn	 c;
		char		*reply;

		if (conn_open(&c, tg, &cause) != 0)
			_exit(3);
		for (i = 0; i < n; i++)
			if (conn_request(&c, &reply, &cause, "submit %s 1",
			    key) != 0)
				_exit(4);
		conn_close(&c);
		_exit(0);
	}
	s = sender_find(t == T_MQDEEP ? "mq" : trname[t]);
	if ((h = sender_open(s, tg, &cause)) == NULL) {
		fprintf(stderr, "bench: client: %s\n", cause);
		_exit(3);
	}
	/* The record line made once, as ipcctl sends what it read. */
	if ((len = record_format(line, sizeof line, &r)) < 0)
		_exit(4);
	for (i = 0; i < n; i++)
		if (sender_put_line(s, h, &r, line, (size_t)len, &tl) != 0)
			break;
	if (sender_close(s, h, &tl) != 0 || tl.accepted != (unsigned long)n) {
		fprintf(stderr, "bench: client: %s\n", tl.cause != NULL ?
		    tl.cause : "not every record was taken");
		_exit(4);
	}
	_exit(0);
}

/* Fork K clients that send `total` records between them; 0 when all of
 * them exit 0. */
static int
clients(const struct target *tg, enum tr t, const char *key, int k, long total)
{
	pid_t	pid[64];
	int	i, st, bad = 0;

	for (i = 0; i < k; i++) {
		long n = total / k + (i < total % k);

		if ((pid[i] = fork()) == 0)
			client(tg, t, key, n);
		if (pid[i] == -1)
			die("fork: %s", strerror(errno));
	}
	for (i = 0; i < k; i++) {
		while (waitpid(pid[i], &st, 0) == -1 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* The second shm reference: K processes, sem_wait; add; sem_post on a
 * shared double, no IPC and no consumer. */
struct semsum {
	sem_t	sem;
	double	sum;
};

static double
shm_sem_loop(int k, long total, double *sum)
{
	struct semsum	*s;
	pid_t		 pid[64];
	double		 t0, t1;
	int		 i, st;

	s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	sem_init(&s->sem, 1, 1);
	s->sum = 0;
	t0 = now();
	for (i = 0; i < k; i++) {
		long n = total / k + (i < total % k), j;

		if ((pid[i] = fork()) == 0) {
			for (j = 0; j < n; j++) {
				while (sem_wait(&s->sem) == -1)
					;
				s->sum += 1.0;
				sem_post(&s->sem);
			}
			_exit(0);
		}
	}
	for (i = 0; i < k; i++)
		waitpid(pid[i], &st, 0);
	t1 = now();
	*sum = s->sum;
	sem_destroy(&s->sem);
	munmap(s, sizeof *s);
	return t1 - t0;
}

/* One RAW run: seconds. */
static double
raw_run(enum tr t, int k, long total)
{
	int		 rp[2], sp[2], st;
	double		 t0, t1, sum = 0;
	pid_t		 spid;
	char		 c;

	if (pipe(rp) == -1 || pipe(sp) == -1)
		die("pipe");
	if ((spid = fork()) == 0) {
		close(rp[0]);
		close(sp[0]);
		sink(t, total, rp[1], sp[1]);
	}
	close(rp[1]);
	close(sp[1]);
	if (read(rp[0], &c, 1) != 1)
		die("raw sink did not start");
	t0 = now();
	if (clients(&raw_tg, t, "raw", k, total) != 0)
		die("raw %s: a client failed", trname[t]);
	if (read(sp[0], &sum, sizeof sum) != sizeof sum)
		die("raw %s: the sink died", trname[t]);
	t1 = now();
	waitpid(spid, &st, 0);
	close(rp[0]);
	close(sp[0]);
	if (sum != (double)total)
		die("raw %s: sum %.17g, expected %ld", trname[t], sum, total);
	return t1 - t0;
}

/* --- IPCD ------------------------------------------------------------- */

static long long
ipcd_cpu_ticks(void)
{
	char		 path[64], buf[4096], *p;
	unsigned long	 ut, stt;
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)ipcd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	/* after ")": state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &stt) != 2)
		return 0;
	return (long long)(ut + stt);
}

static long
ipcd_rss_kb(void)
{
	char	 path[64], line[256];
	long	 kb = -1;
	FILE	*f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)ipcd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
write_conf(const char *sync, long max_keys)
{
	FILE	*f;

	if ((f = fopen(conf_path, "w")) == NULL)
		die("%s: %s", conf_path, strerror(errno));
	fprintf(f, "[unix]\npath = %s/ipcd.sock\n[fifo]\npath = %s/ipcd.fifo\n"
	    "[mq]\nname = %s\n[shm]\nname = %s\n[spool]\ndir = %s/spool\n"
	    "[state]\nfile = %s/state\nsync = %s\n[limits]\nmax_keys = %ld\n"
	    "[tcp]\nenabled = yes\nlisten = 127.0.0.1:%u\n", work, work,
	    ipcd_name, ipcd_name, work, work, sync, max_keys, ipcd_port);
	fclose(f);
}

static void
ipcd_start(const char *sync, long max_keys)
{
	char	 log[4200], state[4200], *err = NULL;
	struct conn c;
	int	 i, fd;

	write_conf(sync, max_keys);
	snprintf(state, sizeof state, "%s/state", work);
	unlink(state);
	conf_defaults(&ipcd_conf);
	if (conf_load(conf_path, &ipcd_conf, &err) != 0)
		die("config: %s", err ? err : "?");
	snprintf(log, sizeof log, "%s/ipcd.log", work);
	if ((ipcd_pid = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(ipcd_bin, ipcd_bin, "-c", conf_path, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (conn_open(&c, &ipcd_tg, &err) == 0) {
			conn_close(&c);
			return;
		}
		free(err);
		if (waitpid(ipcd_pid, NULL, WNOHANG) == ipcd_pid)
			break;
		usleep(25000);
	}
	ipcd_pid = -1;
	die("ipcd did not start (see %s)", log);
}

static void
ipcd_stop(void)
{
	if (ipcd_pid <= 0)
		return;
	kill(ipcd_pid, SIGTERM);
	waitpid(ipcd_pid, NULL, 0);
	ipcd_pid = -1;
}

/* --- mqdeep: ipcd's queue made deep, as the installed socket unit does -- */

/* /proc/sys/fs/mqueue/msg_max, or 0. */
static long
mq_msg_max(void)
{
	FILE	*fp;
	long	 max = 0;

	if ((fp = fopen("/proc/sys/fs/mqueue/msg_max", "r")) != NULL) {
		if (fscanf(fp, "%ld", &max) != 1)
			max = 0;
		fclose(fp);
	}
	return max;
}

/* Queues deeper than msg_max need CAP_SYS_RESOURCE, which root may lack
 * in a container: then the whole bench moves to an IPC namespace of its
 * own where the limit is raised (the queues of all rows live there; speed
 * is the same).  Before any run. */
static void
mq_deep_prepare(void)
{
	FILE	*fp;

	if (mq_msg_max() >= MQ_DEEP || unshare(CLONE_NEWIPC) != 0)
		return;
	if ((fp = fopen("/proc/sys/fs/mqueue/msg_max", "w")) != NULL) {
		fprintf(fp, "%d\n", MQ_DEEP);
		fclose(fp);
	}
}

/* Restart ipcd on a queue made deep beforehand, as the socket unit makes
 * it (ipcd keeps an existing queue's sizes): MQ_DEEP messages, or if that
 * is refused (no privilege, or root's queue memory used up), as many as
 * msg_max allows, and the line before the rows says so. */
static int
mq_deep_begin(const char *sync)
{
	struct mq_attr	a = { .mq_maxmsg = MQ_DEEP, .mq_msgsize = MQ_DEEP_SIZE };
	mqd_t		q;
	int		e;

	ipcd_stop();
	mq_unlink(ipcd_name);
	q = mq_open(ipcd_name, O_RDONLY | O_CREAT | O_EXCL, 0620, &a);
	if (q == (mqd_t)-1 && (e = errno, a.mq_maxmsg = mq_msg_max()) > 0) {
		printf("# mqdeep: %d messages: %s; %ld instead\n", MQ_DEEP,
		    strerror(e), (long)a.mq_maxmsg);
		q = mq_open(ipcd_name, O_RDONLY | O_CREAT | O_EXCL, 0620, &a);
	}
	if (q == (mqd_t)-1) {
		printf("# mqdeep skipped: a queue of %ld x %ld bytes: %s\n",
		    (long)a.mq_maxmsg, (long)a.mq_msgsize, strerror(errno));
		ipcd_start(sync, 100000);
		return -1;
	}
	mq_deep = a.mq_maxmsg;
	mq_close(q);
	ipcd_start(sync, 100000);
	return 0;
}

/* Back to a queue of ipcd's own making. */
static void
mq_deep_end(const char *sync)
{
	ipcd_stop();
	mq_unlink(ipcd_name);
	ipcd_start(sync, 100000);
}

/* Poll "result KEY" until it shows count and total; 0 when exact. */
static int
ipcd_wait(struct conn *c, const char *key, long total, double limit)
{
	char	*reply, *cause, v[64];
	double	 until = now() + limit;
	int	 r;
	long	 count = 0;
	double	 tot = 0;

	for (;;) {
		r = conn_request(c, &reply, &cause, "result %s", key);
		if (r == CONN_FAIL)
			free(cause);
		else if (r == 0 && reply_field(reply, "count", v, sizeof v) == 0) {
			count = strtol(v, NULL, 10);
			if (reply_field(reply, "total", v, sizeof v) == 0)
				tot = strtod(v, NULL);
			if (count >= total)
				break;
		}
		if (now() > until)
			break;
		usleep(200);
	}
	if (count == total && tot == (double)total)
		return 0;
	fprintf(stderr, "bench: key %s: count %ld total %.17g, expected %ld\n",
	    key, count, tot, total);
	return -1;
}

/* One IPCD run: seconds; the CPU ticks ipcd used are added to *ticks. */
static double
ipcd_run(enum tr t, int k, long total, long long *ticks, int *exact)
{
	struct conn	 c;
	char		 key[64], *cause;
	double		 t0, t1;
	long long	 c0;

	snprintf(key, sizeof key, "b%d.%lu", (int)getpid(), ++runno);
	if (conn_open(&c, &ipcd_tg, &cause) != 0)
		die("cannot connect to ipcd: %s", cause);
	c0 = ipcd_cpu_ticks();
	t0 = now();
	if (clients(&ipcd_tg, t, key, k, total) != 0) {
		fprintf(stderr, "bench: ipcd %s k=%d: a client failed\n",
		    trname[t], k);
		*exact = 0;
	} else if (ipcd_wait(&c, key, total, quick ? 10 : 60) != 0)
		*exact = 0;	/* no waiting for what a failed client never sent */
	t1 = now();
	*ticks += ipcd_cpu_ticks() - c0;
	conn_close(&c);
	return t1 - t0;
}

/* --- the cells -------------------------------------------------------- */

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmpd);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The semaphore loop PAIRS times, beside ipcd's median IM of the shm
 * cell just measured. */
static void
shm_sem_ref(int k, const char *sync, long total, int pairs, double im)
{
	double	v[64], sum, m;
	int	i;

	for (i = 0; i < pairs; i++) {
		v[i] = total / shm_sem_loop(k, total, &sum);
		if (sum != (double)total)
			die("shm-sem: sum %.17g, expected %ld", sum, total);
	}
	m = median(v, pairs);
	printf("ref transport=shm-sem k=%d sync=%s records=%ld runs=%d "
	    "median=%.0f min=%.0f max=%.0f ipcd_ratio=%.3f\n", k, sync, total,
	    pairs, m, v[0], v[pairs - 1], im / m);
	fflush(stdout);
}

static void
cell(enum tr t, int k, const char *sync, int pairs, double scale)
{
	double		 raw[64], ip[64], rm, im;
	long		 total = (long)(trrecs[t] * scale);
	long long	 ticks = 0, dummy = 0;
	int		 i, exact = 1, warm = quick ? 0 : 1;

	if (total < k)
		total = k;
	for (i = 0; i < warm; i++) {
		raw_run(t, k, total);
		ipcd_run(t, k, total, &dummy, &exact);
	}
	for (i = 0; i < pairs; i++) {
		/* Alternate which goes first, so neither always follows the
		 * other's leftovers. */
		if (i % 2 == 0) {
			raw[i] = total / raw_run(t, k, total);
			ip[i] = total / ipcd_run(t, k, total, &ticks, &exact);
		} else {
			ip[i] = total / ipcd_run(t, k, total, &ticks, &exact);
			raw[i] = total / raw_run(t, k, total);
		}
	}
	rm = median(raw, pairs);
	im = median(ip, pairs);
	if (!exact)
		failures++;
	printf("bench transport=%s k=%d sync=%s records=%ld pairs=%d "
	    "raw_median=%.0f ipcd_median=%.0f ratio=%.3f raw_min=%.0f "
	    "raw_max=%.0f ipcd_min=%.0f ipcd_max=%.0f cpu_ns_per_rec=%.0f "
	    "exact=%s\n", trname[t], k, sync, total, pairs, rm, im, im / rm,
	    raw[0], raw[pairs - 1], ip[0], ip[pairs - 1],
	    (double)ticks / sysconf(_SC_CLK_TCK) * 1e9 / ((double)total * pairs),
	    exact ? "yes" : "no");
	fflush(stdout);
	if (t == T_SHM)
		shm_sem_ref(k, sync, total, pairs, im);
}

/* RSS of a fresh ipcd, idle and after `nkeys` distinct keys. */
static void
rss(long nkeys)
{
	const struct sender *s = sender_find("unix");
	struct record	 r = { .value = 1 };
	struct tally	 tl = { 0 };
	char		*cause;
	long		 idle, full, i;
	void		*h;
	struct conn	 c;
	char		*reply, v[32] = "?";

	ipcd_start("never", nkeys);
	usleep(200000);
	idle = ipcd_rss_kb();
	if ((h = sender_open(s, &ipcd_tg, &cause)) == NULL)
		die("rss: %s", cause);
	for (i = 0; i < nkeys; i++) {
		snprintf(r.key, sizeof r.key, "key%ld", i);
		sender_put(s, h, &r, &tl);
	}
	sender_close(s, h, &tl);
	if (conn_open(&c, &ipcd_tg, &cause) == 0) {
		if (conn_request(&c, &reply, &cause, "stats") == 0)
			reply_field(reply, "keys", v, sizeof v);
		conn_close(&c);
	}
	full = ipcd_rss_kb();
	printf("rss idle_kb=%ld keys=%ld accepted=%lu rejected=%lu "
	    "stats_keys=%s full_kb=%ld\n", idle, nkeys, tl.accepted,
	    tl.rejected, v, full);
	if (tl.accepted != (unsigned long)nkeys)
		failures++;
	ipcd_stop();
}

/* A listening socket on a loopback port the kernel picks; its port. */
static int
tcp_listener(unsigned *port)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	socklen_t		len = sizeof sin;
	int			fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("tcp listener: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return fd;
}

/* The raw TCP sink listens on one port for the whole run; ipcd gets a
 * port the kernel just gave out (and took back). */
static void
tcp_ports(void)
{
	unsigned	raw_port;

	raw_tcp = tcp_listener(&raw_port);
	snprintf(raw_conf.tcp.listen, sizeof raw_conf.tcp.listen,
	    "127.0.0.1:%u", raw_port);
	close(tcp_listener(&ipcd_port));
}

static int
parse_list(char *s, const char **out, int max)
{
	int	n = 0;
	char	*tok;

	for (tok = strtok(s, ","); tok != NULL && n < max; tok = strtok(NULL, ","))
		out[n++] = tok;
	return n;
}

/* --- the client path: build/ipcctl itself -------------------------- */

/* Of the records a cell sends, the client-path rows send this much:
 * they exist to compare two clients, not to load ipcd again. */
#define IPCCTL_SCALE	0.25
#define IPCCTL_PAIRS	3	/* at most, per row */

static char	ipcctl_bin[4096];	/* beside IPCD_BINARY */

/* A file of N lines "1" in the work directory (made once); its path. */
static void
values_file(long n, char *path, size_t size)
{
	FILE	*f;
	long	 i;

	snprintf(path, size, "%s/values.%ld", work, n);
	if (access(path, R_OK) == 0)
		return;
	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	for (i = 0; i < n; i++)
		fputs("1\n", f);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* K processes of "ipcctl submit --via=T --key=KEY -", each reading its
 * share of TOTAL values from a file, against the running ipcd; the
 * seconds until ipcd shows them all. */
static double
ipcctl_run(enum tr t, int k, long total, int *exact)
{
	char		 key[64], karg[80], via[32], small[4200], big[4200];
	char		*cause;
	struct conn	 c;
	pid_t		 pid[64];
	double		 t0, t1;
	int		 i, st, fd, bad = 0;

	snprintf(key, sizeof key, "c%d.%lu", (int)getpid(), ++runno);
	snprintf(karg, sizeof karg, "--key=%s", key);
	snprintf(via, sizeof via, "--via=%s", trname[t]);
	values_file(total / k, small, sizeof small);
	values_file(total / k + 1, big, sizeof big);
	if (conn_open(&c, &ipcd_tg, &cause) != 0)
		die("cannot connect to ipcd: %s", cause);
	t0 = now();
	for (i = 0; i < k; i++) {
		if ((pid[i] = fork()) == -1)
			die("fork: %s", strerror(errno));
		if (pid[i] > 0)
			continue;
		if ((fd = open(i < total % k ? big : small, O_RDONLY)) == -1 ||
		    dup2(fd, 0) == -1)
			_exit(126);
		execl(ipcctl_bin, ipcctl_bin, "-c", conf_path, "submit", via,
		    karg, "-", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < k; i++) {
		while (waitpid(pid[i], &st, 0) == -1 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	if (bad) {
		fprintf(stderr, "bench: ipcctl %s k=%d: an ipcctl failed\n",
		    trname[t], k);
		*exact = 0;
	} else if (ipcd_wait(&c, key, total, quick ? 10 : 60) != 0)
		*exact = 0;
	t1 = now();
	conn_close(&c);
	return t1 - t0;
}

/* One client-path row: the benchmark's client and ipcctl, alternating,
 * the same records to the same ipcd. */
static void
ipcctl_cell(enum tr t, int k, int pairs, double scale)
{
	double		 cl[64], ic[64], cm, im;
	long		 total = (long)(trrecs[t] * scale * IPCCTL_SCALE);
	long long	 ticks = 0;
	int		 i, exact = 1;

	if (total < k)
		total = k;
	if (!quick) {			/* a warm-up pair */
		ipcd_run(t, k, total, &ticks, &exact);
		ipcctl_run(t, k, total, &exact);
	}
	for (i = 0; i < pairs; i++) {
		if (i % 2 == 0) {
			cl[i] = total / ipcd_run(t, k, total, &ticks, &exact);
			ic[i] = total / ipcctl_run(t, k, total, &exact);
		} else {
			ic[i] = total / ipcctl_run(t, k, total, &exact);
			cl[i] = total / ipcd_run(t, k, total, &ticks, &exact);
		}
	}
	cm = median(cl, pairs);
	im = median(ic, pairs);
	if (!exact)
		failures++;
	printf("ipcctl transport=%s k=%d sync=never records=%ld pairs=%d "
	    "client_median=%.0f ipcctl_median=%.0f ratio=%.3f client_min=%.0f "
	    "client_max=%.0f ipcctl_min=%.0f ipcctl_max=%.0f exact=%s\n",
	    trname[t], k, total, pairs, cm, im, im / cm, cl[0],
	    cl[pairs - 1], ic[0], ic[pairs - 1], exact ? "yes" : "no");
	fflush(stdout);
}

/* The client-path rows: ipcctl beside the benchmark's client on each
 * transport of LIST, K = 1 and 4, at sync = never. */
static void
ipcctl_rows(char *list, int pairs, double scale)
{
	static const int	 ks[] = { 1, 4 };
	const char		*ts[T_N];
	char			*slash;
	int			 n, a, e;
	size_t			 b;

	snprintf(ipcctl_bin, sizeof ipcctl_bin, "%s", ipcd_bin);
	if ((slash = strrchr(ipcctl_bin, '/')) == NULL)
		return;
	snprintf(slash + 1, sizeof ipcctl_bin - (size_t)(slash + 1 -
	    ipcctl_bin), "ipcctl");
	if (access(ipcctl_bin, X_OK) != 0) {
		printf("# no client-path rows: %s: %s\n", ipcctl_bin,
		    strerror(errno));
		return;
	}
	if (pairs > IPCCTL_PAIRS)
		pairs = IPCCTL_PAIRS;
	n = parse_list(list, ts, T_N);
	ipcd_start("never", 100000);
	for (a = 0; a < n; a++) {
		for (e = 0; e < T_N && strcmp(trname[e], ts[a]) != 0; e++)
			;
		if (e == T_N || e == T_UNIX1)
			die("client path: no rows for transport %s", ts[a]);
		for (b = 0; b < sizeof ks / sizeof ks[0]; b++)
			ipcctl_cell((enum tr)e, ks[b], pairs, scale);
	}
	ipcd_stop();
}

/* --- one-shot cost: a command run once per process ------------------ */

/* Run ARGV N times, one after the other, each with its output thrown
 * away; print the median, the fastest and the 90th percentile of the
 * wall time of one call, and the median CPU time of the process (user
 * and system: what a loaded machine changes least).  The exit status: 0
 * when every call exited 0. */
static int
oneshot(long n, char **argv)
{
	double		*t = xcalloc((size_t)n, sizeof *t), t0;
	double		*cpu = xcalloc((size_t)n, sizeof *cpu);
	struct rusage	 ru;
	long		 i, fails = 0;
	pid_t		 pid;
	int		 st, fd;

	for (i = 0; i < n; i++) {
		t0 = now();
		if ((pid = fork()) == -1)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			if ((fd = open("/dev/null", O_RDWR)) != -1) {
				dup2(fd, 0);
				dup2(fd, 1);
			}
			execvp(argv[0], argv);
			_exit(127);
		}
		while (wait4(pid, &st, 0, &ru) == -1 && errno == EINTR)
			;
		t[i] = now() - t0;
		cpu[i] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fails++;
	}
	qsort(t, (size_t)n, sizeof *t, cmpd);
	printf("oneshot calls=%ld fails=%ld median_us=%.0f min_us=%.0f "
	    "p90_us=%.0f cpu_us=%.0f\n", n, fails, median(t, (int)n) * 1e6,
	    t[0] * 1e6, t[n * 9 / 10] * 1e6, median(cpu, (int)n) * 1e6);
	free(t);
	free(cpu);
	return fails ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const char	*ks[8], *ts[16], *ys[4];
	char		 klist[64] = "1,4,16";
	char		 tlist[128] = "fifo,mq,mqdeep,unix,unix1,shm,tcp,sysv,spool";
	char		 ylist[32] = "batch,never";
	char		 ilist[128] = "fifo,mq,unix,shm,tcp,sysv,spool";
	int		 nk, nt, ny, ch, pairs = 5, y, a, b, e, rsskeys = 100000;
	double		 scale = 1;
	long		 calls = 0;

	while ((ch = getopt(argc, argv, "+qp:s:k:t:y:r:i:O:")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'p':
			pairs = atoi(optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		case 'k':
			snprintf(klist, sizeof klist, "%s", optarg);
			break;
		case 't':
			snprintf(tlist, sizeof tlist, "%s", optarg);
			break;
		case 'y':
			snprintf(ylist, sizeof ylist, "%s", optarg);
			break;
		case 'r':
			rsskeys = atoi(optarg);
			break;
		case 'i':
			snprintf(ilist, sizeof ilist, "%s", optarg);
			break;
		case 'O':
			calls = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench [-q] [-p PAIRS] [-s SCALE] "
			    "[-k 1,4,16] [-t fifo,mq,mqdeep,unix,unix1,shm,tcp,sysv,"
			    "spool] [-y batch,never] [-r RSSKEYS] "
			    "[-i fifo,mq,unix,shm,tcp,sysv,spool|none] "
			    "IPCD WORKDIR\n       bench -O N CMD [ARG...]\n");
			return 2;
		}
	}
	if (calls > 0 && argc > optind)
		return oneshot(calls, argv + optind);
	if (argc - optind != 2)
		die("usage: bench [options] IPCD WORKDIR | bench -O N CMD [ARG...]");
	ipcd_bin = argv[optind];
	work = argv[optind + 1];
	if (quick) {
		pairs = 1;
		scale = scale == 1 ? 0.01 : scale;
		if (strcmp(klist, "1,4,16") == 0)
			snprintf(klist, sizeof klist, "1,4");
	}
	if (pairs < 1 || pairs > 64)
		die("pairs: 1 to 64");
	nk = parse_list(klist, ks, 8);
	nt = parse_list(tlist, ts, 16);
	ny = parse_list(ylist, ys, 4);
	snprintf(conf_path, sizeof conf_path, "%s/ipcd.conf", work);
	snprintf(raw_fifo, sizeof raw_fifo, "%s/raw.fifo", work);
	snprintf(raw_sock, sizeof raw_sock, "%s/raw.sock", work);
	snprintf(raw_spool, sizeof raw_spool, "%s/raw.spool", work);
	snprintf(raw_mq, sizeof raw_mq, "/ipcd-bench-raw-%d", (int)getpid());
	snprintf(ipcd_name, sizeof ipcd_name, "/ipcd-bench-%d", (int)getpid());
	conf_defaults(&raw_conf);
	snprintf(raw_conf.fifo.path, sizeof raw_conf.fifo.path, "%s", raw_fifo);
	snprintf(raw_conf.unix_.path, sizeof raw_conf.unix_.path, "%s", raw_sock);
	snprintf(raw_conf.mq.name, sizeof raw_conf.mq.name, "%s", raw_mq);
	snprintf(raw_conf.shm.name, sizeof raw_conf.shm.name, "%s", raw_mq);
	tcp_ports();
	/* The FIFO exists for as long as the runs: its inode makes the key. */
	snprintf(raw_conf.sysv.key, sizeof raw_conf.sysv.key, "%s", raw_fifo);
	snprintf(raw_conf.spool.dir, sizeof raw_conf.spool.dir, "%s", raw_spool);
	unlink(raw_fifo);
	if (mkfifo(raw_fifo, 0600) == -1)
		die("%s: %s", raw_fifo, strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	for (a = 0; a < nt; a++)
		if (strcmp(ts[a], "mqdeep") == 0)
			mq_deep_prepare();

	for (y = 0; y < ny; y++) {
		ipcd_start(ys[y], 100000);
		for (a = 0; a < nt; a++) {
			for (e = 0; e < T_N && strcmp(trname[e], ts[a]) != 0; e++)
				;
			if (e == T_N)
				die("unknown transport %s", ts[a]);
			if (e == T_MQDEEP && mq_deep_begin(ys[y]) != 0)
				continue;
			for (b = 0; b < nk; b++)
				cell((enum tr)e, atoi(ks[b]), ys[y], pairs, scale);
			if (e == T_MQDEEP)
				mq_deep_end(ys[y]);
		}
		ipcd_stop();
	}
	if (strcmp(ilist, "none") != 0)
		ipcctl_rows(ilist, pairs, scale);
	if (rsskeys > 0)
		rss(rsskeys);
	sysv_remove(ipcd_conf.sysv.key, ipcd_conf.unix_.path);	/* ipcd leaves it */
	unlink(raw_fifo);
	mq_unlink(ipcd_name);
	shm_unlink(ipcd_name);
	return failures ? 1 : 0;
}
