/*
 * pipeline.c: the topic -> topic connector loop (see pipeline.h for the at-least-once argument).
 *
 *   poll -> hold the record in the filling batch
 *        -> on batch.count or batch.time_ms: produce the batch's outputs (pipeline_output.h) and
 *           start the next batch; up to a window of batches is in flight at once
 *   delivery reports -> when the oldest batches have all their outputs acknowledged (failed ones
 *           re-produced per retry_failed_events), they are freed and the next offset of every
 *           partition they read is committed, oldest first (asynchronously, every 100 ms)
 *   revocation, stop -> every batch is produced, acknowledged and committed first
 *
 * The consumer never commits on its own (no auto commit, no auto offset store), and a batch is
 * committed only when it and every batch before it are acknowledged: a committed offset never
 * runs ahead of the output.
 */
#include "connect/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "connect/kafka_client.h"
#include "connect/pipeline_output.h"

#include <librdkafka/rdkafka.h>

#define PIPELINE_POLL_MS 100
#define PIPELINE_STOP_GRACE_MS 10000
#define PIPELINE_LAG_EVERY_MS 1000
#define PIPELINE_CLOSE_FLUSH_MS 5000
/* Settled offsets are committed (asynchronously) at most this often while running. */
#define PIPELINE_COMMIT_EVERY_MS 100
/* Records taken from the consumer per call when many are ready. */
#define PIPELINE_CONSUME_MAX 512
/* Batches in flight: enough events to keep the producer busy with small batches, a few big ones. */
#define PIPELINE_WINDOW_EVENTS 65536
#define PIPELINE_WINDOW_MIN 4
#define PIPELINE_WINDOW_MAX 65536

typedef struct batch {
    rd_kafka_message_t **events; /* consumed records, held until committed */
    size_t count;
    gr_pipe_output *outputs;
    size_t output_count, in_flight;
    int64_t started_ms;
    int64_t retries;     /* rounds of re-producing failed outputs */
    int64_t retry_at_ms; /* when the failed outputs go out again */
} batch;

typedef struct pipeline {
    const gr_pipeline_config *cfg;
    gr_connector_status *st;
    rd_kafka_t *consumer, *producer;
    rd_kafka_queue_t *queue; /* the consumer's, for taking records many at a time */
    gr_connect_health health;
    batch *window; /* a ring: [head, head + sent) produced, head + sent the one filling */
    size_t window_size, head, sent;
    rd_kafka_topic_partition_list_t *uncommitted; /* next offsets of settled batches */
    int64_t committed_ms;
    gr_pipe_scratch scratch;
    bool failed;
    int rc;
} pipeline;

static batch *at(pipeline *p, size_t i) { return &p->window[(p->head + i) % p->window_size]; }
static batch *filling(pipeline *p) { return at(p, p->sent); }

static void clear_batch(batch *b) {
    for (size_t i = 0; i < b->count; i++) rd_kafka_message_destroy(b->events[i]);
    b->count = b->output_count = b->in_flight = 0;
    b->started_ms = b->retries = b->retry_at_ms = 0;
}

static void fail(pipeline *p, const char *what) {
    gr_status_set_state(p->st, "failed");
    fprintf(stderr, "gregor connect: %s: %s: %s\n", p->cfg->common.name, what, p->st->last_error);
    p->failed = true;
}

static void produce_pending(pipeline *p, batch *b) {
    for (size_t i = 0; i < b->output_count; i++) {
        gr_pipe_output *o = &b->outputs[i];
        if (o->state != GR_OUT_PENDING) continue;
        gr_pipe_produce(p->producer, p->cfg, b->events, o, &p->scratch, p->st);
        if (o->state == GR_OUT_IN_FLIGHT) b->in_flight++;
    }
}

/* The filling batch goes out: its outputs are produced and it joins the window. */
static void send_filling(pipeline *p) {
    batch *b = filling(p);
    GR_ASSERT(b->count > 0 && p->sent + 1 < p->window_size); /* room() keeps a slot for the next one */
    bool array = p->cfg->emit_array;
    b->output_count = array ? 1 : b->count;
    for (size_t i = 0; i < b->output_count; i++)
        b->outputs[i] = array ? (gr_pipe_output){0, b->count, GR_OUT_PENDING, b}
                              : (gr_pipe_output){i, 1, GR_OUT_PENDING, b};
    p->sent++;
    produce_pending(p, b);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    pipeline *p = opaque;
    gr_pipe_output *o = m->_private;
    (void)rk;
    if (!o || o->state != GR_OUT_IN_FLIGHT) return; /* a metrics record, or a batch given up on */
    batch *b = o->batch;
    GR_ASSERT(b->in_flight > 0);
    b->in_flight--;
    if (m->err) {
        o->state = GR_OUT_FAILED;
        char why[256];
        snprintf(why, sizeof why, "delivery to %s: %s", p->cfg->output_topic, rd_kafka_err2str(m->err));
        gr_pipe_event_error(p->st, b->events[o->first], why);
        return;
    }
    o->state = GR_OUT_ACKED;
    gr_connect_note_traffic(&p->health, p->st);
}

