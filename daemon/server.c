/*
 * The one file that owns the event loop: it creates the event_base, decides
 * when transports open, reload and close (transports.c knows how), turns
 * signals into events and commits.  The door through which every
 * transport's records reach the key store is intake.c.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "expire.h"
#include "export.h"
#include "http.h"
#include "log.h"
#include "stream.h"
#include "systemd.h"
#include "util.h"

#define STATUS_TICK		5	/* seconds between STATUS= updates */
#define NSIGNALS		(sizeof signals / sizeof signals[0])

static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD };

static struct {
	struct event_base	*base;
	struct conf		 conf;
	struct store		*store;
	time_t			 started;
	struct event		*sig[NSIGNALS];
	struct event		*tick;		/* watchdog and STATUS */
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

time_t
server_started(void)
{
	return srv.started;
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
			rejected += server_rejected(i, rj);
		len += (size_t)snprintf(buf + len, size - len,
		    " %s.open=%d %s.accepted=%llu %s.duplicates=%llu "
		    "%s.rejected=%llu", server_transport_name(i), trs_is_open(i),
		    server_transport_name(i),
		    (unsigned long long)server_accepted(i),
		    server_transport_name(i),
		    (unsigned long long)server_duplicates(i),
		    server_transport_name(i),
		    (unsigned long long)rejected);
	}
}

static void
notify_status(const char *state)
{
	char	msg[256];
	int	len;

	len = snprintf(msg, sizeof msg, "%sSTATUS=", state);
	if (len > 0 && (size_t)len < sizeof msg)
		intake_status(msg + len, sizeof msg - (size_t)len);
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
	intake_pass_end();
	state_commit(srv.store);
	stream_committed();
	trs_committed();
}

/* Ping the watchdog twice per interval, STATUS at least every tick. */
static void
start_tick(void)
{
	struct timeval	 tick;
	long long	 wd = sysd_watchdog_usec();

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
}

/* Returns ipcd's exit status. */
int
server_run(struct conf *conf)
{
	char		*cause;
	int		 i, failed = 0;

	srv.conf = *conf;
	srv.started = time(NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The break of export.c's momentary lease must never end ipcd. */
	signal(SIGIO, SIG_IGN);
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
	start_tick();
	expire_start();
	export_apply(&srv.conf);
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
	export_stop();
	http_close();
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
