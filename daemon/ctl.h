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

/* Between the rooms of the requests, ctl.c and ctl_keys.c. */
#define FIELDS_MAX	512	/* one key's fields as text */
void	ctl_refuse(struct conn *, const char *, const char *, const char *,
	    ...) __attribute__((format(printf, 4, 5)));
void	ctl_key_fields(const struct key *, int64_t, char *, size_t);
void	ctl_keys(struct conn *, char *);

#endif
