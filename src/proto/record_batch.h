/*
 * record_batch.h: record batches (magic 2), checked and rewritten without decompressing.
 *
 *    0  BaseOffset           int64   rewritten by the broker on append
 *    8  Length               int32   bytes after this field
 *   12  PartitionLeaderEpoch int32   rewritten by the broker (not under the CRC)
 *   16  Magic                int8    2
 *   17  CRC                  uint32  CRC-32C of bytes 21 .. end
 *   21  Attributes           int16   codec:3 | timestampType:1 | transactional:1 | control:1
 *   23  LastOffsetDelta      int32
 *   27  BaseTimestamp        int64
 *   35  MaxTimestamp         int64   rewritten for LogAppendTime (CRC recomputed)
 *   43  ProducerId           int64
 *   51  ProducerEpoch        int16
 *   53  BaseSequence         int32
 *   57  RecordsCount         int32
 *   61  Records ...                  one compressed block when the codec is not 0
 *
 * Produce validates batches here before anything is written; the store
 * reads headers back from disk with the same parser. The record iterator
 * walks an uncompressed batch, or the records section of a compressed one
 * once the caller has decompressed it (proto/compression.h); it serves
 * tests, tools and exact timestamp lookups. The builder makes batches for
 * tests and internal topics.
 */
#ifndef GREGOR_PROTO_RECORD_BATCH_H
#define GREGOR_PROTO_RECORD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/reader.h"

#define GR_BATCH_LOG_OVERHEAD_BYTES 12 /* BaseOffset + Length */
#define GR_BATCH_HEADER_BYTES 61       /* everything before the records */
#define GR_BATCH_MAGIC_V2 2

/* Field positions. */
#define GR_BATCH_OFF_BASE_OFFSET 0
#define GR_BATCH_OFF_LENGTH 8
#define GR_BATCH_OFF_LEADER_EPOCH 12
#define GR_BATCH_OFF_MAGIC 16
#define GR_BATCH_OFF_CRC 17
#define GR_BATCH_OFF_ATTRIBUTES 21
#define GR_BATCH_OFF_LAST_OFFSET_DELTA 23
#define GR_BATCH_OFF_BASE_TIMESTAMP 27
#define GR_BATCH_OFF_MAX_TIMESTAMP 35
#define GR_BATCH_OFF_PRODUCER_ID 43
#define GR_BATCH_OFF_PRODUCER_EPOCH 51
#define GR_BATCH_OFF_BASE_SEQUENCE 53
#define GR_BATCH_OFF_RECORDS_COUNT 57

/* Attributes. */
#define GR_BATCH_ATTR_COMPRESSION_MASK 0x07
#define GR_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define GR_BATCH_ATTR_TRANSACTIONAL 0x10
#define GR_BATCH_ATTR_CONTROL 0x20
#define GR_BATCH_ATTR_DELETE_HORIZON 0x40

enum {
    GR_COMPRESSION_NONE = 0,
    GR_COMPRESSION_GZIP = 1,
    GR_COMPRESSION_SNAPPY = 2,
    GR_COMPRESSION_LZ4 = 3,
    GR_COMPRESSION_ZSTD = 4
};

typedef struct gr_batch_header {
    int64_t base_offset;
    int32_t length; /* bytes after the Length field */
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t records_count;
} gr_batch_header;

/* Parses the header fields (needs GR_BATCH_HEADER_BYTES). Checks nothing else. */
void gr_batch_header_parse(const uint8_t *p, gr_batch_header *h);

static inline int64_t gr_batch_size(const gr_batch_header *h) {
    return (int64_t)GR_BATCH_LOG_OVERHEAD_BYTES + h->length;
}
static inline int64_t gr_batch_last_offset(const gr_batch_header *h) {
    return h->base_offset + h->last_offset_delta;
}
static inline int gr_batch_compression(const gr_batch_header *h) {
    return h->attributes & GR_BATCH_ATTR_COMPRESSION_MASK;
}
static inline bool gr_batch_is_control(const gr_batch_header *h) {
    return (h->attributes & GR_BATCH_ATTR_CONTROL) != 0;
}
static inline bool gr_batch_is_transactional(const gr_batch_header *h) {
    return (h->attributes & GR_BATCH_ATTR_TRANSACTIONAL) != 0;
}
static inline bool gr_batch_has_producer_id(const gr_batch_header *h) { return h->producer_id >= 0; }
/* Sequence of the last record: BaseSequence + LastOffsetDelta, wrapping past INT32_MAX to 0. */
int32_t gr_batch_last_sequence(const gr_batch_header *h);
/* Adds `delta` to a sequence number with the same wrap (and subtracts for delta < 0). */
int32_t gr_sequence_add(int32_t seq, int32_t delta);

/* What is wrong with a batch, from the cheapest check up. */
typedef enum gr_batch_status {
    GR_BATCH_OK = 0,
    GR_BATCH_SHORT,     /* fewer bytes than a header, or than Length announces (torn) */
    GR_BATCH_BAD_SIZE,  /* Length smaller than the header it must contain */
    GR_BATCH_BAD_MAGIC, /* magic is not 2 */
    GR_BATCH_BAD_CRC,
    GR_BATCH_BAD_COUNT,   /* RecordsCount < 0, or LastOffsetDelta inconsistent with it */
    GR_BATCH_BAD_RECORDS, /* uncompressed records do not parse or do not match RecordsCount */
} gr_batch_status;

