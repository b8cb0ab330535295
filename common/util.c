/* Small helpers shared by both programs; see util.h. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "xmalloc.h"

/* A formatted string for a char **cause; the caller frees it. */
char *
fmtstr(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* Seconds on the monotonic clock: the one clock every wait and deadline
 * of both programs is measured on. */
double
mono_sec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nanoseconds since the epoch on the wall clock: when a key was last
 * updated, which outlives the process and is shown as a date. */
int64_t
wall_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static const struct {
	char	unit;
	long	seconds;
} duration_units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 },
    { 's', 1 } };

/* TEXT as a duration in seconds, at most DURATION_MAX: digits and one
 * optional unit, nothing else (no sign, no space, no fraction). */
int
duration_parse(const char *text, long *seconds, const char **cause)
{
	const char	*p = text;
	long		 n = 0, unit = 1;
	size_t		 i;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > DURATION_MAX)
			goto big;
		n = n * 10 + (*p - '0');
	}
	if (*p != '\0') {
		for (i = 0; i < sizeof duration_units /
		    sizeof duration_units[0]; i++)
			if (*p == duration_units[i].unit)
				unit = duration_units[i].seconds;
		if (unit == 1 && *p != 's')
			goto bad;
		if (p[1] != '\0')
			goto bad;
	}
	if (n > DURATION_MAX / unit)
		goto big;
	*seconds = n * unit;
	return 0;
big:
	*cause = "longer than a century";
	return -1;
bad:
	*cause = DURATION_CAUSE;
	return -1;
}

/* SECONDS in the largest unit that holds it exactly, which
 * duration_parse() reads back: "0", "90s", "15m", "7d". */
void
duration_format(char *buf, size_t size, long seconds)
{
	size_t	i;

	for (i = 0; i < sizeof duration_units / sizeof duration_units[0] - 1;
	    i++)
		if (seconds != 0 && seconds % duration_units[i].seconds == 0)
			break;
	if (seconds == 0)
		snprintf(buf, size, "0");
	else
		snprintf(buf, size, "%ld%c", seconds /
		    duration_units[i].seconds, duration_units[i].unit);
}

/*
 * S[0..LEN) with every byte outside printable ASCII written as \xHH (or
 * \t, \n, \r) and a backslash doubled, cut to VIS_MAX characters with
 * "...".  The result lives until VIS_BUFS more calls.
 */
const char *
vis(const char *s, size_t len)
{
	static _Thread_local char	 bufs[VIS_BUFS][VIS_MAX + 8];
	static _Thread_local int	 next;
	char		*b = bufs[next++ % VIS_BUFS], *p = b;
	unsigned char	 ch;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if (p - b > VIS_MAX) {
			strcpy(p, "...");
			return b;
		}
		ch = (unsigned char)s[i];
		if (ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r') {
			*p++ = '\\';
			*p++ = ch == '\\' ? '\\' : ch == '\t' ? 't' :
			    ch == '\n' ? 'n' : 'r';
		} else if (ch < 0x20 || ch >= 0x7f)
			p += sprintf(p, "\\x%02x", ch);
		else
			*p++ = (char)ch;
	}
	*p = '\0';
	return b;
}
