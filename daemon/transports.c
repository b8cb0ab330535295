/*
 * The set of transports: their table, which are open, and the steps of
 * their lives that the loop (server.c) puts together: open, update in
 * place, drain, close, and the committed hooks.  The loop decides when;
 * this file knows how.  It never commits.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

static const struct transport *const transports[TR_COUNT] = {
	[TR_UNIX] = &tr_unix,
	[TR_FIFO] = &tr_fifo,
	[TR_MQ] = &tr_mq,
	[TR_SHM] = &tr_shm,
	[TR_TCP] = &tr_tcp,
	[TR_SYSV] = &tr_sysv,
	[TR_SPOOL] = &tr_spool,
};

static int	tr_open[TR_COUNT];

const char *
server_transport_name(enum tr_id tr)
{
	return transports[tr]->name;
}

int
trs_is_open(enum tr_id tr)
{
	return tr_open[tr];
}

static int
tr_enabled(const struct transport *t, const struct conf *c)
{
	return *(const int *)(const void *)((const char *)c + t->enabled_at);
}

/* Must T be reopened to go from configuration A to B (both enabled)? */
static int
tr_moved(const struct transport *t, const struct conf *a,
    const struct conf *b)
{
	return strcmp((const char *)a + t->where_at,
	    (const char *)b + t->where_at) != 0 ||
	    (t->changed != NULL && t->changed(a, b));
}

/* Open TR if CONF enables it; -1 (logged) if that fails. */
int
trs_open(enum tr_id tr, const struct conf *conf)
{
	char	*cause = NULL;

	if (!tr_enabled(transports[tr], conf))
		return 0;
	if (transports[tr]->open(conf, &cause) != 0) {
		log_warnx("%s: %s", transports[tr]->name, cause);
		free(cause);
		return -1;
	}
	tr_open[tr] = 1;
	return 0;
}

/*
 * Going from CUR to NEXT: TRS_KEEP (nothing to do, or done in place),
 * or TRS_REOPEN (close, then trs_open with NEXT).
 */
int
trs_update(enum tr_id tr, const struct conf *cur, const struct conf *next)
{
	const struct transport	*t = transports[tr];
	char			*cause = NULL;

	if (!tr_open[tr] && !tr_enabled(t, next))
		return TRS_KEEP;
	if (tr_open[tr] && tr_enabled(t, next) && !tr_moved(t, cur, next)) {
		if (t->update != NULL && t->update(cur, next, &cause) != 0) {
			log_warnx("%s: %s", t->name, cause);
			free(cause);
		}
		return TRS_KEEP;
	}
	return TRS_REOPEN;
}

/* Stop TR's input and take what is already there, for the commit that
 * must come before trs_close. */
void
trs_drain(enum tr_id tr)
{
	if (tr_open[tr] && transports[tr]->drain != NULL)
		transports[tr]->drain();
}

void
trs_close(enum tr_id tr)
{
	if (!tr_open[tr])
		return;
	transports[tr]->close();
	tr_open[tr] = 0;
}

/* What the pass applied is durable: tell the open transports. */
void
trs_committed(void)
{
	int	i;

	for (i = 0; i < TR_COUNT; i++)
		if (tr_open[i] && transports[i]->committed != NULL)
			transports[i]->committed();
}

/* " unix fifo ...": the transports open now, for the start line. */
const char *
trs_open_names(void)
{
	static char	buf[128];
	size_t		len = 0;
	int		i;

	buf[0] = '\0';
	for (i = 0; i < TR_COUNT && len < sizeof buf; i++)
		if (tr_open[i])
			len += (size_t)snprintf(buf + len, sizeof buf - len,
			    " %s", transports[i]->name);
	return buf;
}
