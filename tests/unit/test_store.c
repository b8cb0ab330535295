/* Unit tests of the key store: parts, duplicates, conflicts, limits,
 * growth, the walk of "keys", keyed hashing, names, the changed list. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "siphash.h"
#include "t.h"
#include "util.h"

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

/* The hash of the store before it was keyed: FNV-1a, folded. */
static size_t
fnv1a(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

static void
count_key(struct key *k, void *arg)
{
	(*(long *)arg)++;
}

/* SipHash-2-4 of the paper's test: key 00..0f, message 00..0e. */
static void
test_siphash(void)
{
	uint8_t		key[16], msg[15];
	int		i;

	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	CHECK(siphash(key, msg, 15, 2, 4) == 0xa129ca6149be45e5ULL,
	    "SipHash-2-4 matches the published test vector");
}

/*
 * Keys an attacker picks to collide under an unkeyed hash (here the
 * FNV-1a ipcd once used: all land in one of 4096 buckets) must spread
 * over the keyed table: a chain of thousands would make every lookup
 * walk it.
 */
static void
test_collisions(void)
{
	struct store	*st = store_new(100000);
	struct record	 r;
	char		 name[32];
	unsigned	 i, n = 0;
	int		 c;

	for (i = 0; n < 3000; i++) {
		snprintf(name, sizeof name, "c%u", i);
		if ((fnv1a(name) & 4095) != 7)
			continue;
		r = rec(name, 1, 0, 0);
		store_apply(st, &r, &c, NULL);
		n++;
	}
	CHECK(store_longest_chain(st) < 16, "3,000 keys that collide under "
	    "FNV-1a spread out (longest chain %zu)", store_longest_chain(st));
	store_free(st);
}

/* What one bitmap, the bitmaps together and N may cost is bounded. */
static void
test_part_limits(void)
{
	struct store	*st = store_new(100000);
	struct record	 r;
	char		 name[32];
	int		 c, i, ok = 0, mem = 0;

	store_set_part_limits(st, 100000, 1 << 20);
	r = rec("big", 1, 1, 100001);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_PARTS &&
	    store_find(st, "big") == NULL, "N above max_parts is refused");
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof name, "p%d", i);
		r = rec(name, 1, 1, 100000);
		switch (store_apply(st, &r, &c, NULL)) {
		case APPLY_OK: ok++; break;
		case APPLY_PARTS_MEMORY: mem++; break;
		default: break;
		}
	}
	CHECK(ok == 83 && mem == 117 && store_parts_bytes(st) <= 1 << 20,
	    "bitmaps stop at parts_memory (%d taken, %d refused, %zu bytes)",
	    ok, mem, store_parts_bytes(st));
	r = rec("plain", 1, 0, 0);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_OK,
	    "plain keys still work at the budget");
	store_remove(st, store_find(st, "p0"));
	r = rec("again", 1, 1, 100000);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_OK,
	    "removing a key gives its bitmap back");
	store_free(st);
}

/* A key holds a name of any length up to IPCD_KEY_MAX whole, and is on
 * the changed list once however often it is marked, until taken or
 * removed. */
static void
test_names_changed(void)
{
	struct store	*st = store_new(1000);
	struct key	*k, *a, *b;
	char		 name[IPCD_KEY_MAX + 1];
	int		 len, ok = 1;

	for (len = 1; len <= IPCD_KEY_MAX; len++) {
		memset(name, 'a' + len % 26, (size_t)len);
		name[len] = '\0';
		if ((k = store_insert(st, name)) == NULL ||
		    store_find(st, name) != k || strcmp(k->name, name) != 0)
			ok = 0;
	}
	CHECK(ok && store_count(st) == IPCD_KEY_MAX,
	    "names of 1 to %d characters kept whole", IPCD_KEY_MAX);
	a = store_find(st, "cc");
	b = store_find(st, "ddd");
	CHECK(a != NULL && b != NULL, "cc and ddd found");
	store_mark(st, a);
	store_mark(st, b);
	store_mark(st, a);
	CHECK(store_take_changed(st) == a && store_take_changed(st) == b &&
	    store_take_changed(st) == NULL, "marked twice, listed once, in order");
	store_mark(st, a);
	CHECK(store_take_changed(st) == a && store_take_changed(st) == NULL,
	    "a key taken off the list can be marked again");
	store_mark(st, a);
	store_mark(st, b);
	store_remove(st, a);
	CHECK(store_take_changed(st) == b && store_take_changed(st) == NULL,
	    "a removed key leaves the list");
	store_free(st);
}

