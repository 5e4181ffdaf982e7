/*
 * gregor_client.h: libgregor, a flat C client library for Kafka-compatible brokers.
 *
 * Made for foreign-function interfaces (APL's ⎕NA, Python's ctypes, Go's cgo, Node's koffi...):
 * every function takes only integers, handles, strings and caller-owned buffers, and none takes
 * a callback. Delivery reports are queued inside the producer and polled; consumed messages are
 * copied into caller buffers. See docs/libgregor.md for the full reference.
 *
 * Conventions:
 *   - Every function returns an int32 result code: GREGOR_OK (0), one of the library's own
 *     codes below (-1000 and lower), or a librdkafka / Kafka error code passed through
 *     unchanged (Kafka's codes are positive, librdkafka's local ones are -199..-100).
 *     gregor_error_message() turns any of them into text.
 *   - Handles are int64 ids, never pointers. 0 is never a valid handle; a closed handle stays
 *     invalid for ever (GREGOR_ERR_BAD_HANDLE), so a stale id is an error, not a crash.
 *   - Output text is NUL-terminated. When a buffer is too small the function returns
 *     GREGOR_ERR_BUFFER_TOO_SMALL and reports the size it needs (NUL included).
 *   - All functions are thread-safe.
 */
#ifndef GREGOR_CLIENT_H
#define GREGOR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GREGOR_CLIENT_BUILD)
#define GREGOR_API __attribute__((visibility("default")))
#else
#define GREGOR_API
#endif

#define GREGOR_CLIENT_VERSION "0.1.0"

/* The library's own result codes (librdkafka and Kafka codes are passed through). */
enum {
    GREGOR_OK = 0,
    GREGOR_ERR_BAD_HANDLE = -1000,       /* 0, unknown, closed, or of the wrong kind */
    GREGOR_ERR_BAD_ARGUMENT = -1001,     /* a NULL pointer or a value out of range */
    GREGOR_ERR_BUFFER_TOO_SMALL = -1002, /* needed sizes were reported; nothing was lost */
    GREGOR_ERR_CONFIG = -1003,           /* unknown key or bad value (text in errstr) */
    GREGOR_ERR_TIMED_OUT = -1004,        /* nothing arrived within timeout_ms */
    GREGOR_ERR_NO_MEMORY = -1005,
    GREGOR_ERR_TOO_MANY_HANDLES = -1006,
    GREGOR_ERR_NOT_FOUND = -1007, /* e.g. the consumer group does not exist */
};

/* Offsets accepted by gregor_assign() (Kafka's logical offsets). */
#define GREGOR_OFFSET_BEGINNING (-2)
#define GREGOR_OFFSET_END (-1)
#define GREGOR_OFFSET_STORED (-1000)

/* Any partition: the producer's partitioner picks one from the key. */
#define GREGOR_PARTITION_ANY (-1)

/* ---- errors ---------------------------------------------------------------------------- */

/* Text for any result code, NUL-terminated into buf (truncated to fit; never fails). */
GREGOR_API int32_t gregor_error_message(int32_t code, char *buf, size_t buf_size);
/* The library version, e.g. "0.1.0", and librdkafka's version string. */
GREGOR_API const char *gregor_version(void);
GREGOR_API const char *gregor_rdkafka_version(void);

/* ---- configuration --------------------------------------------------------------------- */

/* A set of librdkafka configuration pairs ("bootstrap.servers", "group.id", ...). */
GREGOR_API int32_t gregor_config_new(int64_t *config_out);
/* Checks the key and value now: an unknown key gives GREGOR_ERR_CONFIG and librdkafka's text. */
GREGOR_API int32_t gregor_config_set(int64_t config, const char *key, const char *value, char *errstr,
                                     size_t errstr_size);

/* ---- handles --------------------------------------------------------------------------- */

/* Closes any handle (config, producer, consumer, admin). A consumer leaves its group; a producer
 * drops what is not yet delivered (call gregor_flush first). Waits for calls in progress on the
 * same handle to return. */
GREGOR_API int32_t gregor_close(int64_t handle);

/* ---- producer -------------------------------------------------------------------------- */

/* The config stays usable (and must still be closed by the caller). */
GREGOR_API int32_t gregor_producer_new(int64_t config, int64_t *producer_out, char *errstr,
                                       size_t errstr_size);

/* Queues one record. key may be NULL (a null key), payload may be NULL (a tombstone); partition
 * is a partition number or GREGOR_PARTITION_ANY. headers is NULL or an encoded header block (see
 * gregor_header_append). message_id_out receives an id, increasing per producer, that the delivery
 * report of this record carries. */
GREGOR_API int32_t gregor_produce(int64_t producer, const char *topic, int32_t partition, const void *key,
                                  size_t key_len, const void *payload, size_t payload_len,
                                  const void *headers, size_t headers_len, int64_t *message_id_out);

/* Returns GREGOR_OK and one delivery report (the record's id, its result code, partition and
 * offset), or GREGOR_ERR_TIMED_OUT when none arrived within timeout_ms (0: do not wait). */
GREGOR_API int32_t gregor_delivery_poll(int64_t producer, int32_t timeout_ms, int64_t *message_id_out,
                                        int32_t *error_out, int32_t *partition_out, int64_t *offset_out);

