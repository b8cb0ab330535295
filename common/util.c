/* Small helpers shared by both programs; see util.h. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A formatted string for a char **cause.  The caller frees it; when memory
 * runs out it is still a freeable string that says so. */
char *
fmtstr(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		s = strdup("out of memory");
	return s;
}
