/*
 * coordinator.h: the group coordinator of this broker: every consumer group,
 * their members, and their committed offsets.
 *
 * Threading. Requests arrive on any event loop. All group state sits behind
 * one mutex, held only for in-memory work and buffered appends to
 * __consumer_offsets, never across a flush or another wait. Requests that
 * must wait (JoinGroup until the rebalance completes, SyncGroup until the
 * leader assigns) are parked as gr_cg_waiter objects supplied by the caller,
 * which hands the reply back to its own loop (gr_loop_post). OffsetCommit is
 * answered after its records are on disk: the coordinator appends, then asks
 * the flusher, whose callback the caller turns into the reply.
 *
 * Time. Deadlines (join and sync phases, sessions, the initial rebalance
 * delay) live in the groups as monotonic times. One timer on loop 0 is armed
 * for the earliest of them; when it fires the coordinator runs every group
 * whose deadline passed and re-arms. A deadline that moves earlier posts a
 * re-arm to loop 0. A second, slow timer expires old offsets.
 *
 * Start-up. __consumer_offsets is replayed by a loader thread; until it is
 * done, group requests get COORDINATOR_LOAD_IN_PROGRESS (clients retry).
 *
 * Cluster mode (svc.clustered). The coordinator serves only the groups of the
 * __consumer_offsets partitions this broker leads: gr_gc_leadership tells it
 * when leadership of one arrives or leaves; the loader thread then replays
 * that partition (its groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile) or
 * forgets its groups. Other groups get NOT_COORDINATOR. Offset commits are
 * answered once the in-sync replicas have the records (coord_cluster.c).
 */
#ifndef GREGOR_GROUP_COORDINATOR_H
#define GREGOR_GROUP_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "cluster/topics.h"
#include "group/classic.h"
#include "net/server.h"
#include "proto/gen/consumer_group_describe.h"
#include "proto/gen/consumer_group_heartbeat.h"
#include "proto/gen/describe_groups.h"
#include "proto/gen/join_group.h"
#include "proto/gen/list_groups.h"
#include "proto/gen/offset_commit.h"
#include "proto/gen/offset_delete.h"
#include "proto/gen/sync_group.h"
#include "store/flusher.h"

#define GR_OFFSETS_TOPIC "__consumer_offsets"

typedef struct gr_group_coordinator gr_group_coordinator;

typedef struct gr_gc_config {
    int32_t offsets_topic_num_partitions;
    int64_t offsets_retention_ms;
    int64_t offsets_retention_check_interval_ms;
    int32_t group_min_session_timeout_ms;
    int32_t group_max_session_timeout_ms;
    int32_t group_initial_rebalance_delay_ms;
    int32_t group_max_size;
    int32_t consumer_session_timeout_ms;    /* KIP-848 groups */
    int32_t consumer_heartbeat_interval_ms; /* KIP-848 groups */
} gr_gc_config;

typedef struct gr_gc_services {
    gr_topics *topics;
    gr_flusher *flusher;
    gr_loop *timer_loop;            /* loop 0: runs the coordinator's timers */
    void (*data_arrived)(void *ud); /* records were appended (wakes waiting fetches) */
    void *data_arrived_ud;
    bool clustered;              /* cluster mode: follow the leaders of __consumer_offsets */
    int32_t min_insync_replicas; /* cluster mode: what a commit waits for */
    int64_t commit_timeout_ms;   /* cluster mode: offsets.commit.timeout.ms */
} gr_gc_services;

/* Starts the coordinator (and its loader thread). NULL on failure. */
gr_group_coordinator *gr_gc_new(const gr_gc_config *cfg, const gr_gc_services *svc);
/* After the event loops stopped, before the server is freed: cancels parked requests, frees. */
void gr_gc_free(gr_group_coordinator *c);

/* Whether group requests can be served now: NONE, or COORDINATOR_LOAD_IN_PROGRESS. */
int16_t gr_gc_ready(gr_group_coordinator *c);
/* Whether requests for this group can be served here: NONE, COORDINATOR_LOAD_IN_PROGRESS, or
   (cluster mode) NOT_COORDINATOR when this broker does not lead the group's partition. */
int16_t gr_gc_group_ready(gr_group_coordinator *c, gr_str group_id);
/* Cluster mode, any thread: this broker now leads (or no longer leads) a partition of
   __consumer_offsets. Loading or unloading its groups happens on the loader thread. */
