/*
 * CRC-32C (Castagnoli); see crc32.h.
 *
 * Every journal entry is checksummed on the submission path, so this is
 * hot: byte at a time it took about half of ipcd's CPU under load.  On
 * x86-64 with SSE4.2 the CRC32 instruction does 8 bytes per step; other
 * machines use slicing by 8 (eight tables, 8 bytes per step).  Both give
 * the same values (test_crc32 checks them against each other and the
 * standard check value).
 */

#include <string.h>

#include "crc32.h"

#define POLY	0x82f63b78U	/* reflected Castagnoli polynomial */

static uint32_t	table[8][256];

static void
init(void)
{
	uint32_t	c;
	int		i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			table[k][i] = (table[k - 1][i] >> 8) ^
			    table[0][table[k - 1][i] & 0xff];
}

/* Slicing by 8, on the inverted CRC. */
static uint32_t
crc_soft(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t	w;

	if (table[0][1] == 0)
		init();
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		w ^= crc;		/* little-endian: low bytes first */
		crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^
		    table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
		    table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
		    table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
	}
	while (len-- > 0)
		crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t
crc_hard(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t	c = crc, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
	}
	crc = (uint32_t)c;
	for (; len > 0; p++, len--)
		crc = _mm_crc32_u8(crc, *p);
	return crc;
}

static int
have_hard(void)
{
	static int	have = -1;

	if (have == -1)
		have = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	return have;
}
#else
#define have_hard()	0
#define crc_hard	crc_soft
#endif

/* Continue a CRC: crc32c(0, buf, len) starts one. */
uint32_t
crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (have_hard())
		return ~crc_hard(~crc, buf, len);
	return ~crc_soft(~crc, buf, len);
}

/* The portable version, for the test that compares the two. */
uint32_t
crc32c_soft(uint32_t crc, const void *buf, size_t len)
{
	return ~crc_soft(~crc, buf, len);
}
