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
#define GR_BROKER_CONFIG_KEYS_MAX 112        /* entries in config.c's key table */
#define GR_BROKER_CONFIG_VALUE_MAX_BYTES 256 /* a key's value as written, for DescribeConfigs */
#define GR_CONFIG_SYNONYMS_MAX 8             /* one topic override + a broker key group twice */

/* Where a value came from, as DescribeConfigs reports it (ConfigSource). */
enum {
    GR_CONFIG_SOURCE_DYNAMIC_TOPIC = 1,
    GR_CONFIG_SOURCE_DYNAMIC_BROKER = 2,
    GR_CONFIG_SOURCE_STATIC_BROKER = 4,
    GR_CONFIG_SOURCE_DEFAULT = 5,
};

/* A value's type, as DescribeConfigs v3+ reports it (ConfigType). */
enum {
    GR_CONFIG_TYPE_BOOLEAN = 1,
    GR_CONFIG_TYPE_STRING = 2,
    GR_CONFIG_TYPE_INT = 3,
    GR_CONFIG_TYPE_SHORT = 4,
    GR_CONFIG_TYPE_LONG = 5,
    GR_CONFIG_TYPE_DOUBLE = 6,
    GR_CONFIG_TYPE_LIST = 7,
};

typedef struct gr_listener {
    char name[32]; /* PLAINTEXT */
    char host[256];
    int port;
} gr_listener;

typedef struct gr_broker_config {
    /* The keys server.properties and --override set, by position in config.c's key table, with
     * their values as written (canonical form, not scaled): DescribeConfigs reports these as
     * STATIC_BROKER_CONFIG, as Kafka does. */
    bool static_set[GR_BROKER_CONFIG_KEYS_MAX];
    char static_value[GR_BROKER_CONFIG_KEYS_MAX][GR_BROKER_CONFIG_VALUE_MAX_BYTES];
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
    int64_t log_cleaner_backoff_ms; /* pause between the log cleaner's rounds */
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
    int64_t log_message_timestamp_after_max_ms;  /* records stamped further ahead are refused */
    int64_t log_message_timestamp_before_max_ms; /* records stamped further back are refused */
    char log_message_timestamp_type[32];
    char compression_type[32];
    char cleanup_policy[32];
    /* Security: only PLAINTEXT is provided; anything asking for more refuses start-up. */
    char listener_security_protocol_map[1024];
    char security_inter_broker_protocol[32];
    char inter_broker_listener_name[32];
    char authorizer_class_name[256];
    /* Cluster mode (docs/replication.md): on when zookeeper_connect is set. */
    char zookeeper_connect[1024]; /* host:port[,host:port...][/chroot] */
    int32_t zookeeper_session_timeout_ms;
    int32_t zookeeper_connection_timeout_ms; /* 0: the session timeout */
    char broker_rack[256];                   /* "" when unset */
    int32_t min_insync_replicas;
    bool unclean_leader_election_enable;
    int64_t replica_lag_time_max_ms;
    int32_t replica_fetch_max_bytes;
    int32_t replica_fetch_response_max_bytes;
    int32_t replica_fetch_wait_max_ms;
    int32_t replica_fetch_min_bytes;
    int32_t replica_fetch_backoff_ms;
    int32_t replica_socket_timeout_ms;
    int16_t offsets_topic_replication_factor;
    int16_t transaction_state_log_replication_factor;
    int32_t transaction_state_log_min_isr;
    bool auto_leader_rebalance_enable;
    int64_t leader_imbalance_check_interval_seconds;
    int32_t leader_imbalance_per_broker_percentage;
    bool controlled_shutdown_enable;
    int32_t controlled_shutdown_max_retries;
    int64_t controlled_shutdown_retry_backoff_ms;
    /* admin.listeners: the HTTP listener of /metrics and the admin API; off when unset. */
    bool admin_enabled;
    gr_listener admin_listener;
} gr_broker_config;

/* Cluster mode: replicas on several brokers, coordinated through ZooKeeper. */
static inline bool gr_broker_config_clustered(const gr_broker_config *c) {
    return c->zookeeper_connect[0] != '\0';
}

/* One DescribeConfigs entry: the value, where it came from and, in Kafka's order, every place
 * that sets it (the winner first). Strings point into stable storage or into the entry. */
typedef struct gr_config_synonym {
    const char *name;
    const char *value;
    int source;
} gr_config_synonym;

typedef struct gr_config_entry {
    const char *name;
    const char *value; /* NULL: no value (a Kafka key without a default that nothing set) */
    int source;        /* the first synonym's, DEFAULT when there is none */
    int type;          /* GR_CONFIG_TYPE_* */
    bool read_only;
    int synonym_count;
    gr_config_synonym synonyms[GR_CONFIG_SYNONYMS_MAX];
    char value_buf[1200];
} gr_config_entry;

/* Fills defaults. */
void gr_broker_config_defaults(gr_broker_config *c);
/* Applies properties onto c. Returns 0, or -1 after printing an error that names the key. */
int gr_broker_config_apply(gr_broker_config *c, const gr_properties *props);
/* Parses "PLAINTEXT://host:port,..." into out; returns count or -1. */
int gr_parse_listeners(const char *text, gr_listener *out, int max);
/* Formats a double as Java's Double.toString does (0.5, 1.0, 1.0E-4): how Kafka shows them. */
void gr_config_format_double(double v, char *out, size_t n);

/* Visits every broker key for DescribeConfigs of the broker resource; fn returns false to stop.
 * Every key is read-only: broker configuration cannot change at run time here. */
typedef bool (*gr_config_entry_fn)(const gr_config_entry *e, void *ud);
void gr_broker_config_visit(const gr_broker_config *c, gr_config_entry_fn fn, void *ud);

/* Kafka's synonym chain for broker key `name` (log.retention.ms: the static log.retention.ms,
 * .minutes, .hours, then the defaults among them; entries before `name` itself dropped), appended
 * to e->synonyms. Unknown keys add nothing. */
void gr_broker_config_add_synonyms(const gr_broker_config *c, const char *name, gr_config_entry *e);
/* The value a topic inherits from broker key `name`, in the topic key's unit (log.retention.hours
 * becomes milliseconds). Returns false if `name` is not a broker key. */
bool gr_broker_config_inherited(const gr_broker_config *c, const char *name, char *out, size_t n);

#endif
