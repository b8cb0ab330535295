/*
 * Metrics: each family is written whole (OpenMetrics forbids interleaving
 * them), its keys walked with the store's cursor.  The table of keys only
 * grows, and the cursor visits each bucket once whatever the growth, so a
 * scrape spread over many passes shows no key twice; a key made or removed
 * meanwhile may be in some families and not in others, as with any scrape
 * that is not a snapshot.
 *
 * One table says every family once, in the terms of the classic text
 * format; OpenMetrics' names and types follow from them: a counter's
 * family drops the "_total" its samples keep, an info family the "_info",
 * and UNIT lines are written there only.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "daemon.h"
#include "metrics.h"
#include "stream.h"
#include "xmalloc.h"

/* Buckets of the key table looked at in one piece at most, so that a
 * sparse table costs no more per call than a full one. */
#define SCAN_BUCKETS	4096

#define VALUE_MAX	NUM_FORMAT_MAX	/* a sample's value as text */

struct family {
	const char	*name;		/* of the samples */
	int		 process;	/* a process_* family */
	/* counter, gauge, info (a gauge of 1 in the text format), or
	 * untyped (OpenMetrics' unknown) */
	const char	*type;
	const char	*unit;		/* OpenMetrics' UNIT, or NULL */
	const char	*help;
	/* Per key (NULL: the family's samples written by one()). */
	void		(*key)(struct evbuffer *, const char *,
			    const struct key *);
	void		(*one)(struct evbuffer *, const char *);
};

struct metrics {
	enum metrics_format	 fmt;
	size_t			 family;	/* index in families[] */
	int			 started;	/* its HELP and TYPE are out */
	uint64_t		 cursor;	/* of the store's walk */
	struct evbuffer		*out;
};

/* D as both formats spell a value: "+Inf", "-Inf", "NaN" or a number
 * that reads back as D. */
static const char *
value(char *buf, double d)
{
	if (isnan(d))
		return "NaN";
	if (isinf(d))
		return d > 0 ? "+Inf" : "-Inf";
	double_format(buf, VALUE_MAX, d);
	return buf;
}

static void
key_total_sample(struct evbuffer *out, const char *name, const struct key *k)
{
	char	buf[VALUE_MAX];
	int	overflow;

	/* Beyond a double, the total is +-HUGE_VAL: said as +Inf, -Inf. */
	evbuffer_add_printf(out, "%s{key=\"%s\"} %s\n", name, k->name,
	    value(buf, key_total(k, &overflow)));
}

static void
key_submissions_sample(struct evbuffer *out, const char *name,
    const struct key *k)
{
	evbuffer_add_printf(out, "%s{key=\"%s\"} %llu\n", name, k->name,
	    (unsigned long long)k->acc.count);
}

static void
key_min_sample(struct evbuffer *out, const char *name, const struct key *k)
{
	char	buf[VALUE_MAX];

	if (k->acc.count > 0)
		evbuffer_add_printf(out, "%s{key=\"%s\"} %s\n", name, k->name,
		    value(buf, k->min));
}

static void
key_max_sample(struct evbuffer *out, const char *name, const struct key *k)
{
	char	buf[VALUE_MAX];

	if (k->acc.count > 0)
		evbuffer_add_printf(out, "%s{key=\"%s\"} %s\n", name, k->name,
		    value(buf, k->max));
}

/* Parts, of parted keys only: an unparted key has none to count. */
static void
key_received_sample(struct evbuffer *out, const char *name,
    const struct key *k)
{
	if (k->nparts != 0)
		evbuffer_add_printf(out, "%s{key=\"%s\"} %u\n", name, k->name,
		    k->received);
}

static void
key_expected_sample(struct evbuffer *out, const char *name,
    const struct key *k)
{
	if (k->nparts != 0)
		evbuffer_add_printf(out, "%s{key=\"%s\"} %u\n", name, k->name,
		    k->nparts);
}

static void
key_duplicates_sample(struct evbuffer *out, const char *name,
    const struct key *k)
{
	if (k->nparts != 0)
		evbuffer_add_printf(out, "%s{key=\"%s\"} %llu\n", name,
		    k->name, (unsigned long long)k->duplicates);
}

/* Seconds since the epoch, to the nanosecond, written exactly. */
static void
key_updated_sample(struct evbuffer *out, const char *name,
    const struct key *k)
{
	if (k->updated > 0)
		evbuffer_add_printf(out, "%s{key=\"%s\"} %lld.%09lld\n", name,
		    k->name, (long long)(k->updated / 1000000000),
		    (long long)(k->updated % 1000000000));
}

