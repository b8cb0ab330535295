/*
 * An exact accumulator of doubles.
 *
 * Every finite double is an integer multiple of 2^-1074, so the sum of any
 * number of them is an integer N times 2^-1074.  accum keeps N exactly, as
 * signed base-2^32 digits in int64 limbs (carries are deferred), and rounds
 * it to a double once, when asked.  The result is therefore independent of
 * the order of the additions.
 */
#ifndef IPCD_ACCUM_H
#define IPCD_ACCUM_H

#include <stdint.h>

/* 2098 bits reach DBL_MAX; 64 more absorb 2^64 additions: 68 digits. */
#define ACCUM_LIMBS	68

struct accum {
	int64_t		limb[ACCUM_LIMBS];
	uint64_t	count;		/* additions */
	uint32_t	unnormalized;	/* additions since the carries were last propagated */
	int		nonnegzero;	/* an addend other than -0 was seen */
};

void	accum_init(struct accum *);
void	accum_normalize(struct accum *);
int	accum_valid(const struct accum *);
void	accum_add(struct accum *, double);
double	accum_value(const struct accum *, int *);

#endif
