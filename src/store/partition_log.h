/*
 * partition_log.h: one partition's log on disk, in Kafka's own layout.
 *
 *   <log.dir>/<topic>-<partition>/
 *       00000000000000000000.log        record batches exactly as produced
 *       00000000000000000000.index      sparse offset -> file position
 *       00000000000000000000.timeindex  timestamp -> offset, when the max grows
 *       00000000000000001234.log ...    next segment, named by its base offset
 *       00000000000000001234.snapshot   idempotent-producer state at offset 1234
 *
 * The broker hands Produce batches to gr_plog_append (validated, offsets
 * assigned, one write), serves Fetch with gr_plog_read (a file range for
 * sendfile) and asks a gr_flusher for durability (acks=all). Every function
 * here is thread-safe; the partition's mutex is held for appends, index
 * lookups and metadata, never across fsync or reads of old data.
 *
 * Errors are Kafka error codes (proto/errors.h): 0 is success.
 * docs/storage.md describes the files, recovery and the idempotence rules.
 */
#ifndef GREGOR_STORE_PARTITION_LOG_H
#define GREGOR_STORE_PARTITION_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/file_ref.h"
#include "base/limits.h"

typedef struct gr_log_config {
    int64_t segment_bytes;        /* log.segment.bytes: roll before a segment would exceed it */
    int64_t roll_ms;              /* log.roll.ms: roll a segment this long after its first batch */
    int64_t retention_ms;         /* retention.ms: -1 = keep forever */
    int64_t retention_bytes;      /* retention.bytes: -1 = no size limit */
    int32_t index_interval_bytes; /* index.interval.bytes: bytes between .index entries */
    int32_t max_message_bytes;    /* max.message.bytes: largest batch accepted */
    bool log_append_time;         /* message.timestamp.type=LogAppendTime */
    /* CreateTime topics refuse records stamped more than this far ahead of / behind the broker's
     * clock (message.timestamp.after.max.ms / .before.max.ms) with INVALID_TIMESTAMP. */
    int64_t timestamp_after_max_ms;
    int64_t timestamp_before_max_ms;
} gr_log_config;

/* Kafka's defaults: 1 GiB segments, 7 days roll and retention, 4 KiB index interval, records at
 * most an hour in the future and any time in the past. */
void gr_log_config_defaults(gr_log_config *c);

typedef struct gr_partition_log gr_partition_log;

/* Opens the partition directory `dir`, creating it (and an empty first segment) if missing, or
 * recovering what is there (torn tails truncated, damaged indexes rebuilt, producer state
 * reloaded). Returns 0 or a Kafka error code (KAFKA_STORAGE_ERROR). */
int gr_plog_open(const char *dir, const gr_log_config *cfg, gr_partition_log **out);

/* Writes a producer-state snapshot and closes. Pending flusher requests keep the files open
 * until they are done, so closing with a flush in flight is safe. */
void gr_plog_close(gr_partition_log *l);

/* Closes and deletes the directory with everything in it (DeleteTopics). Fetch responses that
 * still hold file references keep working. Returns 0 or KAFKA_STORAGE_ERROR. */
int gr_plog_remove(gr_partition_log *l);

/* Applies new topic configs (segment size, retention...) from the next append on. */
void gr_plog_set_config(gr_partition_log *l, const gr_log_config *cfg);

/* A record refused for its timestamp: its position in its batch, its offset as the producer
 * numbered it, and the timestamp. */
typedef struct gr_append_record_error {
    int32_t batch_index;
    int64_t offset;
    int64_t timestamp;
} gr_append_record_error;

typedef struct gr_append_result {
    int16_t error;              /* Kafka error code; 0 = appended (or a duplicate) */
    int64_t base_offset;        /* offset of the first record, -1 on error */
    int64_t last_offset;        /* offset of the last record, -1 on error */
    int64_t log_append_time_ms; /* -1 = CreateTime topic */
    int64_t log_start_offset;
    bool duplicate;            /* idempotent retry: nothing written, original offsets returned */
    const char *error_message; /* static text for Produce v8+ ErrorMessage, or NULL */
    /* INVALID_TIMESTAMP: the refused records, when the store can tell which without
     * decompressing (at most GR_APPEND_RECORD_ERRORS_MAX), and the accepted window
     * [timestamp_min_ms, timestamp_max_ms]; Produce v8+ reports them as RecordErrors. */
    int32_t record_error_count;
    gr_append_record_error record_errors[GR_APPEND_RECORD_ERRORS_MAX];
    int64_t timestamp_min_ms, timestamp_max_ms;
} gr_append_result;

