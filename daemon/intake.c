/*
 * The intake: the single door through which every transport's records
 * reach the key store.  A record is checked (server_check_line), applied
 * and journaled (server_submit, server_merge) or rejected and counted in
 * its class (server_reject); keys leave through server_reset and
 * server_remove.  The counts are what "ipcctl stats", STATUS and
 * /metrics show.  Nothing here commits: the loop (server.c) does, at the
 * end of the pass.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

#define REJECT_LOG_INTERVAL	1	/* seconds between reject log lines per transport */

struct tr_counters {
	uint64_t	accepted;
	uint64_t	duplicates;
	uint64_t	rejected[RJ_COUNT];
	time_t		last_log;	/* of a rejection */
	uint64_t	unlogged;	/* rejections not logged since */
};

static struct tr_counters	 count[TR_COUNT];
static struct key		*last;	/* of the last submission, for STATUS */
static int64_t			 pass_now;	/* of this loop pass, 0 until read */
/* Who is told of a key's fate (the control plane's waiters), plugged in
 * from above so that the intake never calls upward. */
static struct {
	void	(*completed)(const struct key *);
	void	(*removed)(const struct key *, const char *);
} watch;

void
intake_watch(void (*completed)(const struct key *),
    void (*removed)(const struct key *, const char *))
{
	watch.completed = completed;
	watch.removed = removed;
}

/* Why a record was not applied, as counted and logged (an invalid one
 * was counted where it was parsed). */
static const struct {
	enum reject	 class;
	const char	*text;
} apply_cause[APPLY_INVALID + 1] = {
	[APPLY_CONFLICT] = { RJ_CONFLICT,
	    "part count conflicts with the key's" },
	[APPLY_LIMIT] = { RJ_LIMIT_KEYS, "too many keys (limits.max_keys)" },
	[APPLY_PARTS] = { RJ_LIMIT_PARTS, "too many parts (limits.max_parts)" },
	[APPLY_PARTS_MEMORY] = { RJ_PARTS_MEMORY,
	    "part bitmaps at limits.parts_memory" },
};

uint64_t
server_accepted(enum tr_id tr)
{
	return count[tr].accepted;
}

uint64_t
server_duplicates(enum tr_id tr)
{
	return count[tr].duplicates;
}

uint64_t
server_rejected(enum tr_id tr, enum reject rj)
{
	return count[tr].rejected[rj];
}

/* K's total for a log or status line: a total beyond the range of a
 * double is said so, never printed as a number. */
static void
total_text(const struct key *k, char *buf, size_t size)
{
	int	overflow;
	double	t = key_total(k, &overflow);

	if (overflow)
		snprintf(buf, size, "overflows a double");
	else
		double_format(buf, size, t);
}

/* Who P is, for the journal. */
static void
peer_fields(struct log_fields *f, const struct peer *p)
{
	if (p != NULL) {
		f->pid = p->pid;
		f->uid = p->uid;
		f->addr = p->addr;
	}
}

/* K got its last part: wake its waiters and say so. */
static void
key_completed(enum tr_id tr, const struct key *k, const struct peer *p)
{
	struct log_fields	f = { .transport = server_transport_name(tr),
	    .key = k->name, .event = "complete" };
	char			total[32];

	if (watch.completed != NULL)
		watch.completed(k);
	total_text(k, total, sizeof total);
	peer_fields(&f, p);
	log_fields(LOG_INFO, &f, "key %s: %u/%u parts, total %s", k->name,
	    k->received, k->nparts, total);
}

/* The wall clock, read once per loop pass: the keys a pass updates share
 * one time, and the journal one J_TIME. */
static int64_t
pass_time(void)
{
	if (pass_now == 0)
		pass_now = wall_ns();
	return pass_now;
}

enum apply
server_submit(enum tr_id tr, const struct record *r, const struct peer *p)
{
	struct tr_counters	*c = &count[tr];
	struct key		*k;
	enum apply		 a;
	int			 completed;

	a = store_apply(server_store(), r, &completed, &k);
	if (a == APPLY_OK) {
		c->accepted++;
		k->updated = pass_time();
		state_submit(server_store(), k, r);
		last = k;
	} else if (a == APPLY_DUPLICATE) {
		c->duplicates++;
		state_duplicate(server_store(), k);
	} else if (apply_cause[a].text != NULL)
		server_reject(tr, apply_cause[a].class, apply_cause[a].text, p);
	if (completed)
		key_completed(tr, k, p);
	return a;
}

/*
 * N unparted records of R's key, of values V[0..N-1] (R's own value is
 * not used): the same as N server_submit calls, in one lookup.  What
 * decides one decides them all (the key's limit, a conflict with its
 * parts), so the first is submitted and the key it reached gets the
 * others; the journal marks the key once, whose total it writes.
 */
