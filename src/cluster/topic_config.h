/*
 * topic_config.h: per-topic configuration keys (retention.ms, cleanup.policy, ...).
 *
 * A topic stores only the keys set on it; every other key falls back to the
 * broker key Kafka names as its server default (log.retention.ms for
 * retention.ms, ...). This file knows Kafka 4.x's set of topic keys, how to
 * validate a value (with Kafka's error wording), which broker key a topic key
 * inherits from, how DescribeConfigs lists the chain of synonyms, and how to
 * turn the result into the store's gr_log_config.
 */
#ifndef GREGOR_CLUSTER_TOPIC_CONFIG_H
#define GREGOR_CLUSTER_TOPIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/properties.h"
#include "broker/config.h"
#include "store/partition_log.h"

/* Returns true if `name` is a topic configuration key. */
bool gr_topic_config_known(const char *name);
/* Validates one key/value. On success writes the value as Kafka shows it (numbers and lists
 * trimmed, booleans in lower case, doubles as Java prints them) into canon (n bytes) and returns
 * true. On failure returns false and sets *why to Kafka's message, which may live in a per-thread
 * buffer that the next call on the same thread overwrites. */
bool gr_topic_config_check(const char *name, const char *value, char *canon, size_t n, const char **why);
/* gr_topic_config_check without the canonical value. */
bool gr_topic_config_validate(const char *name, const char *value, const char **why);
/* DescribeConfigs' type of a topic key (GR_CONFIG_TYPE_*), 0 for an unknown key. */
int gr_topic_config_type(const char *name);
/* The value `name` has for a topic: its own setting, else what it inherits ("" if unknown). */
void gr_topic_config_effective(const gr_broker_config *broker, const gr_properties *topic, const char *name,
                               char *out, size_t n);
/* Effective log configuration of a topic. */
void gr_topic_config_to_log(const gr_broker_config *broker, const gr_properties *topic, gr_log_config *out);

/* Visits every topic key, in name order, with its effective value, source and synonyms as
 * DescribeConfigs reports them; fn returns false to stop. */
typedef bool (*gr_topic_config_visit_fn)(const gr_config_entry *e, void *ud);
void gr_topic_config_visit(const gr_broker_config *broker, const gr_properties *topic,
                           gr_topic_config_visit_fn fn, void *ud);

#endif
