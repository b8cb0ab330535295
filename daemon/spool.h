/* The spool's rooms: the directory (tr_spool.c), one file of it at a
 * time, taken, read, checked and applied (spool_file.c), and rejected/
 * (spool_reject.c). */
#ifndef IPCD_SPOOL_H
#define IPCD_SPOOL_H

#include <stddef.h>
#include <sys/stat.h>

#include "daemon.h"
#include "linebuf.h"
#include "spoolid.h"

#define SPOOL_PASS_BYTES	(1 << 20)	/* read or checked per loop pass */
#define SPOOL_LINE_COST		16	/* bytes a line is charged besides its own */

struct spool_file {
	int		 fd;		/* -1 once read whole */
	struct spool_id	 id;
	struct peer	 peer;		/* the owner, for the log */
	char		*buf;		/* the whole file */
	size_t		 len;		/* bytes read */
	struct linebuf	 lb;		/* splitting buf, once read */
	unsigned long	 line;		/* lines checked */
	struct store	*stage;		/* the records checked, applied */
	uint8_t		*parted;	/* bitmap: lines of a part */
	size_t		 pcap;		/* bytes of parted */
	long		 nparts;	/* lines of a part */
};

/* What spool_file_open makes of a name. */
enum spool_take {
	SPOOL_GONE,	/* nothing there any more: nothing to do */
	SPOOL_SEEN,	/* applied already (its removal is pending) */
	SPOOL_OPEN,	/* open: step it */
	SPOOL_BAD,	/* reject it, for *why */
};

void		 spool_id_of(struct spool_id *, const char *,
		    const struct stat *);
enum spool_take	 spool_file_open(struct spool_file *, int, const char *,
		    long, char **);
int		 spool_file_step(struct spool_file *, size_t *, char **);
size_t		 spool_file_apply(struct spool_file *);
void		 spool_file_free(struct spool_file *);

/* spool_reject.c: rejected/, at most SPOOL_REJECTED_MAX files, each with
 * its .why; the oldest go first. */
#define SPOOL_REJECTED_MAX	10000
int		 spool_reject_open(int, const char *, char **);
void		 spool_reject_close(void);
int		 spool_reject_move(int, const char *, const char *);

#endif
