/*
 * handle_group_offsets.c: OffsetCommit, OffsetFetch and OffsetDelete.
 *
 * A commit is answered only once its records are on disk, like acks=all
 * produce: the coordinator appends to __consumer_offsets and asks the
 * flusher; the flusher's callback posts the reply to this request's loop.
 * OffsetFetch has two shapes: one group (v0-7) or a batch of groups (v8+).
 */
#include <stdlib.h>

#include "broker/handle_group_common.h"
#include "broker/handlers_group.h"
#include "proto/errors.h"
#include "proto/gen/offset_commit.h"
#include "proto/gen/offset_delete.h"
#include "proto/gen/offset_fetch.h"

typedef struct flush_reply {
    gr_request *req;
    void *out;
    gr_loop *loop;
    void (*on_error)(void *out, int16_t error);
    int error;
} flush_reply;

static void send_reply(void *ud) {
    flush_reply *fr = ud;
    if (fr->error) fr->on_error(fr->out, GR_ERR_NOT_COORDINATOR); /* how Kafka reports a failed write */
    gr_request_reply(fr->req, fr->out);
    free(fr);
}

/* Flusher thread: the records are durable (or not); reply from the request's own loop. */
static void flushed(void *ud, int error) {
    flush_reply *fr = ud;
    fr->error = error;
    gr_loop_post(fr->loop, send_reply, fr);
}

static flush_reply *flush_reply_new(gr_request *req, void *out, void (*on_error)(void *, int16_t)) {
    flush_reply *fr = malloc(sizeof *fr);
    if (!fr) return NULL;
    *fr = (flush_reply){req, out, gr_conn_loop(req->conn), on_error, 0};
    return fr;
}

/* ---- OffsetCommit ------------------------------------------------------------------------- */

/* Sets the error on every partition still without one. */
static void commit_error(void *p, int16_t error) {
    gr_offset_commit_response *out = p;
    for (int32_t t = 0; t < out->topics.count; t++)
        for (int32_t i = 0; i < out->topics.items[t].partitions.count; i++)
            if (out->topics.items[t].partitions.items[i].error_code == GR_ERR_NONE)
                out->topics.items[t].partitions.items[i].error_code = error;
}

void gr_handle_offset_commit(gr_request *req) {
    const gr_offset_commit_request *in = req->body;
    gr_offset_commit_response *out = gr_request_new_response(req);
    int32_t nt = in->topics.count > 0 ? in->topics.count : 0;
    out->topics.items = gr_request_alloc(req, (size_t)(nt + 1) * sizeof *out->topics.items);
    out->topics.count = nt;
    for (int32_t t = 0; t < nt; t++) {
        const gr_offset_commit_request_offset_commit_request_topic *it = &in->topics.items[t];
        gr_offset_commit_response_offset_commit_response_topic *ot = &out->topics.items[t];
        gr_offset_commit_response_offset_commit_response_topic_init(ot);
        ot->name = it->name;
        int32_t np = it->partitions.count > 0 ? it->partitions.count : 0;
        ot->partitions.items = gr_request_alloc(req, (size_t)(np + 1) * sizeof *ot->partitions.items);
        ot->partitions.count = np;
        /* As Kafka does, offsets are only taken for partitions that exist. */
        gr_topic *topic = gr_topics_get(req->broker->topics, it->name);
        int32_t have = topic && !atomic_load(&topic->deleted) ? gr_topic_partition_count(topic) : 0;
        if (topic) gr_topic_release(topic);
        for (int32_t p = 0; p < np; p++) {
            gr_offset_commit_response_offset_commit_response_partition *op = &ot->partitions.items[p];
            gr_offset_commit_response_offset_commit_response_partition_init(op);
            op->partition_index = it->partitions.items[p].partition_index;
            if (op->partition_index < 0 || op->partition_index >= have)
                op->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        }
    }
    if (!req->broker->groups) {
        commit_error(out, GR_ERR_COORDINATOR_NOT_AVAILABLE);
        gr_request_reply(req, out);
        return;
    }
    flush_reply *fr = flush_reply_new(req, out, commit_error);
    if (!fr) {
        gr_request_close(req);
        return;
    }
    if (!gr_gc_commit_offsets(req->broker->groups, in, req->api_version, out, flushed, fr)) {
        free(fr);
        gr_request_reply(req, out);
    }
}

/* ---- OffsetFetch -------------------------------------------------------------------------- */

