/*
 * Reading ipcd's replies, and printing what came from outside (replies,
 * input) without ever echoing a control character or raw binary to the
 * terminal.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcctl.h"

#define VIS_MAX		400	/* characters of one escaped string */
#define VIS_BUFS	4	/* strings escaped for one message */

/*
 * S[0..LEN) with every byte outside printable ASCII written as \xHH (or
 * \t, \n, \r) and a backslash doubled, cut to VIS_MAX characters with
 * "...".  The result lives until VIS_BUFS more calls.
 */
const char *
vis(const char *s, size_t len)
{
	static char	 bufs[VIS_BUFS][VIS_MAX + 8];
	static int	 next;
	char		*b = bufs[next++ % VIS_BUFS], *p = b;
	unsigned char	 ch;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if (p - b > VIS_MAX) {
			strcpy(p, "...");
			return b;
		}
		ch = (unsigned char)s[i];
		if (ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r') {
			*p++ = '\\';
			*p++ = ch == '\\' ? '\\' : ch == '\t' ? 't' :
			    ch == '\n' ? 'n' : 'r';
		} else if (ch < 0x20 || ch >= 0x7f)
			p += sprintf(p, "\\x%02x", ch);
		else
			*p++ = (char)ch;
	}
	*p = '\0';
	return b;
}

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

/* Report an "err CODE MESSAGE" reply and give the matching exit status. */
int
reply_exit(const char *what, const char *line)
{
	size_t	clen;

	if (strncmp(line, "err ", 4) != 0) {
		fprintf(stderr, "ipcctl: %s: unexpected reply \"%s\"\n", what,
		    vis(line, strlen(line)));
		return EXIT_FAIL;
	}
	line += 4;
	clen = strcspn(line, " ");
	fprintf(stderr, "ipcctl: %s: %s\n", what, vis(line + clen +
	    (line[clen] == ' '), strlen(line + clen + (line[clen] == ' '))));
	if (clen == strlen(ERR_TIMEOUT) && strncmp(line, ERR_TIMEOUT, clen) == 0)
		return EXIT_TIMEOUT;
	if (clen == strlen(ERR_USAGE) && strncmp(line, ERR_USAGE, clen) == 0)
		return EXIT_USAGE;
	if (clen == strlen(ERR_VERSION) && strncmp(line, ERR_VERSION, clen) == 0)
		return EXIT_CONNECT;
	return EXIT_REJECTED;
}

/* One JSON value as ipcd wrote it (numbers bare, strings quoted), with
 * any control byte escaped so that the output stays JSON and harmless. */
static void
json_value(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			printf("\\u%04x", (unsigned char)p[i]);
		else if (p[i] == '\\')
			printf("\\\\");
		else
			putchar(p[i]);
	}
}

/*
 * NAME=VALUE fields (of a reply, after its status word) as one JSON
 * object: values are already JSON (proto.h).  A total beyond the double
 * range, in either form ipcd has written it, is "total":null with
 * "overflow":true.
 */
void
reply_print_json(const char *p)
{
	const char	*eq, *end;
	int		 first = 1, over = reply_overflow(p), said = 0;

	putchar('{');
	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		if ((eq = strchr(p, '=')) == NULL)
			break;
		end = strchr(eq, ' ');
		if (end == NULL)
			end = eq + strlen(eq);
		printf("%s\"", first ? "" : ",");
		json_value(p, (size_t)(eq - p));
		printf("\":");
		if (over && eq - p == 5 && strncmp(p, "total", 5) == 0)
			printf("null");
		else if (over && eq - p == 8 && strncmp(p, "overflow", 8) == 0) {
			printf("true");
			said = 1;
		} else
			json_value(eq + 1, (size_t)(end - eq - 1));
		first = 0;
		p = end;
	}
	if (over && !said)
		printf("%s\"overflow\":true", first ? "" : ",");
	printf("}");
}
