/* Exact summation of doubles; see accum.h. */

#include <math.h>
#include <string.h>

#include "accum.h"

#define DIGIT_BITS	32
#define DIGIT_MASK	0xffffffffLL
/* A limb holds a digit below 2^32 after normalization and gains less than
 * 2^32 per addition: normalizing every 2^30 additions keeps it in int64. */
#ifndef ACCUM_NORMALIZE_EVERY		/* the unit tests make it small */
#define ACCUM_NORMALIZE_EVERY	(1U << 30)
#endif

void
accum_init(struct accum *a)
{
	memset(a, 0, sizeof *a);
}

/*
 * Propagate carries so that every limb but the last is a digit in
 * [0, 2^32); the last keeps the sign.  Relies on >> of a negative int64
 * being arithmetic, as it is with every compiler ipcd builds with.
 */
static void
normalize(int64_t *limb)
{
	int64_t	carry = 0, v;
	int	i;

	for (i = 0; i < ACCUM_LIMBS - 1; i++) {
		v = limb[i] + carry;
		limb[i] = v & DIGIT_MASK;
		carry = v >> DIGIT_BITS;
	}
	limb[ACCUM_LIMBS - 1] += carry;
}

/* Carries propagated in place: the form the state file stores. */
void
accum_normalize(struct accum *a)
{
	normalize(a->limb);
	a->unnormalized = 0;
}

/* Is A in normalized form, with room for 2^64 more additions?  What a
 * loaded state file must satisfy before its digits are trusted. */
int
accum_valid(const struct accum *a)
{
	int	i;

	if (a->unnormalized != 0)
		return 0;
	for (i = 0; i < ACCUM_LIMBS - 1; i++)
		if (a->limb[i] < 0 || a->limb[i] > DIGIT_MASK)
			return 0;
	return a->limb[ACCUM_LIMBS - 1] > -(1LL << 31) &&
	    a->limb[ACCUM_LIMBS - 1] < (1LL << 31);
}

void
accum_add(struct accum *a, double d)
{
	union { double d; uint64_t u; } x = { .d = d };
	uint64_t	 mant = x.u & ((1ULL << 52) - 1);
	unsigned	 biased = (unsigned)(x.u >> 52) & 0x7ff, shift, i;
	unsigned __int128 w;
	int64_t		 d0, d1, d2;

	a->count++;
	if (!(d == 0 && signbit(d)))
		a->nonnegzero = 1;
	if (biased == 0)			/* zero or subnormal: mant * 2^-1074 */
		shift = 0;
	else {					/* (2^52 + mant) * 2^(biased - 1075) */
		mant |= 1ULL << 52;
		shift = biased - 1;
	}
	if (mant == 0)
		return;

	/* mant << shift spans at most three digits. */
	i = shift / DIGIT_BITS;
	w = (unsigned __int128)mant << (shift % DIGIT_BITS);
	d0 = (int64_t)(w & DIGIT_MASK);
	d1 = (int64_t)((w >> 32) & DIGIT_MASK);
	d2 = (int64_t)(w >> 64);
	if (signbit(d)) {
		d0 = -d0;
		d1 = -d1;
		d2 = -d2;
	}
	a->limb[i] += d0;
	a->limb[i + 1] += d1;
	a->limb[i + 2] += d2;

	if (++a->unnormalized == ACCUM_NORMALIZE_EVERY) {
		normalize(a->limb);
		a->unnormalized = 0;
	}
}

/* The 64 bits of the magnitude starting at bit lo (lo >= 0). */
static uint64_t
bits_at(const int64_t *limb, unsigned lo)
{
	unsigned __int128 w = 0;
	unsigned	  i = lo / DIGIT_BITS, k;

	for (k = 0; k < 3 && i + k < ACCUM_LIMBS; k++)
		w |= (unsigned __int128)(uint64_t)limb[i + k] << (32 * k);
	return (uint64_t)(w >> (lo % DIGIT_BITS));
}

/* Is any bit of the magnitude below bit hi set? */
static int
any_below(const int64_t *limb, unsigned hi)
{
	unsigned	i;

	for (i = 0; i < hi / DIGIT_BITS; i++)
		if (limb[i] != 0)
			return 1;
	return hi % DIGIT_BITS != 0 &&
	    ((uint64_t)limb[i] & ((1ULL << (hi % DIGIT_BITS)) - 1)) != 0;
}

/*
 * The sum rounded once to the nearest double, ties to even.  *overflow is
 * set when the exact sum lies beyond the largest double (the result is
 * then +-HUGE_VAL).  An exact zero is -0 only if every addend was -0, as
 * IEEE 754 addition would give.
 */
double
accum_value(const struct accum *a, int *overflow)
{
	int64_t		limb[ACCUM_LIMBS];
	uint64_t	mant;
	unsigned	top, msb, shift;
	int		neg, i;
	double		r;

	*overflow = 0;
	memcpy(limb, a->limb, sizeof limb);
	normalize(limb);
	neg = limb[ACCUM_LIMBS - 1] < 0;
	if (neg) {
		for (i = 0; i < ACCUM_LIMBS; i++)
			limb[i] = -limb[i];
		normalize(limb);
	}
	for (i = ACCUM_LIMBS - 1; i >= 0 && limb[i] == 0; i--)
		;
	if (i < 0)
		return a->count > 0 && !a->nonnegzero ? -0.0 : 0.0;
	top = (unsigned)i;
	msb = top * DIGIT_BITS + 63 - (unsigned)__builtin_clzll((uint64_t)limb[top]);

	if (msb < 53)				/* exact: subnormal or small */
		r = ldexp((double)bits_at(limb, 0), -1074);
	else {
		shift = msb - 52;
		mant = bits_at(limb, shift) & ((1ULL << 53) - 1);
		if ((bits_at(limb, shift - 1) & 1) &&
		    ((mant & 1) || any_below(limb, shift - 1)))
			mant++;			/* may become 2^53: still exact */
		r = ldexp((double)mant, (int)shift - 1074);
		if (isinf(r))
			*overflow = 1;
	}
	return neg ? -r : r;
}
