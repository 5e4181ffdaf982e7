/*
 * handle_produce.c: Produce.
 *
 * Each partition's records must be exactly one batch (Produce v3+); it is
 * validated and appended by the store (which also applies the
 * idempotent-producer rules). acks=0 gets no response (a failure
 * closes the connection so the producer notices, as Kafka does); acks=1 is
 * answered after the write; acks=all after the data is on disk: the appended
 * partitions are handed to the flusher, whose single fsync round serves every
 * request that arrived meanwhile, and the reply is sent from the loop once
 * the last of them is durable.
 *
 * In cluster mode (the partition has a replica) only the leader appends; others answer
 * NOT_LEADER_OR_FOLLOWER with the leader's whereabouts (v10+). acks=all first checks
 * min.insync.replicas against the ISR, then waits both for the local flush and for the high
 * watermark to pass the batch (cluster/partition_replica.h).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "broker/log_cleaning.h"
#include "proto/record_keys.h"
#include "broker/handlers.h"
#include "broker/leader_hint.h"
#include "broker/metrics.h"
#include "cluster/partition_replica.h"
#include "cluster/topic_config.h"
#include "proto/errors.h"
#include "proto/gen/produce.h"
#include "proto/record_batch.h"

typedef struct produce_wait {
    gr_request *req;
    gr_produce_response *out;
    atomic_int pending;
    gr_loop *loop;
    gr_topic **held; /* kept until the flushes are done, so their logs stay open */
    int nheld;
} produce_wait;

typedef struct flush_ticket {
    produce_wait *pw;
    gr_produce_response_partition_produce_response *pr;
} flush_ticket;

/* Records the store refused for their timestamps, as Kafka lists them (Produce v8+). */
static void add_record_errors(gr_request *req, const gr_append_result *ar,
                              gr_produce_response_partition_produce_response *pr) {
    if (ar->record_error_count <= 0 || req->api_version < 8) return;
    pr->record_errors.items =
        gr_request_alloc(req, (size_t)ar->record_error_count * sizeof pr->record_errors.items[0]);
    pr->record_errors.count = ar->record_error_count;
    for (int32_t i = 0; i < ar->record_error_count; i++) {
        const gr_append_record_error *e = &ar->record_errors[i];
        char text[200];
        snprintf(text, sizeof text,
                 "Timestamp %" PRId64 " of message with offset %" PRId64
                 " is out of range. The timestamp should be within [%" PRId64 ", %" PRId64 "]",
                 e->timestamp, e->offset, ar->timestamp_min_ms, ar->timestamp_max_ms);
        gr_produce_response_batch_index_and_error_message_init(&pr->record_errors.items[i]);
        pr->record_errors.items[i].batch_index = e->batch_index;
        pr->record_errors.items[i].batch_index_error_message = gr_request_strdup(req, text);
    }
}

static void produce_finish(void *ud) {
    produce_wait *pw = ud;
    for (int i = 0; i < pw->nheld; i++) gr_topic_release(pw->held[i]);
    gr_request_reply(pw->req, pw->out);
    free(pw);
}

/* One of a partition's waits is over (flush and, in a cluster, replication may end on two
 * threads at once: the error is stored atomically, the counter orders it before the reply). */
static void ticket_done(flush_ticket *t, int16_t error) {
    produce_wait *pw = t->pw;
    if (error != GR_ERR_NONE) __atomic_store_n(&t->pr->error_code, error, __ATOMIC_RELAXED);
    free(t);
    if (atomic_fetch_sub(&pw->pending, 1) == 1) gr_loop_post(pw->loop, produce_finish, pw);
}

/* Runs on the flusher thread. */
static void flush_done(void *ud, int error) {
    ticket_done(ud, error != 0 ? GR_ERR_KAFKA_STORAGE_ERROR : GR_ERR_NONE);
}

/* acks=all in a cluster: the high watermark passed the batch, or the wait failed. Any thread. */
static void replicated(void *ud, int16_t error) { ticket_done(ud, error); }

