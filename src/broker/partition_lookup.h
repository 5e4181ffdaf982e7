/*
 * partition_lookup.h: a partition's replicas and leader as the admin handlers see them: from the
 * cluster view in cluster mode, and on a single node the one broker as every partition's only
 * replica and leader (how Kafka answers for a one-broker cluster).
 */
#ifndef GREGOR_BROKER_PARTITION_LOOKUP_H
#define GREGOR_BROKER_PARTITION_LOOKUP_H

#include "broker/broker.h"
#include "cluster/cluster.h"

typedef struct gr_partition_lookup {
    gr_broker *broker;
    gr_cluster_view *view; /* cluster mode; NULL on a single node */
} gr_partition_lookup;

void gr_partition_lookup_begin(gr_partition_lookup *l, gr_broker *b);
void gr_partition_lookup_end(gr_partition_lookup *l);
/* false if the topic or partition does not exist (or the topic is being deleted). */
bool gr_partition_lookup_get(gr_partition_lookup *l, gr_str topic, int32_t partition,
                             gr_cluster_partition *out);
/* Every topic's name and partition count, in name order: calls fn for each. */
void gr_partition_lookup_each_topic(gr_partition_lookup *l,
                                    void (*fn)(void *ud, const char *name, int32_t count), void *ud);
bool gr_partition_lookup_broker_known(gr_partition_lookup *l, int32_t id);

#endif
