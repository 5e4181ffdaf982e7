/* crc32c.h: CRC-32C (Castagnoli), used by record batches; SSE4.2 when the CPU has it. */
#ifndef GREGOR_BASE_CRC32C_H
#define GREGOR_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: pass 0 to start. */
uint32_t gr_crc32c(uint32_t crc, const void *data, size_t len);

/* For tests and benchmarks: the portable table path whatever the CPU, and the name of the path
 * gr_crc32c takes on this CPU ("sse4.2 x3" or "table"). */
uint32_t gr_crc32c_sw(uint32_t crc, const void *data, size_t len);
const char *gr_crc32c_impl(void);

#endif
