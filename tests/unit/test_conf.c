/* Unit tests of the configuration loader: good files and every kind of
 * error, each of which must name the file, the line and the key. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "t.h"

static char	path[] = "/tmp/ipcd-test-conf.XXXXXX";

static int
load(const char *text, struct conf *c, char **cause)
{
	FILE	*f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return conf_load(path, c, cause);
}

static const struct {
	const char	*text;
	const char	*error;		/* after "FILE:" */
} bad[] = {
	{ "[unix]\nenabled = maybe\n", "2: [unix] enabled: expected yes or no" },
	{ "[unix]\npath = relative.sock\n", "2: [unix] path: expected an absolute path" },
	{ "[fifo]\nmode = 0800\n", "2: [fifo] mode: expected an octal mode" },
	{ "[fifo]\nmode = rw\n", "2: [fifo] mode: expected an octal mode" },
	{ "[fifo]\ngroup = no-such-group-here\n", "2: [fifo] group: no such group" },
	{ "[mq]\nname = ipcd\n", "2: [mq] name: expected a name like /ipcd" },
	{ "[mq]\nname = /a/b\n", "2: [mq] name: expected a name like /ipcd" },
	{ "[mq]\nmax_messages = 0\n", "2: [mq] max_messages: expected a whole number from 1 to 65536" },
	{ "[mq]\nmessage_size = 12k\n", "2: [mq] message_size: expected a whole number" },
	{ "# c\n\n[shm]\nname = /x\nsize = 4\n", "5: [shm] size: unknown key" },
	{ "[nosuch]\nkey = 1\n", "2: [nosuch] key: unknown key" },
	{ "enabled = yes\n", "1: [] enabled: key outside any section" },
	{ "[unix]\nthis line has no equals sign\n", "2: syntax error" },
	{ "[unix\n", "1: syntax error" },
	{ "[limits]\nmax_clients = 99999999999999999999\n", "2: [limits] max_clients: expected a whole number" },
};

int
main(void)
{
	struct conf	 c, d;
	char		*cause, want[512], longline[400];
	size_t		 i;
	int		 fd;

	if ((fd = mkstemp(path)) == -1)
		return 1;
	close(fd);

	CHECK(conf_load(NULL, &c, &cause) == 0 && c.unix_.enabled &&
	    c.fifo.enabled && c.mq.enabled && c.shm.enabled && c.file[0] == '\0',
	    "embedded defaults load, every transport enabled");
	if (getuid() == 0)
		CHECK(strcmp(c.unix_.path, "/run/ipcd/ipcd.sock") == 0 &&
		    strcmp(c.mq.name, "/ipcd") == 0, "root defaults");
	else
		CHECK(strstr(c.unix_.path, "ipcd") != NULL &&
		    strncmp(c.mq.name, "/ipcd-", 6) == 0, "per-user defaults");

	CHECK(load("; comment\n[unix]\nenabled = no\npath = /x/y.sock\n"
	    "mode = 0600\n[mq]\nname = /q\nmax_messages = 5\n"
	    "[limits]\nmax_keys = 7\n", &c, &cause) == 0 &&
	    !c.unix_.enabled && strcmp(c.unix_.path, "/x/y.sock") == 0 &&
	    c.unix_.mode == 0600 && strcmp(c.mq.name, "/q") == 0 &&
	    c.mq.max_messages == 5 && c.limits.max_keys == 7 && c.fifo.enabled &&
	    strcmp(c.file, path) == 0, "a good file overrides the defaults");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&d, 0x5a, sizeof d);
		snprintf(want, sizeof want, "%s:%s", path, bad[i].error);
		cause = NULL;
		CHECK(load(bad[i].text, &d, &cause) == -1 && cause != NULL &&
		    strncmp(cause, want, strlen(want)) == 0 &&
		    ((unsigned char *)&d)[0] == 0x5a,
		    "error \"%s\" (got \"%s\")", bad[i].error, cause ? cause : "");
		free(cause);
	}

	/* inih truncates long lines silently; the loader must not. */
	memset(longline, 'a', sizeof longline);
	memcpy(longline, "[unix]\npath = /", 15);
	strcpy(longline + sizeof longline - 2, "\n");
	CHECK(load(longline, &c, &cause) == -1 && strstr(cause, ":2: line too long"),
	    "a 390-byte line is an error, not a truncated path");

	/* Errors after the first line still stop the load. */
	CHECK(load("[unix]\nenabled = no\n[fifo]\nbogus = 1\n", &c, &cause) == -1 &&
	    strstr(cause, ":4: [fifo] bogus") != NULL, "the first error is reported");

	CHECK(conf_load("/nonexistent/ipcd.conf", &c, &cause) == -1 &&
	    strstr(cause, "No such file") != NULL, "a missing file is an error");
	unlink(path);
	return t_failed;
}
