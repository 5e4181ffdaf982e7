/* topic_config.c: the table of topic configuration keys (see topic_config.h). */
#include "cluster/topic_config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WHY_MAX_BYTES 640
#define VALUE_MAX_BYTES 1024 /* a topic key's value; AlterConfigs refuses longer ones */

typedef enum {
    V_LONG,
    V_INT,
    V_BOOL,
    V_DOUBLE,
    V_ENUM,      /* one of `choices` */
    V_ENUM_LIST, /* a comma-separated list of `choices`, possibly empty (cleanup.policy) */
    V_REPLICAS,  /* "*" or partition:broker pairs (the replication throttles) */
    V_GZIP_LEVEL /* 1..9 or -1 */
} value_kind;

typedef struct topic_key {
    const char *name;
    value_kind kind;
    int64_t min, max;
    const char *choices;       /* V_ENUM, V_ENUM_LIST: comma separated */
    const char *broker_key;    /* Kafka's "server default property"; NULL: none */
    const char *default_value; /* when there is no broker key */
    int type;                  /* GR_CONFIG_TYPE_* */
} topic_key;

/* Kafka 4.x's topic keys with its bounds. Keys about replication, compaction and tiered storage
 * are accepted and reported without effect on a single node that neither compacts nor tiers;
 * remote.storage.enable=true is refused as Kafka refuses it on a broker without tiered storage. */
static const topic_key topic_keys[] = {
    {"cleanup.policy", V_ENUM_LIST, 0, 0, "compact,delete", "log.cleanup.policy", NULL, GR_CONFIG_TYPE_LIST},
    {"compression.gzip.level", V_GZIP_LEVEL, -1, 9, NULL, "compression.gzip.level", NULL, GR_CONFIG_TYPE_INT},
    {"compression.lz4.level", V_INT, 1, 17, NULL, "compression.lz4.level", NULL, GR_CONFIG_TYPE_INT},
    {"compression.type", V_ENUM, 0, 0, "uncompressed,zstd,lz4,snappy,gzip,producer", "compression.type", NULL,
     GR_CONFIG_TYPE_STRING},
    {"compression.zstd.level", V_INT, -131072, 22, NULL, "compression.zstd.level", NULL, GR_CONFIG_TYPE_INT},
    {"delete.retention.ms", V_LONG, 0, INT64_MAX, NULL, "log.cleaner.delete.retention.ms", NULL,
     GR_CONFIG_TYPE_LONG},
    {"file.delete.delay.ms", V_LONG, 0, INT64_MAX, NULL, "log.segment.delete.delay.ms", NULL,
     GR_CONFIG_TYPE_LONG},
    {"flush.messages", V_LONG, 1, INT64_MAX, NULL, "log.flush.interval.messages", NULL, GR_CONFIG_TYPE_LONG},
    {"flush.ms", V_LONG, 0, INT64_MAX, NULL, "log.flush.interval.ms", NULL, GR_CONFIG_TYPE_LONG},
    {"follower.replication.throttled.replicas", V_REPLICAS, 0, 0, NULL, NULL, "", GR_CONFIG_TYPE_LIST},
    {"index.interval.bytes", V_INT, 0, INT32_MAX, NULL, "log.index.interval.bytes", NULL, GR_CONFIG_TYPE_INT},
    {"leader.replication.throttled.replicas", V_REPLICAS, 0, 0, NULL, NULL, "", GR_CONFIG_TYPE_LIST},
    {"local.retention.bytes", V_LONG, -2, INT64_MAX, NULL, "log.local.retention.bytes", NULL,
     GR_CONFIG_TYPE_LONG},
    {"local.retention.ms", V_LONG, -2, INT64_MAX, NULL, "log.local.retention.ms", NULL, GR_CONFIG_TYPE_LONG},
    {"max.compaction.lag.ms", V_LONG, 1, INT64_MAX, NULL, "log.cleaner.max.compaction.lag.ms", NULL,
     GR_CONFIG_TYPE_LONG},
    {"max.message.bytes", V_INT, 0, INT32_MAX, NULL, "message.max.bytes", NULL, GR_CONFIG_TYPE_INT},
    {"message.timestamp.after.max.ms", V_LONG, 0, INT64_MAX, NULL, "log.message.timestamp.after.max.ms", NULL,
     GR_CONFIG_TYPE_LONG},
    {"message.timestamp.before.max.ms", V_LONG, 0, INT64_MAX, NULL, "log.message.timestamp.before.max.ms",
     NULL, GR_CONFIG_TYPE_LONG},
    {"message.timestamp.type", V_ENUM, 0, 0, "CreateTime,LogAppendTime", "log.message.timestamp.type", NULL,
     GR_CONFIG_TYPE_STRING},
    {"min.cleanable.dirty.ratio", V_DOUBLE, 0, 1, NULL, "log.cleaner.min.cleanable.ratio", NULL,
     GR_CONFIG_TYPE_DOUBLE},
    {"min.compaction.lag.ms", V_LONG, 0, INT64_MAX, NULL, "log.cleaner.min.compaction.lag.ms", NULL,
     GR_CONFIG_TYPE_LONG},
    {"min.insync.replicas", V_INT, 1, INT32_MAX, NULL, "min.insync.replicas", NULL, GR_CONFIG_TYPE_INT},
    {"preallocate", V_BOOL, 0, 1, NULL, "log.preallocate", NULL, GR_CONFIG_TYPE_BOOLEAN},
    {"remote.log.copy.disable", V_BOOL, 0, 1, NULL, NULL, "false", GR_CONFIG_TYPE_BOOLEAN},
    {"remote.log.delete.on.disable", V_BOOL, 0, 1, NULL, NULL, "false", GR_CONFIG_TYPE_BOOLEAN},
    {"remote.storage.enable", V_BOOL, 0, 1, NULL, NULL, "false", GR_CONFIG_TYPE_BOOLEAN},
    {"retention.bytes", V_LONG, INT64_MIN, INT64_MAX, NULL, "log.retention.bytes", NULL, GR_CONFIG_TYPE_LONG},
    {"retention.ms", V_LONG, -1, INT64_MAX, NULL, "log.retention.ms", NULL, GR_CONFIG_TYPE_LONG},
    {"segment.bytes", V_INT, 1048576, INT32_MAX, NULL, "log.segment.bytes", NULL, GR_CONFIG_TYPE_INT},
    {"segment.index.bytes", V_INT, 4, INT32_MAX, NULL, "log.index.size.max.bytes", NULL, GR_CONFIG_TYPE_INT},
    {"segment.jitter.ms", V_LONG, 0, INT64_MAX, NULL, "log.roll.jitter.ms", NULL, GR_CONFIG_TYPE_LONG},
    {"segment.ms", V_LONG, 1, INT64_MAX, NULL, "log.roll.ms", NULL, GR_CONFIG_TYPE_LONG},
    {"unclean.leader.election.enable", V_BOOL, 0, 1, NULL, "unclean.leader.election.enable", NULL,
     GR_CONFIG_TYPE_BOOLEAN},
};

