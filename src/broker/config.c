/* config.c: the table of broker configuration keys (see config.h). */
#include "broker/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"

typedef enum { K_INT, K_LONG, K_BOOL, K_STRING, K_SHORT } key_type;

typedef struct key_def {
    const char *name;
    key_type type;
    size_t offset;
    size_t size; /* strings: buffer size */
    int64_t min, max;
    int64_t scale; /* value in file * scale = stored value (hours -> ms) */
} key_def;

#define F(field) offsetof(gr_broker_config, field)
#define S(field) sizeof(((gr_broker_config *)0)->field)
#define DAY_MS (24LL * 3600 * 1000)

static const key_def keys[] = {
    {"node.id", K_INT, F(node_id), 0, 0, INT32_MAX, 1},
    {"broker.id", K_INT, F(node_id), 0, 0, INT32_MAX, 1},
    {"num.partitions", K_INT, F(num_partitions), 0, 1, GR_PARTITIONS_PER_TOPIC_MAX, 1},
    {"default.replication.factor", K_SHORT, F(default_replication_factor), 0, 1, 1, 1},
    {"auto.create.topics.enable", K_BOOL, F(auto_create_topics_enable), 0, 0, 1, 1},
    {"delete.topic.enable", K_BOOL, F(delete_topic_enable), 0, 0, 1, 1},
    {"log.segment.bytes", K_LONG, F(log_segment_bytes), 0, 14, INT32_MAX, 1},
    {"log.roll.hours", K_LONG, F(log_roll_ms), 0, 1, INT32_MAX, 3600 * 1000},
    {"log.roll.ms", K_LONG, F(log_roll_ms), 0, 1, INT64_MAX / 2, 1},
    {"log.retention.hours", K_LONG, F(log_retention_ms), 0, -1, INT32_MAX, 3600 * 1000},
    {"log.retention.minutes", K_LONG, F(log_retention_ms), 0, -1, INT32_MAX, 60 * 1000},
    {"log.retention.ms", K_LONG, F(log_retention_ms), 0, -1, INT64_MAX / 2, 1},
    {"log.retention.bytes", K_LONG, F(log_retention_bytes), 0, -1, INT64_MAX / 2, 1},
    {"log.retention.check.interval.ms", K_LONG, F(log_retention_check_interval_ms), 0, 1, INT64_MAX / 2, 1},
    {"log.index.interval.bytes", K_INT, F(log_index_interval_bytes), 0, 0, INT32_MAX, 1},
    {"message.max.bytes", K_INT, F(message_max_bytes), 0, 0, INT32_MAX, 1},
    {"socket.request.max.bytes", K_INT, F(socket_request_max_bytes), 0, 1, INT32_MAX, 1},
    {"connections.max.idle.ms", K_LONG, F(connections_max_idle_ms), 0, -1, INT64_MAX / 2, 1},
    {"num.network.threads", K_INT, F(num_network_threads), 0, 0, 1024, 1},
    {"offsets.topic.num.partitions", K_INT, F(offsets_topic_num_partitions), 0, 1, 1000, 1},
    {"offsets.retention.minutes", K_LONG, F(offsets_retention_minutes), 0, 1, INT32_MAX, 1},
    {"group.min.session.timeout.ms", K_INT, F(group_min_session_timeout_ms), 0, 0, INT32_MAX, 1},
    {"group.max.session.timeout.ms", K_INT, F(group_max_session_timeout_ms), 0, 0, INT32_MAX, 1},
    {"group.initial.rebalance.delay.ms", K_INT, F(group_initial_rebalance_delay_ms), 0, 0, INT32_MAX, 1},
    {"group.max.size", K_INT, F(group_max_size), 0, 1, INT32_MAX, 1},
    {"group.consumer.session.timeout.ms", K_INT, F(group_consumer_session_timeout_ms), 0, 1, INT32_MAX, 1},
    {"group.consumer.heartbeat.interval.ms", K_INT, F(group_consumer_heartbeat_interval_ms), 0, 1, INT32_MAX, 1},
    {"offsets.retention.check.interval.ms", K_LONG, F(offsets_retention_check_interval_ms), 0, 1, INT64_MAX / 2, 1},
    {"transaction.state.log.num.partitions", K_INT, F(transaction_state_log_num_partitions), 0, 1, 1000, 1},
    {"transaction.max.timeout.ms", K_INT, F(transaction_max_timeout_ms), 0, 1, INT32_MAX, 1},
    {"log.message.timestamp.type", K_STRING, F(log_message_timestamp_type), S(log_message_timestamp_type), 0, 0, 1},
    {"compression.type", K_STRING, F(compression_type), S(compression_type), 0, 0, 1},
    {"log.cleanup.policy", K_STRING, F(cleanup_policy), S(cleanup_policy), 0, 0, 1},
};