/* A partition waiting for its followers (acks=all in a cluster). */
typedef struct replica_wait {
    gr_partition_replica *replica;
    int64_t end_offset;
    int32_t min_insync;
    gr_produce_response_partition_produce_response *pr;
} replica_wait;

/* The topic's min.insync.replicas (its own setting, else the broker's). */
static int32_t min_insync_replicas(gr_broker *b, gr_topic *topic) {
    gr_properties props;
    gr_properties_init(&props);
    gr_topics_copy_configs(b->topics, topic, &props);
    char v[32];
    gr_topic_config_effective(&b->cfg, &props, "min.insync.replicas", v, sizeof v);
    gr_properties_free(&props);
    long n = strtol(v, NULL, 10);
    return n > 0 && n <= INT32_MAX ? (int32_t)n : b->cfg.min_insync_replicas;
}

/* Compacted topics refuse records without a key as Kafka does: INVALID_RECORD, the record named
 * in RecordErrors (v8+). true if refused. */
static bool refuse_keyless(gr_request *req, const uint8_t *batch, size_t size, gr_str topic,
                           int32_t partition, gr_produce_response_partition_produce_response *pr) {
    int32_t index = gr_batch_first_keyless_record(batch, size);
    if (index == -1) return false;
    char text[400];
    if (index == -2)
        snprintf(text, sizeof text,
                 "Cannot read the records of a batch for compacted topic partition %.*s-%d.", (int)topic.len,
                 topic.ptr, (int)partition);
    else
        snprintf(text, sizeof text,
                 "Compacted topic cannot accept message without key in topic partition %.*s-%d.",
                 (int)topic.len, topic.ptr, (int)partition);
    pr->error_code = index == -2 ? GR_ERR_CORRUPT_MESSAGE : GR_ERR_INVALID_RECORD;
    pr->error_message = gr_request_strdup(req, text);
    if (index >= 0 && req->api_version >= 8) {
        pr->record_errors.items = gr_request_alloc(req, sizeof pr->record_errors.items[0]);
        pr->record_errors.count = 1;
        gr_produce_response_batch_index_and_error_message_init(&pr->record_errors.items[0]);
        pr->record_errors.items[0].batch_index = index;
    }
    return true;
}

/* Not the leader: the error, and where the leader is (v10+). */
static void not_leader(gr_request *req, gr_partition_replica *r,
                       gr_produce_response_partition_produce_response *pr, gr_hint_nodes *nodes) {
    pr->error_code = GR_ERR_NOT_LEADER_OR_FOLLOWER;
    if (req->api_version < 10) return;
    gr_leader_hint h;
    gr_leader_hint_get(req->broker, r, &h);
    if (h.leader_id < 0) return;
    pr->has_current_leader = true;
    pr->current_leader.leader_id = h.leader_id;
    pr->current_leader.leader_epoch = h.leader_epoch;
    gr_hint_nodes_add(req, nodes, &h);
}

static void set_node_endpoints(gr_request *req, gr_produce_response *out, const gr_hint_nodes *nodes) {
    if (nodes->count == 0) return;
    out->node_endpoints.items =
        gr_request_alloc(req, (size_t)nodes->count * sizeof out->node_endpoints.items[0]);
    out->node_endpoints.count = nodes->count;
    for (int i = 0; i < nodes->count; i++) {
        gr_produce_response_node_endpoint *e = &out->node_endpoints.items[i];
        gr_produce_response_node_endpoint_init(e);
        e->node_id = nodes->ids[i];
        e->host = nodes->hosts[i];
        e->port = nodes->ports[i];
    }
}

