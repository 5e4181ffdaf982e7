/*
 * tool_perf_consume.c: gregor perf consume -- the consumer load generator.
 *
 * Reads a topic from the beginning (or a group's committed position) as fast as it comes and
 * reports records/s, MB/s and the time to the first record. Records are taken from the consumer
 * queue in batches so the per-record cost is librdkafka's alone.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/perf_report.h"
#include "cli/signals.h"
#include "cli/tools.h"

#define PERF_CONSUME_BATCH_MAX 1024
#define PERF_CONSUME_IDLE_TIMEOUT_MS_DEFAULT 10000

enum { OPT_NUM_RECORDS, OPT_DURATION, OPT_GROUP, OPT_TIMEOUT, OPT_REPORT_INTERVAL };

typedef struct perf_consume_opts {
    int64_t num_records;
    int64_t duration_s;
    const char *group;
    int64_t idle_timeout_ms;
    int64_t report_interval_ms;
} perf_consume_opts;

static const gr_opt_spec specs[] = {
    {OPT_NUM_RECORDS, "num-records", 'n', "N", "stop after N records"},
    {OPT_DURATION, "duration", 'd', "SECONDS", "stop after this long"},
    {OPT_GROUP, "group", 'g', "GROUP", "consume as this group (default: no group, from the beginning)"},
    {OPT_TIMEOUT, "timeout-ms", 0, "MS", "stop after MS without a record (default 10000)"},
    {OPT_REPORT_INTERVAL, "report-interval-ms", 0, "MS", "progress line interval (default 5000)"},
    {0, NULL, 0, NULL, NULL},
};

static const gr_tool_help help = {
    "perf consume", "TOPIC [--num-records N | --duration S] [options]",
    "Consumes as fast as possible and reports records/s, MB/s (MiB, key + value bytes) and the time\n"
    "to the first record. Without --group it reads every partition from the beginning; with one it\n"
    "subscribes (earliest when nothing is committed). Exit 1 if --num-records was not reached\n"
    "before --timeout-ms without records.",
    "  gregor perf consume bench --num-records 1000000\n  gregor perf consume bench --duration 30 --json\n"};

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    perf_consume_opts *o = ud;
    switch (id) {
    case OPT_NUM_RECORDS:
        return gr_opt_i64(c->tool, "--num-records", v, 1, INT64_MAX / 2, &o->num_records);
    case OPT_DURATION:
        return gr_opt_i64(c->tool, "--duration", v, 1, 365LL * 24 * 3600, &o->duration_s);
    case OPT_GROUP:
        o->group = v;
        return 0;
    case OPT_TIMEOUT:
        return gr_opt_i64(c->tool, "--timeout-ms", v, 1, INT64_MAX / 2, &o->idle_timeout_ms);
    case OPT_REPORT_INTERVAL:
        return gr_opt_i64(c->tool, "--report-interval-ms", v, 100, 3600 * 1000, &o->report_interval_ms);
    }
    return 0;
}

/* Assigns every partition of `topic` at the earliest offset. Returns an exit code. */
static int assign_from_beginning(gr_client *c, const char *topic) {
    const rd_kafka_metadata_t *md;
    int rc = gr_client_metadata(c, &md);
    if (rc) return rc;
    const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, topic);
    if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        gr_err(help.command, "topic '%s' does not exist", topic);
        rd_kafka_metadata_destroy(md);
        return GR_EXIT_NOT_FOUND;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(t->partition_cnt);
    for (int i = 0; i < t->partition_cnt; i++)
        rd_kafka_topic_partition_list_add(l, topic, t->partitions[i].id)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_resp_err_t err = rd_kafka_assign(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (err) {
        gr_err(help.command, "cannot assign partitions: %s", rd_kafka_err2str(err));
        return GR_EXIT_FAILED;
    }
    return GR_EXIT_OK;
}

static int subscribe(gr_client *c, const char *topic) {
    const rd_kafka_metadata_t *md;
    int rc = gr_client_metadata(c, &md);
    if (rc) return rc;
    const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, topic);
    bool exists = t && t->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    rd_kafka_metadata_destroy(md);
    if (!exists) {
        gr_err(help.command, "topic '%s' does not exist", topic);
        return GR_EXIT_NOT_FOUND;
    }
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (err) {
        gr_err(help.command, "cannot subscribe: %s", rd_kafka_err2str(err));
        return GR_EXIT_FAILED;
    }
    return GR_EXIT_OK;
}

