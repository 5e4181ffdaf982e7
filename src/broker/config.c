/* config.c: the table of broker configuration keys (see config.h). */
#include "broker/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "base/log.h"

typedef enum { K_INT, K_LONG, K_BOOL, K_STRING, K_SHORT, K_DOUBLE, K_SPECIAL } key_type;

typedef struct key_def {
    const char *name;
    key_type type;
    size_t offset; /* NO_FIELD: only reported (topics inherit it); it changes nothing else here */
    size_t size;   /* strings: buffer size */
    int64_t min, max;
    int64_t scale;            /* value in file * scale = stored value (hours -> ms) */
    const char *default_text; /* the default as DescribeConfigs shows it; NULL: none */
    int config_type;          /* GR_CONFIG_TYPE_* as Kafka declares the key */
} key_def;

#define F(field) offsetof(gr_broker_config, field)
#define S(field) sizeof(((gr_broker_config *)0)->field)
#define NO_FIELD SIZE_MAX
#define HOUR_MS (3600LL * 1000)
#define MINUTE_MS (60LL * 1000)
#define DAY_MS (24 * HOUR_MS)
#define LONG_MAX_TEXT "9223372036854775807"
#define DEFAULT_PROTOCOL_MAP "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"

enum {
    T_BOOL = GR_CONFIG_TYPE_BOOLEAN,
    T_STRING = GR_CONFIG_TYPE_STRING,
    T_INT = GR_CONFIG_TYPE_INT,
    T_LONG = GR_CONFIG_TYPE_LONG,
    T_SHORT = GR_CONFIG_TYPE_SHORT,
    T_DOUBLE = GR_CONFIG_TYPE_DOUBLE,
    T_LIST = GR_CONFIG_TYPE_LIST
};

/* Defaults are Kafka 4.x's except where this broker differs on purpose (listeners, log.dirs,
 * num.network.threads). Keys without a field are the broker keys Kafka's topic keys inherit from
 * (flush, cleaner, tiered storage, ...): accepted, checked and reported, with no other effect. */
