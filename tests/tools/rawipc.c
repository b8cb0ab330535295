/*
 * rawipc: raw access to ipcd's transports for the tests, bypassing every
 * check ipcctl makes, so that hostile input really reaches the daemon.
 *
 *   rawipc unix PATH          stdin to the socket as is, then print replies
 *   rawipc unix-many PATH N MS drip|whole
 *                             N connections that never read: stdin sent on
 *                             each, a byte a round to all (drip) or as much
 *                             as the socket takes (whole); held MS ms, then
 *                             closed; prints "conns C failed F sent B"
 *   rawipc mq NAME            stdin as one message
 *   rawipc shm NAME KEYLEN KEY VALUE PART NPARTS
 *                             one record with exactly these fields (VALUE is
 *                             read by strtod, so "nan" and "inf" work); the
 *                             slot is held until ipcd has taken it
 *   rawipc shm-batch NAME     records from stdin, a line each, "KEYLEN KEY
 *                             VALUE PART NPARTS [JUNK]" (KEY "-": none;
 *                             JUNK: bytes written past KEYLEN in the key
 *                             field), published at once in one ring (at
 *                             most half of it: one batch of ipcd's), held
 *                             until ipcd has taken them
 *   rawipc shm-head NAME HEAD set the head of a free slot to HEAD
 *   rawipc shm-hold NAME      claim a slot, publish one record of key
 *                             "held", then sleep (to be SIGSTOPped/KILLed);
 *                             on SIGCONT put one of key "late" and detach
 *                             (status 3 if they were not all committed)
 *   rawipc shm-lockall NAME   hold an OFD write lock on the whole segment
 *                             past ipcd's byte
 *   rawipc shm-truncate NAME SIZE
 *                             ftruncate the segment to SIZE bytes ("full":
 *                             its proper size)
 *   rawipc shm-scribble NAME OFFSET HEX
 *                             write the bytes HEX ("ffff0011") at OFFSET
 *   rawipc shm-offset FIELD [SLOT]
 *                             print the offset of a field of the layout:
 *                             magic version size daemon_pid doorbell
 *                             sleeping semid, owner head tail (of SLOT, 0
 *                             if not given), or end (the segment's size)
 *   rawipc shm-ring NAME      ring the doorbell
 *   rawipc shm-semid NAME [ID]
 *                             print the semaphore id in the header, or
 *                             write ID there
 *   rawipc sem new MODE       create a semaphore (IPC_PRIVATE) as the
 *                             caller; print its id
 *   rawipc sem post ID N      post it N times (IPC_NOWAIT); print how many
 *                             posts succeeded and how many got ERANGE
 *   rawipc sem take ID MS     for MS ms, take every post (semop -1, as a
 *                             hostile submitter stealing ipcd's wake-ups);
 *                             print how many
 *   rawipc sem val|ncnt ID    print its value, or how many wait on it
 *   rawipc sem rm ID          remove it
 *   rawipc mq-create NAME     create the queue NAME (as the caller)
 *   rawipc mq-pass NAME CMD [ARG...]
 *                             run CMD with the queue NAME passed as
 *                             systemd would, named "mq" (fd 3)
 *   rawipc unlink NAME        remove the mq and shm objects NAME, and
 *                             the semaphore of a killed ipcd's segment
 *   rawipc sysv KEY MTYPE     stdin as one System V message of type MTYPE
 *                             (KEY as [sysv] key says: a number or a path);
 *                             status 4 if the queue is full
 *   rawipc sysv-create KEY    create the queue KEY (as the caller, 0666)
 *   rawipc sysv-count KEY     print the number of messages in queue KEY
 *   rawipc sysv-rm KEY        remove queue KEY
 *   rawipc sysv-clean KEY     remove queue KEY and ipcd's lock of it (the
 *                             semaphore of that key)
 */

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "shm.h"
#include "sysvkey.h"
#include "util.h"

static char *
slurp(size_t *len)
{
	size_t	cap = 65536, n;
	char	*buf = malloc(cap);

	*len = 0;
	while (buf != NULL && (n = fread(buf + *len, 1, cap - *len, stdin)) > 0) {
		*len += n;
		if (*len == cap && (buf = realloc(buf, cap *= 2)) == NULL)
			break;
	}
	if (buf == NULL) {
		perror("rawipc");
		exit(1);
	}
	return buf;
}

