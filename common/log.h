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
	const char	*event;		/* IPCD_EVENT=: start, stop, reload, reject, ... */
};

#define LOG_PRINTF(a, b)	__attribute__((format(printf, a, b)))

/* A structured sink: 0 when it took the message, -1 to fall back to
 * stderr. */
typedef int log_sink_fn(int, const char *, const char *,
    const struct log_fields *);

void	log_init(const char *, int);
void	log_set_sink(log_sink_fn *);
void	log_setverbose(int);
int	log_journal(void);
void	log_fields(int, const struct log_fields *, const char *, ...)
	    LOG_PRINTF(3, 4);
void	log_warn(const char *, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *, ...) LOG_PRINTF(1, 2);
void	fatal(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

#endif