static const key_def keys[] = {
    {"node.id", K_INT, F(node_id), 0, 0, INT32_MAX, 1, "1", T_INT},
    {"broker.id", K_INT, F(node_id), 0, 0, INT32_MAX, 1, "1", T_INT},
    {"listeners", K_SPECIAL, NO_FIELD, 0, 0, 0, 1, "PLAINTEXT://127.0.0.1:9092", T_LIST},
    {"advertised.listeners", K_SPECIAL, NO_FIELD, 0, 0, 0, 1, NULL, T_LIST},
    {"log.dirs", K_SPECIAL, NO_FIELD, 0, 0, 0, 1, "./data", T_LIST}, /* also set by log.dir */
    {"num.partitions", K_INT, F(num_partitions), 0, 1, GR_PARTITIONS_PER_TOPIC_MAX, 1, "1", T_INT},
    {"default.replication.factor", K_SHORT, F(default_replication_factor), 0, 1, INT16_MAX, 1, "1", T_INT},
    {"auto.create.topics.enable", K_BOOL, F(auto_create_topics_enable), 0, 0, 1, 1, "true", T_BOOL},
    {"delete.topic.enable", K_BOOL, F(delete_topic_enable), 0, 0, 1, 1, "true", T_BOOL},
    {"log.segment.bytes", K_LONG, F(log_segment_bytes), 0, 14, INT32_MAX, 1, "1073741824", T_INT},
    {"log.roll.hours", K_LONG, F(log_roll_ms), 0, 1, INT32_MAX, HOUR_MS, "168", T_INT},
    {"log.roll.ms", K_LONG, F(log_roll_ms), 0, 1, INT64_MAX / 2, 1, NULL, T_LONG},
    {"log.roll.jitter.hours", K_LONG, NO_FIELD, 0, 0, INT32_MAX, HOUR_MS, "0", T_INT},
    {"log.roll.jitter.ms", K_LONG, NO_FIELD, 0, 0, INT64_MAX / 2, 1, NULL, T_LONG},
    {"log.retention.hours", K_LONG, F(log_retention_ms), 0, -1, INT32_MAX, HOUR_MS, "168", T_INT},
    {"log.retention.minutes", K_LONG, F(log_retention_ms), 0, -1, INT32_MAX, MINUTE_MS, NULL, T_INT},
    {"log.retention.ms", K_LONG, F(log_retention_ms), 0, -1, INT64_MAX / 2, 1, NULL, T_LONG},
    {"log.retention.bytes", K_LONG, F(log_retention_bytes), 0, -1, INT64_MAX / 2, 1, "-1", T_LONG},
    {"log.retention.check.interval.ms", K_LONG, F(log_retention_check_interval_ms), 0, 1, INT64_MAX / 2, 1,
     "300000", T_LONG},
    {"log.cleaner.backoff.ms", K_LONG, F(log_cleaner_backoff_ms), 0, 1, INT64_MAX / 2, 1, "15000", T_LONG},
    {"log.index.interval.bytes", K_INT, F(log_index_interval_bytes), 0, 0, INT32_MAX, 1, "4096", T_INT},
    {"log.index.size.max.bytes", K_INT, NO_FIELD, 0, 4, INT32_MAX, 1, "10485760", T_INT},
    {"log.segment.delete.delay.ms", K_LONG, NO_FIELD, 0, 0, INT64_MAX, 1, "60000", T_LONG},
    {"log.preallocate", K_BOOL, NO_FIELD, 0, 0, 1, 1, "false", T_BOOL},
    {"log.flush.interval.messages", K_LONG, NO_FIELD, 0, 1, INT64_MAX, 1, LONG_MAX_TEXT, T_LONG},
    {"log.flush.interval.ms", K_LONG, NO_FIELD, 0, 0, INT64_MAX, 1, NULL, T_LONG},
    {"log.flush.scheduler.interval.ms", K_LONG, NO_FIELD, 0, 0, INT64_MAX, 1, LONG_MAX_TEXT, T_LONG},
    {"log.cleanup.policy", K_STRING, F(cleanup_policy), S(cleanup_policy), 0, 0, 1, "delete", T_LIST},
    {"log.cleaner.delete.retention.ms", K_LONG, NO_FIELD, 0, 0, INT64_MAX, 1, "86400000", T_LONG},
    {"log.cleaner.min.compaction.lag.ms", K_LONG, NO_FIELD, 0, 0, INT64_MAX, 1, "0", T_LONG},
    {"log.cleaner.max.compaction.lag.ms", K_LONG, NO_FIELD, 0, 1, INT64_MAX, 1, LONG_MAX_TEXT, T_LONG},
    {"log.cleaner.min.cleanable.ratio", K_DOUBLE, NO_FIELD, 0, 0, 1, 1, "0.5", T_DOUBLE},
    {"log.local.retention.ms", K_LONG, NO_FIELD, 0, -2, INT64_MAX, 1, "-2", T_LONG},
    {"log.local.retention.bytes", K_LONG, NO_FIELD, 0, -2, INT64_MAX, 1, "-2", T_LONG},
    {"log.message.timestamp.type", K_STRING, F(log_message_timestamp_type), S(log_message_timestamp_type), 0,
     0, 1, "CreateTime", T_STRING},
    {"log.message.timestamp.after.max.ms", K_LONG, F(log_message_timestamp_after_max_ms), 0, 0, INT64_MAX, 1,
     "3600000", T_LONG},
    {"log.message.timestamp.before.max.ms", K_LONG, F(log_message_timestamp_before_max_ms), 0, 0, INT64_MAX,
     1, LONG_MAX_TEXT, T_LONG},
    {"compression.type", K_STRING, F(compression_type), S(compression_type), 0, 0, 1, "producer", T_STRING},
    {"compression.gzip.level", K_INT, NO_FIELD, 0, -1, 9, 1, "-1", T_INT}, /* 0 refused: see set_key */
    {"compression.lz4.level", K_INT, NO_FIELD, 0, 1, 17, 1, "9", T_INT},
    {"compression.zstd.level", K_INT, NO_FIELD, 0, -131072, 22, 1, "3", T_INT},
    {"min.insync.replicas", K_INT, F(min_insync_replicas), 0, 1, INT32_MAX, 1, "1", T_INT},
    {"unclean.leader.election.enable", K_BOOL, F(unclean_leader_election_enable), 0, 0, 1, 1, "false",
     T_BOOL},
    {"listener.security.protocol.map", K_STRING, F(listener_security_protocol_map),
     S(listener_security_protocol_map), 0, 0, 1, DEFAULT_PROTOCOL_MAP, T_LIST},
    {"security.inter.broker.protocol", K_STRING, F(security_inter_broker_protocol),
     S(security_inter_broker_protocol), 0, 0, 1, "PLAINTEXT", T_STRING},
    {"inter.broker.listener.name", K_STRING, F(inter_broker_listener_name), S(inter_broker_listener_name), 0,
     0, 1, NULL, T_STRING},
    {"authorizer.class.name", K_STRING, F(authorizer_class_name), S(authorizer_class_name), 0, 0, 1, "",
     T_STRING},
    {"zookeeper.connect", K_STRING, F(zookeeper_connect), S(zookeeper_connect), 0, 0, 1, NULL, T_STRING},
    {"zookeeper.session.timeout.ms", K_INT, F(zookeeper_session_timeout_ms), 0, 1, INT32_MAX, 1, "18000",
     T_INT},
    {"zookeeper.connection.timeout.ms", K_INT, F(zookeeper_connection_timeout_ms), 0, 1, INT32_MAX, 1, NULL,
     T_INT},
    {"broker.rack", K_STRING, F(broker_rack), S(broker_rack), 0, 0, 1, NULL, T_STRING},
    {"replica.lag.time.max.ms", K_LONG, F(replica_lag_time_max_ms), 0, 1, INT64_MAX / 2, 1, "30000", T_LONG},
    {"replica.fetch.max.bytes", K_INT, F(replica_fetch_max_bytes), 0, 0, INT32_MAX, 1, "1048576", T_INT},
    {"replica.fetch.response.max.bytes", K_INT, F(replica_fetch_response_max_bytes), 0, 0, INT32_MAX, 1,
     "10485760", T_INT},
    {"replica.fetch.wait.max.ms", K_INT, F(replica_fetch_wait_max_ms), 0, 0, INT32_MAX, 1, "500", T_INT},
    {"replica.fetch.min.bytes", K_INT, F(replica_fetch_min_bytes), 0, 1, INT32_MAX, 1, "1", T_INT},
    {"replica.fetch.backoff.ms", K_INT, F(replica_fetch_backoff_ms), 0, 0, INT32_MAX, 1, "1000", T_INT},
    {"replica.socket.timeout.ms", K_INT, F(replica_socket_timeout_ms), 0, 1, INT32_MAX, 1, "30000", T_INT},
    {"offsets.topic.replication.factor", K_SHORT, F(offsets_topic_replication_factor), 0, 1, INT16_MAX, 1,
     "3", T_SHORT},
    {"transaction.state.log.replication.factor", K_SHORT, F(transaction_state_log_replication_factor), 0, 1,
     INT16_MAX, 1, "3", T_SHORT},
    {"transaction.state.log.min.isr", K_INT, F(transaction_state_log_min_isr), 0, 1, INT32_MAX, 1, "2",
     T_INT},
    {"auto.leader.rebalance.enable", K_BOOL, F(auto_leader_rebalance_enable), 0, 0, 1, 1, "true", T_BOOL},
    {"leader.imbalance.check.interval.seconds", K_LONG, F(leader_imbalance_check_interval_seconds), 0, 1,
     INT32_MAX, 1, "300", T_LONG},
    {"leader.imbalance.per.broker.percentage", K_INT, F(leader_imbalance_per_broker_percentage), 0, 0, 100, 1,
     "10", T_INT},
    {"controlled.shutdown.enable", K_BOOL, F(controlled_shutdown_enable), 0, 0, 1, 1, "true", T_BOOL},
    {"controlled.shutdown.max.retries", K_INT, F(controlled_shutdown_max_retries), 0, 0, INT32_MAX, 1, "3",
     T_INT},
    {"controlled.shutdown.retry.backoff.ms", K_LONG, F(controlled_shutdown_retry_backoff_ms), 0, 0,
     INT64_MAX / 2, 1, "5000", T_LONG},
    {"message.max.bytes", K_INT, F(message_max_bytes), 0, 0, INT32_MAX, 1, "1048588", T_INT},
    {"socket.request.max.bytes", K_INT, F(socket_request_max_bytes), 0, 1, INT32_MAX, 1, "104857600", T_INT},
    {"connections.max.idle.ms", K_LONG, F(connections_max_idle_ms), 0, -1, INT64_MAX / 2, 1, "600000",
     T_LONG},
    {"num.network.threads", K_INT, F(num_network_threads), 0, 0, 1024, 1, "0", T_INT},
    {"offsets.topic.num.partitions", K_INT, F(offsets_topic_num_partitions), 0, 1, 1000, 1, "50", T_INT},
    {"offsets.retention.minutes", K_LONG, F(offsets_retention_minutes), 0, 1, INT32_MAX, 1, "10080", T_INT},
    {"group.min.session.timeout.ms", K_INT, F(group_min_session_timeout_ms), 0, 0, INT32_MAX, 1, "6000",
     T_INT},
    {"group.max.session.timeout.ms", K_INT, F(group_max_session_timeout_ms), 0, 0, INT32_MAX, 1, "1800000",
     T_INT},
    {"group.initial.rebalance.delay.ms", K_INT, F(group_initial_rebalance_delay_ms), 0, 0, INT32_MAX, 1,
     "3000", T_INT},
    {"group.max.size", K_INT, F(group_max_size), 0, 1, INT32_MAX, 1, "2147483647", T_INT},
    {"group.consumer.session.timeout.ms", K_INT, F(group_consumer_session_timeout_ms), 0, 1, INT32_MAX, 1,
     "45000", T_INT},
    {"group.consumer.heartbeat.interval.ms", K_INT, F(group_consumer_heartbeat_interval_ms), 0, 1, INT32_MAX,
     1, "5000", T_INT},
    {"offsets.retention.check.interval.ms", K_LONG, F(offsets_retention_check_interval_ms), 0, 1,
     INT64_MAX / 2, 1, "600000", T_LONG},
    {"transaction.state.log.num.partitions", K_INT, F(transaction_state_log_num_partitions), 0, 1, 1000, 1,
     "50", T_INT},
    {"transaction.max.timeout.ms", K_INT, F(transaction_max_timeout_ms), 0, 1, INT32_MAX, 1, "900000", T_INT},
};

