/* zk_layout.c: Kafka's znode paths and JSON documents (see zk_layout.h). */
#include "cluster/zk_layout.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_reader.h"
#include "base/limits.h"
#include "cluster/topics.h"

const char *const gr_zkl_persistent_paths[] = {
    "/consumers",          "/brokers",          "/brokers/ids",
    "/brokers/topics",     "/brokers/seqid",    "/config",
    "/config/changes",     "/config/clients",   "/config/brokers",
    "/config/topics",      "/config/users",     "/config/ips",
    "/admin",              "/admin/delete_topics", "/isr_change_notification",
    "/log_dir_event_notification", "/cluster",
};
const int gr_zkl_persistent_path_count = (int)(sizeof gr_zkl_persistent_paths / sizeof gr_zkl_persistent_paths[0]);

/* ---- paths ---- */

static bool path_fmt(char *out, size_t cap, int n) { return n > 0 && (size_t)n < cap; }

bool gr_zkl_broker_path(char *out, size_t cap, int32_t id) {
    return path_fmt(out, cap, snprintf(out, cap, GR_ZKL_BROKER_IDS "/%d", id));
}
bool gr_zkl_topic_path(char *out, size_t cap, const char *topic) {
    return path_fmt(out, cap, snprintf(out, cap, GR_ZKL_TOPICS "/%s", topic));
}
bool gr_zkl_partitions_path(char *out, size_t cap, const char *topic) {
    return path_fmt(out, cap, snprintf(out, cap, GR_ZKL_TOPICS "/%s/partitions", topic));
}
bool gr_zkl_partition_path(char *out, size_t cap, const char *topic, int32_t partition) {
    return path_fmt(out, cap, snprintf(out, cap, GR_ZKL_TOPICS "/%s/partitions/%d", topic, partition));
}
bool gr_zkl_state_path(char *out, size_t cap, const char *topic, int32_t partition) {
    return path_fmt(out, cap, snprintf(out, cap, GR_ZKL_TOPICS "/%s/partitions/%d/state", topic, partition));
}
bool gr_zkl_topic_config_path(char *out, size_t cap, const char *topic) {
    return path_fmt(out, cap, snprintf(out, cap, GR_ZKL_CONFIG_TOPICS "/%s", topic));
}
bool gr_zkl_delete_topic_path(char *out, size_t cap, const char *topic) {
    return path_fmt(out, cap, snprintf(out, cap, GR_ZKL_DELETE_TOPICS "/%s", topic));
}

/* ---- writing JSON ---- */

static void put_raw(gr_buf *out, const char *s) { gr_buf_put(out, s, strlen(s)); }

static void put_fmt(gr_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_fmt(gr_buf *out, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) gr_buf_put(out, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string as Jackson writes it: quotes, backslashes and control characters escaped. */
static void put_string(gr_buf *out, const char *s) {
    static const char hex[] = "0123456789abcdef";
    gr_buf_put(out, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            gr_buf_put(out, e, 2);
        } else if (*p < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            gr_buf_put(out, e, 6);
        } else {
            gr_buf_put(out, p, 1);
        }
    }
    gr_buf_put(out, "\"", 1);
}

static void put_int_array(gr_buf *out, const int32_t *v, int n) {
    gr_buf_put(out, "[", 1);
    for (int i = 0; i < n; i++) put_fmt(out, i ? ",%d" : "%d", v[i]);
    gr_buf_put(out, "]", 1);
}

/* ---- reading JSON ---- */

static bool member_int(const gr_json_value *obj, const char *key, int64_t min, int64_t max, int64_t *out) {
    gr_json_value v;
    return gr_json_member(obj, key, &v) && gr_json_int(&v, out) && *out >= min && *out <= max;
}

static bool member_int32(const gr_json_value *obj, const char *key, int32_t *out) {
    int64_t v;
    if (!member_int(obj, key, INT32_MIN, INT32_MAX, &v)) return false;
    *out = (int32_t)v;
    return true;
}

/* An array of broker ids (at most GR_REPLICAS_MAX, each >= 0). */
static bool int_array(const gr_json_value *arr, int32_t *out, int *count) {
    if (arr->type != GR_JSON_ARRAY) return false;
    size_t n = gr_json_count(arr);
    if (n > GR_REPLICAS_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        gr_json_value e;
        int64_t id;
        if (!gr_json_element(arr, i, &e) || !gr_json_int(&e, &id) || id < 0 || id > INT32_MAX) return false;
        out[i] = (int32_t)id;
    }
    *count = (int)n;
    return true;
}

static bool parse_object(const char *doc, size_t len, gr_json_value *out) {
    return doc && gr_json_parse(doc, len, out) && out->type == GR_JSON_OBJECT;
}

/* A partition number written as an object key ("0", "17"). */
static bool partition_key(const gr_json_value *key, int32_t *out) {
    char text[16];
    if (!gr_json_string(key, text, sizeof text) || !text[0]) return false;
    int64_t v = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9' || (c == text && *c == '0' && c[1])) return false;
        v = v * 10 + (*c - '0');
        if (v >= GR_PARTITIONS_PER_TOPIC_MAX) return false;
    }
    *out = (int32_t)v;
    return true;
}

