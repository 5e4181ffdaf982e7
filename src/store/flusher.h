/*
 * flusher.h: group commit for acks=all.
 *
 * Produce with acks=all is answered once its batches are on disk. Rather
 * than one fdatasync per request, one thread collects requests: while a
 * flush runs, new requests queue up; the next round takes them all,
 * syncs each distinct partition once and then calls every callback. One
 * fdatasync thus serves every append that arrived in the meantime. The
 * distinct partitions of a round are synced concurrently (up to
 * GR_FLUSH_SYNCS_CONCURRENT_MAX at once); the callbacks run when all of
 * them are done.
 *
 *   loop threads:  request(p1) request(p2) request(p1) ...
 *   flusher:       [sync p1 | sync p2] -> done(ud...) x3 -> [next round]
 */
#ifndef GREGOR_STORE_FLUSHER_H
#define GREGOR_STORE_FLUSHER_H

#include <stdint.h>

#include "base/metric_histogram.h"
#include "store/partition_log.h"

typedef struct gr_flusher gr_flusher;

/* Called on the flusher thread once every partition of the request's round is synced; error is 0
 * or KAFKA_STORAGE_ERROR (that request's partition failed; other partitions are unaffected). */
typedef void (*gr_flush_done_fn)(void *ud, int error);

gr_flusher *gr_flusher_start(void); /* NULL if the thread cannot be started */
/* Finishes every pending request (callbacks run), then stops the thread and frees f. */
void gr_flusher_stop(gr_flusher *f);
/* Thread-safe. The log stays usable (even if closed meanwhile) until the callback has run. */
void gr_flusher_request(gr_flusher *f, gr_partition_log *l, gr_flush_done_fn done, void *ud);

/* How well requests are grouped: requests / log_syncs is the number of appends one sync served. */
typedef struct gr_flusher_stats {
    uint64_t rounds;       /* times the queue was taken */
    uint64_t log_syncs;    /* gr_plog_flush calls: one sync of a partition's unsynced files each */
    uint64_t requests;     /* requests answered (one per partition of an acks=all Produce) */
    uint64_t sync_threads; /* threads started to sync a round's partitions concurrently (0 until
                              a round has two or more partitions; then at most
                              GR_FLUSH_SYNCS_CONCURRENT_MAX - 1, as the flusher thread syncs too) */
} gr_flusher_stats;

/* Thread-safe; counts are complete for every request whose callback has started. */
void gr_flusher_get_stats(gr_flusher *f, gr_flusher_stats *out);

/* How long each partition sync took (all flushers of the process; read by /metrics). */
extern gr_mhist gr_flusher_sync_latency;

#endif