/*
 * The changed list through many marks and removals: every key marked and
 * not removed comes off once, in the order it was first marked, however
 * the list was squeezed and grown on the way.
 */
static void
test_changed_many(void)
{
	struct store	*st = store_new(100000);
	struct key	*k[5000], *t;
	char		 name[32];
	int		 i, next = 0, ok = 1, n = 0;

	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "m%d", i);
		k[i] = store_insert(st, name);
	}
	for (i = 0; i < 3000; i++)
		store_mark(st, k[i]);
	for (i = 0; i < 3000; i += 3)
		store_remove(st, k[i]);
	for (i = 0; i < 100; i++)	/* some taken off: 1, 2, 4, 5, ... */
		if ((t = store_take_changed(st)) != k[next + 1 + next / 2] ||
		    t->mark != 0)
			ok = 0;
		else
			next++;
	for (i = 3000; i < 5000; i++)	/* squeezes, then grows */
		store_mark(st, k[i]);
	for (i = 150; i < 3000; i++)
		if (i % 3 != 0)
			store_mark(st, k[i]);	/* already on: no effect */
	for (i = 3000; i < 5000; i += 7)
		store_remove(st, k[i]);
	for (i = 150; i < 5000; i++) {
		if (i < 3000 ? i % 3 == 0 : (i - 3000) % 7 == 0)
			continue;
		if (store_take_changed(st) != k[i])
			ok = 0;
		n++;
	}
	CHECK(ok && store_take_changed(st) == NULL && n == 1900 + 1714,
	    "changed keys come off once each, in order, through removals "
	    "and growth (%d)", n);
	store_free(st);
}

/*
 * The cursor walk while the table doubles between calls: every key there
 * from the start is visited once (counted in its duplicates, unused
 * here), none twice.
 */
static void
count_dup(struct key *k, void *arg)
{
	k->duplicates++;
}

static void
test_scan_growth(void)
{
	struct store	*st = store_new(1000000);
	struct key	*k;
	char		 name[32];
	uint64_t	 cursor = 0;
	int		 i, calls = 0, once = 0, more = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "s%d", i);
		store_insert(st, name);
	}
	do {
		cursor = store_scan(st, cursor, count_dup, NULL);
		/* Grow eightfold during the walk, a little at each call. */
		for (i = 0; i < 7000 / 64 && calls < 64; i++) {
			snprintf(name, sizeof name, "g%d", calls * 1000 + i);
			store_insert(st, name);
		}
		calls++;
	} while (cursor != 0);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "s%d", i);
		k = store_find(st, name);
		once += k->duplicates == 1;
		more += k->duplicates > 1;
	}
	CHECK(once == 1000 && more == 0 && store_count(st) > 7000,
	    "a walk while the table grows to %zu keys visits each of the "
	    "first 1,000 once (%d once, %d twice or more)", store_count(st),
	    once, more);
	store_free(st);
}

/* A key staged in a store of its own (a spool file) merges into the
 * store under its own hash, not the staging store's. */
static void
test_merge_hash(void)
{
	struct store	*st = store_new(1000), *stage = store_new(1000);
	struct record	 r = rec("spooled", 2, 0, 0);
	struct key	*k, *got = NULL;
	int		 c, of;

	store_apply(stage, &r, &c, &k);
	CHECK(store_merge(st, k, &got) == APPLY_OK &&
	    store_find(st, "spooled") == got && got != NULL &&
	    key_total(got, &of) == 2 && store_insert(st, "spooled") == NULL,
	    "a merged key is found in the store it was merged into");
	store_free(stage);
	store_free(st);
}

/* same_bytes, the compare of the last key found, answers as memcmp for
 * every length up to a key field's, whichever byte differs. */
