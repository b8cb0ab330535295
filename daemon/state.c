/*
 * Durable totals: an append-only journal plus a snapshot, as a database
 * would keep them.
 *
 * Every change to the key store (an applied submission, a reset) is
 * journaled as an entry with a sequence number and a CRC.  Entries are
 * buffered during one pass of the event loop and written together when it
 * ends (group commit), followed by one fdatasync with "sync = batch";
 * server.c releases socket replies only after that, and reads no more
 * input before it.  "always" syncs every entry on its own, "never" leaves
 * syncing to the kernel (safe against a crash of ipcd, not of the machine).
 *
 * When the journal grows past compact_bytes, and at a clean stop, the
 * whole store (exact accumulators, not rounded totals) is written as a
 * snapshot: temporary file, fsync, rename, fsync of the directory; then
 * the journal is emptied.  The snapshot records the last sequence number
 * it covers, and replay skips journal entries up to it, so a crash
 * between the rename and the truncation counts nothing twice.
 *
 * On start the snapshot must be whole (its CRC matches) and the journal
 * entries after it must follow one another without a gap.  A journal
 * whose last entry is cut short (a crash in mid-write) loses that entry,
 * which was never acknowledged; anything else that does not check out
 * stops ipcd with a message rather than becoming a wrong total.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32.h"
#include "ipcd.h"
#include "log.h"
#include "util.h"

#define SNAP_MAGIC	"IPCDSNP1"
#define SNAP_VERSION	1
#define JOUR_MAGIC	0x4a444349U	/* "ICDJ" */

/*
 * J_SUBMIT: one applied parted submission (key, value, I, N);
 * J_SET: the whole state of an unparted key (count, min, max, the exact
 * sum), written once per commit for each key that changed in the pass, so
 * a million submissions to one key cost one entry, not a million;
 * J_RESET, J_RESET_ALL: a reset.  Parted keys keep one entry per part:
 * their parts are few, and a part's bit must be journaled anyway.  A key
 * is parted or not from its first submission on, so the two never mix.
 */
enum { J_SUBMIT = 1, J_RESET = 2, J_RESET_ALL = 3, J_SET = 4 };

/* A journal entry: this header, LEN bytes of payload, a CRC-32C of both. */
struct jhdr {
	uint32_t	magic;
	uint16_t	len;
	uint8_t		type;
	uint8_t		pad;
	uint64_t	seq;
};

#define JPAYLOAD_MAX	(1 + IPCD_KEY_MAX + 8 * 3 + 1 + ACCUM_ENCODED_MAX)
#define COUNT_MAX	((uint64_t)1 << 62)	/* see figures_valid() */

static struct {
	int		 sync;
	long		 compact_bytes;
	char		 path[PATH_MAX];
	char		 jpath[PATH_MAX + 16];
	int		 jfd;
	uint64_t	 seq;		/* of the last entry made */
	uint64_t	 jsize;		/* bytes written to the journal */
	char		*buf;		/* entries not yet written */
	size_t		 len, cap;
} st = { .jfd = -1 };

/* --- encoding -------------------------------------------------------- */

static void
put(char **p, const void *v, size_t n)
{
	memcpy(*p, v, n);
	*p += n;
}

static int
get(const char **p, const char *end, void *v, size_t n)
{
	if ((size_t)(end - *p) < n)
		return -1;
	memcpy(v, *p, n);
	*p += n;
	return 0;
}

/* Queue one entry for the next commit: TYPE, KEY (unless a reset of
 * all), then LEN bytes of BODY. */
