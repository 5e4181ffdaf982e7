/*
 * record_batch.c: v2 record batches, checked and patched in place (see record_batch.h).
 *
 * Nothing here decompresses: the broker stores batches as they came and
 * only needs the header, the CRC and, for uncompressed batches, a walk
 * over the record framing to be sure the count is honest.
 */
#include "proto/record_batch.h"

#include <string.h>

#include "base/crc32c.h"
#include "base/log.h"
#include "proto/errors.h"

/* Kafka's batch iterator refuses a Length below the smallest message of format v0. */
#define LEGACY_RECORD_MIN_LENGTH 14
#define MAGIC_MAX 2
#define PRODUCE_FIRST_ZSTD_VERSION 7

static int64_t be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return (int64_t)v;
}
static int32_t be32(const uint8_t *p) {
    return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]);
}
static int16_t be16(const uint8_t *p) { return (int16_t)(((uint16_t)p[0] << 8) | p[1]); }
static void put64(uint8_t *p, int64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v = (int64_t)((uint64_t)v >> 8);
    }
}
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void gr_batch_header_parse(const uint8_t *p, gr_batch_header *h) {
    h->base_offset = be64(p + GR_BATCH_OFF_BASE_OFFSET);
    h->length = be32(p + GR_BATCH_OFF_LENGTH);
    h->partition_leader_epoch = be32(p + GR_BATCH_OFF_LEADER_EPOCH);
    h->magic = (int8_t)p[GR_BATCH_OFF_MAGIC];
    h->crc = (uint32_t)be32(p + GR_BATCH_OFF_CRC);
    h->attributes = be16(p + GR_BATCH_OFF_ATTRIBUTES);
    h->last_offset_delta = be32(p + GR_BATCH_OFF_LAST_OFFSET_DELTA);
    h->base_timestamp = be64(p + GR_BATCH_OFF_BASE_TIMESTAMP);
    h->max_timestamp = be64(p + GR_BATCH_OFF_MAX_TIMESTAMP);
    h->producer_id = be64(p + GR_BATCH_OFF_PRODUCER_ID);
    h->producer_epoch = be16(p + GR_BATCH_OFF_PRODUCER_EPOCH);
    h->base_sequence = be32(p + GR_BATCH_OFF_BASE_SEQUENCE);
    h->records_count = be32(p + GR_BATCH_OFF_RECORDS_COUNT);
}

int32_t gr_sequence_add(int32_t seq, int32_t delta) {
    /* Sequences live in [0, INT32_MAX] and wrap to 0, as Kafka's producers expect. */
    int64_t v = (int64_t)seq + delta;
    const int64_t range = (int64_t)INT32_MAX + 1;
    v %= range;
    if (v < 0) v += range;
    return (int32_t)v;
}

int32_t gr_batch_last_sequence(const gr_batch_header *h) {
    if (h->base_sequence < 0) return -1;
    return gr_sequence_add(h->base_sequence, h->last_offset_delta);
}

const char *gr_batch_status_text(gr_batch_status s) {
    switch (s) {
    case GR_BATCH_OK:
        return "ok";
    case GR_BATCH_SHORT:
        return "record batch is truncated";
    case GR_BATCH_BAD_SIZE:
        return "record batch length is smaller than its header";
    case GR_BATCH_BAD_MAGIC:
        return "record batch magic is not 2";
    case GR_BATCH_BAD_CRC:
        return "record batch CRC does not match";
    case GR_BATCH_BAD_COUNT:
        return "record batch count and offset range disagree";
    case GR_BATCH_BAD_RECORDS:
        return "record batch records do not match its declared size or count";
    }
    return "unknown";
}

uint32_t gr_batch_compute_crc(const uint8_t *batch, size_t size) {
    GR_ASSERT(size >= GR_BATCH_HEADER_BYTES);
    return gr_crc32c(0, batch + GR_BATCH_OFF_ATTRIBUTES, size - GR_BATCH_OFF_ATTRIBUTES);
}

gr_batch_status gr_batch_check_crc(const uint8_t *p, size_t avail, gr_batch_header *h) {
    if (avail < GR_BATCH_HEADER_BYTES) return GR_BATCH_SHORT;
    gr_batch_header_parse(p, h);
    if (h->length < GR_BATCH_HEADER_BYTES - GR_BATCH_LOG_OVERHEAD_BYTES) return GR_BATCH_BAD_SIZE;
    if ((uint64_t)gr_batch_size(h) > avail) return GR_BATCH_SHORT;
    if (h->magic != GR_BATCH_MAGIC_V2) return GR_BATCH_BAD_MAGIC;
    if (gr_batch_compute_crc(p, (size_t)gr_batch_size(h)) != h->crc) return GR_BATCH_BAD_CRC;
    return GR_BATCH_OK;
}

