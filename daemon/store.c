/*
 * The key store: a chained hash table of keys that doubles as it fills, so
 * a lookup stays O(1) however many keys there are, and the list of clients
 * waiting for a key's parts.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcd.h"

#define STORE_MIN_BUCKETS	64

struct store {
	struct key		**bucket;
	size_t			  nbuckets;	/* a power of two */
	size_t			  count;
	size_t			  limit;
	TAILQ_HEAD(, waiter)	  waiters;
	TAILQ_HEAD(, key)	  changed;
	struct key		 *last;		/* the last key found */
};

/* FNV-1a: short keys, no adversary who gains from collisions but time. */
static size_t
hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

struct store *
store_new(size_t limit)
{
	struct store	*st;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	st->nbuckets = STORE_MIN_BUCKETS;
	if ((st->bucket = calloc(st->nbuckets, sizeof *st->bucket)) == NULL) {
		free(st);
		return NULL;
	}
	st->limit = limit;
	TAILQ_INIT(&st->waiters);
	TAILQ_INIT(&st->changed);
	return st;
}

static void
key_free(struct key *k)
{
	accum_free(&k->acc);
	free(k->seen);
	free(k);
}

void
store_free(struct store *st)
{
	store_remove_all(st);
	free(st->bucket);
	free(st);
}

void
store_set_limit(struct store *st, size_t limit)
{
	st->limit = limit;
}

struct key *
store_find(struct store *st, const char *name)
{
	struct key	*k;

	/* Submissions come in runs to one key: skip the hash for those. */
	if (st->last != NULL && strcmp(st->last->name, name) == 0)
		return st->last;
	for (k = st->bucket[hash(name) & (st->nbuckets - 1)]; k != NULL;
	    k = k->next)
		if (strcmp(k->name, name) == 0)
			return st->last = k;
	return NULL;
}

/* Double the table; on allocation failure keep the old, longer chains. */
static void
grow(struct store *st)
{
	struct key	**nb, *k, *next;
	size_t		  n = st->nbuckets * 2, i, h;

	if ((nb = calloc(n, sizeof *nb)) == NULL)
		return;
	for (i = 0; i < st->nbuckets; i++)
		for (k = st->bucket[i]; k != NULL; k = next) {
			next = k->next;
			h = hash(k->name) & (n - 1);
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

static struct key *
key_create(struct store *st, const char *name)
{
	struct key	*k;
	size_t		 h;

	if ((k = calloc(1, sizeof *k)) == NULL)
		return NULL;
	strcpy(k->name, name);
	accum_init(&k->acc);
	if (st->count >= st->nbuckets)
		grow(st);
	h = hash(name) & (st->nbuckets - 1);
	k->next = st->bucket[h];
	st->bucket[h] = k;
	st->count++;
	return k;
}

/* A new empty key, whatever the limit, for the state loader to fill;
 * NULL if it exists or memory ran out. */
struct key *
store_insert(struct store *st, const char *name)
{
	if (store_find(st, name) != NULL)
		return NULL;
	return key_create(st, name);
}

/* Wake those who wait for K's parts. */
static void
wake(struct store *st, const struct key *k)
{
	struct waiter	*w, *next;

	for (w = TAILQ_FIRST(&st->waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (strcmp(w->key, k->name) != 0)
			continue;
		TAILQ_REMOVE(&st->waiters, w, entry);
		w->done(w);
	}
}

/*
 * Apply one validated record.  A part is applied at most once; the first
 * parted record of a key fixes its N.  *completed is set when this record
 * brought in the key's last missing part.
 */
enum apply
store_apply(struct store *st, const struct record *r, int *completed,
    struct key **applied)
{
	struct key	*k;
	int		 created = 0, first;

	*completed = 0;
	if ((k = store_find(st, r->key)) == NULL) {
		if (st->count >= st->limit)
			return APPLY_LIMIT;
		if ((k = key_create(st, r->key)) == NULL)
			return APPLY_NOMEM;
		created = 1;
	}
	if (r->nparts != 0) {
		if (k->nparts == 0 && k->acc.count == 0) {
			if ((k->seen = calloc((r->nparts + 7) / 8, 1)) == NULL) {
				if (created)
					store_remove(st, k);
				return APPLY_NOMEM;
			}
			k->nparts = r->nparts;
		}
		if (k->nparts != r->nparts)
			return APPLY_CONFLICT;
		if (k->seen[(r->part - 1) / 8] & (1 << ((r->part - 1) % 8))) {
			k->duplicates++;
			if (applied != NULL)
				*applied = k;
			return APPLY_DUPLICATE;
		}
	} else if (k->nparts != 0)
		return APPLY_CONFLICT;

	/* The accumulator first: it is all that can fail from here. */
	first = k->acc.count == 0;
	if (accum_add(&k->acc, r->value) != 0) {
		if (created)
			store_remove(st, k);
		return APPLY_NOMEM;
	}
	if (first || r->value < k->min)
		k->min = r->value;
	if (first || r->value > k->max)
		k->max = r->value;
	if (r->nparts != 0) {
		k->seen[(r->part - 1) / 8] |= (uint8_t)(1 << ((r->part - 1) % 8));
		k->received++;
	}
	if (applied != NULL)
		*applied = k;
	if (k->nparts != 0 && k->received == k->nparts) {
		*completed = 1;
		wake(st, k);
	}
	return APPLY_OK;
}

void
store_remove(struct store *st, struct key *k)
{
	struct key	**kp;

	for (kp = &st->bucket[hash(k->name) & (st->nbuckets - 1)]; *kp != k;
	    kp = &(*kp)->next)
		;
	*kp = k->next;
	st->count--;
	if (k->changed)
		TAILQ_REMOVE(&st->changed, k, dentry);
	if (st->last == k)
		st->last = NULL;
	key_free(k);
}

size_t
store_remove_all(struct store *st)
{
	struct key	*k, *next;
	size_t		 i, n = st->count;

	for (i = 0; i < st->nbuckets; i++) {
		for (k = st->bucket[i]; k != NULL; k = next) {
			next = k->next;
			key_free(k);
		}
		st->bucket[i] = NULL;
	}
	TAILQ_INIT(&st->changed);
	st->last = NULL;
	st->count = 0;
	return n;
}

void
store_mark(struct store *st, struct key *k)
{
	if (!k->changed) {
		TAILQ_INSERT_TAIL(&st->changed, k, dentry);
		k->changed = 1;
	}
}

struct key *
store_take_changed(struct store *st)
{
	struct key	*k;

	if ((k = TAILQ_FIRST(&st->changed)) != NULL) {
		TAILQ_REMOVE(&st->changed, k, dentry);
		k->changed = 0;
	}
	return k;
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
		i = (hash(k->name) & (st->nbuckets - 1)) + 1;
	}
	for (; i < st->nbuckets; i++)
		if (st->bucket[i] != NULL)
			return st->bucket[i];
	return NULL;
}

/* Call w->done once the key W names has all its parts (at once if so). */
void
store_wait(struct store *st, struct waiter *w)
{
	struct key	*k = store_find(st, w->key);

	if (k != NULL && key_complete(k)) {
		w->done(w);
		return;
	}
	TAILQ_INSERT_TAIL(&st->waiters, w, entry);
}

void
store_unwait(struct store *st, struct waiter *w)
{
	TAILQ_REMOVE(&st->waiters, w, entry);
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
