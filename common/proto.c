/* Parsing and formatting of records; see proto.h for the format. */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define RECORD_FIELDS	3			/* KEY VALUE I/N */
#define MAX_TOKENS	(RECORD_FIELDS + 1)	/* and "@VERSION" */

/*
 * The characters of a key, [A-Za-z0-9_.:-], as a bitmap of the byte
 * values: bit c % 64 of word c / 64.  One load and a shift a character
 * instead of seven comparisons; every record of every transport is
 * checked here.  A range of bits LO..HI (HI < 64) is RANGE(LO, HI).
 */
#define RANGE(lo, hi)	((~0ULL >> (63 - (hi))) & (~0ULL << (lo)))
static const uint64_t key_chars[4] = {
	RANGE('-', '.') | RANGE('0', ':'),
	RANGE('A' - 64, 'Z' - 64) | RANGE('_' - 64, '_' - 64) |
	    RANGE('a' - 64, 'z' - 64),
	0,
	0,
};
#undef RANGE

int
key_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint64_t		 bad = 0;
	size_t			 i;

	if (len == 0 || len > IPCD_KEY_MAX)
		return 0;
	/* No early exit: a key is short, and a branch per character
	 * costs more than the loads. */
	for (i = 0; i < len; i++)
		bad |= ~key_chars[p[i] >> 6] >> (p[i] & 63);
	return (bad & 1) == 0;
}

/* Up to this many decimal digits make an integer below 2^53: exact in
 * a double, read as strtod would read it. */
#define INT_DIGITS_EXACT	15

/* A token of digits with an optional sign, short enough to be exact:
 * its value in *V, without strtod (the most common value, counted by
 * ipcctl at the rate of the transports).  0, or -1 for anything else. */
static int
int_parse(const char *s, double *v)
{
	const char	*p = s + (*s == '-' || *s == '+');
	uint64_t	 n = 0;
	int		 i;

	for (i = 0; p[i] >= '0' && p[i] <= '9'; i++)
		n = n * 10 + (uint64_t)(p[i] - '0');
	if (i == 0 || i > INT_DIGITS_EXACT || p[i] != '\0')
		return -1;
	*v = *s == '-' ? -(double)n : (double)n;	/* "-0" is -0 */
	return 0;
}

/* strtod in the C locale (neither program calls setlocale), whole token. */
int
value_parse(const char *s, double *v, const char **cause)
{
	char	*end;
	double	 d;

	if (*s == '\0') {
		*cause = "empty value";
		return -1;
	}
	if (int_parse(s, v) == 0)
		return 0;
	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0') {
		*cause = "value is not a number";
		return -1;
	}
	if (isnan(d)) {
		*cause = "value is NaN";
		return -1;
	}
	if (isinf(d)) {
		*cause = errno == ERANGE ? "value is out of range" :
		    "value is infinite";
		return -1;
	}
	/* An underflow to a subnormal or zero is the correctly rounded
	 * value of what was written: accept it. */
	*v = d;
	return 0;
}

static int
uint_parse(const char *s, const char *end, uint32_t *out)
{
	uint64_t	n = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > IPCD_PARTS_MAX)
			return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

/* Part I of N, or no part at all (both 0): the one check of a part,
 * wherever one is read (text, shared memory, the journal). */
int
part_valid(uint32_t i, uint32_t n)
{
	if (n == 0)
		return i == 0;
	return n <= IPCD_PARTS_MAX && i >= 1 && i <= n;
}

int
part_parse(const char *s, uint32_t *i, uint32_t *n, const char **cause)
{
	const char	*slash;

	if ((slash = strchr(s, '/')) == NULL ||
	    uint_parse(s, slash, i) != 0 ||
	    uint_parse(slash + 1, slash + strlen(slash), n) != 0 ||
	    *n == 0 || !part_valid(*i, *n)) {
		*cause = PART_CAUSE;
		return -1;
	}
	return 0;
}

/*
 * Parse one record line into *r.  The line is copied before it is split,
 * so the caller's buffer (which may be shared memory or a socket buffer)
 * is never written.
 */
int
record_parse(const char *line, size_t len, struct record *r,
    const char **cause)
{
	char	 buf[IPCD_LINE_MAX + 1], *tok[MAX_TOKENS + 1], *p;
	size_t	 i;
	int	 n = 0;

	/* A newline, and a CR just before it, end the record; a CR alone
	 * is a control byte like any other. */
	if (len > 0 && line[len - 1] == '\n') {
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
	}
	if (len >= IPCD_LINE_MAX) {
		*cause = "record too long";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == '\0') {
			*cause = "record contains a NUL byte";
			return -1;
		}
		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			*cause = "record contains a control or non-ASCII byte";
			return -1;
		}
	}
	memcpy(buf, line, len);
	buf[len] = '\0';

	for (p = buf; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n == MAX_TOKENS) {
			*cause = "record has too many fields";
			return -1;
		}
		tok[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	if (n > 0 && tok[0][0] == '@') {
		if (strcmp(tok[0], "@1") != 0) {
			*cause = "unsupported record version";
			return -1;
		}
		memmove(tok, tok + 1, (size_t)(--n) * sizeof *tok);
	}
	if (n == 0) {
		*cause = "empty record";
		return -1;
	}
	if (n > RECORD_FIELDS) {
		*cause = "record has too many fields";
		return -1;
	}

	memset(r, 0, sizeof *r);
	if (n == 1)
		strcpy(r->key, IPCD_DEFAULT_KEY);
	else {
		if (strlen(tok[0]) > IPCD_KEY_MAX) {
			*cause = "key longer than " IPCD_KEY_MAX_STR
			    " characters";
			return -1;
		}
		if (!key_valid(tok[0], strlen(tok[0]))) {
			*cause = "key has a character outside [A-Za-z0-9_.:-]";
			return -1;
		}
		strcpy(r->key, tok[0]);
	}
	if (value_parse(tok[n == 1 ? 0 : 1], &r->value, cause) != 0)
		return -1;
	if (n == 3 && part_parse(tok[2], &r->part, &r->nparts, cause) != 0)
		return -1;
	return 0;
}

