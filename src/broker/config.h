/*
 * config.h: the broker's configuration, read with Kafka's own key names from a
 * server.properties file and `--override key=value` arguments.
 *
 * Every key is described once in a table (config.c) with its type, default
 * and bounds; a bad value stops start-up with a message naming the key, an
 * unknown key is warned about.
 */
#ifndef GREGOR_BROKER_CONFIG_H
#define GREGOR_BROKER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/properties.h"

#define GR_LISTENERS_MAX 8

typedef struct gr_listener {
    char name[32]; /* PLAINTEXT */
    char host[256];
    int port;
} gr_listener;

typedef struct gr_broker_config {
    int32_t node_id;
    gr_listener listeners[GR_LISTENERS_MAX];
    int listener_count;
    gr_listener advertised[GR_LISTENERS_MAX];
    int advertised_count;
    char log_dir[1024]; /* first of log.dirs */
    int32_t num_partitions;
    int16_t default_replication_factor;
    bool auto_create_topics_enable;
    bool delete_topic_enable;
    int64_t log_segment_bytes;
    int64_t log_roll_ms;
    int64_t log_retention_ms;
    int64_t log_retention_bytes;
    int64_t log_retention_check_interval_ms;
    int32_t log_index_interval_bytes;
    int32_t message_max_bytes;
    int32_t socket_request_max_bytes;
    int64_t connections_max_idle_ms;
    int32_t num_network_threads; /* 0 = one event loop per core */
    int32_t offsets_topic_num_partitions;
    int64_t offsets_retention_minutes;
    int32_t group_min_session_timeout_ms;
    int32_t group_max_session_timeout_ms;
    int32_t group_initial_rebalance_delay_ms;
    int32_t group_max_size;
    int32_t group_consumer_session_timeout_ms;    /* KIP-848 groups */
    int32_t group_consumer_heartbeat_interval_ms; /* KIP-848 groups */
    int64_t offsets_retention_check_interval_ms;
    int32_t transaction_state_log_num_partitions;
    int32_t transaction_max_timeout_ms;
    char log_message_timestamp_type[32];
    char compression_type[32];
    char cleanup_policy[32];
} gr_broker_config;

/* Fills defaults. */
void gr_broker_config_defaults(gr_broker_config *c);
/* Applies properties onto c. Returns 0, or -1 after printing an error that names the key. */
int gr_broker_config_apply(gr_broker_config *c, const gr_properties *props);
/* Parses "PLAINTEXT://host:port,..." into out; returns count or -1. */
int gr_parse_listeners(const char *text, gr_listener *out, int max);
/* Writes every effective setting (name=value) for DescribeConfigs; fn returns false to stop. */
typedef bool (*gr_config_visit_fn)(const char *name, const char *value, bool is_default, void *ud);
void gr_broker_config_visit(const gr_broker_config *c, gr_config_visit_fn fn, void *ud);

#endif
