/*
 * The listening sockets of a section with a "listen" list, [tcp] and
 * [http]: those systemd passed under the section's name, else one bound
 * per address.  What is accepted on them is the caller's business.
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "netaddr.h"
#include "systemd.h"
#include "util.h"

/* A listening socket on SS. */
static int
inet_bind(const struct sockaddr_storage *ss, socklen_t len, char **cause)
{
	char	text[NETADDR_TEXT_MAX];
	int	fd, one = 1;

	netaddr_text((const struct sockaddr *)ss, len, text, sizeof text);
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		*cause = fmtstr("socket for %s: %s", text, strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* [::] means IPv6 only: IPv4 is listed on its own. */
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof one);
	if (bind(fd, (const struct sockaddr *)ss, len) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		*cause = fmtstr("bind %s: %s", text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The listening sockets of section NAME ("tcp", "http"): those systemd
 * passed as NAME (*passed set: not ours to close), else one bound per
 * address of LISTEN.  How many, into FDS (NETADDR_LISTEN_MAX), or -1
 * with a cause and nothing left open.
 */
int
inet_listeners(const char *name, const char *listen, int *fds, int *passed,
    char **cause)
{
	struct netaddr_listen	 l;
	const char		*why;
	size_t			 i;
	int			 n;

	n = sysd_take_inet(name, fds, NETADDR_LISTEN_MAX, cause);
	if (n < 0)
		return -1;
	if ((*passed = n > 0))
		return n;
	if (netaddr_parse_listen(listen, &l, &why) != 0) {
		*cause = fmtstr("[%s] listen: %s", name, why);
		return -1;
	}
	if (l.n == 0) {
		*cause = fmtstr("[%s] listen names no address", name);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		if ((fds[i] = inet_bind(&l.ss[i], l.len[i], cause)) == -1) {
			while (i > 0)
				close(fds[--i]);
			return -1;
		}
	}
	return (int)l.n;
}
