/* Unit tests of the exact accumulator, against cases where naive
 * summation is wrong and against an independent exact oracle. */

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accum.h"
#include "t.h"

static int
same(double a, double b)	/* bit for bit, so -0 != 0 */
{
	return memcmp(&a, &b, sizeof a) == 0;
}

static double
sum(const double *v, int n, int *overflow)
{
	struct accum	a;
	int		i;

	double		r;

	accum_init(&a);
	for (i = 0; i < n; i++)
		accum_add(&a, v[i]);
	r = accum_value(&a, overflow);
	accum_free(&a);
	return r;
}

/* The value of A, and of A exported and imported again, then both with
 * the same N more values added: all must agree bit for bit. */
static int
round_trip(struct accum *a, const double *more, int n)
{
	struct accum	b;
	int64_t		limb[ACCUM_LIMBS];
	int		of, i, ok;

	accum_export(a, limb);
	accum_init(&b);
	if (accum_import(&b, limb, a->count, a->nonnegzero) != 0)
		return 0;
	ok = same(accum_value(a, &of), accum_value(&b, &of));
	for (i = 0; i < n; i++) {
		accum_add(a, more[i]);
		accum_add(&b, more[i]);
	}
	ok = ok && same(accum_value(a, &of), accum_value(&b, &of)) &&
	    a->count == b.count;
	accum_free(&b);
	return ok;
}


/*
 * The oracle: the sum as a non-overlapping expansion of doubles grown by
 * error-free two-sums (Shewchuk), rounded at the end with the half-way
 * correction.  An algorithm unrelated to accum's fixed-point digits.
 */
static double
expansion_sum(const double *v, int n)
{
	double	p[64], x, y, hi, lo = 0, t;
	int	np = 0, i, j, k;

	for (k = 0; k < n; k++) {
		x = v[k];
		for (i = j = 0; j < np; j++) {
			y = p[j];
			if (fabs(x) < fabs(y)) {
				t = x;
				x = y;
				y = t;
			}
			hi = x + y;
			lo = y - (hi - x);
			if (lo != 0)
				p[i++] = lo;
			x = hi;
		}
		np = i;
		p[np++] = x;
		if (np == 64)
			abort();	/* cannot happen for doubles: 2098 bits / 53 */
	}
	if (np == 0)
		return 0;
	hi = p[--np];
	while (np > 0) {
		x = hi;
		y = p[--np];
		hi = x + y;
		lo = y - (hi - x);
		if (lo != 0)
			break;
	}
	if (np > 0 && ((lo < 0 && p[np - 1] < 0) || (lo > 0 && p[np - 1] > 0))) {
		y = lo * 2;
		x = hi + y;
		if (y == x - hi)
			hi = x;
	}
	return hi;
}

static double
random_double(void)
{
	double	m = (double)random() / RAND_MAX;

	return (random() & 1 ? -1 : 1) * ldexp(m, (int)(random() % 400) - 200);
}

