/*
 * Loading the state: pure functions, buffers in, store out (the fuzzer
 * calls them as state_open() does).  Nothing read is trusted: every key,
 * part, count and figure is checked as a submission would be, and a
 * refusal says where.
 *
 * The journal's only forgivable flaw is a torn tail: a last entry whose
 * header or length runs past the end of the file, as a crash in mid-write
 * leaves it (such an entry was never acknowledged).  A whole entry whose
 * checksum fails is damage, even the last one, and so is anything that is
 * not an entry.
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include "crc32.h"
#include "log.h"
#include "spoolid.h"
#include "statefmt.h"
#include "util.h"

/* A J_SUBMIT: one part applied at NOW (0: leave the key's time). */
static int
replay_submit(struct store *s, const char *key, struct cursor *c,
    int64_t now)
{
	struct record	 r;
	struct key	*k;
	int		 completed;

	memset(&r, 0, sizeof r);
	strcpy(r.key, key);
	r.value = get_double(c);
	r.part = get_u32(c);
	r.nparts = get_u32(c);
	if (c->short_read || cursor_left(c) != 0 || !isfinite(r.value) ||
	    !part_valid(r.part, r.nparts))
		return -1;
	if (store_apply(s, &r, &completed, &k) != APPLY_OK)
		return -1;
	if (now != 0)
		k->updated = now;
	return 0;
}

/* A J_SET body for KEY: the key takes exactly that state, at NOW. */
static int
replay_set(struct store *s, const char *key, struct cursor *c, int64_t now)
{
	struct key	*k;
	uint64_t	 count;
	double		 min, max;
	uint8_t		 nz;

	count = get_u64(c);
	min = get_double(c);
	max = get_double(c);
	nz = get_u8(c);
	if (c->short_read || !fmt_figures_valid(count, min, max) || nz > 1)
		return -1;
	if ((k = store_find(s, key)) == NULL && (k = store_insert(s, key)) == NULL)
		return -1;
	if (k->nparts != 0)
		return -1;	/* a parted key is never set whole */
	if (accum_decode(&k->acc, c->p, cursor_left(c), count, nz) != 0) {
		if (errno == ENOMEM)
			fatalx("state: out of memory replaying key %s", key);
		return -1;
	}
	k->min = min;
	k->max = max;
	if (now != 0)
		k->updated = now;
	return 0;
}

/* A J_TIME: the time of the entries that follow. */
static int
replay_time(struct cursor *c, int64_t *now)
{
	int64_t	t = (int64_t)get_u64(c);

	if (c->short_read || cursor_left(c) != 0 || t <= 0)
		return -1;
	*now = t;
	return 0;
}

/* A J_DUP: a duplicate part of a parted key, counted. */
static int
replay_dup(struct store *s, const char *key, struct cursor *c)
{
	struct key	*k = store_find(s, key);

	if (k == NULL || k->nparts == 0 || k->duplicates >= COUNT_MAX ||
	    cursor_left(c) != 0)
		return -1;
	k->duplicates++;
	return 0;
}

/* A J_SPOOL: that file's records are applied; remember it. */
static int
replay_spool(struct cursor *c)
{
	struct spool_id	id;

	if (spoolid_get(c, &id) != 0 || cursor_left(c) != 0)
		return -1;
	spoolid_add(&id);
	return 0;
}

/* Apply the payload of one framed entry; *now is the time of the last
 * J_TIME of its journal (0: none yet). */
static int
replay_entry(struct store *s, const struct jhdr *h, const char *payload,
    int64_t *now)
{
	struct cursor	 c;
	struct key	*k;
	char		 key[IPCD_KEY_MAX + 1];
	uint8_t		 klen = 0;

	cursor_init(&c, payload, h->len);
	if (JKIND_KEYED(h->kind)) {
		klen = get_u8(&c);
		if (klen == 0 || klen > IPCD_KEY_MAX)
			return -1;
		get_bytes(&c, key, klen);
		if (c.short_read || !key_valid(key, klen))
			return -1;
	}
	key[klen] = '\0';
	switch (h->kind) {
	case J_SUBMIT:
		return replay_submit(s, key, &c, *now);
	case J_SET:
		return replay_set(s, key, &c, *now);
	case J_TIME:
		return replay_time(&c, now);
	case J_DUP:
		return replay_dup(s, key, &c);
	case J_SPOOL:
		return replay_spool(&c);
	case J_RESET:
	case J_RESET_ALL:
		if (cursor_left(&c) != 0)
			return -1;
		if (h->kind == J_RESET_ALL)
			store_remove_all(s);
		else if ((k = store_find(s, key)) != NULL)
			store_remove(s, k);
		return 0;
	}
	return -1;
}

