/* The commands that ask ipcd over the socket: result, stats, keys, reset,
 * ping.  Each talks through conn.c and returns an exit status. */

#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipcd.h"
#include "lib.h"
#include "util.h"

#define KEYS_LIMIT_MAX	1000	/* keys of one page, as ipcd caps it */
#define KEYS_LIMIT	100
#define GLOB_MAX	256

/* Say that a key's total is beyond the double range; EXIT_REJECTED. */
static int
overflow_exit(const char *what, const char *fields)
{
	char	key[IPCD_KEY_MAX + 1] = "?";

	(void)reply_field(fields, "key", key, sizeof key);
	fprintf(stderr, "ipcctl: %s: key %s: total overflows a double\n", what,
	    vis(key, strlen(key)));
	return EXIT_REJECTED;
}

/* The options of a command that takes --timeout alone (and operands up
 * to MAXARGS); the index of the first operand, or -1 after usage. */
static int
timeout_only(struct opts *o, int argc, char **argv, int maxargs)
{
	static const struct option opts[] = {
		OPTS_END
	};
	int	ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 't' || timeout_arg(optarg, &o->tg.timeout) != 0)
			goto bad;
	}
	if (argc - optind <= maxargs)
		return optind;
bad:
	command_usage(argv[0]);
	return -1;
}

int
cmd_result(const struct opts *go, int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument,
	    NULL, 'k' }, { "wait", no_argument, NULL, 'w' }, OPTS_END };
	const char	*key = IPCD_DEFAULT_KEY;
	struct ipcd	*c;
	double		 wt = 0;
	int		 ch, wait = 0, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (key_arg(optarg, &key) != 0)
				return EXIT_USAGE;
			break;
		case 't':
			if (timeout_arg(optarg, &wt) != 0)
				return EXIT_USAGE;
			/* FALLTHROUGH */
		case 'w':
			wait = 1;
			break;
		default:
			return command_usage("result");
		}
	}
	if (optind != argc)
		return command_usage("result");
	c = lib_open_target(&go->tg);
	lib_set_wait(c, wt > 0 ? wt : -1);	/* --wait alone: no limit */
	if ((r = ipcd_result(c, key, wait, NULL)) == IPCD_OK)
		r = result_print(go, "result", 0, lib_reply(c));
	else
		r = lib_exit(c, r);
	ipcd_close(c);
	return r;
}

/* Print a key's total from the reply R (of conn_request, not CONN_FAIL)
 * as "result" does, or report the error; the exit status. */
int
result_print(const struct opts *o, const char *what, int r, const char *reply)
{
	char	total[64];

	if (r != 0)
		return reply_exit(what, reply);
	if (o->json) {
		reply_print_json(reply + 2);
		putchar('\n');
	} else if (!reply_overflow(reply) &&
	    reply_field(reply, "total", total, sizeof total) == 0)
		printf("%s\n", vis(total, strlen(total)));
	return reply_overflow(reply) ? overflow_exit(what, reply) : 0;
}

/* A reply printed field by field, or as JSON. */
static void
fields_print(const struct opts *o, const char *reply)
{
	const char	*p, *end;

	if (o->json) {
		reply_print_json(reply + 2);
		putchar('\n');
	} else
		for (p = strchr(reply, ' '); p != NULL; p = end) {
			p++;
			end = strchr(p, ' ');
			printf("%s\n", vis(p, end ? (size_t)(end - p) :
			    strlen(p)));
		}
}

/* A request without arguments whose reply is printed field by field. */
static int
simple_request(const struct opts *o, const char *req)
{
	struct conn	 c;
	char		*reply, *cause;
	int		 r;

	if ((r = connect_or_fail(&c, &o->tg)) != 0)
		return r;
	if ((r = conn_request(&c, &reply, &cause, "%s", req)) == CONN_FAIL)
		r = conn_failed(req, cause);
	else if (r != 0)
		r = reply_exit(req, reply);
	else
		fields_print(o, reply);
	conn_close(&c);
	return r;
}

/* A command that is one request with no argument but --timeout. */
static int
bare_command(const struct opts *go, int argc, char **argv, const char *req)
{
	struct opts	o = *go;

	if (timeout_only(&o, argc, argv, 0) == -1)
		return EXIT_USAGE;
	return simple_request(&o, req);
}

int
cmd_stats(const struct opts *go, int argc, char **argv)
{
	return bare_command(go, argc, argv, REQ_STATS);
}

