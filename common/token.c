/* The token file of the tcp transport; see token.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "token.h"
#include "util.h"

/* Refuse what others could read or swap, before reading a byte. */
static int
token_open(const char *file, char **cause)
{
	struct stat	st;
	int		fd;

	fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		*cause = fmtstr("[tcp] token_file %s: %s", file, errno == ELOOP ?
		    "is a symbolic link; name the file itself" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*cause = fmtstr("[tcp] token_file %s is not a regular file",
		    file);
		goto fail;
	}
	if (st.st_mode & S_IRWXO) {
		*cause = fmtstr("[tcp] token_file %s may be used by other users "
		    "(mode %04o); run: chmod o-rwx %s", file,
		    (unsigned)(st.st_mode & 07777), file);
		goto fail;
	}
	if (st.st_size > TOKEN_MAX + 2) {
		*cause = fmtstr("[tcp] token_file %s is longer than a token of "
		    "%d bytes and a line end", file, TOKEN_MAX);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int
token_read(const char *file, char *buf, size_t *len, char **cause)
{
	char	raw[TOKEN_MAX + 3];
	ssize_t	n;
	size_t	i;
	int	fd;

	if ((fd = token_open(file, cause)) == -1)
		return -1;
	n = read(fd, raw, sizeof raw);
	close(fd);
	if (n == -1) {
		*cause = fmtstr("[tcp] token_file %s: %s", file,
		    strerror(errno));
		return -1;
	}
	/* One line end, as an editor leaves it. */
	if (n > 0 && raw[n - 1] == '\n')
		n--;
	if (n > 0 && raw[n - 1] == '\r')
		n--;
	for (i = 0; i < (size_t)n; i++)
		if (raw[i] <= ' ' || raw[i] >= 127)
			break;
	if (n == 0 || i < (size_t)n || n > TOKEN_MAX) {
		*cause = fmtstr("[tcp] token_file %s: the token must be one "
		    "line of 1 to %d printable characters without spaces", file,
		    TOKEN_MAX);
		return -1;
	}
	memcpy(buf, raw, (size_t)n);
	buf[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int
token_equal(const char *got, size_t len, const char *want, size_t wlen)
{
	unsigned char	diff = len != wlen;
	size_t		i;

	/* Every byte of the expected token is looked at, always. */
	for (i = 0; i < wlen; i++)
		diff |= (unsigned char)(want[i] ^ (i < len ? got[i] : 0));
	return diff == 0;
}
