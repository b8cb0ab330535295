/*
 * Ping ipcd over its socket in a tight loop for SECONDS and print the
 * longest round trip in milliseconds, and the number of pings: how long
 * the event loop stood still at worst.
 *
 * usage: pingmax SOCKET SECONDS
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	char			 buf[256];
	double			 end, t, rtt, max = 0;
	long			 pings = 0;
	ssize_t			 n;
	int			 fd;

	if (argc != 3) {
		fprintf(stderr, "usage: pingmax SOCKET SECONDS\n");
		return 2;
	}
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		perror(argv[1]);
		return 1;
	}
	end = now() + atof(argv[2]);
	while ((t = now()) < end) {
		if (write(fd, "ping\n", 5) != 5)
			break;
		/* One reply line: "ok ...\n". */
		do {
			if ((n = read(fd, buf, sizeof buf)) <= 0)
				goto out;
		} while (buf[n - 1] != '\n');
		rtt = now() - t;
		if (rtt > max)
			max = rtt;
		pings++;
	}
out:
	printf("max %.1f ms over %ld pings\n", max * 1000, pings);
	return 0;
}
