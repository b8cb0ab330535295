/*
 * libipcd's requests on the socket: result (with its wait) and ping, on
 * one connection per handle, made at the first request and made again
 * after ipcd went away.
 */

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcd.h"
#include "lib.h"
#include "util.h"
#include "xmalloc.h"

/* A reply that is not "ok": the status of its code, ipcd's message. */
static int
ask_refused(struct ipcd *c, const char *what, const char *line)
{
	const char	*msg;
	int		 r = reply_code(line, &msg);

	if (r == EXIT_FAIL)
		return lib_fail(c, IPCD_EFAIL, fmtstr("%s: unexpected reply "
		    "\"%s\"", what, vis(line, strlen(line))));
	return lib_fail(c, -r, fmtstr("%s: %s", what, vis(msg, strlen(msg))));
}

static int
ask_unreachable(struct ipcd *c, const char *what, char *cause)
{
	lib_fail(c, IPCD_EUNREACHABLE, fmtstr("%s: %s", what, cause));
	free(cause);
	return IPCD_EUNREACHABLE;
}

/* Between requests ipcd sends nothing unasked: a kept connection with
 * something to read is one it closed (idle_timeout, a restart), and what
 * is there is its goodbye, not an answer. */
static int
ask_stale(const struct conn *ctl)
{
	struct pollfd	pfd = { .fd = ctl->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/*
 * Send REQ KEY (KEY NULL: REQ alone), or with WAIT the wait for KEY's
 * parts, and keep the reply; IPCD_OK for "ok", else a status and why.
 */
static int
ask(struct ipcd *c, const char *req, const char *key, int wait)
{
	char	*reply, *cause;
	double	 wt = c->wait != 0 ? c->wait : c->tg.timeout;
	int	 r;

	if ((r = lib_begin(c)) != IPCD_OK)
		return r;
	c->reply[0] = '\0';
	if (c->ctl.fd != -1 && ask_stale(&c->ctl))
		conn_close(&c->ctl);
	if (c->ctl.fd == -1 && conn_open(&c->ctl, &c->tg, &cause) != 0)
		return ask_unreachable(c, req, cause);
	if (wait)
		r = request_wait(&c->ctl, key, wt > 0 ? wt : 0, &reply, &cause);
	else if (key != NULL)
		r = conn_request(&c->ctl, &reply, &cause, "%s %s", req, key);
	else
		r = conn_request(&c->ctl, &reply, &cause, "%s", req);
	if (r == CONN_FAIL) {
		conn_close(&c->ctl);	/* the next request connects anew */
		return ask_unreachable(c, req, cause);
	}
	snprintf(c->reply, sizeof c->reply, "%s", reply);
	if (r != 0 && r != 1)
		return ask_refused(c, req, reply);
	return IPCD_OK;
}

/* Field NAME of the reply as a number; -1 if it is not there. */
static int
ask_number(const struct ipcd *c, const char *name, double *d)
{
	char	 v[NUM_FORMAT_MAX], *end;

	if (reply_field(c->reply, name, v, sizeof v) != 0)
		return -1;
	*d = strtod(v, &end);
	return *v != '\0' && *end == '\0' ? 0 : -1;
}

/* The fields of a key into *T. */
static int
ask_total(struct ipcd *c, struct ipcd_total *t)
{
	double	count, parts, nparts;

	memset(t, 0, sizeof *t);
	t->overflow = reply_overflow(c->reply);
	if ((!t->overflow && ask_number(c, "total", &t->total) != 0) ||
	    ask_number(c, "count", &count) != 0 ||
	    ask_number(c, "min", &t->min) != 0 ||
	    ask_number(c, "max", &t->max) != 0 ||
	    ask_number(c, "parts", &parts) != 0 ||
	    ask_number(c, "nparts", &nparts) != 0)
		return lib_fail(c, IPCD_EFAIL, fmtstr("result: unexpected "
		    "reply \"%s\"", vis(c->reply, strlen(c->reply))));
	if (t->overflow)
		t->total = NAN;		/* no double holds it */
	t->count = (unsigned long long)count;
	t->parts = (unsigned)parts;
	t->nparts = (unsigned)nparts;
	return IPCD_OK;
}

IPCD_EXPORT int
ipcd_result(struct ipcd *c, const char *key, int wait, struct ipcd_total *t)
{
	int	r;

	if ((r = lib_begin(c)) != IPCD_OK)
		return r;
	if (key == NULL)
		key = IPCD_DEFAULT_KEY;
	if (!key_valid(key, strlen(key)))
		return lib_fail(c, IPCD_EINVAL, fmtstr("key \"%s\" %s",
		    vis(key, strlen(key)), KEY_CAUSE));
	if ((r = ask(c, REQ_RESULT, key, wait)) != IPCD_OK)
		return r;
	return t != NULL ? ask_total(c, t) : IPCD_OK;
}

IPCD_EXPORT int
ipcd_ping(struct ipcd *c)
{
	return ask(c, REQ_PING, NULL, 0);
}
