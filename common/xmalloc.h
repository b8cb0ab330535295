/*
 * Allocation that cannot fail: on failure the program says so and exits.
 * What protects ipcd's memory is the limits on what clients may make it
 * allocate ([limits] in ipcd.conf), not recovery from malloc failing;
 * half-written recovery paths are where crashes hide.
 */
#ifndef IPCD_XMALLOC_H
#define IPCD_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

#endif
