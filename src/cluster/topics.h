/*
 * topics.h: the registry of topics and their partitions on this broker.
 *
 * Metadata lives with the data, in Kafka's own places, so a restart needs
 * nothing else: each partition directory `<log.dir>/<topic>-<n>/` holds a
 * `partition.metadata` file with the topic id, and topic-level configuration
 * overrides live in `<log.dir>/topic-configs/<topic>.properties`.
 *
 * Lookups are frequent and concurrent (every Produce and Fetch); changes are
 * rare (create, delete, add partitions). A lookup returns a counted reference;
 * a deleted topic's logs are closed and removed when its last reference goes.
 */
#ifndef GREGOR_CLUSTER_TOPICS_H
#define GREGOR_CLUSTER_TOPICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/properties.h"
#include "base/reader.h"
#include "broker/config.h"
#include "store/partition_log.h"

typedef struct gr_partition_replica gr_partition_replica;

typedef struct gr_partition {
    int32_t index;
    int32_t leader_epoch;
    gr_partition_log *log;
    /* Cluster mode: this broker's replica (leader or follower; cluster/partition_replica.h).
       NULL on a single node, where this broker leads every partition. */
    _Atomic(gr_partition_replica *) replica;
} gr_partition;

typedef struct gr_partition_table {
    int32_t count;
    gr_partition *items[];
} gr_partition_table;

typedef struct gr_topic {
    char name[256];
    uint8_t id[16];
    bool internal;
    atomic_int refs;
    atomic_bool deleted;
    _Atomic(gr_partition_table *) table; /* replaced (never shrunk) when partitions are added */
    gr_partition_table *retired;         /* older tables, freed with the topic */
    gr_properties configs;               /* guarded by the registry lock */
} gr_topic;

typedef struct gr_topics gr_topics;

gr_topics *gr_topics_open(const gr_broker_config *cfg);
void gr_topics_close(gr_topics *t);

/* Counted lookups; NULL if absent. Release with gr_topic_release. */
gr_topic *gr_topics_get(gr_topics *t, gr_str name);
gr_topic *gr_topics_get_by_id(gr_topics *t, const uint8_t id[16]);
void gr_topic_retain(gr_topic *topic);
void gr_topic_release(gr_topic *topic);

static inline int32_t gr_topic_partition_count(gr_topic *topic) {
    return atomic_load_explicit(&topic->table, memory_order_acquire)->count;
}
/* NULL when out of range. Valid while the caller holds a topic reference. */
gr_partition *gr_topic_partition(gr_topic *topic, int32_t index);

/* Topic name rules (Kafka's): 1-249 chars of [a-zA-Z0-9._-], not "." or "..". *why gets Kafka's
 * message, which may live in a per-thread buffer that the next call on the thread overwrites. */
bool gr_topic_name_valid(gr_str name, const char **why);

/* Returns a Kafka error code; *why gets Kafka's message for the response, a static string or one
 * in a per-thread buffer that the next call on the same thread overwrites (copy it at once).
 * Config values are stored as Kafka shows them (gr_topic_config_check). */
int16_t gr_topics_create(gr_topics *t, gr_str name, int32_t partitions, const gr_properties *configs,
                         bool validate_only, const char **why);
int16_t gr_topics_delete(gr_topics *t, gr_str name);
int16_t gr_topics_add_partitions(gr_topics *t, gr_str name, int32_t total, bool validate_only,
                                 const char **why);
/* Replaces (incremental=false) or edits a topic's configs; `remove` lists keys to delete
 * (keys that are not topic keys are ignored, as Kafka ignores them). */
int16_t gr_topics_alter_config(gr_topics *t, gr_str name, const gr_properties *set, const char *const *remove,
                               int remove_count, bool replace, bool validate_only, const char **why);
/* Copies the topic's configuration overrides into out (under the lock). */
void gr_topics_copy_configs(gr_topics *t, gr_topic *topic, gr_properties *out);

/* Kafka's text form of a topic id: URL-safe base64 without padding (22 characters). */
void gr_topic_id_to_base64(const uint8_t id[16], char out[23]);
bool gr_topic_id_from_base64(const char *s, uint8_t id[16]);
/* A fresh random topic id (version 4, never zero). */
void gr_topic_id_random(uint8_t id[16]);

/* ---- cluster mode: the cluster layer makes the registry follow ZooKeeper ----
 * Every topic of the cluster exists locally, but a partition exists (gr_topic_partition is not
 * NULL) only where this broker holds a replica of it; a partition this broker stopped holding
 * keeps its log, with no replica, until the topic goes. */

/* Makes topic `name` exist with topic id `id` and at least `partition_count` partitions, with a
 * log for every index where hosted[index] is true, and `configs` as its overrides (keys that are
 * not valid topic configs are skipped). A local topic with another id (deleted and re-created
 * while this broker was away) is deleted first. Returns the topic, retained; NULL on a storage
 * error. */
gr_topic *gr_topics_ensure(gr_topics *t, const char *name, const uint8_t id[16], int32_t partition_count,
                           const bool *hosted, const gr_properties *configs);

/* Snapshot of all topics (each retained); free with gr_topics_list_free. */
int gr_topics_list(gr_topics *t, gr_topic ***out);
void gr_topics_list_free(gr_topic **list, int count);

/* Applies retention to every partition (called periodically). */
void gr_topics_enforce_retention(gr_topics *t, int64_t now_ms);
/* Flushes every partition (clean shutdown). */
void gr_topics_flush_all(gr_topics *t);

#endif
