/* buf.c: growable output buffer with file splices (see buf.h). */
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

void gr_buf_init(gr_buf *b) { memset(b, 0, sizeof *b); }

void gr_buf_reset(gr_buf *b) {
    for (int i = 0; i < b->nsplices; i++) gr_file_ref_release(b->splices[i].file);
    b->nsplices = 0;
    b->splice_bytes = 0;
    b->len = 0;
    b->oom = false;
}

void gr_buf_free(gr_buf *b) {
    gr_buf_reset(b);
    free(b->data);
    free(b->splices);
    memset(b, 0, sizeof *b);
}

bool gr_buf_reserve(gr_buf *b, size_t extra) {
    if (b->oom) return false;
    if (b->cap - b->len >= extra) return true;
    size_t want = b->cap ? b->cap : 256;
    while (want - b->len < extra) {
        if (want > ((size_t)1 << 40)) {
            b->oom = true;
            return false;
        }
        want *= 2;
    }
    uint8_t *p = realloc(b->data, want);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = want;
    return true;
}

void gr_buf_put(gr_buf *b, const void *p, size_t n) {
    if (n == 0 || !gr_buf_reserve(b, n)) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void gr_buf_put_i8(gr_buf *b, int8_t v) { gr_buf_put(b, &v, 1); }

void gr_buf_put_u16(gr_buf *b, uint16_t v) {
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    gr_buf_put(b, x, 2);
}

void gr_buf_put_i16(gr_buf *b, int16_t v) { gr_buf_put_u16(b, (uint16_t)v); }

void gr_buf_put_u32(gr_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    gr_buf_put(b, x, 4);
}

void gr_buf_put_i32(gr_buf *b, int32_t v) { gr_buf_put_u32(b, (uint32_t)v); }

void gr_buf_put_i64(gr_buf *b, int64_t v) {
    gr_buf_put_u32(b, (uint32_t)((uint64_t)v >> 32));
    gr_buf_put_u32(b, (uint32_t)v);
}

void gr_buf_put_f64(gr_buf *b, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    gr_buf_put_i64(b, (int64_t)u);
}

void gr_buf_put_bool(gr_buf *b, bool v) { gr_buf_put_i8(b, v ? 1 : 0); }

void gr_buf_put_uuid(gr_buf *b, const uint8_t v[16]) { gr_buf_put(b, v, 16); }

void gr_buf_put_uvarlong(gr_buf *b, uint64_t v) {
    uint8_t x[10];
    size_t n = 0;
    while (v >= 0x80) {
        x[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    x[n++] = (uint8_t)v;
    gr_buf_put(b, x, n);
}

void gr_buf_put_uvarint(gr_buf *b, uint32_t v) { gr_buf_put_uvarlong(b, v); }

void gr_buf_put_varint(gr_buf *b, int32_t v) {
    gr_buf_put_uvarlong(b, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

void gr_buf_put_varlong(gr_buf *b, int64_t v) {
    gr_buf_put_uvarlong(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void gr_buf_put_string(gr_buf *b, gr_str s) {
    if (s.len < 0 || !s.ptr) {
        gr_buf_put_i16(b, -1);
        return;
    }
    gr_buf_put_i16(b, (int16_t)s.len);
    gr_buf_put(b, s.ptr, (size_t)s.len);
}

void gr_buf_put_compact_string(gr_buf *b, gr_str s) {
    if (s.len < 0 || !s.ptr) {
        gr_buf_put_uvarint(b, 0);
        return;
    }
    gr_buf_put_uvarint(b, (uint32_t)s.len + 1);
    gr_buf_put(b, s.ptr, (size_t)s.len);
}

void gr_buf_put_bytes(gr_buf *b, gr_bytes s) {
    if (s.len < 0 || (!s.ptr && s.len > 0)) {
        gr_buf_put_i32(b, -1);
        return;
    }
    gr_buf_put_i32(b, s.len);
    gr_buf_put(b, s.ptr, (size_t)s.len);
}

void gr_buf_put_compact_bytes(gr_buf *b, gr_bytes s) {
    if (s.len < 0 || (!s.ptr && s.len > 0)) {
        gr_buf_put_uvarint(b, 0);
        return;
    }
    gr_buf_put_uvarint(b, (uint32_t)s.len + 1);
    gr_buf_put(b, s.ptr, (size_t)s.len);
}

void gr_buf_put_array_count(gr_buf *b, int32_t n) { gr_buf_put_i32(b, n < 0 ? -1 : n); }

void gr_buf_put_compact_array_count(gr_buf *b, int32_t n) {
    gr_buf_put_uvarint(b, n < 0 ? 0 : (uint32_t)n + 1);
}

void gr_buf_patch_i32(gr_buf *b, size_t at, int32_t v) {
    if (b->oom || at + 4 > b->len) return;
    uint32_t u = (uint32_t)v;
    b->data[at] = (uint8_t)(u >> 24);
    b->data[at + 1] = (uint8_t)(u >> 16);
    b->data[at + 2] = (uint8_t)(u >> 8);
    b->data[at + 3] = (uint8_t)u;
}

void gr_buf_add_file(gr_buf *b, gr_file_ref *file, int64_t offset, int64_t length) {
    if (b->oom || length <= 0) return;
    if (b->nsplices == b->splice_cap) {
        int cap = b->splice_cap ? b->splice_cap * 2 : 8;
        gr_splice *s = realloc(b->splices, (size_t)cap * sizeof *s);
        if (!s) {
            b->oom = true;
            return;
        }
        b->splices = s;
        b->splice_cap = cap;
    }
    gr_file_ref_retain(file);
    b->splices[b->nsplices++] = (gr_splice){b->len, file, offset, length};
    b->splice_bytes += length;
}

size_t gr_uvarlong_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t gr_uvarint_size(uint32_t v) { return gr_uvarlong_size(v); }
size_t gr_varint_size(int32_t v) { return gr_uvarlong_size(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)); }
size_t gr_varlong_size(int64_t v) { return gr_uvarlong_size(((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