#define TOPIC_KEY_COUNT (sizeof topic_keys / sizeof topic_keys[0])

static const topic_key *find(const char *name) {
    for (size_t i = 0; i < TOPIC_KEY_COUNT; i++)
        if (!strcmp(topic_keys[i].name, name)) return &topic_keys[i];
    return NULL;
}

bool gr_topic_config_known(const char *name) { return find(name) != NULL; }

/* Kafka's messages name the value and the key, so they are built per call. */
static _Thread_local char why_buf[WHY_MAX_BYTES];

static bool refuse(const char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool refuse(const char **why, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why_buf, sizeof why_buf, fmt, ap);
    va_end(ap);
    *why = why_buf;
    return false;
}

/* Splits a comma-separated list the way Kafka's LIST type does: items trimmed; an empty or
 * all-blank value is the empty list. Calls item() on each; stops at the first false. */
static bool each_item(const char *value, bool (*item)(const char *p, size_t n, void *ud), void *ud) {
    const char *p = value;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return true;
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && isspace((unsigned char)*s)) s++;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        if (!item(s, (size_t)(e - s), ud)) return false;
        if (!p[n]) return true;
        p += n + 1;
    }
}

typedef struct list_ctx {
    const topic_key *k;
    char *canon;
    size_t cap, used;
    const char *bad; /* first refused item */
    size_t bad_len;
    int items;
} list_ctx;

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

/* A throttled replica: digits ':' digits. */
static bool replica_item(const char *p, size_t n) {
    size_t i = 0, a = 0, b = 0;
    while (i < n && isdigit((unsigned char)p[i])) i++, a++;
    if (i == n || p[i] != ':') return false;
    i++;
    while (i < n && isdigit((unsigned char)p[i])) i++, b++;
    return i == n && a > 0 && b > 0;
}

