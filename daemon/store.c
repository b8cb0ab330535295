/*
 * The key store: a chained hash table of keys that doubles as it fills, so
 * a lookup stays O(1) however many keys there are.  The hash is keyed with
 * a random key drawn at start, so nobody can choose keys that collide.
 * What a client can make the store allocate is bounded: limits.max_keys
 * keys, and part bitmaps of at most limits.max_parts bits each and
 * limits.parts_memory bytes in all.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "daemon.h"
#include "log.h"
#include "siphash.h"
#include "util.h"
#include "xmalloc.h"

#define STORE_MIN_BUCKETS	64

struct store {
	struct key		**bucket;
	size_t			  nbuckets;	/* a power of two */
	size_t			  count;
	size_t			  limit;
	uint32_t		  max_parts;
	size_t			  parts_budget;	/* bytes of bitmaps allowed */
	size_t			  parts_bytes;	/* bytes of bitmaps held */
	uint8_t			  hkey[SIPHASH_KEY_LEN];
	struct key		**changed;	/* to journal; NULL: removed */
	size_t			  nchanged;	/* places used */
	size_t			  taken;	/* places taken off */
	size_t			  changed_cap;
	struct key		 *last;		/* the last key found */
	size_t			  last_len;	/* the length of its name */
};

static uint64_t
bitrev64(uint64_t v)
{
	uint64_t	r = 0;
	int		i;

	for (i = 0; i < 64; i++, v >>= 1)
		r = (r << 1) | (v & 1);
	return r;
}

/* 32 bits, kept in each key: the table indexes with its low bits and
 * has far fewer than 2^32 buckets (limits.max_keys is at most 10^8). */
static uint32_t
hash(const struct store *st, const char *s, size_t len)
{
	return (uint32_t)siphash13(st->hkey, s, len);
}

struct store *
store_new(size_t limit)
{
	struct store	*st = xcalloc(1, sizeof *st);

	st->nbuckets = STORE_MIN_BUCKETS;
	st->bucket = xcalloc(st->nbuckets, sizeof *st->bucket);
	st->limit = limit;
	st->max_parts = IPCD_PARTS_MAX;
	st->parts_budget = SIZE_MAX;
	if (getrandom(st->hkey, sizeof st->hkey, 0) != sizeof st->hkey)
		fatal("getrandom");
	return st;
}

/* The bytes of a bitmap of N parts. */
static size_t
parts_bytes(uint32_t n)
{
	return ((size_t)n + 7) / 8;
}

static void
key_free(struct store *st, struct key *k)
{
	accum_free(&k->acc);
	if (k->seen != NULL)
		st->parts_bytes -= parts_bytes(k->nparts);
	free(k->seen);
	free(k);
}

/* Make K a key of N parts with none received yet; the state loader comes
 * here too, so the bitmaps it loads are counted. */
void
key_set_parts(struct store *st, struct key *k, uint32_t n)
{
	k->nparts = n;
	k->seen = xcalloc(parts_bytes(n), 1);
	st->parts_bytes += parts_bytes(n);
}

void
store_free(struct store *st)
{
	store_remove_all(st);
	free(st->changed);
	free(st->bucket);
	free(st);
}

void
store_set_limit(struct store *st, size_t limit)
{
	st->limit = limit;
}

void
store_set_part_limits(struct store *st, uint32_t max_parts, size_t budget)
{
	st->max_parts = max_parts;
	st->parts_budget = budget;
}

size_t
store_parts_bytes(const struct store *st)
{
	return st->parts_bytes;
}

/* The key NAME of LEN characters, whose hash is H, or NULL.  A key of
 * another hash is passed by without reading its name. */
static struct key *
find(struct store *st, const char *name, size_t len, uint32_t h)
{
	struct key	*k;

	for (k = st->bucket[h & (st->nbuckets - 1)]; k != NULL; k = k->next)
		if (k->hash == h && strcmp(k->name, name) == 0) {
			st->last_len = len;
			return st->last = k;
		}
	return NULL;
}

