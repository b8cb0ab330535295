/*
 * The set of spool identities the state remembers (spoolid.h).  Small in
 * steady state: an identity is forgotten as soon as the removal of its
 * file is durable; only a replay after a crash holds more (as many as
 * the journal since the last snapshot names, hundreds of thousands in
 * 64 MiB), and the spool's start-up check forgets every one whose file is
 * gone.  So an array, with buckets by device and inode in which to find
 * one: each step costs the same whatever the number.
 */

#include <stdlib.h>
#include <string.h>

#include "spoolid.h"
#include "xmalloc.h"

static struct {
	struct spool_id	*ids;
	size_t		*next;		/* in its bucket: the next index + 1 */
	size_t		*head;		/* of each bucket: an index + 1, or 0 */
	size_t		 n, cap;	/* cap buckets, a power of two */
} set;

static size_t
bucket(const struct spool_id *id)
{
	uint64_t	h = (id->ino ^ id->dev << 40) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32) & (set.cap - 1);
}

/* The link that holds index I + 1 in its bucket. */
static size_t *
link_to(size_t i)
{
	size_t	*l = &set.head[bucket(&set.ids[i])];

	while (*l != i + 1)
		l = &set.next[*l - 1];
	return l;
}

int
spoolid_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > SPOOL_NAME_MAX || name[0] == '.' ||
	    memchr(name, '/', len) != NULL || memchr(name, '\0', len) != NULL)
		return 0;
	return len != 8 || memcmp(name, "rejected", 8) != 0;
}

int
spoolid_same(const struct spool_id *a, const struct spool_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime == b->mtime && strcmp(a->name, b->name) == 0;
}

void
spoolid_add(const struct spool_id *id)
{
	size_t	i, b;

	if (spoolid_find(id) != NULL)
		return;
	if (set.n == set.cap) {
		set.cap = set.cap ? set.cap * 2 : 64;
		set.ids = xrealloc(set.ids, set.cap * sizeof *set.ids);
		set.next = xrealloc(set.next, set.cap * sizeof *set.next);
		free(set.head);
		set.head = xcalloc(set.cap, sizeof *set.head);
		for (i = 0; i < set.n; i++) {
			b = bucket(&set.ids[i]);
			set.next[i] = set.head[b];
			set.head[b] = i + 1;
		}
	}
	set.ids[set.n] = *id;
	b = bucket(id);
	set.next[set.n] = set.head[b];
	set.head[b] = ++set.n;
}

const struct spool_id *
spoolid_find(const struct spool_id *id)
{
	size_t	i;

	if (set.cap == 0)
		return NULL;
	for (i = set.head[bucket(id)]; i != 0; i = set.next[i - 1])
		if (spoolid_same(&set.ids[i - 1], id))
			return &set.ids[i - 1];
	return NULL;
}

/* Unlinked from its bucket; the last one moves into its place. */
void
spoolid_forget(const struct spool_id *id)
{
	const struct spool_id	*f = spoolid_find(id);
	size_t			 i, last;

	if (f == NULL)
		return;
	i = (size_t)(f - set.ids);
	*link_to(i) = set.next[i];
	last = --set.n;
	if (i == last)
		return;
	*link_to(last) = i + 1;
	set.ids[i] = set.ids[last];
	set.next[i] = set.next[last];
}

size_t
spoolid_count(void)
{
	return set.n;
}

const struct spool_id *
spoolid_at(size_t i)
{
	return i < set.n ? &set.ids[i] : NULL;
}

void
spoolid_clear(void)
{
	free(set.ids);
	free(set.next);
	free(set.head);
	set.ids = NULL;
	set.next = set.head = NULL;
	set.n = set.cap = 0;
}
