/*
 * The on-disk format of ipcd's state, defined once: the writer (state.c),
 * the loader (state_load.c) and the fuzzer all go through these.  Every
 * field is put and got explicitly, little-endian, whatever the host.
 *
 * Journal: a sequence of entries, each
 *
 *	u32 JOUR_MAGIC, u16 LEN, u8 KIND, u8 0, u64 SEQ,
 *	LEN bytes of payload, u32 CRC-32C of the header and the payload.
 *
 * The payload is u8 KLEN and the key (the kinds of a key: J_SUBMIT, J_SET,
 * J_RESET, J_DUP), then the kind's body:
 *
 *	J_SUBMIT	double VALUE, u32 PART, u32 NPARTS (one applied part)
 *	J_SET		u64 COUNT, double MIN, double MAX, u8 NONNEGZERO,
 *			the accumulator as accum_encode() writes it (the
 *			whole state of an unparted key)
 *	J_RESET		nothing (the key was removed)
 *	J_RESET_ALL	nothing, and no key (every key was removed)
 *	J_DUP		nothing (a duplicate part of the key was received)
 *	J_BEGIN		nothing, and no key: the entries up to the next
 *			J_COMMIT are one transaction, replayed only if
 *			that J_COMMIT is there (a crash in mid-write may
 *			leave a batch half written)
 *	J_SPOOL		no key; the identity of a spool file whose records
 *			the transaction holds: u8 NLEN, the name, u64 DEV,
 *			u64 INO, u64 SIZE, i64 MTIME (ns)
 *	J_COMMIT	nothing, and no key: the end of the transaction
 *	J_TIME		no key; i64 TIME, the wall clock (ns since the
 *			epoch, above 0) of the loop pass whose entries
 *			follow: each J_SUBMIT and J_SET after it, up to the
 *			next J_TIME, sets its key's last-update time to
 *			TIME.  Written before the first of those whose
 *			time differs from the last J_TIME of the same
 *			journal file, so every file stands alone; an entry
 *			with no J_TIME before it in its file (a journal
 *			of an older ipcd) leaves the time as it is
 *
 * Snapshot: "IPCDSNP1", u32 VERSION, u32 0, u64 SEQ (the last journal entry
 * it covers), u64 NKEYS, the keys, u32 CRC-32C of all that precedes it.
 * A key: u8 KLEN, the key, u64 COUNT, u64 DUPLICATES, double MIN, double
 * MAX, u32 NPARTS, u32 RECEIVED, u32 NONNEGZERO, then in version 1 the
 * ACCUM_LIMBS limbs as i64, in version 2 u16 ALEN and ALEN bytes of
 * accum_encode(); then, when NPARTS is not 0, the bitmap of the parts
 * received ((NPARTS + 7) / 8 bytes).  Version 3 adds, after the keys,
 * u64 NIDS and the identities of spool files as J_SPOOL stores them.
 * Version 4 adds to each key, after NONNEGZERO, i64 UPDATED: its
 * last-update time as J_TIME gives it (0: unknown).  Version 4 is
 * written; 1 to 3 are read.
 *
 * A key whose time the state does not give (versions 1 to 3, or journal
 * entries with no J_TIME) takes the time it was loaded at (state.c):
 * never 0, so that limits.expire_after counts its idleness from the
 * upgrade rather than dropping every old key at once.
 */
#ifndef IPCD_STATEFMT_H
#define IPCD_STATEFMT_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon.h"
#include "spoolid.h"

#define SNAP_MAGIC	"IPCDSNP1"
#define SNAP_VERSION	4	/* written; versions 1 to 3 are still read */
#define SNAP_HDR_SIZE	(8 + 4 + 4 + 8 + 8)
#define SNAP_CRC_SIZE	4

#define JOUR_MAGIC	0x4a444349U	/* "ICDJ" as little-endian bytes */
#define JHDR_SIZE	16		/* magic 4, len 2, kind 1, pad 1, seq 8 */
#define JCRC_SIZE	4

enum jkind { J_SUBMIT = 1, J_RESET = 2, J_RESET_ALL = 3, J_SET = 4,
    J_DUP = 5, J_BEGIN = 6, J_SPOOL = 7, J_COMMIT = 8, J_TIME = 9 };

/* Does an entry of KIND name a key? */
#define JKIND_KEYED(kind) \
	((kind) == J_SUBMIT || (kind) == J_SET || (kind) == J_RESET || \
	(kind) == J_DUP)