static int
raw_unix(const char *path)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	char			*buf, rbuf[4096];
	size_t			 len, off = 0;
	ssize_t			 n;
	int			 fd;

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		perror("rawipc: connect");
		return 3;
	}
	buf = slurp(&len);
	/* ipcd may have answered and closed already (a limit): still read
	 * what it said.  Replies are read while requests are written, since
	 * ipcd stops reading a client whose replies pile up. */
	signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		struct pollfd	pfd = { .fd = fd, .events = POLLIN | POLLOUT };

		if (poll(&pfd, 1, -1) == -1)
			break;
		if (pfd.revents & POLLIN) {
			if ((n = read(fd, rbuf, sizeof rbuf)) <= 0)
				break;
			fwrite(rbuf, 1, (size_t)n, stdout);
		} else if (pfd.revents & POLLOUT) {
			/* No more than the socket takes at once: a blocking
			 * write of the rest would stop reading replies. */
			if ((n = send(fd, buf + off, len - off,
			    MSG_DONTWAIT)) == -1 && errno == EAGAIN)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		} else
			break;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, rbuf, sizeof rbuf)) > 0)
		fwrite(rbuf, 1, (size_t)n, stdout);
	return 0;
}

/* Send what fits of BUF[0..LEN) on FD, never blocking: bytes sent. */
static size_t
send_some(int fd, const char *buf, size_t len)
{
	ssize_t	n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	return n > 0 ? (size_t)n : 0;
}

static int
raw_unix_many(const char *path, int n, int ms, const char *how)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct rlimit		 rl;
	char			*buf;
	size_t			 len, j, sent = 0;
	int			*fd, i, failed = 0, drip = strcmp(how, "drip") == 0;

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	buf = slurp(&len);
	if (n < 1 || (fd = calloc((size_t)n, sizeof *fd)) == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		fd[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd[i] != -1 && connect(fd[i], (struct sockaddr *)&sun,
		    sizeof sun) == 0)
			continue;
		if (fd[i] != -1)
			close(fd[i]);
		fd[i] = -1;
		failed++;
	}
	/* A byte a round: ipcd reads each as a piece of a line. */
	for (j = 0; drip && j < len; j++) {
		for (i = 0; i < n; i++)
			if (fd[i] != -1)
				sent += send_some(fd[i], buf + j, 1);
		usleep(1000);
	}
	for (i = 0; !drip && i < n; i++)
		if (fd[i] != -1)
			sent += send_some(fd[i], buf, len);
	poll(NULL, 0, ms);
	for (i = 0; i < n; i++)
		if (fd[i] != -1)
			close(fd[i]);
	printf("conns %d failed %d sent %zu\n", n - failed, failed, sent);
	return 0;
}

static int
raw_mq(const char *name)
{
	mqd_t	 m = mq_open(name, O_WRONLY);
	size_t	 len;
	char	*buf;

	if (m == (mqd_t)-1) {
		perror("rawipc: mq_open");
		return 3;
	}
	buf = slurp(&len);
	if (mq_send(m, buf, len, 0) != 0) {
		perror("rawipc: mq_send");
		return 1;
	}
	return 0;
}

static struct stat	map_st;	/* of the last segment mapped */

static struct shm_hdr *
map(const char *name)
{
	struct shm_hdr	*h;
	struct stat	*st = &map_st;
	int		 fd = shm_open(name, O_RDWR, 0);

	if (fd == -1 || fstat(fd, st) != 0) {
		perror("rawipc: shm_open");
		exit(3);
	}
	h = mmap(NULL, (size_t)st->st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		perror("rawipc: mmap");
		exit(1);
	}
	return h;
}

/* Ring the doorbell as a submitter does, posting the semaphore the header
 * names if it passes the submitter's check. */
static void
ring(struct shm_hdr *h)
{
	shm_ring(h, shm_bell_check(atomic_load(&h->semid), &map_st));
}

/* Claim a free slot by its owner word alone (no lock, no lease check):
 * its current ring. */
static struct shm_ring *
claim(struct shm_hdr *h, uint32_t *slot)
{
	uint32_t	free_;

	for (*slot = 0; *slot < h->nslots; (*slot)++) {
		free_ = 0;
		if (atomic_compare_exchange_strong(&h->slot[*slot].owner,
		    &free_, (uint32_t)getpid()))
			return shm_ring_at(h, h->nslots, shm_ring_of(*slot,
			    atomic_load(&h->slot[*slot].gen)));
	}
	fprintf(stderr, "rawipc: no free slot\n");
	exit(1);
}

