/*
 * Configuration shared by ipcd and ipcctl: one table of keys, embedded
 * defaults that depend on who runs the program, and an inih-based loader
 * that parses into a fresh struct so that a bad file never half-applies.
 */
#ifndef IPCD_CONF_H
#define IPCD_CONF_H

#include <limits.h>
#include <sys/types.h>
#include <sys/un.h>

#define CONF_DEFAULT_FILE	"/etc/ipcd/ipcd.conf"
#define CONF_NAME_MAX		255	/* mq and shm names, group names */
#define CONF_NAME_MAX_STR	"255"	/* the same, for messages */
#define CONF_SIZE_MAX		(1024 * 1024)	/* bytes of a configuration file */
#define CONF_LIST_MAX		1024	/* [tcp] listen and allow lists */
/* The longest [unix] path: what a socket address holds, less its NUL. */
#define CONF_SOCKPATH_MAX	(sizeof ((struct sockaddr_un *)0)->sun_path - 1)

/* [state] sync */
#define SYNC_NEVER	0	/* write(2) only: survives a crash of ipcd, not of the machine */
#define SYNC_BATCH	1	/* one fdatasync per loop pass, before any reply */
#define SYNC_ALWAYS	2	/* one fdatasync per entry */

struct conf_endpoint {		/* [unix] and [fifo] */
	int	enabled;
	char	path[PATH_MAX];
	mode_t	mode;
	char	group[CONF_NAME_MAX + 1];
	int	admin;		/* [unix]: ADMIN_* */
};

/* [unix] admin: who may reset keys */
#define ADMIN_OWNER	0	/* root and the user ipcd runs as */
#define ADMIN_ANYONE	1	/* whoever may connect */

struct conf {
	char			file[PATH_MAX];	/* "" for the embedded defaults */
	struct conf_endpoint	unix_;
	struct conf_endpoint	fifo;
	struct {
		int	enabled;
		char	name[CONF_NAME_MAX + 1];
		mode_t	mode;
		long	max_messages;
		long	message_size;
	} mq;
	struct {
		int	enabled;
		char	name[CONF_NAME_MAX + 1];
		mode_t	mode;
		long	slots;
	} shm;
	struct {
		int	enabled;
		char	listen[CONF_LIST_MAX];	/* ADDR:PORT, [V6]:PORT, ... */
		char	allow[CONF_LIST_MAX];	/* CIDRs; "": loopback only */
		char	token_file[PATH_MAX];	/* "": no token asked */
		int	admin;		/* TCP peers may reset */
	} tcp;
	struct {
		int	enabled;
		char	key[PATH_MAX];	/* a number, a path for ftok, or "" */
		mode_t	mode;
	} sysv;
	struct {
		int	enabled;
		char	dir[PATH_MAX];
		mode_t	mode;
		char	group[CONF_NAME_MAX + 1];
		long	max_file_bytes;	/* read whole into memory */
	} spool;
	struct {
		int	enabled;
		char	listen[CONF_LIST_MAX];	/* ADDR:PORT, [V6]:PORT, ... */
		long	max_clients;	/* HTTP connections at once */
	} http;
	struct {
		char	textfile[PATH_MAX];	/* "": no textfile export */
		long	interval;	/* seconds between writes */
	} export_;
	struct {
		char	file[PATH_MAX];
		int	sync;		/* SYNC_* */
		long	compact_bytes;
	} state;
	struct {
		long	max_clients;
		long	max_keys;
		long	max_record_bytes;
		long	idle_timeout;	/* seconds; 0: none */
		long	max_clients_per_uid;	/* 0: max_clients / 4 */
		long	max_parts;	/* largest N of part I/N */
		long	parts_memory;	/* bytes of part bitmaps, all keys */
		long	expire_after;	/* seconds idle before a key is dropped; 0: never */
	} limits;
	struct {
		long	timeout;	/* seconds ipcctl waits for ipcd */
	} client;
};

const char	*conf_find(const char *);
void		 conf_defaults(struct conf *);
int		 conf_load(const char *, struct conf *, char **);
void		 conf_print(const struct conf *);

#endif
