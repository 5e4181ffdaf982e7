/*
 * log_internal.h: the partition log's state, shared by the files that implement it:
 *
 *   partition_log.c   open/close, append, flush, small queries
 *   log_read.c        Fetch reads and ListOffsets lookups
 *   log_recovery.c    what open does to a directory that already has data
 *   log_retention.c   retention, DeleteRecords, producer snapshots on disk
 *   log_cleaner.c     compaction (cleanup.policy=compact)
 *   log_replica.c     replica append, truncation, the high watermark
 *   leader_epochs.c   the leader epoch cache and its checkpoint file
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
#include "store/leader_epochs.h"
#include "store/segment.h"

/* A small checkpoint file written outside the partition mutex: `gen` counts changes (under mu),
 * `written` the change on disk (under the log's ckpt_mu), so a slower writer never replaces a
 * newer file with an older one. */
typedef struct gr_log_ckpt {
    uint64_t gen;
    uint64_t written;
} gr_log_ckpt;

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
    gr_epoch_cache epochs; /* leader epochs, checkpointed to leader-epoch-checkpoint */
    gr_log_ckpt epochs_ckpt;
    /* Replicated mode: consumers see up to high_watermark, checkpointed to
     * high-watermark-checkpoint; off, the high watermark is the log end. */
    bool replicated;
    int64_t high_watermark;
    gr_log_ckpt hw_ckpt;
    pthread_mutex_t ckpt_mu; /* serialises checkpoint file writes; never taken before mu */
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

/* Cleaner (log_cleaner.c): before a log opens, completes swaps a crash interrupted (.log.swap)
 * and deletes unfinished copies (.log.cleaned). 0 or -1. */
int gr_log_finish_cleaner_swaps(const char *dir);
/* Recovers a closed segment just opened by the cleaner: state filled in, indexes rebuilt and
 * synced (log_recovery.c). 0 or -1. */
int gr_log_recover_closed(gr_partition_log *l, gr_segment *s);

/* Replays batch headers from `from` to the end into the producer table and the epoch cache
 * (log_recovery.c). 0 or -1. */
int gr_log_replay_from(gr_partition_log *l, int64_t from);
/* Recovers a segment reopened as the active one (its .log may be shorter than its indexes say):
 * indexes trimmed and rebuilt, sizes and timestamps recomputed. 0 or -1. */
int gr_log_recover_active(gr_partition_log *l, gr_segment *s);

/* Appending (partition_log.c): whether the next len bytes up to last_offset need a new segment,
 * and rolling to one (the producer state as of the roll goes into snapshot). */
bool gr_log_should_roll(const gr_partition_log *l, const gr_segment *a, size_t len, int64_t last_offset,
                        int64_t now_ms);
int gr_log_roll(gr_partition_log *l, gr_buf *snapshot);

/* fsync of a directory (and of its parent): new and deleted entries survive a crash. 0 or -1. */
int gr_log_sync_dir(const char *dir, bool parent_too);
/* A decimal offset kept alone in a small file of the partition directory (-1 if none). */
int64_t gr_log_read_offset_file(const char *dir, const char *name);

/* Writes bytes to path via path.tmp and a rename (no fsync). 0 or -1. */
int gr_log_write_file_atomically(const char *path, const void *bytes, size_t len);
/* Deletes every producer snapshot in dir. */
void gr_log_remove_snapshots(const char *dir);

/* Checkpoints (log_replica.c, leader_epochs.c). The *_prepare functions run under mu and say
 * whether there is something to write; the *_store ones write it without mu. */
typedef struct gr_log_ckpt_write {
    gr_buf text;
    uint64_t gen;
    bool pending;
} gr_log_ckpt_write;
void gr_log_epochs_prepare(gr_partition_log *l, gr_log_ckpt_write *w);
void gr_log_epochs_store(gr_partition_log *l, gr_log_ckpt_write *w); /* frees w->text */
void gr_log_hw_prepare(gr_partition_log *l, gr_log_ckpt_write *w);
void gr_log_hw_store(gr_partition_log *l, gr_log_ckpt_write *w); /* frees w->text */
/* Loads leader-epoch-checkpoint into l->epochs; false if missing or unreadable. */
bool gr_log_epochs_load(gr_partition_log *l);
/* Loads high-watermark-checkpoint (-1 if missing or unreadable). */
int64_t gr_log_hw_load(const char *dir);
/* The offset consumers may read up to: the high watermark in replicated mode, else the end. */
static inline int64_t gr_log_visible_end(gr_partition_log *l) {
    return l->replicated ? l->high_watermark : gr_log_end(l);
}

void gr_log_release(gr_partition_log *l); /* drops a reference; the last one frees */
void gr_log_retain(gr_partition_log *l);

#endif