static int
raw_shm(char **argv)
{
	struct shm_hdr	*h = map(argv[0]);
	uint32_t	 i;
	struct shm_ring	*g = claim(h, &i);
	uint64_t	 head = atomic_load(&g->head);
	struct shm_rec	*r = &g->rec[head % SHM_RING];
	int		 n;

	memset(r, 0, sizeof *r);
	r->keylen = (uint8_t)atoi(argv[1]);
	memcpy(r->key, argv[2], strnlen(argv[2], sizeof r->key));
	r->value = strtod(argv[3], NULL);
	r->part = (uint32_t)strtoul(argv[4], NULL, 0);
	r->nparts = (uint32_t)strtoul(argv[5], NULL, 0);
	atomic_store(&g->head, head + 1);
	ring(h);
	/* ipcd drains only held slots: hold this one until the record is
	 * taken (at most 10 s), or it would wait for the slot's next
	 * holder. */
	for (n = 0; n < 10000 && atomic_load(&g->tail) <= head; n++)
		usleep(1000);
	atomic_store(&h->slot[i].owner, 0);
	return 0;
}

/* Fill R from a line of shm-batch; -1 if it is not one. */
static int
batch_rec(struct shm_rec *r, const char *line)
{
	char	key[256], value[64], junk[256] = "";
	int	len, n;
	size_t	at;

	memset(r, 0, sizeof *r);
	n = sscanf(line, "%d %255s %63s %u %u %255s", &len, key, value,
	    &r->part, &r->nparts, junk);
	if (n < 5 || len < 0 || len > 255)
		return -1;
	r->keylen = (uint8_t)len;
	if (strcmp(key, "-") != 0)
		memcpy(r->key, key, strnlen(key, sizeof r->key));
	at = strnlen(key, sizeof r->key);
	if (at < (size_t)len)
		at = (size_t)len;
	if (at < sizeof r->key)
		memcpy(r->key + at, junk, strnlen(junk, sizeof r->key - at));
	r->value = strtod(value, NULL);
	return 0;
}

static int
raw_shm_batch(const char *name)
{
	struct shm_hdr	*h = map(name);
	uint32_t	 i;
	struct shm_ring	*g = claim(h, &i);
	uint64_t	 head = atomic_load(&g->head), n = 0;
	char		 line[1024];
	int		 k;

	while (fgets(line, sizeof line, stdin) != NULL && n < SHM_RING / 2)
		if (batch_rec(&g->rec[(head + n) % SHM_RING], line) == 0)
			n++;
	atomic_store(&g->head, head + n);
	ring(h);
	for (k = 0; k < 10000 && atomic_load(&g->tail) < head + n; k++)
		usleep(1000);
	atomic_store(&h->slot[i].owner, 0);
	return atomic_load(&g->tail) < head + n;
}

static int
raw_shm_head(const char *name, const char *head)
{
	struct shm_hdr	*h = map(name);
	uint32_t	 i;
	struct shm_ring	*g = claim(h, &i);
	uint64_t	 wild = strtoull(head, NULL, 0);
	int		 n;

	atomic_store(&g->head, wild);
	ring(h);
	/* Held until ipcd has seen it (it resets the tail), as raw_shm. */
	for (n = 0; n < 10000 && atomic_load(&g->tail) != wild; n++)
		usleep(1000);
	atomic_store(&h->slot[i].owner, 0);
	return 0;
}

static volatile sig_atomic_t	continued;

static void
on_cont(int sig)
{
	continued = 1;
}

/* Hold a slot with one record of key "held" published; once continued
 * (SIGCONT), put one more of key "late" and detach: the status says
 * whether it was all committed (0) or not (3, with why). */
static int
raw_shm_hold(const char *name)
{
	struct shm_producer	p;
	struct record		r = { .key = "held", .value = 1 };
	const char		*cause;
	char			 err[256];

	signal(SIGCONT, on_cont);
	if (shm_attach(&p, name, 0, &cause) != 0 ||
	    shm_put(&p, &r, &cause) != 0) {
		fprintf(stderr, "rawipc: %s\n", cause);
		return 1;
	}
	shm_flush(&p);
	printf("holding\n");
	fflush(stdout);
	while (!continued)
		pause();
	snprintf(r.key, sizeof r.key, "late");
	if (shm_put(&p, &r, &cause) != 0) {
		fprintf(stderr, "rawipc: %s\n", cause);
		shm_detach(&p, err, sizeof err);
		return 3;
	}
	if (shm_detach(&p, err, sizeof err) != 0) {
		fprintf(stderr, "rawipc: %s\n", err);
		return 3;
	}
	return 0;
}

