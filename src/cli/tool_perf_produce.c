/*
 * tool_perf_produce.c: gregor perf produce -- the producer load generator.
 *
 * Each --producers thread owns one librdkafka producer and sends the same fixed payload (never
 * copied: librdkafka keeps a pointer to it), so the hot path allocates nothing of its own. The
 * send time (monotonic ns) travels as the record's opaque pointer; the delivery report, served by
 * the same thread, turns it into a latency recorded in that thread's histogram. The main thread
 * only reads relaxed atomic counters for the progress line, and merges the histograms at the end.
 *
 * Throughput limiting paces each thread to its share of --throughput against its own clock, so a
 * slow patch is caught up by sending faster afterwards (the target is the average rate).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/latency_histogram.h"
#include "cli/output.h"
#include "cli/perf_report.h"
#include "cli/signals.h"
#include "cli/tools.h"

#define PERF_PRODUCERS_MAX 64
#define PERF_RECORD_SIZE_MAX_BYTES (64 * 1024 * 1024)
#define PERF_POLL_EVERY_RECORDS 256
#define PERF_QUEUE_FULL_POLL_MS 1
#define PERF_PACING_SLEEP_MAX_NS 1000000
#define PERF_FLUSH_SLICE_MS 100
#define PERF_FLUSH_MAX_MS 120000

enum {
    OPT_RECORD_SIZE,
    OPT_NUM_RECORDS,
    OPT_DURATION,
    OPT_THROUGHPUT,
    OPT_ACKS,
    OPT_COMPRESSION,
    OPT_PARTITIONS,
    OPT_REPLICATION,
    OPT_PRODUCERS,
    OPT_REPORT_INTERVAL
};

typedef struct perf_opts {
    int64_t record_size;
    int64_t num_records; /* -1: use duration */
    int64_t duration_s;  /* -1: use num_records */
    double throughput;   /* records/s overall; <= 0 unlimited */
    const char *acks, *compression;
    int32_t partitions, replication;
    int64_t producers;
    int64_t report_interval_ms;
} perf_opts;

/* Per-thread state; counters written by the owning thread, read by the main thread. */
typedef struct worker {
    pthread_t thread;
    int index;
    const perf_opts *opts;
    const gr_cli_common *common;
    const char *topic;
    const uint8_t *payload;
    int64_t quota;       /* records to send, or -1 with a deadline */
    int64_t deadline_ns; /* monotonic; 0 = none */
    gr_client client;
    gr_hist hist;
    bool joined;
    _Atomic int64_t sent, acked, failed, bytes;
    _Atomic int64_t interval_latency_sum_ns, interval_latency_count, interval_latency_max_ns;
    int64_t last_ack_ns;
    rd_kafka_resp_err_t first_error;
} worker;

static const gr_opt_spec specs[] = {
    {OPT_RECORD_SIZE, "record-size", 's', "BYTES", "size of each record's value (default 100)"},
    {OPT_NUM_RECORDS, "num-records", 'n', "N", "records to send in total"},
    {OPT_DURATION, "duration", 'd', "SECONDS", "send for this long instead of a record count"},
    {OPT_THROUGHPUT, "throughput", 't', "R", "records/s in total, -1 for unlimited (default)"},
    {OPT_ACKS, "acks", 'a', "0|1|all", "acknowledgements to wait for (default: all)"},
    {OPT_COMPRESSION, "compression", 'z', "CODEC", "none, gzip, snappy, lz4 or zstd (default: none)"},
    {OPT_PARTITIONS, "partitions", 'p', "N", "create the topic with N partitions if it does not exist"},
    {OPT_REPLICATION, "replication-factor", 'r', "N", "replication factor when creating the topic"},
    {OPT_PRODUCERS, "producers", 'P', "N", "producer threads, each with its own client (default 1)"},
    {OPT_REPORT_INTERVAL, "report-interval-ms", 0, "MS", "progress line interval (default 5000)"},
    {0, NULL, 0, NULL, NULL},
};

