/* metrics.c: the counters of metrics.h and their Prometheus text rendering. */
#include "broker/metrics.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf_text.h"
#include "base/clock.h"
#include "base/metric_histogram.h"
#include "broker/broker.h"
#include "broker/group_lag.h"
#include "group/coordinator.h"
#include "proto/gen/api_table.h"

#define API_KEYS_MAX 128
#define PARTITION_SERIES_MAX 4096 /* partition gauges on one page */
#define LAG_ARENA_LIMIT_BYTES (16u * 1024u * 1024u)

typedef struct topic_slot {
    atomic_uint_fast64_t key; /* 0: free; else from the topic id */
    atomic_bool ready;        /* name written */
    char name[256];
    atomic_uint_fast64_t produced_bytes, produced_records, fetched_bytes;
} topic_slot;

static topic_slot topic_slots[GR_METRICS_TOPICS_MAX];
static topic_slot other_topics = {.ready = true, .name = "_other"};
static gr_mhist api_latency[API_KEYS_MAX];
static atomic_int_fast64_t open_connections;

static uint64_t topic_key(const gr_topic *t) {
    uint64_t k;
    memcpy(&k, t->id, sizeof k);
    return k ? k : 1;
}

static topic_slot *slot_for(const gr_topic *t) {
    uint64_t k = topic_key(t);
    size_t start = (size_t)(k % GR_METRICS_TOPICS_MAX);
    for (size_t i = 0; i < GR_METRICS_TOPICS_MAX; i++) {
        topic_slot *s = &topic_slots[(start + i) % GR_METRICS_TOPICS_MAX];
        uint_fast64_t cur = atomic_load_explicit(&s->key, memory_order_acquire);
        if (cur == k) return s;
        if (cur != 0) continue;
        uint_fast64_t expected = 0;
        if (atomic_compare_exchange_strong(&s->key, &expected, k)) {
            snprintf(s->name, sizeof s->name, "%s", t->name);
            atomic_store_explicit(&s->ready, true, memory_order_release);
            return s;
        }
        if (expected == k) return s;
    }
    return &other_topics;
}

void gr_metrics_produced(const gr_topic *topic, int64_t records, int64_t bytes) {
    topic_slot *s = slot_for(topic);
    atomic_fetch_add_explicit(&s->produced_records, (uint_fast64_t)records, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->produced_bytes, (uint_fast64_t)bytes, memory_order_relaxed);
}

void gr_metrics_fetched(const gr_topic *topic, int64_t bytes) {
    atomic_fetch_add_explicit(&slot_for(topic)->fetched_bytes, (uint_fast64_t)bytes, memory_order_relaxed);
}

void gr_metrics_request_done(int16_t api_key, int64_t elapsed_ns) {
    if (api_key >= 0 && api_key < API_KEYS_MAX) gr_mhist_observe_ns(&api_latency[api_key], elapsed_ns);
}

void gr_metrics_connections(int delta) {
    atomic_fetch_add_explicit(&open_connections, delta, memory_order_relaxed);
}

int64_t gr_metrics_open_connections(void) {
    return atomic_load_explicit(&open_connections, memory_order_relaxed);
}

/* ---- rendering ---- */

static void header(gr_buf *b, const char *name, const char *type, const char *help) {
    gr_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static gr_str cstr(const char *s) { return (gr_str){s, (int32_t)strlen(s)}; }

static uint64_t load(atomic_uint_fast64_t *v) { return atomic_load_explicit(v, memory_order_relaxed); }

/* One histogram's series; `labels` is `key="value",` (with the trailing comma) or "". */
static void render_histogram(gr_buf *b, const char *name, const char *labels, gr_mhist *h) {
    uint64_t cumulative = 0;
    for (int i = 0; i <= GR_MHIST_BUCKETS; i++) {
        cumulative += load(&h->buckets[i]);
        if (i < GR_MHIST_BUCKETS)
            gr_buf_printf(b, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels,
                          (double)gr_mhist_bounds_us[i] / 1e6, (unsigned long long)cumulative);
        else
            gr_buf_printf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, (unsigned long long)cumulative);
    }
    char no_comma[128];
    snprintf(no_comma, sizeof no_comma, "%s", labels);
    size_t n = strlen(no_comma);
    if (n && no_comma[n - 1] == ',') no_comma[n - 1] = '\0';
    gr_buf_printf(b, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, no_comma, (double)load(&h->sum_us) / 1e6,
                  name, no_comma, (unsigned long long)cumulative);
}

static void render_topic_counter(gr_buf *b, const char *name, const char *help, size_t field) {
    header(b, name, "counter", help);
    for (int i = 0; i <= GR_METRICS_TOPICS_MAX; i++) {
        topic_slot *s = i < GR_METRICS_TOPICS_MAX ? &topic_slots[i] : &other_topics;
        if (!atomic_load_explicit(&s->ready, memory_order_acquire)) continue;
        uint64_t v = load((atomic_uint_fast64_t *)((char *)s + field));
        if (s == &other_topics && v == 0) continue;
        gr_buf_printf(b, "%s{topic=\"", name);
        gr_buf_put_label_value(b, cstr(s->name));
        gr_buf_printf(b, "\"} %llu\n", (unsigned long long)v);
    }
}

