/* Unit tests of the exposition: the two formats' names, types, UNIT and
 * EOF lines, values beyond a double, and that a scrape made a piece at a
 * time while the table of keys grows shows each key once. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "daemon.h"
#include "metrics.h"
#include "stream.h"
#include "t.h"

#define GROWN_MAX	5000	/* keys added during scrapes */

/* What metrics.c asks of the rest of ipcd. */
static struct store	*store;

struct store *
server_store(void)
{
	return store;
}

time_t
server_started(void)
{
	return 1700000000;
}

const char *
server_transport_name(enum tr_id tr)
{
	static const char *const names[TR_COUNT] = { "unix", "fifo", "mq",
	    "shm", "tcp", "sysv", "spool" };

	return names[tr];
}

uint64_t
server_accepted(enum tr_id tr)
{
	return 10 + (uint64_t)tr;
}

uint64_t
server_rejected(enum tr_id tr, enum reject rj)
{
	return (uint64_t)rj;
}

void
state_figures(struct state_figures *f)
{
	f->journal_bytes = 4096;
	f->snapshot_bytes = 8192;
	f->commit_seconds = 0.25;
}

long
stream_count(enum tr_id tr)
{
	return tr == TR_UNIX ? 3 : 0;
}

static void
submit(const char *key, double v, unsigned i, unsigned n)
{
	struct record	 r;
	struct key	*k;
	int		 completed;

	memset(&r, 0, sizeof r);
	snprintf(r.key, sizeof r.key, "%s", key);
	r.value = v;
	r.part = i;
	r.nparts = n;
	if (store_apply(store, &r, &completed, &k) != APPLY_OK)
		abort();
}

/* The whole exposition in FMT, SIZE bytes a piece; GROW keys are added
 * between two pieces, GROWN_MAX in all.  Returns a string to free. */
static char *
render(enum metrics_format fmt, size_t size, int grow, int *calls)
{
	struct metrics	*m = metrics_begin(fmt);
	struct evbuffer	*out = evbuffer_new();
	static int	 added;
	char		*s, key[32];
	size_t		 len;
	int		 g;

	for (*calls = 1; metrics_next(m, out, size); (*calls)++)
		for (g = 0; g < grow && added < GROWN_MAX; g++) {
			snprintf(key, sizeof key, "new.%d", added++);
			submit(key, 1, 0, 0);
		}
	/* Once at its end, it stays there. */
	if (metrics_next(m, out, size) != 0)
		abort();
	metrics_free(m);
	len = evbuffer_get_length(out);
	s = malloc(len + 1);
	evbuffer_remove(out, s, len);
	s[len] = '\0';
	evbuffer_free(out);
	return s;
}

/* Lines of S that begin with PREFIX. */
static int
lines(const char *s, const char *prefix)
{
	size_t	plen = strlen(prefix);
	int	n = 0;

	for (; s != NULL && *s != '\0'; s = strchr(s, '\n'), s += s != NULL)
		if (strncmp(s, prefix, plen) == 0)
			n++;
	return n;
}

static int
has(const char *s, const char *line)
{
	char	buf[256];

	snprintf(buf, sizeof buf, "\n%s\n", line);
	return strstr(s, buf) != NULL;
}

