/* What the parts of ipcctl share. */
#ifndef IPCD_IPCCTL_H
#define IPCD_IPCCTL_H

#include <stddef.h>

#include "conf.h"
#include "proto.h"

/* Exit statuses, documented in ipcctl(1). */
#define EXIT_FAIL	1	/* any other failure */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_CONNECT	3	/* cannot reach ipcd over the chosen transport */
#define EXIT_REJECTED	4	/* ipcd (or ipcctl's own check) rejected the input */
#define EXIT_TIMEOUT	5	/* result --wait ran out of time */

extern struct conf	 cfg;
extern int		 json;

/* conn.c: the socket, request by request. */
struct conn {
	int	fd;
	size_t	start, len;
	char	buf[16384];
};

int	conn_open(struct conn *, const char *);
int	conn_write(struct conn *, const char *, size_t);
int	conn_readline(struct conn *, char **);
int	conn_request(struct conn *, char **, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	conn_close(struct conn *);
int	connect_or_die(struct conn *);
int	reply_status(const char *);
int	reply_field(const char *, const char *, char *, size_t);
int	reply_exit(const char *, const char *);
void	reply_print_json(const char *);

/* send.c: submitting records over a chosen transport. */
struct tally {
	unsigned long	sent, accepted, duplicates, rejected;
};

struct sender;
const struct sender	*sender_find(const char *);
void			*sender_open(const struct sender *, const char **);
int			 sender_put(const struct sender *, void *,
			    const struct record *, struct tally *);
int			 sender_flush(const struct sender *, void *,
			    struct tally *);
int			 sender_close(const struct sender *, void *,
			    struct tally *);
int			 via_parse(const char *, const struct sender **);
const char		*sender_name(const struct sender *);

/* ipcctl.c */
double	seconds_arg(const char *, int *);

/* pi.c */
int	cmd_pi(int, char **);

#endif