/* ---- /brokers/ids/N ---- */

void gr_zkl_broker_encode(gr_buf *out, const gr_cluster_broker *b, int64_t timestamp_ms) {
    char endpoint[300];
    snprintf(endpoint, sizeof endpoint, "PLAINTEXT://%s:%d", b->host, b->port);
    put_raw(out, "{\"features\":{},\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},\"endpoints\":[");
    put_string(out, endpoint);
    put_fmt(out, "],\"jmx_port\":-1,\"port\":%d,\"host\":", b->port);
    put_string(out, b->host);
    put_fmt(out, ",\"version\":5,\"timestamp\":\"%" PRId64 "\"", timestamp_ms);
    if (b->rack[0]) {
        put_raw(out, ",\"rack\":");
        put_string(out, b->rack);
    }
    put_raw(out, "}");
}

/* "PLAINTEXT://host:port" (host may be "[v6]" or empty) into host and port. */
static bool split_endpoint(const char *endpoint, char *host, size_t host_cap, int *port) {
    const char *sep = strstr(endpoint, "://");
    if (!sep) return false;
    const char *address = sep + 3, *colon = strrchr(address, ':');
    if (!colon || !colon[1] || strlen(colon + 1) > 5) return false;
    int p = 0;
    for (const char *c = colon + 1; *c; c++) {
        if (*c < '0' || *c > '9') return false;
        p = p * 10 + (*c - '0');
    }
    size_t n = (size_t)(colon - address);
    if (n >= 2 && address[0] == '[' && address[n - 1] == ']') {
        address++;
        n -= 2;
    }
    if (p > 65535 || n >= host_cap) return false;
    memcpy(host, address, n);
    host[n] = '\0';
    *port = p;
    return true;
}

/* The security protocol of a listener (the map's entry, else the listener's own name). */
static bool is_plaintext_listener(const gr_json_value *map, const char *endpoint) {
    const char *sep = strstr(endpoint, "://");
    char name[128];
    size_t n = sep ? (size_t)(sep - endpoint) : 0;
    if (!sep || n >= sizeof name) return false;
    memcpy(name, endpoint, n);
    name[n] = '\0';
    gr_json_value protocol;
    if (map && gr_json_member(map, name, &protocol)) return gr_json_string_equals(&protocol, "PLAINTEXT");
    return !strcmp(name, "PLAINTEXT");
}

bool gr_zkl_broker_decode(const char *doc, size_t len, int32_t id, gr_cluster_broker *out) {
    gr_json_value root, map, endpoints, v;
    if (!parse_object(doc, len, &root)) return false;
    memset(out, 0, sizeof *out);
    out->id = id;
    out->port = -1;
    bool has_map = gr_json_member(&root, "listener_security_protocol_map", &map) && map.type == GR_JSON_OBJECT;
    if (gr_json_member(&root, "endpoints", &endpoints) && endpoints.type == GR_JSON_ARRAY) {
        for (size_t i = 0; i < GR_NET_LISTENERS_MAX * 4 && gr_json_element(&endpoints, i, &v); i++) {
            char endpoint[400];
            if (!gr_json_string(&v, endpoint, sizeof endpoint)) continue;
            if (is_plaintext_listener(has_map ? &map : NULL, endpoint) &&
                split_endpoint(endpoint, out->host, sizeof out->host, &out->port))
                break;
            out->port = -1;
        }
    }
    if (out->port < 0) {
        int64_t port;
        if (!gr_json_member(&root, "host", &v) || !gr_json_string(&v, out->host, sizeof out->host) ||
            !member_int(&root, "port", 0, 65535, &port))
            return false;
        out->port = (int)port;
    }
    if (gr_json_member(&root, "rack", &v) && v.type == GR_JSON_STRING &&
        !gr_json_string(&v, out->rack, sizeof out->rack))
        return false;
    return true;
}

