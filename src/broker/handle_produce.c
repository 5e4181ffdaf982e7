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
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "broker/handlers.h"
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

/* Runs on the flusher thread. */
static void flush_done(void *ud, int error) {
    flush_ticket *t = ud;
    produce_wait *pw = t->pw;
    if (error != 0) t->pr->error_code = GR_ERR_KAFKA_STORAGE_ERROR;
    free(t);
    if (atomic_fetch_sub(&pw->pending, 1) == 1) gr_loop_post(pw->loop, produce_finish, pw);
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
    int nflush = 0, nheld = 0;

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
            gr_append_result ar;
            /* The records point into this request's own frame, which we may rewrite in place. */
            gr_plog_append(p->log, (uint8_t *)pd->records.ptr, batch_bytes, p->leader_epoch, &ar);
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
            if (!ar.duplicate) any_appended = true;
            to_flush[nflush] = p->log;
            flush_resp[nflush++] = pr;
        }
    }
    if (any_appended) gr_broker_data_arrived(b);

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
    atomic_init(&pw->pending, nflush);
    for (int i = 0; i < nflush; i++) {
        flush_ticket *ticket = malloc(sizeof *ticket);
        if (!ticket) {
            flush_resp[i]->error_code = GR_ERR_KAFKA_STORAGE_ERROR;
            if (atomic_fetch_sub(&pw->pending, 1) == 1) gr_loop_post(pw->loop, produce_finish, pw);
            continue;
        }
        ticket->pw = pw;
        ticket->pr = flush_resp[i];
        gr_flusher_request(b->flusher, to_flush[i], flush_done, ticket);
    }
}
