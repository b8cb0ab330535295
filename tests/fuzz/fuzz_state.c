/*
 * libFuzzer target: the durable-state loaders of daemon/state.c,
 * state_parse_snapshot() and state_parse_journal().
 *
 * The first input byte chooses what to do with the rest:
 *
 *   bits 0-1  0: the rest is a snapshot;
 *             1: the rest is a journal, replayed over an empty store;
 *             2, 3: a snapshot then a journal, as state_open() loads them:
 *                the next two bytes (little-endian) are the length of the
 *                snapshot, the remainder is the journal;
 *   bit 2     recompute the CRC-32Cs before parsing (the snapshot's
 *             trailing one, and each journal entry's, as far as entries
 *             can be framed), so that mutations get past the checksums
 *             and reach the parsing behind them;
 *   bit 3     journal alone: start from the sequence before its first
 *             entry's, as if a snapshot covered everything up to it
 *             (else from 0, as with no snapshot);
 *   bit 4     journal alone, built through the codec (statefmt.h) from
 *             the rest read as records: u8 KIND, u8 KEYLEN, the key, u8
 *             BODYLEN, the body; each becomes a well-framed entry with
 *             the next sequence number (the key left out for the kinds
 *             of no key: J_RESET_ALL, J_BEGIN, J_SPOOL, J_COMMIT,
 *             J_TIME), so the
 *             fuzzer spends its time on what entries mean rather than on
 *             their checksums.
 *
 * Each buffer is handed over in an allocation of exactly its size, so
 * AddressSanitizer sees any read past its end.  After a successful load
 * every key must be one the daemon can serve, and every spool identity
 * remembered one the spool could have taken; the store and the
 * identities are freed on every iteration, so LeakSanitizer sees any key
 * the loaders lose.
 */

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "daemon.h"
#include "log.h"
#include "statefmt.h"
#include "fuzz.h"

/* The parsers neither log nor stop the process: a fatal (exit) is a
 * finding. */

static void
fix_snapshot(char *buf, size_t len)
{
	unsigned char	*p;

	if (len < SNAP_CRC_SIZE)
		return;
	p = (unsigned char *)buf + len - SNAP_CRC_SIZE;
	put_u32(&p, crc32c(0, buf, len - SNAP_CRC_SIZE));
}

/* Reseal every entry that frames (magic, length within the real limit,
 * whole), as far as they do. */
static void
fix_journal(char *buf, size_t len)
{
	struct jhdr	h;
	size_t		off = 0;
	enum jframe	f;

	while (off < len) {
		f = jentry_frame(buf + off, len - off, &h);
		if (f != JF_OK && f != JF_CRC)
			break;
		jentry_seal((unsigned char *)buf + off);
		off += jentry_size((unsigned char *)buf + off);
	}
}

/* Records to entries through the codec (bit 4); *len gets their size. */
static char *
build_journal(const uint8_t *p, size_t size, size_t *len)
{
	unsigned char	*out = malloc(size / 3 * JENTRY_MAX + 1);
	const uint8_t	*end = p + size;
	char		 key[256];
	uint8_t		 kind, klen, blen;
	uint64_t	 seq = 0;

	if (out == NULL)
		abort();
	*len = 0;
	while (end - p >= 3) {
		kind = p[0];
		klen = p[1];
		if (klen > IPCD_KEY_MAX || end - p < 3 + klen)
			break;
		memcpy(key, p + 2, klen);
		key[klen] = '\0';
		p += 2 + klen;
		blen = *p++;
		if (blen > end - p || blen + 1 + klen > JPAYLOAD_MAX)
			break;
		*len += jentry_encode(out + *len, kind, ++seq,
		    JKIND_KEYED(kind) ? key : NULL, p, blen);
		p += blen;
	}
	return (char *)out;
}

/* A private copy of exactly LEN bytes (malloc(0) may be NULL: keep 1). */
static char *
copy(const uint8_t *p, size_t len)
{
	char	*b = malloc(len ? len : 1);

	if (b == NULL)
		abort();
	memcpy(b, p, len);
	return b;
}

