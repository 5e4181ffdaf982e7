/*
 * leader_epochs.h: which leader epoch wrote which part of a partition's log.
 *
 * Each entry says: epoch E's leader started writing at offset S. Entries are sorted by epoch and
 * by start offset, both strictly increasing. Followers ask the leader where their epoch ends
 * (OffsetForLeaderEpoch) to find the first offset at which their log diverges.
 *
 * On disk it is Kafka's leader-epoch-checkpoint text: a version line "0", a count line, then one
 * "EPOCH START_OFFSET" line per entry.
 */
#ifndef GREGOR_STORE_LEADER_EPOCHS_H
#define GREGOR_STORE_LEADER_EPOCHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define GR_EPOCH_CHECKPOINT_FILE "leader-epoch-checkpoint"
#define GR_EPOCH_CHECKPOINT_MAX_ENTRIES 1000000 /* a file claiming more is damaged */

typedef struct gr_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
} gr_epoch_entry;

typedef struct gr_epoch_cache {
    gr_epoch_entry *v;
    int count;
    int cap;
} gr_epoch_cache;

void gr_epoch_cache_init(gr_epoch_cache *c);
void gr_epoch_cache_free(gr_epoch_cache *c);
void gr_epoch_cache_clear(gr_epoch_cache *c);
int32_t gr_epoch_cache_latest(const gr_epoch_cache *c); /* -1 if empty */

/* Records that `epoch` starts at start_offset, if epoch is newer than the latest; entries starting
 * at or after start_offset are dropped first, so offsets stay increasing. true if it changed. */
bool gr_epoch_cache_assign(gr_epoch_cache *c, int32_t epoch, int64_t start_offset);
/* Drops the entries starting at or after offset (the log was truncated there). */
bool gr_epoch_cache_truncate_end(gr_epoch_cache *c, int64_t offset);
/* The log now starts at offset: entries wholly below it go, the one covering it starts there. */
bool gr_epoch_cache_truncate_start(gr_epoch_cache *c, int64_t offset);

/* Kafka's OffsetForLeaderEpoch answer for `epoch` on a log ending at log_end (see
 * gr_plog_epoch_end_offset). */
void gr_epoch_cache_end_offset(const gr_epoch_cache *c, int32_t epoch, int64_t log_end, int32_t *out_epoch,
                               int64_t *out_end_offset);

/* Checkpoint text. decode: 0, or -1 with the cache untouched if the text is not a valid file. */
void gr_epoch_cache_encode(const gr_epoch_cache *c, gr_buf *out);
int gr_epoch_cache_decode(gr_epoch_cache *c, const uint8_t *p, size_t len);

#endif