static void
journal_add(uint8_t type, const char *key, const void *body, size_t len)
{
	char		 entry[sizeof(struct jhdr) + JPAYLOAD_MAX + 4], *p;
	struct jhdr	 h = { .magic = JOUR_MAGIC, .type = type };
	uint32_t	 crc;
	uint8_t		 klen = key ? (uint8_t)strlen(key) : 0;
	size_t		 n;

	p = entry + sizeof h;
	if (type != J_RESET_ALL) {
		put(&p, &klen, 1);
		put(&p, key, klen);
	}
	if (len > 0)		/* a reset has no body (and memcpy no NULL) */
		put(&p, body, len);
	h.len = (uint16_t)(p - entry - sizeof h);
	h.seq = ++st.seq;
	memcpy(entry, &h, sizeof h);
	crc = crc32c(0, entry, (size_t)(p - entry));
	put(&p, &crc, 4);
	n = (size_t)(p - entry);
	if (st.len + n > st.cap) {
		size_t	 cap = st.cap ? st.cap * 2 : 65536;
		char	*b = realloc(st.buf, cap);

		if (b == NULL)
			fatalx("state: out of memory for the journal buffer");
		st.buf = b;
		st.cap = cap;
	}
	memcpy(st.buf + st.len, entry, n);
	st.len += n;
}

/* A parted submission is journaled now; an unparted key is marked, and
 * journaled whole at the commit (J_SET). */
void
state_submit(struct store *s, struct key *k, const struct record *r)
{
	char	body[16], *p = body;

	if (st.jfd == -1)
		return;
	if (r->nparts == 0) {
		store_mark(s, k);
		return;
	}
	put(&p, &r->value, 8);
	put(&p, &r->part, 4);
	put(&p, &r->nparts, 4);
	journal_add(J_SUBMIT, k->name, body, sizeof body);
}

static void
journal_set(const struct key *k)
{
	unsigned char	 body[8 * 3 + 1 + ACCUM_ENCODED_MAX];
	char		*p = (char *)body;
	uint8_t		 nz = k->acc.nonnegzero;

	put(&p, &k->acc.count, 8);
	put(&p, &k->min, 8);
	put(&p, &k->max, 8);
	put(&p, &nz, 1);
	p += accum_encode(&k->acc, (unsigned char *)p);
	journal_add(J_SET, k->name, body, (size_t)(p - (char *)body));
}

void
state_reset(const char *key)
{
	if (st.jfd != -1)
		journal_add(key ? J_RESET : J_RESET_ALL, key, NULL, 0);
}

/* --- loading (pure: buffers in, store out; the fuzzers call these) ---- */

/*
 * The figures of a key read back from the journal or the snapshot: at
 * least one submission, and fewer than 2^62.  No real key reaches that
 * (centuries at any rate); a larger count is damage, and refusing it means
 * the journal replayed after it can never wrap the count.
 */
static int
figures_valid(uint64_t count, double min, double max)
{
	return count != 0 && count <= COUNT_MAX && isfinite(min) &&
	    isfinite(max);
}

/* A J_SET entry's body for KEY: the key takes exactly that state. */
static int
replay_set(struct store *s, const char *key, const char *q, size_t len)
{
	struct key	*k;
	uint64_t	 count;
	double		 min, max;
	uint8_t		 nz;
	const char	*end = q + len;

	if (get(&q, end, &count, 8) != 0 || get(&q, end, &min, 8) != 0 ||
	    get(&q, end, &max, 8) != 0 || get(&q, end, &nz, 1) != 0 ||
	    !figures_valid(count, min, max) || nz > 1 || min > max)
		return -1;
	if ((k = store_find(s, key)) == NULL && (k = store_insert(s, key)) == NULL)
		return -1;
	if (k->nparts != 0)
		return -1;	/* a parted key is never set whole */
	if (accum_decode(&k->acc, (const unsigned char *)q, (size_t)(end - q),
	    count, nz) != 0) {
		if (errno == ENOMEM)
			fatalx("state: out of memory replaying key %s", key);
		return -1;
	}
	k->min = min;
	k->max = max;
	return 0;
}

/* Replay journal entries over ST.  *seq is the last sequence applied
 * (the snapshot's on entry); *good is the length of the valid prefix.  A
 * bad entry with nothing valid after it is a torn tail: 0, and *good
 * stops before it.  Anything else is -1 with *cause. */
