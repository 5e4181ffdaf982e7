/*
 * fuzz_record_batch.c: record batches from producers are untrusted bytes. Validation,
 * the record iterator and every decompressor must reject garbage without crashing.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/compression.h"
#include "proto/record_batch.h"

#define FUZZ_DECOMPRESSED_MAX_BYTES (4u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gr_batch_header h;
    if (gr_batch_validate(data, size, &h) == GR_BATCH_OK) {
        gr_record_iter it;
        gr_record rec;
        if (gr_record_iter_init(&it, data, (size_t)gr_batch_size(&h)) == 0) {
            for (int i = 0; i < 100000 && gr_record_iter_next(&it, &rec) == 1; i++) {
            }
        }
    }
    /* The first byte picks a codec; the rest is fed to that decompressor. */
    if (size > 0) {
        gr_buf out;
        gr_buf_init(&out);
        (void)gr_decompress(data[0] % 5, data + 1, size - 1, &out, FUZZ_DECOMPRESSED_MAX_BYTES);
        gr_buf_free(&out);
    }
    return 0;
}
