/*
 * The token gate of the tcp transport: with [tcp] token_file set, the
 * first request of a connection must be "auth TOKEN"; anything else is
 * answered with an error and the connection closed.  After it, requests
 * go to the control plane.  Nothing here listens or reads a socket.
 */
#ifndef IPCD_TCP_AUTH_H
#define IPCD_TCP_AUTH_H

#include "daemon.h"
#include "stream.h"

/* Read the token of C's [tcp] token_file (or forget it, if none is set);
 * on failure the token in force stays. */
int	tcp_auth_open(const struct conf *, char **);
void	tcp_auth_close(void);
/* The handler a new connection starts with. */
const struct stream_handler *tcp_auth_handler(void);

#endif
