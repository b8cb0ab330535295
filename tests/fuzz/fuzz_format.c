/*
 * libFuzzer target: double_format(), which every reply, log line and
 * STATUS line that shows a number goes through.
 *
 * The first 8 bytes of the input are a double's bit pattern (any one:
 * subnormals, infinities, NaNs with any payload), zero-padded when the
 * input is shorter.  The text must fit NUM_FORMAT_MAX and agree with the
 * length returned; "inf", "-inf", "nan" for what is not finite; for a
 * finite double it must read back bit for bit (minus zero as "-0"), and
 * no decimal with fewer significant digits may read back: neither the
 * shortest %.*g that does, nor either neighbour one digit shorter.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "fuzz.h"

/* Significant digits of a text double_format wrote. */
static int
sig_digits(const char *s)
{
	int	n = 0, lead = 1, zeros = 0;

	for (; *s != '\0' && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s != '0')
			lead = 0;
		if (lead)
			continue;
		n++;
		zeros = *s == '0' ? zeros + 1 : 0;
	}
	return n - zeros;	/* trailing zeros of an integer do not count */
}

static int
reads_back(const char *s, double d)
{
	double	r = strtod(s, NULL);

	return memcmp(&r, &d, sizeof d) == 0;
}

/* No decimal of fewer than DIGITS significant digits reads back as D:
 * the candidates are, for each length, the nearest (printf's) and the one
 * on the other side of D. */
static void
check_shortest(double d, int digits)
{
	char	s[64], *p;
	int	prec, x, up;

	for (prec = 1; prec < 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, d);
		if (reads_back(s, d))
			break;
	}
	CHECK(digits <= prec);
	if (digits == 1)
		return;
	snprintf(s, sizeof s, "%.*e", digits - 2, fabs(d));
	CHECK(!reads_back(s, fabs(d)));
	/* Step the last digit of "D.DDDe+X" away from the nearest (a
	 * carry out of the first digit gives 1e(X+1); a borrow gives a
	 * nearest below 1eX, which a double's gap there cannot favour). */
	x = atoi(strchr(s, 'e') + 1);
	up = strtod(s, NULL) < fabs(d);
	for (p = strchr(s, 'e') - 1; p >= s; p--) {
		if (*p == '.')
			continue;
		if (up && *p != '9') {
			(*p)++;
			break;
		}
		if (!up && *p != '0') {
			(*p)--;
			break;
		}
		*p = up ? '0' : '9';
	}
	if (p < s)
		snprintf(s, sizeof s, "1e%d", x + 1);
	if (s[0] == '0')
		return;
	CHECK(!reads_back(s, fabs(d)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	buf[NUM_FORMAT_MAX + 8];
	double	d = 0;
	int	n;

	memcpy(&d, data, size < sizeof d ? size : sizeof d);
	memset(buf, 'x', sizeof buf);
	n = double_format(buf, NUM_FORMAT_MAX, d);
	CHECK(n > 0 && n < NUM_FORMAT_MAX);
	CHECK(buf[n] == '\0' && strlen(buf) == (size_t)n);
	if (isnan(d)) {
		CHECK(strcmp(buf, "nan") == 0);
		return 0;
	}
	if (isinf(d)) {
		CHECK(strcmp(buf, d < 0 ? "-inf" : "inf") == 0);
		return 0;
	}
	CHECK(strspn(buf, "-+.e0123456789") == (size_t)n);
	if (!reads_back(buf, d)) {
		fprintf(stderr, "double_format(%a) gave \"%s\", which reads "
		    "back as %a\n", d, buf, strtod(buf, NULL));
		abort();
	}
	if (d != 0)
		check_shortest(d, sig_digits(buf));
	return 0;
}
