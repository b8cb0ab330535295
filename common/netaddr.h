/*
 * Network addresses of the [tcp] section: the "listen" list (ADDR:PORT,
 * [V6ADDR]:PORT) and the "allow" list of CIDR blocks, parsed from text
 * and matched against a peer.  Numeric addresses only: nothing here
 * resolves a name or touches the network.  Pure: no allocation, no log.
 */
#ifndef IPCD_NETADDR_H
#define IPCD_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NETADDR_LISTEN_MAX	16	/* addresses in "listen" */
#define NETADDR_ALLOW_MAX	64	/* blocks in "allow" */
/* An address as text ("::ffff:255.255.255.255" is the longest), and
 * one with its port ("[...]:65535"). */
#define NETADDR_HOST_MAX	46
#define NETADDR_TEXT_MAX	(NETADDR_HOST_MAX + 8)

struct netaddr_listen {
	struct sockaddr_storage	 ss[NETADDR_LISTEN_MAX];
	socklen_t		 len[NETADDR_LISTEN_MAX];
	size_t			 n;
};

struct netaddr_cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* 4 bytes of it for AF_INET */
	unsigned	prefix;
};

/* The empty list means loopback only: 127.0.0.0/8 and ::1 (an IPv4
 * peer on an IPv6 socket is matched as the IPv4 address it is). */
struct netaddr_allow {
	struct netaddr_cidr	c[NETADDR_ALLOW_MAX];
	size_t			n;
};

int	netaddr_parse_listen(const char *, struct netaddr_listen *,
	    const char **);
int	netaddr_parse_allow(const char *, struct netaddr_allow *,
	    const char **);
/* Does the list admit the peer at SA? */
int	netaddr_allowed(const struct netaddr_allow *, const struct sockaddr *,
	    socklen_t);
/* Does the list admit loopback peers and no others? */
int	netaddr_loopback_only(const struct netaddr_allow *);
/* SA's address as text, an IPv4-mapped one as IPv4; its port in *port
 * (if not NULL).  "?" for what is not IPv4 or IPv6. */
void	netaddr_host(const struct sockaddr *, socklen_t, char *, size_t,
	    unsigned *);
/* ADDR:PORT or [V6ADDR]:PORT. */
void	netaddr_text(const struct sockaddr *, socklen_t, char *, size_t);

/* The checks of the configuration's keys (common/conf.c). */
int	netaddr_check_listen(const char *, const char **);
int	netaddr_check_allow(const char *, const char **);

#endif
