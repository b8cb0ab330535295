/* ipcctl: the client of ipcd, driven by a table of commands. */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcd.h"
#include "lib.h"
#include "send.h"
#include "xmalloc.h"

static const struct command {
	const char	*name;
	int		(*fn)(const struct opts *, int, char **);
	const char	*usage;
} commands[] = {
	{ "submit", cmd_submit, "submit [--via=unix|fifo|mq|shm|tcp|sysv|spool] "
	    "[--key=K] "
	    "[--part=I/N] [--timeout=S] [--] VALUE... | -" },
	{ "result", cmd_result, "result [--key=K] [--wait] [--timeout=SECONDS]" },
	{ "pi", cmd_pi, "pi [--workers=W] [--terms=N] [--via=T|pipe|socketpair] "
	    "[--key=K] [--timeout=SECONDS]" },
	{ "run", cmd_run, "run -n N [--via=T] [--key=K] "
	    "[--channel=pipe|socketpair] [--timeout=S] [--] CMD [ARG...]" },
	{ "stats", cmd_stats, "stats [--timeout=S]" },
	{ "keys", cmd_keys, "keys [--idle=DURATION] [--limit=L] [--timeout=S] "
	    "[GLOB]" },
	{ "reset", cmd_reset, "reset [--key=K | --all | --idle=DURATION] "
	    "[--timeout=S]" },
	{ "ping", cmd_ping, "ping [--timeout=S]" },
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: ipcctl [-c file] [--json] [--timeout=S] command "
	    "[options] [args]\nSubmit partial sums to ipcd and read exact "
	    "totals.\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\n  -c file   configuration file (default: $IPCD_CONFIG, "
	    "else %s if it\n            exists, else built-in defaults)\n"
	    "  --json    print results as JSON\n"
	    "  -t S, --timeout=S  seconds to wait for ipcd at each step "
	    "(default: [client]\n            timeout, 30; 0 is refused); for "
	    "result and pi, the wait for parts;\n            after run, the "
	    "whole run (without it, children have no limit)\n"
	    "  -h, --help, -V, --version\n\n"
	    "submit - reads records \"[KEY] VALUE [I/N]\", one a line; with "
	    "--key, bare values.\nrun gives each child IPCD_RANK, IPCD_SIZE, "
	    "IPCD_KEY, IPCD_PART and IPCD_FD,\nwhere it writes its value "
	    "line.\n"
	    "\nexit status: 0 ok, 1 failure, 2 usage, 3 ipcd unreachable, gone, "
	    "silent past\nthe timeout or speaking another protocol, 4 rejected "
	    "or a total overflows\na double, 5 result --wait, pi or run timed "
	    "out\n",
	    CONF_DEFAULT_FILE);
}

int
command_usage(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			fprintf(stderr, "usage: ipcctl %s\n", commands[i].usage);
	return EXIT_USAGE;
}

/* --key=K, checked here so that a typo is a usage error on every transport. */
int
key_arg(const char *k, const char **out)
{
	if (!key_valid(k, strlen(k))) {
		fprintf(stderr, "ipcctl: key \"%s\" %s\n", vis(k, strlen(k)),
		    KEY_CAUSE);
		return -1;
	}
	*out = k;
	return 0;
}

/* A number of seconds: non-negative, fractions allowed. */
double
seconds_arg(const char *s, int *ok)
{
	char	*end;
	double	 d = strtod(s, &end);

	*ok = *s != '\0' && *end == '\0' && isfinite(d) && d >= 0 &&
	    d <= TIMEOUT_MAX;
	return d;
}

/* --timeout=S: more than nothing (0 would mean giving up before ipcd
 * could answer anything); -1 after saying so (the range: a number
 * beyond it is not "more than 0"). */
int
timeout_arg(const char *s, double *out)
{
	int	ok;
	double	d = seconds_arg(s, &ok);

	if (!ok || d < TIMEOUT_MIN) {
		fprintf(stderr, "ipcctl: --timeout=%s: expected seconds, from "
		    "%g to %.0f\n", vis(s, strlen(s)), TIMEOUT_MIN,
		    TIMEOUT_MAX);
		return -1;
	}
	*out = d;
	return 0;
}

/* Connect, or say why and give the exit status. */
int
connect_or_fail(struct conn *c, const struct target *tg)
{
	char	*cause;

	if (conn_open(c, tg, &cause) == 0)
		return 0;
	return conn_failed("connect", cause);
}

/* A conversation with ipcd that failed: the cause, and EXIT_CONNECT. */
int
conn_failed(const char *what, char *cause)
{
	fprintf(stderr, "ipcctl: %s: %s\n", what, cause);
	free(cause);
	return EXIT_CONNECT;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		OPTS_END
	};
	static struct conf	 conf;
	struct opts		 o = { .tg = { .conf = &conf, .hello = 1,
				     .answer = answer_print } };
	const char		*file = NULL;
	char			*cause;
	double			 timeout = 0;
	size_t			 i;
	int			 ch;

	/* A closed socket or FIFO is an error to report, not a death. */
	signal(SIGPIPE, SIG_IGN);
	/* "+": options after the command belong to the command. */
	while ((ch = getopt_long(argc, argv, "+c:hVt:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 't':
			if (timeout_arg(optarg, &timeout) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ipcctl %s (protocol %d)\n", IPCD_VERSION,
			    IPCD_PROTO_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (conf_load(conf_find(file), &conf, &cause) != 0) {
		fprintf(stderr, "ipcctl: %s\n", cause);
		free(cause);
		return EXIT_FAIL;
	}
	o.tg.timeout = timeout > 0 ? timeout : (double)conf.client.timeout;
	/* What ipcctl run starts finds the same ipcd. */
	if (file != NULL)
		setenv("IPCD_CONFIG", file, 1);
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[0], commands[i].name) == 0) {
			optind = 1;
			return commands[i].fn(&o, argc, argv);
		}
	fprintf(stderr, "ipcctl: unknown command \"%s\"\n",
	    vis(argv[0], strlen(argv[0])));
	usage(stderr);
	return EXIT_USAGE;
}