/* An entry that runs past the end is torn only if no whole entry lies in
 * the bytes after its start: else its length was damaged. */
static int
torn(const char *p, size_t len)
{
	struct jhdr	h;
	size_t		i;

	for (i = 1; i + JHDR_SIZE + JCRC_SIZE <= len; i++)
		if (jentry_frame(p + i, len - i, &h) == JF_OK)
			return 0;
	return 1;
}

/* Replay the entries of a transaction, from its J_BEGIN at P to its
 * J_COMMIT at END; they were framed already.  -1 with the sequence of
 * the one that makes no sense. */
static int
replay_txn(struct store *s, const char *p, const char *end, uint64_t *bad,
    int64_t *now)
{
	struct jhdr	h;

	p += jentry_size((const unsigned char *)p);	/* the J_BEGIN */
	for (; p < end; p += JHDR_SIZE + h.len + JCRC_SIZE) {
		(void)jentry_frame(p, (size_t)(end - p), &h);
		if (replay_entry(s, &h, p + JHDR_SIZE, now) != 0) {
			*bad = h.seq;
			return -1;
		}
	}
	return 0;
}

/*
 * Replay journal entries over S.  *seq is the last sequence applied (the
 * snapshot's on entry); entries up to it are skipped, the next must follow
 * without a gap.  The entries of a transaction (J_BEGIN .. J_COMMIT) are
 * held until its J_COMMIT, and dropped with what follows if the journal
 * ends first.  *good is the length of the entries kept: less than LEN
 * only for a torn tail or an unfinished transaction.  Anything else that
 * does not check out is -1 with *cause.
 */
int
state_parse_journal(const char *buf, size_t len, struct store *s,
    uint64_t *seq, size_t *good, char **cause)
{
	struct jhdr	h;
	enum jframe	f;
	size_t		off, txn = SIZE_MAX;	/* offset of an open J_BEGIN */
	uint64_t	last = *seq, bad;
	int64_t		now = 0;	/* of the last J_TIME */

	for (off = 0; off < len; off += JHDR_SIZE + h.len + JCRC_SIZE) {
		if (txn == SIZE_MAX)
			*good = off;
		f = jentry_frame(buf + off, len - off, &h);
		if (f == JF_SHORT && torn(buf + off, len - off))
			return 0;
		if (f == JF_MAGIC && off == 0) {
			*cause = fmtstr("not an ipcd journal (it does not begin "
			    "with an entry)");
			return -1;
		}
		if (f != JF_OK) {
			*cause = fmtstr("journal is corrupt at offset %zu: %s%s",
			    off, jframe_cause(f), f == JF_SHORT ?
			    " (valid entries follow)" : "");
			return -1;
		}
		if (h.seq <= last)
			continue;	/* already in the snapshot */
		if (h.seq != last + 1) {
			*cause = fmtstr("journal entry at offset %zu has sequence "
			    "%llu after %llu: entries are missing", off,
			    (unsigned long long)h.seq, (unsigned long long)last);
			return -1;
		}
		last = h.seq;
		bad = h.seq;
		if (h.kind == J_BEGIN && txn == SIZE_MAX && h.len == 0) {
			txn = off;
			continue;
		}
		if (txn != SIZE_MAX && h.kind != J_COMMIT)
			continue;	/* held until its J_COMMIT */
		if (h.kind == J_COMMIT ? txn == SIZE_MAX || h.len != 0 ||
		    replay_txn(s, buf + txn, buf + off, &bad, &now) != 0 :
		    replay_entry(s, &h, buf + off + JHDR_SIZE, &now) != 0) {
			*cause = fmtstr("journal entry %llu is well formed but "
			    "makes no sense", (unsigned long long)bad);
			return -1;
		}
		txn = SIZE_MAX;
		*seq = last;
	}
	if (txn == SIZE_MAX)
		*good = len;
	return 0;
}

