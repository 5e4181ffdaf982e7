/*
 * log_internal.h: the partition log's state, shared by the files that implement it:
 *
 *   partition_log.c   open/close, append, flush, small queries
 *   log_read.c        Fetch reads and ListOffsets lookups
 *   log_recovery.c    what open does to a directory that already has data
 *   log_retention.c   retention, DeleteRecords, producer snapshots on disk
 *
 * Everything in struct gr_partition_log is guarded by `mu` unless noted.
 */
#ifndef GREGOR_STORE_LOG_INTERNAL_H
#define GREGOR_STORE_LOG_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/buf.h"
#include "store/partition_log.h"
#include "store/producer_state.h"
#include "store/segment.h"

struct gr_partition_log {
    pthread_mutex_t mu;
    atomic_int refs; /* the owner's, plus one per pending flusher request */
    char *dir;       /* immutable */
    gr_log_config cfg;
    gr_segment **segs; /* by base offset; the last one is active */
    int seg_count;
    int seg_cap;
    int64_t log_start_offset;
    bool failed;          /* a write or sync failed: appends refused (KAFKA_STORAGE_ERROR) */
    bool removed;         /* gr_plog_remove: files are gone */
    uint64_t dir_changes; /* segment files created; the directory needs a sync when ... */
    uint64_t dir_synced;  /* ... this lags behind */
    bool parent_unsynced; /* open created the directory: its parent needs one sync */
    gr_producer_state *producers;
    /* Used by the flusher thread only: which round last synced this log, with what result. */
    uint64_t flush_round;
    int flush_round_error;
};

static inline gr_segment *gr_log_active(gr_partition_log *l) { return l->segs[l->seg_count - 1]; }
static inline int64_t gr_log_end(gr_partition_log *l) { return gr_log_active(l)->next_offset; }

/* Index of the segment holding `offset`: the last one whose base offset is <= offset
 * (0 if offset is below every base). */
int gr_log_find_segment(gr_partition_log *l, int64_t offset);

/* Adds a segment at the end. false on OOM. */
bool gr_log_push_segment(gr_partition_log *l, gr_segment *s);
/* Removes the first n segments from the array and returns them in *out (caller frees). */
void gr_log_take_front(gr_partition_log *l, int n, gr_segment **out);

/* Recovery (log_recovery.c): fills in segments, log start and producer state for an existing
 * or new directory. Returns 0 or -1. */
int gr_log_recover(gr_partition_log *l);

/* Producer snapshots (log_retention.c). Encoding happens under the mutex; the file is written
 * without it. */
void gr_log_write_snapshot(const char *dir, int64_t offset, const gr_buf *bytes);
/* Loads the newest usable snapshot at or below end_offset into l->producers; returns its
 * offset, or -1 if none could be used. Removes snapshots beyond end_offset. */
int64_t gr_log_load_snapshot(gr_partition_log *l, int64_t end_offset);
/* Persists the log start offset (when DeleteRecords moves it inside a segment). */
void gr_log_save_start_offset(gr_partition_log *l);
int64_t gr_log_read_start_offset(const char *dir); /* -1 if none */

/* Frees segments that were removed from the log: closes them and, if unlink, deletes files. */
void gr_log_dispose_segments(gr_segment **segs, int n, bool unlink);
/* Deletes segments below the log start (never the active one); returns how many were taken
 * out into *out (caller disposes outside the mutex). Called with mu held. */
int gr_log_drop_segments_below_start(gr_partition_log *l, gr_segment **out);

void gr_log_release(gr_partition_log *l); /* drops a reference; the last one frees */
void gr_log_retain(gr_partition_log *l);

#endif
