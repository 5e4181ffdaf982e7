/*
 * classic.h: one consumer group of the classic protocol (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup) and its state machine, as Kafka runs it:
 *
 *   Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
 *     ^                 ^    |                                                  |
 *     |  everyone left  |    +--- members changed, left, failed <---------------+ leader's SyncGroup
 *     +-----------------+                                                       v
 *                       +<------------ join of leader / changed member ------ Stable
 *
 * The broker stays protocol-agnostic: it selects the protocol every member
 * supports, hands the leader everyone's metadata, and relays the leader's
 * assignment to each member.
 *
 * Pure logic: no locks, no I/O, time comes in as an argument. The caller
 * (coordinator.c) holds its lock around every call, persists the group when
 * asked through gr_cg_env.store, and runs gr_cg_on_time when a deadline
 * passes. Parked JoinGroup/SyncGroup requests are gr_cg_waiter objects the
 * caller provides; each is completed exactly once (or cancelled at shutdown).
 */
#ifndef GREGOR_GROUP_CLASSIC_H
#define GREGOR_GROUP_CLASSIC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/reader.h"

#define GR_DEADLINE_NONE INT64_MAX

typedef enum gr_cg_state {
    GR_CG_EMPTY,
    GR_CG_PREPARING_REBALANCE,
    GR_CG_COMPLETING_REBALANCE,
    GR_CG_STABLE,
    GR_CG_DEAD,
} gr_cg_state;

const char *gr_cg_state_name(gr_cg_state s); /* "Empty", "PreparingRebalance", ... as Kafka prints them */

typedef struct gr_cg_group gr_cg_group;
typedef struct gr_cg_member gr_cg_member;

/* What a parked JoinGroup gets back. Strings point into the group or the request: copy them. */
typedef struct gr_cg_join_result {
    int16_t error;
    gr_str member_id;
    int32_t generation;
    gr_str protocol_type; /* len -1 = null */
    gr_str protocol_name; /* len -1 = null */
    gr_str leader;
    bool skip_assignment;
    const gr_cg_group *members_of; /* non-NULL: list this group's members with their metadata (the leader) */
} gr_cg_join_result;

typedef struct gr_cg_sync_result {
    int16_t error;
    gr_str protocol_type;
    gr_str protocol_name;
    gr_bytes assignment;
} gr_cg_sync_result;

/* A parked request. The callbacks run with the caller's lock held, possibly on another thread than
   the request's; they must copy what they need and hand the reply to the request's own thread. */
typedef struct gr_cg_waiter gr_cg_waiter;
struct gr_cg_waiter {
    void (*join_done)(gr_cg_waiter *w, const gr_cg_join_result *r);
    void (*sync_done)(gr_cg_waiter *w, const gr_cg_sync_result *r);
    void (*cancel)(gr_cg_waiter *w); /* shutdown: drop the request without a reply */
};

/* Services the group needs from its owner. */
typedef struct gr_cg_env {
    void *ud;
    /* Persist the group (members and assignments, or an empty group). Returns a Kafka error code
       already mapped for the client (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, ...). */
    int16_t (*store)(void *ud, gr_cg_group *g);
    /* One of g's deadlines is now at_ms (earlier than before, perhaps): arrange for gr_cg_on_time. */
    void (*deadline)(void *ud, gr_cg_group *g, int64_t at_ms);
    int32_t initial_rebalance_delay_ms;
    int32_t max_size; /* group.max.size */
} gr_cg_env;

typedef struct gr_cg_protocol {
    char *name;
    uint8_t *metadata;
    int32_t metadata_len;
} gr_cg_protocol;

struct gr_cg_member {
    char *member_id;
    char *instance_id; /* NULL for dynamic members */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    gr_cg_protocol *protocols;
    int32_t protocol_count;
    uint8_t *assignment;
    int32_t assignment_len;
    gr_cg_waiter *join_waiter;
    gr_cg_waiter *sync_waiter;
    bool is_new;       /* added by a join not yet completed: expires after the new-member timeout */
    bool pending_sync; /* joined this generation, SyncGroup not seen yet */
    int64_t heartbeat_deadline_ms;
};

typedef struct gr_cg_pending {
    char *member_id;
    int64_t deadline_ms;
} gr_cg_pending;

