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
	/* The record, and the record line (newline included) that ipcd's
	 * parser reads as the same record: what a text transport sends as
	 * it is, unless it is longer than the transport takes (tx_line). */
	int		(*put)(void *, const struct record *, const char *,
			    size_t, struct tally *);
	/* Send what put buffered, now: the input has gone quiet. */
	int		(*flush)(void *, struct tally *);
	int		(*close)(void *, struct tally *);
	int		 binary;	/* put reads the record alone (shm) */
};

/* The line to send of at most MAX bytes: LINE as given when it fits,
 * else the record formatted into BUF (of IPCD_LINE_MAX bytes); -1 when
 * that does not fit either. */
int	tx_line(const struct record *, const char **, size_t *, size_t,
	    char *);

/* Keep the first cause of failure (the one the user needs); -1. */
int	tally_fail(struct tally *, char *);

extern const struct sender tx_unix, tx_fifo, tx_mq, tx_shm, tx_tcp,
    tx_sysv, tx_spool;

/* tx_unix.c: the pipelined stream sender, over a connection that the
 * given function makes (conn_open, or TCP's). */
void	*tx_stream_open(const struct target *, int (*)(struct conn *,
	    const struct target *, char **), char **);
int	 tx_stream_put(void *, const struct record *, const char *, size_t,
	    struct tally *);
int	 tx_stream_flush(void *, struct tally *);
int	 tx_stream_close(void *, struct tally *);

#endif
