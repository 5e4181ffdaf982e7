/*
 * pipeline.c: the topic -> topic connector loop (see pipeline.h for the at-least-once argument).
 *
 *   poll -> hold the record in the batch
 *        -> on batch.count or batch.time_ms: produce the batch's outputs (one per event, or one
 *           JSON array), wait for every delivery report, re-produce failed ones per
 *           retry_failed_events, then commit the next offset of every partition in the batch
 *   revocation -> the batch so far is flushed and committed first
 *
 * The consumer never commits on its own (no auto commit, no auto offset store): the only commit
 * is the one after the acknowledgements, so a committed offset never runs ahead of the output.
 */
#include "connect/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "connect/kafka_client.h"
#include "connect/pipeline_codec.h"

#include <librdkafka/rdkafka.h>

#define PIPELINE_POLL_MS 100
#define PIPELINE_STOP_GRACE_MS 10000
#define PIPELINE_LAG_EVERY_MS 1000
#define PIPELINE_CLOSE_FLUSH_MS 5000

typedef enum out_state { OUT_PENDING, OUT_IN_FLIGHT, OUT_ACKED, OUT_FAILED, OUT_DROPPED } out_state;

/* One record to produce: a single event, or (batch.emit = array) every event of the batch. */
typedef struct output {
    size_t first, count;
    out_state state;
} output;

typedef struct pipeline {
    const gr_pipeline_config *cfg;
    gr_connector_status *st;
    rd_kafka_t *consumer, *producer;
    gr_connect_health health;
    rd_kafka_message_t **events; /* the batch: consumed records, held until committed */
    size_t count;
    output *outputs;
    size_t output_count, in_flight;
    int64_t batch_started_ms;
    gr_buf value, key, header;
    bool failed;
    int rc;
} pipeline;

static void clear_batch(pipeline *p) {
    for (size_t i = 0; i < p->count; i++) rd_kafka_message_destroy(p->events[i]);
    p->count = 0;
    p->output_count = 0;
    p->batch_started_ms = 0;
}

static gr_record_meta meta_of(const rd_kafka_message_t *m) {
    rd_kafka_timestamp_type_t type;
    return (gr_record_meta){m->key,       m->key_len, rd_kafka_topic_name(m->rkt),
                            m->partition, m->offset,  rd_kafka_message_timestamp(m, &type)};
}

static void event_error(pipeline *p, const rd_kafka_message_t *m, const char *why) {
    gr_status_error(p->st, "%s [%d] offset %lld: %s", rd_kafka_topic_name(m->rkt), m->partition,
                    (long long)m->offset, why);
}

/* The value of output `o`: one encoded event, or the encoded events as a JSON array. Events that
   do not decode are reported and left out; returns false when nothing is left to send. */
static bool encode_output(pipeline *p, const output *o) {
    const gr_pipeline_config *c = p->cfg;
    char why[256];
    size_t encoded = 0;
    gr_buf_reset(&p->value);
    if (c->emit_array) gr_buf_put(&p->value, "[", 1);
    for (size_t i = o->first; i < o->first + o->count; i++) {
        const rd_kafka_message_t *m = p->events[i];
        size_t before = p->value.len;
        if (c->emit_array && encoded) gr_buf_put(&p->value, ",", 1);
        if (gr_pipeline_encode(c->codec_in, c->codec_out, m->payload, m->len, &p->value, why, sizeof why) <
            0) {
            p->value.len = before;
            event_error(p, m, why);
            continue;
        }
        encoded++;
    }
    if (c->emit_array) gr_buf_put(&p->value, "]", 1);
    return encoded > 0 && !p->value.oom;
}