static bool list_item(const char *p, size_t n, void *ud) {
    list_ctx *c = ud;
    bool ok = c->k->kind == V_REPLICAS ? (n == 1 && p[0] == '*') || replica_item(p, n)
                                       : in_choices(c->k->choices, p, n);
    if (!ok) {
        c->bad = p;
        c->bad_len = n;
        return false;
    }
    int w = snprintf(c->canon + c->used, c->cap - c->used, "%s%.*s", c->items ? "," : "", (int)n, p);
    if (w > 0) c->used += (size_t)w < c->cap - c->used ? (size_t)w : c->cap - c->used - 1;
    c->items++;
    return true;
}

/* Kafka prints a list value as [a, b] in its messages. */
static void list_text(const char *value, char *out, size_t n) {
    size_t used = snprintf(out, n, "[");
    const char *p = value;
    while (isspace((unsigned char)*p)) p++;
    bool first = true;
    while (*p && used + 1 < n) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && isspace((unsigned char)*s)) s++;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        used += (size_t)snprintf(out + used, n - used, "%s%.*s", first ? "" : ", ", (int)(e - s), s);
        first = false;
        if (!p[len]) break;
        p += len + 1;
    }
    if (used + 1 < n) snprintf(out + used, n - used, "]");
}

static void choices_text(const char *choices, char *out, size_t n) {
    size_t o = 0;
    for (const char *p = choices; *p && o + 3 < n; p++) {
        out[o++] = *p;
        if (*p == ',') out[o++] = ' ';
    }
    out[o] = '\0';
}

bool gr_topic_config_check(const char *name, const char *value, char *canon, size_t n, const char **why) {
    const topic_key *k = find(name);
    if (!k) return refuse(why, "Unknown topic config name: %s", name);
    char t[VALUE_MAX_BYTES]; /* Kafka trims numbers and booleans before parsing them */
    const char *s = value;
    while (isspace((unsigned char)*s)) s++;
    snprintf(t, sizeof t, "%s", s);
    size_t tl = strlen(t);
    while (tl && isspace((unsigned char)t[tl - 1])) t[--tl] = '\0';
    char *end;
    switch (k->kind) {
    case V_LONG:
    case V_INT:
    case V_GZIP_LEVEL: {
        errno = 0;
        long long v = strtoll(t, &end, 10);
        bool is_int = k->kind != V_LONG;
        if (errno || end == t || *end || (is_int && (v < INT32_MIN || v > INT32_MAX)))
            return refuse(why, "Invalid value %s for configuration %s: Not a number of type %s", value, name,
                          is_int ? "INT" : "LONG");
        if (k->kind == V_GZIP_LEVEL && !(v == -1 || (v >= 1 && v <= 9)))
            return refuse(
                why, "Invalid value %s for configuration %s: Value must be between 1 and 9 or equal to -1",
                value, name);
        if (v < k->min)
            return refuse(why, "Invalid value %s for configuration %s: Value must be at least %" PRId64,
                          value, name, k->min);
        if (v > k->max)
            return refuse(why, "Invalid value %s for configuration %s: Value must be no more than %" PRId64,
                          value, name, k->max);
        snprintf(canon, n, "%lld", v);
        return true;
    }
    case V_DOUBLE: {
        errno = 0;
        double d = strtod(t, &end);
        if (errno || end == t || *end || isnan(d))
            return refuse(why, "Invalid value %s for configuration %s: Not a number of type DOUBLE", value,
                          name);
        if (d < (double)k->min)
            return refuse(why, "Invalid value %s for configuration %s: Value must be at least %" PRId64,
                          value, name, k->min);
        if (d > (double)k->max)
            return refuse(why, "Invalid value %s for configuration %s: Value must be no more than %" PRId64,
                          value, name, k->max);
        gr_config_format_double(d, canon, n);
        return true;
    }
    case V_BOOL: {
        bool b = !strcasecmp(t, "true");
        if (!b && strcasecmp(t, "false"))
            return refuse(why,
                          "Invalid value %s for configuration %s: Expected value to be either true or false",
                          value, name);
        if (b && !strcmp(name, "remote.storage.enable"))
            return refuse(
                why, "Tiered Storage functionality is disabled in the broker. Topic cannot be configured "
                     "with remote log storage.");
        snprintf(canon, n, "%s", b ? "true" : "false");
        return true;
    }
    case V_ENUM: {
        if (!in_choices(k->choices, t, strlen(t))) {
            char list[256];
            choices_text(k->choices, list, sizeof list);
            return refuse(why, "Invalid value %s for configuration %s: String must be one of: %s", value,
                          name, list);
        }
        snprintf(canon, n, "%s", t);
        return true;
    }
    case V_ENUM_LIST:
    case V_REPLICAS: {
        if (n) canon[0] = '\0';
        list_ctx c = {k, canon, n, 0, NULL, 0, 0};
        if (each_item(value, list_item, &c)) return true;
        if (k->kind == V_REPLICAS) {
            char shown[VALUE_MAX_BYTES + 64];
            list_text(value, shown, sizeof shown);
            return refuse(
                why,
                "Invalid value %s for configuration %s: %s must be the literal '*' or a list of replicas in "
                "the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
                shown, name, name);
        }
        char list[256];
        choices_text(k->choices, list, sizeof list);
        return refuse(why, "Invalid value %.*s for configuration %s: String must be one of: %s",
                      (int)c.bad_len, c.bad, name, list);
    }
    }
    return refuse(why, "Unknown topic config name: %s", name);
}