static void
build_sample(struct evbuffer *out, const char *name)
{
	evbuffer_add_printf(out, "%s{version=\"%s\"} 1\n", name,
	    IPCD_VERSION);
}

static void
start_sample(struct evbuffer *out, const char *name)
{
	evbuffer_add_printf(out, "%s %lld\n", name,
	    (long long)server_started());
}

/* The resident set, from /proc/self/statm (in pages); none if unread. */
static void
rss_sample(struct evbuffer *out, const char *name)
{
	unsigned long long	 size, pages;
	FILE			*f;
	int			 n;

	if ((f = fopen("/proc/self/statm", "re")) == NULL)
		return;
	n = fscanf(f, "%llu %llu", &size, &pages);
	fclose(f);
	if (n == 2)
		evbuffer_add_printf(out, "%s %llu\n", name,
		    pages * (unsigned long long)sysconf(_SC_PAGESIZE));
}

/* The entries of /proc/self/fd, less the one reading it. */
static void
fds_sample(struct evbuffer *out, const char *name)
{
	struct dirent	*d;
	DIR		*dir;
	long		 n = -1;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	evbuffer_add_printf(out, "%s %ld\n", name, n);
}

static void
keys_sample(struct evbuffer *out, const char *name)
{
	evbuffer_add_printf(out, "%s %zu\n", name, store_count(server_store()));
}

/* Connections of the stream transports, the only ones that have any. */
static void
clients_sample(struct evbuffer *out, const char *name)
{
	static const enum tr_id	streams[] = { TR_UNIX, TR_TCP };
	size_t			i;

	for (i = 0; i < sizeof streams / sizeof streams[0]; i++)
		evbuffer_add_printf(out, "%s{transport=\"%s\"} %ld\n", name,
		    server_transport_name(streams[i]),
		    stream_count(streams[i]));
}

static void
accepted_sample(struct evbuffer *out, const char *name)
{
	int	tr;

	for (tr = 0; tr < TR_COUNT; tr++)
		evbuffer_add_printf(out, "%s{transport=\"%s\"} %llu\n", name,
		    server_transport_name(tr),
		    (unsigned long long)server_accepted(tr));
}

/* Every transport and class, zeros too: a series that appears only at
 * its first rejection would hide that first one from rate(). */
static void
rejected_sample(struct evbuffer *out, const char *name)
{
	int	tr, rj;

	for (tr = 0; tr < TR_COUNT; tr++)
		for (rj = 0; rj < RJ_COUNT; rj++)
			evbuffer_add_printf(out, "%s{transport=\"%s\","
			    "cause=\"%s\"} %llu\n", name,
			    server_transport_name(tr), server_reject_name(rj),
			    (unsigned long long)server_rejected(tr, rj));
}

static void
journal_sample(struct evbuffer *out, const char *name)
{
	struct state_figures	f;

	state_figures(&f);
	evbuffer_add_printf(out, "%s %llu\n", name,
	    (unsigned long long)f.journal_bytes);
}

static void
snapshot_sample(struct evbuffer *out, const char *name)
{
	struct state_figures	f;

	state_figures(&f);
	evbuffer_add_printf(out, "%s %llu\n", name,
	    (unsigned long long)f.snapshot_bytes);
}

static void
commit_sample(struct evbuffer *out, const char *name)
{
	struct state_figures	f;

	state_figures(&f);
	evbuffer_add_printf(out, "%s %.9f\n", name, f.commit_seconds);
}

/*
 * ipcd_key_total is a gauge in meaning (a sum goes down as well as up),
 * but linters keep "_total" for counters: untyped keeps its name, as
 * Prometheus and the text format know it, and the linters quiet.
 */
