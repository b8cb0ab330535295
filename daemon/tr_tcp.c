/*
 * The TCP transport: the socket protocol for workers that are not on this
 * node or not let into the runtime directory.  This file is the listener:
 * it binds each [tcp] listen address (or adopts the sockets systemd
 * passed as "tcp"), closes a peer outside [tcp] allow before reading a
 * byte from it, admits the others against the limits, and hands each to
 * the stream layer behind the token gate (tcp_auth.c).  Everything after
 * that is stream.c's and ctl.c's, as for the Unix socket.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "netaddr.h"
#include "stream.h"
#include "systemd.h"
#include "tcp_auth.h"
#include "token.h"
#include "util.h"

#define ACCEPT_PAUSE	1	/* seconds without accepting after EMFILE */

static struct {
	int			 fd[NETADDR_LISTEN_MAX];
	struct event		*ev[NETADDR_LISTEN_MAX];
	size_t			 n;
	int			 passed;	/* by systemd: not ours to close */
	struct event		*pause;		/* accept paused on EMFILE */
	struct netaddr_allow	 allow;
} tc;

/*
 * What [tcp] must be for ipcd to take it: a peer beyond loopback must
 * show a token, and the token file must be one that nobody else may
 * read.  The listen and allow lists were checked as the file was read.
 */
int
tcp_conf_check(const struct conf *c, char **cause)
{
	struct netaddr_allow	 a;
	const char		*why;
	char			 token[TOKEN_MAX + 1];
	size_t			 len;

	*cause = NULL;
	if (!c->tcp.enabled)
		return 0;
	if (netaddr_parse_allow(c->tcp.allow, &a, &why) != 0) {
		*cause = fmtstr("[tcp] allow: %s", why);
		return -1;
	}
	if (c->tcp.token_file[0] == '\0') {
		if (netaddr_loopback_only(&a))
			return 0;
		*cause = fmtstr("[tcp] allow = %s admits peers beyond loopback, "
		    "but [tcp] token_file is not set: set token_file, or allow "
		    "loopback addresses only", c->tcp.allow);
		return -1;
	}
	if (token_read(c->tcp.token_file, token, &len, cause) != 0)
		return -1;
	explicit_bzero(token, sizeof token);
	return 0;
}

static void
accept_pause(void)
{
	struct timeval	sec = { ACCEPT_PAUSE, 0 };
	size_t		i;

	for (i = 0; i < tc.n; i++)
		event_del(tc.ev[i]);
	evtimer_add(tc.pause, &sec);
}

static void
accept_resume(evutil_socket_t fd, short events, void *arg)
{
	size_t	i;

	for (i = 0; i < tc.n; i++)
		event_add(tc.ev[i], NULL);
}

/* A peer of the network: its address, no process, no user. */
static void
peer_of(const struct sockaddr_storage *ss, socklen_t len, struct peer *p)
{
	memset(p, 0, sizeof *p);
	p->uid = PEER_NOUID;
	p->gid = (gid_t)-1;
	netaddr_host((const struct sockaddr *)ss, len, p->addr, sizeof p->addr,
	    NULL);
}

static void
tcp_accept(evutil_socket_t lfd, short events, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct peer		 p;
	const char		*why;
	int			 fd, one = 1;

	for (;;) {
		len = sizeof ss;
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Retrying at once would spin: wait a second. */
				log_warn("tcp: accept");
				accept_pause();
			}
			return;
		}
		peer_of(&ss, len, &p);
		if (!netaddr_allowed(&tc.allow, (struct sockaddr *)&ss, len)) {
			/* Not a byte is read from it, not a byte written. */
			close(fd);
			server_reject(TR_TCP, RJ_DENIED, "peer not in [tcp] "
			    "allow; closed unread", &p);
			continue;
		}
		if ((why = stream_admit(&p)) != NULL) {
			server_reject(TR_TCP, RJ_LIMIT_CLIENTS, why, &p);
			stream_refuse(fd, why);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		log_debug("tcp: client %s connected", p.addr);
		stream_new(fd, TR_TCP, &p, tcp_auth_handler());
	}
}

static void
tcp_close(void)
{
	size_t	i;

	for (i = 0; i < tc.n; i++) {
		if (tc.ev[i] != NULL)
			event_free(tc.ev[i]);
		tc.ev[i] = NULL;
		if (!tc.passed)
			close(tc.fd[i]);
	}
	if (tc.pause != NULL)
		event_free(tc.pause);
	tc.pause = NULL;
	tc.n = 0;
	tcp_auth_close();
}

static int
tcp_open(const struct conf *c, char **cause)
{
	const char	*why;
	size_t		 i;
	int		 n;

	if (tcp_conf_check(c, cause) != 0 ||
	    netaddr_parse_allow(c->tcp.allow, &tc.allow, &why) != 0 ||
	    tcp_auth_open(c, cause) != 0)
		return -1;
	if ((n = inet_listeners("tcp", c->tcp.listen, tc.fd, &tc.passed,
	    cause)) == -1) {
		tcp_close();
		return -1;
	}
	tc.n = (size_t)n;
	tc.pause = evtimer_new(server_base(), accept_resume, NULL);
	for (i = 0; i < tc.n; i++) {
		tc.ev[i] = event_new(server_base(), tc.fd[i],
		    EV_READ | EV_PERSIST, tcp_accept, NULL);
		if (tc.ev[i] == NULL || tc.pause == NULL ||
		    event_add(tc.ev[i], NULL) != 0) {
			*cause = fmtstr("cannot watch the listening sockets");
			tcp_close();
			return -1;
		}
	}
	return 0;
}

/* A reload: the allow list and the token (the file is read again) change
 * in place; connections already made keep going. */
static int
tcp_update(const struct conf *a, const struct conf *b, char **cause)
{
	const char	*why;

	if (tcp_conf_check(b, cause) != 0 || tcp_auth_open(b, cause) != 0)
		return -1;
	return netaddr_parse_allow(b->tcp.allow, &tc.allow, &why);
}

const struct transport tr_tcp = {
	.name = "tcp", TR_CONF(tcp, listen),
	.open = tcp_open, .close = tcp_close, .update = tcp_update,
};