#define KEY_COUNT (sizeof keys / sizeof keys[0])
_Static_assert(KEY_COUNT <= GR_BROKER_CONFIG_KEYS_MAX, "raise GR_BROKER_CONFIG_KEYS_MAX");

/* Kafka's groups of broker keys that set one thing in different units (DynamicBrokerConfig's
 * brokerConfigSynonyms): the finest unit wins when several are set. A group is the synonym list
 * of its first `applies` members; log.flush.scheduler.interval.ms is only the fallback of
 * log.flush.interval.ms, not the other way round. */
typedef struct key_group {
    int applies;
    const char *names[4];
} key_group;

static const key_group key_groups[] = {
    {3, {"log.retention.ms", "log.retention.minutes", "log.retention.hours", NULL}},
    {2, {"log.roll.ms", "log.roll.hours", NULL, NULL}},
    {2, {"log.roll.jitter.ms", "log.roll.jitter.hours", NULL, NULL}},
    {1, {"log.flush.interval.ms", "log.flush.scheduler.interval.ms", NULL, NULL}},
};

/* Kafka keys that make sense for a Kafka broker but have no effect here; accepted quietly. */
static const char *const ignored_keys[] = {
    "process.roles",
    "controller.quorum.voters",
    "controller.quorum.bootstrap.servers",
    "controller.listener.names",
    "num.io.threads",
    "socket.send.buffer.bytes",
    "socket.receive.buffer.bytes",
    "num.recovery.threads.per.data.dir",
    "group.initial.rebalance.delay.ms.unused",
    "num.replica.fetchers",
    "share.coordinator.state.topic.replication.factor",
    "share.coordinator.state.topic.min.isr",
    "metadata.log.dir",
};

