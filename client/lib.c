/*
 * libipcd: the public API of ipcd.h over the senders (send.c, tx_*.c)
 * and the socket (conn.c).  A handle holds a configuration, at most one
 * open sender (switching transport finishes the previous one) and one
 * connection for requests; every failure is a status and a message in
 * the handle.  Nothing here prints or exits: answers ipcd gives to
 * submissions come back through the target's answer hook, which the
 * handle keeps until a call can report them.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcd.h"
#include "lib.h"
#include "send.h"
#include "util.h"
#include "xmalloc.h"

/* Record why the call failed; ST. */
int
lib_fail(struct ipcd *c, int st, char *msg)
{
	free(c->error);
	c->error = msg;
	return st;
}

/* Every call starts here: the last error is forgotten, unless the
 * handle never opened (then every call fails with its cause). */
int
lib_begin(struct ipcd *c)
{
	if (c->dead)
		return IPCD_EFAIL;
	free(c->error);
	c->error = NULL;
	return IPCD_OK;
}

/* A duplicate or rejection ipcd answered, kept until a call reports it;
 * passed on to the hook of the caller's target, if any. */
static void
lib_answer(void *arg, int st, const char *msg)
{
	struct ipcd	*c = arg;

	if (c->answers++ == 0 || (st < 0 && c->answer_st > 0)) {
		free(c->answer);
		c->answer = xstrdup(msg);
		c->answer_st = st;
	}
	if (c->forward != NULL)
		c->forward(c->forward_arg, st, msg);
}

/* The answers received since the last report: a rejection (the worst
 * first), a duplicate, or none. */
static int
lib_answers(struct ipcd *c)
{
	int	st;

	if (c->answers == 0)
		return IPCD_OK;
	st = c->answer_st < 0 ? IPCD_EREJECTED : IPCD_DUPLICATE;
	if (c->answers > 1)
		lib_fail(c, st, fmtstr("%s (and %lu more answers)", c->answer,
		    c->answers - 1));
	else
		lib_fail(c, st, xstrdup(c->answer));
	c->answers = 0;
	return st;
}

static struct ipcd *
lib_new(void)
{
	struct ipcd	*c = xcalloc(1, sizeof *c);

	c->ctl.fd = -1;
	c->tg.conf = &c->conf;
	c->tg.hello = 1;
	c->tg.answer = lib_answer;
	c->tg.answer_arg = c;
	return c;
}

struct ipcd *
lib_open_target(const struct target *tg)
{
	struct ipcd	*c = lib_new();

	c->conf = *tg->conf;
	c->tg.timeout = tg->timeout;
	c->tg.hello = tg->hello;
	c->forward = tg->answer;
	c->forward_arg = tg->answer_arg;
	return c;
}

IPCD_EXPORT int
ipcd_open(struct ipcd **cp, const char *file)
{
	struct ipcd	*c;
	char		*cause;

	if (cp == NULL)
		return IPCD_EINVAL;
	*cp = c = lib_new();
	if (conf_load(conf_find(file), &c->conf, &cause) != 0) {
		c->dead = 1;
		return lib_fail(c, IPCD_EFAIL, cause);
	}
	c->tg.timeout = (double)c->conf.client.timeout;
	return IPCD_OK;
}

IPCD_EXPORT const char *
ipcd_error(const struct ipcd *c)
{
	if (c == NULL)
		return "no handle (ipcd_open was given no place for it)";
	return c->error != NULL ? c->error : "";
}

IPCD_EXPORT int
ipcd_set_timeout(struct ipcd *c, double seconds)
{
	int	r;

	if ((r = lib_begin(c)) != IPCD_OK)
		return r;
	if (!(seconds >= TIMEOUT_MIN && seconds <= TIMEOUT_MAX))
		return lib_fail(c, IPCD_EINVAL, fmtstr("timeout %g: expected "
		    "seconds, from %g to %.0f", seconds, TIMEOUT_MIN,
		    TIMEOUT_MAX));
	c->tg.timeout = seconds;
	return IPCD_OK;
}

void
lib_set_wait(struct ipcd *c, double seconds)
{
	c->wait = seconds;
}

/* Close the open sender, waiting for what it has in flight; a transport
 * failure is IPCD_EUNREACHABLE.  The answers are left for the caller. */
static int
lib_finish(struct ipcd *c)
{
	int	r;

	if (c->s == NULL)
		return IPCD_OK;
	r = sender_close(c->s, c->h, &c->t);
	c->s = NULL;
	c->h = NULL;
	if (r == 0 && c->t.cause == NULL)
		return IPCD_OK;
	r = lib_fail(c, IPCD_EUNREACHABLE, c->t.cause != NULL ? c->t.cause :
	    xstrdup("no answer"));
	c->t.cause = NULL;
	return r;
}

