/*
 * Logging in the OpenBSD style: log_warn appends strerror(errno), the x
 * variants do not, fatal ends the process.  Messages go to the sink the
 * program plugged in (ipcd: the journal, with structured fields) when
 * stderr is connected to journald, to stderr otherwise; that choice is
 * made here and nowhere else.  This file depends on nothing of the
 * program, so a client can link it without libsystemd.
 */
#ifndef IPCD_LOG_H
#define IPCD_LOG_H

#include <sys/types.h>
#include <syslog.h>

/* Optional journal fields of one message; NULL / 0 where unknown. */
struct log_fields {
	const char	*transport;	/* IPCD_TRANSPORT= */
	const char	*key;		/* IPCD_KEY= */
	pid_t		 pid;		/* IPCD_PEER_PID= */
	uid_t		 uid;		/* IPCD_PEER_UID= (when pid != 0) */
	const char	*addr;		/* IPCD_PEER_ADDR=: a network peer's */
	const char	*event;		/* IPCD_EVENT=: start, stop, reload, reject, ... */
};

#define LOG_PRINTF(a, b)	__attribute__((format(printf, a, b)))

/* A structured sink: 0 when it took the message, -1 to fall back to
 * stderr. */
typedef int log_sink_fn(int, const char *, const char *,
    const struct log_fields *);

void	log_init(const char *, int);
void	log_set_sink(log_sink_fn *);
void	log_fields(int, const struct log_fields *, const char *, ...)
	    LOG_PRINTF(3, 4);
void	log_errno(int, const char *, ...) LOG_PRINTF(2, 3);
void	log_fatal(int, const char *, ...) LOG_PRINTF(2, 3)
	    __attribute__((noreturn));

/* The OpenBSD names: warn and fatal append strerror(errno), the x
 * variants do not; debug shows only with -v. */
#define log_warn(...)	log_errno(LOG_WARNING, __VA_ARGS__)
#define log_warnx(...)	log_fields(LOG_WARNING, NULL, __VA_ARGS__)
#define log_info(...)	log_fields(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)	log_fields(LOG_DEBUG, NULL, __VA_ARGS__)
#define fatal(...)	log_fatal(1, __VA_ARGS__)
#define fatalx(...)	log_fatal(0, __VA_ARGS__)

#endif
