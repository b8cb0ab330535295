/*
 * The shared secret of the tcp transport: one line in a file that only
 * its owner (and group) may read.  ipcd reads it to check peers, ipcctl
 * to send it; both refuse a file that others may read, a symlink, or
 * anything but a regular file.
 */
#ifndef IPCD_TOKEN_H
#define IPCD_TOKEN_H

#include <stddef.h>

#define TOKEN_MAX	256	/* bytes of a token */

/* Read the token of FILE into BUF (TOKEN_MAX + 1 bytes, NUL-terminated)
 * and its length into *LEN: 0, or -1 with a cause naming FILE. */
int	token_read(const char *, char *, size_t *, char **);
/* Is the token of LEN bytes at GOT the expected one?  Takes the same
 * time wherever they differ. */
int	token_equal(const char *, size_t, const char *, size_t);

#endif
