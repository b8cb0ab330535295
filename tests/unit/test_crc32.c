/* CRC-32C: the standard check value, and the CPU instruction path
 * against the portable one for every length and alignment up to 64 and
 * for split buffers. */

#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "t.h"

int
main(void)
{
	unsigned char	buf[256];
	size_t		off, len, cut;
	int		same = 1, split = 1;

	CHECK(crc32c(0, "123456789", 9) == 0xe3069283U,
	    "crc32c(\"123456789\") is the check value e3069283");
	CHECK(crc32c_soft(0, "123456789", 9) == 0xe3069283U,
	    "so is the portable one's");
	CHECK(crc32c(0, "", 0) == 0, "the CRC of nothing is 0");

	srand(7);
	for (off = 0; off < sizeof buf; off++)
		buf[off] = (unsigned char)rand();
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 64; len++)
			if (crc32c(0, buf + off, len) !=
			    crc32c_soft(0, buf + off, len))
				same = 0;
	CHECK(same, "both agree for every length 0..64 at 8 alignments");
	for (cut = 0; cut <= 200; cut++)
		if (crc32c(crc32c(0, buf, cut), buf + cut, 200 - cut) !=
		    crc32c_soft(0, buf, 200))
			split = 0;
	CHECK(split, "a CRC continued across any cut equals the whole one");
	return t_failed;
}
