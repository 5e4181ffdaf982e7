/*
 * cluster_metadata.h: what Metadata-like answers say in cluster mode, built from a cluster view
 * (cluster.h) instead of the local registry: live brokers, partition leaders, replicas, ISRs.
 * Also the creation of topics on first use through the cluster.
 */
#ifndef GREGOR_BROKER_CLUSTER_METADATA_H
#define GREGOR_BROKER_CLUSTER_METADATA_H

#include "broker/broker.h"
#include "cluster/cluster.h"

/* Kafka's internal topics (reported with is_internal). */
bool gr_cluster_topic_is_internal(const char *name);

/* Metadata in cluster mode (handle_metadata.c hands over when b->cluster is set). */
void gr_handle_metadata_cluster(gr_request *req);

/* An unknown topic asked for with auto creation allowed: starts creating it through the cluster
 * (num.partitions, default.replication.factor; Kafka's settings for __consumer_offsets) and
 * returns the error Metadata reports meanwhile: LEADER_NOT_AVAILABLE while it is created,
 * UNKNOWN_TOPIC_OR_PARTITION when auto.create.topics.enable is off or creation is not allowed,
 * INVALID_TOPIC_EXCEPTION, INVALID_REPLICATION_FACTOR when fewer brokers are registered. */
int16_t gr_cluster_topic_auto(gr_broker *b, const gr_cluster_view *v, gr_str name, bool allow_create);

/* Starts creating __consumer_offsets (offsets.topic.num.partitions x
 * offsets.topic.replication.factor, compacted); false if too few brokers are registered. */
bool gr_cluster_create_offsets_topic(gr_broker *b, const gr_cluster_view *v);

#endif
