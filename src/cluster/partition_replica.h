/*
 * partition_replica.h: one partition's replica on this broker in cluster mode, leader or follower.
 *
 * The cluster layer (ZooKeeper state, controller) decides who leads a partition and who is in
 * its ISR; it tells the replica with gr_partition_replica_apply whenever the partition's state
 * znode changes. The replica does the rest: a leader records the new leader epoch, tracks each
 * follower's fetch position, advances the high watermark to the smallest log end offset in the
 * ISR, shrinks the ISR when a follower stays behind for replica.lag.time.max.ms and expands it
 * when one catches up (proposing the change back to the cluster layer, which writes it to
 * ZooKeeper by compare-and-set), and releases acks=all produce requests when the high watermark
 * passes them. A follower copies the leader's log through the replica fetchers.
 *
 * In single-node mode no partition has a replica (gr_partition.replica is NULL) and nothing
 * here runs.
 */
#ifndef GREGOR_CLUSTER_PARTITION_REPLICA_H
#define GREGOR_CLUSTER_PARTITION_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/replica_fetcher.h"
#include "store/partition_log.h"

#define GR_REPLICAS_MAX 16 /* replicas of one partition */

/* A partition's state as ZooKeeper holds it (/brokers/topics/T/partitions/P/state) plus its
 * assignment (/brokers/topics/T). */
typedef struct gr_partition_state {
    int32_t leader; /* broker id; -1: no leader */
    int32_t leader_epoch;
    int32_t controller_epoch;
    int32_t zk_version; /* the state znode's version: the compare-and-set token */
    int replica_count;
    int32_t replicas[GR_REPLICAS_MAX];
    int isr_count;
    int32_t isr[GR_REPLICAS_MAX];
} gr_partition_state;

/* Where the leader can be reached (for a follower's fetcher). */
typedef struct gr_leader_endpoint {
    char host[256];
    int port;
} gr_leader_endpoint;

/* A leader asks for a new ISR. The callee records it (ZooKeeper compare-and-set on
 * proposed->zk_version) and, on success, calls gr_partition_replica_apply with the new state;
 * on a version conflict it re-reads the znode and applies what it finds. Called on any thread,
 * never with a replica lock held; must not block on ZooKeeper (queue the write). */
typedef void (*gr_isr_change_fn)(void *ud, const char *topic, int32_t partition,
                                 const gr_partition_state *proposed);

struct gr_partition; /* cluster/topics.h */

typedef struct gr_partition_replica_config {
    int32_t broker_id;
    const char *topic;
    uint8_t topic_id[16];
    int32_t partition;
    gr_partition_log *log; /* owned by the topic registry; outlives the replica */
    /* The registry's partition (optional): its leader_epoch follows the state, so the handlers'
       leader-epoch checks see the current epoch. Outlives the replica. */
    struct gr_partition *registry_partition;
    gr_replica_fetchers *fetchers; /* shared by all replicas of the broker */
    int64_t replica_lag_time_max_ms;
    gr_isr_change_fn isr_change;
    void *isr_change_ud;
    void (*data_arrived)(void *ud); /* wake consumers' fetches when the high watermark moves */
    void *data_arrived_ud;
} gr_partition_replica_config;

typedef struct gr_partition_replica gr_partition_replica;

gr_partition_replica *gr_partition_replica_new(const gr_partition_replica_config *cfg);
/* Stops following / leading (unfollows, fails waiting acks=all requests with
 * NOT_LEADER_OR_FOLLOWER) and frees. Handlers use gr_partition.replica for as long as they hold
 * a reference to the topic (an acks=all Produce across its wait), so free a replica only when
 * no topic reference can still reach it: when the partition itself goes (the topic's last
 * reference), not while the topic lives on. */
void gr_partition_replica_free(gr_partition_replica *r);

/* The partition's state changed (or is first known). `leader` is NULL when this broker leads or
 * there is no leader. Becoming leader: records the epoch at the log end offset and starts the
 * high watermark from the ISR's positions; becoming follower: truncates per the leader epoch
 * (through the fetcher) and follows. */
void gr_partition_replica_apply(gr_partition_replica *r, const gr_partition_state *s,
                                const gr_leader_endpoint *leader);

bool gr_partition_replica_is_leader(gr_partition_replica *r);
int32_t gr_partition_replica_leader(gr_partition_replica *r);       /* -1: none known */
int32_t gr_partition_replica_leader_epoch(gr_partition_replica *r); /* -1: none known */
/* Copies the current state. */
void gr_partition_replica_state(gr_partition_replica *r, gr_partition_state *out);

/* A follower's Fetch reached the leader: its fetch offset is its log end offset. Moves the high
 * watermark and the ISR as needed. Returns NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, ... or 0. */
int16_t gr_partition_replica_follower_fetched(gr_partition_replica *r, int32_t follower_id,
                                              int64_t fetch_offset, int64_t now_ms);

/* The leader appended to the log (any acks): with no follower in the ISR the high watermark
 * moves to the new log end at once. */
void gr_partition_replica_appended(gr_partition_replica *r);

/* Before an append with acks=all: NOT_ENOUGH_REPLICAS when the ISR is smaller than
 * min_insync_replicas (the topic's min.insync.replicas). */
int16_t gr_partition_replica_check_insync(gr_partition_replica *r, int32_t min_insync_replicas);

/* acks=all: calls done(ud, error) once the high watermark reaches end_offset (the offset after
 * the appended batch), with NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below
 * min_insync_replicas meanwhile, NOT_LEADER_OR_FOLLOWER if leadership moved, REQUEST_TIMED_OUT
 * at deadline_ms. Calls it at once if already there. `done` runs on any thread. */
void gr_partition_replica_wait(gr_partition_replica *r, int64_t end_offset, int32_t min_insync_replicas,
                               int64_t deadline_ms, void (*done)(void *ud, int16_t error), void *ud);

/* Periodic work (ISR shrink, timed-out waits, retried ISR proposals); the cluster layer calls it
 * every few hundred ms. Every now_ms / deadline_ms here is on the monotonic clock (gr_mono_ms). */
void gr_partition_replica_tick(gr_partition_replica *r, int64_t now_ms);

#endif
