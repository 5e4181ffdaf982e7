/*
 * consumer.h: one consumer group of the KIP-848 protocol (ConsumerGroupHeartbeat).
 *
 * Here the broker assigns. Each member heartbeats its subscription and the
 * partitions it owns; any change to members or subscribed topics bumps the
 * group epoch, after which the server-side assignor (uniform or range)
 * computes a target assignment. Every member then converges on its target:
 *
 *   - partitions it owns but may no longer keep are revoked first (the member
 *     stays at its epoch and is told only the partitions it keeps);
 *   - once it reports them gone it moves to the target epoch and gets the new
 *     partitions that no other member still holds; the rest follow when
 *     their previous owner lets go.
 *
 * So no partition is ever owned by two members at once. Members that stop
 * heartbeating for the session timeout, or do not revoke within their
 * rebalance timeout, are fenced and their partitions reassigned.
 *
 * Pure logic like classic.h: the coordinator holds its lock around calls.
 */
#ifndef GREGOR_GROUP_CONSUMER_H
#define GREGOR_GROUP_CONSUMER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/reader.h"
#include "proto/gen/consumer_group_current_member_assignment_value.h"
#include "proto/gen/consumer_group_describe.h"
#include "proto/gen/consumer_group_heartbeat.h"
#include "proto/gen/consumer_group_member_metadata_value.h"

typedef struct gr_kg_group gr_kg_group;

/* What the group needs to know about topics (from the topic registry). */
typedef struct gr_kg_topic_info {
    uint8_t id[16];
    char name[256];
    int32_t partitions;
} gr_kg_topic_info;

typedef struct gr_kg_env {
    void *ud;
    void (*deadline)(void *ud, int64_t at_ms);
    bool (*topic_by_name)(void *ud, gr_str name, gr_kg_topic_info *out);
    bool (*topic_by_id)(void *ud, const uint8_t id[16], gr_kg_topic_info *out);
    /* Calls fn for every topic (for regex subscriptions). */
    void (*each_topic)(void *ud, void (*fn)(void *arg, const gr_kg_topic_info *t), void *arg);
    int32_t session_timeout_ms;
    int32_t heartbeat_interval_ms;
    int32_t max_size;
} gr_kg_env;

gr_kg_group *gr_kg_new(const gr_kg_env *env, gr_str group_id);
void gr_kg_free(gr_kg_group *g);

int32_t gr_kg_member_count(const gr_kg_group *g);
int32_t gr_kg_epoch(const gr_kg_group *g);
void gr_kg_set_epoch(gr_kg_group *g, int32_t epoch); /* restored from __consumer_offsets */
const char *gr_kg_state_name(const gr_kg_group *g);  /* Empty, Assigning, Reconciling, Stable */

typedef struct gr_kg_client {
    gr_str client_id;
    gr_str client_host;
} gr_kg_client;

/* ConsumerGroupHeartbeat. Fills out (strings in the arena). Returns true if the group epoch moved
   (the coordinator persists it). */
bool gr_kg_heartbeat(gr_kg_group *g, const gr_consumer_group_heartbeat_request *in, int16_t version,
                     const gr_kg_client *client, int64_t now_ms, gr_arena *a,
                     gr_consumer_group_heartbeat_response *out);
void gr_kg_describe(gr_kg_group *g, gr_arena *a, gr_consumer_group_describe_response_described_group *out);

/* OffsetCommit / OffsetFetch checks for members of this group. */
int16_t gr_kg_validate_commit(const gr_kg_group *g, gr_str member_id, gr_str instance_id, int32_t epoch,
                              int16_t version);
int16_t gr_kg_validate_fetch(const gr_kg_group *g, gr_str member_id, int32_t epoch);
bool gr_kg_is_subscribed(const gr_kg_group *g, gr_str topic);

/* Persistence: members that changed since the last drain (subscription, epochs, partitions) and
   members that are gone. fn gets each with its records' values (built in the arena), or with
   removed = true for tombstones. */
typedef void (*gr_kg_persist_fn)(void *ud, gr_str member_id,
                                 const gr_consumer_group_member_metadata_value *meta,
                                 const gr_consumer_group_current_member_assignment_value *assignment,
                                 bool removed);
bool gr_kg_has_changes(const gr_kg_group *g);
void gr_kg_drain_changes(gr_kg_group *g, gr_arena *a, gr_kg_persist_fn fn, void *ud);

/* Restoring members from __consumer_offsets at start-up (records in log order). */
void gr_kg_restore_member(gr_kg_group *g, gr_str member_id, const gr_consumer_group_member_metadata_value *v,
                          int64_t now_ms);
void gr_kg_restore_assignment(gr_kg_group *g, gr_str member_id,
                              const gr_consumer_group_current_member_assignment_value *v, int64_t now_ms);
void gr_kg_restore_remove(gr_kg_group *g, gr_str member_id);

int64_t gr_kg_next_deadline(const gr_kg_group *g);
/* Fences members whose session or revocation deadline passed. Returns true if the epoch moved. */
bool gr_kg_on_time(gr_kg_group *g, int64_t now_ms);

#endif
