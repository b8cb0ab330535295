/* The client side of the socket: connect, send a request, read replies. */

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipcctl.h"
#include "rundir.h"

int
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	char			*cause;

	if (rundir_check(path, RUNDIR_CLIENT, &cause) != 0)
		errx(EXIT_CONNECT, "%s", cause);
	memset(c, 0, sizeof *c);
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		int saved = errno;

		close(c->fd);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Connect to the configured socket or exit with EXIT_CONNECT. */
int
connect_or_die(struct conn *c)
{
	if (conn_open(c, cfg.unix_.path) == 0)
		return 0;
	fprintf(stderr, "ipcctl: cannot connect to %s: %s%s\n", cfg.unix_.path,
	    strerror(errno), errno == ENOENT || errno == ECONNREFUSED ?
	    " (is ipcd running?)" : "");
	exit(EXIT_CONNECT);
}

int
conn_write(struct conn *c, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(c->fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The next reply line, NUL-terminated in place: 1, or 0 at end of file,
 * -1 on error. */
int
conn_readline(struct conn *c, char **line)
{
	char	*nl;
	ssize_t	 n;

	for (;;) {
		nl = memchr(c->buf + c->start, '\n', c->len - c->start);
		if (nl != NULL) {
			*nl = '\0';
			*line = c->buf + c->start;
			c->start = (size_t)(nl - c->buf) + 1;
			return 1;
		}
		if (c->start > 0) {
			memmove(c->buf, c->buf + c->start, c->len - c->start);
			c->len -= c->start;
			c->start = 0;
		}
		if (c->len == sizeof c->buf) {
			errno = EMSGSIZE;
			return -1;
		}
		n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		c->len += (size_t)n;
	}
}

/* Send one request and read its reply; exits if the daemon goes away. */
int
conn_request(struct conn *c, char **reply, const char *fmt, ...)
{
	char	 buf[IPCD_LINE_MAX + 2];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf - 2) {
		fprintf(stderr, "ipcctl: request too long\n");
		exit(EXIT_USAGE);
	}
	buf[n++] = '\n';
	/* A failed write may still leave ipcd's reason to read (it refuses
	 * a client beyond max_clients, then closes). */
	(void)conn_write(c, buf, (size_t)n);
	if (conn_readline(c, reply) != 1) {
		fprintf(stderr, "ipcctl: lost the connection to ipcd\n");
		exit(EXIT_CONNECT);
	}
	return reply_status(*reply);
}

void
conn_close(struct conn *c)
{
	close(c->fd);
}

/* 0 for "ok", 1 for "duplicate", -1 for "err" or anything else. */
int
reply_status(const char *line)
{
	if (strncmp(line, "ok", 2) == 0 && (line[2] == '\0' || line[2] == ' '))
		return 0;
	if (strncmp(line, "duplicate", 9) == 0)
		return 1;
	return -1;
}

/* The value of NAME=VALUE in a reply, quotes removed. */
int
reply_field(const char *line, const char *name, char *buf, size_t size)
{
	size_t		 nlen = strlen(name), len;
	const char	*p, *end;

	for (p = line; (p = strstr(p, name)) != NULL; p += nlen) {
		if ((p != line && p[-1] != ' ') || p[nlen] != '=')
			continue;
		p += nlen + 1;
		if (*p == '"')
			p++;
		end = p + strcspn(p, "\" ");
		len = (size_t)(end - p);
		if (len >= size)
			return -1;
		memcpy(buf, p, len);
		buf[len] = '\0';
		return 0;
	}
	return -1;
}

/* Report an "err CODE MESSAGE" reply and give the matching exit status. */
int
reply_exit(const char *what, const char *line)
{
	char	code[32] = "";

	if (strncmp(line, "err ", 4) != 0) {
		fprintf(stderr, "ipcctl: %s: unexpected reply \"%s\"\n", what,
		    line);
		return EXIT_FAIL;
	}
	sscanf(line + 4, "%31s", code);
	fprintf(stderr, "ipcctl: %s: %s\n", what, line + 4 + strlen(code) +
	    (line[4 + strlen(code)] == ' '));
	if (strcmp(code, ERR_TIMEOUT) == 0)
		return EXIT_TIMEOUT;
	if (strcmp(code, ERR_USAGE) == 0)
		return EXIT_USAGE;
	return EXIT_REJECTED;
}

/* NAME=VALUE fields (of a reply, after its status word) as one JSON
 * object: values are already JSON (numbers bare, strings quoted; proto.h). */
void
reply_print_json(const char *p)
{
	const char	*eq, *end;
	int		 first = 1;

	putchar('{');
	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		if ((eq = strchr(p, '=')) == NULL)
			break;
		end = strchr(eq, ' ');
		if (end == NULL)
			end = eq + strlen(eq);
		printf("%s\"%.*s\":%.*s", first ? "" : ",", (int)(eq - p), p,
		    (int)(end - eq - 1), eq + 1);
		first = 0;
		p = end;
	}
	printf("}\n");
}