/* Runs one group's fetch (query_count -1 = every committed offset). */
static int16_t fetch_group(gr_request *req, gr_str group_id, gr_str member_id, int32_t member_epoch,
                           gr_gc_offset_query *queries, int32_t query_count, gr_gc_fetched **out,
                           int32_t *n) {
    if (!req->broker->groups) return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    return gr_gc_fetch_offsets(req->broker->groups, group_id, member_id, member_epoch, queries, query_count,
                               &req->arena, out, n);
}

/* Number of distinct topics in a run of results (consecutive entries share a topic). */
static int32_t count_topic_runs(const gr_gc_fetched *f, int32_t n) {
    int32_t runs = 0;
    for (int32_t i = 0; i < n; i++)
        if (i == 0 || f[i].topic.len != f[i - 1].topic.len ||
            memcmp(f[i].topic.ptr, f[i - 1].topic.ptr, (size_t)f[i].topic.len) != 0)
            runs++;
    return runs;
}

static bool same_topic(const gr_gc_fetched *a, const gr_gc_fetched *b) {
    return a->topic.len == b->topic.len && memcmp(a->topic.ptr, b->topic.ptr, (size_t)a->topic.len) == 0;
}

static void fetch_v0_7(gr_request *req) {
    const gr_offset_fetch_request *in = req->body;
    gr_offset_fetch_response *out = gr_request_new_response(req);
    bool all = in->topics.count < 0 && req->api_version >= 2;
    int32_t nq = all ? -1 : (in->topics.count > 0 ? in->topics.count : 0);
    gr_gc_offset_query *q = gr_request_alloc(req, (size_t)(nq > 0 ? nq : 1) * sizeof *q);
    for (int32_t t = 0; t < nq; t++) {
        const gr_offset_fetch_request_offset_fetch_request_topic *it = &in->topics.items[t];
        q[t] = (gr_gc_offset_query){it->name, it->partition_indexes.items,
                                    it->partition_indexes.count > 0 ? it->partition_indexes.count : 0};
    }
    gr_gc_fetched *f = NULL;
    int32_t n = 0;
    int16_t err = fetch_group(req, in->group_id, (gr_str){NULL, -1}, -1, q, nq, &f, &n);
    out->error_code = GR_ERR_NONE;
    out->topics.count = 0;
    if (err != GR_ERR_NONE) {
        if (req->api_version >= 2) {
            out->error_code = err; /* v2+: a top-level error and no topics */
            gr_request_reply(req, out);
            return;
        }
        /* v0-1: the error on every requested partition. */
        int32_t total = 0;
        for (int32_t t = 0; t < nq; t++) total += q[t].partition_count;
        f = gr_request_alloc(req, (size_t)(total + 1) * sizeof *f);
        n = 0;
        for (int32_t t = 0; t < nq; t++)
            for (int32_t p = 0; p < q[t].partition_count; p++)
                f[n++] = (gr_gc_fetched){q[t].topic, q[t].partitions[p], -1, -1, {"", 0}, err};
    }
    int32_t runs = count_topic_runs(f, n);
    out->topics.items = gr_request_alloc(req, (size_t)(runs + 1) * sizeof *out->topics.items);
    out->topics.count = runs;
    int32_t t = -1;
    for (int32_t i = 0; i < n; i++) {
        if (i == 0 || !same_topic(&f[i], &f[i - 1])) {
            t++;
            gr_offset_fetch_response_offset_fetch_response_topic *ot = &out->topics.items[t];
            gr_offset_fetch_response_offset_fetch_response_topic_init(ot);
            ot->name = f[i].topic;
            int32_t k = i;
            while (k < n && same_topic(&f[k], &f[i])) k++;
            ot->partitions.items = gr_request_alloc(req, (size_t)(k - i + 1) * sizeof *ot->partitions.items);
            ot->partitions.count = 0;
        }
        gr_offset_fetch_response_offset_fetch_response_topic *ot = &out->topics.items[t];
        gr_offset_fetch_response_offset_fetch_response_partition *op =
            &ot->partitions.items[ot->partitions.count++];
        gr_offset_fetch_response_offset_fetch_response_partition_init(op);
        op->partition_index = f[i].partition;
        op->committed_offset = f[i].offset;
        op->committed_leader_epoch = f[i].leader_epoch;
        op->metadata = f[i].metadata;
        op->error_code = f[i].error;
    }
    gr_request_reply(req, out);
}