/* Kafka keys that make sense for a Kafka broker but have no effect here; accepted quietly. */
static const char *const ignored_keys[] = {
    "process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
    "controller.listener.names", "inter.broker.listener.name", "listener.security.protocol.map",
    "num.io.threads", "socket.send.buffer.bytes", "socket.receive.buffer.bytes",
    "num.recovery.threads.per.data.dir", "offsets.topic.replication.factor",
    "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
    "log.flush.interval.messages", "log.flush.interval.ms", "zookeeper.connect",
    "zookeeper.connection.timeout.ms", "group.initial.rebalance.delay.ms.unused", "min.insync.replicas",
    "unclean.leader.election.enable", "auto.leader.rebalance.enable", "num.replica.fetchers",
    "share.coordinator.state.topic.replication.factor", "share.coordinator.state.topic.min.isr",
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
    snprintf(c->log_message_timestamp_type, sizeof c->log_message_timestamp_type, "CreateTime");
    snprintf(c->compression_type, sizeof c->compression_type, "producer");
    snprintf(c->cleanup_policy, sizeof c->cleanup_policy, "delete");
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

static int set_key(gr_broker_config *c, const key_def *k, const char *value) {
    char *base = (char *)c + k->offset;
    if (k->type == K_STRING) {
        if (strlen(value) >= k->size) goto bad;
        snprintf(base, k->size, "%s", value);
        return 0;
    }
    if (k->type == K_BOOL) {
        if (!strcmp(value, "true"))
            *(bool *)base = true;
        else if (!strcmp(value, "false"))
            *(bool *)base = false;
        else
            goto bad;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < k->min || v > k->max) goto bad;
    if (v > 0 && k->scale > 1 && v > INT64_MAX / k->scale) goto bad;
    int64_t scaled = v < 0 ? v : v * k->scale;
    switch (k->type) {
    case K_INT: *(int32_t *)base = (int32_t)scaled; break;
    case K_SHORT: *(int16_t *)base = (int16_t)scaled; break;
    default: *(int64_t *)base = scaled; break;
    }
    return 0;
bad:
    fprintf(stderr, "gregor: invalid value '%s' for configuration key '%s'\n", value, k->name);
    return -1;
}

static const key_def *find_key(const char *name) {
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].name, name)) return &keys[i];
    return NULL;
}

/* Finer-grained keys win over coarser ones (log.retention.ms over .minutes over .hours). */
static const char *const precedence[] = {"log.retention.hours", "log.retention.minutes", "log.retention.ms",
                                         "log.roll.hours", "log.roll.ms", "broker.id", "node.id"};

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
        if (k) {
            if (set_key(c, k, value) != 0) return -1;
            continue;
        }
        if (!strcmp(name, "listeners") || !strcmp(name, "advertised.listeners")) {
            bool adv = name[0] == 'a';
            int n = gr_parse_listeners(value, adv ? c->advertised : c->listeners, GR_LISTENERS_MAX);
            if (n <= 0) {
                fprintf(stderr, "gregor: invalid value '%s' for configuration key '%s'\n", value, name);
                return -1;
            }
            if (adv)
                c->advertised_count = n;
            else
                c->listener_count = n;
            continue;
        }
        if (!strcmp(name, "log.dirs") || !strcmp(name, "log.dir")) {
            if (!strcmp(name, "log.dir") && gr_properties_get(props, "log.dirs")) continue;
            size_t len = strcspn(value, ",");
            if (len == 0 || len >= sizeof c->log_dir) {
                fprintf(stderr, "gregor: invalid value '%s' for configuration key '%s'\n", value, name);
                return -1;
            }
            memcpy(c->log_dir, value, len);
            c->log_dir[len] = '\0';
            if (value[len]) GR_WARN("config", "log.dirs lists several directories; using only %s", c->log_dir);
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
    if (strcmp(c->log_message_timestamp_type, "CreateTime") && strcmp(c->log_message_timestamp_type, "LogAppendTime")) {
        fprintf(stderr, "gregor: invalid value '%s' for configuration key 'log.message.timestamp.type'\n",
                c->log_message_timestamp_type);
        return -1;
    }
    if (c->group_min_session_timeout_ms > c->group_max_session_timeout_ms) {
        fprintf(stderr, "gregor: invalid value for configuration key 'group.min.session.timeout.ms': "
                        "larger than group.max.session.timeout.ms\n");
        return -1;
    }
    return 0;
}

void gr_broker_config_visit(const gr_broker_config *c, gr_config_visit_fn fn, void *ud) {
    gr_broker_config d;
    gr_broker_config_defaults(&d);
    char value[1200];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const key_def *k = &keys[i];
        if (k->scale != 1) continue; /* coarse aliases are shown through their ms form */
        const char *base = (const char *)c + k->offset;
        const char *dbase = (const char *)&d + k->offset;
        bool is_default;
        switch (k->type) {
        case K_INT:
            snprintf(value, sizeof value, "%" PRId32, *(const int32_t *)base);
            is_default = *(const int32_t *)base == *(const int32_t *)dbase;
            break;
        case K_SHORT:
            snprintf(value, sizeof value, "%d", *(const int16_t *)base);
            is_default = *(const int16_t *)base == *(const int16_t *)dbase;
            break;
        case K_LONG:
            snprintf(value, sizeof value, "%" PRId64, *(const int64_t *)base);
            is_default = *(const int64_t *)base == *(const int64_t *)dbase;
            break;
        case K_BOOL:
            snprintf(value, sizeof value, "%s", *(const bool *)base ? "true" : "false");
            is_default = *(const bool *)base == *(const bool *)dbase;
            break;
        default:
            snprintf(value, sizeof value, "%s", base);
            is_default = !strcmp(base, dbase);
            break;
        }
        if (!strcmp(k->name, "broker.id")) continue;
        if (!fn(k->name, value, is_default, ud)) return;
    }
    snprintf(value, sizeof value, "%s", c->log_dir);
    fn("log.dirs", value, false, ud);
}
