/*
 * offsets.h: a group's committed offsets, keyed by (topic, partition).
 *
 * Entries carry what OffsetFetch returns (offset, leader epoch, metadata) and
 * what expiry needs (commit time, and an explicit expire time from
 * OffsetCommit v2-4 retention). The durable copy is in __consumer_offsets;
 * this table is rebuilt from it at start-up.
 */
#ifndef GREGOR_GROUP_OFFSETS_H
#define GREGOR_GROUP_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/reader.h"

typedef struct gr_offset_value {
    int64_t offset;
    int32_t leader_epoch; /* -1 = unknown */
    gr_str metadata;      /* len -1 or NULL = none (read back as "") */
    int64_t commit_timestamp_ms;
    int64_t expire_timestamp_ms; /* -1 = by offsets.retention.minutes */
} gr_offset_value;

typedef struct gr_committed {
    struct gr_committed *next;
    uint32_t hash;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    int64_t commit_timestamp_ms;
    int64_t expire_timestamp_ms;
    char *metadata; /* NUL-terminated, never NULL */
    int32_t topic_len;
    char topic[]; /* NUL-terminated */
} gr_committed;

typedef struct gr_offsets {
    gr_committed **buckets;
    uint32_t bucket_count;
    uint32_t count;
} gr_offsets;

void gr_offsets_init(gr_offsets *o);
void gr_offsets_free(gr_offsets *o);
gr_committed *gr_offsets_get(const gr_offsets *o, gr_str topic, int32_t partition);
/* Inserts or replaces. Returns 0, or -1 on allocation failure / when the table is full. */
int gr_offsets_put(gr_offsets *o, gr_str topic, int32_t partition, const gr_offset_value *v);
bool gr_offsets_remove(gr_offsets *o, gr_str topic, int32_t partition);
/* Every entry, sorted by topic then partition; caller frees the array. *n gets the count. */
gr_committed **gr_offsets_sorted(const gr_offsets *o, uint32_t *n);
/* Whether any entry belongs to the topic. */
bool gr_offsets_has_topic(const gr_offsets *o, gr_str topic);

#endif
