/* ipcd: command line, configuration, then the loop in server.c. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "systemd.h"

#define FD_RESERVE	64	/* descriptors besides clients: transports, state, log */

#ifndef IPCD_VERSION
#define IPCD_VERSION "unknown"
#endif


static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ipcd [-nhvV] [-c file]\n"
	    "Collect partial sums over a Unix socket, a FIFO, a POSIX message\n"
	    "queue and POSIX shared memory; serve exact totals.  Runs in the\n"
	    "foreground.\n"
	    "\n"
	    "  -c file  configuration file (default: $IPCD_CONFIG, else\n"
	    "           " CONF_DEFAULT_FILE " if it exists, else built-in defaults)\n"
	    "  -n       check the configuration, print it with -v, and exit\n"
	    "  -v       log debug messages too\n"
	    "  -h       show this help\n"
	    "  -V       show the version\n");
}

/*
 * max_clients is only a promise if that many descriptors can be had:
 * raise the soft limit to the hard one, and say so if it still falls
 * short (accept would then fail with EMFILE first, and pause).
 */
static void
raise_fd_limit(long clients)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)clients + FD_RESERVE > rl.rlim_cur)
		log_warnx("limits.max_clients = %ld, but only %llu descriptors "
		    "may be open", clients, (unsigned long long)rl.rlim_cur);
}

int
main(int argc, char **argv)
{
	struct conf	 conf;
	const char	*file = NULL;
	char		*cause;
	int		 ch, check = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "c:nhvV")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ipcd %s (protocol %d)\n", IPCD_VERSION,
			    IPCD_PROTO_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init("ipcd", verbose);
	log_set_sink(sysd_journal);

	file = conf_find(file);
	if (conf_load(file, &conf, &cause) != 0) {
		fprintf(stderr, "ipcd: %s\n", cause);
		free(cause);
		return EXIT_CONFIG;
	}
	if (tcp_conf_check(&conf, &cause) != 0) {
		fprintf(stderr, "ipcd: %s\n", cause);
		free(cause);
		return EXIT_CONFIG;
	}
	if (check) {
		if (verbose)
			conf_print(&conf);
		printf("configuration OK (%s)\n",
		    file != NULL ? file : "embedded defaults");
		return 0;
	}
	raise_fd_limit(conf.limits.max_clients);
	intake_watch(ctl_key_completed, ctl_key_removed);
	return server_run(&conf);
}
