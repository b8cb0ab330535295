/*
 * Expiry: a key idle longer than limits.expire_after (no submission or
 * spool merge applied to it for that long, by its last-update time) is
 * removed, journaled as a reset so that it stays removed after a restart.
 *
 * A timer walks the store a bounded number of buckets at a time with
 * store_scan()'s cursor, so that a store of millions of keys is swept
 * over many loop passes and no pass is long; a walk starts again
 * EXPIRE_REST_MS after the last one ended.  A key is so removed at most
 * one walk after it became idle too long.  "reset idle=DURATION" (ctl.c)
 * sweeps the whole store at once, with expire_idle().
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

#define EXPIRE_BUCKETS	4096	/* buckets looked at per tick */
#define EXPIRE_STEP_MS	10	/* between the ticks of a walk */
#define EXPIRE_REST_MS	1000	/* between walks */

/* The keys last updated before a time, as a walk finds them. */
struct sweep {
	int64_t		  before;
	struct key	**found;
	size_t		  n, cap;
};

static struct {
	struct event	*timer;
	uint64_t	 cursor;	/* of the walk under way, 0 between */
	size_t		 removed;	/* in this walk */
} ex;

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

/* Remove what SW found; the number removed. */
static size_t
sweep_remove(struct sweep *sw, const char *why)
{
	size_t	i, n = sw->n;

	for (i = 0; i < sw->n; i++)
		server_remove(sw->found[i], why);
	free(sw->found);
	sw->found = NULL;
	sw->n = sw->cap = 0;
	return n;
}

static void
expire_tick(evutil_socket_t fd, short events, void *arg)
{
	long		 after = server_conf()->limits.expire_after;
	struct sweep	 sw = { .before = wall_ns() - after * NS_PER_SEC };
	struct timeval	 tv = { 0, 0 };
	char		 dur[DURATION_TEXT_MAX], why[96];
	int		 i;

	duration_format(dur, sizeof dur, after);
	if (after > 0) {
		for (i = 0; i < EXPIRE_BUCKETS; i++) {
			ex.cursor = store_scan(server_store(), ex.cursor,
			    sweep_key, &sw);
			if (ex.cursor == 0)
				break;
		}
		snprintf(why, sizeof why, "expired: idle longer than "
		    "limits.expire_after (%s)", dur);
		ex.removed += sweep_remove(&sw, why);
	} else
		ex.cursor = 0;
	if (ex.cursor == 0 && ex.removed > 0) {
		log_fields(LOG_INFO, &(struct log_fields){ .event = "expire" },
		    "expired %zu key%s idle longer than %s "
		    "(limits.expire_after)", ex.removed, ex.removed == 1 ? "" :
		    "s", dur);
		ex.removed = 0;
	}
	if (ex.cursor != 0)
		tv.tv_usec = EXPIRE_STEP_MS * 1000;
	else
		tv.tv_sec = EXPIRE_REST_MS / 1000;
	evtimer_add(ex.timer, &tv);
}

void
expire_start(void)
{
	struct timeval	tv = { EXPIRE_REST_MS / 1000, 0 };

	ex.timer = evtimer_new(server_base(), expire_tick, NULL);
	if (ex.timer == NULL || evtimer_add(ex.timer, &tv) != 0)
		fatalx("cannot add the expiry timer");
}

void
expire_stop(void)
{
	if (ex.timer != NULL)
		event_free(ex.timer);
	ex.timer = NULL;
}

/* Remove every key idle longer than IDLE seconds, now, for a peer P
 * of transport TR; the number removed. */
size_t
expire_idle(long idle, enum tr_id tr, const struct peer *p)
{
	struct sweep	 sw = { .before = wall_ns() - idle * NS_PER_SEC };
	uint64_t	 cursor = 0;
	char		 dur[DURATION_TEXT_MAX], why[96];
	size_t		 n;

	do
		cursor = store_scan(server_store(), cursor, sweep_key, &sw);
	while (cursor != 0);
	duration_format(dur, sizeof dur, idle);
	snprintf(why, sizeof why, "removed by a reset of the keys idle "
	    "longer than %s", dur);
	n = sweep_remove(&sw, why);
	log_fields(LOG_INFO, &(struct log_fields){
	    .transport = server_transport_name(tr), .pid = p->pid,
	    .uid = p->uid, .addr = p->addr, .event = "reset" },
	    "reset of the keys idle longer than %s: %zu key%s removed", dur, n,
	    n == 1 ? "" : "s");
	return n;
}
