/* The [tcp] address lists; see netaddr.h. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"

#define TOKEN_MAX	64	/* one address of a list, as text */
#define SEPARATORS	" \t,"

static const uint8_t	v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

/* A message naming the offending item; the item's bytes are shown
 * printable. */
static const char *
bad(const char *what, const char *item, size_t len)
{
	static _Thread_local char msg[160];
	char		shown[TOKEN_MAX + 1];
	size_t		i;

	if (len > 40)
		len = 40;
	for (i = 0; i < len; i++)
		shown[i] = item[i] > ' ' && item[i] < 127 ? item[i] : '?';
	shown[len] = '\0';
	snprintf(msg, sizeof msg, "\"%s\": %s", shown, what);
	return msg;
}

/* The next item of a list at *s, copied into BUF; 0 at the end. */
static int
next_item(const char **s, char *buf, const char **cause)
{
	size_t	len;

	*s += strspn(*s, SEPARATORS);
	if (**s == '\0')
		return 0;
	len = strcspn(*s, SEPARATORS);
	if (len > TOKEN_MAX) {
		*cause = bad("too long for an address", *s, len);
		return -1;
	}
	memcpy(buf, *s, len);
	buf[len] = '\0';
	*s += len;
	return 1;
}

static int
parse_port(const char *s, in_port_t *port)
{
	unsigned long	v = 0;
	size_t		i;

	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 5; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i] != '\0' || v == 0 || v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

/* One "ADDR:PORT" or "[V6ADDR]:PORT" into SS. */
static const char *
parse_endpoint(char *item, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			*host = item, *colon;
	in_port_t		 port;

	memset(ss, 0, sizeof *ss);
	if (*item == '[') {
		host = item + 1;
		if ((colon = strchr(host, ']')) == NULL || colon[1] != ':')
			return "expected [IPV6ADDRESS]:PORT";
		*colon++ = '\0';
	} else if ((colon = strrchr(item, ':')) == NULL)
		return "expected ADDRESS:PORT";
	*colon = '\0';
	if (parse_port(colon + 1, &port) != 0)
		return "the port must be a number from 1 to 65535";
	if (host != item && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		*len = sizeof *sin6;
	} else if (host == item && inet_pton(AF_INET, host,
	    &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		*len = sizeof *sin;
	} else
		return host == item && strchr(host, ':') != NULL ?
		    "an IPv6 address goes in brackets, as [::1]:7390" :
		    "not a numeric IPv4 address or [IPv6] address";
	return NULL;
}

int
netaddr_parse_listen(const char *s, struct netaddr_listen *l,
    const char **cause)
{
	char		 item[TOKEN_MAX + 1], copy[TOKEN_MAX + 1], what[64];
	const char	*why;
	int		 r;

	l->n = 0;
	while ((r = next_item(&s, item, cause)) == 1) {
		if (l->n == NETADDR_LISTEN_MAX) {
			snprintf(what, sizeof what, "more than the %d "
			    "addresses a list may have", NETADDR_LISTEN_MAX);
			*cause = bad(what, item, strlen(item));
			return -1;
		}
		strcpy(copy, item);
		if ((why = parse_endpoint(item, &l->ss[l->n],
		    &l->len[l->n])) != NULL) {
			*cause = bad(why, copy, strlen(copy));
			return -1;
		}
		l->n++;
	}
	return r;
}

/* One "ADDR[/PREFIX]" into C. */
static const char *
parse_cidr(char *item, struct netaddr_cidr *c)
{
	char		*slash = strchr(item, '/'), *end;
	unsigned long	 max, prefix, i;

	memset(c, 0, sizeof *c);
	if (slash != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, item, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, item, c->addr) == 1)
		c->family = AF_INET6;
	else
		return "not a numeric IPv4 or IPv6 address (ADDRESS/PREFIX)";
	max = c->family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash != NULL) {
		for (prefix = 0, end = slash; *end >= '0' && *end <= '9' &&
		    end - slash < 3; end++)
			prefix = prefix * 10 + (unsigned long)(*end - '0');
		if (end == slash || *end != '\0' || prefix > max)
			return c->family == AF_INET ? "the prefix must be a "
			    "number from 0 to 32" : "the prefix must be a "
			    "number from 0 to 128";
	}
	for (i = prefix; i < max; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return "the address has bits set past its prefix";
	/* Peers are matched as IPv4 when they are IPv4-mapped. */
	if (c->family == AF_INET6 && prefix >= 96 &&
	    memcmp(c->addr, v4mapped, sizeof v4mapped) == 0) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		prefix -= 96;
	}
	c->prefix = (unsigned)prefix;
	return NULL;
}

