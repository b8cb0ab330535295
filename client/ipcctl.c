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

#include "ipcctl.h"

struct conf	cfg;
int		json;

static int	cmd_submit(int, char **);
static int	cmd_result(int, char **);
static int	cmd_stats(int, char **);
static int	cmd_keys(int, char **);
static int	cmd_reset(int, char **);
static int	cmd_ping(int, char **);

static const struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
} commands[] = {
	{ "submit", cmd_submit, "submit [--via=unix|fifo|mq|shm] [--key=K] "
	    "[--part=I/N] [--] VALUE... | -" },
	{ "result", cmd_result, "result [--key=K] [--wait] [--timeout=SECONDS]" },
	{ "pi", cmd_pi, "pi [--workers=W] [--terms=N] [--via=T] [--key=K] "
	    "[--timeout=SECONDS]" },
	{ "stats", cmd_stats, "stats" },
	{ "keys", cmd_keys, "keys" },
	{ "reset", cmd_reset, "reset [--key=K | --all]" },
	{ "ping", cmd_ping, "ping" },
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: ipcctl [-c file] [--json] command [options] [args]\n"
	    "Submit partial sums to ipcd and read exact totals.\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\n  -c file   configuration file (default: $IPCD_CONFIG, "
	    "else %s if it\n            exists, else built-in defaults)\n"
	    "  --json    print results as JSON\n  -h, --help, -V, --version\n"
	    "\nexit status: 0 ok, 1 failure, 2 usage, 3 ipcd unreachable or gone, "
	    "4 rejected, 5 timeout\n", CONF_DEFAULT_FILE);
}

static int
command_usage(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			fprintf(stderr, "usage: ipcctl %s\n", commands[i].usage);
	return EXIT_USAGE;
}

/* --key=K, checked here so that a typo is a usage error on every transport. */
static int
key_arg(const char *k, const char **out)
{
	if (!key_valid(k, strlen(k))) {
		fprintf(stderr, "ipcctl: key \"%s\" is not 1-64 characters of "
		    "[A-Za-z0-9_.:-]\n", k);
		return -1;
	}
	*out = k;
	return 0;
}

/* --timeout=SECONDS: a non-negative number, fractions allowed. */
double
seconds_arg(const char *s, int *ok)
{
	char	*end;
	double	 d = strtod(s, &end);

	*ok = *s != '\0' && *end == '\0' && isfinite(d) && d >= 0 &&
	    d <= 86400.0 * 365;
	return d;
}

/* Submit VALUE (a string) as one record; 0, or EXIT_REJECTED for a value
 * that is no finite number, or -1 when the transport failed. */
static int
submit_one(const struct sender *s, void *h, const char *key, const char *text,
    uint32_t part, uint32_t nparts, struct tally *t)
{
	struct record	 r;
	const char	*cause;

	memset(&r, 0, sizeof r);
	if (value_parse(text, &r.value, &cause) != 0) {
		fprintf(stderr, "ipcctl: \"%s\": %s\n", text, cause);
		t->rejected++;
		return EXIT_REJECTED;
	}
	strcpy(r.key, key);
	r.part = part;
	r.nparts = nparts;
	return sender_put(s, h, &r, t) == 0 ? 0 : -1;
}

#define STDIN_LINE_MAX	65536	/* bytes of one line of submit - */

/* One line of standard input (without its newline): a value, or nothing
 * if blank; -1 when the transport failed. */
