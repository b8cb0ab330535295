/*
 * SipHash (Aumasson and Bernstein, 2012) with C compression and D
 * finalisation rounds: the key store uses 1-3, the variant redis and the
 * Linux kernel use for hash tables; the unit test checks 2-4 against the
 * paper's test vector.
 */

#include <string.h>

#include "siphash.h"

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t
le64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
rounds(uint64_t v[4], int n)
{
	while (n-- > 0) {
		v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0];
		v[0] = ROTL(v[0], 32);
		v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
		v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
		v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2];
		v[2] = ROTL(v[2], 32);
	}
}

uint64_t
siphash(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len,
    int c, int d)
{
	const uint8_t	*p = data;
	uint64_t	 k0 = le64(key), k1 = le64(key + 8), m;
	uint64_t	 v[4] = { k0 ^ 0x736f6d6570736575ULL,
	    k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
	    k1 ^ 0x7465646279746573ULL };
	uint8_t		 last[8] = { 0 };
	size_t		 i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(p + i);
		v[3] ^= m;
		rounds(v, c);
		v[0] ^= m;
	}
	memcpy(last, p + i, len - i);
	m = le64(last) | (uint64_t)len << 56;
	v[3] ^= m;
	rounds(v, c);
	v[0] ^= m;
	v[2] ^= 0xff;
	rounds(v, d);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