static void
test_formats(void)
{
	char	*text, *om, *small;
	long	 rss = 0, fds = 0;
	int	 calls;

	text = render(MF_TEXT, SIZE_MAX, 0, &calls);
	om = render(MF_OPENMETRICS, SIZE_MAX, 0, &calls);
	small = render(MF_TEXT, 1, 0, &calls);
	/* The same from ipcd_keys on (the process's memory and descriptors
	 * may differ from one scrape to the next). */
	CHECK(strcmp(strstr(text, "# HELP ipcd_keys"),
	    strstr(small, "# HELP ipcd_keys")) == 0 && calls > 30,
	    "a piece at a time (%d pieces) is the same text", calls);
	free(small);
	small = render(MF_TEXTFILE, SIZE_MAX, 0, &calls);
	CHECK(strcmp(strstr(text, "# HELP ipcd_keys"),
	    strstr(small, "# HELP ipcd_keys")) == 0 &&
	    lines(small, "process_") + lines(small, "# HELP process_") == 0 &&
	    lines(text, "process_") == 3 && lines(text, "# HELP process_") == 3,
	    "the textfile: the text format without process_* families");
	free(small);

	CHECK(has(text, "# TYPE ipcd_records_accepted_total counter") &&
	    has(om, "# TYPE ipcd_records_accepted counter"),
	    "a counter's family: with _total in text, without in OpenMetrics");
	CHECK(has(om, "ipcd_records_accepted_total{transport=\"mq\"} 12"),
	    "an OpenMetrics counter's samples keep _total");
	CHECK(has(text, "# TYPE ipcd_build_info gauge") &&
	    has(om, "# TYPE ipcd_build info") &&
	    lines(om, "ipcd_build_info{version=\"" IPCD_VERSION "\"} 1\n") == 1,
	    "build info: a gauge of 1 in text, an info family in OpenMetrics");
	CHECK(has(text, "# TYPE ipcd_key_total untyped") &&
	    has(om, "# TYPE ipcd_key_total unknown"),
	    "ipcd_key_total: untyped, unknown");
	CHECK(lines(text, "# UNIT") == 0 && lines(om, "# UNIT") == 6 &&
	    has(om, "# UNIT ipcd_journal_bytes bytes") &&
	    has(om, "# UNIT process_start_time_seconds seconds") &&
	    has(om, "# UNIT ipcd_key_last_update_timestamp_seconds seconds"),
	    "UNIT lines in OpenMetrics only, for _bytes and _seconds");
	CHECK(lines(text, "# EOF") == 0 && lines(om, "# EOF") == 1 &&
	    strcmp(om + strlen(om) - 6, "# EOF\n") == 0,
	    "# EOF once, at the end of OpenMetrics only");
	CHECK(has(om, "ipcd_records_rejected_total{transport=\"spool\","
	    "cause=\"malformed\"} 0") &&
	    lines(om, "ipcd_records_rejected_total{") == TR_COUNT * RJ_COUNT,
	    "every transport and class of rejection");
	CHECK(has(text, "ipcd_clients{transport=\"unix\"} 3") &&
	    has(text, "ipcd_last_commit_duration_seconds 0.250000000") &&
	    has(text, "process_start_time_seconds 1700000000"),
	    "the figures of the other rooms");
	CHECK(sscanf(strstr(text, "\nprocess_resident_memory_bytes ") + 1,
	    "process_resident_memory_bytes %ld", &rss) == 1 &&
	    rss % sysconf(_SC_PAGESIZE) == 0 && rss > 0 &&
	    sscanf(strstr(text, "\nprocess_open_fds ") + 1,
	    "process_open_fds %ld", &fds) == 1 && fds >= 3 && fds < 100,
	    "the process: %ld bytes resident, %ld descriptors", rss, fds);
	CHECK(has(text, "ipcd_key_total{key=\"up\"} +Inf") &&
	    has(om, "ipcd_key_total{key=\"down\"} -Inf"),
	    "totals beyond a double: +Inf, -Inf");
	CHECK(has(om, "ipcd_key_parts_received{key=\"p\"} 1") &&
	    has(om, "ipcd_key_parts_expected{key=\"p\"} 4") &&
	    lines(om, "ipcd_key_parts_expected{") == 1,
	    "parts, for parted keys only");
	free(text);
	free(om);
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The samples of ipcd_key_total in S, sorted (S is cut into lines). */
static char **
totals(char *s, int *n)
{
	char	**v = NULL, *line, *next;
	int	  cap = 0;

	for (*n = 0, line = s; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "ipcd_key_total{", 15) != 0)
			continue;
		if (*n == cap && (v = realloc(v, (cap = cap * 2 + 64) *
		    sizeof *v)) == NULL)
			abort();
		*strchr(line, '}') = '\0';
		v[(*n)++] = line;
	}
	qsort(v, *n, sizeof *v, cmp_line);
	return v;
}

/* Each key of each per-key family once, though the table grew (and was
 * rehashed) under the walk.  (Sorted, not searched line by line: a
 * quadratic search of a megabyte is minutes under the sanitizers.) */
static void
test_growth(void)
{
	char	*s, **v, name[64];
	size_t	 before = store_count(store), after;
	int	 calls, dup = 0, first = 0, i, n, nnew = 0;

	s = render(MF_OPENMETRICS, 512, 50, &calls);
	after = store_count(store);
	v = totals(s, &n);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i - 1], v[i]) == 0)
			dup++;
		if (strncmp(v[i], "ipcd_key_total{key=\"new.", 24) == 0)
			nnew++;
	}
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof name, "ipcd_key_total{key=\"k.%d\"", i);
		first += bsearch(&(const char *){ name }, v, n, sizeof *v,
		    cmp_line) != NULL;
	}
	CHECK(first == 200 && dup == 0, "each of the first keys once, while "
	    "%zu became %zu in %d pieces", before, after, calls);
	CHECK(dup == 0, "and each of the %d new ones it met once", nnew);
	CHECK(n >= (int)before && n <= (int)after,
	    "no more than the keys there were");
	free(v);
	free(s);
}

int
main(void)
{
	char	key[32];
	int	i;

	store = store_new(1000000);
	store_set_part_limits(store, 1000, 1 << 20);
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof key, "k.%d", i);
		submit(key, i, 0, 0);
	}
	submit("up", 1e308, 0, 0);
	submit("up", 1e308, 0, 0);
	submit("down", -1e308, 0, 0);
	submit("down", -1e308, 0, 0);
	submit("p", 0.5, 1, 4);
	test_formats();
	test_growth();
	store_free(store);
	return t_failed;
}