/* The record as one line, newline included; -1 if it does not fit. */
int
record_format(char *buf, size_t size, const struct record *r)
{
	char	num[NUM_FORMAT_MAX];
	int	n;

	double_format(num, sizeof num, r->value);
	if (r->nparts != 0)
		n = snprintf(buf, size, "%s %s %u/%u\n", r->key, num,
		    r->part, r->nparts);
	else
		n = snprintf(buf, size, "%s %s\n", r->key, num);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/*
 * Numbers.  A double has at most DBL_DIGITS_MAX significant decimal digits
 * worth printing; the shortest of them that read back go out in fixed
 * notation for decimal exponents from FIXED_EXP_MIN to FIXED_EXP_MAX
 * ("5000050000", "0.001") and in exponent notation beyond ("1e+16",
 * "5e-324"), as %g would write them.
 */
#define DBL_DIGITS_MAX	17	/* always enough to read back (DBL_DECIMAL_DIG) */
#define FIXED_EXP_MIN	(-4)
#define FIXED_EXP_MAX	15

/* Does M * 10^E (M > 0) read back as exactly D? */
static int
decimal_is(uint64_t m, int e, double d)
{
	char	s[NUM_FORMAT_MAX];

	snprintf(s, sizeof s, "%llue%d", (unsigned long long)m, e);
	return strtod(s, NULL) == d;
}

/*
 * The shortest decimal M * 10^E that reads back as D (finite, > 0).  For
 * each number of digits, printf's correctly rounded one is the nearest
 * candidate; but a power of two sits closer to the double below it than
 * to the one above, and there the nearest candidate (below D) can fall
 * outside while the next one up is inside: try that one too.
 */
static void
decimal_shortest(double d, uint64_t *m, int *e)
{
	char	 s[NUM_FORMAT_MAX], *p;
	int	 prec;

	for (prec = 1; prec <= DBL_DIGITS_MAX; prec++) {
		snprintf(s, sizeof s, "%.*e", prec - 1, d);
		/* "D.DDDDe+XX": the digits as an integer and the exponent
		 * of its last digit. */
		*m = (uint64_t)(s[0] - '0');
		for (p = s + 2; *p >= '0' && *p <= '9'; p++)
			*m = *m * 10 + (uint64_t)(*p - '0');
		*e = atoi(strchr(s, 'e') + 1) - (prec - 1);
		if (strtod(s, NULL) == d)
			return;
		if (strtod(s, NULL) < d && decimal_is(*m + 1, *e, d)) {
			(*m)++;
			return;
		}
	}
}

/* M * 10^E (M > 0) as %g would write it, with all of M's digits. */
static int
decimal_write(char *buf, size_t size, int neg, uint64_t m, int e)
{
	static const char zeros[] = "0000000000000000";	/* FIXED_EXP_MAX + 1 */
	char		 dig[DBL_DIGITS_MAX + 8];
	const char	*sign = neg ? "-" : "";
	int		 n, x;

	while (m != 0 && m % 10 == 0) {
		m /= 10;
		e++;
	}
	n = snprintf(dig, sizeof dig, "%llu", (unsigned long long)m);
	x = e + n - 1;			/* the exponent of the first digit */
	if (x < FIXED_EXP_MIN || x > FIXED_EXP_MAX)
		return snprintf(buf, size, "%s%c%s%se%+03d", sign, dig[0],
		    n > 1 ? "." : "", dig + 1, x);
	if (e >= 0)			/* an integer: digits, then zeros */
		return snprintf(buf, size, "%s%s%.*s", sign, dig, e, zeros);
	if (x >= 0)			/* a point inside the digits */
		return snprintf(buf, size, "%s%.*s.%s", sign, x + 1, dig,
		    dig + x + 1);
	return snprintf(buf, size, "%s0.%.*s%s", sign, -x - 1, zeros, dig);
}

/*
 * D as the shortest decimal that strtod reads back as the same double
 * ("-0" for minus zero), and "inf", "-inf" or "nan" for what is not a
 * number: defined for every double.  Like snprintf, returns the length
 * of the whole text; NUM_FORMAT_MAX bytes always hold it.
 */
int
double_format(char *buf, size_t size, double d)
{
	uint64_t	m = 0;
	int		e = 0;

	if (isnan(d))
		return snprintf(buf, size, "nan");
	if (isinf(d))
		return snprintf(buf, size, "%sinf", d < 0 ? "-" : "");
	if (d == 0)
		return snprintf(buf, size, "%s0", signbit(d) ? "-" : "");
	decimal_shortest(fabs(d), &m, &e);
	return decimal_write(buf, size, signbit(d) != 0, m, e);
}
