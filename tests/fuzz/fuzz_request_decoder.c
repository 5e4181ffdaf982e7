/*
 * fuzz_request_decoder.c: a request frame, as the broker receives it after the size prefix,
 * through header parsing and the body decoder of whatever API it names.
 *
 * Besides "never crash", it checks what handlers rely on: size() matches the bytes encode()
 * writes, and a decoded request re-encodes to bytes that decode and re-encode unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/gen/api_table.h"
#include "proto/header.h"

#define FUZZ_ARENA_BYTES (16u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gr_reader r = gr_reader_make(data, size);
    gr_request_header_info h;
    if (gr_request_header_parse(&r, &h) != GR_HEADER_OK) return 0;
    const gr_api_schema *s = gr_api_schema_find(h.api_key);
    if (!s) abort(); /* the header parser only accepts known keys */
    if (h.api_version < s->min_version || h.api_version > s->max_version) return 0;

    gr_arena arena;
    gr_arena_init(&arena, FUZZ_ARENA_BYTES);
    void *msg = gr_arena_alloc(&arena, s->request_struct_size);
    void *again = gr_arena_alloc(&arena, s->request_struct_size);
    if (msg && again && s->decode_request(&r, &arena, h.api_version, msg) == 0) {
        gr_buf b1, b2;
        gr_buf_init(&b1);
        gr_buf_init(&b2);
        s->encode_request(&b1, h.api_version, msg);
        if (!b1.oom && s->size_request(h.api_version, msg) != b1.len) abort();
        gr_reader r2 = gr_reader_make(b1.data, b1.len);
        if (!b1.oom) {
            if (s->decode_request(&r2, &arena, h.api_version, again) == 0) {
                s->encode_request(&b2, h.api_version, again);
                if (r2.pos != b1.len) abort();
                if (!b2.oom && (b2.len != b1.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0)))
                    abort();
            } else if (arena.used_bytes + (1u << 20) < FUZZ_ARENA_BYTES) {
                abort(); /* our own encoding must decode, unless the arena ran out */
            }
        }
        gr_buf_free(&b1);
        gr_buf_free(&b2);
    }
    gr_arena_free(&arena);
    return 0;
}