/* Whether batch `b` (all reports in) may be committed; failed outputs are re-produced per
   retry_failed_events and the reconnect policy. -1: retries exhausted. */
static int settle_failures(pipeline *p, batch *b, bool *done) {
    const gr_pipeline_config *c = p->cfg;
    size_t failed = 0;
    for (size_t i = 0; i < b->output_count; i++) failed += b->outputs[i].state == GR_OUT_FAILED;
    *done = !failed || !c->retry_failed_events; /* without retries: counted, and committed past */
    if (*done) return 0;
    int64_t now = gr_mono_ms();
    if (!b->retry_at_ms) {
        if (gr_stop_requested() ||
            (c->common.reconnect_max_retries >= 0 && b->retries >= c->common.reconnect_max_retries)) {
            fail(p, "events not delivered");
            return -1;
        }
        gr_status_set_state(p->st, "reconnecting");
        b->retry_at_ms = now + c->common.reconnect_interval_ms;
    } else if (now >= b->retry_at_ms) {
        b->retries++;
        b->retry_at_ms = 0;
        for (size_t i = 0; i < b->output_count; i++)
            if (b->outputs[i].state == GR_OUT_FAILED) b->outputs[i].state = GR_OUT_PENDING;
        produce_pending(p, b);
    }
    return 0;
}

