/* Shared by the state rooms (state.c, state_file.c); the rest of ipcd
 * sees only the state_* functions of daemon.h. */
#ifndef IPCD_STATE_H
#define IPCD_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* state_file.c */
int	 sf_open_dir(const char *, char **);
int	 sf_open(int, const char *, const char *, int, char **);
char	*sf_read(int, const char *, size_t *, char **);
uint64_t sf_size(int, const char *);
void	 sf_explain(char **, const char *, const char *, const char *, int,
	    const char *);
int	 sf_snapshot(int, const char *, const char *, const char *,
	    struct store *, uint64_t, char **);

#endif