static void
shuffle(double *v, int n)
{
	int	i, j;
	double	t;

	for (i = n - 1; i > 0; i--) {
		j = (int)(random() % (i + 1));
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

/*
 * accum_encode as it was first written, the reference the encoder that
 * works from the window must match byte for byte: the whole array
 * exported, folded, the nonzero digits written.
 */
static size_t
encode_whole(const struct accum *a, unsigned char *buf)
{
	int64_t	limb[ACCUM_LIMBS];
	int	j, first, last;

	accum_export(a, limb);
	for (j = ACCUM_LIMBS - 1; j > 0 && limb[j] == -1 &&
	    limb[j - 1] == 0xffffffffLL; j--) {
		limb[j] = 0;
		limb[j - 1] = -1;
	}
	if (j > 0 && limb[j] == -1 && limb[j - 1] != 0) {
		limb[j] = 0;
		limb[j - 1] -= 1LL << 32;
	}
	for (first = 0; first < ACCUM_LIMBS && limb[first] == 0; first++)
		;
	for (last = ACCUM_LIMBS - 1; last >= 0 && limb[last] == 0; last--)
		;
	if (first > last)
		first = last = 0;
	buf[0] = (unsigned char)first;
	buf[1] = (unsigned char)(last - first + 1);
	memcpy(buf + 2, limb + first, (size_t)(last - first + 1) * 8);
	return 2 + (size_t)(last - first + 1) * 8;
}

/* Does A encode as the reference encodes it?  With DECODE, does what it
 * wrote also decode to A's digits? */
static int
encodes_same(const struct accum *a, int decode)
{
	unsigned char	x[ACCUM_ENCODED_MAX], y[ACCUM_ENCODED_MAX];
	int64_t		la[ACCUM_LIMBS], lb[ACCUM_LIMBS];
	struct accum	b;
	size_t		nx, ny;
	int		ok;

	nx = accum_encode(a, x);
	ny = encode_whole(a, y);
	ok = nx == ny && memcmp(x, y, nx) == 0;
	if (ok && decode) {
		accum_init(&b);
		accum_export(a, la);
		ok = accum_decode(&b, x, nx, a->count, a->nonnegzero) == 0;
		accum_export(&b, lb);
		ok = ok && memcmp(la, lb, sizeof la) == 0;
		accum_free(&b);
	}
	return ok;
}

/* A window digit of one of the sizes that matter at the carries. */
static int64_t
random_limb(void)
{
	static const int64_t	edge[] = { 0, 1, -1, 0xffffffffLL,
	    -0xffffffffLL, 1LL << 32, -(1LL << 32), 0x7fffffffLL,
	    -0x80000000LL, 1LL << 61, -(1LL << 61) };
	int64_t			v;

	switch (random() % 4) {
	case 0:
		return edge[random() % (sizeof edge / sizeof edge[0])];
	case 1:
		return (int64_t)(random() % 3) - 1;
	default:
		v = (int64_t)random() << 31 ^ random();
		v >>= random() % 62;
		return random() & 1 ? -v : v;
	}
}

/*
 * The encoder that works from a window against the reference: sums built
 * by adding (in windows, moved to the whole array, negative, -0,
 * cancelling to zero, carrying out of the window, subnormal, at the top)
 * and windows of raw digits at every position.  The number that differ.
 */
static int
encode_cases(int *ncases)
{
	static const double	one[] = { 0.0, -0.0, 1.0, -1.0, 0.25, -0.25,
	    DBL_MIN, -DBL_MIN, 4.9e-324, -4.9e-324, DBL_MAX, -DBL_MAX,
	    0x1p-1000, -0x1p-1000, 0x1p+1000, -0x1p+1000, 4294967296.0,
	    -4294967296.0, 0x1.fffffffffffffp+95, -0x1.fffffffffffffp+95 };
	struct accum		a;
	int			bad = 0, i, j, k, n;
	double			d, base;

	*ncases = 0;
	/* Every pair of the values above, added once and many times (so
	 * that carries reach the limbs above the window). */
	for (i = 0; i < (int)(sizeof one / sizeof one[0]); i++)
		for (j = 0; j < (int)(sizeof one / sizeof one[0]); j++)
			for (n = 1; n <= 100; n *= 10) {
				accum_init(&a);
				for (k = 0; k < n; k++) {
					accum_add(&a, one[i]);
					accum_add(&a, one[j]);
				}
				bad += !encodes_same(&a, 1);
				(*ncases)++;
				accum_free(&a);
			}
	/* Random sums around one magnitude (windows), across many (the
	 * whole array), cancelling to zero, and an empty accumulator. */
	for (i = 0; i < 3000; i++) {
		accum_init(&a);
		base = ldexp(1, (int)(random() % 2098) - 1074);
		n = (int)(random() % 40);
		for (k = 0; k < n; k++) {
			d = i % 3 == 0 ? random_double() :
			    base * ((double)random() / RAND_MAX) *
			    (random() % 4 ? -1 : 1);
			accum_add(&a, d);
			if (i % 7 == 0)
				accum_add(&a, -d);
		}
		bad += !encodes_same(&a, 1);
		(*ncases)++;
		accum_free(&a);
	}
	/* Raw digits in a window at every position, normalized or not:
	 * carries and borrows across its edge, up to the top limb. */
	for (i = 0; i < 20000; i++) {
		accum_init(&a);
		a.lo = (uint8_t)(random() % (ACCUM_LIMBS - ACCUM_WINDOW + 1));
		for (k = 0; k < ACCUM_WINDOW; k++)
			a.win[k] = i % 5 == 0 && k < ACCUM_WINDOW - 1 ?
			    0xffffffffLL : random_limb();
		a.count = 1;
		a.nonnegzero = 1;
		bad += !encodes_same(&a, 0);
		(*ncases)++;
	}
	return bad;
}

int
main(void)
{
	static const int perm[6][3] = { {0,1,2}, {0,2,1}, {1,0,2}, {1,2,0},
	    {2,0,1}, {2,1,0} };
	double	v[1000], w[3], big[] = { 1e16, 1, -1e16 };
	double	r, naive;
	int	i, j, k, of, bad;

	for (i = 0, bad = 0; i < 6; i++) {
		for (j = 0; j < 3; j++)
			w[j] = big[perm[i][j]];
		if (!same(sum(w, 3, &of), 1.0))
			bad++;
	}
	CHECK(bad == 0, "1e16, 1, -1e16 sum to 1 in all 6 orders");

	for (i = 0; i < 10; i++)
		v[i] = 0.1;
	for (i = 0, naive = 0; i < 10; i++)
		naive += v[i];
	CHECK(naive != 1.0 && same(sum(v, 10, &of), 1.0),
	    "ten 0.1 sum to 1 (naive: %.17g)", naive);

	v[0] = DBL_MAX; v[1] = DBL_MAX; v[2] = -DBL_MAX;
	r = sum(v, 3, &of);
	CHECK(same(r, DBL_MAX) && !of, "DBL_MAX + DBL_MAX - DBL_MAX = DBL_MAX");
	r = sum(v, 2, &of);
	CHECK(isinf(r) && r > 0 && of, "DBL_MAX + DBL_MAX overflows, flagged");
	v[0] = -DBL_MAX; v[1] = -DBL_MAX;
	r = sum(v, 2, &of);
	CHECK(isinf(r) && r < 0 && of, "-DBL_MAX - DBL_MAX overflows negative");
	/* Just below the overflow threshold rounds to DBL_MAX. */
	v[0] = DBL_MAX; v[1] = ldexp(1, 970) - ldexp(1, 917);
	r = sum(v, 2, &of);
	CHECK(same(r, DBL_MAX) && !of, "DBL_MAX + just under half an ulp "
	    "stays DBL_MAX");
	v[1] = ldexp(1, 970);
	r = sum(v, 2, &of);
	CHECK(of, "DBL_MAX + half an ulp rounds to overflow (ties to even)");

	v[0] = v[1] = v[2] = 4.9406564584124654e-324;
	CHECK(same(sum(v, 3, &of), 3 * 4.9406564584124654e-324),
	    "three smallest subnormals");
	v[0] = DBL_MIN; v[1] = -4.9406564584124654e-324;
	CHECK(same(sum(v, 2, &of), DBL_MIN - 4.9406564584124654e-324),
	    "DBL_MIN less the smallest subnormal is the largest subnormal");
	v[0] = 1; v[1] = 4.9406564584124654e-324; v[2] = -1;
	CHECK(same(sum(v, 3, &of), 4.9406564584124654e-324),
	    "1 + smallest subnormal - 1 keeps the subnormal");

	v[0] = -0.0; v[1] = -0.0;
	CHECK(same(sum(v, 2, &of), -0.0), "-0 + -0 = -0");
	v[1] = 0.0;
	CHECK(same(sum(v, 2, &of), 0.0), "-0 + 0 = +0");
	v[0] = 1; v[1] = -1;
	CHECK(same(sum(v, 2, &of), 0.0), "1 - 1 = +0");
	CHECK(same(sum(v, 0, &of), 0.0), "no additions: +0");

	v[0] = ldexp(1, 53); v[1] = 1;
	CHECK(same(sum(v, 2, &of), ldexp(1, 53)), "2^53 + 1: tie to even, down");
	v[0] = ldexp(1, 53) + 2; v[1] = 1;
	CHECK(same(sum(v, 2, &of), ldexp(1, 53) + 4), "2^53+2 + 1: tie to even, up");
	v[0] = ldexp(1, 53); v[1] = 1; v[2] = ldexp(1, -1000);
	CHECK(same(sum(v, 3, &of), ldexp(1, 53) + 2),
	    "2^53 + 1 + 2^-1000: a far sticky bit breaks the tie upward");
	v[0] = -ldexp(1, 53); v[1] = -1; v[2] = -ldexp(1, -1000);
	CHECK(same(sum(v, 3, &of), -(ldexp(1, 53) + 2)), "the same, negative");

	/* Random sets against the oracle, and order independence. */
	for (k = 0, bad = 0; k < 2000; k++) {
		int n = 1 + (int)(random() % 60);

		for (i = 0; i < n; i++)
			v[i] = random_double();
		r = sum(v, n, &of);
		if (!same(r, expansion_sum(v, n)))
			bad++;
		shuffle(v, n);
		if (!same(r, sum(v, n, &of)))
			bad++;
	}
	CHECK(bad == 0, "2000 random sets match the expansion-sum oracle in "
	    "any order (%d mismatches)", bad);

	/* Heavy cancellation: x_i and -x_i with one survivor. */
	for (i = 0; i < 500; i++) {
		v[2 * i] = random_double() * 1e200;
		v[2 * i + 1] = -v[2 * i];
	}
	v[999] = 3.5e-300;
	v[998] = 0;
	shuffle(v, 1000);
	CHECK(same(sum(v, 1000, &of), 3.5e-300),
	    "499 cancelling pairs near 1e200 leave 3.5e-300 exact");

	/* Long runs: this binary normalizes every 7 additions, so carries
	 * are propagated in place many times over. */
	for (k = 0, bad = 0; k < 50; k++) {
		for (i = 0; i < 1000; i++)
			v[i] = random_double() * (i % 3 ? 1 : 1e100);
		r = sum(v, 1000, &of);
		if (!same(r, expansion_sum(v, 1000)))
			bad++;
	}
	CHECK(bad == 0, "50 sets of 1000 wide-ranged values match the oracle "
	    "(%d mismatches)", bad);

	/* Values within a few orders of magnitude stay in the small window
	 * (normalized in place every 7 additions here), and are as exact. */
	{
		struct accum	a;
		int		spilled = 0, tripped = 0;

		for (k = 0, bad = 0; k < 500; k++) {
			accum_init(&a);
			for (i = 0; i < 1000; i++) {
				v[i] = ldexp(1 + random() / (double)RAND_MAX,
				    (int)(random() % 40) - 20);
				if (random() % 3 == 0)
					v[i] = -v[i];
				accum_add(&a, v[i]);
			}
			if (!same(accum_value(&a, &of), expansion_sum(v, 1000)))
				bad++;
			if (a.full != NULL)
				spilled++;
			if (!round_trip(&a, v, 100))
				tripped++;
			accum_free(&a);
		}
		CHECK(bad == 0, "500 sets of 1000 values in 2^-20..2^20 match "
		    "the oracle (%d mismatches)", bad);
		CHECK(spilled == 0, "  and never leave the %d-limb window "
		    "(%d did)", ACCUM_WINDOW, spilled);
		CHECK(tripped == 0, "  export, import and further additions "
		    "agree (%d did not)", tripped);

		/* One value far away moves the key to the whole array. */
		accum_init(&a);
		accum_add(&a, 1.0);
		accum_add(&a, -3.0);
		CHECK(a.full == NULL, "1 - 3 stays in the window");
		accum_add(&a, 1e300);
		accum_add(&a, -1e300);
		CHECK(a.full != NULL && same(accum_value(&a, &of), -2.0),
		    "+-1e300 moves it to the whole array, still exactly -2");
		v[0] = 1e-300;
		v[1] = 5.0;
		CHECK(round_trip(&a, v, 2), "  and round-trips through "
		    "export and import");
		accum_free(&a);

		/* Negative sums import back into a window. */
		accum_init(&a);
		accum_add(&a, -1.0);
		accum_add(&a, -0.25);
		v[0] = 0.5;
		{
			int64_t	limb[ACCUM_LIMBS];
			struct accum	b;

			accum_export(&a, limb);
			accum_init(&b);
			CHECK(accum_import(&b, limb, 2, 1) == 0 &&
			    b.full == NULL && same(accum_value(&b, &of), -1.25),
			    "-1.25 exported and imported lands in a window");
			accum_free(&b);
			limb[3] = -5;
			accum_init(&b);
			CHECK(accum_import(&b, limb, 2, 1) == -1 &&
			    errno == EINVAL, "limbs that are not normalized "
			    "are refused");
			accum_free(&b);
		}
		CHECK(round_trip(&a, v, 1), "  and the round trip agrees");
		accum_free(&a);

		/* The negative sum at the very top, too. */
		accum_init(&a);
		accum_add(&a, -DBL_MAX);
		{
			int64_t	limb[ACCUM_LIMBS];
			struct accum	b;

			accum_export(&a, limb);
			accum_init(&b);
			CHECK(accum_import(&b, limb, 1, 1) == 0 &&
			    b.full == NULL &&
			    same(accum_value(&b, &of), -DBL_MAX),
			    "-DBL_MAX exported and imported lands in a window");
			accum_free(&b);
		}
		accum_free(&a);
		/* Merging two accumulators is adding the values of one to
		 * the other (spool files are staged, then merged). */
		{
			struct accum	x, y, all;
			int64_t		lx[ACCUM_LIMBS], la[ACCUM_LIMBS];
			int		 mi, mk, mbad = 0;

			for (mk = 0; mk < 200; mk++) {
				accum_init(&x);
				accum_init(&y);
				accum_init(&all);
				for (mi = 0; mi < 50; mi++) {
					double d = random_double();

					accum_add(mi % 3 ? &x : &y, d);
					accum_add(&all, d);
				}
				if (mk % 2)
					accum_add(&y, DBL_MAX);
				if (mk % 2)
					accum_add(&all, DBL_MAX);
				if (accum_merge(&x, &y) != 0)
					mbad++;
				accum_export(&x, lx);
				accum_export(&all, la);
				if (memcmp(lx, la, sizeof lx) != 0 ||
				    x.count != all.count ||
				    x.nonnegzero != all.nonnegzero)
					mbad++;
				accum_free(&x);
				accum_free(&y);
				accum_free(&all);
			}
			CHECK(mbad == 0, "200 merges equal adding every value to "
			    "one accumulator (digits, count, sign of zero)");
		}
		{
			int	ncases, ebad = encode_cases(&ncases);

			CHECK(ebad == 0, "accum_encode from the window writes the "
			    "bytes of the whole array's encoding (%d of %d cases "
			    "differ)", ebad, ncases);
		}
		CHECK(sizeof a <= 96, "an accumulator takes %zu bytes "
		    "(the whole array would be %zu)", sizeof a,
		    ACCUM_LIMBS * sizeof(int64_t));
	}
	return t_failed;
}
