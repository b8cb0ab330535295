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

static int	cmd_submit(const struct opts *, int, char **);

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

/* What one submit run is doing: the library's handle does the sending
 * (ipcd's answers to it are printed by answer_print as they come). */
struct submit {
	struct ipcd	*c;
	const char	*via;
	const char	*key;
	unsigned long	 bad;		/* values refused here, unsent */
	char		*cause;		/* why the transport failed */
	char		 where[64];	/* what was being sent at a failure */
};

/* A record to the library; -1 when the transport failed (the cause is
 * kept: later calls have errors of their own). */
static int
submit_put(struct submit *sb, const struct record *r)
{
	if (ipcd_submit(sb->c, sb->via, r->key, r->value, r->part,
	    r->nparts) != IPCD_EUNREACHABLE)
		return 0;
	sb->cause = xstrdup(ipcd_error(sb->c));
	return -1;
}

/* One line of standard input (without its newline): a record in the
 * format of the FIFO, or with --key a bare value; nothing if blank.  -1
 * when the transport failed. */
static int
submit_line(struct submit *sb, const char *p, size_t n, unsigned long lineno)
{
	struct record	 r;
	char		*line;
	const char	*cause;
	int		 ret = 0;

	while (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return 0;
	if (memchr(p, '\0', n) != NULL) {
		fprintf(stderr, "ipcctl: line %lu of standard input: \"%s\": "
		    "contains a NUL byte\n", lineno, vis(p, n));
		sb->bad++;
		return 0;
	}
	line = xmalloc(n + 1);
	memcpy(line, p, n);
	line[n] = '\0';
	memset(&r, 0, sizeof r);
	if (sb->key != NULL ? value_parse(line, &r.value, &cause) :
	    record_parse(line, n, &r, &cause)) {
		fprintf(stderr, "ipcctl: line %lu of standard input: \"%s\": "
		    "%s\n", lineno, vis(line, n), cause);
		sb->bad++;
	} else {
		if (sb->key != NULL)
			strcpy(r.key, sb->key);
		snprintf(sb->where, sizeof sb->where, "line %lu of standard "
		    "input", lineno);
		ret = submit_put(sb, &r);
	}
	free(line);
	return ret;
}

#define STDIN_LINE_MAX	65536	/* bytes of one line of submit -, newline not included */

/* Wait for input; while it stays quiet flush the sender, again every
 * half idle_timeout (which keeps a socket connection from being dropped
 * as idle).  0, -1 when the transport failed, -2 on a poll error. */
static int
stdin_quiet(struct submit *sb, long idle)
{
	struct pollfd	 pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	int		 keep = idle > 0 && idle < 86400 ? (int)idle * 500 : -1;
	int		 r;

	if (poll(&pfd, 1, 0) != 0)
		return 0;
	snprintf(sb->where, sizeof sb->where, "a pause of the input");
	do
		if (lib_push(sb->c) == IPCD_EUNREACHABLE) {
			sb->cause = xstrdup(ipcd_error(sb->c));
			return -1;
		}
	while ((r = poll(&pfd, 1, keep)) == 0);
	return r == -1 && errno != EINTR ? -2 : 0;
}

/*
 * submit -: one value a line, split by the one line splitter.  Read with
 * read(2), not stdio, to know when the input has gone quiet: then what
 * the sender buffered goes out at once, so "tail -f log | ipcctl submit -"
 * counts each line as it comes.  0; -1 when the transport failed (it
 * shows in the tally); -2 when standard input could not be read.
 */
static int
submit_stdin(struct submit *sb, long idle)
{
	struct linebuf	 lb;
	const char	*line;
	size_t		 len;
	unsigned long	 lineno = 0;
	ssize_t		 n;
	int		 r, ret = 0;

	linebuf_init(&lb, STDIN_LINE_MAX + 1, STDIN_LINE_MAX + 1);
	for (;;) {
		while ((r = linebuf_next(&lb, &line, &len)) != 0) {
			if (r == -1) {
				fprintf(stderr, "ipcctl: line %lu of standard "
				    "input is longer than %d bytes\n",
				    ++lineno, STDIN_LINE_MAX);
				sb->bad++;
			} else if (submit_line(sb, line, len - 1, ++lineno) != 0)
				goto out;
		}
		if ((ret = stdin_quiet(sb, idle)) != 0)
			goto fail;
		n = linebuf_read(&lb, STDIN_FILENO);
		if (n == -1 && errno == EAGAIN) {
			struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };

			(void)poll(&pfd, 1, -1);	/* non-blocking input */
			continue;
		}
		if (n == -1 && errno != EINTR)
			goto fail;
		if (n == 0)
			break;
	}
	if ((len = linebuf_pending(&lb)) > 0)	/* no newline at the end */
		ret = submit_line(sb, lb.buf + lb.start, len, lineno + 1);
	linebuf_free(&lb);
	return ret;
out:
	linebuf_free(&lb);
	return -1;
fail:
	if (ret != -1) {
		fprintf(stderr, "ipcctl: standard input: %s\n", strerror(errno));
		ret = -2;
	}
	linebuf_free(&lb);
	return ret;
}

