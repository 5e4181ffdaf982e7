/*
 * fuzz_reader.c: the bounds-checked reader driven by the input itself: each input byte picks the
 * next read (fixed-width, varints, strings, bytes, array counts, tagged fields), the rest of the
 * input is what it reads. Checks that the cursor never passes the end and that a failed read
 * leaves the reader failed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/reader.h"

#define FUZZ_READ_STEPS_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool claim_even_tags(gr_reader *field, uint32_t tag, void *ctx) {
    (void)ctx;
    if (tag % 2) return false;
    while (gr_reader_remaining(field) && !field->err) gr_read_i8(field);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t nops = data[0] % 32 + 1;
    if (nops > size - 1) nops = size - 1;
    const uint8_t *ops = data + 1;
    gr_reader r = gr_reader_make(data + 1 + nops, size - 1 - nops);
    for (size_t step = 0; step < nops && step < FUZZ_READ_STEPS_MAX; step++) {
        bool was_err = r.err;
        switch (ops[step] % 20) {
        case 0:
            gr_read_i8(&r);
            break;
        case 1:
            gr_read_i16(&r);
            break;
        case 2:
            gr_read_i32(&r);
            break;
        case 3:
            gr_read_i64(&r);
            break;
        case 4:
            gr_read_uvarint(&r);
            break;
        case 5:
            gr_read_varint(&r);
            break;
        case 6:
            gr_read_varlong(&r);
            break;
        case 7:
            gr_read_uvarlong(&r);
            break;
        case 8: {
            gr_str s = gr_read_string(&r);
            if (s.len > 0 && (const uint8_t *)s.ptr + s.len > r.data + r.len) abort();
        } break;
        case 9: {
            gr_str s = gr_read_compact_string(&r);
            if (s.len > 0 && (const uint8_t *)s.ptr + s.len > r.data + r.len) abort();
        } break;
        case 10: {
            gr_bytes s = gr_read_bytes(&r);
            if (s.len > 0 && s.ptr + s.len > r.data + r.len) abort();
        } break;
        case 11: {
            gr_bytes s = gr_read_compact_bytes(&r);
            if (s.len > 0 && s.ptr + s.len > r.data + r.len) abort();
        } break;
        case 12: {
            int32_t n = gr_read_array_count(&r, 4);
            if (!r.err && n > 0 && (size_t)n * 4 > gr_reader_remaining(&r)) abort();
        } break;
        case 13: {
            int32_t n = gr_read_compact_array_count(&r, 1);
            if (!r.err && n > 0 && (size_t)n > gr_reader_remaining(&r)) abort();
        } break;
        case 14:
            gr_read_tagged_fields(&r, NULL, NULL);
            break;
        case 15:
            gr_read_tagged_fields(&r, claim_even_tags, NULL);
            break;
        case 16: {
            uint8_t u[16];
            gr_read_uuid(&r, u);
        } break;
        case 17:
            gr_read_f64(&r);
            break;
        case 18:
            gr_read_skip(&r, ops[step] / 20u);
            break;
        default:
            gr_read_raw(&r, ops[step] / 20u);
            break;
        }
        if (r.pos > r.len) abort();
        if (was_err && !r.err) abort();
    }
    return 0;
}
