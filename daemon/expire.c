/*
 * Expiry: a key idle longer than limits.expire_after (no submission or
 * spool merge applied to it for that long, by its last-update time) is
 * removed, journaled as a reset so that it stays removed after a restart.
 *
 * A timer walks the store EXPIRE_BUCKETS buckets at a time with
 * store_scan()'s cursor, EXPIRE_STEP_MS apart, so that a store of
 * millions of keys is swept over many loop passes and no pass is long; a
 * walk starts again EXPIRE_REST_MS after the last one ended.  A key is so
 * removed at most one walk after it became idle too long.  "reset
 * idle=DURATION" (ctl.c) is a job of the same kind: one walk of the whole
 * store, one step per tick, then its reply.
 *
 * Keys are first found, then removed: store_scan() must not see its keys
 * freed under it.  Whoever waits for a removed key is told (ctl.c).
 */

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "expire.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define EXPIRE_BUCKETS	1024	/* buckets looked at per step */
#define EXPIRE_STEP_MS	5	/* between the steps of a walk */
#define EXPIRE_REST_MS	1000	/* between walks */
#define WHY_MAX		96

/* A walk of the store for the keys last updated before a time. */
struct sweep {
	int64_t		  before;
	uint64_t	  cursor;	/* 0: not started, or done */
	size_t		  removed;
	struct key	**found;
	size_t		  n, cap;
};

/* A "reset idle=" under way. */
struct expire_job {
	struct sweep		  sw;
	long			  idle;
	enum tr_id		  tr;
	struct peer		  peer;
	void			(*done)(size_t, void *);
	void			 *arg;
	TAILQ_ENTRY(expire_job)	  entry;
};

static struct {
	struct event		*timer;
	struct sweep		 sw;	/* of limits.expire_after */
	TAILQ_HEAD(, expire_job) jobs;
} ex = { .jobs = TAILQ_HEAD_INITIALIZER(ex.jobs) };

static void
sweep_key(struct key *k, void *arg)
{
	struct sweep	*sw = arg;

	if (k->updated >= sw->before)
		return;
	if (sw->n == sw->cap) {
		sw->cap = sw->cap ? sw->cap * 2 : 64;
		sw->found = xrealloc(sw->found, sw->cap * sizeof *sw->found);
	}
	sw->found[sw->n++] = k;
}

/* One step of SW: find, then remove, saying WHY to their waiters.  1
 * when the walk is over. */
static int
sweep_step(struct sweep *sw, const char *why)
{
	size_t	i;

	for (i = 0; i < EXPIRE_BUCKETS; i++) {
		sw->cursor = store_scan(server_store(), sw->cursor, sweep_key,
		    sw);
		if (sw->cursor == 0)
			break;
	}
	for (i = 0; i < sw->n; i++)
		server_remove(sw->found[i], why);
	sw->removed += sw->n;
	sw->n = 0;
	return sw->cursor == 0;
}

/* A step of the walk of limits.expire_after. */
static void
expire_step(void)
{
	long	after = server_conf()->limits.expire_after;
	char	dur[DURATION_TEXT_MAX], why[WHY_MAX];

	if (after <= 0) {
		ex.sw.cursor = 0;
		return;
	}
	if (ex.sw.cursor == 0)
		ex.sw.before = wall_ns() - after * NS_PER_SEC;
	duration_format(dur, sizeof dur, after);
	snprintf(why, sizeof why, "expired: idle longer than "
	    "limits.expire_after (%s)", dur);
	if (sweep_step(&ex.sw, why) && ex.sw.removed > 0) {
		log_fields(LOG_INFO, &(struct log_fields){ .event = "expire" },
		    "expired %zu key%s idle longer than %s "
		    "(limits.expire_after)", ex.sw.removed, ex.sw.removed == 1 ?
		    "" : "s", dur);
		ex.sw.removed = 0;
	}
}

/* A step of the oldest job; its reply once it is over. */
static void
job_step(struct expire_job *j)
{
	char	dur[DURATION_TEXT_MAX], why[WHY_MAX];

	duration_format(dur, sizeof dur, j->idle);
	snprintf(why, sizeof why, "removed by a reset of the keys idle "
	    "longer than %s", dur);
	if (!sweep_step(&j->sw, why))
		return;
	log_fields(LOG_INFO, &(struct log_fields){
	    .transport = server_transport_name(j->tr), .pid = j->peer.pid,
	    .uid = j->peer.uid, .addr = j->peer.addr, .event = "reset" },
	    "reset of the keys idle longer than %s: %zu key%s removed", dur,
	    j->sw.removed, j->sw.removed == 1 ? "" : "s");
	TAILQ_REMOVE(&ex.jobs, j, entry);
	j->done(j->sw.removed, j->arg);
	free(j->sw.found);
	free(j);
}

static void
schedule(int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	if (evtimer_add(ex.timer, &tv) != 0)
		fatalx("cannot add the expiry timer");
}

static void
expire_tick(evutil_socket_t fd, short events, void *arg)
{
	expire_step();
	if (!TAILQ_EMPTY(&ex.jobs))
		job_step(TAILQ_FIRST(&ex.jobs));
	schedule(ex.sw.cursor != 0 || !TAILQ_EMPTY(&ex.jobs) ?
	    EXPIRE_STEP_MS : EXPIRE_REST_MS);
}

void
expire_start(void)
{
	if ((ex.timer = evtimer_new(server_base(), expire_tick, NULL)) == NULL)
		fatalx("cannot add the expiry timer");
	schedule(EXPIRE_REST_MS);
}

void
expire_stop(void)
{
	struct expire_job	*j;

	while ((j = TAILQ_FIRST(&ex.jobs)) != NULL)
		expire_job_cancel(j);
	free(ex.sw.found);
	ex.sw.found = NULL;
	if (ex.timer != NULL)
		event_free(ex.timer);
	ex.timer = NULL;
}

struct expire_job *
expire_job_start(long idle, enum tr_id tr, const struct peer *p,
    void (*done)(size_t, void *), void *arg)
{
	struct expire_job	*j = xcalloc(1, sizeof *j);

	j->sw.before = wall_ns() - idle * NS_PER_SEC;
	j->idle = idle;
	j->tr = tr;
	j->peer = *p;
	j->done = done;
	j->arg = arg;
	TAILQ_INSERT_TAIL(&ex.jobs, j, entry);
	schedule(0);
	return j;
}

void
expire_job_cancel(struct expire_job *j)
{
	TAILQ_REMOVE(&ex.jobs, j, entry);
	free(j->sw.found);
	free(j);
}
