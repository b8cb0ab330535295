/* Filesystem nodes of the socket and FIFO transports. */
#ifndef IPCD_NODE_H
#define IPCD_NODE_H

#include <sys/types.h>

int	node_prepare(const char *, mode_t, char **);
int	node_perms(int, const char *, mode_t, const char *, char **);

#endif
