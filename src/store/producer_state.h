/*
 * producer_state.h: what a partition remembers about idempotent producers.
 *
 * For each producer id: its epoch and its last GR_PRODUCER_BATCHES_KEPT
 * batches (sequence range, offsets, timestamp). That is enough to answer a
 * retried batch with its original offsets and to refuse gaps and stale
 * epochs, by Kafka's rules (docs/storage.md):
 *
 *   epoch <  current                     -> INVALID_PRODUCER_EPOCH
 *   epoch == current, same seq range as
 *            one of the kept batches     -> duplicate: original offsets, nothing written
 *   epoch == current, first seq != last+1 -> OUT_OF_ORDER_SEQUENCE_NUMBER
 *   epoch >  current, first seq != 0     -> OUT_OF_ORDER_SEQUENCE_NUMBER
 *   unknown producer id                  -> any sequence (state may have aged out, KIP-360)
 *
 * The table is rebuilt on open from a snapshot file plus the batch headers
 * after it. Snapshots use Kafka's producer-snapshot format (version 1),
 * one entry per kept batch, oldest first; Kafka itself keeps the last
 * entry per producer when it reads such a file.
 *
 * Transactions will add the ongoing transaction's first offset (for the
 * last stable offset) and the coordinator epoch; the fields exist already.
 */
#ifndef GREGOR_STORE_PRODUCER_STATE_H
#define GREGOR_STORE_PRODUCER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/limits.h"

typedef struct gr_producer_batch {
    int32_t first_seq;
    int32_t last_seq;
    int64_t first_offset;
    int64_t last_offset;
    int64_t timestamp; /* the batch's max timestamp */
} gr_producer_batch;

typedef struct gr_producer_entry {
    int64_t producer_id; /* -1 = free slot */
    int16_t epoch;
    int32_t coordinator_epoch;        /* transactions: -1 until markers exist */
    int64_t current_txn_first_offset; /* transactions: -1 = none ongoing */
    int32_t batch_count;              /* kept batches, oldest first */
    gr_producer_batch batches[GR_PRODUCER_BATCHES_KEPT];
} gr_producer_entry;

typedef enum gr_producer_check {
    GR_PRODUCER_OK,
    GR_PRODUCER_DUPLICATE,
    GR_PRODUCER_STALE_EPOCH,
    GR_PRODUCER_OUT_OF_ORDER,
} gr_producer_check;

typedef struct gr_producer_state gr_producer_state;

gr_producer_state *gr_producer_state_new(void);
void gr_producer_state_free(gr_producer_state *ps);
size_t gr_producer_state_count(const gr_producer_state *ps);

/* NULL if the producer is unknown. The pointer is valid until the next change to the table. */
const gr_producer_entry *gr_producer_state_find(const gr_producer_state *ps, int64_t producer_id);

void gr_producer_entry_init(gr_producer_entry *e, int64_t producer_id, int16_t epoch);

/* Checks an incoming batch against `e` (NULL = unknown producer). On DUPLICATE, *dup points at the
 * kept batch with the same sequence range. */
gr_producer_check gr_producer_entry_check(const gr_producer_entry *e, int16_t epoch, int32_t first_seq,
                                          int32_t last_seq, const gr_producer_batch **dup);
/* Records a batch in an entry: a new epoch forgets the old batches; only the newest
 * GR_PRODUCER_BATCHES_KEPT are kept. */
void gr_producer_entry_add(gr_producer_entry *e, int16_t epoch, const gr_producer_batch *b);

/* Inserts or replaces the entry for e->producer_id. false on OOM. */
bool gr_producer_state_put(gr_producer_state *ps, const gr_producer_entry *e);
/* Replays a batch read back from the log (no checks). false on OOM. */
bool gr_producer_state_replay(gr_producer_state *ps, int64_t producer_id, int16_t epoch,
                              const gr_producer_batch *b);

/* Forgets producers whose last batch ends below log_start_offset (retention, DeleteRecords). */
void gr_producer_state_drop_before(gr_producer_state *ps, int64_t log_start_offset);
/* Forgets producers whose newest batch timestamp is older than now_ms - expiration_ms. */
void gr_producer_state_expire(gr_producer_state *ps, int64_t now_ms, int64_t expiration_ms);

/* Kafka producer-snapshot bytes (version 1, CRC-32C). */
void gr_producer_state_encode(const gr_producer_state *ps, gr_buf *out);
/* Replaces the table with a snapshot's contents; -1 (table untouched) if the bytes are damaged. */
int gr_producer_state_decode(gr_producer_state *ps, const uint8_t *p, size_t len);

#endif
