/*
 * LD_PRELOAD shim: allocation fails on demand.  Once the file named by
 * FAILALLOC_FILE exists, FAILALLOC_SKIP more allocations (0 if unset)
 * succeed and every later malloc, calloc and realloc returns NULL.  The
 * test that running out of memory stops ipcd with a message, never a
 * crash.
 */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	*malloc(size_t);
void	*calloc(size_t, size_t);
void	*realloc(void *, size_t);

static int
failing(void)
{
	static long	 left = -1;
	const char	*file = getenv("FAILALLOC_FILE");
	const char	*skip = getenv("FAILALLOC_SKIP");

	if (left == -1) {
		if (file == NULL || access(file, F_OK) != 0)
			return 0;
		left = skip != NULL ? atol(skip) : 0;
	}
	if (left > 0) {
		left--;
		return 0;
	}
	errno = ENOMEM;
	return 1;
}

void *
malloc(size_t n)
{
	return failing() ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	return failing() ? NULL : __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	return failing() ? NULL : __libc_realloc(p, n);
}
