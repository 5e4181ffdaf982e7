/* record_keys.c: see record_keys.h. */
#include "proto/record_keys.h"

#include "base/buf.h"
#include "base/limits.h"
#include "proto/compression.h"
#include "proto/record_batch.h"

int32_t gr_batch_first_keyless_record(const uint8_t *batch, size_t size) {
    gr_batch_header h;
    if (size < GR_BATCH_HEADER_BYTES) return -2;
    gr_batch_header_parse(batch, &h);
    if (gr_batch_size(&h) < GR_BATCH_HEADER_BYTES || (int64_t)size < gr_batch_size(&h)) return -2;
    if (gr_batch_is_control(&h)) return -1;
    const uint8_t *recs = batch + GR_BATCH_HEADER_BYTES;
    size_t len = (size_t)gr_batch_size(&h) - GR_BATCH_HEADER_BYTES;
    gr_buf plain;
    gr_buf_init(&plain);
    if (gr_batch_compression(&h) != GR_COMPRESSION_NONE) {
        if (gr_decompress(gr_batch_compression(&h), recs, len, &plain, GR_LOOKUP_DECOMPRESSED_MAX_BYTES) !=
                0 ||
            plain.oom) {
            gr_buf_free(&plain);
            return -2;
        }
        recs = plain.data;
        len = plain.len;
    }
    gr_record_iter it;
    gr_record r;
    gr_record_iter_init_records(&it, &h, recs, len);
    int32_t found = -1, index = 0;
    int rc;
    while ((rc = gr_record_iter_next(&it, &r)) == 1) {
        if (r.key.len < 0) {
            found = index;
            break;
        }
        index++;
    }
    gr_buf_free(&plain);
    return rc < 0 ? -2 : found;
}