/* The key NAME, or NULL with *LEN and *H set for key_create().  FIELD:
 * NAME is a record's key field, whose IPCD_KEY_MAX + 1 bytes may all be
 * read, so the last key found is compared without a call. */
static struct key *
lookup(struct store *st, const char *name, int field, size_t *len,
    uint32_t *h)
{
	/* Submissions come in runs to one key: skip the hash for those. */
	if (st->last != NULL && (field ? same_bytes(st->last->name, name,
	    st->last_len + 1) : strcmp(st->last->name, name) == 0))
		return st->last;
	*len = strlen(name);
	*h = hash(st, name, *len);
	return find(st, name, *len, *h);
}

struct key *
store_find(struct store *st, const char *name)
{
	size_t		len;
	uint32_t	h;

	return lookup(st, name, 0, &len, &h);
}

/* Double the table; each key's hash is kept, so no name is read. */
static void
grow(struct store *st)
{
	struct key	**nb, *k, *next;
	size_t		  n = st->nbuckets * 2, i, h;

	nb = xcalloc(n, sizeof *nb);
	for (i = 0; i < st->nbuckets; i++)
		for (k = st->bucket[i]; k != NULL; k = next) {
			next = k->next;
			h = k->hash & (n - 1);
			k->next = nb[h];
			nb[h] = k;
		}
	free(st->bucket);
	st->bucket = nb;
	st->nbuckets = n;
}

size_t
store_limit(const struct store *st)
{
	return st->limit;
}

/* A key takes the bytes of its name, not of the longest name: with a
 * million keys that is the difference between 180 and 260 bytes each. */
static struct key *
key_create(struct store *st, const char *name, size_t len, uint32_t hv)
{
	struct key	*k = xcalloc(1, offsetof(struct key, name) + len + 1);
	size_t		 h;

	memcpy(k->name, name, len + 1);
	k->hash = hv;
	accum_init(&k->acc);
	if (st->count >= st->nbuckets)
		grow(st);
	h = hv & (st->nbuckets - 1);
	k->next = st->bucket[h];
	st->bucket[h] = k;
	st->count++;
	return k;
}

/* A new empty key, whatever the limit, for the state loader to fill;
 * NULL if it exists. */
struct key *
store_insert(struct store *st, const char *name)
{
	size_t		len = strlen(name);
	uint32_t	h = hash(st, name, len);

	if (find(st, name, len, h) != NULL)
		return NULL;
	return key_create(st, name, len, h);
}

/* May a key of no parts yet take parts of N?  APPLY_OK or the limit. */
static enum apply
parts_allowed(const struct store *st, uint32_t n)
{
	if (n > st->max_parts)
		return APPLY_PARTS;
	if (st->parts_bytes > st->parts_budget ||
	    parts_bytes(n) > st->parts_budget - st->parts_bytes)
		return APPLY_PARTS_MEMORY;
	return APPLY_OK;
}

/* Is R acceptable to K as it is (nothing changed yet)? */
static enum apply
check_parts(struct store *st, struct key *k, const struct record *r)
{
	enum apply	a;

	if (r->nparts == 0)
		return k->nparts != 0 ? APPLY_CONFLICT : APPLY_OK;
	if (k->nparts == 0 && k->acc.count == 0) {
		if ((a = parts_allowed(st, r->nparts)) != APPLY_OK)
			return a;
		key_set_parts(st, k, r->nparts);
	}
	if (k->nparts != r->nparts)
		return APPLY_CONFLICT;
	if (k->seen[(r->part - 1) / 8] & (1 << ((r->part - 1) % 8))) {
		k->duplicates++;
		return APPLY_DUPLICATE;
	}
	return APPLY_OK;
}

/*
 * Apply one validated record.  A part is applied at most once; the first
 * parted record of a key fixes its N.  *completed is set when this record
 * brought in the key's last missing part.  *applied is the key, for
 * APPLY_OK and APPLY_DUPLICATE.
 */
