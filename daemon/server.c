/*
 * The one file that owns the event loop: it creates the event_base, decides
 * when transports open, reload and close (transports.c knows how), turns
 * signals into events, commits, and is the single door through which
 * every transport's records reach the key store.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl.h"
#include "daemon.h"
#include "expire.h"
#include "export.h"
#include "http.h"
#include "log.h"
#include "stream.h"
#include "systemd.h"
#include "util.h"

#define REJECT_LOG_INTERVAL	1	/* seconds between reject log lines per transport */
#define STATUS_TICK		5	/* seconds between STATUS= updates */
#define NSIGNALS		(sizeof signals / sizeof signals[0])

static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD };

struct tr_counters {
	uint64_t	accepted;
	uint64_t	duplicates;
	uint64_t	rejected[RJ_COUNT];
	time_t		last_log;	/* of a rejection */
	uint64_t	unlogged;	/* rejections not logged since */
};

static struct {
	struct event_base	*base;
	struct conf		 conf;
	struct store		*store;
	struct tr_counters	 count[TR_COUNT];
	time_t			 started;
	struct event		*sig[NSIGNALS];
	struct event		*tick;		/* watchdog and STATUS */
	struct key		*last;		/* of the last submission, for STATUS */
	int64_t			 now;		/* of this loop pass, 0 until read */
	int			 stop;
} srv;

struct event_base *
server_base(void)
{
	return srv.base;
}

struct store *
server_store(void)
{
	return srv.store;
}

const struct conf *
server_conf(void)
{
	return &srv.conf;
}

static void	server_commit(void);

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

/* The names of the classes of rejections: label values, kept few and
 * fixed so that a hostile peer cannot make new series. */
static const char *const reject_names[RJ_COUNT] = {
	[RJ_MALFORMED] = "malformed",
	[RJ_TOO_LONG] = "too_long",
	[RJ_CONFLICT] = "conflict",
	[RJ_LIMIT_KEYS] = "limit_keys",
	[RJ_LIMIT_PARTS] = "limit_parts",
	[RJ_PARTS_MEMORY] = "parts_memory",
	[RJ_LIMIT_CLIENTS] = "limit_clients",
	[RJ_IDLE] = "idle",
	[RJ_DENIED] = "denied",
	[RJ_DAMAGED] = "damaged",
	[RJ_FILE] = "file",
};

const char *
server_reject_name(enum reject rj)
{
	return reject_names[rj];
}

uint64_t
server_accepted(enum tr_id tr)
{
	return srv.count[tr].accepted;
}

uint64_t
server_rejected(enum tr_id tr, enum reject rj)
{
	return srv.count[tr].rejected[rj];
}

time_t
server_started(void)
{
	return srv.started;
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

	ctl_key_completed(k);
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
	if (srv.now == 0)
		srv.now = wall_ns();
	return srv.now;
}

enum apply
server_submit(enum tr_id tr, const struct record *r, const struct peer *p)
{
	struct tr_counters	*c = &srv.count[tr];
	struct key		*k;
	enum apply		 a;
	int			 completed;

	a = store_apply(srv.store, r, &completed, &k);
	if (a == APPLY_OK) {
		c->accepted++;
		k->updated = pass_time();
		state_submit(srv.store, k, r);
		srv.last = k;
	} else if (a == APPLY_DUPLICATE) {
		c->duplicates++;
		state_duplicate(srv.store, k);
	} else if (apply_cause[a].text != NULL)
		server_reject(tr, apply_cause[a].class, apply_cause[a].text, p);
	if (completed)
		key_completed(tr, k, p);
	return a;
}

const char *
server_too_long(void)
{
	static char	msg[64];

	snprintf(msg, sizeof msg, "record longer than %ld bytes "
	    "(limits.max_record_bytes)", srv.conf.limits.max_record_bytes);
	return msg;
}

int
server_check_line(const char *line, size_t len, struct record *r,
    const char **cause)
{
	if (len <= (size_t)srv.conf.limits.max_record_bytes)
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
	server_reject(tr, len > (size_t)srv.conf.limits.max_record_bytes ?
	    RJ_TOO_LONG : RJ_MALFORMED, *cause, p);
	return APPLY_INVALID;
}

/* Count a rejected input in its class RJ; log it, at most once a second
 * per transport. */
void
server_reject(enum tr_id tr, enum reject rj, const char *cause,
    const struct peer *p)
{
	struct tr_counters	*c = &srv.count[tr];
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

	if ((a = store_merge(srv.store, staged, &k)) != APPLY_OK) {
		server_reject(tr, apply_cause[a].class, apply_cause[a].text, p);
		srv.count[tr].rejected[apply_cause[a].class] +=
		    staged->acc.count - 1;
		return;
	}
	srv.count[tr].accepted += staged->acc.count;
	k->updated = pass_time();
	state_submit(srv.store, k, &unparted);
	srv.last = k;
}

