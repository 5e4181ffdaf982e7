/* topic_config.c: the table of topic configuration keys (see topic_config.h). */
#include "cluster/topic_config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { V_LONG, V_INT, V_BOOL, V_ENUM, V_ANY, V_RATIO } value_kind;

typedef struct topic_key {
    const char *name;
    value_kind kind;
    int64_t min, max;
    const char *choices; /* V_ENUM: comma separated; cleanup.policy allows a list */
    const char *fixed_default; /* used when the broker has no matching setting */
} topic_key;

static const topic_key topic_keys[] = {
    {"cleanup.policy", V_ENUM, 0, 0, "delete,compact", NULL},
    {"compression.type", V_ENUM, 0, 0, "uncompressed,zstd,lz4,snappy,gzip,producer", NULL},
    {"delete.retention.ms", V_LONG, 0, INT64_MAX, NULL, "86400000"},
    {"file.delete.delay.ms", V_LONG, 0, INT64_MAX, NULL, "60000"},
    {"flush.messages", V_LONG, 1, INT64_MAX, NULL, "9223372036854775807"},
    {"flush.ms", V_LONG, 0, INT64_MAX, NULL, "9223372036854775807"},
    {"index.interval.bytes", V_INT, 0, INT32_MAX, NULL, NULL},
    {"max.compaction.lag.ms", V_LONG, 1, INT64_MAX, NULL, "9223372036854775807"},
    {"max.message.bytes", V_INT, 0, INT32_MAX, NULL, NULL},
    {"message.timestamp.after.max.ms", V_LONG, 0, INT64_MAX, NULL, "9223372036854775807"},
    {"message.timestamp.before.max.ms", V_LONG, 0, INT64_MAX, NULL, "9223372036854775807"},
    {"message.timestamp.type", V_ENUM, 0, 0, "CreateTime,LogAppendTime", NULL},
    {"min.cleanable.dirty.ratio", V_RATIO, 0, 1, NULL, "0.5"},
    {"min.compaction.lag.ms", V_LONG, 0, INT64_MAX, NULL, "0"},
    {"min.insync.replicas", V_INT, 1, INT32_MAX, NULL, "1"},
    {"preallocate", V_BOOL, 0, 1, NULL, "false"},
    {"retention.bytes", V_LONG, -1, INT64_MAX, NULL, NULL},
    {"retention.ms", V_LONG, -1, INT64_MAX, NULL, NULL},
    {"segment.bytes", V_INT, 14, INT32_MAX, NULL, NULL},
    {"segment.index.bytes", V_INT, 4, INT32_MAX, NULL, "10485760"},
    {"segment.jitter.ms", V_LONG, 0, INT64_MAX, NULL, "0"},
    {"segment.ms", V_LONG, 1, INT64_MAX, NULL, NULL},
    {"unclean.leader.election.enable", V_BOOL, 0, 1, NULL, "false"},
    {"message.downconversion.enable", V_BOOL, 0, 1, NULL, "true"},
};

#define TOPIC_KEY_COUNT (sizeof topic_keys / sizeof topic_keys[0])

static const topic_key *find(const char *name) {
    for (size_t i = 0; i < TOPIC_KEY_COUNT; i++)
        if (!strcmp(topic_keys[i].name, name)) return &topic_keys[i];
    return NULL;
}

bool gr_topic_config_known(const char *name) { return find(name) != NULL; }

static bool in_choices(const char *choices, const char *v, size_t vlen) {
    const char *p = choices;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == vlen && !strncmp(p, v, n)) return true;
        p += n;
        if (*p) p++;
    }
    return false;
}

bool gr_topic_config_validate(const char *name, const char *value, const char **why) {
    const topic_key *k = find(name);
    if (!k) {
        *why = "Unknown topic config name";
        return false;
    }
    char *end;
    switch (k->kind) {
    case V_LONG:
    case V_INT: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < k->min || v > k->max) {
            *why = "Invalid value for configuration";
            return false;
        }
        return true;
    }
    case V_RATIO: {
        double d = strtod(value, &end);
        if (end == value || *end || d < 0 || d > 1) {
            *why = "Invalid value for configuration";
            return false;
        }
        return true;
    }
    case V_BOOL:
        if (strcmp(value, "true") && strcmp(value, "false")) {
            *why = "Invalid value for configuration: expected true or false";
            return false;
        }
        return true;
    case V_ENUM: {
        /* cleanup.policy takes a list such as "compact,delete". */
        const char *p = value;
        bool list = !strcmp(name, "cleanup.policy");
        if (!*p) goto bad_enum;
        while (*p) {
            size_t n = list ? strcspn(p, ",") : strlen(p);
            while (n && p[0] == ' ') p++, n--;
            if (!in_choices(k->choices, p, n)) goto bad_enum;
            p += n;
            if (*p) p++;
        }
        return true;
    bad_enum:
        *why = "Invalid value for configuration";
        return false;
    }
    default: return true;
    }
}

