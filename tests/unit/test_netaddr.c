/* Unit tests of the [tcp] address lists (netaddr.c) and the token file
 * (token.c): good lists, hostile strings, matching, and the checks a
 * token file must pass. */

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netaddr.h"
#include "token.h"
#include "t.h"

/* A peer at TEXT (IPv4, IPv6, or IPv4-mapped IPv6 "::ffff:a.b.c.d"). */
static socklen_t
peer(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(1234);
		return sizeof *sin;
	}
	inet_pton(AF_INET6, text, &sin6->sin6_addr);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(1234);
	return sizeof *sin6;
}

static int
allowed(const char *list, const char *who)
{
	struct netaddr_allow	 a;
	struct sockaddr_storage	 ss;
	const char		*cause;
	socklen_t		 len = peer(who, &ss);

	if (netaddr_parse_allow(list, &a, &cause) != 0)
		return -1;
	return netaddr_allowed(&a, (struct sockaddr *)&ss, len);
}

static const struct {
	const char	*list, *who;
	int		 want;
} matches[] = {
	{ "", "127.0.0.1", 1 }, { "", "127.255.0.9", 1 }, { "", "::1", 1 },
	{ "", "::ffff:127.0.0.1", 1 }, { "", "10.0.0.1", 0 },
	{ "", "::2", 0 }, { "", "::ffff:10.0.0.1", 0 }, { "", "128.0.0.1", 0 },
	{ "10.199.0.2/32", "10.199.0.2", 1 },
	{ "10.199.0.2/32", "10.199.0.3", 0 },
	{ "10.199.0.2/32", "127.0.0.1", 0 },
	{ "10.199.0.0/30", "10.199.0.3", 1 },
	{ "10.199.0.0/30", "10.199.0.4", 0 },
	{ "10.0.0.0/8, ::1", "::1", 1 },
	{ "10.0.0.0/8,::1", "10.250.1.1", 1 },
	{ "0.0.0.0/0", "203.0.113.9", 1 }, { "0.0.0.0/0", "2001:db8::1", 0 },
	{ "::/0", "2001:db8::1", 1 }, { "::/0", "10.0.0.1", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ "::ffff:10.0.0.0/104", "10.1.2.3", 1 },
	{ "::ffff:10.0.0.0/104", "::ffff:10.1.2.3", 1 },
	{ "192.168.1.128/25", "192.168.1.127", 0 },
	{ "192.168.1.128/25", "192.168.1.255", 1 },
};

static const struct {
	const char	*list;
	const char	*error;
} bad_allow[] = {
	{ "10.0.0.1/33", "the prefix must be a number from 0 to 32" },
	{ "::1/129", "the prefix must be a number from 0 to 128" },
	{ "10.0.0.1/8", "bits set past its prefix" },
	{ "10.0.0.0/", "prefix must be" },
	{ "10.0.0.0/-1", "prefix must be" },
	{ "10.0.0.0/08x", "prefix must be" },
	{ "10.0.0.0/0008", "prefix must be" },
	{ "localhost", "not a numeric" },
	{ "10.0.0", "not a numeric" },
	{ "10.0.0.256", "not a numeric" },
	{ "1.2.3.4 x", "\"x\": not a numeric" },
	{ "[::1]", "not a numeric" },
	{ "fe80::1%eth0", "not a numeric" },
	{ "\x01\x02\xff", "\"???\"" },
	{ "10.0.0.0/8;rm", "prefix must be" },
	{ "0123456789012345678901234567890123456789012345678901234567890123456789",
	    "too long for an address" },
};

static const struct {
	const char	*list;
	const char	*error;
} bad_listen[] = {
	{ "127.0.0.1", "expected ADDRESS:PORT" },
	{ "127.0.0.1:0", "port must be a number from 1 to 65535" },
	{ "127.0.0.1:65536", "port must be" },
	{ "127.0.0.1:123456", "port must be" },
	{ "127.0.0.1:-1", "port must be" },
	{ "127.0.0.1:", "port must be" },
	{ "127.0.0.1:80x", "port must be" },
	{ "::1:7390", "in brackets" },
	{ "[::1]", "expected [IPV6ADDRESS]:PORT" },
	{ "[::1:7390", "expected [IPV6ADDRESS]:PORT" },
	{ "[127.0.0.1]:7390", "not a numeric" },
	{ "localhost:7390", "not a numeric" },
	{ "[]:1", "not a numeric" },
	{ ":7390", "not a numeric" },
	{ "1:2:3:4", "in brackets" },
};

