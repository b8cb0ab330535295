/* SipHash-1-3: a keyed hash, so that nobody who cannot read ipcd's memory
 * can choose keys that collide. */
#ifndef IPCD_SIPHASH_H
#define IPCD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN	16

uint64_t	siphash(const uint8_t[SIPHASH_KEY_LEN], const void *, size_t,
		    int, int);
#define siphash13(k, p, n)	siphash((k), (p), (n), 1, 3)

#endif