int
state_parse_journal(const char *buf, size_t len, struct store *s,
    uint64_t *seq, size_t *good, char **cause)
{
	const char	*p = buf, *end = buf + len, *q;
	struct jhdr	 h;
	struct record	 r;
	uint32_t	 crc;
	uint8_t		 klen;
	char		 key[IPCD_KEY_MAX + 1];
	int		 c;
	size_t		 off;

	*good = 0;
	while (p < end) {
		off = (size_t)(p - buf);
		q = p;
		if (get(&q, end, &h, sizeof h) != 0 || h.magic != JOUR_MAGIC ||
		    h.len > JPAYLOAD_MAX || (size_t)(end - q) < h.len + 4U)
			goto bad;
		memcpy(&crc, q + h.len, 4);
		if (crc != crc32c(0, p, sizeof h + h.len))
			goto bad;
		q = p + sizeof h;
		p += sizeof h + h.len + 4;
		if (h.seq <= *seq) {
			*good = (size_t)(p - buf);
			continue;	/* already in the snapshot */
		}
		if (h.seq != *seq + 1) {
			*cause = fmtstr("journal entry at offset %zu has sequence "
			    "%llu after %llu: entries are missing", off,
			    (unsigned long long)h.seq, (unsigned long long)*seq);
			return -1;
		}
		memset(&r, 0, sizeof r);
		klen = 0;
		if (h.type != J_RESET_ALL && (get(&q, p - 4, &klen, 1) != 0 ||
		    klen == 0 || klen > IPCD_KEY_MAX ||
		    get(&q, p - 4, key, klen) != 0 || !key_valid(key, klen)))
			goto invalid;
		key[klen] = '\0';
		switch (h.type) {
		case J_SUBMIT:
			strcpy(r.key, key);
			if (get(&q, p - 4, &r.value, 8) != 0 ||
			    get(&q, p - 4, &r.part, 4) != 0 ||
			    get(&q, p - 4, &r.nparts, 4) != 0 || q != p - 4 ||
			    !isfinite(r.value) || !part_valid(r.part, r.nparts))
				goto invalid;
			if (store_apply(s, &r, &c, NULL) != APPLY_OK)
				goto invalid;
			break;
		case J_SET:
			if (replay_set(s, key, q, (size_t)(p - 4 - q)) != 0)
				goto invalid;
			break;
		case J_RESET:
			if (q != p - 4)
				goto invalid;
			if (store_find(s, key) != NULL)
				store_remove(s, store_find(s, key));
			break;
		case J_RESET_ALL:
			if (q != p - 4)
				goto invalid;
			store_remove_all(s);
			break;
		default:
			goto invalid;
		}
		*seq = h.seq;
		*good = (size_t)(p - buf);
	}
	*good = len;
	return 0;
invalid:
	*cause = fmtstr("journal entry %llu at offset %zu is well formed but "
	    "makes no sense", (unsigned long long)h.seq, off);
	return -1;
bad:
	/* A torn tail only if no valid entry follows the bad bytes. */
	for (q = p + 1; q + sizeof h + 4 <= end; q++) {
		memcpy(&h, q, sizeof h);
		if (h.magic != JOUR_MAGIC || h.len > JPAYLOAD_MAX ||
		    (size_t)(end - q) < sizeof h + h.len + 4U)
			continue;
		memcpy(&crc, q + sizeof h + h.len, 4);
		if (crc == crc32c(0, q, sizeof h + h.len)) {
			*cause = fmtstr("journal is corrupt at offset %zu (valid "
			    "entries follow the damage)", off);
			return -1;
		}
	}
	return 0;
}

/* Load a snapshot into the empty store S; *seq is the last journal
 * sequence it covers. */
