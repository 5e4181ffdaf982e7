/*
 * replica_fetcher_internal.h: what the fetcher threads (replica_fetcher.c) and the code that
 * applies a leader's answer to the local log (replica_fetch_apply.c) share.
 */
#ifndef GREGOR_CLUSTER_REPLICA_FETCHER_INTERNAL_H
#define GREGOR_CLUSTER_REPLICA_FETCHER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/replica_fetcher.h"
#include "proto/gen/fetch.h"

/* One followed partition. Owned by its fetcher thread's table, guarded by that thread's mutex. */
typedef struct gr_followed_partition {
    char *topic;
    uint8_t topic_id[16];
    int32_t partition;
    gr_partition_log *log;
    int32_t leader_epoch;
    uint64_t follow_seq;      /* changes when leader, epoch or log change: answers in flight are stale */
    int64_t retry_at_ms;      /* not fetched before this (monotonic clock) */
    int32_t retry_backoff_ms; /* the last leadership-error backoff, doubled on the next one */
    bool awaiting_follow;     /* the leader denied leadership: retried slowly until a new follow() */
    int16_t logged_error;     /* last error logged, so that a persisting one is logged once */
    /* The request in flight: whether it includes this partition, for which follow, and from where. */
    bool in_request;
    uint64_t sent_seq;
    int64_t sent_fetch_offset;
} gr_followed_partition;

/* Applies one partition of a Fetch response to p's log: append, truncation, high watermark,
 * error backoff. `records` is the partition's record bytes (pd->records.len of them, writable),
 * or NULL. Called with the fetcher thread's mutex held. */
void gr_replica_fetch_apply(const gr_fetcher_config *cfg, gr_followed_partition *p,
                            const gr_fetch_response_partition_data *pd, uint8_t *records, int64_t now_ms);

#endif
