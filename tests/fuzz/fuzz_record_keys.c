/*
 * fuzz_record_keys.c: on compacted topics the broker looks inside every produced batch for
 * records without a key, decompressing it if needed; the bytes are the producer's. Garbage must
 * give -2 (or an answer), never a crash or a read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/record_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int32_t r = gr_batch_first_keyless_record(data, size);
    if (r < -2) abort();
    return 0;
}
