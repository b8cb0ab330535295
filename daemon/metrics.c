/*
 * Metrics: each family is written whole (OpenMetrics forbids interleaving
 * them), its keys walked with the store's cursor.  The table of keys only
 * grows, and the cursor visits each bucket once whatever the growth, so a
 * scrape spread over many passes shows no key twice; a key made or removed
 * meanwhile may be in some families and not in others, as with any scrape
 * that is not a snapshot.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon.h"
#include "metrics.h"
#include "xmalloc.h"

struct family {
	const char	*name;
	const char	*type;		/* counter, gauge, info */
	const char	*help;
	/* Per key (NULL: a single sample written by one()). */
	void		(*key)(struct evbuffer *, const char *,
			    const struct key *);
	void		(*one)(struct evbuffer *, const char *,
			    enum metrics_format);
};

struct metrics {
	enum metrics_format	 fmt;
	size_t			 family;	/* index in families[] */
	int			 started;	/* its HELP and TYPE are out */
	uint64_t		 cursor;	/* of the store's walk */
	struct evbuffer		*out;
};

static void
key_total_sample(struct evbuffer *out, const char *name, const struct key *k)
{
	char	buf[NUM_FORMAT_MAX];
	int	overflow;

	double_format(buf, sizeof buf, key_total(k, &overflow));
	evbuffer_add_printf(out, "%s{key=\"%s\"} %s\n", name, k->name, buf);
}

static void
keys_sample(struct evbuffer *out, const char *name, enum metrics_format fmt)
{
	evbuffer_add_printf(out, "%s %zu\n", name, store_count(server_store()));
}

static const struct family families[] = {
	{ "ipcd_keys", "gauge", "Keys held.", NULL, keys_sample },
	{ "ipcd_key_total", "gauge", "The exactly rounded total of a key.",
	    key_total_sample, NULL },
};
#define NFAMILIES	(sizeof families / sizeof families[0])

struct metrics *
metrics_begin(enum metrics_format fmt)
{
	struct metrics	*m;

	m = xcalloc(1, sizeof *m);
	m->fmt = fmt;
	return m;
}

static void
scan_one(struct key *k, void *arg)
{
	struct metrics	*m = arg;

	families[m->family].key(m->out, families[m->family].name, k);
}

int
metrics_next(struct metrics *m, struct evbuffer *out, size_t size)
{
	const struct family	*f;
	size_t			 start = evbuffer_get_length(out);

	m->out = out;
	while (m->family < NFAMILIES &&
	    evbuffer_get_length(out) - start < size) {
		f = &families[m->family];
		if (!m->started) {
			evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n",
			    f->name, f->help, f->name, f->type);
			m->started = 1;
		}
		if (f->one != NULL)
			f->one(out, f->name, m->fmt);
		else {
			m->cursor = store_scan(server_store(), m->cursor,
			    scan_one, m);
			if (m->cursor != 0)
				continue;
		}
		m->family++;
		m->started = 0;
		m->cursor = 0;
	}
	if (m->family < NFAMILIES)
		return 1;
	if (m->fmt == MF_OPENMETRICS)
		evbuffer_add_printf(out, "# EOF\n");
	return 0;
}

void
metrics_free(struct metrics *m)
{
	free(m);
}

const char *
metrics_content_type(enum metrics_format fmt)
{
	if (fmt == MF_OPENMETRICS)
		return "application/openmetrics-text; version=1.0.0; "
		    "charset=utf-8";
	return "text/plain; version=0.0.4; charset=utf-8";
}
