/* Unit tests of the configuration loader: good files and every kind of
 * error, each of which must name the file, the line and the key. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	{ "[limits]\nexpire_after = 7 days\n", "2: [limits] expire_after: expected a duration" },
	{ "[limits]\nexpire_after = 36501d\n", "2: [limits] expire_after: longer than a century" },
	{ "[tcp]\nlisten = 127.0.0.1\n", "2: [tcp] listen: \"127.0.0.1\": expected ADDRESS:PORT" },
	{ "[tcp]\nlisten = [::1]:7390 ::1:7390\n", "2: [tcp] listen: \"::1:7390\": an IPv6 address goes in brackets" },
	{ "[tcp]\nallow = 10.0.0.1/8\n", "2: [tcp] allow: \"10.0.0.1/8\": the address has bits set past its prefix" },
	{ "[tcp]\nallow = example.org\n", "2: [tcp] allow: \"example.org\": not a numeric" },
};

/* refused FILE WORDS: conf_load(FILE) fails with FILE and WORDS in the
 * error, and leaves the struct alone. */
static void
refused(const char *file, const char *words, const char *what)
{
	struct conf	 c;
	char		*cause = NULL;

	memset(&c, 0x5a, sizeof c);
	CHECK(conf_load(file, &c, &cause) == -1 && cause != NULL &&
	    strstr(cause, file) != NULL && strstr(cause, words) != NULL &&
	    ((unsigned char *)&c)[0] == 0x5a, "%s is refused (%s)", what,
	    cause != NULL ? cause : "no error");
	free(cause);
}

/* Only a regular file of at most CONF_SIZE_MAX bytes is read: /dev/zero
 * or a FIFO would be read for ever (a FIFO with no writer must not even
 * block the open). */
static void
not_a_file(const char *file)
{
	struct conf	 c;
	char		 fifo[PATH_MAX], dir[PATH_MAX], *cause;
	FILE		*f;

	refused("/dev/zero", "is a character device, not a regular file",
	    "/dev/zero");
	CHECK(conf_load("/dev/null", &c, &cause) == 0,
	    "/dev/null reads as an empty file");
	snprintf(fifo, sizeof fifo, "%s.fifo", file);
	if (mkfifo(fifo, 0600) == 0) {
		refused(fifo, "is a FIFO, not a regular file", "a FIFO");
		unlink(fifo);
	}
	snprintf(dir, sizeof dir, "%s.dir", file);
	if (mkdir(dir, 0700) == 0) {
		refused(dir, "is a directory, not a regular file", "a directory");
		rmdir(dir);
	}
	if ((f = fopen(file, "w")) != NULL) {
		fputs("[unix]\n", f);
		fseek(f, CONF_SIZE_MAX, SEEK_SET);
		fputs("\n", f);
		fclose(f);
		refused(file, "larger than the 1048576 a configuration may be",
		    "a file of 1 MiB and 1 byte");
	}
}

/* A socket address holds CONF_SOCKPATH_MAX bytes of path. */
static void
long_socket_path(void)
{
	struct conf	 c;
	char		 text[256], *cause = NULL;
	int		 n;

	n = snprintf(text, sizeof text, "[unix]\npath = /%0*d\n",
	    (int)CONF_SOCKPATH_MAX - 1, 0);
	CHECK(n > 0 && load(text, &c, &cause) == 0 &&
	    strlen(c.unix_.path) == CONF_SOCKPATH_MAX,
	    "a [unix] path of 107 bytes is accepted");
	free(cause);
	snprintf(text, sizeof text, "[unix]\npath = /%0*d\n",
	    (int)CONF_SOCKPATH_MAX, 0);
	CHECK(load(text, &c, &cause) == -1 && strstr(cause, "[unix] path: /00")
	    != NULL && strstr(cause, "is 108 bytes, longer than the 107 a "
	    "socket address holds") != NULL,
	    "a [unix] path of 108 bytes is refused (%s)", cause ? cause : "");
	free(cause);
}

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
	    "[limits]\nmax_keys = 7\nexpire_after = 15m\n", &c, &cause) == 0 &&
	    c.limits.expire_after == 900 &&
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
	free(cause);

	/* Errors after the first line still stop the load. */
	CHECK(load("[unix]\nenabled = no\n[fifo]\nbogus = 1\n", &c, &cause) == -1 &&
	    strstr(cause, ":4: [fifo] bogus") != NULL, "the first error is reported");
	free(cause);

	CHECK(conf_load("/nonexistent/ipcd.conf", &c, &cause) == -1 &&
	    strstr(cause, "No such file") != NULL, "a missing file is an error");
	free(cause);
	not_a_file(path);
	long_socket_path();
	unlink(path);
	return t_failed;
}
