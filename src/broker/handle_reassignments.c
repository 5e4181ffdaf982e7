/*
 * handle_reassignments.c: AlterPartitionReassignments and ListPartitionReassignments (KIP-455).
 *
 * In cluster mode a reassignment is a cluster change (the controller adds the new replicas,
 * waits for them to join the ISR, then drops the old ones); the ongoing ones are listed from the
 * view. On a single node every partition's only replica is this broker: moving it there again
 * is a no-op, anything else names brokers that do not exist, and nothing is ever in progress.
 */
#include <stdio.h>
#include <string.h>

#include "broker/cluster_call.h"
#include "broker/handlers.h"
#include "broker/partition_lookup.h"
#include "proto/errors.h"
#include "proto/gen/alter_partition_reassignments.h"
#include "proto/gen/list_partition_reassignments.h"

typedef gr_alter_partition_reassignments_response_reassignable_partition_response alter_result;

static void ids_text(const int32_t *ids, int n, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "[");
    for (int i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%d", i ? ", " : "", ids[i]);
    if (used < size) snprintf(out + used, size - used, "]");
}

/* Kafka's checks of a target replica list; NONE or INVALID_REPLICA_ASSIGNMENT with *why. */
static int16_t check_target(gr_partition_lookup *l, const int32_t *ids, int n, char *why, size_t size) {
    char list[256];
    ids_text(ids, n, list, sizeof list);
    if (n == 0) {
        snprintf(why, size, "Empty replica list specified in partition reassignment.");
        return GR_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (ids[i] == ids[j]) {
                snprintf(why, size, "Duplicate replica ids in partition reassignment replica list: %s", list);
                return GR_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
    if (n > GR_REPLICAS_MAX) {
        snprintf(why, size, "Too many replicas in partition reassignment replica list: %s", list);
        return GR_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    for (int i = 0; i < n; i++)
        if (!gr_partition_lookup_broker_known(l, ids[i])) {
            snprintf(why, size, "Replica assignment has brokers that are not alive. Replica list: %s", list);
            return GR_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
    return GR_ERR_NONE;
}

static void alter_finish(gr_cluster_call *call) {
    alter_result **results = call->ud;
    for (int i = 0; i < call->count; i++) {
        if (!call->slots[i].started) continue;
        results[i]->error_code = call->slots[i].error;
        results[i]->error_message = gr_cluster_slot_message(call->req, &call->slots[i]);
    }
    gr_request_reply(call->req, call->response);
}

void gr_handle_alter_partition_reassignments(gr_request *req) {
    const gr_alter_partition_reassignments_request *in = req->body;
    gr_alter_partition_reassignments_response *out = gr_request_new_response(req);
    gr_broker *b = req->broker;
    int32_t nt = in->topics.count > 0 ? in->topics.count : 0, total = 0;
    for (int32_t t = 0; t < nt; t++)
        total += in->topics.items[t].partitions.count > 0 ? in->topics.items[t].partitions.count : 0;
    out->responses.items = gr_request_alloc(req, (size_t)(nt + 1) * sizeof out->responses.items[0]);
    out->responses.count = nt;
    alter_result **results = gr_request_alloc(req, (size_t)(total + 1) * sizeof *results);
    gr_cluster_call *call = b->cluster ? gr_cluster_call_new(req, out, total, alter_finish) : NULL;
    if (b->cluster && !call) {
        gr_request_close(req);
        return;
    }
    if (call) call->ud = results;
    gr_partition_lookup l;
    gr_partition_lookup_begin(&l, b);
    int k = 0;
    for (int32_t t = 0; t < nt; t++) {
        const gr_alter_partition_reassignments_request_reassignable_topic *it = &in->topics.items[t];
        gr_alter_partition_reassignments_response_reassignable_topic_response *ot = &out->responses.items[t];
        gr_alter_partition_reassignments_response_reassignable_topic_response_init(ot);
        ot->name = it->name;
        int32_t np = it->partitions.count > 0 ? it->partitions.count : 0;
        ot->partitions.items = gr_request_alloc(req, (size_t)(np + 1) * sizeof ot->partitions.items[0]);
        ot->partitions.count = np;
        for (int32_t p = 0; p < np; p++, k++) {
            const gr_alter_partition_reassignments_request_reassignable_partition *ip =
                &it->partitions.items[p];
            alter_result *r = &ot->partitions.items[p];
            gr_alter_partition_reassignments_response_reassignable_partition_response_init(r);
            r->partition_index = ip->partition_index;
            results[k] = r;
            gr_cluster_partition cp;
            char why[512] = "";
            bool cancel = ip->replicas.count < 0;
            if (!gr_partition_lookup_get(&l, it->name, ip->partition_index, &cp)) {
                r->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                snprintf(why, sizeof why, "The partition does not exist.");
            } else if (cancel && cp.adding_count == 0 && cp.removing_count == 0) {
                r->error_code = GR_ERR_NO_REASSIGNMENT_IN_PROGRESS;
                snprintf(why, sizeof why, "No reassignment is in progress for topic partition %.*s-%d",
                         it->name.len, it->name.ptr, ip->partition_index);
            } else if (!cancel) {
                r->error_code = check_target(&l, ip->replicas.items, ip->replicas.count, why, sizeof why);
            }
            if (r->error_code != GR_ERR_NONE) {
                r->error_message = gr_request_strdup(req, why);
                continue;
            }
            if (!call) continue; /* a single node: moving its only replica onto itself changes nothing */
            char topic[256];
            snprintf(topic, sizeof topic, "%.*s", it->name.len, it->name.ptr);
            gr_cluster_reassign_partition(b->cluster, topic, ip->partition_index,
                                          cancel ? NULL : ip->replicas.items, cancel ? 0 : ip->replicas.count,
                                          gr_cluster_call_done, gr_cluster_call_slot(call, k));
        }
    }
    gr_partition_lookup_end(&l);
    if (call)
        gr_cluster_call_launched(call);
    else
        gr_request_reply(req, out);
}

/* ---- ListPartitionReassignments ---- */

typedef gr_list_partition_reassignments_response_ongoing_topic_reassignment listed_topic;
typedef gr_list_partition_reassignments_response_ongoing_partition_reassignment listed_partition;

static void copy_ids(gr_request *req, const int32_t *ids, int n, int32_t **items, int32_t *count) {
    *items = gr_request_alloc(req, (size_t)(n + 1) * sizeof **items);
    if (n) memcpy(*items, ids, (size_t)n * sizeof **items);
    *count = n;
}

/* Appends partition p of topic `name` to the answer if it is being reassigned. */
static void list_one(gr_request *req, gr_partition_lookup *l, gr_str name, int32_t p, listed_topic *t) {
    gr_cluster_partition cp;
    if (!gr_partition_lookup_get(l, name, p, &cp) || (cp.adding_count == 0 && cp.removing_count == 0)) return;
    listed_partition *o = &t->partitions.items[t->partitions.count++];
    gr_list_partition_reassignments_response_ongoing_partition_reassignment_init(o);
    o->partition_index = p;
    copy_ids(req, cp.state.replicas, cp.state.replica_count, &o->replicas.items, &o->replicas.count);
    copy_ids(req, cp.adding, cp.adding_count, &o->adding_replicas.items, &o->adding_replicas.count);
    copy_ids(req, cp.removing, cp.removing_count, &o->removing_replicas.items, &o->removing_replicas.count);
}

typedef struct list_all_ctx {
    gr_request *req;
    gr_partition_lookup *l;
    gr_list_partition_reassignments_response *out;
    int32_t cap;
} list_all_ctx;

static void list_topic(void *ud, const char *name, int32_t count) {
    list_all_ctx *c = ud;
    if (c->out->topics.count >= c->cap) return;
    listed_topic *t = &c->out->topics.items[c->out->topics.count];
    gr_list_partition_reassignments_response_ongoing_topic_reassignment_init(t);
    t->name = gr_request_strdup(c->req, name);
    t->partitions.items = gr_request_alloc(c->req, (size_t)(count + 1) * sizeof t->partitions.items[0]);
    t->partitions.count = 0;
    for (int32_t p = 0; p < count; p++) list_one(c->req, c->l, t->name, p, t);
    if (t->partitions.count > 0) c->out->topics.count++;
}

void gr_handle_list_partition_reassignments(gr_request *req) {
    const gr_list_partition_reassignments_request *in = req->body;
    gr_list_partition_reassignments_response *out = gr_request_new_response(req);
    gr_partition_lookup l;
    gr_partition_lookup_begin(&l, req->broker);
    out->topics.count = 0;
    if (in->topics.count < 0) {
        int32_t cap = l.view ? l.view->topic_count : 0; /* a single node never has one in progress */
        out->topics.items = gr_request_alloc(req, (size_t)(cap + 1) * sizeof out->topics.items[0]);
        list_all_ctx ctx = {req, &l, out, cap};
        if (cap) gr_partition_lookup_each_topic(&l, list_topic, &ctx);
    } else {
        out->topics.items =
            gr_request_alloc(req, (size_t)(in->topics.count + 1) * sizeof out->topics.items[0]);
        for (int32_t i = 0; i < in->topics.count; i++) {
            const gr_list_partition_reassignments_request_list_partition_reassignments_topics *want =
                &in->topics.items[i];
            listed_topic *t = &out->topics.items[out->topics.count];
            gr_list_partition_reassignments_response_ongoing_topic_reassignment_init(t);
            t->name = want->name;
            int32_t n = want->partition_indexes.count > 0 ? want->partition_indexes.count : 0;
            t->partitions.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof t->partitions.items[0]);
            t->partitions.count = 0;
            for (int32_t p = 0; p < n; p++)
                list_one(req, &l, want->name, want->partition_indexes.items[p], t);
            if (t->partitions.count > 0) out->topics.count++;
        }
    }
    gr_partition_lookup_end(&l);
    gr_request_reply(req, out);
}
