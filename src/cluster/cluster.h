/*
 * cluster.h: the broker's view of the cluster in cluster mode (zookeeper.connect set).
 *
 * The broker holds one gr_cluster when clustered and NULL otherwise; every handler that must
 * behave differently in a cluster checks b->cluster. The state itself lives in ZooKeeper in
 * Kafka's own layout (docs/replication.md); this is the broker's cached, watched copy of it.
 */
#ifndef GREGOR_CLUSTER_CLUSTER_H
#define GREGOR_CLUSTER_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/partition_replica.h"

typedef struct gr_cluster gr_cluster;

/* The listener clients reach broker `id` on; false if the broker is not registered. */
bool gr_cluster_broker_endpoint(gr_cluster *c, int32_t id, gr_leader_endpoint *out);

#endif