/* Every value checked before anything is sent: all or nothing. */
static struct record *
submit_args(int argc, char **argv, const char *key, uint32_t part,
    uint32_t nparts, unsigned long *bad)
{
	struct record	*r = xcalloc((size_t)argc, sizeof *r);
	const char	*cause;
	int		 i;

	for (i = 0; i < argc; i++) {
		if (value_parse(argv[i], &r[i].value, &cause) != 0) {
			fprintf(stderr, "ipcctl: value %d, \"%s\": %s\n", i + 1,
			    vis(argv[i], strlen(argv[i])), cause);
			(*bad)++;
		}
		strcpy(r[i].key, key);
		r[i].part = part;
		r[i].nparts = nparts;
	}
	if (*bad == 0)
		return r;
	fprintf(stderr, "ipcctl: submit: nothing sent (%lu of %d values "
	    "rejected)\n", *bad, argc);
	free(r);
	return NULL;
}

/* Send what was given; the exit status. */
static int
submit_run(const struct opts *o, struct submit *sb, int argc, char **argv,
    struct record *recs)
{
	const struct tally	*t = lib_tally(sb->c);
	int			 i, status = 0;

	if (lib_connect(sb->c, sb->via) != IPCD_OK) {
		fprintf(stderr, "ipcctl: submit: %s\n", ipcd_error(sb->c));
		return EXIT_CONNECT;
	}
	if (recs == NULL) {
		if (submit_stdin(sb, o->tg.conf->limits.idle_timeout) == -2)
			status = EXIT_FAIL;	/* transport failures: cause */
	} else
		for (i = 0; i < argc; i++) {
			snprintf(sb->where, sizeof sb->where, "value %d, \"%s\"",
			    i + 1, vis(argv[i], strlen(argv[i])));
			if (submit_put(sb, &recs[i]) != 0)
				break;
		}
	if (sb->cause == NULL) {
		snprintf(sb->where, sizeof sb->where, "the end of the input");
		if (ipcd_flush(sb->c) == IPCD_EUNREACHABLE)
			sb->cause = xstrdup(ipcd_error(sb->c));
	}
	if (sb->cause != NULL ||
	    t->accepted + t->duplicates + t->rejected < t->sent) {
		fprintf(stderr, "ipcctl: submit over %s failed at %s: %s; %lu "
		    "of %lu values sent were taken\n", sb->via, sb->where,
		    sb->cause != NULL ? sb->cause : "no answer",
		    t->accepted + t->duplicates, t->sent);
		status = EXIT_CONNECT;
	}
	return status;
}

static void
submit_json(const struct submit *sb)
{
	const struct tally	*t = lib_tally(sb->c);

	printf("{\"via\":\"%s\",\"sent\":%lu,\"accepted\":%lu,"
	    "\"duplicates\":%lu,\"rejected\":%lu}\n", sb->via, t->sent,
	    t->accepted, t->duplicates, t->rejected + sb->bad);
}

static int
cmd_submit(const struct opts *go, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "via", required_argument, NULL, 'v' },
		{ "key", required_argument, NULL, 'k' },
		{ "part", required_argument, NULL, 'p' },
		OPTS_END
	};
	struct opts		 o = *go;
	struct submit		 sb = { .key = NULL };	/* no --key */
	struct record		*recs = NULL;
	const struct sender	*s = sender_find("unix");
	const char		*cause;
	uint32_t		 part = 0, nparts = 0;
	int			 ch, status = 0, fromstdin;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			if (via_parse(optarg, &s) != 0)
				return EXIT_USAGE;
			break;
		case 'k':
			if (key_arg(optarg, &sb.key) != 0)
				return EXIT_USAGE;
			break;
		case 'p':
			if (part_parse(optarg, &part, &nparts, &cause) != 0) {
				fprintf(stderr, "ipcctl: --part=%s: %s\n",
				    vis(optarg, strlen(optarg)), cause);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (timeout_arg(optarg, &o.tg.timeout) != 0)
				return EXIT_USAGE;
			break;
		default:
			return command_usage("submit");
		}
	}
	argc -= optind;
	argv += optind;
	fromstdin = argc == 1 && strcmp(argv[0], "-") == 0;
	if (argc == 0 || (nparts != 0 && (argc != 1 || fromstdin))) {
		if (nparts != 0 && argc > 0)
			fprintf(stderr, "ipcctl: --part takes exactly one "
			    "value\n");
		return command_usage("submit");
	}
	sb.via = sender_name(s);
	sb.c = lib_open_target(&o.tg);
	if (!fromstdin && (recs = submit_args(argc, argv, sb.key != NULL ?
	    sb.key : IPCD_DEFAULT_KEY, part, nparts, &sb.bad)) == NULL)
		status = EXIT_REJECTED;
	else
		status = submit_run(&o, &sb, argc, argv, recs);
	if (status == 0 && lib_tally(sb.c)->rejected + sb.bad > 0)
		status = EXIT_REJECTED;
	if (o.json)
		submit_json(&sb);
	ipcd_close(sb.c);
	free(recs);
	free(sb.cause);
	return status;
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
