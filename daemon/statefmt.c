/*
 * The state codec: the one put and get of each field type, the framing of
 * a journal entry, the bodies.  The format itself is described in
 * statefmt.h.  Pure: no files, no logging.
 */

#include <math.h>
#include <string.h>

#include "crc32.h"
#include "statefmt.h"

void
put_double(unsigned char **p, double d)
{
	uint64_t	v;

	memcpy(&v, &d, 8);
	put_u64(p, v);
}

void
put_bytes(unsigned char **p, const void *v, size_t n)
{
	if (n > 0) {
		memcpy(*p, v, n);
		*p += n;
	}
}

void
cursor_init(struct cursor *c, const void *buf, size_t len)
{
	c->p = buf;
	c->end = c->p + len;
	c->short_read = 0;
}

size_t
cursor_left(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

/* Claim N bytes; NULL (and the sticky error) if fewer are left. */
static const unsigned char *
take(struct cursor *c, size_t n)
{
	const unsigned char	*p = c->p;

	if (c->short_read || cursor_left(c) < n) {
		c->short_read = 1;
		return NULL;
	}
	c->p += n;
	return p;
}

uint64_t
get_le(struct cursor *c, int n)
{
	const unsigned char	*p = take(c, (size_t)n);
	uint64_t		 v = 0;

	while (p != NULL && n-- > 0)
		v = v << 8 | p[n];
	return v;
}

double
get_double(struct cursor *c)
{
	uint64_t	v = get_u64(c);
	double		d;

	memcpy(&d, &v, 8);
	return d;
}

void
get_bytes(struct cursor *c, void *v, size_t n)
{
	const unsigned char	*p = take(c, n);

	if (p != NULL && n > 0)
		memcpy(v, p, n);
}

/*
 * Frame the entry at the start of BUF.  Only an entry that runs past the
 * end of the bytes given is JF_SHORT: a whole entry whose checksum fails
 * is damage, wherever it lies.
 */
enum jframe
jentry_frame(const void *buf, size_t len, struct jhdr *h)
{
	struct cursor	 c;
	unsigned char	 magic[4], *q;
	uint32_t	 crc;

	cursor_init(&c, buf, len);
	h->magic = get_u32(&c);
	h->len = get_u16(&c);
	h->kind = get_u8(&c);
	(void)get_u8(&c);
	h->seq = get_u64(&c);
	if (c.short_read) {
		/* Part of a header: torn only if it begins as one would. */
		q = magic;
		put_u32(&q, JOUR_MAGIC);
		return memcmp(buf, magic, len < 4 ? len : 4) == 0 ?
		    JF_SHORT : JF_MAGIC;
	}
	if (h->magic != JOUR_MAGIC)
		return JF_MAGIC;
	if (h->len > JPAYLOAD_MAX)
		return JF_LENGTH;
	if (cursor_left(&c) < (size_t)h->len + JCRC_SIZE)
		return JF_SHORT;
	c.p += h->len;
	crc = get_u32(&c);
	if (crc != crc32c(0, buf, JHDR_SIZE + (size_t)h->len))
		return JF_CRC;
	return JF_OK;
}

const char *
jframe_cause(enum jframe f)
{
	switch (f) {
	case JF_OK:
		return "valid";
	case JF_SHORT:
		return "cut short";
	case JF_MAGIC:
		return "not the start of an entry";
	case JF_LENGTH:
		return "longer than any entry";
	case JF_CRC:
		break;
	}
	return "checksum mismatch";
}

size_t
jentry_size(const unsigned char *entry)
{
	struct cursor	c;

	cursor_init(&c, entry + 4, 2);
	return JHDR_SIZE + get_u16(&c) + JCRC_SIZE;
}

void
jentry_seal(unsigned char *entry)
{
	unsigned char	*p;
	size_t		 len = jentry_size(entry) - JCRC_SIZE;

	p = entry + len;
	put_u32(&p, crc32c(0, entry, len));
}

size_t
jentry_encode(unsigned char *out, uint8_t kind, uint64_t seq,
    const char *key, const void *body, size_t blen)
{
	unsigned char	*p = out;
	size_t		 klen = key != NULL ? strlen(key) : 0;
	size_t		 len = blen + (JKIND_KEYED(kind) ? 1 + klen : 0);

	put_u32(&p, JOUR_MAGIC);
	put_u16(&p, (uint16_t)len);
	put_u8(&p, kind);
	put_u8(&p, 0);
	put_u64(&p, seq);
	if (JKIND_KEYED(kind)) {
		put_u8(&p, (uint8_t)klen);
		put_bytes(&p, key, klen);
	}
	put_bytes(&p, body, blen);
	jentry_seal(out);
	return JHDR_SIZE + len + JCRC_SIZE;
}

size_t
jsubmit_body(unsigned char *out, double value, uint32_t part,
    uint32_t nparts)
{
	unsigned char	*p = out;

	put_double(&p, value);
	put_u32(&p, part);
	put_u32(&p, nparts);
	return (size_t)(p - out);
}

size_t
jset_body(unsigned char *out, const struct key *k)
{
	unsigned char	*p = out;

	put_u64(&p, k->acc.count);
	put_double(&p, k->min);
	put_double(&p, k->max);
	put_u8(&p, k->acc.nonnegzero);
	p += accum_encode(&k->acc, p);
	return (size_t)(p - out);
}

size_t
jtime_body(unsigned char *out, int64_t ns)
{
	unsigned char	*p = out;

	put_u64(&p, (uint64_t)ns);
	return (size_t)(p - out);
}

size_t
spoolid_put(unsigned char *out, const struct spool_id *id)
{
	unsigned char	*p = out;
	size_t		 n = strlen(id->name);

	put_u8(&p, n);
	put_bytes(&p, id->name, n);
	put_u64(&p, id->dev);
	put_u64(&p, id->ino);
	put_u64(&p, id->size);
	put_u64(&p, (uint64_t)id->mtime);
	return (size_t)(p - out);
}

/* An identity read back: its name must be one the spool would take. */
int
spoolid_get(struct cursor *c, struct spool_id *id)
{
	size_t	n = get_u8(c);

	get_bytes(c, id->name, n);
	id->name[c->short_read ? 0 : n] = '\0';
	id->dev = get_u64(c);
	id->ino = get_u64(c);
	id->size = get_u64(c);
	id->mtime = (int64_t)get_u64(c);
	return c->short_read || !spoolid_name_valid(id->name, n) ? -1 : 0;
}

/*
 * The figures of a key read back from the journal or the snapshot: at
 * least one submission, and fewer than 2^62.  No real key reaches that
 * (centuries at any rate); a larger count is damage, and refusing it means
 * the journal replayed after it can never wrap the count.
 */
int
fmt_figures_valid(uint64_t count, double min, double max)
{
	return count != 0 && count <= COUNT_MAX && isfinite(min) &&
	    isfinite(max) && min <= max;
}

/* A parted key's bitmap: every set bit is a part 1..N and their number is
 * "received" (bits past N would complete the key with parts missing). */
int
fmt_parts_valid(const struct key *k)
{
	if (k->nparts == 0)
		return k->received == 0;
	if (!part_valid(k->nparts, k->nparts) || k->received > k->nparts)
		return 0;
	if (k->nparts % 8 != 0 && (k->seen[k->nparts / 8] >> (k->nparts % 8)) != 0)
		return 0;
	return key_count_parts(k) == k->received;
}
