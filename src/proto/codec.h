/*
 * codec.h: wire helpers shared by the generated codecs (src/proto/gen/).
 *
 * The generated code decides, per field and version, whether a value is
 * compact (flexible versions) and whether null is allowed; these helpers do
 * the byte work. Being lenient where Kafka would be strict costs nothing and
 * keeps handlers simple: a null where the schema forbids one decodes as
 * empty, and encoding a null into a non-nullable field writes it as empty.
 * Strings longer than Kafka's 32767-byte limit are cut to the limit so the
 * frame stays well formed.
 */
#ifndef GREGOR_PROTO_CODEC_H
#define GREGOR_PROTO_CODEC_H

#include "proto/types.h"

#define GR_PROTO_STRING_MAX_BYTES 0x7fff

/* Context passed to a struct's tagged-field callback while decoding. */
typedef struct gr_tag_ctx {
    gr_arena *arena;
    int16_t version;
    void *out;
} gr_tag_ctx;

/* A tagged field was claimed but could not be decoded: fail the outer reader. */
static inline bool gr_tag_claim_failed(gr_reader *r) {
    r->err = true;
    return true;
}

static inline gr_str gr_dec_str(gr_reader *r, bool flex, bool nullable) {
    gr_str s = flex ? gr_read_compact_string(r) : gr_read_string(r);
    if (s.len < 0 && !nullable) s = (gr_str){"", 0};
    return s;
}

static inline gr_bytes gr_dec_bytes(gr_reader *r, bool flex, bool nullable) {
    gr_bytes s = flex ? gr_read_compact_bytes(r) : gr_read_bytes(r);
    if (s.len < 0 && !nullable) s = (gr_bytes){NULL, 0};
    return s;
}

static inline gr_records gr_dec_records(gr_reader *r, bool flex, bool nullable) {
    gr_bytes s = gr_dec_bytes(r, flex, nullable);
    gr_records rec = {s.ptr, s.len, NULL, 0};
    return rec;
}

static inline int32_t gr_dec_count(gr_reader *r, bool flex, size_t min_element_bytes) {
    return flex ? gr_read_compact_array_count(r, min_element_bytes)
                : gr_read_array_count(r, min_element_bytes);
}

/* Length prefix of a string, bytes or array: INT16/INT32 classic, UVARINT n+1 compact, -1/0 null. */
static inline void gr_enc_len(gr_buf *b, int32_t n, bool flex, bool int16_len) {
    if (flex)
        gr_buf_put_uvarint(b, n < 0 ? 0u : (uint32_t)n + 1u);
    else if (int16_len)
        gr_buf_put_i16(b, (int16_t)(n < 0 ? -1 : n));
    else
        gr_buf_put_i32(b, n < 0 ? -1 : n);
}

static inline size_t gr_size_len(int32_t n, bool flex, bool int16_len) {
    if (flex) return gr_uvarint_size(n < 0 ? 0u : (uint32_t)n + 1u);
    return int16_len ? 2 : 4;
}

static inline int32_t gr_str_wire_len(gr_str s, bool nullable) {
    if (s.len < 0 || (s.ptr == NULL && s.len > 0)) return nullable ? -1 : 0;
    return s.len > GR_PROTO_STRING_MAX_BYTES ? GR_PROTO_STRING_MAX_BYTES : s.len;
}

static inline void gr_enc_str(gr_buf *b, gr_str s, bool flex, bool nullable) {
    int32_t n = gr_str_wire_len(s, nullable);
    gr_enc_len(b, n, flex, true);
    if (n > 0) gr_buf_put(b, s.ptr, (size_t)n);
}

static inline size_t gr_size_str(gr_str s, bool flex, bool nullable) {
    int32_t n = gr_str_wire_len(s, nullable);
    return gr_size_len(n, flex, true) + (n > 0 ? (size_t)n : 0);
}

static inline int32_t gr_bytes_wire_len(const uint8_t *ptr, int32_t len, bool nullable) {
    if (len < 0 || (ptr == NULL && len > 0)) return nullable ? -1 : 0;
    return len;
}

static inline void gr_enc_bytes(gr_buf *b, gr_bytes s, bool flex, bool nullable) {
    int32_t n = gr_bytes_wire_len(s.ptr, s.len, nullable);
    gr_enc_len(b, n, flex, false);
    if (n > 0) gr_buf_put(b, s.ptr, (size_t)n);
}

static inline size_t gr_size_bytes(gr_bytes s, bool flex, bool nullable) {
    int32_t n = gr_bytes_wire_len(s.ptr, s.len, nullable);
    return gr_size_len(n, flex, false) + (n > 0 ? (size_t)n : 0);
}

static inline int32_t gr_records_wire_len(const gr_records *rec, bool nullable) {
    if (rec->file) return rec->len < 0 ? (nullable ? -1 : 0) : rec->len;
    return gr_bytes_wire_len(rec->ptr, rec->len, nullable);
}

/* Memory records are copied; file records become a splice after their length prefix. */
static inline void gr_enc_records(gr_buf *b, const gr_records *rec, bool flex, bool nullable) {
    int32_t n = gr_records_wire_len(rec, nullable);
    gr_enc_len(b, n, flex, false);
    if (n <= 0) return;
    if (rec->file)
        gr_buf_add_file(b, rec->file, rec->file_offset, n);
    else
        gr_buf_put(b, rec->ptr, (size_t)n);
}

static inline size_t gr_size_records(const gr_records *rec, bool flex, bool nullable) {
    int32_t n = gr_records_wire_len(rec, nullable);
    return gr_size_len(n, flex, false) + (n > 0 ? (size_t)n : 0);
}

static inline void gr_enc_count(gr_buf *b, int32_t n, bool flex, bool nullable) {
    gr_enc_len(b, n < 0 && !nullable ? 0 : n, flex, false);
}

static inline size_t gr_size_count(int32_t n, bool flex, bool nullable) {
    return gr_size_len(n < 0 && !nullable ? 0 : n, flex, false);
}

#endif