/* Remove KEY, or every key if NULL; journaled like a submission. */
size_t
server_reset(const char *key, enum tr_id tr, const struct peer *p)
{
	struct key	*k;
	size_t		 n = 0;

	if (key == NULL) {
		n = store_remove_all(srv.store);
		srv.last = NULL;
	} else if ((k = store_find(srv.store, key)) != NULL) {
		if (srv.last == k)
			srv.last = NULL;
		store_remove(srv.store, k);
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
	if (srv.last == k)
		srv.last = NULL;
	ctl_key_removed(k, why);
	state_reset(k->name);
	store_remove(srv.store, k);
}

/* The figures of "ipcctl stats", as NAME=VALUE fields. */
void
server_stats(char *buf, size_t size)
{
	uint64_t rejected;
	size_t	len;
	int	i, rj;

	len = (size_t)snprintf(buf, size, "pid=%ld uptime=%lld keys=%zu "
	    "unix.clients=%ld tcp.clients=%ld parts_bytes=%zu", (long)getpid(),
	    (long long)(time(NULL) - srv.started), store_count(srv.store),
	    stream_count(TR_UNIX), stream_count(TR_TCP),
	    store_parts_bytes(srv.store));
	for (i = 0; i < TR_COUNT && len < size; i++) {
		for (rejected = 0, rj = 0; rj < RJ_COUNT; rj++)
			rejected += srv.count[i].rejected[rj];
		len += (size_t)snprintf(buf + len, size - len,
		    " %s.open=%d %s.accepted=%llu %s.duplicates=%llu "
		    "%s.rejected=%llu", server_transport_name(i), trs_is_open(i),
		    server_transport_name(i),
		    (unsigned long long)srv.count[i].accepted,
		    server_transport_name(i),
		    (unsigned long long)srv.count[i].duplicates,
		    server_transport_name(i),
		    (unsigned long long)rejected);
	}
}

static void
notify_status(const char *state)
{
	char	msg[256], total[32];
	uint64_t accepted = 0;
	int	i, len;

	for (i = 0; i < TR_COUNT; i++)
		accepted += srv.count[i].accepted;
	len = snprintf(msg, sizeof msg, "%sSTATUS=%zu keys, %llu submissions",
	    state, store_count(srv.store), (unsigned long long)accepted);
	if (srv.last != NULL && len > 0 && (size_t)len < sizeof msg) {
		total_text(srv.last, total, sizeof total);
		snprintf(msg + len, sizeof msg - (size_t)len, "; last: %s = %s",
		    srv.last->name, total);
	}
	(void)sysd_notify(msg);
}

static void
close_transport(int i)
{
	if (!trs_is_open(i))
		return;
	trs_drain(i);
	/* Release what waits on a commit while the transport can still
	 * deliver it. */
	server_commit();
	trs_close(i);
}

/* Bring transport I to the configuration NEXT: reopen it only when its
 * settings say so (a new path, name or size), else update it in place. */
static void
reload_transport(int i, const struct conf *next)
{
	if (trs_update(i, &srv.conf, next) == TRS_KEEP)
		return;
	close_transport(i);
	if (trs_open(i, next) != 0 && trs_open(i, &srv.conf) == 0)
		log_warnx("%s: kept the previous settings",
		    server_transport_name(i));
}

static void
apply_limits(void)
{
	store_set_limit(srv.store, (size_t)srv.conf.limits.max_keys);
	store_set_part_limits(srv.store, (uint32_t)srv.conf.limits.max_parts,
	    (size_t)srv.conf.limits.parts_memory);
}

/* Re-read the configuration; keep the old one if the new one is bad, and
 * reopen only the transports that need it.  Totals and connections are
 * kept. */
static void
reload(void)
{
	struct conf	 next;
	char		*cause;
	int		 i;

	(void)sysd_notify("RELOADING=1");
	if (conf_load(srv.conf.file[0] ? srv.conf.file : NULL, &next,
	    &cause) != 0) {
		log_warnx("reload: %s; keeping the running configuration",
		    cause);
		free(cause);
		notify_status("READY=1\n");
		return;
	}
	for (i = 0; i < TR_COUNT; i++)
		reload_transport(i, &next);
	if (http_reload(&srv.conf, &next, &cause) != 0) {
		log_warnx("http: %s", cause);
		free(cause);
	}
	if (strcmp(srv.conf.state.file, next.state.file) != 0 ||
	    srv.conf.state.sync != next.state.sync ||
	    srv.conf.state.compact_bytes != next.state.compact_bytes) {
		log_warnx("reload: [state] changes take effect at the next start");
		next.state = srv.conf.state;
	}
	srv.conf = next;
	apply_limits();
	export_apply(&srv.conf);
	log_fields(LOG_INFO, &(struct log_fields){ .event = "reload" },
	    "configuration reloaded from %s",
	    srv.conf.file[0] ? srv.conf.file : "the embedded defaults");
	notify_status("READY=1\n");
}

static void
on_signal(evutil_socket_t sig, short events, void *arg)
{
	char	buf[1024];

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		srv.stop = 1;
		event_base_loopbreak(srv.base);
		break;
	case SIGHUP:
		reload();
		break;
	case SIGUSR1:
		server_stats(buf, sizeof buf);
		log_info("stats: %s", buf);
		break;
	case SIGCHLD:
		state_reap();
		break;
	}
}

