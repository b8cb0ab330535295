/*
 * The identities of spool files whose records are applied but whose
 * removal from the spool directory is not yet known to be durable: the
 * state keeps them (journal entry J_SPOOL, snapshot), so that a file
 * found again after a crash is removed without being applied twice.
 */
#ifndef IPCD_SPOOLID_H
#define IPCD_SPOOLID_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_NAME_MAX	255	/* NAME_MAX: one directory entry */

struct spool_id {
	char		name[SPOOL_NAME_MAX + 1];
	uint64_t	dev, ino, size;
	int64_t		mtime;		/* ns since the epoch */
};

/* A name the spool takes: one entry, no '/', not hidden (".": being
 * written), no NUL, not "rejected". */
int			 spoolid_name_valid(const char *, size_t);
/* Is the same file (name, device, inode, size, mtime)? */
int			 spoolid_same(const struct spool_id *,
			    const struct spool_id *);
void			 spoolid_add(const struct spool_id *);
const struct spool_id	*spoolid_find(const struct spool_id *);
void			 spoolid_forget(const struct spool_id *);
size_t			 spoolid_count(void);
const struct spool_id	*spoolid_at(size_t);
void			 spoolid_clear(void);

#endif