/* The broker's value for a topic key, and whether the broker's own default is in force. */
static void broker_value(const gr_broker_config *b, const topic_key *k, char *out, size_t n, int *source) {
    gr_broker_config d;
    gr_broker_config_defaults(&d);
    *source = GR_CONFIG_SOURCE_DEFAULT;
#define FROM(field, fmt)                                                                                \
    do {                                                                                                \
        snprintf(out, n, fmt, b->field);                                                                \
        if (b->field != d.field) *source = GR_CONFIG_SOURCE_STATIC_BROKER;                               \
        return;                                                                                         \
    } while (0)
    if (!strcmp(k->name, "retention.ms")) FROM(log_retention_ms, "%" PRId64);
    if (!strcmp(k->name, "retention.bytes")) FROM(log_retention_bytes, "%" PRId64);
    if (!strcmp(k->name, "segment.bytes")) FROM(log_segment_bytes, "%" PRId64);
    if (!strcmp(k->name, "segment.ms")) FROM(log_roll_ms, "%" PRId64);
    if (!strcmp(k->name, "max.message.bytes")) FROM(message_max_bytes, "%" PRId32);
    if (!strcmp(k->name, "index.interval.bytes")) FROM(log_index_interval_bytes, "%" PRId32);
#undef FROM
    const char *s = NULL, *ds = NULL;
    if (!strcmp(k->name, "cleanup.policy")) s = b->cleanup_policy, ds = d.cleanup_policy;
    if (!strcmp(k->name, "compression.type")) s = b->compression_type, ds = d.compression_type;
    if (!strcmp(k->name, "message.timestamp.type")) s = b->log_message_timestamp_type, ds = d.log_message_timestamp_type;
    if (s) {
        snprintf(out, n, "%s", s);
        if (strcmp(s, ds)) *source = GR_CONFIG_SOURCE_STATIC_BROKER;
        return;
    }
    snprintf(out, n, "%s", k->fixed_default ? k->fixed_default : "");
}

void gr_topic_config_visit(const gr_broker_config *broker, const gr_properties *topic, gr_topic_config_visit_fn fn,
                           void *ud) {
    char value[256];
    for (size_t i = 0; i < TOPIC_KEY_COUNT; i++) {
        const topic_key *k = &topic_keys[i];
        const char *set = topic ? gr_properties_get(topic, k->name) : NULL;
        int source;
        if (set) {
            snprintf(value, sizeof value, "%s", set);
            source = GR_CONFIG_SOURCE_DYNAMIC_TOPIC;
        } else {
            broker_value(broker, k, value, sizeof value, &source);
        }
        if (!fn(k->name, value, source, false, false, ud)) return;
    }
}

static int64_t get_long(const gr_properties *t, const char *name, int64_t fallback) {
    const char *v = t ? gr_properties_get(t, name) : NULL;
    return v ? strtoll(v, NULL, 10) : fallback;
}

void gr_topic_config_to_log(const gr_broker_config *b, const gr_properties *t, gr_log_config *out) {
    gr_log_config_defaults(out);
    out->segment_bytes = get_long(t, "segment.bytes", b->log_segment_bytes);
    out->roll_ms = get_long(t, "segment.ms", b->log_roll_ms);
    out->retention_ms = get_long(t, "retention.ms", b->log_retention_ms);
    out->retention_bytes = get_long(t, "retention.bytes", b->log_retention_bytes);
    out->index_interval_bytes = (int32_t)get_long(t, "index.interval.bytes", b->log_index_interval_bytes);
    out->max_message_bytes = (int32_t)get_long(t, "max.message.bytes", b->message_max_bytes);
    const char *tt = t ? gr_properties_get(t, "message.timestamp.type") : NULL;
    out->log_append_time = !strcmp(tt ? tt : b->log_message_timestamp_type, "LogAppendTime");
}
