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
 *             (else from 0, as with no snapshot).
 *
 * Each buffer is handed over in an allocation of exactly its size, so
 * AddressSanitizer sees any read past its end.  After a successful load
 * every key must be one the daemon can serve; the store is freed on every
 * iteration, so LeakSanitizer sees any key the loaders lose.
 */

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "ipcd.h"
#include "log.h"
#include "fuzz.h"

/* The journal framing, as in state.c (where it is private). */
#define JOUR_MAGIC	0x4a444349U
#define JHDR_SIZE	16		/* magic 4, len 2, type 1, pad 1, seq 8 */
#define JPAYLOAD_MAX	(1 + IPCD_KEY_MAX + 8 + 4 + 4)

/* state.c logs and may stop the process; the parsers should do neither,
 * so a fatal is a finding. */
void
log_warnx(const char *fmt, ...)
{
	(void)fmt;
}

void
log_info(const char *fmt, ...)
{
	(void)fmt;
}

static void __attribute__((noreturn, format(printf, 1, 0)))
die(const char *fmt, va_list ap)
{
	fprintf(stderr, "fuzz_state: fatal: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	abort();
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	die(fmt, ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	die(fmt, ap);
}

static void
fix_snapshot(char *buf, size_t len)
{
	uint32_t	crc;

	if (len < 4)
		return;
	crc = crc32c(0, buf, len - 4);
	memcpy(buf + len - 4, &crc, 4);
}

static void
fix_journal(char *buf, size_t len)
{
	size_t		off = 0;
	uint32_t	magic, crc;
	uint16_t	plen;

	while (len - off >= JHDR_SIZE + 4) {
		memcpy(&magic, buf + off, 4);
		memcpy(&plen, buf + off + 4, 2);
		if (magic != JOUR_MAGIC || plen > JPAYLOAD_MAX ||
		    len - off < JHDR_SIZE + plen + 4U)
			break;
		crc = crc32c(0, buf + off, JHDR_SIZE + plen);
		memcpy(buf + off + JHDR_SIZE + plen, &crc, 4);
		off += JHDR_SIZE + plen + 4;
	}
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
		jour = copy(data, jourlen = size);
		if ((mode & 8) && size >= JHDR_SIZE) {
			memcpy(&seq, data + 8, 8);
			seq--;
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
	if (r == 0)
		check_store(s);
	store_free(s);
	free(snap);
	free(jour);
	return 0;
}
