/*
 * Submitting over TCP: the stream sender of tx_unix.c on a connection to
 * the first [tcp] listen address, with "auth TOKEN" sent first when
 * [tcp] token_file is set.  A wildcard listen address (0.0.0.0, [::]) is
 * reached on loopback.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netaddr.h"
#include "send.h"
#include "util.h"

/* The first listen address of TG's configuration, in SS. */
static int
tcp_address(const struct target *tg, struct sockaddr_storage *ss,
    socklen_t *len, char **cause)
{
	struct netaddr_listen	 l;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	const char		*why;

	if (netaddr_parse_listen(tg->conf->tcp.listen, &l, &why) != 0) {
		*cause = fmtstr("[tcp] listen: %s", why);
		return -1;
	}
	if (l.n == 0) {
		*cause = fmtstr("[tcp] listen names no address to connect to");
		return -1;
	}
	*ss = l.ss[0];
	*len = l.len[0];
	if (ss->ss_family == AF_INET && sin->sin_addr.s_addr == INADDR_ANY)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
		sin6->sin6_addr = in6addr_loopback;
	return 0;
}

/* A non-blocking connect, bounded by the timeout. */
static int
tcp_connect(struct conn *c, const struct sockaddr_storage *ss,
    socklen_t len, char **cause)
{
	char		text[NETADDR_TEXT_MAX];
	int		err = 0, one = 1;
	socklen_t	elen = sizeof err;

	netaddr_text((const struct sockaddr *)ss, len, text, sizeof text);
	c->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (c->fd == -1) {
		*cause = fmtstr("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (const struct sockaddr *)ss, len) == -1) {
		if (errno != EINPROGRESS)
			err = errno;
		else if (fd_wait(c->fd, POLLOUT, c->tg->timeout, text,
		    cause) == 0)
			goto fail;
		else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
		    &elen) != 0)
			err = errno;
	}
	if (err != 0) {
		*cause = fmtstr("cannot connect to %s: %s%s", text,
		    strerror(err), err == ECONNREFUSED ?
		    " (is ipcd running with [tcp] enabled?)" : "");
		goto fail;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return 0;
fail:
	close(c->fd);
	c->fd = -1;
	return -1;
}

static int
tcp_open_conn(struct conn *c, const struct target *tg, char **cause)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	size_t			tlen;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->tg = tg;
	if (tcp_address(tg, &ss, &len, cause) != 0)
		return -1;
	if (tg->conf->tcp.token_file[0] != '\0' &&
	    token_read(tg->conf->tcp.token_file, c->token, &tlen, cause) != 0)
		return -1;
	if (tcp_connect(c, &ss, len, cause) != 0)
		return -1;
	conn_ready(c);
	return 0;
}

static void *
tcp_open(const struct target *tg, char **cause)
{
	return tx_stream_open(tg, tcp_open_conn, cause);
}

const struct sender tx_tcp = {
	"tcp", tcp_open, tx_stream_put, tx_stream_flush, tx_stream_close, 0
};
