/* Small helpers shared by both programs. */
#ifndef IPCD_UTIL_H
#define IPCD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* Are the N bytes at A and B the same?  memcmp for short runs, inline:
 * in words, the last one overlapping the one before, so no byte past N
 * is read and no call is made (a key compared per record). */
static inline int
same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t	x, y, diff = 0;
	uint32_t	u, v;
	size_t		i;

	if (n < sizeof u)
		return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] &&
		    a[n - 1] == b[n - 1]);
	if (n < sizeof x) {
		memcpy(&u, a, sizeof u);
		memcpy(&v, b, sizeof v);
		diff = u ^ v;
		memcpy(&u, a + n - sizeof u, sizeof u);
		memcpy(&v, b + n - sizeof v, sizeof v);
		return (diff | (u ^ v)) == 0;
	}
	for (i = 0; i + sizeof x < n; i += sizeof x) {
		memcpy(&x, a + i, sizeof x);
		memcpy(&y, b + i, sizeof y);
		diff |= x ^ y;
	}
	memcpy(&x, a + n - sizeof x, sizeof x);
	memcpy(&y, b + n - sizeof y, sizeof y);
	return (diff | (x ^ y)) == 0;
}

#endif