/* Commits `list` within the reconnect policy; -1 when retries ran out. */
static int commit_offsets(pipeline *p, rd_kafka_topic_partition_list_t *list) {
    const gr_connect_common *c = &p->cfg->common;
    for (int64_t attempt = 0;; attempt++) {
        rd_kafka_resp_err_t err = rd_kafka_commit(p->consumer, list, 0);
        if (!err) return 0;
        gr_status_error(p->st, "commit: %s", rd_kafka_err2str(err));
        if (err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
            err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
            return 0; /* the partitions moved on: their next owner reads these records again */
        if (gr_stop_requested() || (c->reconnect_max_retries >= 0 && attempt >= c->reconnect_max_retries)) {
            fail(p, "offsets not committed");
            return -1;
        }
        gr_status_set_state(p->st, "reconnecting");
        gr_connect_sleep_ms(c->reconnect_interval_ms);
    }
}

/* Frees the oldest batches whose outputs are all settled, in order, adding the next offset of
   every partition they read to p->uncommitted; -1 when retries ran out. */
static int settle_oldest(pipeline *p) {
    int64_t acked = 0;
    int rc = 0;
    while (p->sent) {
        batch *b = at(p, 0);
        bool done;
        if (b->in_flight || (rc = settle_failures(p, b, &done)) < 0 || !done) break;
        if (!p->uncommitted) p->uncommitted = rd_kafka_topic_partition_list_new(8);
        for (size_t i = 0; i < b->count; i++) {
            const rd_kafka_message_t *m = b->events[i];
            const char *topic = rd_kafka_topic_name(m->rkt);
            rd_kafka_topic_partition_t *tp =
                rd_kafka_topic_partition_list_find(p->uncommitted, topic, m->partition);
            if (!tp) tp = rd_kafka_topic_partition_list_add(p->uncommitted, topic, m->partition);
            if (m->offset + 1 > tp->offset) tp->offset = m->offset + 1;
        }
        for (size_t i = 0; i < b->output_count; i++) /* settled: acknowledged, or failed and counted */
            GR_ASSERT(b->outputs[i].state != GR_OUT_IN_FLIGHT && b->outputs[i].state != GR_OUT_PENDING);
        for (size_t i = 0; i < b->output_count; i++) acked += b->outputs[i].state == GR_OUT_ACKED;
        clear_batch(b);
        p->head = (p->head + 1) % p->window_size;
        p->sent--;
    }
    if (acked) {
        pthread_mutex_lock(&p->st->lock);
        p->st->records_out += acked;
        if (!p->health.brokers_down) p->st->state = "running";
        pthread_mutex_unlock(&p->st->lock);
    }
    return rc;
}

/* Commits p->uncommitted: asynchronously on the way (a failed commit is overtaken by the next),
   synchronously within the reconnect policy when `sync` (stop, revocation). */
static int commit_uncommitted(pipeline *p, bool sync) {
    if (!p->uncommitted) return 0;
    int rc = 0;
    if (sync)
        rc = commit_offsets(p, p->uncommitted);
    else
        rd_kafka_commit(p->consumer, p->uncommitted, 1);
    rd_kafka_topic_partition_list_destroy(p->uncommitted);
    p->uncommitted = NULL;
    p->committed_ms = gr_mono_ms();
    return rc;
}

/* Serves delivery reports (sending at once when `drain`, linger ignored) and commits what settled;
   -1 when the pipeline failed (retries exhausted, or brokers down beyond the policy). */
static int serve_reports(pipeline *p, bool drain) {
    if (drain)
        rd_kafka_flush(p->producer, PIPELINE_POLL_MS);
    else
        rd_kafka_poll(p->producer, 0);
    if (gr_connect_down_too_long(&p->health, &p->cfg->common, gr_mono_ms())) {
        p->rc = GR_EXIT_UNREACHABLE;
        fail(p, "brokers unreachable");
        return -1;
    }
    if (settle_oldest(p) < 0) return -1;
    return gr_mono_ms() - p->committed_ms >= PIPELINE_COMMIT_EVERY_MS ? commit_uncommitted(p, false) : 0;
}

/* Sends the filling batch and waits until every batch is committed; -1 when that failed or
   stopping took longer than the grace period (then nothing more is committed). */
static int drain(pipeline *p) {
    if (filling(p)->count) send_filling(p);
    int64_t stop_deadline = 0;
    while (p->sent) {
        if (serve_reports(p, true) < 0) return -1;
        int64_t now = gr_mono_ms();
        if (gr_stop_requested() && !stop_deadline) stop_deadline = now + PIPELINE_STOP_GRACE_MS;
        if (stop_deadline && now > stop_deadline) return -1;
    }
    return commit_uncommitted(p, true);
}

static void give_up_all(pipeline *p) {
    for (size_t i = 0; i <= p->sent && i < p->window_size; i++) {
        batch *b = at(p, i);
        for (size_t k = 0; k < b->output_count; k++) b->outputs[k].state = GR_OUT_DROPPED;
        clear_batch(b);
    }
    p->sent = 0;
    if (p->uncommitted) rd_kafka_topic_partition_list_destroy(p->uncommitted);
    p->uncommitted = NULL;
}

/* Assignment from the group's committed offsets; revocation commits everything first. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    pipeline *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        return;
    }
    if (drain(p) < 0) {
        p->failed = true;
        give_up_all(p); /* what could not be committed is read again by the next owner */
    }
    rd_kafka_assign(rk, NULL);
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    pipeline *p = opaque;
    (void)rk;
    gr_connect_note_kafka_error(&p->health, p->st, err, reason);
}

static rd_kafka_t *new_handle(pipeline *p, rd_kafka_type_t type) {
    /* The batches in flight hold their records; a deeper prefetch keeps the fetcher going meanwhile
       (bounded by queued.max.messages.kbytes all the same). */
    static const char *const consumer_defaults[] = {"queued.min.messages", "1000000", NULL};
    gr_connect_callbacks cb = {p, on_kafka_error, on_rebalance, on_delivery, consumer_defaults};
    return gr_connect_handle(&p->cfg->common, type, &cb, p->st);
}

static void add_event(pipeline *p, rd_kafka_message_t *msg) {
    pthread_mutex_lock(&p->st->lock);
    p->st->records_in++;
    pthread_mutex_unlock(&p->st->lock);
    batch *b = filling(p);
    if (!b->count) b->started_ms = gr_mono_ms();
    b->events[b->count++] = msg;
}