/* Walks the record framing of an uncompressed batch: exactly records_count records, each
 * well formed, filling the batch to its last byte. */
static bool records_match(const uint8_t *p, const gr_batch_header *h) {
    gr_record_iter it;
    gr_record rec;
    if (gr_record_iter_init(&it, p, (size_t)gr_batch_size(h)) != 0) return false;
    int rc;
    while ((rc = gr_record_iter_next(&it, &rec)) == 1) {
    }
    return rc == 0;
}

gr_batch_status gr_batch_validate(const uint8_t *p, size_t avail, gr_batch_header *h) {
    /* Magic first: a v0/v1 message set has a different layout, so its "CRC" means nothing. */
    if (avail >= GR_BATCH_HEADER_BYTES && (int8_t)p[GR_BATCH_OFF_MAGIC] != GR_BATCH_MAGIC_V2) {
        gr_batch_header_parse(p, h);
        return GR_BATCH_BAD_MAGIC;
    }
    gr_batch_status s = gr_batch_check_crc(p, avail, h);
    if (s != GR_BATCH_OK) return s;
    if (h->records_count < 0 || h->last_offset_delta < 0) return GR_BATCH_BAD_COUNT;
    if (h->records_count > 0 && h->last_offset_delta != h->records_count - 1) return GR_BATCH_BAD_COUNT;
    /* A record takes at least 7 bytes (length, attributes, 3 deltas, key/value lengths, count). */
    if ((int64_t)h->records_count > (gr_batch_size(h) - GR_BATCH_HEADER_BYTES)) return GR_BATCH_BAD_COUNT;
    if (gr_batch_compression(h) == GR_COMPRESSION_NONE && !records_match(p, h)) return GR_BATCH_BAD_RECORDS;
    return GR_BATCH_OK;
}

/* One step of Kafka's batch framing at p: 1 = a whole batch of *size bytes, 0 = no (whole) batch,
 * -1 = corrupt (Length too small or magic unknown). */
static int frame_batch(const uint8_t *p, size_t len, size_t *size, const char **why) {
    if (len < GR_BATCH_LOG_OVERHEAD_BYTES) return 0;
    int32_t length = be32(p + GR_BATCH_OFF_LENGTH);
    if (length < LEGACY_RECORD_MIN_LENGTH) {
        *why = "record batch length is smaller than any record";
        return -1;
    }
    if ((uint64_t)length + GR_BATCH_LOG_OVERHEAD_BYTES > len) return 0; /* torn: not a batch yet */
    int8_t magic = (int8_t)p[GR_BATCH_OFF_MAGIC];
    if (magic < 0 || magic > MAGIC_MAX) {
        *why = "record batch magic is unknown";
        return -1;
    }
    *size = (size_t)length + GR_BATCH_LOG_OVERHEAD_BYTES;
    return 1;
}