/* ---- /brokers/topics/T ---- */

static void put_replica_map(gr_buf *out, const gr_cluster_topic *t, int which) {
    gr_buf_put(out, "{", 1);
    bool first = true;
    for (int32_t p = 0; p < t->partition_count; p++) {
        const gr_cluster_partition *cp = &t->partitions[p];
        const int32_t *ids = which == 0 ? cp->state.replicas : which == 1 ? cp->adding : cp->removing;
        int n = which == 0 ? cp->state.replica_count : which == 1 ? cp->adding_count : cp->removing_count;
        if (which != 0 && n == 0) continue;
        put_fmt(out, first ? "\"%d\":" : ",\"%d\":", p);
        put_int_array(out, ids, n);
        first = false;
    }
    gr_buf_put(out, "}", 1);
}

void gr_zkl_topic_encode(gr_buf *out, const gr_cluster_topic *t) {
    char id[23];
    gr_topic_id_to_base64(t->id, id);
    put_raw(out, "{\"partitions\":");
    put_replica_map(out, t, 0);
    put_raw(out, ",\"topic_id\":");
    put_string(out, id);
    put_raw(out, ",\"adding_replicas\":");
    put_replica_map(out, t, 1);
    put_raw(out, ",\"removing_replicas\":");
    put_replica_map(out, t, 2);
    put_raw(out, ",\"version\":3}");
}

/* {"0":[..],"3":[..]} into the partitions' adding or removing lists (partitions must exist). */
static bool read_replica_map(const gr_json_value *root, const char *key, gr_cluster_topic *t, int which) {
    gr_json_value map, k, v;
    if (!gr_json_member(root, key, &map)) return true;
    if (map.type == GR_JSON_NULL) return true;
    if (map.type != GR_JSON_OBJECT) return false;
    for (size_t i = 0; gr_json_member_at(&map, i, &k, &v); i++) {
        int32_t p;
        if (!partition_key(&k, &p) || p >= t->partition_count) return false;
        gr_cluster_partition *cp = &t->partitions[p];
        if (!int_array(&v, which == 1 ? cp->adding : cp->removing,
                       which == 1 ? &cp->adding_count : &cp->removing_count))
            return false;
    }
    return true;
}

bool gr_zkl_topic_decode(const char *doc, size_t len, gr_cluster_topic *out) {
    gr_json_value root, parts, k, v;
    out->partitions = NULL;
    out->partition_count = 0;
    memset(out->id, 0, sizeof out->id);
    if (!parse_object(doc, len, &root) || !gr_json_member(&root, "partitions", &parts) ||
        parts.type != GR_JSON_OBJECT)
        return false;
    size_t n = gr_json_count(&parts);
    if (n == 0 || n > GR_PARTITIONS_PER_TOPIC_MAX) return false;
    out->partitions = calloc(n, sizeof *out->partitions);
    if (!out->partitions) return false;
    out->partition_count = (int32_t)n;
    for (size_t i = 0; i < n; i++) out->partitions[i].index = -1;
    for (size_t i = 0; gr_json_member_at(&parts, i, &k, &v); i++) {
        int32_t p;
        if (!partition_key(&k, &p) || (size_t)p >= n || out->partitions[p].index >= 0) goto bad;
        gr_cluster_partition *cp = &out->partitions[p];
        cp->index = p;
        cp->state.leader = -1;
        cp->state.leader_epoch = -1;
        cp->state.controller_epoch = -1;
        cp->state.zk_version = -1;
        if (!int_array(&v, cp->state.replicas, &cp->state.replica_count)) goto bad;
    }
    if (!read_replica_map(&root, "adding_replicas", out, 1) || !read_replica_map(&root, "removing_replicas", out, 2))
        goto bad;
    if (gr_json_member(&root, "topic_id", &v) && v.type == GR_JSON_STRING) {
        char text[32];
        if (!gr_json_string(&v, text, sizeof text) || !gr_topic_id_from_base64(text, out->id)) goto bad;
    }
    return true;
bad:
    free(out->partitions);
    out->partitions = NULL;
    out->partition_count = 0;
    return false;
}