static void
test_lists(void)
{
	struct netaddr_listen	 l;
	struct netaddr_allow	 a;
	const char		*cause;
	char			 big[2000];
	size_t			 i;

	for (i = 0; i < sizeof matches / sizeof matches[0]; i++)
		CHECK(allowed(matches[i].list, matches[i].who) ==
		    matches[i].want, "allow \"%s\" %s %s", matches[i].list,
		    matches[i].want ? "admits" : "refuses", matches[i].who);
	for (i = 0; i < sizeof bad_allow / sizeof bad_allow[0]; i++) {
		cause = "";
		CHECK(netaddr_parse_allow(bad_allow[i].list, &a, &cause) == -1 &&
		    strstr(cause, bad_allow[i].error) != NULL,
		    "allow \"%.20s\" is refused: %s", bad_allow[i].list, cause);
	}
	for (i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
		cause = "";
		CHECK(netaddr_parse_listen(bad_listen[i].list, &l, &cause) ==
		    -1 && strstr(cause, bad_listen[i].error) != NULL,
		    "listen \"%s\" is refused: %s", bad_listen[i].list, cause);
	}
	CHECK(netaddr_parse_listen(" 127.0.0.1:7390,[::1]:7391\t0.0.0.0:1 ",
	    &l, &cause) == 0 && l.n == 3 && l.ss[1].ss_family == AF_INET6 &&
	    ntohs(((struct sockaddr_in6 *)&l.ss[1])->sin6_port) == 7391,
	    "a listen list of three, with spaces, commas and tabs");
	CHECK(netaddr_parse_listen("", &l, &cause) == 0 && l.n == 0,
	    "an empty listen list parses (systemd's sockets may be used)");
	/* As many as allowed, and one more. */
	big[0] = '\0';
	for (i = 0; i < NETADDR_LISTEN_MAX; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big),
		    "127.0.0.1:%zu ", i + 1);
	CHECK(netaddr_parse_listen(big, &l, &cause) == 0 &&
	    l.n == NETADDR_LISTEN_MAX, "%d listen addresses", NETADDR_LISTEN_MAX);
	strcat(big, "127.0.0.1:99");
	CHECK(netaddr_parse_listen(big, &l, &cause) == -1 &&
	    strstr(cause, "more than the 16") != NULL, "one more is refused: %s",
	    cause);
	big[0] = '\0';
	for (i = 0; i <= NETADDR_ALLOW_MAX; i++)
		strcat(big, "::1,");
	CHECK(netaddr_parse_allow(big, &a, &cause) == -1 &&
	    strstr(cause, "more than the 64") != NULL,
	    "%d allow blocks are refused: %s", NETADDR_ALLOW_MAX + 1, cause);
	memset(big, ',', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK(netaddr_parse_allow(big, &a, &cause) == 0 && a.n == 2 &&
	    netaddr_loopback_only(&a), "separators alone mean loopback only");
}

static void
test_loopback(void)
{
	static const struct {
		const char	*list;
		int		 want;
	} cases[] = {
		{ "", 1 }, { "127.0.0.1", 1 }, { "127.0.0.0/8", 1 }, { "::1", 1 },
		{ "::ffff:127.0.0.1", 1 }, { "126.0.0.0/7", 0 },
		{ "10.0.0.1", 0 }, { "::1, 10.0.0.1", 0 }, { "::/0", 0 },
		{ "0.0.0.0/0", 0 }, { "::2", 0 },
	};
	struct netaddr_allow	 a;
	const char		*cause;
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK(netaddr_parse_allow(cases[i].list, &a, &cause) == 0 &&
		    netaddr_loopback_only(&a) == cases[i].want,
		    "allow \"%s\" is %sloopback only", cases[i].list,
		    cases[i].want ? "" : "not ");
}

