/*
 * identity.h: who this broker is, kept in `<log.dir>/meta.properties` as Kafka
 * does (cluster.id, node.id, version), and the source of producer ids.
 *
 * Producer ids must never repeat, even across restarts and crashes: ids are
 * handed out from blocks, and the end of the current block is written and
 * synced to `<log.dir>/producer-id-block` before any id from it is used.
 */
#ifndef GREGOR_CLUSTER_IDENTITY_H
#define GREGOR_CLUSTER_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gr_identity gr_identity;

/* Loads or creates meta.properties; fails if it names another node id. */
gr_identity *gr_identity_open(const char *log_dir, int32_t node_id);
void gr_identity_close(gr_identity *id);
const char *gr_identity_cluster_id(const gr_identity *id);
/* True when this open created meta.properties (a broker's first start: cluster mode then takes
 * the cluster id from ZooKeeper instead of the one just made up). */
bool gr_identity_is_new(const gr_identity *id);
/* Rewrites meta.properties with the cluster's id; 0 on success. */
int gr_identity_adopt_cluster_id(gr_identity *id, const char *cluster_id);
/* Thread-safe; returns -1 if no block can be had (the block file cannot be written, or the
 * cluster's block source fails). */
int64_t gr_identity_next_producer_id(gr_identity *id);

/* In a cluster, ids must not repeat across brokers either: blocks then come from a shared source
 * (ZooKeeper's /latest_producer_id_block) instead of the local file. The source fills
 * [*first, *end) and returns 0, or returns -1. NULL goes back to the local file. */
typedef int (*gr_producer_id_block_fn)(void *ud, int64_t *first, int64_t *end);
void gr_identity_set_block_source(gr_identity *id, gr_producer_id_block_fn fn, void *ud);

#endif