/* ---- /brokers/topics/T/partitions/P/state ---- */

void gr_zkl_state_encode(gr_buf *out, const gr_partition_state *s) {
    put_fmt(out, "{\"controller_epoch\":%d,\"leader\":%d,\"version\":1,\"leader_epoch\":%d,\"isr\":",
            s->controller_epoch, s->leader, s->leader_epoch);
    put_int_array(out, s->isr, s->isr_count);
    put_raw(out, "}");
}

bool gr_zkl_state_decode(const char *doc, size_t len, gr_partition_state *out) {
    gr_json_value root, isr;
    int64_t leader;
    if (!parse_object(doc, len, &root) || !member_int(&root, "leader", -1, INT32_MAX, &leader) ||
        !member_int32(&root, "leader_epoch", &out->leader_epoch) ||
        !member_int32(&root, "controller_epoch", &out->controller_epoch) || !gr_json_member(&root, "isr", &isr) ||
        !int_array(&isr, out->isr, &out->isr_count))
        return false;
    out->leader = (int32_t)leader;
    return true;
}

/* ---- /controller, /controller_epoch ---- */

void gr_zkl_controller_encode(gr_buf *out, int32_t broker_id, int64_t timestamp_ms) {
    put_fmt(out, "{\"version\":2,\"brokerid\":%d,\"timestamp\":\"%" PRId64 "\",\"kraftControllerEpoch\":-1}",
            broker_id, timestamp_ms);
}

bool gr_zkl_controller_decode(const char *doc, size_t len, int32_t *broker_id) {
    gr_json_value root;
    int64_t id;
    if (!parse_object(doc, len, &root) || !member_int(&root, "brokerid", -1, INT32_MAX, &id)) return false;
    *broker_id = (int32_t)id;
    return true;
}

void gr_zkl_controller_epoch_encode(gr_buf *out, int32_t epoch) { put_fmt(out, "%d", epoch); }

bool gr_zkl_controller_epoch_decode(const char *doc, size_t len, int32_t *epoch) {
    gr_json_value v;
    int64_t n;
    if (!doc || !gr_json_parse(doc, len, &v) || !gr_json_int(&v, &n) || n < 0 || n > INT32_MAX) return false;
    *epoch = (int32_t)n;
    return true;
}

/* ---- /cluster/id ---- */

void gr_zkl_cluster_id_encode(gr_buf *out, const char *id) {
    put_raw(out, "{\"version\":\"1\",\"id\":");
    put_string(out, id);
    put_raw(out, "}");
}

bool gr_zkl_cluster_id_decode(const char *doc, size_t len, char *id, size_t cap) {
    gr_json_value root, v;
    return parse_object(doc, len, &root) && gr_json_member(&root, "id", &v) && gr_json_string(&v, id, cap) &&
           id[0] != '\0';
}

/* ---- /config/topics/T, /config/changes ---- */

void gr_zkl_config_encode(gr_buf *out, const gr_properties *configs) {
    put_raw(out, "{\"version\":1,\"config\":{");
    for (size_t i = 0; configs && i < configs->count; i++) {
        if (i) gr_buf_put(out, ",", 1);
        put_string(out, configs->items[i].key);
        gr_buf_put(out, ":", 1);
        put_string(out, configs->items[i].value);
    }
    put_raw(out, "}}");
}

bool gr_zkl_config_decode(const char *doc, size_t len, gr_properties *out) {
    gr_json_value root, config, k, v;
    if (!parse_object(doc, len, &root) || !gr_json_member(&root, "config", &config) ||
        config.type != GR_JSON_OBJECT)
        return false;
    for (size_t i = 0; gr_json_member_at(&config, i, &k, &v); i++) {
        char key[256], value[4096];
        if (!gr_json_string(&k, key, sizeof key) || !gr_json_string(&v, value, sizeof value)) return false;
        gr_properties_set(out, key, value);
    }
    return true;
}

