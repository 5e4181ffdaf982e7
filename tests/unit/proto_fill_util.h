/*
 * proto_fill_util.h: deterministic pseudo-random values for the generated
 * test filler (tests/unit/gen/proto_fill.c).
 *
 * Values come from a seeded splitmix64 stream so a failing case can be
 * replayed by message, version and seed. Memory comes from an arena the
 * test frees per case.
 */
#ifndef GREGOR_TESTS_PROTO_FILL_UTIL_H
#define GREGOR_TESTS_PROTO_FILL_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "proto/types.h"

typedef struct gr_fill {
    uint64_t state;
    gr_arena *arena;
} gr_fill;

typedef struct gr_fill_entry {
    const char *name;
    int16_t min_version, max_version;
    size_t struct_size;
    void (*fill)(gr_fill *f, int16_t version, void *m);
    void (*init)(void *m);
    int (*decode)(gr_reader *r, gr_arena *a, int16_t version, void *out);
    void (*encode)(gr_buf *b, int16_t version, const void *in);
    size_t (*size)(int16_t version, const void *in);
} gr_fill_entry;

static inline uint64_t gr_fill_next(gr_fill *f) {
    uint64_t z = (f->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void *gr_fill_alloc(gr_fill *f, size_t n) {
    void *p = gr_arena_alloc(f->arena, n);
    if (!p) {
        fprintf(stderr, "fill: arena exhausted\n");
        abort();
    }
    return p;
}

static inline void gr_fill_uuid(gr_fill *f, uint8_t out[16]) {
    for (int i = 0; i < 16; i++) out[i] = (uint8_t)gr_fill_next(f);
}

/* 0..3 elements, or null (-1) one time in five when the field may be null. */
static inline int32_t gr_fill_count(gr_fill *f, bool nullable) {
    uint64_t x = gr_fill_next(f);
    if (nullable && x % 5 == 0) return -1;
    return (int32_t)((x >> 8) % 4);
}

static inline const uint8_t *gr_fill_raw(gr_fill *f, int32_t len, bool text) {
    uint8_t *p = gr_fill_alloc(f, (size_t)len + 1);
    for (int32_t i = 0; i < len; i++) {
        uint8_t x = (uint8_t)gr_fill_next(f);
        p[i] = text ? (uint8_t)("abcdefghijklmnopqrstuvwxyz0123456789-._"[x % 39]) : x;
    }
    return p;
}

static inline gr_str gr_fill_str(gr_fill *f, bool nullable) {
    uint64_t x = gr_fill_next(f);
    if (nullable && x % 4 == 0) return (gr_str){NULL, -1};
    int32_t len = (int32_t)((x >> 8) % 12);
    return (gr_str){(const char *)gr_fill_raw(f, len, true), len};
}

static inline gr_bytes gr_fill_bytes(gr_fill *f, bool nullable) {
    uint64_t x = gr_fill_next(f);
    if (nullable && x % 4 == 0) return (gr_bytes){NULL, -1};
    int32_t len = (int32_t)((x >> 8) % 20);
    return (gr_bytes){gr_fill_raw(f, len, false), len};
}

static inline gr_records gr_fill_records(gr_fill *f, bool nullable) {
    gr_bytes b = gr_fill_bytes(f, nullable);
    return (gr_records){b.ptr, b.len, NULL, 0};
}

#endif