static void render_requests(gr_buf *b) {
    header(b, "gregor_requests_total", "counter", "Kafka requests handled, by API.");
    for (int k = 0; k < API_KEYS_MAX; k++) {
        const gr_api_schema *s = load(&api_latency[k].count) ? gr_api_schema_find((int16_t)k) : NULL;
        if (s)
            gr_buf_printf(b, "gregor_requests_total{api=\"%s\"} %llu\n", s->name,
                          (unsigned long long)load(&api_latency[k].count));
    }
    header(b, "gregor_request_duration_seconds", "histogram",
           "Time from a request's arrival to its reply, by API.");
    for (int k = 0; k < API_KEYS_MAX; k++) {
        const gr_api_schema *s = load(&api_latency[k].count) ? gr_api_schema_find((int16_t)k) : NULL;
        if (!s) continue;
        char labels[96];
        snprintf(labels, sizeof labels, "api=\"%s\",", s->name);
        render_histogram(b, "gregor_request_duration_seconds", labels, &api_latency[k]);
    }
}

static void render_partitions(gr_buf *b, gr_broker *br) {
    gr_topic **list = NULL;
    int n = gr_topics_list(br->topics, &list);
    static const char *const names[2] = {"gregor_partition_log_end_offset", "gregor_partition_size_bytes"};
    static const char *const helps[2] = {"The offset the next record appended to the partition gets.",
                                         "Bytes of the partition's log segments on disk."};
    for (int m = 0; m < 2; m++) {
        header(b, names[m], "gauge", helps[m]);
        int series = 0;
        for (int i = 0; i < n && series < PARTITION_SERIES_MAX; i++) {
            int32_t count = gr_topic_partition_count(list[i]);
            for (int32_t p = 0; p < count && series < PARTITION_SERIES_MAX; p++) {
                gr_partition *part = gr_topic_partition(list[i], p);
                if (!part || !part->log) continue;
                int64_t v = m == 0 ? gr_plog_log_end_offset(part->log) : gr_plog_size_bytes(part->log);
                gr_buf_printf(b, "%s{topic=\"", names[m]);
                gr_buf_put_label_value(b, cstr(list[i]->name));
                gr_buf_printf(b, "\",partition=\"%d\"} %lld\n", p, (long long)v);
                series++;
            }
        }
    }
    gr_topics_list_free(list, n);
}

static void put_lag(gr_buf *b, gr_str group, gr_str topic, int64_t lag) {
    gr_buf_printf(b, "gregor_group_lag{group=\"");
    gr_buf_put_label_value(b, group);
    gr_buf_printf(b, "\",topic=\"");
    gr_buf_put_label_value(b, topic);
    gr_buf_printf(b, "\"} %lld\n", (long long)lag);
}

static bool str_eq(gr_str a, gr_str b) {
    return a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, (size_t)a.len));
}

static void render_lag(gr_buf *b, gr_broker *br) {
    header(b, "gregor_group_lag", "gauge",
           "Records between a group's committed offsets and the partitions' ends, summed per topic.");
    if (!br->groups) return;
    gr_arena a;
    gr_arena_init(&a, LAG_ARENA_LIMIT_BYTES);
    gr_list_groups_response_listed_group *groups;
    int32_t group_count = gr_group_list(br, &a, &groups);
    for (int32_t g = 0; g < group_count && g < GR_METRICS_GROUPS_MAX; g++) {
        gr_str id = groups[g].group_id;
        gr_lag_row *rows;
        int32_t n = gr_group_lag(br, id, &a, &rows);
        int64_t sum = 0;
        for (int32_t r = 0; r < n; r++) {
            sum += rows[r].lag;
            if (r + 1 == n || !str_eq(rows[r].topic, rows[r + 1].topic)) {
                put_lag(b, id, rows[r].topic, sum);
                sum = 0;
            }
        }
    }
    gr_arena_free(&a);
}

static int64_t resident_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, resident = 0;
    if (!f) return 0;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

void gr_metrics_render(gr_broker *b, gr_buf *out) {
    render_topic_counter(out, "gregor_topic_produced_bytes_total",
                         "Bytes of record batches appended by Produce.",
                         offsetof(topic_slot, produced_bytes));
    render_topic_counter(out, "gregor_topic_produced_records_total", "Records appended by Produce.",
                         offsetof(topic_slot, produced_records));
    render_topic_counter(out, "gregor_topic_fetched_bytes_total", "Bytes of record batches sent by Fetch.",
                         offsetof(topic_slot, fetched_bytes));
    render_requests(out);
    header(out, "gregor_connections_open", "gauge", "Open Kafka client connections.");
    gr_buf_printf(out, "gregor_connections_open %lld\n", (long long)gr_metrics_open_connections());
    header(out, "gregor_log_sync_duration_seconds", "histogram", "Time one partition's fdatasync took.");
    render_histogram(out, "gregor_log_sync_duration_seconds", "", &gr_flusher_sync_latency);
    render_partitions(out, b);
    render_lag(out, b);
    header(out, "gregor_uptime_seconds", "gauge", "Seconds since the broker started.");
    gr_buf_printf(out, "gregor_uptime_seconds %.3f\n", (double)(gr_mono_ms() - b->started_ms) / 1e3);
    header(out, "gregor_resident_memory_bytes", "gauge", "Resident set size of the broker process.");
    gr_buf_printf(out, "gregor_resident_memory_bytes %lld\n", (long long)resident_bytes());
}
