/* CRC-32C (Castagnoli), for checksums of the state files. */
#ifndef IPCD_CRC32_H
#define IPCD_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t	crc32c(uint32_t, const void *, size_t);
/* The same without the CPU's CRC32 instruction. */
uint32_t	crc32c_soft(uint32_t, const void *, size_t);

#endif
