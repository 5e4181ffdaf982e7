/*
 * cluster_internal.h: the state the files of the ZooKeeper back end share (cluster.c runs the
 * thread; cluster_read.c reads ZooKeeper into a snapshot; cluster_apply.c makes local replicas
 * follow it; controller.c is the controller's work; cluster_admin.c the change operations;
 * cluster_assign.c Kafka's replica assignment; cluster_shutdown.c controlled shutdown).
 *
 * Everything here belongs to the cluster thread unless marked otherwise.
 */
#ifndef GREGOR_CLUSTER_CLUSTER_INTERNAL_H
#define GREGOR_CLUSTER_CLUSTER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/buf.h"
#include "broker/broker.h"
#include "cluster/cluster.h"
#include "cluster/zk_layout.h"
#include "cluster/zk_session.h"

#define GR_CLUSTER_RESYNC_MS 3000 /* full re-read even without a watch, as a safety net */
#define GR_CLUSTER_TICK_MS 200    /* replica ticks, pending operations */
#define GR_CLUSTER_REAP_MS 10000  /* a dropped replica is freed this long after it stopped */
#define GR_CLUSTER_RECONNECT_MS 1000

/* What one full read of ZooKeeper found, beyond the published view. */
typedef struct gr_cluster_snapshot {
    gr_cluster_view *view;       /* retained */
    bool topics_complete;        /* every topic was read: absence means deleted */
    gr_properties *configs;      /* by view topic index */
    int32_t *topic_versions;     /* /brokers/topics/T znode versions (CAS of reassignments) */
    int reassign_count;          /* /admin/reassign_partitions (legacy API of the tools) */
    gr_zkl_partition_ref *reassign;
    bool has_preferred;          /* /admin/preferred_replica_election */
    int preferred_count;
    gr_zkl_partition_ref *preferred;
} gr_cluster_snapshot;

/* One partition this broker holds a replica of. */
typedef struct gr_hosted {
    char topic[256];
    int32_t partition;
    gr_topic *t; /* retained */
    gr_partition *p;
    gr_partition_replica *r;
    gr_partition_state applied; /* the last state given to the replica */
    bool fenced;                /* applied with leader -1 after a lost session */
    bool was_leader;
    int64_t drop_at_ms; /* dropped: freed at this time (0: live) */
} gr_hosted;

typedef struct gr_cluster_work gr_cluster_work;
struct gr_cluster_work {
    gr_cluster_work *next;
    void (*run)(gr_cluster *c, gr_cluster_work *w); /* frees w */
};

/* An operation waiting for the cluster to reach a state (a topic's leaders, its deletion). */
typedef struct gr_cluster_wait gr_cluster_wait;
struct gr_cluster_wait {
    gr_cluster_wait *next;
    int64_t deadline_ms;
    /* true: finished (done called, w freed by the callee) */
    bool (*check)(gr_cluster *c, gr_cluster_wait *w, bool timed_out);
    gr_cluster_done_fn done;
    void *ud;
    char topic[256];
};

typedef struct gr_leadership_watch {
    char topic[256];
    gr_leadership_fn fn;
    void *ud;
} gr_leadership_watch;

struct gr_cluster {
    gr_broker *b;
    const gr_broker_config *cfg;
    int32_t id;
    gr_cluster_broker self;
    gr_zk_session *zk;
    pthread_t thread;
    bool thread_started;

    /* Queue and wake-ups: any thread, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, dirty, expired, session_lost;
    gr_cluster_work *work_head, *work_tail;

    /* The published view: any thread, under view_lock. */
    pthread_mutex_t view_lock;
    gr_cluster_view *view;

    pthread_mutex_t watch_lock;
    gr_leadership_watch *watches;
    int watch_count;

