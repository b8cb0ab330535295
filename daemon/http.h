/*
 * The HTTP server in front of metrics.c ([http]): /metrics and /healthz,
 * served by the loop with libevent's evhttp.  Not a transport: nothing
 * comes in through it.  server.c opens it at start, brings it to a new
 * configuration at a reload, and closes it at the end.
 */
#ifndef IPCD_HTTP_H
#define IPCD_HTTP_H

#include "metrics.h"

struct conf;

int	http_open(const struct conf *, char **);
int	http_reload(const struct conf *, const struct conf *, char **);
void	http_close(void);
int	http_is_open(void);

/* http_accept.c */
enum metrics_format http_format(const char *);

#endif
