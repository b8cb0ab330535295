/* CRC-32C, bytewise with a table built on first use; see crc32.h. */

#include "crc32.h"

static uint32_t	table[256];

static void
init(void)
{
	uint32_t	c;
	int		i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		table[i] = c;
	}
}

/* Continue a CRC: crc32c(0, buf, len) starts one. */
uint32_t
crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char	*p = buf;

	if (table[1] == 0)
		init();
	crc = ~crc;
	while (len-- > 0)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
