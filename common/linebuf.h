/* A read buffer that yields newline-terminated lines of at most a given
 * length, whatever way the bytes arrive, and drops
 * longer ones whole.  The one line splitter of both programs. */
#ifndef IPCD_LINEBUF_H
#define IPCD_LINEBUF_H

#include <sys/types.h>

struct linebuf {
	char	*buf;
	size_t	 size;
	size_t	 start;		/* first byte not yet consumed */
	size_t	 len;		/* bytes in buf */
	size_t	 max;		/* longest line, newline included */
	int	 skipping;	/* inside an overlong line */
};

void	linebuf_init(struct linebuf *, size_t, size_t);
void	linebuf_free(struct linebuf *);
ssize_t	linebuf_read(struct linebuf *, int);
int	linebuf_next(struct linebuf *, const char **, size_t *);
size_t	linebuf_pending(const struct linebuf *);
void	linebuf_drop(struct linebuf *);
void	linebuf_reserve(struct linebuf *, size_t);

#endif
