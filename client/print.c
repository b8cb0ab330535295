/*
 * What ipcctl prints of ipcd's answers: errors as messages on standard
 * error, replies as JSON.  The library (lib.c) never prints; this is the
 * client program's side of the same replies.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcd.h"
#include "ipcctl.h"
#include "send.h"
#include "xmalloc.h"

/* Report an "err CODE MESSAGE" reply and give the matching exit status. */
int
reply_exit(const char *what, const char *line)
{
	const char	*msg;
	int		 r = reply_code(line, &msg);

	if (r == EXIT_FAIL)
		fprintf(stderr, "ipcctl: %s: unexpected reply \"%s\"\n", what,
		    vis(line, strlen(line)));
	else
		fprintf(stderr, "ipcctl: %s: %s\n", what, vis(msg, strlen(msg)));
	return r;
}

/* A library call on C failed with status ST: say why; the exit status
 * (the statuses are ipcctl's negated). */
int
lib_exit(const struct ipcd *c, int st)
{
	fprintf(stderr, "ipcctl: %s\n", ipcd_error(c));
	return st < 0 ? -st : EXIT_FAIL;
}

/* --via=T: 0, or -1 after telling the user what T may be. */
int
via_parse(const char *name, const struct sender **s)
{
	char	*list;

	if ((*s = sender_find(name)) != NULL)
		return 0;
	list = sender_list();
	fprintf(stderr, "ipcctl: unknown transport \"%s\" (expected %s)\n",
	    name, list);
	free(list);
	return -1;
}

/* A duplicate or a rejection that ipcd answered to a submission. */
void
answer_print(void *arg, int status, const char *msg)
{
	fprintf(stderr, "ipcctl: %s\n", msg);
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