/* Waits until every queued record has a delivery report waiting to be polled. */
GREGOR_API int32_t gregor_flush(int64_t producer, int32_t timeout_ms);

/* ---- headers --------------------------------------------------------------------------- */

/* A header block is a byte string of entries, each: uint32 name length, uint32 value length
 * (both in host byte order; 0xFFFFFFFF for a null value), the name bytes, the value bytes.
 * This appends one entry to buf at *used and advances *used; when it does not fit it returns
 * GREGOR_ERR_BUFFER_TOO_SMALL and leaves *used unchanged. value may be NULL (a null value). */
#define GREGOR_HEADER_NULL_VALUE 0xFFFFFFFFu
GREGOR_API int32_t gregor_header_append(void *buf, size_t buf_size, size_t *used, const char *name,
                                        const void *value, size_t value_len);

/* ---- consumer -------------------------------------------------------------------------- */

GREGOR_API int32_t gregor_consumer_new(int64_t config, int64_t *consumer_out, char *errstr,
                                       size_t errstr_size);

/* topics: comma-separated names, e.g. "animals,plants" (needs group.id in the config). */
GREGOR_API int32_t gregor_subscribe(int64_t consumer, const char *topics);

/* partitions: comma-separated "topic:partition" or "topic:partition:offset" (offset may be one of
 * GREGOR_OFFSET_*); "" clears the assignment. */
GREGOR_API int32_t gregor_assign(int64_t consumer, const char *partitions);

/* Copies the next message into the caller's buffers. The *_len outputs receive the sizes the
 * message needs (topic_len counts the NUL; key_len is -1 for a null key, payload_len -1 for a null
 * payload). If any buffer is too small nothing is consumed: GREGOR_ERR_BUFFER_TOO_SMALL is
 * returned with the needed sizes, and the next call returns the same message. Any buffer may be
 * NULL with size 0 when only the sizes are wanted. The return is GREGOR_OK, GREGOR_ERR_TIMED_OUT,
 * or a librdkafka error for the partition (e.g. -191, partition EOF, with topic and partition set).
 * headers receives a header block (see gregor_header_append). timestamp_ms_out is -1 when the
 * record has none. */
GREGOR_API int32_t gregor_consume(int64_t consumer, int32_t timeout_ms, char *topic, size_t topic_size,
                                  size_t *topic_len, int32_t *partition_out, int64_t *offset_out, void *key,
                                  size_t key_size, int64_t *key_len, void *payload, size_t payload_size,
                                  int64_t *payload_len, int64_t *timestamp_ms_out, void *headers,
                                  size_t headers_size, size_t *headers_len);

/* Commits the offsets after the messages consumed so far (async != 0: do not wait for the
 * result). With nothing to commit the result is -168 (librdkafka's "no offset"). */
GREGOR_API int32_t gregor_commit(int64_t consumer, int32_t async);
/* Commits next_offset (the offset of the next message to read) for one partition. */
GREGOR_API int32_t gregor_commit_offset(int64_t consumer, const char *topic, int32_t partition,
                                        int64_t next_offset, int32_t async);
/* The group's committed offset for one partition; -1001 (librdkafka's "invalid offset") in
 * *offset_out when the group has none. */
GREGOR_API int32_t gregor_committed(int64_t consumer, const char *topic, int32_t partition,
                                    int32_t timeout_ms, int64_t *offset_out);

/* ---- admin ----------------------------------------------------------------------------- */

GREGOR_API int32_t gregor_admin_new(int64_t config, int64_t *admin_out, char *errstr, size_t errstr_size);

/* replication_factor -1: the broker's default. */
GREGOR_API int32_t gregor_topic_create(int64_t admin, const char *topic, int32_t partitions,
                                       int32_t replication_factor, int32_t timeout_ms, char *errstr,
                                       size_t errstr_size);
GREGOR_API int32_t gregor_topic_delete(int64_t admin, const char *topic, int32_t timeout_ms, char *errstr,
                                       size_t errstr_size);

/* Lines "topic<TAB>partition_count\n", sorted by topic name. out_len gets the size needed. */
GREGOR_API int32_t gregor_topics_list(int64_t admin, int32_t timeout_ms, char *out, size_t out_size,
                                      size_t *out_len);

/* The partitions of one topic, one line each, sorted by partition:
 *   "partition<TAB>leader_broker_id<TAB>low_watermark<TAB>high_watermark\n".
 * Kafka's UNKNOWN_TOPIC_OR_PARTITION (3) when the broker does not know the topic. */
GREGOR_API int32_t gregor_partitions_list(int64_t admin, const char *topic, int32_t timeout_ms, char *out,
                                          size_t out_size, size_t *out_len);

/* A consumer group and its lag. First line "group<TAB>state<TAB>member_count\n", then one line per
 * partition with a committed offset, sorted:
 *   "topic<TAB>partition<TAB>committed<TAB>high_watermark<TAB>lag\n".
 * GREGOR_ERR_NOT_FOUND when the group does not exist. */
GREGOR_API int32_t gregor_group_describe(int64_t admin, const char *group, int32_t timeout_ms, char *out,
                                         size_t out_size, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* GREGOR_CLIENT_H */
