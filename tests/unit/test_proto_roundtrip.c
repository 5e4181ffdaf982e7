/*
 * test_proto_roundtrip.c: every generated message, every version.
 *
 * For each message and version, a few pseudo-random instances (from the
 * generated filler) go through encode -> size check -> decode -> encode,
 * and the two encodings must be identical. Every strict prefix of an
 * encoding must fail to decode: the decoders consume exactly what they
 * wrote, and running out of bytes is always noticed.
 */
#include "gen/proto_fill.c"

#include <stdio.h>
#include <string.h>

#define SEEDS_PER_VERSION 40
#define PREFIX_CHECK_SEEDS 6
#define FILL_ARENA_BYTES (64u * 1024u * 1024u)

static int failures;

static void fail(const gr_fill_entry *e, int16_t v, uint64_t seed, const char *what) {
    if (failures++ < 20)
        fprintf(stderr, "FAIL %s v%d seed %llu: %s\n", e->name, v, (unsigned long long)seed, what);
}

static void check_case(const gr_fill_entry *e, int16_t v, uint64_t seed) {
    gr_arena arena;
    gr_arena_init(&arena, FILL_ARENA_BYTES);
    gr_fill f = {seed * 1000003u + (uint64_t)v, &arena};
    void *m = gr_arena_alloc(&arena, e->struct_size);
    void *back = gr_arena_alloc(&arena, e->struct_size);
    gr_buf b1, b2;
    gr_buf_init(&b1);
    gr_buf_init(&b2);

    e->fill(&f, v, m);
    size_t predicted = e->size(v, m);
    e->encode(&b1, v, m);
    if (b1.oom) fail(e, v, seed, "out of memory");
    if (predicted != b1.len) fail(e, v, seed, "size() differs from bytes written");

    gr_reader r = gr_reader_make(b1.data, b1.len);
    if (e->decode(&r, &arena, v, back) != 0) {
        fail(e, v, seed, "decode failed");
    } else {
        if (r.pos != b1.len) fail(e, v, seed, "decode did not consume everything");
        e->encode(&b2, v, back);
        if (b2.len != b1.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0))
            fail(e, v, seed, "re-encoding differs");
        if (e->size(v, back) != b1.len) fail(e, v, seed, "size() of decoded message differs");
    }

    if (seed < PREFIX_CHECK_SEEDS) {
        for (size_t cut = 0; cut < b1.len; cut++) {
            gr_arena a2;
            gr_arena_init(&a2, FILL_ARENA_BYTES);
            void *tmp = gr_arena_alloc(&a2, e->struct_size);
            gr_reader pr = gr_reader_make(b1.data, cut);
            if (e->decode(&pr, &a2, v, tmp) == 0) fail(e, v, seed, "a truncated encoding decoded");
            gr_arena_free(&a2);
        }
    }
    gr_buf_free(&b1);
    gr_buf_free(&b2);
    gr_arena_free(&arena);
}

/* Versions outside the valid range are refused rather than guessed at. */
static void check_bad_versions(const gr_fill_entry *e) {
    gr_arena arena;
    gr_arena_init(&arena, 1u << 20);
    void *m = gr_arena_alloc(&arena, e->struct_size);
    uint8_t zeros[64] = {0};
    gr_reader r = gr_reader_make(zeros, sizeof zeros);
    if (e->decode(&r, &arena, (int16_t)(e->max_version + 1), m) == 0)
        fail(e, e->max_version + 1, 0, "accepted");
    r = gr_reader_make(zeros, sizeof zeros);
    if (e->decode(&r, &arena, -1, m) == 0) fail(e, -1, 0, "accepted");
    gr_arena_free(&arena);
}

int main(void) {
    size_t cases = 0;
    for (size_t i = 0; i < gr_fill_table_count; i++) {
        const gr_fill_entry *e = &gr_fill_table[i];
        for (int16_t v = e->min_version; v <= e->max_version; v++)
            for (uint64_t seed = 0; seed < SEEDS_PER_VERSION; seed++) {
                check_case(e, v, seed);
                cases++;
            }
        check_bad_versions(e);
    }
    printf("proto roundtrip: %zu messages, %zu cases, %d failures\n", gr_fill_table_count, cases, failures);
    return failures ? 1 : 0;
}
