/*
 * Durable totals: an append-only journal plus a snapshot, as a database
 * would keep them.  The format is in statefmt.h, the loader in
 * state_load.c, the files and the snapshot writer in state_file.c.
 *
 * Every change to the key store (an applied part, a duplicate part, a
 * reset, the new state of an unparted key) is journaled as an entry with a
 * sequence number and a CRC, after a J_TIME that gives the pass's time
 * (each key's last update) when it differs from the file's last one.
 * A batch that applies a spool file is one transaction (J_BEGIN ..
 * J_COMMIT, with the file's identity, J_SPOOL): replayed whole or not at
 * all, so that the file is counted once.  Entries are buffered during one
 * pass of the event loop and written together when it ends (group
 * commit), followed by
 * one fdatasync with "sync = batch"; server.c releases socket replies only
 * after that, and reads no more input before it.  "always" syncs every
 * entry on its own, "never" leaves syncing to the kernel (safe against a
 * crash of ipcd, not of the machine).
 *
 * When the journal grows past compact_bytes, the whole store is written
 * as a snapshot without stopping the loop: the journal is renamed
 * STATE.journal.old and a new one started, then a forked child writes the
 * store as it was at that moment (its copy-on-write image) to STATE.tmp,
 * fsyncs it, renames it over STATE and fsyncs the directory.  Only once
 * the child has succeeded is STATE.journal.old removed; if it fails (a
 * full disk), the old journal stays and the next attempt, no sooner than
 * COMPACT_RETRY seconds later, writes a snapshot that covers it too.  At
 * a clean stop the snapshot is written in-process and the journals
 * emptied.
 *
 * Why no crash loses or doubles anything: the snapshot records the
 * sequence number of the last entry it covers, and replay reads the
 * snapshot, then STATE.journal.old, then STATE.journal, skipping every
 * entry the snapshot covers and requiring the others to follow one
 * another without a gap.  Each step above leaves the files in a state
 * that reads back the same totals: before the rename of the snapshot the
 * old one and both journals hold everything; after it the new one covers
 * all of STATE.journal.old.  A journal whose last entry is cut short (a
 * crash in mid-write) loses that entry, which was never acknowledged;
 * anything else that does not check out stops ipcd with a message.
 *
 * The directory is locked through STATE.lock (never renamed), which the
 * child inherits and so holds until it is gone; a child dies with ipcd.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "state.h"
#include "statefmt.h"
#include "util.h"
#include "xmalloc.h"

#define COMPACT_RETRY	10	/* seconds after a failed snapshot */
#define LOCK_WAIT_MS	2000	/* for the writer of a killed ipcd to go */

static struct {
	int		 sync;
	long		 compact_bytes;
	char		 dir[PATH_MAX];
	char		 snap[NAME_MAX + 1], jname[NAME_MAX + 16];
	char		 oname[NAME_MAX + 16], tname[NAME_MAX + 16];
	char		 lname[NAME_MAX + 16];
	char		 jpath[PATH_MAX + NAME_MAX + 16];
	int		 dfd, lfd, jfd;
	int		 old;		/* STATE.journal.old exists */
	uint64_t	 seq;		/* of the last entry made */
	uint64_t	 jsize;		/* bytes written to the journal */
	int64_t		 jtime;		/* of the last J_TIME in this file */
	unsigned char	*buf;		/* entries not yet written */
	size_t		 len, cap;
	int		 txn;		/* a J_BEGIN awaits its J_COMMIT */
	pid_t		 child;		/* writing a snapshot, or 0 */
	time_t		 retry;		/* no compaction before */
	double		 commit_seconds;	/* the last flush that wrote */
} st = { .dfd = -1, .lfd = -1, .jfd = -1 };

/* Queue one entry for the next commit. */
static void
journal_add(uint8_t kind, const char *key, const void *body, size_t len)
{
	if (st.len + JENTRY_MAX > st.cap) {
		st.cap = st.cap ? st.cap * 2 : 65536;
		st.buf = xrealloc(st.buf, st.cap);
	}
	st.len += jentry_encode(st.buf + st.len, kind, ++st.seq, key, body,
	    len);
}

/* Before an entry that sets K's time: the time, unless the journal file
 * said it last. */
