/* Exact summation of doubles; see accum.h. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accum.h"
#include "xmalloc.h"

#define DIGIT_BITS	32
#define DIGIT_MASK	0xffffffffLL
/* A limb holds a digit below 2^32 after normalization and gains less than
 * 2^32 per addition: normalizing every 2^30 additions keeps it in int64. */
#ifndef ACCUM_NORMALIZE_EVERY		/* the unit tests make it small */
#define ACCUM_NORMALIZE_EVERY	(1U << 30)
#endif

#define ACCUM_NOWHERE	0xff
/* A window takes a value whose lowest digit is at most WIN_TOP above its
 * first limb: two limbs stay above the value's three digits, room for the
 * carries of 2^64 additions, so the window's last limb never overflows. */
#define WIN_TOP		(ACCUM_WINDOW - 5)
#define WIN_LO_MAX	(ACCUM_LIMBS - ACCUM_WINDOW)

void
accum_init(struct accum *a)
{
	memset(a, 0, sizeof *a);
	a->lo = ACCUM_NOWHERE;
}

void
accum_free(struct accum *a)
{
	free(a->full);
	a->full = NULL;
}

/*
 * Propagate carries so that every limb but the last is a digit in
 * [0, 2^32); the last keeps the sign.  Relies on >> of a negative int64
 * being arithmetic, as it is with every compiler ipcd builds with.  The
 * value is unchanged, so this works on a window as on the whole.
 */
static void
normalize(int64_t *limb, int n)
{
	int64_t	carry = 0, v;
	int	i;

	for (i = 0; i < n - 1; i++) {
		v = limb[i] + carry;
		limb[i] = v & DIGIT_MASK;
		carry = v >> DIGIT_BITS;
	}
	limb[n - 1] += carry;
}

void
accum_export(const struct accum *a, int64_t limb[ACCUM_LIMBS])
{
	if (a->full != NULL)
		memcpy(limb, a->full, ACCUM_LIMBS * sizeof *limb);
	else {
		memset(limb, 0, ACCUM_LIMBS * sizeof *limb);
		if (a->lo != ACCUM_NOWHERE)
			memcpy(limb + a->lo, a->win, sizeof a->win);
	}
	normalize(limb, ACCUM_LIMBS);
}

int
accum_merge(struct accum *a, const struct accum *b)
{
	int64_t	x[ACCUM_LIMBS], y[ACCUM_LIMBS];
	int	i;

	if (a->count + b->count < a->count)
		return -1;
	accum_export(a, x);
	accum_export(b, y);
	for (i = 0; i < ACCUM_LIMBS; i++)
		x[i] += y[i];	/* digits below 2^32: no overflow */
	normalize(x, ACCUM_LIMBS);
	return accum_import(a, x, a->count + b->count,
	    a->nonnegzero || b->nonnegzero);
}

/* Are these limbs in normalized form, with room for 2^64 more additions?
 * What a loaded state file must satisfy before its digits are trusted. */
static int
limbs_valid(const int64_t *limb)
{
	int	i;

	for (i = 0; i < ACCUM_LIMBS - 1; i++)
		if (limb[i] < 0 || limb[i] > DIGIT_MASK)
			return 0;
	return limb[ACCUM_LIMBS - 1] > -(1LL << 31) &&
	    limb[ACCUM_LIMBS - 1] < (1LL << 31);
}

/*
 * Fold N normalized limbs in place so that only the digits the value
 * needs are nonzero: a negative value is all ones up to the sign limb, and
 * each (-1, 2^32 - 1) pair at the top is the same value as (0, -1); the
 * last limb may end up a negative digit.  Sets the first and last nonzero
 * limb (first > last: zero).  normalize() undoes it.
 */
static void
fold(int64_t *limb, int n, int *first, int *last)
{
	int	j;

	for (j = n - 1; j > 0 && limb[j] == -1 &&
	    limb[j - 1] == DIGIT_MASK; j--) {
		limb[j] = 0;
		limb[j - 1] = -1;
	}
	/* And the -1 left on top into the digit below it, as d - 2^32
	 * (not for d = 0, which would need -2^32). */
	if (j > 0 && limb[j] == -1 && limb[j - 1] != 0) {
		limb[j] = 0;
		limb[j - 1] -= DIGIT_MASK + 1;
	}
	for (*first = 0; *first < n && limb[*first] == 0; (*first)++)
		;
	for (*last = n - 1; *last >= 0 && limb[*last] == 0; (*last)--)
		;
}