static int
submit_line(const struct sender *s, void *h, const char *key, char *line,
    size_t n, int lineno, struct tally *t)
{
	int	r;

	while (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	if (n == 0)
		return 0;
	if ((r = submit_one(s, h, key, line, 0, 0, t)) > 0)
		fprintf(stderr, "ipcctl: (line %d of standard input)\n", lineno);
	return r == -1 ? -1 : 0;
}

/*
 * submit -: one value a line.  Read with read(2), not stdio, to know when
 * the input has gone quiet: then what the sender buffered (up to 32 KiB
 * of socket requests, a pipe-sized FIFO write, a ring not yet rung) goes
 * out at once, so "tail -f log | ipcctl submit -" counts each line as it
 * comes rather than when a buffer fills.  While the input stays quiet the
 * sender is flushed again every half idle_timeout, which keeps a socket
 * connection from being dropped as idle.  0; -1 when the transport
 * failed (it shows in T); -2 when standard input could not be read.
 */
static int
submit_stdin(const struct sender *s, void *h, const char *key,
    struct tally *t)
{
	static char	 buf[STDIN_LINE_MAX + 1];	/* and its newline */
	struct pollfd	 pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	long		 idle = cfg.limits.idle_timeout;
	int		 keep = idle > 0 && idle < 86400 ? (int)idle * 500 : -1;
	size_t		 len = 0, start;
	char		*nl;
	ssize_t		 n;
	int		 lineno = 0, skip = 0, r;

	for (;;) {
		for (start = 0; (nl = memchr(buf + start, '\n',
		    len - start)) != NULL; start = (size_t)(nl - buf) + 1) {
			lineno++;
			if (skip)
				skip = 0;	/* the rest of an overlong line */
			else if (submit_line(s, h, key, buf + start,
			    (size_t)(nl - buf) - start, lineno, t) != 0)
				return -1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (len == sizeof buf) {
			/* STDIN_LINE_MAX + 1 bytes and no newline yet. */
			if (!skip) {
				fprintf(stderr, "ipcctl: line %d of standard "
				    "input is longer than %d bytes\n",
				    lineno + 1, STDIN_LINE_MAX);
				t->rejected++;
			}
			skip = 1;
			len = 0;
		}
		if (poll(&pfd, 1, 0) == 0) {
			if (sender_flush(s, h, t) != 0)
				return -1;
			while ((r = poll(&pfd, 1, keep)) == 0)
				if (sender_flush(s, h, t) != 0)
					return -1;
			if (r == -1 && errno != EINTR)
				goto fail;
		}
		n = read(STDIN_FILENO, buf + len, sizeof buf - len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN)) {
			if (errno == EAGAIN)	/* non-blocking: wait for it */
				(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > 0 && !skip)		/* a last line without a newline */
		return submit_line(s, h, key, buf, len, lineno + 1, t);
	return 0;
fail:
	fprintf(stderr, "ipcctl: standard input: %s\n", strerror(errno));
	return -2;
}

static int
cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "via", required_argument, NULL, 'v' },
		{ "key", required_argument, NULL, 'k' },
		{ "part", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const struct sender	*s = NULL;
	const char		*key = IPCD_DEFAULT_KEY, *cause;
	struct tally		 t = { 0 };
	uint32_t		 part = 0, nparts = 0;
	void			*h;
	int			 ch, i, status = 0, fromstdin;

	s = sender_find("unix");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			if (via_parse(optarg, &s) != 0)
				return EXIT_USAGE;
			break;
		case 'k':
			if (key_arg(optarg, &key) != 0)
				return EXIT_USAGE;
			break;
		case 'p':
			if (part_parse(optarg, &part, &nparts, &cause) != 0) {
				fprintf(stderr, "ipcctl: --part=%s: %s\n", optarg,
				    cause);
				return EXIT_USAGE;
			}
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
	if ((h = sender_open(s, &cause)) == NULL) {
		fprintf(stderr, "ipcctl: %s\n", cause);
		return EXIT_CONNECT;
	}
	if (fromstdin) {
		if (submit_stdin(s, h, key, &t) == -2)
			status = EXIT_FAIL;	/* transport failures show in t */
	} else
		for (i = 0; i < argc; i++)
			if (submit_one(s, h, key, argv[i], part, nparts, &t) == -1)
				break;
	if (sender_close(s, h, &t) != 0 || t.accepted + t.duplicates +
	    t.rejected < t.sent) {
		fprintf(stderr, "ipcctl: %s: submitting failed after %lu of "
		    "%lu values\n", "submit", t.accepted, t.sent);
		status = EXIT_CONNECT;
	} else if (t.rejected > 0 && status == 0)
		status = EXIT_REJECTED;
	if (json)
		printf("{\"via\":\"%s\",\"sent\":%lu,\"accepted\":%lu,"
		    "\"duplicates\":%lu,\"rejected\":%lu}\n", sender_name(s),
		    t.sent, t.accepted, t.duplicates, t.rejected);
	return status;
}

static int
cmd_result(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*key = IPCD_DEFAULT_KEY;
	struct conn	 c;
	char		*reply, total[64];
	double		 timeout = 0;
	int		 ch, wait = 0, ok;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (key_arg(optarg, &key) != 0)
				return EXIT_USAGE;
			break;
		case 'w':
			wait = 1;
			break;
		case 't':
			timeout = seconds_arg(optarg, &ok);
			if (!ok) {
				fprintf(stderr, "ipcctl: --timeout=%s: expected "
				    "seconds\n", optarg);
				return EXIT_USAGE;
			}
			wait = 1;
			break;
		default:
			return command_usage("result");
		}
	}
	if (optind != argc)
		return command_usage("result");
	connect_or_die(&c);
	if (wait)
		/* A timeout below a millisecond would mean "forever". */
		ch = conn_request(&c, &reply, "%s %s %lu", REQ_WAIT, key,
		    timeout > 0 && timeout < 0.001 ? 1UL :
		    (unsigned long)(timeout * 1000));
	else
		ch = conn_request(&c, &reply, "%s %s", REQ_RESULT, key);
	if (ch != 0)
		return reply_exit("result", reply);
	if (json)
		reply_print_json(reply + 2);
	else if (reply_field(reply, "total", total, sizeof total) == 0)
		printf("%s\n", total);
	conn_close(&c);
	return 0;
}

