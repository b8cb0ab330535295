/* The one file that calls libsystemd; see systemd.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION	/* the call site would always be here */
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "systemd.h"
#include "util.h"

#define PASSED_MAX	16

/* What socket activation passed; an fd stays here, owned by this table,
 * so a transport reopened on reload can take it again. */
static struct {
	int	 fd;
	char	*name;
	int	 taken;
} passed[PASSED_MAX];
static int	npassed;

static int
sd_result(int r)
{
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

/* One journal entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and the
 * IPCD_* fields that are set. */
int
sysd_journal(int prio, const char *ident, const char *msg,
    const struct log_fields *f)
{
	char		 b[9][128 + 64];
	struct iovec	 iov[11];
	int		 n = 0, k = 0;
	char		 m[1100];

#define FIELD(...) do {							\
	snprintf(b[k], sizeof b[k], __VA_ARGS__);			\
	iov[n].iov_base = b[k];						\
	iov[n++].iov_len = strlen(b[k++]);				\
} while (0)
	snprintf(m, sizeof m, "MESSAGE=%s", msg);
	iov[n].iov_base = m;
	iov[n++].iov_len = strlen(m);
	FIELD("PRIORITY=%d", prio);
	FIELD("SYSLOG_IDENTIFIER=%s", ident);
	if (f != NULL) {
		if (f->transport != NULL)
			FIELD("IPCD_TRANSPORT=%s", f->transport);
		if (f->key != NULL)
			FIELD("IPCD_KEY=%s", f->key);
		if (f->pid != 0) {
			FIELD("IPCD_PEER_PID=%ld", (long)f->pid);
			FIELD("IPCD_PEER_UID=%lu", (unsigned long)f->uid);
		}
		if (f->addr != NULL && f->addr[0] != '\0')
			FIELD("IPCD_PEER_ADDR=%s", f->addr);
		if (f->event != NULL)
			FIELD("IPCD_EVENT=%s", f->event);
	}
#undef FIELD
	return sd_result(sd_journal_sendv(iov, n));
}

int
sysd_notify(const char *state)
{
	return sd_result(sd_notify(0, state));
}

/* The watchdog interval in microseconds, or 0 if there is no watchdog;
 * the caller pings twice in each. */
long long
sysd_watchdog_usec(void)
{
	uint64_t	usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return (long long)usec;
}

/* Collect the passed descriptors; returns how many. */
int
sysd_listen_init(void)
{
	char	**names = NULL;
	int	  n, i;

	n = sd_listen_fds_with_names(1, &names);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (i < PASSED_MAX) {
			passed[i].fd = SD_LISTEN_FDS_START + i;
			passed[i].name = names[i];
			/* Passed descriptors arrive blocking unless the unit
			 * says NonBlocking=yes: never rely on it. */
			(void)fcntl(passed[i].fd, F_SETFL,
			    fcntl(passed[i].fd, F_GETFL) | O_NONBLOCK);
			(void)fcntl(passed[i].fd, F_SETFD, FD_CLOEXEC);
		} else {
			close(SD_LISTEN_FDS_START + i);
			free(names[i]);
		}
	}
	free(names);
	npassed = n < PASSED_MAX ? n : PASSED_MAX;
	return npassed;
}

static int
take(const char *name, int (*is)(int, const char *), const char *what,
    const char *where, char **cause)
{
	int	i;

	*cause = NULL;
	for (i = 0; i < npassed; i++) {
		if (strcmp(passed[i].name, name) != 0)
			continue;
		if (is(passed[i].fd, where) <= 0) {
			*cause = fmtstr("the descriptor systemd passed as \"%s\" "
			    "is not the %s %s the configuration names", name,
			    what, where);
			return -1;
		}
		passed[i].taken = 1;
		return passed[i].fd;
	}
	return -1;
}

static int
is_stream_socket(int fd, const char *path)
{
	return sd_is_socket_unix(fd, SOCK_STREAM, 1, path, 0);
}

int
sysd_take_socket(const char *name, const char *path, char **cause)
{
	return take(name, is_stream_socket, "listening socket", path, cause);
}

int
sysd_take_fifo(const char *name, const char *path, char **cause)
{
	return take(name, sd_is_fifo, "FIFO", path, cause);
}

int
sysd_take_mq(const char *name, const char *mqname, char **cause)
{
	return take(name, sd_is_mq, "message queue", mqname, cause);
}

/* Every listening TCP socket passed as NAME (a unit may list several),
 * at most MAX, into FDS: how many, or -1 with a cause. */
int
sysd_take_inet(const char *name, int *fds, int max, char **cause)
{
	int	i, n = 0;

	*cause = NULL;
	for (i = 0; i < npassed && n < max; i++) {
		if (strcmp(passed[i].name, name) != 0)
			continue;
		if (sd_is_socket_inet(passed[i].fd, AF_UNSPEC, SOCK_STREAM, 1,
		    0) <= 0) {
			*cause = fmtstr("the descriptor systemd passed as \"%s\" "
			    "is not a listening TCP socket", name);
			return -1;
		}
		passed[i].taken = 1;
		fds[n++] = passed[i].fd;
	}
	return n;
}

/* After start-up: say which passed descriptors nobody wanted. */
void
sysd_listen_done(void)
{
	int	i;

	for (i = 0; i < npassed; i++)
		if (!passed[i].taken)
			log_warnx("systemd passed a descriptor named \"%s\" that "
			    "no enabled transport uses", passed[i].name);
}