const char *gr_batch_status_text(gr_batch_status s);

/* Structure checks on the batch at p (avail bytes readable): length, magic, CRC32C, count
 * consistency (records_count >= 0 and, when records_count > 0, LastOffsetDelta ==
 * records_count - 1), and for uncompressed batches that exactly records_count records fill the
 * batch. Nothing is decompressed. On GR_BATCH_OK, *h holds the header. */
gr_batch_status gr_batch_validate(const uint8_t *p, size_t avail, gr_batch_header *h);
/* Only length, magic and CRC: what recovery re-checks on batches read back from disk. */
gr_batch_status gr_batch_check_crc(const uint8_t *p, size_t avail, gr_batch_header *h);

/* The framing rule of Produce v3+ (Kafka's ProduceRequest.validateRecords): the records field
 * holds exactly one whole batch, of magic 2, and no zstd before Produce v7. Batches are framed as
 * Kafka's batch iterator frames them: a batch is there once its Length and Magic are readable
 * and all its bytes are present; Length < 14 or a magic outside 0..2 is corrupt; bytes after the
 * first batch too few to form a second one are ignored (Kafka drops them; so must the caller).
 * Returns a Kafka error code: NONE (then *first_size is the size of the one batch),
 * INVALID_RECORD, CORRUPT_MESSAGE or UNSUPPORTED_COMPRESSION_TYPE; *why explains an error. */
int16_t gr_produce_records_check(int16_t produce_version, const uint8_t *p, size_t len, size_t *first_size,
                                 const char **why);

uint32_t gr_batch_compute_crc(const uint8_t *batch, size_t size);

/* In-place rewrites (batch must be whole: size bytes). */
void gr_batch_set_base_offset(uint8_t *batch, int64_t base_offset);
void gr_batch_set_partition_leader_epoch(uint8_t *batch, int32_t epoch);
/* LogAppendTime: sets the timestamp-type bit and MaxTimestamp, recomputes the CRC. */
void gr_batch_set_log_append_time(uint8_t *batch, size_t size, int64_t now_ms);

/* One record of an uncompressed batch; key/value/header bytes point into the batch. */
typedef struct gr_record {
    int8_t attributes;
    int64_t timestamp; /* BaseTimestamp + delta (MaxTimestamp for LogAppendTime batches) */
    int64_t offset;    /* BaseOffset + delta */
    gr_bytes key;      /* len -1 = null */
    gr_bytes value;    /* len -1 = null (tombstone) */
    int32_t header_count;
    const uint8_t *headers; /* header_count headers, encoded as on the wire */
    size_t headers_len;
} gr_record;

typedef struct gr_record_iter {
    gr_batch_header h;
    gr_reader r;
    int32_t index;
} gr_record_iter;

/* Starts iterating an uncompressed batch of `size` bytes; -1 if it is compressed or short. */
int gr_record_iter_init(gr_record_iter *it, const uint8_t *batch, size_t size);
/* Starts iterating records taken out of a batch: `records` (len bytes) is the records section of
 * the batch whose header is *h, already decompressed when the batch is compressed. Offsets and
 * timestamps come from *h. The bytes must stay valid while iterating. */
void gr_record_iter_init_records(gr_record_iter *it, const gr_batch_header *h, const uint8_t *records,
                                 size_t len);
/* 1 = *rec filled, 0 = no more records, -1 = malformed. */
int gr_record_iter_next(gr_record_iter *it, gr_record *rec);

/* A record header, for the builder. */
typedef struct gr_record_header {
    gr_str key;
    gr_bytes value;
} gr_record_header;

/* Builds an uncompressed v2 batch into a gr_buf: begin, add records, finish (fills Length,
 * LastOffsetDelta, MaxTimestamp, RecordsCount and CRC). */
typedef struct gr_batch_builder {
    gr_buf *out;
    size_t start; /* where the batch begins in out */
    int64_t base_timestamp;
    int64_t max_timestamp;
    int32_t count;
} gr_batch_builder;

typedef struct gr_batch_builder_opts {
    int64_t base_offset;
    int64_t producer_id; /* -1 for none */
    int16_t producer_epoch;
    int32_t base_sequence;
    int16_t attributes; /* e.g. transactional/control bits; the codec bits must be 0 */
    int32_t partition_leader_epoch;
} gr_batch_builder_opts;

void gr_batch_builder_opts_init(gr_batch_builder_opts *o); /* no producer, offset 0, epoch -1 */
void gr_batch_builder_begin(gr_batch_builder *b, gr_buf *out, const gr_batch_builder_opts *o);
void gr_batch_builder_add(gr_batch_builder *b, int64_t timestamp, gr_bytes key, gr_bytes value,
                          const gr_record_header *headers, int32_t header_count);
/* Returns the batch size in bytes. */
size_t gr_batch_builder_finish(gr_batch_builder *b);

#endif
