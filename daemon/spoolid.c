/*
 * The set of spool identities the state remembers (spoolid.h).  Small in
 * steady state: an identity is forgotten as soon as the removal of its
 * file is durable; only a replay after a crash holds more (at most what
 * the journal since the last snapshot names), and the spool's start-up
 * check forgets every one whose file is gone.  A plain array: it is
 * searched only at start and for a file seen twice.
 */

#include <stdlib.h>
#include <string.h>

#include "spoolid.h"
#include "xmalloc.h"

static struct {
	struct spool_id	*ids;
	size_t		 n, cap;
} set;

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
	if (spoolid_find(id) != NULL)
		return;
	if (set.n == set.cap) {
		set.cap = set.cap ? set.cap * 2 : 64;
		set.ids = xrealloc(set.ids, set.cap * sizeof *set.ids);
	}
	set.ids[set.n++] = *id;
}

const struct spool_id *
spoolid_find(const struct spool_id *id)
{
	size_t	i;

	for (i = 0; i < set.n; i++)
		if (spoolid_same(&set.ids[i], id))
			return &set.ids[i];
	return NULL;
}

void
spoolid_forget(const struct spool_id *id)
{
	size_t	i;

	for (i = 0; i < set.n; i++)
		if (spoolid_same(&set.ids[i], id)) {
			set.ids[i] = set.ids[--set.n];
			return;
		}
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
	set.ids = NULL;
	set.n = set.cap = 0;
}
