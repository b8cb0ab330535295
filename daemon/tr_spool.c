/*
 * The spool transport: a directory into which workers rename files of
 * records.  Each file is applied whole or not at all (spool_file.c), and
 * removed only after the commit that made its records durable; the
 * journal holds its identity in the same transaction (state.c), so a
 * crash between the commit and the removal does not count it twice: at
 * start every remembered file still there is removed without being
 * applied again.  A file that is rejected goes to rejected/ with a .why
 * beside it naming the line and the cause.
 *
 * The directory belongs to ipcd's user; its group (from [spool] group)
 * may drop files in but, with the default mode 0730, not list them, and
 * others may not even look in, so a file may be readable by all (as it
 * must be for ipcd to read another user's file).  ipcd adds the sticky
 * bit: a group member cannot remove or replace another's file.  (Not the
 * set-group-ID bit, which systemd's RestrictSUIDSGID= forbids.)
 * rejected/ is ipcd's, mode 0710: a submitter reads the .why of a name
 * it knows, and cannot list the others.
 *
 * inotify (IN_MOVED_TO, IN_CLOSE_WRITE) wakes the loop, and IN_CREATE for
 * what is not a regular file (a link, a FIFO planted); names beginning
 * with "." are files being written and are left alone.  The directory is
 * scanned at open and after the queue of inotify (or ours) overflowed.
 * Every name is handled through the directory's descriptor, never a path.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "node.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

#define SPOOL_QUEUE_MAX		65536	/* names waiting; past it, a scan */
#define SPOOL_PASS_FILES	256	/* files taken per loop pass */
#define SPOOL_IGNORED_MAX	256	/* objects neither moved aside nor removed */
#define SPOOL_EVENTS		(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_ONLYDIR)
#define SPOOL_SLOW_APPLY	0.1	/* seconds: worth a debug line */
#define SPOOL_DIR_BITS		S_ISVTX

static struct {
	int			 dfd, ifd;
	char			 dir[PATH_MAX];
	long			 max_bytes;
	int			 sync;
	struct event		*iev, *work;
	char			**queue;
	size_t			 qhead, qlen, qcap;
	int			 rescan;	/* a scan is due */
	int			 busy;		/* cur is open */
	struct spool_file	 cur;
	struct spool_id		*done;		/* applied, to remove */
	size_t			 ndone, dcap;
	struct {
		uint64_t	 dev, ino;
	}			 ignored[SPOOL_IGNORED_MAX];
	size_t			 nignored;
} sp = { .dfd = -1, .ifd = -1 };

static void
schedule(void)
{
	struct timeval	now = { 0, 0 };

	if (!evtimer_pending(sp.work, NULL))
		evtimer_add(sp.work, &now);
}

static void
queue_push(const char *name)
{
	if (sp.qhead == sp.qlen)
		sp.qhead = sp.qlen = 0;
	if (sp.qlen - sp.qhead >= SPOOL_QUEUE_MAX) {
		sp.rescan = 1;
		return;
	}
	if (sp.qlen == sp.qcap && sp.qhead > 0) {
		memmove(sp.queue, sp.queue + sp.qhead,
		    (sp.qlen - sp.qhead) * sizeof *sp.queue);
		sp.qlen -= sp.qhead;
		sp.qhead = 0;
	}
	if (sp.qlen == sp.qcap) {
		sp.qcap = sp.qcap ? sp.qcap * 2 : 64;
		sp.queue = xrealloc(sp.queue, sp.qcap * sizeof *sp.queue);
	}
	sp.queue[sp.qlen++] = xstrdup(name);
}

static char *
queue_pop(void)
{
	return sp.qhead < sp.qlen ? sp.queue[sp.qhead++] : NULL;
}

