/*
 * reader.h: a bounds-checked cursor over untrusted bytes.
 *
 * Every read checks the remaining length first. A failed read sets the
 * sticky `err` flag and returns zero, so a parser can read a whole
 * structure and test `r->err` once at its single exit. Nothing here
 * allocates; strings and byte fields point into the buffer being read.
 */
#ifndef GREGOR_BASE_READER_H
#define GREGOR_BASE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gr_reader {
    const uint8_t *data;
    size_t len;
    size_t pos;
    bool err;
} gr_reader;

/* A string or byte range inside some buffer; len -1 means null. */
typedef struct gr_str {
    const char *ptr;
    int32_t len;
} gr_str;

typedef struct gr_bytes {
    const uint8_t *ptr;
    int32_t len;
} gr_bytes;

static inline gr_reader gr_reader_make(const void *data, size_t len) {
    gr_reader r = {(const uint8_t *)data, len, 0, false};
    return r;
}

static inline size_t gr_reader_remaining(const gr_reader *r) { return r->err ? 0 : r->len - r->pos; }

/* Marks the reader failed; always returns false so callers can `return gr_reader_fail(r)`. */
static inline bool gr_reader_fail(gr_reader *r) {
    r->err = true;
    return false;
}

int8_t gr_read_i8(gr_reader *r);
int16_t gr_read_i16(gr_reader *r);
int32_t gr_read_i32(gr_reader *r);
int64_t gr_read_i64(gr_reader *r);
uint16_t gr_read_u16(gr_reader *r);
uint32_t gr_read_u32(gr_reader *r);
double gr_read_f64(gr_reader *r);
bool gr_read_bool(gr_reader *r);
void gr_read_uuid(gr_reader *r, uint8_t out[16]);

/* Unsigned varint of at most 5 bytes (32 bits); longer or overflowing encodings fail. */
uint32_t gr_read_uvarint(gr_reader *r);
/* Zigzag varint (32-bit) and varlong (64-bit). */
int32_t gr_read_varint(gr_reader *r);
int64_t gr_read_varlong(gr_reader *r);
uint64_t gr_read_uvarlong(gr_reader *r);

/* Returns a pointer to the next n bytes and advances, or NULL (and err) if fewer remain. */
const uint8_t *gr_read_raw(gr_reader *r, size_t n);
void gr_read_skip(gr_reader *r, size_t n);

/* Protocol strings and bytes: classic (int16/int32 length) and compact (uvarint length + 1). */
gr_str gr_read_string(gr_reader *r);          /* INT16 length; -1 allowed (null) */
gr_str gr_read_compact_string(gr_reader *r);  /* UVARINT length+1; 0 = null */
gr_bytes gr_read_bytes(gr_reader *r);         /* INT32 length; -1 allowed (null) */
gr_bytes gr_read_compact_bytes(gr_reader *r); /* UVARINT length+1; 0 = null */

/* Array counts: -1 means null. A count larger than the bytes left (each element takes at least
 * min_element_bytes) fails, so no count from the wire can size an allocation on its own. */
int32_t gr_read_array_count(gr_reader *r, size_t min_element_bytes);
int32_t gr_read_compact_array_count(gr_reader *r, size_t min_element_bytes);

/* Skips a tagged-field section, letting `on_tag` claim known tags (may be NULL).
 * on_tag returns true if it consumed exactly `size` bytes from the sub-reader. */
typedef bool (*gr_tag_fn)(gr_reader *field, uint32_t tag, void *ctx);
void gr_read_tagged_fields(gr_reader *r, gr_tag_fn on_tag, void *ctx);

static inline bool gr_str_eq(gr_str s, const char *c) {
    size_t i = 0;
    if (s.len < 0) return c == NULL;
    if (c == NULL) return false;
    for (; i < (size_t)s.len; i++)
        if (c[i] == '\0' || c[i] != s.ptr[i]) return false;
    return c[i] == '\0';
}

static inline gr_str gr_str_c(const char *c) {
    gr_str s = {c, 0};
    if (!c) {
        s.len = -1;
        return s;
    }
    while (c[s.len]) s.len++;
    return s;
}

#endif