static void
journal_time(const struct key *k)
{
	unsigned char	body[JTIME_BODY];

	if (k->updated != 0 && k->updated != st.jtime) {
		journal_add(J_TIME, NULL, body, jtime_body(body, k->updated));
		st.jtime = k->updated;
	}
}

/* A parted submission is journaled now; an unparted key is marked, and
 * journaled whole at the commit (J_SET). */
void
state_submit(struct store *s, struct key *k, const struct record *r)
{
	unsigned char	body[JSUBMIT_BODY];

	if (st.jfd == -1)
		return;
	if (r->nparts == 0) {
		store_mark(s, k);
		return;
	}
	journal_time(k);
	journal_add(J_SUBMIT, k->name, body,
	    jsubmit_body(body, r->value, r->part, r->nparts));
}

/* A duplicate part was received: "duplicates" is a total like any other. */
void
state_duplicate(struct store *s, struct key *k)
{
	if (st.jfd != -1)
		journal_add(J_DUP, k->name, NULL, 0);
}

void
state_reset(const char *key)
{
	if (st.jfd != -1)
		journal_add(key ? J_RESET : J_RESET_ALL, key, NULL, 0);
}

/* The records of a spool file are about to be applied: they, and every
 * entry after them up to the commit, are one transaction. */
void
state_spool_begin(void)
{
	if (st.jfd != -1 && !st.txn) {
		journal_add(J_BEGIN, NULL, NULL, 0);
		st.txn = 1;
	}
}

/* The records of file ID are applied: journal it in the transaction, and
 * remember it until the spool forgets it (spoolid.c). */
void
state_spool_done(const struct spool_id *id)
{
	unsigned char	body[JSPOOL_BODY_MAX];

	if (st.jfd != -1)
		journal_add(J_SPOOL, NULL, body, spoolid_put(body, id));
	spoolid_add(id);
}

/* Replay the journal NAME (open at FD) over S; *good: its valid length. */
static int
load_journal(int fd, const char *name, struct store *s, size_t *good,
    size_t *len, char **cause)
{
	char	*buf, path[sizeof st.jpath];
	int	 r;

	snprintf(path, sizeof path, "%s/%s", st.dir, name);
	if ((buf = sf_read(fd, path, len, cause)) == NULL)
		return -1;
	r = state_parse_journal(buf, *len, s, &st.seq, good, cause);
	free(buf);
	if (r != 0)
		sf_explain(cause, "state journal", st.dir, name, 0,
		    "from the snapshot alone");
	return r;
}

/* The snapshot, then the old journal, then the journal (open at st.jfd). */
static int
load(struct store *s, char **cause)
{
	char	*buf, path[sizeof st.jpath];
	size_t	 len = 0, good = 0;
	int	 fd, r;

	snprintf(path, sizeof path, "%s/%s", st.dir, st.snap);
	if ((fd = sf_open(st.dfd, st.dir, st.snap, O_RDONLY, cause)) != -1) {
		buf = sf_read(fd, path, &len, cause);
		close(fd);
		if (buf == NULL)
			return -1;
		r = state_parse_snapshot(buf, len, s, &st.seq, cause);
		free(buf);
		if (r != 0) {
			sf_explain(cause, "state file", st.dir, st.snap, 1,
			    "from empty totals");
			return -1;
		}
	} else if (*cause != NULL)
		return -1;
	if ((fd = sf_open(st.dfd, st.dir, st.oname, O_RDONLY, cause)) != -1) {
		st.old = 1;
		r = load_journal(fd, st.oname, s, &good, &len, cause);
		close(fd);
		if (r == 0 && good < len) {
			*cause = fmtstr("state journal %s/%s is corrupt: its "
			    "last entry is cut short", st.dir, st.oname);
			r = -1;
		}
		if (r != 0)
			return -1;
	} else if (*cause != NULL)
		return -1;
	if (load_journal(st.jfd, st.jname, s, &good, &len, cause) != 0)
		return -1;
	if (good < len) {
		log_warnx("state journal %s: dropped %zu bytes of an entry cut "
		    "short, or a transaction left unfinished, by a crash (never "
		    "acknowledged)", st.jpath, len - good);
		if (ftruncate(st.jfd, (off_t)good) != 0 || fsync(st.jfd) != 0) {
			*cause = fmtstr("%s: %s", st.jpath, strerror(errno));
			return -1;
		}
	}
	st.jsize = good;
	return 0;
}

