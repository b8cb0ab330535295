/*
 * The stream layer: connections of the stream transports (the Unix socket
 * and TCP).  It reads request lines, hands each to its handler,
 * holds the replies until the commit that makes what they answer durable,
 * and bounds what a client can make ipcd hold.  It knows nothing of the
 * requests themselves (ctl.c) or of listening (tr_unix.c).
 */
#ifndef IPCD_STREAM_H
#define IPCD_STREAM_H

#include <stddef.h>

#include "daemon.h"

struct conn;

struct stream_handler {
	/* One request line, newline removed, NUL-free, at most
	 * IPCD_LINE_MAX bytes. */
	void	(*request)(struct conn *, char *, size_t);
	/* The connection is about to be freed: forget it. */
	void	(*closed)(struct conn *);
};

/* Take a connected, non-blocking descriptor whose peer stream_admit()
 * let in. */
void		 stream_new(int, enum tr_id, const struct peer *,
		    const struct stream_handler *);
/* May a new connection from PEER be taken?  NULL, or why not (for
 * stream_refuse). */
const char	*stream_admit(const struct peer *);
/* Write MSG to a descriptor that was not admitted, and close it. */
void		 stream_refuse(int, const char *);
/* Free every connection of transport TR (at ipcd's stop). */
void		 stream_close_all(enum tr_id);
/* Connections open now, on TR. */
long		 stream_count(enum tr_id);
/* The end of a loop pass: release what the commit made durable. */
void		 stream_committed(void);

/* What a handler may do with its connection. */
void		 conn_reply(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 conn_write(struct conn *, const void *, size_t);
/* Stop taking requests (a wait) until conn_resume; a parked client that
 * hangs up is noticed and freed all the same. */
void		 conn_park(struct conn *);
/* Take no more requests; let C go once its replies are out. */
void		 conn_shut(struct conn *);
/* Hand C's next requests to H (after a gate such as TCP's token). */
void		 conn_set_handler(struct conn *, const struct stream_handler *);
/* Continue with the next requests, from the loop. */
void		 conn_resume(struct conn *);
const struct peer *conn_peer(const struct conn *);
enum tr_id	 conn_transport(const struct conn *);
void		*conn_data(const struct conn *);
void		 conn_set_data(struct conn *, void *);

#endif