static const gr_tool_help help = {
    "perf produce", "TOPIC (--num-records N | --duration S) [options]",
    "Sends fixed-size records as fast as allowed and measures throughput and latency (delivery\n"
    "report time minus send time, per record). Progress every 5 s on stderr; at the end records/s,\n"
    "MB/s (MiB), average, max and p50/p95/p99/p99.9 latency. --json prints one object at the end.\n"
    "Creates the topic if it does not exist. Exit 1 if any record failed.",
    "  gregor perf produce bench --num-records 1000000 --record-size 1000 --partitions 6\n"
    "  gregor perf produce bench --duration 30 --throughput 50000 --producers 4 --json\n"};

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    perf_opts *o = ud;
    int64_t x;
    switch (id) {
    case OPT_RECORD_SIZE:
        return gr_opt_i64(c->tool, "--record-size", v, 0, PERF_RECORD_SIZE_MAX_BYTES, &o->record_size);
    case OPT_NUM_RECORDS:
        return gr_opt_i64(c->tool, "--num-records", v, 1, INT64_MAX / 2, &o->num_records);
    case OPT_DURATION:
        return gr_opt_i64(c->tool, "--duration", v, 1, 365LL * 24 * 3600, &o->duration_s);
    case OPT_THROUGHPUT:
        if (gr_opt_i64(c->tool, "--throughput", v, -1, INT64_MAX / 2, &x) < 0) return -1;
        o->throughput = (double)x;
        return 0;
    case OPT_ACKS:
        if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "all") && strcmp(v, "-1"))
            return gr_usage_error(c->tool, "--acks expects 0, 1 or all, got '%s'", v);
        o->acks = !strcmp(v, "-1") ? "all" : v;
        return 0;
    case OPT_COMPRESSION:
        if (strcmp(v, "none") && strcmp(v, "gzip") && strcmp(v, "snappy") && strcmp(v, "lz4") &&
            strcmp(v, "zstd"))
            return gr_usage_error(c->tool, "--compression expects none, gzip, snappy, lz4 or zstd, got '%s'",
                                  v);
        o->compression = v;
        return 0;
    case OPT_PARTITIONS:
        return gr_opt_i32(c->tool, "--partitions", v, 1, 1000000, &o->partitions);
    case OPT_REPLICATION:
        return gr_opt_i32(c->tool, "--replication-factor", v, 1, 1000, &o->replication);
    case OPT_PRODUCERS:
        return gr_opt_i64(c->tool, "--producers", v, 1, PERF_PRODUCERS_MAX, &o->producers);
    case OPT_REPORT_INTERVAL:
        return gr_opt_i64(c->tool, "--report-interval-ms", v, 100, 3600 * 1000, &o->report_interval_ms);
    }
    return 0;
}

static void atomic_max(_Atomic int64_t *a, int64_t v) {
    int64_t cur = atomic_load_explicit(a, memory_order_relaxed);
    while (v > cur &&
           !atomic_compare_exchange_weak_explicit(a, &cur, v, memory_order_relaxed, memory_order_relaxed)) {
    }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    gr_client *c = opaque;
    worker *w = c->user;
    (void)rk;
    int64_t now = gr_mono_ns();
    if (m->err) {
        if (!w->first_error) w->first_error = m->err;
        atomic_fetch_add_explicit(&w->failed, 1, memory_order_relaxed);
        return;
    }
    int64_t latency = now - (int64_t)(intptr_t)m->_private;
    gr_hist_record(&w->hist, latency);
    w->last_ack_ns = now;
    atomic_fetch_add_explicit(&w->acked, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->bytes, (int64_t)m->len, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->interval_latency_sum_ns, latency, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->interval_latency_count, 1, memory_order_relaxed);
    atomic_max(&w->interval_latency_max_ns, latency);
}

static void prepare(rd_kafka_conf_t *conf, void *ud) {
    (void)ud;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
}

/* Sleeps until the record with this index is due under the rate limit. */
static void pace(gr_client *c, int64_t start_ns, int64_t index, double rate) {
    int64_t due = start_ns + (int64_t)((double)index * 1e9 / rate);
    for (int i = 0; i < 1000000; i++) {
        int64_t now = gr_mono_ns();
        if (now >= due || gr_stop_requested()) return;
        rd_kafka_poll(c->rk, 0);
        int64_t wait = due - now;
        if (wait > PERF_PACING_SLEEP_MAX_NS) wait = PERF_PACING_SLEEP_MAX_NS;
        struct timespec ts = {0, (long)wait};
        nanosleep(&ts, NULL);
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    gr_client *c = &w->client;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, w->topic, NULL);
    double rate = w->opts->throughput > 0 ? w->opts->throughput / (double)w->opts->producers : 0;
    int64_t start = gr_mono_ns();
    for (int64_t i = 0; w->quota < 0 || i < w->quota; i++) {
        if (gr_stop_requested()) break;
        if (rate > 0) pace(c, start, i, rate);
        if (w->deadline_ns && (i & 63) == 0 && gr_mono_ns() >= w->deadline_ns) break;
        for (int attempt = 0;; attempt++) {
            void *sent_at = (void *)(intptr_t)gr_mono_ns();
            if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, (void *)w->payload,
                                 (size_t)w->opts->record_size, NULL, 0, sent_at) == 0)
                break;
            rd_kafka_resp_err_t err = rd_kafka_last_error();
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !gr_stop_requested() && attempt < 10000000) {
                rd_kafka_poll(c->rk, PERF_QUEUE_FULL_POLL_MS);
                continue;
            }
            if (!w->first_error) w->first_error = err;
            atomic_fetch_add_explicit(&w->failed, 1, memory_order_relaxed);
            break;
        }
        atomic_fetch_add_explicit(&w->sent, 1, memory_order_relaxed);
        if ((i % PERF_POLL_EVERY_RECORDS) == 0) rd_kafka_poll(c->rk, 0);
    }
    for (int waited = 0; rd_kafka_outq_len(c->rk) > 0 && waited < PERF_FLUSH_MAX_MS;
         waited += PERF_FLUSH_SLICE_MS)
        rd_kafka_flush(c->rk, PERF_FLUSH_SLICE_MS);
    if (rd_kafka_outq_len(c->rk) > 0) {
        rd_kafka_purge(c->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(c->rk, 1000);
    }
    rd_kafka_poll(c->rk, 0);
    rd_kafka_topic_destroy(rkt);
    return NULL;
}

