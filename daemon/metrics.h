/*
 * The exposition of ipcd's figures for Prometheus, in the classic text
 * format or in OpenMetrics, made a piece at a time: a scrape of any number
 * of keys never holds the loop longer than one piece takes.  Served by
 * http.c and written by export.c, so both show the same thing.
 */
#ifndef IPCD_METRICS_H
#define IPCD_METRICS_H

#include <stddef.h>

struct evbuffer;

enum metrics_format {
	MF_TEXT,		/* text/plain; version=0.0.4 */
	MF_OPENMETRICS,		/* application/openmetrics-text; version=1.0.0 */
	/* The text format without the process_* families, for
	 * node_exporter's textfile collector: it has its own, and would
	 * refuse ipcd's. */
	MF_TEXTFILE,
};

struct metrics;

struct metrics	*metrics_begin(enum metrics_format);
/* Append the next piece (about SIZE bytes, a little more at most) to OUT:
 * 1 while more is to come, 0 once the exposition is complete. */
int		 metrics_next(struct metrics *, struct evbuffer *, size_t);
void		 metrics_free(struct metrics *);
const char	*metrics_content_type(enum metrics_format);

#endif
