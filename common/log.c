/* The log module; see log.h. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

static const char	*log_ident = "ipcd";
static int		 log_verbose;	/* -v: debug messages too */
static int		 log_to_journal;
static log_sink_fn	*log_sink;	/* the structured sink, if plugged in */

/* Is stderr the stream systemd connected to journald for us? */
static int
stderr_is_journal(void)
{
	const char		*env = getenv("JOURNAL_STREAM");
	unsigned long long	 dev, ino;
	struct stat		 st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *ident, int verbose)
{
	log_ident = ident;
	log_verbose = verbose;
	log_to_journal = stderr_is_journal();
}

/* The program that has a structured sink (ipcd: the journal) plugs it in;
 * this file calls nothing of the program. */
void
log_set_sink(log_sink_fn *fn)
{
	log_sink = fn;
}

static void	log_vemit(int, const struct log_fields *, const char *, va_list)
		    LOG_PRINTF(3, 0);
static void	log_verr(int, const char *, va_list) LOG_PRINTF(2, 0);

static void
log_vemit(int prio, const struct log_fields *f, const char *fmt, va_list ap)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
	    "warning", "notice", "info", "debug" };
	char		 msg[1024];
	int		 saved = errno;

	if (prio == LOG_DEBUG && log_verbose < 1)
		goto out;
	vsnprintf(msg, sizeof msg, fmt, ap);

	if (log_to_journal && log_sink != NULL &&
	    log_sink(prio, log_ident, msg, f) == 0)
		goto out;
	/* Not under journald, or the journal refused: never lose it. */
	if (f != NULL && f->transport != NULL && f->addr != NULL &&
	    f->addr[0] != '\0')
		fprintf(stderr, "%s: %s: %s: peer %s: %s\n", log_ident,
		    names[prio & 7], f->transport, f->addr, msg);
	else if (f != NULL && f->transport != NULL)
		fprintf(stderr, "%s: %s: %s: %s\n", log_ident, names[prio & 7],
		    f->transport, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, names[prio & 7], msg);
out:
	errno = saved;
}

void
log_fields(int prio, const struct log_fields *f, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vemit(prio, f, fmt, ap);
	va_end(ap);
}

/* fmt followed by ": strerror(errno)", errno kept. */
static void
log_verr(int prio, const char *fmt, va_list ap)
{
	char	buf[900];
	int	saved = errno;

	vsnprintf(buf, sizeof buf, fmt, ap);
	log_fields(prio, NULL, "%s: %s", buf, strerror(saved));
	errno = saved;
}

void
log_errno(int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_verr(prio, fmt, ap);
	va_end(ap);
}

/* fatal() and fatalx(): say why, then stop. */
void
log_fatal(int with_errno, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (with_errno)
		log_verr(LOG_CRIT, fmt, ap);
	else
		log_vemit(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