/* `batches`: the Produce request's records for this partition (mutable: base offsets, leader
 * epoch and, for LogAppendTime topics, max timestamps are rewritten in place). Validates every
 * batch without decompressing (record timestamps included, on CreateTime topics), applies the
 * idempotent-producer checks, assigns offsets and appends all batches with one write. No fsync
 * here (see gr_flusher). */
void gr_plog_append(gr_partition_log *l, uint8_t *batches, size_t len, int32_t leader_epoch,
                    gr_append_result *res);

typedef struct gr_read_result {
    int16_t error; /* 0 or OFFSET_OUT_OF_RANGE / KAFKA_STORAGE_ERROR */
    int64_t high_watermark;
    int64_t last_stable_offset;
    int64_t log_start_offset;
    gr_file_ref *file; /* retained for the caller, who releases it; NULL if nothing to send */
    int64_t file_offset;
    int32_t length;
} gr_read_result;

/* Whole batches from the one containing `offset`, at most max_bytes of them; if min_one and the
 * first batch alone is larger, that batch whole (KIP-74). Reading at the end offset gives no
 * data and no error; below the log start or beyond the end gives OFFSET_OUT_OF_RANGE. A read
 * stops at a segment boundary: the caller asks again from the next offset. */
void gr_plog_read(gr_partition_log *l, int64_t offset, int32_t max_bytes, bool min_one, gr_read_result *res);

/* Follower fetches: like gr_plog_read but up to the log end offset, whatever the high watermark
 * (high_watermark in the result is still the consumers' one). */
void gr_plog_read_replica(gr_partition_log *l, int64_t offset, int32_t max_bytes, bool min_one,
                          gr_read_result *res);

/* What a consumer sees as the end: the high watermark in replicated mode, else the log end. */
int64_t gr_plog_end_offset(gr_partition_log *l);
/* The log end offset (LEO): the offset the next appended batch gets, whatever the mode. */
int64_t gr_plog_log_end_offset(gr_partition_log *l);
int64_t gr_plog_start_offset(gr_partition_log *l);
int64_t gr_plog_last_stable_offset(gr_partition_log *l); /* = high watermark until transactions exist */

/* ---- replication ---- */

/* Replicated mode (a partition with followers or a leader): the high watermark is tracked on its
 * own, starting from its checkpoint (clamped to the log end). Off (the default, a single node):
 * the high watermark is the log end offset. */
void gr_plog_set_replicated(gr_partition_log *l, bool replicated);
/* Moves the high watermark to hw, clamped to [log start, log end]; never backwards (only
 * truncation lowers it). Ignored when not replicated. Checkpointed at the next flush or close. */
void gr_plog_set_high_watermark(gr_partition_log *l, int64_t hw);
int64_t gr_plog_high_watermark(gr_partition_log *l);

/* Leader epoch cache (the partition's leader-epoch-checkpoint file): a new leader records the
 * epoch it starts at its log end offset. Ignored if epoch <= the latest known epoch. */
void gr_plog_assign_epoch(gr_partition_log *l, int32_t epoch, int64_t start_offset);
int32_t gr_plog_latest_epoch(gr_partition_log *l); /* -1 if none */
/* OffsetForLeaderEpoch: the largest known epoch <= epoch and the start offset of the epoch after
 * it (the log end offset if it is the latest). (-1, -1) if epoch is below every known epoch. */
void gr_plog_epoch_end_offset(gr_partition_log *l, int32_t epoch, int32_t *out_epoch,
                              int64_t *out_end_offset);

/* A follower's append of the leader's batches, as they are (offsets, leader epochs, timestamps
 * kept). The first base offset must be the log end offset (else OFFSET_OUT_OF_RANGE, nothing
 * written); batches must be valid and contiguous (else CORRUPT_MESSAGE, nothing written). A
 * trailing partial batch is ignored; res->last_offset is the last offset appended (-1 if none).
 * Producer state and epochs are recorded as recovery would. Empty input: no-op. */
