/*
 * The System V key of [sysv] key.  A number is decimal or 0x hex and is
 * never 0, which is IPC_PRIVATE (a queue nobody else can find).  A path
 * goes through ftok(3), which needs it to exist and takes its inode: the
 * default, the runtime directory, exists whenever ipcd runs.
 */

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>

#include "sysvkey.h"
#include "util.h"

/* A number: 0 and *k, or -1. */
static int
parse_number(const char *v, key_t *k)
{
	unsigned long long	 n;
	char			*end;
	int			 base = 10;

	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
	}
	/* No sign, no space: strtoull would take them. */
	if (base == 16 ? !isxdigit((unsigned char)*v) :
	    !isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, base);
	if (*end != '\0' || errno != 0 || n == 0 || n > 0xffffffffULL)
		return -1;
	*k = (key_t)(unsigned int)n;
	return 0;
}

/* The check of [sysv] key when the configuration is read. */
int
sysvkey_check(const char *v, const char **cause)
{
	key_t	k;

	if (*v == '\0' || *v == '/' || parse_number(v, &k) == 0)
		return 0;
	*cause = "expected a number from 1 to 0xffffffff (decimal or 0x "
	    "hex), an absolute path for ftok, or nothing for the runtime "
	    "directory";
	return -1;
}

/* The key for [sysv] key V, given the [unix] path SOCK. */
int
sysvkey_resolve(const char *v, const char *sock, key_t *k, char **cause)
{
	char		dir[PATH_MAX];
	const char	*path = v;

	if (*v != '\0' && *v != '/') {
		if (parse_number(v, k) == 0)
			return 0;
		*cause = fmtstr("[sysv] key %s is not a key", v);
		return -1;
	}
	if (*v == '\0') {
		snprintf(dir, sizeof dir, "%s", sock);
		path = dirname(dir);
	}
	if ((*k = ftok(path, SYSVKEY_PROJ)) == -1) {
		*cause = fmtstr("ftok %s: %s (the path of [sysv] key, or the "
		    "runtime directory if it is empty, must exist)", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}