/* Does K mark a part beyond its N as received? */
static int
stray_parts(const struct key *k)
{
	uint32_t	n = k->nparts;

	return n % 8 != 0 && (k->seen[n / 8] >> (n % 8)) != 0;
}

static void
check_store(struct store *s)
{
	struct key	*k;
	char		 missing[256];
	size_t		 n = 0, len;
	double		 total;
	int		 overflow;

	for (k = store_next(s, NULL); k != NULL; k = store_next(s, k)) {
		n++;
		CHECK(n <= store_count(s));
		len = strnlen(k->name, sizeof k->name);
		CHECK(key_valid(k->name, len));
		CHECK(store_find(s, k->name) == k);
		CHECK(k->acc.count > 0);
		CHECK(k->updated >= 0);
		CHECK(isfinite(k->min) && isfinite(k->max));
		CHECK(k->nparts <= IPCD_PARTS_MAX);
		CHECK(k->received <= k->nparts);
		if (k->nparts != 0) {
			CHECK(k->seen != NULL);
			CHECK(key_count_parts(k) == k->received);
			CHECK(!stray_parts(k));
			key_missing(k, missing, sizeof missing);
			CHECK(strlen(missing) < sizeof missing);
			CHECK((missing[0] == '\0') == key_complete(k));
		} else
			CHECK(k->received == 0 && !key_complete(k));
		total = key_total(k, &overflow);
		CHECK(overflow ? isinf(total) : isfinite(total));
	}
	CHECK(n == store_count(s));
}

static void
check_spoolids(void)
{
	const struct spool_id	*id;
	size_t			 i;

	for (i = 0; i < spoolid_count(); i++) {
		id = spoolid_at(i);
		CHECK(spoolid_name_valid(id->name, strnlen(id->name,
		    sizeof id->name)));
		CHECK(spoolid_find(id) == id);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store	*s;
	char		*snap = NULL, *jour = NULL, *cause = NULL;
	size_t		 snaplen = 0, jourlen = 0, good = 0;
	uint64_t	 seq = 0;
	uint8_t		 mode;
	int		 r = 0;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	switch (mode & 3) {
	case 0:
		snap = copy(data, snaplen = size);
		break;
	case 1:
		if (mode & 16)
			jour = build_journal(data, size, &jourlen);
		else
			jour = copy(data, jourlen = size);
		if ((mode & 8) && jourlen >= JHDR_SIZE) {
			struct cursor	c;

			cursor_init(&c, jour + 8, 8);
			seq = get_u64(&c) - 1;
		}
		break;
	default:
		if (size < 2)
			return 0;
		snaplen = (size_t)data[0] | (size_t)data[1] << 8;
		data += 2;
		size -= 2;
		if (snaplen > size)
			snaplen = size;
		snap = copy(data, snaplen);
		jour = copy(data + snaplen, jourlen = size - snaplen);
		break;
	}
	if (mode & 4) {
		if (snap != NULL)
			fix_snapshot(snap, snaplen);
		if (jour != NULL)
			fix_journal(jour, jourlen);
	}

	if ((s = store_new(SIZE_MAX)) == NULL)
		abort();
	if (snap != NULL) {
		r = state_parse_snapshot(snap, snaplen, s, &seq, &cause);
		if (r != 0) {
			CHECK(cause != NULL);
			free(cause);
			cause = NULL;
		}
	}
	if (r == 0 && jour != NULL) {
		r = state_parse_journal(jour, jourlen, s, &seq, &good, &cause);
		if (r != 0) {
			CHECK(cause != NULL);
			free(cause);
			cause = NULL;
		} else
			CHECK(good <= jourlen);
	}
	if (r == 0) {
		check_store(s);
		check_spoolids();
	}
	store_free(s);
	spoolid_clear();
	free(snap);
	free(jour);
	return 0;
}
