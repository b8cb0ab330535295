/*
 * The "keys" request of the control plane (ctl.c): the keys in pages, a
 * cursor to go on, and the filters match=GLOB and idle=DURATION applied
 * here, inside the bounded walk of a page, so that no reply is large and
 * no page a long walk of the store however few keys match.
 */

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"
#include "xmalloc.h"

#define KEYS_PAGE	100	/* keys per "keys" reply, unless limit= */
#define KEYS_PAGE_MAX	1000	/* the most a client may ask for */
#define KEYS_BUCKETS	4	/* buckets walked per key asked, at most */

/* One page of "keys": the lines found so far. */
struct page {
	const char	*match;
	int64_t		 now;
	int64_t		 before;	/* only keys updated before this */
	long		 n;
	char		*buf;
	size_t		 len, cap;
};

static void
page_key(struct key *k, void *arg)
{
	struct page	*pg = arg;

	if (k->updated >= pg->before ||
	    (pg->match != NULL && fnmatch(pg->match, k->name, 0) != 0))
		return;
	if (pg->cap - pg->len < FIELDS_MAX + 1)
		pg->buf = xrealloc(pg->buf, pg->cap += 64 * FIELDS_MAX);
	ctl_key_fields(k, pg->now, pg->buf + pg->len, FIELDS_MAX);
	pg->len += strlen(pg->buf + pg->len);
	pg->buf[pg->len++] = '\n';
	pg->n++;
}

/* "keys [cursor=C] [limit=L] [match=GLOB] [idle=DURATION]" */
static int
keys_args(struct conn *c, char *args, uint64_t *cursor, long *limit,
    struct page *pg)
{
	char		*tok, *end = NULL, *save = NULL;
	const char	*cause;
	long		 idle;
	int		 ok;

	*cursor = 0;
	*limit = KEYS_PAGE;
	tok = args != NULL ? strtok_r(args, " \t", &save) : NULL;
	for (; tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (strncmp(tok, "cursor=", 7) == 0) {
			*cursor = strtoull(tok + 7, &end, 10);
			ok = tok[7] >= '0' && tok[7] <= '9' && *end == '\0';
		} else if (strncmp(tok, "limit=", 6) == 0) {
			*limit = strtol(tok + 6, &end, 10);
			ok = tok[6] != '\0' && *end == '\0' && *limit >= 1 &&
			    *limit <= KEYS_PAGE_MAX;
		} else if (strncmp(tok, "match=", 6) == 0) {
			pg->match = tok + 6;
			ok = tok[6] != '\0';
		} else if (strncmp(tok, "idle=", 5) == 0) {
			if ((ok = duration_parse(tok + 5, &idle, &cause) == 0))
				pg->before = pg->now - idle * NS_PER_SEC;
		} else
			ok = 0;
		if (!ok) {
			ctl_refuse(c, "bad keys request", ERR_USAGE, "keys "
			    "[cursor=C] [limit=1-%d] [match=GLOB] "
			    "[idle=DURATION]", KEYS_PAGE_MAX);
			return -1;
		}
	}
	return 0;
}

/*
 * A page of about LIMIT keys (whole buckets, so a few more), and the
 * cursor to ask for the next; cursor=0 says the walk is done.  The work
 * of a page is bounded too, not only its size: at most KEYS_BUCKETS
 * buckets per key asked for are walked, so a glob that matches little
 * gives short (even empty) pages rather than one long walk of the store.
 */
void
ctl_keys(struct conn *c, char *args)
{
	struct page	 pg = { .now = wall_ns(), .before = INT64_MAX };
	uint64_t	 cursor;
	long		 limit, walked = 0;

	if (keys_args(c, args, &cursor, &limit, &pg) != 0)
		return;
	do
		cursor = store_scan(server_store(), cursor, page_key, &pg);
	while (cursor != 0 && pg.n < limit && ++walked < limit * KEYS_BUCKETS);
	conn_reply(c, "ok count=%ld cursor=%llu", pg.n,
	    (unsigned long long)cursor);
	conn_write(c, pg.buf, pg.len);
	free(pg.buf);
}