/* Open sender S, unless it is the open one. */
int
lib_connect(struct ipcd *c, const char *via)
{
	const struct sender	*s;
	char			*cause, *list;
	int			 r;

	if ((s = sender_find(via != NULL ? via : "unix")) == NULL) {
		list = sender_list();
		r = lib_fail(c, IPCD_EINVAL, fmtstr("unknown transport \"%s\" "
		    "(expected %s)", vis(via, strlen(via)), list));
		free(list);
		return r;
	}
	if (c->s == s)
		return IPCD_OK;
	if ((r = lib_finish(c)) != IPCD_OK)
		return r;
	if ((c->h = sender_open(s, &c->tg, &cause)) == NULL)
		return lib_fail(c, IPCD_EUNREACHABLE, cause);
	c->s = s;
	return IPCD_OK;
}

/* KEY, VALUE and the part as a record, or IPCD_EINVAL saying why not. */
static int
lib_record(struct ipcd *c, const char *key, double value, unsigned part,
    unsigned nparts, struct record *r)
{
	if (key == NULL)
		key = IPCD_DEFAULT_KEY;
	if (!key_valid(key, strlen(key)))
		return lib_fail(c, IPCD_EINVAL, fmtstr("key \"%s\" %s",
		    vis(key, strlen(key)), KEY_CAUSE));
	if (!isfinite(value))
		return lib_fail(c, IPCD_EINVAL, fmtstr("value is %s",
		    isnan(value) ? "NaN" : "infinite"));
	if ((part != 0 || nparts != 0) && !part_valid(part, nparts))
		return lib_fail(c, IPCD_EINVAL, fmtstr("part %u/%u: %s", part,
		    nparts, PART_CAUSE));
	memset(r, 0, sizeof *r);
	strcpy(r->key, key);
	r->value = value;
	r->part = part;
	r->nparts = nparts;
	return IPCD_OK;
}

/*
 * R, checked, to the open sender (lib_connect), with its record line
 * LINE (newline included; NULL: none), which ipcd's parser reads as R:
 * sent as it is, unless it is longer than ipcd takes ([limits]
 * max_record_bytes), when R is formatted anew.
 */
int
lib_put(struct ipcd *c, const struct record *r, const char *line,
    size_t len)
{
	int	st;

	if ((st = lib_begin(c)) != IPCD_OK)
		return st;
	if (line != NULL && len > (size_t)c->conf.limits.max_record_bytes)
		line = NULL;
	if (sender_put_line(c->s, c->h, r, line, len, &c->t) != 0) {
		/* The transport failed: give it up; a retry opens anew. */
		st = lib_finish(c);
		return st != IPCD_OK ? st : lib_fail(c, IPCD_EUNREACHABLE,
		    xstrdup("the transport failed"));
	}
	return lib_answers(c);
}

IPCD_EXPORT int
ipcd_submit(struct ipcd *c, const char *via, const char *key, double value,
    unsigned part, unsigned nparts)
{
	struct record	rec;
	int		r;

	if ((r = lib_begin(c)) != IPCD_OK)
		return r;
	if ((r = lib_record(c, key, value, part, nparts, &rec)) != IPCD_OK ||
	    (r = lib_connect(c, via)) != IPCD_OK)
		return r;
	return lib_put(c, &rec, NULL, 0);
}

/* What put buffered goes out now, the connection kept (ipcctl's input
 * went quiet). */
int
lib_push(struct ipcd *c)
{
	int	r;

	if ((r = lib_begin(c)) != IPCD_OK)
		return r;
	if (c->s != NULL && sender_flush(c->s, c->h, &c->t) != 0) {
		r = lib_finish(c);
		return r != IPCD_OK ? r : lib_fail(c, IPCD_EUNREACHABLE,
		    xstrdup("the transport failed"));
	}
	return lib_answers(c);
}

IPCD_EXPORT int
ipcd_flush(struct ipcd *c)
{
	int	r;

	if ((r = lib_begin(c)) != IPCD_OK)
		return r;
	if ((r = lib_finish(c)) != IPCD_OK)
		return r;
	return lib_answers(c);
}

const struct tally *
lib_tally(const struct ipcd *c)
{
	return &c->t;
}

const char *
lib_reply(const struct ipcd *c)
{
	return c->reply;
}

IPCD_EXPORT void
ipcd_close(struct ipcd *c)
{
	if (c == NULL)
		return;
	(void)lib_finish(c);
	conn_close(&c->ctl);
	free(c->t.cause);
	free(c->answer);
	free(c->error);
	free(c);
}

IPCD_EXPORT const char *
ipcd_version(void)
{
	return IPCD_VERSION;
}
