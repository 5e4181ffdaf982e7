/*
 * records.h: the records of __consumer_offsets, in Kafka's formats.
 *
 *   key   = INT16 key version + key struct       (the version says what the record is)
 *   value = INT16 value version + value struct   (null value = tombstone: forget the key)
 *
 *   key v1 OffsetCommitKey(group, topic, partition) -> OffsetCommitValue v3 (v1 with an expire time)
 *   key v2 GroupMetadataKey(group)                  -> GroupMetadataValue v3 (classic groups)
 *   key v3 ConsumerGroupMetadataKey(group)          -> ConsumerGroupMetadataValue v0 (KIP-848 groups)
 *   key v5 ConsumerGroupMemberMetadataKey(group, member) -> its subscription and client (KIP-848)
 *   key v8 ConsumerGroupCurrentMemberAssignmentKey(group, member) -> its epochs and partitions
 *
 * Writing the same formats as Kafka keeps the topic readable by Kafka's tools
 * (kafka-console-consumer's offsets formatter, kafka-dump-log) and lets a log
 * directory move between the two.
 */
#ifndef GREGOR_GROUP_RECORDS_H
#define GREGOR_GROUP_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "group/offsets.h"
#include "proto/gen/consumer_group_current_member_assignment_key.h"
#include "proto/gen/consumer_group_current_member_assignment_value.h"
#include "proto/gen/consumer_group_member_metadata_key.h"
#include "proto/gen/consumer_group_member_metadata_value.h"
#include "proto/gen/consumer_group_metadata_key.h"
#include "proto/gen/consumer_group_metadata_value.h"
#include "proto/gen/group_metadata_key.h"
#include "proto/gen/group_metadata_value.h"
#include "proto/gen/offset_commit_key.h"
#include "proto/gen/offset_commit_value.h"
#include "proto/record_batch.h"

#define GR_OFFSETS_KEY_OFFSET_COMMIT 1
#define GR_OFFSETS_KEY_GROUP_METADATA 2
#define GR_OFFSETS_KEY_CONSUMER_GROUP_METADATA 3
#define GR_OFFSETS_KEY_CONSUMER_GROUP_MEMBER 5
#define GR_OFFSETS_KEY_CONSUMER_GROUP_MEMBER_ASSIGNMENT 8
#define GR_OFFSET_COMMIT_VALUE_VERSION 3
#define GR_OFFSET_COMMIT_VALUE_VERSION_EXPIRING 1
#define GR_GROUP_METADATA_VALUE_VERSION 3

/* One batch of records for one partition of __consumer_offsets. */
typedef struct gr_offsets_batch {
    gr_buf out;
    gr_buf key, value; /* scratch for the record being added */
    gr_batch_builder builder;
    int64_t timestamp_ms;
    int32_t count;
} gr_offsets_batch;

void gr_offsets_batch_begin(gr_offsets_batch *ob, int64_t now_ms);
/* v NULL writes a tombstone. */
void gr_offsets_batch_add_offset(gr_offsets_batch *ob, gr_str group, gr_str topic, int32_t partition,
                                 const gr_offset_value *v);
void gr_offsets_batch_add_group(gr_offsets_batch *ob, gr_str group, const gr_group_metadata_value *v);
void gr_offsets_batch_add_consumer_group(gr_offsets_batch *ob, gr_str group, bool tombstone, int32_t epoch);
/* KIP-848 member records; NULL values write tombstones. */
void gr_offsets_batch_add_cg_member(gr_offsets_batch *ob, gr_str group, gr_str member,
                                    const gr_consumer_group_member_metadata_value *v);
void gr_offsets_batch_add_cg_assignment(gr_offsets_batch *ob, gr_str group, gr_str member,
                                        const gr_consumer_group_current_member_assignment_value *v);
/* Finishes the batch: out.data[0..size) is ready for gr_plog_append. Returns the size (0 if
   nothing was added or memory ran out). */
size_t gr_offsets_batch_finish(gr_offsets_batch *ob);
void gr_offsets_batch_free(gr_offsets_batch *ob);

typedef enum gr_offsets_record_type {
    GR_OREC_OFFSET,
    GR_OREC_GROUP,
    GR_OREC_CONSUMER_GROUP,
    GR_OREC_CG_MEMBER,
    GR_OREC_CG_ASSIGNMENT,
    GR_OREC_IGNORED, /* other KIP-848/KIP-932 records: not used by this coordinator */
} gr_offsets_record_type;

typedef struct gr_offsets_record {
    gr_offsets_record_type type;
    bool tombstone;
    int16_t value_version;
    gr_offset_commit_key offset_key;
    gr_offset_commit_value offset_value;
    gr_group_metadata_key group_key;
    gr_group_metadata_value group_value;
    gr_consumer_group_metadata_key cg_key;
    gr_consumer_group_metadata_value cg_value;
    gr_consumer_group_member_metadata_key member_key;
    gr_consumer_group_member_metadata_value member_value;
    gr_consumer_group_current_member_assignment_key assignment_key;
    gr_consumer_group_current_member_assignment_value assignment_value;
} gr_offsets_record;

/* Decodes one record's key and value (value.len -1 = tombstone). 0, or -1 if malformed. */
int gr_offsets_record_decode(gr_bytes key, gr_bytes value, gr_arena *a, gr_offsets_record *out);

#endif