static void
test_same_bytes(void)
{
	char	a[IPCD_KEY_MAX + 1], b[IPCD_KEY_MAX + 1];
	size_t	n, p, wrong = 0;

	for (n = 0; n <= sizeof a; n++)
		for (p = 0; p <= sizeof a; p++) {
			memset(a, 'k', sizeof a);
			memset(b, 'k', sizeof b);
			if (p < sizeof a)
				b[p] = (char)(p % 2 ? 0 : 0x80 + p);
			wrong += same_bytes(a, b, n) != (memcmp(a, b, n) == 0);
		}
	CHECK(wrong == 0, "same_bytes answers as memcmp (%zu differ)", wrong);
}

/* Records in runs and out of them, of names that are prefixes of each
 * other, their fields filled past the name with junk: each lands on its
 * own key, as a lookup by hash would find it; a removed key is never the
 * last one found again. */
static void
test_last_key(void)
{
	static const char *names[] = { "abc", "abcd", "ab", "abc", "a",
	    "abcdefgh", "abcdefg", "abcdefghi", "abcdefgh", "ab", "abc",
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    "012345678901234567890123456789012345678901234567890123456789012",
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    "abcdefghi", "abcdefghi", "a", "a", "ab" };
	struct store	*st = store_new(1000);
	struct record	 r;
	struct key	*k;
	size_t		 i, j, want, wrong = 0;
	int		 c, of;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		r = rec(names[i], 1, 0, 0);
		memset(r.key + strlen(names[i]) + 1, i % 2 ? 'b' : 0xff,
		    sizeof r.key - strlen(names[i]) - 1);
		if (store_apply(st, &r, &c, &k) != APPLY_OK ||
		    strcmp(k->name, names[i]) != 0)
			wrong++;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (want = 0, j = 0; j < sizeof names / sizeof names[0]; j++)
			want += strcmp(names[i], names[j]) == 0;
		k = store_find(st, names[i]);
		if (k == NULL || key_total(k, &of) != (double)want)
			wrong++;
	}
	CHECK(wrong == 0 && store_count(st) == 9, "records of prefix names "
	    "each reach their own key (%zu wrong)", wrong);
	r = rec("ab", 1, 0, 0);
	store_apply(st, &r, &c, &k);
	store_remove(st, k);
	CHECK(store_apply(st, &r, &c, &k) == APPLY_OK &&
	    key_total(k, &of) == 1 && store_find(st, "ab") == k,
	    "a key removed after a run comes back new");
	store_remove_all(st);
	CHECK(store_apply(st, &r, &c, &k) == APPLY_OK &&
	    key_total(k, &of) == 1 && store_count(st) == 1,
	    "after removing all keys, too");
	store_free(st);
}

int
main(void)
{
	struct store	*st = store_new(100000);
	struct record	 r;
	struct key	*k;
	char		 buf[64], name[32];
	int		 c, of, i, found;
	long		 seen;
	uint64_t	 cursor;
	enum apply	 a;

	test_siphash();
	test_collisions();
	test_part_limits();
	test_names_changed();
	test_changed_many();
	test_scan_growth();
	test_merge_hash();
	test_same_bytes();
	test_last_key();
	r = rec("p", 0.5, 2, 4);
	CHECK(store_apply(st, &r, &c, NULL) == APPLY_OK && !c, "part 2/4 applied");
	CHECK(store_apply(st, &r, &c, &k) == APPLY_DUPLICATE &&
	    k == store_find(st, "p"), "part 2/4 again is a duplicate, of p");
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
	CHECK(!key_complete(k), "not complete at 3/4");
	r = rec("p", 0.125, 3, 4);
	a = store_apply(st, &r, &c, NULL);
	CHECK(a == APPLY_OK && c && key_complete(k) &&
	    key_total(k, &of) == 1, "4/4 completes, total 1");
	CHECK(k->min == 0.125 && k->max == 0.5, "min and max");

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
	for (seen = 0, cursor = store_scan(st, 0, count_key, &seen);
	    cursor != 0; cursor = store_scan(st, cursor, count_key, &seen))
		;
	CHECK(seen == 100000, "the cursor walk visits every key once (%ld)",
	    seen);
	store_remove(st, store_find(st, "k5"));
	CHECK(store_find(st, "k5") == NULL && store_count(st) == 99999,
	    "remove one key");
	CHECK(store_remove_all(st) == 99999 && store_count(st) == 0 &&
	    store_find(st, "p") == NULL, "remove all keys");
	store_free(st);
	return t_failed;
}