void gr_broker_config_defaults(gr_broker_config *c) {
    memset(c, 0, sizeof *c);
    c->node_id = 1;
    c->listener_count = gr_parse_listeners("PLAINTEXT://127.0.0.1:9092", c->listeners, GR_LISTENERS_MAX);
    snprintf(c->log_dir, sizeof c->log_dir, "./data");
    c->num_partitions = 1;
    c->default_replication_factor = 1;
    c->auto_create_topics_enable = true;
    c->delete_topic_enable = true;
    c->log_segment_bytes = 1024LL * 1024 * 1024;
    c->log_roll_ms = 7 * DAY_MS;
    c->log_retention_ms = 7 * DAY_MS;
    c->log_retention_bytes = -1;
    c->log_retention_check_interval_ms = 5 * 60 * 1000;
    c->log_cleaner_backoff_ms = 15000;
    c->log_index_interval_bytes = 4096;
    c->message_max_bytes = GR_MESSAGE_MAX_BYTES_DEFAULT;
    c->socket_request_max_bytes = GR_SOCKET_REQUEST_MAX_BYTES_DEFAULT;
    c->connections_max_idle_ms = 600000;
    c->num_network_threads = 0;
    c->offsets_topic_num_partitions = 50;
    c->offsets_retention_minutes = 7 * 24 * 60;
    c->group_min_session_timeout_ms = 6000;
    c->group_max_session_timeout_ms = 1800000;
    c->group_initial_rebalance_delay_ms = 3000;
    c->group_max_size = INT32_MAX;
    c->group_consumer_session_timeout_ms = 45000;
    c->group_consumer_heartbeat_interval_ms = 5000;
    c->offsets_retention_check_interval_ms = 600000;
    c->transaction_state_log_num_partitions = 50;
    c->transaction_max_timeout_ms = 900000;
    c->log_message_timestamp_after_max_ms = 3600000;
    c->log_message_timestamp_before_max_ms = INT64_MAX;
    snprintf(c->log_message_timestamp_type, sizeof c->log_message_timestamp_type, "CreateTime");
    snprintf(c->compression_type, sizeof c->compression_type, "producer");
    snprintf(c->cleanup_policy, sizeof c->cleanup_policy, "delete");
    snprintf(c->listener_security_protocol_map, sizeof c->listener_security_protocol_map, "%s",
             DEFAULT_PROTOCOL_MAP);
    snprintf(c->security_inter_broker_protocol, sizeof c->security_inter_broker_protocol, "PLAINTEXT");
    c->zookeeper_session_timeout_ms = 18000;
    c->min_insync_replicas = 1;
    c->replica_lag_time_max_ms = 30000;
    c->replica_fetch_max_bytes = 1048576;
    c->replica_fetch_response_max_bytes = 10485760;
    c->replica_fetch_wait_max_ms = 500;
    c->replica_fetch_min_bytes = 1;
    c->replica_fetch_backoff_ms = 1000;
    c->replica_socket_timeout_ms = 30000;
    c->offsets_topic_replication_factor = 3;
    c->transaction_state_log_replication_factor = 3;
    c->transaction_state_log_min_isr = 2;
    c->auto_leader_rebalance_enable = true;
    c->leader_imbalance_check_interval_seconds = 300;
    c->leader_imbalance_per_broker_percentage = 10;
    c->controlled_shutdown_enable = true;
    c->controlled_shutdown_max_retries = 3;
    c->controlled_shutdown_retry_backoff_ms = 5000;
}