void gr_plog_append_replica(gr_partition_log *l, uint8_t *batches, size_t len, gr_append_result *res);

/* Removes everything at and above offset (cut at the start of the batch holding it), durably.
 * Below the log start it resets the log instead (gr_plog_reset_to). At or above the log end:
 * nothing. Returns 0 or KAFKA_STORAGE_ERROR. */
int gr_plog_truncate(gr_partition_log *l, int64_t offset);
/* Deletes every segment and starts the log empty at offset (log start = end = offset). Returns 0
 * or KAFKA_STORAGE_ERROR. */
int gr_plog_reset_to(gr_partition_log *l, int64_t offset);

/* ListOffsets special timestamps. */
#define GR_LIST_OFFSETS_LATEST (-1)
#define GR_LIST_OFFSETS_EARLIEST (-2)
#define GR_LIST_OFFSETS_MAX_TIMESTAMP (-3)

/* ListOffsets: the first offset whose timestamp is >= ts and that timestamp; offset -1 and
 * timestamp -1 when there is none. ts may also be one of the special values above (earliest and
 * latest give timestamp -1). Returns 0 or a Kafka error code. For a compressed batch the
 * batch's base offset and max timestamp stand for its first matching record. */
int gr_plog_offset_for_time(gr_partition_log *l, int64_t ts, int64_t *offset, int64_t *timestamp);
/* The record with the largest timestamp (-1, -1 for an empty log). */
int gr_plog_max_timestamp(gr_partition_log *l, int64_t *offset, int64_t *timestamp);

/* fdatasync of everything appended so far. Returns 0 or KAFKA_STORAGE_ERROR. */
int gr_plog_flush(gr_partition_log *l);

/* DeleteRecords: advances the log start offset to before_offset (-1 = the high watermark) and
 * deletes segments wholly below it. Returns 0 or OFFSET_OUT_OF_RANGE / KAFKA_STORAGE_ERROR. */
int gr_plog_delete_records(gr_partition_log *l, int64_t before_offset);

/* Deletes whole closed segments past retention_ms (by their max timestamp) or beyond
 * retention_bytes, oldest first; the active segment is never deleted. Also forgets idempotent
 * producers idle for longer than the producer-id expiration. */
void gr_plog_enforce_retention(gr_partition_log *l, int64_t now_ms);

/* Compaction settings of a topic (cleanup.policy contains compact). */
typedef struct gr_compaction_config {
    bool compact;
    int64_t delete_retention_ms;      /* delete.retention.ms: tombstones outlive their first cleaning */
    double min_cleanable_dirty_ratio; /* min.cleanable.dirty.ratio */
    int64_t min_compaction_lag_ms;    /* min.compaction.lag.ms: newer segments wait */
    int64_t max_compaction_lag_ms;    /* max.compaction.lag.ms: older dirty data cleans whatever the ratio */
} gr_compaction_config;
void gr_compaction_config_defaults(gr_compaction_config *c);

typedef struct gr_clean_stats {
    int segments;          /* closed segments considered */
    int rewritten;         /* segments replaced by a smaller copy */
    int deleted;           /* segments left with nothing, deleted (never the first one) */
    int64_t bytes_read;    /* both passes */
    int64_t bytes_written; /* cleaned segment bytes */
} gr_clean_stats;

/* One cleaning (log_cleaner.c): keeps the newest record of each key in the closed segments that
 * are cleanable now, tombstones until delete.retention.ms after their first cleaning. Runs
 * without the partition mutex except for short swaps; call it from a background thread.
 * Nothing happens unless cc->compact and the dirty ratio or max lag says so. 0 or -1 (the log
 * stays as it was, or partly cleaned, and always complete). stats may be NULL. */
int gr_plog_clean(gr_partition_log *l, const gr_compaction_config *cc, int64_t now_ms, gr_clean_stats *stats);

int64_t gr_plog_size_bytes(gr_partition_log *l); /* bytes in all .log files */
int gr_plog_segment_count(gr_partition_log *l);
const char *gr_plog_dir(const gr_partition_log *l);

#endif