/* Headers of the output: the input's (output.headers = carry), then header.NAME templates. */
static rd_kafka_headers_t *output_headers(pipeline *p, const rd_kafka_message_t *m,
                                          const gr_record_meta *meta) {
    const gr_pipeline_config *c = p->cfg;
    rd_kafka_headers_t *in = NULL, *out = rd_kafka_headers_new(8);
    if (c->carry_headers && rd_kafka_message_headers(m, &in) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *value;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(in, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             i++)
            rd_kafka_header_add(out, name, -1, value, value ? (ssize_t)size : -1);
    }
    for (int i = 0; i < c->header_count; i++) {
        gr_buf_reset(&p->header);
        gr_template_expand(&c->header_values[i], meta, &p->header);
        rd_kafka_header_add(out, c->header_names[i], -1, p->header.data ? (const char *)p->header.data : "",
                            (ssize_t)p->header.len);
    }
    return out;
}

/* Produces output `o` with the metadata of its first event; a refusal marks it failed. */
static void produce_output(pipeline *p, output *o) {
    const gr_pipeline_config *c = p->cfg;
    if (!encode_output(p, o)) {
        o->state = OUT_DROPPED; /* nothing decodes: nothing to send, the offsets move past it */
        return;
    }
    const rd_kafka_message_t *m = p->events[o->first];
    gr_record_meta meta = meta_of(m);
    gr_buf_reset(&p->key);
    gr_template_expand(&c->key, &meta, &p->key);
    if (!p->key.len && c->default_key) gr_buf_put(&p->key, c->default_key, strlen(c->default_key));
    int32_t partition = c->partition_mode == GR_PARTITION_CARRY   ? m->partition
                        : c->partition_mode == GR_PARTITION_FIXED ? c->partition
                                                                  : RD_KAFKA_PARTITION_UA;
    int64_t timestamp = c->carry_timestamp && meta.timestamp_ms > 0 ? meta.timestamp_ms : 0;
    for (;;) {
        rd_kafka_headers_t *h = output_headers(p, m, &meta);
        rd_kafka_resp_err_t err =
            rd_kafka_producev(p->producer, RD_KAFKA_V_TOPIC(c->output_topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_KEY(p->key.len ? p->key.data : NULL, p->key.len),
                              RD_KAFKA_V_VALUE(p->value.data, p->value.len), RD_KAFKA_V_HEADERS(h),
                              RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_OPAQUE(o), RD_KAFKA_V_END);
        if (!err) {
            o->state = OUT_IN_FLIGHT;
            p->in_flight++;
            return;
        }
        rd_kafka_headers_destroy(h);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || gr_stop_requested()) {
            o->state = OUT_FAILED;
            char why[256];
            snprintf(why, sizeof why, "produce to %s: %s", c->output_topic, rd_kafka_err2str(err));
            event_error(p, m, why);
            return;
        }
        rd_kafka_poll(p->producer, PIPELINE_POLL_MS); /* the queue drains as reports come in */
    }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    pipeline *p = opaque;
    output *o = m->_private;
    (void)rk;
    if (!o || o->first >= p->count) return; /* a metrics record, or a batch given up on */
    p->in_flight--;
    if (m->err) {
        o->state = OUT_FAILED;
        char why[256];
        snprintf(why, sizeof why, "delivery to %s: %s", p->cfg->output_topic, rd_kafka_err2str(m->err));
        event_error(p, p->events[o->first], why);
        return;
    }
    o->state = OUT_ACKED;
    gr_connect_note_traffic(&p->health, p->st);
}

/* Waits for every delivery report of the batch; -1 when stopping took too long or the brokers
   stayed down beyond the reconnect policy (nothing is committed then). */
static int wait_acks(pipeline *p) {
    int64_t stop_deadline = 0;
    while (p->in_flight) {
        rd_kafka_flush(p->producer, PIPELINE_POLL_MS); /* sends at once (no linger) and serves reports */
        int64_t now = gr_mono_ms();
        if (gr_connect_down_too_long(&p->health, &p->cfg->common, now)) {
            p->rc = GR_EXIT_UNREACHABLE;
            return -1;
        }
        if (gr_stop_requested() && !stop_deadline) stop_deadline = now + PIPELINE_STOP_GRACE_MS;
        if (stop_deadline && now > stop_deadline) return -1;
    }
    return 0;
}