int gr_tool_perf_consume(int argc, char **argv) {
    perf_consume_opts o = {-1, -1, NULL, PERF_CONSUME_IDLE_TIMEOUT_MS_DEFAULT,
                           GR_PERF_REPORT_INTERVAL_MS_DEFAULT};
    gr_cli_common common;
    gr_client c;
    memset(&c, 0, sizeof c);
    rd_kafka_queue_t *queue = NULL;
    int p = gr_cli_parse(argc, argv, &help, specs, on_opt, &o, &common);
    int rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    if (p != GR_PARSE_OK) goto out;
    if (common.arg_count != 1) {
        gr_usage_error(&help, common.arg_count ? "name exactly one topic" : "missing TOPIC");
        goto out;
    }
    const char *topic = common.args[0];
    const char *defaults_group[] = {"group.id", o.group, "auto.offset.reset", "earliest", NULL};
    const char *defaults_plain[] = {"group.id", "gregor-perf-no-group", "enable.auto.commit",
                                    "false",    "auto.offset.reset",    "earliest",
                                    NULL};
    if ((rc = gr_client_open(&c, &common, RD_KAFKA_CONSUMER, o.group ? defaults_group : defaults_plain, NULL,
                             NULL)))
        goto out;
    int64_t start_ns = gr_mono_ns();
    if ((rc = o.group ? subscribe(&c, topic) : assign_from_beginning(&c, topic))) goto out;
    queue = rd_kafka_queue_get_consumer(c.rk);
    gr_stop_on_signals();

    gr_perf_progress progress;
    gr_perf_progress_init(&progress);
    rd_kafka_message_t *batch[PERF_CONSUME_BATCH_MAX];
    int64_t records = 0, bytes = 0, first_ns = 0, last_ns = start_ns, last_report_ns = start_ns;
    int64_t report_records = 0, report_bytes = 0;
    int64_t deadline_ns = o.duration_s > 0 ? start_ns + o.duration_s * 1000000000LL : 0;
    bool idle_expired = false;
    while (!gr_stop_requested()) {
        if (o.num_records > 0 && records >= o.num_records) break;
        int64_t now = gr_mono_ns();
        if (deadline_ns && now >= deadline_ns) break;
        if (now - last_report_ns >= o.report_interval_ms * 1000000LL) {
            double secs = (double)(now - last_report_ns) / 1e9;
            gr_perf_progress_line(&progress, "%lld records consumed, %.1f records/sec (%.2f MB/sec).",
                                  (long long)records, gr_perf_rate((double)(records - report_records), secs),
                                  gr_perf_rate((double)(bytes - report_bytes) / GR_PERF_BYTES_PER_MB, secs));
            last_report_ns = now;
            report_records = records;
            report_bytes = bytes;
        }
        ssize_t n = rd_kafka_consume_batch_queue(queue, GR_PERF_TICK_MS, batch, PERF_CONSUME_BATCH_MAX);
        if (n <= 0) {
            if (gr_mono_ns() - last_ns >= o.idle_timeout_ms * 1000000LL) {
                idle_expired = true;
                break;
            }
            continue;
        }
        int64_t got_ns = gr_mono_ns();
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    gr_warn(help.command, "%s", rd_kafka_message_errstr(m));
                if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) rc = GR_EXIT_NOT_FOUND;
            } else if (o.num_records < 0 || records < o.num_records) {
                records++;
                bytes += (int64_t)(m->len + m->key_len);
                if (!first_ns) first_ns = got_ns;
                last_ns = got_ns;
            }
            rd_kafka_message_destroy(m);
        }
        if (rc) break;
    }
    gr_perf_progress_done(&progress);
    double secs = (double)(last_ns - start_ns) / 1e9;
    double first_ms = first_ns ? (double)(first_ns - start_ns) / 1e6 : -1;
    double rps = gr_perf_rate((double)records, secs),
           mbps = gr_perf_rate((double)bytes / GR_PERF_BYTES_PER_MB, secs);
    if (common.json) {
        gr_json j;
        gr_json_init(&j, stdout);
        gr_json_obj_begin(&j);
        gr_json_ki64(&j, "records", records);
        gr_json_ki64(&j, "bytes", bytes);
        gr_json_kf64(&j, "elapsed_s", secs);
        gr_json_kf64(&j, "records_per_sec", rps);
        gr_json_kf64(&j, "mb_per_sec", mbps);
        gr_json_key(&j, "time_to_first_record_ms");
        first_ns ? gr_json_f64(&j, first_ms) : gr_json_null(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    } else {
        printf(
            "%lld records consumed, %.2f MB, %.1f records/sec (%.2f MB/sec), %.1f ms to the first record.\n",
            (long long)records, (double)bytes / GR_PERF_BYTES_PER_MB, rps, mbps, first_ms);
    }
    if (!rc && o.num_records > 0 && records < o.num_records) {
        if (idle_expired) {
            gr_err(help.command, "no record for %lld ms; stopped after %lld of %lld records",
                   (long long)o.idle_timeout_ms, (long long)records, (long long)o.num_records);
            rc = GR_EXIT_FAILED;
        } else if (gr_stop_requested()) {
            rc = GR_EXIT_INTERRUPTED;
        }
    }
out:
    if (queue) rd_kafka_queue_destroy(queue);
    if (c.rk) rd_kafka_consumer_close(c.rk);
    gr_client_close(&c);
    gr_cli_common_free(&common);
    return rc;
}
