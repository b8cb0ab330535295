/* export.c: the metrics written to a file for node_exporter. */
#ifndef IPCD_EXPORT_H
#define IPCD_EXPORT_H

#include "conf.h"

/* Start, change or stop the export as [export] in the configuration says
 * (at the start and at each reload); file errors are logged, never
 * fatal. */
void	export_apply(const struct conf *);
/* At ipcd's stop: drop a write under way and its temporary file. */
void	export_stop(void);

#endif
