/* What the parts of ipcctl share. */
#ifndef IPCD_IPCCTL_H
#define IPCD_IPCCTL_H

#include <stddef.h>

#include "conf.h"
#include "linebuf.h"
#include "proto.h"
#include "token.h"
#include "util.h"

/* The end of every command's option table: each takes --timeout. */
#define OPTS_END \
	{ "timeout", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 }

/* Exit statuses, documented in ipcctl(1) and usage(). */
#define EXIT_FAIL	1	/* any other failure */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_CONNECT	3	/* ipcd unreachable, gone, silent past the
				   timeout, or speaking another protocol */
#define EXIT_REJECTED	4	/* ipcd (or ipcctl's own check) rejected the
				   input, or a total overflows a double */
#define EXIT_TIMEOUT	5	/* result --wait ran out of time */

/* How to reach ipcd: passed to everything that talks to it. */
struct target {
	const struct conf	*conf;
	double			 timeout;	/* seconds of each wait for ipcd */
	int			 hello;		/* open the socket with "hello" */
	/* Told of each duplicate (STATUS 1) or rejection (-1) that ipcd
	 * answers to a submission, in a message naming it; NULL: nobody. */
	void			(*answer)(void *, int, const char *);
	void			*answer_arg;
};

/* Global options, set by main(). */
struct opts {
	struct target	 tg;
	int		 json;
};

/* conn.c: the socket, request by request. */
#define TIMEOUT_MIN	0.001		/* seconds: --timeout, ipcd_set_timeout */
#define TIMEOUT_MAX	(86400.0 * 365)	/* and any number of seconds */
#define CONN_FAIL	-2	/* conn_request: no reply; see the cause */
#define CONN_BUF	16384
#define HELLO_NONE	0	/* none to send or to read */
#define HELLO_UNSENT	1	/* goes out with the first request */
#define HELLO_PENDING	2	/* sent; its reply comes first */
/* A connection's requests to send before any other: "auth TOKEN" (tcp
 * with a token_file) and "hello PROTO", at most this long. */
#define CONN_PREAMBLE	(TOKEN_MAX + 32)

struct conn {
	int			 fd;
	const struct target	*tg;
	struct linebuf		 lb;
	int			 hello;		/* HELLO_* */
	int			 auth;		/* HELLO_*, for "auth" */
	char			 token[TOKEN_MAX + 1];
	double			 reply_timeout;	/* > 0: instead of tg's */
	char			 line[IPCD_LINE_MAX + 1];
};

int	fd_wait(int, short, double, const char *, char **);
int	conn_open(struct conn *, const struct target *, char **);
void	conn_ready(struct conn *);
size_t	conn_preamble(struct conn *, char *, size_t);
int	conn_write(struct conn *, const char *, size_t, char **);
int	conn_next(struct conn *, char **, char **);
int	conn_fill(struct conn *, char **);
int	conn_readline(struct conn *, char **, const char *, char **);
int	conn_request(struct conn *, char **, char **, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
int	request_wait(struct conn *, const char *, double, char **, char **);
void	conn_close(struct conn *);

/* reply.c: replies, and safe echoes of outside text. */
int	reply_status(const char *);
int	reply_field(const char *, const char *, char *, size_t);
int	reply_overflow(const char *);
int	reply_code(const char *, const char **);

/* print.c: what ipcctl prints of replies. */
int	reply_exit(const char *, const char *);
void	reply_print_json(const char *);
void	answer_print(void *, int, const char *);
struct ipcd;
int	lib_exit(const struct ipcd *, int);

/* send.c: submitting records over a chosen transport. */
struct tally {
	unsigned long	 sent, accepted, duplicates, rejected;
	char		*cause;		/* why the transport failed, if it did */
};

struct sender;
const struct sender	*sender_find(const char *);
void			*sender_open(const struct sender *,
			    const struct target *, char **);
int			 sender_put(const struct sender *, void *,
			    const struct record *, struct tally *);
int			 sender_put_line(const struct sender *, void *,
			    const struct record *, const char *, size_t,
			    struct tally *);
int			 sender_flush(const struct sender *, void *,
			    struct tally *);
int			 sender_close(const struct sender *, void *,
			    struct tally *);
int			 via_parse(const char *, const struct sender **);
char			*sender_list(void);
const char		*sender_name(const struct sender *);

/* ipcctl.c */
double	seconds_arg(const char *, int *);
int	timeout_arg(const char *, double *);
int	key_arg(const char *, const char **);
int	command_usage(const char *);
int	connect_or_fail(struct conn *, const struct target *);
int	conn_failed(const char *, char *);

/* submit.c */
int	cmd_submit(const struct opts *, int, char **);

/* cmds.c: the commands that only ask. */
int	cmd_result(const struct opts *, int, char **);
int	cmd_stats(const struct opts *, int, char **);
int	cmd_keys(const struct opts *, int, char **);
int	cmd_reset(const struct opts *, int, char **);
int	cmd_ping(const struct opts *, int, char **);
int	result_print(const struct opts *, const char *, int, const char *);

/* run.c: N children, a channel each, their values submitted as parts. */
#define RUN_RANKS_MAX	1024	/* children of one run (pi workers too) */

struct run_job {
	const char		*what;		/* "run", "pi": for messages */
	const struct sender	*s;	/* submits the values; NULL: none come */
	unsigned long		 n;
	const char		*key;
	int			 socketpair;	/* else a pipe */
	double			 timeout;	/* > 0: the whole run's bound */
	double			 wait;	/* else the bound of the final wait */
	char			**argv;		/* the command to run, or */
	int			(*child)(void *, unsigned long, int);
	void			*arg;		/* ... a function, its argument */
};

int	run_room(const struct target *, const struct run_job *,
	    struct conn *, char **);
int	status_worse(int, int);
int	cmd_run(const struct opts *, int, char **);
void	key_fresh(char *, size_t, const char *);
void	key_forget(struct conn *, const char *, const char *);

/* pi.c */
int	cmd_pi(const struct opts *, int, char **);

#endif
