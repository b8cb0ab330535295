/*
 * LD_PRELOAD shim: read(2) on the file named by FAILREAD_PATH fails once
 * with EIO, after FAILREAD_AFTER bytes (0 if unset) of the first read were
 * returned as a short read; every other read is the real one.  The test
 * of a read error while ipcd loads its state.
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t	read(int, void *, size_t);

static int	done;

static int
is_target(int fd)
{
	const char	*want = getenv("FAILREAD_PATH");
	char		 link[64], path[4096];
	ssize_t		 n;

	if (want == NULL || done)
		return 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) <= 0)
		return 0;
	path[n] = '\0';
	return strcmp(path, want) == 0;
}

ssize_t
read(int fd, void *buf, size_t len)
{
	static ssize_t	(*real)(int, void *, size_t);
	static size_t	 passed;
	const char	*after = getenv("FAILREAD_AFTER");
	size_t		 allow = after != NULL ? strtoul(after, NULL, 10) : 0;
	ssize_t		 n;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "read");
	if (!is_target(fd))
		return real(fd, buf, len);
	if (passed < allow) {
		n = real(fd, buf, len < allow - passed ? len : allow - passed);
		if (n > 0)
			passed += (size_t)n;
		return n;
	}
	done = 1;
	errno = EIO;
	return -1;
}