void gr_gc_leadership(gr_group_coordinator *c, int32_t partition, bool leader, int32_t leader_epoch);
/* Makes sure __consumer_offsets exists (creating it on first use). NONE or COORDINATOR_NOT_AVAILABLE. */
int16_t gr_gc_ensure_offsets_topic(gr_group_coordinator *c);

/* ---- classic protocol (the waiter is completed exactly once, maybe before these return) ---- */

typedef struct gr_gc_client {
    gr_str client_id;
    gr_str client_host;
} gr_gc_client;

void gr_gc_join_group(gr_group_coordinator *c, const gr_join_group_request *in, int16_t version,
                      const gr_gc_client *client, gr_cg_waiter *w);
void gr_gc_sync_group(gr_group_coordinator *c, const gr_sync_group_request *in, int16_t version,
                      gr_cg_waiter *w);
int16_t gr_gc_heartbeat(gr_group_coordinator *c, gr_str group_id, gr_str member_id, gr_str instance_id,
                        int32_t generation);
/* LeaveGroup: errors[i] for members[i]; returns the top-level error. */
typedef struct gr_gc_leaving {
    gr_str member_id;
    gr_str instance_id;
} gr_gc_leaving;
int16_t gr_gc_leave_group(gr_group_coordinator *c, gr_str group_id, const gr_gc_leaving *members,
                          int32_t count, int16_t *errors);

/* ---- offsets ---------------------------------------------------------------------------------- */

/* Fills the response's error codes (the caller built its topics/partitions to mirror the request;
   partitions it already gave an error, such as an unknown topic, are left out). Returns true if the reply
   must wait for done(ud, error) (called on the flusher thread once the records are on disk; error != 0 means
   they may not be). */
bool gr_gc_commit_offsets(gr_group_coordinator *c, const gr_offset_commit_request *in, int16_t version,
                          gr_offset_commit_response *out, gr_flush_done_fn done, void *ud);

typedef struct gr_gc_offset_query {
    gr_str topic;
    const int32_t *partitions;
    int32_t partition_count;
} gr_gc_offset_query;

typedef struct gr_gc_fetched {
    gr_str topic; /* points into the query or the arena */
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    gr_str metadata;
    int16_t error;
} gr_gc_fetched;

/* OffsetFetch for one group. topic_count -1 = every committed offset. Results are in query order
   (or sorted by topic and partition), copied into the arena. Returns the group-level error. */
int16_t gr_gc_fetch_offsets(gr_group_coordinator *c, gr_str group_id, gr_str member_id, int32_t member_epoch,
                            const gr_gc_offset_query *topics, int32_t topic_count, gr_arena *a,
                            gr_gc_fetched **out, int32_t *count);

/* A topic was deleted: its committed offsets go too (tombstones), as in Kafka. */
void gr_gc_topic_deleted(gr_group_coordinator *c, gr_str topic);

/* ---- administration ------------------------------------------------------------------------- */

/* Fills out->groups (arena). Returns the top-level error. */
int16_t gr_gc_list_groups(gr_group_coordinator *c, const gr_list_groups_request *in, int16_t version,
                          gr_arena *a, gr_list_groups_response *out);
void gr_gc_describe_groups(gr_group_coordinator *c, const gr_describe_groups_request *in, gr_arena *a,
                           gr_describe_groups_response *out);
/* errors[i] for ids[i]. Returns true if done(ud) must be awaited (tombstones being flushed). */
bool gr_gc_delete_groups(gr_group_coordinator *c, const gr_str *ids, int32_t count, int16_t *errors,
                         gr_flush_done_fn done, void *ud);
/* Fills out (top-level error, or per-partition errors mirroring the request). Same flush rule. */
bool gr_gc_delete_offsets(gr_group_coordinator *c, const gr_offset_delete_request *in, gr_arena *a,
                          gr_offset_delete_response *out, gr_flush_done_fn done, void *ud);

/* ---- KIP-848 consumer groups ---------------------------------------------------------------- */

void gr_gc_consumer_heartbeat(gr_group_coordinator *c, const gr_consumer_group_heartbeat_request *in,
                              int16_t version, const gr_gc_client *client, gr_arena *a,
                              gr_consumer_group_heartbeat_response *out);
void gr_gc_consumer_describe(gr_group_coordinator *c, const gr_consumer_group_describe_request *in,
                             gr_arena *a, gr_consumer_group_describe_response *out);

#endif
