/*
 * libFuzzer target: the configuration loader, conf_load().
 *
 * conf_load() reads a file by name, so each input is written to one
 * temporary file in /dev/shm (memory, not disk), made once with mkstemp
 * and removed at exit.  A load that succeeds must give a configuration
 * the daemon can use as is: absolute paths, modes within 0777, IPC names
 * with a leading slash, numbers within their documented ranges.
 */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "netaddr.h"
#include "fuzz.h"
#include "sysvkey.h"

int	LLVMFuzzerInitialize(int *, char ***);

static char	path[64];
static int	fd = -1;

static void
remove_tmp(void)
{
	if (fd != -1)
		unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(path, sizeof path, "%s/fuzz_conf.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1) {
		perror("fuzz_conf: mkstemp");
		exit(1);
	}
	atexit(remove_tmp);
	return 0;
}

static void
check_path(const char *p)
{
	size_t	len = strnlen(p, PATH_MAX);

	CHECK(len > 0 && len < PATH_MAX);
	CHECK(p[0] == '/');
}

static void
check_name(const char *n)
{
	size_t	len = strnlen(n, CONF_NAME_MAX + 1);

	CHECK(len >= 2 && len <= CONF_NAME_MAX);
	CHECK(n[0] == '/' && strchr(n + 1, '/') == NULL);
}

/* [sysv]: a key that loaded resolves, unless it is a path (ftok needs
 * the file) or empty (the runtime directory). */
static void
check_sysv(const struct conf *c)
{
	const char	*why;
	char		*cause = NULL;
	key_t		 k;

	CHECK(c->sysv.enabled == 0 || c->sysv.enabled == 1);
	CHECK(c->sysv.mode <= 0777);
	CHECK(strnlen(c->sysv.key, PATH_MAX) < PATH_MAX);
	CHECK(sysvkey_check(c->sysv.key, &why) == 0);
	if (c->sysv.key[0] != '\0' && c->sysv.key[0] != '/') {
		CHECK(sysvkey_resolve(c->sysv.key, "/", &k, &cause) == 0);
		CHECK(k != 0);
	}
	free(cause);
}

static void
check_conf(const struct conf *c)
{
	struct netaddr_listen	 l;
	struct netaddr_allow	 a;
	const char		*why;

	CHECK(strcmp(c->file, path) == 0);
	check_path(c->unix_.path);
	check_path(c->fifo.path);
	check_path(c->state.file);
	check_name(c->mq.name);
	check_name(c->shm.name);
	CHECK(c->unix_.mode <= 0777 && c->fifo.mode <= 0777 &&
	    c->mq.mode <= 0777 && c->shm.mode <= 0777);
	CHECK(strnlen(c->unix_.group, CONF_NAME_MAX + 1) <= CONF_NAME_MAX);
	CHECK(strnlen(c->fifo.group, CONF_NAME_MAX + 1) <= CONF_NAME_MAX);
	CHECK(c->unix_.enabled == 0 || c->unix_.enabled == 1);
	CHECK(c->fifo.enabled == 0 || c->fifo.enabled == 1);
	CHECK(c->mq.enabled == 0 || c->mq.enabled == 1);
	CHECK(c->shm.enabled == 0 || c->shm.enabled == 1);
	CHECK(c->unix_.admin == ADMIN_OWNER || c->unix_.admin == ADMIN_ANYONE);
	CHECK(c->state.sync >= SYNC_NEVER && c->state.sync <= SYNC_ALWAYS);
	CHECK(c->mq.max_messages >= 1 && c->mq.max_messages <= 65536);
	CHECK(c->mq.message_size >= 128 && c->mq.message_size <= 1048576);
	CHECK(c->state.compact_bytes >= 4096 &&
	    c->state.compact_bytes <= 1L << 40);
	CHECK(c->limits.max_clients >= 1 && c->limits.max_clients <= 1000000);
	CHECK(c->limits.max_keys >= 1 && c->limits.max_keys <= 100000000);
	CHECK(c->limits.max_record_bytes >= 16 &&
	    c->limits.max_record_bytes <= 4096);
	CHECK(c->limits.idle_timeout >= 0 && c->limits.idle_timeout <= 86400);
	/* The [tcp] lists as ipcd and ipcctl will parse them again. */
	CHECK(netaddr_parse_listen(c->tcp.listen, &l, &why) == 0 &&
	    l.n <= NETADDR_LISTEN_MAX);
	CHECK(netaddr_parse_allow(c->tcp.allow, &a, &why) == 0 && a.n >= 1 &&
	    a.n <= NETADDR_ALLOW_MAX);
	check_sysv(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	char		*cause = NULL;
	size_t		 off = 0;
	ssize_t		 n;

	if (ftruncate(fd, 0) != 0)
		abort();
	while (off < size) {
		if ((n = pwrite(fd, data + off, size - off, (off_t)off)) <= 0)
			abort();
		off += (size_t)n;
	}
	memset(&c, 0xa5, sizeof c);
	if (conf_load(path, &c, &cause) == 0) {
		CHECK(cause == NULL);
		check_conf(&c);
	} else {
		/* The error names the file. */
		CHECK(cause != NULL && strncmp(cause, path, strlen(path)) == 0);
		free(cause);
	}
	return 0;
}
