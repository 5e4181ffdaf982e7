/*
 * fuzz_message_decoder.c: every generated message (requests, responses, headers and the
 * internal-topic records) through its decoder.
 *
 * Input: 2 bytes choose the message, 2 bytes its version (folded into the valid range), the rest
 * is the body. Responses matter too: followers decode Fetch responses from leaders, and the
 * coordinators decode records read back from __consumer_offsets and __transaction_state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/gen/proto_fill.c"

#define FUZZ_ARENA_BYTES (16u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    const gr_fill_entry *e = &gr_fill_table[((size_t)data[0] << 8 | data[1]) % gr_fill_table_count];
    int span = e->max_version - e->min_version + 1;
    int16_t v = (int16_t)(e->min_version + ((data[2] << 8 | data[3]) % span));
    gr_reader r = gr_reader_make(data + 4, size - 4);

    gr_arena arena;
    gr_arena_init(&arena, FUZZ_ARENA_BYTES);
    void *msg = gr_arena_alloc(&arena, e->struct_size);
    void *again = gr_arena_alloc(&arena, e->struct_size);
    if (msg && again && e->decode(&r, &arena, v, msg) == 0) {
        gr_buf b1, b2;
        gr_buf_init(&b1);
        gr_buf_init(&b2);
        e->encode(&b1, v, msg);
        if (!b1.oom && e->size(v, msg) != b1.len) abort();
        gr_reader r2 = gr_reader_make(b1.data, b1.len);
        if (!b1.oom) {
            if (e->decode(&r2, &arena, v, again) == 0) {
                e->encode(&b2, v, again);
                if (r2.pos != b1.len) abort();
                if (!b2.oom && (b2.len != b1.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0)))
                    abort();
            } else if (arena.used_bytes + (1u << 20) < FUZZ_ARENA_BYTES) {
                abort();
            }
        }
        gr_buf_free(&b1);
        gr_buf_free(&b2);
    }
    gr_arena_free(&arena);
    return 0;
}