/* Hold a write lock on every byte of the segment but ipcd's, as one
 * process may (l_len 0: to the end of any file size). */
static int
raw_shm_lockall(const char *name)
{
	struct flock	fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = SHM_LOCK_DAEMON + 1 };
	int		fd = shm_open(name, O_RDWR, 0);

	if (fd == -1 || fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		perror("rawipc: shm-lockall");
		return 1;
	}
	printf("locked\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int
raw_shm_truncate(const char *name, const char *size)
{
	int	fd = shm_open(name, O_RDWR, 0);
	off_t	len = strcmp(size, "full") == 0 ? (off_t)shm_size(SHM_SLOTS) :
		    (off_t)strtoll(size, NULL, 0);

	if (fd == -1 || ftruncate(fd, len) != 0) {
		perror("rawipc: shm-truncate");
		return 1;
	}
	return 0;
}

/* With pwrite, not through a mapping: works on a shrunk segment too. */
static int
raw_shm_scribble(const char *name, const char *offset, const char *hex)
{
	unsigned char	buf[256];
	size_t		n = 0;
	unsigned	byte;
	int		fd = shm_open(name, O_RDWR, 0);

	while (n < sizeof buf && hex[2 * n] != '\0' &&
	    sscanf(hex + 2 * n, "%2x", &byte) == 1)
		buf[n++] = (unsigned char)byte;
	if (fd == -1 || pwrite(fd, buf, n, (off_t)strtoll(offset, NULL, 0)) !=
	    (ssize_t)n) {
		perror("rawipc: shm-scribble");
		return 1;
	}
	return 0;
}

static int
raw_shm_semid(const char *name, const char *id)
{
	struct shm_hdr	*h = map(name);

	if (id == NULL)
		printf("%d\n", (int)atomic_load(&h->semid));
	else
		atomic_store(&h->semid, (int32_t)atoi(id));
	return 0;
}

/* The semaphore tools; semctl's fourth argument is an int here. */
static int
raw_sem(const char *op, char **argv, int argc)
{
	struct sembuf	 sb = { 0, 1, IPC_NOWAIT };
	struct timespec	 ts = { 0, 10000000 };
	long		 n, ok = 0, erange = 0;
	int		 id = argc > 0 ? atoi(argv[0]) : -1, v;
	double		 end;

	if (strcmp(op, "new") == 0 && argc == 1) {
		v = semget(IPC_PRIVATE, 1, IPC_CREAT | (int)strtol(argv[0],
		    NULL, 8));
		printf("%d\n", v);
		return v == -1;
	}
	if (strcmp(op, "post") == 0 && argc == 2) {
		for (n = atol(argv[1]); n > 0; n--) {
			if (semop(id, &sb, 1) == 0)
				ok++;
			else if (errno == ERANGE)
				erange++;
			else {
				perror("rawipc: semop");
				return 1;
			}
		}
		printf("posted %ld erange %ld\n", ok, erange);
		return 0;
	}
	if (strcmp(op, "take") == 0 && argc == 2) {
		sb.sem_op = -1;
		sb.sem_flg = 0;
		end = mono_sec() + atof(argv[1]) / 1000;
		while (mono_sec() < end)
			if (semtimedop(id, &sb, 1, &ts) == 0)
				ok++;
		printf("took %ld\n", ok);
		return 0;
	}
	if ((strcmp(op, "val") == 0 || strcmp(op, "ncnt") == 0) && argc == 1) {
		v = semctl(id, 0, op[0] == 'v' ? GETVAL : GETNCNT, 0);
		printf("%d\n", v);
		return v == -1;
	}
	if (strcmp(op, "rm") == 0 && argc == 1)
		return semctl(id, 0, IPC_RMID, 0) != 0;
	fprintf(stderr, "rawipc: sem new MODE | post ID N | take ID MS | "
	    "val ID | ncnt ID | rm ID\n");
	return 2;
}

/* Remove the semaphore of a segment whose ipcd was killed, as the next
 * ipcd would (shm.h): tests clean up after a SIGKILL. */
static void
unlink_bell(const char *name)
{
	struct shm_hdr	h;
	struct stat	st;
	int		fd = shm_open(name, O_RDONLY, 0);

	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && pread(fd, &h, sizeof h, 0) ==
	    (ssize_t)sizeof h && h.version == SHM_VERSION)
		(void)shm_bell_stale(h.semid, &st);
	close(fd);
}