int gr_parse_listeners(const char *text, gr_listener *out, int max) {
    int n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        if (n == max) return -1;
        const char *end = p + strcspn(p, ",");
        char item[512];
        size_t len = (size_t)(end - p);
        if (len >= sizeof item) return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        char *sep = strstr(item, "://");
        if (!sep || sep == item || (size_t)(sep - item) >= sizeof out[n].name) return -1;
        memcpy(out[n].name, item, (size_t)(sep - item));
        out[n].name[sep - item] = '\0';
        char *hostport = sep + 3;
        char *colon = strrchr(hostport, ':');
        if (!colon) return -1;
        *colon = '\0';
        char *host = hostport;
        if (host[0] == '[') { /* [::1]:9092 */
            host++;
            size_t hl = strlen(host);
            if (!hl || host[hl - 1] != ']') return -1;
            host[hl - 1] = '\0';
        }
        if (strlen(host) >= sizeof out[n].host) return -1;
        snprintf(out[n].host, sizeof out[n].host, "%s", host);
        char *pend;
        errno = 0;
        long port = strtol(colon + 1, &pend, 10);
        if (errno || *pend || port < 0 || port > 65535) return -1;
        out[n].port = (int)port;
        n++;
        p = end;
    }
    return n;
}

void gr_config_format_double(double v, char *out, size_t n) {
    /* Java's Double.toString: the fewest significant digits that read back as v, at least one
     * digit after the point, and scientific notation ("1.0E-4") below 10^-3 and from 10^7. */
    char sci[48];
    int prec;
    for (prec = 1; prec < 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec - 1, v);
        if (strtod(sci, NULL) == v) break;
    }
    snprintf(sci, sizeof sci, "%.*e", prec - 1, v);
    char *e = strchr(sci, 'e');
    int exp = e ? atoi(e + 1) : 0;
    double a = v < 0 ? -v : v;
    if (e && a != 0 && (a < 1e-3 || a >= 1e7)) {
        *e = '\0';
        snprintf(out, n, "%s%sE%d", sci, strchr(sci, '.') ? "" : ".0", exp);
        return;
    }
    int decimals = prec - 1 - exp;
    snprintf(out, n, "%.*f", decimals < 1 ? 1 : decimals, v);
}

static const key_def *find_key(const char *name) {
    for (size_t i = 0; i < KEY_COUNT; i++)
        if (!strcmp(keys[i].name, name)) return &keys[i];
    return NULL;
}

static void mark_static(gr_broker_config *c, const key_def *k, const char *canon) {
    size_t i = (size_t)(k - keys);
    c->static_set[i] = true;
    snprintf(c->static_value[i], sizeof c->static_value[i], "%s", canon);
}

/* Kafka trims values before parsing numbers and booleans. */
static const char *trimmed(const char *v, char *buf, size_t n) {
    while (isspace((unsigned char)*v)) v++;
    snprintf(buf, n, "%s", v);
    size_t len = strlen(buf);
    while (len && isspace((unsigned char)buf[len - 1])) buf[--len] = '\0';
    return buf;
}

static int set_key(gr_broker_config *c, const key_def *k, const char *value) {
    char *base = k->offset == NO_FIELD ? NULL : (char *)c + k->offset;
    char canon[GR_BROKER_CONFIG_VALUE_MAX_BYTES], tbuf[256];
    if (k->type == K_STRING) {
        if (strlen(value) >= k->size) goto bad;
        snprintf(base, k->size, "%s", value);
        /* A list is shown as Kafka joins it: items separated by a bare comma. */
        size_t o = 0;
        for (const char *p = value; *p && o + 1 < sizeof canon; p++)
            if (!(k->config_type == T_LIST && *p == ' ')) canon[o++] = *p;
        canon[o] = '\0';
        mark_static(c, k, canon);
        return 0;
    }
    const char *v = trimmed(value, tbuf, sizeof tbuf);
    if (k->type == K_BOOL) {
        bool b;
        if (!strcasecmp(v, "true"))
            b = true;
        else if (!strcasecmp(v, "false"))
            b = false;
        else
            goto bad;
        if (base) *(bool *)base = b;
        mark_static(c, k, b ? "true" : "false");
        return 0;
    }
    char *end;
    if (k->type == K_DOUBLE) {
        errno = 0;
        double d = strtod(v, &end);
        if (errno || end == v || *end || isnan(d) || d < (double)k->min || d > (double)k->max) goto bad;
        gr_config_format_double(d, canon, sizeof canon);
        mark_static(c, k, canon);
        return 0;
    }
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < k->min || n > k->max) goto bad;
    if (!strcmp(k->name, "compression.gzip.level") && n == 0) goto bad; /* 1..9 or -1 */
    if (n > 0 && k->scale > 1 && n > INT64_MAX / k->scale) goto bad;
    int64_t scaled = n < 0 ? n : n * k->scale;
    if (base) {
        switch (k->type) {
        case K_INT:
            *(int32_t *)base = (int32_t)scaled;
            break;
        case K_SHORT:
            *(int16_t *)base = (int16_t)scaled;
            break;
        default:
            *(int64_t *)base = scaled;
            break;
        }
    }
    snprintf(canon, sizeof canon, "%lld", n);
    mark_static(c, k, canon);
    return 0;
