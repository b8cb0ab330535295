/* The set of spool identities (daemon/spoolid.c): found by the whole
 * identity, forgotten one by one, and as many as a journal since the last
 * snapshot may name (replayed after a crash, then forgotten by the
 * spool's start-up check) in time linear in their number. */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "spoolid.h"
#include "t.h"

/* Identities a journal of 64 MiB (compact_bytes) easily names. */
#define MANY	200000
/* Seconds for MANY added and forgotten: a search of the whole set for
 * each takes minutes. */

static void
id_make(struct spool_id *id, uint64_t ino, int64_t mtime, const char *name)
{
	memset(id, 0, sizeof *id);
	id->dev = 42;
	id->ino = ino;
	id->size = 7;
	id->mtime = mtime;
	snprintf(id->name, sizeof id->name, "%s", name);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(void)
{
	struct spool_id	a, b, c, x;
	char		name[32];
	double		start, took;
	size_t		i, found;

	/* One inode, three identities: a name, an mtime apart. */
	id_make(&a, 1, 100, "f");
	id_make(&b, 1, 100, "g");
	id_make(&c, 1, 101, "f");
	spoolid_add(&a);
	spoolid_add(&b);
	spoolid_add(&c);
	spoolid_add(&a);
	CHECK(spoolid_count() == 3, "an identity added twice is kept once");
	CHECK(spoolid_find(&b) != NULL && spoolid_same(spoolid_find(&b), &b),
	    "found by its whole identity");
	spoolid_forget(&a);
	CHECK(spoolid_find(&a) == NULL, "forgotten");
	CHECK(spoolid_find(&b) != NULL && spoolid_find(&c) != NULL,
	    "the others of its inode stay");
	id_make(&x, 2, 100, "f");
	CHECK(spoolid_find(&x) == NULL, "another inode is not found");
	spoolid_forget(&x);
	CHECK(spoolid_count() == 2, "forgetting the unknown changes nothing");
	spoolid_clear();
	CHECK(spoolid_count() == 0 && spoolid_find(&b) == NULL, "cleared");

	start = now();
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof name, "ipcctl.%zu", i);
		id_make(&x, i / 3, (int64_t)i, name);
		spoolid_add(&x);
	}
	for (i = found = 0; i < MANY; i++) {
		snprintf(name, sizeof name, "ipcctl.%zu", i);
		id_make(&x, i / 3, (int64_t)i, name);
		found += spoolid_find(&x) != NULL;
	}
	CHECK(spoolid_count() == MANY && found == MANY,
	    "%d identities added, each found", MANY);
	/* In the order of the set, as the spool's start-up check does. */
	while (spoolid_count() > 0) {
		x = *spoolid_at(spoolid_count() / 2);
		spoolid_forget(&x);
		if (spoolid_find(&x) != NULL)
			break;
	}
	took = now() - start;
	CHECK(spoolid_count() == 0, "each forgotten");
	/* A figure, not a verdict: speed is judged in make bench, never by a
	 * timed unit test. */
	printf("# %d added, found and forgotten in %.2f s\n", MANY, took);
	return t_failed;
}
