/*
 * The HTTP server of [http]: GET or HEAD of /metrics (metrics.c's
 * exposition, in the format the Accept header asks for) and of /healthz,
 * with libevent's evhttp on the loop.  One request per connection
 * (Connection: close, and the end once it is answered, whatever the
 * method).  Every cost a peer can cause is bounded: the
 * request head (HTTP_HEAD_MAX) and no body; the time to send the request
 * (HTTP_REQUEST_TIMEOUT from the accept, so a slowloris is dropped however
 * slowly it trickles); the time without progress (HTTP_IO_TIMEOUT, so a
 * reader that stops is dropped); the whole time of a connection
 * (HTTP_ANSWER_TIMEOUT, so a reader that trickles does not keep a slot
 * for ever); what is read (two request heads' worth, however much a peer
 * sends while its answer goes out); the connections ([http] max_clients:
 * accept stops at the bound, the kernel's backlog holds the next ones);
 * and a scrape's memory: the next piece of the exposition is made only
 * once the previous one is in the kernel, so a slow reader slows itself
 * alone and the loop never waits on it.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "daemon.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "xmalloc.h"

/* http_adopt finds a connection's evhttp_connection where the 2.1 series
 * puts it; 2.2 has evhttp_set_newreqcb for this instead. */
#if LIBEVENT_VERSION_NUMBER < 0x02010000 || LIBEVENT_VERSION_NUMBER >= 0x02020000
#error "http.c is written for libevent 2.1: see http_adopt"
#endif

#define HTTP_HEAD_MAX		8192	/* bytes of request line and headers */
#define HTTP_REQUEST_TIMEOUT	5	/* seconds from accept to a whole request */
#define HTTP_IO_TIMEOUT		10	/* seconds without a byte read or written */
#define HTTP_ANSWER_TIMEOUT	60	/* seconds from accept to a whole answer */
#define HTTP_PIECE		65536	/* bytes of exposition per chunk */
#define ACCEPT_PAUSE		1	/* seconds without accepting after EMFILE */
#define HTTP_METHODS	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | \
    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |		\
    EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

/* A connection, from its accept to evhttp's freeing it. */
struct hconn {
	TAILQ_ENTRY(hconn)	 entry;
	struct bufferevent	*bev;
	struct evhttp_connection *evcon;	/* NULL until adopted */
	double			 since;		/* mono_sec() of the accept */
	int			 asked;		/* its request has come */
	struct evhttp_request	*req;		/* a scrape being sent */
	struct metrics		*m;
	struct evbuffer		*piece;
	struct event		*resume;	/* after an empty piece */
	struct event		*end;		/* once its answer is sent */
};

static struct {
	struct evhttp		*http;		/* NULL: closed */
	struct evconnlistener	*lev[NETADDR_LISTEN_MAX];
	size_t			 n;
	size_t			 max;		/* [http] max_clients */
	size_t			 nconn;
	int			 accepting;
	int			 paused;	/* by an accept error */
	struct event		*adopt;
	struct event		*sweep;		/* of slow connections */
	struct event		*pause;
	TAILQ_HEAD(, hconn)	 conns;
} hs = { .conns = TAILQ_HEAD_INITIALIZER(hs.conns) };

int
http_is_open(void)
{
	return hs.http != NULL;
}

/* Accept while below max_clients and not paused; else leave the next
 * connections in the kernel's backlog. */
static void
accept_update(void)
{
	int	on = !hs.paused && hs.nconn < hs.max;
	size_t	i;

	if (on == hs.accepting)
		return;
	for (i = 0; i < hs.n; i++) {
		if (on)
			evconnlistener_enable(hs.lev[i]);
		else
			evconnlistener_disable(hs.lev[i]);
	}
	hs.accepting = on;
}

static void
accept_error(struct evconnlistener *lev, void *arg)
{
	struct timeval	sec = { ACCEPT_PAUSE, 0 };

	/* EMFILE and the like: retrying at once would spin. */
	log_warn("http: accept");
	hs.paused = 1;
	accept_update();
	evtimer_add(hs.pause, &sec);
}

static void
accept_resume(evutil_socket_t fd, short events, void *arg)
{
	hs.paused = 0;
	accept_update();
}

