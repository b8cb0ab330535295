/* The control plane: the requests of the socket protocol (ctl.c). */
#ifndef IPCD_CTL_H
#define IPCD_CTL_H

#include "daemon.h"
#include "stream.h"

/* What a stream transport hands its connections' request lines to. */
extern const struct stream_handler ctl_handler;

/* K has all its parts: answer those who wait for it. */
void	ctl_key_completed(const struct key *);
/* K is removed (expired): answer those who wait for it, saying WHY. */
void	ctl_key_removed(const struct key *, const char *);

#endif
