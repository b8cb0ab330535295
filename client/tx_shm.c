/*
 * Submitting over shared memory: records published into a ring of the
 * shared segment (common/shm.c).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "send.h"
#include "shm.h"
#include "util.h"
#include "xmalloc.h"

static void *
shm_open_tx(const struct target *tg, char **cause)
{
	struct shm_producer	*p = xmalloc(sizeof *p);
	const char		*why;

	if (shm_attach(p, tg->conf->shm.name, (long)(tg->timeout * 1000),
	    &why) != 0) {
		*cause = fmtstr("%s", why);
		free(p);
		return NULL;
	}
	return p;
}

static int
shm_put_tx(void *arg, const struct record *r, const char *line, size_t len,
    struct tally *t)
{
	const char	*cause;

	if (shm_put(arg, r, &cause) != 0)
		return tally_fail(t, fmtstr("shm: %s", cause));
	t->accepted++;
	return 0;
}

/* Ring the doorbell for what is in the ring. */
static int
shm_flush_tx(void *arg, struct tally *t)
{
	shm_flush(arg);
	return 0;
}

/* Returns only once ipcd has committed every record put, or says how
 * many it may not have. */
static int
shm_close_tx(void *arg, struct tally *t)
{
	char	err[256];
	int	r;

	if ((r = shm_detach(arg, err, sizeof err)) != 0) {
		/* Counted as taken when put; these were not (all) taken. */
		t->accepted -= ((struct shm_producer *)arg)->lost < t->accepted ?
		    ((struct shm_producer *)arg)->lost : t->accepted;
		tally_fail(t, fmtstr("shm: %s", err));
	}
	free(arg);
	return r;
}

const struct sender tx_shm = {
	"shm", shm_open_tx, shm_put_tx, shm_flush_tx, shm_close_tx,
	1	/* the record, parsed once, goes into the ring as it is */
};