int
cmd_ping(const struct opts *go, int argc, char **argv)
{
	struct opts	 o = *go;
	struct ipcd	*c;
	int		 r;

	if (timeout_only(&o, argc, argv, 0) == -1)
		return EXIT_USAGE;
	c = lib_open_target(&o.tg);
	if ((r = ipcd_ping(c)) == IPCD_OK)
		fields_print(&o, lib_reply(c));
	else
		r = lib_exit(c, r);
	ipcd_close(c);
	return r;
}

/* The last update of a key's fields LINE, as "DATE\tAGE": an ISO 8601
 * UTC time and how long ago ("-\t-" when ipcd does not know it). */
static void
updated_text(const char *line, char *buf, size_t size)
{
	char		 upd[32], idle[32];
	struct tm	 tm;
	time_t		 t;
	long		 s;

	if (reply_field(line, "updated", upd, sizeof upd) != 0 ||
	    reply_field(line, "idle", idle, sizeof idle) != 0 ||
	    strcmp(upd, "null") == 0) {
		snprintf(buf, size, "-\t-");
		return;
	}
	t = (time_t)strtoll(upd, NULL, 10);
	s = strtol(idle, NULL, 10);
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ\t", &tm);
	if (s < 60)
		snprintf(buf + strlen(buf), size - strlen(buf), "%lds", s);
	else if (s < 3600)
		snprintf(buf + strlen(buf), size - strlen(buf), "%ldm%02lds",
		    s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf + strlen(buf), size - strlen(buf), "%ldh%02ldm",
		    s / 3600, s % 3600 / 60);
	else
		snprintf(buf + strlen(buf), size - strlen(buf), "%ldd%02ldh",
		    s / 86400, s % 86400 / 3600);
}

/* One key's fields as a line of "keys"; 1 when its total overflows. */
static int
keys_print(const struct opts *o, const char *line, int *first)
{
	char	name[80], total[64], n[32], parts[32], nparts[32], when[80];
	int	over = reply_overflow(line);

	if (o->json) {
		printf("%s", *first ? "" : ",");
		reply_print_json(line);
	} else if (reply_field(line, "key", name, sizeof name) != 0 ||
	    reply_field(line, "count", n, sizeof n) != 0 ||
	    reply_field(line, "parts", parts, sizeof parts) != 0 ||
	    reply_field(line, "nparts", nparts, sizeof nparts) != 0 ||
	    (!over && reply_field(line, "total", total, sizeof total) != 0))
		return -1;
	else {
		updated_text(line, when, sizeof when);
		printf("%s\t%s\t%s\t%s", vis(name, strlen(name)), over ?
		    "overflow" : vis(total, strlen(total)), vis(n, strlen(n)),
		    when);
		if (strcmp(nparts, "0") != 0)
			printf("\t%s/%s parts", vis(parts, strlen(parts)),
			    vis(nparts, strlen(nparts)));
		putchar('\n');
	}
	*first = 0;
	if (over)
		overflow_exit("keys", line);
	return over;
}

/*
 * One page of "keys [cursor=C] limit=L [match=GLOB] [idle=S]": print its
 * keys and leave the next cursor in CURSOR ("0": the listing is complete,
 * as from an ipcd that pages nothing and names no cursor).  IDLE is -1
 * for no idle filter.  An exit status.
 */
static int
keys_page(struct conn *c, const struct opts *o, const char *glob, long idle,
    unsigned long limit, char *cursor, size_t size, int *first, int *over)
{
	char		*reply, *cause, count[32], key[80], sent[32], ids[40];
	unsigned long	 i, n;
	int		 r;

	snprintf(sent, sizeof sent, "%s", cursor);
	snprintf(ids, sizeof ids, idle >= 0 ? " idle=%ld" : "", idle);
	r = conn_request(c, &reply, &cause, "%s%s%s limit=%lu%s%s%s", REQ_KEYS,
	    strcmp(sent, "0") != 0 ? " cursor=" : "",
	    strcmp(sent, "0") != 0 ? sent : "", limit,
	    glob != NULL ? " match=" : "", glob != NULL ? glob : "", ids);
	if (r == CONN_FAIL)
		return conn_failed("keys", cause);
	if (r != 0 || reply_field(reply, "count", count, sizeof count) != 0)
		return reply_exit("keys", reply);
	if (reply_field(reply, "cursor", cursor, size) != 0)
		strcpy(cursor, "0");
	else if (strcmp(cursor, "0") != 0 && strcmp(cursor, sent) == 0) {
		fprintf(stderr, "ipcctl: keys: ipcd gave the same cursor "
		    "again\n");
		return EXIT_FAIL;
	}
	n = strtoul(count, NULL, 10);
	for (i = 0; i < n; i++) {
		if (conn_readline(c, &reply, REQ_KEYS, &cause) != 0)
			return conn_failed("keys", cause);
		/* An ipcd that does not filter is filtered here. */
		if (glob != NULL && (reply_field(reply, "key", key,
		    sizeof key) != 0 || fnmatch(glob, key, 0) != 0))
			continue;
		if ((r = keys_print(o, reply, first)) == -1)
			return reply_exit("keys", reply);
		*over |= r;
	}
	return 0;
}

