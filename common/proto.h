/*
 * The ipcd wire protocol: the one header both ipcd and ipcctl build on.
 *
 * A submission travels as a *record*, one line of text, the same on every
 * transport (FIFO, message queue, socket "submit" request; the shared-memory
 * ring stores it pre-parsed, see shm.h):
 *
 *	[@VERSION] [KEY] VALUE [I/N]
 *
 * separated by spaces or tabs, ended by a newline (optional on the message
 * queue, where a message is one record).  One token is a VALUE for the key
 * "default"; two are KEY VALUE; three are KEY VALUE I/N (part I of N,
 * 1 <= I <= N).  "@1" names this version and may be omitted; a record naming
 * another version is rejected, so a future format can never be misread.
 * Examples that are typed by hand:
 *
 *	echo 2.5 > ipcd.fifo
 *	echo "pi 0.785 3/10" > ipcd.fifo
 *
 * The socket carries request lines "COMMAND ARGS" (separated by spaces or
 * tabs) and answers each, in order, with exactly one reply line (the
 * "keys" reply is followed by the number of lines it announces):
 *
 *	ok [NAME=VALUE ...]
 *	duplicate [NAME=VALUE ...]
 *	err CODE MESSAGE
 *
 * String values are written in double quotes (they never contain quotes or
 * spaces), numbers bare, true and false and null as in JSON, so a reply
 * converts to JSON without guessing.  A total beyond the range of a double
 * is "total=null ... overflow=true".  A client says "hello VERSION" first;
 * ipcd answers like "ping", or "err version" when VERSION is not its own.
 * "keys" answers one page, "ok count=N cursor=C" and N lines of key
 * fields; the client asks again with cursor=C until C is 0.  The filters
 * match=GLOB (fnmatch) and idle=DURATION (keys with no update for longer:
 * seconds, or 90s, 15m, 1h, 7d) are applied by ipcd, within the page's
 * bounded walk, so a page stays bounded however few keys match.  The
 * fields of a key ("result", "keys") include updated=SECONDS.MMM (the
 * wall-clock time of its last update, since the epoch; null if unknown)
 * and idle=SECONDS (how long ago, on ipcd's clock).  "reset idle=DURATION"
 * removes every key idle longer, "ok removed=N".  These were added
 * without a version bump: a request of version 2 before them means the
 * same, and clients read fields by name.
 *
 * Bump IPCD_PROTO_VERSION whenever any of this changes incompatibly.
 */
#ifndef IPCD_PROTO_H
#define IPCD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define IPCD_PROTO_VERSION	2

#define IPCD_KEY_MAX		64	/* characters in a key */
#define IPCD_KEY_MAX_STR	"64"	/* the same, for messages */
#define IPCD_DEFAULT_KEY	"default"
/* Longest record or request line, newline included: PIPE_BUF, so that one
 * record written to the FIFO in one write(2) can never interleave. */
#define IPCD_LINE_MAX		4096
#define IPCD_PARTS_MAX		1000000	/* largest N in part I/N */
#define IPCD_PARTS_MAX_STR	"1000000"	/* the same, for messages */
/* Why a part is refused, wherever it is checked. */
/* Why a key is refused by a client, before sending it. */
#define KEY_CAUSE	"is not 1-" IPCD_KEY_MAX_STR " characters of [A-Za-z0-9_.:-]"
#define PART_CAUSE	"part is not I/N with 1 <= I <= N <= " IPCD_PARTS_MAX_STR

/* Socket requests. */
#define REQ_SUBMIT	"submit"	/* submit RECORD */
#define REQ_RESULT	"result"	/* result KEY */
#define REQ_WAIT	"wait"		/* wait KEY TIMEOUT_MS (0: forever) */
#define REQ_STATS	"stats"
#define REQ_KEYS	"keys"		/* keys [cursor=C] [limit=L] [match=GLOB] [idle=DURATION] */
#define REQ_RESET	"reset"		/* reset KEY | reset * | reset idle=DURATION */
#define REQ_PING	"ping"
/* hello PROTO: the first request of a client, pipelined with the next;
 * "ok proto=N version=... pid=N", or "err version ..." when ipcd speaks
 * another protocol. */
#define REQ_HELLO	"hello"
#define REQ_AUTH	"auth"		/* auth TOKEN: first, over tcp with a token_file */

/* The CODE of an "err" reply. */
#define ERR_USAGE	"usage"		/* malformed request */
#define ERR_INVALID	"invalid"	/* the record or key is not acceptable */
#define ERR_CONFLICT	"conflict"	/* part count disagrees with the key's */
#define ERR_NOKEY	"nokey"		/* no such key */
#define ERR_TIMEOUT	"timeout"	/* wait ran out; the message names the missing parts */
#define ERR_LIMIT	"limit"		/* a configured limit was reached */
#define ERR_DENIED	"denied"	/* the peer may not do that */
#define ERR_VERSION	"version"	/* hello named another protocol */

/* Room for any number double_format() writes, NUL included (the longest
 * is "-2.2250738585072014e-308"). */
#define NUM_FORMAT_MAX		32

struct record {
	char		key[IPCD_KEY_MAX + 1];
	double		value;
	uint32_t	part;		/* 0 when not a part */
	uint32_t	nparts;
};

int	key_valid(const char *, size_t);
int	value_parse(const char *, double *, const char **);
int	part_valid(uint32_t, uint32_t);
int	part_parse(const char *, uint32_t *, uint32_t *, const char **);
int	record_parse(const char *, size_t, struct record *, const char **);
int	record_format(char *, size_t, const struct record *);
int	double_format(char *, size_t, double);

#endif
