/* The one file that calls libsystemd; see systemd.h. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#define SD_JOURNAL_SUPPRESS_LOCATION	/* the call site would always be here */
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "systemd.h"

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
	char		 b[8][128 + 64];
	struct iovec	 iov[10];
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
