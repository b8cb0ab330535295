/*
 * ipcctl submit: values from the command line, every one checked before
 * any is sent; or records from standard input, each checked as it comes
 * by ipcd's own parser and sent as it was written, where the transport
 * carries text (the record line ipcd reads is then the one checked).
 */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcd.h"
#include "lib.h"
#include "send.h"
#include "xmalloc.h"

#define STDIN_LINE_MAX	65536	/* bytes of one line of submit -, newline not included */

/* What one submit run is doing: the library's handle does the sending
 * (ipcd's answers to it are printed by answer_print as they come). */
struct submit {
	struct ipcd	*c;
	const char	*via;
	const char	*key;
	size_t		 keylen;
	unsigned long	 bad;		/* values refused here, unsent */
	unsigned long	 lineno;	/* of standard input, the last taken */
	char		*cause;		/* why the transport failed */
	char		 where[64];	/* what was being sent at a failure */
	/* A record line made here: "KEY VALUE\n" with --key, else a line
	 * of standard input given its newline. */
	char		*line;
};

/* A record to the library, with its record line (NULL: none); -1 when
 * the transport failed (the cause is kept: later calls have errors of
 * their own). */
static int
submit_put(struct submit *sb, const struct record *r, const char *line,
    size_t len)
{
	if (lib_put(sb->c, r, line, len) != IPCD_EUNREACHABLE)
		return 0;
	sb->cause = xstrdup(ipcd_error(sb->c));
	return -1;
}

/*
 * With --key, the value P[0..N) (a line without its end): checked by
 * value_parse, in sb->line after "KEY ", which makes the record line
 * "KEY VALUE\n" that ipcd reads as the same record.  *LEN is 0 when the
 * value has a byte a record line may not carry (strtod skips leading
 * white space of every kind; a record separates by spaces and tabs
 * alone) or the line is too long: the sender formats the record.
 */
static int
value_record(struct submit *sb, const char *p, size_t n, struct record *r,
    size_t *len, const char **cause)
{
	char	*v = sb->line + sb->keylen + 1;
	size_t	 i;

	memcpy(v, p, n);
	v[n] = '\0';
	if (value_parse(v, &r->value, cause) != 0)
		return -1;
	memcpy(r->key, sb->key, sb->keylen + 1);
	r->part = r->nparts = 0;
	*len = 0;
	for (i = 0; i < n; i++)
		if (((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e) &&
		    v[i] != ' ' && v[i] != '\t')
			return 0;
	v[n] = '\n';
	if (sb->keylen + n + 2 <= IPCD_LINE_MAX)
		*len = sb->keylen + n + 2;
	return 0;
}

/*
 * One line of standard input, P[0..LEN) with its newline if it has one:
 * a record in the format of the FIFO, or with --key a bare value;
 * nothing if blank.  Sent as written (the CRs before its end dropped).
 * -1 when the transport failed.
 */
static int
submit_line(struct submit *sb, const char *p, size_t len)
{
	struct record	 r;
	const char	*cause, *line = p;
	size_t		 n = len;
	int		 bad;

	sb->lineno++;
	if (n > 0 && p[n - 1] == '\n')
		n--;
	while (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return 0;
	if (memchr(p, '\0', n) != NULL) {
		fprintf(stderr, "ipcctl: line %lu of standard input: \"%s\": "
		    "contains a NUL byte\n", sb->lineno, vis(p, n));
		sb->bad++;
		return 0;
	}
	if (sb->key != NULL) {
		bad = value_record(sb, p, n, &r, &len, &cause);
		line = sb->line;
	} else if ((bad = record_parse(p, n, &r, &cause)) == 0 &&
	    n + 1 != len) {
		/* record_parse took it: shorter than IPCD_LINE_MAX. */
		memcpy(sb->line, p, n);
		sb->line[n] = '\n';
		line = sb->line;
		len = n + 1;
	}
	if (bad) {
		fprintf(stderr, "ipcctl: line %lu of standard input: \"%s\": "
		    "%s\n", sb->lineno, vis(p, n), cause);
		sb->bad++;
		return 0;
	}
	if (submit_put(sb, &r, len > 0 ? line : NULL, len) == 0)
		return 0;
	snprintf(sb->where, sizeof sb->where, "line %lu of standard input",
	    sb->lineno);
	return -1;
}

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
	ssize_t		 n;
	int		 r, ret = 0;

	linebuf_init(&lb, STDIN_LINE_MAX + 1, STDIN_LINE_MAX + 1);
	sb->line = xmalloc(sb->keylen + STDIN_LINE_MAX + 3);
	if (sb->key != NULL) {
		memcpy(sb->line, sb->key, sb->keylen);
		sb->line[sb->keylen] = ' ';
	}
	for (;;) {
		while ((r = linebuf_next(&lb, &line, &len)) != 0) {
			if (r == -1) {
				fprintf(stderr, "ipcctl: line %lu of standard "
				    "input is longer than %d bytes\n",
				    ++sb->lineno, STDIN_LINE_MAX);
				sb->bad++;
			} else if (submit_line(sb, line, len) != 0)
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
		ret = submit_line(sb, lb.buf + lb.start, len);
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
			if (submit_put(sb, &recs[i], NULL, 0) != 0)
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

int
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
	sb.keylen = sb.key != NULL ? strlen(sb.key) : 0;
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
	free(sb.line);
	free(sb.cause);
	return status;
}