/* A consumed record joins the filling batch, which goes out when full. */
static void take_record(pipeline *p, rd_kafka_message_t *msg) {
    if (msg->err) {
        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            gr_status_error(p->st, "kafka: %s", rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
        return;
    }
    gr_connect_note_traffic(&p->health, p->st);
    add_event(p, msg);
    if ((int64_t)filling(p)->count >= p->cfg->batch_count) send_filling(p);
}

/* Records the window can still take: the rest of the filling batch and the free batches after it
   (a batch is sent when full, so this is at least 1 unless the window is full). */
static size_t room(pipeline *p) {
    if (p->sent + 1 >= p->window_size) return 0;
    return (p->window_size - 1 - p->sent) * (size_t)p->cfg->batch_count - filling(p)->count;
}

/* Takes what the consumer has ready (many at a time), else waits up to a poll for one record. */
static size_t consume(pipeline *p) {
    rd_kafka_message_t *msgs[PIPELINE_CONSUME_MAX];
    size_t want = room(p);
    if (!want) return 0;
    ssize_t n = rd_kafka_consume_batch_queue(p->queue, 0, msgs,
                                             want < PIPELINE_CONSUME_MAX ? want : PIPELINE_CONSUME_MAX);
    if (n <= 0) {
        msgs[0] = rd_kafka_consumer_poll(p->consumer, PIPELINE_POLL_MS);
        n = msgs[0] ? 1 : 0;
    }
    for (ssize_t i = 0; i < n; i++) take_record(p, msgs[i]);
    return (size_t)n;
}

static void run_loop(pipeline *p) {
    const gr_pipeline_config *c = p->cfg;
    int64_t next_lag_ms = 0, next_metrics_ms = gr_mono_ms() + c->common.metrics_interval_s * 1000;
    while (!gr_stop_requested() && !p->failed) {
        bool window_full = !room(p); /* then wait for the oldest batch before reading more */
        size_t got = consume(p);
        int64_t now = gr_mono_ms();
        batch *b = filling(p);
        if (b->count && now - b->started_ms >= c->batch_time_ms) send_filling(p);
        if (serve_reports(p, window_full || (!got && p->sent)) < 0) break;
        if (now >= next_lag_ms) {
            gr_connect_update_lag(p->consumer, p->st);
            next_lag_ms = now + PIPELINE_LAG_EVERY_MS;
        }
        if (c->common.metrics_interval_s && now >= next_metrics_ms) {
            gr_connect_publish_metrics(&c->common, c->common.metrics_topic ? p->producer : NULL, p->st);
            next_metrics_ms = now + c->common.metrics_interval_s * 1000;
        }
    }
    if (!p->failed && drain(p) < 0) p->failed = true;
}

static int alloc_window(pipeline *p) {
    size_t per = (size_t)p->cfg->batch_count;
    size_t n = PIPELINE_WINDOW_EVENTS / per;
    n = n < PIPELINE_WINDOW_MIN ? PIPELINE_WINDOW_MIN : n > PIPELINE_WINDOW_MAX ? PIPELINE_WINDOW_MAX : n;
    p->window = calloc(n, sizeof *p->window);
    if (!p->window) return -1;
    p->window_size = n;
    for (size_t i = 0; i < n; i++) {
        p->window[i].events = calloc(per, sizeof *p->window[i].events);
        p->window[i].outputs = calloc(per, sizeof *p->window[i].outputs);
        if (!p->window[i].events || !p->window[i].outputs) return -1;
    }
    return 0;
}

static void free_window(pipeline *p) {
    for (size_t i = 0; p->window && i < p->window_size; i++) {
        clear_batch(&p->window[i]);
        free(p->window[i].events);
        free(p->window[i].outputs);
    }
    free(p->window);
}

int gr_pipeline_run(const gr_pipeline_config *cfg, gr_connector_status *st) {
    pipeline p = {.cfg = cfg, .st = st};
    gr_pipe_scratch_init(&p.scratch);
    if (alloc_window(&p) == 0 && (p.producer = new_handle(&p, RD_KAFKA_PRODUCER)) &&
        (p.consumer = new_handle(&p, RD_KAFKA_CONSUMER)) &&
        gr_connect_subscribe(p.consumer, &cfg->common, st) == 0 &&
        (p.queue = rd_kafka_queue_get_consumer(p.consumer))) {
        gr_status_set_state(st, "running");
        run_loop(&p);
    } else {
        p.failed = true;
    }
    int rc = p.rc ? p.rc : p.failed ? GR_EXIT_FAILED : GR_EXIT_OK;
    gr_status_set_state(st, rc ? "failed" : "stopped");
    if (p.window) give_up_all(&p); /* uncommitted: read again after a restart */
    if (p.queue) rd_kafka_queue_destroy(p.queue);
    if (p.consumer) {
        rd_kafka_consumer_close(p.consumer);
        rd_kafka_destroy(p.consumer);
    }
    if (p.producer) {
        rd_kafka_flush(p.producer, PIPELINE_CLOSE_FLUSH_MS);
        rd_kafka_destroy(p.producer);
    }
    free_window(&p);
    if (p.uncommitted) rd_kafka_topic_partition_list_destroy(p.uncommitted);
    gr_pipe_scratch_free(&p.scratch);
    return rc;
}