/* The accumulator of a snapshot key, as VERSION stores it. */
static int
snap_accum(struct cursor *c, uint32_t version, struct key *k, uint64_t count,
    int nz)
{
	int64_t		limb[ACCUM_LIMBS];
	uint16_t	alen;
	size_t		i;
	int		r;

	if (version == 1) {
		for (i = 0; i < ACCUM_LIMBS; i++)
			limb[i] = (int64_t)get_u64(c);
		if (c->short_read)
			return -1;
		r = accum_import(&k->acc, limb, count, nz);
	} else {
		alen = get_u16(c);
		if (c->short_read || cursor_left(c) < alen)
			return -1;
		r = accum_decode(&k->acc, c->p, alen, count, nz);
		c->p += alen;
	}
	if (r != 0 && errno == ENOMEM)
		fatalx("state: out of memory loading key %s", k->name);
	return r;
}

static int
snap_key(struct cursor *c, uint32_t version, struct store *s)
{
	struct key	*k;
	char		 name[IPCD_KEY_MAX + 1];
	uint64_t	 count;
	uint32_t	 nz;
	uint8_t		 klen;

	klen = get_u8(c);
	if (klen == 0 || klen > IPCD_KEY_MAX)
		return -1;
	get_bytes(c, name, klen);
	if (c->short_read || !key_valid(name, klen))
		return -1;
	name[klen] = '\0';
	if ((k = store_insert(s, name)) == NULL)
		return -1;
	count = get_u64(c);
	k->duplicates = get_u64(c);
	k->min = get_double(c);
	k->max = get_double(c);
	k->nparts = get_u32(c);
	k->received = get_u32(c);
	nz = get_u32(c);
	if (version >= 4)
		k->updated = (int64_t)get_u64(c);
	if (c->short_read || nz > 1 || k->updated < 0 ||
	    snap_accum(c, version, k, count, (int)nz) != 0)
		return -1;
	if (!fmt_figures_valid(k->acc.count, k->min, k->max) ||
	    k->duplicates > COUNT_MAX)
		return -1;
	if (k->nparts != 0) {
		if (!part_valid(k->nparts, k->nparts))
			return -1;
		key_set_parts(s, k, k->nparts);	/* counted in the budget */
		get_bytes(c, k->seen, (k->nparts + 7) / 8);
		if (c->short_read)
			return -1;
	}
	return fmt_parts_valid(k) ? 0 : -1;
}

/* The identities of spool files a version 3 snapshot remembers. */
static int
snap_spoolids(struct cursor *c)
{
	struct spool_id	id;
	uint64_t	n, i;

	n = get_u64(c);
	for (i = 0; i < n; i++) {
		if (spoolid_get(c, &id) != 0)
			return -1;
		spoolid_add(&id);
	}
	return c->short_read ? -1 : 0;
}

/* Load a snapshot into the empty store S; *seq is the last journal
 * sequence it covers. */
int
state_parse_snapshot(const char *buf, size_t len, struct store *s,
    uint64_t *seq, char **cause)
{
	struct cursor	c;
	uint64_t	nkeys, i;
	uint32_t	version, crc;
	char		magic[8];

	if (len < SNAP_HDR_SIZE + SNAP_CRC_SIZE) {
		*cause = fmtstr("too short (%zu bytes)", len);
		return -1;
	}
	cursor_init(&c, buf + len - SNAP_CRC_SIZE, SNAP_CRC_SIZE);
	crc = get_u32(&c);
	if (crc != crc32c(0, buf, len - SNAP_CRC_SIZE)) {
		*cause = fmtstr("checksum mismatch");
		return -1;
	}
	cursor_init(&c, buf, len - SNAP_CRC_SIZE);
	get_bytes(&c, magic, 8);
	version = get_u32(&c);
	(void)get_u32(&c);
	*seq = get_u64(&c);
	nkeys = get_u64(&c);
	if (memcmp(magic, SNAP_MAGIC, 8) != 0 || version == 0 ||
	    version > SNAP_VERSION) {
		*cause = fmtstr("not an ipcd state file of version 1 to %d",
		    SNAP_VERSION);
		return -1;
	}
	for (i = 0; i < nkeys; i++)
		if (snap_key(&c, version, s) != 0)
			goto bad;
	if (version >= 3 && snap_spoolids(&c) != 0) {
		*cause = fmtstr("its spool identities are damaged");
		return -1;
	}
	if (cursor_left(&c) != 0)
		goto bad;
	return 0;
bad:
	*cause = fmtstr("key %llu of %llu is damaged", (unsigned long long)i + 1,
	    (unsigned long long)nkeys);
	return -1;
}
