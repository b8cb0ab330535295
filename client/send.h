/*
 * Submitting records over a chosen transport: one small interface, one
 * file per transport (tx_*.c).  Each sender takes where ipcd is and how
 * long to wait for it from the target given to open; none prints or
 * exits: a failure is -1, its cause kept in the tally.
 */
#ifndef IPCD_SEND_H
#define IPCD_SEND_H

#include "ipcctl.h"

struct sender {
	const char	*name;
	void		*(*open)(const struct target *, char **);
	int		(*put)(void *, const struct record *, struct tally *);
	/* Send what put buffered, now: the input has gone quiet. */
	int		(*flush)(void *, struct tally *);
	int		(*close)(void *, struct tally *);
};

/* Keep the first cause of failure (the one the user needs); -1. */
int	tally_fail(struct tally *, char *);

extern const struct sender tx_unix, tx_fifo, tx_mq, tx_shm, tx_tcp,
    tx_sysv, tx_spool;

/* tx_unix.c: the pipelined stream sender, over a connection that the
 * given function makes (conn_open, or TCP's). */
void	*tx_stream_open(const struct target *, int (*)(struct conn *,
	    const struct target *, char **), char **);
int	 tx_stream_put(void *, const struct record *, struct tally *);
int	 tx_stream_flush(void *, struct tally *);
int	 tx_stream_close(void *, struct tally *);

#endif