/* A request without arguments whose reply is printed field by field. */
static int
simple_request(const char *req)
{
	struct conn	 c;
	char		*reply, *p, *end;

	connect_or_die(&c);
	if (conn_request(&c, &reply, "%s", req) != 0)
		return reply_exit(req, reply);
	if (json)
		reply_print_json(reply + 2);
	else
		for (p = strchr(reply, ' '); p != NULL; p = end) {
			p++;
			end = strchr(p, ' ');
			printf("%.*s\n", end ? (int)(end - p) : (int)strlen(p), p);
		}
	conn_close(&c);
	return 0;
}

static int
cmd_stats(int argc, char **argv)
{
	if (argc != 1)
		return command_usage("stats");
	return simple_request(REQ_STATS);
}

static int
cmd_ping(int argc, char **argv)
{
	if (argc != 1)
		return command_usage("ping");
	return simple_request(REQ_PING);
}

static int
cmd_keys(int argc, char **argv)
{
	struct conn	 c;
	char		*reply, count[32], name[80], total[64], n[32], parts[32],
			 nparts[32];
	unsigned long	 i, keys;

	if (argc != 1)
		return command_usage("keys");
	connect_or_die(&c);
	if (conn_request(&c, &reply, "%s", REQ_KEYS) != 0)
		return reply_exit("keys", reply);
	if (reply_field(reply, "count", count, sizeof count) != 0)
		return reply_exit("keys", reply);
	keys = strtoul(count, NULL, 10);
	if (json)
		printf("[");
	for (i = 0; i < keys; i++) {
		if (conn_readline(&c, &reply) != 1) {
			fprintf(stderr, "ipcctl: lost the connection to ipcd\n");
			return EXIT_CONNECT;
		}
		if (json) {
			if (i > 0)
				printf(",");
			reply_print_json(reply);
			continue;
		}
		if (reply_field(reply, "key", name, sizeof name) != 0 ||
		    reply_field(reply, "total", total, sizeof total) != 0 ||
		    reply_field(reply, "count", n, sizeof n) != 0 ||
		    reply_field(reply, "parts", parts, sizeof parts) != 0 ||
		    reply_field(reply, "nparts", nparts, sizeof nparts) != 0)
			return reply_exit("keys", reply);
		if (strcmp(nparts, "0") != 0)
			printf("%s\t%s\t%s\t%s/%s parts\n", name, total, n, parts,
			    nparts);
		else
			printf("%s\t%s\t%s\n", name, total, n);
	}
	if (json)
		printf("]\n");
	conn_close(&c);
	return 0;
}

static int
cmd_reset(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*key = IPCD_DEFAULT_KEY;
	struct conn	 c;
	char		*reply, n[32];
	int		 ch, all = 0, haskey = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (key_arg(optarg, &key) != 0)
				return EXIT_USAGE;
			haskey = 1;
			break;
		case 'a':
			all = 1;
			break;
		default:
			return command_usage("reset");
		}
	}
	if (optind != argc || (all && haskey))
		return command_usage("reset");
	connect_or_die(&c);
	if (conn_request(&c, &reply, "%s %s", REQ_RESET, all ? "*" : key) != 0)
		return reply_exit("reset", reply);
	if (json)
		reply_print_json(reply + 2);
	else if (reply_field(reply, "removed", n, sizeof n) == 0)
		printf("%s key%s removed\n", n, strcmp(n, "1") ? "s" : "");
	conn_close(&c);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*file = NULL;
	char		*cause;
	size_t		 i;
	int		 ch;

	/* A closed socket or FIFO is an error to report, not a death. */
	signal(SIGPIPE, SIG_IGN);
	/* "+": options after the command belong to the command. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'j':
			json = 1;
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
	if (conf_load(conf_find(file), &cfg, &cause) != 0) {
		fprintf(stderr, "ipcctl: %s\n", cause);
		free(cause);
		return EXIT_FAIL;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[0], commands[i].name) == 0) {
			optind = 1;
			return commands[i].fn(argc, argv);
		}
	fprintf(stderr, "ipcctl: unknown command \"%s\"\n", argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}