/* Lock the state directory; a killed ipcd's snapshot writer may hold the
 * lock for a moment longer (it dies with ipcd). */
static int
lock_dir(char **cause)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		i;

	st.lfd = sf_open(st.dfd, st.dir, st.lname, O_RDWR | O_CREAT, cause);
	if (st.lfd == -1)
		return -1;
	for (i = 0; flock(st.lfd, LOCK_EX | LOCK_NB) != 0; i++) {
		if (errno != EWOULDBLOCK || i * 10 >= LOCK_WAIT_MS) {
			*cause = fmtstr("%s/%s is in use by another ipcd",
			    st.dir, st.snap);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void
state_names(const struct conf *c)
{
	char	tmp[PATH_MAX];

	st.sync = c->state.sync;
	st.compact_bytes = c->state.compact_bytes;
	snprintf(tmp, sizeof tmp, "%s", c->state.file);
	snprintf(st.dir, sizeof st.dir, "%s", dirname(tmp));
	snprintf(tmp, sizeof tmp, "%s", c->state.file);
	snprintf(st.snap, sizeof st.snap, "%s", basename(tmp));
	snprintf(st.jname, sizeof st.jname, "%s.journal", st.snap);
	snprintf(st.oname, sizeof st.oname, "%s.journal.old", st.snap);
	snprintf(st.tname, sizeof st.tname, "%s.tmp", st.snap);
	snprintf(st.lname, sizeof st.lname, "%s.lock", st.snap);
	snprintf(st.jpath, sizeof st.jpath, "%s/%s", st.dir, st.jname);
}

static void
close_fds(void)
{
	if (st.jfd != -1)
		close(st.jfd);
	if (st.lfd != -1)
		close(st.lfd);
	if (st.dfd != -1)
		close(st.dfd);
	st.jfd = st.lfd = st.dfd = -1;
}

/* Keys the state gives no time for (statefmt.h) take the load's. */
static void
stamp_unknown(struct store *s)
{
	struct key	*k;
	int64_t		 now = wall_ns();

	for (k = store_next(s, NULL); k != NULL; k = store_next(s, k))
		if (k->updated == 0)
			k->updated = now;
}

/* Open the state, load it into the empty store S, and hold it locked. */
int
state_open(const struct conf *c, struct store *s, char **cause)
{
	size_t	limit = store_limit(s);

	state_names(c);
	*cause = NULL;
	st.seq = 0;
	st.old = 0;
	st.jtime = 0;
	if ((st.dfd = sf_open_dir(st.dir, cause)) == -1 || lock_dir(cause) != 0)
		goto fail;
	st.jfd = sf_open(st.dfd, st.dir, st.jname,
	    O_RDWR | O_CREAT | O_APPEND, cause);
	if (st.jfd == -1)
		goto fail;
	/* Whatever the state holds is loaded, limits or not. */
	store_set_limit(s, SIZE_MAX);
	if (load(s, cause) != 0)
		goto fail;
	store_set_limit(s, limit);
	stamp_unknown(s);
	log_info("state: %zu keys loaded from %s/%s (journal entry %llu)",
	    store_count(s), st.dir, st.snap, (unsigned long long)st.seq);
	return 0;
fail:
	close_fds();
	store_remove_all(s);
	store_set_limit(s, limit);
	return -1;
}

static void
journal_write(const unsigned char *p, size_t len)
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

/* Write and sync the buffered entries, as the sync setting says. */
static void
flush(struct store *s)
{
	const unsigned char	*p, *end;
	struct key		*k;
	unsigned char		 body[JSET_BODY_MAX];
	double			 start;

	while ((k = store_take_changed(s)) != NULL) {
		journal_time(k);
		journal_add(J_SET, k->name, body, jset_body(body, k));
	}
	if (st.txn) {
		journal_add(J_COMMIT, NULL, NULL, 0);
		st.txn = 0;
	}
	if (st.len == 0)
		return;
	start = mono_sec();
	p = st.buf;
	end = st.buf + st.len;
	if (st.sync == SYNC_ALWAYS) {
		for (; p < end; p += jentry_size(p)) {
			journal_write(p, jentry_size(p));
			if (fdatasync(st.jfd) != 0)
				fatal("state journal %s: fdatasync", st.jpath);
		}
	} else {
		journal_write(st.buf, st.len);
		if (st.sync == SYNC_BATCH && fdatasync(st.jfd) != 0)
			fatal("state journal %s: fdatasync", st.jpath);
	}
	st.len = 0;
	st.commit_seconds = mono_sec() - start;
}

/* Start a new journal: what the old one holds is what the snapshot about
 * to be written covers.  Kept if a failed snapshot left one already. */
static void
rotate(void)
{
	int	 fd;
	char	*cause = NULL;

	if (st.old)
		return;
	if (renameat(st.dfd, st.jname, st.dfd, st.oname) != 0)
		fatal("state: rename %s", st.jpath);
	st.old = 1;
	fd = sf_open(st.dfd, st.dir, st.jname,
	    O_RDWR | O_CREAT | O_EXCL | O_APPEND, &cause);
	if (fd == -1)
		fatalx("state: %s", cause);
	/* New entries must not land in a file the directory may forget. */
	if (st.sync != SYNC_NEVER && fsync(st.dfd) != 0)
		fatal("state: fsync %s", st.dir);
	close(st.jfd);
	st.jfd = fd;
	st.jsize = 0;
	st.jtime = 0;
}

/* In the child: write the snapshot and report through the exit status. */
static void __attribute__((noreturn))
child(struct store *s, pid_t parent)
{
	char	*cause;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	if (sf_snapshot(st.dfd, st.dir, st.snap, st.tname, s, st.seq,
	    &cause) != 0) {
		log_warnx("state: snapshot failed: %s", cause);
		_exit(1);
	}
	_exit(0);
}

static void
compact(struct store *s)
{
	pid_t	pid, parent = getpid();

	if (st.child != 0 || time(NULL) < st.retry)
		return;
	rotate();
	if ((pid = fork()) == -1) {
		log_warn("state: cannot fork the snapshot writer; retrying in "
		    "%d s", COMPACT_RETRY);
		st.retry = time(NULL) + COMPACT_RETRY;
		return;
	}
	if (pid == 0)
		child(s, parent);
	st.child = pid;
}

/* The snapshot writer ended with STATUS. */
static void
compacted(int status)
{
	st.child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (unlinkat(st.dfd, st.oname, 0) != 0 && errno != ENOENT)
			fatal("state: unlink %s/%s", st.dir, st.oname);
		st.old = 0;
		log_debug("state: snapshot written");
		return;
	}
	log_warnx("state: the snapshot was not written (%s %d); the journals "
	    "keep everything; retrying in %d s", WIFEXITED(status) ?
	    "exit status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) :
	    WTERMSIG(status), COMPACT_RETRY);
	st.retry = time(NULL) + COMPACT_RETRY;
}

/* SIGCHLD: reap the snapshot writer, if it is done. */
void
state_reap(void)
{
	int	status;

	if (st.child != 0 && waitpid(st.child, &status, WNOHANG) == st.child)
		compacted(status);
}

void
state_figures(struct state_figures *f)
{
	memset(f, 0, sizeof *f);
	if (st.jfd == -1)
		return;
	f->journal_bytes = st.jsize + (st.old ? sf_size(st.dfd, st.oname) : 0);
	f->snapshot_bytes = sf_size(st.dfd, st.snap);
	f->commit_seconds = st.commit_seconds;
}

/* Make the buffered entries durable; compact when the journal is long. */
void
state_commit(struct store *s)
{
	if (st.jfd == -1)
		return;
	flush(s);
	if (st.jsize >= (uint64_t)st.compact_bytes)
		compact(s);
}

/* At a clean stop: commit, snapshot in-process, empty journals. */
void
state_close(struct store *s)
{
	char	*cause;
	int	 status;

	if (st.jfd == -1)
		return;
	flush(s);
	if (st.child != 0 && waitpid(st.child, &status, 0) == st.child)
		compacted(status);
	if (sf_snapshot(st.dfd, st.dir, st.snap, st.tname, s, st.seq,
	    &cause) != 0)
		fatalx("state: %s", cause);
	if (unlinkat(st.dfd, st.oname, 0) != 0 && errno != ENOENT)
		fatal("state: unlink %s/%s", st.dir, st.oname);
	if (ftruncate(st.jfd, 0) != 0 || fsync(st.jfd) != 0)
		fatal("state: truncate %s", st.jpath);
	close_fds();
	free(st.buf);
	st.buf = NULL;
	st.len = st.cap = 0;
}