void gr_zkl_config_change_encode(gr_buf *out, const char *topic) {
    char entity[300];
    snprintf(entity, sizeof entity, "topics/%s", topic);
    put_raw(out, "{\"version\":2,\"entity_path\":");
    put_string(out, entity);
    put_raw(out, "}");
}

/* ---- /admin/reassign_partitions, /admin/preferred_replica_election ---- */

static void put_refs(gr_buf *out, const gr_zkl_partition_ref *refs, int count, bool with_replicas) {
    put_raw(out, "{\"version\":1,\"partitions\":[");
    for (int i = 0; i < count; i++) {
        put_raw(out, i ? ",{\"topic\":" : "{\"topic\":");
        put_string(out, refs[i].topic);
        put_fmt(out, ",\"partition\":%d", refs[i].partition);
        if (with_replicas) {
            put_raw(out, ",\"replicas\":");
            put_int_array(out, refs[i].replicas, refs[i].replica_count);
        }
        put_raw(out, "}");
    }
    put_raw(out, "]}");
}

static bool read_refs(const char *doc, size_t len, bool with_replicas, gr_zkl_partition_ref **out, int *count) {
    gr_json_value root, parts, e, v;
    *out = NULL;
    *count = 0;
    if (!parse_object(doc, len, &root) || !gr_json_member(&root, "partitions", &parts) ||
        parts.type != GR_JSON_ARRAY)
        return false;
    size_t n = gr_json_count(&parts);
    if (n > GR_ZKL_PARTITION_REFS_MAX) return false;
    gr_zkl_partition_ref *refs = calloc(n ? n : 1, sizeof *refs);
    if (!refs) return false;
    for (size_t i = 0; i < n; i++) {
        int64_t p;
        if (!gr_json_element(&parts, i, &e) || e.type != GR_JSON_OBJECT || !gr_json_member(&e, "topic", &v) ||
            !gr_json_string(&v, refs[i].topic, sizeof refs[i].topic) ||
            !member_int(&e, "partition", 0, GR_PARTITIONS_PER_TOPIC_MAX - 1, &p))
            goto bad;
        refs[i].partition = (int32_t)p;
        if (with_replicas &&
            (!gr_json_member(&e, "replicas", &v) || !int_array(&v, refs[i].replicas, &refs[i].replica_count)))
            goto bad;
    }
    *out = refs;
    *count = (int)n;
    return true;
bad:
    free(refs);
    return false;
}

void gr_zkl_reassign_encode(gr_buf *out, const gr_zkl_partition_ref *refs, int count) {
    put_refs(out, refs, count, true);
}
bool gr_zkl_reassign_decode(const char *doc, size_t len, gr_zkl_partition_ref **out, int *count) {
    return read_refs(doc, len, true, out, count);
}
void gr_zkl_preferred_encode(gr_buf *out, const gr_zkl_partition_ref *refs, int count) {
    put_refs(out, refs, count, false);
}
bool gr_zkl_preferred_decode(const char *doc, size_t len, gr_zkl_partition_ref **out, int *count) {
    return read_refs(doc, len, false, out, count);
}

/* ---- /latest_producer_id_block ---- */

void gr_zkl_producer_ids_encode(gr_buf *out, int32_t broker_id, int64_t block_start, int64_t block_end) {
    put_fmt(out, "{\"version\":1,\"broker\":%d,\"block_start\":\"%" PRId64 "\",\"block_end\":\"%" PRId64 "\"}",
            broker_id, block_start, block_end);
}

bool gr_zkl_producer_ids_decode(const char *doc, size_t len, int64_t *block_end) {
    gr_json_value root, v;
    char text[24];
    if (!parse_object(doc, len, &root) || !gr_json_member(&root, "block_end", &v) ||
        !gr_json_string(&v, text, sizeof text) || !text[0])
        return false;
    int64_t n = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9' || n > (INT64_MAX - 9) / 10) return false;
        n = n * 10 + (*c - '0');
    }
    *block_end = n;
    return true;
}
