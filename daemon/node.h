/* Filesystem nodes of the socket and FIFO transports, and the claim that
 * keeps two ipcds off one IPC object. */
#ifndef IPCD_NODE_H
#define IPCD_NODE_H

#include <sys/types.h>

int	node_prepare(const char *, mode_t, char **);
int	node_perms(int, const char *, mode_t, const char *, char **);
int	node_claim(int, const char *, char **);

#endif
