/*
 * The key of ipcd's System V message queue, from [sysv] key: a number, an
 * absolute path for ftok(3), or "" for the runtime directory (the one of
 * the [unix] path).  ipcd and ipcctl both resolve it here, so that they
 * always agree on it.
 */
#ifndef IPCD_SYSVKEY_H
#define IPCD_SYSVKEY_H

#include <sys/types.h>

#define SYSVKEY_PROJ	'i'	/* ftok's project id */

int	sysvkey_check(const char *, const char **);
int	sysvkey_resolve(const char *, const char *, key_t *, char **);

#endif