int
accum_import(struct accum *a, const int64_t in[ACCUM_LIMBS], uint64_t count,
    int nonnegzero)
{
	int64_t	limb[ACCUM_LIMBS];
	int	first, last;

	if (!limbs_valid(in)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(limb, in, sizeof limb);
	fold(limb, ACCUM_LIMBS, &first, &last);
	accum_free(a);
	accum_init(a);
	a->count = count;
	a->nonnegzero = nonnegzero != 0;
	if (first > last)
		return 0;	/* N = 0 */
	/* In a window only if two limbs stay free above, as for an add. */
	a->lo = (uint8_t)(first < WIN_LO_MAX ? first : WIN_LO_MAX);
	if (last + 2 < a->lo + ACCUM_WINDOW) {
		memcpy(a->win, limb + a->lo, sizeof a->win);
		return 0;
	}
	a->lo = ACCUM_NOWHERE;
	a->full = xmalloc(sizeof limb);
	memcpy(a->full, limb, sizeof limb);
	return 0;
}

/*
 * The limbs of a window's N from limb a->lo up, as accum_export() gives
 * them but without the sign extension above: the last of the n returned
 * is either the top limb, or -1 standing for 2^32 - 1 up to a -1 at the
 * top (N < 0), or they end where only zeros follow.  Folding them is then
 * folding the whole array, as the limbs below a->lo are zero: O(window)
 * rather than O(ACCUM_LIMBS), which is the journal's cost per changed
 * key.  0 if the carry out did not settle (it always does: two limbs
 * above the window take any carry an int64 limb can make).
 */
static int
window_export(const struct accum *a, int64_t limb[ACCUM_WINDOW + 3])
{
	int64_t	carry = 0, v;
	int	i, n = ACCUM_WINDOW + 2;

	memcpy(limb, a->win, sizeof a->win);
	limb[ACCUM_WINDOW] = limb[ACCUM_WINDOW + 1] = 0;
	if (a->lo + n >= ACCUM_LIMBS) {
		n = ACCUM_LIMBS - a->lo;	/* up to the top limb */
		normalize(limb, n);
		return n;
	}
	for (i = 0; i < n; i++) {
		v = limb[i] + carry;
		limb[i] = v & DIGIT_MASK;
		carry = v >> DIGIT_BITS;
	}
	if (carry == 0)
		return n;
	if (carry != -1)
		return 0;
	limb[n] = -1;
	return n + 1;
}

size_t
accum_encode(const struct accum *a, unsigned char *buf)
{
	int64_t	limb[ACCUM_LIMBS];
	int	first, last, base = 0, n = 0;

	if (a->full == NULL && a->lo != ACCUM_NOWHERE &&
	    (n = window_export(a, limb)) != 0)
		base = a->lo;
	else {
		accum_export(a, limb);
		n = ACCUM_LIMBS;
	}
	fold(limb, n, &first, &last);
	if (first > last) {
		first = last = 0;	/* N = 0: one zero limb, limb 0 */
		base = 0;
	}
	buf[0] = (unsigned char)(base + first);
	buf[1] = (unsigned char)(last - first + 1);
	memcpy(buf + 2, limb + first, (size_t)(last - first + 1) * 8);
	return 2 + (size_t)(last - first + 1) * 8;
}

int
accum_decode(struct accum *a, const unsigned char *buf, size_t len,
    uint64_t count, int nonnegzero)
{
	int64_t	limb[ACCUM_LIMBS];
	size_t	first, n;

	if (len < 2 || (first = buf[0]) >= ACCUM_LIMBS ||
	    (n = buf[1]) == 0 || n > ACCUM_LIMBS - first || len != 2 + 8 * n) {
		errno = EINVAL;
		return -1;
	}
	memset(limb, 0, sizeof limb);
	memcpy(limb + first, buf + 2, 8 * n);
	/* Folded digits are within +-2^32, which normalize() takes without
	 * overflow; whether N then fits is import's check. */
	for (n += first; first < n; first++)
		if (limb[first] <= -DIGIT_MASK - 1 || limb[first] > DIGIT_MASK) {
			errno = EINVAL;
			return -1;
		}
	normalize(limb, ACCUM_LIMBS);
	return accum_import(a, limb, count, nonnegzero);
}

/* The limbs that digit I (and I + 1, I + 2) of an addend go to, moving
 * from the window to the whole array if I falls outside it. */
static int64_t *
limbs_for(struct accum *a, unsigned i)
{
	if (a->full != NULL)
		return a->full + i;
	if (a->lo == ACCUM_NOWHERE)
		a->lo = (uint8_t)(i == 0 ? 0 : i - 1 < WIN_LO_MAX ? i - 1 :
		    WIN_LO_MAX);
	if (i >= a->lo && i <= a->lo + (unsigned)WIN_TOP)
		return a->win + (i - a->lo);
	a->full = xcalloc(ACCUM_LIMBS, sizeof *a->full);
	memcpy(a->full + a->lo, a->win, sizeof a->win);
	a->lo = ACCUM_NOWHERE;
	return a->full + i;
}

void
accum_add(struct accum *a, double d)
{
	union { double d; uint64_t u; } x = { .d = d };
	uint64_t	 mant = x.u & ((1ULL << 52) - 1);
	unsigned	 biased = (unsigned)(x.u >> 52) & 0x7ff, shift, i;
	unsigned __int128 w;
	int64_t		 d0, d1, d2, *limb;

	if (biased == 0)			/* zero or subnormal: mant * 2^-1074 */
		shift = 0;
	else {					/* (2^52 + mant) * 2^(biased - 1075) */
		mant |= 1ULL << 52;
		shift = biased - 1;
	}
	if (mant != 0) {
		/* mant << shift spans at most three digits. */
		i = shift / DIGIT_BITS;
		limb = limbs_for(a, i);
		w = (unsigned __int128)mant << (shift % DIGIT_BITS);
		d0 = (int64_t)(w & DIGIT_MASK);
		d1 = (int64_t)((w >> 32) & DIGIT_MASK);
		d2 = (int64_t)(w >> 64);
		if (signbit(d)) {
			d0 = -d0;
			d1 = -d1;
			d2 = -d2;
		}
		limb[0] += d0;
		limb[1] += d1;
		limb[2] += d2;
	}
	a->count++;
	if (!(d == 0 && signbit(d)))
		a->nonnegzero = 1;
	if (++a->unnormalized == ACCUM_NORMALIZE_EVERY) {
		if (a->full != NULL)
			normalize(a->full, ACCUM_LIMBS);
		else if (a->lo != ACCUM_NOWHERE)
			normalize(a->win, ACCUM_WINDOW);
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
	accum_export(a, limb);
	neg = limb[ACCUM_LIMBS - 1] < 0;
	if (neg) {
		for (i = 0; i < ACCUM_LIMBS; i++)
			limb[i] = -limb[i];
		normalize(limb, ACCUM_LIMBS);
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