static const struct family families[] = {
	{ "ipcd_build_info", 0, "info", NULL,
	    "The version of ipcd running.", NULL, build_sample },
	{ "process_start_time_seconds", 1, "gauge", "seconds",
	    "Start time of the process since the epoch in seconds.",
	    NULL, start_sample },
	{ "process_resident_memory_bytes", 1, "gauge", "bytes",
	    "Resident memory size in bytes.", NULL, rss_sample },
	{ "process_open_fds", 1, "gauge", NULL,
	    "Number of open file descriptors.", NULL, fds_sample },
	{ "ipcd_keys", 0, "gauge", NULL, "Keys held.", NULL, keys_sample },
	{ "ipcd_clients", 0, "gauge", NULL,
	    "Connections open, per stream transport.", NULL, clients_sample },
	{ "ipcd_records_accepted_total", 0, "counter", NULL,
	    "Records applied, per transport.", NULL, accepted_sample },
	{ "ipcd_records_rejected_total", 0, "counter", NULL,
	    "Inputs rejected, per transport and class of cause.", NULL,
	    rejected_sample },
	{ "ipcd_journal_bytes", 0, "gauge", "bytes",
	    "Size of the state journal in bytes.", NULL, journal_sample },
	{ "ipcd_snapshot_bytes", 0, "gauge", "bytes",
	    "Size of the state snapshot in bytes.", NULL, snapshot_sample },
	{ "ipcd_last_commit_duration_seconds", 0, "gauge", "seconds",
	    "Time the last commit that wrote the journal took, in seconds.",
	    NULL, commit_sample },
	{ "ipcd_key_total", 0, "untyped", NULL,
	    "The exactly rounded total of a key.", key_total_sample, NULL },
	{ "ipcd_key_submissions_total", 0, "counter", NULL,
	    "Submissions applied to a key.", key_submissions_sample, NULL },
	{ "ipcd_key_min", 0, "gauge", NULL,
	    "The least value submitted to a key.", key_min_sample, NULL },
	{ "ipcd_key_max", 0, "gauge", NULL,
	    "The greatest value submitted to a key.", key_max_sample, NULL },
	{ "ipcd_key_parts_received", 0, "gauge", NULL,
	    "Distinct parts received of a parted key.", key_received_sample,
	    NULL },
	{ "ipcd_key_parts_expected", 0, "gauge", NULL,
	    "Parts a parted key has in all.", key_expected_sample, NULL },
	{ "ipcd_key_duplicates_total", 0, "counter", NULL,
	    "Parts of a parted key received again, and ignored.",
	    key_duplicates_sample, NULL },
	{ "ipcd_key_last_update_timestamp_seconds", 0, "gauge", "seconds",
	    "When a submission last changed a key, since the epoch in "
	    "seconds.", key_updated_sample, NULL },
};
#define NFAMILIES	(sizeof families / sizeof families[0])

/* The HELP, TYPE and UNIT lines of F, in M's format. */
static void
metadata(struct metrics *m, const struct family *f)
{
	const char	*type = f->type, *drop = NULL;
	size_t		 len = strlen(f->name);

	if (m->fmt != MF_OPENMETRICS) {
		if (strcmp(type, "info") == 0)
			type = "gauge";
		evbuffer_add_printf(m->out, "# HELP %s %s\n# TYPE %s %s\n",
		    f->name, f->help, f->name, type);
		return;
	}
	if (strcmp(type, "counter") == 0)
		drop = "_total";
	else if (strcmp(type, "info") == 0)
		drop = "_info";
	else if (strcmp(type, "untyped") == 0)
		type = "unknown";
	if (drop != NULL)
		len -= strlen(drop);
	evbuffer_add_printf(m->out, "# HELP %.*s %s\n# TYPE %.*s %s\n",
	    (int)len, f->name, f->help, (int)len, f->name, type);
	if (f->unit != NULL)
		evbuffer_add_printf(m->out, "# UNIT %.*s %s\n", (int)len,
		    f->name, f->unit);
}

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
	int			 buckets = 0;

	m->out = out;
	while (m->family < NFAMILIES && buckets < SCAN_BUCKETS &&
	    evbuffer_get_length(out) - start < size) {
		f = &families[m->family];
		if (f->process && m->fmt == MF_TEXTFILE) {
			m->family++;
			continue;
		}
		if (!m->started) {
			metadata(m, f);
			m->started = 1;
		}
		if (f->one != NULL)
			f->one(out, f->name);
		else {
			m->cursor = store_scan(server_store(), m->cursor,
			    scan_one, m);
			buckets++;
			if (m->cursor != 0)
				continue;
		}
		m->family++;
		m->started = 0;
		m->cursor = 0;
	}
	if (m->family < NFAMILIES)
		return 1;
	if (m->family == NFAMILIES && m->fmt == MF_OPENMETRICS)
		evbuffer_add_printf(out, "# EOF\n");
	m->family = NFAMILIES + 1;	/* said once, whatever comes after */
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