static void
hconn_free(struct hconn *hc)
{
	TAILQ_REMOVE(&hs.conns, hc, entry);
	if (hc->m != NULL)
		metrics_free(hc->m);
	if (hc->piece != NULL)
		evbuffer_free(hc->piece);
	if (hc->resume != NULL)
		event_free(hc->resume);
	event_free(hc->end);
	free(hc);
	hs.nconn--;
	accept_update();
}

/* The end of a connection, however it came: evhttp is freeing it. */
static void
http_closed(struct evhttp_connection *evcon, void *arg)
{
	struct hconn	*hc = arg;

	/* A scrape cut short (a timeout, the peer gone): evhttp has left
	 * the request to us if it detached it, else it frees it next. */
	if (hc->req != NULL && evhttp_request_get_connection(hc->req) == NULL) {
		log_debug("http: a scrape cut short (the reader stopped "
		    "for %d seconds, or left)", HTTP_IO_TIMEOUT);
		evhttp_send_reply_end(hc->req);
	}
	hconn_free(hc);
}

/*
 * evhttp tells of a connection's end only through a close callback set
 * on its evhttp_connection, which it gives as the argument of the
 * callbacks it sets on the bufferevent http_newconn made.  This runs in
 * the pass of the accept, before the connection has read a byte.  One
 * that evhttp failed to set up (out of memory) has lost its callbacks
 * (bufferevent_free clears them; the memory goes in a later callback).
 * The argument is checked to be the connection of our bufferevent before
 * it is used; if it is not, it is left alone (http_request refuses what
 * comes on a connection not adopted), never guessed at.
 */
static void
http_adopt(evutil_socket_t fd, short events, void *arg)
{
	struct hconn		*hc, *next;
	bufferevent_data_cb	 readcb;
	void			*cbarg;

	for (hc = TAILQ_FIRST(&hs.conns); hc != NULL; hc = next) {
		next = TAILQ_NEXT(hc, entry);
		if (hc->evcon != NULL)
			continue;
		bufferevent_getcb(hc->bev, &readcb, NULL, NULL, &cbarg);
		if (readcb == NULL || cbarg == NULL) {
			hconn_free(hc);
			continue;
		}
		if (evhttp_connection_get_bufferevent(cbarg) != hc->bev) {
			log_warnx("http: a connection that libevent did not set "
			    "up as expected; its requests are refused");
			hconn_free(hc);
			continue;
		}
		hc->evcon = cbarg;
		evhttp_connection_set_closecb(hc->evcon, http_closed, hc);
	}
}

/*
 * Once a second while there are connections: drop those that have taken
 * HTTP_REQUEST_TIMEOUT to send their request, or HTTP_ANSWER_TIMEOUT in
 * all (every byte restarts evhttp's own timeout, never these).
 */
static void
http_sweep(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	 sec = { 1, 0 };
	struct linger	 reset = { 1, 0 };
	struct hconn	*hc, *next;
	double		 now = mono_sec();

	for (hc = TAILQ_FIRST(&hs.conns); hc != NULL; hc = next) {
		next = TAILQ_NEXT(hc, entry);
		if (hc->evcon == NULL)
			continue;
		if (!hc->asked && now - hc->since >= HTTP_REQUEST_TIMEOUT)
			log_debug("http: a request took more than %d seconds; "
			    "dropped", HTTP_REQUEST_TIMEOUT);
		else if (now - hc->since >= HTTP_ANSWER_TIMEOUT) {
			log_debug("http: an answer took more than %d seconds; "
			    "dropped", HTTP_ANSWER_TIMEOUT);
			/* A reset: else the kernel would go on sending the
			 * megabytes queued for it, at the reader's pace. */
			(void)setsockopt(bufferevent_getfd(hc->bev), SOL_SOCKET,
			    SO_LINGER, &reset, sizeof reset);
		} else
			continue;
		evhttp_connection_free(hc->evcon);	/* and hc, http_closed */
	}
	if (!TAILQ_EMPTY(&hs.conns))
		evtimer_add(hs.sweep, &sec);
}

/*
 * One request per connection: once its answer is sent, a connection ends,
 * even where evhttp would wait for another (after a CONNECT, whatever
 * the headers say) without the deadline of the first.  Not in evhttp's
 * callback, which goes on using the connection: in the next pass.
 */
static void
http_done(struct evhttp_request *req, void *arg)
{
	struct timeval	 now = { 0, 0 };
	struct hconn	*hc = arg;

	evtimer_add(hc->end, &now);
}

