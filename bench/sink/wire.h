/*
 * wire.h: the few Kafka wire primitives the benchmark sink needs, kept apart from the product so
 * the ceiling measurement shares no code (and no costs) with the broker it is compared to.
 * Reads are bounds checked with a sticky error flag; writes go to a growable buffer.
 */
#ifndef SINK_WIRE_H
#define SINK_WIRE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct rd {
    const uint8_t *p, *end;
    int err;
} rd;

static inline const uint8_t *rd_take(rd *r, size_t n) {
    if (r->err || (size_t)(r->end - r->p) < n) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}

static inline int8_t rd_i8(rd *r) {
    const uint8_t *b = rd_take(r, 1);
    return b ? (int8_t)b[0] : 0;
}

static inline int16_t rd_i16(rd *r) {
    const uint8_t *b = rd_take(r, 2);
    return b ? (int16_t)((b[0] << 8) | b[1]) : 0;
}

static inline int32_t rd_i32(rd *r) {
    const uint8_t *b = rd_take(r, 4);
    return b ? (int32_t)(((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3]) : 0;
}

static inline int64_t rd_i64(rd *r) {
    uint64_t hi = (uint32_t)rd_i32(r), lo = (uint32_t)rd_i32(r);
    return (int64_t)((hi << 32) | lo);
}

/* Classic STRING / nullable STRING: sets *s (not NUL-terminated) and *len (-1 = null). */
static inline void rd_str(rd *r, const char **s, int *len) {
    int16_t n = rd_i16(r);
    *s = NULL;
    *len = -1;
    if (n < 0) return;
    const uint8_t *b = rd_take(r, (size_t)n);
    if (b) {
        *s = (const char *)b;
        *len = n;
    }
}

/* Array count capped so a hostile count cannot make a loop run long: -1 stays -1 (null). */
static inline int32_t rd_count(rd *r, int32_t cap) {
    int32_t n = rd_i32(r);
    if (n < -1 || n > cap) r->err = 1;
    return r->err ? 0 : n;
}

typedef struct wb {
    uint8_t *p;
    size_t len, cap;
} wb;

static inline uint8_t *wb_room(wb *w, size_t n) {
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) cap *= 2;
        uint8_t *np = realloc(w->p, cap);
        if (!np) abort();
        w->p = np;
        w->cap = cap;
    }
    uint8_t *at = w->p + w->len;
    w->len += n;
    return at;
}

static inline void wb_i8(wb *w, int8_t v) { *wb_room(w, 1) = (uint8_t)v; }

static inline void wb_i16(wb *w, int16_t v) {
    uint8_t *b = wb_room(w, 2);
    b[0] = (uint8_t)((uint16_t)v >> 8);
    b[1] = (uint8_t)v;
}

static inline void put_i32(uint8_t *b, int32_t v) {
    uint32_t u = (uint32_t)v;
    b[0] = (uint8_t)(u >> 24);
    b[1] = (uint8_t)(u >> 16);
    b[2] = (uint8_t)(u >> 8);
    b[3] = (uint8_t)u;
}

static inline void put_i64(uint8_t *b, int64_t v) {
    put_i32(b, (int32_t)((uint64_t)v >> 32));
    put_i32(b + 4, (int32_t)(uint64_t)v);
}

static inline void wb_i32(wb *w, int32_t v) { put_i32(wb_room(w, 4), v); }
static inline void wb_i64(wb *w, int64_t v) { put_i64(wb_room(w, 8), v); }

static inline void wb_str(wb *w, const char *s, int len) {
    wb_i16(w, (int16_t)len);
    if (len > 0) memcpy(wb_room(w, (size_t)len), s, (size_t)len);
}

static inline void wb_uvarint(wb *w, uint64_t v) {
    while (v >= 0x80) {
        wb_i8(w, (int8_t)(uint8_t)(v | 0x80));
        v >>= 7;
    }
    wb_i8(w, (int8_t)v);
}

static inline void wb_varint(wb *w, int64_t v) { wb_uvarint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

/* CRC32C (Castagnoli), bitwise table: computed once per template batch, never on the hot path. */
static inline uint32_t crc32c(const uint8_t *p, size_t n) {
    static uint32_t table[256];
    if (!table[1]) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            table[i] = c;
        }
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

#endif
