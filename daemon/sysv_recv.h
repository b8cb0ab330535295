/*
 * The receiving side of the System V message queue: a helper thread
 * blocked in msgrcv(2) and the bounded hand-off through which the loop
 * takes its messages (tr_sysv.c says why and how).
 */
#ifndef IPCD_SYSV_RECV_H
#define IPCD_SYSV_RECV_H

#include <stddef.h>

#include "proto.h"

/* Messages taken from the queue that the loop has not yet taken: while
 * that many wait, the thread waits, and the rest stay in the kernel. */
#define SYSV_HANDOFF	128
/* One byte more than the longest record limits.max_record_bytes allows:
 * a longer message comes out cut to this (MSG_NOERROR) and is rejected as
 * too long, never left at the head of the queue. */
#define SYSV_MSG_MAX	(IPCD_LINE_MAX + 1)
/* The type of records; anything else is rejected. */
#define SYSV_MTYPE	1
/* The type of the empty message ipcd sends itself to wake the thread at
 * a stop ("ipcd"); received at any other time it is rejected like any
 * type but SYSV_MTYPE. */
#define SYSV_WAKE	0x69706364L

struct sysv_msg {
	long	mtype;
	char	mtext[SYSV_MSG_MAX];
};

int	recv_start(int, int, char **);
void	recv_stop(void);
int	recv_failed(void);
int	recv_peek(const struct sysv_msg **, size_t *);
void	recv_done(void);
void	recv_free(void);

#endif
