/* Expiry of idle keys (expire.c). */
#ifndef IPCD_EXPIRE_H
#define IPCD_EXPIRE_H

#include "daemon.h"

struct expire_job;

void	expire_start(void);
void	expire_stop(void);
/* Remove every key idle longer than IDLE seconds, for peer P of TR, a
 * step at a time; DONE(number removed, ARG) when it is over. */
struct expire_job *expire_job_start(long, enum tr_id, const struct peer *,
	    void (*)(size_t, void *), void *);
/* Forget a job whose peer went away (DONE is not called). */
void	expire_job_cancel(struct expire_job *);

#endif
