/* What the parts of ipcd share: the transport interface, the loop's
 * services (server.c) and the key store (store.c). */
#ifndef IPCD_DAEMON_H
#define IPCD_DAEMON_H

#include <stddef.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "accum.h"
#include "conf.h"
#include "netaddr.h"
#include "proto.h"

struct event_base;

/*
 * A transport turns bytes into validated records and hands each to
 * server_submit(); that is all it knows of the daemon.  Each transport's
 * file keeps its state static and exports one of these.
 */
enum tr_id { TR_UNIX, TR_FIFO, TR_MQ, TR_SHM, TR_TCP, TR_SYSV, TR_SPOOL,
    TR_COUNT };

struct transport {
	const char	*name;
	/* Where in struct conf its "enabled" (an int) and its object's path
	 * or name (a string) are: a new path or name means a reopen. */
	size_t		 enabled_at;
	size_t		 where_at;
	/* Optional: does anything else in the config need a reopen? */
	int		(*changed)(const struct conf *, const struct conf *);
	/* Optional: apply, in place, a change that needs no reopening
	 * (mode, group). */
	int		(*update)(const struct conf *, const struct conf *,
			    char **);
	int		(*open)(const struct conf *, char **);
	void		(*close)(void);
	/* Optional: what this pass applied is now durable. */
	void		(*committed)(void);
	/* Optional: before a close, stop input and take what is already
	 * there; the loop commits it, then calls close. */
	void		(*drain)(void);
};

/* Where a transport's section of struct conf keeps "enabled" and WHERE. */
#define TR_CONF(sec, where)						\
	.enabled_at = offsetof(struct conf, sec.enabled),		\
	.where_at = offsetof(struct conf, sec.where)

extern const struct transport tr_unix, tr_fifo, tr_mq, tr_shm, tr_tcp,
    tr_sysv, tr_spool;

/* transports.c: the table of transports and the steps of their lives. */
#define TRS_KEEP	0	/* trs_update: nothing more to do */
#define TRS_REOPEN	1	/* trs_update: close, then open anew */
int		 trs_is_open(enum tr_id);
int		 trs_open(enum tr_id, const struct conf *);
int		 trs_update(enum tr_id, const struct conf *, const struct conf *);
void		 trs_drain(enum tr_id);
void		 trs_close(enum tr_id);
void		 trs_committed(void);
const char	*trs_open_names(void);
const char	*server_transport_name(enum tr_id);

/* Who sent a record, where the transport knows it: the Unix socket knows
 * the process and its user, TCP only the address (pid 0, uid PEER_NOUID). */
struct peer {
	pid_t	pid;
	uid_t	uid;
	gid_t	gid;
	char	addr[NETADDR_HOST_MAX];	/* "" unless a network peer */
};
#define PEER_NOUID	((uid_t)-1)

/* tr_tcp.c: what [tcp] must be for ipcd to start (or reload) with it. */
int	tcp_conf_check(const struct conf *, char **);
/* listen.c: the listening sockets of a section with a "listen" list,
 * [tcp] and [http]. */
int	inet_listeners(const char *, const char *, int *, int *, char **);

/* ipcd's exit statuses, documented in ipcd(8). */
#define EXIT_USAGE	2
#define EXIT_STATE	65	/* the state file cannot be trusted (EX_DATAERR) */
#define EXIT_CONFIG	78	/* as sysexits' EX_CONFIG; the unit will not restart on it */

/* The outcome of applying a record. */
enum apply {
	APPLY_OK,
	APPLY_DUPLICATE,	/* that part was already received */
	APPLY_CONFLICT,		/* N differs from the key's */
	APPLY_LIMIT,		/* too many keys */
	APPLY_PARTS,		/* N above limits.max_parts */
	APPLY_PARTS_MEMORY,	/* part bitmaps at limits.parts_memory */
	APPLY_INVALID,		/* the record did not parse, or is too long */
};

/* The classes of rejected input, counted apart (the "cause" label of
 * ipcd_records_rejected_total; their names are in metrics.c). */
enum reject {
	RJ_MALFORMED,		/* a record or request that does not parse */
	RJ_TOO_LONG,		/* beyond limits.max_record_bytes, or a line */
	RJ_CONFLICT,		/* APPLY_CONFLICT */
	RJ_LIMIT_KEYS,		/* APPLY_LIMIT */
	RJ_LIMIT_PARTS,		/* APPLY_PARTS */
	RJ_PARTS_MEMORY,	/* APPLY_PARTS_MEMORY */
	RJ_LIMIT_CLIENTS,	/* a connection beyond limits.max_clients* */
	RJ_IDLE,		/* a client idle past limits.idle_timeout */
	RJ_DENIED,		/* a peer not allowed, or not allowed that */
	RJ_DAMAGED,		/* shared memory written over by another */
	RJ_FILE,		/* a spool file refused whole */
	RJ_COUNT
};