    /* Cluster thread. */
    gr_cluster_snapshot snap;
    bool snap_valid;
    bool controller;          /* this broker holds /controller */
    int32_t controller_epoch; /* ours, when controller */
    int32_t controller_epoch_version;
    gr_hosted *hosted;
    int hosted_count, hosted_cap;
    char **seen_topics; /* topics read from ZooKeeper once: their local copies follow deletions */
    int seen_count, seen_cap;
    gr_cluster_wait *waits;
    gr_replica_fetchers *fetchers;
    int64_t next_resync_ms, next_tick_ms, next_rebalance_ms;
    atomic_bool shutting_down; /* controlled shutdown: no leadership comes to this broker */
    gr_buf scratch;
};

/* cluster.c */
void gr_cluster_post(gr_cluster *c, gr_cluster_work *w);
void gr_cluster_mark_dirty(gr_cluster *c);
void gr_cluster_add_wait(gr_cluster *c, gr_cluster_wait *w);
bool gr_cluster_broker_live(const gr_cluster_view *v, int32_t id);

/* cluster_read.c: a full read (re-arming watches). False when ZooKeeper could not be read. */
bool gr_cluster_read(gr_cluster *c, gr_cluster_snapshot *out);
void gr_cluster_snapshot_free(gr_cluster_snapshot *s);
gr_cluster_view *gr_cluster_view_new_empty(const char *cluster_id);
/* Index of a topic in a view, -1 if absent. */
int gr_cluster_view_topic_index(const gr_cluster_view *v, const char *name);
/* Registration and controller election (re-run after a new session). */
bool gr_cluster_register(gr_cluster *c, bool first, char *err, size_t err_size);
void gr_cluster_try_elect(gr_cluster *c);

/* cluster_apply.c */
void gr_cluster_apply(gr_cluster *c);
void gr_cluster_fence(gr_cluster *c);
void gr_cluster_tick_replicas(gr_cluster *c, int64_t now_ms);
void gr_cluster_free_hosted(gr_cluster *c);
void gr_cluster_isr_change(void *ud, const char *topic, int32_t partition, const gr_partition_state *proposed);
gr_hosted *gr_cluster_find_hosted(gr_cluster *c, const char *topic, int32_t partition);

/* controller.c */
void gr_controller_run(gr_cluster *c);
/* Writes a partition state by compare-and-set on s->zk_version; ZOK or the ZooKeeper code. */
int gr_controller_write_state(gr_cluster *c, const char *topic, int32_t partition, gr_partition_state *s);
/* The topic's unclean.leader.election.enable (its override, else the broker's). */
bool gr_controller_unclean_allowed(gr_cluster *c, int topic_index);
/* Moves a partition's leadership to `target` if it is live and in the ISR; a Kafka error code. */
int16_t gr_controller_elect(gr_cluster *c, const char *topic, int32_t partition, int8_t type);

/* cluster_assign.c: Kafka's rack-aware replica assignment (AdminUtils.assignReplicasToBrokers).
 * brokers in id order (the view's order). */
#define GR_CLUSTER_ASSIGN_BROKERS_MAX 4096
/* out: partitions x rf broker ids. Returns 0 or INVALID_REPLICATION_FACTOR with *why. start_index
 * and start_shift -1: random, as Kafka. */
int16_t gr_cluster_assign(const gr_cluster_broker *brokers, int broker_count, int32_t partitions, int16_t rf,
                          int32_t start_index, int32_t first_partition, int32_t *out, char *why, size_t why_cap);

/* cluster_shutdown.c */
/* cluster_admin.c: /brokers/topics/T by compare-and-set on `version` (-1: create). */
int gr_cluster_write_topic(gr_cluster *c, const gr_cluster_topic *t, int32_t version);
/* controller.c: a live broker that may lead (not this one during its controlled shutdown). */
bool gr_controller_eligible(gr_cluster *c, int32_t id);
/* controller_reassign.c: moves partitions whose new replicas have caught up to their target. */
void gr_controller_finish_reassignments(gr_cluster *c);

/* producer_id_blocks.c: a gr_producer_id_block_fn (cluster/identity.h); any thread. */
int gr_cluster_take_producer_id_block(void *ud, int64_t *first, int64_t *end);

void gr_cluster_shutdown_run(gr_cluster *c, int64_t deadline_ms);

#endif