enum apply
store_apply(struct store *st, const struct record *r, int *completed,
    struct key **applied)
{
	struct key	*k;
	enum apply	 a;
	int		 created = 0;
	size_t		 len;
	uint32_t	 h;

	*completed = 0;
	_Static_assert(sizeof r->key == IPCD_KEY_MAX + 1, "a key field");
	if ((k = lookup(st, r->key, 1, &len, &h)) == NULL) {
		if (st->count >= st->limit)
			return APPLY_LIMIT;
		if (r->nparts != 0 &&
		    (a = parts_allowed(st, r->nparts)) != APPLY_OK)
			return a;
		k = key_create(st, r->key, len, h);
		created = 1;
	}
	if ((a = check_parts(st, k, r)) != APPLY_OK) {
		if (created)
			store_remove(st, k);
		if (a == APPLY_DUPLICATE && applied != NULL)
			*applied = k;
		return a;
	}
	key_add(k, r->value);
	if (r->nparts != 0) {
		k->seen[(r->part - 1) / 8] |= (uint8_t)(1 << ((r->part - 1) % 8));
		k->received++;
		*completed = k->received == k->nparts;
	}
	if (applied != NULL)
		*applied = k;
	return APPLY_OK;
}

/*
 * Add the whole of STAGED, an unparted key as the records of a spool file
 * made it in a store of their own, to its key in ST: the same as applying
 * those records one by one.  *applied is the key, for APPLY_OK.
 */
enum apply
store_merge(struct store *st, const struct key *staged, struct key **applied)
{
	struct key	*k;
	int		 first;
	size_t		 len;
	uint32_t	 h;

	if ((k = lookup(st, staged->name, 0, &len, &h)) == NULL) {
		if (st->count >= st->limit)
			return APPLY_LIMIT;
		k = key_create(st, staged->name, len, h);
	}
	if (k->nparts != 0 || staged->nparts != 0)
		return APPLY_CONFLICT;
	first = k->acc.count == 0;
	if (accum_merge(&k->acc, &staged->acc) != 0) {
		if (first)
			store_remove(st, k);
		return APPLY_LIMIT;
	}
	if (first || staged->min < k->min)
		k->min = staged->min;
	if (first || staged->max > k->max)
		k->max = staged->max;
	*applied = k;
	return APPLY_OK;
}

void
store_remove(struct store *st, struct key *k)
{
	struct key	**kp;

	for (kp = &st->bucket[k->hash & (st->nbuckets - 1)]; *kp != k;
	    kp = &(*kp)->next)
		;
	*kp = k->next;
	st->count--;
	if (k->mark != 0)
		st->changed[k->mark - 1] = NULL;
	if (st->last == k)
		st->last = NULL;
	key_free(st, k);
}

size_t
store_remove_all(struct store *st)
{
	struct key	*k, *next;
	size_t		 i, n = st->count;

	for (i = 0; i < st->nbuckets; i++) {
		for (k = st->bucket[i]; k != NULL; k = next) {
			next = k->next;
			key_free(st, k);
		}
		st->bucket[i] = NULL;
	}
	st->nchanged = st->taken = 0;
	st->last = NULL;
	st->count = 0;
	return n;
}

/*
 * The changed keys are an array in the order they were marked, each key
 * holding its place (k->mark): 4 bytes in a key rather than a list
 * entry's 16, and the journal reads them in a row.  A removed key leaves
 * NULL in its place.  When the array is full, the places taken or left
 * NULL are squeezed out first, so it is at most twice the keys on it.
 */
static void
changed_room(struct store *st)
{
	size_t	i, n = 0;

	for (i = st->taken; i < st->nchanged; i++)
		if (st->changed[i] != NULL) {
			st->changed[n] = st->changed[i];
			st->changed[n]->mark = (uint32_t)(n + 1);
			n++;
		}
	st->nchanged = n;
	st->taken = 0;
	if (n < st->changed_cap / 2)
		return;
	st->changed_cap = st->changed_cap ? st->changed_cap * 2 : 64;
	st->changed = xrealloc(st->changed,
	    st->changed_cap * sizeof *st->changed);
}

