/*
 * zk_layout.h: Kafka's ZooKeeper layout: the paths and the JSON of every znode cluster mode uses.
 *
 * Operators of the ZooKeeper era read a cluster with zkCli (`get /brokers/ids/1`), and Kafka's own
 * tools of that era write some of these nodes themselves (reassignments, preferred elections,
 * deletions), so the documents are exactly Kafka's: same members, same order, same versions.
 * Encoders append to a gr_buf (no NUL). Decoders read bytes anyone with access to ZooKeeper may
 * have written: every one is bounded, accepts what Kafka accepts (unknown members are ignored)
 * and returns false for anything malformed, leaving the output in an unspecified but safe state.
 */
#ifndef GREGOR_CLUSTER_ZK_LAYOUT_H
#define GREGOR_CLUSTER_ZK_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/properties.h"
#include "cluster/cluster.h"

#define GR_ZKL_PATH_MAX 512

/* The persistent paths a ZooKeeper-mode Kafka broker creates at start (parents first). */
extern const char *const gr_zkl_persistent_paths[];
extern const int gr_zkl_persistent_path_count;

#define GR_ZKL_BROKER_IDS "/brokers/ids"
#define GR_ZKL_TOPICS "/brokers/topics"
#define GR_ZKL_CONTROLLER "/controller"
#define GR_ZKL_CONTROLLER_EPOCH "/controller_epoch"
#define GR_ZKL_CLUSTER_ID "/cluster/id"
#define GR_ZKL_CONFIG_TOPICS "/config/topics"
#define GR_ZKL_CONFIG_CHANGES "/config/changes"
#define GR_ZKL_DELETE_TOPICS "/admin/delete_topics"
#define GR_ZKL_REASSIGN "/admin/reassign_partitions"
#define GR_ZKL_PREFERRED_ELECTION "/admin/preferred_replica_election"
#define GR_ZKL_PRODUCER_ID_BLOCK "/latest_producer_id_block"

/* Path builders: false when the result would not fit (names are checked before they get here). */
bool gr_zkl_broker_path(char *out, size_t cap, int32_t id);
bool gr_zkl_topic_path(char *out, size_t cap, const char *topic);
bool gr_zkl_partitions_path(char *out, size_t cap, const char *topic);
bool gr_zkl_partition_path(char *out, size_t cap, const char *topic, int32_t partition);
bool gr_zkl_state_path(char *out, size_t cap, const char *topic, int32_t partition);
bool gr_zkl_topic_config_path(char *out, size_t cap, const char *topic);
bool gr_zkl_delete_topic_path(char *out, size_t cap, const char *topic);

/* /brokers/ids/N: a broker's registration (version 5, with rack only when set). */
void gr_zkl_broker_encode(gr_buf *out, const gr_cluster_broker *b, int64_t timestamp_ms);
/* Takes the PLAINTEXT endpoint (else the legacy host/port members); out->id is set to `id`. */
bool gr_zkl_broker_decode(const char *doc, size_t len, int32_t id, gr_cluster_broker *out);

/* /brokers/topics/T: the assignment (version 3). Only index, replicas (state.replica_count and
 * state.replicas), adding and removing of each partition are used; leader -1 elsewhere. */
void gr_zkl_topic_encode(gr_buf *out, const gr_cluster_topic *t);
/* Fills out->id (zero when the node has none, as before Kafka 2.8), partition_count and a
 * calloc'ed out->partitions (free it); out->name is left as it was. Partitions must be numbered
 * 0..n-1 without gaps. */
bool gr_zkl_topic_decode(const char *doc, size_t len, gr_cluster_topic *out);

/* /brokers/topics/T/partitions/P/state: leader, leader_epoch, isr, controller_epoch. The
 * replicas and zk_version of `s` are neither written nor read. */
void gr_zkl_state_encode(gr_buf *out, const gr_partition_state *s);
bool gr_zkl_state_decode(const char *doc, size_t len, gr_partition_state *out);

/* /controller (version 2 as Kafka 3.x writes it) and /controller_epoch (a bare number). */
void gr_zkl_controller_encode(gr_buf *out, int32_t broker_id, int64_t timestamp_ms);
bool gr_zkl_controller_decode(const char *doc, size_t len, int32_t *broker_id);
void gr_zkl_controller_epoch_encode(gr_buf *out, int32_t epoch);
bool gr_zkl_controller_epoch_decode(const char *doc, size_t len, int32_t *epoch);

/* /cluster/id */
void gr_zkl_cluster_id_encode(gr_buf *out, const char *id);
bool gr_zkl_cluster_id_decode(const char *doc, size_t len, char *id, size_t cap);

/* /config/topics/T: a topic's overrides; decode adds them to out (string values only, as Kafka
 * writes them). /config/changes/config_change_N tells every broker that entity `topics/T` changed. */
void gr_zkl_config_encode(gr_buf *out, const gr_properties *configs);
bool gr_zkl_config_decode(const char *doc, size_t len, gr_properties *out);
void gr_zkl_config_change_encode(gr_buf *out, const char *topic);

/* /admin/reassign_partitions and /admin/preferred_replica_election: lists of partitions. */
typedef struct gr_zkl_partition_ref {
    char topic[256];
    int32_t partition;
    int replica_count; /* reassignments only */
    int32_t replicas[GR_REPLICAS_MAX];
} gr_zkl_partition_ref;
#define GR_ZKL_PARTITION_REFS_MAX 100000
void gr_zkl_reassign_encode(gr_buf *out, const gr_zkl_partition_ref *refs, int count);
/* *out is calloc'ed (free it), *count its length. */
bool gr_zkl_reassign_decode(const char *doc, size_t len, gr_zkl_partition_ref **out, int *count);
void gr_zkl_preferred_encode(gr_buf *out, const gr_zkl_partition_ref *refs, int count);
bool gr_zkl_preferred_decode(const char *doc, size_t len, gr_zkl_partition_ref **out, int *count);

/* /latest_producer_id_block: the last block of producer ids a broker took. */
void gr_zkl_producer_ids_encode(gr_buf *out, int32_t broker_id, int64_t block_start, int64_t block_end);
bool gr_zkl_producer_ids_decode(const char *doc, size_t len, int64_t *block_end);

#endif