struct gr_cg_group {
    const gr_cg_env *env;
    char *group_id;
    gr_cg_state state;
    gr_cg_state previous_state;
    int64_t state_timestamp_ms; /* wall clock of the last transition */
    int32_t generation;
    char *protocol_type; /* NULL until a member brought one */
    char *protocol_name; /* NULL unless a generation is running */
    gr_cg_member *leader;
    gr_cg_member **members;
    int32_t member_count, member_cap;
    int32_t awaiting_join_count;
    gr_cg_pending *pending;
    int32_t pending_count, pending_cap;
    /* Join phase: completes at join_deadline_ms at the latest. The first rebalance of an empty
       group waits the initial delay, extended while new members keep arriving. */
    int64_t join_deadline_ms;
    bool initial_join;
    bool new_member_added;
    int32_t initial_delay_ms;
    int32_t initial_remaining_ms;
    int64_t sync_deadline_ms; /* members that have not sent SyncGroup by then are removed */
    /* Topics the members subscribe to (consumer protocol), for OffsetDelete; NULL = unknown. */
    char **subscribed_topics;
    int32_t subscribed_topic_count;
    bool subscribed_known;
};

/* Join parameters, already validated for session timeout and group id by the caller. */
typedef struct gr_cg_join_params {
    gr_str member_id;
    gr_str instance_id; /* len -1 = null */
    gr_str client_id;
    gr_str client_host;
    gr_str protocol_type;
    gr_str reason;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    int32_t protocol_count;
    const gr_str *protocol_names;
    const gr_bytes *protocol_metadata;
    bool require_known_member_id;  /* JoinGroup v4+ */
    bool supports_skip_assignment; /* JoinGroup v9+ */
} gr_cg_join_params;

typedef struct gr_cg_assignment {
    gr_str member_id;
    gr_bytes assignment;
} gr_cg_assignment;

typedef struct gr_cg_sync_params {
    gr_str member_id;
    gr_str instance_id;
    gr_str protocol_type; /* v5+, len -1 = not given */
    gr_str protocol_name;
    int32_t generation;
    int32_t assignment_count;
    const gr_cg_assignment *assignments;
} gr_cg_sync_params;

/* Returns NULL on allocation failure. */
gr_cg_group *gr_cg_new(const gr_cg_env *env, gr_str group_id);
/* Cancels parked requests (shutdown) and frees. */
void gr_cg_free(gr_cg_group *g);

/* JoinGroup: the waiter is completed now or when the join phase ends. */
void gr_cg_join(gr_cg_group *g, const gr_cg_join_params *p, gr_cg_waiter *w, int64_t now_ms);
/* SyncGroup: completed now or when the leader's assignment arrives. */
void gr_cg_sync(gr_cg_group *g, const gr_cg_sync_params *p, gr_cg_waiter *w, int64_t now_ms);
/* Heartbeat: returns the error code for the response. */
int16_t gr_cg_heartbeat(gr_cg_group *g, gr_str member_id, gr_str instance_id, int32_t generation,
                        int64_t now_ms);
/* LeaveGroup: remove one member (by id, or by instance id when member_id is empty). Call
   gr_cg_leave_finish once after a batch in which at least one member left. */
int16_t gr_cg_leave(gr_cg_group *g, gr_str member_id, gr_str instance_id, int64_t now_ms);
void gr_cg_leave_finish(gr_cg_group *g, int64_t now_ms);
/* OffsetCommit (and TxnOffsetCommit) checks; keeps the member's session alive. */
int16_t gr_cg_validate_commit(gr_cg_group *g, gr_str member_id, gr_str instance_id, int32_t generation,
                              bool transactional, int64_t now_ms);

/* Earliest deadline of the group (GR_DEADLINE_NONE if none). */
int64_t gr_cg_next_deadline(const gr_cg_group *g);
/* Runs every deadline that has passed: join/sync phase ends, session expiries. */
void gr_cg_on_time(gr_cg_group *g, int64_t now_ms);

/* Marks the group Dead (it is being deleted): parked requests get COORDINATOR_NOT_AVAILABLE. */
void gr_cg_mark_dead(gr_cg_group *g);

/* Restores a group persisted earlier (GroupMetadataValue). Members come back with their
   assignments and a fresh session; the group is Stable if it has members, else Empty. */
typedef struct gr_cg_restored_member {
    gr_str member_id, instance_id, client_id, client_host;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    gr_bytes subscription, assignment;
} gr_cg_restored_member;
int gr_cg_restore(gr_cg_group *g, gr_str protocol_type, int32_t generation, gr_str protocol, gr_str leader,
                  int64_t state_timestamp_ms, const gr_cg_restored_member *members, int32_t count,
                  int64_t now_ms);

/* Lookups. */
gr_cg_member *gr_cg_find_member(const gr_cg_group *g, gr_str member_id);
const gr_cg_protocol *gr_cg_member_protocol(const gr_cg_member *m, const char *name); /* NULL if absent */
bool gr_cg_is_subscribed(const gr_cg_group *g, gr_str topic); /* conservative: true when unknown */
static inline bool gr_cg_is_empty(const gr_cg_group *g) { return g->member_count == 0; }

#endif