int
state_parse_snapshot(const char *buf, size_t len, struct store *s,
    uint64_t *seq, char **cause)
{
	const char	*p = buf, *end;
	struct key	*k;
	uint64_t	 nkeys = 0, i = 0, count;
	int64_t		 limb[ACCUM_LIMBS];
	uint32_t	 version, crc, reserved, nonnegzero;
	uint8_t		 klen;
	char		 magic[8], name[IPCD_KEY_MAX + 1];

	if (len < 8 + 4 + 4 + 8 + 8 + 4) {
		*cause = fmtstr("too short (%zu bytes)", len);
		return -1;
	}
	end = buf + len - 4;
	memcpy(&crc, end, 4);
	if (crc != crc32c(0, buf, len - 4)) {
		*cause = fmtstr("checksum mismatch");
		return -1;
	}
	get(&p, end, magic, 8);
	get(&p, end, &version, 4);
	get(&p, end, &reserved, 4);
	get(&p, end, seq, 8);
	get(&p, end, &nkeys, 8);
	if (memcmp(magic, SNAP_MAGIC, 8) != 0 || version != SNAP_VERSION) {
		*cause = fmtstr("not an ipcd version %d state file", SNAP_VERSION);
		return -1;
	}
	for (i = 0; i < nkeys; i++) {
		if (get(&p, end, &klen, 1) != 0 || klen == 0 ||
		    klen > IPCD_KEY_MAX || get(&p, end, name, klen) != 0 ||
		    !key_valid(name, klen))
			goto bad;
		name[klen] = '\0';
		if ((k = store_insert(s, name)) == NULL)
			goto bad;
		if (get(&p, end, &count, 8) != 0 ||
		    get(&p, end, &k->duplicates, 8) != 0 ||
		    get(&p, end, &k->min, 8) != 0 ||
		    get(&p, end, &k->max, 8) != 0 ||
		    get(&p, end, &k->nparts, 4) != 0 ||
		    get(&p, end, &k->received, 4) != 0 ||
		    get(&p, end, &nonnegzero, 4) != 0 ||
		    get(&p, end, limb, sizeof limb) != 0)
			goto bad;
		if (accum_import(&k->acc, limb, count, nonnegzero != 0) != 0) {
			if (errno == ENOMEM)
				fatalx("state: out of memory loading key %s",
				    k->name);
			goto bad;
		}
		if (k->nparts > IPCD_PARTS_MAX || k->received > k->nparts ||
		    !figures_valid(k->acc.count, k->min, k->max) ||
		    k->duplicates > COUNT_MAX)
			goto bad;
		if (k->nparts != 0) {
			/* Every set bit is a part 1..N and their number is
			 * "received": bits past N would complete the key with
			 * parts missing. */
			key_set_parts(s, k, k->nparts);
			if (get(&p, end, k->seen, (k->nparts + 7) / 8) != 0 ||
			    (k->nparts % 8 != 0 &&
			    (k->seen[k->nparts / 8] >> (k->nparts % 8)) != 0) ||
			    key_count_parts(k) != k->received)
				goto bad;
		}
	}
	if (p != end)
		goto bad;
	return 0;
bad:
	*cause = fmtstr("key %llu of %llu is damaged", (unsigned long long)i + 1,
	    (unsigned long long)nkeys);
	return -1;
}

/* --- files ----------------------------------------------------------- */