bad:
    fprintf(stderr, "gregor: invalid value '%s' for configuration key '%s'\n", value, k->name);
    return -1;
}

/* Finer-grained keys win over coarser ones (log.retention.ms over .minutes over .hours). */
static const char *const precedence[] = {"log.retention.hours",
                                         "log.retention.minutes",
                                         "log.retention.ms",
                                         "log.roll.hours",
                                         "log.roll.ms",
                                         "broker.id",
                                         "node.id"};

static int bad_value(const char *name, const char *value) {
    fprintf(stderr, "gregor: invalid value '%s' for configuration key '%s'\n", value, name);
    return -1;
}

/* The security protocol listener `name` maps to in listener.security.protocol.map
 * ("NAME:PROTOCOL,..."), copied into out; false when the map does not name it. */
static bool listener_protocol(const gr_broker_config *c, const char *name, char *out, size_t n) {
    const char *p = c->listener_security_protocol_map;
    size_t len = strlen(name);
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *end = p + strcspn(p, ",");
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon && (size_t)(colon - p) == len && !strncasecmp(p, name, len)) {
            const char *v = colon + 1;
            while (*v == ' ') v++;
            size_t vl = (size_t)(end - v);
            while (vl && v[vl - 1] == ' ') vl--;
            snprintf(out, n, "%.*s", (int)vl, v);
            return true;
        }
        p = end;
    }
    return false;
}

static int refuse(const char *key, const char *why, const char *what) {
    fprintf(stderr,
            "gregor: configuration key '%s': %s%s; this broker provides only PLAINTEXT "
            "(no TLS, SASL or ACLs), so it will not start with less protection than asked\n",
            key, why, what);
    return -1;
}

/* Every listener must map to PLAINTEXT, and nothing may ask for authorization: a broker that
 * cannot honour a protection it was asked for refuses to start instead of serving without it. */
static int check_security(const gr_broker_config *c) {
    char protocol[64], what[400];
    for (int adv = 0; adv < 2; adv++) {
        const gr_listener *ls = adv ? c->advertised : c->listeners;
        int n = adv ? c->advertised_count : c->listener_count;
        const char *key = adv ? "advertised.listeners" : "listeners";
        for (int i = 0; i < n; i++) {
            if (!listener_protocol(c, ls[i].name, protocol, sizeof protocol)) {
                snprintf(what, sizeof what, "listener name %s", ls[i].name);
                fprintf(stderr,
                        "gregor: configuration key 'listener.security.protocol.map': no security protocol "
                        "defined for %s (used in %s)\n",
                        what, key);
                return -1;
            }
            if (strcasecmp(protocol, "PLAINTEXT") != 0) {
                snprintf(what, sizeof what, "%s://%s:%d asks for %s", ls[i].name, ls[i].host, ls[i].port,
                         protocol);
                return refuse(key, "listener ", what);
            }
        }
    }
    if (strcasecmp(c->security_inter_broker_protocol, "PLAINTEXT") != 0)
        return refuse("security.inter.broker.protocol", "asks for ", c->security_inter_broker_protocol);
    if (c->inter_broker_listener_name[0] &&
        listener_protocol(c, c->inter_broker_listener_name, protocol, sizeof protocol) &&
        strcasecmp(protocol, "PLAINTEXT") != 0)
        return refuse("inter.broker.listener.name", "asks for ", protocol);
    if (c->authorizer_class_name[0])
        return refuse("authorizer.class.name", "asks for ACL authorization with ", c->authorizer_class_name);
    return 0;
}

/* admin.listeners: "" (off) or one http://host:port. */
static int parse_admin_listener(gr_broker_config *c, const char *value) {
    c->admin_enabled = false;
    if (!value[0]) return 0;
    gr_listener l;
    if (gr_parse_listeners(value, &l, 1) != 1 || strcasecmp(l.name, "http") != 0) return -1;
    c->admin_listener = l;
    c->admin_enabled = true;
    return 0;
}

