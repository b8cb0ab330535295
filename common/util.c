/* Small helpers shared by both programs; see util.h. */

#include <stdarg.h>
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
