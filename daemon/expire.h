/* Expiry of idle keys (expire.c). */
#ifndef IPCD_EXPIRE_H
#define IPCD_EXPIRE_H

#include "daemon.h"

void	expire_start(void);
void	expire_stop(void);
size_t	expire_idle(long, enum tr_id, const struct peer *);

#endif