void
store_mark(struct store *st, struct key *k)
{
	if (k->mark != 0)
		return;
	if (st->nchanged == st->changed_cap)
		changed_room(st);
	st->changed[st->nchanged++] = k;
	k->mark = (uint32_t)st->nchanged;
}

struct key *
store_take_changed(struct store *st)
{
	struct key	*k;

	while (st->taken < st->nchanged)
		if ((k = st->changed[st->taken++]) != NULL) {
			k->mark = 0;
			return k;
		}
	st->nchanged = st->taken = 0;
	return NULL;
}

size_t
store_count(const struct store *st)
{
	return st->count;
}

/* Iterate: store_next(st, NULL) is the first key, NULL after the last.
 * Order is the table's, stable while no key is added or removed. */
struct key *
store_next(struct store *st, struct key *k)
{
	size_t	i = 0;

	if (k != NULL) {
		if (k->next != NULL)
			return k->next;
		i = (k->hash & (st->nbuckets - 1)) + 1;
	}
	for (; i < st->nbuckets; i++)
		if (st->bucket[i] != NULL)
			return st->bucket[i];
	return NULL;
}

/*
 * Visit the keys of the bucket CURSOR names and return the cursor of the
 * next, 0 after the last.  The cursor counts in bit-reversed order, so a
 * table that doubles between two calls is still walked whole: every key
 * present throughout a walk is visited, and none twice.  Any cursor a
 * client sends is safe.
 */
uint64_t
store_scan(struct store *st, uint64_t cursor, void (*fn)(struct key *, void *),
    void *arg)
{
	uint64_t	 mask = st->nbuckets - 1;
	struct key	*k;

	for (k = st->bucket[cursor & mask]; k != NULL; k = k->next)
		fn(k, arg);
	cursor |= ~mask;
	cursor = bitrev64(cursor);
	cursor++;
	return bitrev64(cursor);
}

/* The longest hash chain, for the test that colliding keys are spread. */
size_t
store_longest_chain(const struct store *st)
{
	struct key	*k;
	size_t		 i, n, most = 0;

	for (i = 0; i < st->nbuckets; i++) {
		for (n = 0, k = st->bucket[i]; k != NULL; k = k->next)
			n++;
		if (n > most)
			most = n;
	}
	return most;
}

double
key_total(const struct key *k, int *overflow)
{
	return accum_value(&k->acc, overflow);
}

/* The parts marked in K's bitmap (the state loader checks it against
 * k->received). */
uint32_t
key_count_parts(const struct key *k)
{
	uint32_t	i, n = 0;

	for (i = 0; i < (k->nparts + 7) / 8; i++)
		n += (uint32_t)__builtin_popcount(k->seen[i]);
	return n;
}

int
key_complete(const struct key *k)
{
	return k->nparts != 0 && k->received == k->nparts;
}

/* The missing parts of K as ranges, "1,4-9", cut short with "..." when
 * they do not fit. */
void
key_missing(const struct key *k, char *buf, size_t size)
{
	uint32_t	i, j;
	size_t		len = 0;
	int		n;

	buf[0] = '\0';
	for (i = 1; i <= k->nparts; i = j + 1) {
		while (i <= k->nparts && (k->seen[(i - 1) / 8] & (1 << ((i - 1) % 8))))
			i++;
		if (i > k->nparts)
			break;
		for (j = i; j < k->nparts && !(k->seen[j / 8] & (1 << (j % 8))); j++)
			;
		n = i == j ? snprintf(buf + len, size - len, "%s%u",
		    len ? "," : "", i) : snprintf(buf + len, size - len,
		    "%s%u-%u", len ? "," : "", i, j);
		if (n < 0 || (size_t)n >= size - len - 4) {
			buf[len] = '\0';
			strcat(buf, len ? ",..." : "...");
			return;
		}
		len += (size_t)n;
	}
}
