/* reader.c: bounds-checked big-endian and varint reads (see reader.h). */
#include "base/reader.h"

#include <string.h>

static inline const uint8_t *take(gr_reader *r, size_t n) {
    if (r->err || r->len - r->pos < n) {
        r->err = true;
        return NULL;
    }
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

int8_t gr_read_i8(gr_reader *r) {
    const uint8_t *p = take(r, 1);
    return p ? (int8_t)p[0] : 0;
}

uint16_t gr_read_u16(gr_reader *r) {
    const uint8_t *p = take(r, 2);
    return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

int16_t gr_read_i16(gr_reader *r) { return (int16_t)gr_read_u16(r); }

uint32_t gr_read_u32(gr_reader *r) {
    const uint8_t *p = take(r, 4);
    if (!p) return 0;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int32_t gr_read_i32(gr_reader *r) { return (int32_t)gr_read_u32(r); }

int64_t gr_read_i64(gr_reader *r) {
    uint64_t hi = gr_read_u32(r);
    uint64_t lo = gr_read_u32(r);
    return (int64_t)((hi << 32) | lo);
}

double gr_read_f64(gr_reader *r) {
    uint64_t u = (uint64_t)gr_read_i64(r);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

bool gr_read_bool(gr_reader *r) { return gr_read_i8(r) != 0; }

void gr_read_uuid(gr_reader *r, uint8_t out[16]) {
    const uint8_t *p = take(r, 16);
    if (p)
        memcpy(out, p, 16);
    else
        memset(out, 0, 16);
}

uint64_t gr_read_uvarlong(gr_reader *r) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        const uint8_t *p = take(r, 1);
        if (!p) return 0;
        if (shift == 63 && (p[0] & 0x7e)) break; /* would overflow 64 bits */
        v |= (uint64_t)(p[0] & 0x7f) << shift;
        if (!(p[0] & 0x80)) return v;
    }
    r->err = true;
    return 0;
}

uint32_t gr_read_uvarint(gr_reader *r) {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        const uint8_t *p = take(r, 1);
        if (!p) return 0;
        if (shift == 28 && (p[0] & 0x70)) break; /* would overflow 32 bits */
        v |= (uint32_t)(p[0] & 0x7f) << shift;
        if (!(p[0] & 0x80)) return v;
    }
    r->err = true;
    return 0;
}

int32_t gr_read_varint(gr_reader *r) {
    uint32_t u = gr_read_uvarint(r);
    return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

int64_t gr_read_varlong(gr_reader *r) {
    uint64_t u = gr_read_uvarlong(r);
    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

const uint8_t *gr_read_raw(gr_reader *r, size_t n) { return take(r, n); }

void gr_read_skip(gr_reader *r, size_t n) { (void)take(r, n); }

static gr_str str_of(gr_reader *r, int64_t n) {
    gr_str s = {NULL, -1};
    if (n == -1 || r->err) return s;
    if (n < -1) {
        r->err = true;
        return s;
    }
    const uint8_t *p = take(r, (size_t)n);
    if (!p) return s;
    s.ptr = (const char *)p;
    s.len = (int32_t)n;
    return s;
}

gr_str gr_read_string(gr_reader *r) { return str_of(r, gr_read_i16(r)); }

gr_str gr_read_compact_string(gr_reader *r) {
    uint32_t n = gr_read_uvarint(r);
    if (r->err) return (gr_str){NULL, -1};
    if (n > 0x7fffffffu) return r->err = true, (gr_str){NULL, -1};
    return str_of(r, (int64_t)n - 1);
}

gr_bytes gr_read_bytes(gr_reader *r) {
    gr_str s = str_of(r, gr_read_i32(r));
    return (gr_bytes){(const uint8_t *)s.ptr, s.len};
}

gr_bytes gr_read_compact_bytes(gr_reader *r) {
    uint32_t n = gr_read_uvarint(r);
    if (r->err || n > 0x7fffffffu) {
        r->err = true;
        return (gr_bytes){NULL, -1};
    }
    gr_str s = str_of(r, (int64_t)n - 1);
    return (gr_bytes){(const uint8_t *)s.ptr, s.len};
}

static int32_t check_count(gr_reader *r, int64_t n, size_t min_element_bytes) {
    if (r->err) return -1;
    if (n < -1) {
        r->err = true;
        return -1;
    }
    if (n > 0 && min_element_bytes > 0 && (uint64_t)n > (r->len - r->pos) / min_element_bytes) {
        r->err = true;
        return -1;
    }
    if (n > 0 && min_element_bytes == 0 && (uint64_t)n > (r->len - r->pos) + 1024u * 1024u) {
        r->err = true; /* zero-size elements still may not exceed a sane cap */
        return -1;
    }
    return (int32_t)n;
}

int32_t gr_read_array_count(gr_reader *r, size_t min_element_bytes) {
    return check_count(r, gr_read_i32(r), min_element_bytes);
}

int32_t gr_read_compact_array_count(gr_reader *r, size_t min_element_bytes) {
    uint32_t n = gr_read_uvarint(r);
    if (r->err) return -1;
    return check_count(r, (int64_t)n - 1, min_element_bytes);
}

void gr_read_tagged_fields(gr_reader *r, gr_tag_fn on_tag, void *ctx) {
    uint32_t count = gr_read_uvarint(r);
    if (r->err) return;
    if (count > gr_reader_remaining(r)) { /* each tag takes at least two bytes */
        r->err = true;
        return;
    }
    int64_t last_tag = -1;
    for (uint32_t i = 0; i < count && !r->err; i++) {
        uint32_t tag = gr_read_uvarint(r);
        uint32_t size = gr_read_uvarint(r);
        if (r->err) return;
        if ((int64_t)tag <= last_tag) { /* tags must be strictly ascending */
            r->err = true;
            return;
        }
        last_tag = tag;
        const uint8_t *p = take(r, size);
        if (!p) return;
        if (on_tag) {
            gr_reader field = gr_reader_make(p, size);
            if (on_tag(&field, tag, ctx) && (field.err || field.pos != field.len)) r->err = true;
        }
    }
}