/* store.c */
struct key {
	struct accum	 acc;
	double		 min, max;
	uint64_t	 duplicates;
	int64_t		 updated;	/* wall clock (ns since the epoch) of
					 * the last submission applied; 0:
					 * unknown */
	uint32_t	 nparts;	/* 0: not a parted key */
	uint32_t	 received;	/* distinct parts received */
	uint8_t		*seen;		/* bitmap of parts received */
	uint32_t	 mark;		/* 1 + its place in the store's list
					 * of changed keys; 0: not on it */
	/* What a lookup reads, together beside the name: a chain is
	 * walked by hash, the name compared only when the hash matches. */
	uint32_t	 hash;		/* of the name, with the store's key */
	struct key	*next;		/* hash chain */
	char		 name[];	/* allocated to its length, at most
					 * IPCD_KEY_MAX characters */
};

/* Add V to K's total, count, minimum and maximum: what an accepted
 * record does to its key, parts aside (store_apply; runs of one key). */
static inline void
key_add(struct key *k, double v)
{
	int	first = k->acc.count == 0;

	accum_add(&k->acc, v);
	if (first || v < k->min)
		k->min = v;
	if (first || v > k->max)
		k->max = v;
}

struct store;

struct store	*store_new(size_t);
void		 store_free(struct store *);
void		 store_set_limit(struct store *, size_t);
void		 store_set_part_limits(struct store *, uint32_t, size_t);
size_t		 store_parts_bytes(const struct store *);
size_t		 store_limit(const struct store *);
struct key	*store_insert(struct store *, const char *);
enum apply	 store_apply(struct store *, const struct record *, int *,
		    struct key **);
enum apply	 store_merge(struct store *, const struct key *, struct key **);
/* Keys whose totals changed since they were last taken off the list, for
 * the journal: mark one, take one (NULL when none is left). */
void		 store_mark(struct store *, struct key *);
struct key	*store_take_changed(struct store *);
struct key	*store_find(struct store *, const char *);
void		 store_remove(struct store *, struct key *);
size_t		 store_remove_all(struct store *);
size_t		 store_count(const struct store *);
struct key	*store_next(struct store *, struct key *);
uint64_t	 store_scan(struct store *, uint64_t,
		    void (*)(struct key *, void *), void *);
size_t		 store_longest_chain(const struct store *);
void		 key_set_parts(struct store *, struct key *, uint32_t);
double		 key_total(const struct key *, int *);
int		 key_complete(const struct key *);
uint32_t	 key_count_parts(const struct key *);
void		 key_missing(const struct key *, char *, size_t);

/* state.c, state_load.c: durable totals */
int	state_open(const struct conf *, struct store *, char **);
void	state_submit(struct store *, struct key *, const struct record *);
void	state_duplicate(struct store *, struct key *);
void	state_reset(const char *);
struct spool_id;
void	state_spool_begin(void);
void	state_spool_done(const struct spool_id *);
void	state_commit(struct store *);
void	state_close(struct store *);
void	state_reap(void);
/* What the state costs, for the metrics. */
struct state_figures {
	uint64_t	journal_bytes;	/* both journals while compacting */
	uint64_t	snapshot_bytes;
	double		commit_seconds;	/* the last commit that wrote */
};
void	state_figures(struct state_figures *);
int	state_parse_snapshot(const char *, size_t, struct store *, uint64_t *,
	    char **);
int	state_parse_journal(const char *, size_t, struct store *, uint64_t *,
	    size_t *, char **);

/* server.c: the loop and what every part of the daemon may ask of it. */
struct event_base	*server_base(void);
struct store		*server_store(void);
const struct conf	*server_conf(void);
time_t			 server_started(void);
/* The figures of "ipcctl stats", as NAME=VALUE fields. */
void			 server_stats(char *, size_t);
int			 server_run(struct conf *);

/* intake.c: the one door from the transports to the store. */
enum apply		 server_submit(enum tr_id, const struct record *,
			    const struct peer *);
/* A run of unparted records of one key: the record, its values, how many
 * (at least one). */
enum apply		 server_submit_values(enum tr_id, struct record *,
			    const double *, size_t, const struct peer *);
/* The one way in for a text record (a FIFO line, a message, a socket
 * "submit"): check its length against limits.max_record_bytes, parse,
 * then reject (counted, logged) or submit.  *r gets what was parsed, and
 * *cause the reason when the result is APPLY_INVALID. */
enum apply		 server_take_line(enum tr_id, const char *, size_t,
			    const struct peer *, struct record *,
			    const char **);
/* The same checks, without submitting or counting: 0, or -1 with
 * *cause. */
int			 server_check_line(const char *, size_t,
			    struct record *, const char **);
/* The reason given for a line longer than the limit, for transports whose
 * line splitter dropped one. */
const char		*server_too_long(void);
void			 server_reject(enum tr_id, enum reject, const char *,
			    const struct peer *);
/* Records applied (a merged spool file counts its records) and inputs
 * rejected, in class RJ, on transport TR since the start. */
uint64_t		 server_accepted(enum tr_id);
uint64_t		 server_rejected(enum tr_id, enum reject);
uint64_t		 server_duplicates(enum tr_id);
/* A key a spool file staged whole: merged, counted as its records. */
void			 server_merge(enum tr_id, const struct key *,
			    const struct peer *);
size_t			 server_reset(const char *, enum tr_id,
			    const struct peer *);
void			 server_remove(struct key *, const char *);
/* Who is told when a key has all its parts or is removed. */
void			 intake_watch(void (*)(const struct key *),
			    void (*)(const struct key *, const char *));
void			 intake_pass_end(void);
void			 intake_status(char *, size_t);

#endif
