/* Small helpers shared by both programs. */
#ifndef IPCD_UTIL_H
#define IPCD_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The one syntax of a duration, in the configuration and on ipcctl's
 * command line: whole seconds, bare or with a unit, "90", "90s", "15m",
 * "1h", "7d". */
#define DURATION_CAUSE	"expected a duration: a whole number of seconds, " \
			    "or with s, m, h or d (90, 90s, 15m, 1h, 7d)"
#define DURATION_MAX	(100L * 365 * 86400)	/* seconds: a century */
#define DURATION_TEXT_MAX	24
#define NS_PER_SEC	1000000000LL

/* Text from outside (a reply, an input line, a file name) made safe for a
 * terminal or a log: vis(). */
#define VIS_MAX		400	/* characters of one escaped string */
#define VIS_BUFS	4	/* strings escaped for one message */

char	*fmtstr(const char *, ...) __attribute__((format(printf, 1, 2)));
double	 mono_sec(void);
int64_t	 wall_ns(void);
int	 duration_parse(const char *, long *, const char **);
void	 duration_format(char *, size_t, long);
const char *vis(const char *, size_t);

#endif