/* From the loop itself, so that a wedged loop stops the pings and
 * systemd restarts ipcd. */
static void
on_tick(evutil_socket_t fd, short events, void *arg)
{
	notify_status(arg != NULL ? "WATCHDOG=1\n" : "");
}

/* libevent's own complaints join ours. */
static void
on_libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

/*
 * The end of a loop pass: make what this pass applied durable, then
 * release what waited for it (replies on the streams, the shm submitters'
 * acknowledgements).  Nothing more is read before this, so fire-and-forget
 * input is on disk before more is taken.  Only the loop commits.
 */
static void
server_commit(void)
{
	srv.now = 0;
	state_commit(srv.store);
	stream_committed();
	trs_committed();
}

/* Returns ipcd's exit status. */
int
server_run(struct conf *conf)
{
	struct timeval	 tick;
	long long	 wd;
	char		*cause;
	int		 i, failed = 0;

	srv.conf = *conf;
	srv.started = time(NULL);
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(on_libevent_log);
	if ((srv.base = event_base_new()) == NULL)
		fatalx("cannot create the event base");
	srv.store = store_new((size_t)conf->limits.max_keys);
	if (state_open(&srv.conf, srv.store, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return EXIT_STATE;
	}
	apply_limits();
	for (i = 0; i < (int)NSIGNALS; i++) {
		srv.sig[i] = evsignal_new(srv.base, signals[i], on_signal, NULL);
		if (srv.sig[i] == NULL || evsignal_add(srv.sig[i], NULL) != 0)
			fatalx("cannot watch signal %d", signals[i]);
	}
	if (sysd_listen_init() > 0)
		log_info("adopting descriptors passed by systemd");
	for (i = 0; i < TR_COUNT; i++)
		if (trs_open(i, &srv.conf) != 0)
			failed = 1;
	if (!failed && http_open(&srv.conf, &cause) != 0) {
		log_warnx("http: %s", cause);
		free(cause);
		failed = 1;
	}
	sysd_listen_done();
	if (failed) {
		for (i = 0; i < TR_COUNT; i++)
			close_transport(i);
		state_close(srv.store);
		return 1;
	}
	wd = sysd_watchdog_usec();
	/* Ping the watchdog twice per interval, STATUS at least every tick. */
	if (wd > 0 && wd / 2 < STATUS_TICK * 1000000LL) {
		tick.tv_sec = (time_t)(wd / 2000000);
		tick.tv_usec = (suseconds_t)((wd / 2) % 1000000);
	} else {
		tick.tv_sec = STATUS_TICK;
		tick.tv_usec = 0;
	}
	srv.tick = event_new(srv.base, -1, EV_PERSIST, on_tick,
	    wd > 0 ? &srv : NULL);
	if (srv.tick == NULL || event_add(srv.tick, &tick) != 0)
		fatalx("cannot add the status timer");
	export_apply(&srv.conf);
	expire_start();
	log_fields(LOG_INFO, &(struct log_fields){ .event = "start" },
	    "started (pid %ld;%s%s), config %s", (long)getpid(), trs_open_names(),
	    http_is_open() ? " http" : "",
	    srv.conf.file[0] ? srv.conf.file : "embedded defaults");
	notify_status("READY=1\n");

	/* One pass at a time, each ended by a commit. */
	while (!srv.stop) {
		if (event_base_loop(srv.base, EVLOOP_ONCE) == -1)
			fatalx("event loop failed");
		server_commit();
	}

	(void)sysd_notify("STOPPING=1");
	http_close();
	export_stop();
	for (i = 0; i < TR_COUNT; i++)
		close_transport(i);	/* drains the FIFO and the rings */
	server_commit();
	for (i = 0; i < TR_COUNT; i++)
		stream_close_all(i);
	state_close(srv.store);
	log_fields(LOG_INFO, &(struct log_fields){ .event = "stop" },
	    "stopped");
	for (i = 0; i < (int)NSIGNALS; i++)
		event_free(srv.sig[i]);
	event_free(srv.tick);
	expire_stop();
	store_free(srv.store);
	event_base_free(srv.base);
	return 0;
}