/* Queue every name of the directory (inotify's events cover the rest). */
static void
scan(void)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if ((fd = dup(sp.dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("spool: cannot list %s", sp.dir);
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (spoolid_name_valid(de->d_name, strlen(de->d_name)))
			queue_push(de->d_name);
	closedir(d);
}

/* Created in place: a regular file is still being written (its
 * IN_CLOSE_WRITE will come); anything else is to be rejected now. */
static int
planted(const char *name)
{
	struct stat	sb;

	return fstatat(sp.dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(sb.st_mode);
}

static void
on_inotify(evutil_socket_t fd, short events, void *arg)
{
	char				 buf[65536]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ev;
	ssize_t				 n;
	char				*p;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_debug("spool: inotify's queue overflowed; "
				    "scanning %s", sp.dir);
				sp.rescan = 1;
			}
			else if (ev->len > 0 &&
			    spoolid_name_valid(ev->name, strlen(ev->name)) &&
			    (!(ev->mask & IN_CREATE) || planted(ev->name)))
				queue_push(ev->name);
		}
	schedule();
}

static int
ignored(const struct spool_id *id)
{
	size_t	i;

	for (i = 0; i < sp.nignored && i < SPOOL_IGNORED_MAX; i++)
		if (sp.ignored[i].dev == id->dev && sp.ignored[i].ino == id->ino)
			return 1;
	return 0;
}

/*
 * Move F aside, then count and log its rejection: the .why first, so that
 * a submitter who sees its file gone finds the .why if there is one.
 * What can be neither moved nor removed is remembered, and not counted
 * again; that it is ignored is said with the rejection, which is logged
 * at most once a second.
 */
static void
reject(const struct spool_file *f, const char *why)
{
	char	*msg, *fate = NULL;

	if (ignored(&f->id))
		return;
	if (spool_reject_move(sp.dfd, f->id.name, why) != 0) {
		fate = fmtstr("; cannot move it aside nor remove it (%s): "
		    "ignoring it", strerror(errno));
		sp.ignored[sp.nignored++ % SPOOL_IGNORED_MAX].dev = f->id.dev;
		sp.ignored[(sp.nignored - 1) % SPOOL_IGNORED_MAX].ino =
		    f->id.ino;
	}
	msg = fmtstr("file %s: %s%s", vis(f->id.name, strlen(f->id.name)),
	    why, fate != NULL ? fate : "");
	server_reject(TR_SPOOL, RJ_FILE, msg, &f->peer);
	free(msg);
	free(fate);
}

/* Open the next file of the queue into cur: 1, or 0 if none is left or
 * the pass has looked at SPOOL_PASS_FILES names (*FILES): a name that is
 * not opened costs a look too, so that a directory full of what can be
 * neither taken nor moved does not hold the loop. */
static int
take_next(int *files)
{
	enum spool_take	 t;
	char		*name, *why = NULL;

	while (*files < SPOOL_PASS_FILES && (name = queue_pop()) != NULL) {
		t = spool_file_open(&sp.cur, sp.dfd, name, sp.max_bytes, &why);
		free(name);
		if (t == SPOOL_BAD)
			reject(&sp.cur, why);
		free(why);
		why = NULL;
		if (t == SPOOL_OPEN)
			return 1;
		(*files)++;
	}
	return 0;
}

/* Apply cur, and say so when that held the loop long (a big file). */
static void
apply_cur(void)
{
	double	start = mono_sec(), took;
	size_t	n;

	n = spool_file_apply(&sp.cur);
	if ((took = mono_sec() - start) >= SPOOL_SLOW_APPLY)
		log_debug("spool: %s: %zu records applied in %.3f s",
		    vis(sp.cur.id.name, strlen(sp.cur.id.name)), n, took);
}

/* One slice of work a loop pass: SPOOL_PASS_BYTES read or checked, at
 * most SPOOL_PASS_FILES names looked at and one scan; the rest in the
 * next pass (a scan that filled the queue asks for another). */
static void
spool_work(evutil_socket_t fd, short events, void *arg)
{
	size_t	 budget = SPOOL_PASS_BYTES;
	char	*why = NULL;
	int	 files = 0, scanned = 0, r;

	while (budget > 0 && files < SPOOL_PASS_FILES) {
		if (!sp.busy && !(sp.busy = take_next(&files))) {
			if (!sp.rescan || scanned || files == SPOOL_PASS_FILES)
				break;
			sp.rescan = 0;
			scan();
			scanned = 1;
			continue;
		}
		if ((r = spool_file_step(&sp.cur, &budget, &why)) == 0)
			continue;
		if (r == 1) {
			apply_cur();
			if (sp.ndone == sp.dcap) {
				sp.dcap = sp.dcap ? sp.dcap * 2 : 64;
				sp.done = xrealloc(sp.done, sp.dcap *
				    sizeof *sp.done);
			}
			sp.done[sp.ndone++] = sp.cur.id;
		} else
			reject(&sp.cur, why);
		free(why);
		why = NULL;
		spool_file_free(&sp.cur);
		sp.busy = 0;
		files++;
	}
	if (sp.busy || sp.qhead < sp.qlen || sp.rescan)
		schedule();
}

/* Is the file NAME still the one ID names? */
static int
still_there(const struct spool_id *id)
{
	struct spool_id	now;
	struct stat	sb;

	if (fstatat(sp.dfd, id->name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	spool_id_of(&now, id->name, &sb);
	return spoolid_same(&now, id);
}

/* Remove the files of IDS, make that durable, then forget them (a file
 * that could not be removed stays remembered, and is not applied again).
 * The number removed. */
static size_t
remove_applied(const struct spool_id *ids, size_t n)
{
	size_t	i, removed = 0;

	for (i = 0; i < n; i++)
		if (still_there(&ids[i])) {
			if (unlinkat(sp.dfd, ids[i].name, 0) == 0)
				removed++;
			else
				log_warn("spool: cannot remove %s",
				    vis(ids[i].name, strlen(ids[i].name)));
		}
	if (removed > 0 && sp.sync != SYNC_NEVER && fsync(sp.dfd) != 0) {
		log_warn("spool: fsync %s", sp.dir);
		return removed;
	}
	for (i = n; i-- > 0;)
		if (!still_there(&ids[i]))
			spoolid_forget(&ids[i]);
	return removed;
}

/* The records of the files applied this pass are durable: remove them. */
static void
spool_committed(void)
{
	if (sp.ndone == 0)
		return;
	(void)remove_applied(sp.done, sp.ndone);
	sp.ndone = 0;
}

/* At open: files applied before a crash but still there go now. */
static void
reconcile(void)
{
	struct spool_id	*ids;
	size_t		 n = spoolid_count(), i, removed;

	if (n == 0)
		return;
	ids = xmalloc(n * sizeof *ids);
	for (i = 0; i < n; i++)
		ids[i] = *spoolid_at(i);
	if ((removed = remove_applied(ids, n)) > 0)
		log_info("spool: %zu file%s applied before a stop %s still "
		    "there; removed without applying %s again", removed,
		    removed == 1 ? "" : "s", removed == 1 ? "was" : "were",
		    removed == 1 ? "it" : "them");
	free(ids);
}

/* The directory: made if missing, in a parent ipcd can trust (node.c),
 * ipcd's own, with the configured mode and group. */
static int
open_dir(const struct conf *c, char **cause)
{
	struct stat	sb;

	if (node_prepare(c->spool.dir, S_IFDIR, cause) != 0)
		return -1;
	if (mkdir(c->spool.dir, c->spool.mode) != 0 && errno != EEXIST) {
		*cause = fmtstr("cannot create %s: %s", c->spool.dir,
		    strerror(errno));
		return -1;
	}
	sp.dfd = open(c->spool.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (sp.dfd == -1 || fstat(sp.dfd, &sb) != 0) {
		*cause = fmtstr("%s: %s", c->spool.dir, strerror(errno));
		return -1;
	}
	if (sb.st_uid != geteuid()) {
		*cause = fmtstr("spool directory %s belongs to uid %u, not to "
		    "ipcd's user (uid %u); fix: chown %u %s", c->spool.dir,
		    (unsigned)sb.st_uid, (unsigned)geteuid(),
		    (unsigned)geteuid(), c->spool.dir);
		return -1;
	}
	if (node_perms(sp.dfd, c->spool.dir, c->spool.mode | SPOOL_DIR_BITS,
	    c->spool.group, cause) != 0)
		return -1;
	return spool_reject_open(sp.dfd, sp.dir, cause);
}

/* Watch the directory we hold, not whatever its path names by now. */
static int
watch_dir(char **cause)
{
	char	path[64];

	snprintf(path, sizeof path, "/proc/self/fd/%d", sp.dfd);
	sp.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sp.ifd == -1 || (inotify_add_watch(sp.ifd, path, SPOOL_EVENTS) == -1 &&
	    inotify_add_watch(sp.ifd, sp.dir, SPOOL_EVENTS |
	    IN_DONT_FOLLOW) == -1)) {
		*cause = fmtstr("cannot watch %s: %s", sp.dir, strerror(errno));
		return -1;
	}
	sp.iev = event_new(server_base(), sp.ifd, EV_READ | EV_PERSIST,
	    on_inotify, NULL);
	sp.work = evtimer_new(server_base(), spool_work, NULL);
	if (sp.iev == NULL || sp.work == NULL || event_add(sp.iev, NULL) != 0) {
		*cause = fmtstr("cannot watch %s", sp.dir);
		return -1;
	}
	return 0;
}

static void
spool_close(void)
{
	char	*name;

	if (sp.iev != NULL)
		event_free(sp.iev);
	if (sp.work != NULL)
		event_free(sp.work);
	sp.iev = sp.work = NULL;
	if (sp.ifd != -1)
		close(sp.ifd);
	spool_reject_close();
	if (sp.dfd != -1)
		close(sp.dfd);
	sp.ifd = sp.dfd = -1;
	while ((name = queue_pop()) != NULL)
		free(name);
	free(sp.queue);
	sp.queue = NULL;
	sp.qhead = sp.qlen = sp.qcap = 0;
	spool_file_free(&sp.cur);
	sp.busy = sp.rescan = 0;
	/* Anything applied and not removed stays remembered. */
	free(sp.done);
	sp.done = NULL;
	sp.ndone = sp.dcap = sp.nignored = 0;
}

static int
spool_open(const struct conf *c, char **cause)
{
	snprintf(sp.dir, sizeof sp.dir, "%s", c->spool.dir);
	sp.max_bytes = c->spool.max_file_bytes;
	sp.sync = c->state.sync;
	sp.cur.fd = -1;
	if (open_dir(c, cause) != 0 || watch_dir(cause) != 0) {
		spool_close();
		return -1;
	}
	/* Watching first: what arrives during the scan is not missed. */
	reconcile();
	scan();
	schedule();
	return 0;
}

/* A new mode, group or size limit, in place. */
static int
spool_update(const struct conf *old, const struct conf *new, char **cause)
{
	sp.max_bytes = new->spool.max_file_bytes;
	if (old->spool.mode == new->spool.mode &&
	    strcmp(old->spool.group, new->spool.group) == 0)
		return 0;
	return node_perms(sp.dfd, sp.dir, new->spool.mode | SPOOL_DIR_BITS,
	    new->spool.group, cause);
}

const struct transport tr_spool = {
	.name = "spool", TR_CONF(spool, dir),
	.open = spool_open, .close = spool_close,
	.update = spool_update, .committed = spool_committed,
};
