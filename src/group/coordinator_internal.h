/*
 * coordinator_internal.h: what the coordinator's source files share: the
 * group registry, the offsets topic, timers, and the append/flush helpers.
 * Everything here is used with gr_group_coordinator.mu held unless noted.
 */
#ifndef GREGOR_GROUP_COORDINATOR_INTERNAL_H
#define GREGOR_GROUP_COORDINATOR_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "group/classic.h"
#include "group/consumer.h"
#include "group/coordinator.h"
#include "group/offsets.h"
#include "group/records.h"

typedef enum gr_group_type {
    GR_GROUP_CLASSIC,  /* JoinGroup/SyncGroup members, or only committed offsets */
    GR_GROUP_CONSUMER, /* KIP-848 (ConsumerGroupHeartbeat) */
} gr_group_type;

typedef struct gr_group {
    struct gr_group *next; /* hash chain */
    uint32_t hash;
    char *id;
    int32_t id_len;
    int32_t partition; /* of __consumer_offsets */
    gr_group_type type;
    gr_cg_group *classic;  /* type CLASSIC */
    gr_kg_group *consumer; /* type CONSUMER */
    gr_offsets offsets;
} gr_group;

struct gr_group_coordinator {
    pthread_mutex_t mu;
    gr_gc_config cfg;
    gr_gc_services svc;
    gr_cg_env classic_env;
    gr_kg_env consumer_env;
    gr_group **buckets;
    uint32_t bucket_count;
    uint32_t group_count;

    /* __consumer_offsets: set once created or found (under topic_mu, read under mu). */
    pthread_mutex_t topic_mu;
    gr_topic *offsets_topic;
    int32_t offsets_partitions;
    atomic_bool topic_ready; /* offsets_topic is set: lets requests skip topic_mu */

    atomic_bool loaded;
    atomic_bool stopping;
    pthread_t loader;
    bool loader_started;

    /* Timers, owned by loop 0 (svc.timer_loop). */
    int64_t armed_at_ms; /* deadline the pending timer fires at; GR_DEADLINE_NONE if none */
    uint64_t timer_id;
    int64_t wanted_ms; /* earliest deadline asked for since the timer was last armed */
    bool rearm_posted;
    uint64_t expiry_timer_id;
    atomic_int refs; /* functions posted to loop 0 keep the coordinator alive */

    /* Cluster mode (coord_cluster.c): which partitions of __consumer_offsets are served here. */
    pthread_mutex_t own_mu;
    pthread_cond_t own_cond;
    bool own_poked;
    int32_t own_cap;         /* size of the arrays below */
    int32_t *desired_epoch;  /* under own_mu: leader epoch to serve, -1 = not leading */
    int32_t *owned_epoch;    /* loader thread: epoch loaded, -1 = none */
    atomic_schar *own_state; /* GC_PART_* */
    int64_t *append_end;     /* under mu: offset after the last append per partition */
};

enum { GC_PART_NONE, GC_PART_LOADING, GC_PART_OWNED };

/* Registry. */
gr_group *gc_group_find(gr_group_coordinator *c, gr_str id);
/* Finds or creates a group of the given type (an existing group keeps its type). NULL on failure. */
gr_group *gc_group_get_or_create(gr_group_coordinator *c, gr_str id, gr_group_type type);
void gc_group_delete(gr_group_coordinator *c, gr_group *g);
/* Turns an empty group into the other type (keeping its offsets). false on allocation failure. */
bool gc_group_convert(gr_group_coordinator *c, gr_group *g, gr_group_type type);
/* Whether the group has neither members nor offsets (and can be forgotten). */
bool gc_group_is_empty(const gr_group *g);
const char *gc_group_state_name(const gr_group *g);

/* Appends a batch to the group's partition of __consumer_offsets. Returns a Kafka error code
   (as OffsetCommit reports it); *log gets the partition log for a later flush. */
int16_t gc_append(gr_group_coordinator *c, int32_t partition, gr_offsets_batch *ob, gr_partition_log **log);
/* Flushes the logs (duplicates allowed), then calls done(ud, error) on the flusher thread.
   Safe with the lock held (it only queues). count 0 calls done at once. */
void gc_flush(gr_group_coordinator *c, gr_partition_log **logs, int count, gr_flush_done_fn done, void *ud);
/* Persists a classic group's metadata (the gr_cg_env.store hook). */
int16_t gc_store_classic(void *ud, gr_cg_group *g);

/* Appends a KIP-848 group's changes (its epoch if it moved, changed and departed members). */
void gc_persist_consumer(gr_group_coordinator *c, gr_group *g, bool epoch_moved);

/* Deadlines (the env hooks of both group kinds). */
void gc_want_deadline(gr_group_coordinator *c, int64_t at_ms);

/* Takes the topic as __consumer_offsets (topic_mu held). */
void gc_adopt_topic(gr_group_coordinator *c, gr_topic *t);
/* Replays one partition of __consumer_offsets (takes the lock itself). */
void gc_load_partition(gr_group_coordinator *c, int32_t index, gr_partition_log *log);

/* Cluster mode (coord_cluster.c). */
bool gc_cluster_init(gr_group_coordinator *c);
void gc_cluster_free(gr_group_coordinator *c);
void gc_cluster_loader(gr_group_coordinator *c); /* the loader thread's body until stopping */
void gc_cluster_wake(gr_group_coordinator *c);
/* Waits for the in-sync replicas to have what was appended to the logs, then done(ud, error). */
void gc_cluster_wait(gr_group_coordinator *c, gr_partition_log **logs, int count, gr_flush_done_fn done,
                     void *ud);

/* Replays __consumer_offsets (loader thread; takes the lock itself). */
void gc_load(gr_group_coordinator *c);
/* Applies one record during the load. */
void gc_apply_record(gr_group_coordinator *c, int32_t partition, const gr_offsets_record *r);

/* Offset expiry pass (loop 0). */
void gc_expire_offsets(gr_group_coordinator *c, int64_t now_wall_ms);

#endif