static char *
slurp(const char *path, size_t *len, char **cause)
{
	struct stat	 sb;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			*cause = fmtstr("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		*cause = fmtstr("%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	while (off < (size_t)sb.st_size &&
	    (n = read(fd, buf + off, (size_t)sb.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	*len = off;
	return buf;
}

static int
mkdirs(const char *dir)
{
	char	tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof tmp, "%s", dir);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0750) == -1 && errno != EEXIST ? -1 : 0;
}

static void
fsync_dir(const char *path)
{
	char	dir[PATH_MAX];
	int	fd;

	snprintf(dir, sizeof dir, "%s", path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("state: open %s", dir);
	if (fsync(fd) != 0)
		fatal("state: fsync %s", dir);
	close(fd);
}

/* Write the whole store as a snapshot, atomically. */
static void
snapshot_write(struct store *s)
{
	char		 tmp[PATH_MAX + 8], *buf, *p;
	struct key	*k;
	int64_t		 limb[ACCUM_LIMBS];
	uint64_t	 nkeys = store_count(s);
	uint32_t	 version = SNAP_VERSION, reserved = 0, crc, nz;
	uint8_t		 klen;
	size_t		 size = 8 + 4 + 4 + 8 + 8 + 4, off;
	ssize_t		 n;
	int		 fd;

	for (k = store_next(s, NULL); k != NULL; k = store_next(s, k))
		size += 1 + strlen(k->name) + 8 * 4 + 4 * 3 + sizeof limb +
		    (k->nparts + 7) / 8;
	if ((buf = malloc(size)) == NULL)
		fatalx("state: out of memory for a snapshot of %zu bytes", size);
	p = buf;
	put(&p, SNAP_MAGIC, 8);
	put(&p, &version, 4);
	put(&p, &reserved, 4);
	put(&p, &st.seq, 8);
	put(&p, &nkeys, 8);
	for (k = store_next(s, NULL); k != NULL; k = store_next(s, k)) {
		klen = (uint8_t)strlen(k->name);
		accum_export(&k->acc, limb);
		nz = (uint32_t)k->acc.nonnegzero;
		put(&p, &klen, 1);
		put(&p, k->name, klen);
		put(&p, &k->acc.count, 8);
		put(&p, &k->duplicates, 8);
		put(&p, &k->min, 8);
		put(&p, &k->max, 8);
		put(&p, &k->nparts, 4);
		put(&p, &k->received, 4);
		put(&p, &nz, 4);
		put(&p, limb, sizeof limb);
		if (k->nparts != 0)
			put(&p, k->seen, (k->nparts + 7) / 8);
	}
	crc = crc32c(0, buf, (size_t)(p - buf));
	put(&p, &crc, 4);

	snprintf(tmp, sizeof tmp, "%s.tmp", st.path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		fatal("state: cannot write a snapshot: open %s", tmp);
	for (off = 0; off < size; off += (size_t)n)
		if ((n = write(fd, buf + off, size - off)) <= 0)
			fatal("state: cannot write a snapshot: write %s", tmp);
	if (fsync(fd) != 0)
		fatal("state: fsync %s", tmp);
	close(fd);
	free(buf);
	if (rename(tmp, st.path) != 0)
		fatal("state: rename %s", tmp);
	fsync_dir(st.path);
	/* The snapshot covers every journal entry: start the journal over. */
	if (ftruncate(st.jfd, 0) != 0 || fsync(st.jfd) != 0)
		fatal("state: truncate %s", st.jpath);
	st.jsize = 0;
}

/* Wrap *cause in a sentence that names the file and what to do:
 * "WHAT FILE[ is corrupt]: CAUSE; move it aside to start REMEDY". */
static void
explain(char **cause, const char *what, const char *file, int corrupt,
    const char *remedy)
{
	char	*why = *cause;

	*cause = fmtstr("%s %s%s: %s; move it aside to start %s", what, file,
	    corrupt ? " is corrupt" : "", why, remedy);
	free(why);
}

/* Open the state, load it into the empty store S, and hold it locked. */
int
state_open(const struct conf *c, struct store *s, char **cause)
{
	char		*buf, dir[PATH_MAX];
	size_t		 len, good;
	size_t		 limit = store_limit(s);
	int		 r;

	st.sync = c->state.sync;
	st.compact_bytes = c->state.compact_bytes;
	snprintf(st.path, sizeof st.path, "%s", c->state.file);
	snprintf(st.jpath, sizeof st.jpath, "%s.journal", c->state.file);
	snprintf(dir, sizeof dir, "%s", c->state.file);
	if (mkdirs(dirname(dir)) != 0) {
		*cause = fmtstr("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	st.jfd = open(st.jpath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (st.jfd == -1) {
		*cause = fmtstr("%s: %s", st.jpath, strerror(errno));
		return -1;
	}
	if (flock(st.jfd, LOCK_EX | LOCK_NB) != 0) {
		*cause = fmtstr("%s is in use by another ipcd", st.jpath);
		goto fail;
	}
	/* Whatever the state holds is loaded, limits or not. */
	store_set_limit(s, SIZE_MAX);
	st.seq = 0;
	*cause = NULL;
	if ((buf = slurp(st.path, &len, cause)) != NULL) {
		r = state_parse_snapshot(buf, len, s, &st.seq, cause);
		free(buf);
		if (r != 0) {
			explain(cause, "state file", st.path, 1,
			    "from empty totals");
			goto fail;
		}
	} else if (*cause != NULL)
		goto fail;
	len = good = 0;
	if ((buf = slurp(st.jpath, &len, cause)) == NULL && *cause != NULL)
		goto fail;
	r = buf != NULL ? state_parse_journal(buf, len, s, &st.seq, &good,
	    cause) : 0;
	free(buf);
	if (r != 0) {
		explain(cause, "state journal", st.jpath, 0,
		    "from the snapshot alone");
		goto fail;
	}
	if (good < len) {
		log_warnx("state journal %s: dropped %zu bytes of an entry cut "
		    "short by a crash (never acknowledged)", st.jpath,
		    len - good);
		if (ftruncate(st.jfd, (off_t)good) != 0 || fsync(st.jfd) != 0) {
			*cause = fmtstr("%s: %s", st.jpath, strerror(errno));
			goto fail;
		}
	}
	st.jsize = good;
	store_set_limit(s, limit);
	log_info("state: %zu keys loaded from %s (journal entry %llu)",
	    store_count(s), st.path, (unsigned long long)st.seq);
	return 0;
fail:
	close(st.jfd);
	st.jfd = -1;
	store_remove_all(s);
	store_set_limit(s, limit);
	return -1;
}

static void
journal_write(const char *p, size_t len)
{
	ssize_t	n;
	size_t	off;

	for (off = 0; off < len; off += (size_t)n) {
		n = write(st.jfd, p + off, len - off);
		if (n > 0)
			continue;
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		/* Leave no half entry behind, then stop: the submissions in
		 * this batch were never acknowledged. */
		(void)ftruncate(st.jfd, (off_t)st.jsize);
		fatal("state journal %s: write failed; stopping without "
		    "acknowledging the last %zu bytes of submissions", st.jpath,
		    len);
	}
	st.jsize += len;
}

/* Make the buffered entries durable (as the sync setting says). */
void
state_commit(struct store *s)
{
	const char	*p, *end;
	struct jhdr	 h;
	struct key	*k;

	if (st.jfd == -1)
		return;
	while ((k = store_take_changed(s)) != NULL)
		journal_set(k);
	if (st.len == 0)
		return;
	p = st.buf;
	end = st.buf + st.len;
	if (st.sync == SYNC_ALWAYS) {
		for (; p < end; p += sizeof h + h.len + 4) {
			memcpy(&h, p, sizeof h);
			journal_write(p, sizeof h + h.len + 4);
			if (fdatasync(st.jfd) != 0)
				fatal("state journal %s: fdatasync", st.jpath);
		}
	} else {
		journal_write(st.buf, st.len);
		if (st.sync == SYNC_BATCH && fdatasync(st.jfd) != 0)
			fatal("state journal %s: fdatasync", st.jpath);
	}
	st.len = 0;
	if (st.jsize >= (uint64_t)st.compact_bytes)
		snapshot_write(s);
}

/* At a clean stop: commit, snapshot, empty journal. */
void
state_close(struct store *s)
{
	if (st.jfd == -1)
		return;
	state_commit(s);
	snapshot_write(s);
	close(st.jfd);
	st.jfd = -1;
	free(st.buf);
	st.buf = NULL;
	st.len = st.cap = 0;
}