void gr_handle_produce(gr_request *req) {
    gr_produce_request *in = req->body;
    gr_broker *b = req->broker;
    gr_produce_response *out = gr_request_new_response(req);
    bool acks_valid = in->acks == -1 || in->acks == 0 || in->acks == 1;
    bool any_error = false, any_appended = false;
    out->responses.items =
        gr_request_alloc(req, (size_t)(in->topic_data.count + 1) * sizeof out->responses.items[0]);
    out->responses.count = in->topic_data.count;

    int32_t total_partitions = 0;
    for (int32_t t = 0; t < in->topic_data.count; t++)
        total_partitions += in->topic_data.items[t].partition_data.count;
    /* Partitions whose data must reach the disk before an acks=all reply. */
    gr_partition_log **to_flush = gr_request_alloc(req, (size_t)(total_partitions + 1) * sizeof *to_flush);
    gr_produce_response_partition_produce_response **flush_resp =
        gr_request_alloc(req, (size_t)(total_partitions + 1) * sizeof *flush_resp);
    gr_topic **held = gr_request_alloc(req, (size_t)(in->topic_data.count + 1) * sizeof *held);
    int nflush = 0, nheld = 0, nrepl = 0;
    replica_wait *repl = NULL; /* cluster mode, acks=all: allocated when first needed */
    gr_hint_nodes nodes = {.cap = total_partitions};

    for (int32_t t = 0; t < in->topic_data.count; t++) {
        gr_produce_request_topic_produce_data *td = &in->topic_data.items[t];
        gr_produce_response_topic_produce_response *rt = &out->responses.items[t];
        gr_produce_response_topic_produce_response_init(rt);
        rt->name = td->name;
        rt->partition_responses.items = gr_request_alloc(req, (size_t)(td->partition_data.count + 1) *
                                                                  sizeof rt->partition_responses.items[0]);
        rt->partition_responses.count = td->partition_data.count;
        int16_t topic_err = GR_ERR_NONE;
        gr_topic *topic = NULL;
        /* No name check of its own: Produce never creates topics, so a name that is not valid
         * is simply one that does not exist (Kafka answers UNKNOWN_TOPIC_OR_PARTITION too). */
        if (!acks_valid)
            topic_err = GR_ERR_INVALID_REQUIRED_ACKS;
        else if (!(topic = gr_topics_get(b->topics, td->name)))
            topic_err = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else if (topic->internal)
            topic_err = GR_ERR_INVALID_TOPIC_EXCEPTION; /* only the broker writes its internal topics */
        if (topic) held[nheld++] = topic;
        int32_t min_insync = -1; /* looked up once per topic, when needed */
        int compacted = -1;      /* the same */

        for (int32_t i = 0; i < td->partition_data.count; i++) {
            gr_produce_request_partition_produce_data *pd = &td->partition_data.items[i];
            gr_produce_response_partition_produce_response *pr = &rt->partition_responses.items[i];
            gr_produce_response_partition_produce_response_init(pr);
            pr->index = pd->index;
            pr->base_offset = -1;
            pr->error_code = topic_err;
            if (topic_err != GR_ERR_NONE) {
                any_error = true;
                continue;
            }
            gr_partition *p = gr_topic_partition(topic, pd->index);
            if (!p) {
                pr->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                any_error = true;
                continue;
            }
            /* Kafka's framing rule first (exactly one batch, magic 2, zstd only from v7); bytes
             * after the batch that do not make a second one are dropped, as Kafka drops them. */
            size_t batch_bytes;
            const char *records_why;
            int16_t records_err = gr_produce_records_check(req->api_version, pd->records.ptr,
                                                           pd->records.len > 0 ? (size_t)pd->records.len : 0,
                                                           &batch_bytes, &records_why);
            if (records_err != GR_ERR_NONE) {
                pr->error_code = records_err;
                if (records_why) pr->error_message = gr_request_strdup(req, records_why);
                any_error = true;
                continue;
            }
            gr_partition_replica *replica = atomic_load_explicit(&p->replica, memory_order_acquire);
            if (b->cluster && !replica) { /* no state applied here yet */
                pr->error_code = GR_ERR_NOT_LEADER_OR_FOLLOWER;
                any_error = true;
                continue;
            }
            if (replica && !gr_partition_replica_is_leader(replica)) {
                not_leader(req, replica, pr, &nodes);
                any_error = true;
                continue;
            }
            if (replica && in->acks == -1) {
                if (min_insync < 0) min_insync = min_insync_replicas(b, topic);
                pr->error_code = gr_partition_replica_check_insync(replica, min_insync);
                if (pr->error_code == GR_ERR_NOT_LEADER_OR_FOLLOWER) not_leader(req, replica, pr, &nodes);
                if (pr->error_code != GR_ERR_NONE) {
                    any_error = true;
                    continue;
                }
            }
            if (compacted < 0) compacted = gr_topic_is_compacted(b->topics, &b->cfg, topic);
            if (compacted && refuse_keyless(req, pd->records.ptr, batch_bytes, td->name, pd->index, pr)) {
                any_error = true;
                continue;
            }
            gr_append_result ar;
            /* The records point into this request's own frame, which we may rewrite in place. */
            int32_t epoch = __atomic_load_n(&p->leader_epoch, __ATOMIC_ACQUIRE);
            gr_plog_append(p->log, (uint8_t *)pd->records.ptr, batch_bytes, epoch, &ar);
            pr->error_code = ar.error;
            pr->base_offset = ar.error == GR_ERR_NONE ? ar.base_offset : -1;
            pr->log_append_time_ms = ar.log_append_time_ms;
            pr->log_start_offset = ar.log_start_offset;
            if (ar.error != GR_ERR_NONE) {
                any_error = true;
                if (ar.error_message) pr->error_message = gr_request_strdup(req, ar.error_message);
                add_record_errors(req, &ar, pr);
                continue;
            }
            if (!ar.duplicate) {
                any_appended = true;
                gr_metrics_produced(topic, ar.last_offset - ar.base_offset + 1, (int64_t)batch_bytes);
            }
            if (replica) {
                gr_partition_replica_appended(replica);
                if (in->acks == -1) {
                    if (!repl) repl = gr_request_alloc(req, (size_t)total_partitions * sizeof *repl);
                    repl[nrepl++] = (replica_wait){replica, ar.last_offset + 1, min_insync, pr};
                }
            }
            to_flush[nflush] = p->log;
            flush_resp[nflush++] = pr;
        }
    }
    if (any_appended) gr_broker_data_arrived(b);
    set_node_endpoints(req, out, &nodes);

    if (in->acks == 0) {
        for (int i = 0; i < nheld; i++) gr_topic_release(held[i]);
        if (any_error)
            gr_request_close(req);
        else
            gr_request_reply_none(req);
        return;
    }
    if (in->acks == 1 || nflush == 0) {
        for (int i = 0; i < nheld; i++) gr_topic_release(held[i]);
        gr_request_reply(req, out);
        return;
    }
    produce_wait *pw = malloc(sizeof *pw);
    if (!pw) {
        for (int i = 0; i < nheld; i++) gr_topic_release(held[i]);
        gr_request_close(req);
        return;
    }
    pw->req = req;
    pw->out = out;
    pw->loop = gr_conn_loop(req->conn);
    pw->held = held;
    pw->nheld = nheld;
    atomic_init(&pw->pending, nflush + nrepl);
    int64_t deadline_ms = gr_mono_ms() + (in->timeout_ms > 0 ? in->timeout_ms : 0);
    for (int i = 0; i < nflush + nrepl; i++) {
        gr_produce_response_partition_produce_response *pr = i < nflush ? flush_resp[i] : repl[i - nflush].pr;
        flush_ticket *ticket = malloc(sizeof *ticket);
        if (!ticket) {
            __atomic_store_n(&pr->error_code, GR_ERR_KAFKA_STORAGE_ERROR, __ATOMIC_RELAXED);
            if (atomic_fetch_sub(&pw->pending, 1) == 1) gr_loop_post(pw->loop, produce_finish, pw);
            continue;
        }
        ticket->pw = pw;
        ticket->pr = pr;
        if (i < nflush) {
            gr_flusher_request(b->flusher, to_flush[i], flush_done, ticket);
        } else {
            const replica_wait *rw = &repl[i - nflush];
            gr_partition_replica_wait(rw->replica, rw->end_offset, rw->min_insync, deadline_ms, replicated,
                                      ticket);
        }
    }
}