static void fail(pipeline *p, const char *what) {
    gr_status_set_state(p->st, "failed");
    fprintf(stderr, "gregor connect: %s: %s: %s\n", p->cfg->common.name, what, p->st->last_error);
    p->failed = true;
}

/* Commits the next offset of every partition in the batch, within the reconnect policy. */
static int commit_batch(pipeline *p) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < p->count; i++) {
        const rd_kafka_message_t *m = p->events[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(list, topic, m->partition);
        if (!tp) tp = rd_kafka_topic_partition_list_add(list, topic, m->partition);
        if (m->offset + 1 > tp->offset) tp->offset = m->offset + 1;
    }
    int rc = 0;
    for (int64_t attempt = 0;; attempt++) {
        rd_kafka_resp_err_t err = rd_kafka_commit(p->consumer, list, 0);
        if (!err) break;
        gr_status_error(p->st, "commit: %s", rd_kafka_err2str(err));
        if (err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
            err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
            break; /* the partitions moved on: their next owner reads these records again */
        const gr_connect_common *c = &p->cfg->common;
        if (gr_stop_requested() || (c->reconnect_max_retries >= 0 && attempt >= c->reconnect_max_retries)) {
            fail(p, "offsets not committed");
            rc = -1;
            break;
        }
        gr_status_set_state(p->st, "reconnecting");
        gr_connect_sleep_ms(c->reconnect_interval_ms);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* Produces the batch, waits for the acknowledgements, retries failures, then commits. */
static int flush_batch(pipeline *p) {
    const gr_pipeline_config *c = p->cfg;
    if (!p->count) return 0;
    p->output_count = c->emit_array ? 1 : p->count;
    for (size_t i = 0; i < p->output_count; i++)
        p->outputs[i] = c->emit_array ? (output){0, p->count, OUT_PENDING} : (output){i, 1, OUT_PENDING};
    for (int64_t attempt = 0;; attempt++) {
        for (size_t i = 0; i < p->output_count; i++)
            if (p->outputs[i].state == OUT_PENDING) produce_output(p, &p->outputs[i]);
        if (wait_acks(p) < 0) {
            if (p->rc) fail(p, "brokers unreachable");
            return -1;
        }
        size_t failed = 0;
        for (size_t i = 0; i < p->output_count; i++) failed += p->outputs[i].state == OUT_FAILED;
        if (!failed) break;
        if (!c->retry_failed_events) break; /* counted as errors; the commit moves past them */
        if (gr_stop_requested() ||
            (c->common.reconnect_max_retries >= 0 && attempt >= c->common.reconnect_max_retries)) {
            fail(p, "events not delivered");
            return -1;
        }
        gr_status_set_state(p->st, "reconnecting");
        gr_connect_sleep_ms(c->common.reconnect_interval_ms);
        for (size_t i = 0; i < p->output_count; i++)
            if (p->outputs[i].state == OUT_FAILED) p->outputs[i].state = OUT_PENDING;
    }
    if (commit_batch(p) < 0) return -1;
    int64_t acked = 0;
    for (size_t i = 0; i < p->output_count; i++) acked += p->outputs[i].state == OUT_ACKED;
    pthread_mutex_lock(&p->st->lock);
    p->st->records_out += acked;
    p->st->state = "running";
    pthread_mutex_unlock(&p->st->lock);
    clear_batch(p);
    return 0;
}

/* Assignment from the group's committed offsets; revocation flushes and commits the batch first. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    pipeline *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        return;
    }
    if (flush_batch(p) < 0) p->failed = true;
    clear_batch(p); /* what could not be committed is read again by the next owner */
    rd_kafka_assign(rk, NULL);
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    pipeline *p = opaque;
    (void)rk;
    gr_connect_note_kafka_error(&p->health, p->st, err, reason);
}

static rd_kafka_t *new_handle(pipeline *p, rd_kafka_type_t type) {
    gr_connect_callbacks cb = {p, on_kafka_error, on_rebalance, on_delivery};
    return gr_connect_handle(&p->cfg->common, type, &cb, p->st);
}

static void add_event(pipeline *p, rd_kafka_message_t *msg) {
    pthread_mutex_lock(&p->st->lock);
    p->st->records_in++;
    pthread_mutex_unlock(&p->st->lock);
    if (!p->count) p->batch_started_ms = gr_mono_ms();
    p->events[p->count++] = msg;
}

static void run_loop(pipeline *p) {
    const gr_pipeline_config *c = p->cfg;
    int64_t next_lag_ms = 0, next_metrics_ms = gr_mono_ms() + c->common.metrics_interval_s * 1000;
    while (!gr_stop_requested() && !p->failed) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(p->consumer, PIPELINE_POLL_MS);
        if (msg && !msg->err) {
            gr_connect_note_traffic(&p->health, p->st);
            add_event(p, msg);
        } else if (msg) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                gr_status_error(p->st, "kafka: %s", rd_kafka_message_errstr(msg));
            rd_kafka_message_destroy(msg);
        }
        rd_kafka_poll(p->producer, 0);
        int64_t now = gr_mono_ms();
        if (p->count &&
            ((int64_t)p->count >= c->batch_count || now - p->batch_started_ms >= c->batch_time_ms) &&
            flush_batch(p) < 0)
            break;
        if (gr_connect_down_too_long(&p->health, &c->common, now)) {
            p->rc = GR_EXIT_UNREACHABLE;
            fail(p, "brokers unreachable");
            break;
        }
        if (now >= next_lag_ms) {
            gr_connect_update_lag(p->consumer, p->st);
            next_lag_ms = now + PIPELINE_LAG_EVERY_MS;
        }
        if (c->common.metrics_interval_s && now >= next_metrics_ms) {
            gr_connect_publish_metrics(&c->common, c->common.metrics_topic ? p->producer : NULL, p->st);
            next_metrics_ms = now + c->common.metrics_interval_s * 1000;
        }
    }
    if (!p->failed && flush_batch(p) < 0 && !p->failed) p->failed = true;
}