static void
test_text(void)
{
	struct sockaddr_storage	ss;
	char			buf[NETADDR_TEXT_MAX];
	socklen_t		len;

	len = peer("::ffff:10.1.2.3", &ss);
	netaddr_text((struct sockaddr *)&ss, len, buf, sizeof buf);
	CHECK(strcmp(buf, "10.1.2.3:1234") == 0, "a mapped peer reads as "
	    "IPv4: %s", buf);
	len = peer("2001:db8::1", &ss);
	netaddr_text((struct sockaddr *)&ss, len, buf, sizeof buf);
	CHECK(strcmp(buf, "[2001:db8::1]:1234") == 0, "IPv6 in brackets: %s",
	    buf);
	len = peer("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &ss);
	netaddr_host((struct sockaddr *)&ss, len, buf, NETADDR_HOST_MAX, NULL);
	CHECK(strlen(buf) == 39, "the longest address fits: %s", buf);
}

/* token FILE CONTENT MODE: write it, read it back. */
static int
token(const char *file, const char *content, mode_t mode, char *buf,
    char **cause)
{
	size_t	len;
	int	fd;

	unlink(file);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	(void)!write(fd, content, strlen(content));
	close(fd);
	chmod(file, mode);
	*cause = NULL;
	return token_read(file, buf, &len, cause);
}

static void
test_token(void)
{
	char	 dir[] = "/tmp/ipcd-test-token.XXXXXX", file[64], link[64];
	char	 buf[TOKEN_MAX + 1], big[TOKEN_MAX + 8], *cause;

	mkdtemp(dir);
	snprintf(file, sizeof file, "%s/token", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	CHECK(token(file, "s3cret\n", 0600, buf, &cause) == 0 &&
	    strcmp(buf, "s3cret") == 0, "a token and its newline");
	CHECK(token(file, "s3cret\r\n", 0640, buf, &cause) == 0 &&
	    strcmp(buf, "s3cret") == 0, "a CRLF line end; group may read");
	CHECK(token(file, "s3cret\n", 0644, buf, &cause) == -1 &&
	    strstr(cause, "chmod o-rwx") != NULL, "world-readable: %s", cause);
	free(cause);
	CHECK(token(file, "s3cret\n", 0602, buf, &cause) == -1,
	    "world-writable is refused");
	free(cause);
	CHECK(token(file, "", 0600, buf, &cause) == -1, "empty: %s", cause);
	free(cause);
	CHECK(token(file, "\n", 0600, buf, &cause) == -1, "a bare newline");
	free(cause);
	CHECK(token(file, "two words\n", 0600, buf, &cause) == -1,
	    "a space");
	free(cause);
	CHECK(token(file, "a\nb\n", 0600, buf, &cause) == -1, "two lines");
	free(cause);
	CHECK(token(file, "nul\0x", 0600, buf, &cause) == 0 &&
	    strcmp(buf, "nul") == 0, "what follows a NUL is not written");
	memset(big, 'x', sizeof big);
	big[TOKEN_MAX] = '\0';
	CHECK(token(file, big, 0600, buf, &cause) == 0 &&
	    strlen(buf) == TOKEN_MAX, "%d bytes", TOKEN_MAX);
	big[TOKEN_MAX] = 'x';
	big[TOKEN_MAX + 1] = '\0';
	CHECK(token(file, big, 0600, buf, &cause) == -1, "%d bytes: %s",
	    TOKEN_MAX + 1, cause);
	free(cause);
	symlink(file, link);
	CHECK(token_read(link, buf, &(size_t){ 0 }, &cause) == -1 &&
	    strstr(cause, "symbolic link") != NULL, "a symlink: %s", cause);
	free(cause);
	CHECK(token_read(dir, buf, &(size_t){ 0 }, &cause) == -1,
	    "a directory");
	free(cause);
	CHECK(token_equal("abc", 3, "abc", 3) && !token_equal("abd", 3, "abc",
	    3) && !token_equal("ab", 2, "abc", 3) && !token_equal("abcd", 4,
	    "abc", 3) && !token_equal("", 0, "abc", 3), "token_equal");
	unlink(link);
	unlink(file);
	rmdir(dir);
}

int
main(void)
{
	test_lists();
	test_loopback();
	test_text();
	test_token();
	return t_failed;
}