int gr_broker_config_apply(gr_broker_config *c, const gr_properties *props) {
    for (size_t i = 0; i < sizeof precedence / sizeof precedence[0]; i++) {
        const char *v = gr_properties_get(props, precedence[i]);
        if (v && set_key(c, find_key(precedence[i]), v) != 0) return -1;
    }
    for (size_t i = 0; i < props->count; i++) {
        const char *name = props->items[i].key, *value = props->items[i].value;
        bool handled = false;
        for (size_t j = 0; j < sizeof precedence / sizeof precedence[0]; j++)
            if (!strcmp(name, precedence[j])) handled = true;
        if (handled) continue;
        const key_def *k = find_key(name);
        if (k && k->type != K_SPECIAL) {
            if (set_key(c, k, value) != 0) return -1;
            if (k->offset == NO_FIELD)
                GR_INFO("config", "configuration key '%s' is reported to clients but changes nothing here",
                        name);
            continue;
        }
        if (!strcmp(name, "listeners") || !strcmp(name, "advertised.listeners")) {
            bool adv = name[0] == 'a';
            int n = gr_parse_listeners(value, adv ? c->advertised : c->listeners, GR_LISTENERS_MAX);
            if (n <= 0) return bad_value(name, value);
            if (adv)
                c->advertised_count = n;
            else
                c->listener_count = n;
            mark_static(c, k, "");
            continue;
        }
        if (!strcmp(name, "admin.listeners")) {
            if (parse_admin_listener(c, value) != 0) return bad_value(name, value);
            continue;
        }
        if (!strcmp(name, "log.dirs") || !strcmp(name, "log.dir")) {
            if (!strcmp(name, "log.dir") && gr_properties_get(props, "log.dirs")) continue;
            size_t len = strcspn(value, ",");
            if (len == 0 || len >= sizeof c->log_dir) return bad_value(name, value);
            memcpy(c->log_dir, value, len);
            c->log_dir[len] = '\0';
            if (value[len])
                GR_WARN("config", "log.dirs lists several directories; using only %s", c->log_dir);
            mark_static(c, find_key("log.dirs"), "");
            continue;
        }
        bool ignored = false;
        for (size_t j = 0; j < sizeof ignored_keys / sizeof ignored_keys[0]; j++)
            if (!strcmp(name, ignored_keys[j])) ignored = true;
        if (ignored)
            GR_INFO("config", "ignoring configuration key '%s' (no effect in this broker)", name);
        else
            GR_WARN("config", "unknown configuration key '%s'", name);
    }
    if (strcmp(c->log_message_timestamp_type, "CreateTime") &&
        strcmp(c->log_message_timestamp_type, "LogAppendTime"))
        return bad_value("log.message.timestamp.type", c->log_message_timestamp_type);
    if (c->group_min_session_timeout_ms > c->group_max_session_timeout_ms) {
        fprintf(stderr, "gregor: invalid value for configuration key 'group.min.session.timeout.ms': "
                        "larger than group.max.session.timeout.ms\n");
        return -1;
    }
    if (check_security(c) != 0) return -1;
    /* A single node cannot keep more than one copy: refuse rather than pretend. */
    if (!gr_broker_config_clustered(c) && c->default_replication_factor > 1) {
        fprintf(stderr,
                "gregor: invalid value for configuration key 'default.replication.factor': "
                "%d copies need a cluster (zookeeper.connect)\n",
                c->default_replication_factor);
        return -1;
    }
    if (c->zookeeper_connection_timeout_ms == 0)
        c->zookeeper_connection_timeout_ms = c->zookeeper_session_timeout_ms;
    return 0;
}

static const key_group *group_of(const char *name) {
    for (size_t g = 0; g < sizeof key_groups / sizeof key_groups[0]; g++)
        for (int i = 0; i < key_groups[g].applies; i++)
            if (!strcmp(key_groups[g].names[i], name)) return &key_groups[g];
    return NULL;
}

static const char *static_value(const gr_broker_config *c, const key_def *k) {
    size_t i = (size_t)(k - keys);
    return c->static_set[i] ? c->static_value[i] : NULL;
}

static void add_synonym(gr_config_entry *e, const char *name, const char *value, int source) {
    if (e->synonym_count == GR_CONFIG_SYNONYMS_MAX) return;
    e->synonyms[e->synonym_count++] = (gr_config_synonym){name, value, source};
}

void gr_broker_config_add_synonyms(const gr_broker_config *c, const char *name, gr_config_entry *e) {
    const key_def *k = find_key(name);
    if (!k) return;
    /* Kafka lists the group's static settings, then its defaults, each in the group's order, and
     * drops what comes before `name` itself (so log.retention.hours does not list a static
     * log.retention.ms). */
    const key_group *g = group_of(name);
    const char *one[2] = {name, NULL};
    const char *const *names = g ? g->names : one;
    gr_config_synonym all[2 * 4];
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 4 && names[i]; i++) {
            const key_def *m = find_key(names[i]);
            const char *v = pass == 0 ? static_value(c, m) : m->default_text;
            if (v)
                all[n++] = (gr_config_synonym){
                    m->name, v, pass == 0 ? GR_CONFIG_SOURCE_STATIC_BROKER : GR_CONFIG_SOURCE_DEFAULT};
        }
    }
    int first = 0;
    while (first < n && strcmp(all[first].name, name)) first++;
    for (int i = first; i < n; i++) add_synonym(e, all[i].name, all[i].value, all[i].source);
}