static void
http_end(evutil_socket_t fd, short events, void *arg)
{
	struct hconn	*hc = arg;

	evhttp_connection_free(hc->evcon);	/* and hc, http_closed */
}

/* evhttp's bevcb: a connection was accepted. */
static struct bufferevent *
http_newconn(struct event_base *base, void *arg)
{
	struct timeval	 sec = { 1, 0 };
	struct hconn	*hc;

	hc = xcalloc(1, sizeof *hc);
	if ((hc->bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("http: out of memory for a connection");
	/* While a reply is sent evhttp reads on, to see the peer leave,
	 * and keeps what it reads: read no more than a request head's
	 * worth, however much a peer sends. */
	bufferevent_setwatermark(hc->bev, EV_READ, 0, 2 * HTTP_HEAD_MAX);
	if ((hc->end = evtimer_new(base, http_end, hc)) == NULL)
		fatalx("http: out of memory for a connection");
	hc->since = mono_sec();
	TAILQ_INSERT_TAIL(&hs.conns, hc, entry);
	hs.nconn++;
	accept_update();
	event_active(hs.adopt, 0, 0);
	if (!evtimer_pending(hs.sweep, NULL))
		evtimer_add(hs.sweep, &sec);
	return hc->bev;
}

static void
http_reply(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*body;
	char			 len[32];

	evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
	/* evhttp would send the body of a HEAD too. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof len, "%zu", strlen(text));
		evhttp_add_header(out, "Content-Length", len);
		evhttp_send_reply(req, code, reason, NULL);
		return;
	}
	if ((body = evbuffer_new()) == NULL)
		fatalx("http: out of memory for a reply");
	evbuffer_add(body, text, strlen(text));
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

/*
 * The next piece of a scrape: at the start, then each time the previous
 * one has gone into the kernel (evhttp's callback).  A piece that came out
 * empty (metrics_next walked keys that have nothing to show) is followed
 * by the next one in a later pass of the loop, not at once: looping here
 * until something comes out could walk the whole table in one go.
 */
static void
http_piece(struct evhttp_connection *evcon, void *arg)
{
	struct timeval		 now = { 0, 0 };
	struct hconn		*hc = arg;
	struct evhttp_request	*req = hc->req;
	int			 more;

	more = metrics_next(hc->m, hc->piece, HTTP_PIECE);
	if (more && evbuffer_get_length(hc->piece) == 0) {
		evtimer_add(hc->resume, &now);
		return;
	}
	evhttp_send_reply_chunk_with_cb(req, hc->piece,
	    more ? http_piece : NULL, hc);
	if (more)
		return;
	metrics_free(hc->m);
	hc->m = NULL;
	hc->req = NULL;
	evhttp_send_reply_end(req);
}

static void
http_resume(evutil_socket_t fd, short events, void *arg)
{
	struct hconn	*hc = arg;

	http_piece(hc->evcon, hc);
}

static void
http_metrics(struct hconn *hc, struct evhttp_request *req)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	enum metrics_format	 fmt;

	fmt = http_format(evhttp_find_header(in, "Accept"));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", metrics_content_type(fmt));
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
		return;
	}
	hc->req = req;
	hc->m = metrics_begin(fmt);
	hc->piece = evbuffer_new();
	hc->resume = evtimer_new(server_base(), http_resume, hc);
	if (hc->piece == NULL || hc->resume == NULL)
		fatalx("http: out of memory for a scrape");
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	http_piece(hc->evcon, hc);
}

/* A whole request head has come: route it. */
static void
http_request(struct evhttp_request *req, void *arg)
{
	struct evhttp_connection	*evcon;
	struct hconn			*hc;
	enum evhttp_cmd_type		 cmd = evhttp_request_get_command(req);
	const char			*path;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Connection", "close");
	evcon = evhttp_request_get_connection(req);
	TAILQ_FOREACH(hc, &hs.conns, entry)
		if (hc->evcon == evcon)
			break;
	if (hc == NULL) {
		/* Not one of http_newconn's: libevent is not what this file
		 * was written for.  Refuse rather than guess. */
		log_warnx("http: a request on a connection not seen accepted");
		http_reply(req, 503, "Service Unavailable", "unavailable\n");
		return;
	}
	if (hc->asked) {
		/* Sent with the first: its end is on the way. */
		http_reply(req, 400, "Bad Request",
		    "one request per connection\n");
		return;
	}
	hc->asked = 1;
	evhttp_request_set_on_complete_cb(req, http_done, hc);
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL || (strcmp(path, "/metrics") != 0 &&
	    strcmp(path, "/healthz") != 0))
		http_reply(req, HTTP_NOTFOUND, "Not Found",
		    "not found: ipcd serves /metrics and /healthz\n");
	else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		http_reply(req, 405, "Method Not Allowed",
		    "method not allowed: GET or HEAD only\n");
	} else if (strcmp(path, "/healthz") == 0)
		http_reply(req, HTTP_OK, "OK", "ok\n");
	else
		http_metrics(hc, req);
}

