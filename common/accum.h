/*
 * An exact accumulator of doubles.
 *
 * Every finite double is an integer multiple of 2^-1074, so the sum of any
 * number of them is an integer N times 2^-1074.  accum keeps N exactly, as
 * signed base-2^32 digits in int64 limbs (carries are deferred), and rounds
 * it to a double once, when asked.  The result is therefore independent of
 * the order of the additions.
 *
 * All of N takes ACCUM_LIMBS limbs (544 bytes), but the values one key
 * receives usually span a few binary orders of magnitude, so a key starts
 * with a window of ACCUM_WINDOW limbs placed where its first value falls,
 * and moves to the whole array only when a value falls outside.  That
 * keeps 100,000 keys in a few tens of megabytes.
 */
#ifndef IPCD_ACCUM_H
#define IPCD_ACCUM_H

#include <stddef.h>
#include <stdint.h>

/* 2098 bits reach DBL_MAX; 64 more absorb 2^64 additions: 68 digits. */
#define ACCUM_LIMBS	68
#define ACCUM_WINDOW	8

struct accum {
	int64_t		 win[ACCUM_WINDOW];	/* limbs lo.., while full is NULL */
	int64_t		*full;		/* all ACCUM_LIMBS limbs, or NULL */
	uint64_t	 count;		/* additions */
	uint32_t	 unnormalized;	/* additions since the carries were last propagated */
	uint8_t		 lo;		/* limb of win[0]; ACCUM_NOWHERE: none yet */
	uint8_t		 nonnegzero;	/* an addend other than -0 was seen */
};

void	accum_init(struct accum *);
void	accum_free(struct accum *);
/* 0, or -1 (out of memory) with A unchanged. */
void	accum_add(struct accum *, double);
double	accum_value(const struct accum *, int *);
/* Add the sum and the count of B to A, as if A had had B's additions;
 * -1 (A unchanged) only past 2^64 additions in all. */
int	accum_merge(struct accum *, const struct accum *);
/* The whole of N, normalized: every limb but the last in [0, 2^32), the
 * last keeping the sign.  What the state file stores. */
void	accum_export(const struct accum *, int64_t[ACCUM_LIMBS]);
/* Set A (initialized, empty) from normalized limbs as accum_export gives;
 * -1 with errno EINVAL if they are not, or ENOMEM. */
int	accum_import(struct accum *, const int64_t[ACCUM_LIMBS], uint64_t, int);
/* N in as few bytes as its digits need (at most ACCUM_ENCODED_MAX), and
 * back: decode is import of what encode wrote, -1 on anything else. */
#define ACCUM_ENCODED_MAX	(2 + 8 * ACCUM_LIMBS)
size_t	accum_encode(const struct accum *, unsigned char *);
int	accum_decode(struct accum *, const unsigned char *, size_t, uint64_t,
	    int);

#endif
