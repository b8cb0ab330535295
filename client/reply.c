/*
 * Reading ipcd's replies (what came from outside is escaped with vis(),
 * util.c).  Nothing here prints (print.c does, for ipcctl).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcctl.h"

/* 0 for "ok", 1 for "duplicate", -1 for "err" or anything else. */
int
reply_status(const char *line)
{
	if (strncmp(line, "ok", 2) == 0 && (line[2] == '\0' || line[2] == ' '))
		return 0;
	if (strncmp(line, "duplicate", 9) == 0 &&
	    (line[9] == '\0' || line[9] == ' '))
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

/*
 * Whether the total of a key's fields is beyond the double range: today's
 * total="inf" or "-inf", or total=null overflow=true.
 */
int
reply_overflow(const char *line)
{
	char	v[16];

	if (reply_field(line, "overflow", v, sizeof v) == 0 &&
	    strcmp(v, "true") == 0)
		return 1;
	if (reply_field(line, "total", v, sizeof v) != 0)
		return 0;
	return strcmp(v, "null") == 0 || strcmp(v, "inf") == 0 ||
	    strcmp(v, "-inf") == 0;
}

/*
 * The exit status of an "err CODE MESSAGE" reply (EXIT_FAIL for anything
 * else), and in *MSG its MESSAGE (the whole line if it is not an "err").
 */
int
reply_code(const char *line, const char **msg)
{
	size_t	clen;

	*msg = line;
	if (strncmp(line, "err ", 4) != 0)
		return EXIT_FAIL;
	line += 4;
	clen = strcspn(line, " ");
	*msg = line + clen + (line[clen] == ' ');
	if (clen == strlen(ERR_TIMEOUT) && strncmp(line, ERR_TIMEOUT, clen) == 0)
		return EXIT_TIMEOUT;
	if (clen == strlen(ERR_USAGE) && strncmp(line, ERR_USAGE, clen) == 0)
		return EXIT_USAGE;
	if (clen == strlen(ERR_VERSION) && strncmp(line, ERR_VERSION, clen) == 0)
		return EXIT_CONNECT;
	return EXIT_REJECTED;
}
