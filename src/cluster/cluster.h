/*
 * cluster.h: the broker's view of the cluster in cluster mode (zookeeper.connect set).
 *
 * The broker holds one gr_cluster when clustered and NULL otherwise; every handler that must
 * behave differently in a cluster checks b->cluster. The state lives in ZooKeeper in Kafka's
 * own layout (docs/replication.md); gr_cluster keeps a watched copy of it and publishes it as
 * immutable, counted views that any thread may read without locks. All ZooKeeper I/O happens
 * on the cluster's own thread: the operations below queue work there and report back through
 * a callback that runs on that thread (handlers post it on to their loop with gr_loop_post).
 */
#ifndef GREGOR_CLUSTER_CLUSTER_H
#define GREGOR_CLUSTER_CLUSTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/properties.h"
#include "cluster/partition_replica.h"

typedef struct gr_cluster gr_cluster;
typedef struct gr_broker gr_broker;

typedef struct gr_cluster_broker {
    int32_t id;
    char host[256]; /* the PLAINTEXT endpoint clients reach it on */
    int port;
    char rack[256]; /* "" when unset */
} gr_cluster_broker;

typedef struct gr_cluster_partition {
    int32_t index;
    gr_partition_state state; /* leader -1 and isr_count 0 until the controller elects */
    int adding_count;         /* an ongoing reassignment (KIP-455) */
    int32_t adding[GR_REPLICAS_MAX];
    int removing_count;
    int32_t removing[GR_REPLICAS_MAX];
} gr_cluster_partition;

typedef struct gr_cluster_topic {
    char name[256];
    uint8_t id[16];
    bool deleting; /* listed under /admin/delete_topics */
    int32_t partition_count;
    gr_cluster_partition *partitions; /* by index */
} gr_cluster_topic;

/* One consistent picture of the cluster; never changes once published. */
typedef struct gr_cluster_view {
    atomic_int refs;
    char cluster_id[64];
    int32_t controller_id; /* -1: none */
    int broker_count;
    gr_cluster_broker *brokers; /* registered (live) brokers, by id */
    int topic_count;
    gr_cluster_topic *topics; /* by name */
} gr_cluster_view;

/* Starts cluster mode: connects to ZooKeeper (zookeeper.connection.timeout.ms), creates Kafka's
 * persistent paths, reads or creates /cluster/id, registers this broker (refusing to start if the
 * id is taken), joins the controller election and starts applying partition states to local
 * replicas. Returns NULL after logging why. */
gr_cluster *gr_cluster_start(gr_broker *b);
/* Controlled shutdown (controlled.shutdown.enable): moves this broker's leaderships to other ISR
 * members and leaves the ISRs, waiting up to timeout_ms. Then gr_cluster_stop. */
void gr_cluster_shutdown_gracefully(gr_cluster *c, int64_t timeout_ms);
void gr_cluster_stop(gr_cluster *c);

/* The current view, retained; never NULL while the cluster runs. */
gr_cluster_view *gr_cluster_view_get(gr_cluster *c);
void gr_cluster_view_release(gr_cluster_view *v);
const gr_cluster_topic *gr_cluster_view_topic(const gr_cluster_view *v, const char *name, size_t name_len);
const gr_cluster_broker *gr_cluster_view_broker(const gr_cluster_view *v, int32_t id);

/* The listener clients reach broker `id` on; false if the broker is not registered. */
bool gr_cluster_broker_endpoint(gr_cluster *c, int32_t id, gr_leader_endpoint *out);

/* Tells fn whenever this broker starts or stops leading a partition of `topic` (the group
 * coordinator follows __consumer_offsets this way). fn runs on the cluster thread after the
 * replica has applied the change; register before gr_cluster_start returns its first view. */
typedef void (*gr_leadership_fn)(void *ud, const char *topic, int32_t partition, bool leader,
                                 int32_t leader_epoch);
void gr_cluster_watch_leadership(gr_cluster *c, const char *topic, gr_leadership_fn fn, void *ud);

/* ---- changes, done through ZooKeeper as Kafka's admin and controller do them ----
 * Each calls done(ud, error, message) exactly once on the cluster thread (or at once, on the
 * caller's thread, for a request refused before any I/O). error is a Kafka error code; message
 * is NULL or a static or caller-owned-until-return string. */
typedef void (*gr_cluster_done_fn)(void *ud, int16_t error, const char *message);

/* A new topic: replicas assigned rack-aware (or as `assignment` gives them: partitions x rf
 * broker ids, NULL for automatic), /brokers/topics/T and /config/topics/T written; done once
 * every partition has a leader (or timeout_ms passed: REQUEST_TIMED_OUT is not reported, Kafka
 * answers success once the assignment is written). rf -1: default.replication.factor;
 * partitions -1: num.partitions. */
void gr_cluster_create_topic(gr_cluster *c, const char *name, int32_t partitions, int16_t rf,
                             const int32_t *assignment, const gr_properties *configs, bool validate_only,
                             int64_t timeout_ms, gr_cluster_done_fn done, void *ud);
void gr_cluster_delete_topic(gr_cluster *c, const char *name, int64_t timeout_ms, gr_cluster_done_fn done,
                             void *ud);
/* Grows a topic to `total` partitions; `assignment` (new partitions x rf) or NULL. */
void gr_cluster_add_partitions(gr_cluster *c, const char *name, int32_t total, const int32_t *assignment,
                               int assignment_rf, bool validate_only, gr_cluster_done_fn done, void *ud);
/* Replaces or edits a topic's configuration overrides in /config/topics/T. */
void gr_cluster_alter_topic_config(gr_cluster *c, const char *name, const gr_properties *set,
                                   const char *const *remove, int remove_count, bool replace,
                                   bool validate_only, gr_cluster_done_fn done, void *ud);
/* Starts moving a partition to `replicas` (count 0: cancels an ongoing reassignment). */
void gr_cluster_reassign_partition(gr_cluster *c, const char *topic, int32_t partition,
                                   const int32_t *replicas, int count, gr_cluster_done_fn done, void *ud);
/* ElectLeaders: type 0 preferred, 1 unclean. */
void gr_cluster_elect_leader(gr_cluster *c, const char *topic, int32_t partition, int8_t election_type,
                             gr_cluster_done_fn done, void *ud);

#endif
