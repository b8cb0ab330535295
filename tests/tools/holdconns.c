/*
 * holdconns: open N connections to a Unix socket from one process, hold
 * them idle for SECONDS, then report how many ipcd kept and how many it
 * refused with a reply (for the tests of idle floods).
 *
 *   holdconns PATH N SECONDS   ->  "connected", then
 *                                  "held H refused R failed F"
 *
 * "connected" comes once every connect(2) returned: a client that
 * connects after it is queued behind all N.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct rlimit		 rl;
	struct pollfd		*pfd;
	char			 buf[256];
	int			 n, i, held = 0, refused = 0, failed = 0;
	ssize_t			 r;

	if (argc != 4) {
		fprintf(stderr, "usage: holdconns PATH N SECONDS\n");
		return 2;
	}
	n = atoi(argv[2]);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", argv[1]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((pfd = calloc((size_t)n, sizeof *pfd)) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		pfd[i].fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (pfd[i].fd == -1 || connect(pfd[i].fd,
		    (struct sockaddr *)&sun, sizeof sun) != 0) {
			if (pfd[i].fd != -1)
				close(pfd[i].fd);
			pfd[i].fd = -1;
			failed++;
		}
		pfd[i].events = POLLIN;
	}
	printf("connected\n");
	fflush(stdout);
	sleep((unsigned)atoi(argv[3]));
	/* A refused client has "err limit too many clients" and EOF waiting;
	 * a held one has nothing (or, past idle_timeout, its own error). */
	poll(pfd, (nfds_t)n, 0);
	for (i = 0; i < n; i++) {
		if (pfd[i].fd == -1)
			continue;
		if (pfd[i].revents & POLLIN) {
			r = read(pfd[i].fd, buf, sizeof buf - 1);
			buf[r > 0 ? r : 0] = '\0';
			if (strstr(buf, "too many clients") != NULL) {
				refused++;
				continue;
			}
		}
		held++;
	}
	printf("held %d refused %d failed %d\n", held, refused, failed);
	return 0;
}