bool gr_topic_config_validate(const char *name, const char *value, const char **why) {
    char canon[VALUE_MAX_BYTES];
    return gr_topic_config_check(name, value, canon, sizeof canon, why);
}

/* What a topic key is when the topic does not set it: inherited from the broker key, or fixed. */
static void inherited(const gr_broker_config *b, const topic_key *k, char *out, size_t n) {
    if (!k->broker_key || !gr_broker_config_inherited(b, k->broker_key, out, n))
        snprintf(out, n, "%s", k->default_value ? k->default_value : "");
}

void gr_topic_config_visit(const gr_broker_config *broker, const gr_properties *topic,
                           gr_topic_config_visit_fn fn, void *ud) {
    gr_config_entry e;
    for (size_t i = 0; i < TOPIC_KEY_COUNT; i++) {
        const topic_key *k = &topic_keys[i];
        memset(&e, 0, offsetof(gr_config_entry, value_buf));
        e.name = k->name;
        e.type = k->type;
        e.read_only = false;
        /* Kafka's chain: the topic's own setting, then the broker key's static setting and
         * default (ConfigHelper.createTopicConfigEntry); the first one is the source. */
        const char *set = topic ? gr_properties_get(topic, k->name) : NULL;
        if (set) {
            e.value = set;
            e.synonyms[e.synonym_count++] = (gr_config_synonym){k->name, set, GR_CONFIG_SOURCE_DYNAMIC_TOPIC};
        } else {
            inherited(broker, k, e.value_buf, sizeof e.value_buf);
            e.value = e.value_buf;
        }
        if (k->broker_key) gr_broker_config_add_synonyms(broker, k->broker_key, &e);
        e.source = e.synonym_count ? e.synonyms[0].source : GR_CONFIG_SOURCE_DEFAULT;
        if (!fn(&e, ud)) return;
    }
}

int gr_topic_config_type(const char *name) {
    const topic_key *k = find(name);
    return k ? k->type : 0;
}

void gr_topic_config_effective(const gr_broker_config *b, const gr_properties *t, const char *name, char *out,
                               size_t n) {
    const char *v = t ? gr_properties_get(t, name) : NULL;
    const topic_key *k = find(name);
    if (v)
        snprintf(out, n, "%s", v);
    else if (k)
        inherited(b, k, out, n);
    else
        snprintf(out, n, "%s", "");
}

static int64_t effective_long(const gr_broker_config *b, const gr_properties *t, const char *name) {
    char v[64];
    gr_topic_config_effective(b, t, name, v, sizeof v);
    return strtoll(v, NULL, 10);
}

void gr_topic_config_to_log(const gr_broker_config *b, const gr_properties *t, gr_log_config *out) {
    gr_log_config_defaults(out);
    out->segment_bytes = effective_long(b, t, "segment.bytes");
    out->roll_ms = effective_long(b, t, "segment.ms");
    out->retention_ms = effective_long(b, t, "retention.ms");
    out->retention_bytes = effective_long(b, t, "retention.bytes");
    out->index_interval_bytes = (int32_t)effective_long(b, t, "index.interval.bytes");
    out->max_message_bytes = (int32_t)effective_long(b, t, "max.message.bytes");
    out->timestamp_after_max_ms = effective_long(b, t, "message.timestamp.after.max.ms");
    out->timestamp_before_max_ms = effective_long(b, t, "message.timestamp.before.max.ms");
    char v[VALUE_MAX_BYTES];
    gr_topic_config_effective(b, t, "message.timestamp.type", v, sizeof v);
    out->log_append_time = !strcmp(v, "LogAppendTime");
    /* Retention by time and size is part of the "delete" policy: a compact-only topic (or one with
     * no policy at all) keeps its segments, as in Kafka. */
    gr_topic_config_effective(b, t, "cleanup.policy", v, sizeof v);
    bool del = false;
    for (char *save = NULL, *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (!strcmp(tok, "delete")) del = true;
    if (!del) out->retention_ms = out->retention_bytes = -1;
}
