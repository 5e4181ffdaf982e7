/*
 * topic_config.h: per-topic configuration keys (retention.ms, cleanup.policy, ...).
 *
 * A topic stores only the keys set on it; every other key falls back to the
 * broker's setting (log.retention.ms for retention.ms, ...). This file knows
 * which topic key maps to which broker key, how to validate a value, and how
 * to turn the result into the store's gr_log_config.
 */
#ifndef GREGOR_CLUSTER_TOPIC_CONFIG_H
#define GREGOR_CLUSTER_TOPIC_CONFIG_H

#include <stdbool.h>

#include "base/properties.h"
#include "broker/config.h"
#include "store/partition_log.h"

/* Where a value came from, as DescribeConfigs reports it (ConfigSource). */
enum {
    GR_CONFIG_SOURCE_DYNAMIC_TOPIC = 1,
    GR_CONFIG_SOURCE_DYNAMIC_BROKER = 2,
    GR_CONFIG_SOURCE_STATIC_BROKER = 4,
    GR_CONFIG_SOURCE_DEFAULT = 5,
};

/* Returns true if `name` is a topic configuration key. */
bool gr_topic_config_known(const char *name);
/* Validates one key/value; on failure returns false and sets *why. */
bool gr_topic_config_validate(const char *name, const char *value, const char **why);
/* Effective log configuration of a topic. */
void gr_topic_config_to_log(const gr_broker_config *broker, const gr_properties *topic, gr_log_config *out);

typedef bool (*gr_topic_config_visit_fn)(const char *name, const char *value, int source, bool sensitive,
                                         bool read_only, void *ud);
/* Visits every topic key with its effective value and source. */
void gr_topic_config_visit(const gr_broker_config *broker, const gr_properties *topic, gr_topic_config_visit_fn fn,
                           void *ud);

#endif