typedef struct totals {
    int64_t sent, acked, failed, bytes, lat_sum, lat_count, lat_max;
} totals;

static totals sum_workers(worker *ws, int n, bool take_interval) {
    totals t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < n; i++) {
        t.sent += atomic_load_explicit(&ws[i].sent, memory_order_relaxed);
        t.acked += atomic_load_explicit(&ws[i].acked, memory_order_relaxed);
        t.failed += atomic_load_explicit(&ws[i].failed, memory_order_relaxed);
        t.bytes += atomic_load_explicit(&ws[i].bytes, memory_order_relaxed);
        if (!take_interval) continue;
        t.lat_sum += atomic_exchange_explicit(&ws[i].interval_latency_sum_ns, 0, memory_order_relaxed);
        t.lat_count += atomic_exchange_explicit(&ws[i].interval_latency_count, 0, memory_order_relaxed);
        int64_t m = atomic_exchange_explicit(&ws[i].interval_latency_max_ns, 0, memory_order_relaxed);
        if (m > t.lat_max) t.lat_max = m;
    }
    return t;
}

static void print_results(const perf_opts *o, const gr_cli_common *common, const gr_hist *h, const totals *t,
                          double seconds) {
    double rps = gr_perf_rate((double)t->acked, seconds);
    double mbps = gr_perf_rate((double)t->bytes / GR_PERF_BYTES_PER_MB, seconds);
    double ms = 1e-6;
    if (common->json) {
        gr_json j;
        gr_json_init(&j, stdout);
        gr_json_obj_begin(&j);
        gr_json_ki64(&j, "records", t->acked);
        gr_json_ki64(&j, "failed", t->failed);
        gr_json_ki64(&j, "bytes", t->bytes);
        gr_json_ki64(&j, "record_size", o->record_size);
        gr_json_ki64(&j, "producers", o->producers);
        gr_json_kf64(&j, "elapsed_s", seconds);
        gr_json_kf64(&j, "records_per_sec", rps);
        gr_json_kf64(&j, "mb_per_sec", mbps);
        gr_json_key(&j, "latency_ms");
        gr_json_obj_begin(&j);
        gr_json_kf64(&j, "avg", gr_hist_mean(h) * ms);
        gr_json_kf64(&j, "min", h->total ? (double)h->min * ms : 0.0);
        gr_json_kf64(&j, "max", (double)h->max * ms);
        gr_json_kf64(&j, "p50", (double)gr_hist_percentile(h, 50) * ms);
        gr_json_kf64(&j, "p95", (double)gr_hist_percentile(h, 95) * ms);
        gr_json_kf64(&j, "p99", (double)gr_hist_percentile(h, 99) * ms);
        gr_json_kf64(&j, "p99_9", (double)gr_hist_percentile(h, 99.9) * ms);
        gr_json_obj_end(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
        return;
    }
    printf("%lld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
           "%.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.\n",
           (long long)t->acked, rps, mbps, gr_hist_mean(h) * ms, (double)h->max * ms,
           (double)gr_hist_percentile(h, 50) * ms, (double)gr_hist_percentile(h, 95) * ms,
           (double)gr_hist_percentile(h, 99) * ms, (double)gr_hist_percentile(h, 99.9) * ms);
    if (t->failed) printf("%lld records failed.\n", (long long)t->failed);
}

int gr_tool_perf_produce(int argc, char **argv) {
    perf_opts o = {100, -1, -1, -1, NULL, NULL, -1, -1, 1, GR_PERF_REPORT_INTERVAL_MS_DEFAULT};
    gr_cli_common common;
    worker *ws = NULL;
    uint8_t *payload = NULL;
    gr_client admin;
    memset(&admin, 0, sizeof admin);
    int p = gr_cli_parse(argc, argv, &help, specs, on_opt, &o, &common);
    int rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    if (p != GR_PARSE_OK) goto out;
    if (common.arg_count != 1) {
        gr_usage_error(&help, common.arg_count ? "name exactly one topic" : "missing TOPIC");
        goto out;
    }
    if ((o.num_records < 0) == (o.duration_s < 0)) {
        gr_usage_error(&help, "give exactly one of --num-records and --duration");
        goto out;
    }
    const char *topic = common.args[0];

    /* The topic first, on a separate client, so the producers start against a ready topic. */
    if ((rc = gr_client_open(&admin, &common, RD_KAFKA_PRODUCER, NULL, NULL, NULL))) goto out;
    bool created;
    if ((rc = gr_client_ensure_topic(&admin, topic, o.partitions, o.replication, &created))) goto out;
    if (created) fprintf(stderr, "Created topic %s.\n", topic);

    payload = malloc((size_t)o.record_size + 1);
    uint32_t seed = 0x9e3779b9u;
    for (int64_t i = 0; i < o.record_size; i++) {
        seed = seed * 1103515245u + 12345u;
        payload[i] = (uint8_t)('A' + (seed >> 16) % 26);
    }
    char acks[8], compression[16];
    snprintf(acks, sizeof acks, "%s", o.acks ? o.acks : "all");
    snprintf(compression, sizeof compression, "%s", o.compression ? o.compression : "none");
    const char *defaults[] = {"acks", acks, "compression.type", compression, NULL};
    int n = (int)o.producers;
    ws = calloc((size_t)n, sizeof *ws);
    for (int i = 0; i < n; i++) {
        worker *w = &ws[i];
        w->index = i;
        w->opts = &o;
        w->common = &common;
        w->topic = topic;
        w->payload = payload;
        w->quota = o.num_records < 0 ? -1 : o.num_records / n + (i < o.num_records % n ? 1 : 0);
        gr_hist_init(&w->hist);
        if ((rc = gr_client_open(&w->client, &common, RD_KAFKA_PRODUCER, defaults, prepare, NULL))) goto out;
        w->client.user = w;
    }

    /* Workers inherit a mask without SIGINT/SIGTERM, so the main thread takes the signals. */
    gr_stop_on_signals();
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int64_t start_ns = gr_mono_ns();
    int started = 0;
    for (int i = 0; i < n; i++) {
        ws[i].deadline_ns = o.duration_s > 0 ? start_ns + o.duration_s * 1000000000LL : 0;
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) break;
        started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    gr_perf_progress progress;
    gr_perf_progress_init(&progress);
    int64_t last_report_ns = start_ns, last_acked = 0, last_bytes = 0;
    for (;;) {
        bool running = false;
        for (int i = 0; i < started; i++) {
            if (ws[i].joined) continue;
            if (pthread_tryjoin_np(ws[i].thread, NULL) == EBUSY)
                running = true;
            else
                ws[i].joined = true;
        }
        if (!running) break;
        struct timespec ts = {0, GR_PERF_TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        int64_t now = gr_mono_ns();
        if (now - last_report_ns < o.report_interval_ms * 1000000LL) continue;
        totals t = sum_workers(ws, started, true);
        double secs = (double)(now - last_report_ns) / 1e9;
        gr_perf_progress_line(
            &progress,
            "%lld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max "
            "latency.",
            (long long)t.sent, gr_perf_rate((double)(t.acked - last_acked), secs),
            gr_perf_rate((double)(t.bytes - last_bytes) / GR_PERF_BYTES_PER_MB, secs),
            t.lat_count ? (double)t.lat_sum / (double)t.lat_count / 1e6 : 0.0, (double)t.lat_max / 1e6);
        last_report_ns = now;
        last_acked = t.acked;
        last_bytes = t.bytes;
    }
    /* pthread_tryjoin_np already reaped every thread that finished. */
    gr_perf_progress_done(&progress);
    gr_hist all;
    gr_hist_init(&all);
    int64_t end_ns = start_ns;
    for (int i = 0; i < started; i++) {
        gr_hist_merge(&all, &ws[i].hist);
        if (ws[i].last_ack_ns > end_ns) end_ns = ws[i].last_ack_ns;
        if (ws[i].first_error)
            gr_err(help.command, "producer %d: first failure: %s", i, rd_kafka_err2str(ws[i].first_error));
    }
    totals t = sum_workers(ws, started, false);
    if (end_ns == start_ns) end_ns = gr_mono_ns();
    print_results(&o, &common, &all, &t, (double)(end_ns - start_ns) / 1e9);
    rc = started < n           ? GR_EXIT_FAILED
         : t.failed            ? GR_EXIT_FAILED
         : gr_stop_requested() ? GR_EXIT_INTERRUPTED
                               : GR_EXIT_OK;
out:
    for (int i = 0; ws && i < (int)o.producers; i++) gr_client_close(&ws[i].client);
    free(ws);
    free(payload);
    gr_client_close(&admin);
    gr_cli_common_free(&common);
    return rc;
}
