/* Small helpers shared by both programs; see util.h. */

#include <stdarg.h>

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
