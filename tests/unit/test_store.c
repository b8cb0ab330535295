/* Unit tests of the key store: parts, duplicates, conflicts, limits,
 * growth, waiters. */

#include <stdio.h>
#include <string.h>

#include "ipcd.h"
#include "t.h"

static struct record
rec(const char *key, double v, unsigned i, unsigned n)
{
	struct record	r;

	memset(&r, 0, sizeof r);
	snprintf(r.key, sizeof r.key, "%s", key);
	r.value = v;
	r.part = i;
	r.nparts = n;
	return r;
}

static int	woken;

static void
on_done(struct waiter *w)
{
	woken++;
}

int
main(void)
{
	struct store	*st = store_new(100000);
	struct record	 r;
	struct key	*k;
	struct waiter	 w = { .key = "p", .done = on_done };
	char		 buf[64], name[32];
	int		 c, of, i, found;
	enum apply	 a;

	r = rec("p", 0.5, 2, 4);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_OK && !c, "part 2/4 applied");
	store_wait(st, &w);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_DUPLICATE, "part 2/4 again is a duplicate");
	k = store_find(st, "p");
	CHECK(k != NULL && k->acc.count == 1 && k->duplicates == 1 &&
	    key_total(k, &of) == 0.5, "the duplicate was not counted");
	r = rec("p", 1, 1, 5);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_CONFLICT, "N = 5 conflicts with 4");
	r = rec("p", 1, 0, 0);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_CONFLICT, "a plain value into a parted key conflicts");
	key_missing(k, buf, sizeof buf);
	CHECK(strcmp(buf, "1,3-4") == 0, "missing parts \"%s\"", buf);
	r = rec("p", 0.25, 1, 4);
	store_apply(st, &r, &c, NULL);
	r = rec("p", 0.125, 4, 4);
	store_apply(st, &r, &c, NULL);
	CHECK(woken == 0 && !key_complete(k), "not complete at 3/4");
	r = rec("p", 0.125, 3, 4);
	a = store_apply(st, &r, &c, NULL);
	CHECK(a == APPLY_OK && c && woken == 1 && key_complete(k) &&
	    key_total(k, &of) == 1, "4/4 completes, wakes the waiter, total 1");
	CHECK(k->min == 0.125 && k->max == 0.5, "min and max");
	w.done = on_done;
	store_wait(st, &w);
	CHECK(woken == 2, "waiting on a complete key returns at once");

	r = rec("q", 1, 0, 0);
	store_apply(st, &r, &c, NULL);
	r = rec("q", 1, 1, 2);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_CONFLICT, "a part into a plain key conflicts");

	/* Growth: 100,000 keys, all still found; the limit holds. */
	for (i = 0; i < 99998; i++) {
		snprintf(name, sizeof name, "k%d", i);
		r = rec(name, i, 0, 0);
		if (store_apply(st, &r, &c, NULL) != APPLY_OK)
			break;
	}
	for (i = 0, found = 0; i < 99998; i++) {
		snprintf(name, sizeof name, "k%d", i);
		k = store_find(st, name);
		found += k != NULL && key_total(k, &of) == i;
	}
	CHECK(found == 99998 && store_count(st) == 100000,
	    "100,000 keys stored and found (%d)", found);
	r = rec("one-too-many", 1, 0, 0);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_LIMIT, "max_keys is enforced");
	for (i = 0, k = store_next(st, NULL); k != NULL; k = store_next(st, k))
		i++;
	CHECK(i == 100000, "iteration visits every key once (%d)", i);
	store_remove(st, store_find(st, "k5"));
	CHECK(store_find(st, "k5") == NULL && store_count(st) == 99999,
	    "remove one key");
	CHECK(store_remove_all(st) == 99999 && store_count(st) == 0 &&
	    store_find(st, "p") == NULL, "remove all keys");
	store_free(st);
	return t_failed;
}