/* GLOB travels in a request: no spaces, nothing but what keys and
 * fnmatch(3) patterns are made of. */
static int
glob_valid(const char *g)
{
	size_t	len = strlen(g);

	return len > 0 && len <= GLOB_MAX && strspn(g, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.:-*?[]!^") == len;
}

/* A --idle=DURATION argument into *IDLE (seconds); -1 after saying why. */
static int
idle_arg(const char *arg, long *idle)
{
	const char	*cause;

	if (duration_parse(arg, idle, &cause) == 0)
		return 0;
	fprintf(stderr, "ipcctl: --idle=%s: %s\n", vis(arg, strlen(arg)),
	    cause);
	return -1;
}

int
cmd_keys(const struct opts *go, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "idle", required_argument, NULL, 'i' },
		OPTS_END
	};
	struct opts	 o = *go;
	struct conn	 c;
	const char	*glob = NULL;
	char		 cursor[32] = "0", *end;
	unsigned long	 limit = KEYS_LIMIT;
	long		 idle = -1;
	int		 ch, r, first = 1, over = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 't' && timeout_arg(optarg, &o.tg.timeout) == 0)
			continue;
		if (ch == 'i' && idle_arg(optarg, &idle) != 0)
			return EXIT_USAGE;
		if (ch == 'i')
			continue;
		if (ch == 'l' && (limit = strtoul(optarg, &end, 10)) >= 1 &&
		    limit <= KEYS_LIMIT_MAX && *optarg != '\0' && *end == '\0')
			continue;
		if (ch == 'l')
			fprintf(stderr, "ipcctl: --limit: expected 1 to %d\n",
			    KEYS_LIMIT_MAX);
		return command_usage("keys");
	}
	if (argc - optind > 1)
		return command_usage("keys");
	if (argc - optind == 1 && !glob_valid(glob = argv[optind])) {
		fprintf(stderr, "ipcctl: keys: \"%s\" is not a pattern of key "
		    "characters and *?[]!^\n", vis(glob, strlen(glob)));
		return EXIT_USAGE;
	}
	if ((r = connect_or_fail(&c, &o.tg)) != 0)
		return r;
	if (o.json)
		printf("[");
	do
		r = keys_page(&c, &o, glob, idle, limit, cursor,
		    sizeof cursor, &first, &over);
	while (r == 0 && strcmp(cursor, "0") != 0);
	if (o.json)
		printf("]\n");
	conn_close(&c);
	return r != 0 ? r : over ? EXIT_REJECTED : 0;
}

int
cmd_reset(const struct opts *go, int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument,
	    NULL, 'k' }, { "all", no_argument, NULL, 'a' }, { "idle",
	    required_argument, NULL, 'i' }, OPTS_END };
	struct opts	 o = *go;
	const char	*key = IPCD_DEFAULT_KEY;
	struct conn	 c;
	char		*reply, *cause, n[32], arg[40];
	long		 idle = -1;
	int		 ch, all = 0, haskey = 0, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'k' && key_arg(optarg, &key) == 0)
			haskey = 1;
		else if (ch == 'a')
			all = 1;
		else if (ch == 'i' && idle_arg(optarg, &idle) != 0)
			return EXIT_USAGE;
		else if (ch == 'i')
			continue;
		else if (ch == 't' && timeout_arg(optarg, &o.tg.timeout) == 0)
			continue;
		else
			return ch == 'k' ? EXIT_USAGE : command_usage("reset");
	}
	if (optind != argc || all + haskey + (idle >= 0) > 1)
		return command_usage("reset");
	if (idle >= 0)
		snprintf(arg, sizeof arg, "idle=%ld", idle);
	else
		snprintf(arg, sizeof arg, "%s", all ? "*" : key);
	if ((r = connect_or_fail(&c, &o.tg)) != 0)
		return r;
	r = conn_request(&c, &reply, &cause, "%s %s", REQ_RESET, arg);
	if (r == CONN_FAIL)
		r = conn_failed("reset", cause);
	else if (r != 0)
		r = reply_exit("reset", reply);
	else if (o.json) {
		reply_print_json(reply + 2);
		putchar('\n');
	} else if (reply_field(reply, "removed", n, sizeof n) == 0)
		printf("%s key%s removed\n", vis(n, strlen(n)),
		    strcmp(n, "1") ? "s" : "");
	conn_close(&c);
	return r;
}
