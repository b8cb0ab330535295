/*
 * libipcd: submit partial sums to ipcd over any of its transports and
 * read exact totals.  See libipcd(3).
 *
 * Every function returns IPCD_OK (0) or a small positive status, or one
 * of the negative IPCD_E* codes; the negative codes are the exit statuses
 * of ipcctl(1) negated.  After a failure, ipcd_error() says why in one
 * line.  Nothing here prints, exits or raises a signal; running out of
 * memory is the one exception (the process stops, as ipcd and ipcctl do).
 *
 * A handle is for one thread at a time.
 */
#ifndef IPCD_H
#define IPCD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IPCD_OK			 0
#define IPCD_DUPLICATE		 1	/* that part was already received */
#define IPCD_EFAIL		-1	/* any other failure */
#define IPCD_EINVAL		-2	/* a bad argument: key, value, part, transport */
#define IPCD_EUNREACHABLE	-3	/* ipcd unreachable, gone, or silent past the timeout */
#define IPCD_EREJECTED		-4	/* ipcd rejected a submission */
#define IPCD_ETIMEOUT		-5	/* a wait for parts ran out of time */

struct ipcd;

/* What ipcd knows of a key. */
struct ipcd_total {
	double			total;		/* exact sum, rounded once */
	unsigned long long	count;		/* accepted submissions */
	double			min, max;
	unsigned		parts;		/* parts received */
	unsigned		nparts;		/* N of I/N; 0: not a parted key */
	int			overflow;	/* the total is beyond a double */
};

/*
 * A client for the configuration in FILE, or, when FILE is NULL, the one
 * ipcctl would use ($IPCD_CONFIG, else /etc/ipcd/ipcd.conf if it exists,
 * else the embedded defaults).  Nothing is connected yet.  *C is set even
 * on failure, so that ipcd_error() can say why; pass it to ipcd_close().
 */
int		 ipcd_open(struct ipcd **c, const char *file);
void		 ipcd_close(struct ipcd *c);

/* Why the last call on C failed ("" if it did not). */
const char	*ipcd_error(const struct ipcd *c);

/* Seconds each wait for ipcd may take (default: [client] timeout). */
int		 ipcd_set_timeout(struct ipcd *c, double seconds);

/*
 * Submit VALUE to KEY (NULL: "default") over transport VIA (NULL:
 * "unix"; also "fifo", "mq", "shm", "tcp", "sysv", "spool"), as part
 * PART of NPARTS (both 0: not a part).  Acknowledged transports pipeline
 * their submissions: a rejection may be reported by a later call, by
 * ipcd_flush() or by ipcd_close().
 */
int		 ipcd_submit(struct ipcd *c, const char *via, const char *key,
		    double value, unsigned part, unsigned nparts);

/* Send everything submitted so far and, where the transport answers,
 * wait for the answers.  IPCD_EREJECTED if any was rejected. */
int		 ipcd_flush(struct ipcd *c);

/*
 * KEY's total into *T.  With WAIT, first wait until all of KEY's parts
 * are in, for at most the timeout (IPCD_ETIMEOUT names the missing
 * parts in ipcd_error()).  A key ipcd does not know is IPCD_EREJECTED.
 */
int		 ipcd_result(struct ipcd *c, const char *key, int wait,
		    struct ipcd_total *t);

/* Is ipcd there and speaking our protocol? */
int		 ipcd_ping(struct ipcd *c);

/* The library's version, "MAJOR.MINOR.PATCH". */
const char	*ipcd_version(void);

#ifdef __cplusplus
}
#endif

#endif