static void fetch_v8(gr_request *req) {
    const gr_offset_fetch_request *in = req->body;
    gr_offset_fetch_response *out = gr_request_new_response(req);
    int32_t ng = in->groups.count > 0 ? in->groups.count : 0;
    out->groups.items = gr_request_alloc(req, (size_t)(ng + 1) * sizeof *out->groups.items);
    out->groups.count = ng;
    for (int32_t g = 0; g < ng; g++) {
        const gr_offset_fetch_request_offset_fetch_request_group *ig = &in->groups.items[g];
        gr_offset_fetch_response_offset_fetch_response_group *og = &out->groups.items[g];
        gr_offset_fetch_response_offset_fetch_response_group_init(og);
        og->group_id = ig->group_id;
        og->topics.count = 0;
        int32_t nq = ig->topics.count < 0 ? -1 : ig->topics.count;
        gr_gc_offset_query *q = gr_request_alloc(req, (size_t)(nq > 0 ? nq : 1) * sizeof *q);
        for (int32_t t = 0; t < nq; t++) {
            const gr_offset_fetch_request_offset_fetch_request_topics *it = &ig->topics.items[t];
            q[t] = (gr_gc_offset_query){it->name, it->partition_indexes.items,
                                        it->partition_indexes.count > 0 ? it->partition_indexes.count : 0};
        }
        gr_gc_fetched *f = NULL;
        int32_t n = 0;
        gr_str member = req->api_version >= 9 ? ig->member_id : (gr_str){NULL, -1};
        int32_t epoch = req->api_version >= 9 ? ig->member_epoch : -1;
        og->error_code = fetch_group(req, ig->group_id, member, epoch, q, nq, &f, &n);
        if (og->error_code != GR_ERR_NONE) continue;
        int32_t runs = count_topic_runs(f, n);
        og->topics.items = gr_request_alloc(req, (size_t)(runs + 1) * sizeof *og->topics.items);
        og->topics.count = runs;
        int32_t t = -1;
        for (int32_t i = 0; i < n; i++) {
            if (i == 0 || !same_topic(&f[i], &f[i - 1])) {
                t++;
                gr_offset_fetch_response_offset_fetch_response_topics *ot = &og->topics.items[t];
                gr_offset_fetch_response_offset_fetch_response_topics_init(ot);
                ot->name = f[i].topic;
                int32_t k = i;
                while (k < n && same_topic(&f[k], &f[i])) k++;
                ot->partitions.items =
                    gr_request_alloc(req, (size_t)(k - i + 1) * sizeof *ot->partitions.items);
                ot->partitions.count = 0;
            }
            gr_offset_fetch_response_offset_fetch_response_topics *ot = &og->topics.items[t];
            gr_offset_fetch_response_offset_fetch_response_partitions *op =
                &ot->partitions.items[ot->partitions.count++];
            gr_offset_fetch_response_offset_fetch_response_partitions_init(op);
            op->partition_index = f[i].partition;
            op->committed_offset = f[i].offset;
            op->committed_leader_epoch = f[i].leader_epoch;
            op->metadata = f[i].metadata;
            op->error_code = f[i].error;
        }
    }
    gr_request_reply(req, out);
}

void gr_handle_offset_fetch(gr_request *req) {
    if (req->api_version >= 8)
        fetch_v8(req);
    else
        fetch_v0_7(req);
}

/* ---- OffsetDelete ------------------------------------------------------------------------- */

static void delete_error(void *p, int16_t error) {
    gr_offset_delete_response *out = p;
    for (int32_t t = 0; t < out->topics.count; t++)
        for (int32_t i = 0; i < out->topics.items[t].partitions.count; i++)
            if (out->topics.items[t].partitions.items[i].error_code == GR_ERR_NONE)
                out->topics.items[t].partitions.items[i].error_code = error;
}

void gr_handle_offset_delete(gr_request *req) {
    const gr_offset_delete_request *in = req->body;
    gr_offset_delete_response *out = gr_request_new_response(req);
    if (!req->broker->groups) {
        out->error_code = GR_ERR_COORDINATOR_NOT_AVAILABLE;
        gr_request_reply(req, out);
        return;
    }
    flush_reply *fr = flush_reply_new(req, out, delete_error);
    if (!fr) {
        gr_request_close(req);
        return;
    }
    if (!gr_gc_delete_offsets(req->broker->groups, in, &req->arena, out, flushed, fr)) {
        free(fr);
        gr_request_reply(req, out);
    }
}