int
netaddr_parse_allow(const char *s, struct netaddr_allow *a,
    const char **cause)
{
	char		 item[TOKEN_MAX + 1], copy[TOKEN_MAX + 1], what[64];
	const char	*why;
	int		 r;

	a->n = 0;
	while ((r = next_item(&s, item, cause)) == 1) {
		if (a->n == NETADDR_ALLOW_MAX) {
			snprintf(what, sizeof what, "more than the %d "
			    "blocks a list may have", NETADDR_ALLOW_MAX);
			*cause = bad(what, item, strlen(item));
			return -1;
		}
		strcpy(copy, item);
		if ((why = parse_cidr(item, &a->c[a->n])) != NULL) {
			*cause = bad(why, copy, strlen(copy));
			return -1;
		}
		a->n++;
	}
	if (r == 0 && a->n == 0) {
		/* Loopback only. */
		a->c[0] = (struct netaddr_cidr){ AF_INET, { 127 }, 8 };
		a->c[1] = (struct netaddr_cidr){ AF_INET6, { [15] = 1 }, 128 };
		a->n = 2;
	}
	return r;
}

/* SA's address bytes in ADDR (IPv4-mapped made IPv4); its family, or 0. */
static int
peer_bytes(const struct sockaddr *sa, socklen_t len, uint8_t addr[16],
    unsigned *port)
{
	const struct sockaddr_in	*sin = (const void *)sa;
	const struct sockaddr_in6	*sin6 = (const void *)sa;

	if (sa->sa_family == AF_INET && len >= sizeof *sin) {
		memcpy(addr, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
		return AF_INET;
	}
	if (sa->sa_family != AF_INET6 || len < sizeof *sin6)
		return 0;
	*port = ntohs(sin6->sin6_port);
	if (memcmp(&sin6->sin6_addr, v4mapped, sizeof v4mapped) == 0) {
		memcpy(addr, (const uint8_t *)&sin6->sin6_addr + 12, 4);
		return AF_INET;
	}
	memcpy(addr, &sin6->sin6_addr, 16);
	return AF_INET6;
}

static int
cidr_match(const struct netaddr_cidr *c, const uint8_t *addr)
{
	unsigned	full = c->prefix / 8, rest = c->prefix % 8;
	uint8_t		mask = (uint8_t)(0xff << (8 - rest));

	if (memcmp(c->addr, addr, full) != 0)
		return 0;
	return rest == 0 || (c->addr[full] & mask) == (addr[full] & mask);
}

int
netaddr_allowed(const struct netaddr_allow *a, const struct sockaddr *sa,
    socklen_t len)
{
	uint8_t		addr[16];
	unsigned	port;
	size_t		i;
	int		family = peer_bytes(sa, len, addr, &port);

	for (i = 0; family != 0 && i < a->n; i++)
		if (a->c[i].family == family && cidr_match(&a->c[i], addr))
			return 1;
	return 0;
}

int
netaddr_loopback_only(const struct netaddr_allow *a)
{
	static const uint8_t	one[16] = { [15] = 1 };
	const struct netaddr_cidr *c;
	size_t			i;

	for (i = 0; i < a->n; i++) {
		c = &a->c[i];
		if (c->family == AF_INET && (c->prefix < 8 || c->addr[0] != 127))
			return 0;
		if (c->family == AF_INET6 && (c->prefix != 128 ||
		    memcmp(c->addr, one, sizeof one) != 0))
			return 0;
	}
	return 1;
}

void
netaddr_host(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size, unsigned *port)
{
	uint8_t		addr[16];
	unsigned	p = 0;
	int		family = peer_bytes(sa, len, addr, &p);

	if (port != NULL)
		*port = p;
	if (family == 0 || inet_ntop(family, addr, buf, (socklen_t)size) ==
	    NULL)
		snprintf(buf, size, "?");
}

void
netaddr_text(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	char		host[NETADDR_HOST_MAX];
	unsigned	port;

	netaddr_host(sa, len, host, sizeof host, &port);
	if (strchr(host, ':') != NULL)
		snprintf(buf, size, "[%s]:%u", host, port);
	else
		snprintf(buf, size, "%s:%u", host, port);
}

int
netaddr_check_listen(const char *s, const char **cause)
{
	struct netaddr_listen	l;

	return netaddr_parse_listen(s, &l, cause);
}

int
netaddr_check_allow(const char *s, const char **cause)
{
	struct netaddr_allow	a;

	return netaddr_parse_allow(s, &a, cause);
}