static int
raw_shm_offset(const char *field, int slot)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} f[] = {
		{ "magic", offsetof(struct shm_hdr, magic) },
		{ "version", offsetof(struct shm_hdr, version) },
		{ "size", offsetof(struct shm_hdr, size) },
		{ "daemon_pid", offsetof(struct shm_hdr, daemon_pid) },
		{ "doorbell", offsetof(struct shm_hdr, doorbell) },
		{ "sleeping", offsetof(struct shm_hdr, sleeping) },
		{ "semid", offsetof(struct shm_hdr, semid) },
	}, sf[] = {
		{ "owner", offsetof(struct shm_slot, owner) },
		{ "gen", offsetof(struct shm_slot, gen) },
	}, rf[] = {
		{ "head", offsetof(struct shm_ring, head) },
		{ "tail", offsetof(struct shm_ring, tail) },
	};
	size_t	i;

	if (slot < 0 || slot >= SHM_SLOTS)
		slot = 0;
	if (strcmp(field, "end") == 0) {
		printf("%zu\n", shm_size(SHM_SLOTS));	/* the default layout */
		return 0;
	}
	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		if (strcmp(field, f[i].name) == 0) {
			printf("%zu\n", f[i].off);
			return 0;
		}
	for (i = 0; i < sizeof rf / sizeof rf[0]; i++)
		if (strcmp(field, rf[i].name) == 0) {
			/* Of the slot's first ring, on the default layout. */
			static char	base[64] __attribute__((aligned(64)));

			printf("%zu\n", (size_t)((char *)shm_ring_at(
			    (struct shm_hdr *)base, SHM_SLOTS,
			    shm_ring_of((uint32_t)slot, 0)) - base) + rf[i].off);
			return 0;
		}
	for (i = 0; i < sizeof sf / sizeof sf[0]; i++)
		if (strcmp(field, sf[i].name) == 0) {
			printf("%zu\n", offsetof(struct shm_hdr, slot) +
			    (size_t)slot * sizeof(struct shm_slot) + sf[i].off);
			return 0;
		}
	fprintf(stderr, "rawipc: no field %s\n", field);
	return 2;
}

/* Socket activation of a queue, as a socket unit's ListenMessageQueue=
 * does it: the pid stays CMD's, so LISTEN_PID is ours. */
static int
raw_mq_pass(const char *name, char **cmd)
{
	char	pid[32];
	mqd_t	q;

	q = mq_open(name, O_RDONLY | O_CREAT | O_NONBLOCK, 0600, NULL);
	/* dup2 of 3 onto itself would keep the close-on-exec that mq_open
	 * sets. */
	if (q == (mqd_t)-1 || dup2(q, 3) == -1 || fcntl(3, F_SETFD, 0) == -1) {
		perror("rawipc: mq_open");
		return 1;
	}
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", "mq", 1);
	execvp(cmd[0], cmd);
	perror(cmd[0]);
	return 1;
}

static key_t
sysv_key(const char *v)
{
	key_t	 k;
	char	*cause;

	if (sysvkey_resolve(v, "", &k, &cause) != 0) {
		fprintf(stderr, "rawipc: %s\n", cause);
		exit(2);
	}
	return k;
}

/* MODE: "send" (stdin as one message of type MTYPE), "create", "count",
 * "rm" or "clean". */