bool gr_broker_config_inherited(const gr_broker_config *c, const char *name, char *out, size_t n) {
    const key_def *k = find_key(name);
    if (!k || k->type == K_SPECIAL) return false;
    if (k->offset != NO_FIELD) { /* the field holds the resolved value, already in the finest unit */
        const char *base = (const char *)c + k->offset;
        switch (k->type) {
        case K_INT:
            snprintf(out, n, "%" PRId32, *(const int32_t *)base);
            break;
        case K_SHORT:
            snprintf(out, n, "%d", *(const int16_t *)base);
            break;
        case K_LONG:
            snprintf(out, n, "%" PRId64, *(const int64_t *)base);
            break;
        case K_BOOL:
            snprintf(out, n, "%s", *(const bool *)base ? "true" : "false");
            break;
        default:
            snprintf(out, n, "%s", base);
            break;
        }
        if (k->config_type == T_LIST) { /* as set_key shows lists */
            size_t o = 0;
            for (size_t i = 0; out[i]; i++)
                if (out[i] != ' ') out[o++] = out[i];
            out[o] = '\0';
        }
        return true;
    }
    /* Only reported keys: the group's first static setting, else its first default. */
    const key_group *g = group_of(name);
    const char *one[2] = {name, NULL};
    const char *const *names = g ? g->names : one;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 4 && names[i]; i++) {
            const key_def *m = find_key(names[i]);
            const char *v = pass == 0 ? static_value(c, m) : m->default_text;
            if (!v) continue;
            if (m->scale == 1 || m->type == K_DOUBLE) {
                snprintf(out, n, "%s", v);
            } else {
                long long x = strtoll(v, NULL, 10);
                snprintf(out, n, "%lld", x < 0 ? x : x * m->scale); /* set_key checked the range */
            }
            return true;
        }
    }
    snprintf(out, n, "%s", "");
    return true;
}

static void listeners_text(const gr_listener *l, int count, char *out, size_t n) {
    out[0] = '\0';
    for (int i = 0; i < count; i++) {
        size_t used = strlen(out);
        bool v6 = strchr(l[i].host, ':') != NULL;
        snprintf(out + used, n - used, "%s%s://%s%s%s:%d", i ? "," : "", l[i].name, v6 ? "[" : "", l[i].host,
                 v6 ? "]" : "", l[i].port);
    }
}

void gr_broker_config_visit(const gr_broker_config *c, gr_config_entry_fn fn, void *ud) {
    gr_config_entry e;
    for (size_t i = 0; i < KEY_COUNT; i++) {
        const key_def *k = &keys[i];
        memset(&e, 0, offsetof(gr_config_entry, value_buf));
        e.value_buf[0] = '\0';
        e.name = k->name;
        e.type = k->config_type;
        e.read_only = true;
        if (k->type == K_SPECIAL || !strcmp(k->name, "node.id") || !strcmp(k->name, "broker.id")) {
            /* Values kept in their parsed form; node.id and broker.id are one setting. */
            bool set = c->static_set[i];
            if (!strcmp(k->name, "listeners")) {
                listeners_text(c->listeners, c->listener_count, e.value_buf, sizeof e.value_buf);
            } else if (!strcmp(k->name, "advertised.listeners")) {
                listeners_text(c->advertised, c->advertised_count, e.value_buf, sizeof e.value_buf);
            } else if (!strcmp(k->name, "log.dirs")) {
                snprintf(e.value_buf, sizeof e.value_buf, "%s", c->log_dir);
            } else {
                set =
                    c->static_set[find_key("node.id") - keys] || c->static_set[find_key("broker.id") - keys];
                snprintf(e.value_buf, sizeof e.value_buf, "%" PRId32, c->node_id);
            }
            bool has_value = set || k->default_text;
            e.value = has_value ? e.value_buf : NULL;
            if (set) add_synonym(&e, k->name, e.value_buf, GR_CONFIG_SOURCE_STATIC_BROKER);
            if (k->default_text) add_synonym(&e, k->name, k->default_text, GR_CONFIG_SOURCE_DEFAULT);
        } else {
            const char *sv = static_value(c, k);
            e.value = sv ? sv : k->default_text;
            gr_broker_config_add_synonyms(c, k->name, &e);
        }
        e.source = e.synonym_count ? e.synonyms[0].source : GR_CONFIG_SOURCE_DEFAULT;
        if (!fn(&e, ud)) return;
    }
}