int16_t gr_produce_records_check(int16_t produce_version, const uint8_t *p, size_t len, size_t *first_size,
                                 const char **why) {
    *first_size = 0;
    *why = NULL;
    size_t size = 0, next = 0;
    int rc = p ? frame_batch(p, len, &size, why) : 0;
    if (rc < 0) return GR_ERR_CORRUPT_MESSAGE;
    if (rc == 0) {
        *why = "produce requests v3+ must carry one whole record batch per partition";
        return GR_ERR_INVALID_RECORD;
    }
    if (p[GR_BATCH_OFF_MAGIC] != GR_BATCH_MAGIC_V2) {
        *why = "produce requests v3+ may only carry record batches with magic 2";
        return GR_ERR_INVALID_RECORD;
    }
    int codec = be16(p + GR_BATCH_OFF_ATTRIBUTES) & GR_BATCH_ATTR_COMPRESSION_MASK;
    if (produce_version < PRODUCE_FIRST_ZSTD_VERSION && codec == GR_COMPRESSION_ZSTD) {
        *why = "zstd needs produce request version 7 or later";
        return GR_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    rc = frame_batch(p + size, len - size, &next, why);
    if (rc < 0) return GR_ERR_CORRUPT_MESSAGE;
    if (rc > 0) {
        *why = "produce requests v3+ may carry only one record batch per partition";
        return GR_ERR_INVALID_RECORD;
    }
    *first_size = size;
    return GR_ERR_NONE;
}

void gr_batch_set_base_offset(uint8_t *batch, int64_t base_offset) {
    put64(batch + GR_BATCH_OFF_BASE_OFFSET, base_offset);
}

void gr_batch_set_partition_leader_epoch(uint8_t *batch, int32_t epoch) {
    put32(batch + GR_BATCH_OFF_LEADER_EPOCH, (uint32_t)epoch);
}

void gr_batch_set_log_append_time(uint8_t *batch, size_t size, int64_t now_ms) {
    uint16_t attrs = (uint16_t)be16(batch + GR_BATCH_OFF_ATTRIBUTES);
    put16(batch + GR_BATCH_OFF_ATTRIBUTES, attrs | GR_BATCH_ATTR_LOG_APPEND_TIME);
    put64(batch + GR_BATCH_OFF_MAX_TIMESTAMP, now_ms);
    /* Attributes and MaxTimestamp are under the CRC. */
    put32(batch + GR_BATCH_OFF_CRC, gr_batch_compute_crc(batch, size));
}

int gr_record_iter_init(gr_record_iter *it, const uint8_t *batch, size_t size) {
    if (size < GR_BATCH_HEADER_BYTES) return -1;
    gr_batch_header_parse(batch, &it->h);
    if (gr_batch_size(&it->h) != (int64_t)size || gr_batch_compression(&it->h) != GR_COMPRESSION_NONE)
        return -1;
    it->r = gr_reader_make(batch + GR_BATCH_HEADER_BYTES, size - GR_BATCH_HEADER_BYTES);
    it->index = 0;
    return 0;
}

void gr_record_iter_init_records(gr_record_iter *it, const gr_batch_header *h, const uint8_t *records,
                                 size_t len) {
    it->h = *h;
    it->r = gr_reader_make(records, len);
    it->index = 0;
}

int gr_record_iter_next(gr_record_iter *it, gr_record *rec) {
    if (it->index >= it->h.records_count) return gr_reader_remaining(&it->r) == 0 && !it->r.err ? 0 : -1;
    int32_t len = gr_read_varint(&it->r);
    if (it->r.err || len < 0 || (size_t)len > gr_reader_remaining(&it->r)) return -1;
    gr_reader body = gr_reader_make(gr_read_raw(&it->r, (size_t)len), (size_t)len);
    if (it->r.err) return -1;
    rec->attributes = gr_read_i8(&body);
    int64_t ts_delta = gr_read_varlong(&body);
    int32_t offset_delta = gr_read_varint(&body);
    int32_t key_len = gr_read_varint(&body);
    rec->key.len = key_len < 0 ? -1 : key_len;
    rec->key.ptr = key_len > 0 ? gr_read_raw(&body, (size_t)key_len) : NULL;
    int32_t value_len = gr_read_varint(&body);
    rec->value.len = value_len < 0 ? -1 : value_len;
    rec->value.ptr = value_len > 0 ? gr_read_raw(&body, (size_t)value_len) : NULL;
    rec->header_count = gr_read_varint(&body);
    if (body.err || rec->header_count < 0) return -1;
    rec->headers = body.data + body.pos;
    for (int32_t i = 0; i < rec->header_count && !body.err; i++) {
        int32_t klen = gr_read_varint(&body);
        if (klen < 0) return -1;
        gr_read_skip(&body, (size_t)klen);
        int32_t vlen = gr_read_varint(&body);
        if (vlen > 0) gr_read_skip(&body, (size_t)vlen);
    }
    if (body.err || gr_reader_remaining(&body) != 0) return -1;
    rec->headers_len = (size_t)(body.data + body.pos - rec->headers);
    if (it->h.attributes & GR_BATCH_ATTR_LOG_APPEND_TIME)
        rec->timestamp = it->h.max_timestamp;
    else
        rec->timestamp = (int64_t)((uint64_t)it->h.base_timestamp + (uint64_t)ts_delta);
    rec->offset = it->h.base_offset + offset_delta;
    it->index++;
    return 1;
}

void gr_batch_builder_opts_init(gr_batch_builder_opts *o) {
    memset(o, 0, sizeof *o);
    o->producer_id = -1;
    o->producer_epoch = -1;
    o->base_sequence = -1;
    o->partition_leader_epoch = -1;
}

void gr_batch_builder_begin(gr_batch_builder *b, gr_buf *out, const gr_batch_builder_opts *o) {
    GR_ASSERT((o->attributes & GR_BATCH_ATTR_COMPRESSION_MASK) == 0);
    b->out = out;
    b->start = out->len;
    b->base_timestamp = -1;
    b->max_timestamp = -1;
    b->count = 0;
    gr_buf_put_i64(out, o->base_offset);
    gr_buf_put_i32(out, 0); /* Length, filled in by finish */
    gr_buf_put_i32(out, o->partition_leader_epoch);
    gr_buf_put_i8(out, GR_BATCH_MAGIC_V2);
    gr_buf_put_u32(out, 0); /* CRC */
    gr_buf_put_i16(out, o->attributes);
    gr_buf_put_i32(out, 0);  /* LastOffsetDelta */
    gr_buf_put_i64(out, -1); /* BaseTimestamp */
    gr_buf_put_i64(out, -1); /* MaxTimestamp */
    gr_buf_put_i64(out, o->producer_id);
    gr_buf_put_i16(out, o->producer_epoch);
    gr_buf_put_i32(out, o->base_sequence);
    gr_buf_put_i32(out, 0); /* RecordsCount */
}

void gr_batch_builder_add(gr_batch_builder *b, int64_t timestamp, gr_bytes key, gr_bytes value,
                          const gr_record_header *headers, int32_t header_count) {
    if (b->count == 0) b->base_timestamp = timestamp;
    if (timestamp > b->max_timestamp) b->max_timestamp = timestamp;
    int64_t ts_delta = timestamp - b->base_timestamp;
    size_t body = 1 + gr_varlong_size(ts_delta) + gr_varint_size(b->count);
    body += gr_varint_size(key.len < 0 ? -1 : key.len) + (key.len > 0 ? (size_t)key.len : 0);
    body += gr_varint_size(value.len < 0 ? -1 : value.len) + (value.len > 0 ? (size_t)value.len : 0);
    body += gr_varint_size(header_count);
    for (int32_t i = 0; i < header_count; i++) {
        body += gr_varint_size(headers[i].key.len) + (size_t)headers[i].key.len;
        body += gr_varint_size(headers[i].value.len < 0 ? -1 : headers[i].value.len) +
                (headers[i].value.len > 0 ? (size_t)headers[i].value.len : 0);
    }
    gr_buf_put_varint(b->out, (int32_t)body);
    gr_buf_put_i8(b->out, 0);
    gr_buf_put_varlong(b->out, ts_delta);
    gr_buf_put_varint(b->out, b->count);
    gr_buf_put_varint(b->out, key.len < 0 ? -1 : key.len);
    if (key.len > 0) gr_buf_put(b->out, key.ptr, (size_t)key.len);
    gr_buf_put_varint(b->out, value.len < 0 ? -1 : value.len);
    if (value.len > 0) gr_buf_put(b->out, value.ptr, (size_t)value.len);
    gr_buf_put_varint(b->out, header_count);
    for (int32_t i = 0; i < header_count; i++) {
        gr_buf_put_varint(b->out, headers[i].key.len);
        gr_buf_put(b->out, headers[i].key.ptr, (size_t)headers[i].key.len);
        gr_buf_put_varint(b->out, headers[i].value.len < 0 ? -1 : headers[i].value.len);
        if (headers[i].value.len > 0) gr_buf_put(b->out, headers[i].value.ptr, (size_t)headers[i].value.len);
    }
    b->count++;
}

size_t gr_batch_builder_finish(gr_batch_builder *b) {
    if (b->out->oom) return 0;
    uint8_t *p = b->out->data + b->start;
    size_t size = b->out->len - b->start;
    put32(p + GR_BATCH_OFF_LENGTH, (uint32_t)(size - GR_BATCH_LOG_OVERHEAD_BYTES));
    put32(p + GR_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)(b->count > 0 ? b->count - 1 : 0));
    put64(p + GR_BATCH_OFF_BASE_TIMESTAMP, b->base_timestamp);
    put64(p + GR_BATCH_OFF_MAX_TIMESTAMP, b->max_timestamp);
    put32(p + GR_BATCH_OFF_RECORDS_COUNT, (uint32_t)b->count);
    put32(p + GR_BATCH_OFF_CRC, gr_batch_compute_crc(p, size));
    return size;
}