int gr_pipeline_run(const gr_pipeline_config *cfg, gr_connector_status *st) {
    pipeline p = {.cfg = cfg, .st = st};
    gr_buf_init(&p.value);
    gr_buf_init(&p.key);
    gr_buf_init(&p.header);
    p.events = calloc((size_t)cfg->batch_count, sizeof *p.events);
    p.outputs = calloc((size_t)cfg->batch_count, sizeof *p.outputs);
    if (p.events && p.outputs && (p.producer = new_handle(&p, RD_KAFKA_PRODUCER)) &&
        (p.consumer = new_handle(&p, RD_KAFKA_CONSUMER)) &&
        gr_connect_subscribe(p.consumer, &cfg->common, st) == 0) {
        gr_status_set_state(st, "running");
        run_loop(&p);
    } else {
        p.failed = true;
    }
    int rc = p.rc ? p.rc : p.failed ? GR_EXIT_FAILED : GR_EXIT_OK;
    gr_status_set_state(st, rc ? "failed" : "stopped");
    if (p.consumer) {
        clear_batch(&p); /* uncommitted: read again after a restart */
        rd_kafka_consumer_close(p.consumer);
        rd_kafka_destroy(p.consumer);
    }
    if (p.producer) {
        rd_kafka_flush(p.producer, PIPELINE_CLOSE_FLUSH_MS);
        rd_kafka_destroy(p.producer);
    }
    clear_batch(&p);
    free(p.events);
    free(p.outputs);
    gr_buf_free(&p.value);
    gr_buf_free(&p.key);
    gr_buf_free(&p.header);
    return rc;
}