/* The server on FD[0..N-1] (listening sockets; ours to close unless
 * systemd passed them). */
static void
http_start(int *fd, int n, int passed)
{
	struct event_base	*base = server_base();
	unsigned		 flags = LEV_OPT_CLOSE_ON_EXEC;
	int			 i;

	if (!passed)
		flags |= LEV_OPT_CLOSE_ON_FREE;
	hs.http = evhttp_new(base);
	hs.adopt = event_new(base, -1, 0, http_adopt, NULL);
	hs.sweep = evtimer_new(base, http_sweep, NULL);
	hs.pause = evtimer_new(base, accept_resume, NULL);
	if (hs.http == NULL || hs.adopt == NULL || hs.sweep == NULL ||
	    hs.pause == NULL)
		fatalx("http: out of memory");
	evhttp_set_max_headers_size(hs.http, HTTP_HEAD_MAX);
	evhttp_set_max_body_size(hs.http, 0);
	evhttp_set_timeout(hs.http, HTTP_IO_TIMEOUT);
	/* Every method reaches http_request, which answers 405 and Allow
	 * (evhttp would answer 501). */
	evhttp_set_allowed_methods(hs.http, HTTP_METHODS);
	evhttp_set_bevcb(hs.http, http_newconn, NULL);
	evhttp_set_gencb(hs.http, http_request, NULL);
	for (i = 0; i < n; i++) {
		hs.lev[i] = evconnlistener_new(base, NULL, NULL, flags, 0,
		    fd[i]);
		if (hs.lev[i] == NULL ||
		    evhttp_bind_listener(hs.http, hs.lev[i]) == NULL)
			fatalx("http: cannot watch the listening sockets");
		evconnlistener_set_error_cb(hs.lev[i], accept_error);
	}
	hs.n = (size_t)n;
	hs.accepting = 1;
	hs.paused = 0;
}

int
http_open(const struct conf *c, char **cause)
{
	int	fd[NETADDR_LISTEN_MAX], n, passed;

	*cause = NULL;
	if (!c->http.enabled || hs.http != NULL)
		return 0;
	if ((n = inet_listeners("http", c->http.listen, fd, &passed,
	    cause)) == -1)
		return -1;
	hs.max = (size_t)c->http.max_clients;
	http_start(fd, n, passed);
	return 0;
}

/* Connections in progress are cut. */
void
http_close(void)
{
	struct evhttp	*http = hs.http;
	struct hconn	*hc;

	if (http == NULL)
		return;
	hs.http = NULL;
	hs.n = 0;
	/* The listeners go with it, and every adopted connection, each
	 * through http_closed. */
	evhttp_free(http);
	while ((hc = TAILQ_FIRST(&hs.conns)) != NULL)
		hconn_free(hc);
	event_free(hs.adopt);
	event_free(hs.sweep);
	event_free(hs.pause);
}

/*
 * A reload from CUR to NEXT: max_clients changes in place; a new listen
 * list (or [http] turned on or off) means a close and an open, with
 * CUR's settings back if NEXT's cannot be had.
 */
int
http_reload(const struct conf *cur, const struct conf *next, char **cause)
{
	char	*why, *again = NULL;

	*cause = NULL;
	if (hs.http != NULL && next->http.enabled &&
	    strcmp(cur->http.listen, next->http.listen) == 0) {
		hs.max = (size_t)next->http.max_clients;
		accept_update();
		return 0;
	}
	http_close();
	if (http_open(next, &why) == 0)
		return 0;
	if (cur->http.enabled && http_open(cur, &again) == 0)
		*cause = fmtstr("%s; kept the previous settings", why);
	else {
		*cause = fmtstr("%s; not serving", why);
		free(again);
	}
	free(why);
	return -1;
}