enum apply
server_submit_values(enum tr_id tr, struct record *r, const double *v,
    size_t n, const struct peer *p)
{
	enum apply	a;
	size_t		i;

	r->value = v[0];
	if ((a = server_submit(tr, r, p)) == APPLY_OK) {
		for (i = 1; i < n; i++)
			key_add(last, v[i]);
		count[tr].accepted += n - 1;
	} else if (apply_cause[a].text != NULL)
		count[tr].rejected[apply_cause[a].class] += n - 1;
	return a;
}

const char *
server_too_long(void)
{
	static char	msg[64];

	snprintf(msg, sizeof msg, "record longer than %ld bytes "
	    "(limits.max_record_bytes)", server_conf()->limits.max_record_bytes);
	return msg;
}

int
server_check_line(const char *line, size_t len, struct record *r,
    const char **cause)
{
	if (len <= (size_t)server_conf()->limits.max_record_bytes)
		return record_parse(line, len, r, cause);
	*cause = server_too_long();
	return -1;
}

enum apply
server_take_line(enum tr_id tr, const char *line, size_t len,
    const struct peer *p, struct record *r, const char **cause)
{
	if (server_check_line(line, len, r, cause) == 0)
		return server_submit(tr, r, p);
	server_reject(tr, len > (size_t)server_conf()->limits.max_record_bytes ?
	    RJ_TOO_LONG : RJ_MALFORMED, *cause, p);
	return APPLY_INVALID;
}

/* Count a rejected input in its class RJ; log it, at most once a second
 * per transport. */
void
server_reject(enum tr_id tr, enum reject rj, const char *cause,
    const struct peer *p)
{
	struct tr_counters	*c = &count[tr];
	struct log_fields	 f = { .transport = server_transport_name(tr),
	    .event = "reject" };
	time_t			 now = time(NULL);

	c->rejected[rj]++;
	if (now - c->last_log < REJECT_LOG_INTERVAL) {
		c->unlogged++;
		return;
	}
	peer_fields(&f, p);
	if (c->unlogged > 0)
		log_fields(LOG_WARNING, &f, "rejected input: %s (and %llu more "
		    "since the last report)", cause,
		    (unsigned long long)c->unlogged);
	else
		log_fields(LOG_WARNING, &f, "rejected input: %s", cause);
	c->last_log = now;
	c->unlogged = 0;
}

void
server_merge(enum tr_id tr, const struct key *staged, const struct peer *p)
{
	struct record	 unparted = { .nparts = 0 };
	struct key	*k;
	enum apply	 a;

	if ((a = store_merge(server_store(), staged, &k)) != APPLY_OK) {
		server_reject(tr, apply_cause[a].class, apply_cause[a].text, p);
		count[tr].rejected[apply_cause[a].class] +=
		    staged->acc.count - 1;
		return;
	}
	count[tr].accepted += staged->acc.count;
	k->updated = pass_time();
	state_submit(server_store(), k, &unparted);
	last = k;
}

/* Remove KEY, or every key if NULL; journaled like a submission. */
size_t
server_reset(const char *key, enum tr_id tr, const struct peer *p)
{
	struct key	*k;
	size_t		 n = 0;

	if (key == NULL) {
		n = store_remove_all(server_store());
		last = NULL;
	} else if ((k = store_find(server_store(), key)) != NULL) {
		if (last == k)
			last = NULL;
		store_remove(server_store(), k);
		n = 1;
	}
	if (n > 0)
		state_reset(key);
	log_fields(LOG_INFO, &(struct log_fields){
	    .transport = server_transport_name(tr), .key = key, .pid = p->pid,
	    .uid = p->uid, .addr = p->addr, .event = "reset" },
	    "reset %s: %zu key%s removed", key ? key : "*", n, n == 1 ? "" : "s");
	return n;
}

/* Remove K (expired, or idle at a reset), journaled; whoever waits for
 * it is told WHY. */
void
server_remove(struct key *k, const char *why)
{
	if (last == k)
		last = NULL;
	if (watch.removed != NULL)
		watch.removed(k, why);
	state_reset(k->name);
	store_remove(server_store(), k);
}

/* The end of a loop pass: the next one reads the clock anew. */
void
intake_pass_end(void)
{
	pass_now = 0;
}

/* "N keys, M submissions; last: KEY = TOTAL", for STATUS. */
void
intake_status(char *buf, size_t size)
{
	char		 total[32];
	uint64_t	 accepted = 0;
	int		 i, len;

	for (i = 0; i < TR_COUNT; i++)
		accepted += count[i].accepted;
	len = snprintf(buf, size, "%zu keys, %llu submissions",
	    store_count(server_store()), (unsigned long long)accepted);
	if (last != NULL && len > 0 && (size_t)len < size) {
		total_text(last, total, sizeof total);
		snprintf(buf + len, size - (size_t)len, "; last: %s = %s",
		    last->name, total);
	}
}