static int
raw_sysv(const char *mode, const char *key, const char *mtype)
{
	key_t		 k = sysv_key(key);
	struct msqid_ds	 ds;
	struct { long mtype; char mtext[65536]; } *m;
	char		*buf;
	size_t		 len;
	int		 q, s;

	if (strcmp(mode, "create") == 0)
		q = msgget(k, IPC_CREAT | IPC_EXCL | 0666);
	else
		q = msgget(k, 0);
	if (q == -1) {
		perror("rawipc: msgget");
		return 3;
	}
	if (strcmp(mode, "count") == 0) {
		if (msgctl(q, IPC_STAT, &ds) != 0)
			return 1;
		printf("%lu\n", (unsigned long)ds.msg_qnum);
	} else if (strcmp(mode, "rm") == 0 || strcmp(mode, "clean") == 0) {
		if (strcmp(mode, "clean") == 0 && (s = semget(k, 0, 0)) != -1)
			semctl(s, 0, IPC_RMID);
		return msgctl(q, IPC_RMID, NULL) == 0 ? 0 : 1;
	} else if (strcmp(mode, "send") == 0) {
		buf = slurp(&len);
		if ((m = malloc(sizeof *m)) == NULL || len > sizeof m->mtext)
			return 1;
		m->mtype = strtol(mtype, NULL, 0);
		memcpy(m->mtext, buf, len);
		if (msgsnd(q, m, len, IPC_NOWAIT) != 0) {
			perror("rawipc: msgsnd");
			return errno == EAGAIN ? 4 : 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "unix") == 0)
		return raw_unix(argv[2]);
	if (argc == 6 && strcmp(argv[1], "unix-many") == 0)
		return raw_unix_many(argv[2], atoi(argv[3]), atoi(argv[4]),
		    argv[5]);
	if (argc == 3 && strcmp(argv[1], "mq") == 0)
		return raw_mq(argv[2]);
	if (argc == 8 && strcmp(argv[1], "shm") == 0)
		return raw_shm(argv + 2);
	if (argc == 3 && strcmp(argv[1], "shm-batch") == 0)
		return raw_shm_batch(argv[2]);
	if (argc == 4 && strcmp(argv[1], "shm-head") == 0)
		return raw_shm_head(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "shm-hold") == 0)
		return raw_shm_hold(argv[2]);
	if (argc == 3 && strcmp(argv[1], "shm-lockall") == 0)
		return raw_shm_lockall(argv[2]);
	if (argc == 4 && strcmp(argv[1], "shm-truncate") == 0)
		return raw_shm_truncate(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "shm-scribble") == 0)
		return raw_shm_scribble(argv[2], argv[3], argv[4]);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "shm-offset") == 0)
		return raw_shm_offset(argv[2], argc == 4 ? atoi(argv[3]) : 0);
	if (argc == 3 && strcmp(argv[1], "shm-ring") == 0) {
		ring(map(argv[2]));
		return 0;
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "shm-semid") == 0)
		return raw_shm_semid(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc >= 3 && strcmp(argv[1], "sem") == 0)
		return raw_sem(argv[2], argv + 3, argc - 3);
	if (argc == 3 && strcmp(argv[1], "mq-create") == 0) {
		/* A queue of whoever runs this, for the squatting tests. */
		mqd_t	q = mq_open(argv[2], O_RDWR | O_CREAT | O_EXCL, 0666, NULL);

		if (q == (mqd_t)-1) {
			perror("rawipc: mq_open");
			return 1;
		}
		mq_close(q);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "mq-pass") == 0)
		return raw_mq_pass(argv[2], argv + 3);
	if (argc == 4 && strcmp(argv[1], "sysv") == 0)
		return raw_sysv("send", argv[2], argv[3]);
	if (argc == 3 && strncmp(argv[1], "sysv-", 5) == 0)
		return raw_sysv(argv[1] + 5, argv[2], NULL);
	if (argc == 3 && strcmp(argv[1], "unlink") == 0) {
		mq_unlink(argv[2]);
		unlink_bell(argv[2]);
		shm_unlink(argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: rawipc unix PATH | "
	    "unix-many PATH N MS drip|whole | mq NAME | shm NAME KEYLEN "
	    "KEY VALUE PART NPARTS | shm-batch NAME | shm-head NAME HEAD | shm-hold NAME | "
	    "shm-lockall NAME | "
	    "shm-truncate NAME SIZE | shm-scribble NAME OFFSET HEX | "
	    "shm-offset FIELD [SLOT] | shm-ring NAME | shm-semid NAME [ID] | "
	    "sem OP ... | mq-create NAME | "
	    "mq-pass NAME CMD [ARG...] | unlink NAME | sysv KEY MTYPE | "
	    "sysv-create KEY | sysv-count KEY | sysv-rm KEY | sysv-clean KEY\n");
	return 2;
}