#define JKEY_MAX	(1 + IPCD_KEY_MAX)
#define JSUBMIT_BODY	(8 + 4 + 4)
#define JTIME_BODY	8
#define JSET_BODY_MAX	(8 * 3 + 1 + ACCUM_ENCODED_MAX)
#define JSPOOL_BODY_MAX	(1 + SPOOL_NAME_MAX + 8 * 4)
#define JPAYLOAD_MAX	(JKEY_MAX + JSET_BODY_MAX > JSPOOL_BODY_MAX ? \
			JKEY_MAX + JSET_BODY_MAX : JSPOOL_BODY_MAX)
#define JENTRY_MAX	(JHDR_SIZE + JPAYLOAD_MAX + JCRC_SIZE)

/* A snapshot key's size, at most (version 4). */
#define SNAP_KEY_MAX(nparts) \
	(JKEY_MAX + 8 * 5 + 4 * 3 + 2 + ACCUM_ENCODED_MAX + ((nparts) + 7) / 8)

/* Counts read back above this are damage (see fmt_figures_valid()). */
#define COUNT_MAX	((uint64_t)1 << 62)

/* Writing: P advances over what was put; the caller sized the buffer. */
/* An unsigned integer as N bytes, least significant first: inline, so
 * that with N known the copy is one store (a J_SET per changed key is
 * most of the journal's work). */
static inline void
put_le(unsigned char **p, uint64_t v, int n)
{
	uint64_t	le = htole64(v);	/* its first N bytes, any host */

	memcpy(*p, &le, (size_t)n);
	*p += n;
}
#define put_u8(p, v)	put_le((p), (uint8_t)(v), 1)
#define put_u16(p, v)	put_le((p), (uint16_t)(v), 2)
#define put_u32(p, v)	put_le((p), (uint32_t)(v), 4)
#define put_u64(p, v)	put_le((p), (uint64_t)(v), 8)
void	put_double(unsigned char **, double);
void	put_bytes(unsigned char **, const void *, size_t);

/* Reading: past the end, every get gives 0 and sets the sticky error. */
struct cursor {
	const unsigned char	*p, *end;
	int			 short_read;
};

void		cursor_init(struct cursor *, const void *, size_t);
size_t		cursor_left(const struct cursor *);
/* N bytes, least significant first; 0 past the end (and the sticky
 * error). */
uint64_t	get_le(struct cursor *, int);
#define get_u8(c)	((uint8_t)get_le((c), 1))
#define get_u16(c)	((uint16_t)get_le((c), 2))
#define get_u32(c)	((uint32_t)get_le((c), 4))
#define get_u64(c)	get_le((c), 8)
double		get_double(struct cursor *);
void		get_bytes(struct cursor *, void *, size_t);

/* A journal entry's header. */
struct jhdr {
	uint32_t	magic;
	uint16_t	len;
	uint8_t		kind;
	uint64_t	seq;
};

/* Framing one entry at the start of N bytes. */
enum jframe {
	JF_OK,		/* whole, checksum right */
	JF_SHORT,	/* its header or its length runs past the end */
	JF_MAGIC,	/* not an entry's magic */
	JF_LENGTH,	/* longer than any entry */
	JF_CRC,		/* whole, checksum wrong */
};

enum jframe	jentry_frame(const void *, size_t, struct jhdr *);
const char	*jframe_cause(enum jframe);
/* Entry of KIND for KEY (NULL for the kinds of no key) with BODY, into OUT
 * (JENTRY_MAX bytes); returns its size. */
size_t	jentry_encode(unsigned char *, uint8_t, uint64_t, const char *,
	    const void *, size_t);
/* Recompute the CRC of the entry at P whose header is whole. */
void	jentry_seal(unsigned char *);
/* The size of the entry at P, from its header. */
size_t	jentry_size(const unsigned char *);

/* Bodies. */
size_t	jsubmit_body(unsigned char *, double, uint32_t, uint32_t);
size_t	jset_body(unsigned char *, const struct key *);
size_t	jtime_body(unsigned char *, int64_t);
/* A spool identity, as J_SPOOL and the snapshot hold it. */
size_t	spoolid_put(unsigned char *, const struct spool_id *);
int	spoolid_get(struct cursor *, struct spool_id *);

int	fmt_figures_valid(uint64_t, double, double);
int	fmt_parts_valid(const struct key *);

#endif
